//! Secrets out of reports: finds credential values in log text so that
//! excerpts (and item paths) show `<redacted>` in their place.
//!
//! Logs that carry status codes often carry credentials too: SAS URLs,
//! connection strings, HTTP headers, mount URLs. Reports go to tickets and
//! CI logs, so every excerpt of a log line is redacted (see
//! [`crate::tally::excerpt`], the one place log text enters a report)
//! unless `--no-redact` is given. The key stays, the value goes:
//!
//! | form | example | shown as |
//! |---|---|---|
//! | SAS signature | `?sv=2022-11-02&sig=AbC%2B==` | `&sig=<redacted>` |
//! | connection-string keys | `AccountKey=…;` `SharedAccessKey=…;` | `AccountKey=<redacted>;` |
//! | connection-string SAS | `SharedAccessSignature=sv=…&sig=…;` | `SharedAccessSignature=<redacted>;` |
//! | passwords | `password=…` `pwd: "…"` `passwd=…` | `password=<redacted>` |
//! | HTTP auth | `Authorization: Bearer …`, `Authorization: Basic …`, `Bearer …` | `Bearer <redacted>` |
//! | URL user info | `smb://user:pass@host/share` | `smb://user:<redacted>@host/share` |
//!
//! Keys match case-insensitively and must not be the tail of a longer word
//! (`design=` is not `sig=`). A value runs to the next space, quote,
//! `;`, `,`, `&` (except for `SharedAccessSignature`, whose value is a whole
//! query string), or bracket. A candidate value that contains an AZSM code
//! is left alone, so redaction never hides the code being reported; job
//! keys are not secrets and are never touched.

/// A byte range of a secret value in the text given to [`spans`].
pub type Span = (usize, usize);

/// Keys whose value follows `=` or `:` (with optional quotes and spaces).
/// The flag says whether `&` ends the value.
const KEYS: &[(&[u8], bool)] = &[
    (b"sig", true),
    (b"accountkey", true),
    (b"sharedaccesskey", true),
    (b"sharedaccesssignature", false),
    (b"password", true),
    (b"passwd", true),
    (b"pwd", true),
];

/// Bytes at which a match can start: the first letters of [`KEYS`] and of
/// `bearer`/`basic` in either case, and the `:` of `://`. Every matcher
/// below requires one of them at its start, so other positions are skipped
/// with one table look-up.
static STARTS: [bool; 256] = {
    let mut t = [false; 256];
    let mut k = 0;
    while k < KEYS.len() {
        let c = KEYS[k].0[0];
        t[c.to_ascii_lowercase() as usize] = true;
        t[c.to_ascii_uppercase() as usize] = true;
        k += 1;
    }
    t[b'b' as usize] = true;
    t[b'B' as usize] = true;
    t[b':' as usize] = true;
    t
};

/// The secret values in `text`, in order, not overlapping.
pub fn spans(text: &[u8]) -> Vec<Span> {
    spans_from(text, true)
}

/// [`spans`]; with `skip`, the matchers are not tried where they cannot
/// match: at bytes [`STARTS`] rules out, and at letters inside a word (a
/// key or `bearer`/`basic` must start a word; `://` starts with `:`).
fn spans_from(text: &[u8], skip: bool) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    // Every form needs a `=` or `:` after its key (`://` too) or a space
    // after `Bearer`/`Basic`: without one of them there is nothing to find
    // (most item paths).
    if skip && memchr::memchr3(b'=', b':', b' ', text).is_none() {
        return out;
    }
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if skip
            && (!STARTS[b as usize] || (b.is_ascii_alphabetic() && i > 0 && is_word(text[i - 1])))
        {
            i += 1;
            continue;
        }
        let found = if skip {
            // Each matcher needs its own first byte: keys start with a
            // letter other than `b`, `bearer`/`basic` with `b`, `://` with `:`.
            match b.to_ascii_lowercase() {
                b'b' => auth_value(text, i),
                b':' => url_password(text, i),
                _ => key_value(text, i),
            }
        } else {
            key_value(text, i)
                .or_else(|| auth_value(text, i))
                .or_else(|| url_password(text, i))
        };
        match found {
            Some((s, e)) if e > s && !has_code(&text[s..e]) => {
                out.push((s, e));
                i = e;
            }
            _ => i += 1,
        }
    }
    out
}

/// `text` with every secret value replaced by `<redacted>` (for short
/// texts shown whole, like item paths: one per item-scope event, so a text
/// without a `=`, `:` or space, which every form needs, is passed through
/// after an inline check instead of [`spans`]' call into `memchr3`).
#[inline]
pub fn apply(text: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !has_separator(text) {
        return std::borrow::Cow::Borrowed(text);
    }
    apply_spans(text)
}

/// [`apply`] after its check.
fn apply_spans(text: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let spans = spans(text);
    if spans.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = Vec::with_capacity(text.len());
    let mut at = 0;
    for (a, b) in spans {
        out.extend_from_slice(&text[at..a]);
        out.extend_from_slice(b"<redacted>");
        at = b;
    }
    out.extend_from_slice(&text[at..]);
    std::borrow::Cow::Owned(out)
}

