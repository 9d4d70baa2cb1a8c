//! `--format text`, the default: the ranked remediation summary for people.
//!
//! First what to fix, in rank order, each entry saying why it ranks there,
//! where it was seen and what to do; then a table of job runs; then what
//! was scanned. Colour only when asked for (the caller decides from the
//! terminal, `NO_COLOR` and `--color`). Everything that comes from a log
//! (paths, lines, job ids) has its control characters escaped, so a log
//! cannot move the cursor or recolour a terminal.

use std::io::{self, Write};
use std::time::Duration;

use anstyle::{AnsiColor, Style};

use super::{counts, Report};
use crate::diagnose::rank::Advice;
use crate::model::code::Severity;
use crate::util::fmt::{bytes, clean};

/// How many job runs the table shows; the JSON report has them all.
const MAX_JOBS: usize = 25;
const WIDTH: usize = 100;
const INDENT: &str = "           ";

/// Options of the text format.
#[derive(Clone, Copy, Debug, Default)]
pub struct TextOptions {
    /// Use ANSI colours.
    pub color: bool,
    /// Show the scan's duration (only on a terminal: it varies run to run).
    pub elapsed: Option<Duration>,
}

struct Styles {
    bold: Style,
    dim: Style,
    critical: Style,
    error: Style,
    warning: Style,
}

impl Styles {
    fn new(color: bool) -> Styles {
        if !color {
            let s = Style::new();
            return Styles {
                bold: s,
                dim: s,
                critical: s,
                error: s,
                warning: s,
            };
        }
        Styles {
            bold: Style::new().bold(),
            dim: Style::new().dimmed(),
            critical: Style::new().bold().fg_color(Some(AnsiColor::Red.into())),
            error: Style::new().fg_color(Some(AnsiColor::Red.into())),
            warning: Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        }
    }

    fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Critical => self.critical,
            Severity::Error => self.error,
            Severity::Warning => self.warning,
            _ => self.dim,
        }
    }
}

fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

fn why(severity: Severity, advice: Advice, cause: bool, scopes: &str) -> String {
    let sev = match severity {
        Severity::Critical => format!("critical: {scopes} failed as a whole"),
        Severity::Error => "error: items failed to copy".to_string(),
        Severity::Warning if scopes == "items" => {
            "warning: items were skipped as unsupported".to_string()
        }
        _ => format!("{severity}: codes of unknown scope"),
    };
    let adv = match advice {
        Advice::Actionable if cause => "the log names the cause, a specific fix is known",
        Advice::Actionable => "a specific fix is known",
        Advice::Retry => "the catalog advises retrying (likely transient)",
        Advice::Unknown => "the code is not in the catalog",
    };
    format!("{sev}; {adv}")
}

