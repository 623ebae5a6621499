//! Entries (`Node`s) and the tagged pointers that link them.
//!
//! A node is one heap allocation holding a key, its value, a 32-bit hash and two links.
//! Table generation `g` chains its buckets through `links[g & 1]`, so a resize builds the
//! new table's chains through the other link and never rewrites a link that a reader of
//! the old table may be following (see the module docs of `concurrent` for why the third
//! generation must wait for the first to be freed).

use core::ptr;

use crate::loom::{AtomicPtr, AtomicU32, Ordering};

/// Bucket-head tag: a writer holds this bucket's lock.
pub(crate) const LOCKED: usize = 1;
/// Bucket-head tag: this bucket was migrated to the table's successor; look there.
pub(crate) const MOVED: usize = 2;
const TAG_MASK: usize = 3;

/// `meta` bit 0: the CLOCK reference bit (bounded maps only).
pub(crate) const REFERENCED: u32 = 1;
/// `meta` bit 1: the entry is hot (bounded maps only; see `evict.rs`).
pub(crate) const HOT: u32 = 2;
/// Where the weight starts in `meta`.
const WEIGHT_SHIFT: u32 = 2;
/// The largest weight a node records (weights are stored in 30 bits).
pub(crate) const MAX_NODE_WEIGHT: u64 = (u32::MAX >> WEIGHT_SHIFT) as u64;

/// One entry of a [`ConcurrentMap`](crate::ConcurrentMap).
///
/// Immutable after publication except for `links` (written only under the lock of the
/// bucket whose chain contains the node, for the link of that bucket's table) and the
/// reference and hot bits of `meta` (bounded maps).
pub(crate) struct Node<K, V> {
    pub(crate) links: [AtomicPtr<Node<K, V>>; 2],
    /// The folded hash of `key`; a table of `n` buckets keeps the node in bucket
    /// `hash & (n - 1)`.
    pub(crate) hash: u32,
    /// Bit 0: referenced; bit 1: hot; bits 2..: the weight recorded at insertion.
    pub(crate) meta: AtomicU32,
    pub(crate) key: K,
    pub(crate) value: V,
}

impl<K, V> Node<K, V> {
    /// An unlinked node.
    #[inline(always)]
    fn fresh(hash: u32, key: K, value: V, weight: u64) -> Self {
        let w = weight.min(MAX_NODE_WEIGHT) as u32;
        Node {
            links: [AtomicPtr::new(ptr::null_mut()), AtomicPtr::new(ptr::null_mut())],
            hash,
            // New entries start cold and unreferenced (see `evict.rs`).
            meta: AtomicU32::new(w << WEIGHT_SHIFT),
            key,
            value,
        }
    }

    /// A new unlinked node built in `spare`, a spare allocation (see `reclaim`), as a raw
    /// pointer owned by the caller.
    ///
    /// # Safety
    ///
    /// - `spare` came from [`Node::alloc`], its node was moved out (by
    ///   [`reclaim::empty_node`](super::reclaim::empty_node)), and nobody else uses it.
    #[inline(always)]
    pub(crate) unsafe fn reuse(spare: *mut Self, hash: u32, key: K, value: V, weight: u64) -> *mut Self {
        // SAFETY: a `Box<Node>` allocation holding no node (the contract), so writable
        // and freeable as a `Box<Node>` again.
        unsafe { spare.write(Self::fresh(hash, key, value, weight)) };
        spare
    }

    /// A new unlinked node on the heap, as a raw pointer owned by the caller.
    pub(crate) fn alloc(hash: u32, key: K, value: V, weight: u64) -> *mut Self {
        let node = Box::into_raw(Box::new(Self::fresh(hash, key, value, weight)));
        // Head words keep a chain summary above the address (see `untagged`): x86_64 user
        // space addresses stay below 2^47 unless a program maps memory higher on purpose.
        if untagged(node) != node {
            // SAFETY: `node` came from `Box::into_raw` just above and was never shared.
            drop(unsafe { Box::from_raw(node) });
            panic!("leakless: a heap address above 2^48 leaves no room for chain summaries");
        }
        node
    }

    /// The weight recorded at insertion.
    #[inline]
    pub(crate) fn weight(&self) -> u64 {
        u64::from(self.meta.load(Ordering::Relaxed) >> WEIGHT_SHIFT)
    }

