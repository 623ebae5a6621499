//! Retirement, bounded garbage, and finalization.
//!
//! # How a departing value leaves
//!
//! 1. A writer unlinks the node under its bucket lock and, after unlocking, *retires* it:
//!    the node pointer, tagged with its [`RemovalCause`], goes into the retirement batch
//!    of the writer's slot, and the slot counts the retired bytes.
//! 2. A full batch (or any batch at the periodic maintenance step) is *sealed*: boxed and
//!    pushed on the map's `limbo` stack.
//! 3. A maintenance step swaps the whole `limbo` stack out and hands it to the map's
//!    `crossbeam-epoch` collector with **one** deferred function. Once no participant
//!    pinned at that moment is still pinned, the collector runs it; it only splices the
//!    batches onto the map's `reclaimed` stack (no user code runs inside the collector,
//!    and nothing there can panic). Every node in the list was unlinked before it entered
//!    `limbo`, so before the deferral: a reader that can still reach it was pinned at the
//!    deferral, and the collector waits for it.
//! 4. A later operation, unpinned and holding no bucket lock, *drains* the stack: it
//!    moves each key and value out of its node, frees the node, and hands them to the
//!    finalizer (or drops them), catching panics so that every value is finalized.
//!
//! So a finalizer receives an owned value only once no reader can reach it, exactly once
//! (a node is unlinked, and so retired, by one lock holder only), and outside every lock
//! of the map. Finalizer calls are serialized by a mutex taken with `try_lock`: a
//! finalizer that calls back into the map never deadlocks (the nested drain is skipped).
//!
//! # Bounded garbage
//!
//! Retired bytes are counted per slot and freed bytes globally, so the backlog is known.
//! A slot's batch is sealed by whoever holds the slot; a slot nobody holds (its thread
//! exited, or a shared slot out of use) is held by other writers' full maintenance
//! steps, one slot per step, so that its batch does not wait for the slot to be used
//! again: a lease its thread released on exit at the next step, the other slots in
//! turn.
//! Each write operation counts against its slot; a batch is sealed when it fills, and
//! every [`MAINTAIN_EVERY`] operations the writer seals its batch and flushes the
//! collector while that makes progress (up to [`MAX_FLUSHES`] times). While the nodes
//! waiting for reclamation are at least a [`BACKLOG_SHARE`]th of the live entries (a
//! reader stayed pinned, or the map emptied), or a retired table waits, writers seal and
//! flush every [`BACKLOG_EVERY`] operations instead: so a backlog drains within a few
//! operations of the reader unpinning, and pending garbage stays under a fixed share of
//! the map plus about two rounds of [`MAINTAIN_EVERY`] operations per slot, while steady
//! traffic on a large map pays for a flush only once per [`MAINTAIN_EVERY`] operations. A flush frees up to
//! 8 collector bags of 64 batches of [`BATCH`] nodes: with batching, one flush can free
//! about 32,000 nodes, so a backlog of a million nodes left by a long-pinned reader
//! drains within a few operations after the reader unpins: however many nodes a
//! round holds, it is one deferred function, so the collector's per-flush limit
//! (8 bags) does not throttle it.
//!
//! # Spare allocations
//!
//! A drained node's key and value move out, but its allocation need not be freed: the
//! drain keeps the emptied allocations of a batch, as one *spare* batch, in the map's
//! `spares` pool, and inserts build their nodes in spare allocations before asking the
//! allocator. A write-heavy map then recycles node memory in batches of [`BATCH`]
//! instead of a `malloc` and a `free` per entry (which, with frees arriving in bursts
//! of whole rounds, also miss the allocator's per-thread caches). The pool is bounded:
//! it keeps at most a [`SPARE_SHARE`]th of the live entries, or [`SPARE_MIN`] while
//! the map holds at least that many (so an emptied map keeps none); a drain frees what
//! does not fit, and the periodic maintenance step trims the pool and the maintaining
//! slot's own spares when the map has shrunk since. A slot takes a whole batch from the pool when its
//! own runs out, so a slot holds at most one batch. Spare allocations are counted in
//! `allocation_size()`; the pool is locked only with `try_lock`, once per batch, and
//! a contended pool is skipped (the allocator is used instead).

