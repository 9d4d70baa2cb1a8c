//! The per-event writer (`ndjson`, `csv`): puts the pieces of events the
//! scan sends ([`crate::pipeline::events`]) in input order and writes them
//! while the scan runs, so that a scan of millions of events holds few.
//!
//! - [`Writer::channel`] gives the scan a tap that renders each piece in
//!   the sending thread, once per format asked for ([`Spec`]), so the scan
//!   threads render in parallel and the writer only moves bytes. Records
//!   are written by hand without allocating ([`crate::report::ndjson::push`],
//!   [`crate::report::csv::push`]), byte for byte what `serde_json` and the
//!   csv quoting rules give.
//! - The writer hands each piece to each requested output's (a [`Lane`]'s)
//!   [`Order`]: pieces of the input being written (the *head*) go straight
//!   out; pieces of later inputs wait in memory until the inputs before
//!   them are done. Inputs start in input order, so little waits; what
//!   waits beyond [`BUDGET`] bytes is moved to an anonymous temporary file
//!   and copied out when its turn comes. The writer never waits on the
//!   scan, so the bounded channel cannot deadlock the thread pool.
//! - With `--baseline` each record carries its code's change, which only
//!   the final counts decide. Records are then rendered framed (see
//!   [`render`]: each with its code and the place where the change goes)
//!   and go to an anonymous temporary file (per output); [`Writer::finish`]
//!   copies them out, inserting the change.
//!
//! Output is written under [`crate::util::interrupt`]'s gate, one piece
//! (whole records) at a time, so Ctrl-C leaves whole records only. When the
//! output fails (a reader that went away: broken pipe), the writer stops,
//! the channel closes, and the scan loops stop too.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;

use crate::model::code::Code;
use crate::model::error::Error;
use crate::model::timestamp::TimeText;
use crate::pipeline::events::{self, Msg, Render, Tap};
use crate::report::{self, Change};
use crate::tally::EventRow;
use crate::util::interrupt;

/// Bytes of rendered records an output holds in memory for inputs whose
/// turn has not come; more goes to a temporary file.
pub const BUDGET: usize = 16 << 20;

/// What a tap renders: each format once, framed for a baseline or not.
#[derive(Debug)]
pub struct Spec {
    /// The formats, each once, and whether records are framed (see
    /// [`render`]) for a baseline, in the order of [`Msg::Records`]'s
    /// buffers.
    pub formats: Vec<(Format, bool)>,
    /// The sub-cause names records show.
    pub names: Vec<String>,
}

impl Render for Spec {
    /// `rows` rendered in each format.
    fn render(&self, rows: &[EventRow]) -> Vec<Vec<u8>> {
        self.formats
            .iter()
            .map(|&(format, framed)| {
                // Room for all, sized on the first record (records of one
                // piece share their path and differ little), so that the
                // buffer is rarely moved.
                let mut out = Vec::new();
                let mut times = TimeText::default();
                let (first, rest) = rows.split_at(rows.len().min(1));
                render(format, framed, first, &self.names, &mut times, &mut out);
                out.reserve((out.len() + out.len() / 8) * rest.len());
                render(format, framed, rest, &self.names, &mut times, &mut out);
                out
            })
            .collect()
    }
}

/// Appends `rows` rendered in `format` to `out`: the records themselves,
/// or `framed` (with a baseline) each as `code (2 bytes), split (4),
/// length (4), record` (little-endian), `split` being where the change
/// goes when the changes are known ([`Writer::finish`]).
pub fn render(
    format: Format,
    framed: bool,
    rows: &[EventRow],
    names: &[String],
    times: &mut TimeText,
    out: &mut Vec<u8>,
) {
    for e in rows {
        if !framed {
            format.record(e, names, times, out);
            continue;
        }
        let at = out.len();
        out.extend_from_slice(&[0; 10]);
        let split = format.record(e, names, times, out) - at - 10;
        let len = out.len() - at - 10;
        let frame = &mut out[at..at + 10];
        frame[..2].copy_from_slice(&e.code.number().to_le_bytes());
        frame[2..6].copy_from_slice(&u32::try_from(split).unwrap_or(u32::MAX).to_le_bytes());
        frame[6..].copy_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
    }
}

/// A per-event format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Ndjson,
    /// RFC 4180 rows under a header.
    Csv,
}

impl Format {
    fn record(
        self,
        e: &EventRow,
        names: &[String],
        times: &mut TimeText,
        out: &mut Vec<u8>,
    ) -> usize {
        match self {
            Format::Ndjson => report::ndjson::push(e, names, None, times, out),
            Format::Csv => report::csv::push(e, names, None, times, out),
        }
    }

