//! The accumulator is where the scanner puts its events: the scan layer
//! knows only the [`Sink`] trait, the tally layer backs it.

use crate::model::event::{Event, Sink};
use crate::tally::Acc;

impl Sink for Acc {
    #[inline]
    fn add(&mut self, ev: &Event<'_>) {
        Acc::add(self, ev);
    }

    #[inline]
    fn add_outside(&mut self) {
        Acc::add_outside(self);
    }
}
