//! The catalog of status codes: message and mitigation for each known code.
//!
//! Microsoft publishes the codes as a Markdown table on Microsoft Learn. The
//! newest version found (ms.date 03/30/2025) is embedded in the binary and
//! parsed at start-up (a few microseconds: no regex, one pass over 13 KB).
//! `--catalog FILE` parses another version of the same page; its rows
//! override and extend the embedded ones. Rows that do not parse become
//! warnings naming the line; every other row still loads, because the
//! upstream page has shipped malformed rows before.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use crate::model::code::Code;
use crate::model::error::Error;

/// The embedded page, a copy of Microsoft Learn's `status-code.md`.
pub const EMBEDDED_DOC: &str = include_str!("../../catalog/status-code-2025-03-30.md");

const LEARN: &str = "https://learn.microsoft.com";

/// One row of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The short message ("Authorization failure accessing the target location").
    pub message: String,
    /// The mitigation as plain text, links written `text (url)`.
    pub mitigation: String,
}

/// A problem with one row of a catalog document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// 1-based line number in the document.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// All known codes.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    entries: BTreeMap<Code, Entry>,
    sources: Vec<String>,
}

impl Catalog {
    /// The catalog built from the embedded document, parsed once.
    pub fn embedded() -> &'static Catalog {
        static EMBEDDED: OnceLock<Catalog> = OnceLock::new();
        EMBEDDED.get_or_init(|| {
            let (mut catalog, warnings) = Catalog::parse(EMBEDDED_DOC);
            debug_assert!(warnings.is_empty(), "{warnings:?}");
            catalog.sources = vec![format!("embedded: {}", describe(EMBEDDED_DOC))];
            catalog
        })
    }

    /// Parses a status-code Markdown document. Never fails: rows that do not
    /// parse are returned as warnings.
    pub fn parse(doc: &str) -> (Catalog, Vec<Warning>) {
        let mut entries = BTreeMap::new();
        let mut warnings = Vec::new();
        for (i, raw) in doc.lines().enumerate() {
            match parse_row(raw) {
                Row::Other => {}
                Row::Entry(code, entry) => {
                    entries.insert(code, entry);
                }
                Row::Malformed(message) => warnings.push(Warning {
                    line: i + 1,
                    message,
                }),
            }
        }
        let catalog = Catalog {
            entries,
            sources: Vec::new(),
        };
        (catalog, warnings)
    }

    /// The embedded catalog overridden and extended by the document at
    /// `path`. Warnings name the file and line.
    pub fn with_override(path: &Path) -> Result<(Catalog, Vec<String>), Error> {
        let bytes = std::fs::read(path).map_err(|source| Error::Catalog {
            path: path.to_path_buf(),
            source,
        })?;
        let doc = String::from_utf8_lossy(&bytes);
        let (extra, warnings) = Catalog::parse(&doc);
        if extra.entries.is_empty() {
            return Err(Error::CatalogEmpty {
                path: path.to_path_buf(),
            });
        }
        let mut catalog = Catalog::embedded().clone();
        catalog.entries.extend(extra.entries);
        catalog
            .sources
            .push(format!("{}: {}", path.display(), describe(&doc)));
        let warnings = warnings
            .into_iter()
            .map(|w| format!("{}:{}: {}", path.display(), w.line, w.message))
            .collect();
        Ok((catalog, warnings))
    }

    /// The entry for `code`, if the catalog knows it.
    pub fn get(&self, code: Code) -> Option<&Entry> {
        self.entries.get(&code)
    }

    /// All entries in code order.
    pub fn iter(&self) -> impl Iterator<Item = (Code, &Entry)> {
        self.entries.iter().map(|(c, e)| (*c, e))
    }

    /// How many codes are known.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no code is known.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Where the entries came from, e.g. `embedded: Microsoft Learn status-code (ms.date 03/30/2025)`.
    pub fn sources(&self) -> &[String] {
        &self.sources
    }
}

