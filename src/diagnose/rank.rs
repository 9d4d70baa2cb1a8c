//! What to fix first: findings grouped by remediation and ranked.
//!
//! The unit is a code with a sub-cause ([`crate::model::causes`]): the events of a
//! code whose lines carry a sub-cause's words take that sub-cause's fix as
//! their remediation; the other events of the code keep its catalog
//! mitigation. So AZSM1060 with "The specified share is full" and AZSM1060
//! with "InvalidResourceName" are two entries, and a third holds the
//! AZSM1060 events no trigger explained.
//!
//! Units that share one remediation text form one entry (one fix clears them
//! all); a code the catalog does not know (without a sub-cause) is an entry
//! of its own. Only findings take part: success (`AZSM0000`), the
//! informational item ranges (excluded, no copy necessary) and events whose
//! sub-cause is healthy (the words mean the agent is fine) are counted
//! elsewhere, never here.
//!
//! # The ranking rule
//!
//! Entries are ordered by, in turn:
//! 1. **severity**: critical (an agent or a whole job run failed) before
//!    error (an item failed) before warning (an item skipped as
//!    unsupported, or a code of unknown scope). A few job-level failures
//!    that stopped whole runs outrank thousands of per-item failures.
//! 2. **advice**: an actionable fix (permissions, configuration, paths,
//!    names) before "retry / transient" advice, before a code the catalog
//!    does not know. Advice is "retry" when the code is its block's
//!    miscellaneous code (1020, 1040, 1060, 2080, ...) or the mitigation's
//!    first sentence starts with "retry"/"rerun" or speaks of a
//!    "temporary"/"transient" error. A sub-cause's fix is always
//!    actionable: the words on the line said what to do, so a share that
//!    is full outranks the retry advice of its generic code.
//! 3. **breadth**: more job runs affected first.
//! 4. **count**: more events first.
//! 5. the lowest code number;
//! 6. an entry with a sub-cause before one without (the log named the
//!    problem), then by sub-cause name, then by remediation text, so that
//!    the order is total.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::catalog::{Catalog, Entry};
use crate::model::causes::Causes;
use crate::model::code::{Code, Severity};
use crate::model::timestamp::Millis;
use crate::tally::{CodeTally, Example, Tally};

/// What kind of fix an entry's mitigation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Advice {
    /// Something specific to change: permissions, configuration, paths.
    Actionable,
    /// Retry the job, the error is likely transient, or open a ticket.
    Retry,
    /// The catalog does not know the code.
    Unknown,
}

impl std::fmt::Display for Advice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Advice::Actionable => "actionable",
            Advice::Retry => "retry",
            Advice::Unknown => "unknown",
        })
    }
}

/// Classifies a code's catalog advice; see the module docs.
pub fn advice(code: Code, entry: Option<&Entry>) -> Advice {
    let Some(entry) = entry else {
        return Advice::Unknown;
    };
    if code.subcategory().is_miscellaneous(code) {
        return Advice::Retry;
    }
    let first = entry
        .mitigation
        .split(". ")
        .next()
        .unwrap_or_default()
        .to_lowercase();
    let retry = first.starts_with("retry")
        || first.starts_with("rerun")
        || first.contains("temporary")
        || first.contains("transient");
    if retry {
        Advice::Retry
    } else {
        Advice::Actionable
    }
}

/// One thing to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remediation {
    /// 1 is the first thing to fix.
    pub rank: usize,
    /// The most severe of its codes.
    pub severity: Severity,
    /// What kind of fix it is.
    pub advice: Advice,
    /// Its codes with their counts, most frequent first.
    pub codes: Vec<(Code, u64)>,
    /// Events of all its codes.
    pub events: u64,
    /// Job runs affected by any of its codes.
    pub jobs: usize,
    /// Inputs in which any of its codes was seen.
    pub files: usize,
    /// Earliest time seen.
    pub first: Option<Millis>,
    /// Latest time seen.
    pub last: Option<Millis>,
    /// The first place one of its codes was seen.
    pub example: Option<Example>,
    /// The message of its most frequent code.
    pub title: String,
    /// The sub-cause whose fix it is (the most frequent one, if several
    /// share the text); `None` for a catalog mitigation.
    pub cause: Option<String>,
    /// What to do.
    pub mitigation: String,
}

/// The ranking rule's keys, in order (see the module docs): severity,
/// advice, breadth, count, lowest code, then the sub-cause and the text.
type SortKey<'a> = (
    (Severity, Advice),
    (std::cmp::Reverse<usize>, std::cmp::Reverse<u64>),
    Code,
    (bool, Option<&'a str>, &'a str),
);

