//! The bounded core: entries in a dense arena, found through a `hashbrown::HashTable<u32>`
//! of arena slots, with an [`EvictionPolicy`]'s metadata stored beside each entry.
//!
//! Layout: `nodes: Vec<Node { item, meta }>` holds the entries contiguously (slots
//! `0..len`, no holes), `index: HashTable<u32>` maps a hash to the slot of its entry.
//! An entry of `(u64, u64)` with exact-LRU links costs 24 bytes in the arena plus 5
//! bytes per bucket of the index, about 30.6 bytes per entry at a table's usual load.
//!
//! - **Removal** swaps the last node into the hole, rewrites that node's index slot and
//!   tells the policy ([`EvictionPolicy::on_move`]), so the arena stays dense.
//! - **Insert** probes the index once ([`Arena::entry`]): the probe that misses the key
//!   also finds the bucket for it, and [`Vacant::push`] / [`Vacant::replace`] store the
//!   new entry there without searching again.
//! - **Evict-then-insert** ([`Vacant::replace`]) reuses the victim's slot: no move at
//!   all.
//! - **Memory**: the arena grows by doubling but never past `max_slots` (the map's
//!   entry bound), and both the arena and the index shrink by the map's
//!   [`ShrinkPolicy`](crate::ShrinkPolicy) after removals.
//!
//! Invariants (checked by [`Arena::validate`]):
//! - the index holds exactly one slot number for each node, `0..len`, each found by a
//!   lookup with its node's hash;
//! - the policy's own invariants ([`EvictionPolicy::validate`]) hold for `len` entries.
//!
//! The core contains no `unsafe` code.

use hashbrown::hash_table;
use hashbrown::HashTable;

use crate::error::TryReserveError;
use crate::policy::{EvictionPolicy, MetaArena, PanicSlot, Small};
use crate::raw::{full_capacity, Control};

/// Remove the bucket of `index` holding slot number `slot`, found by scanning (when a
/// `Hash` that panicked or changed since the entry was stored does not lead to it).
#[cold]
#[inline(never)]
fn unindex_by_scan(index: &mut HashTable<u32>, slot: u32) {
    for bucket in 0..index.num_buckets() {
        if let Ok(e) = index.get_bucket_entry(bucket) {
            if *e.get() == slot {
                e.remove();
                return;
            }
        }
    }
}

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

/// The index bucket where a new entry with a known hash goes, and the rest of the arena:
/// the caller picks a victim through [`Vacant::nodes`] and [`Vacant::policy`], then
/// stores the entry with [`Vacant::push`] or [`Vacant::replace`], or drops this to
/// change nothing.
pub(crate) struct Vacant<'a, T, P: EvictionPolicy> {
    entry: hash_table::VacantEntry<'a, u32>,
    hash: u64,
    pub(crate) nodes: &'a mut Nodes<T, P::Meta>,
    pub(crate) policy: &'a mut P,
    ctl: &'a mut Control,
    max_slots: usize,
}

/// The slot number a bucket holds while [`Vacant::replace`] frees the victim's bucket
/// (never a node's slot: the arena holds at most [`MAX_SLOTS`] nodes).
const PENDING: u32 = u32::MAX;

