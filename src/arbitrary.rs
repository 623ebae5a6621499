//! `arbitrary::Arbitrary` for the map types (feature `arbitrary`), so users' fuzz targets
//! can take maps as input. Pair it with [`FixedState`](crate::FixedState) as the hasher
//! for runs that replay identically.
//!
//! [`WeakKeyMap`](crate::WeakKeyMap) has no impl, on purpose: it holds its keys weakly
//! and owns no strong pointer to them, so every key an `Arbitrary` impl could make would
//! be dead the moment the map was returned, and the result would always be (a map of
//! dead entries equivalent to) an empty map. A fuzz target of a `WeakKeyMap` keeps the
//! strong pointers itself and drives the map with operations (see `fuzz/fuzz_targets/weak.rs`).

use core::hash::{BuildHasher, Hash};

use arbitrary::{Arbitrary, Result, Unstructured};

use crate::builder::lru_with_defaults;
use crate::lru::EntryWeigher;
use crate::nested::InnerCollection;
use crate::{Capacity, EvictionPolicy, Finalizer, FinalizingMap, HashMap, LruMap, NestedMap};

impl<'a, K, V, S> Arbitrary<'a> for HashMap<K, V, S>
where
    K: Arbitrary<'a> + Eq + Hash,
    V: Arbitrary<'a>,
    S: BuildHasher + Default,
{
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        u.arbitrary_iter()?.collect()
    }

    fn arbitrary_take_rest(u: Unstructured<'a>) -> Result<Self> {
        u.arbitrary_take_rest_iter()?.collect()
    }
}

impl<'a, K, V, F, S> Arbitrary<'a> for FinalizingMap<K, V, F, S>
where
    K: Arbitrary<'a> + Eq + Hash,
    V: Arbitrary<'a>,
    F: Finalizer<K, V> + Default,
    S: BuildHasher + Default,
{
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        u.arbitrary_iter()?.collect()
    }

    fn arbitrary_take_rest(u: Unstructured<'a>) -> Result<Self> {
        u.arbitrary_take_rest_iter()?.collect()
    }
}

/// The limit comes from the input: an entry limit (`0..=u16::MAX`, or none) and
/// optionally a weight limit; then the entries are inserted in input order (so the last
/// is the most recently used, and a limit smaller than the input evicts the first ones,
/// whatever the policy).
impl<'a, K, V, S, P, W, F> Arbitrary<'a> for LruMap<K, V, S, P, W, F>
where
    K: Arbitrary<'a> + Eq + Hash,
    V: Arbitrary<'a>,
    S: BuildHasher + Default,
    P: EvictionPolicy + Default,
    W: EntryWeigher<K, V> + Default,
    F: Finalizer<K, V> + Default,
{
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let max_entries: Option<u16> = u.arbitrary()?;
        let max_weight: Option<u64> = u.arbitrary()?;
        let mut map = lru_with_defaults(Capacity::from_limits(max_entries.map(usize::from), max_weight));
        let entries = u.arbitrary_iter()?.collect::<Result<Vec<(K, V)>>>()?;
        map.restore(entries);
        Ok(map)
    }
}

/// Pairs of an outer key and an inner collection, each stored through
/// [`insert_inner`](NestedMap::insert_inner) (so an empty inner collection is not kept,
/// and a repeated outer key replaces the earlier collection).
impl<'a, K1, M, S> Arbitrary<'a> for NestedMap<K1, M, S>
where
    K1: Arbitrary<'a> + Eq + Hash,
    M: Arbitrary<'a> + InnerCollection,
    S: BuildHasher + Default,
{
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut map = NestedMap::default();
        for entry in u.arbitrary_iter()? {
            let (k1, inner) = entry?;
            map.insert_inner(k1, inner);
        }
        Ok(map)
    }
}

impl<'a, K, V, S> Arbitrary<'a> for crate::ConcurrentMap<K, V, S>
where
    K: Arbitrary<'a> + Eq + Hash + Send + Sync,
    V: Arbitrary<'a> + Send + Sync,
    S: BuildHasher + Default,
{
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        u.arbitrary_iter()?.collect()
    }

    fn arbitrary_take_rest(u: Unstructured<'a>) -> Result<Self> {
        u.arbitrary_take_rest_iter()?.collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FixedState;

    #[test]
    fn builds_maps_from_bytes() {
        let bytes: Vec<u8> = (0..=255u8).map(|b| b | 1).collect();
        let m: HashMap<u8, u16, FixedState> = HashMap::arbitrary(&mut Unstructured::new(&bytes)).unwrap();
        assert!(!m.is_empty());
        m.validate();
        let again: HashMap<u8, u16, FixedState> = HashMap::arbitrary(&mut Unstructured::new(&bytes)).unwrap();
        assert!(m.iter().eq(again.iter()), "same bytes, same map, same order");
        let f: FinalizingMap<u8, u8, crate::NoopFinalizer, FixedState> =
            FinalizingMap::arbitrary_take_rest(Unstructured::new(&bytes)).unwrap();
        f.validate();
    }

    /// A limit smaller than the input evicts the first entries whatever the policy
    /// (`WTinyLfu`'s admission used to turn the last ones away and keep the first).
    #[test]
    fn lru_limit_evicts_the_first_entries_with_either_policy() {
        // Some(5u16) entry limit, no weight limit, then entries (k, k) for k in 0..15.
        let mut bytes = vec![1u8, 5, 0, 0];
        for k in 0..15u8 {
            bytes.extend([1, k, k]);
        }
        bytes.push(0);
        let keys = |mut v: Vec<u8>| {
            v.sort();
            v
        };
        let lru: LruMap<u8, u8, FixedState> = LruMap::arbitrary(&mut Unstructured::new(&bytes)).unwrap();
        assert_eq!(lru.limit().max_entries(), Some(5));
        assert_eq!(keys(lru.keys().copied().collect()), (10..15).collect::<Vec<_>>());
        let tlfu: LruMap<u8, u8, FixedState, crate::WTinyLfu> =
            LruMap::arbitrary(&mut Unstructured::new(&bytes)).unwrap();
        tlfu.validate();
        assert_eq!(keys(tlfu.keys().copied().collect()), (10..15).collect::<Vec<_>>());
        assert_eq!((tlfu.stats().insertions, tlfu.stats().evictions()), (15, 10));
    }

    #[test]
    fn builds_lru_and_nested_maps_from_bytes() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(2000).map(|b| b.wrapping_mul(37) | 1).collect();
        let m: LruMap<u8, u16, FixedState> = LruMap::arbitrary(&mut Unstructured::new(&bytes)).unwrap();
        m.validate();
        assert!(!m.limit().is_exceeded_by(m.len(), m.weight()), "within its limit");
        let again: LruMap<u8, u16, FixedState> = LruMap::arbitrary_take_rest(Unstructured::new(&bytes)).unwrap();
        again.validate();
        assert_eq!(again.limit(), m.limit(), "the limit comes from the same leading bytes");

        let n: NestedMap<u8, HashMap<u8, u8, FixedState>, FixedState> =
            NestedMap::arbitrary(&mut Unstructured::new(&bytes)).unwrap();
        n.validate();
        assert!(n.inners().all(|(_, inner)| !inner.is_empty()));

        let c: crate::ConcurrentMap<u8, u16, FixedState> =
            crate::ConcurrentMap::arbitrary(&mut Unstructured::new(&bytes)).unwrap();
        c.validate();
        assert!(!c.is_empty());
        assert!(!n.is_empty());
    }
}
