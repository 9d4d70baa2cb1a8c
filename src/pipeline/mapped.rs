//! The mmap path: a mapped file's chunks scanned on every thread, one after
//! another, with no wait at the end of a window.
//!
//! The file is cut lazily, a window of about [`ReadOptions::window`] bytes
//! at a time, each window into chunks of about [`ReadOptions::chunk`]
//! bytes ending after a newline ([`Pieces`], an iterator that rayon's
//! `par_bridge` hands out a piece at a time). A thread that finishes a
//! chunk takes the next one, whichever window it is in, so no thread waits
//! for another's last chunk at a window's end.
//!
//! Chunks finish out of order; their outputs must reach the file's
//! [`FileScan`] in order (line numbers, rule-3 keys carried from chunk to
//! chunk). [`Order`] holds each output until those before it are in, and
//! whichever thread finds the next one due pushes it, while the others go
//! on scanning. Memory stays bounded: a chunk's pages are released as soon
//! as it is scanned, a window's last pages (a chunk's first and last page,
//! shared with its neighbours) once its last chunk is pushed, and the
//! iterator hands out no piece more than [`AHEAD`] pieces per thread past
//! the last one pushed, so outputs waiting for a slow chunk cannot pile up.
//!
//! A line too long for a window is fed to a [`LongLine`] by the iterator
//! itself, in order, a segment at a time, each released once fed (see
//! [`next_window`]); it reaches the file as one more output.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use rayon::iter::{ParallelBridge, ParallelIterator};

use super::{stop, ReadOptions};
use crate::input::mmap::{guarded, Mapped};
use crate::pipeline::file::{
    finish_long_line, prefix_of, probe_text, scan_chunk, skipped_binary, skipping, ChunkOut,
    FileCtx, FileScan, InputCtx,
};
use crate::scan::longline::LongLine;
use crate::scan::{split_lines, Scanner};
use crate::tally::Tally;

/// How many pieces past the last one pushed the iterator hands out, per
/// thread: room for each thread's chunk in hand plus one done early,
/// without waiting in the usual case.
const AHEAD: usize = 4;

/// Scans the mapped file `map`, shown as `display`; also says whether a
/// truncation fault was met.
pub(super) fn scan_mapped(
    scanner: &Scanner,
    display: &str,
    map: &Mapped,
    opts: ReadOptions,
    cx: &InputCtx<'_>,
) -> (Tally, bool) {
    let bytes = map.bytes();
    let (checked, faulted) = guarded(|| {
        let prefix = prefix_of(bytes, opts.binary);
        (
            prefix,
            probe_text(display, prefix, &bytes[prefix.len()..], opts.binary),
        )
    });
    let (prefix, notes) = match checked {
        (_, Err(note)) => return (skipped_binary(note), faulted),
        (prefix, Ok(notes)) => (prefix, notes),
    };
    if prefix.nuls > 0 {
        // A long NUL run (a sparse copytruncate'd file) is no content to keep resident.
        map.release(0, prefix.len());
    }
    let ctx = FileCtx::new(display, cx);
    let order = Order::new(
        FileScan::new(&ctx, cx),
        AHEAD * rayon::current_num_threads().max(1),
        |w: Range<usize>| map.release(w.start, w.end),
    );
    let faulted = AtomicBool::new(faulted);
    let pieces = Pieces {
        scanner,
        ctx: &ctx,
        cx,
        map,
        opts,
        start: prefix.len(),
        cut: Vec::new(),
        next: 0,
        order: &order,
        faulted: &faulted,
    };
    pieces.par_bridge().for_each(|piece| {
        // Should this piece never reach the file (a panic), the iterator
        // must not wait for room forever: it stops, and rayon passes the
        // panic on.
        let unwinding = Abandon(&order);
        let out = match piece.work {
            Work::Chunk(range, skip) => {
                let (out, f) = guarded(|| scan_chunk(scanner, &bytes[range.clone()], &skip));
                map.release_part(&bytes[range]);
                if f {
                    faulted.store(true, Ordering::Relaxed);
                }
                out
            }
            Work::Done(out) => *out,
        };
        order.deliver(piece.index, out, piece.release);
        std::mem::forget(unwinding);
    });
    let mut tally = order.into_file().finish();
    tally.stats.files = 1;
    tally.stats.bytes = bytes.len() as u64;
    tally.notes.extend(notes);
    (tally, faulted.into_inner())
}

/// Dropped only when a piece's thread unwinds before the piece is pushed.
struct Abandon<'a, 's, R: Fn(Range<usize>)>(&'a Order<'s, R>);

impl<R: Fn(Range<usize>)> Drop for Abandon<'_, '_, R> {
    fn drop(&mut self) {
        self.0.abandon();
    }
}

