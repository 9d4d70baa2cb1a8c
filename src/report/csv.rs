//! `csv`: one row per event, for spreadsheets (RFC 4180).
//!
//! The same records as [`super::ndjson`], in the same order, under a
//! header row: `path,line,code,job,rule,time,scope,severity,finding,change,item,cause`
//! (`change` is empty without `--baseline`, `item` when the event names no
//! item path, `cause` without a sub-cause).
//! Fields holding a comma, a quote, CR or LF are quoted with inner quotes
//! doubled; invalid UTF-8 was already replaced by U+FFFD upstream.

use std::io::{self, Write};

use super::ndjson::{changes, Record};
use super::Report;

/// `s` as one CSV field.
pub fn field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

/// Writes the header and one row per event.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(b"path,line,code,job,rule,time,scope,severity,finding,change,item,cause\r\n")?;
    let changes = changes(report);
    for e in &report.events {
        let r = Record::of(e, &changes, &report.cause_names);
        write!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{}\r\n",
            field(r.path),
            r.line,
            r.code,
            field(r.job.unwrap_or("")),
            r.rule,
            r.time.as_deref().unwrap_or(""),
            r.scope,
            r.severity,
            r.finding,
            r.change.map_or("", |c| c.as_str()),
            field(r.item.unwrap_or("")),
            field(r.cause.unwrap_or(""))
        )?;
    }
    Ok(())
}
