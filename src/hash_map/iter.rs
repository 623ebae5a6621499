//! Iterators of [`HashMap`], and the methods that make them: iteration, `drain`, and
//! the filters `retain` and `extract_if`.

use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::iter::FusedIterator;
use core::marker::PhantomData;

use hashbrown::hash_table;

use super::{hasher, HashMap};
use crate::policy::RemovalCause;
use crate::raw::drop_rest;

impl<K, V, S> HashMap<K, V, S> {
    /// An iterator over `(&K, &V)` in arbitrary order.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::HashMap::from([(1, 10), (2, 20)]);
    /// let mut v: Vec<_> = m.iter().collect();
    /// v.sort();
    /// assert_eq!(v, [(&1, &10), (&2, &20)]);
    /// ```
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter { inner: self.raw.table.iter() }
    }

    /// An iterator over `(&K, &mut V)` in arbitrary order.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::HashMap::from([(1, 10), (2, 20)]);
    /// for (_, v) in m.iter_mut() { *v += 1; }
    /// assert_eq!(m[&1], 11);
    /// ```
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        IterMut { inner: self.raw.table.iter_mut() }
    }

    /// An iterator over the keys.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::HashMap::from([(1, 10)]);
    /// assert_eq!(m.keys().collect::<Vec<_>>(), [&1]);
    /// ```
    pub fn keys(&self) -> Keys<'_, K, V> {
        Keys { inner: self.iter() }
    }

    /// An iterator over the values.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::HashMap::from([(1, 10)]);
    /// assert_eq!(m.values().collect::<Vec<_>>(), [&10]);
    /// ```
    pub fn values(&self) -> Values<'_, K, V> {
        Values { inner: self.iter() }
    }

    /// An iterator over the values, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::HashMap::from([(1, 10)]);
    /// m.values_mut().for_each(|v| *v = 0);
    /// assert_eq!(m[&1], 0);
    /// ```
    pub fn values_mut(&mut self) -> ValuesMut<'_, K, V> {
        ValuesMut { inner: self.iter_mut() }
    }

    /// Consume the map, yielding its keys.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::HashMap::from([(1, 10)]);
    /// assert_eq!(m.into_keys().collect::<Vec<_>>(), [1]);
    /// ```
    pub fn into_keys(self) -> IntoKeys<K, V> {
        IntoKeys { inner: self.into_iter() }
    }

    /// Consume the map, yielding its values.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::HashMap::from([(1, 10)]);
    /// assert_eq!(m.into_values().collect::<Vec<_>>(), [10]);
    /// ```
    pub fn into_values(self) -> IntoValues<K, V> {
        IntoValues { inner: self.into_iter() }
    }

    /// Remove every entry, yielding them. The map is left empty at its floor capacity
    /// (its peak table is freed when the iterator is dropped); entries not consumed are
    /// dropped with the iterator.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::HashMap<u32, u32> = (0..1000).map(|i| (i, i)).collect();
    /// assert_eq!(m.drain().count(), 1000);
    /// assert!(m.is_empty());
    /// assert_eq!(m.capacity(), 0);
    /// ```
    pub fn drain(&mut self) -> Drain<'_, K, V> {
        let table = self.raw.take_all(Some(RemovalCause::Explicit));
        Drain { inner: table.into_iter(), _map: core::marker::PhantomData }
    }
}

impl<K: Eq + Hash, V, S: BuildHasher> HashMap<K, V, S> {
    /// Keep only the entries for which `f` returns `true`, then shrink if due.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::HashMap<u32, u32> = (0..100).map(|i| (i, i)).collect();
    /// m.retain(|k, _| k % 2 == 0);
    /// assert_eq!(m.len(), 50);
    /// ```
    pub fn retain<F: FnMut(&K, &mut V) -> bool>(&mut self, f: F) {
        self.retain_counted(f, Some(RemovalCause::Explicit));
    }

    /// [`retain`](Self::retain), counting the removals in this map's stats for `cause`
    /// if there is one (a map of maps counts them in its own instead).
    #[inline]
    pub(crate) fn retain_counted<F: FnMut(&K, &mut V) -> bool>(&mut self, mut f: F, cause: Option<RemovalCause>) {
        self.raw.retain_with(|(k, v)| f(k, v), drop, cause, hasher(&self.hash_builder));
    }

