//! `leakless::NestedMap` against flat models, shared by `tests/nested.rs` and
//! `fuzz/fuzz_targets/nested.rs`, which include this file with `#[path]` and bring their
//! own ops (proptest strategies, an `Arbitrary` enum). It depends only on `std` and
//! `leakless`, and does no I/O.
//!
//! [`Two`] checks a two-level map with inner map `M` against `HashMap<(K1, K2), V>`,
//! [`Three`] a depth-three map against `HashMap<(K1, K2, K3), V>`, [`Colls`] a map of
//! inner collections that are not maps ([`Coll`]: `Vec`, `VecDeque`, `HashSet`,
//! `BTreeSet`) against `HashMap<K1, C>`. Each method makes one
//! op on the map and the model and checks what it returns; then, after every op:
//! `validate()`, no empty inner collection at any level, `len()` and `outer_len()` equal
//! the model's, and `stats()` equals [`Counts`] kept beside the model — at depth three
//! also each middle map's own — with `pruned` counting the inner collections a guard, a
//! closure, `remove` or `retain` left empty at that level (not those `remove_inner` or
//! `clear` took).

use std::collections::{BTreeSet, HashMap as StdMap, HashSet, VecDeque};
use std::fmt::Debug;
use std::panic::{catch_unwind, AssertUnwindSafe};

use leakless::nested::{InnerCollection, InnerLookup, InnerMap};
use leakless::{HashMap, NestedMap, RemovalCause};

pub(crate) type Fixed = leakless::DefaultHashBuilder;

pub(crate) fn fixed() -> Fixed {
    Fixed::with_seeds(1, 2, 3, 4)
}

/// The block of counters a map allocates the first time it counts something besides a
/// lookup (part of its `allocation_size()`).
pub(crate) const STATS_BLOCK: usize = 80;

/// The counts `NestedMap::stats()` reports, kept beside the model.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Counts {
    pub(crate) insertions: u64,
    pub(crate) explicit: u64,
    pub(crate) replaced: u64,
    pub(crate) cleared: u64,
    pub(crate) hits: u64,
    pub(crate) misses: u64,
    /// Inner collections removed because a guard or closure left them empty (not those
    /// taken by `remove_inner` or `clear`).
    pub(crate) pruned: u64,
}

impl Counts {
    pub(crate) fn of(s: leakless::Stats) -> Self {
        Counts {
            insertions: s.insertions,
            explicit: s.removals(RemovalCause::Explicit),
            replaced: s.removals(RemovalCause::Replaced),
            cleared: s.removals(RemovalCause::Cleared),
            hits: s.hits,
            misses: s.misses,
            pruned: s.pruned,
        }
    }

    /// Count the leaves a group gained (insertions) or lost (explicit removals): stats
    /// count every change by its net effect on the leaf count.
    pub(crate) fn net(&mut self, before: usize, after: usize) {
        if after > before {
            self.insertions += (after - before) as u64;
        } else {
            self.explicit += (before - after) as u64;
        }
    }

    pub(crate) fn lookups(&mut self, hit: bool, n: u64) {
        if hit {
            self.hits += n;
        } else {
            self.misses += n;
        }
    }
}

/// The values the maps hold.
pub(crate) trait Val: Copy + Eq + Debug + 'static {}
impl<V: Copy + Eq + Debug + 'static> Val for V {}

/// A two-level map with inner map `M` and its flat model.
pub(crate) struct Two<M: InnerMap<Key = u8>> {
    map: NestedMap<u8, M, Fixed>,
    model: StdMap<(u8, u8), M::Value>,
    /// What `stats()` must say: leaves added, leaves removed by cause, lookups.
    want: Counts,
}

