//! The entry API of [`HashMap`](crate::HashMap), as in `std`.

use core::fmt;
use core::hash::{BuildHasher, Hash};

use hashbrown::hash_table;

use super::hasher;
use crate::policy::{RemovalCause, Small};
use crate::raw::Control;

/// A view into a single entry of a [`HashMap`](crate::HashMap), occupied or vacant.
///
/// # Examples
///
/// ```
/// use leakless::hash_map::Entry;
/// let mut m = leakless::HashMap::from([(1, "a")]);
/// match m.entry(1) {
///     Entry::Occupied(o) => assert_eq!(*o.get(), "a"),
///     Entry::Vacant(_) => unreachable!(),
/// }
/// ```
pub enum Entry<'a, K, V, S> {
    /// The key is present.
    Occupied(OccupiedEntry<'a, K, V, S>),
    /// The key is absent.
    Vacant(VacantEntry<'a, K, V, S>),
}

/// An entry whose key is present.
///
/// # Examples
///
/// ```
/// use leakless::hash_map::Entry;
/// let mut m = leakless::HashMap::from([(1, "a")]);
/// if let Entry::Occupied(o) = m.entry(1) {
///     assert_eq!(o.remove_entry(), (1, "a"));
/// }
/// assert!(m.is_empty());
/// ```
pub struct OccupiedEntry<'a, K, V, S> {
    pub(super) inner: hash_table::OccupiedEntry<'a, (K, V)>,
    pub(super) ctl: &'a mut Control,
    pub(super) hash_builder: &'a S,
}

/// An entry whose key is absent.
///
/// # Examples
///
/// ```
/// use leakless::hash_map::Entry;
/// let mut m = leakless::HashMap::new();
/// if let Entry::Vacant(v) = m.entry(1) {
///     assert_eq!(*v.key(), 1);
///     v.insert("a");
/// }
/// assert_eq!(m[&1], "a");
/// ```
pub struct VacantEntry<'a, K, V, S> {
    pub(super) inner: hash_table::VacantEntry<'a, (K, V)>,
    pub(super) key: K,
    pub(super) ctl: &'a mut Control,
    pub(super) hash_builder: &'a S,
}

impl<'a, K, V, S> Entry<'a, K, V, S> {
    /// The value, inserting `default` if the key was absent.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::HashMap::new();
    /// *m.entry("a").or_insert(0) += 5;
    /// assert_eq!(m["a"], 5);
    /// ```
    pub fn or_insert(self, default: V) -> &'a mut V {
        match self {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => v.insert(default),
        }
    }

    /// The value, inserting `default()` if the key was absent.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::HashMap<&str, Vec<u32>> = leakless::HashMap::new();
    /// m.entry("a").or_insert_with(Vec::new).push(1);
    /// assert_eq!(m["a"], [1]);
    /// ```
    pub fn or_insert_with<F: FnOnce() -> V>(self, default: F) -> &'a mut V {
        match self {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => v.insert(default()),
        }
    }

    /// The value, inserting `default(&key)` if the key was absent.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::HashMap::new();
    /// assert_eq!(*m.entry(3).or_insert_with_key(|k| k * 2), 6);
    /// ```
    pub fn or_insert_with_key<F: FnOnce(&K) -> V>(self, default: F) -> &'a mut V {
        match self {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => {
                let value = default(&v.key);
                v.insert(value)
            }
        }
    }

    /// The entry's key.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::HashMap<u8, u8> = leakless::HashMap::new();
    /// assert_eq!(*m.entry(7).key(), 7);
    /// ```
    pub fn key(&self) -> &K {
        match self {
            Entry::Occupied(o) => o.key(),
            Entry::Vacant(v) => v.key(),
        }
    }

    /// Apply `f` to the value if the key is present.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::HashMap::from([(1, 1)]);
    /// m.entry(1).and_modify(|v| *v += 1).or_insert(0);
    /// m.entry(2).and_modify(|v| *v += 1).or_insert(0);
    /// assert_eq!((m[&1], m[&2]), (2, 0));
    /// ```
    pub fn and_modify<F: FnOnce(&mut V)>(mut self, f: F) -> Self {
        if let Entry::Occupied(o) = &mut self {
            f(o.get_mut());
        }
        self
    }

    /// Set the value (inserting if absent) and return the occupied entry.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::HashMap::new();
    /// let e = m.entry("k").insert_entry(1);
    /// assert_eq!(e.get(), &1);
    /// ```
    pub fn insert_entry(self, value: V) -> OccupiedEntry<'a, K, V, S> {
        match self {
            Entry::Occupied(mut o) => {
                o.insert(value);
                o
            }
            Entry::Vacant(v) => v.insert_entry(value),
        }
    }
}

impl<'a, K, V: Default, S> Entry<'a, K, V, S> {
    /// The value, inserting `V::default()` if the key was absent.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::HashMap<&str, u32> = leakless::HashMap::new();
    /// *m.entry("a").or_default() += 1;
    /// assert_eq!(m["a"], 1);
    /// ```
    pub fn or_default(self) -> &'a mut V {
        self.or_insert_with(V::default)
    }
}

