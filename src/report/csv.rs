//! `csv`: one row per event, for spreadsheets (RFC 4180).
//!
//! The same records as [`super::ndjson`], in the same order (streamed the
//! same way, [`crate::stream`]), under a header row: `path,line,code,job,rule,time,scope,severity,finding,change,item,cause`
//! (`change` is empty without `--baseline`, `item` when the event names no
//! item path, `cause` without a sub-cause).
//! Fields holding a comma, a quote, CR or LF are quoted with inner quotes
//! doubled; invalid UTF-8 was already replaced by U+FFFD upstream.

use std::io::{self, Write};

use std::collections::BTreeMap;

use super::ndjson::{changes, Record};
use super::{Change, Report};
use crate::aggregate::EventRow;

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
/// split there, gives the row with it by inserting [`change_text`].
pub fn record(
    e: &EventRow,
    names: &[String],
    change: Option<Change>,
    out: &mut Vec<u8>,
) -> io::Result<usize> {
    let r = Record::of(e, &BTreeMap::new(), names);
    write!(
        out,
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
    )?;
    let at = out.len();
    write!(
        out,
        "{},{},{}\r\n",
        change.map_or("", |c| c.as_str()),
        field(r.item.unwrap_or("")),
        field(r.cause.unwrap_or(""))
    )?;
    Ok(at)
}

/// What [`record`]'s split point takes to carry `change`.
pub fn change_text(change: Change) -> String {
    change.as_str().to_string()
}

/// Writes the header and one row per event.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(HEADER)?;
    let changes = changes(report);
    let mut buf = Vec::new();
    for e in &report.events {
        buf.clear();
        record(
            e,
            &report.cause_names,
            changes.get(&e.code).copied(),
            &mut buf,
        )?;
        out.write_all(&buf)?;
    }
    Ok(())
}
