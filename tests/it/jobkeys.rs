//! Job keys whose values are words are not job keys (logrus's empty
//! values, JSON nulls, English after `Job run:`), and GUID job ids count in
//! lower case whatever their spelling, on the line, carried and in paths.

use crate::harness::*;

const G: &str = "38fb0f65-b642-4cb7-a8a0-f406e3e6f85a";
const G_UPPER: &str = "38FB0F65-B642-4CB7-A8A0-F406E3E6F85A";

/// `report.attribution` as (line, path, carried, none).
fn rules(r: &serde_json::Value) -> (u64, u64, u64, u64) {
    let a = &r["attribution"];
    let n = |k: &str| a[k].as_u64().unwrap_or(0);
    (n("line"), n("path"), n("carried"), n("none"))
}

#[test]
fn word_values_are_not_keys_and_are_not_carried() {
    let log = format!(
        "2024-03-15T08:00:00Z level=info msg=\"job started\" jobRunName={G}\n\
         2024-03-15T08:00:01Z level=error msg=\"source unreachable\" jobRunName= statusCode=AZSM1002\n\
         2024-03-15T08:00:02Z {{\"level\":\"error\",\"jobRunId\":null,\"code\":\"AZSM1024\"}}\n\
         2024-03-15T08:00:03Z Job run: failed with AZSM1045\n\
         2024-03-15T08:00:04Z jobRunId=None jobRunName=undefined AZSM1060\n\
         2024-03-15T08:00:05Z Job run: failed.\n\
         2024-03-15T08:00:06Z AZSM2062 Failed F 12 /export/a.txt\n"
    );
    let tree = Tree::new().file("var/log/xdatamoved.log", &log);
    let r = azsm(&[
        "scan",
        "--format",
        "json",
        &tree.arg("var/log/xdatamoved.log"),
    ])
    .json();
    // Every code line falls through to rule 3: the GUID, never a word.
    let jobs = job_counts(&r);
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0].0, G);
    assert_eq!(jobs[0].1.iter().map(|c| c.1).sum::<u64>(), 5);
    assert_eq!(rules(&r), (0, 0, 5, 0));
    for word in ["statusCode", "null", "failed", "None", "undefined"] {
        assert!(
            !r["jobs"].to_string().contains(&format!("\"{word}\"")),
            "{word}"
        );
    }

    // Without a real key, the same lines are unattributed.
    let rest: String = log.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let tree = Tree::new().file("var/log/xdatamoved.log", &rest);
    let r = azsm(&[
        "scan",
        "--format",
        "json",
        &tree.arg("var/log/xdatamoved.log"),
    ])
    .json();
    assert_eq!(job_counts(&r), vec![]);
    assert_eq!(rules(&r), (0, 0, 0, 5));
}

#[test]
fn resource_names_and_guids_are_keys() {
    let log = "AZSM1024 Job run: job-run-2024-03-15.\nAZSM1045 jobRunName=nightly-copy\n";
    let tree = Tree::new().file("x.log", log);
    let r = azsm(&["scan", "--format", "json", &tree.arg("x.log")]).json();
    let mut jobs: Vec<String> = job_counts(&r).into_iter().map(|j| j.0).collect();
    jobs.sort();
    assert_eq!(jobs, ["job-run-2024-03-15", "nightly-copy"]);
    assert_eq!(rules(&r), (2, 0, 0, 0));
}

#[test]
fn mixed_case_guids_are_one_lower_case_job_run() {
    // On the line (three spellings) and carried.
    let mut log = format!("2024-03-15T08:00:00Z jobRunName={G_UPPER} AZSM2062 Failed F 1 /e/a\n");
    log.push_str(&format!(
        "2024-03-15T08:00:01Z \"jobRunId\":\"{}\" AZSM2062 Failed F 1 /e/b\n",
        "38Fb0f65-b642-4cb7-a8a0-f406e3e6f85A"
    ));
    log.push_str(&format!(
        "2024-03-15T08:00:02Z id=/subscriptions/s/jobDefinitions/d/jobRuns/{} AZSM2062\n",
        "38fb0f65-B642-4cb7-A8A0-f406e3e6f85a"
    ));
    log.push_str(&format!("jobRunName={G_UPPER}\n"));
    log.push_str("2024-03-15T08:00:03Z AZSM2062 carried\n");
    let tree = Tree::new().file("x.log", &log);
    let r = azsm(&["scan", "--format", "json", &tree.arg("x.log")]).json();
    assert_eq!(
        job_counts(&r),
        vec![(G.to_string(), cc(&[("AZSM2062", 4)]))]
    );
    assert_eq!(rules(&r), (3, 0, 1, 0));
    // No line spells it in lower case: the text report's job run does.
    assert!(!log.contains(G));
    let text = azsm(&["scan", &tree.arg("x.log")]).stdout;
    assert!(text.contains(G), "{text}");
}

#[test]
fn an_upper_case_guid_directory_is_the_lower_case_job_run() {
    let tree = Tree::new()
        .file(&format!("archive/{G_UPPER}/job.log"), "AZSM1024 denied\n")
        .file(&format!("archive/{G}.log"), "AZSM1024 denied\n");
    let r = azsm(&["scan", "--format", "json", &tree.arg("archive")]).json();
    assert_eq!(
        job_counts(&r),
        vec![(G.to_string(), cc(&[("AZSM1024", 2)]))]
    );
    assert_eq!(rules(&r), (0, 2, 0, 0));
    let text = azsm(&["scan", &tree.arg("archive")]).stdout;
    assert!(text.contains(G), "{text}");
}
