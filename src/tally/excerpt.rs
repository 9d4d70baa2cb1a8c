//! Excerpts: every piece of log text in a report is a line cut around its
//! code, with secret values redacted.

use crate::model::event::{EXCERPT, REDACT_KEY, REDACT_LOOKBACK};

/// A line cut to about [`EXCERPT`] characters, keeping the code in view,
/// with secret values replaced by `<redacted>` unless `redact` is false
/// (see [`crate::util::redact`]). Every piece of log text in a report is made
/// here.
pub fn excerpt(text: &[u8], column: usize, redact: bool) -> String {
    excerpt_of(text, 0, text.len(), column, redact)
}

/// [`excerpt`] of a `len`-byte line of which only `text`, starting at line
/// offset `at`, is at hand; `text` must cover the excerpt (the line from
/// about [`EXCERPT`] bytes before `column` to as many after it).
pub fn excerpt_of(text: &[u8], at: usize, len: usize, column: usize, redact: bool) -> String {
    let have = at + text.len();
    let byte = |i: usize| if i >= at && i < have { text[i - at] } else { 0 };
    let (start, end) = if len <= EXCERPT {
        (0, len)
    } else {
        let start = column.saturating_sub(EXCERPT / 4).min(len - EXCERPT);
        // Move off UTF-8 continuation bytes so the cut does not split a character.
        let start = (start..column.max(start))
            .find(|&i| byte(i) & 0xC0 != 0x80)
            .unwrap_or(start);
        let mut end = (start + EXCERPT).min(len);
        while end < len && end > start && byte(end) & 0xC0 == 0x80 {
            end -= 1;
        }
        (start, end)
    };
    // Only what is at hand can be shown (always all of it, for callers
    // that keep to the contract above).
    let (start, end) = (start.max(at), end.min(have).max(start.max(at)));
    let mut s = String::new();
    if start > 0 {
        s.push('…');
    }
    let mut cur = start;
    if redact {
        // Look back over the word the cut falls in and a little more, so a
        // value whose key lies before the cut is still found.
        let floor = start.saturating_sub(REDACT_LOOKBACK).max(at);
        let word = text[floor - at..start - at]
            .iter()
            .rposition(u8::is_ascii_whitespace)
            .map_or(floor, |p| floor + p);
        let lo = word.saturating_sub(REDACT_KEY).max(at);
        for (a, b) in crate::util::redact::spans(&text[lo - at..end - at]) {
            let (a, b) = ((lo + a).max(start), (lo + b).min(end));
            if a >= b {
                continue;
            }
            s.push_str(&String::from_utf8_lossy(&text[cur - at..a - at]));
            s.push_str("<redacted>");
            cur = b;
        }
    }
    s.push_str(&String::from_utf8_lossy(&text[cur - at..end - at]));
    if end < len {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_keep_the_code_in_view() {
        let mut line = vec![b'x'; 1000];
        line[700..708].copy_from_slice(b"AZSM1024");
        let e = excerpt(&line, 700, true);
        assert!(e.contains("AZSM1024"));
        assert!(e.starts_with('…') && e.ends_with('…'));
        assert!(e.chars().count() <= EXCERPT + 2);
        let short = excerpt(b"short AZSM1024", 6, true);
        assert_eq!(short, "short AZSM1024");
        let mut utf = "é".repeat(300).into_bytes();
        utf.extend_from_slice(b" AZSM2062");
        let e = excerpt(&utf, utf.len() - 8, true);
        assert!(!e.contains('\u{FFFD}'), "{e}");
    }
}
