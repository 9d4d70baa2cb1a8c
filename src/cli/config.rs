//! Checked configuration, built from the raw command line before any work.
//!
//! Everything a user can get wrong in an argument (a regex that does not
//! compile, `-j 0`, an unreadable catalog) fails here, with a message that
//! names the flag, before a single file is opened.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use crate::cli::{ColorChoice, OutputArgs, ReportFormat, ScanArgs};
use crate::model::catalog::Catalog;
use crate::model::causes::Causes;
use crate::model::code::Code;
use crate::model::error::Error;
use crate::model::window::Window;
use crate::pipeline::ReadOptions;
use crate::report::gate::FailOn;
use crate::scan::jobkey::KeyFinder;
use crate::scan::Scanner;
use crate::util::fmt::parse_size;

/// What the process knows about where its output goes. `main` fills it
/// from the real process; tests set it, so the library never probes the
/// terminal or the environment itself.
#[derive(Clone, Debug, Default)]
pub struct Terminal {
    /// Standard output is a terminal.
    pub stdout_is_terminal: bool,
    /// Its width in columns, when it is a terminal (text wraps to it).
    pub width: Option<usize>,
    /// `NO_COLOR` is set to a non-empty value.
    pub no_color: bool,
    /// Standard error is a terminal (progress bars go there).
    pub stderr_is_terminal: bool,
    /// `CI` is set: a CI runner, never a progress bar.
    pub ci: bool,
    /// `GITHUB_STEP_SUMMARY`: the file GitHub Actions shows as the step's
    /// summary, appended to by `--format github`.
    pub step_summary: Option<PathBuf>,
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

    /// Whether a progress bar may be drawn on standard error.
    pub fn progress(&self, quiet: bool) -> bool {
        self.stderr_is_terminal && !self.ci && !quiet
    }
}

/// Where reports go: the stdout format and the extra files.
#[derive(Debug)]
pub struct OutputConfig {
    /// Format of standard output.
    pub format: ReportFormat,
    /// Extra outputs, in the order written, with the flag that asked.
    pub files: Vec<(ReportFormat, &'static str, PathBuf)>,
    /// When to exit 1.
    pub fail_on: FailOn,
    /// The earlier report to compare with.
    pub baseline: Option<PathBuf>,
    /// No progress bar.
    pub quiet: bool,
    /// Replace existing output files that are not earlier reports.
    pub force: bool,
}

impl OutputConfig {
    /// Checks `args`, with the stdout `format` and the per-event files
    /// (`--ndjson`, `--csv`), which only scan has.
    pub fn new(
        args: &OutputArgs,
        format: ReportFormat,
        [ndjson, csv]: [&Option<PathBuf>; 2],
    ) -> Result<OutputConfig, Error> {
        let fail_on = FailOn::parse(&args.fail_on)?;
        if fail_on == FailOn::New && args.baseline.is_none() {
            return Err(Error::Argument {
                flag: "--fail-on",
                message: "'new' needs --baseline FILE, the JSON report to compare with".into(),
            });
        }
        let files = [
            (ReportFormat::Json, "--json", &args.json),
            (ReportFormat::Sarif, "--sarif", &args.sarif),
            (ReportFormat::Junit, "--junit", &args.junit),
            (ReportFormat::Markdown, "--markdown", &args.markdown),
            (ReportFormat::Ndjson, "--ndjson", ndjson),
            (ReportFormat::Csv, "--csv", csv),
        ]
        .into_iter()
        .filter_map(|(f, flag, p)| p.clone().map(|p| (f, flag, p)))
        .collect();
        Ok(OutputConfig {
            format,
            files,
            fail_on,
            baseline: args.baseline.clone(),
            quiet: args.quiet,
            force: args.force,
        })
    }

    /// Reads the baseline and checks and opens the output files (see
    /// [`crate::cli::outputs`]) against `inputs`, what the run reads: done
    /// before any scanning, so that a bad `--baseline` or an output that
    /// would overwrite a log fails at once.
    pub fn prepare(&self, inputs: &[PathBuf]) -> Result<Prepared, Error> {
        let baseline = match &self.baseline {
            Some(p) => Some((
                p.display().to_string(),
                crate::report::load::baseline_counts(p)?,
            )),
            None => None,
        };
        let (files, pending) = crate::cli::outputs::open(&self.files, inputs, self.force)?;
        Ok(Prepared {
            baseline,
            files,
            pending,
        })
    }

