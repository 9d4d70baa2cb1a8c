//! How one input's bytes reach the scanner, and how inputs run in parallel.
//!
//! Three paths, one result (the tests hold them equal):
//! - **read**: files smaller than [`MMAP_MIN`] are read whole into a
//!   per-thread buffer that is reused from file to file;
//! - **mmap**: larger files are memory-mapped ([`crate::input::mmap`]) and cut in
//!   windows of [`WINDOW`] bytes, each into chunks that every thread takes
//!   in turn, with no wait at a window's end (`read/mapped.rs`); a chunk's
//!   pages are released once it is scanned, so resident memory stays
//!   bounded whatever the file's size;
//! - **stream**: standard input (and any reader) is read in blocks, each
//!   scanned up to its last newline while the rest waits for the next block.
//!
//! On the mmap and stream paths a line longer than [`LONG_LINE`] goes to a
//! [`LongLine`] in pieces, so no line costs more memory than a window.
//! Before any of these, the first bytes decide what an input is
//! ([`crate::input::sniff`]): compressed files ([`crate::input::decompress`]), archives
//! ([`crate::input::archive`]), Log Analytics exports ([`crate::input::export`]) and
//! job-run JSON ([`crate::input::jobrun`]) all go through the stream path or their
//! own parser, never decompressed whole; plain logs take the read or mmap
//! path as before. Nesting is one level: a compressed file may hold a tar,
//! a tar's or zip's entries may be compressed, and there it stops.
//!
//! Inputs themselves are scanned in parallel too, and their tallies merged
//! with `+=`, which is order-independent, so the report does not depend on
//! scheduling; with one command-line path, each file is scanned as the walk
//! finds it ([`scan_walking`]). A failing input adds a [`FileError`] and
//! keeps what was scanned before the failure. A file that shrinks while it is read (or
//! whose mapping faults, see [`crate::input::mmap`]) is such a failure: "truncated
//! while azsm read it". Only regular files are opened, non-blocking.

pub mod events;
pub mod file;
pub mod progress;

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read, Seek};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::{Arc, Mutex, PoisonError};

use rayon::prelude::*;

use crate::input::archive;
use crate::input::decompress::{self, Budget};
use crate::input::mmap::{guarded, Mapped};
use crate::input::sniff::{self, Kind};
use crate::input::walk::{self, Input, Source};
use crate::model::error::FileError;
use crate::pipeline::events::Tap;
use crate::pipeline::file::{
    finish_long_line, scan_chunk, whole, ChunkOut, FileCtx, FileScan, Sinks,
};
use crate::pipeline::progress::Progress;
use crate::scan::longline::LongLine;
use crate::scan::{split_lines, Scanner};
use crate::tally::Tally;
use crate::util::interrupt;

mod mapped;

/// Files at least this long are memory-mapped.
pub const MMAP_MIN: u64 = 4 << 20;
/// Bytes of a mapped file cut into chunks at a time (`read/mapped.rs`); a
/// chunk's pages are released as soon as it is scanned, so in practice
/// about one chunk per thread is resident.
pub const WINDOW: usize = 64 << 20;
/// Chunks smaller than this are not worth a thread. Measured on the dense
/// copy log (2 cores, when each window's chunks were scanned as a loop of
/// their own): 8 MiB chunks in 64 MiB windows took 8% less time than 4 MiB
/// in 32 MiB (fewer accumulators to drain, fewer waits at the end of a
/// window); 16 in 128 gained nothing more and held more memory.
pub const CHUNK: usize = 8 << 20;
/// The chunk of a scan whose events are not sent chunk by chunk
/// (`--format json` and the other report formats): each release of a
/// chunk's pages costs a TLB shootdown on the other core, an
/// inter-processor interrupt that is a VM exit here (6 ms of CPU on the
/// agentlog with `-j2`), and 16 MiB chunks make half as many, for 8 MiB more
/// resident per thread (the agentlog's peak RSS 40 → 45-51 MiB; the 64
/// MiB target holds). Measured 2026-11-27, 11 alternating pairs: the agentlog
/// with `-j2` 71.5 → 68.5 ms; the tree 209.0 → 205.8 ms (21 triples).
/// Streamed formats keep [`CHUNK`]: a chunk's events wait in memory until
/// sent (`--format ndjson` on the copylog: 89 → 154 MB with 16 MiB).
pub const TALLY_CHUNK: usize = 16 << 20;
/// Block size of the stream path.
pub const BLOCK: usize = 4 << 20;
/// A line longer than this is scanned in pieces ([`crate::scan::longline`]).
pub const LONG_LINE: usize = 1 << 20;
/// A NUL byte in this many leading bytes marks a file as binary.
pub const BINARY_PROBE: usize = 8 << 10;
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

