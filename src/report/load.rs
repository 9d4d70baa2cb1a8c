//! `azsm merge`, and `--baseline`: JSON reports back into tallies.
//!
//! A JSON report carries, per code, its count, first/last seen, first
//! examples and every input it was seen in with its count and first line
//! (`sites`); per job run, its per-code counts and first/last seen. That
//! is all a [`Tally`] holds apart from the per-event records, so reading
//! reports back and adding them with `+=` gives exactly the tally of one
//! scan over all their inputs, and [`crate::report::Report::build`] ranks
//! it the same way (the test suite checks this on the fixture bundle split
//! in two). Inputs present in two reports would be counted twice: merge
//! reports of disjoint inputs (one per agent, one per day of rotated logs).
//!
//! A code's split by sub-cause (`codes[].causes`) comes back by name, so
//! `azsm merge` needs the sub-cause table the reports were made with (the
//! embedded one, or the same `--causes FILE`); a job run's excused healthy
//! events are its finding events minus its `findings`.
//!
//! Job-run facts (`status`, `agent`, ...) merge exactly. Affected items
//! merge from what a report lists: item totals and example paths exactly,
//! folder counts only for the folders each report lists (its `--items`
//! top folders), so a merged folder ranking is exact when every report
//! lists all its folders (`--items 100` and fewer folders per code).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use crate::model::causes::Causes;
use crate::model::code::Code;
use crate::model::error::{Error, FileError};
use crate::model::timestamp::{self, Millis};
use crate::report::{CausePartRow, DirCount, ExampleRow, ItemExample, SiteRow, VERSION};
use crate::tally::items::Items;
use crate::tally::{CodeTally, Example, JobTally, RuleCounts, RunInfo, Site, Tally};
use crate::util::sorted::SortedMap;

#[derive(Deserialize)]
struct In {
    version: u32,
    scanned: InScanned,
    attribution: RuleCounts,
    codes: Vec<InCode>,
    jobs: Vec<InJob>,
    unattributed: Vec<InCount>,
    #[serde(default)]
    errors: Vec<FileError>,
    #[serde(default)]
    notes: Vec<FileError>,
}

#[derive(Deserialize)]
struct InScanned {
    files: u64,
    bytes: u64,
    skipped_binary: u64,
}

#[derive(Deserialize)]
struct InCode {
    code: String,
    count: u64,
    first_seen: Option<String>,
    last_seen: Option<String>,
    examples: Vec<ExampleRow>,
    sites: Option<Vec<SiteRow>>,
    #[serde(default)]
    healthy: u64,
    #[serde(default)]
    causes: Vec<CausePartRow>,
    items: Option<InItems>,
}

#[derive(Deserialize)]
struct InItems {
    total: u64,
    top_dirs: Vec<DirCount>,
    examples: Vec<ItemExample>,
    dirs_sampled: bool,
}

#[derive(Deserialize)]
struct InJob {
    job: String,
    codes: Vec<InCount>,
    first_seen: Option<String>,
    last_seen: Option<String>,
    findings: Option<u64>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    agent: Option<String>,
    #[serde(default)]
    execution_start: Option<String>,
    #[serde(default)]
    execution_end: Option<String>,
    #[serde(default)]
    items_failed: Option<u64>,
    #[serde(default)]
    items_transferred: Option<u64>,
}

#[derive(Deserialize)]
struct InCount {
    code: String,
    count: u64,
}

