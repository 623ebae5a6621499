//! One single-threaded run of a `benches/concurrent.rs` workload through one map, for
//! counting instructions per operation with callgrind (repeatable where wall-clock
//! benches on a shared machine are not).
//!
//! ```text
//! cargo build --release --example concurrent_ops
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect='*measured*' \
//!     target/release/examples/concurrent_ops <map> <workload> [ops]
//! ```
//!
//! `<map>`: leakless, papaya, scc, dashmap (unbounded workloads) or leakless, moka,
//! quick_cache (the `cache` workload). `<workload>`: readheavy, exchange, rapidgrow,
//! cache. Only `measured` (the workload, after any prefill or warm-up) is counted:
//! divide callgrind's total by `ops`.

use std::hint::black_box;

type H = ahash::RandomState;
const KEYS: u64 = 1 << 16;
const CAP: usize = 1 << 16;

trait Map {
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

/// The cache workload's step: read, insert on a miss.
trait Cache {
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

fn hasher() -> H {
    ahash::RandomState::with_seeds(1, 2, 3, 4)
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

/// (read, insert, remove) percentages, as in the bench; the rest are updates.
#[derive(Clone, Copy)]
struct Mix {
    read: u64,
    insert: u64,
    remove: u64,
    prefill: bool,
    grow: bool,
}

#[inline(never)]
fn measured(map: &dyn Map, mix: Mix, ops: usize) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ 0x1234_5678);
    let mut fresh = 0u64;
    for _ in 0..ops {
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

fn cache_run(cache: &dyn Cache, seed: u64, ops: usize) {
    let mut rng = Rng(0xDEAD_BEEF ^ seed);
    let space = 4 * CAP as u64;
    for _ in 0..ops {
        let r = rng.next() % space;
        cache.get_or_insert(r * r / space);
    }
}

#[inline(never)]
fn measured_cache(cache: &dyn Cache, ops: usize) {
    cache_run(cache, 0x9876_5431, ops);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (map, workload) = (args.get(1).map_or("leakless", |s| s), args.get(2).map_or("readheavy", |s| s));
    let ops: usize = args.get(3).map_or(1 << 16, |s| s.parse().expect("ops"));
    if workload == "cache" {
        let cache: Box<dyn Cache> = match map {
            "leakless" => Box::new(leakless::ConcurrentMap::builder().max_entries(CAP).hasher(hasher()).build()),
            "moka" => Box::new(moka::sync::Cache::builder().max_capacity(CAP as u64).build_with_hasher(hasher())),
            "quick_cache" => Box::new(quick_cache::sync::Cache::with(
                CAP,
                CAP as u64,
                quick_cache::UnitWeighter,
                hasher(),
                quick_cache::sync::DefaultLifecycle::default(),
            )),
            other => panic!("unknown cache {other}"),
        };
        cache_run(&*cache, 7, 1 << 16);
        measured_cache(&*cache, ops);
        return;
    }
    let mix = match workload {
        "readheavy" => Mix { read: 98, insert: 1, remove: 1, prefill: true, grow: false },
        "exchange" => Mix { read: 10, insert: 40, remove: 40, prefill: true, grow: false },
        "rapidgrow" => Mix { read: 5, insert: 80, remove: 5, prefill: false, grow: true },
        other => panic!("unknown workload {other}"),
    };
    let map: Box<dyn Map> = match map {
        "leakless" => Box::new(leakless::ConcurrentMap::with_hasher(hasher())),
        "papaya" => Box::new(papaya::HashMap::with_hasher(hasher())),
        "scc" => Box::new(scc::HashMap::with_hasher(hasher())),
        "dashmap" => Box::new(dashmap::DashMap::with_hasher(hasher())),
        other => panic!("unknown map {other}"),
    };
    if mix.prefill {
        for k in (0..KEYS).step_by(2) {
            map.insert(k, k);
        }
    }
    measured(&*map, mix, ops);
}
