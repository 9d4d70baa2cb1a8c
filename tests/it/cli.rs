//! Commands, arguments, exit statuses and the catalog override.

use std::io::Write;
use std::process::{Command, Stdio};

use azsm::cli::config::Terminal;

use crate::harness::*;

#[test]
fn explain_accepts_the_forms_users_type() {
    for form in ["AZSM1024", "azsm1024", "1024"] {
        let run = azsm(&["explain", form]);
        assert_eq!(run.status, 0, "{form}: {}", run.stderr);
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(
            lines[0],
            "AZSM1024  Authorization failure accessing the target location"
        );
        assert_eq!(lines[1], "  scope        job");
        assert_eq!(lines[2], "  subcategory  target access 1021-1040");
        assert_eq!(lines[3], "  severity     critical");
        assert_eq!(lines[4], "  advice       actionable");
        assert!(lines[5].starts_with("  mitigation   The agent doesn't have sufficient permission"));
        assert_eq!(
            *lines.last().unwrap(),
            "  docs         https://learn.microsoft.com/azure/storage-mover/status-code#AZSM1024"
        );
    }
}

#[test]
fn explain_decodes_unknown_codes_and_rejects_malformed_ones() {
    let run = azsm(&["explain", "AZSM2099"]);
    assert_eq!(
        run.status, 1,
        "well-formed but unknown: exit 1, like grep's 'not found'"
    );
    assert!(run.stdout.starts_with("AZSM2099  (not in the catalog)\n  scope        item\n  subcategory  reserved range 2081-2100\n"));
    let run = azsm(&["explain", "AZSM10245"]);
    assert_eq!(run.status, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("'AZSM10245' is not a status code: expected AZSM followed by four digits, like AZSM1024"),
        "{}",
        run.stderr
    );
    let run = azsm(&["explain", "AZSM0000", "--format", "json"]);
    assert_eq!(run.status, 0);
    let v = run.json();
    assert_eq!(v[0]["code"], "AZSM0000");
    assert_eq!(v[0]["finding"], false);
    assert_eq!(v[0]["severity"], "success");
}

#[test]
fn codes_lists_the_catalog_by_scope() {
    let run = azsm(&["codes", "--scope", "job", "--format", "json"]);
    assert_eq!(run.status, 0);
    let v = run.json();
    let codes: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 23);
    assert!(codes.iter().all(|c| c.starts_with("AZSM1")));
    assert_eq!(codes[0], "AZSM1001");
    let all = azsm(&["codes"]);
    assert_eq!(
        all.stdout.lines().count(),
        1 + 35,
        "header, AZSM0000 and 34 rows"
    );
    assert!(all
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("AZSM0000  agent  success"));
    let items = azsm(&["codes", "--scope", "item"]);
    assert_eq!(items.stdout.lines().count(), 1 + 11);
}

