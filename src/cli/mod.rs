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
    #[arg(long, global = true, value_name = "FILE", help_heading = GLOBAL)]
    pub catalog: Option<PathBuf>,

    /// Your own sub-cause table (tab-separated: code or *, trigger, name,
    /// fix|healthy, fix[, source]); its rows replace embedded rows with the
    /// same code and trigger and add the others. Used by scan, merge and
    /// explain; kql and codes refuse it.
    #[arg(long, global = true, value_name = "FILE", help_heading = GLOBAL)]
    pub causes: Option<PathBuf>,

    /// When to colour the text report of scan and merge (default: auto);
    /// NO_COLOR in the environment means never unless --color=always. kql,
    /// explain and codes print no colour and refuse it.
    #[arg(long, global = true, value_enum, value_name = "WHEN", help_heading = GLOBAL)]
    pub color: Option<ColorChoice>,
}

/// Help headings, as a user looks for an option.
const INPUTS: &str = "Inputs";
const OUTPUTS: &str = "Outputs";
const DIAGNOSIS: &str = "Diagnosis";
const GLOBAL: &str = "Global (any subcommand, before or after it)";

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
    /// Takes scan's output and --fail-on options, except per-event
    /// records: reports hold tallies, not events.
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

    /// Format of standard output.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text, help_heading = OUTPUTS)]
    pub format: ReportFormat,

    /// Output and exit-status options.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Also write one JSON record per event to FILE.
    #[arg(long, value_name = "FILE", help_heading = OUTPUTS)]
    pub ndjson: Option<PathBuf>,

    /// Also write one CSV row per event to FILE.
    #[arg(long, value_name = "FILE", help_heading = OUTPUTS)]
    pub csv: Option<PathBuf>,

    /// Worker threads, 1 to 1024 (default: one per core).
    #[arg(short = 'j', long = "threads", value_name = "N", value_parser = parse_threads, allow_hyphen_values = true, help_heading = INPUTS)]
    pub threads: Option<usize>,

    /// An extra job-key form: a regex with a named group 'job', e.g.
    /// `'task=(?P<job>[0-9a-f-]{36})'`. It joins the built-in forms.
    #[arg(long, value_name = "REGEX", help_heading = DIAGNOSIS)]
    pub job_pattern: Option<String>,

    /// Scan files that look binary (a NUL byte in the first 8 KiB) too.
    #[arg(long, help_heading = INPUTS)]
    pub binary: bool,

    /// Follow symbolic links met while walking directories.
    #[arg(long, help_heading = INPUTS)]
    pub follow: bool,

    /// Count only events at or after this time: an RFC 3339 time, a date
    /// (midnight UTC) or a span back from now (30m, 2h, 3d, 1w). Lines
    /// without a time are kept and counted apart.
    #[arg(long, value_name = "WHEN", help_heading = DIAGNOSIS)]
    pub since: Option<String>,

    /// Count only events before this time (same forms as --since).
    #[arg(long, value_name = "WHEN", help_heading = DIAGNOSIS)]
    pub until: Option<String>,

    /// Read files with read(2) instead of memory-mapping them, for
    /// filesystems where mapping is slow or unsupported (some network and
    /// FUSE mounts). Either way a file truncated while it is read is
    /// handled.
    #[arg(long, help_heading = INPUTS)]
    pub no_mmap: bool,

    /// Show secret values (SAS signatures, account keys, passwords, bearer
    /// tokens, URL passwords) in excerpts instead of redacting them.
    #[arg(long, help_heading = OUTPUTS)]
    pub no_redact: bool,

    /// The most bytes one input (a compressed file, an archive with all its
    /// entries) may expand to; beyond it the input stops with an error.
    /// Sizes like 500M, 10G, 1T (powers of 1024) or plain bytes.
    #[arg(long, value_name = "SIZE", default_value = "64G", help_heading = INPUTS)]
    pub max_expand: String,

    /// Top directories and example paths shown per item-scope code (0 to
    /// 100).
    #[arg(long, value_name = "K", default_value_t = 5, help_heading = OUTPUTS)]
    pub items: usize,
}

