//! [`SlotIndex`]: the arena's hash index. Slot numbers sit in chunks of one cache line,
//! beside their one-byte tags, and a removal leaves no tombstone.
//!
//! A chunk holds 16 tag bytes and the slot numbers of its lanes: 15 lanes of 3-byte slot
//! numbers (arenas of up to 2^24 slots), or 12 lanes of 4-byte ones beyond that. A tag is
//! 0 for an empty lane and otherwise 8 bits of the hash; the 16th byte counts overflow.
//! A lookup compares the key's tag with the chunk's tags at once (one SSE2 compare on
//! x86-64), compares the key of each slot whose tag matches, and goes on to the next
//! chunk only while the chunk's overflow count says that an entry whose probe started at
//! or before it is stored past it. The home chunk comes from the hash by a multiply, so
//! any chunk count works: the index is sized to the map's bound at 60 % load, not to a
//! power of two.
//!
//! So a hit reads one line of the index and the arena node, and a miss usually one line
//! (1.17 on average after long random churn at full load, see the tests). A removal
//! empties its lane and counts down the overflow of the chunks its probe passed, so a
//! cache that evicts and inserts forever never rebuilds its index. (A `hashbrown` table
//! of `u32`s, the index before, filled with tombstones under that churn and was rebuilt
//! every eighth of its capacity in removals: 13 % of the instructions of
//! `benches/lru.rs`. This index made that workload 20–30 % faster; see the changelog.)
//!
//! Invariants (checked by [`SlotIndex::validate`]):
//! - `len` lanes are full, at most [`SlotIndex::capacity`], so a probe always finds an
//!   empty lane; each full lane holds a distinct slot number and its hash's tag;
//! - a chunk's overflow count is at least the number of entries stored past it whose
//!   probe started at or before it. It is exact but for two cases, where it is higher
//!   (probes then run longer, never wrongly): a count that reached [`STICKY`] stays
//!   there, and a removal by scan (of an entry whose hash is unknown) counts nothing
//!   down.

use crate::error::TryReserveError;

/// Where a chunk keeps its overflow count, among its 16 tag bytes.
const OVERFLOW: usize = 15;
/// An overflow count that reached this stays (it no longer counts exactly).
const STICKY: u8 = u8::MAX;
/// The index grows before more than `LOAD_NUM / LOAD_DEN` of its lanes are full. At
/// 3/5, 15-lane chunks cost 7.1 bytes per entry, and a miss reads 1.17 chunks after long
/// churn (2/3: 6.4 bytes, 1.5 chunks; 1/2: 8.5 bytes, 1.04 chunks).
const LOAD_NUM: u64 = 11;
const LOAD_DEN: u64 = 20;

/// The lanes whose byte among `tags` equals `byte`, one bit per byte.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn matching(tags: &[u8; 16], byte: u8) -> u32 {
    use core::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    // SAFETY: SSE2 is enabled (the `cfg`); `_mm_loadu_si128` reads 16 bytes from an
    // address of any alignment, and `tags` is a `[u8; 16]`, valid for reads of 16 bytes.
    let bits =
        unsafe { _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(tags.as_ptr().cast()), _mm_set1_epi8(byte as i8))) };
    bits as u32
}

/// The lanes whose byte among `tags` equals `byte`, one bit per byte.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
fn matching(tags: &[u8; 16], byte: u8) -> u32 {
    let mut bits = 0;
    for (i, &t) in tags.iter().enumerate() {
        bits |= u32::from(t == byte) << i;
    }
    bits
}

/// A set of lanes of one chunk, one bit per lane.
#[derive(Clone, Copy)]
struct Lanes(u32);

impl Iterator for Lanes {
    type Item = usize;

    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            return None;
        }
        let lane = self.0.trailing_zeros() as usize;
        self.0 &= self.0 - 1;
        Some(lane)
    }
}

/// A chunk: 16 tag bytes, then the slot numbers of its lanes, in one cache line.
trait Layout: Copy {
    /// Lanes per chunk (at most 15: the 16th tag byte is the overflow count).
    const LANES: usize;
    /// The most slots an index of this layout numbers: `0..SLOTS`.
    const SLOTS: usize;
    /// An empty chunk.
    const EMPTY: Self;

