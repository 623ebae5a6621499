//! Walkers: `retain` and `clear`, which visit every bucket of the root with user code
//! running under each bucket's lock and no pin held.
//!
//! A walker registers on a root that is not resizing. A resizer checks for walkers
//! before it starts, so one that checked just before the walker registered may still
//! start a resize: the walker then follows a migrated (`MOVED`) bucket into `next`. While
//! a walker is registered, a table that finished migrating is not retired (the last
//! walker retires it), so the walker may use the table, and its `next`, while unpinned
//! between buckets.

use core::hash::{BuildHasher, Hash};
use core::ptr;

use super::core::Inner;
use super::node::Node;
use super::pool::Pin;
use super::table::{BucketLock, Table};
use crate::loom::Ordering;
use crate::policy::{PanicSlot, RemovalCause};

impl<K: Hash + Eq, V, S: BuildHasher> Inner<K, V, S> {
    /// Removes every entry for which `keep` returns `false`, retiring it with `cause`.
    /// `keep` runs under the entry's bucket lock with no pin held. A panic of the
    /// finalizer or of a `Drop` (in the drains between buckets) does not stop the walk:
    /// the first is re-raised once every bucket was visited.
    pub(crate) fn retain(&self, mut keep: impl FnMut(&K, &V) -> bool, cause: RemovalCause) {
        let pin = self.pin();
        if self.root(&pin).is_none() {
            return;
        }
        // Register as a walker on a root that is not resizing.
        let table = loop {
            self.walkers.fetch_add(1, Ordering::SeqCst);
            let root = self.root.load(Ordering::SeqCst);
            // SAFETY: loaded under `pin` (a root, once set, is never null again).
            let t = unsafe { &*root };
            if t.next.load(Ordering::SeqCst).is_null() {
                break t;
            }
            self.walkers.fetch_sub(1, Ordering::SeqCst);
            while !t.fully_migrated() {
                self.help(t, &pin);
                crate::loom::spin_wait(&mut 0);
            }
        };
        let walker = Walker { inner: self };
        let mut panics = PanicSlot::default();
        let table: *const Table<K, V> = table;
        drop(pin);
        // SAFETY: registered walkers keep `table` (and its `next`) from being retired.
        let table = unsafe { &*table };
        for index in 0..table.len() {
            // SAFETY: `table` is kept alive by our registration.
            match unsafe { table.lock_index(index) } {
                Some(lock) => self.retain_chain(lock, None, &mut keep, cause, &mut panics),
                None => {
                    // SAFETY: a MOVED bucket implies `next` is set; kept alive with `table`.
                    let next = unsafe { &*table.next.load(Ordering::Acquire) };
                    let children: Vec<usize> = if next.len() >= table.len() {
                        (0..next.len() / table.len()).map(|k| index + k * table.len()).collect()
                    } else {
                        vec![index & next.mask]
                    };
                    for j in children {
                        // SAFETY: as above; `next` cannot itself be migrating while
                        // `table` is alive (module invariants).
                        if let Some(lock) = unsafe { next.lock_index(j) } {
                            self.retain_chain(lock, Some((index, table.mask)), &mut keep, cause, &mut panics);
                        }
                    }
                }
            }
        }
        drop(walker);
        let pin = self.pin();
        let root = self.root.load(Ordering::Acquire);
        self.end_write(pin, root, Some(false), true);
        panics.resume();
    }

    /// Filters one locked chain, keeping only nodes whose hash satisfies `class`.
    pub(super) fn retain_chain(
        &self,
        mut lock: BucketLock<K, V>,
        class: Option<(usize, usize)>,
        keep: &mut impl FnMut(&K, &V) -> bool,
        cause: RemovalCause,
        panics: &mut PanicSlot,
    ) {
        let mut removed = Removed { inner: self, nodes: Vec::new(), cause };
        let link = lock.table().link;
        let (mut prev, mut cur) = (ptr::null_mut(), lock.head);
        while !cur.is_null() {
            // SAFETY: nodes of a locked chain are live.
            let c = unsafe { &*cur };
            let in_class = class.is_none_or(|(i, mask)| c.hash as usize & mask == i);
            if in_class && !super::locked::under_lock(|| keep(&c.key, &c.value)) {
                let victim = cur;
                // SAFETY: consecutive nodes of our chain.
                cur = unsafe { lock.unlink(prev, victim) };
                removed.nodes.push(victim);
            } else {
                prev = cur;
                cur = c.next(link);
            }
        }
        let pin = self.pin();
        drop(lock);
        removed.finish(&pin);
        drop(pin);
        self.drain_into(panics);
    }
}

/// Nodes a walker unlinked: retired on `finish`, or on unwinding out of user code.
struct Removed<'a, K, V, S> {
    inner: &'a Inner<K, V, S>,
    nodes: Vec<*mut Node<K, V>>,
    cause: RemovalCause,
}

impl<K, V, S> Removed<'_, K, V, S> {
    fn finish(&mut self, pin: &Pin<'_, K, V>) {
        for node in self.nodes.drain(..) {
            // SAFETY: each node was unlinked once by the walker under its lock.
            unsafe { self.inner.retire(pin, node, self.cause) };
        }
    }
}

impl<K, V, S> Drop for Removed<'_, K, V, S> {
    fn drop(&mut self) {
        if !self.nodes.is_empty() {
            let pin = self.inner.pin();
            self.finish(&pin);
        }
    }
}

/// A registered walker; deregisters (and retires a table left pending) on drop.
struct Walker<'a, K, V, S> {
    inner: &'a Inner<K, V, S>,
}

impl<K, V, S> Drop for Walker<'_, K, V, S> {
    fn drop(&mut self) {
        if self.inner.walkers.fetch_sub(1, Ordering::SeqCst) == 1 {
            let pin = self.inner.pin();
            self.inner.retire_if_pending(&pin);
        }
    }
}
