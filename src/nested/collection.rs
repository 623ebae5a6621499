//! The traits an inner collection of a [`NestedMap`] implements, and their impls for
//! `leakless`'s and `std`'s collections.

use core::borrow::Borrow;
use core::hash::{BuildHasher, Hash};
use std::collections::{btree_map, hash_map as std_hash_map, BTreeMap, BTreeSet, HashSet, VecDeque};

use super::NestedMap;
use crate::hash_map::{self, HashMap};
use crate::lru::{self, EntryWeigher, LruMap};
use crate::policy::{EvictionPolicy, Finalizer, PanicSlot};

/// A collection that can live inside a [`NestedMap`]: it says how many entries it holds
/// and whether it is empty, so the nested map can count leaves and prune it when it
/// empties.
///
/// Implemented for [`HashMap`], [`LruMap`] (a bounded
/// cache per outer key), [`NestedMap`] itself (its `len` is its leaf count, so nesting
/// works at any depth) and `std`'s `HashMap`, `HashSet`, `BTreeMap`, `BTreeSet`, `Vec`
/// and `VecDeque`. Implementing it for another collection takes one method.
///
/// # Contract
///
/// `len` and `is_empty` must agree (`is_empty() == (len() == 0)`) and must not panic:
/// they run in the [`InnerMut`](super::InnerMut) guard's `Drop`, possibly while a panic
/// unwinds. A wrong `len` cannot cause undefined behaviour, only a wrong
/// [`NestedMap::len`] (which [`NestedMap::validate`] reports).
///
/// # Examples
///
/// ```
/// use leakless::nested::InnerCollection;
/// use leakless::NestedMap;
///
/// /// A bag of at most eight bytes.
/// #[derive(Default)]
/// struct Bag(Vec<u8>);
///
/// impl InnerCollection for Bag {
///     fn len(&self) -> usize {
///         self.0.len()
///     }
/// }
///
/// let mut m: NestedMap<&str, Bag> = NestedMap::new();
/// m.inner_mut("a").0.push(1);
/// assert_eq!(m.len(), 1);
/// m.with_inner_mut("a", |bag| bag.0.clear());
/// assert_eq!(m.outer_len(), 0, "the empty bag was pruned");
/// ```
pub trait InnerCollection {
    /// The number of entries (leaves) it holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::nested::InnerCollection;
    /// assert_eq!(InnerCollection::len(&vec![1, 2, 3]), 3);
    /// ```
    fn len(&self) -> usize;

    /// `true` if it holds nothing; such a collection is removed from the outer map.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::nested::InnerCollection;
    /// assert!(InnerCollection::is_empty(&Vec::<u8>::new()));
    /// assert!(!InnerCollection::is_empty(&vec![1]));
    /// ```
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes it holds now; 0 if unknown. For `std`'s hash collections a lower
    /// bound, estimated from `capacity()`: that falls as removals leave tombstones while
    /// `std` frees nothing, so after removals the table may hold several times more (use
    /// `leakless::HashMap` inner maps for exact figures, and memory given back).
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::nested::InnerCollection;
    /// let v: Vec<u64> = Vec::with_capacity(10);
    /// assert!(InnerCollection::allocation_size(&v) >= 80);
    /// assert_eq!(InnerCollection::allocation_size(&leakless::HashMap::<u8, u8>::new()), 0);
    /// ```
    fn allocation_size(&self) -> usize {
        0
    }

    /// Check its own invariants, panicking if one is broken (called by
    /// [`NestedMap::validate`]). Does nothing by default.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::nested::InnerCollection;
    /// let mut m = leakless::HashMap::new();
    /// m.insert(1, 1);
    /// InnerCollection::validate(&m); // a leakless HashMap checks its table
    /// ```
    fn validate(&self) {}
}

