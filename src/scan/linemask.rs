//! Bit masks of the bytes a code line is searched for.
//!
//! Every line that carries a code is searched for the `j` that may start a
//! job key ([`crate::scan::jobkey`]); for item-scope codes also for the `h` of a
//! `path` key, the spaces and tabs between its words, the `=` of
//! `key=value` words and the slashes that start a bare path
//! (`scan::items`). On a dense log (every line a code) each of those
//! searches was a `memchr` call on a few dozen bytes, where the call's
//! set-up costs more than the search. Here a line is classified sixteen
//! bytes a step with SSE2, one bit per byte and per class, and the searches
//! walk set bits instead: a [`KeyMask`] for every code line, a
//! [`WordMask`] only for the lines whose item path is looked for.
//!
//! The same sixteen-byte steps find a code line's bounds: its `\n`s are a
//! few dozen bytes from its code ([`next_newline`], [`last_newline`]).
//!
//! Lines longer than [`LIMIT`] get no mask: they keep the `memchr` paths,
//! which the masked ones equal (the tests hold them to that). The SSE2
//! code goes through `safe_arch`'s safe wrappers (SSE2 is part of every
//! x86-64 target); other targets build the same masks byte by byte.

use std::ops::Range;

#[cfg(target_arch = "x86_64")]
use crate::util::bytes::eq_bits;
use crate::util::bytes::{last_of, NEAR};

/// The longest line a mask covers, in bytes.
pub const LIMIT: usize = 256;

/// 64-bit words per bit set.
const WORDS: usize = LIMIT / 64;

/// One bit per byte of a line: bit `i % 64` of word `i / 64` is byte `i`.
type Set = [u64; WORDS];

/// `N` classes of a line's bytes. One is made per scan and filled for each
/// line: the words past the line's are left as they were, never read.
#[derive(Clone, Debug)]
struct Sets<const N: usize> {
    len: usize,
    sets: [Set; N],
}

impl<const N: usize> Default for Sets<N> {
    fn default() -> Self {
        Sets {
            len: 0,
            sets: [[0; WORDS]; N],
        }
    }
}

impl<const N: usize> Sets<N> {
    /// Makes these the classes of `buf[line]` as `classify` tells them for
    /// sixteen bytes; false when the line is longer than [`LIMIT`]. Up to
    /// 15 bytes of `buf` after the line may be read, never counted.
    #[inline]
    fn fill(
        &mut self,
        buf: &[u8],
        line: Range<usize>,
        classify: impl Fn(&[u8; 16]) -> [u64; N],
    ) -> bool {
        let Some(text) = buf.get(line.clone()) else {
            return false;
        };
        if text.len() > LIMIT {
            return false;
        }
        self.len = text.len();
        // Only the sixteen-byte blocks that hold the line: a copy-log line
        // of 80 bytes is five blocks, not the eight of two whole words.
        let blocks = text.len().div_ceil(16);
        match buf.get(line.start..line.start + blocks * 16) {
            Some(bytes) => self.groups(bytes, &classify),
            None => self.padded(text, &classify),
        }
        // Bytes read past the line's end are no part of it.
        let (word, bits) = (text.len() / 64, text.len() % 64);
        if bits > 0 {
            for set in &mut self.sets {
                set[word] &= (1u64 << bits) - 1;
            }
        }
        true
    }

    /// Fills the words of `text`, which ends near the end of its buffer,
    /// from a padded copy.
    #[cold]
    #[inline(never)]
    fn padded(&mut self, text: &[u8], classify: &impl Fn(&[u8; 16]) -> [u64; N]) {
        let mut padded = [0u8; LIMIT];
        padded[..text.len()].copy_from_slice(text);
        self.groups(&padded[..text.len().div_ceil(16) * 16], classify);
    }

