//! [`HashMap`]: a drop-in replacement for `std::collections::HashMap` that gives memory
//! back.

mod builder;
mod entry;
mod iter;
mod traits;

use core::borrow::Borrow;
use core::hash::{BuildHasher, Hash};

use hashbrown::{hash_table, HashTable};

use crate::error::TryReserveError;
use crate::policy::{PanicSlot, RemovalCause, ShrinkPolicy, Small, Stats};
use crate::raw::{Control, RawTable};

pub use entry::{Entry, OccupiedEntry, VacantEntry};
pub use iter::{Drain, ExtractIf, IntoIter, IntoKeys, IntoValues, Iter, IterMut, Keys, Values, ValuesMut};

/// The default hasher of every map: [`ahash::RandomState`], fast and seeded at random for
/// each map (so two maps with the same keys iterate in different orders, which resists
/// HashDoS). For a reproducible run, pass a fixed-seed hasher with `with_hasher`, e.g.
/// `ahash::RandomState::with_seeds(1, 2, 3, 4)`.
///
/// # Examples
///
/// ```
/// use leakless::{DefaultHashBuilder, HashMap};
/// let m: HashMap<u8, u8, DefaultHashBuilder> = HashMap::with_hasher(DefaultHashBuilder::new());
/// let _same_type: HashMap<u8, u8> = m;
/// ```
pub type DefaultHashBuilder = ahash::RandomState;

/// A hash map with the API of `std::collections::HashMap` that gives memory back.
///
/// # The one difference from `std`
///
/// `std`'s map (and `hashbrown`'s) never returns capacity: after inserting a million
/// entries and removing them all, it still holds the table for a million. This map
/// shrinks its table when it becomes mostly empty — after `remove`, `remove_entry`,
/// `retain`, `extract_if`, `drain`, `clear` and entry removals — following its
/// [`ShrinkPolicy`] (by default: when under a quarter full, to about twice the live
/// entries). Shrinking is amortized O(1) per removal and never thrashes at a boundary.
///
/// - `with_capacity(n)` sets a **floor**: automatic shrinking never goes below room for
///   `n` entries. Explicit [`shrink_to`](HashMap::shrink_to) and
///   [`shrink_to_fit`](HashMap::shrink_to_fit) still do what they say, lowering the floor.
/// - `clear` and `drain` leave the map at its floor instead of at its peak.
/// - [`ShrinkPolicy::never`] (through [`with_shrink_policy`](HashMap::with_shrink_policy))
///   restores `std`'s capacity behaviour, but for one saving: an `insert` of a key
///   already present never grows a full table (`std`'s `insert` does; its `entry`
///   does not, nor does this map's).
///
/// Everything else — methods, trait impls, lookups through [`Borrow`], the entry API —
/// is `std`'s, and bytes per entry are the same as `std`'s (entries are stored inline in
/// a `hashbrown` table). The default hasher is [`DefaultHashBuilder`].
///
/// One consequence for generic code: [`retain`](HashMap::retain) and
/// [`extract_if`](HashMap::extract_if) require `K: Hash + Eq` and `S: BuildHasher`, as
/// `insert` does (shrinking rehashes the entries that stay), where `std`'s have no
/// bounds. A function generic over `K` that calls them needs those bounds.
///
/// # Examples
///
/// ```
/// use leakless::HashMap;
///
/// let mut m = HashMap::new();
/// for i in 0..100_000u64 {
///     m.insert(i, i);
/// }
/// let peak = m.allocation_size();
/// m.retain(|k, _| *k < 10);
/// assert_eq!(m.len(), 10);
/// assert!(m.allocation_size() < peak / 100, "the table was given back");
/// ```
// `repr(C)`: the hasher, the table header and the hot counters, in that order, so that
// an operation touches two cache lines of the struct (it matters when thousands of maps
// sit inline in an outer table, as in a `NestedMap`).
#[repr(C)]
pub struct HashMap<K, V, S = DefaultHashBuilder> {
    pub(crate) hash_builder: S,
    pub(crate) raw: RawTable<(K, V)>,
}

