//! The fuzz targets' oracles over the inputs kept in `fuzz/regressions/`
//! (crashes and slow units the fuzzers found, plus hand-picked seeds), run
//! as ordinary tests so that CI holds them without cargo-fuzz.

use std::path::Path;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .map(|p| (p.display().to_string(), std::fs::read(&p).expect("read")))
        .collect();
    out.sort();
    out
}

#[test]
fn scan_regressions_hold() {
    let inputs = inputs("scan");
    assert!(!inputs.is_empty());
    for (name, input) in inputs {
        let r = std::panic::catch_unwind(|| azsm::testing::check_scan(&input));
        assert!(r.is_ok(), "{name}");
    }
}

#[test]
fn catalog_regressions_hold() {
    let inputs = inputs("catalog");
    assert!(!inputs.is_empty());
    for (name, input) in inputs {
        let r = std::panic::catch_unwind(|| azsm::testing::check_catalog(&input));
        assert!(r.is_ok(), "{name}");
    }
}

#[test]
fn merge_regressions_hold() {
    let inputs = inputs("merge");
    assert!(!inputs.is_empty());
    for (name, input) in inputs {
        let r = std::panic::catch_unwind(|| azsm::testing::check_merge(&input));
        assert!(r.is_ok(), "{name}");
    }
}
