//! How one input's bytes reach the scanner, and how inputs run in parallel.
//!
//! Three paths, one result (the tests hold them equal):
//! - **read**: files smaller than [`MMAP_MIN`] are read whole into a
//!   buffer that each thread reuses from file to file;
//! - **mmap**: larger files are memory-mapped ([`crate::input::mmap`]) and cut in
//!   windows of [`WINDOW`] bytes, each into chunks that every thread takes
//!   in turn, with no wait at a window's end (`pipeline/mapped.rs`); a chunk's
//!   pages are released once it is scanned, so resident memory stays
//!   bounded whatever the file's size;
//! - **stream**: standard input (and any reader) is read in blocks, each
//!   scanned up to its last newline while the rest waits for the next block.
//!
//! On the mmap and stream paths a line longer than [`LONG_LINE`] goes to a
//! [`crate::scan::longline::LongLine`] in pieces, so no line costs more memory than a window.
//! Before any of these, the first bytes decide what an input is
//! (`input::sniff`): compressed files ([`crate::input::decompress`]), archives
//! (`input::archive`), Log Analytics exports (`input::export`) and
//! job-run JSON (`input::jobrun`) go through the stream path or, read
//! whole (they are small), their own parser, which must prove it loses no code
//! the line scanner finds, else they are read as text; plain logs take the read
//! or mmap path as before. Archives nest up to [`MAX_NESTING`] deep (a zip holding
//! a `.tar.zst` holding a zip); the input and each entry may be compressed
//! once, which is no level of its own; a zip inside a stream is spooled
//! (to memory, past [`SPOOL`] bytes to a temporary file) to be read by its
//! index. What cannot be opened (too deep, compressed twice, an encrypted
//! zip entry) is an error naming it, never a silent skip. UTF-16 inputs
//! and entries are decoded to UTF-8 and then read as what they hold; a
//! UTF-8 BOM and a leading run of NULs are dropped (`input::encoding`).
//!
//! Inputs themselves are scanned in parallel too, and their tallies merged
//! with `+=`, which is order-independent, so the report does not depend on
//! scheduling; with one command-line path, each file is scanned as the walk
//! finds it ([`scan_walking`]). A failing input adds a [`crate::model::error::FileError`] and
//! keeps what was scanned before the failure. A file that shrinks while it is read (or
//! whose mapping faults, see [`crate::input::mmap`]) is such a failure: "truncated
//! while azsm read it". Only regular files are opened, non-blocking.

pub mod events;
pub mod file;
mod fold;
mod mapped;
pub mod progress;
mod read;

pub use fold::{scan_all, scan_all_into, scan_all_with, scan_walking};
pub use read::{scan_bytes, scan_input, scan_reader, scan_stream, Env, Level};

use crate::pipeline::file::InputCtx;
use crate::util::interrupt;

/// Files at least this long are memory-mapped.
pub const MMAP_MIN: u64 = 4 << 20;
/// Bytes of a mapped file cut into chunks at a time (`pipeline/mapped.rs`); a
/// chunk's pages are released as soon as it is scanned, so in practice
/// about one chunk per thread is resident.
pub const WINDOW: usize = 64 << 20;
/// Bytes of a chunk, the unit one thread scans: large enough that draining
/// its accumulator and waiting at a window's end are rare, small enough
/// that both threads stay busy to the end of a window.
pub const CHUNK: usize = 8 << 20;
/// The chunk of a scan whose events are not sent chunk by chunk (`json`
/// and the other report formats): each release of a chunk's pages costs a
/// TLB shootdown on the other cores, so larger chunks make fewer, for a
/// little more resident memory per thread. Streamed formats keep
/// [`CHUNK`], because a chunk's events wait in memory until sent.
pub const TALLY_CHUNK: usize = 16 << 20;
/// Block size of the stream path.
pub const BLOCK: usize = 4 << 20;
/// A line longer than this is scanned in pieces ([`crate::scan::longline`]).
pub const LONG_LINE: usize = 1 << 20;
/// A NUL byte in this many leading bytes (after a leading NUL run), with
/// little text, marks a file as binary.
pub const BINARY_PROBE: usize = 8 << 10;
/// Archives nested in archives are opened this deep (the input's own
/// archive counts; compression does not).
pub const MAX_NESTING: u8 = 3;
/// Bytes of a zip inside a stream held in memory; a larger one is spooled
/// to a temporary file.
pub const SPOOL: usize = 64 << 20;
/// Default of `--max-expand`: bytes one input may expand to.
pub const MAX_EXPAND: u64 = 64 << 30;

/// How inputs are read.
#[derive(Clone, Copy, Debug)]
pub struct ReadOptions {
    /// Scan files that look binary too.
    pub binary: bool,
    /// Never memory-map.
    pub no_mmap: bool,
    /// Chunk size for parallel scanning of one buffer.
    pub chunk: usize,
    /// Files at least this long are memory-mapped.
    pub mmap_min: u64,
    /// Bytes of a mapped file scanned at a time.
    pub window: usize,
    /// Block size of the stream path.
    pub block: usize,
    /// Lines longer than this may be scanned in pieces.
    pub long_line: usize,
    /// Bytes one input may expand to when decompressed (`--max-expand`).
    pub max_expand: u64,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions {
            binary: false,
            no_mmap: false,
            chunk: CHUNK,
            mmap_min: MMAP_MIN,
            window: WINDOW,
            block: BLOCK,
            long_line: LONG_LINE,
            max_expand: MAX_EXPAND,
        }
    }
}

/// Whether scanning should stop: Ctrl-C, or the per-event output is gone.
fn stop(cx: &InputCtx<'_>) -> bool {
    interrupt::requested() || cx.gone()
}

#[cfg(test)]
mod tests;
