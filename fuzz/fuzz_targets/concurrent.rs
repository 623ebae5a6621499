//! `leakless::ConcurrentMap` against `std::collections::HashMap` (the model shared with
//! `tests/concurrent.rs`, in `tests/models/concurrent_map.rs`), `validate()` after every
//! op and the contents at the end; a second, bounded map (the cache, by entries, weight
//! or both) gets the same ops and is checked against a model of what it holds and what
//! its finalizer is owed: its evictions (whichever CLOCK picks) come only from writes
//! that store a value, never take the stored entry and stop once the bound holds;
//! contents, `len`, `weight`, the bound, return values and `stats().removals` match the
//! model; every value that left is finalized exactly once with its cause, and the drop
//! finalizes the rest as `Dropped`.
#![no_main]

use arbitrary::Arbitrary;
use leakless::{ConcurrentMap, DefaultHashBuilder};
use libfuzzer_sys::fuzz_target;

/// The bounded map's model, shared with `tests/concurrent.rs` (`bounded_model`).
#[path = "../../tests/models/concurrent_cache.rs"]
mod concurrent_cache;
use concurrent_cache::{Cache, Limit};
/// The unbounded map's model, shared with `tests/concurrent.rs` (`model`).
#[path = "../../tests/models/concurrent_map.rs"]
mod concurrent_map;
use concurrent_map::Plain;

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
    let mut plain = Plain::new(ConcurrentMap::with_hasher(fixed()));
    let mut cache = Cache::new(bound.into());
    for op in ops {
        apply(&mut cache, &op);
        match op {
            Op::Insert(k, v) => plain.insert(k, v),
            Op::Remove(k) => plain.remove(k),
            Op::Get(k) => plain.get(k),
            Op::Update(k, v) => plain.update(k, v),
            Op::Compute(k, v) => plain.compute(k, v),
            Op::GetOrInsert(k, v) => plain.get_or_insert(k, v),
            Op::Retain(d) => plain.retain(u16::from(d.max(1))),
            Op::Clear => plain.clear(),
            Op::PinnedGet(k) => plain.pinned_get(k),
            Op::InsertMany(start, n) => {
                for k in start..start.saturating_add(n % 2048) {
                    plain.insert(k, u32::from(k));
                }
            }
            Op::RemoveRange(start, n) => {
                for k in start..start.saturating_add(n % 2048) {
                    plain.remove(k);
                }
            }
        }
        plain.verify();
    }
    plain.finish();
    cache.finish();
});
