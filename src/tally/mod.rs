//! Events in, tallies out.
//!
//! The scanner hands each event to an [`Acc`], a cheap per-chunk accumulator
//! (hash maps keyed by small integers, job ids interned). A finished chunk
//! is drained into a [`Tally`]: per code, per job run, unattributed, per
//! attribution rule, and per code and sub-cause (a generic code splits
//! into as many problems as the words on its lines tell apart). Tallies
//! merge with `+=`, and merging is commutative and
//! associative (sets, sums, minima, maxima, and the first examples in
//! `(path, line)` order), so files and chunks combine in any order, on any
//! number of threads, to the same result.

pub mod items;
mod sink;

use std::collections::BTreeMap;
use std::ops::AddAssign;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use crate::model::causes::CauseId;
use crate::model::code::Code;
use crate::model::error::FileError;
pub use crate::model::event::{Event, JobSlot, Rule, Sink, EXCERPT, REDACT_KEY, REDACT_LOOKBACK};
use crate::model::timestamp::Millis;
use crate::tally::items::{ItemAcc, Items};
use crate::util::sorted::{SortedMap, SortedSet};

/// How many example locations are kept per code.
pub const EXAMPLES: usize = 3;
/// How many per code and sub-cause (a remediation shows its first).
pub const CAUSE_EXAMPLES: usize = 1;

/// Events per attribution rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RuleCounts {
    /// Rule 1.
    pub line: u64,
    /// Rule 2.
    pub path: u64,
    /// Rule 3.
    pub carried: u64,
    /// Structured records (exports, job-run JSON).
    pub column: u64,
    /// Rule 4, job-scope and item-scope events.
    pub none: u64,
    /// Agent-level events, never attributed.
    pub agent: u64,
}

/// Events the time window left out, or could not place.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WindowCounts {
    /// Events outside `--since`/`--until`: not counted anywhere else.
    pub outside: u64,
    /// Counted events whose line has no time.
    pub untimed: u64,
}

const NO_JOB: u32 = u32::MAX;
const PENDING: u32 = u32::MAX - 1;
const NO_CAUSE: u16 = u16::MAX;
/// Slots of [`Acc`]'s recent job ids (a power of two).
const RECENT: usize = 16;
/// How many codes there are (`AZSM0000` to `AZSM9999`).
const CODES: usize = 10_000;

/// A `(code, job, sub-cause)` cell of a chunk. Its times are plain numbers
/// (with `timed` saying whether there are any) rather than options: 32
/// bytes instead of 48, and a time is two `min`/`max`, without branches.
#[derive(Clone, Copy, Debug)]
struct Cell {
    count: u64,
    /// The earliest time, when `timed`.
    earliest: Millis,
    /// The latest time, when `timed`.
    latest: Millis,
    timed: bool,
    healthy: bool,
}

impl Cell {
    fn new(healthy: bool) -> Cell {
        Cell {
            count: 0,
            earliest: Millis::MAX,
            latest: Millis::MIN,
            timed: false,
            healthy,
        }
    }

    /// The earliest time of its events, if any had one.
    fn first(&self) -> Option<Millis> {
        self.timed.then_some(self.earliest)
    }

    /// The latest time of its events, if any had one.
    fn last(&self) -> Option<Millis> {
        self.timed.then_some(self.latest)
    }
}

/// An example line before its file line number is known: chunk line, text
/// around the code, the sub-cause's words.
type Sample = (u64, String, Option<String>);
/// One recorded event, kept only when a per-event format is asked for.
#[derive(Clone, Debug)]
struct Rec {
    line: u64,
    code: Code,
    job: u32,
    rule: &'static str,
    time: Option<Millis>,
    cause: u16,
    healthy: bool,
    item: Option<Box<str>>,
}

/// One event with everything resolved, for the per-event formats
/// (`ndjson`, `csv`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRow {
    /// Position of its input in the scan's input list (output order).
    pub input: u32,
    /// Display path of the input.
    pub path: Arc<str>,
    /// 1-based line number.
    pub line: u64,
    /// The code.
    pub code: Code,
    /// Its job run, if attributed.
    pub job: Option<Arc<str>>,
    /// The attribution rule: `line`, `path`, `carried`, `column`, `none` or `agent`.
    pub rule: &'static str,
    /// The time at the start of its line.
    pub time: Option<Millis>,
    /// Its sub-cause.
    pub cause: Option<CauseId>,
    /// Whether that sub-cause is healthy (the event is then no finding).
    pub healthy: bool,
    /// The item path, for item-scope codes that name one.
    pub item: Option<Box<str>>,
}

