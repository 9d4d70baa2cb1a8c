//! What a path holds and how its bytes are got: the directory walk,
//! content sniffing, decompression, text encodings, archives, Log Analytics exports,
//! job-run JSON and memory maps.

pub(crate) mod archive;
pub mod decompress;
pub(crate) mod encoding;
pub(crate) mod export;
pub(crate) mod jobrun;
pub(crate) mod json;
#[cfg(unix)]
pub mod mmap;
pub(crate) mod record;
pub(crate) mod sniff;
pub mod walk;
