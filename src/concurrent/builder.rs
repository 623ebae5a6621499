//! [`Builder`]: a bounded map (the concurrent cache) or a map with a finalizer.

use core::fmt;
use std::sync::Arc;

use super::core::Inner;
use super::evict::Bound;
use super::map::ConcurrentMap;
use crate::hash_map::DefaultHashBuilder;
use crate::policy::{Capacity, Finalizer, ShrinkPolicy, Weigher};

/// Configures a [`ConcurrentMap`]: a bound (entries and/or weight), a weigher, a
/// finalizer, a hasher, an initial capacity and a shrink policy.
///
/// # Bounded mode: CLOCK with hot and cold entries
///
/// A bound turns the map into a concurrent cache. Eviction is a **CLOCK** over the
/// buckets with hot and cold entries and a ghost table, in the spirit of CLOCK-Pro and
/// S3-FIFO. A read sets the entry's reference bit (a plain store, skipped when already
/// set). New entries start cold. An insert that takes the map over its bound advances a
/// shared hand over the buckets (each writer claims 32 buckets of it at a time); the
/// hand makes every referenced cold entry it passes hot (clearing the bit), ages the hot
/// entries while more of the entries are hot than the map's hot share (it starts at
/// 60%; a hill climber moves it between 40% and 90% toward a better hit ratio) by
/// clearing their bits and demoting the unreferenced ones to cold, and evicts the first
/// cold unreferenced entry, whose hash it remembers in a ghost table (4 bytes per entry
/// of the bound, rounded up to a power of two). A new key found in the ghost table
/// (evicted not long ago, and back) enters hot. So entries used once leave first, a scan cannot flush the
/// entries used again, and a loop over more keys than the map holds keeps part of
/// itself resident. The insert never evicts the entry it stored itself.
///
/// It needs no list and no lock beyond the inspected bucket's, so reads stay lock-free
/// and writers do not contend on a policy lock. The bound is kept after every insert
/// completes; while inserts race, the map may briefly hold one extra entry per racing
/// writer. Weights are recorded per entry in 30 bits: exactly below 2³⁰, and for a
/// weight bound of 2³⁰ or more in units of `2^(bits − 30)` (rounded up; see
/// [`ConcurrentMap::weight`](crate::ConcurrentMap::weight)).
///
/// (The crate's [`EvictionPolicy`](crate::EvictionPolicy) trait takes `&mut self` and
/// dense entry indices, a single-threaded interface; this policy lives in the concurrent
/// core.)
///
/// # Examples
///
/// ```
/// use leakless::{ConcurrentMap, RemovalCause};
/// use std::sync::{Arc, Mutex};
///
/// let evicted = Arc::new(Mutex::new(0));
/// let seen = Arc::clone(&evicted);
/// let cache = ConcurrentMap::builder()
///     .max_entries(1_000)
///     .finalizer(move |_k: u64, _v: String, cause| {
///         if cause == RemovalCause::Evicted {
///             *seen.lock().unwrap() += 1;
///         }
///     })
///     .build();
/// for i in 0..5_000u64 {
///     cache.insert(i, i.to_string());
/// }
/// assert!(cache.len() <= 1_000);
/// drop(cache); // the rest are finalized as Dropped
/// assert_eq!(*evicted.lock().unwrap(), 4_000);
/// ```
pub struct Builder<K, V, S = DefaultHashBuilder> {
    capacity: Capacity,
    weigher: Option<Box<dyn Weigher<K, V> + Send + Sync>>,
    finalizer: Option<Box<dyn Finalizer<K, V> + Send>>,
    hash_builder: S,
    initial: usize,
    shrink: ShrinkPolicy,
}

impl<K, V> Builder<K, V, DefaultHashBuilder> {
    pub(super) fn new() -> Self {
        Builder {
            capacity: Capacity::unbounded(),
            weigher: None,
            finalizer: None,
            hash_builder: DefaultHashBuilder::new(),
            initial: 0,
            shrink: ShrinkPolicy::default(),
        }
    }
}

impl<K, V, S> Builder<K, V, S> {
    /// Holds at most `n` entries.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::<u8, u8>::builder().max_entries(3).build();
    /// assert_eq!(m.capacity().max_entries(), Some(3));
    /// ```
    pub fn max_entries(mut self, n: usize) -> Self {
        self.capacity = self.capacity.with_max_entries(n);
        self
    }

    /// Holds entries of total weight at most `w` (by the [`weigher`](Builder::weigher);
    /// every entry weighs 1 without one).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::<u8, u8>::builder().max_weight(30).build();
    /// assert_eq!(m.capacity().max_weight(), Some(30));
    /// ```
    pub fn max_weight(mut self, w: u64) -> Self {
        self.capacity = self.capacity.with_max_weight(w);
        self
    }

