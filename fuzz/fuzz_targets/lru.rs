//! `leakless::LruMap` against a `VecDeque` LRU model (front = most recently used), bound
//! by entries and weight; `validate()` after every op; every value finalized or handed
//! back exactly once. The same ops then drive a `WTinyLfu` map against a model of its
//! live entries that does not predict victims (see `tiny`).
#![no_main]

use std::cell::RefCell;
use std::collections::{HashMap as StdMap, VecDeque};
use std::rc::Rc;

use arbitrary::Arbitrary;
use leakless::{Capacity, LruMap, RemovalCause, WTinyLfu};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Insert(u8, u16),
    Push(u8, u16),
    Get(u8),
    GetMut(u8, u16),
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

fn weigh(v: u16) -> u64 {
    u64::from(v % 5)
}

struct Model {
    q: VecDeque<(u8, u32, u64)>,
    limit: Capacity,
}

impl Model {
    fn weight(&self) -> u64 {
        self.q.iter().map(|e| e.2).sum()
    }
    fn pos(&self, k: u8) -> Option<usize> {
        self.q.iter().position(|e| e.0 == k)
    }
    fn touch(&mut self, k: u8) -> Option<u32> {
        let e = self.q.remove(self.pos(k)?).unwrap();
        self.q.push_front(e);
        Some(e.1)
    }
    fn evict(&mut self, len: usize, w: u64) {
        while !self.q.is_empty() && self.limit.is_exceeded_by(self.q.len() + len, self.weight() + w) {
            self.q.pop_back();
        }
    }
    /// Returns the old value of `k`.
    fn insert(&mut self, k: u8, id: u32, w: u64) -> Option<u32> {
        let old = self.pos(k).map(|p| self.q.remove(p).unwrap().1);
        if self.limit.rejects_single(w) {
            return old;
        }
        if old.is_some() {
            self.q.push_front((k, id, w));
            self.evict(0, 0);
        } else {
            self.evict(1, w);
            self.q.push_front((k, id, w));
        }
        old
    }
}

