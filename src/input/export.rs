//! Log Analytics exports: rows of `StorageMoverCopyLogsFailed`,
//! `StorageMoverCopyLogsTransferred` and `StorageMoverJobRunLogs`.
//!
//! With diagnostic settings on, Storage Mover writes its logs to a Log
//! Analytics workspace, and users export query results from the portal
//! (CSV, whose time column is `TimeGenerated [UTC]`; JSON) or with
//! `az monitor log-analytics query` (a JSON array of objects). Such rows are
//! records, not log lines: their job is the `JobRunName` column and nothing
//! else (the same row carries `TenantId` and other GUIDs), their code is the
//! `StatusCode` column, their time `TimeGenerated`. So rows do not go
//! through the line scanner: each row with a code becomes exactly one
//! [`Event`] fed to the aggregation, attributed by the `column` rule.
//!
//! This module reads CSV and turns rows into events; JSON exports of any
//! shape are read by [`crate::input::json`]. An event's `line` is the
//! row's number (1 = the first data row; in JSON Lines, the line number);
//! its example text is the row's main columns joined by spaces.

use crate::model::causes::Scratch;
use crate::scan::Scanner;
use std::io::Read;
use std::sync::Arc;

use crate::input::record::{count_codes, Codes, Found};
use crate::model::code::{Code, Scope};
use crate::model::timestamp::{self, Millis};
use crate::tally::{Acc, Event, JobSlot, Rule, Tally};

/// One export row: the columns azsm uses, as text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    /// `TimeGenerated` (or `TimeGenerated [UTC]`).
    pub time: String,
    /// `JobRunName`.
    pub job: String,
    /// `StatusCode`.
    pub code: String,
    /// `ItemPath`.
    pub item: String,
    /// `ItemType`.
    pub item_type: String,
    /// `TransferResult`.
    pub result: String,
    /// `FileSize`.
    pub size: String,
    /// `Details`, or `Message` for job-run logs.
    pub details: String,
    /// `Level`.
    pub level: String,
}

/// Which row field a column name (in any case) feeds. `time` is the
/// time of an Azure resource log record, whose `TimeGenerated` sorts after
/// it and so wins when both are there.
pub fn field<'a>(row: &'a mut Row, column: &str) -> Option<&'a mut String> {
    let name = column.trim();
    let name = name.strip_suffix("[UTC]").unwrap_or(name).trim_end();
    Some(match name.to_ascii_lowercase().as_str() {
        "timegenerated" | "time" => &mut row.time,
        "jobrunname" => &mut row.job,
        "statuscode" => &mut row.code,
        "itempath" => &mut row.item,
        "itemtype" => &mut row.item_type,
        "transferresult" => &mut row.result,
        "filesize" => &mut row.size,
        "details" | "message" => &mut row.details,
        "level" => &mut row.level,
        _ => return None,
    })
}

/// A code written exactly as `AZSM` and four digits (spaces around allowed).
pub fn strict_code(s: &str) -> Option<Code> {
    let b = s.trim().as_bytes();
    if b.len() != 8 || !b.starts_with(b"AZSM") || !b[4..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(Code::from_digits([b[4], b[5], b[6], b[7]]))
}

/// A `TimeGenerated` value: ISO-8601 (what queries return), or the portal's
/// `M/D/YYYY, h:mm:ss[.fff] AM|PM` (UTC).
pub fn parse_time(s: &str) -> Option<Millis> {
    let s = s.trim();
    if let Some((ms, _)) = timestamp::parse(s.as_bytes()) {
        return Some(ms);
    }
    let (date, rest) = s.split_once(',')?;
    let mut d = date.trim().split('/');
    let (month, day, year) = (d.next()?, d.next()?, d.next()?);
    let rest = rest.trim();
    let (clock, half) = rest.rsplit_once(' ')?;
    let mut c = clock.split(':');
    let (h, m, sec) = (c.next()?, c.next()?, c.next()?);
    let mut hour: u32 = h.parse().ok()?;
    if !(1..=12).contains(&hour) {
        return None;
    }
    match half.to_ascii_uppercase().as_str() {
        "AM" if hour == 12 => hour = 0,
        "AM" => {}
        "PM" if hour == 12 => {}
        "PM" => hour += 12,
        _ => return None,
    }
    let iso = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{}Z",
        year.parse::<u32>().ok()?,
        month.parse::<u32>().ok()?,
        day.parse::<u32>().ok()?,
        hour,
        m.parse::<u32>().ok()?,
        if sec.len() == 1 {
            format!("0{sec}")
        } else {
            sec.to_string()
        }
    );
    timestamp::parse(iso.as_bytes()).map(|(ms, _)| ms)
}

