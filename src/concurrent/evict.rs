//! Bounded mode: the bound's counters and eviction, a CLOCK with hot and cold entries
//! and a ghost table (in the spirit of CLOCK-Pro and S3-FIFO).
//!
//! Every entry carries a reference bit, set by reads (a plain store, skipped when set),
//! and a hot bit. New entries start cold and unreferenced. The CLOCK hand walks the
//! root's buckets; each slot claims [`CLOCK_STRIDE`] positions at a time, so the shared
//! hand is written once per stride. Passing an entry, the hand
//! - makes a referenced cold entry hot (read since it came in, or since its demotion),
//!   clearing its reference bit;
//! - ages a hot entry, but only while more of the entries it passed recently were hot
//!   than the map's hot share (each slot keeps that estimate over its own last
//!   [`TEMPERATURE_WINDOW`] or so entries), and always once a whole sweep found no
//!   victim: a referenced one loses its reference bit, an unreferenced one is demoted to
//!   cold. Below the share the hand leaves hot entries as they are, so a hot entry read
//!   once since the last aging pass over it stays hot through the next one, however
//!   many non-aging passes come between;
//! - evicts an unreferenced cold entry, and writes its hash into the table's ghost slots.
//!
//! An insert of a new key whose hash is in the ghost table (it was evicted cold not long
//! ago and is back) enters hot; a new value for a present key keeps the old entry's
//! temperature, and is referenced. So an entry used once is evicted at the hand's next
//! pass, while entries used again are protected in the hot share of the map: a scan
//! cannot flush them, and a loop over more keys than the map holds keeps part of itself
//! resident (its keys come back while their ghosts remember them). The hot share starts
//! at about 60% and a hill climber ([`Climber`]) moves it between about 40% and 90%
//! toward a better hit ratio (a loop wants it high, recency-driven traffic lower); a
//! change of the hit ratio within [`CLIMB_NOISE`] counts as none, and the climber then
//! steps toward the lower share, which costs the hand less. A bucket with no cold
//! unreferenced entry is passed without taking its lock.
//!
//! The ghost table has one `u32` slot per bucket, but for a map bounded by entries no
//! more than the bound rounded up to a power of two ([`ghost_slots`]; its table has up to
//! twice as many buckets, see `resize.rs`). Slots are indexed independently of the bucket
//! index: it remembers roughly the last bound's worth of evictions.
//!
//! The hand passes buckets in order, but their nodes lie anywhere on the heap: each node
//! it passes is a likely cache miss. It prefetches the chain [`EVICT_PREFETCH_AHEAD`]
//! positions ahead, so that the misses of consecutive positions overlap: about 5% more
//! throughput on one thread on the cache workload with fresh keys every run (`churn` in
//! `examples/concurrent_ab.rs`, about 60% misses). It prefetches only positions its slot
//! claimed ([`Clock`]): prefetching the next writer's positions cost about 6% on two
//! threads, as the lines it fetched were the ones that writer was about to write.
//!
//! On the bundled traces (`examples/hit_ratio.rs`) the mean hit ratio rose from 41.8%
//! (plain CLOCK: a reference bit only) to 47.7%. Fixed hot shares of 50 to 90% gave
//! 47.1 to 47.3% there (a higher share favours the loop rows, a lower one the OLTP and
//! web rows), the climber 47.7%. Leaving the hot entries' reference bits alone on
//! non-aging passes (the hand used to clear them on every pass, so that a hot entry had
//! to be read between two consecutive passes to stay hot) raised it to 48.3%, and the
//! hit ratio on the cache benchmark's stream at a bound of 2^14 from 58.4% to 60.3%
//! (`examples/cache_bounds`). The hand passes fewer entries per eviction with a lower
//! share (callgrind, the cache benchmark's workload: 33.2M instructions at a fixed 50%,
//! 34.5M at 60%, 36.4M at 70%, at the same hit ratio there), hence the start at 60%.

use core::ptr;
use std::sync::Arc;

