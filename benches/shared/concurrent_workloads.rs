//! The workloads of `benches/concurrent.rs`, shared with `examples/concurrent_ops.rs`
//! (which runs one of them under callgrind): the map and cache adapters, the mixes and
//! the per-thread operation streams.

#![allow(dead_code)] // each includer uses a part

use std::hint::black_box;

pub(crate) type H = ahash::RandomState;
/// Operations per thread per run.
pub(crate) const OPS: usize = 1 << 16;
pub(crate) const KEYS: u64 = 1 << 16;

pub(crate) trait Map: Send + Sync {
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

pub(crate) fn hasher() -> H {
    ahash::RandomState::with_seeds(1, 2, 3, 4)
}

pub(crate) type MakeMap = fn() -> Box<dyn Map>;

pub(crate) fn maps() -> Vec<(&'static str, MakeMap)> {
    vec![
        ("leakless", || Box::new(leakless::ConcurrentMap::with_hasher(hasher()))),
        ("papaya", || Box::new(papaya::HashMap::with_hasher(hasher()))),
        ("scc", || Box::new(scc::HashMap::with_hasher(hasher()))),
        ("dashmap", || Box::new(dashmap::DashMap::with_hasher(hasher()))),
    ]
}

/// The maker of the map named `name` in [`maps`] (panics on an unknown name).
pub(crate) fn map_named(name: &str) -> MakeMap {
    maps().into_iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("unknown map {name}")).1
}

/// The mix named `name` in [`MIXES`], ignoring case (panics on an unknown name).
pub(crate) fn mix_named(name: &str) -> Mix {
    MIXES.into_iter().find(|m| m.name.eq_ignore_ascii_case(name)).unwrap_or_else(|| panic!("unknown workload {name}"))
}

pub(crate) struct Rng(pub(crate) u64);
impl Rng {
    #[inline]
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// (read, insert, remove) percentages; the rest are updates.
#[derive(Clone, Copy)]
pub(crate) struct Mix {
    pub(crate) name: &'static str,
    pub(crate) read: u64,
    pub(crate) insert: u64,
    pub(crate) remove: u64,
    pub(crate) prefill: bool,
    pub(crate) grow: bool,
}

pub(crate) const MIXES: [Mix; 3] = [
    Mix { name: "ReadHeavy", read: 98, insert: 1, remove: 1, prefill: true, grow: false },
    Mix { name: "Exchange", read: 10, insert: 40, remove: 40, prefill: true, grow: false },
    Mix { name: "RapidGrow", read: 5, insert: 80, remove: 5, prefill: false, grow: true },
];

/// Fill every other key of the key space if `mix` starts from a populated map.
pub(crate) fn prefill(map: &dyn Map, mix: Mix) {
    if mix.prefill {
        for k in (0..KEYS).step_by(2) {
            map.insert(k, k);
        }
    }
}

/// Runs `work(t)` for every thread number `t` in `0..threads` at once: `1..threads` on
/// spawned threads, `0` on the calling one.
pub(crate) fn on_threads(threads: usize, work: impl Fn(usize) + Sync) {
    std::thread::scope(|s| {
        for t in 1..threads {
            let work = &work;
            s.spawn(move || work(t));
        }
        work(0);
    });
}

/// `ops` operations of `mix` from thread number `thread` (its own stream of keys).
pub(crate) fn run(map: &dyn Map, mix: Mix, ops: usize, thread: usize) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((thread as u64 + 1) * 0x1234_5678));
    let mut fresh = (thread as u64) << 40;
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

pub(crate) const CAP: usize = 1 << 16;

pub(crate) trait Cache: Send + Sync {
    /// Reads `k`, and inserts it on a miss; `true` on a hit.
    fn get_or_insert(&self, k: u64) -> bool;

    /// Hits and misses so far, for a cache that counts them (`ConcurrentMap::stats`).
    fn hits_and_misses(&self) -> Option<(u64, u64)> {
        None
    }
}

impl Cache for leakless::ConcurrentMap<u64, u64, H> {
    fn get_or_insert(&self, k: u64) -> bool {
        let hit = self.get_with(&k, |v| black_box(*v)).is_some();
        if !hit {
            self.insert(k, k);
        }
        hit
    }

