//! L2: ghost inner maps. `n` leaves spread over `n / 100` groups (100 per group) are
//! inserted into a map of maps, then every leaf is removed, the way a service removes
//! the members of each group as they leave.

use std::collections::HashMap as StdMap;

use leakless::{HashMap, NestedMap};

use super::alloc::Window;
use super::{Row, Rule, Sampler, Scenario};

/// Leaves per group.
const PER_GROUP: usize = 100;

fn workload<M>(
    name: &'static str,
    n: usize,
    mut map: M,
    insert: impl Fn(&mut M, u64, u64),
    remove: impl Fn(&mut M, u64, u64),
    outer_len: impl Fn(&M) -> usize,
) -> Row {
    let groups = (n / PER_GROUP).max(1) as u64;
    let w = Window::open();
    let mut s = Sampler::new(2 * n);
    for i in 0..n as u64 {
        insert(&mut map, i % groups, i / groups);
        s.tick(i as usize, &w);
    }
    for i in 0..n as u64 {
        remove(&mut map, i % groups, i / groups);
        s.tick(n + i as usize, &w);
    }
    // `live` counts outer keys: every one left is an empty inner map.
    let row =
        Row { map: name, peak: w.peak(), held: w.held(), live: outer_len(&map), cleaned: None, samples: s.finish(&w) };
    drop(map);
    row
}

/// Run the scenario with `n` leaves.
pub fn run(n: usize) -> Scenario {
    let ordinary = workload(
        "HashMap<u64, HashMap<u64, u64>> (std)",
        n,
        StdMap::<u64, StdMap<u64, u64>>::new(),
        |m, a, b| {
            m.entry(a).or_default().insert(b, b);
        },
        |m, a, b| {
            if let Some(inner) = m.get_mut(&a) {
                inner.remove(&b);
            }
        },
        StdMap::len,
    );
    let leakless = workload(
        "leakless::NestedMap",
        n,
        NestedMap::<u64, HashMap<u64, u64>>::new(),
        |m, a, b| {
            m.insert(a, b, b);
        },
        |m, a, b| {
            m.remove(&a, &b);
        },
        NestedMap::outer_len,
    );
    Scenario {
        rule: Rule::OwnPeak,
        id: "L2",
        leak: "ghost inner maps",
        workload: format!(
            "insert {n} leaves over {} groups, remove every leaf (live = outer keys left)",
            (n / PER_GROUP).max(1)
        ),
        ordinary: vec![ordinary],
        leakless,
    }
}
