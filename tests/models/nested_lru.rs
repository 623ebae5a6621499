//! A `NestedMap` of `LruMap`s (a bounded cache per outer key) against one `VecDeque` LRU
//! model per key (`tests/models/lru.rs`, which includers bring in as `lru_model`),
//! shared by `tests/nested.rs` and `fuzz/fuzz_targets/nested.rs`. It depends only on
//! `std`, `leakless`, that model and the sibling `model` (`tests/models/nested.rs`, for
//! its fixed hasher), and does no I/O.
//!
//! Each inner map is bounded by entries and weight (a value weighs `v % 4`) and made by
//! `inner_mut_or_insert_with` when an insert finds none. After every op
//! ([`LruInner::apply`]): what the op returned; `validate()`; every inner map's entries
//! from most to least recently used; `len()` and `outer_len()`; and `stats().pruned`,
//! counting the inner maps a removal, an eviction down to a lower limit or a rejected
//! first insert left empty (not those `remove_inner` or `clear` took).

use std::collections::BTreeMap;

use leakless::{Capacity, LruMap, NestedMap};

use super::lru_model::Model;
use super::model::{fixed, Fixed};

/// An inner map: exact LRU with a weigher.
pub(crate) type Lru = LruMap<u8, u32, Fixed, leakless::Lru, fn(&u8, &u32) -> u64>;

fn weigh(_: &u8, v: &u32) -> u64 {
    u64::from(v % 4)
}

fn lru(limit: Capacity) -> Lru {
    LruMap::builder().limit(limit).hasher(Fixed::with_seeds(5, 6, 7, 8)).weigher(weigh as fn(&u8, &u32) -> u64).build()
}

/// One call on the nested map. Outer keys are taken modulo 4, inner keys modulo 8 and
/// `SetLimit` entry counts modulo 5 (so the fuzz target can generate any op).
#[derive(Clone, Copy, Debug)]
#[cfg_attr(fuzzing, derive(arbitrary::Arbitrary))]
pub(crate) enum LruOp {
    /// Through `inner_mut_or_insert_with`, which makes a missing inner map.
    Insert(u8, u8, u32),
    Remove(u8, u8),
    /// `get`: a read through `&self`, no promotion.
    Get(u8, u8),
    /// `get_mut`: promotes; the recorded weight stays the old value's.
    GetMut(u8, u8, u32),
    /// `LruMap::get` through `with_inner_mut`: promotes.
    Touch(u8, u8),
    PopLru(u8),
    /// `set_limit` to this many entries (the weight bound kept), through `with_inner_mut`.
    SetLimit(u8, u8),
    /// Two-level `retain` keeping `(k2 + v) % m != 0` (`m` at least 1).
    Retain(u8),
    RemoveInner(u8),
    Clear,
}

impl LruOp {
    /// The op with its keys and limit folded into the model's small ranges.
    fn folded(self) -> Self {
        let (a, b) = (|a: u8| a % 4, |b: u8| b % 8);
        match self {
            LruOp::Insert(x, y, v) => LruOp::Insert(a(x), b(y), v),
            LruOp::Remove(x, y) => LruOp::Remove(a(x), b(y)),
            LruOp::Get(x, y) => LruOp::Get(a(x), b(y)),
            LruOp::GetMut(x, y, v) => LruOp::GetMut(a(x), b(y), v),
            LruOp::Touch(x, y) => LruOp::Touch(a(x), b(y)),
            LruOp::PopLru(x) => LruOp::PopLru(a(x)),
            LruOp::SetLimit(x, n) => LruOp::SetLimit(a(x), n % 5),
            LruOp::RemoveInner(x) => LruOp::RemoveInner(a(x)),
            op @ (LruOp::Retain(_) | LruOp::Clear) => op,
        }
    }
}

/// The nested map and its models.
pub(crate) struct LruInner {
    map: NestedMap<u8, Lru, Fixed>,
    model: BTreeMap<u8, Model>,
    /// What each new inner map is made with.
    limit: Capacity,
    pruned: u64,
}

