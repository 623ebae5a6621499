//! L3: unbounded growth. A cache keyed by request ids sees `n` distinct ids (each
//! looked up, then stored on the miss, as a memoizing cache does): a `std` `HashMap`
//! used as the cache against an `LruMap` bounded at `n / 200` entries (10 000 for 2M
//! ids).
//!
//! Bytes held are measured **at the end of the workload with the cache still alive**,
//! as a service holds it: dropping the map first would make both rows read zero. A
//! bounded cache holds its bound at every moment, so the `LruMap` row's held bytes are
//! close to its own (small) peak; what matters is that it holds under 1% of what the
//! unbounded map holds, and that this figure does not grow with `n`.

use std::collections::HashMap as StdMap;

use leakless::LruMap;

use super::alloc::Window;
use super::{Row, Rule, Sampler, Scenario};

/// What the cache stores per request: a small response digest.
type Response = [u8; 16];

fn respond(id: u64) -> Response {
    let mut r = [0u8; 16];
    r[..8].copy_from_slice(&id.to_le_bytes());
    r
}

/// Run the scenario with `n` distinct request ids.
pub fn run(n: usize) -> Scenario {
    let bound = (n / 200).max(1);

    let ordinary = serve(
        "std::collections::HashMap",
        n,
        StdMap::new(),
        |cache, id| {
            cache.entry(id).or_insert_with(|| respond(id));
        },
        StdMap::len,
    );
    let leakless = serve(
        "leakless::LruMap",
        n,
        LruMap::new(bound),
        |cache, id| {
            if cache.get(&id).is_none() {
                cache.insert(id, respond(id));
            }
        },
        LruMap::len,
    );

    Scenario {
        rule: Rule::Bounded,
        id: "L3",
        leak: "unbounded growth",
        workload: format!("{n} distinct request ids through a cache (LruMap bound {bound}); held = cache still alive"),
        ordinary: vec![ordinary],
        leakless,
    }
}

/// `n` distinct request ids through `cache` (`request` looks one up and stores it on a
/// miss); the row is measured with the cache still alive.
fn serve<C>(
    map: &'static str,
    n: usize,
    mut cache: C,
    mut request: impl FnMut(&mut C, u64),
    len: impl Fn(&C) -> usize,
) -> Row {
    let w = Window::open();
    let mut s = Sampler::new(n);
    for i in 0..n {
        request(&mut cache, (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        s.tick(i, &w);
    }
    let row = Row { map, peak: w.peak(), held: w.held(), live: len(&cache), cleaned: None, samples: s.finish(&w) };
    drop(cache);
    row
}
