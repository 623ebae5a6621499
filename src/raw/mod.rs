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

pub(crate) mod arena;
pub(crate) mod index;

use hashbrown::HashTable;

use crate::error::TryReserveError;
use crate::policy::{Counters, PanicSlot, RemovalCause, ShrinkPolicy, Small};

/// What a table needs besides its elements: the floor, the shrink policy, the counters.
/// Kept apart from the table so entry guards can borrow both at once.
///
/// 32 bytes, `repr(C)`: a map of maps stores thousands of these inline in its outer
/// table, and the fewer cache lines an outer entry spans, the faster it is reached (at
/// 64 bytes, a nested insert cost about 15% more). Every lookup, insert and removal
/// touches only the cached shrink threshold and the inline lookup counters.
#[derive(Clone)]
#[repr(C)]
pub(crate) struct Control {
    /// A removal that leaves fewer entries than this runs the full shrink check
    /// ([`shrink_slow`](Self::shrink_slow)); at or above it, no shrink is due. The
    /// threshold is computed for one bucket count and stays valid while the table does
    /// not grow (a smaller table's threshold is lower), so every growth resets it to
    /// `u32::MAX` ([`invalidate`](Self::invalidate)): the next removal computes it again. One
    /// comparison per removal; a threshold above `u32::MAX` is not cached (every removal
    /// checks).
    shrink_below: u32,
    /// `log2(buckets) + 1` of the table `shrink_below` was computed for; 0: not computed.
    /// Removals do not read it: [`RawTable::validate`] checks with it that no growth
    /// left a stale threshold behind.
    checked_shift: u8,
    /// Set through [`set_shrink_policy`](Self::set_shrink_policy), which drops the cached
    /// threshold computed under the old policy.
    shrink: ShrinkPolicy,
    /// `log2(buckets) + 1` of the smallest table with room for the floor; 0: no floor.
    floor_shift: u8,
    /// Shrinks not yet added to `counters`, which take them 256 at a time: the inner
    /// maps of a map of maps count nothing else, and so never allocate a counter block.
    shrinks: u8,
    pub(crate) counters: Counters,
}

impl Default for Control {
    fn default() -> Self {
        Self {
            shrink_below: u32::MAX,
            checked_shift: 0,
            shrink: ShrinkPolicy::default(),
            floor_shift: 0,
            shrinks: 0,
            counters: Counters::default(),
        }
    }
}

impl Control {
    /// A control block with room for `floor` as its floor and the default policy.
    pub(crate) fn with_floor(floor: usize) -> Self {
        Self { floor_shift: floor_shift(floor), ..Self::default() }
    }

    /// The floor: automatic shrinking keeps room for at least this many elements. It is
    /// the full capacity of the smallest table with room for what was asked (as
    /// `with_capacity` allocates), so it may be a little above it.
    #[inline]
    pub(crate) fn floor(&self) -> usize {
        match self.floor_shift {
            0 => 0,
            shift => full_capacity(1usize << (shift - 1)),
        }
    }

    /// The shrink policy.
    #[inline]
    pub(crate) fn shrink_policy(&self) -> ShrinkPolicy {
        self.shrink
    }

    /// Set the shrink policy (and forget the threshold cached under the old one).
    pub(crate) fn set_shrink_policy(&mut self, policy: ShrinkPolicy) {
        self.shrink = policy;
        self.invalidate();
    }

    /// Set the floor to room for `floor` elements.
    pub(crate) fn set_floor(&mut self, floor: usize) {
        self.floor_shift = floor_shift(floor);
        self.invalidate();
    }

    /// Count one shrink.
    #[inline]
    pub(crate) fn count_shrink(&mut self) {
        self.shrinks = self.shrinks.wrapping_add(1);
        if self.shrinks == 0 {
            self.counters.add(Small::Shrinks, 256);
        }
    }

    /// The shrinks counted so far.
    pub(crate) fn shrinks(&self) -> u64 {
        self.counters.get(Small::Shrinks) + u64::from(self.shrinks)
    }

    /// The counters, for `stats()`.
    pub(crate) fn stats(&self) -> crate::Stats {
        let mut stats = self.counters.snapshot();
        stats.shrinks = self.shrinks();
        stats
    }

