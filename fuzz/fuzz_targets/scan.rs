//! The line scanner against the plain reference: for any bytes, any chunk
//! size and any stream block size, the fast paths give the reference's
//! counts, and all paths give the same tally (examples included), also
//! when lines are scanned in pieces (`long_line`).
#![no_main]

use azsm::jobkey::KeyFinder;
use azsm::read::{self, ReadOptions};
use azsm::scan::Scanner;
use azsm::testing::{counts, reference};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&[a, b, c], data)) = input.split_first_chunk::<3>() else {
        return;
    };
    let path = if c & 1 == 0 {
        "var/log/xdatamoved.log"
    } else {
        "archive/38fb0f65-b642-4cb7-a8a0-f406e3e6f85a/job.log"
    };
    let opts = ReadOptions {
        binary: true,
        chunk: usize::MAX,
        ..ReadOptions::default()
    };
    let scanner = Scanner::new(KeyFinder::default());
    let whole = read::scan_bytes(&scanner, path, data, opts);
    assert_eq!(counts(&whole), reference(path, data));
    let chunked = read::scan_bytes(&scanner, path, data, ReadOptions { chunk: 1 + a as usize, ..opts });
    assert_eq!(chunked, whole);
    let streamed = read::scan_reader(
        &scanner,
        path,
        data,
        ReadOptions { chunk: 1 + a as usize, block: 1 + b as usize, ..opts },
    );
    assert_eq!(streamed, whole);
    let pieces = read::scan_reader(
        &scanner,
        path,
        data,
        ReadOptions { chunk: 1 + a as usize, block: 1 + b as usize, long_line: 1 + (c >> 1) as usize, ..opts },
    );
    assert_eq!(pieces, whole);
});