#[test]
fn a_catalog_file_overrides_and_extends_and_warns_on_bad_rows() {
    let tree = Tree::new().file(
        "page.md",
        "| Code | Message | Mitigation |\n|--|--|--|\n\
         | <a name=\"AZSM1024\"></a>**AZSM1024** | Authorization failure | Grant the role. |\n\
         | <a name=\"AZSM2070\"></a>AZSM2070 |Cannot write blob because it has an active lease. This error may be caused by another agent. |\n\
         | **AZSM1099** | A brand new code | Do the new thing. |\n",
    );
    let run = azsm(&[
        "--catalog",
        &tree.arg("page.md"),
        "explain",
        "AZSM1024",
        "AZSM1099",
        "AZSM2070",
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("AZSM1024  Authorization failure\n"));
    assert!(run.stdout.contains("  mitigation   Grant the role.\n"));
    assert!(run.stdout.contains("AZSM1099  A brand new code\n"));
    assert!(
        run.stdout
            .contains("AZSM2070  Cannot write blob because it has an active lease\n"),
        "the embedded row stays"
    );
    assert_eq!(
        run.stderr,
        format!(
            "azsm: warning: {}:4: row for AZSM2070 has 2 cells, expected 3 (code | message | mitigation); row skipped\n",
            tree.arg("page.md")
        )
    );
    let seed = azsm(&[
        "--catalog",
        "fixtures/catalog/status-code-2023-08-07.md",
        "explain",
        "1020",
        "1029",
    ]);
    assert!(seed
        .stdout
        .contains("  mitigation   Retry or create a support ticket.\n"));
    assert!(
        seed.stdout
            .contains("AZSM1029  Source endpoint type not supported"),
        "2025 rows the seed lacks remain"
    );

    let missing = azsm(&["--catalog", "no/such/page.md", "codes"]);
    assert_eq!(missing.status, 2);
    assert!(
        missing
            .stderr
            .starts_with("azsm: error: cannot read the catalog no/such/page.md:"),
        "{}",
        missing.stderr
    );
    let empty = Tree::new().file("x.md", "no table here\n");
    let run = azsm(&["--catalog", &empty.arg("x.md"), "codes"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("has no row of the form"));
}

#[test]
fn exit_status_follows_grep() {
    let clean = Tree::new().file(
        "ok.log",
        "2024-01-01T00:00:00Z jobRunName=j1 done AZSM0000\nAZSM2001 excluded\n",
    );
    let run = azsm(&["scan", &clean.arg("ok.log")]);
    assert_eq!(
        run.status, 0,
        "success and informational codes are not findings"
    );
    assert!(run.stdout.starts_with("Nothing to fix (2 events seen"));

    let bad = Tree::new().file("a.log", "AZSM1024 jobRunName=j1\n");
    let run = azsm(&[
        "scan",
        "--format",
        "json",
        &bad.arg("a.log"),
        &bad.arg("missing.log"),
    ]);
    assert_eq!(
        run.status, 2,
        "an unreadable input is an error even with findings"
    );
    let r = run.json();
    assert_eq!(
        r["codes"][0]["code"], "AZSM1024",
        "the rest is still scanned and reported"
    );
    assert_eq!(r["errors"][0]["path"], bad.arg("missing.log"));
    assert!(
        run.stderr
            .contains(&format!("azsm: {}: ", bad.arg("missing.log"))),
        "{}",
        run.stderr
    );

    let run = azsm(&["scan", "--bogus", "x"]);
    assert_eq!(run.status, 2);
    let run = azsm(&["scan", "-j", "0", "x"]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("invalid -j/--threads"),
        "{}",
        run.stderr
    );
    let run = azsm(&["scan", "--job-pattern", "task=[a-z]+", "x"]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr
            .contains("invalid --job-pattern 'task=[a-z]+': it has no named group 'job'"),
        "{}",
        run.stderr
    );
    let run = azsm(&["--help"]);
    assert_eq!(run.status, 0);
    assert!(run.stdout.contains("Usage: azsm"));
}

#[test]
fn stdin_is_scanned_as_a_stream() {
    let run = azsm_stdin(
        &["scan", "--format", "json", "-"],
        b"job run: J9 started\r\nAZSM2062 denied\r\nAZSM2062 again",
    );
    assert_eq!(run.status, 1);
    let r = run.json();
    assert_eq!(
        job_counts(&r),
        vec![("J9".to_string(), cc(&[("AZSM2062", 2)]))]
    );
    assert_eq!(r["codes"][0]["examples"][0]["path"], "<stdin>");
    assert_eq!(r["codes"][0]["examples"][1]["line"], 3);
}

#[test]
fn user_job_pattern_joins_rule_one() {
    let tree = Tree::new().file("x.log", "task=abc AZSM1024\nAZSM1024 later\n");
    let r = azsm(&[
        "scan",
        "--format",
        "json",
        "--job-pattern",
        "task=(?P<job>[a-z]+)",
        &tree.arg("x.log"),
    ])
    .json();
    assert_eq!(
        job_counts(&r),
        vec![("abc".to_string(), cc(&[("AZSM1024", 2)]))]
    );
    assert_eq!(r["attribution"]["line"], 1);
    assert_eq!(r["attribution"]["carried"], 1);
}

#[test]
fn colour_only_when_wanted() {
    let tree = Tree::new().file("x.log", "AZSM1024\n");
    let tty = Terminal {
        stdout_is_terminal: true,
        no_color: false,
        ..Terminal::default()
    };
    let run = azsm_with(&["scan", &tree.arg("x.log")], b"", tty.clone());
    assert!(run.stdout.contains("\u{1b}["), "colour on a terminal");
    let no_color = Terminal {
        stdout_is_terminal: true,
        no_color: true,
        ..Terminal::default()
    };
    assert!(
        !azsm_with(&["scan", &tree.arg("x.log")], b"", no_color.clone())
            .stdout
            .contains('\u{1b}')
    );
    assert!(azsm_with(
        &["scan", "--color", "always", &tree.arg("x.log")],
        b"",
        no_color
    )
    .stdout
    .contains("\u{1b}["));
    assert!(
        !azsm_with(&["scan", "--color", "never", &tree.arg("x.log")], b"", tty)
            .stdout
            .contains('\u{1b}')
    );
}

#[test]
fn log_text_cannot_drive_the_terminal() {
    let tree = Tree::new().file(
        "x.log",
        "jobRunName=j1 \u{1b}]0;pwned\u{7} \u{1b}[2J AZSM1024\n",
    );
    let run = azsm(&["scan", &tree.arg("x.log")]);
    assert!(!run.stdout.contains('\u{1b}'));
    assert!(run.stdout.contains("\\u{1b}[2J"));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut big = String::new();
    for i in 0..20_000 {
        big.push_str(&format!("jobRunName=job{i} AZSM1024\n"));
    }
    let tree = Tree::new().file("big.log", big);
    let mut child = Command::new(binary())
        .args(["scan", "--format", "json", &tree.arg("big.log")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one byte, then close the pipe.
    let mut out = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    std::io::Read::read_exact(&mut out, &mut one).unwrap();
    drop(out);
    let status = child.wait_with_output().unwrap();
    assert!(status.status.code().is_some(), "not killed by a signal");
    assert_ne!(
        status.status.code(),
        Some(2),
        "stderr: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(!String::from_utf8_lossy(&status.stderr).contains("Broken pipe"));
    let _ = std::io::stderr().flush();
}

#[test]
fn a_scan_leaves_its_big_values_to_the_caller_to_free() {
    // The binary exits without freeing them (azsm::Leftovers): the
    // tally, the list of inputs and the report of every scan, whatever
    // the format; a command with nothing big leaves nothing.
    for format in ["text", "json", "ndjson"] {
        let run = azsm(&["scan", "--format", format, "fixtures/support-bundle"]);
        assert_eq!(run.status, 1, "{format}: {}", run.stderr);
        assert_eq!(run.leftovers, 3, "{format}");
    }
    let run = azsm(&["codes"]);
    assert_eq!((run.status, run.leftovers), (0, 0));
}

#[test]
fn a_missing_path_is_an_error_named_on_the_first_line() {
    let tree = Tree::new().file("logs/a.log", "AZSM1024 jobRunName=j1\n");
    let missing = tree.arg("no/such/dir");
    let run = azsm(&["scan", "--color", "never", &missing]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    let first = run.stdout.lines().next().unwrap_or("");
    assert!(first.starts_with("Not scanned: "), "{}", run.stdout);
    assert!(first.contains(&missing), "{first}");
    assert!(!run.stdout.contains("Nothing to fix"), "{}", run.stdout);
    // With findings elsewhere, what was not scanned still comes first.
    let run = azsm(&["scan", "--color", "never", &tree.arg("logs"), &missing]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    let mut lines = run.stdout.lines();
    assert!(lines.next().unwrap().contains(&missing), "{}", run.stdout);
    assert!(lines
        .next()
        .unwrap()
        .starts_with("What to fix first: 1 remediation"));
}

#[test]
fn a_scan_that_read_no_file_is_an_error() {
    // Binary through and through (a NUL prefix alone is a copytruncate
    // log, scanned as text).
    let mut blob = b"\x7fELF\x02\x01\x01\0".to_vec();
    blob.extend((0..2048u32).flat_map(|i| [(i % 251) as u8, 0, 0xfe, 0]));
    blob.extend(b"AZSM1024 binary\n");
    let tree = Tree::new()
        .file("bin/blob.dat", &blob)
        .file("keep/empty.log", "")
        .file("text/a.log", "AZSM1024 jobRunName=j1\n");
    std::fs::create_dir(tree.path().join("empty")).unwrap();
    std::fs::create_dir(tree.path().join("links")).unwrap();
    std::os::unix::fs::symlink(
        tree.path().join("text/a.log"),
        tree.path().join("links/l.log"),
    )
    .unwrap();
    for (dir, why) in [
        ("empty", "no file to scan was found"),
        ("bin", "--binary"),
        ("links", "--follow"),
    ] {
        let run = azsm(&["scan", "--color", "never", &tree.arg(dir)]);
        assert_eq!(run.status, 2, "{dir}: {}", run.stdout);
        let first = run.stdout.lines().next().unwrap_or("");
        assert!(first.starts_with("Not scanned: "), "{dir}: {}", run.stdout);
        assert!(
            first.contains("nothing scanned") && first.contains(why),
            "{dir}: {first}"
        );
        let json = azsm(&["scan", "--format", "json", &tree.arg(dir)]).json();
        assert_eq!(json["scanned"]["files"], 0);
        assert_eq!(json["errors"][0]["path"], tree.arg(dir), "{dir}");
    }
    // What --binary scans is a scan: not an error.
    let run = azsm(&["scan", "--binary", &tree.arg("bin")]);
    assert_eq!(run.status, 1, "{}", run.stdout);
    // An empty file is a file scanned: clean, not an error.
    let run = azsm(&["scan", &tree.arg("keep")]);
    assert_eq!(run.status, 0, "{}", run.stdout);
}
