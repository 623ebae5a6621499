//! The single-threaded core: a `hashbrown::HashTable` that gives memory back.
//!
//! Every single-threaded map in the crate stores its entries in a [`RawTable<T>`]: the
//! drop-in [`HashMap`](crate::HashMap) and the maps built on it store `(K, V)` inline
//! (so bytes per entry are exactly `std`'s), the bounded maps store their entries in a
//! dense arena indexed from the table. The core owns the three things every map shares:
//!
//! - **shrinking**: removal paths call [`Control::after_removal`], which asks the map's
//!   [`ShrinkPolicy`] whether the table should give memory back;
//! - **the floor**: `with_capacity(n)` sets a capacity that automatic shrinking never
//!   goes below;
//! - **counters** for `stats()`.
//!
//! Invariants (checked by [`RawTable::validate`]):
//! - every element is found by a lookup with its own hash, at the bucket it occupies (so
//!   no key is stored twice);
//! - the element count equals `len()`;
//! - an allocated table's capacity is never below the floor unless the caller explicitly
//!   asked for less.
//!
//! The core contains no `unsafe` code: it relies on `hashbrown`'s safe bucket API.

use hashbrown::HashTable;

use crate::error::TryReserveError;
use crate::policy::{Counters, RemovalCause, ShrinkPolicy};

/// What a table needs besides its elements: the floor, the shrink policy, the counters.
/// Kept apart from the table so entry guards can borrow both at once.
#[derive(Clone, Default)]
pub(crate) struct Control {
    pub(crate) floor: usize,
    pub(crate) shrink: ShrinkPolicy,
    pub(crate) counters: Counters,
}

impl Control {
    /// Record the removal of `n` elements for `cause` and shrink if the policy says so.
    #[inline]
    pub(crate) fn after_removal<T>(
        &mut self,
        table: &mut HashTable<T>,
        cause: RemovalCause,
        n: u64,
        hasher: impl Fn(&T) -> u64,
    ) {
        self.counters.removed(cause, n);
        self.maybe_shrink(table, hasher);
    }

    /// Shrink `table` if the policy says so. Cheap when it does not.
    #[inline]
    pub(crate) fn maybe_shrink<T>(&mut self, table: &mut HashTable<T>, hasher: impl Fn(&T) -> u64) {
        // `HashTable::capacity` is `len + growth_left`, which tombstones left by removals
        // lower: judge occupancy by the buckets actually allocated.
        if let Some(target) = self.shrink.shrink_target(table.len(), bucket_capacity(table), self.floor) {
            self.shrink_cold(table, target, hasher);
        }
    }

    #[cold]
    #[inline(never)]
    fn shrink_cold<T>(&mut self, table: &mut HashTable<T>, target: usize, hasher: impl Fn(&T) -> u64) {
        // Right after a shrink, rounding to a power of two can leave the table under the
        // trigger while the target needs as many buckets as it has: then `shrink_to` is a
        // cheap no-op, and only real reallocations are counted.
        let before = table.num_buckets();
        table.shrink_to(target, hasher);
        if table.num_buckets() < before {
            self.counters.shrinks += 1;
        }
    }
}

/// The number of elements `table`'s allocation holds when it has no tombstones
/// (hashbrown's load factor: 7/8 of the buckets, all but one for tables under 8 buckets).
#[inline]
pub(crate) fn bucket_capacity<T>(table: &HashTable<T>) -> usize {
    let buckets = table.num_buckets();
    if buckets < 8 {
        buckets.saturating_sub(1)
    } else {
        buckets / 8 * 7
    }
}

/// A hash table of `T` with a shrink policy, a floor and counters.
#[derive(Clone)]
pub(crate) struct RawTable<T> {
    pub(crate) table: HashTable<T>,
    pub(crate) ctl: Control,
}

impl<T> Default for RawTable<T> {
    fn default() -> Self {
        Self { table: HashTable::new(), ctl: Control::default() }
    }
}