/// An inner collection that is a map: what [`NestedMap`]'s two-level helpers
/// (`insert(k1, k2, v)`, `iter()`, `retain`, ...) need. Lookups by a borrowed key are in
/// [`InnerLookup`].
///
/// Implemented for [`HashMap`], [`LruMap`] and `std`'s
/// `HashMap` and `BTreeMap`.
///
/// # Examples
///
/// ```
/// use std::collections::BTreeMap;
/// use leakless::NestedMap;
///
/// let mut m: NestedMap<u32, BTreeMap<u32, &str>> = NestedMap::new();
/// m.insert(1, 20, "b");
/// m.insert(1, 10, "a");
/// let inner: Vec<_> = m.iter_inner(&1).collect();
/// assert_eq!(inner, [(&10, &"a"), (&20, &"b")], "a BTreeMap iterates in order");
/// ```
pub trait InnerMap: InnerCollection {
    /// The inner key type.
    type Key;
    /// The value type.
    type Value;
    /// The iterator of [`iter`](InnerMap::iter).
    type Iter<'a>: Iterator<Item = (&'a Self::Key, &'a Self::Value)>
    where
        Self: 'a;

    /// `true` (the default) if [`insert`](InnerMap::insert) always stores its value
    /// and removes nothing else: [`NestedMap::insert`] then counts its leaves from the
    /// result alone. A bounded collection whose insert may evict other entries, or
    /// reject the value ([`LruMap`]), sets it to `false`, and the nested
    /// map counts such an insert by the lengths before and after it instead (and prunes
    /// a collection the insert left empty).
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::nested::InnerMap;
    /// assert!(<leakless::HashMap<u8, u8> as InnerMap>::INSERT_ADDS_ONE);
    /// assert!(!<leakless::LruMap<u8, u8> as InnerMap>::INSERT_ADDS_ONE);
    /// ```
    const INSERT_ADDS_ONE: bool = true;

    /// Insert `value` under `key`, returning the previous value. Unless
    /// [`INSERT_ADDS_ONE`](InnerMap::INSERT_ADDS_ONE) is `false`, returning `None`
    /// means one entry more (`len()` grew by one) and `Some` means none:
    /// [`NestedMap::insert`] counts its leaves by that, and [`NestedMap::validate`]
    /// reports a collection that breaks it.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::nested::InnerMap;
    /// use std::collections::BTreeMap;
    /// let mut m = BTreeMap::new();
    /// assert_eq!(InnerMap::insert(&mut m, 1, "a"), None);
    /// assert_eq!(InnerMap::insert(&mut m, 1, "b"), Some("a"));
    /// ```
    fn insert(&mut self, key: Self::Key, value: Self::Value) -> Option<Self::Value>;

    /// An iterator over the entries.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::nested::InnerMap;
    /// use std::collections::BTreeMap;
    /// let m = BTreeMap::from([(2, "b"), (1, "a")]);
    /// assert_eq!(InnerMap::iter(&m).collect::<Vec<_>>(), [(&1, &"a"), (&2, &"b")]);
    /// ```
    fn iter(&self) -> Self::Iter<'_>;

    /// Keep only the entries for which `f` returns `true`.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::nested::InnerMap;
    /// use std::collections::BTreeMap;
    /// let mut m = BTreeMap::from([(1, 1), (2, 2), (3, 3)]);
    /// InnerMap::retain(&mut m, |k, _| k % 2 == 1);
    /// assert_eq!(m.len(), 2);
    /// ```
    fn retain<F: FnMut(&Self::Key, &mut Self::Value) -> bool>(&mut self, f: F);
}

