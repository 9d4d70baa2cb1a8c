//! Compressed files and archives: the sample bundle packed as users get it,
//! rotated and compressed logs, nesting, and the damage and bomb guards.

use std::io::Write;
use std::path::Path;

use crate::harness::*;

const BUNDLE: &str = "fixtures/support-bundle";
const JD: &str = "5d7a2c4e-5555-4e6f-8a9b-0c1d2e3f4a5b";

/// The bundle's files as (relative path, bytes), in name order.
fn bundle_files() -> Vec<(String, Vec<u8>)> {
    walkdir::WalkDir::new(BUNDLE)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(BUNDLE)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

fn tar_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, bytes) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, &bytes[..]).unwrap();
    }
    b.into_inner().unwrap()
}

fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        z.start_file(name.as_str(), opts).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn bz2(bytes: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn xz(bytes: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn zst(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).unwrap()
}

/// The report with `prefix` (a directory or an archive's `name!`) replaced.
fn normalised(run: &Run, prefix: &str) -> String {
    run.stdout.replace(prefix, "<root>")
}

#[test]
fn the_bundle_as_tar_zst_and_as_zip_reports_like_the_tree() {
    let files = bundle_files();
    assert_eq!(files.len(), 10, "the fixture tree changed");
    let tree = Tree::new()
        .file("bundle.tar.zst", zst(&tar_of(&files)))
        .file("bundle.zip", zip_of(&files))
        .file("bundle.tgz", gz(&tar_of(&files)))
        .file("bundle.tar", tar_of(&files));
    for format in ["json", "text"] {
        let dir = azsm(&["scan", "--format", format, BUNDLE]);
        assert_eq!(dir.status, 1);
        let want = normalised(&dir, BUNDLE);
        for name in ["bundle.tar.zst", "bundle.zip", "bundle.tgz", "bundle.tar"] {
            let arg = tree.arg(name);
            let run = azsm(&["scan", "--format", format, &arg]);
            assert_eq!(run.status, 1, "{name}: {}", run.stderr);
            assert_eq!(
                normalised(&run, &format!("{arg}!")),
                want,
                "{name} ({format})"
            );
        }
    }
    // Entry paths are shown after the archive's, and the GUID rule sees them.
    let r = azsm(&["scan", "--format", "json", &tree.arg("bundle.tar.zst")]).json();
    let c = r["codes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "AZSM2062")
        .unwrap();
    assert_eq!(
        c["examples"][0]["path"],
        format!(
            "{}!/root/xdmdata/copy log/{JD}.log",
            tree.arg("bundle.tar.zst")
        )
    );
    assert_eq!(r["attribution"]["path"], 8);
}

#[test]
fn rotated_and_compressed_logs_are_more_files_whatever_their_names() {
    let line = |n: u32, code: &str| {
        format!("2024-03-15T08:00:0{n}Z ERROR jobRunName=J{n} {code} failed\n").into_bytes()
    };
    let tree = Tree::new()
        .file("log/xdatamoved.log", line(0, "AZSM1024"))
        .file("log/xdatamoved.log.1", line(1, "AZSM1024"))
        .file("log/xdatamoved.log.2.gz", gz(&line(2, "AZSM1024")))
        .file("log/xdatamoved.log.3.zst", zst(&line(3, "AZSM1024")))
        .file("log/xdatamoved.log.4.bz2", bz2(&line(4, "AZSM1024")))
        .file("log/xdatamoved.log.5.xz", xz(&line(5, "AZSM1024")))
        // Content, not the name, decides.
        .file("log/renamed.txt", gz(&line(6, "AZSM2062")))
        .file("log/not-really.gz", line(7, "AZSM2062"));
    let run = azsm(&["scan", "--format", "json", &tree.arg("log")]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let r = run.json();
    assert_eq!(code_counts(&r), cc(&[("AZSM1024", 6), ("AZSM2062", 2)]));
    assert_eq!(r["summary"]["jobs"], 8);
    assert_eq!(r["scanned"]["files"], 8);
    assert_eq!(r["errors"].as_array().unwrap().len(), 0);
    // Bytes are those scanned, after decompression.
    let plain: usize = (0..8).map(|n| line(n, "AZSM1024").len()).sum();
    assert_eq!(r["scanned"]["bytes"], plain as u64);
}

#[test]
fn compressed_entries_and_archives_inside_an_archive_are_opened() {
    let guid_log = format!("root/xdmdata/copy log/{JD}.log.gz");
    let inner = vec![
        (
            "var/log/xdatamoved.log.2.gz".to_string(),
            gz(b"2024-03-15T08:00:00Z ERROR jobRunName=J1 AZSM1024 x\n"),
        ),
        (
            guid_log.clone(),
            gz(b"2024-03-15T08:20:00Z Failed F /export/a.txt 1 AZSM2062 denied\n"),
        ),
        (
            "misc/nested.tar.gz".to_string(),
            gz(&tar_of(&[(
                "deep.log".to_string(),
                b"AZSM1060 a tar.gz inside the archive\n".to_vec(),
            )])),
        ),
    ];
    let tree = Tree::new()
        .file("b.tar.zst", zst(&tar_of(&inner)))
        .file("b.zip", zip_of(&inner));
    for name in ["b.tar.zst", "b.zip"] {
        let arg = tree.arg(name);
        let run = azsm(&["scan", "--format", "json", &arg]);
        assert_eq!(run.status, 1, "{}", run.stderr);
        let r = run.json();
        assert_eq!(
            code_counts(&r),
            cc(&[("AZSM1024", 1), ("AZSM1060", 1), ("AZSM2062", 1)]),
            "{name}"
        );
        assert_eq!(
            job_counts(&r),
            vec![
                (JD.to_string(), cc(&[("AZSM2062", 1)])),
                ("J1".to_string(), cc(&[("AZSM1024", 1)])),
            ]
        );
        // The tar inside the .gz inside the archive is opened too.
        assert_eq!(r["scanned"]["skipped_binary"], 0, "{name}");
        assert_eq!(r["scanned"]["files"], 3, "{name}");
        assert_eq!(r["attribution"]["path"], 1);
        let deep = &code_row(&r, "AZSM1060")["examples"][0]["path"];
        assert_eq!(*deep, format!("{arg}!/misc/nested.tar.gz!/deep.log"));
        let ex = &code_row(&r, "AZSM2062")["examples"][0]["path"];
        assert_eq!(*ex, format!("{arg}!/{guid_log}"));
    }
}

#[test]
fn a_compressed_stream_on_stdin_is_decoded() {
    let run = azsm_stdin(
        &["scan", "--format", "json", "-"],
        &gz(b"2024-03-15T08:00:00Z jobRunName=J AZSM1024\n"),
    );
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert_eq!(code_counts(&run.json()), cc(&[("AZSM1024", 1)]));
}

/// `n` log lines, each with a code.
fn many_lines(n: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..n {
        writeln!(
            v,
            "2024-03-15T08:00:00Z ERROR jobRunName=J{} AZSM2062 item {i}",
            i % 7
        )
        .unwrap();
    }
    v
}

#[test]
fn the_expansion_cap_stops_a_bomb_and_keeps_what_was_scanned() {
    let plain = many_lines(200_000); // about 12 MiB, a few hundred KiB packed
    let tree = Tree::new()
        .file("bomb.log.gz", gz(&plain))
        .file(
            "bomb.tar.zst",
            zst(&tar_of(&[("a.log".into(), plain.clone())])),
        )
        .file("ok.log", b"AZSM1024 jobRunName=K\n");
    for name in ["bomb.log.gz", "bomb.tar.zst"] {
        let run = azsm(&[
            "scan",
            "--format",
            "json",
            "--max-expand",
            "1M",
            &tree.arg(name),
            &tree.arg("ok.log"),
        ]);
        assert_eq!(run.status, 2, "{name}");
        assert!(run.stderr.contains(name), "{}", run.stderr);
        assert!(run.stderr.contains("--max-expand (1M)"), "{}", run.stderr);
        let r = run.json();
        let counts = code_counts(&r);
        assert_eq!(counts[0], ("AZSM1024".to_string(), 1), "the other input");
        let scanned = counts[1].1;
        assert!(
            scanned > 1000 && scanned < 200_000,
            "{name}: the lines before the cap are kept ({scanned})"
        );
        assert!(r["scanned"]["bytes"].as_u64().unwrap() <= (1 << 20) + 100);
    }
    let full = azsm(&["scan", "--format", "json", &tree.arg("bomb.log.gz")]);
    assert_eq!(full.status, 1, "{}", full.stderr);
    assert_eq!(code_counts(&full.json()), cc(&[("AZSM2062", 200_000)]));
}

#[test]
fn bad_max_expand_values_exit_2_naming_the_flag() {
    for bad in ["", "10X", "0", "1.5G", "-1"] {
        let flag = format!("--max-expand={bad}");
        let run = azsm(&["scan", &flag, "x"]);
        assert_eq!(run.status, 2, "{bad:?}");
        assert!(run.stderr.contains("--max-expand"), "{}", run.stderr);
        assert!(run.stdout.is_empty());
    }
    let run = azsm(&["scan", "--items", "101", "x"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("--items"), "{}", run.stderr);
}

fn truncated(bytes: &[u8], keep: f64) -> Vec<u8> {
    bytes[..(bytes.len() as f64 * keep) as usize].to_vec()
}

#[test]
fn truncated_and_corrupt_streams_are_named_and_earlier_findings_kept() {
    let plain = many_lines(20_000);
    let files = vec![
        (
            "var/log/first.log".to_string(),
            b"AZSM1024 jobRunName=K\n".to_vec(),
        ),
        ("var/log/big.log".to_string(), plain.clone()),
        (
            "var/log/last.log".to_string(),
            b"AZSM1060 jobRunName=K\n".to_vec(),
        ),
    ];
    let mut corrupt = gz(&plain);
    let mid = corrupt.len() / 2;
    for b in &mut corrupt[mid..mid + 64] {
        *b ^= 0x55;
    }
    let tree = Tree::new()
        .file("cut.tar.zst", truncated(&zst(&tar_of(&files)), 0.5))
        .file("cut.tar", truncated(&tar_of(&files), 0.5))
        .file("cut.log.gz", truncated(&gz(&plain), 0.5))
        .file("bad.log.gz", corrupt)
        .file("cut.zip", truncated(&zip_of(&files), 0.5));
    for (name, entry, what) in [
        (
            "cut.tar.zst",
            "!/var/log/big.log",
            "zstd stream is corrupt or truncated",
        ),
        ("cut.tar", "!/var/log/big.log", "tar archive is truncated"),
        ("cut.log.gz", "", "gzip stream is corrupt or truncated"),
        ("bad.log.gz", "", "gzip stream is corrupt or truncated"),
    ] {
        let arg = tree.arg(name);
        let run = azsm(&["scan", "--format", "json", &arg]);
        assert_eq!(run.status, 2, "{name}");
        let r = run.json();
        let errors = r["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{name}: one damage, one error: {errors:?}");
        assert_eq!(errors[0]["path"], format!("{arg}{entry}"), "{name}");
        let msg = errors[0]["message"].as_str().unwrap();
        assert!(msg.contains(what), "{name}: {msg}");
        assert!(
            run.stderr.contains(&format!("{arg}{entry}: ")),
            "{}",
            run.stderr
        );
        let counts = code_counts(&r);
        let found_2062 = counts.iter().find(|c| c.0 == "AZSM2062").map_or(0, |c| c.1);
        assert!(
            found_2062 > 100 && found_2062 < 20_000,
            "{name}: the lines before the damage are kept ({found_2062})"
        );
        if !entry.is_empty() {
            assert_eq!(
                counts[0],
                ("AZSM1024".to_string(), 1),
                "{name}: the entry before"
            );
        }
    }
    // A zip cut in half has lost its index at the end: nothing can be read,
    // and the error says so.
    let run = azsm(&["scan", &tree.arg("cut.zip")]);
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("zip archive is corrupt or truncated"),
        "{}",
        run.stderr
    );
}

#[test]
fn archives_are_walked_in_directories_too() {
    let files = bundle_files();
    let tree = Tree::new().file("cases/1234/bundle.tar.zst", zst(&tar_of(&files)));
    let dir = tree.arg("cases");
    let run = azsm(&["scan", "--format", "json", &dir]);
    assert_eq!(run.status, 1);
    assert_eq!(run.json()["summary"]["events"], 24);
    assert!(Path::new(&dir).join("1234/bundle.tar.zst").exists());
}

#[test]
fn a_corrupt_zip_entry_is_named_and_the_other_entries_are_scanned() {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    z.start_file("a.log", stored).unwrap();
    z.write_all(b"jobRunName=J AZSM1024 first\nXXXXXXXXXXXXXXXXXXXX\n")
        .unwrap();
    z.start_file("b.log", stored).unwrap();
    z.write_all(b"jobRunName=J AZSM1060 second\n").unwrap();
    let mut bytes = z.finish().unwrap().into_inner();
    let at = bytes
        .windows(20)
        .position(|w| w == b"XXXXXXXXXXXXXXXXXXXX")
        .unwrap();
    bytes[at] = b'Y';
    let tree = Tree::new().file("logs.zip", bytes);
    let arg = tree.arg("logs.zip");
    let run = azsm(&["scan", "--format", "json", &arg]);
    assert_eq!(run.status, 2);
    let r = run.json();
    assert_eq!(r["errors"][0]["path"], format!("{arg}!/a.log"));
    let msg = r["errors"][0]["message"].as_str().unwrap();
    assert!(msg.contains("zip entry is corrupt or truncated"), "{msg}");
    // The damaged entry's lines and the next entry are still counted.
    assert_eq!(code_counts(&r), cc(&[("AZSM1024", 1), ("AZSM1060", 1)]));
}

#[test]
fn small_compressed_files_that_expand_past_a_chunk_scan_in_parallel() {
    // Each decompresses to more than one chunk, so its blocks are scanned
    // in parallel while other inputs run: the same report on any number of
    // threads.
    let line = b"2024-03-15T08:00:00Z jobRunName=J AZSM1024 retry\n";
    let plain: Vec<u8> = line.repeat((azsm::pipeline::CHUNK + 600_000) / line.len() + 1);
    let n = (plain.len() / line.len()) as u64;
    let mut tree = Tree::new();
    for i in 0..4 {
        tree = tree.file(&format!("l{i}.log.gz"), gz(&plain));
    }
    tree = tree.file("small.log", line);
    let one = azsm(&["scan", "--format", "json", "-j", "1", &tree.arg("")]);
    let four = azsm(&["scan", "--format", "json", "-j", "2", &tree.arg("")]);
    assert_eq!(one.status, 1, "{}", one.stderr);
    assert_eq!(one.stdout, four.stdout);
    assert_eq!(code_counts(&one.json()), cc(&[("AZSM1024", 4 * n + 1)]));
}

/// `files` as a zip whose entries are stored (not deflated), so that tests
/// can patch their headers.
fn stored_zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in files {
        z.start_file(name.as_str(), opts).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn one(name: &str, bytes: Vec<u8>) -> Vec<(String, Vec<u8>)> {
    vec![(name.to_string(), bytes)]
}

#[test]
fn a_ticket_zip_holding_the_bundle_tar_zst_reports_like_the_tree() {
    let bundle = zst(&tar_of(&bundle_files()));
    let tree = Tree::new().file("ticket.zip", zip_of(&one("bundle.tar.zst", bundle)));
    let arg = tree.arg("ticket.zip");
    for format in ["json", "text"] {
        let dir = azsm(&["scan", "--format", format, BUNDLE]);
        let run = azsm(&["scan", "--format", format, &arg]);
        assert_eq!(run.status, 1, "{}", run.stderr);
        assert_eq!(
            normalised(&run, &format!("{arg}!/bundle.tar.zst!")),
            normalised(&dir, BUNDLE),
            "{format}"
        );
    }
}

#[test]
fn archives_inside_archives_open_up_to_three_deep() {
    let log = b"2024-03-15T08:00:00Z ERROR jobRunName=J1 AZSM1024 x\n".to_vec();
    let zip_in = |name: &str, b: Vec<u8>| zip_of(&one(name, b));
    let tar_in = |name: &str, b: Vec<u8>| tar_of(&one(name, b));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "zip-tar.zst.zip",
            zip_in("b.tar.zst", zst(&tar_in("var/x.log", log.clone()))),
            "b.tar.zst!/var/x.log",
        ),
        (
            "zip-zip.zip",
            zip_in("logs.zip", zip_in("x.log", log.clone())),
            "logs.zip!/x.log",
        ),
        (
            "tar-zip.tar",
            tar_in("logs.zip", stored_zip_of(&one("x.log", log.clone()))),
            "logs.zip!/x.log",
        ),
        (
            "tgz-tgz.tgz",
            gz(&tar_in("in.tgz", gz(&tar_in("x.log", log.clone())))),
            "in.tgz!/x.log",
        ),
        (
            "three.zip",
            zip_in("a.tar", tar_in("b.zip", zip_in("x.log.gz", gz(&log)))),
            "a.tar!/b.zip!/x.log.gz",
        ),
    ];
    for (name, bytes, entry) in cases {
        let tree = Tree::new().file(name, bytes);
        let arg = tree.arg(name);
        let run = azsm(&["scan", "--format", "json", &arg]);
        assert_eq!(run.status, 1, "{name}: {}", run.stderr);
        let r = run.json();
        assert_eq!(code_counts(&r), cc(&[("AZSM1024", 1)]), "{name}");
        assert_eq!(r["scanned"]["skipped_binary"], 0, "{name}");
        assert_eq!(r["errors"].as_array().unwrap().len(), 0, "{name}");
        assert_eq!(
            code_row(&r, "AZSM1024")["examples"][0]["path"],
            format!("{arg}!/{entry}"),
            "{name}"
        );
    }
    // A zip on stdin is spooled and read too.
    let run = azsm_stdin(
        &["scan", "--format", "json", "-"],
        &zip_in("x.log", log.clone()),
    );
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert_eq!(code_counts(&run.json()), cc(&[("AZSM1024", 1)]));
}

#[test]
fn what_cannot_be_opened_is_an_error_naming_the_entry() {
    let log = b"2024-03-15T08:00:00Z ERROR jobRunName=J1 AZSM1024 x\n".to_vec();
    let fine = b"2024-03-15T08:01:00Z Failed F /a 1 AZSM2062 denied\n".to_vec();
    let deep = zip_of(&one(
        "a.tar",
        tar_of(&one(
            "b.zip",
            zip_of(&one("c.tar", tar_of(&one("x.log", log.clone())))),
        )),
    ));
    // Compressed twice: a .gz of a .gz.
    let twice = gz(&gz(&log));
    // Encrypted (the flag bit) and bzip2-compressed (method 12) entries,
    // which azsm does not read, beside a readable one.
    let mut z = stored_zip_of(&[
        ("locked.log".to_string(), log.clone()),
        ("bz.log".to_string(), log.clone()),
        ("fine.log".to_string(), fine.clone()),
    ]);
    let mut local = 0;
    let mut central = 0;
    for i in 0..z.len() - 4 {
        if z[i..i + 4] == *b"PK\x03\x04" {
            match local {
                0 => z[i + 6] |= 1,
                1 => z[i + 8] = 12,
                _ => {}
            }
            local += 1;
        } else if z[i..i + 4] == *b"PK\x01\x02" {
            match central {
                0 => z[i + 8] |= 1,
                1 => z[i + 10] = 12,
                _ => {}
            }
            central += 1;
        }
    }
    assert_eq!((local, central), (3, 3));
    let tree = Tree::new()
        .file("in/deep.zip", deep)
        .file("in/twice.log.gz", twice)
        .file("in/odd.zip", z);
    let run = azsm(&["scan", "--format", "json", &tree.arg("in")]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    let r = run.json();
    // What could be read is in the report.
    assert_eq!(code_counts(&r), cc(&[("AZSM2062", 1)]));
    assert_eq!(r["scanned"]["skipped_binary"], 0);
    let errors: Vec<(String, String)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let path = e["path"].as_str().unwrap();
            let path = path.strip_prefix(&tree.arg("in/")).unwrap_or(path);
            (path.to_string(), e["message"].as_str().unwrap().to_string())
        })
        .collect();
    let has = |path: &str, words: &str| {
        assert!(
            errors.iter().any(|(p, m)| p == path && m.contains(words)),
            "no error {path:?} {words:?} in {errors:#?}"
        )
    };
    has(
        "deep.zip!/a.tar!/b.zip!/c.tar",
        "nested more than 3 archives deep",
    );
    has("twice.log.gz", "gzip data inside a compressed stream");
    has("odd.zip!/locked.log", "cannot read this zip entry");
    has("odd.zip!/bz.log", "zip entry");
    assert_eq!(errors.len(), 4, "{errors:#?}");
}

#[test]
fn a_utf16_entry_in_a_tar_zst_is_decoded_and_said() {
    let log = "2024-03-15T08:00:00Z ERROR jobRunName=J1 AZSM1024 x\r\n\
               2024-03-15T08:01:00Z Failed F /a 1 AZSM2062 denied\r\n";
    let mut wide = vec![0xFF, 0xFE];
    wide.extend(log.encode_utf16().flat_map(u16::to_le_bytes));
    let tree = Tree::new()
        .file(
            "a/b.tar.zst",
            zst(&tar_of(&one("var/log/w.log", log.as_bytes().to_vec()))),
        )
        .file("b/b.tar.zst", zst(&tar_of(&one("var/log/w.log", wide))));
    let plain = azsm(&["scan", "--format", "json", &tree.arg("a/b.tar.zst")]);
    let run = azsm(&["scan", "--format", "json", &tree.arg("b/b.tar.zst")]);
    assert_eq!((plain.status, run.status), (1, 1), "{}", run.stderr);
    let json = |run: &Run, dir: &str| -> serde_json::Value {
        serde_json::from_str(&run.stdout.replace(&tree.arg(dir), "<d>")).unwrap()
    };
    let (mut got, want) = (json(&run, "b"), json(&plain, "a"));
    assert_eq!(
        got["notes"],
        serde_json::json!([{"path": "<d>/b.tar.zst!/var/log/w.log", "message": "decoded from UTF-16LE"}])
    );
    // No notes: the field is left out.
    assert_eq!(want["notes"], serde_json::Value::Null);
    got.as_object_mut().unwrap().remove("notes");
    assert_eq!(got, want, "the same report but for the note");
    assert_eq!(code_counts(&want), cc(&[("AZSM1024", 1), ("AZSM2062", 1)]));
    assert!(
        run.stderr.contains(&format!(
            "azsm: note: {}!/var/log/w.log: decoded from UTF-16LE",
            tree.arg("b/b.tar.zst")
        )),
        "{}",
        run.stderr
    );
}
