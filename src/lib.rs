//! azsm: diagnose Azure Storage Mover migrations from their logs.
//!
//! Storage Mover agents report every status as a code, `AZSM` and four
//! digits. azsm finds every code in agent logs and support bundles,
//! attributes each to its job run, tallies them per code, per job run and
//! per scope, and ranks what to fix first with the mitigation text of
//! Microsoft's published table.
//!
//! # Layers
//!
//! Each folder is a layer, and a layer imports only the layers above it in
//! this list (the integration test `layers` enforces it):
//!
//! 1. [`util`]: helpers that know nothing of Storage Mover (sorted sets,
//!    redaction, the Ctrl-C flag, sizes and terminal-safe text).
//! 2. [`model`]: the domain (codes, the catalog, the sub-cause table,
//!    timestamps, the time window, events, errors).
//! 3. [`scan`]: bytes to events (the line scanner, job keys, line masks,
//!    long lines, item paths); events go to a [`model::event::Sink`].
//! 4. [`tally`]: events to mergeable tallies (the per-chunk accumulator,
//!    the tallies and their merging, excerpts, affected items).
//! 5. [`input`]: what a path holds (the walk, sniffing, decompression,
//!    archives, Log Analytics exports, job-run JSON, memory maps).
//! 6. [`pipeline`]: runs the inputs in parallel through input, scan and
//!    tally into one tally, sending events on when they are streamed.
//! 7. [`diagnose`]: tallies to ranked remediations, `explain`, KQL.
//! 8. [`report`]: the report model, reading reports back (merge,
//!    baseline), one file per output format, the per-event writer.
//! 9. [`cli`]: the clap arguments and the checked configuration built
//!    from them before any work starts.
//! 10. [`app`]: runs a command end to end; `main.rs` only calls [`run`],
//!     so tests run the whole program in-process.
//!
//! `unsafe` code lives in [`input::mmap`] alone.

#![deny(unsafe_code)]

#[cfg(not(unix))]
compile_error!("azsm supports Unix-like systems only: it memory-maps inputs under a POSIX SIGBUS handler and reads Unix file types; Windows is not supported");

pub mod app;
pub mod cli;
pub mod diagnose;
pub mod input;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod scan;
pub mod tally;
#[doc(hidden)]
pub mod testing;
pub mod util;

pub use app::{real_terminal, run, Io, Leftovers, EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};