impl<M> Two<M>
where
    M: InnerMap<Key = u8> + InnerLookup<u8> + Default + Clone + PartialEq + Debug,
    M::Value: Val,
{
    pub(crate) fn new() -> Self {
        Two { map: NestedMap::with_hasher(fixed()), model: StdMap::new(), want: Counts::default() }
    }

    fn groups(&self) -> HashSet<u8> {
        self.model.keys().map(|(a, _)| *a).collect()
    }

    /// After an op that started with `before` leaves in the groups `groups_before`:
    /// check the map. `prunes`: the op prunes the groups it empties (`remove_inner` and
    /// `clear` take them away without pruning them); `opened`: the group a guard made
    /// with `inner_mut` opened (pruned if left empty, even if it was absent).
    fn end(&mut self, (before, groups_before): (usize, HashSet<u8>), prunes: bool, opened: Option<u8>) {
        let map = &self.map;
        map.validate();
        assert!(map.inners().all(|(_, m)| !InnerCollection::is_empty(m)), "an empty inner map survived");
        assert_eq!(map.len(), self.model.len());
        // Every change but `clear` is counted by its net effect on the leaf count:
        // growth as insertions, shrinkage as explicit removals (a guard that removes two
        // leaves and adds one counts one removal).
        self.want.net(before, self.model.len());
        let outer = self.groups();
        if prunes {
            self.want.pruned += groups_before.difference(&outer).count() as u64;
        }
        if opened.is_some_and(|a| !outer.contains(&a) && !groups_before.contains(&a)) {
            self.want.pruned += 1; // made by the guard and left empty
        }
        assert_eq!(Counts::of(map.stats()), self.want, "stats");
        assert_eq!(map.outer_len(), outer.len());
        assert_eq!(map.is_empty(), self.model.is_empty());
    }

    fn start(&self) -> (usize, HashSet<u8>) {
        (self.model.len(), self.groups())
    }

    pub(crate) fn insert(&mut self, a: u8, b: u8, v: M::Value) {
        let s = self.start();
        let old = self.model.insert((a, b), v);
        self.want.replaced += u64::from(old.is_some());
        assert_eq!(self.map.insert(a, b, v), old);
        self.end(s, true, None);
    }

    pub(crate) fn remove(&mut self, a: u8, b: u8) {
        let s = self.start();
        assert_eq!(self.map.remove(&a, &b), self.model.remove(&(a, b)));
        self.end(s, true, None);
    }

    pub(crate) fn get(&mut self, a: u8, b: u8) {
        let s = self.start();
        let map = &self.map;
        let (bytes, outer, debug) = (map.allocation_size(), map.outer_len(), format!("{map:?}"));
        assert_eq!(map.get(&a, &b), self.model.get(&(a, b)));
        assert_eq!(map.contains(&a, &b), self.model.contains_key(&(a, b)));
        // A read, hit or miss, changes nothing.
        assert_eq!((map.allocation_size(), map.outer_len(), format!("{map:?}")), (bytes, outer, debug));
        self.want.lookups(self.model.contains_key(&(a, b)), 2);
        self.end(s, true, None);
    }

    pub(crate) fn get_mut(&mut self, a: u8, b: u8, v: M::Value) {
        let s = self.start();
        let x = self.map.get_mut(&a, &b).map(|x| std::mem::replace(x, v));
        let y = self.model.get_mut(&(a, b)).map(|x| std::mem::replace(x, v));
        self.want.lookups(y.is_some(), 1);
        assert_eq!(x, y);
        self.end(s, true, None);
    }

    pub(crate) fn remove_inner(&mut self, a: u8) {
        let s = self.start();
        let inner = self.map.remove_inner(&a);
        let mut got: Vec<_> = inner.iter().flat_map(|m| m.iter().map(|(k, v)| (*k, *v))).collect();
        let mut want: Vec<_> = self.model.iter().filter(|((x, _), _)| *x == a).map(|((_, b), v)| (*b, *v)).collect();
        let before = self.model.len();
        self.model.retain(|(x, _), _| *x != a);
        got.sort_by_key(|e| e.0);
        want.sort_by_key(|e| e.0);
        assert_eq!(got, want);
        assert_eq!(inner.is_some(), !want.is_empty());
        assert_eq!(inner.map_or(0, |m| m.len()), before - self.model.len());
        self.end(s, false, None);
    }

    /// Through the guard of `inner_mut(a)`: keep the inner keys at or above `bound`,
    /// then maybe insert one.
    pub(crate) fn guard(&mut self, a: u8, bound: u8, add: Option<(u8, M::Value)>) {
        let s = self.start();
        let mut g = self.map.inner_mut(a);
        InnerMap::retain(&mut *g, |k, _| *k >= bound);
        self.model.retain(|(x, k), _| *x != a || *k >= bound);
        if let Some((k, v)) = add {
            let old = self.model.insert((a, k), v);
            assert_eq!(InnerMap::insert(&mut *g, k, v), old);
        }
        drop(g);
        self.end(s, true, Some(a));
    }

    /// Through the closure of `with_inner_mut(&a, ..)`: `empty` must empty the inner map.
    pub(crate) fn empty_inner(&mut self, a: u8, empty: impl FnOnce(&mut M)) {
        let s = self.start();
        let had = self.model.keys().any(|(x, _)| *x == a);
        assert_eq!(self.map.with_inner_mut(&a, empty).is_some(), had);
        self.model.retain(|(x, _), _| *x != a);
        self.end(s, true, None);
    }

    pub(crate) fn retain(&mut self, keep: impl Fn(u8, u8, M::Value) -> bool) {
        let s = self.start();
        self.map.retain(|a, b, v| keep(*a, *b, *v));
        self.model.retain(|(a, b), v| keep(*a, *b, *v));
        self.end(s, true, None);
    }

    pub(crate) fn clear(&mut self) {
        let (_, groups) = self.start();
        self.map.clear();
        self.want.cleared += self.model.len() as u64;
        self.model.clear();
        assert_eq!(self.map.outer().capacity(), 0);
        assert!(self.map.allocation_size() <= STATS_BLOCK, "only the stats block stays");
        self.end((0, groups), false, None);
    }

    /// Compare the contents: by `iter`, by `iter_inner` for the outer keys below 8, and
    /// a clone.
    pub(crate) fn check(&mut self) {
        let s = self.start();
        let map = &self.map;
        let mut got: Vec<_> = map.iter().map(|(a, b, v)| ((*a, *b), *v)).collect();
        let mut want: Vec<_> = self.model.iter().map(|(k, v)| (*k, *v)).collect();
        got.sort_by_key(|e| e.0);
        want.sort_by_key(|e| e.0);
        assert_eq!(got, want);
        assert_eq!(map.iter().len(), self.model.len());
        for a in 0..8 {
            let mut got: Vec<_> = map.iter_inner(&a).map(|(b, v)| (*b, *v)).collect();
            let mut want: Vec<_> =
                self.model.iter().filter(|((x, _), _)| *x == a).map(|((_, b), v)| (*b, *v)).collect();
            got.sort_by_key(|e| e.0);
            want.sort_by_key(|e| e.0);
            assert_eq!(got, want);
        }
        let copy = map.clone();
        copy.validate();
        assert!(copy == *map);
        self.end(s, true, None);
    }
}

