//! Op-sequence model tests: every map against a simple model, `validate()` after every op.

use std::collections::HashMap as Model;

use leakless::hash_map::Entry;
use leakless::{FinalizingMap, HashMap, RemovalCause, ShrinkPolicy};
use proptest::prelude::*;

fn cases(n: u32) -> ProptestConfig {
    ProptestConfig { cases: if cfg!(miri) { 4 } else { n }, ..ProptestConfig::default() }
}

#[derive(Clone, Debug)]
enum Op {
    Insert(u16, u32),
    Remove(u16),
    Get(u16),
    GetMut(u16, u32),
    EntryOrInsert(u16, u32),
    EntryRemove(u16),
    EntryInsert(u16, u32),
    /// `or_insert_with`: the closure runs only for an absent key.
    EntryOrInsertWith(u16, u32),
    /// `or_insert_with_key`: the closure gets the key.
    EntryOrInsertWithKey(u16, u32),
    EntryOrDefault(u16),
    /// `and_modify` alone: a vacant entry dropped unused inserts nothing.
    EntryAndModify(u16, u32),
    /// Occupied: `get`, then `insert` (old value back); vacant: `key`, then `insert`.
    EntrySet(u16, u32),
    /// Occupied: `get_mut`, then `remove` (`remove_entry` is `EntryRemove`).
    EntryTake(u16, u32),
    /// Change every value through `iter_mut`.
    IterMut(u32),
    ValuesMut(u32),
    /// Two keys (`None`: the first again) and the values to write through
    /// `get_disjoint_mut`.
    GetDisjointMut(u16, Option<u16>, u32),
    Retain(u16),
    ExtractIf(u16, usize),
    Drain,
    Clear,
    Reserve(u16),
    ShrinkToFit,
    ShrinkTo(u16),
    InsertRange(u16, u16),
    RemoveRange(u16, u16),
}

