//! The public facade: [`ConcurrentMap`] (its pinned handle, [`Pinned`], is in `pinned.rs`;
//! its standard trait implementations in `traits.rs`).

use core::borrow::Borrow;
use core::hash::{BuildHasher, Hash};

use super::builder::Builder;
use super::core::{Computed, Inner};
use super::pinned::Pinned;
use crate::hash_map::DefaultHashBuilder;
use crate::loom::Ordering;
use crate::policy::{Capacity, RemovalCause, ShrinkPolicy, Stats};

/// A concurrent hash map that gives memory back, bounds its deferred garbage, and can be
/// a bounded concurrent cache.
///
/// - **Reads are lock-free**: [`pin`](ConcurrentMap::pin) returns a [`Pinned`] handle
///   whose references stay valid while it lives; [`get_cloned`](ConcurrentMap::get_cloned)
///   and [`get_with`](ConcurrentMap::get_with) need no handle.
/// - **Writes lock one bucket** (a bit in the bucket's head pointer), so writers to
///   different buckets never contend.
/// - **Resizing is incremental** and goes both ways: the table grows when its entries
///   fill more than 3/4 of its buckets and shrinks by its [`ShrinkPolicy`]; writers
///   migrate it a chunk of buckets at a time while readers follow forwarding marks.
/// - **Garbage is bounded** (leak L6): retired entries are counted
///   ([`Stats::pending_garbage_bytes`]) and reclaimed in proportion to what is retired,
///   by writers and, every 64 reads through a thread's slot, by readers (so a map only
///   read after a burst of removals still drains its garbage and shrinks its table);
///   dropping the map frees everything, including entries retired while a reader was
///   pinned (but not what a [forgotten](ConcurrentMap::pin) handle keeps). Each map has
///   its own epoch collector, so `K` and `V` need not be `'static`.
///   Retired entries wait in batches of up to 63 in the slot of the thread that retired
///   them: a thread that stops writing to the map but keeps running holds at most one
///   such batch until it writes again (or the map is dropped); a thread that exits
///   hands its batch to another writer's next maintenance step (within 256 of that
///   writer's writes; a value removed by an exiting thread was finalized after 242 later
///   writes in `tests/concurrent.rs`).
/// - **Bounded mode** ([`builder`](ConcurrentMap::builder)): a maximum number of entries
///   and/or a total weight, kept by CLOCK eviction with hot and cold entries (see
///   [`Builder`]), and a finalizer that
///   receives every departing value exactly once with its [`RemovalCause`].
///
/// Values are shared with readers, so operations that remove or overwrite a value do not
/// return it: it goes to the finalizer (or is dropped) once no reader can see it.
///
/// The key type's `Hash` and `Eq` run while writes hold a bucket lock, so they must not
/// use the map they key (a write from there could wait for that lock, and so could a
/// read that helps a resize). Callbacks that may read the map under a lock are listed on
/// the methods that take them ([`compute`](Self::compute), [`retain`](Self::retain), ...).
///
/// # Examples
///
/// ```
/// use leakless::ConcurrentMap;
/// use std::sync::Arc;
///
/// let map = Arc::new(ConcurrentMap::new());
/// let writers: Vec<_> = (0..2u64)
///     .map(|t| {
///         let map = Arc::clone(&map);
///         std::thread::spawn(move || {
///             for i in 0..1000 {
///                 map.insert(t * 1000 + i, i);
///             }
///         })
///     })
///     .collect();
/// writers.into_iter().for_each(|w| w.join().unwrap());
/// assert_eq!(map.len(), 2000);
/// assert_eq!(map.get_cloned(&1999), Some(999));
/// let pinned = map.pin();
/// assert_eq!(pinned.get(&5), Some(&5));
/// ```
pub struct ConcurrentMap<K, V, S = DefaultHashBuilder> {
    pub(super) inner: Box<Inner<K, V, S>>,
}

