//! Checked configuration, built from the raw command line before any work.
//!
//! Everything a user can get wrong in an argument (a regex that does not
//! compile, `-j 0`, an unreadable catalog) fails here, with a message that
//! names the flag, before a single file is opened.

use std::io::Write;

use crate::catalog::Catalog;
use crate::cli::{ColorChoice, ReportFormat, ScanArgs};
use crate::error::Error;
use crate::jobkey::KeyFinder;
use crate::read::ReadOptions;
use crate::scan::Scanner;

/// What the process knows about where its output goes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Terminal {
    /// Standard output is a terminal.
    pub stdout_is_terminal: bool,
    /// `NO_COLOR` is set to a non-empty value.
    pub no_color: bool,
}

impl Terminal {
    /// Whether to colour, given `--color`.
    pub fn color(&self, choice: ColorChoice) -> bool {
        match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => self.stdout_is_terminal && !self.no_color,
        }
    }
}

/// A validated `scan`.
#[derive(Debug)]
pub struct ScanConfig {
    /// The scanner, with the user's job pattern compiled in.
    pub scanner: Scanner,
    /// How inputs are read.
    pub read: ReadOptions,
    /// Worker threads.
    pub threads: usize,
    /// Follow links while walking.
    pub follow: bool,
    /// Report format.
    pub format: ReportFormat,
}

impl ScanConfig {
    /// Checks `args`.
    pub fn new(args: &ScanArgs) -> Result<ScanConfig, Error> {
        let keys = KeyFinder::new(args.job_pattern.as_deref())?;
        let threads = match args.threads {
            Some(n) if n == 0 || n > crate::cli::MAX_THREADS => {
                return Err(Error::Argument {
                    flag: "-j/--threads",
                    message: format!(
                        "it takes a whole number of threads from 1 to {}, e.g. -j 4",
                        crate::cli::MAX_THREADS
                    ),
                })
            }
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        Ok(ScanConfig {
            scanner: Scanner::new(keys).keep_secrets(args.no_redact),
            read: ReadOptions {
                binary: args.binary,
                no_mmap: args.no_mmap,
                ..ReadOptions::default()
            },
            threads,
            follow: args.follow,
            format: args.format,
        })
    }
}

/// The catalog: the embedded one, or that overridden by `--catalog`, whose
/// row warnings go to `stderr`.
pub fn catalog(path: Option<&std::path::Path>, stderr: &mut dyn Write) -> Result<Catalog, Error> {
    match path {
        None => Ok(Catalog::embedded().clone()),
        Some(p) => {
            let (catalog, warnings) = Catalog::with_override(p)?;
            for w in warnings {
                let _ = writeln!(stderr, "azsm: warning: {w}");
            }
            Ok(catalog)
        }
    }
}