use core::mem::size_of;
use core::ptr;

use crossbeam_epoch::Guard;

use super::finalize::SharedFinalizer;
use super::node::{split_cause, with_cause, Node};
use super::pool::{Batch, Pin, Slot, SlotCounters};
use super::table::Table;
use crate::loom::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use crate::policy::{PanicSlot, RemovalCause};

/// Nodes per sealed batch.
pub(crate) const BATCH: usize = if cfg!(leakless_loom) { 2 } else { 64 };
/// Write operations per slot between maintenance steps.
pub(crate) const MAINTAIN_EVERY: usize = if cfg!(leakless_loom) { 4 } else { 256 };
/// Rounds of garbage handed to the collector and not yet released, at most.
pub(crate) const MAX_ROUNDS: usize = 2;
/// Write operations per slot between maintenance steps while a backlog waits (see
/// [`BACKLOG_SHARE`]), or a retired table.
pub(crate) const BACKLOG_EVERY: usize = 4;
/// Nodes waiting for reclamation (sealed, or in the writer's batch) of at least
/// `1 / BACKLOG_SHARE` of the live entries are a backlog: the map then maintains every
/// [`BACKLOG_EVERY`] operations. Steady traffic on a map of some size keeps one small
/// round in flight, far below the share, and maintains every [`MAINTAIN_EVERY`]
/// operations; a backlog left by a long-pinned reader, or the garbage of a map that
/// emptied, exceeds it and drains within a few operations.
pub(crate) const BACKLOG_SHARE: usize = 8;
/// Collector flushes per maintenance step, at most.
pub(crate) const MAX_FLUSHES: usize = if cfg!(leakless_loom) { 2 } else { 16 };
/// A map keeps at most `1 / SPARE_SHARE` of its live entries' allocations as spares...
pub(crate) const SPARE_SHARE: usize = 16;
/// ...or this many while it holds at least as many entries, whichever is more.
pub(crate) const SPARE_MIN: usize = 2 * BATCH;

/// The most spare allocations a map of `live` entries keeps: none once it is empty.
#[inline]
fn spare_limit(live: usize) -> usize {
    (live / SPARE_SHARE).max(SPARE_MIN.min(live))
}

/// A boxed batch on its way through the collector and the `reclaimed` stack.
pub(crate) struct Sealed<K, V> {
    next: *mut Sealed<K, V>,
    nodes: Batch<K, V>,
}

/// The garbage state of a map. Lives inside the map's boxed core, so its address is
/// stable for the deferred functions that point at it.
pub(crate) struct Garbage<K, V> {
    /// Sealed batches not yet handed to the collector.
    limbo: AtomicPtr<Sealed<K, V>>,
    /// Batches the collector released, waiting to be drained.
    reclaimed: AtomicPtr<Sealed<K, V>>,
    pub(crate) freed_bytes: AtomicU64,
    /// Rounds handed to the collector and not yet on the `reclaimed` stack.
    pub(crate) in_flight: AtomicUsize,
    /// Nodes sealed and not yet on the `reclaimed` stack (in `limbo` or in flight).
    backlog: AtomicUsize,
    /// Tables retired and freed so far; generation `g + 1` may only be created once the
    /// tables `0..g` are all freed.
    pub(crate) tables_freed: AtomicU64,
    /// Bytes of retired tables not yet freed.
    pub(crate) table_bytes: AtomicU64,
    /// Batches of spare node allocations (untagged; see the module docs).
    spares: std::sync::Mutex<Vec<Batch<K, V>>>,
    /// Allocations in `spares`; changed only while holding its lock.
    spare_nodes: AtomicUsize,
}

/// Bytes one retirement accounts for: the node and its batch entry.
pub(crate) const fn node_bytes<K, V>() -> u64 {
    (size_of::<Node<K, V>>() + size_of::<*mut Node<K, V>>()) as u64
}

