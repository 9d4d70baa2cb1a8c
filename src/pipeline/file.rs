//! One file's scan: its chunks scanned into accumulators and put back in
//! order into a tally, with what the scan of one input needs passed in
//! explicitly ([`InputCtx`]): the examples earlier inputs already took, the
//! running tally to drain into, and where streamed events go.

use std::sync::{Arc, Mutex, PoisonError};

use crate::input::encoding::{probe, Prefix, Probe};
use crate::model::error::FileError;
use crate::pipeline::events::{Tap, Target};
use crate::pipeline::BINARY_PROBE;
use crate::scan::longline::LongLine;
use crate::scan::{path_job, ChunkEnd, Scanner};
use crate::tally::{Acc, AccPool, Full, Tally};

/// What the scan of one input is given besides its bytes: where it puts
/// what it finds, and a buffer to read into. Passed down every read path,
/// because chunks of one input run on any thread of the pool.
#[derive(Debug, Default)]
pub struct InputCtx<'a> {
    /// Examples the input's chunks need not make: earlier inputs took them.
    pub full: Option<Arc<Full>>,
    /// The running tally the input's files drain into, when the caller
    /// folds inputs into one; a file takes it while it is scanned and puts
    /// it back when done, so a file scanned meanwhile (rayon may run
    /// another input on a thread that waits) starts a tally of its own.
    pub running: Option<&'a Mutex<Option<Tally>>>,
    /// Where resolved events go while the scan runs, when streamed.
    pub events: Option<Target>,
    /// A buffer to read small files into, kept by the caller across its
    /// inputs so that each does not allocate its own; taken while a file
    /// is read, like `running`.
    pub buf: Option<&'a Mutex<Vec<u8>>>,
    /// Drained accumulators kept for the next chunks, per thread.
    pub pools: Option<Arc<AccPools>>,
}

/// A pool of drained accumulators for each thread of the pool, owned by
/// whoever runs the scan: chunks of one file run on any thread, and each
/// takes and gives back on its own thread's pool, so the locks are not
/// contended.
#[derive(Debug)]
pub struct AccPools {
    /// One per pool thread, and one for threads outside the pool.
    threads: Vec<Mutex<AccPool>>,
}

impl AccPools {
    /// Pools for the current rayon pool's threads.
    pub fn for_current_pool() -> AccPools {
        AccPools {
            threads: (0..=rayon::current_num_threads())
                .map(|_| Mutex::new(AccPool::new()))
                .collect(),
        }
    }

    fn mine(&self) -> &Mutex<AccPool> {
        let last = self.threads.len() - 1;
        &self.threads[rayon::current_thread_index().map_or(last, |t| t.min(last))]
    }

    /// An empty accumulator from this thread's pool ([`AccPool::take`]).
    pub fn take(&self, record: bool) -> Acc {
        whole(self.mine()).take(record)
    }

    /// Gives a drained accumulator to this thread's pool ([`AccPool::give`]).
    pub fn give(&self, acc: Acc) {
        whole(self.mine()).give(acc);
    }
}

impl<'a> InputCtx<'a> {
    /// Nothing to skip, no running tally, no stream: the file's tally is
    /// returned whole.
    pub fn none() -> InputCtx<'static> {
        InputCtx::default()
    }

    /// Streams the input's events to `tap` as input number `input`.
    pub fn streaming(mut self, tap: Option<&Tap>, input: u32) -> InputCtx<'a> {
        self.events = tap.map(|t| Target::new(t, input));
        self
    }

    /// The read buffer to use: the caller's when it has one that no other
    /// file holds, else a new one. Give it back with [`InputCtx::give_buf`].
    pub fn take_buf(&self) -> Vec<u8> {
        self.buf
            .map(|b| std::mem::take(&mut *whole(b)))
            .unwrap_or_default()
    }

    /// Gives back a buffer from [`InputCtx::take_buf`]; one grown past
    /// `keep` bytes is dropped instead, so a big file's buffer is not held.
    pub fn give_buf(&self, buf: Vec<u8>, keep: usize) {
        if let Some(home) = self.buf {
            if buf.capacity() <= keep {
                *whole(home) = buf;
            }
        }
    }

    /// Whether the writer of streamed events has stopped.
    pub fn gone(&self) -> bool {
        self.events.as_ref().is_some_and(Target::is_gone)
    }

    /// Sends `tally`'s recorded events on, when they are streamed: exports
    /// and job-run JSON, read whole, then keep their place in the stream.
    pub fn send(&self, mut tally: Tally) -> Tally {
        if let Some(target) = &self.events {
            target.rows(std::mem::take(&mut tally.events));
        }
        tally
    }
}