pub(crate) type ThreeMap<V> = NestedMap<u8, NestedMap<u8, HashMap<u8, V, Fixed>, Fixed>, Fixed>;
type Model3<V> = StdMap<(u8, u8, u8), V>;

/// A depth-three map and its flat model.
pub(crate) struct Three<V> {
    map: ThreeMap<V>,
    model: Model3<V>,
    /// What `stats()` must say: the outer map's, and each middle map's own (which start
    /// at zero when the middle map is made and go when it is pruned). The three-level
    /// lookups (`get3`, `contains3`, `get3_mut`) count in the outer map only.
    want: Counts,
    mids: StdMap<u8, Counts>,
}

impl<V: Val> Three<V> {
    pub(crate) fn new() -> Self {
        Three {
            map: NestedMap::with_hasher(fixed()),
            model: StdMap::new(),
            want: Counts::default(),
            mids: StdMap::new(),
        }
    }

    /// After an op that started with the model `before`: check the map. `cleared`: the op
    /// was `clear`; `prunes_mid`: the middle maps prune the inner maps it empties
    /// (`remove_inner` on a middle map takes one away without pruning it).
    fn end(&mut self, before: Model3<V>, cleared: bool, prunes_mid: bool) {
        let map = &self.map;
        map.validate();
        for (_, mid) in map.inners() {
            assert!(!mid.is_empty(), "an empty middle map survived");
            assert!(mid.inners().all(|(_, inner)| !inner.is_empty()), "an empty inner map survived");
        }
        assert_eq!(map.len(), self.model.len());
        let outer_keys = |m: &Model3<V>| m.keys().map(|(a, _, _)| *a).collect::<HashSet<_>>();
        let mid_keys = |m: &Model3<V>| m.keys().map(|(a, b, _)| (*a, *b)).collect::<HashSet<_>>();
        let (outer_before, outer_after) = (outer_keys(&before), outer_keys(&self.model));
        let (mid_before, mid_after) = (mid_keys(&before), mid_keys(&self.model));
        assert_eq!(map.outer_len(), outer_after.len());
        let mids_len: usize = map.inners().map(|(_, mid)| mid.outer_len()).sum();
        assert_eq!(mids_len, mid_after.len());

        if cleared {
            // Counted as leaves cleared; nothing is pruned, and every middle map goes.
            self.want.cleared += before.len() as u64;
        } else {
            self.want.net(before.len(), self.model.len());
            for a in outer_before.union(&outer_after) {
                let leaves = |m: &Model3<V>| m.keys().filter(|(x, _, _)| x == a).count();
                self.mids.entry(*a).or_default().net(leaves(&before), leaves(&self.model));
            }
            // Every middle map the op emptied was pruned by the outer guard (also after
            // `remove_inner` on the middle map, through the outer guard), and every inner
            // map a middle map's guard emptied was pruned by it.
            self.want.pruned += outer_before.difference(&outer_after).count() as u64;
            if prunes_mid {
                for (a, _) in mid_before.difference(&mid_after) {
                    self.mids.entry(*a).or_default().pruned += 1;
                }
            }
        }
        // A pruned or cleared middle map takes its stats with it.
        self.mids.retain(|a, _| outer_after.contains(a));
        assert_eq!(Counts::of(map.stats()), self.want, "outer stats");
        for (a, mid) in map.inners() {
            assert_eq!(Counts::of(mid.stats()), self.mids[a], "stats of the middle map {a}");
        }
    }

