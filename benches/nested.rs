//! `NestedMap` against the ordinary nested `std` map and a flat `std` map keyed by pairs.
//!
//! ```text
//! cargo bench --bench nested -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Every map hashes with `ahash` (the crate's default hasher), inner maps included, so
//! the figures compare structures, not hash functions. The workload: `N` leaves over
//! `N / 100` groups, keys in a fixed pseudo-random order.

use std::collections::HashMap as StdMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use leakless::{HashMap, NestedMap};

#[path = "shared/nested_workload.rs"]
mod workload;

use workload::{keys, GROUPS, N};

type A = ahash::RandomState;
type Nested = NestedMap<u64, HashMap<u64, u64, A>, A>;
type StdNested = StdMap<u64, StdMap<u64, u64, A>, A>;
/// `NestedMap` over std inner maps: its own cost, without the inner tables shrinking.
type NestedStdInner = NestedMap<u64, StdMap<u64, u64, A>, A>;
type Flat = StdMap<(u64, u64), u64, A>;

fn build_nested(keys: &[(u64, u64)]) -> Nested {
    let mut m = Nested::default();
    for &(a, b) in keys {
        m.insert(a, b, b);
    }
    m
}

fn build_nested_std_inner(keys: &[(u64, u64)]) -> NestedStdInner {
    let mut m = NestedStdInner::default();
    for &(a, b) in keys {
        m.insert(a, b, b);
    }
    m
}

fn build_std_nested(keys: &[(u64, u64)]) -> StdNested {
    let mut m = StdNested::default();
    for &(a, b) in keys {
        m.entry(a).or_default().insert(b, b);
    }
    m
}

fn build_flat(keys: &[(u64, u64)]) -> Flat {
    let mut m = Flat::default();
    for &(a, b) in keys {
        m.insert((a, b), b);
    }
    m
}

fn insert(c: &mut Criterion) {
    let keys = keys();
    let mut g = c.benchmark_group("nested/insert");
    g.throughput(Throughput::Elements(N));
    g.bench_function("leakless::NestedMap", |b| b.iter(|| build_nested(black_box(&keys))));
    g.bench_function("leakless::NestedMap, std inner", |b| b.iter(|| build_nested_std_inner(black_box(&keys))));
    g.bench_function("std nested", |b| b.iter(|| build_std_nested(black_box(&keys))));
    g.bench_function("std flat (K1, K2)", |b| b.iter(|| build_flat(black_box(&keys))));
    g.finish();
}

fn get(c: &mut Criterion) {
    let keys = keys();
    let (nested, std_nested, flat) = (build_nested(&keys), build_std_nested(&keys), build_flat(&keys));
    let nested_std_inner = build_nested_std_inner(&keys);
    let mut g = c.benchmark_group("nested/get");
    g.throughput(Throughput::Elements(N));
    g.bench_function("leakless::NestedMap", |b| {
        b.iter(|| keys.iter().map(|(a, k)| nested.get(a, k).copied().unwrap_or(0)).sum::<u64>())
    });
    g.bench_function("leakless::NestedMap, std inner", |b| {
        b.iter(|| keys.iter().map(|(a, k)| nested_std_inner.get(a, k).copied().unwrap_or(0)).sum::<u64>())
    });
    g.bench_function("std nested", |b| {
        b.iter(|| keys.iter().map(|(a, k)| std_nested.get(a).and_then(|m| m.get(k)).copied().unwrap_or(0)).sum::<u64>())
    });
    g.bench_function("std flat (K1, K2)", |b| {
        b.iter(|| keys.iter().map(|k| flat.get(k).copied().unwrap_or(0)).sum::<u64>())
    });
    g.finish();

    // Misses: half on absent outer keys, half on present outer keys and absent inner keys.
    let misses: Vec<(u64, u64)> =
        keys.iter().map(|&(a, b)| if b % 2 == 0 { (a + GROUPS, b) } else { (a, b + N) }).collect();
    let mut g = c.benchmark_group("nested/get_miss");
    g.throughput(Throughput::Elements(N));
    g.bench_function("leakless::NestedMap", |b| {
        b.iter(|| misses.iter().map(|(a, k)| nested.get(a, k).copied().unwrap_or(0)).sum::<u64>())
    });
    g.bench_function("std nested", |b| {
        b.iter(|| {
            misses.iter().map(|(a, k)| std_nested.get(a).and_then(|m| m.get(k)).copied().unwrap_or(0)).sum::<u64>()
        })
    });
    g.bench_function("std flat (K1, K2)", |b| {
        b.iter(|| misses.iter().map(|k| flat.get(k).copied().unwrap_or(0)).sum::<u64>())
    });
    g.finish();
}

fn remove(c: &mut Criterion) {
    let keys = keys();
    let (nested, std_nested, flat) = (build_nested(&keys), build_std_nested(&keys), build_flat(&keys));
    let nested_std_inner = build_nested_std_inner(&keys);
    let mut g = c.benchmark_group("nested/remove");
    g.throughput(Throughput::Elements(N));
    g.bench_function("leakless::NestedMap", |b| {
        b.iter_batched(
            || nested.clone(),
            |mut m| {
                for (a, k) in &keys {
                    black_box(m.remove(a, k));
                }
                m
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("leakless::NestedMap, std inner", |b| {
        b.iter_batched(
            || nested_std_inner.clone(),
            |mut m| {
                for (a, k) in &keys {
                    black_box(m.remove(a, k));
                }
                m
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("std nested", |b| {
        b.iter_batched(
            || std_nested.clone(),
            |mut m| {
                for (a, k) in &keys {
                    black_box(m.get_mut(a).and_then(|inner| inner.remove(k)));
                }
                m
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("std nested, pruned by hand", |b| {
        b.iter_batched(
            || std_nested.clone(),
            |mut m| {
                for (a, k) in &keys {
                    if let Some(inner) = m.get_mut(a) {
                        black_box(inner.remove(k));
                        if inner.is_empty() {
                            m.remove(a);
                        }
                    }
                }
                m
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("std flat (K1, K2)", |b| {
        b.iter_batched(
            || flat.clone(),
            |mut m| {
                for k in &keys {
                    black_box(m.remove(k));
                }
                m
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, insert, get, remove);
criterion_main!(benches);
