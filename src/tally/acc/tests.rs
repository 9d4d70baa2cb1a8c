//! The accumulator against oracles: the first, cell-by-cell drain, a model
//! of its cells and examples, and new accumulators against pooled ones.

use std::collections::BTreeMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::drain::cause_id;
use super::*;
use crate::model::causes::{CauseId, Hit};
use crate::tally::merge::{max_opt, min_opt};
use crate::tally::{EventRow, Example, Tally, CAUSE_EXAMPLES};

pub(crate) fn ev(
    code: u16,
    job: JobSlot<'static>,
    line: u64,
    time: Option<Millis>,
) -> Event<'static> {
    Event {
        code: Code::new(code).unwrap(),
        job,
        line,
        time,
        text: b"text",
        text_start: 0,
        line_len: 4,
        column: 0,
        cause: None,
        item: None,
    }
}

impl Acc {
    /// A plain [`Acc::drain_into`], one cell at a time
    /// (a job's name made and its tally looked up for each): the
    /// oracle of `draining_is_the_first_versions`.
    fn drain_into_per_cell(
        mut self,
        tally: &mut Tally,
        path: &Arc<str>,
        line_offset: u64,
        carry: Option<&[u8]>,
    ) {
        self.end_runs();
        let name = |i: u32| -> Option<Arc<str>> {
            match i {
                NO_JOB => None,
                PENDING => carry.map(|c| Arc::from(String::from_utf8_lossy(c))),
                i => Some(Arc::from(String::from_utf8_lossy(&self.names[i as usize]))),
            }
        };
        let mut rules = self.rules;
        if carry.is_some() {
            rules.carried += self.pending;
        } else {
            rules.none += self.pending;
        }
        tally.rules += rules;
        tally.window += self.window;
        let mut names: FxHashMap<u32, Option<Arc<str>>> = FxHashMap::default();
        for ((code, job, cause), cell) in self.cells {
            let job = names.entry(job).or_insert_with(|| name(job)).clone();
            tally.add_cell(code, job, cause_id(cause), &cell, path);
        }
        if let Some(records) = self.records {
            tally.events.reserve(records.len());
            for r in records {
                let job = names.entry(r.job).or_insert_with(|| name(r.job)).clone();
                let rule = match (r.job, carry) {
                    (PENDING, None) => "none",
                    _ => r.rule,
                };
                tally.events.push(EventRow {
                    input: 0,
                    path: path.clone(),
                    line: r.line + line_offset,
                    code: r.code,
                    job,
                    rule,
                    time: r.time,
                    cause: cause_id(r.cause),
                    healthy: r.healthy,
                    item: r.item,
                });
            }
        }
        for pc in self.per_code {
            let code = pc.code;
            for (cause, examples) in pc.examples {
                let examples: Vec<Example> = examples
                    .into_iter()
                    .map(|(line, text, matched)| Example {
                        path: path.clone(),
                        line: line + line_offset,
                        text,
                        matched,
                    })
                    .collect();
                // The chunk's examples are in line order: the part keeps
                // its first ones.
                let part = tally.causes.entry((code, cause_id(cause))).or_default();
                part.add_examples(examples.iter().take(CAUSE_EXAMPLES).cloned());
                part.examples.truncate(CAUSE_EXAMPLES);
                tally.codes.entry(code).or_default().add_examples(examples);
            }
            let ct = tally.codes.entry(code).or_default();
            let mine = ct.sites.get_or_insert_with(path, || Site {
                count: 0,
                line: u64::MAX,
            });
            mine.count += pc.site.count;
            mine.line = mine.line.min(pc.site.line + line_offset);
            if let Some(items) = pc.items {
                ct.items.absorb(items, path, line_offset);
            }
        }
    }
}

impl Tally {
    fn add_cell(
        &mut self,
        code: Code,
        job: Option<Arc<str>>,
        cause: Option<CauseId>,
        cell: &Cell,
        path: &Arc<str>,
    ) {
        let healthy = if cell.healthy { cell.count } else { 0 };
        for (whole, ct) in [
            (true, self.codes.entry(code).or_default()),
            (false, self.causes.entry((code, cause)).or_default()),
        ] {
            ct.count += cell.count;
            ct.healthy += healthy;
            ct.first = min_opt(ct.first, cell.first());
            ct.last = max_opt(ct.last, cell.last());
            if !ct.files.contains(path) {
                ct.files.insert(path.clone());
            }
            match &job {
                Some(job) if !whole && !ct.jobs.contains(job) => {
                    ct.jobs.insert(job.clone());
                }
                _ => {}
            }
        }
        match job {
            Some(job) => {
                let jt = self.jobs.entry(job).or_default();
                *jt.codes.entry(code).or_default() += cell.count;
                if code.is_finding() {
                    jt.healthy += healthy;
                }
                jt.first = min_opt(jt.first, cell.first());
                jt.last = max_opt(jt.last, cell.last());
            }
            None => *self.unattributed.entry(code).or_default() += cell.count,
        }
    }
}

