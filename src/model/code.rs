//! Status codes and what their digits mean.
//!
//! Every Storage Mover status is `AZSM` followed by four decimal digits. The
//! first digit is the scope (agent, job run, or one item of a job run) and
//! the published table groups codes in subcategories of 20. This module
//! decodes *any* well-formed code, known to the catalog or not, so that a
//! code Microsoft adds tomorrow is still reported with a sensible scope,
//! subcategory and severity.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// A status code, stored as its four-digit number (`AZSM1024` is `1024`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code(u16);

/// The scope named by a code's first digit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// `AZSM0xxx`: the whole agent.
    Agent,
    /// `AZSM1xxx`: one job run.
    Job,
    /// `AZSM2xxx`: one file or directory of a job run.
    Item,
    /// `AZSM3xxx`..`AZSM9xxx`: no scope is defined for these digits.
    Unknown,
}

/// How bad a code is. Ordered from most to least severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The agent or a whole job run failed: nothing (more) was copied.
    Critical,
    /// One item failed to copy.
    Error,
    /// An item was skipped as unsupported, or the code's meaning is unknown.
    Warning,
    /// Informational: excluded by a filter, or no copy was necessary.
    Info,
    /// `AZSM0000`, success.
    Success,
}

/// Why a code could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a status code: expected AZSM followed by four digits, like AZSM1024 (azsm1024 and 1024 are accepted too)")]
pub struct ParseCodeError(pub String);

impl Code {
    /// `AZSM0000`, success at any scope.
    pub const SUCCESS: Code = Code(0);

    /// The code with this number, if it has at most four digits.
    pub fn new(number: u16) -> Option<Code> {
        (number <= 9999).then_some(Code(number))
    }

    /// The code whose four ASCII digits are `digits`. The caller has checked
    /// that they are digits (the scanner does, byte by byte); a byte that is
    /// not one (a mapped file rewritten between the check and this read)
    /// counts as 9 rather than overflowing, so this never panics.
    #[inline]
    pub fn from_digits(digits: [u8; 4]) -> Code {
        let d = |i: usize| u16::from(digits[i].wrapping_sub(b'0')).min(9);
        Code(d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3))
    }

    /// The four-digit number.
    pub fn number(self) -> u16 {
        self.0
    }

    /// `AZSM` and the four digits, as bytes: what [`fmt::Display`] writes,
    /// made without the formatting machinery, which costs far more than
    /// the copy (reports write tens of thousands of codes).
    #[inline]
    pub fn text(self) -> [u8; 8] {
        let digit = |unit: u16| b'0' + (self.0 / unit % 10) as u8;
        [
            b'A',
            b'Z',
            b'S',
            b'M',
            digit(1000),
            digit(100),
            digit(10),
            digit(1),
        ]
    }

    /// The scope named by the first digit.
    pub fn scope(self) -> Scope {
        match self.0 / 1000 {
            0 => Scope::Agent,
            1 => Scope::Job,
            2 => Scope::Item,
            _ => Scope::Unknown,
        }
    }

    /// True for `AZSM0000`.
    pub fn is_success(self) -> bool {
        self == Code::SUCCESS
    }

    /// Agent-level codes are never attributed to a job run. `AZSM0000` is
    /// scope-agnostic (it also reports a successful job run), so it is not.
    pub fn is_agent_level(self) -> bool {
        self.scope() == Scope::Agent && !self.is_success()
    }

    /// The subcategory of 20 codes this code falls in.
    pub fn subcategory(self) -> Subcategory {
        Subcategory::of(self)
    }

    /// The severity decoded from scope and subcategory.
    pub fn severity(self) -> Severity {
        if self.is_success() {
            return Severity::Success;
        }
        match self.scope() {
            Scope::Agent | Scope::Job => Severity::Critical,
            Scope::Item => match self.subcategory().kind {
                SubcategoryKind::Excluded | SubcategoryKind::NoCopyNecessary => Severity::Info,
                SubcategoryKind::Unsupported => Severity::Warning,
                _ => Severity::Error,
            },
            Scope::Unknown => Severity::Warning,
        }
    }

    /// Whether events with this code are findings, i.e. something to fix.
    /// Success and the informational item ranges are counted, never findings.
    pub fn is_finding(self) -> bool {
        !matches!(self.severity(), Severity::Info | Severity::Success)
    }

    /// The anchor of this code on the published troubleshooting page.
    pub fn doc_url(self) -> String {
        format!("https://learn.microsoft.com/azure/storage-mover/status-code#{self}")
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AZSM{:04}", self.0)
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.text()) {
            Ok(text) => s.serialize_str(text),
            Err(_) => s.collect_str(self),
        }
    }
}

