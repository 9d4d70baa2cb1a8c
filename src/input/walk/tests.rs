//! The parallel walk against a sequential walkdir walk (the reference), on
//! generated trees, for 1 and several threads.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;

use super::*;

/// The reference walk: walkdir, sorted by file name, where an I/O error
/// does not end the root's walk and a link named on the command line
/// stands for its target.
fn reference(paths: &[PathBuf], follow: bool) -> Vec<Found> {
    let mut each = Vec::new();
    for path in paths {
        let mut found = Found::default();
        if path.as_os_str() == "-" {
            found.inputs.push(Input {
                display: "<stdin>".into(),
                source: Source::Stdin,
            });
        } else {
            reference_walk(path, follow, &mut found);
        }
        each.push(found);
    }
    each
}

fn reference_walk(root: &Path, follow: bool, found: &mut Found) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(follow)
        .follow_root_links(true)
        .sort_by_file_name();
    for entry in walker {
        match entry {
            Ok(e) => {
                let mut ft = e.file_type();
                if e.depth() == 0 && ft.is_symlink() {
                    match std::fs::metadata(e.path()) {
                        Ok(md) => ft = md.file_type(),
                        Err(io) => {
                            let path = e.path().to_string_lossy();
                            found.errors.push(FileError::io(&path, &io));
                            continue;
                        }
                    }
                }
                let display = e.path().to_string_lossy().into_owned();
                if ft.is_file() {
                    found.inputs.push(Input {
                        display,
                        source: Source::File(e.into_path()),
                    });
                } else if !ft.is_dir() {
                    let message = skip_reason(&ft).to_string();
                    found.skipped.push(FileError {
                        path: display,
                        message,
                    });
                }
            }
            Err(err) => {
                let path = err.path().unwrap_or(root).to_string_lossy().into_owned();
                let message = match (err.loop_ancestor(), err.io_error()) {
                    (Some(a), _) => format!("symbolic link loop back to {}; skipped", a.display()),
                    (_, Some(io)) => FileError::io(&path, io).message,
                    _ => err.to_string(),
                };
                found.errors.push(FileError { path, message });
            }
        }
    }
}

/// Names that sort differently bytewise than by path component
/// (`a-b` < `a.b` < `a/…` < `a0`), with upper case, a space, UTF-8 and a
/// byte that is not UTF-8.
const NAMES: [&[u8]; 10] = [
    b"a",
    b"a-b",
    b"a.b",
    b"a0",
    b"ab",
    b"B",
    b"a b",
    b"\xc3\xa9",
    b"a\xff",
    b"job.log",
];

#[derive(Clone, Debug)]
enum Kind {
    File,
    Dir,
    Fifo,
    /// A link to the `n`th directory above it, at most the tree's root (a
    /// loop when followed).
    LinkUp(usize),
    /// A link to another generated path (maybe missing: a broken link).
    LinkTo(Vec<usize>),
    /// A directory this test cannot read (only when not run as root).
    Closed,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        6 => Just(Kind::File),
        3 => Just(Kind::Dir),
        1 => Just(Kind::Fifo),
        1 => (0usize..4).prop_map(Kind::LinkUp),
        1 => prop::collection::vec(0..NAMES.len(), 1..4).prop_map(Kind::LinkTo),
        1 => Just(Kind::Closed),
    ]
}

fn rel(components: &[usize]) -> PathBuf {
    components
        .iter()
        .map(|&i| OsStr::from_bytes(NAMES[i]))
        .collect()
}

