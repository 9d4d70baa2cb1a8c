//! What the formats ask of a built report beyond its rows: job runs in
//! table order, per-code fixes and ranks, and codes as counted text.

use std::collections::BTreeMap;

use super::model::{CodeCount, JobRow, Report};
use crate::model::code::Code;

impl Report {
    /// Job runs as the text and Markdown tables show them: most findings
    /// first, then most events, then by id.
    pub fn jobs_by_findings(&self) -> Vec<&JobRow> {
        let mut jobs: Vec<&JobRow> = self.jobs.iter().collect();
        jobs.sort_by(|a, b| {
            b.findings
                .cmp(&a.findings)
                .then(b.events.cmp(&a.events))
                .then(a.job.cmp(&b.job))
        });
        jobs
    }

    /// Whether anything needs fixing.
    pub fn has_findings(&self) -> bool {
        !self.remediations.is_empty()
    }

    /// Per code, what to do, for the formats that speak of codes rather
    /// than remediations (SARIF rules, JUnit failures): the mitigation of
    /// its entry without a sub-cause, then each sub-cause it was seen with,
    /// as `When the log says "WORDS" (NAME): FIX`, in rank order.
    pub fn code_fixes(&self) -> BTreeMap<Code, String> {
        let mut out: BTreeMap<Code, String> = BTreeMap::new();
        for r in self.remediations.iter().filter(|r| r.cause.is_none()) {
            for &c in &r.codes {
                out.entry(c).or_insert_with(|| r.mitigation.clone());
            }
        }
        for r in &self.remediations {
            let Some(cause) = &r.cause else { continue };
            let words = r.example.as_ref().and_then(|e| e.matched.as_deref());
            let said = words.map_or(String::new(), |w| format!(" says \"{w}\""));
            for &c in &r.codes {
                let text = out.entry(c).or_default();
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(&format!("When the log{said} ({cause}): {}", r.mitigation));
            }
        }
        out
    }

    /// Per code, the best rank of the entries it is in.
    pub fn code_ranks(&self) -> BTreeMap<Code, usize> {
        let mut out = BTreeMap::new();
        for r in &self.remediations {
            for &c in &r.codes {
                out.entry(c).or_insert(r.rank);
            }
        }
        out
    }
}

/// `AZSM1024 ×2, AZSM2062 ×1`, as the text and Markdown reports show codes.
pub(crate) fn counts(codes: &[CodeCount]) -> String {
    codes
        .iter()
        .map(|c| format!("{} ×{}", c.code, c.count))
        .collect::<Vec<_>>()
        .join(", ")
}