impl LruInner {
    /// Inner maps made with `limit`.
    pub(crate) fn new(limit: Capacity) -> Self {
        LruInner { map: NestedMap::with_hasher(fixed()), model: BTreeMap::new(), limit, pruned: 0 }
    }

    /// Makes `op` on the map and the models, and checks (see the module docs).
    pub(crate) fn apply(&mut self, op: LruOp) {
        let LruInner { map: m, model, limit, .. } = self;
        let limit = *limit;
        match op.folded() {
            LruOp::Insert(a, b, v) => {
                let got = m.inner_mut_or_insert_with(a, || lru(limit)).insert(b, v);
                let want = model.entry(a).or_insert_with(|| Model::new(limit)).insert(b, v, weigh(&b, &v));
                assert_eq!(got, want, "insert");
            }
            LruOp::Remove(a, b) => {
                let want = model.get_mut(&a).and_then(|g| g.take(g.pos(b))).map(|e| e.1);
                assert_eq!(m.remove(&a, &b), want, "remove");
            }
            LruOp::Get(a, b) => {
                let want = model.get(&a).and_then(|g| g.pos(b).map(|p| g.q[p].1));
                assert_eq!(m.get(&a, &b).copied(), want, "get");
            }
            LruOp::GetMut(a, b, v) => {
                let got = m.get_mut(&a, &b).map(|x| std::mem::replace(x, v));
                let want = model.get_mut(&a).and_then(|g| g.get(b).inspect(|_| g.q[0].1 = v));
                assert_eq!(got, want, "get_mut");
            }
            LruOp::Touch(a, b) => {
                let got = m.with_inner_mut(&a, |l| l.get(&b).copied());
                assert_eq!(got, model.get_mut(&a).map(|g| g.get(b)), "LruMap::get");
            }
            LruOp::PopLru(a) => {
                let got = m.with_inner_mut(&a, |l| l.pop_lru());
                let want = model.get_mut(&a).map(|g| g.take(g.q.len().checked_sub(1)));
                assert_eq!(got, want, "pop_lru");
            }
            LruOp::SetLimit(a, n) => {
                let to = Capacity::entries(usize::from(n)).with_max_weight(limit.max_weight().unwrap_or(u64::MAX));
                m.with_inner_mut(&a, |l| l.set_limit(to));
                if let Some(g) = model.get_mut(&a) {
                    g.limit = to;
                    g.evict_while(0, 0);
                }
            }
            LruOp::Retain(d) => {
                let d = u32::from(d.max(1));
                m.retain(|_, k2, v| u32::from(*k2).wrapping_add(*v) % d != 0);
                for g in model.values_mut() {
                    g.q.retain(|e| u32::from(e.0).wrapping_add(e.1) % d != 0);
                }
            }
            LruOp::RemoveInner(a) => {
                let got = m.remove_inner(&a).map(|l| l.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>());
                let want = model.remove(&a).map(|g| g.q.iter().map(|e| (e.0, e.1)).collect::<Vec<_>>());
                assert_eq!(got, want, "remove_inner");
            }
            LruOp::Clear => {
                m.clear();
                model.clear();
            }
        }
        // The models this op left empty are the inner maps the map pruned.
        let before = model.len();
        model.retain(|_, g| !g.q.is_empty());
        self.pruned += (before - model.len()) as u64;
        self.check();
    }

    fn check(&self) {
        let (m, model) = (&self.map, &self.model);
        m.validate();
        assert_eq!(m.stats().pruned, self.pruned, "pruned inner maps");
        assert_eq!(m.outer_len(), model.len(), "outer_len");
        assert_eq!(m.len(), model.values().map(|g| g.q.len()).sum::<usize>(), "len");
        for (a, g) in model {
            let got: Vec<_> = m.iter_inner(a).map(|(k, v)| (*k, *v)).collect();
            let want: Vec<_> = g.q.iter().map(|e| (e.0, e.1)).collect();
            assert_eq!(got, want, "inner map {a} from most to least recently used");
        }
    }
}
