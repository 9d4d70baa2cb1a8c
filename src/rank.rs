//! What to fix first: findings grouped by remediation and ranked.
//!
//! Codes that share one mitigation text form one entry (one fix clears them
//! all); a code the catalog does not know is an entry of its own. Only
//! findings take part: success (`AZSM0000`) and the informational item
//! ranges (excluded, no copy necessary) are counted elsewhere, never here.
//!
//! # The ranking rule
//!
//! Entries are ordered by, in turn:
//! 1. **severity**: critical (an agent or a whole job run failed) before
//!    error (an item failed) before warning (an item skipped as
//!    unsupported, or a code of unknown scope). A few job-level failures
//!    that stopped whole runs outrank thousands of per-item failures.
//! 2. **advice**: an actionable fix (permissions, configuration, paths,
//!    names) before "retry / transient" advice, before a code the catalog
//!    does not know. Advice is "retry" when the code is its block's
//!    miscellaneous code (1020, 1040, 1060, 2080, ...) or the mitigation's
//!    first sentence starts with "retry"/"rerun" or speaks of a
//!    "temporary"/"transient" error.
//! 3. **breadth**: more job runs affected first.
//! 4. **count**: more events first.
//! 5. the lowest code number, so that the order is total.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::aggregate::{Example, Tally};
use crate::catalog::{Catalog, Entry};
use crate::code::{Code, Severity};
use crate::timestamp::Millis;

/// What kind of fix an entry's mitigation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Advice {
    /// Something specific to change: permissions, configuration, paths.
    Actionable,
    /// Retry the job, the error is likely transient, or open a ticket.
    Retry,
    /// The catalog does not know the code.
    Unknown,
}

impl std::fmt::Display for Advice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Advice::Actionable => "actionable",
            Advice::Retry => "retry",
            Advice::Unknown => "unknown",
        })
    }
}

/// Classifies a code's catalog advice; see the module docs.
pub fn advice(code: Code, entry: Option<&Entry>) -> Advice {
    let Some(entry) = entry else {
        return Advice::Unknown;
    };
    if code.subcategory().is_miscellaneous(code) {
        return Advice::Retry;
    }
    let first = entry
        .mitigation
        .split(". ")
        .next()
        .unwrap_or_default()
        .to_lowercase();
    let retry = first.starts_with("retry")
        || first.starts_with("rerun")
        || first.contains("temporary")
        || first.contains("transient");
    if retry {
        Advice::Retry
    } else {
        Advice::Actionable
    }
}

/// One thing to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remediation {
    /// 1 is the first thing to fix.
    pub rank: usize,
    /// The most severe of its codes.
    pub severity: Severity,
    /// What kind of fix it is.
    pub advice: Advice,
    /// Its codes with their counts, most frequent first.
    pub codes: Vec<(Code, u64)>,
    /// Events of all its codes.
    pub events: u64,
    /// Job runs affected by any of its codes.
    pub jobs: usize,
    /// Inputs in which any of its codes was seen.
    pub files: usize,
    /// Earliest time seen.
    pub first: Option<Millis>,
    /// Latest time seen.
    pub last: Option<Millis>,
    /// The first place one of its codes was seen.
    pub example: Option<Example>,
    /// The message of its most frequent code.
    pub title: String,
    /// What to do.
    pub mitigation: String,
}

impl Remediation {
    fn sort_key(
        &self,
    ) -> (
        Severity,
        Advice,
        std::cmp::Reverse<usize>,
        std::cmp::Reverse<u64>,
        Code,
    ) {
        let lowest = self
            .codes
            .iter()
            .map(|c| c.0)
            .min()
            .unwrap_or(Code::SUCCESS);
        (
            self.severity,
            self.advice,
            std::cmp::Reverse(self.jobs),
            std::cmp::Reverse(self.events),
            lowest,
        )
    }
}

/// The mitigation for a code the catalog does not know.
pub fn unknown_mitigation(code: Code) -> String {
    format!(
        "{code} is not in the catalog. Its digits say: {} scope, {}. Look it up at {} or pass a newer copy of the page with --catalog; if it is not documented, open a support ticket quoting the example line.",
        code.scope(),
        code.subcategory(),
        code.doc_url()
    )
}

