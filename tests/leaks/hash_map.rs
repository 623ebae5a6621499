//! L1: `leakless::HashMap` gives its table back; `std`'s does not.

use crate::alloc::Window;
use crate::{exclusive, scale};

const N: usize = 1_000_000;

/// Insert `n` u64 pairs into `map`, run `empty` on it, and return (peak, held) bytes.
fn fill_then<M>(mut map: M, n: usize, insert: impl Fn(&mut M, u64), empty: impl FnOnce(&mut M)) -> (usize, usize) {
    let w = Window::open();
    for i in 0..n as u64 {
        insert(&mut map, i);
    }
    empty(&mut map);
    let r = (w.peak(), w.held());
    drop(map);
    r
}

fn leakless_after(empty: impl FnOnce(&mut leakless::HashMap<u64, u64>)) -> (usize, usize) {
    fill_then(
        leakless::HashMap::new(),
        scale(N),
        |m, i| {
            m.insert(i, i);
        },
        empty,
    )
}

#[test]
fn remove_all_releases_the_table() {
    let _g = exclusive();
    let n = scale(N);
    let (peak, held) = leakless_after(|m| {
        for i in 0..n as u64 {
            assert_eq!(m.remove(&i), Some(i));
        }
        assert!(m.is_empty());
    });
    eprintln!("leakless::HashMap: insert {n}, remove all: peak {peak} B, held {held} B");
    assert!(held * 100 <= peak, "held {held} of peak {peak}");

    // The same workload on std keeps its whole table: the test could fail.
    let (std_peak, std_held) = fill_then(
        std::collections::HashMap::new(),
        n,
        |m, i| {
            m.insert(i, i);
        },
        |m| {
            for i in 0..n as u64 {
                m.remove(&i);
            }
        },
    );
    eprintln!("std HashMap: peak {std_peak} B, held {std_held} B");
    assert!(std_held * 2 > std_peak, "std is expected to keep its table");
}

#[test]
fn clear_releases_the_table() {
    let _g = exclusive();
    let (peak, held) = leakless_after(|m| m.clear());
    assert!(held * 100 <= peak, "held {held} of peak {peak}");
}

#[test]
fn retain_nothing_releases_the_table() {
    let _g = exclusive();
    let (peak, held) = leakless_after(|m| m.retain(|_, _| false));
    assert!(held * 100 <= peak, "held {held} of peak {peak}");
}

#[test]
fn drain_and_extract_if_release_the_table() {
    let _g = exclusive();
    let (peak, held) = leakless_after(|m| assert_eq!(m.drain().count(), scale(N)));
    assert!(held * 100 <= peak, "drain: held {held} of peak {peak}");
    let (peak, held) = leakless_after(|m| assert_eq!(m.extract_if(|_, _| true).count(), scale(N)));
    assert!(held * 100 <= peak, "extract_if: held {held} of peak {peak}");
}

/// Steady state of 10k live entries for 10M insert/remove pairs: the table never holds
/// more than 3× the bytes of a freshly built map of 10k entries.
#[test]
fn churn_stays_bounded() {
    let _g = exclusive();
    let live = 10_000u64;
    let pairs = scale(10_000_000) as u64;
    let fresh: leakless::HashMap<u64, u64> = (0..live).map(|i| (i, i)).collect();
    let bound = 3 * fresh.allocation_size();
    drop(fresh);
    let mut m = leakless::HashMap::new();
    let w = Window::open();
    for i in 0..live {
        m.insert(i, i);
    }
    let mut max_held = 0;
    for i in live..live + pairs {
        m.insert(i, i);
        m.remove(&(i - live));
        if i % 4096 == 0 {
            max_held = max_held.max(w.held());
        }
    }
    max_held = max_held.max(w.held());
    eprintln!("churn: 10k live, {pairs} pairs: at most {max_held} B held (bound {bound} B)");
    assert_eq!(m.len(), live as usize);
    assert!(max_held <= bound, "held {max_held} > {bound}");
}

