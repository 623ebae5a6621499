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

use workload::{keys, Contender, A, GROUPS, N};

type Nested = NestedMap<u64, HashMap<u64, u64, A>, A>;
type StdNested = StdMap<u64, StdMap<u64, u64, A>, A>;
/// `NestedMap` over std inner maps: its own cost, without the inner tables shrinking.
type NestedStdInner = NestedMap<u64, StdMap<u64, u64, A>, A>;
type Flat = StdMap<(u64, u64), u64, A>;

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
    g.bench_function("leakless::NestedMap", |b| b.iter(|| Nested::build(black_box(&keys))));
    g.bench_function("leakless::NestedMap, std inner", |b| b.iter(|| NestedStdInner::build(black_box(&keys))));
    g.bench_function("std nested", |b| b.iter(|| StdNested::build(black_box(&keys))));
    g.bench_function("std flat (K1, K2)", |b| b.iter(|| build_flat(black_box(&keys))));
    g.finish();
}

fn get(c: &mut Criterion) {
    let keys = keys();
    let (nested, std_nested, flat) = (Nested::build(&keys), StdNested::build(&keys), build_flat(&keys));
    let nested_std_inner = NestedStdInner::build(&keys);
    let mut g = c.benchmark_group("nested/get");
    g.throughput(Throughput::Elements(N));
    g.bench_function("leakless::NestedMap", |b| b.iter(|| nested.get_all(&keys)));
    g.bench_function("leakless::NestedMap, std inner", |b| b.iter(|| nested_std_inner.get_all(&keys)));
    g.bench_function("std nested", |b| b.iter(|| std_nested.get_all(&keys)));
    g.bench_function("std flat (K1, K2)", |b| {
        b.iter(|| keys.iter().map(|k| flat.get(k).copied().unwrap_or(0)).sum::<u64>())
    });
    g.finish();

    // Misses: half on absent outer keys, half on present outer keys and absent inner keys.
    let misses: Vec<(u64, u64)> =
        keys.iter().map(|&(a, b)| if b % 2 == 0 { (a + GROUPS, b) } else { (a, b + N) }).collect();
    let mut g = c.benchmark_group("nested/get_miss");
    g.throughput(Throughput::Elements(N));
    g.bench_function("leakless::NestedMap", |b| b.iter(|| nested.get_all(&misses)));
    g.bench_function("std nested", |b| b.iter(|| std_nested.get_all(&misses)));
    g.bench_function("std flat (K1, K2)", |b| {
        b.iter(|| misses.iter().map(|k| flat.get(k).copied().unwrap_or(0)).sum::<u64>())
    });
    g.finish();
}

fn remove(c: &mut Criterion) {
    let keys = keys();
    let (nested, std_nested, flat) = (Nested::build(&keys), StdNested::build(&keys), build_flat(&keys));
    let nested_std_inner = NestedStdInner::build(&keys);
    let mut g = c.benchmark_group("nested/remove");
    g.throughput(Throughput::Elements(N));
    g.bench_function("leakless::NestedMap", |b| {
        b.iter_batched(
            || nested.clone(),
            |mut m| {
                m.remove_all(&keys);
                m
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("leakless::NestedMap, std inner", |b| {
        b.iter_batched(
            || nested_std_inner.clone(),
            |mut m| {
                m.remove_all(&keys);
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
                m.remove_all(&keys);
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
