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
//! | L3 unbounded growth | a cache keyed by request ids grows until the process dies | [`LruMap`] holds at most its [`Capacity`] (entries or weight), exact LRU or [`WTinyLfu`] |
//! | L4 cleanup skipped on overwrite/removal | a value holding a resource is dropped without its release step | [`FinalizingMap`] finalizes every departing value exactly once, with its cause |
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
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(rust_2018_idioms)]

mod error;
mod finalizing;
pub mod hash_map;
pub mod lru;
pub mod policy;
mod raw;

pub use error::TryReserveError;
pub use finalizing::FinalizingMap;
pub use hash_map::{DefaultHashBuilder, HashMap};
pub use lru::{LruBuilder, LruMap};
pub use policy::{
    Capacity, EvictionPolicy, Finalizer, Lru, MetaArena, NoopFinalizer, RemovalCause, ShrinkPolicy, Stats, Unbounded,
    UnitWeigher, WTinyLfu, Weigher,
};

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