    pub(crate) fn insert3(&mut self, a: u8, b: u8, c: u8, v: V) {
        let before = self.model.clone();
        let old = self.model.insert((a, b, c), v);
        if old.is_some() {
            self.want.replaced += 1;
            self.mids.entry(a).or_default().replaced += 1;
        }
        assert_eq!(self.map.insert3(a, b, c, v), old);
        self.end(before, false, true);
    }

    pub(crate) fn remove3(&mut self, a: u8, b: u8, c: u8) {
        let before = self.model.clone();
        assert_eq!(self.map.remove3(&a, &b, &c), self.model.remove(&(a, b, c)));
        self.end(before, false, true);
    }

    pub(crate) fn get3(&mut self, a: u8, b: u8, c: u8) {
        let before = self.model.clone();
        let bytes = self.map.allocation_size();
        assert_eq!(self.map.get3(&a, &b, &c), self.model.get(&(a, b, c)));
        assert_eq!(self.map.contains3(&a, &b, &c), self.model.contains_key(&(a, b, c)));
        assert_eq!(self.map.allocation_size(), bytes);
        self.want.lookups(self.model.contains_key(&(a, b, c)), 2);
        self.end(before, false, true);
    }

    pub(crate) fn get3_mut(&mut self, a: u8, b: u8, c: u8, v: V) {
        let before = self.model.clone();
        let x = self.map.get3_mut(&a, &b, &c).map(|x| std::mem::replace(x, v));
        let y = self.model.get_mut(&(a, b, c)).map(|x| std::mem::replace(x, v));
        self.want.lookups(y.is_some(), 1);
        assert_eq!(x, y);
        self.end(before, false, true);
    }

    /// Through the outer guard: `remove_inner(b)` on the middle map of `a`.
    pub(crate) fn remove_mid(&mut self, a: u8, b: u8) {
        let before = self.model.clone();
        let got = self.map.get_inner_mut(&a).and_then(|mut mid| mid.remove_inner(&b)).map(|m| m.len());
        let n = self.model.keys().filter(|(x, y, _)| (*x, *y) == (a, b)).count();
        self.model.retain(|(x, y, _), _| (*x, *y) != (a, b));
        assert_eq!(got, (n > 0).then_some(n));
        self.end(before, false, false);
    }

