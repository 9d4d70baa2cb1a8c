//! `--fail-on`: which findings make a run exit 1. The report decides it
//! from its own counts ([`Report::fails`]), so every output format
//! and `azsm merge` agree on the exit status.

use std::collections::BTreeSet;

use crate::model::code::{Code, Scope, Severity};
use crate::model::error::Error;
use crate::report::{Change, Report};

/// `--fail-on`: which findings make the run exit 1.
///
/// Severities map as: `error` = critical and error findings; `warning` =
/// critical, error and warning findings (every finding); info and success
/// codes are never findings. Codes and `new` look at codes as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailOn {
    /// Critical or error findings (the default).
    Error,
    /// Any finding (critical, error or warning).
    Warning,
    /// Never exit 1.
    Never,
    /// Any event of these codes, finding or not.
    Codes(BTreeSet<Code>),
    /// Any finding of this scope.
    Scope(Scope),
    /// Findings new against the baseline (needs `--baseline`).
    New,
}

impl FailOn {
    /// Parses the flag's value.
    pub fn parse(s: &str) -> Result<FailOn, Error> {
        let bad = |why: String| {
            Error::Argument {
            flag: "--fail-on",
            message: format!(
                "{why}; it takes error, warning, never, new, a scope (agent, job, item, unknown) or a comma-separated list of codes like AZSM1024,AZSM2062"
            ),
        }
        };
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "error" => FailOn::Error,
            "warning" => FailOn::Warning,
            "never" => FailOn::Never,
            "new" => FailOn::New,
            "agent" => FailOn::Scope(Scope::Agent),
            "job" => FailOn::Scope(Scope::Job),
            "item" => FailOn::Scope(Scope::Item),
            "unknown" => FailOn::Scope(Scope::Unknown),
            "" => return Err(bad("the value is empty".into())),
            _ => {
                let codes = s
                    .split(',')
                    .map(|c| c.trim().parse::<Code>())
                    .collect::<Result<BTreeSet<_>, _>>()
                    .map_err(|e| bad(format!("'{}' is not a threshold", e.0)))?;
                FailOn::Codes(codes)
            }
        })
    }

    /// Whether a finding or event of `code` meets the threshold; `is_new`
    /// says whether the baseline marks it new.
    pub fn met_by(&self, code: Code, is_new: bool) -> bool {
        let finding = code.is_finding();
        match self {
            FailOn::Error => finding && code.severity() <= Severity::Error,
            FailOn::Warning => finding,
            FailOn::Never => false,
            FailOn::Codes(set) => set.contains(&code),
            FailOn::Scope(scope) => finding && code.scope() == *scope,
            FailOn::New => finding && is_new,
        }
    }
}

impl Report {
    /// Whether some code meets `fail_on` (see [`FailOn`]).
    /// Events a healthy sub-cause excused are not findings: they meet only
    /// a list of codes, which takes any event.
    pub fn fails(&self, fail_on: &FailOn) -> bool {
        let listed = matches!(fail_on, FailOn::Codes(_));
        self.codes.iter().any(|c| {
            let events = if listed { c.count } else { c.count - c.healthy };
            events > 0 && fail_on.met_by(c.code, c.change == Some(Change::New))
        })
    }
}
