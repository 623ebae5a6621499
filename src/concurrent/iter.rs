//! Weakly consistent iteration over a pinned map.

use core::iter::FusedIterator;
use core::marker::PhantomData;
use core::ptr;

use super::node::{tag_of, untagged, Node, MOVED};
use super::table::Table;
use crate::loom::Ordering;

/// The entries of a [`ConcurrentMap`](crate::ConcurrentMap), from
/// [`Pinned::iter`](crate::concurrent::Pinned::iter).
///
/// Weakly consistent: every entry present for the whole iteration is yielded exactly
/// once (also across a concurrent resize: a bucket already migrated is read from the new
/// table, restricted to the keys it held); entries inserted or removed meanwhile may or
/// may not be yielded. References stay valid while the [`Pinned`](crate::concurrent::Pinned)
/// handle lives.
///
/// # Examples
///
/// ```
/// let m: leakless::ConcurrentMap<u32, u32> = (0..5).map(|i| (i, i)).collect();
/// let p = m.pin();
/// let mut keys: Vec<u32> = p.iter().map(|(k, _)| *k).collect();
/// keys.sort();
/// assert_eq!(keys, [0, 1, 2, 3, 4]);
/// ```
pub struct Iter<'g, K, V> {
    table: Option<&'g Table<K, V>>,
    index: usize,
    /// Buckets of `table.next` still to read for a migrated bucket: (next, stride, left).
    children: (usize, usize, usize),
    /// Only nodes whose `hash & mask == index` belong to the migrated bucket.
    class: Option<(usize, usize)>,
    node: *mut Node<K, V>,
    link: usize,
    _entries: PhantomData<&'g (K, V)>,
}

impl<'g, K, V> Iter<'g, K, V> {
    pub(super) fn new(table: Option<&'g Table<K, V>>) -> Self {
        Iter {
            table,
            index: 0,
            children: (0, 0, 0),
            class: None,
            node: ptr::null_mut(),
            link: 0,
            _entries: PhantomData,
        }
    }

    /// Loads the next chain to walk; `false` when there is none.
    fn advance(&mut self) -> bool {
        let Some(t) = self.table else {
            return false;
        };
        loop {
            if self.children.2 > 0 {
                // SAFETY: a MOVED bucket implies `next` is set; it lives as long as `t`
                // under the caller's pin.
                let next = unsafe { &*t.next.load(Ordering::Acquire) };
                let (j, stride, left) = self.children;
                self.children = (j + stride, stride, left - 1);
                self.node = untagged(next.buckets[j].load(Ordering::Acquire));
                self.link = next.link;
                return true;
            }
            if self.index >= t.len() {
                self.table = None;
                return false;
            }
            let i = self.index;
            self.index += 1;
            let head = t.buckets[i].load(Ordering::Acquire);
            if tag_of(head) & MOVED == 0 {
                self.class = None;
                self.node = untagged(head);
                self.link = t.link;
                return true;
            }
            // SAFETY: as above.
            let next = unsafe { &*t.next.load(Ordering::Acquire) };
            if next.len() >= t.len() {
                self.children = (i, t.len(), next.len() / t.len());
                self.class = None;
            } else {
                self.children = (i & next.mask, 0, 1);
                self.class = Some((i, t.mask));
            }
        }
    }
}

impl<'g, K, V> Iterator for Iter<'g, K, V> {
    type Item = (&'g K, &'g V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            while !self.node.is_null() {
                // SAFETY: reached from a table loaded under the pin that `'g` borrows;
                // nodes are freed only after every older pin ends.
                let n: &'g Node<K, V> = unsafe { &*self.node };
                self.node = n.next(self.link);
                if self.class.is_none_or(|(i, mask)| n.hash as usize & mask == i) {
                    return Some((&n.key, &n.value));
                }
            }
            if !self.advance() {
                return None;
            }
        }
    }
}

impl<K, V> FusedIterator for Iter<'_, K, V> {}
