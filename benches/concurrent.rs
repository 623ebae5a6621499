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
//! on a miss. Throughput is reported per operation.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

type H = ahash::RandomState;
const OPS: usize = 1 << 16;
const KEYS: u64 = 1 << 16;

trait Map: Send + Sync {
    fn get(&self, k: u64) -> bool;
    fn insert(&self, k: u64, v: u64);
    fn remove(&self, k: u64);
    fn update(&self, k: u64);
}

impl Map for leakless::ConcurrentMap<u64, u64, H> {
    fn get(&self, k: u64) -> bool {
        self.get_with(&k, |v| black_box(*v)).is_some()
    }
    fn insert(&self, k: u64, v: u64) {
        leakless::ConcurrentMap::insert(self, k, v);
    }
    fn remove(&self, k: u64) {
        leakless::ConcurrentMap::remove(self, &k);
    }
    fn update(&self, k: u64) {
        leakless::ConcurrentMap::update(self, k, |v| v + 1);
    }
}

impl Map for papaya::HashMap<u64, u64, H> {
    fn get(&self, k: u64) -> bool {
        self.pin().get(&k).map(|v| black_box(*v)).is_some()
    }
    fn insert(&self, k: u64, v: u64) {
        self.pin().insert(k, v);
    }
    fn remove(&self, k: u64) {
        self.pin().remove(&k);
    }
    fn update(&self, k: u64) {
        self.pin().update(k, |v| v + 1);
    }
}

impl Map for scc::HashMap<u64, u64, H> {
    fn get(&self, k: u64) -> bool {
        self.read_sync(&k, |_, v| black_box(*v)).is_some()
    }
    fn insert(&self, k: u64, v: u64) {
        self.upsert_sync(k, v);
    }
    fn remove(&self, k: u64) {
        self.remove_sync(&k);
    }
    fn update(&self, k: u64) {
        self.update_sync(&k, |_, v| *v += 1);
    }
}

impl Map for dashmap::DashMap<u64, u64, H> {
    fn get(&self, k: u64) -> bool {
        self.get(&k).map(|v| black_box(*v)).is_some()
    }
    fn insert(&self, k: u64, v: u64) {
        dashmap::DashMap::insert(self, k, v);
    }
    fn remove(&self, k: u64) {
        dashmap::DashMap::remove(self, &k);
    }
    fn update(&self, k: u64) {
        if let Some(mut v) = self.get_mut(&k) {
            *v += 1;
        }
    }
}

fn hasher() -> H {
    ahash::RandomState::with_seeds(1, 2, 3, 4)
}

type MakeMap = fn() -> Box<dyn Map>;

fn maps() -> Vec<(&'static str, MakeMap)> {
    vec![
        ("leakless", || Box::new(leakless::ConcurrentMap::with_hasher(hasher()))),
        ("papaya", || Box::new(papaya::HashMap::with_hasher(hasher()))),
        ("scc", || Box::new(scc::HashMap::with_hasher(hasher()))),
        ("dashmap", || Box::new(dashmap::DashMap::with_hasher(hasher()))),
    ]
}

struct Rng(u64);
impl Rng {
    #[inline]
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// (read, insert, remove) percentages; the rest are updates.
#[derive(Clone, Copy)]
struct Mix {
    name: &'static str,
    read: u64,
    insert: u64,
    remove: u64,
    prefill: bool,
    grow: bool,
}

const MIXES: [Mix; 3] = [
    Mix { name: "ReadHeavy", read: 98, insert: 1, remove: 1, prefill: true, grow: false },
    Mix { name: "Exchange", read: 10, insert: 40, remove: 40, prefill: true, grow: false },
    Mix { name: "RapidGrow", read: 5, insert: 80, remove: 5, prefill: false, grow: true },
];

fn run(map: &dyn Map, mix: Mix, thread: usize) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((thread as u64 + 1) * 0x1234_5678));
    let mut fresh = (thread as u64) << 40;
    for _ in 0..OPS {
        let r = rng.next();
        let key = if mix.grow { fresh } else { (r >> 8) % KEYS };
        match r % 100 {
            p if p < mix.read => {
                black_box(map.get(if mix.grow { (r >> 8) % (fresh + 1) } else { key }));
            }
            p if p < mix.read + mix.insert => {
                map.insert(key, r);
                fresh += 1;
            }
            p if p < mix.read + mix.insert + mix.remove => map.remove(if mix.grow { fresh / 2 } else { key }),
            _ => map.update(key),
        }
    }
}

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
                            if mix.prefill {
                                for k in (0..KEYS).step_by(2) {
                                    map.insert(k, k);
                                }
                            }
                            let start = Instant::now();
                            std::thread::scope(|s| {
                                for t in 1..threads {
                                    let map = &*map;
                                    s.spawn(move || run(map, mix, t));
                                }
                                run(&*map, mix, 0);
                            });
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

const CAP: usize = 1 << 16;

trait Cache: Send + Sync {
    fn get_or_insert(&self, k: u64);
}

impl Cache for leakless::ConcurrentMap<u64, u64, H> {
    fn get_or_insert(&self, k: u64) {
        if self.get_with(&k, |v| black_box(*v)).is_none() {
            self.insert(k, k);
        }
    }
}

impl Cache for moka::sync::Cache<u64, u64, H> {
    fn get_or_insert(&self, k: u64) {
        if self.get(&k).is_none() {
            self.insert(k, k);
        }
    }
}

impl Cache for quick_cache::sync::Cache<u64, u64, quick_cache::UnitWeighter, H> {
    fn get_or_insert(&self, k: u64) {
        if self.get(&k).is_none() {
            self.insert(k, k);
        }
    }
}

type MakeCache = fn() -> Box<dyn Cache>;

fn caches() -> Vec<(&'static str, MakeCache)> {
    vec![
        ("leakless", || Box::new(leakless::ConcurrentMap::builder().max_entries(CAP).hasher(hasher()).build())),
        ("moka", || Box::new(moka::sync::Cache::builder().max_capacity(CAP as u64).build_with_hasher(hasher()))),
        ("quick_cache", || {
            Box::new(quick_cache::sync::Cache::with(
                CAP,
                CAP as u64,
                quick_cache::UnitWeighter,
                hasher(),
                quick_cache::sync::DefaultLifecycle::default(),
            ))
        }),
    ]
}

fn run_cache(cache: &dyn Cache, thread: usize) {
    let mut rng = Rng(0xDEAD_BEEF ^ ((thread as u64 + 1) * 0x9876_5431));
    let space = 4 * CAP as u64;
    for _ in 0..OPS {
        let r = rng.next() % space;
        // Quadratic skew: small keys are hot.
        cache.get_or_insert(r * r / space);
    }
}

fn bounded(c: &mut Criterion) {
    for threads in [1, 2] {
        let mut g = c.benchmark_group(format!("Cache/{threads}t"));
        g.throughput(Throughput::Elements((OPS * threads) as u64));
        for (name, make) in caches() {
            g.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.iter_custom(|iters| {
                    let cache = make();
                    run_cache(&*cache, 7); // warm
                    let start = Instant::now();
                    for _ in 0..iters {
                        std::thread::scope(|s| {
                            for t in 1..threads {
                                let cache = &*cache;
                                s.spawn(move || run_cache(cache, t));
                            }
                            run_cache(&*cache, 0);
                        });
                    }
                    start.elapsed()
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, unbounded, bounded);
criterion_main!(benches);
