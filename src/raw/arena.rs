//! The bounded core: entries in a dense arena, found through a [`SlotIndex`] of arena
//! slots, with an [`EvictionPolicy`]'s metadata stored beside each entry.
//!
//! Layout: `nodes: Vec<Node { item, meta }>` holds the entries contiguously (slots
//! `0..len`, no holes), `index: SlotIndex` maps a hash to the slot of its entry. An
//! entry of `(u64, u64)` with exact-LRU links costs 24 bytes in the arena plus 7.8 bytes
//! of index (64-byte chunks of 15 slot numbers, 55 % full at the bound), 31.8 bytes in
//! all.
//!
//! - **Removal** swaps the last node into the hole, rewrites that node's index slot and
//!   tells the policy ([`EvictionPolicy::on_move`]), so the arena stays dense.
//! - **Insert** probes the index once ([`Arena::entry`]): the probe that misses the key
//!   also finds the lane for it, and [`Vacant::push`] / [`Vacant::replace`] store the
//!   new entry there without searching again.
//! - **Evict-then-insert** ([`Vacant::replace`]) reuses the victim's slot: no move at
//!   all. A full arena hashes the policy's likely victim ([`EvictionPolicy::victim_hint`])
//!   before it probes for the new key and prefetches the victim's index chunk, so that
//!   load overlaps the probe instead of following it (the hash is not computed again).
//! - **Memory**: the arena grows by doubling but never past `max_slots` (the map's
//!   entry bound), and both the arena and the index shrink by the map's
//!   [`ShrinkPolicy`](crate::ShrinkPolicy) after removals.
//!
//! Invariants (checked by [`Arena::validate`]):
//! - the index holds exactly one slot number for each node, `0..len`, each found by a
//!   lookup with its node's hash;
//! - the policy's own invariants ([`EvictionPolicy::validate`]) hold for `len` entries.
//!
//! The arena contains no `unsafe` code; the index's two `unsafe` blocks are its SSE2 tag
//! compare and a prefetch.

use crate::error::TryReserveError;
use crate::policy::{EvictionPolicy, MetaArena, PanicSlot, Small};
use crate::raw::index::{SlotIndex, Vacancy};
use crate::raw::Control;

/// One entry of the arena: the facade's item and the policy's metadata.
#[derive(Clone)]
pub(crate) struct Node<T, M> {
    pub(crate) item: T,
    pub(crate) meta: M,
}

/// The arena's nodes, as the policy sees them.
pub(crate) struct Nodes<T, M>(pub(crate) Vec<Node<T, M>>);

impl<T, M> Nodes<T, M> {
    /// The number of entries.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The entry at `index`.
    #[inline(always)]
    pub(crate) fn item(&self, index: u32) -> &T {
        &self.0[index as usize].item
    }
}

impl<T, M> MetaArena<M> for Nodes<T, M> {
    #[inline(always)]
    fn meta(&self, index: u32) -> &M {
        &self.0[index as usize].meta
    }

    #[inline(always)]
    fn meta_mut(&mut self, index: u32) -> &mut M {
        &mut self.0[index as usize].meta
    }
}

/// What [`Arena::entry`] found.
pub(crate) enum Entry<'a, T, P: EvictionPolicy> {
    /// The slot of the entry.
    Occupied(u32),
    /// No such entry; a place to store one.
    Vacant(Vacant<'a, T, P>),
}

/// The index lane where a new entry with a known hash goes, and the rest of the arena:
/// the caller picks a victim through [`Vacant::nodes`] and [`Vacant::policy`], then
/// stores the entry with [`Vacant::push`] or [`Vacant::replace`], or drops this to
/// change nothing.
pub(crate) struct Vacant<'a, T, P: EvictionPolicy> {
    index: &'a mut SlotIndex,
    at: Vacancy,
    hash: u64,
    pub(crate) nodes: &'a mut Nodes<T, P::Meta>,
    pub(crate) policy: &'a mut P,
    ctl: &'a mut Control,
    max_slots: usize,
    /// The policy's likely victim and its hash, computed before the probe (see
    /// [`Arena::entry`]).
    hint: Option<(u32, u64)>,
}

