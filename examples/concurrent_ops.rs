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

#[path = "../benches/shared/concurrent_workloads.rs"]
mod workloads;

use workloads::{cache_named, map_named, mix_named, prefill, run, run_cache, Cache, Map, Mix};

#[inline(never)]
fn measured(map: &dyn Map, mix: Mix, ops: usize) {
    run(map, mix, ops, 0);
}

#[inline(never)]
fn measured_cache(cache: &dyn Cache, ops: usize) {
    run_cache(cache, ops, 0);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (map, workload) = (args.get(1).map_or("leakless", |s| s), args.get(2).map_or("readheavy", |s| s));
    let ops: usize = args.get(3).map_or(1 << 16, |s| s.parse().expect("ops"));
    if workload == "cache" {
        let cache = cache_named(map)();
        // Warm into the steady state the bench times (its runs repeat back to back):
        // after one stream of 65,536 requests the cache holds ~52k of its 65,536 entries,
        // and a measured stream would still be filling it (14k new nodes allocated
        // rather than evicted ones reused).
        for stream in 1..5 {
            run_cache(&*cache, 1 << 16, stream);
        }
        measured_cache(&*cache, ops);
        return;
    }
    let mix = mix_named(workload);
    let map = map_named(map)();
    prefill(&*map, mix);
    measured(&*map, mix, ops);
}
