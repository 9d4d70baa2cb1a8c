//! `--fail-on`, `--baseline`, `azsm merge` and `azsm kql`.

use serde_json::Value;

use crate::harness::*;

const BUNDLE: &str = "fixtures/support-bundle";

#[test]
fn fail_on_each_form() {
    // Only a warning (unsupported item) and an informational code.
    let warn = Tree::new().file("w.log", "AZSM2021 jobRunName=a\nAZSM2001 jobRunName=a\n");
    let w = warn.arg("w.log");
    let status = |extra: &[&str], path: &str| {
        let mut args = vec!["scan", path];
        args.extend_from_slice(extra);
        let run = azsm(&args);
        (run.status, run.stderr)
    };
    assert_eq!(status(&[], &w).0, 0, "the default, error, ignores warnings");
    assert_eq!(status(&["--fail-on", "error"], &w).0, 0);
    assert_eq!(status(&["--fail-on", "warning"], &w).0, 1);
    assert_eq!(status(&["--fail-on", "never"], &w).0, 0);
    assert_eq!(status(&["--fail-on", "AZSM2021"], &w).0, 1);
    assert_eq!(status(&["--fail-on", "AZSM1024,azsm2062"], &w).0, 0);
    assert_eq!(
        status(&["--fail-on", "AZSM2001"], &w).0,
        1,
        "listed codes count even when informational"
    );
    assert_eq!(status(&["--fail-on", "item"], &w).0, 1);
    assert_eq!(status(&["--fail-on", "job"], &w).0, 0);
    // The bundle has critical and error findings.
    assert_eq!(status(&[], BUNDLE).0, 1);
    assert_eq!(status(&["--fail-on", "never"], BUNDLE).0, 0);
    assert_eq!(status(&["--fail-on", "agent"], BUNDLE).0, 1);
    let err = Tree::new().file("e.log", "AZSM2062 x\n");
    assert_eq!(
        status(&[], &err.arg("e.log")).0,
        1,
        "error severity meets error"
    );
    let crit = Tree::new().file("c.log", "AZSM1024 x\n");
    assert_eq!(status(&["--fail-on", "item"], &crit.arg("c.log")).0, 0);
    // Errors stay 2 whatever the threshold.
    let missing = warn.arg("nope.log");
    assert_eq!(status(&["--fail-on", "never"], &missing).0, 2);
    // Bad values name the flag.
    for bad in ["sometimes", "AZSM10245", "", "AZSM1024,", "new"] {
        let (code, stderr) = status(&["--fail-on", bad], &w);
        assert_eq!(code, 2, "{bad:?}");
        assert!(stderr.contains("--fail-on"), "{bad:?}: {stderr}");
    }
    let (_, stderr) = status(&["--fail-on", "new"], &w);
    assert!(stderr.contains("--baseline"), "{stderr}");
}

fn write_report(tree: &Tree, name: &str, log: &str) -> String {
    let t = Tree::new().file("agent.log", log);
    let run = azsm(&["scan", &t.arg("agent.log"), "--format", "json"]);
    let path = tree.arg(name);
    std::fs::write(&path, &run.stdout).unwrap();
    path
}

