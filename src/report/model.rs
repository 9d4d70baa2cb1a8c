//! The report model: plain, serializable rows that every output format
//! reads, so that a format only lays out what the build decided.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::diagnose::rank::Advice;
use crate::model::code::{Code, Scope, Severity};
use crate::model::error::FileError;
use crate::tally::{EventRow, RuleCounts};

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
    /// How inputs were read otherwise than their first bytes said: a
    /// structured input read as text, skipped as binary, decoded from UTF-16.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<FileError>,
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