impl<K, V> Garbage<K, V> {
    pub(crate) fn new() -> Self {
        const { assert!(core::mem::align_of::<Node<K, V>>() >= 8, "a node pointer carries a 3-bit cause") };
        Garbage {
            limbo: AtomicPtr::new(ptr::null_mut()),
            reclaimed: AtomicPtr::new(ptr::null_mut()),
            freed_bytes: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            backlog: AtomicUsize::new(0),
            tables_freed: AtomicU64::new(0),
            table_bytes: AtomicU64::new(0),
            spares: std::sync::Mutex::new(Vec::new()),
            spare_nodes: AtomicUsize::new(0),
        }
    }

    /// A spare node allocation for the slot `pin` holds, taking a batch from the pool
    /// when the slot has none left; `None` if the pool is empty (or busy).
    #[inline]
    pub(crate) fn take_spare(&self, pin: &Pin<'_, K, V>) -> Option<*mut Node<K, V>> {
        let slot = pin.slot();
        slot.spare.with_mut(|spare| {
            // SAFETY: the spare batch belongs to the slot we hold (pool invariants).
            let spare = unsafe { &mut *spare };
            let node = match spare.pop() {
                Some(node) => node,
                None => {
                    // A temporary participant's slot is dropped with it: it keeps none.
                    if pin.is_temporary() || self.spare_nodes.load(Ordering::Relaxed) == 0 {
                        return None;
                    }
                    *spare = self.take_spare_batch()?;
                    spare.pop()?
                }
            };
            slot.counters.spares.store(spare.len(), Ordering::Relaxed);
            Some(node)
        })
    }

    #[cold]
    #[inline(never)]
    fn take_spare_batch(&self) -> Option<Batch<K, V>> {
        let mut pool = self.spares.try_lock().ok()?;
        let batch = pool.pop()?;
        self.spare_nodes.fetch_sub(batch.len(), Ordering::Relaxed);
        Some(batch)
    }

    /// Allocations held in the spare pool (the slots' own are counted per slot).
    pub(crate) fn pooled_spares(&self) -> usize {
        self.spare_nodes.load(Ordering::Relaxed)
    }

    /// Heap bytes of the spare pool's bookkeeping: its array of batches and the batches'
    /// arrays of node pointers (the nodes themselves are counted by the caller).
    pub(crate) fn spare_pool_bytes(&self) -> usize {
        let pool = self.spares.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        pool.capacity() * size_of::<Batch<K, V>>()
            + pool.iter().map(|b| b.capacity() * size_of::<*mut Node<K, V>>()).sum::<usize>()
    }

    /// Puts a batch of emptied node allocations (spares, see [`free_spares`]) owned by
    /// the caller in the spare pool if it fits the bound for `live` entries, and frees
    /// it otherwise.
    fn keep_spares(&self, batch: Batch<K, V>, live: usize) {
        if self.spare_nodes.load(Ordering::Relaxed) + batch.len() <= spare_limit(live) {
            if let Ok(mut pool) = self.spares.try_lock() {
                self.spare_nodes.fetch_add(batch.len(), Ordering::Relaxed);
                pool.push(batch);
                return;
            }
        }
        // SAFETY: the caller's batch of emptied allocations (see `drain`), ours alone.
        unsafe { free_spares(batch) };
    }

    /// Frees spare allocations until the pool, and separately the spare batch of the
    /// slot `pin` holds, fit the bound for `live` entries.
    pub(crate) fn trim_spares(&self, pin: &Pin<'_, K, V>, live: usize) {
        let limit = spare_limit(live);
        let slot = pin.slot();
        slot.spare.with_mut(|spare| {
            // SAFETY: the spare batch belongs to the slot we hold (pool invariants).
            let spare = unsafe { &mut *spare };
            if spare.len() > limit {
                // SAFETY: spares of the slot we hold, split off its batch: ours alone.
                unsafe { free_spares(spare.split_off(limit)) };
                slot.counters.spares.store(spare.len(), Ordering::Relaxed);
            }
        });
        if self.spare_nodes.load(Ordering::Relaxed) <= limit {
            return;
        }
        let Ok(mut pool) = self.spares.try_lock() else {
            return;
        };
        let mut surplus = Vec::new();
        while self.spare_nodes.load(Ordering::Relaxed) > limit {
            let Some(batch) = pool.pop() else { break };
            self.spare_nodes.fetch_sub(batch.len(), Ordering::Relaxed);
            surplus.push(batch);
        }
        // The pool's own array shrinks with it (a map that emptied holds none): it grows
        // to a slot per 1,024 entries the map once had.
        let kept = pool.len();
        if kept.saturating_mul(4) <= pool.capacity() {
            pool.shrink_to(kept * 2);
        }
        drop(pool);
        for batch in surplus {
            // SAFETY: batches taken out of the pool under its lock: ours alone.
            unsafe { free_spares(batch) };
        }
    }

