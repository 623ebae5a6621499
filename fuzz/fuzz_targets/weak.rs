//! `leakless::WeakKeyMap` against a model that also drops strong keys, for `Rc` and `Arc`
//! keys compared by value and by identity (`WeakIdentityMap`, where two distinct `Rc`s
//! with equal contents are different keys): `validate()` after every op, and the model
//! predicts where every value goes, and when.
//!
//! - An overwrite (`insert`, `OccupiedEntry::insert`) hands the old value back, counted
//!   as `Replaced`; `remove` and `OccupiedEntry::remove` hand it back, counted as
//!   `Explicit`; none of them reaches the finalizer.
//! - `retain` finalizes exactly the live values it rejects as `Explicit`, and every
//!   dead entry as `Collected`.
//! - A value whose key died leaves exactly once, as `Collected` (never while its key is
//!   alive): never during a read; at any incremental step (`get_mut`, `remove`, `entry`,
//!   an `insert` that replaces); all at once or not at all when an insert of a new key
//!   or `reserve` may sweep before growth (and the table never grows with a dead entry
//!   in it); all at once on `prune`, `shrink_to_fit` and `retain`; and at the latest
//!   once the incremental steps since its key died (or since the table last shrank,
//!   which restarts the cursor) have covered every bucket, `SWEEP_STEP` each — unless
//!   `clear` (`Cleared`) or dropping the map (`Dropped`) takes it first.
//! - `clear` finalizes every live and every not yet collected dead value as `Cleared`;
//!   dropping the map, every one left as `Dropped`.
//! - `stats()` agrees: insertions, removals by cause, `pruned` equal to the `Collected`
//!   count, hits and misses of the reads.
//! - By the end every value inserted left exactly once.
#![no_main]

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap as Model};
use std::hash::BuildHasher;
use std::ops::Deref;
use std::rc::Rc;
use std::sync::Arc;

use arbitrary::Arbitrary;
use leakless::{ById, Finalizer, RemovalCause, WeakKey, WeakKeyMap, SWEEP_STEP};
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
    /// `entry(k)`: `OccupiedEntry::insert` (an overwrite) or `VacantEntry::insert`.
    EntryInsert(u8),
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

/// How a run builds keys and identifies them in the model.
trait Kind {
    type P: Clone + Deref<Target = u16>;
    type W: WeakKey<Target = u16, Strong = Self::P>;
    fn new(v: u16) -> Self::P;
    /// The model's key: the value (by-value maps) or the address (identity maps).
    fn ident(p: &Self::P) -> usize;
}

struct RcByValue;
impl Kind for RcByValue {
    type P = Rc<u16>;
    type W = std::rc::Weak<u16>;
    fn new(v: u16) -> Rc<u16> {
        Rc::new(v)
    }
    fn ident(p: &Rc<u16>) -> usize {
        usize::from(**p)
    }
}

struct ArcByValue;
impl Kind for ArcByValue {
    type P = Arc<u16>;
    type W = std::sync::Weak<u16>;
    fn new(v: u16) -> Arc<u16> {
        Arc::new(v)
    }
    fn ident(p: &Arc<u16>) -> usize {
        usize::from(**p)
    }
}

struct RcById;
impl Kind for RcById {
    type P = Rc<u16>;
    type W = ById<std::rc::Weak<u16>>;
    fn new(v: u16) -> Rc<u16> {
        Rc::new(v)
    }
    fn ident(p: &Rc<u16>) -> usize {
        Rc::as_ptr(p) as usize
    }
}