    fn change_text(self, change: Change) -> String {
        match self {
            Format::Ndjson => report::ndjson::change_text(change),
            Format::Csv => report::csv::change_text(change),
        }
    }

    /// The format's name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Ndjson => "ndjson",
            Format::Csv => "csv",
        }
    }
}

/// Where a lane's records end up.
#[derive(Debug)]
pub enum Dest {
    /// Standard output (passed to each call: the process owns it).
    Stdout,
    /// An output file (`--ndjson FILE`, `--csv FILE`).
    File {
        /// The flag that named it.
        flag: &'static str,
        /// Its path.
        path: PathBuf,
        /// The file.
        file: BufWriter<File>,
    },
}

/// One per-event output: its format, destination and order.
#[derive(Debug)]
pub struct Lane {
    format: Format,
    dest: Dest,
    /// With `--baseline`: the records, framed, until the changes are known.
    held: Option<BufWriter<File>>,
    order: Order,
    buf: Vec<u8>,
    /// Which of [`Msg::Records`]'s buffers is this lane's.
    slot: usize,
}

impl Lane {
    /// A lane writing `format` to `dest`; with `baseline`, through a
    /// temporary file (see the module docs).
    pub fn new(format: Format, dest: Dest, baseline: bool) -> Result<Lane, Error> {
        let held = if baseline {
            Some(BufWriter::new(tempfile::tempfile().map_err(Error::Temp)?))
        } else {
            None
        };
        Ok(Lane {
            format,
            dest,
            held,
            order: Order::new(BUDGET),
            buf: Vec::new(),
            slot: 0,
        })
    }

    /// Where this lane writes, as a user would name it.
    pub fn describe(&self) -> String {
        match &self.dest {
            Dest::Stdout => format!("the {} on standard output", self.format.name()),
            Dest::File { path, .. } => path.display().to_string(),
        }
    }

    fn fail(&self, e: io::Error) -> Error {
        match &self.dest {
            Dest::Stdout => Error::Output(e),
            Dest::File { flag, path, .. } => Error::OutputFile {
                flag,
                path: path.clone(),
                source: e,
            },
        }
    }

    /// Writes the header, if the format has one and nothing waits for a
    /// baseline.
    fn start(&mut self, stdout: &mut dyn Write) -> Result<(), Error> {
        if self.format == Format::Csv && self.held.is_none() {
            let (dest, _) = self.sinks(stdout);
            let r = gated(dest, report::csv::HEADER);
            r.map_err(|e| self.fail(e))?;
        }
        Ok(())
    }

    /// The final destination, and where ordered pieces go meanwhile.
    fn sinks<'s>(
        &'s mut self,
        stdout: &'s mut dyn Write,
    ) -> (&'s mut dyn Write, Option<&'s mut BufWriter<File>>) {
        let dest: &mut dyn Write = match &mut self.dest {
            Dest::Stdout => stdout,
            Dest::File { file, .. } => file,
        };
        (dest, self.held.as_mut())
    }

    fn apply(&mut self, msg: &Msg, names: &[String], stdout: &mut dyn Write) -> Result<(), Error> {
        let result = match msg {
            Msg::Rows { input, rows } => {
                let mut buf = std::mem::take(&mut self.buf);
                buf.clear();
                render(
                    self.format,
                    self.held.is_some(),
                    rows,
                    names,
                    &mut TimeText::default(),
                    &mut buf,
                );
                let r = self.ordered(stdout, |order, out| order.put(*input, &buf, out));
                self.buf = buf;
                r
            }
            Msg::Records { input, bytes } => match bytes.get(self.slot) {
                Some(b) => self.ordered(stdout, |order, out| order.put(*input, b, out)),
                None => Ok(()),
            },
            Msg::Done { input } => self.ordered(stdout, |order, out| order.done(*input, out)),
        };
        match result {
            Ok(()) => Ok(()),
            Err(Fail::Out(e)) if self.held.is_some() => Err(Error::Temp(e)),
            Err(Fail::Out(e)) => Err(self.fail(e)),
            Err(Fail::Spill(e)) => Err(Error::Temp(e)),
        }
    }

    fn ordered(
        &mut self,
        stdout: &mut dyn Write,
        f: impl FnOnce(&mut Order, &mut dyn Write) -> Result<(), Fail>,
    ) -> Result<(), Fail> {
        let mut order = std::mem::replace(&mut self.order, Order::new(BUDGET));
        let (dest, held) = self.sinks(stdout);
        let r = match held {
            Some(h) => f(&mut order, h),
            None => f(&mut order, &mut Gated(dest)),
        };
        self.order = order;
        r
    }

    /// With a baseline: copies the held records to the destination with
    /// each code's change; then flushes.
    fn finish(
        &mut self,
        changes: &BTreeMap<Code, Change>,
        stdout: &mut dyn Write,
    ) -> Result<(), Error> {
        let format = self.format;
        if let Some(held) = self.held.take() {
            let mut file = held.into_inner().map_err(|e| Error::Temp(e.into_error()))?;
            let texts: BTreeMap<u16, String> = changes
                .iter()
                .map(|(c, ch)| (c.number(), format.change_text(*ch)))
                .collect();
            let (dest, _) = self.sinks(stdout);
            copy_framed(&mut file, &texts, format, dest).map_err(|f| match f {
                Fail::Spill(e) => Error::Temp(e),
                Fail::Out(e) => self.fail(e),
            })?;
        }
        let (dest, _) = self.sinks(stdout);
        let r = interrupt::output(|| dest.flush()).unwrap_or(Ok(()));
        r.map_err(|e| self.fail(e))
    }
}

