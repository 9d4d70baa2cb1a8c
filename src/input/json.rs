//! The one JSON reader: Log Analytics exports and job-run JSON, whatever
//! their shape.
//!
//! A document is parsed whole (these inputs are small, up to [`MAX_DOC`]):
//! one value, else JSON Lines (one value a line). Its records are the
//! elements of an array, the rows of the query API's `tables[].rows`
//! (named by `tables[].columns`), the elements of a `value` or `records`
//! wrapper, or the object itself. A record's keys are read in any case
//! (PowerShell's `ConvertTo-Json` writes `Status`, the CLI `status`), and
//! the keys of its `properties` object (REST, Azure resource logs) count
//! as its own. A record with a `JobRunName` or `StatusCode` column is an
//! export row ([`crate::input::export`]); any other is a job run
//! ([`crate::input::jobrun`]). Each record's job comes from itself alone,
//! never from the record before it.
//!
//! A record's `line` is its line in JSON Lines, else its position (1 = the
//! first record).

use std::sync::Arc;

use serde_json::Value;

use crate::input::export::{self, Row};
use crate::input::jobrun;
use crate::input::record::{codes_in, text, view, Found, View};
use crate::scan::Scanner;
use crate::tally::Tally;

/// The largest structured input read (a `list` of thousands of runs, or an
/// export of a few hundred thousand rows).
pub const MAX_DOC: u64 = 256 << 20;

/// Scans the JSON document `bytes`, shown as `display`, with `scanner`'s
/// sub-causes and time window. An error says where it did not parse.
pub fn scan(display: &str, bytes: &[u8], scanner: &Scanner) -> Result<Found, String> {
    let records = parse(bytes)?;
    let path: Arc<str> = Arc::from(display);
    let mut rows = export::Sink::new(display, scanner);
    let mut runs = Tally::default();
    let mut found = Found::default();
    for (line, record) in &records {
        let view = view(record);
        let coded = if view.contains_key("jobrunname") || view.contains_key("statuscode") {
            rows.row(&row_of(&view), *line)
        } else {
            jobrun::add_run(&mut runs, &path, *line, &view, scanner)
        };
        // A record proves the codes written in it only when it gave an
        // event: one naming a code in free text alone is not understood.
        if coded {
            codes_in(record, &mut found.codes);
        }
    }
    found.tally = rows.finish();
    found.tally += runs;
    found.tally.stats.files = 1;
    found.tally.stats.bytes = bytes.len() as u64;
    Ok(found)
}

/// The records of `bytes`, each with its line (JSON Lines) or position.
fn parse(bytes: &[u8]) -> Result<Vec<(u64, Value)>, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let whole = match serde_json::from_slice::<Value>(bytes) {
        Ok(doc) => {
            let mut out = Vec::new();
            records(doc, &mut out);
            return Ok(out
                .into_iter()
                .enumerate()
                .map(|(i, r)| (i as u64 + 1, r))
                .collect());
        }
        Err(e) => e,
    };
    // JSON Lines: every line that is not blank is one value.
    let mut out = Vec::new();
    let mut seen = false;
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let number = i + 1;
        if line.trim_ascii().is_empty() {
            continue;
        }
        match serde_json::from_slice::<Value>(line) {
            Ok(v) => {
                let mut rs = Vec::new();
                records(v, &mut rs);
                out.extend(rs.into_iter().map(|r| (number as u64, r)));
                seen = true;
            }
            // A document that is not JSON Lines from its first line: the
            // whole parse's error says where.
            Err(_) if !seen => return Err(broken(whole.line(), whole.column(), &whole)),
            Err(e) => return Err(broken(number, e.column(), &e)),
        }
    }
    Ok(out)
}

/// Why `head`, the first bytes of a longer input, cannot begin a JSON
/// document or JSON Lines, if it cannot: a log that only starts like JSON
/// is then read as text without being read whole first.
pub fn head_error(head: &[u8]) -> Option<String> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let values = serde_json::Deserializer::from_slice(head).into_iter::<serde::de::IgnoredAny>();
    for v in values {
        match v {
            Ok(_) => {}
            // The head ends inside a value: the rest may complete it.
            Err(e) if e.is_eof() => return None,
            Err(e) => return Some(broken(e.line(), e.column(), &e)),
        }
    }
    None
}

/// Where and why a document did not parse; `line` is in the document.
fn broken(line: usize, column: usize, e: &serde_json::Error) -> String {
    let why = e.to_string();
    let why = why
        .rsplit_once(" at line ")
        .map_or(why.as_str(), |(w, _)| w);
    format!("the JSON did not parse at line {line}, column {column}: {why}")
}

