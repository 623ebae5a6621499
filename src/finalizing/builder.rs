//! `FinalizingMap::builder()`: a [`FinalizingMap`] through the shared [`MapBuilder`].

use crate::builder::MapBuilder;
use crate::policy::Finalizer;

use super::FinalizingMap;

impl<K, V> FinalizingMap<K, V> {
    /// A [`MapBuilder`] for a map: `FinalizingMap::builder().finalizer(f).capacity(n)
    /// .hasher(s).shrink_policy(p).build()`, every setting optional (without a finalizer,
    /// departing values are dropped).
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{FinalizingMap, RemovalCause};
    /// let mut closed = Vec::new();
    /// let mut m = FinalizingMap::builder()
    ///     .capacity(16)
    ///     .finalizer(|k: u32, _conn: String, cause| closed.push((k, cause)))
    ///     .build();
    /// m.insert(1, "conn".to_string());
    /// m.insert(1, "conn again".to_string());
    /// drop(m);
    /// assert_eq!(closed, [(1, RemovalCause::Replaced), (1, RemovalCause::Dropped)]);
    /// ```
    pub fn builder() -> MapBuilder<Self> {
        MapBuilder::new()
    }
}

impl<K, V, S, F> MapBuilder<FinalizingMap<K, V>, S, F> {
    /// Hand every departing value that is not given back to the caller to `finalizer`,
    /// with its [`RemovalCause`](crate::RemovalCause) (see
    /// [the contract](FinalizingMap#the-contract)).
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{FinalizingMap, RemovalCause};
    /// let mut seen = Vec::new();
    /// let mut m = FinalizingMap::builder().finalizer(|_k: u8, v: u8, c| seen.push((v, c))).build();
    /// m.insert(1, 10);
    /// m.discard(&1);
    /// drop(m);
    /// assert_eq!(seen, [(10, RemovalCause::Explicit)]);
    /// ```
    pub fn finalizer<F2: Finalizer<K, V>>(self, finalizer: F2) -> MapBuilder<FinalizingMap<K, V>, S, F2> {
        self.set_finalizer(finalizer)
    }
}

impl<K, V, S, F: Finalizer<K, V>> MapBuilder<FinalizingMap<K, V>, S, F> {
    /// The map. It does not allocate unless a [`capacity`](MapBuilder::capacity) was set.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::FinalizingMap<u8, u8> = leakless::FinalizingMap::builder().capacity(8).build();
    /// assert!(m.capacity() >= 8);
    /// ```
    pub fn build(self) -> FinalizingMap<K, V, F, S> {
        FinalizingMap::with_capacity_and_hasher(self.capacity, self.finalizer, self.hash_builder)
            .with_shrink_policy(self.shrink)
    }
}
