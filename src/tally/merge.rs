//! Merging tallies: `+=` for each tally and count, and the parallel merge
//! of the threads' tallies at the end of a scan. Every merge is commutative
//! and associative, so inputs and chunks combine in any order.

use std::collections::BTreeMap;
use std::ops::AddAssign;
use std::sync::Arc;

use crate::model::timestamp::Millis;
use crate::tally::{
    CodeTally, JobTally, RuleCounts, RunInfo, ScanStats, Tally, WindowCounts, CAUSE_EXAMPLES,
};

/// Keeps in `kept` the `cap` smallest of `kept` and `more`, sorted, and
/// of neighbours that `same` calls the same only the first. `kept` must
/// hold such a result already (sorted, no `same` neighbours). When it is
/// full and nothing of `more` sorts before its last (the common case when
/// inputs are merged in about their order), that costs one comparison per
/// element of `more` and no sort.
pub(crate) fn keep_smallest<T: Ord>(
    kept: &mut Vec<T>,
    more: impl IntoIterator<Item = T>,
    cap: usize,
    same: impl Fn(&T, &T) -> bool,
) {
    let more = more.into_iter();
    match kept.last() {
        Some(last) if kept.len() == cap => {
            // Whatever sorts at or after `last` cannot get in: `kept` has
            // `cap` elements no greater, all different.
            let rest: Vec<T> = more.filter(|m| m < last).collect();
            if rest.is_empty() {
                return;
            }
            kept.extend(rest);
        }
        _ => kept.extend(more),
    }
    kept.sort();
    kept.dedup_by(|a, b| same(a, b));
    kept.truncate(cap);
}

pub(super) fn min_opt(a: Option<Millis>, b: Option<Millis>) -> Option<Millis> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

pub(super) fn max_opt(a: Option<Millis>, b: Option<Millis>) -> Option<Millis> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

impl AddAssign for RunInfo {
    fn add_assign(&mut self, o: RunInfo) {
        self.status = self.status.take().max(o.status);
        self.agent = self.agent.take().max(o.agent);
        self.start = self.start.max(o.start);
        self.end = self.end.max(o.end);
        self.items_failed = self.items_failed.max(o.items_failed);
        self.items_transferred = self.items_transferred.max(o.items_transferred);
    }
}

impl AddAssign for RuleCounts {
    fn add_assign(&mut self, o: RuleCounts) {
        self.line += o.line;
        self.path += o.path;
        self.carried += o.carried;
        self.column += o.column;
        self.none += o.none;
        self.agent += o.agent;
    }
}

impl AddAssign for ScanStats {
    fn add_assign(&mut self, o: ScanStats) {
        self.files += o.files;
        self.bytes += o.bytes;
        self.skipped_binary += o.skipped_binary;
    }
}

impl AddAssign for WindowCounts {
    fn add_assign(&mut self, o: WindowCounts) {
        self.outside += o.outside;
        self.untimed += o.untimed;
    }
}

impl AddAssign for CodeTally {
    fn add_assign(&mut self, mut o: CodeTally) {
        self.count += o.count;
        self.healthy += o.healthy;
        // The smaller set into the larger, with room made once.
        if self.jobs.len() < o.jobs.len() {
            std::mem::swap(&mut self.jobs, &mut o.jobs);
        }
        self.jobs.reserve(o.jobs.len());
        self.jobs.extend(o.jobs);
        self.files.merge(o.files);
        self.first = min_opt(self.first, o.first);
        self.last = max_opt(self.last, o.last);
        self.add_examples(o.examples);
        self.items.merge(o.items);
        self.sites.merge(o.sites, |m, site| {
            m.count += site.count;
            m.line = m.line.min(site.line);
        });
    }
}