/// A one-line description of a document, from its front matter.
fn describe(doc: &str) -> String {
    let date = doc
        .lines()
        .take(40)
        .find_map(|l| l.trim().strip_prefix("ms.date:"))
        .map(str::trim);
    match date {
        Some(d) => format!("Microsoft Learn status-code page (ms.date {d})"),
        None => "status-code table (no ms.date)".to_string(),
    }
}

enum Row {
    Other,
    Entry(Code, Entry),
    Malformed(String),
}

fn parse_row(raw: &str) -> Row {
    let line = raw.trim();
    if !line.starts_with('|') {
        return Row::Other;
    }
    let cells = split_cells(line);
    let Some(first) = cells.first() else {
        return Row::Other;
    };
    let Some(at) = first.find("AZSM") else {
        // Header, separator, or another table on the page.
        return Row::Other;
    };
    let digits = &first.as_bytes()[at + 4..];
    let code = match digits.get(..4) {
        Some(d)
            if d.iter().all(u8::is_ascii_digit)
                && !digits.get(4).is_some_and(u8::is_ascii_digit) =>
        {
            Code::from_digits([d[0], d[1], d[2], d[3]])
        }
        _ => {
            return Row::Malformed(format!(
            "first cell {:?} holds no code of the form AZSM followed by four digits; row skipped",
            first.trim()
        ))
        }
    };
    if cells.len() != 3 {
        return Row::Malformed(format!(
            "row for {code} has {} cells, expected 3 (code | message | mitigation); row skipped",
            cells.len()
        ));
    }
    let message = plain_text(cells[1]);
    let mitigation = plain_text(cells[2]);
    if message.is_empty() {
        return Row::Malformed(format!("row for {code} has an empty message; row skipped"));
    }
    Row::Entry(
        code,
        Entry {
            message,
            mitigation,
        },
    )
}

/// The cells of a table row: text between unescaped `|`, without the empty
/// cells outside the leading and trailing pipes.
fn split_cells(line: &str) -> Vec<&str> {
    let mut cells = Vec::new();
    let bytes = line.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'|' && (i == 0 || bytes[i - 1] != b'\\') {
            cells.push(&line[start..i]);
            start = i + 1;
        }
    }
    cells.push(&line[start..]);
    // Drop what stands before the first pipe and after the last one.
    if cells.first().is_some_and(|c| c.trim().is_empty()) {
        cells.remove(0);
    }
    if cells.last().is_some_and(|c| c.trim().is_empty()) {
        cells.pop();
    }
    cells
}

