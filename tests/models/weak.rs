//! `leakless::WeakKeyMap` against a model that also drops strong keys, shared by
//! `tests/weak.rs` and `fuzz/fuzz_targets/weak.rs`, which include this file with
//! `#[path]` and bring their own ops (a proptest strategy, an `Arbitrary` enum). It
//! depends only on `std` and `leakless`, and does no I/O.
//!
//! [`Checked`] holds the map, the model of its live entries, the strong keys (slots, and
//! a pool for [`Checked::insert_many`]) and [`Dead`], which follows the entries whose key
//! died. Each method makes one op on the map and the model, checks what it returns, and
//! then checks what left the map during the op ([`Dead::settle`]), `validate()` and the
//! lengths; [`Checked::finish`] drops the map and checks that every value left exactly
//! once.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap as Model};
use std::fmt::Debug;
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;
use std::ops::Deref;
use std::rc::Rc;
use std::sync::Arc;

use leakless::{ById, DefaultHashBuilder, Finalizer, RemovalCause, WeakKey, WeakKeyMap, SWEEP_STEP};

/// The pointee of the keys: a small integer, which is also the model's key for the maps
/// that compare keys by value.
pub(crate) trait Pointee: Copy + Into<usize> + Hash + Eq + Debug + 'static {}
impl<T: Copy + Into<usize> + Hash + Eq + Debug + 'static> Pointee for T {}

/// How a run builds keys and identifies them in the model.
pub(crate) trait Kind {
    type T: Pointee;
    type P: Clone + Deref<Target = Self::T>;
    type W: WeakKey<Target = Self::T, Strong = Self::P>;
    fn new(v: Self::T) -> Self::P;
    /// The model's key: the value (by-value maps) or the address (identity maps).
    fn ident(p: &Self::P) -> usize;
}

/// A [`Kind`] named `$name`: strong pointer `$ptr`, weak key `$weak`, and `$ident` the
/// model's key of the strong pointer `$p`.
macro_rules! kind {
    ($name:ident, $ptr:ident, $weak:ty, |$p:ident| $ident:expr) => {
        pub(crate) struct $name<T>(PhantomData<T>);
        impl<T: Pointee> Kind for $name<T> {
            type T = T;
            type P = $ptr<T>;
            type W = $weak;
            fn new(v: T) -> $ptr<T> {
                $ptr::new(v)
            }
            fn ident($p: &$ptr<T>) -> usize {
                $ident
            }
        }
    };
}

kind!(RcByValue, Rc, std::rc::Weak<T>, |p| (**p).into());
kind!(ArcByValue, Arc, std::sync::Weak<T>, |p| (**p).into());
kind!(RcById, Rc, ById<std::rc::Weak<T>>, |p| Rc::as_ptr(p) as usize);
kind!(ArcById, Arc, ById<std::sync::Weak<T>>, |p| Arc::as_ptr(p) as usize);

/// What an op may collect (finalize as `Collected`): the documented pruning points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Sweep {
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

type Log = Rc<RefCell<Vec<(u32, RemovalCause)>>>;

/// The finalizer: records every value with its cause, and checks that a value is
/// collected only once its key died.
pub(crate) struct Recorder(Log);

impl<W: WeakKey> Finalizer<W, u32> for Recorder {
    fn finalize(&mut self, k: W, v: u32, cause: RemovalCause) {
        if cause == RemovalCause::Collected {
            assert!(k.is_dead(), "value {v} collected while its key is alive");
        }
        self.0.borrow_mut().push((v, cause));
    }
}

/// The map and its model, with the strong keys: `slots` that the ops name, and a pool
/// that [`Checked::insert_many`] fills and [`Checked::drop_pool`] empties.
pub(crate) struct Checked<K: Kind> {
    map: WeakKeyMap<K::W, u32, DefaultHashBuilder, Recorder>,
    log: Log,
    /// The live entries: ident -> (the key the map stores, value).
    model: Model<usize, (K::W, u32)>,
    dead: Dead,
    holders: Vec<Option<K::P>>,
    pool: Vec<K::P>,
    next: u32,
    inserted: Vec<u32>,
    /// Values handed back, and values finalized with their cause.
    returned: Vec<u32>,
    finalized: Vec<(u32, RemovalCause)>,
}

