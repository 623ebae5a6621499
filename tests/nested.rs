//! `NestedMap` against flat models: two levels (with `leakless::HashMap`, std `HashMap`
//! and `BTreeMap` inner maps) against `std::collections::HashMap<(K1, K2), V>`, three
//! levels against `HashMap<(K1, K2, K3), V>`, and inner collections that are not maps
//! (`Vec`, `VecDeque`, `HashSet`, `BTreeSet`), edited through the guard and the closure
//! (panics inside them included), against `HashMap<K1, C>`. After every op:
//! `validate()`, no empty inner collection at any level, `len()` and `outer_len()` equal
//! the model's, and `stats()` equals counts kept beside the model — at depth three also
//! each middle map's own — with `pruned` counting the inner collections a guard, a
//! closure, `remove` or `retain` left empty at that level (not those `remove_inner` or
//! `clear` took). Inner `LruMap`s (bounded caches per outer key) against one `VecDeque`
//! LRU model per key (`tests/models/nested_lru.rs`). Plus guards under panics, and the leaf
//! count of an inner map whose insert evicts.

use std::collections::{BTreeMap, BTreeSet, HashMap as StdMap, HashSet, VecDeque};
use std::fmt::Debug;
use std::panic::{catch_unwind, AssertUnwindSafe};

use leakless::nested::{InnerLookup, InnerMap};
use leakless::{Capacity, HashMap, NestedMap, RemovalCause};
use proptest::prelude::*;

#[path = "models/nested.rs"]
mod model;

#[allow(dead_code)] // its whole-map driver (`check`) serves tests/lru.rs
#[path = "models/lru.rs"]
mod lru_model;

#[path = "models/nested_lru.rs"]
mod nested_lru;

use model::{Coll, Colls, Fixed, Three, Two, STATS_BLOCK};
use nested_lru::{LruInner, LruOp};

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 256 })
}

#[derive(Clone, Debug)]
enum Op {
    Insert(u8, u8, u32),
    Remove(u8, u8),
    Get(u8, u8),
    GetMut(u8, u8, u32),
    RemoveInner(u8),
    /// Through a guard: remove every inner key below the bound, insert one above it.
    Guard(u8, u8),
    /// Through the closure: remove every entry of the inner map.
    EmptyInner(u8),
    Retain(u8),
    Clear,
    Check,
}

fn op() -> impl Strategy<Value = Op> {
    // Small key spaces, so inner maps fill, empty and come back often.
    let k = || 0u8..8;
    prop_oneof![
        6 => (k(), k(), any::<u32>()).prop_map(|(a, b, v)| Op::Insert(a, b, v)),
        5 => (k(), k()).prop_map(|(a, b)| Op::Remove(a, b)),
        2 => (0u8..10, 0u8..10).prop_map(|(a, b)| Op::Get(a, b)),
        1 => (k(), k(), any::<u32>()).prop_map(|(a, b, v)| Op::GetMut(a, b, v)),
        1 => k().prop_map(Op::RemoveInner),
        1 => (k(), k()).prop_map(|(a, b)| Op::Guard(a, b)),
        1 => k().prop_map(Op::EmptyInner),
        1 => (1u8..5).prop_map(Op::Retain),
        1 => Just(Op::Clear),
        1 => Just(Op::Check),
    ]
}

