//! The line scanner against the plain reference: for any bytes, any chunk
//! size, stream block size and long-line limit, the fast paths give the
//! reference's counts and all paths the same tally (examples included).
//! The oracle is `azsm::testing::check_scan`, which the tests also run
//! over `fuzz/regressions/scan/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| azsm::testing::check_scan(input));
