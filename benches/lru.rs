//! Mixed get / insert-on-miss over Zipf(0.9) keys drawn from 1M, capacity 10k:
//! `LruMap` (exact LRU and W-TinyLFU) against `lru`, `hashlink`, `schnellru` and
//! `quick_cache::unsync`, each with its default hasher: `ahash` for `LruMap` and
//! `schnellru`, `foldhash` (`hashbrown::DefaultHashBuilder`) for `lru`, `hashlink` and
//! `quick_cache`. The `LruMap (foldhash)` row uses the hasher of those three, for a
//! same-hasher comparison with them. Every cache is timed in steady state: built once,
//! outside the closure criterion calls for every sample, and warmed first (see
//! `shared/lru_workload.rs`).
//!
//! ```text
//! cargo bench --bench lru -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! On a shared machine two runs minutes apart can differ by more than the caches do;
//! `examples/lru_ab.rs` replays the same keys through every cache interleaved.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

#[path = "shared/lru_workload.rs"]
mod workload;

use workload::{keys, warmed_caches, REQUESTS};

fn bench(c: &mut Criterion) {
    let keys = keys();
    let mut g = c.benchmark_group("lru_zipf0.9_1M_cap10k");
    g.throughput(Throughput::Elements(REQUESTS as u64));
    for (name, mut cache) in warmed_caches(&keys) {
        g.bench_function(BenchmarkId::from_parameter(name), |b| b.iter(|| black_box(cache.replay(&keys))));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
