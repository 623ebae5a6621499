//! L3: `LruMap` holds at most its bound, at ≤ 32 bytes per `(u64, u64)` entry with exact
//! LRU, and gives memory back after `set_limit`, `clear` and removing everything.

use leakless::{Capacity, EvictionPolicy, LruMap, WTinyLfu};

use crate::alloc::Window;

const N: usize = 100_000;

fn filled<P: EvictionPolicy>(policy: P, n: usize) -> LruMap<u64, u64, leakless::DefaultHashBuilder, P> {
    let mut m = LruMap::builder().max_entries(n).policy(policy).build();
    for i in 0..n as u64 {
        m.insert(i, i);
    }
    m
}

#[test]
fn exact_lru_bytes_per_entry() {
    let _x = crate::exclusive();
    let n = crate::scale(N);
    let w = Window::open();
    let mut m = filled(leakless::Lru::default(), n);
    // Churn: the bound holds and nothing grows.
    for i in n as u64..3 * n as u64 {
        m.insert(i, i);
    }
    let held = w.held();
    let per_entry = held as f64 / n as f64;
    println!(
        "exact LRU: {per_entry:.2} bytes per (u64, u64) entry at {n} entries after {} churn inserts (peak {} B)",
        2 * n,
        w.peak(),
    );
    assert_eq!(m.len(), n);
    assert!(
        held.abs_diff(m.allocation_size()) <= 256,
        "allocation_size() {} is the map's heap ({held} B held)",
        m.allocation_size(),
    );
    if !cfg!(miri) {
        assert!(per_entry <= 32.0, "{per_entry:.2} bytes per entry");
    }
}

#[test]
fn wtinylfu_bytes_per_entry() {
    let _x = crate::exclusive();
    let n = crate::scale(N);
    let w = Window::open();
    let m = filled(WTinyLfu::default(), n);
    let held = w.held();
    let per_entry = held as f64 / n as f64;
    println!("W-TinyLFU: {per_entry:.2} bytes per (u64, u64) entry at {n} entries");
    assert!(
        held.abs_diff(m.allocation_size()) <= 256,
        "allocation_size() {} is the map's heap ({held} B held)",
        m.allocation_size(),
    );
    if !cfg!(miri) {
        assert!(per_entry <= 52.0, "{per_entry:.2} bytes per entry");
    }
}

fn gives_back<P: EvictionPolicy + Clone>(policy: P) {
    let n = crate::scale(N);
    for how in ["set_limit(10)", "clear", "remove all", "pop_lru all", "retain none"] {
        let w = Window::open();
        let mut m = filled(policy.clone(), n);
        let peak = w.peak();
        match how {
            "set_limit(10)" => m.set_limit(Capacity::entries(10)),
            "clear" => m.clear(),
            "remove all" => (0..n as u64).for_each(|i| {
                m.remove(&i);
            }),
            "pop_lru all" => while m.pop_lru().is_some() {},
            _ => m.retain(|_, _| false),
        }
        m.validate();
        let held = w.held();
        println!("{}: after {how}: holds {held} B of a {peak} B peak", core::any::type_name::<P>());
        assert!(held * 100 <= peak, "after {how}: {held} B held of a {peak} B peak");
        drop(m);
    }
}

#[test]
fn exact_lru_gives_memory_back() {
    let _x = crate::exclusive();
    gives_back(leakless::Lru::default());
}

#[test]
fn wtinylfu_gives_memory_back() {
    let _x = crate::exclusive();
    gives_back(WTinyLfu::default());
}

/// A weight bound whose entries grow heavier evicts many light entries per insert: the
/// length falls from 100k to 10, and the arena and index must shrink with it (they only
/// shrank on `remove`/`pop_lru`/`set_limit`, so a cache that only inserts kept its peak).
#[test]
fn weight_evictions_give_memory_back() {
    let _x = crate::exclusive();
    let n = crate::scale(N) as u64;
    let heavy = n / 10;
    let make = || LruMap::builder().max_weight(n).weigher(|_: &u64, v: &u64| *v).build();
    let w = Window::open();
    let mut m = make();
    for k in 0..n {
        m.insert(k, 1);
    }
    let peak = w.peak();
    // Each heavy value evicts a tenth of the light ones: 10 inserts empty the map of them.
    for k in 0..1000 {
        m.insert(n + k, heavy);
    }
    m.validate();
    assert_eq!(m.len(), 10);
    let held = w.held();
    println!("weight-bounded LruMap: {held} B held by 10 entries after evictions (peak {peak} B)");
    assert!(held * 100 <= peak, "{held} B held of a {peak} B peak by {} entries", m.len());
    // A heavier replacement evicts too, and gives memory back the same way.
    let mut m = make();
    for k in 0..n {
        m.insert(k, 1);
    }
    m.insert(n - 1, n - 5);
    m.validate();
    assert_eq!(m.len(), 6, "the heavy value and 5 light ones");
    assert!(m.allocation_size() * 100 <= peak, "{} B held by 6 entries", m.allocation_size());
}

/// An insert/remove pair toggling between 0 and 1 entries must not allocate on every
/// pair (the emptied arena and index were freed and allocated again by the next insert).
#[test]
fn toggling_between_empty_and_one_entry_does_not_allocate() {
    let _x = crate::exclusive();
    let mut m = filled(leakless::Lru::default(), 1000);
    for i in 0..1000 {
        m.remove(&i);
    }
    let calls = crate::toggle_calls(|| {
        m.insert(7, 7);
        m.remove(&7);
    });
    assert!(calls <= 2, "{calls} allocation calls in 1000 insert/remove pairs");
    m.validate();
}