/// Builds the tree; returns the directories made unreadable, outermost
/// first.
fn build(root: &Path, spec: &[(Vec<usize>, Kind)]) -> Vec<PathBuf> {
    let mut closed = Vec::new();
    for (components, kind) in spec {
        let path = root.join(rel(components));
        let Some(parent) = path.parent() else {
            continue;
        };
        if std::fs::create_dir_all(parent).is_err() || path.symlink_metadata().is_ok() {
            continue; // a file is in the way, or the path is taken
        }
        match kind {
            Kind::File => std::fs::write(&path, b"x AZSM1024\n").unwrap(),
            Kind::Dir => std::fs::create_dir(&path).unwrap(),
            Kind::Fifo => {
                let ok = Command::new("mkfifo").arg(&path).status().unwrap();
                assert!(ok.success());
            }
            Kind::LinkUp(n) => {
                // Never above the tree: a root that is such a link
                // would walk the whole file system.
                let up = path.ancestors().nth(n + 1).filter(|t| t.starts_with(root));
                let target = up.unwrap_or(root);
                std::os::unix::fs::symlink(target, &path).unwrap();
            }
            Kind::LinkTo(to) => std::os::unix::fs::symlink(root.join(rel(to)), &path).unwrap(),
            Kind::Closed => {
                std::fs::create_dir(&path).unwrap();
                std::fs::write(path.join("inner.log"), b"x\n").unwrap();
                closed.push(path);
            }
        }
    }
    // Innermost first: a closed directory's own would be out of reach.
    closed.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    use std::os::unix::fs::PermissionsExt;
    for dir in &closed {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    closed.reverse();
    closed
}

/// Each argument's walk equals walkdir's, and `find` joins them with
/// [`once_each`] (tested on its own below).
fn compare(roots: &[PathBuf], follow: bool) -> Result<(), TestCaseError> {
    let want_each = reference(roots, follow);
    let want = match want_each.as_slice() {
        [one] => one.clone(),
        _ => once_each(roots, want_each.clone()),
    };
    for threads in [1, 2, 5] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let each = pool.install(|| walk_each(roots, follow));
        prop_assert_eq!(&each, &want_each, "{} threads, follow {}", threads, follow);
        let got = pool.install(|| find(roots, follow));
        prop_assert_eq!(&got, &want, "{} threads, follow {}", threads, follow);
        // Each root walked alone while visiting: the same walk, and every
        // input it lists visited exactly once.
        for (root, want) in roots.iter().zip(&want_each) {
            if root.as_os_str() == "-" {
                continue;
            }
            let visited = std::sync::Mutex::new(Vec::new());
            let got = pool.install(|| {
                walk_visiting(root, follow, &|input| {
                    visited.lock().unwrap().push(input.clone())
                })
            });
            prop_assert_eq!(&got, want, "visiting {:?}, {} threads", root, threads);
            let mut visited = visited.into_inner().unwrap();
            visited.sort_by(|a, b| a.display.cmp(&b.display));
            let mut listed = want.inputs.clone();
            listed.sort_by(|a, b| a.display.cmp(&b.display));
            prop_assert_eq!(visited, listed, "visiting {:?}, {} threads", root, threads);
        }
    }
    Ok(())
}

