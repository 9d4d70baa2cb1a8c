//! Time windows: `--since` and `--until`.
//!
//! A bundle holds weeks of history; a window answers "what went wrong since
//! yesterday's fix". An event is in the window when the time at the start
//! of its line is at or after `--since` and before `--until` (since
//! inclusive, until exclusive, so `--since 2024-03-15 --until 2024-03-16`
//! is exactly that day and consecutive windows never count an event twice).
//! Events outside are not counted; events whose line has no time are kept
//! and counted apart, and the report says how many.
//!
//! A bound is an RFC 3339 time (`2024-03-15T08:00:00Z`, any offset; without
//! an offset it is UTC, as in the logs), a date (`2024-03-15`, midnight UTC)
//! or a span back from now (`30s`, `30m`, `2h`, `3d`, `1w`).

use crate::model::error::Error;
use crate::model::timestamp::Millis;

/// What the flags accept, for error messages.
pub const FORMS: &str = "an RFC 3339 time (2024-03-15T08:00:00Z), a date (2024-03-15, midnight UTC) or a span back from now (30m, 2h, 3d, 1w)";

/// The window; no bound means open on that side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    /// Inclusive lower bound.
    pub since: Option<Millis>,
    /// Exclusive upper bound.
    pub until: Option<Millis>,
}

impl Window {
    /// The window of the flags' values, spans counted back from `now`.
    pub fn new(since: Option<&str>, until: Option<&str>, now: Millis) -> Result<Window, Error> {
        let since = since
            .map(|v| parse_bound(v, now).ok_or_else(|| bad("--since", v)))
            .transpose()?;
        let until = until
            .map(|v| parse_bound(v, now).ok_or_else(|| bad("--until", v)))
            .transpose()?;
        if let (Some(s), Some(u)) = (since, until) {
            if s >= u {
                return Err(Error::Argument {
                    flag: "--since/--until",
                    message: format!(
                        "the window is empty: --since ({}) must be before --until ({})",
                        crate::model::timestamp::format(s),
                        crate::model::timestamp::format(u)
                    ),
                });
            }
        }
        Ok(Window { since, until })
    }

    /// Whether any bound is set.
    pub fn is_set(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    /// Whether an event at `t` is counted.
    #[inline]
    pub fn contains(&self, t: Millis) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }
}

fn bad(flag: &'static str, value: &str) -> Error {
    Error::Argument {
        flag,
        message: format!("'{value}' is not a time; it takes {FORMS}"),
    }
}

/// One bound, in milliseconds since the epoch.
pub fn parse_bound(v: &str, now: Millis) -> Option<Millis> {
    let v = v.trim();
    if let Some(ms) = span(v) {
        return now.checked_sub(ms);
    }
    if let Ok(t) = v.parse::<jiff::Timestamp>() {
        return Some(t.as_millisecond());
    }
    let utc = jiff::tz::TimeZone::UTC;
    if let Ok(dt) = v.parse::<jiff::civil::DateTime>() {
        if v.len() > 10 {
            return utc.to_timestamp(dt).ok().map(|t| t.as_millisecond());
        }
    }
    let date = v.parse::<jiff::civil::Date>().ok()?;
    utc.to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
        .ok()
        .map(|t| t.as_millisecond())
}

/// `30s`, `30m`, `2h`, `3d`, `1w` in milliseconds.
pub fn span(v: &str) -> Option<Millis> {
    let unit = v.chars().last()?;
    let n: i64 = v[..v.len() - unit.len_utf8()].parse().ok()?;
    if n < 0 {
        return None;
    }
    let ms: i64 = match unit {
        's' => 1_000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        'w' => 7 * 86_400_000,
        _ => return None,
    };
    n.checked_mul(ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::timestamp::format;

    const NOW: Millis = 1_710_489_600_000; // 2024-03-15T08:00:00Z

    fn at(v: &str) -> Option<String> {
        parse_bound(v, NOW).map(format)
    }

    #[test]
    fn every_accepted_form() {
        assert_eq!(
            at("2024-03-15T08:00:00Z").as_deref(),
            Some("2024-03-15T08:00:00Z")
        );
        assert_eq!(
            at("2024-03-15T09:00:00+01:00").as_deref(),
            Some("2024-03-15T08:00:00Z")
        );
        assert_eq!(
            at("2024-03-15T08:00:00.5Z").as_deref(),
            Some("2024-03-15T08:00:00.500Z")
        );
        assert_eq!(
            at("2024-03-15T08:00:00").as_deref(),
            Some("2024-03-15T08:00:00Z"),
            "no zone: UTC"
        );
        assert_eq!(
            at("2024-03-15 08:00:00").as_deref(),
            Some("2024-03-15T08:00:00Z")
        );
        assert_eq!(at("2024-03-15").as_deref(), Some("2024-03-15T00:00:00Z"));
        assert_eq!(at("2h").as_deref(), Some("2024-03-15T06:00:00Z"));
        assert_eq!(at("30m").as_deref(), Some("2024-03-15T07:30:00Z"));
        assert_eq!(at("3d").as_deref(), Some("2024-03-12T08:00:00Z"));
        assert_eq!(at("1w").as_deref(), Some("2024-03-08T08:00:00Z"));
        assert_eq!(at("45s").as_deref(), Some("2024-03-15T07:59:15Z"));
        for bad in [
            "",
            "yesterday",
            "2h30m",
            "-2h",
            "2y",
            "2024-13-01",
            "2024-03-15T25:00:00Z",
            "h",
            "99999999999999999d",
        ] {
            assert_eq!(at(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn since_is_inclusive_until_exclusive() {
        let w = Window::new(Some("2024-03-15"), Some("2024-03-16"), NOW).unwrap();
        let day = 86_400_000;
        let start = NOW - 8 * 3_600_000;
        assert!(!w.contains(start - 1));
        assert!(w.contains(start));
        assert!(w.contains(start + day - 1));
        assert!(!w.contains(start + day));
        assert!(Window::default().contains(i64::MIN));
        let e = Window::new(Some("1d"), Some("2h"), NOW).unwrap();
        assert!(e.contains(NOW - 3 * 3_600_000));
        let err = Window::new(Some("2024-03-16"), Some("2024-03-15"), NOW).unwrap_err();
        assert!(err.to_string().contains("must be before --until"), "{err}");
        let err = Window::new(Some("soon"), None, NOW).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("invalid --since: 'soon' is not a time; it takes {FORMS}")
        );
    }
}
