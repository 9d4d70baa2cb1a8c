//! `gencorpus`: a deterministic, seeded benchmark corpus for `azsm`, with the exact counts
//! `azsm` must report on it.
//!
//! ```text
//! cargo run --release --example gencorpus -- --out DIR --seed N --profile P [--size-mib M]
//! cargo run --release --example gencorpus -- --check DIR/expected.json REPORT.json
//! ```
//!
//! No public sample of Storage Mover agent logs exists, so the benchmark needs inputs that
//! look like them (support-bundle layout, ISO-8601 timestamps, key=value fields, JSON
//! fragments, CRLF lines, file names that are not UTF-8) and that carry every trap a scanner
//! can get wrong: `AZSM10245`, `XAZSM1024`, `AZSM1024X`, `AZSM1024_1`, `azsm1024`, base64
//! such as `pSAZSM0ipSt`, host names such as `azsmga101`, phrases like `Job run started` or
//! `jobRunStatus=` that are not job keys, a non-ASCII letter right before a code (the
//! boundary is ASCII: `éAZSM2062` counts), a code repeated on a line (one event), two codes
//! on a line (two events), two job keys on a line (the first attributes the line, the last
//! is carried to later lines), continuation lines without a timestamp, and very long lines.
//!
//! Profiles (`--size-mib` scales the total):
//! - `agentlog`: `var/log/xdatamoved.log`, 1200 MiB, one code line in ~200, many
//!   interleaved concurrent job runs.
//! - `tree`: the agent log plus 4,000 archived job logs `root/xdmdata/archive/<guid>/job.log`
//!   (a few with a deeper `<guid>.log` inside) and 400 copy logs
//!   `root/xdmdata/copy log/<guid>.log`, ~1.4 GiB in all.
//! - `copylog`: `root/xdmdata/copy log/copylog.log`, 350 MiB, a code on every line (~3.8M
//!   events), lines keyed `jobRunName=<guid>` or keyless: attribution rests on the carried key.
//! - `deep`: another shape, as a Windows-hosted share's agent might leave it: every line
//!   CRLF, a 200 MiB agent log, 150 archived job logs of ~4 MiB each three directories
//!   deeper (`root/xdmdata/archive/2024/03/<dd>/<guid>/job.log`) and 40 copy logs of 2 MiB
//!   under per-day directories, ~880 MiB in all.
//! - `small`: 4 MiB of all of the above, for CI smoke runs.
//!
//! Every line comes from a template whose `$placeholders` say which codes and job keys it
//! writes, so the expected counts follow azsm's rules without scanning anything: an event is
//! a distinct (line, code) pair; AZSM0001-AZSM0999 are unattributed; any other code goes to
//! the first job key on its line, else to the deepest GUID path component, else to the last
//! key of the latest earlier keyed line of the same file, else to none. The counts go to
//! `DIR/expected.json`, which spells `AZSM` as `\u0041ZSM` so that a scan of DIR does not
//! count the file itself. A private wyrand PRNG keeps the bytes of a seed the same on any
//! machine and with any version of any crate; lines are written without `format!`.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

type Res<T> = Result<T, Box<dyn Error>>;
type Counts = BTreeMap<String, u64>;

/// The published table (AZSM0000 first), then draft and unknown but well-formed codes.
#[rustfmt::skip]
const CODES: &[&str] = &[
    "AZSM0000", "AZSM1001", "AZSM1002", "AZSM1003", "AZSM1004", "AZSM1020", "AZSM1021",
    "AZSM1022", "AZSM1023", "AZSM1024", "AZSM1025", "AZSM1026", "AZSM1027", "AZSM1028",
    "AZSM1029", "AZSM1030", "AZSM1031", "AZSM1040", "AZSM1041", "AZSM1042", "AZSM1043",
    "AZSM1044", "AZSM1045", "AZSM1060", "AZSM2021", "AZSM2024", "AZSM2026", "AZSM2027",
    "AZSM2061", "AZSM2062", "AZSM2063", "AZSM2069", "AZSM2070", "AZSM2071", "AZSM2080",
    "AZSM0001", "AZSM0003", "AZSM0007", "AZSM1099", "AZSM2099", "AZSM2001", "AZSM2041",
];
/// How a line picks its code: AZSM0000 below the first per-mille bound, then scope 0 (other
/// than AZSM0000), scope 1 and scope 2 below the next ones.
type Mix = [usize; 4];
const AGENT_MIX: Mix = [150, 200, 650, 1000];
const ARCHIVE_MIX: Mix = [150, 170, 670, 1000];
const COPY_MIX: Mix = [550, 560, 600, 1000];

