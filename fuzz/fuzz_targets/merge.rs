//! The JSON report reader of `azsm merge` and `--baseline`: any bytes fail
//! with a reason or read into a tally whose report survives a round trip.
//! The oracle is `azsm::testing::check_merge`, which the tests also run
//! over `fuzz/regressions/merge/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| azsm::testing::check_merge(input));
