//! Bytes to events: the line scanner.
//!
//! A chunk is a run of whole lines. The scanner looks for `AZSM` with a
//! SIMD substring search and does everything else only at hits: the
//! boundary and digit check, the line's bounds, its number (newlines are
//! counted between hits, not per line), its timestamp and job key. Lines
//! without a code cost one pass of the substring search and, at the
//! hits, one of the newline counter.
//!
//! Lines that carry a code also go once through the sub-cause automaton
//! ([`crate::model::causes`]), which names the problem the words on the line
//! describe; and their time is checked against the `--since`/`--until`
//! window ([`crate::model::window`]): events outside are counted as such and
//! nothing else.
//!
//! Job attribution takes the first rule that applies (see the README): a
//! job key on the line; a GUID in the file's path; the last job key on an
//! earlier line; none. Rule 3 looks backwards, lazily: only
//! when a line needs it, and only over the lines since the last look. A
//! chunk cannot see the lines before it, so its rule-3 events whose key
//! lies before the chunk are left *pending*, and [`crate::pipeline::file::FileScan`] resolves them
//! when the chunks are put back in order. The result equals a sequential
//! scan for any chunking; the tests hold it to that.

pub(crate) mod items;
pub mod jobkey;
pub mod linemask;
pub mod longline;

use std::sync::Arc;

use memchr::memchr;
use memchr::memmem;

use crate::model::causes::{Causes, Hit, Scratch};
use crate::model::code::{Code, Scope};
use crate::model::event::{Event, JobSlot, Rule, Sink};
use crate::model::timestamp;
use crate::model::window::Window;
use crate::scan::jobkey::KeyFinder;
use crate::scan::linemask::{KeyMask, WordMask};

/// Finds codes and their jobs in chunks of lines.
#[derive(Clone, Debug)]
pub struct Scanner {
    pub(crate) finder: memmem::Finder<'static>,
    pub(crate) keys: KeyFinder,
    keep_secrets: bool,
    causes: Arc<Causes>,
    pub(crate) window: Window,
    events: bool,
}

/// What a chunk's scan knows at its end besides its events.
#[derive(Debug, Default)]
pub struct ChunkEnd {
    /// The last job key in the chunk, which later chunks carry forward.
    pub last_key: Option<Box<[u8]>>,
    /// How many `\n` the chunk holds.
    pub newlines: u64,
}

impl Scanner {
    /// A scanner for the built-in job keys plus `keys`' user pattern, with
    /// the embedded sub-cause table and no time window.
    pub fn new(keys: KeyFinder) -> Scanner {
        Scanner {
            finder: memmem::Finder::new(b"AZSM").into_owned(),
            keys,
            keep_secrets: false,
            causes: Arc::new(Causes::embedded().clone()),
            window: Window::default(),
            events: false,
        }
    }

    /// Keeps secret values in excerpts (`--no-redact`); by default they are
    /// redacted ([`crate::util::redact`]).
    pub fn keep_secrets(mut self, keep: bool) -> Scanner {
        self.keep_secrets = keep;
        self
    }

    /// Whether to record every event (for the per-event formats) besides
    /// the tallies.
    pub fn recording_events(mut self, on: bool) -> Scanner {
        self.events = on;
        self
    }

    /// The same scanner with another sub-cause table.
    pub fn with_causes(self, causes: Arc<Causes>) -> Scanner {
        Scanner { causes, ..self }
    }

    /// The same scanner counting only events inside `window`.
    pub fn with_window(self, window: Window) -> Scanner {
        Scanner { window, ..self }
    }

    /// Its sub-cause table.
    pub fn causes(&self) -> &Causes {
        &self.causes
    }

    /// Its time window.
    pub fn window(&self) -> Window {
        self.window
    }

    /// The sub-cause of `code` on the one-event line `text` (for inputs
    /// that are not scanned line by line: exports, job-run JSON).
    pub fn cause_of(&self, code: Code, text: &[u8], scratch: &mut Scratch) -> Option<Hit> {
        self.causes.find_all(text, scratch);
        self.causes.pick(code, &scratch.found)
    }

    /// Whether every event is recorded (see [`Scanner::recording_events`]).
    pub fn records_events(&self) -> bool {
        self.events
    }