const ARM: &str = "/subscriptions/6f1c2f0e-8b7a-4c1d-9e2f-3a4b5c6d7e8f/resourceGroups/rg-migration\
/providers/Microsoft.StorageMover/storageMovers/mover-eu1/projects/fileshares/jobDefinitions/nightly-copy";
/// Job key spellings (prefix, suffix); the id in between is what the key regex captures.
/// Forms 8 and 9 follow the ARM resource path.
#[rustfmt::skip]
const KEYS: &[(&str, &str)] = &[
    ("jobRunName=", ""), ("\"jobRunId\":\"", "\""), ("JobRunName: \"", "\""), ("job run: ", ""),
    ("job_run_id=", ""), ("JOB-RUN-ID='", "'"), ("jobrunname = ", ""), ("\"JobRunName\": \"", "\""),
    ("/jobRuns/", "?api-version=2023-10-01"), ("/jobruns/", ""),
];
/// Word lists for the `$name` placeholders of [`Gen::fill`].
#[rustfmt::skip]
const LISTS: &[(&str, &[&str])] = &[
    ("trap", &[
        "token=eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.pSAZSM0ipStQifQ.c2lnbmF0dXJlAZSMx",
        "build=AZSM10245 channel=stable", "ref=XAZSM1024 upstream=ok", "tag=AZSM1024X",
        "checkpoint=AZSM1024_1.ckpt", "message=\"see azsm1024 in the lowercase docs\"",
        "agent=azsmga101.contoso.local peer=azsmga102", "product=AZSMAgent version=2.1.0",
        "jobRunStatus=Running jobRunsTotal=3 jobDefinitionName=nightly-copy",
        "sas=sv=2022-11-02&sig=Qm9vQVpTTTEwMjQ%3D&AZSM=1 prefix=AZSM102",
    ]),
    ("life", &[
        "Job run started by scheduler trigger=manual", "Job run completed",
        "job-run finished status=Succeeded", "Job Run finished, jobRunStatus=Succeeded jobRunsTotal=3",
    ]),
    ("info", &[
        "copy worker idle", "refreshing managed identity token", "scanning source namespace",
        "uploading block list", "throttling: bandwidth schedule active", "checkpoint saved",
        "directory listing complete", "retrying request after 503", "metrics flushed",
        "lease renewed on target container",
    ]),
    ("err", &[
        "Failed to mount source path", "Authorization failure accessing the target location",
        "no such file or directory", "permission denied", "input/output error",
        "x509: certificate signed by unknown authority", "The specified share is full",
        "InvalidResourceName", "bad file descriptor", "RESPONSE 403: Forbidden",
        "lease held on AZURE_STORAGE_MOVER_MARKER", "Copy failed due to an unknown error",
        "===== RESPONSE ERROR (ServiceCode=AuthorizationPermissionMismatch) =====",
    ]),
    ("comp", &["copy", "scan", "agent", "http", "kv", "sched"]),
    ("host", &["azsmga101", "azsmga101.contoso.local", "azsmga102"]),
    ("acct", &["contosomigr01", "fabrikamdata"]),
    ("cont", &["migrated", "finance-share", "media"]),
    ("blk", &[
        "QVpTTTAwMDA=", "YmxvY2stMDAwMDE=", "pSAZSM0ipStAAAA=", "MDAwMDAwMDAwMQ==", "YmxvY2stMDAwMDI=",
        "YmxvY2stMDAwMDM=", "YmxvY2stMDAwMDQ=", "YmxvY2stMDAwMDU=",
    ]),
    ("dir", &[
        "projects", "finance", "Q1", "archive", "users", "alice", "bob", "shared", "media", "2023",
        "scans", "legal", "hr", "build", "cache",
    ]),
    ("file", &["report", "budget", "IMG", "notes", "data", "backup", "invoice", "draft", "photo"]),
    ("ext", &["docx", "pdf", "xlsx", "jpg", "txt", "bin", "vhdx", "zip"]),
    ("ft", &["F", "F", "F", "D"]),
];
/// File names from SMB/NFS sources that are not valid UTF-8 (Latin-1 and stray bytes).
#[rustfmt::skip]
const BAD_NAMES: &[&[u8]] = &[b"caf\xe9", b"r\xe9sum\xe9", b"\xff\xfeunicode", b"na\xefve\xc3\x28", b"Donn\xc3\xa9es"];

