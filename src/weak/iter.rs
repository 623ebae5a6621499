//! Iterators over the live entries of a [`WeakKeyMap`](super::WeakKeyMap).

use core::fmt;
use core::iter::FusedIterator;

use hashbrown::hash_table;

use super::{Slot, WeakKey};

/// An iterator over the live entries of a [`WeakKeyMap`](super::WeakKeyMap), yielding
/// `(strong key, &value)`. Dead entries are skipped. Created by
/// [`WeakKeyMap::iter`](super::WeakKeyMap::iter).
///
/// # Examples
///
/// ```
/// use std::rc::{Rc, Weak};
/// let mut m: leakless::WeakKeyMap<Weak<u8>, u8> = leakless::WeakKeyMap::new();
/// let k = Rc::new(1);
/// m.insert(&k, 2);
/// let mut it = m.iter();
/// assert_eq!(it.next(), Some((k, &2)));
/// assert_eq!(it.next(), None);
/// ```
pub struct Iter<'a, K, V> {
    inner: hash_table::Iter<'a, Slot<K, V>>,
}

impl<'a, K, V> Iter<'a, K, V> {
    pub(super) fn new(inner: hash_table::Iter<'a, Slot<K, V>>) -> Self {
        Self { inner }
    }
}

impl<'a, K: WeakKey, V> Iterator for Iter<'a, K, V> {
    type Item = (K::Strong, &'a V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.inner.by_ref().find_map(|s| Some((s.key.upgrade()?, &s.value)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, self.inner.size_hint().1)
    }
}

impl<K: WeakKey, V> FusedIterator for Iter<'_, K, V> {}

impl<K, V> Clone for Iter<'_, K, V> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone() }
    }
}

impl<K, V> fmt::Debug for Iter<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter").finish_non_exhaustive()
    }
}

/// An iterator over the live keys of a [`WeakKeyMap`](super::WeakKeyMap), as strong
/// pointers. Created by [`WeakKeyMap::keys`](super::WeakKeyMap::keys).
///
/// # Examples
///
/// ```
/// use std::rc::{Rc, Weak};
/// let mut m: leakless::WeakKeyMap<Weak<u8>, u8> = leakless::WeakKeyMap::new();
/// let k = Rc::new(1);
/// m.insert(&k, 2);
/// assert_eq!(m.keys().count(), 1);
/// ```
pub struct Keys<'a, K, V> {
    pub(super) inner: Iter<'a, K, V>,
}

impl<K: WeakKey, V> Iterator for Keys<'_, K, V> {
    type Item = K::Strong;

    #[inline]
    fn next(&mut self) -> Option<K::Strong> {
        self.inner.next().map(|(k, _)| k)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<K: WeakKey, V> FusedIterator for Keys<'_, K, V> {}

impl<K, V> Clone for Keys<'_, K, V> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone() }
    }
}

impl<K, V> fmt::Debug for Keys<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys").finish_non_exhaustive()
    }
}

/// An iterator over the values of the live entries of a
/// [`WeakKeyMap`](super::WeakKeyMap). It checks each key's liveness without upgrading
/// it. Created by [`WeakKeyMap::values`](super::WeakKeyMap::values).
///
/// # Examples
///
/// ```
/// use std::rc::{Rc, Weak};
/// let mut m: leakless::WeakKeyMap<Weak<u8>, u8> = leakless::WeakKeyMap::new();
/// let k = Rc::new(1);
/// m.insert(&k, 2);
/// assert_eq!(m.values().copied().collect::<Vec<_>>(), [2]);
/// ```
pub struct Values<'a, K, V> {
    inner: hash_table::Iter<'a, Slot<K, V>>,
}

impl<'a, K, V> Values<'a, K, V> {
    pub(super) fn new(inner: hash_table::Iter<'a, Slot<K, V>>) -> Self {
        Self { inner }
    }
}

impl<'a, K: WeakKey, V> Iterator for Values<'a, K, V> {
    type Item = &'a V;

    #[inline]
    fn next(&mut self) -> Option<&'a V> {
        self.inner.by_ref().find(|s| !s.key.is_dead()).map(|s| &s.value)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, self.inner.size_hint().1)
    }
}

impl<K: WeakKey, V> FusedIterator for Values<'_, K, V> {}

impl<K, V> Clone for Values<'_, K, V> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone() }
    }
}

impl<K, V> fmt::Debug for Values<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Values").finish_non_exhaustive()
    }
}
