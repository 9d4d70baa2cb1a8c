//! A set and a map kept as sorted vectors, for those that grow mostly at
//! their end.
//!
//! A code's set of input paths grows by one path per input, and inputs
//! are scanned (and their tallies folded) in about path order. A
//! `BTreeSet` pays a search from the root for each, comparing long paths
//! that share their directories; this set compares with its last element
//! and appends, and merges two sets in one pass. Out-of-order inserts
//! still work (a binary search and a move), so results never depend on the
//! order. A code's sites (input path to events and first line) are such a
//! map: a [`SortedMap`].

use std::cmp::Ordering;
use std::fmt;

/// A set of `T` in ascending order, without duplicates.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SortedSet<T>(Vec<T>);

impl<T> Default for SortedSet<T> {
    fn default() -> Self {
        SortedSet(Vec::new())
    }
}

impl<T: fmt::Debug> fmt::Debug for SortedSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(&self.0).finish()
    }
}

impl<T: Ord> SortedSet<T> {
    /// An empty set.
    pub fn new() -> Self {
        SortedSet(Vec::new())
    }

    /// Whether `value` is in the set.
    pub fn contains<Q>(&self, value: &Q) -> bool
    where
        T: std::borrow::Borrow<Q>,
        Q: Ord + ?Sized,
    {
        match self.0.last() {
            Some(last) if last.borrow() == value => true,
            Some(last) if last.borrow() < value => false,
            _ => self.0.binary_search_by(|v| v.borrow().cmp(value)).is_ok(),
        }
    }

    /// Adds `value`; returns whether it was new.
    pub fn insert(&mut self, value: T) -> bool {
        match self.0.last() {
            None => {
                self.0.push(value);
                true
            }
            Some(last) if *last < value => {
                self.0.push(value);
                true
            }
            _ => match self.0.binary_search(&value) {
                Ok(_) => false,
                Err(at) => {
                    self.0.insert(at, value);
                    true
                }
            },
        }
    }

    /// Adds a clone of `value` unless the set has it; returns whether it
    /// was new. One comparison when it is, or goes, last.
    pub fn insert_cloned(&mut self, value: &T) -> bool
    where
        T: Clone,
    {
        let at = match self.0.last().map(|last| last.cmp(value)) {
            None | Some(Ordering::Less) => self.0.len(),
            Some(Ordering::Equal) => return false,
            Some(Ordering::Greater) => match self.0.binary_search(value) {
                Ok(_) => return false,
                Err(at) => at,
            },
        };
        self.0.insert(at, value.clone());
        true
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The elements in ascending order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }
}

impl<T: Ord> SortedSet<T> {
    /// Adds every element of `other` (sorted and without duplicates
    /// already: nothing to check): appended when they all come after the
    /// last, merged in one pass otherwise.
    pub fn merge(&mut self, other: SortedSet<T>) {
        self.merge_sorted(other.0);
    }

    fn merge_sorted(&mut self, mut more: Vec<T>) {
        match (self.0.last(), more.first()) {
            (_, None) => {}
            (None, _) => self.0 = more,
            (Some(last), Some(first)) if last < first => self.0.append(&mut more),
            _ => {
                let mine = std::mem::take(&mut self.0);
                let mut out = Vec::with_capacity(mine.len() + more.len());
                let mut a = mine.into_iter().peekable();
                let mut b = more.into_iter().peekable();
                loop {
                    let order = match (a.peek(), b.peek()) {
                        (Some(x), Some(y)) => x.cmp(y),
                        (Some(_), None) => Ordering::Less,
                        (None, Some(_)) => Ordering::Greater,
                        (None, None) => break,
                    };
                    let next = match order {
                        Ordering::Less => a.next(),
                        Ordering::Greater => b.next(),
                        Ordering::Equal => {
                            b.next();
                            a.next()
                        }
                    };
                    out.extend(next);
                }
                self.0 = out;
            }
        }
    }
}

impl<T: Ord> Extend<T> for SortedSet<T> {
    /// Adds every element of `more`, in any order.
    fn extend<I: IntoIterator<Item = T>>(&mut self, more: I) {
        let mut more: Vec<T> = more.into_iter().collect();
        if !more.is_sorted() {
            more.sort();
        }
        more.dedup();
        self.merge_sorted(more);
    }
}

impl<T: Ord> FromIterator<T> for SortedSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut set = SortedSet::new();
        set.extend(iter);
        set
    }
}

