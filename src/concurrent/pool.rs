//! Per-map epoch participants: a fixed pool of `crossbeam-epoch` handles registered with
//! the map's own `Collector`, and the per-thread state that travels with them.
//!
//! # Why a pool
//!
//! `crossbeam-epoch` keeps a participant (`LocalHandle`) per thread for its global
//! collector in a thread-local. A map with its own collector cannot do that: a handle
//! left in some thread's thread-local would keep the collector, and every bag of garbage
//! not yet collected, alive after the map is dropped. So the map owns its handles: a
//! small array of [`Slot`]s, each one handle plus the counters and the retirement batch
//! of whoever uses it.
//!
//! # Leased and shared slots
//!
//! - The first half of the slots are *leased*: a thread claims one (a compare-and-swap on
//!   its word in `leases`) the first time it pins the map, and keeps it until it exits.
//!   The thread remembers the lease in a thread-local list and the lease of its most
//!   recently used map in a one-entry cache, so its later pins cost a thread-local load
//!   and a comparison, plus crossbeam's pin: no atomic read-modify-write of our own.
//!   Nested pins of one thread share its leased slot (crossbeam counts nested guards).
//!   The thread-local list holds only the lease words (an `Arc` shared with the map), never
//!   the map: a dropped map's leases are pruned when the thread next leases a slot.
//! - The second half are *shared*: a thread without a lease (every leased slot taken, or
//!   its thread-locals already destroyed) takes a free one for the duration of one pin,
//!   with the slot's `busy` flag as its lock. When every shared slot is busy too, it
//!   registers a temporary handle.
//!
//! # Invariants
//!
//! - A slot's `handle`, `batch`, `ops`, `checks` and `clock` are only touched, and its
//!   `counters` only written, by the thread that holds it: for a leased slot the thread
//!   whose lease word is set (claimed with `Acquire`, released with `Release` when the
//!   thread exits), for a shared slot the thread holding `busy` (the same orderings, per
//!   pin). Every use happens-after the previous holder's. Accesses are short and never
//!   span user code, so the nested pins of one thread never overlap in them.
//! - A lease whose thread still has pins on it when its thread-locals are destroyed (a
//!   guard kept in another thread-local) is never released: the slot stays unusable
//!   rather than shared. Only the pins that can outlive the operation that made them
//!   (`Pinned` handles) are counted in the lease word for this: every other pin begins
//!   and ends within one call of the map, and a thread's thread-local destructors never
//!   run in the middle of such a call (they run one after another once the thread's
//!   function has returned; a call made from one of them is over before the next one
//!   starts).
//! - `LocalHandle` is `!Send` only because its participant state is unsynchronized; the
//!   lease or `busy` flag supplies exactly that synchronization. The deferred functions in
//!   its bag are this crate's own, which may run on any thread.

use core::mem::ManuallyDrop;

use crossbeam_epoch::{Collector, Guard, LocalHandle};

use super::node::Node;
use crate::loom::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering, UnsafeCell};
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
    /// Spare node allocations the slot holds (see [`Slot::spare`]).
    pub(crate) spares: AtomicUsize,
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
            spares: AtomicUsize::new(0),
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

/// Retired nodes not yet handed to the collector, each tagged with its removal cause; or
/// (untagged) spare node allocations.
pub(crate) type Batch<K, V> = Vec<*mut Node<K, V>>;

