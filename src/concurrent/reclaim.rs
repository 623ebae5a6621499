//! Retirement, bounded garbage, and finalization.
//!
//! # How a departing value leaves
//!
//! 1. A writer unlinks the node under its bucket lock and, after unlocking, *retires* it:
//!    the node pointer, tagged with its [`RemovalCause`], goes into the retirement batch
//!    of the writer's slot, and the slot counts the retired bytes.
//! 2. A full batch (or any batch at the periodic maintenance step) is *sealed*: boxed and
//!    handed to the map's `crossbeam-epoch` collector with one deferred function.
//! 3. Once no participant pinned before the seal is still pinned, the collector runs that
//!    function, which only pushes the batch on the map's `reclaimed` stack (no user code
//!    runs inside the collector, and nothing there can panic).
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
//! Each write operation counts against its slot; every [`MAINTAIN_EVERY`] operations, and
//! whenever a batch fills, the writer seals its batch and flushes the collector
//! repeatedly while that makes progress (up to [`MAX_FLUSHES`] times). A flush frees up to
//! 8 collector bags of 64 batches of [`BATCH`] nodes: with batching, one flush can free
//! about 32,000 nodes, so a backlog of a million nodes left by a long-pinned reader
//! drains within a couple of operations after the reader unpins.

use core::mem::size_of;
use core::ptr;

use crossbeam_epoch::Guard;

use super::node::{split_cause, with_cause, Node};
use super::pool::{Batch, Pin, SlotCounters};
use super::table::Table;
use crate::loom::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use crate::policy::{Finalizer, PanicSlot, RemovalCause};

/// Nodes per sealed batch.
pub(crate) const BATCH: usize = 64;
/// Write operations per slot between maintenance steps.
pub(crate) const MAINTAIN_EVERY: usize = 64;
/// Collector flushes per maintenance step, at most.
pub(crate) const MAX_FLUSHES: usize = 16;

/// A boxed batch on its way through the collector and the `reclaimed` stack.
pub(crate) struct Sealed<K, V> {
    next: *mut Sealed<K, V>,
    nodes: Batch<K, V>,
}

/// The garbage state of a map. Lives inside the map's boxed core, so its address is
/// stable for the deferred functions that point at it.
pub(crate) struct Garbage<K, V> {
    reclaimed: AtomicPtr<Sealed<K, V>>,
    pub(crate) freed_bytes: AtomicU64,
    /// Sealed batches handed to the collector and not yet on the `reclaimed` stack.
    pub(crate) in_flight: AtomicUsize,
    /// Tables retired and freed so far; generation `g + 1` may only be created once the
    /// tables `0..g` are all freed.
    pub(crate) tables_freed: AtomicU64,
    /// Bytes of retired tables not yet freed.
    pub(crate) table_bytes: AtomicU64,
}

/// Bytes one retirement accounts for: the node and its batch entry.
pub(crate) const fn node_bytes<K, V>() -> u64 {
    (size_of::<Node<K, V>>() + size_of::<*mut Node<K, V>>()) as u64
}

impl<K, V> Garbage<K, V> {
    pub(crate) fn new() -> Self {
        const { assert!(core::mem::align_of::<Node<K, V>>() >= 8, "a node pointer carries a 3-bit cause") };
        Garbage {
            reclaimed: AtomicPtr::new(ptr::null_mut()),
            freed_bytes: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            tables_freed: AtomicU64::new(0),
            table_bytes: AtomicU64::new(0),
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
            if !pin.is_temporary() {
                self.flush(&pin.guard);
            }
        }
    }

    /// Hands the slot's batch, if any, to the collector.
    pub(crate) fn seal(&self, pin: &Pin<'_, K, V>) {
        let nodes = pin.slot().batch.with_mut(|b| {
            // SAFETY: the batch belongs to the slot we hold.
            unsafe { core::mem::take(&mut *b) }
        });
        if nodes.is_empty() {
            return;
        }
        let sealed = Box::into_raw(Box::new(Sealed { next: ptr::null_mut(), nodes }));
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        let garbage = self as *const Self as usize;
        let sealed = sealed as usize;
        // SAFETY: the closure touches only `self` and the sealed batch. `self` lives in
        // the map's boxed core, which is dropped only after the collector (dropping the
        // collector runs every pending deferred function); the batch is owned by the
        // closure. The nodes were unlinked before this pin, so every reader that may
        // still see them is pinned no later than now, and the collector runs the closure
        // only after all of those unpin.
        unsafe {
            pin.guard.defer_unchecked(move || {
                let garbage = &*(garbage as *const Self);
                garbage.push_reclaimed(sealed as *mut Sealed<K, V>);
            })
        };
    }