struct ArcById;
impl Kind for ArcById {
    type P = Arc<u16>;
    type W = ById<std::sync::Weak<u16>>;
    fn new(v: u16) -> Arc<u16> {
        Arc::new(v)
    }
    fn ident(p: &Arc<u16>) -> usize {
        Arc::as_ptr(p) as usize
    }
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
/// the table has at most one tombstone, else a lower bound.
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

/// The dead entries not yet collected, the incremental steps each has waited, and an
/// upper bound on the bucket count (a resize is followed by at most one removal in the
/// same op, so `capacity()` then gives the bucket count, which stays until the next).
#[derive(Default)]
struct Dead {
    pending: BTreeMap<u32, usize>,
    buckets: usize,
    shrinks: u64,
    want: Counts,
}

impl Dead {
    /// Check the values that left during one op (`events`) against what it may do:
    /// `Collected` only for pending values, as `sweep` allows; every other cause exactly
    /// `other`. Then advance the step counts and check the bound and the stats.
    fn settle<W: WeakKey, S: BuildHasher, F: Finalizer<W, u32>>(
        &mut self,
        map: &WeakKeyMap<W, u32, S, F>,
        sweep: Sweep,
        events: Vec<(u32, RemovalCause)>,
        mut other: Vec<(u32, RemovalCause)>,
    ) {
        let waited: Vec<u32> = if sweep == Sweep::Step { self.pending.keys().copied().collect() } else { Vec::new() };
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

        for v in waited {
            if let Some(steps) = self.pending.get_mut(&v) {
                *steps += 1;
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
        if sweep == Sweep::Step {
            for (v, steps) in &self.pending {
                assert!(
                    steps * SWEEP_STEP < self.buckets,
                    "value {v} still not collected after {steps} incremental steps of {SWEEP_STEP} buckets, \
                     in a table of at most {} buckets",
                    self.buckets
                );
            }
        }
        assert_eq!(Counts::of(s), self.want, "stats");
    }
}

/// Move the model's entry `ident` to the pending dead entries if its key died.
fn bury<W: WeakKey>(model: &mut Model<usize, (W, u32)>, dead: &mut Dead, ident: usize) {
    if model.get(&ident).is_some_and(|e| e.0.is_dead()) {
        let (_, v) = model.remove(&ident).expect("just seen");
        dead.pending.insert(v, 0);
    }
}

type Log = Rc<RefCell<Vec<(u32, RemovalCause)>>>;

fn take(log: &Log) -> Vec<(u32, RemovalCause)> {
    std::mem::take(&mut *log.borrow_mut())
}

fn run<K: Kind>(ops: &[Op]) {
    let log: Log = Rc::default();
    let l2 = log.clone();
    let fin = move |k: K::W, v: u32, cause: RemovalCause| {
        if cause == RemovalCause::Collected {
            assert!(k.is_dead(), "value {v} collected while its key is alive");
        }
        l2.borrow_mut().push((v, cause));
    };
    let mut map = WeakKeyMap::with_hasher_and_finalizer(leakless::DefaultHashBuilder::with_seeds(1, 2, 3, 4), fin);
    // The live entries: ident -> (the key the map stores, value).
    let mut model: Model<usize, (K::W, u32)> = Model::new();
    let mut dead = Dead { buckets: buckets_for(map.capacity()), ..Dead::default() };
    let mut holders: Vec<Option<K::P>> = vec![None; SLOTS];
    let mut pool: Vec<K::P> = Vec::new();
    let mut next = 0u32;
    let mut inserted = Vec::new();
    let mut returned = Vec::new();
    let mut finalized = Vec::new();

    for op in ops {
        let mut sweep = Sweep::Step;
        let mut other = Vec::new();
        match *op {
            Op::NewKey(s, v) => {
                holders[s as usize % SLOTS] = Some(K::new(u16::from(v % 32)));
                sweep = Sweep::None;
            }
            Op::DropKey(s) => {
                holders[s as usize % SLOTS] = None;
                sweep = Sweep::None;
            }
            Op::Insert(s) => match &holders[s as usize % SLOTS] {
                Some(p) => {
                    next += 1;
                    inserted.push(next);
                    let old = model.insert(K::ident(p), (K::W::downgrade(p), next)).map(|e| e.1);
                    match old {
                        Some(_) => dead.want.replaced += 1,
                        None => {
                            // A new key: no step, but a sweep if the table is full.
                            sweep = Sweep::AllOrNone;
                            dead.want.insertions += 1;
                        }
                    }
                    let got = map.insert(p, next);
                    assert_eq!(got, old);
                    returned.extend(got);
                }
                None => sweep = Sweep::None,
            },
            Op::Get(s) => {
                sweep = Sweep::None;
                if let Some(p) = &holders[s as usize % SLOTS] {
                    let want = model.get(&K::ident(p)).map(|e| e.1);
                    assert_eq!(map.get(p).copied(), want);
                    assert_eq!(map.contains_key(p), want.is_some());
                    dead.want.lookups(want.is_some(), 2);
                }
            }
            Op::GetMut(s) => match &holders[s as usize % SLOTS] {
                Some(p) => {
                    let want = model.get(&K::ident(p)).map(|e| e.1);
                    assert_eq!(map.get_mut(p).copied(), want);
                    dead.want.lookups(want.is_some(), 1);
                }
                None => sweep = Sweep::None,
            },
            Op::Remove(s) => match &holders[s as usize % SLOTS] {
                Some(p) => {
                    let want = model.remove(&K::ident(p)).map(|e| e.1);
                    let got = map.remove(p);
                    assert_eq!(got, want);
                    dead.want.explicit += u64::from(got.is_some());
                    returned.extend(got);
                }
                None => sweep = Sweep::None,
            },
            Op::RemoveAbsent => assert_eq!(map.remove(&K::new(u16::MAX)), None),
            Op::EntryOrInsert(s) => match &holders[s as usize % SLOTS] {
                Some(p) => {
                    let want = match model.get_mut(&K::ident(p)) {
                        // An occupied entry takes the caller's key, as `insert` does.
                        Some(e) => {
                            e.0 = K::W::downgrade(p);
                            e.1
                        }
                        None => {
                            next += 1;
                            inserted.push(next);
                            dead.want.insertions += 1;
                            model.insert(K::ident(p), (K::W::downgrade(p), next));
                            next
                        }
                    };
                    assert_eq!(*map.entry(p).or_insert(next), want);
                }
                None => sweep = Sweep::None,
            },
            Op::EntryInsert(s) => match &holders[s as usize % SLOTS] {
                Some(p) => {
                    next += 1;
                    inserted.push(next);
                    let old = model.insert(K::ident(p), (K::W::downgrade(p), next)).map(|e| e.1);
                    match old {
                        Some(_) => dead.want.replaced += 1,
                        None => dead.want.insertions += 1,
                    }
                    let got = match map.entry(p) {
                        leakless::weak::Entry::Occupied(mut o) => Some(o.insert(next)),
                        leakless::weak::Entry::Vacant(v) => {
                            assert_eq!(*v.insert(next), next);
                            None
                        }
                    };
                    assert_eq!(got, old);
                    returned.extend(got);
                }
                None => sweep = Sweep::None,
            },
            Op::EntryRemove(s) => match &holders[s as usize % SLOTS] {
                Some(p) => {
                    let want = model.remove(&K::ident(p)).map(|e| e.1);
                    let got = match map.entry(p) {
                        leakless::weak::Entry::Occupied(o) => Some(o.remove()),
                        leakless::weak::Entry::Vacant(_) => None,
                    };
                    assert_eq!(got, want);
                    dead.want.explicit += u64::from(got.is_some());
                    returned.extend(got);
                }
                None => sweep = Sweep::None,
            },
            Op::Retain(m) => {
                sweep = Sweep::All;
                let m = u32::from(m.max(1));
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
                assert_eq!(map.prune(), dead.pending.len(), "prune() returns how many it removed");
                assert_eq!(map.len(), model.len(), "len() exact after prune()");
            }
            Op::Clear => {
                // Clearing finalizes the dead entries not yet collected too, as Cleared.
                sweep = Sweep::None;
                other.extend(model.values().map(|e| (e.1, RemovalCause::Cleared)));
                other.extend(dead.pending.keys().map(|v| (*v, RemovalCause::Cleared)));
                dead.pending.clear();
                map.clear();
                model.clear();
            }
            Op::Iter => {
                sweep = Sweep::None;
                let mut got: Vec<(usize, u32)> = map.iter().map(|(k, v)| (K::ident(&k), *v)).collect();
                got.sort_unstable();
                let mut want: Vec<(usize, u32)> = model.iter().map(|(k, e)| (*k, e.1)).collect();
                want.sort_unstable();
                assert_eq!(got, want);
            }
            Op::Reserve(n) => {
                sweep = Sweep::AllOrNone;
                map.reserve(usize::from(n % 4096));
            }
            Op::ShrinkToFit => {
                sweep = Sweep::All;
                map.shrink_to_fit();
            }
            Op::InsertMany(n, keep) => {
                // Each insert is settled on its own: keys die within the op.
                let keep = usize::from(keep.max(1));
                for i in 0..usize::from(n % 2048) {
                    // Keys from 1000 up never equal the slot keys (< 32).
                    let k = K::new(1000 + (next % 60_000) as u16);
                    next += 1;
                    inserted.push(next);
                    let ident = K::ident(&k);
                    let old = model.insert(ident, (K::W::downgrade(&k), next)).map(|e| e.1);
                    let got = map.insert(&k, next);
                    assert_eq!(got, old);
                    returned.extend(got);
                    let sweep = match old {
                        Some(_) => {
                            dead.want.replaced += 1;
                            Sweep::Step
                        }
                        None => {
                            dead.want.insertions += 1;
                            Sweep::AllOrNone
                        }
                    };
                    let events = take(&log);
                    finalized.extend(events.iter().copied());
                    dead.settle(&map, sweep, events, Vec::new());
                    if i % keep == 0 {
                        pool.push(k);
                    } else {
                        drop(k);
                        bury(&mut model, &mut dead, ident);
                    }
                }
                sweep = Sweep::None;
            }
            Op::DropPool => {
                pool.clear();
                sweep = Sweep::None;
            }
        }
        let events = take(&log);
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
    let mut events = take(&log);
    finalized.extend(events.iter().copied());
    events.sort_unstable();
    assert_eq!(events, left, "dropping the map finalizes what is left as Dropped");

    let mut out = returned;
    out.extend(finalized.iter().map(|e| e.0));
    out.sort_unstable();
    inserted.sort_unstable();
    assert_eq!(out, inserted, "every value left exactly once");
}

fuzz_target!(|ops: Vec<Op>| {
    run::<RcByValue>(&ops);
    run::<ArcByValue>(&ops);
    run::<RcById>(&ops);
    run::<ArcById>(&ops);
});
