//! Bounded mode: the bound's counters and CLOCK eviction over the buckets.
//!
//! Every entry carries a reference bit, set by reads and on insertion. The CLOCK hand
//! walks the root's buckets; each slot claims [`CLOCK_STRIDE`] positions at a time, so
//! the shared hand is written once per stride. An entry whose bit is clear when the hand
//! passes is evicted; a set bit is cleared (its second chance). A bucket whose entries
//! all have their bits set is passed without taking its lock.

use core::ptr;

use super::core::Inner;
use super::node::{Node, MAX_NODE_WEIGHT};
use super::pool::Pin;
use crate::loom::{AtomicU64, AtomicUsize, Ordering};
use crate::policy::{Capacity, RemovalCause, Weigher};

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
    /// Weights are recorded in units of `2^shift` (rounded up), so that a unit count fits
    /// the 31 bits a node records: `shift` is 0 for a weight bound below 2^31 (weights
    /// recorded exactly) and the bound's excess bits above (an 8 GiB bound records
    /// weights in units of 8 bytes).
    pub(crate) shift: u32,
    /// The weight bound in units, rounded down (`u64::MAX` without one): the recorded
    /// total, rounded up, stays at or below it, so the real total stays within the
    /// bound.
    pub(crate) max_units: u64,
    /// The CLOCK hand: the next bucket index (of the root) not yet claimed. Writers
    /// claim [`CLOCK_STRIDE`] positions at a time into their slot and inspect them one
    /// by one over their next evictions, so the hand is written once per stride.
    pub(crate) hand: AtomicUsize,
}

impl<K, V> Bound<K, V> {
    /// The number of entries.
    ///
    /// The counters are adjusted just after the bucket lock is released, so a removal
    /// racing the insert of the same key can subtract before the insert adds: a counter
    /// may dip below zero for a moment. Both are read as signed, and a negative count as
    /// zero, so the dip never reads as a huge count (which would evict everything).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        (self.len.load(Ordering::Relaxed) as isize).max(0) as usize
    }

    /// The bound for `capacity`, with `weigher` (without one every entry weighs 1, so
    /// weights need no units: `shift` 0).
    pub(crate) fn new(capacity: Capacity, weigher: Option<Box<dyn Weigher<K, V> + Send + Sync>>) -> Self {
        let max_weight = capacity.max_weight();
        let shift = match (&weigher, max_weight) {
            (Some(_), Some(m)) => (u64::BITS - m.leading_zeros()).saturating_sub(31),
            _ => 0,
        };
        Bound {
            capacity,
            weigher,
            len: AtomicUsize::new(0),
            weight: AtomicU64::new(0),
            shift,
            max_units: max_weight.map_or(u64::MAX, |m| m >> shift),
            hand: AtomicUsize::new(0),
        }
    }

    /// `true` if one entry of `weight` alone does not fit: heavier than the bound, or
    /// (recorded in units, rounded up) heavier than the bound in units, which only a
    /// weight within `2^shift` of a bound of 2^31 or more can be.
    #[inline]
    pub(crate) fn rejects(&self, weight: u64) -> bool {
        self.capacity.rejects_single(weight) || self.rounded_units(weight) > self.max_units
    }

    /// `weight` in units, rounded up: shifts, not a division (`div_ceil` by the
    /// run-time power of two compiled to a `div` on every insert).
    #[inline(always)]
    fn rounded_units(&self, weight: u64) -> u64 {
        let s = self.shift;
        (weight >> s) + u64::from(weight & ((1u64 << s) - 1) != 0)
    }

    /// The recorded weight, in units, of an entry of weight `weight`, which the bound
    /// does not [reject](Self::rejects): rounded up, so that the recorded total never
    /// falls below the real one (a weight bound keeps it at most `max_units`, below
    /// what a node records; without one, a node records at most 2^31 - 1).
    #[inline]
    pub(crate) fn units(&self, weight: u64) -> u64 {
        self.rounded_units(weight).min(MAX_NODE_WEIGHT)
    }

    /// The total recorded weight of the entries, in units (read as [`len`](Self::len)
    /// is).
    #[inline]
    pub(crate) fn weight_units(&self) -> u64 {
        self.units_at(self.len())
    }

    /// The recorded weight in units when the map holds `len` entries (`len` itself
    /// without a weigher).
    #[inline]
    fn units_at(&self, len: usize) -> u64 {
        match self.weigher {
            Some(_) => (self.weight.load(Ordering::Relaxed) as i64).max(0) as u64,
            None => len as u64,
        }
    }

    /// The total recorded weight of the entries: exact below 2^31, otherwise each
    /// entry's weight rounded up to a multiple of `2^shift`.
    #[inline]
    pub(crate) fn weight(&self) -> u64 {
        self.weight_units().saturating_mul(1 << self.shift)
    }

    #[inline]
    pub(super) fn add(&self, weight: u64) {
        self.len.fetch_add(1, Ordering::Relaxed);
        if self.weigher.is_some() {
            self.weight.fetch_add(weight, Ordering::Relaxed);
        }
    }

    #[inline]
    pub(super) fn sub(&self, weight: u64) {
        self.len.fetch_sub(1, Ordering::Relaxed);
        if self.weigher.is_some() {
            self.weight.fetch_sub(weight, Ordering::Relaxed);
        }
    }

    /// `true` if `len` entries of recorded weight `units` exceed the bound.
    #[inline]
    pub(crate) fn exceeds(&self, len: usize, units: u64) -> bool {
        self.capacity.is_exceeded_by(len, 0) || units > self.max_units
    }

    /// `true` while the entries exceed the bound (the count read once).
    #[inline]
    pub(super) fn exceeded(&self) -> bool {
        let len = self.len();
        self.exceeds(len, self.units_at(len))
    }
}

