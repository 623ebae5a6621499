//! [`WeakKeyMap`]: a map whose keys are weak references, with dead entries pruned in
//! amortized O(1) (L5).
//!
//! Entries are stored inline in the single-threaded core (`RawTable`) as a
//! `Slot`: the weak key, the value and the key's hash, computed once at insert time.
//! The stored hash is what lets the map find, move and remove an entry whose key is
//! dead: rehashing (growth, shrinking) and removal never upgrade a key.
//!
//! # Pruning
//!
//! - **Incrementally**: every mutating operation except the insertion of a new key
//!   (`remove` — also of absent keys —, `get_mut`, `entry`, an `insert` that replaces
//!   a value, ...) first examines the next [`SWEEP_STEP`] buckets after a cursor that
//!   cycles over the table, removing the entries whose key is dead. Removing a bucket
//!   never moves the others, so a full cycle of the cursor sees every entry; after a
//!   resize the cursor restarts at 0.
//! - **Before growth**: when the table is full, a complete sweep runs before any
//!   reallocation, so entries dead by then are not copied into a bigger table (a key
//!   that dies during the sweep, its last strong pointer dropped by a value's `Drop` or
//!   the finalizer, is pruned by a later one); the table is then given at least
//!   `buckets / 16` free slots, so the next such sweep is at least that many inserts
//!   away (O(1) amortized). This is how inserting new keys pays for
//!   pruning: each one fills a free slot or a slot freed by an earlier removal, so a run
//!   of inserts reaches the next full sweep within O(buckets) inserts. (Examining
//!   buckets on every insert would cost a cache miss per bucket — the key's `Rc`/`Arc`
//!   allocation must be read to know if it is dead — and double the cost of an insert.)
//! - **On request**: [`WeakKeyMap::prune`] sweeps until no dead entry is left.
//!
//! After each sweep that removed something, the table shrinks by its [`ShrinkPolicy`].
//! Values of dead entries go to the finalizer with [`RemovalCause::Collected`] one at a
//! time, each right after its entry left the table (the map is consistent whenever user
//! code runs); a panicking `Drop` or finalizer does not stop the sweep, and the first
//! panic is re-raised at the end of the operation.
//!
//! Invariants (checked by [`WeakKeyMap::validate`]): the core's; every live entry's
//! stored hash is its key's hash; no two live entries have equal keys; the counters
//! agree with `len()`; the sweep cursor is within the table.

mod access;
mod builder;
mod entry;
mod iter;
mod key;
mod sweep;
mod traits;

use crate::error::or_abort;
use crate::hash_map::DefaultHashBuilder;
use crate::policy::{Finalizer, NoopFinalizer, PanicSlot, RemovalCause, ShrinkPolicy, Small, Stats};
use crate::raw::RawTable;

pub use entry::{Entry, OccupiedEntry, VacantEntry};
pub use iter::{Iter, Keys, Values};
pub use key::{ById, WeakKey};

/// Buckets the incremental sweep examines per mutating operation that steps it (every
/// one but the insertion of a new key, which pays by the sweep before growth instead;
/// see the [module docs](crate::weak)). A table of `b` buckets is swept completely
/// within `b / SWEEP_STEP` such operations.
///
/// # Examples
///
/// ```
/// use leakless::{WeakKeyMap, SWEEP_STEP};
/// use std::rc::{Rc, Weak};
/// let mut m: WeakKeyMap<Weak<u32>, u32> = WeakKeyMap::new();
/// let keys: Vec<Rc<u32>> = (0..64).map(Rc::new).collect();
/// for k in &keys { m.insert(k, 0); }
/// drop(keys); // every entry is dead now
/// let buckets = m.capacity().next_power_of_two() * 2; // an upper bound on the bucket count
/// let keep = Rc::new(1000);
/// for _ in 0..buckets / SWEEP_STEP + 1 {
///     // Each insert that replaces a value sweeps SWEEP_STEP buckets (the first, of a
///     // new key, does not).
///     m.insert(&keep, 0);
/// }
/// assert_eq!(m.len(), 1, "every dead entry was pruned by the incremental sweep");
/// ```
pub const SWEEP_STEP: usize = 4;