/// An insert/remove pair toggling at a growth boundary must not reallocate each time.
#[test]
fn toggling_at_a_boundary_does_not_thrash() {
    let _g = exclusive();
    let mut m = leakless::HashMap::new();
    // Fill exactly to capacity, so the next insert grows the table.
    let mut i = 0u64;
    while m.len() < 3 || m.len() < m.capacity() {
        m.insert(i, i);
        i += 1;
    }
    let toggles = scale(1_000_000);
    let w = Window::open();
    for _ in 0..toggles {
        m.insert(u64::MAX, 0);
        m.remove(&u64::MAX);
    }
    eprintln!("{toggles} toggles at a boundary: {} allocations", w.calls());
    assert!(w.calls() <= 4, "{} reallocations", w.calls());

    // And at a shrink boundary: remove down to just above the trigger, then toggle.
    let mut m = leakless::HashMap::new();
    for i in 0..10_000u64 {
        m.insert(i, i);
    }
    let mut k = 0;
    let shrinks = m.stats().shrinks;
    while m.stats().shrinks == shrinks {
        m.remove(&k);
        k += 1;
    }
    let w = Window::open();
    for _ in 0..toggles {
        m.insert(k, k);
        m.remove(&k);
    }
    assert!(w.calls() <= 4, "{} reallocations at the shrink boundary", w.calls());
}

#[test]
fn with_capacity_is_a_floor() {
    let _g = exclusive();
    let mut m = leakless::HashMap::with_capacity(4096);
    assert!(m.capacity() >= 4096);
    let floor_bytes = m.allocation_size();
    for round in 0..scale(100) as u64 {
        for i in 0..5000 {
            m.insert(round * 5000 + i, i);
        }
        for i in 0..5000 {
            m.remove(&(round * 5000 + i));
            assert!(m.allocation_size() >= floor_bytes, "shrank below the floor");
        }
        m.clear();
        assert!(m.allocation_size() >= floor_bytes, "clear went below the floor");
    }
}

/// Bytes per entry at 100k (u64, u64): the same as std's (entries inline, no metadata).
#[test]
fn bytes_per_entry_equal_std() {
    let _g = exclusive();
    let n = scale(100_000);
    let w = Window::open();
    let mut ours = leakless::HashMap::new();
    for i in 0..n as u64 {
        ours.insert(i, i);
    }
    let ours_bytes = w.held();
    let w = Window::open();
    let mut theirs = std::collections::HashMap::new();
    for i in 0..n as u64 {
        theirs.insert(i, i);
    }
    let std_bytes = w.held();
    let (a, b) = (ours_bytes as f64 / n as f64, std_bytes as f64 / n as f64);
    eprintln!("bytes per entry at {n} (u64, u64): leakless {a:.2}, std {b:.2}");
    assert!(a <= b * 1.02, "leakless {a:.2} B/entry vs std {b:.2}");
    // What the map reports is what the allocator saw (the rest is the hasher's seed source).
    assert!(ours.allocation_size() <= ours_bytes && ours_bytes - ours.allocation_size() < 1024);
}

/// An insert/remove pair toggling between 0 and 1 entries must not allocate on every
/// pair (a table emptied by a removal used to be freed, and the next insert allocated
/// it again: 1,000 allocations in 1,000 pairs).
#[test]
fn toggling_between_empty_and_one_entry_does_not_allocate() {
    let _x = exclusive();
    let mut m: leakless::HashMap<u64, u64> = (0..1000).map(|i| (i, i)).collect();
    for i in 0..1000 {
        m.remove(&i);
    }
    let calls = crate::toggle_calls(|| {
        m.insert(7, 7);
        m.remove(&7);
    });
    assert!(calls <= 1, "{calls} allocation calls in 1000 insert/remove pairs");
    m.clear();
    assert_eq!(m.capacity(), 0, "clear gives even the smallest table back");
}