fuzz_target!(|input: (u8, u8, Vec<Op>)| {
    let (n, w, ops) = input;
    let limit = Capacity::entries(usize::from(n % 32)).with_max_weight(u64::from(w % 64));
    // Values are (id, weight source); ids are unique, so "exactly once" is checkable.
    let gone: Rc<RefCell<Vec<u32>>> = Rc::default();
    let g = gone.clone();
    let mut map = LruMap::builder()
        .limit(limit)
        .hasher(leakless::DefaultHashBuilder::with_seeds(1, 2, 3, 4))
        .weigher(|_: &u8, v: &(u32, u16)| weigh(v.1))
        .finalizer(move |_k: u8, v: (u32, u16), _c: RemovalCause| g.borrow_mut().push(v.0))
        .build();
    let mut model = Model { q: VecDeque::new(), limit };
    let mut handed: Vec<u32> = Vec::new();
    let mut next = 0u32;
    for op in &ops {
        match *op {
            Op::Insert(k, v) => {
                next += 1;
                let old = map.insert(k, (next, v)).map(|x| x.0);
                assert_eq!(old, model.insert(k, next, weigh(v)));
                handed.extend(old);
            }
            Op::Push(k, v) => {
                next += 1;
                let before: Vec<_> = model.q.iter().map(|e| (e.0, e.1)).collect();
                let out = map.push(k, (next, v)).map(|(k, v)| (k, v.0));
                let old = model.insert(k, next, weigh(v));
                match (out, old) {
                    (Some(o), Some(m)) => assert_eq!(o, (k, m)),
                    (Some((ek, ev)), None) => {
                        assert!(before.contains(&(ek, ev)), "push handed back a value that was not live");
                        assert!(model.pos(ek).is_none());
                    }
                    (None, Some(_)) => panic!("push lost the old value"),
                    (None, None) => {}
                }
                handed.extend(out.map(|o| o.1));
            }
            Op::Get(k) => assert_eq!(map.get(&k).map(|v| v.0), model.touch(k)),
            Op::GetMut(k, v) => {
                // Mutating a value does not change its recorded weight (checked below).
                let a = map.get_mut(&k).map(|x| {
                    x.1 = v;
                    x.0
                });
                assert_eq!(a, model.touch(k));
            }
            Op::Peek(k) => assert_eq!(map.peek(&k).map(|v| v.0), model.pos(k).map(|p| model.q[p].1)),
            Op::Contains(k) => assert_eq!(map.contains_key(&k), model.pos(k).is_some()),
            Op::Remove(k) => {
                let a = map.remove(&k).map(|v| v.0);
                assert_eq!(a, model.pos(k).map(|p| model.q.remove(p).unwrap().1));
                handed.extend(a);
            }
            Op::PopLru => {
                let a = map.pop_lru().map(|(k, v)| (k, v.0));
                assert_eq!(a, model.q.pop_back().map(|e| (e.0, e.1)));
                handed.extend(a.map(|e| e.1));
            }
            Op::PeekLru => assert_eq!(map.peek_lru().map(|(k, v)| (*k, v.0)), model.q.back().map(|e| (e.0, e.1))),
            Op::GetOrInsert(k, v) => {
                let id = next + 1;
                let a = map.get_or_insert_with(k, || (id, v)).map(|x| x.0);
                let b = match model.touch(k) {
                    Some(x) => Some(x),
                    None => {
                        next += 1;
                        model.insert(k, id, weigh(v));
                        model.pos(k).map(|p| model.q[p].1)
                    }
                };
                assert_eq!(a, b);
            }
            Op::SetLimit(n, w) => {
                let limit = Capacity::entries(usize::from(n % 32)).with_max_weight(u64::from(w % 64));
                map.set_limit(limit);
                model.limit = limit;
                model.evict(0, 0);
            }
            Op::Retain(m) => {
                let m = m.max(1);
                map.retain(|k, _| k % m == 0);
                model.q.retain(|e| e.0 % m == 0);
            }
            Op::Clear => {
                map.clear();
                model.q.clear();
            }
        }
        map.validate();
        assert_eq!(map.len(), model.q.len());
        assert_eq!(map.weight(), model.weight());
        let a: Vec<_> = map.iter().map(|(k, v)| (*k, v.0)).collect();
        let b: Vec<_> = model.q.iter().map(|e| (e.0, e.1)).collect();
        assert_eq!(a, b);
    }
    drop(map);
    let mut all: Vec<u32> = gone.borrow().iter().copied().chain(handed).collect();
    all.sort_unstable();
    let total = all.len();
    all.dedup();
    assert_eq!(all.len(), total, "a value left twice");
    assert_eq!(total as u32, next, "a value never left");
    tiny(limit, &ops);
});

