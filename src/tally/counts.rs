//! The tallies a scan produces: per code, per code and sub-cause, per job
//! run, and the counts beside them. They are plain data; merging them is
//! in `merge`, building them from events in the accumulator.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::model::causes::CauseId;
use crate::model::code::Code;
use crate::model::error::FileError;
#[cfg(doc)]
use crate::model::event::EXCERPT;
use crate::model::timestamp::Millis;
use crate::tally::items::Items;
use crate::tally::merge::keep_smallest;
#[cfg(doc)]
use crate::tally::Acc;
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
    /// fewer to fill for every cell drained and to merge at the end.
    /// Empty in [`Tally::codes`].
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
    /// Adds `more` to its examples, keeping the first [`EXAMPLES`] in
    /// `(path, line)` order.
    pub(super) fn add_examples(&mut self, more: impl IntoIterator<Item = Example>) {
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

/// What `az storage-mover job-run show` says about a run. The status is
/// the one of the latest snapshot (`status_at`, ties broken by the larger
/// status); other fields merge by taking the known value, or the larger of
/// two, so that merging stays order-independent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunInfo {
    /// `status`, e.g. `Failed`.
    pub status: Option<String>,
    /// The time of the snapshot `status` comes from: its
    /// `lastStatusUpdate`, else `executionEndTime`, else
    /// `executionStartTime`.
    pub status_at: Option<Millis>,
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
    /// What the user should know about how an input was read (a structured
    /// input read as text, skipped as binary, decoded from UTF-16), sorted:
    /// not failures, but the report says why.
    pub notes: Vec<FileError>,
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

    /// Total events.
    pub fn events(&self) -> u64 {
        self.codes.values().map(|c| c.count).sum()
    }
}