/// Lookups in an [`InnerMap`] by a borrowed form `Q` of its key, as `std`'s `get` takes
/// any `&Q` with `K: Borrow<Q>`.
///
/// # Examples
///
/// ```
/// use leakless::NestedMap;
///
/// let mut m: NestedMap<String, leakless::HashMap<String, u32>> = NestedMap::new();
/// m.insert("user".to_string(), "alice".to_string(), 1);
/// assert_eq!(m.get("user", "alice"), Some(&1), "looked up by &str, no owned keys");
/// ```
pub trait InnerLookup<Q: ?Sized>: InnerMap {
    /// The value for `key`.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::nested::InnerLookup;
    /// let mut m: leakless::HashMap<String, u32> = leakless::HashMap::new();
    /// m.insert("a".to_string(), 1);
    /// assert_eq!(InnerLookup::<str>::get(&m, "a"), Some(&1));
    /// ```
    fn get(&self, key: &Q) -> Option<&Self::Value>;

    /// The value for `key`, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::nested::InnerLookup;
    /// let mut m: leakless::HashMap<String, u32> = leakless::HashMap::new();
    /// m.insert("a".to_string(), 1);
    /// *InnerLookup::<str>::get_mut(&mut m, "a").unwrap() += 1;
    /// assert_eq!(m["a"], 2);
    /// ```
    fn get_mut(&mut self, key: &Q) -> Option<&mut Self::Value>;

    /// Remove `key`, returning its value. Returning `Some` means one entry left (`len()`
    /// dropped by one): [`NestedMap::remove`] counts its leaves by that, and
    /// [`NestedMap::validate`] reports a collection that breaks it.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::nested::InnerLookup;
    /// let mut m: leakless::HashMap<String, u32> = leakless::HashMap::new();
    /// m.insert("a".to_string(), 1);
    /// assert_eq!(InnerLookup::<str>::remove(&mut m, "a"), Some(1));
    /// assert!(m.is_empty());
    /// ```
    fn remove(&mut self, key: &Q) -> Option<Self::Value>;

    /// `true` if `key` is present.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::nested::InnerLookup;
    /// let mut m: leakless::HashMap<String, u32> = leakless::HashMap::new();
    /// m.insert("a".to_string(), 1);
    /// assert!(InnerLookup::<str>::contains_key(&m, "a"));
    /// assert!(!InnerLookup::<str>::contains_key(&m, "b"));
    /// ```
    fn contains_key(&self, key: &Q) -> bool {
        self.get(key).is_some()
    }
}

/// `len` and `is_empty` of an [`InnerCollection`] impl, forwarded to the type's own
/// inherent methods.
macro_rules! len_via_inherent {
    ($ty:ty) => {
        #[inline]
        fn len(&self) -> usize {
            <$ty>::len(self)
        }

        #[inline]
        fn is_empty(&self) -> bool {
            <$ty>::is_empty(self)
        }
    };
}

// ---- leakless ----

impl<K: Eq + Hash, V, S: BuildHasher> InnerCollection for HashMap<K, V, S> {
    len_via_inherent!(HashMap<K, V, S>);

    fn allocation_size(&self) -> usize {
        HashMap::allocation_size(self)
    }

    fn validate(&self) {
        HashMap::validate(self)
    }
}

impl<K: Eq + Hash, V, S: BuildHasher> InnerMap for HashMap<K, V, S> {
    type Key = K;
    type Value = V;
    type Iter<'a>
        = hash_map::Iter<'a, K, V>
    where
        Self: 'a;

    /// Not counted in this map's own [`stats`](HashMap::stats): a [`NestedMap`]
    /// counts the insertions made through it in its own.
    #[inline]
    fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.insert_counted::<false>(key, value)
    }

    fn iter(&self) -> Self::Iter<'_> {
        HashMap::iter(self)
    }

    /// Not counted in this map's own stats either (see [`insert`](InnerMap::insert)).
    fn retain<F: FnMut(&K, &mut V) -> bool>(&mut self, f: F) {
        self.retain_counted(f, None)
    }
}