// SAFETY: the map owns its keys and values (so moving it moves them: `K: Send`,
// `V: Send`) and shares them by reference with every thread that holds `&self` (so
// `K: Sync`, `V: Sync`); values are dropped or finalized on whichever thread drains the
// garbage (covered by `Send`). The raw pointers inside are owned by the map.
unsafe impl<K: Send + Sync, V: Send + Sync, S: Send + Sync> Send for ConcurrentMap<K, V, S> {}
// SAFETY: as above; every shared-state mutation goes through atomics or bucket locks.
unsafe impl<K: Send + Sync, V: Send + Sync, S: Send + Sync> Sync for ConcurrentMap<K, V, S> {}

impl<K, V> ConcurrentMap<K, V, DefaultHashBuilder> {
    /// An empty, unbounded map. It allocates its table at the first insert.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::ConcurrentMap<u32, u32> = leakless::ConcurrentMap::new();
    /// assert!(m.is_empty());
    /// ```
    pub fn new() -> Self {
        Self::with_hasher(DefaultHashBuilder::new())
    }

    /// An empty map with room for `capacity` entries, which is also the floor below which
    /// it never shrinks.
    ///
    /// # Examples
    ///
    /// ```
    /// let fixed = leakless::ConcurrentMap::<u32, u32>::new().allocation_size();
    /// let m = leakless::ConcurrentMap::with_capacity(1000);
    /// m.insert(1, 1);
    /// assert!(m.allocation_size() >= fixed + 1000 * 8);
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        Self::with_capacity_and_hasher(capacity, DefaultHashBuilder::new())
    }

    /// A builder for a bounded map (the concurrent cache) or a map with a finalizer.
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = leakless::ConcurrentMap::builder().max_entries(100).build();
    /// for i in 0..1000 {
    ///     cache.insert(i, i);
    /// }
    /// assert!(cache.len() <= 100);
    /// ```
    pub fn builder() -> Builder<K, V, DefaultHashBuilder> {
        Builder::new()
    }
}

impl<K, V, S> ConcurrentMap<K, V, S> {
    /// An empty, unbounded map using `hash_builder` to hash keys.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::ConcurrentMap;
    /// let m = ConcurrentMap::with_hasher(std::hash::RandomState::new());
    /// m.insert("a", 1);
    /// assert_eq!(m.get_cloned("a"), Some(1));
    /// ```
    pub fn with_hasher(hash_builder: S) -> Self {
        Self::with_capacity_and_hasher(0, hash_builder)
    }

    /// An empty map with room (and a floor) of `capacity` entries, using `hash_builder`.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::ConcurrentMap;
    /// let m: ConcurrentMap<u8, u8, _> = ConcurrentMap::with_capacity_and_hasher(10, ahash::RandomState::with_seeds(1, 2, 3, 4));
    /// assert_eq!(m.len(), 0);
    /// ```
    pub fn with_capacity_and_hasher(capacity: usize, hash_builder: S) -> Self {
        Self::from_parts(Inner::new(hash_builder, capacity, ShrinkPolicy::default(), None, None))
    }

    pub(super) fn from_parts(inner: Inner<K, V, S>) -> Self {
        ConcurrentMap { inner: Box::new(inner) }
    }

    /// The number of entries (exact when no write is in flight; a snapshot otherwise).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::new();
    /// m.insert(1, "a");
    /// assert_eq!(m.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// `true` if the map holds no entries.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::<u8, u8>::new();
    /// assert!(m.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The map's hasher.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::hash::BuildHasher;
    /// let m = leakless::ConcurrentMap::<u8, u8>::new();
    /// let _ = m.hasher().hash_one(1u8);
    /// ```
    pub fn hasher(&self) -> &S {
        &self.inner.hash_builder
    }

    /// The bound of the map ([`Capacity::unbounded`] unless built with a limit).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::<u8, u8>::builder().max_entries(5).build();
    /// assert_eq!(m.capacity().max_entries(), Some(5));
    /// ```
    pub fn capacity(&self) -> Capacity {
        self.inner.bound.as_ref().map_or(Capacity::unbounded(), |b| b.capacity)
    }

