//! Errors a user can cause, each with a message that says what to do.
//!
//! Problems with one input file are not errors of the run: they are
//! [`FileError`]s, reported next to the findings while the scan goes on.
//! An [`Error`] stops the command before or after the scan and exits 2.

use std::io;
use std::path::PathBuf;

use serde::Serialize;

/// What stops a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--catalog` names a file that cannot be read.
    #[error("cannot read the catalog {}: {source}; --catalog takes a copy of the Microsoft Learn status-code page (Markdown)", path.display())]
    Catalog {
        /// The file given.
        path: PathBuf,
        /// Why it failed.
        source: io::Error,
    },
    /// `--catalog` names a file without a single code row.
    #[error("the catalog {} has no row of the form '| AZSMnnnn | message | mitigation |'; --catalog takes a copy of the Microsoft Learn status-code page (Markdown)", path.display())]
    CatalogEmpty {
        /// The file given.
        path: PathBuf,
    },
    /// `--causes` names a file that cannot be read.
    #[error("cannot read the sub-cause table {}: {source}; --causes takes a tab-separated file of rows 'code, trigger, name, kind, fix[, source]' (see causes/causes.tsv)", path.display())]
    Causes {
        /// The file given.
        path: PathBuf,
        /// Why it failed.
        source: io::Error,
    },
    /// `--job-pattern` does not compile or lacks the `job` group.
    #[error("invalid --job-pattern '{pattern}': {reason}")]
    JobPattern {
        /// The pattern given.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A flag's value is out of its accepted range.
    #[error("invalid {flag}: {message}")]
    Argument {
        /// The flag, as typed.
        flag: &'static str,
        /// What it accepts.
        message: String,
    },
    /// `explain` got something that is not a code.
    #[error(transparent)]
    Code(#[from] crate::model::code::ParseCodeError),
    /// The thread pool could not start.
    #[error("cannot start {threads} worker threads: {reason}; try a smaller -j")]
    Threads {
        /// How many were asked for.
        threads: usize,
        /// Why it failed.
        reason: String,
    },
    /// A report given to `merge` or `--baseline` cannot be used.
    #[error("cannot use {path} as an azsm report: {reason}; {flag} takes JSON reports written by 'azsm scan --format json' (or --json FILE) of this azsm version")]
    Report {
        /// `merge` or `--baseline`.
        flag: &'static str,
        /// The file given.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An output file (`--sarif FILE` and the like) cannot be written.
    #[error("cannot write {flag} {}: {source}", path.display())]
    OutputFile {
        /// The flag.
        flag: &'static str,
        /// The file given.
        path: PathBuf,
        /// Why it failed.
        source: io::Error,
    },
    /// The temporary file of the per-event records cannot be written
    /// (see [`crate::report::stream`]).
    #[error("cannot write a temporary file for the per-event records (ndjson, csv): {0}; free some space where TMPDIR points (or point TMPDIR elsewhere)")]
    Temp(#[source] io::Error),
    /// Writing the report failed (other than a closed pipe).
    #[error("cannot write the report: {0}")]
    Output(#[source] io::Error),
}

/// An input that could not be scanned (fully). The run goes on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct FileError {
    /// The input's display path.
    pub path: String,
    /// What went wrong, and what to do about it where there is something.
    pub message: String,
}

impl FileError {
    /// An I/O error on `path`, described for a user.
    pub fn io(path: &str, err: &io::Error) -> FileError {
        let hint = match err.kind() {
            io::ErrorKind::NotFound => "; check the path (it may have been rotated away)",
            io::ErrorKind::PermissionDenied => {
                "; run azsm as a user that can read it, or copy the logs out first"
            }
            _ => "",
        };
        FileError {
            path: path.to_string(),
            message: format!("{err}{hint}"),
        }
    }
}
