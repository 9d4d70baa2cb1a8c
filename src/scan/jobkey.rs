//! Finding the job run a log line names.
//!
//! A job key is, case-insensitively, `job[-_ ]?run[-_ ]?(name|id)?` followed
//! by optional quotes or spaces, `=` or `:`, optional quotes or spaces and the
//! value, the run of `[A-Za-z0-9._-]` after it without trailing dots; or a
//! resource-path segment `jobRuns/<value>`. That is the regex
//! [`BUILTIN_PATTERN`]; the scanner uses a hand-written parser of the same
//! language instead, because it runs on every line that carries a code and,
//! backwards, over the lines between them. A property test holds the two to
//! the same answers.
//!
//! A key counts only when its value is a job id ([`is_job_id`]): it has a
//! digit, or a letter and one of `.`, `_`, `-` (GUIDs, resource names such
//! as `job-run-2024-03-15`). A value of letters only is a word (`Job run:
//! failed`, `"jobRunId":null`, `jobRunName= statusCode=...`, where logrus
//! left the value empty): such a key is skipped whole, as if it were text.
//!
//! Users add their own key forms with `--job-pattern REGEX` (named group
//! `job`); those run through the regex engine.

use memchr::{memchr2_iter, memrchr, memrchr2_iter};
use regex::bytes::Regex;

use crate::model::error::Error;
use crate::scan::linemask::{self, KeyMask};

/// The built-in key language as a regex (the id is group 1). Documentation
/// and test oracle for `parse_at`.
pub const BUILTIN_PATTERN: &str =
    r#"(?i)job[-_ ]?run(?:[-_ ]?(?:name|id)?["' ]*[=:]["' ]*|s/)([A-Za-z0-9._-]*[A-Za-z0-9_-])"#;

/// Whether a key's value is a job id: a digit, or a letter and one of
/// `.`, `_`, `-` (see the module docs).
#[inline]
pub fn is_job_id(id: &[u8]) -> bool {
    let (mut letter, mut punct) = (false, false);
    for &b in id {
        if b.is_ascii_digit() {
            return true;
        }
        letter |= b.is_ascii_alphabetic();
        punct |= matches!(b, b'.' | b'_' | b'-');
    }
    letter && punct
}