use super::core::Inner;
use super::node::{Node, MAX_NODE_WEIGHT};
use super::pool::Pin;
use super::table::{MAX_BUCKETS, MIN_BUCKETS};
use crate::loom::{AtomicU64, AtomicUsize, Ordering};
use crate::policy::{climb_sample, Capacity, ClimbRules, HillClimber, RemovalCause, Weigher};

/// A map's weigher, shared with its clones.
pub(crate) type SharedWeigher<K, V> = Arc<dyn Weigher<K, V> + Send + Sync>;

/// The bound of a bounded map (the concurrent cache).
///
/// Aligned to its own cache lines: every insert and eviction writes `len`, and those
/// writes must not invalidate the line holding the map's read-mostly fields (`root`,
/// the hasher) that every read loads.
#[repr(align(128))]
pub(crate) struct Bound<K, V> {
    pub(crate) capacity: Capacity,
    /// Shared with the map's clones.
    pub(crate) weigher: Option<SharedWeigher<K, V>>,
    pub(crate) len: AtomicUsize,
    /// The total weight; kept only with a weigher (without one, every entry weighs 1
    /// and the weight is `len`).
    pub(crate) weight: AtomicU64,
    /// Weights are recorded in units of `2^shift` (rounded up), so that a unit count fits
    /// the 30 bits a node records: `shift` is 0 for a weight bound below 2^30 (weights
    /// recorded exactly) and the bound's excess bits above (an 8 GiB bound records
    /// weights in units of 16 bytes).
    pub(crate) shift: u32,
    /// The weight bound in units, rounded down (`u64::MAX` without one): the recorded
    /// total, rounded up, stays at or below it, so the real total stays within the
    /// bound.
    pub(crate) max_units: u64,
    /// The CLOCK hand: the next bucket index (of the root) not yet claimed. Writers
    /// claim [`CLOCK_STRIDE`] positions at a time into their slot and inspect them one
    /// by one over their next evictions, so the hand is written once per stride.
    pub(crate) hand: AtomicUsize,
    /// The hot share the hand aims for, in 64ths (see [`Climber`]).
    hot_share: AtomicUsize,
    /// Moves `hot_share` toward a better hit ratio.
    climber: std::sync::Mutex<Climber>,
}

/// The hill climber on the hot share ([`HillClimber`] by [`HOT_CLIMB`]): once the map
/// served a sample of requests since the last step ([`climb_sample`] of the bound), it
/// moves the share one step toward a better hit ratio.
struct Climber {
    /// Hits and misses counted at the last step.
    seen: [u64; 2],
    /// The hot share, in 64ths.
    share: HillClimber,
}

impl Default for Climber {
    fn default() -> Self {
        Climber { seen: [0; 2], share: HillClimber::new(FIRST_SHARE as f64, &HOT_CLIMB) }
    }
}

impl Climber {
    /// The hot share (in 64ths) after a sample whose hit ratio was `ratio`: one step of
    /// [`SHARE_STEP`], within `MIN_SHARE..=MAX_SHARE`: the same way as the last if the
    /// ratio rose by more than [`CLIMB_NOISE`] since the last sample, the other way if it
    /// fell by more, and down (toward the cheaper share) if it moved less either way.
    fn next_share(&mut self, ratio: f64) -> usize {
        self.share.next(ratio) as usize
    }
}

/// How the hot share moves: fixed steps within its range, a change within the noise band
/// taken as none.
const HOT_CLIMB: ClimbRules = ClimbRules {
    step: SHARE_STEP as f64,
    decay: 1.0,
    restart: f64::INFINITY,
    noise: CLIMB_NOISE,
    min: MIN_SHARE as f64,
    max: MAX_SHARE as f64,
};

/// A change of the hit ratio between two of the [`Climber`]'s samples smaller than this
/// (0.2 points) counts as none. The hand passes more entries per eviction at a higher
/// hot share (at a bound of 2^12 on the cache benchmark's stream, 12.3 bucket positions
/// at shares of 46–55 64ths against 6.3 at 29–32), so a share that buys no clear gain is
/// given up: without this band the climber drifted up on noise there, and a request
/// took 122 ns instead of about 70, for 0.3 points of hit ratio.
const CLIMB_NOISE: f64 = 0.002;

