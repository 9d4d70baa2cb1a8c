//! `azsm explain` to the point, and help that matches behaviour: a code's
//! own facts and sub-causes, one line for those of any code, text wrapped
//! to 100 columns when piped; merge, scan and kql help and flags.

use azsm::cli::config::Terminal;

use crate::harness::*;

const ALSO: &str = "  also         5 sub-causes for any code: azsm explain --any";

fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn a_code_with_its_own_sub_causes_lists_them_and_points_to_the_rest() {
    let run = azsm(&["explain", "AZSM1060"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let out = &run.stdout;
    assert!(
        out.contains("    smb-bad-file-descriptor: \"bad file descriptor\"\n"),
        "{out}"
    );
    assert!(out.lines().any(|l| l == ALSO), "{out}");
    assert!(!out.contains("endpoint-reachable"), "{out}");
    assert!(widest(out) <= 100, "{out}");
}

#[test]
fn success_and_informational_codes_say_nothing_to_fix_and_quote_no_example() {
    let ok = azsm(&["explain", "AZSM0000"]);
    assert_eq!(ok.status, 0);
    assert_eq!(
        ok.stdout,
        format!(
            "AZSM0000  Success (scope-agnostic)\n  scope        agent\n  subcategory  success\n  severity     success (not a finding)\n  mitigation   Nothing to do: AZSM0000 reports a successful operation at any scope.\n{ALSO}\n  docs         https://learn.microsoft.com/azure/storage-mover/status-code#AZSM0000\n"
        )
    );
    let info = azsm(&["explain", "AZSM2010"]);
    let out = &info.stdout;
    assert!(
        out.contains("informational, not a finding, nothing to fix."),
        "{out}"
    );
    assert!(
        !out.contains("example line") && !out.contains("ticket"),
        "{out}"
    );
    assert!(!out.contains("advice"), "no fix, so no kind of fix\n{out}");
    assert!(
        out.contains("https://learn.microsoft.com/azure/storage-mover/status-code#AZSM2010"),
        "URLs are never split\n{out}"
    );
}

#[test]
fn the_last_range_ends_at_9999() {
    let run = azsm(&["explain", "AZSM9999"]);
    assert_eq!(run.status, 1);
    assert!(
        run.stdout
            .contains("  subcategory  reserved range 9981-9999\n"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("10000"), "{}", run.stdout);
    assert!(run.stdout.contains("quoting a log line that holds it"));
    assert!(!run.stdout.contains("example line"));
}

#[test]
fn piped_explain_is_at_most_100_columns_and_a_terminal_gets_its_width() {
    let all: Vec<String> = ["0000", "1020", "1024", "1060", "2062", "2010", "9999"]
        .iter()
        .map(|c| c.to_string())
        .collect();
    let mut args = vec!["explain"];
    args.extend(all.iter().map(String::as_str));
    let piped = azsm(&args);
    assert!(widest(&piped.stdout) <= 100, "{}", piped.stdout);
    assert!(widest(&piped.stdout) > 80, "wrapped at 100, not less");
    let any = azsm(&["explain", "--any"]);
    assert!(widest(&any.stdout) <= 100, "{}", any.stdout);
    let narrow = Terminal {
        stdout_is_terminal: true,
        width: Some(86),
        ..Terminal::default()
    };
    let tty = azsm_with(&args, b"", narrow);
    // Only a word longer than the line (a URL) may overhang.
    assert!(
        tty.stdout
            .lines()
            .all(|l| l.chars().count() <= 86 || !l.trim().contains(' ')),
        "{}",
        tty.stdout
    );
    assert_ne!(tty.stdout, piped.stdout);
}

#[test]
fn explain_any_lists_the_sub_causes_the_pointer_counts() {
    let run = azsm(&["explain", "--any"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let heads: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("    ") && !l.starts_with("     "))
        .collect();
    assert_eq!(heads.len(), 5, "{}", run.stdout);
    assert!(run.stdout.contains(
        "    endpoint-reachable (healthy: not a finding): \"HTTP/1.1 409 Public access is not"
    ));
    let json = azsm(&["explain", "--any", "--format", "json"]).json();
    let rows = json.as_array().unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|r| r["code"].is_null()));
    // The JSON of a code keeps every sub-cause, its own and any code's.
    let j = azsm(&["explain", "--format", "json", "2062"]).json();
    assert_eq!(j[0]["causes"].as_array().unwrap().len(), rows.len());
    assert_eq!(azsm(&["explain", "--any", "1024"]).status, 2);
    assert_eq!(azsm(&["explain"]).status, 2);
}

#[test]
fn help_offers_only_what_each_command_takes() {
    let merge = azsm(&["merge", "--help"]);
    assert_eq!(merge.status, 0);
    for gone in ["ndjson", "csv"] {
        assert!(!merge.stdout.contains(gone), "{gone}:\n{}", merge.stdout);
    }
    assert!(merge.stdout.contains("- sarif:"), "{}", merge.stdout);
    let scan = azsm(&["scan", "--help"]).stdout;
    for heading in [
        "\nInputs:\n",
        "\nOutputs:\n",
        "\nDiagnosis:\n",
        "\nGlobal (any subcommand, before or after it):\n",
    ] {
        assert!(scan.contains(heading), "{heading:?}:\n{scan}");
    }
    let global = &scan[scan.find("\nGlobal").unwrap()..];
    for flag in ["--catalog", "--causes", "--color"] {
        assert!(global.contains(flag), "{flag} under Global");
    }
    assert!(
        !scan.contains("unsafe") && !scan.contains("safer on live logs"),
        "{scan}"
    );
    assert!(scan.contains("slow or unsupported"), "{scan}");
}

#[test]
fn kql_takes_every_since_form_scan_takes_and_refuses_flags_it_ignores() {
    let week = azsm(&["kql", "--since", "1w"]);
    assert_eq!(week.status, 0, "{}", week.stderr);
    assert!(
        week.stdout.contains("let since = ago(7d);"),
        "{}",
        week.stdout
    );
    assert_eq!(week.stdout, azsm(&["kql", "--since", "7d"]).stdout);
    let day = azsm(&["kql", "--since", "2024-03-15"]);
    assert!(day
        .stdout
        .contains("let since = datetime(2024-03-15T00:00:00Z);"));
    // The same window as scan: a log line on each side of the bound.
    let tree = Tree::new().file(
        "a.log",
        "2024-03-14T23:59:59Z AZSM1024 before\n2024-03-15T00:00:00Z AZSM2062 at\n",
    );
    let scan = azsm(&[
        "scan",
        "--format",
        "json",
        "--since",
        "2024-03-15",
        &tree.arg("a.log"),
    ]);
    assert_eq!(code_counts(&scan.json()), cc(&[("AZSM2062", 1)]));
    for bad in ["7x", "yesterday"] {
        let k = azsm(&["kql", "--since", bad]);
        let s = azsm(&["scan", "--since", bad, &tree.arg("a.log")]);
        assert_eq!((k.status, s.status), (2, 2), "{bad}");
        assert!(k.stderr.starts_with("azsm: error: "), "{}", k.stderr);
    }
    let color = azsm(&["kql", "--color", "never"]);
    assert_eq!(color.status, 2);
    assert!(
        color
            .stderr
            .contains("azsm kql prints no colour; leave --color out"),
        "{}",
        color.stderr
    );
    let t = Tree::new().file("c.tsv", "*\tboom\tboom\tfix\tdo it\n");
    let causes = azsm(&["kql", "--causes", &t.arg("c.tsv")]);
    assert_eq!(causes.status, 2);
    assert!(
        causes
            .stderr
            .contains("azsm kql uses no sub-causes; leave --causes out"),
        "{}",
        causes.stderr
    );
    let catalog_used = azsm(&["--catalog", "/no/such.md", "kql"]);
    assert_eq!(catalog_used.status, 2, "--catalog is read by kql");
}

#[test]
fn clap_errors_carry_the_azsm_prefix() {
    let run = azsm(&["scan", "--no-such-flag", "x"]);
    assert!(run.stderr.starts_with("azsm: error: "), "{}", run.stderr);
}
