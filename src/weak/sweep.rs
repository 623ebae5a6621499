//! The pruning machinery of [`WeakKeyMap`]: the incremental sweep, the sweep before
//! growth, and the full sweep (see the module docs of [`super`]).

use super::{stored_hash, Slot, WeakKey, WeakKeyMap, SWEEP_STEP};
use crate::error::or_abort;
use crate::policy::{Finalizer, PanicSlot, RemovalCause, Small};
use crate::raw::RawTable;

impl<K: WeakKey, V, S, F: Finalizer<K, V>> WeakKeyMap<K, V, S, F> {
    /// One incremental sweep step: examine the next [`SWEEP_STEP`] buckets.
    #[inline]
    pub(super) fn sweep_step(&mut self) {
        if self.raw.table.is_empty() {
            return;
        }
        self.sync_cursor();
        for step in 0..SWEEP_STEP {
            if self.cursor >= self.cursor_buckets {
                self.cursor = 0;
            }
            let index = self.cursor;
            self.cursor += 1;
            if self.raw.table.get_bucket(index).is_some_and(|s| s.key.is_dead()) {
                self.sweep_cold(index, SWEEP_STEP - 1 - step);
                return;
            }
        }
    }

    /// The rest of a sweep step once a dead entry was found at `first`: remove it,
    /// examine `remaining` more buckets, shrink if due.
    #[cold]
    #[inline(never)]
    fn sweep_cold(&mut self, first: usize, remaining: usize) {
        let mut slot = PanicSlot::default();
        let Self { raw, finalizer, cursor, cursor_buckets, .. } = self;
        remove_if_dead(raw, finalizer, &mut slot, first);
        for _ in 0..remaining {
            if *cursor >= *cursor_buckets {
                *cursor = 0;
            }
            remove_if_dead(raw, finalizer, &mut slot, *cursor);
            *cursor += 1;
        }
        raw_shrink(raw);
        self.sync_cursor();
        slot.resume();
    }

    /// One complete pass over the table, removing dead entries; then shrink if due.
    /// Returns how many were removed. Panics of user code are kept in `slot`.
    pub(super) fn sweep_all(&mut self, slot: &mut PanicSlot) -> usize {
        let Self { raw, finalizer, .. } = self;
        let mut removed = 0;
        for index in 0..raw.table.num_buckets() {
            removed += remove_if_dead(raw, finalizer, slot, index) as usize;
        }
        if removed > 0 {
            raw_shrink(raw);
        }
        self.sync_cursor();
        removed
    }

    /// Called before an insert that may add an entry: a full sweep before the table
    /// would grow, then room for at least `buckets / 16` more entries.
    #[inline]
    pub(super) fn before_insert(&mut self) {
        if self.raw.table.len() == self.raw.table.capacity() {
            self.make_room();
        }
    }

    #[cold]
    #[inline(never)]
    fn make_room(&mut self) {
        let mut slot = PanicSlot::default();
        self.sweep_all(&mut slot);
        let want = (self.raw.table.num_buckets() / 16).max(1);
        if self.raw.table.capacity() - self.raw.table.len() < want {
            or_abort(self.raw.try_reserve(want, stored_hash));
            self.sync_cursor();
        }
        slot.resume();
    }

    /// Restart the cursor if the table was resized since it last moved.
    #[inline]
    pub(super) fn sync_cursor(&mut self) {
        let buckets = self.raw.table.num_buckets();
        if buckets != self.cursor_buckets {
            self.cursor_buckets = buckets;
            self.cursor = 0;
        }
    }
}

/// Remove the entry at `index` if its key is dead, finalizing its value as `Collected`.
#[inline]
pub(super) fn remove_if_dead<K: WeakKey, V, F: Finalizer<K, V>>(
    raw: &mut RawTable<Slot<K, V>>,
    finalizer: &mut F,
    slot: &mut PanicSlot,
    index: usize,
) -> bool {
    let Ok(entry) = raw.table.get_bucket_entry(index) else { return false };
    if !entry.get().key.is_dead() {
        return false;
    }
    let (s, _) = entry.remove();
    raw.ctl.counters.removed(RemovalCause::Collected, 1);
    raw.ctl.counters.add(Small::Pruned, 1);
    slot.run(|| finalizer.finalize(s.key, s.value, RemovalCause::Collected));
    true
}

/// Shrink the table if its policy says so (after a sweep removed entries).
#[inline]
pub(super) fn raw_shrink<K, V>(raw: &mut RawTable<Slot<K, V>>) {
    raw.ctl.maybe_shrink_now(&mut raw.table, stored_hash);
}
