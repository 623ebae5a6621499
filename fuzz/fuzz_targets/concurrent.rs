//! `leakless::ConcurrentMap` against `std::collections::HashMap`, `validate()` after every
//! op; a second, bounded map (the cache, by entries, weight or both) gets the same ops and
//! is checked against a model of what it holds and what its finalizer is owed: its
//! evictions (whichever CLOCK picks) come only from writes that store a value, never take
//! the stored entry and stop once the bound holds; contents, `len`, `weight`, the bound,
//! return values and `stats().removals` match the model; every value that left is
//! finalized exactly once with its cause, and the drop finalizes the rest as `Dropped`.
#![no_main]

use std::collections::HashMap as Model;
use std::sync::{Arc, Mutex};

use arbitrary::Arbitrary;
use leakless::{ConcurrentMap, DefaultHashBuilder, RemovalCause};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Insert(u16, u32),
    Remove(u16),
    Get(u16),
    Update(u16, u32),
    Compute(u16, Option<u32>),
    GetOrInsert(u16, u32),
    Retain(u8),
    Clear,
    PinnedGet(u16),
    InsertMany(u16, u16),
    RemoveRange(u16, u16),
}

/// The cache's bound: entries (every entry weighs 1), weight (by [`weigh`]), or both.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Limit {
    Entries(u8),
    Weight(u8),
    Both(u8, u8),
}

/// The weight-bounded caches' weigher: 1 to 4.
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
            Limit::Entries(n) => len <= usize::from(n),
            Limit::Weight(w) => weight <= u64::from(w),
            Limit::Both(n, w) => len <= usize::from(n) && weight <= u64::from(w),
        }
    }
}

fn fixed() -> DefaultHashBuilder {
    DefaultHashBuilder::with_seeds(1, 2, 3, 4)
}

/// What the finalizer received, in order.
type Log = Arc<Mutex<Vec<(u16, u32, RemovalCause)>>>;

/// The bounded map and its model.
struct Cache {
    limit: Limit,
    map: ConcurrentMap<u16, u32, DefaultHashBuilder>,
    log: Log,
    /// What the map holds.
    held: Model<u16, u32>,
    /// Values that left the map and were not finalized yet (a multiset).
    owed: Model<(u16, u32, RemovalCause), usize>,
    /// Values that left, by cause (what `stats().removals` counts when they leave).
    departed: [u64; 7],
}

impl Cache {
    fn new(limit: Limit) -> Self {
        let log: Log = Arc::default();
        let l = Arc::clone(&log);
        let b = ConcurrentMap::builder()
            .hasher(fixed())
            .finalizer(move |k: u16, v: u32, cause: RemovalCause| l.lock().unwrap().push((k, v, cause)));
        let map = match limit {
            Limit::Entries(n) => b.max_entries(usize::from(n)),
            Limit::Weight(w) => b.max_weight(u64::from(w)).weigher(weigh),
            Limit::Both(n, w) => b.max_entries(usize::from(n)).max_weight(u64::from(w)).weigher(weigh),
        }
        .build();
        Cache { limit, map, log, held: Model::new(), owed: Model::new(), departed: [0; 7] }
    }

    fn weight(&self) -> u64 {
        self.held.values().map(|&v| self.limit.weight_of(v)).sum()
    }

    fn depart(&mut self, k: u16, v: u32, cause: RemovalCause) {
        *self.owed.entry((k, v, cause)).or_default() += 1;
        self.departed[cause as usize] += 1;
    }

    /// The model of storing `v` under `k`: the old value leaves as `Replaced`; a value
    /// that alone exceeds the bound is not stored and leaves as `Rejected`. Returns the
    /// old value and whether `v` was stored.
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

    /// `insert`, checked against the model; the key it stored, if any.
    fn insert(&mut self, k: u16, v: u32) -> Option<u16> {
        let (old, stored) = self.store(k, v);
        // `true` if the key was new; a rejected value stores nothing (`false`).
        assert_eq!(self.map.insert(k, v), stored && old.is_none(), "insert({k}, {v})");
        stored.then_some(k)
    }

    fn remove(&mut self, k: u16) {
        let present = self.unhold(k, RemovalCause::Explicit);
        assert_eq!(self.map.remove(&k), present, "remove({k})");
    }

