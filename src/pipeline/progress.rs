//! The progress bar: files and bytes done and the rate, on standard error.
//!
//! Drawn only when the caller says so (standard error is a terminal, `CI`
//! is unset, no `--quiet`: see [`crate::cli::config::Terminal::progress`]) and
//! only once a scan has run for [`DELAY`], so quick scans and pipes never
//! see it. Workers bump two atomic counters per finished input; the
//! calling thread redraws one line every [`TICK`] while the work runs on a
//! scoped thread, and erases it at the end, so the report on standard
//! output is unaffected.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Scans shorter than this show no bar.
pub const DELAY: Duration = Duration::from_secs(1);
/// Redraw interval.
pub const TICK: Duration = Duration::from_millis(100);

/// Counters the workers update.
#[derive(Debug, Default)]
pub struct Progress {
    /// Inputs finished.
    pub files: AtomicU64,
    /// Bytes of finished inputs.
    pub bytes: AtomicU64,
    /// Inputs found so far, when the walk runs beside the scan
    /// ([`crate::pipeline::scan_walking`]).
    pub found: AtomicU64,
    /// Whether that walk is over.
    walked: AtomicBool,
    drawn: AtomicBool,
}

impl Progress {
    /// Records one finished input of `bytes` bytes.
    pub fn done(&self, bytes: u64) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Records one more input found by a walk that runs beside the scan.
    pub fn found_one(&self) {
        self.found.fetch_add(1, Ordering::Relaxed);
    }

    /// Records that the walk is over: [`Progress::found`] is the total.
    pub fn walk_done(&self) {
        self.walked.store(true, Ordering::Relaxed);
    }

    /// Whether a line was drawn at least once.
    pub fn was_drawn(&self) -> bool {
        self.drawn.load(Ordering::Relaxed)
    }
}

/// One line of the bar; `more` when inputs are still being found (the
/// total then shows a `+`).
pub fn line(files: u64, total: usize, more: bool, bytes: u64, elapsed: Duration) -> String {
    let rate = bytes as f64 / elapsed.as_secs_f64().max(0.001);
    let width = 20usize;
    let filled = (files as usize * width)
        .checked_div(total)
        .unwrap_or(0)
        .min(width);
    format!(
        "\r\x1b[2Kazsm [{}{}] {files}/{total}{} files, {}, {}/s",
        "#".repeat(filled),
        "-".repeat(width - filled),
        if more { "+" } else { "" },
        crate::util::fmt::bytes(bytes),
        crate::util::fmt::bytes(rate as u64)
    )
}

/// Runs `work` on a scoped thread; while it runs, and if `show`, draws
/// the bar for `total` inputs on `stderr` once `delay` has passed (`None`:
/// as many as [`Progress::found`] says so far, the walk running beside).
pub fn watch<T: Send>(
    show: bool,
    delay: Duration,
    total: Option<usize>,
    progress: &Progress,
    stderr: &mut dyn Write,
    work: impl FnOnce() -> T + Send,
) -> T {
    if !show {
        return work();
    }
    let start = Instant::now();
    let finished = AtomicBool::new(false);
    std::thread::scope(|s| {
        let handle = s.spawn(|| {
            let out = work();
            finished.store(true, Ordering::Release);
            out
        });
        while !finished.load(Ordering::Acquire) {
            std::thread::park_timeout(TICK);
            let elapsed = start.elapsed();
            if elapsed >= delay && !finished.load(Ordering::Acquire) {
                let (total, more) = match total {
                    Some(n) => (n, false),
                    None => (
                        usize::try_from(progress.found.load(Ordering::Relaxed))
                            .unwrap_or(usize::MAX),
                        !progress.walked.load(Ordering::Relaxed),
                    ),
                };
                let text = line(
                    progress.files.load(Ordering::Relaxed),
                    total,
                    more,
                    progress.bytes.load(Ordering::Relaxed),
                    elapsed,
                );
                let _ = stderr.write_all(text.as_bytes());
                let _ = stderr.flush();
                progress.drawn.store(true, Ordering::Relaxed);
            }
        }
        if progress.was_drawn() {
            let _ = stderr.write_all(b"\r\x1b[2K");
            let _ = stderr.flush();
        }
        match handle.join() {
            Ok(out) => out,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_while_work_runs_and_erases_at_the_end() {
        let progress = Progress::default();
        let mut err = Vec::new();
        let out = watch(true, Duration::ZERO, Some(4), &progress, &mut err, || {
            progress.done(2048);
            // Wait for the first drawing: synchronisation, not timing.
            while !progress.was_drawn() {
                std::thread::yield_now();
            }
            7
        });
        assert_eq!(out, 7);
        let text = String::from_utf8(err).unwrap();
        assert!(text.contains("1/4 files, 2.0 KiB"), "{text:?}");
        assert!(text.ends_with("\r\x1b[2K"));
    }

    #[test]
    fn while_the_walk_runs_the_total_is_what_it_has_found() {
        let drawn = |walk_over: bool| {
            let progress = Progress::default();
            progress.found_one();
            progress.found_one();
            progress.done(10);
            if walk_over {
                progress.walk_done();
            }
            let mut err = Vec::new();
            watch(true, Duration::ZERO, None, &progress, &mut err, || {
                while !progress.was_drawn() {
                    std::thread::yield_now();
                }
            });
            String::from_utf8(err).unwrap()
        };
        let text = drawn(false);
        assert!(text.contains("1/2+ files"), "{text:?}");
        let text = drawn(true);
        assert!(text.contains("1/2 files"), "{text:?}");
    }

    #[test]
    fn nothing_when_not_shown() {
        let progress = Progress::default();
        let mut err = Vec::new();
        assert_eq!(
            watch(false, Duration::ZERO, Some(1), &progress, &mut err, || 1),
            1
        );
        assert!(err.is_empty());
    }

    #[test]
    fn the_line() {
        assert_eq!(
            line(5, 10, false, 3 << 20, Duration::from_secs(2)),
            "\r\x1b[2Kazsm [##########----------] 5/10 files, 3.0 MiB, 1.5 MiB/s"
        );
        assert!(line(0, 0, false, 0, Duration::ZERO).contains("0/0 files"));
        assert!(line(3, 8, true, 0, Duration::ZERO).contains("3/8+ files"));
    }
}
