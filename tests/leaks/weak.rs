//! L5: `WeakKeyMap` releases dead entries — their values and their keys' `Rc`
//! allocations — within a bounded number of mutating operations of any kind, and gives
//! its table back. `weak_table::WeakKeyHashMap` under the same workloads, for contrast.

use std::cell::Cell;
use std::rc::{Rc, Weak};

use leakless::{RemovalCause, WeakKeyMap, SWEEP_STEP};

use crate::alloc::Window;
use crate::{exclusive, scale};

thread_local! {
    static DROPPED: Cell<usize> = const { Cell::new(0) };
    static LATE_DROPPED: Cell<usize> = const { Cell::new(0) };
}

/// A value that owns a little heap and counts its drops (`late` ones separately).
struct Val {
    _heap: Box<[u8; 32]>,
    late: bool,
}

impl Val {
    fn new() -> Self {
        Val { _heap: Box::new([7; 32]), late: false }
    }

    fn late() -> Self {
        Val { _heap: Box::new([7; 32]), late: true }
    }
}

impl Drop for Val {
    fn drop(&mut self) {
        let counter = if self.late { &LATE_DROPPED } else { &DROPPED };
        counter.with(|d| d.set(d.get() + 1));
    }
}

fn late_dropped() -> usize {
    LATE_DROPPED.with(Cell::get)
}

fn dropped() -> usize {
    DROPPED.with(Cell::get)
}

/// `n` entries keyed by `Rc<u64>`s that are all dropped afterwards; returns the map and
/// the window's peak with every key alive.
fn filled(n: usize) -> (WeakKeyMap<Weak<u64>, Val>, usize, Window) {
    let w = Window::open();
    let mut m = WeakKeyMap::new();
    let keys: Vec<Rc<u64>> = (0..n as u64).map(Rc::new).collect();
    for k in &keys {
        m.insert(k, Val::new());
    }
    let peak = w.peak();
    drop(keys);
    (m, peak, w)
}

#[test]
fn dead_keys_released_by_removes_of_absent_keys() {
    let _x = exclusive();
    let n = scale(100_000);
    let base = dropped();
    let (mut m, peak, w) = filled(n);
    assert!(w.held() > peak / 2, "dead entries hold their values and key allocations until pruned");
    let mut ops = 0;
    while !m.is_empty() {
        assert_eq!(m.remove(&u64::MAX).map(|_| ()), None);
        ops += 1;
        assert!(ops <= n, "not released within {n} removes of absent keys");
    }
    assert_eq!(dropped() - base, n, "every value dropped");
    assert_eq!((m.len(), m.len_live()), (0, 0));
    assert_eq!(m.stats().pruned, n as u64);
    m.validate();
    let held = w.held();
    println!("WeakKeyMap, {n} dead keys: released after {ops} removes of absent keys; peak {peak} B, held {held} B");
    assert!(held * 100 <= peak, "held {held} of peak {peak}");
}

#[test]
fn dead_keys_released_by_inserts_of_dying_keys() {
    let _x = exclusive();
    let n = scale(100_000);
    let base = dropped();
    let (mut m, peak, w) = filled(n);
    let late_base = late_dropped();
    // Each op inserts a fresh key that dies right after: the map never holds a live key.
    let mut ops = 0;
    let mut released_after = None;
    while ops < n {
        let k = Rc::new(u64::MAX - ops as u64);
        m.insert(&k, Val::late());
        drop(k);
        ops += 1;
        if released_after.is_none() && dropped() - base == n {
            released_after = Some(ops);
        }
        if ops % 4096 == 0 {
            m.validate();
        }
    }
    let released_after = released_after.expect("the first n values released within n inserts");
    let dead_left = m.len();
    let held = w.held();
    println!(
        "WeakKeyMap, {n} dead keys, then {ops} inserts of dying keys: the first {n} values released after \
         {released_after}; at the end {dead_left} dead entries of the last ops not yet swept (capacity {}); \
         peak {peak} B, held {held} B",
        m.capacity()
    );
    assert!(held * 100 <= peak, "held {held} of peak {peak}");
    assert!(dead_left <= 64, "{dead_left} dead entries left");
    assert_eq!(m.len_live(), 0);
    assert_eq!(m.prune(), dead_left);
    assert_eq!(m.len(), 0, "len() exact after prune()");
    assert_eq!(late_dropped() - late_base, ops, "every late value dropped");
}

#[test]
fn dead_keys_released_by_mixed_ops_with_a_live_working_set() {
    let _x = exclusive();
    let n = scale(100_000);
    let base = dropped();
    let collected = Rc::new(Cell::new(0usize));
    let c2 = collected.clone();
    let w = Window::open();
    let mut m = WeakKeyMap::with_finalizer(move |_k: Weak<u64>, _v: Val, cause| {
        if cause == RemovalCause::Collected {
            c2.set(c2.get() + 1);
        }
    });
    let keys: Vec<Rc<u64>> = (0..n as u64).map(Rc::new).collect();
    for k in &keys {
        m.insert(k, Val::new());
    }
    let peak = w.peak();
    // Keep 100 keys alive, drop the rest.
    let live: Vec<Rc<u64>> = keys.iter().take(100).cloned().collect();
    drop(keys);
    let mut ops = 0;
    while m.len() > live.len() {
        let k = &live[ops % live.len()];
        match ops % 3 {
            0 => *m.get_mut(k).expect("live") = Val::new(),
            1 => *m.entry(k).or_insert_with(Val::new) = Val::new(),
            _ => {
                m.insert(k, Val::new());
            }
        }
        ops += 1;
        assert!(ops <= n, "not released within {n} mixed ops");
    }
    assert_eq!(collected.get(), n - live.len(), "every dead value finalized as Collected");
    assert_eq!(m.len(), m.len_live());
    m.validate();
    let held = w.held();
    println!(
        "WeakKeyMap, {n} keys, 100 kept alive: dead ones released after {ops} mixed ops; peak {peak} B, held {held} B"
    );
    assert!(held * 100 <= peak, "held {held} of peak {peak}");
    drop(m);
    assert_eq!(dropped() - base, n + ops, "every value dropped once");
}