/// One entry: the weak key, the value, the key's hash computed at insert time.
pub(crate) struct Slot<K, V> {
    pub(crate) key: K,
    pub(crate) value: V,
    pub(crate) hash: u64,
}

/// The rehash closure of the table: the stored hash, never the (possibly dead) key.
#[inline]
pub(crate) fn stored_hash<K, V>(slot: &Slot<K, V>) -> u64 {
    slot.hash
}

/// A map whose keys are weak references ([`std::rc::Weak`] or [`std::sync::Weak`]): an
/// entry lives only as long as something else holds its key strongly, and dead entries
/// are pruned automatically, in amortized O(1) per mutating operation.
///
/// A map keyed by `Arc<Session>` keeps every session alive forever. Keyed by
/// `Weak<Session>` (as with the `weak-table` crate) it lets the sessions go — but a dead
/// entry that nobody removes still holds its value *and the key's whole allocation* (a
/// `Weak` keeps the `Rc`/`Arc` allocation alive). This map removes dead entries as it is
/// used: each mutating operation sweeps [`SWEEP_STEP`] buckets (inserting a new key
/// pays instead by bringing the next full sweep closer), a full sweep runs before the
/// table would grow, and [`prune`](Self::prune) sweeps on request. So a map
/// whose keys all die releases every dead entry, value and key allocation within
/// O(`len`) mutating operations of any kind, even if nothing is inserted again, and its
/// table shrinks by its [`ShrinkPolicy`]. (A floor set by
/// [`with_capacity`](Self::with_capacity) keeps the table, and so the sweep's round, at
/// the floor's size: then it takes O(`len` + floor) operations, `buckets / SWEEP_STEP`
/// at most; [`prune`](Self::prune) releases them at once.)
///
/// # Keys
///
/// `K` is `std::rc::Weak<T>` or `std::sync::Weak<T>` (`T: Hash + Eq + ?Sized`, compared
/// by value), or [`ById`] around either (compared by address: see [`WeakIdentityMap`]).
/// [`insert`](Self::insert) takes the strong pointer by reference and stores a weak one;
/// lookups take `&T`. Inserting a key equal to a live one replaces the value *and the
/// stored key* (so the entry now lives as long as the newest key).
///
/// # `len()`
///
/// [`len`](Self::len) counts the entries not yet pruned: some may be dead (their key
/// died after the last sweep that visited them). It is exact right after
/// [`prune`](Self::prune) (unless another thread drops an `Arc` key meanwhile);
/// [`len_live`](Self::len_live) counts live entries in O(capacity). Reads (`get`,
/// `contains_key`, `iter`, ...) never see dead entries, but take `&self` and so never
/// prune.
///
/// # Finalizer
///
/// Values leave exactly once, as in [`FinalizingMap`](crate::FinalizingMap): handed
/// back by `insert` (the old value) and `remove`, or passed to the finalizer (see
/// [`with_finalizer`](Self::with_finalizer)) with [`RemovalCause::Collected`] (key
/// died and a sweep removed the entry), `Explicit` (rejected by `retain`), `Cleared`
/// (`clear`) or `Dropped` (still in the map when it is dropped — dead entries not yet
/// pruned included). Without a finalizer they are dropped. A finalizer (or a value's
/// `Drop`) runs right after its entry has left the table, with the map consistent; if
/// it releases the last strong pointer to another entry's key, that entry is pruned by
/// a later sweep ([`prune`](Self::prune) repeats its sweep until nothing is left).
///
/// # Examples
///
/// ```
/// use leakless::WeakKeyMap;
/// use std::rc::{Rc, Weak};
///
/// let mut m: WeakKeyMap<Weak<str>, u32> = WeakKeyMap::new();
/// let alice: Rc<str> = Rc::from("alice");
/// let bob: Rc<str> = Rc::from("bob");
/// m.insert(&alice, 1);
/// m.insert(&bob, 2);
/// assert_eq!(m.get("alice"), Some(&1));
///
/// drop(alice); // the entry is dead: invisible to reads, pruned by the next sweep
/// assert_eq!(m.get("alice"), None);
/// assert_eq!(m.prune(), 1);
/// assert_eq!(m.len(), 1);
/// ```
pub struct WeakKeyMap<K, V, S = DefaultHashBuilder, F = NoopFinalizer>
where
    F: Finalizer<K, V>,
{
    pub(crate) raw: RawTable<Slot<K, V>>,
    hash_builder: S,
    finalizer: F,
    /// The next bucket the incremental sweep examines.
    cursor: usize,
    /// The bucket count the cursor refers to; a resize restarts the cursor.
    cursor_buckets: usize,
}