/// Whether `text` holds a `=`, `:` or space: what `memchr3` tells
/// [`spans_from`], found without its call (item paths are a few dozen
/// bytes), eight bytes at a time in a 64-bit word, the last word
/// overlapping the one before. Plain integer arithmetic, so its cost does
/// not hang on whether the compiler vectorizes it where it is inlined.
#[inline]
fn has_separator(text: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    /// Whether a byte of `w` is one of the three: a byte of `w ^ x` is
    /// zero exactly where `w` holds `x`, and `(v - ONES) & !v` has a byte's
    /// high bit set for (at least) the lowest zero byte of `v`, and for no
    /// byte when `v` has none.
    #[inline(always)]
    fn found(w: u64) -> bool {
        let zero = |v: u64| v.wrapping_sub(ONES) & !v;
        let x = |b: u8| w ^ (ONES * u64::from(b));
        (zero(x(b'=')) | zero(x(b':')) | zero(x(b' '))) & HIGHS != 0
    }
    let Some(last) = text.last_chunk::<8>() else {
        return text.iter().any(|&b| matches!(b, b'=' | b':' | b' '));
    };
    for word in text.chunks_exact(8) {
        if word
            .first_chunk::<8>()
            .is_some_and(|w| found(u64::from_ne_bytes(*w)))
        {
            return true;
        }
    }
    found(u64::from_ne_bytes(*last))
}

/// Whether a value ends before `b`.
fn ends_value(b: u8, amp: bool) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'"' | b'\''
                | b';'
                | b','
                | b'<'
                | b'>'
                | b'('
                | b')'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'|'
                | b'\\'
                | b'`'
        )
        || (amp && b == b'&')
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `text[at..]` starts with `word`, case-insensitively, and `word` is not
/// the tail of a longer word.
fn word_at(text: &[u8], at: usize, word: &[u8]) -> bool {
    (at == 0 || !is_word(text[at - 1]))
        && text
            .get(at..at + word.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(word))
}

fn value_end(text: &[u8], from: usize, amp: bool) -> usize {
    text[from..]
        .iter()
        .position(|&b| ends_value(b, amp))
        .map_or(text.len(), |p| from + p)
}