    fn tags(&self) -> &[u8; 16];
    fn tags_mut(&mut self) -> &mut [u8; 16];
    fn slot(&self, lane: usize) -> u32;
    fn set_slot(&mut self, lane: usize, slot: u32);

    /// The lanes whose tag is `tag`.
    #[inline(always)]
    fn matching(&self, tag: u8) -> Lanes {
        Lanes(matching(self.tags(), tag) & ((1 << Self::LANES) - 1))
    }

    /// The empty lanes.
    #[inline(always)]
    fn empty(&self) -> Lanes {
        self.matching(0)
    }

    /// The full lanes.
    #[inline(always)]
    fn full(&self) -> Lanes {
        Lanes(!self.empty().0 & ((1 << Self::LANES) - 1))
    }

    #[inline(always)]
    fn overflow(&self) -> u8 {
        self.tags()[OVERFLOW]
    }

    #[inline(always)]
    fn count_up(&mut self) {
        let o = &mut self.tags_mut()[OVERFLOW];
        *o = o.saturating_add(1);
    }

    #[inline(always)]
    fn count_down(&mut self) {
        let o = &mut self.tags_mut()[OVERFLOW];
        if *o != STICKY {
            *o -= 1;
        }
    }
}

/// 15 lanes of 3-byte slot numbers: 64 bytes, 4.3 per lane.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Narrow {
    tags: [u8; 16],
    /// 15 little-endian 3-byte slot numbers, then 3 spare bytes (so lane 14 can be read
    /// as 4 bytes).
    slots: [u8; 48],
}

impl Layout for Narrow {
    const LANES: usize = 15;
    const SLOTS: usize = 1 << 24;
    const EMPTY: Self = Self { tags: [0; 16], slots: [0; 48] };

    #[inline(always)]
    fn tags(&self) -> &[u8; 16] {
        &self.tags
    }

    #[inline(always)]
    fn tags_mut(&mut self) -> &mut [u8; 16] {
        &mut self.tags
    }

    #[inline(always)]
    fn slot(&self, lane: usize) -> u32 {
        let b = &self.slots[3 * lane..3 * lane + 4];
        u32::from_le_bytes([b[0], b[1], b[2], b[3]]) & 0xFF_FFFF
    }

    #[inline(always)]
    fn set_slot(&mut self, lane: usize, slot: u32) {
        debug_assert!((slot as usize) < Self::SLOTS);
        self.slots[3 * lane..3 * lane + 3].copy_from_slice(&slot.to_le_bytes()[..3]);
    }
}

/// 12 lanes of 4-byte slot numbers: 64 bytes, 5.3 per lane (tag bytes 12 to 14 unused).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Wide {
    tags: [u8; 16],
    slots: [u32; 12],
}

impl Layout for Wide {
    const LANES: usize = 12;
    const SLOTS: usize = u32::MAX as usize;
    const EMPTY: Self = Self { tags: [0; 16], slots: [0; 12] };

    #[inline(always)]
    fn tags(&self) -> &[u8; 16] {
        &self.tags
    }

    #[inline(always)]
    fn tags_mut(&mut self) -> &mut [u8; 16] {
        &mut self.tags
    }

    #[inline(always)]
    fn slot(&self, lane: usize) -> u32 {
        self.slots[lane]
    }

    #[inline(always)]
    fn set_slot(&mut self, lane: usize, slot: u32) {
        self.slots[lane] = slot;
    }
}

/// The hash, mixed by a multiply: its low 32 bits pick the home chunk, its top byte
/// the tag. A hasher that leaves bits constant (an identity hash of small integers, with
/// every top byte 0) still spreads over the chunks and the tags.
#[inline(always)]
fn mix(hash: u64) -> u64 {
    hash.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The tag of a mixed hash: its top byte, never 0 (the empty tag).
#[inline(always)]
fn tag(mixed: u64) -> u8 {
    let t = (mixed >> 56) as u8;
    t + u8::from(t == 0)
}

/// The chunks an index with room for `len` entries has.
fn chunks_for<L: Layout>(len: usize) -> usize {
    (len as u64 * LOAD_DEN).div_ceil(LOAD_NUM * L::LANES as u64) as usize
}

/// How many entries `n` chunks hold before they must grow: slot numbers stay below
/// `L::SLOTS` because the entries do.
fn room_of<L: Layout>(n: usize) -> usize {
    ((n as u64 * LOAD_NUM * L::LANES as u64 / LOAD_DEN) as usize).min(L::SLOTS)
}

/// Where an entry sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pos {
    chunk: usize,
    lane: usize,
}