/// One piece of work, numbered in file order.
struct Piece {
    index: usize,
    work: Work,
    /// A window to release once this piece (its last) is pushed.
    release: Option<Range<usize>>,
}

enum Work {
    /// A chunk to scan, with what its scan may skip.
    Chunk(Range<usize>, Arc<FileCtx>),
    /// An output made already (a long line's).
    Done(Box<ChunkOut>),
}

/// The file cut into pieces, lazily: the next window is cut when the last
/// one's chunks are all handed out.
struct Pieces<'a, 's, F> {
    scanner: &'a Scanner,
    ctx: &'a FileCtx,
    cx: &'a InputCtx<'s>,
    map: &'a Mapped,
    opts: ReadOptions,
    /// Where the next window starts.
    start: usize,
    /// The current window's chunks not handed out yet, last first.
    cut: Vec<Piece>,
    /// The next piece's number.
    next: usize,
    order: &'a Order<'s, F>,
    faulted: &'a AtomicBool,
}

impl<F: Fn(Range<usize>)> Iterator for Pieces<'_, '_, F> {
    type Item = Piece;

    fn next(&mut self) -> Option<Piece> {
        let piece = match self.cut.pop() {
            Some(piece) => piece,
            None => self.cut_next()?,
        };
        self.order.wait_for_room(piece.index).then_some(piece)
    }
}

impl<F: Fn(Range<usize>)> Pieces<'_, '_, F> {
    fn fault(&self, f: bool) {
        if f {
            self.faulted.store(true, Ordering::Relaxed);
        }
    }

    /// Cuts the next window into `self.cut` and returns its first chunk,
    /// or feeds the long line starting there and returns its output;
    /// `None` at the end of the file or when the scan must stop.
    fn cut_next(&mut self) -> Option<Piece> {
        let bytes = self.map.bytes();
        let start = self.start;
        if start >= bytes.len() || stop(self.cx) {
            return None;
        }
        let long = self.opts.long_line.max(1);
        let limit = start.saturating_add(self.opts.window.max(1));
        let map = self.map;
        let (end, f) =
            guarded(|| next_window(bytes, start, limit, long, &|a, b| map.release(a, b)));
        self.fault(f);
        if end > start {
            // What the file's earlier windows took: their examples need not be made again.
            let skip = Arc::new(self.order.skipping(self.ctx));
            let (chunks, f) = guarded(|| split_lines(&bytes[start..end], self.opts.chunk));
            self.fault(f);
            let mut at = start;
            for chunk in chunks {
                let range = at..at + chunk.len();
                at = range.end;
                self.cut.push(Piece {
                    index: self.next,
                    work: Work::Chunk(range, skip.clone()),
                    release: None,
                });
                self.next += 1;
            }
            if let Some(last) = self.cut.last_mut() {
                last.release = Some(start..end);
            }
            self.cut.reverse();
            self.start = end;
            return self.cut.pop();
        }
        // A long line starts at `start`: fed here, in order, a segment at a time.
        let mut line = LongLine::new(self.scanner);
        let mut at = start;
        let out = loop {
            let seg_end = at.saturating_add(long).min(bytes.len());
            let (nl, f) = guarded(|| memchr::memchr(b'\n', &bytes[at..seg_end]));
            self.fault(f);
            let upto = nl.map_or(seg_end, |p| at + p);
            self.fault(guarded(|| line.feed(&bytes[at..upto])).1);
            self.map.release(at, upto);
            if nl.is_some() || upto == bytes.len() {
                self.start = if nl.is_some() { upto + 1 } else { upto };
                break finish_long_line(line, self.ctx, nl.is_some());
            }
            at = upto;
        };
        let piece = Piece {
            index: self.next,
            work: Work::Done(Box::new(out)),
            release: None,
        };
        self.next += 1;
        Some(piece)
    }
}

/// Where the window of whole lines from `start` ends: after the first
/// newline at or past `limit` (within `long` bytes of it), or the end of
/// `bytes`. When a line too long for that starts at `start`, returns
/// `start`; when it starts later, ends the window before it.
fn next_window(
    bytes: &[u8],
    start: usize,
    limit: usize,
    long: usize,
    release: &dyn Fn(usize, usize),
) -> usize {
    if limit >= bytes.len() {
        return bytes.len();
    }
    let from = limit.min(bytes.len());
    let to = from.saturating_add(long).min(bytes.len());
    if let Some(p) = memchr::memchr(b'\n', &bytes[from..to]) {
        return from + p + 1;
    }
    if to == bytes.len() {
        return bytes.len();
    }
    // Backwards a segment at a time, releasing each that holds no line
    // end: a line as long as the window must not become resident whole.
    let mut end = from;
    while end > start {
        let lo = end.saturating_sub(long).max(start);
        if let Some(p) = memchr::memrchr(b'\n', &bytes[lo..end]) {
            return lo + p + 1;
        }
        release(lo, end);
        end = lo;
    }
    start
}

