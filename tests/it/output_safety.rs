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
