//! Hash maps that do not leak memory in long-running programs.
//!
//! Ordinary maps leak in ways the borrow checker cannot see. `leakless` ships a map
//! type for each of those leaks, all sharing one policy layer ([`Capacity`],
//! [`Weigher`], [`EvictionPolicy`], [`ShrinkPolicy`], [`RemovalCause`], [`Finalizer`],
//! [`Stats`]):
//!
//! | leak | ordinary map | `leakless` |
//! |------|--------------|------------|
//! | L1 capacity never returned | `std`/`hashbrown` keep every bucket after `remove`/`clear` | [`HashMap`] shrinks with hysteresis |
//! | L2 ghost inner maps | `HashMap<K1, HashMap<K2, V>>` keeps an empty inner map for every outer key ever touched; `entry(k1).or_default()` creates one on a read | [`NestedMap`] removes an inner collection the moment it empties, at any depth; reads never allocate |
//! | L3 unbounded growth | a cache keyed by request ids grows until the process dies | [`LruMap`] holds at most its [`Capacity`] (entries or weight), exact LRU or [`WTinyLfu`] |
//! | L4 cleanup skipped on overwrite/removal | a value holding a resource is dropped without its release step | [`FinalizingMap`] finalizes every departing value exactly once, with its cause |
//! | L5 entries keyed by dead objects | a map keyed by `Arc<Session>` keeps every session; `weak-table` keeps dead entries (and their values and key allocations) until it grows | [`WeakKeyMap`] prunes dead entries in amortized O(1) per mutating op and finalizes their values as `Collected` |
//!
//! # Quick start
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
//! # Choosing a hasher
//!
//! Every map takes a `BuildHasher` type parameter `S`. The default,
//! [`DefaultHashBuilder`] (`ahash::RandomState`), is fast and seeded at random for each
//! map, so an attacker who controls keys cannot predict collisions (HashDoS) and two
//! maps with the same keys iterate in different orders. Any other `BuildHasher` works
//! through `with_hasher`: `std::hash::RandomState`, `foldhash`, or [`FixedState`].
//!
//! # Reproducible runs (fuzzing, failing tests)
//!
//! Build maps with [`FixedState`] and a run replays identically: the maps keep no global
//! state and start no threads. With the `arbitrary` feature, every map type implements
//! `arbitrary::Arbitrary`, so a fuzz target can take a map as input:
//!
//! ```
//! use leakless::{FixedState, HashMap};
//! let m: HashMap<u64, String, FixedState> = HashMap::with_hasher(FixedState::with_seed(42));
//! assert!(m.is_empty());
//! ```
//!
//! # Cargo features
//!
//! - `arbitrary`: `arbitrary::Arbitrary` for the map types.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(rust_2018_idioms)]

#[cfg(feature = "arbitrary")]
mod arbitrary;
mod builder;
mod error;
mod finalizing;
pub mod hash_map;
mod hasher;
pub mod lru;
pub mod nested;
pub mod policy;
mod raw;
#[cfg(feature = "serde")]
mod serde;
pub mod weak;

pub use builder::MapBuilder;
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