/// Writes `bytes` whole under the interrupt gate.
fn gated(dest: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    interrupt::output(|| dest.write_all(bytes)).unwrap_or(Ok(()))
}

/// A writer whose every write goes whole under the interrupt gate.
struct Gated<'a>(&'a mut dyn Write);

impl Write for Gated<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        gated(self.0, buf).map(|()| buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Copies framed records (see [`Lane::render`]) from the start of `file`
/// to `dest`, inserting each code's change text, a batch of whole records
/// at a time under the interrupt gate.
fn copy_framed(
    file: &mut File,
    texts: &BTreeMap<u16, String>,
    format: Format,
    dest: &mut dyn Write,
) -> Result<(), Fail> {
    use std::io::Seek;
    file.seek(io::SeekFrom::Start(0)).map_err(Fail::Spill)?;
    if format == Format::Csv {
        gated(dest, report::csv::HEADER).map_err(Fail::Out)?;
    }
    let mut input = io::BufReader::with_capacity(1 << 16, file);
    let mut out = Vec::with_capacity(1 << 16);
    let mut frame = [0u8; 10];
    let mut record = Vec::new();
    loop {
        match input.read_exact(&mut frame) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(Fail::Spill(e)),
        }
        let code = u16::from_le_bytes([frame[0], frame[1]]);
        let split = u32::from_le_bytes([frame[2], frame[3], frame[4], frame[5]]) as usize;
        let len = u32::from_le_bytes([frame[6], frame[7], frame[8], frame[9]]) as usize;
        record.resize(len, 0);
        input.read_exact(&mut record).map_err(Fail::Spill)?;
        let split = split.min(len);
        out.extend_from_slice(&record[..split]);
        if let Some(t) = texts.get(&code) {
            out.extend_from_slice(t.as_bytes());
        }
        out.extend_from_slice(&record[split..]);
        if out.len() >= 1 << 16 {
            gated(dest, &out).map_err(Fail::Out)?;
            out.clear();
        }
    }
    gated(dest, &out).map_err(Fail::Out)
}

/// The writer: every lane, and the sub-cause names records show.
#[derive(Debug)]
pub struct Writer {
    lanes: Vec<Lane>,
    names: Vec<String>,
}

impl Writer {
    /// A writer for `lanes`.
    pub fn new(lanes: Vec<Lane>, names: Vec<String>) -> Writer {
        Writer { lanes, names }
    }

    /// A channel whose tap renders the records in the scanning threads,
    /// so that the writer only orders and writes bytes.
    pub fn channel(&mut self) -> (Tap, Receiver<Msg>, Arc<AtomicBool>) {
        let mut formats = Vec::new();
        for lane in &mut self.lanes {
            let kind = (lane.format, lane.held.is_some());
            lane.slot = match formats.iter().position(|k| *k == kind) {
                Some(i) => i,
                None => {
                    formats.push(kind);
                    formats.len() - 1
                }
            };
        }
        let spec = Spec {
            formats,
            names: self.names.clone(),
        };
        events::rendering(Arc::new(spec))
    }

    /// Whether any lane writes to standard output.
    pub fn uses_stdout(&self) -> bool {
        self.lanes.iter().any(|l| matches!(l.dest, Dest::Stdout))
    }

