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

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use leakless::WeakKeyMap;
use proptest::prelude::*;

#[path = "models/weak.rs"]
mod model;

use model::{ArcById, ArcByValue, Checked, Kind, RcById, RcByValue};

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

fn run<K: Kind<T = u8>>(ops: Vec<Op>) {
    let mut m = Checked::<K>::new(SLOTS);
    for op in ops {
        match op {
            Op::NewKey(s, v) => m.new_key(s, v),
            Op::DropKey(s) => m.drop_key(s),
            Op::Insert(s) => m.insert(s),
            Op::Get(s) => m.get(s),
            Op::GetMut(s) => m.get_mut(s),
            Op::Remove(s) => m.remove(s),
            Op::RemoveAbsent => m.remove_absent(200),
            Op::EntryOrInsert(s) => m.entry_or_insert(s),
            Op::EntryInsert(s) => m.entry_insert(s),
            Op::EntryRemove(s) => m.entry_remove(s),
            Op::Retain(d) => m.retain(d),
            Op::Prune => m.prune(),
            Op::Clear => m.clear(),
            Op::Iter => m.iter(),
            Op::Reserve(n) => m.reserve(usize::from(n)),
            Op::ShrinkToFit => m.shrink_to_fit(),
        }
    }
    m.finish();
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
    fn rc_keys_by_value(ops in ops()) { run::<RcByValue<u8>>(ops) }

    #[test]
    fn arc_keys_by_value(ops in ops()) { run::<ArcByValue<u8>>(ops) }

    #[test]
    fn rc_keys_by_identity(ops in ops()) { run::<RcById<u8>>(ops) }

    #[test]
    fn arc_keys_by_identity(ops in ops()) { run::<ArcById<u8>>(ops) }
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

/// A legal hasher under which every key collides, so that lookups reach the key
/// comparison whatever the keys.
#[derive(Default)]
struct Collide;

impl std::hash::Hasher for Collide {
    fn finish(&self) -> u64 {
        0
    }

    fn write(&mut self, _: &[u8]) {}
}

type Colliding = std::hash::BuildHasherDefault<Collide>;

/// A prefix of an `Arc<str>`/`Arc<[T]>` key starts at the key's address but is another
/// key (the `Arc` shortcut compares pointers with their length).
#[test]
fn a_prefix_of_an_unsized_key_is_another_key() {
    let ab: Arc<str> = Arc::from("ab");
    let mut m: WeakKeyMap<std::sync::Weak<str>, u32, Colliding> = WeakKeyMap::with_hasher(Colliding::default());
    m.insert(&ab, 1);
    assert_eq!(m.get(&ab[..1]), None);
    assert_eq!(m.get(&*ab), Some(&1));
    let rab: Rc<str> = Rc::from("ab");
    let mut r: WeakKeyMap<std::rc::Weak<str>, u32, Colliding> = WeakKeyMap::with_hasher(Colliding::default());
    r.insert(&rab, 1);
    assert_eq!(r.get(&rab[..1]), None);
    let whole: Arc<[u8]> = Arc::from(&[1u8, 2, 3][..]);
    let mut s: WeakKeyMap<std::sync::Weak<[u8]>, &str, Colliding> = WeakKeyMap::with_hasher(Colliding::default());
    s.insert(&whole, "whole");
    assert_eq!(s.remove(&whole[..1]), None);
    assert_eq!(s.remove(&whole[..]), Some("whole"));
    s.validate();
}

/// `with_shrink_policy` on a map in use takes effect at once: the threshold cached
/// under the old policy is dropped (for removals and for the sweep that prunes).
#[test]
fn with_shrink_policy_on_a_used_map_takes_effect() {
    let keys: Vec<Rc<u32>> = (0..2000).map(Rc::new).collect();
    let never = || {
        let mut m: WeakKeyMap<std::rc::Weak<u32>, u64> =
            WeakKeyMap::new().with_shrink_policy(leakless::ShrinkPolicy::never());
        for k in &keys {
            m.insert(k, 0);
        }
        assert_eq!(m.remove(&0), Some(0), "a removal under `never` caches its threshold");
        m
    };
    let m = never();
    let peak = m.allocation_size();
    let mut m = m.with_shrink_policy(leakless::ShrinkPolicy::default());
    for k in &keys[1..] {
        m.remove(k);
    }
    m.validate();
    assert!(m.allocation_size() < peak / 8, "{} of {peak} bytes held by an empty map", m.allocation_size());
    let mut m = never().with_shrink_policy(leakless::ShrinkPolicy::default());
    drop(keys);
    assert_eq!(m.prune(), 1999);
    assert!(m.allocation_size() < peak / 8, "{} of {peak} bytes held after pruning all", m.allocation_size());
}
