//! Output files that never overwrite what the run did not write.
//!
//! Before anything is opened for writing, each `--json`/`--sarif`/...
//! file is checked: it may not be an input of the run (the same file by
//! device and inode, whatever the path, or a path inside a scanned
//! directory), two flags may not name one file, and an existing file must
//! be empty or an earlier azsm report of the same format unless `--force`
//! (a shell glob can make a log the value of `--csv`). Regular files are
//! written to a temporary file in the same directory and renamed over the
//! target once the run succeeds ([`Pending::commit`]), so a failed or
//! interrupted run leaves an earlier report as it was. Targets that are
//! not regular files (`/dev/null`, a FIFO) are written directly.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cli::ReportFormat;
use crate::model::error::Error;

/// One output file: its format, the flag that named it, its path as given.
pub type Target = (ReportFormat, &'static str, PathBuf);

/// An output opened for writing: the target and the handle to write to
/// (a temporary file's, or the target's own).
pub type Opened = (ReportFormat, &'static str, PathBuf, File);

/// Temporary files waiting to be renamed over their targets.
#[derive(Debug, Default)]
pub struct Pending(Vec<(&'static str, PathBuf, PathBuf, tempfile::NamedTempFile)>);

impl Pending {
    /// Renames every temporary file over its target: called once every
    /// output is written whole. Dropped instead, the temporary files are
    /// removed and the targets stay as they were.
    pub fn commit(self) -> Result<(), Error> {
        for (flag, shown, target, temp) in self.0 {
            temp.persist(&target).map_err(|e| Error::OutputFile {
                flag,
                path: shown,
                source: e.error,
            })?;
        }
        Ok(())
    }

    /// The temporary files, for tests.
    pub fn temp_paths(&self) -> Vec<PathBuf> {
        self.0.iter().map(|t| t.3.path().to_path_buf()).collect()
    }
}

/// Where a path is, for comparing with inputs: its identity if it exists
/// and its absolute path with links resolved (of its directory, when it
/// does not exist yet).
struct Place {
    id: Option<(u64, u64)>,
    resolved: Option<PathBuf>,
    regular: bool,
    exists: bool,
}

fn place(path: &Path) -> Place {
    let meta = fs::metadata(path).ok();
    let resolved = fs::canonicalize(path).ok().or_else(|| {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        Some(fs::canonicalize(parent).ok()?.join(path.file_name()?))
    });
    Place {
        id: meta.as_ref().map(|m| (m.dev(), m.ino())),
        resolved,
        regular: meta.as_ref().is_some_and(|m| m.is_file()),
        exists: meta.is_some(),
    }
}

/// Checks `targets` against `inputs` (files and directories the run
/// reads; `-` is standard input) and opens them: each regular target as a
/// temporary file beside it, anything else directly.
pub fn open(
    targets: &[Target],
    inputs: &[PathBuf],
    force: bool,
) -> Result<(Vec<Opened>, Pending), Error> {
    let inputs: Vec<(&Path, Place)> = inputs
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .map(|p| (p.as_path(), place(p)))
        .collect();
    let places: Vec<Place> = targets.iter().map(|t| place(&t.2)).collect();
    for (i, ((format, flag, path), at)) in targets.iter().zip(&places).enumerate() {
        let refuse = |why: String| Error::Argument {
            flag,
            message: format!("{}: {why}", path.display()),
        };
        if !at.exists || at.regular {
            check_inputs(at, &inputs).map_err(&refuse)?;
        }
        if let Some((other, _)) = targets[..i]
            .iter()
            .zip(&places)
            .find(|(_, p)| same(p, at))
            .map(|(t, p)| (t.1, p))
        {
            return Err(refuse(format!(
                "{other} names the same file; give each output a file of its own"
            )));
        }
        if at.regular && !force && !is_report(*format, path).unwrap_or(false) {
            return Err(refuse(format!(
                "the file exists and is not an earlier azsm {} report; \
                 name a new file, or add --force to replace it \
                 (a shell glob such as `--csv logs/*` makes the first log the output)",
                name(*format)
            )));
        }
    }
    let mut opened = Vec::new();
    let mut pending = Pending::default();
    for ((format, flag, path), at) in targets.iter().zip(&places) {
        let fail = |source| Error::OutputFile {
            flag,
            path: path.clone(),
            source,
        };
        let file = match (&at.resolved, at.exists && !at.regular) {
            (Some(target), false) => {
                let dir = target.parent().unwrap_or(Path::new("."));
                let temp = tempfile::Builder::new()
                    .prefix(".azsm-")
                    .suffix(".tmp")
                    .permissions(fs::Permissions::from_mode(0o666))
                    .tempfile_in(dir)
                    .map_err(fail)?;
                let file = temp.as_file().try_clone().map_err(fail)?;
                pending.0.push((flag, path.clone(), target.clone(), temp));
                file
            }
            // A device, a FIFO, or a path whose directory is missing (the
            // open names the real reason).
            _ => File::create(path).map_err(fail)?,
        };
        opened.push((*format, *flag, path.clone(), file));
    }
    Ok((opened, pending))
}

fn same(a: &Place, b: &Place) -> bool {
    (a.id.is_some() && a.id == b.id) || (a.resolved.is_some() && a.resolved == b.resolved)
}

/// Why the output at `at` would overwrite or sit among the inputs.
fn check_inputs(at: &Place, inputs: &[(&Path, Place)]) -> Result<(), String> {
    for (input, p) in inputs {
        if at.id.is_some() && at.id == p.id {
            return Err(format!(
                "it is an input of this run ({}); name an output file that is not read",
                input.display()
            ));
        }
        let inside = match (&at.resolved, &p.resolved) {
            (Some(out), Some(dir)) => !p.regular && p.exists && out.starts_with(dir),
            _ => false,
        };
        if inside {
            return Err(format!(
                "it is inside the scanned directory {}; write reports outside the inputs",
                input.display()
            ));
        }
    }
    Ok(())
}

fn name(format: ReportFormat) -> &'static str {
    match format {
        ReportFormat::Json => "JSON",
        ReportFormat::Sarif => "SARIF",
        ReportFormat::Junit => "JUnit",
        ReportFormat::Markdown => "Markdown",
        ReportFormat::Ndjson => "ndjson",
        ReportFormat::Csv => "CSV",
        ReportFormat::Text => "text",
        ReportFormat::Github => "GitHub",
    }
}

/// How many bytes of a file decide the line-based formats.
const HEAD: u64 = 64 << 10;

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
struct JsonHead {
    version: u64,
    tool: Named,
}

#[derive(Deserialize)]
struct SarifTool {
    driver: Named,
}

#[derive(Deserialize)]
struct SarifRun {
    tool: SarifTool,
}

#[derive(Deserialize)]
struct SarifHead {
    runs: Vec<SarifRun>,
}

#[derive(Deserialize)]
struct Record {
    path: String,
    line: u64,
    code: String,
}

/// Whether `path` is empty or was written by azsm as `format`: JSON with
/// azsm's `version` and `tool`, SARIF whose first run's driver is azsm,
/// azsm's JUnit root, CSV header and Markdown heading, ndjson whose first
/// line is an event record.
pub fn is_report(format: ReportFormat, path: &Path) -> io::Result<bool> {
    let file = File::open(path)?;
    if file.metadata()?.len() == 0 {
        return Ok(true);
    }
    let whole = || File::open(path).map(BufReader::new);
    let mut head = Vec::new();
    (&file).take(HEAD).read_to_end(&mut head)?;
    Ok(match format {
        ReportFormat::Json => serde_json::from_reader::<_, JsonHead>(whole()?)
            .is_ok_and(|h| h.tool.name == "azsm" && h.version >= 1),
        ReportFormat::Sarif => serde_json::from_reader::<_, SarifHead>(whole()?)
            .is_ok_and(|s| s.runs.first().is_some_and(|r| r.tool.driver.name == "azsm")),
        ReportFormat::Junit => head
            .starts_with(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"azsm\" "),
        ReportFormat::Csv => head.starts_with(crate::report::csv::HEADER),
        ReportFormat::Markdown => head.starts_with(b"## azsm: "),
        ReportFormat::Ndjson => {
            let mut first = Vec::new();
            io::Cursor::new(&head).read_until(b'\n', &mut first)?;
            serde_json::from_slice::<Record>(&first)
                .is_ok_and(|r| r.code.starts_with("AZSM") && !r.path.is_empty() && r.line > 0)
        }
        ReportFormat::Text | ReportFormat::Github => false,
    })
}
