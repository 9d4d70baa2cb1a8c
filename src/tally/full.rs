//! What an input can no longer add to a tally's examples, so that its
//! scan skips making them.

use std::sync::Arc;

use rustc_hash::FxHashSet;

use crate::model::code::Code;
use crate::tally::acc::NO_CAUSE;
use crate::tally::items::MAX_EXAMPLES;
use crate::tally::{Tally, CAUSE_EXAMPLES, EXAMPLES};

/// What an input cannot add to a tally's examples: the codes (and code and
/// sub-cause pairs) whose examples are all taken already by inputs whose
/// paths sort before it, and the codes whose item examples are. Examples
/// are the first in `(path, line)` order, and every path in an input
/// (archive entries too) starts with the input's path, so scanning the
/// input can skip making them (an excerpt, redaction, a copy each) without
/// changing the result. Built by [`Tally::full_before`].
#[derive(Debug, Default)]
pub struct Full {
    examples: FxHashSet<(Code, u16)>,
    items: FxHashSet<Code>,
}

impl Full {
    /// Whether examples of `code` with sub-cause `cause` are all taken.
    pub(super) fn examples(&self, code: Code, cause: u16) -> bool {
        self.examples.contains(&(code, cause))
    }

    /// Whether item examples of `code` are all taken.
    pub(super) fn items(&self, code: Code) -> bool {
        self.items.contains(&code)
    }

    /// Adds what `other` says is taken.
    pub fn extend(&mut self, other: &Full) {
        self.examples.extend(other.examples.iter().copied());
        self.items.extend(other.items.iter().copied());
    }
}

impl Tally {
    /// What an input shown as `path` cannot add to this tally's examples
    /// (see [`Full`]).
    pub fn full_before(&self, path: &str) -> Full {
        self.full_upto(path, false)
    }

    /// What the rest of the input shown as `path` cannot add, when this
    /// tally holds its lines so far (and any inputs before it): its later
    /// lines sort after every example taken at `path`.
    pub fn full_through(&self, path: &str) -> Full {
        self.full_upto(path, true)
    }

    fn full_upto(&self, path: &str, at_too: bool) -> Full {
        let before =
            |e: Option<&Arc<str>>| e.is_some_and(|p| &**p < path || (at_too && &**p == path));
        let mut full = Full::default();
        for ((code, cause), part) in &self.causes {
            let Some(ct) = self.codes.get(code) else {
                continue;
            };
            // A chunk's examples serve both the code and the part.
            if ct.examples.len() >= EXAMPLES
                && before(ct.examples.last().map(|e| &e.path))
                && part.examples.len() >= CAUSE_EXAMPLES
                && before(part.examples.last().map(|e| &e.path))
            {
                full.examples
                    .insert((*code, cause.map_or(NO_CAUSE, |c| c.0)));
            }
        }
        for (code, ct) in &self.codes {
            let items = &ct.items.examples;
            if items.len() >= MAX_EXAMPLES && before(items.last().map(|e| &e.0)) {
                full.items.insert(*code);
            }
        }
        full
    }
}