const MIB: usize = 1 << 20;

fn big_key(i: u8) -> Rc<[u8; MIB]> {
    let mut v = vec![0u8; MIB];
    v[0] = i;
    Rc::<[u8; MIB]>::try_from(Rc::<[u8]>::from(v)).expect("length is MIB")
}

#[test]
fn dead_big_keys_release_their_allocations() {
    let _x = exclusive();
    let n = if cfg!(miri) { 2 } else { 48 };
    let w = Window::open();
    let mut m: WeakKeyMap<Weak<[u8; MIB]>, u32> = WeakKeyMap::new();
    let keys: Vec<_> = (0..n as u8).map(big_key).collect();
    for (i, k) in keys.iter().enumerate() {
        m.insert(k, i as u32);
    }
    drop(keys);
    assert!(w.held() >= n * MIB, "a dead entry's Weak keeps the whole 1 MiB allocation");
    let budget = m.capacity().next_power_of_two() * 2 / SWEEP_STEP + 1;
    let mut ops = 0;
    while !m.is_empty() {
        m.remove(&[0u8; MIB]);
        ops += 1;
        assert!(ops <= budget, "not released within {budget} ops");
    }
    let held = w.held();
    println!("WeakKeyMap, {n} dead 1 MiB keys: released after {ops} removes; held {held} B");
    assert!(held < MIB / 16, "held {held} B");
    drop(m);

    // weak_table under the same workload: removes never prune, so it keeps every 1 MiB.
    let w = Window::open();
    let mut t: weak_table::WeakKeyHashMap<Weak<[u8; MIB]>, u32> = weak_table::WeakKeyHashMap::new();
    let keys: Vec<_> = (0..n as u8).map(big_key).collect();
    for (i, k) in keys.iter().enumerate() {
        t.insert(k.clone(), i as u32);
    }
    drop(keys);
    for _ in 0..budget {
        t.remove(&[0u8; MIB]);
    }
    let held = w.held();
    println!("weak_table::WeakKeyHashMap, {n} dead 1 MiB keys, {budget} removes: len() {}, held {held} B", t.len());
    assert!(held >= n * MIB, "weak_table keeps the dead keys' allocations");
}

#[test]
fn chains_are_released() {
    let _x = exclusive();
    const LEN: usize = 4;
    let chains = scale(100_000) / LEN;
    let n = chains * LEN;
    for incremental in [false, true] {
        let base = dropped();
        let w = Window::open();
        let mut m: WeakKeyMap<Weak<u64>, (Option<Rc<u64>>, Val)> = WeakKeyMap::new();
        let mut heads = Vec::new();
        for c in 0..chains {
            // link i's value holds the only strong pointer to link i + 1's key.
            let mut next: Option<Rc<u64>> = None;
            for i in (0..LEN).rev() {
                let k = Rc::new((c * LEN + i) as u64);
                m.insert(&k, (next.take(), Val::new()));
                next = Some(k);
            }
            heads.push(next.expect("LEN > 0"));
        }
        let peak = w.peak();
        assert_eq!(m.len_live(), n);
        drop(heads);
        assert_eq!(m.len_live(), n - chains, "only the heads died");
        if incremental {
            // Each full cycle of the cursor releases at least one more link of every chain.
            let budget = (LEN + 1) * m.capacity().next_power_of_two() * 2 / SWEEP_STEP;
            let mut ops = 0;
            while !m.is_empty() {
                m.remove(&u64::MAX);
                ops += 1;
                assert!(ops <= budget, "chains not released within {budget} ops");
            }
            println!("WeakKeyMap, {chains} chains of {LEN}: released after {ops} removes of absent keys");
        } else {
            assert_eq!(m.prune(), n, "one prune() releases whole chains");
            assert!(m.is_empty());
        }
        assert_eq!(dropped() - base, n);
        let held = w.held();
        assert!(held * 100 <= peak, "held {held} of peak {peak}");
    }
}

/// The same workload on `weak_table::WeakKeyHashMap`: it prunes only when it grows, so
/// removes (or gets) never release anything.
#[test]
fn weak_table_holds_dead_entries() {
    let _x = exclusive();
    let n = scale(100_000);
    let base = dropped();
    let w = Window::open();
    let mut m: weak_table::WeakKeyHashMap<Weak<u64>, Val> = weak_table::WeakKeyHashMap::new();
    let keys: Vec<Rc<u64>> = (0..n as u64).map(Rc::new).collect();
    for k in &keys {
        m.insert(k.clone(), Val::new());
    }
    let peak = w.peak();
    drop(keys);
    for _ in 0..n {
        m.remove(&u64::MAX);
    }
    let held = w.held();
    let freed = dropped() - base;
    println!(
        "weak_table::WeakKeyHashMap, {n} dead keys, {n} removes of absent keys: len() {}, {freed} values dropped, \
         peak {peak} B, held {held} B",
        m.len()
    );
    assert_eq!(freed, 0, "weak_table dropped nothing");
    assert!(held * 10 >= peak * 7, "weak_table still holds most of its peak");
    drop(m);
}
