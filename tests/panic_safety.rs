//! Panic injection: keys whose `Hash`/`Eq` panic on the N-th call, values whose `Drop`
//! panics on the N-th call, finalizers that panic on the N-th call — swept over N for a
//! representative op sequence. Afterwards each map passes `validate()`, stays usable,
//! lost no entry that the failing operation was not about, and every value ever created
//! is dropped exactly once. Plus two `NestedMap` cases the sweep cannot pin down: a
//! two-level removal whose inner shrink panics after the leaf left, and a two-level
//! insert that panics into the group it just created.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};

use leakless::{FinalizingMap, HashMap, RemovalCause};

#[path = "models/drops.rs"]
mod drops;

use drops::Val;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fault {
    Hash,
    Eq,
    Drop,
    Finalizer,
}

thread_local! {
    static FAULT: Cell<Option<(Fault, u32)>> = const { Cell::new(None) };
}

/// Count a call of `kind`; panic if it is the armed N-th one.
fn tick(kind: Fault) {
    FAULT.with(|f| {
        if let Some((k, n)) = f.get() {
            if k == kind {
                if n <= 1 {
                    f.set(None);
                    panic!("injected {kind:?} panic");
                }
                f.set(Some((k, n - 1)));
            }
        }
    });
}

/// Arm a panic on the `n`-th call of `fault` (1: the next one).
fn arm(fault: Fault, n: u32) {
    FAULT.with(|f| f.set(Some((fault, n))));
}

fn disarm() {
    FAULT.with(|f| f.set(None));
}

#[derive(Debug, Clone, Copy)]
struct Key(u32);

impl Hash for Key {
    fn hash<H: Hasher>(&self, h: &mut H) {
        tick(Fault::Hash);
        self.0.hash(h);
    }
}

impl PartialEq for Key {
    fn eq(&self, o: &Key) -> bool {
        tick(Fault::Eq);
        self.0 == o.0
    }
}

impl Eq for Key {}

/// `Drop` of a value (outside a panic; see `tests/models/drops.rs`): counted, and
/// panics if it is the armed one.
fn on_drop(_: usize) {
    tick(Fault::Drop);
}

/// The ops of the sequence; each says whether, if it panics, entries other than its own
/// key may legitimately be gone.
#[derive(Clone, Copy, Debug)]
enum Op {
    Insert(u32),
    Remove(u32),
    Get(u32),
    Entry(u32),
    Retain(u32),
    Clear,
    Drain,
}

impl Op {
    /// Whether a panic in this op may leave entries other than its own key removed:
    /// bulk removals, and inserts into a bounded map (which evict).
    fn may_remove_others(self, bounded: bool) -> bool {
        matches!(self, Op::Retain(_) | Op::Clear | Op::Drain)
            || (bounded && matches!(self, Op::Insert(_) | Op::Entry(_)))
    }
}

fn sequence() -> Vec<Op> {
    let mut ops = Vec::new();
    let n = if cfg!(miri) { 12 } else { 80 };
    for i in 0..n {
        ops.push(Op::Insert(i));
    }
    for i in 0..n / 2 {
        ops.push(Op::Insert(i)); // overwrites
        ops.push(Op::Remove(i * 2));
        ops.push(Op::Get(i + 1));
        ops.push(Op::Entry(i + n));
    }
    ops.push(Op::Retain(3));
    for i in 0..n {
        ops.push(Op::Insert(1000 + i));
    }
    ops.push(Op::Drain);
    for i in 0..n / 2 {
        ops.push(Op::Insert(i));
    }
    ops.push(Op::Clear);
    for i in 0..n / 4 {
        ops.push(Op::Insert(i));
    }
    ops
}

fn ids_by_key(pairs: impl Iterator<Item = (u32, usize)>) -> BTreeMap<u32, usize> {
    pairs.collect()
}