impl Tally {
    /// `self += o`, with the tallies of each code and sub-cause merged in
    /// parallel on the current rayon pool, beside the job tallies: for the
    /// one big merge of the threads' running tallies at the end of a scan
    /// (`pipeline::scan_all_into`), which the other threads would otherwise
    /// wait for. The result is the same as `+=`'s.
    pub fn merge_parallel(&mut self, mut o: Tally) {
        use rayon::prelude::*;
        let mut pairs: Vec<(&mut CodeTally, CodeTally, bool)> = Vec::new();
        let mut rest = Tally::default();
        pair_up(
            &mut self.codes,
            std::mem::take(&mut o.codes),
            false,
            &mut pairs,
            &mut rest.codes,
        );
        pair_up(
            &mut self.causes,
            std::mem::take(&mut o.causes),
            true,
            &mut pairs,
            &mut rest.causes,
        );
        // The biggest first, so that no thread is left with one at the end.
        pairs.sort_by_key(|(_, theirs, _)| std::cmp::Reverse(theirs.count));
        let (jobs, theirs) = (&mut self.jobs, std::mem::take(&mut o.jobs));
        rayon::join(
            || {
                pairs
                    .into_par_iter()
                    .with_max_len(1)
                    .for_each(|(mine, theirs, part)| merge_code(mine, theirs, part));
            },
            || merge_jobs(jobs, theirs),
        );
        *self += rest;
        *self += o;
    }
}

/// Pairs each tally of `theirs` with the one of the same key in `mine`
/// (made when new); any left unpaired, which cannot happen, goes to `rest`
/// (merged after), never lost.
fn pair_up<'a, K: Ord + Copy>(
    mine: &'a mut BTreeMap<K, CodeTally>,
    theirs: BTreeMap<K, CodeTally>,
    part: bool,
    pairs: &mut Vec<(&'a mut CodeTally, CodeTally, bool)>,
    rest: &mut BTreeMap<K, CodeTally>,
) {
    for key in theirs.keys() {
        mine.entry(*key).or_default();
    }
    // Both in key order, and every key of `theirs` is in `mine` now.
    let mut ours = mine.iter_mut();
    for (key, t) in theirs {
        match ours.by_ref().find(|(k, _)| **k == key) {
            Some((_, m)) => pairs.push((m, t, part)),
            None => {
                rest.insert(key, t);
            }
        }
    }
}

/// Merges a code's tally (or a sub-cause's part, which keeps fewer
/// examples) into `mine`.
fn merge_code(mine: &mut CodeTally, theirs: CodeTally, part: bool) {
    *mine += theirs;
    if part {
        mine.examples.truncate(CAUSE_EXAMPLES);
    }
}

/// Merges job tallies, the smaller map into the larger (merging jobs is
/// symmetric).
fn merge_jobs(mine: &mut BTreeMap<Arc<str>, JobTally>, mut theirs: BTreeMap<Arc<str>, JobTally>) {
    if mine.len() < theirs.len() {
        std::mem::swap(mine, &mut theirs);
    }
    for (job, jt) in theirs {
        let m = mine.entry(job).or_default();
        for (code, n) in jt.codes {
            *m.codes.entry(code).or_default() += n;
        }
        m.healthy += jt.healthy;
        m.first = min_opt(m.first, jt.first);
        m.last = max_opt(m.last, jt.last);
        m.run += jt.run;
    }
}

