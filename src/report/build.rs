//! [`Report::build`]: a [`Tally`] and the catalog into the report's rows,
//! sorted so that the same input always gives the same bytes.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;

use super::model::{
    CausePartRow, CodeCount, CodeRow, DirCount, ExampleRow, ItemExample, ItemsRow, JobRow,
    NotErrorRow, RemediationRow, Report, Scanned, ScopeRow, SiteRow, Summary, Tool, WindowRow,
    VERSION,
};
use crate::diagnose::rank;
use crate::model::catalog::Catalog;
use crate::model::causes::Causes;
use crate::model::code::{Code, Scope};
use crate::model::timestamp;
use crate::model::window::Window;
use crate::tally::{CodeTally, Example, JobTally, Tally};

/// Directories and example paths shown per item-scope code by default.
pub const DEFAULT_ITEMS: usize = 5;

impl Report {
    /// Builds the report of `tally` with the catalog's texts and the
    /// sub-causes of `causes`, scanned within `window`, showing
    /// [`DEFAULT_ITEMS`] directories and paths per item-scope code.
    pub fn build(tally: &Tally, catalog: &Catalog, causes: &Causes, window: Window) -> Report {
        Report::build_with(tally, catalog, causes, window, DEFAULT_ITEMS)
    }

    /// Builds the report, showing `k` directories and paths per code.
    pub fn build_with(
        tally: &Tally,
        catalog: &Catalog,
        causes: &Causes,
        window: Window,
        k: usize,
    ) -> Report {
        // The per-code and per-job rows (thousands of strings copied) are
        // built on the current rayon pool (the scan's, when called inside
        // it), in key order as the maps hold them, and the ranking beside.
        let ((codes, jobs), ranked) = rayon::join(
            || {
                let jobs = job_rows(tally);
                (code_rows(tally, catalog, causes, k, &jobs), jobs)
            },
            || rank::rank(tally, catalog, causes),
        );
        let scopes = [Scope::Agent, Scope::Job, Scope::Item, Scope::Unknown]
            .into_iter()
            .filter_map(|scope| {
                let rows: Vec<_> = codes.iter().filter(|c| c.scope == scope).collect();
                (!rows.is_empty()).then(|| ScopeRow {
                    scope,
                    events: rows.iter().map(|c| c.count).sum(),
                    findings: rows.iter().map(|c| findings(c)).sum(),
                    codes: rows.len(),
                })
            })
            .collect();
        let remediations: Vec<RemediationRow> = ranked
            .into_iter()
            .map(|r| RemediationRow {
                rank: r.rank,
                severity: r.severity,
                advice: r.advice,
                title: r.title,
                cause: r.cause,
                codes: r.codes.iter().map(|c| c.0).collect(),
                counts: r
                    .codes
                    .iter()
                    .map(|&(code, count)| CodeCount { code, count })
                    .collect(),
                events: r.events,
                jobs: r.jobs,
                files: r.files,
                first_seen: time(r.first),
                last_seen: time(r.last),
                example: r.example.as_ref().map(example),
                mitigation: r.mitigation,
                doc_urls: r.codes.iter().map(|c| c.0.doc_url()).collect(),
                change: None,
            })
            .collect();
        let mut errors = tally.errors.clone();
        errors.sort();
        errors.dedup();
        let mut notes = tally.notes.clone();
        notes.sort();
        notes.dedup();
        let not_errors = tally
            .causes
            .iter()
            .filter(|((code, _), t)| code.is_finding() && t.healthy > 0)
            .filter_map(|(&(code, cause), t)| {
                let c = causes.get(cause?);
                Some(NotErrorRow {
                    code,
                    cause: c.name.clone(),
                    count: t.healthy,
                    meaning: c.fix.clone(),
                })
            })
            .collect();
        let window = window.is_set().then(|| WindowRow {
            since: time(window.since),
            until: time(window.until),
            outside: tally.window.outside,
            untimed: tally.window.untimed,
        });
        let unattributed: Vec<CodeCount> = tally
            .unattributed
            .iter()
            .map(|(&code, &count)| CodeCount { code, count })
            .collect();
        Report {
            version: VERSION,
            tool: Tool {
                name: "azsm",
                version: env!("CARGO_PKG_VERSION"),
            },
            catalog: catalog.sources().to_vec(),
            scanned: Scanned {
                files: tally.stats.files,
                bytes: tally.stats.bytes,
                skipped_binary: tally.stats.skipped_binary,
                errors: errors.len() as u64,
            },
            summary: Summary {
                events: tally.events(),
                findings: codes.iter().map(findings).sum(),
                codes: codes.len(),
                jobs: jobs.len(),
                unattributed: unattributed.iter().map(|c| c.count).sum(),
                remediations: remediations.len(),
            },
            attribution: tally.rules,
            scopes,
            codes,
            jobs,
            unattributed,
            remediations,
            not_errors,
            window,
            errors,
            notes,
            baseline: None,
            events: Vec::new(),
            cause_names: causes.iter().map(|(_, c)| c.name.clone()).collect(),
        }
    }
}

fn example(e: &Example) -> ExampleRow {
    ExampleRow {
        path: str::to_owned(&e.path),
        line: e.line,
        text: e.text.clone(),
        matched: e.matched.clone(),
    }
}

