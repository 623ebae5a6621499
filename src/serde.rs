//! `serde::Serialize`/`Deserialize` for the maps (feature `serde`).
//!
//! The formats, and what is not serialized, are documented in the crate docs
//! ([`serde`](crate#serde)); the tests are in `tests/serde.rs`.

use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::marker::PhantomData;

use ::serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use ::serde::ser::{SerializeStruct, Serializer};
use ::serde::{Deserialize, Serialize};

use crate::builder::lru_with_defaults;
use crate::concurrent::Pinned;
use crate::lru::EntryWeigher;
use crate::nested::InnerCollection;
use crate::{Capacity, ConcurrentMap, EvictionPolicy, Finalizer, FinalizingMap, HashMap, LruMap, NestedMap};

/// Pre-allocate at most this many entries from a format's length hint, so a hostile
/// hint cannot make a deserializer allocate without the entries to back it.
const MAX_PREALLOCATION: usize = 4096;

// ----- maps serialized as maps -----

impl<K: Serialize, V: Serialize, S> Serialize for HashMap<K, V, S> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<K: Serialize, V: Serialize, F: Finalizer<K, V>, S> Serialize for FinalizingMap<K, V, F, S> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<K1: Serialize, M: Serialize, S> Serialize for NestedMap<K1, M, S> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        serializer.collect_map(self.inners())
    }
}

/// The entries seen under the handle's pin, counted first (a weakly consistent
/// iteration has no length of its own, and formats that write the length ahead, such as
/// `bincode`, need the one that follows).
impl<K: Serialize, V: Serialize, S> Serialize for Pinned<'_, K, V, S> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let entries: Vec<(&K, &V)> = self.iter().collect();
        serializer.collect_map(entries)
    }
}

/// Pins for as long as the serialization runs (see [`Pinned`]'s).
impl<K: Serialize, V: Serialize, S> Serialize for ConcurrentMap<K, V, S> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        self.pin().serialize(serializer)
    }
}

/// A map rebuilt entry by entry from a serialized map.
trait FromEntries<K, V>: Sized {
    const EXPECTING: &'static str;
    fn empty(size_hint: usize) -> Self;
    fn put(&mut self, key: K, value: V);
}

impl<K: Eq + Hash, V, S: BuildHasher + Default> FromEntries<K, V> for HashMap<K, V, S> {
    const EXPECTING: &'static str = "a map";

    fn empty(size_hint: usize) -> Self {
        let mut map = HashMap::with_hasher(S::default());
        // Not `with_capacity`: that would set a floor.
        map.reserve(size_hint.min(MAX_PREALLOCATION));
        map
    }

    fn put(&mut self, key: K, value: V) {
        self.insert(key, value);
    }
}

impl<K: Eq + Hash, V, F: Finalizer<K, V> + Default, S: BuildHasher + Default> FromEntries<K, V>
    for FinalizingMap<K, V, F, S>
{
    const EXPECTING: &'static str = "a map";

    fn empty(size_hint: usize) -> Self {
        let mut map = FinalizingMap::with_hasher(F::default(), S::default());
        map.reserve(size_hint.min(MAX_PREALLOCATION));
        map
    }

    fn put(&mut self, key: K, value: V) {
        self.insert(key, value);
    }
}

impl<K1: Eq + Hash, M: InnerCollection, S: BuildHasher + Default> FromEntries<K1, M> for NestedMap<K1, M, S> {
    const EXPECTING: &'static str = "a map of inner collections";

    fn empty(_size_hint: usize) -> Self {
        NestedMap::with_hasher(S::default())
    }

    fn put(&mut self, k1: K1, inner: M) {
        // Counts the leaves, does not keep an empty inner collection, and needs no
        // `Default` (an inner `LruMap` has none); a repeated key's collection is replaced.
        self.insert_inner(k1, inner);
    }
}

impl<K: Eq + Hash, V, S: BuildHasher + Default> FromEntries<K, V> for ConcurrentMap<K, V, S> {
    const EXPECTING: &'static str = "a map";

    fn empty(_size_hint: usize) -> Self {
        // Not `with_capacity` (a floor), and no reservation: the table grows
        // incrementally as the entries arrive.
        ConcurrentMap::with_hasher(S::default())
    }

    fn put(&mut self, key: K, value: V) {
        self.insert(key, value);
    }
}

/// Builds a `T` from a serialized map of `K` to `V`.
struct EntriesVisitor<T, K, V>(PhantomData<fn() -> T>, PhantomData<fn() -> (K, V)>);

impl<'de, T, K, V> Visitor<'de> for EntriesVisitor<T, K, V>
where
    T: FromEntries<K, V>,
    K: Deserialize<'de>,
    V: Deserialize<'de>,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<T, A::Error> {
        let mut map = T::empty(access.size_hint().unwrap_or(0));
        while let Some((key, value)) = access.next_entry()? {
            map.put(key, value);
        }
        Ok(map)
    }
}

fn deserialize_entries<'de, D, T, K, V>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromEntries<K, V>,
    K: Deserialize<'de>,
    V: Deserialize<'de>,
{
    deserializer.deserialize_map(EntriesVisitor(PhantomData, PhantomData))
}

/// `Deserialize` through [`FromEntries`] for the maps of `<K, V, S>`.
macro_rules! deserialize_from_entries {
    ($($map:ident),*) => {$(
        impl<'de, K, V, S> Deserialize<'de> for $map<K, V, S>
        where
            K: Deserialize<'de> + Eq + Hash,
            V: Deserialize<'de>,
            S: BuildHasher + Default,
        {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserialize_entries(deserializer)
            }
        }
    )*};
}

