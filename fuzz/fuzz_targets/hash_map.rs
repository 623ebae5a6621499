//! `leakless::HashMap` against `std::collections::HashMap`, `validate()` after every op.
#![no_main]

use std::collections::HashMap as Model;

use arbitrary::Arbitrary;
use leakless::hash_map::Entry;
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
    EntryOrInsertWith(u16, u32),
    EntryOrInsertWithKey(u16, u32),
    EntryOrDefault(u16),
    EntryAndModify(u16, u32),
    /// Occupied: `insert` (old value back); vacant: `insert`.
    EntrySet(u16, u32),
    /// Occupied: `get_mut`, then `remove`.
    EntryTake(u16, u32),
    EntryInsertEntry(u16, u32),
    IterMut(u32),
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
                    Entry::Occupied(o) => Some(o.remove_entry()),
                    Entry::Vacant(_) => None,
                };
                assert_eq!(a, model.remove_entry(&k));
            }
            Op::EntryOrInsertWith(k, v) => {
                let absent = !model.contains_key(&k);
                let mut called = false;
                let a = *map.entry(k).or_insert_with(|| {
                    called = true;
                    v
                });
                assert_eq!(called, absent, "or_insert_with runs its closure iff the key is absent");
                assert_eq!(a, *model.entry(k).or_insert(v));
            }
            Op::EntryOrInsertWithKey(k, v) => {
                let a = *map.entry(k).or_insert_with_key(|key| {
                    assert_eq!(*key, k);
                    v ^ u32::from(*key)
                });
                assert_eq!(a, *model.entry(k).or_insert(v ^ u32::from(k)));
            }
            Op::EntryOrDefault(k) => {
                let a = map.entry(k).or_default();
                *a = a.wrapping_add(1);
                let b = model.entry(k).or_default();
                *b = b.wrapping_add(1);
                assert_eq!(*a, *b);
            }
            Op::EntryAndModify(k, v) => {
                // A vacant entry left unused inserts nothing (the model comparison checks it).
                let e = map.entry(k).and_modify(|x| *x = x.wrapping_mul(3) ^ v);
                assert_eq!(*e.key(), k);
                assert_eq!(matches!(e, Entry::Occupied(_)), model.contains_key(&k));
                if let Some(x) = model.get_mut(&k) {
                    *x = x.wrapping_mul(3) ^ v;
                }
            }
            Op::EntrySet(k, v) => {
                let old = model.insert(k, v);
                match map.entry(k) {
                    Entry::Occupied(mut o) => {
                        assert_eq!(Some(*o.get()), old);
                        assert_eq!(Some(o.insert(v)), old);
                        assert_eq!(*o.get(), v);
                    }
                    Entry::Vacant(e) => {
                        assert_eq!(old, None);
                        assert_eq!(*e.key(), k);
                        assert_eq!(*e.insert(v), v);
                    }
                }
            }
            Op::EntryTake(k, v) => {
                let got = match map.entry(k) {
                    Entry::Occupied(mut o) => {
                        *o.get_mut() ^= v;
                        Some(o.remove() ^ v)
                    }
                    Entry::Vacant(e) => {
                        assert_eq!(e.into_key(), k);
                        None
                    }
                };
                assert_eq!(got, model.remove(&k));
            }
            Op::EntryInsertEntry(k, v) => {
                let e = map.entry(k).insert_entry(v);
                assert_eq!((*e.key(), *e.get()), (k, v));
                model.insert(k, v);
            }
            Op::IterMut(x) => {
                let mut seen: Vec<(u16, u32)> = map
                    .iter_mut()
                    .map(|(k, v)| {
                        let old = *v;
                        *v = v.wrapping_add(x ^ u32::from(*k));
                        (*k, old)
                    })
                    .collect();
                let mut want: Vec<(u16, u32)> = model.iter().map(|(k, v)| (*k, *v)).collect();
                seen.sort_unstable();
                want.sort_unstable();
                assert_eq!(seen, want, "iter_mut yields every entry once");
                for (k, v) in model.iter_mut() {
                    *v = v.wrapping_add(x ^ u32::from(*k));
                }
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
