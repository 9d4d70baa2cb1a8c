//! Lines too long to hold: one line scanned in segments, in bounded memory.
//!
//! The ordinary scanner needs a whole line in memory (its job key may come
//! after its code, its timestamp is at its start). A line of hundreds of
//! MiB (a dumped blob, a log without newlines) must not cost hundreds of
//! MiB, so the readers hand a line longer than [`crate::pipeline::LONG_LINE`]
//! to a [`LongLine`] in segments instead. It keeps only:
//!
//! - the line's first [`HEAD`] bytes (its timestamp);
//! - the last [`OVERLAP`] bytes seen, so a code or key cut by a segment
//!   boundary is found whole in the next pass;
//! - per distinct code (at most 10,000), where it first occurs and the
//!   [`BEFORE`] + [`AFTER`] bytes (about 4.6 KB) around it, all its excerpt
//!   and the excerpt's redaction look at;
//! - the line's first and last job key;
//! - per sub-cause trigger, its first occurrence and its bytes (the tail
//!   is at least the longest trigger, so a trigger cut by a segment
//!   boundary is found whole in the next pass).
//!
//! At the end of the line it produces the same events and [`ChunkEnd`] a chunk holding
//! just that line would have produced: same events, same attribution, same
//! excerpts, same sub-causes (the tests and the fuzz target hold the two
//! equal). The limits of the bounded view: a job key longer than
//! [`OVERLAP`] bytes that straddles a segment boundary is cut; and the item
//! path is looked for in the line's first [`HEAD`] bytes only, cut back to
//! their last space or tab, by the same rules: the same item as for the
//! line held whole when the line's item lies there and no `...path=` key
//! comes later (on a line that long, an item further on is not found).

use std::collections::BTreeMap;

use crate::model::causes::{Found, Hit, Scratch};
use crate::model::code::{Code, Scope};
use crate::model::event::{Event, JobSlot, Rule, Sink, EXCERPT, REDACT_KEY, REDACT_LOOKBACK};
use crate::model::timestamp;
use crate::scan::jobkey::fold_id;
use crate::scan::{code_at, items, ChunkEnd, Scanner};

/// Bytes of the line's start kept for its timestamp.
pub const HEAD: usize = 4096;
/// Bytes carried from one segment to the next (enough for a code's
/// [`BEFORE`] bytes to be at hand when it is found).
pub const OVERLAP: usize = BEFORE + 256;
/// Bytes kept before a code's first occurrence: all that its excerpt and
/// the excerpt's redaction look at ([`crate::tally::excerpt_of`]), so
/// that the excerpt is the same as for the line held whole.
pub const BEFORE: usize = EXCERPT + REDACT_LOOKBACK + REDACT_KEY + 16;
/// Bytes kept from a code's first occurrence on.
pub const AFTER: usize = EXCERPT + 16;

/// The bytes kept around a code's first occurrence.
#[derive(Debug)]
struct Window {
    /// Line offset of the code.
    column: usize,
    /// Line offset of `bytes[0]`.
    start: usize,
    bytes: Vec<u8>,
}

impl Window {
    fn complete(&self) -> bool {
        self.start + self.bytes.len() >= self.column + AFTER
    }
}

/// One long line being scanned; see the module docs.
#[derive(Debug)]
pub struct LongLine<'s> {
    scanner: &'s Scanner,
    head: Vec<u8>,
    /// The last bytes fed; `tail[0]` is at line offset `base`.
    tail: Vec<u8>,
    base: usize,
    buf: Vec<u8>,
    codes: BTreeMap<Code, Window>,
    incomplete: usize,
    first_key: Option<Box<[u8]>>,
    last_key: Option<Box<[u8]>>,
    /// Per trigger, its first occurrence (at a line offset) and its bytes.
    triggers: BTreeMap<u32, (Found, Box<[u8]>)>,
    scratch: Scratch,
    /// Bytes carried from one pass to the next.
    overlap: usize,
}

