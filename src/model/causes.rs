//! Sub-causes: the words next to a code that turn generic advice into a
//! specific fix.
//!
//! The most frequent codes are the generic ones (AZSM1020, 1040, 1060,
//! 2080) whose catalog advice is "retry or open a ticket", yet the line
//! that carries the code usually says what happened (`The specified share
//! is full`, `ServiceCode=AuthorizationPermissionMismatch`). The table of
//! such words is data, `causes/causes.tsv`, embedded in the binary; `--causes
//! FILE` replaces and extends its rows the way `--catalog` does for codes.
//!
//! Matching is ASCII case-insensitive and runs only on lines that carry a
//! code, never on other lines. A code line of up to [`SKIP_MAX`] bytes is
//! searched as it is, with a Wu-Manber-style skip loop (`Skip`): a window
//! as long as the shortest trigger slides along the line, and the two bytes
//! at its end, case folded, index a table of how far it may slide without
//! passing over a trigger's start (most windows slide their full length:
//! about eight steps for an 87-byte line, in two chains that run side by
//! side). Where the table says 0, every trigger that begins with the
//! window's first byte is compared with `eq_ignore_ascii_case`, so all
//! triggers on the line are found, overlapping ones included, without a
//! lower-cased copy of the line.
//!
//! Longer texts (long lines, and the stretches ahead searched at once on a
//! dense log, see [`Causes::find_on_line`]), and every text when the
//! shortest trigger is under [`SKIP_MIN`] bytes (the window would slide too
//! little), are lower-cased (ASCII only, so byte offsets do not move) into a
//! reused buffer, and one Aho-Corasick automaton over all the lower-cased
//! triggers, built once, finds where triggers start: leftmost-first, so that
//! it can run as a SIMD (Teddy) searcher (the crate's `packed` one, on CPUs
//! that have the instructions) that skips the bytes where none can start;
//! the same comparison then runs at each such start. (An
//! ASCII-case-insensitive overlapping automaton gets no SIMD prefilter: it
//! walks every byte of every code line.) On a short line the Teddy search,
//! its set-up and the copy cost more than the line, so the skip loop is
//! used there; the two always find the same triggers in the same order
//! (property tests hold both to an obvious search).
//!
//! Rows that share a name are one sub-cause: the first such row in the
//! table gives its fix and kind, and events carry that row's id, so the
//! name identifies a sub-cause in reports (and `azsm merge` reads it back).
//!
//! When several triggers match for one code, the winner is
//! (see [`Causes::pick`]): a row for that very code before a row for any
//! code; then the longest trigger (more words, more specific); then the one
//! that starts first on the line; then the earlier row of the table.

use std::path::Path;
use std::sync::OnceLock;

use aho_corasick::{packed, AhoCorasick, AhoCorasickBuilder, Input, MatchKind, Span};
use serde::Serialize;

use crate::model::code::Code;
use crate::model::error::Error;

mod skip;

use skip::Skip;
pub use skip::{SKIP_MAX, SKIP_MIN};

/// The embedded table.
pub const EMBEDDED_TSV: &str = include_str!("../../causes/causes.tsv");

/// A row of the table, by its position in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CauseId(pub u16);

/// What a sub-cause's words mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A specific fix: the events form a remediation of their own.
    Fix,
    /// A healthy state the agent prints: the event is not a finding.
    Healthy,
}

/// One row: when `trigger` is on a line with `code` (or any code), the
/// sub-cause is `name`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cause {
    /// The code it applies to; `None` for any code.
    pub code: Option<Code>,
    /// Literal text, matched case-insensitively.
    pub trigger: String,
    /// Short name, e.g. `share-full`.
    pub name: String,
    /// Fix or healthy.
    pub kind: Kind,
    /// What to do (for a healthy row: what the words mean).
    pub fix: String,
    /// Where the row comes from.
    pub source: String,
}

impl Cause {
    /// Whether the event is not a finding.
    pub fn is_healthy(&self) -> bool {
        self.kind == Kind::Healthy
    }
}

/// A problem with one row of a table (the same shape as the catalog's).
pub use crate::model::catalog::Warning;

/// Where a sub-cause's trigger matched on a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    /// The row.
    pub id: CauseId,
    /// Byte range of the matched words in the line.
    pub start: usize,
    /// End of that range.
    pub end: usize,
    /// Whether the row is healthy.
    pub healthy: bool,
}

/// A trigger found on a line, before it is picked for a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    pattern: u32,
    start: usize,
    end: usize,
}

