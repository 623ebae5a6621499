//! Bucket arrays, bucket locks, lock-free lookup, and bucket-by-bucket migration.
//!
//! # Invariants
//!
//! - A bucket head is a node pointer tagged with [`LOCKED`] (a writer holds the bucket)
//!   and/or [`MOVED`] (migrated: the pointer is null and the entries live in `next`).
//!   Only the lock holder changes a head or a link of a node in its chain; it publishes
//!   with `Release` stores, readers load with `Acquire`.
//! - A table with a locked bucket is not retired: retiring a table requires every one of
//!   its buckets to be `MOVED`, and only a lock holder marks a bucket `MOVED`. So a thread
//!   holding a bucket lock may use that table and the nodes of that chain without a pin.
//! - A node of a chain is retired only by the holder of that chain's lock, after
//!   unlinking it.
//! - While a table grows into `next`, the buckets of `next` that bucket `i` splits into
//!   (`i + k * len`) are written only by the thread migrating `i`, which holds `i`'s
//!   lock: writers reach `next` through a `MOVED` bucket of this table (or once `next`
//!   is the root, after every bucket is `MOVED`), and walkers lock a bucket's children
//!   only after seeing it `MOVED`. So growth fills them without locking them; the
//!   `Release` store of `MOVED` publishes them. Shrinking merges several buckets into one
//!   and locks it.
//! - A head word carries a summary of its chain's hashes above the address (see
//!   `node.rs`): every store of a head word publishes a superset of the chain's bits, and
//!   the lock holder recomputes the exact summary when it unlocks after an unlink.
//! - `next`, once set, never changes. A table of generation `g` links through
//!   `links[g & 1]`; migration into `next` (generation `g + 1`) writes only the other
//!   link, so a reader still walking the old chains is never diverted.

use core::ptr;

use super::node::{
    may_contain, moved, summary_bit, summary_of, tag_of, tagged, untagged, with_summary, Node, LOCKED, MOVED,
};
use crate::error::or_abort;
use crate::loom::{spin_wait, AtomicPtr, AtomicU32, AtomicUsize, Ordering};

/// Buckets migrated per helping step (small under loom, to explore interleavings
/// within a migration).
pub(crate) const CHUNK: usize = if cfg!(leakless_loom) { 2 } else { 64 };
/// How many buckets ahead migration prefetches the first node of a bucket.
#[cfg(not(leakless_loom))]
const PREFETCH_AHEAD: usize = 8;
/// The smallest table.
pub(crate) const MIN_BUCKETS: usize = 8;
/// The largest table (node hashes have 32 bits).
pub(crate) const MAX_BUCKETS: usize = 1 << 31;

pub(crate) struct Table<K, V> {
    pub(crate) buckets: Buckets<K, V>,
    pub(crate) mask: usize,
    /// Which of a node's links this table's chains use.
    pub(crate) link: usize,
    pub(crate) generation: u64,
    /// The table this one migrates into, or null.
    pub(crate) next: AtomicPtr<Table<K, V>>,
    /// The next bucket index not yet claimed by a migrating thread.
    claim: AtomicUsize,
    /// Buckets fully migrated.
    done: AtomicUsize,
    /// A bounded map's ghost table: the hashes of entries recently evicted cold, one
    /// slot per bucket, at most the bound's entries rounded up to a power of two (see
    /// `evict.rs`).
    ghost: Option<Box<[AtomicU32]>>,
}

/// The ghost slot of `hash` in a ghost table of `len` slots (a power of two): from the
/// high bits of a mix, independent of the bucket index.
#[inline(always)]
fn ghost_index(hash: u32, len: usize) -> usize {
    debug_assert!(len.is_power_of_two() && len > 1);
    (hash.wrapping_mul(0x9E37_79B9) >> (32 - len.trailing_zeros())) as usize
}

impl<K, V> Table<K, V> {
    /// A new empty table of `buckets` (a power of two) buckets.
    pub(crate) fn alloc(buckets: usize, generation: u64, ghost: usize) -> *mut Self {
        or_abort(Self::try_alloc(buckets, generation, ghost))
    }

