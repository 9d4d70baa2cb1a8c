//! Affected items: which files and folders an item-scope code hit.
//!
//! A user wants to know which files failed with AZSM2062 and under which
//! folders. For item-scope codes (`AZSM2xxx`) the item path comes from an
//! export's `ItemPath` column, or from the log line (the scanner finds
//! it). Per code, [`Items`] keeps:
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
use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use hashbrown::HashTable;
use rustc_hash::FxHasher;

use crate::util::bytes::last_slash;

/// Directories counted per code, at most.
pub const DIR_SAMPLE: usize = 4096;
/// Example paths kept per code; the largest `--items`.
pub const MAX_EXAMPLES: usize = 100;

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
    match last_slash(trimmed) {
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
    /// where a tree ordered by (hash, text) walks down its nodes.
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

/// How many absorbed accumulators an [`ItemPool`] keeps, and how big
/// (directories, bytes of their names) one may be to be kept: memory stays
/// bounded.
const POOL_SIZE: usize = 16;
const POOL_DIRS: usize = 1024;
const POOL_NAMES: usize = 64 << 10;

impl ItemAcc {
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
    /// Returns `acc`, emptied of its examples, for its owner's pool.
    pub fn absorb(&mut self, mut acc: ItemAcc, input: &Arc<str>, offset: u64) -> ItemAcc {
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
        acc
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

/// Absorbed item accumulators kept for the next ones an accumulator makes:
/// their table and buffer keep their room (a copy log's chunk names a new
/// directory with nearly every item). Each [`crate::tally::Acc`] owns one.
#[derive(Debug, Default)]
pub struct ItemPool {
    kept: RefCell<Vec<ItemAcc>>,
}

impl ItemPool {
    /// An empty pool.
    pub const fn new() -> ItemPool {
        ItemPool {
            kept: RefCell::new(Vec::new()),
        }
    }

    /// An empty accumulator: one given back to this pool when it holds
    /// one, else a new one. Either way it is the same as
    /// [`ItemAcc::default`].
    pub fn take(&self) -> ItemAcc {
        self.kept.borrow_mut().pop().unwrap_or_default()
    }

    /// Empties `acc` and keeps it for the next [`ItemPool::take`], unless
    /// the pool holds sixteen already or `acc` grew past 1,024 directories
    /// or 64 KiB of their names.
    pub fn give(&self, mut acc: ItemAcc) {
        if acc.dirs.capacity() > POOL_DIRS || acc.names.capacity() > POOL_NAMES {
            return;
        }
        let ItemAcc {
            total,
            names,
            dirs,
            cut,
            examples,
            no_examples,
        } = &mut acc;
        *total = 0;
        names.clear();
        dirs.clear();
        *cut = None;
        examples.clear();
        *no_examples = false;
        let mut kept = self.kept.borrow_mut();
        if kept.len() < POOL_SIZE {
            kept.push(acc);
        }
    }

    /// How many accumulators it holds.
    pub fn len(&self) -> usize {
        self.kept.borrow().len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests;
