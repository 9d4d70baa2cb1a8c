//! The report model: one structure that every output format renders.
//!
//! [`Report::build`] turns a [`Tally`] and the catalog into plain,
//! serializable rows, sorted so that the same input always gives the same
//! bytes. Each format lives in its own file and only reads this model.

pub mod gate;
pub mod load;
pub mod stream;

pub mod csv;
pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod ndjson;
mod pretty;
pub mod sarif;
pub mod text;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnose::rank::{self, Advice};
use crate::model::catalog::Catalog;
use crate::model::causes::Causes;
use crate::model::code::{Code, Scope, Severity};
use crate::model::error::FileError;
use crate::model::timestamp;
use crate::model::window::Window;
use crate::tally::{CodeTally, EventRow, Example, JobTally, RuleCounts, Tally};

/// The JSON schema version; bumped when a key changes meaning or goes away.
pub const VERSION: u32 = 1;
/// Directories and example paths shown per item-scope code by default.
pub const DEFAULT_ITEMS: usize = 5;

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Schema version.
    pub version: u32,
    /// The tool that wrote it.
    pub tool: Tool,
    /// Where the catalog text came from.
    pub catalog: Vec<String>,
    /// What was read.
    pub scanned: Scanned,
    /// Totals.
    pub summary: Summary,
    /// Events per attribution rule.
    pub attribution: RuleCounts,
    /// Per scope.
    pub scopes: Vec<ScopeRow>,
    /// Per code, in code order.
    pub codes: Vec<CodeRow>,
    /// Per job run, in id order.
    pub jobs: Vec<JobRow>,
    /// Events with no job run, per code.
    pub unattributed: Vec<CodeCount>,
    /// Findings only, rank 1 first.
    pub remediations: Vec<RemediationRow>,
    /// Events of finding codes whose words say the agent is fine, per code
    /// and sub-cause: counted, never findings.
    pub not_errors: Vec<NotErrorRow>,
    /// The `--since`/`--until` window, when one was given.
    pub window: Option<WindowRow>,
    /// Inputs that failed.
    pub errors: Vec<FileError>,
    /// The comparison with `--baseline`, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineSection>,
    /// Every event, only when a per-event format was asked for (not part
    /// of the JSON report).
    #[serde(skip)]
    pub events: Vec<EventRow>,
    /// Sub-cause names by id, for the per-event formats.
    #[serde(skip)]
    pub cause_names: Vec<String>,
}

/// How a code's count compares with the baseline's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Not in the baseline.
    New,
    /// More events than in the baseline.
    Increased,
    /// As many events as in the baseline.
    Unchanged,
    /// Fewer events than in the baseline (but some).
    Decreased,
    /// In the baseline, gone now.
    Resolved,
}

impl Change {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Increased => "increased",
            Change::Unchanged => "unchanged",
            Change::Decreased => "decreased",
            Change::Resolved => "resolved",
        }
    }
}

/// The comparison with an earlier report.
#[derive(Clone, Debug, Serialize)]
pub struct BaselineSection {
    /// The baseline file, as given.
    pub path: String,
    /// Codes per change, in the order new, increased, unchanged, decreased,
    /// resolved.
    pub totals: BTreeMap<Change, usize>,
    /// Every code of either report, in code order.
    pub codes: Vec<BaselineRow>,
}

/// One code against the baseline.
#[derive(Clone, Debug, Serialize)]
pub struct BaselineRow {
    /// The code.
    pub code: Code,
    /// What changed.
    pub change: Change,
    /// Events now.
    pub count: u64,
    /// Events in the baseline.
    pub previous: u64,
    /// Whether the code is a finding.
    pub finding: bool,
}

/// Name and version of the tool.
#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    /// `azsm`.
    pub name: &'static str,
    /// The crate version.
    pub version: &'static str,
}

/// What was read.
#[derive(Clone, Debug, Serialize)]
pub struct Scanned {
    /// Inputs scanned.
    pub files: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Inputs skipped as binary.
    pub skipped_binary: u64,
    /// Inputs that failed (see `errors`).
    pub errors: u64,
}