    /// Keeps secret values in excerpts (see [`Scanner::keep_secrets`]).
    pub fn keeps_secrets(&self) -> bool {
        self.keep_secrets
    }

    /// Scans `buf`, which starts at a line start and ends at a line end,
    /// into `acc`; `path_job` is rule 2's job of the file ([`path_job`]).
    pub fn scan_chunk(&self, buf: &[u8], path_job: Option<&[u8]>, acc: &mut impl Sink) -> ChunkEnd {
        let mut floor = 0; // start of the first line not yet passed
        let mut counted = 0; // newlines are counted up to here
        let mut newlines = 0u64;
        let mut carry: Option<&[u8]> = None; // last key in buf[..searched]
        let mut searched = 0;
        let mut codes: Vec<(Code, usize)> = Vec::new();
        let mut scratch = Scratch::default();
        let mut clock = timestamp::Cache::default();
        let mut key_mask = KeyMask::default();
        let mut word_mask = WordMask::default();
        // The next `AZSM` at or after `from`: one search finds both the
        // other codes on a line and the next line's first.
        let mut hits = Hits::default();
        let mut find = |from: usize| hits.next(&self.finder, buf, from);
        let mut next = find(0);
        while let Some(hit) = next {
            let Some(code) = code_at(buf, hit) else {
                next = find(hit + 1);
                continue;
            };
            let start = linemask::last_newline(buf, floor, hit).map_or(floor, |p| p + 1);
            let end = linemask::next_newline(buf, hit).unwrap_or(buf.len());
            let text = buf[start..end]
                .strip_suffix(b"\r")
                .unwrap_or(&buf[start..end]);

            codes.clear();
            codes.push((code, hit - start));
            next = find(hit + 4);
            while let Some(h) = next.filter(|&h| h < end) {
                if let Some(c) = code_at(buf, h) {
                    codes.push((c, h - start));
                }
                next = find(h + 1);
            }
            if codes.len() > 1 {
                codes.sort_unstable();
                codes.dedup_by_key(|c| c.0);
            }

            // A code line right after the last one (a dense copy log): one
            // newline between them, the last line's own.
            newlines += if floor > 0 && start == floor {
                1
            } else {
                bytecount::count(&buf[counted..start], b'\n') as u64
            };
            counted = start;
            // The `j`s that may start a key, read off a mask rather than
            // searched (a line too long to mask is searched).
            let keys = match key_mask.fill(buf, start..start + text.len()) {
                Some(m) => self.keys.on_line_masked(text, m),
                None => self.keys.on_line(text),
            };
            let job = if codes.iter().all(|c| c.0.is_agent_level()) {
                JobSlot::Agent
            } else if let Some((first, _)) = keys {
                JobSlot::Id(first, Rule::Line)
            } else if let Some(p) = path_job {
                JobSlot::Id(p, Rule::Path)
            } else {
                if let Some(k) = self.keys.last_in(&buf[searched..start]) {
                    carry = Some(k);
                }
                searched = start;
                carry.map_or(JobSlot::Pending, |k| JobSlot::Id(k, Rule::Carried))
            };
            if let Some((_, last)) = keys {
                carry = Some(last);
                searched = end;
            } else if searched == start && self.keys.builtin_only() {
                // Everything before this line was looked at, and this line
                // has no key: the next look back starts after it.
                searched = end;
            }
            let time = clock.line_start(text);
            if time.is_some_and(|t| !self.window.contains(t)) {
                for _ in &codes {
                    acc.add_outside();
                }
                codes.clear();
            } else {
                self.causes
                    .find_on_line(buf, start..start + text.len(), &mut scratch);
            }
            // The item path is looked for once per line, and only when an
            // item-scope code needs it.
            let mut item_of_line: Option<Option<&[u8]>> = None;
            for &(code, column) in &codes {
                let item = if code.scope() == Scope::Item {
                    *item_of_line.get_or_insert_with(|| {
                        match word_mask.fill(buf, start..start + text.len()) {
                            Some(m) => items::in_line_masked(text, m),
                            None => items::in_line(text),
                        }
                    })
                } else {
                    None
                };
                acc.add(&Event {
                    code,
                    job: if code.is_agent_level() {
                        JobSlot::Agent
                    } else {
                        job
                    },
                    line: newlines + 1,
                    time,
                    text,
                    text_start: 0,
                    line_len: text.len(),
                    column,
                    cause: if scratch.found.is_empty() {
                        None
                    } else {
                        self.causes.pick(code, &scratch.found)
                    },
                    item,
                });
            }
            if end >= buf.len() {
                break;
            }
            floor = end + 1;
        }
        newlines += bytecount::count(&buf[counted..], b'\n') as u64;
        let last_key = if path_job.is_some() {
            None
        } else {
            // Carried to later chunks as counted: a GUID in lower case
            // (the tally folds the ids it is given the same way).
            self.keys
                .last_in(&buf[searched..])
                .or(carry)
                .map(|k| Box::from(&*jobkey::fold_id(k)))
        };
        ChunkEnd { last_key, newlines }
    }
}