    /// As [`Table::alloc`], reporting a refused bucket array instead of aborting.
    /// With `ghost` slots (a power of two; 0 for none, as an unbounded map has), the
    /// table has a ghost table (see `evict.rs`).
    pub(crate) fn try_alloc(
        buckets: usize,
        generation: u64,
        ghost: usize,
    ) -> Result<*mut Self, crate::TryReserveError> {
        debug_assert!(buckets.is_power_of_two());
        debug_assert!(ghost == 0 || ghost.is_power_of_two() && ghost > 1);
        let ghost = if ghost > 0 { Some(empty_ghost(ghost)?) } else { None };
        Ok(Self::with_buckets(empty_buckets(buckets)?, generation, ghost))
    }

    fn with_buckets(buckets: Buckets<K, V>, generation: u64, ghost: Option<Box<[AtomicU32]>>) -> *mut Self {
        Box::into_raw(Box::new(Table {
            mask: buckets.len() - 1,
            buckets,
            link: (generation & 1) as usize,
            generation,
            next: AtomicPtr::new(ptr::null_mut()),
            claim: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            ghost,
        }))
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.buckets.len()
    }

    /// Heap bytes of this table: itself, its buckets and its ghost table.
    pub(crate) fn bytes(&self) -> usize {
        core::mem::size_of::<Self>()
            + self.len() * core::mem::size_of::<AtomicPtr<Node<K, V>>>()
            + self.ghost.as_ref().map_or(0, |g| g.len() * core::mem::size_of::<AtomicU32>())
    }

    #[inline(always)]
    pub(crate) fn bucket(&self, hash: u32) -> &AtomicPtr<Node<K, V>> {
        let index = hash as usize & self.mask;
        debug_assert!(index < self.buckets.len());
        // SAFETY: `mask` is `buckets.len() - 1` (set with the buckets, and neither changes
        // after construction), so `index < buckets.len()`.
        unsafe { self.buckets.get_unchecked(index) }
    }

    /// Finds the node holding a key equal to `eq` with hash `hash`, without locking.
    ///
    /// # Safety
    ///
    /// - `self` must be a table the caller reached from the map's root while pinned, and
    ///   the caller must stay pinned for as long as it uses the result (every node reachable
    ///   from such a table was linked after the pin began or is retired no earlier than
    ///   the pin, so it is freed no earlier than the unpin).
    #[inline]
    pub(crate) unsafe fn find(&self, hash: u32, mut eq: impl FnMut(&K) -> bool) -> Option<&Node<K, V>> {
        let mut table = self;
        loop {
            let head = table.bucket(hash).load(Ordering::Acquire);
            if tag_of(head) & MOVED != 0 {
                // SAFETY: a bucket is marked MOVED only after `next` was set (Release on
                // the head, Acquire above), and `next` outlives `table` (it is retired
                // later, so our pin protects it too).
                table = unsafe { &*table.next.load(Ordering::Acquire) };
                continue;
            }
            if !may_contain(head, hash) {
                return None;
            }
            let mut node = untagged(head);
            while !node.is_null() {
                // SAFETY: `node` was reachable from a live chain of a table reached while
                // pinned; nodes are retired only after being unlinked and freed only
                // after every pin older than the retirement ends (see the function's
                // contract).
                let n = unsafe { &*node };
                if n.hash == hash && eq(&n.key) {
                    return Some(n);
                }
                node = n.next(table.link);
            }
            return None;
        }
    }

    /// Asks the CPU to fetch the first node of the bucket of `hash` (a hint: see
    /// [`prefetch`](crate::loom::prefetch)), for a walk about to reach that bucket.
    #[inline(always)]
    pub(crate) fn prefetch_chain(&self, hash: u32) {
        crate::loom::prefetch(untagged(self.bucket(hash).load(Ordering::Relaxed)));
    }

