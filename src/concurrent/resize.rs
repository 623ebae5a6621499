//! Resizing: when a table grows or shrinks, and how writers help a migration along.
//!
//! A resize allocates the successor table; every writer then migrates a chunk of buckets
//! (`Table::migrate_chunk`), and the thread that migrates the last bucket makes the
//! successor the root and retires the old table (or leaves that to the last walker, see
//! `walk.rs`). The invariants are those of `core.rs` (at most two live tables; generation
//! `g + 1` only once every table older than `g` was freed).

use core::ptr;

use super::core::Inner;
use super::evict::ghost_slots;
use super::pool::{Pin, SlotCounters};
use super::table::{Table, CHUNK, MAX_BUCKETS, MIN_BUCKETS};
use crate::error::or_abort;
use crate::loom::Ordering;

/// Buckets for a table meant to hold `entries` entries at a load factor of at most 3/4.
pub(crate) fn buckets_for(entries: usize) -> usize {
    entries.saturating_add(entries / 3).clamp(MIN_BUCKETS, MAX_BUCKETS).next_power_of_two()
}

/// `true` if `len` entries load a table of `buckets` buckets above 3/4: chains stay
/// short (half an entry per bucket on average after growing), so lookups rarely walk
/// past the first node.
#[inline]
pub(super) fn overloaded(len: usize, buckets: usize) -> bool {
    len.saturating_mul(4) > buckets.saturating_mul(3)
}

/// Write operations per slot between load checks (every one under loom, so that models
/// resize deterministically).
pub(super) const RESIZE_CHECK_EVERY: usize = if cfg!(leakless_loom) { 1 } else { 8 };

/// Reads per slot between a reader's maintenance steps (see
/// [`Inner::read_maintenance`]); rare enough to cost a read a counter bump, and never
/// reached by the loom models' few reads.
pub(crate) const READ_MAINTAIN_EVERY: usize = 64;

/// Buckets one write visits at most when helping a migration.
pub(super) const HELP_BUCKETS: usize = if cfg!(leakless_loom) { 2 } else { 4096 };

impl<K, V, S> Inner<K, V, S> {
    /// Helps a migration of `table`, if one runs: chunks of buckets until about
    /// [`CHUNK`] nodes moved or [`HELP_BUCKETS`] buckets visited, so that emptied tables
    /// (a shrink) migrate quickly while full ones keep each write's share bounded.
    #[inline]
    pub(super) fn help(&self, table: &Table<K, V>, pin: &Pin<'_, K, V>) {
        if table.next.load(Ordering::Acquire).is_null() {
            return;
        }
        let mut moved = 0;
        for _ in 0..HELP_BUCKETS / CHUNK {
            // SAFETY: `table` was reached from the root under `pin`; `next` is set.
            match unsafe { table.migrate_chunk() } {
                None => return,
                Some((true, _)) => {
                    self.finish_resize(table, pin);
                    return;
                }
                Some((false, n)) => {
                    moved += n;
                    if moved >= CHUNK {
                        return;
                    }
                }
            }
        }
    }

    /// Makes `table`'s successor the root and retires `table` (or leaves that to the
    /// last walker).
    pub(super) fn finish_resize(&self, table: &Table<K, V>, pin: &Pin<'_, K, V>) {
        let next = table.next.load(Ordering::Acquire);
        // SAFETY: `next` is set and lives at least as long as `table`.
        if unsafe { (*next).len() } < table.len() {
            SlotCounters::bump(&pin.slot().counters.shrinks, 1);
        }
        // Only a root resizes, and only its finisher moves the root on; the swap also
        // yields the table pointer with its allocation's provenance, for freeing. It is
        // `SeqCst` like the walker's registration (`walkers` then `root`, see `walk.rs`)
        // that it races with: with both sides in the single total order, a walker that
        // still read the old root is seen in `walkers` below (store buffering).
        let old = self.root.swap(next, Ordering::SeqCst);
        debug_assert!(ptr::eq(old, table), "only the root table resizes");
        // SAFETY: `next` is the root now, and our pin keeps it.
        self.hint.set(unsafe { &*next });
        self.retire_pending.store(old, Ordering::SeqCst);
        if self.walkers.load(Ordering::SeqCst) == 0 {
            self.retire_if_pending(pin);
        }
    }

    pub(super) fn retire_if_pending(&self, pin: &Pin<'_, K, V>) {
        let old = self.retire_pending.swap(ptr::null_mut(), Ordering::SeqCst);
        if !old.is_null() {
            // SAFETY: `old` left the root and is fully migrated; the swap hands it to
            // exactly one retirer.
            unsafe { self.garbage.retire_table(&pin.guard, old) };
        }
    }