/// One epoch participant and the state of whoever holds it.
#[repr(align(128))]
pub(crate) struct Slot<K, V> {
    busy: AtomicBool,
    handle: UnsafeCell<Option<LocalHandle>>,
    pub(crate) batch: UnsafeCell<Batch<K, V>>,
    /// Spare node allocations taken from the map's pool for this slot's inserts (see
    /// `reclaim`'s module docs); never held by a temporary participant.
    pub(crate) spare: UnsafeCell<Batch<K, V>>,
    /// Write operations through this slot (for rate-limited maintenance).
    pub(crate) ops: UnsafeCell<usize>,
    /// The map's entry count as this slot last summed it, at its last full maintenance
    /// step: the backlog test between full steps compares against it instead of summing
    /// every slot's counter (lines the other writers keep dirty) every few operations.
    pub(crate) live_hint: UnsafeCell<usize>,
    /// Inserts and removals through this slot (for rate-limited load checks), counted
    /// separately so that alternating workloads do not alias with the check period.
    pub(crate) checks: UnsafeCell<[usize; 2]>,
    /// Reads through this slot (for rate-limited maintenance by readers).
    pub(crate) reads: UnsafeCell<usize>,
    /// The CLOCK positions this slot claimed from the shared hand and has not inspected
    /// yet (bounded maps only; see `Clock`).
    pub(crate) clock: UnsafeCell<super::evict::Clock>,
    /// The entries this slot's hand passed recently and the hot ones among them, halved
    /// as they grow: the hand's estimate of the map's hot share (bounded maps only).
    pub(crate) temperature: UnsafeCell<[usize; 2]>,
    pub(crate) counters: SlotCounters,
}

impl<K, V> Slot<K, V> {
    fn new() -> Self {
        Slot {
            busy: AtomicBool::new(false),
            handle: UnsafeCell::new(None),
            batch: UnsafeCell::new(Vec::new()),
            spare: UnsafeCell::new(Vec::new()),
            ops: UnsafeCell::new(0),
            live_hint: UnsafeCell::new(0),
            checks: UnsafeCell::new([0; 2]),
            reads: UnsafeCell::new(0),
            clock: UnsafeCell::new(super::evict::Clock::new()),
            temperature: UnsafeCell::new([0; 2]),
            counters: SlotCounters::new(),
        }
    }

    fn try_acquire(&self) -> bool {
        !self.busy.load(Ordering::Relaxed)
            && self.busy.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok()
    }

    /// Pins this slot's handle, registering it with `collector` on first use (counted in
    /// `registered`).
    #[inline(always)]
    fn pin(&self, collector: &Collector, registered: &AtomicUsize) -> Guard {
        // Orders every earlier access made under this handle before the epoch store of
        // the pin below: ours, and (through the lease or `busy` we acquired) the previous
        // holder's. crossbeam-epoch unpins with a `Release` store but pins with a
        // `Relaxed` store and a `SeqCst` fence (except on x86 outside Miri, where the pin
        // is a `SeqCst` compare-and-swap). A thread that advances the epoch reads the
        // handle's epoch and then fences `Acquire`; if it reads the *pin* that followed an
        // unpin, it synchronizes with nothing before it (a later `Relaxed` store does not
        // continue the unpin's release sequence), so garbage it lets expire might still
        // be accessed under the earlier pin, as far as the memory model is concerned.
        // With this fence that read synchronizes with it. On x86 it costs nothing.
        fence(Ordering::Release);
        self.handle.with_mut(|h| {
            // SAFETY: the caller holds the slot (a lease or `busy`), so this thread is its
            // only user and no other access to the handle overlaps this one (module
            // invariants); the handle, if any, was registered with `collector`.
            let h = unsafe { &mut *h };
            h.get_or_insert_with(|| {
                registered.fetch_add(1, Ordering::Relaxed);
                collector.register()
            })
            .pin()
        })
    }

    /// Takes the handle, the retirement batch and the spare allocations out for teardown.
    pub(crate) fn take(&mut self) -> (Option<LocalHandle>, Batch<K, V>, Batch<K, V>) {
        let handle = self.handle.with_mut(|h| {
            // SAFETY: `&mut self`: nobody else can hold the slot.
            unsafe { (*h).take() }
        });
        let batch = self.batch.with_mut(|b| {
            // SAFETY: as above.
            unsafe { core::mem::take(&mut *b) }
        });
        let spare = self.spare.with_mut(|b| {
            // SAFETY: as above.
            unsafe { core::mem::take(&mut *b) }
        });
        (handle, batch, spare)
    }
}

