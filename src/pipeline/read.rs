//! How one input's bytes reach the scanner: a small file read whole, a
//! large one memory-mapped ([`super::mapped`]), anything else streamed in
//! blocks, each after its first bytes say what it is: compressed, an
//! archive (nested up to [`MAX_NESTING`] deep), UTF-16, or text.

use std::fs::File;
use std::io::{self, Read, Seek};
use std::os::unix::fs::OpenOptionsExt;

use rayon::prelude::*;

use crate::input::archive;
use crate::input::decompress::{self, Budget};
use crate::input::encoding::{Prefix, Utf16, UTF8_BOM};
use crate::input::json::MAX_DOC;
use crate::input::mmap::{guarded, Mapped};
use crate::input::record::Codes;
use crate::input::sniff::{self, Kind};
use crate::input::walk::{Input, Source};
use crate::model::error::FileError;
use crate::pipeline::file::{
    finish_long_line, prefix_of, probe_text, scan_chunk, skipped_binary, skipping, ChunkOut,
    FileCtx, FileScan, InputCtx,
};
use crate::pipeline::{mapped, stop, ReadOptions, BINARY_PROBE, MAX_NESTING, MMAP_MIN, SPOOL};
use crate::scan::longline::LongLine;
use crate::scan::{split_lines, Scanner};
use crate::tally::Tally;