/// A [`WeakKeyMap`] whose keys are compared by identity (address), like Guava's
/// `weakKeys()`: `WeakIdentityMap<Weak<T>, V>` is `WeakKeyMap<ById<Weak<T>>, V>`. `T`
/// needs neither `Hash` nor `Eq`, and lookups never upgrade a key.
///
/// # Examples
///
/// ```
/// use leakless::WeakIdentityMap;
/// use std::sync::{Arc, Weak};
///
/// let a = Arc::new(7);
/// let b = Arc::new(7); // equal value, different object
/// let mut m: WeakIdentityMap<Weak<i32>, &str> = WeakIdentityMap::new();
/// m.insert(&a, "a");
/// assert_eq!(m.get(&*a), Some(&"a"));
/// assert_eq!(m.get(&*b), None);
/// ```
pub type WeakIdentityMap<K, V, S = DefaultHashBuilder, F = NoopFinalizer> = WeakKeyMap<ById<K>, V, S, F>;

impl<K, V> WeakKeyMap<K, V, DefaultHashBuilder, NoopFinalizer> {
    /// An empty map. It does not allocate until the first insert.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::WeakKeyMap<std::rc::Weak<u32>, u32> = leakless::WeakKeyMap::new();
    /// assert_eq!(m.capacity(), 0);
    /// ```
    pub fn new() -> Self {
        Self::with_hasher(DefaultHashBuilder::new())
    }

    /// An empty map with room for `capacity` entries, which is also the floor below
    /// which it never shrinks automatically.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::WeakKeyMap<std::rc::Weak<u32>, u32> = leakless::WeakKeyMap::with_capacity(100);
    /// assert!(m.capacity() >= 100);
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        Self::with_capacity_and_hasher(capacity, DefaultHashBuilder::new())
    }
}

impl<K, V, F: Finalizer<K, V>> WeakKeyMap<K, V, DefaultHashBuilder, F> {
    /// An empty map whose departing values (other than those handed back by `insert`
    /// and `remove`) go to `finalizer`, with their [`RemovalCause`].
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{RemovalCause, WeakKeyMap};
    /// use std::rc::{Rc, Weak};
    ///
    /// let mut collected = Vec::new();
    /// let mut m = WeakKeyMap::with_finalizer(|_k: Weak<u32>, v: &'static str, cause| collected.push((v, cause)));
    /// let key = Rc::new(1);
    /// m.insert(&key, "session state");
    /// drop(key);
    /// m.prune();
    /// drop(m);
    /// assert_eq!(collected, [("session state", RemovalCause::Collected)]);
    /// ```
    pub fn with_finalizer(finalizer: F) -> Self {
        Self::with_hasher_and_finalizer(DefaultHashBuilder::new(), finalizer)
    }
}

impl<K, V, S> WeakKeyMap<K, V, S, NoopFinalizer> {
    /// An empty map hashing with `hash_builder`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::hash::RandomState;
    /// let m: leakless::WeakKeyMap<std::rc::Weak<u8>, u8, RandomState> =
    ///     leakless::WeakKeyMap::with_hasher(RandomState::new());
    /// assert!(m.is_empty());
    /// ```
    pub fn with_hasher(hash_builder: S) -> Self {
        Self::with_hasher_and_finalizer(hash_builder, NoopFinalizer)
    }

