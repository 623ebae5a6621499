//! `leakless::ConcurrentMap` against `std::collections::HashMap`, `validate()` after every
//! op; a second, bounded map checks its bound and that every value is finalized once.
#![no_main]

use std::collections::HashMap as Model;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

use arbitrary::Arbitrary;
use leakless::ConcurrentMap;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Insert(u16, u32),
    Remove(u16),
    Get(u16),
    Update(u16, u32),
    Compute(u16, Option<u32>),
    GetOrInsert(u16, u32),
    Retain(u8),
    Clear,
    PinnedGet(u16),
    InsertMany(u16, u16),
    RemoveRange(u16, u16),
}

fn fixed() -> leakless::DefaultHashBuilder {
    leakless::DefaultHashBuilder::with_seeds(1, 2, 3, 4)
}

fuzz_target!(|input: (u8, Vec<Op>)| {
    let (bound, ops) = input;
    let map: ConcurrentMap<u16, u32, _> = ConcurrentMap::with_hasher(fixed());
    let finalized = Arc::new(AtomicUsize::new(0));
    let f = Arc::clone(&finalized);
    let cache = ConcurrentMap::builder()
        .max_entries(bound as usize)
        .hasher(fixed())
        .finalizer(move |_: u16, _: u32, _| {
            f.fetch_add(1, Relaxed);
        })
        .build();
    let mut stored = 0usize;
    let mut model: Model<u16, u32> = Model::new();
    for op in ops {
        match op {
            Op::Insert(k, v) => {
                assert_eq!(map.insert(k, v), model.insert(k, v).is_none());
                cache.insert(k, v);
                stored += 1;
            }
            Op::Remove(k) => {
                assert_eq!(map.remove(&k), model.remove(&k).is_some());
                cache.remove(&k);
            }
            Op::Get(k) => {
                assert_eq!(map.get_cloned(&k), model.get(&k).copied());
                if let Some(v) = cache.get_cloned(&k) {
                    assert_eq!(Some(&v), model.get(&k), "the cache holds only the latest value");
                }
            }
            Op::Update(k, v) => {
                let present = model.get_mut(&k).map(|x| *x ^= v).is_some();
                assert_eq!(map.update(k, |x| x ^ v), present);
                if cache.update(k, |x| x ^ v) {
                    stored += 1;
                }
            }
            Op::Compute(k, v) => {
                match v {
                    Some(v) => {
                        model.insert(k, v);
                    }
                    None => {
                        model.remove(&k);
                    }
                }
                assert_eq!(map.compute(k, |_| v), v.is_some());
                cache.remove(&k);
            }
            Op::GetOrInsert(k, v) => {
                let want = *model.entry(k).or_insert(v);
                assert_eq!(map.get_or_insert_with(k, || v), want);
                cache.remove(&k);
            }
            Op::Retain(d) => {
                let d = u16::from(d.max(1));
                map.retain(|k, _| k % d == 0);
                model.retain(|k, _| k % d == 0);
                cache.retain(|k, _| k % d == 0);
            }
            Op::Clear => {
                map.clear();
                model.clear();
                cache.clear();
            }
            Op::PinnedGet(k) => {
                let p = map.pin();
                assert_eq!(p.get(&k), model.get(&k));
                assert_eq!(p.iter().count(), model.len());
            }
            Op::InsertMany(start, n) => {
                for k in start..start.saturating_add(n % 2048) {
                    map.insert(k, u32::from(k));
                    model.insert(k, u32::from(k));
                    // The cache mirrors every write, so what it holds is never stale.
                    cache.insert(k, u32::from(k));
                    stored += 1;
                }
            }
            Op::RemoveRange(start, n) => {
                for k in start..start.saturating_add(n % 2048) {
                    map.remove(&k);
                    model.remove(&k);
                    cache.remove(&k);
                }
            }
        }
        map.validate();
        cache.validate();
        assert_eq!(map.len(), model.len());
        assert!(cache.len() <= bound as usize);
    }
    let cached = cache.len();
    drop(cache);
    assert_eq!(finalized.load(Relaxed), stored, "every stored value finalized exactly once ({cached} at drop)");
});
