//! Affected items: which files and folders an item-scope code hit.
//!
//! A user wants to know which files failed with AZSM2062 and under which
//! folders. For item-scope codes (`AZSM2xxx`) the item path comes from an
//! export's `ItemPath` column, or from the log line, found by
//! [`in_line`]. Per code, [`Items`] keeps:
//!
//! - the number of events with a path;
//! - exact counts per parent directory, for a deterministic sample of at
//!   most [`DIR_SAMPLE`] directories: those whose (fixed, unseeded) hash is
//!   smallest. When a code hits no more directories than that, the counts
//!   are complete and the top directories exact; beyond it, `sampled` says
//!   so. Keeping "the smallest hashes" is commutative and associative, so
//!   the result does not depend on how inputs and chunks were split or
//!   merged;
//! - the first [`MAX_EXAMPLES`] item paths in (input, line) order.
//!
//! Memory per code is therefore bounded whatever the number of items.

use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use hashbrown::HashTable;
use rustc_hash::FxHasher;

use crate::scan::linemask::WordMask;

/// Directories counted per code, at most.
pub const DIR_SAMPLE: usize = 4096;
/// Example paths kept per code; the largest `--items`.
pub const MAX_EXAMPLES: usize = 100;

/// The item path on a log line, if any. The rule
/// (also in the README):
/// 1. the value of a key whose name ends in `path`, in any case
///    (`path=`, `itemPath:`, `"file_path":"..."`, `ITEM_PATH=`), quoted or
///    up to the next space, comma or quote;
/// 2. otherwise the first word (after a space or tab, or at the line
///    start) that starts with `/`, `\\` or a drive (`C:\`) and is longer
///    than one character, up to the next space or tab, with trailing
///    `,;:)]"'` removed;
/// 3. otherwise, in a copy-log record (a `TransferResult` word such as
///    `Failed`, then the item type `F` or `D`), the first later word that is
///    neither a number, nor a code, nor a `key=value` pair (relative paths:
///    `Failed F 3335124 users/alice/a.docx`).
pub fn in_line(text: &[u8]) -> Option<&[u8]> {
    if let Some(p) = keyed(text) {
        return Some(p);
    }
    // Rules 2 and 3 in one pass over the words: a bare path anywhere on
    // the line wins over the copy-log item, wherever that is.
    let mut copy = CopyLog::Seeking;
    for w in Words(text) {
        if let Some(p) = bare_word(w) {
            return Some(p);
        }
        copy = copy.next(w, || w.contains(&b'='));
    }
    copy.item()
}

/// [`in_line`] of a line whose [`WordMask`] is made: the same answer,
/// with the `h`s, the words and the `=`s read off the mask. Rule 2 looks
/// only at the words the mask says may be bare paths, and rule 3 stops at
/// the word that decides it.
pub fn in_line_masked<'a>(text: &'a [u8], mask: &WordMask) -> Option<&'a [u8]> {
    debug_assert_eq!(mask.len(), text.len(), "the mask of another line");
    if let Some(p) = keyed_among(text, mask.hs()) {
        return Some(p);
    }
    for start in mask.path_starts() {
        if let Some(p) = bare_word(&text[start..mask.word_end(start)]) {
            return Some(p);
        }
    }
    let mut copy = CopyLog::Seeking;
    let mut seps = mask.seps();
    let mut start = 0;
    // The words are the runs between separators.
    loop {
        let end = seps.next();
        let stop = end.unwrap_or(text.len());
        if stop > start {
            copy = copy.next(&text[start..stop], || mask.has_eq(start..stop));
            if matches!(copy, CopyLog::Item(_) | CopyLog::Never) {
                break;
            }
        }
        match end {
            Some(e) => start = e + 1,
            None => break,
        }
    }
    copy.item()
}

/// Rule 3 word by word: a `TransferResult` word, then the item type `F` or
/// `D`, then the item: the first word that is neither a number nor a code
/// nor a `key=value` pair.
#[derive(Clone, Copy)]
enum CopyLog<'a> {
    /// No result word yet.
    Seeking,
    /// The result word came: the item type must follow.
    Result,
    /// The item type came: looking for the item.
    Type,
    /// Found.
    Item(&'a [u8]),
    /// The word after the result word was no item type: no item.
    Never,
}

impl<'a> CopyLog<'a> {
    /// The state after the word `w`; `has_eq` tells whether `w` holds a
    /// `=` (asked only of words that may be the item).
    #[inline]
    fn next(self, w: &'a [u8], has_eq: impl FnOnce() -> bool) -> CopyLog<'a> {
        match self {
            CopyLog::Seeking => {
                let result = match w.first() {
                    Some(b'F') => w == b"Failed",
                    Some(b'T') => w == b"Transferred",
                    Some(b'U') => w == b"Unsupported",
                    Some(b'E') => w == b"Excluded",
                    Some(b'N') => w == b"NoCopyNecessary",
                    _ => false,
                };
                if result {
                    CopyLog::Result
                } else {
                    CopyLog::Seeking
                }
            }
            CopyLog::Result if matches!(w, b"F" | b"D") => CopyLog::Type,
            CopyLog::Result => CopyLog::Never,
            CopyLog::Type => {
                let number = w.iter().all(u8::is_ascii_digit);
                let code = w.len() == 8 && w.starts_with(b"AZSM");
                if number || code || has_eq() {
                    CopyLog::Type
                } else {
                    CopyLog::Item(w)
                }
            }
            done => done,
        }
    }

    /// The item found, if any.
    fn item(self) -> Option<&'a [u8]> {
        match self {
            CopyLog::Item(p) => Some(p),
            _ => None,
        }
    }
}

