//! Iterators of [`LruMap`], in the policy's order, and the methods that make them.

use core::iter::FusedIterator;

use super::{Core, EntryWeigher, LruMap};
use crate::policy::{EvictionPolicy, Finalizer};
use crate::raw::arena::Node;

impl<K, V, S, P, W, F> LruMap<K, V, S, P, W, F>
where
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    /// An iterator over `(&K, &V)` from the most to the least recently used, with exact
    /// LRU. Other policies give their own order ([`EvictionPolicy::first`]), which need
    /// not end with the next victim: [`WTinyLfu`](crate::WTinyLfu) lists its window,
    /// then its probation and protected segments, each from most to least recently
    /// used, and picks its victim by a frequency duel; [`peek_lru`](Self::peek_lru)
    /// names the next victim of any policy.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(3);
    /// m.extend([(1, 'a'), (2, 'b'), (3, 'c')]);
    /// m.get(&1);
    /// assert_eq!(m.iter().map(|(k, _)| *k).collect::<Vec<_>>(), [1, 3, 2]);
    /// ```
    pub fn iter(&self) -> Iter<'_, K, V, P, W::Stored> {
        Iter::new(&self.core)
    }

    /// An iterator over `(&K, &mut V)` in the order of [`iter`](Self::iter). It does not
    /// promote. It allocates a temporary list of the entries' slots.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(3);
    /// m.extend([(1, 1), (2, 2)]);
    /// m.iter_mut().for_each(|(_, v)| *v *= 10);
    /// assert_eq!(m.peek(&2), Some(&20));
    /// ```
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        IterMut::new(&mut self.core)
    }

    /// An iterator over the keys, in the order of [`iter`](Self::iter).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(3);
    /// m.extend([(1, 'a'), (2, 'b')]);
    /// assert_eq!(m.keys().collect::<Vec<_>>(), [&2, &1]);
    /// ```
    pub fn keys(&self) -> Keys<'_, K, V, P, W::Stored> {
        Keys { inner: self.iter() }
    }

    /// An iterator over the values, in the order of [`iter`](Self::iter).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(3);
    /// m.extend([(1, 'a'), (2, 'b')]);
    /// assert_eq!(m.values().collect::<Vec<_>>(), [&'b', &'a']);
    /// ```
    pub fn values(&self) -> Values<'_, K, V, P, W::Stored> {
        Values { inner: self.iter() }
    }
}

/// The slots of `core`'s entries in the policy's order (storage order if it keeps none).
pub(super) fn order<K, V, P: EvictionPolicy, X>(core: &Core<K, V, P, X>) -> Vec<u32> {
    Iter::new(core).slots().collect()
}

/// An iterator over `(&K, &V)`, from the most to the least recently used. Created by
/// [`LruMap::iter`](super::LruMap::iter).
///
/// # Examples
///
/// ```
/// let mut m = leakless::LruMap::new(2);
/// m.extend([(1, 'a'), (2, 'b')]);
/// let mut it = m.iter();
/// assert_eq!(it.len(), 2);
/// assert_eq!(it.next(), Some((&2, &'b')));
/// ```
pub struct Iter<'a, K, V, P: EvictionPolicy, X> {
    core: &'a Core<K, V, P, X>,
    /// The next slot in the policy's order, or `None` when done (or in storage order).
    at: Option<u32>,
    /// In storage order: the next slot.
    storage: Option<u32>,
    remaining: usize,
}

impl<'a, K, V, P: EvictionPolicy, X> Iter<'a, K, V, P, X> {
    pub(super) fn new(core: &'a Core<K, V, P, X>) -> Self {
        let remaining = core.len();
        let at = core.policy.first(&core.nodes);
        let storage = (at.is_none() && remaining > 0).then_some(0);
        Self { core, at, storage, remaining }
    }

    #[inline]
    fn next_slot(&mut self) -> Option<u32> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        if let Some(i) = self.storage {
            self.storage = Some(i + 1);
            return Some(i);
        }
        let i = self.at?;
        self.at = self.core.policy.next(&self.core.nodes, i);
        Some(i)
    }

    fn slots(mut self) -> impl Iterator<Item = u32> + 'a {
        core::iter::from_fn(move || self.next_slot())
    }
}

impl<K, V, P: EvictionPolicy, X> Clone for Iter<'_, K, V, P, X> {
    fn clone(&self) -> Self {
        Self { ..*self }
    }
}

impl<'a, K, V, P: EvictionPolicy, X> Iterator for Iter<'a, K, V, P, X> {
    type Item = (&'a K, &'a V);