/// What a chunk's scan knows about the file it belongs to.
#[derive(Clone, Debug)]
pub struct FileCtx {
    /// Display path.
    pub path: Arc<str>,
    /// Rule 2: the deepest GUID component of the path.
    pub path_job: Option<Box<[u8]>>,
    /// Examples its chunks need not make ([`Full`]): taken by inputs
    /// before it, or by its own earlier lines.
    pub full: Option<Arc<Full>>,
    /// Where its chunks' accumulators come from and go back to.
    pub pools: Option<Arc<AccPools>>,
}

impl FileCtx {
    /// The context of the input shown as `path`, skipping the examples
    /// `cx` says earlier inputs took.
    pub fn new(path: &str, cx: &InputCtx<'_>) -> FileCtx {
        FileCtx {
            path: Arc::from(path),
            path_job: path_job(path).map(|g| g.as_bytes().into()),
            full: cx.full.clone(),
            pools: cx.pools.clone(),
        }
    }

    /// Rule 2's job of the file.
    pub fn path_job(&self) -> Option<&[u8]> {
        self.path_job.as_deref()
    }
}

/// The result of scanning one chunk.
#[derive(Debug, Default)]
pub struct ChunkOut {
    /// Its events; rule-3 events whose key lies before the chunk are pending.
    pub acc: Acc,
    /// The job key it carries forward and its newlines.
    pub end: ChunkEnd,
}

/// Scans the chunk `buf` of the file `ctx` describes.
pub fn scan_chunk(scanner: &Scanner, buf: &[u8], ctx: &FileCtx) -> ChunkOut {
    let mut acc = new_acc(scanner, ctx);
    let end = scanner.scan_chunk(buf, ctx.path_job(), &mut acc);
    ChunkOut { acc, end }
}

/// Ends the long line `line` of the file `ctx` describes (`newline`: it
/// ended with `\n`).
pub fn finish_long_line(line: LongLine<'_>, ctx: &FileCtx, newline: bool) -> ChunkOut {
    let mut acc = new_acc(line.scanner(), ctx);
    let end = line.finish(ctx.path_job(), newline, &mut acc);
    ChunkOut { acc, end }
}

/// An empty accumulator set up as the scanner's options say, for a
/// chunk or a long line: buffers that stay put while they are scanned.
fn new_acc(scanner: &Scanner, ctx: &FileCtx) -> Acc {
    let record = scanner.records_events();
    let acc = match &ctx.pools {
        Some(pools) => pools.take(record),
        None if record => Acc::recording(),
        None => Acc::default(),
    };
    acc.keeping_secrets(scanner.keeps_secrets())
        .skipping(ctx.full.clone())
        .with_stable_ids()
}

/// Puts a file's chunks back in order: resolves pending rule-3 events and
/// turns chunk-relative line numbers into file line numbers.
#[derive(Debug)]
pub struct FileScan<'a> {
    path: Arc<str>,
    tally: Tally,
    /// Where `tally` came from when it is the caller's running tally
    /// ([`InputCtx::running`]): it goes back there on drop.
    home: Option<&'a Mutex<Option<Tally>>>,
    /// Whether a chunk was pushed.
    pushed: bool,
    carry: Option<Box<[u8]>>,
    lines: u64,
    /// Where resolved events go while the scan runs.
    events: Option<Target>,
    /// Where drained accumulators go back to.
    pools: Option<Arc<AccPools>>,
}

impl<'a> FileScan<'a> {
    /// An empty scan of the file `ctx` describes, draining into the
    /// running tally of `cx` when it has one that no other file holds.
    pub fn new(ctx: &FileCtx, cx: &InputCtx<'a>) -> FileScan<'a> {
        let running = cx
            .running
            .and_then(|home| whole(home).take().map(|t| (home, t)));
        let (home, tally) = match running {
            Some((home, t)) => (Some(home), t),
            None => (None, Tally::default()),
        };
        FileScan {
            path: ctx.path.clone(),
            tally,
            home,
            pushed: false,
            carry: None,
            lines: 0,
            events: cx.events.clone(),
            pools: ctx.pools.clone(),
        }
    }

    /// Adds the next chunk, in file order.
    pub fn push(&mut self, out: ChunkOut) {
        self.pushed = true;
        let mut acc = out.acc;
        acc.drain(
            &mut self.tally,
            &self.path,
            self.lines,
            self.carry.as_deref(),
        );
        // The next chunk this thread scans fills it again.
        if let Some(pools) = &self.pools {
            pools.give(acc);
        }
        if out.end.last_key.is_some() {
            self.carry = out.end.last_key;
        }
        self.lines += out.end.newlines;
        if let Some(target) = &self.events {
            target.rows(std::mem::take(&mut self.tally.events));
        }
    }

    /// What the rest of the file need not make: the examples its earlier
    /// lines already took (later lines sort after them), with `ctx`'s.
    pub fn full(&self, ctx: &FileCtx) -> Option<Arc<Full>> {
        if !self.pushed || self.tally.codes.is_empty() {
            return ctx.full.clone();
        }
        let mut full = self.tally.full_through(&self.path);
        if let Some(outer) = &ctx.full {
            full.extend(outer);
        }
        Some(Arc::new(full))
    }

    /// The file's tally; empty when the file drained into the running
    /// tally (the caller adds its stats and errors to it, which merge into
    /// that tally all the same).
    pub fn finish(mut self) -> Tally {
        if self.home.is_some() {
            Tally::default()
        } else {
            std::mem::take(&mut self.tally)
        }
    }
}

impl Drop for FileScan<'_> {
    fn drop(&mut self) {
        if let Some(home) = self.home {
            *whole(home) = Some(std::mem::take(&mut self.tally));
        }
    }
}

