//! `leakless::HashMap` against `hashbrown::HashMap` and `std::collections::HashMap`, all
//! with the same hasher (`ahash::RandomState`, fixed seeds): insert, get (hit and miss),
//! remove, over 100k u64 keys (`HASH_MAP_BENCH_KEYS` sets another count: at 1M the table
//! no longer fits in the CPU caches). Reported per element (`Throughput::Elements`).
//!
//! ```text
//! cargo bench --bench hash_map
//! HASH_MAP_BENCH_KEYS=1000000 cargo bench --bench hash_map -- remove
//! ```

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

/// The key count: 100k, or `HASH_MAP_BENCH_KEYS`.
fn n() -> u64 {
    std::env::var("HASH_MAP_BENCH_KEYS").map_or(100_000, |s| s.parse().expect("HASH_MAP_BENCH_KEYS: a key count"))
}

fn hasher() -> ahash::RandomState {
    ahash::RandomState::with_seeds(1, 2, 3, 4)
}

/// Keys in a scrambled order, so that inserts and lookups do not walk the table in order.
fn keys() -> Vec<u64> {
    (0..n()).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect()
}

fn misses() -> Vec<u64> {
    (n()..2 * n()).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect()
}

macro_rules! bench_map {
    ($c:expr, $name:literal, $new:expr) => {{
        let keys = keys();
        let misses = misses();
        let full = {
            let mut m = $new;
            for &k in &keys {
                m.insert(k, k);
            }
            m
        };
        let mut g = $c.benchmark_group(concat!("hash_map/", $name));
        g.throughput(Throughput::Elements(n()));
        g.bench_function("insert", |b| {
            b.iter_batched_ref(
                || $new,
                |m| {
                    for &k in &keys {
                        m.insert(k, k);
                    }
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_function("get_hit", |b| {
            b.iter(|| {
                let mut s = 0u64;
                for k in &keys {
                    s = s.wrapping_add(*full.get(black_box(k)).unwrap());
                }
                s
            })
        });
        g.bench_function("get_miss", |b| {
            b.iter(|| {
                let mut s = 0usize;
                for k in &misses {
                    s += full.get(black_box(k)).is_none() as usize;
                }
                s
            })
        });
        g.bench_function("remove", |b| {
            b.iter_batched_ref(
                || full.clone(),
                |m| {
                    for k in &keys {
                        black_box(m.remove(k));
                    }
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_function("remove_half_reinsert", |b| {
            // Churn: remove half, insert it back (no net shrink for either map).
            b.iter_batched_ref(
                || full.clone(),
                |m| {
                    for k in keys.iter().step_by(2) {
                        black_box(m.remove(k));
                    }
                    for &k in keys.iter().step_by(2) {
                        m.insert(k, k);
                    }
                },
                BatchSize::LargeInput,
            )
        });
        g.finish();
    }};
}

fn benches(c: &mut Criterion) {
    // Warm the allocator first: glibc raises its mmap threshold after the first large free,
    // and whichever map ran first would otherwise pay page faults the others do not.
    for _ in 0..3 {
        let m: hashbrown::HashMap<u64, u64> = (0..4 * n()).map(|i| (i, i)).collect();
        black_box(m);
    }
    bench_map!(c, "hashbrown", hashbrown::HashMap::<u64, u64, _>::with_hasher(hasher()));
    bench_map!(c, "leakless", leakless::HashMap::<u64, u64, _>::with_hasher(hasher()));
    bench_map!(c, "std", std::collections::HashMap::<u64, u64, _>::with_hasher(hasher()));
}

criterion_group!(name = hash_map; config = Criterion::default().sample_size(30); targets = benches);
criterion_main!(hash_map);