    /// Record the removal of `n` elements for `cause`, if there is one (a map of maps
    /// counts its inner maps' removals in its own stats), and shrink if the policy says
    /// so (a panic of `hasher` goes to `slot`: see [`maybe_shrink`](Self::maybe_shrink)).
    #[inline]
    pub(crate) fn after_removal<T>(
        &mut self,
        table: &mut HashTable<T>,
        cause: Option<RemovalCause>,
        n: u64,
        hasher: impl Fn(&T) -> u64,
        slot: &mut PanicSlot,
    ) {
        if let Some(cause) = cause {
            self.counters.removed(cause, n);
        }
        self.maybe_shrink(table, hasher, slot);
    }

    /// [`after_removal`](Self::after_removal) for a caller that has nothing left to do
    /// with the removed elements: a panic of `hasher` is re-raised at once.
    #[inline]
    pub(crate) fn after_removal_now<T>(
        &mut self,
        table: &mut HashTable<T>,
        cause: Option<RemovalCause>,
        n: u64,
        hasher: impl Fn(&T) -> u64,
    ) {
        let mut slot = PanicSlot::default();
        self.after_removal(table, cause, n, hasher, &mut slot);
        slot.resume();
    }

    /// [`maybe_shrink`](Self::maybe_shrink), re-raising a panic of `hasher` at once.
    #[inline]
    pub(crate) fn maybe_shrink_now<T>(&mut self, table: &mut HashTable<T>, hasher: impl Fn(&T) -> u64) {
        let mut slot = PanicSlot::default();
        self.maybe_shrink(table, hasher, &mut slot);
        slot.resume();
    }

    /// Shrink `table` if the policy says so. One comparison when it does not.
    ///
    /// A shrink rehashes with the user's `Hash`. If that panics, the shrink is abandoned
    /// (hashbrown shrinks by reallocating, so the table is as it was) and the panic goes
    /// to `slot`: the removal that asked for the shrink has already taken its elements
    /// out, and re-raises the panic only once it has also finished with them (counted,
    /// finalized, handed on), so a panicking `Hash` cannot lose a value in between.
    #[inline]
    pub(crate) fn maybe_shrink<T>(
        &mut self,
        table: &mut HashTable<T>,
        hasher: impl Fn(&T) -> u64,
        slot: &mut PanicSlot,
    ) {
        if table.len() < self.shrink_below as usize {
            self.shrink_slow(table, hasher, slot);
        }
    }

