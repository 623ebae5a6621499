//! `leakless::LruMap` against the weighted `VecDeque` LRU model shared with `tests/lru.rs`
//! (`tests/models/lru.rs`): bound by entries and weight, `validate()` after every op,
//! every value finalized (with its cause, in order) or handed back exactly once. The same ops then drive a `WTinyLfu` map against the model of its
//! live entries shared with `tests/lru.rs` (`tests/models/tinylfu.rs`), which does not
//! predict victims.
#![no_main]

use std::rc::Rc;

use arbitrary::Arbitrary;
use leakless::{Capacity, LruMap, RemovalCause, WTinyLfu};
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/models/tinylfu.rs"]
mod tinylfu;

#[path = "../../tests/models/lru.rs"]
mod lru_model;

use lru_model::{Log, WOp};
use tinylfu::TinyOp;

#[derive(Arbitrary, Debug)]
enum Op {
    Insert(u8, u16),
    Push(u8, u16),
    Get(u8),
    GetMut(u8, u16),
    IterMut(u16),
    Peek(u8),
    Contains(u8),
    Remove(u8),
    PopLru,
    PeekLru,
    GetOrInsert(u8, u16),
    SetLimit(u8, u8),
    Retain(u8),
    Clear,
}

fn capacity(n: u8, w: u8) -> Capacity {
    Capacity::entries(usize::from(n % 32)).with_max_weight(u64::from(w % 64))
}

fuzz_target!(|input: (u8, u8, Vec<Op>)| {
    let (n, w, ops) = input;
    let limit = capacity(n, w);
    let log: Log = Rc::default();
    let l = log.clone();
    let map = LruMap::builder()
        .limit(limit)
        .hasher(leakless::DefaultHashBuilder::with_seeds(1, 2, 3, 4))
        .weigher(|_: &u8, v: &u32| u64::from(v % 5))
        .finalizer(move |k: u8, v: u32, c: RemovalCause| l.borrow_mut().push((k, v, c)))
        .build();
    let wops = ops.iter().map(|op| match *op {
        Op::Insert(k, v) => WOp::Insert(k, v.into()),
        Op::Push(k, v) => WOp::Push(k, v.into()),
        Op::Get(k) => WOp::Get(k),
        Op::GetMut(k, v) => WOp::GetMut(k, v.into()),
        Op::IterMut(add) => WOp::IterMut(add.into()),
        Op::Peek(k) => WOp::Peek(k),
        Op::Contains(k) => WOp::Contains(k),
        Op::Remove(k) => WOp::Remove(k),
        Op::PopLru => WOp::PopLru,
        Op::PeekLru => WOp::PeekLru,
        Op::GetOrInsert(k, v) => WOp::GetOrInsert(k, v.into()),
        Op::SetLimit(n, w) => WOp::SetLimit(capacity(n, w)),
        Op::Retain(m) => WOp::Retain(m),
        Op::Clear => WOp::Clear,
    });
    lru_model::check(map, &log, |v| u64::from(v % 5), wops);
    tiny(limit, &ops);
});

/// The ops on a `WTinyLfu` map (same limit and hasher; values weigh `raw % 8 % 5`), against
/// the live-entry model of `tests/models/tinylfu.rs`.
fn tiny(limit: Capacity, ops: &[Op]) {
    let log: Log = Rc::default();
    let l = log.clone();
    let map = LruMap::builder()
        .limit(limit)
        .hasher(leakless::DefaultHashBuilder::with_seeds(1, 2, 3, 4))
        .policy(WTinyLfu::default())
        .weigher(|_: &u8, v: &u32| u64::from(v % 8 % 5))
        .finalizer(move |k: u8, v: u32, c: RemovalCause| l.borrow_mut().push((k, v, c)))
        .build();
    let ops = ops.iter().filter_map(|op| {
        Some(match *op {
            Op::Insert(k, v) => TinyOp::Insert(k, v),
            Op::Push(k, v) => TinyOp::Push(k, v),
            Op::Get(k) => TinyOp::Get(k),
            Op::GetMut(k, _) => TinyOp::GetMut(k),
            // The live-entry model has no `iter_mut`.
            Op::IterMut(_) => return None,
            Op::Peek(k) => TinyOp::Peek(k),
            Op::Contains(k) => TinyOp::Contains(k),
            Op::Remove(k) => TinyOp::Remove(k),
            Op::PopLru => TinyOp::PopLru,
            Op::PeekLru => TinyOp::PeekLru,
            Op::GetOrInsert(k, v) => TinyOp::GetOrInsert(k, v),
            Op::SetLimit(n, w) => TinyOp::SetLimit(capacity(n, w)),
            Op::Retain(m) => TinyOp::Retain(m),
            Op::Clear => TinyOp::Clear,
        })
    });
    tinylfu::check(map, &log, |v| u64::from(v % 8 % 5), ops);
}
