//! Items against models: the sample however merged, absorbing against
//! merging, the pool's limits.

use super::*;

/// Two byte strings are the same by [`same_bytes`] exactly when they
/// are equal: for every length up to 40, a change at every place, and
/// every shorter cut.
#[test]
fn same_bytes_is_equality() {
    for len in 0..=40u8 {
        let a: Vec<u8> = (0..len).map(|i| b'a' + i % 26).collect();
        assert!(same_bytes(&a, &a.clone()), "{len}");
        for at in 0..a.len() {
            let mut b = a.clone();
            b[at] = b'/';
            assert!(!same_bytes(&a, &b) && !same_bytes(&b, &a), "{len}, at {at}");
        }
        for cut in 0..a.len() {
            assert!(!same_bytes(&a, &a[..cut]) && !same_bytes(&a[..cut], &a));
        }
    }
}

#[test]
fn directories_that_read_the_same_count_as_one() {
    let mut acc = ItemAcc::default();
    acc.add(b"share/a\xff/x.txt", 1);
    acc.add(b"share/a\xfe/y.txt", 2);
    acc.add(b"share/a\xff/z.txt", 3);
    let items = acc.finish(&Arc::from("in.log"), 10);
    assert_eq!(items.total, 3);
    assert_eq!(items.top_dirs(5), [("share/a\u{FFFD}", 3)]);
    assert_eq!(
        items.example_paths(1),
        [("in.log", 11, "share/a\u{FFFD}/x.txt")]
    );
}

#[test]
fn parents() {
    assert_eq!(parent("/export/data/b.txt"), "/export/data");
    assert_eq!(parent("/b.txt"), "/");
    assert_eq!(parent("b.txt"), ".");
    assert_eq!(parent(r"\\srv\share\x"), r"\\srv\share");
    assert_eq!(parent("a/dir/"), "a");
}

#[test]
fn the_sample_is_the_same_however_merged() {
    let input: Arc<str> = Arc::from("x");
    let mut parts = Vec::new();
    for chunk in 0..6u64 {
        let mut acc = ItemAcc::default();
        for i in 0..2000u64 {
            let dir = (i * 7 + chunk * 13) % 3000;
            acc.add(format!("/d{dir}/f{i}").as_bytes(), i + 1);
        }
        parts.push(acc.finish(&input, chunk * 10_000));
    }
    let mut forward = Items::default();
    for p in parts.iter().cloned() {
        forward.merge(p);
    }
    let mut pairs = Items::default();
    for pair in parts.chunks(2).rev() {
        let mut a = pair[1].clone();
        a.merge(pair[0].clone());
        pairs.merge(a);
    }
    assert_eq!(forward, pairs);
    assert_eq!(forward.total, 12_000);
    assert!(!forward.sampled, "3000 directories fit the sample");
    assert_eq!(forward.dir_count(), 3000);
    assert_eq!(forward.examples.len(), MAX_EXAMPLES);
    assert_eq!(forward.examples[0].1, 1);

    for extra in [1, 10] {
        let mut big = ItemAcc::default();
        for i in 0..(DIR_SAMPLE as u64 + extra) {
            big.add(format!("/d{i}/f").as_bytes(), i + 1);
        }
        let big = big.finish(&input, 0);
        assert!(big.sampled);
        assert_eq!(big.dir_count(), DIR_SAMPLE, "{extra} more");
    }

    // One accumulator that shrinks on the way equals many that do not.
    let path = |i: u64| format!("/d{}/f", (i * 7919) % 20_000);
    let mut one = ItemAcc::default();
    let mut parts = Items::default();
    for block in 0..30u64 {
        let mut small = ItemAcc::default();
        for i in block * 1000..(block + 1) * 1000 {
            one.add(path(i).as_bytes(), i + 1);
            small.add(path(i).as_bytes(), i + 1);
        }
        parts.merge(small.finish(&input, 0));
    }
    let one = one.finish(&input, 0);
    assert!(one.sampled);
    assert_eq!(one, parts);
    assert_eq!(
        one.top_dirs(1)[0].1,
        2,
        "10 000 folders hit twice each, exactly counted"
    );
}

