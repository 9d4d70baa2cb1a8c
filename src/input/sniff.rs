//! What an input is, told from its first bytes.
//!
//! Names lie (a renamed export, a `.log` that is gzip, a bundle without its
//! extension), so azsm looks at content: compression and archive magic
//! bytes, then the header row or keys of a Log Analytics export, then the
//! keys of `az storage-mover job-run` output. Anything else is a log, read
//! line by line. The README's "Inputs" section states these rules.

use crate::input::decompress::Compression;

/// How many leading bytes the detection looks at.
pub const HEAD: usize = 64 << 10;

/// What an input or archive entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A compressed stream.
    Compressed(Compression),
    /// A tar archive (`ustar` at offset 257).
    Tar,
    /// A zip archive (`PK\x03\x04`, or `PK\x05\x06` when empty).
    Zip,
    /// A Log Analytics export as CSV with a header row.
    ExportCsv,
    /// A Log Analytics export as a JSON array of row objects.
    ExportJson,
    /// A Log Analytics export as JSON Lines.
    ExportJsonLines,
    /// `az storage-mover job-run show|list` output, or the REST shape.
    JobRun,
    /// Anything else: a log, scanned line by line.
    Text,
}

/// The kind of the input that starts with `head`.
pub fn kind(head: &[u8]) -> Kind {
    if let Some(c) = Compression::detect(head) {
        return Kind::Compressed(c);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Kind::Zip;
    }
    if head.get(257..262) == Some(b"ustar") {
        return Kind::Tar;
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let body = &text[start..];
    match body.first() {
        Some(&first @ (b'[' | b'{')) => json_kind(first, body).unwrap_or_else(|| other(text)),
        // A plain log (nearly every input) costs no search of its head:
        // only JSON can be an export or job-run output by its keys.
        _ => other(text),
    }
}

/// The kind of a head that starts with `[` or `{` (`first`), if JSON keys
/// say what it is.
fn json_kind(first: u8, body: &[u8]) -> Option<Kind> {
    let export_keys = export_keys(body);
    match first {
        b'[' if export_keys => Some(Kind::ExportJson),
        b'{' if export_keys && first_line_is_object(body) => Some(Kind::ExportJsonLines),
        _ if is_job_run(body) => Some(Kind::JobRun),
        _ if export_keys => Some(Kind::ExportJson),
        _ => None,
    }
}

/// A CSV export, or else a log.
fn other(text: &[u8]) -> Kind {
    if csv_header(text) {
        Kind::ExportCsv
    } else {
        Kind::Text
    }
}

/// JSON Lines: the first line holds one whole object (it ends in `}`).
fn first_line_is_object(body: &[u8]) -> bool {
    let line = body.split(|&b| b == b'\n').next().unwrap_or(body);
    line.trim_ascii_end().ends_with(b"}")
}

/// An export names the `JobRunName` and `StatusCode` columns, as keys or
/// (the query API's `columns`) as names, in any case.
fn export_keys(body: &[u8]) -> bool {
    let has = |needle: &[u8]| memchr::memmem::find(body, needle).is_some();
    if has(b"\"JobRunName\"") && has(b"\"StatusCode\"") {
        return true;
    }
    let lower = body.to_ascii_lowercase();
    let has = |needle: &[u8]| memchr::memmem::find(&lower, needle).is_some();
    has(b"\"jobrunname\"") && has(b"\"statuscode\"")
}

/// Job-run JSON has the job-run resource type, job-run property keys (in
/// any case), or a run's `name` beside its `error` code (a `--query`
/// projection). The JSON reader proves it: see `pipeline::read`.
fn is_job_run(body: &[u8]) -> bool {
    let lower = body.to_ascii_lowercase();
    let has = |needle: &[u8]| memchr::memmem::find(&lower, needle).is_some();
    has(b"microsoft.storagemover/storagemovers/projects/jobdefinitions/jobruns")
        || (has(b"\"executionstarttime\"") && has(b"\"status\""))
        || (has(b"\"itemsscanned\"") && has(b"\"status\""))
        || (has(b"\"name\"") && has(b"\"error\"") && has(b"\"code\""))
}

/// A CSV header row naming the `JobRunName` and `StatusCode` columns.
fn csv_header(text: &[u8]) -> bool {
    let line = &text[..memchr::memchr(b'\n', text).unwrap_or(text.len())];
    if memchr::memchr(b',', line).is_none() {
        // One field (the first line of nearly every log).
        return false;
    }
    let mut job = false;
    let mut code = false;
    for field in line.split(|&b| b == b',') {
        let f = field.trim_ascii().trim_ascii_end();
        let f = f
            .strip_prefix(b"\"")
            .and_then(|f| f.strip_suffix(b"\""))
            .unwrap_or(f);
        job |= f == b"JobRunName";
        code |= f == b"StatusCode";
    }
    job && code
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`kind`] searching every head for the export keys: the oracle of the
    /// proptest below.
    fn kind_searching_always(head: &[u8]) -> Kind {
        if let Some(c) = Compression::detect(head) {
            return Kind::Compressed(c);
        }
        if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            return Kind::Zip;
        }
        if head.get(257..262) == Some(b"ustar") {
            return Kind::Tar;
        }
        let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let start = text
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(text.len());
        let body = &text[start..];
        let export_keys = export_keys(body);
        let line = text.split(|&b| b == b'\n').next().unwrap_or(text);
        let csv = {
            let (mut job, mut code) = (false, false);
            for field in line.split(|&b| b == b',') {
                let f = field.trim_ascii();
                let f = f
                    .strip_prefix(b"\"")
                    .and_then(|f| f.strip_suffix(b"\""))
                    .unwrap_or(f);
                job |= f == b"JobRunName";
                code |= f == b"StatusCode";
            }
            job && code
        };
        match body.first() {
            Some(b'[') if export_keys => Kind::ExportJson,
            Some(b'{') if export_keys && first_line_is_object(body) => Kind::ExportJsonLines,
            Some(b'[' | b'{') if is_job_run(body) => Kind::JobRun,
            Some(b'[' | b'{') if export_keys => Kind::ExportJson,
            _ if csv => Kind::ExportCsv,
            _ => Kind::Text,
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        /// Looking for JSON keys only in heads that start like JSON
        /// changes no answer. Heads: a start, a first line of
        /// comma-separated fields (a CSV header or not), then more text.
        #[test]
        fn kind_is_the_first_versions(
            start in proptest::sample::select(vec![
                &b""[..], b"\xEF\xBB\xBF", b" ", b"\n", b"[", b"{", b" [", b"\n{", b"{,", b"[ ,",
            ]),
            fields in proptest::collection::vec(proptest::sample::select(vec![
                &b"JobRunName"[..], b"StatusCode", b"\"JobRunName\"", b" \"StatusCode\" ",
                b"\"JobRunName\":\"a\"", b"\"StatusCode\":1}", b"x", b"{", b"[", b"",
            ]), 0..5),
            rest in proptest::collection::vec(proptest::sample::select(vec![
                &b" "[..], b"\n", b"\r\n", b"{", b"}", b"]", b",", b":", b"\"JobRunName\"",
                b"\"StatusCode\"", b"\"status\"", b"\"executionStartTime\"",
                b"\"itemsScanned\"",
                b"Microsoft.StorageMover/storageMovers/projects/jobDefinitions/jobRuns",
                b"AZSM1024 2024-03-15T08:00:00Z", b"x",
            ]), 0..12),
        ) {
            let head = [start.to_vec(), fields.join(&b","[..]), rest.concat()].concat();
            proptest::prop_assert_eq!(kind(&head), kind_searching_always(&head));
        }
    }

    #[test]
    fn content_decides() {
        assert_eq!(kind(b"2024-03-15T08:00:00Z AZSM1024\n"), Kind::Text);
        assert_eq!(kind(b""), Kind::Text);
        assert_eq!(
            kind(b"\xEF\xBB\xBFTimeGenerated [UTC],JobRunName,StatusCode\n"),
            Kind::ExportCsv
        );
        assert_eq!(
            kind(b"\"TenantId\",\"JobRunName\",\"StatusCode\"\r\n"),
            Kind::ExportCsv
        );
        assert_eq!(kind(b"JobRunName=x StatusCode=AZSM1024\n"), Kind::Text);
        assert_eq!(kind(b"{,JobRunName,StatusCode\n{}"), Kind::ExportCsv);
        assert_eq!(
            kind(b"[{\"JobRunName\":\"a\",\"StatusCode\":\"AZSM1024\"}]"),
            Kind::ExportJson
        );
        assert_eq!(
            kind(b"[\n  {\n    \"JobRunName\": \"a\",\n    \"StatusCode\": \"x\"\n  }\n]"),
            Kind::ExportJson
        );
        assert_eq!(
            kind(b"{\"JobRunName\":\"a\",\"StatusCode\":\"AZSM1024\"}\n{}\n"),
            Kind::ExportJsonLines
        );
        assert_eq!(
            kind(b"{\n  \"executionStartTime\": \"x\",\n  \"status\": \"Failed\"\n}"),
            Kind::JobRun
        );
        assert_eq!(
            kind(b"[{\"type\": \"microsoft.storagemover/storageMovers/projects/jobDefinitions/jobRuns\"}]"),
            Kind::JobRun
        );
        assert_eq!(
            kind(b"{\"jobRunId\":\"x\",\"statusCode\":\"AZSM1024\"}\n"),
            Kind::Text
        );
        // PowerShell's PascalCase, a `--query` projection, keys in camel
        // case, the query API's column names.
        assert_eq!(
            kind(b"[\r\n  {\r\n    \"Name\": \"r\",\r\n    \"Status\": \"Failed\",\r\n    \"ExecutionStartTime\": \"x\""),
            Kind::JobRun
        );
        assert_eq!(
            kind(b"[{\"name\":\"r\",\"error\":{\"code\":\"AZSM1024\"}}]"),
            Kind::JobRun
        );
        assert_eq!(
            kind(b"[{\"jobRunName\":\"r\",\"statusCode\":\"AZSM1024\"}]"),
            Kind::ExportJson
        );
        assert_eq!(
            kind(
                b"{\"tables\":[{\"columns\":[{\"name\":\"JobRunName\"},{\"name\":\"StatusCode\"}]"
            ),
            Kind::ExportJson
        );
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(kind(&tar), Kind::Tar);
        assert_eq!(kind(b"PK\x03\x04rest"), Kind::Zip);
        assert_eq!(
            kind(&[0x28, 0xb5, 0x2f, 0xfd, 0]),
            Kind::Compressed(Compression::Zstd)
        );
    }
}