/// A per-chunk accumulator; see the module docs.
///
/// An event costs at most two hash look-ups, on small keys or short ids:
/// its job id (interned) and its `(code, job, cause)` cell; and a look at
/// its code's slot, a table by code number, which holds everything else
/// kept per code. The slot holds the cell of the code's current run of
/// events of one job and sub-cause too: an event that continues the run
/// (a dense copy log's `AZSM0000`, an agent's runs of one job) adds to it
/// there, and only a new run puts the last one into its cell. A file scan
/// recycles the
/// accumulators it drains for the next chunks its thread scans
/// ([`Acc::recycle`]), so their tables are not made anew for each small
/// file.
#[derive(Debug, Default)]
pub struct Acc {
    /// The job ids' numbers, their places in `names`; the two share each
    /// id's one copy.
    ids: FxHashMap<Arc<[u8]>, u32>,
    names: Vec<Arc<[u8]>>,
    cells: FxHashMap<(Code, u32, u16), Cell>,
    /// Each code's place in `per_code`, plus one (0: none yet), by code
    /// number: made at the first event (10,000 entries, 20 KB), emptied
    /// entry by entry as `per_code` is.
    slots: Vec<u16>,
    per_code: Vec<CodeAcc>,
    rules: RuleCounts,
    pending: u64,
    window: WindowCounts,
    records: Option<Vec<Rec>>,
    keep_secrets: bool,
    /// Examples this input cannot improve on; see [`Full`].
    full: Option<Arc<Full>>,
    /// The address and length of the last job id interned, and its number
    /// (ids are slices of the chunk, which does not change while it is
    /// scanned).
    last_id: Option<((usize, usize), u32)>,
    /// Job ids interned lately, by their first eight bytes and length
    /// ([`RECENT`] slots): a copy log's keyed lines name a few concurrent
    /// jobs, each at its own address, and a look here (checked against
    /// `names`) costs less than hashing the id.
    recent: [(u64, usize, u32); RECENT],
    /// Whether the job ids given to it stay at their addresses, unchanged,
    /// for its whole life (see [`Acc::with_stable_ids`]).
    stable_ids: bool,
    /// Room the drain reuses: the cells in job order, the jobs' names.
    sorted: Vec<((Code, u32, u16), Cell)>,
    named: Vec<Option<Option<Arc<str>>>>,
}

