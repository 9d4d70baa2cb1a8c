//! What to scan: command-line paths to a sorted list of inputs.
//!
//! Directories are walked recursively (in file-name order, so the list is
//! the same on every run); `-` is standard input. The walk runs on the
//! current rayon pool: each directory is read once, its entries sorted by
//! name (bytes), and its sub-directories walked in parallel, their results
//! joined back in order, so the list is the one a sequential depth-first
//! walk gives (walkdir's, with `sort_by_file_name`; the tests compare
//! them) whatever the thread count. Symbolic links met while walking are
//! followed only with `--follow` (a link back to a directory being walked,
//! or to one above the argument, is then reported as a loop); a link named
//! on the command line is always followed, as in ripgrep. Entries that
//! cannot be read become [`FileError`]s and the walk goes on. FIFOs,
//! sockets and devices are never opened (a FIFO without a writer, or
//! `/dev/zero`, would never end): they are skipped with a note, also when
//! named on the command line. A file that several arguments reach is
//! listed once, where it is first reached (see [`find`]), so that naming
//! a directory and a log inside it does not count that log's events twice.
//! [`walk_visiting`] walks one path the same way and hands each file to a
//! callback as it is found, so that scanning need not wait for the list.

use std::ffi::OsString;
use std::fs::{self, FileType};
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::model::error::FileError;

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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    /// The inputs, in argument order, each directory's files sorted.
    pub inputs: Vec<Input>,
    /// Paths that could not be walked.
    pub errors: Vec<FileError>,
    /// Entries passed over, and why: links not followed, FIFOs, sockets,
    /// devices. Notes, not errors.
    pub skipped: Vec<FileError>,
}

/// Walks `paths`, on the current rayon pool, each file once. Never inlined, so profilers
/// (`valgrind --tool=callgrind --toggle-collect=azsm::input::walk::find`) see it.
#[inline(never)]
pub fn find(paths: &[PathBuf], follow: bool) -> Found {
    let mut each = walk_each(paths, follow);
    if each.len() == 1 {
        return each.pop().unwrap_or_default();
    }
    once_each(paths, each)
}

/// [`find`] for the one path `root`, calling `visit` with each input as
/// the walk finds it, from whichever thread of the pool found it (see
/// [`crate::pipeline::scan_walking`]). The [`Found`] is the one [`find`]
/// gives; only the order of the calls depends on scheduling. The files of
/// one directory are then handed out in parallel too, where [`find`]
/// lists them on one thread.
pub fn walk_visiting(root: &Path, follow: bool, visit: &(dyn Fn(&Input) + Sync)) -> Found {
    walk_root(root, follow, Some(visit))
}

/// What each argument gives alone, in argument order.
fn walk_each(paths: &[PathBuf], follow: bool) -> Vec<Found> {
    paths
        .par_iter()
        .map(|path| {
            if path.as_os_str() == "-" {
                let mut found = Found::default();
                found.inputs.push(Input {
                    display: "<stdin>".into(),
                    source: Source::Stdin,
                });
                found
            } else {
                walk_root(path, follow, None)
            }
        })
        .collect()
}

/// The arguments' inputs joined in argument order, each file once: a file
/// reached again through a later argument (the same path twice, a
/// directory and a file in it, a link to a directory already named) is
/// dropped there, with a note. Files are known by their argument's
/// canonical path and their path below it, so the same file reached
/// through two links met while walking (`--follow`) is not recognised.
fn once_each(paths: &[PathBuf], each: Vec<Found>) -> Found {
    let mut seen = std::collections::HashSet::new();
    let mut all = Found::default();
    for (root, mut found) in paths.iter().zip(each) {
        let canonical = root.canonicalize().ok();
        let before = found.inputs.len();
        found.inputs.retain(|input| {
            let Source::File(path) = &input.source else {
                return true;
            };
            match (&canonical, path.strip_prefix(root)) {
                (Some(c), Ok(rel)) if rel.as_os_str().is_empty() => seen.insert(c.clone()),
                (Some(c), Ok(rel)) => seen.insert(c.join(rel)),
                _ => true,
            }
        });
        let dropped = before - found.inputs.len();
        if dropped > 0 {
            found.skipped.push(FileError {
                path: root.to_string_lossy().into_owned(),
                message: if before == 1 && dropped == 1 {
                    "already named through an earlier argument: scanned once".to_string()
                } else {
                    format!(
                        "{dropped} of its {before} files already named through an earlier argument: each scanned once"
                    )
                },
            });
        }
        all.extend(found);
    }
    all
}

