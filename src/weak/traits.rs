//! Trait impls of [`WeakKeyMap`].

use core::fmt;
use core::hash::BuildHasher;

use super::{Iter, WeakKey, WeakKeyMap};
use crate::policy::{Finalizer, PanicSlot, RemovalCause};

impl<K, V, S, F: Finalizer<K, V>> Drop for WeakKeyMap<K, V, S, F> {
    fn drop(&mut self) {
        if self.raw.len() == 0 {
            return;
        }
        let old = core::mem::take(&mut self.raw);
        if self.finalizer.is_noop() {
            crate::raw::drop_each(old.table);
        } else {
            let mut slot = PanicSlot::default();
            for s in old.table {
                slot.run(|| self.finalizer.finalize(s.key, s.value, RemovalCause::Dropped));
            }
            slot.resume();
        }
    }
}

impl<K, V, S: Default, F: Finalizer<K, V> + Default> Default for WeakKeyMap<K, V, S, F> {
    fn default() -> Self {
        Self::with_hasher_and_finalizer(S::default(), F::default())
    }
}

impl<K: WeakKey, V, S: BuildHasher, F: Finalizer<K, V>> Extend<(K::Strong, V)> for WeakKeyMap<K, V, S, F> {
    /// Insert every pair. The map keeps only weak references: a key whose strong pointer
    /// is dropped with the iterator's item is dead at once (and pruned later).
    fn extend<T: IntoIterator<Item = (K::Strong, V)>>(&mut self, iter: T) {
        for (k, v) in iter {
            self.insert(&k, v);
        }
    }
}

impl<K: WeakKey, V, S, F> FromIterator<(K::Strong, V)> for WeakKeyMap<K, V, S, F>
where
    S: BuildHasher + Default,
    F: Finalizer<K, V> + Default,
{
    fn from_iter<T: IntoIterator<Item = (K::Strong, V)>>(iter: T) -> Self {
        let mut m = Self::default();
        m.extend(iter);
        m
    }
}

impl<'a, K: WeakKey, V, S, F: Finalizer<K, V>> IntoIterator for &'a WeakKeyMap<K, V, S, F> {
    type Item = (K::Strong, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}

impl<K: WeakKey, V: fmt::Debug, S, F: Finalizer<K, V>> fmt::Debug for WeakKeyMap<K, V, S, F>
where
    K::Target: fmt::Debug,
{
    /// The live entries, as `{key: value}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in self.iter() {
            m.entry(&&*k, v);
        }
        m.finish()
    }
}
