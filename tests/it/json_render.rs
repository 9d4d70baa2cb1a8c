//! The JSON report rendered in parallel pieces (`report::json`) against
//! plain `serde_json::to_writer_pretty` of the same report: the same bytes,
//! in the same order, for any report and any thread count.

use std::collections::BTreeMap;

use azsm::model::catalog::Catalog;
use azsm::model::causes::Causes;
use azsm::model::code::Code;
use azsm::model::error::FileError;
use azsm::model::window::Window;
use azsm::pipeline::file::InputCtx;
use azsm::pipeline::{self, ReadOptions};
use azsm::report::{json, Report};
use azsm::scan::jobkey::KeyFinder;
use azsm::scan::Scanner;
use azsm::tally::Tally;
use proptest::prelude::*;

/// Pieces of log lines: codes, job keys, item paths, times, and bytes JSON
/// must escape (quotes, backslashes, control characters, non-ASCII).
const FRAGMENTS: &[&str] = &[
    "AZSM1024 ",
    "AZSM0000 ",
    "AZSM2062 ",
    "AZSM2001 ",
    "AZSM1020 ",
    "AZSM9999 ",
    "ServiceCode=ShareFull ",
    "permission denied ",
    "jobRunName=A1 ",
    "\"jobRunId\":\"B2\" ",
    " /export/d1/f\"q.txt ",
    " /export/é/g h ",
    "path=/s/x\\y.doc ",
    "2024-03-15T08:00:00Z ",
    "2024-03-15T09:30:00.250Z ",
    "\"quoted\" ",
    "back\\slash ",
    "tab\there ",
    "\u{1}\u{1f} ",
    "é ü 日本 😀 ",
    "\r",
    "\n",
    "\n",
];

/// Strings that land in the report as they are (no log line holds a raw
/// newline, but a baseline path or a catalog text may).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("line one\nline two".to_string()),
        Just("\"q\" \\ / \u{0} \u{7f} \u{2028} é 😀".to_string()),
        "\\PC{0,12}",
        // Every byte JSON escapes, among plain and non-ASCII text, in
        // strings short and long (the escaper looks at 16 bytes at once).
        "[\\x00-\\x1f\"\\\\a-z/ é😀]{0,40}",
        any::<String>(),
    ]
}

/// Inputs with display paths that need escaping too, many job runs (so the
/// per-job array spans several batches) and random lines.
fn inputs() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let name = prop::sample::select(vec![
        "a/x.log",
        "a/q\"uote.log",
        "é/ü.log",
        "a/38fb0f65-b642-4cb7-a8a0-f406e3e6f85a/job.log",
        "back\\slash/y.log",
    ]);
    let data = (
        proptest::collection::vec(prop::sample::select(FRAGMENTS), 0..200),
        0usize..150,
    )
        .prop_map(|(parts, jobs)| {
            let mut data = parts.concat();
            for j in 0..jobs {
                data.push_str(&format!("\njobRunName=J{j} AZSM2062 run {j}\n"));
            }
            data.into_bytes()
        });
    proptest::collection::vec((name, data), 0..8).prop_map(|inputs| {
        inputs
            .into_iter()
            .enumerate()
            .map(|(i, (name, data))| (format!("{i}/{name}"), data))
            .collect()
    })
}

fn reference(report: &Report) -> Vec<u8> {
    let mut out = Vec::new();
    serde_json::to_writer_pretty(&mut out, report).unwrap();
    out.push(b'\n');
    out
}

fn rendered(report: &Report, pool: Option<&rayon::ThreadPool>) -> Vec<u8> {
    let mut out = Vec::new();
    json::write_with(report, pool, &mut out).unwrap();
    out
}

/// Bytes as text, so that a difference reads as JSON.
fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn parallel_json_is_serde_jsons_pretty_bytes(
        inputs in inputs(),
        windowed in any::<bool>(),
        baseline in prop::option::of(text()),
        strings in proptest::collection::vec(text(), 6),
    ) {
        let window = if windowed {
            Window::new(Some("2024-03-15T08:30:00Z"), None, 0).unwrap()
        } else {
            Window::default()
        };
        let scanner = Scanner::new(KeyFinder::default()).with_window(window);
        let opts = ReadOptions { binary: true, ..ReadOptions::default() };
        let mut tally = Tally::default();
        for (path, data) in &inputs {
            tally += pipeline::scan_bytes(&scanner, path, data, opts, &InputCtx::none());
        }
        tally.errors.push(FileError { path: strings[0].clone(), message: strings[1].clone() });
        let mut report = Report::build(&tally, Catalog::embedded(), Causes::embedded(), window);
        // Strings with newlines, quotes and any characters inside the
        // arrays rendered in parallel, and around them.
        if let Some(c) = report.codes.first_mut() {
            c.message = Some(strings[2].clone());
        }
        if let Some(j) = report.jobs.last_mut() {
            j.status = Some(strings[3].clone());
            j.agent = Some(strings[4].clone());
        }
        report.catalog.push(strings[5].clone());
        if let Some(path) = &baseline {
            let previous: BTreeMap<Code, u64> =
                [("AZSM1024", 1), ("AZSM3001", 2)].map(|(c, n)| (c.parse().unwrap(), n)).into();
            report.compare(path, &previous);
        }
        let want = reference(&report);
        let got = rendered(&report, None);
        prop_assert!(got == want, "on one thread:\n{}\n--- want:\n{}", text_of(&got), text_of(&want));
        for threads in [1, 2, 3, 8] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let got = rendered(&report, Some(&pool));
            prop_assert!(got == want, "{} threads:\n{}\n--- want:\n{}", threads, text_of(&got), text_of(&want));
        }
    }
}

#[test]
fn an_empty_report_is_serde_jsons_too() {
    let report = Report::build(
        &Tally::default(),
        Catalog::embedded(),
        Causes::embedded(),
        Window::default(),
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    assert_eq!(rendered(&report, Some(&pool)), reference(&report));
    assert_eq!(rendered(&report, None), reference(&report));
}
