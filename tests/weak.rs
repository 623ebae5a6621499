//! `WeakKeyMap` against a model that also drops strong keys at random: `Rc` and `Arc`
//! keys, compared by value and by identity, `validate()` after every op, and every value
//! accounted for exactly once (handed back or finalized, `Collected` only when its key is
//! dead).

use std::cell::{Cell, RefCell};
use std::collections::HashMap as Model;
use std::ops::Deref;
use std::rc::Rc;
use std::sync::Arc;

use leakless::{ById, RemovalCause, WeakKey, WeakKeyMap};
use proptest::prelude::*;

/// How a test builds keys and identifies them in the model.
trait Kind {
    type P: Clone + Deref<Target = u8>;
    type W: WeakKey<Target = u8, Strong = Self::P>;
    fn new(v: u8) -> Self::P;
    /// The model's key: the value (by-value maps) or the address (identity maps).
    fn ident(p: &Self::P) -> usize;
}

struct RcByValue;
impl Kind for RcByValue {
    type P = Rc<u8>;
    type W = std::rc::Weak<u8>;
    fn new(v: u8) -> Rc<u8> {
        Rc::new(v)
    }
    fn ident(p: &Rc<u8>) -> usize {
        **p as usize
    }
}

struct ArcByValue;
impl Kind for ArcByValue {
    type P = Arc<u8>;
    type W = std::sync::Weak<u8>;
    fn new(v: u8) -> Arc<u8> {
        Arc::new(v)
    }
    fn ident(p: &Arc<u8>) -> usize {
        **p as usize
    }
}

struct RcById;
impl Kind for RcById {
    type P = Rc<u8>;
    type W = ById<std::rc::Weak<u8>>;
    fn new(v: u8) -> Rc<u8> {
        Rc::new(v)
    }
    fn ident(p: &Rc<u8>) -> usize {
        Rc::as_ptr(p) as usize
    }
}

struct ArcById;
impl Kind for ArcById {
    type P = Arc<u8>;
    type W = ById<std::sync::Weak<u8>>;
    fn new(v: u8) -> Arc<u8> {
        Arc::new(v)
    }
    fn ident(p: &Arc<u8>) -> usize {
        Arc::as_ptr(p) as usize
    }
}

const SLOTS: usize = 8;

#[derive(Clone, Debug)]
enum Op {
    NewKey(usize, u8),
    DropKey(usize),
    Insert(usize),
    Get(usize),
    GetMut(usize),
    Remove(usize),
    RemoveAbsent,
    EntryOrInsert(usize),
    EntryRemove(usize),
    Retain(u32),
    Prune,
    Clear,
    Iter,
    Reserve(u8),
    ShrinkToFit,
}

fn op() -> impl Strategy<Value = Op> {
    let slot = 0..SLOTS;
    prop_oneof![
        3 => (slot.clone(), 0..4u8).prop_map(|(s, v)| Op::NewKey(s, v)),
        2 => slot.clone().prop_map(Op::DropKey),
        5 => slot.clone().prop_map(Op::Insert),
        2 => slot.clone().prop_map(Op::Get),
        1 => slot.clone().prop_map(Op::GetMut),
        2 => slot.clone().prop_map(Op::Remove),
        2 => Just(Op::RemoveAbsent),
        2 => slot.clone().prop_map(Op::EntryOrInsert),
        1 => slot.prop_map(Op::EntryRemove),
        1 => (1..4u32).prop_map(Op::Retain),
        1 => Just(Op::Prune),
        1 => Just(Op::Clear),
        1 => Just(Op::Iter),
        1 => any::<u8>().prop_map(Op::Reserve),
        1 => Just(Op::ShrinkToFit),
    ]
}

/// Where each value went: handed back, or finalized with a cause.
#[derive(Default)]
struct Ledger {
    returned: Vec<u32>,
    finalized: Vec<(u32, RemovalCause)>,
}