impl Found {
    /// Its trigger, by number.
    pub fn pattern(&self) -> u32 {
        self.pattern
    }

    /// Where it starts in the text searched.
    pub fn start(&self) -> usize {
        self.start
    }

    /// Where it ends.
    pub fn end(&self) -> usize {
        self.end
    }

    /// The same trigger at `start` (a line searched in pieces).
    pub fn moved_to(self, start: usize) -> Found {
        Found {
            start,
            end: start + (self.end - self.start),
            ..self
        }
    }
}

/// Where the next trigger starts: the crate's SIMD (Teddy) searcher when
/// the CPU has the instructions, else an Aho-Corasick automaton (the same
/// answers, slower).
#[derive(Clone, Debug)]
enum Starts {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

impl Starts {
    /// The start of the leftmost trigger at or after `pos`.
    #[inline]
    fn next(&self, hay: &[u8], pos: usize) -> Option<usize> {
        let span = Span::from(pos..hay.len());
        match self {
            Starts::Packed(p) => p.find_in(hay, span).map(|m| m.start()),
            Starts::Automaton(a) => a.find(Input::new(hay).span(span)).map(|m| m.start()),
        }
    }
}

/// Reusable buffers for [`Causes::find_all`], and the look-ahead state of
/// [`Causes::find_on_line`] (one per chunk: lines come in order).
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    lower: Vec<u8>,
    /// Candidates of the skip search's second window.
    later: Vec<usize>,
    /// The triggers found on the last line searched.
    pub found: Vec<Found>,
    /// Triggers found ahead, at positions in the chunk, in order.
    ahead: Vec<Found>,
    /// The first of them not yet passed.
    next: usize,
    /// The chunk was searched up to here (a line end).
    searched_to: usize,
    /// Where the last line searched ended.
    last_end: usize,
    /// How far the last search went ahead of its line.
    span: usize,
    /// Where it started.
    from: usize,
    /// How many bytes of code lines it has served.
    served: usize,
    /// Code lines in a row, each right after the one before.
    run: usize,
}

/// How far ahead [`Causes::find_on_line`] searches at most, once code lines
/// come one after the other.
pub const AHEAD: usize = 16 * 1024;
/// How far it searches ahead at first.
const AHEAD_FIRST: usize = 1024;
/// After how many code lines in a row it starts searching ahead.
const RUN: usize = 4;

/// The table, compiled.
#[derive(Clone, Debug)]
pub struct Causes {
    rows: Vec<Cause>,
    /// Leftmost-first search over `patterns`: where triggers start (used
    /// when `skip` is not).
    starts: Option<Starts>,
    /// The skip search over `patterns`, when the shortest is long enough.
    skip: Option<Skip>,
    /// The distinct lower-cased triggers.
    patterns: Vec<Box<[u8]>>,
    /// For each first byte, the patterns that start with it.
    by_first: Vec<Vec<u32>>,
    /// For each row, the first row with its name.
    canon: Vec<u16>,
    /// For each pattern, the rows with that trigger.
    rows_of: Vec<Vec<u16>>,
}

