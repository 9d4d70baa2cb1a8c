//! How one input's bytes reach the scanner, and how inputs run in parallel.
//!
//! Three paths, one result (the tests hold them equal):
//! - **read**: files smaller than [`MMAP_MIN`] are read whole into a
//!   per-thread buffer that is reused from file to file;
//! - **mmap**: larger files are memory-mapped ([`crate::mmap`]) and scanned
//!   in windows of [`WINDOW`] bytes, each split into chunks scanned in
//!   parallel; a window's pages are released once it is done, so resident
//!   memory stays bounded whatever the file's size;
//! - **stream**: standard input (and any reader) is read in blocks, each
//!   scanned up to its last newline while the rest waits for the next block.
//!
//! Before any of these, the first bytes decide what an input is
//! ([`crate::sniff`]): compressed files ([`crate::decompress`]), archives
//! ([`crate::archive`]), Log Analytics exports ([`crate::export`]) and
//! job-run JSON ([`crate::jobrun`]) all go through the stream path or their
//! own parser, never decompressed whole; plain logs take the read or mmap
//! path as before. Nesting is one level: a compressed file may hold a tar,
//! a tar's or zip's entries may be compressed, and there it stops.
//!
//! Inputs themselves are scanned in parallel too, and their tallies merged
//! with `+=`, which is order-independent, so the report does not depend on
//! scheduling. A failing input adds a [`FileError`] and keeps what was
//! scanned before the failure.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read, Seek};

use rayon::prelude::*;

use crate::aggregate::Tally;
use crate::decompress::{self, Budget};
use crate::error::FileError;
use crate::inputs::{Input, Source};
use crate::mmap::Mapped;
use crate::progress::Progress;
use crate::scan::{split_lines, FileCtx, FileScan, Scanner};
use crate::sniff::{self, Kind};

/// Files at least this long are memory-mapped.
pub const MMAP_MIN: u64 = 4 << 20;
/// Bytes of a mapped file scanned (and resident) at a time.
pub const WINDOW: usize = 32 << 20;
/// Chunks smaller than this are not worth a thread.
pub const CHUNK: usize = 4 << 20;
/// Block size of the stream path.
pub const BLOCK: usize = 4 << 20;
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
    let stdin = std::sync::Mutex::new(stdin);
    inputs
        .par_iter()
        .enumerate()
        .map(|(i, input)| {
            let mut tally = match &input.source {
                Source::Stdin => {
                    let reader = stdin.lock().map(|mut s| s.take()).unwrap_or(None);
                    match reader {
                        Some(r) => {
                            let env = Env::new(scanner, opts);
                            scan_stream(&env, &input.display, r, Level::Top)
                        }
                        None => Tally::default(),
                    }
                }
                Source::File(_) => scan_input(scanner, input, opts),
            };
            tally.set_input(u32::try_from(i).unwrap_or(u32::MAX));
            if let Some(p) = progress {
                p.done(tally.stats.bytes);
            }
            tally
        })
        .reduce(Tally::default, |mut a, b| {
            a += b;
            a
        })
}

/// Scans one file input.
pub fn scan_input(scanner: &Scanner, input: &Input, opts: ReadOptions) -> Tally {
    let Source::File(path) = &input.source else {
        return Tally::default();
    };
    let fail = |e: &io::Error| {
        let mut t = Tally::default();
        t.errors.push(FileError::io(&input.display, e));
        t
    };
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return fail(&e),
    };
    let len = match file.metadata() {
        Ok(m) => m.len(),
        Err(e) => return fail(&e),
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
            return scan_kind(scanner, input, opts, kind, file);
        }
        if mapped {
            if let Ok(map) = Mapped::open(&file) {
                return scan_mapped(scanner, &input.display, &map, opts);
            }
        }
        return scan_reader(scanner, &input.display, file, opts);
    }
    thread_local! {
        static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    // The buffer stays borrowed only while a plain log is scanned in one
    // piece (no parallel chunks, so rayon cannot run another input on this
    // thread meanwhile); anything else is streamed from the file afterwards.
    let plain = BUF.with(|buf| {
        let mut buf = buf.borrow_mut();
        buf.clear();
        let result = (&file).read_to_end(&mut buf);
        let kind = sniff::kind(&buf[..buf.len().min(sniff::HEAD)]);
        let tally = (kind == Kind::Text).then(|| {
            let mut tally = scan_bytes(scanner, &input.display, &buf, opts);
            if let Err(e) = &result {
                tally.errors.push(FileError::io(&input.display, e));
            }
            tally
        });
        if buf.capacity() > 4 * MMAP_MIN as usize {
            *buf = Vec::new();
        }
        (tally, kind)
    });
    match plain {
        (Some(tally), _) => tally,
        (None, kind) => match (&file).seek(io::SeekFrom::Start(0)) {
            Ok(_) => scan_kind(scanner, input, opts, kind, file),
            Err(e) => fail(&e),
        },
    }
}

