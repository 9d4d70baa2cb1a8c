//! Log Analytics exports (fixtures/exports): CSV from the portal, JSON from
//! `az monitor log-analytics query`, JSON Lines; results worked out by hand
//! from the rows (see fixtures/README.md).

use std::io::Write;

use serde_json::Value;

use crate::harness::*;

const CSV: &str = "fixtures/exports/copylogs-failed.csv";
const JSON: &str = "fixtures/exports/copylogs-query.json";
const JSONL: &str = "fixtures/exports/jobrunlogs.jsonl";
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const J1: &str = "1f0e2d3c-aaaa-4bbb-8ccc-000000000001";
const J2: &str = "1f0e2d3c-aaaa-4bbb-8ccc-000000000002";
const J3: &str = "1f0e2d3c-aaaa-4bbb-8ccc-000000000003";

fn scan_json(args: &[&str]) -> Value {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let run = azsm(&all);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    run.json()
}

fn code<'a>(r: &'a Value, c: &str) -> &'a Value {
    code_row(r, c)
}

#[test]
fn a_portal_csv_export_gives_one_event_per_row_with_a_code() {
    let r = scan_json(&[CSV]);
    // 8 rows: 7 with a code (one row names AZSM1024 in Details only: its
    // code is the StatusCode column), one with none.
    assert_eq!(
        code_counts(&r),
        cc(&[("AZSM2021", 1), ("AZSM2062", 5), ("AZSM2063", 1)])
    );
    // The job is JobRunName, never the TenantId GUID on the same row.
    assert_eq!(
        job_counts(&r),
        vec![
            (J1.to_string(), cc(&[("AZSM2062", 3)])),
            (
                J2.to_string(),
                cc(&[("AZSM2021", 1), ("AZSM2062", 1), ("AZSM2063", 1)])
            ),
        ]
    );
    assert!(!r.to_string().contains(&format!("\"job\":\"{TENANT}\"")));
    assert_eq!(
        r["unattributed"],
        serde_json::json!([{"code": "AZSM2062", "count": 1}])
    );
    assert_eq!(
        r["attribution"],
        serde_json::json!({"line": 0, "path": 0, "carried": 0, "column": 6, "none": 1, "agent": 0})
    );
    // Times from `TimeGenerated [UTC]` in the portal's format, 12-hour clock.
    let c = code(&r, "AZSM2062");
    assert_eq!(c["first_seen"], "2024-03-15T08:20:00Z");
    assert_eq!(c["last_seen"], "2024-03-15T12:05:00Z");
    // Lines are row numbers; a quoted field's newline does not count.
    let ex = &c["examples"];
    assert_eq!(ex[0]["line"], 1);
    assert_eq!(ex[1]["line"], 2);
    assert_eq!(ex[2]["line"], 3);
    let text = ex[0]["text"].as_str().unwrap();
    assert!(
        text.contains("ServiceCode=AuthorizationPermissionMismatch"),
        "{text}"
    );
    assert!(!text.contains('\n'));
    assert_eq!(code(&r, "AZSM2063")["examples"][0]["line"], 5);
    // ItemPath: quoted commas and doubled quotes are read as CSV.
    let items = &c["items"];
    assert_eq!(items["total"], 5);
    let paths: Vec<&Value> = items["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["item"])
        .collect();
    assert_eq!(
        serde_json::json!(paths),
        serde_json::json!([
            "finance/2024/q1.xlsx",
            "finance/2024/q2.xlsx",
            "finance/2024/\"draft\", v2.docx",
            "hr/pay/feb.pdf",
            "orphan.txt"
        ])
    );
    assert_eq!(
        items["top_dirs"],
        serde_json::json!([
            {"dir": "finance/2024", "count": 3},
            {"dir": ".", "count": 1},
            {"dir": "hr/pay", "count": 1}
        ])
    );
    assert_eq!(r["scanned"]["files"], 1);
    assert_eq!(r["scanned"]["bytes"], std::fs::metadata(CSV).unwrap().len());
}

#[test]
fn json_exports_compact_or_pretty_and_json_lines() {
    let r = scan_json(&[JSON]);
    assert_eq!(
        job_counts(&r),
        vec![(
            J3.to_string(),
            cc(&[("AZSM0000", 2), ("AZSM2027", 1), ("AZSM2062", 1)])
        )]
    );
    assert_eq!(
        code(&r, "AZSM0000")["first_seen"],
        "2024-03-16T10:00:00.123Z"
    );
    assert_eq!(
        code(&r, "AZSM2062")["items"]["examples"][0]["item"],
        "media/raw/a.mov"
    );
    assert!(
        code(&r, "AZSM0000").get("items").is_none(),
        "only item-scope codes keep paths"
    );

    // The same rows written compactly, on one line.
    let rows: Value = serde_json::from_str(&std::fs::read_to_string(JSON).unwrap()).unwrap();
    let tree = Tree::new().file("compact.json", serde_json::to_vec(&rows).unwrap());
    let compact = scan_json(&[&tree.arg("compact.json")]);
    assert_eq!(code_counts(&compact), code_counts(&r));
    assert_eq!(job_counts(&compact), job_counts(&r));

    let l = scan_json(&[JSONL]);
    assert_eq!(
        job_counts(&l),
        vec![
            (J1.to_string(), cc(&[("AZSM1024", 1)])),
            (J2.to_string(), cc(&[("AZSM0000", 1)])),
        ]
    );
    assert_eq!(code(&l, "AZSM1024")["examples"][0]["line"], 2);
    assert_eq!(
        code(&l, "AZSM0000")["examples"][0]["line"],
        4,
        "blank lines count"
    );
}

#[test]
fn content_decides_not_the_name() {
    let csv = std::fs::read(CSV).unwrap();
    let json = std::fs::read(JSON).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&csv).unwrap();
    let tree = Tree::new()
        .file("renamed.log", &csv)
        .file("no-extension", &json)
        .file("export.csv.gz", gz.finish().unwrap());
    let want = scan_json(&[CSV]);
    for name in ["renamed.log", "export.csv.gz"] {
        let r = scan_json(&[&tree.arg(name)]);
        assert_eq!(code_counts(&r), code_counts(&want), "{name}");
        assert_eq!(job_counts(&r), job_counts(&want), "{name}");
    }
    let r = scan_json(&[&tree.arg("no-extension")]);
    assert_eq!(r["attribution"]["column"], 4);
}