/// Scans every input, in parallel, on the current rayon pool.
/// `stdin` is used for the `-` input.
pub fn scan_all(
    scanner: &Scanner,
    inputs: &[Input],
    opts: ReadOptions,
    stdin: Option<Box<dyn Read + Send>>,
) -> Tally {
    scan_all_with(scanner, inputs, opts, stdin, None)
}

/// [`scan_all`], counting finished inputs and bytes in `progress`.
pub fn scan_all_with(
    scanner: &Scanner,
    inputs: &[Input],
    opts: ReadOptions,
    stdin: Option<Box<dyn Read + Send>>,
    progress: Option<&Progress>,
) -> Tally {
    scan_all_into(scanner, inputs, opts, stdin, progress, None)
}

/// [`scan_all_with`], sending every event to `events` as the scan goes
/// ([`crate::report::stream`]) instead of keeping it in the tally. Inputs then
/// start in input order, so the writer has little to hold back.
pub fn scan_all_into(
    scanner: &Scanner,
    inputs: &[Input],
    opts: ReadOptions,
    stdin: Option<Box<dyn Read + Send>>,
    progress: Option<&Progress>,
    events: Option<Tap>,
) -> Tally {
    let streamed = events.is_some();
    let folds = Folds::new(scanner, opts, stdin, progress, events);
    let run = |(i, input): (usize, &Input)| folds.run(i, input);
    if streamed {
        // Threads take the next input in turn (not halves of the list).
        inputs.iter().enumerate().par_bridge().for_each(run);
    } else {
        inputs.par_iter().enumerate().for_each(run);
    }
    folds.finish()
}

/// Walks the one command-line path `root` (see [`walk::find`]) and
/// scans each file as the walk finds it, on the current pool: the threads
/// that read directories scan the files in them, so the scan does not wait
/// for the walk to end (on the benchmark tree the walk of 4,041
/// directories alone took 20-28 ms with both cores not always busy). The
/// tally is the one [`scan_all`] gives for the walk's inputs, since inputs
/// fold in any order; that is why this takes no event stream and no
/// scanner that records events (their events are ordered by input number,
/// which only the finished walk gives).
pub fn scan_walking(
    scanner: &Scanner,
    root: &std::path::Path,
    follow: bool,
    opts: ReadOptions,
    progress: Option<&Progress>,
) -> (walk::Found, Tally) {
    debug_assert!(!scanner.records_events(), "events need the input order");
    let folds = Folds::new(scanner, opts, None, progress, None);
    let found = walk::walk_visiting(root, follow, &|input| {
        if let Some(p) = progress {
            p.found_one();
        }
        // No events are recorded, so the input's number goes nowhere.
        folds.run(0, input);
    });
    if let Some(p) = progress {
        p.walk_done();
    }
    (found, folds.finish())
}

/// Scans inputs handed to it from any thread of the current pool, each
/// thread folding them into a running tally of its own; [`Folds::finish`]
/// merges those.
///
/// Each thread folds its inputs into one running tally (their files drain
/// their chunks straight into it: aggregate::sinking_into), then the
/// threads' tallies merge, the smaller into the larger: every entry is
/// inserted about once. (rayon's `fold` would keep a tally per piece of the
/// input list it splits off, some forty on 4,441 files with two threads,
/// each merged into the next.) `+=` is order-independent, so the result is
/// the same whatever thread took which input, in whatever order.
struct Folds<'a> {
    scanner: &'a Scanner,
    opts: ReadOptions,
    stdin: Mutex<Option<Box<dyn Read + Send>>>,
    progress: Option<&'a Progress>,
    events: Option<Tap>,
    /// A running tally per thread of the pool, and one for callers from
    /// outside it.
    slots: Vec<Mutex<Option<Folded>>>,
    /// Tallies put aside, to be merged at the end.
    aside: Mutex<Vec<Tally>>,
}