    /// The entry for `hash` in `table`, with room made for a vacant one first: its
    /// insert then never grows the table (hashbrown's `entry` would grow it by an
    /// in-place rehash if it ran out of room). A full table grows only if the key is
    /// absent, as `std`'s `entry` does: a present key is looked up first (a second probe,
    /// only when the table is full), so counting into a full map does not double it.
    #[inline]
    pub(crate) fn entry<'t, T>(
        &mut self,
        table: &'t mut HashTable<T>,
        hash: u64,
        eq: impl FnMut(&T) -> bool,
        hasher: impl Fn(&T) -> u64,
    ) -> hashbrown::hash_table::Entry<'t, T> {
        if table.capacity() == table.len() {
            // Out of line: inlined, the second probe made every insert's code longer
            // (callgrind: +31 instructions per insert building a map of maps).
            return self.entry_full(table, hash, eq, hasher);
        }
        table.entry(hash, eq, hasher)
    }

    /// [`entry`](Self::entry) on a full table.
    #[cold]
    #[inline(never)]
    fn entry_full<'t, T>(
        &mut self,
        table: &'t mut HashTable<T>,
        hash: u64,
        mut eq: impl FnMut(&T) -> bool,
        hasher: impl Fn(&T) -> u64,
    ) -> hashbrown::hash_table::Entry<'t, T> {
        // `table` moves into the lookup (a reborrow could not be returned) and comes back
        // through the absent entry.
        match table.find_entry(hash, &mut eq) {
            Ok(found) => hashbrown::hash_table::Entry::Occupied(found),
            Err(absent) => {
                let table = absent.into_table();
                self.grow_cold(table, &hasher);
                table.entry(hash, eq, hasher)
            }
        }
    }

    /// Make room for one more element.
    ///
    /// `hashbrown` reclaims tombstones by rehashing in place when a table runs out of room
    /// while at most half full, and if the user's `Hash` panics during that rehash it
    /// drops the elements it has not placed yet: values silently lost. Growing through a
    /// reallocation instead is panic-safe (the old table stays intact until the new one
    /// is complete), so every growth goes through [`Control::reserve`], which always
    /// reallocates.
    #[cold]
    #[inline(never)]
    fn grow_cold<T>(&mut self, table: &mut HashTable<T>, hasher: impl Fn(&T) -> u64) {
        // Infallible growth aborts on allocation failure (as std's does); overflow panics.
        crate::error::or_abort(self.reserve(table, 1, hasher));
    }

    /// Reserve room for `additional` elements, always by reallocating (never by an
    /// in-place rehash; see [`Control::grow_cold`]).
    ///
    /// Where hashbrown would rehash in place (tombstones used up the room of a table at
    /// most half full), the table is rebuilt at the same size in a new allocation, as
    /// `std` keeps its size there: a table churning at a constant length does not grow.
    /// A table that may grow forgets its cached shrink threshold (see `shrink_below`).
    pub(crate) fn reserve<T>(
        &mut self,
        table: &mut HashTable<T>,
        additional: usize,
        hasher: impl Fn(&T) -> u64,
    ) -> Result<(), TryReserveError> {
        if additional <= table.capacity() - table.len() {
            return Ok(());
        }
        self.invalidate();
        let full = full_capacity(table.num_buckets());
        let wanted = table.len().checked_add(additional).ok_or(TryReserveError::CapacityOverflow)?;
        if wanted <= full / 2 {
            return Self::rebuild_same_size(table, hasher);
        }
        // More than half full: hashbrown grows by reallocating.
        table.try_reserve(additional, hasher).map_err(TryReserveError::from_hashbrown)
    }

    /// Rebuild `table` at its bucket count in a new allocation, dropping its tombstones.
    /// Every element is hashed before any moves, so a panicking `hasher` changes nothing.
    #[cold]
    #[inline(never)]
    fn rebuild_same_size<T>(table: &mut HashTable<T>, hasher: impl Fn(&T) -> u64) -> Result<(), TryReserveError> {
        let buckets = table.num_buckets();
        let mut hashes = Vec::new();
        hashes.try_reserve_exact(table.len()).map_err(|_| TryReserveError::for_vec::<u64>(table.len()))?;
        hashes.extend((0..buckets).filter_map(|index| table.get_bucket(index)).map(&hasher));
        let mut fresh = HashTable::new();
        fresh
            .try_reserve(full_capacity(buckets), |_| unreachable!("an empty table rehashes nothing"))
            .map_err(TryReserveError::from_hashbrown)?;
        debug_assert_eq!(fresh.num_buckets(), buckets);
        let mut hashes = hashes.into_iter();
        for index in 0..buckets {
            if let Ok(entry) = table.get_bucket_entry(index) {
                let (elem, _) = entry.remove();
                // Hashed in the same bucket order above; sized to fit, so no rehash.
                let hash = hashes.next().unwrap_or_default();
                fresh.insert_unique(hash, elem, |_| unreachable!("sized to fit"));
            }
        }
        *table = fresh;
        Ok(())
    }

    /// Forget the cached threshold (after the policy or the floor changed, or before the
    /// table grows: the threshold was computed for fewer buckets): the next removal
    /// computes it. Every path that can grow a table calls this.
    pub(crate) fn invalidate(&mut self) {
        self.checked_shift = 0;
        self.shrink_below = u32::MAX;
    }

    /// `true` unless the cached threshold was computed for a smaller table than `buckets`
    /// (a growth that did not call [`invalidate`](Self::invalidate)).
    fn threshold_current(&self, buckets: usize) -> bool {
        self.shrink_below == u32::MAX || self.checked_shift >= bucket_shift(buckets)
    }

    #[cold]
    #[inline(never)]
    fn shrink_slow<T>(&mut self, table: &mut HashTable<T>, hasher: impl Fn(&T) -> u64, slot: &mut PanicSlot) {
        // The bucket count decides, not `capacity()`: tombstones lower the latter
        // without freeing anything.
        let buckets = table.num_buckets();
        let len = table.len();
        let policy = self.policy_for(buckets, core::mem::size_of::<T>());
        if let Some(target) = policy.shrink_target(len, full_capacity(buckets), self.floor()) {
            if target == 0 && keeps_when_empty(buckets, core::mem::size_of::<T>()) {
                // An emptied small table stays (freeing it would make an insert/remove
                // pair toggling between 0 and 1 entries allocate and free on every
                // pair); not checked again at this size.
                self.remember(buckets, 0);
                return;
            }
            let mut shrunk = false;
            slot.run(|| {
                table.shrink_to(target, hasher);
                shrunk = true;
            });
            if !shrunk {
                // `Hash` panicked (see `maybe_shrink`): try again only once the table
                // has emptied much further, and at the latest when it is empty (which
                // shrinking rehashes nothing for).
                self.remember(buckets, (len / 2).max(1));
                return;
            }
            if table.num_buckets() < buckets {
                self.count_shrink();
            } else {
                // Rounding to a power of two (or the floor) kept the bucket count: try
                // again only once the table has emptied much further.
                self.remember(buckets, (len / 2).max(1));
                return;
            }
        }
        let buckets = table.num_buckets();
        let policy = self.policy_for(buckets, core::mem::size_of::<T>());
        self.remember(buckets, policy.shrink_threshold(full_capacity(buckets), self.floor()));
    }

    /// Cache `threshold` as the shrink threshold of a table of `buckets` buckets.
    fn remember(&mut self, buckets: usize, threshold: usize) {
        match u32::try_from(threshold) {
            Ok(threshold) => {
                self.shrink_below = threshold;
                self.checked_shift = bucket_shift(buckets);
            }
            // Tables of billions of entries recompute on every removal instead.
            Err(_) => self.invalidate(),
        }
    }

    /// The policy for a table of `buckets` buckets of `size` bytes: the map's own, or
    /// for a small table its [`lazier`](ShrinkPolicy::lazier) form. Halving a small table
    /// frees little for a reallocation and a rehash, and a map of maps pays that for
    /// every inner map as it empties; waiting until it is 4× emptier skips most of
    /// those steps while memory stays proportional to the live entries.
    #[inline]
    fn policy_for(&self, buckets: usize, size: usize) -> ShrinkPolicy {
        self.policy_for_bytes(buckets.saturating_mul(size))
    }

    /// [`policy_for`](Self::policy_for) a table whose buckets take `bytes` (also the
    /// arena's index, whose chunks are not buckets).
    #[inline]
    pub(crate) fn policy_for_bytes(&self, bytes: usize) -> ShrinkPolicy {
        if bytes <= SMALL_TABLE_BYTES {
            self.shrink.lazier()
        } else {
            self.shrink
        }
    }
}