/// Writes the text report.
pub fn write(report: &Report, opts: TextOptions, out: &mut dyn Write) -> io::Result<()> {
    let st = Styles::new(opts.color);
    let s = &report.summary;
    // What was not scanned comes first: a report of part of the input is
    // never read as a clean one.
    match &report.errors[..] {
        [] => {}
        [e] => writeln!(
            out,
            "{} {}: {}",
            paint(st.error, "Not scanned:"),
            clean(&e.path),
            clean(&e.message)
        )?,
        many => writeln!(
            out,
            "{} {} ({}; the errors are listed below)",
            paint(st.error, "Not scanned:"),
            plural(many.len() as u64, "input", "inputs"),
            many.iter()
                .map(|e| clean(&e.path).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        )?,
    }
    if report.remediations.is_empty() {
        let head = if report.errors.is_empty() {
            "Nothing to fix"
        } else {
            "No finding in what was scanned"
        };
        writeln!(
            out,
            "{} ({} seen, none of them a finding: success or informational only)",
            paint(st.bold, head),
            plural(s.events, "event", "events")
        )?;
    } else {
        let affected: std::collections::BTreeSet<&str> = report
            .jobs
            .iter()
            .filter(|j| j.findings > 0)
            .map(|j| j.job.as_str())
            .collect();
        // Every finding is either in a job run or unattributed.
        let in_jobs: u64 = report.jobs.iter().map(|j| j.findings).sum();
        let unattributed = s.findings - in_jobs;
        let jobs = plural(affected.len() as u64, "job run", "job runs");
        let findings = plural(s.findings, "finding", "findings");
        let place = if unattributed > 0 {
            format!(
                "{findings}: {} in {jobs}, {unattributed} with no job run",
                s.findings - unattributed
            )
        } else {
            format!("{findings} in {jobs}")
        };
        writeln!(
            out,
            "{} {}, {place}",
            paint(st.bold, "What to fix first:"),
            plural(
                report.remediations.len() as u64,
                "remediation",
                "remediations"
            ),
        )?;
    }
    for r in &report.remediations {
        writeln!(out)?;
        let label = paint(
            st.severity(r.severity),
            &format!("{:<8}", r.severity.to_string().to_uppercase()),
        );
        let change = r
            .change
            .map_or(String::new(), |c| format!("  [{}]", c.as_str()));
        writeln!(
            out,
            "{}  {label}  {}{change}",
            paint(st.bold, &format!("#{:<2}", r.rank)),
            paint(st.bold, &clean(&r.title))
        )?;
        writeln!(out, "    codes  {}", counts(&r.counts))?;
        if let Some(cause) = &r.cause {
            match r.example.as_ref().and_then(|e| e.matched.as_deref()) {
                Some(words) => writeln!(
                    out,
                    "    cause  {}: the log says \"{}\"",
                    clean(cause),
                    clean(words)
                )?,
                None => writeln!(out, "    cause  {}", clean(cause))?,
            }
        }
        let scopes = scope_words(r);
        writeln!(
            out,
            "    why    {}; {}, {}",
            why(r.severity, r.advice, r.cause.is_some(), &scopes),
            plural(r.jobs as u64, "job run", "job runs"),
            plural(r.events, "event", "events")
        )?;
        if let Some(e) = &r.example {
            writeln!(out, "    where  {}:{}", clean(&e.path), e.line)?;
            writeln!(out, "{INDENT}{}", paint(st.dim, &clean(&e.text)))?;
        }
        if let (Some(a), Some(b)) = (&r.first_seen, &r.last_seen) {
            writeln!(out, "    when   {a} .. {b}")?;
        }
        write_items(report, r, &st, out)?;
        let mitigation = clean(&r.mitigation);
        let wrapped = textwrap::wrap(
            &mitigation,
            textwrap::Options::new(WIDTH)
                .initial_indent("    fix    ")
                .subsequent_indent(INDENT),
        );
        for line in wrapped {
            writeln!(out, "{line}")?;
        }
        writeln!(out, "    docs   {}", r.doc_urls.join(" "))?;
    }
    write_jobs(report, &st, out)?;
    write_scan(report, opts, &st, out)
}

/// The items of a remediation's codes: count, top folders, example paths.
fn write_items(
    report: &Report,
    r: &super::RemediationRow,
    st: &Styles,
    out: &mut dyn Write,
) -> io::Result<()> {
    for code in &r.codes {
        let Some(row) = report.codes.iter().find(|c| c.code == *code) else {
            continue;
        };
        let Some(items) = &row.items else { continue };
        if items.top_dirs.is_empty() && items.examples.is_empty() {
            continue;
        }
        let dirs = items
            .top_dirs
            .iter()
            .map(|d| format!("{} ×{}", clean(&d.dir), d.count))
            .collect::<Vec<_>>()
            .join(", ");
        writeln!(
            out,
            "    items  {code}: {}; {}{}",
            plural(items.total, "item", "items"),
            if items.dirs_sampled {
                "folders (sampled) "
            } else {
                "folders "
            },
            dirs
        )?;
        let paths = items
            .examples
            .iter()
            .map(|p| clean(&p.item).into_owned())
            .collect::<Vec<_>>()
            .join(", ");
        writeln!(out, "{INDENT}{}", paint(st.dim, &format!("e.g. {paths}")))?;
    }
    Ok(())
}

fn scope_words(r: &super::RemediationRow) -> String {
    use crate::model::code::Scope;
    let has = |s: Scope| r.codes.iter().any(|c| c.scope() == s);
    match (has(Scope::Agent), has(Scope::Job), has(Scope::Item)) {
        (true, true, _) => "the agent or job runs".into(),
        (true, false, _) => "the agent".into(),
        (false, true, _) => "job runs".into(),
        (false, false, true) => "items".into(),
        _ => "unknown".into(),
    }
}

fn write_jobs(report: &Report, st: &Styles, out: &mut dyn Write) -> io::Result<()> {
    if report.jobs.is_empty() && report.unattributed.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    if !report.jobs.is_empty() {
        writeln!(
            out,
            "{}",
            paint(st.bold, &format!("Job runs ({})", report.jobs.len()))
        )?;
        let jobs = report.jobs_by_findings();
        let width = jobs
            .iter()
            .take(MAX_JOBS)
            .map(|j| clean(&j.job).chars().count())
            .max()
            .unwrap_or(6)
            .max(7);
        // The service's facts on runs, when job-run JSON was scanned.
        let shown = || jobs.iter().take(MAX_JOBS);
        let runs = shown().any(|j| j.status.is_some() || j.agent.is_some());
        let sw = shown()
            .filter_map(|j| j.status.as_deref())
            .map(|t| clean(t).chars().count())
            .max()
            .unwrap_or(0)
            .max(6);
        let aw = shown()
            .filter_map(|j| j.agent.as_deref())
            .map(|t| clean(t).chars().count())
            .max()
            .unwrap_or(0)
            .max(5);
        let run_cols =
            |status: &str, agent: &str, start: &str, end: &str, failed: &str, ok: &str| {
                if runs {
                    format!(
                    "{status:<sw$}  {agent:<aw$}  {start:<24}  {end:<24}  {failed:>6}  {ok:>11}  "
                )
                } else {
                    String::new()
                }
            };
        writeln!(
            out,
            "  {:<width$}  {}{:>7}  {:>8}  {:<24}  {:<24}  CODES",
            "JOB RUN",
            run_cols(
                "STATUS",
                "AGENT",
                "STARTED",
                "ENDED",
                "FAILED",
                "TRANSFERRED"
            ),
            "EVENTS",
            "FINDINGS",
            "FIRST SEEN",
            "LAST SEEN"
        )?;
        let num = |n: Option<u64>| n.map_or("-".to_string(), |n| n.to_string());
        for j in jobs.iter().take(MAX_JOBS) {
            let row = format!(
                "  {:<width$}  {}{:>7}  {:>8}  {:<24}  {:<24}  {}",
                clean(&j.job),
                run_cols(
                    &clean(j.status.as_deref().unwrap_or("-")),
                    &clean(j.agent.as_deref().unwrap_or("-")),
                    j.execution_start.as_deref().unwrap_or("-"),
                    j.execution_end.as_deref().unwrap_or("-"),
                    &num(j.items_failed),
                    &num(j.items_transferred)
                ),
                j.events,
                j.findings,
                j.first_seen.as_deref().unwrap_or("-"),
                j.last_seen.as_deref().unwrap_or("-"),
                counts(&j.codes)
            );
            writeln!(out, "{}", row.trim_end())?;
        }
        if jobs.len() > MAX_JOBS {
            writeln!(
                out,
                "  … and {} more (all of them in --format json)",
                plural((jobs.len() - MAX_JOBS) as u64, "job run", "job runs")
            )?;
        }
    }
    if !report.unattributed.is_empty() {
        writeln!(
            out,
            "{} {}",
            paint(st.bold, "No job run:"),
            counts(&report.unattributed)
        )?;
    }
    Ok(())
}

fn write_scan(
    report: &Report,
    opts: TextOptions,
    st: &Styles,
    out: &mut dyn Write,
) -> io::Result<()> {
    let sc = &report.scanned;
    let mut extra = Vec::new();
    if sc.skipped_binary > 0 {
        extra.push(format!(
            "{} skipped as binary, --binary scans them",
            sc.skipped_binary
        ));
    }
    if sc.errors > 0 {
        extra.push(plural(sc.errors, "error", "errors"));
    }
    let a = &report.attribution;
    writeln!(out)?;
    writeln!(
        out,
        "{} {}, {}{}{}",
        paint(st.bold, "Scanned"),
        plural(sc.files, "file", "files"),
        bytes(sc.bytes),
        if extra.is_empty() {
            String::new()
        } else {
            format!(" ({})", extra.join(", "))
        },
        opts.elapsed
            .map_or(String::new(), |d| format!(" in {:.0?}", d))
    )?;
    let column = if a.column > 0 {
        format!(
            ", {} by a job column of an export or job-run JSON",
            a.column
        )
    } else {
        String::new()
    };
    writeln!(
        out,
        "  {} events: {} by a key on the line, {} by a GUID in the path, {} by an earlier line's key{column}, {} with no job run, {} agent-level",
        report.summary.events, a.line, a.path, a.carried, a.none, a.agent
    )?;
    if !report.not_errors.is_empty() {
        let list: Vec<String> = report
            .not_errors
            .iter()
            .map(|n| format!("{} ×{} {}", n.code, n.count, clean(&n.cause)))
            .collect();
        writeln!(
            out,
            "  not errors (healthy states the log reports, not findings): {}",
            list.join(", ")
        )?;
    }
    if let Some(w) = &report.window {
        writeln!(
            out,
            "  window {} .. {} (since inclusive, until exclusive): {} outside not counted, {} without a time kept",
            w.since.as_deref().unwrap_or("(open)"),
            w.until.as_deref().unwrap_or("(open)"),
            plural(w.outside, "event", "events"),
            plural(w.untimed, "event", "events"),
        )?;
    }
    if let Some(b) = &report.baseline {
        let t = |c: super::Change| b.totals.get(&c).copied().unwrap_or(0);
        let resolved: Vec<String> = report
            .resolved()
            .iter()
            .map(|r| format!("{} ×{}", r.code, r.previous))
            .collect();
        writeln!(
            out,
            "  against {}: {} new, {} increased, {} unchanged, {} decreased, {} resolved codes{}",
            clean(&b.path),
            t(super::Change::New),
            t(super::Change::Increased),
            t(super::Change::Unchanged),
            t(super::Change::Decreased),
            t(super::Change::Resolved),
            if resolved.is_empty() {
                String::new()
            } else {
                format!(" ({})", resolved.join(", "))
            }
        )?;
    }
    for e in &report.errors {
        writeln!(
            out,
            "  {} {}: {}",
            paint(st.error, "error"),
            clean(&e.path),
            clean(&e.message)
        )?;
    }
    for n in &report.notes {
        writeln!(out, "  note {}: {}", clean(&n.path), clean(&n.message))?;
    }
    Ok(())
}
