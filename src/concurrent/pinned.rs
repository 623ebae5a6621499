//! [`Pinned`]: a thread pinned on a [`ConcurrentMap`], reading lock-free through
//! references that live as long as the handle.

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::mem::ManuallyDrop;

use super::iter::Iter;
use super::map::ConcurrentMap;
use super::pool::Pin;
use crate::hash_map::DefaultHashBuilder;

/// A thread pinned on a [`ConcurrentMap`]: lock-free reads returning references valid
/// while the handle lives. Created by [`ConcurrentMap::pin`]; not `Send`.
///
/// # Examples
///
/// ```
/// let m = leakless::ConcurrentMap::new();
/// m.insert(1, "a");
/// let p = m.pin();
/// assert_eq!(p.get(&1), Some(&"a"));
/// assert!(p.contains_key(&1));
/// assert_eq!(p.iter().count(), 1);
/// ```
pub struct Pinned<'m, K, V, S = DefaultHashBuilder> {
    pub(super) map: &'m ConcurrentMap<K, V, S>,
    /// Taken by `drop` (which counts the handle as one read).
    pin: ManuallyDrop<Pin<'m, K, V>>,
}

impl<K, V, S> Drop for Pinned<'_, K, V, S> {
    /// Unpins; counted as one read, so that now and then it runs a reader's maintenance
    /// (see [`ConcurrentMap::get_with`]).
    fn drop(&mut self) {
        // SAFETY: taken once, here; the field is not used afterwards.
        let pin = unsafe { ManuallyDrop::take(&mut self.pin) };
        // The count `new` added (the pin itself ends below).
        pin.count_in_lease(false);
        // Not while unwinding: the maintenance runs finalizers (user code) and may help
        // a migration; a handle dropped by a panic leaves that to the next read.
        if self.map.inner.read_due(&pin) && !std::thread::panicking() {
            self.map.inner.read_maintenance(pin);
        }
    }
}

impl<'m, K, V, S> Pinned<'m, K, V, S> {
    /// A handle on `pin`, counted in its lease while it lives: unlike the pins of the
    /// guard-free methods, a handle may outlive the call that made it (say, kept in a
    /// thread-local destroyed after the thread's lease), and the lease must not be
    /// released under it (see [`Pin::count_in_lease`]).
    pub(super) fn new(map: &'m ConcurrentMap<K, V, S>, pin: Pin<'m, K, V>) -> Self {
        pin.count_in_lease(true);
        Pinned { map, pin: ManuallyDrop::new(pin) }
    }

    /// The map this handle is pinned on.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::<u8, u8>::new();
    /// assert!(std::ptr::eq(m.pin().map(), &m));
    /// ```
    pub fn map(&self) -> &'m ConcurrentMap<K, V, S> {
        self.map
    }

    /// Every entry, weakly consistent: each entry present for the whole iteration is
    /// yielded exactly once; entries inserted or removed meanwhile may or may not be.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::ConcurrentMap<u32, u32> = (0..10).map(|i| (i, i * i)).collect();
    /// let p = m.pin();
    /// let mut sum: u32 = p.iter().map(|(_, v)| *v).sum();
    /// assert_eq!(sum, 285);
    /// ```
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter::new(self.map.inner.root(&self.pin))
    }
}

impl<K: Hash + Eq, V, S: BuildHasher> Pinned<'_, K, V, S> {
    /// The value under `key`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::new();
    /// m.insert(2, 4);
    /// assert_eq!(m.pin().get(&2), Some(&4));
    /// ```
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.inner.find(&self.pin, key).map(|n| &n.value)
    }

    /// The stored key and value of `key`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::new();
    /// m.insert("k".to_string(), 1);
    /// assert_eq!(m.pin().get_key_value("k"), Some((&"k".to_string(), &1)));
    /// ```
    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.inner.find(&self.pin, key).map(|n| (&n.key, &n.value))
    }

    /// `true` if the map holds `key`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::new();
    /// m.insert(1, 1);
    /// assert!(m.pin().contains_key(&1));
    /// ```
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get(key).is_some()
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for Pinned<'_, K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}