    fn push_reclaimed(&self, sealed: *mut Sealed<K, V>) {
        let mut head = self.reclaimed.load(Ordering::Relaxed);
        loop {
            // SAFETY: `sealed` is owned by us until the CAS publishes it.
            unsafe { (*sealed).next = head };
            match self.reclaimed.compare_exchange_weak(head, sealed, Ordering::Release, Ordering::Relaxed) {
                Ok(_) => break,
                Err(h) => head = h,
            }
        }
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
    }

    /// Flushes the collector while that makes progress, at most [`MAX_FLUSHES`] times.
    pub(crate) fn flush(&self, guard: &Guard) {
        let mut stalled = 0;
        for _ in 0..MAX_FLUSHES {
            let before = self.in_flight.load(Ordering::Relaxed);
            guard.flush();
            let after = self.in_flight.load(Ordering::Relaxed);
            if after == 0 {
                break;
            }
            if after >= before {
                // The epoch needs two advances before a fresh bag expires.
                stalled += 1;
                if stalled > 2 {
                    break;
                }
            }
        }
    }

    /// The periodic step of a write operation: seal and flush every
    /// [`MAINTAIN_EVERY`] operations through this slot.
    pub(crate) fn maintain(&self, pin: &Pin<'_, K, V>) {
        let due = pin.slot().ops.with_mut(|ops| {
            // SAFETY: the counter belongs to the slot we hold.
            let ops = unsafe { &mut *ops };
            *ops = ops.wrapping_add(1);
            *ops % MAINTAIN_EVERY == 0
        });
        if due {
            self.seal(pin);
            if self.in_flight.load(Ordering::Relaxed) > 0 || self.table_bytes.load(Ordering::Relaxed) > 0 {
                self.flush(&pin.guard);
            }
        }
    }

    /// Retires a table whose buckets are all migrated.
    ///
    /// # Safety
    ///
    /// - `table` is no longer the map's root, every bucket is `MOVED`, and it is retired
    ///   once.
    pub(crate) unsafe fn retire_table(&self, guard: &Guard, table: *mut Table<K, V>) {
        // SAFETY: live until the deferred function below frees it.
        let bytes = Table::<K, V>::bytes_for(unsafe { (*table).len() }) as u64;
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

    /// Frees every reclaimed node, passing its key and value to `finalizer` (or dropping
    /// them when there is none). Call unpinned and without bucket locks. A panicking
    /// finalizer or `Drop` does not stop the others; the first panic is re-raised.
    pub(crate) fn drain(&self, finalizer: Option<&std::sync::Mutex<Box<dyn Finalizer<K, V> + Send>>>) {
        if !self.has_reclaimed() {
            return;
        }
        let mut fin = match finalizer {
            Some(m) => match m.try_lock() {
                Ok(f) => Some(f),
                Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) => return,
            },
            None => None,
        };
        let mut list = self.reclaimed.swap(ptr::null_mut(), Ordering::Acquire);
        let mut panics = PanicSlot::default();
        let mut freed = 0u64;
        while !list.is_null() {
            // SAFETY: batches on the stack were pushed once by the collector and are
            // owned by whoever swapped the stack out: us.
            let sealed = unsafe { Box::from_raw(list) };
            list = sealed.next;
            for &p in &sealed.nodes {
                let (node, cause) = split_cause(p);
                // SAFETY: the collector ran this batch's deferred function, so no reader
                // can reach the node any more (reclaim protocol, step 3).
                let (key, value) = unsafe { take_node(node) };
                freed += node_bytes::<K, V>();
                match fin.as_deref_mut() {
                    Some(f) => panics.run(|| f.finalize(key, value, cause)),
                    None => panics.run(|| drop((key, value))),
                }
            }
        }
        self.freed_bytes.fetch_add(freed, Ordering::Relaxed);
        drop(fin);
        panics.resume();
    }

    /// For teardown: every node still waiting anywhere in the garbage pipeline, with
    /// its cause. Call only after the collector was dropped.
    pub(crate) fn take_all_reclaimed(&mut self, out: &mut Vec<(*mut Node<K, V>, RemovalCause)>) {
        let mut list = self.reclaimed.swap(ptr::null_mut(), Ordering::Acquire);
        while !list.is_null() {
            // SAFETY: as in `drain`; `&mut self` excludes every other drainer.
            let sealed = unsafe { Box::from_raw(list) };
            list = sealed.next;
            for &p in &sealed.nodes {
                out.push(split_cause(p));
            }
        }
    }
}

/// Moves the key and value out of a node and frees it.
///
/// # Safety
///
/// - `node` came from [`Node::alloc`], is unreachable by every other thread, and is
///   taken once.
pub(crate) unsafe fn take_node<K, V>(node: *mut Node<K, V>) -> (K, V) {
    // SAFETY: forwarded contract: we own the allocation.
    let Node { key, value, .. } = *unsafe { Box::from_raw(node) };
    (key, value)
}