impl<'a, K, V, S> OccupiedEntry<'a, K, V, S> {
    /// The stored key.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::hash_map::Entry;
    /// let mut m = leakless::HashMap::from([(1, 2)]);
    /// if let Entry::Occupied(o) = m.entry(1) { assert_eq!(*o.key(), 1); }
    /// ```
    pub fn key(&self) -> &K {
        &self.inner.get().0
    }

    /// The value.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::hash_map::Entry;
    /// let mut m = leakless::HashMap::from([(1, 2)]);
    /// if let Entry::Occupied(o) = m.entry(1) { assert_eq!(*o.get(), 2); }
    /// ```
    pub fn get(&self) -> &V {
        &self.inner.get().1
    }

    /// The value, mutably, for the life of the entry.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::hash_map::Entry;
    /// let mut m = leakless::HashMap::from([(1, 2)]);
    /// if let Entry::Occupied(mut o) = m.entry(1) { *o.get_mut() = 3; }
    /// assert_eq!(m[&1], 3);
    /// ```
    pub fn get_mut(&mut self) -> &mut V {
        &mut self.inner.get_mut().1
    }

    /// The value, mutably, for the life of the map borrow.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::hash_map::Entry;
    /// let mut m = leakless::HashMap::from([(1, 2)]);
    /// if let Entry::Occupied(o) = m.entry(1) { *o.into_mut() = 3; }
    /// assert_eq!(m[&1], 3);
    /// ```
    pub fn into_mut(self) -> &'a mut V {
        &mut self.inner.into_mut().1
    }

    /// Replace the value, returning the old one.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::hash_map::Entry;
    /// let mut m = leakless::HashMap::from([(1, 2)]);
    /// if let Entry::Occupied(mut o) = m.entry(1) { assert_eq!(o.insert(3), 2); }
    /// ```
    pub fn insert(&mut self, value: V) -> V {
        self.ctl.counters.removed(RemovalCause::Replaced, 1);
        core::mem::replace(self.get_mut(), value)
    }
}

impl<'a, K: Hash, V, S: BuildHasher> OccupiedEntry<'a, K, V, S> {
    /// Remove the entry, returning the stored key and value; the table shrinks if due.
    ///
    /// # Panics
    ///
    /// If `Hash` panics while the table shrinks, the entry is removed all the same (and
    /// dropped as the panic unwinds); the table keeps its capacity.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::hash_map::Entry;
    /// let mut m = leakless::HashMap::from([(1, 2)]);
    /// if let Entry::Occupied(o) = m.entry(1) { assert_eq!(o.remove_entry(), (1, 2)); }
    /// ```
    pub fn remove_entry(self) -> (K, V) {
        let (kv, vacant) = self.inner.remove();
        self.ctl.after_removal_now(vacant.into_table(), Some(RemovalCause::Explicit), 1, hasher(self.hash_builder));
        kv
    }

    /// Remove the entry, returning its value; the table shrinks if due.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::hash_map::Entry;
    /// let mut m = leakless::HashMap::from([(1, 2)]);
    /// if let Entry::Occupied(o) = m.entry(1) { assert_eq!(o.remove(), 2); }
    /// ```
    pub fn remove(self) -> V {
        self.remove_entry().1
    }
}

impl<'a, K, V, S> VacantEntry<'a, K, V, S> {
    /// The key that would be inserted.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::hash_map::Entry;
    /// let mut m: leakless::HashMap<u8, u8> = leakless::HashMap::new();
    /// if let Entry::Vacant(v) = m.entry(4) { assert_eq!(*v.key(), 4); }
    /// ```
    pub fn key(&self) -> &K {
        &self.key
    }

    /// Take the key back without inserting.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::hash_map::Entry;
    /// let mut m: leakless::HashMap<String, u8> = leakless::HashMap::new();
    /// if let Entry::Vacant(v) = m.entry("k".into()) { assert_eq!(v.into_key(), "k"); }
    /// assert!(m.is_empty());
    /// ```
    pub fn into_key(self) -> K {
        self.key
    }

    /// Insert `value`, returning a mutable reference to it.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::hash_map::Entry;
    /// let mut m = leakless::HashMap::new();
    /// if let Entry::Vacant(v) = m.entry(4) { *v.insert(1) += 1; }
    /// assert_eq!(m[&4], 2);
    /// ```
    pub fn insert(self, value: V) -> &'a mut V {
        self.insert_entry(value).into_mut()
    }

    /// Insert `value`, returning the occupied entry.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::hash_map::Entry;
    /// let mut m = leakless::HashMap::new();
    /// if let Entry::Vacant(v) = m.entry(4) { assert_eq!(*v.insert_entry(1).key(), 4); }
    /// ```
    pub fn insert_entry(self, value: V) -> OccupiedEntry<'a, K, V, S> {
        self.ctl.counters.add(Small::Insertions, 1);
        let inner = self.inner.insert((self.key, value));
        OccupiedEntry { inner, ctl: self.ctl, hash_builder: self.hash_builder }
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for Entry<'_, K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entry::Occupied(o) => f.debug_tuple("Entry").field(o).finish(),
            Entry::Vacant(v) => f.debug_tuple("Entry").field(v).finish(),
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for OccupiedEntry<'_, K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OccupiedEntry").field("key", self.key()).field("value", self.get()).finish_non_exhaustive()
    }
}

impl<K: fmt::Debug, V, S> fmt::Debug for VacantEntry<'_, K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("VacantEntry").field(self.key()).finish()
    }
}
