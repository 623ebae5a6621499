//! `WeakKeyMap` against a model that also drops strong keys at random: `Rc` and `Arc`
//! keys, compared by value and by identity (`WeakIdentityMap`: two distinct `Rc`s with
//! equal contents are different keys), `validate()` after every op.
//!
//! The model predicts where every value goes, and when:
//! - an overwrite (`insert`, `OccupiedEntry::insert`) hands the old value back, counted
//!   as `Replaced`; `remove` and `OccupiedEntry::remove` hand it back, counted as
//!   `Explicit`; none of them reaches the finalizer;
//! - `retain` finalizes exactly the live values it rejects as `Explicit`, and every dead
//!   entry as `Collected`;
//! - a value whose key died leaves exactly once, as `Collected`, and only then: not
//!   during a read, at any incremental step (`get_mut`, `remove`, `entry`, an `insert`
//!   that replaces), all at once or not at all when an insert of a new key or `reserve`
//!   may sweep before growth, all at once on `prune`, `shrink_to_fit` and `retain`, and
//!   at the latest once the incremental steps since its key died (or since the table
//!   last shrank, which restarts the cursor) have covered every bucket (`SWEEP_STEP`
//!   buckets each) — unless `clear` (`Cleared`) or dropping the map (`Dropped`) takes it
//!   first;
//! - `clear` finalizes every live and every not yet collected dead value as `Cleared`,
//!   dropping the map every one left as `Dropped`;
//! - `stats()` agrees: insertions, removals by cause, `pruned` equal to the `Collected`
//!   count, hits and misses of the reads;
//! - by the end every value inserted left exactly once.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::collections::HashMap as Model;
use std::hash::BuildHasher;
use std::ops::Deref;
use std::rc::Rc;
use std::sync::Arc;

use leakless::{ById, Finalizer, RemovalCause, WeakKey, WeakKeyMap, SWEEP_STEP};
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
    /// `entry(k)`: `OccupiedEntry::insert` (an overwrite) or `VacantEntry::insert`.
    EntryInsert(usize),
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
        1 => slot.clone().prop_map(Op::EntryInsert),
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

/// What an op may collect (finalize as `Collected`): the documented pruning points.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Sweep {
    /// Nothing: a read, or a change to the strong keys only.
    None,
    /// One incremental step: any dead entry may go.
    Step,
    /// A complete sweep may run (before the table would grow): every dead entry, or none.
    AllOrNone,
    /// A complete sweep runs: every dead entry goes.
    All,
}

/// The smallest bucket count whose table holds `cap` entries: the map's bucket count if
/// the table has at most one tombstone (`capacity()` is the full capacity minus the
/// tombstones), else a lower bound.
fn buckets_for(cap: usize) -> usize {
    let full = |b: usize| if b < 8 { b - 1 } else { b / 8 * 7 };
    let mut b = 1;
    while full(b) < cap {
        b *= 2;
    }
    b
}

/// What `stats()` must say, kept beside the model.
#[derive(Debug, Default, PartialEq)]
struct Counts {
    insertions: u64,
    explicit: u64,
    replaced: u64,
    collected: u64,
    pruned: u64,
    cleared: u64,
    dropped: u64,
    hits: u64,
    misses: u64,
}

impl Counts {
    fn of(s: leakless::Stats) -> Self {
        Counts {
            insertions: s.insertions,
            explicit: s.removals(RemovalCause::Explicit),
            replaced: s.removals(RemovalCause::Replaced),
            collected: s.removals(RemovalCause::Collected),
            pruned: s.pruned,
            cleared: s.removals(RemovalCause::Cleared),
            dropped: s.removals(RemovalCause::Dropped),
            hits: s.hits,
            misses: s.misses,
        }
    }

    fn lookups(&mut self, hit: bool, n: u64) {
        if hit {
            self.hits += n;
        } else {
            self.misses += n;
        }
    }
}

/// The part of the model that follows dead entries: which values wait to be collected,
/// how many incremental steps each has waited, and the bound on the bucket count.
#[derive(Default)]
struct Dead {
    /// Value -> incremental steps taken since its key died (or since the last shrink).
    pending: BTreeMap<u32, usize>,
    /// An upper bound on the table's bucket count: the table changes size only by a
    /// resize, after which at most one removal runs in the same op, so `capacity()` then
    /// gives the bucket count; between resizes the count stays.
    buckets: usize,
    shrinks: u64,
    want: Counts,
}

