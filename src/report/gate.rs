//! `--fail-on`: which findings make a run exit 1. The report decides it
//! from its own counts ([`Report::fails`]), so every output format
//! and `azsm merge` agree on the exit status.

use std::collections::BTreeSet;

use super::{Change, Report};
use crate::model::code::{Code, Scope, Severity};
use crate::model::error::Error;

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
    fn met_by(&self, code: Code, is_new: bool) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on_severity_mapping() {
        let c = |n| Code::new(n).unwrap();
        let error = FailOn::parse("error").unwrap();
        assert!(error.met_by(c(1024), false), "critical");
        assert!(error.met_by(c(2062), false), "error");
        assert!(!error.met_by(c(2021), false), "warning");
        assert!(!error.met_by(c(2001), false), "info");
        assert!(!error.met_by(c(0), false), "success");
        let warning = FailOn::parse("Warning").unwrap();
        assert!(warning.met_by(c(2021), false) && warning.met_by(c(3001), false));
        assert!(!warning.met_by(c(2041), false));
        assert_eq!(
            FailOn::parse("AZSM1024, 2062").unwrap(),
            FailOn::Codes([c(1024), c(2062)].into_iter().collect())
        );
        assert!(FailOn::parse("new").unwrap().met_by(c(2062), true));
        assert!(!FailOn::parse("new").unwrap().met_by(c(2062), false));
        assert!(!FailOn::parse("new").unwrap().met_by(c(2001), true));
        assert!(FailOn::parse("unknown").unwrap().met_by(c(5000), false));
    }
}
