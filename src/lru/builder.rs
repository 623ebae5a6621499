//! [`LruBuilder`]: every option of an [`LruMap`] in one place.

use core::fmt;
use core::marker::PhantomData;

use super::{EntryWeigher, LruMap};
use crate::hash_map::DefaultHashBuilder;
use crate::policy::{Capacity, EvictionPolicy, Finalizer, Lru, NoopFinalizer, UnitWeigher};

/// A builder for an [`LruMap`]: `LruMap::builder().max_entries(10_000).max_weight(w)
/// .weigher(f).finalizer(f).hasher(s).policy(p).build()`. Every setting is optional;
/// without a bound the map is unbounded (it still orders its entries and can be bounded
/// later with [`set_limit`](LruMap::set_limit)).
///
/// # Examples
///
/// ```
/// use leakless::{LruMap, WTinyLfu};
///
/// let mut m = LruMap::builder()
///     .max_entries(10_000)
///     .max_weight(1 << 20)
///     .weigher(|_k: &u64, v: &Vec<u8>| v.len() as u64)
///     .hasher(std::hash::RandomState::new())
///     .policy(WTinyLfu::default())
///     .build();
/// m.insert(1, vec![0; 1024]);
/// assert_eq!(m.weight(), 1024);
/// assert_eq!(m.limit().max_entries(), Some(10_000));
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct LruBuilder<K, V, S = DefaultHashBuilder, P = Lru, W = UnitWeigher, F = NoopFinalizer> {
    limit: Capacity,
    hash_builder: S,
    policy: P,
    weigher: W,
    finalizer: F,
    marker: PhantomData<fn(K, V)>,
}

impl<K, V> LruBuilder<K, V> {
    /// A builder with no bound, exact LRU, [`UnitWeigher`], no finalizer and the default
    /// hasher (the same as [`LruMap::builder`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::LruMap<u8, u8> = leakless::LruBuilder::new().max_entries(3).build();
    /// assert_eq!(m.limit(), leakless::Capacity::entries(3));
    /// ```
    pub fn new() -> Self {
        Self {
            limit: Capacity::unbounded(),
            hash_builder: DefaultHashBuilder::new(),
            policy: Lru::default(),
            weigher: UnitWeigher,
            finalizer: NoopFinalizer,
            marker: PhantomData,
        }
    }
}

impl<K, V> Default for LruBuilder<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V, S, P, W, F> LruBuilder<K, V, S, P, W, F> {
    /// At most `n` entries.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::LruMap<u8, u8> = leakless::LruMap::builder().max_entries(3).build();
    /// assert_eq!(m.limit().max_entries(), Some(3));
    /// ```
    pub fn max_entries(mut self, n: usize) -> Self {
        self.limit = self.limit.with_max_entries(n);
        self
    }

    /// At most `w` total weight (as measured by the [weigher](Self::weigher); every
    /// entry weighs 1 without one).
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::LruMap<u8, u8> = leakless::LruMap::builder().max_weight(64).build();
    /// assert_eq!(m.limit().max_weight(), Some(64));
    /// ```
    pub fn max_weight(mut self, w: u64) -> Self {
        self.limit = self.limit.with_max_weight(w);
        self
    }

    /// The whole bound at once (replacing `max_entries`/`max_weight` set before).
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::Capacity;
    /// let m: leakless::LruMap<u8, u8> = leakless::LruMap::builder().limit(Capacity::entries(5)).build();
    /// assert_eq!(m.limit(), Capacity::entries(5));
    /// ```
    pub fn limit(mut self, limit: Capacity) -> Self {
        self.limit = limit;
        self
    }

    /// Hash keys with `hash_builder`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::LruMap<u8, u8, _> =
    ///     leakless::LruMap::builder().hasher(std::hash::RandomState::new()).build();
    /// let _: &std::hash::RandomState = m.hasher();
    /// ```
    pub fn hasher<S2>(self, hash_builder: S2) -> LruBuilder<K, V, S2, P, W, F> {
        LruBuilder {
            limit: self.limit,
            hash_builder,
            policy: self.policy,
            weigher: self.weigher,
            finalizer: self.finalizer,
            marker: PhantomData,
        }
    }

    /// Evict by `policy` instead of exact LRU.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::WTinyLfu;
    /// let m: leakless::LruMap<u8, u8, _, WTinyLfu> =
    ///     leakless::LruMap::builder().max_entries(10).policy(WTinyLfu::default()).build();
    /// assert!(m.is_empty());
    /// ```
    pub fn policy<P2: EvictionPolicy>(self, policy: P2) -> LruBuilder<K, V, S, P2, W, F> {
        LruBuilder {
            limit: self.limit,
            hash_builder: self.hash_builder,
            policy,
            weigher: self.weigher,
            finalizer: self.finalizer,
            marker: PhantomData,
        }
    }

    /// Weigh entries with `weigher` (for a [`max_weight`](Self::max_weight) bound).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::builder().max_weight(3).weigher(|_: &u8, v: &u64| *v).build();
    /// m.insert(1, 2);
    /// m.insert(2, 2); // 4 > 3: evicts 1
    /// assert_eq!(m.len(), 1);
    /// ```
    pub fn weigher<W2: EntryWeigher<K, V>>(self, weigher: W2) -> LruBuilder<K, V, S, P, W2, F> {
        LruBuilder {
            limit: self.limit,
            hash_builder: self.hash_builder,
            policy: self.policy,
            weigher,
            finalizer: self.finalizer,
            marker: PhantomData,
        }
    }

    /// Hand departing values to `finalizer` (see [Where values go](LruMap#where-values-go)).
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::RemovalCause;
    /// let mut n = 0;
    /// let mut m = leakless::LruMap::builder().max_entries(1).finalizer(|_k: u8, _v: u8, c| {
    ///     assert_eq!(c, RemovalCause::Evicted);
    ///     n += 1;
    /// }).build();
    /// m.insert(1, 1);
    /// m.insert(2, 2);
    /// m.remove(&2); // handed back, not finalized
    /// drop(m);
    /// assert_eq!(n, 1);
    /// ```
    pub fn finalizer<F2: Finalizer<K, V>>(self, finalizer: F2) -> LruBuilder<K, V, S, P, W, F2> {
        LruBuilder {
            limit: self.limit,
            hash_builder: self.hash_builder,
            policy: self.policy,
            weigher: self.weigher,
            finalizer,
            marker: PhantomData,
        }
    }

    /// The map. It does not allocate until the first insert.
    ///
    /// # Examples
    ///
    /// ```
    /// let m: leakless::LruMap<u8, u8> = leakless::LruMap::builder().max_entries(3).build();
    /// assert_eq!(m.allocation_size(), 0);
    /// ```
    pub fn build(self) -> LruMap<K, V, S, P, W, F>
    where
        P: EvictionPolicy,
        W: EntryWeigher<K, V>,
        F: Finalizer<K, V>,
    {
        LruMap::from_parts(self.limit, self.hash_builder, self.policy, self.weigher, self.finalizer)
    }
}

impl<K, V, S, P, W, F> fmt::Debug for LruBuilder<K, V, S, P, W, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LruBuilder").field("limit", &self.limit).finish_non_exhaustive()
    }
}
