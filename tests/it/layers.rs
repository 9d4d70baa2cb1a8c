//! The layer rule of `src/lib.rs`, checked on the source: a module imports
//! only modules of its own layer or of a layer before it, and modules do
//! not import each other in a cycle.
//!
//! The source is read as text, line by line, as `/work/shared/hooks/house.py`
//! reads it: string literals and `//` comments are blanked, an item after a
//! `#[cfg(test)]` line is left out up to its closing brace or `;` (and a
//! `#[cfg(test)] mod x;` leaves out the file of `x`), and `src/testing.rs`
//! (test support, which may import anything) is not read. What counts as an
//! import: every path of a `use crate::`, `use super::` or `use self::`
//! statement (nested `{a, b::{c}}` groups expanded) and every inline
//! `crate::x::y` or `super::x` path, each resolved to the deepest module
//! that exists. Imports of a module's own descendants are not edges, and
//! cycles leave out edges between a module and its parent.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

/// The layers, first to last. A module's layer is its top-level module;
/// the crate root (`lib.rs`, `main.rs`) belongs to `app`.
const LAYERS: &[&str] = &[
    "util", "model", "scan", "tally", "input", "pipeline", "diagnose", "report", "cli", "app",
];

/// Test support: not read, and after every layer, so that no module may
/// import it.
const TEST_SUPPORT: &str = "testing";

/// Upward edges (importer, imported) allowed for the length of a change
/// that removes them; empty when the tree keeps the rule. The test fails
/// while an entry names an edge that no longer exists, so the list cannot
/// outlive the edges.
const PENDING: &[(&str, &str)] = &[];

#[test]
fn modules_import_only_their_own_or_earlier_layers_and_never_in_a_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Vec::new();
    for entry in walkdir::WalkDir::new(root.join("src")).sort_by_file_name() {
        let entry = entry.expect("src/ is readable");
        let path = entry.path();
        if entry.file_type().is_file() && path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).expect("under the crate");
            sources.push(Source {
                file: rel.to_string_lossy().replace('\\', "/"),
                text: std::fs::read_to_string(path).expect("source is UTF-8"),
            });
        }
    }
    assert!(
        sources.len() > 20,
        "found only {} files in src/",
        sources.len()
    );
    let problems = problems(&Graph::of(&sources), PENDING);
    assert!(
        problems.is_empty(),
        "the layer rule of src/lib.rs is broken (layers: {}):\n{}",
        LAYERS.join(", "),
        problems.join("\n")
    );
}

/// One source file: its path from the crate root (`src/...`) and its text.
struct Source {
    file: String,
    text: String,
}

/// Where a path is written.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Place {
    file: String,
    line: usize,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// The modules and which imports which, with every place it does.
struct Graph {
    modules: BTreeSet<String>,
    edges: BTreeMap<(String, String), Vec<Place>>,
}

impl Graph {
    fn of(sources: &[Source]) -> Graph {
        let modules: BTreeSet<String> = sources.iter().map(|s| module_of(&s.file)).collect();
        let lines: Vec<Lines> = sources.iter().map(|s| code_lines(&s.text)).collect();
        // Modules declared by `#[cfg(test)] mod x;`, whose files are test code.
        let test_modules: Vec<String> = sources
            .iter()
            .zip(&lines)
            .flat_map(|(s, l)| {
                let me = module_of(&s.file);
                l.test_modules.iter().map(move |name| match me.as_str() {
                    "crate" => name.clone(),
                    _ => format!("{me}::{name}"),
                })
            })
            .collect();
        let is_test = |m: &str| {
            m == TEST_SUPPORT
                || test_modules.iter().any(|t| {
                    m == t
                        || m.strip_prefix(t.as_str())
                            .is_some_and(|r| r.starts_with("::"))
                })
        };
        let mut edges: BTreeMap<(String, String), Vec<Place>> = BTreeMap::new();
        for (source, lines) in sources.iter().zip(&lines) {
            let me = module_of(&source.file);
            if is_test(&me) {
                continue;
            }
            for (line, target) in paths(&lines.lines.join("\n"), &me, &modules) {
                if target != me && !target.starts_with(&format!("{me}::")) {
                    let place = Place {
                        file: source.file.clone(),
                        line,
                    };
                    edges.entry((me.clone(), target)).or_default().push(place);
                }
            }
        }
        Graph { modules, edges }
    }

    /// The edges as (importer, imported, the places it is written).
    fn listed(&self) -> impl Iterator<Item = (&str, &str, &[Place])> {
        self.edges
            .iter()
            .map(|((a, b), at)| (a.as_str(), b.as_str(), at.as_slice()))
    }
}

