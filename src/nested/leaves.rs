//! The two-level API of a [`NestedMap`] whose inner collections are maps: leaves
//! addressed by `(k1, k2)`, inserted, read, removed and retained without naming the
//! inner map, every removal pruning an inner map it empties.

use core::borrow::Borrow;
use core::hash::{BuildHasher, Hash};

use super::{guard, InnerIter, InnerLookup, InnerMap, Iter, NestedMap};

impl<K1: Eq + Hash, M: InnerMap, S: BuildHasher> NestedMap<K1, M, S> {
    /// Insert `value` under `(k1, k2)`, creating the inner map of `k1` if needed;
    /// returns the previous value.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::nested::NestedHashMap<&str, u32, u32> = Default::default();
    /// assert_eq!(m.insert("a", 1, 10), None);
    /// assert_eq!(m.insert("a", 1, 11), Some(10));
    /// assert_eq!(m.len(), 1);
    /// ```
    #[inline]
    pub fn insert(&mut self, k1: K1, k2: M::Key, value: M::Value) -> Option<M::Value>
    where
        M: Default,
    {
        self.insert_into(k1, M::INSERT_ADDS_ONE, |inner| InnerMap::insert(inner, k2, value))
    }

    /// The value under `(k1, k2)`. Takes `&self`, borrowed keys, and never allocates.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::nested::NestedHashMap<String, String, u32> = Default::default();
    /// m.insert("a".into(), "b".into(), 1);
    /// assert_eq!(m.get("a", "b"), Some(&1));
    /// assert_eq!(m.get("a", "c"), None);
    /// assert_eq!(m.get("z", "b"), None);
    /// ```
    #[inline]
    pub fn get<Q1, Q2>(&self, k1: &Q1, k2: &Q2) -> Option<&M::Value>
    where
        K1: Borrow<Q1>,
        Q1: Hash + Eq + ?Sized,
        M: InnerLookup<Q2>,
        Q2: ?Sized,
    {
        let found = self.get_inner(k1).and_then(|inner| InnerLookup::get(inner, k2));
        self.tally.counters.lookup(found.is_some());
        found
    }

    /// The value under `(k1, k2)`, mutably (changing a value cannot empty an inner map,
    /// so no guard is needed).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::nested::NestedHashMap<u8, u8, u32> = Default::default();
    /// m.insert(1, 2, 10);
    /// *m.get_mut(&1, &2).unwrap() += 1;
    /// assert_eq!(m.get(&1, &2), Some(&11));
    /// ```
    #[inline]
    pub fn get_mut<Q1, Q2>(&mut self, k1: &Q1, k2: &Q2) -> Option<&mut M::Value>
    where
        K1: Borrow<Q1>,
        Q1: Hash + Eq + ?Sized,
        M: InnerLookup<Q2>,
        Q2: ?Sized,
    {
        let found = self.outer.find_mut_uncounted(k1).and_then(|(_, inner)| InnerLookup::get_mut(inner, k2));
        self.tally.counters.lookup(found.is_some());
        found
    }

    /// `true` if `(k1, k2)` is present.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::nested::NestedHashMap<u8, u8, u8> = Default::default();
    /// m.insert(1, 2, 3);
    /// assert!(m.contains(&1, &2));
    /// assert!(!m.contains(&1, &3));
    /// ```
    #[inline]
    pub fn contains<Q1, Q2>(&self, k1: &Q1, k2: &Q2) -> bool
    where
        K1: Borrow<Q1>,
        Q1: Hash + Eq + ?Sized,
        M: InnerLookup<Q2>,
        Q2: ?Sized,
    {
        let found = self.get_inner(k1).is_some_and(|inner| InnerLookup::contains_key(inner, k2));
        self.tally.counters.lookup(found);
        found
    }

    /// Remove `(k1, k2)`, returning its value; the inner map of `k1` is removed if this
    /// empties it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::nested::NestedHashMap<u8, u8, u8> = Default::default();
    /// m.insert(1, 2, 3);
    /// assert_eq!(m.remove(&1, &2), Some(3));
    /// assert_eq!(m.remove(&1, &2), None);
    /// assert_eq!(m.outer_len(), 0);
    /// ```
    #[inline]
    pub fn remove<Q1, Q2>(&mut self, k1: &Q1, k2: &Q2) -> Option<M::Value>
    where
        K1: Borrow<Q1>,
        Q1: Hash + Eq + ?Sized,
        M: InnerLookup<Q2>,
        Q2: ?Sized,
    {
        let (entry, mut outer) = self.find_inner(k1)?;
        guard::remove_from(entry, &mut outer, k2)
    }

    /// An iterator over every leaf `(&K1, &K2, &V)`, in arbitrary order.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::nested::NestedHashMap<u8, u8, u8> = [(1, 2, 3), (4, 5, 6)].into_iter().collect();
    /// let mut v: Vec<_> = m.iter().collect();
    /// v.sort();
    /// assert_eq!(v, [(&1, &2, &3), (&4, &5, &6)]);
    /// ```
    pub fn iter(&self) -> Iter<'_, K1, M> {
        Iter { outer: self.outer.iter(), front: None, remaining: self.tally.leaves }
    }

    /// An iterator over the entries `(&K2, &V)` of the inner map of `k1` (empty if `k1`
    /// is absent).
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::nested::NestedHashMap<u8, u8, u8> = [(1, 2, 3)].into_iter().collect();
    /// assert_eq!(m.iter_inner(&1).collect::<Vec<_>>(), [(&2, &3)]);
    /// ```
    pub fn iter_inner<Q>(&self, k1: &Q) -> InnerIter<'_, M>
    where
        K1: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        InnerIter { inner: self.get_inner(k1).map(|m| m.iter()) }
    }

    /// Keep only the leaves for which `f` returns `true`; inner maps left empty are
    /// removed, then the outer table shrinks if due. If `f` panics, the leaves removed so
    /// far stay removed and the map stays consistent (pruned, counted).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::nested::NestedHashMap<u32, u32, u32> =
    ///     (0..10).flat_map(|g| (0..10).map(move |i| (g, i, g * i))).collect();
    /// m.retain(|g, _, _| g % 2 == 0);
    /// assert_eq!((m.outer_len(), m.len()), (5, 50));
    /// m.retain(|_, i, _| *i > 100);
    /// assert_eq!(m.outer_len(), 0);
    /// ```
    pub fn retain<F>(&mut self, mut f: F)
    where
        F: FnMut(&K1, &M::Key, &mut M::Value) -> bool,
    {
        self.each_inner_mut(|k1, inner| inner.retain(|k2, v| f(k1, k2, v)));
    }
}
