//! [`InnerMut`]: mutable access to one inner collection, pruned when it is left empty.

use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::ops::{Deref, DerefMut};

use hashbrown::hash_table::OccupiedEntry;

use super::Tally;
use super::{InnerCollection, InnerLookup};
use crate::hash_map::hasher;
use crate::policy::{PanicSlot, RemovalCause, Small};
use crate::raw::Control;

/// Mutable access to the inner collection of one outer key of a
/// [`NestedMap`](super::NestedMap), from [`inner_mut`](super::NestedMap::inner_mut) or
/// [`get_inner_mut`](super::NestedMap::get_inner_mut).
///
/// It dereferences to the inner collection. When it is dropped — at the end of its
/// scope, or while a panic in the code using it unwinds — it brings the nested map's
/// leaf count up to date and, if the inner collection is empty, removes it from the
/// outer map (counted in [`Stats::pruned`](crate::Stats::pruned)). Forgetting the guard
/// (`mem::forget`) is safe but skips both: [`NestedMap::validate`](super::NestedMap::validate)
/// would then report the stale count.
///
/// # Examples
///
/// ```
/// use leakless::NestedMap;
///
/// let mut m: NestedMap<&str, Vec<u32>> = NestedMap::new();
/// {
///     let mut queue = m.inner_mut("jobs");
///     queue.push(1);
///     queue.push(2);
/// }
/// assert_eq!(m.len(), 2);
/// if let Some(mut queue) = m.get_inner_mut("jobs") {
///     queue.clear();
/// } // the guard is dropped here: "jobs" is empty, so it is pruned
/// assert_eq!(m.outer_len(), 0);
/// assert_eq!(m.stats().pruned, 1);
/// ```
pub struct InnerMut<'a, K1: Hash, M: InnerCollection, S: BuildHasher> {
    /// `Some` until the guard is dropped.
    pub(super) entry: Option<OccupiedEntry<'a, (K1, M)>>,
    pub(super) outer: Outer<'a, S>,
    /// The inner collection's `len()` when the guard was made.
    pub(super) before: usize,
    /// Whether pruning may shrink the outer table (not while `retain` walks its buckets).
    pub(super) may_shrink: bool,
}

/// The parts of a [`NestedMap`](super::NestedMap) besides its outer table that settling
/// an edited inner collection updates.
pub(super) struct Outer<'a, S> {
    pub(super) ctl: &'a mut Control,
    pub(super) hash_builder: &'a S,
    pub(super) tally: &'a mut Tally,
}

impl<'a, K1: Hash, M: InnerCollection, S: BuildHasher> InnerMut<'a, K1, M, S> {
    /// A guard over the inner collection of `entry`, remembering its length. With
    /// `may_shrink`, pruning it may also shrink the outer table.
    #[inline]
    pub(super) fn new(entry: OccupiedEntry<'a, (K1, M)>, outer: Outer<'a, S>, may_shrink: bool) -> Self {
        let before = entry.get().1.len();
        Self { entry: Some(entry), outer, before, may_shrink }
    }

    /// The outer key.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m: leakless::NestedMap<u8, Vec<u8>> = leakless::NestedMap::new();
    /// assert_eq!(*m.inner_mut(7).key(), 7);
    /// ```
    pub fn key(&self) -> &K1 {
        &self.entry().get().0
    }

    /// The outer key and the inner collection at once.
    pub(super) fn key_and_inner(&mut self) -> (&K1, &mut M) {
        let (k, m) = self.entry_mut().get_mut();
        (k, m)
    }

    #[inline]
    fn entry(&self) -> &OccupiedEntry<'a, (K1, M)> {
        self.entry.as_ref().expect("InnerMut: the entry is present until drop")
    }

    #[inline]
    fn entry_mut(&mut self) -> &mut OccupiedEntry<'a, (K1, M)> {
        self.entry.as_mut().expect("InnerMut: the entry is present until drop")
    }
}

impl<K1: Hash, M: InnerCollection, S: BuildHasher> Deref for InnerMut<'_, K1, M, S> {
    type Target = M;

    #[inline]
    fn deref(&self) -> &M {
        &self.entry().get().1
    }
}