/// Whether `s` is a GUID: 8-4-4-4-12 hex digits, in any case.
pub fn is_guid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A job id as it is counted: a GUID in lower case (GUIDs name the same
/// job run in any case), any other id as spelt.
#[inline]
pub fn fold_id(id: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if id.len() == 36 && id.iter().any(u8::is_ascii_uppercase) && is_guid(id) {
        std::borrow::Cow::Owned(id.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(id)
    }
}

/// The length of the shortest built-in key (`jobrun=` and a one-byte id).
const SHORTEST_KEY: usize = 8;

/// Finds job keys in lines.
#[derive(Clone, Debug, Default)]
pub struct KeyFinder {
    user: Option<Regex>,
}

/// A key's position in a line: where it starts, and its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    start: usize,
    id: (usize, usize),
}

impl KeyFinder {
    /// A finder for the built-in forms and, if given, the user's pattern,
    /// which must have a named group `job`.
    pub fn new(user_pattern: Option<&str>) -> Result<KeyFinder, Error> {
        let user = match user_pattern {
            None => None,
            Some(p) => {
                let re = Regex::new(p).map_err(|e| Error::JobPattern {
                    pattern: p.to_string(),
                    reason: format!(
                        "{e}\n--job-pattern takes a regex with a named group 'job', e.g. 'task=(?P<job>[0-9a-f-]{{36}})'"
                    ),
                })?;
                if !re.capture_names().any(|n| n == Some("job")) {
                    return Err(Error::JobPattern {
                        pattern: p.to_string(),
                        reason: "it has no named group 'job'; write the id part as (?P<job>...), e.g. 'task=(?P<job>[0-9a-f-]{36})'".into(),
                    });
                }
                Some(re)
            }
        };
        Ok(KeyFinder { user })
    }

    /// Whether only the built-in forms are looked for (no `--job-pattern`,
    /// whose matches could span lines).
    pub fn builtin_only(&self) -> bool {
        self.user.is_none()
    }

    /// The first and the last job id on `line` (one line, no `\n`).
    pub fn on_line<'a>(&self, line: &'a [u8]) -> Option<(&'a [u8], &'a [u8])> {
        self.keys_among(line, memchr2_iter(b'j', b'J', line))
    }

    /// [`KeyFinder::on_line`] of a line whose [`KeyMask`] is made: the
    /// same answer, the `j`s that may start a key read off the mask.
    #[inline]
    pub fn on_line_masked<'a>(
        &self,
        line: &'a [u8],
        mask: &KeyMask,
    ) -> Option<(&'a [u8], &'a [u8])> {
        debug_assert_eq!(mask.len(), line.len(), "the mask of another line");
        self.keys_among(line, mask.js())
    }

    /// The first and the last job id on `line`, whose built-in keys start
    /// at some of `js`, the positions of its `j`s and `J`s in order.
    #[inline]
    fn keys_among<'a>(
        &self,
        line: &'a [u8],
        js: impl Iterator<Item = usize>,
    ) -> Option<(&'a [u8], &'a [u8])> {
        let (f, l) = match &self.user {
            None => {
                // Built-in keys come leftmost first.
                let (mut first, mut last) = (None, None);
                builtin_keys(line, js, &mut |k: Key| {
                    first.get_or_insert(k);
                    last = Some(k);
                });
                (first?, last?)
            }
            Some(re) => with_user_keys(line, js, re)?,
        };
        Some((&line[f.id.0..f.id.1], &line[l.id.0..l.id.1]))
    }

    /// The last job id in `region` (whole lines), searching from its end.
    pub fn last_in<'a>(&self, region: &'a [u8]) -> Option<&'a [u8]> {
        // A built-in key takes at least `jobrun=` and an id: in a dense log
        // the region between two code lines is just a line break.
        if self.user.is_none() && region.len() < SHORTEST_KEY {
            return None;
        }
        // Where the last built-in key starts, found backwards; then the
        // user's last match, found forwards. The later line wins, and that
        // line is read again forwards so that overlapping candidates resolve
        // exactly as on_line resolves them.
        // A line whose keys all have word values has no key: the look goes
        // on before it.
        let mut region = region;
        loop {
            let builtin =
                memrchr2_iter(b'j', b'J', region).find(|&p| parse_at(region, p).is_some());
            let user = self.user.as_ref().and_then(|re| {
                re.captures_iter(region)
                    .filter(|c| c.name("job").is_some_and(|j| !j.is_empty()))
                    .last()
                    .and_then(|c| c.get(0))
                    .map(|m| m.start())
            });
            let at = match (builtin, user) {
                (Some(a), Some(b)) => a.max(b),
                (a, b) => a.or(b)?,
            };
            let start = memrchr(b'\n', &region[..at]).map_or(0, |p| p + 1);
            let end = memchr::memchr(b'\n', &region[at..]).map_or(region.len(), |p| at + p);
            if let Some((_, last)) = self.on_line(&region[start..end]) {
                return Some(last);
            }
            region = &region[..start.saturating_sub(1)];
        }
    }
}

/// The first and the last key on `line`, built-in (starting at some of
/// `js`) or the user's; a key that starts where another does is the first
/// as the built-in one and the last as the user's.
#[inline(never)]
fn with_user_keys(line: &[u8], js: impl Iterator<Item = usize>, re: &Regex) -> Option<(Key, Key)> {
    let mut first: Option<Key> = None;
    let mut last: Option<Key> = None;
    let mut note = |k: Key| {
        if first.is_none_or(|f| k.start < f.start) {
            first = Some(k);
        }
        if last.is_none_or(|l| k.start >= l.start) {
            last = Some(k);
        }
    };
    builtin_keys(line, js, &mut note);
    for caps in re.captures_iter(line) {
        if let (Some(whole), Some(job)) = (caps.get(0), caps.name("job")) {
            if !job.is_empty() {
                note(Key {
                    start: whole.start(),
                    id: (job.start(), job.end()),
                });
            }
        }
    }
    Some((first?, last?))
}

/// Calls `f` for each built-in key on `line` whose value is a job id,
/// leftmost first, not overlapping; `js` are the positions of its `j`s and
/// `J`s, in order. A key with a word value is passed over whole.
#[inline]
fn builtin_keys(line: &[u8], js: impl Iterator<Item = usize>, f: &mut impl FnMut(Key)) {
    let mut next = 0;
    for p in js {
        if p < next {
            continue;
        }
        if let Some(id) = parse_at(line, p) {
            if is_job_id(&line[id.0..id.1]) {
                f(Key { start: p, id });
            }
            next = id.1;
        }
    }
}