impl<K: Kind> Checked<K> {
    pub(crate) fn new(slots: usize) -> Self {
        let log = Log::default();
        let hasher = DefaultHashBuilder::with_seeds(1, 2, 3, 4);
        let map = WeakKeyMap::with_hasher_and_finalizer(hasher, Recorder(log.clone()));
        let dead = Dead { buckets: buckets_for(map.capacity()), ..Dead::default() };
        Checked {
            map,
            log,
            model: Model::new(),
            dead,
            holders: vec![None; slots],
            pool: Vec::new(),
            next: 0,
            inserted: Vec::new(),
            returned: Vec::new(),
            finalized: Vec::new(),
        }
    }

    fn take_log(&mut self) -> Vec<(u32, RemovalCause)> {
        let events = std::mem::take(&mut *self.log.borrow_mut());
        self.finalized.extend(events.iter().copied());
        events
    }

    /// After an op that may collect as `sweep` allows, and finalized exactly `other`
    /// for other causes: settle, move the entries whose key died to the pending dead
    /// entries (invisible to reads from now on), and check the map.
    fn end(&mut self, sweep: Sweep, other: Vec<(u32, RemovalCause)>) {
        let events = self.take_log();
        self.dead.settle(&self.map, sweep, events, other);
        let pending = &mut self.dead.pending;
        self.model.retain(|_, e| {
            let alive = !e.0.is_dead();
            if !alive {
                pending.insert(e.1, 0);
            }
            alive
        });
        self.map.validate();
        assert_eq!(self.map.len_live(), self.model.len());
        assert_eq!(
            self.map.len(),
            self.model.len() + self.dead.pending.len(),
            "len() counts the dead entries not yet collected"
        );
    }

    fn fresh(&mut self) -> u32 {
        self.next += 1;
        self.inserted.push(self.next);
        self.next
    }

    /// A fresh value stored under `p` in the model, counted as an insertion or (an
    /// overwrite) `Replaced`: the value, and the one it replaced.
    fn put(&mut self, p: &K::P) -> (u32, Option<u32>) {
        let id = self.fresh();
        let old = self.model.insert(K::ident(p), (K::W::downgrade(p), id)).map(|e| e.1);
        match old {
            Some(_) => self.dead.want.replaced += 1,
            None => self.dead.want.insertions += 1,
        }
        (id, old)
    }

    pub(crate) fn new_key(&mut self, slot: usize, v: K::T) {
        self.holders[slot] = Some(K::new(v));
        self.end(Sweep::None, Vec::new());
    }

    pub(crate) fn drop_key(&mut self, slot: usize) {
        self.holders[slot] = None;
        self.end(Sweep::None, Vec::new());
    }

    /// An op on the key held in `slot`: `f` makes it, checks what it returns and says how
    /// far it may sweep. With no key in the slot there is no op, and no sweep.
    fn on_slot(&mut self, slot: usize, f: impl FnOnce(&mut Self, &K::P) -> Sweep) {
        let sweep = match self.holders[slot].clone() {
            Some(p) => f(self, &p),
            None => Sweep::None,
        };
        self.end(sweep, Vec::new());
    }

    /// The value a removal of `p`'s entry returned: the model's, counted as `Explicit`
    /// and handed back.
    fn removed(&mut self, p: &K::P, got: Option<u32>) {
        let want = self.model.remove(&K::ident(p)).map(|e| e.1);
        assert_eq!(got, want);
        self.dead.want.explicit += u64::from(got.is_some());
        self.returned.extend(got);
    }

    pub(crate) fn insert(&mut self, slot: usize) {
        self.on_slot(slot, |c, p| {
            let (id, old) = c.put(p);
            let got = c.map.insert(p, id);
            assert_eq!(got, old);
            c.returned.extend(got);
            // A new key: no step, but a sweep if the table is full.
            if old.is_none() {
                Sweep::AllOrNone
            } else {
                Sweep::Step
            }
        });
    }

