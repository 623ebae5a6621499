//! The entry API of [`WeakKeyMap`](super::WeakKeyMap).

use core::fmt;

use hashbrown::hash_table;

use super::{stored_hash, Slot, WeakKey};
use crate::policy::{RemovalCause, Small};
use crate::raw::Control;

/// A view into one entry of a [`WeakKeyMap`](super::WeakKeyMap), live or vacant.
/// Created by [`WeakKeyMap::entry`](super::WeakKeyMap::entry).
///
/// # Examples
///
/// ```
/// use leakless::weak::Entry;
/// use std::rc::{Rc, Weak};
///
/// let mut m: leakless::WeakKeyMap<Weak<u8>, u32> = leakless::WeakKeyMap::new();
/// let k = Rc::new(1);
/// match m.entry(&k) {
///     Entry::Vacant(v) => { v.insert(1); }
///     Entry::Occupied(_) => unreachable!(),
/// }
/// assert!(matches!(m.entry(&k), Entry::Occupied(o) if *o.get() == 1));
/// ```
pub enum Entry<'a, K, V> {
    /// A live entry with an equal key.
    Occupied(OccupiedEntry<'a, K, V>),
    /// No live entry with an equal key.
    Vacant(VacantEntry<'a, K, V>),
}

impl<'a, K: WeakKey, V> Entry<'a, K, V> {
    /// The value, inserting `default` first if vacant.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u32> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// assert_eq!(*m.entry(&k).or_insert(3), 3);
    /// ```
    pub fn or_insert(self, default: V) -> &'a mut V {
        self.or_insert_with(|| default)
    }

    /// The value, inserting `default()` first if vacant.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, Vec<u8>> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// m.entry(&k).or_insert_with(Vec::new).push(4);
    /// assert_eq!(m.get(&1), Some(&vec![4]));
    /// ```
    pub fn or_insert_with(self, default: impl FnOnce() -> V) -> &'a mut V {
        match self {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => v.insert(default()),
        }
    }

    /// The value, inserting `V::default()` first if vacant.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u32> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// *m.entry(&k).or_default() += 1;
    /// assert_eq!(m.get(&1), Some(&1));
    /// ```
    pub fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.or_insert_with(V::default)
    }

    /// Apply `f` to the value if the entry is occupied.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u32> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// m.entry(&k).and_modify(|v| *v += 1).or_insert(10);
    /// m.entry(&k).and_modify(|v| *v += 1).or_insert(10);
    /// assert_eq!(m.get(&1), Some(&11));
    /// ```
    pub fn and_modify(mut self, f: impl FnOnce(&mut V)) -> Self {
        if let Entry::Occupied(o) = &mut self {
            f(o.get_mut());
        }
        self
    }

    /// The stored weak key (occupied) or the one that would be stored (vacant).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u32> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// assert!(Weak::ptr_eq(m.entry(&k).key(), &Rc::downgrade(&k)));
    /// ```
    pub fn key(&self) -> &K {
        match self {
            Entry::Occupied(o) => o.key(),
            Entry::Vacant(v) => v.key(),
        }
    }
}

/// A live entry of a [`WeakKeyMap`](super::WeakKeyMap).
///
/// # Examples
///
/// ```
/// use leakless::weak::Entry;
/// use std::rc::{Rc, Weak};
/// let mut m: leakless::WeakKeyMap<Weak<u8>, u32> = leakless::WeakKeyMap::new();
/// let k = Rc::new(1);
/// m.insert(&k, 5);
/// if let Entry::Occupied(o) = m.entry(&k) {
///     assert_eq!(o.remove(), 5);
/// }
/// assert!(m.is_empty());
/// ```
pub struct OccupiedEntry<'a, K, V> {
    inner: hash_table::OccupiedEntry<'a, Slot<K, V>>,
    ctl: &'a mut Control,
}

impl<'a, K: WeakKey, V> OccupiedEntry<'a, K, V> {
    pub(super) fn new(inner: hash_table::OccupiedEntry<'a, Slot<K, V>>, ctl: &'a mut Control) -> Self {
        Self { inner, ctl }
    }

    /// The stored weak key.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::weak::Entry;
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u32> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// m.insert(&k, 5);
    /// let Entry::Occupied(o) = m.entry(&k) else { unreachable!() };
    /// assert_eq!(o.key().upgrade(), Some(k.clone()));
    /// ```
    pub fn key(&self) -> &K {
        &self.inner.get().key
    }

