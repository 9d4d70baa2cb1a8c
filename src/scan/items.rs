//! Finding the item path on a log line, for item-scope codes: the rules,
//! read off the line's bytes or off its [`WordMask`]. The paths found are
//! tallied by [`crate::tally::items`].

use crate::scan::linemask::WordMask;

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

#[cfg(test)]
mod tests {
    use super::*;

    fn found(line: &str) -> Option<String> {
        in_line(line.as_bytes()).map(|p| String::from_utf8_lossy(p).into_owned())
    }

    /// The rules 2 and 3 one pass each: the oracle for
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

    /// Rule 1 looking back from each `=` or `:`: the
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
}
