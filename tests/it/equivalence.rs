//! The fast paths against each other and against a plain reference.
//!
//! The reference reads line by line with regexes, exactly as the README
//! states the rules. The read path (whole buffer, one chunk), the chunked
//! parallel path (random chunk sizes), the stream path (random block sizes)
//! and the mmap path (random windows) must all give the same tally. The
//! reference also picks sub-causes by plain substring search and applies
//! the time window, to hold the automaton and the window to the rules.

use std::collections::BTreeMap;

use azsm::aggregate::Tally;
use azsm::causes::Causes;
use azsm::code::Code;
use azsm::jobkey::{KeyFinder, BUILTIN_PATTERN};
use azsm::read::{self, ReadOptions};
use azsm::scan::{path_job, Scanner};
use azsm::testing::without_items;
use azsm::window::Window;
use proptest::prelude::*;
use regex::bytes::Regex;

#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    codes: BTreeMap<String, u64>,
    jobs: BTreeMap<String, BTreeMap<String, u64>>,
    unattributed: BTreeMap<String, u64>,
    rules: [u64; 5],
    causes: BTreeMap<(String, String), u64>,
    outside: u64,
    untimed: u64,
}

/// The sub-cause of `code` on `line`, by the documented rule, found with
/// plain substring search: the code's own row before an any-code row, then
/// the longest trigger, then the earliest, then the earlier row.
fn reference_cause(causes: &Causes, code: &str, line: &[u8]) -> String {
    let code: Code = code.parse().unwrap();
    let lower = line.to_ascii_lowercase();
    type Key = (bool, std::cmp::Reverse<usize>, usize, u16);
    let mut best: Option<(Key, String)> = None;
    for (id, row) in causes.iter() {
        if row.code.is_some_and(|c| c != code) {
            continue;
        }
        let t = row.trigger.to_ascii_lowercase().into_bytes();
        if let Some(start) = lower.windows(t.len()).position(|w| w == &t[..]) {
            let key = (row.code.is_none(), std::cmp::Reverse(t.len()), start, id.0);
            if best.as_ref().is_none_or(|(k, _)| key < *k) {
                best = Some((key, row.name.clone()));
            }
        }
    }
    best.map_or_else(|| "-".to_string(), |b| b.1)
}

fn reference(path: &str, data: &[u8], window: Window) -> Counts {
    let causes = Causes::embedded();
    let code_re = Regex::new(r"(?-u:\b)AZSM[0-9]{4}(?-u:\b)").unwrap();
    let key_re = Regex::new(BUILTIN_PATTERN).unwrap();
    let mut out = Counts::default();
    let mut carry: Option<String> = None;
    let path_job = path_job(path).map(String::from);
    let mut lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if data.ends_with(b"\n") || data.is_empty() {
        lines.pop();
    }
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let keys: Vec<String> = key_re
            .captures_iter(line)
            .map(|c| String::from_utf8_lossy(&c[1]).into_owned())
            .collect();
        let mut codes: Vec<String> = code_re
            .find_iter(line)
            .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
            .collect();
        codes.sort();
        codes.dedup();
        let time = azsm::timestamp::parse_line_start(line);
        if time.is_some_and(|t| !window.contains(t)) {
            out.outside += codes.len() as u64;
            codes.clear();
        } else if time.is_none() {
            out.untimed += codes.len() as u64;
        }
        for code in codes {
            let cause = reference_cause(causes, &code, line);
            *out.causes.entry((code.clone(), cause)).or_default() += 1;
            *out.codes.entry(code.clone()).or_default() += 1;
            let agent = code.starts_with("AZSM0") && code != "AZSM0000";
            let (job, rule) = if agent {
                (None, 4)
            } else if let Some(k) = keys.first() {
                (Some(k.clone()), 0)
            } else if let Some(p) = &path_job {
                (Some(p.clone()), 1)
            } else if let Some(c) = &carry {
                (Some(c.clone()), 2)
            } else {
                (None, 3)
            };
            out.rules[rule] += 1;
            match job {
                Some(j) => *out.jobs.entry(j).or_default().entry(code).or_default() += 1,
                None => *out.unattributed.entry(code).or_default() += 1,
            }
        }
        if let Some(k) = keys.last() {
            carry = Some(k.clone());
        }
    }
    out
}

fn counts(t: &Tally) -> Counts {
    Counts {
        codes: t
            .codes
            .iter()
            .map(|(c, v)| (c.to_string(), v.count))
            .collect(),
        jobs: t
            .jobs
            .iter()
            .map(|(j, v)| {
                (
                    j.clone(),
                    v.codes.iter().map(|(c, n)| (c.to_string(), *n)).collect(),
                )
            })
            .collect(),
        unattributed: t
            .unattributed
            .iter()
            .map(|(c, n)| (c.to_string(), *n))
            .collect(),
        rules: [
            t.rules.line,
            t.rules.path,
            t.rules.carried,
            t.rules.none,
            t.rules.agent,
        ],
        causes: t
            .causes
            .iter()
            .map(|((c, id), v)| {
                let name = id.map_or("-".to_string(), |id| {
                    Causes::embedded().get(id).name.clone()
                });
                ((c.to_string(), name), v.count)
            })
            .fold(BTreeMap::new(), |mut m, (k, n)| {
                *m.entry(k).or_default() += n;
                m
            }),
        outside: t.window.outside,
        untimed: t.window.untimed,
    }
}

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
        let whole = read::scan_bytes(&scanner, path, &data, opts(usize::MAX));
        prop_assert_eq!(counts(&whole), reference(path, &data, w));

        let chunked = read::scan_bytes(&scanner, path, &data, opts(chunk));
        prop_assert_eq!(&chunked, &whole);

        let streamed = read::scan_reader(&scanner, path, &data[..], ReadOptions { block, ..opts(chunk) });
        prop_assert_eq!(&streamed, &whole);

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.log");
        std::fs::write(&file, &data).unwrap();
        let input = azsm::inputs::Input { display: path.to_string(), source: azsm::inputs::Source::File(file) };
        let mapped = read::scan_input(&scanner, &input, ReadOptions { mmap_min: 1, window, ..opts(chunk) });
        prop_assert_eq!(&mapped, &whole);

        // Lines longer than `long` are scanned in pieces (crate::longline),
        // which look for neither item paths nor sub-causes.
        let pieces = read::scan_reader(&scanner, path, &data[..], ReadOptions { block, long_line: long, ..opts(chunk) });
        prop_assert_eq!(without_items(&pieces), without_items(&whole));
        let mapped = read::scan_input(&scanner, &input, ReadOptions { mmap_min: 1, window, long_line: long, ..opts(chunk) });
        prop_assert_eq!(without_items(&mapped), without_items(&whole));
    }
}

#[test]
fn chunk_boundaries_do_not_break_rule_three() {
    // The key is in the first chunk, the keyless codes in later ones.
    let mut data = b"jobRunName=first\n".to_vec();
    for _ in 0..100 {
        data.extend_from_slice(b"filler line without codes\nAZSM2062 keyless\n");
    }
    let scanner = Scanner::new(KeyFinder::default());
    let t = read::scan_bytes(&scanner, "x.log", &data, opts(40));
    assert_eq!(t.jobs["first"].codes.values().sum::<u64>(), 100);
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
