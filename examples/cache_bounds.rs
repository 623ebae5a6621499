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
//! taking turns (interleaved, as `concurrent_ab`), after two untimed warm-up replays. Prints each cache's median time per request over 21 rounds, the
//! throughput ratio, and each cache's share of hits in one further replay.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

type H = ahash::RandomState;
type Qc = quick_cache::sync::Cache<u64, u64, quick_cache::UnitWeighter, H>;

fn hasher() -> H {
    ahash::RandomState::with_seeds(1, 2, 3, 4)
}

/// The request stream of thread `thread` for bound `bound` (the bench's generator).
fn stream(bound: usize, thread: usize, len: usize) -> Vec<u64> {
    let mut x = 0xDEAD_BEEF ^ ((thread as u64 + 1) * 0x9876_5431);
    let space = 4 * bound as u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let r = x % space;
            r * r / space
        })
        .collect()
}

/// One cache under test: a request, and whether it hit.
trait Cache: Sync {
    fn request(&self, k: u64) -> bool;
}

impl Cache for leakless::ConcurrentMap<u64, u64, H> {
    fn request(&self, k: u64) -> bool {
        let hit = self.get_with(&k, |v| black_box(*v)).is_some();
        if !hit {
            self.insert(k, k);
        }
        hit
    }
}

impl Cache for Qc {
    fn request(&self, k: u64) -> bool {
        let hit = self.get(&k).is_some();
        if !hit {
            self.insert(k, k);
        }
        hit
    }
}

/// Replays `streams` (one per thread) into `cache`; returns the seconds taken and the hits.
fn replay(cache: &dyn Cache, streams: &[Vec<u64>]) -> (f64, u64) {
    let start = Instant::now();
    if let [st] = streams {
        // One thread: run here, without a spawn in the timing.
        let hits = st.iter().filter(|&&k| cache.request(k)).count();
        return (start.elapsed().as_secs_f64(), hits as u64);
    }
    let hits = AtomicU64::new(0);
    std::thread::scope(|s| {
        for st in streams {
            let hits = &hits;
            s.spawn(move || {
                let h = st.iter().filter(|&&k| cache.request(k)).count();
                hits.fetch_add(h as u64, Relaxed);
            });
        }
    });
    (start.elapsed().as_secs_f64(), hits.load(Relaxed))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let threads: usize = args.get(1).map_or(1, |s| s.parse().expect("threads"));
    let shifts: Vec<u32> = if args.len() > 2 {
        args[2..].iter().map(|s| s.parse().expect("log2 bound")).collect()
    } else {
        vec![10, 12, 13, 14, 15, 16]
    };
    let len = 1 << 16;
    println!("{threads} thread(s), {len} requests per thread per replay; median ns per request");
    println!("| bound | ConcurrentMap | quick_cache::sync | throughput ratio | hits: ConcurrentMap | quick_cache |");
    println!("|-------|---------------|-------------------|------------------|---------------------|-------------|");
    for shift in shifts {
        let bound = 1usize << shift;
        let leakless = leakless::ConcurrentMap::builder().max_entries(bound).hasher(hasher()).build();
        let qc = Qc::with(bound, bound as u64, quick_cache::UnitWeighter, hasher(), Default::default());
        let caches: [&dyn Cache; 2] = [&leakless, &qc];
        let warm: Vec<_> = (0..threads).map(|t| stream(bound, t + 7, len)).collect();
        let streams: Vec<_> = (0..threads).map(|t| stream(bound, t, len)).collect();
        for c in caches {
            replay(c, &warm);
            replay(c, &streams);
        }
        let mut times = [Vec::new(), Vec::new()];
        for _ in 0..21 {
            for (c, t) in caches.iter().zip(&mut times) {
                t.push(replay(*c, &streams).0);
            }
        }
        let per_request = |t: &mut Vec<f64>| {
            t.sort_by(f64::total_cmp);
            t[t.len() / 2] * 1e9 / (len * threads) as f64
        };
        let (l, q) = (per_request(&mut times[0]), per_request(&mut times[1]));
        let share = |c: &dyn Cache| replay(c, &streams).1 as f64 / (len * threads) as f64 * 100.0;
        let (lh, qh) = (share(&leakless), share(&qc));
        println!("| 2^{shift:<3} | {l:>13.1} | {q:>17.1} | {:>16.2} | {lh:>18.1}% | {qh:>10.1}% |", q / l);
    }
}
