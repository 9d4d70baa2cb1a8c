//! Sub-causes: the words next to a code pick its fix. Every row of the
//! embedded table on a realistic line (fixtures/sub-causes), the split
//! ranking, healthy states, a user's table and `explain`.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::harness::*;

const FIXTURE: &str = "fixtures/sub-causes/xdatamoved.log";

/// `remediations[]` as cause name (or "-") to its (code, count) pairs.
fn by_cause(r: &Value) -> BTreeMap<String, Vec<(String, u64)>> {
    r["remediations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let counts = pairs(&e["counts"]);
            (e["cause"].as_str().unwrap_or("-").to_string(), counts)
        })
        .collect()
}

#[test]
fn every_sub_cause_is_found_on_a_realistic_line() {
    let run = azsm(&["scan", "--format", "json", FIXTURE]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let r = run.json();
    // Worked out line by line from the fixture (see its comments in
    // fixtures/README.md): each line's code and the words on it.
    let want: BTreeMap<String, Vec<(String, u64)>> = [
        ("source-path-missing", vec![("AZSM1020", 1)]), // line 2
        ("source-read-denied", vec![("AZSM1020", 1)]),  // line 3, "Permission denied": case ignored
        ("source-io-error", vec![("AZSM1020", 1)]),     // line 4
        ("target-lease-held", vec![("AZSM1027", 1)]),   // line 5
        ("key-vault-forbidden", vec![("AZSM1028", 1)]), // line 6
        ("ssl-interception", vec![("AZSM1042", 1)]),    // line 7
        // line 8 (1060's own words), line 18 (AzCopy's ServiceCode on 2080)
        (
            "invalid-resource-name",
            vec![("AZSM1060", 1), ("AZSM2080", 1)],
        ),
        // line 9 and line 17
        ("share-full", vec![("AZSM1060", 1), ("AZSM2080", 1)]),
        ("smb-bad-file-descriptor", vec![("AZSM1060", 1)]), // line 10
        ("private-endpoint-dns", vec![("AZSM1060", 1)]),    // line 11
        // line 12 (the longer 1060 row beats its 403 row), lines 14 and 15
        ("missing-data-role", vec![("AZSM2080", 2), ("AZSM1060", 1)]),
        ("storage-firewall", vec![("AZSM2080", 1)]), // line 16
        ("-", vec![("AZSM1060", 1)]),                // line 13: no trigger, the catalog's text
    ]
    .into_iter()
    .map(|(k, v)| {
        (
            k.to_string(),
            v.into_iter().map(|(c, n)| (c.to_string(), n)).collect(),
        )
    })
    .collect();
    assert_eq!(by_cause(&r), want);
    // Line 19, the connectivity test's 409, is healthy: counted, not a finding.
    assert_eq!(
        r["not_errors"],
        json!([{"code": "AZSM1042", "cause": "endpoint-reachable", "count": 1,
                "meaning": "Not an error: during the agent's endpoint connectivity test this answer means the storage endpoint is reachable."}])
    );
    let c1042 = r["codes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "AZSM1042")
        .unwrap();
    assert_eq!(
        (c1042["count"].as_u64(), c1042["healthy"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(r["summary"]["events"], 18);
    assert_eq!(r["summary"]["findings"], 17);
    assert_eq!(r["jobs"][0]["findings"], 17);
    assert_eq!(r["jobs"][0]["events"], 18);
    // Sub-causes are actionable, so among the critical entries (all 1 job
    // run) they come before 1060's retry advice: most events first, then the
    // lowest code, then by name. storage-firewall holds only AZSM2080, an
    // item failure (error), so it comes after every critical entry.
    let rem = r["remediations"].as_array().unwrap();
    let order: Vec<(&str, &str, &str)> = rem
        .iter()
        .map(|e| {
            (
                e["cause"].as_str().unwrap_or("-"),
                e["severity"].as_str().unwrap(),
                e["advice"].as_str().unwrap(),
            )
        })
        .collect();
    let c = "critical";
    let a = "actionable";
    assert_eq!(
        order,
        [
            ("missing-data-role", c, a),     // 3 events
            ("invalid-resource-name", c, a), // 2 events, lowest code 1060
            ("share-full", c, a),            // 2 events, lowest code 1060
            ("source-io-error", c, a),       // 1 event each from here: AZSM1020
            ("source-path-missing", c, a),
            ("source-read-denied", c, a),
            ("target-lease-held", c, a),    // AZSM1027
            ("key-vault-forbidden", c, a),  // AZSM1028
            ("ssl-interception", c, a),     // AZSM1042
            ("private-endpoint-dns", c, a), // AZSM1060
            ("smb-bad-file-descriptor", c, a),
            ("-", c, "retry"),
            ("storage-firewall", "error", a),
        ]
    );
    // The fix of a sub-cause is the entry's mitigation; its words are quoted.
    let share = rem.iter().find(|e| e["cause"] == "share-full").unwrap();
    assert!(share["mitigation"]
        .as_str()
        .unwrap()
        .starts_with("The target file share is full."));
    assert_eq!(share["example"]["line"], 9);
    assert_eq!(share["example"]["matched"], "The specified share is full");
    let denied = rem
        .iter()
        .find(|e| e["cause"] == "source-read-denied")
        .unwrap();
    assert_eq!(
        denied["example"]["matched"], "Permission denied",
        "as written in the log"
    );
}

#[test]
fn the_text_summary_names_the_cause_and_quotes_the_words() {
    let run = azsm(&["scan", FIXTURE]);
    assert_eq!(run.status, 1);
    assert!(
        run.stdout
            .starts_with("What to fix first: 13 remediations, 17 findings in 1 job run\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(
        "\n    cause  ssl-interception: the log says \"x509: certificate signed by unknown authority\"\n"
    ));
    assert!(run
        .stdout
        .contains("the log names the cause, a specific fix is known"));
    assert!(run.stdout.contains(
        "\n  not errors (healthy states the log reports, not findings): AZSM1042 ×1 endpoint-reachable\n"
    ));
}

#[test]
fn a_code_splits_by_cause_and_the_specific_fix_ranks_first() {
    // Many AZSM1060 with no words (the catalog's retry advice), broader and
    // more frequent, and a few that say the share is full.
    let mut log = String::new();
    for i in 0..50 {
        log.push_str(&format!(
            "2024-03-20T10:00:{:02}Z ERROR jobRunName=run-{} AZSM1060 context deadline exceeded\n",
            i % 60,
            i % 5
        ));
    }
    log.push_str("2024-03-20T11:00:00Z ERROR jobRunName=run-9 AZSM1060 write /share/a: The specified share is full.\n");
    log.push_str("2024-03-20T11:00:01Z ERROR jobRunName=run-9 AZSM1060 PUT /share/con: InvalidResourceName\n");
    let t = Tree::new().file("agent.log", log);
    let r = azsm(&["scan", "--format", "json", &t.arg("agent.log")]).json();
    let rem = r["remediations"].as_array().unwrap();
    let got: Vec<(Value, Value, Value)> = rem
        .iter()
        .map(|e| (e["cause"].clone(), e["advice"].clone(), e["events"].clone()))
        .collect();
    assert_eq!(
        got,
        [
            (
                json!("invalid-resource-name"),
                json!("actionable"),
                json!(1)
            ),
            (json!("share-full"), json!("actionable"), json!(1)),
            (Value::Null, json!("retry"), json!(50)),
        ]
    );
    assert!(rem[2]["mitigation"]
        .as_str()
        .unwrap()
        .contains("For other errors, retry the job"));
    // The code itself is still one row of codes[].
    assert_eq!(code_counts(&r), cc(&[("AZSM1060", 52)]));
}

#[test]
fn the_connectivity_409_is_never_a_finding() {
    let line = "2024-03-20T09:00:18Z INFO jobRunName=run-1 AZSM1042 endpoint connectivity test https://contosomig.blob.core.windows.net: HTTP/1.1 409 Public access is not permitted on this storage account.\n";
    let t = Tree::new().file("xdmsh.log", line);
    let run = azsm(&["scan", "--format", "json", &t.arg("xdmsh.log")]);
    assert_eq!(run.status, 0, "healthy only: nothing to fix");
    let r = run.json();
    assert_eq!(r["summary"]["events"], 1);
    assert_eq!(r["summary"]["findings"], 0);
    assert_eq!(r["summary"]["remediations"], 0);
    assert_eq!(r["jobs"][0]["findings"], 0);
    assert_eq!(r["scopes"][0]["findings"], 0);
    assert_eq!(r["not_errors"][0]["cause"], "endpoint-reachable");
    let text = azsm(&["scan", &t.arg("xdmsh.log")]);
    assert!(
        text.stdout.starts_with("Nothing to fix (1 event seen"),
        "{}",
        text.stdout
    );
    // Without the words, the same code is a finding.
    let t = Tree::new().file(
        "x.log",
        "2024-03-20T09:00:18Z ERROR AZSM1042 endpoint test failed: HTTP/1.1 403 Forbidden\n",
    );
    assert_eq!(azsm(&["scan", &t.arg("x.log")]).status, 1);
}

#[test]
fn a_users_table_adds_and_overrides_rows_and_bad_rows_warn() {
    let table = "\
# our runbook
code\ttrigger\tname\tkind\tfix\tsource
AZSM2062\tDisk quota exceeded\tnas-quota\tfix\tRaise the user quota on the NAS export (runbook 12).\tops wiki
AZSM1060\tthe specified share is full\tshare-full\tfix\tAsk the storage team to grow the share (ticket queue STOR).
AZSM20x2\tbroken\trow\tfix\tnever loaded
*\tRequestThrottled\tthrottled\thealthy\tThrottling is expected at night.
";
    let log = "\
2024-03-20T09:00:00Z ERROR jobRunName=r1 AZSM2062 write /export/a: disk quota exceeded
2024-03-20T09:00:01Z ERROR jobRunName=r1 AZSM1060 The specified share is full.
2024-03-20T09:00:02Z ERROR jobRunName=r1 AZSM2080 RequestThrottled, will back off
2024-03-20T09:00:03Z ERROR jobRunName=r1 AZSM2080 ServiceCode=ShareFull
";
    let t = Tree::new().file("causes.tsv", table).file("a.log", log);
    let run = azsm(&[
        "scan",
        "--format",
        "json",
        "--causes",
        &t.arg("causes.tsv"),
        &t.arg("a.log"),
    ]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "azsm: warning: {}:5: code \"AZSM20x2\" is neither AZSM followed by four digits nor *; row skipped\n",
            t.arg("causes.tsv")
        )
    );
    let r = run.json();
    let rem = r["remediations"].as_array().unwrap();
    let find = |cause: &str| rem.iter().find(|e| e["cause"] == cause).unwrap().clone();
    let quota = find("nas-quota");
    assert_eq!(
        quota["mitigation"],
        "Raise the user quota on the NAS export (runbook 12)."
    );
    assert_eq!(quota["counts"], json!([{"code": "AZSM2062", "count": 1}]));
    // The overridden row is the first named share-full: its fix is now the
    // sub-cause's, whichever of its triggers matched (ServiceCode=ShareFull
    // on AZSM2080 too).
    let ours = find("share-full");
    assert_eq!(
        ours["mitigation"],
        "Ask the storage team to grow the share (ticket queue STOR)."
    );
    assert_eq!(
        ours["counts"],
        json!([{"code": "AZSM1060", "count": 1}, {"code": "AZSM2080", "count": 1}])
    );
    assert_eq!(rem.len(), 2, "RequestThrottled is healthy: not ranked");
    assert_eq!(r["not_errors"][0]["cause"], "throttled");
    // The table's rows also show in explain.
    let ex = azsm(&[
        "explain",
        "--format",
        "json",
        "--causes",
        &t.arg("causes.tsv"),
        "2062",
    ])
    .json();
    let names: Vec<&str> = ex[0]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "nas-quota");
    assert_eq!(ex[0]["causes"][0]["source"], "ops wiki");
    // An unreadable table stops the command before any work.
    let run = azsm(&["scan", "--causes", &t.arg("missing.tsv"), &t.arg("a.log")]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("cannot read the sub-cause table")
            && run.stderr.contains("missing.tsv"),
        "{}",
        run.stderr
    );
}

#[test]
fn explain_lists_a_codes_sub_causes() {
    let run = azsm(&["explain", "AZSM1060"]);
    assert_eq!(run.status, 0);
    let out = &run.stdout;
    for line in [
        "  sub-causes   words on its line (ignoring case) that name the problem and its fix:",
        "    invalid-resource-name: \"InvalidResourceName\", \"ServiceCode=InvalidResourceName\" (any code)",
        "    share-full: \"The specified share is full\", \"ServiceCode=ShareFull\" (any code)",
        "    smb-bad-file-descriptor: \"bad file descriptor\"",
        "    private-endpoint-dns: \"403 This request is not authorized to perform this operation\"",
        "  also         5 sub-causes for any code: azsm explain --any",
    ] {
        assert!(out.lines().any(|l| l == line), "missing {line:?} in\n{out}");
    }
    assert!(
        !out.contains("source-path-missing"),
        "AZSM1020's rows are not 1060's"
    );
    let j = azsm(&["explain", "--format", "json", "1060"]).json();
    let causes = j[0]["causes"].as_array().unwrap();
    assert_eq!(causes.len(), 11);
    assert_eq!(
        causes[1],
        json!({"code": "AZSM1060", "trigger": "The specified share is full", "name": "share-full",
               "kind": "fix",
               "fix": "The target file share is full. Verify the capacity of the target share: provision more capacity for a premium share; enable large file shares or raise the quota of a standard share.",
               "source": "Microsoft Learn status-code page (ms.date 03/30/2025), AZSM1060 mitigation"})
    );
    // `codes` lists codes, not their sub-causes.
    let codes = azsm(&["codes", "--format", "json"]).json();
    assert!(codes[1].get("causes").is_none());
}

#[test]
fn merged_reports_keep_the_split_and_the_healthy_events() {
    let log = std::fs::read_to_string(FIXTURE).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let (a, b) = lines.split_at(10);
    let t = Tree::new()
        .file("all/a/x.log", a.join("\n") + "\n")
        .file("all/b/x.log", b.join("\n") + "\n");
    let whole = azsm(&["scan", "--format", "json", &t.arg("all")]);
    let ra = azsm(&["scan", "--format", "json", &t.arg("all/a")]);
    let rb = azsm(&["scan", "--format", "json", &t.arg("all/b")]);
    // The merged report names inputs as the parts did: compare what does
    // not depend on the root given (remediations, not_errors, summary).
    let ta = Tree::new()
        .file("a.json", &ra.stdout)
        .file("b.json", &rb.stdout);
    let merged = azsm(&[
        "merge",
        "--format",
        "json",
        &ta.arg("a.json"),
        &ta.arg("b.json"),
    ]);
    assert_eq!(merged.status, 1, "{}", merged.stderr);
    let (m, w) = (merged.json(), whole.json());
    assert_eq!(m["summary"], w["summary"]);
    assert_eq!(m["not_errors"], w["not_errors"]);
    let strip = |r: &Value| -> Vec<(Value, Value, Value, Value)> {
        r["remediations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["cause"].clone(),
                    e["counts"].clone(),
                    e["jobs"].clone(),
                    e["mitigation"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(strip(&m), strip(&w));
    assert!(w["codes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c.get("causes").is_some()));
    // A sub-cause the table does not know: the report came with another
    // --causes file.
    let renamed = ra.stdout.replace("\"ssl-interception\"", "\"our-proxy\"");
    let tr = Tree::new().file("r.json", renamed);
    let run = azsm(&["merge", &tr.arg("r.json")]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("names the sub-cause 'our-proxy'") && run.stderr.contains("--causes"),
        "{}",
        run.stderr
    );
}

#[test]
fn every_format_carries_the_cause() {
    let md = azsm(&["scan", "--format", "markdown", FIXTURE]).stdout;
    assert!(
        md.contains(
            "| 3 | critical | Miscellaneous error during job execution. (sub-cause share-full) |"
        ),
        "{md}"
    );
    let gh = azsm(&["scan", "--format", "github", FIXTURE]).stdout;
    assert!(gh.contains(",title=azsm #1 critical%3A Copy failed due to an unknown error (sub-cause missing-data-role)::"), "{gh}");
    // SARIF rules and JUnit failures are per code: the catalog's text, then
    // each sub-cause the code was seen with, with its words.
    let sarif = azsm(&["scan", "--format", "sarif", FIXTURE]).json();
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let help = rules.iter().find(|r| r["id"] == "AZSM1060").unwrap()["help"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        help.starts_with("This error may occur due to various reasons."),
        "{help}"
    );
    assert!(help.contains(" When the log says \"The specified share is full\" (share-full): The target file share is full."), "{help}");
    let junit = azsm(&["scan", "--format", "junit", FIXTURE]).stdout;
    assert!(junit.contains("When the log says &quot;x509: certificate signed by unknown authority&quot; (ssl-interception)"), "{junit}");
    // Per-event records name the cause; the healthy 409 is no finding.
    let nd = azsm(&["scan", "--format", "ndjson", FIXTURE]).stdout;
    let recs: Vec<Value> = nd
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let at = |line: u64| recs.iter().find(|r| r["line"] == line).unwrap().clone();
    assert_eq!(
        (at(9)["cause"].clone(), at(9)["finding"].clone()),
        (json!("share-full"), json!(true))
    );
    assert_eq!(
        (at(13)["cause"].clone(), at(13)["finding"].clone()),
        (Value::Null, json!(true))
    );
    assert_eq!(
        (at(19)["cause"].clone(), at(19)["finding"].clone()),
        (json!("endpoint-reachable"), json!(false))
    );
    let csv = azsm(&["scan", "--format", "csv", FIXTURE]).stdout;
    assert!(
        csv.lines()
            .any(|l| l.contains(",19,AZSM1042,") && l.ends_with(",false,,,endpoint-reachable")),
        "{csv}"
    );
}

#[test]
fn exports_get_sub_causes_and_the_window_too() {
    let row = |t: &str, code: &str, msg: &str| {
        format!("{{\"TenantId\":\"72f988bf-86f1-41af-91ab-2d7cd011db47\",\"TimeGenerated\":\"{t}\",\"JobRunName\":\"1f0e2d3c-aaaa-4bbb-8ccc-000000000001\",\"Level\":\"Error\",\"Message\":\"{msg}\",\"StatusCode\":\"{code}\",\"Type\":\"StorageMoverJobRunLogs\"}}\n")
    };
    let rows = [
        row(
            "2024-03-15T08:30:00Z",
            "AZSM1060",
            "write failed: The specified share is full.",
        ),
        row(
            "2024-03-16T08:30:00Z",
            "AZSM1060",
            "PUT /share/con: InvalidResourceName",
        ),
        row(
            "2024-03-16T09:00:00Z",
            "AZSM1060",
            "context deadline exceeded",
        ),
    ]
    .concat();
    let t = Tree::new().file("jobrunlogs.jsonl", rows);
    let r = azsm(&["scan", "--format", "json", &t.arg("jobrunlogs.jsonl")]).json();
    assert_eq!(r["codes"][0]["count"], 3, "{r}");
    let causes: Vec<Value> = r["remediations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["cause"].clone())
        .collect();
    assert_eq!(
        causes,
        [
            json!("invalid-resource-name"),
            json!("share-full"),
            Value::Null
        ]
    );
    let r = azsm(&[
        "scan",
        "--format",
        "json",
        "--since",
        "2024-03-16",
        &t.arg("jobrunlogs.jsonl"),
    ])
    .json();
    assert_eq!(r["window"]["outside"], 1);
    let causes: Vec<Value> = r["remediations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["cause"].clone())
        .collect();
    assert_eq!(causes, [json!("invalid-resource-name"), Value::Null]);
}
