//! [`WTinyLfu`]: a scan-resistant policy (Window TinyLFU, as in Caffeine).

use super::climb::{climb_sample, ClimbRules, HillClimber};
use super::eviction::{EvictionPolicy, MetaArena};
use super::lru::NIL;

const WINDOW: u8 = 0;
const PROBATION: u8 = 1;
const PROTECTED: u8 = 2;

/// Window TinyLFU: a scan- and loop-resistant eviction policy.
///
/// New entries enter a small LRU *window* (1 % of the entries at first; a hill climber
/// then moves its share between 1 % and 80 % toward a better hit ratio, as Caffeine
/// does). When the window overflows, its least recently used entry (the candidate)
/// competes with the main region's victim: the one a frequency sketch has seen more
/// often stays. The main region is a segmented LRU (80 % *protected* for entries used
/// again, 20 % *probation*). Frequencies come from a 4-bit count-min sketch of about one
/// `u64` per entry (a power of two, at least 16), halved every 10 additions per `u64` so
/// old popularity fades. A victim is chosen by these rules, not by recency alone: a
/// value just written over a present key may itself be evicted to make room for its
/// extra weight.
///
/// A one-off scan cannot flush the cache (its keys have frequency 1 and lose every
/// duel), and a loop larger than the cache keeps a stable part of itself resident
/// instead of missing on every request as exact LRU does.
///
/// Order: a map's iterators list the window, then the probation and the protected
/// segments, each from most to least recently used. The next victim is the window's or
/// the probation segment's least recently used entry, whichever loses the frequency
/// duel, so it need not come last: [`LruMap::peek_lru`](crate::LruMap::peek_lru) names
/// it.
///
/// Costs: 16 bytes of metadata per entry ([`TinyLfuMeta`]) plus the sketch (8 bytes per
/// entry, rounded up to a power of two). The sketch follows the number of entries: it
/// grows as the map fills and is rebuilt smaller (forgetting frequencies) when the map
/// falls below a quarter of it.
///
/// # Examples
///
/// ```
/// use leakless::{FixedState, LruMap, WTinyLfu};
///
/// // A fixed-seed hasher makes the run reproducible (the sketch hashes keys with it).
/// let mut m = LruMap::builder().max_entries(100).hasher(FixedState::default()).policy(WTinyLfu::default()).build();
/// let mut lru = LruMap::new(100);
/// for round in 0..3 {
///     for hot in 0..50u32 {
///         m.get_or_insert_with(hot, || round);
///         lru.get_or_insert_with(hot, || round);
///     }
/// }
/// for scan in 1000..2000u32 {
///     m.insert(scan, 0); // a one-off scan
///     lru.insert(scan, 0);
/// }
/// // Most of the hot set survives the scan (at least 39 of 50 over 2000 hash seeds);
/// // exact LRU keeps none of it.
/// assert!((0..50).filter(|k| m.contains_key(k)).count() >= 39, "the hot set survived the scan");
/// assert_eq!((0..50).filter(|k| lru.contains_key(k)).count(), 0);
/// ```
#[derive(Clone, Debug, Default)]
pub struct WTinyLfu {
    lists: [List; 3],
    len: usize,
    sketch: Sketch,
    climber: Climber,
}

/// Caffeine's hill climber on the window's share of the entries: every `10 × len`
/// requests (at least [`MIN_SAMPLE`](super::climb::MIN_SAMPLE)), one [`HillClimber`]
/// step by [`WINDOW_CLIMB`]: the same way if the hit ratio improved, the other way if
/// not, in steps that decay (and restart on a large change).
#[derive(Clone, Debug)]
struct Climber {
    /// The window's share of the entries.
    window: HillClimber,
    /// The window's share as a fraction of 2^32 (rounded up), so that the window's size
    /// is an integer multiply on every insert.
    share: u64,
    hits: u32,
    misses: u32,
}

/// How the window's share moves: from 1% of the entries, down first, in steps of 6.25%
/// that shrink by 2% each time and restart after a change of 5 points, within 1%–80%.
const WINDOW_CLIMB: ClimbRules =
    ClimbRules { step: -0.0625, decay: 0.98, restart: 0.05, noise: 0.0, min: MIN_WINDOW, max: 0.8 };
