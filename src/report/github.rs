//! `github`: GitHub Actions workflow commands.
//!
//! GitHub shows only 10 error and 10 warning annotations per step, so azsm
//! emits one annotation per remediation in rank order (critical and error
//! remediations as `::error`, warnings as `::warning`), at most
//! [`MAX_PER_LEVEL`] of each, placed at the remediation's first example
//! line, and sums up the rest in one `::notice`. Inputs not scanned come
//! first, as `::error` with the title `azsm: not scanned`. Values are escaped as the
//! runner expects (`%`, CR, LF in messages; also `:` and `,` in
//! properties), so no log text can end a command or start another. The
//! Markdown summary for `$GITHUB_STEP_SUMMARY` is written by the caller
//! (see `app.rs`) from [`super::markdown`].

use std::io::{self, Write};

use super::{Change, Report};
use crate::model::code::Severity;

/// Annotations of one level that GitHub shows per step.
pub const MAX_PER_LEVEL: usize = 10;

/// Escapes a command's message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property's value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// Writes the annotations.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // Inputs not scanned first: a partial scan fails the step visibly.
    for e in report.errors.iter().take(MAX_PER_LEVEL) {
        writeln!(
            out,
            "::error title={}::{}",
            escape_property("azsm: not scanned"),
            escape_data(&format!("{}: {}", e.path, e.message))
        )?;
    }
    if report.errors.len() > MAX_PER_LEVEL {
        writeln!(
            out,
            "::error title={}::{}",
            escape_property("azsm: not scanned"),
            escape_data(&format!(
                "{} more inputs were not scanned; the JSON report lists them all",
                report.errors.len() - MAX_PER_LEVEL
            ))
        )?;
    }
    let (mut errors, mut warnings) = (0, 0);
    let mut rest = Vec::new();
    for r in &report.remediations {
        let (command, shown) = match r.severity {
            Severity::Critical | Severity::Error => ("error", &mut errors),
            _ => ("warning", &mut warnings),
        };
        if *shown == MAX_PER_LEVEL {
            rest.push(r);
            continue;
        }
        *shown += 1;
        let codes = r
            .counts
            .iter()
            .map(|c| format!("{} ×{}", c.code, c.count))
            .collect::<Vec<_>>()
            .join(", ");
        let change = match r.change {
            Some(c) => format!(" [{}]", c.as_str()),
            None => String::new(),
        };
        let mut props = Vec::new();
        if let Some(e) = &r.example {
            props.push(format!("file={}", escape_property(&e.path)));
            props.push(format!("line={}", e.line));
        }
        props.push(format!(
            "title={}",
            escape_property(&format!(
                "azsm #{} {}{change}: {}{}",
                r.rank,
                r.severity,
                r.title,
                r.cause
                    .as_ref()
                    .map_or(String::new(), |c| format!(" (sub-cause {c})"))
            ))
        ));
        let message = format!(
            "{codes}; {} in {}. Fix: {} Docs: {}",
            plural(r.events as usize, "event"),
            plural(r.jobs, "job run"),
            r.mitigation,
            r.doc_urls.join(" ")
        );
        writeln!(
            out,
            "::{command} {}::{}",
            props.join(","),
            escape_data(&message)
        )?;
    }
    if !rest.is_empty() {
        let list = rest
            .iter()
            .map(|r| {
                let codes: Vec<String> = r.codes.iter().map(|c| c.to_string()).collect();
                format!("#{} {} ({})", r.rank, r.title, codes.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ");
        writeln!(
            out,
            "::notice title={}::{}",
            escape_property(&format!("azsm: {} more remediations", rest.len())),
            escape_data(&format!(
                "Not shown as annotations (GitHub shows {MAX_PER_LEVEL} errors and {MAX_PER_LEVEL} warnings per step): {list}"
            ))
        )?;
    }
    let resolved = report.resolved();
    if !resolved.is_empty() {
        let list: Vec<String> = resolved.iter().map(|r| r.code.to_string()).collect();
        writeln!(
            out,
            "::notice title={}::{}",
            escape_property("azsm: resolved since the baseline"),
            escape_data(&list.join(", "))
        )?;
    }
    if let Some(b) = &report.baseline {
        let new = b.totals.get(&Change::New).copied().unwrap_or(0);
        writeln!(
            out,
            "::notice title={}::{}",
            escape_property("azsm: baseline"),
            escape_data(&format!("{new} codes new against {}", b.path))
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_runner() {
        assert_eq!(escape_data("50% a\r\nb::c"), "50%25 a%0D%0Ab::c");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