fn run<K: Kind>(ops: Vec<Op>) {
    let ledger = Rc::new(RefCell::new(Ledger::default()));
    let l2 = ledger.clone();
    let fin = move |k: K::W, v: u32, cause: RemovalCause| {
        if cause == RemovalCause::Collected {
            assert!(k.is_dead(), "value {v} collected while its key is alive");
        }
        l2.borrow_mut().finalized.push((v, cause));
    };
    let hasher = ahash::RandomState::with_seeds(1, 2, 3, 4);
    let mut map: WeakKeyMap<K::W, u32, _, _> = WeakKeyMap::with_hasher_and_finalizer(hasher, fin);
    let mut model: Model<usize, (K::W, u32)> = Model::new();
    let mut holders: Vec<Option<K::P>> = vec![None; SLOTS];
    let mut next_id = 0u32;
    let mut inserted = Vec::new();

    for op in ops {
        match op {
            Op::NewKey(s, v) => holders[s] = Some(K::new(v)),
            Op::DropKey(s) => holders[s] = None,
            Op::Insert(s) => {
                if let Some(p) = &holders[s] {
                    next_id += 1;
                    inserted.push(next_id);
                    let old = model.insert(K::ident(p), (K::W::downgrade(p), next_id)).map(|(_, id)| id);
                    let got = map.insert(p, next_id);
                    assert_eq!(got, old);
                    ledger.borrow_mut().returned.extend(got);
                }
            }
            Op::Get(s) => {
                if let Some(p) = &holders[s] {
                    assert_eq!(map.get(p).copied(), model.get(&K::ident(p)).map(|e| e.1));
                    assert_eq!(map.contains_key(p), model.contains_key(&K::ident(p)));
                    let kv = map.get_key_value(p).map(|(k, v)| (K::ident(&k), *v));
                    assert_eq!(kv, model.get(&K::ident(p)).map(|e| (K::ident(p), e.1)));
                }
            }
            Op::GetMut(s) => {
                if let Some(p) = &holders[s] {
                    assert_eq!(map.get_mut(p).copied(), model.get(&K::ident(p)).map(|e| e.1));
                }
            }
            Op::Remove(s) => {
                if let Some(p) = &holders[s] {
                    let want = model.remove(&K::ident(p)).map(|e| e.1);
                    let got = map.remove(p);
                    assert_eq!(got, want);
                    ledger.borrow_mut().returned.extend(got);
                }
            }
            Op::RemoveAbsent => {
                let absent = K::new(200);
                assert_eq!(map.remove(&absent), None);
            }
            Op::EntryOrInsert(s) => {
                if let Some(p) = &holders[s] {
                    let want = match model.get_mut(&K::ident(p)) {
                        // An occupied entry takes the caller's key, as `insert` does.
                        Some(e) => {
                            e.0 = K::W::downgrade(p);
                            e.1
                        }
                        None => {
                            next_id += 1;
                            inserted.push(next_id);
                            model.insert(K::ident(p), (K::W::downgrade(p), next_id));
                            next_id
                        }
                    };
                    assert_eq!(*map.entry(p).or_insert(next_id), want);
                }
            }
            Op::EntryRemove(s) => {
                if let Some(p) = &holders[s] {
                    let want = model.remove(&K::ident(p)).map(|e| e.1);
                    let got = match map.entry(p) {
                        leakless::weak::Entry::Occupied(o) => Some(o.remove()),
                        leakless::weak::Entry::Vacant(_) => None,
                    };
                    assert_eq!(got, want);
                    ledger.borrow_mut().returned.extend(got);
                }
            }
            Op::Retain(m) => {
                map.retain(|k, v| {
                    assert!(model.contains_key(&K::ident(k)), "retain saw a key the model lacks");
                    *v % m != 0
                });
                model.retain(|_, e| e.1 % m != 0);
            }
            Op::Prune => {
                let before = map.len();
                let n = map.prune();
                assert_eq!(before - n, map.len());
                assert_eq!(map.len(), model.values().filter(|e| !e.0.is_dead()).count(), "len() exact after prune");
            }
            Op::Clear => {
                map.clear();
                model.clear();
                assert!(map.is_empty());
            }
            Op::Iter => {
                let mut got: Vec<(usize, u32)> = map.iter().map(|(k, v)| (K::ident(&k), *v)).collect();
                got.sort_unstable();
                let mut want: Vec<(usize, u32)> = model.iter().map(|(k, e)| (*k, e.1)).collect();
                want.sort_unstable();
                assert_eq!(got, want);
                let mut vals: Vec<u32> = map.values().copied().collect();
                vals.sort_unstable();
                let mut want_vals: Vec<u32> = want.iter().map(|e| e.1).collect();
                want_vals.sort_unstable();
                assert_eq!(vals, want_vals);
                assert_eq!(map.keys().count(), want.len());
            }
            Op::Reserve(n) => map.reserve(n as usize),
            Op::ShrinkToFit => {
                map.shrink_to_fit();
                assert_eq!(map.len(), model.len());
            }
        }
        // The model forgets entries whose key died: the map no longer shows them.
        model.retain(|_, e| !e.0.is_dead());
        map.validate();
        assert_eq!(map.len_live(), model.len());
        assert!(map.len() >= model.len());
    }

    drop(map);
    let ledger = ledger.borrow();
    let mut out: Vec<u32> = ledger.returned.clone();
    out.extend(ledger.finalized.iter().map(|e| e.0));
    out.sort_unstable();
    inserted.sort_unstable();
    assert_eq!(out, inserted, "every value left exactly once");
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(if cfg!(miri) { 4 } else { 256 })
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(op(), 0..if cfg!(miri) { 40 } else { 300 })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn rc_keys_by_value(ops in ops()) { run::<RcByValue>(ops) }

    #[test]
    fn arc_keys_by_value(ops in ops()) { run::<ArcByValue>(ops) }

    #[test]
    fn rc_keys_by_identity(ops in ops()) { run::<RcById>(ops) }

    #[test]
    fn arc_keys_by_identity(ops in ops()) { run::<ArcById>(ops) }
}

