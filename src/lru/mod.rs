//! [`LruMap`]: a map bounded by entries or total weight, evicting the least recently used
//! entry (or by another [`EvictionPolicy`]) (L3).

mod builder;
mod iter;
mod store;
mod traits;
mod weigher;

use core::borrow::Borrow;
use core::hash::{BuildHasher, Hash};
use core::mem;
use std::panic::{self, AssertUnwindSafe};

use crate::hash_map::DefaultHashBuilder;
use crate::policy::{
    finalize_each, Capacity, EvictionPolicy, Finalizer, Lru, NoopFinalizer, PanicSlot, RemovalCause, Stats, UnitWeigher,
};
use crate::raw::arena::{Arena, Entry};
use crate::TryReserveError;

pub use builder::LruBuilder;
pub use iter::{IntoIter, Iter, IterMut, Keys, Values};
pub use weigher::EntryWeigher;

use store::{dispose, Bound, Put};

/// One stored entry.
#[derive(Clone)]
pub(crate) struct Slot<K, V, X> {
    pub(crate) key: K,
    pub(crate) value: V,
    pub(crate) weight: X,
}

type Core<K, V, P, X> = Arena<Slot<K, V, X>, P>;

#[inline(always)]
fn hasher<K: Hash, V, X, S: BuildHasher>(s: &S) -> impl Fn(&Slot<K, V, X>) -> u64 + '_ {
    move |e| s.hash_one(&e.key)
}

/// A map that holds at most its [`Capacity`] — a number of entries, a total weight, or
/// both — and makes room by evicting the least recently used entry (L3: a cache keyed by
/// request or session ids can no longer grow until the process dies).
///
/// - [`get`](Self::get), [`get_mut`](Self::get_mut), [`insert`](Self::insert) and
///   [`get_or_insert_with`](Self::get_or_insert_with) mark an entry as used;
///   [`peek`](Self::peek), [`peek_mut`](Self::peek_mut) and
///   [`contains_key`](Self::contains_key) do not. Everything is O(1).
/// - **Eviction order** is exactly that of the [`lru`](https://docs.rs/lru) crate with
///   the default [`Lru`] policy. The type parameter `P` selects another
///   [`EvictionPolicy`]: [`WTinyLfu`](crate::WTinyLfu) resists scans and loops (see its
///   docs for hit ratios on real traces).
/// - **Weight**: bound the total weight with [`Capacity::weight`] and a weigher from the
///   [builder](Self::builder); evictions continue until the total fits.
/// - **Memory**: entries live in a dense arena, found through an index of slot numbers
///   in one-cache-line chunks with no tombstones: 31.8 bytes per `(u64, u64)` entry
///   with exact LRU at 100k entries (33.7 past 4,194,304 entries, where the index's
///   slot numbers take 4 bytes instead of 3). The arena never grows past the entry
///   bound, and both arena and index shrink after removals, [`clear`](Self::clear) and
///   a lower [`set_limit`](Self::set_limit).
/// - **Size**: slots are numbered by `u32`, so a map holds at most 4,294,967,294
///   entries; a limit that would admit more evicts there.
///
/// # Where values go
///
/// | how a value leaves | where it goes |
/// |---|---|
/// | [`remove`](Self::remove), [`pop_lru`](Self::pop_lru), the old value from [`insert`](Self::insert), an evicted entry from [`push`](Self::push), `into_iter` | handed back to the caller |
/// | evicted to stay within the limit (insert, [`set_limit`](Self::set_limit)) | finalizer, [`RemovalCause::Evicted`] |
/// | **rejected**: a new value that alone weighs more than the whole limit (or any value when the limit is `Capacity::entries(0)`) | not stored; finalizer, [`RemovalCause::Rejected`] (an old value under the same key still leaves as above) |
/// | rejected by [`retain`](Self::retain) | finalizer, [`RemovalCause::Explicit`] |
/// | [`clear`](Self::clear) | finalizer, [`RemovalCause::Cleared`] |
/// | still in the map when it is dropped | finalizer, [`RemovalCause::Dropped`] |
///
/// Without a finalizer (the default [`NoopFinalizer`]) those values are dropped. Each
/// value leaves exactly once; a panicking finalizer or `Drop` finds the map consistent,
/// does not stop the other values of the same operation, and is re-raised at its end.
///
/// # Examples
///
/// ```
/// use leakless::LruMap;
///
/// let mut sessions = LruMap::new(2);
/// sessions.insert("a", 1);
/// sessions.insert("b", 2);
/// assert_eq!(sessions.get(&"a"), Some(&1)); // "a" is now the most recently used
/// sessions.insert("c", 3); // evicts "b"
/// assert_eq!(sessions.keys().copied().collect::<Vec<_>>(), ["c", "a"]);
/// assert_eq!(sessions.stats().evictions(), 1);
/// ```
pub struct LruMap<K, V, S = DefaultHashBuilder, P = Lru, W = UnitWeigher, F = NoopFinalizer>
where
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    core: Core<K, V, P, W::Stored>,
    hash_builder: S,
    limit: Capacity,
    /// `limit` unpacked for the hot paths: the entry and weight bounds, `MAX` if none.
    bound: Bound,
    /// The total weight, exact: up to 2^32 entries of up to `u64::MAX` each cannot
    /// overflow a `u128` (a `u64` total overflowed with large weights).
    weight: u128,
    weigher: W,
    finalizer: F,
}

