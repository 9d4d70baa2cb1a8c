//! azsm: diagnose Azure Storage Mover migrations from their logs.
//!
//! Storage Mover agents report every status as a code, `AZSM` and four
//! digits. azsm finds every code in agent logs and support bundles,
//! attributes each to its job run, tallies them per code, per job run and
//! per scope, and ranks what to fix first with the mitigation text of
//! Microsoft's published table.
//!
//! Data flows through the modules in this order:
//!
//! - [`cli`]: the raw command line (clap), and [`config`]: the checked
//!   configuration built from it before any work starts;
//! - [`inputs`]: paths to a sorted list of inputs;
//! - [`read`]: how each input's bytes reach the scanner (read, memory-map
//!   in windows via [`mmap`], or stream), in parallel;
//! - [`scan`]: bytes to events, with [`jobkey`], [`timestamp`], the
//!   sub-causes of [`causes`] and the time [`window`];
//! - [`aggregate`]: events to mergeable tallies;
//! - [`rank`]: tallies to ranked remediations, using [`catalog`] and [`code`];
//! - [`report`]: one model, one file per output format.
//!
//! [`run`] is the whole program; `main.rs` only calls it, so tests run the
//! program in-process.

pub mod aggregate;
pub mod catalog;
pub mod causes;
pub mod cli;
pub mod code;
pub mod config;
pub mod error;
pub mod explain;
pub mod inputs;
pub mod jobkey;
pub mod mmap;
pub mod rank;
pub mod read;
pub mod report;
pub mod scan;
pub mod timestamp;
pub mod window;

use std::ffi::OsString;
use std::io::{self, IsTerminal, Read, Write};
use std::time::Instant;

use clap::Parser;

use crate::cli::{Cli, Command, ListFormat, ReportFormat, ScopeArg};
use crate::code::{Code, Scope};
use crate::config::{ScanConfig, Terminal};
use crate::error::Error;
use crate::report::Report;

/// Exit status: nothing to fix.
pub const EXIT_CLEAN: i32 = 0;
/// Exit status: findings.
pub const EXIT_FINDINGS: i32 = 1;
/// Exit status: an error.
pub const EXIT_ERROR: i32 = 2;

/// The process's standard streams and what is known about them.
pub struct Io<'a> {
    /// Standard output.
    pub stdout: &'a mut dyn Write,
    /// Standard error.
    pub stderr: &'a mut dyn Write,
    /// Standard input, for the `-` path.
    pub stdin: Option<Box<dyn Read + Send>>,
    /// Terminal facts.
    pub terminal: Terminal,
}

/// Runs azsm with `args` (the first is the program name); returns the exit
/// status.
pub fn run<I, T>(args: I, io: &mut Io<'_>) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let text = if io.terminal.stdout_is_terminal {
                e.render().ansi().to_string()
            } else {
                e.render().to_string()
            };
            let code = e.exit_code();
            let sink: &mut dyn Write = if e.use_stderr() { io.stderr } else { io.stdout };
            let _ = write!(sink, "{text}");
            return if code == 0 { EXIT_CLEAN } else { EXIT_ERROR };
        }
    };
    match dispatch(&cli, io) {
        Ok(status) => status,
        Err(Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => EXIT_CLEAN,
        Err(e) => {
            let _ = writeln!(io.stderr, "azsm: error: {e}");
            EXIT_ERROR
        }
    }
}

fn dispatch(cli: &Cli, io: &mut Io<'_>) -> Result<i32, Error> {
    let catalog = config::catalog(cli.catalog.as_deref(), io.stderr)?;
    let causes = std::sync::Arc::new(config::causes(cli.causes.as_deref(), io.stderr)?);
    match &cli.command {
        Command::Scan(args) => {
            let now = jiff::Timestamp::now().as_millisecond();
            let cfg = ScanConfig::new(args, causes, now)?;
            scan(&cfg, &args.paths, &catalog, cli.color, io)
        }
        Command::Explain(args) => {
            let codes = args
                .codes
                .iter()
                .map(|c| c.parse::<Code>())
                .collect::<Result<Vec<_>, _>>()?;
            let infos: Vec<_> = codes
                .iter()
                .map(|&c| explain::describe(c, &catalog, Some(&*causes)))
                .collect();
            match args.format {
                ListFormat::Text => explain::write_explained(&infos, io.stdout),
                ListFormat::Json => explain::write_json(&infos, io.stdout),
            }
            .map_err(Error::Output)?;
            Ok(if infos.iter().all(|i| i.known) {
                EXIT_CLEAN
            } else {
                EXIT_FINDINGS
            })
        }
        Command::Codes(args) => {
            let scope = args.scope.map(|s| match s {
                ScopeArg::Agent => Scope::Agent,
                ScopeArg::Job => Scope::Job,
                ScopeArg::Item => Scope::Item,
            });
            let infos = explain::list(&catalog, scope);
            match args.format {
                ListFormat::Text => explain::write_table(&infos, io.stdout),
                ListFormat::Json => explain::write_json(&infos, io.stdout),
            }
            .map_err(Error::Output)?;
            Ok(EXIT_CLEAN)
        }
    }
}

fn scan(
    cfg: &ScanConfig,
    paths: &[std::path::PathBuf],
    catalog: &catalog::Catalog,
    color: cli::ColorChoice,
    io: &mut Io<'_>,
) -> Result<i32, Error> {
    let started = Instant::now();
    let found = inputs::find(paths, cfg.follow);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads)
        .build()
        .map_err(|e| Error::Threads {
            threads: cfg.threads,
            reason: e.to_string(),
        })?;
    let stdin = io.stdin.take();
    let mut tally = pool.install(|| read::scan_all(&cfg.scanner, &found.inputs, cfg.read, stdin));
    tally.errors.extend(found.errors);
    let report = Report::build(&tally, catalog, cfg.scanner.causes(), cfg.window);
    for e in &report.errors {
        let _ = writeln!(
            io.stderr,
            "azsm: {}: {}",
            report::text::clean(&e.path),
            report::text::clean(&e.message)
        );
    }
    let mut buf = Vec::with_capacity(64 << 10);
    match cfg.format {
        ReportFormat::Text => {
            let opts = report::text::TextOptions {
                color: io.terminal.color(color),
                elapsed: io.terminal.stdout_is_terminal.then(|| started.elapsed()),
            };
            report::text::write(&report, opts, &mut buf)
        }
        ReportFormat::Json => report::json::write(&report, &mut buf),
    }
    .map_err(Error::Output)?;
    io.stdout
        .write_all(&buf)
        .and_then(|()| io.stdout.flush())
        .map_err(Error::Output)?;
    Ok(if !report.errors.is_empty() {
        EXIT_ERROR
    } else if report.has_findings() {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

/// The real process streams.
pub fn real_terminal() -> Terminal {
    Terminal {
        stdout_is_terminal: io::stdout().is_terminal(),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
    }
}