/// An input's scan skips the examples the inputs already folded have taken
/// (see aggregate::Full). What [`Tally::full_before`] says for a path stays
/// true for later paths and a fuller tally (examples only get earlier), so
/// it is worked out again only every `REFRESH` inputs or when the inputs go
/// back in path order.
const REFRESH: usize = 16;

impl<'a> Folds<'a> {
    fn new(
        scanner: &'a Scanner,
        opts: ReadOptions,
        stdin: Option<Box<dyn Read + Send>>,
        progress: Option<&'a Progress>,
        events: Option<Tap>,
    ) -> Folds<'a> {
        let threads = rayon::current_num_threads();
        Folds {
            scanner,
            opts,
            stdin: Mutex::new(stdin),
            progress,
            events,
            slots: (0..=threads).map(|_| Mutex::new(None)).collect(),
            aside: Mutex::new(Vec::new()),
        }
    }

    /// Scans input number `i`, `input`, into this thread's running tally.
    ///
    /// The running tally is taken out of its slot while the input is
    /// scanned, not borrowed: while it waits for a chunk another thread
    /// took, rayon may run another input on this thread, which then finds
    /// the slot empty and starts a tally of its own. Whichever finishes
    /// second puts its tally aside.
    fn run(&self, i: usize, input: &Input) {
        let last = self.slots.len() - 1;
        let slot = &self.slots[rayon::current_thread_index().map_or(last, |t| t.min(last))];
        let held = whole(slot).take();
        let folded = self.fold(held.unwrap_or_default(), i, input);
        let mut mine = whole(slot);
        if mine.is_none() {
            *mine = Some(folded);
        } else {
            drop(mine);
            whole(&self.aside).push(folded.tally);
        }
    }

    /// `f` with input number `i` folded in.
    fn fold(&self, mut f: Folded, i: usize, input: &Input) -> Folded {
        let full = match &f.full {
            Some((from, full)) if f.since < REFRESH && input.display >= *from => full.clone(),
            _ => {
                let full = Arc::new(f.tally.full_before(&input.display));
                f.full = Some((input.display.clone(), full.clone()));
                f.since = 0;
                full
            }
        };
        f.since += 1;
        // Files drain into the running tally, unless events are kept in
        // it (recorded, not streamed), which must stay per input.
        let sinks = Sinks {
            full: Some(full),
            ..Sinks::default()
        };
        if self.scanner.records_events() && self.events.is_none() {
            let rest = self.one(i, input, sinks);
            f.tally += rest;
        } else {
            let running = Mutex::new(Some(std::mem::take(&mut f.tally)));
            let rest = self.one(
                i,
                input,
                Sinks {
                    running: Some(&running),
                    ..sinks
                },
            );
            f.tally = running
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner)
                .unwrap_or_default();
            f.tally += rest;
        }
        f
    }

    /// The tally of input number `i`, `input`, scanned into `sinks`.
    fn one(&self, i: usize, input: &Input, sinks: Sinks<'_>) -> Tally {
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        let sinks = sinks.streaming(self.events.as_ref(), index);
        let mut tally = match &input.source {
            _ if stop(&sinks) => Tally::default(),
            Source::Stdin => match whole(&self.stdin).take() {
                Some(r) => {
                    let env = Env::new(self.scanner, self.opts, &sinks);
                    scan_stream(&env, &input.display, r, Level::Top)
                }
                None => Tally::default(),
            },
            Source::File(_) => scan_input(self.scanner, input, self.opts, &sinks),
        };
        if let Some(tap) = &self.events {
            // What was not sent chunk by chunk (exports, job-run JSON).
            tap.rows(index, std::mem::take(&mut tally.events));
            tap.done(index);
        }
        tally.set_input(index);
        if let Some(p) = self.progress {
            p.done(tally.stats.bytes);
        }
        tally
    }

    /// Every thread's tally and those put aside, merged: the largest first,
    /// each other merged into it, on all the threads.
    fn finish(self) -> Tally {
        let mut tallies: Vec<Tally> = self
            .aside
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        tallies.extend(
            self.slots
                .into_iter()
                .filter_map(|s| s.into_inner().unwrap_or_else(PoisonError::into_inner))
                .map(|f| f.tally),
        );
        tallies.sort_by_key(|t| std::cmp::Reverse(t.stats.files));
        let mut tallies = tallies.into_iter();
        let mut all = tallies.next().unwrap_or_default();
        for t in tallies {
            all.merge_parallel(t);
        }
        all
    }
}

