//! `--since` / `--until`: which events count, at the boundaries.

use serde_json::{json, Value};

use crate::harness::*;

const LOG: &str = "\
2024-03-14T23:59:59.999Z ERROR jobRunName=r1 AZSM2062 a
2024-03-15T00:00:00Z ERROR jobRunName=r1 AZSM2062 b
2024-03-15T12:00:00+01:00 ERROR jobRunName=r1 AZSM2062 c
2024/03/15 23:59:59 ERROR jobRunName=r2 AZSM1024 d
2024-03-16T00:00:00Z ERROR jobRunName=r2 AZSM1024 e
    at retry loop AZSM2062 (no time on this line)
";

fn window(args: &[&str]) -> (Value, Vec<(String, u64)>) {
    let t = Tree::new().file("a.log", LOG);
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let path = t.arg("a.log");
    all.push(&path);
    let run = azsm(&all);
    assert_ne!(run.status, 2, "{}", run.stderr);
    let r = run.json();
    let counts = code_counts(&r);
    (r, counts)
}

#[test]
fn since_is_inclusive_and_until_exclusive() {
    let (r, counts) = window(&["--since", "2024-03-15", "--until", "2024-03-16"]);
    // a is 1 ms before the day, e is the next midnight: both out; b is the
    // first instant of the day; the untimed line is kept.
    assert_eq!(counts, cc(&[("AZSM1024", 1), ("AZSM2062", 3)]));
    assert_eq!(
        r["window"],
        json!({"since": "2024-03-15T00:00:00Z", "until": "2024-03-16T00:00:00Z", "outside": 2, "untimed": 1})
    );
    assert_eq!(r["summary"]["events"], 4);
    // Consecutive windows split the events with no overlap and no gap.
    let (_, before) = window(&["--until", "2024-03-15T11:00:00Z"]);
    let (_, after) = window(&["--since", "2024-03-15T11:00:00Z"]);
    // c is 11:00:00Z exactly: in the second window only. The untimed line is in both.
    assert_eq!(before, cc(&[("AZSM2062", 3)]));
    assert_eq!(after, cc(&[("AZSM1024", 2), ("AZSM2062", 2)]));
}

#[test]
fn rfc3339_offsets_and_the_azcopy_form_compare_in_utc() {
    let (_, counts) = window(&[
        "--since",
        "2024-03-15T23:59:59Z",
        "--until",
        "2024-03-16T01:00:00+01:00",
    ]);
    // d (AzCopy's UTC form) is exactly at --since; e is exactly at --until.
    assert_eq!(counts, cc(&[("AZSM1024", 1), ("AZSM2062", 1)]));
}

#[test]
fn relative_spans_count_back_from_now() {
    let now = jiff::Timestamp::now();
    let at = |ago_h: i64| {
        let t = now - jiff::SignedDuration::from_hours(ago_h);
        t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    };
    let log = format!(
        "{} ERROR AZSM2062 three hours ago\n{} ERROR AZSM1024 one hour ago\n{} ERROR AZSM2080 three days ago\n",
        at(3),
        at(1),
        at(72)
    );
    let t = Tree::new().file("now.log", log);
    let scan = |since: &str| {
        code_counts(
            &azsm(&[
                "scan",
                "--format",
                "json",
                "--since",
                since,
                &t.arg("now.log"),
            ])
            .json(),
        )
    };
    assert_eq!(scan("2h"), cc(&[("AZSM1024", 1)]));
    assert_eq!(scan("120m"), cc(&[("AZSM1024", 1)]));
    assert_eq!(scan("1d"), cc(&[("AZSM1024", 1), ("AZSM2062", 1)]));
    assert_eq!(scan("1w").len(), 3);
}

#[test]
fn the_text_report_says_what_the_window_left_out() {
    let t = Tree::new().file("a.log", LOG);
    let run = azsm(&[
        "scan",
        "--since",
        "2024-03-15",
        "--until",
        "2024-03-16",
        &t.arg("a.log"),
    ]);
    assert!(
        run.stdout.contains("\n  window 2024-03-15T00:00:00Z .. 2024-03-16T00:00:00Z (since inclusive, until exclusive): 2 events outside not counted, 1 event without a time kept\n"),
        "{}",
        run.stdout
    );
    let run = azsm(&["scan", &t.arg("a.log")]);
    assert!(!run.stdout.contains("window"), "no window, no line");
}

#[test]
fn everything_outside_means_nothing_to_fix() {
    let t = Tree::new().file("a.log", LOG.lines().take(5).collect::<Vec<_>>().join("\n"));
    let run = azsm(&["scan", "--since", "2025-01-01", &t.arg("a.log")]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert!(run.stdout.starts_with("Nothing to fix (0 events seen"));
}

#[test]
fn bad_values_exit_2_naming_the_flag_and_the_forms() {
    let t = Tree::new().file("a.log", LOG);
    for (flag, value) in [
        ("--since", "yesterday"),
        ("--until", "2024-02-30"),
        ("--since", "2h30m"),
    ] {
        let run = azsm(&["scan", flag, value, &t.arg("a.log")]);
        assert_eq!(run.status, 2, "{flag} {value}");
        assert_eq!(
            run.stderr,
            format!("azsm: error: invalid {flag}: '{value}' is not a time; it takes an RFC 3339 time (2024-03-15T08:00:00Z), a date (2024-03-15, midnight UTC) or a span back from now (30m, 2h, 3d, 1w)\n")
        );
        assert!(run.stdout.is_empty(), "nothing scanned");
    }
    let run = azsm(&[
        "scan",
        "--since",
        "2024-03-16",
        "--until",
        "2024-03-15",
        &t.arg("a.log"),
    ]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("--since/--until"), "{}", run.stderr);
}
