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
//! quick_cache (the cache workloads). `<workload>`: readheavy, exchange, rapidgrow,
//! cache, churn (a cache workload runs one stream after the bench's warm-up: `cache`
//! the first run the bench times, mostly filling the cache; `churn` a fresh stream into
//! a full cache). Only
//! `measured` (the workload, after any prefill or warm-up) is counted: divide
//! callgrind's total by `ops`.

#[path = "../benches/shared/concurrent_workloads.rs"]
mod workloads;

use workloads::{cache_named, map_named, mix_named, prefill, run, run_cache, Cache, CacheRun, Map, Mix, CAP};

#[inline(never)]
fn measured(map: &dyn Map, mix: Mix, ops: usize) {
    run(map, mix, ops, 0);
}

#[inline(never)]
fn measured_cache(cache: &dyn Cache, ops: usize, stream: usize) {
    run_cache(cache, ops, stream);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (map, workload) = (args.get(1).map_or("leakless", |s| s), args.get(2).map_or("readheavy", |s| s));
    let ops: usize = args.get(3).map_or(1 << 16, |s| s.parse().expect("ops"));
    if let Some(mode) = CacheRun::named(workload) {
        let cache = cache_named(map)(CAP);
        mode.warm(&*cache);
        measured_cache(&*cache, ops, mode.first_stream(0, 1));
        return;
    }
    let mix = mix_named(workload);
    let map = map_named(map)();
    prefill(&*map, mix);
    measured(&*map, mix, ops);
}