/// Totals.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// All events.
    pub events: u64,
    /// Events whose code is a finding.
    pub findings: u64,
    /// Distinct codes seen.
    pub codes: usize,
    /// Distinct job runs seen.
    pub jobs: usize,
    /// Events attributed to no job run.
    pub unattributed: u64,
    /// Entries in `remediations`.
    pub remediations: usize,
}

/// One scope's totals.
#[derive(Clone, Debug, Serialize)]
pub struct ScopeRow {
    /// The scope.
    pub scope: Scope,
    /// Events.
    pub events: u64,
    /// Of which findings.
    pub findings: u64,
    /// Distinct codes.
    pub codes: usize,
}

/// A code and a count.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CodeCount {
    /// The code.
    pub code: Code,
    /// Events.
    pub count: u64,
}

/// Where a code was seen.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExampleRow {
    /// Display path.
    pub path: String,
    /// 1-based line.
    pub line: u64,
    /// The line, cut to about 200 characters.
    pub text: String,
    /// The words on it that gave the event its sub-cause.
    #[serde(default)]
    pub matched: Option<String>,
}

/// A code in one input.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SiteRow {
    /// Display path (shared with the tally's).
    pub path: Arc<str>,
    /// The first line it is on.
    pub line: u64,
    /// Its events in that input.
    pub count: u64,
}

/// One code.
#[derive(Clone, Debug, Serialize)]
pub struct CodeRow {
    /// The code.
    pub code: Code,
    /// Events.
    pub count: u64,
    /// Of which a healthy sub-cause says they are not errors.
    pub healthy: u64,
    /// Decoded scope.
    pub scope: Scope,
    /// Decoded subcategory, e.g. `target access 1021-1040`.
    pub subcategory: String,
    /// Decoded severity.
    pub severity: Severity,
    /// Whether it is something to fix.
    pub finding: bool,
    /// Whether the catalog knows it.
    pub known: bool,
    /// The catalog's message, if known.
    pub message: Option<String>,
    /// Job runs affected.
    pub jobs: usize,
    /// Inputs it was seen in.
    pub files: usize,
    /// Earliest time seen (RFC 3339, UTC).
    pub first_seen: Option<String>,
    /// Latest time seen.
    pub last_seen: Option<String>,
    /// Up to three places, in path and line order.
    pub examples: Vec<ExampleRow>,
    /// The code's anchor on Microsoft Learn.
    pub doc_url: String,
    /// Every input it was seen in, in path order, with its events there
    /// and first line (SARIF's results; lets `azsm merge` recount `files`).
    pub sites: Vec<SiteRow>,
    /// Its events split by sub-cause, in table order with the events no
    /// trigger explained first; left out when no sub-cause was seen (then
    /// the code's own row is the whole story). `azsm merge` reads it back.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<CausePartRow>,
    /// Against `--baseline`, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    /// The items (files, directories) its events named, for item-scope
    /// codes; absent when none named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<ItemsRow>,
}

/// The items of one code.
#[derive(Clone, Debug, Serialize)]
pub struct ItemsRow {
    /// Events that named an item.
    pub total: u64,
    /// The directories with most events (at most `--items`), most first.
    pub top_dirs: Vec<DirCount>,
    /// The first distinct item paths in (input, line) order (at most
    /// `--items`), each with where it was first seen.
    pub examples: Vec<ItemExample>,
    /// True when the code hit more directories than azsm counts (4096): the
    /// top directories are then those of a deterministic sample.
    pub dirs_sampled: bool,
}

/// An item path and where it was first seen.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ItemExample {
    /// The item path.
    pub item: String,
    /// Display path of the input.
    pub path: String,
    /// 1-based line (row, for exports).
    pub line: u64,
}

/// A directory and its events.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DirCount {
    /// The directory.
    pub dir: String,
    /// Events under it (directly).
    pub count: u64,
}