    /// Retires an unlinked node: its value leaves the map for `cause`.
    ///
    /// # Safety
    ///
    /// - `node` was unlinked from its chain by the caller while holding the chain's lock,
    ///   is not linked anywhere else, and is retired once.
    pub(crate) unsafe fn retire(&self, pin: &Pin<'_, K, V>, node: *mut Node<K, V>, cause: RemovalCause) {
        let slot = pin.slot();
        let full = slot.batch.with_mut(|b| {
            // SAFETY: the batch belongs to the slot we hold (pool invariants).
            let b = unsafe { &mut *b };
            b.push(with_cause(node, cause));
            b.len() >= BATCH
        });
        SlotCounters::bump(&slot.counters.retired_bytes, node_bytes::<K, V>());
        slot.counters.removed(cause, 1);
        if full || pin.is_temporary() {
            self.seal(pin);
        }
    }

    /// Queues `node`, which was never published, for the next drain to finalize with
    /// `cause`, as if the collector had released it (no reader can have seen it), and
    /// counts its bytes as retired in `counters`. For a value the finalizer must see
    /// while the finalizer is busy: waiting for it could deadlock (see
    /// `Inner::finalize_now`).
    pub(crate) fn defer_finalize(&self, counters: &SlotCounters, node: *mut Node<K, V>, cause: RemovalCause) {
        counters.retired_bytes.fetch_add(node_bytes::<K, V>(), Ordering::Relaxed);
        let sealed = Box::into_raw(Box::new(Sealed { next: ptr::null_mut(), nodes: vec![with_cause(node, cause)] }));
        push_list(&self.reclaimed, sealed, sealed);
    }

    /// Moves the slot's batch, if any, to `limbo`.
    pub(crate) fn seal(&self, pin: &Pin<'_, K, V>) {
        self.seal_slot(pin.slot());
    }

    /// Moves the batch of `slot`, which the caller holds (through a pin, or as
    /// [`Pool::with_idle_slot`](super::pool::Pool::with_idle_slot) holds it), to `limbo`.
    pub(crate) fn seal_slot(&self, slot: &Slot<K, V>) {
        let nodes = slot.batch.with_mut(|b| {
            // SAFETY: the caller holds the slot, so nobody else uses its batch.
            let b = unsafe { &mut *b };
            // The next batch is allocated at full size once, instead of growing.
            (!b.is_empty()).then(|| core::mem::replace(b, Vec::with_capacity(BATCH)))
        });
        let Some(mut nodes) = nodes else {
            return;
        };
        if nodes.len() < BATCH / 2 {
            // A partial batch (a backlog step) keeps only what it holds.
            nodes.shrink_to_fit();
        }
        self.backlog.fetch_add(nodes.len(), Ordering::Relaxed);
        let sealed = Box::into_raw(Box::new(Sealed { next: ptr::null_mut(), nodes }));
        push_list(&self.limbo, sealed, sealed);
    }