/// Groups the findings of `tally` by remediation and ranks them.
pub fn rank(tally: &Tally, catalog: &Catalog) -> Vec<Remediation> {
    struct Group<'a> {
        codes: Vec<Code>,
        mitigation: String,
        advice: Advice,
        entry: Option<&'a Entry>,
    }
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for &code in tally.codes.keys().filter(|c| c.is_finding()) {
        let entry = catalog.get(code);
        let (key, mitigation) = match entry {
            Some(e) => (format!("m:{}", e.mitigation), e.mitigation.clone()),
            None => (format!("u:{code}"), unknown_mitigation(code)),
        };
        let g = groups.entry(key).or_insert_with(|| Group {
            codes: Vec::new(),
            mitigation,
            advice: advice(code, entry),
            entry,
        });
        // Codes sharing a text share its advice, except that a miscellaneous
        // code's "retry" must not demote a specific code's actionable fix.
        g.advice = g.advice.min(advice(code, entry));
        if g.entry.is_none() {
            g.entry = entry;
        }
        g.codes.push(code);
    }
    let mut out: Vec<Remediation> = groups
        .into_values()
        .map(|g| {
            let mut codes: Vec<(Code, u64)> =
                g.codes.iter().map(|c| (*c, tally.codes[c].count)).collect();
            codes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let tallies: Vec<_> = g.codes.iter().map(|c| &tally.codes[c]).collect();
            let jobs: BTreeSet<&String> = tallies.iter().flat_map(|t| &t.jobs).collect();
            let files: BTreeSet<_> = tallies.iter().flat_map(|t| &t.files).collect();
            let top = codes[0].0;
            Remediation {
                rank: 0,
                severity: g
                    .codes
                    .iter()
                    .map(|c| c.severity())
                    .min()
                    .unwrap_or(Severity::Warning),
                advice: g.advice,
                events: codes.iter().map(|c| c.1).sum(),
                jobs: jobs.len(),
                files: files.len(),
                first: tallies.iter().filter_map(|t| t.first).min(),
                last: tallies.iter().filter_map(|t| t.last).max(),
                example: tallies
                    .iter()
                    .flat_map(|t| t.examples.first())
                    .min()
                    .cloned(),
                title: catalog.get(top).map_or_else(
                    || format!("Unknown status code {top}"),
                    |e| e.message.clone(),
                ),
                mitigation: g.mitigation,
                codes,
            }
        })
        .collect();
    out.sort_by_key(Remediation::sort_key);
    for (i, r) in out.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::CodeTally;

    fn code(s: &str) -> Code {
        s.parse().unwrap()
    }

    fn tally(rows: &[(&str, u64, usize)]) -> Tally {
        let mut t = Tally::default();
        for &(c, count, jobs) in rows {
            t.codes.insert(
                code(c),
                CodeTally {
                    count,
                    jobs: (0..jobs).map(|j| format!("job{j}")).collect(),
                    ..CodeTally::default()
                },
            );
        }
        t
    }

    fn order(t: &Tally) -> Vec<Vec<String>> {
        rank(t, Catalog::embedded())
            .iter()
            .map(|r| r.codes.iter().map(|c| c.0.to_string()).collect())
            .collect()
    }

    #[test]
    fn advice_classification_of_the_published_table() {
        let cat = Catalog::embedded();
        let retry: Vec<String> = cat
            .iter()
            .filter(|(c, e)| advice(*c, Some(e)) == Advice::Retry)
            .map(|(c, _)| c.to_string())
            .collect();
        assert_eq!(
            retry,
            [
                "AZSM1002", "AZSM1020", "AZSM1021", "AZSM1023", "AZSM1040", "AZSM1041", "AZSM1043",
                "AZSM1044", "AZSM1045", "AZSM1060", "AZSM2061", "AZSM2063", "AZSM2071", "AZSM2080"
            ]
        );
        assert_eq!(advice(code("AZSM1099"), None), Advice::Unknown);
    }

    #[test]
    fn a_few_job_failures_outrank_thousands_of_item_failures() {
        let t = tally(&[("AZSM2063", 5000, 9), ("AZSM1045", 2, 1)]);
        assert_eq!(order(&t), [vec!["AZSM1045"], vec!["AZSM2063"]]);
    }

    #[test]
    fn actionable_outranks_retry_at_equal_severity_then_breadth_then_count() {
        // 1043 (retry) is broader and more frequent, 1024 (actionable) wins.
        let t = tally(&[("AZSM1043", 900, 9), ("AZSM1024", 1, 1)]);
        assert_eq!(order(&t), [vec!["AZSM1024"], vec!["AZSM1043"]]);
        // Same severity and advice: more jobs first, even with fewer events.
        let t = tally(&[("AZSM2062", 900, 1), ("AZSM2069", 3, 2)]);
        assert_eq!(order(&t), [vec!["AZSM2069"], vec!["AZSM2062"]]);
        // Same jobs: more events first.
        let t = tally(&[("AZSM2062", 9, 1), ("AZSM2069", 30, 1)]);
        assert_eq!(order(&t), [vec!["AZSM2069"], vec!["AZSM2062"]]);
    }

    #[test]
    fn unknown_codes_are_findings_after_known_advice_of_their_severity() {
        let t = tally(&[
            ("AZSM1099", 50, 5),
            ("AZSM1043", 1, 1),
            ("AZSM7001", 1, 1),
            ("AZSM2062", 1, 1),
        ]);
        assert_eq!(
            order(&t),
            [
                vec!["AZSM1043"],
                vec!["AZSM1099"],
                vec!["AZSM2062"],
                vec!["AZSM7001"]
            ]
        );
        let r = rank(&t, Catalog::embedded());
        assert_eq!(r[1].title, "Unknown status code AZSM1099");
        assert!(
            r[1].mitigation
                .contains("job scope, reserved range 1081-1100"),
            "{}",
            r[1].mitigation
        );
    }

    #[test]
    fn codes_sharing_a_mitigation_form_one_entry_and_non_findings_none() {
        let t = tally(&[
            ("AZSM1041", 1, 1),
            ("AZSM2080", 7, 2),
            ("AZSM2063", 3, 3),
            ("AZSM0000", 100, 9),
            ("AZSM2001", 10, 1),
            ("AZSM2042", 4, 1),
        ]);
        let r = rank(&t, Catalog::embedded());
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(
            r[0].codes,
            [
                (code("AZSM2080"), 7),
                (code("AZSM2063"), 3),
                (code("AZSM1041"), 1)
            ]
        );
        assert_eq!(r[0].severity, Severity::Critical);
        assert_eq!((r[0].events, r[0].jobs, r[0].rank), (11, 3, 1));
    }
}