/// The most nodes an arena holds: slots are `u32`s, and `u32::MAX` is reserved (for
/// [`PENDING`] here, and for the policies' "no entry" link). A map over an arena caps its
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
        self.entry.insert(i);
        self.policy.on_insert(self.nodes, i, self.hash);
        self.ctl.counters.add(Small::Insertions, 1);
        i
    }

    /// Store `item` in the slot of `victim`, which leaves (counted as evicted); its
    /// item. If `hasher` panics (on the victim), nothing changed and `item` is dropped.
    #[inline(always)]
    pub(crate) fn replace(self, victim: u32, item: T, hasher: impl Fn(&T) -> u64) -> T {
        let Self { entry, hash, nodes, policy, ctl, .. } = self;
        let old_hash = hasher(&nodes.0[victim as usize].item);
        // The new bucket first (the probe found it), holding `PENDING` while the
        // victim's bucket is freed: no user code runs from here on.
        let new = entry.insert(PENDING);
        let bucket = new.bucket_index();
        let index = new.into_table();
        // Not found if the victim's `Hash` changed since it was stored: then by a scan.
        match index.find_entry(old_hash, |&j| j == victim) {
            Ok(e) => drop(e.remove()),
            Err(_) => unindex_by_scan(index, victim),
        }
        // Removing one bucket moves no other.
        if let Some(slot) = index.get_bucket_mut(bucket) {
            *slot = victim;
        }
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
    pub(crate) index: HashTable<u32>,
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
        Self { nodes: Nodes(Vec::new()), index: HashTable::new(), policy, ctl: Control::default(), max_slots }
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
        self.index.find(hash, |&i| eq(&nodes[i as usize].item)).copied()
    }

    /// One probe for `hash`: the slot of the entry `eq` accepts, or a [`Vacant`] place
    /// for a new entry (found by the same probe, so storing it does not search again).
    /// Makes room in the index first; nothing changes if `eq` or `hasher` panic.
    #[inline]
    pub(crate) fn entry(
        &mut self,
        hash: u64,
        mut eq: impl FnMut(&T) -> bool,
        hasher: impl Fn(&T) -> u64,
    ) -> Entry<'_, T, P> {
        self.index_room(&hasher);
        let Self { nodes, index, policy, ctl, max_slots } = self;
        let found = {
            let ns = &nodes.0;
            // `index_room` left a free bucket, so `entry` never calls `hasher` to grow.
            index.entry(hash, |&i| eq(&ns[i as usize].item), |&j| hasher(&ns[j as usize].item))
        };
        match found {
            hash_table::Entry::Occupied(e) => Entry::Occupied(*e.get()),
            hash_table::Entry::Vacant(entry) => {
                Entry::Vacant(Vacant { entry, hash, nodes, policy, ctl, max_slots: *max_slots })
            }
        }
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

    /// Make room in the index for one more slot number (the index must hold every node),
    /// and keep its probes short.
    ///
    /// A `hashbrown` table turns a removed bucket into a tombstone when no empty bucket is
    /// near it, and only a rehash reclaims tombstones; when they exhaust its room at over
    /// half load, it *doubles*. A full cache evicts and inserts forever, so that would
    /// double its index for nothing, and long before that the tombstones lengthen every
    /// probe: a lookup stops at the first group with an empty bucket, and at 61 % live
    /// load plus tombstones up to the 87.5 % limit, 37 % of the groups a missed lookup
    /// examined had none (callgrind, 10k-entry cache over Zipf keys).
    ///
    /// So the index is rebuilt at the same size from the arena when its tombstones pass
    /// an eighth of its capacity, or when it has no room left but would still have at
    /// least 1/16 of its capacity free without tombstones; otherwise it grows. Amortized
    /// O(1): at least capacity/8 removals, or capacity/16 inserts, between rebuilds.
    /// (`benches/lru.rs` workload: 7 % more instructions, 10 % less time than rebuilding
    /// only at exhaustion.)
    #[inline]
    fn index_room(&mut self, hasher: &impl Fn(&T) -> u64) {
        // `capacity()` counts the live buckets and the room left: the rest of `full` is
        // tombstones.
        let room = self.index.capacity();
        let full = full_capacity(self.index.num_buckets());
        if room == self.index.len() || full - room > full / 8 {
            self.index_room_cold(hasher);
        }
    }

    #[cold]
    #[inline(never)]
    fn index_room_cold(&mut self, hasher: &impl Fn(&T) -> u64) {
        let buckets = self.index.num_buckets();
        let full = full_capacity(buckets);
        let live = self.nodes.0.len() + 1;
        let nodes = &self.nodes.0;
        if buckets > 0 && live + full / 16 <= full {
            let mut fresh = HashTable::with_capacity(full);
            for (i, n) in nodes.iter().enumerate() {
                fresh.insert_unique(hasher(&n.item), i as u32, |_| unreachable!("sized to fit"));
            }
            self.index = fresh;
        } else {
            self.index.reserve(1, |&j| hasher(&nodes[j as usize].item));
        }
    }

    /// Remove the entry at `index`, moving the last node into its slot; the item. Does
    /// not shrink (call [`Arena::after_removal`] after a batch).
    ///
    /// The removal always completes: the index buckets of the entry and of the moved
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
        match hash.and_then(|h| self.index.find_entry(h, |&j| j == index).ok()) {
            Some(e) => drop(e.remove()),
            None => unindex_by_scan(&mut self.index, index),
        }
        let node = self.nodes.0.swap_remove(index as usize);
        if let Some(moved) = moved {
            match moved.and_then(|h| self.index.find_mut(h, |&j| j == last)) {
                Some(at) => *at = index,
                None => self.reindex_by_scan(last, index),
            }
            self.policy.on_move(&mut self.nodes, last, index);
        }
        node.item
    }

    /// Point the index bucket holding slot number `from` at `to`, found by scanning.
    #[cold]
    #[inline(never)]
    fn reindex_by_scan(&mut self, from: u32, to: u32) {
        if let Some(at) = self.index.iter_mut().find(|j| **j == from) {
            *at = to;
        }
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
        let nodes = &self.nodes.0;
        self.ctl.maybe_shrink(&mut self.index, |&j| hasher(&nodes[j as usize].item), slot);
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

    /// Take every item out, leaving the arena empty with no memory held.
    pub(crate) fn take_all(&mut self) -> Vec<Node<T, P::Meta>> {
        self.index = HashTable::new();
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
        let nodes = &self.nodes.0;
        // By reallocating: an in-place rehash whose `hasher` panics drops slot numbers.
        let grown = Control::reserve(&mut self.index, additional, |&j| hasher(&nodes[j as usize].item));
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
        for &i in self.index.iter() {
            let i = i as usize;
            assert!(i < len, "validate: the index points at slot {i}, past the arena's {len} nodes");
            assert!(!seen[i], "validate: slot {i} is indexed twice");
            seen[i] = true;
        }
        for i in 0..len {
            let hash = hasher(&self.nodes.0[i].item);
            assert_eq!(
                self.index.find(hash, |&j| j as usize == i).copied(),
                Some(i as u32),
                "validate: slot {i} is not found by its own hash"
            );
        }
        self.policy.validate(&self.nodes, len);
    }
}