/// Parses a built-in key starting exactly at `at`; returns its id's range.
#[inline]
fn parse_at(s: &[u8], at: usize) -> Option<(usize, usize)> {
    let mut i = at;
    i = lit(s, i, b"job")?;
    i = sep(s, i);
    i = lit(s, i, b"run")?;
    if s.get(i).is_some_and(|b| b.eq_ignore_ascii_case(&b's')) && s.get(i + 1) == Some(&b'/') {
        return id(s, i + 2);
    }
    i = sep(s, i);
    i = lit(s, i, b"name").or_else(|| lit(s, i, b"id")).unwrap_or(i);
    i = skip_quotes(s, i);
    if !matches!(s.get(i), Some(b'=' | b':')) {
        return None;
    }
    id(s, skip_quotes(s, i + 1))
}

/// The end of `word` (lowercase ASCII letters) when `s` holds it at `i`,
/// in any case. With bit 5 set, a byte equals a lowercase letter exactly
/// when it is that letter in either case: one `or` and one compare a byte,
/// where `eq_ignore_ascii_case` folds both sides.
#[inline]
fn lit(s: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    debug_assert!(word.iter().all(u8::is_ascii_lowercase));
    let end = i + word.len();
    let got = s.get(i..end)?;
    got.iter()
        .zip(word)
        .all(|(&b, &w)| b | 0x20 == w)
        .then_some(end)
}

#[inline]
fn sep(s: &[u8], i: usize) -> usize {
    i + usize::from(matches!(s.get(i), Some(b'-' | b'_' | b' ')))
}

#[inline]
fn skip_quotes(s: &[u8], mut i: usize) -> usize {
    while matches!(s.get(i), Some(b'"' | b'\'' | b' ')) {
        i += 1;
    }
    i
}

