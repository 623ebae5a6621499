//! `ConcurrentMap`'s standard trait implementations: `Debug`, `Clone`, `PartialEq`/`Eq`,
//! `Default`, `FromIterator` and `Extend`.

use core::fmt;
use core::hash::{BuildHasher, Hash};

use super::map::ConcurrentMap;
#[cfg(doc)]
use super::Pinned;

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for ConcurrentMap<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.pin(), f)
    }
}

/// A copy of the map: the entries one weakly consistent iteration yields (as
/// [`Pinned::iter`]: every entry present for the whole copy, once), and the same
/// configuration: the hasher (cloned), shrink policy, capacity floor and bound. The
/// weigher and the finalizer are **shared** with the copy: a value leaving either map
/// goes to the one finalizer, whose calls for both maps are serialized. The copy holds
/// clones of the values, so every value is still finalized exactly once, by the map
/// that holds it.
///
/// A bounded copy starts its eviction state afresh (every entry cold and unreferenced).
/// Copying pins this map until it ends, and runs `K::clone` and `V::clone` under that
/// pin. A finalizer may drop a map that shares it (say, a clone kept inside a value):
/// that map's values are finalized, as `Dropped`, right after the running call returns.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let finalized = Arc::new(AtomicUsize::new(0));
/// let f = Arc::clone(&finalized);
/// let cache = leakless::ConcurrentMap::builder()
///     .max_entries(10)
///     .finalizer(move |_k: u32, _v: String, _cause| {
///         f.fetch_add(1, Ordering::Relaxed);
///     })
///     .build();
/// cache.insert(1, "one".to_string());
/// let copy = cache.clone();
/// copy.insert(2, "two".to_string());
/// assert_eq!(copy.get_cloned(&1).as_deref(), Some("one"));
/// assert!(!cache.contains_key(&2), "the maps are independent");
/// assert_eq!(copy.capacity(), cache.capacity());
/// drop(copy);
/// drop(cache);
/// assert_eq!(finalized.load(Ordering::Relaxed), 3, "each map's values, once");
/// ```
impl<K: Hash + Eq + Clone, V: Clone, S: BuildHasher + Clone> Clone for ConcurrentMap<K, V, S> {
    fn clone(&self) -> Self {
        let copy = Self::from_parts(self.inner.empty_like());
        let pinned = self.pin();
        for (k, v) in pinned.iter() {
            copy.insert(k.clone(), v.clone());
        }
        copy
    }
}

/// Equal when both hold the same keys with equal values (configurations are not
/// compared). Compared under one pin of each map: exact while neither is written, and
/// weakly consistent otherwise (as [`Pinned::iter`]).
///
/// # Examples
///
/// ```
/// use leakless::ConcurrentMap;
/// let a: ConcurrentMap<u8, u8> = (0..10).map(|i| (i, i)).collect();
/// let b = a.clone();
/// assert_eq!(a, b);
/// b.insert(3, 0);
/// assert_ne!(a, b);
/// ```
impl<K: Hash + Eq, V: PartialEq, S: BuildHasher> PartialEq for ConcurrentMap<K, V, S> {
    fn eq(&self, other: &Self) -> bool {
        let (mine, theirs) = (self.pin(), other.pin());
        let mut n = 0usize;
        for (k, v) in mine.iter() {
            if theirs.get(k) != Some(v) {
                return false;
            }
            n += 1;
        }
        // Counted rather than `len()`, which is a sum of per-thread counters.
        theirs.iter().count() == n
    }
}

impl<K: Hash + Eq, V: Eq, S: BuildHasher> Eq for ConcurrentMap<K, V, S> {}

impl<K, V, S: Default> Default for ConcurrentMap<K, V, S> {
    fn default() -> Self {
        Self::with_hasher(S::default())
    }
}

impl<K: Hash + Eq, V, S: BuildHasher + Default> FromIterator<(K, V)> for ConcurrentMap<K, V, S> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = Self::default();
        map.extend(iter);
        map
    }
}

impl<K: Hash + Eq, V, S: BuildHasher> Extend<(K, V)> for &ConcurrentMap<K, V, S> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K: Hash + Eq, V, S: BuildHasher> Extend<(K, V)> for ConcurrentMap<K, V, S> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}
