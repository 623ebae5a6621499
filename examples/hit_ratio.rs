//! Hit ratios on real traces: `LruMap` (exact LRU and W-TinyLFU) against `lru`,
//! `quick_cache::unsync` and `mini_moka::unsync`, side by side; then the bounded
//! `ConcurrentMap` (CLOCK) against the concurrent caches `quick_cache::sync` and
//! `moka::sync`.
//!
//! ```text
//! cargo run --release --example hit_ratio [TRACES_DIR]
//! ```
//!
//! The traces directory is the first argument, else `$LEAKLESS_TRACES`, else
//! `../shared/traces` relative to the crate root (formats in its README). Each trace is
//! replayed at several capacities: for every request, `get`; on a miss, `insert`.
//!
//! W-TinyLFU's frequency sketch hashes keys with the map's hasher, so its hit ratio
//! depends a little on the hash seed (on the small rows, by up to about a point). Its
//! column is the mean over [`SEEDS`] fixed seeds, and the verdict counts the seeds in
//! which some row falls more than 2 points below the best peer: the run is reproducible
//! and does not hinge on one lucky or unlucky seed. (`mini_moka` seeds its own hasher, so
//! its column, and with it the count, can move by a few hundredths between runs.)

use std::io::{BufRead, BufReader, Read};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use leakless::{ConcurrentMap, FixedState, LruMap, WTinyLfu};

/// Hash seeds W-TinyLFU runs with (`FixedState::with_seed(0..SEEDS)`).
const SEEDS: u64 = 40;
/// Hash seeds the bounded `ConcurrentMap` runs with: its CLOCK hand sweeps the buckets,
/// so which entry it meets first, and with it the hit ratio, depends a little on the
/// seed.
const CONCURRENT_SEEDS: u64 = 4;

/// Turns a decompressed trace into its keys.
type Parser = fn(&[u8]) -> Vec<u64>;

/// A trace's name, its file, its parser, and the capacities it is replayed at.
const TRACES: &[(&str, &str, Parser, &[usize])] = &[
    ("OLTP", "OLTP.lis.zst", parse_arc, &[250, 500, 1000, 2000]),
    ("lirs loop", "lirs_loop.trace.gz", parse_lines, &[256, 512, 1024]),
    ("lirs multi1", "lirs_multi1.trace.gz", parse_lines, &[250, 500, 1000]),
    ("cache2k web07", "cache2k_web07.trace.xz", parse_be_u32, &[500, 1000, 2000, 4000]),
];

const COLUMNS: [&str; 5] = ["LruMap (LRU)", "LruMap (W-TinyLFU)", "lru", "quick_cache", "mini_moka"];
/// The columns that are peers (not this crate).
const PEERS: std::ops::Range<usize> = 2..5;

fn decompress(path: &Path) -> Vec<u8> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    let name = path.to_string_lossy();
    if name.ends_with(".zst") {
        zstd::stream::read::Decoder::new(file).unwrap().read_to_end(&mut out).unwrap();
    } else if name.ends_with(".gz") {
        flate2::read::GzDecoder::new(file).read_to_end(&mut out).unwrap();
    } else if name.ends_with(".xz") {
        lzma_rs::xz_decompress(&mut BufReader::new(file), &mut out).unwrap();
    } else {
        BufReader::new(file).read_to_end(&mut out).unwrap();
    }
    out
}

/// ARC format: `start_block n_blocks ignore request_no` per line, requesting
/// `start .. start + n`.
fn parse_arc(data: &[u8]) -> Vec<u64> {
    let mut keys = Vec::new();
    for line in data.lines() {
        let line = line.unwrap();
        let mut f = line.split_whitespace().map(|x| x.parse::<u64>().unwrap());
        if let (Some(start), Some(n)) = (f.next(), f.next()) {
            keys.extend(start..start + n);
        }
    }
    keys
}

/// One integer key per line.
fn parse_lines(data: &[u8]) -> Vec<u64> {
    data.lines().filter_map(|l| l.unwrap().trim().parse::<u64>().ok()).collect()
}