deserialize_from_entries!(HashMap, ConcurrentMap);

impl<'de, K, V, F, S> Deserialize<'de> for FinalizingMap<K, V, F, S>
where
    K: Deserialize<'de> + Eq + Hash,
    V: Deserialize<'de>,
    F: Finalizer<K, V> + Default,
    S: BuildHasher + Default,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_entries(deserializer)
    }
}

impl<'de, K1, M, S> Deserialize<'de> for NestedMap<K1, M, S>
where
    K1: Deserialize<'de> + Eq + Hash,
    M: Deserialize<'de> + InnerCollection,
    S: BuildHasher + Default,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_entries(deserializer)
    }
}

// ----- structs of two fields: Capacity and LruMap -----

const CAPACITY_FIELDS: &[&str; 2] = &["max_entries", "max_weight"];
const LRU_FIELDS: &[&str; 2] = &["limit", "entries"];

impl Serialize for Capacity {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let mut s = serializer.serialize_struct("Capacity", 2)?;
        s.serialize_field(CAPACITY_FIELDS[0], &self.max_entries())?;
        s.serialize_field(CAPACITY_FIELDS[1], &self.max_weight())?;
        s.end()
    }
}

impl<'de> Deserialize<'de> for Capacity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (max_entries, max_weight) = deserialize_pair(deserializer, "Capacity", CAPACITY_FIELDS)?;
        Ok(Capacity::from_limits(max_entries, max_weight))
    }
}

/// The entries of an [`LruMap`], most recently used first, as `(k, v)` pairs.
struct RecencyOrder<'a, K, V, S, P, W, F>(&'a LruMap<K, V, S, P, W, F>)
where
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>;

impl<K: Serialize, V: Serialize, S, P, W, F> Serialize for RecencyOrder<'_, K, V, S, P, W, F>
where
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

impl<K: Serialize, V: Serialize, S, P, W, F> Serialize for LruMap<K, V, S, P, W, F>
where
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let mut s = serializer.serialize_struct("LruMap", 2)?;
        s.serialize_field(LRU_FIELDS[0], &self.limit())?;
        s.serialize_field(LRU_FIELDS[1], &RecencyOrder(self))?;
        s.end()
    }
}

impl<'de, K, V, S, P, W, F> Deserialize<'de> for LruMap<K, V, S, P, W, F>
where
    K: Deserialize<'de> + Eq + Hash,
    V: Deserialize<'de>,
    S: BuildHasher + Default,
    P: EvictionPolicy + Default,
    W: EntryWeigher<K, V> + Default,
    F: Finalizer<K, V> + Default,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (limit, entries): (Capacity, Vec<(K, V)>) = deserialize_pair(deserializer, "LruMap", LRU_FIELDS)?;
        let mut map = lru_with_defaults(limit);
        // Least recently used first, so the last inserted is the most recently used.
        let mut entries = entries;
        entries.reverse();
        map.restore(entries);
        Ok(map)
    }
}

/// Deserialize a struct `name` with the two `fields` (from a map or a sequence; unknown
/// fields are ignored, a missing or repeated one is an error).
fn deserialize_pair<'de, D, A, B>(
    deserializer: D,
    name: &'static str,
    fields: &'static [&'static str; 2],
) -> Result<(A, B), D::Error>
where
    D: Deserializer<'de>,
    A: Deserialize<'de>,
    B: Deserialize<'de>,
{
    deserializer.deserialize_struct(name, fields, PairVisitor { name, fields, marker: PhantomData })
}

struct PairVisitor<A, B> {
    name: &'static str,
    fields: &'static [&'static str; 2],
    marker: PhantomData<fn() -> (A, B)>,
}

impl<'de, A: Deserialize<'de>, B: Deserialize<'de>> Visitor<'de> for PairVisitor<A, B> {
    type Value = (A, B);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "struct {}", self.name)
    }

    fn visit_seq<Q: SeqAccess<'de>>(self, mut seq: Q) -> Result<(A, B), Q::Error> {
        let a = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let b = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(1, &self))?;
        Ok((a, b))
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(A, B), M::Error> {
        let (mut a, mut b) = (None, None);
        while let Some(field) = map.next_key_seed(FieldSeed(self.fields))? {
            match field {
                Some(0) if a.is_some() => return Err(de::Error::duplicate_field(self.fields[0])),
                Some(0) => a = Some(map.next_value()?),
                Some(_) if b.is_some() => return Err(de::Error::duplicate_field(self.fields[1])),
                Some(_) => b = Some(map.next_value()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let a = a.ok_or_else(|| de::Error::missing_field(self.fields[0]))?;
        let b = b.ok_or_else(|| de::Error::missing_field(self.fields[1]))?;
        Ok((a, b))
    }
}

/// A field name: `Some(index)` into the fields, `None` for an unknown one.
struct FieldSeed(&'static [&'static str; 2]);

impl<'de> DeserializeSeed<'de> for FieldSeed {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl Visitor<'_> for FieldSeed {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` or `{}`", self.0[0], self.0[1])
    }

    fn visit_u64<E: de::Error>(self, index: u64) -> Result<Option<usize>, E> {
        Ok(usize::try_from(index).ok().filter(|&i| i < 2))
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|f| *f == name))
    }

    fn visit_bytes<E: de::Error>(self, name: &[u8]) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|f| f.as_bytes() == name))
    }
}