thread_local! {
    /// Drained accumulators kept for the next chunks this thread scans
    /// ([`Acc::recycle`], [`Acc::reused`]).
    static POOL: std::cell::RefCell<Vec<Acc>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// How many drained accumulators a thread keeps, and how many job ids or
/// cells one may have held to be kept: a chunk with a million job ids
/// must not keep its tables' room to the end of the run.
const POOL_SIZE: usize = 2;
const POOL_ROOM: usize = 4096;

/// What a chunk keeps per code besides its cells.
#[derive(Debug)]
struct CodeAcc {
    code: Code,
    /// Events and first chunk line.
    site: Site,
    /// The first [`EXAMPLES`] lines per sub-cause ([`NO_CAUSE`]: none).
    examples: Vec<(u16, Vec<Sample>)>,
    items: Option<ItemAcc>,
    /// The job, sub-cause and events of the code's current run of events
    /// with that job and sub-cause, not yet in [`Acc::cells`]
    /// ([`Acc::end_runs`]).
    run: Option<(u32, u16, Cell)>,
    /// A sub-cause whose examples are all made or skipped ([`Full`]): its
    /// events need not look (examples are only added).
    full_cause: Option<u16>,
}

impl Acc {
    /// Keeps secret values in this accumulator's excerpts (`--no-redact`);
    /// by default they are redacted.
    pub fn keeping_secrets(mut self, keep: bool) -> Acc {
        self.keep_secrets = keep;
        self
    }

    /// Promises that the job ids of its events are slices of one buffer
    /// that neither moves nor changes while events are added (a chunk
    /// being scanned), so that an id can be known by its address. Rows
    /// parsed into fresh strings (exports) must not promise it: a freed
    /// string's address comes back with other text.
    pub fn with_stable_ids(mut self) -> Acc {
        self.stable_ids = true;
        self
    }

    /// Skips the examples that `full` says cannot make it into the report.
    pub fn skipping(mut self, full: Option<Arc<Full>>) -> Acc {
        self.full = full;
        self
    }

    /// An accumulator that also keeps every event (for `ndjson`/`csv`);
    /// [`Acc::default`] keeps tallies only and costs nothing per event.
    pub fn recording() -> Acc {
        Acc {
            records: Some(Vec::new()),
            ..Acc::default()
        }
    }

    /// An empty accumulator, [`Acc::recording`] or [`Acc::default`] as
    /// `record` says: one this thread drained and recycled when there is
    /// one (its tables keep their room, so a small file's chunk allocates
    /// little), else a new one. Either way it is the same as a new one.
    pub fn reused(record: bool) -> Acc {
        let mut acc = POOL.with(|p| p.borrow_mut().pop()).unwrap_or_default();
        if record {
            acc.records = Some(Vec::new());
        }
        acc
    }

    /// Keeps this drained accumulator for this thread's next
    /// [`Acc::reused`] (or drops it, when the thread keeps enough or its
    /// tables grew past `POOL_ROOM` entries).
    pub fn recycle(mut self) {
        if self.room() > POOL_ROOM {
            return;
        }
        self.reset();
        POOL.with(|p| {
            let mut pool = p.borrow_mut();
            if pool.len() < POOL_SIZE {
                pool.push(self);
            }
        });
    }

    /// The most entries one of its growing tables has room for.
    fn room(&self) -> usize {
        [
            self.ids.capacity(),
            self.names.capacity(),
            self.cells.capacity(),
            self.sorted.capacity(),
            self.named.capacity(),
        ]
        .into_iter()
        .max()
        .unwrap_or(0)
    }

    /// Empties it and sets its options back to the defaults, keeping the
    /// room of its tables.
    fn reset(&mut self) {
        let Acc {
            ids,
            names,
            cells,
            slots,
            per_code,
            rules,
            pending,
            window,
            records,
            keep_secrets,
            full,
            last_id,
            recent,
            stable_ids,
            sorted,
            named,
        } = self;
        ids.clear();
        names.clear();
        cells.clear();
        for pc in per_code.drain(..) {
            if let Some(slot) = slots.get_mut(usize::from(pc.code.number())) {
                *slot = 0;
            }
        }
        *rules = RuleCounts::default();
        *pending = 0;
        *window = WindowCounts::default();
        *records = None;
        *keep_secrets = false;
        *full = None;
        *last_id = None;
        *recent = [(0, 0, 0); RECENT];
        *stable_ids = false;
        sorted.clear();
        named.clear();
    }

    /// Records one event.
    pub fn add(&mut self, ev: &Event<'_>) {
        // Item paths are log text too: redacted like excerpts.
        let item = ev.item.map(|p| {
            if self.keep_secrets {
                std::borrow::Cow::Borrowed(p)
            } else {
                crate::util::redact::apply(p)
            }
        });
        let (job, rule) = match ev.job {
            JobSlot::Id(id, rule) => {
                let name = match rule {
                    Rule::Line => {
                        self.rules.line += 1;
                        "line"
                    }
                    Rule::Path => {
                        self.rules.path += 1;
                        "path"
                    }
                    Rule::Carried => {
                        self.rules.carried += 1;
                        "carried"
                    }
                    Rule::Column => {
                        self.rules.column += 1;
                        "column"
                    }
                    Rule::None => {
                        self.rules.none += 1;
                        "none"
                    }
                };
                (self.intern(id), name)
            }
            JobSlot::Pending => {
                self.pending += 1;
                (PENDING, "carried")
            }
            JobSlot::Agent => {
                self.rules.agent += 1;
                (NO_JOB, "agent")
            }
            JobSlot::None => {
                self.rules.none += 1;
                (NO_JOB, "none")
            }
        };
        if let Some(records) = &mut self.records {
            records.push(Rec {
                line: ev.line,
                code: ev.code,
                job,
                rule,
                time: ev.time,
                cause: ev.cause.map_or(NO_CAUSE, |h| h.id.0),
                healthy: ev.cause.is_some_and(|h| h.healthy),
                item: item.as_deref().map(|p| match std::str::from_utf8(p) {
                    // Valid (nearly always): checked at word speed.
                    Ok(p) => p.into(),
                    Err(_) => String::from_utf8_lossy(p).into(),
                }),
            });
        }
        let cause = ev.cause.map_or(NO_CAUSE, |h| h.id.0);
        if self.slots.is_empty() {
            self.slots = vec![0; CODES];
        }
        // A code number is at most 9999 (`Code::new`): always in the table.
        let at = usize::from(ev.code.number());
        let slot = match self.slots[at] {
            0 => {
                let slot = self.per_code.len();
                // At most 10,000 codes: a place fits in a u16.
                self.slots[at] = slot as u16 + 1;
                self.per_code.push(CodeAcc {
                    code: ev.code,
                    site: Site {
                        count: 0,
                        line: ev.line,
                    },
                    examples: Vec::new(),
                    items: None,
                    run: None,
                    full_cause: None,
                });
                slot
            }
            slot => usize::from(slot) - 1,
        };
        let full = self.full.as_deref();
        let pc = &mut self.per_code[slot];
        pc.site.count += 1;
        pc.site.line = pc.site.line.min(ev.line);
        let cell = match &mut pc.run {
            Some((j, c, cell)) if *j == job && *c == cause => cell,
            run => {
                if let Some((j, c, cell)) = run.take() {
                    put_cell(&mut self.cells, (pc.code, j, c), cell);
                }
                let healthy = ev.cause.is_some_and(|h| h.healthy);
                &mut run.insert((job, cause, Cell::new(healthy))).2
            }
        };
        cell.count += 1;
        match ev.time {
            Some(t) => {
                cell.earliest = cell.earliest.min(t);
                cell.latest = cell.latest.max(t);
                cell.timed = true;
            }
            None => self.window.untimed += 1,
        }
        if pc.full_cause != Some(cause) {
            let examples = match pc.examples.iter().position(|(c, _)| *c == cause) {
                Some(i) => &mut pc.examples[i].1,
                None => {
                    pc.examples.push((cause, Vec::new()));
                    let last = pc.examples.len() - 1;
                    &mut pc.examples[last].1
                }
            };
            let skip = full.is_some_and(|f| f.examples(ev.code, cause));
            if examples.len() < EXAMPLES && !skip {
                let matched = ev
                    .cause
                    .map(|h| excerpt(&ev.text[h.start..h.end], 0, !self.keep_secrets));
                examples.push((
                    ev.line,
                    excerpt_of(
                        ev.text,
                        ev.text_start,
                        ev.line_len,
                        ev.column,
                        !self.keep_secrets,
                    ),
                    matched,
                ));
            }
            if skip || examples.len() >= EXAMPLES {
                pc.full_cause = Some(cause);
            }
        }
        if let Some(item) = &item {
            pc.items
                .get_or_insert_with(|| {
                    ItemAcc::reused().keeping_examples(!full.is_some_and(|f| f.items(ev.code)))
                })
                .add(item, ev.line);
        }
    }

    /// Records an event that the time window leaves out.
    pub fn add_outside(&mut self) {
        self.window.outside += 1;
    }

    fn intern(&mut self, id: &[u8]) -> u32 {
        // Rule 3 hands every line the same key, the same bytes of the
        // chunk: known by address, without hashing them again.
        if !self.stable_ids {
            return self.intern_new(id);
        }
        let at = (id.as_ptr() as usize, id.len());
        if let Some((last, i)) = self.last_id {
            if last == at {
                return i;
            }
        }
        let i = self.intern_new(id);
        self.last_id = Some((at, i));
        i
    }

    fn intern_new(&mut self, id: &[u8]) -> u32 {
        let prefix = id.first_chunk::<8>().map(|p| u64::from_le_bytes(*p));
        let slot = prefix.map(|p| {
            let (p, i) = (p ^ id.len() as u64, 0x9e37_79b9_7f4a_7c15);
            (p.wrapping_mul(i) >> (64 - RECENT.trailing_zeros())) as usize % RECENT
        });
        if let (Some(p), Some(slot)) = (prefix, slot) {
            let (q, len, i) = self.recent[slot];
            if q == p && len == id.len() && self.names.get(i as usize).is_some_and(|n| **n == *id) {
                return i;
            }
        }
        let i = self.intern_by_hash(id);
        if let (Some(p), Some(slot)) = (prefix, slot) {
            self.recent[slot] = (p, id.len(), i);
        }
        i
    }

    fn intern_by_hash(&mut self, id: &[u8]) -> u32 {
        if let Some(&i) = self.ids.get(id) {
            return i;
        }
        let i = u32::try_from(self.names.len())
            .unwrap_or(NO_JOB - 2)
            .min(NO_JOB - 2);
        // One allocation and copy of a new id, not one each.
        let id: Arc<[u8]> = id.into();
        self.ids.insert(id.clone(), i);
        self.names.push(id);
        i
    }

    /// Puts each code's current run into its cell.
    fn end_runs(&mut self) {
        for pc in &mut self.per_code {
            if let Some((job, cause, cell)) = pc.run.take() {
                put_cell(&mut self.cells, (pc.code, job, cause), cell);
            }
        }
    }

    /// True when no event was recorded.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty() && self.per_code.is_empty()
    }

    /// Moves everything into `tally`: lines shift by `line_offset`, pending
    /// events go to `carry` (rule 3) or, without one, to nobody (rule 4).
    pub fn drain_into(
        mut self,
        tally: &mut Tally,
        path: &Arc<str>,
        line_offset: u64,
        carry: Option<&[u8]>,
    ) {
        self.drain(tally, path, line_offset, carry);
    }

    /// [`Acc::drain_into`], leaving the accumulator empty (and its options
    /// as they were), to be [recycled](Acc::recycle).
    pub fn drain(
        &mut self,
        tally: &mut Tally,
        path: &Arc<str>,
        line_offset: u64,
        carry: Option<&[u8]>,
    ) {
        self.end_runs();
        let mut rules = self.rules;
        if carry.is_some() {
            rules.carried += self.pending;
        } else {
            rules.none += self.pending;
        }
        tally.rules += rules;
        tally.window += self.window;
        // Each job's name is made once (shared with the tally's key when
        // the tally has the job already), and its job tally looked up once
        // for all its cells: the cells go in job order.
        let mut names = std::mem::take(&mut self.named);
        names.clear();
        names.resize(self.names.len() + 1, None);
        let mut cells = std::mem::take(&mut self.sorted);
        cells.clear();
        cells.extend(self.cells.drain());
        cells.sort_unstable_by_key(|&((code, job, cause), _)| (job, code, cause));
        let Tally {
            codes,
            causes,
            jobs,
            unattributed,
            ..
        } = tally;
        for run in cells.chunk_by(|a, b| a.0 .1 == b.0 .1) {
            let job = run[0].0 .1;
            let id = match job {
                NO_JOB => None,
                PENDING => carry,
                i => Some(&*self.names[i as usize]),
            };
            let mut jt = None;
            let name = id.map(|id| {
                let id = String::from_utf8_lossy(id);
                let name = match jobs.get_key_value(&*id) {
                    Some((name, _)) => name.clone(),
                    None => Arc::from(&*id),
                };
                let t = jobs.entry(name.clone()).or_default();
                jt = Some(t);
                name
            });
            for &((code, _, cause), ref cell) in run {
                add_to_code(
                    codes,
                    causes,
                    code,
                    cause_id(cause),
                    name.as_ref(),
                    cell,
                    path,
                );
                match &mut jt {
                    Some(jt) => add_to_job(jt, code, cell),
                    None => *unattributed.entry(code).or_default() += cell.count,
                }
            }
            if job != NO_JOB {
                names[(job as usize).min(self.names.len())] = Some(name);
            }
        }
        let name_of = |job: u32| match job {
            NO_JOB => None,
            i => names[(i as usize).min(self.names.len())].clone().flatten(),
        };
        let was_recording = self.records.is_some();
        if let Some(records) = self.records.take() {
            tally.events.reserve(records.len());
            for r in records {
                let job = name_of(r.job);
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
        for pc in self.per_code.drain(..) {
            let code = pc.code;
            if let Some(slot) = self.slots.get_mut(usize::from(code.number())) {
                *slot = 0;
            }
            for (cause, examples) in pc.examples {
                if examples.is_empty() {
                    // Skipped ([`Full`]): the cells made the code and the part.
                    continue;
                }
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
        // Empty again, with the room of its tables and its options.
        let record = was_recording;
        cells.clear();
        names.clear();
        self.sorted = cells;
        self.named = names;
        self.ids.clear();
        self.names.clear();
        self.last_id = None;
        self.recent = [(0, 0, 0); RECENT];
        self.rules = RuleCounts::default();
        self.pending = 0;
        self.window = WindowCounts::default();
        self.records = record.then(Vec::new);
    }
}

/// Adds `cell`, a run of events, to the cell `key` of `cells`.
fn put_cell(cells: &mut FxHashMap<(Code, u32, u16), Cell>, key: (Code, u32, u16), cell: Cell) {
    match cells.entry(key) {
        std::collections::hash_map::Entry::Occupied(mut mine) => {
            let mine = mine.get_mut();
            mine.count += cell.count;
            mine.earliest = mine.earliest.min(cell.earliest);
            mine.latest = mine.latest.max(cell.latest);
            mine.timed |= cell.timed;
        }
        std::collections::hash_map::Entry::Vacant(new) => {
            new.insert(cell);
        }
    }
}

/// What an input cannot add to a tally's examples: the codes (and code and
/// sub-cause pairs) whose examples are all taken already by inputs whose
/// paths sort before it, and the codes whose item examples are. Examples
/// are the first in `(path, line)` order, and every path in an input
/// (archive entries too) starts with the input's path, so scanning the
/// input can skip making them (an excerpt, redaction, a copy each) without
/// changing the result. Built by [`Tally::full_before`].
#[derive(Debug, Default)]
pub struct Full {
    examples: FxHashSet<(Code, u16)>,
    items: FxHashSet<Code>,
}

impl Full {
    /// Whether examples of `code` with sub-cause `cause` are all taken.
    fn examples(&self, code: Code, cause: u16) -> bool {
        self.examples.contains(&(code, cause))
    }

    /// Whether item examples of `code` are all taken.
    fn items(&self, code: Code) -> bool {
        self.items.contains(&code)
    }

    /// Adds what `other` says is taken.
    pub fn extend(&mut self, other: &Full) {
        self.examples.extend(other.examples.iter().copied());
        self.items.extend(other.items.iter().copied());
    }
}

/// Adds a cell to its code's tally and to its sub-cause's part.
fn add_to_code(
    codes: &mut BTreeMap<Code, CodeTally>,
    causes: &mut BTreeMap<(Code, Option<CauseId>), CodeTally>,
    code: Code,
    cause: Option<CauseId>,
    job: Option<&Arc<str>>,
    cell: &Cell,
    path: &Arc<str>,
) {
    let healthy = if cell.healthy { cell.count } else { 0 };
    let add = |ct: &mut CodeTally| {
        ct.count += cell.count;
        ct.healthy += healthy;
        ct.first = min_opt(ct.first, cell.first());
        ct.last = max_opt(ct.last, cell.last());
        // One comparison: the path is cloned only when it is new to the set.
        ct.files.insert_cloned(path);
    };
    add(codes.entry(code).or_default());
    let part = causes.entry((code, cause)).or_default();
    add(part);
    // The sub-cause's job set only: a code's own are those of `Tally::jobs`
    // (see `CodeTally::jobs`). One hash: the name is cloned only when new.
    if let Some(job) = job {
        part.jobs.get_or_insert_with(&**job, |_| job.clone());
    }
}

/// Adds a cell of `code` to its job's tally.
fn add_to_job(jt: &mut JobTally, code: Code, cell: &Cell) {
    *jt.codes.entry(code).or_default() += cell.count;
    if code.is_finding() && cell.healthy {
        jt.healthy += cell.count;
    }
    jt.first = min_opt(jt.first, cell.first());
    jt.last = max_opt(jt.last, cell.last());
}

fn cause_id(raw: u16) -> Option<CauseId> {
    (raw != NO_CAUSE).then_some(CauseId(raw))
}

/// Where a code was seen.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Example {
    /// Display path of the input.
    pub path: Arc<str>,
    /// 1-based line number.
    pub line: u64,
    /// The line, cut to about [`EXCERPT`] characters around the code.
    pub text: String,
    /// The words of the line that gave the event its sub-cause.
    pub matched: Option<String>,
}

/// A code in one input: its events there and its first line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Site {
    /// Events in the input.
    pub count: u64,
    /// The first line (1-based) it is on.
    pub line: u64,
}

/// A set of job runs (`hashbrown`'s, for its one-hash
/// [`get_or_insert_with`](hashbrown::HashSet::get_or_insert_with)).
pub type JobSet = hashbrown::HashSet<Arc<str>, rustc_hash::FxBuildHasher>;

/// Everything known about one code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CodeTally {
    /// Events.
    pub count: u64,
    /// Of which a healthy sub-cause says they are not errors.
    pub healthy: u64,
    /// Job runs it was attributed to, kept for a sub-cause's part
    /// ([`Tally::causes`]) only. A code's own job runs are those whose
    /// tally in [`Tally::jobs`] counts it (every cell drained with a job
    /// adds to both; the report counts them from its job rows): one set
    /// fewer to fill for every cell drained and to merge at the end (about
    /// 2% of the tree benchmark's time). Empty in [`Tally::codes`].
    pub jobs: JobSet,
    /// Inputs it was seen in.
    pub files: SortedSet<Arc<str>>,
    /// Earliest time on one of its lines.
    pub first: Option<Millis>,
    /// Latest time on one of its lines.
    pub last: Option<Millis>,
    /// The first [`EXAMPLES`] locations in `(path, line)` order.
    pub examples: Vec<Example>,
    /// The item paths of its events, for item-scope codes.
    pub items: Items,
    /// Per input: events and first line (one SARIF result each).
    pub sites: SortedMap<Arc<str>, Site>,
}

impl CodeTally {
    fn add_examples(&mut self, more: impl IntoIterator<Item = Example>) {
        let same = |a: &Example, b: &Example| a.path == b.path && a.line == b.line;
        // Examples read back from a report may come in any order.
        if !self
            .examples
            .windows(2)
            .all(|w| w[0] < w[1] && !same(&w[0], &w[1]))
        {
            self.examples.sort();
            self.examples.dedup_by(|a, b| same(a, b));
        }
        keep_smallest(&mut self.examples, more, EXAMPLES, same);
    }
}

/// Everything known about one job run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobTally {
    /// Events per code.
    pub codes: BTreeMap<Code, u64>,
    /// Events of finding codes that a healthy sub-cause says are not errors.
    pub healthy: u64,
    /// Earliest time on one of its lines.
    pub first: Option<Millis>,
    /// Latest time on one of its lines.
    pub last: Option<Millis>,
    /// What job-run JSON said about the run.
    pub run: RunInfo,
}

