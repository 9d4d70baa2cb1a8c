//! Draining a chunk's accumulator into a tally: its cells in job order,
//! its recorded events, its examples, sites and items.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::causes::CauseId;
use crate::model::code::Code;
use crate::tally::merge::{max_opt, min_opt};
use crate::tally::{
    CodeTally, EventRow, Example, JobTally, RuleCounts, Site, Tally, WindowCounts, CAUSE_EXAMPLES,
};

use super::{Acc, Cell, NO_CAUSE, NO_JOB, PENDING, RECENT};

/// Each job's name by its number in the chunk (the last place: the carried
/// job), `None` until its cells are drained.
type Names = Vec<Option<Option<Arc<str>>>>;

impl Acc {
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
    /// as they were), to be [recycled](crate::tally::AccPool::give).
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
        let names = self.drain_cells(tally, path, carry);
        let record = self.records.is_some();
        self.drain_records(tally, &names, path, line_offset, carry);
        self.drain_codes(tally, path, line_offset);
        // Empty again, with the room of its tables and its options.
        let mut names = names;
        names.clear();
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

    /// Adds the cells to their codes, sub-causes and jobs. Each job's name
    /// is made once (shared with the tally's key when the tally has the
    /// job already), and its job tally looked up once for all its cells:
    /// the cells go in job order. The names made, by job number.
    fn drain_cells(&mut self, tally: &mut Tally, path: &Arc<str>, carry: Option<&[u8]>) -> Names {
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
        cells.clear();
        self.sorted = cells;
        names
    }

    /// Adds the recorded events, if it records them, with their jobs'
    /// `names`.
    fn drain_records(
        &mut self,
        tally: &mut Tally,
        names: &Names,
        path: &Arc<str>,
        line_offset: u64,
        carry: Option<&[u8]>,
    ) {
        let name_of = |job: u32| match job {
            NO_JOB => None,
            i => names[(i as usize).min(self.names.len())].clone().flatten(),
        };
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
    }

    /// Adds what it keeps per code: examples, the site in this input, and
    /// item paths.
    fn drain_codes(&mut self, tally: &mut Tally, path: &Arc<str>, line_offset: u64) {
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
                let used = ct.items.absorb(items, path, line_offset);
                self.item_pool.give(used);
            }
        }
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

pub(super) fn cause_id(raw: u16) -> Option<CauseId> {
    (raw != NO_CAUSE).then_some(CauseId(raw))
}
