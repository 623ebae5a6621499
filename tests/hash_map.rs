//! `leakless::HashMap`: std parity beyond the model test, and what is different.

use std::collections::HashMap as StdMap;

use leakless::hash_map::Entry;
use leakless::{HashMap, RemovalCause, ShrinkPolicy, TryReserveError};

fn n(x: usize) -> usize {
    if cfg!(miri) {
        x.min(200)
    } else {
        x
    }
}

#[test]
fn trait_impls_match_std() {
    let m: HashMap<String, u32> = HashMap::from([("a".into(), 1), ("b".into(), 2)]);
    let s: StdMap<String, u32> = StdMap::from([("a".into(), 1), ("b".into(), 2)]);
    assert_eq!(m["a"], s["a"]);
    assert_eq!(m.get("b"), s.get("b"));
    let c = m.clone();
    assert_eq!(c, m);
    let mut d = c.clone();
    d.insert("c".into(), 3);
    assert_ne!(d, m);
    assert_eq!(format!("{:?}", HashMap::from([(1, 2)])), format!("{:?}", StdMap::from([(1, 2)])));
    let e: HashMap<u8, u8> = HashMap::default();
    assert!(e.is_empty() && e.capacity() == 0);

    let mut x: HashMap<u32, u32> = HashMap::new();
    x.extend([(1, 1), (2, 2)]);
    x.extend([(&3, &3)]);
    assert_eq!(x.len(), 3);
    let mut sum = 0;
    for (k, v) in &x {
        sum += k + v;
    }
    for (_, v) in &mut x {
        *v += 1;
    }
    assert_eq!(sum, 12);
    assert_eq!(x.values().sum::<u32>(), 9);
    let mut keys: Vec<_> = x.clone().into_keys().collect();
    keys.sort();
    assert_eq!(keys, [1, 2, 3]);
    let mut values: Vec<_> = x.into_values().collect();
    values.sort();
    assert_eq!(values, [2, 3, 4]);
}

#[test]
#[should_panic(expected = "no entry found for key")]
fn index_panics_on_a_missing_key() {
    let m: HashMap<u8, u8> = HashMap::new();
    let _ = m[&1];
}

