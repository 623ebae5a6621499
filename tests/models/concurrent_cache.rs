//! The model of a bounded `ConcurrentMap` (a cache by entries, weight or both), shared by
//! `tests/concurrent/model.rs` (`bounded_model`) and `fuzz/fuzz_targets/concurrent.rs`,
//! which include this file with `#[path]` and bring their own ops (a proptest strategy, an
//! `Arbitrary` enum). It depends only on `std`, `leakless` and the [`Calls`] trait of
//! `concurrent_map.rs`, which both includers include beside it (as `concurrent_map`); it
//! does no I/O and no loops beyond the map's own contents, so it runs under Miri.
//!
//! [`Cache`] holds the map, what the model says it holds and what its finalizer is owed.
//! CLOCK's choice of victim cannot be predicted, so after every call the entries that
//! the model holds and the map does not are taken as that call's evictions, and checked:
//! only a call that stores a value evicts, never the entry it stored, and only while
//! over the bound (putting its heaviest victim back would exceed it again). Each call
//! checks what it returns; `verify` (after every op) checks `validate()`, the
//! contents, `len()`, `weight()`, the bound, `stats().removals` by cause, and that every
//! value finalized so far was owed; [`Cache::finish`] drops the map and checks that the
//! `Dropped` values are exactly what the model holds and that nothing stays owed. A
//! clone replaces the map, and the original is dropped by the next finalizer call,
//! inside it.

use std::collections::HashMap as Model;
use std::sync::{Arc, Mutex};

use leakless::{ConcurrentMap, DefaultHashBuilder, RemovalCause};

use super::concurrent_map::Calls;

/// A cache's bound: entries (every entry weighs 1), weight (by [`weigh`]), or both.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Limit {
    Entries(usize),
    Weight(u64),
    Both(usize, u64),
}

/// The weigher of the weight-bounded caches: 1 to 4.
fn weigh(_: &u16, v: &u32) -> u64 {
    1 + u64::from(*v % 4)
}

impl Limit {
    /// The weight of a value (1 without a weigher).
    fn weight_of(self, v: u32) -> u64 {
        match self {
            Limit::Entries(_) => 1,
            Limit::Weight(_) | Limit::Both(..) => weigh(&0, &v),
        }
    }

    /// `true` if `len` entries of total weight `weight` are within the bound.
    fn holds(self, len: usize, weight: u64) -> bool {
        match self {
            Limit::Entries(n) => len <= n,
            Limit::Weight(w) => weight <= w,
            Limit::Both(n, w) => len <= n && weight <= w,
        }
    }
}

/// What the finalizer received, in order: `(key, value, cause)`.
type Log = Arc<Mutex<Vec<(u16, u32, RemovalCause)>>>;

type Map = ConcurrentMap<u16, u32, DefaultHashBuilder>;

/// The map a clone replaced, parked until the next finalizer call drops it: a map
/// dropped inside the finalizer it shares.
type Parked = Arc<Mutex<Option<Map>>>;

/// A bounded `ConcurrentMap` and its model: what it holds, and every value that left it
/// and is owed to the finalizer.
pub(crate) struct Cache {
    limit: Limit,
    map: Map,
    log: Log,
    parked: Parked,
    /// What the map holds.
    held: Model<u16, u32>,
    /// Values that left the map and were not finalized yet (a multiset).
    owed: Model<(u16, u32, RemovalCause), usize>,
    /// Values that left, by cause (what `stats().removals` counts when they leave).
    departed: [u64; 7],
}

impl Cache {
    /// An empty cache with this bound (a fixed-seed hasher, so that a failure replays).
    pub(crate) fn new(limit: Limit) -> Self {
        let log: Log = Arc::default();
        let parked: Parked = Arc::default();
        let (l, p) = (Arc::clone(&log), Arc::clone(&parked));
        let b = ConcurrentMap::builder().hasher(DefaultHashBuilder::with_seeds(1, 2, 3, 4)).finalizer(
            move |k: u16, v: u32, cause: RemovalCause| {
                l.lock().unwrap().push((k, v, cause));
                let earlier = p.lock().unwrap().take();
                drop(earlier); // its values are finalized when this call returns
            },
        );
        let map = match limit {
            Limit::Entries(n) => b.max_entries(n),
            Limit::Weight(w) => b.max_weight(w).weigher(weigh),
            Limit::Both(n, w) => b.max_entries(n).max_weight(w).weigher(weigh),
        }
        .build();
        Cache { limit, map, log, parked, held: Model::new(), owed: Model::new(), departed: [0; 7] }
    }

    fn weight(&self) -> u64 {
        self.held.values().map(|&v| self.limit.weight_of(v)).sum()
    }

