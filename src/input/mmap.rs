//! The only `unsafe` code in azsm: memory-mapping input files, and
//! surviving the `SIGBUS` a mapping raises when its file shrinks. Unix
//! only (POSIX `mmap` and `sigaction`).
//!
//! # Contract
//!
//! [`Mapped::open`] maps a file read-only and private. The bytes behind the
//! returned slice belong to the file: if another process truncates the file
//! while it is mapped, touching a page past the new end raises `SIGBUS`,
//! which by default kills the process (ripgrep documents the same abort).
//! azsm does not die of it:
//!
//! - The first [`Mapped::open`] installs a process-wide `SIGBUS` handler
//!   (once; it keeps the handler that was there before, Rust's own stack
//!   overflow handler, to pass other faults on to).
//! - Every live mapping is registered (address and length) in a fixed table
//!   of [`SLOTS`] entries; when the table is full, `open` fails and the
//!   caller reads the file instead of mapping it.
//! - When a fault hits a registered mapping, the handler maps one anonymous
//!   zero page over the faulting page (`MAP_FIXED`, async-signal-safe),
//!   counts the fault in a thread-local counter and returns: the faulting
//!   instruction runs again and reads zeros. Zeros never form a code or a
//!   job key, so the scan goes on without inventing events. A fault
//!   anywhere else restores the previous handler and returns, so that the
//!   fault repeats and is handled as it would have been without azsm.
//! - The fault is delivered to the thread that touched the page, so
//!   [`guarded`] (a counter read before and after a closure) tells exactly
//!   whether the bytes that closure read are trustworthy. The reader wraps
//!   every pass over mapped bytes in it, and reports a file whose pass
//!   faulted as truncated while read (an error, exit 2), keeping the events
//!   found in it.
//! - Dropping a [`Mapped`] unregisters it before it is unmapped; unmapping
//!   the whole range also removes the zero pages.
//!
//! Writes to the file through other processes may be seen or not; azsm reads
//! each byte once and never relies on two reads agreeing.
//!
//! What the caller must guarantee (nothing else is needed for soundness;
//! the slice borrows the [`Mapped`], so it cannot outlive the mapping):
//!
//! - Every pass over [`Mapped::bytes`] runs inside [`guarded`], and a pass
//!   that reports a fault is not trusted: its bytes may be partly zeros, so
//!   the file is reported as truncated while read.
//! - No two reads of the same bytes are assumed to agree.
//! - Mapping failures are not fatal: an `Err` from [`Mapped::open`] means
//!   "read the file instead".
//!
//! [`Mapped::release`] tells the kernel that a range is no longer needed,
//! so that resident memory stays bounded by the window being scanned rather
//! than growing with the file. For a read-only file mapping this only drops
//! clean page-cache references (and any zero page mapped over a fault);
//! reading the range again would fault the pages back in, so it cannot
//! corrupt what the slice shows beyond what truncation already did.

// The one module allowed `unsafe` (the crate denies it): mapping a file and
// handling SIGBUS cannot be done without it, and keeping it here keeps the
// whole contract above in one place.
#![allow(unsafe_code)]

use std::fs::File;
use std::io;
use std::sync::atomic::{compiler_fence, AtomicU64, AtomicUsize, Ordering};
use std::sync::Once;

use memmap2::{Advice, Mmap, UncheckedAdvice};

/// How many mappings can be live at once (one per worker thread is used).
pub const SLOTS: usize = 256;

/// Registered mappings: start address (0 = free) and length.
static STARTS: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
static LENS: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
static PAGE: AtomicUsize = AtomicUsize::new(4096);
static INSTALL: Once = Once::new();
/// Whether the handler is installed (installation may fail; then mapping
/// is refused and files are read instead).
static INSTALLED: AtomicUsize = AtomicUsize::new(0);

/// The sigaction in place before ours, to pass foreign faults on to.
struct Previous(std::cell::UnsafeCell<std::mem::MaybeUninit<libc::sigaction>>);
// SAFETY: written once inside `INSTALL.call_once`, before the handler that
// reads it is installed; only read afterwards.
unsafe impl Sync for Previous {}
static PREVIOUS: Previous = Previous(std::cell::UnsafeCell::new(std::mem::MaybeUninit::zeroed()));

thread_local! {
    /// Faults absorbed on this thread. Const-initialized without a
    /// destructor, so reading it in the signal handler allocates nothing.
    /// An atomic, not a `Cell`: the handler changes it between two reads
    /// that the compiler would otherwise see nothing change, and an
    /// optimized build could fold [`guarded`]'s comparison to "no fault".
    static FAULTS: AtomicU64 = const { AtomicU64::new(0) };
}

/// Runs `f` and says whether a truncation fault was absorbed on this thread
/// while it ran (then what `f` read from a mapping is partly zeros). The
/// signal fences keep `f`'s reads between the two reads of the counter, as
/// the handler that runs in the middle of them needs.
pub fn guarded<R>(f: impl FnOnce() -> R) -> (R, bool) {
    let before = FAULTS.with(|c| c.load(Ordering::Relaxed));
    compiler_fence(Ordering::SeqCst);
    let r = f();
    compiler_fence(Ordering::SeqCst);
    (r, FAULTS.with(|c| c.load(Ordering::Relaxed)) != before)
}

extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for an SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    let ours = (0..SLOTS).any(|i| {
        let start = STARTS[i].load(Ordering::Acquire);
        start != 0 && addr >= start && addr < start + LENS[i].load(Ordering::Acquire)
    });
    if ours {
        let page = PAGE.load(Ordering::Relaxed);
        let base = addr & !(page - 1);
        // SAFETY: `base..base + page` lies inside a live read-only mapping
        // of ours (registered until just before it is unmapped); replacing
        // it with zeros changes only what that mapping's reader sees, which
        // `guarded` reports. mmap is async-signal-safe.
        let p = unsafe {
            libc::mmap(
                base as *mut libc::c_void,
                page,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if p != libc::MAP_FAILED {
            FAULTS.with(|c| c.fetch_add(1, Ordering::Relaxed));
            return;
        }
    }
    // Not ours (or the zero page failed): hand over to the previous
    // handler, or the default action, which kills as it would have.
    // SAFETY: PREVIOUS was initialized before this handler was installed.
    let prev = unsafe { (*PREVIOUS.0.get()).assume_init_ref() };
    if prev.sa_sigaction == libc::SIG_DFL || prev.sa_sigaction == libc::SIG_IGN {
        // SAFETY: restoring a previous disposition is async-signal-safe;
        // returning re-runs the faulting access under it.
        unsafe { libc::sigaction(libc::SIGBUS, prev, std::ptr::null_mut()) };
    } else if prev.sa_flags & libc::SA_SIGINFO != 0 {
        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            // SAFETY: SA_SIGINFO means sa_sigaction is a three-argument handler.
            unsafe { std::mem::transmute(prev.sa_sigaction) };
        f(sig, info, ctx);
    } else {
        // SAFETY: without SA_SIGINFO, sa_sigaction is a one-argument handler.
        let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(prev.sa_sigaction) };
        f(sig);
    }
}

fn install() -> bool {
    INSTALL.call_once(|| {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if page > 0 {
            PAGE.store(page as usize, Ordering::Relaxed);
        }
        // SAFETY: a zeroed sigaction is a valid starting point; the handler
        // has the SA_SIGINFO signature; PREVIOUS is written before the new
        // handler can run (sigaction stores the old one first).
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_sigbus as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut sa.sa_mask);
            let prev = (*PREVIOUS.0.get()).as_mut_ptr();
            if libc::sigaction(libc::SIGBUS, &sa, prev) == 0 {
                INSTALLED.store(1, Ordering::Release);
            }
        }
    });
    INSTALLED.load(Ordering::Acquire) == 1
}

/// A read-only memory map of a whole file, registered with the `SIGBUS`
/// handler while it lives.
#[derive(Debug)]
pub struct Mapped {
    map: Mmap,
    slot: Option<usize>,
}

impl Mapped {
    /// Maps `file`. See the module contract about truncation. Fails when
    /// the `SIGBUS` handler cannot be installed or too many mappings are
    /// live: the caller then reads the file instead.
    pub fn open(file: &File) -> io::Result<Mapped> {
        if !install() {
            return Err(io::Error::other("cannot install the SIGBUS handler"));
        }
        // SAFETY: the mapping is read-only and private; the only hazard is
        // concurrent truncation (SIGBUS), absorbed as the contract says.
        let map = unsafe { Mmap::map(file)? };
        let mut mapped = Mapped { map, slot: None };
        if mapped.map.is_empty() {
            return Ok(mapped);
        }
        let start = mapped.map.as_ptr() as usize;
        for i in 0..SLOTS {
            if STARTS[i]
                .compare_exchange(0, usize::MAX, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                // Claimed with a start no address reaches; publish the
                // length, then the real start.
                LENS[i].store(mapped.map.len(), Ordering::Release);
                STARTS[i].store(start, Ordering::Release);
                mapped.slot = Some(i);
                break;
            }
        }
        if mapped.slot.is_none() {
            return Err(io::Error::other("too many files mapped at once"));
        }
        // Advice is only a hint; failing to give it changes nothing.
        let _ = mapped.map.advise(Advice::Sequential);
        Ok(mapped)
    }

    /// The file's bytes (zeros where the file shrank under the mapping).
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// [`Mapped::release`] of `part`, a slice of [`Mapped::bytes`] (nothing
    /// when it is not one).
    pub fn release_part(&self, part: &[u8]) {
        let base = self.map.as_ptr() as usize;
        let at = part.as_ptr() as usize;
        if at >= base && at + part.len() <= base + self.map.len() {
            self.release(at - base, at - base + part.len());
        }
    }

    /// Drops the pages of `start..end` from resident memory; see the module
    /// contract. Rounds inwards to whole pages.
    pub fn release(&self, start: usize, end: usize) {
        let page = PAGE.load(Ordering::Relaxed);
        let from = start.div_ceil(page) * page;
        let to = (end / page) * page;
        if to > from && to <= self.map.len() {
            // SAFETY: a read-only private file mapping: DONTNEED discards
            // clean pages only, and later reads fault them back in from the
            // file. No reference into the range is relied on to stay resident.
            let _ = unsafe {
                self.map
                    .unchecked_advise_range(UncheckedAdvice::DontNeed, from, to - from)
            };
        }
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        // Unregister before `map` is unmapped (fields drop after this).
        if let Some(i) = self.slot {
            STARTS[i].store(0, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_truncated_mapping_reads_zeros_and_reports_the_fault() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&vec![b'x'; 64 << 10]).unwrap();
        let map = Mapped::open(&f).unwrap();
        let (sum, faulted) = guarded(|| map.bytes()[..4096].iter().map(|&b| b as u64).sum::<u64>());
        assert_eq!((sum, faulted), (4096 * b'x' as u64, false));
        f.set_len(0).unwrap();
        let (xs, faulted) = guarded(|| map.bytes().iter().filter(|&&b| b == b'x').count());
        assert!(faulted, "the truncation fault is reported");
        assert_eq!(xs, 0, "pages past the new end read as zeros");
        drop(map);
        // The slot is free again: another mapping can take it.
        f.write_all(b"y").unwrap();
        let again = Mapped::open(&f).unwrap();
        assert_eq!(guarded(|| again.bytes().len()), ((64 << 10) + 1, false));
    }
}
