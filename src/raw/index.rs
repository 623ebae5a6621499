//! [`SlotIndex`]: the arena's hash index. Slot numbers sit in chunks of one cache line,
//! beside their one-byte tags, and a removal leaves no tombstone.
//!
//! A chunk holds 16 tag bytes and its lanes' slot numbers: 15 lanes of 22-bit slot
//! numbers (arenas of up to 2^22 slots), or 12 lanes of 32-bit ones beyond that. A tag is
//! 0 for an empty lane and otherwise 8 bits of the hash; the 16th byte counts overflow;
//! each lane also records its distance from its home chunk, exact below
//! [`Layout::FAR`] (7 chunks, 3 for the wide layout). A lookup compares the key's tag with the chunk's tags at once (one
//! SSE2 compare on x86-64), compares the key of each slot whose tag matches, and goes
//! on to the next chunk only while the chunk's overflow count says that an entry whose
//! probe started at or before it is stored past it. The home chunk comes from the hash
//! by a multiply, so any chunk count works: the index is sized to the map's bound at
//! 55 % load, not to a power of two.
//!
//! So a hit reads one line of the index and the arena node, and a miss usually one line
//! (1.17 on average after long random churn at full load, see the tests). A removal
//! empties its lane and counts down the overflow of the chunks its probe passed, found
//! from the lane's distance rather than from the hash (a key whose `Hash` changed since
//! its insert must not count down chunks its probe never passed: that would hide other
//! entries). So a cache that evicts and inserts forever never rebuilds its index, except
//! when removals of entries [`Layout::FAR`] from home (rare: a run of full chunks) left
//! enough counts too high ([`SlotIndex::needs_room`]). (A `hashbrown` table of `u32`s, the index
//! before, filled with tombstones under that churn and was rebuilt every eighth of its
//! capacity in removals: 13 % of the instructions of `benches/lru.rs`.)
//!
//! Invariants (checked by [`SlotIndex::validate`]):
//! - `len` lanes are full, at most [`SlotIndex::capacity`], so a probe always finds an
//!   empty lane; each full lane holds a distinct slot number, its hash's tag, and its
//!   distance from the home chunk of its hash (or [`Layout::FAR`]);
//! - a chunk's overflow count is at least the number of entries stored past it whose
//!   probe started at or before it. It is exact but for two cases, where it is higher
//!   (probes then run longer, never wrongly): a count that reached [`STICKY`] stays
//!   there, and the removal of an entry [`Layout::FAR`] from home counts nothing down.

use crate::error::TryReserveError;

/// Where a chunk keeps its overflow count, among its 16 tag bytes.
const OVERFLOW: usize = 15;
/// An overflow count that reached this stays (it no longer counts exactly).
const STICKY: u8 = u8::MAX;
/// The index grows before more than `LOAD_NUM / LOAD_DEN` of its lanes are full. At
/// 11/20, 15-lane chunks cost 7.8 bytes per entry (3/5: 7.1 bytes, but a miss read 1.17
/// chunks after long churn and mispredicted 30 % more branches in `benches/lru.rs`; 2/3:
/// 6.4 bytes, 1.5 chunks; 1/2: 8.5 bytes, 1.04 chunks).
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
    /// The distance a lane records for an entry this many chunks or more from its home
    /// chunk (distances below it are exact).
    const FAR: u8;

    fn tags(&self) -> &[u8; 16];
    fn tags_mut(&mut self) -> &mut [u8; 16];
    fn slot(&self, lane: usize) -> u32;
    /// Point `lane` at `slot`, keeping its distance.
    fn set_slot(&mut self, lane: usize, slot: u32);
    /// How many chunks past its home chunk the entry in `lane` sits, at most
    /// [`FAR`](Self::FAR).
    fn dist(&self, lane: usize) -> u8;
    /// Fill `lane` with `tag`, `slot` and `dist` (at most [`FAR`](Self::FAR)).
    fn put(&mut self, lane: usize, tag: u8, slot: u32, dist: u8);

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