    /// Whether a per-event format is asked for (events are recorded only then).
    pub fn wants_events(&self) -> bool {
        std::iter::once(self.format)
            .chain(self.files.iter().map(|f| f.0))
            .any(|f| matches!(f, ReportFormat::Ndjson | ReportFormat::Csv))
    }
}

/// What [`OutputConfig::prepare`] opened.
#[derive(Debug)]
pub struct Prepared {
    /// The baseline's path and per-code counts.
    pub baseline: Option<(String, std::collections::BTreeMap<Code, u64>)>,
    /// The output files, open and empty (temporary files, for regular
    /// targets).
    pub files: Vec<crate::cli::outputs::Opened>,
    /// The temporary files to rename over their targets once all is written.
    pub pending: crate::cli::outputs::Pending,
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
    /// Outputs and exit status.
    pub output: OutputConfig,
    /// The `--since`/`--until` window.
    pub window: Window,
    /// Directories and example paths shown per item-scope code.
    pub items: usize,
}

impl ScanConfig {
    /// Checks `args`; spans in `--since`/`--until` count back from `now`.
    pub fn new(args: &ScanArgs, causes: Arc<Causes>, now: i64) -> Result<ScanConfig, Error> {
        let keys = KeyFinder::new(args.job_pattern.as_deref())?;
        let window = Window::new(args.since.as_deref(), args.until.as_deref(), now)?;
        let output = OutputConfig::new(&args.output, args.format, [&args.ndjson, &args.csv])?;
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
        let max_expand = parse_size(&args.max_expand).ok_or_else(|| Error::Argument {
            flag: "--max-expand",
            message: format!(
                "'{}' is not a size; give bytes or a number with K, M, G or T (powers of 1024), e.g. 64G",
                args.max_expand
            ),
        })?;
        if args.items > crate::tally::items::MAX_EXAMPLES {
            return Err(Error::Argument {
                flag: "--items",
                message: format!(
                    "it takes 0 to {} (paths and directories shown per code)",
                    crate::tally::items::MAX_EXAMPLES
                ),
            });
        }
        Ok(ScanConfig {
            scanner: Scanner::new(keys)
                .with_causes(causes)
                .with_window(window)
                .recording_events(output.wants_events())
                .keep_secrets(args.no_redact),
            read: ReadOptions {
                binary: args.binary,
                no_mmap: args.no_mmap,
                max_expand,
                // A chunk's events wait in memory until sent: streamed
                // formats keep their chunks small.
                chunk: if output.wants_events() {
                    crate::pipeline::CHUNK
                } else {
                    crate::pipeline::TALLY_CHUNK
                },
                ..ReadOptions::default()
            },
            threads,
            follow: args.follow,
            output,
            window,
            items: args.items,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A mapped file's chunks are 16 MiB unless events are streamed (the
    /// main format or an `--output` file): then a chunk's events wait in
    /// memory until sent, and chunks stay 8 MiB.
    #[test]
    fn streamed_events_keep_chunks_small() {
        use clap::Parser;
        let chunk = |argv: &[&str]| {
            let cli = crate::cli::Cli::try_parse_from(["azsm", "scan"].iter().chain(argv)).unwrap();
            let crate::cli::Command::Scan(args) = cli.command else {
                panic!("not a scan");
            };
            let causes = Arc::new(Causes::embedded().clone());
            ScanConfig::new(&args, causes, 0).unwrap().read.chunk
        };
        assert_eq!(chunk(&["d"]), crate::pipeline::TALLY_CHUNK);
        assert_eq!(
            chunk(&["--format", "sarif", "d"]),
            crate::pipeline::TALLY_CHUNK
        );
        assert_eq!(chunk(&["--format", "ndjson", "d"]), crate::pipeline::CHUNK);
        assert_eq!(chunk(&["--format", "csv", "d"]), crate::pipeline::CHUNK);
        assert_eq!(
            chunk(&["--ndjson", "e.ndjson", "d"]),
            crate::pipeline::CHUNK
        );
        assert_eq!(chunk(&["--csv", "e.csv", "d"]), crate::pipeline::CHUNK);
        assert_eq!(
            chunk(&["--json", "r.json", "d"]),
            crate::pipeline::TALLY_CHUNK
        );
        const { assert!(crate::pipeline::CHUNK < crate::pipeline::TALLY_CHUNK) };
    }

    #[test]
    fn progress_only_on_a_terminal_outside_ci_without_quiet() {
        let tty = Terminal {
            stderr_is_terminal: true,
            ..Terminal::default()
        };
        assert!(tty.progress(false));
        assert!(!tty.progress(true), "--quiet");
        assert!(
            !Terminal {
                ci: true,
                ..tty.clone()
            }
            .progress(false),
            "CI"
        );
        assert!(!Terminal::default().progress(false), "a pipe");
    }
}