    /// The value.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::weak::Entry;
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u32> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// m.insert(&k, 5);
    /// let Entry::Occupied(o) = m.entry(&k) else { unreachable!() };
    /// assert_eq!(*o.get(), 5);
    /// ```
    pub fn get(&self) -> &V {
        &self.inner.get().value
    }

    /// The value, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::weak::Entry;
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u32> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// m.insert(&k, 5);
    /// let Entry::Occupied(mut o) = m.entry(&k) else { unreachable!() };
    /// *o.get_mut() = 6;
    /// assert_eq!(m.get(&1), Some(&6));
    /// ```
    pub fn get_mut(&mut self) -> &mut V {
        &mut self.inner.get_mut().value
    }

    /// The value, mutably, for the map's whole borrow.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::weak::Entry;
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u32> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// m.insert(&k, 5);
    /// let Entry::Occupied(o) = m.entry(&k) else { unreachable!() };
    /// *o.into_mut() += 1;
    /// assert_eq!(m.get(&1), Some(&6));
    /// ```
    pub fn into_mut(self) -> &'a mut V {
        &mut self.inner.into_mut().value
    }

    /// Replace the value, returning the old one (the stored key is kept).
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::weak::Entry;
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u32> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// m.insert(&k, 5);
    /// let Entry::Occupied(mut o) = m.entry(&k) else { unreachable!() };
    /// assert_eq!(o.insert(7), 5);
    /// ```
    pub fn insert(&mut self, value: V) -> V {
        self.ctl.counters.removed(RemovalCause::Replaced, 1);
        core::mem::replace(self.get_mut(), value)
    }

    /// Remove the entry, returning its value; the table shrinks if due.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::weak::Entry;
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u32> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// m.insert(&k, 5);
    /// let Entry::Occupied(o) = m.entry(&k) else { unreachable!() };
    /// assert_eq!(o.remove(), 5);
    /// assert_eq!(m.len(), 0);
    /// ```
    pub fn remove(self) -> V {
        let Self { inner, ctl } = self;
        let (s, vacant) = inner.remove();
        ctl.after_removal_now(vacant.into_table(), Some(RemovalCause::Explicit), 1, stored_hash);
        s.value
    }
}

/// A vacant entry of a [`WeakKeyMap`](super::WeakKeyMap): no live entry has the key.
///
/// # Examples
///
/// ```
/// use leakless::weak::Entry;
/// use std::rc::{Rc, Weak};
/// let mut m: leakless::WeakKeyMap<Weak<u8>, u32> = leakless::WeakKeyMap::new();
/// let k = Rc::new(1);
/// let Entry::Vacant(v) = m.entry(&k) else { unreachable!() };
/// *v.insert(1) += 1;
/// assert_eq!(m.get(&1), Some(&2));
/// ```
pub struct VacantEntry<'a, K, V> {
    inner: hash_table::VacantEntry<'a, Slot<K, V>>,
    ctl: &'a mut Control,
    key: K,
    hash: u64,
}

impl<'a, K: WeakKey, V> VacantEntry<'a, K, V> {
    pub(super) fn new(inner: hash_table::VacantEntry<'a, Slot<K, V>>, ctl: &'a mut Control, key: K, hash: u64) -> Self {
        Self { inner, ctl, key, hash }
    }

    /// The weak key that would be stored.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::weak::Entry;
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u32> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// let Entry::Vacant(v) = m.entry(&k) else { unreachable!() };
    /// assert!(Weak::ptr_eq(v.key(), &Rc::downgrade(&k)));
    /// ```
    pub fn key(&self) -> &K {
        &self.key
    }

    /// Store `value` under the key, returning a mutable reference to it.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::weak::Entry;
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u32> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// let Entry::Vacant(v) = m.entry(&k) else { unreachable!() };
    /// assert_eq!(*v.insert(4), 4);
    /// ```
    pub fn insert(self, value: V) -> &'a mut V {
        self.ctl.counters.add(Small::Insertions, 1);
        &mut self.inner.insert(Slot { key: self.key, value, hash: self.hash }).into_mut().value
    }
}

impl<K, V: fmt::Debug> fmt::Debug for Entry<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entry::Occupied(o) => f.debug_tuple("Occupied").field(&o.inner.get().value).finish(),
            Entry::Vacant(_) => f.write_str("Vacant"),
        }
    }
}

impl<K, V: fmt::Debug> fmt::Debug for OccupiedEntry<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OccupiedEntry").field("value", &self.inner.get().value).finish_non_exhaustive()
    }
}

impl<K, V> fmt::Debug for VacantEntry<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VacantEntry").finish_non_exhaustive()
    }
}