/// Lines of the agent log and archived job logs after the timestamp, `$placeholders` filled by
/// [`Gen::fill`]. A line draws r in 0..1000 and takes the first template whose bound is above r.
const AGENT_LINES: &[(usize, &str)] = &[
    (250, " INFO  [copy] progress $kv itemsScanned=$n1000000 itemsTransferred=$n1000000 bytesTransferred=$n9999999999"),
    (400, " DEBUG [scan] enumerating path=\"/mnt/src/$path\" depth=$n12"),
    (550, " DEBUG [http] PUT https://$acct.blob.core.windows.net/$cont/$path?comp=block&blockid=$blk status=201 requestId=$guid elapsedMs=$n3000"),
    (650, " INFO  [api] job-run update {\"name\":\"$name\",$key1,\"status\":\"Running\",\"itemsScanned\":$n100000,\"agentName\":\"azsmga101\",\"tenantId\":\"$guid\"}"),
    (730, " INFO  [agent] heartbeat agent=$host uptime=$n1000000s cpu=$n100% memMiB=$n4096"),
    (780, " INFO  [arm] GET $arm status=200"),
    (790, " DEBUG [$comp] $trap"),
    (850, " INFO  [job] $life"),
    (870, " INFO  [auth] token acquired tenantId=$guid subscriptionId=$guid clientId=$guid"),
    (890, " INFO  [job] resuming $key previousJobRunId=$other after agent restart"),
    (1000, " INFO  [$comp] $info elapsedMs=$n5000"),
];
/// Lines with codes, the same way with r in 0..100; `$code` is the line's code, `$more` another
/// one, and a `\n` starts a continuation line.
const CODE_LINES: &[(usize, &str)] = &[
    (5, " ERROR [job] resume failed $key parentJobRunId=$other code=$more\n    caused by: $code $err"),
    (30, " ERROR [job] $key status=Failed error={\"code\":\"$code\",\"message\":\"$err\",\"target\":\"$path\"}"),
    (55, " WARN  [copy] item failed statusCode=$code path=\"/mnt/src/$path\""),
    (65, " ERROR [job] $code: $err (status $code) $key"),
    (75, " ERROR [job] $code caused by $more, $key2"),
    (83, " WARN  [copy] statusCode=$code ref=XAZSM1024 build=AZSM10245 tag=AZSM1024X part=AZSM1024_1 host=azsmga101"),
    (91, " INFO  [job] job-run finished status=Succeeded code=$ok $key"),
    (95, " WARN  [scan] \u{ab}$code\u{bb} file=\"/mnt/src/$path\""),
    (97, " WARN  [scan] note=\u{e9}$code lang=fr"),
    (98, " DEBUG [scan] batch items=[$batch] last=$code"),
    (100, " ERROR [upgrade] agent upgrade failed code=$upg agent=azsmga101 $key"),
];
const MIB: f64 = 1_048_576.0;
const BASE_MS: u64 = 1_710_489_600_000; // 2024-03-15T08:00:00Z

/// wyrand: tiny, fast, and ours, so the output never changes with a dependency's version.
#[derive(Default)]
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0xa076_1d64_78bd_642f);
        let t = u128::from(self.0) * u128::from(self.0 ^ 0xe703_7ed1_a0b4_28db);
        (t >> 64) as u64 ^ t as u64
    }
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

/// The expected report, as written to `expected.json` and read back by `--check`.
#[derive(Serialize, Deserialize, Default)]
struct Expected {
    events: u64,
    codes: Counts,
    jobs: BTreeMap<String, Counts>,
    unattributed: Counts,
    #[serde(default)]
    meta: serde_json::Value,
}

/// Writes one file at a time, line by line, and keeps the expected counts.
#[derive(Default)]
struct Gen {
    rng: Rng,
    by_scope: [Vec<usize>; 3],
    names: Vec<String>,    // job ids, indexed by job number
    counts: Vec<Vec<u64>>, // [job][code]
    codes: Vec<u64>,
    unattr: Vec<u64>,
    events: u64,
    files: u64,
    bytes: u64,
    // the file and line being written
    w: Option<BufWriter<File>>,
    file_bytes: u64,
    buf: Vec<u8>,
    line_codes: Vec<usize>,
    first_key: Option<usize>,
    last_key: Option<usize>,
    carry: Option<usize>,
    path_job: Option<usize>,
    ms: u64,
    job: usize,
    code: usize,
    mix: Mix,
    // the concurrent job runs
    active: Vec<usize>,
    turnover: usize,
    /// Every line ends in CRLF.
    crlf: bool,
}

