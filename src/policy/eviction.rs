//! Eviction policies: per-entry metadata and the choice of a victim.

/// Read and write access to the per-entry metadata of a map's entries, by entry index.
///
/// A map's core stores one `M` next to every entry and hands the policy this view, so a
/// policy can keep intrusive links (exact LRU), reference bits (CLOCK, SIEVE) or
/// frequency counters without a second allocation per entry. Indices are dense slots
/// chosen by the core; the core tells the policy when an entry moves to another slot
/// ([`EvictionPolicy::on_move`]).
///
/// # Examples
///
/// ```
/// use leakless::MetaArena;
///
/// /// Metadata in a plain vector, indexed by slot.
/// struct Slots(Vec<u8>);
/// impl MetaArena<u8> for Slots {
///     fn meta(&self, index: u32) -> &u8 { &self.0[index as usize] }
///     fn meta_mut(&mut self, index: u32) -> &mut u8 { &mut self.0[index as usize] }
/// }
/// let mut s = Slots(vec![0; 4]);
/// *s.meta_mut(2) = 7;
/// assert_eq!(*s.meta(2), 7);
/// ```
pub trait MetaArena<M> {
    /// The metadata of the entry at `index`.
    ///
    /// # Panics
    ///
    /// May panic if no entry lives at `index`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use leakless::{policy::LruLinks, EvictionPolicy, Lru, MetaArena};
    /// # struct Arena(Vec<LruLinks>);
    /// # impl MetaArena<LruLinks> for Arena {
    /// #     fn meta(&self, i: u32) -> &LruLinks { &self.0[i as usize] }
    /// #     fn meta_mut(&mut self, i: u32) -> &mut LruLinks { &mut self.0[i as usize] }
    /// # }
    /// let mut arena = Arena(vec![LruLinks::default(); 3]);
    /// let mut lru = Lru::default();
    /// for slot in 0..3 {
    ///     lru.on_insert(&mut arena, slot, 0);
    /// }
    /// assert_eq!(arena.meta(1), &arena.0[1]);
    /// ```
    fn meta(&self, index: u32) -> &M;

    /// The metadata of the entry at `index`, mutably.
    ///
    /// # Panics
    ///
    /// May panic if no entry lives at `index`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use leakless::{policy::LruLinks, EvictionPolicy, Lru, MetaArena};
    /// # struct Arena(Vec<LruLinks>);
    /// # impl MetaArena<LruLinks> for Arena {
    /// #     fn meta(&self, i: u32) -> &LruLinks { &self.0[i as usize] }
    /// #     fn meta_mut(&mut self, i: u32) -> &mut LruLinks { &mut self.0[i as usize] }
    /// # }
    /// let mut arena = Arena(vec![LruLinks::default(); 3]);
    /// let mut lru = Lru::default();
    /// for slot in 0..3 {
    ///     lru.on_insert(&mut arena, slot, 0);
    /// }
    /// *arena.meta_mut(1) = LruLinks::default();
    /// assert_eq!(arena.meta(1), &LruLinks::default());
    /// ```
    fn meta_mut(&mut self, index: u32) -> &mut M;
}

