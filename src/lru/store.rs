//! The write path of [`LruMap`]: storing a new entry at the place its probe found
//! (evicting to make room, or turning it away), replacing a value, evicting down to the
//! limit, and where each departing value goes.

use core::hash::{BuildHasher, Hash};
use core::mem;
use std::panic::{self, AssertUnwindSafe};

use super::{hasher, Core, EntryWeigher, LruMap, Slot};
use crate::policy::{Capacity, EvictionPolicy, Finalizer, PanicSlot, RemovalCause};
use crate::raw::arena::{Entry, Vacant, MAX_SLOTS};

/// What [`LruMap::split`] returns: the arena and the rest of the map.
pub(super) type Split<'a, K, V, S, P, W, F> =
    (&'a mut Core<K, V, P, <W as EntryWeigher<K, V>>::Stored>, Store<'a, S, W, F>);

/// Hand `(k, v)` to the finalizer with `cause` (or just drop it), catching a panic into
/// `slot`. Costs nothing for [`NoopFinalizer`](crate::policy::NoopFinalizer) and types without drop glue.
#[inline(always)]
pub(super) fn dispose<K, V, F: Finalizer<K, V>>(
    finalizer: &mut F,
    slot: &mut PanicSlot,
    k: K,
    v: V,
    cause: RemovalCause,
) {
    if finalizer.is_noop() {
        if mem::needs_drop::<(K, V)>() {
            slot.run(|| drop((k, v)));
        }
    } else {
        slot.run(|| finalizer.finalize(k, v, cause));
    }
}

/// A new entry that needs more than one victim: what [`Store::place`] leaves to
/// [`LruMap::put_more`] (`victim` still in the map).
pub(super) struct More<K, V> {
    pub(super) key: K,
    pub(super) value: V,
    pub(super) w: u64,
    pub(super) victim: u32,
    pub(super) hand_back: bool,
}

/// An evicted entry: handed back if `hand_back`, else passed to the finalizer.
#[inline(always)]
pub(super) fn evicted<K, V, X, F: Finalizer<K, V>>(
    finalizer: &mut F,
    slot: &mut PanicSlot,
    old: Slot<K, V, X>,
    hand_back: bool,
) -> Option<(K, V)> {
    if hand_back {
        return Some((old.key, old.value));
    }
    dispose(finalizer, slot, old.key, old.value, RemovalCause::Evicted);
    None
}

/// The parts of an [`LruMap`] besides its arena that storing a new entry uses, and the
/// panic slot of the operation.
pub(super) struct Store<'a, S, W, F> {
    pub(super) hash_builder: &'a S,
    pub(super) bound: Bound,
    pub(super) weight: &'a mut u128,
    pub(super) weigher: &'a W,
    pub(super) finalizer: &'a mut F,
    pub(super) slot: &'a mut PanicSlot,
}

impl<S: BuildHasher, W, F> Store<'_, S, W, F> {
    /// Store a new entry of weight `w` at the place `v` found, without probing again:
    /// reject it if it alone exceeds the bound; else store it when it fits, or when one
    /// victim makes room (the new entry takes its slot; the victim goes to the caller if
    /// `hand_back`, else to the finalizer). `Err` if more than one victim must leave (a
    /// weight bound); nothing was evicted then.
    #[inline(always)]
    pub(super) fn place<K: Hash, V, P: EvictionPolicy>(
        &mut self,
        v: Vacant<'_, Slot<K, V, W::Stored>, P>,
        key: K,
        value: V,
        w: u64,
        hand_back: bool,
    ) -> Result<Put<K, V>, More<K, V>>
    where
        W: EntryWeigher<K, V>,
        F: Finalizer<K, V>,
    {
        if self.bound.rejects_single(W::UNIT, w) {
            return Ok(self.reject(v, key, value));
        }
        if !self.bound.is_exceeded_by(W::UNIT, v.nodes.len() + 1, *self.weight + u128::from(w)) {
            let i = v.push(Slot { key, value, weight: W::store(w) });
            *self.weight += u128::from(w);
            return Ok(Put { index: Some(i), out: None, out_evicted: false });
        }
        let Some(victim) = v.policy.victim(v.nodes) else {
            // A policy that stops evicting: the entry cannot be stored.
            return Ok(self.reject(v, key, value));
        };
        // (With a unit weigher, the victim's weight is a constant: no read.)
        let victim_w = if W::UNIT { 1 } else { W::load(v.nodes.item(victim).weight) };
        if self.bound.is_exceeded_by(W::UNIT, v.nodes.len(), *self.weight - u128::from(victim_w) + u128::from(w)) {
            return Err(More { key, value, w, victim, hand_back });
        }
        // One victim makes room: the new entry takes its slot (counted as an eviction
        // once the victim's `Hash` has run: if it panics, nothing changed).
        let old = v.replace(victim, Slot { key, value, weight: W::store(w) }, hasher(self.hash_builder));
        *self.weight = *self.weight - u128::from(victim_w) + u128::from(w);
        Ok(Put { index: Some(victim), out: evicted(self.finalizer, self.slot, old, hand_back), out_evicted: true })
    }

    /// Turn a new entry away: counted, and finalized as [`RemovalCause::Rejected`].
    #[cold]
    pub(super) fn reject<K, V, T, P: EvictionPolicy>(&mut self, mut v: Vacant<'_, T, P>, key: K, value: V) -> Put<K, V>
    where
        F: Finalizer<K, V>,
    {
        v.removed(RemovalCause::Rejected);
        dispose(self.finalizer, self.slot, key, value, RemovalCause::Rejected);
        Put { index: None, out: None, out_evicted: false }
    }
}