impl Gen {
    fn new(seed: u64) -> Gen {
        let mut by_scope: [Vec<usize>; 3] = Default::default();
        for (i, c) in CODES.iter().enumerate().skip(1) {
            by_scope[usize::from(c.as_bytes()[4] - b'0')].push(i);
        }
        let (codes, unattr) = (vec![0; CODES.len()], vec![0; CODES.len()]);
        let rng = Rng(seed ^ 0x5eed_a25e_0000_0000);
        Gen {
            rng,
            by_scope,
            codes,
            unattr,
            ..Default::default()
        }
    }

    fn below(&mut self, n: usize) -> usize {
        self.rng.below(n)
    }

    fn open(&mut self, path: &Path, path_job: Option<usize>, start_ms: u64) -> Res<()> {
        fs::create_dir_all(path.parent().unwrap())?;
        self.w = Some(BufWriter::with_capacity(1 << 20, File::create(path)?));
        (self.file_bytes, self.carry, self.path_job, self.ms) = (0, None, path_job, start_ms);
        Ok(())
    }

    fn close(&mut self) -> Res<()> {
        self.w.take().unwrap().flush()?;
        self.files += 1;
        Ok(())
    }

    /// Ends the line (CRLF on ~3% of them, or on all in a CRLF corpus), writes it and books
    /// its events.
    fn end(&mut self) -> Res<()> {
        if self.below(32) == 0 || self.crlf {
            self.buf.push(b'\r');
        }
        self.buf.push(b'\n');
        self.w.as_mut().unwrap().write_all(&self.buf)?;
        self.file_bytes += self.buf.len() as u64;
        self.bytes += self.buf.len() as u64;
        self.buf.clear();
        self.line_codes.sort_unstable();
        self.line_codes.dedup();
        for &c in &self.line_codes {
            self.events += 1;
            self.codes[c] += 1;
            let scope0 = c != 0 && CODES[c].as_bytes()[4] == b'0';
            match self.first_key.or(self.path_job).or(self.carry) {
                Some(job) if !scope0 => self.counts[job][c] += 1,
                _ => self.unattr[c] += 1,
            }
        }
        self.line_codes.clear();
        if let Some(k) = self.last_key {
            self.carry = Some(k);
        }
        (self.first_key, self.last_key) = (None, None);
        Ok(())
    }

    /// Writes a template: `$name` or `$name<digits>` placeholders are filled by [`Gen::fill`],
    /// the rest is copied.
    fn t(&mut self, tmpl: &str) {
        let b = tmpl.as_bytes();
        let mut i = 0;
        while let Some(d) = b[i..].iter().position(|&c| c == b'$') {
            self.buf.extend_from_slice(&b[i..i + d]);
            i += d + 1;
            let name = i + b[i..].iter().take_while(|c| c.is_ascii_lowercase()).count();
            let arg = name + b[name..].iter().take_while(|c| c.is_ascii_digit()).count();
            self.fill(&tmpl[i..name], tmpl[name..arg].parse().ok());
            i = arg;
        }
        self.buf.extend_from_slice(&b[i..]);
    }

