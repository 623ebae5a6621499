//! Per-map epoch participants: a fixed pool of `crossbeam-epoch` handles registered with
//! the map's own `Collector`, and the per-thread state that travels with them.
//!
//! # Why a pool
//!
//! `crossbeam-epoch` keeps a participant (`LocalHandle`) per thread for its global
//! collector in a thread-local. A map with its own collector cannot do that: a handle
//! left in some thread's thread-local would keep the collector, and every bag of garbage
//! not yet collected, alive after the map is dropped. So the map owns its handles: a
//! small array of [`Slot`]s, each an exclusive lock around one handle plus the counters
//! and the retirement batch of whoever holds it. A thread takes the slot its thread
//! index points at (or the next free one), pins that slot's handle, and releases the slot
//! when unpinned; when every slot is taken (more threads than slots, or a thread pinning
//! twice) it registers a temporary handle instead.
//!
//! # Invariants
//!
//! - A slot's `handle`, `batch` and `ops` are only touched, and its `counters` only
//!   written, by the thread holding `busy`
//!   (acquired with `Acquire`, released with `Release`), so a handle is used by one
//!   thread at a time and every use happens-after the previous holder's.
//! - `LocalHandle` is `!Send` only because its participant state is unsynchronized; the
//!   slot lock supplies exactly that synchronization. The deferred functions in its bag
//!   are this crate's own, which may run on any thread.

use core::mem::ManuallyDrop;

use crossbeam_epoch::{Collector, Guard, LocalHandle};

use super::node::Node;
use crate::loom::{AtomicBool, AtomicU64, AtomicUsize, Ordering, UnsafeCell};
use crate::policy::RemovalCause;

/// Counters kept per slot (summed by `stats()` and `len()`), so that writers on
/// different threads never contend on one cache line.
pub(crate) struct SlotCounters {
    /// Entries added minus entries removed through this slot (wrapping).
    pub(crate) len: AtomicUsize,
    pub(crate) hits: AtomicU64,
    pub(crate) misses: AtomicU64,
    pub(crate) insertions: AtomicU64,
    pub(crate) removed: [AtomicU64; 7],
    pub(crate) shrinks: AtomicU64,
    /// Bytes this slot retired (nodes plus their batch entry).
    pub(crate) retired_bytes: AtomicU64,
}

impl SlotCounters {
    pub(crate) fn new() -> Self {
        let z = || AtomicU64::new(0);
        SlotCounters {
            len: AtomicUsize::new(0),
            hits: z(),
            misses: z(),
            insertions: z(),
            removed: [z(), z(), z(), z(), z(), z(), z()],
            shrinks: z(),
            retired_bytes: z(),
        }
    }

