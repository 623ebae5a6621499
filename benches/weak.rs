//! `WeakKeyMap` against `weak_table::WeakKeyHashMap`: insert and get, ns per op.
//!
//! ```text
//! cargo bench --bench weak -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! `weak_table` is measured with its default hasher (std's SipHash) and with `ahash`
//! (this crate's default), so the comparison isolates the table from the hasher.

use std::hint::black_box;
use std::rc::{Rc, Weak};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use leakless::WeakKeyMap;
use weak_table::WeakKeyHashMap;

const N: usize = 10_000;

fn keys() -> Vec<Rc<u64>> {
    // Spread-out values, as ids usually are.
    (0..N as u64).map(|i| Rc::new(i.wrapping_mul(0x9E37_79B9_7F4A_7C15))).collect()
}

fn insert(c: &mut Criterion) {
    let keys = keys();
    let mut g = c.benchmark_group("weak/insert");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function(BenchmarkId::new("leakless::WeakKeyMap", N), |b| {
        b.iter_batched_ref(
            WeakKeyMap::<Weak<u64>, u64>::new,
            |m| {
                for k in &keys {
                    m.insert(k, **k);
                }
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function(BenchmarkId::new("weak_table (SipHash)", N), |b| {
        b.iter_batched_ref(
            WeakKeyHashMap::<Weak<u64>, u64>::new,
            |m| {
                for k in &keys {
                    m.insert(k.clone(), **k);
                }
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function(BenchmarkId::new("weak_table (ahash)", N), |b| {
        b.iter_batched_ref(
            || WeakKeyHashMap::<Weak<u64>, u64, ahash::RandomState>::with_hasher(ahash::RandomState::new()),
            |m| {
                for k in &keys {
                    m.insert(k.clone(), **k);
                }
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn get(c: &mut Criterion) {
    let keys = keys();
    let probes: Vec<u64> = keys.iter().map(|k| **k).collect();
    let mut g = c.benchmark_group("weak/get");
    g.throughput(Throughput::Elements(N as u64));

    let mut ours: WeakKeyMap<Weak<u64>, u64> = WeakKeyMap::new();
    for k in &keys {
        ours.insert(k, **k);
    }
    g.bench_function(BenchmarkId::new("leakless::WeakKeyMap", N), |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for p in &probes {
                sum = sum.wrapping_add(*ours.get(p).unwrap());
            }
            black_box(sum)
        })
    });

    let mut sip: WeakKeyHashMap<Weak<u64>, u64> = WeakKeyHashMap::new();
    for k in &keys {
        sip.insert(k.clone(), **k);
    }
    g.bench_function(BenchmarkId::new("weak_table (SipHash)", N), |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for p in &probes {
                sum = sum.wrapping_add(*sip.get(p).unwrap());
            }
            black_box(sum)
        })
    });

    let mut ah: WeakKeyHashMap<Weak<u64>, u64, ahash::RandomState> =
        WeakKeyHashMap::with_hasher(ahash::RandomState::new());
    for k in &keys {
        ah.insert(k.clone(), **k);
    }
    g.bench_function(BenchmarkId::new("weak_table (ahash)", N), |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for p in &probes {
                sum = sum.wrapping_add(*ah.get(p).unwrap());
            }
            black_box(sum)
        })
    });

    // `Arc` keys: an upgrade is an atomic compare-and-swap, so both maps pay more.
    let akeys: Vec<Arc<u64>> = probes.iter().map(|p| Arc::new(*p)).collect();
    let mut ours_arc: WeakKeyMap<std::sync::Weak<u64>, u64> = WeakKeyMap::new();
    let mut theirs_arc: WeakKeyHashMap<std::sync::Weak<u64>, u64, ahash::RandomState> =
        WeakKeyHashMap::with_hasher(ahash::RandomState::new());
    for k in &akeys {
        ours_arc.insert(k, **k);
        theirs_arc.insert(k.clone(), **k);
    }
    g.bench_function(BenchmarkId::new("leakless::WeakKeyMap (Arc)", N), |b| {
        b.iter(|| probes.iter().fold(0u64, |s, p| s.wrapping_add(*ours_arc.get(p).unwrap())))
    });
    g.bench_function(BenchmarkId::new("weak_table (ahash, Arc)", N), |b| {
        b.iter(|| probes.iter().fold(0u64, |s, p| s.wrapping_add(*theirs_arc.get(p).unwrap())))
    });
    g.finish();
}

criterion_group!(benches, insert, get);
criterion_main!(benches);
