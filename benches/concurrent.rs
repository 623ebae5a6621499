//! `ConcurrentMap` against `papaya`, `scc::HashMap` and `dashmap` (unbounded), and the
//! bounded `ConcurrentMap` against `moka::sync::Cache` and `quick_cache::sync::Cache`.
//!
//! ```text
//! cargo bench --bench concurrent -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Workloads (percent read/insert/remove/update), each at 1 and 2 threads, u64 keys and
//! values, every map hashing with `ahash`:
//! - ReadHeavy 98/1/1/0 over 2^16 keys, half present;
//! - Exchange 10/40/40/10 over 2^16 keys;
//! - RapidGrow 5/80/5/10, starting empty, mostly fresh keys (growth).
//!
//! Cache: a skewed (quadratic) key distribution over 4x the capacity; read, and insert
//! on a miss. Every run replays the same streams (one per thread): on one thread every
//! request hits, on two about 70% (`ConcurrentMap::stats`), as the two streams together
//! hold more keys than the bound.
//! CacheChurn: the same with fresh streams every run into a full cache, about 60% misses.
//! Throughput is reported per operation.
//!
//! On a shared machine two runs of this bench minutes apart can differ by more than the
//! maps do; `examples/concurrent_ab.rs` runs the same workloads interleaved, map after
//! map in every round, for A/B comparisons.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

#[path = "shared/concurrent_workloads.rs"]
mod workloads;

use workloads::{caches, maps, on_threads, prefill, run, CacheRun, CAP, MIXES, OPS};

fn unbounded(c: &mut Criterion) {
    for mix in MIXES {
        for threads in [1, 2] {
            let mut g = c.benchmark_group(format!("{}/{}t", mix.name, threads));
            g.throughput(Throughput::Elements((OPS * threads) as u64));
            for (name, make) in maps() {
                g.bench_function(BenchmarkId::from_parameter(name), |b| {
                    b.iter_custom(|iters| {
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            let map = make();
                            prefill(&*map, mix);
                            let start = Instant::now();
                            on_threads(threads, |t| run(&*map, mix, OPS, t));
                            total += start.elapsed();
                            drop(map);
                        }
                        total
                    })
                });
            }
            g.finish();
        }
    }
}

/// `Cache` replays the same streams every run (all hits on one thread, about 70% on
/// two); `CacheChurn` takes fresh ones every run into a full cache (about 60% misses and
/// evictions).
fn bounded(c: &mut Criterion) {
    for (workload, mode) in [("Cache", CacheRun::Replay), ("CacheChurn", CacheRun::Churn)] {
        for threads in [1, 2] {
            let mut g = c.benchmark_group(format!("{workload}/{threads}t"));
            g.throughput(Throughput::Elements((OPS * threads) as u64));
            for (name, make) in caches() {
                g.bench_function(BenchmarkId::from_parameter(name), |b| {
                    b.iter_custom(|iters| {
                        let cache = make(CAP);
                        mode.warm(&*cache);
                        let start = Instant::now();
                        for i in 0..iters as usize {
                            mode.run(&*cache, i, threads);
                        }
                        start.elapsed()
                    })
                });
            }
            g.finish();
        }
    }
}

criterion_group!(benches, unbounded, bounded);
criterion_main!(benches);
