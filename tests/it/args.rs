//! Every bad flag value exits 2 with a message that names the flag and the
//! forms it accepts, before any file is read.

use crate::harness::{azsm, Tree};

#[test]
fn bad_flag_values_name_the_flag_and_the_accepted_forms() {
    let tree = Tree::new().file("empty.md", "no table here\n");
    let empty = tree.arg("empty.md");
    let table: &[(&[&str], &str, &str)] = &[
        (
            &["scan", "--format", "xml", "x"],
            "--format",
            "[possible values: text, json",
        ),
        (
            &["scan", "--format=", "x"],
            "--format",
            "[possible values: text, json",
        ),
        (
            &["scan", "-j", "abc", "x"],
            "--threads",
            "whole number of threads from 1 to 1024",
        ),
        (
            &["scan", "-j", "0", "x"],
            "-j/--threads",
            "whole number of threads from 1 to 1024",
        ),
        (
            &["scan", "-j", "-3", "x"],
            "--threads",
            "whole number of threads from 1 to 1024",
        ),
        (
            &["scan", "-j", "100000", "x"],
            "-j/--threads",
            "whole number of threads from 1 to 1024",
        ),
        (
            &["scan", "-j", "99999999999999999999999", "x"],
            "--threads",
            "from 1 to 1024",
        ),
        (
            &["scan", "--job-pattern", "(", "x"],
            "--job-pattern",
            "a regex with a named group 'job'",
        ),
        (
            &["scan", "--job-pattern", "task=(\\w+)", "x"],
            "--job-pattern",
            "named group 'job'",
        ),
        (
            &["scan", "--color", "sometimes", "x"],
            "--color",
            "[possible values: auto, always, never]",
        ),
        (
            &["scan", "--catalog", "/nonexistent/x.md", "x"],
            "--catalog",
            "--catalog takes a copy of the Microsoft Learn status-code page",
        ),
        (
            &["scan", "--catalog", &empty, "x"],
            "--catalog",
            "--catalog takes a copy of the Microsoft Learn status-code page",
        ),
        (
            &["codes", "--scope", "disk"],
            "--scope",
            "[possible values: agent, job, item]",
        ),
        (
            &["codes", "--format", "yaml"],
            "--format",
            "[possible values: text, json]",
        ),
        (
            &["explain", "--format", "x", "1024"],
            "--format",
            "[possible values: text, json]",
        ),
        (
            &["explain", "AZSM12"],
            "AZSM12",
            "expected AZSM followed by four digits",
        ),
        (
            &["scan", "--no-such-flag", "x"],
            "--no-such-flag",
            "Usage: azsm scan",
        ),
    ];
    for (args, flag, forms) in table {
        let run = azsm(args);
        assert_eq!(run.status, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: nothing on stdout");
        assert!(
            run.stderr.contains(flag),
            "{args:?} names {flag}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(forms),
            "{args:?} says {forms:?}: {}",
            run.stderr
        );
    }
}