/// Everything wrong with `graph`, one line each; `pending` lists upward
/// edges allowed for now.
fn problems(graph: &Graph, pending: &[(&str, &str)]) -> Vec<String> {
    let mut out = Vec::new();
    for m in &graph.modules {
        if layer(m).is_none() {
            out.push(format!(
                "module {m} is in no layer: add its folder to LAYERS"
            ));
        }
    }
    let mut upward = BTreeSet::new();
    for (a, b, at) in graph.listed() {
        let (Some(la), Some(lb)) = (layer(a), layer(b)) else {
            continue;
        };
        if lb > la {
            upward.insert((a, b));
            if !pending.contains(&(a, b)) {
                for place in at {
                    out.push(format!("upward import: {a} -> {b} ({place})"));
                }
            }
        }
    }
    for &(a, b) in pending {
        if !upward.contains(&(a, b)) {
            out.push(format!(
                "PENDING allows {a} -> {b}, which is no longer an upward import: remove it from PENDING"
            ));
        }
    }
    for cycle in cycles(graph) {
        out.push(format!("import cycle among {}:", cycle.join(", ")));
        for (a, b, at) in graph.listed() {
            if cycle.iter().any(|m| m == a) && cycle.iter().any(|m| m == b) && !related(a, b) {
                for place in at {
                    out.push(format!("  {a} -> {b} ({place})"));
                }
            }
        }
    }
    out
}

/// A module's place in [`LAYERS`] (test support after them all).
fn layer(module: &str) -> Option<usize> {
    let top = match module {
        "crate" => "app",
        m => m.split("::").next().unwrap_or(m),
    };
    if top == TEST_SUPPORT {
        return Some(LAYERS.len());
    }
    LAYERS.iter().position(|l| *l == top)
}

/// Whether one module is the other's parent.
fn related(a: &str, b: &str) -> bool {
    let parent = |m: &str| m.rsplit_once("::").map(|(p, _)| p.to_string());
    parent(a).as_deref() == Some(b) || parent(b).as_deref() == Some(a)
}

/// The strongly connected components of more than one module, edges
/// between a module and its parent left out (Tarjan's algorithm).
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct Tarjan<'g> {
        next: BTreeMap<&'g str, Vec<&'g str>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        out: Vec<Vec<String>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, v: &'g str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.next.get(v).cloned().unwrap_or_default() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                loop {
                    let w = self.stack.pop().expect("v is on the stack");
                    self.on_stack.remove(w);
                    component.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.out.push(component);
                }
            }
        }
    }
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b, _) in graph.listed() {
        if !related(a, b) {
            next.entry(a).or_default().push(b);
        }
    }
    let mut t = Tarjan {
        next,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for m in &graph.modules {
        if !t.index.contains_key(m.as_str()) {
            t.visit(m);
        }
    }
    t.out
}

/// `src/input/walk.rs` is `input::walk`, `src/util/mod.rs` is `util`, and
/// `src/lib.rs` and `src/main.rs` are `crate`.
fn module_of(file: &str) -> String {
    let rel = file.strip_prefix("src/").unwrap_or(file);
    let rel = rel.strip_suffix(".rs").unwrap_or(rel);
    let rel = rel.strip_suffix("/mod").unwrap_or(rel);
    match rel {
        "lib" | "main" => "crate".to_string(),
        _ => rel.replace('/', "::"),
    }
}

/// A file's lines as the analysis reads them.
struct Lines {
    /// Every line, strings and comments blanked, `#[cfg(test)]` items
    /// emptied (so line numbers stay those of the file).
    lines: Vec<String>,
    /// The names `#[cfg(test)] mod x;` declares.
    test_modules: Vec<String>,
}

fn code_lines(text: &str) -> Lines {
    let mut out = Lines {
        lines: Vec::new(),
        test_modules: Vec::new(),
    };
    let (mut skip, mut depth, mut started) = (false, 0i64, false);
    let mut item = String::new();
    for line in text.split('\n') {
        let blanked = blank_strings(line);
        let s = blanked.split("//").next().unwrap_or("");
        if !skip && line.trim_start().starts_with("#[cfg(test)]") {
            (skip, depth, started) = (true, 0, false);
            item.clear();
            out.lines.push(String::new());
            continue;
        }
        if skip {
            depth += s.matches('{').count() as i64 - s.matches('}').count() as i64;
            started |= s.contains('{');
            item.push(' ');
            item.push_str(s);
            if started && depth <= 0 {
                skip = false;
            } else if !started && s.trim_end().ends_with(';') {
                skip = false;
                let words: Vec<&str> = item
                    .trim_end()
                    .trim_end_matches(';')
                    .split_whitespace()
                    .collect();
                if let [.., "mod", name] = words.as_slice() {
                    out.test_modules.push(name.to_string());
                }
            }
            out.lines.push(String::new());
            continue;
        }
        out.lines.push(s.to_string());
    }
    out
}

