//! Iterators of [`NestedMap`](super::NestedMap).

use core::fmt;
use core::iter::FusedIterator;

use super::InnerMap;
use crate::hash_map;

/// An iterator over the leaves `(&K1, &K2, &V)` of a two-level
/// [`NestedMap`](super::NestedMap), from [`NestedMap::iter`](super::NestedMap::iter).
///
/// # Examples
///
/// ```
/// let m: leakless::NestedMap<u8, leakless::HashMap<u8, u8>> = [(1, 2, 3), (1, 4, 5)].into_iter().collect();
/// assert_eq!(m.iter().len(), 2);
/// ```
pub struct Iter<'a, K1, M: InnerMap> {
    pub(super) outer: hash_map::Iter<'a, K1, M>,
    pub(super) front: Option<(&'a K1, M::Iter<'a>)>,
    pub(super) remaining: usize,
}

impl<'a, K1, M: InnerMap + 'a> Iterator for Iter<'a, K1, M> {
    type Item = (&'a K1, &'a M::Key, &'a M::Value);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((k1, inner)) = &mut self.front {
                if let Some((k2, v)) = inner.next() {
                    self.remaining = self.remaining.saturating_sub(1);
                    return Some((*k1, k2, v));
                }
            }
            let (k1, m) = self.outer.next()?;
            self.front = Some((k1, m.iter()));
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<'a, K1, M: InnerMap + 'a> ExactSizeIterator for Iter<'a, K1, M> {}

impl<'a, K1, M: InnerMap + 'a> FusedIterator for Iter<'a, K1, M> {}

impl<'a, K1, M: InnerMap + 'a> Clone for Iter<'a, K1, M>
where
    M::Iter<'a>: Clone,
{
    fn clone(&self) -> Self {
        Self { outer: self.outer.clone(), front: self.front.clone(), remaining: self.remaining }
    }
}

impl<'a, K1: fmt::Debug, M: InnerMap + 'a> fmt::Debug for Iter<'a, K1, M>
where
    M::Iter<'a>: Clone,
    M::Key: fmt::Debug,
    M::Value: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

/// An iterator over the entries `(&K2, &V)` of one inner map, empty if the outer key is
/// absent; from [`NestedMap::iter_inner`](super::NestedMap::iter_inner).
///
/// # Examples
///
/// ```
/// let m: leakless::NestedMap<u8, leakless::HashMap<u8, u8>> = [(1, 2, 3)].into_iter().collect();
/// assert_eq!(m.iter_inner(&1).collect::<Vec<_>>(), [(&2, &3)]);
/// assert_eq!(m.iter_inner(&9).count(), 0);
/// ```
pub struct InnerIter<'a, M: InnerMap + 'a> {
    pub(super) inner: Option<M::Iter<'a>>,
}

impl<'a, M: InnerMap + 'a> Iterator for InnerIter<'a, M> {
    type Item = (&'a M::Key, &'a M::Value);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.inner.as_mut()?.next()
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.as_ref().map_or((0, Some(0)), Iterator::size_hint)
    }
}

impl<'a, M: InnerMap + 'a> Clone for InnerIter<'a, M>
where
    M::Iter<'a>: Clone,
{
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone() }
    }
}

impl<'a, M: InnerMap + 'a> fmt::Debug for InnerIter<'a, M>
where
    M::Iter<'a>: Clone,
    M::Key: fmt::Debug,
    M::Value: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}
