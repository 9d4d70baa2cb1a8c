//! The report model: one structure that every output format renders.
//!
//! [`Report::build`] turns a [`Tally`](crate::tally::Tally) and the catalog
//! into plain, serializable rows, sorted so that the same input always
//! gives the same bytes. The rows are in `model.rs`, their building in
//! `build.rs`, the comparison with `--baseline` in `baseline.rs`, what the
//! formats ask of a report in `query.rs`. Each format lives in its own
//! file and only reads this model; [`render`] is the one entry to them.

mod baseline;
mod build;
pub mod gate;
pub mod load;
mod model;
mod query;
pub mod stream;

pub mod csv;
pub(crate) mod github;
pub mod json;
pub(crate) mod junit;
pub(crate) mod markdown;
pub mod ndjson;
mod pretty;
pub mod sarif;
pub mod text;

pub use build::DEFAULT_ITEMS;
pub use model::{
    BaselineRow, BaselineSection, CausePartRow, Change, CodeCount, CodeRow, DirCount, ExampleRow,
    ItemExample, ItemsRow, JobRow, NotErrorRow, RemediationRow, Report, Scanned, ScopeRow, SiteRow,
    Summary, Tool, WindowRow, VERSION,
};
pub(crate) use query::counts;

/// What a format needs besides the report.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// The scan root: the one directory argument, to which SARIF URIs are
    /// made relative; `None` with several arguments or a file argument.
    pub root: Option<String>,
    /// Options of the text format.
    pub text: text::TextOptions,
    /// The scan's thread pool, on which the JSON format renders its big
    /// arrays; `None` renders on the calling thread.
    pub pool: Option<std::sync::Arc<rayon::ThreadPool>>,
}

/// Formats of the scan report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The ranked remediation summary for people.
    Text,
    /// The full report as JSON (schema in the README).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other viewers.
    Sarif,
    /// GitHub Actions workflow commands (annotations); the Markdown summary
    /// is appended to $GITHUB_STEP_SUMMARY when it is set.
    Github,
    /// GitHub-flavoured Markdown tables.
    Markdown,
    /// JUnit XML: a testsuite per job run, a testcase per code.
    Junit,
    /// One JSON record per event.
    Ndjson,
    /// One CSV row per event.
    Csv,
}

/// Writes `report` in `format`: the one entry point every output goes
/// through.
pub fn render(
    format: Format,
    report: &Report,
    ctx: &Context,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use Format as F;
    match format {
        F::Text => text::write(report, ctx.text, out),
        F::Json => json::write_with(report, ctx.pool.as_deref(), out),
        F::Sarif => sarif::write(report, ctx.root.as_deref(), out),
        F::Github => github::write(report, out),
        F::Markdown => markdown::write(report, out),
        F::Junit => junit::write(report, out),
        F::Ndjson => ndjson::write(report, out),
        F::Csv => csv::write(report, out),
    }
}