/// Rule 2 for one word: it starts with `/`, `\\` or a drive (`C:\`) and,
/// without trailing `,;:)]"'`, is longer than one character.
fn bare_word(w: &[u8]) -> Option<&[u8]> {
    let path = match w {
        [b'/', ..] | [b'\\', b'\\', ..] => true,
        [d, b':', b'\\', ..] => d.is_ascii_alphabetic(),
        _ => false,
    };
    if !path {
        return None;
    }
    let mut w = w;
    while let [rest @ .., b',' | b';' | b':' | b')' | b']' | b'"' | b'\'' | b'\r'] = w {
        w = rest;
    }
    (w.len() > 1).then_some(w)
}

/// The words of a line: runs of bytes between spaces and tabs (a
/// `split().filter()` that finds separators with `memchr`).
struct Words<'a>(&'a [u8]);

impl<'a> Iterator for Words<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.0;
        let start = rest.iter().position(|&b| b != b' ' && b != b'\t')?;
        let rest = &rest[start..];
        let end = memchr::memchr2(b' ', b'\t', rest).unwrap_or(rest.len());
        self.0 = &rest[end..];
        Some(&rest[..end])
    }
}

/// Rule 1: the value after the first `path` (any case) whose next byte,
/// past quotes and spaces, is `=` or `:`. Its `h` is looked for rather
/// than the separators: a timestamp alone holds two `:`, most item paths
/// no `h`.
fn keyed(text: &[u8]) -> Option<&[u8]> {
    keyed_among(text, memchr::memchr2_iter(b'h', b'H', text))
}

/// Rule 1 on `text`, whose `h`s and `H`s are at `hs`, in order.
#[inline]
fn keyed_among(text: &[u8], hs: impl Iterator<Item = usize>) -> Option<&[u8]> {
    for h in hs {
        if h < 3 || !text[h - 3..h].eq_ignore_ascii_case(b"pat") {
            continue;
        }
        let mut i = h + 1;
        while matches!(text.get(i), Some(b'"' | b'\'' | b' ')) {
            i += 1;
        }
        if !matches!(text.get(i), Some(b'=' | b':')) {
            continue;
        }
        if let Some(value) = value_at(text, i + 1) {
            return Some(value);
        }
    }
    None
}

/// The value from `i` on, past spaces: quoted, or up to a space, tab,
/// comma or quote; none if empty.
fn value_at(text: &[u8], mut i: usize) -> Option<&[u8]> {
    while text.get(i) == Some(&b' ') {
        i += 1;
    }
    let value = match text.get(i) {
        Some(&q @ (b'"' | b'\'')) => {
            let rest = &text[i + 1..];
            &rest[..memchr::memchr(q, rest).unwrap_or(rest.len())]
        }
        _ => {
            let rest = text.get(i..).unwrap_or_default();
            let end = rest
                .iter()
                .position(|b| matches!(b, b' ' | b'\t' | b',' | b'"' | b'\''))
                .unwrap_or(rest.len());
            &rest[..end]
        }
    };
    (!value.is_empty()).then_some(value)
}

/// The directory of an item path: up to its last `/` or `\` (`/` for a
/// top-level absolute path, `.` for a bare name).
pub fn parent(path: &str) -> &str {
    let dir = parent_bytes(path.as_bytes());
    // `dir` is `.` or ends before an ASCII byte of `path`: a char boundary.
    std::str::from_utf8(dir).unwrap_or(".")
}

/// [`parent`] of bytes.
fn parent_bytes(path: &[u8]) -> &[u8] {
    let mut trimmed = path;
    while let [rest @ .., b'/' | b'\\'] = trimmed {
        trimmed = rest;
    }
    match crate::scan::linemask::last_slash(trimmed) {
        Some(0) => &trimmed[..1],
        Some(i) => &trimmed[..i],
        None => b".",
    }
}

fn dir_hash(dir: &str) -> u64 {
    let mut h = FxHasher::default();
    dir.hash(&mut h);
    h.finish()
}

/// Item paths of one code; see the module docs.
#[derive(Clone, Debug, Default)]
pub struct Items {
    /// Events that named an item.
    pub total: u64,
    /// Events per directory, found by the hash of the directory's text,
    /// then the text: a look-up costs a probe and one comparison of text,
    /// where a tree ordered by (hash, text) took a walk down its nodes.
    /// After each change it holds the sample: at most [`DIR_SAMPLE`]
    /// directories, those of smallest (hash, text) ([`Items::settle`]).
    dirs: HashTable<Entry>,
    /// Once the sample was full: its largest (hash, text). A directory
    /// above it can never be in the sample again (what is below it only
    /// grows), so it is passed over instead of being added and dropped
    /// again: a saving, not a rule (the result is the same without it).
    cut: Option<(u64, String)>,
    /// Whether directories beyond the sample were seen.
    pub sampled: bool,
    /// The first item paths, in (input, line) order (kept sorted).
    pub examples: Vec<(Arc<str>, u64, String)>,
}

