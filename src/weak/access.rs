//! The hashed operations of [`WeakKeyMap`]: insert, lookups, removal, the entry API,
//! reservation and the invariant checker.

use core::hash::BuildHasher;

use super::{stored_hash, Entry, OccupiedEntry, Slot, VacantEntry, WeakKey, WeakKeyMap};
use crate::error::TryReserveError;
use crate::policy::{Finalizer, PanicSlot, RemovalCause, Small};

impl<K: WeakKey, V, S: BuildHasher, F: Finalizer<K, V>> WeakKeyMap<K, V, S, F> {
    #[inline]
    fn hash(&self, key: &K::Target) -> u64 {
        K::hash(&self.hash_builder, key)
    }

    /// Insert `value` under the key `strong` points to; the map stores only a weak
    /// reference. If a live entry has an equal key, its value is replaced and returned,
    /// and its stored key becomes `strong`'s.
    ///
    /// Pruning: an insert first makes room, before its probe (as `std` reserves room
    /// before looking the key up): if the table is full, it sweeps the whole table, so
    /// dead entries are not copied into a bigger table, then grows if still short of
    /// room. So a run of inserts releases dead entries within O(capacity) inserts.
    /// Replacing the value of a present key also takes an incremental step, like the
    /// other mutating operations.
    ///
    /// # Panics
    ///
    /// Re-raises a panic of the finalizer or of a pruned value's `Drop` (before `value`
    /// is stored); propagates a panic of the key's `Hash` or `Eq`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<str>, u32> = leakless::WeakKeyMap::new();
    /// let k: Rc<str> = Rc::from("k");
    /// assert_eq!(m.insert(&k, 1), None);
    /// assert_eq!(m.insert(&k, 2), Some(1));
    /// assert_eq!(m.get("k"), Some(&2));
    /// ```
    pub fn insert(&mut self, strong: &K::Strong, value: V) -> Option<V> {
        let hash = self.hash(strong);
        let key: &K::Target = strong;
        let mut stepped = false;
        loop {
            // A new entry pays for pruning with the sweep before growth (it brings the
            // next one closer); a replacement adds nothing, so it pays with an
            // incremental step, taken before the value is swapped (a panic in the step
            // then leaves the old value in the map; the new one, never stored, is
            // dropped as the panic unwinds).
            self.before_insert();
            match self.raw.table.entry(hash, |s| s.hash == hash && s.key.matches(key), stored_hash) {
                hashbrown::hash_table::Entry::Vacant(v) => {
                    v.insert(Slot { key: K::downgrade(strong), value, hash });
                    self.raw.ctl.counters.add(Small::Insertions, 1);
                    return None;
                }
                hashbrown::hash_table::Entry::Occupied(mut o) if stepped => {
                    let s = o.get_mut();
                    s.key = K::downgrade(strong);
                    self.raw.ctl.counters.removed(RemovalCause::Replaced, 1);
                    return Some(core::mem::replace(&mut s.value, value));
                }
                hashbrown::hash_table::Entry::Occupied(_) => {}
            }
            // The step may drop values, and with them the last strong pointer to the
            // matched entry's key (an equal key, not `strong` itself): look it up again.
            self.sweep_step();
            stepped = true;
        }
    }

