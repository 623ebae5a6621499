//! Unit tests of `LruMap`'s internals: the bound against slot numbers, the index under churn.

use super::Bound;
use crate::raw::arena::MAX_SLOTS;
use crate::Capacity;

/// Slots are `u32`s: no limit lets the map number more entries than `MAX_SLOTS`
/// (beyond it, slot numbers would repeat and entries would overwrite each other).
#[test]
fn every_bound_fits_the_slot_numbers() {
    let huge = usize::MAX;
    for (limit, unit) in [
        (Capacity::unbounded(), true),
        (Capacity::unbounded(), false),
        (Capacity::entries(huge), true),
        (Capacity::weight(u64::MAX), true),
        (Capacity::weight(u64::MAX), false),
        (Capacity::entries(huge).with_max_weight(10), false),
    ] {
        assert_eq!(Bound::of(limit, unit).len, MAX_SLOTS, "{limit:?}, unit weigher: {unit}");
    }
    assert_eq!(Bound::of(Capacity::entries(10), false).len, 10);
    assert_eq!(Bound::of(Capacity::weight(7), true).len, 7, "a unit weight bound is an entry bound");
    let m: crate::LruMap<u8, u8> = crate::LruMap::with_limit(Capacity::unbounded());
    assert_eq!(m.core.max_slots, MAX_SLOTS);
    assert_eq!(MAX_SLOTS as u64, u64::from(u32::MAX) - 1);
}

/// Keys hashed to placed hashes: key `k` to tag `k + 1`, all in home chunk 0.
#[derive(Clone, Default)]
struct Placed(u64);

impl core::hash::Hasher for Placed {
    fn finish(&self) -> u64 {
        crate::raw::index::unmixed(1 + (self.0 % 255) as u8, 0x10)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0 << 8 | u64::from(b);
        }
    }
    fn write_u64(&mut self, k: u64) {
        self.0 = k;
    }
}

#[derive(Clone, Default)]
struct PlaceAll;

impl core::hash::BuildHasher for PlaceAll {
    type Hasher = Placed;
    fn build_hasher(&self) -> Placed {
        Placed(0)
    }
}

/// Removing entries far from their home chunk leaves the index's overflow counts
/// high (stale); the next insert rebuilds it, and the counts are exact again.
#[test]
fn a_stale_index_is_rebuilt_by_the_next_insert() {
    let mut m: crate::LruMap<u64, u64, PlaceAll> = crate::LruMap::builder().max_entries(300).hasher(PlaceAll).build();
    // Room for 300 (the arena grows to its bound first), then 120 keys in one home chunk:
    // chunks 0 to 7, 15 each.
    m.try_reserve(300).unwrap();
    for k in 0..120 {
        m.insert(k, k);
    }
    for k in 105..120 {
        assert_eq!(m.remove(&k), Some(k));
    }
    assert!(m.core.index.is_stale(), "the removals of chunk 7 (7 chunks from home) counted nothing down");
    let chunks = m.core.index.chunks();
    m.insert(500, 500);
    assert!(!m.core.index.is_stale(), "the insert rebuilt the index");
    assert_eq!(m.core.index.chunks(), chunks, "at its size");
    m.validate();
    assert!((0..105).chain([500]).all(|k| m.peek(&k) == Some(&k)));
}

/// A full cache that evicts on every insert, and also removes, never rebuilds or
/// grows its index (it has no tombstones to reclaim).
#[test]
fn churn_never_grows_the_index() {
    // Scaled down under Miri, which runs the crate's unit tests (this one is safe code).
    let (cap, ops) = if cfg!(miri) { (64u64, 1_000) } else { (1000, 100_000) };
    let mut m = crate::LruMap::new(cap as usize);
    for k in 0..cap {
        m.insert(k, k);
    }
    let chunks = m.core.index.chunks();
    for k in cap..ops {
        m.insert(k, k);
        if k % 3 == 0 {
            m.remove(&(k - cap / 2));
        }
        assert_eq!(m.core.index.chunks(), chunks, "the index was rebuilt at {k}");
    }
    m.validate();
}
