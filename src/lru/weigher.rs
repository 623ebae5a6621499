//! [`EntryWeigher`]: how an [`LruMap`](super::LruMap) records the weight of each entry.

use crate::policy::{UnitWeigher, Weigher};

/// A [`Weigher`] as an [`LruMap`](super::LruMap) stores it: how much room each entry's
/// recorded weight takes.
///
/// A map records an entry's weight when the entry is stored and subtracts that same
/// figure when it leaves (so a value mutated through `get_mut` cannot corrupt the total).
/// [`UnitWeigher`] needs no record (`Stored = ()`, every entry weighs 1), which keeps an
/// entry-bounded map at its smallest; every closure `Fn(&K, &V) -> u64` records a `u64`.
/// For a weigher type of your own, implement this with `Stored = u64`.
///
/// # Examples
///
/// ```
/// use leakless::{Capacity, LruMap};
///
/// let mut m = LruMap::builder().max_weight(10).weigher(|_k: &u32, v: &String| v.len() as u64).build();
/// m.insert(1, "four".to_string());
/// m.insert(2, "sixsix".to_string());
/// assert_eq!(m.weight(), 10);
/// m.insert(3, "x".to_string()); // 11 > 10: evicts 1
/// assert!(!m.contains_key(&1));
/// ```
pub trait EntryWeigher<K, V>: Weigher<K, V> {
    /// What the map stores per entry to remember its weight.
    type Stored: Copy;

    /// The record of `weight`.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{lru::EntryWeigher, UnitWeigher};
    /// type ByLen = fn(&u8, &String) -> u64;
    /// assert_eq!(<ByLen as EntryWeigher<u8, String>>::store(7), 7u64);
    /// <UnitWeigher as EntryWeigher<u8, String>>::store(7); // records nothing: `()`
    /// ```
    fn store(weight: u64) -> Self::Stored;

    /// The weight recorded by `stored`.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{lru::EntryWeigher, UnitWeigher};
    /// type ByLen = fn(&u8, &String) -> u64;
    /// assert_eq!(<ByLen as EntryWeigher<u8, String>>::load(7), 7);
    /// assert_eq!(<UnitWeigher as EntryWeigher<u8, String>>::load(()), 1, "every entry weighs 1");
    /// ```
    fn load(stored: Self::Stored) -> u64;

    /// `true` if every entry weighs exactly 1 (as with [`UnitWeigher`]): the map then
    /// folds a weight limit into its entry limit and skips weight checks. The default,
    /// `false`, is always correct.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{lru::EntryWeigher, UnitWeigher};
    /// assert!(<UnitWeigher as EntryWeigher<u8, u8>>::UNIT);
    /// assert!(!<fn(&u8, &u8) -> u64 as EntryWeigher<u8, u8>>::UNIT);
    /// ```
    const UNIT: bool = false;
}

impl<K, V> EntryWeigher<K, V> for UnitWeigher {
    type Stored = ();

    const UNIT: bool = true;

    #[inline(always)]
    fn store(_: u64) {}

    #[inline(always)]
    fn load(_: ()) -> u64 {
        1
    }
}

impl<K, V, F: Fn(&K, &V) -> u64> EntryWeigher<K, V> for F {
    type Stored = u64;

    #[inline(always)]
    fn store(weight: u64) -> u64 {
        weight
    }

    #[inline(always)]
    fn load(stored: u64) -> u64 {
        stored
    }
}
