//! Hasher choices: the randomized default, and a fixed-seed one for reproducible runs.

use core::hash::BuildHasher;

/// A [`BuildHasher`] with fixed seeds: every map built with it hashes (and so iterates)
/// identically in every run — what a fuzz target or a failing test needs to replay
/// exactly. Not HashDoS-resistant: use it for tests, fuzzing and deterministic
/// simulations, not for maps keyed by untrusted input.
///
/// Every map type takes a hasher type parameter `S`; pass `FixedState` to any of them
/// through `with_hasher` (or `S = FixedState` with `Default`).
///
/// # Examples
///
/// ```
/// use leakless::{FixedState, HashMap};
///
/// let mut a: HashMap<u32, (), FixedState> = HashMap::default();
/// let mut b = HashMap::with_hasher(FixedState::default());
/// for k in 0..100 {
///     a.insert(k, ());
///     b.insert(k, ());
/// }
/// assert!(a.keys().eq(b.keys()), "same seeds, same order");
///
/// let c: HashMap<u32, (), FixedState> = HashMap::with_hasher(FixedState::with_seed(7));
/// # drop(c);
/// ```
#[derive(Clone, Debug)]
pub struct FixedState(ahash::RandomState);

impl FixedState {
    /// A fixed-seed hasher derived from `seed`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::hash::BuildHasher;
    /// use leakless::FixedState;
    /// assert_eq!(FixedState::with_seed(1).hash_one(42), FixedState::with_seed(1).hash_one(42));
    /// assert_ne!(FixedState::with_seed(1).hash_one(42), FixedState::with_seed(2).hash_one(42));
    /// ```
    pub fn with_seed(seed: u64) -> Self {
        FixedState(ahash::RandomState::with_seeds(
            seed,
            seed ^ 0x243F_6A88_85A3_08D3,
            seed.rotate_left(17) ^ 0x1319_8A2E_0370_7344,
            seed.rotate_left(41) ^ 0xA409_3822_299F_31D0,
        ))
    }
}

impl Default for FixedState {
    fn default() -> Self {
        Self::with_seed(0)
    }
}

impl BuildHasher for FixedState {
    type Hasher = ahash::AHasher;

    #[inline]
    fn build_hasher(&self) -> ahash::AHasher {
        self.0.build_hasher()
    }
}