/// `true` if a table of `buckets` buckets of `size` bytes is kept when a removal empties
/// it: at most 16 buckets (the smallest table hashbrown makes for any element size has
/// 4 to 16) and at most `SMALL_TABLE_BYTES` of them. A larger emptied table is freed;
/// the next insert then allocates a smallest table, which stays: an insert/remove pair
/// toggling between 0 and 1 entries reallocates at most once.
pub(crate) fn keeps_when_empty(buckets: usize, size: usize) -> bool {
    buckets <= 16 && buckets.saturating_mul(size) <= SMALL_TABLE_BYTES
}

/// The `floor_shift` of a floor of `floor` elements (0 for no floor).
fn floor_shift(floor: usize) -> u8 {
    if floor == 0 {
        0
    } else {
        bucket_shift(buckets_for(floor))
    }
}

/// The bucket count of the smallest `hashbrown` table with room for `capacity` elements
/// (the inverse of [`full_capacity`]), at most `2^(usize::BITS - 1)`.
pub(crate) fn buckets_for(capacity: usize) -> usize {
    let eighths = (capacity as u128 * 8).div_ceil(7);
    eighths.next_power_of_two().min(1 << (usize::BITS - 1)) as usize
}

/// `log2(buckets) + 1` (`buckets` is a power of two; 0 never comes out).
#[inline(always)]
fn bucket_shift(buckets: usize) -> u8 {
    buckets.trailing_zeros() as u8 + 1
}

/// A table whose buckets take at most this many bytes shrinks by its policy's
/// [`lazier`](ShrinkPolicy::lazier) form.
pub(crate) const SMALL_TABLE_BYTES: usize = 4096;

/// How many elements a `hashbrown` table of `buckets` buckets holds when it has no
/// tombstones (its load factor is 7/8; tiny tables keep one bucket free).
#[inline]
pub(crate) fn full_capacity(buckets: usize) -> usize {
    if buckets < 8 {
        buckets.saturating_sub(1)
    } else {
        buckets / 8 * 7
    }
}

