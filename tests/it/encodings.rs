//! Text encodings and prefixes: UTF-16 (with and without a BOM, either byte
//! order), a UTF-8 BOM, a copytruncate NUL prefix, stray NULs, and files
//! still skipped as binary, which are named. Each encoded input must give
//! the report its UTF-8 twin gives.

use std::io::Write;

use serde_json::Value;

use crate::harness::*;

const JD: &str = "5d7a2c4e-5555-4e6f-8a9b-0c1d2e3f4a5b";

/// A small agent log: a job-level failure, two item failures, a success.
fn log() -> String {
    format!(
        "2024-03-15T07:59:00Z ERROR jobRunName=J1 AZSM1024 source share unreachable\r\n\
         2024-03-15T08:20:00Z Failed F /export/a.txt 1 AZSM2062 denied jobRunName={JD}\r\n\
         2024-03-15T08:21:00Z Failed F /export/caf\u{e9}.txt 1 AZSM2062 denied jobRunName={JD}\r\n\
         2024-03-15T08:30:00Z INFO jobRunName={JD} AZSM0000 done\r\n"
    )
}

fn utf16le(s: &str, bom: bool) -> Vec<u8> {
    let mut out = if bom { vec![0xFF, 0xFE] } else { vec![] };
    out.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

fn utf16be(s: &str, bom: bool) -> Vec<u8> {
    let mut out = if bom { vec![0xFE, 0xFF] } else { vec![] };
    out.extend(s.encode_utf16().flat_map(u16::to_be_bytes));
    out
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// The JSON report of `args` then `path`, with the path's directory, the
/// byte count and the notes left out (an encoding changes how many bytes
/// the file has and the notes, not what it says).
fn report(args: &[&str], path: &str) -> (Run, Value) {
    let all: Vec<&str> = ["scan", "--format", "json"]
        .into_iter()
        .chain(args.iter().copied())
        .chain([path])
        .collect();
    let run = azsm(&all);
    let dir = std::path::Path::new(path).parent().unwrap();
    let text = run
        .stdout
        .replace(&dir.to_string_lossy().into_owned(), "<dir>");
    let mut v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", run.stdout, run.stderr));
    v["scanned"]["bytes"] = Value::Null;
    v["notes"] = Value::Null;
    (run, v)
}

/// Writes `utf8` and `encoded` as `name` in two directories and checks
/// that both scan to the same report (exit `status`), the encoded one
/// with a note on stderr containing `note`.
fn same_as_utf8(name: &str, utf8: &[u8], encoded: &[u8], args: &[&str], status: i32, note: &str) {
    let tree = Tree::new()
        .file(&format!("utf8/{name}"), utf8)
        .file(&format!("enc/{name}"), encoded);
    let (plain, want) = report(args, &tree.arg(&format!("utf8/{name}")));
    let (run, got) = report(args, &tree.arg(&format!("enc/{name}")));
    assert_eq!(plain.status, status, "{}", plain.stderr);
    assert_eq!(run.status, status, "{name}: {}", run.stderr);
    assert_eq!(got, want, "{name}: the encoded file reports otherwise");
    let path = tree.arg(&format!("enc/{name}"));
    let notes = run.json()["notes"].clone();
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["path"] == path && n["message"].as_str().unwrap().contains(note)),
        "{name}: no note {note:?} in the JSON: {notes}"
    );
    // No notes: the field is left out.
    assert_eq!(plain.json()["notes"], Value::Null);
    assert!(
        run.stderr.contains(&format!(
            "azsm: note: {}: {note}",
            tree.arg(&format!("enc/{name}"))
        )),
        "{name}: no note {note:?} in {}",
        run.stderr
    );
    assert_eq!(want["scanned"]["skipped_binary"], 0);
    assert_eq!(want["scanned"]["files"], 1);
}

#[test]
fn utf16_logs_in_either_byte_order_with_or_without_a_bom_scan_like_utf8() {
    let log = log();
    for (what, bytes, note) in [
        ("le-bom", utf16le(&log, true), "decoded from UTF-16LE"),
        ("le", utf16le(&log, false), "decoded from UTF-16LE"),
        ("be-bom", utf16be(&log, true), "decoded from UTF-16BE"),
        ("be", utf16be(&log, false), "decoded from UTF-16BE"),
    ] {
        same_as_utf8(&format!("{what}.log"), log.as_bytes(), &bytes, &[], 1, note);
    }
    let (_, r) = report(
        &[],
        &Tree::new().file("x.log", utf16le(&log, true)).arg("x.log"),
    );
    assert_eq!(
        code_counts(&r),
        cc(&[("AZSM0000", 1), ("AZSM1024", 1), ("AZSM2062", 2)])
    );
}

#[test]
fn a_large_utf16_log_past_the_mmap_threshold_is_decoded_too() {
    // Past 4 MiB a UTF-8 log is memory-mapped; a UTF-16 one is streamed.
    let log = log().repeat(40_000);
    let bytes = utf16le(&log, true);
    assert!(bytes.len() > 4 << 20);
    same_as_utf8(
        "big.log",
        log.as_bytes(),
        &bytes,
        &[],
        1,
        "decoded from UTF-16LE",
    );
}

