//! Exact-LRU `LruMap` bounded by entries and weight against a `VecDeque` model (front =
//! most recently used), shared by `tests/lru.rs` (`same_as_weighted_vecdeque`) and
//! `fuzz/fuzz_targets/lru.rs`, which include this file with `#[path]` and translate their
//! own ops into [`WOp`]s; `tests/nested.rs` keeps one [`Model`] per inner `LruMap` of a
//! `NestedMap`. It depends only on `std` and `leakless`, and does no I/O.
//!
//! After every op [`check`] asserts: `validate()`; the same entries in the same MRU-to-LRU
//! order; the same weight; every value the finalizer saw, with its cause and in order
//! (evictions oldest first, rejections of values that alone exceed the limit); what
//! `insert`, `push`, `remove` and `pop_lru` hand back; the removal counters of `stats()`.
//! At the end, dropping the map finalizes exactly its live entries as `Dropped`.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::hash::BuildHasher;
use std::rc::Rc;

use leakless::lru::EntryWeigher;
use leakless::{Capacity, Finalizer, LruMap, RemovalCause};

/// What the map's finalizer records (also for `tests/models/tinylfu.rs`).
pub(crate) type Log = Rc<RefCell<Vec<Record>>>;

/// One finalizer record: key, value, cause.
pub(crate) type Record = (u8, u32, RemovalCause);

/// One call on the map. A write's weight is the includer's `weight_of` of its value.
#[allow(dead_code)] // each includer generates a part
#[derive(Debug, Clone, Copy)]
pub(crate) enum WOp {
    Insert(u8, u32),
    Push(u8, u32),
    /// Set the value through `get_mut`: the recorded weight stays that of the old value.
    GetMut(u8, u32),
    /// Add to every value through `iter_mut` (no promotion; the weights stay).
    IterMut(u32),
    Get(u8),
    Peek(u8),
    Contains(u8),
    Remove(u8),
    PopLru,
    PeekLru,
    SetLimit(Capacity),
    /// `retain` keeping the keys divisible by this (at least 1).
    Retain(u8),
    Clear,
    GetOrInsert(u8, u32),
}

/// The model: `(key, value, weight)` from most to least recently used.
pub(crate) struct Model {
    pub(crate) q: VecDeque<(u8, u32, u64)>,
    pub(crate) limit: Capacity,
    /// What the finalizer should have seen, in order.
    pub(crate) gone: Vec<Record>,
    /// Departures handed back to the caller or checked apart from `gone` (explicit
    /// removals, replaced values, `retain` and `clear`), for the removal counters.
    counted: Vec<RemovalCause>,
}

impl Model {
    pub(crate) fn new(limit: Capacity) -> Self {
        Model { q: VecDeque::new(), limit, gone: Vec::new(), counted: Vec::new() }
    }

    fn weight(&self) -> u64 {
        self.q.iter().map(|e| e.2).sum()
    }

    pub(crate) fn pos(&self, k: u8) -> Option<usize> {
        self.q.iter().position(|e| e.0 == k)
    }

    pub(crate) fn evict_while(&mut self, extra_len: usize, extra_w: u64) {
        while !self.q.is_empty() && self.limit.is_exceeded_by(self.q.len() + extra_len, self.weight() + extra_w) {
            let (k, v, _) = self.q.pop_back().unwrap();
            self.gone.push((k, v, RemovalCause::Evicted));
        }
    }

    pub(crate) fn insert(&mut self, k: u8, v: u32, w: u64) -> Option<u32> {
        let old = self.pos(k).map(|p| self.q.remove(p).unwrap().1);
        self.counted.extend(old.map(|_| RemovalCause::Replaced));
        if self.limit.rejects_single(w) {
            self.gone.push((k, v, RemovalCause::Rejected));
        } else if old.is_some() {
            self.q.push_front((k, v, w));
            self.evict_while(0, 0);
        } else {
            self.evict_while(1, w);
            self.q.push_front((k, v, w));
        }
        old
    }

    /// `push`: the old value of `k` with `k`, or else the first entry evicted for the new
    /// one (the least recently used), handed back instead of finalized.
    fn push(&mut self, k: u8, v: u32, w: u64) -> Option<(u8, u32)> {
        let before = self.gone.len();
        if let Some(old) = self.insert(k, v, w) {
            return Some((k, old));
        }
        let first = self.gone[before..].iter().position(|e| e.2 == RemovalCause::Evicted)?;
        let (k, v, cause) = self.gone.remove(before + first);
        self.counted.push(cause);
        Some((k, v))
    }

    pub(crate) fn get(&mut self, k: u8) -> Option<u32> {
        let e = self.q.remove(self.pos(k)?).unwrap();
        self.q.push_front(e);
        Some(e.1)
    }

    /// An explicit removal the caller gets back.
    pub(crate) fn take(&mut self, p: Option<usize>) -> Option<(u8, u32)> {
        let (k, v, _) = self.q.remove(p?).unwrap();
        self.counted.push(RemovalCause::Explicit);
        Some((k, v))
    }