    /// CLOCK's pass over the bucket of `hash` without its lock: if no node of the chain
    /// (none, for an empty bucket) is evictable, passes over each (see [`Node::pass`],
    /// which counts them in `tally`) and returns `true`, so the hand
    /// moves on without locking a bucket it could not evict from. `false` if some node is
    /// evictable or the bucket was migrated: the caller locks the bucket and evicts under
    /// the lock. `keep` (or null) is skipped.
    ///
    /// Nodes a writer links or unlinks meanwhile may or may not be seen, as by any reader;
    /// at worst an entry's pass is lost or overwritten (see [`Node::pass`]).
    ///
    /// # Safety
    ///
    /// - As for [`Table::find`].
    #[inline]
    pub(crate) unsafe fn pass_bucket(
        &self,
        hash: u32,
        keep: *const Node<K, V>,
        demote: bool,
        tally: &mut [usize; 2],
    ) -> bool {
        let head = self.bucket(hash).load(Ordering::Acquire);
        if tag_of(head) & MOVED != 0 {
            return false;
        }
        // Check every node, then pass them: two plain loops.
        let first = untagged(head);
        let mut node = first;
        while !node.is_null() {
            // SAFETY: reached from a chain of a table reached while pinned (as in `find`).
            let n = unsafe { &*node };
            if n.evictable() && !ptr::eq(n, keep) {
                return false;
            }
            node = n.next(self.link);
        }
        let mut node = first;
        while !node.is_null() {
            // SAFETY: as above.
            let n = unsafe { &*node };
            if !ptr::eq(n, keep) {
                n.pass(demote, tally);
            }
            node = n.next(self.link);
        }
        true
    }

    /// `true` if an entry of hash `hash` left this table's bounded map recently (evicted
    /// cold; see `evict.rs`), as far as the ghost table remembers.
    #[inline]
    pub(crate) fn ghost_has(&self, hash: u32) -> bool {
        self.ghost.as_ref().is_some_and(|g| g[ghost_index(hash, g.len())].load(Ordering::Relaxed) == hash | 1)
    }

    /// Remembers that an entry of hash `hash` was evicted cold.
    #[inline]
    pub(crate) fn remember_ghost(&self, hash: u32) {
        if let Some(g) = &self.ghost {
            g[ghost_index(hash, g.len())].store(hash | 1, Ordering::Relaxed);
        }
    }

    /// Locks the bucket of `hash` in this table or, if it was migrated, in its successor.
    ///
    /// # Safety
    ///
    /// - The caller must be pinned and `self` reached from the map's root during the pin.
    pub(crate) unsafe fn lock(&self, hash: u32) -> BucketLock<K, V> {
        let mut table: *const Table<K, V> = self;
        let mut step = 0;
        loop {
            // SAFETY: `table` is `self` or a successor reached through a MOVED bucket,
            // both protected by the caller's pin (see `find`).
            let t = unsafe { &*table };
            let bucket = t.bucket(hash);
            let head = bucket.load(Ordering::Acquire);
            let tag = tag_of(head);
            if tag & MOVED != 0 {
                table = t.next.load(Ordering::Acquire);
                step = 0;
                continue;
            }
            if tag & LOCKED != 0 {
                spin_wait(&mut step);
                continue;
            }
            if bucket.compare_exchange_weak(head, tagged(head, LOCKED), Ordering::Acquire, Ordering::Relaxed).is_ok() {
                let (head, summary) = (untagged(head), summary_of(head));
                return BucketLock { table, index: hash as usize & t.mask, head, summary, stale: false };
            }
        }
    }

