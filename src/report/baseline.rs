//! `--baseline`: marking a report's codes against an earlier report's
//! counts.

use std::collections::BTreeMap;

use super::model::{BaselineRow, BaselineSection, Change, Report};
use crate::model::code::Code;

impl Report {
    /// Marks every code (and remediation) against `previous`, the per-code
    /// counts of an earlier report read from `path`.
    pub fn compare(&mut self, path: &str, previous: &BTreeMap<Code, u64>) {
        let mut rows = Vec::new();
        for c in &mut self.codes {
            let before = previous.get(&c.code).copied().unwrap_or(0);
            let change = match before {
                0 => Change::New,
                b if c.count > b => Change::Increased,
                b if c.count < b => Change::Decreased,
                _ => Change::Unchanged,
            };
            c.change = Some(change);
            rows.push(BaselineRow {
                code: c.code,
                change,
                count: c.count,
                previous: before,
                finding: c.finding,
            });
        }
        for (&code, &before) in previous {
            if before > 0 && !self.codes.iter().any(|c| c.code == code) {
                rows.push(BaselineRow {
                    code,
                    change: Change::Resolved,
                    count: 0,
                    previous: before,
                    finding: code.is_finding(),
                });
            }
        }
        rows.sort_by_key(|r| r.code);
        let change_of = |code: Code| rows.iter().find(|r| r.code == code).map(|r| r.change);
        for r in &mut self.remediations {
            r.change = r.codes.iter().filter_map(|&c| change_of(c)).min();
        }
        let mut totals = BTreeMap::new();
        for r in &rows {
            *totals.entry(r.change).or_insert(0) += 1;
        }
        self.baseline = Some(BaselineSection {
            path: path.to_string(),
            totals,
            codes: rows,
        });
    }

    /// The codes resolved since the baseline, if any.
    pub fn resolved(&self) -> Vec<&BaselineRow> {
        self.baseline
            .iter()
            .flat_map(|b| &b.codes)
            .filter(|r| r.change == Change::Resolved)
            .collect()
    }
}
