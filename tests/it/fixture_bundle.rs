//! The shipped sample bundle: every attribution rule and every trap, with
//! the results worked out by hand (see fixtures/README.md).

use crate::harness::*;

const BUNDLE: &str = "fixtures/support-bundle";
const J0: &str = "0b7c2a4e-1111-4a5b-9c8d-0123456789ab";
const J7: &str = "7e3f9a10-2222-4c3d-8e9f-abcdefabcdef";
const JC: &str = "c0ffee00-3333-4d4e-9f00-112233445566";
const JA: &str = "38fb0f65-b642-4cb7-a8a0-f406e3e6f85a";
const JAA: &str = "aaaaaaaa-4444-4bbb-8ccc-ddddeeeeffff";
const JD: &str = "5d7a2c4e-5555-4e6f-8a9b-0c1d2e3f4a5b";

#[test]
fn every_code_is_counted_once_per_line_and_traps_are_not_codes() {
    let run = azsm(&["scan", "--format", "json", BUNDLE]);
    assert_eq!(run.status, 1, "findings exit 1; stderr: {}", run.stderr);
    let r = run.json();
    assert_eq!(
        code_counts(&r),
        cc(&[
            ("AZSM0000", 3),
            ("AZSM0001", 1),
            ("AZSM0003", 1),
            ("AZSM1023", 1),
            ("AZSM1024", 2), // twice on one line counts once; the 5-digit and glued forms not at all
            ("AZSM1027", 2),
            ("AZSM1041", 1),
            ("AZSM1045", 1),
            ("AZSM1060", 1), // not the one in the binary kv/store.bin
            ("AZSM1099", 1), // unknown, on the last line without a newline
            ("AZSM2001", 1),
            ("AZSM2021", 1),
            ("AZSM2024", 1), // two codes on one line: two events
            ("AZSM2026", 1),
            ("AZSM2042", 1),
            ("AZSM2062", 3),
            ("AZSM2063", 1), // on a CRLF line with invalid UTF-8
            ("AZSM2080", 1),
        ])
    );
    assert_eq!(r["summary"]["events"], 24);
    assert_eq!(r["summary"]["findings"], 19);
    assert_eq!(r["scanned"]["files"], 9);
    assert_eq!(r["scanned"]["skipped_binary"], 1);
    assert_eq!(r["scanned"]["errors"], 0);
    assert_eq!(r["errors"].as_array().unwrap().len(), 0);
}

#[test]
fn every_attribution_rule_applies_where_it_should() {
    let r = azsm(&["scan", "--format", "json", BUNDLE]).json();
    let jobs = job_counts(&r);
    let expect = vec![
        // rule 3 (line 3 after line 2's key), rule 1 via .../jobRuns/<id>, rule 3 again
        (
            J0.to_string(),
            cc(&[("AZSM0000", 1), ("AZSM2062", 1), ("AZSM2080", 1)]),
        ),
        // the deepest GUID directory (rule 2) unless the line has its own key
        (JA.to_string(), cc(&[("AZSM1023", 1), ("AZSM1027", 2)])),
        // the GUID file stem of a copy log (rule 2)
        (
            JD.to_string(),
            cc(&[
                ("AZSM0000", 1),
                ("AZSM2021", 1),
                ("AZSM2042", 1),
                ("AZSM2062", 2),
            ]),
        ),
        // JSON "jobRunId":"..." and jobRunName=..., then a keyless line (rule 3)
        (
            J7.to_string(),
            cc(&[
                ("AZSM1024", 2),
                ("AZSM2001", 1),
                ("AZSM2024", 1),
                ("AZSM2026", 1),
            ]),
        ),
        (JAA.to_string(), cc(&[("AZSM1041", 1)])),
        // JobRunName: "..." then, in another file with CRLF, jobRunName= and two carried lines
        (
            JC.to_string(),
            cc(&[
                ("AZSM1045", 1),
                ("AZSM1060", 1),
                ("AZSM1099", 1),
                ("AZSM2063", 1),
            ]),
        ),
    ];
    let mut expect = expect;
    expect.sort();
    assert_eq!(jobs, expect);
    // Agent-level codes are never attributed; AZSM0000 with no key, path or
    // earlier key is unattributed too.
    let un = pairs(&r["unattributed"]);
    assert_eq!(un, cc(&[("AZSM0000", 1), ("AZSM0001", 1), ("AZSM0003", 1)]));
    assert_eq!(
        r["attribution"],
        // The bundle holds no export or job-run JSON: no `column` events.
        serde_json::json!({"line": 7, "path": 8, "carried": 6, "column": 0, "none": 1, "agent": 2})
    );
}