impl Dead {
    /// Check the values that left during one op (`events`) against what the op may do:
    /// `Collected` only for pending values, as `sweep` allows; every other cause exactly
    /// `other` (sorted). Then advance the step counts and check the bound.
    fn settle<W: WeakKey, S: BuildHasher, F: Finalizer<W, u32>>(
        &mut self,
        map: &WeakKeyMap<W, u32, S, F>,
        sweep: Sweep,
        events: Vec<(u32, RemovalCause)>,
        mut other: Vec<(u32, RemovalCause)>,
    ) {
        let waited: Vec<u32> = self.pending.keys().copied().collect();
        let mut got_other = Vec::new();
        let mut collected = 0;
        for (v, cause) in events {
            if cause == RemovalCause::Collected {
                assert!(
                    self.pending.remove(&v).is_some(),
                    "value {v} collected, but its key is alive or it left before"
                );
                collected += 1;
            } else {
                got_other.push((v, cause));
            }
        }
        match sweep {
            Sweep::None => assert_eq!(collected, 0, "values collected by an op that never prunes"),
            Sweep::Step => {}
            Sweep::AllOrNone => assert!(
                collected == 0 || self.pending.is_empty(),
                "a sweep before growth collected {collected} but left {:?}",
                self.pending
            ),
            Sweep::All => assert!(self.pending.is_empty(), "a full sweep left dead entries: {:?}", self.pending),
        }
        got_other.sort_unstable();
        other.sort_unstable();
        assert_eq!(got_other, other, "values finalized for causes other than Collected");
        self.want.collected += collected;
        self.want.pruned += collected;
        for (_, cause) in &other {
            match cause {
                RemovalCause::Explicit => self.want.explicit += 1,
                RemovalCause::Cleared => self.want.cleared += 1,
                c => panic!("the model never expects {c:?}"),
            }
        }

        if sweep == Sweep::Step {
            for v in waited {
                if let Some(steps) = self.pending.get_mut(&v) {
                    *steps += 1;
                }
            }
        }
        let s = map.stats();
        let est = buckets_for(map.capacity());
        if s.shrinks != self.shrinks {
            // A shrink rehashes and restarts the cursor: the round starts again.
            self.shrinks = s.shrinks;
            self.buckets = est;
            self.pending.values_mut().for_each(|steps| *steps = 0);
        } else if est > self.buckets {
            // The table grew: a complete sweep ran first, so no dead entry was copied.
            assert!(self.pending.is_empty(), "the table grew with dead entries in it: {:?}", self.pending);
            self.buckets = est;
        }
        for (v, steps) in &self.pending {
            assert!(
                steps * SWEEP_STEP < self.buckets,
                "value {v} still not collected after {steps} incremental steps of {SWEEP_STEP} buckets, \
                 in a table of at most {} buckets",
                self.buckets
            );
        }
        assert_eq!(Counts::of(s), self.want, "stats");
    }
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
    // The live entries: ident -> (the key the map stores, value).
    let mut model: Model<usize, (K::W, u32)> = Model::new();
    let mut dead = Dead { buckets: buckets_for(map.capacity()), ..Dead::default() };
    let mut holders: Vec<Option<K::P>> = vec![None; SLOTS];
    let mut next_id = 0u32;
    let mut inserted = Vec::new();
    let mut finalized = Vec::new();

