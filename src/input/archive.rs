//! Archives: the entries of tar and zip files, scanned in-stream.
//!
//! A Storage Mover support bundle is a Zstandard-compressed tar; users also
//! zip log folders by hand. Each regular-file entry is handed to
//! the caller's `entry` function as one more input, named
//! `archive!/path/in/archive` so that reports say where a line came from and
//! the GUID path rule sees the entry's directories. An entry may itself be
//! compressed (a rotated `xdatamoved.log.2.gz` inside the bundle) or be an
//! archive (a bundle zipped to be attached to a ticket): the caller decides
//! how deep that goes (`pipeline::MAX_NESTING`).
//!
//! Damage is reported where it is found: a corrupt entry is an error named
//! after the archive and the entry; a truncated or corrupt archive stops the
//! walk with an error naming the archive. Everything scanned before stays in
//! the tally.

use std::io::{self, Read, Seek};

use crate::input::decompress::Budget;
use crate::model::error::FileError;
use crate::tally::Tally;

/// How an entry is shown: `archive!/entry`.
pub fn entry_display(archive: &str, entry: &str) -> String {
    let entry = entry.trim_start_matches("./").trim_start_matches('/');
    format!("{archive}!/{entry}")
}

/// Hands each file entry of the tar archive `reader`, shown as `display`,
/// to `entry` (its display name and its bytes), until the expansion
/// `budget` is spent.
pub fn scan_tar(
    display: &str,
    reader: impl Read,
    budget: &Budget,
    mut entry_scan: impl FnMut(&str, &mut dyn Read) -> Tally,
) -> Tally {
    let mut tally = Tally::default();
    let mut archive = tar::Archive::new(reader);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => return damaged(display, "tar archive", &e),
    };
    // After an entry failed, the archive stream itself is often broken: its
    // next header then fails too, and that says nothing new.
    let mut entry_failed = false;
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                if !entry_failed {
                    tally += damaged(display, "tar archive", &e);
                }
                break;
            }
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = match entry.path() {
            Ok(p) => p.to_string_lossy().into_owned(),
            Err(_) => String::from_utf8_lossy(&entry.path_bytes()).into_owned(),
        };
        let size = entry.size();
        let shown = entry_display(display, &name);
        let t = entry_scan(
            &shown,
            &mut Exact {
                inner: &mut entry,
                left: size,
            },
        );
        entry_failed = !t.errors.is_empty();
        tally += t;
        if budget.is_spent() {
            break;
        }
    }
    tally
}

/// Hands each file entry of the zip archive `reader` (a file, or a nested
/// zip spooled), shown as `display`, to `entry_scan`, until the expansion
/// `budget` is spent. An entry azsm cannot read (encrypted, compressed by
/// a method other than stored or deflate) is an error naming it.
pub fn scan_zip(
    display: &str,
    reader: impl Read + Seek,
    budget: &Budget,
    mut entry_scan: impl FnMut(&str, &mut dyn Read) -> Tally,
) -> Tally {
    let mut tally = Tally::default();
    let mut zip = match zip::ZipArchive::new(reader) {
        Ok(z) => z,
        Err(e) => return damaged(display, "zip archive", &io::Error::other(e)),
    };
    for i in 0..zip.len() {
        let name = zip.name_for_index(i).unwrap_or("?").to_string();
        let entry = match zip.by_index(i) {
            Ok(e) => e,
            Err(zip::result::ZipError::UnsupportedArchive(why)) => {
                tally.errors.push(FileError {
                    path: entry_display(display, &name),
                    message: format!(
                        "not scanned: azsm cannot read this zip entry ({why}; it reads entries \
                         stored or deflated, without a password); extract it with a zip tool and scan the file"
                    ),
                });
                continue;
            }
            Err(e) => {
                let mut t = damaged(display, "zip archive", &io::Error::other(e));
                t.errors[0].message = format!("entry {}: {}", i + 1, t.errors[0].message);
                tally += t;
                continue;
            }
        };
        if !entry.is_file() {
            continue;
        }
        let shown = entry_display(display, entry.name());
        let mut reader = Damage {
            inner: budget.wrap(entry),
            what: "zip entry",
        };
        tally += entry_scan(&shown, &mut reader);
        if budget.is_spent() {
            break;
        }
    }
    tally
}

/// A tally holding only the error that `what` at `display` is damaged.
fn damaged(display: &str, what: &str, e: &io::Error) -> Tally {
    let mut t = Tally::default();
    t.errors.push(FileError {
        path: display.to_string(),
        message: format!(
            "the {what} is corrupt or truncated ({e}); the entries before the damage are in the report"
        ),
    });
    t
}

/// A tar entry's reader that fails, instead of ending quietly, when the
/// archive ends before the entry's recorded size.
struct Exact<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.left > 0 && !buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the tar archive is truncated: this entry lacks its last {} bytes",
                    self.left
                ),
            ));
        }
        self.left = self.left.saturating_sub(n as u64);
        Ok(n)
    }
}

/// Says which container a read error came from.
struct Damage<R> {
    inner: R,
    what: &'static str,
}

impl<R: Read> Read for Damage<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.to_string().contains("--max-expand") {
                return e;
            }
            io::Error::new(
                e.kind(),
                format!("the {} is corrupt or truncated ({e})", self.what),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_are_shown_after_a_bang() {
        assert_eq!(
            entry_display("b.tar.zst", "./var/log/x.log"),
            "b.tar.zst!/var/log/x.log"
        );
        assert_eq!(
            entry_display("b.zip", "var/log/x.log"),
            "b.zip!/var/log/x.log"
        );
    }

    #[test]
    fn a_short_entry_is_an_error() {
        let mut out = Vec::new();
        let err = Exact {
            inner: &b"abc"[..],
            left: 10,
        }
        .read_to_end(&mut out)
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(err.to_string().contains("truncated"), "{err}");
    }
}
