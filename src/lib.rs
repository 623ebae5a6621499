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
//! | L4 cleanup skipped on overwrite/removal | a value holding a resource is dropped without its release step | [`FinalizingMap`] finalizes every departing value exactly once, with its cause |
//! | L3/L6 unbounded caches, deferred garbage that never runs | epoch maps keep retired entries while a reader is pinned and never shrink | [`ConcurrentMap`] shrinks, bounds its garbage, frees everything on drop, and can be a bounded concurrent cache |
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

pub mod concurrent;
mod error;
mod finalizing;
pub mod hash_map;
mod loom;
pub mod policy;
mod raw;

pub use concurrent::ConcurrentMap;
pub use error::TryReserveError;
pub use finalizing::FinalizingMap;
pub use hash_map::{DefaultHashBuilder, HashMap};
pub use policy::{
    Capacity, EvictionPolicy, Finalizer, MetaArena, NoopFinalizer, RemovalCause, ShrinkPolicy, Stats, Unbounded,
    UnitWeigher, Weigher,
};

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
