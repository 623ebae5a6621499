//! The concurrent core: the map's shared state and every operation on it, in terms of
//! tables, bucket locks, pins and retirement. The public facade (`map.rs`) only adds
//! types and documentation.
//!
//! # Invariants (in addition to those of `table`, `pool` and `reclaim`)
//!
//! - `root` is null (nothing inserted yet) or the oldest live table. At most two tables
//!   are reachable: the root and its `next`. A resize of generation `g` into `g + 1`
//!   starts only when every table older than `g` was freed (`tables_freed == g`), so no
//!   reader can still be walking chains through the link that generation `g + 1` reuses.
//! - A table registered by a walker (`retain`, `clear`) is not retired until the walker
//!   leaves, so a walker may use it, and its `next`, while unpinned between buckets.
//! - Every unlink is followed by exactly one retirement (also when user code panics), and
//!   the bounded counters (`len`, `weight`) are adjusted under the same bucket lock
//!   window, so they never undercount live entries for long. Without a weigher every
//!   entry weighs 1 and the weight is `len` (no second counter). A writer that pushed the
//!   map over its bound evicts under its own pin, before unpinning; without a weigher, an
//!   insert into a full map evicts first and inherits the victim's count (`admitted`).

use core::borrow::Borrow;
use core::hash::{BuildHasher, Hash};
use core::mem::ManuallyDrop;
use core::ptr;
use std::sync::Mutex;

use crossbeam_epoch::Collector;

use super::node::{fold, untagged, Node, MAX_NODE_WEIGHT};
use super::pool::{Pin, Pool, SlotCounters};
use super::reclaim::{take_node, SharedGarbage};
use super::table::{BucketLock, Table, CHUNK, MAX_BUCKETS, MIN_BUCKETS};
use crate::hash_map::make_hash;
use crate::loom::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use crate::policy::{Capacity, Finalizer, PanicSlot, RemovalCause, ShrinkPolicy, Weigher};

/// The bound of a bounded map (the concurrent cache).
///
/// Aligned to its own cache lines: every insert and eviction writes `len`, and those
/// writes must not invalidate the line holding the map's read-mostly fields (`root`,
/// the hasher) that every read loads.
#[repr(align(128))]
pub(crate) struct Bound<K, V> {
    pub(crate) capacity: Capacity,
    pub(crate) weigher: Option<Box<dyn Weigher<K, V> + Send + Sync>>,
    pub(crate) len: AtomicUsize,
    /// The total weight; kept only with a weigher (without one, every entry weighs 1
    /// and the weight is `len`).
    pub(crate) weight: AtomicU64,
    /// The CLOCK hand: the next bucket index (of the root) not yet claimed. Writers
    /// claim [`CLOCK_STRIDE`] positions at a time into their slot and inspect them one
    /// by one over their next evictions, so the hand is written once per stride.
    pub(crate) hand: AtomicUsize,
}

impl<K, V> Bound<K, V> {
    /// The total weight of the entries.
    #[inline]
    pub(crate) fn weight(&self) -> u64 {
        match self.weigher {
            Some(_) => self.weight.load(Ordering::Relaxed),
            None => self.len.load(Ordering::Relaxed) as u64,
        }
    }

    #[inline]
    fn add(&self, weight: u64) {
        self.len.fetch_add(1, Ordering::Relaxed);
        if self.weigher.is_some() {
            self.weight.fetch_add(weight, Ordering::Relaxed);
        }
    }

    #[inline]
    fn sub(&self, weight: u64) {
        self.len.fetch_sub(1, Ordering::Relaxed);
        if self.weigher.is_some() {
            self.weight.fetch_sub(weight, Ordering::Relaxed);
        }
    }

    /// `true` while the entries exceed the bound.
    #[inline]
    fn exceeded(&self) -> bool {
        self.capacity.is_exceeded_by(self.len.load(Ordering::Relaxed), self.weight())
    }
}

pub(crate) type BoxedFinalizer<K, V> = Mutex<Box<dyn Finalizer<K, V> + Send>>;

pub(crate) struct Inner<K, V, S> {
    pub(crate) root: AtomicPtr<Table<K, V>>,
    pub(crate) collector: ManuallyDrop<Collector>,
    pub(crate) pool: Pool<K, V>,
    pub(crate) garbage: SharedGarbage<K, V>,
    pub(crate) hash_builder: S,
    pub(crate) shrink: ShrinkPolicy,
    /// Automatic shrinking never goes below this many buckets.
    pub(crate) floor: usize,
    pub(crate) bound: Option<Bound<K, V>>,
    pub(crate) finalizer: Option<BoxedFinalizer<K, V>>,
    /// Walkers registered on the root (see the module invariants).
    walkers: AtomicUsize,
    /// Set by the thread that finished migrating the root while walkers were present; the
    /// last walker retires it.
    retire_pending: AtomicPtr<Table<K, V>>,
}

