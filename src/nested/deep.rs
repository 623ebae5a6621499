//! Helpers for three levels: `NestedMap<K1, NestedMap<K2, M>>` where `M` is a map.
//!
//! Each is a composition of the two-level pieces: the outer level hands out an
//! [`InnerMut`](super::InnerMut) guard (which prunes `K1` levels), and the inner
//! `NestedMap`'s two-level helper prunes `K2` levels.

use core::borrow::Borrow;
use core::hash::{BuildHasher, Hash};

use super::{InnerLookup, InnerMap, NestedMap};

impl<K1, K2, M, S, S2> NestedMap<K1, NestedMap<K2, M, S2>, S>
where
    K1: Eq + Hash,
    K2: Eq + Hash,
    M: InnerMap,
    S: BuildHasher,
    S2: BuildHasher,
{
    /// Insert `value` under `(k1, k2, k3)`, creating the inner levels as needed; returns
    /// the previous value.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{HashMap, NestedMap};
    /// let mut m: NestedMap<&str, NestedMap<u8, HashMap<u8, u32>>> = NestedMap::new();
    /// assert_eq!(m.insert3("eu", 1, 2, 10), None);
    /// assert_eq!(m.insert3("eu", 1, 2, 11), Some(10));
    /// assert_eq!(m.len(), 1);
    /// ```
    pub fn insert3(&mut self, k1: K1, k2: K2, k3: M::Key, value: M::Value) -> Option<M::Value>
    where
        M: Default,
        S2: Default,
    {
        self.insert_into(k1, M::INSERT_ADDS_ONE, |mid| mid.insert(k2, k3, value))
    }

    /// The value under `(k1, k2, k3)`; `&self`, borrowed keys, never allocates.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{HashMap, NestedMap};
    /// let mut m: NestedMap<String, NestedMap<u8, HashMap<u8, u32>>> = NestedMap::new();
    /// m.insert3("eu".to_string(), 1, 2, 10);
    /// assert_eq!(m.get3("eu", &1, &2), Some(&10));
    /// assert_eq!(m.get3("us", &1, &2), None);
    /// ```
    pub fn get3<Q1, Q2, Q3>(&self, k1: &Q1, k2: &Q2, k3: &Q3) -> Option<&M::Value>
    where
        K1: Borrow<Q1>,
        Q1: Hash + Eq + ?Sized,
        K2: Borrow<Q2>,
        Q2: Hash + Eq + ?Sized,
        M: InnerLookup<Q3>,
        Q3: ?Sized,
    {
        let found = self.get_inner(k1).and_then(|mid| mid.get_inner(k2)).and_then(|inner| InnerLookup::get(inner, k3));
        self.tally.counters.lookup(found.is_some());
        found
    }

    /// The value under `(k1, k2, k3)`, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{HashMap, NestedMap};
    /// let mut m: NestedMap<u8, NestedMap<u8, HashMap<u8, u32>>> = NestedMap::new();
    /// m.insert3(1, 2, 3, 10);
    /// *m.get3_mut(&1, &2, &3).unwrap() += 1;
    /// assert_eq!(m.get3(&1, &2, &3), Some(&11));
    /// ```
    pub fn get3_mut<Q1, Q2, Q3>(&mut self, k1: &Q1, k2: &Q2, k3: &Q3) -> Option<&mut M::Value>
    where
        K1: Borrow<Q1>,
        Q1: Hash + Eq + ?Sized,
        K2: Borrow<Q2>,
        Q2: Hash + Eq + ?Sized,
        M: InnerLookup<Q3>,
        Q3: ?Sized,
    {
        // Counted here only, as `get3` is: not in the middle map's stats as well.
        let found = self
            .outer
            .find_mut_uncounted(k1)
            .and_then(|(_, mid)| mid.outer.find_mut_uncounted(k2))
            .and_then(|(_, inner)| InnerLookup::get_mut(inner, k3));
        self.tally.counters.lookup(found.is_some());
        found
    }

    /// `true` if `(k1, k2, k3)` is present.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{HashMap, NestedMap};
    /// let mut m: NestedMap<u8, NestedMap<u8, HashMap<u8, u32>>> = NestedMap::new();
    /// m.insert3(1, 2, 3, 10);
    /// assert!(m.contains3(&1, &2, &3));
    /// assert!(!m.contains3(&1, &2, &4));
    /// ```
    pub fn contains3<Q1, Q2, Q3>(&self, k1: &Q1, k2: &Q2, k3: &Q3) -> bool
    where
        K1: Borrow<Q1>,
        Q1: Hash + Eq + ?Sized,
        K2: Borrow<Q2>,
        Q2: Hash + Eq + ?Sized,
        M: InnerLookup<Q3>,
        Q3: ?Sized,
    {
        self.get3(k1, k2, k3).is_some()
    }

    /// Remove `(k1, k2, k3)`, returning its value; levels this empties are removed.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{HashMap, NestedMap};
    /// let mut m: NestedMap<u8, NestedMap<u8, HashMap<u8, u32>>> = NestedMap::new();
    /// m.insert3(1, 2, 3, 10);
    /// m.insert3(1, 4, 3, 20);
    /// assert_eq!(m.remove3(&1, &2, &3), Some(10));
    /// assert_eq!(m.get_inner(&1).unwrap().outer_len(), 1, "the (1, 2) level was pruned");
    /// assert_eq!(m.remove3(&1, &4, &3), Some(20));
    /// assert_eq!(m.outer_len(), 0, "the 1 level was pruned");
    /// ```
    pub fn remove3<Q1, Q2, Q3>(&mut self, k1: &Q1, k2: &Q2, k3: &Q3) -> Option<M::Value>
    where
        K1: Borrow<Q1>,
        Q1: Hash + Eq + ?Sized,
        K2: Borrow<Q2>,
        Q2: Hash + Eq + ?Sized,
        M: InnerLookup<Q3>,
        Q3: ?Sized,
    {
        self.with_inner_mut(k1, |mid| mid.remove(k2, k3))?
    }

    /// An iterator over every leaf `(&K1, &K2, &K3, &V)`, in arbitrary order.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{HashMap, NestedMap};
    /// let mut m: NestedMap<u8, NestedMap<u8, HashMap<u8, u32>>> = NestedMap::new();
    /// m.insert3(1, 2, 3, 10);
    /// assert_eq!(m.iter3().collect::<Vec<_>>(), [(&1, &2, &3, &10)]);
    /// ```
    pub fn iter3(&self) -> impl Iterator<Item = (&K1, &K2, &M::Key, &M::Value)> + '_ {
        self.outer.iter().flat_map(|(k1, mid)| mid.iter().map(move |(k2, k3, v)| (k1, k2, k3, v)))
    }

    /// Keep only the leaves for which `f` returns `true`; levels left empty are removed.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{HashMap, NestedMap};
    /// let mut m: NestedMap<u8, NestedMap<u8, HashMap<u8, u32>>> = NestedMap::new();
    /// m.insert3(1, 2, 3, 10);
    /// m.insert3(4, 5, 6, 20);
    /// m.retain3(|_, _, _, v| *v > 15);
    /// assert_eq!((m.outer_len(), m.len()), (1, 1));
    /// ```
    pub fn retain3<F>(&mut self, mut f: F)
    where
        F: FnMut(&K1, &K2, &M::Key, &mut M::Value) -> bool,
    {
        self.each_inner_mut(|k1, mid| mid.retain(|k2, k3, v| f(k1, k2, k3, v)));
    }
}