impl Remediation {
    fn sort_key(&self) -> SortKey<'_> {
        let lowest = self
            .codes
            .iter()
            .map(|c| c.0)
            .min()
            .unwrap_or(Code::SUCCESS);
        (
            (self.severity, self.advice),
            (std::cmp::Reverse(self.jobs), std::cmp::Reverse(self.events)),
            lowest,
            (
                self.cause.is_none(),
                self.cause.as_deref(),
                &self.mitigation,
            ),
        )
    }
}

/// The mitigation for a code the catalog does not know.
pub fn unknown_mitigation(code: Code) -> String {
    format!(
        "{code} is not in the catalog. Its digits say: {} scope, {}. Look it up at {} or pass a newer copy of the page with --catalog; if it is not documented, open a support ticket quoting the example line.",
        code.scope(),
        code.subcategory(),
        code.doc_url()
    )
}

/// How many distinct values the sets (each given with its size) hold
/// together: one set's size, or the values counted once each through a
/// hash set (a tree of them would cost an allocation per value, sorting
/// them a comparison of text per step).
fn distinct<'a, T, R>(sets: impl Iterator<Item = (usize, impl Iterator<Item = &'a R>)>) -> usize
where
    T: Eq + std::hash::Hash + ?Sized + 'a,
    R: std::ops::Deref<Target = T> + 'a,
{
    let sets: Vec<_> = sets.collect();
    if let [(len, _)] = sets.as_slice() {
        return *len;
    }
    let room = sets.iter().map(|s| s.0).sum();
    let mut all: hashbrown::HashSet<&T, rustc_hash::FxBuildHasher> =
        hashbrown::HashSet::with_capacity_and_hasher(room, Default::default());
    for (_, values) in sets {
        all.extend(values.map(|v| &**v));
    }
    all.len()
}