    /// Starts a resize of `table` (the root, not already resizing) if its load calls for
    /// one: growth when `len` exceeds 3/4 of the buckets, shrinking by the shrink policy.
    /// A map bounded by entries never grows past [`buckets_for`] its bound.
    #[inline(never)]
    pub(super) fn maybe_resize(&self, table: &Table<K, V>, pin: &Pin<'_, K, V>, grow: bool) {
        if !table.next.load(Ordering::Acquire).is_null() || !ptr::eq(self.root.load(Ordering::Acquire), table) {
            return;
        }
        let target = if grow {
            let limit = match self.bound.as_ref().and_then(|b| b.capacity.max_entries()) {
                // As many as an unbounded map of the bound's size has: a full cache (its
                // steady state) keeps its chains as short, at most 3/4 of an entry per
                // bucket. Growing only to the bound rounded up to a power of two, a bound
                // of `2^k` entries ran at a whole entry per bucket, where a hit walks past
                // the first node of its chain every other lookup (1.5 nodes on average,
                // against 1.25 at half an entry per bucket), each node a likely cache miss.
                Some(m) => buckets_for(m),
                None => MAX_BUCKETS,
            };
            // A full cache's table is at its limit: no need to sum the slots' counts.
            if table.len() >= limit {
                return;
            }
            let len = self.len();
            if !overloaded(len, table.len()) {
                return;
            }
            buckets_for(len).max(table.len() * 2).min(limit)
        } else {
            let len = self.len();
            match self.shrink.shrink_target(len, table.len(), self.floor) {
                // The policy's target is room for twice `len` (or the floor, which is in
                // buckets already and applied below).
                Some(_) => buckets_for(len.saturating_mul(2)).max(self.floor),
                None => return,
            }
        };
        if target == table.len() || (!grow && target > table.len()) {
            return;
        }
        let started = or_abort(self.start_resize(table, pin, target));
        if !grow {
            // A shrink left to later writes: readers look again (see `read_maintenance`).
            self.shrink_deferred.store(!started, core::sync::atomic::Ordering::Relaxed);
        }
        if started {
            self.help(table, pin);
        }
    }

    /// Gives the root `table` a successor of `buckets` buckets. `Ok(true)` if it has one
    /// now (ours, or another thread's that won the race); `Ok(false)` if the resize is
    /// left to later writes: the previous table still waits for a pinned reader, or a
    /// walker runs.
    fn start_resize(
        &self,
        table: &Table<K, V>,
        pin: &Pin<'_, K, V>,
        buckets: usize,
    ) -> Result<bool, crate::TryReserveError> {
        if self.garbage.tables_freed.load(Ordering::Acquire) < table.generation {
            // The previous table waits for readers; try to move the epoch along.
            self.garbage.flush(&pin.guard);
            if self.garbage.tables_freed.load(Ordering::Acquire) < table.generation {
                return Ok(false);
            }
        }
        if self.walkers.load(Ordering::SeqCst) != 0 {
            return Ok(false);
        }
        let fresh = Table::try_alloc(buckets, table.generation + 1, ghost_slots(self.bound.as_ref(), buckets))?;
        if table.next.compare_exchange(ptr::null_mut(), fresh, Ordering::SeqCst, Ordering::Acquire).is_err() {
            // SAFETY: `fresh` was never published.
            drop(unsafe { Box::from_raw(fresh) });
        }
        Ok(true)
    }

    /// `true` once every [`READ_MAINTAIN_EVERY`] reads through `pin`'s slot: the read
    /// then ends with [`read_maintenance`](Self::read_maintenance).
    #[inline(always)]
    pub(crate) fn read_due(&self, pin: &Pin<'_, K, V>) -> bool {
        pin.slot().reads.with_mut(|r| {
            // SAFETY: the counter belongs to the slot we hold.
            let r = unsafe { &mut *r };
            *r = r.wrapping_add(1);
            *r % READ_MAINTAIN_EVERY == 0
        })
    }

