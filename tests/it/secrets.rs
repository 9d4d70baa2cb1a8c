//! Secrets stay out of reports: the fixture `fixtures/secrets/agent.log` is
//! full of real-looking credentials next to codes; no part of any of their
//! values may appear in any output format, while the codes and job keys do.

use crate::harness::azsm;

const FIXTURE: &str = "fixtures/secrets/agent.log";

/// Every output format of `azsm scan`.
const FORMATS: &[&str] = &[
    "text", "json", "sarif", "github", "markdown", "junit", "ndjson", "csv",
];

/// The secret values in the fixture.
const SECRETS: &[&str] = &[
    "q8Zk3uVv0nE7X2yP9%2BfR4mLtWbHcA1sD6gJ5oKiUe0Q%3D",
    "Tr0ub4dor3XkQ9vW2mZpL8sN4bY7cF1hJ6gD5aE0rU3iO2pK9lM8nB7vC6xZ5qW4eR3tY2uI1oP0aS9dF8gH7jK6lA==",
    "Vh7Lq2Wm9Xp4Yk8Rz3Tn6Ub1Sc5Jd0Ge%2BFa%3D",
    "ss=bfqt&srt=sco&sp=rl",
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3N0b3JhZ2UuYXp1cmUuY29tIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "c3ZjLW1vdmVyOlN1cGVyU2VjcmV0UGFzcyE=",
    "Winter2024!Pw",
    "Corr3ct-H0rse-Battery",
    "Pa55 w0rd with spaces",
    "LoNgK3yV4lu3",
    "EnD0fK3y",
    "Zr8Q2mW4xN6pL0kJ9hG7fD5sA3qE1tY8uI6oP4aS2dF=",
    "ItemPa55word",
];

/// The first leaked fragment (any 8 bytes of a secret) in `out`.
fn leak(out: &str) -> Option<&'static str> {
    SECRETS.iter().copied().find(|s| {
        s.as_bytes()
            .windows(8.min(s.len()))
            .any(|w| out.contains(std::str::from_utf8(w).unwrap_or("\u{0}")))
    })
}

/// The text a format shows, its escapes undone, so that an escaped secret
/// (`&amp;` in XML) is still seen.
fn shown(format: &str, out: &str) -> String {
    match format {
        "junit" => out
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
        "json" | "sarif" | "ndjson" => out.replace("\\\"", "\"").replace("\\\\", "\\"),
        _ => out.to_string(),
    }
}

#[test]
fn no_secret_value_reaches_any_format() {
    for format in FORMATS {
        let run = azsm(&["scan", "--format", format, FIXTURE]);
        assert_eq!(run.status, 1, "{format}: {}", run.stderr);
        let out = shown(format, &run.stdout);
        assert_eq!(leak(&out), None, "{format} leaks:\n{out}");
        assert_eq!(leak(&run.stderr), None, "{format} stderr leaks");
        if matches!(*format, "text" | "json" | "junit") {
            // The formats that show log lines show them redacted.
            assert!(out.contains("<redacted>"), "{format}");
        }
    }
}

#[test]
fn redaction_keeps_codes_job_keys_and_keys() {
    let report = azsm(&["scan", "--format", "json", FIXTURE]).json();
    let texts: Vec<String> = report["codes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["examples"].as_array().unwrap().clone())
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(texts.len(), 11, "one example per line of the fixture");
    for (want, needle) in [
        ("AZSM1024", "&sig=<redacted>"),
        ("AZSM1001", "AccountName=acct02;AccountKey=<redacted>…"),
        ("AZSM1002", "SharedAccessSignature=<redacted>"),
        ("AZSM1003", "Authorization: Bearer <redacted>"),
        ("AZSM1004", "Authorization: Basic <redacted>\""),
        (
            "AZSM1005",
            "smb://CONTOSO%5Csvc-mover:<redacted>@fileserver01",
        ),
        ("AZSM1020", "password=<redacted>; user=svc"),
        ("AZSM1021", "\"pwd\":\"<redacted>\""),
        ("AZSM1022", "…<redacted>; context AZSM1022"),
        ("AZSM1023", "SharedAccessKey=<redacted>"),
        (
            "AZSM2062",
            "path=smb://svc-copy:<redacted>@fs01/share/a.txt",
        ),
    ] {
        let t = texts
            .iter()
            .find(|t| t.contains(want))
            .unwrap_or_else(|| panic!("{want} is shown: {texts:?}"));
        assert!(t.contains(needle), "{want}: {t}");
    }
    let jobs: Vec<&str> = report["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["job"].as_str().unwrap())
        .collect();
    assert!(
        jobs.contains(&"run-sas") && jobs.contains(&"run-json"),
        "{jobs:?}"
    );
}

#[test]
fn no_redact_shows_the_values() {
    let run = azsm(&["scan", "--format", "json", "--no-redact", FIXTURE]);
    assert!(!run.stdout.contains("<redacted>"));
    assert!(run.stdout.contains("Corr3ct-H0rse-Battery"));
    assert!(leak(&run.stdout).is_some(), "the leak check sees values");
}

mod never_hides_the_code {
    use proptest::prelude::*;

    const PIECES: &[&str] = &[
        "sig=",
        "AccountKey=",
        "password=",
        "pwd:",
        "\"",
        "'",
        " ",
        "&",
        ";",
        "Bearer ",
        "Authorization: Basic ",
        "smb://u:",
        "@",
        "/",
        "abc",
        "xyz123",
        "=",
        "jobRunName=",
        "é",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Whatever surrounds it, the code an excerpt is made for stays
        /// visible after redaction.
        #[test]
        fn the_code_survives_redaction(
            before in proptest::collection::vec(prop::sample::select(PIECES), 0..40),
            after in proptest::collection::vec(prop::sample::select(PIECES), 0..40),
            sep in prop::sample::select(vec![" ", "=", ":", "\"", "&", ";", "@", "/"]),
        ) {
            let head = format!("{}{sep}", before.concat());
            let line = format!("{head}AZSM2062 {}", after.concat());
            let shown = azsm::tally::excerpt(line.as_bytes(), head.len(), true);
            prop_assert!(shown.contains("AZSM2062"), "{line:?} -> {shown:?}");
        }
    }
}
