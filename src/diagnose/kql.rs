//! `azsm kql`: the diagnosis as Kusto queries, for fleets whose copy logs
//! already land in Azure Monitor Log Analytics.
//!
//! The queries compute over `StorageMoverCopyLogsFailed` (per item) and
//! `StorageMoverJobRunLogs` (per job run) what a scan computes over log
//! files: per-code tallies (events, job runs, first/last seen), per-job
//! tallies, and the ranking inputs per remediation (severity, advice,
//! breadth, count), with scope and severity decoded from the code's digits
//! as in [`crate::model::code`] and the remediation groups and advice of the
//! catalog inlined as a `datatable`. Agent-level codes are never attributed
//! to a job run, as in a scan. The text is the same for the same catalog
//! and `--since`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::diagnose::rank::{self, Advice};
use crate::model::catalog::Catalog;
use crate::model::code::Code;
use crate::model::error::Error;

/// `--since` as a Kusto expression, read as scan reads it
/// ([`crate::model::window`]): a span back from now becomes `ago(...)` (the
/// queries stay relative), a time or date a `datetime(...)`; spans in weeks
/// become days, as Kusto has no weeks.
pub fn since(s: &str) -> Result<String, Error> {
    let bad = || Error::Argument {
        flag: "--since",
        message: format!(
            "'{s}' is not a time; it takes {}",
            crate::model::window::FORMS
        ),
    };
    let v = s.trim();
    if let Some(ms) = crate::model::window::span(v) {
        let (n, unit) = [
            (86_400_000, "d"),
            (3_600_000, "h"),
            (60_000, "m"),
            (1_000, "s"),
        ]
        .into_iter()
        .find(|(size, _)| ms % size == 0)
        .map_or((ms / 1_000, "s"), |(size, unit)| (ms / size, unit));
        return Ok(format!("ago({n}{unit})"));
    }
    let at = crate::model::window::parse_bound(v, 0).ok_or_else(bad)?;
    Ok(format!("datetime({})", crate::model::timestamp::format(at)))
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The catalog's remediation groups: per finding code, the lowest code of
/// its group (codes sharing a mitigation text) and the group's advice.
fn groups(catalog: &Catalog) -> Vec<(Code, Code, Advice)> {
    let mut by_text: BTreeMap<&str, Vec<Code>> = BTreeMap::new();
    for (code, entry) in catalog.iter().filter(|(c, _)| c.is_finding()) {
        by_text
            .entry(entry.mitigation.as_str())
            .or_default()
            .push(code);
    }
    let mut out = Vec::new();
    for codes in by_text.values() {
        let lead = codes.iter().copied().min().unwrap_or(Code::SUCCESS);
        let advice = codes
            .iter()
            .map(|&c| rank::advice(c, catalog.get(c)))
            .min()
            .unwrap_or(Advice::Unknown);
        out.extend(codes.iter().map(|&c| (c, lead, advice)));
    }
    out.sort();
    out
}

const EVENTS: &str = r#"let events = union
    (StorageMoverCopyLogsFailed
        | where TimeGenerated >= since
        | project TimeGenerated, JobRunName, StatusCode, ItemPath),
    (StorageMoverJobRunLogs
        | where TimeGenerated >= since
        | project TimeGenerated, JobRunName, StatusCode, ItemPath = "")
    | where StatusCode matches regex @"^AZSM[0-9]{4}$"
    | extend Number = toint(substring(StatusCode, 4, 4))
    | extend Scope = case(Number == 0, "any", Number < 1000, "agent", Number < 2000, "job", Number < 3000, "item", "unknown")
    | extend Severity = case(
        Number == 0, "success",
        Number < 2000, "critical",
        Number between (2001 .. 2020) or Number between (2041 .. 2060), "info",
        Number between (2021 .. 2040), "warning",
        Number < 3000, "error",
        "warning")
    | extend SeverityRank = case(Severity == "critical", 0, Severity == "error", 1, Severity == "warning", 2, 3)
    | extend Finding = SeverityRank < 3
    // Agent-level codes (AZSM0001..0999) belong to no job run.
    | extend JobRun = iff(Number between (1 .. 999), "", JobRunName);
"#;

/// The queries, each standalone, separated by blank lines.
pub fn queries(catalog: &Catalog, since: &str) -> String {
    let prelude = format!("let since = {since};\n{EVENTS}");
    let mut rows = String::new();
    for (code, lead, advice) in groups(catalog) {
        let _ = writeln!(
            rows,
            "    {}, {}, {},",
            quote(&code.to_string()),
            quote(&lead.to_string()),
            quote(&advice.to_string())
        );
    }
    let catalog_table = format!(
        "let remediation = datatable(StatusCode: string, Remediation: string, Advice: string) [\n{rows}];\n"
    );
    let mut out = String::new();
    let _ = write!(
        out,
        "// azsm kql: the diagnosis over Log Analytics, since {since}.\n\
         // Tables: StorageMoverCopyLogsFailed, StorageMoverJobRunLogs. Run each query on its own.\n\n\
         // 1. Per code (azsm's codes[]): events, job runs, items, first and last seen.\n\
         {prelude}events\n\
         | summarize Events = count(), JobRuns = array_length(make_set_if(JobRun, isnotempty(JobRun))), Items = array_length(make_set_if(ItemPath, isnotempty(ItemPath))), FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) by StatusCode, Scope, Severity, Finding\n\
         | order by StatusCode asc\n\n\
         // 2. Per job run (azsm's jobs[]): events, findings, first and last seen, per-code counts.\n\
         {prelude}events\n\
         | where isnotempty(JobRun)\n\
         | summarize Count = count(), FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), IsFinding = any(Finding) by JobRun, StatusCode\n\
         | summarize Events = sum(Count), Findings = sumif(Count, IsFinding), FirstSeen = min(FirstSeen), LastSeen = max(LastSeen), Codes = make_bag(bag_pack(StatusCode, Count)) by JobRun\n\
         | order by JobRun asc\n\n\
         // 3. Events with no job run (azsm's unattributed[]).\n\
         {prelude}events\n\
         | where isempty(JobRun)\n\
         | summarize Events = count() by StatusCode\n\
         | order by StatusCode asc\n\n\
         // 4. Ranking inputs per remediation (azsm's remediations[]): severity, advice, breadth, count, lowest code.\n\
         {prelude}{catalog_table}events\n\
         | where Finding\n\
         | lookup kind=leftouter remediation on StatusCode\n\
         | extend Remediation = iff(isempty(Remediation), StatusCode, Remediation), Advice = iff(isempty(Advice), \"unknown\", Advice)\n\
         | extend AdviceRank = case(Advice == \"actionable\", 0, Advice == \"retry\", 1, 2)\n\
         | summarize Events = count(), JobRuns = array_length(make_set_if(JobRun, isnotempty(JobRun))), SeverityRank = min(SeverityRank), AdviceRank = min(AdviceRank), Codes = make_set(StatusCode), FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) by Remediation\n\
         | order by SeverityRank asc, AdviceRank asc, JobRuns desc, Events desc, Remediation asc\n\
         | extend Rank = row_number()\n"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_what_scan_takes() {
        assert_eq!(since("7d").unwrap(), "ago(7d)");
        assert_eq!(since("36h").unwrap(), "ago(36h)");
        assert_eq!(since("1w").unwrap(), "ago(7d)");
        assert_eq!(since("90m").unwrap(), "ago(90m)");
        assert_eq!(since("30s").unwrap(), "ago(30s)");
        assert_eq!(
            since("2024-03-15").unwrap(),
            "datetime(2024-03-15T00:00:00Z)"
        );
        assert_eq!(
            since("2024-03-15T09:30:00+01:00").unwrap(),
            "datetime(2024-03-15T08:30:00Z)"
        );
        for bad in ["", "d", "7", "7x", "7d; drop", "1.5d", "-1d", "yesterday"] {
            let e = since(bad).unwrap_err().to_string();
            assert!(e.contains("--since") && e.contains("1w"), "{bad}: {e}");
        }
    }
}