/// The files of `found`, by their canonical paths (links resolved).
fn canonical_files(found: &Found) -> Vec<PathBuf> {
    found
        .inputs
        .iter()
        .filter_map(|i| match &i.source {
            Source::File(p) => Some(p.canonicalize().unwrap()),
            Source::Stdin => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_parallel_walk_finds_what_walkdir_finds(
        spec in prop::collection::vec((prop::collection::vec(0..NAMES.len(), 1..5), kind()), 0..40),
        sub in prop::collection::vec(0..NAMES.len(), 1..3),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("t");
        std::fs::create_dir(&root).unwrap();
        let closed = build(&root, &spec);
        let roots = [
            root.clone(),
            PathBuf::from("-"),
            root.join(rel(&sub)),
            dir.path().join("missing"),
            root.join(rel(&sub)).join("deeper"),
            root.clone(),
        ];
        let result = compare(&roots, false).and_then(|()| compare(&roots, true));
        use std::os::unix::fs::PermissionsExt;
        for dir in &closed {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        result?;
    }
}

/// The cases the generator may miss, built by hand: a loop through a link
/// to the root, to a directory above the root, a link named as the root,
/// a trailing slash, and `.`-relative roots.
#[test]
fn named_cases_agree() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("logs");
    for d in ["a/x", "a-b", "a0/y", "empty"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    for f in ["a/x/1.log", "a-b/2.log", "a.b", "a0/y/3.log", "z.log"] {
        std::fs::write(root.join(f), b"x\n").unwrap();
    }
    let link = |to: &Path, at: &str| std::os::unix::fs::symlink(to, root.join(at)).unwrap();
    link(&root, "a/back-to-root");
    link(dir.path(), "a0/y/above-root");
    link(&root.join("a/x"), "x-link");
    link(&root.join("z.log"), "z-link.log");
    link(&root.join("nowhere"), "broken");
    std::os::unix::fs::symlink(&root, dir.path().join("root-link")).unwrap();
    let ok = Command::new("mkfifo")
        .arg(root.join("a/pipe"))
        .status()
        .unwrap();
    assert!(ok.success());
    let roots = [
        root.clone(),
        PathBuf::from(format!("{}/", root.display())),
        dir.path().join("root-link"),
        root.join("a/back-to-root"),
        root.join("z-link.log"),
        root.join("a/pipe"),
        root.join("broken"),
    ];
    for follow in [false, true] {
        compare(&roots, follow).unwrap();
        let each = reference(&roots, follow);
        if follow {
            assert!(each
                .iter()
                .flat_map(|f| &f.errors)
                .any(|e| e.message.contains("loop back to")));
        }
        let all: usize = each.iter().map(|f| f.inputs.len()).sum();
        assert!(all >= 8, "{each:?}");
    }
    // Without --follow no link inside a walk is entered, so the files the
    // arguments reach again are exactly those with the same canonical
    // path: each is listed once, where it was first reached.
    let found = find(&roots, false);
    let mut files = canonical_files(&found);
    let mut want: Vec<PathBuf> = reference(&roots, false)
        .iter()
        .flat_map(canonical_files)
        .collect();
    assert!(want.len() > files.len(), "the roots overlap: {want:?}");
    want.sort();
    want.dedup();
    let first = files.clone();
    files.sort();
    files.dedup();
    assert_eq!(files, want);
    assert_eq!(first.len(), files.len(), "no file twice: {first:?}");
    assert_eq!(
        found.inputs[0].display,
        root.join("a/x/1.log").to_string_lossy()
    );
    let notes: Vec<&FileError> = found
        .skipped
        .iter()
        .filter(|n| n.message.contains("already named"))
        .collect();
    let noted: Vec<&str> = notes.iter().map(|n| n.path.as_str()).collect();
    let root_text = root.to_string_lossy().into_owned();
    assert_eq!(
        noted,
        [
            format!("{root_text}/"),
            dir.path().join("root-link").to_string_lossy().into_owned(),
            root.join("a/back-to-root").to_string_lossy().into_owned(),
            root.join("z-link.log").to_string_lossy().into_owned(),
        ],
        "{notes:?}"
    );
    // Relative roots (`..` up from the working directory to `/`).
    let up = std::env::current_dir().unwrap().components().count() - 1;
    let relative = PathBuf::from("../".repeat(up)).join(root.strip_prefix("/").unwrap());
    compare(&[relative.join("."), relative.join("a/../a0")], true).unwrap();
}

/// Root reads every directory, so as root the generated unreadable
/// directories are readable: the property test then runs again in a child
/// process as `nobody`, where they are not.
#[test]
fn the_walks_agree_on_unreadable_directories_as_another_user() {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::process::CommandExt;
    let root = std::fs::metadata("/proc/self").map(|m| m.uid() == 0);
    if !root.unwrap_or(false) {
        eprintln!("not root: the property test itself meets unreadable directories");
        return;
    }
    // The libtest name of the test: its module path without the crate.
    let name = concat!(
        module_path!(),
        "::the_parallel_walk_finds_what_walkdir_finds"
    );
    let name = name.trim_start_matches("azsm::");
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--test-threads", "1"])
        .env("TMPDIR", "/tmp")
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}\n{stderr}");
}