impl<K, V> LruMap<K, V> {
    /// An empty map holding at most `max_entries` entries, with exact LRU eviction. It
    /// does not allocate until the first insert.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(1);
    /// m.insert(1, "a");
    /// m.insert(2, "b");
    /// assert_eq!(m.len(), 1);
    /// assert_eq!(m.peek(&2), Some(&"b"));
    /// ```
    pub fn new(max_entries: usize) -> Self {
        Self::with_limit(Capacity::entries(max_entries))
    }

    /// An empty map bounded by `limit`, with exact LRU eviction. A weight limit without
    /// a weigher counts every entry as weight 1.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{Capacity, LruMap};
    /// let mut m = LruMap::with_limit(Capacity::entries(0));
    /// m.insert(1, 1); // rejected: the map admits nothing
    /// assert!(m.is_empty());
    /// ```
    pub fn with_limit(limit: Capacity) -> Self {
        LruBuilder::new().limit(limit).build()
    }

    /// A builder for a map with any limit, hasher, policy, weigher and finalizer:
    /// `LruMap::builder().max_entries(10_000).max_weight(w).weigher(f).finalizer(f).hasher(s).build()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{LruMap, RemovalCause, WTinyLfu};
    ///
    /// let mut evicted = Vec::new();
    /// let mut m = LruMap::builder()
    ///     .max_entries(1)
    ///     .policy(WTinyLfu::default())
    ///     .finalizer(|k: u32, _v: u32, cause| evicted.push((k, cause)))
    ///     .build();
    /// m.insert(1, 10);
    /// m.insert(2, 20);
    /// drop(m);
    /// assert_eq!(evicted.len(), 2); // one evicted, one dropped with the map
    /// ```
    pub fn builder() -> LruBuilder<K, V> {
        LruBuilder::new()
    }
}

impl<K, V, F: Finalizer<K, V>> LruMap<K, V, DefaultHashBuilder, Lru, UnitWeigher, F> {
    /// An empty map bounded by `limit` whose departing values go to `finalizer` (see
    /// [Where values go](LruMap#where-values-go)).
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{Capacity, LruMap, RemovalCause};
    ///
    /// let mut log = Vec::new();
    /// let mut m = LruMap::with_finalizer(Capacity::entries(1), |k: u8, v: u8, c| log.push((k, v, c)));
    /// m.insert(1, 1);
    /// m.insert(2, 2);
    /// drop(m);
    /// assert_eq!(log, [(1, 1, RemovalCause::Evicted), (2, 2, RemovalCause::Dropped)]);
    /// ```
    pub fn with_finalizer(limit: Capacity, finalizer: F) -> Self {
        LruBuilder::new().limit(limit).finalizer(finalizer).build()
    }
}

