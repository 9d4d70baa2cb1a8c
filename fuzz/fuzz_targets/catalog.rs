//! The catalog Markdown parser: any text parses without panicking, every
//! row it accepts is a code, every warning names a line of the input. The
//! oracle is `azsm::testing::check_catalog`, which the tests also run over
//! `fuzz/regressions/catalog/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| azsm::testing::check_catalog(input));