/// A value that counts its drops and may panic in `Drop`.
struct Noisy<'a> {
    drops: &'a Cell<usize>,
    panic: bool,
}

impl Drop for Noisy<'_> {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
        if self.panic && !std::thread::panicking() {
            panic!("Noisy::drop");
        }
    }
}

#[test]
fn panicking_drops_during_sweeps_lose_nothing() {
    let drops = Cell::new(0);
    let n = 200;
    let mut m: WeakKeyMap<std::rc::Weak<u32>, Noisy<'_>> = WeakKeyMap::new();
    let keys: Vec<_> = (0..n).map(Rc::new).collect();
    for k in &keys {
        m.insert(k, Noisy { drops: &drops, panic: **k % 7 == 0 });
    }
    drop(keys);
    let mut panics = 0;
    let mut ops = 0;
    while !m.is_empty() {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| m.remove(&u32::MAX).is_some()));
        match r {
            Ok(found) => assert!(!found),
            Err(_) => panics += 1,
        }
        m.validate();
        ops += 1;
        assert!(ops < 10_000);
    }
    assert_eq!(drops.get(), n as usize, "every value dropped exactly once");
    assert!(panics > 0, "some drops panicked and were re-raised");
}

/// A key whose `Eq` panics on demand.
struct Touchy(u32, Cell<bool>);
impl std::hash::Hash for Touchy {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.0.hash(h)
    }
}
impl PartialEq for Touchy {
    fn eq(&self, other: &Self) -> bool {
        if self.1.get() || other.1.get() {
            panic!("Touchy::eq");
        }
        self.0 == other.0
    }
}
impl Eq for Touchy {}

#[test]
fn panicking_eq_leaves_the_map_valid() {
    let drops = Cell::new(0);
    let mut m: WeakKeyMap<std::rc::Weak<Touchy>, Noisy<'_>> =
        WeakKeyMap::with_hasher(ahash::RandomState::with_seeds(1, 2, 3, 4));
    let a = Rc::new(Touchy(1, Cell::new(false)));
    let a2 = Rc::new(Touchy(1, Cell::new(false)));
    m.insert(&a, Noisy { drops: &drops, panic: false });
    a2.1.set(true);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        m.insert(&a2, Noisy { drops: &drops, panic: false });
    }));
    assert!(r.is_err());
    assert_eq!(drops.get(), 1, "the value that never entered was dropped by the unwind");
    a2.1.set(false);
    m.validate();
    assert_eq!(m.len(), 1);
    drop(m);
    assert_eq!(drops.get(), 2);
}

#[test]
fn unsized_keys_and_debug() {
    let mut m: WeakKeyMap<std::sync::Weak<str>, u32> = WeakKeyMap::new();
    let k: Arc<str> = Arc::from("alpha");
    m.insert(&k, 1);
    assert_eq!(format!("{m:?}"), r#"{"alpha": 1}"#);
    let m2: WeakKeyMap<std::sync::Weak<str>, u32> = [(k.clone(), 2)].into_iter().collect();
    assert_eq!(m2.get("alpha"), Some(&2));
    drop(k);
    assert_eq!(format!("{m:?}"), "{}");
}

/// `entry(&b)` on an entry stored under an equal key `a` rebinds it to `b`, as
/// `insert(&b, _)` does: a value written through the entry lives as long as `b`.
#[test]
fn entry_takes_the_callers_key_as_insert_does() {
    use std::rc::Weak;
    let mut by_insert: WeakKeyMap<Weak<str>, u32> = WeakKeyMap::new();
    let mut by_entry: WeakKeyMap<Weak<str>, u32> = WeakKeyMap::new();
    let a: Rc<str> = Rc::from("k");
    let b: Rc<str> = Rc::from("k");
    by_insert.insert(&a, 1);
    by_entry.insert(&a, 1);
    by_insert.insert(&b, 2);
    *by_entry.entry(&b).or_insert(0) = 2;
    drop(a);
    assert_eq!(by_insert.get("k"), Some(&2));
    assert_eq!(by_entry.get("k"), Some(&2), "the value written through entry(&b) died with a");
    by_entry.validate();
    drop(b);
    assert_eq!(by_entry.get("k"), None);
}
