//! [`LruMap`]: a map bounded by entries or total weight, evicting the least recently used
//! entry (or by another [`EvictionPolicy`]) (L3).

mod builder;
mod iter;

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::mem;
use std::panic::{self, AssertUnwindSafe};

use crate::hash_map::DefaultHashBuilder;
use crate::policy::{
    finalize_each, Capacity, EvictionPolicy, Finalizer, Lru, NoopFinalizer, PanicSlot, RemovalCause, Stats,
    UnitWeigher, Weigher,
};
use crate::raw::arena::{Arena, Entry, Vacant, MAX_SLOTS};
use crate::TryReserveError;

pub use builder::LruBuilder;
pub use iter::{IntoIter, Iter, IterMut, Keys, Values};

/// A [`Weigher`] as an [`LruMap`] stores it: how much room each entry's recorded weight
/// takes.
///
/// A map records an entry's weight when the entry is stored and subtracts that same
/// figure when it leaves (so a value mutated through `get_mut` cannot corrupt the total).
/// [`UnitWeigher`] needs no record (`Stored = ()`, every entry weighs 1), which keeps an
/// entry-bounded map at its smallest; every closure `Fn(&K, &V) -> u64` records a `u64`.
/// For a weigher type of your own, implement this with `Stored = u64`.
///
/// # Examples
///
/// ```
/// use leakless::{Capacity, LruMap};
///
/// let mut m = LruMap::builder().max_weight(10).weigher(|_k: &u32, v: &String| v.len() as u64).build();
/// m.insert(1, "four".to_string());
/// m.insert(2, "sixsix".to_string());
/// assert_eq!(m.weight(), 10);
/// m.insert(3, "x".to_string()); // 11 > 10: evicts 1
/// assert!(!m.contains_key(&1));
/// ```
pub trait EntryWeigher<K, V>: Weigher<K, V> {
    /// What the map stores per entry to remember its weight.
    type Stored: Copy;

    /// The record of `weight`.
    fn store(weight: u64) -> Self::Stored;

    /// The weight recorded by `stored`.
    fn load(stored: Self::Stored) -> u64;

    /// `true` if every entry weighs exactly 1 (as with [`UnitWeigher`]): the map then
    /// folds a weight limit into its entry limit and skips weight checks. The default,
    /// `false`, is always correct.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{lru::EntryWeigher, UnitWeigher};
    /// assert!(<UnitWeigher as EntryWeigher<u8, u8>>::UNIT);
    /// assert!(!<fn(&u8, &u8) -> u64 as EntryWeigher<u8, u8>>::UNIT);
    /// ```
    const UNIT: bool = false;
}

impl<K, V> EntryWeigher<K, V> for UnitWeigher {
    type Stored = ();

    const UNIT: bool = true;

    #[inline(always)]
    fn store(_: u64) {}

    #[inline(always)]
    fn load(_: ()) -> u64 {
        1
    }
}

impl<K, V, F: Fn(&K, &V) -> u64> EntryWeigher<K, V> for F {
    type Stored = u64;

    #[inline(always)]
    fn store(weight: u64) -> u64 {
        weight
    }

    #[inline(always)]
    fn load(stored: u64) -> u64 {
        stored
    }
}

/// One stored entry.
#[derive(Clone)]
pub(crate) struct Slot<K, V, X> {
    pub(crate) key: K,
    pub(crate) value: V,
    pub(crate) weight: X,
}

type Core<K, V, P, X> = Arena<Slot<K, V, X>, P>;

/// What [`LruMap::split`] returns: the arena and the rest of the map.
type Split<'a, K, V, S, P, W, F> = (&'a mut Core<K, V, P, <W as EntryWeigher<K, V>>::Stored>, Store<'a, S, W, F>);

#[inline(always)]
fn hasher<K: Hash, V, X, S: BuildHasher>(s: &S) -> impl Fn(&Slot<K, V, X>) -> u64 + '_ {
    move |e| s.hash_one(&e.key)
}

/// Hand `(k, v)` to the finalizer with `cause` (or just drop it), catching a panic into
/// `slot`. Costs nothing for [`NoopFinalizer`] and types without drop glue.
#[inline(always)]
fn dispose<K, V, F: Finalizer<K, V>>(finalizer: &mut F, slot: &mut PanicSlot, k: K, v: V, cause: RemovalCause) {
    if finalizer.is_noop() {
        if mem::needs_drop::<(K, V)>() {
            slot.run(|| drop((k, v)));
        }
    } else {
        slot.run(|| finalizer.finalize(k, v, cause));
    }
}

/// A new entry that needs more than one victim: what [`Store::place`] leaves to
/// [`LruMap::put_more`] (`victim` still in the map).
struct More<K, V> {
    key: K,
    value: V,
    w: u64,
    victim: u32,
    hand_back: bool,
}

/// An evicted entry: handed back if `hand_back`, else passed to the finalizer.
#[inline(always)]
fn evicted<K, V, X, F: Finalizer<K, V>>(
    finalizer: &mut F,
    slot: &mut PanicSlot,
    old: Slot<K, V, X>,
    hand_back: bool,
) -> Option<(K, V)> {
    if hand_back {
        return Some((old.key, old.value));
    }
    dispose(finalizer, slot, old.key, old.value, RemovalCause::Evicted);
    None
}

/// The parts of an [`LruMap`] besides its arena that storing a new entry uses, and the
/// panic slot of the operation.
struct Store<'a, S, W, F> {
    hash_builder: &'a S,
    bound: Bound,
    weight: &'a mut u128,
    weigher: &'a W,
    finalizer: &'a mut F,
    slot: &'a mut PanicSlot,
}