/// Heap bytes of one crossbeam-epoch participant (`Collector::register`), measured with a
/// counting allocator for crossbeam-epoch 0.9 on 64-bit targets (`tests/leaks.rs` checks
/// `allocation_size` against the allocator).
pub(crate) const PARTICIPANT_BYTES: usize = 2304;

/// Heap bytes of a crossbeam-epoch collector (`Collector::new`), measured as
/// [`PARTICIPANT_BYTES`] is.
pub(crate) const COLLECTOR_BYTES: usize = 2712;

/// The map's slots plus the counters of temporary participants.
pub(crate) struct Pool<K, V> {
    /// `leases.words.len()` leased slots, then the shared ones.
    slots: Box<[Slot<K, V>]>,
    leases: std::sync::Arc<Leases>,
    /// Counters of operations made through temporary handles (all slots busy).
    pub(crate) spill: SlotCounters,
    /// The next slot [`Pool::with_idle_slot`] looks at.
    idle_cursor: AtomicUsize,
    /// Slots whose handle is registered with the collector (for `fixed_bytes`).
    registered: AtomicUsize,
    /// Idle slots [`Pool::with_idle_slot`] held, for the loom models to see it run (a
    /// plain `std` atomic: counting adds no interleavings of its own).
    #[cfg(leakless_loom)]
    idle_holds: core::sync::atomic::AtomicUsize,
}

/// The lease words of a map's leased slots, shared with the threads holding leases (so
/// that a thread exiting after the map was dropped releases nothing that was freed).
struct Leases {
    /// This map's identity in the threads' lease caches (never reused).
    id: u64,
    /// Per leased slot: 0 free; otherwise 1 plus twice the number of `Pinned` handles its
    /// holder has on it (written only by the holder once claimed; see the module
    /// invariants for why other pins are not counted).
    words: Box<[LeaseWord]>,
    /// Cleared when the map is dropped: the threads' caches then let go of their leases
    /// of it at their next claim (a plain `std` atomic: nothing else depends on it).
    live: core::sync::atomic::AtomicBool,
    /// Bit `i` set: the thread holding lease `i` exited and released it, maybe leaving a
    /// retirement batch in its slot. [`Pool::with_idle_slot`] looks at such a slot first,
    /// so the batch waits for one maintenance step of some writer rather than for the
    /// round-robin cursor to come round to it (one step per slot of the pool: 128 slots
    /// with 64 cores). A hint only (a plain `std` atomic): the slot is claimed through its
    /// lease word as any idle slot is.
    orphans: core::sync::atomic::AtomicU64,
    /// Leases claimed so far, for the loom models to see a lease change hands (a plain
    /// `std` atomic: counting adds no interleavings of its own).
    #[cfg(leakless_loom)]
    claims: core::sync::atomic::AtomicUsize,
}

/// A lease word on a cache line of its own: its holder writes it on every pin and
/// unpin, which must not invalidate the line the other holders' words are on.
#[repr(align(128))]
struct LeaseWord(AtomicUsize);

impl core::ops::Deref for LeaseWord {
    type Target = AtomicUsize;

    #[inline(always)]
    fn deref(&self) -> &AtomicUsize {
        &self.0
    }
}

impl<K, V> Drop for Pool<K, V> {
    fn drop(&mut self) {
        self.leases.live.store(false, core::sync::atomic::Ordering::Relaxed);
    }
}

/// Map identities for the lease caches; 0 means none.
static NEXT_ID: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(1);