/// A [`Capacity`] as two plain numbers, so a bound check is two comparisons.
#[derive(Clone, Copy)]
pub(super) struct Bound {
    pub(super) len: usize,
    /// `u128::MAX` without a weight bound (a total can exceed `u64::MAX`).
    pub(super) weight: u128,
}

impl Bound {
    /// The bounds of `limit`; when every entry weighs 1 (`unit`), the weight bound is
    /// folded into the entry bound and the weight is never checked. The entry bound is
    /// at most [`MAX_SLOTS`], the most entries the arena can number, and is also the
    /// arena's `max_slots`: the one place the map's entry bound is computed.
    pub(super) fn of(limit: Capacity, unit: bool) -> Self {
        let len = limit.max_entries().unwrap_or(usize::MAX).min(MAX_SLOTS);
        let weight = limit.max_weight().map_or(u128::MAX, u128::from);
        if unit {
            Self { len: len.min(usize::try_from(weight).unwrap_or(usize::MAX)), weight: u128::MAX }
        } else {
            Self { len, weight }
        }
    }

    /// `true` if `len` entries of total `weight` do not fit ([`Capacity::is_exceeded_by`]).
    /// `unit` is the weigher's [`EntryWeigher::UNIT`], a constant: with a unit weigher
    /// the weight comparison compiles away (the weight bound is in `len`).
    #[inline(always)]
    pub(super) fn is_exceeded_by(self, unit: bool, len: usize, weight: u128) -> bool {
        len > self.len || (!unit && weight > self.weight)
    }

    /// `true` if one entry of `weight` alone does not fit ([`Capacity::rejects_single`]).
    #[inline(always)]
    pub(super) fn rejects_single(self, unit: bool, weight: u64) -> bool {
        self.is_exceeded_by(unit, 1, u128::from(weight))
    }
}

/// What a store did.
pub(super) struct Put<K, V> {
    /// The slot of the new entry, if it was stored and nothing moved it since.
    pub(super) index: Option<u32>,
    /// The pair handed back: the old value of the same key, or the first victim.
    pub(super) out: Option<(K, V)>,
    /// `out` is a victim (evicted), not the key's old value.
    pub(super) out_evicted: bool,
}

