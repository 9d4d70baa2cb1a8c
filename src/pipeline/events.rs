//! The channel that carries events from the scan to the per-event writer.
//!
//! A scan can hold millions of events, so when events are written one by
//! one (`ndjson`, `csv`) they leave the scan in *pieces*: each file's
//! [`Target`] sends its resolved events chunk by chunk, in file order, and
//! says when its input is done. A [`Tap`] may render each piece in the
//! sending thread ([`Render`], implemented by the report layer), so the
//! scan threads render in parallel and the writer only moves bytes. The
//! channel is bounded: when the writer falls behind, the scan waits; when
//! the writer stops (its output failed), [`Tap::is_gone`] tells the scan
//! to stop too. The writer itself is [`crate::report::stream`].

use std::fmt::Debug;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

use rayon::prelude::*;

use crate::tally::EventRow;

/// Renders events into one buffer per output format, each holding the same
/// whole records.
pub trait Render: Send + Sync + Debug {
    /// `rows` rendered in each format.
    fn render(&self, rows: &[EventRow]) -> Vec<Vec<u8>>;
}

/// Messages the channel holds at most. Small: a message can be a whole
/// chunk's events (tens of thousands in a dense chunk).
pub const CHANNEL: usize = 4;

/// What the scan sends the writer.
#[derive(Debug)]
pub enum Msg {
    /// The next events of input `input`, in order.
    Rows {
        /// Position in the input list.
        input: u32,
        /// The events.
        rows: Vec<EventRow>,
    },
    /// The next records of input `input`, in order, already rendered
    /// (by a tap from [`rendering`]): one buffer per format of
    /// the tap's [`Render`], each holding the same whole records.
    Records {
        /// Position in the input list.
        input: u32,
        /// The rendered records, per format.
        bytes: Vec<Vec<u8>>,
    },
    /// Input `input` has no more events.
    Done {
        /// Position in the input list.
        input: u32,
    },
}

/// Events rendered per block: what one [`Msg::Records`] holds at most.
/// Blocks of one piece are rendered in parallel.
pub const BLOCK: usize = 2048;

/// The scan's end of the channel.
#[derive(Clone, Debug)]
pub struct Tap {
    tx: SyncSender<Msg>,
    gone: Arc<AtomicBool>,
    /// How to render events before sending them; without, rows are sent
    /// as they are and the writer renders them.
    render: Option<Arc<dyn Render>>,
}

/// A new channel: the scan's end, the writer's end, and the flag that says
/// the writer has stopped. The scan sends rows as they are and the writer
/// renders them; [`rendering`] gives a tap that renders them itself.
pub fn channel() -> (Tap, Receiver<Msg>, Arc<AtomicBool>) {
    with_render(None)
}

/// A new channel whose tap renders events with `render` before sending
/// them, so that the writer only orders and writes bytes.
pub fn rendering(render: Arc<dyn Render>) -> (Tap, Receiver<Msg>, Arc<AtomicBool>) {
    with_render(Some(render))
}

fn with_render(render: Option<Arc<dyn Render>>) -> (Tap, Receiver<Msg>, Arc<AtomicBool>) {
    let (tx, rx) = sync_channel(CHANNEL);
    let gone = Arc::new(AtomicBool::new(false));
    (
        Tap {
            tx,
            gone: gone.clone(),
            render,
        },
        rx,
        gone,
    )
}

impl Tap {
    fn send(&self, msg: Msg) {
        if self.tx.send(msg).is_err() {
            self.gone.store(true, Ordering::Relaxed);
        }
    }

    /// Sends the next events of `input` (nothing when there are none):
    /// with a [`Render`], rendered here, [`BLOCK`] events a message, the
    /// blocks of up to one per pool thread rendered in parallel.
    pub fn rows(&self, input: u32, rows: Vec<EventRow>) {
        if rows.is_empty() || self.is_gone() {
            return;
        }
        let Some(render) = &self.render else {
            self.send(Msg::Rows { input, rows });
            return;
        };
        let group = BLOCK * rayon::current_num_threads().max(1);
        for part in rows.chunks(group) {
            let blocks: Vec<Vec<Vec<u8>>> = if part.len() > BLOCK {
                part.par_chunks(BLOCK).map(|b| render.render(b)).collect()
            } else {
                vec![render.render(part)]
            };
            for bytes in blocks {
                if self.is_gone() {
                    return;
                }
                self.send(Msg::Records { input, bytes });
            }
        }
    }

    /// Says that `input` is done.
    pub fn done(&self, input: u32) {
        if !self.is_gone() {
            self.send(Msg::Done { input });
        }
    }

    /// Whether the writer has stopped (its output failed).
    pub fn is_gone(&self) -> bool {
        self.gone.load(Ordering::Relaxed)
    }
}

/// Where one input's events go: the channel and the input's position.
#[derive(Clone, Debug)]
pub struct Target {
    tap: Tap,
    input: u32,
}

impl Target {
    /// Where the events of input number `input` go.
    pub fn new(tap: &Tap, input: u32) -> Target {
        Target {
            tap: tap.clone(),
            input,
        }
    }

    /// Whether the writer has stopped: the scan loops then stop early.
    pub fn is_gone(&self) -> bool {
        self.tap.is_gone()
    }

    /// Sends the next events of this input.
    pub fn rows(&self, rows: Vec<EventRow>) {
        self.tap.rows(self.input, rows);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_channel_stops_the_scan() {
        let (tap, rx, gone) = channel();
        let target = Target::new(&tap, 3);
        assert!(!target.is_gone());
        drop(rx);
        tap.done(0);
        assert!(tap.is_gone() && target.is_gone());
        assert!(gone.load(Ordering::Relaxed));
    }
}
