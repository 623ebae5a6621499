//! [`FinalizingMap`]: an unbounded map that finalizes every departing value (L4).

mod builder;

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};

use hashbrown::hash_table::Entry as RawEntry;

use crate::hash_map::{self, hasher, DefaultHashBuilder, HashMap, Iter, IterMut, Keys, Values};
use crate::policy::{finalize_each, Finalizer, NoopFinalizer, PanicSlot, RemovalCause, ShrinkPolicy, Small, Stats};
use crate::raw::RawTable;
use crate::TryReserveError;

/// An unbounded map that hands every departing value to a finalizer, exactly once, with
/// its [`RemovalCause`] — so an overwrite or a `clear` can never skip a value's cleanup
/// step (a task handle that must be aborted, a pooled buffer that must be returned, a
/// dirty page that must be flushed).
///
/// # The contract
///
/// Every value that enters the map leaves it exactly once:
///
/// | how it leaves | where it goes |
/// |---|---|
/// | [`remove`](Self::remove), [`remove_entry`](Self::remove_entry), [`replace`](Self::replace), [`drain`](Self::drain), `into_iter` | handed back to the caller (not finalized) |
/// | overwritten by [`insert`](Self::insert) or `extend` | finalizer, [`RemovalCause::Replaced`] (with the old key) |
/// | [`discard`](Self::discard), rejected by [`retain`](Self::retain) | finalizer, [`RemovalCause::Explicit`] |
/// | [`clear`](Self::clear) | finalizer, [`RemovalCause::Cleared`] |
/// | still in the map when it is dropped | finalizer, [`RemovalCause::Dropped`] |
///
/// If the finalizer panics, the map is already consistent; in a batch (`clear`,
/// `retain`, drop) every other value is still finalized and the first panic is re-raised
/// afterwards (during a drop that is itself part of unwinding, the panic is swallowed
/// rather than aborting the process).
///
/// Like [`HashMap`], the table shrinks as entries leave.
///
/// # Examples
///
/// ```
/// use leakless::{FinalizingMap, RemovalCause};
/// use std::sync::mpsc;
///
/// let (tx, rx) = mpsc::channel();
/// let mut tasks = FinalizingMap::new(move |id: u32, handle: String, cause| {
///     tx.send((id, handle, cause)).unwrap(); // e.g. abort the task
/// });
/// tasks.insert(1, "task-a".to_string());
/// tasks.insert(1, "task-b".to_string()); // task-a is not leaked: it is finalized
/// tasks.clear();
/// let seen: Vec<_> = rx.try_iter().collect();
/// assert_eq!(seen, [
///     (1, "task-a".to_string(), RemovalCause::Replaced),
///     (1, "task-b".to_string(), RemovalCause::Cleared),
/// ]);
/// ```
pub struct FinalizingMap<K, V, F = NoopFinalizer, S = DefaultHashBuilder>
where
    F: Finalizer<K, V>,
{
    map: HashMap<K, V, S>,
    finalizer: F,
}

impl<K, V, F: Finalizer<K, V>> FinalizingMap<K, V, F, DefaultHashBuilder> {
    /// An empty map with `finalizer`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::FinalizingMap::new(|_k: u8, _v: u8, _c| {});
    /// assert!(m.is_empty());
    /// ```
    pub fn new(finalizer: F) -> Self {
        Self::with_hasher(finalizer, DefaultHashBuilder::new())
    }

    /// An empty map with room (and a floor) for `capacity` entries.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::FinalizingMap::with_capacity(64, |_k: u8, _v: u8, _c| {});
    /// assert!(m.capacity() >= 64);
    /// ```
    pub fn with_capacity(capacity: usize, finalizer: F) -> Self {
        Self::with_capacity_and_hasher(capacity, finalizer, DefaultHashBuilder::new())
    }
}

impl<K, V, F: Finalizer<K, V>, S> FinalizingMap<K, V, F, S> {
    /// An empty map with `finalizer`, hashing with `hash_builder`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::FinalizingMap::with_hasher(|_k: u8, _v: u8, _c| {}, std::hash::RandomState::new());
    /// assert!(m.is_empty());
    /// ```
    pub fn with_hasher(finalizer: F, hash_builder: S) -> Self {
        Self { map: HashMap::with_hasher(hash_builder), finalizer }
    }

