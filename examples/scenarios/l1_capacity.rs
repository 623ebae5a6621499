//! L1: capacity never returned. Insert `n` u64 pairs, then remove every one.

use super::alloc::Window;
use super::{Row, Rule, Sampler, Scenario};

fn workload<M>(
    name: &'static str,
    n: usize,
    mut map: M,
    insert: impl Fn(&mut M, u64),
    remove: impl Fn(&mut M, u64),
    len: impl Fn(&M) -> usize,
) -> Row {
    let w = Window::open();
    let mut s = Sampler::new(2 * n);
    for i in 0..n {
        insert(&mut map, i as u64);
        s.tick(i, &w);
    }
    for i in 0..n {
        remove(&mut map, i as u64);
        s.tick(n + i, &w);
    }
    let row = Row { map: name, peak: w.peak(), held: w.held(), live: len(&map), cleaned: None, samples: s.finish(&w) };
    drop(map);
    row
}

/// Run the scenario with `n` entries.
pub fn run(n: usize) -> Scenario {
    let ordinary = workload(
        "std::collections::HashMap",
        n,
        std::collections::HashMap::<u64, u64>::new(),
        |m, k| {
            m.insert(k, k);
        },
        |m, k| {
            m.remove(&k);
        },
        |m| m.len(),
    );
    let leakless = workload(
        "leakless::HashMap",
        n,
        leakless::HashMap::<u64, u64>::new(),
        |m, k| {
            m.insert(k, k);
        },
        |m, k| {
            m.remove(&k);
        },
        |m| m.len(),
    );
    Scenario {
        rule: Rule::OwnPeak,
        id: "L1",
        leak: "capacity never returned",
        workload: format!("insert {n} u64 pairs, remove all"),
        ordinary: vec![ordinary],
        leakless,
    }
}