/// The ops on a `WTinyLfu` map (same limit, weigher, hasher), against a model of its live
/// entries that does not predict victims. After every op: `validate()`; the same
/// entries; every value that left was live with its latest value and is reported once
/// (finalized with its cause, or handed back); a write evicts iff the new value does not
/// fit beside the others and no more than needed; a value is rejected iff it alone
/// exceeds the limit; `retain` and `clear` finalize exactly what they drop; `stats()`
/// agrees with counts kept here. On drop the live entries are finalized as `Dropped`.
fn tiny(limit: Capacity, ops: &[Op]) {
    let log: Rc<RefCell<Vec<(u8, u32, RemovalCause)>>> = Rc::default();
    let l = log.clone();
    let mut map = LruMap::builder()
        .limit(limit)
        .hasher(leakless::DefaultHashBuilder::with_seeds(1, 2, 3, 4))
        .policy(WTinyLfu::default())
        .weigher(|_: &u8, v: &(u32, u16)| weigh(v.1))
        .finalizer(move |k: u8, v: (u32, u16), c: RemovalCause| l.borrow_mut().push((k, v.0, c)))
        .build();
    // Key -> (value id, weight recorded when it was written: `get_mut` may change the
    // value's weight source, not its recorded weight).
    let mut live: StdMap<u8, (u32, u64)> = StdMap::new();
    let weight = |live: &StdMap<u8, (u32, u64)>| live.values().map(|e| e.1).sum::<u64>();
    let mut next = 0u32;
    let mut handed: Vec<u32> = Vec::new();
    let (mut hits, mut misses, mut insertions) = (0u64, 0u64, 0u64);
    let mut removed: Vec<RemovalCause> = Vec::new();
    for op in ops {
        let seen = log.borrow().len();
        let limit = map.limit();
        // Departures other than evictions, predicted exactly.
        let mut expect: Vec<(u8, u32, RemovalCause)> = Vec::new();
        // The victim `push` handed back, checked with the finalizer's evictions.
        let mut victims: Vec<(u8, u32)> = Vec::new();
        // A new value written: key, id, weight, and whether the key was new.
        let mut wrote: Option<(u8, u32, u64, bool)> = None;
        let mut must_evict = false;
        match *op {
            Op::Insert(k, v) => {
                next += 1;
                let old = map.insert(k, (next, v)).map(|x| x.0);
                assert_eq!(old, live.remove(&k).map(|e| e.0), "insert returns the old value");
                removed.extend(old.map(|_| RemovalCause::Replaced));
                handed.extend(old);
                wrote = Some((k, next, weigh(v), old.is_none()));
            }
            Op::Push(k, v) => {
                next += 1;
                let out = map.push(k, (next, v)).map(|(k, v)| (k, v.0));
                let old = live.remove(&k).map(|e| e.0);
                match (out, old) {
                    (Some(o), Some(m)) => {
                        assert_eq!(o, (k, m), "push hands back the key's old value");
                        removed.push(RemovalCause::Replaced);
                    }
                    (None, Some(_)) => panic!("push lost the old value"),
                    (Some((ek, ev)), None) => {
                        assert_ne!(ek, k, "push handed back the key it stored");
                        victims.push((ek, ev));
                        removed.push(RemovalCause::Evicted);
                    }
                    (None, None) => {}
                }
                handed.extend(out.map(|o| o.1));
                wrote = Some((k, next, weigh(v), old.is_none()));
            }
            Op::Get(k) | Op::Peek(k) => {
                let want = live.get(&k).map(|e| e.0);
                *(if want.is_some() { &mut hits } else { &mut misses }) += 1;
                let got = if matches!(op, Op::Get(_)) { map.get(&k) } else { map.peek(&k) };
                assert_eq!(got.map(|x| x.0), want);
            }
            Op::GetMut(k, v) => {
                let want = live.get(&k).map(|e| e.0);
                *(if want.is_some() { &mut hits } else { &mut misses }) += 1;
                let got = map.get_mut(&k).map(|x| {
                    x.1 = v;
                    x.0
                });
                assert_eq!(got, want);
            }
            Op::Contains(k) => assert_eq!(map.contains_key(&k), live.contains_key(&k)),
            Op::Remove(k) => {
                let got = map.remove(&k).map(|x| x.0);
                assert_eq!(got, live.remove(&k).map(|e| e.0));
                removed.extend(got.map(|_| RemovalCause::Explicit));
                handed.extend(got);
            }
            Op::PopLru => {
                let peeked = map.peek_lru().map(|(k, v)| (*k, v.0));
                let got = map.pop_lru().map(|(k, v)| (k, v.0));
                assert_eq!(got, peeked, "peek_lru predicts pop_lru");
                assert_eq!(got.is_some(), !live.is_empty());
                if let Some((k, id)) = got {
                    assert_eq!(live.remove(&k).map(|e| e.0), Some(id));
                    removed.push(RemovalCause::Explicit);
                    handed.push(id);
                }
            }
            Op::PeekLru => {
                let peeked = map.peek_lru().map(|(k, v)| (*k, v.0));
                assert_eq!(peeked.is_some(), !live.is_empty());
                if let Some((k, id)) = peeked {
                    assert_eq!(live.get(&k).map(|e| e.0), Some(id));
                }
            }
            Op::GetOrInsert(k, v) => {
                let id = next + 1;
                let mut called = false;
                let got = map
                    .get_or_insert_with(k, || {
                        called = true;
                        (id, v)
                    })
                    .map(|x| x.0);
                match live.get(&k) {
                    Some(e) => {
                        hits += 1;
                        assert!(!called, "made a value for a present key");
                        assert_eq!(got, Some(e.0));
                    }
                    None => {
                        misses += 1;
                        assert!(called, "made no value for an absent key");
                        next += 1;
                        let rejected = limit.rejects_single(weigh(v));
                        assert_eq!(got, (!rejected).then_some(id), "None iff rejected");
                        wrote = Some((k, id, weigh(v), true));
                    }
                }
            }
            Op::SetLimit(n, w) => {
                let new = Capacity::entries(usize::from(n % 32)).with_max_weight(u64::from(w % 64));
                must_evict = new.is_exceeded_by(live.len(), weight(&live));
                map.set_limit(new);
            }
            Op::Retain(m) => {
                let m = u32::from(m.max(1));
                let keep = |k: u8, id: u32| (u32::from(k) + id) % m != 0;
                let mut visited = Vec::new();
                map.retain(|k, v| {
                    visited.push((*k, v.0));
                    keep(*k, v.0)
                });
                visited.sort_unstable();
                let mut want: Vec<_> = live.iter().map(|(k, e)| (*k, e.0)).collect();
                want.sort_unstable();
                assert_eq!(visited, want, "retain sees every entry once");
                live.retain(|k, e| {
                    if !keep(*k, e.0) {
                        expect.push((*k, e.0, RemovalCause::Explicit));
                    }
                    keep(*k, e.0)
                });
            }
            Op::Clear => {
                map.clear();
                expect.extend(live.drain().map(|(k, e)| (k, e.0, RemovalCause::Cleared)));
            }
        }
        if let Some((k, id, w, new_key)) = wrote {
            if limit.rejects_single(w) {
                expect.push((k, id, RemovalCause::Rejected));
            } else {
                must_evict = limit.is_exceeded_by(live.len() + 1, weight(&live) + w);
                live.insert(k, (id, w));
                insertions += u64::from(new_key);
            }
        }
        removed.extend(expect.iter().map(|e| e.2));
        let (evicted, mut other): (Vec<_>, Vec<_>) =
            log.borrow()[seen..].iter().copied().partition(|e| e.2 == RemovalCause::Evicted);
        other.sort_unstable();
        expect.sort_unstable();
        assert_eq!(other, expect, "finalized besides evictions");
        removed.extend(evicted.iter().map(|e| e.2));
        let mut last_w = None;
        let evicted: Vec<(u8, u32)> = victims.into_iter().chain(evicted.iter().map(|e| (e.0, e.1))).collect();
        for &(k, id) in &evicted {
            let e = live.remove(&k);
            assert_eq!(e.map(|e| e.0), Some(id), "evicted a value that was not live");
            last_w = e.map(|e| e.1);
        }
        let limit = map.limit();
        assert_eq!(!evicted.is_empty(), must_evict, "evicted {evicted:?} under {limit:?}");
        if let Some(w) = last_w {
            assert!(limit.is_exceeded_by(live.len() + 1, weight(&live) + w), "evicted more than needed");
        }
        map.validate();
        assert_eq!(map.len(), live.len());
        assert_eq!(map.weight(), weight(&live));
        let mut a: Vec<_> = map.iter().map(|(k, v)| (*k, v.0)).collect();
        let mut b: Vec<_> = live.iter().map(|(k, e)| (*k, e.0)).collect();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
        let stats = map.stats();
        assert_eq!((stats.hits, stats.misses, stats.insertions), (hits, misses, insertions));
        for cause in RemovalCause::ALL {
            let want = removed.iter().filter(|&&c| c == cause).count() as u64;
            assert_eq!(stats.removals(cause), want, "removals counted for {cause:?}");
        }
    }
    let seen = log.borrow().len();
    drop(map);
    let mut dropped: Vec<_> = log.borrow()[seen..].to_vec();
    dropped.sort_unstable();
    let mut want: Vec<_> = live.into_iter().map(|(k, e)| (k, e.0, RemovalCause::Dropped)).collect();
    want.sort_unstable();
    assert_eq!(dropped, want, "the live entries finalized on drop");
    let mut all: Vec<u32> = log.borrow().iter().map(|e| e.1).chain(handed).collect();
    all.sort_unstable();
    assert_eq!(all, (1..=next).collect::<Vec<_>>(), "every value left exactly once");
}