/// Where reports go and when the run fails; shared by `scan` and `merge`
/// (the stdout format and per-event files are each command's own).
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// When to exit 1: error (critical and error findings; the default),
    /// warning (any finding), never, a list of codes (AZSM1024,AZSM2062:
    /// any event of them), a scope (agent, job, item, unknown: any finding
    /// of it), or new (findings new against --baseline).
    #[arg(long, value_name = "WHEN", default_value = "error", help_heading = DIAGNOSIS)]
    pub fail_on: String,

    /// A JSON report of an earlier run: mark each code new, increased,
    /// decreased, unchanged or resolved against it.
    #[arg(long, value_name = "FILE", help_heading = DIAGNOSIS)]
    pub baseline: Option<PathBuf>,

    /// Also write the JSON report to FILE.
    #[arg(long, value_name = "FILE", help_heading = OUTPUTS)]
    pub json: Option<PathBuf>,

    /// Also write SARIF 2.1.0 to FILE (GitHub code scanning).
    #[arg(long, value_name = "FILE", help_heading = OUTPUTS)]
    pub sarif: Option<PathBuf>,

    /// Also write JUnit XML to FILE (GitLab, Jenkins, Azure Pipelines).
    #[arg(long, value_name = "FILE", help_heading = OUTPUTS)]
    pub junit: Option<PathBuf>,

    /// Also write the Markdown summary to FILE.
    #[arg(long, value_name = "FILE", help_heading = OUTPUTS)]
    pub markdown: Option<PathBuf>,

    /// Replace an existing output file that is not an earlier azsm report
    /// of its format (an input of the run is never replaced).
    #[arg(long, help_heading = OUTPUTS)]
    pub force: bool,

    /// No progress bar.
    #[arg(short, long, help_heading = OUTPUTS)]
    pub quiet: bool,
}

/// `azsm merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// JSON reports written by `azsm scan --format json` (or `--json FILE`).
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,

    /// Format of standard output (per-event formats come from scan only).
    #[arg(long, value_enum, default_value_t = MergeFormat::Text, help_heading = OUTPUTS)]
    pub format: MergeFormat,

    /// Output and exit-status options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `azsm kql`.
#[derive(Debug, Args)]
pub struct KqlArgs {
    /// Count only events at or after this time, as scan --since takes it:
    /// an RFC 3339 time, a date (midnight UTC) or a span back from now
    /// (30m, 2h, 3d, 1w).
    #[arg(long, value_name = "WHEN", default_value = "7d")]
    pub since: String,
}

/// `azsm explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Codes to explain: AZSM1024, azsm1024 or 1024.
    #[arg(required_unless_present = "any", value_name = "CODE")]
    pub codes: Vec<String>,

    /// Explain the sub-causes that apply to any code instead (each code's
    /// explanation points here rather than repeating them).
    #[arg(long, conflicts_with = "codes")]
    pub any: bool,

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

/// Formats of `merge`: those of [`ReportFormat`] that need no events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MergeFormat {
    /// The ranked remediation summary for people.
    Text,
    /// The full report as JSON (schema in the README).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other viewers.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// GitHub-flavoured Markdown tables.
    Markdown,
    /// JUnit XML: a testsuite per job run, a testcase per code.
    Junit,
}

impl From<MergeFormat> for ReportFormat {
    fn from(f: MergeFormat) -> ReportFormat {
        match f {
            MergeFormat::Text => ReportFormat::Text,
            MergeFormat::Json => ReportFormat::Json,
            MergeFormat::Sarif => ReportFormat::Sarif,
            MergeFormat::Github => ReportFormat::Github,
            MergeFormat::Markdown => ReportFormat::Markdown,
            MergeFormat::Junit => ReportFormat::Junit,
        }
    }
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
