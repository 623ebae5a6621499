//! Mixed get / insert-on-miss over Zipf(0.9) keys drawn from 1M, capacity 10k:
//! `LruMap` (exact LRU and W-TinyLFU) against `lru`, `hashlink`, `schnellru` and
//! `quick_cache::unsync`, each with its default hasher: `ahash` for `LruMap` and
//! `schnellru`, `foldhash` (`hashbrown::DefaultHashBuilder`) for `lru`, `hashlink` and
//! `quick_cache`. The `LruMap (foldhash)` row uses the hasher of those three, for a
//! same-hasher comparison with them.
//!
//! ```text
//! cargo bench --bench lru -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! On a shared machine two runs minutes apart can differ by more than the caches do;
//! `examples/lru_ab.rs` replays the same keys through every cache interleaved.

use std::hint::black_box;
use std::num::NonZeroUsize;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::{RngExt, SeedableRng};
use rand_distr::Zipf;

const CAPACITY: usize = 10_000;
const UNIVERSE: f64 = 1_000_000.0;
const REQUESTS: usize = 1 << 20;

fn keys() -> Vec<u64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let zipf = Zipf::new(UNIVERSE, 0.9).unwrap();
    (0..REQUESTS).map(|_| rng.sample(zipf) as u64).collect()
}

/// Replay `keys` once through a cache: get, and insert on a miss. Returns the hits.
macro_rules! replay {
    ($cache:expr, $keys:expr, |$c:ident, $k:ident| get: $get:expr, insert: $insert:expr) => {{
        let $c = &mut $cache;
        let mut hits = 0usize;
        for &$k in $keys {
            if $get {
                hits += 1;
            } else {
                $insert;
            }
        }
        hits
    }};
}

/// Passes over the keys each cache runs before it is measured.
const WARM_PASSES: usize = 10;

/// Bench `$cache` under `$name` in steady state: it is built once, outside the closure
/// criterion calls for every sample (a map made inside it would be fresh for every
/// sample), and replayed `WARM_PASSES` times first. Measuring fresh maps flatters the
/// tables that slow down as evictions leave tombstones: one `schnellru::LruMap` ran its
/// first five passes in 17, 22, 28, 33 and 34 ms.
macro_rules! steady {
    ($g:expr, $keys:expr, $name:expr, $cache:expr, |$c:ident, $k:ident| get: $get:expr, insert: $insert:expr) => {{
        let mut cache = $cache;
        for _ in 0..WARM_PASSES {
            black_box(replay!(cache, $keys, |$c, $k| get: $get, insert: $insert));
        }
        $g.bench_function(BenchmarkId::from_parameter($name), |b| {
            b.iter(|| black_box(replay!(cache, $keys, |$c, $k| get: $get, insert: $insert)))
        });
    }};
}

fn bench(c: &mut Criterion) {
    let keys = keys();
    let mut g = c.benchmark_group("lru_zipf0.9_1M_cap10k");
    g.throughput(Throughput::Elements(REQUESTS as u64));

    steady!(g, &keys, "leakless::LruMap", leakless::LruMap::new(CAPACITY),
        |c, k| get: c.get(&k).is_some(), insert: c.insert(k, k));
    steady!(g, &keys, "leakless::LruMap<WTinyLfu>",
        leakless::LruMap::builder().max_entries(CAPACITY).policy(leakless::WTinyLfu::default()).build(),
        |c, k| get: c.get(&k).is_some(), insert: c.insert(k, k));
    steady!(g, &keys, "leakless::LruMap (foldhash)",
        leakless::LruMap::builder().max_entries(CAPACITY).hasher(hashbrown::DefaultHashBuilder::default()).build(),
        |c, k| get: c.get(&k).is_some(), insert: c.insert(k, k));
    steady!(g, &keys, "lru::LruCache", lru::LruCache::new(NonZeroUsize::new(CAPACITY).unwrap()),
        |c, k| get: c.get(&k).is_some(), insert: c.put(k, k));
    steady!(g, &keys, "hashlink::LruCache", hashlink::LruCache::new(CAPACITY),
        |c, k| get: c.get(&k).is_some(), insert: c.insert(k, k));
    steady!(g, &keys, "schnellru::LruMap", schnellru::LruMap::new(schnellru::ByLength::new(CAPACITY as u32)),
        |c, k| get: c.get(&k).is_some(), insert: c.insert(k, k));
    steady!(g, &keys, "quick_cache::unsync::Cache", quick_cache::unsync::Cache::new(CAPACITY),
        |c, k| get: c.get(&k).is_some(), insert: c.insert(k, k));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