    /// Fills one placeholder. Job keys and codes are recorded as they are written.
    fn fill(&mut self, name: &str, arg: Option<usize>) {
        let job = self.job;
        match name {
            "n" => {
                let n = self.below(arg.unwrap()) as u64;
                self.pad(n, n.checked_ilog10().unwrap_or(0) + 1);
            }
            "guid" => Self::guid_into(&mut self.rng, &mut self.buf),
            "path" if self.below(50) == 0 => self.t("$dir/$dir/$bad.$ext"),
            "path" => self.t("$dir/$dir/$file_$n10000.$ext"),
            "bad" => {
                let i = self.below(BAD_NAMES.len());
                self.buf.extend_from_slice(BAD_NAMES[i]);
            }
            "batch" => {
                for _ in 0..60 {
                    self.t("{\"path\":\"$path\",\"size\":$n1073741824},");
                }
            }
            "name" => self.buf.extend_from_slice(self.names[job].as_bytes()),
            "key" | "kv" | "arm" => {
                let form = match (name, arg) {
                    ("kv", _) => [0, 4, 6][self.below(3)],
                    ("arm", _) => 8 + self.below(2),
                    (_, Some(form)) => form,
                    _ => self.below(KEYS.len()),
                };
                self.key(job, form);
            }
            "other" => {
                let other = self.pick_job();
                self.key_with(other, "", "");
            }
            "code" => self.code(self.code),
            "ok" => self.code(0),
            "more" | "upg" => {
                let c = if name == "more" {
                    self.pick_code(self.mix)
                } else {
                    self.scope_code(0)
                };
                self.code(c);
            }
            "res" => {
                // The copy log's TransferResult for the line's code.
                let d = CODES[self.code].as_bytes();
                let result = match (d[4], (d[6] - b'0') * 10 + d[7] - b'0') {
                    (b'0', 0) => "Transferred",
                    (b'2', 1..=20) => "Excluded",
                    (b'2', 21..=40) => "Unsupported",
                    (b'2', 41..=60) => "NoCopyNecessary",
                    _ => "Failed",
                };
                self.s(result);
            }
            _ => {
                let list = LISTS.iter().find(|(n, _)| *n == name);
                let list = list
                    .unwrap_or_else(|| panic!("unknown placeholder ${name}"))
                    .1;
                let i = self.below(list.len());
                self.s(list[i]);
            }
        }
    }

    fn s(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
    }

    fn pad(&mut self, n: u64, width: u32) {
        for k in (0..width).rev() {
            self.buf.push(b'0' + (n / 10u64.pow(k) % 10) as u8);
        }
    }

    /// Advances the clock; writes `2024-03-15T08:55:23.123Z` (or `AzCopy`'s `2024/03/15 08:55:23`).
    fn ts(&mut self, iso: bool) {
        self.ms += self.below(25) as u64;
        let (days, ms) = (self.ms / 86_400_000, self.ms % 86_400_000);
        // civil_from_days (H. Hinnant), for dates after 1970.
        let z = days + 719_468;
        let (era, doe) = (z / 146_097, z % 146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + u64::from(m <= 2);
        let (h, mi, s) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60);
        let seps: &[u8] = if iso { b"--T::." } else { b"// ::" };
        let parts = [(y, 4), (m, 2), (d, 2), (h, 2), (mi, 2), (s, 2)];
        for (i, (n, width)) in parts.into_iter().enumerate() {
            self.pad(n, width);
            self.buf.extend(seps.get(i));
        }
        if iso {
            self.pad(ms % 1000, 3);
            self.buf.push(b'Z');
        }
    }

    /// A version 4 GUID in lower case: the 13th digit is 4, the 17th one of 8, 9, a, b.
    fn guid_into(rng: &mut Rng, out: &mut Vec<u8>) {
        let v = (u128::from(rng.next()) << 64 | u128::from(rng.next())) & !(0xf << 76 | 0xc << 60);
        let v = v | 4 << 76 | 8 << 60;
        for i in 0..32 {
            if matches!(i, 8 | 12 | 16 | 20) {
                out.push(b'-');
            }
            out.push(b"0123456789abcdef"[(v >> (124 - 4 * i)) as usize & 15]);
        }
    }

    fn new_job(&mut self) -> usize {
        let mut v = Vec::with_capacity(36);
        Self::guid_into(&mut self.rng, &mut v);
        self.names.push(String::from_utf8(v).unwrap());
        self.counts.push(vec![0; CODES.len()]);
        self.names.len() - 1
    }

    /// One of the running jobs; now and then one ends and a new one starts.
    fn pick_job(&mut self) -> usize {
        if self.turnover > 0 && self.below(self.turnover) == 0 {
            let (i, j) = (self.below(self.active.len()), self.new_job());
            self.active[i] = j;
        }
        let i = self.below(self.active.len());
        self.active[i]
    }

    fn code(&mut self, c: usize) {
        self.s(CODES[c]);
        self.line_codes.push(c);
    }

    fn pick_code(&mut self, mix: Mix) -> usize {
        let r = self.below(1000);
        match mix.iter().position(|&upto| r < upto).unwrap() {
            0 => 0,
            scope => self.scope_code(scope - 1),
        }
    }

    fn scope_code(&mut self, scope: usize) -> usize {
        let i = self.below(self.by_scope[scope].len());
        self.by_scope[scope][i]
    }

    fn key_with(&mut self, job: usize, pre: &str, post: &str) {
        self.s(pre);
        self.buf.extend_from_slice(self.names[job].as_bytes());
        self.s(post);
        self.first_key.get_or_insert(job);
        self.last_key = Some(job);
    }

