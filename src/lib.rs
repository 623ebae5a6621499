//! Hash maps that do not leak memory in long-running programs.
//!
//! Ordinary maps leak in ways the borrow checker cannot see: not unfreed allocations,
//! but memory that only grows while a service runs. `leakless` ships a map type for each
//! of those leaks, all built on one policy layer, and every map reports what it holds
//! (`allocation_size()`, `stats()`), so a leak can be seen instead of guessed.
//!
//! # The leaks
//!
//! | leak | ordinary map | `leakless` |
//! |------|--------------|------------|
//! | L1 capacity never returned | `std`/`hashbrown` keep every bucket after `remove`/`clear` (1M `u64` pairs: 35.6 MB still held after removing all) | [`HashMap`] shrinks with hysteresis |
//! | L2 ghost inner maps | `HashMap<K1, HashMap<K2, V>>` keeps an empty inner map for every outer key ever touched; `entry(k1).or_default()` creates one on a read | [`NestedMap`] removes an inner collection the moment it empties, at any depth; reads never allocate |
//! | L3 unbounded growth | a cache keyed by request ids grows until the process dies | [`LruMap`] (and a bounded `ConcurrentMap`) holds at most its [`Capacity`] (entries or weight), exact LRU or [`WTinyLfu`] |
//! | L4 cleanup skipped on overwrite/removal | a value holding a resource is dropped without its release step | [`FinalizingMap`] (and every bounded map) finalizes every departing value exactly once, with its [`RemovalCause`] |
//! | L5 entries keyed by dead objects | a map keyed by `Arc<Session>` keeps every session; `weak-table` keeps dead entries (and their values and key allocations) until it grows | [`WeakKeyMap`] prunes dead entries in amortized O(1) per mutating op and finalizes their values as `Collected` |
//! | L6 deferred garbage that never runs | epoch/RCU maps whose retired nodes pile up while a reader stays pinned, or whose destructors never run when the map is dropped | `ConcurrentMap` bounds deferred garbage, frees everything on drop, and shrinks its table |
//!
//! `cargo run --release --example leak_report` runs each leak's workload on the ordinary
//! map and on the `leakless` one and prints the bytes each holds afterwards.
//!
//! # The maps
//!
//! **[`HashMap`]** — a drop-in for `std::collections::HashMap` (same methods, entry API,
//! trait impls and bytes per entry) whose table shrinks as entries leave (L1).
//! `with_capacity(n)` is a floor it never shrinks below.
//!
//! ```
//! use leakless::HashMap;
//!
//! let mut sessions = HashMap::new();
//! for id in 0..100_000u64 {
//!     sessions.insert(id, [0u8; 16]);
//! }
//! let peak = sessions.allocation_size();
//! sessions.retain(|_, _| false);
//! // std would still hold `peak` bytes here.
//! assert!(sessions.allocation_size() <= peak / 100);
//! ```
//!
//! **[`FinalizingMap`]** — an unbounded map that hands every value leaving it other than
//! through `remove` (overwritten, discarded, cleared, dropped) to a finalizer, exactly
//! once (L4).
//!
//! ```
//! use leakless::{FinalizingMap, RemovalCause};
//!
//! let mut aborted = Vec::new();
//! let mut tasks = FinalizingMap::new(|id: u32, _task: String, cause| aborted.push((id, cause)));
//! tasks.insert(7, "download".to_string());
//! tasks.insert(7, "retry".to_string()); // the first task is not silently dropped
//! drop(tasks);
//! assert_eq!(aborted, [(7, RemovalCause::Replaced), (7, RemovalCause::Dropped)]);
//! ```
//!
//! **[`LruMap`]** — a map bounded by entries and/or total weight, evicting the least
//! recently used entry (or by [`WTinyLfu`]); evicted values can go to a finalizer (L3).
//!
//! ```
//! use leakless::LruMap;
//!
//! let mut cache = LruMap::new(2);
//! cache.insert("a", 1);
//! cache.insert("b", 2);
//! cache.get(&"a"); // "a" is now the most recently used
//! cache.insert("c", 3); // evicts "b"
//! assert_eq!(cache.keys().copied().collect::<Vec<_>>(), ["c", "a"]);
//! ```
//!
//! **[`WeakKeyMap`]** — keys held as `std::rc::Weak<T>` or `std::sync::Weak<T>`; an entry
//! whose key died is invisible at once and pruned in amortized O(1) (L5).
//! [`WeakIdentityMap`] compares keys by address instead of by value.
//!
//! ```
//! use leakless::WeakKeyMap;
//! use std::sync::{Arc, Weak};
//!
//! let mut state: WeakKeyMap<Weak<str>, u32> = WeakKeyMap::new();
//! let session: Arc<str> = Arc::from("session-1");
//! state.insert(&session, 1);
//! assert_eq!(state.get("session-1"), Some(&1));
//! drop(session);
//! assert_eq!(state.get("session-1"), None);
//! assert_eq!(state.prune(), 1);
//! ```
//!
//! **[`NestedMap`]** — a map of inner collections (maps, sets, vectors, nested maps) that
//! removes an inner collection the moment it becomes empty; reads never create one (L2).
//!
//! ```
//! use leakless::nested::NestedHashMap;
//!
//! let mut members: NestedHashMap<&str, u32, ()> = NestedHashMap::new();
//! members.insert("rust", 1, ());
//! assert_eq!(members.get(&"go", &1), None); // a miss creates nothing
//! members.remove(&"rust", &1);
//! assert_eq!(members.outer_len(), 0, "the emptied inner map was pruned");
//! ```
//!
//! **`ConcurrentMap`** — an epoch-reclaimed concurrent map (`Send + Sync`, lock-free
//! reads) that shrinks, bounds its deferred garbage and frees everything on drop (L6),
//! and with a [`Capacity`] becomes a concurrent cache (L3).
//!
//! ## Builders
//!
//! Every map has a `builder()` with the same words for the same settings:
//!
//! ```
//! use leakless::{FinalizingMap, FixedState, HashMap, LruMap, ShrinkPolicy};
//!
//! let plain = HashMap::<u64, u64>::builder().capacity(1024).shrink_policy(ShrinkPolicy::never()).build();
//! let cache = LruMap::builder().max_entries(10_000).finalizer(|_k: u64, _v: u64, _cause| {}).build();
//! let tasks = FinalizingMap::builder()
//!     .capacity(64)
//!     .hasher(FixedState::with_seed(1))
//!     .finalizer(|_k: u32, _v: String, _cause| {})
//!     .build();
//! assert!(plain.capacity() >= 1024 && cache.is_empty() && tasks.capacity() >= 64);
//! ```
//!
//! [`MapBuilder`] serves [`HashMap`], [`FinalizingMap`], [`WeakKeyMap`] and [`NestedMap`]
//! (`capacity`, `hasher`, `shrink_policy`, and `finalizer` where the map has one);
//! [`LruBuilder`] adds the bound and eviction settings (`max_entries`, `max_weight`,
//! `limit`, `weigher`, `policy`).
//!
//! # The policy layer
//!
//! Every map takes the same policy types ([`policy`]), so they are learned once:
//!
//! - [`Capacity`] — how much a bounded map may hold: `Capacity::entries(n)`,
//!   `Capacity::weight(w)`, both, or `Capacity::unbounded()`.
//! - [`Weigher`] — what one entry weighs against a weight bound (any
//!   `Fn(&K, &V) -> u64`; [`UnitWeigher`] counts 1 per entry).
//! - [`EvictionPolicy`] — which entry leaves first: [`Lru`] (exact LRU, the default of
//!   [`LruMap`]), [`WTinyLfu`] (scan- and loop-resistant, as in Caffeine), or
//!   [`Unbounded`] (never evicts, zero bytes per entry: what the unbounded maps use).
//! - [`ShrinkPolicy`] — when a table gives memory back (default: under a quarter full,
//!   to about twice the live entries; hysteresis means it never thrashes), or
//!   [`ShrinkPolicy::never`] for `std`'s behaviour.
//! - [`RemovalCause`] and [`Finalizer`] — the exit contract: every value that enters a
//!   map leaves exactly once, handed back to the caller or passed to the finalizer with
//!   its cause (`Replaced`, `Evicted`, `Collected`, `Cleared`, `Dropped`, `Explicit`,
//!   `Rejected`); a panicking finalizer does not stop the others.
//! - [`Stats`] — what a map has done (hits, misses, insertions, removals by cause,
//!   shrinks, pruned entries), from every map's `stats()`.
//!
//! ```
//! use leakless::{LruMap, RemovalCause, WTinyLfu};
//!
//! let mut evicted = 0;
//! let mut images = LruMap::builder()
//!     .max_weight(1 << 20) // 1 MiB of pixels
//!     .weigher(|_name: &String, px: &Vec<u8>| px.len() as u64)
//!     .policy(WTinyLfu::default())
//!     .finalizer(|_name: String, _px: Vec<u8>, cause| {
//!         if cause == RemovalCause::Evicted {
//!             evicted += 1; // e.g. release the texture
//!         }
//!     })
//!     .build();
//! for i in 0..20 {
//!     images.insert(format!("img{i}"), vec![0; 100 << 10]); // 100 KiB each
//! }
//! assert!(images.weight() <= 1 << 20);
//! assert_eq!(images.stats().evictions(), 10);
//! drop(images);
//! assert_eq!(evicted, 10);
//! ```
//!
//! # Choosing a hasher
//!
//! Every map takes a `BuildHasher` type parameter `S`. The default,
//! [`DefaultHashBuilder`] (`ahash::RandomState`), is fast and seeded at random for each
//! map, so an attacker who controls keys cannot predict collisions (HashDoS) and two
//! maps with the same keys iterate in different orders. Any other `BuildHasher` works
//! through `with_hasher` or a builder's `.hasher(s)`: `std::hash::RandomState`,
//! `foldhash`, or [`FixedState`] — but keep a randomized hasher for keys an attacker
//! chooses.
//!
//! # Reproducible runs (fuzzing, failing tests)
//!
//! Build maps with [`FixedState`] and a run replays identically: the maps keep no global
//! state and start no threads, so with the same seed and the same operations they hold
//! the same entries in the same order.
//!
//! ```
//! use leakless::{FixedState, HashMap};
//! let mut a: HashMap<u64, u64, FixedState> = HashMap::with_hasher(FixedState::with_seed(42));
//! let mut b = HashMap::builder().hasher(FixedState::with_seed(42)).build();
//! a.extend((0..1000).map(|i| (i, i)));
//! b.extend((0..1000).map(|i| (i, i)));
//! assert!(a.keys().eq(b.keys()), "same seed, same iteration order");
//! ```
//!
//! # Cargo features
//!
//! - `serde`: `Serialize`/`Deserialize` for [`HashMap`], [`FinalizingMap`],
//!   [`NestedMap`], [`LruMap`], [`ConcurrentMap`] and [`Capacity`] (see [below](#serde)).
//! - `arbitrary`: `arbitrary::Arbitrary` for [`HashMap`], [`FinalizingMap`], [`LruMap`]
//!   (its limit taken from the input), [`NestedMap`] and [`ConcurrentMap`], so a fuzz
//!   target can take a map as input (pair it with [`FixedState`]). [`WeakKeyMap`] has
//!   none: it owns no strong pointer to its keys, so every key an `Arbitrary` impl made
//!   would be dead at once.
//!
//! ## `serde`
//!
//! | type | serialized as | deserialized |
//! |---|---|---|
//! | [`HashMap`], [`FinalizingMap`] | a map `{k: v, ...}`, like `std`'s `HashMap` | entries inserted in order (a repeated key: the last wins; a [`FinalizingMap`] finalizes the earlier value as `Replaced`) |
//! | [`NestedMap`] | a map of inner collections `{k1: inner, ...}` | an empty inner collection in the input is not stored; a repeated key: the last wins; the inner type needs no `Default` (a map of [`LruMap`]s keeps each limit) |
//! | [`LruMap`] | a struct `{limit, entries}`: `limit` is the [`Capacity`], `entries` the `(k, v)` pairs from the most to the least recently used (the order of [`LruMap::iter`]) | a map with that `limit`, the entries inserted from the least to the most recently used: the recency order, hence the eviction order, is the same as before (entries beyond the limit, in hand-written input, are evicted oldest first, whatever the policy; an older value of a repeated key is replaced by the first listed) |
//! | [`ConcurrentMap`] (and its [`Pinned`](concurrent::Pinned) handle) | a map `{k: v, ...}` of the entries one weakly consistent [`iter`](concurrent::Pinned::iter) yields (each entry present for the whole serialization exactly once), counted before the first is written, so formats that write the length first get the right one; serializing holds one pin from start to end, so garbage retired meanwhile waits for it (serialize into memory rather than straight into a slow writer) | an unbounded map without a finalizer, entries inserted in order (a repeated key: the last wins); for a bounded cache, deserialize the same data as a `std` `HashMap` and [`extend`](Extend::extend) a map built by [`ConcurrentMap::builder`] with it |
//! | [`Capacity`] | a struct `{max_entries, max_weight}`, each a number or none | the same bound |
//!
//! Not serialized: the hasher (a deserialized map gets `S::default()`: with the default
//! hasher, a new random seed and another iteration order), the [`ShrinkPolicy`] and the
//! capacity floor, the finalizer (`F::default()`), the weigher (`W::default()`; each
//! weight is recomputed on insertion), the eviction policy's state (`P::default()`:
//! [`Lru`] order is restored exactly; [`WTinyLfu`] gets the entries in its order but
//! forgets its frequency sketch and window size), and [`Stats`] (a deserialized map
//! counts the insertions that rebuilt it). Deserializing therefore needs `Default`
//! hashers, finalizers, weighers and policies; maps with closures serialize but do not
//! deserialize. A [`WeakKeyMap`] is not serializable: its keys are weak pointers to
//! objects it does not own.
//!
//! ```
//! # #[cfg(feature = "serde")] {
//! use leakless::LruMap;
//!
//! let mut m = LruMap::new(3);
//! m.extend([(1, 'a'), (2, 'b'), (3, 'c')]);
//! m.get(&1); // 1 is now the most recently used; 2 is next to go
//! let json = serde_json::to_string(&m).unwrap();
//! assert_eq!(json, r#"{"limit":{"max_entries":3,"max_weight":null},"entries":[[1,"a"],[3,"c"],[2,"b"]]}"#);
//!
//! let mut back: LruMap<i32, char> = serde_json::from_str(&json).unwrap();
//! back.insert(4, 'd');
//! assert!(!back.contains_key(&2), "the same entry was evicted");
//! # }
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(rust_2018_idioms)]

#[cfg(feature = "arbitrary")]
mod arbitrary;
mod builder;
pub mod concurrent;
mod error;
mod finalizing;
pub mod hash_map;
mod hasher;
mod loom;
pub mod lru;
pub mod nested;
pub mod policy;
mod raw;
#[cfg(feature = "serde")]
mod serde;
pub mod weak;

pub use builder::MapBuilder;
pub use concurrent::ConcurrentMap;
pub use error::TryReserveError;
pub use finalizing::FinalizingMap;
pub use hash_map::{DefaultHashBuilder, HashMap};
pub use hasher::FixedState;
pub use lru::{LruBuilder, LruMap};
pub use nested::NestedMap;
pub use policy::{
    Capacity, EvictionPolicy, Finalizer, Lru, MetaArena, NoopFinalizer, RemovalCause, ShrinkPolicy, Stats, Unbounded,
    UnitWeigher, WTinyLfu, Weigher,
};
pub use weak::{ById, WeakIdentityMap, WeakKey, WeakKeyMap, SWEEP_STEP};

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