/// Pushes the records of `v` to `out`: see the module docs.
fn records(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => {
            for item in items {
                records(item, out);
            }
        }
        Value::Object(mut o) => {
            let key = |o: &serde_json::Map<String, Value>, want: &str| {
                o.keys().find(|k| k.eq_ignore_ascii_case(want)).cloned()
            };
            if let Some(tables) = key(&o, "tables").and_then(|k| o.remove(&k)) {
                if let Value::Array(tables) = tables {
                    tables.into_iter().for_each(|t| table_rows(t, out));
                }
                return;
            }
            for wrapper in ["value", "records"] {
                if let Some(k) = key(&o, wrapper) {
                    if o[&k].is_array() {
                        if let Some(list) = o.remove(&k) {
                            records(list, out);
                        }
                        return;
                    }
                }
            }
            out.push(Value::Object(o));
        }
        _ => {}
    }
}

/// The rows of one query-API table, as objects keyed by column name.
fn table_rows(table: Value, out: &mut Vec<Value>) {
    let Value::Object(mut t) = table else {
        return;
    };
    let names: Vec<String> = t
        .get("columns")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| match c {
                    Value::String(s) => s.clone(),
                    other => other
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    let Some(Value::Array(rows)) = t.remove("rows") else {
        return;
    };
    for row in rows {
        match row {
            Value::Array(cells) => {
                out.push(Value::Object(names.iter().cloned().zip(cells).collect()))
            }
            other => records(other, out),
        }
    }
}

/// The export row of `view`; a record with no `JobRunName` takes its job
/// from a `jobRuns/<id>` resource id.
fn row_of(view: &View<'_>) -> Row {
    let mut row = Row::default();
    for (k, v) in view {
        if let Some(f) = export::field(&mut row, k) {
            *f = text(v);
        }
    }
    if row.job.trim().is_empty() {
        row.job = jobrun::id_segment(view).unwrap_or_default();
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes(doc: &str) -> Vec<(u64, String)> {
        parse(doc.as_bytes())
            .unwrap()
            .into_iter()
            .map(|(l, v)| (l, v.to_string()))
            .collect()
    }

    #[test]
    fn every_shape_gives_its_records() {
        let one = |s: &str| (1, s.to_string());
        assert_eq!(shapes(r#"{"a":1}"#), vec![one(r#"{"a":1}"#)]);
        assert_eq!(
            shapes(r#"{"Value":[{"a":1},{"a":2}]}"#),
            vec![one(r#"{"a":1}"#), (2, r#"{"a":2}"#.into())]
        );
        assert_eq!(shapes(r#"{"records":[{"a":1}]}"#), vec![one(r#"{"a":1}"#)]);
        assert_eq!(
            shapes(
                r#"{"tables":[{"name":"PrimaryResult","columns":[{"name":"a","type":"long"},{"name":"b","type":"string"}],"rows":[[1,"x"]]}]}"#
            ),
            vec![one(r#"{"a":1,"b":"x"}"#)]
        );
        assert_eq!(
            shapes("{\"a\":1}\n\n{\"a\":2}\n"),
            vec![one(r#"{"a":1}"#), (3, r#"{"a":2}"#.into())]
        );
    }

    #[test]
    fn a_head_cut_inside_a_value_may_be_json() {
        assert_eq!(head_error(b"[{\"a\": \"tex"), None);
        assert_eq!(head_error(b"{\"a\":1}\n{\"a\":2}\n{\"a"), None);
        let e = head_error(b"[2024-03-15T08:00:00Z] {\"status\":1}\n").unwrap();
        assert!(
            e.starts_with("the JSON did not parse at line 1, column 6: "),
            "{e}"
        );
        let e = head_error(b"{\"a\":1}\nplain text\n").unwrap();
        assert!(
            e.starts_with("the JSON did not parse at line 2, column 1: "),
            "{e}"
        );
    }

    #[test]
    fn errors_say_the_line() {
        let e = parse(b"{\"a\":1}\n{\"a\":2}\nplain text\n").unwrap_err();
        assert!(
            e.starts_with("the JSON did not parse at line 3, column 1: "),
            "{e}"
        );
        let e = parse(b"[\n{\"a\":1},\n{\"a\":").unwrap_err();
        assert_eq!(
            e,
            "the JSON did not parse at line 3, column 5: EOF while parsing a value"
        );
    }
}
