//! Runs one command end to end: parses the arguments, builds the checked
//! configuration, runs the scan, merge, kql, explain or codes command, and
//! turns the outcome into an exit status.

use std::ffi::OsString;
use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;

use crate::cli::config;
use crate::cli::config::{OutputConfig, ScanConfig, Terminal};
use crate::cli::{self, Cli, Command, ExplainArgs, ListFormat, MergeArgs, ReportFormat, ScopeArg};
use crate::diagnose::{explain, kql};
use crate::model::causes::Causes;
use crate::model::code::{Code, Scope};
use crate::model::error::Error;
use crate::model::{catalog, window};
use crate::report::load;
use crate::report::stream;
use crate::report::{self, Context, Report};
use crate::tally;
use crate::util::{fmt, interrupt};

mod scan;
use scan::scan;

/// Exit status: nothing to fix.
pub const EXIT_CLEAN: i32 = 0;
/// Exit status: findings.
pub const EXIT_FINDINGS: i32 = 1;
/// Exit status: an error.
pub const EXIT_ERROR: i32 = 2;

/// The process's standard streams and what is known about them.
pub struct Io<'a> {
    /// Standard output (written from the per-event writer's thread while a
    /// scan runs, hence `Send`).
    pub stdout: &'a mut (dyn Write + Send),
    /// Standard error.
    pub stderr: &'a mut dyn Write,
    /// Standard input, for the `-` path.
    pub stdin: Option<Box<dyn Read + Send>>,
    /// Terminal facts.
    pub terminal: Terminal,
    /// What the run is done with but leaves to the caller to free.
    pub leftovers: Leftovers,
}

/// Values a run no longer needs but does not free itself: a scan's tally,
/// its list of inputs and its report, many allocations on a big bundle.
/// Freeing them takes time that a process about to exit need not spend,
/// so the binary ends with `std::process::exit` without dropping its
/// [`Io`], and the kernel takes the memory back at once (it does that
/// anyway). Any other caller frees them when it drops the `Io`.
#[derive(Default)]
pub struct Leftovers(Vec<Box<dyn Send>>);

impl Leftovers {
    /// Keeps `value` until the leftovers are dropped.
    pub fn keep<T: Send + 'static>(&mut self, value: T) {
        self.0.push(Box::new(value));
    }

    /// How many values are kept.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
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
            // clap's "error: ..." gets the prefix of every other azsm error.
            let text = if code == 0 {
                text
            } else {
                format!("azsm: {text}")
            };
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
    refuse_unused(cli)?;
    let color = cli.color.unwrap_or(cli::ColorChoice::Auto);
    let catalog = config::catalog(cli.catalog.as_deref(), io.stderr)?;
    let causes = Arc::new(config::causes(cli.causes.as_deref(), io.stderr)?);
    match &cli.command {
        Command::Scan(args) => {
            let now = jiff::Timestamp::now().as_millisecond();
            let cfg = ScanConfig::new(args, causes, now)?;
            let reads = reads(cli, &args.paths);
            scan(&cfg, &args.paths, &reads, &catalog, color, io)
        }
        Command::Merge(args) => {
            let reads = reads(cli, &args.reports);
            merge(args, &reads, &catalog, &causes, color, io)
        }
        Command::Kql(args) => {
            let since = kql::since(&args.since)?;
            io.stdout
                .write_all(kql::queries(&catalog, &since).as_bytes())
                .and_then(|()| io.stdout.flush())
                .map_err(Error::Output)?;
            Ok(EXIT_CLEAN)
        }
        Command::Explain(args) => explain(args, &catalog, &causes, io),
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

/// Refuses a global flag the command would ignore (its help says so), so
/// that no flag is silently without effect.
fn refuse_unused(cli: &Cli) -> Result<(), Error> {
    let (name, takes_causes, takes_color) = match cli.command {
        Command::Scan(_) | Command::Merge(_) => return Ok(()),
        Command::Explain(_) => ("explain", true, false),
        Command::Kql(_) => ("kql", false, false),
        Command::Codes(_) => ("codes", false, false),
    };
    let unused = if cli.causes.is_some() && !takes_causes {
        Some(("--causes", "uses no sub-causes"))
    } else if cli.color.is_some() && !takes_color {
        Some(("--color", "prints no colour"))
    } else {
        None
    };
    match unused {
        Some((flag, why)) => Err(Error::Argument {
            flag,
            message: format!("azsm {name} {why}; leave {flag} out"),
        }),
        None => Ok(()),
    }
}

/// What a command reads: its `paths` and the `--catalog`/`--causes` files,
/// none of which an output may replace.
fn reads(cli: &Cli, paths: &[PathBuf]) -> Vec<PathBuf> {
    let tables = [&cli.catalog, &cli.causes].into_iter().flatten();
    paths.iter().chain(tables).cloned().collect()
}

/// `azsm merge`: the JSON reports read back into one tally, reported as a
/// scan would. A report given twice (the same file, or the same bytes from
/// two paths) is counted once, with a warning.
fn merge(
    args: &MergeArgs,
    reads: &[PathBuf],
    catalog: &catalog::Catalog,
    causes: &Causes,
    color: cli::ColorChoice,
    io: &mut Io<'_>,
) -> Result<i32, Error> {
    // No per-event format reaches here: merge's flags offer none.
    let out = OutputConfig::new(&args.output, args.format.into(), [&None, &None])?;
    let prepared = out.prepare(reads)?;
    let mut tally = tally::Tally::default();
    for path in cli::distinct::distinct(&args.reports, io.stderr) {
        tally += load::read(path, "merge", Some(causes))?;
    }
    let report = Report::build(&tally, catalog, causes, window::Window::default());
    finish(
        report,
        &out,
        prepared,
        Context::default(),
        color,
        None,
        None,
        io,
    )
}

/// `azsm explain`: exits 1 when some code is unknown to the catalog.
fn explain(
    args: &ExplainArgs,
    catalog: &catalog::Catalog,
    causes: &Causes,
    io: &mut Io<'_>,
) -> Result<i32, Error> {
    let width = io.terminal.width.unwrap_or(explain::PIPE_WIDTH);
    if args.any {
        match args.format {
            ListFormat::Text => explain::write_any(causes, width, io.stdout),
            ListFormat::Json => {
                serde_json::to_writer_pretty(&mut *io.stdout, &explain::any_code(causes))
                    .map_err(io::Error::from)
                    .and_then(|()| writeln!(io.stdout))
            }
        }
        .map_err(Error::Output)?;
        return Ok(EXIT_CLEAN);
    }
    let codes = args
        .codes
        .iter()
        .map(|c| c.parse::<Code>())
        .collect::<Result<Vec<_>, _>>()?;
    let infos: Vec<_> = codes
        .iter()
        .map(|&c| explain::describe(c, catalog, Some(causes)))
        .collect();
    match args.format {
        ListFormat::Text => explain::write_explained(&infos, width, io.stdout),
        ListFormat::Json => explain::write_json(&infos, io.stdout),
    }
    .map_err(Error::Output)?;
    Ok(if infos.iter().all(|i| i.known) {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    })
}

/// Compares with the baseline, writes every output (`prepared` holds the
/// baseline and the created files; `events` the per-event outputs, already
/// written or, with a baseline, held until now), and decides the exit
/// status: 2 on errors, else 1 when a code meets `--fail-on`, else 0.
#[allow(clippy::too_many_arguments)]
fn finish(
    mut report: Report,
    out: &OutputConfig,
    prepared: config::Prepared,
    mut ctx: Context,
    color: cli::ColorChoice,
    started: Option<Instant>,
    events: Option<stream::Writer>,
    io: &mut Io<'_>,
) -> Result<i32, Error> {
    if let Some((path, previous)) = &prepared.baseline {
        report.compare(path, previous);
    }
    for e in &report.errors {
        let _ = writeln!(
            io.stderr,
            "azsm: {}: {}",
            fmt::clean(&e.path),
            fmt::clean(&e.message)
        );
    }
    ctx.text = report::text::TextOptions {
        color: io.terminal.color(color),
        elapsed: started
            .filter(|_| io.terminal.stdout_is_terminal)
            .map(|s| s.elapsed()),
    };
    // Every output is written whole, or (after Ctrl-C) not at all.
    let pending = prepared.pending;
    match interrupt::output(|| write_outputs(&report, out, prepared.files, &ctx, io)) {
        None => return Ok(interrupt::EXIT_INTERRUPTED),
        Some(written) => written?,
    }
    // The per-event outputs: with a baseline, the held records with their
    // changes, a batch of whole records at a time; else only a flush.
    if let Some(events) = events {
        events.finish(&report::ndjson::changes(&report), &mut *io.stdout)?;
        if interrupt::requested() {
            return Ok(interrupt::EXIT_INTERRUPTED);
        }
    }
    // Only now, all written, do the files replace their targets.
    pending.commit()?;
    let status = if !report.errors.is_empty() {
        EXIT_ERROR
    } else if report.fails(&out.fail_on) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    };
    io.leftovers.keep(report);
    Ok(status)
}

