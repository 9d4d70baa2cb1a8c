//! The per-event formats are streamed (`azsm::report::stream`): records leave the
//! scan as it runs, in input then line order, the same for any thread
//! count and chunking; the scan keeps no events; `--baseline` still gives
//! each record its code's change; a closed pipe and Ctrl-C end the run at
//! a whole record.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

use azsm::pipeline::events::{self, Msg};
use azsm::pipeline::ReadOptions;
use azsm::report::stream::{Dest, Format, Lane, Writer};
use azsm::scan::jobkey::KeyFinder;
use azsm::scan::Scanner;
use serde_json::Value;

use crate::harness::{azsm, spawn, Tree};

/// One expected record: path, line, code, job, rule.
type Rec = (String, u64, String, Option<String>, String);

/// A log of `lines` lines: a job key every 997 lines (from line 500 on), a
/// code with its own key every 101 lines (rule 1), a code without a key
/// every 7 lines (rule 3: the last key above, or none before the first),
/// an agent-level code every 503 lines. Returns the log and its records.
fn log(path: &str, lines: u64, pad: usize) -> (Vec<u8>, Vec<Rec>) {
    let mut text = Vec::new();
    let mut recs = Vec::new();
    let mut key: Option<String> = None;
    let filler = "x".repeat(pad);
    for n in 1..=lines {
        let rec = |code: &str, job: Option<String>, rule: &str| {
            (path.to_string(), n, code.to_string(), job, rule.to_string())
        };
        let line = if n >= 500 && n % 997 == 0 {
            key = Some(format!("job{n}"));
            format!("2024-03-15T08:00:00Z jobRunName=job{n} started {filler}\n")
        } else if n % 503 == 0 {
            recs.push(rec("AZSM0001", None, "agent"));
            format!("2024-03-15T08:00:01Z agent AZSM0001 {filler}\n")
        } else if n % 101 == 0 {
            // Its key is the last one for the lines after it too.
            key = Some(format!("own{n}"));
            recs.push(rec("AZSM1024", key.clone(), "line"));
            format!("2024-03-15T08:00:02Z jobRunName=own{n} AZSM1024 denied {filler}\n")
        } else if n % 7 == 0 {
            let rule = if key.is_some() { "carried" } else { "none" };
            recs.push(rec("AZSM2062", key.clone(), rule));
            format!("2024-03-15T08:00:03Z copy failed AZSM2062 {filler}\n")
        } else {
            format!("2024-03-15T08:00:04Z copied {filler}\n")
        };
        text.extend_from_slice(line.as_bytes());
    }
    (text, recs)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// A tree of small logs around a big one (memory-mapped, scanned in
/// several parallel chunks) and a compressed one (the stream path); its
/// records in input order.
fn tree() -> (Tree, Vec<Rec>) {
    let t = Tree::new();
    let p = |rel: &str| t.arg(rel);
    let (a, ra) = log(&p("a/first.log"), 2000, 10);
    // About 10 MiB: over the 4 MiB at which files are mapped, and more
    // than one chunk.
    let (b, rb) = log(&p("b/big.log"), 100_000, 60);
    let (c, rc) = log(&p("c/rotated.log.gz"), 3000, 10);
    let (d, rd) = log(&p("d/last.log"), 1500, 10);
    assert!(b.len() > azsm::pipeline::CHUNK, "{}", b.len());
    let t = t
        .file("a/first.log", a)
        .file("b/big.log", b)
        .file("c/rotated.log.gz", gzip(&c))
        .file("d/empty.log", "no codes here\n")
        .file("d/last.log", d);
    (t, [ra, rb, rc, rd].concat())
}

/// Asserts `got == want`, showing the first difference (not both lists).
fn same(got: &[Rec], want: &[Rec], what: &str) {
    if let Some(i) = (0..got.len().min(want.len())).find(|&i| got[i] != want[i]) {
        panic!("{what}: record {i}: {:?}, expected {:?}", got[i], want[i]);
    }
    assert_eq!(got.len(), want.len(), "{what}: how many records");
}

fn parsed(ndjson: &str) -> Vec<Rec> {
    ndjson
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["path"].as_str().unwrap().to_string(),
                v["line"].as_u64().unwrap(),
                v["code"].as_str().unwrap().to_string(),
                v["job"].as_str().map(String::from),
                v["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn streamed_records_are_in_input_then_line_order_for_any_thread_count() {
    let (t, expected) = tree();
    let root = t.arg("");
    let root = root.trim_end_matches('/');
    let mut first: Option<(String, String)> = None;
    for j in ["1", "2", "8"] {
        let nd = azsm(&["scan", "-j", j, "--format", "ndjson", root]);
        assert_eq!(nd.status, 1, "{}", nd.stderr);
        same(&parsed(&nd.stdout), &expected, &format!("-j {j}"));
        let csv = azsm(&["scan", "-j", j, "--format", "csv", root]);
        let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(csv.stdout.as_bytes())
            .records()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(rows.len(), expected.len());
        for (row, e) in rows.iter().zip(&expected) {
            assert_eq!(
                (&row[0], &row[1], &row[2]),
                (&*e.0, &*e.1.to_string(), &*e.2)
            );
            assert_eq!((&row[3], &row[4]), (e.3.as_deref().unwrap_or(""), &*e.4));
        }
        match &first {
            None => first = Some((nd.stdout, csv.stdout)),
            Some((n, c)) => {
                assert!(*n == nd.stdout, "ndjson bytes differ at -j {j}");
                assert!(*c == csv.stdout, "csv bytes differ at -j {j}");
            }
        }
    }
    // The same records when written to files next to another format.
    let out = Tree::new();
    let run = azsm(&[
        "scan",
        "-j",
        "2",
        "--format",
        "json",
        "--ndjson",
        &out.arg("o.ndjson"),
        "--csv",
        &out.arg("o.csv"),
        root,
    ]);
    let report = run.json();
    assert_eq!(
        report["summary"]["events"].as_u64().unwrap(),
        expected.len() as u64
    );
    let (n, c) = first.unwrap();
    assert!(std::fs::read_to_string(out.arg("o.ndjson")).unwrap() == n);
    assert!(std::fs::read_to_string(out.arg("o.csv")).unwrap() == c);
}

/// The records of `tree` written the way they were before streaming: all
/// events kept in the tally, sorted by input then line, rendered at the
/// end.
fn unstreamed(
    scanner: &Scanner,
    inputs: &[azsm::input::walk::Input],
    opts: ReadOptions,
) -> Vec<u8> {
    let mut tally = azsm::pipeline::scan_all(scanner, inputs, opts, None);
    tally.sort_events();
    let names: Vec<String> = scanner
        .causes()
        .iter()
        .map(|(_, c)| c.name.clone())
        .collect();
    let mut out = Vec::new();
    for e in &tally.events {
        azsm::report::ndjson::push(e, &names, None, &mut Default::default(), &mut out);
    }
    out
}

/// A scanner that records events, and its sub-cause names by id.
fn recorder() -> (Scanner, Vec<String>) {
    let scanner = Scanner::new(KeyFinder::new(None).unwrap()).recording_events(true);
    let names = scanner
        .causes()
        .iter()
        .map(|(_, c)| c.name.clone())
        .collect();
    (scanner, names)
}

#[test]
fn tiny_chunks_windows_and_blocks_stream_the_same_records_and_the_scan_keeps_none() {
    let (t, expected) = tree();
    let found = azsm::input::walk::find(&[t.path().to_path_buf()], false);
    let (scanner, names) = recorder();
    // Many pieces per file: 4 KiB chunks, 64 KiB windows, 8 KiB blocks.
    let opts = ReadOptions {
        chunk: 4 << 10,
        mmap_min: 16 << 10,
        window: 64 << 10,
        block: 8 << 10,
        ..ReadOptions::default()
    };
    let before = unstreamed(&scanner, &found.inputs, opts);
    same(
        &parsed(std::str::from_utf8(&before).unwrap()),
        &expected,
        "unstreamed",
    );
    for threads in [1, 2, 8] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let (tap, rx, _gone) = events::channel();
        // The writer's end, watched: how many events each piece carries.
        let (seen_tx, seen_rx) = std::sync::mpsc::sync_channel(events::CHANNEL);
        let watcher = std::thread::spawn(move || {
            let mut largest = 0;
            let mut total = 0;
            for msg in rx {
                if let Msg::Rows { rows, .. } = &msg {
                    largest = largest.max(rows.len());
                    total += rows.len();
                }
                seen_tx.send(msg).unwrap();
            }
            (largest, total)
        });
        let mut out = Vec::new();
        let lane = Lane::new(Format::Ndjson, Dest::Stdout, false).unwrap();
        let mut writer = Writer::new(vec![lane], names.clone());
        let tally = std::thread::scope(|s| {
            let gone = std::sync::atomic::AtomicBool::new(false);
            let out = &mut out;
            let w = &mut writer;
            let handle = s.spawn(move || w.run(seen_rx, &gone, out));
            let tally = pool.install(|| {
                azsm::pipeline::scan_all_into(&scanner, &found.inputs, opts, None, None, Some(tap))
            });
            handle.join().unwrap().unwrap();
            tally
        });
        writer.finish(&Default::default(), &mut out).unwrap();
        let (largest, total) = watcher.join().unwrap();
        assert!(out == before, "{threads} threads");
        assert_eq!(total, expected.len());
        assert_eq!(
            tally.events(),
            expected.len() as u64,
            "the tallies still count"
        );
        assert!(tally.events.is_empty(), "the scan holds no events");
        // A piece is one chunk's events: a 4 KiB chunk holds at most 4 KiB
        // of lines (plus the line that crosses its end).
        assert!(largest <= 4096 / 20, "a piece of {largest} events");
    }
}

#[test]
fn records_rendered_while_scanning_equal_the_writers_for_any_thread_count() {
    // What `azsm scan` does: the tap renders each piece in the scanning
    // threads (in blocks, in parallel), the writer only orders bytes.
    let (t, _) = tree();
    let found = azsm::input::walk::find(&[t.path().to_path_buf()], false);
    let (scanner, names) = recorder();
    let mut tally = azsm::pipeline::scan_all(&scanner, &found.inputs, ReadOptions::default(), None);
    tally.sort_events();
    let (mut nd_want, mut csv_want) = (Vec::new(), csv_header());
    for e in &tally.events {
        azsm::report::ndjson::push(e, &names, None, &mut Default::default(), &mut nd_want);
        azsm::report::csv::push(e, &names, None, &mut Default::default(), &mut csv_want);
    }
    // The default chunks of the big log hold over a block of events each
    // (rendered in parallel blocks); small chunks make many small pieces.
    let small = ReadOptions {
        chunk: 16 << 10,
        mmap_min: 16 << 10,
        window: 64 << 10,
        block: 8 << 10,
        ..ReadOptions::default()
    };
    let mut largest = 0;
    for (opts, threads) in [1, 2, 8]
        .into_iter()
        .flat_map(|j| [(ReadOptions::default(), j), (small, j)])
    {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let dir = Tree::new();
        let csv_path = std::path::PathBuf::from(dir.arg("o.csv"));
        let file = std::io::BufWriter::new(std::fs::File::create(&csv_path).unwrap());
        let lanes = vec![
            Lane::new(Format::Ndjson, Dest::Stdout, false).unwrap(),
            Lane::new(
                Format::Csv,
                Dest::File {
                    flag: "--csv",
                    path: csv_path.clone(),
                    file,
                },
                false,
            )
            .unwrap(),
        ];
        let mut writer = Writer::new(lanes, names.clone());
        let (tap, rx, _gone) = writer.channel();
        // The writer's end, watched: every piece comes rendered, in both
        // formats, at most a block of records each.
        let (seen_tx, seen_rx) = std::sync::mpsc::sync_channel(events::CHANNEL);
        let watcher = std::thread::spawn(move || {
            let (mut records, mut largest) = (0, 0);
            for msg in rx {
                match &msg {
                    Msg::Rows { .. } => panic!("a piece the writer would render"),
                    Msg::Records { bytes, .. } => {
                        assert_eq!(bytes.len(), 2, "one buffer per format");
                        let lines = bytecount(&bytes[0]);
                        assert_eq!(lines, bytecount(&bytes[1]), "the same records");
                        assert!((1..=events::BLOCK).contains(&lines), "{lines} records");
                        records += lines;
                        largest = usize::max(largest, lines);
                    }
                    Msg::Done { .. } => {}
                }
                seen_tx.send(msg).unwrap();
            }
            (records, largest)
        });
        let mut out = Vec::new();
        std::thread::scope(|s| {
            let gone = std::sync::atomic::AtomicBool::new(false);
            let out = &mut out;
            let w = &mut writer;
            let handle = s.spawn(move || w.run(seen_rx, &gone, out));
            pool.install(|| {
                azsm::pipeline::scan_all_into(&scanner, &found.inputs, opts, None, None, Some(tap))
            });
            handle.join().unwrap().unwrap();
        });
        writer.finish(&Default::default(), &mut out).unwrap();
        let (records, most) = watcher.join().unwrap();
        assert_eq!(records, tally.events.len());
        largest = largest.max(most);
        let what = format!("{threads} threads, {} chunks", opts.chunk);
        assert!(out == nd_want, "ndjson, {what}");
        let csv = std::fs::read(&csv_path).unwrap();
        assert!(csv == csv_want, "csv, {what}");
    }
    assert_eq!(largest, events::BLOCK, "some pieces were split in blocks");
}

fn csv_header() -> Vec<u8> {
    b"path,line,code,job,rule,time,scope,severity,finding,change,item,cause\r\n".to_vec()
}

/// Records in `bytes`: lines (neither format has a newline inside one
/// here).
fn bytecount(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

#[test]
fn baseline_changes_reach_every_streamed_record() {
    let (t, _) = tree();
    let root = t.arg("");
    let root = root.trim_end_matches('/');
    // The baseline: this tree's own report with one code's count raised
    // and another's lowered, so each change shows; and a report of other
    // codes, against which the tree's are new.
    let mut base = azsm(&["scan", "--format", "json", root]).json();
    for c in base["codes"].as_array_mut().unwrap() {
        let n = c["count"].as_u64().unwrap();
        match c["code"].as_str().unwrap() {
            "AZSM2062" => c["count"] = (n + 1).into(),
            "AZSM0001" => c["count"] = (n - 1).into(),
            _ => {}
        }
    }
    let old = Tree::new().file("old.log", "jobRunName=j AZSM1045 gone\n");
    let old_report = azsm(&["scan", "--format", "json", &old.arg("old.log")]).json();
    let dir = Tree::new()
        .file("base.json", base.to_string())
        .file("old.json", old_report.to_string());
    let report = azsm(&[
        "scan",
        "--format",
        "json",
        "--baseline",
        &dir.arg("base.json"),
        root,
    ])
    .json();
    let change_of = |code: &str| -> String {
        report["codes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .unwrap()["change"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(change_of("AZSM2062"), "decreased");
    assert_eq!(change_of("AZSM0001"), "increased");
    assert_eq!(change_of("AZSM1024"), "unchanged");
    let mut first: Option<String> = None;
    for j in ["1", "8"] {
        let args = |format| {
            azsm(&[
                "scan",
                "-j",
                j,
                "--format",
                format,
                "--baseline",
                &dir.arg("base.json"),
                root,
            ])
        };
        let nd = args("ndjson");
        let mut n = 0;
        for line in nd.stdout.lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            assert_eq!(
                v["change"],
                change_of(v["code"].as_str().unwrap()),
                "{line}"
            );
            n += 1;
        }
        assert_eq!(n, report["summary"]["events"].as_u64().unwrap());
        let csv = args("csv");
        let mut rdr = csv::Reader::from_reader(csv.stdout.as_bytes());
        assert_eq!(&rdr.headers().unwrap()[9], "change");
        let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len() as u64, n);
        for r in &rows {
            assert_eq!(&r[9], change_of(&r[2]));
        }
        match &first {
            None => first = Some(nd.stdout),
            Some(f) => assert!(*f == nd.stdout, "-j {j}"),
        }
    }
    // New codes: against a baseline that lacks them.
    let nd = azsm(&[
        "scan",
        "--format",
        "ndjson",
        "--baseline",
        &dir.arg("old.json"),
        &t.arg("a/first.log"),
    ]);
    let changes: std::collections::BTreeSet<String> = nd
        .stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["change"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(changes, ["new".to_string()].into());
}

#[test]
fn an_archives_records_follow_its_entries() {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, body) in [
        ("logs/one.log", "x\nAZSM1024 a\nx\nAZSM1024 b\n"),
        ("logs/two.log", "AZSM2062 c\nx\nAZSM2062 d\n"),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, name, body.as_bytes()).unwrap();
    }
    let t = Tree::new().file("b.tar", tar.into_inner().unwrap());
    let nd = azsm(&["scan", "--format", "ndjson", &t.arg("b.tar")]);
    let got: Vec<(String, u64)> = parsed(&nd.stdout)
        .into_iter()
        .map(|r| (r.0.rsplit('/').next().unwrap().to_string(), r.1))
        .collect();
    let want = [
        ("one.log", 2),
        ("one.log", 4),
        ("two.log", 1),
        ("two.log", 3),
    ];
    assert_eq!(
        got,
        want.map(|(p, l)| (p.to_string(), l)),
        "entry order, then line order"
    );
}

/// A line the endless inputs below repeat.
const LINE: &[u8] = b"2024-03-15T08:00:00Z jobRunName=J AZSM2062 an item failed\n";

/// Waits for `child` (see [`wait`]) and its feeder; its status and stderr.
fn ended(
    child: &mut std::process::Child,
    feeder: std::thread::JoinHandle<()>,
    why: &str,
) -> (std::process::ExitStatus, String) {
    let status = wait(child, why);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    feeder.join().unwrap();
    (status, err)
}

/// Starts `azsm ARGS -` with an endless standard input.
fn endless(args: &[&str]) -> (std::process::Child, std::thread::JoinHandle<()>) {
    let mut child = spawn(&[args, &["-"]].concat());
    let mut stdin = child.stdin.take().expect("stdin");
    let block = LINE.repeat(1000);
    let feeder = std::thread::spawn(move || while stdin.write_all(&block).is_ok() {});
    (child, feeder)
}

/// Waits for `child`; the guard only catches a hang, it decides nothing.
fn wait(child: &mut std::process::Child, what: &str) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "{what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_closed_pipe_stops_an_endless_scan_quietly() {
    // Were the scan to go on after the reader left, it would never end:
    // its input does not.
    let (mut child, feeder) = endless(&["scan", "--format", "ndjson"]);
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).unwrap();
    let v: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(v["code"], "AZSM2062");
    // The reader is gone (the BufReader was dropped with the pipe).
    let (status, err) = ended(&mut child, feeder, "azsm scans on after its reader left");
    assert_eq!(status.code(), Some(0), "{err}");
    assert_eq!(err, "", "a closed pipe is no error");
}

#[test]
fn ctrl_c_leaves_whole_records_and_says_they_are_incomplete() {
    let (mut child, feeder) = endless(&["scan", "--format", "ndjson"]);
    let stdout = child.stdout.take().expect("stdout");
    // Read everything azsm writes, on a thread, so it never waits for us.
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut r = BufReader::new(stdout);
        let mut told = false;
        loop {
            let mut buf = Vec::new();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            all.extend_from_slice(&buf);
            if !told {
                told = true;
                let _ = lines_tx.send(());
            }
        }
        all
    });
    // Records are on stdout: the scan is under way, the handler in place.
    lines_rx.recv().expect("a first record");
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(ok.success());
    let (status, err) = ended(&mut child, feeder, "azsm ignores SIGINT");
    let out = reader.join().unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(out.ends_with(b"\n"), "the output ends at a whole record");
    let text = String::from_utf8(out).unwrap();
    let mut n = 0;
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(v["code"], "AZSM2062");
        n += 1;
    }
    assert!(n >= 1);
    assert_eq!(
        err,
        "azsm: interrupted; no report written; incomplete, ending at a whole record: \
         the ndjson on standard output\n"
    );
}
