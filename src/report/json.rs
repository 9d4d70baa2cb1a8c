//! `--format json`: the whole report model, as one JSON document.
//!
//! Keys are stable (see the README's schema); new keys may be added within
//! a schema version, never renamed or removed.
//!
//! The bytes are exactly those of `serde_json::to_writer_pretty` (plus a
//! final newline), but the document is tens of megabytes on a big bundle
//! (`codes[].sites` lists every input per code, for `azsm merge`), so the
//! two big arrays, `codes` and `jobs`, are rendered in batches of elements,
//! on the scan's thread pool when there is one, each batch into a buffer
//! of its own, and the buffers are written in order. Each element is
//! serialized by `report/pretty.rs`, a serializer that writes serde_json's
//! pretty bytes starting at the element's depth, with a faster escaper.

use std::io::{self, Write};

use rayon::prelude::*;
use serde::Serialize;

use super::pretty::render;
use super::Report;

/// Writes `report` as pretty-printed JSON followed by a newline, on the
/// current thread.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_with(report, None, out)
}

/// Writes `report` as [`write()`] does, rendering the big arrays on `pool`
/// (when given) first: nothing is written unless all of it rendered.
pub fn write_with(
    report: &Report,
    pool: Option<&rayon::ThreadPool>,
    out: &mut dyn Write,
) -> io::Result<()> {
    for piece in pieces(report, pool)? {
        out.write_all(&piece)?;
    }
    Ok(())
}

/// The document as buffers to write in order (the last ends with the
/// final newline).
pub fn pieces(report: &Report, pool: Option<&rayon::ThreadPool>) -> io::Result<Vec<Vec<u8>>> {
    let (codes, jobs) = match pool {
        Some(pool) => pool.install(|| {
            rayon::join(
                || array(&report.codes, 2, true),
                || array(&report.jobs, 2, true),
            )
        }),
        None => (
            array(&report.codes, 2, false),
            array(&report.jobs, 2, false),
        ),
    };
    let (codes, jobs) = (codes?, jobs?);
    let mut doc = Document {
        pieces: Vec::with_capacity(codes.len() + jobs.len() + 3),
        head: Vec::with_capacity(64 << 10),
        first: true,
    };
    // In the order of `Report`'s fields, as serde writes them.
    doc.head.push(b'{');
    doc.field("version", &report.version)?;
    doc.field("tool", &report.tool)?;
    doc.field("catalog", &report.catalog)?;
    doc.field("scanned", &report.scanned)?;
    doc.field("summary", &report.summary)?;
    doc.field("attribution", &report.attribution)?;
    doc.field("scopes", &report.scopes)?;
    doc.rendered("codes", codes);
    doc.rendered("jobs", jobs);
    doc.field("unattributed", &report.unattributed)?;
    doc.field("remediations", &report.remediations)?;
    doc.field("not_errors", &report.not_errors)?;
    doc.field("window", &report.window)?;
    doc.field("errors", &report.errors)?;
    if let Some(baseline) = &report.baseline {
        doc.field("baseline", baseline)?;
    }
    doc.head.extend_from_slice(b"\n}\n");
    let mut pieces = doc.pieces;
    pieces.push(doc.head);
    Ok(pieces)
}

/// The top-level object being written: the pieces done and the one being
/// filled.
struct Document {
    pieces: Vec<Vec<u8>>,
    head: Vec<u8>,
    first: bool,
}

impl Document {
    /// Starts the member `key` (a plain identifier: nothing to escape).
    fn key(&mut self, key: &str) {
        self.head
            .extend_from_slice(if self.first { b"\n  \"" } else { b",\n  \"" });
        self.first = false;
        self.head.extend_from_slice(key.as_bytes());
        self.head.extend_from_slice(b"\": ");
    }

    /// The member `key` with `value`, rendered here.
    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> io::Result<()> {
        self.key(key);
        render(&mut self.head, value, 1)
    }

    /// The member `key` with a value rendered already, in pieces.
    fn rendered(&mut self, key: &str, value: Vec<Vec<u8>>) {
        self.key(key);
        let head = std::mem::replace(&mut self.head, Vec::with_capacity(64 << 10));
        self.pieces.push(head);
        self.pieces.extend(value);
    }
}

/// Elements per batch: enough batches for the threads to share the work
/// however uneven the elements are, few enough that each is worth a task.
const BATCHES: usize = 64;

/// `items` as a JSON array whose elements sit `depth` levels deep, in
/// pieces (the closing bracket in the last), rendered in parallel on the
/// current rayon pool when `parallel`.
fn array<T: Serialize + Sync>(
    items: &[T],
    depth: usize,
    parallel: bool,
) -> io::Result<Vec<Vec<u8>>> {
    if items.is_empty() {
        return Ok(vec![b"[]".to_vec()]);
    }
    let per = items.len().div_ceil(BATCHES);
    let batch = |(n, batch): (usize, &[T])| -> io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        for (i, item) in batch.iter().enumerate() {
            buf.extend_from_slice(if n == 0 && i == 0 { b"[\n" } else { b",\n" });
            indent(&mut buf, depth);
            render(&mut buf, item, depth)?;
        }
        Ok(buf)
    };
    let mut pieces: Vec<Vec<u8>> = if parallel {
        items
            .par_chunks(per)
            .enumerate()
            .map(batch)
            .collect::<io::Result<_>>()?
    } else {
        items
            .chunks(per)
            .enumerate()
            .map(batch)
            .collect::<io::Result<_>>()?
    };
    if let Some(last) = pieces.last_mut() {
        last.push(b'\n');
        indent(last, depth - 1);
        last.push(b']');
    }
    Ok(pieces)
}

/// serde_json's pretty indent: two spaces a level.
fn indent(buf: &mut Vec<u8>, depth: usize) {
    for _ in 0..depth {
        buf.extend_from_slice(b"  ");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde_json's own rendering, as the format was written before.
    fn reference<T: Serialize>(value: &T) -> Vec<u8> {
        let mut out = Vec::new();
        serde_json::to_writer_pretty(&mut out, value).unwrap();
        out
    }

    #[test]
    fn arrays_at_any_depth_match_serde_json() {
        #[derive(Serialize)]
        struct Row {
            name: String,
            list: Vec<u32>,
            empty: Vec<u32>,
            nested: Option<Box<Row>>,
        }
        let row = |n: usize| Row {
            name: format!("r\"{n}\n\u{e9}"),
            list: (0..n as u32).collect(),
            empty: Vec::new(),
            nested: (n % 2 == 1).then(|| {
                Box::new(Row {
                    name: "in".into(),
                    list: vec![1],
                    empty: vec![],
                    nested: None,
                })
            }),
        };
        for n in [0, 1, 2, 63, 64, 65, 200] {
            let rows: Vec<Row> = (0..n).map(row).collect();
            for parallel in [false, true] {
                // As the top-level document's member: `[[...]]` has the
                // rows two levels deep, like `codes` in the report.
                let mut got = b"[\n  ".to_vec();
                for piece in array(&rows, 2, parallel).unwrap() {
                    got.extend_from_slice(&piece);
                }
                got.extend_from_slice(b"\n]");
                let want = reference(&[&rows]);
                assert_eq!(
                    String::from_utf8(got).unwrap(),
                    String::from_utf8(want).unwrap(),
                    "{n} rows, parallel: {parallel}"
                );
            }
        }
    }
}
