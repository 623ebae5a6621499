//! `NestedMap::builder()`: a [`NestedMap`] through the shared [`MapBuilder`].

use crate::builder::MapBuilder;
use crate::policy::NoopFinalizer;

use super::NestedMap;

impl<K1, M> NestedMap<K1, M> {
    /// A [`MapBuilder`] for a map: `NestedMap::builder().capacity(n).hasher(s)
    /// .shrink_policy(p).build()`, every setting optional. The settings are the outer
    /// table's (`capacity` counts outer keys); inner collections keep their own.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{HashMap, NestedMap};
    /// let mut m: NestedMap<u32, HashMap<u32, &str>> = NestedMap::builder().capacity(64).build();
    /// m.insert(1, 2, "x");
    /// assert!(m.outer().capacity() >= 64);
    /// assert_eq!(m.get(&1, &2), Some(&"x"));
    /// ```
    pub fn builder() -> MapBuilder<Self> {
        MapBuilder::new()
    }
}

impl<K1, M, S> MapBuilder<NestedMap<K1, M>, S, NoopFinalizer> {
    /// The map. It does not allocate unless a [`capacity`](MapBuilder::capacity) was set.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{NestedMap, ShrinkPolicy};
    /// let m: NestedMap<u8, Vec<u8>> = NestedMap::builder().shrink_policy(ShrinkPolicy::never()).build();
    /// assert_eq!(m.outer().shrink_policy(), ShrinkPolicy::never());
    /// ```
    pub fn build(self) -> NestedMap<K1, M, S> {
        NestedMap::with_capacity_and_hasher(self.capacity, self.hash_builder).with_shrink_policy(self.shrink)
    }
}
