//! `ndjson`: one JSON object per event and line, for `jq`.
//!
//! Records come in input order, then line order (the codes of one line in
//! code order; an archive's entries in archive order), the same for any
//! thread count. `azsm scan` writes them while it scans ([`push`], in the
//! scanning threads, through [`crate::report::stream`]); [`fn@write`] renders a
//! report's events, for library users who keep them. [`push`] writes the
//! JSON by hand (no allocation; `serde_json` only defines what it must
//! equal, [`Record`]). Keys: `path`, `line`,
//! `code`, `job` (null when none), `rule` (line, path, carried, column,
//! none, agent), `item` (the item path of an item-scope event, or null),
//! `time` (RFC 3339 UTC or null), `scope`, `severity`, `finding` (false
//! when a healthy sub-cause excused it), with `--baseline` `change` (the
//! code's: new, increased, ...), and `cause` (the sub-cause's name or null).

use std::io::{self, Write};

use serde::Serialize;

use std::collections::BTreeMap;

use super::{Change, Report};
use crate::model::code::{Code, Scope, Severity};
use crate::model::timestamp::{self, TimeText};
use crate::tally::EventRow;

/// One event as written.
#[derive(Serialize)]
pub struct Record<'a> {
    /// Display path.
    pub path: &'a str,
    /// 1-based line.
    pub line: u64,
    /// The code.
    pub code: Code,
    /// The job run.
    pub job: Option<&'a str>,
    /// The attribution rule.
    pub rule: &'static str,
    /// The item path (item-scope codes), when the event names one.
    pub item: Option<&'a str>,
    /// The line's time.
    pub time: Option<String>,
    /// The code's scope.
    pub scope: Scope,
    /// The code's severity.
    pub severity: Severity,
    /// Whether it is a finding (not when a healthy sub-cause excused it).
    pub finding: bool,
    /// The code's change against the baseline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    /// The sub-cause the words on its line name, if any.
    pub cause: Option<&'a str>,
}

/// Each code's change against the baseline, for [`Record::of`].
pub fn changes(report: &Report) -> BTreeMap<Code, Change> {
    report
        .codes
        .iter()
        .filter_map(|c| c.change.map(|ch| (c.code, ch)))
        .collect()
}

impl<'a> Record<'a> {
    /// The record of `e`; `names` are the sub-cause names by id.
    pub fn of(
        e: &'a EventRow,
        changes: &BTreeMap<Code, Change>,
        names: &'a [String],
    ) -> Record<'a> {
        Record {
            path: &e.path,
            line: e.line,
            code: e.code,
            job: e.job.as_deref(),
            rule: e.rule,
            item: e.item.as_deref(),
            time: e.time.map(timestamp::format),
            scope: e.code.scope(),
            severity: e.code.severity(),
            finding: e.code.is_finding() && !e.healthy,
            change: changes.get(&e.code).copied(),
            cause: e
                .cause
                .and_then(|c| names.get(usize::from(c.0)))
                .map(String::as_str),
        }
    }
}

