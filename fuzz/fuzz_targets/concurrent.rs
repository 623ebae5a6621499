//! `leakless::ConcurrentMap` against `std::collections::HashMap` (the model shared with
//! `tests/concurrent/model.rs`, in `tests/models/concurrent_map.rs`), `validate()` after
//! every op and the contents at the end; a second, bounded map (the cache, by entries,
//! weight or both) gets the same ops and is checked against a model of what it holds and
//! what its finalizer is owed: its evictions (whichever CLOCK picks) come only from writes
//! that store a value, never take the stored entry and stop once the bound holds; contents,
//! `len`, `weight`, the bound, return values and `stats().removals` match the model; every
//! value that left is finalized exactly once with its cause, and the drop finalizes the
//! rest as `Dropped`.
#![no_main]

use arbitrary::Arbitrary;
use leakless::{ConcurrentMap, DefaultHashBuilder};
use libfuzzer_sys::fuzz_target;

/// The bounded map's model, shared with `tests/concurrent/model.rs` (`bounded_model`).
#[path = "../../tests/models/concurrent_cache.rs"]
mod concurrent_cache;
use concurrent_cache::{Cache, Limit};
/// The unbounded map's model, shared with `tests/concurrent/model.rs` (`model`).
#[path = "../../tests/models/concurrent_map.rs"]
mod concurrent_map;
use concurrent_map::{Calls, Plain};

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
    Clone,
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

/// Applies `op` to either model (each call checked against it), then checks the whole
/// map.
fn apply(m: &mut impl Calls, op: &Op) {
    match *op {
        Op::Insert(k, v) => m.insert(k, v),
        Op::Remove(k) => m.remove(k),
        Op::Get(k) => m.get(k),
        Op::Update(k, v) => m.update(k, v),
        Op::Compute(k, v) => m.compute(k, v),
        Op::GetOrInsert(k, v) => m.get_or_insert(k, v),
        Op::Retain(d) => m.retain(u16::from(d.max(1))),
        Op::Clear => m.clear(),
        Op::PinnedGet(k) => m.pinned_get(k),
        Op::Clone => m.clone_map(),
        Op::InsertMany(start, n) => {
            for k in start..start.saturating_add(n % 2048) {
                m.insert(k, u32::from(k));
            }
        }
        Op::RemoveRange(start, n) => {
            for k in start..start.saturating_add(n % 2048) {
                m.remove(k);
            }
        }
    }
    m.verify();
}

fuzz_target!(|input: (Bound, Vec<Op>)| {
    let (bound, ops) = input;
    let mut plain = Plain::new(ConcurrentMap::with_hasher(fixed()));
    let mut cache = Cache::new(bound.into());
    for op in &ops {
        apply(&mut cache, op);
        apply(&mut plain, op);
    }
    plain.finish();
    cache.finish();
});