    /// What a user is told after Ctrl-C: which outputs end early.
    pub fn describe(&self) -> String {
        self.lanes
            .iter()
            .map(Lane::describe)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Receives pieces until the scan ends and writes them in order. On a
    /// failed output, sets `gone` and returns at once (the dropped receiver
    /// makes the scan's sends fail, so it stops too).
    pub fn run(
        &mut self,
        rx: Receiver<Msg>,
        gone: &AtomicBool,
        stdout: &mut dyn Write,
    ) -> Result<(), Error> {
        let result = self.pump(rx, stdout);
        if result.is_err() {
            gone.store(true, Ordering::Relaxed);
        }
        result
    }

    fn pump(&mut self, rx: Receiver<Msg>, stdout: &mut dyn Write) -> Result<(), Error> {
        for lane in &mut self.lanes {
            lane.start(stdout)?;
        }
        for msg in rx {
            for lane in &mut self.lanes {
                lane.apply(&msg, &self.names, stdout)?;
            }
        }
        Ok(())
    }

    /// After the scan: with a baseline, writes the held records with each
    /// code's change; flushes every output.
    pub fn finish(
        mut self,
        changes: &BTreeMap<Code, Change>,
        stdout: &mut dyn Write,
    ) -> Result<(), Error> {
        for lane in &mut self.lanes {
            lane.finish(changes, stdout)?;
        }
        Ok(())
    }
}

/// What failed: the output, or the temporary file.
#[derive(Debug)]
pub enum Fail {
    /// Writing the output.
    Out(io::Error),
    /// The temporary file that holds what waits.
    Spill(io::Error),
}

/// Puts the pieces of many inputs, arriving in any order, in input order.
///
/// The head input's pieces are written at once; later inputs' pieces wait
/// in memory, and once more than the budget waits, everything waiting
/// moves to a temporary file (read back when its input's turn comes). So
/// at most `budget` bytes wait in memory after any call, whatever the
/// arrival order ([`Order::held`]).
#[derive(Debug)]
pub struct Order {
    head: u32,
    waiting: BTreeMap<u32, Waiting>,
    held: usize,
    budget: usize,
    spill: Option<File>,
    spill_end: u64,
    spilled: u64,
}

#[derive(Debug, Default)]
struct Waiting {
    /// Spans of the spill file, in order, all before `mem`.
    spans: Vec<(u64, usize)>,
    mem: Vec<u8>,
    done: bool,
}

impl Order {
    /// An empty order starting at input 0, holding at most `budget` bytes.
    pub fn new(budget: usize) -> Order {
        Order {
            head: 0,
            waiting: BTreeMap::new(),
            held: 0,
            budget,
            spill: None,
            spill_end: 0,
            spilled: 0,
        }
    }

    /// Bytes waiting in memory.
    pub fn held(&self) -> usize {
        self.held
    }

    /// Bytes moved to the temporary file so far.
    pub fn spilled(&self) -> u64 {
        self.spilled
    }

    /// The next bytes of `input`.
    pub fn put(&mut self, input: u32, bytes: &[u8], out: &mut dyn Write) -> Result<(), Fail> {
        if input == self.head {
            return out.write_all(bytes).map_err(Fail::Out);
        }
        self.waiting
            .entry(input)
            .or_default()
            .mem
            .extend_from_slice(bytes);
        self.held += bytes.len();
        if self.held > self.budget {
            self.spill_all()?;
        }
        Ok(())
    }

    /// `input` has no more bytes.
    pub fn done(&mut self, input: u32, out: &mut dyn Write) -> Result<(), Fail> {
        if input != self.head {
            self.waiting.entry(input).or_default().done = true;
            return Ok(());
        }
        self.head += 1;
        while let Some(w) = self.waiting.remove(&self.head) {
            self.held -= w.mem.len();
            self.write_out(&w, out)?;
            if !w.done {
                break;
            }
            self.head += 1;
        }
        Ok(())
    }

    fn write_out(&mut self, w: &Waiting, out: &mut dyn Write) -> Result<(), Fail> {
        let mut buf = vec![0u8; 1 << 16];
        for &(mut at, mut len) in &w.spans {
            let Some(spill) = &self.spill else { break };
            while len > 0 {
                let n = len.min(buf.len());
                spill
                    .read_exact_at(&mut buf[..n], at)
                    .map_err(Fail::Spill)?;
                out.write_all(&buf[..n]).map_err(Fail::Out)?;
                at += n as u64;
                len -= n;
            }
        }
        out.write_all(&w.mem).map_err(Fail::Out)
    }

