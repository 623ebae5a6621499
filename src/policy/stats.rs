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

/// The counters a map's core keeps, in 48 bytes: a map of maps stores one per inner
/// map, inline in its outer table, so their size is paid per outer key.
///
/// Lookups (bumped through `&self`) are full 64-bit counters. The counters that change
/// by one per mutating operation (insertions; removals that are explicit, replaced or
/// evicted; shrinks; pruned structures) keep their low 32 bits inline and carry into a
/// [`Cold`] block allocated the first time one of them wraps. The causes that come in
/// bulk or rarely (collected, cleared, dropped, rejected) are counted in that block
/// directly. Every count is exact to 64 bits.
#[derive(Default, Clone)]
#[repr(C)]
pub(crate) struct Counters {
    /// Misses at index 0, hits at index 1.
    lookups: [LookupCounter; 2],
    /// The low 32 bits of the [`Small`] counters.
    small: [u32; Small::COUNT],
    cold: Option<Box<Cold>>,
}

/// The counters kept inline in [`Counters`] (their low 32 bits), by index.
#[derive(Clone, Copy)]
#[repr(usize)]
pub(crate) enum Small {
    Insertions,
    Explicit,
    Replaced,
    Evicted,
    Shrinks,
    Pruned,
}

impl Small {
    const COUNT: usize = 6;

    /// The inline counter for `cause`, if it has one.
    #[inline(always)]
    const fn of(cause: RemovalCause) -> Option<Small> {
        match cause {
            RemovalCause::Explicit => Some(Small::Explicit),
            RemovalCause::Replaced => Some(Small::Replaced),
            RemovalCause::Evicted => Some(Small::Evicted),
            _ => None,
        }
    }
}

/// What does not fit inline: the carries of the inline counters (in units of 2^32) and
/// the removals for causes without an inline counter.
#[derive(Default, Clone)]
struct Cold {
    carries: [u64; Small::COUNT],
    removed: [u64; 7],
}

impl Counters {
    #[inline(always)]
    pub(crate) fn lookup(&self, hit: bool) {
        // Branch-free: index 1 counts hits, index 0 misses.
        self.lookups[hit as usize].bump()
    }

    /// Add `n` to the inline counter `which`.
    #[inline(always)]
    pub(crate) fn add(&mut self, which: Small, n: u64) {
        let slot = &mut self.small[which as usize];
        let total = u64::from(*slot).wrapping_add(n);
        *slot = total as u32;
        if total >> 32 != 0 {
            self.cold().carries[which as usize] += total >> 32;
        }
    }

    /// Count `n` values that left for `cause`.
    #[inline(always)]
    pub(crate) fn removed(&mut self, cause: RemovalCause, n: u64) {
        match Small::of(cause) {
            Some(which) => self.add(which, n),
            None => self.removed_cold(cause, n),
        }
    }

    #[cold]
    #[inline(never)]
    fn removed_cold(&mut self, cause: RemovalCause, n: u64) {
        if n != 0 {
            self.cold().removed[cause.index()] += n;
        }
    }

    #[cold]
    #[inline(never)]
    fn cold(&mut self) -> &mut Cold {
        self.cold.get_or_insert_with(Box::default)
    }

    /// The full value of the inline counter `which`.
    pub(crate) fn get(&self, which: Small) -> u64 {
        let carry = self.cold.as_ref().map_or(0, |c| c.carries[which as usize]);
        (carry << 32) | u64::from(self.small[which as usize])
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let mut removed = self.cold.as_ref().map_or([0; 7], |c| c.removed);
        for cause in RemovalCause::ALL {
            if let Some(which) = Small::of(cause) {
                removed[cause.index()] = self.get(which);
            }
        }
        Stats {
            hits: self.lookups[1].get(),
            misses: self.lookups[0].get(),
            insertions: self.get(Small::Insertions),
            removed,
            shrinks: self.get(Small::Shrinks),
            pruned: self.get(Small::Pruned),
            pending_garbage_bytes: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_48_bytes() {
        assert_eq!(core::mem::size_of::<Counters>(), 48);
    }

    #[test]
    fn inline_counters_carry_past_32_bits() {
        let mut c = Counters::default();
        c.add(Small::Insertions, u64::from(u32::MAX));
        assert!(c.cold.is_none(), "no carry yet");
        c.add(Small::Insertions, 2);
        c.removed(RemovalCause::Explicit, 5 << 32 | 7);
        c.removed(RemovalCause::Cleared, 3);
        c.removed(RemovalCause::Collected, 0);
        let s = c.snapshot();
        assert_eq!(s.insertions, u64::from(u32::MAX) + 2);
        assert_eq!(s.removals(RemovalCause::Explicit), 5 << 32 | 7);
        assert_eq!(s.removals(RemovalCause::Cleared), 3);
        assert_eq!(s.removals(RemovalCause::Collected), 0);
        assert_eq!(s.total_removals(), (5 << 32 | 7) + 3);
    }

    #[test]
    fn rare_causes_allocate_only_when_counted() {
        let mut c = Counters::default();
        c.removed(RemovalCause::Replaced, 1);
        c.removed(RemovalCause::Evicted, 1);
        c.add(Small::Shrinks, 1);
        c.add(Small::Pruned, 1);
        assert!(c.cold.is_none());
        let s = c.snapshot();
        assert_eq!((s.shrinks, s.pruned, s.evictions()), (1, 1, 1));
        c.removed(RemovalCause::Rejected, 1);
        assert!(c.cold.is_some());
        assert_eq!(c.clone().snapshot(), c.snapshot());
    }
}