    /// An empty map with room (and a floor) for `capacity`, `finalizer`, `hash_builder`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::FinalizingMap::with_capacity_and_hasher(8, |_k: u8, _v: u8, _c| {}, std::hash::RandomState::new());
    /// assert!(m.capacity() >= 8);
    /// ```
    pub fn with_capacity_and_hasher(capacity: usize, finalizer: F, hash_builder: S) -> Self {
        Self { map: HashMap::with_capacity_and_hasher(capacity, hash_builder), finalizer }
    }

    /// The same map with a different [`ShrinkPolicy`].
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{FinalizingMap, ShrinkPolicy};
    /// let m = FinalizingMap::new(|_k: u8, _v: u8, _c| {}).with_shrink_policy(ShrinkPolicy::never());
    /// assert!(m.is_empty());
    /// ```
    pub fn with_shrink_policy(mut self, policy: ShrinkPolicy) -> Self {
        self.map.raw.ctl.set_shrink_policy(policy);
        self
    }

    /// The finalizer.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::FinalizingMap::<u8, u8>::default();
    /// let _f: &leakless::NoopFinalizer = m.finalizer();
    /// ```
    pub fn finalizer(&self) -> &F {
        &self.finalizer
    }

    /// The finalizer, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::FinalizingMap::<u8, u8>::default();
    /// let _f: &mut leakless::NoopFinalizer = m.finalizer_mut();
    /// ```
    pub fn finalizer_mut(&mut self) -> &mut F {
        &mut self.finalizer
    }

    /// The number of entries.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::FinalizingMap::<u8, u8>::default();
    /// m.insert(1, 1);
    /// assert_eq!(m.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// `true` if the map is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(leakless::FinalizingMap::<u8, u8>::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// How many entries fit without reallocating.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(leakless::FinalizingMap::<u8, u8>::default().capacity(), 0);
    /// ```
    pub fn capacity(&self) -> usize {
        self.map.capacity()
    }

    /// The hasher.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::FinalizingMap::<u8, u8>::default();
    /// let _: &ahash::RandomState = m.hasher();
    /// ```
    pub fn hasher(&self) -> &S {
        self.map.hasher()
    }

    /// Heap bytes the map holds now (its table).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::FinalizingMap::<u64, u64>::default();
    /// m.insert(1, 1);
    /// assert!(m.allocation_size() > 0);
    /// ```
    pub fn allocation_size(&self) -> usize {
        self.map.allocation_size()
    }

    /// Counters: lookups, insertions, removals by cause (finalized and handed back),
    /// shrinks.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::RemovalCause;
    /// let mut m = leakless::FinalizingMap::<u8, u8>::default();
    /// m.insert(1, 1);
    /// m.insert(1, 2);
    /// assert_eq!(m.stats().removals(RemovalCause::Replaced), 1);
    /// ```
    pub fn stats(&self) -> Stats {
        self.map.stats()
    }

    /// An iterator over `(&K, &V)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::FinalizingMap::<u8, u8>::default();
    /// m.insert(1, 2);
    /// assert_eq!(m.iter().collect::<Vec<_>>(), [(&1, &2)]);
    /// ```
    pub fn iter(&self) -> Iter<'_, K, V> {
        self.map.iter()
    }

    /// An iterator over `(&K, &mut V)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::FinalizingMap::<u8, u8>::default();
    /// m.insert(1, 2);
    /// m.iter_mut().for_each(|(_, v)| *v += 1);
    /// assert_eq!(m.get(&1), Some(&3));
    /// ```
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        self.map.iter_mut()
    }

    /// An iterator over the keys.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::FinalizingMap::<u8, u8>::default();
    /// m.insert(1, 2);
    /// assert_eq!(m.keys().collect::<Vec<_>>(), [&1]);
    /// ```
    pub fn keys(&self) -> Keys<'_, K, V> {
        self.map.keys()
    }

    /// An iterator over the values.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::FinalizingMap::<u8, u8>::default();
    /// m.insert(1, 2);
    /// assert_eq!(m.values().collect::<Vec<_>>(), [&2]);
    /// ```
    pub fn values(&self) -> Values<'_, K, V> {
        self.map.values()
    }

    /// Remove every entry, handing them back (they are not finalized). Entries not
    /// consumed are dropped with the iterator.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::FinalizingMap::new(|_k: u8, _v: u8, _c| panic!("not called"));
    /// m.insert(1, 2);
    /// assert_eq!(m.drain().collect::<Vec<_>>(), [(1, 2)]);
    /// ```
    pub fn drain(&mut self) -> crate::hash_map::Drain<'_, K, V> {
        self.map.drain()
    }

    /// Finalize every entry with [`RemovalCause::Cleared`] and give the table back down to
    /// the floor. A panicking finalizer does not stop the others; the first panic is
    /// re-raised once all are finalized.
    ///
    /// # Panics
    ///
    /// Re-raises the first panic of the finalizer, after finalizing every entry.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut n = 0;
    /// let mut m = leakless::FinalizingMap::new(|_k: u8, _v: u8, _c| n += 1);
    /// m.insert(1, 1);
    /// m.insert(2, 2);
    /// m.clear();
    /// drop(m);
    /// assert_eq!(n, 2);
    /// ```
    pub fn clear(&mut self) {
        let old = self.map.raw.take_all(Some(RemovalCause::Cleared));
        finalize_each(&mut self.finalizer, old, RemovalCause::Cleared);
    }

    /// Check the internal invariants (see [`HashMap::validate`]).
    ///
    /// # Panics
    ///
    /// Panics if an invariant is broken.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::FinalizingMap::<u8, u8>::default();
    /// m.insert(1, 1);
    /// m.validate();
    /// ```
    pub fn validate(&self)
    where
        K: Eq + Hash,
        S: BuildHasher,
    {
        self.map.validate();
    }
}