impl<K, V, S, Q> InnerLookup<Q> for HashMap<K, V, S>
where
    K: Eq + Hash + Borrow<Q>,
    Q: Eq + Hash + ?Sized,
    S: BuildHasher,
{
    /// Not counted in this map's own [`stats`](HashMap::stats): a [`NestedMap`]
    /// counts the lookups made through it in its own.
    #[inline]
    fn get(&self, key: &Q) -> Option<&V> {
        self.find_uncounted(key).map(|(_, v)| v)
    }

    /// Not counted in this map's own stats either (see [`get`](InnerLookup::get)).
    #[inline]
    fn get_mut(&mut self, key: &Q) -> Option<&mut V> {
        self.find_mut_uncounted(key).map(|(_, v)| v)
    }

    /// Not counted in this map's own stats either (see [`get`](InnerLookup::get)).
    #[inline]
    fn remove(&mut self, key: &Q) -> Option<V> {
        let mut slot = PanicSlot::default();
        let removed = self.remove_counted(key, None, &mut slot);
        slot.resume();
        removed.map(|(_, v)| v)
    }
}

/// A bounded cache per outer key: `NestedMap<K1, LruMap<K2, V>>` keeps at most the
/// limit of each inner map, and prunes one that empties. `LruMap` has no `Default` (it
/// needs a limit), so create inner maps with
/// [`inner_mut_or_insert_with`](NestedMap::inner_mut_or_insert_with).
///
/// # Examples
///
/// ```
/// use leakless::{LruMap, NestedMap};
/// let mut recent: NestedMap<&str, LruMap<u32, &str>> = NestedMap::new();
/// for (i, page) in ["a", "b", "c"].into_iter().enumerate() {
///     recent.inner_mut_or_insert_with("alice", || LruMap::new(2)).insert(i as u32, page);
/// }
/// assert_eq!(recent.len(), 2, "alice's oldest page was evicted");
/// assert_eq!(recent.remove("alice", &1), Some("b"));
/// assert_eq!(recent.remove("alice", &2), Some("c"));
/// assert_eq!(recent.outer_len(), 0, "her emptied cache was pruned");
/// ```
impl<K, V, S, P, W, F> InnerCollection for LruMap<K, V, S, P, W, F>
where
    K: Eq + Hash,
    S: BuildHasher,
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    len_via_inherent!(LruMap<K, V, S, P, W, F>);

    fn allocation_size(&self) -> usize {
        LruMap::allocation_size(self)
    }

    fn validate(&self) {
        LruMap::validate(self)
    }
}

/// What each side counts: an inner map's own [`stats`](LruMap::stats) count what is done
/// to it through a [`NestedMap`] (inserts, evictions, and lookups by `get` and `get_mut`,
/// but not by `contains`, as [`LruMap::contains_key`] counts none). The nested map's
/// `stats()` see an inner map by its length, settled when its guard (such as
/// [`NestedMap::inner_mut_or_insert_with`]'s) is dropped: leaves gained count as
/// insertions, leaves lost as explicit removals. So an insert that evicts one entry
/// changes neither there.
///
/// [`INSERT_ADDS_ONE`](InnerMap::INSERT_ADDS_ONE) is `false`, as the insert may evict
/// or reject. `NestedMap::insert` needs `M: Default`, which `LruMap` is not (it needs a
/// limit), so its inserts go through a guard.
impl<K, V, S, P, W, F> InnerMap for LruMap<K, V, S, P, W, F>
where
    K: Eq + Hash,
    S: BuildHasher,
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    type Key = K;
    type Value = V;
    type Iter<'a>
        = lru::Iter<'a, K, V, P, W::Stored>
    where
        Self: 'a;

    /// An insert may evict others, or reject a value heavier than the whole limit.
    const INSERT_ADDS_ONE: bool = false;

    /// [`LruMap::insert`]: the entry becomes the most recently used.
    #[inline]
    fn insert(&mut self, key: K, value: V) -> Option<V> {
        LruMap::insert(self, key, value)
    }

    /// Most recently used first, as [`LruMap::iter`].
    fn iter(&self) -> Self::Iter<'_> {
        LruMap::iter(self)
    }

    fn retain<R: FnMut(&K, &mut V) -> bool>(&mut self, f: R) {
        LruMap::retain(self, f)
    }
}