/// Big-endian `u32` keys.
fn parse_be_u32(data: &[u8]) -> Vec<u64> {
    data.chunks_exact(4).map(|c| u64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]]))).collect()
}

/// Replays `keys` through one cache: for every key, `get`; on a miss, `insert`. The hits.
macro_rules! count_hits {
    ($keys:expr, |$k:ident| get: $get:expr, insert: $insert:expr) => {{
        let mut hits = 0usize;
        for &$k in $keys {
            if $get {
                hits += 1;
            } else {
                $insert;
            }
        }
        hits
    }};
}

/// W-TinyLFU's hits on `keys` at `cap` with hash seed `seed`.
fn replay_tlfu(keys: &[u64], cap: usize, seed: u64) -> usize {
    let mut tlfu =
        LruMap::builder().max_entries(cap).hasher(FixedState::with_seed(seed)).policy(WTinyLfu::default()).build();
    count_hits!(keys, |k| get: tlfu.get(&k).is_some(), insert: tlfu.insert(k, ()))
}

/// Hits of each column on `keys` at `cap` (W-TinyLFU's: 0, see [`replay_tlfu`]).
fn replay(keys: &[u64], cap: usize) -> [usize; 5] {
    let mut ours = LruMap::new(cap);
    let mut lru = lru::LruCache::new(NonZeroUsize::new(cap).unwrap());
    let mut qc = quick_cache::unsync::Cache::new(cap);
    let mut mm = mini_moka::unsync::Cache::new(cap as u64);
    [
        count_hits!(keys, |k| get: ours.get(&k).is_some(), insert: ours.insert(k, ())),
        0,
        count_hits!(keys, |k| get: lru.get(&k).is_some(), insert: lru.put(k, ())),
        count_hits!(keys, |k| get: qc.get(&k).is_some(), insert: qc.insert(k, ())),
        count_hits!(keys, |k| get: mm.get(&k).is_some(), insert: mm.insert(k, ())),
    ]
}

const CONCURRENT_COLUMNS: [&str; 3] = ["ConcurrentMap", "quick_cache::sync", "moka::sync"];

/// Hits of each concurrent cache on `keys` at `cap`, replayed from one thread
/// (`ConcurrentMap`'s: the mean over [`CONCURRENT_SEEDS`] hash seeds). `moka` applies
/// its policy in batches; running its pending tasks after every insert makes its
/// replay deterministic.
fn replay_concurrent(keys: &[u64], cap: usize) -> [f64; 3] {
    let clock: usize = (0..CONCURRENT_SEEDS)
        .map(|seed| {
            let m = ConcurrentMap::builder().max_entries(cap).hasher(FixedState::with_seed(seed)).build();
            count_hits!(keys, |k| get: m.get_with(&k, |_| ()).is_some(), insert: m.insert(k, ()))
        })
        .sum();
    let qc = quick_cache::sync::Cache::new(cap);
    let mk = moka::sync::Cache::new(cap as u64);
    [
        clock as f64 / CONCURRENT_SEEDS as f64,
        count_hits!(keys, |k| get: qc.get(&k).is_some(), insert: qc.insert(k, ())) as f64,
        count_hits!(keys, |k| get: mk.get(&k).is_some(), insert: {
            mk.insert(k, ());
            mk.run_pending_tasks();
        }) as f64,
    ]
}