/// Writes the output files and the report on stdout.
fn write_outputs(
    report: &Report,
    out: &OutputConfig,
    files: Vec<cli::outputs::Opened>,
    ctx: &Context,
    io: &mut Io<'_>,
) -> Result<(), Error> {
    for (format, flag, path, file) in files {
        let fail = |source| Error::OutputFile {
            flag,
            path: path.clone(),
            source,
        };
        let mut w = io::BufWriter::new(file);
        let plain = Context {
            text: report::text::TextOptions::default(),
            ..ctx.clone()
        };
        report::render(format, report, &plain, &mut w)
            .and_then(|()| w.flush())
            .map_err(fail)?;
    }
    if out.format == ReportFormat::Github {
        if let Some(path) = &io.terminal.step_summary {
            let fail = |source| Error::OutputFile {
                flag: "$GITHUB_STEP_SUMMARY",
                path: path.clone(),
                source,
            };
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
                .map_err(fail)?;
            f.write_all(report::markdown::render(report).as_bytes())
                .map_err(fail)?;
        }
    }
    if matches!(out.format, ReportFormat::Ndjson | ReportFormat::Csv) {
        // Written by the event writer (crate::report::stream), not from the report.
    } else {
        // JSON is written a group of batches at a time as it is rendered
        // (see report::json); the other formats are rendered whole first.
        match out.format {
            ReportFormat::Json => {
                report::json::write_with(report, ctx.pool.as_deref(), &mut *io.stdout)
            }
            format => {
                let mut buf = Vec::with_capacity(64 << 10);
                report::render(format, report, ctx, &mut buf)
                    .and_then(|()| io.stdout.write_all(&buf))
            }
        }
        .and_then(|()| io.stdout.flush())
        .map_err(Error::Output)?;
    }
    Ok(())
}

/// The real process streams.
pub fn real_terminal() -> Terminal {
    Terminal {
        stdout_is_terminal: io::stdout().is_terminal(),
        width: io::stdout()
            .is_terminal()
            .then(textwrap::termwidth)
            .filter(|&w| w >= 40),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        stderr_is_terminal: io::stderr().is_terminal(),
        ci: std::env::var_os("CI").is_some(),
        step_summary: std::env::var_os("GITHUB_STEP_SUMMARY")
            .filter(|v| !v.is_empty())
            .map(std::path::PathBuf::from),
    }
}
