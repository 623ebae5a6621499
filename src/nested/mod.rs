//! [`NestedMap`]: a map of collections that removes an inner collection the moment it
//! becomes empty, and never allocates on a read (leak L2).
//!
//! Invariants (checked by [`NestedMap::validate`]):
//! - no inner collection in the outer map is empty;
//! - the leaf count ([`NestedMap::len`]) equals the sum of the inner collections' `len()`;
//! - the outer table is a valid [`HashMap`] (and each inner collection validates itself).
//!
//! Every mutable path to an inner collection goes through an [`InnerMut`] guard, whose
//! `Drop` restores the first two invariants (also while a panic unwinds). The module
//! contains no `unsafe` code: the guard holds `hashbrown`'s safe occupied-entry handle.

mod builder;
mod collection;
mod deep;
mod guard;
mod iter;
mod leaves;
mod traits;

use core::borrow::Borrow;
use core::hash::{BuildHasher, Hash};

use crate::hash_map::{self, hasher, DefaultHashBuilder, HashMap};
use crate::policy::{Counters, PanicSlot, RemovalCause, ShrinkPolicy, Stats};

pub use collection::{InnerCollection, InnerLookup, InnerMap};
pub use guard::InnerMut;
use guard::Outer;
use hashbrown::hash_table::OccupiedEntry;
pub use iter::{InnerIter, Iter};

/// An outer entry and the parts of the map that settling it updates.
type Found<'a, K1, M, S> = (OccupiedEntry<'a, (K1, M)>, Outer<'a, S>);

/// A two-level [`NestedMap`] whose inner maps are `leakless` [`HashMap`]s (so inner maps
/// give capacity back too): the usual choice for `HashMap<K1, HashMap<K2, V>>`.
///
/// # Examples
///
/// ```
/// use leakless::nested::NestedHashMap;
///
/// let mut m: NestedHashMap<u32, u32, &str> = NestedHashMap::new();
/// m.insert(1, 2, "x");
/// assert_eq!(m.get(&1, &2), Some(&"x"));
/// ```
pub type NestedHashMap<K1, K2, V, S = DefaultHashBuilder> = NestedMap<K1, HashMap<K2, V, S>, S>;

/// A map from outer keys to inner collections (maps, sets, vectors — anything that is an
/// [`InnerCollection`]) that removes an inner collection as soon as it becomes empty.
///
/// # The leak it fixes
///
/// `std::collections::HashMap<K1, HashMap<K2, V>>` keeps an empty inner map (and its
/// table) for every outer key ever used, and the usual `entry(k1).or_default()` creates
/// one even to read. Here:
///
/// - every mutation of an inner collection goes through a guard ([`InnerMut`], or the
///   closure of [`with_inner_mut`](NestedMap::with_inner_mut)) that prunes it if it is
///   empty at the end — also if the code using it panics. Because a `NestedMap` is itself
///   an [`InnerCollection`], this works at any depth:
///   `NestedMap<A, NestedMap<B, HashMap<C, V>>>` prunes `B` levels and `A` levels as
///   they empty;
/// - reads take `&self` and look up borrowed keys: a missed [`get`](NestedMap::get)
///   neither allocates nor inserts;
/// - the outer table is a `leakless` [`HashMap`], so it shrinks as outer keys go, and
///   with the default inner map ([`NestedHashMap`]) inner tables shrink too.
///
/// [`len`](NestedMap::len) counts leaf entries in O(1); [`outer_len`](NestedMap::outer_len)
/// counts outer keys. When the inner collection is a map ([`InnerMap`]), two-level
/// helpers (`insert(k1, k2, v)`, `get(&k1, &k2)`, `remove(&k1, &k2)`, `iter()`,
/// `retain`, ...) work on leaves directly; depth three has `insert3`, `get3`, `remove3`, ....
///
/// # Examples
///
/// ```
/// use leakless::{HashMap, NestedMap};
///
/// let mut follows: NestedMap<u64, HashMap<u64, u32>> = NestedMap::new();
/// for group in 0..100 {
///     for member in 0..100 {
///         follows.insert(group, member, 1);
///     }
/// }
/// assert_eq!((follows.outer_len(), follows.len()), (100, 10_000));
/// assert_eq!(follows.get(&7, &7), Some(&1));
/// assert_eq!(follows.get(&1000, &7), None); // a miss: nothing is created
/// for group in 0..100 {
///     for member in 0..100 {
///         follows.remove(&group, &member);
///     }
/// }
/// assert_eq!(follows.outer_len(), 0, "every emptied inner map was pruned");
/// assert_eq!(follows.stats().pruned, 100);
/// ```
pub struct NestedMap<K1, M, S = DefaultHashBuilder> {
    outer: HashMap<K1, M, S>,
    tally: Tally,
}