impl<K: Eq + Hash, V, F: Finalizer<K, V>, S: BuildHasher> FinalizingMap<K, V, F, S> {
    /// Insert `value` under `key`. If the key was present, the old key and value are
    /// finalized with [`RemovalCause::Replaced`] (the new key is stored) and `true` is
    /// returned. Use [`replace`](Self::replace) to get the old value back instead.
    ///
    /// # Panics
    ///
    /// Re-raises a panic of the finalizer; the new entry is stored by then.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut replaced = vec![];
    /// let mut m = leakless::FinalizingMap::new(|k: u8, v: &'static str, _c| replaced.push((k, v)));
    /// assert!(!m.insert(1, "a"));
    /// assert!(m.insert(1, "b"));
    /// drop(m);
    /// assert_eq!(replaced, [(1, "a"), (1, "b")]);
    /// ```
    pub fn insert(&mut self, key: K, value: V) -> bool {
        match self.replace_entry(key, value) {
            Some((k, v)) => {
                self.map.raw.ctl.counters.removed(RemovalCause::Replaced, 1);
                self.finalizer.finalize(k, v, RemovalCause::Replaced);
                true
            }
            None => false,
        }
    }

    /// Insert `value` under `key`, handing the old value back instead of finalizing it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::FinalizingMap::new(|_k: u8, _v: &str, _c| {});
    /// assert_eq!(m.replace(1, "a"), None);
    /// assert_eq!(m.replace(1, "b"), Some("a"));
    /// ```
    pub fn replace(&mut self, key: K, value: V) -> Option<V> {
        let old = self.replace_entry(key, value)?;
        // An overwrite, as in every map of the crate (handed back or not).
        self.map.raw.ctl.counters.removed(RemovalCause::Replaced, 1);
        Some(old.1)
    }

    /// Store `(key, value)`, returning the old pair if the key was present.
    fn replace_entry(&mut self, key: K, value: V) -> Option<(K, V)> {
        let HashMap { raw, hash_builder } = &mut self.map;
        match hash_map::entry_in(&mut raw.ctl, &mut raw.table, hash_builder, &key) {
            RawEntry::Occupied(mut o) => Some(core::mem::replace(o.get_mut(), (key, value))),
            RawEntry::Vacant(v) => {
                v.insert((key, value));
                raw.ctl.counters.add(Small::Insertions, 1);
                None
            }
        }
    }