impl AddAssign for Tally {
    fn add_assign(&mut self, o: Tally) {
        for (code, ct) in o.codes {
            merge_code(self.codes.entry(code).or_default(), ct, false);
        }
        for (key, ct) in o.causes {
            merge_code(self.causes.entry(key).or_default(), ct, true);
        }
        merge_jobs(&mut self.jobs, o.jobs);
        for (code, n) in o.unattributed {
            *self.unattributed.entry(code).or_default() += n;
        }
        self.rules += o.rules;
        self.window += o.window;
        self.stats += o.stats;
        self.errors.extend(o.errors);
        self.errors.sort();
        self.notes.extend(o.notes);
        self.notes.sort();
        self.events.extend(o.events);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::code::Code;
    use crate::model::event::{JobSlot, Rule};
    use crate::tally::acc::tests::{arb_event, ev, tally_of};
    use crate::tally::Acc;

    proptest::proptest! {
        /// The shortcut of keep_smallest changes nothing: the result is
        /// always that of sorting everything, dropping same neighbours and
        /// cutting at `cap`.
        #[test]
        fn keep_smallest_is_sort_dedup_truncate(
            first in proptest::collection::vec((0u8..6, 0u8..4), 0..8),
            more in proptest::collection::vec((0u8..6, 0u8..4), 0..8),
            cap in 1usize..5,
        ) {
            let same = |a: &(u8, u8), b: &(u8, u8)| a.0 == b.0;
            let naive = |mut v: Vec<(u8, u8)>| {
                v.sort();
                v.dedup_by(|a, b| same(a, b));
                v.truncate(cap);
                v
            };
            let mut kept = naive(first.clone());
            keep_smallest(&mut kept, more.clone(), cap, same);
            proptest::prop_assert_eq!(kept, naive([first, more].concat()));
        }
    }

    proptest::proptest! {
        /// The parallel merge at the end of a scan gives what `+=` gives,
        /// on one thread or several: tallies of files of their own and of
        /// a file both saw, with jobs, sub-causes and items in common.
        #[test]
        fn merging_in_parallel_is_merging(
            files in proptest::collection::vec(
                (
                    proptest::sample::select(vec!["a", "b", "c"]),
                    proptest::bool::ANY,
                    proptest::collection::vec(arb_event(), 0..16),
                ),
                0..6,
            ),
            threads in 1usize..4,
        ) {
            let (mut mine, mut theirs) = (Tally::default(), Tally::default());
            for (path, which, events) in &files {
                let mut acc = Acc::default();
                for e in events {
                    acc.add(e);
                }
                let into = if *which { &mut mine } else { &mut theirs };
                acc.drain_into(into, &Arc::from(*path), 0, Some(b"J1"));
            }
            let mut serial = mine.clone();
            serial += theirs.clone();
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| mine.merge_parallel(theirs));
            proptest::prop_assert_eq!(mine, serial);
        }
    }

    #[test]
    fn merging_is_order_independent() {
        let a = tally_of(
            "a",
            &[
                ev(2062, JobSlot::Id(b"J1", Rule::Path), 3, Some(7)),
                ev(1, JobSlot::Agent, 4, None),
            ],
            0,
            None,
        );
        let b = tally_of(
            "b",
            &[
                ev(2062, JobSlot::Id(b"J2", Rule::Line), 1, Some(2)),
                ev(2062, JobSlot::None, 9, Some(9)),
            ],
            0,
            None,
        );
        let c = tally_of("c", &[ev(2062, JobSlot::Pending, 1, None)], 0, Some(b"J1"));
        let mut x = Tally::default();
        x += a.clone();
        x += b.clone();
        x += c.clone();
        let mut y = c;
        y += b;
        let mut ab = Tally::default();
        ab += a;
        y += ab;
        assert_eq!(x, y);
        let code = &x.codes[&Code::new(2062).unwrap()];
        assert_eq!(code.count, 4);
        assert!(
            code.jobs.is_empty(),
            "a code's job runs are counted from the jobs"
        );
        let with = |c| x.jobs.values().filter(|j| j.codes.contains_key(&c)).count();
        assert_eq!(with(Code::new(2062).unwrap()), 2);
        assert_eq!(code.files.len(), 3);
        assert_eq!((code.first, code.last), (Some(2), Some(9)));
        assert_eq!(code.examples.len(), 3);
        assert_eq!(&*code.examples[0].path, "a");
        assert_eq!(x.unattributed.values().sum::<u64>(), 2);
        assert_eq!(
            x.rules,
            RuleCounts {
                line: 1,
                path: 1,
                carried: 1,
                column: 0,
                none: 1,
                agent: 1
            }
        );
    }
}