    pub(crate) fn get(&mut self, slot: usize) {
        self.on_slot(slot, |c, p| {
            let want = c.model.get(&K::ident(p)).map(|e| e.1);
            assert_eq!(c.map.get(p).copied(), want);
            assert_eq!(c.map.contains_key(p), want.is_some());
            let kv = c.map.get_key_value(p).map(|(k, v)| (K::ident(&k), *v));
            assert_eq!(kv, want.map(|v| (K::ident(p), v)));
            c.dead.want.lookups(want.is_some(), 3);
            Sweep::None
        });
    }

    pub(crate) fn get_mut(&mut self, slot: usize) {
        self.on_slot(slot, |c, p| {
            let want = c.model.get(&K::ident(p)).map(|e| e.1);
            assert_eq!(c.map.get_mut(p).copied(), want);
            c.dead.want.lookups(want.is_some(), 1);
            Sweep::Step
        });
    }

    pub(crate) fn remove(&mut self, slot: usize) {
        self.on_slot(slot, |c, p| {
            let got = c.map.remove(p);
            c.removed(p, got);
            Sweep::Step
        });
    }

    /// `remove` of a key no slot holds (`absent` must not equal a slot key's value).
    pub(crate) fn remove_absent(&mut self, absent: K::T) {
        assert_eq!(self.map.remove(&K::new(absent)), None);
        self.end(Sweep::Step, Vec::new());
    }

    pub(crate) fn entry_or_insert(&mut self, slot: usize) {
        self.on_slot(slot, |c, p| {
            let want = match c.model.get_mut(&K::ident(p)) {
                // An occupied entry takes the caller's key, as `insert` does.
                Some(e) => {
                    e.0 = K::W::downgrade(p);
                    e.1
                }
                None => {
                    let id = c.fresh();
                    c.dead.want.insertions += 1;
                    c.model.insert(K::ident(p), (K::W::downgrade(p), id));
                    id
                }
            };
            assert_eq!(*c.map.entry(p).or_insert(c.next), want);
            Sweep::Step
        });
    }

    /// `entry(k)`: `OccupiedEntry::insert` (an overwrite) or `VacantEntry::insert`.
    pub(crate) fn entry_insert(&mut self, slot: usize) {
        self.on_slot(slot, |c, p| {
            let (id, old) = c.put(p);
            let got = match c.map.entry(p) {
                leakless::weak::Entry::Occupied(mut o) => Some(o.insert(id)),
                leakless::weak::Entry::Vacant(v) => {
                    assert_eq!(*v.insert(id), id);
                    None
                }
            };
            assert_eq!(got, old);
            c.returned.extend(got);
            Sweep::Step
        });
    }

    pub(crate) fn entry_remove(&mut self, slot: usize) {
        self.on_slot(slot, |c, p| {
            let got = match c.map.entry(p) {
                leakless::weak::Entry::Occupied(o) => Some(o.remove()),
                leakless::weak::Entry::Vacant(_) => None,
            };
            c.removed(p, got);
            Sweep::Step
        });
    }

    pub(crate) fn retain(&mut self, m: u32) {
        let model = &self.model;
        self.map.retain(|k, v| {
            assert!(model.contains_key(&K::ident(k)), "retain saw a key the model lacks");
            *v % m != 0
        });
        let mut other = Vec::new();
        self.model.retain(|_, e| {
            let keep = e.1 % m != 0;
            if !keep {
                other.push((e.1, RemovalCause::Explicit));
            }
            keep
        });
        self.end(Sweep::All, other);
    }

    pub(crate) fn prune(&mut self) {
        let before = self.map.len();
        let n = self.map.prune();
        assert_eq!(n, self.dead.pending.len(), "prune() returns how many it removed");
        assert_eq!(before - n, self.map.len());
        assert_eq!(self.map.len(), self.model.len(), "len() exact after prune()");
        self.end(Sweep::All, Vec::new());
    }