impl<K, V, S, P, W, F> LruMap<K, V, S, P, W, F>
where
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    pub(crate) fn from_parts(limit: Capacity, hash_builder: S, policy: P, weigher: W, finalizer: F) -> Self {
        let bound = Bound::of(limit, W::UNIT);
        Self { core: Arena::new(policy, bound.len), hash_builder, limit, bound, weight: 0, weigher, finalizer }
    }

    /// The number of entries.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(10);
    /// m.insert(1, 1);
    /// assert_eq!(m.len(), 1);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.core.len()
    }

    /// `true` if the map holds no entries.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(leakless::LruMap::<u8, u8>::new(10).is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.core.len() == 0
    }

    /// The total weight of the entries (their number, with the default weigher). Without
    /// a weight bound, weights may add up past `u64::MAX`: the total then reads
    /// `u64::MAX`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(10);
    /// m.insert(1, 1);
    /// m.insert(2, 2);
    /// assert_eq!(m.weight(), 2);
    /// ```
    pub fn weight(&self) -> u64 {
        u64::try_from(self.weight).unwrap_or(u64::MAX)
    }

    /// The map's bound.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{Capacity, LruMap};
    /// assert_eq!(LruMap::<u8, u8>::new(10).limit(), Capacity::entries(10));
    /// ```
    pub fn limit(&self) -> Capacity {
        self.limit
    }

    /// The hasher.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::LruMap::<u8, u8>::new(1);
    /// let _: &ahash::RandomState = m.hasher();
    /// ```
    pub fn hasher(&self) -> &S {
        &self.hash_builder
    }

    /// The eviction policy.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::LruMap::<u8, u8>::new(1);
    /// let _: &leakless::Lru = m.policy();
    /// ```
    pub fn policy(&self) -> &P {
        &self.core.policy
    }

    /// The finalizer.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::LruMap::<u8, u8>::new(1);
    /// let _: &leakless::NoopFinalizer = m.finalizer();
    /// ```
    pub fn finalizer(&self) -> &F {
        &self.finalizer
    }

    /// Heap bytes the map holds now: its arena, its index and its policy's own state,
    /// not what keys and values own.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(100_000);
    /// for i in 0..100_000u64 {
    ///     m.insert(i, i);
    /// }
    /// assert!(m.allocation_size() <= 32 * 100_000);
    /// ```
    pub fn allocation_size(&self) -> usize {
        self.core.allocation_size()
    }

    /// Counters: lookups (hits, misses), insertions, removals by cause (evictions are
    /// [`RemovalCause::Evicted`], an overwritten value [`RemovalCause::Replaced`], as in
    /// every map of the crate), shrinks.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::RemovalCause;
    ///
    /// let mut m = leakless::LruMap::new(1);
    /// m.insert(1, 1);
    /// m.insert(2, 2);
    /// m.insert(2, 3);
    /// assert_eq!(m.get(&1), None);
    /// let s = m.stats();
    /// assert_eq!((s.misses, s.insertions, s.evictions()), (1, 2, 1));
    /// assert_eq!(s.removals(RemovalCause::Replaced), 1);
    /// assert_eq!(s.removals(RemovalCause::Explicit), 0);
    /// ```
    pub fn stats(&self) -> Stats {
        self.core.ctl.stats()
    }

    /// The entry that would be evicted next, without changing anything (the least
    /// recently used entry, with [`Lru`]). `None` if the map is empty (or its policy
    /// cannot tell without reorganizing).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(3);
    /// m.extend([(1, 'a'), (2, 'b')]);
    /// assert_eq!(m.peek_lru(), Some((&1, &'a')));
    /// ```
    pub fn peek_lru(&self) -> Option<(&K, &V)> {
        let i = self.core.policy.peek_victim(&self.core.nodes)?;
        let e = self.core.item(i);
        Some((&e.key, &e.value))
    }

    /// Finalize every entry with [`RemovalCause::Cleared`] and give all memory back.
    ///
    /// # Panics
    ///
    /// Re-raises the first panic of the finalizer (or of a `Drop`), after every entry
    /// has left.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(1000);
    /// m.extend((0..1000).map(|i| (i, i)));
    /// m.clear();
    /// assert!(m.is_empty());
    /// assert_eq!(m.allocation_size(), 80, "only the stats block stays");
    /// ```
    pub fn clear(&mut self) {
        let nodes = self.core.take_all();
        self.weight = 0;
        self.core.ctl.counters.removed(RemovalCause::Cleared, nodes.len() as u64);
        if self.finalizer.is_noop() {
            let mut slot = PanicSlot::default();
            if mem::needs_drop::<(K, V)>() {
                for n in nodes {
                    slot.run(|| drop(n));
                }
            }
            slot.resume();
        } else {
            finalize_each(
                &mut self.finalizer,
                nodes.into_iter().map(|n| (n.item.key, n.item.value)),
                RemovalCause::Cleared,
            );
        }
    }
}