    /// An iterator that removes and yields the entries for which `f` returns `true`.
    /// Entries it does not reach (if dropped early) stay in the map; the table shrinks
    /// when the iterator is dropped, if due.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::HashMap<u32, u32> = (0..10).map(|i| (i, i)).collect();
    /// let mut odd: Vec<_> = m.extract_if(|k, _| k % 2 == 1).map(|(k, _)| k).collect();
    /// odd.sort();
    /// assert_eq!(odd, [1, 3, 5, 7, 9]);
    /// assert_eq!(m.len(), 5);
    /// ```
    pub fn extract_if<F: FnMut(&K, &mut V) -> bool>(&mut self, f: F) -> ExtractIf<'_, K, V, F, S> {
        ExtractIf { map: self, pred: f, next_bucket: 0, removed: 0 }
    }
}

macro_rules! forward_iterator {
    ($name:ident <$($lt:lifetime,)? $($g:ident),*>, $item:ty, |$x:ident| $map:expr) => {
        forward_iterator!(@impl $name <$($lt,)? $($g),*>, $item, |$x| $map, [
            #[inline]
            fn fold<B, F: FnMut(B, Self::Item) -> B>(self, init: B, mut f: F) -> B {
                self.inner.fold(init, move |acc, $x| f(acc, $map))
            }
        ]);
    };
    // An iterator with a `Drop` of its own: `fold` cannot move `inner` out.
    (owning $name:ident <$($lt:lifetime,)? $($g:ident),*>, $item:ty, |$x:ident| $map:expr) => {
        forward_iterator!(@impl $name <$($lt,)? $($g),*>, $item, |$x| $map, []);
    };
    (@impl $name:ident <$($lt:lifetime,)? $($g:ident),*>, $item:ty, |$x:ident| $map:expr, [$($fold:tt)*]) => {
        impl<$($lt,)? $($g),*> Iterator for $name<$($lt,)? $($g),*> {
            type Item = $item;

            #[inline]
            fn next(&mut self) -> Option<Self::Item> {
                self.inner.next().map(|$x| $map)
            }

            #[inline]
            fn size_hint(&self) -> (usize, Option<usize>) {
                self.inner.size_hint()
            }

            $($fold)*
        }

        impl<$($lt,)? $($g),*> ExactSizeIterator for $name<$($lt,)? $($g),*> {
            #[inline]
            fn len(&self) -> usize {
                self.inner.len()
            }
        }

        impl<$($lt,)? $($g),*> FusedIterator for $name<$($lt,)? $($g),*> {}
    };
}

/// An iterator over `(&K, &V)`, from [`HashMap::iter`].
///
/// # Examples
///
/// ```
/// let m = leakless::HashMap::from([(1, 2)]);
/// assert_eq!(m.iter().len(), 1);
/// ```
pub struct Iter<'a, K, V> {
    pub(super) inner: hash_table::Iter<'a, (K, V)>,
}
forward_iterator!(Iter<'a, K, V>, (&'a K, &'a V), |kv| (&kv.0, &kv.1));

impl<K, V> Clone for Iter<'_, K, V> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone() }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for Iter<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

impl<K, V> Default for Iter<'_, K, V> {
    /// An empty iterator, as `std`'s.
    fn default() -> Self {
        Self { inner: Default::default() }
    }
}

/// `Clone`, `Debug` (the items left, as `std` prints them; `$shown` is the half shown)
/// and `Default` (empty) for the borrowing iterators over one half of the entries.
macro_rules! borrowed_half_impls {
    ($($name:ident shows $shown:ident),*) => {$(
        impl<K, V> Clone for $name<'_, K, V> {
            fn clone(&self) -> Self {
                Self { inner: self.inner.clone() }
            }
        }

        impl<K, V> fmt::Debug for $name<'_, K, V>
        where
            $shown: fmt::Debug,
        {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.clone()).finish()
            }
        }

        impl<K, V> Default for $name<'_, K, V> {
            fn default() -> Self {
                Self { inner: Iter::default() }
            }
        }
    )*};
}
borrowed_half_impls!(Keys shows K, Values shows V);

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for IterMut<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl<K, V> Default for IterMut<'_, K, V> {
    fn default() -> Self {
        Self { inner: Default::default() }
    }
}