impl<K, V> Pool<K, V> {
    pub(crate) fn new() -> Self {
        // Under loom: one leased slot, so that two threads contend for it and a lease
        // is handed from an exiting thread to another, and one shared slot.
        #[cfg(leakless_loom)]
        let (leased, shared) = (1, 1);
        #[cfg(not(leakless_loom))]
        let (leased, shared) = {
            let n = std::thread::available_parallelism().map_or(4, |n| n.get()).clamp(1, 32).next_power_of_two();
            (2 * n.max(2), 2 * n)
        };
        let id = NEXT_ID.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        Pool {
            slots: (0..leased + shared).map(|_| Slot::new()).collect(),
            leases: std::sync::Arc::new(Leases {
                id,
                words: (0..leased).map(|_| LeaseWord(AtomicUsize::new(0))).collect(),
                live: core::sync::atomic::AtomicBool::new(true),
                orphans: core::sync::atomic::AtomicU64::new(0),
                #[cfg(leakless_loom)]
                claims: core::sync::atomic::AtomicUsize::new(0),
            }),
            spill: SlotCounters::new(),
            idle_cursor: AtomicUsize::new(0),
            registered: AtomicUsize::new(0),
            #[cfg(leakless_loom)]
            idle_holds: core::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Runs `f` on the next idle slot if nobody holds it (a lease released by its
    /// thread's exit, or a shared slot not in use), holding it meanwhile as its owner
    /// would; returns whether it did. The caller holds a slot of its own, so the one
    /// it might look at is skipped for being held.
    ///
    /// So state a slot's last holder left behind (its retirement batch) does not wait
    /// for that slot to be used again. A lease released by its thread's exit is looked at
    /// first (see `Leases::orphans`), the other slots in turn.
    pub(crate) fn with_idle_slot(&self, f: impl FnOnce(&Slot<K, V>)) -> bool {
        let orphans = self.leases.orphans.load(core::sync::atomic::Ordering::Relaxed);
        let index = if orphans != 0 {
            let i = orphans.trailing_zeros();
            self.leases.orphans.fetch_and(!(1u64 << i), core::sync::atomic::Ordering::Relaxed);
            i as usize
        } else {
            self.idle_cursor.fetch_add(1, Ordering::Relaxed) % self.slots.len()
        };
        let slot = &self.slots[index];
        let word = self.leases.words.get(index);
        // A leased slot is claimed as a thread claims its lease (Acquire: everything its
        // last holder did to the slot happened before it released the word) and released
        // as a thread does on exit; a shared slot as any pin holds it.
        let claimed = match word {
            Some(word) => word.compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed).is_ok(),
            None => slot.try_acquire(),
        };
        if !claimed {
            return false;
        }
        #[cfg(leakless_loom)]
        self.idle_holds.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        f(slot);
        match word {
            Some(word) => word.store(0, Ordering::Release),
            None => slot.busy.store(false, Ordering::Release),
        }
        true
    }

    /// Heap bytes of the pool itself: its slots, its lease words, and the epoch
    /// participants registered for its slots (see [`PARTICIPANT_BYTES`]).
    pub(crate) fn fixed_bytes(&self) -> usize {
        core::mem::size_of_val(&*self.slots)
            + core::mem::size_of::<Leases>()
            + 2 * core::mem::size_of::<usize>()
            + core::mem::size_of_val(&*self.leases.words)
            + self.registered.load(Ordering::Relaxed) * PARTICIPANT_BYTES
    }

    /// Leases claimed so far (see `Leases::claims`).
    #[cfg(leakless_loom)]
    pub(crate) fn lease_claims(&self) -> usize {
        self.leases.claims.load(core::sync::atomic::Ordering::Relaxed)
    }

    /// Idle slots held by [`Pool::with_idle_slot`] so far.
    #[cfg(leakless_loom)]
    pub(crate) fn idle_holds(&self) -> usize {
        self.idle_holds.load(core::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn slots_mut(&mut self) -> &mut [Slot<K, V>] {
        &mut self.slots
    }

    /// Sum of one counter over every slot and the spill counters.
    pub(crate) fn sum(&self, f: impl Fn(&SlotCounters) -> u64) -> u64 {
        self.slots.iter().map(|s| f(&s.counters)).fold(f(&self.spill), u64::wrapping_add)
    }

    /// Pins the calling thread on `collector` through its leased slot, a free shared
    /// slot, or a temporary handle, in that order of preference.
    #[inline(always)]
    pub(crate) fn pin<'p>(&'p self, collector: &Collector) -> Pin<'p, K, V> {
        if let Some(index) = lease::held(&self.leases) {
            debug_assert!(index < self.leases.words.len() && self.leases.words.len() <= self.slots.len());
            // SAFETY: `held` returns only indices of this map's lease words (a cached
            // lease is matched by the map's never-reused id), and the pool has a slot for
            // every lease word (`Pool::new` makes `leased + shared` slots for `leased`
            // words; neither array changes length afterwards).
            let (slot, word) = unsafe { (self.slots.get_unchecked(index), self.leases.words.get_unchecked(index)) };
            // Not counted in the lease word: this pin ends within the operation that made
            // it (see `Pin::count_in_lease`).
            return Pin {
                guard: ManuallyDrop::new(slot.pin(collector, &self.registered)),
                owner: Owner::Leased(slot, word),
            };
        }
        self.pin_shared(collector)
    }

    /// Pins through a free shared slot, or a temporary handle if every one is busy.
    #[inline(never)]
    fn pin_shared<'p>(&'p self, collector: &Collector) -> Pin<'p, K, V> {
        let shared = &self.slots[self.leases.words.len()..];
        let n = shared.len();
        let start = crate::loom::thread_index();
        for i in 0..n {
            let slot = &shared[(start + i) % n];
            if slot.try_acquire() {
                return Pin {
                    guard: ManuallyDrop::new(slot.pin(collector, &self.registered)),
                    owner: Owner::Slot(slot),
                };
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
        Pin { guard: ManuallyDrop::new(guard), owner: Owner::Temp(ManuallyDrop::new(temp), &self.spill) }
    }
}

/// The threads' leases (see the module docs). Under loom the thread-locals are loom's,
/// whose destructors run when a modelled thread ends, so the models explore a lease
/// released by an exiting thread and claimed by another.
mod lease {
    use std::cell::{Cell, RefCell};
    use std::sync::Arc;

    use super::Leases;
    use crate::loom::Ordering;

    /// One leased slot of one map, released when the thread's thread-locals are destroyed.
    struct Lease {
        leases: Arc<Leases>,
        index: usize,
    }

    impl Drop for Lease {
        fn drop(&mut self) {
            // The cache must not outlive the lease it names.
            let _ = LAST.try_with(|c| c.set((0, 0)));
            let word = &self.leases.words[self.index];
            // A word above 1 means `Pinned` handles of this thread remain on the slot (one
            // kept in a thread-local destroyed later): keep the slot rather than share it.
            if word.load(Ordering::Relaxed) == 1 {
                word.store(0, Ordering::Release);
                if let Some(bit) = 1u64.checked_shl(self.index as u32) {
                    self.leases.orphans.fetch_or(bit, core::sync::atomic::Ordering::Relaxed);
                }
            }
        }
    }

    crate::loom::thread_locals! {
        /// The map id and slot index of the lease used last.
        static LAST: Cell<(u64, usize)> = Cell::new((0, 0));
        static LEASES: RefCell<Vec<Lease>> = RefCell::new(Vec::new());
    }

    /// The index of the calling thread's leased slot of `leases`' map, claiming one if it
    /// has none and one is free.
    #[inline(always)]
    pub(super) fn held(leases: &Arc<Leases>) -> Option<usize> {
        match LAST.try_with(Cell::get) {
            Ok((id, index)) if id == leases.id => Some(index),
            _ => find_or_claim(leases),
        }
    }

    #[cold]
    #[inline(never)]
    fn find_or_claim(leases: &Arc<Leases>) -> Option<usize> {
        let index = LEASES
            .try_with(|list| {
                let mut list = list.try_borrow_mut().ok()?;
                if let Some(l) = list.iter().find(|l| l.leases.id == leases.id) {
                    return Some(l.index);
                }
                // Leases of dropped maps: other threads' caches may still hold the same
                // `Leases`, so its reference count says nothing; the map says so itself.
                list.retain(|l| l.leases.live.load(core::sync::atomic::Ordering::Relaxed));
                let n = leases.words.len();
                let start = crate::loom::thread_index();
                (0..n).map(|i| (start + i) % n).find(|&i| {
                    let claimed = leases.words[i].compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed).is_ok();
                    if claimed {
                        #[cfg(leakless_loom)]
                        leases.claims.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
                        list.push(Lease { leases: Arc::clone(leases), index: i });
                    }
                    claimed
                })
            })
            .ok()
            .flatten()?;
        LAST.try_with(|c| c.set((leases.id, index))).ok()?;
        Some(index)
    }
}

struct Temp<K, V> {
    handle: LocalHandle,
    slot: Slot<K, V>,
}

enum Owner<'p, K, V> {
    /// The thread's leased slot, with its lease word.
    Leased(&'p Slot<K, V>, &'p AtomicUsize),
    /// A shared slot held for this pin (its `busy` flag).
    Slot(&'p Slot<K, V>),
    /// Dropped by `Pin`'s `Drop`, so that `Owner` has no drop glue: the common paths
    /// (leased and shared slots) then end a pin without a call.
    Temp(ManuallyDrop<Box<Temp<K, V>>>, &'p SlotCounters),
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
            Owner::Leased(s, _) | Owner::Slot(s) => s,
            Owner::Temp(t, _) => &t.slot,
        }
    }

