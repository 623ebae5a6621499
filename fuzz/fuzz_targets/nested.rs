//! `leakless::NestedMap` against flat models: two levels against
//! `std::collections::HashMap<(K1, K2), V>`, depth three against
//! `HashMap<(K1, K2, K3), V>`, and `Vec` / `VecDeque` inner collections (edited through
//! the guard and the closure) against `HashMap<K1, Vec<V>>`. After every op:
//! `validate()` (no empty inner collection, leaf count right, tables valid), `len()` and
//! `outer_len()` equal the model's, and `stats()` equals counts kept beside the model —
//! for the depth-three map also each middle map's own (lookups aside), with `pruned`
//! counting the inner collections a guard, closure, `remove` or `retain` left empty at
//! that level (not those `remove_inner` or `clear` took).
//!
//! (Panics inside guards are tested in `tests/nested.rs`: libFuzzer's panic hook aborts.)
#![no_main]

use std::collections::{HashMap as Model, HashSet, VecDeque};

use arbitrary::Arbitrary;
use leakless::{HashMap, NestedMap, RemovalCause};
use libfuzzer_sys::fuzz_target;

type Fixed = leakless::DefaultHashBuilder;
type Two = NestedMap<u8, HashMap<u8, u16, Fixed>, Fixed>;
type Three = NestedMap<u8, NestedMap<u8, HashMap<u8, u16, Fixed>, Fixed>, Fixed>;

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

fn fixed() -> Fixed {
    Fixed::with_seeds(1, 2, 3, 4)
}

/// What `stats()` must say.
#[derive(Debug, Default, PartialEq)]
struct Counts {
    insertions: u64,
    explicit: u64,
    replaced: u64,
    cleared: u64,
    hits: u64,
    misses: u64,
    pruned: u64,
}

impl Counts {
    fn of(s: leakless::Stats) -> Self {
        Counts {
            insertions: s.insertions,
            explicit: s.removals(RemovalCause::Explicit),
            replaced: s.removals(RemovalCause::Replaced),
            cleared: s.removals(RemovalCause::Cleared),
            hits: s.hits,
            misses: s.misses,
            pruned: s.pruned,
        }
    }

    /// Net growth counts as insertions, net shrinkage as explicit removals.
    fn net(&mut self, before: usize, after: usize) {
        if after > before {
            self.insertions += (after - before) as u64;
        } else {
            self.explicit += (before - after) as u64;
        }
    }