/// Buckets for a table meant to hold `entries` entries at a load factor of at most 3/4.
pub(crate) fn buckets_for(entries: usize) -> usize {
    entries.saturating_add(entries / 3).clamp(MIN_BUCKETS, MAX_BUCKETS).next_power_of_two()
}

/// `true` if `len` entries load a table of `buckets` buckets above 3/4: chains stay
/// short (half an entry per bucket on average after growing), so lookups rarely walk
/// past the first node.
#[inline]
fn overloaded(len: usize, buckets: usize) -> bool {
    len.saturating_mul(4) > buckets.saturating_mul(3)
}

/// Write operations per slot between load checks (every one under loom, so that models
/// resize deterministically).
const RESIZE_CHECK_EVERY: usize = if cfg!(leakless_loom) { 1 } else { 8 };

/// Buckets one write visits at most when helping a migration.
const HELP_BUCKETS: usize = if cfg!(leakless_loom) { 2 } else { 4096 };

/// CLOCK positions a slot claims from the shared hand at a time.
pub(crate) const CLOCK_STRIDE: usize = if cfg!(leakless_loom) { 2 } else { 32 };

/// What a `compute` closure decided.
pub(crate) enum Computed {
    Unchanged,
    Inserted,
    Replaced,
    Removed,
}

impl<K, V, S> Inner<K, V, S> {
    pub(crate) fn new(
        hash_builder: S,
        initial: usize,
        shrink: ShrinkPolicy,
        bound: Option<Bound<K, V>>,
        finalizer: Option<BoxedFinalizer<K, V>>,
    ) -> Self {
        let floor = if initial == 0 { MIN_BUCKETS } else { buckets_for(initial) };
        let root = if initial == 0 { ptr::null_mut() } else { Table::alloc(floor, 0) };
        Inner {
            root: AtomicPtr::new(root),
            collector: ManuallyDrop::new(Collector::new()),
            pool: Pool::new(),
            garbage: SharedGarbage::new(),
            hash_builder,
            shrink,
            floor,
            bound,
            finalizer,
            walkers: AtomicUsize::new(0),
            retire_pending: AtomicPtr::new(ptr::null_mut()),
        }
    }

