//! Round trips through `serde_json` (feature `serde`).
#![cfg(feature = "serde")]

use std::collections::BTreeSet;

use leakless::{
    Capacity, ConcurrentMap, FinalizingMap, FixedState, HashMap, LruMap, NestedMap, NoopFinalizer, WTinyLfu,
};

#[test]
fn hash_map_round_trip() {
    let m: HashMap<u32, String> = (0..100).map(|i| (i, i.to_string())).collect();
    let json = serde_json::to_string(&m).unwrap();
    let back: HashMap<u32, String, FixedState> = serde_json::from_str(&json).unwrap();
    back.validate();
    assert_eq!(back.len(), 100);
    assert!(m.iter().all(|(k, v)| back.get(k) == Some(v)));
    assert_eq!(serde_json::from_str::<HashMap<u32, u32>>("{}").unwrap().len(), 0);
}

#[test]
fn hash_map_format_is_std_format() {
    let mut m: HashMap<String, u8> = HashMap::new();
    m.insert("a".into(), 1);
    let std_map: std::collections::HashMap<String, u8> =
        serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
    assert_eq!(std_map["a"], 1);
    let back: HashMap<String, u8> = serde_json::from_str(r#"{"x": 1, "x": 2}"#).unwrap();
    assert_eq!(back["x"], 2, "a repeated key: the last wins");
}

#[test]
fn deserialized_hash_map_has_no_floor() {
    let m: HashMap<u32, u32> = (0..5000).map(|i| (i, i)).collect();
    let mut back: HashMap<u32, u32> = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
    let peak = back.allocation_size();
    back.retain(|_, _| false);
    assert!(back.allocation_size() <= peak / 100, "the length hint did not become a floor");
}

#[test]
fn finalizing_map_round_trip() {
    let mut m: FinalizingMap<u8, Vec<u8>> = FinalizingMap::default();
    m.insert(1, vec![1, 2]);
    m.insert(2, vec![]);
    let back: FinalizingMap<u8, Vec<u8>, NoopFinalizer, FixedState> =
        serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
    back.validate();
    assert_eq!(back.get(&1), Some(&vec![1, 2]));
    assert_eq!(back.get(&2), Some(&vec![]));
    assert_eq!(back.len(), 2);
}

#[test]
fn nested_map_round_trip() {
    let mut m: NestedMap<u32, HashMap<u32, u32>> = NestedMap::new();
    for a in 0..10 {
        for b in 0..a {
            m.insert(a, b, a * b);
        }
    }
    let json = serde_json::to_string(&m).unwrap();
    let back: NestedMap<u32, HashMap<u32, u32>> = serde_json::from_str(&json).unwrap();
    back.validate();
    assert_eq!((back.len(), back.outer_len()), (m.len(), m.outer_len()));
    assert_eq!(back, m);
}

/// Inner `LruMap`s (which have no `Default`) come back with their limits and recency
/// order; a repeated outer key's collection replaces the earlier one.
#[test]
fn nested_map_of_lru_maps_round_trip() {
    let mut m: NestedMap<u8, LruMap<u32, u32>> = NestedMap::new();
    for (a, b) in [(1, 10), (1, 11), (2, 20), (1, 12), (1, 13)] {
        m.inner_mut_or_insert_with(a, || LruMap::new(3)).insert(b, b * 2);
    }
    let json = serde_json::to_string(&m).unwrap();
    let mut back: NestedMap<u8, LruMap<u32, u32>> = serde_json::from_str(&json).unwrap();
    back.validate();
    assert_eq!((back.len(), back.outer_len()), (4, 2));
    let order = |m: &NestedMap<u8, LruMap<u32, u32>>| m.iter_inner(&1).map(|(k, _)| *k).collect::<Vec<_>>();
    assert_eq!(order(&back), [13, 12, 11], "most recently used first, 10 evicted");
    back.inner_mut_or_insert_with(1, || unreachable!()).insert(14, 28);
    assert_eq!(order(&back), [14, 13, 12], "the limit of 3 came back: 11 evicted");

    let dup: NestedMap<u8, Vec<u8>> = serde_json::from_str(r#"{"1": [1], "1": [2, 3]}"#).unwrap();
    dup.validate();
    assert_eq!(dup.get_inner(&1), Some(&vec![2, 3]));
    assert_eq!(dup.len(), 2);
}

#[test]
fn nested_map_drops_empty_inner_collections() {
    let back: NestedMap<String, BTreeSet<u8>> = serde_json::from_str(r#"{"a": [1, 2], "b": [], "c": [3]}"#).unwrap();
    back.validate();
    assert_eq!(back.outer_len(), 2, "the empty inner set was not stored");
    assert_eq!(back.len(), 3);
    assert!(back.get_inner("b").is_none());
    // Deeper: an inner nested map whose own inner collections are all empty.
    let deep: NestedMap<u8, NestedMap<u8, Vec<u8>>> =
        serde_json::from_str(r#"{"1": {"2": []}, "3": {"4": [5]}}"#).unwrap();
    deep.validate();
    assert_eq!((deep.outer_len(), deep.len()), (1, 1));
}

fn keys<P: leakless::EvictionPolicy>(m: &LruMap<u32, u32, leakless::DefaultHashBuilder, P>) -> Vec<u32> {
    m.keys().copied().collect()
}

#[test]
fn lru_map_round_trip_keeps_recency_and_eviction_order() {
    let mut m = LruMap::new(50);
    for i in 0..80 {
        m.insert(i, i * 10);
        if i % 3 == 0 {
            m.get(&(i / 2)); // promote some old entries
        }
    }
    let json = serde_json::to_string(&m).unwrap();
    let mut back: LruMap<u32, u32> = serde_json::from_str(&json).unwrap();
    back.validate();
    assert_eq!(back.limit(), m.limit());
    assert_eq!(keys(&back), keys(&m), "same order, most recently used first");
    // The same victims, in the same order, from here on.
    for i in 1000..1060 {
        assert_eq!(back.push(i, 0), m.push(i, 0));
    }
    assert_eq!(keys(&back), keys(&m));
}

#[test]
fn lru_map_format() {
    let mut m = LruMap::builder().max_entries(3).max_weight(100).build();
    m.insert("x".to_string(), 1);
    m.insert("y".to_string(), 2);
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"limit": {"max_entries": 3, "max_weight": 100}, "entries": [["y", 2], ["x", 1]]})
    );
}

#[test]
fn lru_map_limit_applies_on_the_way_in() {
    // More entries than the limit (hand-written input): the most recent ones are kept.
    let json = r#"{"limit": {"max_entries": 2, "max_weight": null}, "entries": [[3, 3], [2, 2], [1, 1]]}"#;
    let back: LruMap<u32, u32> = serde_json::from_str(json).unwrap();
    back.validate();
    assert_eq!(keys(&back), [3, 2]);
    assert_eq!(back.stats().evictions(), 1);
    // Field order does not matter, unknown fields are ignored; missing ones are errors.
    let json = r#"{"entries": [], "extra": 1, "limit": {"max_weight": 9, "max_entries": null}}"#;
    let back: LruMap<u32, u32> = serde_json::from_str(json).unwrap();
    assert_eq!(back.limit(), Capacity::weight(9));
    assert!(serde_json::from_str::<LruMap<u32, u32>>(r#"{"entries": []}"#).is_err());
    assert!(serde_json::from_str::<LruMap<u32, u32>>(r#"{"limit": null, "entries": []}"#).is_err());
}

#[test]
fn lru_map_unbounded_and_tinylfu() {
    let mut m: LruMap<u32, u32> = LruMap::with_limit(Capacity::unbounded());
    m.extend((0..10).map(|i| (i, i)));
    let back: LruMap<u32, u32> = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
    assert!(back.limit().is_unbounded());
    assert_eq!(keys(&back), keys(&m));

    let mut t = LruMap::builder().max_entries(100).policy(WTinyLfu::default()).build();
    t.extend((0..300u32).map(|i| (i % 150, i)));
    let back: LruMap<u32, u32, leakless::DefaultHashBuilder, WTinyLfu> =
        serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
    back.validate();
    assert_eq!(back.len(), t.len());
    assert!(t.iter().all(|(k, v)| back.peek(k) == Some(v)));
}

#[test]
fn capacity_round_trip() {
    for c in [
        Capacity::unbounded(),
        Capacity::entries(0),
        Capacity::weight(u64::MAX),
        Capacity::entries(7).with_max_weight(8),
    ] {
        let back: Capacity = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }
    // A sequence works too (for formats that write structs as tuples).
    assert_eq!(serde_json::from_str::<Capacity>("[5, null]").unwrap(), Capacity::entries(5));
}

/// Entries beyond the limit, in hand-written input, are evicted oldest first whatever
/// the policy (`WTinyLfu`'s admission used to turn the newest away and keep the oldest).
#[test]
fn lru_over_its_limit_keeps_the_newest_with_either_policy() {
    let sorted = |mut v: Vec<u32>| {
        v.sort();
        v
    };
    // Most recently used first: 3 is the newest, 1 the oldest.
    let json = r#"{"limit": {"max_entries": 2, "max_weight": null}, "entries": [[3, 3], [2, 2], [1, 1]]}"#;
    let lru: LruMap<u32, u32> = serde_json::from_str(json).unwrap();
    assert_eq!(sorted(lru.keys().copied().collect()), [2, 3]);
    let tlfu: LruMap<u32, u32, FixedState, WTinyLfu> = serde_json::from_str(json).unwrap();
    tlfu.validate();
    assert_eq!(sorted(tlfu.keys().copied().collect()), [2, 3]);
    // 15 entries into a limit of 5, with a repeated key: the 5 most recent distinct keys
    // stay, and the recency order is the input's.
    let mut entries: Vec<(u32, u32)> = (0..15).rev().map(|i| (i, i)).collect();
    entries.insert(3, (14, 99)); // an older value of the newest key: replaced
    let json = serde_json::json!({"limit": {"max_entries": 5, "max_weight": null}, "entries": entries}).to_string();
    for keys in [
        serde_json::from_str::<LruMap<u32, u32>>(&json).unwrap().keys().copied().collect::<Vec<_>>(),
        serde_json::from_str::<LruMap<u32, u32, FixedState, WTinyLfu>>(&json).unwrap().keys().copied().collect(),
    ] {
        assert_eq!(sorted(keys), (10..15).collect::<Vec<_>>());
    }
    let back: LruMap<u32, u32> = serde_json::from_str(&json).unwrap();
    assert_eq!(back.keys().copied().collect::<Vec<_>>(), [14, 13, 12, 11, 10], "most recent first");
    assert_eq!(back.peek(&14), Some(&14), "the first listed value of a key wins");
    let s = back.stats();
    assert_eq!((s.insertions, s.evictions(), s.removals(leakless::RemovalCause::Replaced)), (15, 10, 1));
}

/// Weighs an entry by its value.
#[derive(Default, Clone, Copy)]
struct ByValue;

impl leakless::Weigher<u32, u64> for ByValue {
    fn weigh(&self, _: &u32, v: &u64) -> u64 {
        *v
    }
}

impl leakless::lru::EntryWeigher<u32, u64> for ByValue {
    type Stored = u64;

    fn store(weight: u64) -> u64 {
        weight
    }

    fn load(stored: u64) -> u64 {
        stored
    }
}

/// Hand-written input with repeated keys and values heavier than the whole limit leaves
/// the map (entries, recency order, counters) as inserting the entries in order would,
/// also when a key's newest value is rejected after its older value took room.
#[test]
fn lru_restore_is_inserting_in_order() {
    type M = LruMap<u32, u64, FixedState, leakless::Lru, ByValue>;
    let mut x = 0x9E37_79B9u32;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    };
    for case in 0..400 {
        let (max_entries, max_weight) = (next() % 6 + 1, u64::from(next() % 30 + 1));
        let writes: Vec<(u32, u64)> =
            (0..next() % 16).map(|_| (next() % 6, u64::from(next() % 12) * u64::from(next() % 4))).collect();
        let limit = Capacity::entries(max_entries as usize).with_max_weight(max_weight);
        let mut inserted: M = LruMap::builder().limit(limit).hasher(FixedState::default()).weigher(ByValue).build();
        for &(k, v) in &writes {
            inserted.insert(k, v);
        }
        let mru_first: Vec<(u32, u64)> = writes.iter().rev().copied().collect();
        let json = serde_json::json!({
            "limit": {"max_entries": max_entries, "max_weight": max_weight},
            "entries": mru_first,
        });
        let restored: M = serde_json::from_value(json).unwrap();
        restored.validate();
        let pairs = |m: &M| m.iter().map(|(&k, &v)| (k, v)).collect::<Vec<_>>();
        assert_eq!(pairs(&restored), pairs(&inserted), "case {case}: {writes:?} under {limit:?}");
        let (a, b) = (restored.stats(), inserted.stats());
        assert_eq!((a.insertions, a.removed), (b.insertions, b.removed), "case {case}: {writes:?} under {limit:?}");
    }
}

#[test]
fn concurrent_map_round_trip() {
    let m: ConcurrentMap<u32, String> = (0..1000).map(|i| (i, i.to_string())).collect();
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(json, serde_json::to_string(&m.pin()).unwrap(), "the map and a pinned handle agree");
    let back: ConcurrentMap<u32, String, FixedState> = serde_json::from_str(&json).unwrap();
    back.validate();
    assert_eq!(back.len(), 1000);
    let p = back.pin();
    assert!((0..1000).all(|i| p.get(&i) == Some(&i.to_string())));
    let std_map: std::collections::HashMap<u32, String> = serde_json::from_str(&json).unwrap();
    assert_eq!(std_map.len(), 1000, "the format is a plain map");
    let last: ConcurrentMap<String, u8> = serde_json::from_str(r#"{"x": 1, "x": 2}"#).unwrap();
    assert_eq!((last.len(), last.get_cloned("x")), (1, Some(2)), "a repeated key: the last wins");
    assert!(serde_json::from_str::<ConcurrentMap<u8, u8>>("[1]").is_err());
}

/// A deserialized map gets no capacity floor from its length: removing everything gives
/// the table back.
#[test]
fn deserialized_concurrent_map_has_no_floor() {
    let m: ConcurrentMap<u32, u32> = (0..5000).map(|i| (i, i)).collect();
    let back: ConcurrentMap<u32, u32> = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
    let peak = back.allocation_size();
    for i in 0..5000 {
        back.remove(&i);
    }
    for i in 0..1000 {
        back.insert(i, i); // writes finish the shrink and drain the garbage
        back.remove(&i);
    }
    assert!(back.allocation_size() < peak / 20, "{} of {peak} bytes held", back.allocation_size());
}

/// Serializing while another thread writes: the output is a well-formed map, every
/// entry present throughout appears once, and no key appears twice.
#[test]
fn concurrent_map_serializes_while_written() {
    let m: ConcurrentMap<u32, u32> = (0..2000).map(|i| (i, i)).collect();
    std::thread::scope(|s| {
        s.spawn(|| {
            for round in 0..20u32 {
                for i in 2000..4000 {
                    m.insert(i, round);
                }
                for i in 2000..4000 {
                    m.remove(&i);
                }
            }
        });
        for _ in 0..20 {
            let json = serde_json::to_string(&m).unwrap();
            let pairs: Vec<(u32, u32)> = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&json)
                .unwrap()
                .into_iter()
                .map(|(k, v)| (k.parse().unwrap(), v.as_u64().unwrap() as u32))
                .collect();
            let keys: BTreeSet<u32> = pairs.iter().map(|&(k, _)| k).collect();
            assert_eq!(keys.len(), pairs.len(), "a key serialized twice");
            assert!((0..2000).all(|i| keys.contains(&i)), "a stable entry is missing");
            assert!(pairs.iter().all(|&(k, v)| k >= 2000 || k == v));
        }
    });
}