    /// Locks bucket `index` of this table, or returns `None` if it was migrated.
    ///
    /// # Safety
    ///
    /// - As for [`Table::lock`].
    pub(crate) unsafe fn lock_index(&self, index: usize) -> Option<BucketLock<K, V>> {
        let bucket = &self.buckets[index];
        let mut step = 0;
        loop {
            let head = bucket.load(Ordering::Acquire);
            let tag = tag_of(head);
            if tag & MOVED != 0 {
                return None;
            }
            if tag & LOCKED != 0 {
                spin_wait(&mut step);
                continue;
            }
            if bucket.compare_exchange_weak(head, tagged(head, LOCKED), Ordering::Acquire, Ordering::Relaxed).is_ok() {
                let (head, summary) = (untagged(head), summary_of(head));
                return Some(BucketLock { table: self, index, head, summary, stale: false });
            }
        }
    }

    /// Claims and migrates one chunk of buckets into `next`. Returns whether this call
    /// migrated the last bucket (the caller must then make `next` the root and retire
    /// this table) and how many nodes it moved, or `None` if no chunk was left to claim.
    ///
    /// # Safety
    ///
    /// - As for [`Table::lock`]; `next` must be non-null.
    pub(crate) unsafe fn migrate_chunk(&self) -> Option<(bool, usize)> {
        let start = self.claim.fetch_add(CHUNK, Ordering::Relaxed);
        if start >= self.len() {
            return None;
        }
        let mut nodes = 0;
        let end = (start + CHUNK).min(self.len());
        // SAFETY: the caller checked `next` is set; it lives as long as `self` does.
        let next = unsafe { &*self.next.load(Ordering::Acquire) };
        // Growing, the buckets of `next` that bucket `i` splits into receive nodes from
        // bucket `i` only, and nobody else writes them before `i` is marked MOVED (module
        // invariants): the migrator, holding `i`'s lock, writes them without locking.
        let growing = next.len() > self.len();
        // A large successor comes zeroed from fresh pages that nothing has touched yet. The
        // buckets growth fills are ours alone (above), so store their nulls first: a page
        // first touched by a read maps the shared zero page and then faults a second time
        // on the write; touched by a write, it faults once.
        #[cfg(not(leakless_loom))]
        if growing {
            for target in (start..next.len()).step_by(self.len()) {
                for b in &next.buckets[target..target + (end - start)] {
                    b.store(ptr::null_mut(), Ordering::Relaxed);
                }
            }
        }
        // Buckets are visited in order but their nodes lie anywhere on the heap, and each
        // bucket's lock CAS stalls the CPU before the next bucket's node is even loaded:
        // ask for the nodes a few buckets ahead so their cache misses overlap.
        #[cfg(not(leakless_loom))]
        let prefetch_head = |i: usize| {
            if i < self.len() {
                // `i` is a bucket index (below `MAX_BUCKETS`, so it fits a `u32`).
                self.prefetch_chain(i as u32);
            }
        };
        #[cfg(not(leakless_loom))]
        (start..start + PREFETCH_AHEAD).for_each(prefetch_head);
        for index in start..end {
            #[cfg(not(leakless_loom))]
            prefetch_head(index + PREFETCH_AHEAD);
            // An empty, unlocked bucket is migrated by marking it, without locking. The
            // CAS acquires: `compute` may have unlocked this bucket unpinned (its user code
            // runs unpinned, and keeping an empty bucket unchanged takes no new pin), and
            // only this edge, carried on through `done` to the thread that retires the
            // table, orders that unlock and its reads of the table before the free.
            if self.buckets[index]
                .compare_exchange(ptr::null_mut(), moved(), Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                continue;
            }
            // SAFETY: forwarded contract; a chunk is claimed by one thread only, and only
            // migration marks a bucket MOVED, so the bucket is not MOVED yet.
            let Some(lock) = (unsafe { self.lock_index(index) }) else {
                continue;
            };
            let mut node = lock.head;
            while !node.is_null() {
                // SAFETY: nodes of a locked chain are live (only the lock holder retires
                // them), and `next` is not retired while `self` is not.
                let n = unsafe { &*node };
                let following = n.next(self.link);
                if growing {
                    let target = next.bucket(n.hash);
                    // Only we write this bucket until `index` is MOVED (see above).
                    let old = target.load(Ordering::Relaxed);
                    n.links[next.link].store(untagged(old), Ordering::Relaxed);
                    // Release: a reader of `next` that sees the node sees its link.
                    target.store(with_summary(node, summary_of(old) | summary_bit(n.hash)), Ordering::Release);
                } else {
                    // SAFETY: `next` is protected as above; locking its bucket orders us
                    // with the migrators of the other buckets that shrink into it.
                    let mut target = unsafe { next.lock(n.hash) };
                    debug_assert!(ptr::eq(target.table, next), "the successor is not itself migrating");
                    target.push(node);
                    drop(target);
                }
                nodes += 1;
                node = following;
            }
            lock.finish_moved();
        }
        let count = end - start;
        Some((self.done.fetch_add(count, Ordering::AcqRel) + count == self.len(), nodes))
    }