/// Which entry leaves a bounded map first.
///
/// A policy keeps a small amount of state of its own (list heads, a clock hand) and one
/// [`Meta`](EvictionPolicy::Meta) per entry, stored by the map's core beside the entry
/// and reached through a [`MetaArena`]. The core calls the hooks below; the policy never
/// owns keys or values, so a policy cannot lose or duplicate one.
///
/// # The protocol
///
/// - [`on_insert`](EvictionPolicy::on_insert) after a new entry is stored at its slot
///   (its metadata is `Meta::default()` until then);
/// - [`on_access`](EvictionPolicy::on_access) on every promoting read;
/// - when the map needs room for one more entry (or is over its bound) it calls
///   [`victim`](EvictionPolicy::victim), which may reorganize the policy's own state
///   (e.g. admit a candidate), then removes that entry, calling
///   [`on_remove`](EvictionPolicy::on_remove) for it like for any other removal;
///   a map evicts *before* storing a new entry, so `victim` never returns it;
/// - after a removal, a dense core may move its last entry into the freed slot:
///   [`on_move`](EvictionPolicy::on_move) follows, with the moved metadata already in
///   place;
/// - a policy that counts hits and misses sees hits as `on_access` and misses as
///   `on_insert`.
///
/// The provided methods (`peek_victim`, `first`/`next`, `allocation_size`, `validate`)
/// have neutral defaults, so a policy only implements what it can answer.
///
/// The unbounded maps use [`Unbounded`], whose metadata is `()` and whose hooks are
/// empty, so they pay nothing for this machinery: not a byte per entry, not an
/// instruction per operation.
///
/// # Examples
///
/// ```
/// use leakless::{EvictionPolicy, MetaArena, Unbounded};
///
/// struct NoMeta(());
/// impl MetaArena<()> for NoMeta {
///     fn meta(&self, _: u32) -> &() { &self.0 }
///     fn meta_mut(&mut self, _: u32) -> &mut () { &mut self.0 }
/// }
///
/// let mut p = Unbounded;
/// p.on_insert(&mut NoMeta(()), 0, 42);
/// assert_eq!(p.victim(&mut NoMeta(())), None);
/// assert_eq!(core::mem::size_of::<<Unbounded as EvictionPolicy>::Meta>(), 0);
/// ```
pub trait EvictionPolicy {
    /// Per-entry metadata (zero-sized for policies that need none).
    type Meta: Default;

    /// A new entry was stored at `index`; `hash` is its key's hash (policies with a
    /// history of evicted keys, such as S3-FIFO's ghost queue, recognise returning keys
    /// by it).
    ///
    /// # Examples
    ///
    /// ```
    /// # use leakless::{policy::LruLinks, EvictionPolicy, Lru, MetaArena};
    /// # struct Arena(Vec<LruLinks>);
    /// # impl MetaArena<LruLinks> for Arena {
    /// #     fn meta(&self, i: u32) -> &LruLinks { &self.0[i as usize] }
    /// #     fn meta_mut(&mut self, i: u32) -> &mut LruLinks { &mut self.0[i as usize] }
    /// # }
    /// let mut arena = Arena(vec![LruLinks::default(); 3]);
    /// let mut lru = Lru::default();
    /// for slot in 0..3 {
    ///     lru.on_insert(&mut arena, slot, 0);
    /// }
    /// assert_eq!(lru.first(&arena), Some(2), "the newest is the most recently used");
    /// assert_eq!(lru.peek_victim(&arena), Some(0));
    /// ```
    fn on_insert<A: MetaArena<Self::Meta>>(&mut self, arena: &mut A, index: u32, hash: u64);

    /// The entry at `index` was read through a promoting accessor (`get`, `get_mut`).
    ///
    /// # Examples
    ///
    /// ```
    /// # use leakless::{policy::LruLinks, EvictionPolicy, Lru, MetaArena};
    /// # struct Arena(Vec<LruLinks>);
    /// # impl MetaArena<LruLinks> for Arena {
    /// #     fn meta(&self, i: u32) -> &LruLinks { &self.0[i as usize] }
    /// #     fn meta_mut(&mut self, i: u32) -> &mut LruLinks { &mut self.0[i as usize] }
    /// # }
    /// let mut arena = Arena(vec![LruLinks::default(); 3]);
    /// let mut lru = Lru::default();
    /// for slot in 0..3 {
    ///     lru.on_insert(&mut arena, slot, 0);
    /// }
    /// lru.on_access(&mut arena, 0);
    /// assert_eq!(lru.first(&arena), Some(0));
    /// assert_eq!(lru.peek_victim(&arena), Some(1));
    /// ```
    fn on_access<A: MetaArena<Self::Meta>>(&mut self, arena: &mut A, index: u32);

