//! `leakless::LruMap` against a `VecDeque` LRU model (front = most recently used), bound
//! by entries and weight; `validate()` after every op; every value finalized or handed
//! back exactly once. The same ops then drive a `WTinyLfu` map against the model of its
//! live entries shared with `tests/lru.rs` (`tests/models/tinylfu.rs`), which does not
//! predict victims.
#![no_main]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use arbitrary::Arbitrary;
use leakless::{Capacity, LruMap, RemovalCause, WTinyLfu};
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/models/tinylfu.rs"]
mod tinylfu;

use tinylfu::{Log, TinyOp};

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

/// The ops on a `WTinyLfu` map (same limit and hasher; values weigh `raw % 8 % 5`), against
/// the live-entry model of `tests/models/tinylfu.rs`.
fn tiny(limit: Capacity, ops: &[Op]) {
    let log: Log = Rc::default();
    let l = log.clone();
    let map = LruMap::builder()
        .limit(limit)
        .hasher(leakless::DefaultHashBuilder::with_seeds(1, 2, 3, 4))
        .policy(WTinyLfu::default())
        .weigher(|_: &u8, v: &u32| u64::from(v % 8 % 5))
        .finalizer(move |k: u8, v: u32, c: RemovalCause| l.borrow_mut().push((k, v, c)))
        .build();
    let ops = ops.iter().map(|op| match *op {
        Op::Insert(k, v) => TinyOp::Insert(k, v),
        Op::Push(k, v) => TinyOp::Push(k, v),
        Op::Get(k) => TinyOp::Get(k),
        Op::GetMut(k, _) => TinyOp::GetMut(k),
        Op::Peek(k) => TinyOp::Peek(k),
        Op::Contains(k) => TinyOp::Contains(k),
        Op::Remove(k) => TinyOp::Remove(k),
        Op::PopLru => TinyOp::PopLru,
        Op::PeekLru => TinyOp::PeekLru,
        Op::GetOrInsert(k, v) => TinyOp::GetOrInsert(k, v),
        Op::SetLimit(n, w) => {
            TinyOp::SetLimit(Capacity::entries(usize::from(n % 32)).with_max_weight(u64::from(w % 64)))
        }
        Op::Retain(m) => TinyOp::Retain(m),
        Op::Clear => TinyOp::Clear,
    });
    tinylfu::check(map, &log, |v| u64::from(v % 8 % 5), ops);
}