    #[inline]
    fn next(&mut self) -> Option<(&'a K, &'a V)> {
        let i = self.next_slot()?;
        let e = self.core.item(i);
        Some((&e.key, &e.value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V, P: EvictionPolicy, X> ExactSizeIterator for Iter<'_, K, V, P, X> {}
impl<K, V, P: EvictionPolicy, X> FusedIterator for Iter<'_, K, V, P, X> {}

/// An iterator over `(&K, &mut V)`, from the most to the least recently used. Created by
/// [`LruMap::iter_mut`](super::LruMap::iter_mut).
///
/// # Examples
///
/// ```
/// let mut m = leakless::LruMap::new(2);
/// m.extend([(1, 1), (2, 2)]);
/// for (_, v) in &mut m {
///     *v += 1;
/// }
/// assert_eq!(m.peek(&1), Some(&2));
/// ```
pub struct IterMut<'a, K, V> {
    inner: std::vec::IntoIter<(&'a K, &'a mut V)>,
}

impl<'a, K, V> IterMut<'a, K, V> {
    pub(super) fn new<P: EvictionPolicy, X>(core: &'a mut Core<K, V, P, X>) -> Self {
        let order = order(core);
        let mut refs: Vec<Option<(&'a K, &'a mut V)>> =
            core.nodes.0.iter_mut().map(|n| Some((&n.item.key, &mut n.item.value))).collect();
        let inner: Vec<_> = order.into_iter().filter_map(|i| refs[i as usize].take()).collect();
        Self { inner: inner.into_iter() }
    }
}

impl<'a, K, V> Iterator for IterMut<'a, K, V> {
    type Item = (&'a K, &'a mut V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<K, V> ExactSizeIterator for IterMut<'_, K, V> {}
impl<K, V> FusedIterator for IterMut<'_, K, V> {}

/// An iterator over the keys, from the most to the least recently used. Created by
/// [`LruMap::keys`](super::LruMap::keys).
///
/// # Examples
///
/// ```
/// let mut m = leakless::LruMap::new(2);
/// m.insert(1, 'a');
/// assert_eq!(m.keys().next(), Some(&1));
/// ```
pub struct Keys<'a, K, V, P: EvictionPolicy, X> {
    pub(super) inner: Iter<'a, K, V, P, X>,
}

impl<'a, K, V, P: EvictionPolicy, X> Iterator for Keys<'a, K, V, P, X> {
    type Item = &'a K;

    #[inline]
    fn next(&mut self) -> Option<&'a K> {
        self.inner.next().map(|(k, _)| k)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<K, V, P: EvictionPolicy, X> ExactSizeIterator for Keys<'_, K, V, P, X> {}
impl<K, V, P: EvictionPolicy, X> FusedIterator for Keys<'_, K, V, P, X> {}

/// An iterator over the values, from the most to the least recently used. Created by
/// [`LruMap::values`](super::LruMap::values).
///
/// # Examples
///
/// ```
/// let mut m = leakless::LruMap::new(2);
/// m.insert(1, 'a');
/// assert_eq!(m.values().next(), Some(&'a'));
/// ```
pub struct Values<'a, K, V, P: EvictionPolicy, X> {
    pub(super) inner: Iter<'a, K, V, P, X>,
}

impl<'a, K, V, P: EvictionPolicy, X> Iterator for Values<'a, K, V, P, X> {
    type Item = &'a V;

    #[inline]
    fn next(&mut self) -> Option<&'a V> {
        self.inner.next().map(|(_, v)| v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<K, V, P: EvictionPolicy, X> ExactSizeIterator for Values<'_, K, V, P, X> {}
impl<K, V, P: EvictionPolicy, X> FusedIterator for Values<'_, K, V, P, X> {}

/// An owning iterator over `(K, V)`, from the most to the least recently used. Created
/// by `LruMap::into_iter`; entries not consumed are dropped with it (not finalized).
///
/// # Examples
///
/// ```
/// let mut m = leakless::LruMap::new(2);
/// m.extend([(1, 'a'), (2, 'b')]);
/// assert_eq!(m.into_iter().collect::<Vec<_>>(), [(2, 'b'), (1, 'a')]);
/// ```
pub struct IntoIter<K, V> {
    inner: std::vec::IntoIter<(K, V)>,
}

impl<K, V> IntoIter<K, V> {
    pub(super) fn new<M, X>(order: Vec<u32>, nodes: Vec<Node<super::Slot<K, V, X>, M>>) -> Self {
        let mut slots: Vec<Option<(K, V)>> = nodes.into_iter().map(|n| Some((n.item.key, n.item.value))).collect();
        let inner: Vec<_> = order.into_iter().filter_map(|i| slots[i as usize].take()).collect();
        Self { inner: inner.into_iter() }
    }
}

impl<K, V> Iterator for IntoIter<K, V> {
    type Item = (K, V);

    #[inline]
    fn next(&mut self) -> Option<(K, V)> {
        self.inner.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<K, V> ExactSizeIterator for IntoIter<K, V> {}
impl<K, V> FusedIterator for IntoIter<K, V> {}