impl<T> IntoIterator for SortedSet<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a SortedSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// A map from `K` to `V` kept as a vector sorted by key (see the module
/// docs).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SortedMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        SortedMap(Vec::new())
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for SortedMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        SortedMap(Vec::new())
    }

    /// Where `key` is (`Ok`) or would go (`Err`): one comparison when it
    /// is or goes last.
    fn find(&self, key: &K) -> Result<usize, usize> {
        match self.0.last() {
            None => Err(0),
            Some((last, _)) => match last.cmp(key) {
                Ordering::Less => Err(self.0.len()),
                Ordering::Equal => Ok(self.0.len() - 1),
                Ordering::Greater => self.0.binary_search_by(|(k, _)| k.cmp(key)),
            },
        }
    }

    /// The value at `key`; a clone of `key` and `value()` are put there
    /// first when the map has none.
    pub fn get_or_insert_with(&mut self, key: &K, value: impl FnOnce() -> V) -> &mut V
    where
        K: Clone,
    {
        let i = match self.find(key) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (key.clone(), value()));
                i
            }
        };
        &mut self.0[i].1
    }

    /// Puts `value` at `key`; returns the value that was there.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// The value at `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    /// Adds every entry of `other`: its values at keys this map has
    /// already go to `combine`. Appended when they all come after the
    /// last, merged in one pass otherwise.
    pub fn merge(&mut self, other: SortedMap<K, V>, mut combine: impl FnMut(&mut V, V)) {
        let mut more = other.0;
        match (self.0.last(), more.first()) {
            (_, None) => {}
            (None, _) => self.0 = more,
            (Some(last), Some(first)) if last.0 < first.0 => self.0.append(&mut more),
            _ => {
                let mine = std::mem::take(&mut self.0);
                let mut out: Vec<(K, V)> = Vec::with_capacity(mine.len() + more.len());
                let mut b = more.into_iter().peekable();
                for (k, mut v) in mine {
                    while let Some(y) = b.next_if(|y| y.0 < k) {
                        out.push(y);
                    }
                    if let Some(y) = b.next_if(|y| y.0 == k) {
                        combine(&mut v, y.1);
                    }
                    out.push((k, v));
                }
                out.extend(b);
                self.0 = out;
            }
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<K, V> IntoIterator for SortedMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        /// Any mix of lookups, inserts and merges gives what a BTreeMap
        /// gives (a merge adding values at keys both have).
        #[test]
        fn behaves_like_a_btreemap(ops in proptest::collection::vec(
            (0u8..3, proptest::collection::vec((0u8..40, 0u32..9), 0..6)), 0..40)) {
            let mut mine = SortedMap::new();
            let mut theirs = std::collections::BTreeMap::new();
            for (op, entries) in ops {
                match op {
                    0 => for (k, v) in entries {
                        *mine.get_or_insert_with(&k, || 100) += v;
                        *theirs.entry(k).or_insert(100) += v;
                    },
                    1 => for (k, v) in entries {
                        prop_assert_eq!(mine.insert(k, v), theirs.insert(k, v));
                    },
                    _ => {
                        let mut other = SortedMap::new();
                        for &(k, v) in &entries {
                            other.insert(k, v);
                        }
                        let other_btree: std::collections::BTreeMap<u8, u32> =
                            other.iter().map(|(k, v)| (*k, *v)).collect();
                        mine.merge(other, |a, b| *a += b);
                        for (k, v) in other_btree {
                            *theirs.entry(k).or_insert(0) += v;
                        }
                    }
                }
                prop_assert_eq!(mine.iter().collect::<Vec<_>>(), theirs.iter().collect::<Vec<_>>());
                prop_assert_eq!(mine.len(), theirs.len());
                for probe in 0u8..40 {
                    prop_assert_eq!(mine.get(&probe), theirs.get(&probe));
                }
            }
        }
    }

    proptest! {
        /// Any mix of inserts, extends and merges gives what a BTreeSet gives.
        #[test]
        fn behaves_like_a_btreeset(ops in proptest::collection::vec(
            (0u8..3, proptest::collection::vec(0u8..40, 0..6)), 0..40)) {
            let mut mine = SortedSet::new();
            let mut theirs = BTreeSet::new();
            for (how, values) in ops {
                match how {
                    0 => for v in values {
                        let new = if v % 2 == 0 { mine.insert(v) } else { mine.insert_cloned(&v) };
                        prop_assert_eq!(new, theirs.insert(v));
                    },
                    1 => {
                        mine.extend(values.iter().copied());
                        theirs.extend(values);
                    }
                    _ => {
                        // Another set, sorted and without duplicates as sets are.
                        mine.merge(values.iter().copied().collect());
                        theirs.extend(values);
                    }
                }
                prop_assert_eq!(mine.iter().collect::<Vec<_>>(), theirs.iter().collect::<Vec<_>>());
                for probe in 0u8..40 {
                    prop_assert_eq!(mine.contains(&probe), theirs.contains(&probe));
                }
            }
        }
    }
}
