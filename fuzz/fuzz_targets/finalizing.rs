//! `leakless::FinalizingMap` against `std::collections::HashMap`, with the exit contract
//! checked: every value is handed back or finalized exactly once, with the right cause.
#![no_main]

use std::cell::RefCell;
use std::collections::HashMap as Model;
use std::rc::Rc;

use arbitrary::Arbitrary;
use leakless::{FinalizingMap, RemovalCause};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Insert(u8),
    Replace(u8),
    Remove(u8),
    Discard(u8),
    Retain(u8),
    Clear,
    Drain,
    GetOrInsert(u8),
    InsertMany(u8, u8),
}

/// Per value id: how it left (`None`: still in the map).
type Exits = Rc<RefCell<Vec<Option<RemovalCause>>>>;

fuzz_target!(|ops: Vec<Op>| {
    let exits: Exits = Rc::default();
    let e = exits.clone();
    let mut map = FinalizingMap::with_hasher(
        move |_k: u8, id: usize, cause| {
            let mut e = e.borrow_mut();
            assert_eq!(e[id], None, "value {id} left twice");
            e[id] = Some(cause);
        },
        leakless::DefaultHashBuilder::with_seeds(1, 2, 3, 4),
    );
    let mut model: Model<u8, usize> = Model::new();
    let new_id = |exits: &Exits| {
        let mut e = exits.borrow_mut();
        e.push(None);
        e.len() - 1
    };
    // "Handed back" is recorded as Explicit by the harness itself.
    let handed_back = |exits: &Exits, id: usize| {
        let mut e = exits.borrow_mut();
        assert_eq!(e[id], None, "value {id} handed back after leaving");
        e[id] = Some(RemovalCause::Explicit);
    };
    let mut expected: Vec<Option<RemovalCause>> = Vec::new();
    let expect = |expected: &mut Vec<Option<RemovalCause>>, id: usize, c: RemovalCause| {
        if expected.len() <= id {
            expected.resize(id + 1, None);
        }
        expected[id] = Some(c);
    };
    for op in ops {
        match op {
            Op::Insert(k) => {
                let id = new_id(&exits);
                let old = model.insert(k, id);
                if let Some(old) = old {
                    expect(&mut expected, old, RemovalCause::Replaced);
                }
                assert_eq!(map.insert(k, id), old.is_some());
            }
            Op::Replace(k) => {
                let id = new_id(&exits);
                let old = model.insert(k, id);
                assert_eq!(map.replace(k, id), old);
                if let Some(old) = old {
                    handed_back(&exits, old);
                    expect(&mut expected, old, RemovalCause::Explicit);
                }
            }
            Op::Remove(k) => {
                let got = map.remove(&k);
                assert_eq!(got, model.remove(&k));
                if let Some(id) = got {
                    handed_back(&exits, id);
                    expect(&mut expected, id, RemovalCause::Explicit);
                }
            }
            Op::Discard(k) => {
                let old = model.remove(&k);
                assert_eq!(map.discard(&k), old.is_some());
                if let Some(id) = old {
                    expect(&mut expected, id, RemovalCause::Explicit);
                }
            }
            Op::Retain(m) => {
                let m = m.max(1);
                for (_, id) in model.extract_if(|k, _| k % m != 0) {
                    expect(&mut expected, id, RemovalCause::Explicit);
                }
                map.retain(|k, _| k % m == 0);
            }
            Op::Clear => {
                for (_, id) in model.drain() {
                    expect(&mut expected, id, RemovalCause::Cleared);
                }
                map.clear();
            }
            Op::Drain => {
                model.clear();
                for (_, id) in map.drain() {
                    handed_back(&exits, id);
                    expect(&mut expected, id, RemovalCause::Explicit);
                }
            }
            Op::GetOrInsert(k) => {
                let id = *model.entry(k).or_insert_with(|| new_id(&exits));
                assert_eq!(*map.get_or_insert_with(k, || id), id);
            }
            Op::InsertMany(start, n) => {
                for k in start..start.saturating_add(n % 64) {
                    let id = new_id(&exits);
                    if let Some(old) = model.insert(k, id) {
                        expect(&mut expected, old, RemovalCause::Replaced);
                    }
                    map.insert(k, id);
                }
            }
        }
        map.validate();
        assert_eq!(map.len(), model.len());
        for (k, id) in &model {
            assert_eq!(map.get(k), Some(id));
        }
    }
    for (_, id) in model.drain() {
        expect(&mut expected, id, RemovalCause::Dropped);
    }
    drop(map);
    let exits = exits.borrow();
    for (id, exit) in exits.iter().enumerate() {
        assert!(exit.is_some(), "value {id} never left");
        assert_eq!(*exit, expected.get(id).copied().flatten(), "value {id} left for the wrong cause");
    }
});