impl<S: BuildHasher, W, F> Store<'_, S, W, F> {
    /// Store a new entry of weight `w` at the place `v` found, without probing again:
    /// reject it if it alone exceeds the bound; else store it when it fits, or when one
    /// victim makes room (the new entry takes its slot; the victim goes to the caller if
    /// `hand_back`, else to the finalizer). `Err` if more than one victim must leave (a
    /// weight bound); nothing was evicted then.
    #[inline(always)]
    fn place<K: Hash, V, P: EvictionPolicy>(
        &mut self,
        v: Vacant<'_, Slot<K, V, W::Stored>, P>,
        key: K,
        value: V,
        w: u64,
        hand_back: bool,
    ) -> Result<Put<K, V>, More<K, V>>
    where
        W: EntryWeigher<K, V>,
        F: Finalizer<K, V>,
    {
        if self.bound.rejects_single(W::UNIT, w) {
            return Ok(self.reject(v, key, value));
        }
        if !self.bound.is_exceeded_by(W::UNIT, v.nodes.len() + 1, *self.weight + u128::from(w)) {
            let i = v.push(Slot { key, value, weight: W::store(w) });
            *self.weight += u128::from(w);
            return Ok(Put { index: Some(i), out: None, out_evicted: false });
        }
        let Some(victim) = v.policy.victim(v.nodes) else {
            // A policy that stops evicting: the entry cannot be stored.
            return Ok(self.reject(v, key, value));
        };
        // (With a unit weigher, the victim's weight is a constant: no read.)
        let victim_w = if W::UNIT { 1 } else { W::load(v.nodes.item(victim).weight) };
        if self.bound.is_exceeded_by(W::UNIT, v.nodes.len(), *self.weight - u128::from(victim_w) + u128::from(w)) {
            return Err(More { key, value, w, victim, hand_back });
        }
        // One victim makes room: the new entry takes its slot (counted as an eviction
        // once the victim's `Hash` has run: if it panics, nothing changed).
        let old = v.replace(victim, Slot { key, value, weight: W::store(w) }, hasher(self.hash_builder));
        *self.weight = *self.weight - u128::from(victim_w) + u128::from(w);
        Ok(Put { index: Some(victim), out: evicted(self.finalizer, self.slot, old, hand_back), out_evicted: true })
    }

    /// Turn a new entry away: counted, and finalized as [`RemovalCause::Rejected`].
    #[cold]
    fn reject<K, V, T, P: EvictionPolicy>(&mut self, mut v: Vacant<'_, T, P>, key: K, value: V) -> Put<K, V>
    where
        F: Finalizer<K, V>,
    {
        v.removed(RemovalCause::Rejected);
        dispose(self.finalizer, self.slot, key, value, RemovalCause::Rejected);
        Put { index: None, out: None, out_evicted: false }
    }
}

/// A map that holds at most its [`Capacity`] — a number of entries, a total weight, or
/// both — and makes room by evicting the least recently used entry (L3: a cache keyed by
/// request or session ids can no longer grow until the process dies).
///
/// - [`get`](Self::get), [`get_mut`](Self::get_mut), [`insert`](Self::insert) and
///   [`get_or_insert_with`](Self::get_or_insert_with) mark an entry as used;
///   [`peek`](Self::peek), [`peek_mut`](Self::peek_mut) and
///   [`contains_key`](Self::contains_key) do not. Everything is O(1).
/// - **Eviction order** is exactly that of the [`lru`](https://docs.rs/lru) crate with
///   the default [`Lru`] policy. The type parameter `P` selects another
///   [`EvictionPolicy`]: [`WTinyLfu`](crate::WTinyLfu) resists scans and loops (see its
///   docs for hit ratios on real traces).
/// - **Weight**: bound the total weight with [`Capacity::weight`] and a weigher from the
///   [builder](Self::builder); evictions continue until the total fits.
/// - **Memory**: entries live in a dense arena indexed by a `hashbrown` table of `u32`
///   slots, about 30.6 bytes per `(u64, u64)` entry with exact LRU. The arena never
///   grows past the entry bound, and both arena and table shrink after removals,
///   [`clear`](Self::clear) and a lower [`set_limit`](Self::set_limit).
/// - **Size**: slots are numbered by `u32`, so a map holds at most 4,294,967,294
///   entries; a limit that would admit more evicts there.
///
/// # Where values go
///
/// | how a value leaves | where it goes |
/// |---|---|
/// | [`remove`](Self::remove), [`pop_lru`](Self::pop_lru), the old value from [`insert`](Self::insert), an evicted entry from [`push`](Self::push), `into_iter` | handed back to the caller |
/// | evicted to stay within the limit (insert, [`set_limit`](Self::set_limit)) | finalizer, [`RemovalCause::Evicted`] |
/// | **rejected**: a new value that alone weighs more than the whole limit (or any value when the limit is `Capacity::entries(0)`) | not stored; finalizer, [`RemovalCause::Rejected`] (an old value under the same key still leaves as above) |
/// | rejected by [`retain`](Self::retain) | finalizer, [`RemovalCause::Explicit`] |
/// | [`clear`](Self::clear) | finalizer, [`RemovalCause::Cleared`] |
/// | still in the map when it is dropped | finalizer, [`RemovalCause::Dropped`] |
///
/// Without a finalizer (the default [`NoopFinalizer`]) those values are dropped. Each
/// value leaves exactly once; a panicking finalizer or `Drop` finds the map consistent,
/// does not stop the other values of the same operation, and is re-raised at its end.
///
/// # Examples
///
/// ```
/// use leakless::LruMap;
///
/// let mut sessions = LruMap::new(2);
/// sessions.insert("a", 1);
/// sessions.insert("b", 2);
/// assert_eq!(sessions.get(&"a"), Some(&1)); // "a" is now the most recently used
/// sessions.insert("c", 3); // evicts "b"
/// assert_eq!(sessions.keys().copied().collect::<Vec<_>>(), ["c", "a"]);
/// assert_eq!(sessions.stats().evictions(), 1);
/// ```
pub struct LruMap<K, V, S = DefaultHashBuilder, P = Lru, W = UnitWeigher, F = NoopFinalizer>
where
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    core: Core<K, V, P, W::Stored>,
    hash_builder: S,
    limit: Capacity,
    /// `limit` unpacked for the hot paths: the entry and weight bounds, `MAX` if none.
    bound: Bound,
    /// The total weight, exact: up to 2^32 entries of up to `u64::MAX` each cannot
    /// overflow a `u128` (a `u64` total overflowed with large weights).
    weight: u128,
    weigher: W,
    finalizer: F,
}

/// A [`Capacity`] as two plain numbers, so a bound check is two comparisons.
#[derive(Clone, Copy)]
struct Bound {
    len: usize,
    /// `u128::MAX` without a weight bound (a total can exceed `u64::MAX`).
    weight: u128,
}