/// A lock taken whole even after a panic elsewhere: what it holds is only
/// ever changed a whole step at a time, and tallies are never dropped.
pub(crate) fn whole<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The binary probe of an input shown as `display` whose first bytes after
/// its [`Prefix`] are `head`: the notes to add (the prefix's, stray NULs),
/// or, when it looks binary, the note naming it skipped (see
/// [`skipped_binary`]). With `binary` (`--binary`) there is no probe.
pub(crate) fn probe_text(
    display: &str,
    prefix: Prefix,
    head: &[u8],
    binary: bool,
) -> Result<Vec<FileError>, FileError> {
    let mut notes: Vec<FileError> = prefix.note(display).into_iter().collect();
    if binary {
        return Ok(notes);
    }
    let head = &head[..head.len().min(BINARY_PROBE)];
    match probe(head) {
        Probe::Text => {}
        Probe::Binary => {
            return Err(FileError {
                path: display.to_string(),
                message: format!(
                    "skipped: looks binary (NUL bytes and little text in its first {} KiB); --binary scans it anyway",
                    BINARY_PROBE >> 10
                ),
            });
        }
        Probe::StrayNuls(n) => notes.push(FileError {
            path: display.to_string(),
            message: format!(
                "holds {n} NUL bytes in its first {} KiB, in what is otherwise text: scanned as text",
                BINARY_PROBE >> 10
            ),
        }),
    }
    Ok(notes)
}

/// The [`Prefix`] of an input starting with `head`: with `binary`
/// (`--binary`) only a BOM, every other byte scanned as it is.
pub(crate) fn prefix_of(head: &[u8], binary: bool) -> Prefix {
    if binary {
        Prefix::of_binary(head)
    } else {
        Prefix::of(head)
    }
}

/// The tally of an input skipped as binary, named by `note`.
pub(crate) fn skipped_binary(note: FileError) -> Tally {
    let mut t = Tally::default();
    t.stats.skipped_binary = 1;
    t.notes.push(note);
    t
}

/// `ctx`, also skipping the examples that the file's earlier chunks (or
/// inputs before it) took: they need not be made again.
pub(crate) fn skipping(ctx: &FileCtx, file: &FileScan<'_>) -> FileCtx {
    FileCtx {
        full: file.full(ctx),
        ..ctx.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::code::Code;
    use crate::model::event::{Event, JobSlot};

    /// Each thread takes from and gives to its own pool; a thread of
    /// another pool (here: none) has its own slot.
    #[test]
    fn accumulators_go_back_to_the_pool_of_the_thread_that_drains_them() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let pools = pool.install(AccPools::for_current_pool);
        let mut acc = Acc::default();
        acc.add(&Event {
            code: Code::new(2062).unwrap(),
            job: JobSlot::Id(b"job-1", crate::model::event::Rule::Line),
            line: 1,
            time: None,
            text: b"AZSM2062 job-1 /a/b",
            text_start: 0,
            line_len: 19,
            column: 0,
            cause: None,
            item: Some(b"/a/b"),
        });
        acc.drain(&mut Tally::default(), &Arc::from("x"), 0, None);
        pool.install(|| {
            let mine = rayon::current_thread_index().expect("a pool thread");
            pools.give(acc);
            assert_eq!(whole(&pools.threads[mine]).len(), 1);
            let taken = pools.take(false);
            assert!(taken.is_empty());
            assert!(
                whole(&pools.threads[mine]).is_empty(),
                "reused, not made anew"
            );
        });
        // Outside the pool: the last slot, untouched.
        assert!(whole(pools.threads.last().unwrap()).is_empty());
    }
}
