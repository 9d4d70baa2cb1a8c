//! Affected items: the paths item-scope codes name, their top folders and
//! examples, on the sample bundle (worked out by hand from its lines).

use serde_json::Value;

use crate::harness::*;

const BUNDLE: &str = "fixtures/support-bundle";

/// The example item paths of `items`, without where they were seen.
fn paths(items: &Value) -> Value {
    Value::Array(
        items["examples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["item"].clone())
            .collect(),
    )
}

fn items_of(r: &Value, c: &str) -> Value {
    code_row(r, c).get("items").cloned().unwrap_or(Value::Null)
}

#[test]
fn the_bundle_lines_name_their_items() {
    let r = azsm(&["scan", "--format", "json", BUNDLE]).json();
    // Two copy-log lines (bare paths) and `copy failed for /export/data/a.txt`,
    // in (input, line) order: the copy log sorts before var/log.
    let copy = format!("{BUNDLE}/root/xdmdata/copy log/5d7a2c4e-5555-4e6f-8a9b-0c1d2e3f4a5b.log");
    assert_eq!(
        items_of(&r, "AZSM2062"),
        serde_json::json!({
            "total": 3,
            "top_dirs": [{"dir": "/export/data", "count": 3}],
            "examples": [
                {"item": "/export/data/b.txt", "path": copy, "line": 1},
                {"item": "/export/data/c.txt", "path": copy, "line": 2},
                {"item": "/export/data/a.txt", "path": format!("{BUNDLE}/var/log/xdatamoved.log"), "line": 3}
            ],
            "dirs_sampled": false
        })
    );
    // `path=` wins over bare words; invalid UTF-8 is shown as U+FFFD.
    assert_eq!(
        paths(&items_of(&r, "AZSM2063")),
        serde_json::json!(["/share/caf\u{FFFD}.txt"])
    );
    // Two codes on one line share its item.
    for c in ["AZSM2024", "AZSM2026"] {
        assert_eq!(
            paths(&items_of(&r, c)),
            serde_json::json!(["/export/big.iso"]),
            "{c}"
        );
    }
    assert_eq!(
        paths(&items_of(&r, "AZSM2080")),
        serde_json::json!(["/export/data/z.bin"])
    );
    assert_eq!(
        items_of(&r, "AZSM2021")["top_dirs"],
        serde_json::json!([{"dir": "/export", "count": 1}])
    );
    // A line without a path has no item; job-scope codes never keep one.
    assert_eq!(items_of(&r, "AZSM2001"), Value::Null);
    assert_eq!(items_of(&r, "AZSM1024"), Value::Null);
}

#[test]
fn items_k_bounds_what_is_shown() {
    let mut log = String::new();
    for (i, dir) in ["a", "b", "a", "c", "a", "b", "d"].iter().enumerate() {
        log.push_str(&format!(
            "jobRunName=J AZSM2062 failed /share/{dir}/f{i}.txt\n"
        ));
    }
    let tree = Tree::new().file("x.log", log);
    let r = azsm(&[
        "scan",
        "--format",
        "json",
        "--items",
        "2",
        &tree.arg("x.log"),
    ])
    .json();
    let items = items_of(&r, "AZSM2062");
    assert_eq!(items["total"], 7);
    assert_eq!(
        items["top_dirs"],
        serde_json::json!([{"dir": "/share/a", "count": 3}, {"dir": "/share/b", "count": 2}])
    );
    assert_eq!(
        paths(&items),
        serde_json::json!(["/share/a/f0.txt", "/share/b/f1.txt"])
    );
    assert_eq!(items["examples"][1]["line"], 2);
    assert_eq!(items["dirs_sampled"], false);
    let text = azsm(&["scan", "--items", "2", &tree.arg("x.log")]).stdout;
    assert!(
        text.contains("    items  AZSM2062: 7 items; folders /share/a ×3, /share/b ×2\n"),
        "{text}"
    );
    assert!(
        text.contains("           e.g. /share/a/f0.txt, /share/b/f1.txt\n"),
        "{text}"
    );
    let none = azsm(&["scan", "--items", "0", &tree.arg("x.log")]).stdout;
    assert!(!none.contains("items  AZSM2062"), "{none}");
}

#[test]
fn many_folders_are_sampled_deterministically() {
    let mut log = String::new();
    for i in 0..6000 {
        log.push_str(&format!(
            "jobRunName=J{} AZSM2062 failed /share/d{}/f.txt\n",
            i % 3,
            i % 5000
        ));
    }
    let tree = Tree::new().file("a.log", &log).file("b/c.log", &log);
    let one = azsm(&["scan", "--format", "json", "-j", "1", &tree.arg("")]);
    let many = azsm(&["scan", "--format", "json", "-j", "4", &tree.arg("")]);
    assert_eq!(one.stdout, many.stdout);
    let items = items_of(&one.json(), "AZSM2062");
    assert_eq!(items["total"], 12_000);
    assert_eq!(
        items["dirs_sampled"], true,
        "5000 folders exceed the 4096 counted"
    );
    // The folders hit twice per file (d0..d999) have 4 events; among the
    // sampled ones, the top ones are those.
    assert_eq!(items["top_dirs"][0]["count"], 4);
}
