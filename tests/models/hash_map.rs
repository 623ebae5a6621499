//! `leakless::HashMap` against `std::collections::HashMap`, shared by `tests/model.rs`
//! (`hash_map_matches_std`, `never_policy_keeps_capacity`) and
//! `fuzz/fuzz_targets/hash_map.rs`, which include this file with `#[path]` and bring their
//! own ops (a proptest strategy, an `Arbitrary` enum). It depends only on `std` and
//! `leakless`, and does no I/O.
//!
//! [`Checked`] holds the map, the `std` map it must match and a [`Tally`] of what
//! `stats()` must say. Each method makes one call (or a few) on both maps and checks what
//! it returns; [`Checked::verify`] (after every op) checks `validate()`, `len`,
//! `is_empty`, `capacity` and the stats; [`Checked::finish`] compares the contents.

use std::collections::HashMap as Model;
use std::panic::{catch_unwind, AssertUnwindSafe};

use leakless::hash_map::Entry;
use leakless::{HashMap, RemovalCause};

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// What `stats()` should say, counted from the model (see `HashMap::stats` and
/// `Stats`: every `get`-like lookup is a hit or a miss, `entry` and `remove` count none;
/// a new key stored is an insertion, an overwritten value `Replaced`, a value handed back
/// `Explicit`, a cleared one `Cleared`).
#[derive(Debug, Default)]
pub(crate) struct Tally {
    hits: u64,
    misses: u64,
    insertions: u64,
    explicit: u64,
    replaced: u64,
    cleared: u64,
}

impl Tally {
    fn lookups(&mut self, hit: bool, n: u64) {
        if hit {
            self.hits += n;
        } else {
            self.misses += n;
        }
    }

    /// A write of a key: a new entry, or a replaced value.
    fn wrote(&mut self, was_present: bool) {
        if was_present {
            self.replaced += 1;
        } else {
            self.insertions += 1;
        }
    }

    /// Compare with the map's counters (all but `shrinks`, which callers may check only
    /// grow).
    fn check(&self, map: &HashMap<u16, u32>) {
        let s = map.stats();
        assert_eq!((s.hits, s.misses), (self.hits, self.misses), "lookups");
        assert_eq!(s.insertions, self.insertions, "insertions");
        for cause in RemovalCause::ALL {
            let want = match cause {
                RemovalCause::Explicit => self.explicit,
                RemovalCause::Replaced => self.replaced,
                RemovalCause::Cleared => self.cleared,
                _ => 0,
            };
            assert_eq!(s.removals(cause), want, "removals counted for {cause:?}");
        }
    }
}

/// An op on both maps: `tests/model.rs` draws them from a proptest strategy, the fuzz
/// target from its input; [`Checked::apply`] runs one.
#[derive(Clone, Debug)]
pub(crate) enum Op {
    Insert(u16, u32),
    Remove(u16),
    Get(u16),
    GetMut(u16, u32),
    EntryOrInsert(u16, u32),
    EntryRemove(u16),
    EntryInsert(u16, u32),
    /// `or_insert_with`: the closure runs only for an absent key.
    EntryOrInsertWith(u16, u32),
    /// `or_insert_with_key`: the closure gets the key.
    EntryOrInsertWithKey(u16, u32),
    EntryOrDefault(u16),
    /// `and_modify` alone: a vacant entry dropped unused inserts nothing.
    EntryAndModify(u16, u32),
    /// Occupied: `get`, then `insert` (old value back); vacant: `key`, then `insert`.
    EntrySet(u16, u32),
    /// Occupied: `get_mut`, then `remove` (`remove_entry` is `EntryRemove`).
    EntryTake(u16, u32),
    /// Change every value through `iter_mut`.
    IterMut(u32),
    ValuesMut(u32),
    /// Two keys (`None`: the first again) and the values to write through
    /// `get_disjoint_mut`.
    GetDisjointMut(u16, Option<u16>, u32),
    /// Keep the keys divisible by this (not 0).
    Retain(u16),
    /// Take at most this many entries whose key is 1 modulo this (not 0).
    ExtractIf(u16, usize),
    Drain,
    Clear,
    Reserve(u16),
    ShrinkToFit,
    ShrinkTo(u16),
    /// Insert `(k, k)` for this many keys `k` from the first.
    InsertRange(u16, u16),
    /// Remove this many keys from the first.
    RemoveRange(u16, u16),
}

