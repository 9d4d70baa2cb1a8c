//! Output formats (SARIF, GitHub, Markdown, JUnit, NDJSON, CSV), each
//! checked by parsing what it writes, and several outputs in one run.

use std::collections::BTreeSet;

use azsm::cli::config::Terminal;
use azsm::pipeline::file::InputCtx;
use serde_json::Value;

use crate::harness::*;

const BUNDLE: &str = "fixtures/support-bundle";

/// A log line with everything that breaks naive writers: invalid UTF-8,
/// control characters, `]]>`, `|`, `%`, `::`, `,`, quotes, HTML, a CR in
/// the middle of the line.
const HOSTILE: &[u8] =
    b"2024-03-15T08:00:00Z task=j|1%25::x,\"<b>\"]]> \xff\xfe\x01\x1b[31m\rAZSM1024 a|b::c%0A\n\
2024-03-15T08:00:01Z <script>&amp; AZSM2021 ]]> | %\r\n";

fn hostile_tree() -> Tree {
    Tree::new()
        .file("odd|na%me::,]]>.log", HOSTILE)
        .file("copy log/plain.log", "AZSM2062 jobRunName=ok\n")
}

/// The official SARIF 2.1.0 schema, vendored.
fn sarif_schema() -> (boon::Schemas, boon::SchemaIndex) {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/sarif-schema-2.1.0.json"
    ))
    .unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    compiler.add_resource("sarif.json", schema).unwrap();
    let index = compiler.compile("sarif.json", &mut schemas).unwrap();
    (schemas, index)
}

pub(crate) fn assert_valid_sarif(log: &Value) {
    let (schemas, index) = sarif_schema();
    if let Err(e) = schemas.validate(log, index) {
        panic!("SARIF does not validate: {e:#}\n{log:#}");
    }
}