/// The values left, as `std` prints them.
impl<K, V: fmt::Debug> fmt::Debug for ValuesMut<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.inner.inner.iter().map(|kv| &kv.1)).finish()
    }
}

impl<K, V> Default for ValuesMut<'_, K, V> {
    fn default() -> Self {
        Self { inner: IterMut::default() }
    }
}

impl<K, V> Default for IntoIter<K, V> {
    fn default() -> Self {
        Self { inner: Default::default() }
    }
}

/// `Debug` (the items left, as `std` prints them; `$shown` is the half shown, field
/// `$field` of the entry) and `Default` (empty) for the owning iterators over one half
/// of the entries.
macro_rules! into_half_impls {
    ($($name:ident shows $shown:ident at $field:tt),*) => {$(
        impl<K, V> fmt::Debug for $name<K, V>
        where
            $shown: fmt::Debug,
        {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.inner.inner.iter().map(|kv| &kv.$field)).finish()
            }
        }

        impl<K, V> Default for $name<K, V> {
            fn default() -> Self {
                Self { inner: IntoIter::default() }
            }
        }
    )*};
}
into_half_impls!(IntoKeys shows K at 0, IntoValues shows V at 1);

/// An iterator over `(&K, &mut V)`, from [`HashMap::iter_mut`].
///
/// # Examples
///
/// ```
/// let mut m = leakless::HashMap::from([(1, 2)]);
/// assert_eq!(m.iter_mut().len(), 1);
/// ```
pub struct IterMut<'a, K, V> {
    pub(super) inner: hash_table::IterMut<'a, (K, V)>,
}
forward_iterator!(IterMut<'a, K, V>, (&'a K, &'a mut V), |kv| (&kv.0, &mut kv.1));

/// An iterator over the keys, from [`HashMap::keys`].
///
/// # Examples
///
/// ```
/// let m = leakless::HashMap::from([(1, 2)]);
/// assert_eq!(m.keys().copied().sum::<i32>(), 1);
/// ```
pub struct Keys<'a, K, V> {
    pub(super) inner: Iter<'a, K, V>,
}
forward_iterator!(Keys<'a, K, V>, &'a K, |kv| kv.0);

/// An iterator over the values, from [`HashMap::values`].
///
/// # Examples
///
/// ```
/// let m = leakless::HashMap::from([(1, 2)]);
/// assert_eq!(m.values().copied().sum::<i32>(), 2);
/// ```
pub struct Values<'a, K, V> {
    pub(super) inner: Iter<'a, K, V>,
}
forward_iterator!(Values<'a, K, V>, &'a V, |kv| kv.1);

/// An iterator over the values, mutably, from [`HashMap::values_mut`].
///
/// # Examples
///
/// ```
/// let mut m = leakless::HashMap::from([(1, 2)]);
/// assert_eq!(m.values_mut().len(), 1);
/// ```
pub struct ValuesMut<'a, K, V> {
    pub(super) inner: IterMut<'a, K, V>,
}
forward_iterator!(ValuesMut<'a, K, V>, &'a mut V, |kv| kv.1);

/// An owning iterator over `(K, V)`, from `HashMap::into_iter`.
///
/// # Examples
///
/// ```
/// let m = leakless::HashMap::from([(1, 2)]);
/// assert_eq!(m.into_iter().collect::<Vec<_>>(), [(1, 2)]);
/// ```
pub struct IntoIter<K, V> {
    pub(super) inner: hash_table::IntoIter<(K, V)>,
}
forward_iterator!(owning IntoIter<K, V>, (K, V), |kv| kv);

/// An owning iterator over the keys, from [`HashMap::into_keys`].
///
/// # Examples
///
/// ```
/// let m = leakless::HashMap::from([(1, 2)]);
/// assert_eq!(m.into_keys().len(), 1);
/// ```
pub struct IntoKeys<K, V> {
    pub(super) inner: IntoIter<K, V>,
}
forward_iterator!(IntoKeys<K, V>, K, |kv| kv.0);