    /// Counts this pin in its lease word (`held`), or takes that count back, if it holds
    /// a leased slot.
    ///
    /// A pin that may outlive the operation that made it (a [`Pinned`](super::Pinned)
    /// handle, which a thread may keep in a thread-local destroyed after its lease) is
    /// counted while it lives, so that the thread's exit does not release the lease under
    /// it (see `lease::Lease`'s `Drop`). Every other pin ends within the call that made
    /// it, and a thread's exit never releases its lease in the middle of a call (see the
    /// module invariants): those skip the count, a load and a store on every pin and
    /// unpin (2–4% of the time of `benches/concurrent.rs`'s workloads on one thread).
    pub(crate) fn count_in_lease(&self, held: bool) {
        if let Owner::Leased(_, word) = self.owner {
            // Only the lease's holder writes its word: a plain load and store.
            let w = word.load(Ordering::Relaxed);
            word.store(if held { w + 2 } else { w - 2 }, Ordering::Relaxed);
        }
    }

    /// `true` for a temporary participant (whose batch must be sealed before unpinning).
    pub(crate) fn is_temporary(&self) -> bool {
        matches!(self.owner, Owner::Temp(..))
    }
}

impl<K, V> Drop for Pin<'_, K, V> {
    /// Inlined into every operation: ending a leased pin is crossbeam's unpin alone.
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: the guard is dropped exactly once, here, before the handle it was
        // pinned on can be reused (slot) or dropped (temporary).
        unsafe { ManuallyDrop::drop(&mut self.guard) };
        match &mut self.owner {
            Owner::Leased(..) => {}
            Owner::Slot(s) => s.busy.store(false, Ordering::Release),
            Owner::Temp(t, spill) => {
                // SAFETY: the guard pinned on `t` was dropped above, and the pin is being
                // dropped: nothing uses the temporary participant afterwards.
                unsafe { end_temporary(t, spill) }
            }
        }
    }
}

/// Spills a temporary participant's counters into the pool's and drops it.
///
/// # Safety
///
/// - No guard pinned on `temp` is alive, and `temp` is dropped exactly once (here) and
///   not used afterwards.
#[cold]
#[inline(never)]
unsafe fn end_temporary<K, V>(temp: &mut ManuallyDrop<Box<Temp<K, V>>>, spill: &SlotCounters) {
    let c = &temp.slot.counters;
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
    // Dropping the handle finalizes its participant, which pins it once more (with a
    // `Relaxed` store, see `Slot::pin`): order the accesses made under the temporary pin
    // before that store.
    fence(Ordering::Release);
    // SAFETY: dropped exactly once, here, after its guard (the contract).
    unsafe { ManuallyDrop::drop(temp) };
}