/// Replay `ops` on a two-level map with inner map `M` and on the flat model.
fn two_level<M>(ops: Vec<Op>)
where
    M: InnerMap<Key = u8, Value = u32> + InnerLookup<u8> + Default + Clone + PartialEq + Debug,
{
    let mut m = Two::<M>::new();
    for op in ops {
        match op {
            Op::Insert(a, b, v) => m.insert(a, b, v),
            Op::Remove(a, b) => m.remove(a, b),
            Op::Get(a, b) => m.get(a, b),
            Op::GetMut(a, b, v) => m.get_mut(a, b, v),
            Op::RemoveInner(a) => m.remove_inner(a),
            Op::Guard(a, bound) => m.guard(a, bound, (bound % 2 == 0).then(|| (bound + 100, u32::from(bound)))),
            Op::EmptyInner(a) => m.empty_inner(a, |m| InnerMap::retain(m, |_, _| false)),
            Op::Retain(d) => m.retain(|a, b, v| (u32::from(a) + u32::from(b) + v) % u32::from(d) != 0),
            Op::Clear => m.clear(),
            Op::Check => m.check(),
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn model_leakless_inner(ops in proptest::collection::vec(op(), 1..200)) {
        two_level::<HashMap<u8, u32, Fixed>>(ops);
    }

    #[test]
    fn model_std_hash_inner(ops in proptest::collection::vec(op(), 1..200)) {
        two_level::<StdMap<u8, u32, Fixed>>(ops);
    }

    #[test]
    fn model_btree_inner(ops in proptest::collection::vec(op(), 1..200)) {
        two_level::<BTreeMap<u8, u32>>(ops);
    }

    #[test]
    fn model_depth_three(ops in proptest::collection::vec(op3(), 1..200)) {
        depth_three(ops);
    }
}

#[derive(Clone, Debug)]
enum Op3 {
    Insert(u8, u8, u8, u32),
    Remove(u8, u8, u8),
    Get(u8, u8, u8),
    GetMut(u8, u8, u8, u32),
    /// Through the outer guard: remove the whole `(a, b)` inner map.
    RemoveMid(u8, u8),
    /// Through both guards: remove every leaf of `(a, b)` whose key is below the bound.
    Guards(u8, u8, u8),
    Retain(u8),
    Clear,
    Check,
}

fn op3() -> impl Strategy<Value = Op3> {
    let k = || 0u8..4;
    prop_oneof![
        6 => (k(), k(), k(), any::<u32>()).prop_map(|(a, b, c, v)| Op3::Insert(a, b, c, v)),
        5 => (k(), k(), k()).prop_map(|(a, b, c)| Op3::Remove(a, b, c)),
        2 => (0u8..6, 0u8..6, 0u8..6).prop_map(|(a, b, c)| Op3::Get(a, b, c)),
        1 => (k(), k(), k(), any::<u32>()).prop_map(|(a, b, c, v)| Op3::GetMut(a, b, c, v)),
        1 => (k(), k()).prop_map(|(a, b)| Op3::RemoveMid(a, b)),
        1 => (k(), k(), k()).prop_map(|(a, b, c)| Op3::Guards(a, b, c)),
        1 => (1u8..5).prop_map(Op3::Retain),
        1 => Just(Op3::Clear),
        1 => Just(Op3::Check),
    ]
}

fn depth_three(ops: Vec<Op3>) {
    let mut m = Three::<u32>::new();
    for op in ops {
        match op {
            Op3::Insert(a, b, c, v) => m.insert3(a, b, c, v),
            Op3::Remove(a, b, c) => m.remove3(a, b, c),
            Op3::Get(a, b, c) => m.get3(a, b, c),
            Op3::GetMut(a, b, c, v) => m.get3_mut(a, b, c, v),
            Op3::RemoveMid(a, b) => m.remove_mid(a, b),
            Op3::Guards(a, b, bound) => m.guards(a, b, bound),
            Op3::Retain(d) => {
                m.retain3(|a, b, c, v| (u32::from(a) + u32::from(b) + u32::from(c) + v) % u32::from(d) != 0)
            }
            Op3::Clear => m.clear(),
            Op3::Check => m.check(),
        }
    }
}

/// Edits of a `NestedMap<u8, C>` through the guard (`inner_mut`, `get_inner_mut`) and the
/// closure (`with_inner_mut`).
#[derive(Clone, Debug)]
enum OpC {
    /// `inner_mut(a)` (made if absent), add `n` values from `v` on.
    Add(u8, u32, u8),
    /// `with_inner_mut(&a, ..)`: add `v` if `a` is present.
    AddIfPresent(u8, u32),
    /// `get_inner_mut(&a)`: take `n` elements out.
    Take(u8, u8),
    /// `with_inner_mut(&a, ..)`: take one element out.
    TakeClosure(u8),
    /// `inner_mut(a)` (made if absent): keep the values not divisible by `m`.
    Keep(u8, u32),
    /// `with_inner_mut(&a, ..)`: empty it.
    Empty(u8),
    /// `inner_mut(a)`, changing nothing: an absent key is made and pruned at once.
    Touch(u8),
    /// `inner_mut(a)`: add `add` values, take `take` out, then panic.
    PanicGuard(u8, u8, u8),
    /// `with_inner_mut(&a, ..)`: add `add` values, take `take` out, then panic.
    PanicClosure(u8, u8, u8),
    /// `insert_inner(a, ..)`: a whole collection of `n` values from `v` on.
    InsertInner(u8, u32, u8),
    RemoveInner(u8),
    Clear,
    Check,
}

fn op_c() -> impl Strategy<Value = OpC> {
    // Few outer keys and small values, so groups fill, empty and come back often.
    let k = || 0u8..6;
    let v = || 0u32..16;
    prop_oneof![
        6 => (k(), v(), 1u8..4).prop_map(|(a, v, n)| OpC::Add(a, v, n)),
        2 => (k(), v()).prop_map(|(a, v)| OpC::AddIfPresent(a, v)),
        4 => (k(), 0u8..4).prop_map(|(a, n)| OpC::Take(a, n)),
        3 => k().prop_map(OpC::TakeClosure),
        2 => (k(), 1u32..5).prop_map(|(a, m)| OpC::Keep(a, m)),
        1 => k().prop_map(OpC::Empty),
        1 => k().prop_map(OpC::Touch),
        2 => (k(), 0u8..3, 0u8..4).prop_map(|(a, x, y)| OpC::PanicGuard(a, x, y)),
        2 => (k(), 0u8..3, 0u8..4).prop_map(|(a, x, y)| OpC::PanicClosure(a, x, y)),
        2 => (k(), v(), 0u8..3).prop_map(|(a, v, n)| OpC::InsertInner(a, v, n)),
        1 => k().prop_map(OpC::RemoveInner),
        1 => Just(OpC::Clear),
        1 => Just(OpC::Check),
    ]
}

/// Replay `ops` on a `NestedMap<u8, C>` against the collection model (see [`Colls`]).
fn collection_model<C: Coll>(ops: Vec<OpC>) {
    let mut c = Colls::<C>::new();
    for op in ops {
        match op {
            OpC::Add(a, v, n) => c.add(a, v, n),
            OpC::AddIfPresent(a, v) => c.add_if_present(a, v),
            OpC::Take(a, n) => c.take(a, n),
            OpC::TakeClosure(a) => c.take_closure(a),
            OpC::Keep(a, m) => c.keep(a, m),
            OpC::Empty(a) => c.empty(a),
            OpC::Touch(a) => c.touch(a),
            OpC::PanicGuard(a, add, take) => c.panic_guard(a, add, take),
            OpC::PanicClosure(a, add, take) => c.panic_closure(a, add, take),
            OpC::InsertInner(a, v, n) => c.insert_inner(a, v, n),
            OpC::RemoveInner(a) => c.remove_inner(a),
            OpC::Clear => c.clear(),
            OpC::Check => c.check(),
        }
    }
}

/// Op sequences for the collection models: shorter under Miri, where each op (a
/// `validate()`, and an unwinding panic for some) costs milliseconds.
fn ops_c() -> impl Strategy<Value = Vec<OpC>> {
    proptest::collection::vec(op_c(), 1..if cfg!(miri) { 24 } else { 200 })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn model_vec_inner(ops in ops_c()) {
        collection_model::<Vec<u32>>(ops);
    }

    #[test]
    fn model_vec_deque_inner(ops in ops_c()) {
        collection_model::<VecDeque<u32>>(ops);
    }

    #[test]
    fn model_hash_set_inner(ops in ops_c()) {
        collection_model::<HashSet<u32, Fixed>>(ops);
    }

    #[test]
    fn model_btree_set_inner(ops in ops_c()) {
        collection_model::<BTreeSet<u32>>(ops);
    }
}

#[test]
fn panic_inside_guard_still_prunes() {
    let mut m: NestedMap<u32, HashMap<u32, u32>> = NestedMap::new();
    m.insert(1, 1, 1);
    m.insert(2, 1, 1);
    let r = catch_unwind(AssertUnwindSafe(|| {
        let mut g = m.get_inner_mut(&1).unwrap();
        g.clear();
        panic!("user code fails after emptying the inner map");
    }));
    assert!(r.is_err());
    m.validate();
    assert_eq!((m.outer_len(), m.len()), (1, 1), "1 was pruned during unwinding");
    assert_eq!(m.stats().pruned, 1);

    // The closure form, on a map created by the guard itself.
    let r = catch_unwind(AssertUnwindSafe(|| {
        let mut g = m.inner_mut(3);
        g.insert(7, 7);
        g.remove(&7);
        panic!("again");
    }));
    assert!(r.is_err());
    m.validate();
    assert!(m.get_inner(&3).is_none());
    let r = catch_unwind(AssertUnwindSafe(|| {
        m.with_inner_mut(&2, |inner| {
            inner.insert(5, 5);
            panic!("inside with_inner_mut, after growing the inner map");
        })
    }));
    assert!(r.is_err());
    m.validate();
    assert_eq!(m.len(), 2, "the growth before the panic is counted");
}

#[test]
fn panic_inside_nested_guards_prunes_both_levels() {
    let mut m: NestedMap<u8, NestedMap<u8, HashMap<u8, u8>>> = NestedMap::new();
    m.insert3(1, 2, 3, 4);
    m.insert3(9, 9, 9, 9);
    let r = catch_unwind(AssertUnwindSafe(|| {
        let mut mid = m.get_inner_mut(&1).unwrap();
        let mut inner = mid.get_inner_mut(&2).unwrap();
        inner.remove(&3);
        panic!("two guards unwind");
    }));
    assert!(r.is_err());
    m.validate();
    assert_eq!((m.outer_len(), m.len()), (1, 1));
    assert_eq!(m.stats().pruned, 1, "the outer level pruned 1");
}

#[test]
fn panic_inside_retain_keeps_the_map_consistent() {
    let mut m: NestedMap<u32, HashMap<u32, u32>> = (0..50).flat_map(|a| (0..4).map(move |b| (a, b, b))).collect();
    let mut calls = 0;
    let r = catch_unwind(AssertUnwindSafe(|| {
        m.retain(|_, _, _| {
            calls += 1;
            assert!(calls < 100, "the predicate panics on its 100th call");
            false
        })
    }));
    assert!(r.is_err());
    m.validate();
    assert_eq!(m.len(), 200 - 99, "the 99 removals before the panic stay removed");
    assert!(m.outer_len() <= 50 - 24);
}

#[test]
fn other_inner_collections_prune() {
    let mut sets: NestedMap<u8, HashSet<u8>> = NestedMap::new();
    sets.inner_mut(1).insert(1);
    sets.inner_mut(1).insert(2);
    sets.with_inner_mut(&1, |s| s.remove(&1));
    assert_eq!((sets.outer_len(), sets.len()), (1, 1));
    sets.with_inner_mut(&1, |s| s.remove(&2));
    assert_eq!(sets.outer_len(), 0);
    sets.validate();

    let mut ordered: NestedMap<u8, BTreeSet<u8>> = NestedMap::new();
    ordered.inner_mut(1).extend([3, 1, 2]);
    assert_eq!(ordered.get_inner(&1).unwrap().iter().copied().collect::<Vec<_>>(), [1, 2, 3]);
    ordered.get_inner_mut(&1).unwrap().clear();
    assert_eq!(ordered.outer_len(), 0);

    let mut queues: NestedMap<&str, VecDeque<u32>> = NestedMap::new();
    queues.inner_mut("a").push_back(1);
    queues.inner_mut("a").push_back(2);
    assert_eq!(queues.with_inner_mut("a", |q| q.pop_front()), Some(Some(1)));
    assert_eq!(queues.with_inner_mut("a", |q| q.pop_front()), Some(Some(2)));
    assert!(queues.is_empty());
    assert_eq!(queues.outer_len(), 0);
    let s = queues.stats();
    assert_eq!((s.insertions, s.removals(RemovalCause::Explicit), s.pruned), (2, 2, 1));

    let mut vecs: NestedMap<u8, Vec<u8>> = NestedMap::new();
    for i in 0..100 {
        vecs.inner_mut(i % 10).push(i);
    }
    assert_eq!((vecs.outer_len(), vecs.len()), (10, 100));
    assert!(vecs.allocation_size() >= 100);
    for i in 0..10 {
        vecs.with_inner_mut(&i, Vec::clear);
    }
    assert_eq!(vecs.outer_len(), 0);
    vecs.validate();
}

#[test]
fn guard_made_by_inner_mut_is_pruned_if_left_empty() {
    let mut m: NestedMap<u8, HashMap<u8, u8>> = NestedMap::new();
    {
        let g = m.inner_mut(1);
        assert!(g.is_empty());
    }
    assert_eq!(m.outer_len(), 0);
    assert_eq!(m.stats().pruned, 1);
    assert_eq!(m.stats().insertions, 0);
    m.validate();
}

#[test]
fn borrowed_lookups_and_traits() {
    let mut m: NestedMap<String, HashMap<String, u32>> = NestedMap::new();
    m.extend([("a".to_string(), "x".to_string(), 1), ("a".to_string(), "y".to_string(), 2)]);
    assert_eq!(m.get("a", "x"), Some(&1));
    assert!(m.contains("a", "y"));
    assert_eq!(m.remove("a", "x"), Some(1));
    assert_eq!(m.remove("a", "y"), Some(2));
    assert!(m.is_empty());
    assert_eq!(m.outer_len(), 0);

    let d: NestedMap<u8, HashMap<u8, u8>> = [(1, 2, 3)].into_iter().collect();
    assert_eq!(format!("{d:?}"), "{1: {2: 3}}");
    let c = d.clone();
    assert!(c == d);
    assert_eq!((&c).into_iter().count(), 1);
}

#[test]
fn outer_and_inner_tables_shrink() {
    let mut m: NestedMap<u64, HashMap<u64, u64>> = NestedMap::new();
    for a in 0..100 {
        for b in 0..100 {
            m.insert(a, b, b);
        }
    }
    let inner_bytes = |m: &NestedMap<u64, HashMap<u64, u64>>| m.allocation_size() - m.outer().allocation_size();
    let peak = inner_bytes(&m);
    // Leave one leaf per group: the inner tables give their memory back.
    m.retain(|_, b, _| *b == 0);
    assert_eq!((m.outer_len(), m.len()), (100, 100));
    assert!(inner_bytes(&m) < peak / 20, "{} of {peak}", inner_bytes(&m));
    m.retain(|_, _, _| false);
    // Emptied by removals: all but a small outer table (at most 16 buckets) is given
    // back; `clear` gives that back too.
    assert!(m.outer().capacity() <= 14, "{}", m.outer().capacity());
    assert!(m.allocation_size() <= STATS_BLOCK + 16 * 104 + 32, "{} bytes", m.allocation_size());
    m.clear();
    assert_eq!(m.outer().capacity(), 0);
    assert_eq!(m.allocation_size(), STATS_BLOCK, "only the stats block stays");
    assert!(m.stats().shrinks > 0);
    assert_eq!(m.stats().pruned, 100);
    m.validate();
}

/// The two-level helpers count in the `NestedMap`'s stats only, never in a
/// `leakless::HashMap` inner map's own (`get_mut` was counted in both).
#[test]
fn two_level_helpers_leave_the_inner_maps_stats_alone() {
    let mut m: NestedMap<u64, HashMap<u64, u64>> = NestedMap::new();
    m.insert(1, 1, 1);
    assert!(m.get(&1, &1).is_some());
    assert!(m.get(&1, &2).is_none());
    *m.get_mut(&1, &1).unwrap() += 1;
    assert!(m.get_mut(&1, &2).is_none());
    assert!(m.contains(&1, &1));
    let inner = m.get_inner(&1).unwrap().stats();
    assert_eq!((inner.hits, inner.misses), (0, 0), "inner map's own stats: {inner:?}");
    let outer = m.stats();
    assert_eq!((outer.hits, outer.misses), (3, 2), "{outer:?}");
}

fn op_l() -> impl Strategy<Value = LruOp> {
    let k = || 0u8..4;
    prop_oneof![
        8 => (k(), 0u8..8, 0u32..40).prop_map(|(a, b, v)| LruOp::Insert(a, b, v)),
        3 => (k(), 0u8..8).prop_map(|(a, b)| LruOp::Remove(a, b)),
        2 => (k(), 0u8..8).prop_map(|(a, b)| LruOp::Get(a, b)),
        1 => (k(), 0u8..8, 0u32..40).prop_map(|(a, b, v)| LruOp::GetMut(a, b, v)),
        2 => (k(), 0u8..8).prop_map(|(a, b)| LruOp::Touch(a, b)),
        1 => k().prop_map(LruOp::PopLru),
        1 => (k(), 0u8..4).prop_map(|(a, n)| LruOp::SetLimit(a, n)),
        1 => (1u8..5).prop_map(LruOp::Retain),
        1 => k().prop_map(LruOp::RemoveInner),
        1 => Just(LruOp::Clear),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// A bounded cache per outer key: each inner `LruMap` evicts, rejects and orders its
    /// entries as its own `VecDeque` model (see `tests/models/nested_lru.rs`).
    #[test]
    fn model_lru_inner(
        n in 0usize..5,
        w in prop_oneof![0u64..4, 0u64..12],
        ops in proptest::collection::vec(op_l(), 1..200),
    ) {
        let mut m = LruInner::new(Capacity::entries(n).with_max_weight(w));
        for op in ops {
            m.apply(op);
        }
    }
}

/// An inner map whose insert evicts (`INSERT_ADDS_ONE` is `false`): `NestedMap::insert`
/// counts its leaves by length, so `len()` stays the sum of the inner lengths, and an
/// inner map an insert leaves empty is pruned.
#[test]
fn an_inner_map_whose_insert_evicts_keeps_the_leaf_count() {
    /// Keeps only the latest entry; rejects the value 0.
    #[derive(Default, Debug)]
    struct Latest(Option<(u8, u32)>);

    impl leakless::nested::InnerCollection for Latest {
        fn len(&self) -> usize {
            usize::from(self.0.is_some())
        }
    }

    impl InnerMap for Latest {
        type Key = u8;
        type Value = u32;
        type Iter<'a> = std::option::IntoIter<(&'a u8, &'a u32)>;
        const INSERT_ADDS_ONE: bool = false;

        fn insert(&mut self, key: u8, value: u32) -> Option<u32> {
            let old = self.0.take().and_then(|(k, v)| (k == key).then_some(v));
            self.0 = (value != 0).then_some((key, value));
            old
        }

        fn iter(&self) -> Self::Iter<'_> {
            self.0.as_ref().map(|(k, v)| (k, v)).into_iter()
        }

        fn retain<F: FnMut(&u8, &mut u32) -> bool>(&mut self, mut f: F) {
            if let Some((k, v)) = &mut self.0 {
                if !f(k, v) {
                    self.0 = None;
                }
            }
        }
    }

    let mut m: NestedMap<u8, Latest> = NestedMap::new();
    assert_eq!(m.insert(1, 1, 10), None);
    assert_eq!(m.insert(1, 2, 20), None, "evicts (1, 1)");
    assert_eq!(m.insert(2, 1, 30), None);
    m.validate();
    assert_eq!(m.len(), 2);
    assert_eq!(m.insert(1, 2, 21), Some(20));
    assert_eq!(m.insert(2, 5, 0), None, "rejected, and (2, 1) evicted");
    m.validate();
    assert_eq!((m.len(), m.outer_len()), (1, 1), "group 2 was left empty and pruned");
    let s = m.stats();
    assert_eq!((s.insertions, s.pruned), (4, 1));
    assert_eq!(s.removals(RemovalCause::Replaced), 1);
    assert_eq!(s.removals(RemovalCause::Explicit), 3, "(1, 1), (2, 1) and the rejected 0");
}

/// `inner_mut_or_insert_with`: a made collection's entries are leaves from the start, and
/// a `make` that panics adds nothing.
#[test]
fn inner_mut_or_insert_with_counts_what_make_made() {
    let mut m: NestedMap<u8, Vec<u8>> = NestedMap::new();
    m.inner_mut_or_insert_with(1, || vec![1, 2]).push(3);
    m.inner_mut_or_insert_with(1, || unreachable!("present: not made again")).push(4);
    assert_eq!((m.len(), m.outer_len()), (4, 1));
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        m.inner_mut_or_insert_with(2, || panic!("make fails"));
    }));
    assert!(panicked.is_err());
    drop(m.inner_mut_or_insert_with(3, Vec::new));
    m.validate();
    assert_eq!((m.len(), m.outer_len()), (4, 1), "neither the failed nor the empty one stayed");
    assert_eq!(m.stats().insertions, 4);
}