impl<K, V, S, P, W, F> LruMap<K, V, S, P, W, F>
where
    K: Eq + Hash,
    S: BuildHasher,
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    /// Store `(key, value)`; the pair handed back (see [`push`](Self::push)).
    #[inline]
    pub(super) fn put(&mut self, key: K, value: V, hand_back: bool, slot: &mut PanicSlot) -> Put<K, V> {
        let hash = self.hash_builder.hash_one(&key);
        let (core, mut store) = self.split(slot);
        let i = match core.entry(hash, |e| e.key == key, hasher(store.hash_builder)) {
            Entry::Occupied(i) => i,
            Entry::Vacant(v) => {
                let w = store.weigher.weigh(&key, &value);
                return match store.place(v, key, value, w, hand_back) {
                    Ok(put) => put,
                    Err(more) => self.put_more(hash, more, slot),
                };
            }
        };
        let w = self.weigher.weigh(&key, &value);
        if self.bound.rejects_single(W::UNIT, w) {
            // The old value leaves, replaced; the new one is turned away.
            let old = self.remove_at(i, slot);
            self.core.ctl.counters.removed(RemovalCause::Rejected, 1);
            self.core.after_removal(RemovalCause::Replaced, 1, hasher(&self.hash_builder), slot);
            dispose(&mut self.finalizer, slot, key, value, RemovalCause::Rejected);
            return Put { index: None, out: Some((old.key, old.value)), out_evicted: false };
        }
        let e = self.core.item_mut(i);
        let old_w = W::load(e.weight);
        e.weight = W::store(w);
        let old = mem::replace(&mut e.value, value);
        self.weight = self.weight - u128::from(old_w) + u128::from(w);
        self.core.touch(i);
        self.core.ctl.counters.removed(RemovalCause::Replaced, 1);
        if old_w < w {
            self.evict_to_fit(slot);
            // Evictions for a heavier value shrink the map's length: give memory back.
            self.core.maybe_shrink(hasher(&self.hash_builder), slot);
        }
        Put { index: None, out: Some((key, old)), out_evicted: false }
    }

    /// The slow end of [`Store::place`]: evict `more.victim` (to the caller if
    /// `more.hand_back`, else to the finalizer) and, to the finalizer, as many more as
    /// needed, then store the new entry.
    #[cold]
    pub(super) fn put_more(&mut self, hash: u64, more: More<K, V>, slot: &mut PanicSlot) -> Put<K, V> {
        let mut out = None;
        let stored = panic::catch_unwind(AssertUnwindSafe(|| {
            let mut more = more;
            loop {
                // Every pass evicts a victim; only the first can be handed back.
                let victim = self.evict_at(more.victim, more.hand_back, slot);
                out = out.take().or(victim);
                let (core, mut store) = self.split(slot);
                let v = core.vacant(hash, hasher(store.hash_builder));
                match store.place(v, more.key, more.value, more.w, false) {
                    Ok(put) => return put.index,
                    Err(next) => more = next,
                }
            }
        }));
        match stored {
            Ok(index) => {
                // Several victims left for one entry (a weight bound): the length fell,
                // so give memory back if due (slot numbers stay valid across a shrink).
                self.core.maybe_shrink(hasher(&self.hash_builder), slot);
                Put { index, out, out_evicted: true }
            }
            Err(payload) => {
                // A later victim's `Hash` (or the index's) panicked after earlier victims
                // left: the new entry is dropped, and the one set aside for the caller
                // cannot be handed back (the panic is re-raised), so it is finalized.
                if let Some((k, v)) = out.take() {
                    dispose(&mut self.finalizer, slot, k, v, RemovalCause::Evicted);
                }
                slot.keep(payload);
                Put { index: None, out: None, out_evicted: false }
            }
        }
    }

    /// If the operation will re-raise a panic, the pair it would hand back cannot reach
    /// the caller: it goes to the finalizer instead (a victim as `Evicted`, the key's
    /// old value as `Replaced`), so no value leaves unseen.
    pub(super) fn settle(&mut self, put: &mut Put<K, V>, slot: &mut PanicSlot) {
        if slot.is_set() {
            if let Some((k, v)) = put.out.take() {
                let cause = if put.out_evicted { RemovalCause::Evicted } else { RemovalCause::Replaced };
                dispose(&mut self.finalizer, slot, k, v, cause);
            }
        }
    }

    /// The arena, and the rest of the map as a [`Store`] for an operation whose panics
    /// go to `slot`.
    #[inline(always)]
    pub(super) fn split<'a>(&'a mut self, slot: &'a mut PanicSlot) -> Split<'a, K, V, S, P, W, F> {
        let Self { core, hash_builder, bound, weight, weigher, finalizer, .. } = self;
        (core, Store { hash_builder, bound: *bound, weight, weigher, finalizer, slot })
    }

    /// Evict the entry at `victim`: handed back if `hand_back`, else finalized.
    #[inline]
    pub(super) fn evict_at(&mut self, victim: u32, hand_back: bool, slot: &mut PanicSlot) -> Option<(K, V)> {
        let old = self.remove_at(victim, slot);
        self.core.ctl.counters.removed(RemovalCause::Evicted, 1);
        evicted(&mut self.finalizer, slot, old, hand_back)
    }

    /// Remove the entry at `index`, keeping the weight in step (no shrink, no counters).
    /// A panic of `Hash` goes to `slot` (the removal completes: see `Arena::remove`).
    #[inline]
    pub(super) fn remove_at(&mut self, index: u32, slot: &mut PanicSlot) -> Slot<K, V, W::Stored> {
        let old = self.core.remove(index, hasher(&self.hash_builder), slot);
        self.weight -= u128::from(W::load(old.weight));
        old
    }

    /// Remove the entry at `index` for the caller (counted as an explicit removal) and
    /// hand it back. If a `Hash` panicked meanwhile (in the index or while shrinking; the
    /// removal completed), the panic is re-raised and the pair cannot reach the caller:
    /// it goes to the finalizer as [`RemovalCause::Explicit`] instead, so it does not
    /// leave unseen.
    pub(super) fn take_at(&mut self, index: u32) -> Option<(K, V)> {
        let mut slot = PanicSlot::default();
        let old = self.remove_at(index, &mut slot);
        self.core.after_removal(RemovalCause::Explicit, 1, hasher(&self.hash_builder), &mut slot);
        if !slot.is_set() {
            return Some((old.key, old.value));
        }
        dispose(&mut self.finalizer, &mut slot, old.key, old.value, RemovalCause::Explicit);
        slot.resume();
        // Only reached while the thread already unwinds (the panic is then discarded).
        None
    }

    /// Evict until the map is within its limit.
    pub(super) fn evict_to_fit(&mut self, slot: &mut PanicSlot) {
        while self.bound.is_exceeded_by(W::UNIT, self.core.len(), self.weight) {
            let Some(victim) = self.core.policy.victim(&mut self.core.nodes) else { break };
            self.evict_at(victim, false, slot);
        }
    }

    /// Fill this empty map with `entries` (least recently used first: the last becomes
    /// the most recently used), as inserting them in order into an exact-LRU map would
    /// leave it whatever the policy: the newest entries that fit the limit stay; older
    /// ones are evicted (finalized as [`RemovalCause::Evicted`] without entering the map,
    /// so a policy with admission, such as `WTinyLfu`, cannot turn the newest away
    /// instead), an older value of a key given again is replaced, and a value heavier
    /// than the whole limit is rejected as by `insert`. For deserialization and
    /// `Arbitrary`.
    #[cfg(any(feature = "serde", feature = "arbitrary"))]
    pub(crate) fn restore(&mut self, entries: Vec<(K, V)>) {
        debug_assert!(self.is_empty(), "restore fills an empty map");
        #[derive(Clone, Copy, PartialEq)]
        enum Fate {
            Insert,
            /// Overwritten by a later value of its key: it never enters the map.
            Replaced,
            /// Overwritten by a later value that is then rejected: in-order inserts would
            /// have stored it (counted as inserted) before it left.
            Displaced,
            Evicted,
        }
        // Exact LRU fed only inserts: an entry's recency is the position of its latest
        // write, so replaying the writes over a queue of live positions (oldest first)
        // tells each value's fate without running the policy.
        let mut fate = vec![Fate::Insert; entries.len()];
        let mut weight_of = vec![0u64; entries.len()];
        let mut at: std::collections::HashMap<&K, usize> = std::collections::HashMap::new();
        let mut live = std::collections::VecDeque::new();
        let (mut len, mut weight) = (0usize, 0u128);
        for (i, (k, v)) in entries.iter().enumerate() {
            let w = self.weigher.weigh(k, v);
            weight_of[i] = w;
            let rejected = self.bound.rejects_single(W::UNIT, w);
            // A write over a live key replaces its value (also when the new value is
            // then rejected, as `insert` does).
            if let Some(j) = at.remove(k) {
                fate[j] = if rejected { Fate::Displaced } else { Fate::Replaced };
                len -= 1;
                weight -= u128::from(weight_of[j]);
            }
            if rejected {
                continue; // stays `Insert`: `put` rejects it, as for any map
            }
            at.insert(k, i);
            live.push_back(i);
            len += 1;
            weight += u128::from(w);
            while self.bound.is_exceeded_by(W::UNIT, len, weight) {
                let Some(j) = live.pop_front() else { break };
                if at.get(&entries[j].0) != Some(&j) {
                    continue; // replaced since: no longer live
                }
                at.remove(&entries[j].0);
                fate[j] = Fate::Evicted;
                len -= 1;
                weight -= u128::from(weight_of[j]);
            }
        }
        drop((at, live, weight_of));
        let mut slot = PanicSlot::default();
        for ((key, value), fate) in entries.into_iter().zip(fate) {
            let cause = match fate {
                // Stored (its key is not stored yet: each key's older values never are),
                // or rejected by `put` as by `insert`.
                Fate::Insert => {
                    drop(self.put(key, value, false, &mut slot));
                    continue;
                }
                Fate::Replaced | Fate::Displaced => RemovalCause::Replaced,
                Fate::Evicted => RemovalCause::Evicted,
            };
            // Counted as the inserts of exact LRU count them: an evicted or displaced
            // value was inserted, an overwritten one only counts as replaced.
            if fate != Fate::Replaced {
                self.core.ctl.counters.add(crate::policy::Small::Insertions, 1);
            }
            self.core.ctl.counters.removed(cause, 1);
            dispose(&mut self.finalizer, &mut slot, key, value, cause);
        }
        slot.resume();
    }
}
