//! The shared policy layer: how much a map may hold, what an entry weighs, which entry
//! leaves first, when a table gives memory back, and what happens to a departing value.
//!
//! Every map in this crate takes these same types, so a user learns them once:
//!
//! - [`Capacity`]: the bound of a map, in entries and/or total weight (or unbounded);
//! - [`Weigher`]: the weight of one entry ([`UnitWeigher`] counts every entry as 1);
//! - [`EvictionPolicy`]: per-entry metadata and victim selection ([`Unbounded`] keeps
//!   none and never evicts, at zero cost; [`Lru`] is exact LRU, [`WTinyLfu`] resists
//!   scans and loops);
//! - [`ShrinkPolicy`]: when a table shrinks (with hysteresis, so it never thrashes);
//! - [`RemovalCause`] and [`Finalizer`]: the one exit contract: every value that enters a
//!   map leaves it exactly once, handed back to the caller or passed to the finalizer
//!   with its cause;
//! - [`Stats`]: counters every map reports through `stats()`.

mod capacity;
mod climb;
mod eviction;
mod finalizer;
mod lru;
mod shrink;
mod stats;
mod tinylfu;
mod weigher;

pub use capacity::Capacity;
pub use eviction::{EvictionPolicy, MetaArena, Unbounded};
pub use finalizer::{Finalizer, NoopFinalizer, RemovalCause};
pub use lru::{Lru, LruLinks};
pub use shrink::ShrinkPolicy;
pub use stats::Stats;
pub use tinylfu::{TinyLfuMeta, WTinyLfu};
pub use weigher::{UnitWeigher, Weigher};

pub(crate) use climb::{climb_sample, ClimbRules, HillClimber};
pub(crate) use finalizer::{finalize_each, PanicSlot};
pub(crate) use stats::{Counters, Small};