    /// Applies `op` to the map and the model, finds each call's evictions, and checks
    /// the map against the model at the end.
    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Insert(k, v) => {
                let written = self.insert(k, v);
                self.evictions(written);
            }
            Op::Remove(k) => self.remove(k),
            Op::Get(k) => assert_eq!(self.map.get_cloned(&k), self.held.get(&k).copied()),
            Op::Update(k, v) => {
                let (present, written) = match self.held.get(&k) {
                    Some(&x) => (true, self.store(k, x ^ v).1.then_some(k)),
                    None => (false, None),
                };
                assert_eq!(self.map.update(k, |x| x ^ v), present, "update({k})");
                self.evictions(written);
            }
            Op::Compute(k, v) => {
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
            Op::GetOrInsert(k, v) => {
                let (want, written) = match self.held.get(&k) {
                    Some(&x) => (x, None),
                    None => (v, self.store(k, v).1.then_some(k)),
                };
                assert_eq!(self.map.get_or_insert_with(k, || v), want, "get_or_insert_with({k})");
                self.evictions(written);
            }
            Op::Retain(d) => {
                let d = u16::from(d.max(1));
                self.map.retain(|k, _| k % d == 0);
                for k in self.held.keys().copied().filter(|k| k % d != 0).collect::<Vec<_>>() {
                    self.unhold(k, RemovalCause::Explicit);
                }
            }
            Op::Clear => {
                self.map.clear();
                for k in self.held.keys().copied().collect::<Vec<_>>() {
                    self.unhold(k, RemovalCause::Cleared);
                }
            }
            Op::PinnedGet(k) => assert_eq!(self.map.pin().get(&k), self.held.get(&k)),
            Op::InsertMany(start, n) => {
                for k in start..start.saturating_add(n % 2048) {
                    let written = self.insert(k, u32::from(k));
                    self.evictions(written);
                }
            }
            Op::RemoveRange(start, n) => {
                for k in start..start.saturating_add(n % 2048) {
                    self.remove(k);
                }
            }
        }
        // Calls that store nothing evict nothing: `verify` finds no entry missing.
        self.verify();
    }

    /// After a call that stored a value under `written` (or `None`): the entries the
    /// model holds and the map does not are that call's evictions. Checks them (never
    /// the stored entry; only while over the bound) and moves them from the model to
    /// what the finalizer is owed. (Each eviction lowers `len()`; `verify` then checks
    /// the contents.)
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

    /// The map matches the model (contents, `len`, `weight`, bound, removal counts), and
    /// every value finalized so far was owed.
    fn verify(&mut self) {
        let mut contents: Vec<(u16, u32)> = self.map.pin().iter().map(|(k, v)| (*k, *v)).collect();
        contents.sort_unstable();
        let mut want: Vec<(u16, u32)> = self.held.iter().map(|(&k, &v)| (k, v)).collect();
        want.sort_unstable();
        assert_eq!(contents, want, "the cache's contents");
        self.map.validate();
        assert_eq!(self.map.len(), self.held.len());
        assert_eq!(self.map.weight(), self.weight());
        assert!(self.limit.holds(self.held.len(), self.weight()), "over the bound {:?}", self.limit);
        let stats = self.map.stats();
        for cause in RemovalCause::ALL {
            assert_eq!(stats.removals(cause), self.departed[cause as usize], "{cause:?} removals");
        }
        // Values reach the finalizer after their call, once reclaimed.
        let events = std::mem::take(&mut *self.log.lock().unwrap());
        for (k, v, cause) in events {
            finalized(&mut self.owed, k, v, cause);
        }
    }

    /// Drops the map: it finalizes what it holds as `Dropped`, and nothing stays owed.
    fn finish(self) {
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

fuzz_target!(|input: (Limit, Vec<Op>)| {
    let (limit, ops) = input;
    let map: ConcurrentMap<u16, u32, _> = ConcurrentMap::with_hasher(fixed());
    let mut model: Model<u16, u32> = Model::new();
    let mut cache = Cache::new(limit);
    for op in ops {
        cache.apply(&op);
        match op {
            Op::Insert(k, v) => assert_eq!(map.insert(k, v), model.insert(k, v).is_none()),
            Op::Remove(k) => assert_eq!(map.remove(&k), model.remove(&k).is_some()),
            Op::Get(k) => assert_eq!(map.get_cloned(&k), model.get(&k).copied()),
            Op::Update(k, v) => {
                let present = model.get_mut(&k).map(|x| *x ^= v).is_some();
                assert_eq!(map.update(k, |x| x ^ v), present);
            }
            Op::Compute(k, v) => {
                match v {
                    Some(v) => {
                        model.insert(k, v);
                    }
                    None => {
                        model.remove(&k);
                    }
                }
                assert_eq!(map.compute(k, |_| v), v.is_some());
            }
            Op::GetOrInsert(k, v) => {
                let want = *model.entry(k).or_insert(v);
                assert_eq!(map.get_or_insert_with(k, || v), want);
            }
            Op::Retain(d) => {
                let d = u16::from(d.max(1));
                map.retain(|k, _| k % d == 0);
                model.retain(|k, _| k % d == 0);
            }
            Op::Clear => {
                map.clear();
                model.clear();
            }
            Op::PinnedGet(k) => {
                let p = map.pin();
                assert_eq!(p.get(&k), model.get(&k));
                assert_eq!(p.iter().count(), model.len());
            }
            Op::InsertMany(start, n) => {
                for k in start..start.saturating_add(n % 2048) {
                    map.insert(k, u32::from(k));
                    model.insert(k, u32::from(k));
                }
            }
            Op::RemoveRange(start, n) => {
                for k in start..start.saturating_add(n % 2048) {
                    map.remove(&k);
                    model.remove(&k);
                }
            }
        }
        map.validate();
        assert_eq!(map.len(), model.len());
    }
    cache.finish();
});