/// Appends the record of `e` and its newline to `out`, with `change`
/// (`--baseline`). Returns where in `out` the `change` key would go: the
/// record written without it, split there, gives the record with it by
/// inserting [`change_text`] (see [`crate::report::stream`], which stores records
/// before the baseline's changes are known). Written by hand, byte for
/// byte what `serde_json` makes of [`Record`] (a property test checks it),
/// without allocating, since a scan writes millions of records.
pub fn push(
    e: &EventRow,
    names: &[String],
    change: Option<Change>,
    times: &mut TimeText,
    out: &mut Vec<u8>,
) -> usize {
    out.extend_from_slice(b"{\"path\":");
    push_str(&e.path, out);
    out.extend_from_slice(b",\"line\":");
    out.extend_from_slice(itoa::Buffer::new().format(e.line).as_bytes());
    out.extend_from_slice(b",\"code\":\"");
    push_code(e.code, out);
    out.extend_from_slice(b"\",\"job\":");
    push_opt(e.job.as_deref(), out);
    out.extend_from_slice(b",\"rule\":");
    push_str(e.rule, out);
    out.extend_from_slice(b",\"item\":");
    push_opt(e.item.as_deref(), out);
    out.extend_from_slice(b",\"time\":");
    match e.time {
        Some(t) => {
            out.push(b'"');
            times.push(t, out);
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"scope\":\"");
    out.extend_from_slice(e.code.scope().as_str().as_bytes());
    out.extend_from_slice(b"\",\"severity\":\"");
    out.extend_from_slice(e.code.severity().as_str().as_bytes());
    out.extend_from_slice(b"\",\"finding\":");
    let finding = e.code.is_finding() && !e.healthy;
    out.extend_from_slice(if finding { b"true," } else { b"false," });
    if let Some(c) = change {
        out.extend_from_slice(b"\"change\":\"");
        out.extend_from_slice(c.as_str().as_bytes());
        out.extend_from_slice(b"\",");
    }
    let at = out.len();
    out.extend_from_slice(b"\"cause\":");
    let cause = e.cause.and_then(|c| names.get(usize::from(c.0)));
    push_opt(cause.map(String::as_str), out);
    out.extend_from_slice(b"}\n");
    at
}

/// `AZSM` and the code's four digits.
pub(crate) fn push_code(code: Code, out: &mut Vec<u8>) {
    out.extend_from_slice(&code.text());
}

/// `s` as a JSON string, escaped as `serde_json` escapes it (a property
/// test checks it): quotes and backslashes, `\b \f \n \r \t`, other
/// control characters as `\u00xx`; nothing else. Text without any of
/// those (nearly all) is copied at once.
pub fn push_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    push_escaped(s, out);
    out.push(b'"');
}

/// `s` escaped as [`push_str`] escapes it, without the quotes.
#[inline]
pub(crate) fn push_escaped(s: &str, out: &mut Vec<u8>) {
    if needs_escape(s.as_bytes()) {
        push_escaped_slowly(s, out);
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// [`push_escaped`] for text with something to escape (rare, kept out of
/// the way of the common case).
#[cold]
#[inline(never)]
fn push_escaped_slowly(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    let mut plain = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x0c => b'f',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0..0x20 => b'u',
            _ => continue,
        };
        out.extend_from_slice(&bytes[plain..i]);
        plain = i + 1;
        out.extend_from_slice(&[b'\\', short]);
        if short == b'u' {
            out.extend_from_slice(&[
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ]);
        }
    }
    out.extend_from_slice(&bytes[plain..]);
}

/// Whether JSON escapes some byte of `bytes`: a control character, a
/// quote or a backslash. Strings up to 16 bytes (field names, codes, times)
/// are tested as one or two `u64` words, those of 1 to 7 bytes widened to
/// one, longer ones by [`any16`]. The word test is exact as a whole (it
/// may blame the wrong byte, never the wrong word).
#[inline]
pub(crate) fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES * 0x80;
    // The high bit of a byte of the result is set for some byte of `w`
    // below `n` (at most 0x80) when there is one, and never otherwise.
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH;
    let special =
        |w: u64| below(w, 0x20) | below(w ^ (ONES * 0x22), 1) | below(w ^ (ONES * 0x5c), 1);
    // The chunks are there at the lengths they are taken at; were one not,
    // 0 (all control characters) would send the text to the exact path.
    let word = |b: Option<&[u8; 8]>| b.map_or(0, |b| u64::from_le_bytes(*b));
    let half = |b: Option<&[u8; 4]>| b.map_or(0, |b| u64::from(u32::from_le_bytes(*b)));
    match bytes.len() {
        0 => false,
        // The first, middle and last bytes (all there are), then spaces
        // (nothing to escape).
        n @ 1..4 => {
            let w =
                u64::from(bytes[0]) | u64::from(bytes[n / 2]) << 8 | u64::from(bytes[n - 1]) << 16;
            special(w | 0x2020_2020_2000_0000) != 0
        }
        // Two overlapping halves of a word, or two overlapping words.
        4..8 => special(half(bytes.first_chunk()) | half(bytes.last_chunk()) << 32) != 0,
        8..=16 => (special(word(bytes.first_chunk())) | special(word(bytes.last_chunk()))) != 0,
        _ => any16(bytes, |b| (b < 0x20) | (b == b'"') | (b == b'\\')),
    }
}

