//! `azsm explain` and `azsm codes`: the catalog, one code or all of them.
//!
//! Both describe codes the same way: the catalog's message and mitigation
//! when it has them, and always what the digits say (scope, subcategory,
//! severity), so an undocumented code still gets a useful answer.
//! `explain` also lists the sub-causes that apply to a code: the words on
//! its line that replace its mitigation with a specific fix.

use std::io::{self, Write};

use serde::Serialize;

use crate::diagnose::rank::{self, Advice};
use crate::model::catalog::Catalog;
use crate::model::causes::{Cause, Causes};
use crate::model::code::{Code, Scope, Severity};
use crate::util::fmt::clean;

/// Everything azsm can say about one code.
#[derive(Clone, Debug, Serialize)]
pub struct CodeInfo {
    /// The code.
    pub code: Code,
    /// Whether the catalog (or the success rule) knows it.
    pub known: bool,
    /// Decoded scope.
    pub scope: Scope,
    /// Decoded subcategory.
    pub subcategory: String,
    /// Decoded severity.
    pub severity: Severity,
    /// Whether events with it are findings.
    pub finding: bool,
    /// What kind of fix the mitigation is.
    pub advice: Advice,
    /// The catalog's message.
    pub message: Option<String>,
    /// The catalog's mitigation, or what to do about an unknown code.
    pub mitigation: String,
    /// Its anchor on Microsoft Learn.
    pub doc_url: String,
    /// Its sub-causes (own rows first, then rows for any code), for
    /// `explain`; left out of `codes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub causes: Option<Vec<Cause>>,
}

/// Describes `code`, with its sub-causes when `causes` is given.
pub fn describe(code: Code, catalog: &Catalog, causes: Option<&Causes>) -> CodeInfo {
    let entry = catalog.get(code);
    let (known, message, mitigation) = match entry {
        Some(e) => (true, Some(e.message.clone()), e.mitigation.clone()),
        None if code.is_success() => (
            true,
            Some("Success (scope-agnostic)".to_string()),
            "Nothing to do: AZSM0000 reports a successful operation at any scope.".to_string(),
        ),
        None => (false, None, unknown_mitigation(code)),
    };
    CodeInfo {
        code,
        known,
        scope: code.scope(),
        subcategory: code.subcategory().to_string(),
        severity: code.severity(),
        finding: code.is_finding(),
        advice: if code.is_success() {
            Advice::Actionable
        } else {
            rank::advice(code, entry)
        },
        message,
        mitigation,
        doc_url: code.doc_url(),
        causes: causes.map(|c| {
            c.for_code(code)
                .into_iter()
                .map(|(_, r)| r.clone())
                .collect()
        }),
    }
}

/// What to do about a code the catalog lacks. Unlike a scan's advice it
/// names no example line (explain has none), and an informational code
/// needs no ticket.
fn unknown_mitigation(code: Code) -> String {
    let digits = format!(
        "{code} is not in the catalog. Its digits say: {} scope, {}",
        code.scope(),
        code.subcategory()
    );
    let look = format!(
        "Look it up at {} or pass a newer copy of the page with --catalog",
        code.doc_url()
    );
    if code.is_finding() {
        format!("{digits}. {look}; if it is not documented, open a support ticket quoting a log line that holds it.")
    } else {
        format!(
            "{digits}: informational, not a finding, nothing to fix. {look} for what it reports."
        )
    }
}

/// Every known code, AZSM0000 first; with a scope, that scope's codes
/// (AZSM0000 belongs to none).
pub fn list(catalog: &Catalog, scope: Option<Scope>) -> Vec<CodeInfo> {
    std::iter::once(Code::SUCCESS)
        .chain(catalog.iter().map(|(c, _)| c).filter(|c| !c.is_success()))
        .filter(|c| scope.is_none_or(|s| !c.is_success() && c.scope() == s))
        .map(|c| describe(c, catalog, None))
        .collect()
}

/// The width `explain` wraps to when standard output is not a terminal,
/// so piped output is the same bytes everywhere.
pub const PIPE_WIDTH: usize = 100;

/// The command that lists the sub-causes for any code, as `explain` points
/// to it.
pub const ANY_COMMAND: &str = "azsm explain --any";

