//! Test oracles shared by the integration tests and the fuzz targets: a
//! plain, line-by-line reference implementation of the README's rules that
//! the fast scanner must agree with. Not part of the public API.

use std::collections::BTreeMap;

use regex::bytes::Regex;

use crate::aggregate::Tally;
use crate::jobkey::BUILTIN_PATTERN;
use crate::scan::path_job;

/// What both implementations are compared on: events per code, per job
/// run and code, unattributed per code, and per rule (line, path, carried,
/// none, agent).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub codes: BTreeMap<String, u64>,
    pub jobs: BTreeMap<String, BTreeMap<String, u64>>,
    pub unattributed: BTreeMap<String, u64>,
    pub rules: [u64; 5],
}

/// The README's rules, line by line, with regexes.
pub fn reference(path: &str, data: &[u8]) -> Counts {
    let code_re = Regex::new(r"(?-u:\b)AZSM[0-9]{4}(?-u:\b)").expect("a valid regex");
    let key_re = Regex::new(BUILTIN_PATTERN).expect("a valid regex");
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
        for code in codes {
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
    }
}
