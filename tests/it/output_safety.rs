//! Output safety: whatever bytes a log (or a `--catalog` file) holds, text
//! output carries no control character but the newline (no terminal escape
//! sequence gets through), and every machine format parses.

use proptest::prelude::*;

use crate::harness::{azsm, azsm_stdin, Tree};

/// Every structured output format of `azsm scan`, and how to parse it.
fn parses(format: &str, out: &str) -> Result<(), String> {
    let json = |s: &str| serde_json::from_str::<serde_json::Value>(s).map_err(|e| e.to_string());
    match format {
        "json" => json(out).map(|_| ()),
        "sarif" => json(out).map(|v| crate::formats::assert_valid_sarif(&v)),
        "ndjson" => out.lines().try_for_each(|l| json(l).map(|_| ())),
        "junit" => roxmltree::Document::parse(out)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        "csv" => {
            let mut r = csv::Reader::from_reader(out.as_bytes());
            let width = r.headers().map_err(|e| e.to_string())?.len();
            for rec in r.records() {
                let rec = rec.map_err(|e| e.to_string())?;
                if rec.len() != width {
                    return Err(format!("{} fields, not {width}", rec.len()));
                }
            }
            Ok(())
        }
        "markdown" => {
            crate::formats::check_markdown_tables(out);
            Ok(())
        }
        "github" => out
            .lines()
            .all(|l| l.starts_with("::"))
            .then_some(())
            .ok_or_else(|| "a line that is not a workflow command".to_string()),
        other => Err(format!("no parser for {other}")),
    }
}

/// The machine formats that exist.
const STRUCTURED: &[&str] = &[
    "json", "sarif", "ndjson", "junit", "csv", "markdown", "github",
];

/// No control character but `\n` (so no ESC, no BEL, no CR).
fn assert_inert(what: &str, out: &str) {
    if let Some(c) = out.chars().find(|&c| c.is_control() && c != '\n') {
        panic!("{what} carries {c:?}:\n{out}");
    }
}

/// Random bytes around codes and job keys, so that they reach excerpts,
/// job ids and paths.
fn hostile() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40),
        Just(b" AZSM1024 ".to_vec()),
        Just(b" AZSM2062 ".to_vec()),
        Just(b"jobRunName=".to_vec()),
        Just(b"\x1b[31m\x1b]0;title\x07".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\xff\xfe\xc3".to_vec()),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    #[test]
    fn any_bytes_give_inert_text_and_well_formed_reports(data in hostile()) {
        let run = azsm_stdin(&["scan", "--binary", "--color", "never", "-"], &data);
        prop_assert!(run.status == 0 || run.status == 1, "{}", run.stderr);
        assert_inert("text output", &run.stdout);
        assert_inert("stderr", &run.stderr);
        for format in STRUCTURED {
            let run = azsm_stdin(&["scan", "--binary", "--format", format, "-"], &data);
            if let Err(e) = parses(format, &run.stdout) {
                panic!("{format} does not parse ({e}):\n{}", run.stdout);
            }
        }
    }
}