/// Run the sequence on a map through `apply`, with `fault` armed at its `n`-th call.
fn run<M>(
    fault: Fault,
    n: u32,
    bounded: bool,
    mut map: M,
    mut apply: impl FnMut(&mut M, Op),
    snapshot: impl Fn(&M) -> BTreeMap<u32, usize>,
    validate: impl Fn(&M),
) {
    drops::reset();
    arm(fault, n);
    for op in sequence() {
        let before = disarmed(|| snapshot(&map));
        let panicked = catch_unwind(AssertUnwindSafe(|| apply(&mut map, op))).is_err();
        if !panicked {
            continue;
        }
        disarmed(|| {
            if catch_unwind(AssertUnwindSafe(|| validate(&map))).is_err() {
                panic!("{fault:?}@{n}: invalid map after a panic in {op:?}");
            }
            if !op.may_remove_others(bounded) {
                let after = snapshot(&map);
                let own = match op {
                    Op::Insert(k) | Op::Remove(k) | Op::Get(k) | Op::Entry(k) => Some(k),
                    _ => None,
                };
                for (k, id) in &before {
                    if Some(*k) != own {
                        assert_eq!(after.get(k), Some(id), "{fault:?}@{n}: {op:?} lost key {k}");
                    }
                }
            }
        });
    }
    LEFT_AFTER_RUN.with(|l| l.set(FAULT.with(|f| f.get()).map_or(0, |(_, n)| n)));
    disarm();
    // The map stays usable.
    apply(&mut map, Op::Insert(u32::MAX));
    validate(&map);
    let _ = catch_unwind(AssertUnwindSafe(move || drop(map)));
    drops::assert_each_dropped_once(&format!("{fault:?}@{n}: "));
}

/// Run `f` with the fault disarmed (the harness's own `Hash`/`Eq`/`Drop` calls do not count),
/// then re-arm it as it was.
fn disarmed<R>(f: impl FnOnce() -> R) -> R {
    let armed = FAULT.with(|x| x.get());
    disarm();
    let r = f();
    FAULT.with(|x| x.set(armed));
    r
}

/// Run `one(fault, n)` for every `n` up to `dense`, then for `dense` more values spread
/// over the rest of the calls the sequence makes (counted by a dry run with `count`, which
/// must find some: a fault that never fires would test nothing).
fn sweep(dense: u32, faults: &[Fault], count: impl Fn(Fault) -> u32, mut one: impl FnMut(Fault, u32)) {
    let dense = if cfg!(miri) { dense.min(4) } else { dense };
    for &fault in faults {
        let total = count(fault);
        assert!(total > 0, "the sequence makes no {fault:?} call: no fault to inject");
        let stride = (total / dense.max(1)).max(1);
        let points = (1..=dense.min(total)).chain((dense + 1..=total).step_by(stride as usize));
        for n in points {
            one(fault, n);
        }
    }
}

/// How many calls of `fault` the sequence makes on a fresh map (`run` with the fault
/// armed far beyond the end).
fn calls(fault: Fault, go: impl FnOnce(Fault, u32)) -> u32 {
    const FAR: u32 = u32::MAX / 2;
    go(fault, FAR);
    FAR - LEFT_AFTER_RUN.with(Cell::get)
}

thread_local! {
    /// The armed countdown left when `run` finished its sequence (for `calls`).
    static LEFT_AFTER_RUN: Cell<u32> = const { Cell::new(0) };
}

fn hasher() -> ahash::RandomState {
    ahash::RandomState::with_seeds(7, 7, 7, 7)
}

#[test]
fn hash_map_survives_panicking_user_code() {
    let go = |fault, n| {
        run(
            fault,
            n,
            false,
            HashMap::<Key, Val, _>::with_hasher(hasher()),
            |m, op| match op {
                Op::Insert(k) => drop(m.insert(Key(k), Val::new())),
                Op::Remove(k) => drop(m.remove(&Key(k))),
                Op::Get(k) => drop(m.get(&Key(k))),
                Op::Entry(k) => drop(m.entry(Key(k)).or_insert_with(Val::new)),
                Op::Retain(d) => m.retain(|k, _| k.0 % d != 0),
                Op::Clear => m.clear(),
                Op::Drain => drop(m.drain().collect::<Vec<_>>()),
            },
            |m| ids_by_key(m.iter().map(|(k, v)| (k.0, v.0))),
            |m| m.validate(),
        )
    };
    sweep(150, &[Fault::Hash, Fault::Eq, Fault::Drop], |f| calls(f, go), go);
}