    #[inline]
    pub(crate) fn pin(&self) -> Pin<'_, K, V> {
        self.pool.pin(&self.collector)
    }

    /// The root table, if any.
    #[inline]
    pub(crate) fn root<'g>(&self, _pin: &'g Pin<'_, K, V>) -> Option<&'g Table<K, V>> {
        let t = self.root.load(Ordering::Acquire);
        // SAFETY: loaded while pinned; tables are retired only after leaving the root, and
        // freed only after every pin older than the retirement ends.
        (!t.is_null()).then(|| unsafe { &*t })
    }

    fn root_or_init<'g>(&self, pin: &'g Pin<'_, K, V>) -> &'g Table<K, V> {
        if let Some(t) = self.root(pin) {
            return t;
        }
        let fresh = Table::alloc(self.floor, 0);
        match self.root.compare_exchange(ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire) {
            // SAFETY: just published; see `root`.
            Ok(_) => unsafe { &*fresh },
            Err(t) => {
                // SAFETY: `fresh` was never published.
                drop(unsafe { Box::from_raw(fresh) });
                // SAFETY: see `root`.
                unsafe { &*t }
            }
        }
    }

    /// Entries in the map (exact when no write is in flight).
    pub(crate) fn len(&self) -> usize {
        let n = self.pool.sum(|c| c.len.load(Ordering::Relaxed) as u64) as i64;
        n.max(0) as usize
    }

    /// Bytes retired and not yet freed.
    pub(crate) fn pending_garbage(&self) -> u64 {
        let retired = self.pool.sum(|c| c.retired_bytes.load(Ordering::Relaxed));
        retired.saturating_sub(self.garbage.freed_bytes.load(Ordering::Relaxed))
            + self.garbage.table_bytes.load(Ordering::Relaxed)
    }

    /// Frees reclaimed garbage and runs the finalizer; call unpinned, without locks.
    #[inline]
    pub(crate) fn drain(&self) {
        if self.garbage.has_reclaimed() {
            self.garbage.drain(self.finalizer.as_ref());
        }
    }

    /// Hands one value that never entered the map to the finalizer (or drops it).
    pub(crate) fn finalize_now(&self, key: K, value: V, cause: RemovalCause) {
        match &self.finalizer {
            Some(m) => {
                let mut f = m.lock().unwrap_or_else(|e| e.into_inner());
                f.finalize(key, value, cause);
            }
            None => drop((key, value)),
        }
    }

    /// The weight of an entry (1 without a weigher), clamped to what a node records.
    #[inline]
    pub(crate) fn weigh(&self, key: &K, value: &V) -> u64 {
        match &self.bound {
            Some(Bound { weigher: Some(w), .. }) => w.weigh(key, value).min(MAX_NODE_WEIGHT),
            _ => 1,
        }
    }

    /// Accounts for a node that left the map and retires it.
    ///
    /// # Safety
    ///
    /// - As for [`Garbage::retire`].
    unsafe fn retire(&self, pin: &Pin<'_, K, V>, node: *mut Node<K, V>, cause: RemovalCause) {
        pin.slot().counters.sub_len(1);
        if let Some(b) = &self.bound {
            // SAFETY: the node is unlinked but not yet retired, so live.
            b.sub(unsafe { (*node).weight() });
        }
        // SAFETY: forwarded.
        unsafe { self.garbage.retire(pin, node, cause) };
    }

    /// Accounts for a replacement: the old node's weight leaves, the new one's enters.
    /// The entry count does not change, so only the weight is adjusted (by the wrapping
    /// difference, one atomic add).
    ///
    /// # Safety
    ///
    /// - As for [`Garbage::retire`] for `old`.
    unsafe fn replaced(&self, pin: &Pin<'_, K, V>, old: *mut Node<K, V>, new_weight: u64) {
        if let Some(b @ Bound { weigher: Some(_), .. }) = &self.bound {
            // SAFETY: the node is unlinked but not yet retired, so live.
            let old_weight = unsafe { (*old).weight() };
            if new_weight != old_weight {
                b.weight.fetch_add(new_weight.wrapping_sub(old_weight), Ordering::Relaxed);
            }
        }
        // SAFETY: forwarded.
        unsafe { self.garbage.retire(pin, old, RemovalCause::Replaced) };
    }

    /// Helps a migration of `table`, if one runs: chunks of buckets until about
    /// [`CHUNK`] nodes moved or [`HELP_BUCKETS`] buckets visited, so that emptied tables
    /// (a shrink) migrate quickly while full ones keep each write's share bounded.
    #[inline]
    fn help(&self, table: &Table<K, V>, pin: &Pin<'_, K, V>) {
        if table.next.load(Ordering::Acquire).is_null() {
            return;
        }
        let mut moved = 0;
        for _ in 0..HELP_BUCKETS / CHUNK {
            // SAFETY: `table` was reached from the root under `pin`; `next` is set.
            match unsafe { table.migrate_chunk() } {
                None => return,
                Some((true, _)) => {
                    self.finish_resize(table, pin);
                    return;
                }
                Some((false, n)) => {
                    moved += n;
                    if moved >= CHUNK {
                        return;
                    }
                }
            }
        }
    }

    /// Makes `table`'s successor the root and retires `table` (or leaves that to the
    /// last walker).
    fn finish_resize(&self, table: &Table<K, V>, pin: &Pin<'_, K, V>) {
        let next = table.next.load(Ordering::Acquire);
        // SAFETY: `next` is set and lives at least as long as `table`.
        if unsafe { (*next).len() } < table.len() {
            SlotCounters::bump(&pin.slot().counters.shrinks, 1);
        }
        // Only a root resizes, and only its finisher moves the root on; the swap also
        // yields the table pointer with its allocation's provenance, for freeing.
        let old = self.root.swap(next, Ordering::AcqRel);
        debug_assert!(ptr::eq(old, table), "only the root table resizes");
        self.retire_pending.store(old, Ordering::SeqCst);
        if self.walkers.load(Ordering::SeqCst) == 0 {
            self.retire_if_pending(pin);
        }
    }

    fn retire_if_pending(&self, pin: &Pin<'_, K, V>) {
        let old = self.retire_pending.swap(ptr::null_mut(), Ordering::SeqCst);
        if !old.is_null() {
            // SAFETY: `old` left the root and is fully migrated; the swap hands it to
            // exactly one retirer.
            unsafe { self.garbage.retire_table(&pin.guard, old) };
        }
    }

    /// Starts a resize of `table` (the root, not already resizing) if its load calls for
    /// one: growth when `len` exceeds 3/4 of the buckets, shrinking by the shrink policy.
    /// A map bounded by entries never grows past one bucket per entry of its bound.
    fn maybe_resize(&self, table: &Table<K, V>, pin: &Pin<'_, K, V>, grow: bool) {
        if !table.next.load(Ordering::Acquire).is_null() || !ptr::eq(self.root.load(Ordering::Acquire), table) {
            return;
        }
        let len = self.len();
        let target = if grow {
            let limit = match self.bound.as_ref().and_then(|b| b.capacity.max_entries()) {
                Some(m) => m.clamp(MIN_BUCKETS, MAX_BUCKETS).next_power_of_two(),
                None => MAX_BUCKETS,
            };
            if !overloaded(len, table.len()) || table.len() >= limit {
                return;
            }
            buckets_for(len).max(table.len() * 2).min(limit)
        } else {
            match self.shrink.shrink_target(len, table.len(), self.floor) {
                // The policy's target is room for twice `len` (or the floor, which is in
                // buckets already and applied below).
                Some(_) => buckets_for(len.saturating_mul(2)).max(self.floor),
                None => return,
            }
        };
        if target == table.len() || (!grow && target > table.len()) {
            return;
        }
        if self.garbage.tables_freed.load(Ordering::Acquire) < table.generation {
            // The previous table waits for readers; try to move the epoch along.
            self.garbage.flush(&pin.guard);
            if self.garbage.tables_freed.load(Ordering::Acquire) < table.generation {
                return;
            }
        }
        if self.walkers.load(Ordering::SeqCst) != 0 {
            return;
        }
        let fresh = Table::alloc(target, table.generation + 1);
        if table.next.compare_exchange(ptr::null_mut(), fresh, Ordering::SeqCst, Ordering::Acquire).is_err() {
            // SAFETY: `fresh` was never published.
            drop(unsafe { Box::from_raw(fresh) });
            return;
        }
        self.help(table, pin);
    }

    /// The end of every write: resize check, maintenance, then (unpinned) draining.
    ///
    /// `table` (if non-null) must have been reached from the root under `pin`.
    fn end_write(&self, pin: Pin<'_, K, V>, table: *const Table<K, V>, grow: Option<bool>, force_check: bool) {
        if let (false, Some(grow)) = (table.is_null(), grow) {
            // SAFETY: reached from the root under `pin` (the caller's contract).
            let t = unsafe { &*table };
            let due = pin.slot().checks.with_mut(|c| {
                // SAFETY: the counters belong to the slot we hold.
                let c = unsafe { &mut (*c)[usize::from(grow)] };
                *c = c.wrapping_add(1);
                *c % RESIZE_CHECK_EVERY == 0
            });
            if force_check || due {
                self.maybe_resize(t, &pin, grow);
            }
        }
        self.garbage.maintain(&pin, || self.len());
        drop(pin);
        self.drain();
    }
}