/// A `leakless::HashMap`, the `std` map it must match, and what its stats must say.
pub(crate) struct Checked {
    pub(crate) map: HashMap<u16, u32>,
    model: Model<u16, u32>,
    tally: Tally,
}

impl Checked {
    /// Starts from `map`, which must be new (empty, no stats counted).
    pub(crate) fn new(map: HashMap<u16, u32>) -> Self {
        Checked { map, model: Model::new(), tally: Tally::default() }
    }

    /// Runs `op` on the map and the model, checking what each call returns.
    pub(crate) fn apply(&mut self, op: Op) {
        match op {
            Op::Insert(k, v) => self.insert(k, v),
            Op::Remove(k) => self.remove(k),
            Op::Get(k) => self.get(k),
            Op::GetMut(k, v) => self.get_mut(k, v),
            Op::EntryOrInsert(k, v) => self.entry_or_insert(k, v),
            Op::EntryRemove(k) => self.entry_remove(k),
            Op::EntryInsert(k, v) => self.entry_insert(k, v),
            Op::EntryOrInsertWith(k, v) => self.entry_or_insert_with(k, v),
            Op::EntryOrInsertWithKey(k, v) => self.entry_or_insert_with_key(k, v),
            Op::EntryOrDefault(k) => self.entry_or_default(k),
            Op::EntryAndModify(k, v) => self.entry_and_modify(k, v),
            Op::EntrySet(k, v) => self.entry_set(k, v),
            Op::EntryTake(k, v) => self.entry_take(k, v),
            Op::IterMut(x) => self.iter_mut(x),
            Op::ValuesMut(x) => self.values_mut(x),
            Op::GetDisjointMut(k1, k2, v) => self.get_disjoint_mut(k1, k2.unwrap_or(k1), v),
            Op::Retain(m) => self.retain(m),
            Op::ExtractIf(m, n) => self.extract_if(m, n),
            Op::Drain => self.drain(),
            Op::Clear => self.clear(),
            Op::Reserve(n) => self.reserve(usize::from(n)),
            Op::ShrinkToFit => self.shrink_to_fit(),
            Op::ShrinkTo(n) => self.shrink_to(usize::from(n)),
            Op::InsertRange(s, n) => self.insert_range(s, n),
            Op::RemoveRange(s, n) => self.remove_range(s, n),
        }
    }

    /// `insert(k, v)`.
    pub(crate) fn insert(&mut self, k: u16, v: u32) {
        let old = self.model.insert(k, v);
        self.tally.wrote(old.is_some());
        assert_eq!(self.map.insert(k, v), old);
    }

    /// `remove(k)`.
    pub(crate) fn remove(&mut self, k: u16) {
        let old = self.model.remove(&k);
        self.tally.explicit += u64::from(old.is_some());
        assert_eq!(self.map.remove(&k), old);
    }

    /// `get`, `contains_key` and `get_key_value` of `k`.
    pub(crate) fn get(&mut self, k: u16) {
        let (map, model) = (&self.map, &self.model);
        self.tally.lookups(model.contains_key(&k), 3);
        assert_eq!(map.get(&k), model.get(&k));
        assert_eq!(map.contains_key(&k), model.contains_key(&k));
        assert_eq!(map.get_key_value(&k), model.get_key_value(&k));
    }

    /// `get_mut(k)`, then write `v` through it.
    pub(crate) fn get_mut(&mut self, k: u16, v: u32) {
        self.tally.lookups(self.model.contains_key(&k), 1);
        let (a, b) = (self.map.get_mut(&k), self.model.get_mut(&k));
        assert_eq!(a.as_deref(), b.as_deref());
        if let Some(x) = a {
            *x = v;
        }
        if let Some(x) = b {
            *x = v;
        }
    }