/// The most nodes an arena holds: slots are `u32`s, and `u32::MAX` is reserved (the
/// policies' "no entry" link, `NIL`). A map over an arena caps its
/// entry bound here, so a larger limit evicts at this size instead of reusing slot
/// numbers.
pub(crate) const MAX_SLOTS: usize = (u32::MAX - 1) as usize;

impl<'a, T, P: EvictionPolicy> Vacant<'a, T, P> {
    /// Count a lookup in the map's stats.
    #[inline(always)]
    pub(crate) fn lookup(&self, hit: bool) {
        self.ctl.counters.lookup(hit);
    }

    /// Count a removal in the map's stats.
    #[inline(always)]
    pub(crate) fn removed(&mut self, cause: crate::RemovalCause) {
        self.ctl.counters.removed(cause, 1);
    }

    /// Store `item` in a new slot (the caller checked it fits); its slot.
    #[inline(always)]
    pub(crate) fn push(self, item: T) -> u32 {
        let v = &mut self.nodes.0;
        let i = v.len() as u32;
        if v.len() == v.capacity() {
            // Grow by doubling, but not past `max_slots`.
            let want = (v.capacity() * 2).max(4).min(self.max_slots).max(v.len() + 1);
            v.reserve_exact(want - v.len());
        }
        v.push(Node { item, meta: P::Meta::default() });
        self.index.insert_at(self.at, i);
        self.policy.on_insert(self.nodes, i, self.hash);
        self.ctl.counters.add(Small::Insertions, 1);
        i
    }

    /// Store `item` in the slot of `victim`, which leaves (counted as evicted); its
    /// item. If `hasher` panics (on the victim), nothing changed and `item` is dropped.
    #[inline(always)]
    pub(crate) fn replace(self, victim: u32, item: T, hasher: impl Fn(&T) -> u64) -> T {
        let Self { index, at, hash, nodes, policy, ctl, hint, .. } = self;
        let old_hash = match hint {
            Some((slot, hash)) if slot == victim => hash,
            _ => hasher(&nodes.0[victim as usize].item),
        };
        // No user code runs from here on. Freeing the victim's lane leaves `at` empty
        // and on the new entry's probe path.
        // Not found if the victim's `Hash` changed since it was stored: then by a scan.
        match index.find(old_hash, |j| j == victim) {
            Some(pos) => index.remove_at(pos),
            None => index.remove_by_scan(victim),
        }
        index.insert_at(at, victim);
        ctl.counters.add(Small::Insertions, 1);
        ctl.counters.removed(crate::RemovalCause::Evicted, 1);
        // The victim leaves the policy and the new entry enters it, in the same slot.
        policy.on_remove(nodes, victim);
        let node = &mut nodes.0[victim as usize];
        let old = core::mem::replace(&mut node.item, item);
        node.meta = P::Meta::default();
        policy.on_insert(nodes, victim, hash);
        old
    }
}

/// A dense arena of `T`, a hash index over it, and the policy that orders it.
pub(crate) struct Arena<T, P: EvictionPolicy> {
    pub(crate) nodes: Nodes<T, P::Meta>,
    pub(crate) index: SlotIndex,
    pub(crate) policy: P,
    pub(crate) ctl: Control,
    /// The arena never grows past this many slots by itself (the map's entry bound).
    pub(crate) max_slots: usize,
}

impl<T: Clone, P: EvictionPolicy + Clone> Clone for Arena<T, P>
where
    P::Meta: Clone,
{
    fn clone(&self) -> Self {
        Self {
            nodes: Nodes(self.nodes.0.clone()),
            index: self.index.clone(),
            policy: self.policy.clone(),
            ctl: self.ctl.clone(),
            max_slots: self.max_slots,
        }
    }
}