    /// Fills the words `bytes` covers, sixteen bytes a block (`bytes`
    /// holds whole blocks, at most [`LIMIT`] bytes): whole words of four
    /// blocks, then the last word's blocks, its other bits clear.
    #[inline]
    fn groups(&mut self, bytes: &[u8], classify: &impl Fn(&[u8; 16]) -> [u64; N]) {
        // Two loops, not one over `chunks(64)`: whole words keep a fixed
        // count of four blocks the compiler unrolls (one loop cost the
        // copylog's 10 MB slice 201M -> 209M instructions).
        let whole = (bytes.len() / 64).min(WORDS);
        for (word, group) in bytes.chunks_exact(64).enumerate().take(whole) {
            let mut all = [0u64; N];
            for k in 0..4 {
                let mut sixteen = [0u8; 16];
                sixteen.copy_from_slice(&group[k * 16..k * 16 + 16]);
                for (a, b) in all.iter_mut().zip(classify(&sixteen)) {
                    *a |= b << (16 * k);
                }
            }
            for (set, a) in self.sets.iter_mut().zip(all) {
                set[word] = a;
            }
        }
        let rest = bytes.get(whole * 64..).unwrap_or_default();
        if whole < WORDS && !rest.is_empty() {
            let mut all = [0u64; N];
            for (k, block) in rest.chunks_exact(16).take(3).enumerate() {
                let mut sixteen = [0u8; 16];
                sixteen.copy_from_slice(block);
                for (a, b) in all.iter_mut().zip(classify(&sixteen)) {
                    *a |= b << (16 * k);
                }
            }
            for (set, a) in self.sets.iter_mut().zip(all) {
                set[whole] = a;
            }
        }
    }

    fn bits(&self, class: usize) -> Bits<'_> {
        Bits::new(&self.sets[class], self.len)
    }
}

/// Where a line's `j`s and `J`s are, which may start a job key.
#[derive(Clone, Debug, Default)]
pub struct KeyMask(Sets<1>);

impl KeyMask {
    /// Makes this the mask of `buf[line]` and returns it, or `None` when
    /// the line is longer than [`LIMIT`] (the mask is then of no line).
    #[inline(always)]
    pub fn fill(&mut self, buf: &[u8], line: Range<usize>) -> Option<&KeyMask> {
        self.0.fill(buf, line, classify_keys).then_some(self)
    }

    /// The length of the line.
    pub fn len(&self) -> usize {
        self.0.len
    }

    /// Whether the line is empty.
    pub fn is_empty(&self) -> bool {
        self.0.len == 0
    }

    /// Positions of `j` and `J`, in order.
    pub fn js(&self) -> Bits<'_> {
        self.0.bits(0)
    }
}

/// The classes of a [`WordMask`].
const SEPS: usize = 0;
const H: usize = 1;
const EQ: usize = 2;
/// Slashes when classified, then where a bare path may start.
const PATHS: usize = 3;

/// Where a line's word separators, `h`s, `=`s and possible bare paths are.
#[derive(Clone, Debug, Default)]
pub struct WordMask(Sets<4>);

impl WordMask {
    /// Makes this the mask of `buf[line]` and returns it, or `None` when
    /// the line is longer than [`LIMIT`] (the mask is then of no line).
    pub fn fill(&mut self, buf: &[u8], line: Range<usize>) -> Option<&WordMask> {
        if !self.0.fill(buf, line, classify_words) {
            return None;
        }
        // A bare path's word has a slash first (`/x`, `\\x`) or third
        // (`C:\x`): keep the word starts with either.
        let words = self.0.len.div_ceil(64);
        let [seps, _, _, slash] = &mut self.0.sets;
        let mut sep_before = 1; // the line start counts as a separator
        for w in 0..words {
            let starts = !seps[w] & ((seps[w] << 1) | sep_before);
            sep_before = seps[w] >> 63;
            let next = if w + 1 < words { slash[w + 1] } else { 0 };
            let third = (slash[w] >> 2) | (next << 62);
            slash[w] = starts & (slash[w] | third);
        }
        if self.0.len % 64 > 0 {
            slash[words - 1] &= (1u64 << (self.0.len % 64)) - 1;
        }
        Some(self)
    }

