//! A small harness: run azsm in-process (or as the built binary) and build
//! input trees in temporary directories.

#![allow(dead_code)]

use std::io::Cursor;
use std::path::{Path, PathBuf};

use azsm::cli::config::Terminal;
use serde_json::Value;

/// What a run printed and returned.
#[derive(Debug)]
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    /// Values the run left to its caller to free (`azsm::Leftovers`).
    pub leftovers: usize,
}

impl Run {
    /// The stdout parsed as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// Runs `azsm ARGS` in-process with empty stdin, not on a terminal.
pub fn azsm(args: &[&str]) -> Run {
    azsm_with(args, b"", Terminal::default())
}

/// Runs `azsm ARGS` in-process with `stdin` as standard input.
pub fn azsm_stdin(args: &[&str], stdin: &[u8]) -> Run {
    azsm_with(args, stdin, Terminal::default())
}

/// Runs `azsm ARGS` in-process with the given terminal facts.
pub fn azsm_with(args: &[&str], stdin: &[u8], terminal: Terminal) -> Run {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut io = azsm::Io {
        stdout: &mut out,
        stderr: &mut err,
        stdin: Some(Box::new(Cursor::new(stdin.to_vec()))),
        terminal,
        leftovers: azsm::Leftovers::default(),
    };
    let status = azsm::run(std::iter::once("azsm").chain(args.iter().copied()), &mut io);
    let leftovers = io.leftovers.len();
    drop(io);
    Run {
        status,
        leftovers,
        stdout: String::from_utf8(out).expect("stdout is UTF-8"),
        stderr: String::from_utf8(err).expect("stderr is UTF-8"),
    }
}

/// The built binary, for what only a process shows (pipes, signals).
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_azsm"))
}

/// Starts the binary with `args`, its standard input, output and error
/// piped to the test.
pub fn spawn(args: &[&str]) -> std::process::Child {
    use std::process::{Command, Stdio};
    Command::new(binary())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("azsm starts")
}

/// A directory tree in a temporary directory.
pub struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// Writes `bytes` at `rel`, creating directories.
    pub fn file(self, rel: &str, bytes: impl AsRef<[u8]>) -> Tree {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `rel` under the tree, as a string argument.
    pub fn arg(&self, rel: &str) -> String {
        self.dir.path().join(rel).to_string_lossy().into_owned()
    }
}

/// An array of `{"code": .., "count": ..}` objects as (code, count) pairs.
pub fn pairs(array: &Value) -> Vec<(String, u64)> {
    array
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap().to_string(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// `report.codes[]` as (code, count) pairs.
pub fn code_counts(report: &Value) -> Vec<(String, u64)> {
    pairs(&report["codes"])
}

/// `report.jobs[]` as (job, [(code, count)]) pairs.
pub fn job_counts(report: &Value) -> Vec<(String, Vec<(String, u64)>)> {
    report["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            let codes = pairs(&j["codes"]);
            (j["job"].as_str().unwrap().to_string(), codes)
        })
        .collect()
}

/// Shorthand for building expected (code, count) lists.
pub fn cc(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
    pairs.iter().map(|(c, n)| (c.to_string(), *n)).collect()
}

/// The `codes[]` row of `code` in a JSON report.
pub fn code_row<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["codes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in the report"))
}