/// 15 lanes of 22-bit slot numbers: 64 bytes, 4.3 per lane.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Narrow {
    tags: [u8; 16],
    /// 15 little-endian 3-byte fields (a slot number, then the high two bits of the
    /// lane's distance in bits 22 and 23), then 3 bytes holding the low bit of each
    /// lane's distance.
    slots: [u8; 48],
}

impl Narrow {
    /// The 3-byte field of `lane`.
    #[inline(always)]
    fn field(&self, lane: usize) -> u32 {
        let b: [u8; 4] = self.slots[3 * lane..3 * lane + 4].try_into().expect("4 bytes");
        u32::from_le_bytes(b) & 0xFF_FFFF
    }

    #[inline(always)]
    fn set_field(&mut self, lane: usize, field: u32) {
        self.slots[3 * lane..3 * lane + 3].copy_from_slice(&field.to_le_bytes()[..3]);
    }

    /// The low distance bits, one per lane.
    #[inline(always)]
    fn low_dists(&self) -> u32 {
        u32::from_le_bytes([self.slots[45], self.slots[46], 0, 0])
    }
}

impl Layout for Narrow {
    const LANES: usize = 15;
    const SLOTS: usize = 1 << 22;
    const EMPTY: Self = Self { tags: [0; 16], slots: [0; 48] };
    const FAR: u8 = 7;

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
        self.field(lane) & 0x3F_FFFF
    }

    #[inline(always)]
    fn set_slot(&mut self, lane: usize, slot: u32) {
        debug_assert!((slot as usize) < Self::SLOTS);
        self.set_field(lane, self.field(lane) & 0xC0_0000 | slot);
    }

    #[inline(always)]
    fn dist(&self, lane: usize) -> u8 {
        (self.field(lane) >> 21) as u8 & 6 | (self.low_dists() >> lane) as u8 & 1
    }

    #[inline(always)]
    fn put(&mut self, lane: usize, tag: u8, slot: u32, dist: u8) {
        debug_assert!((slot as usize) < Self::SLOTS && dist <= Self::FAR);
        self.tags[lane] = tag;
        self.set_field(lane, u32::from(dist >> 1) << 22 | slot);
        let low = self.low_dists() & !(1 << lane) | u32::from(dist & 1) << lane;
        self.slots[45..47].copy_from_slice(&low.to_le_bytes()[..2]);
    }
}

/// 12 lanes of 4-byte slot numbers: 64 bytes, 5.3 per lane (tag bytes 12 to 14 hold the
/// lanes' distances, 2 bits each).
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
    const FAR: u8 = 3;

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

    #[inline(always)]
    fn dist(&self, lane: usize) -> u8 {
        (self.dists() >> (2 * lane)) as u8 & Self::FAR
    }

    #[inline(always)]
    fn put(&mut self, lane: usize, tag: u8, slot: u32, dist: u8) {
        self.tags[lane] = tag;
        self.slots[lane] = slot;
        let d = self.dists() & !(3 << (2 * lane)) | u32::from(dist) << (2 * lane);
        self.tags[12..15].copy_from_slice(&d.to_le_bytes()[..3]);
    }
}

impl Wide {
    /// The distances, 2 bits per lane.
    #[inline(always)]
    fn dists(&self) -> u32 {
        u32::from_le_bytes([self.tags[12], self.tags[13], self.tags[14], 0])
    }
}