    fn hits_and_misses(&self) -> Option<(u64, u64)> {
        let s = self.stats();
        Some((s.hits, s.misses))
    }
}

impl Cache for moka::sync::Cache<u64, u64, H> {
    fn get_or_insert(&self, k: u64) -> bool {
        let hit = self.get(&k).is_some();
        if !hit {
            self.insert(k, k);
        }
        hit
    }
}

impl Cache for quick_cache::sync::Cache<u64, u64, quick_cache::UnitWeighter, H> {
    fn get_or_insert(&self, k: u64) -> bool {
        let hit = self.get(&k).is_some();
        if !hit {
            self.insert(k, k);
        }
        hit
    }
}

/// Makes a cache bounded to the given number of entries.
pub(crate) type MakeCache = fn(usize) -> Box<dyn Cache>;

pub(crate) fn caches() -> Vec<(&'static str, MakeCache)> {
    vec![
        ("leakless", |cap| Box::new(leakless::ConcurrentMap::builder().max_entries(cap).hasher(hasher()).build())),
        ("moka", |cap| Box::new(moka::sync::Cache::builder().max_capacity(cap as u64).build_with_hasher(hasher()))),
        ("quick_cache", |cap| {
            Box::new(quick_cache::sync::Cache::with(
                cap,
                cap as u64,
                quick_cache::UnitWeighter,
                hasher(),
                quick_cache::sync::DefaultLifecycle::default(),
            ))
        }),
    ]
}

/// The maker of the cache named `name` in [`caches`] (panics on an unknown name).
pub(crate) fn cache_named(name: &str) -> MakeCache {
    caches().into_iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("unknown cache {name}")).1
}

/// The two cache workloads: how a cache is warmed, and which streams each run takes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum CacheRun {
    /// `cache`: every run replays the same streams (one per thread) into a warm cache.
    /// On one thread every request after the first run hits; on two about 70% do, as
    /// the two streams together hold more keys than the bound.
    Replay,
    /// `churn`: every run takes fresh streams into a full cache, so about 60% of the
    /// requests miss and evict.
    Churn,
}

impl CacheRun {
    /// The workload named `name` (`cache` or `churn`), if it is one of these.
    pub(crate) fn named(name: &str) -> Option<Self> {
        match name {
            "cache" => Some(Self::Replay),
            "churn" => Some(Self::Churn),
            _ => None,
        }
    }

    /// Warms a new cache: one stream for `Replay`; for `Churn`, five, into the steady
    /// state of a full cache (after one stream it holds ~52k of its [`CAP`] entries, and a
    /// measured stream would still be filling it rather than evicting).
    pub(crate) fn warm(self, cache: &dyn Cache) {
        let streams = match self {
            Self::Replay => 1,
            Self::Churn => 5,
        };
        (7..7 + streams).for_each(|s| run_cache(cache, OPS, s));
    }

    /// The stream of thread 0 in run number `run` on `threads` threads (thread `t` takes
    /// the next `t`-th): the same every run for `Replay`, fresh ones (past the warm-up's)
    /// for `Churn`.
    pub(crate) fn first_stream(self, run: usize, threads: usize) -> usize {
        match self {
            Self::Replay => 0,
            Self::Churn => 1000 + run * threads,
        }
    }

    /// Run number `run`: [`OPS`] requests from each of `threads` threads.
    pub(crate) fn run(self, cache: &dyn Cache, run: usize, threads: usize) {
        let first = self.first_stream(run, threads);
        on_threads(threads, |t| run_cache(cache, OPS, first + t));
    }
}

/// The request stream of thread number `thread` for a cache bounded to `cap` entries:
/// keys below `4 * cap` with a quadratic skew (small keys are hot).
pub(crate) fn cache_stream(cap: usize, thread: usize) -> impl Iterator<Item = u64> {
    let mut rng = Rng(0xDEAD_BEEF ^ ((thread as u64 + 1) * 0x9876_5431));
    let space = 4 * cap as u64;
    std::iter::repeat_with(move || {
        let r = rng.next() % space;
        r * r / space
    })
}

/// `ops` cache steps from thread number `thread`, at the bench's bound [`CAP`].
pub(crate) fn run_cache(cache: &dyn Cache, ops: usize, thread: usize) {
    for k in cache_stream(CAP, thread).take(ops) {
        cache.get_or_insert(k);
    }
}