    /// The entry at `index` is about to leave the map (for any reason, including being
    /// chosen as a victim). Its metadata is still readable.
    ///
    /// # Examples
    ///
    /// ```
    /// # use leakless::{policy::LruLinks, EvictionPolicy, Lru, MetaArena};
    /// # struct Arena(Vec<LruLinks>);
    /// # impl MetaArena<LruLinks> for Arena {
    /// #     fn meta(&self, i: u32) -> &LruLinks { &self.0[i as usize] }
    /// #     fn meta_mut(&mut self, i: u32) -> &mut LruLinks { &mut self.0[i as usize] }
    /// # }
    /// let mut arena = Arena(vec![LruLinks::default(); 3]);
    /// let mut lru = Lru::default();
    /// for slot in 0..3 {
    ///     lru.on_insert(&mut arena, slot, 0);
    /// }
    /// lru.on_remove(&mut arena, 0);
    /// assert_eq!(lru.peek_victim(&arena), Some(1));
    /// lru.validate(&arena, 2);
    /// ```
    fn on_remove<A: MetaArena<Self::Meta>>(&mut self, arena: &mut A, index: u32);

    /// The entry at `from` was moved to the slot `to` (its metadata moved with it); links
    /// that pointed at `from` must now point at `to`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use leakless::{policy::LruLinks, EvictionPolicy, Lru, MetaArena};
    /// # struct Arena(Vec<LruLinks>);
    /// # impl MetaArena<LruLinks> for Arena {
    /// #     fn meta(&self, i: u32) -> &LruLinks { &self.0[i as usize] }
    /// #     fn meta_mut(&mut self, i: u32) -> &mut LruLinks { &mut self.0[i as usize] }
    /// # }
    /// let mut arena = Arena(vec![LruLinks::default(); 3]);
    /// let mut lru = Lru::default();
    /// for slot in 0..3 {
    ///     lru.on_insert(&mut arena, slot, 0);
    /// }
    /// lru.on_remove(&mut arena, 0);
    /// arena.0[0] = arena.0[2]; // the core moves the last entry into the free slot...
    /// lru.on_move(&mut arena, 2, 0); // ...and tells the policy
    /// assert_eq!(lru.first(&arena), Some(0));
    /// lru.validate(&arena, 2);
    /// ```
    fn on_move<A: MetaArena<Self::Meta>>(&mut self, arena: &mut A, from: u32, to: u32);

    /// The entry that should leave next, or `None` if the map is empty (or the policy
    /// never evicts). The core then calls [`on_remove`](EvictionPolicy::on_remove) for it.
    ///
    /// # Examples
    ///
    /// ```
    /// # use leakless::{policy::LruLinks, EvictionPolicy, Lru, MetaArena};
    /// # struct Arena(Vec<LruLinks>);
    /// # impl MetaArena<LruLinks> for Arena {
    /// #     fn meta(&self, i: u32) -> &LruLinks { &self.0[i as usize] }
    /// #     fn meta_mut(&mut self, i: u32) -> &mut LruLinks { &mut self.0[i as usize] }
    /// # }
    /// let mut arena = Arena(vec![LruLinks::default(); 3]);
    /// let mut lru = Lru::default();
    /// for slot in 0..3 {
    ///     lru.on_insert(&mut arena, slot, 0);
    /// }
    /// assert_eq!(lru.victim(&mut arena), Some(0), "the least recently used");
    /// assert_eq!(Lru::default().victim(&mut arena), None, "an empty policy has no victim");
    /// ```
    fn victim<A: MetaArena<Self::Meta>>(&mut self, arena: &mut A) -> Option<u32>;

    /// Every entry was removed at once.
    ///
    /// # Examples
    ///
    /// ```
    /// # use leakless::{policy::LruLinks, EvictionPolicy, Lru, MetaArena};
    /// # struct Arena(Vec<LruLinks>);
    /// # impl MetaArena<LruLinks> for Arena {
    /// #     fn meta(&self, i: u32) -> &LruLinks { &self.0[i as usize] }
    /// #     fn meta_mut(&mut self, i: u32) -> &mut LruLinks { &mut self.0[i as usize] }
    /// # }
    /// let mut arena = Arena(vec![LruLinks::default(); 3]);
    /// let mut lru = Lru::default();
    /// for slot in 0..3 {
    ///     lru.on_insert(&mut arena, slot, 0);
    /// }
    /// lru.clear();
    /// assert_eq!(lru.victim(&mut arena), None);
    /// lru.validate(&arena, 0);
    /// ```
    fn clear(&mut self);

