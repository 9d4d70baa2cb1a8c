//! Job-run JSON: `az storage-mover job-run show` / `list` output and the
//! REST shape.
//!
//! The service's own verdict on a run is in its job-run resource: `status`,
//! the agent, execution times, item counts, and on failure `error.code`
//! (a job-scope `AZSM` code) plus `warnings[].code`. The CLI flattens
//! `properties` into the object (camelCase); the REST API nests them under
//! `properties` and lists runs under `value`. Both are read. Each code is one
//! event attributed (`column` rule) to the run's `name`, or to the
//! `jobRuns/<id>` segment of its `id`; the run's facts go to the per-job
//! table. An event's `line` is the run's position in the document (1 = the
//! first run), its time the run's end (or start).
//!
//! These documents are small (one object per run), so one is parsed whole,
//! up to [`MAX_DOC`] bytes.

use crate::model::causes::Scratch;
use crate::scan::Scanner;
use std::io::Read;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::input::export::{parse_time, strict_code};
use crate::model::error::FileError;
use crate::tally::{Acc, Event, JobSlot, Rule, RunInfo, Tally};

/// The largest job-run document read (a `list` of thousands of runs is a
/// few MiB).
pub const MAX_DOC: u64 = 256 << 20;

/// Scans the job-run JSON `reader`, shown as `display`, with `scanner`'s
/// sub-causes and time window (and its choice of recording every event).
pub fn scan(display: &str, reader: impl Read, scanner: &Scanner) -> Tally {
    let mut tally = Tally::default();
    let mut bytes = Vec::new();
    let read = reader.take(MAX_DOC + 1).read_to_end(&mut bytes);
    tally.stats.files = 1;
    tally.stats.bytes = bytes.len() as u64;
    if let Err(e) = read {
        tally.errors.push(FileError::io(display, &e));
        return tally;
    }
    if bytes.len() as u64 > MAX_DOC {
        tally.errors.push(FileError {
            path: display.to_string(),
            message: "looks like job-run JSON but is larger than 256 MiB; split the list (az storage-mover job-run list per job definition)".into(),
        });
        return tally;
    }
    let doc: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            tally.errors.push(FileError {
                path: display.to_string(),
                message: format!("looks like job-run JSON but does not parse ({e})"),
            });
            return tally;
        }
    };
    let runs: Vec<&Map<String, Value>> = match &doc {
        Value::Array(a) => a.iter().filter_map(Value::as_object).collect(),
        Value::Object(o) => match o.get("value").and_then(Value::as_array) {
            Some(list) => list.iter().filter_map(Value::as_object).collect(),
            None => vec![o],
        },
        _ => Vec::new(),
    };
    let path: Arc<str> = Arc::from(display);
    for (i, run) in runs.into_iter().enumerate() {
        add_run(&mut tally, &path, i as u64 + 1, run, scanner);
    }
    tally
}

/// The run's name: `name`, or the id's `jobRuns/<id>` segment.
fn run_name(run: &Map<String, Value>) -> Option<String> {
    if let Some(n) = run.get("name").and_then(Value::as_str) {
        if !n.is_empty() {
            return Some(n.to_string());
        }
    }
    let id = run.get("id").and_then(Value::as_str)?;
    let lower = id.to_ascii_lowercase();
    let at = lower.find("/jobruns/")? + "/jobruns/".len();
    let rest = &id[at..];
    let name = rest.split('/').next().unwrap_or(rest);
    (!name.is_empty()).then(|| name.to_string())
}

fn add_run(
    tally: &mut Tally,
    path: &Arc<str>,
    position: u64,
    run: &Map<String, Value>,
    scanner: &Scanner,
) {
    let props = run
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(run);
    let text = |k: &str| props.get(k).and_then(Value::as_str).map(str::to_string);
    let count = |k: &str| {
        props.get(k).and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
    };
    let name = run_name(run);
    let info = RunInfo {
        status: text("status"),
        agent: text("agentName"),
        start: text("executionStartTime").and_then(|t| parse_time(&t)),
        end: text("executionEndTime").and_then(|t| parse_time(&t)),
        items_failed: count("itemsFailed"),
        items_transferred: count("itemsTransferred"),
    };
    let time = info.end.or(info.start);
    let status = info.status.clone().unwrap_or_default();
    let mut issues: Vec<&Map<String, Value>> = Vec::new();
    if let Some(e) = props.get("error").and_then(Value::as_object) {
        issues.push(e);
    }
    if let Some(ws) = props.get("warnings").and_then(Value::as_array) {
        issues.extend(ws.iter().filter_map(Value::as_object));
    }
    let mut scratch = Scratch::default();
    let mut acc = if scanner.records_events() {
        Acc::recording()
    } else {
        Acc::default()
    };
    for issue in issues {
        let Some(raw) = issue.get("code").and_then(Value::as_str) else {
            continue;
        };
        let Some(code) = strict_code(raw) else {
            continue;
        };
        let message = issue.get("message").and_then(Value::as_str).unwrap_or("");
        let target = issue.get("target").and_then(Value::as_str).unwrap_or("");
        let head = format!(
            "jobRun {} status={status} ",
            name.as_deref().unwrap_or("(no name)")
        );
        let line = format!("{head}{} {message} {target}", code)
            .trim_end()
            .replace(|c: char| c.is_control(), " ");
        let job = match &name {
            _ if code.is_agent_level() => JobSlot::Agent,
            Some(n) => JobSlot::Id(n.as_bytes(), Rule::Column),
            None => JobSlot::None,
        };
        if time.is_some_and(|t| !scanner.window().contains(t)) {
            acc.add_outside();
            continue;
        }
        acc.add(&Event {
            code,
            job,
            line: position,
            time,
            text: line.as_bytes(),
            text_start: 0,
            line_len: line.len(),
            column: head.len(),
            cause: scanner.cause_of(code, line.as_bytes(), &mut scratch),
            item: None,
        });
    }
    acc.drain_into(tally, path, 0, None);
    if let Some(n) = name {
        tally.jobs.entry(n.into()).or_default().run += info;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_name_or_id() {
        let o = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            run_name(&o(
                serde_json::json!({"name": "abc", "id": "x/jobRuns/def"})
            )),
            Some("abc".into())
        );
        assert_eq!(
            run_name(&o(serde_json::json!({"id": "/s/x/jobruns/def"}))),
            Some("def".into())
        );
        assert_eq!(run_name(&o(serde_json::json!({"id": "/s/x"}))), None);
    }
}
