use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::RemovalCause;

/// What a map has done so far, returned by every map's `stats()`.
///
/// Counters start at zero when the map is created (a clone copies its original's).
/// Removals are counted by cause: values handed back to the caller by a removal
/// (`remove`, `drain`, ...) count as [`RemovalCause::Explicit`]; an overwritten value
/// counts as [`RemovalCause::Replaced`], whether it is handed back (`insert`,
/// `replace`) or finalized.
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

/// The counters a map's core keeps, in 24 bytes: a map of maps stores one per inner
/// map, inline in its outer table, and an outer entry that spans fewer cache lines is
/// measurably faster to reach (an outer entry 40 bytes larger cost a nested insert
/// about 15%).
///
/// Inline: the two lookup counters, bumped through `&self` on every `get`. Everything
/// else is in a [`Cold`] block, allocated the first time anything else is counted (for
/// a map, its first counted insert), so a read never allocates, and a map that counts
/// nothing (the inner maps of a [`NestedMap`](crate::NestedMap), which count in their
/// outer map) never allocates one. Every count is exact to 64 bits.
#[derive(Default, Clone)]
#[repr(C)]
pub(crate) struct Counters {
    /// Misses at index 0, hits at index 1.
    lookups: [LookupCounter; 2],
    cold: Option<Box<Cold>>,
}

/// A counter bumped through `&self` (lookups take `&self`). Increments are a relaxed
/// load and store, not an atomic read-modify-write: cheap, and exact for a map used from
/// one thread; shared readers racing on one map may lose a few counts.
#[derive(Default)]
struct LookupCounter(AtomicU64);

impl LookupCounter {
    #[inline(always)]
    fn bump(&self) {
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

/// The counters in [`Cold`] besides the removals, by index.
#[derive(Clone, Copy)]
#[repr(usize)]
pub(crate) enum Small {
    Insertions,
    Shrinks,
    Pruned,
}

impl Small {
    const COUNT: usize = 3;
}

/// The counters besides the lookups: 80 bytes.
#[derive(Default, Clone)]
struct Cold {
    small: [u64; Small::COUNT],
    /// Removals by [`RemovalCause::index`].
    removed: [u64; 7],
}

impl Counters {
    #[inline(always)]
    pub(crate) fn lookup(&self, hit: bool) {
        // Branch-free: index 1 counts hits, index 0 misses.
        self.lookups[hit as usize].bump()
    }

    /// The block, allocated now if it was not.
    #[inline(always)]
    fn cold(&mut self) -> &mut Cold {
        match &mut self.cold {
            Some(cold) => cold,
            none => cold_init(none),
        }
    }

    /// Add `n` to the counter `which`.
    #[inline(always)]
    pub(crate) fn add(&mut self, which: Small, n: u64) {
        let slot = &mut self.cold().small[which as usize];
        *slot = slot.wrapping_add(n);
    }

    /// Count `n` values that left for `cause`.
    #[inline(always)]
    pub(crate) fn removed(&mut self, cause: RemovalCause, n: u64) {
        if n == 0 {
            return; // nothing to allocate the block for
        }
        let slot = &mut self.cold().removed[cause.index()];
        *slot = slot.wrapping_add(n);
    }

    /// The value of the counter `which`.
    pub(crate) fn get(&self, which: Small) -> u64 {
        self.cold.as_ref().map_or(0, |c| c.small[which as usize])
    }

    /// Heap bytes of the counters (their block, once allocated).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.cold.as_ref().map_or(0, |_| core::mem::size_of::<Cold>())
    }

    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            hits: self.lookups[1].get(),
            misses: self.lookups[0].get(),
            insertions: self.get(Small::Insertions),
            removed: self.cold.as_ref().map_or([0; 7], |c| c.removed),
            shrinks: self.get(Small::Shrinks),
            pruned: self.get(Small::Pruned),
            pending_garbage_bytes: 0,
        }
    }
}

/// Allocate the block into the empty `slot`.
#[cold]
#[inline(never)]
fn cold_init(slot: &mut Option<Box<Cold>>) -> &mut Cold {
    slot.insert(Box::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_24_bytes() {
        assert_eq!(core::mem::size_of::<Counters>(), 24);
        assert_eq!(core::mem::size_of::<Cold>(), 80);
    }

    #[test]
    fn lookups_allocate_nothing() {
        let c = Counters::default();
        for i in 0..1000 {
            c.lookup(i % 4 == 0);
        }
        assert_eq!(c.heap_bytes(), 0);
        let s = c.snapshot();
        assert_eq!((s.hits, s.misses), (250, 750));
        let copy = c.clone();
        c.lookup(false);
        assert_eq!(copy.snapshot().misses, 750, "a clone has its own counters");
    }

    #[test]
    fn every_count_is_exact_to_64_bits() {
        let mut c = Counters::default();
        c.removed(RemovalCause::Collected, 0);
        assert_eq!(c.heap_bytes(), 0, "counting nothing allocates nothing");
        c.add(Small::Insertions, u64::from(u32::MAX));
        c.add(Small::Insertions, 2);
        c.add(Small::Pruned, 1);
        c.removed(RemovalCause::Explicit, 5 << 32 | 7);
        c.removed(RemovalCause::Cleared, 3);
        assert_eq!(c.heap_bytes(), core::mem::size_of::<Cold>());
        let s = c.snapshot();
        assert_eq!(s.insertions, u64::from(u32::MAX) + 2);
        assert_eq!(s.pruned, 1);
        assert_eq!(s.removals(RemovalCause::Explicit), 5 << 32 | 7);
        assert_eq!(s.removals(RemovalCause::Cleared), 3);
        assert_eq!(s.removals(RemovalCause::Collected), 0);
        assert_eq!(s.total_removals(), (5 << 32 | 7) + 3);
        assert_eq!(c.clone().snapshot(), s);
    }
}