/// What `az storage-mover job-run show` says about a run. Fields merge by
/// taking the known value, or the larger of two, so that merging stays
/// order-independent (two documents about one run normally agree).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunInfo {
    /// `status`, e.g. `Failed`.
    pub status: Option<String>,
    /// `agentName`.
    pub agent: Option<String>,
    /// `executionStartTime`.
    pub start: Option<Millis>,
    /// `executionEndTime`.
    pub end: Option<Millis>,
    /// `itemsFailed`.
    pub items_failed: Option<u64>,
    /// `itemsTransferred`.
    pub items_transferred: Option<u64>,
}

impl RunInfo {
    /// Whether anything is known.
    pub fn is_known(&self) -> bool {
        *self != RunInfo::default()
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

/// What the scan did, apart from events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ScanStats {
    /// Inputs scanned (fully or partly).
    pub files: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Inputs skipped because they look binary.
    pub skipped_binary: u64,
}

/// The mergeable result of a scan; see the module docs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Per code.
    pub codes: BTreeMap<Code, CodeTally>,
    /// Per code and sub-cause (`None`: no trigger matched), with
    /// [`CAUSE_EXAMPLES`] examples each and no `sites`.
    pub causes: BTreeMap<(Code, Option<CauseId>), CodeTally>,
    /// Per job run id.
    pub jobs: BTreeMap<Arc<str>, JobTally>,
    /// Events with no job run, per code.
    pub unattributed: BTreeMap<Code, u64>,
    /// Events per attribution rule.
    pub rules: RuleCounts,
    /// Events the time window left out or could not place.
    pub window: WindowCounts,
    /// Files and bytes.
    pub stats: ScanStats,
    /// Inputs that failed.
    pub errors: Vec<FileError>,
    /// Every event, only when recording (see [`Acc::recording`]); in input
    /// order once [`Tally::sort_events`] has run.
    pub events: Vec<EventRow>,
}

