//! [`WeakKey`]: what a [`WeakKeyMap`](super::WeakKeyMap) needs from its key type, for
//! `std::rc::Weak<T>` and `std::sync::Weak<T>` (by value) and [`ById`] (by identity).

use core::hash::{BuildHasher, Hash};
use core::ops::Deref;
use std::{rc, sync};

/// A weak reference usable as the key of a [`WeakKeyMap`](super::WeakKeyMap).
///
/// Implemented for `std::rc::Weak<T>` and `std::sync::Weak<T>` (keys compared by the
/// pointee's `Hash + Eq`, `T: ?Sized`), and for [`ById`] around either (keys compared by
/// address, for any `T`). The map stores `Self`, takes `&Self::Strong` on insert and looks
/// up by `&Self::Target`.
///
/// The map relies on this trait only for correctness, never for memory safety: a wrong
/// implementation makes lookups miss, never causes undefined behaviour. An implementation
/// must keep [`is_dead`](WeakKey::is_dead) monotonic (once dead, always dead) and
/// [`hash`](WeakKey::hash) consistent with [`matches`](WeakKey::matches).
///
/// # Examples
///
/// ```
/// use leakless::WeakKey;
/// use std::rc::{Rc, Weak};
///
/// let strong: Rc<str> = Rc::from("session-1");
/// let weak: Weak<str> = WeakKey::downgrade(&strong);
/// assert!(weak.matches("session-1"));
/// assert!(!WeakKey::is_dead(&weak));
/// drop(strong);
/// assert!(WeakKey::is_dead(&weak));
/// assert!(!weak.matches("session-1"), "a dead key matches nothing");
/// ```
pub trait WeakKey: Sized {
    /// The pointee, which lookups take by reference.
    type Target: ?Sized;
    /// The strong pointer (`Rc<T>` or `Arc<T>`).
    type Strong: Deref<Target = Self::Target>;

    /// A weak reference to `strong`'s pointee.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::WeakKey;
    /// use std::rc::{Rc, Weak};
    /// let strong = Rc::new(5);
    /// let weak: Weak<i32> = WeakKey::downgrade(&strong);
    /// assert_eq!(weak.upgrade().as_deref(), Some(&5));
    /// ```
    fn downgrade(strong: &Self::Strong) -> Self;

    /// The strong pointer, if the pointee is still alive.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::WeakKey;
    /// use std::rc::{Rc, Weak};
    /// let strong = Rc::new(5);
    /// let weak: Weak<i32> = WeakKey::downgrade(&strong);
    /// assert!(WeakKey::upgrade(&weak).is_some());
    /// drop(strong);
    /// assert!(WeakKey::upgrade(&weak).is_none());
    /// ```
    fn upgrade(&self) -> Option<Self::Strong>;

    /// `true` once every strong pointer is gone. Cheap: a load of the strong count, no
    /// upgrade.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::WeakKey;
    /// use std::rc::{Rc, Weak};
    /// let strong = Rc::new(5);
    /// let weak: Weak<i32> = WeakKey::downgrade(&strong);
    /// assert!(!weak.is_dead());
    /// drop(strong);
    /// assert!(weak.is_dead());
    /// ```
    fn is_dead(&self) -> bool;

    /// The hash of a key, as `hash_builder` computes it. Stored with each entry at insert
    /// time so a dead entry can be found, moved and removed without its key.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::WeakKey;
    /// use std::rc::{Rc, Weak};
    /// use leakless::FixedState;
    /// let s = FixedState::with_seed(1);
    /// assert_eq!(<Weak<str> as WeakKey>::hash(&s, "a"), <Weak<str> as WeakKey>::hash(&s, "a"));
    /// ```
    fn hash<S: BuildHasher>(hash_builder: &S, key: &Self::Target) -> u64;

    /// `true` if this key is alive and equal to `key`.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::WeakKey;
    /// use std::rc::{Rc, Weak};
    /// let strong: Rc<str> = Rc::from("a");
    /// let weak: Weak<str> = WeakKey::downgrade(&strong);
    /// assert!(weak.matches("a") && !weak.matches("b"));
    /// ```
    fn matches(&self, key: &Self::Target) -> bool;

    /// `true` if both weak references point at the same allocation (dead or alive).
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::WeakKey;
    /// use std::rc::{Rc, Weak};
    /// let a = Rc::new(1);
    /// let b = Rc::new(1);
    /// let (wa, wb): (Weak<i32>, Weak<i32>) = (WeakKey::downgrade(&a), WeakKey::downgrade(&b));
    /// assert!(wa.same_allocation(&Rc::downgrade(&a)));
    /// assert!(!wa.same_allocation(&wb), "equal values, different allocations");
    /// ```
    fn same_allocation(&self, other: &Self) -> bool;
}