#[test]
fn sarif_validates_and_meets_github_requirements() {
    let run = azsm(&["scan", BUNDLE, "--format", "sarif"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let log = run.json();
    assert_valid_sarif(&log);
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let r = &log["runs"][0];
    assert_eq!(r["tool"]["driver"]["name"], "azsm");
    let rules = r["tool"]["driver"]["rules"].as_array().unwrap();
    let report = azsm(&["scan", BUNDLE, "--format", "json"]).json();
    let findings: Vec<&Value> = report["codes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["finding"] == true)
        .collect();
    assert_eq!(rules.len(), findings.len(), "one rule per finding code");
    for rule in rules {
        for key in ["shortDescription", "fullDescription", "help"] {
            assert!(!rule[key]["text"].as_str().unwrap().is_empty(), "{key}");
        }
        assert!(rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("](https://"));
        let id = rule["id"].as_str().unwrap();
        assert_eq!(
            rule["helpUri"],
            format!("https://learn.microsoft.com/azure/storage-mover/status-code#{id}")
        );
    }
    let auth = rules.iter().find(|r| r["id"] == "AZSM1024").unwrap();
    assert!(auth["help"]["text"]
        .as_str()
        .unwrap()
        .starts_with("The agent doesn't have sufficient permission"));
    // One result per (code, file), at the first line, count in message and properties.
    let results = r["results"].as_array().unwrap();
    let sites: usize = findings
        .iter()
        .map(|c| c["sites"].as_array().unwrap().len())
        .sum();
    assert_eq!(results.len(), sites);
    let pairs: BTreeSet<(String, String)> = results
        .iter()
        .map(|x| {
            (
                x["ruleId"].as_str().unwrap().to_string(),
                x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(pairs.len(), results.len(), "no (code, file) twice");
    let r2062: Vec<&Value> = results
        .iter()
        .filter(|x| x["ruleId"] == "AZSM2062")
        .collect();
    assert_eq!(r2062.len(), 2, "AZSM2062 is in two files");
    let copy = r2062
        .iter()
        .find(|x| {
            x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == "root/xdmdata/copy%20log/5d7a2c4e-5555-4e6f-8a9b-0c1d2e3f4a5b.log"
        })
        .expect("URIs are relative to the scan root and encoded");
    assert_eq!(
        copy["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"],
        "SCANROOT"
    );
    assert_eq!(
        copy["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    assert_eq!(copy["properties"]["count"], 2);
    assert!(copy["message"]["text"]
        .as_str()
        .unwrap()
        .contains("2 events in this file"));
    assert_eq!(copy["level"], "error");
    let warn = results.iter().find(|x| x["ruleId"] == "AZSM2021").unwrap();
    assert_eq!(warn["level"], "warning");
    let crit = results.iter().find(|x| x["ruleId"] == "AZSM1024").unwrap();
    assert_eq!(crit["level"], "error");
    assert_eq!(
        rules[crit["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "AZSM1024"
    );
    assert_eq!(
        r["originalUriBaseIds"]["SCANROOT"]["uri"],
        "fixtures/support-bundle/"
    );
    assert_eq!(r["properties"]["resultsCut"], 0);
    // Results follow the ranking: rank 1's code first.
    assert_eq!(results[0]["ruleId"], report["remediations"][0]["codes"][0]);
}

#[test]
fn sarif_caps_results_and_says_what_was_cut() {
    use azsm::model::code::Code;
    use azsm::tally::{CodeTally, Site, Tally};
    use std::sync::Arc;
    let mut tally = Tally::default();
    let mut ct = CodeTally::default();
    let n = azsm::report::sarif::MAX_RESULTS + 7;
    for i in 0..n {
        let p: Arc<str> = Arc::from(format!("logs/f{i:05}.log"));
        ct.files.insert(p.clone());
        ct.sites.insert(p, Site { count: 1, line: 3 });
    }
    ct.count = n as u64;
    tally.codes.insert(Code::new(2062).unwrap(), ct);
    let report = azsm::report::Report::build(
        &tally,
        azsm::model::catalog::Catalog::embedded(),
        azsm::model::causes::Causes::embedded(),
        azsm::model::window::Window::default(),
    );
    let mut out = Vec::new();
    azsm::report::sarif::write(&report, Some("logs"), &mut out).unwrap();
    let log: Value = serde_json::from_slice(&out).unwrap();
    let run = &log["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), 25_000);
    assert_eq!(run["properties"]["resultsCut"], 7);
    assert_eq!(run["properties"]["results"], n);
    let note = run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
        .as_str()
        .unwrap();
    assert!(note.starts_with("7 of 25007 results were cut"), "{note}");
}

#[test]
fn every_format_is_well_formed_for_hostile_bytes() {
    let tree = hostile_tree();
    let root = tree.path().to_string_lossy().into_owned();
    let out = |f: &str| {
        let run = azsm(&[
            "scan",
            &root,
            "--format",
            f,
            "--job-pattern",
            r"task=(?P<job>\S+)",
        ]);
        assert_eq!(run.status, 1, "{f}: {}", run.stderr);
        run.stdout
    };
    // SARIF: validates, the odd file name is percent-encoded.
    let sarif: Value = serde_json::from_str(&out("sarif")).unwrap();
    assert_valid_sarif(&sarif);
    let uris: BTreeSet<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(
        uris.contains("odd%7Cna%25me%3A%3A%2C%5D%5D%3E.log"),
        "{uris:?}"
    );
    // JUnit: parses; the job id with | and % survives as text.
    let xml = out("junit");
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let failures: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failures.len(), 3);
    assert!(xml.contains("]]&gt;"));
    assert!(doc
        .descendants()
        .any(|n| n.attribute("name") == Some("job run j|1%25::x,\"<b>\"]]>")));
    // Markdown: every table row has its column count.
    let md = out("markdown");
    check_markdown_tables(&md);
    assert!(!md.contains("<script>") && !md.contains("<b>"));
    // GitHub: one command per line, nothing unescaped.
    let gh = out("github");
    for line in gh.lines() {
        assert!(
            line.starts_with("::error ")
                || line.starts_with("::warning ")
                || line.starts_with("::notice "),
            "{line}"
        );
        let (props, msg) = line
            .split_once("::")
            .map(|(_, rest)| rest.split_once("::").unwrap())
            .unwrap();
        assert!(!msg.contains('\r') && !msg.contains("%0"), "{msg}");
        assert!(!props.contains("::") && !msg.contains('\n'), "{props}");
    }
    assert!(
        gh.contains("file=") && gh.contains("odd|na%25me%3A%3A%2C]]>.log"),
        "{gh}"
    );
    // NDJSON and CSV parse, one record per event.
    let nd = out("ndjson");
    let recs: Vec<Value> = nd
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len(), 3);
    let rec = recs.iter().find(|r| r["code"] == "AZSM1024").unwrap();
    assert_eq!(rec["job"], "j|1%25::x,\"<b>\"]]>");
    let csv_text = out("csv");
    let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 3);
    assert!(rows
        .iter()
        .any(|r| &r[0] == format!("{root}/odd|na%me::,]]>.log").as_str()));
    // Text escapes control characters.
    assert!(!out("text").contains('\u{1b}'));
}

/// Splits a Markdown table row on its unescaped pipes.
fn cells(row: &str) -> usize {
    let mut n = 0;
    let mut escaped = false;
    for c in row.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => n += 1,
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    n
}

pub(crate) fn check_markdown_tables(md: &str) {
    let mut width = None;
    for line in md.lines() {
        if line.starts_with('|') {
            let n = cells(line);
            match width {
                None => width = Some(n),
                Some(w) => assert_eq!(n, w, "row breaks its table: {line}"),
            }
        } else {
            width = None;
        }
    }
}

#[test]
fn markdown_tables_and_size_limit() {
    let run = azsm(&["scan", BUNDLE, "--format", "markdown"]);
    assert_eq!(run.status, 1);
    check_markdown_tables(&run.stdout);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        // 12: AZSM1027 splits by sub-cause (target-lease-held on one line,
        // nothing on the other), see fixture_bundle.rs.
        "## azsm: 12 remediations, 19 findings in 6 job runs"
    );
    assert!(lines[2].starts_with("| # | Severity | Remediation |"));
    assert!(lines[4].starts_with("| 1 | critical | Authorization failure accessing the target location | AZSM1024 ×2 | 2 | 1 | fixtures/support-bundle/var/log/xdatamoved.log:5 |"));
    assert!(run.stdout.contains("### Job runs (6)"));
    // 7000 unknown codes, each its own remediation: far over 1 MiB uncut.
    let log: String = (3000..10000).map(|n| format!("AZSM{n:04}\n")).collect();
    let tree = Tree::new().file("many.log", log);
    let run = azsm(&["scan", &tree.arg("many.log"), "--format", "markdown"]);
    assert!(run.stdout.len() < 1 << 20, "{} bytes", run.stdout.len());
    assert!(run.stdout.len() > 900 << 10);
    check_markdown_tables(&run.stdout);
    assert!(run.stdout.contains("rows were cut to stay under 1 MiB"));
}

#[test]
fn github_annotations_pick_by_rank_and_summarise_the_rest() {
    // 12 critical unknown job codes and 12 warning-level unknown-scope codes.
    let mut log = String::new();
    for n in 1081..1093 {
        log.push_str(&format!("2024-01-01T00:00:00Z jobRunId=J1 AZSM{n}\n"));
    }
    for n in 3001..3013 {
        log.push_str(&format!("AZSM{n}\n"));
    }
    let tree = Tree::new().file("a.log", &log);
    let run = azsm(&[
        "scan",
        &tree.arg("a.log"),
        "--format",
        "github",
        "--fail-on",
        "warning",
    ]);
    assert_eq!(run.status, 1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("::error ")).count(),
        10
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("::warning ")).count(),
        10
    );
    assert_eq!(lines.len(), 21);
    let file = tree.arg("a.log");
    assert_eq!(
        lines[0],
        format!(
            "::error file={},line=1,title=azsm #1 critical%3A Unknown status code AZSM1081::AZSM1081 ×1; 1 event in 1 job run. Fix: AZSM1081 is not in the catalog. Its digits say: job scope, reserved range 1081-1100. Look it up at https://learn.microsoft.com/azure/storage-mover/status-code#AZSM1081 or pass a newer copy of the page with --catalog; if it is not documented, open a support ticket quoting the example line. Docs: https://learn.microsoft.com/azure/storage-mover/status-code#AZSM1081",
            file.replace(':', "%3A").replace(',', "%2C")
        )
    );
    let notice = lines[20];
    assert!(
        notice.starts_with("::notice title=azsm%3A 4 more remediations::Not shown as annotations"),
        "{notice}"
    );
    for code in ["AZSM1091", "AZSM1092", "AZSM3011", "AZSM3012"] {
        assert!(notice.contains(code), "{code}");
    }
}

#[test]
fn github_appends_the_step_summary() {
    let tree = Tree::new().file("summary.md", "earlier step\n");
    let path = tree.path().join("summary.md");
    let term = Terminal {
        step_summary: Some(path.clone()),
        ..Terminal::default()
    };
    let run = azsm_with(&["scan", BUNDLE, "--format", "github"], b"", term.clone());
    assert_eq!(run.status, 1);
    let md = std::fs::read_to_string(&path).unwrap();
    let direct = azsm(&["scan", BUNDLE, "--format", "markdown"]).stdout;
    assert_eq!(md, format!("earlier step\n{direct}"));
    // Other formats leave it alone.
    azsm_with(&["scan", BUNDLE], b"", term);
    assert_eq!(std::fs::read_to_string(&path).unwrap().len(), md.len());
}

#[test]
fn junit_has_a_suite_per_job_run_and_a_case_per_code() {
    let run = azsm(&["scan", BUNDLE, "--format", "junit"]);
    let doc = roxmltree::Document::parse(&run.stdout).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    let names: Vec<&str> = suites
        .iter()
        .map(|s| s.attribute("name").unwrap())
        .collect();
    assert_eq!(names.len(), 8, "{names:?}");
    let unattributed: Vec<&str> = suites[7]
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|n| n.attribute("name").unwrap())
        .collect();
    assert_eq!(unattributed, ["AZSM0000 Success"]);
    assert_eq!(names[6], "agent");
    assert_eq!(names[7], "unattributed");
    assert!(names[..6].iter().all(|n| n.starts_with("job run ")));
    let report = azsm(&["scan", BUNDLE, "--format", "json"]).json();
    let mut total = 0;
    for (s, job) in suites[..6].iter().zip(report["jobs"].as_array().unwrap()) {
        let cases: Vec<_> = s
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), job["codes"].as_array().unwrap().len());
        assert_eq!(s.attribute("tests").unwrap(), cases.len().to_string());
        let failed = cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
            .count();
        assert_eq!(s.attribute("failures").unwrap(), failed.to_string());
        total += cases.len();
    }
    let agent_cases: Vec<&str> = suites[6]
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|n| n.attribute("name").unwrap())
        .collect();
    assert_eq!(
        agent_cases,
        ["AZSM0001 not in the catalog", "AZSM0003 not in the catalog"]
    );
    total += agent_cases.len() + 1;
    assert_eq!(root.attribute("tests").unwrap(), total.to_string());
    let failure = doc
        .descendants()
        .find(|n| {
            n.has_tag_name("failure") && n.attribute("message").unwrap().starts_with("AZSM1024")
        })
        .unwrap();
    assert_eq!(failure.attribute("type"), Some("critical"));
    assert!(failure
        .text()
        .unwrap()
        .starts_with("The agent doesn't have sufficient permission"));
    // Success is a passing case.
    let ok = doc
        .descendants()
        .find(|n| n.attribute("name") == Some("AZSM0000 Success"))
        .unwrap();
    assert!(!ok.has_children());
}

#[test]
fn event_records_follow_input_then_line_order_for_any_thread_count() {
    let one = azsm(&["scan", BUNDLE, "--format", "ndjson", "-j", "1"]);
    let four = azsm(&["scan", BUNDLE, "--format", "ndjson", "-j", "4"]);
    assert_eq!(one.stdout, four.stdout);
    let recs: Vec<Value> = one
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let report = azsm(&["scan", BUNDLE, "--format", "json"]).json();
    assert_eq!(
        recs.len() as u64,
        report["summary"]["events"].as_u64().unwrap()
    );
    // Per-code counts and per-rule counts agree with the report.
    for c in report["codes"].as_array().unwrap() {
        let n = recs.iter().filter(|r| r["code"] == c["code"]).count() as u64;
        assert_eq!(n, c["count"].as_u64().unwrap(), "{}", c["code"]);
    }
    for rule in ["line", "path", "carried", "none", "agent"] {
        let n = recs.iter().filter(|r| r["rule"] == rule).count() as u64;
        assert_eq!(n, report["attribution"][rule].as_u64().unwrap(), "{rule}");
    }
    let first = &recs[0];
    assert_eq!(
        first["path"],
        "fixtures/support-bundle/root/xdmdata/archive/38fb0f65-b642-4cb7-a8a0-f406e3e6f85a/job.log"
    );
    assert_eq!(first["line"], 2);
    assert_eq!(first["severity"], "critical");
    assert_eq!(first["scope"], "job");
    assert_eq!(first["time"], "2024-03-14T11:00:10Z");
    // Input order (the walk's), then line.
    let mut seen: Vec<&str> = Vec::new();
    let mut last = (String::new(), 0);
    for r in &recs {
        let p = r["path"].as_str().unwrap();
        if seen.last() != Some(&p) {
            assert!(!seen.contains(&p), "{p} comes back");
            seen.push(p);
            last = (p.to_string(), 0);
        }
        let line = r["line"].as_u64().unwrap();
        assert!(line >= last.1);
        last.1 = line;
    }
    // CSV: the same records.
    let csv_run = azsm(&["scan", BUNDLE, "--format", "csv"]);
    let mut rdr = csv::Reader::from_reader(csv_run.stdout.as_bytes());
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        // `item` was added after `change` by the item-paths work (issue 5),
        // `cause` after it by the sub-causes work (issue 7).
        [
            "path", "line", "code", "job", "rule", "time", "scope", "severity", "finding",
            "change", "item", "cause"
        ]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), recs.len());
    for (row, rec) in rows.iter().zip(&recs) {
        assert_eq!(&row[0], rec["path"].as_str().unwrap());
        assert_eq!(&row[1], rec["line"].to_string());
        assert_eq!(&row[2], rec["code"].as_str().unwrap());
        assert_eq!(&row[3], rec["job"].as_str().unwrap_or(""));
        assert_eq!(&row[4], rec["rule"].as_str().unwrap());
        assert_eq!(&row[10], rec["item"].as_str().unwrap_or(""));
    }
}