    /// `true` if every bucket was migrated.
    pub(crate) fn fully_migrated(&self) -> bool {
        self.done.load(Ordering::Acquire) == self.len()
    }
}

/// A table's bucket heads.
type Buckets<K, V> = Box<[AtomicPtr<Node<K, V>>]>;

/// Where the root table's buckets are, kept outside the table so that a lock-free read
/// can ask the CPU for the line of its bucket head before it pins (crossbeam's pin is a
/// locked instruction, which later loads wait for; the prefetch started before it runs
/// alongside). Read without a pin, it may name a table already freed: it is only ever
/// turned into a prefetch, which reads nothing and cannot fault (see
/// [`prefetch`](crate::loom::prefetch)), never into a load.
///
/// One word: the bucket array's address, with `log2(buckets)` in the top 6 bits (user
/// space addresses stay far below `2^58`; a higher one makes a useless prefetch, not a
/// wrong result). 0 (no table yet) prefetches address 0. Relaxed everywhere: a stale
/// word costs a useless prefetch, and readers refresh it in their maintenance.
#[derive(Default)]
pub(crate) struct BucketHint(core::sync::atomic::AtomicUsize);

impl BucketHint {
    const SHIFT: u32 = usize::BITS - 6;

    /// Points the hint at `table`, unless it already does.
    #[inline]
    pub(crate) fn set<K, V>(&self, table: &Table<K, V>) {
        let word = table.buckets.as_ptr().addr() | ((table.mask.count_ones() as usize) << Self::SHIFT);
        if self.0.load(core::sync::atomic::Ordering::Relaxed) != word {
            self.0.store(word, core::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Prefetches the head of the bucket of `hash` in the table the hint names. Only
    /// reads do: writes, which lock the bucket soon after, measured no gain from it.
    #[inline(always)]
    pub(crate) fn prefetch(&self, hash: u32) {
        let word = self.0.load(core::sync::atomic::Ordering::Relaxed);
        let mask = (1usize << (word >> Self::SHIFT)) - 1;
        let base = word & ((1 << Self::SHIFT) - 1);
        let head = base.wrapping_add((hash as usize & mask) * core::mem::size_of::<usize>());
        crate::loom::prefetch(core::ptr::without_provenance::<u8>(head));
    }
}

/// `n` atomics made by `new`, one by one, or the error of the refused allocation.
fn built<T>(n: usize, new: impl Fn() -> T) -> Result<Box<[T]>, crate::TryReserveError> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| crate::TryReserveError::for_vec::<T>(n))?;
    v.extend((0..n).map(|_| new()));
    Ok(v.into_boxed_slice())
}

/// A ghost table of `n` empty slots.
fn empty_ghost(n: usize) -> Result<Box<[AtomicU32]>, crate::TryReserveError> {
    built(n, || AtomicU32::new(0))
}

/// An array of `n > 0` empty (null) buckets.
///
/// Zeroed memory from the allocator: a large array comes from fresh pages, which are
/// not written twice (and a null `AtomicPtr` is all zero bits). Under loom, whose atomics
/// are not plain memory, the buckets are built one by one.
fn empty_buckets<K, V>(n: usize) -> Result<Buckets<K, V>, crate::TryReserveError> {
    #[cfg(leakless_loom)]
    {
        built(n, || AtomicPtr::new(ptr::null_mut()))
    }
    #[cfg(not(leakless_loom))]
    {
        let layout = core::alloc::Layout::array::<AtomicPtr<Node<K, V>>>(n)
            .map_err(|_| crate::TryReserveError::CapacityOverflow)?;
        debug_assert!(layout.size() > 0);
        // SAFETY: `layout` has a non-zero size (`n > 0` pointers).
        let p = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<AtomicPtr<Node<K, V>>>();
        if p.is_null() {
            return Err(crate::TryReserveError::AllocError { layout });
        }
        // SAFETY: `p` is a fresh allocation of `layout`, the layout of `[AtomicPtr; n]`,
        // with every byte zero; an all-zero `AtomicPtr` is a valid null pointer (it has
        // the representation of `*mut T`). `Box<[T]>` frees with `Layout::array::<T>(n)`,
        // the layout it was allocated with.
        Ok(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(p, n)) })
    }
}

