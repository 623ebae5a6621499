//! L6: deferred garbage and capacity of concurrent maps. Insert `n` u64 pairs, then remove
//! every one, then a few more writes; bytes held at the end.

use super::alloc::Window;
use super::{Row, Rule, Sampler, Scenario};

/// Writes after the workload, so maps that reclaim lazily get the chance to.
const FURTHER_OPS: u64 = 16;

fn workload<M>(
    name: &'static str,
    n: usize,
    map: M,
    insert: impl Fn(&M, u64),
    remove: impl Fn(&M, u64),
    len: impl Fn(&M) -> usize,
) -> Row {
    let w = Window::open();
    let mut s = Sampler::new(2 * n);
    for i in 0..n {
        insert(&map, i as u64);
        s.tick(i, &w);
    }
    for i in 0..n {
        remove(&map, i as u64);
        s.tick(n + i, &w);
    }
    for i in 0..FURTHER_OPS / 2 {
        insert(&map, u64::MAX - i);
        remove(&map, u64::MAX - i);
    }
    let row = Row { map: name, peak: w.peak(), held: w.held(), live: len(&map), cleaned: None, samples: s.finish(&w) };
    drop(map);
    row
}

/// Run the scenario with `n` entries.
pub fn run(n: usize) -> Scenario {
    let dash = workload(
        "dashmap::DashMap",
        n,
        dashmap::DashMap::<u64, u64>::new(),
        |m, k| {
            m.insert(k, k);
        },
        |m, k| {
            m.remove(&k);
        },
        |m| m.len(),
    );
    let papaya = workload(
        "papaya::HashMap",
        n,
        papaya::HashMap::<u64, u64>::new(),
        |m, k| {
            m.pin().insert(k, k);
        },
        |m, k| {
            m.pin().remove(&k);
        },
        |m| m.len(),
    );
    let leakless = workload(
        "leakless::ConcurrentMap",
        n,
        leakless::ConcurrentMap::<u64, u64>::new(),
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
        id: "L6",
        leak: "deferred garbage, capacity kept",
        workload: format!("insert {n} u64 pairs, remove all, {FURTHER_OPS} more writes"),
        ordinary: vec![dash, papaya],
        leakless,
    }
}