/// A hash table of `T` with a shrink policy, a floor and counters (`repr(C)`: the table
/// header, then [`Control`]'s hot fields).
#[derive(Clone)]
#[repr(C)]
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
        Self { table: HashTable::with_capacity(capacity), ctl: Control::with_floor(capacity) }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.table.capacity()
    }

    /// Heap bytes held by the table itself and its counters (not by what its elements
    /// own).
    pub(crate) fn allocation_size(&self) -> usize {
        self.table.allocation_size() + self.ctl.counters.heap_bytes()
    }

    /// Remove the first element matching `eq`, counted for `cause` if there is one (a
    /// map of maps counts its inner maps' removals in its own stats), then shrink if due
    /// (a panic of `hasher` while shrinking goes to `slot`, for the caller to re-raise
    /// once it is done with the element).
    #[inline]
    pub(crate) fn remove(
        &mut self,
        hash: u64,
        eq: impl FnMut(&T) -> bool,
        cause: Option<RemovalCause>,
        hasher: impl Fn(&T) -> u64,
        slot: &mut PanicSlot,
    ) -> Option<T> {
        let (value, _) = self.table.find_entry(hash, eq).ok()?.remove();
        self.ctl.after_removal(&mut self.table, cause, 1, hasher, slot);
        Some(value)
    }

    /// Keep the elements for which `keep` returns `true`; the others go to `reject`
    /// (counted for `cause`, if there is one), then the table shrinks if due. A panic of
    /// `keep` ends the scan and propagates after the elements already rejected are
    /// counted and the table has shrunk.
    pub(crate) fn retain_with(
        &mut self,
        mut keep: impl FnMut(&mut T) -> bool,
        mut reject: impl FnMut(T),
        cause: Option<RemovalCause>,
        hasher: impl Fn(&T) -> u64,
    ) {
        let mut removed = 0u64;
        let buckets = self.table.num_buckets();
        let table = &mut self.table;
        // `keep`'s panic is kept first, so it is the one re-raised after the shrink.
        let mut slot = PanicSlot::default();
        slot.run(|| {
            for index in 0..buckets {
                let Ok(mut entry) = table.get_bucket_entry(index) else { continue };
                if !keep(entry.get_mut()) {
                    let (value, _) = entry.remove();
                    removed += 1;
                    reject(value);
                }
            }
        });
        self.ctl.after_removal(&mut self.table, cause, removed, hasher, &mut slot);
        slot.resume();
    }

    /// Take every element out, leaving the table empty at its floor (or at its current
    /// capacity if the policy never shrinks), counting them for `cause` if there is one.
    pub(crate) fn take_all(&mut self, cause: Option<RemovalCause>) -> HashTable<T> {
        let keep = if self.ctl.shrink_policy().is_never() {
            full_capacity(self.table.num_buckets())
        } else {
            self.ctl.floor()
        };
        let old = core::mem::replace(&mut self.table, HashTable::with_capacity(keep));
        if old.num_buckets() > self.table.num_buckets() {
            self.ctl.count_shrink();
        }
        if let Some(cause) = cause {
            self.ctl.counters.removed(cause, old.len() as u64);
        }
        old
    }

    /// Drop every element (each drop runs even if another panics; the first panic is
    /// re-raised), leaving the table at its floor; they are counted for `cause`, if
    /// there is one.
    pub(crate) fn clear(&mut self, cause: Option<RemovalCause>) {
        if self.table.is_empty() {
            // As `take_all`: everything back down to the floor (a removal that empties
            // the table keeps the smallest one instead; see `Control::shrink_slow`),
            // unless the policy never shrinks.
            if self.ctl.shrink_policy().is_never() {
                return;
            }
            let buckets = self.table.num_buckets();
            self.table.shrink_to(self.ctl.floor(), |_| unreachable!("an empty table rehashes nothing"));
            if self.table.num_buckets() < buckets {
                self.ctl.count_shrink();
            }
            return;
        }
        let old = self.take_all(cause);
        drop_each(old);
    }

    /// Reserve room for `additional` more elements, by reallocating (never by an
    /// in-place rehash, which loses elements if `hasher` panics; see
    /// [`Control::grow_cold`]).
    pub(crate) fn try_reserve(&mut self, additional: usize, hasher: impl Fn(&T) -> u64) -> Result<(), TryReserveError> {
        self.ctl.reserve(&mut self.table, additional, hasher)
    }

    /// Explicitly shrink to `min_capacity` (or the length), lowering the floor to match.
    pub(crate) fn shrink_to(&mut self, min_capacity: usize, hasher: impl Fn(&T) -> u64) {
        self.ctl.floor_shift = self.ctl.floor_shift.min(floor_shift(min_capacity));
        self.ctl.invalidate();
        let before = self.table.num_buckets();
        self.table.shrink_to(min_capacity, hasher);
        if self.table.num_buckets() < before {
            self.ctl.count_shrink();
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
        let full = full_capacity(self.table.num_buckets());
        let floor = self.ctl.floor();
        assert!(full >= floor, "validate: room for {full} fell below the floor {floor}");
        assert!(
            self.ctl.threshold_current(self.table.num_buckets()),
            "validate: the table grew past the bucket count its cached shrink threshold was computed for"
        );
    }
}

