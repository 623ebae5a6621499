//! The workload of `benches/lru.rs` (get, and insert on a miss, over Zipf(0.9) keys from
//! 1M, capacity 10k), run interleaved: every round replays the keys once through each
//! cache in turn, so a slow spell of a shared host slows every cache alike. Each cache is
//! warmed first (steady state, as in the bench). Prints medians, hit ratios and time
//! ratios.
//!
//! ```text
//! cargo run --release --example lru_ab -- [rounds]
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
    let keys = keys();
    let mut caches = warmed_caches(&keys);
    let mut times = vec![Vec::with_capacity(rounds); caches.len()];
    let mut hits = vec![0; caches.len()];
    for _ in 0..rounds {
        for ((_, c), (t, h)) in caches.iter_mut().zip(times.iter_mut().zip(&mut hits)) {
            t.push(millis(|| *h = black_box(c.replay(&keys))));
        }
    }
    let medians = medians(&mut times);
    println!("{} requests per round, {rounds} rounds", keys.len());
    for (((name, _), m), h) in caches.iter().zip(&medians).zip(&hits) {
        println!(
            "  {name:>28}: median {m:7.2} ms  hit ratio {:5.2} %  LruMap time / this: {:.3}",
            100.0 * *h as f64 / keys.len() as f64,
            medians[0] / m
        );
    }
}
