//! Ctrl-C: stop promptly, print nothing half-made.
//!
//! The binary installs a SIGINT handler ([`install`]; it runs on a thread
//! of its own). While azsm scans, Ctrl-C ends the process at once with
//! exit status 130 (128 + SIGINT, what shells expect) and a note on
//! stderr. Reports are only ever written whole, from a buffer, at the end:
//! while that final write is under way ([`output`]), Ctrl-C waits for it
//! to finish, so stdout never holds half a report.
//!
//! The per-event formats (`ndjson`, `csv`) are the exception: they are
//! written while the scan runs ([`crate::report::stream`]), a piece of whole
//! records at a time, each piece under the same gate. Ctrl-C then leaves
//! the records written so far, ending at a whole record, and the note
//! ([`set_note`]) says which outputs are incomplete. If the reader of
//! stdout has stopped reading (a pager left open), the piece being written
//! waits for it, and so does Ctrl-C: it takes effect when the reader reads
//! on or goes away.
//!
//! The scan loops also check [`requested`] and stop early, so no worker
//! keeps the machine busy while the process exits.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, RwLock};

/// Exit status after Ctrl-C (128 + SIGINT).
pub const EXIT_INTERRUPTED: i32 = 130;

static STOPPED: AtomicBool = AtomicBool::new(false);
/// What Ctrl-C says on stderr, when not the default.
static NOTE: Mutex<Option<String>> = Mutex::new(None);
/// What Ctrl-C says when no output was written yet.
pub const NO_REPORT: &str = "azsm: interrupted; no report written";
/// Writers of final output hold it shared; Ctrl-C takes it exclusively, so
/// it waits for writes under way and no write starts after it.
static GATE: RwLock<()> = RwLock::new(());

/// Installs the Ctrl-C handler (once; later calls do nothing).
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Without a handler Ctrl-C still stops azsm (by the signal itself,
        // before any output), so failing to install one is not fatal.
        let _ = ctrlc::set_handler(stop);
    });
}

fn stop() {
    // Held until the process is gone: no output starts any more.
    let _gate = GATE.write().unwrap_or_else(|e| e.into_inner());
    STOPPED.store(true, Ordering::SeqCst);
    eprintln!("{}", note());
    std::process::exit(EXIT_INTERRUPTED);
}

/// Sets what Ctrl-C says on stderr from now on (`None`: [`NO_REPORT`]).
pub fn set_note(note: Option<String>) {
    *NOTE.lock().unwrap_or_else(|e| e.into_inner()) = note;
}

/// What Ctrl-C says on stderr.
pub fn note() -> String {
    NOTE.lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_else(|| NO_REPORT.to_string())
}

/// Whether Ctrl-C was pressed.
pub fn requested() -> bool {
    STOPPED.load(Ordering::Relaxed)
}

/// Runs `write` (the final write of a report) unless Ctrl-C came first;
/// Ctrl-C during `write` waits until it is done.
pub fn output<R>(write: impl FnOnce() -> R) -> Option<R> {
    let _gate = GATE.read().unwrap_or_else(|e| e.into_inner());
    if requested() {
        return None;
    }
    Some(write())
}