impl<T> RawTable<T> {
    /// An empty table with room for `capacity` elements, which is also its floor.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self { table: HashTable::with_capacity(capacity), ctl: Control { floor: capacity, ..Control::default() } }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.table.capacity()
    }

    /// Heap bytes held by the table itself (not by what its elements own).
    pub(crate) fn allocation_size(&self) -> usize {
        self.table.allocation_size()
    }

    /// Remove the first element matching `eq`, shrinking afterwards if due.
    #[inline]
    pub(crate) fn remove(&mut self, hash: u64, eq: impl FnMut(&T) -> bool, hasher: impl Fn(&T) -> u64) -> Option<T> {
        let (value, _) = self.table.find_entry(hash, eq).ok()?.remove();
        self.ctl.after_removal(&mut self.table, RemovalCause::Explicit, 1, hasher);
        Some(value)
    }

    /// Keep the elements for which `keep` returns `true`; the others go to `reject`,
    /// then the table shrinks if due.
    pub(crate) fn retain_with(
        &mut self,
        mut keep: impl FnMut(&mut T) -> bool,
        mut reject: impl FnMut(T),
        cause: RemovalCause,
        hasher: impl Fn(&T) -> u64,
    ) {
        let mut removed = 0u64;
        let buckets = self.table.num_buckets();
        for index in 0..buckets {
            let Ok(mut entry) = self.table.get_bucket_entry(index) else { continue };
            if !keep(entry.get_mut()) {
                let (value, _) = entry.remove();
                removed += 1;
                reject(value);
            }
        }
        self.ctl.after_removal(&mut self.table, cause, removed, hasher);
    }

    /// Take every element out, leaving the table empty at its floor (or at its current
    /// capacity if the policy never shrinks).
    pub(crate) fn take_all(&mut self, cause: RemovalCause) -> HashTable<T> {
        let keep = if self.ctl.shrink.is_never() { self.table.capacity() } else { self.ctl.floor };
        let old = core::mem::replace(&mut self.table, HashTable::with_capacity(keep));
        if old.num_buckets() > self.table.num_buckets() {
            self.ctl.counters.shrinks += 1;
        }
        self.ctl.counters.removed(cause, old.len() as u64);
        old
    }

    /// Drop every element (each drop runs even if another panics; the first panic is
    /// re-raised), leaving the table at its floor.
    pub(crate) fn clear(&mut self) {
        if self.table.is_empty() {
            self.ctl.maybe_shrink(&mut self.table, |_| unreachable!("empty table rehashes nothing"));
            return;
        }
        let old = self.take_all(RemovalCause::Cleared);
        drop_each(old);
    }

    /// Reserve room for `additional` more elements.
    pub(crate) fn try_reserve(&mut self, additional: usize, hasher: impl Fn(&T) -> u64) -> Result<(), TryReserveError> {
        self.table.try_reserve(additional, hasher).map_err(TryReserveError::from_hashbrown)
    }

    /// Explicitly shrink to `min_capacity` (or the length), lowering the floor to match.
    pub(crate) fn shrink_to(&mut self, min_capacity: usize, hasher: impl Fn(&T) -> u64) {
        self.ctl.floor = self.ctl.floor.min(min_capacity);
        let before = self.table.num_buckets();
        self.table.shrink_to(min_capacity, hasher);
        if self.table.num_buckets() < before {
            self.ctl.counters.shrinks += 1;
        }
    }

    /// Check the invariants listed in the module docs, panicking with a description of
    /// the first one broken. `hash` must be the hasher the table was built with and `eq`
    /// the key equality of two elements.
    pub(crate) fn validate(&self, hash: impl Fn(&T) -> u64, mut eq: impl FnMut(&T, &T) -> bool) {
        let mut count = 0usize;
        for index in 0..self.table.num_buckets() {
            let Some(elem) = self.table.get_bucket(index) else { continue };
            count += 1;
            let found = self.table.find_bucket_index(hash(elem), |other| eq(other, elem));
            assert_eq!(
                found,
                Some(index),
                "validate: the element in bucket {index} is not found at its own bucket by its hash"
            );
        }
        assert_eq!(count, self.table.len(), "validate: len() disagrees with the number of elements");
        // Judged by the allocation: tombstones lower `HashTable::capacity` without
        // shrinking anything (the next insert that needs them rehashes in place).
        assert!(
            bucket_capacity(&self.table) >= self.ctl.floor,
            "validate: capacity {} fell below the floor {}",
            bucket_capacity(&self.table),
            self.ctl.floor
        );
    }
}

/// Drop every element of `table`, one at a time: a panicking `Drop` does not stop the
/// others (the first panic is re-raised once all are dropped).
pub(crate) fn drop_each<T>(table: HashTable<T>) {
    if !core::mem::needs_drop::<T>() {
        return;
    }
    let mut slot = crate::policy::PanicSlot::default();
    for elem in table {
        slot.run(|| drop(elem));
    }
    slot.resume();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinks_after_removals_and_respects_floor() {
        let h = |x: &u64| x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut t = RawTable::with_capacity(64);
        for i in 0..10_000u64 {
            t.table.insert_unique(h(&i), i, h);
        }
        let peak = t.table.num_buckets();
        for i in 0..10_000u64 {
            assert_eq!(t.remove(h(&i), |x| *x == i, h), Some(i));
            if i % 500 == 0 {
                t.validate(h, |a, b| a == b);
            }
        }
        assert!(t.table.num_buckets() < peak);
        assert!(t.capacity() >= 64, "the floor holds");
        assert!(t.ctl.counters.shrinks > 0);
    }
}
