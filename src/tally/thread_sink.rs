//! Thread-local hand-overs from the pipeline to the file scans it starts:
//! the running tally to drain into, and the examples to skip. Being
//! removed: the pipeline is to pass both explicitly.

use std::sync::Arc;

use crate::tally::{Full, Tally};

thread_local! {
    static FULL: std::cell::RefCell<Option<Arc<Full>>> = const { std::cell::RefCell::new(None) };
    static SINK: std::cell::RefCell<Option<Tally>> = const { std::cell::RefCell::new(None) };
}

/// Runs `scan` with `tally` as the place where the next file scan started
/// on this thread drains its chunks (the scan's `FileScan` takes it
/// and gives it back when it ends, even on an early return): a thread's
/// inputs then add straight into its running tally, instead of each
/// building a tally of its own that is merged into it afterwards. Merging
/// is order-independent, so where a file's events land changes nothing.
pub fn sinking_into<R>(tally: &mut Tally, scan: impl FnOnce() -> R) -> R {
    let before = SINK.with(|s| s.replace(Some(std::mem::take(tally))));
    let out = scan();
    if let Some(back) = SINK.with(|s| s.replace(before)) {
        *tally = back;
    }
    out
}

/// Takes the tally [`sinking_into`] set, if there is one and no other file
/// scan on this thread holds it.
pub(crate) fn take_sink() -> Option<Tally> {
    SINK.with(|s| s.borrow_mut().take())
}

/// Gives back what [`take_sink`] took.
pub(crate) fn put_sink(tally: Tally) {
    SINK.with(|s| *s.borrow_mut() = Some(tally));
}

/// Runs `scan` with `full` as the examples to skip in the inputs it starts
/// on this thread ([`current_full`], read once per input by
/// the scan's `FileCtx::new`), then restores the previous value.
pub fn skipping_within<R>(full: Arc<Full>, scan: impl FnOnce() -> R) -> R {
    let before = FULL.with(|f| f.replace(Some(full)));
    let out = scan();
    FULL.with(|f| *f.borrow_mut() = before);
    out
}

/// The examples to skip on this thread (see [`skipping_within`]).
pub fn current_full() -> Option<Arc<Full>> {
    FULL.with(|f| f.borrow().clone())
}