/// CLOCK positions a slot claims from the shared hand at a time.
pub(crate) const CLOCK_STRIDE: usize = if cfg!(leakless_loom) { 2 } else { 32 };

impl<K, V, S> Inner<K, V, S> {
    /// CLOCK eviction until the bound holds (or nothing can be evicted), under the
    /// writer's pin (eviction runs no user code; the evicted values are finalized by the
    /// drain after the writer unpins). `keep` (or null) is the entry the writer just
    /// stored: never the victim of its own write. Returns how many it evicted (the entry
    /// count fell by that much: the write's resize check looks for a shrink).
    #[inline]
    pub(crate) fn evict_to_fit(&self, pin: &Pin<'_, K, V>, keep: *const Node<K, V>) -> usize {
        let Some(b) = &self.bound else {
            return 0;
        };
        let mut evicted = 0;
        while b.exceeded() {
            if !self.evict_one(b, pin, true, keep) {
                break;
            }
            evicted += 1;
        }
        evicted
    }

    /// Advances the CLOCK hand until it finds an entry whose reference bit is clear
    /// (clearing the bits it passes) and evicts it; `keep` (or null) is passed over and
    /// its bit left alone. Returns `false` if a full sweep twice over found nothing to
    /// evict. With `account` false, the victim's share of the bound's counters passes to
    /// an entry the caller admits without counting it.
    pub(super) fn evict_one(
        &self,
        b: &Bound<K, V>,
        pin: &Pin<'_, K, V>,
        account: bool,
        keep: *const Node<K, V>,
    ) -> bool {
        let Some(table) = self.root(pin) else {
            return false;
        };
        // A bucket that moved is locked in the table it moved to (`Table::lock`), which
        // during a growth can be many times the root: sweep the largest table of the
        // chain twice, or the entries beyond the root's span would never be offered.
        let mut span = table.len();
        let mut t = table.next.load(Ordering::Acquire);
        while !t.is_null() {
            // SAFETY: a successor reached from the root under `pin` (as in `Table::lock`).
            let next = unsafe { &*t };
            span = span.max(next.len());
            t = next.next.load(Ordering::Acquire);
        }
        let steps = 2 * span + 2;
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
            // SAFETY: `table` reached from the root under `pin`.
            if unsafe { table.spare_all(pos, keep) } {
                continue;
            }
            // SAFETY: `table` reached from the root under `pin`.
            let mut lock = unsafe { table.lock(pos) };
            let victim = lock.unlink_first(|c| !ptr::eq(c, keep) && !c.second_chance());
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
}
