//! `ndjson`: one JSON object per event and line, for `jq`.
//!
//! Records come in input order, then line order (the codes of one line in
//! code order; an archive's entries in archive order), the same for any
//! thread count. `azsm scan` writes them while it scans ([`record`], one
//! at a time, through [`crate::stream`]); [`write`] renders a report's
//! events, for library users who keep them. Keys: `path`, `line`,
//! `code`, `job` (null when none), `rule` (line, path, carried, column,
//! none, agent), `item` (the item path of an item-scope event, or null),
//! `time` (RFC 3339 UTC or null), `scope`, `severity`, `finding` (false
//! when a healthy sub-cause excused it), with `--baseline` `change` (the
//! code's: new, increased, ...), and `cause` (the sub-cause's name or null).

use std::io::{self, Write};

use serde::Serialize;

use std::collections::BTreeMap;

use super::{Change, Report};
use crate::aggregate::EventRow;
use crate::code::{Code, Scope, Severity};
use crate::timestamp;

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
/// inserting [`change_text`] (see [`crate::stream`], which stores records
/// before the baseline's changes are known).
pub fn record(
    e: &EventRow,
    names: &[String],
    change: Option<Change>,
    out: &mut Vec<u8>,
) -> io::Result<usize> {
    let start = out.len();
    let mut r = Record::of(e, &BTreeMap::new(), names);
    r.change = change;
    serde_json::to_writer(&mut *out, &r)?;
    out.push(b'\n');
    // `cause` is the last key, after `change`. Inside JSON strings every
    // quote is escaped, so `,"cause":` occurs once, as the key itself.
    let at = memchr::memmem::rfind(&out[start..], b",\"cause\":")
        .map_or(out.len() - 2, |p| start + p + 1);
    Ok(at)
}

/// What [`record`]'s split point takes to carry `change`: `"change":"new",`.
pub fn change_text(change: Change) -> String {
    format!("\"change\":\"{}\",", change.as_str())
}

/// Writes one line per event.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
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
