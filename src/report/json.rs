//! `--format json`: the whole report model, as one JSON document.
//!
//! Keys are stable (see the README's schema); new keys may be added within
//! a schema version, never renamed or removed.

use std::io::{self, Write};

use super::Report;

/// Writes `report` as pretty-printed JSON followed by a newline.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}
