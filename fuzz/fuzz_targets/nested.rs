//! `leakless::NestedMap` against flat models: two levels against
//! `std::collections::HashMap<(K1, K2), V>`, depth three against
//! `HashMap<(K1, K2, K3), V>`, and `Vec` / `VecDeque` inner collections (edited through
//! the guard and the closure) against `HashMap<K1, Vec<V>>`. After every op:
//! `validate()` (no empty inner collection, leaf count right, tables valid), `len()` and
//! `outer_len()` equal the model's, and `stats()` equals counts kept beside the model —
//! for the depth-three map also each middle map's own, with `pruned` counting the inner
//! collections a guard, closure, `remove` or `retain` left empty at that level (not those
//! `remove_inner` or `clear` took). The two maps are checked by the model shared with
//! `tests/nested.rs` (`tests/models/nested.rs`); the sequences here.
//!
//! (Panics inside guards are tested in `tests/nested.rs`: libFuzzer's panic hook aborts.)
#![no_main]

use std::collections::{HashMap as Model, VecDeque};

use arbitrary::Arbitrary;
use leakless::{HashMap, NestedMap};
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/models/nested.rs"]
mod model;

use model::{fixed, Counts, Fixed, Three, Two};

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
    /// `inner_mut(a)` on the sequences (made if absent): push `n` values from `v` on.
    SeqPush(u8, u16, u8),
    /// `get_inner_mut(&a)`: pop `n` from the back.
    SeqPop(u8, u8),
    /// `with_inner_mut(&a, ..)`: truncate to `n`.
    SeqTruncate(u8, u8),
    /// `inner_mut(a)`, changing nothing: an absent key is made and pruned at once.
    SeqTouch(u8),
    SeqRemoveInner(u8),
}

fuzz_target!(|ops: Vec<Op>| {
    let mut two = Two::<HashMap<u8, u16, Fixed>>::new();
    let mut three = Three::<u16>::new();
    let mut vecs: NestedMap<u8, Vec<u16>, Fixed> = NestedMap::with_hasher(fixed());
    let mut deques: NestedMap<u8, VecDeque<u16>, Fixed> = NestedMap::with_hasher(fixed());
    let mut seqs: Model<u8, Vec<u16>> = Model::new();
    let mut want_seq = Counts::default();

    for op in ops {
        let before_seq = seqs.clone();
        // The group a guard made with `inner_mut` opened (pruned if left empty, even if it
        // was absent).
        let mut opened_seq = None;
        let is_clear = matches!(op, Op::Clear);
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
                vecs.clear();
                deques.clear();
                seqs.clear();
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
            Op::SeqPush(a, v, n) => {
                opened_seq = Some(a);
                let (mut gv, mut gd) = (vecs.inner_mut(a), deques.inner_mut(a));
                let m = seqs.entry(a).or_default();
                for i in 0..u16::from(n % 8) {
                    gv.push(v.wrapping_add(i));
                    gd.push_back(v.wrapping_add(i));
                    m.push(v.wrapping_add(i));
                }
            }
            Op::SeqPop(a, n) => {
                let n = n % 8;
                let got_v: Option<Vec<_>> = vecs.get_inner_mut(&a).map(|mut g| (0..n).map(|_| g.pop()).collect());
                let got_d: Option<Vec<_>> =
                    deques.get_inner_mut(&a).map(|mut g| (0..n).map(|_| g.pop_back()).collect());
                let want: Option<Vec<_>> = seqs.get_mut(&a).map(|m| (0..n).map(|_| m.pop()).collect());
                opened_seq = want.as_ref().map(|_| a);
                assert_eq!(got_v, want);
                assert_eq!(got_d, want);
            }
            Op::SeqTruncate(a, n) => {
                let n = usize::from(n % 8);
                assert_eq!(vecs.with_inner_mut(&a, |v| v.truncate(n)).is_some(), seqs.contains_key(&a));
                assert_eq!(deques.with_inner_mut(&a, |v| v.truncate(n)).is_some(), seqs.contains_key(&a));
                if let Some(m) = seqs.get_mut(&a) {
                    opened_seq = Some(a);
                    m.truncate(n);
                }
            }
            Op::SeqTouch(a) => {
                opened_seq = Some(a);
                assert_eq!(vecs.inner_mut(a).len(), seqs.get(&a).map_or(0, Vec::len));
                assert_eq!(deques.inner_mut(a).len(), seqs.get(&a).map_or(0, Vec::len));
            }
            Op::SeqRemoveInner(a) => {
                let want = seqs.remove(&a);
                assert_eq!(vecs.remove_inner(&a), want);
                assert_eq!(deques.remove_inner(&a).map(|d| d.len()), want.map(|v| v.len()));
            }
        }
        seqs.retain(|_, m| !m.is_empty());

        vecs.validate();
        deques.validate();
        let leaves = |m: &Model<u8, Vec<u16>>| m.values().map(Vec::len).sum::<usize>();
        assert_eq!(vecs.len(), leaves(&seqs));
        assert_eq!(deques.len(), leaves(&seqs));
        assert_eq!(vecs.outer_len(), seqs.len());
        assert_eq!(deques.outer_len(), seqs.len());
        for (a, m) in &seqs {
            assert_eq!(vecs.get_inner(a), Some(m));
            assert!(deques.get_inner(a).is_some_and(|d| d.iter().eq(m)));
        }
        if is_clear {
            want_seq.cleared += leaves(&before_seq) as u64;
        } else {
            want_seq.net(leaves(&before_seq), leaves(&seqs));
            if opened_seq.is_some_and(|a| !seqs.contains_key(&a)) {
                want_seq.pruned += 1;
            }
        }
        assert_eq!(Counts::of(vecs.stats()), want_seq, "Vec stats");
        assert_eq!(Counts::of(deques.stats()), want_seq, "VecDeque stats");
    }
    two.check();
    three.check();
});
