//! The only `unsafe` code in azsm: memory-mapping input files.
//!
//! # Contract
//!
//! [`Mapped::open`] maps a file read-only and private. The bytes behind the
//! returned slice belong to the file: if another process truncates the file
//! while it is mapped, touching a page past the new end raises `SIGBUS`,
//! which kills the process (ripgrep documents the same). azsm therefore
//! maps only regular files, and only when asked to scan a file at least
//! [`crate::read::MMAP_MIN`] bytes long; `--no-mmap` reads every file
//! instead, which is what to use on live logs that rotate by truncation.
//! Writes to the file through other processes may be seen or not; azsm reads
//! each byte once and never relies on two reads agreeing.
//!
//! [`Mapped::release`] tells the kernel that a range is no longer needed,
//! so that resident memory stays bounded by the window being scanned rather
//! than growing with the file. For a read-only file mapping this only drops
//! clean page-cache references; reading the range again would fault the
//! pages back in from the file, so it cannot corrupt what the slice shows.

use std::fs::File;
use std::io;

use memmap2::{Advice, Mmap, UncheckedAdvice};

/// A read-only memory map of a whole file.
#[derive(Debug)]
pub struct Mapped {
    map: Mmap,
}

impl Mapped {
    /// Maps `file`. See the module contract about truncation.
    pub fn open(file: &File) -> io::Result<Mapped> {
        // SAFETY: the mapping is read-only and private; the only hazard is
        // concurrent truncation (SIGBUS), documented in the module contract.
        let map = unsafe { Mmap::map(file)? };
        // Advice is only a hint; failing to give it changes nothing.
        let _ = map.advise(Advice::Sequential);
        Ok(Mapped { map })
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// Drops the pages of `start..end` from resident memory; see the module
    /// contract. Rounds inwards to whole pages.
    pub fn release(&self, start: usize, end: usize) {
        let page = page_size();
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

fn page_size() -> usize {
    4096
}