/// Markdown cell to plain text: tags and emphasis dropped, links kept as
/// `text (absolute url)`, whitespace folded.
fn plain_text(cell: &str) -> String {
    let mut out = String::with_capacity(cell.len());
    let mut rest = cell;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => match rest.find('>') {
                Some(end) => {
                    out.push(' ');
                    rest = &rest[end + 1..];
                }
                None => {
                    out.push('<');
                    rest = &rest[1..];
                }
            },
            '[' => match link(rest) {
                Some((text, url, len)) => {
                    out.push_str(text);
                    out.push_str(" (");
                    if url.starts_with('/') {
                        out.push_str(LEARN);
                    }
                    out.push_str(url);
                    out.push(')');
                    rest = &rest[len..];
                }
                None => {
                    out.push('[');
                    rest = &rest[1..];
                }
            },
            '*' | '`' => rest = &rest[1..],
            '\\' if rest[1..].starts_with('|') => rest = &rest[1..],
            _ => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `[text](url)` at the start of `s`: text, url and the length consumed.
fn link(s: &str) -> Option<(&str, &str, usize)> {
    let close = s.find("](")?;
    let text = &s[1..close];
    if text.contains('[') || text.contains(']') {
        return None;
    }
    let after = &s[close + 2..];
    let end = after.find(')')?;
    let url = after[..end].trim();
    if url.is_empty() || url.contains(char::is_whitespace) {
        return None;
    }
    Some((text, url, close + 2 + end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> Code {
        s.parse().unwrap()
    }

    #[test]
    fn embedded_catalog_has_every_published_row() {
        let cat = Catalog::embedded();
        assert_eq!(cat.len(), 34);
        let e = cat.get(code("AZSM1024")).unwrap();
        assert_eq!(
            e.message,
            "Authorization failure accessing the target location"
        );
        assert!(e
            .mitigation
            .contains("For NFS, use the Storage Blob Data Contributor role assignment."));
        assert!(e.mitigation.ends_with(
            "The Assign an Azure role for access to blob data (https://learn.microsoft.com/azure/storage/blobs/assign-azure-role-data-access) article may help resolve this issue."
        ));
        for new in ["AZSM1029", "AZSM1030", "AZSM1031", "AZSM2027", "AZSM2071"] {
            assert!(cat.get(code(new)).is_some(), "{new}");
        }
        assert!(
            cat.get(code("AZSM0000")).is_none(),
            "success is not a table row"
        );
        assert_eq!(
            cat.sources(),
            ["embedded: Microsoft Learn status-code page (ms.date 03/30/2025)"]
        );
    }

    #[test]
    fn matches_the_tsv_extract_of_the_same_page() {
        let tsv = include_str!("../../fixtures/catalog/status-codes-2025-03-30.tsv");
        let cat = Catalog::embedded();
        let mut rows = 0;
        let links = regex::Regex::new(r" \(https://[^ )]+\)").unwrap();
        for line in tsv.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            let c = code(cols[0]);
            if c.is_success() {
                continue;
            }
            rows += 1;
            let e = cat.get(c).unwrap_or_else(|| panic!("{c} missing"));
            assert_eq!(e.message, cols[1], "{c} message");
            // The TSV drops link targets and quotes link texts instead.
            let unquote = |t: &str| t.replace(['"', '\u{201c}', '\u{201d}'], "");
            let ours = unquote(&links.replace_all(&e.mitigation, ""));
            assert_eq!(ours, unquote(cols[2]), "{c} mitigation");
        }
        assert_eq!(rows, cat.len());
    }

    #[test]
    fn malformed_rows_warn_and_the_rest_loads() {
        let doc = "\
|Error Code |Error Message | Mitigation |
|-----|----|----|
| <a name=\"AZSM1001\"></a>**AZSM1001** |Failed to mount | Check it. |
| <a name=\"AZSM2070\"></a>AZSM2070 |Cannot write blob. This error may be caused by another agent. |
| **AZSM12x4** | Bad | Bad |
| **AZSM2080** | Copy failed | Retry. |
| <a name=\"Key Vault\"></a>**Key Vault** |Key Vault Secrets User|
";
        let (cat, warnings) = Catalog::parse(doc);
        assert_eq!(cat.len(), 2);
        assert_eq!(cat.get(code("AZSM1001")).unwrap().mitigation, "Check it.");
        assert_eq!(warnings.len(), 2);
        assert_eq!(warnings[0].line, 4);
        assert!(
            warnings[0].message.contains("AZSM2070 has 2 cells"),
            "{}",
            warnings[0]
        );
        assert_eq!(warnings[1].line, 5);
    }

    #[test]
    fn plain_text_keeps_links_and_drops_markup() {
        assert_eq!(
            plain_text(" Use *Storage File Data Privileged Contributor*.<br />See [Azure Files](/azure/storage/files/x) and [ext](https://example.com/a).  "),
            "Use Storage File Data Privileged Contributor. See Azure Files (https://learn.microsoft.com/azure/storage/files/x) and ext (https://example.com/a)."
        );
        assert_eq!(plain_text("a [b] c"), "a [b] c");
        assert_eq!(plain_text("a \\| b"), "a | b");
    }

    #[test]
    fn seed_overrides_rewritten_mitigations() {
        let seed = include_str!("../../fixtures/catalog/status-code-2023-08-07.md");
        let (cat, warnings) = Catalog::parse(seed);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(cat.len(), 29);
        assert_eq!(
            cat.get(code("AZSM1020")).unwrap().mitigation,
            "Retry or create a support ticket."
        );
    }
}