    /// The total weight of the entries of a bounded map (its entry count when it has no
    /// weigher); 0 for an unbounded map without a weigher (one built with a weigher but
    /// no limit keeps the total too). Exact for weights below 2^30; a weight bound of
    /// 2^30 or more records weights rounded up to a multiple of `2^(bits - 30)`, where
    /// `bits` is the bound's bit length (16 bytes for an 8 GiB bound), so the total may
    /// read a little high, never low, and the real total stays within the bound (a value
    /// within `2^(bits - 30)` of the bound may then be rejected). Without a weight
    /// bound, each entry's recorded weight is capped at 2^30 - 1.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::builder().max_weight(100).weigher(|_: &u8, v: &String| v.len() as u64).build();
    /// m.insert(1, "four".to_string());
    /// assert_eq!(m.weight(), 4);
    /// ```
    pub fn weight(&self) -> u64 {
        self.inner.bound.as_ref().map_or(0, |b| b.weight())
    }

    /// What the map has done so far, including the garbage it still holds.
    ///
    /// Removals are counted when the value leaves the map (its finalizer runs a little
    /// later, once no reader can see it).
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{ConcurrentMap, RemovalCause};
    /// let m = ConcurrentMap::new();
    /// m.insert(1, 1);
    /// m.insert(1, 2);
    /// assert_eq!(m.get_cloned(&1), Some(2));
    /// assert!(m.remove(&1));
    /// let s = m.stats();
    /// assert_eq!((s.hits, s.insertions), (1, 1));
    /// assert_eq!(s.removals(RemovalCause::Replaced), 1);
    /// assert_eq!(s.removals(RemovalCause::Explicit), 1);
    /// ```
    pub fn stats(&self) -> Stats {
        let p = &self.inner.pool;
        let mut removed = [0; 7];
        for (i, r) in removed.iter_mut().enumerate() {
            *r = p.sum(|c| c.removed[i].load(Ordering::Relaxed));
        }
        Stats {
            hits: p.sum(|c| c.hits.load(Ordering::Relaxed)),
            misses: p.sum(|c| c.misses.load(Ordering::Relaxed)),
            insertions: p.sum(|c| c.insertions.load(Ordering::Relaxed)),
            removed,
            shrinks: p.sum(|c| c.shrinks.load(Ordering::Relaxed)),
            pruned: 0,
            pending_garbage_bytes: self.inner.pending_garbage(),
        }
    }

    /// Pins the calling thread on this map: reads through the returned handle are
    /// lock-free and return references valid while the handle lives.
    ///
    /// While any handle is pinned, the map cannot free entries retired after it was
    /// pinned (they are counted in [`Stats::pending_garbage_bytes`]), and a resize that
    /// would need them freed waits: keep handles short-lived. A handle passed to
    /// [`mem::forget`](core::mem::forget) stays pinned forever: as with any forgotten
    /// epoch guard, nothing retired from then on is freed, not even when the map is
    /// dropped (those values are never finalized or dropped: a leak, which is safe).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::new();
    /// m.insert("k", vec![1, 2, 3]);
    /// let p = m.pin();
    /// let v: &Vec<i32> = p.get("k").unwrap();
    /// m.remove("k"); // the value stays readable through `p`
    /// assert_eq!(v, &[1, 2, 3]);
    /// ```
    pub fn pin(&self) -> Pinned<'_, K, V, S> {
        Pinned::new(self, self.inner.pin())
    }
}

impl<K: Hash + Eq, V, S: BuildHasher> ConcurrentMap<K, V, S> {
    /// Inserts `value` under `key`. Returns `true` if the key was new (and the value
    /// stored); otherwise the old value is finalized as [`RemovalCause::Replaced`] once no
    /// reader can see it.
    ///
    /// In a bounded map, an insert may evict other entries, and a value heavier than the
    /// whole weight limit is not stored: it goes to the finalizer as
    /// [`RemovalCause::Rejected`] (and any old value under `key` as `Replaced`), the key
    /// is absent afterwards, and `insert` returns `false`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::new();
    /// assert!(m.insert(1, "a"));
    /// assert!(!m.insert(1, "b"));
    /// assert_eq!(m.get_cloned(&1), Some("b"));
    /// ```
    pub fn insert(&self, key: K, value: V) -> bool {
        self.inner.insert(key, value)
    }