/// The events of one code with one sub-cause (or none).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CausePartRow {
    /// The sub-cause's name; `None` for the events no trigger explained.
    pub cause: Option<String>,
    /// Events.
    pub count: u64,
    /// Of which healthy (all of them or none).
    pub healthy: u64,
    /// Job runs, in id order (shared with the tally's).
    pub jobs: Vec<Arc<str>>,
    /// Inputs, in path order.
    pub files: Vec<Arc<str>>,
    /// Earliest time seen.
    pub first_seen: Option<String>,
    /// Latest time seen.
    pub last_seen: Option<String>,
    /// The first place, in path and line order.
    pub examples: Vec<ExampleRow>,
}

/// One job run.
#[derive(Clone, Debug, Serialize)]
pub struct JobRow {
    /// The job run's id (usually a GUID).
    pub job: String,
    /// Events.
    pub events: u64,
    /// Of which findings.
    pub findings: u64,
    /// Its codes, in code order.
    pub codes: Vec<CodeCount>,
    /// Earliest time seen.
    pub first_seen: Option<String>,
    /// Latest time seen.
    pub last_seen: Option<String>,
    /// The run's `status` from job-run JSON.
    pub status: Option<String>,
    /// The run's `agentName`.
    pub agent: Option<String>,
    /// The run's `executionStartTime` (RFC 3339, UTC).
    pub execution_start: Option<String>,
    /// The run's `executionEndTime`.
    pub execution_end: Option<String>,
    /// The run's `itemsFailed`.
    pub items_failed: Option<u64>,
    /// The run's `itemsTransferred`.
    pub items_transferred: Option<u64>,
}

/// One ranked remediation.
#[derive(Clone, Debug, Serialize)]
pub struct RemediationRow {
    /// 1 is the first to fix.
    pub rank: usize,
    /// The most severe of its codes.
    pub severity: Severity,
    /// `actionable`, `retry` or `unknown`.
    pub advice: Advice,
    /// The message of its most frequent code.
    pub title: String,
    /// The sub-cause whose fix `mitigation` is; `None` for the catalog's.
    pub cause: Option<String>,
    /// Its codes, most frequent first.
    pub codes: Vec<Code>,
    /// Its codes with counts.
    pub counts: Vec<CodeCount>,
    /// Events.
    pub events: u64,
    /// Job runs affected.
    pub jobs: usize,
    /// Inputs affected.
    pub files: usize,
    /// Earliest time seen.
    pub first_seen: Option<String>,
    /// Latest time seen.
    pub last_seen: Option<String>,
    /// The first place seen.
    pub example: Option<ExampleRow>,
    /// What to do.
    pub mitigation: String,
    /// Doc anchors of its codes.
    pub doc_urls: Vec<String>,
    /// Against `--baseline`, when given: the most pressing change of its
    /// codes (new, then increased, unchanged, decreased).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
}

/// Events a healthy sub-cause excused.
#[derive(Clone, Debug, Serialize)]
pub struct NotErrorRow {
    /// The code on the line.
    pub code: Code,
    /// The sub-cause's name.
    pub cause: String,
    /// Events.
    pub count: u64,
    /// What the words mean.
    pub meaning: String,
}

/// The time window and what it left out.
#[derive(Clone, Debug, Serialize)]
pub struct WindowRow {
    /// Inclusive lower bound, RFC 3339 UTC; `None` when open.
    pub since: Option<String>,
    /// Exclusive upper bound.
    pub until: Option<String>,
    /// Events outside the window, not counted anywhere else.
    pub outside: u64,
    /// Counted events whose line has no time.
    pub untimed: u64,
}

fn example(e: &Example) -> ExampleRow {
    ExampleRow {
        path: str::to_owned(&e.path),
        line: e.line,
        text: e.text.clone(),
        matched: e.matched.clone(),
    }
}

