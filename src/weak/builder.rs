//! `WeakKeyMap::builder()`: a [`WeakKeyMap`] through the shared [`MapBuilder`].

use crate::builder::MapBuilder;
use crate::policy::Finalizer;

use super::WeakKeyMap;

impl<K, V> WeakKeyMap<K, V> {
    /// A [`MapBuilder`] for a map: `WeakKeyMap::builder().capacity(n).hasher(s)
    /// .shrink_policy(p).finalizer(f).build()`, every setting optional.
    ///
    /// The key type cannot be inferred from `insert` (which takes the strong pointer), so
    /// name it once: in the binding's type, or as `WeakKeyMap::<Weak<T>, V>::builder()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::WeakKeyMap;
    /// use std::rc::{Rc, Weak};
    ///
    /// let mut m = WeakKeyMap::<Weak<str>, u32>::builder().capacity(64).build();
    /// let alice: Rc<str> = Rc::from("alice");
    /// m.insert(&alice, 1);
    /// assert_eq!(m.get("alice"), Some(&1));
    /// assert!(m.capacity() >= 64);
    /// ```
    pub fn builder() -> MapBuilder<Self> {
        MapBuilder::new()
    }
}

impl<K, V, S, F> MapBuilder<WeakKeyMap<K, V>, S, F> {
    /// Hand values that leave without being given back to `finalizer`: dead entries'
    /// values as [`RemovalCause::Collected`](crate::RemovalCause::Collected), and
    /// `Explicit`, `Cleared`, `Dropped` (see [Finalizer](WeakKeyMap#finalizer)).
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{RemovalCause, WeakKeyMap};
    /// use std::rc::{Rc, Weak};
    ///
    /// let mut collected = Vec::new();
    /// let mut m = WeakKeyMap::<Weak<u32>, &'static str>::builder()
    ///     .finalizer(|_k: Weak<u32>, v: &'static str, cause| collected.push((v, cause)))
    ///     .build();
    /// let key = Rc::new(1);
    /// m.insert(&key, "session state");
    /// drop(key);
    /// m.prune();
    /// drop(m);
    /// assert_eq!(collected, [("session state", RemovalCause::Collected)]);
    /// ```
    pub fn finalizer<F2: Finalizer<K, V>>(self, finalizer: F2) -> MapBuilder<WeakKeyMap<K, V>, S, F2> {
        self.set_finalizer(finalizer)
    }
}

impl<K, V, S, F: Finalizer<K, V>> MapBuilder<WeakKeyMap<K, V>, S, F> {
    /// The map. It does not allocate unless a [`capacity`](MapBuilder::capacity) was set.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{FixedState, WeakKeyMap};
    /// use std::sync::Weak;
    /// let m = WeakKeyMap::<Weak<u8>, u8>::builder().hasher(FixedState::with_seed(3)).build();
    /// assert_eq!(m.allocation_size(), 0);
    /// ```
    pub fn build(self) -> WeakKeyMap<K, V, S, F> {
        WeakKeyMap::with_hasher_and_finalizer(self.hash_builder, self.finalizer)
            .with_floor(self.capacity)
            .with_shrink_policy(self.shrink)
    }
}
