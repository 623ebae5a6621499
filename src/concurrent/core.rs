//! The concurrent core: the map's shared state and its point operations (lookup,
//! insert, remove, compute), in terms of tables, bucket locks, pins and retirement.
//! Resizing (`resize.rs`), eviction (`evict.rs`), walkers (`walk.rs`) and checks
//! (`validate.rs`) extend the same `Inner`. The public facade (`map.rs`) only adds types
//! and documentation.
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
//!   the bounded counters (`len`, `weight`) are adjusted by the same writer right after
//!   it unlocks, so they are exact whenever no write is in flight. A removal racing the
//!   insert of the same key may subtract before the insert adds: the counters are read
//!   as signed and a momentary negative count as zero (`Bound::len`). Without a weigher every
//!   entry weighs 1 and the weight is `len` (no second counter). A writer that pushed the
//!   map over its bound evicts under its own pin, before unpinning; without a weigher, an
//!   insert into a full map evicts first and inherits the victim's count (`admitted`).

use core::borrow::Borrow;
use core::hash::{BuildHasher, Hash};
use core::mem::ManuallyDrop;
use core::ptr;
use std::sync::Arc;

use crossbeam_epoch::Collector;

use super::evict::{ghost_slots, Bound};
use super::finalize::SharedFinalizer;
use super::node::{fold, untagged, Node};
use super::pool::{Pin, Pool, SlotCounters};
use super::reclaim::{take_node, SharedGarbage};
use super::resize::buckets_for;
use super::table::{BucketHint, Position, Table, MIN_BUCKETS};
use crate::error::or_abort;
use crate::hash_map::make_hash;
use crate::loom::{AtomicPtr, AtomicUsize, Ordering};
use crate::policy::{PanicSlot, RemovalCause, ShrinkPolicy};

