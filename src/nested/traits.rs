//! The standard trait impls of [`NestedMap`].

use core::fmt;
use core::hash::{BuildHasher, Hash};

use super::{InnerMap, Iter, NestedMap};

impl<K1: Clone, M: Clone, S: Clone> Clone for NestedMap<K1, M, S> {
    fn clone(&self) -> Self {
        Self { outer: self.outer.clone(), tally: self.tally.clone() }
    }
}

impl<K1, M, S: Default> Default for NestedMap<K1, M, S> {
    fn default() -> Self {
        Self::with_hasher(S::default())
    }
}

/// Shows the outer map: each outer key with its inner collection.
impl<K1: fmt::Debug, M: fmt::Debug, S> fmt::Debug for NestedMap<K1, M, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.outer.iter()).finish()
    }
}

/// Equal if they hold the same outer keys with equal inner collections.
impl<K1: Eq + Hash, M: PartialEq, S: BuildHasher> PartialEq for NestedMap<K1, M, S> {
    fn eq(&self, other: &Self) -> bool {
        self.tally.leaves == other.tally.leaves && self.outer == other.outer
    }
}

impl<K1: Eq + Hash, M: Eq, S: BuildHasher> Eq for NestedMap<K1, M, S> {}

/// Inserts each `(k1, k2, v)` as [`insert`](NestedMap::insert) does.
impl<K1, M, S> Extend<(K1, M::Key, M::Value)> for NestedMap<K1, M, S>
where
    K1: Eq + Hash,
    M: InnerMap + Default,
    S: BuildHasher,
{
    fn extend<T: IntoIterator<Item = (K1, M::Key, M::Value)>>(&mut self, iter: T) {
        for (k1, k2, v) in iter {
            self.insert(k1, k2, v);
        }
    }
}

impl<K1, M, S> FromIterator<(K1, M::Key, M::Value)> for NestedMap<K1, M, S>
where
    K1: Eq + Hash,
    M: InnerMap + Default,
    S: BuildHasher + Default,
{
    fn from_iter<T: IntoIterator<Item = (K1, M::Key, M::Value)>>(iter: T) -> Self {
        let mut map = Self::default();
        map.extend(iter);
        map
    }
}

impl<'a, K1, M: InnerMap + 'a, S> IntoIterator for &'a NestedMap<K1, M, S> {
    type Item = (&'a K1, &'a M::Key, &'a M::Value);
    type IntoIter = Iter<'a, K1, M>;

    fn into_iter(self) -> Iter<'a, K1, M> {
        Iter { outer: self.outer.iter(), front: None, remaining: self.tally.leaves }
    }
}