#[test]
fn chunked_scans_resolve_pending_events_like_whole_ones() {
    use azsm::pipeline::{scan_bytes, ReadOptions};
    use azsm::scan::jobkey::KeyFinder;
    use azsm::scan::Scanner;
    let mut log = Vec::new();
    for i in 0..400 {
        if i % 50 == 0 {
            log.extend_from_slice(format!("jobRunName=job{i} started\n").as_bytes());
        }
        log.extend_from_slice(format!("line {i} AZSM2062 AZSM1024\n").as_bytes());
    }
    let scanner = Scanner::new(KeyFinder::new(None).unwrap()).recording_events(true);
    let whole = scan_bytes(
        &scanner,
        "x.log",
        &log,
        ReadOptions::default(),
        &InputCtx::none(),
    );
    let small = ReadOptions {
        chunk: 64,
        ..ReadOptions::default()
    };
    let chunked = scan_bytes(&scanner, "x.log", &log, small, &InputCtx::none());
    assert_eq!(whole.events.len(), 800);
    assert_eq!(whole.events, chunked.events);
    let streamed = azsm::pipeline::scan_reader(
        &scanner,
        "x.log",
        &log[..],
        ReadOptions {
            block: 100,
            chunk: 64,
            ..ReadOptions::default()
        },
        &InputCtx::none(),
    );
    assert_eq!(whole.events, streamed.events, "the stream path too");
    assert_eq!(chunked.events[0].job.as_deref(), Some("job0"));
    assert_eq!(chunked.events[799].job.as_deref(), Some("job350"));
    assert!(chunked.events.iter().all(|e| e.rule == "carried"));
    // Without a per-event format nothing is recorded.
    let plain = Scanner::new(KeyFinder::new(None).unwrap());
    assert!(scan_bytes(&plain, "x.log", &log, small, &InputCtx::none())
        .events
        .is_empty());
}

