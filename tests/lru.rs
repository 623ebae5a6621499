//! `LruMap` against models: the `lru` crate (same results, same eviction order), a
//! `VecDeque` LRU with weights, and for `WTinyLfu` a live-entry model fed by the
//! finalizer. `validate()` after every op; finalizer exactly-once, also under panics.

use std::cell::{Cell, RefCell};
use std::num::NonZeroUsize;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use leakless::policy::LruLinks;
use leakless::{
    Capacity, DefaultHashBuilder, EvictionPolicy, FixedState, Lru, LruMap, MetaArena, RemovalCause, WTinyLfu,
};
use proptest::prelude::*;

#[path = "models/tinylfu.rs"]
mod tinylfu;

#[path = "models/lru.rs"]
mod lru_model;

use lru_model::{Log, WOp};
use tinylfu::TinyOp;

fn cases() -> u32 {
    if cfg!(miri) {
        4
    } else {
        256
    }
}

fn nz(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap()
}

#[derive(Debug, Clone)]
enum Op {
    Put(u8, u16),
    Push(u8, u16),
    Get(u8),
    GetMut(u8, u16),
    Peek(u8),
    PeekMut(u8, u16),
    Contains(u8),
    Pop(u8),
    PopLru,
    PeekLru,
    Resize(u8),
    GetOrInsert(u8, u16),
    /// `retain` with a predicate on key and value (against the `lru` crate it also
    /// bumps every value it sees).
    Retain(u8),
    Clear,
}

impl Op {
    /// The same call for the `WTinyLfu` model.
    fn tiny(self) -> TinyOp {
        match self {
            Op::Put(k, v) => TinyOp::Insert(k, v),
            Op::Push(k, v) => TinyOp::Push(k, v),
            Op::Get(k) => TinyOp::Get(k),
            Op::GetMut(k, _) => TinyOp::GetMut(k),
            Op::Peek(k) => TinyOp::Peek(k),
            Op::PeekMut(k, _) => TinyOp::PeekMut(k),
            Op::Contains(k) => TinyOp::Contains(k),
            Op::Pop(k) => TinyOp::Remove(k),
            Op::PopLru => TinyOp::PopLru,
            Op::PeekLru => TinyOp::PeekLru,
            Op::Resize(n) => TinyOp::Resize(n),
            Op::GetOrInsert(k, v) => TinyOp::GetOrInsert(k, v),
            Op::Retain(m) => TinyOp::Retain(m),
            Op::Clear => TinyOp::Clear,
        }
    }
}