/// The hot share's lowest value, in 64ths (about 40%).
const MIN_SHARE: usize = 26;
/// The hot share's highest value, in 64ths (about 90%).
const MAX_SHARE: usize = 58;
/// The hot share a map starts with, in 64ths (about 60%).
const FIRST_SHARE: usize = 38;
/// The climber's step, in 64ths (about 5%).
const SHARE_STEP: usize = 3;

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
    pub(crate) fn new(capacity: Capacity, weigher: Option<SharedWeigher<K, V>>) -> Self {
        let max_weight = capacity.max_weight();
        let shift = match (&weigher, max_weight) {
            (Some(_), Some(m)) => (u64::BITS - m.leading_zeros()).saturating_sub(30),
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
            hot_share: AtomicUsize::new(FIRST_SHARE),
            climber: std::sync::Mutex::new(Climber::default()),
        }
    }

    /// `true` if one entry of `weight` alone does not fit: heavier than the bound, or
    /// (recorded in units, rounded up) heavier than the bound in units, which only a
    /// weight within `2^shift` of a bound of 2^30 or more can be.
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
    /// what a node records; without one, a node records at most 2^30 - 1).
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

    /// The total recorded weight of the entries: exact below 2^30, otherwise each
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

/// The ghost slots of a table of `buckets` buckets of a map bounded by `bound` (none
/// without a bound): one per bucket, but for a map bounded by entries no more than its
/// bound rounded up to a power of two (its table grows to up to twice that), so that the
/// ghost table remembers about as many evictions as the map holds entries.
pub(crate) fn ghost_slots<K, V>(bound: Option<&Bound<K, V>>, buckets: usize) -> usize {
    match bound {
        None => 0,
        Some(b) => b
            .capacity
            .max_entries()
            .map_or(buckets, |m| buckets.min(m.clamp(MIN_BUCKETS, MAX_BUCKETS).next_power_of_two())),
    }
}

/// The CLOCK positions a slot has claimed from the shared hand: `[next, end)`, and the
/// start of the stride after it once claimed (`NONE` until then: the hand moves from 0
/// in strides of [`CLOCK_STRIDE`], a power of two, so it never returns `usize::MAX`).
///
/// A slot claims [`CLOCK_STRIDE`] positions at a time, so the shared hand is written once
/// per stride. It claims the following stride [`EVICT_PREFETCH_AHEAD`] positions before
/// the end of the current one, so that the chains it prefetches ahead of the hand are
/// always its own to pass.
#[derive(Clone, Copy)]
pub(crate) struct Clock {
    next: usize,
    end: usize,
    following: usize,
}

impl Clock {
    const NONE: usize = usize::MAX;

    /// No positions claimed.
    pub(crate) const fn new() -> Self {
        Clock { next: 0, end: 0, following: Self::NONE }
    }

    /// The position to pass now, and the one [`EVICT_PREFETCH_AHEAD`] positions after it
    /// among this slot's claims (to prefetch), claiming strides from `hand` as needed.
    #[inline]
    fn step(&mut self, hand: &AtomicUsize) -> (usize, usize) {
        if self.next == self.end {
            let start = match core::mem::replace(&mut self.following, Self::NONE) {
                Self::NONE => hand.fetch_add(CLOCK_STRIDE, Ordering::Relaxed),
                s => s,
            };
            self.next = start;
            self.end = start.wrapping_add(CLOCK_STRIDE);
        }
        let pos = self.next;
        self.next = pos.wrapping_add(1);
        let left = self.end.wrapping_sub(self.next);
        if left >= EVICT_PREFETCH_AHEAD {
            return (pos, pos.wrapping_add(EVICT_PREFETCH_AHEAD));
        }
        if self.following == Self::NONE {
            self.following = hand.fetch_add(CLOCK_STRIDE, Ordering::Relaxed);
        }
        (pos, self.following.wrapping_add(EVICT_PREFETCH_AHEAD - left - 1))
    }
}

/// Entries a hand's estimate of the hot share spans (it halves its counts beyond).
const TEMPERATURE_WINDOW: usize = 512;

