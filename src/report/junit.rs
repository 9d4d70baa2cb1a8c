//! `junit`: JUnit XML, for the test tabs of GitLab, Jenkins and Azure
//! Pipelines.
//!
//! One `testsuite` per job run, plus `agent` (agent-level codes) and
//! `unattributed` (codes with no job run); one `testcase` per code in it;
//! a `failure` for each finding, its text the mitigation. Codes that are
//! not findings (success, informational) are passing test cases. Inputs
//! not scanned are `error`s of the suite `inputs`. Every
//! value is escaped for XML and characters XML 1.0 cannot hold (most
//! control characters, U+FFFE, U+FFFF) become U+FFFD, so the document is
//! well-formed whatever bytes the logs held.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{CodeCount, CodeRow, Report};
use crate::model::code::Code;

/// Escapes `s` for XML text and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c if (c as u32) < 0x20 => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

struct Suite<'a> {
    name: String,
    codes: &'a [CodeCount],
}

/// Writes the JUnit document.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let rows: BTreeMap<Code, &CodeRow> = report.codes.iter().map(|c| (c.code, c)).collect();
    let fixes = report.code_fixes();
    let mitigation: BTreeMap<Code, &str> = fixes.iter().map(|(&c, t)| (c, t.as_str())).collect();
    let (agent, other): (Vec<CodeCount>, Vec<CodeCount>) = report
        .unattributed
        .iter()
        .cloned()
        .partition(|c| c.code.is_agent_level());
    let mut suites: Vec<Suite> = report
        .jobs
        .iter()
        .map(|j| Suite {
            name: format!("job run {}", j.job),
            codes: &j.codes,
        })
        .collect();
    if !agent.is_empty() {
        suites.push(Suite {
            name: "agent".into(),
            codes: &agent,
        });
    }
    if !other.is_empty() {
        suites.push(Suite {
            name: "unattributed".into(),
            codes: &other,
        });
    }
    let failures = |s: &Suite| s.codes.iter().filter(|c| c.code.is_finding()).count();
    let tests: usize = suites.iter().map(|s| s.codes.len()).sum();
    let failed: usize = suites.iter().map(failures).sum();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="azsm" tests="{}" failures="{failed}" errors="{}" time="0">"#,
        tests + report.errors.len(),
        report.errors.len()
    )?;
    write_errors(report, out)?;
    for s in &suites {
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{}" errors="0" skipped="0" time="0">"#,
            escape(&s.name),
            s.codes.len(),
            failures(s)
        )?;
        for c in s.codes {
            let row = rows.get(&c.code);
            let message = row
                .and_then(|r| r.message.as_deref())
                .unwrap_or("not in the catalog");
            write!(
                out,
                r#"    <testcase classname="azsm.{}" name="{} {}" time="0""#,
                escape(&s.name),
                c.code,
                escape(message)
            )?;
            if !c.code.is_finding() {
                writeln!(out, "/>")?;
                continue;
            }
            let mut details = mitigation.get(&c.code).copied().unwrap_or("").to_string();
            if let Some(r) = row {
                details.push_str(&format!("\n\nDocs: {}", r.doc_url));
                if let Some(change) = r.change {
                    details.push_str(&format!("\nAgainst the baseline: {}", change.as_str()));
                }
                for e in &r.examples {
                    details.push_str(&format!(
                        "\nFirst seen (in any job run) at {}:{}: {}",
                        e.path, e.line, e.text
                    ));
                }
            }
            writeln!(out, ">")?;
            writeln!(
                out,
                r#"      <failure message="{}" type="{}">{}</failure>"#,
                escape(&format!("{} ×{}: {message}", c.code, c.count)),
                c.code.severity(),
                escape(&details)
            )?;
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// The inputs that were not scanned (a missing path, an unreadable file,
/// a scan that found no file): one testcase each in the suite `inputs`,
/// with an `error`, so that a CI test tab never shows a partial scan as
/// passing.
fn write_errors(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if report.errors.is_empty() {
        return Ok(());
    }
    let n = report.errors.len();
    writeln!(
        out,
        r#"  <testsuite name="inputs" tests="{n}" failures="0" errors="{n}" skipped="0" time="0">"#
    )?;
    for e in &report.errors {
        writeln!(
            out,
            r#"    <testcase classname="azsm.inputs" name="scan {}" time="0">"#,
            escape(&e.path)
        )?;
        writeln!(
            out,
            r#"      <error message="{}" type="not scanned">{}: {}</error>"#,
            escape(&format!("not scanned: {}", e.path)),
            escape(&e.path),
            escape(&e.message)
        )?;
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "  </testsuite>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escaping_drops_what_xml_cannot_hold() {
        assert_eq!(
            escape("a<b>&\"'\u{0}\u{1b}]]>\u{FFFF}"),
            "a&lt;b&gt;&amp;&quot;&apos;\u{FFFD}\u{FFFD}]]&gt;\u{FFFD}"
        );
    }
}
