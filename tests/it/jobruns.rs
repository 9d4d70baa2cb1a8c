//! Job-run JSON (fixtures/jobruns): `az storage-mover job-run list` output
//! and the REST shape; which runs failed, and why, in the per-job table.

use serde_json::Value;

use crate::harness::*;

const LIST: &str = "fixtures/jobruns/job-run-list.json";
const REST: &str = "fixtures/jobruns/job-run-show-rest.json";
const R1: &str = "4a1f0c2e-7777-4d10-9e21-5a6b7c8d9e01";
const R2: &str = "4a1f0c2e-7777-4d10-9e21-5a6b7c8d9e02";
const R3: &str = "4a1f0c2e-7777-4d10-9e21-5a6b7c8d9e03";
const R4: &str = "4a1f0c2e-7777-4d10-9e21-5a6b7c8d9e04";

fn job<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == id)
        .unwrap_or_else(|| panic!("no job {id}"))
}

#[test]
fn codes_come_from_error_and_warnings_and_runs_keep_their_facts() {
    let run = azsm(&["scan", "--format", "json", LIST, REST]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let r = run.json();
    assert_eq!(
        job_counts(&r),
        vec![
            (R1.to_string(), cc(&[("AZSM1024", 1)])), // error.code
            (R2.to_string(), cc(&[("AZSM2062", 1)])), // warnings[].code
            (R3.to_string(), vec![]),                 // running, no code yet
            (R4.to_string(), cc(&[("AZSM1042", 1)])), // REST: properties.error
        ]
    );
    let j1 = job(&r, R1);
    assert_eq!(j1["status"], "Failed");
    assert_eq!(j1["agent"], "agent-eu-01");
    assert_eq!(j1["execution_start"], "2024-03-15T08:00:00.123Z");
    assert_eq!(j1["execution_end"], "2024-03-15T08:05:12.765Z");
    assert_eq!(
        j1["first_seen"], "2024-03-15T08:05:12.765Z",
        "the event's time is the run's end"
    );
    let j2 = job(&r, R2);
    assert_eq!(
        (
            j2["items_failed"].as_u64(),
            j2["items_transferred"].as_u64()
        ),
        (Some(12), Some(4031))
    );
    assert_eq!(j2["status"], "Succeeded");
    let j3 = job(&r, R3);
    assert_eq!(j3["status"], "Running");
    assert_eq!(j3["execution_end"], Value::Null);
    assert_eq!(j3["events"], 0);
    let j4 = job(&r, R4);
    assert_eq!(j4["agent"], "agent-us-01");
    assert_eq!(r["attribution"]["column"], 3);
    let ex = &r["codes"][1]["examples"][0];
    assert_eq!(ex["path"], REST);
    assert_eq!(ex["line"], 1);
    assert_eq!(
        ex["text"],
        format!("jobRun {R4} status=Failed AZSM1042 Failed to send job progress: x509: certificate signed by unknown authority")
    );
}

#[test]
fn the_per_job_table_shows_status_agent_times_and_items() {
    let run = azsm(&["scan", LIST]);
    assert_eq!(run.status, 1);
    let table: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Job runs"))
        .take(5)
        .collect();
    assert_eq!(table[0], "Job runs (3)");
    assert_eq!(
        table[1],
        "  JOB RUN                               STATUS     AGENT        STARTED                   ENDED                     FAILED  TRANSFERRED   EVENTS  FINDINGS  FIRST SEEN                LAST SEEN                 CODES"
    );
    assert_eq!(
        table[2],
        format!("  {R1}  Failed     agent-eu-01  2024-03-15T08:00:00.123Z  2024-03-15T08:05:12.765Z       0            0        1         1  2024-03-15T08:05:12.765Z  2024-03-15T08:05:12.765Z  AZSM1024 ×1")
    );
    assert_eq!(
        table[4],
        format!("  {R3}  Running    agent-eu-02  2024-03-17T08:00:00Z      -                              0          100        0         0  -                         -")
    );
}

#[test]
fn the_id_names_the_run_when_name_is_missing_and_documents_merge() {
    let doc = serde_json::json!({"value": [{
        "id": format!("/subscriptions/s/resourceGroups/g/providers/Microsoft.StorageMover/storageMovers/m/projects/p/jobDefinitions/d/jobruns/{R1}"),
        "type": "microsoft.storagemover/storageMovers/projects/jobDefinitions/jobRuns",
        "properties": {"status": "Failed", "agentName": "agent-eu-01",
                        "error": {"code": "AZSM1024", "message": "m"}}
    }]});
    let tree = Tree::new().file("list.json", serde_json::to_vec(&doc).unwrap());
    let run = azsm(&["scan", "--format", "json", &tree.arg("list.json"), LIST]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let r = run.json();
    // The same run in two documents: its events add up, its facts merge.
    let j1 = job(&r, R1);
    assert_eq!(
        j1["codes"],
        serde_json::json!([{"code": "AZSM1024", "count": 2}])
    );
    assert_eq!(j1["status"], "Failed");
    assert_eq!(j1["items_failed"], 0);
}

/// Broken job-run JSON is read as text, with a note naming the file and
/// where it broke: its codes are not lost, and it is no error. (Until the
/// text fallback, it was an error, exit 2, and its codes were lost.)
#[test]
fn broken_job_run_json_is_read_as_text_with_a_note() {
    let tree = Tree::new().file(
        "run.json",
        format!("{{\"name\": \"{R1}\", \"status\": \"Failed\", \"executionStartTime\": \"x\",\n \"error\": {{\"code\": \"AZSM1024\", "),
    );
    let run = azsm(&["scan", &tree.arg("run.json")]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "run.json: read as text: the JSON did not parse at line 2, column 31: EOF while parsing a value"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("AZSM1024 ×1"), "{}", run.stdout);
    assert!(!run.stderr.contains("error"), "{}", run.stderr);
}

#[test]
fn merged_reports_keep_the_runs_facts() {
    let dir = Tree::new();
    let a = dir.arg("a.json");
    let b = dir.arg("b.json");
    assert_eq!(
        azsm(&["scan", LIST, "--json", &a, "--format", "text"]).status,
        1
    );
    assert_eq!(
        azsm(&["scan", REST, "--json", &b, "--format", "text"]).status,
        1
    );
    let whole = azsm(&["scan", LIST, REST, "--format", "json"]);
    let merged = azsm(&["merge", &a, &b, "--format", "json"]);
    assert_eq!(merged.status, 1, "{}", merged.stderr);
    assert_eq!(merged.stdout, whole.stdout, "byte for byte");
    assert_eq!(job(&merged.json(), R2)["items_transferred"], 4031);
}
