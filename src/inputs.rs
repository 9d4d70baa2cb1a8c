//! What to scan: command-line paths to a sorted list of inputs.
//!
//! Directories are walked recursively (in file-name order, so the list is
//! the same on every run); `-` is standard input. Symbolic links met while
//! walking are followed only with `--follow` (loops are then detected by
//! the walker); a link named on the command line is always followed, as in
//! ripgrep. Entries that cannot be read become [`FileError`]s and the walk
//! goes on. FIFOs, sockets and devices are never opened (a FIFO without a
//! writer, or `/dev/zero`, would never end): they are skipped with a note,
//! also when named on the command line.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::error::FileError;

/// Where an input's bytes come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Standard input.
    Stdin,
    /// A file.
    File(PathBuf),
}

/// One thing to scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    /// How reports name it.
    pub display: String,
    /// Where to read it from.
    pub source: Source,
}

/// Inputs found under `paths`, and what could not be walked.
#[derive(Debug, Default)]
pub struct Found {
    /// The inputs, in argument order, each directory's files sorted.
    pub inputs: Vec<Input>,
    /// Paths that could not be walked.
    pub errors: Vec<FileError>,
    /// Entries passed over, and why: links not followed, FIFOs, sockets,
    /// devices. Notes, not errors.
    pub skipped: Vec<FileError>,
}

/// Walks `paths`.
pub fn find(paths: &[PathBuf], follow: bool) -> Found {
    let mut found = Found::default();
    for path in paths {
        if path.as_os_str() == "-" {
            found.inputs.push(Input {
                display: "<stdin>".into(),
                source: Source::Stdin,
            });
            continue;
        }
        walk(path, follow, &mut found);
    }
    found
}

/// Why an entry that is neither a file nor a directory is not read.
pub fn skip_reason(ft: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_symlink() {
        "symbolic link not followed (--follow follows links met while walking)"
    } else if ft.is_fifo() {
        "a FIFO (named pipe): skipped, reading it could wait forever; azsm reads regular files and - (stdin)"
    } else if ft.is_socket() {
        "a socket: skipped; azsm reads regular files and - (stdin)"
    } else if ft.is_block_device() || ft.is_char_device() {
        "a device: skipped; azsm reads regular files and - (stdin)"
    } else {
        "not a regular file: skipped"
    }
}

fn walk(root: &Path, follow: bool, found: &mut Found) {
    let walker = WalkDir::new(root)
        .follow_links(follow)
        .follow_root_links(true)
        .sort_by_file_name();
    for entry in walker {
        match entry {
            Ok(e) => {
                let mut ft = e.file_type();
                if e.depth() == 0 && ft.is_symlink() {
                    // A link named on the command line stands for its
                    // target (walkdir walks a linked directory but
                    // reports the root entry itself as a link).
                    match std::fs::metadata(e.path()) {
                        Ok(md) => ft = md.file_type(),
                        Err(io) => {
                            let path = e.path().to_string_lossy();
                            found.errors.push(FileError::io(&path, &io));
                            continue;
                        }
                    }
                }
                let display = e.path().to_string_lossy().into_owned();
                if ft.is_file() {
                    found.inputs.push(Input {
                        display,
                        source: Source::File(e.into_path()),
                    });
                } else if !ft.is_dir() {
                    let message = skip_reason(&ft).to_string();
                    found.skipped.push(FileError {
                        path: display,
                        message,
                    });
                }
            }
            Err(err) => {
                let path = err.path().unwrap_or(root).to_string_lossy().into_owned();
                let message = match (err.loop_ancestor(), err.io_error()) {
                    (Some(a), _) => format!("symbolic link loop back to {}; skipped", a.display()),
                    (_, Some(io)) => FileError::io(&path, io).message,
                    _ => err.to_string(),
                };
                found.errors.push(FileError { path, message });
            }
        }
    }
}