impl<K: Hash + Eq, V, S: BuildHasher> Inner<K, V, S> {
    #[inline]
    pub(crate) fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u32 {
        fold(make_hash(&self.hash_builder, key))
    }

    /// Looks `key` up, lock-free.
    #[inline]
    pub(crate) fn find<'g, Q>(&self, pin: &'g Pin<'_, K, V>, key: &Q) -> Option<&'g Node<K, V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hash(key);
        let found = match self.root(pin) {
            // SAFETY: `t` was reached from the root under `pin`, which outlives 'g.
            Some(t) => unsafe { t.find(hash, |k| k.borrow() == key) },
            None => None,
        };
        let c = &pin.slot().counters;
        let counter = if found.is_some() { &c.hits } else { &c.misses };
        // Only the slot's holder writes its counters: a plain load and store suffice.
        counter.store(counter.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
        if let (Some(n), Some(_)) = (found, &self.bound) {
            n.touch();
        }
        found
    }

    /// Accounts for a node that entered the map and, in a bounded map, evicts until the
    /// bound holds (under the writer's pin: eviction runs no user code, and the evicted
    /// values are finalized by the drain after the writer unpins).
    ///
    /// Without a weigher, an insert into a full map swaps: it evicts one entry first and
    /// takes over its place in the shared count, so the steady state of a full cache
    /// (one eviction per insert) writes no shared counter.
    fn admitted(&self, pin: &Pin<'_, K, V>, weight: u64) {
        let c = &pin.slot().counters;
        c.add_len(1);
        SlotCounters::bump(&c.insertions, 1);
        let Some(b) = &self.bound else {
            return;
        };
        let full = b.weigher.is_none() && {
            let len = b.len.load(Ordering::Relaxed);
            b.capacity.is_exceeded_by(len + 1, len as u64 + 1)
        };
        if !(full && self.evict_one(b, pin, false)) {
            b.add(weight);
        }
        self.evict_to_fit(pin);
    }

    /// Inserts or replaces. Returns `true` if the key was new.
    pub(crate) fn insert(&self, key: K, value: V) -> bool {
        let hash = self.hash(&key);
        let weight = self.weigh(&key, &value);
        if let Some(b) = &self.bound {
            if b.capacity.rejects_single(weight) {
                self.remove(&key, RemovalCause::Replaced);
                self.finalize_now(key, value, RemovalCause::Rejected);
                return false;
            }
        }
        let node = Owned(Node::alloc(hash, key, value, weight));
        let pin = self.pin();
        let table = self.root_or_init(&pin);
        self.help(table, &pin);
        // SAFETY: `table` was reached from the root under `pin`.
        let mut lock = unsafe { table.lock(hash) };
        let link = lock.table().link;
        // SAFETY: `node` is ours and unpublished.
        let key = unsafe { &(*node.0).key };
        // A chain whose summary lacks the hash's bit holds no equal key: no walk.
        let (mut prev, mut cur) = (ptr::null_mut(), if lock.may_contain(hash) { lock.head } else { ptr::null_mut() });
        let mut chain = 0;
        let mut replaced = None;
        while !cur.is_null() {
            // SAFETY: nodes of a locked chain are live.
            let c = unsafe { &*cur };
            if c.hash == hash && c.key == *key {
                // SAFETY: `prev`, `cur` are consecutive in our chain; `node` unpublished.
                unsafe { lock.replace(prev, cur, node.0) };
                replaced = Some(cur);
                break;
            }
            prev = cur;
            cur = c.next(link);
            chain += 1;
        }
        if replaced.is_none() {
            lock.push(node.0);
        }
        let node = node.publish();
        let _ = node;
        let table = lock.table_ptr();
        drop(lock);
        // SAFETY: reached under `pin`, which we still hold.
        let table = unsafe { &*table };
        match replaced {
            Some(old) => {
                // SAFETY: unlinked by us under the lock, retired once.
                unsafe { self.replaced(&pin, old, weight) };
                self.end_write(pin, ptr::null(), None, false);
                false
            }
            None => {
                self.admitted(&pin, weight);
                self.end_write(pin, table, Some(true), chain >= 4);
                true
            }
        }
    }