#[test]
fn entry_api() {
    let mut m: HashMap<&str, Vec<u32>> = HashMap::new();
    m.entry("a").or_default().push(1);
    m.entry("a").or_insert_with(|| vec![7]).push(2);
    m.entry("b").or_insert_with_key(|k| vec![k.len() as u32]);
    assert_eq!(m["a"], [1, 2]);
    assert_eq!(m["b"], [1]);
    match m.entry("a") {
        Entry::Occupied(mut o) => {
            assert_eq!(o.key(), &"a");
            o.get_mut().push(3);
            assert_eq!(o.insert(vec![9]), [1, 2, 3]);
        }
        Entry::Vacant(_) => unreachable!(),
    }
    match m.entry("z") {
        Entry::Vacant(v) => assert_eq!(v.into_key(), "z"),
        Entry::Occupied(_) => unreachable!(),
    }
    assert!(!m.contains_key("z"), "a vacant entry that is not used inserts nothing");
    assert_eq!(format!("{:?}", m.entry("a")), r#"Entry(OccupiedEntry { key: "a", value: [9], .. })"#);
}

#[test]
fn get_disjoint_mut() {
    let mut m = HashMap::from([(1, 10), (2, 20)]);
    let [a, b] = m.get_disjoint_mut([&1, &2]);
    std::mem::swap(a.unwrap(), b.unwrap());
    assert_eq!((m[&1], m[&2]), (20, 10));
}

#[test]
#[should_panic]
fn get_disjoint_mut_panics_on_equal_keys() {
    let mut m = HashMap::from([(1, 10)]);
    let _ = m.get_disjoint_mut([&1, &1]);
}

#[test]
fn try_reserve_reports_overflow() {
    let mut m: HashMap<u64, u64> = HashMap::new();
    assert_eq!(m.try_reserve(usize::MAX), Err(TryReserveError::CapacityOverflow));
    assert_eq!(m.try_reserve(usize::MAX / 8), Err(TryReserveError::CapacityOverflow));
    assert!(m.try_reserve(100).is_ok());
    assert!(m.capacity() >= 100);
    let e = m.try_reserve(usize::MAX).unwrap_err();
    assert!(e.to_string().contains("capacity overflow"));
}

#[test]
fn zero_capacity_is_fine() {
    let mut m: HashMap<u8, u8> = HashMap::with_capacity(0);
    assert_eq!(m.allocation_size(), 0);
    assert_eq!(m.remove(&1), None);
    m.clear();
    m.shrink_to_fit();
    m.insert(1, 1);
    assert_eq!(m.remove(&1), Some(1));
    // An emptied map keeps the smallest table (toggling 0 <-> 1 entries must not
    // allocate on every insert); `shrink_to_fit` gives even that back.
    assert!(m.capacity() <= 7, "at most the smallest table stays: {}", m.capacity());
    m.shrink_to_fit();
    assert_eq!(m.capacity(), 0, "shrink_to_fit on an empty map frees its table");
    assert!(m.allocation_size() <= 80, "only its stats block stays: {}", m.allocation_size());
}

/// The default hasher is seeded per map: two maps with the same keys iterate in different
/// orders (HashDoS resistance), while a fixed-seed hasher reproduces one order.
#[test]
fn default_hasher_is_randomized_per_map() {
    let keys = 0..n(64) as u32;
    let a: HashMap<u32, ()> = keys.clone().map(|k| (k, ())).collect();
    let differs = (0..8).any(|_| {
        let b: HashMap<u32, ()> = keys.clone().map(|k| (k, ())).collect();
        a.keys().ne(b.keys())
    });
    assert!(differs, "nine maps iterated identically");
    assert_ne!(a.hasher().hash_one(1u32), HashMap::<u32, ()>::new().hasher().hash_one(1u32));

    let fixed = || HashMap::<u32, (), _>::with_hasher(ahash::RandomState::with_seeds(1, 2, 3, 4));
    let mut x = fixed();
    let mut y = fixed();
    x.extend(keys.clone().map(|k| (k, ())));
    y.extend(keys.map(|k| (k, ())));
    assert!(x.keys().eq(y.keys()), "a fixed-seed hasher replays identically");
}

#[test]
fn stats_count_what_happened() {
    let mut m = HashMap::new();
    for i in 0..n(1000) as u64 {
        m.insert(i, i);
    }
    m.insert(0, 1);
    assert!(m.get(&1).is_some());
    assert!(m.get(&u64::MAX).is_none());
    assert!(m.contains_key(&2));
    for i in 0..n(1000) as u64 {
        m.remove(&i);
    }
    let s = m.stats();
    assert_eq!(s.insertions, n(1000) as u64);
    assert_eq!(s.removals(RemovalCause::Replaced), 1);
    assert_eq!(s.removals(RemovalCause::Explicit), n(1000) as u64);
    assert_eq!((s.hits, s.misses), (2, 1));
    assert!(s.shrinks > 0);
    assert!((s.hit_ratio() - 2.0 / 3.0).abs() < 1e-9);
}

#[test]
fn shrink_policy_never_behaves_like_std() {
    let mut m = HashMap::new().with_shrink_policy(ShrinkPolicy::never());
    for i in 0..n(10_000) as u32 {
        m.insert(i, i);
    }
    let bytes = m.allocation_size();
    m.retain(|_, _| false);
    assert_eq!(m.allocation_size(), bytes);
    m.clear();
    assert_eq!(m.allocation_size(), bytes);
    m.shrink_to_fit();
    assert_eq!(m.capacity(), 0, "an explicit request still shrinks");
}

#[test]
fn shrink_to_lowers_the_floor() {
    let mut m = HashMap::with_capacity(1000);
    m.insert(1u32, 1u32);
    m.shrink_to(10);
    assert!(m.capacity() >= 10 && m.capacity() < 1000);
    m.remove(&1);
    m.clear();
    assert!(m.capacity() < 1000);
}

#[test]
fn extract_if_dropped_early_keeps_the_rest() {
    let mut m: HashMap<u32, u32> = (0..n(1000) as u32).map(|i| (i, i)).collect();
    let first: Vec<_> = m.extract_if(|_, _| true).take(10).collect();
    assert_eq!(first.len(), 10);
    assert_eq!(m.len(), n(1000) - 10);
    for (k, _) in first {
        assert!(!m.contains_key(&k));
    }
    m.validate();
}

#[test]
fn drain_dropped_early_empties_the_map() {
    let mut m: HashMap<u32, String> = (0..n(100) as u32).map(|i| (i, i.to_string())).collect();
    let mut d = m.drain();
    assert!(d.next().is_some());
    drop(d);
    assert!(m.is_empty());
    m.insert(1, "x".into());
    assert_eq!(m.len(), 1);
    m.validate();
}

#[test]
fn lookups_through_borrow() {
    let mut m: HashMap<String, Vec<u8>> = HashMap::new();
    m.insert("key".to_string(), vec![1]);
    assert!(m.contains_key("key"));
    m.get_mut("key").unwrap().push(2);
    assert_eq!(m.get_key_value("key"), Some((&"key".to_string(), &vec![1, 2])));
    assert_eq!(m.remove_entry("key"), Some(("key".to_string(), vec![1, 2])));
}

/// A map of maps stores one `HashMap` header per inner map, inline in its outer table:
/// the header costs at most 64 bytes more than `std`'s with the same hasher (the shrink
/// threshold, the policy, the floor and the counters behind `stats()`).
#[test]
fn header_is_at_most_64_bytes_over_std() {
    use std::mem::size_of;
    type A = ahash::RandomState;
    let ours = size_of::<HashMap<u64, u64, A>>();
    let std = size_of::<StdMap<u64, u64, A>>();
    assert!(ours <= std + 64, "leakless::HashMap is {ours} bytes, std's {std}");
}

/// Insert a new key and remove the oldest, `ops` times at `live` entries: the largest
/// `capacity()` each map reached.
fn churn_peaks(live: u64, ops: u64, policy: ShrinkPolicy) -> (usize, usize) {
    let mut ours: HashMap<u64, u64> = HashMap::new().with_shrink_policy(policy);
    let mut std: StdMap<u64, u64> = StdMap::new();
    let (mut peak_ours, mut peak_std) = (0, 0);
    for i in 0..ops {
        ours.insert(i, i);
        std.insert(i, i);
        // Read right after the insert too: a table that just grew reports its full
        // capacity here, while a removal may leave a tombstone that lowers `capacity()`
        // by one in either map, depending on where the (randomly seeded) hashes fell.
        peak_ours = peak_ours.max(ours.capacity());
        peak_std = peak_std.max(std.capacity());
        if i >= live {
            ours.remove(&(i - live));
            std.remove(&(i - live));
        }
        peak_ours = peak_ours.max(ours.capacity());
        peak_std = peak_std.max(std.capacity());
    }
    ours.validate();
    (peak_ours, peak_std)
}

/// Under churn at a constant length, tombstones use up a table's room while it is at
/// most half full: `std` then rehashes in place and keeps its size. This map rebuilds at
/// the same size too (in a new allocation, which a panicking `Hash` cannot break); it
/// used to double instead, reaching 2–4× `std`'s capacity with `ShrinkPolicy::never()`.
#[test]
fn churn_at_a_constant_length_keeps_std_capacity() {
    // Miri runs this suite: a thousand operations there (the 100 live entries still
    // cycle through the table nine times over).
    let (sizes, ops): (&[u64], u64) = if cfg!(miri) { (&[100], 1_000) } else { (&[100, 200, 3000], 200_000) };
    for &live in sizes {
        for policy in [ShrinkPolicy::never(), ShrinkPolicy::default()] {
            let (ours, std) = churn_peaks(live, ops, policy);
            assert_eq!(ours, std, "{live} live entries, {policy:?}: peak capacity {ours}, std {std}");
        }
    }
}

/// The iterators have `std`'s `Clone`, `Debug` and `Default` where it has them (code
/// that clones `keys()` or prints an iterator must compile against either map).
#[test]
fn iterators_clone_debug_and_default_as_std() {
    use leakless::hash_map::{IntoIter, IntoKeys, IntoValues, Iter, IterMut, Keys, Values, ValuesMut};
    let m = HashMap::from([(1, 'a')]);
    let s = StdMap::from([(1, 'a')]);
    assert_eq!(format!("{:?}", m.keys().clone()), format!("{:?}", s.keys().clone()));
    assert_eq!(format!("{:?}", m.values().clone()), format!("{:?}", s.values().clone()));
    assert_eq!(format!("{:?}", m.iter().clone()), format!("{:?}", s.iter().clone()));
    let (mut m2, mut s2) = (m.clone(), s.clone());
    assert_eq!(format!("{:?}", m2.iter_mut()), format!("{:?}", s2.iter_mut()));
    assert_eq!(format!("{:?}", m2.values_mut()), format!("{:?}", s2.values_mut()));
    assert_eq!(format!("{:?}", m2.entry(1)), format!("{:?}", s2.entry(1)));
    assert_eq!(format!("{:?}", m.clone().into_iter()), format!("{:?}", s.clone().into_iter()));
    assert_eq!(format!("{:?}", m2.drain()), format!("{:?}", s2.drain()));
    fn fused<I: std::iter::FusedIterator>(_: &I) {}
    fused(&m2.extract_if(|_, _| true));
    assert_eq!(format!("{:?}", m2.entry(2)), format!("{:?}", s2.entry(2)));
    assert_eq!(format!("{:?}", m.clone().into_keys()), format!("{:?}", s.clone().into_keys()));
    assert_eq!(format!("{:?}", m.clone().into_values()), format!("{:?}", s.clone().into_values()));
    // Only what is left, in the order the iterator yields it.
    let big = HashMap::from([(1, 'a'), (2, 'b'), (3, 'c')]);
    let mut keys = big.clone().into_keys();
    keys.next();
    let printed = format!("{keys:?}");
    assert_eq!(printed, format!("{:?}", keys.collect::<Vec<_>>()));
    let mut values = big.clone().into_values();
    values.next();
    let printed = format!("{values:?}");
    assert_eq!(printed, format!("{:?}", values.collect::<Vec<_>>()));
    let mut big = big;
    let mut values = big.values_mut();
    values.next();
    let printed = format!("{values:?}");
    assert_eq!(printed, format!("{:?}", values.collect::<Vec<_>>()));
    assert_eq!(Iter::<u8, u8>::default().len(), 0);
    assert_eq!(IterMut::<u8, u8>::default().len(), 0);
    assert_eq!(Keys::<u8, u8>::default().len(), 0);
    assert_eq!(Values::<u8, u8>::default().len(), 0);
    assert_eq!(ValuesMut::<u8, u8>::default().len(), 0);
    assert_eq!(IntoIter::<u8, u8>::default().len(), 0);
    assert_eq!(IntoKeys::<u8, u8>::default().len(), 0);
    assert_eq!(IntoValues::<u8, u8>::default().len(), 0);
}

/// `entry` (and `insert`) of a key already present never grows a full table: counting
/// into a map filled to its capacity does not double it (`std`'s `entry` does not either).
#[test]
fn a_present_key_never_grows_a_full_table() {
    for n in [3usize, 7, 14, 28, 896] {
        let mut m: HashMap<u64, u64> = HashMap::with_capacity(n);
        let mut s: StdMap<u64, u64> = StdMap::with_capacity(n);
        let mut i = 0;
        while m.len() < m.capacity() {
            m.insert(i, 0);
            i += 1;
        }
        while s.len() < s.capacity() {
            s.insert(i, 0);
            i += 1;
        }
        let (cap, bytes, std_cap) = (m.capacity(), m.allocation_size(), s.capacity());
        *m.entry(0).or_insert(0) += 1;
        m.insert(1, 5);
        *s.entry(*s.keys().next().unwrap()).or_insert(0) += 1;
        assert_eq!(s.capacity(), std_cap);
        assert_eq!((m.capacity(), m.allocation_size()), (cap, bytes), "with_capacity({n}), full");
        assert_eq!((m[&0], m[&1]), (1, 5));
        m.insert(u64::MAX, 0); // a new key does grow it
        assert!(m.capacity() > cap);
        m.validate();
    }
}

/// The shrink threshold a removal caches is for the table it saw: after the table grows
/// (through `insert`, `entry` or `reserve`), removals must shrink by the grown table's
/// threshold, not the old one.
#[test]
fn a_map_that_grew_after_a_removal_still_shrinks() {
    type Grow = fn(&mut HashMap<u32, u32>, u32);
    let ways: [(&str, Grow); 3] = [
        ("insert", |m, k| {
            m.insert(k, k);
        }),
        ("entry", |m, k| {
            m.entry(k).or_insert(k);
        }),
        ("reserve", |m, k| {
            if k % 1000 == 0 {
                m.reserve(1000);
            }
            m.insert(k, k);
        }),
    ];
    for (way, grow) in ways {
        let mut m: HashMap<u32, u32> = HashMap::new();
        for k in 0..8 {
            m.insert(k, k);
        }
        m.remove(&0); // caches the threshold of the small table
        let count = n(20_000) as u32;
        for k in 8..count {
            grow(&mut m, k);
        }
        let grown = m.capacity();
        for k in 1..count - count / 200 {
            m.remove(&k);
        }
        m.validate();
        assert!(
            m.capacity() <= grown / 16,
            "{way}: {} entries left in room for {} (grown to {grown})",
            m.len(),
            m.capacity()
        );
    }
}
