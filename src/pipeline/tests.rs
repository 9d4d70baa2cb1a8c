//! The read paths agree with each other and survive what files do while read.

use super::*;
use crate::input::walk::{self, Input, Source};
use crate::pipeline::file::InputCtx;
use crate::pipeline::read::*;
use crate::scan::jobkey::KeyFinder;
use crate::scan::Scanner;
use crate::tally::Tally;
use proptest::prelude::*;
use std::fs::File;
use std::io::Seek;

#[test]
fn a_small_file_is_read_as_long_as_it_was_when_opened() {
    use std::io::Write;
    let mut f = tempfile::tempfile().unwrap();
    f.write_all(b"AZSM2062 one\n").unwrap();
    let len = f.metadata().unwrap().len();
    // Grown after its length was taken: read as it was.
    f.write_all(b"AZSM2063 two\n").unwrap();
    let read = |f: &mut File, len: u64| {
        f.rewind().unwrap();
        let mut buf = Vec::new();
        let n = read_known(f, len, &mut buf).unwrap();
        assert_eq!(n, buf.len());
        buf
    };
    assert_eq!(read(&mut f, len), b"AZSM2062 one\n");
    // A length of 0 (as `/proc` files say) reads to the end.
    assert_eq!(read(&mut f, 0), b"AZSM2062 one\nAZSM2063 two\n");
    // Shorter than it was: what is there, for the caller to report.
    f.set_len(5).unwrap();
    assert_eq!(read(&mut f, len), b"AZSM2");
}

/// A log line of one of a few kinds: copy-log records with and without
/// a job key, keyed job-level lines, lines without codes.
fn line(kind: u8, n: u16) -> String {
    let job = format!("{n:08x}-0000-4000-8000-00000000000{}", n % 7);
    match kind % 5 {
        0 => format!(
            "2024-03-15T08:00:{:02}.001Z AZSM0000 Transferred F 12 a/b/f{n}.txt\n",
            n % 60
        ),
        1 => {
            format!("2024-03-15T08:01:00.002Z jobRunName={job} AZSM2061 Failed F 9 c/d/g{n}.bin\n")
        }
        2 => {
            format!("2024-03-15T08:02:00.003Z ERROR job run id: {job} AZSM1041 permission denied\n")
        }
        3 => format!("2024-03-15T08:03:00.004Z INFO progress itemsScanned={n}\n"),
        _ => format!("AZSM2070 Failed F {n} /mnt/src/x{n}.docx\n"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A mapped file scanned in many small windows (each window's chunk
    /// outputs pushed while the next window is scanned) gives the tally
    /// of one pass over the whole file: no window's events lost, none
    /// out of order (line numbers, rule-3 keys carried across windows).
    #[test]
    fn windows_of_a_mapped_file_add_up_to_the_whole(
        lines in proptest::collection::vec((0u8..5, 0u16..400), 1..400),
        window in 1usize..600,
        chunk in 1usize..300,
    ) {
        let text: String = lines.iter().map(|&(k, n)| line(k, n)).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("xdatamoved.log");
        std::fs::write(&path, &text).unwrap();
        let display = "var/log/xdatamoved.log";
        let scanner = Scanner::new(KeyFinder::default());
        let whole = ReadOptions { chunk: usize::MAX, ..ReadOptions::default() };
        let want = scan_bytes(&scanner, display, text.as_bytes(), whole, &InputCtx::none());
        let input = Input {
            display: display.into(),
            source: Source::File(path),
        };
        let opts = ReadOptions { mmap_min: 0, window, chunk, ..ReadOptions::default() };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let got = pool.install(|| scan_input(&scanner, &input, opts, &InputCtx::none()));
        prop_assert_eq!(got, want);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Many inputs scanned at once, some mapped and split in small
    /// chunks (so that a thread waiting for a chunk runs another input
    /// meanwhile, which then starts a running tally of its own), add up
    /// to each input scanned alone, on one to four threads: no input's
    /// tally lost or merged twice.
    #[test]
    fn inputs_scanned_together_add_up_to_each_alone(
        files in proptest::collection::vec(
            proptest::collection::vec((0u8..5, 0u16..400), 0..120),
            1..24,
        ),
        threads in 1usize..5,
        chunk in 64usize..2000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let inputs: Vec<Input> = files
            .iter()
            .enumerate()
            .map(|(i, lines)| {
                let path = dir.path().join(format!("{i:02}.log"));
                let text: String = lines.iter().map(|&(k, n)| line(k, n)).collect();
                std::fs::write(&path, text).unwrap();
                Input {
                    display: format!("logs/{i:02}.log"),
                    source: Source::File(path),
                }
            })
            .collect();
        let scanner = Scanner::new(KeyFinder::default());
        // Files of 4 KiB or more are mapped, in chunks of `chunk` bytes.
        let opts = ReadOptions { mmap_min: 4096, window: 4 * chunk, chunk, ..ReadOptions::default() };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let got = pool.install(|| scan_all(&scanner, &inputs, opts, None));
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let mut want = Tally::default();
        for (i, input) in inputs.iter().enumerate() {
            let mut t = one.install(|| scan_input(&scanner, input, opts, &InputCtx::none()));
            t.set_input(u32::try_from(i).unwrap());
            want += t;
        }
        prop_assert_eq!(got, want);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A tree whose files are scanned as the walk finds them gives the
    /// walk's list and the tally of the walk first, the scan after, on
    /// one to four threads: files in nested and in job-named
    /// directories, many in one directory, some mapped in small chunks
    /// (so that a thread waiting for a chunk walks or scans meanwhile).
    #[test]
    fn files_scanned_as_walked_add_up_to_walking_first(
        files in proptest::collection::vec(
            (0usize..6, proptest::collection::vec((0u8..5, 0u16..400), 0..120)),
            0..30,
        ),
        threads in 1usize..5,
        chunk in 64usize..2000,
    ) {
        const DIRS: [&str; 6] = [
            "",
            "a",
            "a/b",
            "xdmdata/archive/0a1b2c3d-0000-4000-8000-000000000001",
            "xdmdata/copy log",
            "xdmdata/copy log",
        ];
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("bundle");
        for (i, (d, lines)) in files.iter().enumerate() {
            let at = root.join(DIRS[*d]);
            std::fs::create_dir_all(&at).unwrap();
            let text: String = lines.iter().map(|&(k, n)| line(k, n)).collect();
            std::fs::write(at.join(format!("{i:02}.log")), text).unwrap();
        }
        std::fs::create_dir_all(&root).unwrap();
        let scanner = Scanner::new(KeyFinder::default());
        let opts = ReadOptions { mmap_min: 4096, window: 4 * chunk, chunk, ..ReadOptions::default() };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let (found, got) = pool.install(|| scan_walking(&scanner, &root, false, opts, None));
        let want_found = pool.install(|| walk::find(std::slice::from_ref(&root), false));
        prop_assert_eq!(&found, &want_found);
        prop_assert_eq!(found.inputs.len(), files.len());
        let want = pool.install(|| scan_all(&scanner, &want_found.inputs, opts, None));
        prop_assert_eq!(got, want);
    }
}