    /// `(k, v)` leaves the map with `cause`: the finalizer owes it.
    fn depart(&mut self, k: u16, v: u32, cause: RemovalCause) {
        *self.owed.entry((k, v, cause)).or_default() += 1;
        self.departed[cause as usize] += 1;
    }

    /// The model of storing `v` under `k` as `insert` documents it: the old value leaves
    /// as `Replaced`; a value that alone exceeds the bound is not stored and leaves as
    /// `Rejected`. Returns the old value and whether `v` was stored.
    fn store(&mut self, k: u16, v: u32) -> (Option<u32>, bool) {
        let stored = self.limit.holds(1, self.limit.weight_of(v));
        let old = if stored { self.held.insert(k, v) } else { self.held.remove(&k) };
        if let Some(old) = old {
            self.depart(k, old, RemovalCause::Replaced);
        }
        if !stored {
            self.depart(k, v, RemovalCause::Rejected);
        }
        (old, stored)
    }

    /// The model of removing `k` with `cause`; `true` if it was held.
    fn unhold(&mut self, k: u16, cause: RemovalCause) -> bool {
        let old = self.held.remove(&k);
        if let Some(v) = old {
            self.depart(k, v, cause);
        }
        old.is_some()
    }

    /// After a call that stored a value under `written` (or `None`): the entries the
    /// model holds and the map does not are that call's evictions. Checks them (only a
    /// call that stored a value evicts, never the stored entry, only while over the
    /// bound) and moves them from the model to what the finalizer is owed. (Each
    /// eviction lowers `len()`; `verify` then checks the contents.)
    fn evictions(&mut self, written: Option<u16>) {
        if self.map.len() >= self.held.len() {
            return;
        }
        // Read without touching reference bits (unlike `get`).
        let mut contents: Vec<u16> = self.map.pin().iter().map(|(k, _)| *k).collect();
        contents.sort_unstable();
        let victims: Vec<(u16, u32)> =
            self.held.iter().filter(|&(k, _)| contents.binary_search(k).is_err()).map(|(&k, &v)| (k, v)).collect();
        for &(k, v) in &victims {
            assert!(written.is_some(), "a call that stored nothing evicted ({k}, {v})");
            assert_ne!(Some(k), written, "a write evicted its own entry");
            self.held.remove(&k);
            self.depart(k, v, RemovalCause::Evicted);
        }
        if let Some(heaviest) = victims.iter().map(|&(_, v)| self.limit.weight_of(v)).max() {
            assert!(
                !self.limit.holds(self.held.len() + 1, self.weight() + heaviest),
                "evicted {victims:?}, more than the bound needed: {contents:?} remain"
            );
        }
    }

    /// Every value finalized since the last look must have been owed; it is no longer.
    fn settle_log(&mut self) {
        let events = std::mem::take(&mut *self.log.lock().unwrap());
        for (k, v, cause) in events {
            finalized(&mut self.owed, k, v, cause);
        }
    }

    /// Drops the map: it finalizes what it holds as `Dropped`, and nothing stays owed.
    pub(crate) fn finish(mut self) {
        // A parked map not dropped by a finalizer call yet: its values are owed as
        // `Dropped` (by `clone_map`), apart from what the map drops below.
        let earlier = self.parked.lock().unwrap().take();
        drop(earlier);
        self.settle_log();
        let Cache { map, log, held, mut owed, .. } = self;
        drop(map);
        let mut dropped = Vec::new();
        for (k, v, cause) in std::mem::take(&mut *log.lock().unwrap()) {
            if cause == RemovalCause::Dropped {
                dropped.push((k, v));
            } else {
                finalized(&mut owed, k, v, cause);
            }
        }
        dropped.sort_unstable();
        let mut want: Vec<(u16, u32)> = held.into_iter().collect();
        want.sort_unstable();
        assert_eq!(dropped, want, "the values finalized as Dropped are those the cache held");
        assert!(owed.is_empty(), "left the cache but never finalized: {owed:?}");
    }
}

impl Calls for Cache {
    /// `insert(k, v)`.
    fn insert(&mut self, k: u16, v: u32) {
        let (old, stored) = self.store(k, v);
        // `true` if the key was new. The docs do not say what an insert whose value is
        // rejected returns: it returns `false` (nothing was stored).
        assert_eq!(self.map.insert(k, v), stored && old.is_none(), "insert({k}, {v})");
        self.evictions(stored.then_some(k));
    }

    /// `remove(k)`.
    fn remove(&mut self, k: u16) {
        let present = self.unhold(k, RemovalCause::Explicit);
        assert_eq!(self.map.remove(&k), present, "remove({k})");
        self.evictions(None);
    }