/// What the stats of each side count for an inner `LruMap` (as its `InnerMap` impl
/// documents): the inner map counts inserts, evictions and `get`/`get_mut` lookups; the
/// nested map counts leaves by length, so an evicting insert is neither there.
#[test]
fn lru_inner_stats_count_as_documented() {
    let mut m: NestedMap<u8, leakless::LruMap<u8, u8>> = NestedMap::new();
    for k in 0..3 {
        m.inner_mut_or_insert_with(1, || leakless::LruMap::new(2)).insert(k, k);
    }
    let inner = m.get_inner(&1).unwrap().stats();
    assert_eq!((inner.insertions, inner.evictions()), (3, 1));
    let outer = m.stats();
    assert_eq!((outer.insertions, outer.removals(RemovalCause::Explicit), outer.evictions()), (2, 0, 0));
    assert!(m.contains(&1, &2) && !m.contains(&1, &0));
    assert_eq!(m.get(&1, &2), Some(&2));
    assert_eq!(m.get(&1, &0), None);
    let inner = m.get_inner(&1).unwrap().stats();
    assert_eq!((inner.hits, inner.misses), (1, 1), "get counts, contains does not");
    assert_eq!((m.stats().hits, m.stats().misses), (2, 2), "the nested map counts both");
}

/// An inner map whose `Default` is not empty: its first entry is a leaf however the
/// collection was created (`inner_mut`, `insert`, `inner_mut_or_insert_with`).
#[derive(Debug)]
struct Seeded(BTreeMap<u8, ()>);