    /// A write's maintenance, run by a reader now and then: helps a migration, retries
    /// a shrink that removals left for later (and no other: reads alone never give
    /// back room set aside by `try_reserve`), flushes due garbage and drains it once
    /// unpinned. So a map that is only read after a burst of removals (or after a
    /// long-pinned reader) still gives its table and garbage back within a bounded
    /// number of operations.
    ///
    /// Skipped inside user code that runs under a bucket lock (see `locked`): helping a
    /// migration could wait for the lock this thread holds, and the drain would run
    /// finalizers under it.
    #[cold]
    #[inline(never)]
    pub(crate) fn read_maintenance(&self, pin: Pin<'_, K, V>) {
        if !super::locked::may_maintain() {
            return;
        }
        match self.root(&pin) {
            Some(table) => {
                // A resize's finisher points the hint at the new root, but two finishers
                // may store out of order: readers set it right now and then.
                self.hint.set(table);
                let table: *const Table<K, V> = table;
                // SAFETY: reached from the root under `pin`.
                self.help(unsafe { &*table }, &pin);
                if self.shrink_deferred.load(core::sync::atomic::Ordering::Relaxed) {
                    self.end_write(pin, table, Some(false), true);
                } else {
                    self.end_write(pin, ptr::null(), None, false);
                }
            }
            None => self.end_write(pin, ptr::null(), None, false),
        }
    }

    /// The end of a write whose evictions lowered the entry count by `evicted` (a weight
    /// bound making room, possibly 0 for a replacement): a shrink check, at once if the
    /// write evicted a check interval's worth of entries (one heavy insert can empty
    /// most of the map), else as often as removals check.
    ///
    /// `table` must have been reached from the root under `pin`.
    pub(super) fn end_evicting_write(&self, pin: Pin<'_, K, V>, table: &Table<K, V>, evicted: usize) {
        if evicted == 0 {
            self.end_write(pin, ptr::null(), None, false);
        } else {
            self.end_write(pin, table, Some(false), evicted >= RESIZE_CHECK_EVERY);
        }
    }

    /// The end of every write: resize check, maintenance, then (unpinned) draining.
    ///
    /// `table` (if non-null) must have been reached from the root under `pin`. Inlined
    /// into each write: the common case is two counter bumps and a flag check.
    #[inline(always)]
    pub(super) fn end_write(
        &self,
        pin: Pin<'_, K, V>,
        table: *const Table<K, V>,
        grow: Option<bool>,
        force_check: bool,
    ) {
        if let (false, Some(grow)) = (table.is_null(), grow) {
            // SAFETY: reached from the root under `pin` (the caller's contract).
            let t = unsafe { &*table };
            let due = pin.slot().checks.with_mut(|c| {
                // SAFETY: the counters belong to the slot we hold.
                let c = unsafe { &mut (*c)[usize::from(grow)] };
                *c = c.wrapping_add(1);
                *c % RESIZE_CHECK_EVERY == 0
            });
            if force_check || due {
                self.maybe_resize(t, &pin, grow);
            }
        }
        // A slot whose holder stopped writing (its thread exited) keeps up to a batch of
        // retired values: every full maintenance step seals one idle slot's, a lease
        // released by its thread's exit first, else the next slot in turn.
        self.garbage.maintain(
            &pin,
            || self.len(),
            || {
                self.pool.with_idle_slot(|slot| self.garbage.seal_slot(slot));
            },
        );
        drop(pin);
        self.drain();
    }

    /// Grows the table now so that `len() + additional` entries fit without a resize
    /// (for a map bounded by entries, at most up to the bound). Waits for a resize in
    /// progress and helps migrate. If an older table still waits for a pinned reader, or a
    /// walker runs, the growth is left to later writes (as any growth would be).
    pub(crate) fn try_reserve(&self, additional: usize) -> Result<(), crate::TryReserveError> {
        let mut want = self.len().checked_add(additional).ok_or(crate::TryReserveError::CapacityOverflow)?;
        if let Some(max) = self.bound.as_ref().and_then(|b| b.capacity.max_entries()) {
            want = want.min(max);
        }
        if want.checked_add(want / 3).is_none_or(|b| b > MAX_BUCKETS) {
            return Err(crate::TryReserveError::CapacityOverflow);
        }
        let target = buckets_for(want);
        let mut step = 0;
        loop {
            let pin = self.pin();
            let Some(table) = self.root(&pin) else {
                self.init_root(&pin, target.max(self.floor))?;
                continue;
            };
            if table.len() >= target {
                return Ok(());
            }
            if !table.next.load(Ordering::Acquire).is_null() {
                // A resize runs: help it to its end, then look again.
                if table.fully_migrated() {
                    drop(pin);
                    crate::loom::spin_wait(&mut step);
                } else {
                    self.help(table, &pin);
                }
                continue;
            }
            if !self.start_resize(table, &pin, target)? {
                return Ok(());
            }
        }
    }
}