/// Where a new entry goes: the first empty lane on its probe path, and where the path
/// starts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Vacancy {
    home: usize,
    at: Pos,
}

/// The chunks of one layout.
#[derive(Clone)]
struct Table<L> {
    chunks: Box<[L]>,
    len: usize,
    /// How many entries fit before the index must grow.
    room: usize,
}

impl<L: Layout> Table<L> {
    /// An empty table with room for at least `room` entries (at most `L::SLOTS`).
    fn try_with_room(room: usize) -> Result<Self, TryReserveError> {
        debug_assert!(room <= L::SLOTS);
        let n = chunks_for::<L>(room);
        let mut v = Vec::new();
        v.try_reserve_exact(n).map_err(|_| TryReserveError::for_vec::<L>(n))?;
        v.resize(n, L::EMPTY);
        Ok(Self { chunks: v.into_boxed_slice(), len: 0, room: room_of::<L>(n) })
    }

    /// The home chunk of a mixed hash (`0 < n <= 2^32` chunks: an arena numbers fewer
    /// than 2^32 slots).
    #[inline(always)]
    fn home(mixed: u64, n: usize) -> usize {
        (((mixed & 0xFFFF_FFFF) * n as u64) >> 32) as usize
    }

    #[inline(always)]
    fn next(&self, chunk: usize) -> usize {
        if chunk + 1 == self.chunks.len() {
            0
        } else {
            chunk + 1
        }
    }

    #[inline(always)]
    fn find(&self, hash: u64, mut eq: impl FnMut(u32) -> bool) -> Option<Pos> {
        let n = self.chunks.len();
        if n == 0 {
            return None;
        }
        let mixed = mix(hash);
        let tag = tag(mixed);
        let mut chunk = Self::home(mixed, n);
        // At most every chunk once: counts that are only ever too high (sticky, or left
        // by removals by scan) could in principle mark them all.
        for _ in 0..n {
            let c = &self.chunks[chunk];
            for lane in c.matching(tag) {
                if eq(c.slot(lane)) {
                    return Some(Pos { chunk, lane });
                }
            }
            if c.overflow() == 0 {
                return None;
            }
            chunk = self.next(chunk);
        }
        None
    }

    #[inline(always)]
    fn probe(&self, hash: u64, mut eq: impl FnMut(u32) -> bool) -> Result<Pos, Vacancy> {
        debug_assert!(self.len < self.room);
        let n = self.chunks.len();
        let mixed = mix(hash);
        let tag = tag(mixed);
        let home = Self::home(mixed, n);
        let mut chunk = home;
        let mut vacant = None;
        for _ in 0..n {
            let c = &self.chunks[chunk];
            for lane in c.matching(tag) {
                if eq(c.slot(lane)) {
                    return Ok(Pos { chunk, lane });
                }
            }
            if vacant.is_none() {
                vacant = c.empty().next().map(|lane| Pos { chunk, lane });
            }
            if c.overflow() == 0 {
                break;
            }
            chunk = self.next(chunk);
        }
        let at = match vacant {
            Some(at) => at,
            None => self.first_empty_from(chunk),
        };
        Err(Vacancy { home, at })
    }

    /// The first empty lane from `chunk` on (there is one: the table has room).
    #[inline]
    fn first_empty_from(&self, mut chunk: usize) -> Pos {
        loop {
            if let Some(lane) = self.chunks[chunk].empty().next() {
                return Pos { chunk, lane };
            }
            chunk = self.next(chunk);
        }
    }

    #[inline(always)]
    fn insert_at(&mut self, hash: u64, v: Vacancy, slot: u32) {
        let mut chunk = v.home;
        while chunk != v.at.chunk {
            self.chunks[chunk].count_up();
            chunk = self.next(chunk);
        }
        let c = &mut self.chunks[chunk];
        c.tags_mut()[v.at.lane] = tag(mix(hash));
        c.set_slot(v.at.lane, slot);
        self.len += 1;
    }