/// The entry for `key` in `table`, hashed by `hash_builder` (none in an empty table,
/// which is not hashed for).
#[inline]
pub(crate) fn find_entry_in<'t, K, V, Q, S>(
    table: &'t mut HashTable<(K, V)>,
    hash_builder: &S,
    key: &Q,
) -> Option<hash_table::OccupiedEntry<'t, (K, V)>>
where
    K: Borrow<Q>,
    Q: Hash + Eq + ?Sized,
    S: BuildHasher,
{
    if table.is_empty() {
        None
    } else {
        table.find_entry(make_hash(hash_builder, key), equivalent(key)).ok()
    }
}

/// The slot for `key` in `table`, hashed by `hash_builder`, after making room for one
/// more element (see [`Control::entry`]).
#[inline]
pub(crate) fn entry_in<'t, K: Hash + Eq, V, S: BuildHasher>(
    ctl: &mut Control,
    table: &'t mut HashTable<(K, V)>,
    hash_builder: &S,
    key: &K,
) -> hash_table::Entry<'t, (K, V)> {
    ctl.entry(table, make_hash(hash_builder, key), equivalent(key), hasher(hash_builder))
}

#[inline]
pub(crate) fn make_hash<Q: Hash + ?Sized, S: BuildHasher>(hash_builder: &S, key: &Q) -> u64 {
    hash_builder.hash_one(key)
}

/// The rehash closure of a table of `(K, V)`.
#[inline]
pub(crate) fn hasher<K: Hash, V, S: BuildHasher>(hash_builder: &S) -> impl Fn(&(K, V)) -> u64 + '_ {
    move |(k, _)| make_hash(hash_builder, k)
}

#[inline]
pub(crate) fn equivalent<'a, Q: ?Sized + Eq, K: Borrow<Q>, V>(key: &'a Q) -> impl Fn(&(K, V)) -> bool + 'a {
    move |(k, _)| k.borrow() == key
}

impl<K, V> HashMap<K, V, DefaultHashBuilder> {
    /// An empty map. It does not allocate until the first insert.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::HashMap<u32, u32> = leakless::HashMap::new();
    /// assert_eq!(m.capacity(), 0);
    /// ```
    pub fn new() -> Self {
        Self::with_hasher(DefaultHashBuilder::new())
    }

    /// An empty map with room for `capacity` entries, which is also the floor below which
    /// it never shrinks automatically.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::HashMap::with_capacity(4096);
    /// for i in 0..4096 { m.insert(i, i); }
    /// m.clear();
    /// assert!(m.capacity() >= 4096);
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        Self::with_capacity_and_hasher(capacity, DefaultHashBuilder::new())
    }
}

impl<K, V, S> HashMap<K, V, S> {
    /// An empty map using `hash_builder` to hash keys.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::HashMap;
    /// use std::hash::RandomState;
    /// let mut m = HashMap::with_hasher(RandomState::new());
    /// m.insert("a", 1);
    /// assert_eq!(m["a"], 1);
    /// ```
    pub fn with_hasher(hash_builder: S) -> Self {
        Self { raw: RawTable::default(), hash_builder }
    }

    /// An empty map with room (and a floor) of `capacity`, using `hash_builder`.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::HashMap;
    /// let m: HashMap<u8, u8, _> = HashMap::with_capacity_and_hasher(10, ahash::RandomState::with_seeds(1, 2, 3, 4));
    /// assert!(m.capacity() >= 10);
    /// ```
    pub fn with_capacity_and_hasher(capacity: usize, hash_builder: S) -> Self {
        Self { raw: RawTable::with_capacity(capacity), hash_builder }
    }

    /// The same map with a different [`ShrinkPolicy`].
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{HashMap, ShrinkPolicy};
    /// let mut m = HashMap::new().with_shrink_policy(ShrinkPolicy::never());
    /// for i in 0..1000 { m.insert(i, ()); }
    /// let cap = m.capacity();
    /// m.clear();
    /// assert_eq!(m.capacity(), cap, "like std: capacity is kept");
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
    /// let m: leakless::HashMap<u8, u8> = leakless::HashMap::new();
    /// assert_eq!(m.shrink_policy(), leakless::ShrinkPolicy::default());
    /// ```
    pub fn shrink_policy(&self) -> ShrinkPolicy {
        self.raw.ctl.shrink_policy()
    }

