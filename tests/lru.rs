//! `LruMap` against models: the `lru` crate (same results, same eviction order), a
//! `VecDeque` LRU with weights, and for `WTinyLfu` a live-entry model fed by the
//! finalizer. `validate()` after every op; finalizer exactly-once, also under panics.
//! Example-based tests of particular cases are in `tests/lru/cases.rs`.

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

#[path = "lru/cases.rs"]
mod cases;

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
