//! Bytes per entry of `ConcurrentMap` and its peers, measured by a counting allocator.
//!
//! ```text
//! cargo run --release --example concurrent_bytes
//! ```
//!
//! Unbounded maps: 1M u64 → u64 inserts, heap held divided by 1M. Caches (bound 2^20
//! entries): 2M distinct inserts, heap held (after the cache settles) divided by the
//! entries it holds.

#[path = "scenarios/alloc.rs"]
mod alloc;

use alloc::{CountingAlloc, Window};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const N: u64 = 1_000_000;
const CAP: u64 = 1 << 20;

fn measure<M>(
    name: &str,
    make: impl FnOnce() -> M,
    fill: impl Fn(&M, u64),
    settle: impl Fn(&M),
    len: impl Fn(&M) -> u64,
    n: u64,
) {
    let w = Window::open();
    let m = make();
    for i in 0..n {
        fill(&m, i);
    }
    settle(&m);
    let held = w.global_held();
    let entries = len(&m);
    println!(
        "{name:<34} {entries:>9} entries {:>7.1} B/entry  (peak {:.1} B/entry)",
        held as f64 / entries as f64,
        w.global_peak() as f64 / entries as f64
    );
    drop(m);
}

fn main() {
    type H = ahash::RandomState;
    let h = || ahash::RandomState::with_seeds(1, 2, 3, 4);
    println!("unbounded, {N} u64 -> u64 entries:");
    measure(
        "leakless::ConcurrentMap",
        || leakless::ConcurrentMap::<u64, u64, H>::with_hasher(h()),
        |m, i| {
            m.insert(i, i);
        },
        |_| {},
        |m| m.len() as u64,
        N,
    );
    measure(
        "papaya::HashMap",
        || papaya::HashMap::<u64, u64, H>::with_hasher(h()),
        |m, i| {
            m.pin().insert(i, i);
        },
        |_| {},
        |m| m.len() as u64,
        N,
    );
    measure(
        "scc::HashMap",
        || scc::HashMap::<u64, u64, H>::with_hasher(h()),
        |m, i| {
            let _ = m.insert_sync(i, i);
        },
        |_| {},
        |m| m.len() as u64,
        N,
    );
    measure(
        "dashmap::DashMap",
        || dashmap::DashMap::<u64, u64, H>::with_hasher(h()),
        |m, i| {
            m.insert(i, i);
        },
        |_| {},
        |m| m.len() as u64,
        N,
    );
    println!("bounded to {CAP} entries, {} inserts:", 2 * CAP);
    measure(
        "leakless::ConcurrentMap (bounded)",
        || leakless::ConcurrentMap::builder().max_entries(CAP as usize).hasher(h()).build(),
        |m, i| {
            m.insert(i, i);
        },
        |_| {},
        |m| m.len() as u64,
        2 * CAP,
    );
    measure(
        "quick_cache::sync::Cache",
        || {
            quick_cache::sync::Cache::<u64, u64, quick_cache::UnitWeighter, H>::with(
                CAP as usize,
                CAP,
                quick_cache::UnitWeighter,
                h(),
                Default::default(),
            )
        },
        |m, i| m.insert(i, i),
        |_| {},
        |m| m.len() as u64,
        2 * CAP,
    );
    measure(
        "moka::sync::Cache",
        || moka::sync::Cache::<u64, u64>::builder().max_capacity(CAP).build_with_hasher(h()),
        |m, i| m.insert(i, i),
        |m| m.run_pending_tasks(),
        |m| m.entry_count(),
        2 * CAP,
    );
}