/// Whether `special` holds for any byte of `bytes`, looked at 16 bytes at
/// a time without branching inside (so that the compiler vectorises it):
/// most strings have none, and are long (paths).
#[inline]
pub(crate) fn any16(bytes: &[u8], special: impl Fn(u8) -> bool) -> bool {
    let block = |b: &[u8]| match <&[u8; 16]>::try_from(b) {
        Ok(b) => b.iter().fold(false, |any, &c| any | special(c)),
        // Never (blocks are 16 bytes): says "special", the exact way.
        Err(_) => true,
    };
    if bytes.len() < 16 {
        return bytes.iter().fold(false, |any, &c| any | special(c));
    }
    // The last 16 bytes, overlapping the blocks before, end it (a padded
    // copy of the rest would cost a stalled load).
    bytes.chunks_exact(16).any(block) || block(&bytes[bytes.len() - 16..])
}

fn push_opt(s: Option<&str>, out: &mut Vec<u8>) {
    match s {
        Some(s) => push_str(s, out),
        None => out.extend_from_slice(b"null"),
    }
}

/// What [`push`]'s split point takes to carry `change`: `"change":"new",`.
pub fn change_text(change: Change) -> String {
    format!("\"change\":\"{}\",", change.as_str())
}

/// Writes one line per event.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_with(report, out, push)
}

/// A format's [`push`]: appends one event, with its code's change.
pub(super) type PushFn =
    fn(&EventRow, &[String], Option<Change>, &mut TimeText, &mut Vec<u8>) -> usize;