/// Scans a file whose first bytes say it is not a plain log.
fn scan_kind(scanner: &Scanner, input: &Input, opts: ReadOptions, kind: Kind, file: File) -> Tally {
    let env = Env::new(scanner, opts);
    if kind == Kind::Zip {
        return crate::archive::scan_zip(&env, &input.display, file);
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
}

impl<'a> Env<'a> {
    /// A fresh environment for one input.
    pub fn new(scanner: &'a Scanner, opts: ReadOptions) -> Env<'a> {
        Env {
            scanner,
            opts,
            budget: Budget::new(opts.max_expand),
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
            crate::archive::scan_tar(env, display, reader)
        }
        Kind::Zip if matches!(level, Level::Top | Level::Decompressed) => {
            let mut t = Tally::default();
            t.errors.push(FileError {
                path: display.to_string(),
                message: "a zip archive can only be read from a file (its index is at the end); save it to a file and scan that".into(),
            });
            t
        }
        Kind::ExportCsv | Kind::ExportJson | Kind::ExportJsonLines => {
            crate::export::scan(display, reader, kind, env.scanner)
        }
        Kind::JobRun => crate::jobrun::scan(display, reader, env.scanner),
        _ => scan_reader(env.scanner, display, reader, env.opts),
    }
}

fn fail_with(display: &str, e: &io::Error) -> Tally {
    let mut t = Tally::default();
    t.errors.push(FileError::io(display, e));
    t
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
pub fn scan_bytes(scanner: &Scanner, display: &str, buf: &[u8], opts: ReadOptions) -> Tally {
    if !opts.binary && looks_binary(buf) {
        return skipped_binary();
    }
    let ctx = FileCtx::new(display);
    let mut file = FileScan::new(&ctx);
    scan_into(scanner, &ctx, buf, opts.chunk, &mut file);
    let mut tally = file.finish();
    tally.stats.files = 1;
    tally.stats.bytes = buf.len() as u64;
    tally
}

/// Scans whole lines `buf` in parallel chunks, pushing them in order.
fn scan_into(scanner: &Scanner, ctx: &FileCtx, buf: &[u8], chunk: usize, file: &mut FileScan) {
    if buf.len() <= chunk {
        file.push(scanner.scan_chunk(buf, ctx));
        return;
    }
    let outs: Vec<_> = split_lines(buf, chunk)
        .into_par_iter()
        .map(|c| scanner.scan_chunk(c, ctx))
        .collect();
    for out in outs {
        file.push(out);
    }
}

fn scan_mapped(scanner: &Scanner, display: &str, map: &Mapped, opts: ReadOptions) -> Tally {
    let bytes = map.bytes();
    if !opts.binary && looks_binary(bytes) {
        return skipped_binary();
    }
    let ctx = FileCtx::new(display);
    let mut file = FileScan::new(&ctx);
    let window = opts.window.max(1);
    let mut start = 0;
    for w in split_lines(bytes, window) {
        scan_into(scanner, &ctx, w, opts.chunk, &mut file);
        map.release(start, start + w.len());
        start += w.len();
    }
    let mut tally = file.finish();
    tally.stats.files = 1;
    tally.stats.bytes = bytes.len() as u64;
    tally
}

/// The stream path: reads `reader` in blocks and scans whole lines.
pub fn scan_reader(
    scanner: &Scanner,
    display: &str,
    mut reader: impl Read,
    opts: ReadOptions,
) -> Tally {
    let ctx = FileCtx::new(display);
    let mut file = FileScan::new(&ctx);
    let block = opts.block.max(1);
    let mut buf: Vec<u8> = Vec::with_capacity(block);
    let mut total = 0u64;
    let mut first = true;
    let mut error = None;
    loop {
        // Fill up to `block` bytes past what is carried over.
        let want = buf.len() + block;
        let mut eof = false;
        while buf.len() < want {
            match (&mut reader)
                .take((want - buf.len()) as u64)
                .read_to_end(&mut buf)
            {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    error = Some(e);
                    eof = true;
                    break;
                }
            }
        }
        if first {
            first = false;
            if !opts.binary && looks_binary(&buf) {
                return skipped_binary();
            }
        }
        let cut = if eof {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', &buf) {
                Some(p) => p + 1,
                None => continue, // one long line: read more
            }
        };
        if cut > 0 {
            scan_into(scanner, &ctx, &buf[..cut], opts.chunk, &mut file);
            total += cut as u64;
            buf.drain(..cut);
        }
        if eof {
            break;
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