/// Groups the findings of `tally` by remediation and ranks them; the
/// sub-causes in `tally` are rows of `causes`.
pub fn rank(tally: &Tally, catalog: &Catalog, causes: &Causes) -> Vec<Remediation> {
    #[derive(Default)]
    struct Group<'a> {
        units: Vec<(Code, Option<&'a str>, &'a CodeTally)>,
        mitigation: String,
        advice: Option<Advice>,
    }
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for (&(code, cause), t) in &tally.causes {
        if !code.is_finding() || t.count == t.healthy {
            continue;
        }
        let entry = catalog.get(code);
        let (key, mitigation, adv, name) = match cause.map(|id| causes.get(id)) {
            Some(c) => (
                format!("m:{}", c.fix),
                c.fix.clone(),
                Advice::Actionable,
                Some(c.name.as_str()),
            ),
            None => match entry {
                Some(e) => (
                    format!("m:{}", e.mitigation),
                    e.mitigation.clone(),
                    advice(code, entry),
                    None,
                ),
                None => (
                    format!("u:{code}"),
                    unknown_mitigation(code),
                    Advice::Unknown,
                    None,
                ),
            },
        };
        let g = groups.entry(key).or_default();
        g.mitigation = mitigation;
        // Units sharing a text share its advice, except that a miscellaneous
        // code's "retry" must not demote a specific code's actionable fix.
        g.advice = Some(g.advice.map_or(adv, |a| a.min(adv)));
        g.units.push((code, name, t));
    }
    let mut out: Vec<Remediation> = groups
        .into_values()
        .map(|g| {
            let mut per_code: BTreeMap<Code, u64> = BTreeMap::new();
            let mut per_cause: BTreeMap<&str, u64> = BTreeMap::new();
            for &(code, name, t) in &g.units {
                *per_code.entry(code).or_default() += t.count;
                if let Some(n) = name {
                    *per_cause.entry(n).or_default() += t.count;
                }
            }
            let mut codes: Vec<(Code, u64)> = per_code.into_iter().collect();
            codes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let cause = per_cause
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(n, _)| n.to_string());
            let tallies: Vec<&CodeTally> = g.units.iter().map(|u| u.2).collect();
            let jobs = distinct(tallies.iter().map(|t| (t.jobs.len(), t.jobs.iter())));
            let files = distinct(tallies.iter().map(|t| (t.files.len(), t.files.iter())));
            let top = codes[0].0;
            Remediation {
                rank: 0,
                severity: codes
                    .iter()
                    .map(|c| c.0.severity())
                    .min()
                    .unwrap_or(Severity::Warning),
                advice: g.advice.unwrap_or(Advice::Unknown),
                events: codes.iter().map(|c| c.1).sum(),
                jobs,
                files,
                first: tallies.iter().filter_map(|t| t.first).min(),
                last: tallies.iter().filter_map(|t| t.last).max(),
                example: tallies
                    .iter()
                    .flat_map(|t| t.examples.first())
                    .min()
                    .cloned(),
                title: catalog.get(top).map_or_else(
                    || format!("Unknown status code {top}"),
                    |e| e.message.clone(),
                ),
                cause,
                mitigation: g.mitigation,
                codes,
            }
        })
        .collect();
    out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    for (i, r) in out.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tally::CodeTally;

    proptest::proptest! {
        /// `distinct` counts what a set of all the values holds.
        #[test]
        fn distinct_counts_the_union(
            sets in proptest::collection::vec(
                proptest::collection::btree_set("[a-d]{0,2}", 0..8),
                0..4,
            ),
        ) {
            let owned: Vec<Vec<std::sync::Arc<str>>> = sets
                .iter()
                .map(|s| s.iter().map(|v| std::sync::Arc::from(v.as_str())).collect())
                .collect();
            let union: std::collections::BTreeSet<&String> = sets.iter().flatten().collect();
            let got = distinct(owned.iter().map(|s| (s.len(), s.iter())));
            proptest::prop_assert_eq!(got, union.len());
        }
    }

    fn code(s: &str) -> Code {
        s.parse().unwrap()
    }

    /// A tally of (code, sub-cause name or "", events, job runs) rows.
    fn tally_caused(rows: &[(&str, &str, u64, usize)]) -> Tally {
        let causes = Causes::embedded();
        let mut t = Tally::default();
        for &(c, cause, count, jobs) in rows {
            let id = (!cause.is_empty()).then(|| {
                causes
                    .for_code(code(c))
                    .iter()
                    .find(|(_, r)| r.name == cause)
                    .map(|(id, _)| *id)
                    .unwrap_or_else(|| panic!("no sub-cause {cause} for {c}"))
            });
            let healthy = id.is_some_and(|id| causes.get(id).is_healthy());
            let ct = CodeTally {
                count,
                healthy: if healthy { count } else { 0 },
                jobs: (0..jobs).map(|j| format!("job{j}").into()).collect(),
                ..CodeTally::default()
            };
            *t.codes.entry(code(c)).or_default() += ct.clone();
            t.causes.insert((code(c), id), ct);
        }
        t
    }

    fn tally(rows: &[(&str, u64, usize)]) -> Tally {
        let rows: Vec<_> = rows.iter().map(|&(c, n, j)| (c, "", n, j)).collect();
        tally_caused(&rows)
    }

    fn ranked(t: &Tally) -> Vec<Remediation> {
        rank(t, Catalog::embedded(), Causes::embedded())
    }

    fn order(t: &Tally) -> Vec<Vec<String>> {
        ranked(t)
            .iter()
            .map(|r| r.codes.iter().map(|c| c.0.to_string()).collect())
            .collect()
    }

    #[test]
    fn sub_causes_split_a_code_and_outrank_its_retry_advice() {
        let t = tally_caused(&[
            ("AZSM1060", "", 500, 9),
            ("AZSM1060", "share-full", 3, 1),
            ("AZSM1060", "invalid-resource-name", 40, 2),
            ("AZSM2080", "share-full", 7, 1),
            ("AZSM1043", "", 900, 9),
        ]);
        let r = ranked(&t);
        type Row<'a> = (Option<&'a str>, Advice, Vec<(String, u64)>);
        let got: Vec<Row> = r
            .iter()
            .map(|r| {
                let codes = r.codes.iter().map(|c| (c.0.to_string(), c.1)).collect();
                (r.cause.as_deref(), r.advice, codes)
            })
            .collect();
        let want: Vec<Row> = vec![
            // actionable and broader: 2 job runs
            (
                Some("invalid-resource-name"),
                Advice::Actionable,
                vec![("AZSM1060".into(), 40)],
            ),
            // one fix for the share, whatever code carried the words;
            // critical because AZSM1060 is
            (
                Some("share-full"),
                Advice::Actionable,
                vec![("AZSM2080".into(), 7), ("AZSM1060".into(), 3)],
            ),
            // the catalog's retry advice for what no trigger explained: 1043
            // and 1060's remaining events share nothing, more events first
            (None, Advice::Retry, vec![("AZSM1043".into(), 900)]),
            (None, Advice::Retry, vec![("AZSM1060".into(), 500)]),
        ];
        assert_eq!(got, want);
        assert_eq!(r[1].severity, Severity::Critical);
        assert!(r[1]
            .mitigation
            .starts_with("The target file share is full."));
        assert_eq!(
            r[1].title, "Copy failed due to an unknown error",
            "the most frequent code's message"
        );
        assert!(
            r[3].mitigation.contains("retry the job"),
            "{}",
            r[3].mitigation
        );
    }

    #[test]
    fn healthy_sub_causes_are_never_ranked() {
        let t = tally_caused(&[
            ("AZSM1021", "endpoint-reachable", 4, 1),
            ("AZSM1021", "", 1, 1),
        ]);
        let r = ranked(&t);
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].events, r[0].cause.as_deref()), (1, None));
        let t = tally_caused(&[("AZSM1021", "endpoint-reachable", 4, 1)]);
        assert!(ranked(&t).is_empty());
    }

    #[test]
    fn at_a_tie_the_named_cause_comes_first() {
        let t = tally_caused(&[
            ("AZSM1027", "", 1, 1),
            ("AZSM1027", "target-lease-held", 1, 1),
        ]);
        let causes: Vec<Option<String>> = ranked(&t).into_iter().map(|r| r.cause).collect();
        assert_eq!(causes, [Some("target-lease-held".to_string()), None]);
    }

    #[test]
    fn advice_classification_of_the_published_table() {
        let cat = Catalog::embedded();
        let retry: Vec<String> = cat
            .iter()
            .filter(|(c, e)| advice(*c, Some(e)) == Advice::Retry)
            .map(|(c, _)| c.to_string())
            .collect();
        assert_eq!(
            retry,
            [
                "AZSM1002", "AZSM1020", "AZSM1021", "AZSM1023", "AZSM1040", "AZSM1041", "AZSM1043",
                "AZSM1044", "AZSM1045", "AZSM1060", "AZSM2061", "AZSM2063", "AZSM2071", "AZSM2080"
            ]
        );
        assert_eq!(advice(code("AZSM1099"), None), Advice::Unknown);
    }

    #[test]
    fn a_few_job_failures_outrank_thousands_of_item_failures() {
        let t = tally(&[("AZSM2063", 5000, 9), ("AZSM1045", 2, 1)]);
        assert_eq!(order(&t), [vec!["AZSM1045"], vec!["AZSM2063"]]);
    }

    #[test]
    fn actionable_outranks_retry_at_equal_severity_then_breadth_then_count() {
        // 1043 (retry) is broader and more frequent, 1024 (actionable) wins.
        let t = tally(&[("AZSM1043", 900, 9), ("AZSM1024", 1, 1)]);
        assert_eq!(order(&t), [vec!["AZSM1024"], vec!["AZSM1043"]]);
        // Same severity and advice: more jobs first, even with fewer events.
        let t = tally(&[("AZSM2062", 900, 1), ("AZSM2069", 3, 2)]);
        assert_eq!(order(&t), [vec!["AZSM2069"], vec!["AZSM2062"]]);
        // Same jobs: more events first.
        let t = tally(&[("AZSM2062", 9, 1), ("AZSM2069", 30, 1)]);
        assert_eq!(order(&t), [vec!["AZSM2069"], vec!["AZSM2062"]]);
    }

    #[test]
    fn unknown_codes_are_findings_after_known_advice_of_their_severity() {
        let t = tally(&[
            ("AZSM1099", 50, 5),
            ("AZSM1043", 1, 1),
            ("AZSM7001", 1, 1),
            ("AZSM2062", 1, 1),
        ]);
        assert_eq!(
            order(&t),
            [
                vec!["AZSM1043"],
                vec!["AZSM1099"],
                vec!["AZSM2062"],
                vec!["AZSM7001"]
            ]
        );
        let r = ranked(&t);
        assert_eq!(r[1].title, "Unknown status code AZSM1099");
        assert!(
            r[1].mitigation
                .contains("job scope, reserved range 1081-1100"),
            "{}",
            r[1].mitigation
        );
    }

    #[test]
    fn codes_sharing_a_mitigation_form_one_entry_and_non_findings_none() {
        let t = tally(&[
            ("AZSM1041", 1, 1),
            ("AZSM2080", 7, 2),
            ("AZSM2063", 3, 3),
            ("AZSM0000", 100, 9),
            ("AZSM2001", 10, 1),
            ("AZSM2042", 4, 1),
        ]);
        let r = ranked(&t);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(
            r[0].codes,
            [
                (code("AZSM2080"), 7),
                (code("AZSM2063"), 3),
                (code("AZSM1041"), 1)
            ]
        );
        assert_eq!(r[0].severity, Severity::Critical);
        assert_eq!((r[0].events, r[0].jobs, r[0].rank), (11, 3, 1));
    }
}