/// The `AZSM`s of a buffer, found a block ahead of the lines that use
/// them. Searching a block at once keeps the SIMD search streaming through
/// memory; a search stopped at every hit by a code line's work (its parse,
/// its accumulator) found its next bytes fallen out of the caches the
/// hardware had filled ahead.
#[derive(Debug)]
struct Hits {
    /// The starts of every `AZSM` found by the last search, in order:
    /// every one in `buf[start..upto]`, where `start` is at most the
    /// `from` of any later call.
    at: Vec<usize>,
    /// The first of them not yet passed.
    next: usize,
    /// Where the search has reached.
    upto: usize,
    /// Bytes searched ahead at once.
    block: usize,
}

/// Bytes searched ahead at once: a few code lines' worth on an agent log,
/// a few hundred on a dense copy log, and well within the core's cache.
const HITS_BLOCK: usize = 64 << 10;

impl Default for Hits {
    fn default() -> Hits {
        Hits {
            at: Vec::new(),
            next: 0,
            upto: 0,
            block: HITS_BLOCK,
        }
    }
}

impl Hits {
    /// The first `AZSM` at or after `from` in `buf` (called with `from`s
    /// that do not go back, on one `buf`).
    #[inline]
    fn next(&mut self, finder: &memmem::Finder<'_>, buf: &[u8], from: usize) -> Option<usize> {
        loop {
            while let Some(&h) = self.at.get(self.next) {
                if h >= from {
                    return Some(h);
                }
                self.next += 1;
            }
            if self.upto >= buf.len() {
                return None;
            }
            // Every hit below `upto` was taken: search on from there (or
            // from `from`, past it), a block's worth, and the first hit
            // beyond, so that the search stops where it found one.
            let start = from.max(self.upto);
            let stop = start.saturating_add(self.block);
            self.at.clear();
            self.next = 0;
            let mut p = start;
            self.upto = buf.len();
            while let Some(r) = buf.get(p..).and_then(|rest| finder.find(rest)) {
                let h = p + r;
                self.at.push(h);
                // `AZSM` cannot overlap itself: the next one starts after.
                p = h + 4;
                if h >= stop {
                    self.upto = p;
                    break;
                }
            }
        }
    }
}

/// The code whose `AZSM` starts at `hit`, if it stands on ASCII word
/// boundaries and has exactly four digits. Called once per code (every
/// line of a dense copy log): the boundaries are read off a table and the
/// four digits checked as one 32-bit word.
#[inline]
pub(crate) fn code_at(buf: &[u8], hit: usize) -> Option<Code> {
    if hit > 0 && is_word(buf[hit - 1]) {
        return None;
    }
    // One copy, checked and converted: the bytes may be a mapped file that
    // changes under us (see crate::input::mmap), so they are read once.
    let d: [u8; 4] = *buf.get(hit + 4..)?.first_chunk::<4>()?;
    if !all_digits(d) || buf.get(hit + 8).is_some_and(|&b| is_word(b)) {
        return None;
    }
    Some(Code::from_digits(d))
}

/// Whether the four bytes are ASCII digits: each is `0x30` to `0x3f`, and
/// stays below `0x40` when 6 is added (no byte carries into the next: the
/// first test holds every byte at or below `0x3f`).
#[inline]
fn all_digits(d: [u8; 4]) -> bool {
    const HIGH: u32 = 0xf0f0_f0f0;
    const ZEROS: u32 = 0x3030_3030;
    let x = u32::from_le_bytes(d);
    x & HIGH == ZEROS && x.wrapping_add(0x0606_0606) & HIGH == ZEROS
}