    /// `retain` or `clear`: the entries not kept leave with `cause`, in an unspecified
    /// order; returns the finalizer's records of this op and the model's, both sorted.
    fn drop_all(&mut self, log: &Log, cause: RemovalCause, keep: impl Fn(u8) -> bool) -> [Vec<Record>; 2] {
        let (kept, dropped): (VecDeque<_>, VecDeque<_>) = self.q.drain(..).partition(|e| keep(e.0));
        self.q = kept;
        let mut want: Vec<_> = dropped.into_iter().map(|e| (e.0, e.1, cause)).collect();
        let mut seen: Vec<_> = log.borrow_mut().drain(self.gone.len()..).collect();
        want.sort_unstable();
        seen.sort_unstable();
        self.counted.extend(want.iter().map(|e| e.2));
        [seen, want]
    }

    /// How many departures the map's `stats()` should count for `cause`.
    fn removals(&self, cause: RemovalCause) -> u64 {
        let gone = self.gone.iter().filter(|e| e.2 == cause).count();
        (gone + self.counted.iter().filter(|&&c| c == cause).count()) as u64
    }
}

/// Drives `ours` (exact LRU, limit as built), whose finalizer appends to `log` and whose
/// weigher is `weight_of` of the value, through `ops` (see the module docs).
pub(crate) fn check<S, W, F>(
    mut ours: LruMap<u8, u32, S, leakless::Lru, W, F>,
    log: &Log,
    weight_of: fn(u32) -> u64,
    ops: impl IntoIterator<Item = WOp>,
) where
    S: BuildHasher,
    W: EntryWeigher<u8, u32>,
    F: Finalizer<u8, u32>,
{
    let mut model = Model::new(ours.limit());
    for op in ops {
        match op {
            WOp::Insert(k, v) => assert_eq!(ours.insert(k, v), model.insert(k, v, weight_of(v)), "insert"),
            WOp::Push(k, v) => assert_eq!(ours.push(k, v), model.push(k, v, weight_of(v)), "push"),
            WOp::GetMut(k, v) => {
                let a = ours.get_mut(&k).map(|x| std::mem::replace(x, v));
                let b = model.get(k).inspect(|_| model.q[0].1 = v);
                assert_eq!(a, b, "get_mut");
            }
            WOp::IterMut(add) => {
                let a: Vec<_> = ours
                    .iter_mut()
                    .map(|(k, v)| {
                        *v = v.wrapping_add(add);
                        (*k, *v)
                    })
                    .collect();
                model.q.iter_mut().for_each(|e| e.1 = e.1.wrapping_add(add));
                let b: Vec<_> = model.q.iter().map(|e| (e.0, e.1)).collect();
                assert_eq!(a, b, "iter_mut yields every entry once, in the order of iter");
            }
            WOp::Get(k) => assert_eq!(ours.get(&k).copied(), model.get(k), "get"),
            WOp::Peek(k) => assert_eq!(ours.peek(&k).copied(), model.pos(k).map(|p| model.q[p].1), "peek"),
            WOp::Contains(k) => assert_eq!(ours.contains_key(&k), model.pos(k).is_some(), "contains_key"),
            WOp::Remove(k) => {
                let p = model.pos(k);
                assert_eq!(ours.remove(&k), model.take(p).map(|e| e.1), "remove");
            }
            WOp::PopLru => {
                let p = model.q.len().checked_sub(1);
                assert_eq!(ours.pop_lru(), model.take(p), "pop_lru");
            }
            WOp::PeekLru => {
                let want = model.q.back().map(|e| (e.0, e.1));
                assert_eq!(ours.peek_lru().map(|(k, v)| (*k, *v)), want, "peek_lru");
            }
            WOp::SetLimit(limit) => {
                ours.set_limit(limit);
                model.limit = limit;
                model.evict_while(0, 0);
            }
            WOp::Retain(m) => {
                let m = m.max(1);
                ours.retain(|k, _| k % m == 0);
                let [seen, want] = model.drop_all(log, RemovalCause::Explicit, |k| k % m == 0);
                assert_eq!(seen, want, "retain finalizes what it drops");
            }
            WOp::Clear => {
                ours.clear();
                let [seen, want] = model.drop_all(log, RemovalCause::Cleared, |_| false);
                assert_eq!(seen, want, "clear finalizes every entry");
            }
            WOp::GetOrInsert(k, v) => {
                let a = ours.get_or_insert_with(k, || v).copied();
                let b = match model.get(k) {
                    Some(x) => Some(x),
                    None => {
                        model.insert(k, v, weight_of(v));
                        model.pos(k).map(|p| model.q[p].1)
                    }
                };
                assert_eq!(a, b, "get_or_insert_with");
            }
        }
        ours.validate();
        assert_eq!(*log.borrow(), model.gone, "finalized values and causes, in order");
        assert_eq!(ours.len(), model.q.len());
        assert_eq!(ours.weight(), model.weight());
        let stats = ours.stats();
        for cause in RemovalCause::ALL {
            assert_eq!(stats.removals(cause), model.removals(cause), "removals counted for {cause:?}");
        }
        let a: Vec<_> = ours.iter().map(|(k, v)| (*k, *v)).collect();
        let b: Vec<_> = model.q.iter().map(|e| (e.0, e.1)).collect();
        assert_eq!(a, b, "MRU -> LRU order");
    }
    drop(ours);
    let [seen, want] = model.drop_all(log, RemovalCause::Dropped, |_| false);
    assert_eq!(seen, want, "dropping the map finalizes exactly its live entries");
}