impl Causes {
    /// The embedded table, parsed and compiled once.
    pub fn embedded() -> &'static Causes {
        static EMBEDDED: OnceLock<Causes> = OnceLock::new();
        EMBEDDED.get_or_init(|| {
            let (rows, warnings) = parse(EMBEDDED_TSV, "embedded");
            debug_assert!(warnings.is_empty(), "{warnings:?}");
            Causes::build(rows)
        })
    }

    /// The embedded table with the rows of the file at `path`: a row with
    /// the same code and trigger (ignoring ASCII case) replaces the embedded
    /// one, the others are added. Warnings name the file and line.
    pub fn with_override(path: &Path) -> Result<(Causes, Vec<String>), Error> {
        let bytes = std::fs::read(path).map_err(|source| Error::Causes {
            path: path.to_path_buf(),
            source,
        })?;
        let doc = String::from_utf8_lossy(&bytes);
        let (extra, warnings) = parse(&doc, &path.display().to_string());
        let base = Causes::embedded();
        let mut rows = base.rows.clone();
        for row in extra {
            match rows
                .iter_mut()
                .find(|r| r.code == row.code && r.trigger.eq_ignore_ascii_case(&row.trigger))
            {
                Some(r) => *r = row,
                None => rows.push(row),
            }
        }
        let causes = Causes::build(rows);
        let warnings = warnings
            .into_iter()
            .map(|w| format!("{}:{}: {}", path.display(), w.line, w.message))
            .collect();
        Ok((causes, warnings))
    }

    /// Compiles `rows` (at most `u16::MAX` of them are kept).
    pub fn build(mut rows: Vec<Cause>) -> Causes {
        rows.truncate(usize::from(u16::MAX));
        let mut patterns: Vec<String> = Vec::new();
        let mut rows_of: Vec<Vec<u16>> = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let key = row.trigger.to_ascii_lowercase();
            let id = i as u16; // rows were truncated to u16::MAX above
            match patterns.iter().position(|p| *p == key) {
                Some(p) => rows_of[p].push(id),
                None => {
                    patterns.push(key);
                    rows_of.push(vec![id]);
                }
            }
        }
        let starts = if patterns.is_empty() {
            None
        } else if let Some(p) = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(&patterns)
            .build()
        {
            Some(Starts::Packed(p))
        } else {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostFirst)
                .build(&patterns)
                .ok()
                .map(Starts::Automaton)
        };
        let mut by_first = vec![Vec::new(); 256];
        for (i, p) in patterns.iter().enumerate() {
            if let Some(&b) = p.as_bytes().first() {
                by_first[usize::from(b)].push(i as u32);
            }
        }
        let canon = rows
            .iter()
            .map(|r| rows.iter().position(|o| o.name == r.name).unwrap_or(0) as u16)
            .collect();
        let patterns: Vec<Box<[u8]>> = patterns
            .into_iter()
            .map(|p| p.into_bytes().into_boxed_slice())
            .collect();
        let skip = Skip::new(&patterns).filter(|k| k.window >= SKIP_MIN);
        Causes {
            starts,
            skip,
            canon,
            patterns,
            by_first,
            rows,
            rows_of,
        }
    }

    /// The length of its longest trigger, in bytes.
    pub fn longest_trigger(&self) -> usize {
        self.patterns.iter().map(|p| p.len()).max().unwrap_or(0)
    }

    /// The row `id`.
    pub fn get(&self, id: CauseId) -> &Cause {
        &self.rows[usize::from(id.0)]
    }

    /// The sub-cause called `name`: the first row with that name.
    pub fn by_name(&self, name: &str) -> Option<CauseId> {
        self.rows
            .iter()
            .position(|r| r.name == name)
            .map(|i| CauseId(i as u16))
    }

    /// All rows, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (CauseId, &Cause)> {
        self.rows
            .iter()
            .enumerate()
            .map(|(i, r)| (CauseId(i as u16), r))
    }

    /// The rows that apply to `code`: its own first, then those for any
    /// code, each in table order.
    pub fn for_code(&self, code: Code) -> Vec<(CauseId, &Cause)> {
        let own = self.iter().filter(|(_, r)| r.code == Some(code));
        let any = self.iter().filter(|(_, r)| r.code.is_none());
        own.chain(any).collect()
    }

    /// Every trigger on `line` (overlapping ones too), into `scratch.found`,
    /// in the order of their starts, those at one start in the order of
    /// `by_first`.
    #[inline]
    pub fn find_all(&self, line: &[u8], scratch: &mut Scratch) {
        match &self.skip {
            Some(skip) if line.len() <= SKIP_MAX => {
                scratch.found.clear();
                let found = &mut scratch.found;
                skip.find(line, &mut scratch.later, |start| {
                    self.compare_at(line, start, found)
                });
            }
            _ => self.find_lowered(line, scratch),
        }
    }

    /// Pushes every trigger that starts at `hay[start..]`, ignoring ASCII
    /// case, onto `found`.
    #[inline]
    fn compare_at(&self, hay: &[u8], start: usize, found: &mut Vec<Found>) {
        let Some(&first) = hay.get(start) else {
            return;
        };
        for &p in &self.by_first[usize::from(first.to_ascii_lowercase())] {
            let pat = &self.patterns[p as usize];
            if hay
                .get(start..start + pat.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(pat))
            {
                found.push(Found {
                    pattern: p,
                    start,
                    end: start + pat.len(),
                });
            }
        }
    }

    /// [`Causes::find_all`] through a lower-cased copy of `line` and the
    /// leftmost-first search of where triggers start: the search of tables
    /// with short triggers, and the tests' second opinion on the skip
    /// search.
    fn find_lowered(&self, line: &[u8], scratch: &mut Scratch) {
        scratch.found.clear();
        let Some(starts) = &self.starts else {
            return;
        };
        scratch.lower.clear();
        // Copied, then lower-cased in place: a branch-free loop the
        // compiler vectorizes (a mapped copy went a byte at a time).
        scratch.lower.extend_from_slice(line);
        scratch.lower.make_ascii_lowercase();
        let hay = &scratch.lower[..];
        let mut pos = 0;
        // Leftmost: each match starts at the first position >= pos where any
        // trigger starts; every trigger starting there is then compared.
        while let Some(start) = starts.next(hay, pos) {
            let Some(&first) = hay.get(start) else {
                break;
            };
            for &p in &self.by_first[usize::from(first)] {
                let pat = &self.patterns[p as usize];
                if hay[start..].starts_with(pat) {
                    scratch.found.push(Found {
                        pattern: p,
                        start,
                        end: start + pat.len(),
                    });
                }
            }
            pos = start + 1;
        }
    }

    /// Every trigger on the line `buf[line]` (overlapping ones too), into
    /// `scratch.found` with positions in the line: the same as
    /// [`Causes::find_all`] on that line. Calls must come in line order
    /// within one `buf`, with a fresh `scratch` for each `buf`.
    ///
    /// Searching line by line costs a call and a search set-up per line,
    /// most of the work on short lines. So when a code line directly
    /// follows the previous one (a dense copy log), the bytes ahead are
    /// searched at once (with the lowered SIMD search: see [`SKIP_MAX`]),
    /// and later lines take their triggers from that search. It starts after `RUN` (4) such lines in a
    /// row, and the stretch searched ahead doubles (up to [`AHEAD`]) while
    /// code lines fill at least three quarters of the last one; otherwise
    /// lines are searched alone again, so that what is searched beyond code
    /// lines stays a small part of what they are. Triggers never hold
    /// a line break (table rows are lines), so a trigger within a line is
    /// found the same way in either search.
    #[inline]
    pub fn find_on_line(&self, buf: &[u8], line: std::ops::Range<usize>, scratch: &mut Scratch) {
        scratch.found.clear();
        if self.starts.is_none() {
            return;
        }
        let adjacent = scratch.searched_to > 0 && line.start <= scratch.last_end + 2;
        scratch.run = if adjacent { scratch.run + 1 } else { 0 };
        if line.end > scratch.searched_to || line.start < scratch.last_end {
            // The last stretch paid off when code lines filled most of it.
            let paid = scratch.served * 4 >= (scratch.searched_to - scratch.from) * 3;
            scratch.span = if scratch.run < RUN || (scratch.span > 0 && !paid) {
                0
            } else {
                (scratch.span * 2).clamp(AHEAD_FIRST, AHEAD)
            };
            if scratch.span == 0 && !paid {
                scratch.run = 0;
            }
            let reach = if scratch.span > 0 && line.end < buf.len() {
                let want = (line.start + scratch.span).max(line.end);
                match buf.get(want..).and_then(|rest| memchr::memchr(b'\n', rest)) {
                    Some(p) => want + p,
                    None => buf.len(),
                }
            } else {
                line.end
            };
            let window = &buf[line.start..reach];
            let mut found = std::mem::take(&mut scratch.ahead);
            found.clear();
            self.find_all(window, scratch);
            found.extend(scratch.found.iter().map(|f| Found {
                pattern: f.pattern,
                start: f.start + line.start,
                end: f.end + line.start,
            }));
            scratch.found.clear();
            scratch.ahead = found;
            scratch.next = 0;
            scratch.from = line.start;
            scratch.searched_to = reach;
            scratch.served = 0;
        }
        scratch.served += line.end + 1 - line.start;
        scratch.last_end = line.end;
        let ahead = &scratch.ahead;
        while scratch.next < ahead.len() && ahead[scratch.next].start < line.start {
            scratch.next += 1;
        }
        let mut i = scratch.next;
        while i < ahead.len() && ahead[i].start < line.end {
            let f = ahead[i];
            if f.end <= line.end {
                scratch.found.push(Found {
                    pattern: f.pattern,
                    start: f.start - line.start,
                    end: f.end - line.start,
                });
            }
            i += 1;
        }
        scratch.next = i;
    }

    /// The sub-cause of `code` among the triggers `found` on its line (as
    /// the id of the first row with the winning row's name): a row
    /// for the code before a row for any code, then the longest trigger,
    /// then the earliest on the line, then the earlier row.
    pub fn pick(&self, code: Code, found: &[Found]) -> Option<Hit> {
        let mut best: Option<((bool, usize, usize, u16), Hit)> = None;
        for f in found {
            for &id in &self.rows_of[f.pattern as usize] {
                let row = &self.rows[usize::from(id)];
                let own = match row.code {
                    Some(c) if c == code => true,
                    Some(_) => continue,
                    None => false,
                };
                // Smaller is better.
                let key = (!own, usize::MAX - (f.end - f.start), f.start, id);
                if best.as_ref().is_none_or(|(k, _)| key < *k) {
                    best = Some((
                        key,
                        Hit {
                            id: CauseId(id),
                            start: f.start,
                            end: f.end,
                            healthy: row.is_healthy(),
                        },
                    ));
                }
            }
        }
        best.map(|(_, h)| {
            let id = self.canon[usize::from(h.id.0)];
            Hit {
                id: CauseId(id),
                healthy: self.rows[usize::from(id)].is_healthy(),
                ..h
            }
        })
    }
}

