//! The workloads of `benches/concurrent.rs`, run interleaved: every round runs each
//! named map once, in turn, so a slow spell of a shared host slows every map alike.
//! Prints each map's median time per run and its throughput relative to the first map.
//!
//! ```text
//! cargo run --release --example concurrent_ab -- <workload> <threads> [rounds] [maps]
//! cargo run --release --example concurrent_ab -- readheavy 1 300 leakless,papaya,scc
//! cargo run --release --example concurrent_ab -- cache 2 100 leakless,quick_cache
//! ```
//!
//! `<workload>`: readheavy, exchange, rapidgrow (maps: leakless, papaya, scc, dashmap),
//! cache or churn (leakless, moka, quick_cache). `cache` is the bench's: every round
//! replays the same streams into a warm cache. On one thread every request after the
//! first run hits; on two, about 70% do, as the two threads' streams together hold more
//! keys than the bound (the run prints the share for `leakless`). `churn` runs fresh
//! streams every round into a full cache: about 60% of the requests miss and evict. The
//! caches live for the whole run, and with `moka` among them the two-thread ratio of the
//! others moves (leakless / quick_cache: 1.50 and 1.64 without `moka`, 0.88 and 0.96
//! with it, in back-to-back runs): compare two caches at two threads without `moka` in
//! the list. Criterion (`cargo bench --bench concurrent`) stays the benchmark of record;
//! this is for A/B comparisons on a noisy machine, where two criterion runs minutes apart
//! can differ by more than the maps do.

#[path = "../benches/shared/ab.rs"]
mod ab;
#[path = "../benches/shared/concurrent_workloads.rs"]
mod workloads;

use ab::{medians, millis};
use workloads::{cache_named, map_named, mix_named, on_threads, prefill, run, CacheRun, CAP, OPS};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let workload = args.get(1).map_or("readheavy", String::as_str);
    let threads: usize = args.get(2).map_or(1, |s| s.parse().expect("threads"));
    let rounds: usize = args.get(3).map_or(100, |s| s.parse().expect("rounds"));
    let cache_run = CacheRun::named(workload);
    let default = if cache_run.is_some() { "leakless,quick_cache,moka" } else { "leakless,papaya,scc,dashmap" };
    let names: Vec<&str> = args.get(4).map_or(default, String::as_str).split(',').collect();
    let mut times = vec![Vec::with_capacity(rounds); names.len()];
    let mut notes = Vec::new();
    if let Some(mode) = cache_run {
        let built: Vec<_> = names
            .iter()
            .map(|n| {
                let cache = cache_named(n)(CAP);
                mode.warm(&*cache);
                cache
            })
            .collect();
        let before: Vec<_> = built.iter().map(|c| c.hits_and_misses()).collect();
        for round in 0..rounds {
            for (cache, t) in built.iter().zip(&mut times) {
                if mode == CacheRun::Replay {
                    // The bench times back-to-back runs of the same streams: replay them
                    // once untimed, so the CPU caches hold this cache again, not the last
                    // one run. (Churn's streams are fresh every round, the same for
                    // every cache.)
                    mode.run(&**cache, round, threads);
                }
                t.push(millis(|| mode.run(&**cache, round, threads)));
            }
        }
        // The share of requests that hit, for the caches that count them: at two threads
        // the `cache` workload's two streams together hold more keys than the bound, so
        // it is not the all-hit workload it is on one.
        for ((n, cache), start) in names.iter().zip(&built).zip(before) {
            if let (Some((h0, m0)), Some((h1, m1))) = (start, cache.hits_and_misses()) {
                let (h, m) = (h1 - h0, m1 - m0);
                let share = 100.0 * h as f64 / (h + m).max(1) as f64;
                notes.push(format!("  {n:>12}: {share:.1}% of the {} requests after warming hit", h + m));
            }
        }
    } else {
        let mix = mix_named(workload);
        let makers: Vec<_> = names.iter().map(|n| map_named(n)).collect();
        for _ in 0..rounds {
            for (make, t) in makers.iter().zip(&mut times) {
                let map = make();
                prefill(&*map, mix);
                t.push(millis(|| on_threads(threads, |i| run(&*map, mix, OPS, i))));
            }
        }
    }
    let medians = medians(&mut times);
    println!("{workload}, {threads} thread(s), {rounds} rounds of {OPS} ops per thread");
    for (n, m) in names.iter().zip(&medians) {
        println!("  {n:>12}: median {m:8.3} ms   {} throughput / {n}'s: {:.2}", names[0], m / medians[0]);
    }
    notes.iter().for_each(|n| println!("{n}"));
}
