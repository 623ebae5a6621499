//! L1: capacity never returned. Insert `n` u64 pairs, then remove every one.

use super::{insert_remove_all, Rule, Scenario};

/// Run the scenario with `n` entries.
pub fn run(n: usize) -> Scenario {
    let ordinary = insert_remove_all(
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
        0,
    );
    let leakless = insert_remove_all(
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
        0,
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
