//! Live logs: files truncated and rewritten while azsm reads them.
//!
//! The stress test runs the real binary (a signal death is only visible to
//! a parent process) over files large enough to be memory-mapped while
//! another thread truncates and rewrites them, round after round. It is
//! `#[ignore]`d because it takes about a minute; `.ci/run` runs it.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::harness::{binary, Tree};

/// A log of `lines` lines, one code every 100 lines (over 4 MiB, so mapped).
fn big_log(lines: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..lines {
        let code = if i % 100 == 0 { "AZSM2062" } else { "ok" };
        out.extend_from_slice(
            format!(
                "2024-03-15T08:00:00Z INFO jobRunName=job{} copying item {i} {code} filler text\n",
                i % 50
            )
            .as_bytes(),
        );
    }
    out
}

#[test]
#[ignore = "stress: about a minute; .ci/run runs it with --ignored"]
fn truncation_under_running_scans_never_kills_azsm() {
    let content = big_log(60_000);
    assert!(content.len() as u64 > azsm::pipeline::MMAP_MIN);
    let tree = Tree::new()
        .file("a/one.log", &content)
        .file("a/two.log", &content);
    let files = [tree.path().join("a/one.log"), tree.path().join("a/two.log")];
    let stop = Arc::new(AtomicBool::new(false));
    let mutator = {
        let stop = stop.clone();
        let files = files.clone();
        let content = content.clone();
        std::thread::spawn(move || {
            let mut rng = fastrand::Rng::with_seed(6);
            while !stop.load(Ordering::Relaxed) {
                for f in &files {
                    let len = content.len() as u64;
                    if let Ok(h) = std::fs::OpenOptions::new().write(true).open(f) {
                        let _ = h.set_len(rng.u64(0..len));
                    }
                    std::thread::sleep(Duration::from_micros(rng.u64(0..20_000)));
                    let _ = std::fs::write(f, &content);
                }
            }
        })
    };
    let (mut clean, mut truncated, mut other) = (0, 0, 0);
    for round in 0..200 {
        let out = Command::new(binary())
            .args(["scan", "--format", "json", "-j", "2"])
            .arg(tree.arg("a"))
            .output()
            .expect("azsm runs");
        assert!(
            out.status.code().is_some(),
            "round {round}: azsm died of a signal: {:?}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let status = out.status.code().unwrap_or(-1);
        assert!(
            status == 1 || status == 2 || status == 0,
            "round {round}: exit {status}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("round {round}: the report is not JSON: {e}"));
        let errors = report["errors"].as_array().expect("errors").len();
        assert_eq!(
            status == 2,
            errors > 0,
            "round {round}: exit 2 exactly when errors are reported"
        );
        if errors == 0 {
            clean += 1;
        } else if String::from_utf8_lossy(&out.stderr).contains("truncated while azsm read it") {
            truncated += 1;
        } else {
            other += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    mutator.join().expect("mutator");
    eprintln!("200 rounds: {clean} clean, {truncated} reported truncation, {other} other errors");
}