    /// The entry [`victim`](EvictionPolicy::victim) would return now, without changing
    /// anything (for `peek_lru`). The default, for policies that cannot tell without
    /// reorganizing, is `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use leakless::{policy::LruLinks, EvictionPolicy, Lru, MetaArena};
    /// # struct Arena(Vec<LruLinks>);
    /// # impl MetaArena<LruLinks> for Arena {
    /// #     fn meta(&self, i: u32) -> &LruLinks { &self.0[i as usize] }
    /// #     fn meta_mut(&mut self, i: u32) -> &mut LruLinks { &mut self.0[i as usize] }
    /// # }
    /// let mut arena = Arena(vec![LruLinks::default(); 3]);
    /// let mut lru = Lru::default();
    /// for slot in 0..3 {
    ///     lru.on_insert(&mut arena, slot, 0);
    /// }
    /// assert_eq!(lru.peek_victim(&arena), Some(0));
    /// assert_eq!(lru.victim(&mut arena), Some(0), "what victim would return");
    /// ```
    fn peek_victim<A: MetaArena<Self::Meta>>(&self, arena: &A) -> Option<u32> {
        let _ = arena;
        None
    }

    /// The entry [`victim`](EvictionPolicy::victim) is likely to return next, if the
    /// policy can say so in a few instructions (reading no more than
    /// [`peek_victim`](Self::peek_victim) would). A full map asks before it probes for a
    /// new key, and starts loading the victim's place in the index while it probes; a
    /// wrong hint (another entry, or a slot past the map's end) costs that load and
    /// nothing else. The default is `None` (no hint):
    /// right for a policy whose choice costs more than the load it would save, such as
    /// [`WTinyLfu`](crate::WTinyLfu)'s admission test.
    ///
    /// # Examples
    ///
    /// ```
    /// # use leakless::{policy::LruLinks, EvictionPolicy, Lru, MetaArena};
    /// # struct Arena(Vec<LruLinks>);
    /// # impl MetaArena<LruLinks> for Arena {
    /// #     fn meta(&self, i: u32) -> &LruLinks { &self.0[i as usize] }
    /// #     fn meta_mut(&mut self, i: u32) -> &mut LruLinks { &mut self.0[i as usize] }
    /// # }
    /// let mut arena = Arena(vec![LruLinks::default(); 3]);
    /// let mut lru = Lru::default();
    /// assert_eq!(lru.victim_hint(&arena), None, "no entries, no victim");
    /// for slot in 0..3 {
    ///     lru.on_insert(&mut arena, slot, 0);
    /// }
    /// assert_eq!(lru.victim_hint(&arena), Some(0));
    /// assert_eq!(lru.victim(&mut arena), Some(0));
    /// ```
    #[inline(always)]
    fn victim_hint<A: MetaArena<Self::Meta>>(&self, arena: &A) -> Option<u32> {
        let _ = arena;
        None
    }

    /// The first entry of the policy's iteration order (for exact LRU: most to least
    /// recently used, ending with the next victim; a policy whose victim is not simply
    /// last in one order, such as [`WTinyLfu`](crate::WTinyLfu), documents its own), or
    /// `None` if the map is empty or the policy keeps no order (the map then iterates in
    /// storage order). [`peek_victim`](Self::peek_victim) names the next victim.
    ///
    /// # Examples
    ///
    /// ```
    /// # use leakless::{policy::LruLinks, EvictionPolicy, Lru, MetaArena};
    /// # struct Arena(Vec<LruLinks>);
    /// # impl MetaArena<LruLinks> for Arena {
    /// #     fn meta(&self, i: u32) -> &LruLinks { &self.0[i as usize] }
    /// #     fn meta_mut(&mut self, i: u32) -> &mut LruLinks { &mut self.0[i as usize] }
    /// # }
    /// let mut arena = Arena(vec![LruLinks::default(); 3]);
    /// let mut lru = Lru::default();
    /// for slot in 0..3 {
    ///     lru.on_insert(&mut arena, slot, 0);
    /// }
    /// assert_eq!(lru.first(&arena), Some(2));
    /// ```
    fn first<A: MetaArena<Self::Meta>>(&self, arena: &A) -> Option<u32> {
        let _ = arena;
        None
    }