    /// Adds `n` to a counter of the slot the caller holds.
    ///
    /// Only the slot's holder writes its counters (module invariants), so a plain load
    /// and store suffice: no locked read-modify-write on the write path. Readers
    /// (`len()`, `stats()`) only load.
    #[inline(always)]
    pub(crate) fn bump(c: &AtomicU64, n: u64) {
        c.store(c.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
    }

    #[inline(always)]
    pub(crate) fn add_len(&self, n: usize) {
        self.len.store(self.len.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
    }

    #[inline(always)]
    pub(crate) fn sub_len(&self, n: usize) {
        self.len.store(self.len.load(Ordering::Relaxed).wrapping_sub(n), Ordering::Relaxed);
    }

    #[inline(always)]
    pub(crate) fn removed(&self, cause: RemovalCause, n: u64) {
        Self::bump(&self.removed[cause as usize], n);
    }
}

/// Retired nodes not yet handed to the collector, each tagged with its removal cause.
pub(crate) type Batch<K, V> = Vec<*mut Node<K, V>>;

/// One epoch participant and the state of whoever holds it.
#[repr(align(128))]
pub(crate) struct Slot<K, V> {
    busy: AtomicBool,
    handle: UnsafeCell<Option<LocalHandle>>,
    pub(crate) batch: UnsafeCell<Batch<K, V>>,
    /// Write operations through this slot (for rate-limited maintenance).
    pub(crate) ops: UnsafeCell<usize>,
    /// Inserts and removals through this slot (for rate-limited load checks), counted
    /// separately so that alternating workloads do not alias with the check period.
    pub(crate) checks: UnsafeCell<[usize; 2]>,
    /// The CLOCK positions this slot claimed from the shared hand and has not inspected
    /// yet: `[next, end)` (bounded maps only).
    pub(crate) clock: UnsafeCell<[usize; 2]>,
    pub(crate) counters: SlotCounters,
}

impl<K, V> Slot<K, V> {
    fn new() -> Self {
        Slot {
            busy: AtomicBool::new(false),
            handle: UnsafeCell::new(None),
            batch: UnsafeCell::new(Vec::new()),
            ops: UnsafeCell::new(0),
            checks: UnsafeCell::new([0; 2]),
            clock: UnsafeCell::new([0; 2]),
            counters: SlotCounters::new(),
        }
    }

    fn try_acquire(&self) -> bool {
        !self.busy.load(Ordering::Relaxed)
            && self.busy.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok()
    }

    /// Takes the batch and the handle out for teardown.
    pub(crate) fn take(&mut self) -> (Option<LocalHandle>, Batch<K, V>) {
        let handle = self.handle.with_mut(|h| {
            // SAFETY: `&mut self`: nobody else can hold the slot.
            unsafe { (*h).take() }
        });
        let batch = self.batch.with_mut(|b| {
            // SAFETY: as above.
            unsafe { core::mem::take(&mut *b) }
        });
        (handle, batch)
    }
}

/// The map's slots plus the counters of temporary participants.
pub(crate) struct Pool<K, V> {
    slots: Box<[Slot<K, V>]>,
    /// Counters of operations made through temporary handles (all slots busy).
    pub(crate) spill: SlotCounters,
}

impl<K, V> Pool<K, V> {
    pub(crate) fn new() -> Self {
        #[cfg(leakless_loom)]
        let n = 2;
        #[cfg(not(leakless_loom))]
        let n = std::thread::available_parallelism().map_or(4, |n| n.get()).clamp(1, 32).next_power_of_two() * 2;
        Pool { slots: (0..n).map(|_| Slot::new()).collect(), spill: SlotCounters::new() }
    }

    pub(crate) fn slots_mut(&mut self) -> &mut [Slot<K, V>] {
        &mut self.slots
    }

    /// Sum of one counter over every slot and the spill counters.
    pub(crate) fn sum(&self, f: impl Fn(&SlotCounters) -> u64) -> u64 {
        self.slots.iter().map(|s| f(&s.counters)).fold(f(&self.spill), u64::wrapping_add)
    }

    /// Pins the calling thread on `collector` through a free slot (or a temporary
    /// handle if every slot is busy).
    #[inline]
    pub(crate) fn pin<'p>(&'p self, collector: &Collector) -> Pin<'p, K, V> {
        let n = self.slots.len();
        let start = crate::loom::thread_index();
        for i in 0..n {
            let slot = &self.slots[(start + i) & (n - 1)];
            if slot.try_acquire() {
                let guard = slot.handle.with_mut(|h| {
                    // SAFETY: we hold `busy`, so we are the slot's only user (module
                    // invariants); the handle, if any, was registered with `collector`.
                    let h = unsafe { &mut *h };
                    h.get_or_insert_with(|| collector.register()).pin()
                });
                return Pin { guard: ManuallyDrop::new(guard), owner: Owner::Slot(slot) };
            }
        }
        self.pin_temporary(collector)
    }

    /// The slow path of [`Pool::pin`]: every slot is busy.
    #[cold]
    #[inline(never)]
    fn pin_temporary<'p>(&'p self, collector: &Collector) -> Pin<'p, K, V> {
        let temp = Box::new(Temp { handle: collector.register(), slot: Slot::new() });
        let guard = temp.handle.pin();
        Pin { guard: ManuallyDrop::new(guard), owner: Owner::Temp(temp, &self.spill) }
    }
}

struct Temp<K, V> {
    handle: LocalHandle,
    slot: Slot<K, V>,
}

enum Owner<'p, K, V> {
    Slot(&'p Slot<K, V>),
    Temp(Box<Temp<K, V>>, &'p SlotCounters),
}

/// A pinned participant: an epoch guard plus the slot whose state it may use.
pub(crate) struct Pin<'p, K, V> {
    pub(crate) guard: ManuallyDrop<Guard>,
    owner: Owner<'p, K, V>,
}

impl<K, V> Pin<'_, K, V> {
    #[inline(always)]
    pub(crate) fn slot(&self) -> &Slot<K, V> {
        match &self.owner {
            Owner::Slot(s) => s,
            Owner::Temp(t, _) => &t.slot,
        }
    }

    /// `true` for a temporary participant (whose batch must be sealed before unpinning).
    pub(crate) fn is_temporary(&self) -> bool {
        matches!(self.owner, Owner::Temp(..))
    }
}

impl<K, V> Drop for Pin<'_, K, V> {
    fn drop(&mut self) {
        // SAFETY: the guard is dropped exactly once, here, before the handle it was
        // pinned on can be reused (slot) or dropped (temporary).
        unsafe { ManuallyDrop::drop(&mut self.guard) };
        match &self.owner {
            Owner::Slot(s) => s.busy.store(false, Ordering::Release),
            Owner::Temp(t, spill) => {
                let c = &t.slot.counters;
                spill.len.fetch_add(c.len.load(Ordering::Relaxed), Ordering::Relaxed);
                for (a, b) in [
                    (&spill.hits, &c.hits),
                    (&spill.misses, &c.misses),
                    (&spill.insertions, &c.insertions),
                    (&spill.shrinks, &c.shrinks),
                    (&spill.retired_bytes, &c.retired_bytes),
                ] {
                    a.fetch_add(b.load(Ordering::Relaxed), Ordering::Relaxed);
                }
                for (a, b) in spill.removed.iter().zip(&c.removed) {
                    a.fetch_add(b.load(Ordering::Relaxed), Ordering::Relaxed);
                }
            }
        }
    }
}