    /// An empty map with room (and a floor) for `capacity` entries, hashing with
    /// `hash_builder`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::hash::RandomState;
    /// let m: leakless::WeakKeyMap<std::rc::Weak<u8>, u8, RandomState> =
    ///     leakless::WeakKeyMap::with_capacity_and_hasher(10, RandomState::new());
    /// assert!(m.capacity() >= 10);
    /// ```
    pub fn with_capacity_and_hasher(capacity: usize, hash_builder: S) -> Self {
        let mut m = Self::with_hasher(hash_builder);
        m.raw = RawTable::with_capacity(capacity);
        m
    }
}

impl<K, V, S, F: Finalizer<K, V>> WeakKeyMap<K, V, S, F> {
    /// An empty map hashing with `hash_builder`, finalizing with `finalizer`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::hash::RandomState;
    /// let m = leakless::WeakKeyMap::with_hasher_and_finalizer(RandomState::new(), |_k: std::rc::Weak<u8>, _v: u8, _c| {});
    /// assert!(m.is_empty());
    /// ```
    pub fn with_hasher_and_finalizer(hash_builder: S, finalizer: F) -> Self {
        Self { raw: RawTable::default(), hash_builder, finalizer, cursor: 0, cursor_buckets: 0 }
    }

    /// The same map with room (and a floor) for at least `capacity` entries.
    ///
    /// # Panics
    ///
    /// Panics if a table for `capacity` entries would overflow `usize`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::WeakKeyMap::with_finalizer(|_k: std::rc::Weak<u8>, _v: u8, _c| {}).with_floor(64);
    /// assert!(m.capacity() >= 64);
    /// ```
    pub fn with_floor(mut self, capacity: usize) -> Self {
        or_abort(self.raw.try_reserve(capacity.saturating_sub(self.raw.len()), stored_hash));
        self.raw.ctl.set_floor(capacity);
        self
    }

    /// The same map with a different [`ShrinkPolicy`].
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{ShrinkPolicy, WeakKeyMap};
    /// let m: WeakKeyMap<std::rc::Weak<u8>, u8> = WeakKeyMap::new().with_shrink_policy(ShrinkPolicy::never());
    /// assert_eq!(m.shrink_policy(), ShrinkPolicy::never());
    /// ```
    pub fn with_shrink_policy(mut self, policy: ShrinkPolicy) -> Self {
        self.raw.ctl.set_shrink_policy(policy);
        self
    }

    /// The map's [`ShrinkPolicy`].
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::WeakKeyMap<std::rc::Weak<u8>, u8> = leakless::WeakKeyMap::new();
    /// assert_eq!(m.shrink_policy(), leakless::ShrinkPolicy::default());
    /// ```
    pub fn shrink_policy(&self) -> ShrinkPolicy {
        self.raw.ctl.shrink_policy()
    }

