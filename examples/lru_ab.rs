//! The workload of `benches/lru.rs` (get, and insert on a miss, over Zipf(0.9) keys from
//! 1M, capacity 10k), run interleaved: every round replays the keys once through each
//! cache in turn, so a slow spell of a shared host slows every cache alike. Each cache is
//! warmed first (steady state, as in the bench). Prints medians and throughput ratios.
//!
//! ```text
//! cargo run --release --example lru_ab -- [rounds]
//! ```
//!
//! Criterion (`cargo bench --bench lru`) stays the benchmark of record; this is for A/B
//! comparisons on a noisy machine.

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_distr::Zipf;

const CAPACITY: usize = 10_000;

/// One cache under test: replays the keys once, returns the hits.
trait Replay {
    fn replay(&mut self, keys: &[u64]) -> usize;
}

macro_rules! replay_impl {
    ($t:ty, |$c:ident, $k:ident| get: $get:expr, insert: $insert:expr) => {
        impl Replay for $t {
            fn replay(&mut self, keys: &[u64]) -> usize {
                let $c = self;
                let mut hits = 0;
                for &$k in keys {
                    if $get {
                        hits += 1;
                    } else {
                        $insert;
                    }
                }
                hits
            }
        }
    };
}

replay_impl!(leakless::LruMap<u64, u64>, |c, k| get: c.get(&k).is_some(), insert: c.insert(k, k));
replay_impl!(leakless::LruMap<u64, u64, hashbrown::DefaultHashBuilder>,
    |c, k| get: c.get(&k).is_some(), insert: c.insert(k, k));
replay_impl!(leakless::LruMap<u64, u64, ahash::RandomState, leakless::WTinyLfu>,
    |c, k| get: c.get(&k).is_some(), insert: c.insert(k, k));
replay_impl!(lru::LruCache<u64, u64>, |c, k| get: c.get(&k).is_some(), insert: c.put(k, k));
replay_impl!(hashlink::LruCache<u64, u64>, |c, k| get: c.get(&k).is_some(), insert: c.insert(k, k));
replay_impl!(schnellru::LruMap<u64, u64>, |c, k| get: c.get(&k).is_some(), insert: c.insert(k, k));
replay_impl!(quick_cache::unsync::Cache<u64, u64>, |c, k| get: c.get(&k).is_some(), insert: c.insert(k, k));

fn main() {
    let rounds: usize = std::env::args().nth(1).map_or(30, |s| s.parse().expect("rounds"));
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let zipf = Zipf::new(1_000_000.0, 0.9).unwrap();
    let keys: Vec<u64> = (0..1 << 20).map(|_| rng.sample(zipf) as u64).collect();
    let mut caches: Vec<(&str, Box<dyn Replay>)> = vec![
        ("leakless::LruMap", Box::new(leakless::LruMap::<u64, u64>::new(CAPACITY))),
        (
            "leakless::LruMap (foldhash)",
            Box::new(
                leakless::LruMap::builder()
                    .max_entries(CAPACITY)
                    .hasher(hashbrown::DefaultHashBuilder::default())
                    .build(),
            ),
        ),
        (
            "leakless::LruMap<WTinyLfu>",
            Box::new(leakless::LruMap::builder().max_entries(CAPACITY).policy(leakless::WTinyLfu::default()).build()),
        ),
        ("schnellru::LruMap", Box::new(schnellru::LruMap::new(schnellru::ByLength::new(CAPACITY as u32)))),
        ("quick_cache::unsync", Box::new(quick_cache::unsync::Cache::new(CAPACITY))),
        ("hashlink::LruCache", Box::new(hashlink::LruCache::new(CAPACITY))),
        ("lru::LruCache", Box::new(lru::LruCache::new(NonZeroUsize::new(CAPACITY).unwrap()))),
    ];
    for (_, c) in &mut caches {
        for _ in 0..10 {
            black_box(c.replay(&keys));
        }
    }
    let mut times = vec![Vec::with_capacity(rounds); caches.len()];
    let mut hits = vec![0; caches.len()];
    for _ in 0..rounds {
        for ((_, c), (t, h)) in caches.iter_mut().zip(times.iter_mut().zip(&mut hits)) {
            let start = Instant::now();
            *h = black_box(c.replay(&keys));
            t.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    let medians: Vec<f64> = times
        .iter_mut()
        .map(|t| {
            t.sort_by(f64::total_cmp);
            t[t.len() / 2]
        })
        .collect();
    println!("{} requests per round, {rounds} rounds", keys.len());
    for (((name, _), m), h) in caches.iter().zip(&medians).zip(&hits) {
        println!(
            "  {name:>28}: median {m:7.2} ms  hit ratio {:5.2} %  LruMap time / this: {:.3}",
            100.0 * *h as f64 / keys.len() as f64,
            medians[0] / m
        );
    }
}