/// The sub-cause split of `code`, empty when no sub-cause was seen.
fn cause_parts(tally: &Tally, code: Code, causes: &Causes) -> Vec<CausePartRow> {
    let parts: Vec<_> = tally
        .causes
        .range((code, None)..=(code, Some(crate::model::causes::CauseId(u16::MAX))))
        .collect();
    if parts.iter().all(|((_, c), _)| c.is_none()) {
        return Vec::new();
    }
    parts
        .into_iter()
        .map(|(&(_, cause), t)| CausePartRow {
            cause: cause.map(|id| causes.get(id).name.clone()),
            count: t.count,
            healthy: t.healthy,
            // A hash set: sorted here so that the report is the same bytes
            // on every run.
            jobs: sorted_ids(t.jobs.iter()),
            files: t.files.iter().cloned().collect(),
            first_seen: time(t.first),
            last_seen: time(t.last),
            examples: t.examples.iter().map(example).collect(),
        })
        .collect()
}

/// `ids` in byte order, as `sort_unstable` puts them, but each compared by
/// its first eight bytes as one number before the rest: job ids are GUIDs,
/// and those bytes nearly always decide, without a call to `memcmp`. (A
/// shorter id is padded with zero bytes, which sorts it before the longer
/// ones it begins, as byte order does.)
fn sorted_ids<'a>(ids: impl Iterator<Item = &'a Arc<str>>) -> Vec<Arc<str>> {
    let head = |id: &str| {
        let mut head = [0; 8];
        for (h, b) in head.iter_mut().zip(id.bytes()) {
            *h = b;
        }
        u64::from_be_bytes(head)
    };
    let mut keyed: Vec<(u64, Arc<str>)> = ids.map(|id| (head(id), Arc::clone(id))).collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, id)| id).collect()
}

/// Events of a code that are findings.
fn findings(c: &CodeRow) -> u64 {
    if c.finding {
        c.count - c.healthy
    } else {
        0
    }
}

/// `AZSM1024 ×2, AZSM2062 ×1`, as the text and Markdown reports show codes.
pub(crate) fn counts(codes: &[CodeCount]) -> String {
    codes
        .iter()
        .map(|c| format!("{} ×{}", c.code, c.count))
        .collect::<Vec<_>>()
        .join(", ")
}

/// RFC 3339 text of `t` ([`timestamp::format`], through the per-event
/// formats' allocation-free writer: thousands of job runs have four each).
fn time(t: Option<i64>) -> Option<String> {
    t.map(|ms| {
        let mut text = Vec::with_capacity(24);
        timestamp::push(ms, &mut text);
        String::from_utf8(text).unwrap_or_else(|_| timestamp::format(ms))
    })
}

/// The per-code rows, in code order.
fn code_rows(
    tally: &Tally,
    catalog: &Catalog,
    causes: &Causes,
    k: usize,
    job_rows: &[JobRow],
) -> Vec<CodeRow> {
    // A code's job runs are the runs that count it (see CodeTally::jobs),
    // counted from the rows just built rather than the job tallies again.
    let mut jobs: BTreeMap<Code, usize> = BTreeMap::new();
    for c in job_rows.iter().flat_map(|j| &j.codes) {
        *jobs.entry(c.code).or_default() += 1;
    }
    let codes: Vec<(&Code, &CodeTally)> = tally.codes.iter().collect();
    codes
        .into_par_iter()
        .map(|(&code, t)| {
            let entry = catalog.get(code);
            CodeRow {
                code,
                count: t.count,
                healthy: t.healthy,
                scope: code.scope(),
                subcategory: code.subcategory().to_string(),
                severity: code.severity(),
                finding: code.is_finding(),
                known: entry.is_some() || code.is_success(),
                message: entry
                    .map(|e| e.message.clone())
                    .or_else(|| code.is_success().then(|| "Success".to_string())),
                jobs: jobs.get(&code).copied().unwrap_or(0),
                files: t.files.len(),
                first_seen: time(t.first),
                last_seen: time(t.last),
                examples: t.examples.iter().map(example).collect(),
                doc_url: code.doc_url(),
                sites: t
                    .sites
                    .iter()
                    .map(|(p, s)| SiteRow {
                        path: Arc::clone(p),
                        line: s.line,
                        count: s.count,
                    })
                    .collect(),
                causes: cause_parts(tally, code, causes),
                change: None,
                items: (t.items.total > 0).then(|| ItemsRow {
                    total: t.items.total,
                    top_dirs: t
                        .items
                        .top_dirs(k)
                        .into_iter()
                        .map(|(dir, count)| DirCount {
                            dir: dir.to_string(),
                            count,
                        })
                        .collect(),
                    examples: t
                        .items
                        .example_paths(k)
                        .into_iter()
                        .map(|(path, line, item)| ItemExample {
                            item: item.to_string(),
                            path: path.to_string(),
                            line,
                        })
                        .collect(),
                    dirs_sampled: t.items.sampled,
                }),
            }
        })
        .collect()
}

