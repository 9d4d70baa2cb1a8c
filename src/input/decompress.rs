//! Compressed streams: recognised by their magic bytes, decoded as streams.
//!
//! Users hand azsm rotated logs (`xdatamoved.log.2.gz`), support bundles
//! (`.tar.zst`) and exports in whatever compression their tooling chose. The
//! format is told from the first bytes, never from the name alone, so a
//! renamed file still works and a `.gz` that is really plain text is read as
//! text. Decoders are [`Read`] adapters: nothing is decompressed into memory
//! as a whole or onto disk; the scanner pulls blocks through them.
//!
//! Every decoded stream is wrapped in a [`Budget`]: the bytes expanded from
//! one input (all entries of an archive together) are capped by
//! `--max-expand`, so a decompression bomb stops with an error naming the
//! flag instead of running for hours. Decoder errors (a truncated or
//! corrupt stream) are rewritten to say which format was being decoded.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// A compression format azsm decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// gzip (`1f 8b`), multi-member files included.
    Gzip,
    /// Zstandard (`28 b5 2f fd`), multi-frame files included.
    Zstd,
    /// bzip2 (`BZh` and a block-size digit).
    Bzip2,
    /// xz (`fd 37 7a 58 5a 00`), concatenated streams included.
    Xz,
}

impl Compression {
    /// The format whose magic bytes start `head`.
    pub fn detect(head: &[u8]) -> Option<Compression> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Compression::Gzip)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compression::Zstd)
        } else if head.len() >= 4 && head.starts_with(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
            Some(Compression::Bzip2)
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Some(Compression::Xz)
        } else {
            None
        }
    }

    /// Its usual name.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
        }
    }

    /// A decoder of `reader`, which starts at the magic bytes. Errors while
    /// decoding name the format; see `Named`.
    pub fn decoder<'a>(self, reader: impl Read + 'a) -> io::Result<Box<dyn Read + 'a>> {
        let inner: Box<dyn Read + 'a> = match self {
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(reader)),
            Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(reader)?),
            Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(reader)),
            Compression::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(reader)),
        };
        Ok(Box::new(Named {
            inner,
            format: self,
        }))
    }
}

/// Rewrites a decoder's errors to say that the stream is corrupt or
/// truncated, and in which format; an early end of input becomes
/// `UnexpectedEof` whatever the decoder called it.
struct Named<R> {
    inner: R,
    format: Compression,
}

impl<R: Read> Read for Named<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::Interrupted || is_budget(&e) {
                return e;
            }
            let kind = match e.kind() {
                io::ErrorKind::UnexpectedEof => io::ErrorKind::UnexpectedEof,
                _ => io::ErrorKind::InvalidData,
            };
            io::Error::new(
                kind,
                format!(
                    "the {} stream is corrupt or truncated ({e}); what was read before the damage is in the report",
                    self.format.name()
                ),
            )
        })
    }
}

/// The expanded bytes one input may still produce, shared by all the
/// streams decoded from it (an archive's entries, a `.gz` inside a tar).
#[derive(Clone, Debug)]
pub struct Budget {
    left: Arc<AtomicU64>,
    exceeded: Arc<AtomicBool>,
    limit: u64,
}

/// Marker text of the error a spent [`Budget`] returns.
const BUDGET_MARK: &str = "expanded past --max-expand";

fn is_budget(e: &io::Error) -> bool {
    e.to_string().contains(BUDGET_MARK)
}

impl Budget {
    /// A budget of `limit` bytes.
    pub fn new(limit: u64) -> Budget {
        Budget {
            left: Arc::new(AtomicU64::new(limit)),
            exceeded: Arc::new(AtomicBool::new(false)),
            limit,
        }
    }

    /// `reader`, counted against this budget.
    pub fn wrap<'a>(&self, reader: impl Read + 'a) -> Budgeted<impl Read + 'a> {
        Budgeted {
            inner: reader,
            budget: self.clone(),
        }
    }

    /// True once a stream has gone past the budget.
    pub fn is_spent(&self) -> bool {
        self.exceeded.load(Ordering::Relaxed)
    }

    fn take(&self, n: u64) -> bool {
        self.left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| l.checked_sub(n))
            .is_ok()
    }

    fn error(&self) -> io::Error {
        io::Error::other(format!(
            "{BUDGET_MARK} ({}): the input expands to more than that, which may be a decompression bomb; \
             if it is genuine, raise --max-expand (e.g. --max-expand 500G)",
            crate::util::fmt::format_size(self.limit)
        ))
    }
}

