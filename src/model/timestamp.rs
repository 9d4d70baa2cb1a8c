//! Timestamps at the start of log lines.
//!
//! Agent logs start lines with ISO-8601 times (`2024-03-15T08:55:23.123Z`,
//! with or without fraction and zone, `T` or a space between date and time);
//! AzCopy writes `2024/03/15 08:55:23` in UTC. Only lines that carry a code
//! are parsed, so this is a small hand parser rather than a general one; a
//! time without a zone is taken as UTC. Times are kept as milliseconds since
//! the Unix epoch and printed as RFC 3339 in UTC.

/// Milliseconds since 1970-01-01T00:00:00Z.
pub type Millis = i64;

/// The time at the start of `line`, after optional spaces and one `[` or `"`.
pub fn parse_line_start(line: &[u8]) -> Option<Millis> {
    Cache::default().line_start(line)
}

/// Remembers the last date and time of day parsed, so that the lines of one
/// second (most consecutive lines of a busy log) skip the calendar
/// arithmetic and only read their fraction and zone.
#[derive(Clone, Debug, Default)]
pub struct Cache {
    key: [u8; 19],
    secs: i64,
    valid: bool,
}

impl Cache {
    /// [`parse_line_start`], with the cache.
    #[inline]
    pub fn line_start(&mut self, line: &[u8]) -> Option<Millis> {
        // The usual line of a busy log: the second before, straight at the
        // start of the line (a key starts with a digit), then milliseconds
        // and `Z`; what the full parse below gives, read at once.
        if self.valid {
            if let Some((head, rest)) = line.split_first_chunk::<19>() {
                if *head == self.key {
                    if let [b'.' | b',', a, b, c, b'Z' | b'z', ..] = *rest {
                        let digit = |b: u8| b.wrapping_sub(b'0') < 10;
                        if digit(a) && digit(b) && digit(c) {
                            let ms = i64::from(a - b'0') * 100
                                + i64::from(b - b'0') * 10
                                + i64::from(c - b'0');
                            return Some(self.secs * 1000 + ms);
                        }
                    }
                }
            }
        }
        let mut s = line;
        while let [b' ' | b'\t', rest @ ..] = s {
            s = rest;
        }
        if let [b'[' | b'"', rest @ ..] = s {
            s = rest;
        }
        if self.valid && s.get(..19) == Some(&self.key[..]) {
            return tail(s, self.secs).map(|(ms, _)| ms);
        }
        let secs = naive(s)?;
        self.key.copy_from_slice(&s[..19]);
        self.secs = secs;
        self.valid = true;
        tail(s, secs).map(|(ms, _)| ms)
    }
}

/// Parses a time at the start of `s`; returns it and the bytes consumed.
pub fn parse(s: &[u8]) -> Option<(Millis, usize)> {
    tail(s, naive(s)?)
}