/// A directory in [`Items`], and its events.
#[derive(Clone, Debug)]
struct Entry {
    hash: u64,
    text: String,
    n: u64,
}

/// Equal when they hold the same counts, sample flag and examples, in
/// whatever order their tables keep them (and whatever their `cut`, which
/// only skips directories that cannot enter the sample).
impl PartialEq for Items {
    fn eq(&self, other: &Items) -> bool {
        self.total == other.total
            && self.sampled == other.sampled
            && self.examples == other.examples
            && self.sorted_dirs() == other.sorted_dirs()
    }
}

impl Eq for Items {}

impl Items {
    /// Adds `other`.
    pub fn merge(&mut self, other: Items) {
        self.total += other.total;
        self.sampled |= other.sampled;
        for e in other.dirs {
            if !self.count(e.hash, e.text.as_bytes(), e.n) {
                self.insert(e.hash, e.text, e.n);
            }
        }
        self.settle();
        crate::tally::keep_smallest(&mut self.examples, other.examples, MAX_EXAMPLES, |_, _| {
            false
        });
    }

    /// Counts `n` events for the directory `text` (hash `hash`) when it
    /// holds it, or passes over a directory beyond the cut; false when the
    /// directory is new and must be [`Items::insert`]ed.
    fn count(&mut self, hash: u64, text: &[u8], n: u64) -> bool {
        if let Some(e) = self
            .dirs
            .find_mut(hash, |e| e.hash == hash && e.text.as_bytes() == text)
        {
            e.n += n;
            return true;
        }
        // Beyond the cut: `sampled` is already set, by the settle that
        // made the cut.
        self.cut
            .as_ref()
            .is_some_and(|(cut_hash, cut_text)| (hash, text) > (*cut_hash, cut_text.as_bytes()))
    }

    /// Adds a directory it does not hold.
    fn insert(&mut self, hash: u64, text: String, n: u64) {
        self.dirs
            .insert_unique(hash, Entry { hash, text, n }, |e| e.hash);
    }

    /// Keeps the [`DIR_SAMPLE`] directories of smallest (hash, text) when
    /// it holds more, and remembers the largest kept as the cut.
    fn settle(&mut self) {
        if self.dirs.len() <= DIR_SAMPLE {
            return;
        }
        let mut keys: Vec<(u64, &str)> = self
            .dirs
            .iter()
            .map(|e| (e.hash, e.text.as_str()))
            .collect();
        let (_, &mut (hash, text), _) = keys.select_nth_unstable(DIR_SAMPLE - 1);
        let cut = (hash, text.to_string());
        self.dirs
            .retain(|e| (e.hash, e.text.as_str()) <= (cut.0, cut.1.as_str()));
        self.cut = Some(cut);
        self.sampled = true;
    }

    /// Its directories in (hash, text) order.
    fn sorted_dirs(&self) -> Vec<(u64, &str, u64)> {
        let mut all: Vec<(u64, &str, u64)> = self
            .dirs
            .iter()
            .map(|e| (e.hash, e.text.as_str(), e.n))
            .collect();
        all.sort_unstable();
        all
    }

    /// The `k` directories with most events (ties by name).
    pub fn top_dirs(&self, k: usize) -> Vec<(&str, u64)> {
        let mut all: Vec<(&str, u64)> = self.dirs.iter().map(|e| (e.text.as_str(), e.n)).collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        all.truncate(k);
        all
    }

    /// The first `k` distinct item paths, each where it was first seen
    /// (input, line, item).
    pub fn example_paths(&self, k: usize) -> Vec<(&str, u64, &str)> {
        let mut out: Vec<(&str, u64, &str)> = Vec::new();
        for (input, line, p) in &self.examples {
            if out.len() == k {
                break;
            }
            if !out.iter().any(|e| e.2 == p) {
                out.push((input, *line, p));
            }
        }
        out
    }

    /// Items as a report shows them (`azsm merge`): `dirs` are the folders
    /// listed, `examples` (input, line, item) the paths listed.
    pub fn restore(
        total: u64,
        dirs: Vec<(String, u64)>,
        sampled: bool,
        examples: Vec<(Arc<str>, u64, String)>,
    ) -> Items {
        let mut items = Items {
            total,
            sampled,
            examples,
            ..Items::default()
        };
        for (d, n) in dirs {
            // A folder listed twice: the last count, as a map collects.
            let hash = dir_hash(&d);
            match items.dirs.find_mut(hash, |e| e.hash == hash && e.text == d) {
                Some(mine) => mine.n = n,
                None => items.insert(hash, d, n),
            }
        }
        items.examples.sort();
        items.settle();
        items
    }

    /// Distinct directories in the sample.
    pub fn dir_count(&self) -> usize {
        self.dirs.len()
    }
}

