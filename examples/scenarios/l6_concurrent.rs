//! L6: deferred garbage and capacity of concurrent maps. Insert `n` u64 pairs, then remove
//! every one, then a few more writes; bytes held at the end.

use super::{insert_remove_all, Rule, Scenario};

/// Writes after the workload, so maps that reclaim lazily get the chance to.
const FURTHER_OPS: u64 = 16;

/// Run the scenario with `n` entries.
pub fn run(n: usize) -> Scenario {
    let dash = insert_remove_all(
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
        FURTHER_OPS / 2,
    );
    let papaya = insert_remove_all(
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
        FURTHER_OPS / 2,
    );
    let leakless = insert_remove_all(
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
        FURTHER_OPS / 2,
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
