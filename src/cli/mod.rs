//! The command line, as clap parses it. Doc comments here are the help text.
//!
//! Nothing is validated beyond what clap checks; [`crate::cli::config`] turns
//! these raw arguments into a checked configuration.

pub mod config;
pub(crate) mod distinct;
pub mod outputs;

use std::path::PathBuf;

pub use crate::report::Format as ReportFormat;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Diagnose Azure Storage Mover migrations from their logs.
///
/// azsm finds every AZSM status code in agent logs and support bundles,
/// attributes each to its job run, and ranks what to fix first, with the
/// mitigation from Microsoft's status-code table.
#[derive(Debug, Parser)]
#[command(name = "azsm", version, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// Another version of the Microsoft Learn status-code page (Markdown);
    /// its rows override and extend the embedded 2025-03-30 table.
    #[arg(long, global = true, value_name = "FILE")]
    pub catalog: Option<PathBuf>,

    /// Your own sub-cause table (tab-separated: code or *, trigger, name,
    /// fix|healthy, fix[, source]); its rows replace embedded rows with the
    /// same code and trigger and add the others.
    #[arg(long, global = true, value_name = "FILE")]
    pub causes: Option<PathBuf>,

    /// When to colour the output; NO_COLOR in the environment means never
    /// unless --color=always.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan logs and print the ranked remediation summary.
    ///
    /// Exit status: 0 nothing at or above --fail-on, 1 findings that meet
    /// --fail-on, 2 an error (a bad argument or an input that could not be
    /// read; the report is still printed).
    Scan(ScanArgs),
    /// Merge JSON reports (one per agent, one per day) into one, re-ranked.
    ///
    /// Takes the same output and --fail-on options as scan.
    Merge(MergeArgs),
    /// Print Kusto (KQL) queries computing azsm's tallies in Log Analytics.
    Kql(KqlArgs),
    /// Explain status codes: message, scope, severity, mitigation, doc link.
    Explain(ExplainArgs),
    /// List the catalog of known codes.
    Codes(CodesArgs),
}

/// `azsm scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files and directories to scan (directories recursively); - is
    /// standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output and exit-status options.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Worker threads, 1 to 1024 (default: one per core).
    #[arg(short = 'j', long = "threads", value_name = "N", value_parser = parse_threads, allow_hyphen_values = true)]
    pub threads: Option<usize>,

    /// An extra job-key form: a regex with a named group 'job', e.g.
    /// `'task=(?P<job>[0-9a-f-]{36})'`. It joins the built-in forms.
    #[arg(long, value_name = "REGEX")]
    pub job_pattern: Option<String>,

    /// Scan files that look binary (a NUL byte in the first 8 KiB) too.
    #[arg(long)]
    pub binary: bool,

    /// Follow symbolic links met while walking directories.
    #[arg(long)]
    pub follow: bool,

    /// Count only events at or after this time: an RFC 3339 time, a date
    /// (midnight UTC) or a span back from now (30m, 2h, 3d, 1w). Lines
    /// without a time are kept and counted apart.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,

    /// Count only events before this time (same forms as --since).
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,

    /// Never memory-map files; read them instead (safer on live logs that
    /// are truncated while azsm reads them).
    #[arg(long)]
    pub no_mmap: bool,

    /// Show secret values (SAS signatures, account keys, passwords, bearer
    /// tokens, URL passwords) in excerpts instead of redacting them.
    #[arg(long)]
    pub no_redact: bool,
    /// The most bytes one input (a compressed file, an archive with all its
    /// entries) may expand to; beyond it the input stops with an error.
    /// Sizes like 500M, 10G, 1T (powers of 1024) or plain bytes.
    #[arg(long, value_name = "SIZE", default_value = "64G")]
    pub max_expand: String,

    /// Top directories and example paths shown per item-scope code (0 to
    /// 100).
    #[arg(long, value_name = "K", default_value_t = 5)]
    pub items: usize,
}

/// Where reports go and when the run fails; shared by `scan` and `merge`.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Format of standard output.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,

    /// When to exit 1: error (critical and error findings; the default),
    /// warning (any finding), never, a list of codes (AZSM1024,AZSM2062:
    /// any event of them), a scope (agent, job, item, unknown: any finding
    /// of it), or new (findings new against --baseline).
    #[arg(long, value_name = "WHEN", default_value = "error")]
    pub fail_on: String,

    /// A JSON report of an earlier run: mark each code new, increased,
    /// decreased, unchanged or resolved against it.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Also write the JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Also write SARIF 2.1.0 to FILE (GitHub code scanning).
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,

    /// Also write JUnit XML to FILE (GitLab, Jenkins, Azure Pipelines).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Also write the Markdown summary to FILE.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,

    /// Also write one JSON record per event to FILE.
    #[arg(long, value_name = "FILE")]
    pub ndjson: Option<PathBuf>,

    /// Also write one CSV row per event to FILE.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,

    /// Replace an existing output file that is not an earlier azsm report
    /// of its format (an input of the run is never replaced).
    #[arg(long)]
    pub force: bool,

    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `azsm merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// JSON reports written by `azsm scan --format json` (or `--json FILE`).
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,

    /// Output and exit-status options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `azsm kql`.
#[derive(Debug, Args)]
pub struct KqlArgs {
    /// Time range to look back over, a Kusto timespan: 7d, 36h, 90m.
    #[arg(long, value_name = "SPAN", default_value = "7d")]
    pub since: String,
}

/// `azsm explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Codes to explain: AZSM1024, azsm1024 or 1024.
    #[arg(required = true, value_name = "CODE")]
    pub codes: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

/// `azsm codes`.
#[derive(Debug, Args)]
pub struct CodesArgs {
    /// Only codes of this scope.
    #[arg(long, value_enum)]
    pub scope: Option<ScopeArg>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

/// Formats of `explain` and `codes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// For people.
    Text,
    /// JSON.
    Json,
}

/// Scopes selectable on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    /// AZSM0xxx.
    Agent,
    /// AZSM1xxx.
    Job,
    /// AZSM2xxx.
    Item,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when standard output is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The most worker threads `-j` accepts (checked in [`crate::cli::config`]).
pub const MAX_THREADS: usize = 1024;

/// `-j N`: a whole number; its range is checked in [`crate::cli::config`].
fn parse_threads(s: &str) -> Result<usize, String> {
    s.parse::<usize>().map_err(|_| {
        format!("expected a whole number of threads from 1 to {MAX_THREADS}, e.g. -j 4")
    })
}
