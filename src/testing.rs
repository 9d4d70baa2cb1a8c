//! Test oracles shared by the integration tests and the fuzz targets: a
//! plain, line-by-line reference implementation of the README's rules that
//! the fast scanner must agree with. Not part of the public API.

use std::collections::BTreeMap;

use regex::bytes::Regex;

use crate::model::causes::Causes;
use crate::model::code::Code;
use crate::model::window::Window;
use crate::scan::jobkey::BUILTIN_PATTERN;
use crate::scan::path_job;
use crate::tally::Tally;

/// What both implementations are compared on: events per code, per job
/// run and code, unattributed per code, per rule (line, path, carried,
/// none, agent), per code and sub-cause, and outside the window / untimed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub codes: BTreeMap<String, u64>,
    pub jobs: BTreeMap<String, BTreeMap<String, u64>>,
    pub unattributed: BTreeMap<String, u64>,
    pub rules: [u64; 5],
    pub causes: BTreeMap<(String, String), u64>,
    pub outside: u64,
    pub untimed: u64,
}

/// The sub-cause of `code` on `line`, by the documented rule, found with
/// plain substring search: the code's own row before an any-code row, then
/// the longest trigger, then the earliest, then the earlier row.
fn reference_cause(causes: &Causes, code: &str, line: &[u8]) -> String {
    let Ok(code) = code.parse::<Code>() else {
        return "-".to_string();
    };
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

/// A job key's value that is a job id, by the README's rule: a digit, or a
/// letter and one of `.`, `_`, `-` (in either order).
pub const JOB_ID: &str = r"[0-9]|[A-Za-z].*[._-]|[._-].*[A-Za-z]";

/// A job id as the README counts it: a GUID (in any case) in lower case.
fn counted(id: &str) -> String {
    let guid = Regex::new(r"^[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$")
        .expect("a valid pattern");
    if guid.is_match(id.as_bytes()) {
        id.to_ascii_lowercase()
    } else {
        id.to_string()
    }
}

/// The README's rules, line by line, with regexes; sub-causes by plain
/// substring search; the time window applied.
pub fn reference(path: &str, data: &[u8], window: Window) -> Counts {
    let causes = Causes::embedded();
    let code_re = Regex::new(r"(?-u:\b)AZSM[0-9]{4}(?-u:\b)").expect("a valid pattern");
    let key_re = Regex::new(BUILTIN_PATTERN).expect("a valid pattern");
    let id_re = Regex::new(JOB_ID).expect("a valid pattern");
    let mut out = Counts::default();
    let mut carry: Option<String> = None;
    let path_job = path_job(path).map(counted);
    let mut lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if data.ends_with(b"\n") || data.is_empty() {
        lines.pop();
    }
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // Keys with word values are matched (and passed over), not counted.
        let keys: Vec<String> = key_re
            .captures_iter(line)
            .filter(|c| id_re.is_match(&c[1]))
            .map(|c| counted(&String::from_utf8_lossy(&c[1])))
            .collect();
        let mut codes: Vec<String> = code_re
            .find_iter(line)
            .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
            .collect();
        codes.sort();
        codes.dedup();
        let time = crate::model::timestamp::parse_line_start(line);
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

/// A tally reduced to [`Counts`].
pub fn counts(t: &Tally) -> Counts {
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
                    j.to_string(),
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

/// The scan fuzz target's oracle, also run over `fuzz/regressions/scan/` by
/// the tests: the first three bytes choose the chunk size, the stream block
/// size, the long-line limit and the path; the rest is the log. Panics when
/// a fast path disagrees with the reference or with another path.
pub fn check_scan(input: &[u8]) {
    use crate::pipeline::file::InputCtx;
    use crate::pipeline::{self, ReadOptions};
    use crate::scan::jobkey::KeyFinder;
    use crate::scan::Scanner;
    let Some((&[a, b, c], data)) = input.split_first_chunk::<3>() else {
        return;
    };
    let path = if c & 1 == 0 {
        "var/log/xdatamoved.log"
    } else {
        "archive/38fb0f65-b642-4cb7-a8a0-f406e3e6f85a/job.log"
    };
    let opts = ReadOptions {
        binary: true,
        chunk: usize::MAX,
        ..ReadOptions::default()
    };
    let scanner = Scanner::new(KeyFinder::default());
    let whole = pipeline::scan_bytes(&scanner, path, data, opts, &InputCtx::none());
    assert_eq!(
        counts(&whole),
        reference(path, data, Window::default()),
        "fast scan vs reference"
    );
    let chunk = 1 + a as usize;
    let chunked = pipeline::scan_bytes(
        &scanner,
        path,
        data,
        ReadOptions { chunk, ..opts },
        &InputCtx::none(),
    );
    assert_eq!(chunked, whole, "chunked vs whole");
    let block = 1 + b as usize;
    let streamed = pipeline::scan_reader(
        &scanner,
        path,
        data,
        ReadOptions {
            chunk,
            block,
            ..opts
        },
        &InputCtx::none(),
    );
    assert_eq!(streamed, whole, "streamed vs whole");
    let long_line = 1 + (c >> 1) as usize;
    let pieces = pipeline::scan_reader(
        &scanner,
        path,
        data,
        ReadOptions {
            chunk,
            block,
            long_line,
            ..opts
        },
        &InputCtx::none(),
    );
    assert_eq!(pieces, whole, "long lines in pieces vs whole");
}

/// The catalog fuzz target's oracle: any text parses without panicking,
/// every accepted row is a code, every warning names a line of the input.
pub fn check_catalog(input: &[u8]) {
    let doc = String::from_utf8_lossy(input);
    let (catalog, warnings) = crate::model::catalog::Catalog::parse(&doc);
    for (code, _) in catalog.iter() {
        assert!(code.to_string().starts_with("AZSM"));
    }
    let lines = doc.lines().count() + 1;
    for w in &warnings {
        assert!(
            w.line >= 1 && w.line <= lines,
            "{w:?} names a line of the input"
        );
    }
}

/// The merge fuzz target's oracle: any bytes read as a JSON report either
/// fail with a reason or give a tally that ranks and renders as a report
/// which reads back to the same tally.
pub fn check_merge(input: &[u8]) {
    let Ok(tally) =
        crate::report::load::parse(input, Some(crate::model::causes::Causes::embedded()))
    else {
        return;
    };
    let render = |t: &Tally| {
        let report = crate::report::Report::build(
            t,
            crate::model::catalog::Catalog::embedded(),
            crate::model::causes::Causes::embedded(),
            crate::model::window::Window::default(),
        );
        let mut out = Vec::new();
        crate::report::json::write(&report, &mut out).expect("rendering to memory");
        out
    };
    let once = render(&tally);
    let again = crate::report::load::parse(&once, Some(crate::model::causes::Causes::embedded()))
        .expect("a rendered report reads back");
    assert_eq!(render(&again), once, "a report survives a round trip");
}