/// A map's finalizer, shared with its clones (see [`SharedFinalizer`]).
pub(crate) type BoxedFinalizer<K, V> = Arc<SharedFinalizer<K, V>>;

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
    pub(super) walkers: AtomicUsize,
    /// Set when a shrink was due but left to later writes (the previous table still
    /// waited for a pinned reader, or a walker ran); cleared when a resize starts.
    /// Readers' maintenance checks for a shrink only while it is set, so that reads
    /// alone never give back room that `try_reserve` set aside. (A plain `std` atomic:
    /// it only decides whether a reader looks, never what a resize does.)
    pub(super) shrink_deferred: core::sync::atomic::AtomicBool,
    /// Set by the thread that finished migrating the root while walkers were present; the
    /// last walker retires it.
    pub(super) retire_pending: AtomicPtr<Table<K, V>>,
    /// Where the root's buckets are, for reads to prefetch their bucket before pinning.
    pub(super) hint: BucketHint,
}

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
        let root =
            if initial == 0 { ptr::null_mut() } else { Table::alloc(floor, 0, ghost_slots(bound.as_ref(), floor)) };
        let inner = Inner {
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
            shrink_deferred: core::sync::atomic::AtomicBool::new(false),
            retire_pending: AtomicPtr::new(ptr::null_mut()),
            hint: BucketHint::default(),
        };
        if !root.is_null() {
            // SAFETY: allocated above and owned by this map alone.
            inner.hint.set(unsafe { &*root });
        }
        inner
    }

    /// An empty map configured as this one: the hasher (cloned), shrink policy, floor
    /// and bound, with this map's weigher and finalizer shared.
    pub(crate) fn empty_like(&self) -> Self
    where
        S: Clone,
    {
        let bound = self.bound.as_ref().map(|b| Bound::new(b.capacity, b.weigher.clone()));
        let mut inner = Inner::new(self.hash_builder.clone(), 0, self.shrink, bound, self.finalizer.clone());
        // The root is allocated at this size by the first insert, as after `with_capacity`.
        inner.floor = self.floor;
        inner
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

    #[inline(always)]
    pub(super) fn root_or_init<'g>(&self, pin: &'g Pin<'_, K, V>) -> &'g Table<K, V> {
        match self.root(pin) {
            Some(t) => t,
            None => or_abort(self.init_root(pin, self.floor)),
        }
    }

    /// Makes a new table of `buckets` buckets the root of a map that has none, unless
    /// another thread did first; the root either way.
    pub(super) fn init_root<'g>(
        &self,
        _pin: &'g Pin<'_, K, V>,
        buckets: usize,
    ) -> Result<&'g Table<K, V>, crate::TryReserveError> {
        let fresh = Table::try_alloc(buckets, 0, ghost_slots(self.bound.as_ref(), buckets))?;
        match self.root.compare_exchange(ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => {
                // SAFETY: just published; see `root`.
                let t = unsafe { &*fresh };
                self.hint.set(t);
                Ok(t)
            }
            Err(t) => {
                // SAFETY: `fresh` was never published.
                drop(unsafe { Box::from_raw(fresh) });
                // SAFETY: see `root`.
                Ok(unsafe { &*t })
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
    /// Re-raises the first panic of the finalizer or of a `Drop`, after the batch.
    #[inline]
    pub(crate) fn drain(&self) {
        let mut panics = PanicSlot::default();
        self.drain_into(&mut panics);
        panics.resume();
    }

    /// [`drain`](Self::drain), keeping a panic in `panics` for the caller to re-raise
    /// once its own work is done (a walker drains after every bucket).
    #[inline]
    pub(crate) fn drain_into(&self, panics: &mut PanicSlot) {
        if self.garbage.has_reclaimed() {
            self.garbage.drain(self.finalizer.as_deref(), || self.len(), panics);
        }
    }

    /// Hands one value that never entered the map to the finalizer (or drops it).
    ///
    /// If the finalizer is running (on another thread, or on this one: a finalizer that
    /// inserted into the map), waiting for it could deadlock, so the value is queued for
    /// the next drain instead: still finalized exactly once, outside every lock.
    pub(crate) fn finalize_now(&self, key: K, value: V, cause: RemovalCause) {
        // Counted as `LruMap` counts its rejections (the spill counters take atomic adds).
        self.pool.spill.removed[cause as usize].fetch_add(1, Ordering::Relaxed);
        let Some(m) = &self.finalizer else {
            drop((key, value));
            return;
        };
        let Some(mut f) = m.try_hold() else {
            let node = Node::alloc(0, key, value, 1);
            self.garbage.defer_finalize(&self.pool.spill, node, cause);
            return;
        };
        let mut panics = PanicSlot::default();
        f.finalize(key, value, cause, &mut panics);
        f.release(&mut panics);
        panics.resume();
    }

    /// A new unlinked node, built in a spare allocation when the pinned slot has one.
    #[inline]
    fn new_node(&self, pin: &Pin<'_, K, V>, hash: u32, key: K, value: V, weight: u64) -> *mut Node<K, V> {
        match self.garbage.take_spare(pin) {
            // SAFETY: the pool hands each spare allocation to one slot, and the slot's
            // holder (us) takes it once.
            Some(spare) => unsafe { Node::reuse(spare, hash, key, value, weight) },
            None => Node::alloc(hash, key, value, weight),
        }
    }

    /// Spare node allocations the slots hold (the pool's are [`SharedGarbage`]'s).
    pub(crate) fn slot_spares(&self) -> usize {
        self.pool.sum(|c| c.spares.load(Ordering::Relaxed) as u64) as usize
    }

    /// The weight a node records for `(key, value)` (in the bound's units; 1 without a
    /// weigher), or `None` if the bound rejects the value: it alone weighs more.
    #[inline]
    pub(crate) fn recorded_weight(&self, key: &K, value: &V) -> Option<u64> {
        let Some(b) = &self.bound else {
            return Some(1);
        };
        let raw = match &b.weigher {
            Some(w) => w.weigh(key, value),
            None => 1,
        };
        (!b.rejects(raw)).then(|| b.units(raw))
    }

    /// Accounts for a node that left the map and retires it.
    ///
    /// # Safety
    ///
    /// - As for [`Garbage::retire`](super::reclaim::Garbage::retire).
    pub(super) unsafe fn retire(&self, pin: &Pin<'_, K, V>, node: *mut Node<K, V>, cause: RemovalCause) {
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
    /// - As for [`Garbage::retire`](super::reclaim::Garbage::retire) for `old`.
    pub(super) unsafe fn replaced(&self, pin: &Pin<'_, K, V>, old: *mut Node<K, V>, new_weight: u64) {
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
}

impl<K: Hash + Eq, V, S: BuildHasher> Inner<K, V, S> {
    #[inline]
    pub(crate) fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u32 {
        fold(make_hash(&self.hash_builder, key))
    }

    /// Looks `key` up, lock-free.
    #[inline(always)]
    pub(crate) fn find<'g, Q>(&self, pin: &'g Pin<'_, K, V>, key: &Q) -> Option<&'g Node<K, V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find_counted(pin, key, self.hash(key)).0
    }

    /// A guard-free read: pins, looks `key` up, passes the entry (if any) to `f` and
    /// returns its result, then unpins, ending with a
    /// [`read_maintenance`](Self::read_maintenance) once every
    /// [`READ_MAINTAIN_EVERY`](super::resize::READ_MAINTAIN_EVERY) hits (and as often
    /// misses) through the slot.
    #[inline(always)]
    pub(crate) fn read<Q, R>(&self, key: &Q, f: impl FnOnce(Option<&Node<K, V>>) -> R) -> R
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        // The user's `Hash` runs unpinned, and the bucket's line is on its way while the
        // pin's locked instruction runs (see `BucketHint`).
        let hash = self.hash(key);
        self.hint.prefetch(hash);
        // `pin` ends in place at the end of the scope (moving it into `drop` would copy it).
        let pin = self.pin();
        let (found, due) = self.find_counted(&pin, key, hash);
        let result = f(found);
        if due {
            self.read_maintenance(pin);
        }
        result
    }

    /// [`find`](Self::find), and whether the read is due for maintenance (the lookup
    /// counter it bumps doubles as the read count).
    #[inline(always)]
    fn find_counted<'g, Q>(&self, pin: &'g Pin<'_, K, V>, key: &Q, hash: u32) -> (Option<&'g Node<K, V>>, bool)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let found = match self.root(pin) {
            // SAFETY: `t` was reached from the root under `pin`, which outlives 'g.
            Some(t) => unsafe { t.find(hash, |k| k.borrow() == key) },
            None => None,
        };
        let c = &pin.slot().counters;
        let counter = if found.is_some() { &c.hits } else { &c.misses };
        // Only the slot's holder writes its counters: a plain load and store suffice.
        let count = counter.load(Ordering::Relaxed).wrapping_add(1);
        counter.store(count, Ordering::Relaxed);
        if let (Some(n), Some(_)) = (found, &self.bound) {
            n.touch();
        }
        (found, count % super::resize::READ_MAINTAIN_EVERY as u64 == 0)
    }

    /// Accounts for a node that entered the map and, in a bounded map, evicts until the
    /// bound holds (under the writer's pin: eviction runs no user code, and the evicted
    /// values are finalized by the drain after the writer unpins).
    ///
    /// Without a weigher, an insert into a full map swaps: it evicts one entry first and
    /// takes over its place in the shared count, so the steady state of a full cache
    /// (one eviction per insert) writes no shared counter.
    ///
    /// Returns how many evictions beyond that swap lowered the entry count (a weight
    /// bound): the write then checks for a shrink rather than for growth.
    pub(super) fn admitted(&self, pin: &Pin<'_, K, V>, weight: u64, node: *const Node<K, V>) -> usize {
        let c = &pin.slot().counters;
        c.add_len(1);
        SlotCounters::bump(&c.insertions, 1);
        let Some(b) = &self.bound else {
            return 0;
        };
        let full = b.weigher.is_none() && {
            let len = b.len();
            b.exceeds(len + 1, len as u64 + 1)
        };
        if !(full && self.evict_one(b, pin, false, node)) {
            b.add(weight);
        }
        self.evict_to_fit(pin, node)
    }

    /// Inserts or replaces. Returns `true` if the key was new.
    pub(crate) fn insert(&self, key: K, value: V) -> bool {
        let hash = self.hash(&key);
        let Some(weight) = self.recorded_weight(&key, &value) else {
            self.remove(&key, RemovalCause::Replaced);
            self.finalize_now(key, value, RemovalCause::Rejected);
            return false;
        };
        let pin = self.pin();
        let node = Owned(self.new_node(&pin, hash, key, value, weight));
        let table = self.root_or_init(&pin);
        self.help(table, &pin);
        // SAFETY: `table` was reached from the root under `pin`.
        let mut lock = unsafe { table.lock(hash) };
        // SAFETY: `node` is ours and unpublished.
        let key = unsafe { &(*node.0).key };
        let Position { prev, cur, before: chain } = lock.find(hash, |k| k == key);
        let replaced = (!cur.is_null()).then_some(cur);
        if replaced.is_some() {
            // SAFETY: `prev`, `cur` are consecutive in our chain; `node` unpublished.
            unsafe { lock.replace(prev, cur, node.0) };
        } else {
            lock.push(node.0);
        }
        // Linked above: the chain owns the node now.
        let new = node.0;
        node.publish();
        let table = lock.table_ptr();
        drop(lock);
        // SAFETY: reached under `pin`, which we still hold.
        let table = unsafe { &*table };
        match replaced {
            Some(old) => {
                // SAFETY: unlinked by us under the lock, retired once.
                unsafe { self.replaced(&pin, old, weight) };
                // A heavier value may push a weight-bounded map over its bound.
                let evicted = self.evict_to_fit(&pin, new);
                self.end_evicting_write(pin, table, evicted);
                false
            }
            None => {
                match self.admitted(&pin, weight, new) {
                    0 => self.end_write(pin, table, Some(true), chain >= 4),
                    evicted => self.end_evicting_write(pin, table, evicted),
                }
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
            // No write happened: counted as a read, with a reader's maintenance now and
            // then.
            if self.read_due(&pin) {
                self.read_maintenance(pin);
            }
            return false;
        }
        // SAFETY: as above.
        let mut lock = unsafe { table.lock(hash) };
        let removed = lock.unlink_first(|c| c.hash == hash && c.key.borrow() == key);
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
        let Position { prev, cur, .. } = lock.find(hash, |k| *k == key);
        // SAFETY: as above; the node stays live while we hold the lock.
        let current = (!cur.is_null()).then(|| unsafe { &(*cur).value });
        let (decision, result) = super::locked::under_lock(|| f(current));
        let outcome = match (decision, cur.is_null()) {
            (Err(()), _) | (Ok(None), true) => {
                drop(lock);
                return (Computed::Unchanged, result);
            }
            (Ok(Some(value)), absent) => {
                // The weigher, too, runs under the lock.
                let Some(weight) = super::locked::under_lock(|| self.recorded_weight(&key, &value)) else {
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
                };
                // User code is done: pin (before unlocking, so the table stays protected
                // after the lock is gone) and build the node in the pinned slot's spare.
                let pin = self.pin();
                let node = self.new_node(&pin, hash, key, value, weight);
                if absent {
                    lock.push(node);
                    (Computed::Inserted, weight, None, node, pin)
                } else {
                    // SAFETY: consecutive nodes of our chain; `node` unpublished.
                    unsafe { lock.replace(prev, cur, node) };
                    (Computed::Replaced, weight, Some(cur), node, pin)
                }
            }
            (Ok(None), false) => {
                // SAFETY: consecutive nodes of our chain.
                unsafe { lock.unlink(prev, cur) };
                // Pin before unlocking, as above.
                (Computed::Removed, 0, Some(cur), ptr::null_mut(), self.pin())
            }
        };
        let table = lock.table_ptr();
        drop(lock);
        // SAFETY: not retired while we held the lock, and pinned since.
        let table = unsafe { &*table };
        let (computed, weight, old, new, pin) = outcome;
        match computed {
            Computed::Inserted => match self.admitted(&pin, weight, new) {
                0 => self.end_write(pin, table, Some(true), false),
                evicted => self.end_evicting_write(pin, table, evicted),
            },
            Computed::Replaced => {
                // SAFETY: unlinked by us, retired once.
                unsafe { self.replaced(&pin, old.unwrap_or(ptr::null_mut()), weight) };
                let evicted = self.evict_to_fit(&pin, new);
                self.end_evicting_write(pin, table, evicted);
            }
            _ => {
                // SAFETY: unlinked by us, retired once.
                unsafe { self.retire(&pin, old.unwrap_or(ptr::null_mut()), RemovalCause::Explicit) };
                self.end_write(pin, table, Some(false), false);
            }
        }
        (computed, result)
    }
}