    /// Through both guards: remove every leaf of `(a, b)` whose key is below `bound`.
    #[allow(dead_code)] // only the proptest makes this op
    pub(crate) fn guards(&mut self, a: u8, b: u8, bound: u8) {
        let before = self.model.clone();
        if let Some(mut mid) = self.map.get_inner_mut(&a) {
            if let Some(mut inner) = mid.get_inner_mut(&b) {
                inner.retain(|c, _| *c >= bound);
            }
        }
        self.model.retain(|(x, y, c), _| (*x, *y) != (a, b) || *c >= bound);
        self.end(before, false, true);
    }

    /// Through both guards: empty the `(a, b)` level with `clear`.
    #[allow(dead_code)] // only the fuzz target makes this op
    pub(crate) fn empty_mid(&mut self, a: u8, b: u8) {
        let before = self.model.clone();
        if let Some(mut mid) = self.map.get_inner_mut(&a) {
            if let Some(mut inner) = mid.get_inner_mut(&b) {
                inner.clear();
            }
        }
        self.model.retain(|(x, y, _), _| (*x, *y) != (a, b));
        self.end(before, false, true);
    }

    pub(crate) fn retain3(&mut self, keep: impl Fn(u8, u8, u8, V) -> bool) {
        let before = self.model.clone();
        self.map.retain3(|a, b, c, v| keep(*a, *b, *c, *v));
        self.model.retain(|(a, b, c), v| keep(*a, *b, *c, *v));
        self.end(before, false, true);
    }

    pub(crate) fn clear(&mut self) {
        let before = self.model.clone();
        self.map.clear();
        self.model.clear();
        self.end(before, true, true);
    }

    pub(crate) fn check(&mut self) {
        let before = self.model.clone();
        let mut got: Vec<_> = self.map.iter3().map(|(a, b, c, v)| ((*a, *b, *c), *v)).collect();
        let mut want: Vec<_> = self.model.iter().map(|(k, v)| (*k, *v)).collect();
        got.sort_by_key(|e| e.0);
        want.sort_by_key(|e| e.0);
        assert_eq!(got, want);
        self.end(before, false, true);
    }
}

/// An inner collection that is not a map, with the few edits the model makes to it.
pub(crate) trait Coll: InnerCollection + Default + Clone + PartialEq + Debug {
    /// Add `v` (a set may already hold it).
    fn add(&mut self, v: u32);
    /// Take one element out (the last, the first, or the smallest).
    fn take(&mut self) -> Option<u32>;
    fn keep(&mut self, f: impl FnMut(&u32) -> bool);
    fn empty(&mut self);
    fn count(&self) -> usize;
}

/// `Coll` for a std collection whose `retain`, `clear` and `len` are the model's
/// `keep`, `empty` and `count`; `add` and `take` as given.
macro_rules! coll {
    ($t:ty, add: |$c:ident, $v:ident| $add:expr, take: |$d:ident| $take:expr) => {
        impl Coll for $t {
            fn add(&mut self, $v: u32) {
                let $c = self;
                $add;
            }
            fn take(&mut self) -> Option<u32> {
                let $d = self;
                $take
            }
            fn keep(&mut self, f: impl FnMut(&u32) -> bool) {
                self.retain(f)
            }
            fn empty(&mut self) {
                self.clear()
            }
            fn count(&self) -> usize {
                self.len()
            }
        }
    };
}

coll!(Vec<u32>, add: |c, v| c.push(v), take: |c| c.pop());
coll!(VecDeque<u32>, add: |c, v| c.push_back(v), take: |c| c.pop_front());
coll!(HashSet<u32, Fixed>, add: |c, v| c.insert(v), take: |c| {
    let min = c.iter().min().copied()?;
    c.remove(&min);
    Some(min)
});
coll!(BTreeSet<u32>, add: |c, v| c.insert(v), take: |c| c.pop_first());

/// Add `add` values from `from` on, then take `take` elements out.
fn add_take<C: Coll>(c: &mut C, from: u32, add: u8, take: u8) {
    for i in 0..u32::from(add) {
        c.add(from.wrapping_add(i));
    }
    for _ in 0..take {
        c.take();
    }
}