/// Writes `infos` in full, for `explain`, wrapped to `width` columns: each
/// code's own sub-causes in full, those for any code as one line pointing
/// to [`ANY_COMMAND`].
pub fn write_explained(infos: &[CodeInfo], width: usize, out: &mut dyn Write) -> io::Result<()> {
    for (i, info) in infos.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let head = match &info.message {
            Some(m) => format!("{}  {}", info.code, clean(m)),
            None => format!("{}  (not in the catalog)", info.code),
        };
        wrapped(out, width, &head, "", "          ")?;
        field(out, width, "scope", &info.scope.to_string())?;
        field(out, width, "subcategory", &info.subcategory)?;
        let finding = if info.finding { "" } else { " (not a finding)" };
        field(
            out,
            width,
            "severity",
            &format!("{}{finding}", info.severity),
        )?;
        if info.known && info.finding {
            field(out, width, "advice", &info.advice.to_string())?;
        }
        field(out, width, "mitigation", &clean(&info.mitigation))?;
        let causes = info.causes.as_deref().unwrap_or_default();
        let own: Vec<&Cause> = causes
            .iter()
            .filter(|c| c.code == Some(info.code))
            .collect();
        if !own.is_empty() {
            field(
                out,
                width,
                "sub-causes",
                "words on its line (ignoring case) that name the problem and its fix:",
            )?;
            write_causes(&own, causes, width, out)?;
        }
        let any = paragraphs(causes.iter().filter(|c| c.code.is_none()));
        if any > 0 {
            let s = if any == 1 { "" } else { "s" };
            field(
                out,
                width,
                "also",
                &format!("{any} sub-cause{s} for any code: {ANY_COMMAND}"),
            )?;
        }
        field(out, width, "docs", &info.doc_url)?;
    }
    Ok(())
}

/// Writes the sub-causes that apply to any code, for `explain --any`.
pub fn write_any(causes: &Causes, width: usize, out: &mut dyn Write) -> io::Result<()> {
    let rows = any_code(causes);
    wrapped(
        out,
        width,
        "Sub-causes for any code: words on a line with any status code (ignoring case) that name the problem and its fix:",
        "",
        "",
    )?;
    let all: Vec<&Cause> = rows.iter().collect();
    write_causes(&all, &rows, width, out)
}

/// The rows of `causes` that apply to any code, in table order.
pub fn any_code(causes: &Causes) -> Vec<Cause> {
    causes
        .iter()
        .filter(|(_, r)| r.code.is_none())
        .map(|(_, r)| r.clone())
        .collect()
}

/// How many paragraphs (distinct name and fix) `rows` make.
fn paragraphs<'a>(rows: impl Iterator<Item = &'a Cause>) -> usize {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for c in rows {
        if !seen.contains(&(c.name.as_str(), c.fix.as_str())) {
            seen.push((&c.name, &c.fix));
        }
    }
    seen.len()
}

/// `  label        text`, wrapped under the text.
fn field(out: &mut dyn Write, width: usize, label: &str, text: &str) -> io::Result<()> {
    let first = format!("  {label:<13}");
    wrapped(out, width, text, &first, &" ".repeat(first.len()))
}

/// `text` wrapped to `width`, never splitting a word (URLs stay whole).
fn wrapped(
    out: &mut dyn Write,
    width: usize,
    text: &str,
    first: &str,
    rest: &str,
) -> io::Result<()> {
    let opts = textwrap::Options::new(width)
        .initial_indent(first)
        .subsequent_indent(rest)
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    for line in textwrap::wrap(text, opts) {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// One paragraph per sub-cause of `shown`, with the triggers of every row
/// of `all` that has its name and fix, in table order.
fn write_causes(
    shown: &[&Cause],
    all: &[Cause],
    width: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for c in shown {
        if seen.contains(&(c.name.as_str(), c.fix.as_str())) {
            continue;
        }
        seen.push((&c.name, &c.fix));
        let mut triggers: Vec<String> = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        for o in all.iter().filter(|o| o.name == c.name && o.fix == c.fix) {
            // The code's own row hides an any-code row with the same words.
            if texts.contains(&o.trigger.to_ascii_lowercase()) {
                continue;
            }
            texts.push(o.trigger.to_ascii_lowercase());
            let any = if o.code.is_none() && c.code.is_some() {
                " (any code)"
            } else {
                ""
            };
            triggers.push(format!("{:?}{any}", o.trigger));
        }
        let healthy = if c.is_healthy() {
            " (healthy: not a finding)"
        } else {
            ""
        };
        let head = format!("{}{healthy}: {}", c.name, triggers.join(", "));
        wrapped(out, width, &head, "    ", "      ")?;
        let indent = " ".repeat(15);
        wrapped(out, width, &c.fix, &indent, &indent)?;
    }
    Ok(())
}

/// Writes `infos` as a table, for `codes`.
pub fn write_table(infos: &[CodeInfo], out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{:<9} {:<6} {:<9} {:<11} MESSAGE",
        "CODE", "SCOPE", "SEVERITY", "ADVICE"
    )?;
    for i in infos {
        writeln!(
            out,
            "{:<9} {:<6} {:<9} {:<11} {}",
            i.code.to_string(),
            i.scope.to_string(),
            i.severity.to_string(),
            if i.code.is_success() {
                "-".to_string()
            } else {
                i.advice.to_string()
            },
            clean(i.message.as_deref().unwrap_or(""))
        )?;
    }
    Ok(())
}

/// Writes `infos` as a JSON array.
pub fn write_json(infos: &[CodeInfo], out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, infos)?;
    writeln!(out)
}