/// The sub-cause split of `code`, empty when no sub-cause was seen.
fn cause_parts(tally: &Tally, code: Code, causes: &Causes) -> Vec<CausePartRow> {
    let parts: Vec<_> = tally
        .causes
        .range((code, None)..=(code, Some(crate::model::causes::CauseId(u16::MAX))))
        .collect();
    if parts.iter().all(|((_, c), _)| c.is_none()) {
        return Vec::new();
    }
    parts
        .into_iter()
        .map(|(&(_, cause), t)| CausePartRow {
            cause: cause.map(|id| causes.get(id).name.clone()),
            count: t.count,
            healthy: t.healthy,
            // A hash set: sorted here so that the report is the same bytes
            // on every run.
            jobs: sorted_ids(t.jobs.iter()),
            files: t.files.iter().cloned().collect(),
            first_seen: time(t.first),
            last_seen: time(t.last),
            examples: t.examples.iter().map(example).collect(),
        })
        .collect()
}

/// `ids` in byte order, as `sort_unstable` puts them, but each compared by
/// its first eight bytes as one number before the rest: job ids are GUIDs,
/// and those bytes nearly always decide, without a call to `memcmp`. (A
/// shorter id is padded with zero bytes, which sorts it before the longer
/// ones it begins, as byte order does.)
fn sorted_ids<'a>(ids: impl Iterator<Item = &'a Arc<str>>) -> Vec<Arc<str>> {
    let head = |id: &str| {
        let mut head = [0; 8];
        for (h, b) in head.iter_mut().zip(id.bytes()) {
            *h = b;
        }
        u64::from_be_bytes(head)
    };
    let mut keyed: Vec<(u64, Arc<str>)> = ids.map(|id| (head(id), Arc::clone(id))).collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, id)| id).collect()
}

/// Events of a code that are findings.
fn findings(c: &CodeRow) -> u64 {
    if c.finding {
        c.count - c.healthy
    } else {
        0
    }
}

/// RFC 3339 text of `t` ([`timestamp::format`], through the per-event
/// formats' allocation-free writer: thousands of job runs have four each).
fn time(t: Option<i64>) -> Option<String> {
    t.map(|ms| {
        let mut text = Vec::with_capacity(24);
        timestamp::push(ms, &mut text);
        String::from_utf8(text).unwrap_or_else(|_| timestamp::format(ms))
    })
}

/// The per-code rows, in code order.
fn code_rows(
    tally: &Tally,
    catalog: &Catalog,
    causes: &Causes,
    k: usize,
    job_rows: &[JobRow],
) -> Vec<CodeRow> {
    // A code's job runs are the runs that count it (see CodeTally::jobs),
    // counted from the rows just built rather than the job tallies again.
    let mut jobs: BTreeMap<Code, usize> = BTreeMap::new();
    for c in job_rows.iter().flat_map(|j| &j.codes) {
        *jobs.entry(c.code).or_default() += 1;
    }
    let codes: Vec<(&Code, &CodeTally)> = tally.codes.iter().collect();
    codes
        .into_par_iter()
        .map(|(&code, t)| {
            let entry = catalog.get(code);
            CodeRow {
                code,
                count: t.count,
                healthy: t.healthy,
                scope: code.scope(),
                subcategory: code.subcategory().to_string(),
                severity: code.severity(),
                finding: code.is_finding(),
                known: entry.is_some() || code.is_success(),
                message: entry
                    .map(|e| e.message.clone())
                    .or_else(|| code.is_success().then(|| "Success".to_string())),
                jobs: jobs.get(&code).copied().unwrap_or(0),
                files: t.files.len(),
                first_seen: time(t.first),
                last_seen: time(t.last),
                examples: t.examples.iter().map(example).collect(),
                doc_url: code.doc_url(),
                sites: t
                    .sites
                    .iter()
                    .map(|(p, s)| SiteRow {
                        path: Arc::clone(p),
                        line: s.line,
                        count: s.count,
                    })
                    .collect(),
                causes: cause_parts(tally, code, causes),
                change: None,
                items: (t.items.total > 0).then(|| ItemsRow {
                    total: t.items.total,
                    top_dirs: t
                        .items
                        .top_dirs(k)
                        .into_iter()
                        .map(|(dir, count)| DirCount {
                            dir: dir.to_string(),
                            count,
                        })
                        .collect(),
                    examples: t
                        .items
                        .example_paths(k)
                        .into_iter()
                        .map(|(path, line, item)| ItemExample {
                            item: item.to_string(),
                            path: path.to_string(),
                            line,
                        })
                        .collect(),
                    dirs_sampled: t.items.sampled,
                }),
            }
        })
        .collect()
}

/// The per-job rows, in id order.
fn job_rows(tally: &Tally) -> Vec<JobRow> {
    let jobs: Vec<(&Arc<str>, &JobTally)> = tally.jobs.iter().collect();
    jobs.into_par_iter()
        .with_min_len(64)
        .map(|(job, t)| JobRow {
            job: str::to_owned(job),
            events: t.codes.values().sum(),
            findings: t
                .codes
                .iter()
                .filter(|(c, _)| c.is_finding())
                .map(|(_, n)| n)
                .sum::<u64>()
                - t.healthy,
            codes: t
                .codes
                .iter()
                .map(|(&code, &count)| CodeCount { code, count })
                .collect(),
            first_seen: time(t.first),
            last_seen: time(t.last),
            status: t.run.status.clone(),
            agent: t.run.agent.clone(),
            execution_start: time(t.run.start),
            execution_end: time(t.run.end),
            items_failed: t.run.items_failed,
            items_transferred: t.run.items_transferred,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn ids_sort_as_sort_unstable_does(
            ids in proptest::collection::vec("(38fb0f65-b6|[a\\x00]{0,3}|\\PC{0,12}){1,3}", 0..40)
        ) {
            let ids: Vec<Arc<str>> = ids.into_iter().map(Arc::from).collect();
            let mut want = ids.clone();
            want.sort_unstable();
            proptest::prop_assert_eq!(sorted_ids(ids.iter()), want);
        }
    }
}
