//! The model of an unbounded `ConcurrentMap`: `std::collections::HashMap`. Shared by
//! `tests/concurrent/model.rs` (`model`) and `fuzz/fuzz_targets/concurrent.rs`, which
//! include this file with `#[path]` and bring their own ops (a proptest strategy, an
//! `Arbitrary` enum). It depends only on `std` and `leakless` and does no I/O, so it runs
//! under Miri.
//!
//! [`Plain`] holds the map and the `std` map it must match. Each method of [`Calls`]
//! makes one call on both and checks what the map returns; `verify` (after every op)
//! checks `validate()` and `len()`; [`Plain::finish`] compares the contents.
//!
//! [`Calls`] is also what the bounded model (`Cache`, in `concurrent_cache.rs`, which
//! every includer of this file includes beside it) implements, so one `apply` drives
//! either model.

use std::collections::HashMap as Model;
use std::hash::BuildHasher;

use leakless::ConcurrentMap;

/// The calls of the `ConcurrentMap` models: each makes the call on the map and on the
/// model and checks what the map returns; `verify` checks the whole map after an op.
pub(crate) trait Calls {
    /// `insert(k, v)`.
    fn insert(&mut self, k: u16, v: u32);
    /// `remove(k)`.
    fn remove(&mut self, k: u16);
    /// `get_cloned(k)`.
    fn get(&mut self, k: u16);
    /// `update(k, |x| x ^ v)`.
    fn update(&mut self, k: u16, v: u32);
    /// `compute(k, |_| v)`: stores `v`, or removes the key for `None`.
    fn compute(&mut self, k: u16, v: Option<u32>);
    /// `get_or_insert_with(k, || v)`.
    fn get_or_insert(&mut self, k: u16, v: u32);
    /// `retain` the keys divisible by `d` (not 0).
    fn retain(&mut self, d: u16);
    /// `clear()`.
    fn clear(&mut self);
    /// A lookup through a pinned guard.
    fn pinned_get(&mut self, k: u16);
    /// Replace the map by its `clone()`, dropping the original.
    fn clone_map(&mut self);
    /// The whole map against the model, after an op.
    fn verify(&mut self);
}

/// An unbounded map and its model.
pub(crate) struct Plain<S> {
    map: ConcurrentMap<u16, u32, S>,
    model: Model<u16, u32>,
}

impl<S: BuildHasher> Plain<S> {
    /// `map` (empty) against an empty model.
    pub(crate) fn new(map: ConcurrentMap<u16, u32, S>) -> Self {
        assert!(map.is_empty());
        Plain { map, model: Model::new() }
    }

    /// The contents, compared entry by entry.
    pub(crate) fn finish(self) {
        let p = self.map.pin();
        let mut all: Vec<_> = p.iter().map(|(k, v)| (*k, *v)).collect();
        all.sort_unstable();
        let mut want: Vec<_> = self.model.into_iter().collect();
        want.sort_unstable();
        assert_eq!(all, want);
    }
}

impl<S: BuildHasher + Clone> Calls for Plain<S> {
    /// `insert`: `true` iff the key was new.
    fn insert(&mut self, k: u16, v: u32) {
        assert_eq!(self.map.insert(k, v), self.model.insert(k, v).is_none(), "insert({k}, {v})");
    }

    /// `remove`: `true` iff the key was present.
    fn remove(&mut self, k: u16) {
        assert_eq!(self.map.remove(&k), self.model.remove(&k).is_some(), "remove({k})");
    }

    /// `get_cloned`.
    fn get(&mut self, k: u16) {
        assert_eq!(self.map.get_cloned(&k), self.model.get(&k).copied(), "get({k})");
    }

    /// `update` with `x ^ v`: `true` iff the key was present.
    fn update(&mut self, k: u16, v: u32) {
        let present = self.model.get_mut(&k).map(|x| *x ^= v).is_some();
        assert_eq!(self.map.update(k, |x| x ^ v), present, "update({k})");
    }

    /// `compute` storing `v` (or removing the key for `None`): `true` iff a value is
    /// stored.
    fn compute(&mut self, k: u16, v: Option<u32>) {
        match v {
            Some(v) => self.model.insert(k, v),
            None => self.model.remove(&k),
        };
        assert_eq!(self.map.compute(k, |_| v), v.is_some(), "compute({k}, {v:?})");
    }

    /// `get_or_insert_with`: the present value, or `v`.
    fn get_or_insert(&mut self, k: u16, v: u32) {
        let want = *self.model.entry(k).or_insert(v);
        assert_eq!(self.map.get_or_insert_with(k, || v), want, "get_or_insert_with({k})");
    }

    /// `retain` the keys divisible by `d` (not 0).
    fn retain(&mut self, d: u16) {
        self.map.retain(|k, _| k % d == 0);
        self.model.retain(|k, _| k % d == 0);
    }

    /// `clear`.
    fn clear(&mut self) {
        self.map.clear();
        self.model.clear();
    }

    /// A lookup through a pinned guard, and a count through its iterator.
    fn pinned_get(&mut self, k: u16) {
        let p = self.map.pin();
        assert_eq!(p.get(&k), self.model.get(&k), "pinned get({k})");
        assert_eq!(p.iter().count(), self.model.len(), "pinned iter count");
    }

    /// `clone()`: the copy is valid and holds what the original held (checked by
    /// `verify` after the op, and by `finish`).
    fn clone_map(&mut self) {
        let copy = self.map.clone();
        copy.validate();
        self.map = copy;
    }

    /// `validate()` and `len()`.
    fn verify(&mut self) {
        self.map.validate();
        assert_eq!(self.map.len(), self.model.len());
    }
}
