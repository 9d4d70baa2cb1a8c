//! The per-chunk accumulator: events go in one at a time, as cheaply as
//! possible, and a finished chunk is drained into a
//! [`Tally`](crate::tally::Tally).

mod drain;
#[cfg(test)]
pub(super) mod tests;

use std::cell::RefCell;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::model::code::Code;
use crate::model::event::{Event, JobSlot, Rule};
use crate::model::timestamp::Millis;
use crate::tally::excerpt::{excerpt, excerpt_of};
use crate::tally::items::{ItemAcc, ItemPool};
use crate::tally::{Full, RuleCounts, Site, WindowCounts, EXAMPLES};

const NO_JOB: u32 = u32::MAX;
const PENDING: u32 = u32::MAX - 1;
pub(super) const NO_CAUSE: u16 = u16::MAX;
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

/// A per-chunk accumulator; see the module docs.
///
/// An event costs at most two hash look-ups, on small keys or short ids:
/// its job id (interned) and its `(code, job, cause)` cell; and a look at
/// its code's slot, a table by code number, which holds everything else
/// kept per code. The slot holds the cell of the code's current run of
/// events of one job and sub-cause too: an event that continues the run
/// (a dense copy log's `AZSM0000`, an agent's runs of one job) adds to it
/// there, and only a new run puts the last one into its cell. A file scan
/// gives the accumulators it drains back to an [`AccPool`] for the next
/// chunks its thread scans, so their tables are not made anew for each
/// small file.
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
    /// Item accumulators drained before, kept with their room for the
    /// next codes that name items (they travel with the accumulator, which
    /// its own pool keeps).
    item_pool: ItemPool,
}

/// How many drained accumulators an [`AccPool`] keeps, and how many job
/// ids or cells one may have held to be kept: a chunk with a million job
/// ids must not keep its tables' room to the end of the run.
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

impl CodeAcc {
    /// Keeps the event as an example of its sub-cause `cause` while that
    /// has fewer than [`EXAMPLES`] and `full` does not skip them.
    #[inline]
    fn add_example(&mut self, ev: &Event<'_>, cause: u16, full: Option<&Full>, redact: bool) {
        let examples = match self.examples.iter().position(|(c, _)| *c == cause) {
            Some(i) => &mut self.examples[i].1,
            None => {
                self.examples.push((cause, Vec::new()));
                let last = self.examples.len() - 1;
                &mut self.examples[last].1
            }
        };
        let skip = full.is_some_and(|f| f.examples(ev.code, cause));
        if examples.len() < EXAMPLES && !skip {
            let matched = ev
                .cause
                .map(|h| excerpt(&ev.text[h.start..h.end], 0, redact));
            examples.push((
                ev.line,
                excerpt_of(ev.text, ev.text_start, ev.line_len, ev.column, redact),
                matched,
            ));
        }
        if skip || examples.len() >= EXAMPLES {
            self.full_cause = Some(cause);
        }
    }
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
            item_pool: _,
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
        let (job, rule) = self.attribute(ev.job);
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
        let slot = self.slot_of(ev);
        let full = self.full.as_deref();
        let pc = &mut self.per_code[slot];
        pc.site.count += 1;
        pc.site.line = pc.site.line.min(ev.line);
        // The code's current run when the event continues it; else the
        // last run goes into its cell and a new one starts.
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
            pc.add_example(ev, cause, full, !self.keep_secrets);
        }
        if let Some(item) = &item {
            pc.items
                .get_or_insert_with(|| {
                    self.item_pool
                        .take()
                        .keeping_examples(!full.is_some_and(|f| f.items(ev.code)))
                })
                .add(item, ev.line);
        }
    }

    /// Counts the event's attribution rule; its job's number and the
    /// rule's name.
    #[inline]
    fn attribute(&mut self, job: JobSlot<'_>) -> (u32, &'static str) {
        match job {
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
        }
    }

    /// The place in `per_code` of the event's code, made at its first
    /// event.
    #[inline]
    fn slot_of(&mut self, ev: &Event<'_>) -> usize {
        if self.slots.is_empty() {
            self.slots = vec![0; CODES];
        }
        // A code number is at most 9999 (`Code::new`): always in the table.
        let at = usize::from(ev.code.number());
        match self.slots[at] {
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
        // A GUID names one job run in any case: counted in lower case, its
        // other spelling kept as a second key to the same number.
        if let std::borrow::Cow::Owned(folded) = crate::scan::jobkey::fold_id(id) {
            let i = self.intern_by_hash(&folded);
            self.ids.insert(id.into(), i);
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

/// Drained accumulators kept for the next chunks one thread scans: their
/// tables keep their room, so a small file's chunk allocates little. Its
/// owner passes it to whatever makes and drains accumulators; it is not
/// `Sync`, one per thread.
#[derive(Debug, Default)]
pub struct AccPool {
    kept: RefCell<Vec<Acc>>,
}

impl AccPool {
    /// An empty pool.
    pub const fn new() -> AccPool {
        AccPool {
            kept: RefCell::new(Vec::new()),
        }
    }

    /// An empty accumulator, [`Acc::recording`] or [`Acc::default`] as
    /// `record` says: one given back to this pool when it holds one, else
    /// a new one. Either way it is the same as a new one.
    pub fn take(&self, record: bool) -> Acc {
        let mut acc = self.kept.borrow_mut().pop().unwrap_or_default();
        if record {
            acc.records = Some(Vec::new());
        }
        acc
    }

    /// Keeps this drained accumulator for the next [`AccPool::take`], or
    /// drops it when the pool holds two already or its tables grew past
    /// 4,096 entries.
    pub fn give(&self, mut acc: Acc) {
        if acc.room() > POOL_ROOM {
            return;
        }
        acc.reset();
        let mut kept = self.kept.borrow_mut();
        if kept.len() < POOL_SIZE {
            kept.push(acc);
        }
    }

    /// How many accumulators it holds.
    pub fn len(&self) -> usize {
        self.kept.borrow().len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