fn op() -> impl Strategy<Value = Op> {
    let k = 0u8..24;
    // Weighted so that a 200-op run sees a few `clear`s, not one every 20 ops (which
    // would keep the map from filling up).
    prop_oneof![
        12 => (k.clone(), any::<u16>()).prop_map(|(k, v)| Op::Put(k, v)),
        6 => (k.clone(), any::<u16>()).prop_map(|(k, v)| Op::Push(k, v)),
        12 => k.clone().prop_map(Op::Get),
        3 => (k.clone(), any::<u16>()).prop_map(|(k, v)| Op::GetMut(k, v)),
        3 => k.clone().prop_map(Op::Peek),
        3 => (k.clone(), any::<u16>()).prop_map(|(k, v)| Op::PeekMut(k, v)),
        3 => k.clone().prop_map(Op::Contains),
        3 => k.clone().prop_map(Op::Pop),
        3 => Just(Op::PopLru),
        3 => Just(Op::PeekLru),
        3 => (1u8..20).prop_map(Op::Resize),
        6 => (k, any::<u16>()).prop_map(|(k, v)| Op::GetOrInsert(k, v)),
        2 => (2u8..6).prop_map(Op::Retain),
        1 => Just(Op::Clear),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Any op sequence gives the results and the order of the `lru` crate.
    #[test]
    fn same_as_lru_crate(cap in 1usize..16, ops in proptest::collection::vec(op(), 0..200)) {
        same_as_lru_crate_with(LruMap::new(cap), cap, ops)?;
    }

    /// A policy whose `victim_hint` is wrong (another entry, a slot past the end, no
    /// hint) changes nothing but speed: still the results and the order of the `lru`
    /// crate, `validate()` holds, and no panic (a slot past the end must not be read).
    #[test]
    fn a_wrong_victim_hint_changes_nothing(cap in 1usize..16, ops in proptest::collection::vec(op(), 0..200)) {
        same_as_lru_crate_with(LruMap::builder().max_entries(cap).policy(WrongHint::default()).build(), cap, ops)?;
    }
}

/// Exact LRU, but its [`EvictionPolicy::victim_hint`] names, in turn, the most recently
/// used entry, a slot past the end, nothing, and the right victim.
#[derive(Default)]
struct WrongHint {
    lru: Lru,
    turn: Cell<u32>,
}

impl EvictionPolicy for WrongHint {
    type Meta = LruLinks;

    fn on_insert<A: MetaArena<LruLinks>>(&mut self, arena: &mut A, index: u32, hash: u64) {
        self.lru.on_insert(arena, index, hash);
    }

    fn on_access<A: MetaArena<LruLinks>>(&mut self, arena: &mut A, index: u32) {
        self.lru.on_access(arena, index);
    }

    fn on_remove<A: MetaArena<LruLinks>>(&mut self, arena: &mut A, index: u32) {
        self.lru.on_remove(arena, index);
    }

    fn on_move<A: MetaArena<LruLinks>>(&mut self, arena: &mut A, from: u32, to: u32) {
        self.lru.on_move(arena, from, to);
    }

    fn victim<A: MetaArena<LruLinks>>(&mut self, arena: &mut A) -> Option<u32> {
        self.lru.victim(arena)
    }

    fn clear(&mut self) {
        self.lru.clear();
    }

    fn peek_victim<A: MetaArena<LruLinks>>(&self, arena: &A) -> Option<u32> {
        self.lru.peek_victim(arena)
    }

    fn victim_hint<A: MetaArena<LruLinks>>(&self, arena: &A) -> Option<u32> {
        let turn = self.turn.get().wrapping_add(1);
        self.turn.set(turn);
        match turn % 4 {
            0 => self.lru.first(arena),
            1 => Some(u32::MAX - 1),
            2 => None,
            _ => self.lru.peek_victim(arena),
        }
    }

    fn first<A: MetaArena<LruLinks>>(&self, arena: &A) -> Option<u32> {
        self.lru.first(arena)
    }

    fn next<A: MetaArena<LruLinks>>(&self, arena: &A, index: u32) -> Option<u32> {
        self.lru.next(arena, index)
    }

    fn validate<A: MetaArena<LruLinks>>(&self, arena: &A, len: usize) {
        self.lru.validate(arena, len);
    }
}

/// The body of [`same_as_lru_crate`]: `ours` is an empty map bounded to `cap` entries
/// whose policy evicts as exact LRU does.
fn same_as_lru_crate_with<P: EvictionPolicy>(
    mut ours: LruMap<u8, u16, DefaultHashBuilder, P>,
    cap: usize,
    ops: Vec<Op>,
) -> Result<(), TestCaseError> {
    let mut theirs = lru::LruCache::new(nz(cap));
    for op in ops {
        match op {
            Op::Put(k, v) => prop_assert_eq!(ours.insert(k, v), theirs.put(k, v)),
            Op::Push(k, v) => prop_assert_eq!(ours.push(k, v), theirs.push(k, v)),
            Op::Get(k) => prop_assert_eq!(ours.get(&k), theirs.get(&k)),
            Op::GetMut(k, v) => {
                let a = ours.get_mut(&k).map(|x| {
                    *x = v;
                    *x
                });
                let b = theirs.get_mut(&k).map(|x| {
                    *x = v;
                    *x
                });
                prop_assert_eq!(a, b);
            }
            Op::Peek(k) => prop_assert_eq!(ours.peek(&k), theirs.peek(&k)),
            Op::PeekMut(k, v) => {
                let a = ours.peek_mut(&k).map(|x| {
                    *x = v;
                    *x
                });
                let b = theirs.peek_mut(&k).map(|x| {
                    *x = v;
                    *x
                });
                prop_assert_eq!(a, b);
            }
            Op::Contains(k) => prop_assert_eq!(ours.contains_key(&k), theirs.contains(&k)),
            Op::Pop(k) => prop_assert_eq!(ours.remove(&k), theirs.pop(&k)),
            Op::PopLru => prop_assert_eq!(ours.pop_lru(), theirs.pop_lru()),
            Op::PeekLru => prop_assert_eq!(ours.peek_lru(), theirs.peek_lru()),
            Op::Resize(n) => {
                ours.set_limit(Capacity::entries(n as usize));
                theirs.resize(nz(n as usize));
            }
            Op::GetOrInsert(k, v) => {
                let a = ours.get_or_insert_with(k, || v).copied();
                let b = *theirs.get_or_insert_mut(k, || v);
                prop_assert_eq!(a, Some(b));
            }
            Op::Retain(m) => {
                // Both see every entry once (ours in an unspecified order), may change
                // the values they keep, and keep the survivors in LRU order (checked
                // below against `lru::LruCache::retain`, which preserves it).
                let (mut seen_a, mut seen_b) = (Vec::new(), Vec::new());
                ours.retain(|k, v| {
                    seen_a.push((*k, *v));
                    *v = v.wrapping_add(1);
                    (u32::from(*k) + u32::from(*v)) % u32::from(m) != 0
                });
                theirs.retain(|k, v| {
                    seen_b.push((*k, *v));
                    *v = v.wrapping_add(1);
                    (u32::from(*k) + u32::from(*v)) % u32::from(m) != 0
                });
                seen_a.sort();
                seen_b.sort();
                prop_assert_eq!(seen_a, seen_b, "retain visits every entry once, with its value");
            }
            Op::Clear => {
                ours.clear();
                theirs.clear();
                // The doc of `clear`: all memory back but the 80-byte stats block.
                prop_assert!(ours.allocation_size() <= 80, "{} bytes after clear", ours.allocation_size());
            }
        }
        ours.validate();
        prop_assert_eq!(ours.len(), theirs.len());
        let a: Vec<_> = ours.iter().map(|(k, v)| (*k, *v)).collect();
        let b: Vec<_> = theirs.iter().map(|(k, v)| (*k, *v)).collect();
        prop_assert_eq!(a, b, "MRU -> LRU order");
    }
    let a: Vec<_> = ours.into_iter().collect();
    let b: Vec<_> = theirs.iter().map(|(k, v)| (*k, *v)).collect();
    prop_assert_eq!(a, b);
    Ok(())
}

fn weigh(v: u32) -> u64 {
    u64::from(v % 7)
}

fn wop() -> impl Strategy<Value = WOp> {
    let k = 0u8..24;
    prop_oneof![
        6 => (k.clone(), 0u32..40).prop_map(|(k, v)| WOp::Insert(k, v)),
        3 => (k.clone(), 0u32..40).prop_map(|(k, v)| WOp::Push(k, v)),
        1 => (k.clone(), 0u32..40).prop_map(|(k, v)| WOp::GetMut(k, v)),
        1 => (0u32..40).prop_map(WOp::IterMut),
        4 => k.clone().prop_map(WOp::Get),
        1 => k.clone().prop_map(WOp::Peek),
        1 => k.clone().prop_map(WOp::Contains),
        1 => k.clone().prop_map(WOp::Remove),
        1 => Just(WOp::PopLru),
        1 => Just(WOp::PeekLru),
        // Weight bounds under 6 (the heaviest value) reject some values outright.
        1 => (0usize..16, prop_oneof![0u64..8, 0u64..40])
            .prop_map(|(n, w)| WOp::SetLimit(Capacity::entries(n).with_max_weight(w))),
        1 => (1u8..5).prop_map(WOp::Retain),
        1 => Just(WOp::Clear),
        2 => (k, 0u32..40).prop_map(|(k, v)| WOp::GetOrInsert(k, v)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Bounded by entries and weight: the same contents, order and finalized values
    /// (with their causes, in order) as a `VecDeque` LRU: see `tests/models/lru.rs`.
    #[test]
    fn same_as_weighted_vecdeque(
        n in 0usize..12,
        w in prop_oneof![0u64..8, 0u64..40],
        ops in proptest::collection::vec(wop(), 0..200),
    ) {
        let log: Log = Rc::default();
        let l = log.clone();
        let ours = LruMap::builder()
            .limit(Capacity::entries(n).with_max_weight(w))
            .weigher(|_: &u8, v: &u32| weigh(*v))
            .finalizer(move |k, v, c| l.borrow_mut().push((k, v, c)))
            .build();
        lru_model::check(ours, &log, weigh, ops);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// W-TinyLFU bounded by entries (unit weigher): see `tests/models/tinylfu.rs`.
    #[test]
    fn wtinylfu_against_live_model(
        cap in 0usize..40,
        seed in any::<u64>(),
        ops in proptest::collection::vec(op(), 0..300),
    ) {
        let log: Log = Rc::default();
        let l = log.clone();
        let ours = LruMap::builder()
            .max_entries(cap)
            .hasher(FixedState::with_seed(seed))
            .policy(WTinyLfu::default())
            .finalizer(move |k, v, c| l.borrow_mut().push((k, v, c)))
            .build();
        tinylfu::check(ours, &log, |_| 1, ops.into_iter().map(Op::tiny));
    }

    /// W-TinyLFU bounded by entries and weight, so one insert may evict several entries
    /// (the multi-victim path with a policy that moves its candidate when choosing):
    /// see `tests/models/tinylfu.rs`.
    #[test]
    fn wtinylfu_weighted_against_live_model(
        n in 0usize..40,
        w in prop_oneof![0u64..8, 0u64..60],
        seed in any::<u64>(),
        ops in proptest::collection::vec(op(), 0..300),
    ) {
        let (ours, log) = weighted_tiny(n, w, seed);
        tinylfu::check(ours, &log, |v| u64::from(v % 8), ops.into_iter().map(Op::tiny));
    }
}

/// A `WTinyLfu` map bounded by `n` entries and weight `w` (values weigh `v % 8`) whose
/// finalizer appends to the returned log, for `tinylfu::check`.
#[allow(clippy::type_complexity)]
fn weighted_tiny(
    n: usize,
    w: u64,
    seed: u64,
) -> (LruMap<u8, u32, FixedState, WTinyLfu, impl Fn(&u8, &u32) -> u64, impl FnMut(u8, u32, RemovalCause)>, Log) {
    let log: Log = Rc::default();
    let l = log.clone();
    let map = LruMap::builder()
        .limit(Capacity::entries(n).with_max_weight(w))
        .hasher(FixedState::with_seed(seed))
        .policy(WTinyLfu::default())
        .weigher(|_: &u8, v: &u32| u64::from(v % 8))
        .finalizer(move |k, v, c| l.borrow_mut().push((k, v, c)))
        .build();
    (map, log)
}

/// A step of [`wtinylfu_climber_against_live_model`]: one op, or a burst of requests.
#[derive(Debug, Clone)]
enum Step {
    One(Op),
    Burst(u8, u8),
}

proptest! {
    // A case replays about three bursts of up to 16,384 requests: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 1 } else { 8 }))]

    /// W-TinyLFU with its hill climber moving the window (`tinylfu::burst` runs past the
    /// climber's 4,096-request samples, which the short op sequences above never reach),
    /// bounded by entries and weight (either may bind), against the live-entry model.
    #[test]
    fn wtinylfu_climber_against_live_model(
        n in 1usize..64,
        w in 8u64..200,
        seed in any::<u64>(),
        steps in proptest::collection::vec(
            prop_oneof![
                5 => op().prop_map(Step::One),
                1 => (any::<u8>(), 64u8..=255).prop_map(|(s, n)| Step::Burst(s, n)),
            ],
            0..18,
        ),
    ) {
        let ops = steps.into_iter().flat_map(|step| -> Box<dyn Iterator<Item = TinyOp>> {
            match step {
                Step::One(op) => Box::new(std::iter::once(op.tiny())),
                Step::Burst(s, n) => Box::new(tinylfu::burst(s, n)),
            }
        });
        let (ours, log) = weighted_tiny(n, w, seed);
        tinylfu::check(ours, &log, |v| u64::from(v % 8), ops);
    }
}

#[test]
fn zero_capacity_admits_nothing_and_finalizes_rejects() {
    let mut log = Vec::new();
    let mut m = LruMap::with_finalizer(Capacity::entries(0), |k: u8, v: u8, c| log.push((k, v, c)));
    assert_eq!(m.insert(1, 1), None);
    assert_eq!(m.push(2, 2), None);
    assert_eq!(m.get_or_insert_with(3, || 3), None);
    assert!(m.is_empty());
    assert_eq!(m.stats().removals(RemovalCause::Rejected), 3);
    m.validate();
    drop(m);
    assert_eq!(log, [(1, 1, RemovalCause::Rejected), (2, 2, RemovalCause::Rejected), (3, 3, RemovalCause::Rejected)]);
}

#[test]
fn too_heavy_entry_is_rejected_and_old_value_returned() {
    let mut log = Vec::new();
    let mut m = LruMap::builder()
        .max_weight(10)
        .weigher(|_: &u8, v: &u64| *v)
        .finalizer(|k: u8, v: u64, c| log.push((k, v, c)))
        .build();
    m.insert(1, 4);
    m.insert(2, 4);
    assert_eq!(m.insert(1, 11), Some(4), "the old value leaves; the heavy one is rejected");
    assert!(!m.contains_key(&1));
    assert_eq!(m.peek(&2), Some(&4), "other entries are untouched");
    assert_eq!(m.weight(), 4);
    m.insert(3, 6);
    m.insert(4, 1); // 11 > 10: evicts 2
    assert_eq!(m.keys().copied().collect::<Vec<_>>(), [4, 3]);
    m.validate();
    drop(m);
    assert_eq!(log[..2], [(1, 11, RemovalCause::Rejected), (2, 4, RemovalCause::Evicted)]);
    let mut dropped = log[2..].to_vec();
    dropped.sort();
    assert_eq!(dropped, [(3, 6, RemovalCause::Dropped), (4, 1, RemovalCause::Dropped)]);
}

/// A value whose drop counts, to prove nothing is dropped twice or never.
struct Counted(Rc<RefCell<i64>>);

impl Counted {
    fn new(live: &Rc<RefCell<i64>>) -> Self {
        *live.borrow_mut() += 1;
        Counted(live.clone())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        *self.0.borrow_mut() -= 1;
    }
}

#[test]
fn a_panicking_finalizer_loses_nothing() {
    let live = Rc::new(RefCell::new(0i64));
    let calls = Rc::new(RefCell::new(0));
    let c = calls.clone();
    let mut m = LruMap::with_finalizer(Capacity::entries(4), move |k: u32, v: Counted, _cause| {
        *c.borrow_mut() += 1;
        drop(v);
        if k % 3 == 0 {
            panic!("finalizer panics on {k}");
        }
    });
    for k in 0..20u32 {
        let v = Counted::new(&live);
        let r = catch_unwind(AssertUnwindSafe(|| m.insert(k, v)));
        assert_eq!(r.is_err(), k >= 4 && (k - 4) % 3 == 0, "the evicted key {} panics", k.wrapping_sub(4));
        m.validate();
        assert!(m.contains_key(&k), "the new entry was stored before the panic was re-raised");
        assert_eq!(*live.borrow(), m.len() as i64, "no value lost or kept twice");
    }
    let r = catch_unwind(AssertUnwindSafe(|| m.clear()));
    assert!(r.is_err(), "16..20 include 18: clear re-raises after finalizing all");
    assert_eq!(*live.borrow(), 0);
    assert_eq!(*calls.borrow(), 20);
}

#[test]
fn a_panicking_drop_during_eviction_is_contained() {
    struct Bomb(bool);
    impl Drop for Bomb {
        fn drop(&mut self) {
            if self.0 {
                panic!("drop panics");
            }
        }
    }
    let mut m = LruMap::new(1);
    m.insert(1, Bomb(true));
    let r = catch_unwind(AssertUnwindSafe(|| m.insert(2, Bomb(false))));
    assert!(r.is_err());
    m.validate();
    assert!(m.contains_key(&2) && !m.contains_key(&1));
}

#[test]
fn a_panicking_hash_or_weigher_changes_nothing() {
    let mut m = LruMap::builder()
        .max_weight(100)
        .weigher(|_: &u8, v: &u64| if *v == 99 { panic!("weigher") } else { *v })
        .build();
    m.insert(1, 1);
    assert!(catch_unwind(AssertUnwindSafe(|| m.insert(2, 99))).is_err());
    assert!(catch_unwind(AssertUnwindSafe(|| m.insert(1, 99))).is_err());
    m.validate();
    assert_eq!(m.peek(&1), Some(&1));
    assert_eq!((m.len(), m.weight()), (1, 1));
}

#[test]
fn set_limit_evicts_lru_first_and_gives_memory_back() {
    let mut evicted = Vec::new();
    let mut m = LruMap::with_finalizer(Capacity::entries(1000), |k: u32, _v: u32, c| {
        if c == RemovalCause::Evicted {
            evicted.push(k)
        }
    });
    m.extend((0..1000).map(|i| (i, i)));
    let peak = m.allocation_size();
    m.set_limit(Capacity::entries(10));
    assert_eq!(m.keys().copied().collect::<Vec<_>>(), (990..1000).rev().collect::<Vec<_>>());
    assert!(m.allocation_size() * 20 < peak);
    m.validate();
    drop(m);
    assert_eq!(evicted, (0..990).collect::<Vec<_>>());
}

#[test]
fn clone_debug_extend_into_iter() {
    let mut m = LruMap::new(3);
    m.extend([(1, "a"), (2, "b"), (3, "c"), (4, "d")]);
    let c = m.clone();
    c.validate();
    assert_eq!(format!("{m:?}"), r#"{4: "d", 3: "c", 2: "b"}"#);
    assert_eq!(format!("{c:?}"), format!("{m:?}"));
    assert_eq!(c.into_iter().collect::<Vec<_>>(), [(4, "d"), (3, "c"), (2, "b")]);
    assert_eq!(m.stats().evictions(), 1);
}

#[test]
fn unbounded_and_weight_only_limits() {
    let mut m = LruMap::with_limit(Capacity::unbounded());
    m.extend((0..10_000u32).map(|i| (i, i)));
    assert_eq!(m.len(), 10_000);
    m.set_limit(Capacity::weight(5));
    assert_eq!(m.keys().copied().collect::<Vec<_>>(), [9999, 9998, 9997, 9996, 9995]);
    m.validate();
}

#[test]
fn wtinylfu_resists_a_scan() {
    let mut lru = LruMap::new(1000);
    let mut tlfu =
        LruMap::builder().max_entries(1000).hasher(leakless::FixedState::default()).policy(WTinyLfu::default()).build();
    let (mut hits_lru, mut hits_tlfu) = (0, 0);
    let mut x = 1u64;
    for i in 0..200_000u64 {
        // 800 hot keys, interleaved with a long scan of never-repeated keys.
        let key = if i % 2 == 0 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 33) % 800
        } else {
            1_000_000 + i
        };
        if lru.get(&key).is_some() {
            hits_lru += 1;
        } else {
            lru.insert(key, ());
        }
        if tlfu.get(&key).is_some() {
            hits_tlfu += 1;
        } else {
            tlfu.insert(key, ());
        }
    }
    tlfu.validate();
    assert!(hits_tlfu > hits_lru + 20_000, "W-TinyLFU {hits_tlfu} hits vs LRU {hits_lru}");
}

/// Weights near `u64::MAX` (the weigher is any `Fn(&K, &V) -> u64`): the total is kept
/// exactly, so a weight bound holds and an entry-only bound can still report it (a
/// `u64` total overflowed: a panic in debug builds, a wrapped total in release).
#[test]
fn total_weight_near_u64_max_neither_overflows_nor_breaks_the_bound() {
    let mut bounded = LruMap::builder().max_weight(u64::MAX).weigher(|_: &u32, v: &u64| *v).build();
    bounded.insert(1, u64::MAX);
    bounded.insert(2, 1);
    assert_eq!(bounded.len(), 1, "the two entries together weigh more than the limit");
    assert_eq!(bounded.weight(), 1);
    bounded.validate();
    bounded.insert(2, u64::MAX - 1);
    bounded.insert(3, 1);
    bounded.insert(3, 2); // a replacement that would take the total past u64::MAX
    assert!(!bounded.contains_key(&2));
    bounded.validate();

    let mut by_entries = LruMap::builder().max_entries(4).weigher(|_: &u32, v: &u64| *v).build();
    by_entries.insert(1, u64::MAX / 2 + 1);
    by_entries.insert(2, u64::MAX / 2 + 1);
    assert_eq!(by_entries.len(), 2, "no weight bound: both stay");
    assert_eq!(by_entries.weight(), u64::MAX, "a total past u64::MAX reads u64::MAX");
    by_entries.validate();
    by_entries.remove(&1);
    assert_eq!(by_entries.weight(), u64::MAX / 2 + 1);
    by_entries.validate();
}

/// With `WTinyLfu` the next victim need not come last in iteration order (the docs say
/// so); `peek_lru` names it, whatever the order.
#[test]
fn tinylfu_peek_lru_names_the_next_victim() {
    for seed in 0..50 {
        let mut m = LruMap::builder()
            .max_entries(5)
            .hasher(leakless::FixedState::with_seed(seed))
            .policy(WTinyLfu::default())
            .build();
        for k in 1..=5u32 {
            m.insert(k, k);
        }
        m.get(&2);
        m.get(&2);
        let victim = *m.peek_lru().unwrap().0;
        assert_eq!(m.keys().count(), 5);
        m.insert(6, 6);
        let evicted: Vec<u32> = (1..=5).filter(|k| !m.contains_key(k)).collect();
        assert_eq!(evicted, [victim], "seed {seed}");
        m.validate();
    }
}

/// `extend` hands nothing back: a value a pair replaces goes to the finalizer as
/// `Replaced` (evictions as `Evicted`), so each value is still seen once.
#[test]
fn extend_finalizes_the_values_it_replaces() {
    let log: Log = Rc::default();
    let l = log.clone();
    let mut m = LruMap::builder().max_entries(2).finalizer(move |k, v, c| l.borrow_mut().push((k, v, c))).build();
    m.extend([(1u8, 10u32), (1, 11), (2, 20), (3, 30)]);
    m.validate();
    assert_eq!(*log.borrow(), [(1, 10, RemovalCause::Replaced), (1, 11, RemovalCause::Evicted)]);
    assert_eq!(m.stats().removals(RemovalCause::Replaced), 1);
    assert_eq!(m.iter().map(|(&k, &v)| (k, v)).collect::<Vec<_>>(), [(3, 30), (2, 20)]);
}

/// A key equal by `id` only, so tests can tell which instance of a key comes back.
#[derive(Debug, Clone, Copy)]
struct Tagged {
    id: u8,
    tag: u8,
}

impl PartialEq for Tagged {
    fn eq(&self, o: &Tagged) -> bool {
        self.id == o.id
    }
}

impl Eq for Tagged {}

impl std::hash::Hash for Tagged {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.id.hash(h);
    }
}

/// `push` over a present key hands back the old value with the key passed in; when the
/// new value is rejected, the entry leaves whole (stored key, old value) and the key
/// passed in goes to the finalizer with the rejected value.
#[test]
fn push_over_a_present_key_hands_back_as_documented() {
    let log: Rc<RefCell<Vec<(u8, u64, RemovalCause)>>> = Rc::default();
    let l = log.clone();
    let mut m = LruMap::builder()
        .max_weight(10)
        .weigher(|_: &Tagged, v: &u64| *v)
        .finalizer(move |k: Tagged, v, c| l.borrow_mut().push((k.tag, v, c)))
        .build();
    m.insert(Tagged { id: 1, tag: 0 }, 5);
    let (k, v) = m.push(Tagged { id: 1, tag: 1 }, 6).unwrap();
    assert_eq!((k.tag, v), (1, 5), "the key passed in, with the old value");
    let (k, v) = m.push(Tagged { id: 1, tag: 2 }, 11).unwrap();
    assert_eq!((k.tag, v), (0, 6), "rejected: the stored key (tag 0) with the old value");
    assert_eq!(*log.borrow(), [(2, 11, RemovalCause::Rejected)]);
    assert!(m.is_empty());
}

/// A failed `try_reserve` keeps nothing: the arena is tried first, and the index is
/// not grown for room the arena cannot get.
#[test]
fn a_failed_try_reserve_holds_no_memory() {
    let mut m: LruMap<u32, [u8; 65536]> = LruMap::new(1 << 22);
    assert!(m.try_reserve(usize::MAX).is_err());
    m.validate();
    assert_eq!(m.allocation_size(), 0);
    m.insert(1, [0; 65536]);
    let held = m.allocation_size();
    assert!(m.try_reserve(usize::MAX).is_err());
    assert_eq!(m.allocation_size(), held, "a failure keeps what the map had");
    assert!(m.try_reserve(3).is_ok());
    m.validate();
}

thread_local! {
    /// Mixed into the hash of `Probed(1)`: changing it changes that key's hash.
    static SALT: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    /// How many times a `Probed` key was hashed on this thread.
    static HASHED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// A key whose hashing is observable: every hash is counted in [`HASHED`], and the
/// hash of `Probed(1)` depends on [`SALT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Probed(u32);

impl std::hash::Hash for Probed {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        HASHED.with(|c| c.set(c.get() + 1));
        let salt = if self.0 == 1 { SALT.with(std::cell::Cell::get) } else { 0 };
        (self.0, salt).hash(h);
    }
}

/// A key whose `Hash` changed after it was stored is a logic error, but it must not
/// corrupt the map: removing it (`pop_lru`) and evicting it to make room both find its
/// index bucket (by a scan when its hash no longer leads there).
#[test]
fn a_key_whose_hash_drifted_is_still_removed_and_evicted_cleanly() {
    for evict in [false, true] {
        SALT.with(|s| s.set(0));
        let mut m: LruMap<Probed, u32, FixedState> =
            LruMap::builder().max_entries(2).hasher(FixedState::default()).build();
        m.insert(Probed(1), 1);
        m.insert(Probed(2), 2);
        SALT.with(|s| s.set(1));
        if evict {
            m.insert(Probed(3), 3); // evicts 1
        } else {
            assert_eq!(m.pop_lru(), Some((Probed(1), 1)));
        }
        SALT.with(|s| s.set(0));
        m.validate();
        assert_eq!(m.len(), 1 + usize::from(evict));
    }
}

/// A key whose hash can be changed after it is stored (its own, shared cell).
#[derive(Clone, Debug)]
struct Rehashed {
    id: u64,
    hash: Rc<std::cell::Cell<u64>>,
}

impl PartialEq for Rehashed {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Rehashed {}

impl std::hash::Hash for Rehashed {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_u64(self.hash.get());
    }
}

/// A cache whose least recently used key's `Hash` changes before every insert evicts
/// it: over many such evictions no other (untouched) key may become unfindable. The
/// index once counted down overflow along the changed hash's probe path when a lookup
/// under the changed hash still reached the entry: a chunk's count dropped to 0 while
/// another entry was stored past it (lost after 9k to 214k evictions, in the review
/// that found it).
#[test]
#[cfg_attr(miri, ignore = "hundreds of thousands of evictions")]
fn evicting_keys_whose_hash_changed_loses_no_other_key() {
    let mut state = 12345u64;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let cap = 100u64;
    let mut m: LruMap<Rehashed, u64> = LruMap::new(cap as usize);
    let mut live: std::collections::VecDeque<Rehashed> = std::collections::VecDeque::new();
    for id in 0..cap {
        let k = Rehashed { id, hash: Rc::new(std::cell::Cell::new(next())) };
        m.insert(k.clone(), id);
        live.push_back(k);
    }
    for step in 0..300_000u64 {
        let lru = live.pop_front().unwrap();
        lru.hash.set(next());
        let k = Rehashed { id: cap + step, hash: Rc::new(std::cell::Cell::new(next())) };
        m.insert(k.clone(), step); // evicts `lru`
        live.push_back(k);
        if step % 256 == 0 {
            if let Some(lost) = live.iter().find(|k| !m.contains_key(*k)) {
                panic!("after {step} evictions, key {} (its hash never changed) is lost", lost.id);
            }
        }
    }
    assert_eq!(m.len(), cap as usize);
    m.validate();
}

/// An insert that evicts hashes two keys, once each: the new one, and the victim (a
/// full map hashes the victim before probing, to start loading its index lane, and the
/// eviction reuses that hash). Updating a present key in a full map hashes the victim
/// too, for nothing (the price of the early start); a map with room hashes only the key.
#[test]
fn an_evicting_insert_hashes_each_key_once() {
    let mut m: LruMap<Probed, u32> = LruMap::new(4);
    let hashed = |f: &mut dyn FnMut()| {
        HASHED.with(|c| c.set(0));
        f();
        HASHED.with(std::cell::Cell::get)
    };
    for k in 0..4 {
        assert_eq!(
            hashed(&mut || {
                let _ = m.insert(Probed(k), k);
            }),
            1,
            "room left: the key only"
        );
    }
    for k in 4..100 {
        assert_eq!(
            hashed(&mut || {
                let _ = m.insert(Probed(k), k);
            }),
            2,
            "the key and the victim"
        );
        assert_eq!(
            hashed(&mut || {
                let _ = m.push(Probed(k + 1000), k);
            }),
            2,
            "push evicts alike"
        );
        assert_eq!(
            hashed(&mut || {
                let _ = m.get_or_insert_with(Probed(k + 2000), || k);
            }),
            2
        );
    }
    assert_eq!(
        hashed(&mut || {
            let _ = m.insert(Probed(2099), 0);
        }),
        2,
        "present key, full map"
    );
    m.validate();
    assert_eq!(m.len(), 4);
}