/// Scans one file input.
pub fn scan_input(scanner: &Scanner, input: &Input, opts: ReadOptions, cx: &InputCtx<'_>) -> Tally {
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
        if !plain_text(kind, &head) {
            return scan_kind(scanner, input, opts, kind, file, cx);
        }
        if mapped {
            if let Ok(map) = Mapped::open(&file) {
                let (mut tally, faulted) =
                    mapped::scan_mapped(scanner, &input.display, &map, opts, cx);
                drop(map);
                shrank(&mut tally, faulted);
                return tally;
            }
        }
        let mut tally = scan_reader(scanner, &input.display, &file, opts, cx);
        let short = tally.stats.bytes < len && tally.stats.files == 1;
        shrank(&mut tally, short);
        return tally;
    }
    // A plain log is read whole into the caller's buffer; anything else is
    // streamed from the file afterwards.
    let plain = {
        let mut buf = cx.take_buf();
        buf.clear();
        let result = read_known(&file, len, &mut buf);
        let head = &buf[..buf.len().min(sniff::HEAD)];
        let kind = sniff::kind(head);
        let tally = plain_text(kind, head).then(|| {
            let mut tally = scan_bytes(scanner, &input.display, &buf, opts, cx);
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
        cx.give_buf(buf, 4 * MMAP_MIN as usize);
        (tally, kind)
    };
    match plain {
        (Some(tally), _) => tally,
        (None, kind) => match (&file).seek(io::SeekFrom::Start(0)) {
            Ok(_) => scan_kind(scanner, input, opts, kind, file, cx),
            Err(e) => fail(&e),
        },
    }
}

/// Whether an input of `kind` that starts with `head` is a log in UTF-8,
/// to take the read or mmap path; anything else is streamed.
fn plain_text(kind: Kind, head: &[u8]) -> bool {
    kind == Kind::Text && Utf16::detect(head).is_none()
}

/// Reads `file`, whose length was `len` when opened, into `buf` (cleared
/// by the caller), up to that length: a file that grows meanwhile is read
/// as it was when opened, as a mapped one is, and its end needs no read
/// of its own (one system call a file fewer, on thousands of small files).
/// A length of 0, which files such as those of `/proc` report whatever
/// they hold, is read to its end. A plain read loop (`Take`), not
/// `File`'s `read_to_end`, which asks the kernel for the length and
/// position again.
pub(super) fn read_known(file: &File, len: u64, buf: &mut Vec<u8>) -> io::Result<usize> {
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
    cx: &InputCtx<'_>,
) -> Tally {
    let env = Env::new(scanner, opts, cx);
    if kind == Kind::Zip {
        let entries = Level::TOP.entries();
        return archive::scan_zip(
            &input.display,
            io::BufReader::new(file),
            &env.budget,
            |shown, entry| scan_stream(&env, shown, entry, entries),
        );
    }
    scan_stream(&env, &input.display, file, Level::TOP)
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
    pub cx: &'a InputCtx<'a>,
}

impl<'a> Env<'a> {
    /// A fresh environment for one input.
    pub fn new(scanner: &'a Scanner, opts: ReadOptions, cx: &'a InputCtx<'a>) -> Env<'a> {
        Env {
            scanner,
            opts,
            budget: Budget::new(opts.max_expand),
            cx,
        }
    }
}

/// Where a stream sits among the layers of one input (see the module docs
/// of [`crate::pipeline`]): archives nest up to [`MAX_NESTING`] deep, and
/// each archive entry (and the input itself) may be compressed once and be
/// UTF-16 once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    /// Archives the stream is an entry of, counted from the input.
    pub archives: u8,
    /// Whether it was decompressed since its entry (or the input) began.
    pub decompressed: bool,
    /// Whether it was decoded from UTF-16: text, not containers, from
    /// there on.
    pub decoded: bool,
}

impl Level {
    /// An input as given.
    pub const TOP: Level = Level {
        archives: 0,
        decompressed: false,
        decoded: false,
    };

    /// The level of the entries of an archive at this level.
    pub fn entries(self) -> Level {
        Level {
            archives: self.archives.saturating_add(1),
            ..Level::TOP
        }
    }
}

/// Scans a stream whose kind is not known yet: decodes, decompresses,
/// unpacks or parses it as its first bytes say (see the module docs).
pub fn scan_stream(env: &Env<'_>, display: &str, reader: impl Read, level: Level) -> Tally {
    // A read error in the first bytes comes back after them, so that what
    // could be read is scanned as what it is, and the error then named.
    let (head, mut reader) = decompress::peek(reader, sniff::HEAD);
    let kind = sniff::kind(&head);
    let container = matches!(kind, Kind::Compressed(_) | Kind::Tar | Kind::Zip);
    if !container && !level.decoded {
        if let Some(order) = Utf16::detect(&head) {
            let next = Level {
                decoded: true,
                ..level
            };
            let mut t = scan_stream(env, display, order.decoder(reader), next);
            t.notes.push(FileError {
                path: display.to_string(),
                message: format!("decoded from {}", order.name()),
            });
            return t;
        }
    }
    let bom = !container && head.starts_with(UTF8_BOM);
    if bom {
        // Exports and job-run JSON parse from the first byte; the BOM's
        // bytes count as scanned, as on the read path.
        if let Err(e) = io::copy(
            &mut (&mut reader).take(UTF8_BOM.len() as u64),
            &mut io::sink(),
        ) {
            return fail_with(display, &e);
        }
    }
    let mut tally = match kind {
        Kind::Compressed(c) if !level.decompressed && !level.decoded => match c.decoder(reader) {
            Ok(d) => {
                let next = Level {
                    decompressed: true,
                    ..level
                };
                scan_stream(env, display, env.budget.wrap(d), next)
            }
            Err(e) => fail_with(display, &e),
        },
        Kind::Compressed(c) => cannot_open(
            display,
            &format!(
                "{} data inside a compressed stream: azsm decompresses each file or archive entry once; \
                 decompress it and scan the result",
                c.name()
            ),
        ),
        Kind::Tar | Kind::Zip if level.archives >= MAX_NESTING => cannot_open(
            display,
            &format!(
                "an archive nested more than {MAX_NESTING} archives deep: azsm opens archives up to \
                 {MAX_NESTING} deep; extract this one and scan what it holds"
            ),
        ),
        Kind::Tar if !level.decoded => {
            let entries = level.entries();
            archive::scan_tar(display, reader, &env.budget, |shown, entry| {
                scan_stream(env, shown, entry, entries)
            })
        }
        Kind::Zip if !level.decoded => {
            // The zip index is at the end: the entry is spooled to memory,
            // or past SPOOL bytes to a temporary file, to be read by index.
            let mut spool = tempfile::spooled_tempfile(SPOOL);
            if let Err(e) = io::copy(&mut reader, &mut spool)
                .and_then(|_| spool.seek(io::SeekFrom::Start(0)))
            {
                return fail_with(display, &e);
            }
            let entries = level.entries();
            archive::scan_zip(display, io::BufReader::new(spool), &env.budget, |shown, entry| {
                scan_stream(env, shown, entry, entries)
            })
        }
        Kind::ExportCsv | Kind::ExportJson | Kind::ExportJsonLines | Kind::JobRun => {
            scan_structured(env, display, &head, reader, kind)
        }
        _ => scan_reader(env.scanner, display, reader, env.opts, env.cx),
    };
    if bom {
        tally.stats.bytes += UTF8_BOM.len() as u64;
    }
    tally
}

/// The error of a stream azsm cannot open, saying why (`why`).
fn cannot_open(display: &str, why: &str) -> Tally {
    let mut t = Tally::default();
    t.errors.push(FileError {
        path: display.to_string(),
        message: format!("not scanned: {why}"),
    });
    t
}

/// Scans an input whose first bytes look like an export or job-run JSON:
/// read whole, it is scanned as what it looks like only when its records
/// parse and give, code by code, at least the events the line scanner
/// finds in the same bytes; else it is scanned as text, with a note that
/// says why (a file is text unless proven otherwise).
fn scan_structured(
    env: &Env<'_>,
    display: &str,
    head: &[u8],
    reader: impl Read,
    kind: Kind,
) -> Tally {
    let (scanner, opts, cx) = (env.scanner, env.opts, env.cx);
    let as_text = |why: String, tally: Tally| {
        let mut tally = tally;
        tally.notes.push(FileError {
            path: display.to_string(),
            message: format!("read as text: {why}"),
        });
        tally
    };
    // A long log that only starts like JSON is not read whole first.
    let broken = (kind != Kind::ExportCsv && head.len() == sniff::HEAD)
        .then(|| crate::input::json::head_error(head))
        .flatten();
    if let Some(why) = broken {
        return as_text(why, scan_reader(scanner, display, reader, opts, cx));
    }
    let mut bytes = Vec::new();
    let mut reader = reader.take(MAX_DOC + 1);
    let read = reader.read_to_end(&mut bytes);
    let reader = reader.into_inner();
    if bytes.len() as u64 > MAX_DOC {
        let rest = io::Cursor::new(bytes).chain(reader);
        let tally = scan_reader(scanner, display, rest, opts, cx);
        return as_text(
            "larger than 256 MiB, the limit of the structured readers".into(),
            tally,
        );
    }
    let structured = match kind {
        Kind::ExportCsv => crate::input::export::scan_csv(display, &bytes, scanner),
        _ => crate::input::json::scan(display, &bytes, scanner),
    };
    // Counted with nothing streamed or skipped: only its counts are used.
    let lines = scan_bytes(scanner, display, &bytes, opts, &InputCtx::none());
    let mut tally = match structured.map(|f| (lost(kind, &f.codes, &lines), f.tally)) {
        Ok((None, t)) => cx.send(t),
        Ok((Some(why), _)) | Err(why) => {
            let text = scan_bytes(scanner, display, &bytes, opts, cx);
            as_text(why, text)
        }
    };
    if let Err(e) = read {
        tally.errors.push(FileError::io(display, &e));
    }
    tally
}

/// Why the structured reader of an input of `kind`, whose records that
/// gave events hold `codes`, lost codes the line scanner's `lines` found
/// in the same bytes, if it did: fewer of some code, or fewer in all (the
/// time window leaves some of the scanner's out of its codes).
fn lost(kind: Kind, codes: &Codes, lines: &Tally) -> Option<String> {
    let mine: u64 = codes.values().sum();
    let theirs = lines.events() + lines.window.outside;
    let short = mine < theirs
        || lines
            .codes
            .iter()
            .any(|(c, l)| codes.get(c).copied().unwrap_or(0) < l.count);
    let reader = if kind == Kind::ExportCsv {
        "CSV"
    } else {
        "JSON"
    };
    short.then(|| {
        let codes = if mine == 1 { "code" } else { "codes" };
        format!("the {reader} reader understood {mine} {codes}, the line scanner found {theirs}")
    })
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

/// The read path: a whole input already in memory.
pub fn scan_bytes(
    scanner: &Scanner,
    display: &str,
    buf: &[u8],
    opts: ReadOptions,
    cx: &InputCtx<'_>,
) -> Tally {
    let prefix = prefix_of(buf, opts.binary);
    let body = &buf[prefix.len()..];
    let notes = match probe_text(display, prefix, body, opts.binary) {
        Ok(notes) => notes,
        Err(note) => return skipped_binary(note),
    };
    let ctx = FileCtx::new(display, cx);
    let mut file = FileScan::new(&ctx, cx);
    scan_into(scanner, &ctx, body, opts.chunk, &mut file);
    let mut tally = file.finish();
    tally.stats.files = 1;
    tally.stats.bytes = buf.len() as u64;
    tally.notes.extend(notes);
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

/// The stream path: reads `reader` in blocks and scans whole lines; a
/// line that grows past [`ReadOptions::long_line`] without ending goes to
/// a [`LongLine`] in pieces, so the buffer never holds more than
/// `long_line + block` bytes.
pub fn scan_reader(
    scanner: &Scanner,
    display: &str,
    mut reader: impl Read,
    opts: ReadOptions,
    cx: &InputCtx<'_>,
) -> Tally {
    let ctx = FileCtx::new(display, cx);
    let mut file = FileScan::new(&ctx, cx);
    let block = opts.block.max(1);
    let mut buf: Vec<u8> = Vec::with_capacity(block);
    let mut total = 0u64;
    let mut first = true;
    let mut error = None;
    let mut long: Option<LongLine<'_>> = None;
    let mut notes = Vec::new();
    loop {
        let mut eof = fill(&mut reader, &mut buf, block, &mut error);
        if first {
            first = false;
            let prefix;
            (prefix, eof) = drop_prefix(&mut reader, &mut buf, block, &mut error, eof, opts.binary);
            total += prefix.len() as u64;
            // The probe sees as many bytes as on the other paths, whatever the block.
            while !opts.binary && !eof && buf.len() < BINARY_PROBE {
                eof = fill(&mut reader, &mut buf, block, &mut error);
            }
            match probe_text(display, prefix, &buf, opts.binary) {
                Ok(n) => notes = n,
                Err(note) => return skipped_binary(note),
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
        if eof || stop(cx) {
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
    tally.notes.extend(notes);
    tally
}

/// Drops the stream's [`Prefix`] from the start of `buf`, reading on while
/// all of `buf` is NULs (a run longer than a block); returns the prefix and
/// whether the input ended (`eof`: it had when called). With `binary`,
/// only a BOM is dropped.
fn drop_prefix(
    reader: &mut impl Read,
    buf: &mut Vec<u8>,
    block: usize,
    error: &mut Option<io::Error>,
    mut eof: bool,
    binary: bool,
) -> (Prefix, bool) {
    let mut prefix = prefix_of(buf, binary);
    buf.drain(..prefix.len());
    while !binary && buf.is_empty() && !eof {
        eof = fill(reader, buf, block, error);
        let nuls = buf.iter().position(|&b| b != 0).unwrap_or(buf.len());
        prefix.nuls += nuls;
        buf.drain(..nuls);
    }
    (prefix, eof)
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
