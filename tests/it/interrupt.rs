//! Ctrl-C: the real binary, SIGINT in the middle of a scan that cannot
//! finish on its own (its standard input never ends): exit 130, nothing on
//! stdout, a note on stderr.

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::spawn;

#[test]
fn sigint_stops_a_scan_with_130_and_no_output() {
    let mut child = spawn(&["scan", "-"]);
    let mut stdin = child.stdin.take().expect("stdin");
    let line = b"2024-03-15T08:00:00Z jobRunName=J AZSM2062 an item failed\n".repeat(1000);
    // Until 8 MiB have gone through the pipe, azsm is past its start (the
    // pipe holds 64 KiB), so its Ctrl-C handler is in place.
    for _ in 0..(8 << 20) / line.len() {
        stdin.write_all(&line).expect("azsm reads");
    }
    let writer = std::thread::spawn(move || while stdin.write_all(&line).is_ok() {});
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(ok.success());
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "azsm ignores SIGINT"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().expect("output");
    writer.join().expect("writer stops when azsm is gone");
    assert_eq!(out.status.code(), Some(130), "{:?}", out.status);
    assert!(out.stdout.is_empty(), "no partial report on stdout");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "azsm: interrupted; no report written\n"
    );
}
