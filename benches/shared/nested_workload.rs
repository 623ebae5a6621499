//! The workload `benches/nested.rs` and `examples/nested_ab.rs` share: `N` leaves over
//! `GROUPS` groups, keys in a fixed pseudo-random order.

/// Leaves.
pub(crate) const N: u64 = 100_000;
/// Outer keys (groups), 100 leaves each.
pub(crate) const GROUPS: u64 = N / 100;

/// Every `(group, member)` pair once, shuffled by a fixed seed (SplitMix64 + Fisher–Yates).
pub(crate) fn keys() -> Vec<(u64, u64)> {
    let mut keys: Vec<(u64, u64)> = (0..N).map(|i| (i % GROUPS, i / GROUPS)).collect();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..keys.len()).rev() {
        keys.swap(i, (next() % (i as u64 + 1)) as usize);
    }
    keys
}