impl Tally {
    /// Marks every recorded event as coming from input number `input`.
    pub fn set_input(&mut self, input: u32) {
        for e in &mut self.events {
            e.input = input;
        }
    }

    /// Puts recorded events in input order, then line order (stable: the
    /// codes of one line stay in code order).
    pub fn sort_events(&mut self) {
        self.events.sort_by_key(|e| (e.input, e.line));
    }

    /// What an input shown as `path` cannot add to this tally's examples
    /// (see [`Full`]).
    pub fn full_before(&self, path: &str) -> Full {
        self.full_upto(path, false)
    }

    /// What the rest of the input shown as `path` cannot add, when this
    /// tally holds its lines so far (and any inputs before it): its later
    /// lines sort after every example taken at `path`.
    pub fn full_through(&self, path: &str) -> Full {
        self.full_upto(path, true)
    }

    fn full_upto(&self, path: &str, at_too: bool) -> Full {
        let before =
            |e: Option<&Arc<str>>| e.is_some_and(|p| &**p < path || (at_too && &**p == path));
        let mut full = Full::default();
        for ((code, cause), part) in &self.causes {
            let Some(ct) = self.codes.get(code) else {
                continue;
            };
            // A chunk's examples serve both the code and the part.
            if ct.examples.len() >= EXAMPLES
                && before(ct.examples.last().map(|e| &e.path))
                && part.examples.len() >= CAUSE_EXAMPLES
                && before(part.examples.last().map(|e| &e.path))
            {
                full.examples
                    .insert((*code, cause.map_or(NO_CAUSE, |c| c.0)));
            }
        }
        for (code, ct) in &self.codes {
            let items = &ct.items.examples;
            if items.len() >= crate::tally::items::MAX_EXAMPLES
                && before(items.last().map(|e| &e.0))
            {
                full.items.insert(*code);
            }
        }
        full
    }