/// How many CLOCK positions ahead of the one it passes the hand prefetches a chain (at
/// most a stride: see [`Clock`]).
const EVICT_PREFETCH_AHEAD: usize = if cfg!(leakless_loom) { 1 } else { 8 };
const _: () = assert!(EVICT_PREFETCH_AHEAD >= 1 && EVICT_PREFETCH_AHEAD <= CLOCK_STRIDE);

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

    /// Advances the CLOCK hand until it finds a cold unreferenced entry (passing over the
    /// entries before it, see the module docs) and evicts it, remembering its hash in the
    /// ghost table; `keep` (or null) is skipped and left alone. Returns `false` if four
    /// sweeps found nothing to evict (three always suffice unless writers keep adding or
    /// reading entries). With `account` false, the victim's share of the bound's counters
    /// passes to an entry the caller admits without counting it.
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
        // during a growth can be many times the root: sweep over the largest table of the
        // chain, or the entries beyond the root's span would never be offered.
        let mut span = table.len();
        let mut t = table.next.load(Ordering::Acquire);
        while !t.is_null() {
            // SAFETY: a successor reached from the root under `pin` (as in `Table::lock`).
            let next = unsafe { &*t };
            span = span.max(next.len());
            t = next.next.load(Ordering::Acquire);
        }
        // A hot entry may need three passes: one clears its reference bit, one demotes
        // it, one evicts it.
        let steps = 4 * span + 4;
        let mut tally = pin.slot().temperature.with_mut(|t| {
            // SAFETY: the estimate belongs to the slot we hold.
            unsafe { *t }
        });
        // The estimate as this eviction starts (the few entries it passes move it little).
        let too_hot = tally[0] * 64 > tally[1] * b.hot_share.load(Ordering::Relaxed);
        let mut evicted = false;
        for step in 0..steps {
            // Past one sweep without a victim, every unreferenced hot entry is demoted:
            // so a victim is found within three sweeps whatever the estimate says.
            let demote = too_hot || step >= span;
            let (pos, ahead) = pin.slot().clock.with_mut(|c| {
                // SAFETY: the claimed positions belong to the slot we hold.
                unsafe { (*c).step(&b.hand) }
            });
            // Each bucket's nodes lie anywhere on the heap, and passing them is a cache
            // miss per node: ask for the chain a few positions ahead now, so the misses
            // of consecutive positions overlap. Only positions this slot claimed (see
            // `Clock`): fetching lines another writer is about to write only adds to its
            // misses.
            table.prefetch_chain(ahead as u32);
            // SAFETY: `table` reached from the root under `pin`.
            if unsafe { table.pass_bucket(pos as u32, keep, demote, &mut tally) } {
                continue;
            }
            // SAFETY: `table` reached from the root under `pin`.
            let mut lock = unsafe { table.lock(pos as u32) };
            let victim = lock.unlink_first(|c| !ptr::eq(c, keep) && c.pass(demote, &mut tally));
            drop(lock);
            if let Some(v) = victim {
                // SAFETY: unlinked by us under the lock; not freed before `pin` ends.
                table.remember_ghost(unsafe { (*v).hash });
                if account {
                    // SAFETY: unlinked by us under the lock, retired once.
                    unsafe { self.retire(pin, v, RemovalCause::Evicted) };
                } else {
                    pin.slot().counters.sub_len(1);
                    // SAFETY: unlinked by us under the lock, retired once.
                    unsafe { self.garbage.retire(pin, v, RemovalCause::Evicted) };
                }
                evicted = true;
                break;
            }
        }
        if tally[1] >= TEMPERATURE_WINDOW {
            tally = [tally[0] / 2, tally[1] / 2];
            self.climb(b);
        }
        pin.slot().temperature.with_mut(|t| {
            // SAFETY: as above.
            unsafe { *t = tally }
        });
        evicted
    }

    /// One step of the [`Climber`], if a sample is complete and nobody else steps now.
    #[cold]
    fn climb(&self, b: &Bound<K, V>) {
        let Ok(mut c) = b.climber.try_lock() else {
            return;
        };
        let hits = self.pool.sum(|c| c.hits.load(Ordering::Relaxed));
        let misses = self.pool.sum(|c| c.misses.load(Ordering::Relaxed));
        let h = hits.wrapping_sub(c.seen[0]);
        let total = h.wrapping_add(misses.wrapping_sub(c.seen[1]));
        if total < climb_sample(b.capacity.max_entries().unwrap_or(0)) {
            return;
        }
        c.seen = [hits, misses];
        let share = c.next_share(h as f64 / total as f64);
        b.hot_share.store(share, Ordering::Relaxed);
    }
}