#[test]
fn a_utf8_bom_hides_no_timestamp_and_breaks_no_json() {
    let log = log();
    let bom = [b"\xEF\xBB\xBF".as_slice(), log.as_bytes()].concat();
    let since = ["--since", "2024-03-15T08:00:00Z"];
    let tree = Tree::new().file("bom.log", &bom);
    let (run, r) = report(&since, &tree.arg("bom.log"));
    assert_eq!(run.status, 1, "{}", run.stderr);
    // The first line's event (07:59) is before the window: outside, not
    // an untimed event kept.
    assert_eq!(code_counts(&r), cc(&[("AZSM0000", 1), ("AZSM2062", 2)]));
    assert_eq!(r["window"]["outside"], 1);
    assert_eq!(r["window"]["untimed"], 0);
    // Large enough to be memory-mapped, the same.
    let big = log.repeat(40_000);
    let big_bom = [b"\xEF\xBB\xBF".as_slice(), big.as_bytes()].concat();
    let tree = Tree::new()
        .file("a/big.log", big.as_bytes())
        .file("b/big.log", &big_bom);
    let (_, want) = report(&since, &tree.arg("a/big.log"));
    let (run, got) = report(&since, &tree.arg("b/big.log"));
    assert_eq!(run.status, 1);
    assert_eq!(got, want);
    assert_eq!(got["window"]["untimed"], 0);
    // Job-run JSON with a BOM parses.
    let list = std::fs::read("fixtures/jobruns/job-run-list.json").unwrap();
    let tree = Tree::new()
        .file("a/runs.json", &list)
        .file("b/runs.json", [b"\xEF\xBB\xBF".as_slice(), &list].concat());
    let (plain, want) = report(&[], &tree.arg("a/runs.json"));
    let (run, got) = report(&[], &tree.arg("b/runs.json"));
    assert_eq!((plain.status, run.status), (1, 1), "{}", run.stderr);
    assert_eq!(got, want);
    assert!(!code_counts(&want).is_empty());
}

#[test]
fn utf16_job_run_json_and_exports_go_through_their_readers() {
    for (name, fixture) in [
        ("runs.json", "fixtures/jobruns/job-run-list.json"),
        ("failed.csv", "fixtures/exports/copylogs-failed.csv"),
        ("query.json", "fixtures/exports/copylogs-query.json"),
    ] {
        let text = std::fs::read_to_string(fixture).unwrap();
        let (_, r) = report(&[], fixture);
        assert!(!code_counts(&r).is_empty(), "{fixture} has codes");
        same_as_utf8(
            name,
            text.as_bytes(),
            &utf16le(&text, true),
            &[],
            1,
            "decoded from UTF-16LE",
        );
    }
}

#[test]
fn a_gzipped_utf16_log_is_decompressed_then_decoded() {
    let log = log();
    same_as_utf8(
        "x.log.gz",
        &gz(log.as_bytes()),
        &gz(&utf16le(&log, true)),
        &[],
        1,
        "decoded from UTF-16LE",
    );
}

#[test]
fn a_copytruncate_nul_prefix_is_skipped_and_said() {
    let log = log();
    for nuls in [10usize, 100_000, 5 << 20] {
        let bytes = [vec![0u8; nuls], log.as_bytes().to_vec()].concat();
        same_as_utf8(
            "rotated.log",
            log.as_bytes(),
            &bytes,
            &[],
            1,
            &format!("began with {nuls} NUL bytes"),
        );
    }
    // On stdin (the stream path) too.
    let bytes = [vec![0u8; 3 << 20], log.as_bytes().to_vec()].concat();
    let run = azsm_stdin(&["scan", "--format", "json", "-"], &bytes);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert_eq!(
        code_counts(&run.json()),
        cc(&[("AZSM0000", 1), ("AZSM1024", 1), ("AZSM2062", 2)])
    );
    assert!(
        run.stderr.contains("began with 3145728 NUL bytes"),
        "{}",
        run.stderr
    );
}

#[test]
fn stray_nuls_in_a_text_log_keep_it_text_with_a_note() {
    let log = log().repeat(20);
    let mut bytes = log.clone().into_bytes();
    // A crash left NULs mid-file.
    bytes.splice(700..700, [0u8; 16]);
    let tree = Tree::new().file("crash.log", &bytes);
    let (run, r) = report(&[], &tree.arg("crash.log"));
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert_eq!(r["scanned"]["skipped_binary"], 0);
    assert_eq!(
        code_counts(&r),
        cc(&[("AZSM0000", 20), ("AZSM1024", 20), ("AZSM2062", 40)])
    );
    assert!(
        run.stderr.contains("holds 16 NUL bytes in its first 8 KiB"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_file_skipped_as_binary_is_named() {
    // An executable that happens to contain a code string.
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
    elf.extend((0..4000u32).flat_map(|i| [(i % 251) as u8, 0, (i % 7) as u8, 0xff]));
    elf.extend(b"AZSM1024\n");
    // With a text log beside it, so that the scan read something: a scan
    // of nothing but skipped files is an error (see `cli.rs`).
    let tree = Tree::new()
        .file("d/agent.bin", &elf)
        .file("d/agent.log", b"2024-03-15T08:00:00Z INFO started\n");
    for format in ["json", "text"] {
        let run = azsm(&["scan", "--format", format, &tree.arg("d")]);
        assert_eq!(run.status, 0, "{}", run.stderr);
        assert!(
            run.stderr.contains(&format!(
                "azsm: note: {}: skipped: looks binary",
                tree.arg("d/agent.bin")
            )) && run.stderr.contains("--binary scans it anyway"),
            "{format}: {}",
            run.stderr
        );
        if format == "json" {
            let r = run.json();
            assert_eq!(r["scanned"]["skipped_binary"], 1);
            assert_eq!(r["notes"][0]["path"], tree.arg("d/agent.bin"));
            let message = r["notes"][0]["message"].as_str().unwrap();
            assert!(message.contains("--binary scans it anyway"), "{message}");
        }
    }
    let run = azsm(&["scan", "--format", "json", "--binary", &tree.arg("d")]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert_eq!(code_counts(&run.json()), cc(&[("AZSM1024", 1)]));
    assert!(!run.stderr.contains("looks binary"), "{}", run.stderr);
}
