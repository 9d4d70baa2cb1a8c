//! Structured inputs (Log Analytics exports, job-run JSON) in every shape
//! they come in, and the rule that a file is text unless proven otherwise:
//! a structured read that fails, or understands fewer codes than the line
//! scanner finds in the same bytes, gives way to the line scanner, with a
//! note.

use std::collections::BTreeMap;

use azsm::input::walk::{Input, Source};
use azsm::pipeline::file::InputCtx;
use azsm::pipeline::{self, ReadOptions};
use azsm::scan::jobkey::KeyFinder;
use azsm::scan::Scanner;
use azsm::tally::Tally;
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::harness::*;

const J1: &str = "5b2e0d1f-1111-4c2a-8b3c-0a1b2c3d4e01";
const J2: &str = "5b2e0d1f-1111-4c2a-8b3c-0a1b2c3d4e02";
const J3: &str = "5b2e0d1f-1111-4c2a-8b3c-0a1b2c3d4e03";
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const RUNS: &str = "/subscriptions/9a8b7c6d-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.StorageMover/storageMovers/sm1/projects/p/jobDefinitions/nightly/jobRuns";

/// Scans `name` holding `bytes`; the JSON report and the exit status.
fn scan(name: &str, bytes: impl AsRef<[u8]>) -> (Value, i32) {
    let tree = Tree::new().file(name, bytes);
    let run = azsm(&["scan", "--format", "json", &tree.arg(name)]);
    assert!(run.status != 2, "{name}: {}", run.stderr);
    (run.json(), run.status)
}

