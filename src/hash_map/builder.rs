//! `HashMap::builder()`: a [`HashMap`] through the shared [`MapBuilder`].

use crate::builder::MapBuilder;
use crate::policy::NoopFinalizer;

use super::HashMap;

impl<K, V> HashMap<K, V> {
    /// A [`MapBuilder`] for a map: `HashMap::builder().capacity(n).hasher(s)
    /// .shrink_policy(p).build()`, every setting optional.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{HashMap, ShrinkPolicy};
    /// let mut m = HashMap::builder().capacity(100).shrink_policy(ShrinkPolicy::never()).build();
    /// m.insert(1u32, "one");
    /// assert!(m.capacity() >= 100);
    /// assert_eq!(m.shrink_policy(), ShrinkPolicy::never());
    /// ```
    pub fn builder() -> MapBuilder<Self> {
        MapBuilder::new()
    }
}

impl<K, V, S> MapBuilder<HashMap<K, V>, S, NoopFinalizer> {
    /// The map. It does not allocate unless a [`capacity`](MapBuilder::capacity) was set.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::HashMap<u8, u8> = leakless::HashMap::builder().build();
    /// assert_eq!(m.allocation_size(), 0);
    /// ```
    pub fn build(self) -> HashMap<K, V, S> {
        HashMap::with_capacity_and_hasher(self.capacity, self.hash_builder).with_shrink_policy(self.shrink)
    }
}