    /// Hands everything in `limbo` to the collector as one deferred function.
    ///
    /// At most [`MAX_ROUNDS`] rounds are in flight: while a reader stays pinned, new
    /// garbage accumulates in `limbo` instead of fragmenting into many small rounds, so
    /// that when the reader unpins, the whole backlog is one round.
    fn defer_limbo(&self, guard: &Guard) {
        if self.limbo.load(Ordering::Relaxed).is_null() || self.in_flight.load(Ordering::Relaxed) >= MAX_ROUNDS {
            return;
        }
        let list = self.limbo.swap(ptr::null_mut(), Ordering::Acquire);
        if list.is_null() {
            return;
        }
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        let garbage = self as *const Self as usize;
        let list = list as usize;
        // SAFETY: the closure touches only `self` and the swapped-out list, which it
        // owns. `self` lives in the map's boxed core, which is dropped only after the
        // collector (dropping the collector runs every pending deferred function). Every
        // node in the list was unlinked before its batch entered `limbo`, hence before
        // this deferral, so the collector runs the closure only after every reader that
        // may still see one of them has unpinned.
        unsafe {
            guard.defer_unchecked(move || {
                let garbage = &*(garbage as *const Self);
                let head = list as *mut Sealed<K, V>;
                let mut tail = head;
                let mut nodes = (*tail).nodes.len();
                while !(*tail).next.is_null() {
                    tail = (*tail).next;
                    nodes += (*tail).nodes.len();
                }
                push_list(&garbage.reclaimed, head, tail);
                garbage.backlog.fetch_sub(nodes, Ordering::Relaxed);
                garbage.in_flight.fetch_sub(1, Ordering::Relaxed);
            })
        };
    }

    /// Flushes the collector while that makes progress, at most [`MAX_FLUSHES`] times.
    ///
    /// One flush advances the global epoch at most once past this thread's pin, and a
    /// round deferred during this pin needs two advances: so a flush that frees no round
    /// means the rest must wait for a later pin (or for another participant to unpin),
    /// and further flushes now would only repeat the failed advance.
    pub(crate) fn flush(&self, guard: &Guard) {
        for _ in 0..MAX_FLUSHES {
            self.defer_limbo(guard);
            let before = self.in_flight.load(Ordering::Relaxed);
            guard.flush();
            let after = self.in_flight.load(Ordering::Relaxed);
            if (after == 0 && self.limbo.load(Ordering::Relaxed).is_null()) || after >= before {
                break;
            }
        }
    }

    /// The periodic step of a write operation: seal and flush every
    /// [`MAINTAIN_EVERY`] operations through this slot, and flush every
    /// [`BACKLOG_EVERY`] while a backlog waits; trim the spare pool. `live` counts the
    /// map's entries.
    ///
    /// Inlined down to the counter: three operations in four end there.
    #[inline(always)]
    pub(crate) fn maintain(&self, pin: &Pin<'_, K, V>, live: impl Fn() -> usize, idle: impl FnOnce()) {
        let ops = pin.slot().ops.with_mut(|ops| {
            // SAFETY: the counter belongs to the slot we hold.
            let ops = unsafe { &mut *ops };
            *ops = ops.wrapping_add(1);
            *ops
        });
        // Every step that can be due falls on a multiple of BACKLOG_EVERY.
        const { assert!(MAINTAIN_EVERY % BACKLOG_EVERY == 0) };
        if ops % BACKLOG_EVERY == 0 {
            self.maintain_due(pin, ops, live, idle);
        }
    }

    /// The rest of [`maintain`](Self::maintain), once per [`BACKLOG_EVERY`] operations.
    #[inline(never)]
    fn maintain_due(&self, pin: &Pin<'_, K, V>, ops: usize, live: impl Fn() -> usize, idle: impl FnOnce()) {
        let hint = &pin.slot().live_hint;
        let fresh = if ops % MAINTAIN_EVERY == 0 {
            // Seal the batch an idle slot's last holder left (before the flush below).
            idle();
            let n = live();
            // SAFETY: the hint belongs to the slot we hold.
            hint.with_mut(|h| unsafe { *h = n });
            Some(n)
        } else {
            None
        };
        // SAFETY: as above.
        if fresh.is_some() || self.backlogged(pin, hint.with(|h| unsafe { *h })) {
            if self.spare_nodes.load(Ordering::Relaxed) > 0 || pin.slot().counters.spares.load(Ordering::Relaxed) > 0 {
                self.trim_spares(pin, fresh.unwrap_or_else(&live));
            }
            self.seal(pin);
            if !self.limbo.load(Ordering::Relaxed).is_null()
                || self.in_flight.load(Ordering::Relaxed) > 0
                || self.table_bytes.load(Ordering::Relaxed) > 0
            {
                self.flush(&pin.guard);
            }
        }
    }

