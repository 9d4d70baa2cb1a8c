//! The report model: one structure that every output format renders.
//!
//! [`Report::build`] turns a [`Tally`] and the catalog into plain,
//! serializable rows, sorted so that the same input always gives the same
//! bytes. Each format lives in its own file and only reads this model.

pub mod json;
pub mod text;

use serde::Serialize;

use crate::aggregate::{Example, RuleCounts, Tally};
use crate::catalog::Catalog;
use crate::causes::Causes;
use crate::code::{Code, Scope, Severity};
use crate::error::FileError;
use crate::rank::{self, Advice};
use crate::timestamp;
use crate::window::Window;

/// The JSON schema version; bumped when a key changes meaning or goes away.
pub const VERSION: u32 = 1;

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
#[derive(Clone, Debug, Serialize)]
pub struct ExampleRow {
    /// Display path.
    pub path: String,
    /// 1-based line.
    pub line: u64,
    /// The line, cut to about 200 characters.
    pub text: String,
    /// The words on it that gave the event its sub-cause.
    pub matched: Option<String>,
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
        path: e.path.to_string(),
        line: e.line,
        text: e.text.clone(),
        matched: e.matched.clone(),
    }
}

/// Events of a code that are findings.
fn findings(c: &CodeRow) -> u64 {
    if c.finding {
        c.count - c.healthy
    } else {
        0
    }
}

fn time(t: Option<i64>) -> Option<String> {
    t.map(timestamp::format)
}

impl Report {
    /// Builds the report of `tally` with the catalog's texts, the
    /// sub-causes of `causes`, scanned within `window`.
    pub fn build(tally: &Tally, catalog: &Catalog, causes: &Causes, window: Window) -> Report {
        let codes: Vec<CodeRow> = tally
            .codes
            .iter()
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
                    jobs: t.jobs.len(),
                    files: t.files.len(),
                    first_seen: time(t.first),
                    last_seen: time(t.last),
                    examples: t.examples.iter().map(example).collect(),
                    doc_url: code.doc_url(),
                }
            })
            .collect();
        let jobs: Vec<JobRow> = tally
            .jobs
            .iter()
            .map(|(job, t)| JobRow {
                job: job.clone(),
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
            })
            .collect();
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
        let remediations: Vec<RemediationRow> = rank::rank(tally, catalog, causes)
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
        }
    }

    /// Whether anything needs fixing.
    pub fn has_findings(&self) -> bool {
        !self.remediations.is_empty()
    }
}