    /// Removes `key`, retiring its value with `cause`. Returns `true` if it was present.
    pub(crate) fn remove<Q>(&self, key: &Q, cause: RemovalCause) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hash(key);
        let pin = self.pin();
        let Some(table) = self.root(&pin) else {
            return false;
        };
        self.help(table, &pin);
        // A lock-free miss needs no lock: the key was absent when we looked.
        // SAFETY: reached from the root under `pin`.
        if unsafe { table.find(hash, |k| k.borrow() == key) }.is_none() {
            drop(pin);
            return false;
        }
        // SAFETY: as above.
        let mut lock = unsafe { table.lock(hash) };
        let link = lock.table().link;
        let (mut prev, mut cur) = (ptr::null_mut(), lock.head);
        let mut removed = None;
        while !cur.is_null() {
            // SAFETY: nodes of a locked chain are live.
            let c = unsafe { &*cur };
            if c.hash == hash && c.key.borrow() == key {
                // SAFETY: consecutive nodes of our chain.
                unsafe { lock.unlink(prev, cur) };
                removed = Some(cur);
                break;
            }
            prev = cur;
            cur = c.next(link);
        }
        let table = lock.table_ptr();
        drop(lock);
        // SAFETY: reached under `pin`, still held.
        let table = unsafe { &*table };
        match removed {
            Some(node) => {
                // SAFETY: unlinked by us under the lock, retired once.
                unsafe { self.retire(&pin, node, cause) };
                self.end_write(pin, table, Some(false), false);
                true
            }
            None => {
                self.end_write(pin, ptr::null(), None, false);
                false
            }
        }
    }

    /// Runs `f` on the current value of `key` (or `None`) under the bucket lock, with no
    /// pin held, and applies its decision: keep, insert, replace or remove.
    ///
    /// `f` returns `(decision, result)`; `decision` is `Err(())` to keep the entry as is,
    /// `Ok(None)` to remove it and `Ok(Some(v))` to store `v`.
    pub(crate) fn compute<R>(&self, key: K, f: impl FnOnce(Option<&V>) -> (Result<Option<V>, ()>, R)) -> (Computed, R) {
        let hash = self.hash(&key);
        let pin = self.pin();
        let table = self.root_or_init(&pin);
        self.help(table, &pin);
        // SAFETY: reached from the root under `pin`.
        let mut lock = unsafe { table.lock(hash) };
        // The lock keeps the table and the chain alive: user code runs unpinned.
        drop(pin);
        let link = lock.table().link;
        let (mut prev, mut cur) = (ptr::null_mut(), if lock.may_contain(hash) { lock.head } else { ptr::null_mut() });
        while !cur.is_null() {
            // SAFETY: nodes of a locked chain are live.
            let c = unsafe { &*cur };
            if c.hash == hash && c.key == key {
                break;
            }
            prev = cur;
            cur = c.next(link);
        }
        // SAFETY: as above; the node stays live while we hold the lock.
        let current = (!cur.is_null()).then(|| unsafe { &(*cur).value });
        let (decision, result) = f(current);
        let outcome = match (decision, cur.is_null()) {
            (Err(()), _) | (Ok(None), true) => {
                drop(lock);
                return (Computed::Unchanged, result);
            }
            (Ok(Some(value)), absent) => {
                let weight = self.weigh(&key, &value);
                if self.bound.as_ref().is_some_and(|b| b.capacity.rejects_single(weight)) {
                    let old = if absent {
                        None
                    } else {
                        // SAFETY: consecutive nodes of our chain.
                        unsafe { lock.unlink(prev, cur) };
                        Some(cur)
                    };
                    let pin = self.pin();
                    drop(lock);
                    if let Some(old) = old {
                        // SAFETY: unlinked by us, retired once.
                        unsafe { self.retire(&pin, old, RemovalCause::Replaced) };
                    }
                    self.end_write(pin, ptr::null(), None, false);
                    self.finalize_now(key, value, RemovalCause::Rejected);
                    return (if absent { Computed::Unchanged } else { Computed::Removed }, result);
                }
                let node = Node::alloc(hash, key, value, weight);
                if absent {
                    lock.push(node);
                    (Computed::Inserted, weight, None)
                } else {
                    // SAFETY: consecutive nodes of our chain; `node` unpublished.
                    unsafe { lock.replace(prev, cur, node) };
                    (Computed::Replaced, weight, Some(cur))
                }
            }
            (Ok(None), false) => {
                // SAFETY: consecutive nodes of our chain.
                unsafe { lock.unlink(prev, cur) };
                (Computed::Removed, 0, Some(cur))
            }
        };
        // Pin before unlocking, so the table stays protected after the lock is gone.
        let pin = self.pin();
        let table = lock.table_ptr();
        drop(lock);
        // SAFETY: not retired while we held the lock, and pinned since.
        let table = unsafe { &*table };
        let (computed, weight, old) = outcome;
        match computed {
            Computed::Inserted => {
                self.admitted(&pin, weight);
                self.end_write(pin, table, Some(true), false);
            }
            Computed::Replaced => {
                // SAFETY: unlinked by us, retired once.
                unsafe { self.replaced(&pin, old.unwrap_or(ptr::null_mut()), weight) };
                self.evict_to_fit(&pin);
                self.end_write(pin, ptr::null(), None, false);
            }
            _ => {
                // SAFETY: unlinked by us, retired once.
                unsafe { self.retire(&pin, old.unwrap_or(ptr::null_mut()), RemovalCause::Explicit) };
                self.end_write(pin, table, Some(false), false);
            }
        }
        (computed, result)
    }

    /// Removes every entry for which `keep` returns `false`, retiring it with `cause`.
    /// `keep` runs under the entry's bucket lock with no pin held.
    pub(crate) fn retain(&self, mut keep: impl FnMut(&K, &V) -> bool, cause: RemovalCause) {
        let pin = self.pin();
        let Some(mut table) = self.root(&pin) else {
            return;
        };
        // Register as a walker on a root that is not resizing.
        loop {
            self.walkers.fetch_add(1, Ordering::SeqCst);
            let root = self.root.load(Ordering::SeqCst);
            // SAFETY: loaded under `pin`.
            let t = unsafe { &*root };
            if t.next.load(Ordering::SeqCst).is_null() {
                table = t;
                break;
            }
            self.walkers.fetch_sub(1, Ordering::SeqCst);
            while !t.fully_migrated() {
                self.help(t, &pin);
                crate::loom::spin_wait(&mut 0);
            }
            let _ = table;
        }
        let walker = Walker { inner: self };
        let table: *const Table<K, V> = table;
        drop(pin);
        // SAFETY: registered walkers keep `table` (and its `next`) from being retired.
        let table = unsafe { &*table };
        for index in 0..table.len() {
            // SAFETY: `table` is kept alive by our registration.
            match unsafe { table.lock_index(index) } {
                Some(lock) => self.retain_chain(lock, None, &mut keep, cause),
                None => {
                    // SAFETY: a MOVED bucket implies `next` is set; kept alive with `table`.
                    let next = unsafe { &*table.next.load(Ordering::Acquire) };
                    let children: Vec<usize> = if next.len() >= table.len() {
                        (0..next.len() / table.len()).map(|k| index + k * table.len()).collect()
                    } else {
                        vec![index & next.mask]
                    };
                    for j in children {
                        // SAFETY: as above; `next` cannot itself be migrating while
                        // `table` is alive (module invariants).
                        if let Some(lock) = unsafe { next.lock_index(j) } {
                            self.retain_chain(lock, Some((index, table.mask)), &mut keep, cause);
                        }
                    }
                }
            }
        }
        drop(walker);
        let pin = self.pin();
        let root = self.root.load(Ordering::Acquire);
        self.end_write(pin, root, Some(false), true);
    }

    /// Filters one locked chain, keeping only nodes whose hash satisfies `class`.
    fn retain_chain(
        &self,
        mut lock: BucketLock<K, V>,
        class: Option<(usize, usize)>,
        keep: &mut impl FnMut(&K, &V) -> bool,
        cause: RemovalCause,
    ) {
        let mut removed = Removed { inner: self, nodes: Vec::new(), cause };
        let link = lock.table().link;
        let (mut prev, mut cur) = (ptr::null_mut(), lock.head);
        while !cur.is_null() {
            // SAFETY: nodes of a locked chain are live.
            let c = unsafe { &*cur };
            let in_class = class.is_none_or(|(i, mask)| c.hash as usize & mask == i);
            if in_class && !keep(&c.key, &c.value) {
                let victim = cur;
                // SAFETY: consecutive nodes of our chain.
                cur = unsafe { lock.unlink(prev, victim) };
                removed.nodes.push(victim);
            } else {
                prev = cur;
                cur = c.next(link);
            }
        }
        let pin = self.pin();
        drop(lock);
        removed.finish(&pin);
        drop(pin);
        self.drain();
    }

    /// CLOCK eviction until the bound holds (or nothing can be evicted), under the
    /// writer's pin (eviction runs no user code; the evicted values are finalized by the
    /// drain after the writer unpins).
    #[inline]
    pub(crate) fn evict_to_fit(&self, pin: &Pin<'_, K, V>) {
        let Some(b) = &self.bound else {
            return;
        };
        while b.exceeded() {
            if !self.evict_one(b, pin, true) {
                break;
            }
        }
    }

    /// Advances the CLOCK hand until it finds an entry whose reference bit is clear
    /// (clearing the bits it passes) and evicts it. Returns `false` if a full sweep
    /// twice over found nothing to evict. With `account` false, the victim's share of the
    /// bound's counters passes to an entry the caller admits without counting it.
    fn evict_one(&self, b: &Bound<K, V>, pin: &Pin<'_, K, V>, account: bool) -> bool {
        let Some(table) = self.root(pin) else {
            return false;
        };
        let steps = 2 * table.len() + 2;
        for _ in 0..steps {
            let pos = pin.slot().clock.with_mut(|c| {
                // SAFETY: the claimed positions belong to the slot we hold.
                let c = unsafe { &mut *c };
                if c[0] == c[1] {
                    let start = b.hand.fetch_add(CLOCK_STRIDE, Ordering::Relaxed);
                    *c = [start, start.wrapping_add(CLOCK_STRIDE)];
                }
                c[0] = c[0].wrapping_add(1);
                c[0].wrapping_sub(1)
            }) as u32;
            let head = table.bucket(pos).load(Ordering::Relaxed);
            if head.is_null() {
                continue;
            }
            // SAFETY: `table` reached from the root under `pin`.
            let mut lock = unsafe { table.lock(pos) };
            let link = lock.table().link;
            let (mut prev, mut cur) = (ptr::null_mut(), lock.head);
            let mut victim = None;
            while !cur.is_null() {
                // SAFETY: nodes of a locked chain are live.
                let c = unsafe { &*cur };
                if !c.second_chance() {
                    // SAFETY: consecutive nodes of our chain.
                    unsafe { lock.unlink(prev, cur) };
                    victim = Some(cur);
                    break;
                }
                prev = cur;
                cur = c.next(link);
            }
            drop(lock);
            if let Some(v) = victim {
                if account {
                    // SAFETY: unlinked by us under the lock, retired once.
                    unsafe { self.retire(pin, v, RemovalCause::Evicted) };
                } else {
                    pin.slot().counters.sub_len(1);
                    // SAFETY: unlinked by us under the lock, retired once.
                    unsafe { self.garbage.retire(pin, v, RemovalCause::Evicted) };
                }
                return true;
            }
        }
        false
    }

    /// Checks every invariant that holds when no operation is in flight.
    ///
    /// # Panics
    ///
    /// Panics with a message naming the first broken invariant.
    pub(crate) fn validate(&self) {
        let pin = self.pin();
        let Some(root) = self.root(&pin) else {
            assert_eq!(self.len(), 0, "validate: no table but len() = {}", self.len());
            return;
        };
        let mut count = 0usize;
        let mut weight = 0u64;
        let mut tables = vec![(root, false)];
        let next = root.next.load(Ordering::Acquire);
        if !next.is_null() {
            // SAFETY: reached under `pin`.
            let n = unsafe { &*next };
            assert!(n.next.load(Ordering::Acquire).is_null(), "validate: more than two live tables");
            assert_eq!(n.generation, root.generation + 1, "validate: successor generation");
            tables.push((n, true));
        }
        for (t, is_next) in tables {
            assert!(t.len().is_power_of_two() && t.len() >= MIN_BUCKETS, "validate: table size {}", t.len());
            for (i, b) in t.buckets.iter().enumerate() {
                let head = b.load(Ordering::Acquire);
                let tag = super::node::tag_of(head);
                assert_eq!(tag & super::node::LOCKED, 0, "validate: bucket {i} still locked");
                if tag & super::node::MOVED != 0 {
                    assert!(!is_next && !next.is_null(), "validate: bucket {i} MOVED without a successor");
                    continue;
                }
                let mut seen: Vec<&K> = Vec::new();
                let summary = super::node::summary_of(head);
                let mut node = untagged(head);
                while !node.is_null() {
                    // SAFETY: reached from a table under `pin`.
                    let n = unsafe { &*node };
                    assert_eq!(n.hash, self.hash(&n.key), "validate: stored hash differs from the key's");
                    assert_eq!(n.hash as usize & t.mask, i, "validate: entry in the wrong bucket");
                    assert!(super::node::may_contain(head, n.hash), "validate: bucket {i}'s summary {summary:#x} lacks an entry's bit");
                    assert!(!seen.iter().any(|k| **k == n.key), "validate: duplicate key in bucket {i}");
                    seen.push(&n.key);
                    count += 1;
                    weight += n.weight();
                    node = n.next(t.link);
                }
            }
        }
        assert_eq!(count, self.len(), "validate: {count} entries reachable, len() = {}", self.len());
        if let Some(b) = &self.bound {
            assert_eq!(b.len.load(Ordering::Relaxed), count, "validate: bounded len counter");
            assert_eq!(b.weight(), weight, "validate: weight counter");
            assert!(
                !b.capacity.is_exceeded_by(count, weight),
                "validate: {count} entries of weight {weight} exceed the bound"
            );
        }
        assert_eq!(self.walkers.load(Ordering::Relaxed), 0, "validate: a walker is still registered");
    }

    /// Bytes held: tables, live nodes and pending garbage.
    pub(crate) fn allocation_size(&self) -> usize {
        let pin = self.pin();
        let mut bytes = 0;
        if let Some(t) = self.root(&pin) {
            bytes += Table::<K, V>::bytes_for(t.len());
            let next = t.next.load(Ordering::Acquire);
            if !next.is_null() {
                // SAFETY: reached under `pin`.
                bytes += Table::<K, V>::bytes_for(unsafe { (*next).len() });
            }
        }
        bytes + self.len() * core::mem::size_of::<Node<K, V>>() + self.pending_garbage() as usize
    }
}