/// Writes the report's recorded events with `push` (this format's, or
/// csv's), each with its code's change.
pub(super) fn write_with(report: &Report, out: &mut dyn Write, push: PushFn) -> io::Result<()> {
    let changes = changes(report);
    let mut buf = Vec::new();
    let mut times = TimeText::default();
    for e in &report.events {
        buf.clear();
        push(
            e,
            &report.cause_names,
            changes.get(&e.code).copied(),
            &mut times,
            &mut buf,
        );
        out.write_all(&buf)?;
    }
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::model::causes::CauseId;
    use proptest::prelude::*;
    use std::sync::Arc;

    /// Text with what escaping and quoting must handle: quotes,
    /// backslashes, control characters, commas, DEL, non-ASCII, U+FFFD.
    pub fn text() -> impl Strategy<Value = String> {
        let c = prop_oneof![
            4 => proptest::char::range('a', 'z'),
            1 => Just('"'),
            1 => Just('\\'),
            1 => Just(','),
            1 => Just(' '),
            1 => Just('\u{fffd}'),
            1 => Just('\u{7f}'),
            1 => Just('é'),
            1 => proptest::char::range('\u{0}', '\u{1f}'),
            1 => any::<char>(),
        ];
        proptest::collection::vec(c, 0..48).prop_map(|v| v.into_iter().collect())
    }

    /// An arbitrary event, sub-cause names, and change.
    pub fn row() -> impl Strategy<Value = (EventRow, Vec<String>, Option<Change>)> {
        let time = prop_oneof![
            Just(None),
            (0i64..253_402_300_800_000).prop_map(Some),
            (253_402_207_000_000i64..253_402_208_000_000).prop_map(Some),
            any::<i64>().prop_map(Some),
        ];
        let change = prop_oneof![
            Just(None),
            Just(Some(Change::New)),
            Just(Some(Change::Increased)),
            Just(Some(Change::Unchanged)),
            Just(Some(Change::Decreased)),
            Just(Some(Change::Resolved)),
        ];
        let rule =
            proptest::sample::select(vec!["line", "path", "carried", "column", "none", "agent"]);
        (
            (
                text(),
                any::<u64>(),
                0u16..=9999,
                proptest::option::of(text()),
            ),
            (rule, proptest::option::of(text()), time),
            (proptest::option::of(0u16..4), any::<bool>()),
            proptest::collection::vec(text(), 0..3),
            change,
        )
            .prop_map(
                |((path, line, code, job), (rule, item, time), (cause, healthy), names, change)| {
                    let e = EventRow {
                        input: 0,
                        path: Arc::from(path),
                        line,
                        code: Code::new(code).unwrap(),
                        job: job.map(Arc::from),
                        rule,
                        time,
                        cause: cause.map(CauseId),
                        healthy,
                        item: item.map(String::into_boxed_str),
                    };
                    (e, names, change)
                },
            )
    }

    #[test]
    fn needs_escape_is_exact_for_any_byte_at_any_place() {
        // Each byte value at each place of strings of every length up to
        // past two blocks, among bytes next to the special ones.
        for len in 1..=40 {
            for filler in [b'a', b' ', b'!', b'#', b'[', b']', 0x1f, 0x7f, 0x80, 0xff] {
                let mut v = vec![filler; len];
                let special = |c: u8| c < 0x20 || c == b'"' || c == b'\\';
                for at in 0..len {
                    for b in 0..=255u8 {
                        v[at] = b;
                        let want = special(b) || (len > 1 && special(filler));
                        assert_eq!(needs_escape(&v), want, "{v:?}");
                    }
                    v[at] = filler;
                }
            }
        }
    }

    proptest! {
        #[test]
        fn record_writes_what_serde_json_does((e, names, change) in row()) {
            let mut r = Record::of(&e, &BTreeMap::new(), &names);
            r.change = change;
            let mut want = serde_json::to_vec(&r).unwrap();
            want.push(b'\n');
            let mut out = b"prefix".to_vec();
            let at = push(&e, &names, change, &mut TimeText::default(), &mut out);
            prop_assert_eq!(
                String::from_utf8_lossy(&out[6..]),
                String::from_utf8_lossy(&want)
            );
            let cause = memchr::memmem::rfind(&want, b",\"cause\":").unwrap();
            prop_assert_eq!(at, 6 + cause + 1);
            if let Some(c) = change {
                let mut bare = Vec::new();
                let at = push(&e, &names, None, &mut TimeText::default(), &mut bare);
                bare.splice(at..at, change_text(c).bytes());
                prop_assert_eq!(bare, want);
            }
        }

        #[test]
        fn any16_finds_a_special_byte_anywhere(s in text(), at in 0usize..50) {
            let b = s.as_bytes();
            let want = b.contains(&b'"');
            prop_assert_eq!(any16(b, |c| c == b'"'), want);
            // One more, anywhere in a string of any length.
            let mut v = b.to_vec();
            v.insert(at.min(v.len()), b'"');
            prop_assert!(any16(&v, |c| c == b'"'));
        }

        #[test]
        fn needs_escape_finds_a_special_byte_anywhere(s in text(), at in 0usize..50, b in 0u8..0x20) {
            let naive = |b: &[u8]| b.iter().any(|&c| c < 0x20 || c == b'"' || c == b'\\');
            prop_assert_eq!(needs_escape(s.as_bytes()), naive(s.as_bytes()));
            for special in [b, b'"', b'\\'] {
                let mut v = s.as_bytes().to_vec();
                v.insert(at.min(v.len()), special);
                prop_assert!(needs_escape(&v));
            }
        }

        #[test]
        fn push_str_escapes_as_serde_json_does(s in text()) {
            let mut out = Vec::new();
            push_str(&s, &mut out);
            prop_assert_eq!(out, serde_json::to_vec(&s).unwrap());
        }
    }
}