/// The per-job rows, in id order.
fn job_rows(tally: &Tally) -> Vec<JobRow> {
    let jobs: Vec<(&Arc<str>, &JobTally)> = tally.jobs.iter().collect();
    jobs.into_par_iter()
        .with_min_len(64)
        .map(|(job, t)| JobRow {
            job: str::to_owned(job),
            events: t.codes.values().sum(),
            findings: t
                .codes
                .iter()
                .filter(|(c, _)| c.is_finding())
                .map(|(_, n)| n)
                .sum::<u64>()
                - t.healthy,
            codes: t
                .codes
                .iter()
                .map(|(&code, &count)| CodeCount { code, count })
                .collect(),
            first_seen: time(t.first),
            last_seen: time(t.last),
            status: t.run.status.clone(),
            agent: t.run.agent.clone(),
            execution_start: time(t.run.start),
            execution_end: time(t.run.end),
            items_failed: t.run.items_failed,
            items_transferred: t.run.items_transferred,
        })
        .collect()
}

impl Report {
    /// Job runs as the text and Markdown tables show them: most findings
    /// first, then most events, then by id.
    pub fn jobs_by_findings(&self) -> Vec<&JobRow> {
        let mut jobs: Vec<&JobRow> = self.jobs.iter().collect();
        jobs.sort_by(|a, b| {
            b.findings
                .cmp(&a.findings)
                .then(b.events.cmp(&a.events))
                .then(a.job.cmp(&b.job))
        });
        jobs
    }

    /// Builds the report of `tally` with the catalog's texts and the
    /// sub-causes of `causes`, scanned within `window`, showing
    /// [`DEFAULT_ITEMS`] directories and paths per item-scope code.
    pub fn build(tally: &Tally, catalog: &Catalog, causes: &Causes, window: Window) -> Report {
        Report::build_with(tally, catalog, causes, window, DEFAULT_ITEMS)
    }