    pub(crate) fn clear(&mut self) {
        // Clearing finalizes the dead entries not yet collected too, as Cleared.
        let mut other: Vec<_> = self.model.values().map(|e| (e.1, RemovalCause::Cleared)).collect();
        other.extend(self.dead.pending.keys().map(|v| (*v, RemovalCause::Cleared)));
        self.dead.pending.clear();
        self.map.clear();
        self.model.clear();
        assert!(self.map.is_empty());
        self.end(Sweep::None, other);
    }

    pub(crate) fn iter(&mut self) {
        let mut got: Vec<(usize, u32)> = self.map.iter().map(|(k, v)| (K::ident(&k), *v)).collect();
        got.sort_unstable();
        let mut want: Vec<(usize, u32)> = self.model.iter().map(|(k, e)| (*k, e.1)).collect();
        want.sort_unstable();
        assert_eq!(got, want);
        let mut vals: Vec<u32> = self.map.values().copied().collect();
        vals.sort_unstable();
        let mut want_vals: Vec<u32> = want.iter().map(|e| e.1).collect();
        want_vals.sort_unstable();
        assert_eq!(vals, want_vals);
        assert_eq!(self.map.keys().count(), want.len());
        self.end(Sweep::None, Vec::new());
    }

    pub(crate) fn reserve(&mut self, n: usize) {
        self.map.reserve(n);
        self.end(Sweep::AllOrNone, Vec::new());
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.map.shrink_to_fit();
        assert_eq!(self.map.len(), self.model.len());
        self.end(Sweep::All, Vec::new());
    }

    /// Insert `n` fresh keys made by `key(i)` (equal to no slot key), keeping every
    /// `keep`-th alive in the pool (`keep > 0`). Each insert is settled on its own: keys
    /// die within the op.
    #[allow(dead_code)] // only the fuzz target makes this op
    pub(crate) fn insert_many(&mut self, n: usize, keep: usize, key: impl Fn(u32) -> K::T) {
        for i in 0..n {
            let k = K::new(key(self.next));
            let ident = K::ident(&k);
            let (id, old) = self.put(&k);
            let got = self.map.insert(&k, id);
            assert_eq!(got, old);
            self.returned.extend(got);
            let sweep = if old.is_some() { Sweep::Step } else { Sweep::AllOrNone };
            let events = self.take_log();
            self.dead.settle(&self.map, sweep, events, Vec::new());
            if i % keep == 0 {
                self.pool.push(k);
            } else {
                drop(k);
                // The key died: its entry waits to be collected.
                if self.model.get(&ident).is_some_and(|e| e.0.is_dead()) {
                    let (_, v) = self.model.remove(&ident).expect("just seen");
                    self.dead.pending.insert(v, 0);
                }
            }
        }
        self.end(Sweep::None, Vec::new());
    }

    /// Drop the pool's keys.
    #[allow(dead_code)] // only the fuzz target makes this op
    pub(crate) fn drop_pool(&mut self) {
        self.pool.clear();
        self.end(Sweep::None, Vec::new());
    }

    /// Drop the map, which finalizes everything left, live or dead, as `Dropped`; by
    /// then every value inserted left exactly once.
    pub(crate) fn finish(self) {
        let Checked { map, log, model, dead, mut returned, mut finalized, mut inserted, .. } = self;
        let mut left: Vec<(u32, RemovalCause)> = model
            .values()
            .map(|e| e.1)
            .chain(dead.pending.keys().copied())
            .map(|v| (v, RemovalCause::Dropped))
            .collect();
        left.sort_unstable();
        drop(map);
        let mut events = std::mem::take(&mut *log.borrow_mut());
        finalized.extend(events.iter().copied());
        events.sort_unstable();
        assert_eq!(events, left, "dropping the map finalizes what is left as Dropped");

        returned.extend(finalized.iter().map(|e| e.0));
        returned.sort_unstable();
        inserted.sort_unstable();
        assert_eq!(returned, inserted, "every value left exactly once");
    }
}