    /// `get_cloned(k)`.
    fn get(&mut self, k: u16) {
        assert_eq!(self.map.get_cloned(&k), self.held.get(&k).copied(), "get_cloned({k})");
        self.evictions(None);
    }

    /// `update(k, |x| x ^ v)`.
    fn update(&mut self, k: u16, v: u32) {
        let (present, written) = match self.held.get(&k) {
            Some(&x) => (true, self.store(k, x ^ v).1.then_some(k)),
            None => (false, None),
        };
        assert_eq!(self.map.update(k, |x| x ^ v), present, "update({k}, {v})");
        self.evictions(written);
    }

    /// `compute(k, |_| v)`.
    fn compute(&mut self, k: u16, v: Option<u32>) {
        // `true` if the key is present afterwards; `None` removes (`Explicit`).
        let present = match v {
            Some(v) => self.store(k, v).1,
            None => {
                self.unhold(k, RemovalCause::Explicit);
                false
            }
        };
        assert_eq!(self.map.compute(k, |_| v), present, "compute({k}, {v:?})");
        self.evictions(present.then_some(k));
    }

    /// `get_or_insert_with(k, || v)`.
    fn get_or_insert(&mut self, k: u16, v: u32) {
        let (want, written) = match self.held.get(&k) {
            Some(&x) => (x, None),
            None => (v, self.store(k, v).1.then_some(k)),
        };
        assert_eq!(self.map.get_or_insert_with(k, || v), want, "get_or_insert_with({k}, {v})");
        self.evictions(written);
    }

    /// `retain` the keys divisible by `d` (not 0).
    fn retain(&mut self, d: u16) {
        self.map.retain(|k, _| k % d == 0);
        for k in self.held.keys().copied().filter(|k| k % d != 0).collect::<Vec<_>>() {
            self.unhold(k, RemovalCause::Explicit);
        }
        self.evictions(None);
    }

    /// `clear()`.
    fn clear(&mut self) {
        self.map.clear();
        for k in self.held.keys().copied().collect::<Vec<_>>() {
            self.unhold(k, RemovalCause::Cleared);
        }
        self.evictions(None);
    }

    /// `pin().get(k)`.
    fn pinned_get(&mut self, k: u16) {
        assert_eq!(self.map.pin().get(&k), self.held.get(&k), "pin().get({k})");
        self.evictions(None);
    }

    /// `clone()`, and the copy replaces the original, which is parked: the next
    /// finalizer call drops it (a map dropped inside the finalizer it shares; a map
    /// parked earlier and not dropped yet is dropped here). The copy holds what the
    /// original held, under the same bound (storing nothing it must evict); the original
    /// finalizes every value it held as `Dropped`, once. The copy's stats start afresh.
    fn clone_map(&mut self) {
        let copy = self.map.clone();
        for (&k, &v) in &self.held {
            *self.owed.entry((k, v, RemovalCause::Dropped)).or_default() += 1;
        }
        let original = std::mem::replace(&mut self.map, copy);
        let earlier = self.parked.lock().unwrap().replace(original);
        drop(earlier);
        self.departed = [0; 7];
    }

    /// The map matches the model (contents, `len`, `weight`, bound, removal counts), and
    /// every value finalized so far was owed. (Values reach the finalizer after their
    /// call, once reclaimed: a later write, or the drop.)
    fn verify(&mut self) {
        let mut contents: Vec<(u16, u32)> = self.map.pin().iter().map(|(k, v)| (*k, *v)).collect();
        contents.sort_unstable();
        let mut want: Vec<(u16, u32)> = self.held.iter().map(|(&k, &v)| (k, v)).collect();
        want.sort_unstable();
        assert_eq!(contents, want, "the cache's contents");
        self.map.validate();
        assert_eq!(self.map.len(), self.held.len(), "len()");
        assert_eq!(self.map.weight(), self.weight(), "weight()");
        assert!(self.limit.holds(self.held.len(), self.weight()), "{:?} over its bound: {contents:?}", self.limit);
        let stats = self.map.stats();
        for cause in RemovalCause::ALL {
            assert_eq!(stats.removals(cause), self.departed[cause as usize], "{cause:?} removals");
        }
        self.settle_log();
    }
}

/// The finalizer received `(k, v, cause)`: it must be owed, once.
fn finalized(owed: &mut Model<(u16, u32, RemovalCause), usize>, k: u16, v: u32, cause: RemovalCause) {
    match owed.get_mut(&(k, v, cause)) {
        Some(n) if *n > 1 => *n -= 1,
        Some(_) => {
            owed.remove(&(k, v, cause));
        }
        None => panic!("finalized ({k}, {v}, {cause:?}), which is not owed with that cause"),
    }
}
