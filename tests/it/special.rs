//! Special and odd inputs: FIFOs, sockets, devices, links, loops,
//! unreadable and zero-length files, `/proc` files, giant lines.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use azsm::pipeline::file::InputCtx;
use azsm::pipeline::{self, ReadOptions};
use azsm::scan::jobkey::KeyFinder;
use azsm::scan::Scanner;

use crate::harness::{azsm, binary, Tree};

/// Runs the binary; a hang (the failure these tests guard against) fails
/// the test after a minute instead of blocking the suite.
fn run_binary(args: &[&str]) -> Output {
    let mut child = Command::new(binary())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("azsm starts");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("azsm {args:?} hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(ok.success());
}

#[test]
fn fifos_sockets_and_devices_are_skipped_with_a_note_never_read() {
    let tree = Tree::new().file("logs/a.log", "x AZSM1024 jobRunName=J\n");
    mkfifo(&tree.path().join("logs/pipe"));
    mkfifo(&tree.path().join("named-pipe"));
    let _socket =
        std::os::unix::net::UnixListener::bind(tree.path().join("logs/sock")).expect("a socket");
    let out = run_binary(&[
        "scan",
        "--format",
        "json",
        &tree.arg("logs"),
        &tree.arg("named-pipe"),
        "/dev/zero",
        "/dev/null",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "findings, no error: {stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["scanned"]["files"], 1);
    assert_eq!(report["errors"].as_array().unwrap().len(), 0);
    for (what, path) in [
        ("a FIFO", "logs/pipe"),
        ("a FIFO", "named-pipe"),
        ("a socket", "logs/sock"),
    ] {
        let line = format!("azsm: note: {}: {what}", tree.arg(path));
        assert!(stderr.contains(&line), "{line}\n{stderr}");
    }
    for dev in ["/dev/zero", "/dev/null"] {
        assert!(
            stderr.contains(&format!("azsm: note: {dev}: a device")),
            "{stderr}"
        );
    }
}

#[test]
fn links_are_followed_only_with_follow_and_loops_are_reported() {
    let outside = Tree::new().file("target.log", "x AZSM1024 jobRunName=OUT\n");
    let tree = Tree::new().file("logs/a.log", "x AZSM2062 jobRunName=IN\n");
    std::os::unix::fs::symlink(
        outside.path().join("target.log"),
        tree.path().join("logs/link.log"),
    )
    .unwrap();
    std::os::unix::fs::symlink(tree.path().join("logs"), tree.path().join("logs/loop")).unwrap();

    let run = azsm(&["scan", "--format", "json", &tree.arg("logs")]);
    let report = run.json();
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert_eq!(report["scanned"]["files"], 1, "the link is not followed");
    assert!(run.stderr.contains("link.log: symbolic link not followed"));

    let run = azsm(&["scan", "--format", "json", "--follow", &tree.arg("logs")]);
    let report = run.json();
    assert_eq!(run.status, 2, "a loop is an error: {}", run.stderr);
    assert_eq!(
        report["scanned"]["files"], 2,
        "the link is followed, the loop is not"
    );
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert!(errors[0]["message"]
        .as_str()
        .unwrap()
        .contains("symbolic link loop"));
}

#[test]
fn unreadable_files_and_directories_are_reported_and_skipped() {
    use std::os::unix::fs::PermissionsExt;
    let tree = Tree::new()
        .file("logs/ok.log", "x AZSM1024\n")
        .file("logs/secret.log", "x AZSM2062\n")
        .file("logs/closed/inner.log", "x AZSM2063\n");
    let chmod = |rel: &str, mode| {
        std::fs::set_permissions(tree.path().join(rel), std::fs::Permissions::from_mode(mode))
            .unwrap()
    };
    chmod("logs/secret.log", 0o000);
    chmod("logs/closed", 0o000);
    if std::fs::read(tree.path().join("logs/secret.log")).is_ok() {
        chmod("logs/closed", 0o755);
        eprintln!("skipped: running as a user that reads everything (root)");
        return;
    }
    let run = azsm(&["scan", "--format", "json", &tree.arg("logs")]);
    chmod("logs/closed", 0o755);
    assert_eq!(run.status, 2);
    let report = run.json();
    assert_eq!(
        report["codes"][0]["code"], "AZSM1024",
        "the rest is scanned"
    );
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors.iter().all(|e| e["message"]
        .as_str()
        .unwrap()
        .contains("run azsm as a user that can read it")));
}

#[test]
fn zero_length_and_proc_files_are_read() {
    let tree = Tree::new().file("empty.log", "");
    let run = azsm(&[
        "scan",
        "--format",
        "json",
        &tree.arg("empty.log"),
        "/proc/self/status",
        "/proc/cpuinfo",
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["scanned"]["files"], 3);
    assert!(
        report["scanned"]["bytes"].as_u64().unwrap() > 100,
        "/proc files report size 0 but have bytes: {}",
        report["scanned"]
    );
    assert_eq!(report["errors"].as_array().unwrap().len(), 0);
}

/// A line of several MiB with a code at its start, another in its middle
/// and its job key at its end; every path must find both codes and give
/// them the key, as for the same line read whole.
#[test]
fn a_giant_line_is_scanned_in_pieces_with_the_same_result() {
    let mut data = b"2024-03-15T08:00:00Z AZSM1024 begins ".to_vec();
    for i in 0..300_000u32 {
        data.extend_from_slice(format!("item{i:06} ").as_bytes());
        if i == 150_000 {
            data.extend_from_slice(b"password=hunter22 AZSM2062 ");
        }
    }
    data.extend_from_slice(b"jobRunName=giant-1\r\nAZSM1001 next line\n");
    assert!(data.len() > 3 * pipeline::LONG_LINE);
    let scanner = Scanner::new(KeyFinder::default());
    let whole_opts = ReadOptions {
        long_line: usize::MAX,
        chunk: usize::MAX,
        ..ReadOptions::default()
    };
    let whole = pipeline::scan_bytes(&scanner, "g.log", &data, whole_opts, &InputCtx::none());
    assert_eq!(whole.jobs["giant-1"].codes.len(), 3);
    assert_eq!(
        (whole.rules.line, whole.rules.carried),
        (2, 1),
        "the key at the line's end names its codes and the next line's"
    );
    let ex = &whole.codes.values().nth(2).unwrap().examples[0];
    assert!(ex.text.contains("password=<redacted> AZSM2062"), "{ex:?}");

    let streamed = pipeline::scan_reader(
        &scanner,
        "g.log",
        &data[..],
        ReadOptions {
            block: 64 << 10,
            ..ReadOptions::default()
        },
        &InputCtx::none(),
    );
    assert_eq!(streamed, whole);

    let tree = Tree::new().file("g.log", &data);
    let input = azsm::input::walk::Input {
        display: "g.log".into(),
        source: azsm::input::walk::Source::File(tree.path().join("g.log")),
    };
    let mapped = pipeline::scan_input(
        &scanner,
        &input,
        ReadOptions {
            mmap_min: 1,
            window: 1 << 20,
            ..ReadOptions::default()
        },
        &InputCtx::none(),
    );
    assert_eq!(mapped, whole);
}