/// Where [`BucketLock::position`] stopped in a locked chain.
pub(crate) struct Position<K, V> {
    /// The node before `cur` (null if `cur` is the head).
    pub(crate) prev: *mut Node<K, V>,
    /// The node found, or null.
    pub(crate) cur: *mut Node<K, V>,
    /// Nodes walked past before `cur`.
    pub(crate) before: usize,
}

/// A held bucket lock. Unlocks on drop, also when unwinding out of user code.
pub(crate) struct BucketLock<K, V> {
    table: *const Table<K, V>,
    index: usize,
    /// The current head (untagged).
    pub(crate) head: *mut Node<K, V>,
    /// The chain summary published with the head: a superset of the chain's bits.
    summary: usize,
    /// Set when a node left the chain: the summary is recomputed on unlocking.
    stale: bool,
}

impl<K, V> BucketLock<K, V> {
    /// The table whose bucket is locked.
    #[inline(always)]
    pub(crate) fn table(&self) -> &Table<K, V> {
        // SAFETY: a table with a locked bucket is not retired (module invariants), and we
        // hold the lock until `self` is dropped.
        unsafe { &*self.table }
    }

    #[inline(always)]
    pub(crate) fn table_ptr(&self) -> *const Table<K, V> {
        self.table
    }

    #[inline(always)]
    fn bucket(&self) -> &AtomicPtr<Node<K, V>> {
        // `index` is a bucket index of the table (below `MAX_BUCKETS`, so it fits a
        // `u32`), which `Table::bucket`'s mask leaves as it is.
        self.table().bucket(self.index as u32)
    }

    /// `false` if the chain cannot hold a node with hash `hash` (so a lookup under the
    /// lock need not walk it).
    #[inline(always)]
    fn may_contain(&self, hash: u32) -> bool {
        self.summary & summary_bit(hash) != 0
    }

    /// Publishes a new head (keeping the lock), with the current summary.
    #[inline]
    fn set_head(&mut self, node: *mut Node<K, V>) {
        self.head = node;
        self.bucket().store(tagged(with_summary(node, self.summary), LOCKED), Ordering::Release);
    }

    /// Unlinks the node `prev`'s successor (or the head when `prev` is null) is, i.e.
    /// `victim`, from the chain. Returns the victim's successor.
    ///
    /// # Safety
    ///
    /// - `prev` (if non-null) and `victim` must be consecutive nodes of this chain.
    #[inline]
    pub(crate) unsafe fn unlink(&mut self, prev: *mut Node<K, V>, victim: *mut Node<K, V>) -> *mut Node<K, V> {
        let link = self.table().link;
        // SAFETY: `victim` is in our locked chain, so live.
        let following = unsafe { (*victim).next(link) };
        self.stale = true;
        if prev.is_null() {
            self.set_head(following);
        } else {
            // SAFETY: `prev` is in our locked chain, so live; we hold its lock.
            unsafe { (*prev).links[link].store(following, Ordering::Release) };
        }
        following
    }