const MIN_WINDOW: f64 = 0.01;

impl Default for Climber {
    fn default() -> Self {
        Self { window: HillClimber::new(MIN_WINDOW, &WINDOW_CLIMB), share: share(MIN_WINDOW), hits: 0, misses: 0 }
    }
}

/// [`climb_sample`], at most `u32::MAX` (the counters are `u32`; a cache above ~429M
/// entries samples every `u32::MAX` requests instead of overflowing them).
#[inline]
fn sample_size(len: usize) -> u32 {
    u32::try_from(climb_sample(len)).unwrap_or(u32::MAX)
}

/// `window` (in `0..=1`) as a fraction of 2^32, rounded up.
fn share(window: f64) -> u64 {
    (window * 4_294_967_296.0).ceil() as u64
}

impl Climber {
    #[inline]
    fn record(&mut self, hit: bool, len: usize) {
        if hit {
            self.hits += 1;
        } else {
            self.misses += 1;
        }
        let total = self.hits + self.misses;
        if total >= sample_size(len) {
            let window = self.window.next(f64::from(self.hits) / f64::from(total));
            self.share = share(window);
            self.hits = 0;
            self.misses = 0;
        }
    }
}

/// The per-entry metadata of [`WTinyLfu`]: links in its region's LRU list, a 32-bit hash
/// fingerprint for the frequency sketch, and the region.
///
/// # Examples
///
/// ```
/// assert_eq!(core::mem::size_of::<leakless::policy::TinyLfuMeta>(), 16);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TinyLfuMeta {
    prev: u32,
    next: u32,
    hash: u32,
    list: u8,
}

#[derive(Clone, Copy, Debug)]
struct List {
    head: u32,
    tail: u32,
    len: u32,
}

impl Default for List {
    fn default() -> Self {
        Self { head: NIL, tail: NIL, len: 0 }
    }
}

impl WTinyLfu {
    #[inline]
    fn window_target(&self) -> usize {
        // `len` is below 2^32 (an arena slot is a `u32`) and `share` at most 2^32.
        ((self.len as u64 * self.climber.share) >> 32).max(1) as usize
    }

    #[inline]
    fn protected_max(&self) -> usize {
        self.len.saturating_sub(self.window_target()) * 4 / 5
    }

    #[inline]
    fn unlink<A: MetaArena<TinyLfuMeta>>(&mut self, a: &mut A, i: u32) {
        let m = *a.meta(i);
        let l = &mut self.lists[m.list as usize];
        if m.prev == NIL {
            l.head = m.next;
        } else {
            a.meta_mut(m.prev).next = m.next;
        }
        if m.next == NIL {
            l.tail = m.prev;
        } else {
            a.meta_mut(m.next).prev = m.prev;
        }
        l.len -= 1;
    }

    #[inline]
    fn push_front<A: MetaArena<TinyLfuMeta>>(&mut self, a: &mut A, i: u32, list: u8) {
        let l = &mut self.lists[list as usize];
        let old = l.head;
        let m = a.meta_mut(i);
        m.prev = NIL;
        m.next = old;
        m.list = list;
        if old == NIL {
            l.tail = i;
        } else {
            a.meta_mut(old).prev = i;
        }
        l.head = i;
        l.len += 1;
    }

    /// Demote the protected segment's least recently used entries to probation until it
    /// fits [`protected_max`](Self::protected_max). Amortized O(1): the bound falls by at
    /// most one entry per removal, and by a climber step's share of the entries once per
    /// sample of at least [`MIN_SAMPLE`](super::climb::MIN_SAMPLE) requests.
    #[inline]
    fn fit_protected<A: MetaArena<TinyLfuMeta>>(&mut self, a: &mut A) {
        while self.lists[PROTECTED as usize].len as usize > self.protected_max() {
            let t = self.lists[PROTECTED as usize].tail;
            self.move_front(a, t, PROBATION);
        }
    }

    #[inline]
    fn move_front<A: MetaArena<TinyLfuMeta>>(&mut self, a: &mut A, i: u32, list: u8) {
        self.unlink(a, i);
        self.push_front(a, i, list);
    }

