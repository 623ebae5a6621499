//! [`MapBuilder`]: one builder for the unbounded maps ([`HashMap`](crate::HashMap),
//! [`FinalizingMap`](crate::FinalizingMap), [`WeakKeyMap`](crate::WeakKeyMap),
//! [`NestedMap`](crate::NestedMap)), with the same words as
//! [`LruBuilder`](crate::LruBuilder).
//!
//! Each map's `builder()` and the matching `build()` live next to the map
//! (`src/<map>/builder.rs`); the settings shared by all of them live here, once.

use core::fmt;
use core::marker::PhantomData;

use crate::hash_map::DefaultHashBuilder;
use crate::policy::{NoopFinalizer, ShrinkPolicy};
#[cfg(any(feature = "serde", feature = "arbitrary"))]
use crate::{lru::EntryWeigher, Capacity, EvictionPolicy, Finalizer, LruMap};

/// A builder for an unbounded map, started by the map's `builder()`:
///
/// | map | words |
/// |---|---|
/// | [`HashMap::builder`](crate::HashMap::builder) | `capacity`, `hasher`, `shrink_policy` |
/// | [`FinalizingMap::builder`](crate::FinalizingMap::builder) | `capacity`, `hasher`, `shrink_policy`, `finalizer` |
/// | [`WeakKeyMap::builder`](crate::WeakKeyMap::builder) | `capacity`, `hasher`, `shrink_policy`, `finalizer` |
/// | [`NestedMap::builder`](crate::NestedMap::builder) | `capacity`, `hasher`, `shrink_policy` |
///
/// (the bounded `LruMap` has its own [`LruBuilder`](crate::LruBuilder)
/// with the same words for the settings they share: `hasher`, `finalizer`.)
///
/// `M` is the map being built, named with its default hasher and finalizer (e.g.
/// `HashMap<K, V>`); `S` is the hasher and `F` the finalizer the built map will use.
/// Every setting is optional; `build()` ends the chain. Nothing allocates before
/// `build()`.
///
/// # Examples
///
/// ```
/// use leakless::{FixedState, HashMap, ShrinkPolicy};
///
/// let mut m = HashMap::builder()
///     .capacity(1024)
///     .hasher(FixedState::with_seed(7))
///     .shrink_policy(ShrinkPolicy::below_one_in(8))
///     .build();
/// m.insert("a", 1);
/// assert!(m.capacity() >= 1024);
/// assert_eq!(m.shrink_policy(), ShrinkPolicy::below_one_in(8));
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct MapBuilder<M, S = DefaultHashBuilder, F = NoopFinalizer> {
    pub(crate) capacity: usize,
    pub(crate) hash_builder: S,
    pub(crate) shrink: ShrinkPolicy,
    pub(crate) finalizer: F,
    marker: PhantomData<fn() -> M>,
}

impl<M> MapBuilder<M> {
    /// The defaults: no floor, the default hasher, the default [`ShrinkPolicy`], no
    /// finalizer. Maps start this through their `builder()`.
    pub(crate) fn new() -> Self {
        Self {
            capacity: 0,
            hash_builder: DefaultHashBuilder::new(),
            shrink: ShrinkPolicy::new(),
            finalizer: NoopFinalizer,
            marker: PhantomData,
        }
    }
}

impl<M, S, F> MapBuilder<M, S, F> {
    /// Room for `n` entries (outer keys for a [`NestedMap`](crate::NestedMap)) from the
    /// start, which is also the **floor**: automatic shrinking never goes below it (the
    /// same as `with_capacity(n)`).
    ///
    /// # Panics
    ///
    /// `build()` panics if a table for `n` entries would overflow `usize`, as
    /// `with_capacity(n)` does.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::HashMap::builder().capacity(4096).build();
    /// for i in 0..4096 { m.insert(i, i); }
    /// m.clear();
    /// assert!(m.capacity() >= 4096, "never below the floor");
    /// ```
    pub fn capacity(mut self, n: usize) -> Self {
        self.capacity = n;
        self
    }

    /// Hash keys with `hash_builder` instead of the default (see
    /// [Choosing a hasher](crate#choosing-a-hasher)).
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{FixedState, HashMap};
    /// let mut a = HashMap::builder().hasher(FixedState::with_seed(1)).build();
    /// let mut b = HashMap::builder().hasher(FixedState::with_seed(1)).build();
    /// a.extend((0..100).map(|i| (i, i)));
    /// b.extend((0..100).map(|i| (i, i)));
    /// assert!(a.iter().eq(b.iter()), "same seed, same order");
    /// ```
    pub fn hasher<S2>(self, hash_builder: S2) -> MapBuilder<M, S2, F> {
        MapBuilder {
            capacity: self.capacity,
            hash_builder,
            shrink: self.shrink,
            finalizer: self.finalizer,
            marker: PhantomData,
        }
    }

    /// When the table gives memory back (by default: under a quarter full);
    /// [`ShrinkPolicy::never`] keeps capacity like `std`.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{HashMap, ShrinkPolicy};
    /// let mut m = HashMap::builder().shrink_policy(ShrinkPolicy::never()).build();
    /// m.extend((0..1000).map(|i| (i, i)));
    /// let cap = m.capacity();
    /// m.clear();
    /// assert_eq!(m.capacity(), cap);
    /// ```
    pub fn shrink_policy(mut self, policy: ShrinkPolicy) -> Self {
        self.shrink = policy;
        self
    }

    /// The same settings with another finalizer; the public, typed `finalizer` methods
    /// of the maps that take one call this.
    pub(crate) fn set_finalizer<F2>(self, finalizer: F2) -> MapBuilder<M, S, F2> {
        MapBuilder {
            capacity: self.capacity,
            hash_builder: self.hash_builder,
            shrink: self.shrink,
            finalizer,
            marker: PhantomData,
        }
    }
}

impl<M, S, F> fmt::Debug for MapBuilder<M, S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapBuilder")
            .field("capacity", &self.capacity)
            .field("shrink_policy", &self.shrink)
            .finish_non_exhaustive()
    }
}

/// An empty [`LruMap`] bounded by `limit` whose hasher, policy, weigher and finalizer are
/// their types' defaults: what a map rebuilt from data (`serde`, `arbitrary`) gets.
#[cfg(any(feature = "serde", feature = "arbitrary"))]
pub(crate) fn lru_with_defaults<K, V, S, P, W, F>(limit: Capacity) -> LruMap<K, V, S, P, W, F>
where
    S: Default,
    P: EvictionPolicy + Default,
    W: EntryWeigher<K, V> + Default,
    F: Finalizer<K, V> + Default,
{
    LruMap::builder()
        .limit(limit)
        .hasher(S::default())
        .policy(P::default())
        .weigher(W::default())
        .finalizer(F::default())
        .build()
}