/// `key=value`, `key: value`, `"key":"value"`.
fn key_value(text: &[u8], at: usize) -> Option<Span> {
    let first = text.get(at)?.to_ascii_lowercase();
    let &(key, amp) = KEYS
        .iter()
        .find(|(k, _)| k[0] == first && word_at(text, at, k))?;
    let mut i = at + key.len();
    while matches!(text.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    while matches!(text.get(i), Some(b' ')) {
        i += 1;
    }
    if !matches!(text.get(i), Some(b'=' | b':')) {
        return None;
    }
    i += 1;
    while text.get(i) == Some(&b' ') {
        i += 1;
    }
    if let Some(&q @ (b'"' | b'\'')) = text.get(i) {
        // A quoted value runs to its closing quote, spaces included.
        i += 1;
        let end = memchr::memchr(q, &text[i..]).map_or(text.len(), |p| i + p);
        return Some((i, end));
    }
    Some((i, value_end(text, i, amp)))
}

/// `Bearer TOKEN` anywhere; `Basic TOKEN` only right after `Authorization`.
fn auth_value(text: &[u8], at: usize) -> Option<Span> {
    let scheme = if word_at(text, at, b"bearer") {
        6
    } else if word_at(text, at, b"basic") && after_authorization(text, at) {
        5
    } else {
        return None;
    };
    let mut i = at + scheme;
    if text.get(i) != Some(&b' ') {
        return None;
    }
    while text.get(i) == Some(&b' ') {
        i += 1;
    }
    let end = value_end(text, i, false);
    // A token, not a word of prose ("Bearer of bad news").
    (end - i >= 8).then_some((i, end))
}

/// `Authorization`, then only quotes, spaces, `:` or `=`, end right before `at`.
fn after_authorization(text: &[u8], at: usize) -> bool {
    let mut i = at;
    while i > 0 && matches!(text[i - 1], b' ' | b'"' | b'\'' | b':' | b'=') {
        i -= 1;
    }
    let key = b"authorization";
    i >= key.len() && text[i - key.len()..i].eq_ignore_ascii_case(key)
}

/// The password of `scheme://user:password@host`.
fn url_password(text: &[u8], at: usize) -> Option<Span> {
    if !text[at..].starts_with(b"://") {
        return None;
    }
    let from = at + 3;
    let end = text[from..]
        .iter()
        .position(|&b| b == b'@' || b == b'/' || ends_value(b, false))
        .map(|p| from + p)?;
    if text[end] != b'@' {
        return None;
    }
    let colon = text[from..end].iter().position(|&b| b == b':')? + from;
    Some((colon + 1, end))
}

fn has_code(value: &[u8]) -> bool {
    value.windows(8).enumerate().any(|(i, w)| {
        w.starts_with(b"AZSM")
            && w[4..].iter().all(u8::is_ascii_digit)
            && (i == 0 || !is_word(value[i - 1]))
            && value.get(i + 8).is_none_or(|&b| !is_word(b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn skipping_passes_over_only_positions_that_cannot_match(parts in proptest::collection::vec(
            prop::sample::select(vec!["sig=", "SIG:", "AccountKey=", "sharedaccesssignature=", "Password: ", "pwd=",
                "Bearer ", "bearer ", "BASIC ", "basic ", "authorization: ", "Authorization: ", "smb://", "u:p@", "h/", "abcdefghij", " ", "\"", ";", "&",
                "AZSM1024", "x", "=", ":", "@", "Bearer", "sig", "pwd"]), 0..30)) {
            let text = parts.concat().into_bytes();
            prop_assert_eq!(spans(&text), spans_from(&text, false));
        }
    }

    /// [`apply`] without its check, in its plain form.
    fn apply_reference(text: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut at = 0;
        for (a, b) in spans_from(text, false) {
            out.extend_from_slice(&text[at..a]);
            out.extend_from_slice(b"<redacted>");
            at = b;
        }
        out.extend_from_slice(&text[at..]);
        out
    }

    proptest! {
        #[test]
        fn the_separator_check_finds_what_memchr3_finds(
            text in proptest::collection::vec(prop::sample::select(b"a/._-=: Z\xff".to_vec()), 0..80),
        ) {
            prop_assert_eq!(
                has_separator(&text),
                memchr::memchr3(b'=', b':', b' ', &text).is_some()
            );
        }

        #[test]
        fn item_paths_redact_as_before(
            // Directories and names, some with a secret's shape in them,
            // some with only a separator, most with neither.
            parts in proptest::collection::vec(prop::sample::select(vec![
                "data", "Q1", "invoice_3496.jpg", "/", "\\", ".", "-", "_",
                "sig=abc", "pwd=", "Password: x", "AccountKey=k", "Bearer abcdefghij", "basic ",
                "Authorization: Basic dXNlcjpwYXNz", "smb://u:p@h", "://", ":", "=", " ", "AZSM1024",
                "\u{e9}t\u{e9}",
            ]), 0..12),
        ) {
            let text = parts.concat().into_bytes();
            let got = apply(&text);
            prop_assert_eq!(&*got, &apply_reference(&text)[..]);
            // Nothing to redact: the text itself, not a copy.
            if spans(&text).is_empty() {
                prop_assert!(matches!(got, std::borrow::Cow::Borrowed(_)));
            }
        }
    }

    #[test]
    fn keys_are_lower_case_and_do_not_start_like_the_other_matchers() {
        // spans_from dispatches on the first byte; it relies on this.
        for (k, _) in KEYS {
            assert!(k.iter().all(|b| !b.is_ascii_uppercase()), "{k:?}");
            assert!(k[0] != b'b' && k[0] != b':', "{k:?}");
        }
    }

    fn redact(s: &str) -> String {
        let mut out = String::new();
        let mut last = 0;
        for (a, b) in spans(s.as_bytes()) {
            out.push_str(&s[last..a]);
            out.push_str("<redacted>");
            last = b;
        }
        out.push_str(&s[last..]);
        out
    }

    #[test]
    fn keys_stay_values_go() {
        for (line, want) in [
            (
                "GET https://a.blob.core.windows.net/c?sv=2022-11-02&se=2024&sig=Zm9vYmFy%2B%3D&sp=r x",
                "GET https://a.blob.core.windows.net/c?sv=2022-11-02&se=2024&sig=<redacted>&sp=r x",
            ),
            (
                "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=bXlrZXk+/==;EndpointSuffix=core.windows.net",
                "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=<redacted>;EndpointSuffix=core.windows.net",
            ),
            (
                "BlobEndpoint=https://a/;SharedAccessSignature=sv=2022&ss=b&sig=abc%3D;x",
                "BlobEndpoint=https://a/;SharedAccessSignature=<redacted>;x",
            ),
            (
                "Authorization: Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl AZSM1024",
                "Authorization: Bearer <redacted> AZSM1024",
            ),
            ("authorization=\"Basic dXNlcjpwYXNz\"", "authorization=\"Basic <redacted>\""),
            ("mount smb://svc:Hunter2!@fs.example/share", "mount smb://svc:<redacted>@fs.example/share"),
            ("{\"password\": \"s3cr3t\", \"pwd\":\"x y\"}", "{\"password\": \"<redacted>\", \"pwd\":\"<redacted>\"}"),
            ("PWD=abc&user=me", "PWD=<redacted>&user=me"),
        ] {
            assert_eq!(redact(line), want, "{line}");
        }
    }

    #[test]
    fn prose_codes_and_job_keys_are_left_alone() {
        for line in [
            "design=12 basic config, Bearer of news, password policy",
            "jobRunName=7e3f9a10 statusCode=AZSM1024 sigma=1",
            "https://host/path@v2 user@example.com",
            "password=AZSM1024",
        ] {
            assert_eq!(redact(line), line);
        }
    }
}