macro_rules! by_value {
    ($weak:ident, $strong:ident, $module:ident, $shortcut:literal) => {
        impl<T: ?Sized + Hash + Eq> WeakKey for $module::$weak<T> {
            type Target = T;
            type Strong = $module::$strong<T>;

            #[inline]
            fn downgrade(strong: &Self::Strong) -> Self {
                $module::$strong::downgrade(strong)
            }

            #[inline]
            fn upgrade(&self) -> Option<Self::Strong> {
                $module::$weak::upgrade(self)
            }

            #[inline]
            fn is_dead(&self) -> bool {
                self.strong_count() == 0
            }

            #[inline]
            fn hash<S: BuildHasher>(hash_builder: &S, key: &T) -> u64 {
                hash_builder.hash_one(key)
            }

            #[inline]
            fn matches(&self, key: &T) -> bool {
                // Looking an entry up through its own key (`map.get(&*arc)`) needs no
                // upgrade: equal pointers are equal keys, if alive. Equal with their
                // metadata: a prefix of an `Arc<str>` or `Arc<[T]>` starts at the same
                // address but is another key. Worth its branch only where an upgrade
                // is an atomic compare-and-swap.
                if $shortcut && core::ptr::eq(self.as_ptr(), key as *const T) {
                    return !WeakKey::is_dead(self);
                }
                $module::$weak::upgrade(self).is_some_and(|strong| *strong == *key)
            }

            #[inline]
            fn same_allocation(&self, other: &Self) -> bool {
                $module::$weak::ptr_eq(self, other)
            }
        }
    };
}

by_value!(Weak, Rc, rc, false);
by_value!(Weak, Arc, sync, true);

/// A weak key compared by identity: two keys are equal only if they point at the same
/// allocation, and the hash is the pointer's (like Guava's `weakKeys()`). `T` needs no
/// `Hash` or `Eq`, and a lookup never upgrades a key.
///
/// [`WeakIdentityMap`](super::WeakIdentityMap) is the map keyed this way.
///
/// # Examples
///
/// ```
/// use leakless::WeakIdentityMap;
/// use std::rc::{Rc, Weak};
///
/// struct Session; // no Hash, no Eq
/// let (a, b) = (Rc::new(Session), Rc::new(Session));
/// let mut m: WeakIdentityMap<Weak<Session>, &str> = WeakIdentityMap::new();
/// m.insert(&a, "a");
/// m.insert(&b, "b");
/// assert_eq!(m.get(&*a), Some(&"a"));
/// assert_eq!(m.get(&*b), Some(&"b"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct ById<W>(pub W);

impl<W> ById<W> {
    /// The weak reference.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::{Rc, Weak};
    /// let rc = Rc::new(1);
    /// let key = leakless::ById(Rc::downgrade(&rc));
    /// let weak: Weak<i32> = key.into_inner();
    /// assert_eq!(weak.upgrade().as_deref(), Some(&1));
    /// ```
    pub fn into_inner(self) -> W {
        self.0
    }
}

macro_rules! by_id {
    ($weak:ident, $strong:ident, $module:ident) => {
        impl<T: ?Sized> WeakKey for ById<$module::$weak<T>> {
            type Target = T;
            type Strong = $module::$strong<T>;

            #[inline]
            fn downgrade(strong: &Self::Strong) -> Self {
                ById($module::$strong::downgrade(strong))
            }

            #[inline]
            fn upgrade(&self) -> Option<Self::Strong> {
                self.0.upgrade()
            }

            #[inline]
            fn is_dead(&self) -> bool {
                self.0.strong_count() == 0
            }

            #[inline]
            fn hash<S: BuildHasher>(hash_builder: &S, key: &T) -> u64 {
                hash_builder.hash_one((key as *const T).cast::<()>() as usize)
            }

            #[inline]
            fn matches(&self, key: &T) -> bool {
                // A live `Weak` keeps its allocation, so no other pointee can have this
                // address while the entry exists.
                core::ptr::addr_eq(self.0.as_ptr(), key as *const T) && self.0.strong_count() > 0
            }

            #[inline]
            fn same_allocation(&self, other: &Self) -> bool {
                $module::$weak::ptr_eq(&self.0, &other.0)
            }
        }
    };
}

by_id!(Weak, Rc, rc);
by_id!(Weak, Arc, sync);

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    #[test]
    fn by_value_matches_equal_pointees_by_id_only_the_same() {
        let a = Rc::new(5u32);
        let b = Rc::new(5u32);
        let w: rc::Weak<u32> = WeakKey::downgrade(&a);
        assert!(w.matches(&b));
        let id: ById<rc::Weak<u32>> = WeakKey::downgrade(&a);
        assert!(id.matches(&a));
        assert!(!id.matches(&b));
        drop(a);
        assert!(WeakKey::is_dead(&w) && WeakKey::is_dead(&id));
        assert!(!w.matches(&b));
    }
}