#[test]
fn finalizing_map_survives_panicking_user_code() {
    let go = |fault, n| {
        let finalized: std::rc::Rc<RefCell<Vec<usize>>> = Default::default();
        let f = finalized.clone();
        run(
            fault,
            n,
            false,
            FinalizingMap::with_hasher(
                move |_k: Key, v: Val, _c: RemovalCause| {
                    f.borrow_mut().push(v.0);
                    drop(v);
                    tick(Fault::Finalizer);
                },
                hasher(),
            ),
            |m, op| match op {
                Op::Insert(k) => drop(m.insert(Key(k), Val::new())),
                Op::Remove(k) => drop(m.remove(&Key(k))),
                Op::Get(k) => drop(m.get(&Key(k))),
                Op::Entry(k) => drop(m.get_or_insert_with(Key(k), Val::new)),
                Op::Retain(d) => m.retain(|k, _| k.0 % d != 0),
                Op::Clear => m.clear(),
                Op::Drain => drop(m.drain().collect::<Vec<_>>()),
            },
            |m| ids_by_key(m.iter().map(|(k, v)| (k.0, v.0))),
            |m| m.validate(),
        );
        let f = finalized.borrow();
        let mut unique = f.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), f.len(), "{fault:?}@{n}: a value was finalized twice");
    };
    sweep(150, &[Fault::Hash, Fault::Eq, Fault::Drop, Fault::Finalizer], |f| calls(f, go), go);
}

/// A finalizer that records what it finalizes and may panic (armed with `Fault::Finalizer`).
fn recording_finalizer<K>(seen: &std::rc::Rc<RefCell<Vec<usize>>>) -> impl FnMut(K, Val, RemovalCause) {
    let seen = seen.clone();
    move |_k: K, v: Val, _c: RemovalCause| {
        seen.borrow_mut().push(v.0);
        drop(v);
        tick(Fault::Finalizer);
    }
}

fn assert_finalized_once(seen: &RefCell<Vec<usize>>, fault: Fault, n: u32) {
    let mut f = seen.borrow().clone();
    let len = f.len();
    f.sort();
    f.dedup();
    assert_eq!(f.len(), len, "{fault:?}@{n}: a value was finalized twice");
}

#[test]
fn lru_map_survives_panicking_user_code() {
    use leakless::{Capacity, LruMap};
    let go = |fault, n| {
        let seen: std::rc::Rc<RefCell<Vec<usize>>> = Default::default();
        let map: LruMap<Key, Val, _, _, _, _> =
            LruMap::builder().max_entries(24).hasher(hasher()).finalizer(recording_finalizer::<Key>(&seen)).build();
        run(
            fault,
            n,
            true,
            map,
            |m, op| match op {
                Op::Insert(k) => drop(m.insert(Key(k), Val::new())),
                Op::Remove(k) => drop(m.remove(&Key(k))),
                Op::Get(k) => drop(m.get(&Key(k))),
                Op::Entry(k) => drop(m.get_or_insert_with(Key(k), Val::new)),
                Op::Retain(d) => m.retain(|k, _| k.0 % d != 0),
                Op::Clear => m.clear(),
                Op::Drain => {
                    let mut out = Vec::new();
                    while let Some(kv) = m.pop_lru() {
                        out.push(kv);
                    }
                    drop(out);
                    m.set_limit(Capacity::entries(24));
                }
            },
            |m| ids_by_key(m.iter().map(|(k, v)| (k.0, v.0))),
            |m| m.validate(),
        );
        assert_finalized_once(&seen, fault, n);
    };
    sweep(120, &[Fault::Hash, Fault::Eq, Fault::Drop, Fault::Finalizer], |f| calls(f, go), go);
}

#[test]
fn nested_map_survives_panicking_user_code() {
    use leakless::NestedMap;
    let go = |fault, n| {
        run(
            fault,
            n,
            false,
            NestedMap::<u32, HashMap<Key, Val, ahash::RandomState>, _>::with_hasher(hasher()),
            |m, op| match op {
                Op::Insert(k) => drop(m.insert(k % 5, Key(k), Val::new())),
                Op::Remove(k) => drop(m.remove(&(k % 5), &Key(k))),
                Op::Get(k) => drop(m.get(&(k % 5), &Key(k))),
                Op::Entry(k) => drop(m.inner_mut(k % 5).entry(Key(k)).or_insert_with(Val::new)),
                Op::Retain(d) => m.retain(|_, k, _| k.0 % d != 0),
                Op::Clear => m.clear(),
                Op::Drain => {
                    let groups: Vec<u32> = m.iter().map(|(g, _, _)| *g).collect();
                    let taken: Vec<_> = groups.iter().filter_map(|g| m.remove_inner(g)).collect();
                    drop(taken);
                }
            },
            |m| ids_by_key(m.iter().map(|(_, k, v)| (k.0, v.0))),
            |m| m.validate(),
        )
    };
    sweep(120, &[Fault::Hash, Fault::Eq, Fault::Drop], |f| calls(f, go), go);
}

