//! What a path holds and how its bytes are got: the directory walk,
//! content sniffing, decompression, text encodings, archives, Log Analytics exports,
//! job-run JSON and memory maps.

pub mod archive;
pub mod decompress;
pub mod encoding;
pub mod export;
pub mod jobrun;
pub mod json;
#[cfg(unix)]
pub mod mmap;
pub mod record;
pub mod sniff;
pub mod walk;