    /// Sets the reference bit (a read of a bounded map). Skips the write when already set,
    /// so hot entries do not bounce their cache line between readers.
    ///
    /// A plain store, not a read-modify-write (which costs a locked instruction on every
    /// read of an unmarked entry): the weight bits never change after publication, so the
    /// store can only overwrite a racing [`pass`](Self::pass) of the hand.
    #[inline]
    pub(crate) fn touch(&self) {
        let m = self.meta.load(Ordering::Relaxed);
        if m & REFERENCED == 0 {
            self.meta.store(m | REFERENCED, Ordering::Relaxed);
        }
    }

    /// `true` if the CLOCK hand would evict this entry now: cold and unreferenced.
    #[inline]
    pub(crate) fn evictable(&self) -> bool {
        self.meta.load(Ordering::Relaxed) & (HOT | REFERENCED) == 0
    }

    /// The CLOCK hand's pass over this entry (see `evict.rs`): a referenced cold entry
    /// loses its reference bit and becomes hot; a hot entry is aged only if `demote`
    /// (a referenced one loses its bit, an unreferenced one becomes cold), and is left
    /// as it is otherwise; an unreferenced cold entry is the one to evict. Returns
    /// whether it is to be evicted, and counts it in `tally`: `[hot after the pass,
    /// passed]`.
    ///
    /// Called under the lock of the node's bucket, or under a pin by
    /// [`Table::pass_bucket`](super::table::Table::pass_bucket). Plain stores suffice: the
    /// weight bits never change after publication, so a store here can only overwrite a
    /// racing [`touch`](Self::touch) or another hand's pass over the same entry, which
    /// costs the entry one reference, or one change of temperature: the policy is
    /// approximate anyway.
    #[inline]
    pub(crate) fn pass(&self, demote: bool, tally: &mut [usize; 2]) -> bool {
        let m = self.meta.load(Ordering::Relaxed);
        let (evict, hot) = match (m & HOT != 0, m & REFERENCED != 0) {
            (hot, true) => {
                // A hot entry's bit is cleared only by a pass that may demote (aging), so
                // its read still counts at the next such pass; a cold one becomes hot.
                if demote || !hot {
                    self.meta.store((m | HOT) & !REFERENCED, Ordering::Relaxed);
                }
                (false, true)
            }
            (true, false) => {
                if demote {
                    self.meta.store(m & !HOT, Ordering::Relaxed);
                }
                (false, !demote)
            }
            (false, false) => (true, false),
        };
        tally[0] += usize::from(hot);
        tally[1] += 1;
        evict
    }

    /// Sets the temperature of an entry not yet published: hot if `hot`, and referenced
    /// if `referenced`.
    #[inline]
    pub(crate) fn start(&self, hot: bool, referenced: bool) {
        let m = self.meta.load(Ordering::Relaxed);
        let bits = if hot { HOT } else { 0 } | if referenced { REFERENCED } else { 0 };
        self.meta.store(m | bits, Ordering::Relaxed);
    }

    /// `true` if the entry is hot.
    #[inline]
    pub(crate) fn is_hot(&self) -> bool {
        self.meta.load(Ordering::Relaxed) & HOT != 0
    }

    /// The link this node uses in tables of parity `link`.
    #[inline(always)]
    pub(crate) fn next(&self, link: usize) -> *mut Node<K, V> {
        // `& 1`: a link index is a parity (and the bounds check folds away).
        self.links[link & 1].load(Ordering::Acquire)
    }
}

/// Folds a 64-bit hash to the 32 bits a node keeps.
#[inline(always)]
pub(crate) fn fold(hash: u64) -> u32 {
    (hash ^ (hash >> 32)) as u32
}

#[inline(always)]
pub(crate) fn tag_of<T>(p: *mut T) -> usize {
    p.addr() & TAG_MASK
}

/// The pointer of a head word or link, without tags or chain summary.
#[inline(always)]
pub(crate) fn untagged<T>(p: *mut T) -> *mut T {
    p.map_addr(|a| a & ADDR_MASK)
}

// # Chain summaries
//
// On x86_64 a bucket's head word keeps, in its top 16 bits, a summary of the
// hashes in its chain: bit `hash >> 28` of every node. Lookups whose bit is clear miss
// without touching a node. Invariant: every head word stored holds a superset of the
// bits of the chain it publishes (pushes add the new node's bit in the same store;
// unlinks keep the old bits until the lock holder recomputes them on unlocking), so a
// clear bit proves the key absent from the chain the word heads. Heap addresses must fit
// in the low 48 bits ([`Node::alloc`] checks). Other targets keep no summary (every chain
// "may contain" every hash): aarch64 heaps may tag the top byte of their pointers
// (Android's heap tagging does), so those bits are not ours to use there.

