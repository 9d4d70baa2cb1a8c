//! Checked configuration, built from the raw command line before any work.
//!
//! Everything a user can get wrong in an argument (a regex that does not
//! compile, `-j 0`, an unreadable catalog) fails here, with a message that
//! names the flag, before a single file is opened.

use std::io::Write;

use crate::catalog::Catalog;
use crate::cli::{ColorChoice, ReportFormat, ScanArgs};
use crate::error::Error;
use crate::jobkey::KeyFinder;
use crate::read::ReadOptions;
use crate::scan::Scanner;

/// What the process knows about where its output goes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Terminal {
    /// Standard output is a terminal.
    pub stdout_is_terminal: bool,
    /// `NO_COLOR` is set to a non-empty value.
    pub no_color: bool,
}

impl Terminal {
    /// Whether to colour, given `--color`.
    pub fn color(&self, choice: ColorChoice) -> bool {
        match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => self.stdout_is_terminal && !self.no_color,
        }
    }
}

/// A validated `scan`.
#[derive(Debug)]
pub struct ScanConfig {
    /// The scanner, with the user's job pattern compiled in.
    pub scanner: Scanner,
    /// How inputs are read.
    pub read: ReadOptions,
    /// Worker threads.
    pub threads: usize,
    /// Follow links while walking.
    pub follow: bool,
    /// Report format.
    pub format: ReportFormat,
    /// Directories and example paths shown per item-scope code.
    pub items: usize,
}

impl ScanConfig {
    /// Checks `args`.
    pub fn new(args: &ScanArgs) -> Result<ScanConfig, Error> {
        let keys = KeyFinder::new(args.job_pattern.as_deref())?;
        let threads = match args.threads {
            Some(0) => {
                return Err(Error::Argument {
                    flag: "-j/--threads",
                    message: "it takes a number of threads of at least 1".into(),
                })
            }
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let max_expand = parse_size(&args.max_expand).ok_or_else(|| Error::Argument {
            flag: "--max-expand",
            message: format!(
                "'{}' is not a size; give bytes or a number with K, M, G or T (powers of 1024), e.g. 64G",
                args.max_expand
            ),
        })?;
        if args.items > crate::items::MAX_EXAMPLES {
            return Err(Error::Argument {
                flag: "--items",
                message: format!(
                    "it takes 0 to {} (paths and directories shown per code)",
                    crate::items::MAX_EXAMPLES
                ),
            });
        }
        Ok(ScanConfig {
            scanner: Scanner::new(keys),
            read: ReadOptions {
                binary: args.binary,
                no_mmap: args.no_mmap,
                max_expand,
                ..ReadOptions::default()
            },
            threads,
            follow: args.follow,
            format: args.format,
            items: args.items,
        })
    }
}

/// The catalog: the embedded one, or that overridden by `--catalog`, whose
/// row warnings go to `stderr`.
pub fn catalog(path: Option<&std::path::Path>, stderr: &mut dyn Write) -> Result<Catalog, Error> {
    match path {
        None => Ok(Catalog::embedded().clone()),
        Some(p) => {
            let (catalog, warnings) = Catalog::with_override(p)?;
            for w in warnings {
                let _ = writeln!(stderr, "azsm: warning: {w}");
            }
            Ok(catalog)
        }
    }
}

/// Parses a size: bytes, or a number with `K`, `M`, `G` or `T` (powers of
/// 1024; an optional `B`, `iB` after the unit, any case). At least 1 byte.
pub fn parse_size(s: &str) -> Option<u64> {
    let t = s.trim().to_ascii_uppercase();
    let t = t
        .strip_suffix("IB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(&t);
    let (num, shift) = match t.chars().last()? {
        'K' => (&t[..t.len() - 1], 10),
        'M' => (&t[..t.len() - 1], 20),
        'G' => (&t[..t.len() - 1], 30),
        'T' => (&t[..t.len() - 1], 40),
        _ => (t, 0),
    };
    let n: u64 = num.trim().parse().ok()?;
    let v = n.checked_mul(1u64 << shift)?;
    (v > 0).then_some(v)
}

/// Formats a size the way [`parse_size`] reads it, when exact (`64G`).
pub fn format_size(n: u64) -> String {
    for (unit, shift) in [("T", 40), ("G", 30), ("M", 20), ("K", 10)] {
        if n >= 1 << shift && n % (1 << shift) == 0 {
            return format!("{}{unit}", n >> shift);
        }
    }
    format!("{n} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10G"), Some(10 << 30));
        assert_eq!(parse_size("64g"), Some(64 << 30));
        assert_eq!(parse_size("500MiB"), Some(500 << 20));
        assert_eq!(parse_size("1024"), Some(1024));
        assert_eq!(parse_size("2kb"), Some(2048));
        for bad in ["", "G", "-1G", "1.5G", "0", "10X", "99999999999T"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
        assert_eq!(format_size(64 << 30), "64G");
        assert_eq!(format_size(1000), "1000 bytes");
    }
}