    /// Builds the report, showing `k` directories and paths per code.
    pub fn build_with(
        tally: &Tally,
        catalog: &Catalog,
        causes: &Causes,
        window: Window,
        k: usize,
    ) -> Report {
        // The per-code and per-job rows (thousands of strings copied) are
        // built on the current rayon pool (the scan's, when called inside
        // it), in key order as the maps hold them, and the ranking beside.
        let ((codes, jobs), ranked) = rayon::join(
            || {
                let jobs = job_rows(tally);
                (code_rows(tally, catalog, causes, k, &jobs), jobs)
            },
            || rank::rank(tally, catalog, causes),
        );
        let scopes = [Scope::Agent, Scope::Job, Scope::Item, Scope::Unknown]
            .into_iter()
            .filter_map(|scope| {
                let rows: Vec<_> = codes.iter().filter(|c| c.scope == scope).collect();
                (!rows.is_empty()).then(|| ScopeRow {
                    scope,
                    events: rows.iter().map(|c| c.count).sum(),
                    findings: rows.iter().map(|c| findings(c)).sum(),
                    codes: rows.len(),
                })
            })
            .collect();
        let remediations: Vec<RemediationRow> = ranked
            .into_iter()
            .map(|r| RemediationRow {
                rank: r.rank,
                severity: r.severity,
                advice: r.advice,
                title: r.title,
                cause: r.cause,
                codes: r.codes.iter().map(|c| c.0).collect(),
                counts: r
                    .codes
                    .iter()
                    .map(|&(code, count)| CodeCount { code, count })
                    .collect(),
                events: r.events,
                jobs: r.jobs,
                files: r.files,
                first_seen: time(r.first),
                last_seen: time(r.last),
                example: r.example.as_ref().map(example),
                mitigation: r.mitigation,
                doc_urls: r.codes.iter().map(|c| c.0.doc_url()).collect(),
                change: None,
            })
            .collect();
        let mut errors = tally.errors.clone();
        errors.sort();
        errors.dedup();
        let not_errors = tally
            .causes
            .iter()
            .filter(|((code, _), t)| code.is_finding() && t.healthy > 0)
            .filter_map(|(&(code, cause), t)| {
                let c = causes.get(cause?);
                Some(NotErrorRow {
                    code,
                    cause: c.name.clone(),
                    count: t.healthy,
                    meaning: c.fix.clone(),
                })
            })
            .collect();
        let window = window.is_set().then(|| WindowRow {
            since: time(window.since),
            until: time(window.until),
            outside: tally.window.outside,
            untimed: tally.window.untimed,
        });
        let unattributed: Vec<CodeCount> = tally
            .unattributed
            .iter()
            .map(|(&code, &count)| CodeCount { code, count })
            .collect();
        Report {
            version: VERSION,
            tool: Tool {
                name: "azsm",
                version: env!("CARGO_PKG_VERSION"),
            },
            catalog: catalog.sources().to_vec(),
            scanned: Scanned {
                files: tally.stats.files,
                bytes: tally.stats.bytes,
                skipped_binary: tally.stats.skipped_binary,
                errors: errors.len() as u64,
            },
            summary: Summary {
                events: tally.events(),
                findings: codes.iter().map(findings).sum(),
                codes: codes.len(),
                jobs: jobs.len(),
                unattributed: unattributed.iter().map(|c| c.count).sum(),
                remediations: remediations.len(),
            },
            attribution: tally.rules,
            scopes,
            codes,
            jobs,
            unattributed,
            remediations,
            not_errors,
            window,
            errors,
            baseline: None,
            events: Vec::new(),
            cause_names: causes.iter().map(|(_, c)| c.name.clone()).collect(),
        }
    }

    /// Whether anything needs fixing.
    pub fn has_findings(&self) -> bool {
        !self.remediations.is_empty()
    }

    /// Marks every code (and remediation) against `previous`, the per-code
    /// counts of an earlier report read from `path`.
    pub fn compare(&mut self, path: &str, previous: &BTreeMap<Code, u64>) {
        let mut rows = Vec::new();
        for c in &mut self.codes {
            let before = previous.get(&c.code).copied().unwrap_or(0);
            let change = match before {
                0 => Change::New,
                b if c.count > b => Change::Increased,
                b if c.count < b => Change::Decreased,
                _ => Change::Unchanged,
            };
            c.change = Some(change);
            rows.push(BaselineRow {
                code: c.code,
                change,
                count: c.count,
                previous: before,
                finding: c.finding,
            });
        }
        for (&code, &before) in previous {
            if before > 0 && !self.codes.iter().any(|c| c.code == code) {
                rows.push(BaselineRow {
                    code,
                    change: Change::Resolved,
                    count: 0,
                    previous: before,
                    finding: code.is_finding(),
                });
            }
        }
        rows.sort_by_key(|r| r.code);
        let change_of = |code: Code| rows.iter().find(|r| r.code == code).map(|r| r.change);
        for r in &mut self.remediations {
            r.change = r.codes.iter().filter_map(|&c| change_of(c)).min();
        }
        let mut totals = BTreeMap::new();
        for r in &rows {
            *totals.entry(r.change).or_insert(0) += 1;
        }
        self.baseline = Some(BaselineSection {
            path: path.to_string(),
            totals,
            codes: rows,
        });
    }

