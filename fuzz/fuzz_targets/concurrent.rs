//! `leakless::ConcurrentMap` against `std::collections::HashMap`, `validate()` after every
//! op; a second, bounded map (the cache, by entries, weight or both) gets the same ops and
//! is checked against a model of what it holds and what its finalizer is owed: its
//! evictions (whichever CLOCK picks) come only from writes that store a value, never take
//! the stored entry and stop once the bound holds; contents, `len`, `weight`, the bound,
//! return values and `stats().removals` match the model; every value that left is
//! finalized exactly once with its cause, and the drop finalizes the rest as `Dropped`.
#![no_main]

use std::collections::HashMap as Model;

use arbitrary::Arbitrary;
use leakless::{ConcurrentMap, DefaultHashBuilder};
use libfuzzer_sys::fuzz_target;

/// The bounded map's model, shared with `tests/concurrent.rs` (`bounded_model`).
#[path = "../../tests/models/concurrent_cache.rs"]
mod concurrent_cache;
use concurrent_cache::{Cache, Limit};

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

/// The cache's bound, as [`Limit`] (entries, weight or both) with small bounds.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Bound {
    Entries(u8),
    Weight(u8),
    Both(u8, u8),
}

impl From<Bound> for Limit {
    fn from(b: Bound) -> Limit {
        match b {
            Bound::Entries(n) => Limit::Entries(usize::from(n)),
            Bound::Weight(w) => Limit::Weight(u64::from(w)),
            Bound::Both(n, w) => Limit::Both(usize::from(n), u64::from(w)),
        }
    }
}

fn fixed() -> DefaultHashBuilder {
    DefaultHashBuilder::with_seeds(1, 2, 3, 4)
}

/// Applies `op` to the cache (each call checked against its model), then checks the
/// cache against the model.
fn apply(cache: &mut Cache, op: &Op) {
    match *op {
        Op::Insert(k, v) => cache.insert(k, v),
        Op::Remove(k) => cache.remove(k),
        Op::Get(k) => cache.get(k),
        Op::Update(k, v) => cache.update(k, v),
        Op::Compute(k, v) => cache.compute(k, v),
        Op::GetOrInsert(k, v) => cache.get_or_insert(k, v),
        Op::Retain(d) => cache.retain(u16::from(d.max(1))),
        Op::Clear => cache.clear(),
        Op::PinnedGet(k) => cache.pinned_get(k),
        Op::InsertMany(start, n) => {
            for k in start..start.saturating_add(n % 2048) {
                cache.insert(k, u32::from(k));
            }
        }
        Op::RemoveRange(start, n) => {
            for k in start..start.saturating_add(n % 2048) {
                cache.remove(k);
            }
        }
    }
    cache.verify();
}

fuzz_target!(|input: (Bound, Vec<Op>)| {
    let (bound, ops) = input;
    let map: ConcurrentMap<u16, u32, _> = ConcurrentMap::with_hasher(fixed());
    let mut model: Model<u16, u32> = Model::new();
    let mut cache = Cache::new(bound.into());
    for op in ops {
        apply(&mut cache, &op);
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