    /// `true` if a retired table waits, or the nodes waiting for reclamation are at
    /// least a [`BACKLOG_SHARE`]th of the `live` entries (as of the slot's last full
    /// maintenance step: a map that emptied since is seen backlogged at most one step of
    /// [`MAINTAIN_EVERY`] operations later).
    fn backlogged(&self, pin: &Pin<'_, K, V>, live: usize) -> bool {
        if self.table_bytes.load(Ordering::Relaxed) > 0 {
            return true;
        }
        let batch = pin.slot().batch.with(|b| {
            // SAFETY: the batch belongs to the slot we hold.
            unsafe { (*b).len() }
        });
        let waiting = self.backlog.load(Ordering::Relaxed) + batch;
        waiting > 0 && waiting.saturating_mul(BACKLOG_SHARE) >= live
    }

    /// Retires a table whose buckets are all migrated.
    ///
    /// # Safety
    ///
    /// - `table` is no longer the map's root, every bucket is `MOVED`, and it is retired
    ///   once.
    pub(crate) unsafe fn retire_table(&self, guard: &Guard, table: *mut Table<K, V>) {
        // SAFETY: live until the deferred function below frees it.
        let bytes = unsafe { (*table).bytes() } as u64;
        self.table_bytes.fetch_add(bytes, Ordering::Relaxed);
        let garbage = self as *const Self as usize;
        let table = table as usize;
        // SAFETY: as in `seal`: `self` outlives the collector; the table is unreachable
        // from the root, and readers that reached it are pinned no later than now.
        // Freeing a table frees only its bucket array (no user code).
        unsafe {
            guard.defer_unchecked(move || {
                let garbage = &*(garbage as *const Self);
                drop(Box::from_raw(table as *mut Table<K, V>));
                garbage.table_bytes.fetch_sub(bytes, Ordering::Relaxed);
                garbage.tables_freed.fetch_add(1, Ordering::Release);
            })
        };
        guard.flush();
    }

    /// `true` if reclaimed batches wait to be drained.
    #[inline]
    pub(crate) fn has_reclaimed(&self) -> bool {
        !self.reclaimed.load(Ordering::Relaxed).is_null()
    }

    /// Empties every reclaimed node, passing its key and value to `finalizer` (or
    /// dropping them when there is none), and keeps the allocations as spares or frees
    /// them (`live` counts the map's entries, for the spare pool's bound). Call unpinned
    /// and without bucket locks. A panicking finalizer or `Drop` does not stop the
    /// others; the first panic is re-raised.
    pub(crate) fn drain(
        &self,
        finalizer: Option<&SharedFinalizer<K, V>>,
        live: impl FnOnce() -> usize,
        panics: &mut PanicSlot,
    ) {
        if !self.has_reclaimed() {
            return;
        }
        let mut fin = match finalizer {
            Some(shared) => {
                let Some(f) = shared.try_hold() else { return };
                Some(f)
            }
            None => None,
        };
        let mut list = self.reclaimed.swap(ptr::null_mut(), Ordering::Acquire);
        let mut freed = 0u64;
        let live = live();
        while !list.is_null() {
            // SAFETY: batches on the stack were pushed once by the collector and are
            // owned by whoever swapped the stack out: us.
            let sealed = unsafe { Box::from_raw(list) };
            list = sealed.next;
            let mut nodes = sealed.nodes;
            for p in &mut nodes {
                let (node, cause) = split_cause(*p);
                // SAFETY: the collector ran this batch's deferred function, so no reader
                // can reach the node any more (reclaim protocol, step 3); each node of
                // the batch is emptied once, here.
                let (key, value) = unsafe { empty_node(node) };
                *p = node;
                freed += node_bytes::<K, V>();
                match fin.as_mut() {
                    Some(f) => f.finalize(key, value, cause, panics),
                    None => panics.run(|| drop((key, value))),
                }
            }
            // Every node of the batch is now an empty allocation.
            self.keep_spares(nodes, live);
        }
        self.freed_bytes.fetch_add(freed, Ordering::Relaxed);
        if let Some(f) = fin {
            f.release(panics);
        }
    }