/// Seconds since the epoch of the date and time of day in `s[..19]`, read
/// as UTC, if they are well-formed.
fn naive(s: &[u8]) -> Option<i64> {
    let year = num(s, 0, 4)?;
    let slash = match s.get(4)? {
        b'-' => false,
        b'/' => true,
        _ => return None,
    };
    let month = num(s, 5, 2)?;
    if s.get(7)? != s.get(4)? {
        return None;
    }
    let day = num(s, 8, 2)?;
    match s.get(10)? {
        b'T' | b't' if !slash => {}
        b' ' => {}
        _ => return None,
    }
    let hour = num(s, 11, 2)?;
    let minute = num(s, 14, 2)?;
    let second = num(s, 17, 2)?;
    if s.get(13) != Some(&b':') || s.get(16) != Some(&b':') {
        return None;
    }
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// The fraction and zone after `s[..19]`, applied to `secs`. Runs once per
/// line with a code: the usual three digits of milliseconds and `Z` are
/// read without loops.
#[inline]
fn tail(s: &[u8], secs: i64) -> Option<(Millis, usize)> {
    let digit = |b: u8| b.wrapping_sub(b'0') < 10;
    let (millis, i) = match s.get(19..) {
        Some([b'.' | b',', f @ ..]) => match *f {
            [a, b, c, ref rest @ ..] if digit(a) && digit(b) && digit(c) => {
                let ms = i64::from(a - b'0') * 100 + i64::from(b - b'0') * 10 + i64::from(c - b'0');
                // Digits past the third (microseconds) are skipped.
                let more = rest.iter().take_while(|&&b| digit(b)).count();
                (ms, 23 + more)
            }
            [a, b, ..] if digit(a) && digit(b) => {
                (i64::from(a - b'0') * 100 + i64::from(b - b'0') * 10, 22)
            }
            [a, ..] if digit(a) => (i64::from(a - b'0') * 100, 21),
            _ => return None,
        },
        _ => (0, 19),
    };
    let (offset_minutes, len) = zone(s, i)?;
    Some(((secs - offset_minutes * 60) * 1000 + millis, i + len))
}

/// [`tail`] in its plain form, kept as the oracle of its tests.
#[cfg(test)]
fn tail_reference(s: &[u8], secs: i64) -> Option<(Millis, usize)> {
    let mut i = 19;
    let mut millis = 0;
    if matches!(s.get(i), Some(b'.' | b',')) {
        let digits = s[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        for k in 0..3 {
            millis = millis * 10
                + s.get(i + 1 + k)
                    .filter(|_| k < digits)
                    .map_or(0, |b| i64::from(b - b'0'));
        }
        i += 1 + digits;
    }
    let (offset_minutes, len) = zone(s, i)?;
    Some(((secs - offset_minutes * 60) * 1000 + millis, i + len))
}

/// The zone at `s[i..]`: its offset in minutes east of UTC and its length
/// (`Z`, `+hh:mm`, `+hhmm`, `+hh`; none is UTC, length 0); `None` for an
/// offset out of range.
#[inline]
fn zone(s: &[u8], i: usize) -> Option<(i64, usize)> {
    match s.get(i) {
        Some(b'Z' | b'z') => Some((0, 1)),
        Some(&sign @ (b'+' | b'-')) => {
            let oh = num(s, i + 1, 2)?;
            let (om, len) = if s.get(i + 3) == Some(&b':') {
                (num(s, i + 4, 2)?, 6)
            } else {
                (
                    num(s, i + 3, 2).unwrap_or(0),
                    if num(s, i + 3, 2).is_some() { 5 } else { 3 },
                )
            };
            if oh > 23 || om > 59 {
                return None;
            }
            Some(((oh * 60 + om) * if sign == b'-' { -1 } else { 1 }, len))
        }
        _ => Some((0, 0)),
    }
}

fn num(s: &[u8], at: usize, len: usize) -> Option<i64> {
    let digits = s.get(at..at + len)?;
    digits.iter().try_fold(0i64, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The end of the times [`push`] writes itself: 9999-12-30T22:00:00Z, the
/// end of `jiff`'s range (past it, [`format`] writes the number).
const PUSH_END: Millis = 253_402_207_200_000;

/// Writes times as [`format()`] does, without allocating, for the
/// per-event formats (millions of times a scan). It remembers the last
/// second written and its text, since consecutive events mostly share
/// their second; its owner keeps one per run of records.
#[derive(Clone, Copy, Debug)]
pub struct TimeText {
    last: (i64, [u8; 19]),
}

impl Default for TimeText {
    fn default() -> TimeText {
        TimeText {
            last: (-1, [0; 19]),
        }
    }
}

impl TimeText {
    /// Appends [`format()`]`(ms)` to `out`. Times from 1970 to 9999 are
    /// written here; others (never in practice) go through [`format()`].
    #[inline]
    pub fn push(&mut self, ms: Millis, out: &mut Vec<u8>) {
        if !(0..PUSH_END).contains(&ms) {
            out.extend_from_slice(format(ms).as_bytes());
            return;
        }
        let (secs, milli) = (ms / 1000, ms % 1000);
        let (last, mut text) = self.last;
        if secs != last {
            text = second_text(secs);
            self.last = (secs, text);
        }
        out.extend_from_slice(&text);
        if milli == 0 {
            out.push(b'Z');
        } else {
            out.extend_from_slice(&[
                b'.',
                b'0' + (milli / 100) as u8,
                b'0' + (milli / 10 % 10) as u8,
                b'0' + (milli % 10) as u8,
                b'Z',
            ]);
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS` of `secs` since the epoch (`0..PUSH_END / 1000`).
fn second_text(secs: i64) -> [u8; 19] {
    let (days, in_day) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    let two = |n: i64| [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
    let mut b = [0u8; 19];
    b[..4].copy_from_slice(&[
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
    ]);
    b[4] = b'-';
    b[5..7].copy_from_slice(&two(m));
    b[7] = b'-';
    b[8..10].copy_from_slice(&two(d));
    b[10] = b'T';
    b[11..13].copy_from_slice(&two(in_day / 3600));
    b[13] = b':';
    b[14..16].copy_from_slice(&two(in_day / 60 % 60));
    b[16] = b':';
    b[17..19].copy_from_slice(&two(in_day % 60));
    b
}

/// Year, month and day of `days` since 1970-01-01 (`days >= 0`): the
/// inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// RFC 3339 in UTC, with milliseconds only when there are some.
pub fn format(ms: Millis) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => {
            let s = ts.strftime("%Y-%m-%dT%H:%M:%S").to_string();
            if ms.rem_euclid(1000) == 0 {
                format!("{s}Z")
            } else {
                format!("{s}.{:03}Z", ms.rem_euclid(1000))
            }
        }
        Err(_) => ms.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Option<String> {
        parse_line_start(s.as_bytes()).map(format)
    }

    #[test]
    fn parses_the_forms_seen_in_agent_and_azcopy_logs() {
        assert_eq!(
            t("2024-03-15T08:55:23Z x").as_deref(),
            Some("2024-03-15T08:55:23Z")
        );
        assert_eq!(
            t("2024-03-15T08:55:23.123456Z").as_deref(),
            Some("2024-03-15T08:55:23.123Z")
        );
        assert_eq!(
            t("2024-03-15 08:55:23.5 rest").as_deref(),
            Some("2024-03-15T08:55:23.500Z")
        );
        assert_eq!(
            t("2024-03-15T08:55:23+02:00").as_deref(),
            Some("2024-03-15T06:55:23Z")
        );
        assert_eq!(
            t("2024-03-15T00:30:00-0130").as_deref(),
            Some("2024-03-15T02:00:00Z")
        );
        assert_eq!(
            t("2024/03/15 08:55:23 INFO").as_deref(),
            Some("2024-03-15T08:55:23Z")
        );
        assert_eq!(
            t("  [2024-02-29T23:59:59Z] x").as_deref(),
            Some("2024-02-29T23:59:59Z")
        );
        assert_eq!(
            t("\"2024-01-01T00:00:00\",x").as_deref(),
            Some("2024-01-01T00:00:00Z")
        );
    }

    #[test]
    fn rejects_what_is_not_a_time() {
        for s in [
            "",
            "ERROR 2024-03-15T08:55:23Z",
            "2024-13-15T08:55:23Z",
            "2024-03-15T24:00:00Z",
            "2024/03-15 08:55:23",
            "2024/03/15T08:55:23",
            "2024-03-15T08:55",
            "2024-03-15T08:55:23.Z",
            "20240315T085523Z",
        ] {
            assert_eq!(t(s), None, "{s:?}");
        }
    }

    #[test]
    fn the_cache_gives_the_same_answers() {
        let lines = [
            "2024-03-15T08:55:23.100Z a",
            "2024-03-15T08:55:23.200+01:00 b",
            "2024-03-15T08:55:23 c",
            "2024-03-15T08:55:24Z d",
            "garbage",
            "2024-03-15T08:55:24.5Z e",
            "2024-03-15T08:55:24.Z f",
        ];
        let mut cache = Cache::default();
        for l in lines {
            assert_eq!(
                cache.line_start(l.as_bytes()),
                parse_line_start(l.as_bytes()),
                "{l}"
            );
        }
    }

    /// [`parse_line_start`] in its plain form, without the cache.
    fn line_start_reference(line: &[u8]) -> Option<Millis> {
        let mut s = line;
        while let [b' ' | b'\t', rest @ ..] = s {
            s = rest;
        }
        if let [b'[' | b'"', rest @ ..] = s {
            s = rest;
        }
        tail_reference(s, naive(s)?).map(|(ms, _)| ms)
    }

    proptest::proptest! {
        #[test]
        fn the_cache_reads_a_run_of_lines_as_the_reference(
            lines in proptest::collection::vec((
                proptest::sample::select(vec!["", "", "", " ", "\t[", "\"", "x"]),
                proptest::sample::select(vec![
                    "2024-03-15T08:55:23", "2024-03-15T08:55:24", "2024-03-15 08:55:23",
                    "2024/03/15 08:55:23", "2024-03-15T08:55:2x",
                ]),
                proptest::prop_oneof![
                    // Mostly the usual milliseconds and `Z`.
                    3 => "[.,][0-9]{3}[Zz]( x)?",
                    1 => "([.,][0-9x]{0,5})?([Zz]|[+-][0-9]{2}:?[0-9]{0,2})?[ x0-9Z]{0,2}",
                ],
            ), 1..12),
        ) {
            let mut cache = Cache::default();
            for (lead, second, rest) in lines {
                let line = format!("{lead}{second}{rest}");
                proptest::prop_assert_eq!(
                    cache.line_start(line.as_bytes()),
                    line_start_reference(line.as_bytes()),
                    "{:?}", line
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn tail_reads_what_the_reference_reads(
            // A fraction of any length, a zone of any shape, then anything.
            rest in "([.,][0-9]{0,5})?([Zz]|[+-][0-9]{0,3}:?[0-9]{0,3})?[ x0-9:.Z+\u{e9}-]{0,3}",
            secs in -100_000_000_000i64..300_000_000_000,
        ) {
            let text = format!("2024-03-15T08:55:23{rest}");
            proptest::prop_assert_eq!(
                tail(text.as_bytes(), secs),
                tail_reference(text.as_bytes(), secs),
                "{:?}", text
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn push_writes_what_format_does(ms in proptest::prop_oneof![
            0..PUSH_END,
            // Around the edges of the fast range, and far outside it.
            -100_000i64..100_000,
            PUSH_END - 100_000..PUSH_END + 100_000,
            proptest::num::i64::ANY,
        ]) {
            let mut out = b"x".to_vec();
            TimeText::default().push(ms, &mut out);
            let want = format(ms);
            proptest::prop_assert_eq!(&out[1..], want.as_bytes());
        }
    }

    proptest::proptest! {
        #[test]
        fn push_writes_what_format_does_for_nearby_times(
            base in 0..PUSH_END - 10_000,
            offsets in proptest::collection::vec(0i64..10_000, 1..40),
        ) {
            // Times a few seconds apart, in any order: the last second's
            // text is reused or replaced.
            let mut times = TimeText::default();
            for off in offsets {
                let mut out = Vec::new();
                times.push(base + off, &mut out);
                let want = format(base + off);
                proptest::prop_assert_eq!(&out[..], want.as_bytes());
            }
        }
    }

    #[test]
    fn push_writes_the_edges_of_its_range() {
        for ms in [
            0,
            1,
            999,
            1000,
            86_399_999,
            951_782_400_000,
            PUSH_END - 1,
            PUSH_END,
            -1,
        ] {
            let mut out = Vec::new();
            TimeText::default().push(ms, &mut out);
            assert_eq!(out, format(ms).as_bytes(), "{ms}");
        }
    }

    #[test]
    fn epoch_arithmetic_matches_jiff() {
        for (s, want) in [
            ("1970-01-01T00:00:00Z", 0),
            ("2000-03-01T00:00:00Z", 951_868_800_000),
            ("1969-12-31T23:59:59Z", -1000),
        ] {
            assert_eq!(parse(s.as_bytes()).unwrap().0, want, "{s}");
            let j: jiff::Timestamp = s.parse().unwrap();
            assert_eq!(j.as_millisecond(), want);
        }
    }
}