impl Default for Seeded {
    fn default() -> Self {
        Seeded(BTreeMap::from([(0, ())]))
    }
}

impl leakless::nested::InnerCollection for Seeded {
    fn len(&self) -> usize {
        self.0.len()
    }
}

impl InnerMap for Seeded {
    type Key = u8;
    type Value = ();
    type Iter<'a> = std::collections::btree_map::Iter<'a, u8, ()>;

    fn insert(&mut self, key: u8, value: ()) -> Option<()> {
        self.0.insert(key, value)
    }

    fn iter(&self) -> Self::Iter<'_> {
        self.0.iter()
    }

    fn retain<F: FnMut(&u8, &mut ()) -> bool>(&mut self, f: F) {
        self.0.retain(f);
    }
}

#[test]
fn a_non_empty_default_counts_as_leaves() {
    let mut m: NestedMap<u8, Seeded> = NestedMap::new();
    m.inner_mut(1).0.insert(1, ());
    m.validate();
    m.insert(2, 5, ());
    m.validate();
    m.inner_mut_or_insert_with(3, Seeded::default).0.insert(1, ());
    m.validate();
    let recount: usize = m.inners().map(|(_, inner)| inner.0.len()).sum();
    assert_eq!((m.len(), recount), (6, 6));
    assert_eq!(m.stats().insertions, 6);
    m.with_inner_mut(&1, |s| s.0.clear());
    m.validate();
    assert_eq!((m.len(), m.outer_len()), (4, 2));
}

/// `insert_inner`: the replaced collection's leaves count as removed, the new one's as
/// inserted, and an empty collection is not kept.
#[test]
fn insert_inner_counts_both_collections() {
    let mut m: NestedMap<u8, Vec<u8>> = NestedMap::new();
    assert_eq!(m.insert_inner(1, vec![1, 2, 3]), None);
    assert_eq!(m.insert_inner(2, vec![]), None);
    assert_eq!(m.insert_inner(1, vec![4, 5]), Some(vec![1, 2, 3]));
    m.validate();
    assert_eq!((m.len(), m.outer_len()), (2, 1));
    let s = m.stats();
    assert_eq!(s.insertions, 5);
    assert_eq!(s.removals(RemovalCause::Explicit), 3);
    assert_eq!(s.pruned, 1, "the empty collection under 2");
    assert_eq!(m.insert_inner(1, vec![]), Some(vec![4, 5]));
    m.validate();
    assert_eq!((m.len(), m.outer_len()), (0, 0));
    assert_eq!(m.stats().removals(RemovalCause::Explicit), 5);
}