impl Found {
    /// `self` followed by `later`.
    fn append(mut self, later: Found) -> Found {
        self.extend(later);
        self
    }

    /// Adds `later` after what `self` has.
    fn extend(&mut self, mut later: Found) {
        self.inputs.append(&mut later.inputs);
        self.errors.append(&mut later.errors);
        self.skipped.append(&mut later.skipped);
    }

    fn error(&mut self, path: &Path, err: &io::Error) {
        self.errors
            .push(FileError::io(&path.to_string_lossy(), err));
    }
}

/// Why an entry that is neither a file nor a directory is not read.
pub fn skip_reason(ft: &std::fs::FileType) -> &'static str {
    if ft.is_symlink() {
        return "symbolic link not followed (--follow follows links met while walking)";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe): skipped, reading it could wait forever; azsm reads regular files and - (stdin)";
        } else if ft.is_socket() {
            return "a socket: skipped; azsm reads regular files and - (stdin)";
        } else if ft.is_block_device() || ft.is_char_device() {
            return "a device: skipped; azsm reads regular files and - (stdin)";
        }
    }
    "not a regular file: skipped"
}

/// What one walk shares: the command-line path (errors without a path of
/// their own are reported on it, as walkdir does), and with `--follow` the
/// directories above it (a link back to one of them is a loop too).
struct Walk<'a> {
    root: &'a Path,
    follow: bool,
    above_root: Vec<PathBuf>,
    /// Called with each input as it is found ([`walk_visiting`]).
    visit: Option<&'a (dyn Fn(&Input) + Sync)>,
}

/// The directories being walked, innermost first: a followed link to one
/// of them is a loop.
struct Ancestors<'a> {
    dir: &'a Path,
    parent: Option<&'a Ancestors<'a>>,
}

