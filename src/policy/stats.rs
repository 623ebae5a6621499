use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::RemovalCause;

/// What a map has done so far, returned by every map's `stats()`.
///
/// Counters start at zero when the map is created. Removals are counted by cause;
/// values handed back to the caller (`remove`, `drain`, ...) count as
/// [`RemovalCause::Explicit`].
///
/// # Examples
///
/// ```
/// use leakless::{HashMap, RemovalCause};
///
/// let mut m = HashMap::new();
/// m.insert(1, "a");
/// assert_eq!(m.get(&1), Some(&"a"));
/// assert_eq!(m.get(&2), None);
/// m.remove(&1);
/// let s = m.stats();
/// assert_eq!((s.hits, s.misses, s.insertions), (1, 1, 1));
/// assert_eq!(s.removals(RemovalCause::Explicit), 1);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Stats {
    /// Lookups that found their key.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
    /// New entries stored (overwrites of an existing key are not counted here).
    pub insertions: u64,
    /// Values that left, by [`RemovalCause`] (indexed in [`RemovalCause::ALL`] order).
    pub removed: [u64; 7],
    /// Times the table gave memory back.
    pub shrinks: u64,
    /// Structures pruned because they became empty or dead (inner maps of a
    /// [`NestedMap`](crate::NestedMap), dead entries of a [`WeakKeyMap`](crate::WeakKeyMap)).
    pub pruned: u64,
    /// Bytes retired but not yet freed (`ConcurrentMap` only).
    pub pending_garbage_bytes: u64,
}

impl Stats {
    /// Values that left for `cause`.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{FinalizingMap, RemovalCause};
    /// let mut m: FinalizingMap<u8, u8> = FinalizingMap::default();
    /// m.insert(1, 1);
    /// m.insert(1, 2);
    /// m.clear();
    /// let s = m.stats();
    /// assert_eq!(s.removals(RemovalCause::Replaced), 1);
    /// assert_eq!(s.removals(RemovalCause::Cleared), 1);
    /// ```
    pub const fn removals(&self, cause: RemovalCause) -> u64 {
        self.removed[cause.index()]
    }

    /// Values that left for any cause.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::HashMap::new();
    /// m.extend([(1, 1), (2, 2), (3, 3)]);
    /// m.remove(&1);
    /// m.clear();
    /// assert_eq!(m.stats().total_removals(), 3);
    /// ```
    pub fn total_removals(&self) -> u64 {
        self.removed.iter().sum()
    }

    /// Values evicted to stay within a bound.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// m.extend([(1, 1), (2, 2), (3, 3), (4, 4)]);
    /// assert_eq!(m.stats().evictions(), 2);
    /// ```
    pub const fn evictions(&self) -> u64 {
        self.removals(RemovalCause::Evicted)
    }

    /// `hits / (hits + misses)`, or 0 when nothing was looked up.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::HashMap::new();
    /// assert_eq!(m.stats().hit_ratio(), 0.0);
    /// m.insert(1, 1);
    /// m.get(&1);
    /// m.get(&1);
    /// m.get(&1);
    /// m.get(&2);
    /// assert_eq!(m.stats().hit_ratio(), 0.75);
    /// ```
    pub fn hit_ratio(&self) -> f64 {
        let total = self.hits + self.misses;
        if total == 0 {
            0.0
        } else {
            self.hits as f64 / total as f64
        }
    }
}

/// A counter bumped through `&self` (lookups take `&self`). Increments are a relaxed
/// load and store, not an atomic read-modify-write: cheap, and exact for a map used from
/// one thread; shared readers racing on one map may lose a few counts.
#[derive(Default)]
pub(crate) struct LookupCounter(AtomicU64);

impl LookupCounter {
    #[inline(always)]
    pub(crate) fn bump(&self) {
        self.0.store(self.0.load(Relaxed).wrapping_add(1), Relaxed);
    }

    #[inline]
    fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

impl Clone for LookupCounter {
    fn clone(&self) -> Self {
        Self(AtomicU64::new(self.get()))
    }
}

/// The counters a map's core keeps. `repr(C)`: the counters every operation touches
/// (lookups, insertions, explicit removals) come first, on one cache line with the
/// table header that precedes them in [`Control`](crate::raw::Control).
#[derive(Default, Clone)]
#[repr(C)]
pub(crate) struct Counters {
    /// Misses at index 0, hits at index 1.
    pub(crate) lookups: [LookupCounter; 2],
    pub(crate) insertions: u64,
    pub(crate) removed: [u64; 7],
    pub(crate) shrinks: u64,
    pub(crate) pruned: u64,
}

impl Counters {
    #[inline(always)]
    pub(crate) fn lookup(&self, hit: bool) {
        // Branch-free: index 1 counts hits, index 0 misses.
        self.lookups[hit as usize].bump()
    }

    #[inline(always)]
    pub(crate) fn removed(&mut self, cause: RemovalCause, n: u64) {
        self.removed[cause.index()] += n;
    }

    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            hits: self.lookups[1].get(),
            misses: self.lookups[0].get(),
            insertions: self.insertions,
            removed: self.removed,
            shrinks: self.shrinks,
            pruned: self.pruned,
            pending_garbage_bytes: 0,
        }
    }
}