/// ASCII letters, digits and `_`: what a code must not touch.
static WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_';
        b += 1;
    }
    t
};

#[inline]
fn is_word(b: u8) -> bool {
    WORD[usize::from(b)]
}

/// Splits `buf` into chunks of about `size` bytes, each ending after a `\n`
/// (the last one at the end of `buf`).
pub fn split_lines(buf: &[u8], size: usize) -> Vec<&[u8]> {
    let mut chunks = Vec::with_capacity(buf.len() / size.max(1) + 1);
    let mut rest = buf;
    while rest.len() > size {
        match memchr(b'\n', &rest[size..]) {
            Some(p) => {
                let (chunk, tail) = rest.split_at(size + p + 1);
                chunks.push(chunk);
                rest = tail;
            }
            None => break,
        }
    }
    if !rest.is_empty() || chunks.is_empty() {
        chunks.push(rest);
    }
    chunks
}

/// Rule 2: the deepest path component that is a GUID, a directory name or
/// the part of the file name before its first dot, as spelt (the tally
/// counts it in lower case: [`jobkey::fold_id`]).
pub fn path_job(path: &str) -> Option<&str> {
    // From the end: the first GUID found is the deepest. Separators are
    // ASCII, so the cuts fall on character boundaries.
    let mut end = path.len();
    let mut last = true;
    loop {
        let start = memchr::memrchr2(b'/', b'\\', &path.as_bytes()[..end]).map_or(0, |p| p + 1);
        let part = path.get(start..end).unwrap_or_default();
        if !part.is_empty() {
            let part = if last {
                last = false;
                part.split('.').next().unwrap_or(part)
            } else {
                part
            };
            if is_guid(part) {
                return Some(part);
            }
        }
        if start == 0 {
            return None;
        }
        end = start - 1;
    }
}

