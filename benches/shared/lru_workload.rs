//! The workload of `benches/lru.rs`, shared with `examples/lru_ab.rs`: the keys, the
//! caches under test and one replay of the keys through each.

#![allow(dead_code)] // each includer uses a part

use std::hint::black_box;
use std::num::NonZeroUsize;

use rand::{RngExt, SeedableRng};
use rand_distr::Zipf;

pub(crate) const CAPACITY: usize = 10_000;
const UNIVERSE: f64 = 1_000_000.0;
pub(crate) const REQUESTS: usize = 1 << 20;
/// Passes over the keys each cache runs before it is measured.
pub(crate) const WARM_PASSES: usize = 10;

/// Zipf(0.9) keys drawn from 1M, from a fixed seed.
pub(crate) fn keys() -> Vec<u64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let zipf = Zipf::new(UNIVERSE, 0.9).unwrap();
    (0..REQUESTS).map(|_| rng.sample(zipf) as u64).collect()
}

/// A cache under test.
pub(crate) trait Replay {
    /// Replays `keys` once: get, and insert on a miss. Returns the hits.
    fn replay(&mut self, keys: &[u64]) -> usize;
}

macro_rules! replay_impl {
    ($t:ty, |$c:ident, $k:ident| get: $get:expr, insert: $insert:expr) => {
        impl Replay for $t {
            fn replay(&mut self, keys: &[u64]) -> usize {
                let $c = self;
                let mut hits = 0;
                for &$k in keys {
                    if $get {
                        hits += 1;
                    } else {
                        $insert;
                    }
                }
                hits
            }
        }
    };
}

replay_impl!(leakless::LruMap<u64, u64>, |c, k| get: c.get(&k).is_some(), insert: c.insert(k, k));
replay_impl!(leakless::LruMap<u64, u64, leakless::DefaultHashBuilder, leakless::WTinyLfu>,
    |c, k| get: c.get(&k).is_some(), insert: c.insert(k, k));
replay_impl!(leakless::LruMap<u64, u64, hashbrown::DefaultHashBuilder>,
    |c, k| get: c.get(&k).is_some(), insert: c.insert(k, k));
replay_impl!(lru::LruCache<u64, u64>, |c, k| get: c.get(&k).is_some(), insert: c.put(k, k));
replay_impl!(hashlink::LruCache<u64, u64>, |c, k| get: c.get(&k).is_some(), insert: c.insert(k, k));
replay_impl!(schnellru::LruMap<u64, u64>, |c, k| get: c.get(&k).is_some(), insert: c.insert(k, k));
replay_impl!(schnellru::LruMap<u64, u64, schnellru::ByLength, hashbrown::DefaultHashBuilder>,
    |c, k| get: c.get(&k).is_some(), insert: c.insert(k, k));
replay_impl!(quick_cache::unsync::Cache<u64, u64>, |c, k| get: c.get(&k).is_some(), insert: c.insert(k, k));

/// Every cache under test, each with its default hasher (`ahash` for `LruMap` and
/// `schnellru`, `foldhash` for `lru`, `hashlink` and `quick_cache`; the `LruMap
/// (foldhash)` row uses the latter), built empty and warmed by [`WARM_PASSES`] passes
/// over `keys` (steady state: measuring fresh maps flatters the tables that slow down as
/// evictions leave tombstones; one `schnellru::LruMap` ran its first five passes in 17,
/// 22, 28, 33 and 34 ms).
pub(crate) fn warmed_caches(keys: &[u64]) -> Vec<(&'static str, Box<dyn Replay>)> {
    let mut caches: Vec<(&'static str, Box<dyn Replay>)> = vec![
        ("leakless::LruMap", Box::new(leakless::LruMap::<u64, u64>::new(CAPACITY))),
        (
            "leakless::LruMap<WTinyLfu>",
            Box::new(leakless::LruMap::builder().max_entries(CAPACITY).policy(leakless::WTinyLfu::default()).build()),
        ),
        (
            "leakless::LruMap (foldhash)",
            Box::new(
                leakless::LruMap::builder()
                    .max_entries(CAPACITY)
                    .hasher(hashbrown::DefaultHashBuilder::default())
                    .build(),
            ),
        ),
        ("lru::LruCache", Box::new(lru::LruCache::new(NonZeroUsize::new(CAPACITY).unwrap()))),
        ("hashlink::LruCache", Box::new(hashlink::LruCache::new(CAPACITY))),
        ("schnellru::LruMap", Box::new(schnellru::LruMap::new(schnellru::ByLength::new(CAPACITY as u32)))),
        (
            "schnellru::LruMap (foldhash)",
            Box::new(schnellru::LruMap::with_hasher(
                schnellru::ByLength::new(CAPACITY as u32),
                hashbrown::DefaultHashBuilder::default(),
            )),
        ),
        ("quick_cache::unsync::Cache", Box::new(quick_cache::unsync::Cache::new(CAPACITY))),
    ];
    for (_, c) in &mut caches {
        for _ in 0..WARM_PASSES {
            black_box(c.replay(keys));
        }
    }
    caches
}
