//! `leakless::WeakKeyMap` against a model that also drops strong keys: `validate()` after
//! every op, and every value leaves exactly once (handed back, or finalized — as
//! `Collected` only when its key is dead).
#![no_main]

use std::cell::RefCell;
use std::collections::HashMap as Model;
use std::rc::{Rc, Weak};

use arbitrary::Arbitrary;
use leakless::{RemovalCause, WeakKeyMap};
use libfuzzer_sys::fuzz_target;

const SLOTS: usize = 16;

#[derive(Arbitrary, Debug)]
enum Op {
    NewKey(u8, u8),
    DropKey(u8),
    Insert(u8),
    Get(u8),
    GetMut(u8),
    Remove(u8),
    RemoveAbsent,
    EntryOrInsert(u8),
    EntryRemove(u8),
    Retain(u8),
    Prune,
    Clear,
    Iter,
    Reserve(u16),
    ShrinkToFit,
    /// Insert `n` fresh keys, keeping every `keep`-th alive in the overflow pool.
    InsertMany(u16, u8),
    /// Drop the overflow pool.
    DropPool,
}

#[derive(Default)]
struct Ledger {
    returned: Vec<u32>,
    finalized: Vec<(u32, RemovalCause)>,
}

fuzz_target!(|ops: Vec<Op>| {
    let ledger = Rc::new(RefCell::new(Ledger::default()));
    let l2 = ledger.clone();
    let fin = move |k: Weak<u16>, v: u32, cause: RemovalCause| {
        if cause == RemovalCause::Collected {
            assert_eq!(k.strong_count(), 0, "value {v} collected while its key is alive");
        }
        l2.borrow_mut().finalized.push((v, cause));
    };
    let mut map = WeakKeyMap::with_hasher_and_finalizer(leakless::DefaultHashBuilder::with_seeds(1, 2, 3, 4), fin);
    let mut model: Model<u16, (Weak<u16>, u32)> = Model::new();
    let mut holders: Vec<Option<Rc<u16>>> = vec![None; SLOTS];
    let mut pool: Vec<Rc<u16>> = Vec::new();
    let mut next = 0u32;
    let mut inserted = Vec::new();

    for op in ops {
        match op {
            Op::NewKey(s, v) => holders[s as usize % SLOTS] = Some(Rc::new(u16::from(v % 32))),
            Op::DropKey(s) => holders[s as usize % SLOTS] = None,
            Op::Insert(s) => {
                if let Some(p) = &holders[s as usize % SLOTS] {
                    next += 1;
                    inserted.push(next);
                    let old = model.insert(**p, (Rc::downgrade(p), next)).map(|e| e.1);
                    let got = map.insert(p, next);
                    assert_eq!(got, old);
                    ledger.borrow_mut().returned.extend(got);
                }
            }
            Op::Get(s) => {
                if let Some(p) = &holders[s as usize % SLOTS] {
                    assert_eq!(map.get(p).copied(), model.get(&**p).map(|e| e.1));
                }
            }
            Op::GetMut(s) => {
                if let Some(p) = &holders[s as usize % SLOTS] {
                    assert_eq!(map.get_mut(p).copied(), model.get(&**p).map(|e| e.1));
                }
            }
            Op::Remove(s) => {
                if let Some(p) = &holders[s as usize % SLOTS] {
                    let want = model.remove(&**p).map(|e| e.1);
                    let got = map.remove(p);
                    assert_eq!(got, want);
                    ledger.borrow_mut().returned.extend(got);
                }
            }
            Op::RemoveAbsent => assert_eq!(map.remove(&u16::MAX), None),
            Op::EntryOrInsert(s) => {
                if let Some(p) = &holders[s as usize % SLOTS] {
                    let want = match model.get_mut(&**p) {
                        // An occupied entry takes the caller's key, as `insert` does.
                        Some(e) => {
                            e.0 = Rc::downgrade(p);
                            e.1
                        }
                        None => {
                            next += 1;
                            inserted.push(next);
                            model.insert(**p, (Rc::downgrade(p), next));
                            next
                        }
                    };
                    assert_eq!(*map.entry(p).or_insert(next), want);
                }
            }
            Op::EntryRemove(s) => {
                if let Some(p) = &holders[s as usize % SLOTS] {
                    let want = model.remove(&**p).map(|e| e.1);
                    let got = match map.entry(p) {
                        leakless::weak::Entry::Occupied(o) => Some(o.remove()),
                        leakless::weak::Entry::Vacant(_) => None,
                    };
                    assert_eq!(got, want);
                    ledger.borrow_mut().returned.extend(got);
                }
            }
            Op::Retain(m) => {
                let m = u32::from(m.max(1));
                map.retain(|_, v| *v % m != 0);
                model.retain(|_, e| e.1 % m != 0);
            }
            Op::Prune => {
                map.prune();
                model.retain(|_, e| e.0.strong_count() > 0);
                assert_eq!(map.len(), model.len(), "len() exact after prune()");
            }
            Op::Clear => {
                map.clear();
                model.clear();
            }
            Op::Iter => {
                let mut got: Vec<(u16, u32)> = map.iter().map(|(k, v)| (*k, *v)).collect();
                got.sort_unstable();
                let mut want: Vec<(u16, u32)> =
                    model.iter().filter(|e| e.1 .0.strong_count() > 0).map(|(k, e)| (*k, e.1)).collect();
                want.sort_unstable();
                assert_eq!(got, want);
            }
            Op::Reserve(n) => map.reserve(usize::from(n % 4096)),
            Op::ShrinkToFit => map.shrink_to_fit(),
            Op::InsertMany(n, keep) => {
                let keep = usize::from(keep.max(1));
                for i in 0..usize::from(n % 2048) {
                    // Keys from 1000 up never collide with the slot keys (< 32).
                    let k = Rc::new(1000 + (next % 60_000) as u16);
                    next += 1;
                    inserted.push(next);
                    if let Some((w, old)) = model.insert(*k, (Rc::downgrade(&k), next)) {
                        // A live entry with an equal key is replaced; a dead one is not.
                        if w.strong_count() > 0 {
                            assert_eq!(map.insert(&k, next), Some(old));
                            ledger.borrow_mut().returned.push(old);
                        } else {
                            assert_eq!(map.insert(&k, next), None);
                        }
                    } else {
                        assert_eq!(map.insert(&k, next), None);
                    }
                    if i % keep == 0 {
                        pool.push(k);
                    }
                }
            }
            Op::DropPool => pool.clear(),
        }
        model.retain(|_, e| e.0.strong_count() > 0);
        map.validate();
        assert_eq!(map.len_live(), model.len());
        assert!(map.len() >= model.len());
    }

    drop(map);
    let ledger = ledger.borrow();
    let mut out = ledger.returned.clone();
    out.extend(ledger.finalized.iter().map(|e| e.0));
    out.sort_unstable();
    inserted.sort_unstable();
    assert_eq!(out, inserted, "every value left exactly once");
});
