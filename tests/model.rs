//! Op-sequence model tests: every map against a simple model, `validate()` after every op.

use std::collections::HashMap as Model;

use leakless::{FinalizingMap, HashMap, RemovalCause, ShrinkPolicy};
use proptest::prelude::*;

/// `leakless::HashMap` against `std`'s, shared with the `hash_map` fuzz target.
#[path = "models/hash_map.rs"]
mod hash_map;
use hash_map::{Checked, Op};

fn cases(n: u32) -> ProptestConfig {
    ProptestConfig { cases: if cfg!(miri) { 4 } else { n }, ..ProptestConfig::default() }
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

proptest! {
    #![proptest_config(cases(1000))]

    /// `leakless::HashMap` behaves exactly like `std`'s map, stays valid after every op, and
    /// never holds a table much larger than its contents need once removals happened.
    #[test]
    fn hash_map_matches_std(ops in prop::collection::vec(op(), 1..60), floor in prop_oneof![Just(0usize), 0usize..200]) {
        let mut c = Checked::new(HashMap::with_capacity(floor));
        for op in ops {
            let shrinks = c.map.stats().shrinks;
            c.apply(op);
            c.verify();
            prop_assert!(c.map.stats().shrinks >= shrinks, "the shrink count only grows");
        }
        c.finish();
    }

    /// With `ShrinkPolicy::never()` the table is never reallocated smaller except on
    /// explicit shrink requests, as in std.
    #[test]
    fn never_policy_keeps_capacity(ops in prop::collection::vec(op(), 1..40)) {
        let mut c = Checked::new(HashMap::new().with_shrink_policy(ShrinkPolicy::never()));
        for op in ops {
            let explicit = matches!(op, Op::ShrinkToFit | Op::ShrinkTo(_));
            let before = c.map.allocation_size();
            c.apply(op);
            c.verify();
            if !explicit {
                prop_assert!(c.map.allocation_size() >= before);
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