/// A malformed export is read as text (the line scanner finds what it
/// holds) with a note naming the file and why; never an error exit.
/// (Until the text fallback, these were errors keeping the rows before.)
#[test]
fn a_malformed_export_is_read_as_text_with_a_note() {
    let mut json = std::fs::read_to_string(JSON).unwrap();
    let cut = json.find("media/raw/b.mov").unwrap();
    json.truncate(cut);
    let csv = "JobRunName,StatusCode,TimeGenerated\nJ,AZSM1024,2024-03-15T08:00:00Z\nJ,\"AZSM2062,unterminated\n";
    let tree = Tree::new()
        .file("cut.json", json)
        .file(
            "bad.jsonl",
            "{\"JobRunName\":\"J\",\"StatusCode\":\"AZSM1024\"}\n{not json\n",
        )
        .file("odd.csv", csv);
    let note = |r: &Value| {
        assert_eq!(r["errors"], serde_json::json!([]));
        let notes = r["notes"].as_array().expect("a note");
        assert_eq!(notes.len(), 1, "{notes:?}");
        notes[0]["message"].as_str().unwrap().to_string()
    };
    let run = azsm(&["scan", "--format", "json", &tree.arg("cut.json")]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let r = run.json();
    assert_eq!(code_counts(&r), cc(&[("AZSM0000", 1), ("AZSM2062", 1)]));
    let msg = note(&r);
    assert!(
        msg.starts_with("read as text: the JSON did not parse at line 35, column 17: EOF"),
        "{msg}"
    );

    let run = azsm(&["scan", "--format", "json", &tree.arg("bad.jsonl")]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let r = run.json();
    assert_eq!(code_counts(&r), cc(&[("AZSM1024", 1)]));
    let msg = note(&r);
    assert!(
        msg.starts_with("read as text: the JSON did not parse at line 2, column 2: "),
        "{msg}"
    );

    // An unterminated quote swallows the rest of the file into one field:
    // the CSV reader sees a short last row whose StatusCode is no code, so
    // it understood fewer codes than the line scanner finds: text wins.
    let run = azsm(&["scan", "--format", "json", &tree.arg("odd.csv")]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let r = run.json();
    assert_eq!(code_counts(&r), cc(&[("AZSM1024", 1), ("AZSM2062", 1)]));
    assert_eq!(
        note(&r),
        "read as text: the CSV reader understood 1 code, the line scanner found 2"
    );
    let text = azsm(&["scan", &tree.arg("odd.csv")]);
    assert!(
        text.stdout.contains("  note ") && text.stdout.contains("odd.csv: read as text: "),
        "{}",
        text.stdout
    );
}

#[test]
fn exports_report_the_same_text_and_json_whatever_the_thread_count() {
    let one = azsm(&["scan", "-j", "1", "fixtures/exports", "fixtures/jobruns"]);
    let many = azsm(&["scan", "-j", "4", "fixtures/exports", "fixtures/jobruns"]);
    assert_eq!(one.stdout, many.stdout);
    assert!(one
        .stdout
        .contains("16 events: 0 by a key on the line, 0 by a GUID in the path, 0 by an earlier line's key, 15 by a job column of an export or job-run JSON, 1 with no job run, 0 agent-level"), "{}", one.stdout);
    assert!(one.stdout.contains(
        "    items  AZSM2062: 6 items; folders finance/2024 ×3, . ×1, hr/pay ×1, media/raw ×1\n"
    ), "{}", one.stdout);
}

#[test]
fn per_event_formats_carry_export_rows_and_their_items() {
    let run = azsm(&["scan", "--format", "ndjson", CSV]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let recs: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len(), 7, "one record per row with a code");
    let rules: Vec<&str> = recs.iter().map(|r| r["rule"].as_str().unwrap()).collect();
    assert_eq!(
        rules,
        ["column", "column", "column", "column", "column", "column", "none"]
    );
    assert_eq!(recs[2]["line"], 3);
    assert_eq!(recs[2]["item"], "finance/2024/\"draft\", v2.docx");
    assert_eq!(recs[6]["job"], Value::Null);
    assert_eq!(recs[6]["item"], "orphan.txt");

    let csv_run = azsm(&["scan", "--format", "csv", CSV]);
    let mut rdr = csv::Reader::from_reader(csv_run.stdout.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 7);
    assert_eq!(&rows[2][10], "finance/2024/\"draft\", v2.docx");

    // Job-scope events name no item.
    let run = azsm(&[
        "scan",
        "--format",
        "ndjson",
        "fixtures/jobruns/job-run-list.json",
    ]);
    let first: Value = serde_json::from_str(run.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["code"], "AZSM1024");
    assert_eq!(first["item"], Value::Null);
    assert_eq!(first["rule"], "column");
}

#[test]
fn merged_export_reports_keep_their_items() {
    let dir = Tree::new();
    let a = dir.arg("a.json");
    let b = dir.arg("b.json");
    assert_eq!(
        azsm(&["scan", CSV, "--json", &a, "--format", "text"]).status,
        1
    );
    assert_eq!(
        azsm(&["scan", JSON, JSONL, "--json", &b, "--format", "text"]).status,
        1
    );
    let whole = azsm(&["scan", CSV, JSON, JSONL, "--format", "json"]);
    let merged = azsm(&["merge", &a, &b, "--format", "json"]);
    assert_eq!(merged.status, 1, "{}", merged.stderr);
    // Each report lists all of its folders (fewer than --items), so the
    // merge is exact.
    assert_eq!(merged.stdout, whole.stdout);
    assert_eq!(code(&merged.json(), "AZSM2062")["items"]["total"], 6);
}