/// The leaf-level counts of a [`NestedMap`] (the outer table's own counters are unused
/// except for `shrinks`).
///
/// Explicit removals are not counted one by one: every leaf added is counted in
/// `insertions` and every leaf gone is a removal, so they are `insertions - leaves -
/// Cleared` (`Replaced` leaves no gap: the leaf stays). A removal then only lowers
/// `leaves`, and an insert bumps an inline counter instead of one behind the counter
/// block's pointer.
#[derive(Clone, Default)]
pub(super) struct Tally {
    /// The sum of the inner collections' `len()`.
    pub(super) leaves: usize,
    /// Leaves added.
    pub(super) insertions: u64,
    /// Lookups, replacements, clears and pruned inner collections.
    pub(super) counters: Counters,
}

impl Tally {
    /// The counters as [`Stats`], with the explicit removals derived.
    fn snapshot(&self) -> Stats {
        let mut stats = self.counters.snapshot();
        stats.insertions = self.insertions;
        let cleared = stats.removals(RemovalCause::Cleared);
        stats.removed[RemovalCause::Explicit.index()] =
            self.insertions.wrapping_sub(self.leaves as u64).wrapping_sub(cleared);
        stats
    }
}

impl<K1, M> NestedMap<K1, M, DefaultHashBuilder> {
    /// An empty map. It does not allocate until the first insert.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::NestedMap<u8, Vec<u8>> = leakless::NestedMap::new();
    /// assert_eq!(m.allocation_size(), 0);
    /// ```
    pub fn new() -> Self {
        Self::with_hasher(DefaultHashBuilder::new())
    }

    /// An empty map with room for `capacity` outer keys, which is also the floor below
    /// which the outer table never shrinks automatically.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::NestedMap<u8, Vec<u8>> = leakless::NestedMap::with_capacity(100);
    /// assert!(m.outer().capacity() >= 100);
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        Self::with_capacity_and_hasher(capacity, DefaultHashBuilder::new())
    }
}

impl<K1, M, S> NestedMap<K1, M, S> {
    /// An empty map hashing outer keys with `hash_builder`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::hash::RandomState;
    /// let mut m = leakless::NestedMap::<u8, Vec<u8>, _>::with_hasher(RandomState::new());
    /// m.inner_mut(1).push(2);
    /// assert_eq!(m.len(), 1);
    /// ```
    pub fn with_hasher(hash_builder: S) -> Self {
        Self { outer: HashMap::with_hasher(hash_builder), tally: Tally::default() }
    }

    /// An empty map with room (and a floor) of `capacity` outer keys, using `hash_builder`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::hash::RandomState;
    /// let m = leakless::NestedMap::<u8, Vec<u8>, _>::with_capacity_and_hasher(10, RandomState::new());
    /// assert!(m.outer().capacity() >= 10);
    /// ```
    pub fn with_capacity_and_hasher(capacity: usize, hash_builder: S) -> Self {
        Self { outer: HashMap::with_capacity_and_hasher(capacity, hash_builder), tally: Tally::default() }
    }

    /// The same map with a different [`ShrinkPolicy`] for the outer table (inner maps
    /// keep their own).
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{NestedMap, ShrinkPolicy};
    /// let m: NestedMap<u8, Vec<u8>> = NestedMap::new().with_shrink_policy(ShrinkPolicy::never());
    /// assert_eq!(m.outer().shrink_policy(), ShrinkPolicy::never());
    /// ```
    pub fn with_shrink_policy(mut self, policy: ShrinkPolicy) -> Self {
        self.outer = self.outer.with_shrink_policy(policy);
        self
    }