    /// The value for `key`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::FinalizingMap::<u8, u8>::default();
    /// m.insert(1, 2);
    /// assert_eq!(m.get(&1), Some(&2));
    /// ```
    pub fn get<Q: ?Sized + Hash + Eq>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.map.get(key)
    }

    /// The stored key and value for `key`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::FinalizingMap::<u8, u8>::default();
    /// m.insert(1, 2);
    /// assert_eq!(m.get_key_value(&1), Some((&1, &2)));
    /// ```
    pub fn get_key_value<Q: ?Sized + Hash + Eq>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
    {
        self.map.get_key_value(key)
    }

    /// The value for `key`, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::FinalizingMap::<u8, u8>::default();
    /// m.insert(1, 2);
    /// *m.get_mut(&1).unwrap() = 3;
    /// assert_eq!(m.get(&1), Some(&3));
    /// ```
    pub fn get_mut<Q: ?Sized + Hash + Eq>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.map.get_mut(key)
    }

    /// `true` if the map holds `key`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::FinalizingMap::<u8, u8>::default();
    /// m.insert(1, 2);
    /// assert!(m.contains_key(&1));
    /// ```
    pub fn contains_key<Q: ?Sized + Hash + Eq>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.map.contains_key(key)
    }

    /// The value for `key`, inserting `f()` first if absent.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::FinalizingMap::<u8, Vec<u8>>::default();
    /// m.get_or_insert_with(1, Vec::new).push(5);
    /// assert_eq!(m.get(&1), Some(&vec![5]));
    /// ```
    pub fn get_or_insert_with(&mut self, key: K, f: impl FnOnce() -> V) -> &mut V {
        self.map.entry(key).or_insert_with(f)
    }

    /// Remove `key`, handing its value back (it is not finalized).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::FinalizingMap::new(|_k: u8, _v: u8, _c| panic!("not called"));
    /// m.insert(1, 2);
    /// assert_eq!(m.remove(&1), Some(2));
    /// ```
    pub fn remove<Q: ?Sized + Hash + Eq>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.map.remove(key)
    }

    /// Remove `key`, handing the stored key and value back.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::FinalizingMap::<u8, u8>::default();
    /// m.insert(1, 2);
    /// assert_eq!(m.remove_entry(&1), Some((1, 2)));
    /// ```
    pub fn remove_entry<Q: ?Sized + Hash + Eq>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
    {
        self.map.remove_entry(key)
    }

    /// Remove `key` and finalize its value with [`RemovalCause::Explicit`]; `true` if it
    /// was present.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::RemovalCause;
    /// let mut causes = vec![];
    /// let mut m = leakless::FinalizingMap::new(|_k: u8, _v: u8, c| causes.push(c));
    /// m.insert(1, 2);
    /// assert!(m.discard(&1));
    /// assert!(!m.discard(&1));
    /// drop(m);
    /// assert_eq!(causes, [RemovalCause::Explicit]);
    /// ```
    pub fn discard<Q: ?Sized + Hash + Eq>(&mut self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        // A panic of `Hash` while the table shrinks waits until the value is finalized.
        let mut slot = PanicSlot::default();
        let found = match self.map.remove_counted(key, Some(RemovalCause::Explicit), &mut slot) {
            Some((k, v)) => {
                self.finalizer.finalize(k, v, RemovalCause::Explicit);
                true
            }
            None => false,
        };
        slot.resume();
        found
    }

    /// Keep the entries for which `keep` returns `true`; finalize the others with
    /// [`RemovalCause::Explicit`], then shrink if due.
    ///
    /// # Panics
    ///
    /// A panic of `keep` ends the scan; it propagates once the entries already rejected
    /// are finalized and counted and the table has shrunk (the map stays valid). A panic
    /// of the finalizer is re-raised after the scan.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut gone = vec![];
    /// let mut m = leakless::FinalizingMap::new(|k: u8, _v: u8, _c| gone.push(k));
    /// m.extend([(1, 1), (2, 2)]);
    /// m.retain(|k, _| *k == 1);
    /// drop(m);
    /// gone.sort();
    /// assert_eq!(gone, [1, 2]); // 2 rejected by retain, 1 finalized on drop
    /// ```
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        let mut slot = PanicSlot::default();
        let finalizer = &mut self.finalizer;
        let HashMap { raw, hash_builder } = &mut self.map;
        raw.retain_with(
            |(k, v)| keep(k, v),
            |(k, v)| slot.run(|| finalizer.finalize(k, v, RemovalCause::Explicit)),
            Some(RemovalCause::Explicit),
            hasher(hash_builder),
        );
        slot.resume();
    }

    /// Reserve room for `additional` more entries.
    ///
    /// # Panics
    ///
    /// Panics if the new capacity overflows `usize`, and aborts if the allocation fails,
    /// as `std` does (use [`try_reserve`](Self::try_reserve) to get an error instead).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::FinalizingMap::<u8, u8>::default();
    /// m.reserve(10);
    /// assert!(m.capacity() >= 10);
    /// ```
    pub fn reserve(&mut self, additional: usize) {
        self.map.reserve(additional)
    }

    /// Reserve room for `additional` more entries.
    ///
    /// # Errors
    ///
    /// [`TryReserveError`] on capacity overflow or allocation failure.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::FinalizingMap::<u8, u8>::default();
    /// assert!(m.try_reserve(usize::MAX).is_err());
    /// ```
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), TryReserveError> {
        self.map.try_reserve(additional)
    }

    /// Shrink as much as possible (clearing the floor).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::FinalizingMap::<u8, u8>::with_capacity(100, leakless::NoopFinalizer);
    /// m.shrink_to_fit();
    /// assert_eq!(m.capacity(), 0);
    /// ```
    pub fn shrink_to_fit(&mut self) {
        self.map.shrink_to_fit()
    }
}