    /// For teardown: every node still waiting anywhere in the garbage pipeline, with
    /// its cause. Call only after the collector was dropped.
    pub(crate) fn take_all_reclaimed(&self, out: &mut Vec<(*mut Node<K, V>, RemovalCause)>) {
        for stack in [&self.limbo, &self.reclaimed] {
            let mut list = stack.swap(ptr::null_mut(), Ordering::Acquire);
            while !list.is_null() {
                // SAFETY: as in `drain`; teardown (after the collector is gone) is the only
                // caller, so nothing else drains.
                let sealed = unsafe { Box::from_raw(list) };
                list = sealed.next;
                for &p in &sealed.nodes {
                    out.push(split_cause(p));
                }
            }
        }
    }
}

/// The map's [`Garbage`] in its own heap allocation.
///
/// Deferred functions reach the garbage state through a raw pointer while the map is
/// being dropped (dropping the collector runs them from inside the map's `Drop`). Kept
/// outside the map's own allocation, those accesses never alias the `&mut` that `Drop`
/// holds on the map.
pub(crate) struct SharedGarbage<K, V>(core::ptr::NonNull<Garbage<K, V>>);

impl<K, V> SharedGarbage<K, V> {
    pub(crate) fn new() -> Self {
        SharedGarbage(core::ptr::NonNull::from(Box::leak(Box::new(Garbage::new()))))
    }
}

impl<K, V> core::ops::Deref for SharedGarbage<K, V> {
    type Target = Garbage<K, V>;

    #[inline(always)]
    fn deref(&self) -> &Garbage<K, V> {
        // SAFETY: allocated in `new`, freed only in `drop`.
        unsafe { self.0.as_ref() }
    }
}

impl<K, V> Drop for SharedGarbage<K, V> {
    fn drop(&mut self) {
        // SAFETY: allocated by `Box` in `new`; dropped once. The owning map drops its
        // collector (running every deferred function that points here) before its fields.
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}

/// Pushes the list `head..=tail` (linked through `next`) on a stack.
fn push_list<K, V>(stack: &AtomicPtr<Sealed<K, V>>, head: *mut Sealed<K, V>, tail: *mut Sealed<K, V>) {
    let mut top = stack.load(Ordering::Relaxed);
    loop {
        // SAFETY: the list is owned by the caller until the CAS publishes it.
        unsafe { (*tail).next = top };
        match stack.compare_exchange_weak(top, head, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => return,
            Err(t) => top = t,
        }
    }
}

/// Moves the key and value out of a node and frees it.
///
/// # Safety
///
/// - `node` came from [`Node::alloc`] or [`Node::reuse`], is unreachable by every other
///   thread, and is taken once.
pub(crate) unsafe fn take_node<K, V>(node: *mut Node<K, V>) -> (K, V) {
    // SAFETY: forwarded contract: we own the allocation, which has a `Box<Node>`'s layout.
    let Node { key, value, .. } = *unsafe { Box::from_raw(node) };
    (key, value)
}

/// Moves the key and value out of a node, leaving its allocation empty: a spare, to
/// reuse with [`Node::reuse`] or free with [`free_spares`].
///
/// # Safety
///
/// - As for [`take_node`].
pub(crate) unsafe fn empty_node<K, V>(node: *mut Node<K, V>) -> (K, V) {
    // SAFETY: forwarded contract; the node is read out once and its memory is treated as
    // uninitialized afterwards.
    let Node { key, value, .. } = unsafe { node.read() };
    (key, value)
}

/// Frees spare (emptied) node allocations.
///
/// # Safety
///
/// - Every pointer in `spares` is a spare: an allocation from [`Node::alloc`] whose node
///   was moved out by [`empty_node`], named by no other batch or thread.
pub(crate) unsafe fn free_spares<K, V>(spares: Batch<K, V>) {
    for node in spares {
        // SAFETY: a `Box<Node>` allocation holding no node (the contract), freed once.
        unsafe { std::alloc::dealloc(node.cast(), core::alloc::Layout::new::<Node<K, V>>()) };
    }
}

impl<K, V> Drop for Garbage<K, V> {
    fn drop(&mut self) {
        let pool = self.spares.get_mut().unwrap_or_else(|e| e.into_inner());
        for batch in core::mem::take(pool) {
            // SAFETY: the pool's batches, which nothing else names once the map drops.
            unsafe { free_spares(batch) };
        }
    }
}