    /// The entry to evict and, if the window's candidate won its duel, that candidate.
    fn decide<A: MetaArena<TinyLfuMeta>>(&self, a: &A) -> (Option<u32>, Option<u32>) {
        let [window, probation, protected] = &self.lists;
        let main = if probation.len > 0 {
            probation.tail
        } else if protected.len > 0 {
            protected.tail
        } else {
            NIL
        };
        if window.len == 0 {
            return ((main != NIL).then_some(main), None);
        }
        let candidate = window.tail;
        if main == NIL {
            return (Some(candidate), None);
        }
        let cf = self.sketch.frequency(a.meta(candidate).hash);
        let vf = self.sketch.frequency(a.meta(main).hash);
        if cf > vf {
            (Some(main), Some(candidate))
        } else {
            (Some(candidate), None)
        }
    }
}

impl EvictionPolicy for WTinyLfu {
    type Meta = TinyLfuMeta;

    fn on_insert<A: MetaArena<TinyLfuMeta>>(&mut self, a: &mut A, index: u32, hash: u64) {
        let fp = (hash >> 32) as u32 ^ hash as u32;
        a.meta_mut(index).hash = fp;
        self.len += 1;
        self.climber.record(false, self.len);
        self.sketch.ensure(self.len);
        self.sketch.increment(fp);
        self.push_front(a, index, WINDOW);
        let target = self.window_target();
        while self.lists[WINDOW as usize].len as usize > target {
            let t = self.lists[WINDOW as usize].tail;
            self.move_front(a, t, PROBATION);
        }
        // A window the climber made larger grows from the main region, one entry per
        // insert (the least recently used probation entry gets a second chance).
        if (self.lists[WINDOW as usize].len as usize) < target && self.lists[PROBATION as usize].len > 0 {
            let t = self.lists[PROBATION as usize].tail;
            self.move_front(a, t, WINDOW);
        }
        // A larger window leaves less room for the protected segment (as do removals):
        // its least recently used entries go back to probation, as Caffeine demotes them.
        self.fit_protected(a);
    }

    fn on_access<A: MetaArena<TinyLfuMeta>>(&mut self, a: &mut A, index: u32) {
        let m = *a.meta(index);
        self.sketch.increment(m.hash);
        self.climber.record(true, self.len);
        match m.list {
            PROBATION => {
                self.move_front(a, index, PROTECTED);
                self.fit_protected(a);
            }
            list => {
                if self.lists[list as usize].head != index {
                    self.move_front(a, index, list);
                }
            }
        }
    }

    fn on_remove<A: MetaArena<TinyLfuMeta>>(&mut self, a: &mut A, index: u32) {
        self.unlink(a, index);
        self.len -= 1;
        self.sketch.fit(self.len);
    }

    fn on_move<A: MetaArena<TinyLfuMeta>>(&mut self, a: &mut A, _from: u32, to: u32) {
        let m = *a.meta(to);
        let l = &mut self.lists[m.list as usize];
        if m.prev == NIL {
            l.head = to;
        } else {
            a.meta_mut(m.prev).next = to;
        }
        if m.next == NIL {
            l.tail = to;
        } else {
            a.meta_mut(m.next).prev = to;
        }
    }

    fn victim<A: MetaArena<TinyLfuMeta>>(&mut self, a: &mut A) -> Option<u32> {
        let (victim, admitted) = self.decide(a);
        if let Some(c) = admitted {
            self.move_front(a, c, PROBATION);
        }
        victim
    }

    fn clear(&mut self) {
        *self = Self::default();
    }

    fn peek_victim<A: MetaArena<TinyLfuMeta>>(&self, a: &A) -> Option<u32> {
        self.decide(a).0
    }

    fn first<A: MetaArena<TinyLfuMeta>>(&self, _a: &A) -> Option<u32> {
        self.lists.iter().map(|l| l.head).find(|&h| h != NIL)
    }