    /// `entry(k).and_modify(|x| *x ^= 1).or_insert(v)`.
    pub(crate) fn entry_or_insert(&mut self, k: u16, v: u32) {
        self.tally.insertions += u64::from(!self.model.contains_key(&k));
        let a = self.map.entry(k).and_modify(|x| *x ^= 1).or_insert(v);
        let b = self.model.entry(k).and_modify(|x| *x ^= 1).or_insert(v);
        assert_eq!(*a, *b);
    }

    /// `entry(k)`: occupied, `remove_entry`; vacant, `key`.
    pub(crate) fn entry_remove(&mut self, k: u16) {
        self.tally.explicit += u64::from(self.model.contains_key(&k));
        let a = match self.map.entry(k) {
            Entry::Occupied(o) => Some(o.remove_entry()),
            Entry::Vacant(v) => {
                assert_eq!(*v.key(), k);
                None
            }
        };
        assert_eq!(a, self.model.remove_entry(&k));
    }

    /// `entry(k).insert_entry(v)`.
    pub(crate) fn entry_insert(&mut self, k: u16, v: u32) {
        let e = self.map.entry(k).insert_entry(v);
        assert_eq!((*e.key(), *e.get()), (k, v));
        self.tally.wrote(self.model.insert(k, v).is_some());
    }

    /// `entry(k).or_insert_with(|| v)`: the closure runs only for an absent key.
    pub(crate) fn entry_or_insert_with(&mut self, k: u16, v: u32) {
        let absent = !self.model.contains_key(&k);
        self.tally.insertions += u64::from(absent);
        let mut called = false;
        let a = *self.map.entry(k).or_insert_with(|| {
            called = true;
            v
        });
        assert_eq!(called, absent, "or_insert_with runs its closure iff the key is absent");
        assert_eq!(a, *self.model.entry(k).or_insert(v));
    }

    /// `entry(k).or_insert_with_key(..)`: the closure gets the key.
    pub(crate) fn entry_or_insert_with_key(&mut self, k: u16, v: u32) {
        self.tally.insertions += u64::from(!self.model.contains_key(&k));
        let a = *self.map.entry(k).or_insert_with_key(|key| {
            assert_eq!(*key, k, "or_insert_with_key passes the entry's key");
            v ^ u32::from(*key)
        });
        assert_eq!(a, *self.model.entry(k).or_insert(v ^ u32::from(k)));
    }

    /// `entry(k).or_default()`, then add 1 through it.
    pub(crate) fn entry_or_default(&mut self, k: u16) {
        self.tally.insertions += u64::from(!self.model.contains_key(&k));
        let a = self.map.entry(k).or_default();
        *a = a.wrapping_add(1);
        let b = self.model.entry(k).or_default();
        *b = b.wrapping_add(1);
        assert_eq!(*a, *b);
    }

    /// `entry(k).and_modify(..)` alone: a vacant entry left unused inserts nothing.
    pub(crate) fn entry_and_modify(&mut self, k: u16, v: u32) {
        let e = self.map.entry(k).and_modify(|x| *x = x.wrapping_mul(3) ^ v);
        assert_eq!(*e.key(), k);
        assert_eq!(matches!(e, Entry::Occupied(_)), self.model.contains_key(&k));
        // `e` ends here: a vacant entry left unused inserts nothing (`verify` checks it).
        if let Some(x) = self.model.get_mut(&k) {
            *x = x.wrapping_mul(3) ^ v;
        }
    }

    /// `entry(k)`: occupied, `get`, then `insert` (old value back); vacant, `key`, then
    /// `insert`.
    pub(crate) fn entry_set(&mut self, k: u16, v: u32) {
        let old = self.model.insert(k, v);
        self.tally.wrote(old.is_some());
        match self.map.entry(k) {
            Entry::Occupied(mut o) => {
                assert_eq!(Some(*o.get()), old);
                assert_eq!(Some(o.insert(v)), old, "an occupied entry's insert returns the old value");
                assert_eq!(*o.get(), v);
            }
            Entry::Vacant(e) => {
                assert_eq!(old, None);
                assert_eq!(*e.key(), k);
                assert_eq!(*e.insert(v), v);
            }
        }
    }