    for op in ops {
        let mut sweep = Sweep::Step;
        let mut other = Vec::new();
        match op {
            Op::NewKey(s, v) => {
                holders[s] = Some(K::new(v));
                sweep = Sweep::None;
            }
            Op::DropKey(s) => {
                holders[s] = None;
                sweep = Sweep::None;
            }
            Op::Insert(s) => match &holders[s] {
                Some(p) => {
                    next_id += 1;
                    inserted.push(next_id);
                    let old = model.insert(K::ident(p), (K::W::downgrade(p), next_id)).map(|(_, id)| id);
                    match old {
                        Some(_) => dead.want.replaced += 1,
                        None => {
                            // A new key: no step, but a sweep if the table is full.
                            sweep = Sweep::AllOrNone;
                            dead.want.insertions += 1;
                        }
                    }
                    let got = map.insert(p, next_id);
                    assert_eq!(got, old);
                    ledger.borrow_mut().returned.extend(got);
                }
                None => sweep = Sweep::None,
            },
            Op::Get(s) => {
                sweep = Sweep::None;
                if let Some(p) = &holders[s] {
                    let want = model.get(&K::ident(p)).map(|e| e.1);
                    assert_eq!(map.get(p).copied(), want);
                    assert_eq!(map.contains_key(p), want.is_some());
                    let kv = map.get_key_value(p).map(|(k, v)| (K::ident(&k), *v));
                    assert_eq!(kv, want.map(|v| (K::ident(p), v)));
                    dead.want.lookups(want.is_some(), 3);
                }
            }
            Op::GetMut(s) => match &holders[s] {
                Some(p) => {
                    let want = model.get(&K::ident(p)).map(|e| e.1);
                    assert_eq!(map.get_mut(p).copied(), want);
                    dead.want.lookups(want.is_some(), 1);
                }
                None => sweep = Sweep::None,
            },
            Op::Remove(s) => match &holders[s] {
                Some(p) => {
                    let want = model.remove(&K::ident(p)).map(|e| e.1);
                    let got = map.remove(p);
                    assert_eq!(got, want);
                    dead.want.explicit += u64::from(got.is_some());
                    ledger.borrow_mut().returned.extend(got);
                }
                None => sweep = Sweep::None,
            },
            Op::RemoveAbsent => {
                let absent = K::new(200);
                assert_eq!(map.remove(&absent), None);
            }
            Op::EntryOrInsert(s) => match &holders[s] {
                Some(p) => {
                    let want = match model.get_mut(&K::ident(p)) {
                        // An occupied entry takes the caller's key, as `insert` does.
                        Some(e) => {
                            e.0 = K::W::downgrade(p);
                            e.1
                        }
                        None => {
                            next_id += 1;
                            inserted.push(next_id);
                            dead.want.insertions += 1;
                            model.insert(K::ident(p), (K::W::downgrade(p), next_id));
                            next_id
                        }
                    };
                    assert_eq!(*map.entry(p).or_insert(next_id), want);
                }
                None => sweep = Sweep::None,
            },
            Op::EntryInsert(s) => match &holders[s] {
                Some(p) => {
                    next_id += 1;
                    inserted.push(next_id);
                    let old = model.insert(K::ident(p), (K::W::downgrade(p), next_id)).map(|e| e.1);
                    match old {
                        Some(_) => dead.want.replaced += 1,
                        None => dead.want.insertions += 1,
                    }
                    let got = match map.entry(p) {
                        leakless::weak::Entry::Occupied(mut o) => Some(o.insert(next_id)),
                        leakless::weak::Entry::Vacant(v) => {
                            assert_eq!(*v.insert(next_id), next_id);
                            None
                        }
                    };
                    assert_eq!(got, old);
                    ledger.borrow_mut().returned.extend(got);
                }
                None => sweep = Sweep::None,
            },
            Op::EntryRemove(s) => match &holders[s] {
                Some(p) => {
                    let want = model.remove(&K::ident(p)).map(|e| e.1);
                    let got = match map.entry(p) {
                        leakless::weak::Entry::Occupied(o) => Some(o.remove()),
                        leakless::weak::Entry::Vacant(_) => None,
                    };
                    assert_eq!(got, want);
                    dead.want.explicit += u64::from(got.is_some());
                    ledger.borrow_mut().returned.extend(got);
                }
                None => sweep = Sweep::None,
            },
            Op::Retain(m) => {
                sweep = Sweep::All;
                map.retain(|k, v| {
                    assert!(model.contains_key(&K::ident(k)), "retain saw a key the model lacks");
                    *v % m != 0
                });
                model.retain(|_, e| {
                    let keep = e.1 % m != 0;
                    if !keep {
                        other.push((e.1, RemovalCause::Explicit));
                    }
                    keep
                });
            }
            Op::Prune => {
                sweep = Sweep::All;
                let before = map.len();
                let n = map.prune();
                assert_eq!(n, dead.pending.len(), "prune() returns how many it removed");
                assert_eq!(before - n, map.len());
                assert_eq!(map.len(), model.len(), "len() exact after prune");
            }
            Op::Clear => {
                // Clearing finalizes the dead entries not yet collected too, as Cleared.
                sweep = Sweep::None;
                other.extend(model.values().map(|e| (e.1, RemovalCause::Cleared)));
                other.extend(dead.pending.keys().map(|v| (*v, RemovalCause::Cleared)));
                dead.pending.clear();
                map.clear();
                model.clear();
                assert!(map.is_empty());
            }
            Op::Iter => {
                sweep = Sweep::None;
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
            Op::Reserve(n) => {
                sweep = Sweep::AllOrNone;
                map.reserve(n as usize);
            }
            Op::ShrinkToFit => {
                sweep = Sweep::All;
                map.shrink_to_fit();
                assert_eq!(map.len(), model.len());
            }
        }
        let events = std::mem::take(&mut ledger.borrow_mut().finalized);
        finalized.extend(events.iter().copied());
        dead.settle(&map, sweep, events, other);
        // The entries whose key died are invisible to reads from now on, and wait to be
        // collected.
        model.retain(|_, e| {
            let alive = !e.0.is_dead();
            if !alive {
                dead.pending.insert(e.1, 0);
            }
            alive
        });
        map.validate();
        assert_eq!(map.len_live(), model.len());
        assert_eq!(map.len(), model.len() + dead.pending.len(), "len() counts the dead entries not yet collected");
    }

    // Dropping the map finalizes everything left, live or dead, as Dropped.
    let mut left: Vec<(u32, RemovalCause)> =
        model.values().map(|e| e.1).chain(dead.pending.keys().copied()).map(|v| (v, RemovalCause::Dropped)).collect();
    left.sort_unstable();
    drop(map);
    let mut events = std::mem::take(&mut ledger.borrow_mut().finalized);
    finalized.extend(events.iter().copied());
    events.sort_unstable();
    assert_eq!(events, left, "dropping the map finalizes what is left as Dropped");

    let ledger = ledger.borrow();
    let mut out: Vec<u32> = ledger.returned.clone();
    out.extend(finalized.iter().map(|e| e.0));
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
