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
//! of its own, a group of batches at a time; each group is written in
//! order before the next is rendered into the same buffers. Each element is
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

/// Writes `report` as [`write()`] does, rendering the big arrays' batches
/// on `pool` (when given) a group at a time and writing each group before
/// the next is rendered. The buffers of one group are reused for the next,
/// so the document is never all in memory: rendering it whole first would
/// cost a page fault for each of its fresh pages. Rendering into memory
/// cannot fail for the report's types; should it, what came before is
/// written already and the error is returned.
pub fn write_with(
    report: &Report,
    pool: Option<&rayon::ThreadPool>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut doc = Document {
        out,
        pool,
        head: Vec::with_capacity(64 << 10),
        first: true,
        slots: Vec::new(),
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
    doc.array("codes", &report.codes)?;
    doc.array("jobs", &report.jobs)?;
    doc.field("unattributed", &report.unattributed)?;
    doc.field("remediations", &report.remediations)?;
    doc.field("not_errors", &report.not_errors)?;
    doc.field("window", &report.window)?;
    doc.field("errors", &report.errors)?;
    doc.field("notes", &report.notes)?;
    if let Some(baseline) = &report.baseline {
        doc.field("baseline", baseline)?;
    }
    doc.end()
}

/// The top-level object being written: where to, the small members not
/// written yet, and the buffers the big arrays' batches are rendered into.
struct Document<'a, 'p> {
    out: &'a mut dyn Write,
    pool: Option<&'p rayon::ThreadPool>,
    head: Vec<u8>,
    first: bool,
    /// One buffer per batch of a group, kept from group to group.
    slots: Vec<Vec<u8>>,
}

impl Document<'_, '_> {
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

    /// The member `key` with the array `items`, whose elements sit two
    /// levels deep: everything before it is written, then its batches, a
    /// group at a time (each batch on a thread of the pool, when there is
    /// one), then the closing bracket.
    fn array<T: Serialize + Sync>(&mut self, key: &str, items: &[T]) -> io::Result<()> {
        self.key(key);
        if items.is_empty() {
            self.head.extend_from_slice(b"[]");
            return Ok(());
        }
        self.out.write_all(&self.head)?;
        self.head.clear();
        let per = items.len().div_ceil(BATCHES);
        let batches: Vec<(usize, &[T])> = items.chunks(per).enumerate().collect();
        let group = self
            .pool
            .map_or(1, |p| GROUP_PER_THREAD * p.current_num_threads().max(1));
        self.slots.resize_with(group.min(batches.len()), Vec::new);
        for batches in batches.chunks(group) {
            let slots = &mut self.slots[..batches.len()];
            let fill = |(buf, &(n, batch)): (&mut Vec<u8>, &(usize, &[T]))| {
                buf.clear();
                batch_into(buf, n, batch, 2)
            };
            match self.pool {
                Some(pool) => pool.install(|| {
                    slots
                        .par_iter_mut()
                        .zip(batches.par_iter())
                        .try_for_each(fill)
                })?,
                None => slots.iter_mut().zip(batches).try_for_each(fill)?,
            }
            for buf in slots.iter() {
                self.out.write_all(buf)?;
            }
        }
        self.head.push(b'\n');
        indent(&mut self.head, 1);
        self.head.push(b']');
        Ok(())
    }

    /// Closes the object and writes what is left.
    fn end(mut self) -> io::Result<()> {
        self.head.extend_from_slice(b"\n}\n");
        self.out.write_all(&self.head)
    }
}

/// Elements per batch: enough batches for the threads to share the work
/// however uneven the elements are, few enough that each is worth a task.
const BATCHES: usize = 64;

/// Batches rendered at once per thread before they are written: enough
/// that a thread given a long batch does not leave the others idle for
/// long at the end of a group, few enough that the buffers stay small.
const GROUP_PER_THREAD: usize = 4;

/// Renders batch number `n` of an array into `buf`: its `items`, which sit
/// `depth` levels deep, each after its separator (the opening bracket
/// before the first batch's first).
fn batch_into<T: Serialize>(
    buf: &mut Vec<u8>,
    n: usize,
    items: &[T],
    depth: usize,
) -> io::Result<()> {
    for (i, item) in items.iter().enumerate() {
        buf.extend_from_slice(if n == 0 && i == 0 { b"[\n" } else { b",\n" });
        indent(buf, depth);
        render(buf, item, depth)?;
    }
    Ok(())
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

    /// serde_json's own rendering, which the format must equal.
    fn reference<T: Serialize>(value: &T) -> Vec<u8> {
        let mut out = Vec::new();
        serde_json::to_writer_pretty(&mut out, value).unwrap();
        out
    }

    #[test]
    fn arrays_written_a_group_at_a_time_match_serde_json() {
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
        #[derive(Serialize)]
        struct Doc<'a> {
            rows: &'a [Row],
            after: u8,
        }
        let pools: Vec<rayon::ThreadPool> = (1..=3)
            .map(|n| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .unwrap()
            })
            .collect();
        // Up to 600 rows: 64 batches of 10, more than one group of batches
        // on any of the pools.
        for n in [0, 1, 2, 63, 64, 65, 200, 600] {
            let rows: Vec<Row> = (0..n).map(row).collect();
            let want = reference(&Doc {
                rows: &rows,
                after: 7,
            });
            for pool in std::iter::once(None).chain(pools.iter().map(Some)) {
                // As a member of the top-level document, like `codes` in
                // the report: the rows two levels deep.
                let mut got = Vec::new();
                let mut doc = Document {
                    out: &mut got,
                    pool,
                    head: vec![b'{'],
                    first: true,
                    slots: Vec::new(),
                };
                doc.array("rows", &rows).unwrap();
                doc.field("after", &7u8).unwrap();
                doc.end().unwrap();
                let threads = pool.map(|p| p.current_num_threads());
                assert_eq!(
                    String::from_utf8(got).unwrap(),
                    String::from_utf8(want.clone()).unwrap() + "\n",
                    "{n} rows, threads: {threads:?}"
                );
            }
        }
    }
}