impl Bound {
    /// The bounds of `limit`; when every entry weighs 1 (`unit`), the weight bound is
    /// folded into the entry bound and the weight is never checked. The entry bound is
    /// at most [`MAX_SLOTS`], the most entries the arena can number, and is also the
    /// arena's `max_slots`: the one place the map's entry bound is computed.
    fn of(limit: Capacity, unit: bool) -> Self {
        let len = limit.max_entries().unwrap_or(usize::MAX).min(MAX_SLOTS);
        let weight = limit.max_weight().map_or(u128::MAX, u128::from);
        if unit {
            Self { len: len.min(usize::try_from(weight).unwrap_or(usize::MAX)), weight: u128::MAX }
        } else {
            Self { len, weight }
        }
    }

    /// `true` if `len` entries of total `weight` do not fit ([`Capacity::is_exceeded_by`]).
    /// `unit` is the weigher's [`EntryWeigher::UNIT`], a constant: with a unit weigher
    /// the weight comparison compiles away (the weight bound is in `len`).
    #[inline(always)]
    fn is_exceeded_by(self, unit: bool, len: usize, weight: u128) -> bool {
        len > self.len || (!unit && weight > self.weight)
    }

    /// `true` if one entry of `weight` alone does not fit ([`Capacity::rejects_single`]).
    #[inline(always)]
    fn rejects_single(self, unit: bool, weight: u64) -> bool {
        self.is_exceeded_by(unit, 1, u128::from(weight))
    }
}

/// What a store did.
struct Put<K, V> {
    /// The slot of the new entry, if it was stored and nothing moved it since.
    index: Option<u32>,
    /// The pair handed back: the old value of the same key, or the first victim.
    out: Option<(K, V)>,
    /// `out` is a victim (evicted), not the key's old value.
    out_evicted: bool,
}

impl<K, V> LruMap<K, V> {
    /// An empty map holding at most `max_entries` entries, with exact LRU eviction. It
    /// does not allocate until the first insert.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(1);
    /// m.insert(1, "a");
    /// m.insert(2, "b");
    /// assert_eq!(m.len(), 1);
    /// assert_eq!(m.peek(&2), Some(&"b"));
    /// ```
    pub fn new(max_entries: usize) -> Self {
        Self::with_limit(Capacity::entries(max_entries))
    }

    /// An empty map bounded by `limit`, with exact LRU eviction. A weight limit without
    /// a weigher counts every entry as weight 1.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{Capacity, LruMap};
    /// let mut m = LruMap::with_limit(Capacity::entries(0));
    /// m.insert(1, 1); // rejected: the map admits nothing
    /// assert!(m.is_empty());
    /// ```
    pub fn with_limit(limit: Capacity) -> Self {
        LruBuilder::new().limit(limit).build()
    }

    /// A builder for a map with any limit, hasher, policy, weigher and finalizer:
    /// `LruMap::builder().max_entries(10_000).max_weight(w).weigher(f).finalizer(f).hasher(s).build()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{LruMap, RemovalCause, WTinyLfu};
    ///
    /// let mut evicted = Vec::new();
    /// let mut m = LruMap::builder()
    ///     .max_entries(1)
    ///     .policy(WTinyLfu::default())
    ///     .finalizer(|k: u32, _v: u32, cause| evicted.push((k, cause)))
    ///     .build();
    /// m.insert(1, 10);
    /// m.insert(2, 20);
    /// drop(m);
    /// assert_eq!(evicted.len(), 2); // one evicted, one dropped with the map
    /// ```
    pub fn builder() -> LruBuilder<K, V> {
        LruBuilder::new()
    }
}

impl<K, V, F: Finalizer<K, V>> LruMap<K, V, DefaultHashBuilder, Lru, UnitWeigher, F> {
    /// An empty map bounded by `limit` whose departing values go to `finalizer` (see
    /// [Where values go](LruMap#where-values-go)).
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{Capacity, LruMap, RemovalCause};
    ///
    /// let mut log = Vec::new();
    /// let mut m = LruMap::with_finalizer(Capacity::entries(1), |k: u8, v: u8, c| log.push((k, v, c)));
    /// m.insert(1, 1);
    /// m.insert(2, 2);
    /// drop(m);
    /// assert_eq!(log, [(1, 1, RemovalCause::Evicted), (2, 2, RemovalCause::Dropped)]);
    /// ```
    pub fn with_finalizer(limit: Capacity, finalizer: F) -> Self {
        LruBuilder::new().limit(limit).finalizer(finalizer).build()
    }
}