    fn key(&mut self, job: usize, form: usize) {
        if form >= 8 {
            self.s(ARM);
        }
        self.key_with(job, KEYS[form].0, KEYS[form].1);
    }

    /// One line of `xdatamoved.log` or of an archived job log; `code_pm` per mille have codes.
    fn agent_line(&mut self, code_pm: usize, mix: Mix) -> Res<()> {
        (self.job, self.mix) = (self.pick_job(), mix);
        let (lines, roll) = if self.below(1000) < code_pm {
            self.code = self.pick_code(mix);
            (CODE_LINES, self.below(100))
        } else if self.below(1000) < 3 {
            return self.end(); // a blank line
        } else {
            (AGENT_LINES, self.below(1000))
        };
        let tmpl = lines.iter().find(|(upto, _)| roll < *upto).unwrap().1;
        self.ts(true);
        for (i, line) in tmpl.split('\n').enumerate() {
            if i > 0 {
                self.end()?; // a continuation line follows
            }
            self.t(line);
        }
        self.end()
    }

    /// A copy log line: `azcopy` selects `AzCopy`'s style (`code_pm` per mille with codes),
    /// else copylog.log's compact form; `key_pm` per mille of the code lines are keyed.
    fn copy_line(&mut self, key_pm: usize, code_pm: usize, azcopy: bool) -> Res<()> {
        self.ts(!azcopy);
        if azcopy && self.below(1000) >= code_pm {
            self.t(" INFO: [P#0-T#$n64] Starting transfer: Source \"/mnt/src/$path\" Destination ");
            self.t(
                "\"https://$acct.file.core.windows.net/share/$path\". Specified chunk size 8388608",
            );
            return self.end();
        }
        self.s(if azcopy { " ERROR: " } else { " " });
        if self.below(1000) < key_pm {
            self.job = self.pick_job();
            self.t("$key0 ");
        }
        self.code = self.pick_code(COPY_MIX);
        self.t("$code $res $ft $n16777216 $path");
        let tail = self.below(100);
        self.t(match tail {
            0..=4 => " Details=\"$err\"",
            5 => " note=AZSM1024_1 ref=azsm1024",
            6 => " retry=$code", // the same code twice: one event
            _ => "",
        });
        self.end()
    }
}

/// Sizes of the parts of a corpus, and its shape.
#[derive(Default)]
struct Plan {
    agent: u64,
    archives: usize,
    /// Bytes of each archived job log; 0: 20 to 40 lines.
    archive_bytes: u64,
    copy_files: usize,
    copy_bytes: u64,
    copylog: u64,
    /// Job and copy logs under per-day directories.
    deep: bool,
    /// Every line ends in CRLF.
    crlf: bool,
}

fn plan(profile: &str, size_mib: Option<f64>) -> Res<Plan> {
    let mib = |m: f64| (m * MIB) as u64;
    let n = |x: f64| (x.round() as usize).max(1);
    let mut p = Plan::default();
    match profile {
        "agentlog" => p.agent = mib(size_mib.unwrap_or(1200.0)),
        "copylog" => p.copylog = mib(size_mib.unwrap_or(350.0)),
        "tree" => {
            let f = size_mib.unwrap_or(1434.0) / 1434.0;
            (p.agent, p.archives) = (mib(1200.0 * f), n(4000.0 * f));
            (p.copy_files, p.copy_bytes) = (n(400.0 * f), mib(222.0 * f));
        }
        "deep" => {
            let f = size_mib.unwrap_or(880.0) / 880.0;
            (p.agent, p.archives, p.archive_bytes) = (mib(200.0 * f), n(150.0 * f), mib(4.0));
            (p.copy_files, p.copy_bytes) = (n(40.0 * f), mib(80.0 * f));
            (p.deep, p.crlf) = (true, true);
        }
        "small" => {
            let f = size_mib.unwrap_or(4.0) / 4.0;
            (p.agent, p.archives, p.copylog) = (mib(1.5 * f), n(100.0 * f), mib(1.5 * f));
            (p.copy_files, p.copy_bytes) = (n(20.0 * f), mib(0.5 * f));
        }
        _ => return Err(format!("unknown profile {profile:?}").into()),
    }
    Ok(p)
}