    fn insert(&mut self, hash: u64, slot: u32) {
        let home = Self::home(mix(hash), self.chunks.len());
        let v = Vacancy { home, at: self.first_empty_from(home) };
        self.insert_at(hash, v, slot);
    }

    #[inline(always)]
    fn remove_at(&mut self, hash: u64, pos: Pos) {
        let mut chunk = Self::home(mix(hash), self.chunks.len());
        while chunk != pos.chunk {
            self.chunks[chunk].count_down();
            chunk = self.next(chunk);
        }
        self.chunks[pos.chunk].tags_mut()[pos.lane] = 0;
        self.len -= 1;
    }

    fn position_by_scan(&self, slot: u32) -> Option<Pos> {
        self.chunks
            .iter()
            .enumerate()
            .find_map(|(chunk, c)| c.full().find(|&lane| c.slot(lane) == slot).map(|lane| Pos { chunk, lane }))
    }

    fn slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.chunks.iter().flat_map(|c| c.full().map(move |lane| c.slot(lane)))
    }

    /// The overflow count each chunk needs: the entries stored past it whose probe
    /// started at or before it. `hash_of(slot)` is the hash of slot number `slot`.
    fn needed(&self, mut hash_of: impl FnMut(u32) -> u64) -> Vec<usize> {
        let n = self.chunks.len();
        let mut needed = vec![0; n];
        for (chunk, c) in self.chunks.iter().enumerate() {
            for lane in c.full() {
                let mixed = mix(hash_of(c.slot(lane)));
                assert_eq!(c.tags()[lane], tag(mixed), "validate: slot {} has a stale tag", c.slot(lane));
                let mut at = Self::home(mixed, n);
                while at != chunk {
                    needed[at] += 1;
                    at = self.next(at);
                }
            }
        }
        needed
    }

    fn validate(&self, hash_of: impl FnMut(u32) -> u64) {
        assert!(self.len <= self.room, "validate: {} entries in room for {}", self.len, self.room);
        assert!(self.room <= L::SLOTS, "validate: room for {} entries, past {} slots", self.room, L::SLOTS);
        let full: usize = self.chunks.iter().map(|c| c.full().count()).sum();
        assert_eq!(full, self.len, "validate: the index counts {} entries, holds {full}", self.len);
        for (chunk, (c, k)) in self.chunks.iter().zip(self.needed(hash_of)).enumerate() {
            assert!(
                c.tags()[L::LANES..OVERFLOW].iter().all(|&t| t == 0),
                "validate: chunk {chunk} has a tag past its lanes"
            );
            assert!(
                c.overflow() == STICKY || usize::from(c.overflow()) >= k,
                "validate: chunk {chunk} counts {} overflowing entries, {k} pass it",
                c.overflow()
            );
        }
    }
}

/// The two layouts.
#[derive(Clone)]
enum Repr {
    Narrow(Table<Narrow>),
    Wide(Table<Wide>),
}

/// Run `$e` with `$t` bound to the table, whichever its layout.
macro_rules! each {
    ($repr:expr, $t:ident => $e:expr) => {
        match $repr {
            Repr::Narrow($t) => $e,
            Repr::Wide($t) => $e,
        }
    };
}

/// Slot numbers of the arena, found by hash (see the module docs).
#[derive(Clone)]
pub(crate) struct SlotIndex(Repr);

impl Default for SlotIndex {
    /// An empty index that holds no memory.
    fn default() -> Self {
        Self(Repr::Narrow(Table { chunks: Box::new([]), len: 0, room: 0 }))
    }
}

impl SlotIndex {
    /// A new index with room for at least `room` entries, holding slot numbers
    /// `0..hashes.len()`, slot `i` with hash `hashes[i]`.
    pub(crate) fn try_build(room: usize, hashes: &[u64]) -> Result<Self, TryReserveError> {
        debug_assert!(hashes.len() <= room);
        let mut index = if room <= Narrow::SLOTS {
            Self(Repr::Narrow(Table::try_with_room(room)?))
        } else {
            Self(Repr::Wide(Table::try_with_room(room.min(Wide::SLOTS))?))
        };
        each!(&mut index.0, t => {
            for (i, &hash) in hashes.iter().enumerate() {
                t.insert(hash, i as u32);
            }
        });
        Ok(index)
    }

