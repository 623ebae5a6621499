//! `LruMap` with the `WTinyLfu` policy against a model of its live entries that does not
//! predict victims, shared by `tests/lru.rs` (`wtinylfu_against_live_model`,
//! `wtinylfu_weighted_against_live_model`) and `fuzz/fuzz_targets/lru.rs`, which include
//! this file with `#[path]` and translate their own ops into [`TinyOp`]s. It depends only
//! on `std`, `leakless` and the sibling `lru_model` (`tests/models/lru.rs`, for its
//! finalizer [`Log`]), and does no I/O.
//!
//! Every value written is new (`8 * write number + weight source`), so a value names its
//! write. After every op [`check`] asserts: `validate()`; the same entries with their
//! latest values; len and weight within the limit; the counters of `stats()`. Per op:
//! - each evicted value (finalized as `Evicted`, or the victim `push` hands back) was live
//!   with that latest value, and `push` hands back the key's old value if it had one;
//! - a write evicts iff the new value does not fit beside the others, and evictions stop
//!   as soon as it fits (the last victim would not fit back);
//! - a new value is rejected (finalized as `Rejected`, `get_or_insert_with` gives `None`)
//!   iff it alone exceeds the limit;
//! - `retain` sees each entry once and finalizes exactly those it drops as `Explicit`,
//!   `clear` all as `Cleared`; nothing else reaches the finalizer.
//!
//! At the end, dropping the map finalizes the live entries as `Dropped`, and every value
//! written left exactly once (finalized or handed back).

use std::collections::HashMap as StdMap;
use std::hash::BuildHasher;

use leakless::lru::EntryWeigher;
use leakless::{Capacity, Finalizer, LruMap, RemovalCause, WTinyLfu};

use super::lru_model::Log;

/// One call on the map. Writes take a weight source (`raw % 8` ends the value).
#[allow(dead_code)] // each includer generates a part
#[derive(Debug, Clone, Copy)]
pub(crate) enum TinyOp {
    Insert(u8, u16),
    Push(u8, u16),
    Get(u8),
    GetMut(u8),
    Peek(u8),
    PeekMut(u8),
    Contains(u8),
    Remove(u8),
    PopLru,
    PeekLru,
    GetOrInsert(u8, u16),
    /// `set_limit` to this many entries, keeping the weight bound.
    Resize(u8),
    SetLimit(Capacity),
    /// `retain` keeping `(k + v) % m != 0` (`m` at least 1).
    Retain(u8),
    Clear,
}

/// `64 × (n + 1)` `get_or_insert_with` requests (up to 16,384), drawn from `seed`, so
/// that a run reaches the policy's hill climber: it samples the hit ratio every 4,096
/// requests (`10 × len` for a cache of more than 409 entries) and moves the window when the
/// ratio changed. Phases of 4,096 requests alternate between 16 hot keys and all 256, so
/// consecutive samples differ by far more than the climber's restart threshold and the
/// window grows and shrinks from the second sample on, while the model checks every
/// request.
#[allow(dead_code)] // each includer uses a part
pub(crate) fn burst(seed: u8, n: u8) -> impl Iterator<Item = TinyOp> {
    // xorshift32 from a nonzero state.
    let mut x = u32::from(seed) << 8 | 0x5A;
    (0..64 * (usize::from(n) + 1)).map(move |i| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let key = if i / 4096 % 2 == 0 { x % 16 } else { x % 256 };
        TinyOp::GetOrInsert(key as u8, x as u16)
    })
}

/// What `stats()` should say.
#[derive(Default)]
struct Tally {
    hits: u64,
    misses: u64,
    insertions: u64,
    removed: Removed,
}

impl Tally {
    fn lookup(&mut self, hit: bool) {
        *(if hit { &mut self.hits } else { &mut self.misses }) += 1;
    }

    fn removals(&self, cause: RemovalCause) -> u64 {
        self.removed.0[Removed::slot(cause)]
    }
}

/// Removals counted by cause (a count per cause, not a list: runs of many thousands of
/// ops check the counters after every op).
#[derive(Default)]
struct Removed([u64; RemovalCause::ALL.len()]);

impl Removed {
    fn slot(cause: RemovalCause) -> usize {
        RemovalCause::ALL.iter().position(|&c| c == cause).expect("every cause is in ALL")
    }

    fn push(&mut self, cause: RemovalCause) {
        self.0[Self::slot(cause)] += 1;
    }

    fn extend(&mut self, causes: impl IntoIterator<Item = RemovalCause>) {
        causes.into_iter().for_each(|c| self.push(c));
    }
}

