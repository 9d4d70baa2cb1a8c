//! Text for people: sizes as users write them (`--max-expand 64G`), byte
//! counts as reports show them, and log text made safe for a terminal.

use std::borrow::Cow;

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

/// Escapes control characters (including ESC) that came from a log or a
/// `--catalog` file. Every piece of such text in text output goes through
/// here; the tests feed random bytes through every path.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// Human-readable byte size.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
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

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(clean("plain"), "plain");
        assert_eq!(clean("a\u{1b}[31mred\u{7}"), "a\\u{1b}[31mred\\u{7}");
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(bytes(12), "12 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 << 30), "3.0 GiB");
    }
}