    /// Per code, what to do, for the formats that speak of codes rather
    /// than remediations (SARIF rules, JUnit failures): the mitigation of
    /// its entry without a sub-cause, then each sub-cause it was seen with,
    /// as `When the log says "WORDS" (NAME): FIX`, in rank order.
    pub fn code_fixes(&self) -> BTreeMap<Code, String> {
        let mut out: BTreeMap<Code, String> = BTreeMap::new();
        for r in self.remediations.iter().filter(|r| r.cause.is_none()) {
            for &c in &r.codes {
                out.entry(c).or_insert_with(|| r.mitigation.clone());
            }
        }
        for r in &self.remediations {
            let Some(cause) = &r.cause else { continue };
            let words = r.example.as_ref().and_then(|e| e.matched.as_deref());
            let said = words.map_or(String::new(), |w| format!(" says \"{w}\""));
            for &c in &r.codes {
                let text = out.entry(c).or_default();
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(&format!("When the log{said} ({cause}): {}", r.mitigation));
            }
        }
        out
    }

    /// Per code, the best rank of the entries it is in.
    pub fn code_ranks(&self) -> BTreeMap<Code, usize> {
        let mut out = BTreeMap::new();
        for r in &self.remediations {
            for &c in &r.codes {
                out.entry(c).or_insert(r.rank);
            }
        }
        out
    }

    /// Whether some code meets `fail_on` (see [`gate::FailOn`]).
    /// Events a healthy sub-cause excused are not findings: they meet only
    /// a list of codes, which takes any event.
    pub fn fails(&self, fail_on: &gate::FailOn) -> bool {
        let listed = matches!(fail_on, gate::FailOn::Codes(_));
        self.codes.iter().any(|c| {
            let events = if listed { c.count } else { c.count - c.healthy };
            events > 0 && fail_on.met_by(c.code, c.change == Some(Change::New))
        })
    }

    /// The codes resolved since the baseline, if any.
    pub fn resolved(&self) -> Vec<&BaselineRow> {
        self.baseline
            .iter()
            .flat_map(|b| &b.codes)
            .filter(|r| r.change == Change::Resolved)
            .collect()
    }
}

/// What a format needs besides the report.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// The scan root: the one directory argument, to which SARIF URIs are
    /// made relative; `None` with several arguments or a file argument.
    pub root: Option<String>,
    /// Options of the text format.
    pub text: text::TextOptions,
    /// The scan's thread pool, on which the JSON format renders its big
    /// arrays; `None` renders on the calling thread.
    pub pool: Option<std::sync::Arc<rayon::ThreadPool>>,
}

/// Formats of the scan report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The ranked remediation summary for people.
    Text,
    /// The full report as JSON (schema in the README).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other viewers.
    Sarif,
    /// GitHub Actions workflow commands (annotations); the Markdown summary
    /// is appended to $GITHUB_STEP_SUMMARY when it is set.
    Github,
    /// GitHub-flavoured Markdown tables.
    Markdown,
    /// JUnit XML: a testsuite per job run, a testcase per code.
    Junit,
    /// One JSON record per event.
    Ndjson,
    /// One CSV row per event.
    Csv,
}

/// Writes `report` in `format`: the one entry point every output goes
/// through.
pub fn render(
    format: Format,
    report: &Report,
    ctx: &Context,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use Format as F;
    match format {
        F::Text => text::write(report, ctx.text, out),
        F::Json => json::write_with(report, ctx.pool.as_deref(), out),
        F::Sarif => sarif::write(report, ctx.root.as_deref(), out),
        F::Github => github::write(report, out),
        F::Markdown => markdown::write(report, out),
        F::Junit => junit::write(report, out),
        F::Ndjson => ndjson::write(report, out),
        F::Csv => csv::write(report, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn ids_sort_as_sort_unstable_does(
            ids in proptest::collection::vec("(38fb0f65-b6|[a\\x00]{0,3}|\\PC{0,12}){1,3}", 0..40)
        ) {
            let ids: Vec<Arc<str>> = ids.into_iter().map(Arc::from).collect();
            let mut want = ids.clone();
            want.sort_unstable();
            proptest::prop_assert_eq!(sorted_ids(ids.iter()), want);
        }
    }
}