/// `line` with each string literal `"..."` (on one line) made `""`.
fn blank_strings(line: &str) -> String {
    let b = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let (mut i, mut copied) = (0, 0);
    while i < b.len() {
        if b[i] == b'"' {
            if let Some(end) = string_end(b, i + 1) {
                out.push_str(&line[copied..i]);
                out.push_str("\"\"");
                i = end + 1;
                copied = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&line[copied..]);
    out
}

/// The closing quote of a string whose text starts at `j`, if on this line.
fn string_end(b: &[u8], mut j: usize) -> Option<usize> {
    while j < b.len() {
        match b[j] {
            b'"' => return Some(j),
            b'\\' if j + 1 < b.len() => j += 2,
            b'\\' => return None,
            _ => j += 1,
        }
    }
    None
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The modules `text` (a file of module `me`, as [`code_lines`] leaves it)
/// refers to, each with its line.
fn paths(text: &str, me: &str, modules: &BTreeSet<String>) -> Vec<(usize, String)> {
    let b = text.as_bytes();
    let line_at = |at: usize| 1 + b[..at].iter().filter(|&&c| c == b'\n').count();
    let mut found = Vec::new();
    // `use` statements, then blanked (newlines kept) for the inline paths.
    let mut body = b.to_vec();
    let mut i = 0;
    while let Some(k) = text[i..].find("use") {
        let at = i + k;
        i = at + 3;
        let starts_word = at == 0 || !is_word(b[at - 1]);
        if !starts_word || !b.get(at + 3).is_some_and(|c| c.is_ascii_whitespace()) {
            continue;
        }
        let tree = text[at + 3..].trim_start();
        let Some(semi) = tree.find(';') else { continue };
        let end = text.len() - tree.len() + semi;
        for c in &mut body[at..=end] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
        for base in ["crate", "super", "self"] {
            if let Some(rest) = tree[..semi]
                .strip_prefix(base)
                .and_then(|r| r.strip_prefix("::"))
            {
                for p in expand(rest) {
                    found.extend(resolve(base, &p, me, modules).map(|t| (line_at(at), t)));
                }
            }
        }
        i = end + 1;
    }
    // Inline `crate::a::b` and `super::a` paths.
    for at in 0..body.len() {
        let base = match &body[at..] {
            [b'c', b'r', b'a', b't', b'e', b':', b':', ..] => "crate",
            [b's', b'u', b'p', b'e', b'r', b':', b':', ..] => "super",
            _ => continue,
        };
        if at > 0 && (is_word(body[at - 1]) || body[at - 1] == b':') {
            continue;
        }
        let start = at + base.len() + 2;
        let mut k = start;
        while k < body.len() && is_word(body[k]) {
            k += 1;
            if body[k..].starts_with(b"::") && body.get(k + 2).is_some_and(|&c| is_word(c)) {
                k += 2;
            }
        }
        if k > start {
            let p = String::from_utf8_lossy(&body[start..k]);
            found.extend(resolve(base, &p, me, modules).map(|t| (line_at(at), t)));
        }
    }
    found
}

/// The paths a `use` tree names: `a::{b, c::{d, e}}` is `a::b`, `a::c::d`
/// and `a::c::e`; `x as y` is `x`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let group = tree.find('{').filter(|&brace| {
        tree.ends_with('}') && tree[..brace].bytes().all(|c| is_word(c) || c == b':')
    });
    let Some(brace) = group else {
        return vec![strip_as(tree).to_string()];
    };
    let prefix = &tree[..brace];
    let prefix = prefix.strip_suffix("::").unwrap_or(prefix);
    let mut parts = vec![String::new()];
    let mut depth = 0;
    for c in tree[brace + 1..tree.len() - 1].chars() {
        depth += (c == '{') as i32 - (c == '}') as i32;
        match c {
            ',' if depth == 0 => parts.push(String::new()),
            _ => parts.last_mut().expect("one part at least").push(c),
        }
    }
    let mut out = Vec::new();
    for part in parts.iter().filter(|p| !p.trim().is_empty()) {
        for s in expand(part) {
            out.push(if prefix.is_empty() {
                s
            } else {
                format!("{prefix}::{s}")
            });
        }
    }
    out
}