#[test]
fn escapes_in_file_names_and_catalogs_are_escaped_in_text() {
    let tree = Tree::new()
        .file("logs/\u{1b}[2Jevil\u{7}.log", "x AZSM1024 jobRunName=J\n")
        .file(
            "catalog.md",
            "| AZSM1024 | Bad \u{1b}]0;pwned\u{7} title | Fix \u{1b}[31mit\u{1b}[0m now. |\n",
        );
    let run = azsm(&[
        "scan",
        "--catalog",
        &tree.arg("catalog.md"),
        "--color",
        "never",
        &tree.arg("logs"),
    ]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert_inert("text output", &run.stdout);
    assert!(run.stdout.contains("evil"), "{}", run.stdout);
    assert!(
        run.stdout.contains("Bad \\u{1b}]0;pwned\\u{7} title"),
        "{}",
        run.stdout
    );
    let catalog = tree.arg("catalog.md");
    for args in [&["explain", "1024"][..], &["codes"][..]] {
        let mut all = vec!["--catalog", catalog.as_str()];
        all.extend_from_slice(args);
        let run = azsm(&all);
        assert_inert("explain/codes", &run.stdout);
    }
}

// A run never overwrites a file it did not write (src/cli/outputs.rs).

const LOG: &str = "2024-03-15T08:00:00Z jobRunName=J1 AZSM2062 an item failed\n";

/// The output flags, each with the format it writes.
const OUTPUTS: &[(&str, &str)] = &[
    ("--json", "json"),
    ("--sarif", "sarif"),
    ("--junit", "junit"),
    ("--markdown", "markdown"),
    ("--ndjson", "ndjson"),
    ("--csv", "csv"),
];

fn logs() -> Tree {
    Tree::new()
        .file("logs/a.log", LOG)
        .file("logs/xdatamoved.log", LOG.repeat(3))
}

fn bytes(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn a_log_swallowed_by_a_shell_glob_is_refused_and_left_unchanged() {
    let tree = logs();
    let (a, x) = (tree.arg("logs/a.log"), tree.arg("logs/xdatamoved.log"));
    for (flag, _) in OUTPUTS {
        // `azsm scan --csv logs/*`: the shell makes the first log the value.
        let run = azsm(&["scan", flag, &a, &x]);
        assert_eq!(run.status, 2, "{flag}: {}", run.stderr);
        assert!(
            run.stderr.contains(flag) && run.stderr.contains(&a),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("--force"), "{}", run.stderr);
        assert!(run.stdout.is_empty(), "no scan ran: {}", run.stdout);
        assert_eq!(bytes(&a), LOG.as_bytes(), "{flag} left the log alone");
    }
    let before: Vec<_> = std::fs::read_dir(tree.path().join("logs"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before.len(), 2, "no temporary file is left: {before:?}");
}

#[test]
fn an_output_that_is_an_input_is_refused_even_with_force() {
    let tree = logs();
    let x = tree.arg("logs/xdatamoved.log");
    std::os::unix::fs::symlink(&x, tree.path().join("link.json")).unwrap();
    std::fs::hard_link(&x, tree.path().join("hard.csv")).unwrap();
    let other_path = tree
        .path()
        .join("logs/../logs/xdatamoved.log")
        .to_string_lossy()
        .into_owned();
    let cases = [
        ("--json", x.clone(), x.clone(), "the same path"),
        (
            "--json",
            tree.arg("link.json"),
            x.clone(),
            "a symlink to it",
        ),
        (
            "--csv",
            tree.arg("hard.csv"),
            x.clone(),
            "a hard link to it",
        ),
        ("--sarif", other_path, x.clone(), "another spelling"),
        (
            "--json",
            x.clone(),
            tree.arg("logs"),
            "inside a scanned dir",
        ),
        (
            "--ndjson",
            tree.arg("logs/new.ndjson"),
            tree.arg("logs"),
            "a new file inside a scanned dir",
        ),
    ];
    for (flag, out, input, what) in cases {
        for force in [false, true] {
            let mut args = vec!["scan", flag, &out, &input];
            if force {
                args.push("--force");
            }
            let run = azsm(&args);
            assert_eq!(run.status, 2, "{what}: {}", run.stderr);
            assert!(run.stderr.contains(flag), "{what}: {}", run.stderr);
            assert!(
                run.stderr.contains("input") || run.stderr.contains("scanned directory"),
                "{what}: {}",
                run.stderr
            );
            assert_eq!(bytes(&x), LOG.repeat(3).as_bytes(), "{what}");
        }
    }
    assert!(!tree.path().join("logs/new.ndjson").exists());
    // `azsm merge` too: an output may not replace a report it reads.
    let r = tree.arg("r.json");
    assert_eq!(azsm(&["scan", "--json", &r, &x]).status, 1);
    let merged = azsm(&["merge", &r, "--json", &r]);
    assert_eq!(merged.status, 2, "{}", merged.stderr);
}

#[test]
fn two_flags_naming_one_file_are_refused() {
    let tree = logs();
    let out = tree.arg("out");
    let run = azsm(&["scan", "--json", &out, "--sarif", &out, &tree.arg("logs")]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--sarif") && run.stderr.contains("--json"));
    assert!(!tree.path().join("out").exists());
}

#[test]
fn force_replaces_a_file_that_is_not_a_report() {
    let tree = logs().file("notes.txt", "my notes\n");
    let notes = tree.arg("notes.txt");
    let run = azsm(&["scan", "--csv", &notes, &tree.arg("logs")]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert_eq!(bytes(&notes), b"my notes\n");
    let run = azsm(&["scan", "--force", "--csv", &notes, &tree.arg("logs")]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let csv = String::from_utf8(bytes(&notes)).unwrap();
    assert!(csv.starts_with("path,line,code,"), "{csv}");
    assert_eq!(csv.lines().count(), 1 + 4, "the header and four events");
}

#[test]
fn an_earlier_report_or_an_empty_file_is_replaced() {
    let tree = logs().file("out/empty.json", "");
    let out = |f: &str| tree.arg(&format!("out/r.{f}"));
    let scan = |input: &str| {
        let mut args = vec!["scan".to_string(), tree.arg(input)];
        for (flag, f) in OUTPUTS {
            args.push(flag.to_string());
            args.push(out(f));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        azsm(&args)
    };
    let first = scan("logs/a.log");
    assert_eq!(first.status, 1, "{}", first.stderr);
    let before: Vec<Vec<u8>> = OUTPUTS.iter().map(|(_, f)| bytes(&out(f))).collect();
    let second = scan("logs/xdatamoved.log");
    assert_eq!(second.status, 1, "{}", second.stderr);
    for ((flag, f), old) in OUTPUTS.iter().zip(&before) {
        let new = bytes(&out(f));
        assert_ne!(&new, old, "{flag} was rewritten");
        let text = String::from_utf8(new).unwrap();
        assert!(parses(f, &text).is_ok(), "{flag}:\n{text}");
        assert!(text.contains("xdatamoved"), "{flag} holds the second run");
    }
    let empty = tree.arg("out/empty.json");
    let run = azsm(&["scan", "--json", &empty, &tree.arg("logs/a.log")]);
    assert_eq!(run.status, 1, "an empty file is writable: {}", run.stderr);
    assert!(bytes(&empty).starts_with(b"{"));
    // A report of another format is not one of this format.
    let run = azsm(&["scan", "--csv", &out("json"), &tree.arg("logs/a.log")]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("CSV"), "{}", run.stderr);
}

#[test]
fn a_failed_run_leaves_the_earlier_report_intact() {
    let tree = logs();
    let r = tree.arg("r.json");
    assert_eq!(
        azsm(&["scan", "--json", &r, &tree.arg("logs/a.log")]).status,
        1
    );
    let earlier = bytes(&r);
    // /dev/full accepts the open and fails every write: the per-event
    // output fails during the scan, after r.json's temporary file opened.
    let run = azsm(&[
        "scan",
        "--json",
        &r,
        "--ndjson",
        "/dev/full",
        &tree.arg("logs"),
    ]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("/dev/full"), "{}", run.stderr);
    assert_eq!(bytes(&r), earlier, "the earlier report is intact");
    let left: Vec<_> = std::fs::read_dir(tree.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files removed: {left:?}");
    // A device is written in place, never replaced.
    let run = azsm(&["scan", "--json", "/dev/null", &tree.arg("logs")]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    use std::os::unix::fs::FileTypeExt;
    let null = std::fs::metadata("/dev/null").unwrap();
    assert!(
        null.file_type().is_char_device(),
        "/dev/null is still a device"
    );
}

#[test]
fn the_target_is_untouched_until_the_rename() {
    use azsm::cli::outputs;
    use azsm::cli::ReportFormat;
    use std::io::Write;
    let tree = Tree::new().file("r.csv", "");
    let target = tree.path().join("r.csv");
    std::fs::write(&target, azsm::report::csv::HEADER).unwrap();
    let open = || {
        let targets = [(ReportFormat::Csv, "--csv", target.clone())];
        outputs::open(&targets, &[], false).expect("an earlier CSV report is writable")
    };
    let (mut files, pending) = open();
    let temps = pending.temp_paths();
    assert_eq!(temps.len(), 1);
    assert_eq!(temps[0].parent(), Some(tree.path()), "beside the target");
    assert_ne!(temps[0], target);
    files[0].3.write_all(b"new contents\n").unwrap();
    assert_eq!(bytes(&target.to_string_lossy()), azsm::report::csv::HEADER);
    drop((files, pending));
    assert_eq!(bytes(&target.to_string_lossy()), azsm::report::csv::HEADER);
    assert!(
        !temps[0].exists(),
        "a dropped run removes its temporary file"
    );
    let (mut files, pending) = open();
    files[0].3.write_all(azsm::report::csv::HEADER).unwrap();
    files[0].3.write_all(b"x,1,AZSM2062\r\n").unwrap();
    pending.commit().unwrap();
    assert!(bytes(&target.to_string_lossy()).ends_with(b"x,1,AZSM2062\r\n"));
}