impl<K, V, S, P, W, F> LruMap<K, V, S, P, W, F>
where
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    pub(crate) fn from_parts(limit: Capacity, hash_builder: S, policy: P, weigher: W, finalizer: F) -> Self {
        let bound = Bound::of(limit, W::UNIT);
        Self { core: Arena::new(policy, bound.len), hash_builder, limit, bound, weight: 0, weigher, finalizer }
    }

    /// The number of entries.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(10);
    /// m.insert(1, 1);
    /// assert_eq!(m.len(), 1);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.core.len()
    }

    /// `true` if the map holds no entries.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(leakless::LruMap::<u8, u8>::new(10).is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.core.len() == 0
    }

    /// The total weight of the entries (their number, with the default weigher). Without
    /// a weight bound, weights may add up past `u64::MAX`: the total then reads
    /// `u64::MAX`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(10);
    /// m.insert(1, 1);
    /// m.insert(2, 2);
    /// assert_eq!(m.weight(), 2);
    /// ```
    pub fn weight(&self) -> u64 {
        u64::try_from(self.weight).unwrap_or(u64::MAX)
    }

    /// The map's bound.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{Capacity, LruMap};
    /// assert_eq!(LruMap::<u8, u8>::new(10).limit(), Capacity::entries(10));
    /// ```
    pub fn limit(&self) -> Capacity {
        self.limit
    }

    /// The hasher.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::LruMap::<u8, u8>::new(1);
    /// let _: &ahash::RandomState = m.hasher();
    /// ```
    pub fn hasher(&self) -> &S {
        &self.hash_builder
    }

    /// The eviction policy.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::LruMap::<u8, u8>::new(1);
    /// let _: &leakless::Lru = m.policy();
    /// ```
    pub fn policy(&self) -> &P {
        &self.core.policy
    }

    /// The finalizer.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = leakless::LruMap::<u8, u8>::new(1);
    /// let _: &leakless::NoopFinalizer = m.finalizer();
    /// ```
    pub fn finalizer(&self) -> &F {
        &self.finalizer
    }

    /// Heap bytes the map holds now: its arena, its index and its policy's own state,
    /// not what keys and values own.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(100_000);
    /// for i in 0..100_000u64 {
    ///     m.insert(i, i);
    /// }
    /// assert!(m.allocation_size() <= 32 * 100_000);
    /// ```
    pub fn allocation_size(&self) -> usize {
        self.core.allocation_size()
    }

    /// Counters: lookups (hits, misses), insertions, removals by cause (evictions are
    /// [`RemovalCause::Evicted`], an overwritten value [`RemovalCause::Replaced`], as in
    /// every map of the crate), shrinks.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::RemovalCause;
    ///
    /// let mut m = leakless::LruMap::new(1);
    /// m.insert(1, 1);
    /// m.insert(2, 2);
    /// m.insert(2, 3);
    /// assert_eq!(m.get(&1), None);
    /// let s = m.stats();
    /// assert_eq!((s.misses, s.insertions, s.evictions()), (1, 2, 1));
    /// assert_eq!(s.removals(RemovalCause::Replaced), 1);
    /// assert_eq!(s.removals(RemovalCause::Explicit), 0);
    /// ```
    pub fn stats(&self) -> Stats {
        self.core.ctl.stats()
    }

    /// An iterator over `(&K, &V)` from the most to the least recently used, with exact
    /// LRU. Other policies give their own order ([`EvictionPolicy::first`]), which need
    /// not end with the next victim: [`WTinyLfu`](crate::WTinyLfu) lists its window,
    /// then its probation and protected segments, each from most to least recently
    /// used, and picks its victim by a frequency duel; [`peek_lru`](Self::peek_lru)
    /// names the next victim of any policy.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(3);
    /// m.extend([(1, 'a'), (2, 'b'), (3, 'c')]);
    /// m.get(&1);
    /// assert_eq!(m.iter().map(|(k, _)| *k).collect::<Vec<_>>(), [1, 3, 2]);
    /// ```
    pub fn iter(&self) -> Iter<'_, K, V, P, W::Stored> {
        Iter::new(&self.core)
    }

    /// An iterator over `(&K, &mut V)` in the order of [`iter`](Self::iter). It does not
    /// promote. It allocates a temporary list of the entries' slots.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(3);
    /// m.extend([(1, 1), (2, 2)]);
    /// m.iter_mut().for_each(|(_, v)| *v *= 10);
    /// assert_eq!(m.peek(&2), Some(&20));
    /// ```
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        IterMut::new(&mut self.core)
    }

    /// An iterator over the keys, in the order of [`iter`](Self::iter).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(3);
    /// m.extend([(1, 'a'), (2, 'b')]);
    /// assert_eq!(m.keys().collect::<Vec<_>>(), [&2, &1]);
    /// ```
    pub fn keys(&self) -> Keys<'_, K, V, P, W::Stored> {
        Keys { inner: self.iter() }
    }

    /// An iterator over the values, in the order of [`iter`](Self::iter).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(3);
    /// m.extend([(1, 'a'), (2, 'b')]);
    /// assert_eq!(m.values().collect::<Vec<_>>(), [&'b', &'a']);
    /// ```
    pub fn values(&self) -> Values<'_, K, V, P, W::Stored> {
        Values { inner: self.iter() }
    }

    /// The entry that would be evicted next, without changing anything (the least
    /// recently used entry, with [`Lru`]). `None` if the map is empty (or its policy
    /// cannot tell without reorganizing).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(3);
    /// m.extend([(1, 'a'), (2, 'b')]);
    /// assert_eq!(m.peek_lru(), Some((&1, &'a')));
    /// ```
    pub fn peek_lru(&self) -> Option<(&K, &V)> {
        let i = self.core.policy.peek_victim(&self.core.nodes)?;
        let e = self.core.item(i);
        Some((&e.key, &e.value))
    }

    /// Finalize every entry with [`RemovalCause::Cleared`] and give all memory back.
    ///
    /// # Panics
    ///
    /// Re-raises the first panic of the finalizer (or of a `Drop`), after every entry
    /// has left.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(1000);
    /// m.extend((0..1000).map(|i| (i, i)));
    /// m.clear();
    /// assert!(m.is_empty());
    /// assert_eq!(m.allocation_size(), 80, "only the stats block stays");
    /// ```
    pub fn clear(&mut self) {
        let nodes = self.core.take_all();
        self.weight = 0;
        self.core.ctl.counters.removed(RemovalCause::Cleared, nodes.len() as u64);
        if self.finalizer.is_noop() {
            let mut slot = PanicSlot::default();
            if mem::needs_drop::<(K, V)>() {
                for n in nodes {
                    slot.run(|| drop(n));
                }
            }
            slot.resume();
        } else {
            finalize_each(
                &mut self.finalizer,
                nodes.into_iter().map(|n| (n.item.key, n.item.value)),
                RemovalCause::Cleared,
            );
        }
    }
}