    /// Total events.
    pub fn events(&self) -> u64 {
        self.codes.values().map(|c| c.count).sum()
    }
}

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

fn min_opt(a: Option<Millis>, b: Option<Millis>) -> Option<Millis> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<Millis>, b: Option<Millis>) -> Option<Millis> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
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
    /// (`read::scan_all_into`), which the other threads would otherwise
    /// wait for. Measured on the tree benchmark: 5.8-7.5 ms on one thread,
    /// 3.0-4.1 ms on two. The result is the same as `+=`'s.
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
        self.events.extend(o.events);
    }
}

/// A line cut to about [`EXCERPT`] characters, keeping the code in view,
/// with secret values replaced by `<redacted>` unless `redact` is false
/// (see [`crate::util::redact`]). Every piece of log text in a report is made
/// here.
pub fn excerpt(text: &[u8], column: usize, redact: bool) -> String {
    excerpt_of(text, 0, text.len(), column, redact)
}

/// [`excerpt`] of a `len`-byte line of which only `text`, starting at line
/// offset `at`, is at hand; `text` must cover the excerpt (the line from
/// about [`EXCERPT`] bytes before `column` to as many after it).
pub fn excerpt_of(text: &[u8], at: usize, len: usize, column: usize, redact: bool) -> String {
    let have = at + text.len();
    let byte = |i: usize| if i >= at && i < have { text[i - at] } else { 0 };
    let (start, end) = if len <= EXCERPT {
        (0, len)
    } else {
        let start = column.saturating_sub(EXCERPT / 4).min(len - EXCERPT);
        // Move off UTF-8 continuation bytes so the cut does not split a character.
        let start = (start..column.max(start))
            .find(|&i| byte(i) & 0xC0 != 0x80)
            .unwrap_or(start);
        let mut end = (start + EXCERPT).min(len);
        while end < len && end > start && byte(end) & 0xC0 == 0x80 {
            end -= 1;
        }
        (start, end)
    };
    // Only what is at hand can be shown (always all of it, for callers
    // that keep to the contract above).
    let (start, end) = (start.max(at), end.min(have).max(start.max(at)));
    let mut s = String::new();
    if start > 0 {
        s.push('…');
    }
    let mut cur = start;
    if redact {
        // Look back over the word the cut falls in and a little more, so a
        // value whose key lies before the cut is still found.
        let floor = start.saturating_sub(REDACT_LOOKBACK).max(at);
        let word = text[floor - at..start - at]
            .iter()
            .rposition(u8::is_ascii_whitespace)
            .map_or(floor, |p| floor + p);
        let lo = word.saturating_sub(REDACT_KEY).max(at);
        for (a, b) in crate::util::redact::spans(&text[lo - at..end - at]) {
            let (a, b) = ((lo + a).max(start), (lo + b).min(end));
            if a >= b {
                continue;
            }
            s.push_str(&String::from_utf8_lossy(&text[cur - at..a - at]));
            s.push_str("<redacted>");
            cur = b;
        }
    }
    s.push_str(&String::from_utf8_lossy(&text[cur - at..end - at]));
    if end < len {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::causes::Hit;

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

    fn ev(code: u16, job: JobSlot<'static>, line: u64, time: Option<Millis>) -> Event<'static> {
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
        /// The first version of [`Acc::drain_into`], one cell at a time
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

    fn arb_event() -> impl proptest::strategy::Strategy<Value = Event<'static>> {
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
        /// tally found once, gives the tally the first version gives,
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
        let kept = || POOL.with(|p| p.borrow().len());
        POOL.with(|p| p.borrow_mut().clear());
        let mut big = Acc::default();
        for i in 0..=POOL_ROOM {
            big.intern_new(format!("job-{i}").as_bytes());
        }
        big.recycle();
        assert_eq!(kept(), 0, "its room would be held to the end of the run");
        let mut small = Acc::default();
        small.intern_new(b"job-1");
        small.recycle();
        assert_eq!(kept(), 1);
        assert!(Acc::reused(false).is_empty());
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
            let mut acc = Acc::reused(record).with_stable_ids();
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
                    acc.recycle();
                    acc = Acc::reused(record).with_stable_ids();
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
            let mut acc = Acc::reused(false).with_stable_ids();
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
                    acc.recycle();
                    acc = Acc::reused(false).with_stable_ids();
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
        acc.recycle();
        buf.copy_from_slice(b"job-bbbb");
        let mut acc = Acc::reused(false).with_stable_ids();
        add(&mut acc, &buf);
        acc.drain(&mut t, &Arc::from("x"), 1, None);
        assert_eq!(
            t.jobs.keys().map(|j| &**j).collect::<Vec<_>>(),
            ["job-aaaa", "job-bbbb"]
        );
        // Recycled, it no longer promises stable ids (an export's rows).
        acc.drain(&mut t, &Arc::from("x"), 2, None);
        acc.recycle();
        let mut acc = Acc::reused(false);
        buf.copy_from_slice(b"job-cccc");
        add(&mut acc, &buf);
        buf.copy_from_slice(b"job-dddd");
        add(&mut acc, &buf);
        acc.drain(&mut t, &Arc::from("x"), 3, None);
        assert_eq!(t.jobs.len(), 4);
    }

    fn tally_of(path: &str, events: &[Event<'static>], offset: u64, carry: Option<&[u8]>) -> Tally {
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

    #[test]
    fn excerpts_keep_the_code_in_view() {
        let mut line = vec![b'x'; 1000];
        line[700..708].copy_from_slice(b"AZSM1024");
        let e = excerpt(&line, 700, true);
        assert!(e.contains("AZSM1024"));
        assert!(e.starts_with('…') && e.ends_with('…'));
        assert!(e.chars().count() <= EXCERPT + 2);
        let short = excerpt(b"short AZSM1024", 6, true);
        assert_eq!(short, "short AZSM1024");
        let mut utf = "é".repeat(300).into_bytes();
        utf.extend_from_slice(b" AZSM2062");
        let e = excerpt(&utf, utf.len() - 8, true);
        assert!(!e.contains('\u{FFFD}'), "{e}");
    }
}