/// An owning iterator over the values, from [`HashMap::into_values`].
///
/// # Examples
///
/// ```
/// let m = leakless::HashMap::from([(1, 2)]);
/// assert_eq!(m.into_values().len(), 1);
/// ```
pub struct IntoValues<K, V> {
    pub(super) inner: IntoIter<K, V>,
}
forward_iterator!(IntoValues<K, V>, V, |kv| kv.1);

/// A draining iterator, from [`HashMap::drain`]. The map is already empty (at its floor
/// capacity) while this exists; the old table is freed when it is dropped.
///
/// # Examples
///
/// ```
/// let mut m = leakless::HashMap::from([(1, 2)]);
/// let d = m.drain();
/// assert_eq!(d.len(), 1);
/// ```
pub struct Drain<'a, K, V> {
    pub(super) inner: hash_table::IntoIter<(K, V)>,
    pub(super) _map: PhantomData<&'a mut ()>,
}
forward_iterator!(owning Drain<'a, K, V>, (K, V), |kv| kv);

/// What an owning iterator has left is dropped element by element: one `Drop` that
/// panics does not leak the rest (hashbrown's iterator would stop at the first panic).
impl<K, V> Drop for IntoIter<K, V> {
    fn drop(&mut self) {
        drop_rest(&mut self.inner);
    }
}

/// As for [`IntoIter`]: every element left is dropped even if one's `Drop` panics.
impl<K, V> Drop for Drain<'_, K, V> {
    fn drop(&mut self) {
        drop_rest(&mut self.inner);
    }
}

/// The entries left, as `std` prints them.
impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for IntoIter<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

/// The entries left, as `std` prints them.
impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for Drain<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

/// An iterator that removes the entries matching a predicate, from
/// [`HashMap::extract_if`].
///
/// # Examples
///
/// ```
/// let mut m = leakless::HashMap::from([(1, 2), (3, 4)]);
/// assert_eq!(m.extract_if(|k, _| *k == 1).count(), 1);
/// assert_eq!(m.len(), 1);
/// ```
pub struct ExtractIf<'a, K: Hash, V, F, S: BuildHasher> {
    pub(super) map: &'a mut HashMap<K, V, S>,
    pub(super) pred: F,
    pub(super) next_bucket: usize,
    pub(super) removed: u64,
}

impl<K: Hash, V, F, S: BuildHasher> Iterator for ExtractIf<'_, K, V, F, S>
where
    F: FnMut(&K, &mut V) -> bool,
{
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        // Removing a bucket never moves the others, so walking bucket indices while
        // removing visits every entry once. The table only shrinks in `drop`.
        let table = &mut self.map.raw.table;
        while self.next_bucket < table.num_buckets() {
            let index = self.next_bucket;
            self.next_bucket += 1;
            let Ok(mut entry) = table.get_bucket_entry(index) else { continue };
            let (k, v) = entry.get_mut();
            if (self.pred)(k, v) {
                self.removed += 1;
                return Some(entry.remove().0);
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.map.len()))
    }
}

/// Once it returned `None` (every bucket visited), it keeps returning `None`.
impl<K: Hash, V, F, S: BuildHasher> FusedIterator for ExtractIf<'_, K, V, F, S> where F: FnMut(&K, &mut V) -> bool {}

impl<K: Hash, V, F, S: BuildHasher> Drop for ExtractIf<'_, K, V, F, S> {
    fn drop(&mut self) {
        let HashMap { raw, hash_builder } = &mut *self.map;
        if std::thread::panicking() {
            // Dropped while the predicate's panic unwinds: count the removals, but run
            // no user code (a second panic here would abort); a later removal shrinks.
            raw.ctl.counters.removed(RemovalCause::Explicit, self.removed);
            return;
        }
        raw.ctl.after_removal_now(&mut raw.table, Some(RemovalCause::Explicit), self.removed, hasher(hash_builder));
    }
}

impl<K: Hash, V, F, S: BuildHasher> fmt::Debug for ExtractIf<'_, K, V, F, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtractIf").field("removed", &self.removed).finish()
    }
}