pub(crate) fn arb_event() -> impl proptest::strategy::Strategy<Value = Event<'static>> {
    use proptest::prelude::*;
    let job = prop_oneof![
        Just(JobSlot::Pending),
        Just(JobSlot::Agent),
        Just(JobSlot::None),
        (
            proptest::sample::select(vec![&b"J1"[..], b"J2", b"J3", b"bad\xff"]),
            proptest::sample::select(vec![Rule::Line, Rule::Path, Rule::Carried])
        )
            .prop_map(|(id, rule)| JobSlot::Id(id, rule)),
    ];
    (
        proptest::sample::select(vec![0u16, 1, 1024, 1042, 2062, 2063]),
        job,
        1u64..40,
        proptest::option::of(0i64..100),
        proptest::option::of((0u16..3, any::<bool>())),
        proptest::option::of(proptest::sample::select(vec![
            &b"/d/a.txt"[..],
            b"/d/b.txt",
            b"/e/c.txt",
        ])),
    )
        .prop_map(|(code, job, line, time, cause, item)| Event {
            cause: cause.map(|(id, healthy)| Hit {
                id: CauseId(id),
                start: 0,
                end: 4,
                healthy,
            }),
            item,
            ..ev(code, job, line, time)
        })
}

proptest::proptest! {
    /// Draining a chunk's cells in job order, each job's name and
    /// tally found once, gives the tally the plain per-cell drain gives,
    /// into an empty tally or one that holds the jobs already, with
    /// or without a carried key, examples skipped or not, events
    /// recorded or not.
    #[test]
    fn draining_is_the_first_versions(
        before in proptest::collection::vec(arb_event(), 0..12),
        chunk in proptest::collection::vec(arb_event(), 0..24),
        carry in proptest::sample::select(vec![None, Some(&b"J1"[..]), Some(b"J9")]),
        offset in 0u64..100,
        record in proptest::bool::ANY,
        skip in proptest::bool::ANY,
    ) {
        let mut prior = Tally::default();
        let mut acc = Acc::default();
        for e in &before {
            acc.add(e);
        }
        acc.drain_into_per_cell(&mut prior, &Arc::from("a"), 0, Some(b"J2"));
        let make = || {
            let acc = if record { Acc::recording() } else { Acc::default() };
            let mut acc = acc.skipping(skip.then(|| Arc::new(prior.full_before("b"))));
            for e in &chunk {
                acc.add(e);
            }
            acc
        };
        let path: Arc<str> = Arc::from("b");
        let (mut new, mut old) = (prior.clone(), prior.clone());
        make().drain_into(&mut new, &path, offset, carry);
        make().drain_into_per_cell(&mut old, &path, offset, carry);
        proptest::prop_assert_eq!(new, old);
    }
}

#[test]
fn a_big_accumulator_is_not_kept_for_reuse() {
    let pool = AccPool::new();
    let mut big = Acc::default();
    for i in 0..=POOL_ROOM {
        big.intern_new(format!("job-{i}").as_bytes());
    }
    pool.give(big);
    assert_eq!(
        pool.len(),
        0,
        "its room would be held to the end of the run"
    );
    let mut small = Acc::default();
    small.intern_new(b"job-1");
    pool.give(small);
    assert_eq!(pool.len(), 1);
    assert!(pool.take(false).is_empty());
}

#[test]
fn a_pool_keeps_at_most_pool_size() {
    let pool = AccPool::new();
    for _ in 0..POOL_SIZE + 3 {
        pool.give(Acc::default());
    }
    assert_eq!(pool.len(), POOL_SIZE);
    for left in (0..POOL_SIZE).rev() {
        pool.take(false);
        assert_eq!(pool.len(), left);
    }
    // Empty, it makes new ones.
    assert!(pool.take(false).is_empty());
    assert!(pool.is_empty());
}