#[test]
fn a_two_level_remove_whose_inner_shrink_panics_is_still_counted() {
    use leakless::NestedMap;
    let mut m: NestedMap<u32, HashMap<Key, u32>> = NestedMap::new();
    for k in 0..100 {
        m.insert(1, Key(k), k);
    }
    m.insert(2, Key(0), 0);
    // Down to 7 leaves in group 1: the next removal shrinks its table, rehashing the rest.
    for k in 7..100 {
        assert_eq!(m.remove(&1, &Key(k)), Some(k));
    }
    arm(Fault::Hash, 2); // the lookup's hash, then a panic
    let r = catch_unwind(AssertUnwindSafe(|| m.remove(&1, &Key(0))));
    disarm();
    assert!(r.is_err(), "the shrink's rehash panicked");
    m.validate();
    assert_eq!(m.len(), 7, "the leaf was removed before the panic, and is counted as removed");
    assert_eq!(m.get(&1, &Key(0)), None);
    for k in 1..7 {
        assert_eq!(m.remove(&1, &Key(k)), Some(k));
    }
    assert_eq!((m.outer_len(), m.len()), (1, 1), "group 1 emptied and was pruned");
    m.validate();
}

#[test]
fn a_two_level_insert_whose_hash_panics_leaves_no_empty_inner_map() {
    use leakless::NestedMap;
    let mut m: NestedMap<u32, HashMap<Key, u32>> = NestedMap::new();
    m.insert(1, Key(1), 1);
    // Group 2 is created empty for the insert, whose hash then panics.
    arm(Fault::Hash, 1);
    let r = catch_unwind(AssertUnwindSafe(|| m.insert(2, Key(2), 2)));
    arm(Fault::Hash, 1);
    let r1 = catch_unwind(AssertUnwindSafe(|| m.insert(1, Key(3), 3)));
    disarm();
    assert!(r.is_err() && r1.is_err());
    m.validate();
    assert_eq!((m.outer_len(), m.len()), (1, 1), "the empty group 2 was pruned while unwinding");
    assert_eq!(m.get(&1, &Key(1)), Some(&1));
}

#[test]
fn weak_key_map_survives_panicking_user_code() {
    use leakless::WeakKeyMap;
    use std::rc::{Rc, Weak};
    let go = |fault, n| {
        let seen: std::rc::Rc<RefCell<Vec<usize>>> = Default::default();
        // The strong keys; every fourth removal also lets a key die, so sweeps collect.
        let alive: RefCell<std::collections::HashMap<u32, Rc<Key>>> = Default::default();
        let strong = |k: u32| alive.borrow_mut().entry(k).or_insert_with(|| Rc::new(Key(k))).clone();
        run(
            fault,
            n,
            false,
            WeakKeyMap::with_hasher_and_finalizer(hasher(), recording_finalizer::<Weak<Key>>(&seen)),
            |m, op| match op {
                Op::Insert(k) => drop(m.insert(&strong(k), Val::new())),
                Op::Remove(k) => {
                    drop(m.remove(&Key(k)));
                    if k % 4 == 1 {
                        drop(alive.borrow_mut().remove(&(k + 1)));
                    }
                }
                Op::Get(k) => drop(m.get(&Key(k))),
                Op::Entry(k) => drop(m.entry(&strong(k)).or_insert_with(Val::new)),
                Op::Retain(d) => m.retain(|k, _| k.0 % d != 0),
                Op::Clear => m.clear(),
                Op::Drain => m.retain(|_, _| false),
            },
            // Only live keys must survive an unrelated panic; dead ones may be collected.
            |m| ids_by_key(m.iter().map(|(k, v)| (k.0, v.0))),
            |m| m.validate(),
        );
        assert_finalized_once(&seen, fault, n);
    };
    sweep(120, &[Fault::Hash, Fault::Eq, Fault::Drop, Fault::Finalizer], |f| calls(f, go), go);
}