/// A thread's running tally, and the examples its next inputs can skip
/// (worked out for the path given, `since` inputs ago).
#[derive(Default)]
struct Folded {
    tally: Tally,
    full: Option<(String, Arc<crate::tally::Full>)>,
    since: usize,
}

/// Whether scanning should stop: Ctrl-C, or the per-event output is gone.
fn stop(sinks: &Sinks<'_>) -> bool {
    interrupt::requested() || sinks.gone()
}

/// Scans one file input.
pub fn scan_input(scanner: &Scanner, input: &Input, opts: ReadOptions, sinks: &Sinks<'_>) -> Tally {
    let Source::File(path) = &input.source else {
        return Tally::default();
    };
    let fail = |e: &io::Error| {
        let mut t = Tally::default();
        t.errors.push(FileError::io(&input.display, e));
        t
    };
    // Non-blocking, so that a file replaced by a FIFO since the walk does
    // not block the open; checked to be a regular file before any read.
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
    {
        Ok(f) => f,
        Err(e) => return fail(&e),
    };
    let len = match file.metadata() {
        Ok(m) if m.is_file() => m.len(),
        Ok(m) => {
            let mut t = Tally::default();
            t.errors.push(FileError {
                path: input.display.clone(),
                message: format!(
                    "changed while azsm ran: now {}",
                    crate::input::walk::skip_reason(&m.file_type())
                ),
            });
            return t;
        }
        Err(e) => return fail(&e),
    };
    let shrank = |tally: &mut Tally, faulted: bool| {
        let now = file.metadata().map_or(0, |m| m.len());
        if faulted || now < len {
            tally.errors.push(truncated(&input.display, len, now));
        }
    };
    let mapped = len >= opts.mmap_min && !opts.no_mmap;
    if mapped || len >= opts.mmap_min.max(MMAP_MIN) {
        let head = match sniff_head(&file) {
            Ok(h) => h,
            Err(e) => return fail(&e),
        };
        let kind = sniff::kind(&head);
        if let Err(e) = (&file).seek(io::SeekFrom::Start(0)) {
            return fail(&e);
        }
        if kind != Kind::Text {
            return scan_kind(scanner, input, opts, kind, file, sinks);
        }
        if mapped {
            if let Ok(map) = Mapped::open(&file) {
                let (mut tally, faulted) =
                    mapped::scan_mapped(scanner, &input.display, &map, opts, sinks);
                drop(map);
                shrank(&mut tally, faulted);
                return tally;
            }
        }
        let mut tally = scan_reader(scanner, &input.display, &file, opts, sinks);
        let short = tally.stats.bytes < len && tally.stats.files == 1;
        shrank(&mut tally, short);
        return tally;
    }
    thread_local! {
        static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    // The thread's buffer is taken out while a plain log is scanned, not
    // borrowed: with chunks smaller than the file, rayon may run another
    // input on this thread meanwhile, which then finds it empty and uses a
    // buffer of its own. Anything else is streamed from the file afterwards.
    let plain = {
        let mut buf = BUF.with(|b| std::mem::take(&mut *b.borrow_mut()));
        buf.clear();
        let result = read_known(&file, len, &mut buf);
        let kind = sniff::kind(&buf[..buf.len().min(sniff::HEAD)]);
        let tally = (kind == Kind::Text).then(|| {
            let mut tally = scan_bytes(scanner, &input.display, &buf, opts, sinks);
            if let Err(e) = &result {
                tally.errors.push(FileError::io(&input.display, e));
            } else if (buf.len() as u64) < len {
                // Read whole, nothing was lost whatever the file did
                // after: only a short read asks for its size again (a
                // system call a file, on thousands of small files).
                shrank(&mut tally, true);
            }
            tally
        });
        if buf.capacity() <= 4 * MMAP_MIN as usize {
            BUF.with(|b| *b.borrow_mut() = buf);
        }
        (tally, kind)
    };
    match plain {
        (Some(tally), _) => tally,
        (None, kind) => match (&file).seek(io::SeekFrom::Start(0)) {
            Ok(_) => scan_kind(scanner, input, opts, kind, file, sinks),
            Err(e) => fail(&e),
        },
    }
}

/// Reads `file`, whose length was `len` when opened, into `buf` (cleared
/// by the caller), up to that length: a file that grows meanwhile is read
/// as it was when opened, as a mapped one is, and its end needs no read
/// of its own (one system call a file fewer, on thousands of small files).
/// A length of 0, which files such as those of `/proc` report whatever
/// they hold, is read to its end. A plain read loop (`Take`), not
/// `File`'s `read_to_end`, which asks the kernel for the length and
/// position again.
fn read_known(file: &File, len: u64, buf: &mut Vec<u8>) -> io::Result<usize> {
    buf.reserve(usize::try_from(len).map_or(0, |n| n.saturating_add(1)));
    let limit = if len == 0 { u64::MAX } else { len };
    file.take(limit).read_to_end(buf)
}

/// Scans a file whose first bytes say it is not a plain log.
fn scan_kind(
    scanner: &Scanner,
    input: &Input,
    opts: ReadOptions,
    kind: Kind,
    file: File,
    sinks: &Sinks<'_>,
) -> Tally {
    let env = Env::new(scanner, opts, sinks);
    if kind == Kind::Zip {
        return archive::scan_zip(&input.display, file, &env.budget, |shown, entry| {
            scan_stream(&env, shown, entry, Level::Entry)
        });
    }
    scan_stream(&env, &input.display, file, Level::Top)
}

/// The first [`sniff::HEAD`] bytes of `file`.
fn sniff_head(file: &File) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    file.take(sniff::HEAD as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// What every stream of one input shares: the scanner, the options and the
/// input's expansion budget.
pub struct Env<'a> {
    /// The line scanner.
    pub scanner: &'a Scanner,
    /// How to read.
    pub opts: ReadOptions,
    /// Bytes the input may still expand to.
    pub budget: Budget,
    /// Where the input's results go.
    pub sinks: &'a Sinks<'a>,
}

impl<'a> Env<'a> {
    /// A fresh environment for one input.
    pub fn new(scanner: &'a Scanner, opts: ReadOptions, sinks: &'a Sinks<'a>) -> Env<'a> {
        Env {
            scanner,
            opts,
            budget: Budget::new(opts.max_expand),
            sinks,
        }
    }
}

/// Where in the one level of nesting a stream sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// An input as given: may be compressed, may be an archive.
    Top,
    /// A decompressed input: may be a tar.
    Decompressed,
    /// An archive entry: may be compressed.
    Entry,
    /// A decompressed archive entry: a log, an export or job-run JSON.
    Leaf,
}

/// Scans a stream whose kind is not known yet: decompresses, unpacks or
/// parses it as its first bytes say (see the module docs).
pub fn scan_stream(env: &Env<'_>, display: &str, reader: impl Read, level: Level) -> Tally {
    // A read error in the first bytes comes back after them, so that what
    // could be read is scanned as what it is, and the error then named.
    let (head, reader) = decompress::peek(reader, sniff::HEAD);
    let kind = sniff::kind(&head);
    match kind {
        Kind::Compressed(c) if matches!(level, Level::Top | Level::Entry) => {
            let next = if level == Level::Top {
                Level::Decompressed
            } else {
                Level::Leaf
            };
            match c.decoder(reader) {
                Ok(d) => scan_stream(env, display, env.budget.wrap(d), next),
                Err(e) => fail_with(display, &e),
            }
        }
        Kind::Tar if matches!(level, Level::Top | Level::Decompressed) => {
            archive::scan_tar(display, reader, &env.budget, |shown, entry| {
                scan_stream(env, shown, entry, Level::Entry)
            })
        }
        Kind::Zip if matches!(level, Level::Top | Level::Decompressed) => {
            let mut t = Tally::default();
            t.errors.push(FileError {
                path: display.to_string(),
                message: "a zip archive can only be read from a file (its index is at the end); save it to a file and scan that".into(),
            });
            t
        }
        Kind::ExportCsv | Kind::ExportJson | Kind::ExportJsonLines => env.sinks.send(
            crate::input::export::scan(display, reader, kind, env.scanner),
        ),
        Kind::JobRun => env
            .sinks
            .send(crate::input::jobrun::scan(display, reader, env.scanner)),
        _ => scan_reader(env.scanner, display, reader, env.opts, env.sinks),
    }
}

fn fail_with(display: &str, e: &io::Error) -> Tally {
    let mut t = Tally::default();
    t.errors.push(FileError::io(display, e));
    t
}

/// The error of a file that shrank (was truncated) while it was read.
fn truncated(display: &str, was: u64, now: u64) -> FileError {
    FileError {
        path: display.to_string(),
        message: format!(
            "the file was truncated while azsm read it ({was} bytes at the start, {now} at the end); \
             the events read before are kept, the rest was not scanned; scan a copy of live logs \
             for a complete report"
        ),
    }
}

fn looks_binary(head: &[u8]) -> bool {
    memchr::memchr(0, &head[..head.len().min(BINARY_PROBE)]).is_some()
}

fn skipped_binary() -> Tally {
    let mut t = Tally::default();
    t.stats.skipped_binary = 1;
    t
}

/// The read path: a whole input already in memory.
pub fn scan_bytes(
    scanner: &Scanner,
    display: &str,
    buf: &[u8],
    opts: ReadOptions,
    sinks: &Sinks<'_>,
) -> Tally {
    if !opts.binary && looks_binary(buf) {
        return skipped_binary();
    }
    let ctx = FileCtx::new(display, sinks);
    let mut file = FileScan::new(&ctx, sinks);
    scan_into(scanner, &ctx, buf, opts.chunk, &mut file);
    let mut tally = file.finish();
    tally.stats.files = 1;
    tally.stats.bytes = buf.len() as u64;
    tally
}

/// Scans whole lines `buf` in parallel chunks, pushing them in order.
/// Returns whether a pass over `buf` met a truncation fault (see
/// [`crate::input::mmap`]).
fn scan_into(
    scanner: &Scanner,
    ctx: &FileCtx,
    buf: &[u8],
    chunk: usize,
    file: &mut FileScan<'_>,
) -> bool {
    let ctx = skipping(ctx, file);
    let scan = |c: &[u8]| guarded(|| scan_chunk(scanner, c, &ctx));
    if buf.len() <= chunk {
        let (out, faulted) = scan(buf);
        file.push(out);
        return faulted;
    }
    let (chunks, split_faulted) = guarded(|| split_lines(buf, chunk));
    let (outs, faults): (Vec<ChunkOut>, Vec<bool>) = chunks.into_par_iter().map(scan).unzip();
    for out in outs {
        file.push(out);
    }
    split_faulted || faults.contains(&true)
}

/// `ctx`, also skipping the examples that the file's earlier chunks (or
/// inputs before it) took: they need not be made again.
fn skipping(ctx: &FileCtx, file: &FileScan<'_>) -> FileCtx {
    FileCtx {
        full: file.full(ctx),
        ..ctx.clone()
    }
}

/// The stream path: reads `reader` in blocks and scans whole lines; a
/// line that grows past [`ReadOptions::long_line`] without ending goes to
/// a [`LongLine`] in pieces, so the buffer never holds more than
/// `long_line + block` bytes.
pub fn scan_reader(
    scanner: &Scanner,
    display: &str,
    mut reader: impl Read,
    opts: ReadOptions,
    sinks: &Sinks<'_>,
) -> Tally {
    let ctx = FileCtx::new(display, sinks);
    let mut file = FileScan::new(&ctx, sinks);
    let block = opts.block.max(1);
    let mut buf: Vec<u8> = Vec::with_capacity(block);
    let mut total = 0u64;
    let mut first = true;
    let mut error = None;
    let mut long: Option<LongLine<'_>> = None;
    loop {
        let eof = fill(&mut reader, &mut buf, block, &mut error);
        if first {
            first = false;
            if !opts.binary && looks_binary(&buf) {
                return skipped_binary();
            }
        }
        if let Some(mut line) = long.take() {
            match memchr::memchr(b'\n', &buf) {
                Some(p) => {
                    line.feed(&buf[..p]);
                    file.push(finish_long_line(line, &ctx, true));
                    total += p as u64 + 1;
                    buf.drain(..=p);
                }
                None => {
                    line.feed(&buf);
                    total += buf.len() as u64;
                    buf.clear();
                    if eof {
                        file.push(finish_long_line(line, &ctx, false));
                        break;
                    }
                    long = Some(line);
                    continue;
                }
            }
        }
        let cut = if eof {
            buf.len()
        } else {
            memchr::memrchr(b'\n', &buf).map_or(0, |p| p + 1)
        };
        if cut > 0 {
            scan_into(scanner, &ctx, &buf[..cut], opts.chunk, &mut file);
            total += cut as u64;
            buf.drain(..cut);
        }
        if eof || stop(sinks) {
            break;
        }
        if buf.len() >= opts.long_line {
            let mut line = LongLine::new(scanner);
            line.feed(&buf);
            total += buf.len() as u64;
            buf.clear();
            long = Some(line);
        }
    }
    let mut tally = file.finish();
    tally.stats.files = 1;
    tally.stats.bytes = total;
    if let Some(e) = error {
        tally.errors.push(FileError::io(display, &e));
    }
    tally
}

/// Reads up to `block` more bytes into `buf`; true at end of input (or at
/// an error, which goes to `error`).
fn fill(
    reader: &mut impl Read,
    buf: &mut Vec<u8>,
    block: usize,
    error: &mut Option<io::Error>,
) -> bool {
    let want = buf.len() + block;
    while buf.len() < want {
        match reader.take((want - buf.len()) as u64).read_to_end(buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                *error = Some(e);
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::jobkey::KeyFinder;
    use proptest::prelude::*;

    #[test]
    fn a_small_file_is_read_as_long_as_it_was_when_opened() {
        use std::io::Write;
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"AZSM2062 one\n").unwrap();
        let len = f.metadata().unwrap().len();
        // Grown after its length was taken: read as it was.
        f.write_all(b"AZSM2063 two\n").unwrap();
        let read = |f: &mut File, len: u64| {
            f.rewind().unwrap();
            let mut buf = Vec::new();
            let n = read_known(f, len, &mut buf).unwrap();
            assert_eq!(n, buf.len());
            buf
        };
        assert_eq!(read(&mut f, len), b"AZSM2062 one\n");
        // A length of 0 (as `/proc` files say) reads to the end.
        assert_eq!(read(&mut f, 0), b"AZSM2062 one\nAZSM2063 two\n");
        // Shorter than it was: what is there, for the caller to report.
        f.set_len(5).unwrap();
        assert_eq!(read(&mut f, len), b"AZSM2");
    }

    /// A log line of one of a few kinds: copy-log records with and without
    /// a job key, keyed job-level lines, lines without codes.
    fn line(kind: u8, n: u16) -> String {
        let job = format!("{n:08x}-0000-4000-8000-00000000000{}", n % 7);
        match kind % 5 {
            0 => format!(
                "2024-03-15T08:00:{:02}.001Z AZSM0000 Transferred F 12 a/b/f{n}.txt\n",
                n % 60
            ),
            1 => format!(
                "2024-03-15T08:01:00.002Z jobRunName={job} AZSM2061 Failed F 9 c/d/g{n}.bin\n"
            ),
            2 => format!(
                "2024-03-15T08:02:00.003Z ERROR job run id: {job} AZSM1041 permission denied\n"
            ),
            3 => format!("2024-03-15T08:03:00.004Z INFO progress itemsScanned={n}\n"),
            _ => format!("AZSM2070 Failed F {n} /mnt/src/x{n}.docx\n"),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// A mapped file scanned in many small windows (each window's chunk
        /// outputs pushed while the next window is scanned) gives the tally
        /// of one pass over the whole file: no window's events lost, none
        /// out of order (line numbers, rule-3 keys carried across windows).
        #[test]
        fn windows_of_a_mapped_file_add_up_to_the_whole(
            lines in proptest::collection::vec((0u8..5, 0u16..400), 1..400),
            window in 1usize..600,
            chunk in 1usize..300,
        ) {
            let text: String = lines.iter().map(|&(k, n)| line(k, n)).collect();
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("xdatamoved.log");
            std::fs::write(&path, &text).unwrap();
            let display = "var/log/xdatamoved.log";
            let scanner = Scanner::new(KeyFinder::default());
            let whole = ReadOptions { chunk: usize::MAX, ..ReadOptions::default() };
            let want = scan_bytes(&scanner, display, text.as_bytes(), whole, &Sinks::none());
            let input = Input {
                display: display.into(),
                source: Source::File(path),
            };
            let opts = ReadOptions { mmap_min: 0, window, chunk, ..ReadOptions::default() };
            let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
            let got = pool.install(|| scan_input(&scanner, &input, opts, &Sinks::none()));
            prop_assert_eq!(got, want);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Many inputs scanned at once, some mapped and split in small
        /// chunks (so that a thread waiting for a chunk runs another input
        /// meanwhile, which then starts a running tally of its own), add up
        /// to each input scanned alone, on one to four threads: no input's
        /// tally lost or merged twice.
        #[test]
        fn inputs_scanned_together_add_up_to_each_alone(
            files in proptest::collection::vec(
                proptest::collection::vec((0u8..5, 0u16..400), 0..120),
                1..24,
            ),
            threads in 1usize..5,
            chunk in 64usize..2000,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let inputs: Vec<Input> = files
                .iter()
                .enumerate()
                .map(|(i, lines)| {
                    let path = dir.path().join(format!("{i:02}.log"));
                    let text: String = lines.iter().map(|&(k, n)| line(k, n)).collect();
                    std::fs::write(&path, text).unwrap();
                    Input {
                        display: format!("logs/{i:02}.log"),
                        source: Source::File(path),
                    }
                })
                .collect();
            let scanner = Scanner::new(KeyFinder::default());
            // Files of 4 KiB or more are mapped, in chunks of `chunk` bytes.
            let opts = ReadOptions { mmap_min: 4096, window: 4 * chunk, chunk, ..ReadOptions::default() };
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let got = pool.install(|| scan_all(&scanner, &inputs, opts, None));
            let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
            let mut want = Tally::default();
            for (i, input) in inputs.iter().enumerate() {
                let mut t = one.install(|| scan_input(&scanner, input, opts, &Sinks::none()));
                t.set_input(u32::try_from(i).unwrap());
                want += t;
            }
            prop_assert_eq!(got, want);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// A tree whose files are scanned as the walk finds them gives the
        /// walk's list and the tally of the walk first, the scan after, on
        /// one to four threads: files in nested and in job-named
        /// directories, many in one directory, some mapped in small chunks
        /// (so that a thread waiting for a chunk walks or scans meanwhile).
        #[test]
        fn files_scanned_as_walked_add_up_to_walking_first(
            files in proptest::collection::vec(
                (0usize..6, proptest::collection::vec((0u8..5, 0u16..400), 0..120)),
                0..30,
            ),
            threads in 1usize..5,
            chunk in 64usize..2000,
        ) {
            const DIRS: [&str; 6] = [
                "",
                "a",
                "a/b",
                "xdmdata/archive/0a1b2c3d-0000-4000-8000-000000000001",
                "xdmdata/copy log",
                "xdmdata/copy log",
            ];
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().join("bundle");
            for (i, (d, lines)) in files.iter().enumerate() {
                let at = root.join(DIRS[*d]);
                std::fs::create_dir_all(&at).unwrap();
                let text: String = lines.iter().map(|&(k, n)| line(k, n)).collect();
                std::fs::write(at.join(format!("{i:02}.log")), text).unwrap();
            }
            std::fs::create_dir_all(&root).unwrap();
            let scanner = Scanner::new(KeyFinder::default());
            let opts = ReadOptions { mmap_min: 4096, window: 4 * chunk, chunk, ..ReadOptions::default() };
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let (found, got) = pool.install(|| scan_walking(&scanner, &root, false, opts, None));
            let want_found = pool.install(|| walk::find(std::slice::from_ref(&root), false));
            prop_assert_eq!(&found, &want_found);
            prop_assert_eq!(found.inputs.len(), files.len());
            let want = pool.install(|| scan_all(&scanner, &want_found.inputs, opts, None));
            prop_assert_eq!(got, want);
        }
    }
}
