//! The bounded `ConcurrentMap` against `quick_cache::sync` across bounds: the skewed
//! stream of the bench's cache workload (`benches/concurrent.rs`, keys `r² / 4b` for `r`
//! uniform below `4b`) replayed into caches of bound `b`, get and insert on a miss. At
//! the bench's bound (2^16) nearly every request hits; at smaller bounds the same shape
//! of stream misses more and more, and each miss evicts.
//!
//! ```text
//! cargo run --release --example cache_bounds -- [threads] [log2 bounds...]
//! cargo run --release --example cache_bounds -- 1 10 12 13 14 15 16
//! ```
//!
//! Each thread replays its own stream of 2^16 requests (the same streams every round, as
//! the bench's `Cache` workload does); a round times one replay per cache, the caches
//! taking turns (interleaved, as `concurrent_ab`), after two untimed warm-up replays.
//! Prints each cache's median time per request over 21 rounds, the throughput ratio, and
//! each cache's share of hits in one further replay.

#[path = "../benches/shared/ab.rs"]
mod ab;
#[path = "../benches/shared/concurrent_workloads.rs"]
mod workloads;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use ab::{medians, millis};
use workloads::{cache_named, cache_stream, on_threads, Cache, OPS};

/// Replays `streams` (one per thread, the first on the calling thread) into `cache`;
/// returns the milliseconds taken and the hits.
fn replay(cache: &dyn Cache, streams: &[Vec<u64>]) -> (f64, u64) {
    let hits = AtomicU64::new(0);
    let ms = millis(|| {
        on_threads(streams.len(), |t| {
            let h = streams[t].iter().filter(|&&k| cache.get_or_insert(k)).count();
            hits.fetch_add(h as u64, Relaxed);
        })
    });
    (ms, hits.into_inner())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let threads: usize = args.get(1).map_or(1, |s| s.parse().expect("threads"));
    let shifts: Vec<u32> = if args.len() > 2 {
        args[2..].iter().map(|s| s.parse().expect("log2 bound")).collect()
    } else {
        vec![10, 12, 13, 14, 15, 16]
    };
    let len = OPS;
    println!("{threads} thread(s), {len} requests per thread per replay; median ns per request");
    println!("| bound | ConcurrentMap | quick_cache::sync | throughput ratio | hits: ConcurrentMap | quick_cache |");
    println!("|-------|---------------|-------------------|------------------|---------------------|-------------|");
    for shift in shifts {
        let bound = 1usize << shift;
        let caches = [cache_named("leakless")(bound), cache_named("quick_cache")(bound)];
        let streams = |first: usize| -> Vec<Vec<u64>> {
            (0..threads).map(|t| cache_stream(bound, first + t).take(len).collect()).collect()
        };
        let (warm, streams) = (streams(7), streams(0));
        for c in &caches {
            replay(&**c, &warm);
            replay(&**c, &streams);
        }
        let mut times = [Vec::new(), Vec::new()];
        for _ in 0..21 {
            for (c, t) in caches.iter().zip(&mut times) {
                t.push(replay(&**c, &streams).0);
            }
        }
        let ns = |ms: f64| ms * 1e6 / (len * threads) as f64;
        let m = medians(&mut times);
        let (l, q) = (ns(m[0]), ns(m[1]));
        let share = |c: &dyn Cache| replay(c, &streams).1 as f64 / (len * threads) as f64 * 100.0;
        let (lh, qh) = (share(&*caches[0]), share(&*caches[1]));
        println!("| 2^{shift:<3} | {l:>13.1} | {q:>17.1} | {:>16.2} | {lh:>18.1}% | {qh:>10.1}% |", q / l);
    }
}