impl<K, V, F: Finalizer<K, V>, S> Drop for FinalizingMap<K, V, F, S> {
    fn drop(&mut self) {
        if self.map.is_empty() {
            return;
        }
        let old = core::mem::take(&mut self.map.raw);
        if self.finalizer.is_noop() {
            crate::raw::drop_each(old.table);
        } else {
            finalize_each(&mut self.finalizer, old.table, RemovalCause::Dropped);
        }
    }
}

impl<K, V, F: Finalizer<K, V>, S> IntoIterator for FinalizingMap<K, V, F, S> {
    type Item = (K, V);
    type IntoIter = crate::hash_map::IntoIter<K, V>;

    /// Hand every entry back (none is finalized).
    fn into_iter(mut self) -> Self::IntoIter {
        let raw: RawTable<(K, V)> = core::mem::take(&mut self.map.raw);
        HashMap { raw, hash_builder: () }.into_iter()
    }
}

impl<'a, K, V, F: Finalizer<K, V>, S> IntoIterator for &'a FinalizingMap<K, V, F, S> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Iter<'a, K, V> {
        self.map.iter()
    }
}

impl<K: Eq + Hash, V, F: Finalizer<K, V>, S: BuildHasher> Extend<(K, V)> for FinalizingMap<K, V, F, S> {
    /// Insert every pair; overwritten values are finalized with `Replaced`.
    fn extend<T: IntoIterator<Item = (K, V)>>(&mut self, iter: T) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K: Eq + Hash, V, F, S> FromIterator<(K, V)> for FinalizingMap<K, V, F, S>
where
    F: Finalizer<K, V> + Default,
    S: BuildHasher + Default,
{
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        let mut m = Self::default();
        m.extend(iter);
        m
    }
}

impl<K, V, F: Finalizer<K, V> + Default, S: Default> Default for FinalizingMap<K, V, F, S> {
    fn default() -> Self {
        Self::with_hasher(F::default(), S::default())
    }
}

impl<K: Clone, V: Clone, F: Finalizer<K, V> + Clone, S: Clone> Clone for FinalizingMap<K, V, F, S> {
    fn clone(&self) -> Self {
        Self { map: self.map.clone(), finalizer: self.finalizer.clone() }
    }
}

/// Equal when both hold the same keys with equal values (as `HashMap`'s); the finalizers
/// are not compared, and may differ in type.
///
/// # Examples
///
/// ```
/// use leakless::FinalizingMap;
/// let a: FinalizingMap<u8, &str> = [(1, "a"), (2, "b")].into_iter().collect();
/// let mut b: FinalizingMap<u8, &str> = [(2, "b")].into_iter().collect();
/// assert_ne!(a, b);
/// b.insert(1, "a");
/// assert_eq!(a, b);
/// ```
impl<K, V, F, G, S> PartialEq<FinalizingMap<K, V, G, S>> for FinalizingMap<K, V, F, S>
where
    K: Eq + Hash,
    V: PartialEq,
    F: Finalizer<K, V>,
    G: Finalizer<K, V>,
    S: BuildHasher,
{
    fn eq(&self, other: &FinalizingMap<K, V, G, S>) -> bool {
        self.map == other.map
    }
}

impl<K: Eq + Hash, V: Eq, F: Finalizer<K, V>, S: BuildHasher> Eq for FinalizingMap<K, V, F, S> {}

impl<K: fmt::Debug, V: fmt::Debug, F: Finalizer<K, V>, S> fmt::Debug for FinalizingMap<K, V, F, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.map.iter()).finish()
    }
}
