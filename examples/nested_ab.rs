//! The workload of `benches/nested.rs` (`N` leaves over `N / 100` groups, keys in a fixed
//! shuffled order), run interleaved: every round times each map in turn, so a slow
//! spell of a shared host slows every map alike. Prints each map's median per step and
//! its time relative to the nested `std` map (below 1: faster).
//!
//! ```text
//! cargo run --release --example nested_ab -- [rounds]
//! ```
//!
//! The steps, as in the bench: `insert` builds the map from empty; `get` looks every
//! key up in a built map, timed on the second of two passes (criterion times a map it
//! has just run, whose lines are in the CPU caches: the first pass after another map's
//! runs at about half speed, for every map); `remove` removes every key from a clone
//! (the clone is not timed), the nested `std` map pruning its emptied inner maps by hand.
//! Criterion (`cargo bench --bench nested`) stays the benchmark of record; this is for
//! A/B comparisons on a noisy machine, where two criterion runs minutes apart can differ
//! by more than the maps do.

use std::collections::HashMap as StdMap;
use std::hint::black_box;

#[path = "../benches/shared/ab.rs"]
mod ab;
#[path = "../benches/shared/nested_workload.rs"]
mod workload;

use ab::{medians, millis};
use leakless::{HashMap, NestedMap};
use workload::{keys, Contender, A, GROUPS, N};

/// Times one round of the three steps for `M`, pushing insert, get and remove times.
fn round<M: Contender + Clone>(keys: &[(u64, u64)], times: &mut [Vec<f64>; 3]) {
    let mut built = None;
    times[0].push(millis(|| built = Some(M::build(black_box(keys)))));
    let m = built.expect("built");
    black_box(m.get_all(keys));
    times[1].push(millis(|| {
        black_box(m.get_all(black_box(keys)));
    }));
    let mut copy = m.clone();
    times[2].push(millis(|| copy.remove_all(black_box(keys))));
}

fn main() {
    let rounds: usize = std::env::args().nth(1).map_or(30, |s| s.parse().expect("rounds"));
    let keys = keys();
    let names = ["std nested", "leakless::NestedMap", "NestedMap, std inner"];
    let mut times: Vec<[Vec<f64>; 3]> = names.iter().map(|_| Default::default()).collect();
    for _ in 0..rounds {
        round::<StdMap<u64, StdMap<u64, u64, A>, A>>(&keys, &mut times[0]);
        round::<NestedMap<u64, HashMap<u64, u64, A>, A>>(&keys, &mut times[1]);
        round::<NestedMap<u64, StdMap<u64, u64, A>, A>>(&keys, &mut times[2]);
    }
    let medians: Vec<Vec<f64>> = times.iter_mut().map(|t| medians(t)).collect();
    println!("{N} leaves over {GROUPS} groups, {rounds} rounds; median ms (time / std nested's)");
    println!("  {:>22}  {:>16}  {:>16}  {:>16}", "", "insert", "get", "remove");
    for (name, m) in names.iter().zip(&medians) {
        let cells: Vec<String> = (0..3).map(|s| format!("{:7.2} ({:.3})", m[s], m[s] / medians[0][s])).collect();
        println!("  {name:>22}  {:>16}  {:>16}  {:>16}", cells[0], cells[1], cells[2]);
    }
}