fn key() -> impl Strategy<Value = u16> {
    prop_oneof![0u16..64, any::<u16>()]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (key(), any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
        6 => key().prop_map(Op::Remove),
        4 => key().prop_map(Op::Get),
        2 => (key(), any::<u32>()).prop_map(|(k, v)| Op::GetMut(k, v)),
        2 => (key(), any::<u32>()).prop_map(|(k, v)| Op::EntryOrInsert(k, v)),
        2 => key().prop_map(Op::EntryRemove),
        1 => (key(), any::<u32>()).prop_map(|(k, v)| Op::EntryInsert(k, v)),
        1 => (key(), any::<u32>()).prop_map(|(k, v)| Op::EntryOrInsertWith(k, v)),
        1 => (key(), any::<u32>()).prop_map(|(k, v)| Op::EntryOrInsertWithKey(k, v)),
        1 => key().prop_map(Op::EntryOrDefault),
        1 => (key(), any::<u32>()).prop_map(|(k, v)| Op::EntryAndModify(k, v)),
        2 => (key(), any::<u32>()).prop_map(|(k, v)| Op::EntrySet(k, v)),
        1 => (key(), any::<u32>()).prop_map(|(k, v)| Op::EntryTake(k, v)),
        1 => any::<u32>().prop_map(Op::IterMut),
        1 => any::<u32>().prop_map(Op::ValuesMut),
        2 => (key(), prop_oneof![7 => key().prop_map(Some), 1 => Just(None)], any::<u32>())
            .prop_map(|(a, b, v)| Op::GetDisjointMut(a, b, v)),
        1 => (1u16..8).prop_map(Op::Retain),
        1 => ((1u16..8), 0usize..20).prop_map(|(m, n)| Op::ExtractIf(m, n)),
        1 => Just(Op::Drain),
        1 => Just(Op::Clear),
        1 => (0u16..300).prop_map(Op::Reserve),
        1 => Just(Op::ShrinkToFit),
        1 => (0u16..300).prop_map(Op::ShrinkTo),
        2 => (key(), 0u16..600).prop_map(|(s, n)| Op::InsertRange(s, n)),
        2 => (key(), 0u16..600).prop_map(|(s, n)| Op::RemoveRange(s, n)),
    ]
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// What `stats()` should say, counted from the model (see `HashMap::stats` and
/// `Stats`: every `get`-like lookup is a hit or a miss, `entry` and `remove` count none;
/// a new key stored is an insertion, an overwritten value `Replaced`, a value handed back
/// `Explicit`, a cleared one `Cleared`).
#[derive(Debug, Default)]
struct Tally {
    hits: u64,
    misses: u64,
    insertions: u64,
    explicit: u64,
    replaced: u64,
    cleared: u64,
}

impl Tally {
    fn lookups(&mut self, hit: bool, n: u64) {
        if hit {
            self.hits += n;
        } else {
            self.misses += n;
        }
    }

    /// A write of a key: a new entry, or a replaced value.
    fn wrote(&mut self, was_present: bool) {
        if was_present {
            self.replaced += 1;
        } else {
            self.insertions += 1;
        }
    }

    /// Compare with the map's counters (all but `shrinks`, which the first caller checks
    /// only grows).
    fn check(&self, map: &HashMap<u16, u32>) {
        let s = map.stats();
        assert_eq!((s.hits, s.misses), (self.hits, self.misses), "lookups");
        assert_eq!(s.insertions, self.insertions, "insertions");
        for cause in RemovalCause::ALL {
            let want = match cause {
                RemovalCause::Explicit => self.explicit,
                RemovalCause::Replaced => self.replaced,
                RemovalCause::Cleared => self.cleared,
                _ => 0,
            };
            assert_eq!(s.removals(cause), want, "removals counted for {cause:?}");
        }
    }
}

fn apply(map: &mut HashMap<u16, u32>, model: &mut Model<u16, u32>, tally: &mut Tally, op: Op) {
    match op {
        Op::Insert(k, v) => {
            let old = model.insert(k, v);
            tally.wrote(old.is_some());
            assert_eq!(map.insert(k, v), old);
        }
        Op::Remove(k) => {
            let old = model.remove(&k);
            tally.explicit += u64::from(old.is_some());
            assert_eq!(map.remove(&k), old);
        }
        Op::Get(k) => {
            tally.lookups(model.contains_key(&k), 3);
            assert_eq!(map.get(&k), model.get(&k));
            assert_eq!(map.contains_key(&k), model.contains_key(&k));
            assert_eq!(map.get_key_value(&k), model.get_key_value(&k));
        }
        Op::GetMut(k, v) => {
            tally.lookups(model.contains_key(&k), 1);
            let (a, b) = (map.get_mut(&k), model.get_mut(&k));
            assert_eq!(a.as_deref(), b.as_deref());
            if let Some(x) = a {
                *x = v;
            }
            if let Some(x) = b {
                *x = v;
            }
        }
        Op::EntryOrInsert(k, v) => {
            tally.insertions += u64::from(!model.contains_key(&k));
            let a = map.entry(k).and_modify(|x| *x ^= 1).or_insert(v);
            let b = model.entry(k).and_modify(|x| *x ^= 1).or_insert(v);
            assert_eq!(*a, *b);
        }
        Op::EntryRemove(k) => {
            tally.explicit += u64::from(model.contains_key(&k));
            let a = match map.entry(k) {
                Entry::Occupied(o) => Some(o.remove_entry()),
                Entry::Vacant(v) => {
                    assert_eq!(*v.key(), k);
                    None
                }
            };
            assert_eq!(a, model.remove_entry(&k));
        }
        Op::EntryInsert(k, v) => {
            let e = map.entry(k).insert_entry(v);
            assert_eq!((*e.key(), *e.get()), (k, v));
            tally.wrote(model.insert(k, v).is_some());
        }
        Op::EntryOrInsertWith(k, v) => {
            let absent = !model.contains_key(&k);
            tally.insertions += u64::from(absent);
            let mut called = false;
            let a = *map.entry(k).or_insert_with(|| {
                called = true;
                v
            });
            assert_eq!(called, absent, "or_insert_with runs its closure iff the key is absent");
            assert_eq!(a, *model.entry(k).or_insert(v));
        }
        Op::EntryOrInsertWithKey(k, v) => {
            tally.insertions += u64::from(!model.contains_key(&k));
            let a = *map.entry(k).or_insert_with_key(|key| {
                assert_eq!(*key, k, "or_insert_with_key passes the entry's key");
                v ^ u32::from(*key)
            });
            assert_eq!(a, *model.entry(k).or_insert(v ^ u32::from(k)));
        }
        Op::EntryOrDefault(k) => {
            tally.insertions += u64::from(!model.contains_key(&k));
            let a = map.entry(k).or_default();
            *a = a.wrapping_add(1);
            let b = model.entry(k).or_default();
            *b = b.wrapping_add(1);
            assert_eq!(*a, *b);
        }
        Op::EntryAndModify(k, v) => {
            let e = map.entry(k).and_modify(|x| *x = x.wrapping_mul(3) ^ v);
            assert_eq!(*e.key(), k);
            assert_eq!(matches!(e, Entry::Occupied(_)), model.contains_key(&k));
            // `e` ends here: a vacant entry left unused inserts nothing (checked below).
            if let Some(x) = model.get_mut(&k) {
                *x = x.wrapping_mul(3) ^ v;
            }
        }
        Op::EntrySet(k, v) => {
            let old = model.insert(k, v);
            tally.wrote(old.is_some());
            match map.entry(k) {
                Entry::Occupied(mut o) => {
                    assert_eq!(Some(*o.get()), old);
                    assert_eq!(Some(o.insert(v)), old, "an occupied entry's insert returns the old value");
                    assert_eq!(*o.get(), v);
                }
                Entry::Vacant(e) => {
                    assert_eq!(old, None);
                    assert_eq!(*e.key(), k);
                    assert_eq!(*e.insert(v), v);
                }
            }
        }
        Op::EntryTake(k, v) => {
            let old = model.remove(&k);
            tally.explicit += u64::from(old.is_some());
            let got = match map.entry(k) {
                Entry::Occupied(mut o) => {
                    assert_eq!(*o.key(), k);
                    *o.get_mut() ^= v; // the value `remove` hands back is the one written here
                    Some(o.remove() ^ v)
                }
                Entry::Vacant(e) => {
                    assert_eq!(e.into_key(), k);
                    None
                }
            };
            assert_eq!(got, old);
        }
        Op::IterMut(x) => {
            let mut seen: Vec<(u16, u32)> = map
                .iter_mut()
                .map(|(k, v)| {
                    let old = *v;
                    *v = v.wrapping_add(x ^ u32::from(*k));
                    (*k, old)
                })
                .collect();
            let mut want: Vec<(u16, u32)> = model.iter().map(|(k, v)| (*k, *v)).collect();
            seen.sort();
            want.sort();
            assert_eq!(seen, want, "iter_mut yields every entry once");
            for (k, v) in model.iter_mut() {
                *v = v.wrapping_add(x ^ u32::from(*k));
            }
        }
        Op::ValuesMut(x) => {
            let n = map.values_mut().map(|v| *v ^= x).count();
            assert_eq!(n, model.len());
            model.values_mut().for_each(|v| *v ^= x);
        }
        Op::GetDisjointMut(k1, k2, v) => {
            let k2 = k2.unwrap_or(k1);
            let want = (model.get(&k1).copied(), model.get(&k2).copied());
            if k1 == k2 {
                // Documented: equal keys panic when present, and are `None` twice when
                // absent (counted as two misses).
                let r = catch_unwind(AssertUnwindSafe(|| map.get_disjoint_mut([&k1, &k2]).map(|v| v.copied())));
                match r {
                    Ok(got) => {
                        assert!(want.0.is_none() && got == [None, None], "equal present keys gave {got:?}");
                        tally.lookups(false, 2);
                    }
                    Err(_) => assert!(want.0.is_some(), "equal absent keys panicked"),
                }
            } else {
                let [a, b] = map.get_disjoint_mut([&k1, &k2]);
                assert_eq!((a.as_deref().copied(), b.as_deref().copied()), want);
                if let Some(a) = a {
                    *a = v;
                }
                if let Some(b) = b {
                    *b = !v;
                }
                if let Some(x) = model.get_mut(&k1) {
                    *x = v;
                }
                if let Some(x) = model.get_mut(&k2) {
                    *x = !v;
                }
                tally.lookups(want.0.is_some(), 1);
                tally.lookups(want.1.is_some(), 1);
            }
        }
        Op::Retain(m) => {
            let before = model.len();
            map.retain(|k, v| {
                *v = v.wrapping_add(1);
                k % m == 0
            });
            model.retain(|k, v| {
                *v = v.wrapping_add(1);
                k % m == 0
            });
            tally.explicit += (before - model.len()) as u64;
        }
        Op::ExtractIf(m, n) => {
            // Take at most `n` matches: entries the iterator does not reach stay.
            let a: Vec<_> = map.extract_if(|k, _| k % m == 1).take(n).collect();
            tally.explicit += a.len() as u64;
            for (k, v) in &a {
                assert_eq!(k % m, 1);
                assert_eq!(model.remove(k), Some(*v));
            }
        }
        Op::Drain => {
            tally.explicit += model.len() as u64;
            assert_eq!(sorted(map.drain().collect()), sorted(model.drain().collect()));
        }
        Op::Clear => {
            tally.cleared += model.len() as u64;
            map.clear();
            model.clear();
        }
        Op::Reserve(n) => {
            map.reserve(n as usize);
            assert!(map.capacity() >= map.len() + n as usize);
        }
        Op::ShrinkToFit => map.shrink_to_fit(),
        Op::ShrinkTo(n) => {
            // As `std`: keeps room for `max(n, len)`, or the current room if less. (Room,
            // not bytes: tombstones lower `capacity()`, and a rebuild that drops them may
            // raise it at the same size, so the bytes are what must not grow.)
            let (before, bytes) = (map.capacity(), map.allocation_size());
            map.shrink_to(n as usize);
            assert!(map.capacity() >= map.len());
            assert!(
                map.capacity() >= (n as usize).min(before),
                "{} after shrink_to({n}) from {before}",
                map.capacity()
            );
            assert!(
                map.allocation_size() <= bytes,
                "shrink_to grew the map: {bytes} -> {} bytes",
                map.allocation_size()
            );
        }
        Op::InsertRange(s, n) => {
            for k in s..s.saturating_add(n) {
                let old = model.insert(k, k as u32);
                tally.wrote(old.is_some());
                assert_eq!(map.insert(k, k as u32), old);
            }
        }
        Op::RemoveRange(s, n) => {
            for k in s..s.saturating_add(n) {
                let old = model.remove(&k);
                tally.explicit += u64::from(old.is_some());
                assert_eq!(map.remove(&k), old);
            }
        }
    }
}

proptest! {
    #![proptest_config(cases(1000))]

    /// `leakless::HashMap` behaves exactly like `std`'s map, stays valid after every op, and
    /// never holds a table much larger than its contents need once removals happened.
    #[test]
    fn hash_map_matches_std(ops in prop::collection::vec(op(), 1..60), floor in prop_oneof![Just(0usize), 0usize..200]) {
        let mut map = HashMap::with_capacity(floor);
        let mut model = Model::new();
        let mut tally = Tally::default();
        for op in ops {
            let shrinks = map.stats().shrinks;
            apply(&mut map, &mut model, &mut tally, op);
            map.validate();
            prop_assert_eq!(map.len(), model.len());
            prop_assert_eq!(map.is_empty(), model.is_empty());
            tally.check(&map);
            prop_assert!(map.stats().shrinks >= shrinks, "the shrink count only grows");
        }
        prop_assert_eq!(sorted(map.iter().map(|(k, v)| (*k, *v)).collect()), sorted(model.iter().map(|(k, v)| (*k, *v)).collect()));
        prop_assert_eq!(map.keys().count(), model.len());
        prop_assert_eq!(map.values().map(|v| *v as u64).sum::<u64>(), model.values().map(|v| *v as u64).sum::<u64>());
        let std_like: HashMap<u16, u32> = model.clone().into_iter().collect();
        prop_assert!(map == std_like);
        prop_assert_eq!(sorted(map.into_iter().collect()), sorted(model.into_iter().collect()));
    }

    /// With `ShrinkPolicy::never()` the table is never reallocated smaller except on
    /// explicit shrink requests, as in std.
    #[test]
    fn never_policy_keeps_capacity(ops in prop::collection::vec(op(), 1..40)) {
        let mut map = HashMap::new().with_shrink_policy(ShrinkPolicy::never());
        let mut model = Model::new();
        let mut tally = Tally::default();
        for op in ops {
            let explicit = matches!(op, Op::ShrinkToFit | Op::ShrinkTo(_));
            let before = map.allocation_size();
            apply(&mut map, &mut model, &mut tally, op);
            map.validate();
            tally.check(&map);
            if !explicit {
                prop_assert!(map.allocation_size() >= before);
            }
        }
    }

    /// After any op sequence, a removal leaves the table at most 4× larger than needed
    /// (16× for a small table: at most 4 KiB of buckets) unless a floor or an explicit
    /// `reserve` holds it; an emptied table holds at most a small one (16 buckets).
    #[test]
    fn removals_give_memory_back(n in 1usize..3000, keep in 0usize..100) {
        let mut map = HashMap::new();
        for i in 0..n { map.insert(i, i); }
        for i in keep..n { map.remove(&i); }
        map.validate();
        let live = map.len();
        // 4 KiB of 16-byte buckets, their 256 control bytes and one group of padding,
        // and the map's 80-byte stats block.
        let small = map.allocation_size() <= 4096 + 4096 / 16 + 16 + 80;
        let factor = if small { 16 } else { 4 };
        prop_assert!(
            map.capacity() <= (factor * live).max(16) * 2,
            "capacity {} ({} bytes) for {} live", map.capacity(), map.allocation_size(), live
        );
        if live == 0 {
            // All but a small table (kept so that toggling 0 <-> 1 entries does not
            // allocate on every insert): at most 16 buckets of 16 bytes and their
            // control bytes, and the stats block.
            prop_assert!(map.capacity() <= 14, "an emptied table gives everything back: {}", map.capacity());
            prop_assert!(map.allocation_size() <= 16 * 16 + 16 + 16 + 80, "but a small table and the stats block");
        }
    }
}

// ---------------------------------------------------------------------------------------
// FinalizingMap: the exit contract under injected panics.

mod contract {
    use super::*;
    use std::cell::RefCell;

    thread_local! {
        /// Per value id: times dropped.
        static DROPS: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
        /// Value ids whose `Drop` panics.
        static PANICKY_DROP: RefCell<Vec<bool>> = const { RefCell::new(Vec::new()) };
    }

    /// A value with an identity; counts its drops; may panic when dropped.
    #[derive(Debug)]
    pub(super) struct Token(pub(super) u32);

    impl Token {
        pub(super) fn new(panicky_drop: bool) -> Token {
            let id = DROPS.with(|d| {
                let mut d = d.borrow_mut();
                d.push(0);
                d.len() as u32 - 1
            });
            PANICKY_DROP.with(|p| p.borrow_mut().push(panicky_drop));
            Token(id)
        }
    }

    impl Drop for Token {
        fn drop(&mut self) {
            DROPS.with(|d| d.borrow_mut()[self.0 as usize] += 1);
            if PANICKY_DROP.with(|p| p.borrow()[self.0 as usize]) && !std::thread::panicking() {
                panic!("injected Drop panic of value {}", self.0);
            }
        }
    }

    pub(super) fn reset() {
        DROPS.with(|d| d.borrow_mut().clear());
        PANICKY_DROP.with(|p| p.borrow_mut().clear());
    }

    pub(super) fn drops() -> Vec<u32> {
        DROPS.with(|d| d.borrow().clone())
    }

    #[derive(Clone, Debug)]
    pub(super) enum FOp {
        Insert(u8, bool),
        Replace(u8, bool),
        Remove(u8),
        Discard(u8),
        Retain(u8),
        Clear,
        Drain,
        GetOrInsert(u8, bool),
    }

    pub(super) fn fop() -> impl Strategy<Value = FOp> {
        let k = 0u8..16;
        prop_oneof![
            6 => (k.clone(), any::<bool>()).prop_map(|(k, p)| FOp::Insert(k, p)),
            2 => (k.clone(), any::<bool>()).prop_map(|(k, p)| FOp::Replace(k, p)),
            2 => k.clone().prop_map(FOp::Remove),
            2 => k.clone().prop_map(FOp::Discard),
            1 => (1u8..5).prop_map(FOp::Retain),
            1 => Just(FOp::Clear),
            1 => Just(FOp::Drain),
            1 => (k, any::<bool>()).prop_map(|(k, p)| FOp::GetOrInsert(k, p)),
        ]
    }

    /// What happened to each value id: handed back (by the test, who then drops it) or
    /// finalized (with the cause).
    #[derive(Default)]
    pub(super) struct Exits {
        pub(super) handed_back: Vec<u32>,
        pub(super) finalized: Vec<(u32, u8, RemovalCause)>,
    }
}

use contract::{fop, FOp, Token};
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

proptest! {
    #![proptest_config(cases(500))]

    /// Every value that enters a `FinalizingMap` leaves exactly once — handed back or
    /// finalized, never both, never neither — with the right cause, and is dropped exactly
    /// once, even when the finalizer or a value's `Drop` panics along the way.
    #[test]
    fn finalizing_map_exactly_once(
        ops in prop::collection::vec(fop(), 1..50),
        panic_every in prop_oneof![Just(0u32), 2u32..7],
    ) {
        contract::reset();
        let exits = Rc::new(RefCell::new(contract::Exits::default()));
        let calls = Rc::new(RefCell::new(0u32));
        let (e, c) = (exits.clone(), calls.clone());
        let mut map = FinalizingMap::with_hasher(
            move |k: u8, v: Token, cause: RemovalCause| {
                e.borrow_mut().finalized.push((v.0, k, cause));
                let n = { let mut c = c.borrow_mut(); *c += 1; *c };
                drop(v);
                if panic_every != 0 && n % panic_every == 0 {
                    panic!("injected finalizer panic");
                }
            },
            ahash::RandomState::with_seeds(1, 2, 3, 4),
        );
        // Which value id each key holds, according to the test.
        let mut model: Model<u8, u32> = Model::new();
        let mut expect_cause: Vec<Option<RemovalCause>> = Vec::new();
        // The key each value id was stored under (the finalizer must receive it).
        let key_of = RefCell::new(Vec::<u8>::new());
        let keyed = |k: u8, t: Token| {
            let mut key_of = key_of.borrow_mut();
            let len = key_of.len().max(t.0 as usize + 1);
            key_of.resize(len, u8::MAX);
            key_of[t.0 as usize] = k;
            t
        };

        for op in ops {
            let r = catch_unwind(AssertUnwindSafe(|| match op.clone() {
                FOp::Insert(k, p) => {
                    let t = keyed(k, Token::new(p));
                    let id = t.0;
                    if let Some(old) = model.insert(k, id) { set(&mut expect_cause, old, RemovalCause::Replaced); }
                    map.insert(k, t);
                }
                FOp::Replace(k, p) => {
                    let t = keyed(k, Token::new(p));
                    let id = t.0;
                    let old = model.insert(k, id);
                    let got = map.replace(k, t);
                    assert_eq!(got.as_ref().map(|t| t.0), old);
                    if let Some(t) = got { exits.borrow_mut().handed_back.push(t.0); drop(t); }
                }
                FOp::Remove(k) => {
                    let got = map.remove(&k);
                    assert_eq!(got.as_ref().map(|t| t.0), model.remove(&k));
                    if let Some(t) = got { exits.borrow_mut().handed_back.push(t.0); drop(t); }
                }
                FOp::Discard(k) => {
                    if let Some(old) = model.remove(&k) { set(&mut expect_cause, old, RemovalCause::Explicit); }
                    map.discard(&k);
                }
                FOp::Retain(m) => {
                    let gone: Vec<_> = model.iter().filter(|(k, _)| **k % m != 0).map(|(k, v)| (*k, *v)).collect();
                    for (k, id) in gone { model.remove(&k); set(&mut expect_cause, id, RemovalCause::Explicit); }
                    map.retain(|k, _| k % m == 0);
                }
                FOp::Clear => {
                    for (_, id) in model.drain() { set(&mut expect_cause, id, RemovalCause::Cleared); }
                    map.clear();
                }
                FOp::Drain => {
                    model.clear();
                    // Everything the iterator yields is handed back, then dropped by us.
                    let got: Vec<(u8, Token)> = map.drain().collect();
                    exits.borrow_mut().handed_back.extend(got.iter().map(|(_, t)| t.0));
                    drop(got);
                }
                FOp::GetOrInsert(k, p) => match model.entry(k) {
                    std::collections::hash_map::Entry::Vacant(e) => {
                        let t = keyed(k, Token::new(p));
                        let id = t.0;
                        e.insert(id);
                        let mut t = Some(t);
                        assert_eq!(map.get_or_insert_with(k, || t.take().unwrap()).0, id);
                    }
                    std::collections::hash_map::Entry::Occupied(e) => {
                        assert_eq!(map.get_or_insert_with(k, || unreachable!()).0, *e.get());
                    }
                },
            }));
            let _ = r; // a panic (injected) is fine; the map must stay consistent
            map.validate();
            let mut ids: Vec<u32> = map.values().map(|t| t.0).collect();
            ids.sort();
            let mut want: Vec<u32> = model.values().copied().collect();
            want.sort();
            prop_assert_eq!(ids, want, "the map holds exactly the values the model says");
        }
        let live: Vec<u32> = model.values().copied().collect();
        for id in &live { set(&mut expect_cause, *id, RemovalCause::Dropped); }
        let _ = catch_unwind(AssertUnwindSafe(move || drop(map)));

        let drops = contract::drops();
        let exits = exits.borrow();
        for (id, n) in drops.iter().enumerate() {
            prop_assert_eq!(*n, 1, "value {} dropped {} times", id, n);
            let handed = exits.handed_back.iter().filter(|&&x| x == id as u32).count();
            let fin: Vec<_> = exits.finalized.iter().filter(|f| f.0 == id as u32).collect();
            prop_assert_eq!(handed + fin.len(), 1, "value {} left {} + {} times", id, handed, fin.len());
            if let Some(f) = fin.first() {
                prop_assert_eq!(Some(f.2), expect_cause.get(id).copied().flatten(), "cause of value {}", id);
                prop_assert_eq!(Some(f.1), key_of.borrow().get(id).copied(), "key finalized with value {}", id);
            }
        }
    }
}

fn set(v: &mut Vec<Option<RemovalCause>>, id: u32, cause: RemovalCause) {
    let id = id as usize;
    if v.len() <= id {
        v.resize(id + 1, None);
    }
    v[id] = Some(cause);
}