/// `x as y` without ` as y`.
fn strip_as(tree: &str) -> &str {
    let Some((head, name)) = tree.rsplit_once(char::is_whitespace) else {
        return tree;
    };
    if name.is_empty() || !name.bytes().all(is_word) {
        return tree;
    }
    match head.trim_end().strip_suffix("as") {
        Some(h) if h.ends_with(char::is_whitespace) => h.trim_end(),
        _ => tree,
    }
}

/// The deepest existing module `base::path` (written in module `me`) names.
fn resolve(base: &str, path: &str, me: &str, modules: &BTreeSet<String>) -> Option<String> {
    let mut segs: Vec<&str> = match (base, me) {
        ("crate", _) | (_, "crate") => Vec::new(),
        _ => me.split("::").collect(),
    };
    if base == "super" {
        segs.pop();
    }
    let mut leading = true;
    for seg in path.split("::").map(str::trim).filter(|s| !s.is_empty()) {
        leading &= seg == "super";
        if leading {
            segs.pop();
        } else {
            segs.push(seg);
        }
    }
    (1..=segs.len())
        .rev()
        .map(|n| segs[..n].join("::"))
        .find(|m| modules.contains(m))
}

fn sources(files: &[(&str, &str)]) -> Vec<Source> {
    let source = |&(file, text): &(&str, &str)| Source {
        file: file.to_string(),
        text: text.to_string(),
    };
    files.iter().map(source).collect()
}

#[test]
fn the_checker_reports_an_upward_import_and_a_cycle() {
    let files = [
        (
            "src/lib.rs",
            "pub mod util;\npub mod scan;\npub mod report;\n",
        ),
        ("src/util/mod.rs", "pub mod a;\npub mod b;\n"),
        (
            "src/util/a.rs",
            "//! Names [`crate::report`] in a comment.\n\
             use super::b::{One, deep::{Two as Three}};\n\
             \n\
             pub fn f() -> u8 {\n    crate::scan::go(\"crate::report::x\") // crate::report\n}\n",
        ),
        (
            "src/util/b.rs",
            "pub mod deep;\nuse crate::util::a as other;\n\
             #[cfg(test)]\nmod tests {\n    use crate::report::Thing;\n}\n",
        ),
        (
            "src/util/b/deep.rs",
            "pub struct Two;\nuse super::super::b::One;\n",
        ),
        (
            "src/scan/mod.rs",
            "pub fn go() {}\n#[cfg(test)]\nmod tests;\n",
        ),
        ("src/scan/tests.rs", "use crate::report::Thing;\n"),
        (
            "src/report/mod.rs",
            "pub use crate::{scan::go, util::{a, b::deep}};\n",
        ),
    ];
    let graph = Graph::of(&sources(&files));
    let edges: Vec<String> = graph
        .listed()
        .map(|(a, b, at)| format!("{a} -> {b} ({})", at[0]))
        .collect();
    assert_eq!(
        edges,
        [
            "report -> scan (src/report/mod.rs:1)",
            "report -> util::a (src/report/mod.rs:1)",
            "report -> util::b::deep (src/report/mod.rs:1)",
            "util::a -> scan (src/util/a.rs:5)",
            "util::a -> util::b (src/util/a.rs:2)",
            "util::a -> util::b::deep (src/util/a.rs:2)",
            "util::b -> util::a (src/util/b.rs:2)",
            "util::b::deep -> util::b (src/util/b/deep.rs:2)",
        ]
    );
    assert_eq!(
        problems(&graph, &[]),
        [
            "upward import: util::a -> scan (src/util/a.rs:5)",
            "import cycle among util::a, util::b:",
            "  util::a -> util::b (src/util/a.rs:2)",
            "  util::b -> util::a (src/util/b.rs:2)",
        ]
    );
    // An allowed edge is not reported; an allowed edge that is gone is.
    assert_eq!(
        problems(&graph, &[("util::a", "scan"), ("util", "report")]),
        [
            "PENDING allows util -> report, which is no longer an upward import: remove it from PENDING",
            "import cycle among util::a, util::b:",
            "  util::a -> util::b (src/util/a.rs:2)",
            "  util::b -> util::a (src/util/b.rs:2)",
        ]
    );
    let unknown = Graph::of(&sources(&[("src/extra.rs", "")]));
    assert_eq!(
        problems(&unknown, &[]),
        ["module extra is in no layer: add its folder to LAYERS"]
    );
}