impl<K1: Hash, M: InnerCollection, S: BuildHasher> DerefMut for InnerMut<'_, K1, M, S> {
    #[inline]
    fn deref_mut(&mut self) -> &mut M {
        &mut self.entry_mut().get_mut().1
    }
}

impl<K1: Hash, M: InnerCollection, S: BuildHasher> Drop for InnerMut<'_, K1, M, S> {
    #[inline]
    fn drop(&mut self) {
        let Some(entry) = self.entry.take() else { return };
        // Shrinking rehashes with the user's `Hash`; never risk a second panic (an abort)
        // while one unwinds. The next removal shrinks instead.
        let may_shrink = self.may_shrink && !std::thread::panicking();
        settle(entry, &mut self.outer, self.before, may_shrink);
    }
}

/// Run `f` on the inner collection of `entry`, then settle it as an [`InnerMut`] guard
/// does when dropped (the guard itself settles only if `f` panics).
#[inline(always)]
pub(super) fn edit<K1: Hash, M: InnerCollection, S: BuildHasher, R>(
    entry: OccupiedEntry<'_, (K1, M)>,
    outer: &mut Outer<'_, S>,
    f: impl FnOnce(&mut M) -> R,
) -> R {
    edit_then(entry, outer, f, |entry, outer, before, _| settle(entry, outer, before, true))
}

/// Remove `key` from the inner map of `entry`, then settle it as [`edit`] does, but
/// from the result: a returned value is one leaf fewer (the [`InnerLookup::remove`]
/// contract), nothing returned is no change. This skips the length comparison and the
/// growth branch of [`settle`]: about 15 instructions of a removal's 150.
#[inline(always)]
pub(super) fn remove_from<K1: Hash, M: InnerLookup<Q>, Q: ?Sized, S: BuildHasher>(
    entry: OccupiedEntry<'_, (K1, M)>,
    outer: &mut Outer<'_, S>,
    key: &Q,
) -> Option<M::Value> {
    edit_then(
        entry,
        outer,
        |inner| inner.remove(key),
        |entry, outer, _, removed| {
            if removed.is_some() {
                // Counted as an explicit removal by the gap it leaves (see `Tally`).
                outer.tally.leaves = outer.tally.leaves.wrapping_sub(1);
                if entry.get().1.is_empty() {
                    prune(entry, outer, true);
                }
            }
        },
    )
}

/// Run `f`, which inserts one value and returns the one it replaced, on the inner
/// collection of `entry`, then settle it as [`edit`] does, but from the result: `Some` is
/// a replacement, and with `adds_one` `None` is one leaf more (the
/// [`InnerMap::insert`](super::InnerMap::insert) contract). A collection just inserted
/// into is then not empty, so nothing is pruned. Without `adds_one` (an insert may evict
/// others or reject its value) the leaves are settled by the lengths before and after,
/// and a collection left empty is pruned; `None` still counts one insertion (a value
/// rejected, or stored while another was evicted, leaves as an explicit removal).
#[inline(always)]
pub(super) fn insert_into<K1: Hash, M: InnerCollection, S: BuildHasher, R>(
    entry: OccupiedEntry<'_, (K1, M)>,
    outer: &mut Outer<'_, S>,
    adds_one: bool,
    f: impl FnOnce(&mut M) -> Option<R>,
) -> Option<R> {
    edit_then(entry, outer, f, |entry, outer, before, old| {
        let tally = &mut *outer.tally;
        if old.is_some() {
            tally.counters.removed(RemovalCause::Replaced, 1);
        } else {
            tally.insertions = tally.insertions.wrapping_add(1);
        }
        if adds_one {
            if old.is_none() {
                tally.leaves = tally.leaves.wrapping_add(1);
            }
        } else {
            let after = entry.get().1.len();
            settle_leaves(entry, outer, before, after, true);
        }
    })
}