/// Puts outputs that finish in any order into a [`FileScan`] in order.
///
/// The thread that hands in the output due next (number `pushed`) takes it
/// out of `held`, pushes it, counts it, and goes on with the next if that
/// one is in: until it counts an output, no other is due, so outputs reach
/// the file one at a time and in order, while the other threads go on with
/// their chunks. What is due is decided under `held`'s lock, so an output
/// handed in as the pusher stops is either taken by it or pushed by its own
/// thread: none is left behind.
struct Order<'s, R> {
    held: Mutex<Held>,
    room: Condvar,
    /// Pushed to by one thread at a time; read by the iterator a moment a window.
    file: Mutex<FileScan<'s>>,
    ahead: usize,
    /// Called with a window once its last chunk is pushed.
    release: R,
}

struct Held {
    /// Outputs not pushed yet, with the window to release once each is.
    outs: BTreeMap<usize, (ChunkOut, Option<Range<usize>>)>,
    /// How many were pushed.
    pushed: usize,
    /// Whether a piece will never be handed in (its thread panicked).
    abandoned: bool,
}

/// A lock taken whole even after a panic elsewhere: what it holds is
/// only ever changed a whole step at a time.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<'s, R: Fn(Range<usize>)> Order<'s, R> {
    /// Pushes into `file`; [`Order::wait_for_room`] lets piece `n` out
    /// only when fewer than `ahead` pieces before it are not pushed yet.
    fn new(file: FileScan<'s>, ahead: usize, release: R) -> Order<'s, R> {
        Order {
            held: Mutex::new(Held {
                outs: BTreeMap::new(),
                pushed: 0,
                abandoned: false,
            }),
            room: Condvar::new(),
            file: Mutex::new(file),
            ahead: ahead.max(1),
            release,
        }
    }

    /// Waits until piece `index` is fewer than `ahead` past the pushed ones;
    /// false if a piece was abandoned (then no more should go out).
    fn wait_for_room(&self, index: usize) -> bool {
        let mut held = lock(&self.held);
        while index >= held.pushed + self.ahead && !held.abandoned {
            held = self.room.wait(held).unwrap_or_else(PoisonError::into_inner);
        }
        !held.abandoned
    }

    /// Says that a piece will never be handed in.
    fn abandon(&self) {
        lock(&self.held).abandoned = true;
        self.room.notify_all();
    }

    /// What the file's pushed lines let the rest of it skip.
    fn skipping(&self, ctx: &FileCtx) -> FileCtx {
        skipping(ctx, &lock(&self.file))
    }

    /// Hands in output number `index`, with the window to release once it
    /// is pushed; pushes it, and every one after it that is in, if it is due.
    fn deliver(&self, index: usize, out: ChunkOut, window: Option<Range<usize>>) {
        let mut held = lock(&self.held);
        held.outs.insert(index, (out, window));
        loop {
            let n = held.pushed;
            let Some((out, window)) = held.outs.remove(&n) else {
                return;
            };
            drop(held);
            lock(&self.file).push(out);
            if let Some(w) = window {
                (self.release)(w);
            }
            held = lock(&self.held);
            held.pushed += 1;
            self.room.notify_all();
        }
    }

    /// The file, once every output was handed in (any still held pushed now).
    fn into_file(self) -> FileScan<'s> {
        let mut file = self
            .file
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        let held = self
            .held
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        debug_assert!(held
            .outs
            .keys()
            .copied()
            .eq(held.pushed..held.pushed + held.outs.len()));
        for (_, (out, window)) in held.outs {
            file.push(out);
            if let Some(w) = window {
                (self.release)(w);
            }
        }
        file
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::jobkey::KeyFinder;
    use proptest::prelude::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Lines with codes, keys (rule 3 carries them from chunk to chunk)
    /// and item paths; `n` picks the kind.
    fn line(n: u16) -> String {
        match n % 4 {
            0 => format!(
                "2024-03-15T08:00:00.001Z jobRunName=job-{} started\n",
                n % 3
            ),
            1 => format!(
                "2024-03-15T08:00:{:02}.002Z AZSM2061 Failed F 9 c/d/g{n}.bin\n",
                n % 60
            ),
            2 => format!("AZSM1041 permission denied on run {n}\n"),
            _ => "no code on this line\n".to_string(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Chunk outputs handed in in any order, from several threads, reach
        /// the file in order (the tally is the one-pass tally), none left
        /// behind, and each window is released once, in order.
        #[test]
        fn outputs_from_any_thread_in_any_order_are_pushed_in_order(
            lines in proptest::collection::vec(0u16..400, 1..200),
            chunk in 1usize..400,
            every in 1usize..5,
            shuffle in any::<u64>(),
            threads in 1usize..4,
        ) {
            let text: String = lines.iter().map(|&n| line(n)).collect();
            let bytes = text.as_bytes();
            let scanner = Scanner::new(KeyFinder::default());
            let ctx = FileCtx::new("var/log/xdatamoved.log", &InputCtx::none());
            let mut want = super::super::scan_bytes(
                &scanner, "var/log/xdatamoved.log", bytes,
                ReadOptions { chunk: usize::MAX, ..ReadOptions::default() }, &InputCtx::none(),
            );
            want.stats = Default::default();

            let chunks = split_lines(bytes, chunk);
            // Every `every`-th chunk ends a "window" to release.
            let mut pieces: Vec<(usize, ChunkOut, Option<Range<usize>>)> = Vec::new();
            let mut at = 0;
            for (i, c) in chunks.iter().enumerate() {
                let end = at + c.len();
                let last = (i + 1) % every == 0 || i + 1 == chunks.len();
                pieces.push((i, scan_chunk(&scanner, c, &ctx), last.then_some(i..end)));
                at = end;
            }
            // A shuffled hand-out order (Fisher-Yates on a seeded xorshift).
            let mut seed = shuffle | 1;
            for i in (1..pieces.len()).rev() {
                seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
                pieces.swap(i, (seed % (i as u64 + 1)) as usize);
            }
            let count = pieces.len();
            let released: Mutex<Vec<usize>> = Mutex::new(Vec::new());
            // A window's range here is its last piece's number.
            let order = Order::new(FileScan::new(&ctx, &InputCtx::none()), count + 1, |w: Range<usize>| {
                released.lock().unwrap().push(w.start);
            });
            let queue = Mutex::new(pieces);
            std::thread::scope(|s| {
                for _ in 0..threads {
                    s.spawn(|| loop {
                        let Some((i, out, window)) = queue.lock().unwrap().pop() else { break };
                        order.deliver(i, out, window);
                    });
                }
            });
            prop_assert_eq!(lock(&order.held).pushed, count);
            prop_assert!(lock(&order.held).outs.is_empty());
            let got = order.into_file().finish();
            prop_assert_eq!(got, want);
            let expected: Vec<usize> = (0..count).filter(|i| (i + 1) % every == 0 || i + 1 == count).collect();
            prop_assert_eq!(released.into_inner().unwrap(), expected);
        }
    }

    #[test]
    fn a_piece_too_far_ahead_waits_for_the_pushes_before_it() {
        let scanner = Scanner::new(KeyFinder::default());
        let ctx = FileCtx::new("x.log", &InputCtx::none());
        let order = Order::new(
            FileScan::new(&ctx, &InputCtx::none()),
            2,
            |_: Range<usize>| {},
        );
        let out = || scan_chunk(&scanner, b"AZSM2061 Failed\n", &ctx);
        // Pieces 0 and 1 may go out; piece 2 waits until piece 0 is pushed.
        assert!(order.wait_for_room(0));
        assert!(order.wait_for_room(1));
        let (tx, rx) = mpsc::channel();
        std::thread::scope(|s| {
            s.spawn(|| {
                tx.send(order.wait_for_room(2)).unwrap();
            });
            // Piece 1 in, but not piece 0: nothing pushed, piece 2 still waits.
            order.deliver(1, out(), None);
            assert_eq!(
                rx.recv_timeout(Duration::from_millis(100)),
                Err(mpsc::RecvTimeoutError::Timeout)
            );
            order.deliver(0, out(), None);
            assert_eq!(rx.recv_timeout(Duration::from_secs(30)), Ok(true));
        });
        assert_eq!(lock(&order.held).pushed, 2);
        assert_eq!(
            order
                .into_file()
                .finish()
                .codes
                .values()
                .map(|c| c.count)
                .sum::<u64>(),
            2
        );
    }

    #[test]
    fn a_piece_abandoned_by_a_panic_ends_the_wait_instead_of_hanging() {
        let ctx = FileCtx::new("x.log", &InputCtx::none());
        let order = Order::new(
            FileScan::new(&ctx, &InputCtx::none()),
            1,
            |_: Range<usize>| {},
        );
        let (tx, rx) = mpsc::channel();
        std::thread::scope(|s| {
            s.spawn(|| {
                tx.send(order.wait_for_room(1)).unwrap();
            });
            assert_eq!(
                rx.recv_timeout(Duration::from_millis(100)),
                Err(mpsc::RecvTimeoutError::Timeout)
            );
            // The thread holding piece 0 unwinds.
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _unwinding = Abandon(&order);
                panic!("a bug while scanning piece 0");
            }));
            assert!(caught.is_err());
            assert_eq!(rx.recv_timeout(Duration::from_secs(30)), Ok(false));
        });
    }
}