/// A reader counted against a [`Budget`].
pub struct Budgeted<R> {
    inner: R,
    budget: Budget,
}

impl<R: Read> Read for Budgeted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.budget.take(n as u64) {
            Ok(n)
        } else {
            self.budget.left.store(0, Ordering::Relaxed);
            self.budget.exceeded.store(true, Ordering::Relaxed);
            Err(self.budget.error())
        }
    }
}

/// Reads up to `n` bytes from `reader` without losing them: returns them and
/// a reader that yields them again followed by the rest. If reading failed,
/// the reader yields the bytes read and then the error.
pub fn peek<'a>(mut reader: impl Read + 'a, n: usize) -> (Vec<u8>, Box<dyn Read + 'a>) {
    let mut head = Vec::with_capacity(n);
    let mut err = None;
    while head.len() < n {
        match (&mut reader)
            .take((n - head.len()) as u64)
            .read_to_end(&mut head)
        {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    let again = io::Cursor::new(head.clone());
    let rest: Box<dyn Read + 'a> = match err {
        Some(e) => Box::new(FailOnce(Some(e))),
        None => Box::new(reader),
    };
    (head, Box::new(again.chain(rest)))
}

/// A reader that returns one error, then end of input.
struct FailOnce(Option<io::Error>);

impl Read for FailOnce {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn roundtrip(c: Compression, packed: &[u8], plain: &[u8]) {
        assert_eq!(Compression::detect(packed), Some(c), "{}", c.name());
        let mut out = Vec::new();
        c.decoder(packed).unwrap().read_to_end(&mut out).unwrap();
        assert_eq!(out, plain);
    }

    #[test]
    fn each_format_is_detected_and_decoded() {
        let plain = b"2024-03-15T08:00:00Z ERROR AZSM1024 x\n".repeat(50);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&plain).unwrap();
        roundtrip(Compression::Gzip, &gz.finish().unwrap(), &plain);
        roundtrip(
            Compression::Zstd,
            &zstd::encode_all(&plain[..], 1).unwrap(),
            &plain,
        );
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        bz.write_all(&plain).unwrap();
        roundtrip(Compression::Bzip2, &bz.finish().unwrap(), &plain);
        let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 1);
        xz.write_all(&plain).unwrap();
        roundtrip(Compression::Xz, &xz.finish().unwrap(), &plain);
        assert_eq!(Compression::detect(b"plain text"), None);
        assert_eq!(Compression::detect(b"BZh"), None);
        assert_eq!(Compression::detect(b"BZhx"), None);
    }

    #[test]
    fn concatenated_members_are_all_read() {
        let mut two = Vec::new();
        for part in [&b"a AZSM1024\n"[..], b"b AZSM2062\n"] {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(part).unwrap();
            two.extend(gz.finish().unwrap());
        }
        roundtrip(Compression::Gzip, &two, b"a AZSM1024\nb AZSM2062\n");
    }

    #[test]
    fn a_budget_stops_the_stream_and_says_which_flag() {
        let budget = Budget::new(10);
        let mut out = Vec::new();
        let err = budget
            .wrap(&[b'x'; 100][..])
            .read_to_end(&mut out)
            .unwrap_err();
        assert!(err.to_string().contains("--max-expand"), "{err}");
        assert!(budget.is_spent());
        let ok = Budget::new(100);
        out.clear();
        ok.wrap(&[b'x'; 100][..]).read_to_end(&mut out).unwrap();
        assert_eq!(out.len(), 100);
        assert!(!ok.is_spent(), "exactly the budget is within it");
    }

    #[test]
    fn peek_gives_the_bytes_back() {
        let (head, mut rest) = peek(&b"hello world"[..], 5);
        assert_eq!(head, b"hello");
        let mut all = String::new();
        rest.read_to_string(&mut all).unwrap();
        assert_eq!(all, "hello world");
    }
}