/// Item paths of one code within one chunk or export (lines relative to
/// the chunk). Bounded like [`Items`]: once it holds twice [`DIR_SAMPLE`]
/// directories it keeps the [`DIR_SAMPLE`] smallest hashes and from then on
/// ignores directories hashing above the cut, which can never be in the
/// final sample; the kept counts stay exact.
///
/// A small file's accumulator sees most of its directories once, so a new
/// directory must be cheap: its bytes go into one buffer (no allocation
/// each), and a table of hashes finds them again. Text is made only when
/// the directory reaches the file's tally ([`Items::absorb`]), and only if
/// the tally does not hold it yet.
#[derive(Debug, Default)]
pub struct ItemAcc {
    total: u64,
    /// The directories' bytes, one after another.
    names: Vec<u8>,
    /// The directories, found by the hash of their bytes.
    dirs: HashTable<Dir>,
    cut: Option<u64>,
    examples: Vec<(u64, String)>,
    /// No examples are kept (they could not make it into the report).
    no_examples: bool,
}

/// A directory in an [`ItemAcc`]: 32 bytes. The hash of its text, which
/// orders the sample, is not kept but found again when needed
/// ([`text_hash`]: `key` for UTF-8 bytes), once per directory and chunk:
/// a copy log's chunk interleaves the tables of a few dozen codes, and
/// their entries are looked up once an event each, so a smaller entry
/// keeps more of them in the cache.
#[derive(Clone, Copy, Debug)]
struct Dir {
    /// The hash of its bytes ([`ItemAcc::dirs`]' hash).
    key: u64,
    /// Where its bytes are in [`ItemAcc::names`].
    start: usize,
    len: usize,
    /// Events.
    n: u64,
}

thread_local! {
    /// Absorbed accumulators kept for this thread's next ones
    /// ([`ItemAcc::reused`]).
    static POOL: std::cell::RefCell<Vec<ItemAcc>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// How many absorbed accumulators a thread keeps, and how big (directories,
/// bytes of their names) one may be to be kept: memory stays bounded.
const POOL_SIZE: usize = 16;
const POOL_DIRS: usize = 1024;
const POOL_NAMES: usize = 64 << 10;

impl ItemAcc {
    /// An empty accumulator: one this thread absorbed before when there is
    /// one (its table and buffer keep their room: a copy log's chunk names
    /// a new directory with nearly every item), else a new one. Either way
    /// it is the same as [`ItemAcc::default`].
    pub fn reused() -> ItemAcc {
        POOL.with(|p| p.borrow_mut().pop()).unwrap_or_default()
    }

    /// Empties it and keeps it for [`ItemAcc::reused`], unless the thread
    /// keeps enough or it grew big.
    fn recycle(mut self) {
        if self.dirs.capacity() > POOL_DIRS || self.names.capacity() > POOL_NAMES {
            return;
        }
        let ItemAcc {
            total,
            names,
            dirs,
            cut,
            examples,
            no_examples,
        } = &mut self;
        *total = 0;
        names.clear();
        dirs.clear();
        *cut = None;
        examples.clear();
        *no_examples = false;
        POOL.with(|p| {
            let mut pool = p.borrow_mut();
            if pool.len() < POOL_SIZE {
                pool.push(self);
            }
        });
    }

    /// Whether to keep example paths (by default it does).
    pub fn keeping_examples(mut self, keep: bool) -> ItemAcc {
        self.no_examples = !keep;
        self
    }

    /// Records `path`, seen on chunk line `line`. Paths stay bytes until a
    /// directory is new or an example is kept: invalid UTF-8 becomes U+FFFD
    /// without moving a `/` or `\`, so the directory of the text is the
    /// text of the directory.
    pub fn add(&mut self, path: &[u8], line: u64) {
        self.total += 1;
        self.count(parent_bytes(path));
        if self.examples.len() < MAX_EXAMPLES && !self.no_examples {
            self.examples
                .push((line, String::from_utf8_lossy(path).into_owned()));
        }
    }

    /// Counts an event in `dir`.
    fn count(&mut self, dir: &[u8]) {
        let key = bytes_hash(dir);
        let names = &self.names;
        let same = |d: &Dir| d.key == key && same_bytes(&names[d.start..d.start + d.len], dir);
        if let Some(d) = self.dirs.find_mut(key, same) {
            d.n += 1;
            return;
        }
        if self.cut.is_some_and(|c| text_hash(key, dir).0 > c) {
            return;
        }
        let d = Dir {
            key,
            start: self.names.len(),
            len: dir.len(),
            n: 1,
        };
        self.names.extend_from_slice(dir);
        self.dirs.insert_unique(key, d, |d| d.key);
        if self.dirs.len() >= 2 * DIR_SAMPLE {
            self.shrink();
        }
    }

    /// Keeps the [`DIR_SAMPLE`] smallest hashes (and their ties), and their
    /// bytes only.
    fn shrink(&mut self) {
        let names = &self.names;
        let hash = |d: &Dir| text_hash(d.key, &names[d.start..d.start + d.len]).0;
        let mut hashes: Vec<u64> = self.dirs.iter().map(hash).collect();
        let (_, &mut cut, _) = hashes.select_nth_unstable(DIR_SAMPLE - 1);
        self.dirs.retain(|d| hash(d) <= cut);
        let mut names = Vec::new();
        for d in self.dirs.iter_mut() {
            let from = d.start;
            d.start = names.len();
            names.extend_from_slice(&self.names[from..from + d.len]);
        }
        self.names = names;
        self.cut = Some(cut);
    }

    /// The summary, with lines shifted by `offset` and named after `input`.
    pub fn finish(self, input: &Arc<str>, offset: u64) -> Items {
        let mut items = Items::default();
        items.absorb(self, input, offset);
        items
    }
}

impl Items {
    /// Adds the accumulator `acc` (lines shifted by `offset`, named after
    /// `input`): the same as merging its [`ItemAcc::finish`], without
    /// making text for directories already here or beyond a full sample.
    pub fn absorb(&mut self, mut acc: ItemAcc, input: &Arc<str>, offset: u64) {
        self.total += acc.total;
        self.sampled |= acc.cut.is_some();
        for d in acc.dirs.iter() {
            // Two byte strings may read the same once invalid bytes are
            // replaced: their counts add up.
            let bytes = &acc.names[d.start..d.start + d.len];
            let (hash, utf8) = text_hash(d.key, bytes);
            let text: Cow<'_, [u8]> = if utf8 {
                Cow::Borrowed(bytes)
            } else {
                Cow::Owned(String::from_utf8_lossy(bytes).into_owned().into_bytes())
            };
            if !self.count(hash, &text, d.n) {
                self.insert(hash, String::from_utf8_lossy(&text).into_owned(), d.n);
            }
        }
        self.settle();
        let mut examples: Vec<(Arc<str>, u64, String)> = acc
            .examples
            .drain(..)
            .map(|(l, p)| (input.clone(), l + offset, p))
            .collect();
        // Lines come in order, but keep_smallest relies on it.
        if !examples.is_sorted() {
            examples.sort();
        }
        crate::tally::keep_smallest(&mut self.examples, examples, MAX_EXAMPLES, |_, _| false);
        acc.recycle();
    }
}