fn generate(out: &Path, seed: u64, profile: &str, size_mib: Option<f64>) -> Res<()> {
    let t0 = Instant::now();
    let p = plan(profile, size_mib)?;
    if out.exists() && fs::read_dir(out)?.next().is_some() {
        if !out.join("expected.json").exists() {
            return Err(format!("{}: not empty and no expected.json", out.display()).into());
        }
        fs::remove_dir_all(out)?;
    }
    fs::create_dir_all(out)?;
    let mut g = Gen::new(seed);
    g.crlf = p.crlf;
    let xdm = out.join("root/xdmdata");
    if p.agent > 0 {
        let jobs = (p.agent as f64 / MIB / 4.0).max(8.0);
        g.active = (0..8).map(|_| g.new_job()).collect();
        g.turnover = ((p.agent as f64 / 150.0 / jobs) as usize).max(50);
        g.open(&out.join("var/log/xdatamoved.log"), None, BASE_MS)?;
        while g.file_bytes < p.agent {
            g.agent_line(5, AGENT_MIX)?;
        }
        g.close()?;
    }
    let mut archived = Vec::new();
    for i in 0..p.archives {
        // Mostly its own job, sometimes a key naming another one (rule 1 beats the path).
        let (own, other) = (g.new_job(), g.new_job());
        archived.push(own);
        (g.active, g.turnover, g.job) = (vec![own, own, own, other], 0, own);
        let day = xdm.join("archive");
        let day = if p.deep {
            day.join(format!("2024/03/{:02}", 1 + i % 28))
        } else {
            day
        };
        let dir = day.join(&g.names[own]);
        let start = BASE_MS + g.below(3 * 86_400_000) as u64;
        g.open(&dir.join("job.log"), Some(own), start)?;
        g.ts(true);
        g.t(" INFO  [job] Job run started $key0");
        g.end()?;
        if p.archive_bytes > 0 {
            while g.file_bytes < p.archive_bytes {
                g.agent_line(150, ARCHIVE_MIX)?;
            }
        } else {
            for _ in 0..20 + g.below(20) {
                g.agent_line(150, ARCHIVE_MIX)?;
            }
        }
        g.close()?;
        if i % 100 == 7 {
            // A GUID file name below a GUID directory: the deepest one wins.
            let inner = g.new_job();
            g.active = vec![inner];
            let path = dir.join(format!("{}.log", g.names[inner]));
            g.open(&path, Some(inner), start)?;
            for _ in 0..10 {
                g.agent_line(300, ARCHIVE_MIX)?;
            }
            g.close()?;
        }
    }
    for i in 0..p.copy_files {
        let job = archived.get(i).copied().unwrap_or_else(|| g.new_job());
        let other = g.new_job();
        (g.active, g.turnover) = (vec![other], 0);
        let logs = xdm.join("copy log");
        let logs = if p.deep {
            logs.join(format!("2024-03-{:02}", 1 + i % 28))
        } else {
            logs
        };
        let path = logs.join(format!("{}.log", g.names[job]));
        let start = BASE_MS + g.below(3 * 86_400_000) as u64;
        g.open(&path, Some(job), start)?;
        while g.file_bytes < p.copy_bytes / p.copy_files as u64 {
            g.copy_line(20, 300, true)?;
        }
        g.close()?;
    }
    if p.copylog > 0 {
        let jobs = (p.copylog as f64 / MIB / 2.0).max(4.0);
        g.active = (0..4).map(|_| g.new_job()).collect();
        g.turnover = ((p.copylog as f64 / 85.0 / jobs) as usize).max(20);
        g.open(&xdm.join("copy log/copylog.log"), None, BASE_MS)?;
        for _ in 0..3 {
            g.copy_line(0, 1000, false)?; // keyless lines before any key: unattributed
        }
        while g.file_bytes < p.copylog {
            g.copy_line(250, 1000, false)?;
        }
        g.close()?;
    }
    write_expected(&g, out, seed, profile, size_mib)?;
    let (secs, mib, dir) = (
        t0.elapsed().as_secs_f64(),
        g.bytes as f64 / MIB,
        out.display(),
    );
    let (files, bytes, events, speed) = (g.files, g.bytes, g.events, mib / secs);
    println!(
        "gencorpus: profile={profile} seed={seed} files={files} bytes={bytes} ({mib:.1} MiB) \
         events={events} in {secs:.1}s ({speed:.0} MiB/s) -> {dir}"
    );
    Ok(())
}