/// A `NestedMap<u8, C>` edited through the guard (`inner_mut`, `get_inner_mut`) and the
/// closure (`with_inner_mut`), against a `HashMap<u8, C>` model that drops a group when
/// it empties. After every op: `validate()`, no empty inner collection, each inner
/// collection equal to the model's, `len()` the model's leaf count, `outer_len()` its
/// group count, and `stats()` equal to counts kept beside the model (net growth as
/// insertions, net shrinkage as explicit removals, `clear` as cleared, one prune for each
/// inner collection a guard or closure left empty, no lookups). The `panic_*` ops unwind
/// out of user code: not for a caller that aborts on panics (a fuzz target).
pub(crate) struct Colls<C: Coll> {
    map: NestedMap<u8, C, Fixed>,
    model: StdMap<u8, C>,
    want: Counts,
}

impl<C: Coll> Colls<C> {
    pub(crate) fn new() -> Self {
        Colls { map: NestedMap::with_hasher(fixed()), model: StdMap::new(), want: Counts::default() }
    }

    fn leaves(&self) -> usize {
        self.model.values().map(C::count).sum()
    }

    /// One op: `f` makes it on the map and the model, checks what it returns, and names
    /// the group a guard or closure opened (`inner_mut` opens `a` even if absent,
    /// `get_inner_mut` and `with_inner_mut` only if present), which is pruned if the op
    /// leaves it empty. Then the model drops its empty groups and the map is checked.
    fn edit(&mut self, f: impl FnOnce(&mut Self) -> Option<u8>) {
        let before = self.leaves();
        let opened = f(self);
        self.model.retain(|_, m| m.count() > 0);
        if opened.is_some_and(|a| !self.model.contains_key(&a)) {
            self.want.pruned += 1;
        }
        self.want.net(before, self.leaves());
        self.verify();
    }

    /// `inner_mut(a)` (made if absent): add `n` values from `v` on.
    pub(crate) fn add(&mut self, a: u8, v: u32, n: u8) {
        self.edit(|c| {
            let mut g = c.map.inner_mut(a);
            let m = c.model.entry(a).or_default();
            for i in 0..u32::from(n) {
                g.add(v.wrapping_add(i));
                m.add(v.wrapping_add(i));
            }
            assert_eq!(*g, *m);
            Some(a)
        });
    }

    /// `with_inner_mut(&a, ..)`: add `v` if `a` is present.
    pub(crate) fn add_if_present(&mut self, a: u8, v: u32) {
        self.edit(|c| {
            let got = c.map.with_inner_mut(&a, |x| {
                x.add(v);
                x.count()
            });
            let want = c.model.get_mut(&a).map(|m| {
                m.add(v);
                m.count()
            });
            assert_eq!(got, want);
            want.map(|_| a)
        });
    }

    /// `get_inner_mut(&a)`: take `n` elements out.
    pub(crate) fn take(&mut self, a: u8, n: u8) {
        self.edit(|c| {
            let got: Option<Vec<Option<u32>>> = c.map.get_inner_mut(&a).map(|mut g| (0..n).map(|_| g.take()).collect());
            let want: Option<Vec<Option<u32>>> = c.model.get_mut(&a).map(|m| (0..n).map(|_| m.take()).collect());
            assert_eq!(got, want);
            want.map(|_| a)
        });
    }

    /// `with_inner_mut(&a, ..)`: take one element out.
    pub(crate) fn take_closure(&mut self, a: u8) {
        self.edit(|c| {
            let got = c.map.with_inner_mut(&a, C::take);
            let want = c.model.get_mut(&a).map(C::take);
            assert_eq!(got, want);
            want.map(|_| a)
        });
    }

    /// `inner_mut(a)` (made if absent): keep the values not divisible by `m` (not 0).
    pub(crate) fn keep(&mut self, a: u8, m: u32) {
        self.edit(|c| {
            c.map.inner_mut(a).keep(|v| v % m != 0);
            c.model.entry(a).or_default().keep(|v| v % m != 0);
            Some(a)
        });
    }

    /// `with_inner_mut(&a, ..)`: empty it.
    pub(crate) fn empty(&mut self, a: u8) {
        self.edit(|c| {
            assert_eq!(c.map.with_inner_mut(&a, C::empty).is_some(), c.model.contains_key(&a));
            c.model.get_mut(&a).map(|m| {
                m.empty();
                a
            })
        });
    }

