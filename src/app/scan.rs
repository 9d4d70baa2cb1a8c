//! `azsm scan`: the thread pool, the walk and scan of the inputs, the
//! per-event writer beside them, and the check that something was scanned.

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::cli::config;
use crate::cli::config::ScanConfig;
use crate::cli::{self, ReportFormat};
use crate::input::walk;
use crate::model::catalog;
use crate::model::error::Error;
use crate::pipeline::{self, progress};
use crate::report::stream;
use crate::report::{Context, Report};
use crate::tally;
use crate::util::{fmt, interrupt};

use super::{finish, Io};

/// `azsm scan`: walks and scans `paths`, then writes the report.
pub(super) fn scan(
    cfg: &ScanConfig,
    paths: &[PathBuf],
    reads: &[PathBuf],
    catalog: &catalog::Catalog,
    color: cli::ColorChoice,
    io: &mut Io<'_>,
) -> Result<i32, Error> {
    let started = Instant::now();
    let pool = thread_pool(cfg.threads)?;
    let mut prepared = cfg.output.prepare(reads)?;
    let stdin = io.stdin.take();
    let mut writer = event_writer(cfg, &mut prepared)?;
    let _note = writer
        .as_ref()
        .map(|w| InterruptNote::set(w, cfg.output.format));
    let (found, mut tally, written) = scan_inputs(cfg, paths, &pool, stdin, writer.as_mut(), io);
    if interrupt::requested() {
        // Half a scan is no report: say so, print nothing more on stdout.
        let _ = writeln!(io.stderr, "{}", interrupt::note());
        return Ok(interrupt::EXIT_INTERRUPTED);
    }
    // A per-event output that failed (a closed pipe, a full disk) ends
    // the run: the scan stopped early, so no other output is written.
    written?;
    for note in found.skipped.iter().chain(&tally.notes) {
        let _ = writeln!(
            io.stderr,
            "azsm: note: {}: {}",
            fmt::clean(&note.path),
            fmt::clean(&note.message)
        );
    }
    tally.errors.extend(found.errors);
    if let Some(nothing) = scanned_nothing(paths, &tally, found.skipped.len()) {
        tally.errors.push(nothing);
    }
    // Built on the scan's threads: its rows are built in parallel.
    let report = pool.install(|| {
        Report::build_with(&tally, catalog, cfg.scanner.causes(), cfg.window, cfg.items)
    });
    let root = match paths {
        [one] if one.is_dir() => Some(one.to_string_lossy().into_owned()),
        _ => None,
    };
    let ctx = Context {
        root,
        text: Default::default(),
        pool: Some(pool),
    };
    let status = finish(
        report,
        &cfg.output,
        prepared,
        ctx,
        color,
        Some(started),
        writer,
        io,
    );
    io.leftovers.keep(tally);
    io.leftovers.keep(found.inputs);
    status
}

/// The error of a scan that read no file at all and met no other error
/// (an empty directory, every file skipped): an empty scan is never clean.
fn scanned_nothing(
    paths: &[PathBuf],
    tally: &tally::Tally,
    skipped: usize,
) -> Option<crate::model::error::FileError> {
    if tally.stats.files > 0 || !tally.errors.is_empty() {
        return None;
    }
    let binary = tally.stats.skipped_binary;
    let why = match (binary, skipped) {
        (0, 0) => "no file to scan was found (an empty directory?); check the path".to_string(),
        (b, s) => {
            let mut parts = Vec::new();
            if b > 0 {
                parts.push(format!("{b} skipped as binary (--binary scans them)"));
            }
            if s > 0 {
                parts.push(format!(
                    "{s} entries passed over (links are followed with --follow; see the notes)"
                ));
            }
            format!("every file was skipped: {}", parts.join(", "))
        }
    };
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    Some(crate::model::error::FileError {
        path: shown.join(" "),
        message: format!("nothing scanned: {why}"),
    })
}

/// The scan's thread pool, of `threads` threads.
fn thread_pool(threads: usize) -> Result<Arc<rayon::ThreadPool>, Error> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Threads {
            threads,
            reason: e.to_string(),
        })?;
    Ok(Arc::new(pool))
}

/// Ctrl-C's note while per-event outputs are written (they end at a whole
/// record), put back however the scan ends.
struct InterruptNote;