/// An allocated node not yet published; freed if we unwind before publishing.
struct Owned<K, V>(*mut Node<K, V>);

impl<K, V> Owned<K, V> {
    fn publish(self) {
        core::mem::forget(self);
    }
}

impl<K, V> Drop for Owned<K, V> {
    fn drop(&mut self) {
        // SAFETY: never published (`publish` forgets `self`), so ours alone.
        drop(unsafe { take_node(self.0) });
    }
}

impl<K, V, S> Drop for Inner<K, V, S> {
    fn drop(&mut self) {
        // No guard, lock or other thread can exist: we have `&mut self`.
        let mut departing: Vec<(*mut Node<K, V>, RemovalCause)> = Vec::new();
        let mut handles = Vec::new();
        for slot in self.pool.slots_mut() {
            let (handle, batch, spare) = slot.take();
            handles.extend(handle);
            departing.extend(batch.into_iter().map(super::node::split_cause));
            // SAFETY: the slot's spares, which nothing else names once the map drops.
            unsafe { super::reclaim::free_spares(spare) };
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
        // Shared with clones, so taken by locking: another thread may hold it (a clone's
        // drain: wait for it), or this one, when this drop runs inside the shared
        // finalizer: then the values are left to that call's holder (see `finalize.rs`).
        let shared = self.finalizer.take();
        let values = departing.into_iter().map(|(node, cause)| {
            // SAFETY: every node appears once in `departing` and nobody else can reach it.
            let (key, value) = unsafe { take_node(node) };
            (key, value, cause)
        });
        match shared.as_deref() {
            Some(shared) => match shared.hold() {
                Some(mut f) => {
                    for (key, value, cause) in values {
                        f.finalize(key, value, cause, &mut panics);
                    }
                    f.release(&mut panics);
                }
                None => shared.orphan(values),
            },
            None => values.for_each(|v| panics.run(|| drop(v))),
        }
        for t in tables.into_iter().chain((!pending.is_null() && !ptr::eq(pending, root)).then_some(pending)) {
            // SAFETY: live tables not freed by the collector (retired tables were).
            drop(unsafe { Box::from_raw(t) });
        }
        panics.resume();
    }
}