    fn next<A: MetaArena<TinyLfuMeta>>(&self, a: &A, index: u32) -> Option<u32> {
        let m = a.meta(index);
        if m.next != NIL {
            return Some(m.next);
        }
        self.lists[m.list as usize + 1..].iter().map(|l| l.head).find(|&h| h != NIL)
    }

    fn allocation_size(&self) -> usize {
        self.sketch.table.capacity() * 8
    }

    fn validate<A: MetaArena<TinyLfuMeta>>(&self, a: &A, len: usize) {
        assert_eq!(self.len, len, "validate: W-TinyLFU counts {} entries, the map {len}", self.len);
        let mut total = 0usize;
        for (list, l) in self.lists.iter().enumerate() {
            let mut count = 0u32;
            let mut prev = NIL;
            let mut at = l.head;
            while at != NIL {
                assert!((count as usize) < len, "validate: W-TinyLFU list {list} has a cycle");
                let m = a.meta(at);
                assert_eq!(m.list as usize, list, "validate: slot {at} is in list {list} but tagged {}", m.list);
                assert_eq!(m.prev, prev, "validate: W-TinyLFU back link of slot {at} is wrong");
                prev = at;
                at = m.next;
                count += 1;
            }
            assert_eq!(l.tail, prev, "validate: W-TinyLFU list {list} has a wrong tail");
            assert_eq!(l.len, count, "validate: W-TinyLFU list {list} has a wrong length");
            total += count as usize;
        }
        assert_eq!(total, len, "validate: the W-TinyLFU lists do not hold every entry");
    }
}

/// A count-min sketch of 4-bit counters, 16 per `u64`, four counters per key.
#[derive(Clone, Debug, Default)]
struct Sketch {
    table: Vec<u64>,
    additions: usize,
}

/// Seeds of the two mixes that place a key's four counters.
const SEEDS: [u64; 2] = [0xc3a5_c85c_97cb_3127, 0xb492_b66f_be98_f273];

impl Sketch {
    /// Grow to at least `len` words (a power of two), keeping every count: a key's
    /// word in the larger table has the same low index bits, and each copy of the old
    /// table holds the old counters at those positions.
    #[inline]
    fn ensure(&mut self, len: usize) {
        if len > self.table.len() {
            self.grow(len.max(16).next_power_of_two());
        }
    }

    #[cold]
    fn grow(&mut self, words: usize) {
        let old = core::mem::take(&mut self.table);
        self.table = if old.is_empty() { vec![0; words] } else { old.iter().copied().cycle().take(words).collect() };
    }

    /// Shrink when `len` fell below a quarter of the table.
    #[inline]
    fn fit(&mut self, len: usize) {
        if self.table.len() > 16 && len * 4 < self.table.len() {
            self.table = if len == 0 { Vec::new() } else { vec![0; (len * 2).max(16).next_power_of_two()] };
            self.additions = 0;
        }
    }

    /// The word and bit offset of each of the four counters of `fp`. Two multiplicative
    /// mixes give 128 bits, 32 per counter: the low four bits pick the counter within
    /// its word, the bits above them the word (so two of the four counters reach only
    /// the first 2^28 words of a larger table: more collisions, never a wrong count).
    /// A larger table keeps each word's low index bits, which [`ensure`](Self::ensure)
    /// relies on.
    #[inline(always)]
    fn slots(&self, fp: u32) -> [(usize, u32); 4] {
        let mix = |seed: u64| {
            let x = (u64::from(fp) ^ seed).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            x ^ (x >> 32)
        };
        let (a, b) = (mix(SEEDS[0]), mix(SEEDS[1]));
        let mask = self.table.len() - 1;
        [a, a >> 32, b, b >> 32].map(|c| ((c >> 4) as usize & mask, (c & 15) as u32 * 4))
    }

    #[inline]
    fn increment(&mut self, fp: u32) {
        if self.table.is_empty() {
            return;
        }
        let mut added = false;
        for (w, shift) in self.slots(fp) {
            if (self.table[w] >> shift) & 15 < 15 {
                self.table[w] += 1 << shift;
                added = true;
            }
        }
        if added {
            self.additions += 1;
            if self.additions >= 10 * self.table.len() {
                for w in &mut self.table {
                    *w = (*w >> 1) & 0x7777_7777_7777_7777;
                }
                self.additions /= 2;
            }
        }
    }