    /// The number of entries.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        each!(&self.0, t => t.len)
    }

    /// How many entries fit before the index must grow.
    #[inline(always)]
    pub(crate) fn capacity(&self) -> usize {
        each!(&self.0, t => t.room)
    }

    /// The number of chunks (cache lines).
    pub(crate) fn chunks(&self) -> usize {
        each!(&self.0, t => t.chunks.len())
    }

    /// Heap bytes.
    pub(crate) fn allocation_size(&self) -> usize {
        each!(&self.0, t => core::mem::size_of_val(&*t.chunks))
    }

    /// The slot number at `pos`.
    #[inline(always)]
    pub(crate) fn get(&self, pos: Pos) -> u32 {
        each!(&self.0, t => t.chunks[pos.chunk].slot(pos.lane))
    }

    /// Point the entry at `pos` to slot number `slot`.
    #[inline(always)]
    pub(crate) fn set(&mut self, pos: Pos, slot: u32) {
        each!(&mut self.0, t => t.chunks[pos.chunk].set_slot(pos.lane, slot))
    }

    /// Where the entry with `hash` for whose slot number `eq` holds sits.
    #[inline]
    pub(crate) fn find(&self, hash: u64, eq: impl FnMut(u32) -> bool) -> Option<Pos> {
        each!(&self.0, t => t.find(hash, eq))
    }

    /// One probe for `hash`: where the entry `eq` accepts sits, or where a new entry
    /// goes. The index must have room for one more ([`len`](Self::len) below
    /// [`capacity`](Self::capacity)).
    #[inline]
    pub(crate) fn probe(&self, hash: u64, eq: impl FnMut(u32) -> bool) -> Result<Pos, Vacancy> {
        each!(&self.0, t => t.probe(hash, eq))
    }

    /// Store `slot` with `hash` at `v` (from [`probe`](Self::probe) for `hash`; since
    /// then only removals changed the index: they leave `v`'s lane empty).
    #[inline]
    pub(crate) fn insert_at(&mut self, hash: u64, v: Vacancy, slot: u32) {
        each!(&mut self.0, t => t.insert_at(hash, v, slot))
    }

    /// Remove the entry at `pos`, whose hash is `hash`.
    #[inline]
    pub(crate) fn remove_at(&mut self, hash: u64, pos: Pos) {
        each!(&mut self.0, t => t.remove_at(hash, pos))
    }

    /// Where slot number `slot` sits, found by scanning (for an entry whose hash is
    /// unknown: its `Hash` panicked, or changed since it was stored).
    #[cold]
    #[inline(never)]
    pub(crate) fn position_by_scan(&self, slot: u32) -> Option<Pos> {
        each!(&self.0, t => t.position_by_scan(slot))
    }

    /// Remove the entry holding slot number `slot`, found by scanning. The overflow
    /// counts its probe raised stay up (its hash is unknown): probes may run longer
    /// until the index is next rebuilt, and are never wrong.
    #[cold]
    #[inline(never)]
    pub(crate) fn remove_by_scan(&mut self, slot: u32) {
        if let Some(pos) = self.position_by_scan(slot) {
            each!(&mut self.0, t => {
                t.chunks[pos.chunk].tags_mut()[pos.lane] = 0;
                t.len -= 1;
            })
        }
    }

    /// The slot numbers, in no order.
    pub(crate) fn slots(&self) -> Vec<u32> {
        each!(&self.0, t => t.slots().collect())
    }

    /// Check the invariants in the module docs; `hash_of(slot)` is the hash of the
    /// entry at slot number `slot`.
    pub(crate) fn validate(&self, hash_of: impl FnMut(u32) -> u64) {
        each!(&self.0, t => t.validate(hash_of))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A xorshift stream.
    fn stream(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    fn table(ix: &SlotIndex) -> &Table<Narrow> {
        match &ix.0 {
            Repr::Narrow(t) => t,
            Repr::Wide(_) => panic!("a wide index"),
        }
    }

    /// The mean number of chunks a missed lookup reads.
    fn miss_probe(t: &Table<Narrow>, rnd: &mut impl FnMut() -> u64, lookups: usize) -> f64 {
        let total: usize = (0..lookups)
            .map(|_| {
                let mut c = Table::<Narrow>::home(mix(rnd()), t.chunks.len());
                let mut k = 1;
                while t.chunks[c].overflow() != 0 {
                    c = t.next(c);
                    k += 1;
                }
                k
            })
            .sum();
        total as f64 / lookups as f64
    }

    /// A hash whose mixed form has home chunk 0 of any table.
    fn homed_at_zero(rnd: &mut impl FnMut() -> u64) -> u64 {
        loop {
            let h = rnd();
            if mix(h) & 0xFFFF_FFFF < 1 << 20 {
                return h;
            }
        }
    }

    #[test]
    fn chunks_are_one_cache_line() {
        assert_eq!(core::mem::size_of::<Narrow>(), 64);
        assert_eq!(core::mem::align_of::<Narrow>(), 64);
        assert_eq!(core::mem::size_of::<Wide>(), 64);
        assert_eq!(core::mem::align_of::<Wide>(), 64);
    }

    #[test]
    fn narrow_lanes_keep_24_bit_slot_numbers_apart() {
        let mut c = Narrow::EMPTY;
        for lane in 0..Narrow::LANES {
            c.set_slot(lane, 0xFF_FFFF - lane as u32);
        }
        for lane in 0..Narrow::LANES {
            assert_eq!(c.slot(lane), 0xFF_FFFF - lane as u32);
        }
        assert_eq!(c.tags, [0; 16]);
        c.tags[3] = 9;
        c.tags[OVERFLOW] = 9;
        assert_eq!(c.matching(9).collect::<Vec<_>>(), [3], "the overflow byte is not a lane");
        assert_eq!(c.full().collect::<Vec<_>>(), [3]);
    }

    /// Every entry is found while all homes are one chunk, and the overflow counts go
    /// back to 0 once the index is empty.
    #[test]
    fn entries_homed_in_one_chunk_are_found_and_counted_back_down() {
        let mut rnd = stream(7);
        let hs: Vec<u64> = (0..96).map(|_| homed_at_zero(&mut rnd)).collect();
        let mut ix = SlotIndex::try_build(96, &hs[..60]).unwrap();
        ix.validate(|s| hs[s as usize]);
        for s in 0..60u32 {
            assert_eq!(ix.find(hs[s as usize], |j| j == s).map(|p| ix.get(p)), Some(s));
        }
        for s in 0..60u32 {
            let pos = ix.find(hs[s as usize], |j| j == s).unwrap();
            ix.remove_at(hs[s as usize], pos);
            ix.validate(|s| hs[s as usize]);
        }
        assert_eq!(ix.len(), 0);
        assert!(table(&ix).chunks.iter().all(|c| c.overflow() == 0));
        for s in 60..96u32 {
            let h = hs[s as usize];
            let v = ix.probe(h, |_| false).unwrap_err();
            ix.insert_at(h, v, s);
        }
        ix.validate(|s| hs[s as usize]);
        assert_eq!(ix.slots().len(), 36);
        assert_eq!(ix.probe(hs[70], |j| j == 70).ok().map(|p| ix.get(p)), Some(70));
    }

    /// A full cache replaces a random entry, over and over: missed lookups stay short,
    /// and the counts stay exact.
    #[test]
    fn churn_at_full_load_keeps_misses_short_and_counts_exact() {
        let n = if cfg!(miri) { 100 } else { 10_000 };
        let mut rnd = stream(88_172_645_463_325_252);
        let mut hs: Vec<u64> = (0..n).map(|_| rnd()).collect();
        let mut ix = SlotIndex::try_build(n, &hs).unwrap();
        for _ in 0..20 * n {
            let victim = (rnd() % n as u64) as u32;
            let h = hs[victim as usize];
            let pos = ix.find(h, |j| j == victim).unwrap();
            ix.remove_at(h, pos);
            let new = rnd();
            let v = ix.probe(new, |_| false).unwrap_err();
            ix.insert_at(new, v, victim);
            hs[victim as usize] = new;
        }
        ix.validate(|s| hs[s as usize]);
        let t = table(&ix);
        let needed = t.needed(|s| hs[s as usize]);
        assert!(t.chunks.iter().zip(needed).all(|(c, k)| usize::from(c.overflow()) == k), "counts drifted");
        if !cfg!(miri) {
            let churned = miss_probe(t, &mut rnd, 10_000);
            assert!(churned < 1.25, "a miss reads {churned:.2} chunks");
        }
    }

    /// The wide layout (arenas past 2^24 slots) under the same churn, built small.
    #[test]
    fn the_wide_layout_churns_like_the_narrow_one() {
        let n = if cfg!(miri) { 60 } else { 2_000 };
        let mut rnd = stream(5);
        let mut hs: Vec<u64> = (0..n).map(|_| rnd()).collect();
        let mut ix = SlotIndex(Repr::Wide(Table::try_with_room(n).unwrap()));
        for (s, &h) in hs.iter().enumerate() {
            let v = ix.probe(h, |_| false).unwrap_err();
            ix.insert_at(h, v, s as u32);
        }
        for _ in 0..10 * n {
            let victim = (rnd() % n as u64) as u32;
            let h = hs[victim as usize];
            let pos = ix.find(h, |j| j == victim).unwrap();
            assert_eq!(ix.get(pos), victim);
            ix.remove_at(h, pos);
            let new = rnd();
            let v = ix.probe(new, |_| false).unwrap_err();
            ix.insert_at(new, v, victim);
            hs[victim as usize] = new;
        }
        ix.validate(|s| hs[s as usize]);
        let mut slots = ix.slots();
        slots.sort_unstable();
        assert!(slots.into_iter().eq(0..n as u32));
        ix.remove_by_scan(7);
        assert_eq!(ix.len(), n - 1);
        assert_eq!(ix.find(hs[7], |j| j == 7), None);
    }

    /// Sequential integers hashed by identity (top bytes all 0) spread over the chunks.
    #[test]
    fn an_identity_hash_spreads() {
        let n = if cfg!(miri) { 200 } else { 1000 };
        let hs: Vec<u64> = (0..n).collect();
        let ix = SlotIndex::try_build(n as usize, &hs).unwrap();
        let t = table(&ix);
        let busiest = t.chunks.iter().map(|c| c.full().count()).max().unwrap();
        assert!(busiest < Narrow::LANES, "a chunk filled up");
        let tags: std::collections::HashSet<u8> =
            t.chunks.iter().flat_map(|c| c.full().map(move |l| c.tags[l])).collect();
        assert!(tags.len() as u64 > n / 5, "{} distinct tags", tags.len());
    }

    #[test]
    fn removal_by_scan_keeps_lookups_right() {
        let mut rnd = stream(3);
        let hs: Vec<u64> = (0..40).map(|_| homed_at_zero(&mut rnd)).collect();
        let mut ix = SlotIndex::try_build(40, &hs).unwrap();
        for s in [3, 17, 29] {
            ix.remove_by_scan(s);
        }
        let live = |s: u32| ![3, 17, 29].contains(&s);
        ix.validate(|s| if live(s) { hs[s as usize] } else { unreachable!("slot {s} was removed") });
        for s in 0..40u32 {
            assert_eq!(ix.find(hs[s as usize], |j| j == s).is_some(), live(s), "slot {s}");
        }
    }

    #[test]
    fn sizes_to_any_chunk_count_and_widens_past_24_bits() {
        assert_eq!(chunks_for::<Narrow>(0), 0);
        assert_eq!(chunks_for::<Narrow>(1), 1);
        assert_eq!(chunks_for::<Narrow>(10_000), 1213, "10k entries at 55 % of 15 lanes, no power of two");
        let ix = SlotIndex::try_build(10_000, &[]).unwrap();
        assert!(ix.capacity() >= 10_000);
        assert_eq!(ix.allocation_size(), 1213 * 64);
        assert_eq!(SlotIndex::default().allocation_size(), 0);
        assert_eq!(SlotIndex::default().find(7, |_| true), None);
        // The narrow table's room stops at 2^24 entries; a larger one is wide.
        assert_eq!(room_of::<Narrow>(chunks_for::<Narrow>(Narrow::SLOTS)), Narrow::SLOTS);
        // 163 MB: not under Miri.
        if !cfg!(miri) {
            let wide = SlotIndex::try_build(Narrow::SLOTS + 1, &[1, 2, 3]).unwrap();
            assert!(matches!(wide.0, Repr::Wide(_)));
            assert_eq!(wide.find(2, |j| j == 1).map(|p| wide.get(p)), Some(1));
            wide.validate(|s| u64::from(s) + 1);
        }
    }
}
