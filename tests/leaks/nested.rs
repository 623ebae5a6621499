//! L2: `NestedMap` prunes emptied inner maps, and reads never allocate.

use std::collections::HashMap as StdMap;

use leakless::{HashMap, NestedMap};

use crate::alloc::Window;
use crate::{exclusive, scale};

/// Insert `leaves` entries spread over `groups` outer keys, then remove every one.
/// Returns (peak, held, outer keys left).
fn churn<M>(
    groups: u64,
    leaves: u64,
    mut map: M,
    insert: impl Fn(&mut M, u64, u64),
    remove: impl Fn(&mut M, u64, u64),
    outer_len: impl Fn(&M) -> usize,
) -> (usize, usize, usize) {
    let w = Window::open();
    for i in 0..leaves {
        insert(&mut map, i % groups, i / groups);
    }
    for i in 0..leaves {
        remove(&mut map, i % groups, i / groups);
    }
    let result = (w.peak(), w.held(), outer_len(&map));
    drop(map);
    result
}

#[test]
fn every_leaf_removed_gives_everything_back() {
    let _x = exclusive();
    let (groups, leaves) = (scale(10_000) as u64, scale(1_000_000) as u64);
    let (peak, held, outer) = churn(
        groups,
        leaves,
        NestedMap::<u64, HashMap<u64, u64>>::new(),
        |m, a, b| {
            m.insert(a, b, b);
        },
        |m, a, b| {
            m.remove(&a, &b);
        },
        NestedMap::outer_len,
    );
    assert_eq!(outer, 0, "every emptied inner map was pruned");
    assert!(held * 100 <= peak, "NestedMap holds {held} bytes of its {peak} peak");

    // The ordinary nested std map, same workload: every inner map (and its table) stays.
    let (std_peak, std_held, std_outer) = churn(
        groups,
        leaves,
        StdMap::<u64, StdMap<u64, u64>>::new(),
        |m, a, b| {
            m.entry(a).or_default().insert(b, b);
        },
        |m, a, b| {
            if let Some(inner) = m.get_mut(&a) {
                inner.remove(&b);
            }
        },
        StdMap::len,
    );
    assert_eq!(std_outer as u64, groups, "std keeps an empty inner map per group");
    assert!(std_held * 2 >= std_peak, "std holds {std_held} of {std_peak}: most of it");
    assert!(std_held >= 50 * held.max(1), "std holds {std_held} bytes, NestedMap {held}");
    if !cfg!(miri) {
        println!("L2 NestedMap: peak {peak} B, held {held} B; std nested: peak {std_peak} B, held {std_held} B");
    }
}

#[test]
fn missed_reads_never_allocate() {
    let _x = exclusive();
    let reads = scale(100_000) as u64;

    let empty: NestedMap<u64, HashMap<u64, u64>> = NestedMap::new();
    let w = Window::open();
    for i in 0..reads {
        assert!(empty.get(&i, &i).is_none());
        assert!(!empty.contains(&i, &(i + 1)));
        assert!(empty.get_inner(&i).is_none());
        assert_eq!(empty.iter_inner(&i).count(), 0);
    }
    assert_eq!((w.calls(), w.held()), (0, 0), "reads on an empty map allocated");
    assert_eq!((empty.outer_len(), empty.allocation_size()), (0, 0));

    let mut full: NestedMap<u64, HashMap<u64, u64>> = NestedMap::new();
    for i in 0..scale(10_000) as u64 {
        full.insert(i % 100, i, i);
    }
    let (bytes, outer, len) = (full.allocation_size(), full.outer_len(), full.len());
    let w = Window::open();
    let mut hits = 0;
    for i in 0..reads {
        // Half miss the outer key, half hit it and miss the inner key.
        hits += usize::from(full.get(&(i % 200), &(reads + i)).is_some());
        hits += usize::from(full.contains(&(i % 200), &(reads + i)));
    }
    assert_eq!(hits, 0);
    assert_eq!((w.calls(), w.held()), (0, 0), "reads on a populated map allocated");
    assert_eq!((full.allocation_size(), full.outer_len(), full.len()), (bytes, outer, len));
    full.validate();
}

#[test]
fn a_panic_inside_the_guard_still_prunes_and_frees() {
    let _x = exclusive();
    let mut m: NestedMap<u64, HashMap<u64, u64>> = NestedMap::new();
    // A silent panic hook (no message, no backtrace to allocate), so the window below
    // measures the map alone.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let w = Window::open();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut g = m.inner_mut(1);
        for i in 0..1000 {
            g.insert(i, i);
        }
        g.clear();
        panic!("user code panics with the guard alive");
    }));
    std::panic::set_hook(hook);
    assert!(r.is_err());
    m.validate();
    assert_eq!(m.outer_len(), 0);
    drop(r);
    // The inner map (its 1000-entry table) is gone; the outer table is not shrunk while
    // a panic unwinds (that would run the user's `Hash` then), only by the next removal.
    assert_eq!(w.held(), m.allocation_size(), "allocation_size() accounts for every byte held");
    assert!(
        m.allocation_size() <= m.outer().allocation_size() + 80,
        "only the outer table and the 80-byte stats block are still held"
    );
    assert!(w.held() < 1024 && w.peak() > 16 * 1024, "held {} of a {} peak", w.held(), w.peak());
    m.clear();
    assert!(m.outer().capacity() <= 14, "the outer table was given back (all but a small table)");
    assert_eq!(w.held(), m.allocation_size());
}