#[test]
fn baseline_marks_codes_in_every_format() {
    let dir = Tree::new();
    let before = write_report(
        &dir,
        "before.json",
        "jobRunName=a AZSM1024\njobRunName=a AZSM1024\nAZSM2062 x\nAZSM1045 x\nAZSM2021\nAZSM2021\n",
    );
    let now = Tree::new().file(
        "agent.log",
        "jobRunName=a AZSM1024\njobRunName=a AZSM1024\nAZSM2062\nAZSM2062\nAZSM2062\nAZSM2021\nAZSM1001\n",
    );
    let log = now.arg("agent.log");
    let run = azsm(&["scan", &log, "--format", "json", "--baseline", &before]);
    assert_eq!(run.status, 1);
    let v = run.json();
    let change = |code: &str| -> Value {
        v["codes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .unwrap()["change"]
            .clone()
    };
    assert_eq!(change("AZSM1001"), "new");
    assert_eq!(change("AZSM1024"), "unchanged");
    assert_eq!(change("AZSM2062"), "increased");
    assert_eq!(change("AZSM2021"), "decreased");
    let b = &v["baseline"];
    assert_eq!(
        b["totals"],
        serde_json::json!({"new": 1, "increased": 1, "unchanged": 1, "decreased": 1, "resolved": 1})
    );
    let resolved: Vec<&Value> = b["codes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"] == "resolved")
        .collect();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0]["code"], "AZSM1045");
    assert_eq!(resolved[0]["previous"], 1);
    let rem = v["remediations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["codes"][0] == "AZSM1001")
        .unwrap();
    assert_eq!(rem["change"], "new");

    let out =
        |format: &str| azsm(&["scan", &log, "--format", format, "--baseline", &before]).stdout;
    let text = out("text");
    assert!(
        text.contains("[new]") && text.contains("1 resolved codes (AZSM1045 ×1)"),
        "{text}"
    );
    let md = out("markdown");
    assert!(md.contains("| Change |") && md.contains("| new |") && md.contains("AZSM1045 ×1"));
    let sarif: Value = serde_json::from_str(&out("sarif")).unwrap();
    let states: Vec<(&str, &str)> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap(),
                r["baselineState"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(states.contains(&("AZSM1001", "new")));
    assert!(states.contains(&("AZSM2062", "updated")));
    assert!(states.contains(&("AZSM1024", "unchanged")));
    assert_eq!(
        sarif["runs"][0]["properties"]["resolved"],
        serde_json::json!(["AZSM1045"])
    );
    let xml = out("junit");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let f = doc
        .descendants()
        .find(|n| {
            n.has_tag_name("failure") && n.attribute("message").unwrap().starts_with("AZSM1001")
        })
        .unwrap();
    assert!(f.text().unwrap().contains("Against the baseline: new"));
    let gh = out("github");
    assert!(
        gh.lines()
            .any(|l| l.starts_with("::error ") && l.contains("[new]%3A")),
        "{gh}"
    );
    assert!(gh.contains("::notice title=azsm%3A resolved since the baseline::AZSM1045"));
    let nd = out("ndjson");
    let recs: Vec<Value> = nd
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        recs.iter().find(|r| r["code"] == "AZSM1001").unwrap()["change"],
        "new"
    );
    let csv_text = out("csv");
    // `change` is the 10th column (an `item` column follows it since issue 5).
    let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
    assert!(rdr
        .records()
        .map(|r| r.unwrap())
        .any(|r| &r[2] == "AZSM2062" && &r[9] == "increased"));

    // --fail-on new: fails only on what is new.
    let fail =
        |baseline: &str| azsm(&["scan", &log, "--fail-on", "new", "--baseline", baseline]).status;
    assert_eq!(fail(&before), 1);
    let same = write_report(&dir, "same.json", &std::fs::read_to_string(&log).unwrap());
    assert_eq!(fail(&same), 0, "nothing new against itself");
    let bad = dir.arg("bad.json");
    std::fs::write(&bad, "{not json").unwrap();
    let run = azsm(&["scan", &log, "--baseline", &bad]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr
            .contains(&format!("cannot use {bad} as an azsm report")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--baseline"), "{}", run.stderr);
    assert_eq!(run.stdout, "", "checked before the scan");
}

#[test]
fn merging_two_halves_gives_the_whole() {
    let dir = Tree::new();
    let half = |name: &str, parts: &[&str]| {
        let path = dir.arg(name);
        let mut args = vec!["scan".to_string()];
        args.extend(parts.iter().map(|p| format!("{BUNDLE}/{p}")));
        args.extend([
            "--json".to_string(),
            path.clone(),
            "--format".into(),
            "text".into(),
        ]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(azsm(&args).status, 1);
        path
    };
    let a = half("a.json", &["misc", "root"]);
    let b = half("b.json", &["run", "var"]);
    let whole = azsm(&["scan", BUNDLE, "--format", "json"]);
    let merged = azsm(&["merge", &a, &b, "--format", "json"]);
    assert_eq!(merged.status, 1, "{}", merged.stderr);
    assert_eq!(merged.json(), whole.json());
    assert_eq!(merged.stdout, whole.stdout, "byte for byte");
    let swapped = azsm(&["merge", &b, &a, "--format", "json"]);
    assert_eq!(swapped.stdout, whole.stdout, "order does not matter");
    // The halves really are different: neither equals the whole.
    let av: Value = serde_json::from_str(&std::fs::read_to_string(&a).unwrap()).unwrap();
    assert_ne!(av["summary"], whole.json()["summary"]);
    // Other formats and the threshold work on merged reports too.
    let text = azsm(&["merge", &a, &b]);
    assert_eq!(text.stdout, azsm(&["scan", BUNDLE]).stdout);
    assert_eq!(azsm(&["merge", &a, &b, "--fail-on", "never"]).status, 0);
    let events = azsm(&["merge", &a, &b, "--format", "ndjson"]);
    assert_eq!(events.status, 2);
    assert!(
        events
            .stderr
            .contains("invalid value 'ndjson' for '--format <FORMAT>'"),
        "{}",
        events.stderr
    );
    let sarif = azsm(&["merge", &a, &b, "--format", "sarif"]).json();
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        azsm(&["scan", BUNDLE, "--format", "sarif"]).json()["runs"][0]["results"]
            .as_array()
            .unwrap()
            .len()
    );
}

#[test]
fn merge_rejects_bad_reports_naming_the_file() {
    let dir = Tree::new()
        .file("text.json", "What to fix first")
        .file("v9.json", r#"{"version": 9}"#)
        .file("partial.json", r#"{"version": 1, "codes": []}"#);
    let good = write_report(&dir, "good.json", "AZSM1024\n");
    let mut old: Value = serde_json::from_str(&std::fs::read_to_string(&good).unwrap()).unwrap();
    old["codes"][0].as_object_mut().unwrap().remove("sites");
    let old_path = dir.arg("old.json");
    std::fs::write(&old_path, old.to_string()).unwrap();
    for (name, why) in [
        ("text.json", "not JSON"),
        ("v9.json", "schema version 9, this azsm reads 1"),
        ("partial.json", "not a report"),
        ("old.json", "has no \"sites\""),
        ("missing.json", "No such file"),
    ] {
        let path = dir.arg(name);
        let run = azsm(&["merge", &good, &path]);
        assert_eq!(run.status, 2, "{name}");
        assert_eq!(run.stdout, "", "{name}");
        assert!(
            run.stderr
                .contains(&format!("cannot use {path} as an azsm report")),
            "{name}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(why), "{name}: {}", run.stderr);
    }
}

#[test]
fn kql_queries_name_the_tables_and_are_stable() {
    let run = azsm(&["kql"]);
    assert_eq!(run.status, 0);
    let q = &run.stdout;
    assert_eq!(q, &azsm(&["kql"]).stdout, "same text every time");
    for needle in [
        "StorageMoverCopyLogsFailed",
        "StorageMoverJobRunLogs",
        "TimeGenerated",
        "JobRunName",
        "StatusCode",
        "ItemPath",
        "ago(7d)",
        "summarize Events = count()",
        "by StatusCode, Scope, Severity, Finding",
        "by JobRun\n",
        "order by SeverityRank asc, AdviceRank asc, JobRuns desc, Events desc, Remediation asc",
        "\"AZSM1024\", \"AZSM1024\", \"actionable\",",
        "\"AZSM2080\", \"AZSM1040\", \"retry\",",
    ] {
        assert!(q.contains(needle), "{needle}\n{q}");
    }
    assert_eq!(
        q.matches("let since = ago(7d);").count(),
        4,
        "four standalone queries"
    );
    // Columns that the tables do not have are never used.
    for col in ["Level", "Details", "TenantId"] {
        assert!(!q.contains(col), "{col}");
    }
    let day = azsm(&["kql", "--since", "36h"]);
    assert!(day.stdout.contains("ago(36h)") && !day.stdout.contains("ago(7d)"));
    let bad = azsm(&["kql", "--since", "7d; drop"]);
    assert_eq!(bad.status, 2);
    assert!(bad.stderr.contains("--since"), "{}", bad.stderr);
}

#[test]
fn readme_ci_snippets_run() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("## In CI and at fleet scale").unwrap();
    let section = &readme[start..readme[start..].find("\n## How it works").unwrap() + start];
    let dir = Tree::new();
    let tmp = dir.path().to_string_lossy().into_owned();
    let commands: Vec<String> = section
        .lines()
        .map(|l| l.trim().trim_start_matches("- "))
        .map(|l| l.trim_start_matches("run: ").trim_start_matches("script: "))
        .filter(|l| l.starts_with("azsm scan "))
        .map(|c| {
            c.replace("agent-logs", BUNDLE)
                .replace("$(Common.TestResultsDirectory)", &tmp)
                .replace("$(Build.ArtifactStagingDirectory)", &tmp)
        })
        .collect();
    assert_eq!(commands.len(), 3, "{commands:?}");
    let mut written = 0;
    for c in &commands {
        let c = c.split(" #").next().unwrap();
        let args: Vec<String> = c
            .split_whitespace()
            .skip(1)
            .map(|a| {
                if a.ends_with(".sarif") || a.ends_with(".xml") || a.ends_with(".md") {
                    written += 1;
                    if a.starts_with(&tmp) {
                        a.to_string()
                    } else {
                        format!("{tmp}/{a}")
                    }
                } else {
                    a.to_string()
                }
            })
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = azsm(&args);
        assert_eq!(run.status, 1, "{c}: {}", run.stderr);
    }
    assert_eq!(written, 4);
    let files = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(files, 4);
}

#[test]
fn a_scan_of_nothing_fails_in_every_ci_format() {
    let tree = Tree::new();
    std::fs::create_dir(tree.path().join("empty")).unwrap();
    let missing = tree.arg("gone");
    for path in [tree.arg("empty"), missing] {
        let run = |format: &str| {
            let run = azsm(&["scan", "--format", format, &path]);
            assert_eq!(run.status, 2, "{format}: {}", run.stderr);
            run.stdout
        };
        let junit = run("junit");
        let doc = roxmltree::Document::parse(&junit).expect("JUnit parses");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        assert_eq!(root.attribute("errors"), Some("1"), "{junit}");
        let error = doc
            .descendants()
            .find(|n| n.has_tag_name("error"))
            .unwrap_or_else(|| panic!("no <error>:\n{junit}"));
        let case = error.parent_element().unwrap();
        assert!(case.has_tag_name("testcase"));
        let suite = case.parent_element().unwrap();
        assert!(suite.has_tag_name("testsuite"));
        assert_eq!(suite.attribute("errors"), Some("1"));
        assert!(error.text().unwrap_or("").contains(&path), "{junit}");

        let sarif: Value = serde_json::from_str(&run("sarif")).unwrap();
        crate::formats::assert_valid_sarif(&sarif);
        let inv = &sarif["runs"][0]["invocations"][0];
        assert_eq!(inv["executionSuccessful"], false);
        let note = &inv["toolExecutionNotifications"][0];
        assert_eq!(note["level"], "error");
        assert!(note["message"]["text"].as_str().unwrap().contains(&path));

        let github = run("github");
        assert!(
            github
                .lines()
                .any(|l| l.starts_with("::error title=azsm%3A not scanned::") && l.contains(&path)),
            "{github}"
        );

        let json: Value = serde_json::from_str(&run("json")).unwrap();
        assert_eq!(json["errors"][0]["path"], path.as_str());

        let markdown = run("markdown");
        assert!(
            markdown.starts_with("## azsm: 1 input not scanned\n\n**Not scanned:** "),
            "{markdown}"
        );
        assert!(!markdown.contains("nothing to fix"), "{markdown}");
    }
}

#[test]
fn merge_counts_a_report_given_twice_once() {
    let tree = Tree::new()
        .file("a.log", "AZSM1024 jobRunName=j1\nAZSM2062 jobRunName=j1\n")
        .file("b.log", "AZSM1024 jobRunName=j2\n");
    let (r, s) = (tree.arg("r.json"), tree.arg("s.json"));
    assert_eq!(azsm(&["scan", &tree.arg("a.log"), "--json", &r]).status, 1);
    assert_eq!(azsm(&["scan", &tree.arg("b.log"), "--json", &s]).status, 1);
    let copy = tree.arg("copy.json");
    std::fs::copy(&r, &copy).unwrap();
    let link = tree.arg("link.json");
    std::os::unix::fs::symlink(&r, &link).unwrap();
    let once = azsm(&["merge", &r, "--format", "json"]);
    assert_eq!(once.status, 1, "{}", once.stderr);
    for (second, what) in [
        (&r, "given twice"),
        (&link, "the same file as"),
        (&copy, "the same bytes as"),
    ] {
        let run = azsm(&["merge", &r, second, "--format", "json"]);
        assert_eq!(run.status, 1, "{}", run.stderr);
        assert_eq!(
            code_counts(&run.json()),
            code_counts(&once.json()),
            "{what}"
        );
        assert!(
            run.stderr.contains(what) && run.stderr.contains(second.as_str()),
            "{what}: {}",
            run.stderr
        );
        if second != &r {
            assert!(run.stderr.contains(&format!("as {r}")), "{}", run.stderr);
        }
    }
    // Different reports still add up.
    let both = azsm(&["merge", &r, &s, "--format", "json"]);
    assert!(both.stderr.is_empty(), "{}", both.stderr);
    assert_eq!(
        code_counts(&both.json()),
        cc(&[("AZSM1024", 2), ("AZSM2062", 1)])
    );
}