impl<K, V, S, P, W, F, Q> InnerLookup<Q> for LruMap<K, V, S, P, W, F>
where
    K: Eq + Hash + Borrow<Q>,
    Q: Eq + Hash + ?Sized,
    S: BuildHasher,
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    /// [`LruMap::peek`]: a read through `&self` does not promote.
    #[inline]
    fn get(&self, key: &Q) -> Option<&V> {
        LruMap::peek(self, key)
    }

    /// [`LruMap::get_mut`]: the entry becomes the most recently used.
    #[inline]
    fn get_mut(&mut self, key: &Q) -> Option<&mut V> {
        LruMap::get_mut(self, key)
    }

    #[inline]
    fn remove(&mut self, key: &Q) -> Option<V> {
        LruMap::remove(self, key)
    }

    #[inline]
    fn contains_key(&self, key: &Q) -> bool {
        LruMap::contains_key(self, key)
    }
}

impl<K1: Eq + Hash, M: InnerCollection, S: BuildHasher> InnerCollection for NestedMap<K1, M, S> {
    /// The leaf count, so a nested map of nested maps counts leaves at every depth.
    #[inline]
    fn len(&self) -> usize {
        NestedMap::len(self)
    }

    #[inline]
    fn is_empty(&self) -> bool {
        NestedMap::is_empty(self)
    }

    fn allocation_size(&self) -> usize {
        NestedMap::allocation_size(self)
    }

    fn validate(&self) {
        NestedMap::validate(self)
    }
}

// ---- std ----

/// Bytes of a `hashbrown` table (std's map) of `T` with room for `capacity`: the bucket
/// array plus one control byte per bucket and a group of trailing control bytes.
fn std_table_bytes<T>(capacity: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    let buckets = crate::raw::buckets_for(capacity);
    const GROUP: usize = 16;
    let data = (buckets * core::mem::size_of::<T>()).next_multiple_of(core::mem::align_of::<T>().max(GROUP));
    data + buckets + GROUP
}

impl<K, V, S> InnerCollection for std_hash_map::HashMap<K, V, S> {
    len_via_inherent!(std_hash_map::HashMap<K, V, S>);

    /// A lower bound from the capacity (std does not report its allocation; see the
    /// trait method).
    fn allocation_size(&self) -> usize {
        std_table_bytes::<(K, V)>(self.capacity())
    }
}

impl<K: Eq + Hash, V, S: BuildHasher> InnerMap for std_hash_map::HashMap<K, V, S> {
    type Key = K;
    type Value = V;
    type Iter<'a>
        = std_hash_map::Iter<'a, K, V>
    where
        Self: 'a;

    #[inline]
    fn insert(&mut self, key: K, value: V) -> Option<V> {
        std_hash_map::HashMap::insert(self, key, value)
    }

    fn iter(&self) -> Self::Iter<'_> {
        std_hash_map::HashMap::iter(self)
    }

    fn retain<F: FnMut(&K, &mut V) -> bool>(&mut self, f: F) {
        std_hash_map::HashMap::retain(self, f)
    }
}

impl<K, V, S, Q> InnerLookup<Q> for std_hash_map::HashMap<K, V, S>
where
    K: Eq + Hash + Borrow<Q>,
    Q: Eq + Hash + ?Sized,
    S: BuildHasher,
{
    #[inline]
    fn get(&self, key: &Q) -> Option<&V> {
        std_hash_map::HashMap::get(self, key)
    }

    #[inline]
    fn get_mut(&mut self, key: &Q) -> Option<&mut V> {
        std_hash_map::HashMap::get_mut(self, key)
    }

    #[inline]
    fn remove(&mut self, key: &Q) -> Option<V> {
        std_hash_map::HashMap::remove(self, key)
    }

    #[inline]
    fn contains_key(&self, key: &Q) -> bool {
        std_hash_map::HashMap::contains_key(self, key)
    }
}

