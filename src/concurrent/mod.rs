//! [`ConcurrentMap`]: an epoch-reclaimed concurrent hash map that shrinks, bounds its
//! deferred garbage, and can be a bounded concurrent cache (leaks L3 and L6).
//!
//! # Design
//!
//! - **Tables** (`table.rs`): a power-of-two array of bucket heads. Each bucket is a
//!   singly linked chain of nodes (`node.rs`); the head's two low bits are a writer
//!   lock (`LOCKED`) and a forwarding mark (`MOVED`). Readers ignore the lock bit and
//!   never write: lookups are lock-free. Writers lock one bucket. On x86_64 the head's
//!   top 16 bits summarize the chain's hashes, so most lookups of absent keys touch no
//!   node. A hint word outside the tables names the root's buckets, so a lock-free read
//!   can prefetch its bucket head before it pins (`table::BucketHint`).
//! - **Resizing** (`resize.rs`): when a table holds more entries than 3/4 of its buckets
//!   it grows (a map bounded by entries: up to the buckets an unbounded map of the
//!   bound's size has, so a full cache too stays at most 3/4 loaded);
//!   when the [`ShrinkPolicy`](crate::ShrinkPolicy) says so it shrinks. A resize
//!   allocates the successor table; every writer then migrates a chunk of 64 buckets
//!   (locking each old bucket, relinking its nodes into the new table, marking it
//!   `MOVED`), and the thread that migrates the last bucket makes the successor the root
//!   and retires the old table. Readers that meet `MOVED` follow the successor.
//! - **Two links per node.** Generation `g` links through `links[g & 1]`, so migration
//!   never rewrites a link a reader of the old table may be following: nodes are moved,
//!   not copied (no `Clone` bound), and readers are never diverted. The price is that a
//!   table of generation `g + 1` may only be created once the table of generation `g - 1`
//!   was freed; while a reader stays pinned for a long time, the map postpones its next
//!   resize rather than break this.
//! - **Reclamation** (`pool.rs`, `reclaim.rs`): each map has its own
//!   `crossbeam_epoch::Collector` and a pool of participants it owns (threads lease one
//!   for their lifetime, so a pin is a thread-local check plus crossbeam's pin), so dropping the map
//!   drops the collector and runs everything still deferred. Retired nodes are batched,
//!   counted, and flushed in proportion to what is retired; values reach the finalizer
//!   only once no reader can see them, outside every lock, and the emptied nodes are
//!   kept (boundedly) for later inserts to reuse.
//! - **The finalizer** (`finalize.rs`) is shared with the map's clones behind one lock;
//!   a map dropped inside it leaves its values to the thread holding it.
//! - **Bounded mode** (`evict.rs`): CLOCK eviction over the buckets, with hot and cold
//!   entries and a ghost table (see [`Builder`]).
//! - **Walkers** (`walk.rs`): `retain` and `clear` run user code per bucket, unpinned.
//! - **Checks** (`validate.rs`): `validate()` and `allocation_size()`.
//!
//! # Invariants
//!
//! Stated where they are maintained: `table.rs` (locks, `MOVED`, link parity), `pool.rs`
//! (slot exclusivity), `reclaim.rs` (the path of a departing value), `core.rs` (at most
//! two live tables, walkers, exactly-once retirement).

mod builder;
mod core;
mod evict;
mod finalize;
mod iter;
mod locked;
mod map;
mod node;
mod pinned;
mod pool;
mod reclaim;
mod resize;
mod table;
mod traits;
mod validate;
mod walk;

pub use builder::Builder;
pub use iter::Iter;
pub use map::ConcurrentMap;
pub use pinned::Pinned;
