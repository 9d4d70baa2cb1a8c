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
//!
//! The accumulator and its pool are in `acc`, the tallies in `counts`,
//! their merging in `merge`, [`Full`] in `full`, excerpts in `excerpt`,
//! affected items in [`items`].

mod acc;
mod counts;
mod excerpt;
mod full;
pub mod items;
mod merge;
mod sink;

pub use crate::model::event::{Event, JobSlot, Rule, Sink, EXCERPT, REDACT_KEY, REDACT_LOOKBACK};
pub use acc::{Acc, AccPool};
pub use counts::{
    CodeTally, EventRow, Example, JobSet, JobTally, RuleCounts, RunInfo, ScanStats, Site, Tally,
    WindowCounts, CAUSE_EXAMPLES, EXAMPLES,
};
pub use excerpt::{excerpt, excerpt_of};
pub use full::Full;
pub(crate) use merge::keep_smallest;
