//! Helpers with no knowledge of Storage Mover: sorted collections, secret
//! redaction, the Ctrl-C flag, and the formatting of sizes and of text
//! bound for a terminal.

pub mod fmt;
pub mod interrupt;
pub mod redact;
pub mod sorted;
