//! The fast paths against each other and against a plain reference.
//!
//! The reference (`azsm::testing::reference`, shared with the fuzz targets)
//! reads line by line with regexes, exactly as the README states the rules. The read path (whole buffer, one chunk), the chunked
//! parallel path (random chunk sizes), the stream path (random block sizes)
//! and the mmap path (random windows) must all give the same tally. The
//! reference also picks sub-causes by plain substring search and applies
//! the time window, to hold the automaton and the window to the rules.

use azsm::model::window::Window;
use azsm::pipeline::file::InputCtx;
use azsm::pipeline::{self, ReadOptions};
use azsm::scan::jobkey::KeyFinder;
use azsm::scan::Scanner;
use azsm::testing::{counts, reference};
use proptest::prelude::*;

const FRAGMENTS: &[&str] = &[
    "AZSM1024",
    "AZSM0001",
    "AZSM0000",
    "AZSM2062",
    "AZSM2001",
    "AZSM1060",
    "AZSM1020",
    "ServiceCode=ShareFull",
    "the specified SHARE is full",
    "permission denied",
    "HTTP/1.1 409 Public access is not permitted on this storage account.",
    "XAZSM1024",
    "AZSM10245",
    "AZSM1024_1",
    "azsm1024",
    "jobRunName=A1",
    "\"jobRunId\":\"B2\"",
    "job run: C3",
    "/jobRuns/D4",
    "Job run started",
    "task=E5",
    " /export/d1/f.txt ",
    " /export/d2/g h ",
    "path=/s/x.doc",
    "password=",
    "sig=",
    "Bearer ",
    " ",
    " ",
    "x",
    "\r",
    "é",
    "\u{0}",
    "2024-03-15T08:00:00Z ",
    "2024/03/15 09:00:00 ",
    "\n",
    "\n",
    "\n",
];

fn corpus() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(prop::sample::select(FRAGMENTS), 0..120)
        .prop_map(|parts| parts.concat().into_bytes())
}

fn path() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "var/log/xdatamoved.log",
        "archive/38fb0f65-b642-4cb7-a8a0-f406e3e6f85a/job.log",
    ])
}

