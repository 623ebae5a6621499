//! Proptests of the unbounded map against `std::collections::HashMap` and of the
//! bounded map against the model of what it holds and what its finalizer is owed.

use super::*;

#[derive(Debug, Clone)]
enum Op {
    Insert(u16, u32),
    Remove(u16),
    Get(u16),
    Update(u16, u32),
    Compute(u16, Option<u32>),
    GetOrInsert(u16, u32),
    Retain(u16),
    Clear,
    Pin(u16),
    Clone,
}

fn op() -> impl Strategy<Value = Op> {
    op_over(0..512)
}

/// Applies `op` to either model (each call checked against it), then checks the whole
/// map.
fn apply(c: &mut impl Calls, op: Op) {
    match op {
        Op::Insert(k, v) => c.insert(k, v),
        Op::Remove(k) => c.remove(k),
        Op::Get(k) => c.get(k),
        Op::Update(k, v) => c.update(k, v),
        Op::Compute(k, v) => c.compute(k, v),
        Op::GetOrInsert(k, v) => c.get_or_insert(k, v),
        Op::Retain(d) => c.retain(d),
        Op::Clear => c.clear(),
        Op::Pin(k) => c.pinned_get(k),
        Op::Clone => c.clone_map(),
    }
    c.verify();
}

/// [`Op`]s on keys drawn from `k`.
fn op_over(k: std::ops::Range<u16>) -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (k.clone(), any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
        4 => k.clone().prop_map(Op::Remove),
        2 => k.clone().prop_map(Op::Get),
        1 => (k.clone(), any::<u32>()).prop_map(|(k, v)| Op::Update(k, v)),
        1 => (k.clone(), any::<Option<u32>>()).prop_map(|(k, v)| Op::Compute(k, v)),
        1 => (k.clone(), any::<u32>()).prop_map(|(k, v)| Op::GetOrInsert(k, v)),
        1 => (1u16..8).prop_map(Op::Retain),
        1 => Just(Op::Clear),
        1 => k.prop_map(Op::Pin),
        1 => Just(Op::Clone),
    ]
}

/// The bounds of `bounded_model`'s caches (weights are 1 to 4; see the shared model).
fn limit() -> impl Strategy<Value = Limit> {
    prop_oneof![
        1 => Just(Limit::Entries(0)),
        1 => Just(Limit::Entries(1)),
        2 => (2usize..9).prop_map(Limit::Entries),
        // 0 to 3 reject some or all values (they weigh 1 to 4).
        1 => (0u64..4).prop_map(Limit::Weight),
        2 => (4u64..20).prop_map(Limit::Weight),
        1 => (1usize..6, 2u64..16).prop_map(|(n, w)| Limit::Both(n, w)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 256 },
        // No failure file: Miri's isolation forbids the file system.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]
    /// An unbounded `ConcurrentMap` against `std::collections::HashMap` (the model and
    /// its checks are in `tests/models/concurrent_map.rs`, shared with the fuzz target).
    #[test]
    fn model(ops in proptest::collection::vec(op(), 0..if cfg!(miri) { 40 } else { 400 })) {
        let mut c = Plain::new(ConcurrentMap::with_hasher(fixed()));
        for op in ops {
            apply(&mut c, op);
        }
        c.finish();
    }

    /// A bounded `ConcurrentMap` (by entries, weight or both, including bounds of 0 and 1
    /// and weight bounds that reject values) against a model of what it holds. CLOCK's
    /// choice of victim cannot be predicted, so after every op the entries that the
    /// model holds and the map does not are taken as that op's evictions, and checked:
    /// only a write that stores a value evicts, never the entry it stored, and only
    /// while over the bound (putting its heaviest victim back would exceed it again).
    /// Then `validate()`, the contents, `len()`, `weight()` and the bound match the
    /// model, every op returns what its docs say (an insert whose value is rejected,
    /// which they leave open, returns `false`), and `stats().removals` counts every
    /// departure by cause. Every value that left (`Replaced`, `Explicit`, `Cleared`,
    /// `Rejected`, `Evicted`) is owed to the finalizer; finalizers run when the departed
    /// values are reclaimed (a later write, or the drop), not within the op, so each
    /// finalized value must match an owed one at any time, and after the drop nothing may
    /// be owed and the `Dropped` values must be exactly what the model holds: every value
    /// that entered the map is finalized exactly once, with its cause. (The model and its
    /// checks are in `tests/models/concurrent_cache.rs`, shared with the fuzz target.)
    #[test]
    fn bounded_model(
        limit in limit(),
        // Few keys, so that writes often find their key present (or just evicted).
        ops in proptest::collection::vec(op_over(0..20), 0..if cfg!(miri) { 40 } else { 400 }),
    ) {
        let mut c = Cache::new(limit);
        for op in ops {
            apply(&mut c, op);
        }
        c.finish();
    }
}