/// Scans the CSV export `bytes`, shown as `display`, with `scanner`'s
/// sub-causes and time window (and its choice of recording every event
/// for the per-event formats). An error says where the CSV broke.
pub fn scan_csv(display: &str, bytes: &[u8], scanner: &Scanner) -> Result<Found, String> {
    let mut sink = Sink::new(display, scanner);
    let mut codes = Codes::new();
    csv_rows(bytes, &mut sink, &mut codes)?;
    let mut tally = sink.finish();
    tally.stats.files = 1;
    tally.stats.bytes = bytes.len() as u64;
    Ok(Found { tally, codes })
}

/// Rows to events.
pub struct Sink<'a> {
    scanner: &'a Scanner,
    scratch: Scratch,
    path: Arc<str>,
    acc: Acc,
    rows: u64,
}

impl<'a> Sink<'a> {
    /// A sink for the rows of the input shown as `display`.
    pub fn new(display: &str, scanner: &'a Scanner) -> Sink<'a> {
        Sink {
            scanner,
            scratch: Scratch::default(),
            path: Arc::from(display),
            acc: if scanner.records_events() {
                Acc::recording()
            } else {
                Acc::default()
            },
            rows: 0,
        }
    }

    /// Adds a row; `line` is its row number (its line in JSON Lines).
    /// True when it has a code.
    pub fn row(&mut self, row: &Row, line: u64) -> bool {
        self.rows += 1;
        let Some(code) = strict_code(&row.code) else {
            return false;
        };
        let job = row.job.trim();
        let slot = if code.is_agent_level() {
            JobSlot::Agent
        } else if job.is_empty() {
            JobSlot::None
        } else {
            JobSlot::Id(job.as_bytes(), Rule::Column)
        };
        let parts = [
            row.time.trim(),
            row.level.trim(),
            job,
            row.code.trim(),
            row.result.trim(),
            row.item_type.trim(),
            row.item.trim(),
            row.size.trim(),
            row.details.trim(),
        ];
        let mut text = String::new();
        let mut column = 0;
        for (i, p) in parts.iter().enumerate() {
            if p.is_empty() {
                continue;
            }
            if !text.is_empty() {
                text.push(' ');
            }
            if i == 3 {
                column = text.len();
            }
            // Quoted fields may hold newlines; an excerpt is one line.
            text.extend(p.chars().map(|c| if c.is_control() { ' ' } else { c }));
        }
        let item = row.item.trim();
        let time = parse_time(&row.time);
        if time.is_some_and(|t| !self.scanner.window().contains(t)) {
            self.acc.add_outside();
            return true;
        }
        self.acc.add(&Event {
            code,
            job: slot,
            line,
            time,
            text: text.as_bytes(),
            text_start: 0,
            line_len: text.len(),
            column,
            cause: self
                .scanner
                .cause_of(code, text.as_bytes(), &mut self.scratch),
            item: (code.scope() == Scope::Item && !item.is_empty()).then_some(item.as_bytes()),
        });
        true
    }

    /// The tally of the rows added.
    pub fn finish(self) -> Tally {
        let mut tally = Tally::default();
        self.acc.drain_into(&mut tally, &self.path, 0, None);
        tally
    }
}

/// Reads the CSV rows into `sink`, and the codes written in the rows that
/// gave an event into `codes`.
fn csv_rows(reader: impl Read, sink: &mut Sink<'_>, codes: &mut Codes) -> Result<(), String> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = rdr
        .byte_headers()
        .map_err(|e| format!("cannot read the CSV header row: {e}"))?
        .clone();
    let names: Vec<String> = headers
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim_start_matches('\u{feff}')
                .to_string()
        })
        .collect();
    let mut record = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let mut row = Row::default();
                for (name, value) in names.iter().zip(record.iter()) {
                    if let Some(f) = field(&mut row, name) {
                        *f = String::from_utf8_lossy(value).into_owned();
                    }
                }
                let n = sink.rows + 1;
                if sink.row(&row, n) {
                    record.iter().for_each(|f| count_codes(f, codes));
                }
            }
            Err(e) => {
                return Err(format!(
                    "the CSV did not parse after row {} ({e})",
                    sink.rows
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_must_be_exact() {
        assert_eq!(strict_code("AZSM2062").map(|c| c.number()), Some(2062));
        assert_eq!(strict_code(" AZSM0000 ").map(|c| c.number()), Some(0));
        for bad in ["", "azsm2062", "AZSM20622", "2062", "AZSM206x"] {
            assert_eq!(strict_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn portal_and_iso_times() {
        let iso = parse_time("2024-03-15T08:20:00.5Z").unwrap();
        assert_eq!(timestamp::format(iso), "2024-03-15T08:20:00.500Z");
        let portal = parse_time("3/15/2024, 8:20:00.500 AM").unwrap();
        assert_eq!(portal, iso);
        let pm = parse_time("3/15/2024, 12:05:09 PM").unwrap();
        assert_eq!(timestamp::format(pm), "2024-03-15T12:05:09Z");
        let midnight = parse_time("3/15/2024, 12:00:00 AM").unwrap();
        assert_eq!(timestamp::format(midnight), "2024-03-15T00:00:00Z");
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time("3/15/2024, 13:00:00 PM"), None);
    }
}
