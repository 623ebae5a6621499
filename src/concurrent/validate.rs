//! Inspection: `validate()` (every invariant that holds at rest) and the bytes a map
//! holds.

use core::hash::{BuildHasher, Hash};

use super::core::Inner;
use super::node::{untagged, Node};
use super::table::MIN_BUCKETS;
use crate::loom::Ordering;

impl<K: Hash + Eq, V, S: BuildHasher> Inner<K, V, S> {
    /// Checks every invariant that holds when no operation is in flight.
    ///
    /// # Panics
    ///
    /// Panics with a message naming the first broken invariant.
    pub(crate) fn validate(&self) {
        let pin = self.pin();
        let Some(root) = self.root(&pin) else {
            assert_eq!(self.len(), 0, "validate: no table but len() = {}", self.len());
            return;
        };
        let mut count = 0usize;
        let mut weight = 0u64;
        let mut tables = vec![(root, false)];
        let next = root.next.load(Ordering::Acquire);
        if !next.is_null() {
            // SAFETY: reached under `pin`.
            let n = unsafe { &*next };
            assert!(n.next.load(Ordering::Acquire).is_null(), "validate: more than two live tables");
            assert_eq!(n.generation, root.generation + 1, "validate: successor generation");
            tables.push((n, true));
        }
        for (t, is_next) in tables {
            assert!(t.len().is_power_of_two() && t.len() >= MIN_BUCKETS, "validate: table size {}", t.len());
            for (i, b) in t.buckets.iter().enumerate() {
                let head = b.load(Ordering::Acquire);
                let tag = super::node::tag_of(head);
                assert_eq!(tag & super::node::LOCKED, 0, "validate: bucket {i} still locked");
                if tag & super::node::MOVED != 0 {
                    assert!(!is_next && !next.is_null(), "validate: bucket {i} MOVED without a successor");
                    continue;
                }
                let mut seen: Vec<&K> = Vec::new();
                let summary = super::node::summary_of(head);
                let mut node = untagged(head);
                while !node.is_null() {
                    // SAFETY: reached from a table under `pin`.
                    let n = unsafe { &*node };
                    assert_eq!(n.hash, self.hash(&n.key), "validate: stored hash differs from the key's");
                    assert_eq!(n.hash as usize & t.mask, i, "validate: entry in the wrong bucket");
                    assert!(
                        super::node::may_contain(head, n.hash),
                        "validate: bucket {i}'s summary {summary:#x} lacks an entry's bit"
                    );
                    assert!(!seen.iter().any(|k| **k == n.key), "validate: duplicate key in bucket {i}");
                    seen.push(&n.key);
                    count += 1;
                    weight += n.weight();
                    node = n.next(t.link);
                }
            }
        }
        assert_eq!(count, self.len(), "validate: {count} entries reachable, len() = {}", self.len());
        if let Some(b) = &self.bound {
            assert_eq!(b.len.load(Ordering::Relaxed), count, "validate: bounded len counter");
            assert_eq!(b.len(), count, "validate: bounded len counter, as read");
            assert_eq!(b.weight_units(), weight, "validate: weight counter");
            assert!(!b.exceeds(count, weight), "validate: {count} entries of weight {weight} exceed the bound");
        }
        assert_eq!(self.walkers.load(Ordering::Relaxed), 0, "validate: a walker is still registered");
    }

    /// Bytes held: the map's fixed part (this core, its slots, its collector and their
    /// participants), tables, live nodes, spare node allocations (with the arrays that
    /// list them) and pending garbage.
    pub(crate) fn allocation_size(&self) -> usize {
        let pin = self.pin();
        let mut bytes = 0;
        if let Some(t) = self.root(&pin) {
            bytes += t.bytes();
            let next = t.next.load(Ordering::Acquire);
            if !next.is_null() {
                // SAFETY: reached under `pin`.
                bytes += unsafe { (*next).bytes() };
            }
        }
        let (held, pooled) = (self.slot_spares(), self.garbage.pooled_spares());
        bytes
            + core::mem::size_of::<Self>()
            + super::pool::COLLECTOR_BYTES
            + self.pool.fixed_bytes()
            + (self.len() + held + pooled) * core::mem::size_of::<Node<K, V>>()
            // A slot's spare batch is an array of pointers beside its nodes.
            + held * core::mem::size_of::<*mut Node<K, V>>()
            + self.garbage.spare_pool_bytes()
            + self.pending_garbage() as usize
    }
}