/// An allocated node not yet published; freed if we unwind before publishing.
struct Owned<K, V>(*mut Node<K, V>);

impl<K, V> Owned<K, V> {
    fn publish(self) -> *mut Node<K, V> {
        let p = self.0;
        core::mem::forget(self);
        p
    }
}

impl<K, V> Drop for Owned<K, V> {
    fn drop(&mut self) {
        // SAFETY: never published (`publish` forgets `self`), so ours alone.
        drop(unsafe { take_node(self.0) });
    }
}

/// Nodes a walker unlinked: retired on `finish`, or on unwinding out of user code.
struct Removed<'a, K, V, S> {
    inner: &'a Inner<K, V, S>,
    nodes: Vec<*mut Node<K, V>>,
    cause: RemovalCause,
}

impl<K, V, S> Removed<'_, K, V, S> {
    fn finish(&mut self, pin: &Pin<'_, K, V>) {
        for node in self.nodes.drain(..) {
            // SAFETY: each node was unlinked once by the walker under its lock.
            unsafe { self.inner.retire(pin, node, self.cause) };
        }
    }
}

impl<K, V, S> Drop for Removed<'_, K, V, S> {
    fn drop(&mut self) {
        if !self.nodes.is_empty() {
            let pin = self.inner.pin();
            self.finish(&pin);
        }
    }
}