impl<'s> LongLine<'s> {
    /// A line starting now.
    pub fn new(scanner: &'s Scanner) -> LongLine<'s> {
        LongLine {
            scanner,
            head: Vec::new(),
            tail: Vec::new(),
            base: 0,
            buf: Vec::new(),
            codes: BTreeMap::new(),
            incomplete: 0,
            first_key: None,
            last_key: None,
            triggers: BTreeMap::new(),
            scratch: Scratch::default(),
            overlap: OVERLAP.max(scanner.causes().longest_trigger()),
        }
    }

    /// The next bytes of the line (no `\n` among them).
    pub fn feed(&mut self, seg: &[u8]) {
        if seg.is_empty() {
            return;
        }
        if self.head.len() < HEAD {
            let n = (HEAD - self.head.len()).min(seg.len());
            self.head.extend_from_slice(&seg[..n]);
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.extend_from_slice(&self.tail);
        buf.extend_from_slice(seg);
        self.pass(&buf, self.base, false);
        let keep = buf.len().min(self.overlap);
        self.base += buf.len() - keep;
        self.tail.clear();
        self.tail.extend_from_slice(&buf[buf.len() - keep..]);
        self.buf = buf;
    }

    /// Scans `buf`, at line offset `off`; `last` when nothing follows it.
    fn pass(&mut self, buf: &[u8], off: usize, last: bool) {
        // Windows waiting for bytes after their code.
        if self.incomplete > 0 {
            let end = off + buf.len();
            for w in self.codes.values_mut().filter(|w| !w.complete()) {
                let have = w.start + w.bytes.len();
                if have >= off && have < end {
                    let upto = (w.column + AFTER).min(end);
                    w.bytes.extend_from_slice(&buf[have - off..upto - off]);
                    if w.complete() {
                        self.incomplete -= 1;
                    }
                }
            }
        }
        let mut pos = 0;
        while let Some(rel) = self.scanner.finder.find(&buf[pos..]) {
            let hit = pos + rel;
            pos = hit + 1;
            // At a pass's start the byte before is unknown (the previous
            // pass saw this hit whole); at its end the byte after is.
            if (hit == 0 && off > 0) || (!last && hit + 9 > buf.len()) {
                continue;
            }
            let Some(code) = code_at(buf, hit) else {
                continue;
            };
            if let std::collections::btree_map::Entry::Vacant(e) = self.codes.entry(code) {
                let from = hit.saturating_sub(BEFORE);
                let to = (hit + AFTER).min(buf.len());
                let w = e.insert(Window {
                    column: off + hit,
                    start: off + from,
                    bytes: buf[from..to].to_vec(),
                });
                if !w.complete() {
                    self.incomplete += 1;
                }
            }
        }
        // Every trigger found whole; one in the overlap is found again, at
        // the same line offset.
        self.scanner.causes().find_all(buf, &mut self.scratch);
        for f in &self.scratch.found {
            let at = off + f.start();
            let first = self
                .triggers
                .get(&f.pattern())
                .is_none_or(|(g, _)| at < g.start());
            if first {
                let bytes = buf[f.start()..f.end()].into();
                self.triggers.insert(f.pattern(), (f.moved_to(at), bytes));
            }
        }
        if let Some((first, last_id)) = self.scanner.keys.on_line(buf) {
            // A key whose id touches the end may go on in the next bytes:
            // the next pass sees it whole.
            let whole = |id: &[u8]| {
                last || (id.as_ptr() as usize - buf.as_ptr() as usize) + id.len() < buf.len()
            };
            if self.first_key.is_none() && whole(first) {
                self.first_key = Some((*fold_id(first)).into());
            }
            if whole(last_id) {
                self.last_key = Some((*fold_id(last_id)).into());
            }
        }
    }

    /// The scanner the line is scanned with.
    pub fn scanner(&self) -> &'s Scanner {
        self.scanner
    }

    /// Ends the line (`newline`: it ended with `\n`, not at end of input):
    /// puts into `acc` the events a chunk holding just this line would, and
    /// returns the same end. `path_job` is rule 2's job of the file.
    pub fn finish(
        mut self,
        path_job: Option<&[u8]>,
        newline: bool,
        acc: &mut impl Sink,
    ) -> ChunkEnd {
        let tail = std::mem::take(&mut self.tail);
        self.pass(&tail, self.base, true);
        let mut len = self.base + tail.len();
        if tail.last() == Some(&b'\r') {
            len -= 1;
        }
        let head = &self.head[..self.head.len().min(len)];
        let time = timestamp::parse_line_start(head);
        let job = if self.codes.keys().all(|c| c.is_agent_level()) {
            JobSlot::Agent
        } else if let Some(k) = &self.first_key {
            JobSlot::Id(k, Rule::Line)
        } else if let Some(p) = path_job {
            JobSlot::Id(p, Rule::Path)
        } else {
            JobSlot::Pending
        };
        if time.is_some_and(|t| !self.scanner.window.contains(t)) {
            // Outside --since/--until, as for a line held whole.
            for _ in self.codes.keys() {
                acc.add_outside();
            }
            self.codes.clear();
        }
        let found: Vec<Found> = {
            let mut f: Vec<Found> = self.triggers.values().map(|(f, _)| *f).collect();
            f.sort_by_key(|f| (f.start(), f.pattern()));
            f
        };
        let item = if self.codes.keys().any(|c| c.scope() == Scope::Item) {
            // The head, whole or cut back to its last word break.
            let cut = if len <= head.len() {
                head.len()
            } else {
                head.iter()
                    .rposition(|&b| b == b' ' || b == b'\t')
                    .unwrap_or(0)
            };
            items::in_line(&head[..cut])
        } else {
            None
        };
        let mut text = Vec::new();
        for (&code, w) in &self.codes {
            let keep = (len.max(w.start) - w.start).min(w.bytes.len());
            // The text is the window, then the matched words, where the
            // excerpt (which ends within the window) does not look.
            text.clear();
            text.extend_from_slice(&w.bytes[..keep]);
            let cause = self.scanner.causes().pick(code, &found).map(|h| {
                let bytes = self
                    .triggers
                    .values()
                    .find(|(f, _)| f.start() == h.start && f.end() == h.end)
                    .map_or(&[][..], |(_, b)| b);
                let start = text.len();
                text.extend_from_slice(bytes);
                Hit {
                    start,
                    end: text.len(),
                    ..h
                }
            });
            acc.add(&Event {
                code,
                job: if code.is_agent_level() {
                    JobSlot::Agent
                } else {
                    job
                },
                line: 1,
                time,
                text: &text,
                text_start: w.start,
                line_len: len,
                column: w.column,
                item: if code.scope() == Scope::Item {
                    item
                } else {
                    None
                },
                cause,
            });
        }
        let last_key = match path_job {
            Some(_) => None,
            None => self.last_key.take(),
        };
        ChunkEnd {
            last_key,
            newlines: u64::from(newline),
        }
    }
}