    /// `entry(k)`: occupied, `get_mut`, then `remove`; vacant, `into_key`.
    pub(crate) fn entry_take(&mut self, k: u16, v: u32) {
        let old = self.model.remove(&k);
        self.tally.explicit += u64::from(old.is_some());
        let got = match self.map.entry(k) {
            Entry::Occupied(mut o) => {
                assert_eq!(*o.key(), k);
                *o.get_mut() ^= v; // the value `remove` hands back is the one written here
                Some(o.remove() ^ v)
            }
            Entry::Vacant(e) => {
                assert_eq!(e.into_key(), k);
                None
            }
        };
        assert_eq!(got, old);
    }

    /// Changes every value through `iter_mut`.
    pub(crate) fn iter_mut(&mut self, x: u32) {
        let seen: Vec<(u16, u32)> = self
            .map
            .iter_mut()
            .map(|(k, v)| {
                let old = *v;
                *v = v.wrapping_add(x ^ u32::from(*k));
                (*k, old)
            })
            .collect();
        let want: Vec<(u16, u32)> = self.model.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(sorted(seen), sorted(want), "iter_mut yields every entry once");
        for (k, v) in self.model.iter_mut() {
            *v = v.wrapping_add(x ^ u32::from(*k));
        }
    }

    /// Changes every value through `values_mut`.
    pub(crate) fn values_mut(&mut self, x: u32) {
        let n = self.map.values_mut().map(|v| *v ^= x).count();
        assert_eq!(n, self.model.len());
        self.model.values_mut().for_each(|v| *v ^= x);
    }

    /// `get_disjoint_mut([k1, k2])`, writing `v` and `!v` through it. Equal keys panic
    /// when present (caught here: not for a caller that aborts on panics).
    pub(crate) fn get_disjoint_mut(&mut self, k1: u16, k2: u16, v: u32) {
        let (map, model, tally) = (&mut self.map, &mut self.model, &mut self.tally);
        let want = (model.get(&k1).copied(), model.get(&k2).copied());
        if k1 == k2 {
            // Documented: equal keys panic when present, and are `None` twice when
            // absent (counted as two misses).
            let r = catch_unwind(AssertUnwindSafe(|| map.get_disjoint_mut([&k1, &k2]).map(|v| v.copied())));
            match r {
                Ok(got) => {
                    assert!(want.0.is_none() && got == [None, None], "equal present keys gave {got:?}");
                    tally.lookups(false, 2);
                }
                Err(_) => assert!(want.0.is_some(), "equal absent keys panicked"),
            }
        } else {
            let [a, b] = map.get_disjoint_mut([&k1, &k2]);
            assert_eq!((a.as_deref().copied(), b.as_deref().copied()), want);
            if let Some(a) = a {
                *a = v;
            }
            if let Some(b) = b {
                *b = !v;
            }
            if let Some(x) = model.get_mut(&k1) {
                *x = v;
            }
            if let Some(x) = model.get_mut(&k2) {
                *x = !v;
            }
            tally.lookups(want.0.is_some(), 1);
            tally.lookups(want.1.is_some(), 1);
        }
    }

    /// `retain` the keys divisible by `m` (not 0), adding 1 to every value it visits.
    pub(crate) fn retain(&mut self, m: u16) {
        let before = self.model.len();
        self.map.retain(|k, v| {
            *v = v.wrapping_add(1);
            k % m == 0
        });
        self.model.retain(|k, v| {
            *v = v.wrapping_add(1);
            k % m == 0
        });
        self.tally.explicit += (before - self.model.len()) as u64;
    }