    fn lookups(&mut self, hit: bool, n: u64) {
        if hit {
            self.hits += n;
        } else {
            self.misses += n;
        }
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let mut two: Two = NestedMap::with_hasher(fixed());
    let mut model: Model<(u8, u8), u16> = Model::new();
    let mut want2 = Counts::default();
    let mut three: Three = NestedMap::with_hasher(fixed());
    let mut model3: Model<(u8, u8, u8), u16> = Model::new();
    let mut want3 = Counts::default();
    // Each middle map's own stats (lookups aside), while it exists.
    let mut mids: Model<u8, Counts> = Model::new();
    let mut vecs: NestedMap<u8, Vec<u16>, Fixed> = NestedMap::with_hasher(fixed());
    let mut deques: NestedMap<u8, VecDeque<u16>, Fixed> = NestedMap::with_hasher(fixed());
    let mut seqs: Model<u8, Vec<u16>> = Model::new();
    let mut want_seq = Counts::default();

    for op in ops {
        let before2 = model.clone();
        let before3 = model3.clone();
        let before_seq = seqs.clone();
        // Whether the op may prune what it empties at each map (`remove_inner` and
        // `clear` take inner collections away without pruning them), and the group a
        // guard made with `inner_mut` opened (pruned if left empty, even if it was
        // absent).
        let (mut prunes2, mut prunes_mid) = (true, true);
        let (mut opened2, mut opened_seq) = (None, None);
        let is_clear = matches!(op, Op::Clear);
        match op {
            Op::Insert(a, b, v) => {
                let old = model.insert((a, b), v);
                want2.replaced += u64::from(old.is_some());
                assert_eq!(two.insert(a, b, v), old);
            }
            Op::Remove(a, b) => assert_eq!(two.remove(&a, &b), model.remove(&(a, b))),
            Op::Get(a, b) => {
                let bytes = two.allocation_size();
                assert_eq!(two.get(&a, &b), model.get(&(a, b)));
                assert_eq!(two.contains(&a, &b), model.contains_key(&(a, b)));
                assert_eq!(two.allocation_size(), bytes);
                want2.lookups(model.contains_key(&(a, b)), 2);
            }
            Op::GetMut(a, b, v) => {
                let x = two.get_mut(&a, &b).map(|x| std::mem::replace(x, v));
                let y = model.get_mut(&(a, b)).map(|x| std::mem::replace(x, v));
                want2.lookups(y.is_some(), 1);
                assert_eq!(x, y);
            }
            Op::RemoveInner(a) => {
                prunes2 = false;
                let n = two.remove_inner(&a).map_or(0, |m| m.len());
                let before = model.len();
                model.retain(|(x, _), _| *x != a);
                assert_eq!(n, before - model.len());
            }
            Op::Guard(a, bound, add) => {
                opened2 = Some(a);
                let mut g = two.inner_mut(a);
                g.retain(|k, _| *k >= bound);
                model.retain(|(x, k), _| *x != a || *k >= bound);
                if add {
                    let old = model.insert((a, bound), 7);
                    assert_eq!(g.insert(bound, 7), old);
                }
            }
            Op::EmptyInner(a) => {
                let had = model.keys().any(|(x, _)| *x == a);
                assert_eq!(two.with_inner_mut(&a, |m| m.clear()).is_some(), had);
                model.retain(|(x, _), _| *x != a);
            }
            Op::Retain(m) => {
                let m = u16::from(m.max(1));
                two.retain(|a, b, v| (u16::from(*a) ^ u16::from(*b) ^ *v) % m != 0);
                model.retain(|(a, b), v| (u16::from(*a) ^ u16::from(*b) ^ *v) % m != 0);
            }
            Op::Clear => {
                two.clear();
                model.clear();
                three.clear();
                model3.clear();
                vecs.clear();
                deques.clear();
                seqs.clear();
            }
            Op::Insert3(a, b, c, v) => {
                let old = model3.insert((a, b, c), v);
                if old.is_some() {
                    want3.replaced += 1;
                    mids.entry(a).or_default().replaced += 1;
                }
                assert_eq!(three.insert3(a, b, c, v), old);
            }
            Op::Remove3(a, b, c) => assert_eq!(three.remove3(&a, &b, &c), model3.remove(&(a, b, c))),
            Op::Get3(a, b, c) => {
                assert_eq!(three.get3(&a, &b, &c), model3.get(&(a, b, c)));
                assert_eq!(three.contains3(&a, &b, &c), model3.contains_key(&(a, b, c)));
                want3.lookups(model3.contains_key(&(a, b, c)), 2);
            }
            Op::GetMut3(a, b, c, v) => {
                let x = three.get3_mut(&a, &b, &c).map(|x| std::mem::replace(x, v));
                let y = model3.get_mut(&(a, b, c)).map(|x| std::mem::replace(x, v));
                want3.lookups(y.is_some(), 1);
                assert_eq!(x, y);
            }
            Op::Retain3(m) => {
                let m = u16::from(m.max(1));
                three.retain3(|a, b, c, v| (u16::from(*a) ^ u16::from(*b) ^ u16::from(*c) ^ *v) % m != 0);
                model3.retain(|(a, b, c), v| (u16::from(*a) ^ u16::from(*b) ^ u16::from(*c) ^ *v) % m != 0);
            }
            Op::EmptyMid(a, b) => {
                if let Some(mut mid) = three.get_inner_mut(&a) {
                    if let Some(mut inner) = mid.get_inner_mut(&b) {
                        inner.clear();
                    }
                }
                model3.retain(|(x, y, _), _| (*x, *y) != (a, b));
            }
            Op::RemoveMid(a, b) => {
                prunes_mid = false;
                let got = three.get_inner_mut(&a).and_then(|mut mid| mid.remove_inner(&b)).map(|m| m.len());
                let n = model3.keys().filter(|(x, y, _)| (*x, *y) == (a, b)).count();
                model3.retain(|(x, y, _), _| (*x, *y) != (a, b));
                assert_eq!(got, (n > 0).then_some(n));
            }
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

        two.validate();
        three.validate();
        vecs.validate();
        deques.validate();
        let groups = |m: &Model<(u8, u8), u16>| m.keys().map(|(a, _)| *a).collect::<HashSet<_>>();
        let groups3 = |m: &Model<(u8, u8, u8), u16>| m.keys().map(|(a, _, _)| *a).collect::<HashSet<_>>();
        let pairs3 = |m: &Model<(u8, u8, u8), u16>| m.keys().map(|(a, b, _)| (*a, *b)).collect::<HashSet<_>>();
        let (g2_before, g2) = (groups(&before2), groups(&model));
        let (g3_before, g3) = (groups3(&before3), groups3(&model3));
        assert_eq!(two.len(), model.len());
        assert_eq!(two.outer_len(), g2.len());
        assert_eq!(three.len(), model3.len());
        assert_eq!(three.outer_len(), g3.len());
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
            want2.cleared += before2.len() as u64;
            want3.cleared += before3.len() as u64;
            want_seq.cleared += leaves(&before_seq) as u64;
        } else {
            want2.net(before2.len(), model.len());
            if prunes2 {
                want2.pruned += g2_before.difference(&g2).count() as u64;
            }
            if opened2.is_some_and(|a| !g2.contains(&a) && !g2_before.contains(&a)) {
                want2.pruned += 1; // made by the guard and left empty
            }
            want3.net(before3.len(), model3.len());
            want3.pruned += g3_before.difference(&g3).count() as u64;
            for a in g3_before.union(&g3) {
                let leaves = |m: &Model<(u8, u8, u8), u16>| m.keys().filter(|(x, _, _)| x == a).count();
                mids.entry(*a).or_default().net(leaves(&before3), leaves(&model3));
            }
            if prunes_mid {
                for (a, _) in pairs3(&before3).difference(&pairs3(&model3)) {
                    mids.entry(*a).or_default().pruned += 1;
                }
            }
            want_seq.net(leaves(&before_seq), leaves(&seqs));
            if opened_seq.is_some_and(|a| !seqs.contains_key(&a)) {
                want_seq.pruned += 1;
            }
        }
        mids.retain(|a, _| g3.contains(a));
        assert_eq!(Counts::of(two.stats()), want2, "two-level stats");
        assert_eq!(Counts::of(three.stats()), want3, "depth-three stats");
        for (a, mid) in three.inners() {
            let mut got = Counts::of(mid.stats());
            (got.hits, got.misses) = (0, 0);
            assert_eq!(got, mids[a], "stats of the middle map {a}");
        }
        assert_eq!(Counts::of(vecs.stats()), want_seq, "Vec stats");
        assert_eq!(Counts::of(deques.stats()), want_seq, "VecDeque stats");
    }
    let mut got: Vec<_> = two.iter().map(|(a, b, v)| ((*a, *b), *v)).collect();
    let mut want: Vec<_> = model.into_iter().collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    let mut got: Vec<_> = three.iter3().map(|(a, b, c, v)| ((*a, *b, *c), *v)).collect();
    let mut want: Vec<_> = model3.into_iter().collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
});