/// Drives `ours`, whose finalizer appends to `log` and whose weigher is `weight_of` of the
/// value, through `ops` (see the module docs for what is checked).
pub(crate) fn check<S, W, F>(
    mut ours: LruMap<u8, u32, S, WTinyLfu, W, F>,
    log: &Log,
    weight_of: fn(u32) -> u64,
    ops: impl IntoIterator<Item = TinyOp>,
) where
    S: BuildHasher,
    W: EntryWeigher<u8, u32>,
    F: Finalizer<u8, u32>,
{
    let weight = |m: &StdMap<u8, u32>| m.values().map(|&v| weight_of(v)).sum::<u64>();
    let mut live: StdMap<u8, u32> = StdMap::new();
    let mut created: Vec<u32> = Vec::new();
    let mut handed_back: Vec<u32> = Vec::new();
    let mut tally = Tally::default();
    for op in ops {
        let seen = log.borrow().len();
        let limit = ours.limit();
        let fresh = |created: &Vec<u32>, raw: u16| (created.len() as u32 + 1) * 8 + u32::from(raw % 8);
        // Departures other than evictions, predicted exactly.
        let mut expect: Vec<(u8, u32, RemovalCause)> = Vec::new();
        // The victim `push` handed back (checked with the finalizer's evictions).
        let mut victims: Vec<(u8, u32)> = Vec::new();
        // A new value this op wrote under a key (the key's old value already left `live`).
        let mut wrote: Option<(u8, u32, bool)> = None;
        // Whether the op had to evict (only writes and `set_limit` may).
        let mut must_evict = false;
        match op {
            TinyOp::Insert(k, raw) => {
                let v = fresh(&created, raw);
                created.push(v);
                let old = ours.insert(k, v);
                assert_eq!(old, live.remove(&k), "insert returns the old value");
                tally.removed.extend(old.map(|_| RemovalCause::Replaced));
                handed_back.extend(old);
                wrote = Some((k, v, old.is_none()));
            }
            TinyOp::Push(k, raw) => {
                let v = fresh(&created, raw);
                created.push(v);
                let out = ours.push(k, v);
                let old = live.remove(&k);
                match old {
                    Some(old) => {
                        assert_eq!(out, Some((k, old)), "push hands back the key's old value");
                        tally.removed.push(RemovalCause::Replaced);
                    }
                    None => {
                        if let Some((ek, ev)) = out {
                            assert_ne!(ek, k, "push handed back the key it stored");
                            victims.push((ek, ev));
                            tally.removed.push(RemovalCause::Evicted);
                        }
                    }
                }
                handed_back.extend(out.map(|o| o.1));
                wrote = Some((k, v, old.is_none()));
            }
            TinyOp::Get(k) | TinyOp::GetMut(k) | TinyOp::Peek(k) | TinyOp::PeekMut(k) => {
                let want = live.get(&k).copied();
                tally.lookup(want.is_some());
                let got = match op {
                    TinyOp::Get(_) => ours.get(&k).copied(),
                    TinyOp::GetMut(_) => ours.get_mut(&k).map(|v| *v),
                    TinyOp::Peek(_) => ours.peek(&k).copied(),
                    _ => ours.peek_mut(&k).map(|v| *v),
                };
                assert_eq!(got, want, "{op:?}");
            }
            TinyOp::Contains(k) => assert_eq!(ours.contains_key(&k), live.contains_key(&k)),
            TinyOp::Remove(k) => {
                let got = ours.remove(&k);
                assert_eq!(got, live.remove(&k));
                tally.removed.extend(got.map(|_| RemovalCause::Explicit));
                handed_back.extend(got);
            }
            TinyOp::PopLru => {
                let peeked = ours.peek_lru().map(|(k, v)| (*k, *v));
                let got = ours.pop_lru();
                assert_eq!(got, peeked, "peek_lru predicts pop_lru");
                assert_eq!(got.is_some(), !live.is_empty());
                if let Some((k, v)) = got {
                    assert_eq!(live.remove(&k), Some(v));
                    tally.removed.push(RemovalCause::Explicit);
                    handed_back.push(v);
                }
            }
            TinyOp::PeekLru => {
                let peeked = ours.peek_lru().map(|(k, v)| (*k, *v));
                assert_eq!(peeked.is_some(), !live.is_empty());
                if let Some((k, v)) = peeked {
                    assert_eq!(live.get(&k), Some(&v));
                }
            }
            TinyOp::Resize(_) | TinyOp::SetLimit(_) => {
                let new = match (op, limit.max_weight()) {
                    (TinyOp::SetLimit(new), _) => new,
                    (TinyOp::Resize(n), Some(w)) => Capacity::entries(n.into()).with_max_weight(w),
                    (TinyOp::Resize(n), None) => Capacity::entries(n.into()),
                    _ => unreachable!(),
                };
                must_evict = new.is_exceeded_by(live.len(), weight(&live));
                ours.set_limit(new);
                assert_eq!(ours.limit(), new);
            }
            TinyOp::GetOrInsert(k, raw) => {
                let v = fresh(&created, raw);
                let mut called = false;
                let got = ours
                    .get_or_insert_with(k, || {
                        called = true;
                        v
                    })
                    .copied();
                tally.lookup(live.contains_key(&k));
                match live.get(&k) {
                    Some(&old) => {
                        assert!(!called, "get_or_insert_with made a value for a present key");
                        assert_eq!(got, Some(old));
                    }
                    None => {
                        assert!(called, "get_or_insert_with made no value for an absent key");
                        created.push(v);
                        let rejected = limit.rejects_single(weight_of(v));
                        assert_eq!(got, (!rejected).then_some(v), "None iff rejected");
                        wrote = Some((k, v, true));
                    }
                }
            }
            TinyOp::Retain(m) => {
                let m = u32::from(m.max(1));
                let keep = |k: u8, v: u32| (u32::from(k) + v) % m != 0;
                let mut visited = Vec::new();
                ours.retain(|k, v| {
                    visited.push((*k, *v));
                    keep(*k, *v)
                });
                visited.sort_unstable();
                let mut want: Vec<_> = live.iter().map(|(k, v)| (*k, *v)).collect();
                want.sort_unstable();
                assert_eq!(visited, want, "retain sees every entry once, with its latest value");
                live.retain(|k, v| {
                    if !keep(*k, *v) {
                        expect.push((*k, *v, RemovalCause::Explicit));
                    }
                    keep(*k, *v)
                });
            }
            TinyOp::Clear => {
                ours.clear();
                expect.extend(live.drain().map(|(k, v)| (k, v, RemovalCause::Cleared)));
            }
        }
        if let Some((k, v, new_key)) = wrote {
            let w = weight_of(v);
            if limit.rejects_single(w) {
                expect.push((k, v, RemovalCause::Rejected));
                must_evict = false;
            } else {
                must_evict = limit.is_exceeded_by(live.len() + 1, weight(&live) + w);
                live.insert(k, v);
                tally.insertions += u64::from(new_key);
            }
        }
        tally.removed.extend(expect.iter().map(|e| e.2));
        // What the finalizer saw during the op: evictions are checked against `live`,
        // everything else must be exactly what was predicted.
        let (evicted, mut other): (Vec<_>, Vec<_>) =
            log.borrow()[seen..].iter().copied().partition(|e| e.2 == RemovalCause::Evicted);
        other.sort_unstable();
        expect.sort_unstable();
        assert_eq!(other, expect, "finalized besides evictions");
        tally.removed.extend(evicted.iter().map(|e| e.2));
        let evicted: Vec<(u8, u32)> = victims.into_iter().chain(evicted.iter().map(|e| (e.0, e.1))).collect();
        for &(k, v) in &evicted {
            assert_eq!(live.remove(&k), Some(v), "evicted ({k}, {v}), which was not live");
        }
        let limit = ours.limit();
        assert_eq!(!evicted.is_empty(), must_evict, "evicted {evicted:?} under {limit:?}");
        if let Some(&(_, last)) = evicted.last() {
            assert!(
                limit.is_exceeded_by(live.len() + 1, weight(&live) + weight_of(last)),
                "evicted more than needed: {evicted:?} under {limit:?}"
            );
        }
        ours.validate();
        assert_eq!(ours.len(), live.len());
        assert_eq!(ours.weight(), weight(&live));
        assert!(!limit.is_exceeded_by(ours.len(), ours.weight()));
        let mut a: Vec<_> = ours.iter().map(|(k, v)| (*k, *v)).collect();
        let mut b: Vec<_> = live.iter().map(|(k, v)| (*k, *v)).collect();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
        let stats = ours.stats();
        assert_eq!((stats.hits, stats.misses), (tally.hits, tally.misses), "lookups");
        assert_eq!(stats.insertions, tally.insertions, "insertions");
        for cause in RemovalCause::ALL {
            assert_eq!(stats.removals(cause), tally.removals(cause), "removals counted for {cause:?}");
        }
    }
    let seen = log.borrow().len();
    drop(ours);
    let mut dropped: Vec<_> = log.borrow()[seen..].to_vec();
    dropped.sort_unstable();
    let mut want: Vec<_> = live.into_iter().map(|(k, v)| (k, v, RemovalCause::Dropped)).collect();
    want.sort_unstable();
    assert_eq!(dropped, want, "the live entries finalized on drop");
    let mut all: Vec<u32> = log.borrow().iter().map(|e| e.1).chain(handed_back).collect();
    all.sort_unstable();
    created.sort_unstable();
    assert_eq!(all, created, "every value left exactly once");
}
