//! Events: what the scanner finds, and where it puts them.
//!
//! An [`Event`] is one code on one line, with the facts the scanner read
//! around it (its job, time, sub-cause, item). The scanner knows nothing
//! of tallies: it hands each event to a [`Sink`], which the pipeline backs
//! with the tally layer's accumulator. Exports and job-run JSON make the
//! same events from their records.

use serde::Serialize;

use crate::model::causes::Hit;
use crate::model::code::Code;
use crate::model::timestamp::Millis;

/// About how many characters of a line an example keeps.
pub const EXCERPT: usize = 200;
/// How far before an excerpt's cut redaction looks for the start of a word.
pub const REDACT_LOOKBACK: usize = 4096;
/// How far before that word redaction looks for a key (`Authorization:`).
pub const REDACT_KEY: usize = 64;

/// Which attribution rule gave an event its job run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    /// 1: a job key on the event's own line.
    Line,
    /// 2: a GUID component of the file's path.
    Path,
    /// 3: the last job key on an earlier line of the same file.
    Carried,
    /// A structured record's job field: an export's `JobRunName` column,
    /// a job-run JSON's `name`.
    Column,
    /// 4: none; also every agent-level (`AZSM0xxx`) event.
    None,
}

/// The job an event belongs to, as the scanner knows it.
#[derive(Clone, Copy, Debug)]
pub enum JobSlot<'a> {
    /// Attributed by `rule` to this id.
    Id(&'a [u8], Rule),
    /// Rule 3 applies, but the key lies before this chunk: resolved when the
    /// chunks are put back in order.
    Pending,
    /// Agent-level: never attributed.
    Agent,
    /// No rule applies.
    None,
}

/// One line's code, as the scanner sees it.
#[derive(Clone, Copy, Debug)]
pub struct Event<'a> {
    /// The code.
    pub code: Code,
    /// Its job.
    pub job: JobSlot<'a>,
    /// 1-based line number, counted from the start of the chunk.
    pub line: u64,
    /// The time at the start of the line.
    pub time: Option<Millis>,
    /// The line without its line ending, or (for a line too long to hold,
    /// see [`crate::scan::longline`]) the part of it around the code.
    pub text: &'a [u8],
    /// Where `text` starts in the line (0 when it is the whole line).
    pub text_start: usize,
    /// The line's length, without its line ending.
    pub line_len: usize,
    /// Where the code starts in the line.
    pub column: usize,
    /// The sub-cause the words on the line give the code, if any.
    pub cause: Option<Hit>,
    /// The item (file or directory) path the event is about, for item-scope
    /// codes, when known; see [`crate::tally::items`].
    pub item: Option<&'a [u8]>,
}

/// Where the scanner puts what it finds.
pub trait Sink {
    /// Takes one event.
    fn add(&mut self, ev: &Event<'_>);
    /// Counts one event that the time window left out.
    fn add_outside(&mut self);
}