impl<T, S> InnerCollection for HashSet<T, S> {
    len_via_inherent!(HashSet<T, S>);

    /// A lower bound from the capacity (std does not report its allocation; see the
    /// trait method).
    fn allocation_size(&self) -> usize {
        std_table_bytes::<T>(self.capacity())
    }
}

/// A lower bound for a B-tree of `len` entries of `T` (std does not report its nodes,
/// which also hold spare slots and links).
fn btree_bytes<T>(len: usize) -> usize {
    len * core::mem::size_of::<T>()
}

impl<K, V> InnerCollection for BTreeMap<K, V> {
    len_via_inherent!(BTreeMap<K, V>);

    /// A lower bound: the entries' own bytes (std does not report its nodes).
    fn allocation_size(&self) -> usize {
        btree_bytes::<(K, V)>(self.len())
    }
}

impl<K: Ord, V> InnerMap for BTreeMap<K, V> {
    type Key = K;
    type Value = V;
    type Iter<'a>
        = btree_map::Iter<'a, K, V>
    where
        Self: 'a;

    #[inline]
    fn insert(&mut self, key: K, value: V) -> Option<V> {
        BTreeMap::insert(self, key, value)
    }

    fn iter(&self) -> Self::Iter<'_> {
        BTreeMap::iter(self)
    }

    fn retain<F: FnMut(&K, &mut V) -> bool>(&mut self, f: F) {
        BTreeMap::retain(self, f)
    }
}

impl<K, V, Q> InnerLookup<Q> for BTreeMap<K, V>
where
    K: Ord + Borrow<Q>,
    Q: Ord + ?Sized,
{
    #[inline]
    fn get(&self, key: &Q) -> Option<&V> {
        BTreeMap::get(self, key)
    }

    #[inline]
    fn get_mut(&mut self, key: &Q) -> Option<&mut V> {
        BTreeMap::get_mut(self, key)
    }

    #[inline]
    fn remove(&mut self, key: &Q) -> Option<V> {
        BTreeMap::remove(self, key)
    }

    #[inline]
    fn contains_key(&self, key: &Q) -> bool {
        BTreeMap::contains_key(self, key)
    }
}

impl<T> InnerCollection for BTreeSet<T> {
    len_via_inherent!(BTreeSet<T>);

    /// A lower bound: the elements' own bytes (std does not report its nodes).
    fn allocation_size(&self) -> usize {
        btree_bytes::<T>(self.len())
    }
}

impl<T> InnerCollection for Vec<T> {
    len_via_inherent!(Vec<T>);

    fn allocation_size(&self) -> usize {
        self.capacity() * core::mem::size_of::<T>()
    }
}

impl<T> InnerCollection for VecDeque<T> {
    len_via_inherent!(VecDeque<T>);

    fn allocation_size(&self) -> usize {
        self.capacity() * core::mem::size_of::<T>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // The estimate assumes SSE2's 16-byte control groups; Miri runs hashbrown's portable
    // 8-byte groups, which lay tables out differently.
    #[cfg_attr(miri, ignore = "hashbrown uses a different group width under Miri")]
    fn std_table_estimate_matches_hashbrown() {
        // hashbrown (std's table) reports its real allocation: the estimate must match it.
        for n in [1usize, 3, 7, 8, 14, 15, 100, 1000, 5000] {
            let mut t: hashbrown::HashMap<u64, u64> = hashbrown::HashMap::new();
            for i in 0..n as u64 {
                t.insert(i, i);
            }
            assert_eq!(std_table_bytes::<(u64, u64)>(t.capacity()), t.allocation_size(), "n = {n}");
        }
    }
}