/// Item `i` of the absorb proptests: under one of 50 directories (or
/// of 6,000 when `wide`), whose name ends in a byte that is not UTF-8
/// when `odd` is 1 or 2.
fn generated_path(dir: u32, odd: u8, i: usize, wide: bool) -> Vec<u8> {
    let dir = if wide { dir } else { dir % 50 };
    let mut path = format!("share/d{dir}").into_bytes();
    match odd {
        1 => path.push(0xff),
        2 => path.push(0xfe),
        _ => {}
    }
    path.extend_from_slice(format!("/f{i}").as_bytes());
    path
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Absorbing accumulators one by one into a tally's items (which
    /// looks directories up without making their text) equals merging
    /// their summaries, with or without a full sample, with bytes
    /// that are not UTF-8 reading the same as others, and with
    /// accumulators recycled from one absorb to the next.
    #[test]
    fn absorbing_equals_merging_the_summaries(
        parts in proptest::collection::vec(
            proptest::collection::vec((0u32..6000, 0u8..4), 0..1500),
            1..5,
        ),
        wide in proptest::bool::ANY,
    ) {
        let input: Arc<str> = Arc::from("in.log");
        let mut absorbed = Items::default();
        let mut merged = Items::default();
        let pool = ItemPool::new();
        for (p, part) in parts.iter().enumerate() {
            // Absorbed accumulators are recycled: `a` is the last one,
            // emptied, when there is one.
            let a = pool.take();
            let (mut a, mut b) = if p % 3 == 1 {
                (a.keeping_examples(false), ItemAcc::default().keeping_examples(false))
            } else {
                (a, ItemAcc::default())
            };
            for (i, &(dir, odd)) in part.iter().enumerate() {
                let path = generated_path(dir, odd, i, wide);
                a.add(&path, i as u64 + 1);
                b.add(&path, i as u64 + 1);
            }
            let offset = p as u64 * 10_000;
            pool.give(absorbed.absorb(a, &input, offset));
            merged.merge(b.finish(&input, offset));
        }
        proptest::prop_assert_eq!(&absorbed, &merged);
        let total: usize = parts.iter().map(Vec::len).sum();
        proptest::prop_assert_eq!(absorbed.total, total as u64);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// The sample holds the [`DIR_SAMPLE`] directories of smallest
    /// (hash, text), each counted exactly, whether accumulators are
    /// absorbed or their summaries merged; `sampled` says whether
    /// there were more; a report's listing restores it.
    #[test]
    fn the_sample_is_the_smallest_hashes_counted_exactly(
        parts in proptest::collection::vec(
            proptest::collection::vec((0u32..6000, 0u8..4), 0..1500),
            1..5,
        ),
        wide in proptest::bool::ANY,
    ) {
        sample_against_the_model(&parts, wide)?;
    }
}

/// The model check with well over [`DIR_SAMPLE`] directories, most
/// new in each part, some seen again: the sample is cut more than
/// once, in absorbs and in merges.
#[test]
fn a_sample_cut_again_and_again_stays_the_smallest() {
    let parts: Vec<Vec<(u32, u8)>> = (0..4u32)
        .map(|p| {
            (0..3000u32)
                .map(|i| ((i * 7 + p * 1499) % 6000, (i % 4) as u8))
                .collect()
        })
        .collect();
    sample_against_the_model(&parts, true).unwrap();
}

/// The model check with one accumulator given well over twice
/// [`DIR_SAMPLE`] directories, some not UTF-8 (two byte strings then
/// read as one text): the accumulator cuts its own sample, more than
/// once, before its tally sees it.
#[test]
fn an_accumulator_cut_on_its_own_stays_the_smallest() {
    let part: Vec<(u32, u8)> = (0..30_000u32)
        .map(|i| ((i * 7_919) % 20_000, (i % 5) as u8 % 3))
        .collect();
    sample_against_the_model(&[part], true).unwrap();
}

fn sample_against_the_model(
    parts: &[Vec<(u32, u8)>],
    wide: bool,
) -> Result<(), proptest::test_runner::TestCaseError> {
    {
        let input: Arc<str> = Arc::from("in.log");
        let mut model: std::collections::BTreeMap<(u64, String), u64> = Default::default();
        let mut absorbed = Items::default();
        let mut merged = Items::default();
        for (p, part) in parts.iter().enumerate() {
            let mut a = ItemAcc::default();
            let mut b = ItemAcc::default();
            for (i, &(dir, odd)) in part.iter().enumerate() {
                let path = generated_path(dir, odd, i, wide);
                a.add(&path, i as u64 + 1);
                b.add(&path, i as u64 + 1);
                let text = String::from_utf8_lossy(parent_bytes(&path)).into_owned();
                *model.entry((dir_hash(&text), text)).or_default() += 1;
            }
            absorbed.absorb(a, &input, p as u64 * 10_000);
            merged.merge(b.finish(&input, p as u64 * 10_000));
        }
        let mut want: Vec<(&str, u64)> = model
            .iter()
            .take(DIR_SAMPLE)
            .map(|((_, d), n)| (d.as_str(), *n))
            .collect();
        want.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        for items in [&absorbed, &merged] {
            proptest::prop_assert_eq!(&items.top_dirs(usize::MAX), &want);
            proptest::prop_assert_eq!(items.dir_count(), model.len().min(DIR_SAMPLE));
            proptest::prop_assert_eq!(items.sampled, model.len() > DIR_SAMPLE);
        }
        let listed = absorbed
            .top_dirs(usize::MAX)
            .into_iter()
            .map(|(d, n)| (d.to_string(), n))
            .collect();
        let restored = Items::restore(
            absorbed.total,
            listed,
            absorbed.sampled,
            absorbed.examples.clone(),
        );
        proptest::prop_assert_eq!(restored, absorbed);
    }
    Ok(())
}

#[test]
fn top_directories_and_examples() {
    let input: Arc<str> = Arc::from("x");
    let mut acc = ItemAcc::default();
    for (i, p) in ["/a/1", "/b/1", "/a/2", "/a/1", "/c/1", "/b/2"]
        .iter()
        .enumerate()
    {
        acc.add(p.as_bytes(), i as u64 + 1);
    }
    let items = acc.finish(&input, 0);
    assert_eq!(items.top_dirs(2), [("/a", 3), ("/b", 2)]);
    assert_eq!(
        items.example_paths(3),
        [("x", 1, "/a/1"), ("x", 2, "/b/1"), ("x", 3, "/a/2")],
        "distinct paths, each where first seen"
    );
}

/// A pool gives back what it was given, emptied and keeping examples
/// again, with its room; at most [`POOL_SIZE`] of them.
#[test]
fn an_item_pool_reuses_up_to_its_size() {
    let pool = ItemPool::new();
    let mut acc = ItemAcc::default().keeping_examples(false);
    for i in 0..100u64 {
        acc.add(format!("/d{i}/f").as_bytes(), i + 1);
    }
    let room = (acc.dirs.capacity(), acc.names.capacity());
    pool.give(acc);
    assert_eq!(pool.len(), 1);
    let mut again = pool.take();
    assert!(pool.is_empty());
    assert_eq!((again.dirs.capacity(), again.names.capacity()), room);
    assert_eq!(
        (again.total, again.dirs.len(), again.names.len()),
        (0, 0, 0)
    );
    assert!(again.cut.is_none() && !again.no_examples);
    again.add(b"/a/b", 1);
    let mut new = ItemAcc::default();
    new.add(b"/a/b", 1);
    assert_eq!(
        again.finish(&Arc::from("x"), 0),
        new.finish(&Arc::from("x"), 0)
    );
    for _ in 0..POOL_SIZE + 2 {
        pool.give(ItemAcc::default());
    }
    assert_eq!(pool.len(), POOL_SIZE);
}

/// An accumulator whose table or name buffer grew past the limits is
/// dropped, not kept.
#[test]
fn a_big_item_accumulator_is_not_kept() {
    let pool = ItemPool::new();
    let mut many = ItemAcc::default();
    for i in 0..=POOL_DIRS as u64 {
        many.add(format!("/d{i}/f").as_bytes(), i + 1);
    }
    assert!(many.dirs.capacity() > POOL_DIRS);
    pool.give(many);
    assert!(pool.is_empty(), "too many directories");
    let mut long = ItemAcc::default();
    let name = "n".repeat(POOL_NAMES + 1);
    long.add(format!("/{name}/f").as_bytes(), 1);
    assert!(long.names.capacity() > POOL_NAMES);
    pool.give(long);
    assert!(pool.is_empty(), "too long names");
}

/// The absorb hands back the accumulator it emptied, with its room, for
/// its owner's pool.
#[test]
fn an_absorbed_item_accumulator_comes_back_with_its_room() {
    let pool = ItemPool::new();
    let mut acc = pool.take();
    acc.add(b"/a/b/c", 1);
    let room = acc.dirs.capacity();
    let mut items = Items::default();
    pool.give(items.absorb(acc, &Arc::from("x"), 0));
    assert_eq!(items.total, 1);
    assert_eq!(pool.len(), 1);
    let again = pool.take();
    assert_eq!(again.dirs.capacity(), room);
    assert_eq!(again.total, 0, "emptied");
    assert!(pool.is_empty());
}