/// Drop every element of `table`, one at a time: a panicking `Drop` does not stop the
/// others (the first panic is re-raised once all are dropped).
pub(crate) fn drop_each<T>(table: HashTable<T>) {
    drop_rest(&mut table.into_iter());
}

/// Drop every element `iter` has left, each one even if another's `Drop` panics; the
/// first panic is re-raised at the end.
pub(crate) fn drop_rest<T>(iter: &mut impl Iterator<Item = T>) {
    if !core::mem::needs_drop::<T>() {
        return;
    }
    let mut slot = PanicSlot::default();
    for elem in iter {
        slot.run(|| drop(elem));
    }
    slot.resume();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hash that spreads consecutive integers.
    fn spread(x: &u64) -> u64 {
        x.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    /// Insert `x` as the maps do: room first (by reallocating), then the element.
    fn put(t: &mut RawTable<u64>, h: impl Fn(&u64) -> u64 + Copy, x: u64) {
        match t.ctl.entry(&mut t.table, h(&x), |y| *y == x, h) {
            hashbrown::hash_table::Entry::Vacant(v) => drop(v.insert(x)),
            hashbrown::hash_table::Entry::Occupied(_) => unreachable!("{x} is new"),
        }
    }

    /// Remove `x`, which must be present, as an explicit removal (shrinking if due).
    fn take(t: &mut RawTable<u64>, h: impl Fn(&u64) -> u64 + Copy, x: u64) {
        t.remove(h(&x), |y| *y == x, Some(RemovalCause::Explicit), h, &mut PanicSlot::default()).unwrap();
    }

    /// A table that ran out of room while at most half full (tombstones) must grow by
    /// reallocating: a hasher that panics then loses nothing. hashbrown's in-place rehash
    /// would drop the elements it had not placed yet.
    #[test]
    fn growth_with_a_panicking_hasher_loses_nothing() {
        use core::cell::Cell;
        // All elements in one probe sequence, so removals leave tombstones.
        let armed = Cell::new(false);
        let h = |x: &u64| {
            if armed.get() {
                panic!("hasher panic during growth");
            }
            *x & 1
        };
        let mut t: RawTable<u64> = RawTable::default();
        t.ctl.set_shrink_policy(ShrinkPolicy::never());
        let mut i = 0;
        while t.len() < 100 || t.table.capacity() > t.len() {
            put(&mut t, h, i);
            i += 1;
        }
        let full = t.len() as u64;
        for j in 0..full / 2 + 1 {
            take(&mut t, h, j);
        }
        assert_eq!(t.table.capacity(), t.len(), "tombstones took all the room");
        assert!(t.len() <= full_capacity(t.table.num_buckets()) / 2);
        armed.set(true);
        // Looking up a new element finds the table full: it grows (calling `h`).
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = t.ctl.entry(&mut t.table, 3, |_| false, h);
        }));
        assert!(r.is_err());
        armed.set(false);
        for j in full / 2 + 1..full {
            assert!(t.table.find(h(&j), |x| *x == j).is_some(), "element {j} lost");
        }
        t.validate(h, |a, b| a == b);
    }

    /// A table of at most `SMALL_TABLE_BYTES` of buckets shrinks by the lazier policy:
    /// emptying 100 entries reallocates once (at a sixteenth full, to 16 buckets, which
    /// an emptied table keeps), not at every halving, and memory stays within 16× the
    /// live entries.
    #[test]
    fn small_tables_shrink_lazily() {
        let h = spread;
        let mut t: RawTable<u64> = RawTable::default();
        for i in 0..100u64 {
            put(&mut t, h, i);
        }
        assert!(t.table.num_buckets() * core::mem::size_of::<u64>() <= SMALL_TABLE_BYTES);
        for i in 0..100u64 {
            take(&mut t, h, i);
            let (len, room) = (t.len(), full_capacity(t.table.num_buckets()));
            assert!(room <= (16 * len).max(7) * 2, "room for {room} with {len} left");
        }
        assert_eq!(t.ctl.stats().shrinks, 1);
        assert_eq!(t.table.num_buckets(), 16, "emptied: a table of at most 16 buckets stays");
        t.validate(h, |a, b| a == b);
    }

    /// An insert/remove pair toggling between 0 and 1 entries reallocates at most once,
    /// as at every other boundary (an emptied table that was given back entirely was
    /// allocated again by the next insert, on every pair).
    #[test]
    fn toggling_at_empty_does_not_reallocate() {
        let h = spread;
        let mut t: RawTable<u64> = RawTable::default();
        for i in 0..1000u64 {
            put(&mut t, h, i);
        }
        for i in 0..1000u64 {
            take(&mut t, h, i);
        }
        let shrinks = t.ctl.stats().shrinks;
        let at = t.table.allocation_size();
        for _ in 0..100 {
            put(&mut t, h, 7);
            take(&mut t, h, 7);
            assert_eq!(t.table.allocation_size(), at, "the table was reallocated");
        }
        assert_eq!(t.ctl.stats().shrinks, shrinks);
        assert_eq!(t.ctl.shrink_below, 0, "an empty smallest table is never checked again at its size");
        t.validate(h, |a, b| a == b);
    }

    #[test]
    fn control_is_32_bytes_and_counts_shrinks_without_a_block() {
        assert_eq!(core::mem::size_of::<Control>(), 32);
        let mut c = Control::default();
        for _ in 0..255 {
            c.count_shrink();
        }
        assert_eq!((c.shrinks(), c.counters.heap_bytes()), (255, 0), "no block for the first 255");
        c.count_shrink();
        c.count_shrink();
        assert_eq!(c.shrinks(), 257);
        assert_eq!(c.stats().shrinks, 257);
    }

    #[test]
    fn buckets_for_inverts_full_capacity() {
        for shift in 0..40 {
            let buckets = 1usize << shift;
            assert_eq!(buckets_for(full_capacity(buckets)), buckets, "{buckets} buckets");
            assert_eq!(buckets_for(full_capacity(buckets) + 1), buckets * 2, "one past {buckets}");
        }
        assert_eq!(buckets_for(usize::MAX), 1 << (usize::BITS - 1), "clamped");
    }

    #[test]
    fn the_floor_is_the_room_of_the_smallest_table_that_holds_it() {
        for n in [1usize, 3, 4, 7, 8, 14, 15, 100, 1000, 4096, 1 << 40] {
            let floor = Control::with_floor(n).floor();
            assert!(floor >= n, "{n}: {floor}");
            let buckets = 1usize << (floor_shift(n) - 1);
            assert!(buckets < 4 || full_capacity(buckets / 2) < n, "{n}: {buckets} buckets is not the smallest");
        }
        assert_eq!(Control::with_floor(0).floor(), 0);
        assert_eq!(
            Control::with_floor(usize::MAX).floor(),
            full_capacity(1 << (usize::BITS - 1)),
            "clamped to the largest table"
        );
        let t: RawTable<u64> = RawTable::with_capacity(1000);
        assert_eq!(t.ctl.floor(), full_capacity(t.table.num_buckets()), "as with_capacity allocates");
    }

    #[test]
    fn shrinks_after_removals_and_respects_floor() {
        let h = spread;
        let n = if cfg!(miri) { 400 } else { 10_000u64 };
        let mut t = RawTable::with_capacity(64);
        for i in 0..n {
            put(&mut t, h, i);
        }
        let peak = t.table.num_buckets();
        for i in 0..n {
            take(&mut t, h, i);
            assert!(full_capacity(t.table.num_buckets()) >= 64, "the floor holds");
            if i % (n / 20) == 0 {
                t.validate(h, |a, b| a == b);
            }
        }
        assert!(t.table.num_buckets() < peak);
        assert!(t.ctl.stats().shrinks > 0);
    }
}
