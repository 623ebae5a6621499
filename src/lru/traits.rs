//! The standard traits of [`LruMap`]: `Drop` (which finalizes what is left), `Clone`,
//! `Debug`, `Extend` and `IntoIterator`.

use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::mem;

use super::store::dispose;
use super::{EntryWeigher, IntoIter, Iter, IterMut, LruMap};
use crate::policy::{finalize_each, EvictionPolicy, Finalizer, PanicSlot, RemovalCause};

impl<K, V, S, P, W, F> Drop for LruMap<K, V, S, P, W, F>
where
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    fn drop(&mut self) {
        if self.finalizer.is_noop() || self.core.len() == 0 {
            return;
        }
        let nodes = mem::take(&mut self.core.nodes.0);
        finalize_each(
            &mut self.finalizer,
            nodes.into_iter().map(|n| (n.item.key, n.item.value)),
            RemovalCause::Dropped,
        );
    }
}

impl<K, V, S, P, W, F> Clone for LruMap<K, V, S, P, W, F>
where
    K: Clone,
    V: Clone,
    S: Clone,
    P: EvictionPolicy + Clone,
    P::Meta: Clone,
    W: EntryWeigher<K, V> + Clone,
    F: Finalizer<K, V> + Clone,
{
    fn clone(&self) -> Self {
        Self {
            core: self.core.clone(),
            hash_builder: self.hash_builder.clone(),
            limit: self.limit,
            bound: self.bound,
            weight: self.weight,
            weigher: self.weigher.clone(),
            finalizer: self.finalizer.clone(),
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S, P, W, F> fmt::Debug for LruMap<K, V, S, P, W, F>
where
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K, V, S, P, W, F> Extend<(K, V)> for LruMap<K, V, S, P, W, F>
where
    K: Eq + Hash,
    S: BuildHasher,
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    /// Insert every pair in order (so the last one ends up the most recently used). A
    /// value a pair replaces is not handed back: it goes to the finalizer as
    /// [`RemovalCause::Replaced`].
    fn extend<T: IntoIterator<Item = (K, V)>>(&mut self, iter: T) {
        for (k, v) in iter {
            let mut slot = PanicSlot::default();
            // Without `hand_back`, victims go to the finalizer: `out` can only be a
            // replaced pair.
            let put = self.put(k, v, false, &mut slot);
            if let Some((k, old)) = put.out {
                dispose(&mut self.finalizer, &mut slot, k, old, RemovalCause::Replaced);
            }
            slot.resume();
        }
    }
}

impl<'a, K, V, S, P, W, F> IntoIterator for &'a LruMap<K, V, S, P, W, F>
where
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V, P, W::Stored>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, K, V, S, P, W, F> IntoIterator for &'a mut LruMap<K, V, S, P, W, F>
where
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl<K, V, S, P, W, F> IntoIterator for LruMap<K, V, S, P, W, F>
where
    P: EvictionPolicy,
    W: EntryWeigher<K, V>,
    F: Finalizer<K, V>,
{
    type Item = (K, V);
    type IntoIter = IntoIter<K, V>;

    /// Hand every entry back (none is finalized), in the order of
    /// [`iter`](LruMap::iter).
    fn into_iter(mut self) -> IntoIter<K, V> {
        let order = super::iter::order(&self.core);
        let nodes = mem::take(&mut self.core.nodes.0);
        self.core.take_all();
        self.weight = 0;
        IntoIter::new(order, nodes)
    }
}