/// A registered walker; deregisters (and retires a table left pending) on drop.
struct Walker<'a, K, V, S> {
    inner: &'a Inner<K, V, S>,
}

impl<K, V, S> Drop for Walker<'_, K, V, S> {
    fn drop(&mut self) {
        if self.inner.walkers.fetch_sub(1, Ordering::SeqCst) == 1 {
            let pin = self.inner.pin();
            self.inner.retire_if_pending(&pin);
        }
    }
}

impl<K, V, S> Drop for Inner<K, V, S> {
    fn drop(&mut self) {
        // No guard, lock or other thread can exist: we have `&mut self`.
        let mut departing: Vec<(*mut Node<K, V>, RemovalCause)> = Vec::new();
        let mut handles = Vec::new();
        for slot in self.pool.slots_mut() {
            let (handle, batch) = slot.take();
            handles.extend(handle);
            departing.extend(batch.into_iter().map(super::node::split_cause));
        }
        // Dropping every handle and then the collector drops the collector's global
        // state, which runs every deferred function still pending: retired batches land
        // on the reclaimed stack, retired tables are freed.
        drop(handles);
        // SAFETY: dropped once, here; nothing uses the collector afterwards.
        unsafe { ManuallyDrop::drop(&mut self.collector) };
        self.garbage.take_all_reclaimed(&mut departing);
        let pending = self.retire_pending.load(Ordering::Relaxed);
        let root = self.root.load(Ordering::Relaxed);
        let mut tables = Vec::new();
        if !root.is_null() {
            tables.push(root);
            // SAFETY: the root is live and ours.
            let next = unsafe { (*root).next.load(Ordering::Relaxed) };
            if !next.is_null() {
                tables.push(next);
            }
        }
        for &t in &tables {
            // SAFETY: live tables, ours alone.
            let t = unsafe { &*t };
            for b in t.buckets.iter() {
                let head = b.load(Ordering::Relaxed);
                if super::node::tag_of(head) & super::node::MOVED != 0 {
                    continue;
                }
                let mut node = untagged(head);
                while !node.is_null() {
                    // SAFETY: a live node of a live chain; each node is in one chain.
                    let following = unsafe { (*node).next(t.link) };
                    departing.push((node, RemovalCause::Dropped));
                    node = following;
                }
            }
        }
        let mut panics = PanicSlot::default();
        let mut fin = self.finalizer.take().map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()));
        for (node, cause) in departing {
            // SAFETY: every node appears once in `departing` and nobody else can reach it.
            let (key, value) = unsafe { take_node(node) };
            match fin.as_deref_mut() {
                Some(f) => panics.run(|| f.finalize(key, value, cause)),
                None => panics.run(|| drop((key, value))),
            }
        }
        for t in tables.into_iter().chain((!pending.is_null() && !ptr::eq(pending, root)).then_some(pending)) {
            // SAFETY: live tables not freed by the collector (retired tables were).
            drop(unsafe { Box::from_raw(t) });
        }
        panics.resume();
    }
}