    /// How many entries the map can hold without reallocating.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::HashMap<u8, u8> = leakless::HashMap::with_capacity(100);
    /// assert!(m.capacity() >= 100);
    /// ```
    pub fn capacity(&self) -> usize {
        self.raw.capacity()
    }

    /// The number of entries.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::HashMap::new();
    /// m.insert(1, 2);
    /// assert_eq!(m.len(), 1);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// `true` if the map holds no entries.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::HashMap<u8, u8> = leakless::HashMap::new();
    /// assert!(m.is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.raw.len() == 0
    }

    /// The map's hasher.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::hash::BuildHasher;
    /// let m: leakless::HashMap<u8, u8> = leakless::HashMap::new();
    /// let _h = m.hasher().hash_one(1u8);
    /// ```
    pub fn hasher(&self) -> &S {
        &self.hash_builder
    }

    /// Heap bytes the map holds now: its table, not what keys and values own, and its
    /// 80-byte block of [`stats`](Self::stats) counters once it has counted something
    /// besides a lookup (the first insert, typically).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::HashMap::new();
    /// assert_eq!(m.allocation_size(), 0);
    /// m.get(&1);
    /// assert_eq!(m.allocation_size(), 0, "a lookup never allocates");
    /// m.insert(1u64, 1u64);
    /// assert!(m.allocation_size() > 80);
    /// m.remove(&1);
    /// assert_eq!(m.capacity(), 3, "emptied by a removal: the smallest table stays");
    /// m.clear();
    /// assert_eq!((m.capacity(), m.allocation_size()), (0, 80), "the table is freed");
    /// ```
    pub fn allocation_size(&self) -> usize {
        self.raw.allocation_size()
    }

    /// Counters of what the map has done: lookups (hits, misses), insertions, removals
    /// by cause, shrinks.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::HashMap::new();
    /// for i in 0..1000 { m.insert(i, i); }
    /// for i in 0..1000 { m.remove(&i); }
    /// assert!(m.stats().shrinks > 0);
    /// ```
    pub fn stats(&self) -> Stats {
        self.raw.ctl.stats()
    }

    /// Remove every entry (dropping each, even if another's `Drop` panics) and give the
    /// table back down to the floor.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::HashMap<u32, u32> = (0..1000).map(|i| (i, i)).collect();
    /// m.clear();
    /// assert!(m.is_empty());
    /// assert_eq!(m.capacity(), 0);
    /// ```
    pub fn clear(&mut self) {
        self.raw.clear(Some(RemovalCause::Cleared));
    }

    /// Check the map's internal invariants, panicking with a description of the first
    /// one broken. O(capacity). Meant for tests and fuzz targets (including users'); a
    /// correct program never sees it panic, unless its `Hash` or `Eq` are inconsistent.
    ///
    /// # Panics
    ///
    /// Panics if an invariant is broken.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::HashMap::from([(1, 2), (3, 4)]);
    /// m.validate();
    /// ```
    pub fn validate(&self)
    where
        K: Eq + Hash,
        S: BuildHasher,
    {
        self.raw.validate(hasher(&self.hash_builder), |(a, _), (b, _)| a == b);
    }
}

impl<K: Eq + Hash, V, S: BuildHasher> HashMap<K, V, S> {
    /// Reserve room for `additional` more entries.
    ///
    /// Unlike `std`, the room is not kept across removals: a removal that leaves the
    /// table under its [`ShrinkPolicy`]'s threshold gives it back. Room that must stay
    /// is a floor: [`with_capacity`](HashMap::with_capacity) (or
    /// [`ShrinkPolicy::never`]).
    ///
    /// # Panics
    ///
    /// Panics if the new capacity overflows `usize`, and aborts if the allocation fails,
    /// as `std` does (use [`try_reserve`](HashMap::try_reserve) to get an error instead).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::HashMap<u8, u8> = leakless::HashMap::new();
    /// m.reserve(10);
    /// assert!(m.capacity() >= 10);
    /// ```
    pub fn reserve(&mut self, additional: usize) {
        crate::error::or_abort(self.try_reserve(additional));
    }

