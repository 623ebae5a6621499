//! The workload of `benches/lru.rs` (get, and insert on a miss, over Zipf(0.9) keys from
//! 1M, capacity 10k), run interleaved: every round replays the keys once through each
//! cache in turn, so a slow spell of a shared host slows every cache alike. Each cache is
//! warmed first (steady state, as in the bench). Prints medians, hit ratios and time
//! ratios.
//!
//! A cache's speed also depends on where its allocations land: with the hash seed fixed,
//! 24 separately built `LruMap`s replayed in the same rounds took from 27 to 37 ms each
//! (median of five), and 24 `schnellru` maps, in another run, from 41 to 49 ms. So every
//! cache is built `sets` times over (each set warmed on its own), every round replays
//! each set, and the medians are taken over all of a cache's sets and rounds.
//!
//! ```text
//! cargo run --release --example lru_ab -- [rounds] [sets]
//! ```
//!
//! Criterion (`cargo bench --bench lru`) stays the benchmark of record; this is for A/B
//! comparisons on a noisy machine.

use std::hint::black_box;

#[path = "../benches/shared/ab.rs"]
mod ab;
#[path = "../benches/shared/lru_workload.rs"]
mod workload;

use ab::{medians, millis};
use workload::{keys, warmed_caches};

fn main() {
    let rounds: usize = std::env::args().nth(1).map_or(30, |s| s.parse().expect("rounds"));
    let sets: usize = std::env::args().nth(2).map_or(3, |s| s.parse().expect("sets")).max(1);
    let keys = keys();
    let mut caches: Vec<_> = (0..sets).map(|_| warmed_caches(&keys)).collect();
    let names: Vec<&str> = caches[0].iter().map(|(name, _)| *name).collect();
    let mut times = vec![Vec::with_capacity(rounds * sets); names.len()];
    let mut hits = vec![0; names.len()];
    for _ in 0..rounds {
        for set in &mut caches {
            for ((_, c), (t, h)) in set.iter_mut().zip(times.iter_mut().zip(&mut hits)) {
                t.push(millis(|| *h = black_box(c.replay(&keys))));
            }
        }
    }
    let medians = medians(&mut times);
    println!("{} requests per round, {rounds} rounds over {sets} sets of caches", keys.len());
    for ((name, m), h) in names.iter().zip(&medians).zip(&hits) {
        println!(
            "  {name:>28}: median {m:7.2} ms  hit ratio {:5.2} %  LruMap time / this: {:.3}",
            100.0 * *h as f64 / keys.len() as f64,
            medians[0] / m
        );
    }
}