impl<K, V, S, P, W, F> LruMap<K, V, S, P, W, F>
where
    K: Eq + Hash,
    S: BuildHasher,
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    #[inline]
    fn find<Q: ?Sized + Hash + Eq>(&self, key: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
    {
        let hash = self.hash_builder.hash_one(key);
        self.core.find(hash, |e| e.key.borrow() == key)
    }

    /// [`find`](Self::find), counting the lookup in the stats.
    #[inline(always)]
    fn find_counted<Q: ?Sized + Hash + Eq>(&self, key: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
    {
        let found = self.find(key);
        self.core.ctl.counters.lookup(found.is_some());
        found
    }

    /// The value for `key`, marking the entry as the most recently used.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// m.insert(1, "a");
    /// m.insert(2, "b");
    /// assert_eq!(m.get(&1), Some(&"a"));
    /// m.insert(3, "c"); // evicts 2, not 1
    /// assert_eq!(m.get(&2), None);
    /// ```
    #[inline]
    pub fn get<Q: ?Sized + Hash + Eq>(&mut self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        let i = self.find_counted(key)?;
        self.core.touch(i);
        Some(&self.core.item(i).value)
    }

    /// The value for `key`, mutably, marking the entry as the most recently used. Its
    /// recorded weight does not change.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// m.insert(1, 1);
    /// *m.get_mut(&1).unwrap() += 1;
    /// assert_eq!(m.peek(&1), Some(&2));
    /// ```
    #[inline]
    pub fn get_mut<Q: ?Sized + Hash + Eq>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        let i = self.find_counted(key)?;
        self.core.touch(i);
        Some(&mut self.core.item_mut(i).value)
    }

    /// The value for `key`, without marking it as used.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// m.insert(1, "a");
    /// m.insert(2, "b");
    /// assert_eq!(m.peek(&1), Some(&"a"));
    /// m.insert(3, "c"); // 1 is still the least recently used
    /// assert_eq!(m.peek(&1), None);
    /// ```
    #[inline]
    pub fn peek<Q: ?Sized + Hash + Eq>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        Some(&self.core.item(self.find_counted(key)?).value)
    }

    /// The value for `key`, mutably, without marking it as used.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// m.insert(1, 1);
    /// *m.peek_mut(&1).unwrap() = 5;
    /// assert_eq!(m.peek(&1), Some(&5));
    /// ```
    #[inline]
    pub fn peek_mut<Q: ?Sized + Hash + Eq>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        let i = self.find_counted(key)?;
        Some(&mut self.core.item_mut(i).value)
    }

    /// `true` if the map holds `key` (does not mark it as used, does not count as a
    /// lookup in [`stats`](Self::stats)).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// m.insert(1, 1);
    /// assert!(m.contains_key(&1));
    /// assert!(!m.contains_key(&2));
    /// ```
    #[inline]
    pub fn contains_key<Q: ?Sized + Hash + Eq>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_some()
    }

    /// Insert `value` under `key` as the most recently used entry, evicting what no
    /// longer fits (to the finalizer, [`RemovalCause::Evicted`]). Returns the old value
    /// of `key`, like `std`'s `insert` (the stored key is kept).
    ///
    /// A value that alone weighs more than the whole limit is **rejected**: not stored,
    /// finalized with [`RemovalCause::Rejected`] (an old value of `key` is removed and
    /// returned all the same).
    ///
    /// # Panics
    ///
    /// Panics if `Hash`, `Eq` or the weigher panic on the new key or value (the map is
    /// unchanged; the value is dropped). If a victim's `Hash` panics, the victims already
    /// out stay out and the new value may be dropped, but every value that left the map
    /// reaches the finalizer (or the caller); the panic is re-raised at the end, as is
    /// the first panic of the finalizer or of a victim's `Drop`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// assert_eq!(m.insert(1, "a"), None);
    /// assert_eq!(m.insert(1, "b"), Some("a"));
    /// ```
    #[inline]
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let mut slot = PanicSlot::default();
        let mut put = self.put(key, value, false, &mut slot);
        self.settle(&mut put, &mut slot);
        slot.resume();
        put.out.map(|(_, v)| v)
    }

    /// Insert like [`insert`](Self::insert), handing back the pair that left: the old
    /// value of `key` (with the key passed in), or else the entry evicted to make room
    /// (if a weight bound evicts several, the first one; the others go to the
    /// finalizer). A rejected value goes to the finalizer as in `insert`, with the key
    /// passed in; if `key` was present, its entry then leaves and comes back whole (the
    /// stored key with the old value). Same results as `lru::LruCache::push`.
    ///
    /// # Panics
    ///
    /// As [`insert`](Self::insert).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// assert_eq!(m.push(1, "a"), None);
    /// assert_eq!(m.push(2, "b"), None);
    /// assert_eq!(m.push(2, "B"), Some((2, "b")));
    /// assert_eq!(m.push(3, "c"), Some((1, "a"))); // evicted
    /// ```
    pub fn push(&mut self, key: K, value: V) -> Option<(K, V)> {
        let mut slot = PanicSlot::default();
        let mut put = self.put(key, value, true, &mut slot);
        self.settle(&mut put, &mut slot);
        slot.resume();
        put.out
    }

    /// The value for `key`, inserting `f()` first if absent (evicting what no longer
    /// fits). Marks the entry as used. `None` if the new value was rejected (it alone
    /// weighs more than the whole limit; it went to the finalizer).
    ///
    /// # Panics
    ///
    /// As [`insert`](Self::insert); a panic of `f` leaves the map unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// *m.get_or_insert_with(1, || 0).unwrap() += 1;
    /// *m.get_or_insert_with(1, || 0).unwrap() += 1;
    /// assert_eq!(m.peek(&1), Some(&2));
    /// let mut none = leakless::LruMap::new(0);
    /// assert_eq!(none.get_or_insert_with(1, || 0), None);
    /// ```
    pub fn get_or_insert_with(&mut self, key: K, f: impl FnOnce() -> V) -> Option<&mut V> {
        let hash = self.hash_builder.hash_one(&key);
        let mut slot = PanicSlot::default();
        let (core, mut store) = self.split(&mut slot);
        let put = match core.entry(hash, |e| e.key == key, hasher(store.hash_builder)) {
            Entry::Occupied(i) => {
                core.ctl.counters.lookup(true);
                core.touch(i);
                Ok(Put { index: Some(i), out: None, out_evicted: false })
            }
            Entry::Vacant(v) => {
                v.lookup(false);
                let value = f();
                let w = store.weigher.weigh(&key, &value);
                store.place(v, key, value, w, false)
            }
        };
        let put = match put {
            Ok(put) => put,
            Err(more) => self.put_more(hash, more, &mut slot),
        };
        slot.resume();
        Some(&mut self.core.item_mut(put.index?).value)
    }

    /// Remove `key`, handing its value back (it is not finalized).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// m.insert(1, "a");
    /// assert_eq!(m.remove(&1), Some("a"));
    /// assert_eq!(m.remove(&1), None);
    /// ```
    pub fn remove<Q: ?Sized + Hash + Eq>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.remove_entry(key).map(|(_, v)| v)
    }

    /// Remove `key`, handing the stored key and value back.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// m.insert(1, "a");
    /// assert_eq!(m.remove_entry(&1), Some((1, "a")));
    /// ```
    pub fn remove_entry<Q: ?Sized + Hash + Eq>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
    {
        let i = self.find(key)?;
        self.take_at(i)
    }

    /// Remove the entry that would be evicted next (the least recently used one, with
    /// [`Lru`]) and hand it back.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(3);
    /// m.extend([(1, 'a'), (2, 'b')]);
    /// assert_eq!(m.pop_lru(), Some((1, 'a')));
    /// assert_eq!(m.pop_lru(), Some((2, 'b')));
    /// assert_eq!(m.pop_lru(), None);
    /// ```
    pub fn pop_lru(&mut self) -> Option<(K, V)> {
        let i = self.core.policy.victim(&mut self.core.nodes)?;
        self.take_at(i)
    }

    /// Change the bound. Entries that no longer fit are evicted (to the finalizer,
    /// [`RemovalCause::Evicted`]) and the memory they held is given back.
    ///
    /// # Panics
    ///
    /// Re-raises the first panic of the finalizer or of a `Drop`, after the map fits.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{Capacity, LruMap};
    /// let mut m = LruMap::new(100_000);
    /// m.extend((0..100_000u64).map(|i| (i, i)));
    /// let peak = m.allocation_size();
    /// m.set_limit(Capacity::entries(10));
    /// assert_eq!(m.len(), 10);
    /// assert!(m.allocation_size() < peak / 100);
    /// ```
    pub fn set_limit(&mut self, limit: Capacity) {
        self.limit = limit;
        self.bound = Bound::of(limit, W::UNIT);
        self.core.max_slots = self.bound.len;
        let mut slot = PanicSlot::default();
        self.evict_to_fit(&mut slot);
        self.core.maybe_shrink(hasher(&self.hash_builder), &mut slot);
        slot.resume();
    }

    /// Keep the entries for which `keep` returns `true`; finalize the others with
    /// [`RemovalCause::Explicit`], then give memory back if due. The order of the calls
    /// is unspecified.
    ///
    /// # Panics
    ///
    /// A panic of `keep` ends the scan; it propagates once the entries already removed
    /// are counted and the memory they held is given back (the map stays valid). A panic
    /// of the finalizer is re-raised after the scan.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(10);
    /// m.extend((0..10).map(|i| (i, i)));
    /// m.retain(|k, _| k % 2 == 0);
    /// assert_eq!(m.len(), 5);
    /// ```
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        let mut slot = PanicSlot::default();
        let mut removed = 0;
        let scan = panic::catch_unwind(AssertUnwindSafe(|| {
            for i in (0..self.core.len() as u32).rev() {
                let e = self.core.item_mut(i);
                if !keep(&e.key, &mut e.value) {
                    let old = self.remove_at(i, &mut slot);
                    removed += 1;
                    dispose(&mut self.finalizer, &mut slot, old.key, old.value, RemovalCause::Explicit);
                }
            }
        }));
        self.core.after_removal(RemovalCause::Explicit, removed, hasher(&self.hash_builder), &mut slot);
        if let Err(p) = scan {
            panic::resume_unwind(p);
        }
        slot.resume();
    }

    /// Reserve room for `additional` more entries (but not beyond the entry bound).
    ///
    /// # Errors
    ///
    /// [`TryReserveError`] on capacity overflow or allocation failure.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{Capacity, LruMap};
    /// let mut m: LruMap<u64, u64> = LruMap::with_limit(Capacity::unbounded());
    /// assert!(m.try_reserve(usize::MAX).is_err());
    /// assert!(m.try_reserve(100).is_ok());
    /// ```
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), TryReserveError> {
        self.core.try_reserve(additional, hasher(&self.hash_builder))
    }

    /// Check the internal invariants: every entry indexed once and found by its hash,
    /// the policy's order covering every entry, the total weight, and the bound.
    ///
    /// # Panics
    ///
    /// Panics with a description of the first broken invariant.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// m.extend([(1, 1), (2, 2), (3, 3)]);
    /// m.validate();
    /// ```
    pub fn validate(&self) {
        self.core.validate(hasher(&self.hash_builder));
        let total: u128 = self.core.nodes.0.iter().map(|n| u128::from(W::load(n.item.weight))).sum();
        assert_eq!(total, self.weight, "validate: the recorded total weight is wrong");
        let over_weight = self.limit.max_weight().is_some_and(|m| self.weight > u128::from(m));
        assert!(
            !over_weight && !self.limit.is_exceeded_by(self.core.len(), 0),
            "validate: {} entries of weight {} exceed the limit {:?}",
            self.core.len(),
            self.weight,
            self.limit
        );
        if let Some(max) = self.limit.max_entries() {
            assert!(
                self.core.nodes.0.capacity() <= max.max(4),
                "validate: the arena holds room for {} entries, over the bound {max}",
                self.core.nodes.0.capacity()
            );
        }
    }
}

#[cfg(test)]
mod tests;
