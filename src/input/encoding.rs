//! Text encodings and prefixes that would hide a log's content.
//!
//! Windows tools write UTF-16 (PowerShell 5.1's `>` redirect, many agents'
//! logs); read as bytes, every other byte is NUL and the file looks binary.
//! A UTF-16 input is told by its byte-order mark, or without one by its
//! pattern (most even or most odd bytes of its first KiB NUL, the others
//! ASCII), and decoded to UTF-8 as a stream, then read as what the decoded
//! bytes say. A UTF-8 BOM (`Out-File -Encoding utf8`) is dropped so that
//! the first line's timestamp and JSON parse. A run of NUL bytes at the
//! start (what logrotate's `copytruncate` leaves when the writer goes on at
//! its old offset) is skipped before the binary probe; a few stray NULs in
//! a probe that is otherwise text keep the file text, with a note.

use std::io::Read;

use crate::model::error::FileError;

/// The UTF-8 byte-order mark.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Bytes of the head whose pattern tells UTF-16 without a BOM.
const PATTERN: usize = 1 << 10;

/// A UTF-16 byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Utf16 {
    /// Little-endian (Windows' usual "Unicode").
    Le,
    /// Big-endian.
    Be,
}

impl Utf16 {
    /// The encoding's usual name.
    pub fn name(self) -> &'static str {
        match self {
            Utf16::Le => "UTF-16LE",
            Utf16::Be => "UTF-16BE",
        }
    }

    /// The UTF-16 byte order of the input starting with `head`: its BOM,
    /// or its pattern of NUL and ASCII bytes.
    pub fn detect(head: &[u8]) -> Option<Utf16> {
        if head.starts_with(b"\xFF\xFE") {
            return Some(Utf16::Le);
        }
        if head.starts_with(b"\xFE\xFF") {
            return Some(Utf16::Be);
        }
        let probe = &head[..head.len().min(PATTERN) & !1];
        // Too short to tell a pattern from chance; no NUL, no UTF-16 (a
        // plain log costs one search).
        if probe.len() < 16 || memchr::memchr(0, probe).is_none() {
            return None;
        }
        let (mut le, mut be) = (0usize, 0usize);
        for pair in probe.chunks_exact(2) {
            let ascii = |b: u8| b != 0 && b.is_ascii();
            match (pair[0], pair[1]) {
                (a, 0) if ascii(a) => le += 1,
                (0, b) if ascii(b) => be += 1,
                _ => {}
            }
        }
        // Nine pairs in ten: non-ASCII characters and CJK text are rarer
        // in logs than that, and a binary file's NULs are not so regular.
        let pairs = probe.len() / 2;
        if le * 10 >= pairs * 9 {
            Some(Utf16::Le)
        } else if be * 10 >= pairs * 9 {
            Some(Utf16::Be)
        } else {
            None
        }
    }

    /// `reader` (which may start with the BOM) decoded to UTF-8, as a
    /// stream; invalid sequences become U+FFFD.
    pub fn decoder<'a>(self, reader: impl Read + 'a) -> impl Read + 'a {
        let encoding = match self {
            Utf16::Le => encoding_rs::UTF_16LE,
            Utf16::Be => encoding_rs::UTF_16BE,
        };
        encoding_rs_io::DecodeReaderBytesBuilder::new()
            .encoding(Some(encoding))
            .bom_override(true)
            .build(reader)
    }
}

/// The leading bytes of an input that are no content: a UTF-8 BOM, then a
/// run of NUL bytes (`copytruncate`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prefix {
    /// Whether it starts with a UTF-8 BOM.
    pub bom: bool,
    /// NUL bytes after it.
    pub nuls: usize,
}

impl Prefix {
    /// The prefix of `head`.
    pub fn of(head: &[u8]) -> Prefix {
        let bom = head.starts_with(UTF8_BOM);
        let rest = if bom { &head[UTF8_BOM.len()..] } else { head };
        Prefix {
            bom,
            nuls: rest.iter().position(|&b| b != 0).unwrap_or(rest.len()),
        }
    }

    /// The prefix of `head` as `--binary` drops it: only a BOM, the bytes
    /// after it scanned as they are.
    pub fn of_binary(head: &[u8]) -> Prefix {
        Prefix {
            nuls: 0,
            ..Prefix::of(head)
        }
    }