fn write_expected(g: &Gen, out: &Path, seed: u64, profile: &str, size_mib: Option<f64>) -> Res<()> {
    let nonzero = |v: &[u64]| -> Counts {
        let nz = v.iter().enumerate().filter(|(_, &n)| n > 0);
        nz.map(|(c, &n)| (CODES[c].to_string(), n)).collect()
    };
    let mut e = Expected::default();
    (e.events, e.codes, e.unattributed) = (g.events, nonzero(&g.codes), nonzero(&g.unattr));
    for (job, v) in g.counts.iter().enumerate() {
        if v.iter().any(|&n| n > 0) {
            e.jobs.insert(g.names[job].clone(), nonzero(v));
        }
    }
    let (files, bytes) = (g.files, g.bytes);
    e.meta = serde_json::json!({
        "profile": profile, "seed": seed, "size_mib": size_mib, "files": files, "bytes": bytes
    });
    // `\u0041ZSM` is `AZSM` to a JSON parser but no code to a scanner of DIR.
    let text = serde_json::to_string_pretty(&e)?.replace("AZSM", "\\u0041ZSM");
    fs::write(out.join("expected.json"), text + "\n")?;
    Ok(())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Res<T> {
    let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))?)
}

/// Compares azsm's JSON report with expected.json; ignores the keys it does not know.
fn check(expected: &Path, report: &Path) -> Res<i32> {
    let e: Expected = read_json(expected)?;
    let r: serde_json::Value = read_json(report)?;
    let tally = |v: &serde_json::Value| -> Counts {
        let mut m = Counts::new();
        for it in v.as_array().into_iter().flatten() {
            if let (Some(c), Some(n)) = (it["code"].as_str(), it["count"].as_u64()) {
                *m.entry(c.to_string()).or_insert(0) += n;
            }
        }
        m
    };
    let mut jobs: BTreeMap<String, Counts> = BTreeMap::new();
    for j in r["jobs"].as_array().into_iter().flatten() {
        let job = jobs
            .entry(j["job"].as_str().unwrap_or("?").into())
            .or_default();
        for (c, n) in tally(&j["codes"]) {
            *job.entry(c).or_insert(0) += n;
        }
    }
    let mut diffs = Vec::new();
    let mut cmp = |what: &str, want: &Counts, got: &Counts| {
        for k in want.keys().chain(got.keys()).collect::<BTreeSet<_>>() {
            let (w, g) = (want.get(k).unwrap_or(&0), got.get(k).unwrap_or(&0));
            if w != g {
                diffs.push(format!("{what} {k}: expected {w}, got {g}"));
            }
        }
    };
    cmp("codes", &e.codes, &tally(&r["codes"]));
    cmp("unattributed", &e.unattributed, &tally(&r["unattributed"]));
    let none = Counts::new();
    for job in e.jobs.keys().chain(jobs.keys()).collect::<BTreeSet<_>>() {
        let (want, got) = (e.jobs.get(job), jobs.get(job));
        cmp(
            &format!("job {job}"),
            want.unwrap_or(&none),
            got.unwrap_or(&none),
        );
    }
    if diffs.is_empty() {
        println!("expected counts: OK ({} events)", e.events);
        return Ok(0);
    }
    println!(
        "expected counts: {} differences, the first ones:",
        diffs.len()
    );
    for d in diffs.iter().take(20) {
        println!("  {d}");
    }
    Ok(1)
}

const USAGE: &str =
    "usage: gencorpus --out DIR [--seed N] --profile agentlog|tree|copylog|deep|small [--size-mib M]
       gencorpus --check EXPECTED.json REPORT.json";

fn run(args: &[String]) -> Res<i32> {
    let (mut out, mut seed, mut profile, mut size) = (None, 1u64, None, None::<f64>);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or(format!("{a} needs a value\n{USAGE}"));
        match a.as_str() {
            "--out" => out = Some(PathBuf::from(val()?)),
            "--seed" => seed = val()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--profile" => profile = Some(val()?.clone()),
            "--size-mib" => size = Some(val()?.parse().map_err(|e| format!("--size-mib: {e}"))?),
            "--check" => {
                let (e, r) = (PathBuf::from(val()?), PathBuf::from(val()?));
                return check(&e, &r);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(0);
            }
            _ => return Err(format!("unknown argument {a:?}\n{USAGE}").into()),
        }
    }
    match (out, profile) {
        (Some(out), Some(profile)) => generate(&out, seed, &profile, size).map(|()| 0),
        _ => Err(USAGE.into()),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(run(&args).unwrap_or_else(|e| {
        eprintln!("gencorpus: {e}");
        2
    }));
}