fn traces_dir() -> PathBuf {
    if let Some(d) = std::env::args_os().nth(1) {
        return d.into();
    }
    if let Some(d) = std::env::var_os("LEAKLESS_TRACES") {
        return d.into();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/traces")
}

fn main() {
    let dir = traces_dir();
    println!("traces from {}\n", dir.display());
    print_header(&COLUMNS);
    let mut rows: Vec<[f64; 5]> = Vec::new();
    let mut lru_matches = true;
    // The largest shortfall against the best peer of a row, per seed.
    let mut seed_gap = vec![f64::MIN; SEEDS as usize];
    let mut traces = Vec::new();
    for &(name, file, parse, caps) in TRACES {
        let keys = parse(&decompress(&dir.join(file)));
        traces.push((name, caps, keys));
    }
    for &(name, caps, ref keys) in &traces {
        let percent = |h: usize| 100.0 * h as f64 / keys.len() as f64;
        for &cap in caps {
            let hits = replay(keys, cap);
            lru_matches &= hits[0] == hits[2];
            let mut pct = hits.map(percent);
            let best_peer = PEERS.map(|c| pct[c]).fold(f64::MIN, f64::max);
            let tlfu: Vec<f64> = (0..SEEDS).map(|seed| percent(replay_tlfu(keys, cap, seed))).collect();
            for (gap, p) in seed_gap.iter_mut().zip(&tlfu) {
                *gap = gap.max(best_peer - p);
            }
            pct[1] = tlfu.iter().sum::<f64>() / SEEDS as f64;
            print_row(name, &cap.to_string(), &pct);
            rows.push(pct);
        }
    }
    let mean = print_means(&rows);
    let best_peer_mean = PEERS.map(|c| mean[c]).fold(f64::MIN, f64::max);
    let worst_gap = rows.iter().map(|r| PEERS.map(|c| r[c]).fold(f64::MIN, f64::max) - r[1]).fold(f64::MIN, f64::max);
    let failing = seed_gap.iter().filter(|&&g| g > 2.0).count();
    let worst_seed_gap = seed_gap.iter().copied().fold(f64::MIN, f64::max);
    println!("exact LRU equals `lru` hit for hit on every row: {}", if lru_matches { "yes" } else { "NO" });
    println!(
        "W-TinyLFU mean {:.2}% vs best peer mean {:.2}%: {}",
        mean[1],
        best_peer_mean,
        if mean[1] >= best_peer_mean { "ok" } else { "BELOW" }
    );
    println!(
        "W-TinyLFU's largest shortfall against the best peer of a row (mean of {SEEDS} seeds): {:.2} points ({})",
        worst_gap.max(0.0),
        if worst_gap <= 2.0 { "ok, at most 2" } else { "MORE than 2" }
    );
    println!(
        "seeds in which some W-TinyLFU row is more than 2 points below the best peer: {failing} of {SEEDS} \
         (largest shortfall of any seed: {:.2} points)",
        worst_seed_gap.max(0.0)
    );
    concurrent(&traces);
}

/// The second table: the bounded `ConcurrentMap` against the concurrent caches.
fn concurrent(traces: &[(&str, &[usize], Vec<u64>)]) {
    println!("\nconcurrent caches (ConcurrentMap: mean of {CONCURRENT_SEEDS} hash seeds)\n");
    print_header(&CONCURRENT_COLUMNS);
    let mut rows = Vec::new();
    for &(name, caps, ref keys) in traces {
        for &cap in caps {
            let pct = replay_concurrent(keys, cap).map(|h| 100.0 * h / keys.len() as f64);
            print_row(name, &cap.to_string(), &pct);
            rows.push(pct);
        }
    }
    print_means(&rows);
    let worst_gap = rows.iter().map(|r| r[1].max(r[2]) - r[0]).fold(f64::MIN, f64::max);
    println!("ConcurrentMap's largest shortfall against the better peer of a row: {:.2} points", worst_gap.max(0.0));
}

/// A table's header row and rule, for `columns` after the trace and capacity.
fn print_header(columns: &[&str]) {
    print!("| {:<14} | {:>8} |", "trace", "capacity");
    for c in columns {
        print!(" {c:>18} |");
    }
    println!();
    println!("|{}|{}|{}", "-".repeat(16), "-".repeat(10), "--------------------|".repeat(columns.len()));
}

/// One row of hit ratios, in percent.
fn print_row(name: &str, cap: &str, pct: &[f64]) {
    print!("| {name:<14} | {cap:>8} |");
    for p in pct {
        print!(" {p:>17.2}% |");
    }
    println!();
}

/// Prints and returns each column's mean over `rows`.
fn print_means<const N: usize>(rows: &[[f64; N]]) -> [f64; N] {
    let mean = core::array::from_fn(|c| rows.iter().map(|r| r[c]).sum::<f64>() / rows.len() as f64);
    print_row("mean", "", &mean);
    println!();
    mean
}