#[test]
fn times_and_examples() {
    let r = azsm(&["scan", "--format", "json", BUNDLE]).json();
    let job = r["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == JC)
        .unwrap();
    // +01:00 is converted to UTC; the AzCopy form is read as UTC.
    assert_eq!(job["first_seen"], "2024-03-15T08:00:00Z");
    assert_eq!(job["last_seen"], "2024-03-15T08:11:00Z");
    let code = |c: &str| {
        r["codes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["code"] == c)
            .unwrap()
            .clone()
    };
    let c2062 = code("AZSM2062");
    assert_eq!(c2062["jobs"], 2);
    assert_eq!(c2062["files"], 2);
    let ex: Vec<String> = c2062["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{}:{}", e["path"].as_str().unwrap(), e["line"]))
        .collect();
    assert_eq!(
        ex,
        [
            format!("{BUNDLE}/root/xdmdata/copy log/{JD}.log:1"),
            format!("{BUNDLE}/root/xdmdata/copy log/{JD}.log:2"),
            format!("{BUNDLE}/var/log/xdatamoved.log:3"),
        ]
    );
    let c2063 = code("AZSM2063");
    let text = c2063["examples"][0]["text"].as_str().unwrap();
    assert_eq!(text, "2024-03-15T08:00:05.250Z ERROR read failed path=/share/caf\u{FFFD}.txt AZSM2063 input/output error");
    assert_eq!(code("AZSM1099")["known"], false);
    assert_eq!(code("AZSM1099")["subcategory"], "reserved range 1081-1100");
    assert_eq!(code("AZSM1099")["examples"][0]["line"], 3);
}

#[test]
fn remediations_are_ranked_by_the_documented_rule() {
    let r = azsm(&["scan", "--format", "json", BUNDLE]).json();
    let order: Vec<(u64, String, Vec<String>)> = r["remediations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["rank"].as_u64().unwrap(),
                e["severity"].as_str().unwrap().to_string(),
                e["codes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    let want: Vec<(u64, &str, Vec<&str>)> = vec![
        (1, "critical", vec!["AZSM1024"]), // actionable, 2 events
        // AZSM1027 splits: job.log:2 names AZURE_STORAGE_MOVER_MARKER (sub-cause
        // target-lease-held), job.log:3 names nothing (the catalog's text).
        // Both actionable, 1 job run, 1 event, same code: the named cause first.
        (2, "critical", vec!["AZSM1027"]),
        (3, "critical", vec!["AZSM1027"]),
        // AZSM1060 says "The specified share is full": actionable sub-cause
        // share-full, so it leaves the retry entries behind; 1 event, after 1027
        (4, "critical", vec!["AZSM1060"]),
        (5, "critical", vec!["AZSM1041", "AZSM2063", "AZSM2080"]), // retry advice, 3 job runs
        (6, "critical", vec!["AZSM1023", "AZSM1045"]),             // retry advice, 2 job runs
        (7, "critical", vec!["AZSM1099"]),                         // unknown to the catalog
        (8, "critical", vec!["AZSM0001"]),
        (9, "critical", vec!["AZSM0003"]),
        // "permission denied" is a sub-cause of AZSM1020 only: AZSM2062 keeps its text
        (10, "error", vec!["AZSM2062"]),
        (11, "warning", vec!["AZSM2024", "AZSM2026"]),
        (12, "warning", vec!["AZSM2021"]),
    ];
    let want: Vec<(u64, String, Vec<String>)> = want
        .into_iter()
        .map(|(n, s, c)| (n, s.to_string(), c.into_iter().map(String::from).collect()))
        .collect();
    assert_eq!(order, want);
    let first = &r["remediations"][0];
    assert_eq!(first["advice"], "actionable");
    assert_eq!(first["jobs"], 1);
    assert_eq!(
        first["example"]["path"],
        format!("{BUNDLE}/var/log/xdatamoved.log")
    );
    assert_eq!(first["example"]["line"], 5);
    assert!(first["mitigation"]
        .as_str()
        .unwrap()
        .starts_with("The agent doesn't have sufficient permission"));
    assert_eq!(
        first["doc_urls"][0],
        "https://learn.microsoft.com/azure/storage-mover/status-code#AZSM1024"
    );
    assert_eq!(first["cause"], serde_json::Value::Null);
    let rem = r["remediations"].as_array().unwrap();
    let causes: Vec<&serde_json::Value> = rem.iter().map(|e| &e["cause"]).collect();
    let named: Vec<(usize, &str)> = causes
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.as_str().map(|c| (i + 1, c)))
        .collect();
    assert_eq!(named, [(2, "target-lease-held"), (4, "share-full")]);
    assert_eq!(rem[1]["example"]["line"], 2);
    assert_eq!(rem[1]["example"]["matched"], "AZURE_STORAGE_MOVER_MARKER");
    assert!(rem[1]["mitigation"]
        .as_str()
        .unwrap()
        .starts_with("Another migration job, or a previous aborted job, still holds a lease"));
    assert_eq!(rem[2]["example"]["line"], 3);
    assert_eq!(rem[2]["example"]["matched"], serde_json::Value::Null);
    assert!(rem[2]["mitigation"]
        .as_str()
        .unwrap()
        .starts_with("The agent can't claim the target share"));
    assert_eq!(rem[3]["advice"], "actionable");
    assert_eq!(rem[3]["example"]["matched"], "The specified share is full");
    assert!(rem[3]["mitigation"]
        .as_str()
        .unwrap()
        .starts_with("The target file share is full."));
    assert_eq!(r["not_errors"], serde_json::json!([]));
    assert_eq!(r["window"], serde_json::Value::Null);
}

#[test]
fn binary_files_are_scanned_with_binary() {
    let r = azsm(&["scan", "--format", "json", "--binary", BUNDLE]).json();
    assert_eq!(r["scanned"]["files"], 10);
    assert_eq!(r["scanned"]["skipped_binary"], 0);
    let c = r["codes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "AZSM1060")
        .unwrap();
    assert_eq!(c["count"], 2);
    assert!(r["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|j| j["job"] == "deadbee1"));
}

#[test]
fn text_summary_starts_with_what_to_fix() {
    let run = azsm(&["scan", BUNDLE]);
    assert_eq!(run.status, 1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "What to fix first: 12 remediations, 19 findings: 17 in 6 job runs, 2 with no job run"
    );
    assert_eq!(
        lines[2],
        "#1   CRITICAL  Authorization failure accessing the target location"
    );
    assert_eq!(lines[3], "    codes  AZSM1024 ×2");
    assert_eq!(lines[4], "    why    critical: job runs failed as a whole; a specific fix is known; 1 job run, 2 events");
    assert_eq!(
        lines[5],
        format!("    where  {BUNDLE}/var/log/xdatamoved.log:5")
    );
    assert!(run.stdout.contains("\nJob runs (6)\n"));
    assert!(run
        .stdout
        .contains("\nNo job run: AZSM0000 ×1, AZSM0001 ×1, AZSM0003 ×1\n"));
    assert!(run
        .stdout
        .contains("\nScanned 9 files, 2.8 KiB (1 skipped as binary, --binary scans them)\n"));
    assert!(
        !run.stdout.contains('\u{1b}'),
        "no colour when not on a terminal"
    );
}

#[test]
fn output_is_the_same_whatever_the_thread_count() {
    let one = azsm(&["scan", "--format", "json", "-j", "1", BUNDLE]);
    for j in ["2", "3", "8"] {
        let many = azsm(&["scan", "--format", "json", "-j", j, BUNDLE]);
        assert_eq!(one.stdout, many.stdout, "-j {j}");
        let text1 = azsm(&["scan", "-j", "1", BUNDLE]);
        let textn = azsm(&["scan", "-j", j, BUNDLE]);
        assert_eq!(text1.stdout, textn.stdout);
    }
}