    /// The entry after `index` in the order of [`first`](EvictionPolicy::first), or `None`
    /// after the last one.
    ///
    /// # Examples
    ///
    /// ```
    /// # use leakless::{policy::LruLinks, EvictionPolicy, Lru, MetaArena};
    /// # struct Arena(Vec<LruLinks>);
    /// # impl MetaArena<LruLinks> for Arena {
    /// #     fn meta(&self, i: u32) -> &LruLinks { &self.0[i as usize] }
    /// #     fn meta_mut(&mut self, i: u32) -> &mut LruLinks { &mut self.0[i as usize] }
    /// # }
    /// let mut arena = Arena(vec![LruLinks::default(); 3]);
    /// let mut lru = Lru::default();
    /// for slot in 0..3 {
    ///     lru.on_insert(&mut arena, slot, 0);
    /// }
    /// let order: Vec<u32> = std::iter::successors(lru.first(&arena), |&i| lru.next(&arena, i)).collect();
    /// assert_eq!(order, [2, 1, 0], "most to least recently used");
    /// ```
    fn next<A: MetaArena<Self::Meta>>(&self, arena: &A, index: u32) -> Option<u32> {
        let _ = (arena, index);
        None
    }

    /// Heap bytes the policy holds itself (a frequency sketch, a ghost queue), not
    /// counting the per-entry metadata the core stores.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{EvictionPolicy, Lru, Unbounded};
    /// assert_eq!(Lru::default().allocation_size(), 0, "its links live in the per-entry metadata");
    /// assert_eq!(Unbounded.allocation_size(), 0);
    /// ```
    fn allocation_size(&self) -> usize {
        0
    }

    /// Check the policy's invariants for a map holding `len` entries, panicking with a
    /// description of the first one broken (called by the maps' `validate()`).
    ///
    /// # Examples
    ///
    /// ```
    /// # use leakless::{policy::LruLinks, EvictionPolicy, Lru, MetaArena};
    /// # struct Arena(Vec<LruLinks>);
    /// # impl MetaArena<LruLinks> for Arena {
    /// #     fn meta(&self, i: u32) -> &LruLinks { &self.0[i as usize] }
    /// #     fn meta_mut(&mut self, i: u32) -> &mut LruLinks { &mut self.0[i as usize] }
    /// # }
    /// let mut arena = Arena(vec![LruLinks::default(); 3]);
    /// let mut lru = Lru::default();
    /// for slot in 0..3 {
    ///     lru.on_insert(&mut arena, slot, 0);
    /// }
    /// lru.validate(&arena, 3);
    /// let wrong = std::panic::catch_unwind(|| lru.validate(&arena, 4));
    /// assert!(wrong.is_err(), "a list of 3 does not hold 4 entries");
    /// ```
    fn validate<A: MetaArena<Self::Meta>>(&self, arena: &A, len: usize) {
        let _ = (arena, len);
    }
}

/// The policy of unbounded maps: no metadata, no bookkeeping, never a victim.
///
/// # Examples
///
/// ```
/// use leakless::{EvictionPolicy, Unbounded};
/// assert_eq!(core::mem::size_of::<<Unbounded as EvictionPolicy>::Meta>(), 0);
/// assert_eq!(core::mem::size_of::<Unbounded>(), 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Unbounded;

impl EvictionPolicy for Unbounded {
    type Meta = ();

    #[inline(always)]
    fn on_insert<A: MetaArena<()>>(&mut self, _: &mut A, _: u32, _: u64) {}

    #[inline(always)]
    fn on_access<A: MetaArena<()>>(&mut self, _: &mut A, _: u32) {}

    #[inline(always)]
    fn on_remove<A: MetaArena<()>>(&mut self, _: &mut A, _: u32) {}

    #[inline(always)]
    fn on_move<A: MetaArena<()>>(&mut self, _: &mut A, _: u32, _: u32) {}

    #[inline(always)]
    fn victim<A: MetaArena<()>>(&mut self, _: &mut A) -> Option<u32> {
        None
    }

    #[inline(always)]
    fn clear(&mut self) {}
}