    /// The entry for `strong`'s key, for in-place manipulation. Prunes incrementally.
    ///
    /// An occupied entry takes `strong` as its key, as [`insert`](Self::insert) does: a
    /// value written through it lives as long as `strong`, not as long as the equal key
    /// it was first stored under.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u32> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// *m.entry(&k).or_insert(0) += 5;
    /// *m.entry(&k).or_insert(0) += 5;
    /// assert_eq!(m.get(&1), Some(&10));
    /// ```
    pub fn entry(&mut self, strong: &K::Strong) -> Entry<'_, K, V> {
        let hash = self.hash(strong);
        self.sweep_step();
        self.before_insert();
        let key: &K::Target = strong;
        let raw = &mut self.raw;
        match raw.table.entry(hash, |s| s.hash == hash && s.key.matches(key), stored_hash) {
            hashbrown::hash_table::Entry::Occupied(mut o) => {
                // Rebinding drops a `Weak` only: no user code runs.
                o.get_mut().key = K::downgrade(strong);
                Entry::Occupied(OccupiedEntry::new(o, &mut raw.ctl))
            }
            hashbrown::hash_table::Entry::Vacant(v) => {
                Entry::Vacant(VacantEntry::new(v, &mut raw.ctl, K::downgrade(strong), hash))
            }
        }
    }

    /// The value for `key`, if its entry is alive. Never prunes (it takes `&self`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<str>, u8> = leakless::WeakKeyMap::new();
    /// let k: Arc<str> = Arc::from("k");
    /// m.insert(&k, 1);
    /// assert_eq!(m.get("k"), Some(&1));
    /// assert_eq!(m.get("x"), None);
    /// ```
    #[inline]
    pub fn get(&self, key: &K::Target) -> Option<&V> {
        let hash = self.hash(key);
        let found = self.raw.table.find(hash, |s| s.hash == hash && s.key.matches(key));
        self.raw.ctl.counters.lookup(found.is_some());
        found.map(|s| &s.value)
    }

    /// The strong key and the value for `key`, if its entry is alive.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u8> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// m.insert(&k, 2);
    /// let (strong, v) = m.get_key_value(&1).unwrap();
    /// assert!(Rc::ptr_eq(&strong, &k));
    /// assert_eq!(*v, 2);
    /// ```
    pub fn get_key_value(&self, key: &K::Target) -> Option<(K::Strong, &V)> {
        let hash = self.hash(key);
        let found = self.raw.table.find(hash, |s| s.hash == hash && s.key.matches(key));
        let pair = found.and_then(|s| Some((s.key.upgrade()?, &s.value)));
        self.raw.ctl.counters.lookup(pair.is_some());
        pair
    }

    /// `true` if a live entry has `key`. Never prunes.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u8> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// m.insert(&k, 2);
    /// assert!(m.contains_key(&1));
    /// drop(k);
    /// assert!(!m.contains_key(&1));
    /// ```
    #[inline]
    pub fn contains_key(&self, key: &K::Target) -> bool {
        self.get(key).is_some()
    }

    /// The value for `key`, mutably, if its entry is alive. Prunes incrementally first.
    ///
    /// # Panics
    ///
    /// Re-raises a panic of the finalizer or of a pruned value's `Drop`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u8> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// m.insert(&k, 2);
    /// *m.get_mut(&1).unwrap() += 1;
    /// assert_eq!(m.get(&1), Some(&3));
    /// ```
    pub fn get_mut(&mut self, key: &K::Target) -> Option<&mut V> {
        let hash = self.hash(key);
        self.sweep_step();
        let found = self.raw.table.find_mut(hash, |s| s.hash == hash && s.key.matches(key));
        self.raw.ctl.counters.lookup(found.is_some());
        found.map(|s| &mut s.value)
    }

    /// Remove the live entry for `key`, returning its value. Prunes incrementally first
    /// (also when `key` is absent), then shrinks if due.
    ///
    /// # Panics
    ///
    /// Re-raises a panic of the finalizer or of a pruned value's `Drop` (before looking
    /// `key` up: the entry is then still in the map).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u8> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// m.insert(&k, 2);
    /// assert_eq!(m.remove(&1), Some(2));
    /// assert_eq!(m.remove(&1), None);
    /// ```
    pub fn remove(&mut self, key: &K::Target) -> Option<V> {
        self.remove_entry(key).map(|(_, v)| v)
    }

    /// Remove the live entry for `key`, returning its strong key and value.
    ///
    /// # Panics
    ///
    /// As [`remove`](Self::remove).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u8> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// m.insert(&k, 2);
    /// let (strong, v) = m.remove_entry(&1).unwrap();
    /// assert!(Rc::ptr_eq(&strong, &k) && v == 2);
    /// ```
    pub fn remove_entry(&mut self, key: &K::Target) -> Option<(K::Strong, V)> {
        let hash = self.hash(key);
        self.sweep_step();
        // Upgrade while matching, so the key cannot die between the match and the return.
        let mut strong = None;
        // Stored hashes: the shrink runs no user code, so nothing reaches the slot.
        let mut slot = PanicSlot::default();
        let s = self.raw.remove(
            hash,
            |s| {
                if s.hash != hash || !s.key.matches(key) {
                    return false;
                }
                strong = s.key.upgrade();
                strong.is_some()
            },
            Some(RemovalCause::Explicit),
            stored_hash,
            &mut slot,
        )?;
        slot.resume();
        self.sync_cursor();
        Some((strong.expect("matched entries were upgraded"), s.value))
    }

    /// Reserve room for `additional` more entries. Dead entries are swept first if the
    /// table would otherwise grow.
    ///
    /// # Errors
    ///
    /// [`TryReserveError`] on capacity overflow or allocation failure.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::WeakKeyMap<std::rc::Weak<u8>, u8> = leakless::WeakKeyMap::new();
    /// assert!(m.try_reserve(usize::MAX).is_err());
    /// assert!(m.try_reserve(10).is_ok());
    /// assert!(m.capacity() >= 10);
    /// ```
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), TryReserveError> {
        if self.raw.table.capacity() - self.raw.table.len() < additional {
            let mut slot = PanicSlot::default();
            self.sweep_all(&mut slot);
            slot.resume();
        }
        let r = self.raw.try_reserve(additional, stored_hash);
        self.sync_cursor();
        r
    }

    /// Reserve room for `additional` more entries.
    ///
    /// # Panics
    ///
    /// Panics if the new capacity overflows, and aborts if the allocation fails, as `std`
    /// does (see [`try_reserve`](Self::try_reserve)).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::WeakKeyMap<std::rc::Weak<u8>, u8> = leakless::WeakKeyMap::new();
    /// m.reserve(10);
    /// assert!(m.capacity() >= 10);
    /// ```
    pub fn reserve(&mut self, additional: usize) {
        crate::error::or_abort(self.try_reserve(additional));
    }

    /// Prune every dead entry, then shrink as much as possible (clearing the floor).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::WeakKeyMap<std::rc::Weak<u8>, u8> = leakless::WeakKeyMap::with_capacity(100);
    /// m.shrink_to_fit();
    /// assert_eq!(m.capacity(), 0);
    /// ```
    pub fn shrink_to_fit(&mut self) {
        self.prune();
        self.raw.shrink_to(0, stored_hash);
        self.sync_cursor();
    }

    /// Check the internal invariants (see the module docs), panicking with a description
    /// of the first one broken. O(capacity); meant for tests and fuzzing.
    ///
    /// # Panics
    ///
    /// Panics if an invariant is broken.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let mut m: leakless::WeakKeyMap<Weak<u8>, u8> = leakless::WeakKeyMap::new();
    /// let k = Rc::new(1);
    /// m.insert(&k, 2);
    /// m.validate();
    /// ```
    pub fn validate(&self) {
        let table = &self.raw.table;
        self.raw.validate(stored_hash, |a, b| a.key.same_allocation(&b.key));
        for index in 0..table.num_buckets() {
            let Some(s) = table.get_bucket(index) else { continue };
            let Some(strong) = s.key.upgrade() else { continue };
            let key: &K::Target = &strong;
            assert_eq!(s.hash, self.hash(key), "validate: bucket {index} stores a stale hash");
            let first = table.find_bucket_index(s.hash, |o| o.hash == s.hash && o.key.matches(key));
            assert_eq!(first, Some(index), "validate: the live key in bucket {index} is stored twice");
        }
        let c = self.raw.ctl.stats();
        let left: u64 =
            RemovalCause::ALL.iter().filter(|c| **c != RemovalCause::Replaced).map(|cause| c.removals(*cause)).sum();
        assert_eq!(c.insertions - left, self.len() as u64, "validate: insertions - removals != len()");
        assert!(c.pruned <= c.removals(RemovalCause::Collected), "validate: more entries pruned than collected");
        assert!(self.cursor <= self.cursor_buckets, "validate: the sweep cursor is out of the table");
    }
}