    /// The number of leaf entries: the sum of the inner collections' lengths (at any
    /// depth, since a nested map's length is its leaf count). O(1).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::NestedMap<u8, Vec<u8>> = leakless::NestedMap::new();
    /// m.inner_mut(1).extend([1, 2, 3]);
    /// m.inner_mut(2).push(4);
    /// assert_eq!(m.len(), 4);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.tally.leaves
    }

    /// `true` if the map holds no leaves (and so, once pruned, no outer keys).
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::NestedMap<u8, Vec<u8>> = leakless::NestedMap::new();
    /// assert!(m.is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.outer.is_empty()
    }

    /// The number of outer keys (each has a non-empty inner collection).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::NestedMap<u8, Vec<u8>> = leakless::NestedMap::new();
    /// m.inner_mut(1).extend([1, 2, 3]);
    /// assert_eq!(m.outer_len(), 1);
    /// ```
    #[inline]
    pub fn outer_len(&self) -> usize {
        self.outer.len()
    }

    /// The outer map, read-only: every inner collection in it is non-empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::NestedMap<u8, Vec<u8>> = leakless::NestedMap::new();
    /// m.inner_mut(1).push(2);
    /// assert_eq!(m.outer().keys().collect::<Vec<_>>(), [&1]);
    /// ```
    pub fn outer(&self) -> &HashMap<K1, M, S> {
        &self.outer
    }

    /// An iterator over the outer keys and their (non-empty) inner collections.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::NestedMap<u8, Vec<u8>> = leakless::NestedMap::new();
    /// m.inner_mut(1).push(2);
    /// assert_eq!(m.inners().collect::<Vec<_>>(), [(&1, &vec![2])]);
    /// ```
    pub fn inners(&self) -> hash_map::Iter<'_, K1, M> {
        self.outer.iter()
    }

    /// The outer map's hasher.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::hash::BuildHasher;
    /// let m: leakless::NestedMap<u8, Vec<u8>> = leakless::NestedMap::new();
    /// let _ = m.hasher().hash_one(1u8);
    /// ```
    pub fn hasher(&self) -> &S {
        self.outer.hasher()
    }

    /// Counters of what the map has done, at the leaf level:
    ///
    /// - `hits`/`misses`: two-level lookups (`get`, `get_mut`, `contains`, `get3`, ...);
    /// - `insertions`: leaves added; removals by cause: leaves removed (`Explicit` for
    ///   `remove`, `retain`, `remove_inner` and net shrinkage through a guard, `Replaced`
    ///   for overwrites by `insert`, `Cleared` for `clear`). Changes made through an
    ///   [`InnerMut`] guard are counted by their net effect on the inner `len()`;
    /// - `pruned`: this map's own inner collections removed because they became empty
    ///   (in a deeper map, the prunes inside an inner `NestedMap` are counted in that
    ///   inner map's stats, which go when it is pruned);
    /// - `shrinks`: times the outer table gave memory back.
    ///
    /// Operations made through the two-level helpers (`insert`, `get`, `remove`, ...)
    /// are counted here, not in a `leakless::HashMap` inner map's own `stats()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::nested::NestedHashMap<u8, u8, u8> = Default::default();
    /// m.insert(1, 1, 1);
    /// m.insert(1, 1, 2);
    /// assert_eq!(m.get(&1, &1), Some(&2));
    /// assert_eq!(m.get(&1, &9), None);
    /// m.remove(&1, &1);
    /// let s = m.stats();
    /// assert_eq!((s.insertions, s.hits, s.misses, s.pruned), (1, 1, 1, 1));
    /// assert_eq!(s.removals(leakless::RemovalCause::Replaced), 1);
    /// assert_eq!(s.removals(leakless::RemovalCause::Explicit), 1);
    /// ```
    pub fn stats(&self) -> Stats {
        let mut stats = self.tally.snapshot();
        stats.shrinks = self.outer.raw.ctl.shrinks();
        stats
    }
}

