//! `sarif`: SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
//!
//! One rule per finding code (short description: the catalog message; help:
//! the mitigation, as text and Markdown; `helpUri`: the code's doc anchor),
//! one result per (code, input) at the code's first line there, with the
//! event count in the message and in `properties`. Results are ordered by
//! remediation rank, then code, then path, and capped at [`MAX_RESULTS`]
//! (GitHub's limit per run): what is cut is counted in the run's
//! `properties` and in a tool notification. URIs are relative to the scan
//! root (the one directory given) and percent-encoded; the test suite
//! validates the output against the official schema.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{json, Value};

use super::{Change, CodeRow, Report};
use crate::model::code::{Code, Severity};

/// GitHub code scanning accepts at most this many results per run.
pub const MAX_RESULTS: usize = 25_000;
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const BASE_ID: &str = "SCANROOT";

/// SARIF's `level` of a severity.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Success => "note",
    }
}

/// `path` as a URI reference relative to `root` (when under it), with `\`
/// turned into `/` and everything but unreserved characters and `/`
/// percent-encoded.
fn uri(path: &str, root: Option<&str>) -> (String, bool) {
    let path = path.replace('\\', "/");
    let mut rel = None;
    if let Some(root) = root {
        let root = root.replace('\\', "/");
        let root = root.trim_end_matches('/');
        if let Some(rest) = path.strip_prefix(root).and_then(|r| r.strip_prefix('/')) {
            rel = Some(rest.to_string());
        }
    }
    let relative = rel.is_some();
    let p = rel.unwrap_or(path);
    let p = p.strip_prefix("./").unwrap_or(&p);
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    (out, relative)
}

fn rule(c: &CodeRow, mitigation: &str) -> Value {
    let message = c
        .message
        .clone()
        .unwrap_or_else(|| format!("{} (not in the catalog)", c.code));
    let markdown = format!(
        "**{}**: {}\n\n{}\n\n[{} on Microsoft Learn]({})",
        c.code,
        super::markdown::escape(&message),
        super::markdown::escape(mitigation),
        c.code,
        c.doc_url
    );
    json!({
        "id": c.code.to_string(),
        "name": format!("StorageMover{}", c.code),
        "shortDescription": {"text": message},
        "fullDescription": {"text": format!("{}: {} ({} scope, {}, severity {}).", c.code, message, c.scope, c.subcategory, c.severity)},
        "help": {"text": mitigation, "markdown": markdown},
        "helpUri": c.doc_url,
        "defaultConfiguration": {"level": level(c.severity)},
        "properties": {"tags": ["azure-storage-mover", c.scope.to_string()], "severity": c.severity.to_string()},
    })
}

fn baseline_state(c: Option<Change>) -> Option<&'static str> {
    match c? {
        Change::New => Some("new"),
        Change::Unchanged => Some("unchanged"),
        Change::Increased | Change::Decreased => Some("updated"),
        Change::Resolved => Some("absent"),
    }
}

/// Writes the SARIF log; `root` is the scan root for relative URIs.
pub fn write(report: &Report, root: Option<&str>, out: &mut dyn Write) -> io::Result<()> {
    let fixes = report.code_fixes();
    let mitigation: BTreeMap<Code, &str> = fixes.iter().map(|(&c, t)| (c, t.as_str())).collect();
    let rank: BTreeMap<Code, usize> = report.code_ranks();
    let findings: Vec<&CodeRow> = report.codes.iter().filter(|c| c.finding).collect();
    let rules: Vec<Value> = findings
        .iter()
        .map(|c| rule(c, mitigation.get(&c.code).copied().unwrap_or("")))
        .collect();
    let mut ordered: Vec<(usize, &CodeRow)> = findings.iter().copied().enumerate().collect();
    ordered.sort_by_key(|(_, c)| (rank.get(&c.code).copied().unwrap_or(usize::MAX), c.code));
    let total: usize = findings.iter().map(|c| c.sites.len()).sum();
    let mut results = Vec::with_capacity(total.min(MAX_RESULTS));
    let mut any_relative = false;
    'outer: for (index, c) in ordered {
        let message = c.message.as_deref().unwrap_or("not in the catalog");
        for site in &c.sites {
            if results.len() == MAX_RESULTS {
                break 'outer;
            }
            let (u, relative) = uri(&site.path, root);
            any_relative |= relative;
            let mut location = json!({"uri": u});
            if relative {
                location["uriBaseId"] = json!(BASE_ID);
            }
            let events = if site.count == 1 {
                "1 event".to_string()
            } else {
                format!("{} events", site.count)
            };
            let mut result = json!({
                "ruleId": c.code.to_string(),
                "ruleIndex": index,
                "level": level(c.severity),
                "message": {"text": format!("{}: {message} ({events} in this file, first on line {}; {} in all, {} job runs).", c.code, site.line, c.count, c.jobs)},
                "locations": [{"physicalLocation": {"artifactLocation": location, "region": {"startLine": site.line.max(1)}}}],
                "partialFingerprints": {"azsmCodeInFile/v1": format!("{}:{}", c.code, u)},
                "properties": {"count": site.count, "total": c.count, "jobs": c.jobs, "severity": c.severity.to_string(), "scope": c.scope.to_string()},
            });
            if let Some(state) = baseline_state(c.change) {
                result["baselineState"] = json!(state);
                result["properties"]["change"] = json!(c.change.map(Change::as_str));
            }
            results.push(result);
        }
    }
    let cut = total - results.len();
    let mut notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| json!({"level": "error", "message": {"text": format!("{}: {}", e.path, e.message)}}))
        .collect();
    if cut > 0 {
        notifications.push(json!({"level": "warning", "message": {"text": format!(
            "{cut} of {total} results were cut to stay within {MAX_RESULTS} per run (lowest-ranked first); the JSON report has them all"
        )}}));
    }
    let mut run = json!({
        "tool": {"driver": {
            "name": report.tool.name,
            "version": report.tool.version,
            "informationUri": "https://learn.microsoft.com/azure/storage-mover/status-code",
            "rules": rules,
        }},
        "invocations": [{
            "executionSuccessful": report.errors.is_empty(),
            "toolExecutionNotifications": notifications,
        }],
        "results": results,
        "properties": {"results": total, "resultsCut": cut, "events": report.summary.events, "findings": report.summary.findings},
    });
    if any_relative {
        if let Some(root) = root {
            let (u, _) = uri(root.trim_end_matches(['/', '\\']), None);
            run["originalUriBaseIds"] = json!({BASE_ID: {
                "uri": format!("{u}/"),
                "description": {"text": "The directory given to azsm scan"},
            }});
        }
    }
    let resolved: Vec<String> = report
        .resolved()
        .iter()
        .map(|r| r.code.to_string())
        .collect();
    if !resolved.is_empty() {
        run["properties"]["resolved"] = json!(resolved);
    }
    let log = json!({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]});
    serde_json::to_writer_pretty(&mut *out, &log)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_to_the_root_and_encoded() {
        assert_eq!(
            uri("bundle/root/copy log/x.log", Some("bundle/")),
            ("root/copy%20log/x.log".into(), true)
        );
        assert_eq!(uri("a\\b%.log", Some("c")), ("a/b%25.log".into(), false));
        assert_eq!(uri("./x.log", None), ("x.log".into(), false));
        assert_eq!(uri("<stdin>", None).0, "%3Cstdin%3E");
    }
}
