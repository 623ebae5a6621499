//! The workload `benches/nested.rs` and `examples/nested_ab.rs` share: `N` leaves over
//! `GROUPS` groups, keys in a fixed pseudo-random order, and the three steps (build, get,
//! remove) of each nested map they time.

use std::collections::HashMap as StdMap;
use std::hint::black_box;

use leakless::NestedMap;

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

/// Every map hashes with `ahash` (the crate's default hasher), inner maps included.
pub(crate) type A = ahash::RandomState;

/// One contender: its three steps over the same keys.
pub(crate) trait Contender {
    /// The map holding every key (value = its member), built from empty.
    fn build(keys: &[(u64, u64)]) -> Self;
    /// Looks every key up; the sum of the values found.
    fn get_all(&self, keys: &[(u64, u64)]) -> u64;
    /// Removes every key (the nested `std` map prunes its emptied inner maps by hand).
    fn remove_all(&mut self, keys: &[(u64, u64)]);
}

impl<M> Contender for NestedMap<u64, M, A>
where
    M: leakless::nested::InnerLookup<u64, Key = u64, Value = u64> + Default,
{
    fn build(keys: &[(u64, u64)]) -> Self {
        let mut m = NestedMap::default();
        for &(a, b) in keys {
            m.insert(a, b, b);
        }
        m
    }

    fn get_all(&self, keys: &[(u64, u64)]) -> u64 {
        keys.iter().map(|(a, k)| self.get(a, k).copied().unwrap_or(0)).sum()
    }

    fn remove_all(&mut self, keys: &[(u64, u64)]) {
        for (a, k) in keys {
            black_box(self.remove(a, k));
        }
    }
}

impl Contender for StdMap<u64, StdMap<u64, u64, A>, A> {
    fn build(keys: &[(u64, u64)]) -> Self {
        let mut m = Self::default();
        for &(a, b) in keys {
            m.entry(a).or_default().insert(b, b);
        }
        m
    }

    fn get_all(&self, keys: &[(u64, u64)]) -> u64 {
        keys.iter().map(|(a, k)| self.get(a).and_then(|m| m.get(k)).copied().unwrap_or(0)).sum()
    }

    fn remove_all(&mut self, keys: &[(u64, u64)]) {
        for (a, k) in keys {
            if let Some(inner) = self.get_mut(a) {
                black_box(inner.remove(k));
                if inner.is_empty() {
                    self.remove(a);
                }
            }
        }
    }
}