    /// `inner_mut(a)`, changing nothing: an absent key is made and pruned at once.
    pub(crate) fn touch(&mut self, a: u8) {
        self.edit(|c| {
            let g = c.map.inner_mut(a);
            assert_eq!(*g, c.model.get(&a).cloned().unwrap_or_default());
            c.model.entry(a).or_default();
            Some(a)
        });
    }

    /// `inner_mut(a)`: add `add` values, take `take` out, then panic.
    pub(crate) fn panic_guard(&mut self, a: u8, add: u8, take: u8) {
        self.edit(|c| {
            let from = 100 * u32::from(a);
            let map = &mut c.map;
            let r = catch_unwind(AssertUnwindSafe(|| {
                let mut g = map.inner_mut(a);
                add_take(&mut *g, from, add, take);
                panic!("user code fails inside the guard");
            }));
            assert!(r.is_err());
            // What was done before the panic stays done.
            add_take(c.model.entry(a).or_default(), from, add, take);
            Some(a)
        });
    }

    /// `with_inner_mut(&a, ..)`: add `add` values, take `take` out, then panic.
    pub(crate) fn panic_closure(&mut self, a: u8, add: u8, take: u8) {
        self.edit(|c| {
            let from = 100 * u32::from(a);
            let map = &mut c.map;
            let r = catch_unwind(AssertUnwindSafe(|| {
                map.with_inner_mut(&a, |x| {
                    add_take(x, from, add, take);
                    panic!("user code fails inside with_inner_mut");
                })
            }));
            // Absent: the closure never runs, so nothing panics.
            assert_eq!(r.is_err(), c.model.contains_key(&a));
            c.model.get_mut(&a).map(|m| {
                add_take(m, from, add, take);
                a
            })
        });
    }

    /// `insert_inner(a, ..)` with `n` values from `v` on: the replaced collection's
    /// leaves count as removed and the new one's as inserted (not their net change); an
    /// empty new collection is not kept (a prune).
    pub(crate) fn insert_inner(&mut self, a: u8, v: u32, n: u8) {
        let mut new = C::default();
        for i in 0..u32::from(n) {
            new.add(v.wrapping_add(i));
        }
        let old = self.map.insert_inner(a, new.clone());
        assert_eq!(old, self.model.remove(&a), "insert_inner returns the replaced collection");
        self.want.explicit += old.map_or(0, |o| o.count()) as u64;
        self.want.insertions += new.count() as u64;
        if new.count() == 0 {
            self.want.pruned += 1;
        } else {
            self.model.insert(a, new);
        }
        self.verify();
    }

    /// `remove_inner(&a)`: taken away whole, an explicit removal of its leaves, not a
    /// prune.
    pub(crate) fn remove_inner(&mut self, a: u8) {
        self.edit(|c| {
            assert_eq!(c.map.remove_inner(&a), c.model.remove(&a));
            None
        });
    }

    /// `clear()`: its leaves counted as cleared.
    pub(crate) fn clear(&mut self) {
        self.want.cleared += self.leaves() as u64;
        self.map.clear();
        self.model.clear();
        self.verify();
    }

    /// `inners()` sees every group once, and a clone is valid and equal.
    pub(crate) fn check(&mut self) {
        self.edit(|c| {
            let mut keys: Vec<u8> = c
                .map
                .inners()
                .map(|(a, x)| {
                    assert_eq!(Some(x), c.model.get(a));
                    *a
                })
                .collect();
            keys.sort_unstable();
            let mut want_keys: Vec<u8> = c.model.keys().copied().collect();
            want_keys.sort_unstable();
            assert_eq!(keys, want_keys);
            let copy = c.map.clone();
            copy.validate();
            assert!(copy == c.map);
            None
        });
    }

    fn verify(&self) {
        let map = &self.map;
        map.validate();
        assert!(map.inners().all(|(_, c)| !InnerCollection::is_empty(c)), "an empty inner collection survived");
        for (a, m) in &self.model {
            assert_eq!(map.get_inner(a), Some(m), "group {a}");
        }
        assert_eq!(map.len(), self.leaves());
        assert_eq!(map.outer_len(), self.model.len());
        assert_eq!(map.is_empty(), self.model.is_empty());
        assert_eq!(Counts::of(map.stats()), self.want, "stats");
    }
}