impl<T, P: EvictionPolicy> Arena<T, P> {
    /// An empty arena that grows to at most `max_slots` nodes by itself; the map's bound
    /// keeps it at or below [`MAX_SLOTS`].
    pub(crate) fn new(policy: P, max_slots: usize) -> Self {
        debug_assert!(max_slots <= MAX_SLOTS);
        Self { nodes: Nodes(Vec::new()), index: SlotIndex::default(), policy, ctl: Control::default(), max_slots }
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    #[inline(always)]
    pub(crate) fn item(&self, index: u32) -> &T {
        self.nodes.item(index)
    }

    #[inline(always)]
    pub(crate) fn item_mut(&mut self, index: u32) -> &mut T {
        &mut self.nodes.0[index as usize].item
    }

    /// Heap bytes of the arena, the index, the policy and the counters.
    pub(crate) fn allocation_size(&self) -> usize {
        self.nodes.0.capacity() * core::mem::size_of::<Node<T, P::Meta>>()
            + self.index.allocation_size()
            + self.policy.allocation_size()
            + self.ctl.counters.heap_bytes()
    }

    /// The slot of the entry with `hash` for which `eq` holds.
    #[inline(always)]
    pub(crate) fn find(&self, hash: u64, mut eq: impl FnMut(&T) -> bool) -> Option<u32> {
        let nodes = &self.nodes.0;
        self.index.find(hash, |i| eq(&nodes[i as usize].item)).map(|pos| self.index.get(pos))
    }

    /// One probe for `hash`: the slot of the entry `eq` accepts, or a [`Vacant`] place
    /// for a new entry (found by the same probe, so storing it does not search again).
    /// Makes room in the index first; nothing changes if `eq` or `hasher` panic.
    ///
    /// An arena at `max_slots` (the map's entry bound: a new entry will evict) first
    /// hashes the policy's [`victim_hint`](EvictionPolicy::victim_hint) and prefetches
    /// its index chunk; [`Vacant::replace`] uses that hash if the hint was right. On
    /// `benches/lru.rs`'s workload this made `LruMap` 3-4 % faster (the victim's chunk,
    /// usually not in L1, no longer waits for the probe), at the cost of a wasted hash
    /// when a full map's key turns out to be present.
    #[inline]
    pub(crate) fn entry(
        &mut self,
        hash: u64,
        mut eq: impl FnMut(&T) -> bool,
        hasher: impl Fn(&T) -> u64,
    ) -> Entry<'_, T, P> {
        // The hint's hash stays right if `index_room` rebuilds the index.
        let hint = if self.len() >= self.max_slots { self.hint(&hasher) } else { None };
        self.index_room(&hasher);
        let Self { nodes, index, policy, ctl, max_slots } = self;
        let found = {
            let ns = &nodes.0;
            // `index_room` left room for one more.
            index.probe(hash, |i| eq(&ns[i as usize].item))
        };
        match found {
            Ok(pos) => Entry::Occupied(index.get(pos)),
            Err(at) => Entry::Vacant(Vacant { index, at, hash, nodes, policy, ctl, max_slots: *max_slots, hint }),
        }
    }

    /// The policy's likely victim and its hash, its index chunk prefetched. A hint past
    /// the arena's end (a policy's mistake) is ignored.
    #[inline(always)]
    fn hint(&self, hasher: &impl Fn(&T) -> u64) -> Option<(u32, u64)> {
        let victim = self.policy.victim_hint(&self.nodes)?;
        let hash = hasher(&self.nodes.0.get(victim as usize)?.item);
        self.index.prefetch(hash);
        Some((victim, hash))
    }