    /// Sets the whole bound at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::Capacity;
    /// let m = leakless::ConcurrentMap::<u8, u8>::builder().capacity(Capacity::entries(2)).build();
    /// assert_eq!(m.capacity(), Capacity::entries(2));
    /// ```
    pub fn capacity(mut self, capacity: Capacity) -> Self {
        self.capacity = capacity;
        self
    }

    /// Weighs entries for [`max_weight`](Builder::max_weight). Called once per stored
    /// value (the weight is recorded); a weigher that panics leaves the map unchanged.
    ///
    /// # Deadlocks
    ///
    /// The weigher must not write to the map it weighs for: [`compute`](ConcurrentMap::compute),
    /// [`update`](ConcurrentMap::update) and
    /// [`get_or_insert_with`](ConcurrentMap::get_or_insert_with) call it for their new
    /// value while holding the key's bucket lock, which a write to the same bucket would
    /// wait for. Reads are fine.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::builder().max_weight(10).weigher(|_: &u8, v: &Vec<u8>| v.len() as u64).build();
    /// m.insert(1, vec![0; 6]);
    /// m.insert(2, vec![0; 6]); // 12 > 10: one of them is evicted
    /// assert_eq!(m.len(), 1);
    /// ```
    pub fn weigher(mut self, weigher: impl Weigher<K, V> + Send + Sync + 'static) -> Self {
        self.weigher = Some(Box::new(weigher));
        self
    }

    /// Receives every value that leaves the map without being handed back, exactly
    /// once, with its cause (`Evicted`, `Replaced`, `Explicit`, `Cleared`, `Dropped`,
    /// `Rejected`).
    ///
    /// It runs after the value became unreachable for every reader, on whichever thread
    /// next writes to the map (or drops it), outside every bucket lock and without a
    /// pin; calls are serialized. A panicking finalizer does not stop the others and its
    /// panic is re-raised from the map operation that ran it.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::RemovalCause;
    /// use std::sync::{Arc, Mutex};
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let l = Arc::clone(&log);
    /// let m = leakless::ConcurrentMap::builder().finalizer(move |k: u8, v: u8, c| l.lock().unwrap().push((k, v, c))).build();
    /// m.insert(1, 10);
    /// drop(m);
    /// assert_eq!(*log.lock().unwrap(), [(1, 10, RemovalCause::Dropped)]);
    /// ```
    pub fn finalizer(mut self, finalizer: impl Finalizer<K, V> + Send + 'static) -> Self {
        self.finalizer = Some(Box::new(finalizer));
        self
    }

    /// Hashes keys with `hash_builder`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::builder().hasher(std::hash::RandomState::new()).build();
    /// m.insert(1, 1);
    /// assert_eq!(m.get_cloned(&1), Some(1));
    /// ```
    pub fn hasher<S2>(self, hash_builder: S2) -> Builder<K, V, S2> {
        Builder {
            capacity: self.capacity,
            weigher: self.weigher,
            finalizer: self.finalizer,
            hash_builder,
            initial: self.initial,
            shrink: self.shrink,
        }
    }

    /// Allocates room for `n` entries up front; the table never shrinks below it.
    ///
    /// # Examples
    ///
    /// ```
    /// let fixed = leakless::ConcurrentMap::<u32, u32>::new().allocation_size();
    /// let m = leakless::ConcurrentMap::<u32, u32>::builder().initial_capacity(1024).build();
    /// assert!(m.allocation_size() >= fixed + 1024 * 8);
    /// ```
    pub fn initial_capacity(mut self, n: usize) -> Self {
        self.initial = n;
        self
    }

    /// When the table gives memory back (default: [`ShrinkPolicy::new`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::ShrinkPolicy;
    /// let m = leakless::ConcurrentMap::<u32, u32>::builder().shrink_policy(ShrinkPolicy::never()).build();
    /// assert!(m.is_empty());
    /// ```
    pub fn shrink_policy(mut self, policy: ShrinkPolicy) -> Self {
        self.shrink = policy;
        self
    }

    /// The map.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::ConcurrentMap::<u32, u32>::builder().build();
    /// assert!(m.capacity().is_unbounded());
    /// ```
    pub fn build(self) -> ConcurrentMap<K, V, S> {
        let bound = (!self.capacity.is_unbounded() || self.weigher.is_some())
            .then(|| Bound::new(self.capacity, self.weigher.map(Arc::from)));
        ConcurrentMap::from_parts(Inner::new(
            self.hash_builder,
            self.initial,
            self.shrink,
            bound,
            self.finalizer.map(|f| Arc::new(super::finalize::SharedFinalizer::new(f))),
        ))
    }
}

impl<K, V, S: fmt::Debug> fmt::Debug for Builder<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("capacity", &self.capacity)
            .field("weigher", &self.weigher.is_some())
            .field("finalizer", &self.finalizer.is_some())
            .field("hash_builder", &self.hash_builder)
            .field("initial", &self.initial)
            .field("shrink", &self.shrink)
            .finish()
    }
}