    /// Takes at most `n` entries whose key is 1 modulo `m` (not 0) by `extract_if`:
    /// entries the iterator does not reach stay; if it ends before `n`, none is left.
    pub(crate) fn extract_if(&mut self, m: u16, n: usize) {
        let a: Vec<_> = self.map.extract_if(|k, _| k % m == 1).take(n).collect();
        self.tally.explicit += a.len() as u64;
        for (k, v) in &a {
            assert_eq!(k % m, 1);
            assert_eq!(self.model.remove(k), Some(*v));
        }
        if a.len() < n {
            assert!(!self.model.keys().any(|k| k % m == 1), "extract_if ended before every match");
        }
    }

    /// `drain()`.
    pub(crate) fn drain(&mut self) {
        self.tally.explicit += self.model.len() as u64;
        assert_eq!(sorted(self.map.drain().collect()), sorted(self.model.drain().collect()));
    }

    /// `clear()`.
    pub(crate) fn clear(&mut self) {
        self.tally.cleared += self.model.len() as u64;
        self.map.clear();
        self.model.clear();
    }

    /// `reserve(n)`.
    pub(crate) fn reserve(&mut self, n: usize) {
        let map = &mut self.map;
        map.reserve(n);
        assert!(map.capacity() >= map.len() + n);
    }

    /// `shrink_to_fit()`.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.map.shrink_to_fit();
    }

    /// `shrink_to(n)`.
    pub(crate) fn shrink_to(&mut self, n: usize) {
        let map = &mut self.map;
        // As `std`: keeps room for `max(n, len)`, or the current room if less. (Room,
        // not bytes: tombstones lower `capacity()`, and a rebuild that drops them may
        // raise it at the same size, so the bytes are what must not grow.)
        let (before, bytes) = (map.capacity(), map.allocation_size());
        map.shrink_to(n);
        assert!(map.capacity() >= map.len());
        assert!(map.capacity() >= n.min(before), "{} after shrink_to({n}) from {before}", map.capacity());
        assert!(map.allocation_size() <= bytes, "shrink_to grew the map: {bytes} -> {} bytes", map.allocation_size());
    }

    /// `insert(k, k)` for the `n` keys from `start` (up to `u16::MAX`).
    pub(crate) fn insert_range(&mut self, start: u16, n: u16) {
        for k in start..start.saturating_add(n) {
            self.insert(k, u32::from(k));
        }
    }

    /// `remove(k)` for the `n` keys from `start` (up to `u16::MAX`).
    pub(crate) fn remove_range(&mut self, start: u16, n: u16) {
        for k in start..start.saturating_add(n) {
            self.remove(k);
        }
    }

    /// After every op: the map is valid, matches the model's size, has room for its
    /// entries, and its stats match the tally.
    pub(crate) fn verify(&self) {
        self.map.validate();
        assert_eq!(self.map.len(), self.model.len(), "len()");
        assert_eq!(self.map.is_empty(), self.model.is_empty(), "is_empty()");
        assert!(self.map.capacity() >= self.map.len(), "capacity() below len()");
        self.tally.check(&self.map);
    }

    /// At the end: the map holds what the model holds, by `iter`, `keys`, `values`, `==`
    /// and `into_iter`.
    pub(crate) fn finish(self) {
        let Checked { map, model, .. } = self;
        let all = |m: &Model<u16, u32>| sorted(m.iter().map(|(k, v)| (*k, *v)).collect());
        assert_eq!(sorted(map.iter().map(|(k, v)| (*k, *v)).collect()), all(&model), "iter()");
        assert_eq!(map.keys().count(), model.len(), "keys()");
        let sum = map.values().map(|v| u64::from(*v)).sum::<u64>();
        assert_eq!(sum, model.values().map(|v| u64::from(*v)).sum::<u64>(), "values()");
        let std_like: HashMap<u16, u32> = model.clone().into_iter().collect();
        assert!(map == std_like, "== a map built from the model's entries");
        assert_eq!(sorted(map.into_iter().collect()), sorted(model.into_iter().collect()), "into_iter()");
    }
}
