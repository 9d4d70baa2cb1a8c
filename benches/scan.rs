//! Micro benchmarks: the scanner at three code densities over 64 MiB, tally
//! merging (file by file, and two threads' halves at the end of a scan),
//! ranking, and catalog start-up. `cargo bench --bench scan`.
//!
//! The end-to-end comparison with ripgrep is `scripts/bench.sh`.

use std::sync::Arc;

use azsm::model::catalog::Catalog;
use azsm::pipeline::file::{self, FileCtx, InputCtx};
use azsm::pipeline::{self, ReadOptions};
use azsm::scan::jobkey::KeyFinder;
use azsm::scan::Scanner;
use azsm::tally::Tally;
use divan::counter::BytesCount;
use divan::Bencher;

fn main() {
    divan::main();
}

const SIZE: usize = 64 << 20;

/// 64 MiB of agent-log lines; one in `every` carries a code, half of those
/// with a job key, the rest carried from an earlier key.
fn corpus(every: usize) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(7);
    let mut buf = Vec::with_capacity(SIZE + 512);
    let mut n = 0usize;
    let codes = ["AZSM2062", "AZSM1024", "AZSM2080", "AZSM0000", "AZSM1060"];
    while buf.len() < SIZE {
        buf.extend_from_slice(b"2024-03-15T08:55:23.123Z ");
        if n % every == 0 {
            let code = codes[rng.usize(..codes.len())];
            if rng.bool() {
                buf.extend_from_slice(
                    b"ERROR jobRunName=38fb0f65-b642-4cb7-a8a0-f406e3e6f85a status=",
                );
            } else {
                buf.extend_from_slice(b"ERROR copy failed for /export/data/file.txt status=");
            }
            buf.extend_from_slice(code.as_bytes());
            buf.extend_from_slice(b" details follow\n");
        } else {
            buf.extend_from_slice(b"INFO xdatamoved: transferred /export/data/some/deeper/path/file.bin bytes=1048576 azsmga101\n");
        }
        n += 1;
    }
    buf
}

#[divan::bench(args = [10_000, 100, 1])]
fn scan_chunk(bencher: Bencher, every: usize) {
    let data = corpus(every);
    let scanner = Scanner::new(KeyFinder::default());
    let ctx = FileCtx::new("var/log/xdatamoved.log", &InputCtx::none());
    bencher
        .counter(BytesCount::new(data.len()))
        .bench(|| file::scan_chunk(&scanner, divan::black_box(&data), &ctx));
}

#[divan::bench(args = [10_000, 100, 1])]
fn scan_bytes_parallel(bencher: Bencher, every: usize) {
    let data = corpus(every);
    let scanner = Scanner::new(KeyFinder::default());
    bencher.counter(BytesCount::new(data.len())).bench(|| {
        pipeline::scan_bytes(
            &scanner,
            "var/log/xdatamoved.log",
            divan::black_box(&data),
            ReadOptions::default(),
            &InputCtx::none(),
        )
    });
}

fn tallies(files: usize) -> Vec<Tally> {
    let data = corpus(10);
    let small = &data[..256 << 10];
    let scanner = Scanner::new(KeyFinder::default());
    (0..files)
        .map(|i| {
            let ctx = FileCtx::new(
                &format!("archive/{i:08x}-b642-4cb7-a8a0-f406e3e6f85a/job.log"),
                &InputCtx::none(),
            );
            let out = file::scan_chunk(&scanner, small, &ctx);
            let mut t = Tally::default();
            out.acc.drain_into(&mut t, &Arc::clone(&ctx.path), 0, None);
            t
        })
        .collect()
}

#[divan::bench(args = [100, 1000])]
fn merge_tallies(bencher: Bencher, files: usize) {
    let parts = tallies(files);
    bencher.bench(|| {
        let mut all = Tally::default();
        for t in parts.iter().cloned() {
            all += t;
        }
        all
    });
}

/// Two threads' running tallies at the end of a scan: half of `files`
/// files' tallies each, folded.
fn halves(files: usize) -> (Tally, Tally) {
    let parts = tallies(files);
    let (first, second) = parts.split_at(files / 2);
    let fold = |ts: &[Tally]| {
        let mut all = Tally::default();
        for t in ts.iter().cloned() {
            all += t;
        }
        all
    };
    (fold(first), fold(second))
}

/// The end of a scan on two threads: each thread's running tally (half
/// the files each, with jobs and files of their own) merged into one.
#[divan::bench(args = [1000, 4000])]
fn merge_two_halves(bencher: Bencher, files: usize) {
    let (a, b) = halves(files);
    bencher
        .with_inputs(|| (a.clone(), b.clone()))
        .bench_values(|(mut a, b)| {
            a += b;
            a
        });
}

/// [`merge_two_halves`] as a scan ends it: `Tally::merge_parallel` on a
/// pool of two threads (the codes' and sub-causes' tallies beside the
/// jobs').
#[divan::bench(args = [1000, 4000])]
fn merge_two_halves_on_two_threads(bencher: Bencher, files: usize) {
    let (a, b) = halves(files);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("a pool of two threads");
    bencher
        .with_inputs(|| (a.clone(), b.clone()))
        .bench_values(|(mut a, b)| {
            pool.install(|| a.merge_parallel(b));
            a
        });
}

#[divan::bench]
fn rank(bencher: Bencher) {
    let mut all = Tally::default();
    for t in tallies(1000) {
        all += t;
    }
    let catalog = Catalog::embedded();
    let causes = azsm::model::causes::Causes::embedded();
    bencher.bench(|| azsm::diagnose::rank::rank(&all, catalog, causes));
}

#[divan::bench]
fn catalog_startup() -> usize {
    Catalog::parse(divan::black_box(azsm::model::catalog::EMBEDDED_DOC))
        .0
        .len()
}