    /// The number of entries not yet pruned, **including dead ones** not yet visited by a
    /// sweep. Exact (equal to [`len_live`](Self::len_live)) right after
    /// [`prune`](Self::prune). O(1).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u8> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// m.insert(&k, 1);
    /// drop(k);
    /// assert_eq!(m.len(), 1, "dead, not yet pruned");
    /// m.prune();
    /// assert_eq!(m.len(), 0);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// `true` if [`len`](Self::len) is 0 (no entry at all, dead or alive).
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::WeakKeyMap<std::rc::Weak<u8>, u8> = leakless::WeakKeyMap::new();
    /// assert!(m.is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.raw.len() == 0
    }

    /// How many entries fit without reallocating.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::WeakKeyMap<std::rc::Weak<u8>, u8> = leakless::WeakKeyMap::new();
    /// assert_eq!(m.capacity(), 0);
    /// ```
    pub fn capacity(&self) -> usize {
        self.raw.capacity()
    }

    /// Heap bytes the map's table holds now. The keys' `Rc`/`Arc` allocations are not
    /// counted (the map shares them), nor what the values own.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::WeakKeyMap<std::rc::Weak<u8>, u8> = leakless::WeakKeyMap::new();
    /// let k = std::rc::Rc::new(1);
    /// m.insert(&k, 1);
    /// assert!(m.allocation_size() > 0);
    /// ```
    pub fn allocation_size(&self) -> usize {
        self.raw.allocation_size()
    }

    /// Counters: lookups, insertions, removals by cause, shrinks, and `pruned` (dead
    /// entries removed by sweeps, each also counted as a
    /// [`RemovalCause::Collected`] removal).
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::RemovalCause;
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u8> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// m.insert(&k, 1);
    /// drop(k);
    /// m.prune();
    /// let s = m.stats();
    /// assert_eq!((s.insertions, s.pruned, s.removals(RemovalCause::Collected)), (1, 1, 1));
    /// ```
    pub fn stats(&self) -> Stats {
        self.raw.ctl.stats()
    }

    /// The hasher.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::WeakKeyMap<std::rc::Weak<u8>, u8> = leakless::WeakKeyMap::new();
    /// let _: &ahash::RandomState = m.hasher();
    /// ```
    pub fn hasher(&self) -> &S {
        &self.hash_builder
    }

    /// The finalizer.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::WeakKeyMap<std::rc::Weak<u8>, u8> = leakless::WeakKeyMap::new();
    /// let _: &leakless::NoopFinalizer = m.finalizer();
    /// ```
    pub fn finalizer(&self) -> &F {
        &self.finalizer
    }

    /// The finalizer, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::WeakKeyMap<std::rc::Weak<u8>, u8> = leakless::WeakKeyMap::new();
    /// let _: &mut leakless::NoopFinalizer = m.finalizer_mut();
    /// ```
    pub fn finalizer_mut(&mut self) -> &mut F {
        &mut self.finalizer
    }

    /// Finalize every entry with [`RemovalCause::Cleared`] (dead or alive) and give the
    /// table back down to the floor.
    ///
    /// # Panics
    ///
    /// Re-raises the first panic of the finalizer (or of a value's `Drop`), after every
    /// entry has been finalized.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u8> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// m.insert(&k, 1);
    /// m.clear();
    /// assert!(m.is_empty());
    /// assert_eq!(m.capacity(), 0);
    /// ```
    pub fn clear(&mut self) {
        let old = self.raw.take_all(Some(RemovalCause::Cleared));
        let mut slot = PanicSlot::default();
        for s in old {
            slot.run(|| self.finalizer.finalize(s.key, s.value, RemovalCause::Cleared));
        }
        slot.resume();
    }
}

impl<K: WeakKey, V, S, F: Finalizer<K, V>> WeakKeyMap<K, V, S, F> {
    /// The number of live entries. O(capacity): it checks every key.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u8> = leakless::WeakKeyMap::new();
    /// let (a, b) = (Rc::new(1), Rc::new(2));
    /// m.insert(&a, 1);
    /// m.insert(&b, 2);
    /// drop(a);
    /// assert_eq!((m.len(), m.len_live()), (2, 1));
    /// ```
    pub fn len_live(&self) -> usize {
        self.raw.table.iter().filter(|s| !s.key.is_dead()).count()
    }