/// The hash, folded and mixed by a multiply: its low 32 bits pick the home chunk, its
/// top byte the tag, and both depend on all 64 bits of the hash. So a hasher that leaves
/// bits constant still spreads over the chunks and the tags: an identity hash of small
/// integers (every high bit 0), or one whose entropy is in the high half.
#[inline(always)]
fn mix(hash: u64) -> u64 {
    (hash ^ (hash >> 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The hash whose mixed form has top byte `tag` and low 32 bits `low` (its home chunk
/// is `low * chunks >> 32`), for tests that place entries.
#[cfg(test)]
pub(crate) fn unmixed(tag: u8, low: u32) -> u64 {
    unmix((u64::from(tag) << 56) | u64::from(low))
}

/// The hash whose mixed form is `mixed`: [`mix`] is a bijection.
#[cfg(test)]
pub(crate) fn unmix(mixed: u64) -> u64 {
    let m = 0x9E37_79B9_7F4A_7C15u64;
    // The inverse of the odd multiplier mod 2^64, by Newton's iteration.
    let mut inv = m;
    for _ in 0..6 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(m.wrapping_mul(inv)));
    }
    let folded = mixed.wrapping_mul(inv);
    // The fold `h ^ (h >> 32)` is its own inverse.
    let h = folded ^ (folded >> 32);
    assert_eq!(mix(h), mixed);
    h
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
    tag: u8,
}

/// The chunks of one layout.
#[derive(Clone)]
struct Table<L> {
    chunks: Box<[L]>,
    len: usize,
    /// How many entries fit before the index must grow.
    room: usize,
    /// `room`, or 0 once the index is stale: the one number an insert checks.
    limit: usize,
    /// Removals that could not count down the overflow counts of their probe (the
    /// entry was [`Layout::FAR`] or more from home): the counts are higher than needed until
    /// the index is rebuilt.
    stale: usize,
}

impl<L> Default for Table<L> {
    /// An empty table that holds no memory.
    fn default() -> Self {
        Self { chunks: Box::new([]), len: 0, room: 0, limit: 0, stale: 0 }
    }
}

impl<L: Layout> Table<L> {
    /// An empty table with room for at least `room` entries (at most `L::SLOTS`).
    fn try_with_room(room: usize) -> Result<Self, TryReserveError> {
        debug_assert!(room <= L::SLOTS);
        let n = chunks_for::<L>(room);
        let mut v = Vec::new();
        v.try_reserve_exact(n).map_err(|_| TryReserveError::for_vec::<L>(n))?;
        v.resize(n, L::EMPTY);
        let room = room_of::<L>(n);
        Ok(Self { chunks: v.into_boxed_slice(), len: 0, room, limit: room, stale: 0 })
    }

    /// `true` once removals of entries far from home left enough overflow counts too
    /// high that the table should be rebuilt: more than one per 16 chunks (each such
    /// removal leaves at least [`Layout::FAR`] counts high).
    #[inline]
    fn is_stale(&self) -> bool {
        self.stale > self.chunks.len() / 16
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
    fn prefetch(&self, hash: u64) {
        let n = self.chunks.len();
        if n != 0 {
            let chunk: *const L = &self.chunks[Self::home(mix(hash), n)];
            #[cfg(all(target_arch = "x86_64", target_feature = "sse", not(miri)))]
            // SAFETY: SSE is enabled (the `cfg`), which is all `_mm_prefetch` requires. A
            // prefetch is a hint: it reads nothing the program can observe and cannot
            // fault, whatever the address (and `chunk` points into the live table).
            unsafe {
                core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(chunk.cast());
            }
            #[cfg(not(all(target_arch = "x86_64", target_feature = "sse", not(miri))))]
            let _ = chunk;
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
        Err(Vacancy { home, at, tag })
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
    fn insert_at(&mut self, v: Vacancy, slot: u32) {
        let mut chunk = v.home;
        let mut dist = 0;
        while chunk != v.at.chunk {
            self.chunks[chunk].count_up();
            chunk = self.next(chunk);
            dist = L::FAR.min(dist + 1);
        }
        self.chunks[chunk].put(v.at.lane, v.tag, slot, dist);
        self.len += 1;
    }

    fn insert(&mut self, hash: u64, slot: u32) {
        let mixed = mix(hash);
        let home = Self::home(mixed, self.chunks.len());
        let v = Vacancy { home, at: self.first_empty_from(home), tag: tag(mixed) };
        self.insert_at(v, slot);
    }

    /// Empty the lane at `pos`, counting down the overflow of the chunks its entry's
    /// probe passed, found from the lane's distance (not from the entry's hash, which a
    /// `Hash` that changed since the insert would get wrong; counting down a chunk the
    /// probe did not pass could hide other entries).
    #[inline(always)]
    fn remove_at(&mut self, pos: Pos) {
        let dist = self.chunks[pos.chunk].dist(pos.lane);
        if dist < L::FAR {
            let mut chunk = pos.chunk;
            for _ in 0..dist {
                chunk = if chunk == 0 { self.chunks.len() - 1 } else { chunk - 1 };
                self.chunks[chunk].count_down();
            }
        } else {
            self.stale += 1;
            if self.is_stale() {
                self.limit = 0;
            }
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
                let mut dist = 0;
                while at != chunk {
                    needed[at] += 1;
                    at = self.next(at);
                    dist += 1;
                }
                assert_eq!(
                    c.dist(lane),
                    L::FAR.min(dist),
                    "validate: slot {} is {dist} chunks from home",
                    c.slot(lane)
                );
            }
        }
        needed
    }

    fn validate(&self, hash_of: impl FnMut(u32) -> u64) {
        assert!(self.len <= self.room, "validate: {} entries in room for {}", self.len, self.room);
        assert!(self.room <= L::SLOTS, "validate: room for {} entries, past {} slots", self.room, L::SLOTS);
        assert_eq!(self.limit, if self.is_stale() { 0 } else { self.room }, "validate: the insert limit is off");
        let full: usize = self.chunks.iter().map(|c| c.full().count()).sum();
        assert_eq!(full, self.len, "validate: the index counts {} entries, holds {full}", self.len);
        for (chunk, (c, k)) in self.chunks.iter().zip(self.needed(hash_of)).enumerate() {
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
        Self(Repr::Narrow(Table::default()))
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

    /// `true` if the index must be grown, or rebuilt because it is stale, before one
    /// more entry goes in (one comparison).
    #[inline(always)]
    pub(crate) fn needs_room(&self) -> bool {
        each!(&self.0, t => t.len >= t.limit)
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

    /// Start loading the chunk a lookup of `hash` reads first, without waiting for it
    /// (a hint to the processor; nothing on targets without one, and under Miri).
    #[inline(always)]
    pub(crate) fn prefetch(&self, hash: u64) {
        each!(&self.0, t => t.prefetch(hash))
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

    /// Store `slot` at `v` (from [`probe`](Self::probe); since then only removals
    /// changed the index: they leave `v`'s lane empty).
    #[inline]
    pub(crate) fn insert_at(&mut self, v: Vacancy, slot: u32) {
        each!(&mut self.0, t => t.insert_at(v, slot))
    }

    /// Remove the entry at `pos` (found by [`find`](Self::find) or
    /// [`position_by_scan`](Self::position_by_scan)).
    #[inline]
    pub(crate) fn remove_at(&mut self, pos: Pos) {
        each!(&mut self.0, t => t.remove_at(pos))
    }

    /// `true` once the index should be rebuilt ([`Table::is_stale`]); then
    /// [`needs_room`](Self::needs_room) says so too.
    #[cfg(test)]
    pub(crate) fn is_stale(&self) -> bool {
        each!(&self.0, t => t.is_stale())
    }

    /// Where slot number `slot` sits, found by scanning (for an entry whose hash is
    /// unknown: its `Hash` panicked, or changed since it was stored).
    #[cold]
    #[inline(never)]
    pub(crate) fn position_by_scan(&self, slot: u32) -> Option<Pos> {
        each!(&self.0, t => t.position_by_scan(slot))
    }

    /// Remove the entry holding slot number `slot`, found by scanning.
    #[cold]
    #[inline(never)]
    pub(crate) fn remove_by_scan(&mut self, slot: u32) {
        if let Some(pos) = self.position_by_scan(slot) {
            self.remove_at(pos);
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
mod tests;