#[cfg(all(test, not(leakless_loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_clock_prefetches_exactly_the_positions_it_passes_next_however_claims_interleave() {
        let hand = AtomicUsize::new(0);
        let mut clocks = [Clock::new(), Clock::new()];
        let mut passed: [Vec<usize>; 2] = Default::default();
        let mut ahead: [Vec<usize>; 2] = Default::default();
        // Two slots taking turns irregularly, so that their claims interleave.
        for i in 0..10_000usize {
            let c = usize::from(i % 7 < 3);
            let (pos, next) = clocks[c].step(&hand);
            passed[c].push(pos);
            ahead[c].push(next);
        }
        for c in 0..2 {
            // Each slot's prefetch of step `i` is the position it passes at step
            // `i + EVICT_PREFETCH_AHEAD`: its own, and in order.
            for (i, a) in ahead[c].iter().enumerate().take(passed[c].len() - EVICT_PREFETCH_AHEAD) {
                assert_eq!(*a, passed[c][i + EVICT_PREFETCH_AHEAD], "slot {c}, step {i}");
            }
        }
        // No position is passed twice, and the hand skipped none it handed out for good.
        let mut all: Vec<usize> = passed.concat();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 10_000, "a position was passed twice");
        assert!(all.iter().all(|&p| p < hand.load(Ordering::Relaxed)));
    }

    #[test]
    fn the_climber_keeps_a_direction_that_helps_and_turns_back_from_one_that_hurts() {
        let mut c = Climber::default();
        let mut share = c.next_share(0.40);
        assert_eq!(share, FIRST_SHARE + 3, "the first sample steps up");
        share = c.next_share(0.45);
        assert_eq!(share, FIRST_SHARE + 6, "the ratio rose: on");
        share = c.next_share(0.42);
        assert_eq!(share, FIRST_SHARE + 3, "the ratio fell: back");
        share = c.next_share(0.43);
        assert_eq!(share, FIRST_SHARE, "rose again: on, downward");
        for _ in 0..20 {
            share = c.next_share(0.43);
        }
        assert_eq!(share, MIN_SHARE, "held within its range");
        share = c.next_share(0.30);
        assert_eq!(share, MIN_SHARE + 3, "a fall at the floor turns it up");
        let mut ratio = 0.30;
        for _ in 0..20 {
            ratio += 0.01;
            share = c.next_share(ratio);
        }
        assert_eq!(share, MAX_SHARE, "rising clearly all the way");
    }

    #[test]
    fn the_climber_takes_a_change_within_the_noise_band_as_none_and_steps_down() {
        let mut c = Climber::default();
        c.next_share(0.40);
        let mut share = c.next_share(0.45);
        assert_eq!(share, FIRST_SHARE + 6, "clear gains: up");
        share = c.next_share(0.45 + CLIMB_NOISE / 2.0);
        assert_eq!(share, FIRST_SHARE + 3, "a gain within the band: down");
        share = c.next_share(0.45);
        assert_eq!(share, FIRST_SHARE, "a loss within the band: down");
        for _ in 0..20 {
            share = c.next_share(0.45);
        }
        assert_eq!(share, MIN_SHARE, "a flat ratio settles at the cheapest share");
        share = c.next_share(0.45 + 2.0 * CLIMB_NOISE);
        assert_eq!(share, MIN_SHARE, "a clear gain keeps the direction, down, held at the floor");
        share = c.next_share(0.45);
        assert_eq!(share, MIN_SHARE + 3, "a clear fall turns it up");
    }
}