#[test]
fn several_outputs_in_one_run() {
    let dir = Tree::new();
    let f = |name: &str| dir.arg(name);
    let run = azsm(&[
        "scan",
        BUNDLE,
        "--format",
        "text",
        "--sarif",
        &f("o.sarif"),
        "--junit",
        &f("o.xml"),
        "--markdown",
        &f("o.md"),
        "--json",
        &f("o.json"),
        "--ndjson",
        &f("o.ndjson"),
        "--csv",
        &f("o.csv"),
    ]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stdout.starts_with("What to fix first: 12 remediations"));
    let read = |n: &str| std::fs::read_to_string(f(n)).unwrap();
    for (name, format) in [
        ("o.sarif", "sarif"),
        ("o.xml", "junit"),
        ("o.md", "markdown"),
        ("o.json", "json"),
        ("o.ndjson", "ndjson"),
        ("o.csv", "csv"),
    ] {
        assert_eq!(
            read(name),
            azsm(&["scan", BUNDLE, "--format", format]).stdout,
            "{name}"
        );
    }
    assert_valid_sarif(&serde_json::from_str(&read("o.sarif")).unwrap());
    let bad = azsm(&["scan", BUNDLE, "--sarif", &f("no/such/dir/o.sarif")]);
    assert_eq!(bad.status, 2);
    assert!(
        bad.stderr.contains("cannot write --sarif"),
        "{}",
        bad.stderr
    );
}