/// Parses a table; never fails: malformed rows become warnings. `origin`
/// is the default source of rows that leave it out.
pub fn parse(doc: &str, origin: &str) -> (Vec<Cause>, Vec<Warning>) {
    let mut rows = Vec::new();
    let mut warnings = Vec::new();
    for (i, raw) in doc.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').map(str::trim).collect();
        if cells.len() > 1 && cells[0] == "code" && cells[1] == "trigger" {
            continue; // the header
        }
        match row(&cells, &format!("{origin}:{}", i + 1)) {
            Ok(r) => rows.push(r),
            Err(message) => warnings.push(Warning {
                line: i + 1,
                message,
            }),
        }
    }
    (rows, warnings)
}

fn row(cells: &[&str], origin: &str) -> Result<Cause, String> {
    if !(5..=6).contains(&cells.len()) {
        return Err(format!(
            "{} tab-separated cells, expected 5 or 6 (code, trigger, name, kind, fix[, source]); row skipped",
            cells.len()
        ));
    }
    let code = match cells[0] {
        "*" => None,
        c => Some(
            c.parse::<Code>()
                .ok()
                .filter(|_| c.starts_with("AZSM"))
                .ok_or_else(|| {
                    format!("code {c:?} is neither AZSM followed by four digits nor *; row skipped")
                })?,
        ),
    };
    let kind = match cells[3] {
        "fix" => Kind::Fix,
        "healthy" => Kind::Healthy,
        k => {
            return Err(format!(
                "kind {k:?} is neither fix nor healthy; row skipped"
            ))
        }
    };
    for (i, what) in [(1, "trigger"), (2, "name"), (4, "fix")] {
        if cells[i].is_empty() {
            return Err(format!("empty {what}; row skipped"));
        }
    }
    let source = cells.get(5).filter(|s| !s.is_empty()).map_or(origin, |s| s);
    Ok(Cause {
        code,
        trigger: cells[1].to_string(),
        name: cells[2].to_string(),
        kind,
        fix: cells[4].to_string(),
        source: source.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> Code {
        s.parse().unwrap()
    }

    fn cause_of(causes: &Causes, c: &str, line: &str) -> Option<String> {
        let mut scratch = Scratch::default();
        causes.find_all(line.as_bytes(), &mut scratch);
        causes
            .pick(code(c), &scratch.found)
            .map(|h| causes.get(h.id).name.clone())
    }

    #[test]
    fn embedded_table_has_every_row_of_the_facts() {
        let c = Causes::embedded();
        assert_eq!(c.iter().count(), 17);
        let names: Vec<&str> = c
            .for_code(code("AZSM1060"))
            .iter()
            .map(|(_, r)| r.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "invalid-resource-name",
                "share-full",
                "smb-bad-file-descriptor",
                "private-endpoint-dns",
                "missing-data-role",
                "missing-data-role",
                "missing-data-role",
                "storage-firewall",
                "share-full",
                "invalid-resource-name",
                "endpoint-reachable"
            ]
        );
        assert!(c
            .iter()
            .all(|(_, r)| !r.source.is_empty() && !r.fix.is_empty()));
        // Rows sharing a name share the fix text, so they form one remediation.
        for (_, a) in c.iter() {
            for (_, b) in c.iter().filter(|(_, b)| b.name == a.name) {
                assert_eq!(a.fix, b.fix, "{}", a.name);
            }
        }
    }

    #[test]
    fn the_most_specific_trigger_wins() {
        let c = Causes::embedded();
        let line = "ERROR AZSM1060 RESPONSE 403: 403 This request is not authorized to perform this operation using this permission.";
        assert_eq!(
            cause_of(c, "AZSM1060", line).as_deref(),
            Some("missing-data-role")
        );
        let line = "ERROR AZSM1060 RESPONSE 403: 403 This request is not authorized to perform this operation.";
        assert_eq!(
            cause_of(c, "AZSM1060", line).as_deref(),
            Some("private-endpoint-dns")
        );
        // Code-specific rows do not apply to other codes.
        assert_eq!(cause_of(c, "AZSM2080", line), None);
        assert_eq!(cause_of(c, "AZSM2062", "AZSM2062 permission denied"), None);
        // Case does not matter; an any-code row applies to every code.
        assert_eq!(
            cause_of(c, "AZSM2080", "azsm AZSM2080 servicecode=sharefull").as_deref(),
            Some("share-full")
        );
        // A code's own row beats a longer any-code row.
        let line = "AZSM1028 RESPONSE 403 ServiceCode=AuthorizationPermissionMismatch";
        assert_eq!(
            cause_of(c, "AZSM1028", line).as_deref(),
            Some("key-vault-forbidden")
        );
    }

    #[test]
    fn overlapping_and_same_start_triggers_are_all_seen() {
        let row = |code: Option<&str>, trigger: &str, name: &str| Cause {
            code: code.map(|c| c.parse().unwrap()),
            trigger: trigger.into(),
            name: name.into(),
            kind: Kind::Fix,
            fix: format!("fix {name}"),
            source: "test".into(),
        };
        let c = Causes::build(vec![
            row(None, "InvalidResourceName", "long-any"),
            row(Some("AZSM2062"), "invalidresource", "short-own"),
            row(None, "ResourceName: x", "inner-longer"),
            row(Some("AZSM2080"), "name", "inner-own"),
        ]);
        let mut scratch = Scratch::default();
        c.find_all(b"AZSM2062 INVALIDRESOURCENAME: x", &mut scratch);
        let mut seen: Vec<(usize, usize)> =
            scratch.found.iter().map(|f| (f.start, f.end)).collect();
        seen.sort();
        // Both triggers at 9, the one inside them at 16, and "name" at 24.
        assert_eq!(seen, [(9, 24), (9, 28), (16, 31), (24, 28)]);
        let line = "AZSM2062 INVALIDRESOURCENAME: x";
        // Own code first, though shorter than the any-code trigger at the same place.
        assert_eq!(cause_of(&c, "AZSM2062", line).as_deref(), Some("short-own"));
        assert_eq!(cause_of(&c, "AZSM2080", line).as_deref(), Some("inner-own"));
        // For other codes: the longest; at equal length the earliest.
        assert_eq!(cause_of(&c, "AZSM1060", line).as_deref(), Some("long-any"));
        let line = "AZSM1060 resourcename: x invalidresourcename";
        assert_eq!(cause_of(&c, "AZSM1060", line).as_deref(), Some("long-any"));
        let c = Causes::build(vec![row(None, "abc", "a"), row(None, "xyz", "x")]);
        assert_eq!(
            cause_of(&c, "AZSM1060", "xyz abc").as_deref(),
            Some("x"),
            "earliest"
        );
        let empty = Causes::build(Vec::new());
        assert_eq!(cause_of(&empty, "AZSM1060", "anything"), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// Searching ahead finds on each line what a search of that line
        /// alone finds, whichever lines are searched (dense runs, gaps, CR
        /// line ends, triggers split by a line break).
        #[test]
        fn searching_ahead_equals_searching_each_line(
            lines in proptest::collection::vec(
                (proptest::collection::vec(0usize..20, 0..8), 0u8..4, proptest::bool::weighted(0.85)),
                1..900,
            ),
        ) {
            let c = Causes::embedded();
            let triggers: Vec<String> = c.iter().map(|(_, r)| r.trigger.to_uppercase()).collect();
            let filler = ["AZSM1060 ", "x", " share", "ServiceCode=", "\r", "\n", "The specified ", "Full"];
            let mut buf = Vec::new();
            let mut spans = Vec::new();
            for (words, end, visit) in &lines {
                let start = buf.len();
                for &w in words {
                    let t = &triggers[(w * 7 + start) % triggers.len()];
                    let half = t.len() / 2;
                    // Whole triggers, and halves that make one across
                    // pieces, lines and spans.
                    let piece = match w {
                        0..8 => filler[w],
                        8..12 => t,
                        12..14 => &t[..half],
                        14..16 => &t[half..],
                        16..18 => &t[..t.len() - 1],
                        _ => &t[t.len() - 1..],
                    };
                    // A "\n" piece ends a line that is not visited.
                    buf.extend_from_slice(piece.as_bytes());
                }
                let text_end = buf.len();
                buf.extend_from_slice(match end { 0 => &b"\n"[..], 1 => b"\r\n", 2 => b"\n\n", _ => b"" });
                let text = &buf[start..text_end];
                if *visit && !text.contains(&b'\n') && !text.contains(&b'\r') {
                    spans.push(start..text_end);
                }
            }
            let mut ahead = Scratch::default();
            let mut alone = Scratch::default();
            for line in spans {
                c.find_on_line(&buf, line.clone(), &mut ahead);
                c.find_all(&buf[line.clone()], &mut alone);
                proptest::prop_assert_eq!(&ahead.found, &alone.found, "line {:?}", line);
            }
        }
    }

    /// Every trigger on `line`, the obvious way: at each start, every
    /// pattern in table order (the order of `by_first`), compared ignoring
    /// ASCII case.
    fn find_naive(c: &Causes, line: &[u8]) -> Vec<Found> {
        let mut found = Vec::new();
        for start in 0..line.len() {
            for (i, pat) in c.patterns.iter().enumerate() {
                if line[start..].len() >= pat.len()
                    && line[start..start + pat.len()].eq_ignore_ascii_case(pat)
                {
                    found.push(Found {
                        pattern: i as u32,
                        start,
                        end: start + pat.len(),
                    });
                }
            }
        }
        found
    }

    /// The skip search over `c`'s triggers, whatever their shortest length.
    fn find_skipping(c: &Causes, line: &[u8]) -> Option<Vec<Found>> {
        let skip = Skip::new(&c.patterns)?;
        let mut found = Vec::new();
        skip.find(line, &mut Vec::new(), |start| {
            c.compare_at(line, start, &mut found)
        });
        Some(found)
    }

    /// `line` made of `pieces`: a trigger (index into `triggers`) with each
    /// letter's case flipped by the bits of a seed, its first or second
    /// half, or any byte (those that fold with trigger bytes in the skip
    /// table among them).
    fn build_line(triggers: &[Vec<u8>], pieces: &[(u8, usize, u64)]) -> Vec<u8> {
        let mut line = Vec::new();
        for &(kind, which, seed) in pieces {
            let t = &triggers[which % triggers.len()];
            let flip = |(i, &b): (usize, &u8)| {
                if seed >> (i % 64) & 1 == 1 && b.is_ascii_alphabetic() {
                    b ^ 0x20
                } else {
                    b
                }
            };
            let cased: Vec<u8> = t.iter().enumerate().map(flip).collect();
            let half = cased.len() / 2;
            match kind % 6 {
                0 | 1 => line.extend_from_slice(&cased),
                2 => line.extend_from_slice(&cased[..half]),
                3 => line.extend_from_slice(&cased[half..]),
                _ => line.push(seed as u8),
            }
        }
        line
    }

    fn pieces() -> impl proptest::strategy::Strategy<Value = Vec<(u8, usize, u64)>> {
        proptest::collection::vec((0u8..6, 0usize..64, proptest::num::u64::ANY), 0..24)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// On the embedded table the skip search finds what the lower-cased
        /// Teddy search finds, and what the obvious search finds, in the
        /// same order.
        #[test]
        fn skip_search_equals_the_lowered_search(pieces in pieces()) {
            let c = Causes::embedded();
            proptest::prop_assert!(c.skip.is_some(), "the embedded table is searched by skipping");
            let triggers: Vec<Vec<u8>> =
                c.iter().map(|(_, r)| r.trigger.clone().into_bytes()).collect();
            let line = build_line(&triggers, &pieces);
            let mut scratch = Scratch::default();
            c.find_all(&line, &mut scratch);
            let skipped = scratch.found.clone();
            c.find_lowered(&line, &mut scratch);
            proptest::prop_assert_eq!(&skipped, &scratch.found, "{:?}", String::from_utf8_lossy(&line));
            proptest::prop_assert_eq!(&skipped, &find_naive(c, &line));
            // Lines past SKIP_MAX get the lowered search from find_all.
            proptest::prop_assert_eq!(find_skipping(c, &line), Some(skipped));
        }

        /// The same on tables read as `--causes` files: random triggers (a
        /// few letters, so that they share prefixes, overlap and repeat;
        /// punctuation, digits, spaces, a non-ASCII letter), some as short
        /// as two bytes, which the skip search is held to as well though
        /// `find_all` gives such tables the lowered search.
        #[test]
        fn skip_search_equals_the_lowered_search_on_custom_tables(
            words in proptest::collection::vec("[abAB=_/1é][abAB=_/ 1é]{0,12}[abAB=_/1é]", 1..12),
            pieces in pieces(),
        ) {
            let doc: String = words
                .iter()
                .enumerate()
                .map(|(i, w)| format!("*\t{w}\tname-{}\tfix\tDo {i}.\n", i % 3))
                .collect();
            let (rows, warnings) = parse(&doc, "custom.tsv");
            proptest::prop_assert!(warnings.is_empty(), "{:?}", warnings);
            let c = Causes::build(rows);
            let triggers: Vec<Vec<u8>> = words.iter().map(|w| w.as_bytes().to_vec()).collect();
            let line = build_line(&triggers, &pieces);
            let naive = find_naive(&c, &line);
            let mut scratch = Scratch::default();
            c.find_all(&line, &mut scratch);
            proptest::prop_assert_eq!(&scratch.found, &naive, "{:?}", String::from_utf8_lossy(&line));
            c.find_lowered(&line, &mut scratch);
            proptest::prop_assert_eq!(&scratch.found, &naive);
            if let Some(skipped) = find_skipping(&c, &line) {
                proptest::prop_assert_eq!(&skipped, &naive, "{:?}", String::from_utf8_lossy(&line));
            }
        }
    }

    #[test]
    fn the_skip_search_is_used_from_its_minimum_length() {
        let table = |trigger: &str| {
            let (rows, _) = parse(&format!("*\t{trigger}\tn\tfix\tf\n"), "t");
            Causes::build(rows)
        };
        assert!(table(&"x".repeat(SKIP_MIN)).skip.is_some());
        assert!(table(&"x".repeat(SKIP_MIN - 1)).skip.is_none());
        // A trigger at the very start and the very end of a line, in any case.
        let c = table("Share Full");
        let line = b"sHARE fULL and SHARE FULL";
        let mut scratch = Scratch::default();
        c.find_all(line, &mut scratch);
        let spans: Vec<(usize, usize)> = scratch.found.iter().map(|f| (f.start, f.end)).collect();
        assert_eq!(spans, [(0, 10), (15, 25)]);
        c.find_all(&line[..24], &mut scratch);
        assert_eq!(scratch.found.len(), 1);
    }

    #[test]
    fn both_start_finders_agree() {
        let pats = ["servicecode=sharefull", "share", "x509: cert", "a"];
        let auto = Starts::Automaton(
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostFirst)
                .build(pats)
                .unwrap(),
        );
        let Some(p) = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(pats)
            .build()
        else {
            return; // no SIMD searcher on this CPU: only one path exists
        };
        let packed = Starts::Packed(p);
        let hay = b"2024 error azsm1060 servicecode=sharefull; the share x509: cert a".repeat(3);
        for pos in 0..=hay.len() {
            assert_eq!(packed.next(&hay, pos), auto.next(&hay, pos), "{pos}");
        }
    }

    #[test]
    fn malformed_rows_warn_and_the_rest_loads() {
        let doc = "# comment\n\
code\ttrigger\tname\tkind\tfix\tsource\n\
AZSM2062\tdisk quota exceeded\tquota\tfix\tRaise the quota.\n\
AZSM20x2\tbad\tbad\tfix\tbad\n\
*\tonly three\tcells\n\
*\tok\tok\tmaybe\tbad kind\n\
*\t\tname\tfix\tempty trigger\n\
\n\
*\tall good\tgood\thealthy\tFine.\tmy notes\n";
        let (rows, warnings) = parse(doc, "f.tsv");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].code, Some(code("AZSM2062")));
        assert_eq!(rows[0].source, "f.tsv:3");
        assert_eq!(rows[1].source, "my notes");
        assert_eq!(rows[1].kind, Kind::Healthy);
        let lines: Vec<usize> = warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [4, 5, 6, 7]);
        assert!(warnings[0].message.contains("AZSM20x2"), "{}", warnings[0]);
        assert!(warnings[1].message.contains("3 tab-separated cells"));
    }
}
