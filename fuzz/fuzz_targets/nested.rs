//! `leakless::NestedMap` against flat models: two levels against
//! `std::collections::HashMap<(K1, K2), V>`, depth three against
//! `HashMap<(K1, K2, K3), V>`, and `Vec` / `VecDeque` inner collections (edited through
//! the guard and the closure) against `HashMap<K1, C>`. After every op:
//! `validate()` (no empty inner collection, leaf count right, tables valid), `len()` and
//! `outer_len()` equal the model's, and `stats()` equals counts kept beside the model —
//! for the depth-three map also each middle map's own, with `pruned` counting the inner
//! collections a guard, closure, `remove` or `retain` left empty at that level (not those
//! `remove_inner` or `clear` took). All are checked by the models shared with
//! `tests/nested.rs` (`tests/models/nested.rs`). The `Lru*` ops drive a map of bounded
//! `LruMap`s against one LRU model per key (`tests/models/nested_lru.rs`).
//!
//! (Panics inside guards are tested in `tests/nested.rs`: libFuzzer's panic hook aborts.)
#![no_main]

use std::collections::VecDeque;

use arbitrary::Arbitrary;
use leakless::HashMap;
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/models/nested.rs"]
#[allow(dead_code)] // the panicking collection ops: `tests/nested.rs` only
mod model;

#[path = "../../tests/models/lru.rs"]
#[allow(dead_code)] // its whole-map driver: `tests/lru.rs` and the `lru` target
mod lru_model;

#[path = "../../tests/models/nested_lru.rs"]
mod nested_lru;

use model::{Coll, Colls, Fixed, Three, Two};
use nested_lru::{LruInner, LruOp};

#[derive(Arbitrary, Debug)]
enum Op {
    Insert(u8, u8, u16),
    Remove(u8, u8),
    Get(u8, u8),
    GetMut(u8, u8, u16),
    RemoveInner(u8),
    /// Through the guard: keep the inner keys at or above the bound, maybe insert one.
    Guard(u8, u8, bool),
    /// Through the closure: empty the inner map.
    EmptyInner(u8),
    Retain(u8),
    Clear,
    Insert3(u8, u8, u8, u16),
    Remove3(u8, u8, u8),
    Get3(u8, u8, u8),
    GetMut3(u8, u8, u8, u16),
    Retain3(u8),
    /// Through both guards: empty the `(a, b)` level of the depth-three map.
    EmptyMid(u8, u8),
    /// Through the outer guard: `remove_inner(b)` on the middle map of `a`.
    RemoveMid(u8, u8),
    /// The sequence models' ops (see `Colls`), minus the panicking ones.
    SeqAdd(u8, u32, u8),
    SeqAddIfPresent(u8, u32),
    SeqTake(u8, u8),
    SeqTakeClosure(u8),
    SeqKeep(u8, u32),
    SeqEmpty(u8),
    SeqTouch(u8),
    SeqRemoveInner(u8),
    SeqInsertInner(u8, u32, u8),
    SeqCheck,
    /// An op of the inner-`LruMap` model (`Clear` also clears it).
    Lru(LruOp),
}

/// The op for the inner-`LruMap` model, if it is one.
fn lru_op(op: &Op) -> Option<LruOp> {
    match *op {
        Op::Lru(op) => Some(op),
        Op::Clear => Some(LruOp::Clear),
        _ => None,
    }
}

/// Applies the sequence ops (and `Clear`) to one sequence model; other ops leave it
/// alone.
fn seq<C: Coll>(c: &mut Colls<C>, op: &Op) {
    match *op {
        Op::SeqAdd(a, v, n) => c.add(a, v, n % 8),
        Op::SeqAddIfPresent(a, v) => c.add_if_present(a, v),
        Op::SeqTake(a, n) => c.take(a, n % 8),
        Op::SeqTakeClosure(a) => c.take_closure(a),
        Op::SeqKeep(a, m) => c.keep(a, m.max(1)),
        Op::SeqEmpty(a) => c.empty(a),
        Op::SeqTouch(a) => c.touch(a),
        Op::SeqRemoveInner(a) => c.remove_inner(a),
        Op::SeqInsertInner(a, v, n) => c.insert_inner(a, v, n % 4),
        Op::SeqCheck => c.check(),
        Op::Clear => c.clear(),
        _ => {}
    }
}

fuzz_target!(|input: (u8, u8, Vec<Op>)| {
    let (n, w, ops) = input;
    let mut lrus = LruInner::new(leakless::Capacity::entries(usize::from(n % 6)).with_max_weight(u64::from(w % 16)));
    let mut two = Two::<HashMap<u8, u16, Fixed>>::new();
    let mut three = Three::<u16>::new();
    let mut vecs = Colls::<Vec<u32>>::new();
    let mut deques = Colls::<VecDeque<u32>>::new();

    for op in ops {
        seq(&mut vecs, &op);
        seq(&mut deques, &op);
        if let Some(op) = lru_op(&op) {
            lrus.apply(op);
        }
        match op {
            Op::Insert(a, b, v) => two.insert(a, b, v),
            Op::Remove(a, b) => two.remove(a, b),
            Op::Get(a, b) => two.get(a, b),
            Op::GetMut(a, b, v) => two.get_mut(a, b, v),
            Op::RemoveInner(a) => two.remove_inner(a),
            Op::Guard(a, bound, add) => two.guard(a, bound, add.then_some((bound, 7))),
            Op::EmptyInner(a) => two.empty_inner(a, |m| m.clear()),
            Op::Retain(m) => {
                let m = u16::from(m.max(1));
                two.retain(|a, b, v| (u16::from(a) ^ u16::from(b) ^ v) % m != 0);
            }
            Op::Clear => {
                two.clear();
                three.clear();
            }
            Op::Insert3(a, b, c, v) => three.insert3(a, b, c, v),
            Op::Remove3(a, b, c) => three.remove3(a, b, c),
            Op::Get3(a, b, c) => three.get3(a, b, c),
            Op::GetMut3(a, b, c, v) => three.get3_mut(a, b, c, v),
            Op::Retain3(m) => {
                let m = u16::from(m.max(1));
                three.retain3(|a, b, c, v| (u16::from(a) ^ u16::from(b) ^ u16::from(c) ^ v) % m != 0);
            }
            Op::EmptyMid(a, b) => three.empty_mid(a, b),
            Op::RemoveMid(a, b) => three.remove_mid(a, b),
            _ => {}
        }
    }
    two.check();
    three.check();
});
