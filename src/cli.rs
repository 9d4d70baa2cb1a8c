//! The command line, as clap parses it. Doc comments here are the help text.
//!
//! Nothing is validated beyond what clap checks; [`crate::config`] turns
//! these raw arguments into a checked configuration.

use std::path::PathBuf;

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
    /// Exit status: 0 nothing to fix, 1 findings, 2 an error (a bad argument
    /// or an input that could not be read; the report is still printed).
    Scan(ScanArgs),
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

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,

    /// Worker threads (default: one per core).
    #[arg(short = 'j', long = "threads", value_name = "N")]
    pub threads: Option<usize>,

    /// An extra job-key form: a regex with a named group 'job', e.g.
    /// 'task=(?P<job>[0-9a-f-]{36})'. It joins the built-in forms.
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

/// Formats of the scan report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// The ranked remediation summary for people.
    Text,
    /// The full report as JSON (schema in the README).
    Json,
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