/// The value from `start` on: id bytes ([`linemask::is_id_byte`]) without
/// trailing dots (a sentence's full stop), at least one.
#[inline]
fn id(s: &[u8], start: usize) -> Option<(usize, usize)> {
    let run = s.get(start..start + linemask::id_run(s.get(start..)?))?;
    let len = run.iter().rposition(|&b| b != b'.').map_or(0, |p| p + 1);
    (len > 0).then_some((start, start + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value against every letter of the built-in keys' words,
    /// and the words at every place and cut of a short text: [`lit`]
    /// agrees with `eq_ignore_ascii_case`.
    #[test]
    fn literals_match_in_any_case_as_eq_ignore_ascii_case() {
        for word in [&b"job"[..], b"run", b"name", b"id"] {
            for b in 0..=u8::MAX {
                for at in 0..word.len() {
                    let mut s = word.to_vec();
                    s[at] = b;
                    let want = s.eq_ignore_ascii_case(word).then_some(word.len());
                    assert_eq!(lit(&s, 0, word), want, "{b:#x} at {at} of {word:?}");
                }
            }
            let text = b"x JobRunNAME jobrunid jo";
            for i in 0..=text.len() + 1 {
                let want = text
                    .get(i..i + word.len())
                    .filter(|got| got.eq_ignore_ascii_case(word))
                    .map(|_| i + word.len());
                assert_eq!(lit(text, i, word), want, "{i}");
            }
        }
    }
    use proptest::prelude::*;

    fn first(line: &str) -> Option<String> {
        KeyFinder::default()
            .on_line(line.as_bytes())
            .map(|(f, _)| String::from_utf8_lossy(f).into_owned())
    }

    #[test]
    fn recognises_the_documented_forms() {
        let cases = [
            ("x jobRunName=X1 y", Some("X1")),
            (r#"{"jobRunId":"X2"}"#, Some("X2")),
            (r#"JobRunName: "X3""#, Some("X3")),
            ("job run: X4", Some("X4")),
            ("/subscriptions/s/jobDefinitions/d/jobruns/X5/x", Some("X5")),
            (".../jobRuns/X6", Some("X6")),
            ("job_run_id = 'X7'", Some("X7")),
            ("JOB-RUN-NAME:X8", Some("X8")),
            ("jobrun=a.b_c-9!", Some("a.b_c-9")),
            ("Job run: job-run-2024-03-15.", Some("job-run-2024-03-15")),
            ("jobRunName=nightly-copy", Some("nightly-copy")),
            (
                "jobRunName=abcdefab-cdef-abcd-efab-cdefabcdefab",
                Some("abcdefab-cdef-abcd-efab-cdefabcdefab"),
            ),
            ("Job run started", None),
            ("jobRunName=", None),
            ("jobRunName \"x\"", None),
            ("job  run: x", None),
            ("myjobs run: x", None),
            // Words, not ids: logrus's empty value before the next key, a
            // JSON null, an English word, placeholders.
            ("jobRunName= statusCode=AZSM1002", None),
            (r#"{"jobRunId":null,"code":"AZSM1024"}"#, None),
            ("Job run: failed with AZSM1045", None),
            ("Job run: failed.", None),
            ("jobRunId=None jobRunName=undefined JobRunName=NIL", None),
            ("jobRunName=--- jobrun=...", None),
            // A word value is passed over whole, and a real key after it counts.
            ("jobRunName=jobrunid=X9", None),
            ("jobRunName=null jobRunName=run-7", Some("run-7")),
        ];
        for (line, want) in cases {
            assert_eq!(first(line).as_deref(), want, "{line:?}");
        }
    }

    #[test]
    fn first_and_last_on_a_line() {
        let k = KeyFinder::default();
        let (f, l) = k
            .on_line(b"jobRunName=A1 copied to jobRuns/B2 and job run: C3, job run: done")
            .unwrap();
        assert_eq!((f, l), (&b"A1"[..], &b"C3"[..]));
    }

    #[test]
    fn user_pattern_needs_a_job_group_and_joins_rule_one() {
        assert!(KeyFinder::new(Some("task=[a-z]+")).is_err());
        assert!(KeyFinder::new(Some("task=(?P<job>")).is_err());
        let k = KeyFinder::new(Some("task=(?P<job>[a-z]+)")).unwrap();
        let (f, l) = k.on_line(b"task=abc then jobRunId=Z1").unwrap();
        assert_eq!((f, l), (&b"abc"[..], &b"Z1"[..]));
        assert_eq!(
            k.last_in(b"jobRunId=Z1\ntask=q\nnothing\n"),
            Some(&b"q"[..])
        );
    }

    #[test]
    fn last_in_region_takes_the_latest_line_and_its_last_key() {
        let k = KeyFinder::default();
        let region = b"jobRunName=A1\nJob run started\njobRunName=B2 x jobRunId=C3\nno key here\n";
        assert_eq!(k.last_in(region), Some(&b"C3"[..]));
        assert_eq!(k.last_in(b"nothing\nat all\n"), None);
        // The shortest keys: `jobrun=` or `jobruns/` and a one-byte id.
        assert_eq!(k.last_in(b"jobrun=7"), Some(&b"7"[..]));
        assert_eq!(k.last_in(b"JOBRUN:7"), Some(&b"7"[..]));
        assert_eq!(k.last_in(b"jobruns/9"), Some(&b"9"[..]));
        assert_eq!(k.last_in(b"jobrun="), None);
        // A candidate inside an earlier key's id resolves as a forward read does.
        assert_eq!(
            k.last_in(b"jobRunName=jobrun-id=x\n"),
            Some(&b"jobrun-id"[..])
        );
        // Lines whose keys have word values are passed over, back to an id.
        assert_eq!(
            k.last_in(b"jobRunName=run-1\nJob run: failed\njobRunName= statusCode=AZSM1002\n"),
            Some(&b"run-1"[..])
        );
        assert_eq!(k.last_in(b"Job run: failed\n\"jobRunId\":null\n"), None);
    }

    /// The keys the regexes find: [`BUILTIN_PATTERN`], then
    /// [`crate::testing::JOB_ID`] on each value.
    fn oracle(line: &[u8]) -> Vec<(usize, Vec<u8>)> {
        let re = Regex::new(BUILTIN_PATTERN).unwrap();
        let id = Regex::new(crate::testing::JOB_ID).unwrap();
        re.captures_iter(line)
            .filter(|c| id.is_match(&c[1]))
            .map(|c| (c.get(0).unwrap().start(), c[1].to_vec()))
            .collect()
    }

    #[test]
    fn guids_fold_to_lower_case_and_other_ids_keep_their_spelling() {
        let g = b"38FB0F65-B642-4CB7-A8A0-F406E3E6F85A";
        assert_eq!(&*fold_id(g), b"38fb0f65-b642-4cb7-a8a0-f406e3e6f85a");
        assert!(matches!(
            fold_id(b"38fb0f65-b642-4cb7-a8a0-f406e3e6f85a"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(&*fold_id(b"Run-ABC-1"), b"Run-ABC-1");
        assert_eq!(
            &*fold_id(b"38FB0F65-B642-4CB7-A8A0-F406E3E6F85AX"),
            b"38FB0F65-B642-4CB7-A8A0-F406E3E6F85AX"
        );
    }

    /// The id of the last key of `region`'s last line with one, as the
    /// regex finds them.
    fn last_by_regex(region: &[u8]) -> Option<Vec<u8>> {
        region
            .split(|&b| b == b'\n')
            .rev()
            .find_map(|line| oracle(line).pop())
            .map(|(_, id)| id)
    }

    proptest! {
        /// The last key of a region is the last key of its last line that
        /// has one, as the regex finds them (short regions too).
        #[test]
        fn last_in_equals_the_regex_on_the_last_keyed_line(region in proptest::collection::vec(
            prop::sample::select(b"jJoObBrRuUnNsSaAmMeEiIdD-_ '\":=/x9.\n".to_vec()), 0..60)) {
            prop_assert_eq!(KeyFinder::default().last_in(&region).map(<[u8]>::to_vec), last_by_regex(&region));
        }

        /// The same on regions made of key parts, where short keys are
        /// common (the shortest decides when a region is too short to look).
        #[test]
        fn last_in_equals_the_regex_on_regions_of_key_parts(parts in proptest::collection::vec(
            prop::sample::select(vec![
                "job", "JOB", "run", "Run", "s/", "=", ":", "x", "7", "\n", "-", " ", "id", "name",
            ]),
            0..8,
        )) {
            let region = parts.concat().into_bytes();
            prop_assert_eq!(KeyFinder::default().last_in(&region).map(<[u8]>::to_vec), last_by_regex(&region));
        }
    }

    /// A line of `parts` after `pad` filler bytes: keys land at the start,
    /// across the mask's 64-byte words and around its limit.
    fn padded(pad: usize, parts: &[&str]) -> Vec<u8> {
        let mut line: Vec<u8> = b"x9 \t\r\xc3\xa9"
            .iter()
            .copied()
            .cycle()
            .take(pad)
            .collect();
        line.extend(parts.concat().bytes());
        line
    }

    proptest! {
        /// Walking the mask's `j`s finds what `memchr` finds, with and
        /// without a user pattern, on lines up to and past the mask's limit.
        #[test]
        fn masked_equals_memchr(
            pad in prop_oneof![0usize..8, 56usize..72, 120usize..136, 180usize..260],
            parts in proptest::collection::vec(prop::sample::select(vec![
                "job", "JOB", "Job", "run", "RUN", "s/", "=", ":", "\"", "'", " ", "\t", "-",
                "_", "id", "Name", "x", "7", ".", "é", "\r", "jobRunName=", "jobRuns/", "task=",
            ]), 0..12),
        ) {
            let line = padded(pad, &parts);
            let user = KeyFinder::new(Some("task=(?P<job>[a-z]*)")).unwrap();
            for keys in [KeyFinder::default(), user] {
                match KeyMask::default().fill(&line, 0..line.len()) {
                    Some(mask) => prop_assert_eq!(keys.on_line_masked(&line, mask), keys.on_line(&line)),
                    None => prop_assert!(line.len() > crate::scan::linemask::LIMIT),
                }
            }
        }

        #[test]
        fn hand_parser_equals_the_regex(line in proptest::collection::vec(
            prop::sample::select(b"jJoObBrRuUnNsSaAmMeEiIdD-_ '\":=/x9.".to_vec()), 0..40)) {
            let mut ours = Vec::new();
            builtin_keys(&line, memchr2_iter(b'j', b'J', &line), &mut |k: Key| ours.push((k.start, line[k.id.0..k.id.1].to_vec())));
            prop_assert_eq!(ours, oracle(&line));
        }
    }
}
