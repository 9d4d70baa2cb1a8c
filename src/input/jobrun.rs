//! Job-run JSON: `az storage-mover job-run show` / `list` output, the REST
//! shape and PowerShell's `Get-AzStorageMoverJobRun | ConvertTo-Json`.
//!
//! The service's own verdict on a run is in its job-run resource: `status`,
//! the agent, execution times, item counts, and on failure `error.code`
//! (a job-scope `AZSM` code) plus `warnings[].code`. [`crate::input::json`]
//! finds the records (any shape, keys in any case, `properties` flattened);
//! this module turns one into events and the run's facts. Every code in a
//! status-code field (`code`, `statusCode`, `errorCode`, at any depth of
//! the record: `error.code`, `warnings[].code`, a `--query` projection's
//! `error`) is one event attributed (`column` rule) to the record's own
//! run: its `JobRunName`, its `name` when the record is a job run, or the
//! `jobRuns/<id>` segment of its `id`. Its time is the run's end (or start).

use crate::model::causes::Scratch;
use crate::scan::Scanner;
use std::sync::Arc;

use serde_json::Value;

use crate::input::export::{parse_time, strict_code};
use crate::input::record::{text, View};
use crate::model::timestamp::Millis;
use crate::tally::{Acc, Event, JobSlot, Rule, RunInfo, Tally};

/// Keys (lower-cased) whose value is a status code.
const CODE_KEYS: [&str; 5] = [
    "code",
    "statuscode",
    "errorcode",
    "status_code",
    "error_code",
];

/// Keys that make a record a job run, so that its `name` names the run.
const RUN_KEYS: [&str; 6] = [
    "status",
    "error",
    "errorcode",
    "warnings",
    "executionstarttime",
    "itemsscanned",
];

/// The `jobRuns/<id>` segment of the record's `id` or `resourceId`.
pub fn id_segment(view: &View<'_>) -> Option<String> {
    ["id", "resourceid", "_resourceid"].iter().find_map(|k| {
        let id = view.get(*k)?.as_str()?;
        let lower = id.to_ascii_lowercase();
        let at = lower.find("/jobruns/")? + "/jobruns/".len();
        let rest = &id[at..];
        let name = rest.split('/').next().unwrap_or(rest);
        (!name.is_empty()).then(|| name.to_string())
    })
}

/// The run's name: `JobRunName`, `name` (when the record is a job run), or
/// the id's `jobRuns/<id>` segment.
fn run_name(view: &View<'_>) -> Option<String> {
    let named = |k: &str| {
        view.get(k)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
    };
    let is_run = RUN_KEYS.iter().any(|k| view.contains_key(*k))
        || view
            .get("type")
            .and_then(|v| v.as_str())
            .is_some_and(|t| t.to_ascii_lowercase().ends_with("/jobruns"));
    named("jobrunname")
        .or_else(|| is_run.then(|| named("name")).flatten())
        .or_else(|| id_segment(view))
}

/// A time: ISO-8601, the portal's, or PowerShell 5's `/Date(ms)/`.
fn time(v: &Value) -> Option<Millis> {
    let s = v.as_str()?;
    if let Some(ms) = s
        .strip_prefix("/Date(")
        .and_then(|r| r.strip_suffix(")/"))
        .and_then(|r| r.split(['+', '-']).next())
        .and_then(|n| n.parse::<i64>().ok())
    {
        return Some(ms);
    }
    parse_time(s)
}

/// One code of a record: the code, and the message and target beside it.
struct Issue {
    code: crate::model::code::Code,
    message: String,
    target: String,
}

/// Every code in a status-code field of `v`, at any depth, in key order.
fn issues(v: &Value, out: &mut Vec<Issue>) {
    match v {
        Value::Object(o) => {
            let sibling = |names: [&str; 2]| {
                o.iter()
                    .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
                    .and_then(|(_, v)| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            for (k, value) in o {
                let key = k.to_ascii_lowercase();
                match value.as_str().and_then(strict_code) {
                    Some(code) if CODE_KEYS.contains(&key.as_str()) => out.push(Issue {
                        code,
                        message: sibling(["message", "errormessage"]),
                        target: sibling(["target", "errortarget"]),
                    }),
                    _ => issues(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| issues(i, out)),
        _ => {}
    }
}

/// Adds the job-run record `view`, the `position`th of the input shown as
/// `path`: its codes as events, its facts to the per-job table. True when
/// it has a code.
pub fn add_run(
    tally: &mut Tally,
    path: &Arc<str>,
    position: u64,
    view: &View<'_>,
    scanner: &Scanner,
) -> bool {
    let get = |k: &str| view.get(k).copied();
    let string = |k: &str| get(k).map(text).filter(|s| !s.is_empty());
    let count = |k: &str| {
        get(k).and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
    };
    let name = run_name(view);
    let start = get("executionstarttime").and_then(time);
    let end = get("executionendtime").and_then(time);
    let info = RunInfo {
        status: string("status"),
        status_at: get("laststatusupdate").and_then(time).or(end).or(start),
        agent: string("agentname"),
        start,
        end,
        items_failed: count("itemsfailed"),
        items_transferred: count("itemstransferred"),
    };
    let time = info.end.or(info.start);
    let status = info.status.clone().unwrap_or_default();
    let mut found = Vec::new();
    for (k, v) in view {
        match v.as_str().and_then(strict_code) {
            Some(code) if CODE_KEYS.contains(&k.as_str()) => found.push(Issue {
                code,
                message: string("errormessage")
                    .or_else(|| string("message"))
                    .unwrap_or_default(),
                target: string("errortarget")
                    .or_else(|| string("target"))
                    .unwrap_or_default(),
            }),
            _ if k == "properties" => {}
            _ => issues(v, &mut found),
        }
    }
    let coded = !found.is_empty();
    let mut scratch = Scratch::default();
    let mut acc = if scanner.records_events() {
        Acc::recording()
    } else {
        Acc::default()
    };
    for Issue {
        code,
        message,
        target,
    } in found
    {
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
    coded
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::record::view;

    #[test]
    fn names_from_job_run_name_name_or_id() {
        let name = |v: Value| run_name(&view(&v));
        assert_eq!(
            name(serde_json::json!({"name": "abc", "status": "Failed", "id": "x/jobRuns/def"})),
            Some("abc".into())
        );
        assert_eq!(
            name(serde_json::json!({"Name": "abc", "Status": "Failed"})),
            Some("abc".into())
        );
        assert_eq!(
            name(serde_json::json!({"id": "/s/x/jobruns/def"})),
            Some("def".into())
        );
        assert_eq!(
            name(serde_json::json!({"name": "xdatamoved", "id": "/s/x"})),
            None,
            "a name is a run's only on a job-run record"
        );
    }

    #[test]
    fn codes_at_any_depth_of_a_status_code_field() {
        let v = serde_json::json!({"error": {"code": "AZSM1024", "message": "m"},
            "warnings": [{"code": "AZSM2062"}, {"code": "x"}], "note": "AZSM1020"});
        let mut found = Vec::new();
        issues(&v, &mut found);
        let codes: Vec<u16> = found.iter().map(|i| i.code.number()).collect();
        assert_eq!(codes, vec![1024, 2062]);
        assert_eq!(found[0].message, "m");
    }

    #[test]
    fn powershell_dates() {
        let ms = time(&Value::from("/Date(1710489600000)/"));
        assert_eq!(ms, Some(1_710_489_600_000));
    }
}