    fn spill_all(&mut self) -> Result<(), Fail> {
        if self.spill.is_none() {
            self.spill = Some(tempfile::tempfile().map_err(Fail::Spill)?);
        }
        let Some(spill) = &self.spill else {
            return Ok(());
        };
        for w in self.waiting.values_mut() {
            if w.mem.is_empty() {
                continue;
            }
            spill
                .write_all_at(&w.mem, self.spill_end)
                .map_err(Fail::Spill)?;
            w.spans.push((self.spill_end, w.mem.len()));
            self.spill_end += w.mem.len() as u64;
            self.spilled += w.mem.len() as u64;
            w.mem = Vec::new();
        }
        self.held = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pieces of `inputs` inputs, `per` each, every piece naming itself.
    fn pieces(inputs: u32, per: u32) -> Vec<(u32, Vec<u8>)> {
        (0..inputs)
            .flat_map(|i| (0..per).map(move |p| (i, format!("<{i}.{p}>").into_bytes())))
            .collect()
    }

    fn expected(inputs: u32, per: u32) -> Vec<u8> {
        pieces(inputs, per)
            .into_iter()
            .flat_map(|(_, b)| b)
            .collect()
    }

    /// Feeds each input's pieces in order, inputs in the order `schedule`
    /// gives, interleaved round-robin with the next few inputs.
    fn run(order: &mut Order, inputs: u32, per: u32, schedule: &[u32]) -> (Vec<u8>, usize) {
        let mut out = Vec::new();
        let mut peak = 0;
        let mut next: BTreeMap<u32, u32> = BTreeMap::new();
        // Round-robin over a sliding group of four inputs.
        for group in schedule.chunks(4) {
            for _ in 0..per {
                for &i in group {
                    let p = next.entry(i).or_insert(0);
                    let bytes = format!("<{i}.{p}>").into_bytes();
                    *p += 1;
                    order.put(i, &bytes, &mut out).unwrap();
                    peak = peak.max(order.held());
                }
            }
            for &i in group.iter().rev() {
                order.done(i, &mut out).unwrap();
                peak = peak.max(order.held());
            }
        }
        assert!(order.waiting.is_empty(), "everything written");
        assert_eq!(order.head, inputs);
        (out, peak)
    }

    #[test]
    fn any_arrival_order_gives_input_order() {
        let (inputs, per) = (40, 25);
        let forward: Vec<u32> = (0..inputs).collect();
        let backward: Vec<u32> = (0..inputs).rev().collect();
        let mut shuffled = forward.clone();
        let mut rng = fastrand::Rng::with_seed(7);
        rng.shuffle(&mut shuffled);
        for schedule in [&forward, &backward, &shuffled] {
            for budget in [0, 10, 100, 1 << 20] {
                let mut order = Order::new(budget);
                let (out, peak) = run(&mut order, inputs, per, schedule);
                assert_eq!(out, expected(inputs, per), "budget {budget}");
                assert!(peak <= budget, "held {peak} > budget {budget}");
            }
        }
    }

    #[test]
    fn memory_is_bounded_by_the_budget_and_spills_only_what_waits() {
        // The worst order: the last input first, each piece 1 KiB.
        let budget = 8 << 10;
        let mut order = Order::new(budget);
        let mut out = Vec::new();
        let piece = vec![b'x'; 1024];
        for i in (0..200u32).rev() {
            for _ in 0..10 {
                order.put(i, &piece, &mut out).unwrap();
                assert!(order.held() <= budget, "{} held", order.held());
            }
            order.done(i, &mut out).unwrap();
            assert!(order.held() <= budget);
        }
        assert_eq!(out.len(), 200 * 10 * 1024);
        assert!(order.spilled() >= 190 * 10 * 1024);
        // In order, nothing waits and nothing spills.
        let mut order = Order::new(0);
        let mut out = Vec::new();
        for i in 0..50u32 {
            order.put(i, &piece, &mut out).unwrap();
            order.done(i, &mut out).unwrap();
        }
        assert_eq!((order.held(), order.spilled()), (0, 0));
        assert_eq!(out.len(), 50 * 1024);
    }

    #[test]
    fn inputs_without_events_still_move_the_head() {
        let mut order = Order::new(1 << 20);
        let mut out = Vec::new();
        order.put(2, b"c", &mut out).unwrap();
        order.done(2, &mut out).unwrap();
        order.done(1, &mut out).unwrap();
        assert!(out.is_empty());
        order.put(0, b"a", &mut out).unwrap();
        order.done(0, &mut out).unwrap();
        assert_eq!(out, b"ac");
        assert_eq!(order.head, 3);
    }
}
