//! Helpers with no knowledge of Storage Mover: sorted collections, secret
//! redaction, the Ctrl-C flag, the formatting of sizes and of text bound
//! for a terminal, and short byte searches.

pub(crate) mod bytes;
pub(crate) mod fmt;
pub mod interrupt;
pub mod redact;
pub mod sorted;
