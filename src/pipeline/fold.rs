//! Inputs in parallel: each thread of the pool folds the inputs it takes
//! into a running tally of its own, and the threads' tallies merge at the
//! end. `+=` is order-independent, so the report does not depend on which
//! thread took which input.

use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError};

use rayon::prelude::*;

use crate::input::walk::{self, Input, Source};
use crate::pipeline::events::Tap;
use crate::pipeline::file::{whole, AccPools, InputCtx};
use crate::pipeline::progress::Progress;
use crate::pipeline::read::{scan_input, scan_stream, Env, Level};
use crate::pipeline::{stop, ReadOptions};
use crate::scan::Scanner;
use crate::tally::Tally;

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
/// for the walk to end (a walk of thousands of directories keeps the
/// cores only partly busy). The
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
/// their chunks straight into it: [`InputCtx::running`]), then the
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
    /// The accumulators every input's chunks reuse.
    pools: Arc<AccPools>,
}

/// An input's scan skips the examples the inputs already folded have taken
/// (see [`crate::tally::Full`]). What [`Tally::full_before`] says for a path stays
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
            pools: Arc::new(AccPools::for_current_pool()),
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
        let cx = InputCtx {
            full: Some(full),
            buf: Some(&f.buf),
            pools: Some(self.pools.clone()),
            ..InputCtx::default()
        };
        if self.scanner.records_events() && self.events.is_none() {
            let rest = self.one(i, input, cx);
            f.tally += rest;
        } else {
            let running = Mutex::new(Some(std::mem::take(&mut f.tally)));
            let rest = self.one(
                i,
                input,
                InputCtx {
                    running: Some(&running),
                    ..cx
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

    /// The tally of input number `i`, `input`, scanned into `cx`.
    fn one(&self, i: usize, input: &Input, cx: InputCtx<'_>) -> Tally {
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        let cx = cx.streaming(self.events.as_ref(), index);
        let mut tally = match &input.source {
            _ if stop(&cx) => Tally::default(),
            Source::Stdin => match whole(&self.stdin).take() {
                Some(r) => {
                    let env = Env::new(self.scanner, self.opts, &cx);
                    scan_stream(&env, &input.display, r, Level::TOP)
                }
                None => Tally::default(),
            },
            Source::File(_) => scan_input(self.scanner, input, self.opts, &cx),
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
    /// The thread's read buffer for small files ([`InputCtx::buf`]).
    buf: Mutex<Vec<u8>>,
}
