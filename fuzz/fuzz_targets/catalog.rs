//! The catalog Markdown parser: any text parses without panicking, every
//! row it accepts is a well-formed code with a message, and every warning
//! names a line of the input.
#![no_main]

use azsm::catalog::Catalog;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let doc = String::from_utf8_lossy(data);
    let (catalog, warnings) = Catalog::parse(&doc);
    for (code, _entry) in catalog.iter() {
        assert!(code.to_string().starts_with("AZSM"));
    }
    let lines = doc.lines().count() + 1;
    for w in &warnings {
        assert!(w.line >= 1 && w.line <= lines, "{w:?} names a line of the input");
    }
});