impl<K, V, S, P, W, F> LruMap<K, V, S, P, W, F>
where
    K: Eq + Hash,
    S: BuildHasher,
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    /// Fill this empty map with `entries` (least recently used first: the last becomes
    /// the most recently used), as inserting them in order into an exact-LRU map would
    /// leave it whatever the policy: the newest entries that fit the limit stay; older
    /// ones are evicted (finalized as [`RemovalCause::Evicted`] without entering the map,
    /// so a policy with admission, such as `WTinyLfu`, cannot turn the newest away
    /// instead), an older value of a key given again is replaced, and a value heavier
    /// than the whole limit is rejected as by `insert`. For deserialization and
    /// `Arbitrary`.
    #[cfg(any(feature = "serde", feature = "arbitrary"))]
    pub(crate) fn restore(&mut self, entries: Vec<(K, V)>) {
        debug_assert!(self.is_empty(), "restore fills an empty map");
        #[derive(Clone, Copy, PartialEq)]
        enum Fate {
            Insert,
            Replaced,
            Evicted,
        }
        let mut fate = vec![Fate::Evicted; entries.len()];
        let mut seen = std::collections::HashSet::with_capacity(entries.len().min(self.bound.len));
        let (mut len, mut weight, mut full) = (0, 0u128, false);
        for (i, (k, v)) in entries.iter().enumerate().rev() {
            if !seen.insert(k) {
                fate[i] = Fate::Replaced;
                continue;
            }
            if full {
                continue;
            }
            let w = self.weigher.weigh(k, v);
            if self.bound.rejects_single(W::UNIT, w) {
                fate[i] = Fate::Insert; // `insert` rejects it, as for any map
            } else if self.bound.is_exceeded_by(W::UNIT, len + 1, weight + u128::from(w)) {
                full = true; // this one and every older one are evicted
            } else {
                fate[i] = Fate::Insert;
                len += 1;
                weight += u128::from(w);
            }
        }
        drop(seen);
        let mut slot = PanicSlot::default();
        for ((key, value), fate) in entries.into_iter().zip(fate) {
            match fate {
                // A new key (the keys are told apart above) that fits: nothing to hand back.
                Fate::Insert => drop(self.put(key, value, false, &mut slot)),
                Fate::Replaced | Fate::Evicted => {
                    // Counted as the inserts of exact LRU would count them: an evicted
                    // entry was inserted, an overwritten value was not.
                    let cause = if fate == Fate::Replaced {
                        RemovalCause::Replaced
                    } else {
                        self.core.ctl.counters.add(crate::policy::Small::Insertions, 1);
                        RemovalCause::Evicted
                    };
                    self.core.ctl.counters.removed(cause, 1);
                    dispose(&mut self.finalizer, &mut slot, key, value, cause);
                }
            }
        }
        slot.resume();
    }

    #[inline]
    fn find<Q: ?Sized + Hash + Eq>(&self, key: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
    {
        let hash = self.hash_builder.hash_one(key);
        self.core.find(hash, |e| e.key.borrow() == key)
    }

    /// [`find`](Self::find), counting the lookup in the stats.
    #[inline(always)]
    fn find_counted<Q: ?Sized + Hash + Eq>(&self, key: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
    {
        let found = self.find(key);
        self.core.ctl.counters.lookup(found.is_some());
        found
    }

    /// The value for `key`, marking the entry as the most recently used.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// m.insert(1, "a");
    /// m.insert(2, "b");
    /// assert_eq!(m.get(&1), Some(&"a"));
    /// m.insert(3, "c"); // evicts 2, not 1
    /// assert_eq!(m.get(&2), None);
    /// ```
    #[inline]
    pub fn get<Q: ?Sized + Hash + Eq>(&mut self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        let i = self.find_counted(key)?;
        self.core.touch(i);
        Some(&self.core.item(i).value)
    }

    /// The value for `key`, mutably, marking the entry as the most recently used. Its
    /// recorded weight does not change.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// m.insert(1, 1);
    /// *m.get_mut(&1).unwrap() += 1;
    /// assert_eq!(m.peek(&1), Some(&2));
    /// ```
    #[inline]
    pub fn get_mut<Q: ?Sized + Hash + Eq>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        let i = self.find_counted(key)?;
        self.core.touch(i);
        Some(&mut self.core.item_mut(i).value)
    }

    /// The value for `key`, without marking it as used.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// m.insert(1, "a");
    /// m.insert(2, "b");
    /// assert_eq!(m.peek(&1), Some(&"a"));
    /// m.insert(3, "c"); // 1 is still the least recently used
    /// assert_eq!(m.peek(&1), None);
    /// ```
    #[inline]
    pub fn peek<Q: ?Sized + Hash + Eq>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        Some(&self.core.item(self.find_counted(key)?).value)
    }

    /// The value for `key`, mutably, without marking it as used.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// m.insert(1, 1);
    /// *m.peek_mut(&1).unwrap() = 5;
    /// assert_eq!(m.peek(&1), Some(&5));
    /// ```
    #[inline]
    pub fn peek_mut<Q: ?Sized + Hash + Eq>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        let i = self.find_counted(key)?;
        Some(&mut self.core.item_mut(i).value)
    }

    /// `true` if the map holds `key` (does not mark it as used, does not count as a
    /// lookup in [`stats`](Self::stats)).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// m.insert(1, 1);
    /// assert!(m.contains_key(&1));
    /// assert!(!m.contains_key(&2));
    /// ```
    #[inline]
    pub fn contains_key<Q: ?Sized + Hash + Eq>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_some()
    }

    /// Insert `value` under `key` as the most recently used entry, evicting what no
    /// longer fits (to the finalizer, [`RemovalCause::Evicted`]). Returns the old value
    /// of `key`, like `std`'s `insert` (the stored key is kept).
    ///
    /// A value that alone weighs more than the whole limit is **rejected**: not stored,
    /// finalized with [`RemovalCause::Rejected`] (an old value of `key` is removed and
    /// returned all the same).
    ///
    /// # Panics
    ///
    /// Panics if `Hash`, `Eq` or the weigher panic on the new key or value (the map is
    /// unchanged; the value is dropped). If a victim's `Hash` panics, the victims already
    /// out stay out and the new value may be dropped, but every value that left the map
    /// reaches the finalizer (or the caller); the panic is re-raised at the end, as is
    /// the first panic of the finalizer or of a victim's `Drop`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// assert_eq!(m.insert(1, "a"), None);
    /// assert_eq!(m.insert(1, "b"), Some("a"));
    /// ```
    #[inline]
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let mut slot = PanicSlot::default();
        let mut put = self.put(key, value, false, &mut slot);
        self.settle(&mut put, &mut slot);
        slot.resume();
        put.out.map(|(_, v)| v)
    }

    /// Insert like [`insert`](Self::insert), handing back the pair that left: the old
    /// value of `key` (with the key passed in), or else the entry evicted to make room
    /// (if a weight bound evicts several, the first one; the others go to the
    /// finalizer). A rejected value goes to the finalizer as in `insert`. Same results as
    /// `lru::LruCache::push`.
    ///
    /// # Panics
    ///
    /// As [`insert`](Self::insert).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// assert_eq!(m.push(1, "a"), None);
    /// assert_eq!(m.push(2, "b"), None);
    /// assert_eq!(m.push(2, "B"), Some((2, "b")));
    /// assert_eq!(m.push(3, "c"), Some((1, "a"))); // evicted
    /// ```
    pub fn push(&mut self, key: K, value: V) -> Option<(K, V)> {
        let mut slot = PanicSlot::default();
        let mut put = self.put(key, value, true, &mut slot);
        self.settle(&mut put, &mut slot);
        slot.resume();
        put.out
    }

    /// The value for `key`, inserting `f()` first if absent (evicting what no longer
    /// fits). Marks the entry as used. `None` if the new value was rejected (it alone
    /// weighs more than the whole limit; it went to the finalizer).
    ///
    /// # Panics
    ///
    /// As [`insert`](Self::insert); a panic of `f` leaves the map unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// *m.get_or_insert_with(1, || 0).unwrap() += 1;
    /// *m.get_or_insert_with(1, || 0).unwrap() += 1;
    /// assert_eq!(m.peek(&1), Some(&2));
    /// let mut none = leakless::LruMap::new(0);
    /// assert_eq!(none.get_or_insert_with(1, || 0), None);
    /// ```
    pub fn get_or_insert_with(&mut self, key: K, f: impl FnOnce() -> V) -> Option<&mut V> {
        let hash = self.hash_builder.hash_one(&key);
        let mut slot = PanicSlot::default();
        let (core, mut store) = self.split(&mut slot);
        let put = match core.entry(hash, |e| e.key == key, hasher(store.hash_builder)) {
            Entry::Occupied(i) => {
                core.ctl.counters.lookup(true);
                core.touch(i);
                Ok(Put { index: Some(i), out: None, out_evicted: false })
            }
            Entry::Vacant(v) => {
                v.lookup(false);
                let value = f();
                let w = store.weigher.weigh(&key, &value);
                store.place(v, key, value, w, false)
            }
        };
        let put = match put {
            Ok(put) => put,
            Err(more) => self.put_more(hash, more, &mut slot),
        };
        slot.resume();
        Some(&mut self.core.item_mut(put.index?).value)
    }

    /// Store `(key, value)`; the pair handed back (see [`push`](Self::push)).
    #[inline]
    fn put(&mut self, key: K, value: V, hand_back: bool, slot: &mut PanicSlot) -> Put<K, V> {
        let hash = self.hash_builder.hash_one(&key);
        let (core, mut store) = self.split(slot);
        let i = match core.entry(hash, |e| e.key == key, hasher(store.hash_builder)) {
            Entry::Occupied(i) => i,
            Entry::Vacant(v) => {
                let w = store.weigher.weigh(&key, &value);
                return match store.place(v, key, value, w, hand_back) {
                    Ok(put) => put,
                    Err(more) => self.put_more(hash, more, slot),
                };
            }
        };
        let w = self.weigher.weigh(&key, &value);
        if self.bound.rejects_single(W::UNIT, w) {
            // The old value leaves, replaced; the new one is turned away.
            let old = self.remove_at(i, slot);
            self.core.ctl.counters.removed(RemovalCause::Rejected, 1);
            self.core.after_removal(RemovalCause::Replaced, 1, hasher(&self.hash_builder), slot);
            dispose(&mut self.finalizer, slot, key, value, RemovalCause::Rejected);
            return Put { index: None, out: Some((old.key, old.value)), out_evicted: false };
        }
        let e = self.core.item_mut(i);
        let old_w = W::load(e.weight);
        e.weight = W::store(w);
        let old = mem::replace(&mut e.value, value);
        self.weight = self.weight - u128::from(old_w) + u128::from(w);
        self.core.touch(i);
        self.core.ctl.counters.removed(RemovalCause::Replaced, 1);
        if old_w < w {
            self.evict_to_fit(slot);
            // Evictions for a heavier value shrink the map's length: give memory back.
            self.core.maybe_shrink(hasher(&self.hash_builder), slot);
        }
        Put { index: None, out: Some((key, old)), out_evicted: false }
    }

    /// The slow end of [`place`]: evict `more.victim` (to the caller if
    /// `more.hand_back`, else to the finalizer) and, to the finalizer, as many more as
    /// needed, then store the new entry.
    #[cold]
    fn put_more(&mut self, hash: u64, more: More<K, V>, slot: &mut PanicSlot) -> Put<K, V> {
        let mut out = None;
        let stored = panic::catch_unwind(AssertUnwindSafe(|| {
            let mut more = more;
            loop {
                // Every pass evicts a victim; only the first can be handed back.
                let victim = self.evict_at(more.victim, more.hand_back, slot);
                out = out.take().or(victim);
                let (core, mut store) = self.split(slot);
                let v = core.vacant(hash, hasher(store.hash_builder));
                match store.place(v, more.key, more.value, more.w, false) {
                    Ok(put) => return put.index,
                    Err(next) => more = next,
                }
            }
        }));
        match stored {
            Ok(index) => {
                // Several victims left for one entry (a weight bound): the length fell,
                // so give memory back if due (slot numbers stay valid across a shrink).
                self.core.maybe_shrink(hasher(&self.hash_builder), slot);
                Put { index, out, out_evicted: true }
            }
            Err(payload) => {
                // A later victim's `Hash` (or the index's) panicked after earlier victims
                // left: the new entry is dropped, and the one set aside for the caller
                // cannot be handed back (the panic is re-raised), so it is finalized.
                if let Some((k, v)) = out.take() {
                    dispose(&mut self.finalizer, slot, k, v, RemovalCause::Evicted);
                }
                slot.keep(payload);
                Put { index: None, out: None, out_evicted: false }
            }
        }
    }

    /// If the operation will re-raise a panic, the pair it would hand back cannot reach
    /// the caller: it goes to the finalizer instead (a victim as `Evicted`, the key's
    /// old value as `Replaced`), so no value leaves unseen.
    fn settle(&mut self, put: &mut Put<K, V>, slot: &mut PanicSlot) {
        if slot.is_set() {
            if let Some((k, v)) = put.out.take() {
                let cause = if put.out_evicted { RemovalCause::Evicted } else { RemovalCause::Replaced };
                dispose(&mut self.finalizer, slot, k, v, cause);
            }
        }
    }

    /// The arena, and the rest of the map as a [`Store`] for an operation whose panics
    /// go to `slot`.
    #[inline(always)]
    fn split<'a>(&'a mut self, slot: &'a mut PanicSlot) -> Split<'a, K, V, S, P, W, F> {
        let Self { core, hash_builder, bound, weight, weigher, finalizer, .. } = self;
        (core, Store { hash_builder, bound: *bound, weight, weigher, finalizer, slot })
    }

    /// Evict the entry at `victim`: handed back if `hand_back`, else finalized.
    #[inline]
    fn evict_at(&mut self, victim: u32, hand_back: bool, slot: &mut PanicSlot) -> Option<(K, V)> {
        let old = self.remove_at(victim, slot);
        self.core.ctl.counters.removed(RemovalCause::Evicted, 1);
        evicted(&mut self.finalizer, slot, old, hand_back)
    }

    /// Remove the entry at `index`, keeping the weight in step (no shrink, no counters).
    /// A panic of `Hash` goes to `slot` (the removal completes: see `Arena::remove`).
    #[inline]
    fn remove_at(&mut self, index: u32, slot: &mut PanicSlot) -> Slot<K, V, W::Stored> {
        let old = self.core.remove(index, hasher(&self.hash_builder), slot);
        self.weight -= u128::from(W::load(old.weight));
        old
    }

    /// Evict until the map is within its limit.
    fn evict_to_fit(&mut self, slot: &mut PanicSlot) {
        while self.bound.is_exceeded_by(W::UNIT, self.core.len(), self.weight) {
            let Some(victim) = self.core.policy.victim(&mut self.core.nodes) else { break };
            self.evict_at(victim, false, slot);
        }
    }

    /// Remove `key`, handing its value back (it is not finalized).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// m.insert(1, "a");
    /// assert_eq!(m.remove(&1), Some("a"));
    /// assert_eq!(m.remove(&1), None);
    /// ```
    pub fn remove<Q: ?Sized + Hash + Eq>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.remove_entry(key).map(|(_, v)| v)
    }

    /// Remove `key`, handing the stored key and value back.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// m.insert(1, "a");
    /// assert_eq!(m.remove_entry(&1), Some((1, "a")));
    /// ```
    pub fn remove_entry<Q: ?Sized + Hash + Eq>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
    {
        let i = self.find(key)?;
        let mut slot = PanicSlot::default();
        let old = self.remove_at(i, &mut slot);
        self.core.after_removal(RemovalCause::Explicit, 1, hasher(&self.hash_builder), &mut slot);
        slot.resume();
        Some((old.key, old.value))
    }

    /// Remove the entry that would be evicted next (the least recently used one, with
    /// [`Lru`]) and hand it back.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(3);
    /// m.extend([(1, 'a'), (2, 'b')]);
    /// assert_eq!(m.pop_lru(), Some((1, 'a')));
    /// assert_eq!(m.pop_lru(), Some((2, 'b')));
    /// assert_eq!(m.pop_lru(), None);
    /// ```
    pub fn pop_lru(&mut self) -> Option<(K, V)> {
        let i = self.core.policy.victim(&mut self.core.nodes)?;
        let mut slot = PanicSlot::default();
        let old = self.remove_at(i, &mut slot);
        self.core.after_removal(RemovalCause::Explicit, 1, hasher(&self.hash_builder), &mut slot);
        slot.resume();
        Some((old.key, old.value))
    }

    /// Change the bound. Entries that no longer fit are evicted (to the finalizer,
    /// [`RemovalCause::Evicted`]) and the memory they held is given back.
    ///
    /// # Panics
    ///
    /// Re-raises the first panic of the finalizer or of a `Drop`, after the map fits.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{Capacity, LruMap};
    /// let mut m = LruMap::new(100_000);
    /// m.extend((0..100_000u64).map(|i| (i, i)));
    /// let peak = m.allocation_size();
    /// m.set_limit(Capacity::entries(10));
    /// assert_eq!(m.len(), 10);
    /// assert!(m.allocation_size() < peak / 100);
    /// ```
    pub fn set_limit(&mut self, limit: Capacity) {
        self.limit = limit;
        self.bound = Bound::of(limit, W::UNIT);
        self.core.max_slots = self.bound.len;
        let mut slot = PanicSlot::default();
        self.evict_to_fit(&mut slot);
        self.core.maybe_shrink(hasher(&self.hash_builder), &mut slot);
        slot.resume();
    }

    /// Keep the entries for which `keep` returns `true`; finalize the others with
    /// [`RemovalCause::Explicit`], then give memory back if due. The order of the calls
    /// is unspecified.
    ///
    /// # Panics
    ///
    /// A panic of `keep` ends the scan; it propagates once the entries already removed
    /// are counted and the memory they held is given back (the map stays valid). A panic
    /// of the finalizer is re-raised after the scan.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(10);
    /// m.extend((0..10).map(|i| (i, i)));
    /// m.retain(|k, _| k % 2 == 0);
    /// assert_eq!(m.len(), 5);
    /// ```
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        let mut slot = PanicSlot::default();
        let mut removed = 0;
        let scan = panic::catch_unwind(AssertUnwindSafe(|| {
            for i in (0..self.core.len() as u32).rev() {
                let e = self.core.item_mut(i);
                if !keep(&e.key, &mut e.value) {
                    let old = self.remove_at(i, &mut slot);
                    removed += 1;
                    dispose(&mut self.finalizer, &mut slot, old.key, old.value, RemovalCause::Explicit);
                }
            }
        }));
        self.core.after_removal(RemovalCause::Explicit, removed, hasher(&self.hash_builder), &mut slot);
        if let Err(p) = scan {
            panic::resume_unwind(p);
        }
        slot.resume();
    }

    /// Reserve room for `additional` more entries (but not beyond the entry bound).
    ///
    /// # Errors
    ///
    /// [`TryReserveError`] on capacity overflow or allocation failure.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{Capacity, LruMap};
    /// let mut m: LruMap<u64, u64> = LruMap::with_limit(Capacity::unbounded());
    /// assert!(m.try_reserve(usize::MAX).is_err());
    /// assert!(m.try_reserve(100).is_ok());
    /// ```
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), TryReserveError> {
        self.core.try_reserve(additional, hasher(&self.hash_builder))
    }

    /// Check the internal invariants: every entry indexed once and found by its hash,
    /// the policy's order covering every entry, the total weight, and the bound.
    ///
    /// # Panics
    ///
    /// Panics with a description of the first broken invariant.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = leakless::LruMap::new(2);
    /// m.extend([(1, 1), (2, 2), (3, 3)]);
    /// m.validate();
    /// ```
    pub fn validate(&self) {
        self.core.validate(hasher(&self.hash_builder));
        let total: u128 = self.core.nodes.0.iter().map(|n| u128::from(W::load(n.item.weight))).sum();
        assert_eq!(total, self.weight, "validate: the recorded total weight is wrong");
        let over_weight = self.limit.max_weight().is_some_and(|m| self.weight > u128::from(m));
        assert!(
            !over_weight && !self.limit.is_exceeded_by(self.core.len(), 0),
            "validate: {} entries of weight {} exceed the limit {:?}",
            self.core.len(),
            self.weight,
            self.limit
        );
        if let Some(max) = self.limit.max_entries() {
            assert!(
                self.core.nodes.0.capacity() <= max.max(4),
                "validate: the arena holds room for {} entries, over the bound {max}",
                self.core.nodes.0.capacity()
            );
        }
    }
}