impl<K1: Eq + Hash, M: InnerCollection, S: BuildHasher> NestedMap<K1, M, S> {
    /// The inner collection of `k1`, if present (then it is not empty).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::NestedMap<String, Vec<u8>> = leakless::NestedMap::new();
    /// m.inner_mut("a".to_string()).push(1);
    /// assert_eq!(m.get_inner("a"), Some(&vec![1]));
    /// assert_eq!(m.get_inner("b"), None);
    /// ```
    #[inline]
    pub fn get_inner<Q>(&self, k1: &Q) -> Option<&M>
    where
        K1: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.outer.find_uncounted(k1).map(|(_, m)| m)
    }

    /// A guard giving mutable access to the inner collection of `k1`, if present. When
    /// the guard is dropped, the inner collection is removed if it is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::NestedMap<u8, Vec<u8>> = leakless::NestedMap::new();
    /// m.inner_mut(1).push(10);
    /// assert!(m.get_inner_mut(&2).is_none());
    /// assert_eq!(m.get_inner_mut(&1).unwrap().pop(), Some(10));
    /// assert_eq!(m.outer_len(), 0, "pruned when the guard was dropped");
    /// ```
    #[inline]
    pub fn get_inner_mut<Q>(&mut self, k1: &Q) -> Option<InnerMut<'_, K1, M, S>>
    where
        K1: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let (entry, outer) = self.find_inner(k1)?;
        Some(InnerMut::new(entry, outer, true))
    }

    /// The outer entry of `k1`, if present, and the parts settling it updates.
    #[inline(always)]
    fn find_inner<Q>(&mut self, k1: &Q) -> Option<Found<'_, K1, M, S>>
    where
        K1: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let NestedMap { outer: HashMap { raw, hash_builder }, tally } = self;
        let entry = hash_map::find_entry_in(&mut raw.table, hash_builder, k1)?;
        Some((entry, Outer { ctl: &mut raw.ctl, hash_builder, tally }))
    }

    /// The outer entry of `k1`, created with an empty inner collection if absent, and
    /// the parts settling it updates.
    #[inline(always)]
    fn find_or_create_inner(&mut self, k1: K1) -> Found<'_, K1, M, S>
    where
        M: Default,
    {
        self.find_or_create_inner_with(k1, M::default)
    }

    /// The outer entry of `k1`, created with `make()` if absent, and the parts settling
    /// it updates. A created collection's entries (`make` may return a non-empty one, as
    /// may a `Default`) are counted as inserted leaves here, so every caller settles
    /// against the length it finds.
    #[inline(always)]
    fn find_or_create_inner_with(&mut self, k1: K1, make: impl FnOnce() -> M) -> Found<'_, K1, M, S> {
        let NestedMap { outer: HashMap { raw, hash_builder }, tally } = self;
        let entry = match hash_map::entry_in(&mut raw.ctl, &mut raw.table, hash_builder, &k1) {
            hashbrown::hash_table::Entry::Occupied(o) => o,
            hashbrown::hash_table::Entry::Vacant(v) => {
                let entry = v.insert((k1, make()));
                let made = entry.get().1.len();
                tally.leaves = tally.leaves.wrapping_add(made);
                tally.insertions = tally.insertions.wrapping_add(made as u64);
                entry
            }
        };
        (entry, Outer { ctl: &mut raw.ctl, hash_builder, tally })
    }

    /// A guard giving mutable access to the inner collection of `k1`, created empty
    /// (`M::default()`) if absent. When the guard is dropped, the inner collection is
    /// removed if it is (still) empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::BTreeSet;
    /// let mut tags: leakless::NestedMap<&str, BTreeSet<&str>> = leakless::NestedMap::new();
    /// tags.inner_mut("post-1").insert("rust");
    /// tags.inner_mut("post-1").insert("maps");
    /// assert_eq!(tags.len(), 2);
    /// let _ = tags.inner_mut("post-2"); // created, left empty, pruned
    /// assert_eq!(tags.outer_len(), 1);
    /// ```
    #[inline]
    pub fn inner_mut(&mut self, k1: K1) -> InnerMut<'_, K1, M, S>
    where
        M: Default,
    {
        let (entry, outer) = self.find_or_create_inner(k1);
        InnerMut::new(entry, outer, true)
    }

    /// A guard giving mutable access to the inner collection of `k1`, created by `make`
    /// if absent (for collections without a `Default`, such as a bounded
    /// [`LruMap`](crate::LruMap), or with settings of their own). When the guard is
    /// dropped, the inner collection is removed if it is empty; a created collection's
    /// entries count as leaves from the start. If `make` panics, no entry is added.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{LruMap, NestedMap};
    /// let mut last_seen: NestedMap<&str, LruMap<&str, u64>> = NestedMap::new();
    /// last_seen.inner_mut_or_insert_with("eu", || LruMap::new(2)).insert("a", 1);
    /// last_seen.inner_mut_or_insert_with("eu", || LruMap::new(2)).insert("b", 2);
    /// last_seen.inner_mut_or_insert_with("eu", || LruMap::new(2)).insert("c", 3);
    /// assert_eq!(last_seen.len(), 2, "each inner cache keeps at most 2");
    /// assert_eq!(last_seen.get("eu", "a"), None, "the least recently used left");
    ///
    /// let mut groups: NestedMap<u8, Vec<u8>> = NestedMap::new();
    /// groups.inner_mut_or_insert_with(1, || vec![7, 8]).push(9);
    /// assert_eq!(groups.len(), 3);
    /// ```
    #[inline]
    pub fn inner_mut_or_insert_with(&mut self, k1: K1, make: impl FnOnce() -> M) -> InnerMut<'_, K1, M, S> {
        let (entry, outer) = self.find_or_create_inner_with(k1, make);
        InnerMut::new(entry, outer, true)
    }

    /// Run `f` on the inner collection of `k1`, if present, and remove it if `f` leaves
    /// it empty (also if `f` panics). Returns `f`'s result, or `None` if `k1` is absent.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::NestedMap<u8, Vec<u8>> = leakless::NestedMap::new();
    /// m.inner_mut(1).extend([1, 2]);
    /// assert_eq!(m.with_inner_mut(&1, |v| v.pop()), Some(Some(2)));
    /// assert_eq!(m.with_inner_mut(&1, |v| v.pop()), Some(Some(1)));
    /// assert_eq!(m.with_inner_mut(&1, |v| v.pop()), None, "1 was pruned");
    /// ```
    #[inline]
    pub fn with_inner_mut<Q, R>(&mut self, k1: &Q, f: impl FnOnce(&mut M) -> R) -> Option<R>
    where
        K1: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let (entry, mut outer) = self.find_inner(k1)?;
        Some(guard::edit(entry, &mut outer, f))
    }

    /// Run `f`, which inserts one value, on the inner collection of `k1` (created empty
    /// if absent) and settle it; `f`'s result is the value it replaced, if any, which
    /// is counted as [`RemovalCause::Replaced`]. With `adds_one` (the innermost map's
    /// [`InnerMap::INSERT_ADDS_ONE`]) the result alone says whether a leaf was added;
    /// otherwise the insert is settled by the lengths before and after it.
    #[inline(always)]
    fn insert_into<R>(&mut self, k1: K1, adds_one: bool, f: impl FnOnce(&mut M) -> Option<R>) -> Option<R>
    where
        M: Default,
    {
        let (entry, mut outer) = self.find_or_create_inner(k1);
        guard::insert_into(entry, &mut outer, adds_one, f)
    }

    /// Store `inner` as the inner collection of `k1`, returning the one it replaces. An
    /// empty `inner` is not kept (the key is then absent). The leaves of the replaced
    /// collection count as removed, those of `inner` as inserted.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::NestedMap<u8, Vec<u8>> = leakless::NestedMap::new();
    /// assert_eq!(m.insert_inner(1, vec![1, 2]), None);
    /// assert_eq!(m.insert_inner(1, vec![3]), Some(vec![1, 2]));
    /// assert_eq!(m.len(), 1);
    /// assert_eq!(m.insert_inner(1, vec![]), Some(vec![3]));
    /// assert_eq!(m.outer_len(), 0, "an empty inner collection is not kept");
    /// ```
    pub fn insert_inner(&mut self, k1: K1, inner: M) -> Option<M> {
        let mut new = Some(inner);
        let mut guard = self.inner_mut_or_insert_with(k1, || new.take().expect("made at most once"));
        let old = core::mem::replace(&mut *guard, new?);
        // The old leaves leave (explicit removals, counted by the gap they leave); the
        // guard then counts every leaf of the new collection as inserted.
        let tally = &mut *guard.outer.tally;
        tally.leaves = tally.leaves.wrapping_sub(old.len());
        guard.before = 0;
        Some(old)
    }

    /// Remove the inner collection of `k1` and return it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::NestedMap<u8, Vec<u8>> = leakless::NestedMap::new();
    /// m.inner_mut(1).extend([1, 2]);
    /// assert_eq!(m.remove_inner(&1), Some(vec![1, 2]));
    /// assert_eq!(m.len(), 0);
    /// ```
    pub fn remove_inner<Q>(&mut self, k1: &Q) -> Option<M>
    where
        K1: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut slot = PanicSlot::default();
        let removed = self.outer.remove_counted(k1, None, &mut slot);
        if let Some((_, inner)) = &removed {
            // An explicit removal of every leaf in it (counted by the gap it leaves).
            self.tally.leaves = self.tally.leaves.wrapping_sub(inner.len());
        }
        slot.resume();
        removed.map(|(_, inner)| inner)
    }

    /// Reserve room in the outer table for `additional` more outer keys.
    ///
    /// # Errors
    ///
    /// [`TryReserveError`](crate::TryReserveError) on capacity overflow or allocation
    /// failure.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::NestedMap<u8, Vec<u8>> = leakless::NestedMap::new();
    /// assert!(m.try_reserve(usize::MAX).is_err());
    /// assert!(m.try_reserve(16).is_ok());
    /// ```
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), crate::TryReserveError> {
        self.outer.try_reserve(additional)
    }

    /// Remove everything, giving the outer table back down to its floor.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::NestedMap<u8, Vec<u8>> = leakless::NestedMap::new();
    /// m.inner_mut(1).push(1);
    /// m.clear();
    /// assert!(m.is_empty());
    /// assert_eq!(m.outer().capacity(), 0);
    /// assert_eq!(m.allocation_size(), 80, "only the stats block stays");
    /// ```
    pub fn clear(&mut self) {
        self.tally.counters.removed(RemovalCause::Cleared, self.tally.leaves as u64);
        self.tally.leaves = 0;
        // Counted above, as leaves; the outer table counts nothing of its own.
        self.outer.raw.clear(None);
    }

    /// Heap bytes the map holds now: the outer table plus every inner collection's
    /// [`allocation_size`](InnerCollection::allocation_size) (not what keys and values
    /// own), and the map's 80-byte block of [`stats`](Self::stats) counters once it has
    /// counted a replaced value, a clear or a pruned inner collection (lookups and
    /// insertions are counted inline). O(outer keys).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::nested::NestedHashMap<u64, u64, u64> = Default::default();
    /// m.insert(1, 2, 3);
    /// let (outer, inner) = (m.outer().allocation_size(), m.get_inner(&1).unwrap().allocation_size());
    /// assert_eq!(m.allocation_size(), outer + inner, "no stats block yet");
    /// m.remove(&1, &2); // prunes the inner map, which is counted
    /// assert_eq!(m.allocation_size(), m.outer().allocation_size() + 80, "the inner map is gone");
    /// m.clear();
    /// assert_eq!(m.allocation_size(), 80, "only the stats block stays");
    /// ```
    pub fn allocation_size(&self) -> usize {
        self.outer.allocation_size()
            + self.tally.counters.heap_bytes()
            + self.outer.values().map(InnerCollection::allocation_size).sum::<usize>()
    }

    /// Check the map's invariants (see the [module docs](self)), panicking with a
    /// description of the first one broken. O(outer capacity + what the inner
    /// collections' own checks cost). Meant for tests and fuzz targets.
    ///
    /// # Panics
    ///
    /// Panics if an invariant is broken: an empty inner collection, a leaf count that
    /// disagrees with the inner lengths, or a broken outer or inner table.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::NestedMap<u8, Vec<u8>> = leakless::NestedMap::new();
    /// m.inner_mut(1).push(1);
    /// m.validate();
    /// ```
    pub fn validate(&self) {
        self.outer.validate();
        let mut sum = 0usize;
        for (_, inner) in self.outer.iter() {
            assert!(!inner.is_empty(), "validate: an empty inner collection was not pruned");
            assert!(inner.len() > 0, "validate: an inner collection's len() is 0 but is_empty() is false");
            inner.validate();
            sum += inner.len();
        }
        assert_eq!(sum, self.tally.leaves, "validate: the leaf count disagrees with the sum of the inner lengths");
    }
}

impl<K1: Eq + Hash, M: InnerCollection, S: BuildHasher> NestedMap<K1, M, S> {
    /// Run `f` on every inner collection, each through a guard (so each is counted and
    /// pruned as it is left, also if `f` panics), then shrink the outer table if due.
    pub(super) fn each_inner_mut(&mut self, mut f: impl FnMut(&K1, &mut M)) {
        let NestedMap { outer: HashMap { raw, hash_builder }, tally } = self;
        for index in 0..raw.table.num_buckets() {
            let Ok(entry) = raw.table.get_bucket_entry(index) else { continue };
            // Shrinking would move the buckets this loop walks: shrink once, below.
            let outer = Outer { ctl: &mut raw.ctl, hash_builder, tally };
            let mut guard = InnerMut::new(entry, outer, false);
            let (k1, inner) = guard.key_and_inner();
            f(k1, inner);
        }
        raw.ctl.maybe_shrink_now(&mut raw.table, hasher(hash_builder));
    }
}
