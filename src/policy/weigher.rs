/// The weight of one entry, for maps bounded by total weight
/// ([`Capacity::weight`](crate::Capacity::weight)).
///
/// Implemented for every `Fn(&K, &V) -> u64`. A weigher must be deterministic for an
/// entry that has not changed: the map records the weight at insertion and subtracts
/// the same figure when the entry leaves. A weigher that panics leaves the map
/// unchanged (the entry is not inserted, and the value is dropped).
///
/// # Examples
///
/// ```
/// use leakless::{UnitWeigher, Weigher};
///
/// let by_len = |_k: &u32, v: &String| v.len() as u64;
/// assert_eq!(by_len.weigh(&1, &"four".to_string()), 4);
/// assert_eq!(UnitWeigher.weigh(&1, &"four".to_string()), 1);
/// ```
pub trait Weigher<K, V> {
    /// The weight of the entry `(key, value)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::Weigher;
    /// let by_len = |k: &String, v: &Vec<u8>| (k.len() + v.len()) as u64;
    /// assert_eq!(by_len.weigh(&"ab".to_string(), &vec![0; 8]), 10);
    /// ```
    fn weigh(&self, key: &K, value: &V) -> u64;
}

/// Every entry weighs 1, so a weight limit is an entry limit.
///
/// # Examples
///
/// ```
/// use leakless::{UnitWeigher, Weigher};
/// assert_eq!(UnitWeigher.weigh(&"k", &[0u8; 1024]), 1);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct UnitWeigher;

impl<K, V> Weigher<K, V> for UnitWeigher {
    #[inline]
    fn weigh(&self, _: &K, _: &V) -> u64 {
        1
    }
}

impl<K, V, F: Fn(&K, &V) -> u64> Weigher<K, V> for F {
    #[inline]
    fn weigh(&self, key: &K, value: &V) -> u64 {
        self(key, value)
    }
}
