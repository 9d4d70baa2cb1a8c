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
        None => (false, None, rank::unknown_mitigation(code)),
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

/// Every known code, AZSM0000 first; with a scope, that scope's codes
/// (AZSM0000 belongs to none).
pub fn list(catalog: &Catalog, scope: Option<Scope>) -> Vec<CodeInfo> {
    std::iter::once(Code::SUCCESS)
        .chain(catalog.iter().map(|(c, _)| c).filter(|c| !c.is_success()))
        .filter(|c| scope.is_none_or(|s| !c.is_success() && c.scope() == s))
        .map(|c| describe(c, catalog, None))
        .collect()
}

/// Writes `infos` in full, for `explain`.
pub fn write_explained(infos: &[CodeInfo], out: &mut dyn Write) -> io::Result<()> {
    for (i, info) in infos.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        match &info.message {
            Some(m) => writeln!(out, "{}  {}", info.code, clean(m))?,
            None => writeln!(out, "{}  (not in the catalog)", info.code)?,
        }
        writeln!(out, "  scope        {}", info.scope)?;
        writeln!(out, "  subcategory  {}", info.subcategory)?;
        writeln!(
            out,
            "  severity     {}{}",
            info.severity,
            if info.finding { "" } else { " (not a finding)" }
        )?;
        if info.known && !info.code.is_success() {
            writeln!(out, "  advice       {}", info.advice)?;
        }
        let opts = textwrap::Options::new(100)
            .initial_indent("  mitigation   ")
            .subsequent_indent("               ");
        for line in textwrap::wrap(&clean(&info.mitigation), opts) {
            writeln!(out, "{line}")?;
        }
        if let Some(causes) = info.causes.as_deref().filter(|c| !c.is_empty()) {
            write_causes(causes, out)?;
        }
        writeln!(out, "  docs         {}", info.doc_url)?;
    }
    Ok(())
}

fn write_causes(causes: &[Cause], out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "  sub-causes   words on its line (ignoring case) that name the problem and its fix:"
    )?;
    // One paragraph per sub-cause, its triggers together, in table order.
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for c in causes {
        if seen.contains(&(c.name.as_str(), c.fix.as_str())) {
            continue;
        }
        seen.push((&c.name, &c.fix));
        let mut triggers: Vec<String> = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        for o in causes.iter().filter(|o| o.name == c.name && o.fix == c.fix) {
            // The code's own row hides an any-code row with the same words.
            if texts.contains(&o.trigger.to_ascii_lowercase()) {
                continue;
            }
            texts.push(o.trigger.to_ascii_lowercase());
            let any = if o.code.is_none() { " (any code)" } else { "" };
            triggers.push(format!("{:?}{any}", o.trigger));
        }
        let healthy = if c.is_healthy() {
            " (healthy: not a finding)"
        } else {
            ""
        };
        writeln!(out, "    {}{healthy}: {}", c.name, triggers.join(", "))?;
        let opts = textwrap::Options::new(100)
            .initial_indent("               ")
            .subsequent_indent("               ");
        for line in textwrap::wrap(&c.fix, opts) {
            writeln!(out, "{line}")?;
        }
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