    /// The first node of the chain for which `pred` holds (null if none), its
    /// predecessor (null for the head), and how many nodes came before it.
    #[inline]
    pub(crate) fn position(&self, mut pred: impl FnMut(&Node<K, V>) -> bool) -> Position<K, V> {
        let link = self.table().link;
        let (mut prev, mut cur, mut before) = (ptr::null_mut(), self.head, 0);
        while !cur.is_null() {
            // SAFETY: nodes of a locked chain are live.
            let c = unsafe { &*cur };
            if pred(c) {
                break;
            }
            prev = cur;
            cur = c.next(link);
            before += 1;
        }
        Position { prev, cur, before }
    }

    /// [`position`](Self::position) of the node with hash `hash` whose key `eq` accepts;
    /// no walk when the chain's summary rules the hash out.
    #[inline]
    pub(crate) fn find(&self, hash: u32, mut eq: impl FnMut(&K) -> bool) -> Position<K, V> {
        if !self.may_contain(hash) {
            return Position { prev: ptr::null_mut(), cur: ptr::null_mut(), before: 0 };
        }
        self.position(|c| c.hash == hash && eq(&c.key))
    }

    /// Unlinks the first node of the chain for which `pred` holds; that node (now owned
    /// by the caller, to retire once), or `None`.
    #[inline]
    pub(crate) fn unlink_first(&mut self, pred: impl FnMut(&Node<K, V>) -> bool) -> Option<*mut Node<K, V>> {
        let Position { prev, cur, .. } = self.position(pred);
        if cur.is_null() {
            return None;
        }
        // SAFETY: `position` returns consecutive nodes of our chain.
        unsafe { self.unlink(prev, cur) };
        Some(cur)
    }

    /// Puts `node` in `victim`'s place in the chain (same key, new value).
    ///
    /// # Safety
    ///
    /// - As for [`BucketLock::unlink`]; `node` must be unpublished and owned by the caller.
    pub(crate) unsafe fn replace(&mut self, prev: *mut Node<K, V>, victim: *mut Node<K, V>, node: *mut Node<K, V>) {
        let link = self.table().link;
        // SAFETY: `victim` is live (our chain); `node` is ours and unpublished.
        unsafe {
            if self.table().ghost.is_some() {
                // A new value for a present key keeps its temperature, and was just used.
                (*node).start((*victim).is_hot(), true);
            }
            (*node).links[link].store((*victim).next(link), Ordering::Relaxed);
        }
        if prev.is_null() {
            self.set_head(node);
        } else {
            // SAFETY: `prev` is in our locked chain.
            unsafe { (*prev).links[link].store(node, Ordering::Release) };
        }
    }

    /// Prepends an unpublished node owned by the caller.
    pub(crate) fn push(&mut self, node: *mut Node<K, V>) {
        let table = self.table();
        let link = table.link;
        // SAFETY: the caller passes a node it owns and has not published.
        unsafe {
            if table.ghost_has((*node).hash) {
                // Evicted cold not long ago and back already: it enters hot.
                (*node).start(true, false);
            }
            (*node).links[link].store(self.head, Ordering::Relaxed);
            self.summary |= summary_bit((*node).hash);
        }
        self.set_head(node);
    }

    /// Marks the bucket migrated and releases it.
    fn finish_moved(self) {
        self.bucket().store(moved(), Ordering::Release);
        core::mem::forget(self);
    }
}

impl<K, V> Drop for BucketLock<K, V> {
    #[inline]
    fn drop(&mut self) {
        if self.stale {
            let link = self.table().link;
            let (mut summary, mut node) = (0, self.head);
            while !node.is_null() {
                // SAFETY: nodes of our locked chain are live.
                let n = unsafe { &*node };
                summary |= summary_bit(n.hash);
                node = n.next(link);
            }
            self.summary = summary;
        }
        self.bucket().store(with_summary(self.head, self.summary), Ordering::Release);
    }
}
