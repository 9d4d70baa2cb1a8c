//! `csv`: one row per event, for spreadsheets (RFC 4180).
//!
//! The same records as [`super::ndjson`], in the same order (streamed the
//! same way, [`crate::report::stream`]), under a header row: `path,line,code,job,rule,time,scope,severity,finding,change,item,cause`
//! (`change` is empty without `--baseline`, `item` when the event names no
//! item path, `cause` without a sub-cause).
//! Fields holding a comma, a quote, CR or LF are quoted with inner quotes
//! doubled; invalid UTF-8 was already replaced by U+FFFD upstream.

use std::io::{self, Write};

use super::{Change, Report};
use crate::model::timestamp::TimeText;
use crate::tally::EventRow;

/// `s` as one CSV field.
pub fn field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

/// The header row.
pub const HEADER: &[u8] =
    b"path,line,code,job,rule,time,scope,severity,finding,change,item,cause\r\n";

/// Appends the row of `e` to `out`, with `change` (`--baseline`). Returns
/// where in `out` the `change` field starts: the row written without it,
/// split there, gives the row with it by inserting [`change_text`]. Written
/// by hand without allocating
/// (millions of rows per scan); a property test checks it against the
/// [`super::ndjson::Record`] and [`field`] form.
pub fn push(
    e: &EventRow,
    names: &[String],
    change: Option<Change>,
    times: &mut TimeText,
    out: &mut Vec<u8>,
) -> usize {
    push_field(&e.path, out);
    out.push(b',');
    out.extend_from_slice(itoa::Buffer::new().format(e.line).as_bytes());
    out.push(b',');
    super::ndjson::push_code(e.code, out);
    out.push(b',');
    push_field(e.job.as_deref().unwrap_or(""), out);
    out.push(b',');
    out.extend_from_slice(e.rule.as_bytes());
    out.push(b',');
    if let Some(t) = e.time {
        times.push(t, out);
    }
    out.push(b',');
    out.extend_from_slice(e.code.scope().as_str().as_bytes());
    out.push(b',');
    out.extend_from_slice(e.code.severity().as_str().as_bytes());
    let finding = e.code.is_finding() && !e.healthy;
    out.extend_from_slice(if finding { b",true," } else { b",false," });
    let at = out.len();
    if let Some(c) = change {
        out.extend_from_slice(c.as_str().as_bytes());
    }
    out.push(b',');
    push_field(e.item.as_deref().unwrap_or(""), out);
    out.push(b',');
    let cause = e.cause.and_then(|c| names.get(usize::from(c.0)));
    push_field(cause.map_or("", String::as_str), out);
    out.extend_from_slice(b"\r\n");
    at
}

/// [`field`]`(s)`, appended to `out`.
fn push_field(s: &str, out: &mut Vec<u8>) {
    let special = |b| (b == b',') | (b == b'"') | (b == b'\n') | (b == b'\r');
    if !super::ndjson::any16(s.as_bytes(), special) {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    out.push(b'"');
    for (i, part) in s.split('"').enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\"\"");
        }
        out.extend_from_slice(part.as_bytes());
    }
    out.push(b'"');
}

/// What [`push`]'s split point takes to carry `change`.
pub fn change_text(change: Change) -> String {
    change.as_str().to_string()
}

/// Writes the header and one row per event.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(HEADER)?;
    super::ndjson::write_with(report, out, push)
}

#[cfg(test)]
mod tests {
    use super::super::ndjson::{tests::row, Record};
    use super::*;
    use proptest::prelude::*;

    /// The row built plainly from [`Record`] and [`field`]: what [`push`]
    /// must write.
    fn reference(e: &EventRow, names: &[String], change: Option<Change>) -> (String, usize) {
        let r = Record::of(e, &std::collections::BTreeMap::new(), names);
        let head = format!(
            "{},{},{},{},{},{},{},{},{},",
            field(r.path),
            r.line,
            r.code,
            field(r.job.unwrap_or("")),
            r.rule,
            r.time.as_deref().unwrap_or(""),
            r.scope,
            r.severity,
            r.finding,
        );
        let tail = format!(
            "{},{},{}\r\n",
            change.map_or("", |c| c.as_str()),
            field(r.item.unwrap_or("")),
            field(r.cause.unwrap_or(""))
        );
        (format!("{head}{tail}"), head.len())
    }

    proptest! {
        #[test]
        fn record_writes_the_reference_row((e, names, change) in row()) {
            let mut out = b"prefix".to_vec();
            let at = push(&e, &names, change, &mut TimeText::default(), &mut out);
            let (want, split) = reference(&e, &names, change);
            prop_assert_eq!(std::str::from_utf8(&out[6..]).unwrap(), want.as_str());
            prop_assert_eq!(at, 6 + split);
            // The change goes where the split says.
            if let Some(c) = change {
                let mut bare = Vec::new();
                let at = push(&e, &names, None, &mut TimeText::default(), &mut bare);
                bare.splice(at..at, change_text(c).bytes());
                prop_assert_eq!(&bare[..], want.as_bytes());
            }
        }

        #[test]
        fn every_row_parses_back_to_its_fields((e, names, change) in row()) {
            let mut out = HEADER.to_vec();
            push(&e, &names, change, &mut TimeText::default(), &mut out);
            let mut reader = ::csv::Reader::from_reader(&out[..]);
            let rec = reader.records().next().unwrap().unwrap();
            prop_assert_eq!(rec.len(), 12);
            prop_assert_eq!(&rec[0], &*e.path);
            prop_assert_eq!(&rec[3], e.job.as_deref().unwrap_or(""));
            prop_assert_eq!(&rec[10], e.item.as_deref().unwrap_or(""));
        }
    }
}