    /// An iterator over the live entries, yielding each key's strong pointer (so the key
    /// stays alive while you hold it) and the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, &str> = leakless::WeakKeyMap::new();
    /// let (a, b) = (Rc::new(1), Rc::new(2));
    /// m.insert(&a, "a");
    /// m.insert(&b, "b");
    /// drop(b);
    /// let all: Vec<(Rc<u8>, &&str)> = m.iter().collect();
    /// assert_eq!(all, [(a, &"a")]);
    /// ```
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter::new(self.raw.table.iter())
    }

    /// An iterator over the live keys, as strong pointers.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, ()> = leakless::WeakKeyMap::new();
    /// let a = Rc::new(1);
    /// m.insert(&a, ());
    /// assert_eq!(m.keys().collect::<Vec<_>>(), [a]);
    /// ```
    pub fn keys(&self) -> Keys<'_, K, V> {
        Keys { inner: self.iter() }
    }

    /// An iterator over the values of live entries.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u32> = leakless::WeakKeyMap::new();
    /// let a = Rc::new(1);
    /// m.insert(&a, 10);
    /// assert_eq!(m.values().collect::<Vec<_>>(), [&10]);
    /// ```
    pub fn values(&self) -> Values<'_, K, V> {
        Values::new(self.raw.table.iter())
    }

    /// Remove every dead entry now, repeating the sweep while it finds any (a dropped
    /// value may hold the last strong pointer to another entry's key), and shrink the
    /// table by its policy. Returns how many entries were removed. Afterwards
    /// [`len`](Self::len) is exact.
    ///
    /// # Panics
    ///
    /// Re-raises the first panic of a value's `Drop` or the finalizer, after the sweep
    /// in which it happened (the entry is gone by then; later sweeps are skipped).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u32>, Option<Rc<u32>>> = leakless::WeakKeyMap::new();
    /// let (a, b) = (Rc::new(1), Rc::new(2));
    /// m.insert(&b, None);
    /// m.insert(&a, Some(b)); // a's value holds the only strong pointer to b
    /// drop(a);
    /// assert_eq!(m.prune(), 2, "a, then b once a's value was dropped");
    /// assert!(m.is_empty());
    /// ```
    pub fn prune(&mut self) -> usize {
        let mut total = 0;
        loop {
            let mut slot = PanicSlot::default();
            let removed = self.sweep_all(&mut slot);
            slot.resume();
            total += removed;
            if removed == 0 {
                return total;
            }
        }
    }

    /// Keep the live entries for which `keep` returns `true`. The others are finalized:
    /// dead ones with [`RemovalCause::Collected`], rejected ones with
    /// [`RemovalCause::Explicit`]. Then the table shrinks if due.
    ///
    /// # Panics
    ///
    /// A panic of `keep` propagates at once (the map stays valid; entries already removed
    /// were finalized). A panic of the finalizer is re-raised after the scan.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u32>, u32> = leakless::WeakKeyMap::new();
    /// let keys: Vec<_> = (0..10).map(Rc::new).collect();
    /// for k in &keys {
    ///     m.insert(k, **k);
    /// }
    /// m.retain(|_k, v| *v % 2 == 0);
    /// assert_eq!(m.len(), 5);
    /// ```
    pub fn retain(&mut self, mut keep: impl FnMut(&K::Strong, &mut V) -> bool) {
        let mut slot = PanicSlot::default();
        let Self { raw, finalizer, .. } = self;
        for index in 0..raw.table.num_buckets() {
            let Ok(mut entry) = raw.table.get_bucket_entry(index) else { continue };
            let s = entry.get_mut();
            let cause = match s.key.upgrade() {
                None => RemovalCause::Collected,
                Some(strong) if !keep(&strong, &mut s.value) => RemovalCause::Explicit,
                Some(_) => continue,
            };
            let (s, _) = entry.remove();
            raw.ctl.counters.removed(cause, 1);
            if cause == RemovalCause::Collected {
                raw.ctl.counters.add(Small::Pruned, 1);
            }
            slot.run(|| finalizer.finalize(s.key, s.value, cause));
        }
        raw.ctl.maybe_shrink(&mut raw.table, stored_hash, &mut slot);
        self.sync_cursor();
        slot.resume();
    }
}

// Safe code only (the map's unsafe-free layer over the core, whose own tests run under
// Miri), and the slowest unit tests under Miri: `ci/miri.sh` leaves them out, as it
// leaves out `tests/weak.rs`.
#[cfg(all(test, not(miri)))]
mod tests;
