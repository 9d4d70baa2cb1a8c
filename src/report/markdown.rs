//! `markdown`: GitHub-flavoured Markdown, the same text as the GitHub step
//! summary.
//!
//! A ranked remediation table and a per-job table. Every cell that holds
//! text from a log or the catalog is escaped ([`escape`]): `|` and
//! Markdown punctuation get a backslash, HTML's `<`, `>` and `&` become
//! entities, line breaks and control characters become spaces, so a log
//! line can neither break a table nor inject markup. The document stays
//! under [`MAX_BYTES`] (GitHub's step-summary limit): rows that do not fit
//! are cut and counted.

use std::io::{self, Write};

use super::{counts, Change, JobRow, RemediationRow, Report};

/// GitHub shows at most 1 MiB of summary per step; stay well inside it.
pub const MAX_BYTES: usize = 1000 * 1024;

const MAX_ERRORS: usize = 100;

/// Escapes `s` for a table cell (or any inline Markdown).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn change(c: Option<Change>) -> &'static str {
    c.map_or("", Change::as_str)
}

/// The document as a string (also used for `$GITHUB_STEP_SUMMARY`): the
/// heading, then as many remediation and job rows as fit under
/// [`MAX_BYTES`] with the tail, then the tail.
pub fn render(report: &Report) -> String {
    let mut doc = heading(report);
    let baseline = report.baseline.is_some();
    let rows = report
        .remediations
        .iter()
        .map(|r| remediation_row(r, baseline));
    let job_rows: Vec<String> = report.jobs_by_findings().into_iter().map(job_row).collect();
    let tail = tail(report);
    let job_head = format!(
        "\n### Job runs ({})\n\n| Job run | Events | Findings | First seen | Last seen | Codes |\n|---|--:|--:|---|---|---|\n",
        report.jobs.len()
    );
    // Keep room for the tail, the job table's head and a "cut" note.
    let budget = MAX_BYTES.saturating_sub(tail.len() + job_head.len() + 200);
    let mut cut = push_within(&mut doc, rows, budget);
    if !job_rows.is_empty() {
        doc.push_str(&job_head);
        cut += push_within(&mut doc, job_rows, budget);
    }
    if cut > 0 {
        doc.push_str(&format!(
            "\n{cut} rows were cut to stay under 1 MiB; the JSON report has them all.\n"
        ));
    }
    doc.push_str(&tail);
    doc
}

/// The title line, and the remediation table's head when there is one.
fn heading(report: &Report) -> String {
    let mut doc = String::new();
    let s = &report.summary;
    if !report.errors.is_empty() {
        // Stated at the top: a partial scan is never read as a clean one.
        let n = report.errors.len();
        let mut paths: Vec<String> = report
            .errors
            .iter()
            .take(10)
            .map(|e| escape(&e.path))
            .collect();
        if n > 10 {
            paths.push(format!("and {} more", n - 10));
        }
        doc.push_str(&format!(
            "## azsm: {n} {} not scanned\n\n**Not scanned:** {} (the errors are listed at the end).\n\n",
            if n == 1 { "input" } else { "inputs" },
            paths.join(", ")
        ));
        if report.remediations.is_empty() {
            doc.push_str(&format!(
                "No finding in what was scanned: {} events, none of them a finding.\n",
                s.events
            ));
            return doc;
        }
    }
    if report.remediations.is_empty() {
        doc.push_str(&format!(
            "## azsm: nothing to fix\n\n{} events, none of them a finding.\n",
            s.events
        ));
    } else {
        doc.push_str(&format!(
            "## azsm: {} remediations, {} findings in {} job runs\n\n",
            report.remediations.len(),
            s.findings,
            report.jobs.iter().filter(|j| j.findings > 0).count()
        ));
        doc.push_str(if report.baseline.is_some() {
            "| # | Severity | Change | Remediation | Codes | Events | Job runs | First seen at | Fix |\n|--:|---|---|---|---|--:|--:|---|---|\n"
        } else {
            "| # | Severity | Remediation | Codes | Events | Job runs | First seen at | Fix |\n|--:|---|---|---|--:|--:|---|---|\n"
        });
    }
    doc
}

/// One remediation's table row; `baseline` adds the Change column.
fn remediation_row(r: &RemediationRow, baseline: bool) -> String {
    let at = r
        .example
        .as_ref()
        .map_or(String::new(), |e| format!("{}:{}", escape(&e.path), e.line));
    let docs = r
        .doc_urls
        .iter()
        .zip(&r.codes)
        .map(|(u, c)| format!("[{c}]({u})"))
        .collect::<Vec<_>>()
        .join(" ");
    let change = if baseline {
        format!(" {} |", change(r.change))
    } else {
        String::new()
    };
    format!(
        "| {} | {} |{change} {} | {} | {} | {} | {} | {} {} |\n",
        r.rank,
        r.severity,
        escape(&match &r.cause {
            Some(c) => format!("{} (sub-cause {c})", r.title),
            None => r.title.clone(),
        }),
        counts(&r.counts),
        r.events,
        r.jobs,
        at,
        escape(&r.mitigation),
        docs
    )
}

/// One job run's table row.
fn job_row(j: &JobRow) -> String {
    format!(
        "| {} | {} | {} | {} | {} | {} |\n",
        escape(&j.job),
        j.events,
        j.findings,
        j.first_seen.as_deref().unwrap_or("-"),
        j.last_seen.as_deref().unwrap_or("-"),
        counts(&j.codes)
    )
}

/// What follows the tables, never cut: the codes of no job run, the
/// comparison with the baseline, what was scanned and the errors.
fn tail(report: &Report) -> String {
    let mut tail = String::new();
    if !report.unattributed.is_empty() {
        tail.push_str(&format!("\nNo job run: {}\n", counts(&report.unattributed)));
    }
    let resolved = report.resolved();
    if let Some(b) = &report.baseline {
        let t = |c: Change| b.totals.get(&c).copied().unwrap_or(0);
        tail.push_str(&format!(
            "\nAgainst the baseline `{}`: {} new, {} increased, {} unchanged, {} decreased, {} resolved codes{}\n",
            escape(&b.path).replace('`', ""),
            t(Change::New),
            t(Change::Increased),
            t(Change::Unchanged),
            t(Change::Decreased),
            t(Change::Resolved),
            if resolved.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    resolved
                        .iter()
                        .map(|r| format!("{} ×{}", r.code, r.previous))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ));
    }
    tail.push_str(&format!(
        "\nScanned {} files, {} bytes: {} events ({} skipped as binary, {} errors).\n",
        report.scanned.files,
        report.scanned.bytes,
        report.summary.events,
        report.scanned.skipped_binary,
        report.scanned.errors
    ));
    for e in report.errors.iter().take(MAX_ERRORS) {
        tail.push_str(&format!(
            "- error: {}: {}\n",
            escape(&e.path),
            escape(&e.message)
        ));
    }
    tail
}

/// Appends each of `rows` that keeps `doc` within `budget`; returns how
/// many did not fit.
fn push_within(doc: &mut String, rows: impl IntoIterator<Item = String>, budget: usize) -> usize {
    let mut cut = 0;
    for row in rows {
        if doc.len() + row.len() > budget {
            cut += 1;
        } else {
            doc.push_str(&row);
        }
    }
    cut
}

/// Writes the Markdown document.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(render(report).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_tables_or_inject_html() {
        assert_eq!(
            escape("a|b\nc<script>&*x*"),
            "a\\|b c&lt;script&gt;&amp;\\*x\\*"
        );
        assert_eq!(escape("\u{1b}[31m"), " \\[31m");
    }
}