    /// The length of the line.
    pub fn len(&self) -> usize {
        self.0.len
    }

    /// Whether the line is empty.
    pub fn is_empty(&self) -> bool {
        self.0.len == 0
    }

    /// Positions of spaces and tabs, in order.
    pub fn seps(&self) -> Bits<'_> {
        self.0.bits(SEPS)
    }

    /// Positions of `h` and `H`, in order.
    pub fn hs(&self) -> Bits<'_> {
        self.0.bits(H)
    }

    /// Where the words start whose first or third byte is `/` or `\\`,
    /// in order: the only words that can be bare paths.
    pub fn path_starts(&self) -> Bits<'_> {
        self.0.bits(PATHS)
    }

    /// The end of the word that starts at `start`: the next separator or
    /// the line's end.
    pub fn word_end(&self, start: usize) -> usize {
        self.seps().skip_to(start).unwrap_or(self.0.len)
    }

    /// Whether the line has a `=` in `range` (which must lie in the line).
    pub fn has_eq(&self, range: Range<usize>) -> bool {
        self.0
            .bits(EQ)
            .skip_to(range.start)
            .is_some_and(|p| p < range.end)
    }
}

/// The class of a byte in a [`KeyMask`].
#[cfg(any(test, not(target_arch = "x86_64")))]
fn key_class(b: u8) -> Option<usize> {
    matches!(b, b'j' | b'J').then_some(0)
}

/// The class of a byte in a [`WordMask`] (before bare-path starts are
/// worked out from the slashes).
#[cfg(any(test, not(target_arch = "x86_64")))]
fn word_class(b: u8) -> Option<usize> {
    match b {
        b' ' | b'\t' => Some(SEPS),
        b'h' | b'H' => Some(H),
        b'=' => Some(EQ),
        b'/' | b'\\' => Some(PATHS),
        _ => None,
    }
}

/// `v` with bit 5 set in every byte: folds `H` onto `h` and `J` onto `j`,
/// and nothing else onto them.
#[cfg(target_arch = "x86_64")]
#[inline]
fn folded(v: safe_arch::m128i) -> safe_arch::m128i {
    safe_arch::bitor_m128i(v, safe_arch::set_splat_i8_m128i(0x20))
}

/// Sixteen bytes' [`key_class`]es.
#[cfg(target_arch = "x86_64")]
#[inline]
fn classify_keys(bytes: &[u8; 16]) -> [u64; 1] {
    let v = safe_arch::load_unaligned_m128i(bytes);
    [eq_bits(folded(v), b'j')]
}

/// Sixteen bytes' [`word_class`]es.
#[cfg(target_arch = "x86_64")]
#[inline]
fn classify_words(bytes: &[u8; 16]) -> [u64; 4] {
    let v = safe_arch::load_unaligned_m128i(bytes);
    [
        eq_bits(v, b' ') | eq_bits(v, b'\t'),
        eq_bits(folded(v), b'h'),
        eq_bits(v, b'='),
        eq_bits(v, b'/') | eq_bits(v, b'\\'),
    ]
}

/// Sixteen bytes' [`key_class`]es, without SIMD.
#[cfg(not(target_arch = "x86_64"))]
fn classify_keys(bytes: &[u8; 16]) -> [u64; 1] {
    by_bytes(bytes, key_class)
}

/// Sixteen bytes' [`word_class`]es, without SIMD.
#[cfg(not(target_arch = "x86_64"))]
fn classify_words(bytes: &[u8; 16]) -> [u64; 4] {
    by_bytes(bytes, word_class)
}

