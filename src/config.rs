//! Checked configuration, built from the raw command line before any work.
//!
//! Everything a user can get wrong in an argument (a regex that does not
//! compile, `-j 0`, an unreadable catalog) fails here, with a message that
//! names the flag, before a single file is opened.

use std::io::Write;
use std::sync::Arc;

use crate::catalog::Catalog;
use crate::causes::Causes;
use crate::cli::{ColorChoice, ReportFormat, ScanArgs};
use crate::error::Error;
use crate::jobkey::KeyFinder;
use crate::read::ReadOptions;
use crate::scan::Scanner;
use crate::window::Window;

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
    /// The `--since`/`--until` window.
    pub window: Window,
}

impl ScanConfig {
    /// Checks `args`; spans in `--since`/`--until` count back from `now`.
    pub fn new(args: &ScanArgs, causes: Arc<Causes>, now: i64) -> Result<ScanConfig, Error> {
        let keys = KeyFinder::new(args.job_pattern.as_deref())?;
        let window = Window::new(args.since.as_deref(), args.until.as_deref(), now)?;
        let threads = match args.threads {
            Some(0) => {
                return Err(Error::Argument {
                    flag: "-j/--threads",
                    message: "it takes a number of threads of at least 1".into(),
                })
            }
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        Ok(ScanConfig {
            scanner: Scanner::new(keys).with_causes(causes).with_window(window),
            read: ReadOptions {
                binary: args.binary,
                no_mmap: args.no_mmap,
                ..ReadOptions::default()
            },
            threads,
            follow: args.follow,
            format: args.format,
            window,
        })
    }
}

/// The sub-cause table: the embedded one, or that extended by `--causes`,
/// whose row warnings go to `stderr`.
pub fn causes(path: Option<&std::path::Path>, stderr: &mut dyn Write) -> Result<Causes, Error> {
    match path {
        None => Ok(Causes::embedded().clone()),
        Some(p) => {
            let (causes, warnings) = Causes::with_override(p)?;
            for w in warnings {
                let _ = writeln!(stderr, "azsm: warning: {w}");
            }
            Ok(causes)
        }
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