    /// Reserve room for `additional` more entries.
    ///
    /// # Errors
    ///
    /// [`TryReserveError::CapacityOverflow`] if the capacity would overflow, or
    /// [`TryReserveError::AllocError`] if the allocator refuses.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::HashMap<u8, u8> = leakless::HashMap::new();
    /// assert!(m.try_reserve(usize::MAX).is_err());
    /// ```
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), TryReserveError> {
        self.raw.try_reserve(additional, hasher(&self.hash_builder))
    }

    /// Shrink the table as much as possible, ignoring (and clearing) the floor.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::HashMap::with_capacity(1000);
    /// m.insert(1, 1);
    /// m.shrink_to_fit();
    /// assert!(m.capacity() < 1000);
    /// ```
    pub fn shrink_to_fit(&mut self) {
        self.raw.shrink_to(0, hasher(&self.hash_builder));
    }

    /// Shrink the table to room for at least `min_capacity` entries (or the length), and
    /// lower the floor to `min_capacity`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::HashMap::with_capacity(1000);
    /// m.insert(1, 1);
    /// m.shrink_to(10);
    /// assert!(m.capacity() >= 10 && m.capacity() < 1000);
    /// ```
    pub fn shrink_to(&mut self, min_capacity: usize) {
        self.raw.shrink_to(min_capacity, hasher(&self.hash_builder));
    }

    /// The entry for `key`, for in-place manipulation.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut words = leakless::HashMap::new();
    /// for w in ["a", "b", "a"] {
    ///     *words.entry(w).or_insert(0) += 1;
    /// }
    /// assert_eq!(words["a"], 2);
    /// ```
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V, S> {
        let HashMap { raw, hash_builder } = self;
        match entry_in(&mut raw.ctl, &mut raw.table, hash_builder, &key) {
            hash_table::Entry::Occupied(inner) => {
                Entry::Occupied(OccupiedEntry { inner, ctl: &mut raw.ctl, hash_builder })
            }
            hash_table::Entry::Vacant(inner) => {
                Entry::Vacant(VacantEntry { inner, key, ctl: &mut raw.ctl, hash_builder })
            }
        }
    }

    /// The value for `key`, if present.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::HashMap::from([("a".to_string(), 1)]);
    /// assert_eq!(m.get("a"), Some(&1));
    /// assert_eq!(m.get("b"), None);
    /// ```
    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get_inner(key).map(|(_, v)| v)
    }

    /// The stored key and value for `key`, if present.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::HashMap::from([(1, "a")]);
    /// assert_eq!(m.get_key_value(&1), Some((&1, &"a")));
    /// ```
    #[inline]
    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get_inner(key).map(|(k, v)| (k, v))
    }

    #[inline]
    fn get_inner<Q>(&self, key: &Q) -> Option<&(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let found = self.find_uncounted(key);
        self.raw.ctl.counters.lookup(found.is_some());
        found
    }

    /// The entry for `key`, without counting the lookup (for a map of maps, which counts
    /// it in its own stats: writing the inner map's counter would cost a cache miss).
    #[inline]
    pub(crate) fn find_uncounted<Q>(&self, key: &Q) -> Option<&(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.raw.len() == 0 {
            None
        } else {
            self.raw.table.find(make_hash(&self.hash_builder, key), equivalent(key))
        }
    }

    /// The value for `key`, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::HashMap::from([(1, 10)]);
    /// *m.get_mut(&1).unwrap() += 1;
    /// assert_eq!(m[&1], 11);
    /// ```
    #[inline]
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let HashMap { raw, hash_builder } = self;
        let found = find_entry_in(&mut raw.table, hash_builder, key).map(hash_table::OccupiedEntry::into_mut);
        raw.ctl.counters.lookup(found.is_some());
        found.map(|(_, v)| v)
    }

    /// [`find_uncounted`](Self::find_uncounted), mutably.
    #[inline]
    pub(crate) fn find_mut_uncounted<Q>(&mut self, key: &Q) -> Option<&mut (K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        find_entry_in(&mut self.raw.table, &self.hash_builder, key).map(hash_table::OccupiedEntry::into_mut)
    }

    /// Mutable references to the values of `N` distinct keys at once; `None` for keys
    /// that are absent. Each key counts as one lookup in [`stats`](Self::stats), as with
    /// [`get_mut`](Self::get_mut).
    ///
    /// # Panics
    ///
    /// Panics if two of the keys are equal and present (as `std`'s does; an absent key
    /// given twice is `None` twice).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::HashMap::from([(1, 10), (2, 20)]);
    /// let [a, b, c] = m.get_disjoint_mut([&1, &2, &3]);
    /// core::mem::swap(a.unwrap(), b.unwrap());
    /// assert!(c.is_none());
    /// assert_eq!((m[&1], m[&2]), (20, 10));
    /// ```
    pub fn get_disjoint_mut<Q, const N: usize>(&mut self, keys: [&Q; N]) -> [Option<&mut V>; N]
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hashes = keys.map(|k| make_hash(&self.hash_builder, k));
        let found = self.raw.table.get_disjoint_mut(hashes, |i, (k, _)| k.borrow() == keys[i]);
        for e in &found {
            self.raw.ctl.counters.lookup(e.is_some());
        }
        found.map(|e| e.map(|(_, v)| v))
    }

    /// `true` if the map holds `key`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::HashMap::from([(1, 10)]);
    /// assert!(m.contains_key(&1));
    /// assert!(!m.contains_key(&2));
    /// ```
    #[inline]
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get_inner(key).is_some()
    }

    /// Insert `value` under `key`, returning the previous value if the key was present
    /// (the stored key is kept, as in `std`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::HashMap::new();
    /// assert_eq!(m.insert(1, "a"), None);
    /// assert_eq!(m.insert(1, "b"), Some("a"));
    /// ```
    #[inline]
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.insert_counted::<true>(key, value)
    }

    /// [`insert`](Self::insert), counting the insertion or replacement in this map's
    /// stats only if `COUNT` (a map of maps counts them in its own instead).
    #[inline]
    pub(crate) fn insert_counted<const COUNT: bool>(&mut self, key: K, value: V) -> Option<V> {
        match entry_in(&mut self.raw.ctl, &mut self.raw.table, &self.hash_builder, &key) {
            hash_table::Entry::Occupied(mut o) => {
                if COUNT {
                    self.raw.ctl.counters.removed(RemovalCause::Replaced, 1);
                }
                Some(core::mem::replace(&mut o.get_mut().1, value))
            }
            hash_table::Entry::Vacant(v) => {
                v.insert((key, value));
                if COUNT {
                    self.raw.ctl.counters.add(Small::Insertions, 1);
                }
                None
            }
        }
    }

    /// Remove `key`, returning its value; the table shrinks if it became mostly empty.
    ///
    /// # Panics
    ///
    /// If `Hash` or `Eq` panic while looking `key` up, the map is unchanged. If `Hash`
    /// panics while the table shrinks, the entry is removed all the same (and dropped as
    /// the panic unwinds); the table keeps its capacity.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::HashMap::from([(1, "a")]);
    /// assert_eq!(m.remove(&1), Some("a"));
    /// assert_eq!(m.remove(&1), None);
    /// ```
    #[inline]
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.remove_entry(key).map(|(_, v)| v)
    }

    /// Remove `key`, returning the stored key and its value.
    ///
    /// # Panics
    ///
    /// As [`remove`](Self::remove).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::HashMap::from([(1, "a")]);
    /// assert_eq!(m.remove_entry(&1), Some((1, "a")));
    /// ```
    #[inline]
    pub fn remove_entry<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut slot = PanicSlot::default();
        let removed = self.remove_counted(key, Some(RemovalCause::Explicit), &mut slot);
        slot.resume();
        removed
    }

    /// [`remove_entry`](Self::remove_entry), counting the removal in this map's stats
    /// for `cause` if there is one (a map of maps counts it in its own instead); a panic
    /// of `Hash` while the table shrinks goes to `slot` (see `Control::maybe_shrink`).
    #[inline]
    pub(crate) fn remove_counted<Q>(
        &mut self,
        key: &Q,
        cause: Option<RemovalCause>,
        slot: &mut PanicSlot,
    ) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.raw.len() == 0 {
            return None;
        }
        let hash = make_hash(&self.hash_builder, key);
        self.raw.remove(hash, equivalent(key), cause, hasher(&self.hash_builder), slot)
    }
}