fn notes(r: &Value) -> Vec<String> {
    r["notes"]
        .as_array()
        .map(|ns| {
            ns.iter()
                .map(|n| n["message"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn jc(rows: &[(&str, &[(&str, u64)])]) -> Vec<(String, Vec<(String, u64)>)> {
    rows.iter().map(|(j, c)| (j.to_string(), cc(c))).collect()
}

/// One copy-log row, as the workspace holds it.
fn copy_row(job: &str, code: &str, item: &str) -> Value {
    json!({"TenantId": TENANT, "TimeGenerated": "2024-03-15T08:20:00Z", "JobRunName": job,
           "ItemPath": item, "ItemType": "F", "FileSize": 1024, "StatusCode": code,
           "TransferResult": "Failed", "Details": "permission denied",
           "Type": "StorageMoverCopyLogsFailed"})
}

#[test]
fn every_json_shape_gives_each_code_to_its_own_run() {
    let rows = vec![
        copy_row(J1, "AZSM2062", "a/1.txt"),
        copy_row(J2, "AZSM2062", "b/2.txt"),
        copy_row(J2, "AZSM2021", "b/3.txt"),
    ];
    let want = jc(&[
        (J1, &[("AZSM2062", 1)]),
        (J2, &[("AZSM2021", 1), ("AZSM2062", 1)]),
    ]);
    let columns = [
        "TenantId",
        "TimeGenerated",
        "JobRunName",
        "ItemPath",
        "ItemType",
        "FileSize",
        "StatusCode",
        "TransferResult",
        "Details",
        "Type",
    ];
    let tables = json!({"tables": [{"name": "PrimaryResult",
        "columns": columns.iter().map(|c| json!({"name": c, "type": "string"})).collect::<Vec<_>>(),
        "rows": rows.iter().map(|r| columns.iter().map(|c| r[c].clone()).collect::<Vec<_>>()).collect::<Vec<_>>()}]});
    // Resource logs archived to a storage account: the columns nest under
    // `properties`, beside the record's own time and category.
    let archived = json!({"records": rows.iter().map(|r| json!({
        "time": r["TimeGenerated"], "category": "CopyLogsFailed",
        "resourceId": "/SUBSCRIPTIONS/X/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.STORAGEMOVER/STORAGEMOVERS/SM1",
        "properties": {"JobRunName": r["JobRunName"], "StatusCode": r["StatusCode"],
                       "ItemPath": r["ItemPath"], "TransferResult": "Failed"}})).collect::<Vec<_>>()});
    let lines: String = rows.iter().map(|r| format!("{r}\n")).collect();
    let shapes: Vec<(&str, Vec<u8>)> = vec![
        ("array.json", serde_json::to_vec_pretty(&rows).unwrap()),
        ("rows.jsonl", lines.into_bytes()),
        (
            "value.json",
            serde_json::to_vec(&json!({"value": rows})).unwrap(),
        ),
        (
            "records.json",
            serde_json::to_vec_pretty(&archived).unwrap(),
        ),
        ("query-api.json", serde_json::to_vec(&tables).unwrap()),
    ];
    for (name, bytes) in shapes {
        let (r, status) = scan(name, &bytes);
        assert_eq!(status, 1, "{name}");
        assert_eq!(job_counts(&r), want, "{name}");
        assert_eq!(r["attribution"]["column"], 3, "{name}");
        assert_eq!(notes(&r), Vec::<String>::new(), "{name}");
    }
    // One object on its own is one record.
    let (r, _) = scan("one.json", serde_json::to_vec_pretty(&rows[0]).unwrap());
    assert_eq!(job_counts(&r), jc(&[(J1, &[("AZSM2062", 1)])]));
    assert_eq!(
        code_row(&r, "AZSM2062")["items"]["examples"][0]["item"],
        "a/1.txt"
    );
}

#[test]
fn powershell_job_runs_with_pascal_case_keys_keep_their_facts() {
    // `Get-AzStorageMoverJobRun | ConvertTo-Json` of two runs.
    let doc = json!([
        {"Name": J1, "Id": format!("{RUNS}/{J1}"), "Status": "Failed", "AgentName": "agent-eu-01",
         "ExecutionStartTime": "2024-03-15T08:00:00+00:00", "ExecutionEndTime": "2024-03-15T08:05:00+00:00",
         "ItemsFailed": 3, "ItemsTransferred": 40, "ItemsScanned": 43,
         "ErrorCode": "AZSM1024", "ErrorMessage": "Authorization failure accessing the target location",
         "ErrorTarget": "https://contoso.blob.core.windows.net/finance"},
        {"Name": J2, "Status": "Succeeded", "AgentName": "agent-eu-01",
         "ExecutionStartTime": "2024-03-16T08:00:00+00:00", "ItemsScanned": 10, "ItemsTransferred": 10}
    ]);
    let (r, status) = scan("runs.json", serde_json::to_vec_pretty(&doc).unwrap());
    assert_eq!(status, 1);
    assert_eq!(job_counts(&r), jc(&[(J1, &[("AZSM1024", 1)]), (J2, &[])]));
    let j1 = r["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == J1)
        .unwrap();
    assert_eq!(j1["status"], "Failed");
    assert_eq!(j1["agent"], "agent-eu-01");
    assert_eq!(j1["execution_end"], "2024-03-15T08:05:00Z");
    assert_eq!(
        (
            j1["items_failed"].as_u64(),
            j1["items_transferred"].as_u64()
        ),
        (Some(3), Some(40))
    );
    assert_eq!(
        code_row(&r, "AZSM1024")["examples"][0]["text"],
        format!("jobRun {J1} status=Failed AZSM1024 Authorization failure accessing the target location https://contoso.blob.core.windows.net/finance")
    );
}

#[test]
fn a_query_projection_blames_each_code_on_its_own_run() {
    // az storage-mover job-run list ... --query "[?status=='Failed'].{name:name,error:error}"
    let doc = format!(
        r#"[
  {{
    "error": {{
      "code": "AZSM1024",
      "message": "Authorization failure accessing the target location",
      "target": "https://contoso.blob.core.windows.net/finance"
    }},
    "name": "{J1}"
  }},
  {{
    "error": null,
    "name": "{J2}"
  }},
  {{
    "error": {{
      "code": "AZSM1042",
      "message": "Failed to send job progress: x509: certificate signed by unknown authority"
    }},
    "name": "{J3}"
  }}
]
"#
    );
    let (r, status) = scan("failed.json", doc);
    assert_eq!(status, 1);
    assert_eq!(
        job_counts(&r),
        jc(&[
            (J1, &[("AZSM1024", 1)]),
            (J2, &[]),
            (J3, &[("AZSM1042", 1)])
        ])
    );
    assert_eq!(r["attribution"]["column"], 2);
    assert_eq!(r["attribution"]["carried"], 0);
}

#[test]
fn a_log_that_looks_like_job_run_json_is_read_as_text() {
    let line = |i: usize, code: &str| {
        format!("[2024-03-15T08:{:02}:00Z] jobRunId={J1} {code} {{\"status\": \"Running\", \"itemsScanned\": {i}}}\n", i % 60)
    };
    let small: String = (0..5)
        .map(|i| line(i, if i == 3 { "AZSM2062" } else { "progress" }))
        .collect();
    // Past the sniffed head too: no longer read whole before it is text.
    let large: String = (0..2000)
        .map(|i| line(i, if i % 100 == 7 { "AZSM2062" } else { "progress" }))
        .collect();
    assert!(large.len() > 64 << 10);
    for (name, doc, n) in [("agent.log", small, 1), ("big.log", large, 20)] {
        let (r, status) = scan(name, doc);
        assert_eq!(status, 1, "{name}");
        assert_eq!(job_counts(&r), jc(&[(J1, &[("AZSM2062", n)])]), "{name}");
        assert_eq!(
            notes(&r),
            vec![
                "read as text: the JSON did not parse at line 1, column 6: expected `,` or `]`"
                    .to_string()
            ],
            "{name}"
        );
        assert_eq!(r["errors"], json!([]), "{name}");
    }
}

#[test]
fn json_lines_with_a_plain_line_appended_keep_every_code() {
    let mut doc: String = [copy_row(J1, "AZSM2062", "a"), copy_row(J1, "AZSM2062", "b")]
        .iter()
        .map(|r| format!("{r}\n"))
        .collect();
    doc.push_str(&format!(
        "2024-03-15T08:40:00Z ERROR jobRunId={J2} AZSM1020 copy stopped\n"
    ));
    let (r, status) = scan("copy.jsonl", doc);
    assert_eq!(status, 1);
    assert_eq!(code_counts(&r), cc(&[("AZSM1020", 1), ("AZSM2062", 2)]));
    assert_eq!(
        job_counts(&r),
        jc(&[(J1, &[("AZSM2062", 2)]), (J2, &[("AZSM1020", 1)])])
    );
    let n = notes(&r);
    assert_eq!(n.len(), 1);
    assert!(
        n[0].starts_with(
            "read as text: the JSON did not parse at line 3, column 5: trailing characters"
        ),
        "{n:?}"
    );
}

#[test]
fn a_truncated_job_run_list_is_read_as_text() {
    let doc = serde_json::to_string_pretty(&json!([
        {"name": J1, "status": "Failed", "itemsScanned": 1, "error": {"code": "AZSM1024", "message": "m"}},
        {"name": J2, "status": "Failed", "itemsScanned": 1, "error": {"code": "AZSM1042", "message": "m"}}
    ]))
    .unwrap();
    let cut = &doc[..doc.rfind("\"message\"").unwrap()];
    let (r, status) = scan("list.json", cut);
    assert_eq!(status, 1);
    assert_eq!(code_counts(&r), cc(&[("AZSM1024", 1), ("AZSM1042", 1)]));
    let n = notes(&r);
    assert_eq!(n.len(), 1);
    assert!(
        n[0].starts_with("read as text: the JSON did not parse at line "),
        "{n:?}"
    );
}

#[test]
fn codes_outside_the_records_send_the_file_to_the_line_scanner() {
    // The wrapper's sibling holds a code no record carries.
    let doc = json!({"value": [copy_row(J1, "AZSM2062", "a")],
                     "error": {"code": "AZSM1024", "message": "listing was cut"}});
    let (r, _) = scan("export.json", serde_json::to_vec_pretty(&doc).unwrap());
    assert_eq!(code_counts(&r), cc(&[("AZSM1024", 1), ("AZSM2062", 1)]));
    assert_eq!(
        notes(&r),
        vec![
            "read as text: the JSON reader understood 1 code, the line scanner found 2".to_string()
        ]
    );
}

/// A job-run snapshot of run J1 with `status` as of `at`.
fn snapshot(status: &str, at: &str) -> String {
    serde_json::to_string_pretty(&json!({
        "name": J1, "id": format!("{RUNS}/{J1}"), "status": status,
        "executionStartTime": "2024-03-15T08:00:00+00:00", "lastStatusUpdate": at,
        "itemsScanned": 10
    }))
    .unwrap()
}

#[test]
fn list_and_show_of_one_run_merge_by_their_own_clock() {
    // The later snapshot's status wins, whatever the order of the inputs
    // and whichever status sorts first.
    for (early, late) in [
        ("Running", "Failed"),
        ("Running", "Canceling"),
        ("Failed", "Running"),
    ] {
        let tree = Tree::new()
            .file("list.json", snapshot(early, "2024-03-15T08:10:00+00:00"))
            .file("show.json", snapshot(late, "2024-03-15T08:30:00+00:00"));
        for order in [["list.json", "show.json"], ["show.json", "list.json"]] {
            let run = azsm(&[
                "scan",
                "--format",
                "json",
                &tree.arg(order[0]),
                &tree.arg(order[1]),
            ]);
            let r = run.json();
            assert_eq!(
                r["jobs"][0]["status"], late,
                "{early} then {late}, {order:?}"
            );
        }
    }
}

/// The codes per code of a tally.
fn per_code(t: &Tally) -> BTreeMap<u16, u64> {
    t.codes
        .iter()
        .map(|(c, ct)| (c.number(), ct.count))
        .collect()
}

/// A generated record: its run, its code (none, or a job or item code),
/// and free text that holds no code (traps included).
#[derive(Clone, Debug)]
struct Rec {
    job: usize,
    code: Option<&'static str>,
    text: &'static str,
}

fn recs() -> impl Strategy<Value = Vec<Rec>> {
    let code = prop::option::of(prop::sample::select(vec![
        "AZSM0000", "AZSM1024", "AZSM1042", "AZSM2021", "AZSM2062", "AZSM0007",
    ]));
    let text = prop::sample::select(vec![
        "",
        "permission denied",
        "host azsmga101 refused",
        "AZSM10245 is no code",
        "a \"quoted\", text\nwith a newline",
        "pSAZSM0ipSt base64",
    ]);
    prop::collection::vec(
        (0usize..3, code, text).prop_map(|(job, code, text)| Rec { job, code, text }),
        1..8,
    )
}

/// `recs` written as structured input number `kind`, with its file name.
fn render(kind: usize, recs: &[Rec]) -> (&'static str, Vec<u8>) {
    let jobs = [J1, J2, J3];
    let row = |r: &Rec| {
        json!({"TenantId": TENANT, "TimeGenerated": "2024-03-15T08:20:00Z", "JobRunName": jobs[r.job],
               "StatusCode": r.code.unwrap_or(""), "ItemPath": "dir/file.txt", "Details": r.text})
    };
    let run = |r: &Rec, pascal: bool| {
        let mut o = json!({"name": jobs[r.job], "status": "Failed", "itemsScanned": 3,
                           "executionStartTime": "2024-03-15T08:00:00Z"});
        if let Some(c) = r.code {
            o["error"] = json!({"code": c, "message": r.text});
        }
        if pascal {
            let mut p = json!({"Name": jobs[r.job], "Status": "Failed", "ExecutionStartTime": "2024-03-15T08:00:00Z"});
            if let Some(c) = r.code {
                p["ErrorCode"] = json!(c);
                p["ErrorMessage"] = json!(r.text);
            }
            return p;
        }
        o
    };
    let rows: Vec<Value> = recs.iter().map(row).collect();
    match kind {
        0 => ("rows.json", serde_json::to_vec_pretty(&rows).unwrap()),
        1 => ("rows.jsonl", rows.iter().map(|r| format!("{r}\n")).collect::<String>().into_bytes()),
        2 => ("value.json", serde_json::to_vec(&json!({"value": rows})).unwrap()),
        3 => {
            let records: Vec<Value> = rows
                .iter()
                .map(|r| json!({"time": r["TimeGenerated"], "category": "CopyLogsFailed", "properties": r}))
                .collect();
            ("records.json", serde_json::to_vec_pretty(&json!({"records": records})).unwrap())
        }
        4 => {
            let cols = ["TenantId", "TimeGenerated", "JobRunName", "StatusCode", "ItemPath", "Details"];
            let table = json!({"tables": [{"name": "PrimaryResult",
                "columns": cols.iter().map(|c| json!({"name": c, "type": "string"})).collect::<Vec<_>>(),
                "rows": rows.iter().map(|r| cols.iter().map(|c| r[c].clone()).collect::<Vec<_>>()).collect::<Vec<_>>()}]});
            ("query.json", serde_json::to_vec(&table).unwrap())
        }
        5 => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["TimeGenerated [UTC]", "JobRunName", "StatusCode", "ItemPath", "Details"]).unwrap();
            for r in recs {
                w.write_record(["3/15/2024, 8:20:00.000 AM", jobs[r.job], r.code.unwrap_or(""), "dir/file.txt", r.text]).unwrap();
            }
            ("export.csv", w.into_inner().unwrap())
        }
        6 => ("runs.json", serde_json::to_vec_pretty(&recs.iter().map(|r| run(r, false)).collect::<Vec<_>>()).unwrap()),
        7 => ("rest.json", serde_json::to_vec_pretty(&json!({"value": recs.iter().map(|r| json!({
            "name": jobs[r.job], "type": "microsoft.storagemover/storageMovers/projects/jobDefinitions/jobRuns",
            "properties": run(r, false)})).collect::<Vec<_>>()})).unwrap()),
        _ => ("pascal.json", serde_json::to_vec_pretty(&recs.iter().map(|r| run(r, true)).collect::<Vec<_>>()).unwrap()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Every structured kind, as written and then damaged (cut short, or a
    /// plain line appended): what azsm reports has, code by code, at least
    /// what the line scanner finds in the same bytes; undamaged, the
    /// structured reader itself finds exactly that, with no note.
    #[test]
    fn structured_reads_never_lose_a_code_the_line_scanner_finds(
        recs in recs(), kind in 0usize..9, damage in 0usize..3, cut in 0.0f64..1.0,
    ) {
        let (name, mut bytes) = render(kind, &recs);
        match damage {
            1 => bytes.truncate((bytes.len() as f64 * cut) as usize),
            2 => bytes.extend_from_slice(format!("2024-03-15T09:00:00Z jobRunId={J3} AZSM1020 stopped\n").as_bytes()),
            _ => {}
        }
        let scanner = Scanner::new(KeyFinder::default());
        let opts = ReadOptions::default();
        let lines = per_code(&pipeline::scan_bytes(&scanner, name, &bytes, opts, &InputCtx::none()));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(name);
        std::fs::write(&file, &bytes).unwrap();
        let input = Input { display: name.to_string(), source: Source::File(file) };
        let got = pipeline::scan_input(&scanner, &input, opts, &InputCtx::none());
        prop_assert!(got.errors.is_empty(), "{:?}", got.errors);
        let reported = per_code(&got);
        for (code, n) in &lines {
            prop_assert!(reported.get(code).copied().unwrap_or(0) >= *n, "{name} AZSM{code:04}: {reported:?} < {lines:?}");
        }
        if damage == 0 {
            prop_assert!(got.notes.is_empty(), "{name}: {:?}", got.notes);
            // Read as records: no event by a rule of the line scanner.
            prop_assert_eq!(got.rules.line + got.rules.path + got.rules.carried, 0, "{}", name);
            // The line scanner counts a code once a line: one-line
            // documents (kinds 2 and 4) may hold it more often.
            if kind != 2 && kind != 4 {
                prop_assert_eq!(&reported, &lines, "{}", name);
            }
        }
    }
}
