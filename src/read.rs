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
//! Inputs themselves are scanned in parallel too, and their tallies merged
//! with `+=`, which is order-independent, so the report does not depend on
//! scheduling. A failing input adds a [`FileError`] and keeps what was
//! scanned before the failure.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read};

use rayon::prelude::*;

use crate::aggregate::Tally;
use crate::error::FileError;
use crate::inputs::{Input, Source};
use crate::mmap::Mapped;
use crate::progress::Progress;
use crate::scan::{split_lines, FileCtx, FileScan, Scanner};

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
                        Some(r) => scan_reader(scanner, &input.display, r, opts),
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
    if len >= opts.mmap_min && !opts.no_mmap {
        if let Ok(map) = Mapped::open(&file) {
            return scan_mapped(scanner, &input.display, &map, opts);
        }
    }
    if len >= opts.mmap_min.max(MMAP_MIN) {
        return scan_reader(scanner, &input.display, file, opts);
    }
    thread_local! {
        static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    BUF.with(|buf| {
        let mut buf = buf.borrow_mut();
        buf.clear();
        let result = (&file).read_to_end(&mut buf);
        let mut tally = scan_bytes(scanner, &input.display, &buf, opts);
        if let Err(e) = result {
            tally.errors.push(FileError::io(&input.display, &e));
        }
        if buf.capacity() > 4 * MMAP_MIN as usize {
            *buf = Vec::new();
        }
        tally
    })
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
