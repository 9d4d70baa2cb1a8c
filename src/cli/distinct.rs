//! The reports `azsm merge` reads, each once.
//!
//! A report given twice would double every count without a word: the same
//! file (by device and inode, so also through a link or another path) and
//! the same bytes from two paths (a copy) are both counted once, with a
//! warning naming both paths.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// `paths` without repeats, in order; each repeat is named on `warn`.
/// A file that cannot be read is kept, for its reader to report.
pub fn distinct<'a>(paths: &'a [PathBuf], warn: &mut dyn Write) -> Vec<&'a PathBuf> {
    let mut ids: HashMap<(u64, u64), &PathBuf> = HashMap::new();
    let mut contents: HashMap<(usize, u64), Vec<&PathBuf>> = HashMap::new();
    let mut kept = Vec::new();
    for path in paths {
        let Ok(meta) = std::fs::metadata(path) else {
            kept.push(path);
            continue;
        };
        if let Some(first) = ids.get(&(meta.dev(), meta.ino())) {
            let what = if *first == path {
                "given twice".to_string()
            } else {
                format!("the same file as {}", first.display())
            };
            let _ = writeln!(
                warn,
                "azsm: warning: {} is {what}; its report is counted once",
                path.display()
            );
            continue;
        }
        ids.insert((meta.dev(), meta.ino()), path);
        let Ok(bytes) = std::fs::read(path) else {
            kept.push(path);
            continue;
        };
        let mut h = DefaultHasher::new();
        h.write(&bytes);
        let same = contents.entry((bytes.len(), h.finish())).or_default();
        // A hash match is checked byte for byte before a report is dropped.
        if let Some(first) = same
            .iter()
            .find(|p| std::fs::read(p).is_ok_and(|b| b == bytes))
        {
            let _ = writeln!(
                warn,
                "azsm: warning: {} has the same bytes as {} (a copy of one report?); counted once",
                path.display(),
                first.display()
            );
            continue;
        }
        same.push(path);
        kept.push(path);
    }
    kept
}