#[cfg(all(target_pointer_width = "64", target_arch = "x86_64"))]
const SUMMARY_SHIFT: u32 = 48;
#[cfg(all(target_pointer_width = "64", target_arch = "x86_64"))]
const ADDR_MASK: usize = ((1 << SUMMARY_SHIFT) - 1) & !TAG_MASK;
#[cfg(not(all(target_pointer_width = "64", target_arch = "x86_64")))]
const ADDR_MASK: usize = !TAG_MASK;

/// The chain-summary bit of a hash.
#[inline(always)]
pub(crate) fn summary_bit(hash: u32) -> usize {
    1 << (hash >> 28)
}

/// The chain summary of a head word.
#[inline(always)]
pub(crate) fn summary_of<T>(p: *mut T) -> usize {
    #[cfg(all(target_pointer_width = "64", target_arch = "x86_64"))]
    return p.addr() >> SUMMARY_SHIFT;
    #[cfg(not(all(target_pointer_width = "64", target_arch = "x86_64")))]
    return {
        let _ = p;
        usize::MAX
    };
}

/// `node` (untagged) with the chain summary `summary`, as a head word.
#[inline(always)]
pub(crate) fn with_summary<T>(node: *mut T, summary: usize) -> *mut T {
    #[cfg(all(target_pointer_width = "64", target_arch = "x86_64"))]
    return node.map_addr(|a| a | (summary & 0xffff) << SUMMARY_SHIFT);
    #[cfg(not(all(target_pointer_width = "64", target_arch = "x86_64")))]
    return {
        let _ = summary;
        node
    };
}

/// `false` if the chain headed by `head` cannot contain a node with hash `hash`.
#[inline(always)]
pub(crate) fn may_contain<T>(head: *mut T, hash: u32) -> bool {
    summary_of(head) & summary_bit(hash) != 0
}

#[inline(always)]
pub(crate) fn tagged<T>(p: *mut T, tag: usize) -> *mut T {
    p.map_addr(|a| a | tag)
}

/// A retired node tagged with its removal cause (3 bits; nodes are 8-aligned).
#[inline(always)]
pub(crate) fn with_cause<K, V>(p: *mut Node<K, V>, cause: crate::policy::RemovalCause) -> *mut Node<K, V> {
    p.map_addr(|a| a | cause as usize)
}

/// Splits a pointer made by [`with_cause`].
#[inline(always)]
pub(crate) fn split_cause<K, V>(p: *mut Node<K, V>) -> (*mut Node<K, V>, crate::policy::RemovalCause) {
    (p.map_addr(|a| a & !7), crate::policy::RemovalCause::ALL[p.addr() & 7])
}

/// The head a bucket holds once migrated: no pointer, tag [`MOVED`].
#[inline(always)]
pub(crate) fn moved<T>() -> *mut T {
    ptr::without_provenance_mut(MOVED)
}

#[cfg(all(test, not(leakless_loom)))]
mod tests {
    use super::*;

    fn state(n: &Node<u64, u64>) -> (bool, bool) {
        let m = n.meta.load(Ordering::Relaxed);
        (m & HOT != 0, m & REFERENCED != 0)
    }

    #[test]
    fn the_hand_ages_a_hot_entry_only_on_a_pass_that_may_demote() {
        let n = Node::fresh(7, 1u64, 2u64, 5);
        let mut tally = [0; 2];
        // New: cold, unreferenced, the one to evict.
        assert_eq!(state(&n), (false, false));
        n.touch();
        assert!(!n.pass(false, &mut tally), "a read cold entry is not evicted");
        assert_eq!(state(&n), (true, false), "it becomes hot, its bit cleared");
        n.touch();
        for _ in 0..3 {
            assert!(!n.pass(false, &mut tally));
            assert_eq!(state(&n), (true, true), "a non-aging pass leaves a read hot entry's bit");
        }
        assert!(!n.pass(true, &mut tally));
        assert_eq!(state(&n), (true, false), "an aging pass clears the bit: one more chance");
        assert!(!n.pass(false, &mut tally));
        assert_eq!(state(&n), (true, false), "unread, but not aging: still hot");
        assert!(!n.pass(true, &mut tally));
        assert_eq!(state(&n), (false, false), "unread since the last aging pass: demoted");
        assert!(n.pass(false, &mut tally), "then evicted at the next pass");
        assert_eq!(tally, [6, 8], "hot after each of the 8 passes but the last two");
        assert_eq!(n.meta.load(Ordering::Relaxed) >> WEIGHT_SHIFT, 5, "the weight bits never change");
    }
}
