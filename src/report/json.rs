//! `--format json`: the whole report model, as one JSON document.
//!
//! Keys are stable (see the README's schema); new keys may be added within
//! a schema version, never renamed or removed.

use std::io::{self, Write};

use super::Report;

/// Writes `report` as pretty-printed JSON followed by a newline.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // The serializer makes many small writes (a key, a quote, a few spaces
    // of indent): into a buffer of its own they are plain copies, not
    // calls through `dyn Write`.
    let mut buf = io::BufWriter::with_capacity(64 << 10, out);
    serde_json::to_writer_pretty(&mut buf, report)?;
    buf.write_all(b"\n")?;
    buf.flush()
}