impl FromStr for Code {
    type Err = ParseCodeError;

    /// Accepts `AZSM1024`, `azsm1024` and `1024` (what users type); the
    /// scanner is stricter and only accepts the upper-case form in logs.
    fn from_str(s: &str) -> Result<Code, ParseCodeError> {
        let t = s.trim();
        let digits = match t.get(..4) {
            Some(p) if p.eq_ignore_ascii_case("AZSM") => &t[4..],
            _ => t,
        };
        match digits.as_bytes() {
            [a, b, c, d] if [a, b, c, d].iter().all(|x| x.is_ascii_digit()) => {
                Ok(Code::from_digits([*a, *b, *c, *d]))
            }
            _ => Err(ParseCodeError(s.to_string())),
        }
    }
}

impl Scope {
    /// The lower-case name (as displayed and serialized).
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Agent => "agent",
            Scope::Job => "job",
            Scope::Item => "item",
            Scope::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Scope, String> {
        match s.to_ascii_lowercase().as_str() {
            "agent" | "0" => Ok(Scope::Agent),
            "job" | "1" => Ok(Scope::Job),
            "item" | "file" | "2" => Ok(Scope::Item),
            _ => Err(format!("'{s}' is not a scope: use agent, job or item")),
        }
    }
}

impl Severity {
    /// The lower-case name (as displayed and serialized).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Success => "success",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kinds of subcategory the published table and the 2023 draft name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubcategoryKind {
    /// `AZSM0000`.
    Success,
    /// 0001-0020: agent upgrade.
    AgentUpgrade,
    /// 1001-1020: accessing the source.
    SourceAccess,
    /// 1021-1040: accessing the target.
    TargetAccess,
    /// 1041-1060: job execution and lifecycle.
    JobExecution,
    /// 2001-2020: excluded by a user filter.
    Excluded,
    /// 2021-2040: unsupported by the target, skipped.
    Unsupported,
    /// 2041-2060: no copy necessary.
    NoCopyNecessary,
    /// 2061-2080: failed.
    Failed,
    /// Any other block of 20: not described anywhere yet.
    Reserved,
}

/// A block of 20 codes and its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subcategory {
    /// Which kind of block this is.
    pub kind: SubcategoryKind,
    /// First code number of the block (`1021`).
    pub first: u16,
    /// Last code number of the block (`1040`), its "miscellaneous" code.
    pub last: u16,
}

impl Subcategory {
    fn of(code: Code) -> Subcategory {
        let n = code.0;
        if n == 0 {
            return Subcategory {
                kind: SubcategoryKind::Success,
                first: 0,
                last: 0,
            };
        }
        // Blocks are 0001-0020, 0021-0040, ... 1001-1020, ...
        let first = (n - 1) / 20 * 20 + 1;
        // The last block, 9981-10000, ends at the last code.
        let last = (first + 19).min(9999);
        let kind = match first {
            1 => SubcategoryKind::AgentUpgrade,
            1001 => SubcategoryKind::SourceAccess,
            1021 => SubcategoryKind::TargetAccess,
            1041 => SubcategoryKind::JobExecution,
            2001 => SubcategoryKind::Excluded,
            2021 => SubcategoryKind::Unsupported,
            2041 => SubcategoryKind::NoCopyNecessary,
            2061 => SubcategoryKind::Failed,
            _ => SubcategoryKind::Reserved,
        };
        Subcategory { kind, first, last }
    }

    /// Whether `code` is this block's last, "miscellaneous" code.
    pub fn is_miscellaneous(&self, code: Code) -> bool {
        self.kind != SubcategoryKind::Success && code.0 == self.last
    }
}