/// An accumulator given back comes back emptied, its options reset, its
/// tables' room kept, recording as the taker asks.
#[test]
fn a_pool_gives_back_what_it_was_given_emptied() {
    let pool = AccPool::new();
    let mut acc = Acc::recording()
        .keeping_secrets(true)
        .with_stable_ids()
        .skipping(Some(Arc::new(Full::default())));
    // The ids stay where they are while added (stable ids).
    let ids: Vec<String> = (0..100).map(|i| format!("job-{i}")).collect();
    for (i, id) in (0u64..).zip(&ids) {
        acc.add(&Event {
            job: JobSlot::Id(id.as_bytes(), Rule::Line),
            ..ev(1024 + (i % 3) as u16, JobSlot::None, i + 1, Some(i as i64))
        });
    }
    acc.drain(&mut Tally::default(), &Arc::from("f"), 0, None);
    let room = acc.room();
    assert!(room >= 100);
    pool.give(acc);
    let again = pool.take(false);
    assert!(pool.is_empty());
    assert_eq!(again.room(), room, "the same accumulator, its room kept");
    assert!(again.is_empty());
    assert!(again.records.is_none() && !again.keep_secrets && !again.stable_ids);
    assert!(again.full.is_none());
    pool.give(again);
    let recording = pool.take(true);
    assert_eq!(recording.room(), room);
    assert!(recording.records.is_some());
}

proptest::proptest! {
    /// An accumulator drained and filled again (kept, or recycled and
    /// reused) gives what a new one per chunk gives.
    #[test]
    fn a_reused_accumulator_drains_as_a_new_one(
        chunks in proptest::collection::vec(
            proptest::collection::vec(arb_event(), 0..12),
            1..5,
        ),
        record in proptest::bool::ANY,
        recycle in proptest::bool::ANY,
    ) {
        let (mut fresh, mut reused) = (Tally::default(), Tally::default());
        let pool = AccPool::new();
        let mut acc = pool.take(record).with_stable_ids();
        for (i, chunk) in chunks.iter().enumerate() {
            let path: Arc<str> = Arc::from(format!("f{}", i % 2));
            let carry = (i % 3 == 1).then_some(&b"J1"[..]);
            let new = if record { Acc::recording() } else { Acc::default() };
            let mut new = new.with_stable_ids();
            for e in chunk {
                new.add(e);
                acc.add(e);
            }
            new.drain_into(&mut fresh, &path, i as u64, carry);
            acc.drain(&mut reused, &path, i as u64, carry);
            if recycle {
                pool.give(acc);
                acc = pool.take(record).with_stable_ids();
            }
        }
        proptest::prop_assert_eq!(fresh, reused);
    }
}

/// A cell as a model keeps it: count, first and last time, healthy.
type ModelCell = (u64, Option<Millis>, Option<Millis>, bool);
type ModelCells = BTreeMap<(u16, String, u16), ModelCell>;
/// Example lines by code number and sub-cause.
type ModelExamples = BTreeMap<(u16, u16), Vec<u64>>;

/// The cells of `acc` (its runs ended), by code number, job name
/// (`-`: none, `?`: pending) and sub-cause, and its example lines.
fn cells_of(acc: &mut Acc) -> (ModelCells, ModelExamples) {
    acc.end_runs();
    let cells = acc
        .cells
        .iter()
        .map(|(&(code, job, cause), c)| {
            let job = match job {
                NO_JOB => "-".to_string(),
                PENDING => "?".to_string(),
                i => format!("={}", String::from_utf8_lossy(&acc.names[i as usize])),
            };
            (
                (code.number(), job, cause),
                (c.count, c.first(), c.last(), c.healthy),
            )
        })
        .collect();
    let examples = acc
        .per_code
        .iter()
        .flat_map(|pc| {
            pc.examples.iter().map(|(cause, ex)| {
                let lines = ex.iter().map(|e| e.0).collect();
                ((pc.code.number(), *cause), lines)
            })
        })
        .collect();
    (cells, examples)
}

