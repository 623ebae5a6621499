//! `arbitrary::Arbitrary` for the map types (feature `arbitrary`), so users' fuzz targets
//! can take maps as input. Pair it with [`FixedState`](crate::FixedState) as the hasher
//! for runs that replay identically.

use core::hash::{BuildHasher, Hash};

use arbitrary::{Arbitrary, Result, Unstructured};

use crate::{Finalizer, FinalizingMap, HashMap};

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
}
