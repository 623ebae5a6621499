//! `leakless::HashMap` against `std::collections::HashMap`, `validate()` after every op.
#![no_main]

use std::collections::HashMap as Model;

use arbitrary::Arbitrary;
use leakless::HashMap;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Insert(u16, u32),
    Remove(u16),
    Get(u16),
    GetMut(u16, u32),
    EntryOrInsert(u16, u32),
    EntryRemove(u16),
    Retain(u16),
    ExtractIf(u16),
    Drain,
    Clear,
    Reserve(u16),
    ShrinkToFit,
    ShrinkTo(u16),
    InsertMany(u16, u16),
    RemoveRange(u16, u16),
}

fuzz_target!(|ops: Vec<Op>| {
    let mut map: HashMap<u16, u32, _> = HashMap::with_hasher(ahash_fixed());
    let mut model: Model<u16, u32> = Model::new();
    for op in ops {
        match op {
            Op::Insert(k, v) => assert_eq!(map.insert(k, v), model.insert(k, v)),
            Op::Remove(k) => assert_eq!(map.remove(&k), model.remove(&k)),
            Op::Get(k) => assert_eq!(map.get(&k), model.get(&k)),
            Op::GetMut(k, v) => {
                let (a, b) = (map.get_mut(&k), model.get_mut(&k));
                assert_eq!(a.as_deref(), b.as_deref());
                if let Some(x) = a {
                    *x = v;
                }
                if let Some(x) = b {
                    *x = v;
                }
            }
            Op::EntryOrInsert(k, v) => assert_eq!(*map.entry(k).or_insert(v), *model.entry(k).or_insert(v)),
            Op::EntryRemove(k) => {
                let a = match map.entry(k) {
                    leakless::hash_map::Entry::Occupied(o) => Some(o.remove_entry()),
                    leakless::hash_map::Entry::Vacant(_) => None,
                };
                assert_eq!(a, model.remove_entry(&k));
            }
            Op::Retain(m) => {
                let m = m.max(1);
                map.retain(|k, _| k % m == 0);
                model.retain(|k, _| k % m == 0);
            }
            Op::ExtractIf(m) => {
                let m = m.max(1);
                let mut a: Vec<_> = map.extract_if(|k, _| k % m == 1).collect();
                let mut b: Vec<_> = model.extract_if(|k, _| k % m == 1).collect();
                a.sort();
                b.sort();
                assert_eq!(a, b);
            }
            Op::Drain => {
                let mut a: Vec<_> = map.drain().collect();
                let mut b: Vec<_> = model.drain().collect();
                a.sort();
                b.sort();
                assert_eq!(a, b);
            }
            Op::Clear => {
                map.clear();
                model.clear();
            }
            Op::Reserve(n) => {
                map.reserve(n as usize);
                assert!(map.capacity() >= map.len() + n as usize);
            }
            Op::ShrinkToFit => map.shrink_to_fit(),
            Op::ShrinkTo(n) => {
                // Room for `max(n, len)` or the current room if less; never more bytes
                // (`capacity()` itself may rise when a rebuild drops tombstones).
                let (before, bytes) = (map.capacity(), map.allocation_size());
                map.shrink_to(n as usize);
                assert!(map.capacity() >= map.len() && map.capacity() >= (n as usize).min(before));
                assert!(map.allocation_size() <= bytes);
            }
            Op::InsertMany(start, n) => {
                for k in start..start.saturating_add(n % 2048) {
                    assert_eq!(map.insert(k, k as u32), model.insert(k, k as u32));
                }
            }
            Op::RemoveRange(start, n) => {
                for k in start..start.saturating_add(n % 2048) {
                    assert_eq!(map.remove(&k), model.remove(&k));
                }
            }
        }
        map.validate();
        assert_eq!(map.len(), model.len());
        assert!(map.capacity() >= map.len());
    }
    let mut a: Vec<_> = map.into_iter().collect();
    let mut b: Vec<_> = model.into_iter().collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
});

/// A fixed-seed hasher, so a crash replays identically.
fn ahash_fixed() -> leakless::DefaultHashBuilder {
    leakless::DefaultHashBuilder::with_seeds(1, 2, 3, 4)
}