fn is_guid(s: &str) -> bool {
    jobkey::is_guid(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`code_at`] as first written, byte by byte: its oracle.
    fn code_at_by_bytes(buf: &[u8], hit: usize) -> Option<Code> {
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        if hit > 0 && word(buf[hit - 1]) {
            return None;
        }
        let d: [u8; 4] = buf.get(hit + 4..hit + 8)?.try_into().ok()?;
        if !d.iter().all(u8::is_ascii_digit) || buf.get(hit + 8).is_some_and(|&b| word(b)) {
            return None;
        }
        Some(Code::from_digits(d))
    }

    /// Every byte value in every place around a code (before it, each
    /// digit, after it), and codes cut short by the end of the buffer,
    /// read as the first version reads them.
    #[test]
    fn codes_read_as_byte_by_byte() {
        for at in 0..10 {
            for b in 0..=u8::MAX {
                let mut buf = *b" AZSM2062 ";
                buf[at] = b;
                for hit in [0, 1] {
                    assert_eq!(
                        code_at(&buf, hit),
                        code_at_by_bytes(&buf, hit),
                        "{b:#x} at {at}, hit {hit}"
                    );
                }
                for end in 5..=buf.len() {
                    assert_eq!(code_at(&buf[..end], 1), code_at_by_bytes(&buf[..end], 1));
                }
            }
        }
    }

    proptest::proptest! {
        /// Any four bytes after `AZSM` are a code exactly when the first
        /// version says so, with the same number.
        #[test]
        fn digits_read_as_byte_by_byte(
            d in proptest::array::uniform4(proptest::prop_oneof![0x28u8..0x48, proptest::prelude::any::<u8>()]),
            before in proptest::prelude::any::<u8>(),
        ) {
            let mut buf = vec![before];
            buf.extend_from_slice(b"AZSM");
            buf.extend_from_slice(&d);
            proptest::prop_assert_eq!(code_at(&buf, 1), code_at_by_bytes(&buf, 1));
        }
    }

    proptest::proptest! {
        /// The hits found a block ahead are the search's own: from any
        /// rising sequence of starts, with any block size (refills at
        /// every hit, mid-block and past the end), the next `AZSM` at or
        /// after each start, as one search from there finds it.
        #[test]
        fn hits_ahead_are_the_searchs(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec!["AZSM", "AZS", "ZSM", "A", "M", "x", "AZSMAZSM", "\n"]),
                0..40,
            ),
            steps in proptest::collection::vec(0usize..12, 1..30),
            block in 0usize..24,
        ) {
            let buf = pieces.concat().into_bytes();
            let finder = memmem::Finder::new(b"AZSM");
            let mut hits = Hits { block, ..Hits::default() };
            let mut from = 0;
            for step in steps {
                from += step;
                let want = buf.get(from..).and_then(|rest| finder.find(rest)).map(|r| from + r);
                proptest::prop_assert_eq!(hits.next(&finder, &buf, from), want, "from {}", from);
                if let Some(h) = want {
                    // The scanner's own next starts: past the hit, or just after it.
                    from = h + step % 2;
                }
            }
        }
    }

    #[test]
    fn codes_need_word_boundaries_and_four_digits() {
        let ok = |s: &str, at: usize| code_at(s.as_bytes(), at).map(|c| c.to_string());
        assert_eq!(ok("AZSM1024", 0).as_deref(), Some("AZSM1024"));
        assert_eq!(ok("x AZSM1024.", 2).as_deref(), Some("AZSM1024"));
        assert_eq!(ok("(AZSM0000)", 1).as_deref(), Some("AZSM0000"));
        assert_eq!(
            ok("é AZSM2062é", 3).as_deref(),
            Some("AZSM2062"),
            "non-ASCII bytes are not word bytes"
        );
        for (s, at) in [
            ("AZSM10245", 0),
            ("XAZSM1024", 1),
            ("AZSM1024X", 0),
            ("AZSM1024_1", 0),
            ("_AZSM1024", 1),
            ("AZSM102", 0),
            ("AZSM10a4", 0),
        ] {
            assert_eq!(ok(s, at), None, "{s}");
        }
    }

    /// The first version of [`path_job`], front to back: the oracle of
    /// the proptest below.
    fn path_job_front_to_back(path: &str) -> Option<&str> {
        let mut parts = path.split(['/', '\\']).filter(|p| !p.is_empty()).peekable();
        let mut found = None;
        while let Some(part) = parts.next() {
            let part = if parts.peek().is_none() {
                part.split('.').next().unwrap_or(part)
            } else {
                part
            };
            if is_guid(part) {
                found = Some(part);
            }
        }
        found
    }

    proptest::proptest! {
        /// Looking from the end finds the component the first version found.
        #[test]
        fn path_job_is_the_first_versions(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "/", "\\", ".", "..", "x", "é", "job.log", ".1",
                "38fb0f65-b642-4cb7-a8a0-f406e3e6f85a",
                "0b0e7f0e-0000-4000-8000-00000000abcd",
                "0b0e7f0e-0000-4000-8000-00000000abcdx",
            ]),
            0..10,
        )) {
            let path = parts.concat();
            proptest::prop_assert_eq!(path_job(&path), path_job_front_to_back(&path));
        }
    }

    #[test]
    fn guid_path_components() {
        let g = "38fb0f65-b642-4cb7-a8a0-f406e3e6f85a";
        let h = "0b0e7f0e-0000-4000-8000-00000000abcd";
        assert_eq!(
            path_job(&format!("root/xdmdata/archive/{g}/job.log")),
            Some(g)
        );
        assert_eq!(path_job(&format!("copy log/{g}.log")), Some(g));
        assert_eq!(
            path_job(&format!("{g}/x/{h}.log.1")),
            Some(h),
            "deepest wins"
        );
        assert_eq!(path_job(&format!("{g}/x/{h}x.log")), Some(g));
        assert_eq!(path_job("var/log/xdatamoved.log"), None);
        assert_eq!(
            path_job(&format!("a/{g}.d/b")),
            None,
            "a directory name must be the GUID"
        );
    }

    #[test]
    fn split_lines_cuts_after_newlines() {
        let buf = b"aaaa\nbb\ncccccc\nd";
        let chunks = split_lines(buf, 3);
        assert_eq!(chunks, [&b"aaaa\n"[..], b"bb\ncccccc\n", b"d"]);
        assert_eq!(split_lines(b"", 3), [&b""[..]]);
        assert_eq!(split_lines(b"abcdef", 2), [&b"abcdef"[..]]);
    }
}