    /// A clone of the value under `key`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::new();
    /// m.insert("k".to_string(), 7);
    /// assert_eq!(m.get_cloned("k"), Some(7));
    /// assert_eq!(m.get_cloned("x"), None);
    /// ```
    pub fn get_cloned<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        self.inner.read(key, |found| found.map(|n| n.value.clone()))
    }

    /// Calls `f` with the value under `key` and returns its result.
    ///
    /// `f` runs while this thread is pinned (as a read through [`pin`](ConcurrentMap::pin)
    /// does): keep it short, and do not call back into the map from it with a
    /// blocking expectation on reclamation.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::new();
    /// m.insert(1, vec![1, 2, 3]);
    /// assert_eq!(m.get_with(&1, |v| v.len()), Some(3));
    /// ```
    pub fn get_with<Q, R>(&self, key: &Q, f: impl FnOnce(&V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.read(key, |found| found.map(|n| f(&n.value)))
    }

    /// The value under `key`, as a reference valid while `guard` lives.
    ///
    /// # Panics
    ///
    /// Panics if `guard` was pinned on another map.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::new();
    /// m.insert(1, "one");
    /// let guard = m.pin();
    /// assert_eq!(m.get(&1, &guard), Some(&"one"));
    /// ```
    pub fn get<'g, Q>(&self, key: &Q, guard: &'g Pinned<'_, K, V, S>) -> Option<&'g V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.check_guard(guard);
        guard.get(key)
    }

    fn check_guard(&self, guard: &Pinned<'_, K, V, S>) {
        assert!(core::ptr::eq(guard.map, self), "ConcurrentMap: the guard belongs to another map");
    }

    /// `true` if the map holds `key`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::new();
    /// m.insert(1, ());
    /// assert!(m.contains_key(&1) && !m.contains_key(&2));
    /// ```
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.read(key, |found| found.is_some())
    }

    /// Grows the table now so that `additional` more entries fit without a resize (for a
    /// map bounded by entries, up to its bound), instead of growing step by step while they
    /// are inserted. Like growth on insert, it waits for a resize in progress, and is left
    /// to later writes while a walker (`retain`, `clear`) runs or an older table waits for
    /// a pinned reader. Room that stays unused may be given back by the map's
    /// [`ShrinkPolicy`] after later removals.
    ///
    /// # Errors
    ///
    /// [`TryReserveError`](crate::TryReserveError) when the table would exceed 2^31
    /// buckets or the allocator refuses its bucket array; the map is unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::ConcurrentMap<u64, u64> = leakless::ConcurrentMap::new();
    /// let fixed = m.allocation_size();
    /// assert!(m.try_reserve(usize::MAX).is_err());
    /// m.try_reserve(1000).unwrap();
    /// // The bucket array for 1000 entries is there before the first insert.
    /// assert!(m.allocation_size() >= fixed + 1000 * std::mem::size_of::<usize>());
    /// assert!(m.is_empty());
    /// ```
    pub fn try_reserve(&self, additional: usize) -> Result<(), crate::TryReserveError> {
        self.inner.try_reserve(additional)
    }

    /// Removes `key`. Returns `true` if it was present; its value is finalized as
    /// [`RemovalCause::Explicit`] once no reader can see it.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::new();
    /// m.insert(1, 1);
    /// assert!(m.remove(&1));
    /// assert!(!m.remove(&1));
    /// ```
    pub fn remove<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.remove(key, RemovalCause::Explicit)
    }

    /// Replaces the value under `key` with `f(old)`. Returns `false` (and does not call
    /// `f`) if the key is absent, `true` once `f` ran.
    ///
    /// In a bounded map, a new value heavier than the whole weight limit is not stored:
    /// the old value is finalized as [`RemovalCause::Replaced`], the new one as
    /// [`RemovalCause::Rejected`], and the key is absent afterwards (still `true`: `f`
    /// ran; [`compute`](Self::compute) says whether the key stayed).
    ///
    /// `f` runs once, holding the key's bucket lock and no pin: other writers to that
    /// bucket wait, readers do not.
    ///
    /// # Deadlocks
    ///
    /// `f` must not write to this map (it could need the lock it runs under).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::new();
    /// m.insert("hits", 1);
    /// assert!(m.update("hits", |n| n + 1));
    /// assert_eq!(m.get_cloned("hits"), Some(2));
    /// assert!(!m.update("misses", |n| n + 1));
    /// ```
    pub fn update(&self, key: K, f: impl FnOnce(&V) -> V) -> bool {
        let (c, ()) = self.inner.compute(key, |old| match old {
            Some(v) => (Ok(Some(f(v))), ()),
            None => (Err(()), ()),
        });
        matches!(c, Computed::Replaced | Computed::Removed)
    }

    /// Computes the entry of `key` from its current value: `f(Some(&old))` or `f(None)`
    /// returns the new value, or `None` to remove the entry. Returns `true` if the key is
    /// present afterwards.
    ///
    /// An old value that `f` replaces is finalized as [`RemovalCause::Replaced`]; one it
    /// removes (by returning `None`), as [`RemovalCause::Explicit`]. In a bounded map a
    /// new value heavier than the whole weight limit is not stored, as with
    /// [`insert`](ConcurrentMap::insert): it is finalized as [`RemovalCause::Rejected`],
    /// the old value as `Replaced`, and `compute` returns `false`.
    ///
    /// `f` runs exactly once, holding the key's bucket lock and no pin (see
    /// [`update`](ConcurrentMap::update), including its deadlock warning).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::new();
    /// assert!(m.compute("n", |old| Some(old.map_or(1, |n| n + 1))));
    /// assert!(m.compute("n", |old| Some(old.map_or(1, |n| n + 1))));
    /// assert_eq!(m.get_cloned("n"), Some(2));
    /// assert!(!m.compute("n", |_| None));
    /// assert!(m.is_empty());
    /// ```
    pub fn compute(&self, key: K, f: impl FnOnce(Option<&V>) -> Option<V>) -> bool {
        let (c, present) = self.inner.compute(key, |old| {
            let had = old.is_some();
            let new = f(old);
            let present = new.is_some();
            if !had && !present {
                (Err(()), false)
            } else {
                (Ok(new), present)
            }
        });
        present && !matches!(c, Computed::Unchanged | Computed::Removed)
    }

    /// The value under `key`, inserting `make()` first if the key is absent. `make` runs
    /// only in the call that inserts (once per winning insert), under the key's bucket
    /// lock and without a pin.
    ///
    /// # Deadlocks
    ///
    /// `make` must not write to this map (it could need the lock it runs under, or wait
    /// for a resize that needs it): a memoised recursion that fills the map from inside
    /// `make` deadlocks. Compute such values first, then insert them.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::new();
    /// let mut calls = 0;
    /// assert_eq!(m.get_or_insert_with(1, || { calls += 1; "a" }), "a");
    /// assert_eq!(m.get_or_insert_with(1, || { calls += 1; "b" }), "a");
    /// assert_eq!(calls, 1);
    /// ```
    pub fn get_or_insert_with(&self, key: K, make: impl FnOnce() -> V) -> V
    where
        V: Clone,
    {
        {
            let pin = self.inner.pin();
            if let Some(n) = self.inner.find(&pin, &key) {
                return n.value.clone();
            }
        }
        let (_, v) = self.inner.compute(key, |old| match old {
            Some(v) => (Err(()), v.clone()),
            None => {
                let v = make();
                let out = v.clone();
                (Ok(Some(v)), out)
            }
        });
        v
    }

    /// Keeps only the entries for which `keep` returns `true`; the others are finalized
    /// as [`RemovalCause::Explicit`]. The table shrinks afterwards if it became mostly
    /// empty.
    ///
    /// Weakly consistent: entries inserted or removed concurrently may or may not be
    /// visited; every entry present throughout is visited exactly once. `keep` runs under
    /// each entry's bucket lock, without a pin.
    ///
    /// # Deadlocks
    ///
    /// `keep` must not write to this map.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::ConcurrentMap<u32, u32> = (0..100).map(|i| (i, i)).collect();
    /// m.retain(|k, _| k % 10 == 0);
    /// assert_eq!(m.len(), 10);
    /// ```
    pub fn retain(&self, keep: impl FnMut(&K, &V) -> bool) {
        self.inner.retain(keep, RemovalCause::Explicit);
    }

    /// Removes every entry (finalized as [`RemovalCause::Cleared`]) and shrinks the table
    /// back to its floor. Weakly consistent, like [`retain`](ConcurrentMap::retain).
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::ConcurrentMap<u32, u32> = (0..10_000).map(|i| (i, i)).collect();
    /// let full = m.allocation_size();
    /// m.clear();
    /// for i in 0..64 {
    ///     m.insert(i, i); // later writes finish the shrink and drain the garbage
    /// }
    /// assert_eq!(m.len(), 64);
    /// assert!(m.allocation_size() < full / 4);
    /// ```
    pub fn clear(&self) {
        self.inner.retain(|_, _| false, RemovalCause::Cleared);
    }

    /// Checks the map's invariants (every entry in its bucket with its stored hash, no
    /// duplicate keys, counters matching the entries, the bound respected). Meant for
    /// tests and fuzzing, while no other thread uses the map.
    ///
    /// # Panics
    ///
    /// Panics with a message naming the first broken invariant.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::ConcurrentMap<u32, u32> = (0..100).map(|i| (i, i)).collect();
    /// m.validate();
    /// ```
    pub fn validate(&self) {
        self.inner.validate();
    }

    /// How many times a thread claimed one of the map's leased epoch slots (loom builds
    /// only: lets `tests/loom.rs` check that a lease changed hands).
    #[cfg(leakless_loom)]
    #[doc(hidden)]
    pub fn loom_lease_claims(&self) -> usize {
        self.inner.pool.lease_claims()
    }

    /// How many times a writer held another thread's idle slot to seal its batch (loom
    /// builds only: lets `tests/loom.rs` check that the seal raced a lease's release).
    #[cfg(leakless_loom)]
    #[doc(hidden)]
    pub fn loom_idle_holds(&self) -> usize {
        self.inner.pool.idle_holds()
    }

    /// Heap bytes the map holds now: its table(s), its entries' nodes, retired garbage
    /// not yet freed, the emptied entry allocations it keeps for reuse (at most a
    /// sixteenth of the entries, or 128, and none once the map is empty), and its fixed
    /// part (its core, its per-thread slots, its epoch collector and one epoch
    /// participant per slot in use: about 8 KB for one thread, 2.3 KB more per further
    /// slot) — not what keys and values own, nor crossbeam-epoch's own queue of sealed
    /// bags (a few KB that does not grow with the entries; `tests/leaks.rs` holds the
    /// difference from a counting allocator under 16 KiB).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::new();
    /// for i in 0..100_000u64 {
    ///     m.insert(i, i);
    /// }
    /// let peak = m.allocation_size();
    /// for i in 0..100_000u64 {
    ///     m.remove(&i);
    /// }
    /// for i in 0..1000u64 {
    ///     m.insert(i, i); // writes finish the shrink and drain the garbage
    ///     m.remove(&i);
    /// }
    /// assert!(m.allocation_size() < peak / 100);
    /// ```
    pub fn allocation_size(&self) -> usize {
        self.inner.allocation_size()
    }
}
