//! Tests of the arena's hash index ([`SlotIndex`](super::SlotIndex)).

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

/// `ops` steps of churn: each removes a random slot's entry (found by its hash in `hs`)
/// and inserts it again under a fresh hash, recorded in `hs`.
fn churn(ix: &mut SlotIndex, hs: &mut [u64], rnd: &mut impl FnMut() -> u64, ops: usize) {
    let n = hs.len() as u64;
    for _ in 0..ops {
        let victim = (rnd() % n) as u32;
        let pos = ix.find(hs[victim as usize], |j| j == victim).unwrap();
        assert_eq!(ix.get(pos), victim);
        ix.remove_at(pos);
        let new = rnd();
        let v = ix.probe(new, |_| false).unwrap_err();
        ix.insert_at(v, victim);
        hs[victim as usize] = new;
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
    // Uniform over the hashes whose mixed low 32 bits are below 2^20, as drawing
    // until one is (which took ~4,096 draws per hash, minutes under Miri).
    let r = rnd();
    unmix((r & !0xFFFF_FFFF) | (r & 0xF_FFFF))
}

/// A key whose `Hash` changed since its insert may still be found under the new
/// hash (same tag, a probe that reaches its chunk). Its removal must count down the
/// chunks its insert counted up, not those on the new hash's path: one of those held
/// exactly the count of another entry stored past it, which a lookup then missed.
#[test]
fn removal_under_a_changed_hash_keeps_other_entries_findable() {
    let mut hs = vec![unmixed(0x77, 0x10)];
    hs.extend((0..16u32).map(|i| unmixed(0x20 + i as u8, 0xFFFF_FF00 + i)));
    let mut ix = SlotIndex::try_build(24, &hs).unwrap();
    ix.validate(|s| hs[s as usize]);
    assert!(ix.chunks() >= 2);
    let changed = unmixed(0x77, 0xFFFF_FFFF);
    let pos = ix.find(changed, |j| j == 0).expect("found under the changed hash");
    ix.remove_at(pos);
    for s in 1..=16u32 {
        assert_eq!(ix.find(hs[s as usize], |j| j == s).map(|p| ix.get(p)), Some(s), "slot {s} is lost");
    }
    ix.validate(|s| hs[s as usize]);
}

/// Removing entries `FAR` or more from home cannot count down (their exact probe is
/// unknown): the counts stay up, and the index reports itself stale.
#[test]
fn far_removals_leave_counts_up_and_mark_the_index_stale() {
    let hs: Vec<u64> = (0..120u32).map(|i| unmixed(1 + i as u8, 0x10)).collect();
    let mut ix = SlotIndex::try_build(300, &hs).unwrap();
    ix.validate(|s| hs[s as usize]);
    assert!(!ix.is_stale());
    // Under Miri, checking after every eighth removal (and at the end) keeps the test
    // to seconds.
    let every = if cfg!(miri) { 8 } else { 1 };
    for s in 0..120u32 {
        let pos = ix.find(hs[s as usize], |j| j == s).unwrap();
        ix.remove_at(pos);
        if s % every == 0 {
            ix.validate(|s| hs[s as usize]);
        }
    }
    ix.validate(|s| hs[s as usize]);
    // 15 entries per chunk: those in chunk 7 were `FAR` from home.
    let t = table(&ix);
    assert_eq!(t.stale, 15);
    assert!(ix.is_stale());
    let counts: Vec<u8> = t.chunks.iter().map(|c| c.overflow()).collect();
    assert_eq!(counts[..8], [15, 15, 15, 15, 15, 15, 15, 0]);
    assert!(counts[8..].iter().all(|&c| c == 0));
}

#[test]
fn chunks_are_one_cache_line() {
    assert_eq!(core::mem::size_of::<Narrow>(), 64);
    assert_eq!(core::mem::align_of::<Narrow>(), 64);
    assert_eq!(core::mem::size_of::<Wide>(), 64);
    assert_eq!(core::mem::align_of::<Wide>(), 64);
}

#[test]
fn narrow_lanes_keep_slot_numbers_and_distances_apart() {
    let mut c = Narrow::EMPTY;
    for lane in 0..Narrow::LANES {
        c.put(lane, 1, 0x3F_FFFF - lane as u32, lane as u8 % 8);
    }
    for lane in 0..Narrow::LANES {
        assert_eq!(c.slot(lane), 0x3F_FFFF - lane as u32);
        assert_eq!(c.dist(lane), lane as u8 % 8);
        c.set_slot(lane, lane as u32);
        assert_eq!((c.slot(lane), c.dist(lane)), (lane as u32, lane as u8 % 8), "set_slot keeps the distance");
    }
    c.tags = [0; 16];
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
        ix.remove_at(pos);
        ix.validate(|s| hs[s as usize]);
    }
    assert_eq!(ix.len(), 0);
    assert!(table(&ix).chunks.iter().all(|c| c.overflow() == 0));
    assert!(!ix.is_stale());
    for s in 60..96u32 {
        let h = hs[s as usize];
        let v = ix.probe(h, |_| false).unwrap_err();
        ix.insert_at(v, s);
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
    churn(&mut ix, &mut hs, &mut rnd, 20 * n);
    ix.validate(|s| hs[s as usize]);
    let t = table(&ix);
    let needed = t.needed(|s| hs[s as usize]);
    let excess: usize = t.chunks.iter().zip(needed).map(|(c, k)| usize::from(c.overflow()) - k).sum();
    // Counts are exact but for removals of entries `FAR` from home, which are rare.
    assert!(excess >= 3 * t.stale && (excess == 0) == (t.stale == 0), "{excess} excess, {} stale", t.stale);
    assert!(t.stale * 1000 <= 20 * n, "{} removals far from home", t.stale);
    if !cfg!(miri) {
        let churned = miss_probe(t, &mut rnd, 10_000);
        assert!(churned < 1.25, "a miss reads {churned:.2} chunks");
    }
}

/// The wide layout (arenas past 2^22 slots) under the same churn, built small.
#[test]
fn the_wide_layout_churns_like_the_narrow_one() {
    let n = if cfg!(miri) { 60 } else { 2_000 };
    let mut rnd = stream(5);
    let mut hs: Vec<u64> = (0..n).map(|_| rnd()).collect();
    let mut ix = SlotIndex(Repr::Wide(Table::try_with_room(n).unwrap()));
    for (s, &h) in hs.iter().enumerate() {
        let v = ix.probe(h, |_| false).unwrap_err();
        ix.insert_at(v, s as u32);
    }
    churn(&mut ix, &mut hs, &mut rnd, 10 * n);
    ix.validate(|s| hs[s as usize]);
    let mut slots = ix.slots();
    slots.sort_unstable();
    assert!(slots.into_iter().eq(0..n as u32));
    ix.remove_by_scan(7);
    assert_eq!(ix.len(), n - 1);
    assert_eq!(ix.find(hs[7], |j| j == 7), None);
}

/// Sequential integers hashed by identity (high bits all 0), or shifted into the
/// high half (low bits all 0), spread over the chunks and the tags.
#[test]
fn hashes_with_constant_halves_spread() {
    let n = if cfg!(miri) { 200 } else { 1000 };
    for shift in [0, 32, 40] {
        let hs: Vec<u64> = (0..n).map(|k| k << shift).collect();
        let ix = SlotIndex::try_build(n as usize, &hs).unwrap();
        let t = table(&ix);
        let busiest = t.chunks.iter().map(|c| c.full().count()).max().unwrap();
        assert!(busiest < Narrow::LANES, "keys << {shift}: a chunk filled up");
        let tags: std::collections::HashSet<u8> =
            t.chunks.iter().flat_map(|c| c.full().map(move |l| c.tags[l])).collect();
        assert!(tags.len() as u64 > n / 5, "keys << {shift}: {} distinct tags", tags.len());
    }
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
    // The narrow table's room stops at 2^22 entries; a larger one is wide.
    assert_eq!(room_of::<Narrow>(chunks_for::<Narrow>(Narrow::SLOTS)), Narrow::SLOTS);
    // 163 MB: not under Miri.
    if !cfg!(miri) {
        let wide = SlotIndex::try_build(Narrow::SLOTS + 1, &[1, 2, 3]).unwrap();
        assert!(matches!(wide.0, Repr::Wide(_)));
        assert_eq!(wide.find(2, |j| j == 1).map(|p| wide.get(p)), Some(1));
        wide.validate(|s| u64::from(s) + 1);
    }
}