fn opts(chunk: usize) -> ReadOptions {
    ReadOptions {
        binary: true,
        chunk,
        ..ReadOptions::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn all_paths_equal_the_reference(data in corpus(), path in path(), chunk in 1usize..64, block in 1usize..64, window in 1usize..96, long in 1usize..80, since in prop::option::of(Just("2024-03-15T08:30:00Z"))) {
        // The corpus's times are 08:00 and 09:00: a window keeps only the latter.
        let w = Window::new(since, None, 0).unwrap();
        let scanner = Scanner::new(KeyFinder::default()).with_window(w);
        let whole = pipeline::scan_bytes(&scanner, path, &data, opts(usize::MAX), &InputCtx::none());
        prop_assert_eq!(counts(&whole), reference(path, &data, w));

        let chunked = pipeline::scan_bytes(&scanner, path, &data, opts(chunk), &InputCtx::none());
        prop_assert_eq!(&chunked, &whole);

        let streamed = pipeline::scan_reader(&scanner, path, &data[..], ReadOptions { block, ..opts(chunk) }, &InputCtx::none());
        prop_assert_eq!(&streamed, &whole);

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.log");
        std::fs::write(&file, &data).unwrap();
        let input = azsm::input::walk::Input { display: path.to_string(), source: azsm::input::walk::Source::File(file) };
        let mapped = pipeline::scan_input(&scanner, &input, ReadOptions { mmap_min: 1, window, ..opts(chunk) }, &InputCtx::none());
        prop_assert_eq!(&mapped, &whole);

        // Lines longer than `long` are scanned in pieces (crate::scan::longline):
        // the same events, sub-causes and items.
        let pieces = pipeline::scan_reader(&scanner, path, &data[..], ReadOptions { block, long_line: long, ..opts(chunk) }, &InputCtx::none());
        prop_assert_eq!(&pieces, &whole);
        let mapped = pipeline::scan_input(&scanner, &input, ReadOptions { mmap_min: 1, window, long_line: long, ..opts(chunk) }, &InputCtx::none());
        prop_assert_eq!(&mapped, &whole);
    }
}

#[test]
fn chunk_boundaries_do_not_break_rule_three() {
    // The key is in the first chunk, the keyless codes in later ones.
    let mut data = b"jobRunName=first-run\n".to_vec();
    for _ in 0..100 {
        data.extend_from_slice(b"filler line without codes\nAZSM2062 keyless\n");
    }
    let scanner = Scanner::new(KeyFinder::default());
    let t = pipeline::scan_bytes(&scanner, "x.log", &data, opts(40), &InputCtx::none());
    assert_eq!(t.jobs["first-run"].codes.values().sum::<u64>(), 100);
    assert_eq!(t.rules.carried, 100);
    let examples: Vec<u64> = t
        .codes
        .values()
        .next()
        .unwrap()
        .examples
        .iter()
        .map(|e| e.line)
        .collect();
    assert_eq!(examples, [3, 5, 7], "line numbers survive chunking");
}

fn many_inputs() -> impl Strategy<Value = Vec<(&'static str, Vec<u8>)>> {
    let names = prop::sample::select(vec![
        "a/x.log",
        "a-b/y.log",
        "a.b/z.log",
        "a/38fb0f65-b642-4cb7-a8a0-f406e3e6f85a/job.log",
        "b/w.log",
        "a",
        "c/v.log",
    ]);
    // Many item lines, so that item examples (100 per code) fill up too.
    let item = prop::sample::select(vec![
        "\nAZSM2062 /export/d9/k.txt\n",
        "\nAZSM2001 path=/s/q r.doc\n",
    ]);
    let fragment = prop_oneof![3 => prop::sample::select(FRAGMENTS), 1 => item];
    let data =
        proptest::collection::vec(fragment, 0..300).prop_map(|parts| parts.concat().into_bytes());
    proptest::collection::vec((names, data), 1..24)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Scanning many inputs on any number of threads (where each input
    /// skips the examples earlier ones already took: aggregate::Full)
    /// gives the tally of scanning each input alone and adding them up.
    #[test]
    fn a_scan_of_many_inputs_is_the_sum_of_each(inputs in many_inputs(), threads in 1usize..5) {
        let scanner = Scanner::new(KeyFinder::default());
        let dir = tempfile::tempdir().unwrap();
        let inputs: Vec<azsm::input::walk::Input> = inputs
            .iter()
            .enumerate()
            .map(|(i, (name, data))| {
                let file = dir.path().join(format!("{i}.log"));
                std::fs::write(&file, data).unwrap();
                azsm::input::walk::Input { display: name.to_string(), source: azsm::input::walk::Source::File(file) }
            })
            .collect();
        let mut each = azsm::tally::Tally::default();
        for input in &inputs {
            each += pipeline::scan_input(&scanner, input, opts(4096), &InputCtx::none());
        }
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let all = pool.install(|| pipeline::scan_all_with(&scanner, &inputs, opts(4096), None, None));
        prop_assert_eq!(all, each);
    }
}

/// `v` without the strings that name the input (they differ by read path).
fn without_paths(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| *k != "path" && *k != "files")
                .map(|(k, x)| (k.clone(), without_paths(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_paths).collect()),
        x => x.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3))]

    /// A line over the 1 MiB long-line limit, its sub-cause's words and a
    /// second code anywhere in it (across the pieces' boundaries too): read
    /// mapped, from stdin, gunzipped and from a tar entry, the report's
    /// codes, sub-causes, items and jobs are the same.
    #[test]
    fn a_long_line_reports_the_same_on_every_read_path(
        filler in (1usize << 20)..(3usize << 20) / 2,
        at in 0usize..100,
        case in prop::sample::select(vec!["The specified share is full", "permission denied", "x509: certificate signed by unknown authority"]),
    ) {
        use crate::harness::*;
        use std::io::Write;
        let cut = filler * at / 100;
        let mut line = b"2024-03-15T08:00:00Z ERROR jobRunName=38FB0F65-B642-4CB7-A8A0-F406E3E6F85A AZSM2062 Failed F 3335 /export/d1/f.txt ".to_vec();
        line.extend(std::iter::repeat_n(b'q', cut));
        line.extend_from_slice(format!(" {case} AZSM1060 ").as_bytes());
        line.extend(std::iter::repeat_n(b'z', filler - cut));
        line.extend_from_slice(b"\nAZSM2062 next /export/d2/g.txt\n");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&line).unwrap();
        let mut tar = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(line.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, "var/log/x.log", &line[..]).unwrap();
        let tree = Tree::new()
            .file("x.log", &line)
            .file("x.log.gz", gz.finish().unwrap())
            .file("b.tar", tar.into_inner().unwrap());
        let report = |r: Run| {
            assert_eq!(r.status, 1, "{}", r.stderr);
            let j = r.json();
            (without_paths(&j["codes"]), without_paths(&j["jobs"]), without_paths(&j["remediations"]))
        };
        let mapped = report(azsm(&["scan", "--format", "json", &tree.arg("x.log")]));
        prop_assert!(mapped.0.to_string().contains("/export/d1/f.txt"), "the item is found: {}", mapped.0);
        prop_assert!(mapped.1.to_string().contains("38fb0f65-b642-4cb7-a8a0-f406e3e6f85a"), "{}", mapped.1);
        prop_assert_eq!(&report(azsm_stdin(&["scan", "--format", "json", "-"], &line)), &mapped);
        prop_assert_eq!(&report(azsm(&["scan", "--format", "json", &tree.arg("x.log.gz")])), &mapped);
        prop_assert_eq!(&report(azsm(&["scan", "--format", "json", &tree.arg("b.tar")])), &mapped);
    }
}