/// Sixteen bytes classified one at a time: the classifiers where there is
/// no SSE2, and the oracle of the SSE2 ones.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn by_bytes<const N: usize>(bytes: &[u8; 16], class: fn(u8) -> Option<usize>) -> [u64; N] {
    let mut sets = [0u64; N];
    for (i, &b) in bytes.iter().enumerate() {
        if let Some(c) = class(b) {
            sets[c] |= 1 << i;
        }
    }
    sets
}

/// Whether `b` may be part of a job id: `[A-Za-z0-9._-]`
/// ([`crate::scan::jobkey`]).
pub fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')
}

/// The length of the run of id bytes ([`is_id_byte`]) that `bytes` starts
/// with, looked at sixteen bytes a step (an id is mostly a 36-byte GUID).
pub fn id_run(bytes: &[u8]) -> usize {
    let mut n = 0;
    while let Some(block) = bytes.get(n..).and_then(|r| r.first_chunk::<16>()) {
        let ids = id_bits(block);
        if ids != 0xFFFF {
            return n + (!ids).trailing_zeros() as usize;
        }
        n += 16;
    }
    let rest = bytes.get(n..).unwrap_or_default();
    n + rest.iter().take_while(|&&b| is_id_byte(b)).count()
}

/// The id bytes of sixteen bytes, one bit each.
#[cfg(target_arch = "x86_64")]
#[inline]
fn id_bits(bytes: &[u8; 16]) -> u32 {
    use safe_arch::{
        bitand_m128i, bitor_m128i, cmp_gt_mask_i8_m128i, cmp_lt_mask_i8_m128i,
        load_unaligned_m128i, move_mask_i8_m128i, set_splat_i8_m128i,
    };
    let splat = |b: u8| set_splat_i8_m128i(b as i8);
    // Signed comparisons: bytes from 0x80 up are negative, below any range.
    let within = |v, lo: u8, hi: u8| {
        bitand_m128i(
            cmp_gt_mask_i8_m128i(v, splat(lo - 1)),
            cmp_lt_mask_i8_m128i(v, splat(hi + 1)),
        )
    };
    let v = load_unaligned_m128i(bytes);
    let letters = within(folded(v), b'a', b'z');
    let digits = within(v, b'0', b'9');
    let is = |b: u8| safe_arch::cmp_eq_mask_i8_m128i(v, splat(b));
    let punct = bitor_m128i(bitor_m128i(is(b'.'), is(b'_')), is(b'-'));
    let all = bitor_m128i(bitor_m128i(letters, digits), punct);
    u32::from(move_mask_i8_m128i(all) as u16)
}

/// The id bytes of sixteen bytes, one at a time: [`id_bits`] where there
/// is no SSE2, and its oracle.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn id_bits_by_bytes(bytes: &[u8; 16]) -> u32 {
    (0..16)
        .filter(|&i| is_id_byte(bytes[i]))
        .map(|i| 1 << i)
        .sum()
}

/// The id bytes of sixteen bytes, one bit each.
#[cfg(not(target_arch = "x86_64"))]
fn id_bits(bytes: &[u8; 16]) -> u32 {
    id_bits_by_bytes(bytes)
}

/// The first `\n` at or after `from` in `buf`, as `memchr` finds it. A
/// code line's end is a few dozen bytes from its code, where `memchr`'s
/// call and set-up cost more than its search: sixteen bytes a step here,
/// and `memchr` past the first 128 bytes.
#[inline]
pub fn next_newline(buf: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(block) = buf.get(at..).and_then(|r| r.first_chunk::<16>()) {
        let found = newline_bits(block);
        if found != 0 {
            return Some(at + found.trailing_zeros() as usize);
        }
        at += 16;
        if at - from >= NEAR {
            break;
        }
    }
    memchr::memchr(b'\n', buf.get(at..)?).map(|p| at + p)
}

/// The last `\n` in `buf[floor..to]`, as `memrchr` finds it, sixteen bytes
/// a step back from `to` (a code is a few dozen bytes from its line's
/// start), and `memrchr` past the first 128 bytes.
#[inline]
pub fn last_newline(buf: &[u8], floor: usize, to: usize) -> Option<usize> {
    last_of(buf, floor, to, newline_bits, |rest| {
        memchr::memrchr(b'\n', rest)
    })
}