impl InterruptNote {
    fn set(w: &stream::Writer, stdout: ReportFormat) -> InterruptNote {
        // Output files are temporary until the run ends, then dropped: only
        // standard output can hold part of the records.
        if w.uses_stdout() {
            let name = if stdout == ReportFormat::Csv {
                "csv"
            } else {
                "ndjson"
            };
            interrupt::set_note(Some(format!(
                "{}; incomplete, ending at a whole record: the {name} on standard output",
                interrupt::NO_REPORT,
            )));
        }
        InterruptNote
    }
}

impl Drop for InterruptNote {
    fn drop(&mut self) {
        interrupt::set_note(None);
    }
}

/// Walks and scans `paths` on `pool`, under the progress bar when one may
/// be drawn, while `writer` (if any) writes the events on a thread of its
/// own; returns what the walk found, the tally, and how the writing went.
fn scan_inputs(
    cfg: &ScanConfig,
    paths: &[PathBuf],
    pool: &rayon::ThreadPool,
    stdin: Option<Box<dyn Read + Send>>,
    writer: Option<&mut stream::Writer>,
    io: &mut Io<'_>,
) -> (walk::Found, tally::Tally, Result<(), Error>) {
    let counters = progress::Progress::default();
    let show = io.terminal.progress(cfg.output.quiet);
    // One directory or file, and no events to keep in input order: its
    // files are scanned as the walk finds them (pipeline::scan_walking).
    // Otherwise the walk ends first: the inputs are numbered, and a file
    // that two arguments reach is found once.
    let walking = match paths {
        [one] if one.as_os_str() != "-" && writer.is_none() && !cfg.scanner.records_events() => {
            Some(one)
        }
        _ => None,
    };
    let walked_first = walking
        .is_none()
        .then(|| pool.install(|| walk::find(paths, cfg.follow)));
    // Counted only for the bar: each count is an atomic add on a line
    // the threads share, per input.
    let counting = show.then_some(&counters);
    let scan = |events| {
        let total = walked_first.as_ref().map(|f| f.inputs.len());
        progress::watch(
            show,
            progress::DELAY,
            total,
            &counters,
            &mut *io.stderr,
            || {
                pool.install(|| match (walking, &walked_first) {
                    (Some(root), _) => {
                        let (found, tally) = pipeline::scan_walking(
                            &cfg.scanner,
                            root,
                            cfg.follow,
                            cfg.read,
                            counting,
                        );
                        (Some(found), tally)
                    }
                    (None, found) => {
                        let inputs = found.as_ref().map_or(&[][..], |f| &f.inputs[..]);
                        let tally = pipeline::scan_all_into(
                            &cfg.scanner,
                            inputs,
                            cfg.read,
                            stdin,
                            counting,
                            events,
                        );
                        (None, tally)
                    }
                })
            },
        )
    };
    let ((walked, tally), written) = match writer {
        None => (scan(None), Ok(())),
        Some(w) => {
            let (tap, rx, gone) = w.channel();
            let stdout = &mut *io.stdout;
            std::thread::scope(|s| {
                let handle = s.spawn(move || w.run(rx, &gone, stdout));
                let scanned = scan(Some(tap));
                match handle.join() {
                    Ok(written) => (scanned, written),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            })
        }
    };
    let found = walked.or(walked_first).unwrap_or_default();
    (found, tally, written)
}

/// The writer of the per-event outputs, if any is asked for: standard
/// output (`--format ndjson|csv`) and the `--ndjson`/`--csv` files, which
/// it takes out of `prepared`.
fn event_writer(
    cfg: &ScanConfig,
    prepared: &mut config::Prepared,
) -> Result<Option<stream::Writer>, Error> {
    let format = |f| match f {
        ReportFormat::Ndjson => Some(stream::Format::Ndjson),
        ReportFormat::Csv => Some(stream::Format::Csv),
        _ => None,
    };
    let baseline = prepared.baseline.is_some();
    let mut lanes = Vec::new();
    if let Some(f) = format(cfg.output.format) {
        lanes.push(stream::Lane::new(f, stream::Dest::Stdout, baseline)?);
    }
    let mut rest = Vec::new();
    for (f, flag, path, file) in std::mem::take(&mut prepared.files) {
        match format(f) {
            Some(f) => {
                let file = io::BufWriter::with_capacity(1 << 16, file);
                let dest = stream::Dest::File { flag, path, file };
                lanes.push(stream::Lane::new(f, dest, baseline)?);
            }
            None => rest.push((f, flag, path, file)),
        }
    }
    prepared.files = rest;
    if lanes.is_empty() {
        return Ok(None);
    }
    let names = cfg
        .scanner
        .causes()
        .iter()
        .map(|(_, c)| c.name.clone())
        .collect();
    Ok(Some(stream::Writer::new(lanes, names)))
}