/// The cells and examples `events` make, each event looked up on its
/// own: the oracle of [`Acc::add`]'s (which adds to the code's current
/// run, and passes over sub-causes whose examples are all made).
fn model_cells(events: &[Event<'_>]) -> (ModelCells, ModelExamples) {
    let mut cells = ModelCells::new();
    let mut examples = ModelExamples::new();
    for e in events {
        let job = match e.job {
            JobSlot::Id(id, _) => format!("={}", String::from_utf8_lossy(id)),
            JobSlot::Pending => "?".to_string(),
            JobSlot::Agent | JobSlot::None => "-".to_string(),
        };
        let cause = e.cause.map_or(NO_CAUSE, |h| h.id.0);
        let healthy = e.cause.is_some_and(|h| h.healthy);
        let c = cells
            .entry((e.code.number(), job, cause))
            .or_insert((0, None, None, healthy));
        c.0 += 1;
        c.1 = min_opt(c.1, e.time);
        c.2 = max_opt(c.2, e.time);
        let ex = examples.entry((e.code.number(), cause)).or_default();
        if ex.len() < EXAMPLES {
            ex.push(e.line);
        }
    }
    (cells, examples)
}

proptest::proptest! {
    /// Every event lands in its own `(code, job, sub-cause)` cell and
    /// the first events of each code and sub-cause are its examples,
    /// whether it continues its code's run (repeated events) or not,
    /// in an accumulator drained (and recycled) before.
    #[test]
    fn cells_hold_their_events(
        chunks in proptest::collection::vec(
            proptest::collection::vec((arb_event(), 1usize..5), 0..16),
            1..4,
        ),
        recycle in proptest::bool::ANY,
    ) {
        let pool = AccPool::new();
        let mut acc = pool.take(false).with_stable_ids();
        let mut tally = Tally::default();
        for chunk in &chunks {
            let events: Vec<Event<'static>> = chunk
                .iter()
                .flat_map(|&(e, n)| std::iter::repeat_n(e, n))
                .collect();
            for e in &events {
                acc.add(e);
            }
            let untimed = events.iter().filter(|e| e.time.is_none()).count();
            proptest::prop_assert_eq!(acc.window.untimed, untimed as u64);
            proptest::prop_assert_eq!(cells_of(&mut acc), model_cells(&events));
            acc.drain(&mut tally, &Arc::from("f"), 0, None);
            if recycle {
                pool.give(acc);
                acc = pool.take(false).with_stable_ids();
            }
        }
    }
}

proptest::proptest! {
    /// Job ids get the numbers a plain first-seen numbering gives,
    /// whether found among the recent ids or by their hash: ids that
    /// share their first eight bytes and length, shorter ones, and ids
    /// seen again after a drain (numbered anew).
    #[test]
    fn recent_ids_are_numbered_as_first_seen(
        chunks in proptest::collection::vec(
            proptest::collection::vec(proptest::sample::select(vec![
                &b"abcdefgh-1"[..], b"abcdefgh-2", b"abcdefgh-12", b"abcdefgh", b"abcdefg",
                b"9bd1dbbb-45a1-4261-8990-c90e983a8cfb", b"77df3bbf-d5a7-4718-916b-c3cd4fc88294",
                b"x", b"",
            ]), 0..40),
            1..4,
        ),
    ) {
        let mut acc = Acc::default();
        for chunk in &chunks {
            let mut model: Vec<&[u8]> = Vec::new();
            for &id in chunk {
                let want = match model.iter().position(|&m| m == id) {
                    Some(i) => i,
                    None => {
                        model.push(id);
                        model.len() - 1
                    }
                };
                proptest::prop_assert_eq!(acc.intern_new(id) as usize, want);
                proptest::prop_assert_eq!(&*acc.names[want], id);
            }
            acc.drain(&mut Tally::default(), &Arc::from("f"), 0, None);
        }
    }
}

/// A drained accumulator forgets the addresses of its ids: the next
/// chunk may hold other text there.
#[test]
fn a_drained_accumulator_forgets_id_addresses() {
    let mut buf = *b"job-aaaa";
    let pool = AccPool::new();
    let mut acc = Acc::default().with_stable_ids();
    let add = |acc: &mut Acc, id: &[u8]| {
        acc.add(&Event {
            job: JobSlot::Id(id, Rule::Line),
            ..ev(1024, JobSlot::None, 1, None)
        })
    };
    let mut t = Tally::default();
    add(&mut acc, &buf);
    acc.drain(&mut t, &Arc::from("x"), 0, None);
    pool.give(acc);
    buf.copy_from_slice(b"job-bbbb");
    let mut acc = pool.take(false).with_stable_ids();
    add(&mut acc, &buf);
    acc.drain(&mut t, &Arc::from("x"), 1, None);
    assert_eq!(
        t.jobs.keys().map(|j| &**j).collect::<Vec<_>>(),
        ["job-aaaa", "job-bbbb"]
    );
    // Recycled, it no longer promises stable ids (an export's rows).
    acc.drain(&mut t, &Arc::from("x"), 2, None);
    pool.give(acc);
    let mut acc = pool.take(false);
    buf.copy_from_slice(b"job-cccc");
    add(&mut acc, &buf);
    buf.copy_from_slice(b"job-dddd");
    add(&mut acc, &buf);
    acc.drain(&mut t, &Arc::from("x"), 3, None);
    assert_eq!(t.jobs.len(), 4);
}

pub(crate) fn tally_of(
    path: &str,
    events: &[Event<'static>],
    offset: u64,
    carry: Option<&[u8]>,
) -> Tally {
    let mut acc = Acc::default();
    for e in events {
        acc.add(e);
    }
    let mut t = Tally::default();
    acc.drain_into(&mut t, &Arc::from(path), offset, carry);
    t
}

/// Thousands of job ids of one length, each twice, some differing in
/// one byte only: each its own job (the id table compares bytes after
/// its hashes' short tags, which thousands of ids share).
#[test]
fn many_job_ids_of_one_length_are_told_apart() {
    let ids: Vec<String> = (0..5_000).map(|i| format!("job-{i:05}")).collect();
    let mut acc = Acc::default();
    for round in 0..2u64 {
        for (i, id) in ids.iter().enumerate() {
            let e = Event {
                job: JobSlot::Id(id.as_bytes(), Rule::Line),
                ..ev(1024, JobSlot::None, round * 10_000 + i as u64 + 1, None)
            };
            acc.add(&e);
        }
    }
    // Interned once each (the drain would merge copies by name).
    assert_eq!(acc.names.len(), ids.len());
    let mut t = Tally::default();
    acc.drain_into(&mut t, &Arc::from("a.log"), 0, None);
    assert_eq!(t.jobs.len(), ids.len());
    for id in &ids {
        let jt = &t.jobs[id.as_str()];
        assert_eq!(jt.codes.values().sum::<u64>(), 2, "{id}");
    }
}

/// Ids are known by address only when the caller promises a stable
/// buffer: rewritten in place, the same bytes are another job.
#[test]
fn job_ids_at_one_address_are_told_apart_unless_promised_stable() {
    let mut buf = *b"job-aaaa";
    let mut acc = Acc::default();
    let add = |acc: &mut Acc, id: &[u8]| {
        acc.add(&Event {
            job: JobSlot::Id(id, Rule::Column),
            ..ev(1024, JobSlot::None, 1, None)
        })
    };
    add(&mut acc, &buf);
    buf.copy_from_slice(b"job-bbbb");
    add(&mut acc, &buf);
    let mut t = Tally::default();
    acc.drain_into(&mut t, &Arc::from("x"), 0, None);
    assert_eq!(
        t.jobs.keys().map(|j| &**j).collect::<Vec<_>>(),
        ["job-aaaa", "job-bbbb"]
    );

    let stable = *b"job-cccc";
    let mut acc = Acc::default().with_stable_ids();
    add(&mut acc, &stable);
    add(&mut acc, &stable[..]);
    add(&mut acc, b"job-dddd");
    let mut t = Tally::default();
    acc.drain_into(&mut t, &Arc::from("x"), 0, None);
    assert_eq!(t.jobs["job-cccc"].codes[&Code::new(1024).unwrap()], 2);
    assert_eq!(t.jobs["job-dddd"].codes[&Code::new(1024).unwrap()], 1);
}

#[test]
fn pending_events_take_the_carry_or_nobody() {
    let events = [
        ev(1024, JobSlot::Pending, 1, None),
        ev(1024, JobSlot::Id(b"J", Rule::Line), 2, Some(5)),
    ];
    let t = tally_of("a", &events, 10, Some(b"OLD"));
    assert_eq!(t.jobs["OLD"].codes[&Code::new(1024).unwrap()], 1);
    assert_eq!(t.jobs["J"].first, Some(5));
    assert_eq!((t.rules.carried, t.rules.line), (1, 1));
    assert_eq!(
        t.codes[&Code::new(1024).unwrap()]
            .examples
            .iter()
            .map(|e| e.line)
            .collect::<Vec<_>>(),
        [11, 12]
    );
    let t = tally_of("a", &events, 0, None);
    assert_eq!(t.unattributed[&Code::new(1024).unwrap()], 1);
    assert_eq!(t.rules.none, 1);
}