/// The `\n`s of sixteen bytes, one bit each.
#[cfg(target_arch = "x86_64")]
#[inline]
fn newline_bits(bytes: &[u8; 16]) -> u32 {
    eq_bits(safe_arch::load_unaligned_m128i(bytes), b'\n') as u32
}

/// The `\n`s of sixteen bytes, one bit each, one byte at a time.
#[cfg(not(target_arch = "x86_64"))]
fn newline_bits(bytes: &[u8; 16]) -> u32 {
    (0..16).filter(|&i| bytes[i] == b'\n').map(|i| 1 << i).sum()
}

/// The positions of the set bits of one set, in order.
#[derive(Clone, Debug)]
pub struct Bits<'m> {
    set: &'m Set,
    /// The word `cur` came from.
    word: usize,
    /// The bits of that word not yet given.
    cur: u64,
    /// Words holding bits of the line.
    words: usize,
}

impl<'m> Bits<'m> {
    fn new(set: &'m Set, len: usize) -> Bits<'m> {
        let words = len.div_ceil(64);
        Bits {
            set,
            word: 0,
            cur: if words > 0 { set[0] } else { 0 },
            words,
        }
    }

    /// The first position at or after `from` not given yet, consuming the
    /// ones before it.
    pub fn skip_to(&mut self, from: usize) -> Option<usize> {
        let word = from / 64;
        if word >= self.words {
            return None;
        }
        if word > self.word {
            self.word = word;
            self.cur = self.set[word];
        }
        if word == self.word {
            self.cur &= !0u64 << (from % 64);
        }
        self.next()
    }
}

impl Iterator for Bits<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.cur == 0 {
            self.word += 1;
            if self.word >= self.words {
                return None;
            }
            self.cur = self.set[self.word];
        }
        let bit = self.cur.trailing_zeros() as usize;
        self.cur &= self.cur - 1;
        Some(self.word * 64 + bit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Bytes that fall in a class, next to ones that differ from them by
    /// the case bit (`(`, `)`, `*`, `\n`, `\r`, `\x0f`, `|`) and non-ASCII
    /// ones (`\xc8` is `H` with the top bit set).
    const BYTES: &[u8] = b" \t\n\r=hHjJ/\\()*xX:C\x00\x08\x0f|\x48\xc8\xe8\xea\xff";

    fn line() -> impl Strategy<Value = (Vec<u8>, usize, usize)> {
        (0..=LIMIT + 1).prop_flat_map(|len| {
            (
                proptest::collection::vec(proptest::sample::select(BYTES), len),
                0usize..20,
                0usize..70,
            )
        })
    }

    fn positions(text: &[u8], class: fn(u8) -> Option<usize>, c: usize) -> Vec<usize> {
        (0..text.len())
            .filter(|&i| class(text[i]) == Some(c))
            .collect()
    }

    /// Where bare paths may start, found byte by byte.
    fn path_starts(text: &[u8]) -> Vec<usize> {
        let slash = |i: usize| text.get(i).is_some_and(|b| matches!(b, b'/' | b'\\'));
        (0..text.len())
            .filter(|&i| {
                let starts = !matches!(text[i], b' ' | b'\t')
                    && (i == 0 || matches!(text[i - 1], b' ' | b'\t'));
                starts && (slash(i) || slash(i + 2))
            })
            .collect()
    }

    /// A key mask and a word mask that held other lines before.
    fn used() -> (KeyMask, WordMask) {
        let junk: Vec<u8> = b"jh= /\t".iter().copied().cycle().take(LIMIT).collect();
        let (mut k, mut w) = (KeyMask::default(), WordMask::default());
        k.fill(&junk, 0..LIMIT);
        w.fill(&junk, 0..LIMIT);
        (k, w)
    }

    #[test]
    fn the_masks_of_a_known_line() {
        let text = b"Path=x\tjob H=J /a C:\\b \\\\c";
        let (mut k, mut w) = used();
        let k = k.fill(text, 0..text.len()).unwrap();
        let w = w.fill(text, 0..text.len()).unwrap();
        assert_eq!(k.js().collect::<Vec<_>>(), [7, 13]);
        assert_eq!(w.seps().collect::<Vec<_>>(), [6, 10, 14, 17, 22]);
        assert_eq!(w.hs().collect::<Vec<_>>(), [3, 11]);
        assert_eq!(w.path_starts().collect::<Vec<_>>(), [15, 18, 23]);
        assert_eq!((w.word_end(0), w.word_end(7), w.word_end(23)), (6, 10, 26));
        assert!(w.has_eq(4..5) && w.has_eq(0..14) && !w.has_eq(5..12) && w.has_eq(12..13));
        let (mut k, mut w) = used();
        let full = w.fill(&[b' '; LIMIT], 0..LIMIT).unwrap();
        assert_eq!(full.seps().count(), LIMIT);
        assert_eq!(full.seps().last(), Some(LIMIT - 1));
        assert!(w.fill(&[b' '; LIMIT + 1], 0..LIMIT + 1).is_none());
        assert!(k.fill(&[b'j'; LIMIT + 1], 0..LIMIT + 1).is_none());
        assert!(k.fill(b"", 0..0).is_some_and(|k| k.js().next().is_none()));
    }

    /// Calls `check` with every byte value at every place of a block of
    /// `fill`s: the byte, its place and the block.
    fn each_byte_in_a_block(fill: u8, mut check: impl FnMut(u8, usize, &[u8; 16])) {
        for b in 0..=u8::MAX {
            for at in 0..16 {
                let mut bytes = [fill; 16];
                bytes[at] = b;
                check(b, at, &bytes);
            }
        }
    }

    /// Every byte classifies the same with SSE2 as one at a time, wherever
    /// it is in a block.
    #[test]
    fn every_byte_classifies_alike() {
        each_byte_in_a_block(b'x', |b, at, bytes| {
            assert_eq!(
                classify_keys(bytes),
                by_bytes(bytes, key_class),
                "{b:#x} at {at}"
            );
            assert_eq!(
                classify_words(bytes),
                by_bytes(bytes, word_class),
                "{b:#x} at {at}"
            );
        });
    }

    /// Every byte is an id byte with SSE2 as it is one at a time, wherever
    /// it is in a block, and ends a run there.
    #[test]
    fn id_bytes_alike() {
        each_byte_in_a_block(b'a', |b, at, bytes| {
            assert_eq!(id_bits(bytes), id_bits_by_bytes(bytes), "{b:#x} at {at}");
            let mut long = [b'7'; 40];
            long[16 + at] = b;
            let want = if is_id_byte(b) { 40 } else { 16 + at };
            assert_eq!(id_run(&long), want, "{b:#x} at {}", 16 + at);
        });
    }

    proptest! {
        /// An id run is as long as the id bytes a byte-by-byte look finds
        /// first, whatever its length and the bytes after it.
        #[test]
        fn id_runs(bytes in proptest::collection::vec(
            prop_oneof![
                8 => proptest::sample::select(b"aZ09._-".to_vec()),
                1 => any::<u8>(),
            ],
            0..70,
        )) {
            let want = bytes.iter().take_while(|&&b| is_id_byte(b)).count();
            prop_assert_eq!(id_run(&bytes), want);
        }

        /// Sixteen bytes classify the same with SSE2 as one at a time.
        #[test]
        fn blocks_classify_alike(bytes in proptest::array::uniform16(proptest::sample::select(BYTES))) {
            prop_assert_eq!(classify_keys(&bytes), by_bytes(&bytes, key_class));
            prop_assert_eq!(classify_words(&bytes), by_bytes(&bytes, word_class));
        }

        /// The masks find what a byte-by-byte look finds, for lines of
        /// every length up to the limit and one more, anywhere in a buffer
        /// (bytes after the line are read but not counted; near the
        /// buffer's end the line is padded), whatever they held before.
        #[test]
        fn the_masks_equal_a_byte_by_byte_look((bytes, before, after) in line()) {
            let mut buf = vec![b'/'; before];
            buf.extend_from_slice(&bytes);
            // Bytes of every class after the line: read, never counted.
            buf.extend(b"j /=h\\\t".iter().copied().cycle().take(after));
            let line = before..before + bytes.len();
            let (mut k, mut w) = used();
            match (k.fill(&buf, line.clone()), w.fill(&buf, line)) {
                (Some(k), Some(w)) => {
                    prop_assert_eq!((k.len(), w.len()), (bytes.len(), bytes.len()));
                    prop_assert_eq!(k.js().collect::<Vec<_>>(), positions(&bytes, key_class, 0));
                    prop_assert_eq!(w.seps().collect::<Vec<_>>(), positions(&bytes, word_class, SEPS));
                    prop_assert_eq!(w.hs().collect::<Vec<_>>(), positions(&bytes, word_class, H));
                    let eqs: Vec<usize> = (0..bytes.len()).filter(|&i| w.has_eq(i..i + 1)).collect();
                    prop_assert_eq!(eqs, positions(&bytes, word_class, EQ));
                    prop_assert_eq!(w.path_starts().collect::<Vec<_>>(), path_starts(&bytes));
                    for s in path_starts(&bytes) {
                        let end = (s..bytes.len()).find(|&i| matches!(bytes[i], b' ' | b'\t'));
                        prop_assert_eq!(w.word_end(s), end.unwrap_or(bytes.len()));
                    }
                }
                (None, None) => prop_assert!(bytes.len() > LIMIT),
                _ => prop_assert!(false, "one mask made, not the other"),
            }
        }

        /// The newline searches find what `memchr` and `memrchr` find, for
        /// any buffer and any range in it: near, past the sixteen-byte
        /// steps, at the buffer's ends, with and without newlines.
        #[test]
        fn newlines_as_memchr_finds_them(
            buf in proptest::collection::vec(
                prop_oneof![8 => Just(b'x'), 1 => Just(b'\n'), 1 => any::<u8>()],
                0..300,
            ),
            a in 0usize..320,
            b in 0usize..320,
        ) {
            let from = a.min(buf.len());
            let want = memchr::memchr(b'\n', &buf[from..]).map(|p| from + p);
            prop_assert_eq!(next_newline(&buf, from), want);
            let (floor, to) = (a.min(b).min(buf.len()), a.max(b).min(buf.len()));
            let want = memchr::memrchr(b'\n', &buf[floor..to]).map(|p| floor + p);
            prop_assert_eq!(last_newline(&buf, floor, to), want);
        }

        /// `has_eq` tells whether a range holds a `=`; `skip_to` finds the
        /// first position at or after any point not given yet.
        #[test]
        fn ranges_and_skips((bytes, a, b) in line(), c in 0usize..300) {
            let (mut k, mut w) = used();
            let (Some(k), Some(w)) = (k.fill(&bytes, 0..bytes.len()), w.fill(&bytes, 0..bytes.len())) else {
                return Ok(());
            };
            let (a, b) = (a.min(bytes.len()), (a + b * 13).min(bytes.len()));
            prop_assert_eq!(w.has_eq(a..b), bytes[a..b].contains(&b'='));
            let js = positions(&bytes, key_class, 0);
            let want = js.iter().copied().find(|&p| p >= c);
            prop_assert_eq!(k.js().skip_to(c), want);
            let mut it = k.js();
            let first = it.next();
            if first.is_some_and(|f| f < c) {
                prop_assert_eq!(it.skip_to(c), want, "after a step");
            }
        }
    }
}