    #[inline(always)]
    fn frequency(&self, fp: u32) -> u8 {
        if self.table.is_empty() {
            return 0;
        }
        // A plain loop: as an iterator chain, it was sometimes left out of line.
        let mut min = 15;
        for (w, shift) in self.slots(fp) {
            min = min.min((self.table[w] >> shift) & 15);
        }
        min as u8
    }
}

// Safe code only, and slow under Miri (`ci/miri.sh` runs the tests that reach unsafe code).
#[cfg(all(test, not(miri)))]
mod tests {
    use super::{Climber, Sketch, PROTECTED, WINDOW};
    use crate::policy::climb::MIN_SAMPLE;

    /// Requests recorded in the climber's open sample.
    fn sampled(c: &Climber) -> usize {
        (c.hits + c.misses) as usize
    }

    #[test]
    fn the_climber_samples_at_least_min_sample_requests() {
        // A small cache: `10 × len` is below the floor, so the sample is `MIN_SAMPLE`.
        let mut c = Climber::default();
        for i in 0..MIN_SAMPLE - 1 {
            c.record(i % 3 == 0, 100);
        }
        assert_eq!(sampled(&c), MIN_SAMPLE - 1, "no adjustment before the floor");
        c.record(true, 100);
        assert_eq!(sampled(&c), 0, "the sample closed at the floor");
        let ratio = c.window.previous();
        assert!(ratio > 0.3 && ratio < 0.4, "the sample's hit ratio: {ratio}");
        // A large cache: `10 × len` requests.
        let mut c = Climber::default();
        for _ in 0..10 * 1000 - 1 {
            c.record(true, 1000);
        }
        assert_eq!(sampled(&c), 10 * 1000 - 1);
        c.record(true, 1000);
        assert_eq!(sampled(&c), 0);
    }

    #[test]
    fn climber_sample_of_a_huge_cache_fits_its_counters() {
        // Above ~429M entries `10 × len` exceeds `u32::MAX`: the sample closes there
        // instead of the counters overflowing (a debug panic, a release wrap).
        assert_eq!(super::sample_size(500_000_000), u32::MAX);
        assert_eq!(super::sample_size(usize::MAX), u32::MAX);
        assert_eq!(super::sample_size(1000), 10_000);
        let mut c = Climber { hits: u32::MAX - 1, ..Climber::default() };
        c.record(true, 500_000_000);
        assert_eq!(sampled(&c), 0, "the sample closed at u32::MAX requests");
        assert_eq!(c.window.previous(), 1.0);
    }