/// Reads the report at `path` back into a tally; `flag` names the option
/// for error messages. Without `causes`, the split by sub-cause is skipped
/// (enough for per-code counts).
pub fn read(path: &Path, flag: &'static str, causes: Option<&Causes>) -> Result<Tally, Error> {
    let fail = |reason: String| Error::Report {
        flag,
        path: path.display().to_string(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    parse(&bytes, causes).map_err(fail)
}

/// Reads a JSON report's bytes back into a tally; the error says what is
/// wrong with them.
pub fn parse(bytes: &[u8], causes: Option<&Causes>) -> Result<Tally, String> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not JSON ({e})"))?;
    match v.get("version").and_then(|v| v.as_u64()) {
        Some(n) if n == u64::from(VERSION) => {}
        Some(n) => return Err(format!("schema version {n}, this azsm reads {VERSION}")),
        None => return Err("no \"version\" key".into()),
    }
    let r: In = serde_json::from_value(v).map_err(|e| format!("not a report ({e})"))?;
    debug_assert_eq!(r.version, VERSION);
    to_tally(r, causes)
}

fn code(s: &str) -> Result<Code, String> {
    s.parse::<Code>().map_err(|e| e.to_string())
}

fn time(s: &Option<String>) -> Result<Option<Millis>, String> {
    match s {
        None => Ok(None),
        Some(s) => timestamp::parse(s.as_bytes())
            .map(|(t, _)| Some(t))
            .ok_or_else(|| format!("'{s}' is not a time")),
    }
}

fn to_tally(r: In, causes: Option<&Causes>) -> Result<Tally, String> {
    let mut t = Tally::default();
    let mut paths = Paths::default();
    // Codes without sub-cause parts: their one part takes its job runs
    // from the job rows.
    let mut unsplit = BTreeSet::new();
    for c in r.codes {
        add_code(&mut t, &mut unsplit, &mut paths, c, causes)?;
    }
    for j in r.jobs {
        add_job(&mut t, &unsplit, j)?;
    }
    for c in r.unattributed {
        t.unattributed.insert(code(&c.code)?, c.count);
    }
    t.rules = r.attribution;
    t.stats.files = r.scanned.files;
    t.stats.bytes = r.scanned.bytes;
    t.stats.skipped_binary = r.scanned.skipped_binary;
    t.errors = r.errors;
    t.notes = r.notes;
    Ok(t)
}

/// One shared `Arc<str>` per path of a report, as a scan's tally has.
#[derive(Default)]
struct Paths(BTreeSet<Arc<str>>);

impl Paths {
    fn get(&mut self, p: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(p) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(p);
        self.0.insert(Arc::clone(&shared));
        shared
    }

    fn example(&mut self, e: ExampleRow) -> Example {
        Example {
            path: self.get(&e.path),
            line: e.line,
            text: e.text,
            matched: e.matched,
        }
    }
}

/// Adds the code row `c` and its sub-cause parts to `t`.
fn add_code(
    t: &mut Tally,
    unsplit: &mut BTreeSet<Code>,
    paths: &mut Paths,
    c: InCode,
    causes: Option<&Causes>,
) -> Result<(), String> {
    let sites = c.sites.ok_or_else(|| {
        format!(
            "code {} has no \"sites\" (the report was written by an older azsm): scan again to merge",
            c.code
        )
    })?;
    let mut ct = CodeTally {
        count: c.count,
        healthy: c.healthy,
        first: time(&c.first_seen)?,
        last: time(&c.last_seen)?,
        ..CodeTally::default()
    };
    for s in sites {
        let p = paths.get(&s.path);
        ct.files.insert(p.clone());
        ct.sites.insert(
            p,
            Site {
                count: s.count,
                line: s.line,
            },
        );
    }
    ct.examples = c.examples.into_iter().map(|e| paths.example(e)).collect();
    if let Some(items) = c.items {
        ct.items = Items::restore(
            items.total,
            items
                .top_dirs
                .into_iter()
                .map(|d| (d.dir, d.count))
                .collect(),
            items.dirs_sampled,
            items
                .examples
                .into_iter()
                .map(|e| (paths.get(&e.path), e.line, e.item))
                .collect(),
        );
    }
    let code_ = code(&c.code)?;
    if c.causes.is_empty() {
        unsplit.insert(code_);
        // No sub-cause was seen: the code's row is its only part (its
        // jobs are added from the job runs).
        t.causes.insert(
            (code_, None),
            CodeTally {
                sites: SortedMap::new(),
                items: Items::default(),
                examples: ct
                    .examples
                    .iter()
                    .take(crate::tally::CAUSE_EXAMPLES)
                    .cloned()
                    .collect(),
                ..ct.clone()
            },
        );
    } else if let Some(causes) = causes {
        for p in c.causes {
            let id = match &p.cause {
                None => None,
                Some(name) => Some(causes.by_name(name).ok_or_else(|| {
                    format!("{} names the sub-cause '{name}', which the sub-cause table does not have: pass the --causes FILE the report was made with", c.code)
                })?),
            };
            let part = CodeTally {
                count: p.count,
                healthy: p.healthy,
                jobs: p.jobs.into_iter().collect(),
                files: p.files.iter().map(|f| paths.get(f)).collect(),
                first: time(&p.first_seen)?,
                last: time(&p.last_seen)?,
                examples: p.examples.into_iter().map(|e| paths.example(e)).collect(),
                sites: SortedMap::new(),
                items: Items::default(),
            };
            *t.causes.entry((code_, id)).or_default() += part;
        }
    }
    t.codes.insert(code_, ct);
    Ok(())
}

/// Adds the job row `j` to `t`, whose codes are in already.
fn add_job(t: &mut Tally, unsplit: &BTreeSet<Code>, j: InJob) -> Result<(), String> {
    let mut jt = JobTally {
        first: time(&j.first_seen)?,
        last: time(&j.last_seen)?,
        run: RunInfo {
            status: j.status,
            status_at: None,
            agent: j.agent,
            start: time(&j.execution_start)?,
            end: time(&j.execution_end)?,
            items_failed: j.items_failed,
            items_transferred: j.items_transferred,
        },
        ..JobTally::default()
    };
    for c in j.codes {
        let c_ = code(&c.code)?;
        jt.codes.insert(c_, c.count);
        // A code's job runs are those that count it (see CodeTally::jobs).
        if !t.codes.contains_key(&c_) {
            return Err(format!(
                "job {} lists {} which is not in \"codes\"",
                j.job, c.code
            ));
        }
        if unsplit.contains(&c_) {
            if let Some(only) = t.causes.get_mut(&(c_, None)) {
                only.jobs.insert(j.job.as_str().into());
            }
        }
    }
    if let Some(findings) = j.findings {
        let all: u64 = jt
            .codes
            .iter()
            .filter(|(c, _)| c.is_finding())
            .map(|(_, n)| n)
            .sum();
        jt.healthy = all.saturating_sub(findings);
    }
    t.jobs.insert(j.job.into(), jt);
    Ok(())
}

/// Per-code counts of the report at `path`, for `--baseline`.
pub fn baseline_counts(path: &Path) -> Result<BTreeMap<Code, u64>, Error> {
    let t = read(path, "--baseline", None)?;
    Ok(t.codes.iter().map(|(&c, t)| (c, t.count)).collect())
}
