//! How far a bare scan can scale from one thread to two on this machine:
//! the ceiling for azsm's `-j2`/`-j1` throughput ratio (issue 3's target
//! is 1.7x).
//!
//! ```text
//! cargo run --release --example ceiling -- FILE [--runs N]
//! ```
//!
//! A search for `AZSM` over a big sparse log is memory-bound: one core
//! streams the page cache at close to what the memory gives it, and two
//! cores share that memory's bandwidth. So before asking azsm to scale, this
//! measures the least any scanner must do, with none of azsm's diagnosis:
//! the file is mapped the way azsm maps it ([`azsm::input::mmap::Mapped`], no
//! `unsafe` here), its 16 MiB chunks ([`azsm::pipeline::TALLY_CHUNK`], as for
//! the JSON report) are handed out to the threads in order, and each chunk
//! is searched for `AZSM` and has its newlines counted, 64 KiB at a time
//! (the two passes azsm makes).
//! This runs with one thread and with two, alternating, twice: keeping the
//! chunks' pages mapped, and releasing each chunk's pages once it is
//! searched, as azsm must to keep its memory bounded (each release is a
//! TLB shootdown on the other core when two threads run). It prints the
//! median times and the ratios; the bare scan's ratio is what azsm's
//! scan could reach if its own work cost nothing.
//!
//! Set the page cache as `scripts/bench.sh` does (drop the file and read it
//! back) before running this: how the file came into the cache decides how
//! the kernel maps it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use azsm::input::mmap::{guarded, Mapped};
use azsm::pipeline::TALLY_CHUNK as CHUNK;

/// Bytes searched at a time, then counted for newlines: azsm's block.
const BLOCK: usize = 64 << 10;

/// `AZSM`s plus newlines in `chunk`, searched a block at a time.
fn bare_scan(chunk: &[u8]) -> usize {
    let finder = memchr::memmem::Finder::new(b"AZSM");
    chunk
        .chunks(BLOCK)
        .map(|b| finder.find_iter(b).count() + bytecount::count(b, b'\n'))
        .sum()
}

/// One scan of `file` on `threads` threads: seconds, and what was counted.
fn run(file: &std::fs::File, threads: usize, release: bool) -> Result<(f64, usize), String> {
    let start = Instant::now();
    let map = Mapped::open(file).map_err(|e| format!("cannot map the file: {e}"))?;
    let bytes = map.bytes();
    let next = AtomicUsize::new(0);
    let counted = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0;
                    loop {
                        let at = next.fetch_add(1, Ordering::Relaxed).saturating_mul(CHUNK);
                        if at >= bytes.len() {
                            return n;
                        }
                        let chunk = &bytes[at..(at + CHUNK).min(bytes.len())];
                        n += guarded(|| bare_scan(chunk)).0;
                        if release {
                            map.release_part(chunk);
                        }
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or(0))
            .sum::<usize>()
    });
    drop(map);
    Ok((start.elapsed().as_secs_f64(), counted))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut path = None;
    let mut runs = 9usize;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--runs" => {
                runs = match args.get(i + 1).and_then(|r| r.parse().ok()) {
                    Some(r) if r > 0 => r,
                    _ => fail("--runs needs a positive number"),
                };
                i += 1;
            }
            p if path.is_none() && !p.starts_with('-') => path = Some(p.to_string()),
            other => fail(&format!("unexpected argument '{other}'")),
        }
        i += 1;
    }
    let Some(path) = path else {
        fail("usage: ceiling FILE [--runs N]");
    };
    let file = std::fs::File::open(&path).unwrap_or_else(|e| fail(&format!("{path}: {e}")));
    for release in [false, true] {
        let (mut one, mut two) = (Vec::new(), Vec::new());
        let mut counts = Vec::new();
        // One warm-up pair, then `runs` pairs, alternating.
        for round in 0..=runs {
            for threads in [1, 2] {
                let (t, n) =
                    run(&file, threads, release).unwrap_or_else(|e| fail(&format!("{path}: {e}")));
                counts.push(n);
                if round > 0 {
                    if threads == 1 { &mut one } else { &mut two }.push(t);
                }
            }
        }
        if counts.windows(2).any(|w| w[0] != w[1]) {
            fail(&format!(
                "{path}: the counts differ from run to run (is the file changing?)"
            ));
        }
        let (a, b) = (median(one), median(two));
        println!(
            "bare scan, pages {}: -j1 {:.1} ms, -j2 {:.1} ms, -j2/-j1 throughput = {:.2}x (median of {runs})",
            if release { "released chunk by chunk" } else { "kept mapped" },
            a * 1e3,
            b * 1e3,
            a / b
        );
    }
}

fn fail(message: &str) -> ! {
    eprintln!("ceiling: {message}");
    std::process::exit(2);
}