    /// A [`Vacant`] place for a new entry with `hash` known to be absent (one probe).
    #[inline]
    pub(crate) fn vacant(&mut self, hash: u64, hasher: impl Fn(&T) -> u64) -> Vacant<'_, T, P> {
        match self.entry(hash, |_| false, hasher) {
            Entry::Vacant(v) => v,
            Entry::Occupied(_) => unreachable!("no entry is equal to nothing"),
        }
    }

    /// Tell the policy the entry at `index` was used.
    #[inline(always)]
    pub(crate) fn touch(&mut self, index: u32) {
        self.policy.on_access(&mut self.nodes, index);
    }

    /// Make room in the index for one more slot number (the index must hold every node).
    /// The index has no tombstones (see [`SlotIndex`]), so a full cache that evicts
    /// and inserts forever never rebuilds it; it grows only with the arena.
    #[inline(always)]
    fn index_room(&mut self, hasher: &impl Fn(&T) -> u64) {
        if self.index.needs_room() {
            self.index_room_cold(hasher);
        }
    }

    /// Grow the index: doubling its room, but not past room for `max_slots` (the
    /// arena's own bound) unless more entries are already there. An index with room
    /// left is stale instead (see [`SlotIndex::needs_room`]): it is rebuilt at its size. If
    /// `hasher` panics, the index stays as it was.
    #[cold]
    #[inline(never)]
    fn index_room_cold(&mut self, hasher: &impl Fn(&T) -> u64) {
        let len = self.len();
        let room = if len < self.index.capacity() {
            self.index.capacity()
        } else {
            (self.index.capacity() * 2).max(4).min(self.max_slots).max(len + 1)
        };
        // Infallible growth aborts on allocation failure (as std's does); overflow panics.
        crate::error::or_abort(self.rebuild_index(room, hasher));
    }

    /// Replace the index by one with room for `room` entries, built from the arena.
    /// Every node is hashed before anything changes, so a panicking `hasher` (or a
    /// failed allocation) leaves the index as it was.
    fn rebuild_index(&mut self, room: usize, hasher: &impl Fn(&T) -> u64) -> Result<(), TryReserveError> {
        let nodes = &self.nodes.0;
        let mut hashes = Vec::new();
        hashes.try_reserve_exact(nodes.len()).map_err(|_| TryReserveError::for_vec::<u64>(nodes.len()))?;
        hashes.extend(nodes.iter().map(|n| hasher(&n.item)));
        self.index = SlotIndex::try_build(room, &hashes)?;
        Ok(())
    }

    /// Remove the entry at `index`, moving the last node into its slot; the item. Does
    /// not shrink (call [`Arena::after_removal`] after a batch).
    ///
    /// The removal always completes: the index lanes of the entry and of the moved
    /// node are found by their hashes, or, if `hasher` panics on one of them (the panic
    /// goes to `slot`, for the caller to re-raise when its operation is done) or gives
    /// another hash than when it was stored, by a scan of the index. So a `Hash` that
    /// panics cannot stop an eviction halfway and leave a map over its bound.
    #[inline]
    pub(crate) fn remove(&mut self, index: u32, hasher: impl Fn(&T) -> u64, slot: &mut PanicSlot) -> T {
        let last = (self.nodes.0.len() - 1) as u32;
        let hash_of = |i: u32, slot: &mut PanicSlot| {
            let mut hash = None;
            slot.run(|| hash = Some(hasher(&self.nodes.0[i as usize].item)));
            hash
        };
        let hash = hash_of(index, slot);
        let moved = if index != last { Some(hash_of(last, slot)) } else { None };
        self.policy.on_remove(&mut self.nodes, index);
        match hash.and_then(|h| self.index.find(h, |j| j == index)) {
            Some(pos) => self.index.remove_at(pos),
            None => self.index.remove_by_scan(index),
        }
        let node = self.nodes.0.swap_remove(index as usize);
        if let Some(moved) = moved {
            match moved.and_then(|h| self.index.find(h, |j| j == last)).or_else(|| self.index.position_by_scan(last)) {
                Some(pos) => self.index.set(pos, index),
                None => debug_assert!(false, "slot {last} is not indexed"),
            }
            self.policy.on_move(&mut self.nodes, last, index);
        }
        node.item
    }

    /// Count `n` items removed for `cause`, then give memory back if due (the arena's
    /// [`Control::after_removal`]; a panic of `hasher` goes to `slot`).
    pub(crate) fn after_removal(
        &mut self,
        cause: crate::RemovalCause,
        n: u64,
        hasher: impl Fn(&T) -> u64,
        slot: &mut PanicSlot,
    ) {
        self.ctl.counters.removed(cause, n);
        self.maybe_shrink(hasher, slot);
    }

    /// Give memory back if the shrink policy says so (the index and the arena). A panic
    /// of `hasher` while the index shrinks goes to `slot` (see [`Control::maybe_shrink`]).
    pub(crate) fn maybe_shrink(&mut self, hasher: impl Fn(&T) -> u64, slot: &mut PanicSlot) {
        self.maybe_shrink_index(&hasher, slot);
        let v = &mut self.nodes.0;
        if let Some(target) = self.ctl.shrink_policy().shrink_target(v.len(), v.capacity(), 0) {
            // An emptied small arena stays, as an emptied small index does (see
            // `keeps_when_empty`): toggling between 0 and 1 entries must not reallocate.
            let keep = target == 0 && super::keeps_when_empty(v.capacity(), core::mem::size_of::<Node<T, P::Meta>>());
            let target = if keep { v.capacity() } else { target };
            v.shrink_to(target.min(self.max_slots).max(v.len()));
        } else if v.capacity() > self.max_slots.max(v.len()) && !self.ctl.shrink_policy().is_never() {
            v.shrink_to(self.max_slots.max(v.len()));
        }
    }

    /// Shrink the index if the shrink policy says so (by its
    /// [`lazier`](crate::ShrinkPolicy::lazier) form for a small index, as for the core's
    /// small tables: [`Control::policy_for_bytes`]). A rebuild whose `hasher` panics is
    /// abandoned (the index stays as it was) and the panic goes to `slot`.
    #[inline]
    fn maybe_shrink_index(&mut self, hasher: &impl Fn(&T) -> u64, slot: &mut PanicSlot) {
        let (len, room) = (self.index.len(), self.index.capacity());
        let policy = self.ctl.policy_for_bytes(self.index.allocation_size());
        if let Some(target) = policy.shrink_target(len, room, 0) {
            self.shrink_index_cold(target, hasher, slot);
        }
    }

    #[cold]
    #[inline(never)]
    fn shrink_index_cold(&mut self, target: usize, hasher: &impl Fn(&T) -> u64, slot: &mut PanicSlot) {
        if target == 0 && self.index.chunks() <= 1 {
            // An emptied one-chunk index stays: toggling between 0 and 1 entries must
            // not reallocate.
            return;
        }
        let before = self.index.chunks();
        let mut rebuilt = Ok(());
        slot.run(|| rebuilt = self.rebuild_index(target, hasher));
        // A failed allocation keeps the larger index, which is still correct.
        if rebuilt.is_ok() && self.index.chunks() < before {
            self.ctl.count_shrink();
        }
    }

    /// Take every item out, leaving the arena empty with no memory held.
    pub(crate) fn take_all(&mut self) -> Vec<Node<T, P::Meta>> {
        self.index = SlotIndex::default();
        self.policy.clear();
        core::mem::take(&mut self.nodes.0)
    }

    /// Reserve room for `additional` more entries, but not past `max_slots`. On an error
    /// nothing stays reserved: the arena (larger per entry, so the likelier to fail)
    /// grows first, and gets its old capacity back if the index then cannot grow.
    pub(crate) fn try_reserve(&mut self, additional: usize, hasher: impl Fn(&T) -> u64) -> Result<(), TryReserveError> {
        let len = self.len();
        let additional = additional.min(self.max_slots.saturating_sub(len));
        let v = &mut self.nodes.0;
        let capacity = v.capacity();
        v.try_reserve_exact(additional)
            .map_err(|_| TryReserveError::for_vec::<Node<T, P::Meta>>(len.saturating_add(additional)))?;
        let grown = if len + additional > self.index.capacity() {
            self.rebuild_index(len + additional, &hasher)
        } else {
            Ok(())
        };
        if grown.is_err() {
            self.nodes.0.shrink_to(capacity);
        }
        grown
    }

    /// Check the invariants listed in the module docs, panicking on the first broken one.
    pub(crate) fn validate(&self, hasher: impl Fn(&T) -> u64) {
        let len = self.len();
        assert_eq!(self.index.len(), len, "validate: the index and the arena disagree on len()");
        let mut seen = vec![false; len];
        for i in self.index.slots() {
            let i = i as usize;
            assert!(i < len, "validate: the index points at slot {i}, past the arena's {len} nodes");
            assert!(!seen[i], "validate: slot {i} is indexed twice");
            seen[i] = true;
        }
        self.index.validate(|j| hasher(&self.nodes.0[j as usize].item));
        for i in 0..len {
            let hash = hasher(&self.nodes.0[i].item);
            assert_eq!(
                self.index.find(hash, |j| j as usize == i).map(|p| self.index.get(p)),
                Some(i as u32),
                "validate: slot {i} is not found by its own hash"
            );
        }
        self.policy.validate(&self.nodes, len);
    }
}
