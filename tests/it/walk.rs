//! The input walk: what `azsm scan DIR` finds, in which order, and what it
//! passes over (the walk itself is compared with walkdir's in
//! `src/inputs.rs`'s tests; these run the program).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::{Command, Output, Stdio};

use crate::harness::{azsm, binary, Tree};

/// Runs the binary as an unprivileged user (root reads every directory,
/// so an unreadable one needs another user), or as is when not root.
fn run_unprivileged(args: &[&str]) -> Output {
    let mut cmd = Command::new(binary());
    cmd.args(args).stdin(Stdio::null());
    let root = std::fs::metadata("/proc/self").map(|m| m.uid() == 0);
    if root.unwrap_or(false) {
        use std::os::unix::process::CommandExt;
        cmd.uid(65534).gid(65534);
    }
    cmd.output().expect("azsm runs")
}

#[test]
fn an_unreadable_directory_does_not_end_the_walk() {
    let tree = Tree::new()
        .file("logs/a.log", "x AZSM1024 jobRunName=A\n")
        .file("logs/b-closed/inner.log", "x AZSM2063\n")
        .file("logs/c.log", "x AZSM2062 jobRunName=C\n")
        .file("logs/d/e.log", "x AZSM1001 jobRunName=E\n");
    let mode = |rel: &str, mode| {
        let p = tree.path().join(rel);
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    mode("", 0o755);
    mode("logs/b-closed", 0o000);
    let out = run_unprivileged(&["scan", "--format", "json", &tree.arg("logs")]);
    mode("logs/b-closed", 0o755);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "an error: {stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        report["scanned"]["files"], 3,
        "the files after the unreadable directory are scanned too: {stderr}"
    );
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["path"], tree.arg("logs/b-closed"));
    assert!(errors[0]["message"]
        .as_str()
        .unwrap()
        .contains("run azsm as a user that can read it"));
}

#[test]
fn links_named_on_the_command_line_stand_for_their_targets() {
    let tree = Tree::new()
        .file("logs/a.log", "x AZSM1024 jobRunName=A\n")
        .file("one.log", "x AZSM2062 jobRunName=B\n");
    std::os::unix::fs::symlink(tree.path().join("logs"), tree.path().join("dir-link")).unwrap();
    std::os::unix::fs::symlink(tree.path().join("one.log"), tree.path().join("file-link")).unwrap();
    std::os::unix::fs::symlink(tree.path().join("gone"), tree.path().join("broken")).unwrap();
    let run = azsm(&[
        "scan",
        "--format",
        "json",
        &tree.arg("dir-link"),
        &tree.arg("file-link"),
        &tree.arg("broken"),
    ]);
    assert_eq!(run.status, 2, "the broken link is an error: {}", run.stderr);
    let report = run.json();
    assert_eq!(report["scanned"]["files"], 2, "{}", run.stderr);
    assert!(!run.stderr.contains("note:"), "{}", run.stderr);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["path"], tree.arg("broken"));
}

#[test]
fn a_file_reached_through_two_arguments_is_scanned_once() {
    let tree = Tree::new()
        .file("logs/a.log", "x AZSM1024 jobRunName=A\n")
        .file(
            "logs/sub/b.log",
            "x AZSM2062 jobRunName=B\nx AZSM2062 jobRunName=B\n",
        )
        .file("other.log", "x AZSM1001 jobRunName=C\n");
    std::os::unix::fs::symlink(tree.path().join("logs"), tree.path().join("link")).unwrap();
    let (logs, sub, b) = (
        tree.arg("logs"),
        tree.arg("logs/sub"),
        tree.arg("logs/sub/b.log"),
    );
    let (other, link) = (tree.arg("other.log"), tree.arg("link"));
    let alone = azsm(&["scan", "--format", "json", &logs, &other]);
    assert_eq!(alone.status, 1, "{}", alone.stderr);
    let want = alone.json();
    assert_eq!(want["summary"]["events"], 4);
    let runs: [&[&str]; 5] = [
        &[&logs, &logs, &other],
        &[&logs, &sub, &other, &b],
        &[&b, &logs, &other],
        &[&logs, &other, &link, &other],
        &[&sub, &logs, &other],
    ];
    for args in runs {
        let mut argv = vec!["scan", "--format", "json"];
        argv.extend_from_slice(args);
        let run = azsm(&argv);
        assert_eq!(run.status, 1, "{args:?}: {}", run.stderr);
        let got = run.json();
        assert_eq!(got["summary"], want["summary"], "{args:?}");
        assert_eq!(got["scanned"]["files"], 3, "{args:?}");
        assert_eq!(
            crate::harness::code_counts(&got),
            crate::harness::code_counts(&want),
            "{args:?}"
        );
        assert!(
            run.stderr
                .contains("already named through an earlier argument"),
            "{args:?}: the dropped files are noted: {}",
            run.stderr
        );
    }
    // The first argument that reaches a file names it in the report.
    let dotted = format!("{}/logs/./sub/b.log", tree.path().display());
    let run = azsm(&["scan", "--format", "json", &dotted, &logs]);
    assert_eq!(run.json()["summary"]["events"], 3, "{}", run.stderr);
    assert!(run.stdout.contains("logs/./sub/b.log"), "{}", run.stdout);
    assert!(
        run.stderr
            .contains(&format!("{logs}: 1 of its 2 files already named")),
        "{}",
        run.stderr
    );
}