impl fmt::Display for Subcategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.kind {
            SubcategoryKind::Success => return f.write_str("success"),
            SubcategoryKind::AgentUpgrade => "agent upgrade",
            SubcategoryKind::SourceAccess => "source access",
            SubcategoryKind::TargetAccess => "target access",
            SubcategoryKind::JobExecution => "job execution",
            SubcategoryKind::Excluded => "excluded",
            SubcategoryKind::Unsupported => "unsupported",
            SubcategoryKind::NoCopyNecessary => "no copy necessary",
            SubcategoryKind::Failed => "failed",
            SubcategoryKind::Reserved => "reserved range",
        };
        write!(f, "{name} {:04}-{:04}", self.first, self.last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_that_changed_after_the_check_never_overflow() {
        // A mapped file rewritten between the scanner's check and its read.
        assert_eq!(Code::from_digits(*b"1024").number(), 1024);
        assert_eq!(Code::from_digits(*b"\xff\xff\xff\xff").number(), 9999);
        assert_eq!(Code::from_digits(*b"\0\0\0\0").number(), 9999);
    }

    fn c(s: &str) -> Code {
        s.parse().unwrap()
    }

    #[test]
    fn every_code_is_written_as_azsm_and_four_digits() {
        for n in 0..=9999 {
            let code = Code::new(n).unwrap();
            let want = format!("AZSM{n:04}");
            assert_eq!(code.text(), want.as_bytes());
            assert_eq!(code.to_string(), want);
            assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{want}\""));
        }
    }

    #[test]
    fn parses_the_forms_users_type() {
        assert_eq!(c("AZSM1024").number(), 1024);
        assert_eq!(c("azsm1024").number(), 1024);
        assert_eq!(c("1024").number(), 1024);
        assert_eq!(c(" AZSM0000 ").number(), 0);
        for bad in [
            "AZSM102",
            "AZSM10245",
            "AZSMabcd",
            "",
            "AZSX1024",
            "１０２４",
            "AZSM+024",
        ] {
            assert!(bad.parse::<Code>().is_err(), "{bad:?} must not parse");
        }
    }

    #[test]
    fn displays_with_four_digits() {
        assert_eq!(Code::new(7).unwrap().to_string(), "AZSM0007");
        assert!(Code::new(10000).is_none());
    }

    #[test]
    fn decodes_scope_subcategory_and_severity() {
        let cases = [
            ("AZSM0000", Scope::Agent, "success", Severity::Success),
            (
                "AZSM0003",
                Scope::Agent,
                "agent upgrade 0001-0020",
                Severity::Critical,
            ),
            (
                "AZSM0021",
                Scope::Agent,
                "reserved range 0021-0040",
                Severity::Critical,
            ),
            (
                "AZSM1020",
                Scope::Job,
                "source access 1001-1020",
                Severity::Critical,
            ),
            (
                "AZSM1024",
                Scope::Job,
                "target access 1021-1040",
                Severity::Critical,
            ),
            (
                "AZSM1060",
                Scope::Job,
                "job execution 1041-1060",
                Severity::Critical,
            ),
            (
                "AZSM1061",
                Scope::Job,
                "reserved range 1061-1080",
                Severity::Critical,
            ),
            (
                "AZSM2001",
                Scope::Item,
                "excluded 2001-2020",
                Severity::Info,
            ),
            (
                "AZSM2024",
                Scope::Item,
                "unsupported 2021-2040",
                Severity::Warning,
            ),
            (
                "AZSM2042",
                Scope::Item,
                "no copy necessary 2041-2060",
                Severity::Info,
            ),
            ("AZSM2080", Scope::Item, "failed 2061-2080", Severity::Error),
            (
                "AZSM2099",
                Scope::Item,
                "reserved range 2081-2100",
                Severity::Error,
            ),
            (
                "AZSM7001",
                Scope::Unknown,
                "reserved range 7001-7020",
                Severity::Warning,
            ),
        ];
        for (code, scope, sub, sev) in cases {
            let code = c(code);
            assert_eq!(code.scope(), scope, "{code}");
            assert_eq!(code.subcategory().to_string(), sub, "{code}");
            assert_eq!(code.severity(), sev, "{code}");
        }
    }

    #[test]
    fn findings_exclude_success_and_informational_items() {
        assert!(!c("AZSM0000").is_finding());
        assert!(!c("AZSM2001").is_finding());
        assert!(!c("AZSM2041").is_finding());
        assert!(c("AZSM2021").is_finding());
        assert!(c("AZSM2062").is_finding());
        assert!(c("AZSM0001").is_finding());
        assert!(c("AZSM9999").is_finding());
    }

    #[test]
    fn miscellaneous_codes_end_their_block() {
        for m in ["AZSM1020", "AZSM1040", "AZSM1060", "AZSM2080"] {
            assert!(c(m).subcategory().is_miscellaneous(c(m)), "{m}");
        }
        assert!(!c("AZSM1024").subcategory().is_miscellaneous(c("AZSM1024")));
        assert!(!c("AZSM0000").subcategory().is_miscellaneous(c("AZSM0000")));
    }

    #[test]
    fn agent_level_excludes_success() {
        assert!(c("AZSM0001").is_agent_level());
        assert!(!c("AZSM0000").is_agent_level());
        assert!(!c("AZSM1024").is_agent_level());
    }
}