fn walk_root<'a>(
    root: &'a Path,
    follow: bool,
    visit: Option<&'a (dyn Fn(&Input) + Sync)>,
) -> Found {
    let mut found = Found::default();
    let mut ft = match fs::symlink_metadata(root) {
        Ok(md) => md.file_type(),
        Err(e) => {
            found.error(root, &e);
            return found;
        }
    };
    let above_root = if follow {
        // As walkdir: the canonical directories above the root, innermost
        // first; one that cannot be found only misses a loop.
        root.canonicalize()
            .map(|c| c.ancestors().skip(1).map(Path::to_path_buf).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let walk = Walk {
        root,
        follow,
        above_root,
        visit,
    };
    if ft.is_symlink() {
        // A link named on the command line is always followed.
        match fs::metadata(root) {
            Ok(md) => ft = md.file_type(),
            Err(e) => {
                found.error(root, &e);
                return found;
            }
        }
        if follow && ft.is_dir() {
            if let Err(e) = walk.check_loop(root, None) {
                found.errors.push(e);
                return found;
            }
        }
    }
    walk.entry(root.to_path_buf(), ft, None, &mut found);
    found
}

impl Walk<'_> {
    /// Adds `path` (of type `ft`, links already followed) to `found`: a
    /// file as an input, a directory as what is under it, anything else
    /// as a note.
    fn entry(&self, path: PathBuf, ft: FileType, up: Option<&Ancestors<'_>>, found: &mut Found) {
        if ft.is_file() {
            let input = Input {
                display: path.to_string_lossy().into_owned(),
                source: Source::File(path),
            };
            if let Some(visit) = self.visit {
                visit(&input);
            }
            found.inputs.push(input);
        } else if ft.is_dir() {
            let here = Ancestors {
                dir: &path,
                parent: up,
            };
            self.dir(&here, found);
        } else {
            found.skipped.push(FileError {
                path: path.to_string_lossy().into_owned(),
                message: skip_reason(&ft).to_string(),
            });
        }
    }

    /// Adds what is under the directory `here.dir` to `found`: its
    /// entries in file-name order, sub-directories walked in parallel.
    fn dir(&self, here: &Ancestors<'_>, found: &mut Found) {
        let read = match fs::read_dir(here.dir) {
            Ok(read) => read,
            Err(e) => return found.error(here.dir, &e),
        };
        // As walkdir: entries that cannot be read come first, in the
        // order met; an error without a path is reported on the root.
        let mut entries: Vec<(OsString, FileType)> = Vec::new();
        for entry in read {
            match entry {
                Ok(entry) => match entry.file_type() {
                    Ok(ft) => entries.push((entry.file_name(), ft)),
                    Err(e) => found.error(&entry.path(), &e),
                },
                Err(e) => found.error(self.root, &e),
            }
        }
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        // Entries are lent to the threads, not moved: each name is freed by
        // the thread that allocated it, with the list, so that the threads
        // do not wait on each other's malloc arena locks while files are
        // scanned as found.
        let one = |found: &mut Found, &(ref name, ft): &(OsString, FileType)| {
            let path = here.dir.join(name);
            match self.resolve(&path, ft, here) {
                Ok(ft) => self.entry(path, ft, Some(here), found),
                Err(e) => found.errors.push(e),
            }
        };
        if entries.len() == 1
            || (self.visit.is_none() && entries.iter().all(|(_, ft)| ft.is_file()))
        {
            // Nothing to share between threads (listing files is quick;
            // visiting them, scanning, is not).
            for e in &entries {
                one(found, e);
            }
        } else {
            let under = entries
                .par_iter()
                .fold(Found::default, |mut f, e| {
                    one(&mut f, e);
                    f
                })
                .reduce(Found::default, Found::append);
            found.extend(under);
        }
    }

    /// The type of the entry `path` (of type `ft` itself): with
    /// `--follow`, a link's target's type, or why it cannot be followed.
    fn resolve(
        &self,
        path: &Path,
        ft: FileType,
        here: &Ancestors<'_>,
    ) -> Result<FileType, FileError> {
        if !(self.follow && ft.is_symlink()) {
            return Ok(ft);
        }
        let io = |e: io::Error| FileError::io(&path.to_string_lossy(), &e);
        let ft = fs::metadata(path).map_err(io)?.file_type();
        if ft.is_dir() {
            self.check_loop(path, Some(here))?;
        }
        Ok(ft)
    }

    /// A loop error if the directory `path` is one of those being walked
    /// (innermost first, then those above the root), compared as walkdir
    /// does: by device and inode of the opened directories (an error
    /// opening one is reported on the root).
    fn check_loop(&self, path: &Path, up: Option<&Ancestors<'_>>) -> Result<(), FileError> {
        let id = |p: &Path| -> Result<(u64, u64), FileError> {
            use std::os::unix::fs::MetadataExt;
            let md = fs::File::open(p)
                .and_then(|f| f.metadata())
                .map_err(|e| FileError::io(&self.root.to_string_lossy(), &e))?;
            Ok((md.dev(), md.ino()))
        };
        let child = id(path)?;
        let mut walked = Vec::new();
        let mut up = up;
        while let Some(a) = up {
            walked.push(a.dir);
            up = a.parent;
        }
        let above = self.above_root.iter().map(PathBuf::as_path);
        for ancestor in walked.into_iter().chain(above) {
            if id(ancestor)? == child {
                return Err(FileError {
                    path: path.to_string_lossy().into_owned(),
                    message: format!("symbolic link loop back to {}; skipped", ancestor.display()),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