/// Whether `a` and `b` hold the same bytes: `a == b` without its call into
/// `memcmp` for the short names most directories have (a directory is
/// compared once per item-scope event: as often as a dense copy log has
/// lines), two overlapping words compared from each.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    fn two<const N: usize>(s: &[u8]) -> Option<(&[u8; N], &[u8; N])> {
        Some((s.first_chunk::<N>()?, s.last_chunk::<N>()?))
    }
    match a.len() {
        8..=16 => two::<8>(a) == two::<8>(b),
        4..=7 => two::<4>(a) == two::<4>(b),
        _ => a == b,
    }
}

/// The hash of the text of the directory `bytes`, whose [`bytes_hash`] is
/// `key`, and whether the bytes are UTF-8 (the text, then, and the hash
/// `key`).
fn text_hash(key: u64, bytes: &[u8]) -> (u64, bool) {
    if bytes.is_ascii() || std::str::from_utf8(bytes).is_ok() {
        (key, true)
    } else {
        (dir_hash(&String::from_utf8_lossy(bytes)), false)
    }
}

/// The hash of a directory's bytes: [`dir_hash`] of its text when it is
/// UTF-8 (a `str` hashes as its bytes and a `0xff`).
fn bytes_hash(dir: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(dir);
    h.write_u8(0xff);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(line: &str) -> Option<String> {
        in_line(line.as_bytes()).map(|p| String::from_utf8_lossy(p).into_owned())
    }

    /// The rules 2 and 3 as first written, one pass each: the oracle for
    /// the one-pass [`in_line`].
    fn reference(text: &[u8]) -> Option<&[u8]> {
        keyed(text)
            .or_else(|| bare(text))
            .or_else(|| copy_log(text))
    }

    fn copy_log(text: &[u8]) -> Option<&[u8]> {
        let mut words = Words(text);
        loop {
            let w = words.next()?;
            let result = matches!(
                w,
                b"Failed" | b"Transferred" | b"Unsupported" | b"Excluded" | b"NoCopyNecessary"
            );
            if result {
                break;
            }
        }
        if !matches!(words.next()?, b"F" | b"D") {
            return None;
        }
        words.find(|w| {
            let number = w.iter().all(u8::is_ascii_digit);
            let code = w.len() == 8 && w.starts_with(b"AZSM");
            !(number || code || w.contains(&b'='))
        })
    }

    fn bare(text: &[u8]) -> Option<&[u8]> {
        for p in memchr::memchr2_iter(b'/', b'\\', text) {
            let drive = p >= 2
                && text[p] == b'\\'
                && text[p - 1] == b':'
                && text[p - 2].is_ascii_alphabetic();
            let start = if drive { p - 2 } else { p };
            if start > 0 && !matches!(text[start - 1], b' ' | b'\t') {
                continue;
            }
            if !drive && text[p] == b'\\' && text.get(p + 1) != Some(&b'\\') {
                continue;
            }
            let end =
                memchr::memchr2(b' ', b'\t', &text[start..]).map_or(text.len(), |e| start + e);
            let mut w = &text[start..end];
            while let [rest @ .., b',' | b';' | b':' | b')' | b']' | b'"' | b'\'' | b'\r'] = w {
                w = rest;
            }
            if w.len() > 1 {
                return Some(w);
            }
        }
        None
    }

    /// Rule 1 as first written, looking back from each `=` or `:`: the
    /// oracle for [`keyed`].
    fn keyed_by_separators(text: &[u8]) -> Option<&[u8]> {
        // Look back from each `=` or `:` over quotes and spaces for `path`.
        for sep in memchr::memchr2_iter(b'=', b':', text) {
            let mut k = sep;
            while k > 0 && matches!(text[k - 1], b'"' | b'\'' | b' ') {
                k -= 1;
            }
            if k < 4 || !text[k - 4..k].eq_ignore_ascii_case(b"path") {
                continue;
            }
            let from = k;
            let mut i = from;
            while matches!(text.get(i), Some(b'"' | b'\'' | b' ')) {
                i += 1;
            }
            if !matches!(text.get(i), Some(b'=' | b':')) {
                continue;
            }
            // The value is read as `keyed` reads it: only the search differs.
            if let Some(value) = value_at(text, i + 1) {
                return Some(value);
            }
        }
        None
    }

    proptest::proptest! {
        #[test]
        fn rule_one_by_its_h_equals_rule_one_by_its_separators(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "path", "PATH", "Path", "pat", "h", "H", "=", ":", "\"", "'", " ", "\t", ",", "x",
                "a b", "itemPath", "file_path", "2024-03-15T08:00:00Z", "/d/f.txt",
            ]),
            0..12,
        )) {
            let text = parts.concat().into_bytes();
            proptest::prop_assert_eq!(keyed(&text), keyed_by_separators(&text));
        }
    }

    proptest::proptest! {
        #[test]
        fn one_pass_equals_the_rules_one_by_one(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                " ", "\t", "/", "\\", "\\\\", "C:\\", "c:", "x", "ab", ",", ")", "'", "\r", "=", ":",
                "path=", "itemPath: ", "\"", "Failed", "Transferred", "Excluded", "F", "D",
                "123", "AZSM2062", "k=v", "/a/b", "dir/f.txt", "é", "9:\\",
            ]),
            0..16,
        )) {
            let text = parts.concat().into_bytes();
            proptest::prop_assert_eq!(in_line(&text), reference(&text));
        }
    }

    proptest::proptest! {
        /// Reading the mask finds the item `in_line` finds, on lines up to
        /// and past the mask's limit, with `path` keys and words at the
        /// start, across the mask's 64-byte words and around its end.
        #[test]
        fn masked_equals_in_line(
            pad in proptest::prop_oneof![0usize..4, 50usize..70, 120usize..136, 190usize..260],
            filler in proptest::sample::select(vec!["x", " ", "\t", "ab ", "é", "=", "h"]),
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    " ", "\t", "/", "\\", "\\\\", "C:\\", "x", "ab", ",", "'", "\r", "=", ":",
                    "path=", "Path", "h", "itemPath: ", "file_path\":\"", "\"", "Failed", "Transferred",
                    "F", "D", "123", "AZSM2062", "k=v", "/a/b", "dir/f.txt", "é", "9:\\", "  ",
                    " Failed F ", " Unsupported D 12 ", "x=", "=y", " c:\\d", " Excluded F a",
                    " NoCopyNecessary D 1 b", " Transferred F c", "Ex", "No",
                ]),
                0..14,
            ),
        ) {
            let mut text = filler.repeat(pad).into_bytes();
            text.truncate(pad);
            text.extend(parts.concat().bytes());
            match WordMask::default().fill(&text, 0..text.len()) {
                Some(mask) => proptest::prop_assert_eq!(in_line_masked(&text, mask), in_line(&text)),
                None => proptest::prop_assert!(text.len() > crate::scan::linemask::LIMIT),
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn words_are_the_runs_between_spaces_and_tabs(text in "[ \tab/=]{0,24}") {
            let want: Vec<&[u8]> = text
                .as_bytes()
                .split(|b| matches!(b, b' ' | b'\t'))
                .filter(|w| !w.is_empty())
                .collect();
            proptest::prop_assert_eq!(Words(text.as_bytes()).collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn paths_on_lines() {
        let cases = [
            (
                "2024-03-15T08:20:00Z Failed F /export/data/b.txt 1024 AZSM2062 permission denied",
                Some("/export/data/b.txt"),
            ),
            (
                "ERROR copy failed for /export/data/a.txt status=AZSM2062 (x)",
                Some("/export/data/a.txt"),
            ),
            (
                "read failed path=/share/caf.txt AZSM2063",
                Some("/share/caf.txt"),
            ),
            (
                r#"{"itemPath":"dir one/f.txt","statusCode":"AZSM2062"}"#,
                Some("dir one/f.txt"),
            ),
            ("filePath: 'a b/c' AZSM2062", Some("a b/c")),
            (
                r"copy of \\srv\share\x.doc, AZSM2062",
                Some(r"\\srv\share\x.doc"),
            ),
            (r"copy of C:\data\x.doc: AZSM2062", Some(r"C:\data\x.doc")),
            ("item (/export/big.iso) AZSM2026", None),
            (
                "2024-03-15T08:00:00Z AZSM2071 Failed F 3335124 users/alice/a.docx retry=AZSM2071",
                Some("users/alice/a.docx"),
            ),
            (
                "t Unsupported D 6809857 hr/x.bin Details=\"input/output error\"",
                Some("hr/x.bin"),
            ),
            ("t Failed F 12 AZSM2062 k=v", None),
            ("Failed to copy F AZSM2062", None),
            ("AZSM2062 no path here / at all", None),
            ("pathological=1 AZSM2062", None),
        ];
        for (line, want) in cases {
            assert_eq!(found(line).as_deref(), want, "{line}");
        }
    }

    /// Two byte strings are the same by [`same_bytes`] exactly when they
    /// are equal: for every length up to 40, a change at every place, and
    /// every shorter cut.
    #[test]
    fn same_bytes_is_equality() {
        for len in 0..=40u8 {
            let a: Vec<u8> = (0..len).map(|i| b'a' + i % 26).collect();
            assert!(same_bytes(&a, &a.clone()), "{len}");
            for at in 0..a.len() {
                let mut b = a.clone();
                b[at] = b'/';
                assert!(!same_bytes(&a, &b) && !same_bytes(&b, &a), "{len}, at {at}");
            }
            for cut in 0..a.len() {
                assert!(!same_bytes(&a, &a[..cut]) && !same_bytes(&a[..cut], &a));
            }
        }
    }

    #[test]
    fn directories_that_read_the_same_count_as_one() {
        let mut acc = ItemAcc::default();
        acc.add(b"share/a\xff/x.txt", 1);
        acc.add(b"share/a\xfe/y.txt", 2);
        acc.add(b"share/a\xff/z.txt", 3);
        let items = acc.finish(&Arc::from("in.log"), 10);
        assert_eq!(items.total, 3);
        assert_eq!(items.top_dirs(5), [("share/a\u{FFFD}", 3)]);
        assert_eq!(
            items.example_paths(1),
            [("in.log", 11, "share/a\u{FFFD}/x.txt")]
        );
    }

    #[test]
    fn parents() {
        assert_eq!(parent("/export/data/b.txt"), "/export/data");
        assert_eq!(parent("/b.txt"), "/");
        assert_eq!(parent("b.txt"), ".");
        assert_eq!(parent(r"\\srv\share\x"), r"\\srv\share");
        assert_eq!(parent("a/dir/"), "a");
    }

    #[test]
    fn the_sample_is_the_same_however_merged() {
        let input: Arc<str> = Arc::from("x");
        let mut parts = Vec::new();
        for chunk in 0..6u64 {
            let mut acc = ItemAcc::default();
            for i in 0..2000u64 {
                let dir = (i * 7 + chunk * 13) % 3000;
                acc.add(format!("/d{dir}/f{i}").as_bytes(), i + 1);
            }
            parts.push(acc.finish(&input, chunk * 10_000));
        }
        let mut forward = Items::default();
        for p in parts.iter().cloned() {
            forward.merge(p);
        }
        let mut pairs = Items::default();
        for pair in parts.chunks(2).rev() {
            let mut a = pair[1].clone();
            a.merge(pair[0].clone());
            pairs.merge(a);
        }
        assert_eq!(forward, pairs);
        assert_eq!(forward.total, 12_000);
        assert!(!forward.sampled, "3000 directories fit the sample");
        assert_eq!(forward.dir_count(), 3000);
        assert_eq!(forward.examples.len(), MAX_EXAMPLES);
        assert_eq!(forward.examples[0].1, 1);

        for extra in [1, 10] {
            let mut big = ItemAcc::default();
            for i in 0..(DIR_SAMPLE as u64 + extra) {
                big.add(format!("/d{i}/f").as_bytes(), i + 1);
            }
            let big = big.finish(&input, 0);
            assert!(big.sampled);
            assert_eq!(big.dir_count(), DIR_SAMPLE, "{extra} more");
        }

        // One accumulator that shrinks on the way equals many that do not.
        let path = |i: u64| format!("/d{}/f", (i * 7919) % 20_000);
        let mut one = ItemAcc::default();
        let mut parts = Items::default();
        for block in 0..30u64 {
            let mut small = ItemAcc::default();
            for i in block * 1000..(block + 1) * 1000 {
                one.add(path(i).as_bytes(), i + 1);
                small.add(path(i).as_bytes(), i + 1);
            }
            parts.merge(small.finish(&input, 0));
        }
        let one = one.finish(&input, 0);
        assert!(one.sampled);
        assert_eq!(one, parts);
        assert_eq!(
            one.top_dirs(1)[0].1,
            2,
            "10 000 folders hit twice each, exactly counted"
        );
    }

    /// Item `i` of the absorb proptests: under one of 50 directories (or
    /// of 6,000 when `wide`), whose name ends in a byte that is not UTF-8
    /// when `odd` is 1 or 2.
    fn generated_path(dir: u32, odd: u8, i: usize, wide: bool) -> Vec<u8> {
        let dir = if wide { dir } else { dir % 50 };
        let mut path = format!("share/d{dir}").into_bytes();
        match odd {
            1 => path.push(0xff),
            2 => path.push(0xfe),
            _ => {}
        }
        path.extend_from_slice(format!("/f{i}").as_bytes());
        path
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

        /// Absorbing accumulators one by one into a tally's items (which
        /// looks directories up without making their text) equals merging
        /// their summaries, with or without a full sample, with bytes
        /// that are not UTF-8 reading the same as others, and with
        /// accumulators recycled from one absorb to the next.
        #[test]
        fn absorbing_equals_merging_the_summaries(
            parts in proptest::collection::vec(
                proptest::collection::vec((0u32..6000, 0u8..4), 0..1500),
                1..5,
            ),
            wide in proptest::bool::ANY,
        ) {
            let input: Arc<str> = Arc::from("in.log");
            let mut absorbed = Items::default();
            let mut merged = Items::default();
            for (p, part) in parts.iter().enumerate() {
                // Absorbed accumulators are recycled: `a` is this thread's
                // last one, emptied, when there is one.
                let a = ItemAcc::reused();
                let (mut a, mut b) = if p % 3 == 1 {
                    (a.keeping_examples(false), ItemAcc::default().keeping_examples(false))
                } else {
                    (a, ItemAcc::default())
                };
                for (i, &(dir, odd)) in part.iter().enumerate() {
                    let path = generated_path(dir, odd, i, wide);
                    a.add(&path, i as u64 + 1);
                    b.add(&path, i as u64 + 1);
                }
                let offset = p as u64 * 10_000;
                absorbed.absorb(a, &input, offset);
                merged.merge(b.finish(&input, offset));
            }
            proptest::prop_assert_eq!(&absorbed, &merged);
            let total: usize = parts.iter().map(Vec::len).sum();
            proptest::prop_assert_eq!(absorbed.total, total as u64);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

        /// The sample holds the [`DIR_SAMPLE`] directories of smallest
        /// (hash, text), each counted exactly, whether accumulators are
        /// absorbed or their summaries merged; `sampled` says whether
        /// there were more; a report's listing restores it.
        #[test]
        fn the_sample_is_the_smallest_hashes_counted_exactly(
            parts in proptest::collection::vec(
                proptest::collection::vec((0u32..6000, 0u8..4), 0..1500),
                1..5,
            ),
            wide in proptest::bool::ANY,
        ) {
            sample_against_the_model(&parts, wide)?;
        }
    }

    /// The model check with well over [`DIR_SAMPLE`] directories, most
    /// new in each part, some seen again: the sample is cut more than
    /// once, in absorbs and in merges.
    #[test]
    fn a_sample_cut_again_and_again_stays_the_smallest() {
        let parts: Vec<Vec<(u32, u8)>> = (0..4u32)
            .map(|p| {
                (0..3000u32)
                    .map(|i| ((i * 7 + p * 1499) % 6000, (i % 4) as u8))
                    .collect()
            })
            .collect();
        sample_against_the_model(&parts, true).unwrap();
    }

    /// The model check with one accumulator given well over twice
    /// [`DIR_SAMPLE`] directories, some not UTF-8 (two byte strings then
    /// read as one text): the accumulator cuts its own sample, more than
    /// once, before its tally sees it.
    #[test]
    fn an_accumulator_cut_on_its_own_stays_the_smallest() {
        let part: Vec<(u32, u8)> = (0..30_000u32)
            .map(|i| ((i * 7_919) % 20_000, (i % 5) as u8 % 3))
            .collect();
        sample_against_the_model(&[part], true).unwrap();
    }

    fn sample_against_the_model(
        parts: &[Vec<(u32, u8)>],
        wide: bool,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        {
            let input: Arc<str> = Arc::from("in.log");
            let mut model: std::collections::BTreeMap<(u64, String), u64> = Default::default();
            let mut absorbed = Items::default();
            let mut merged = Items::default();
            for (p, part) in parts.iter().enumerate() {
                let mut a = ItemAcc::default();
                let mut b = ItemAcc::default();
                for (i, &(dir, odd)) in part.iter().enumerate() {
                    let path = generated_path(dir, odd, i, wide);
                    a.add(&path, i as u64 + 1);
                    b.add(&path, i as u64 + 1);
                    let text = String::from_utf8_lossy(parent_bytes(&path)).into_owned();
                    *model.entry((dir_hash(&text), text)).or_default() += 1;
                }
                absorbed.absorb(a, &input, p as u64 * 10_000);
                merged.merge(b.finish(&input, p as u64 * 10_000));
            }
            let mut want: Vec<(&str, u64)> = model
                .iter()
                .take(DIR_SAMPLE)
                .map(|((_, d), n)| (d.as_str(), *n))
                .collect();
            want.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            for items in [&absorbed, &merged] {
                proptest::prop_assert_eq!(&items.top_dirs(usize::MAX), &want);
                proptest::prop_assert_eq!(items.dir_count(), model.len().min(DIR_SAMPLE));
                proptest::prop_assert_eq!(items.sampled, model.len() > DIR_SAMPLE);
            }
            let listed = absorbed
                .top_dirs(usize::MAX)
                .into_iter()
                .map(|(d, n)| (d.to_string(), n))
                .collect();
            let restored = Items::restore(
                absorbed.total,
                listed,
                absorbed.sampled,
                absorbed.examples.clone(),
            );
            proptest::prop_assert_eq!(restored, absorbed);
        }
        Ok(())
    }

    #[test]
    fn top_directories_and_examples() {
        let input: Arc<str> = Arc::from("x");
        let mut acc = ItemAcc::default();
        for (i, p) in ["/a/1", "/b/1", "/a/2", "/a/1", "/c/1", "/b/2"]
            .iter()
            .enumerate()
        {
            acc.add(p.as_bytes(), i as u64 + 1);
        }
        let items = acc.finish(&input, 0);
        assert_eq!(items.top_dirs(2), [("/a", 3), ("/b", 2)]);
        assert_eq!(
            items.example_paths(3),
            [("x", 1, "/a/1"), ("x", 2, "/b/1"), ("x", 3, "/a/2")],
            "distinct paths, each where first seen"
        );
    }
}