#[test]
fn each_code_row_counts_the_job_runs_it_was_attributed_to() {
    // A success code in two runs, a finding in three (twice in one of
    // them): the rows count distinct runs, success codes included, and a
    // report merged back counts the same.
    let log = "2024-03-15T08:00:00Z jobRunName=run-a AZSM0000 done\n\
2024-03-15T08:00:01Z jobRunName=run-b AZSM0000 done\n\
2024-03-15T08:00:02Z jobRunName=run-a AZSM1024 denied\n\
2024-03-15T08:00:03Z jobRunName=run-b AZSM1024 denied\n\
2024-03-15T08:00:04Z jobRunName=run-c AZSM1024 denied\n\
2024-03-15T08:00:05Z jobRunName=run-c AZSM1024 denied again\n";
    let dir = Tree::new().file("agent.log", log);
    let report = dir.arg("report.json");
    let run = azsm(&["scan", &dir.arg("agent.log"), "--json", &report]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let scanned = azsm(&["scan", &dir.arg("agent.log"), "--format", "json"]).json();
    let merged = azsm(&["merge", &report, "--format", "json"]).json();
    for json in [&scanned, &merged] {
        assert_eq!(code_row(json, "AZSM0000")["jobs"], 2);
        assert_eq!(code_row(json, "AZSM1024")["jobs"], 3);
        assert_eq!(code_row(json, "AZSM1024")["count"], 4);
    }
}