/// Run `f` on the inner collection of `entry`; then `done(entry, outer, before, &result)`
/// settles it (`before`: the inner length before `f`). If `f` panics, an [`InnerMut`]
/// guard settles the entry by its lengths, without shrinking, while the panic unwinds: a
/// drop guard rather than `catch_unwind`, which stored the closure and its result on
/// every call (callgrind: 8 instructions per two-level removal, and about 2% of its time).
#[inline(always)]
fn edit_then<K1: Hash, M: InnerCollection, S: BuildHasher, R>(
    entry: OccupiedEntry<'_, (K1, M)>,
    outer: &mut Outer<'_, S>,
    f: impl FnOnce(&mut M) -> R,
    done: impl for<'e> FnOnce(OccupiedEntry<'e, (K1, M)>, &mut Outer<'e, S>, usize, &R),
) -> R {
    let outer = Outer { ctl: &mut *outer.ctl, hash_builder: outer.hash_builder, tally: &mut *outer.tally };
    let mut guard = InnerMut::new(entry, outer, false);
    let result = f(&mut guard);
    let entry = guard.entry.take().expect("InnerMut: the entry is present until settled");
    done(entry, &mut guard.outer, guard.before, &result);
    result
}

/// Bring the leaf count and the counters up to date with the inner collection of
/// `entry`, whose length was `before`, and remove it from the outer map if it is empty.
/// With `may_shrink`, that removal may also shrink the outer table.
#[inline(always)]
fn settle<K1: Hash, M: InnerCollection, S: BuildHasher>(
    entry: OccupiedEntry<'_, (K1, M)>,
    outer: &mut Outer<'_, S>,
    before: usize,
    may_shrink: bool,
) {
    let after = entry.get().1.len();
    if after > before {
        outer.tally.insertions = outer.tally.insertions.wrapping_add((after - before) as u64);
    } // else: explicit removals, counted by the gap they leave (see `Tally`)
    settle_leaves(entry, outer, before, after, may_shrink);
}

/// The part of [`settle`] that counts no insertions: the leaf count moves from `before`
/// to `after` (the inner collection's length now), and an empty inner collection is
/// removed (with `may_shrink`, possibly shrinking the outer table).
#[inline(always)]
fn settle_leaves<K1: Hash, M: InnerCollection, S: BuildHasher>(
    entry: OccupiedEntry<'_, (K1, M)>,
    outer: &mut Outer<'_, S>,
    before: usize,
    after: usize,
    may_shrink: bool,
) {
    if after != before {
        // Cannot underflow while the leaf count is right; wrapping keeps a wrong
        // user-supplied `len` from panicking in a destructor (validate() reports it).
        let tally = &mut *outer.tally;
        tally.leaves = tally.leaves.wrapping_sub(before).wrapping_add(after);
    }
    if entry.get().1.is_empty() {
        prune(entry, outer, may_shrink);
    }
}

/// Remove the (empty) inner collection of `entry` from the outer map.
#[inline(always)]
fn prune<K1: Hash, M, S: BuildHasher>(entry: OccupiedEntry<'_, (K1, M)>, outer: &mut Outer<'_, S>, may_shrink: bool) {
    // The parts passed one by one: a `&mut Outer` handed to an out-of-line call would
    // make every caller build the `Outer` in memory (three stores on each removal).
    prune_parts(entry, outer.ctl, outer.hash_builder, outer.tally, may_shrink);
}

/// [`prune`], out of line.
#[cold]
#[inline(never)]
fn prune_parts<K1: Hash, M, S: BuildHasher>(
    entry: OccupiedEntry<'_, (K1, M)>,
    ctl: &mut Control,
    hash_builder: &S,
    tally: &mut Tally,
    may_shrink: bool,
) {
    let (pruned, vacant) = entry.remove();
    tally.counters.add(Small::Pruned, 1);
    let mut slot = PanicSlot::default();
    if may_shrink {
        ctl.maybe_shrink(vacant.into_table(), hasher(hash_builder), &mut slot);
    }
    drop(pruned);
    slot.resume();
}

impl<K1, M, S> fmt::Debug for InnerMut<'_, K1, M, S>
where
    K1: Hash + fmt::Debug,
    M: InnerCollection + fmt::Debug,
    S: BuildHasher,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InnerMut").field("key", self.key()).field("inner", &**self).finish()
    }
}