impl<K, V, S, P, W, F> Drop for LruMap<K, V, S, P, W, F>
where
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    fn drop(&mut self) {
        if self.finalizer.is_noop() || self.core.len() == 0 {
            return;
        }
        let nodes = mem::take(&mut self.core.nodes.0);
        finalize_each(
            &mut self.finalizer,
            nodes.into_iter().map(|n| (n.item.key, n.item.value)),
            RemovalCause::Dropped,
        );
    }
}

impl<K, V, S, P, W, F> Clone for LruMap<K, V, S, P, W, F>
where
    K: Clone,
    V: Clone,
    S: Clone,
    P: EvictionPolicy + Clone,
    P::Meta: Clone,
    W: EntryWeigher<K, V> + Clone,
    F: Finalizer<K, V> + Clone,
{
    fn clone(&self) -> Self {
        Self {
            core: self.core.clone(),
            hash_builder: self.hash_builder.clone(),
            limit: self.limit,
            bound: self.bound,
            weight: self.weight,
            weigher: self.weigher.clone(),
            finalizer: self.finalizer.clone(),
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S, P, W, F> fmt::Debug for LruMap<K, V, S, P, W, F>
where
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K, V, S, P, W, F> Extend<(K, V)> for LruMap<K, V, S, P, W, F>
where
    K: Eq + Hash,
    S: BuildHasher,
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    /// Insert every pair in order (so the last one ends up the most recently used).
    fn extend<T: IntoIterator<Item = (K, V)>>(&mut self, iter: T) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<'a, K, V, S, P, W, F> IntoIterator for &'a LruMap<K, V, S, P, W, F>
where
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V, P, W::Stored>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, K, V, S, P, W, F> IntoIterator for &'a mut LruMap<K, V, S, P, W, F>
where
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl<K, V, S, P, W, F> IntoIterator for LruMap<K, V, S, P, W, F>
where
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    type Item = (K, V);
    type IntoIter = IntoIter<K, V>;

    /// Hand every entry back (none is finalized), in the order of
    /// [`iter`](LruMap::iter).
    fn into_iter(mut self) -> IntoIter<K, V> {
        let order = iter::order(&self.core);
        let nodes = mem::take(&mut self.core.nodes.0);
        self.core.take_all();
        self.weight = 0;
        IntoIter::new(order, nodes)
    }
}

#[cfg(test)]
mod tests {
    use super::{Bound, MAX_SLOTS};
    use crate::Capacity;

    /// Slots are `u32`s: no limit lets the map number more entries than `MAX_SLOTS`
    /// (beyond it, slot numbers would repeat and entries would overwrite each other).
    #[test]
    fn every_bound_fits_the_slot_numbers() {
        let huge = usize::MAX;
        for (limit, unit) in [
            (Capacity::unbounded(), true),
            (Capacity::unbounded(), false),
            (Capacity::entries(huge), true),
            (Capacity::weight(u64::MAX), true),
            (Capacity::weight(u64::MAX), false),
            (Capacity::entries(huge).with_max_weight(10), false),
        ] {
            assert_eq!(Bound::of(limit, unit).len, MAX_SLOTS, "{limit:?}, unit weigher: {unit}");
        }
        assert_eq!(Bound::of(Capacity::entries(10), false).len, 10);
        assert_eq!(Bound::of(Capacity::weight(7), true).len, 7, "a unit weight bound is an entry bound");
        let m: crate::LruMap<u8, u8> = crate::LruMap::with_limit(Capacity::unbounded());
        assert_eq!(m.core.max_slots, MAX_SLOTS);
        assert_eq!(MAX_SLOTS as u64, u64::from(u32::MAX) - 1);
    }

    /// A full cache that evicts on every insert keeps its index's tombstones (the
    /// buckets `capacity()` no longer counts) within an eighth of its capacity, so
    /// probes stay short, and never grows its index.
    #[test]
    fn churn_keeps_the_index_tombstones_below_an_eighth() {
        // Scaled down under Miri, which runs the crate's unit tests (this one is safe code).
        let (cap, ops) = if cfg!(miri) { (64u64, 1_000) } else { (1000, 100_000) };
        let mut m = crate::LruMap::new(cap as usize);
        for k in 0..cap {
            m.insert(k, k);
        }
        let buckets = m.core.index.num_buckets();
        let full = crate::raw::full_capacity(buckets);
        let mut worst = 0;
        for k in cap..ops {
            m.insert(k, k);
            if k % 3 == 0 {
                m.remove(&(k - cap / 2));
            }
            worst = worst.max(full - m.core.index.capacity());
        }
        // Checked as each insert starts; that insert's eviction and the removal after it
        // may each leave one more.
        assert!(worst <= full / 8 + 2, "{worst} tombstones in a capacity of {full}");
        assert!(worst > 0, "the churn left tombstones at some point");
        assert_eq!(m.core.index.num_buckets(), buckets, "the index grew");
        m.validate();
    }
}