    /// Its length in bytes.
    pub fn len(self) -> usize {
        if self.bom {
            UTF8_BOM.len() + self.nuls
        } else {
            self.nuls
        }
    }

    /// What to tell the user about it: skipped NULs are said, a BOM is not.
    pub fn note(self, display: &str) -> Option<FileError> {
        (self.nuls > 0).then(|| FileError {
            path: display.to_string(),
            message: format!(
                "began with {} NUL bytes (what logrotate's copytruncate leaves); they were skipped and the rest scanned as text",
                self.nuls
            ),
        })
    }
}

/// What the binary probe says of an input's first bytes (after its
/// [`Prefix`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// No NUL byte: text.
    Text,
    /// This many NUL bytes, in what is otherwise mostly text: scanned as
    /// text, with a note.
    StrayNuls(usize),
    /// Binary: skipped unless `--binary`.
    Binary,
}

/// Probes `head` (the first bytes after the [`Prefix`]): text unless it
/// holds NUL bytes, and then text still when at least 95 % of it is
/// printable ASCII, whitespace or valid UTF-8 (a log a crash left a few
/// NULs in), binary otherwise.
pub fn probe(head: &[u8]) -> Probe {
    let nuls = memchr::memchr_iter(0, head).count();
    if nuls == 0 {
        return Probe::Text;
    }
    let mut text = 0usize;
    for chunk in head.utf8_chunks() {
        text += chunk
            .valid()
            .bytes()
            .filter(|&b| !b.is_ascii() || b.is_ascii_graphic() || b.is_ascii_whitespace())
            .count();
    }
    if text * 100 >= head.len() * 95 {
        Probe::StrayNuls(nuls)
    } else {
        Probe::Binary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str, be: bool) -> Vec<u8> {
        s.encode_utf16()
            .flat_map(|u| if be { u.to_be_bytes() } else { u.to_le_bytes() })
            .collect()
    }

    #[test]
    fn utf16_is_told_by_bom_or_pattern() {
        let log = "2024-03-15T08:00:00Z ERROR AZSM1024 x\r\n";
        assert_eq!(Utf16::detect(&utf16(log, false)), Some(Utf16::Le));
        assert_eq!(Utf16::detect(&utf16(log, true)), Some(Utf16::Be));
        assert_eq!(Utf16::detect(b"\xFF\xFEx"), Some(Utf16::Le));
        assert_eq!(Utf16::detect(b"\xFE\xFFx"), Some(Utf16::Be));
        assert_eq!(Utf16::detect(log.as_bytes()), None);
        assert_eq!(Utf16::detect(&[0u8; 64]), None, "NULs are no UTF-16");
        let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
        elf.extend([0x3e, 0, 1, 0, 0, 0, 0x40, 0x10, 0x40, 0, 0, 0, 0, 0]);
        assert_eq!(Utf16::detect(&elf), None);
    }

    #[test]
    fn utf16_decodes_across_reads_without_its_bom() {
        let log = "2024-03-15T08:00:00Z AZSM2062 caf\u{e9} \u{1F600}\n".repeat(500);
        for be in [false, true] {
            let mut bytes = if be {
                vec![0xFE, 0xFF]
            } else {
                vec![0xFF, 0xFE]
            };
            bytes.extend(utf16(&log, be));
            let order = if be { Utf16::Be } else { Utf16::Le };
            let mut out = String::new();
            order
                .decoder(std::io::BufReader::with_capacity(7, &bytes[..]))
                .read_to_string(&mut out)
                .unwrap();
            assert_eq!(out, log);
        }
    }

    #[test]
    fn prefixes_and_probe() {
        assert_eq!(Prefix::of(b"\xEF\xBB\xBF2024").len(), 3);
        assert_eq!(Prefix::of(b"\0\0\0\x002024").nuls, 4);
        assert_eq!(Prefix::of(b"\xEF\xBB\xBF\0x").len(), 4);
        assert_eq!(Prefix::of(b"2024\0").len(), 0);
        assert_eq!(Prefix::of(b"\0\0").len(), 2);
        assert_eq!(probe(b"2024 AZSM1024\n"), Probe::Text);
        let mut log = "2024-03-15T08:00:00Z AZSM1024 ok\n"
            .repeat(100)
            .into_bytes();
        log[500] = 0;
        log[900] = 0;
        assert_eq!(probe(&log), Probe::StrayNuls(2));
        let binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        assert_eq!(probe(&binary), Probe::Binary);
    }
}