    /// A long run through a map, in phases that favour a small window (a loop a little
    /// larger than the cache, where frequency wins) and a large one (a sliding working
    /// set, where recency wins), so that the climber moves the window both ways many
    /// times: the map stays valid and returns the latest values, and after every insert
    /// the window and protected segments are within the sizes the current share sets.
    #[test]
    fn the_map_stays_valid_while_the_climber_moves_the_window() {
        use crate::{DefaultHashBuilder, LruMap, WTinyLfu};
        const CAP: usize = 50;
        let mut m: LruMap<u64, u64, DefaultHashBuilder, WTinyLfu> = LruMap::builder()
            .max_entries(CAP)
            .hasher(DefaultHashBuilder::with_seeds(1, 2, 3, 4))
            .policy(WTinyLfu::default())
            .build();
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let (mut windows, mut grew, mut shrank) = (Vec::new(), 0, 0);
        for i in 0..240_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let k = if (i / 20_000) % 2 == 0 {
                // A loop over 60 keys with a few strays.
                if x % 10 == 0 {
                    1000 + x % 500
                } else {
                    i % 60
                }
            } else {
                // A working set of 40 keys sliding by one every 50 requests.
                10_000 + i / 50 + x % 40
            };
            let hit = match m.get(&k) {
                Some(&v) => {
                    assert_eq!(v, k * 7, "request {i}: a stale value for {k}");
                    true
                }
                None => {
                    m.insert(k, k * 7);
                    false
                }
            };
            let p = m.policy();
            // A hit may move the climber; the segments follow at the next insert.
            if !hit {
                let len = |list: u8| p.lists[list as usize].len as usize;
                assert!(len(WINDOW) <= p.window_target(), "request {i}: the window is too large");
                assert!(len(PROTECTED) <= p.protected_max(), "request {i}: protected is too large");
            }
            let w = p.climber.window.value();
            match windows.last() {
                Some(&last) if w > last => grew += 1,
                Some(&last) if w < last => shrank += 1,
                _ => {}
            }
            windows.push(w);
            if i % 64 == 0 {
                m.validate();
            }
        }
        m.validate();
        assert!(m.len() <= CAP);
        assert!(grew >= 3 && shrank >= 3, "the climber moved the window {grew} times up, {shrank} times down");
        let (lo, hi) = windows.iter().fold((1.0f64, 0.0f64), |(lo, hi), &w| (lo.min(w), hi.max(w)));
        assert!(hi - lo >= 0.1, "the window's share stayed within {lo}..{hi}");
    }

    /// Distinct fingerprints, spread like the ones `on_insert` derives from hashes.
    fn fps(n: u32) -> impl Iterator<Item = u32> {
        (0..n).map(|i| i.wrapping_mul(0x9e37_79b9) ^ 0x5bd1_e995)
    }

    /// A sketch of `words` words in which the `i`th of `n` keys was counted `i % m` times.
    fn counted(words: usize, n: u32, m: usize) -> Sketch {
        let mut s = Sketch::default();
        s.ensure(words);
        for (i, fp) in fps(n).enumerate() {
            for _ in 0..i % m {
                s.increment(fp);
            }
        }
        s
    }

    #[test]
    fn frequency_never_underestimates_before_aging() {
        // Fewer additions than the aging threshold.
        let s = counted(1024, 500, 20);
        assert!(s.additions < 10 * s.table.len(), "no aging happened");
        let mut exact = 0;
        for (i, fp) in fps(500).enumerate() {
            let f = s.frequency(fp);
            assert!(f >= (i % 20).min(15) as u8, "key {i}: frequency {f} below its count");
            exact += usize::from(f == (i % 20).min(15) as u8);
        }
        // A count-min sketch at this load is exact for most keys.
        assert!(exact > 400, "only {exact} of 500 frequencies exact");
    }

    #[test]
    fn growing_keeps_every_frequency() {
        let mut s = counted(64, 200, 7);
        let before: Vec<u8> = fps(200).map(|fp| s.frequency(fp)).collect();
        s.ensure(4096);
        assert_eq!(s.table.len(), 4096);
        let after: Vec<u8> = fps(200).map(|fp| s.frequency(fp)).collect();
        assert_eq!(before, after);
    }

    #[test]
    fn aging_halves_the_counts() {
        let mut s = Sketch::default();
        s.ensure(16);
        let hot = 0xdead_beef;
        for _ in 0..8 {
            s.increment(hot);
        }
        let before = s.frequency(hot);
        assert!(before >= 8);
        // Other keys' additions reach the threshold (10 per word) and trigger a halving.
        let mut other = fps(u32::MAX).filter(|&fp| fp != hot);
        loop {
            let additions = s.additions;
            s.increment(other.next().unwrap());
            if s.additions < additions {
                break; // halved
            }
        }
        assert_eq!(s.additions, 10 * s.table.len() / 2);
        assert!(s.frequency(hot) <= before / 2 + 1, "{} not halved from {before}", s.frequency(hot));
        assert!(s.table.iter().all(|w| w & 0x8888_8888_8888_8888 == 0), "every counter at most 7 after halving");
    }

    #[test]
    fn fitting_a_small_len_forgets_and_frees() {
        let mut s = Sketch::default();
        s.ensure(4096);
        s.increment(7);
        s.fit(2000);
        assert_eq!(s.table.len(), 4096, "above a quarter: kept");
        s.fit(100);
        assert_eq!(s.table.len(), 256);
        assert_eq!(s.frequency(7), 0);
        s.fit(0);
        assert!(s.table.is_empty() && s.table.capacity() == 0);
    }
}
