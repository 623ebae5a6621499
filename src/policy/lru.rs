//! [`Lru`]: exact least-recently-used eviction through intrusive links.

use super::eviction::{EvictionPolicy, MetaArena};

/// The "no entry" link.
pub(crate) const NIL: u32 = u32::MAX;

/// Exact least-recently-used eviction: the entry read or written longest ago leaves
/// first. The default policy of [`LruMap`](crate::LruMap).
///
/// Each entry carries two `u32` links ([`LruLinks`], 8 bytes) that thread a doubly
/// linked list through the map's arena, most recently used at the head; every hook is
/// O(1). Eviction order is exactly that of the [`lru`](https://docs.rs/lru) crate.
///
/// # Examples
///
/// ```
/// use leakless::{LruMap, Lru};
///
/// let mut m: LruMap<u32, &str> = LruMap::new(2);
/// m.insert(1, "a");
/// m.insert(2, "b");
/// m.get(&1); // 1 is now the most recently used
/// m.insert(3, "c"); // evicts 2
/// assert!(m.contains_key(&1) && !m.contains_key(&2));
/// assert_eq!(core::mem::size_of::<<Lru as leakless::EvictionPolicy>::Meta>(), 8);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lru {
    head: u32,
    tail: u32,
}

impl Default for Lru {
    fn default() -> Self {
        Self { head: NIL, tail: NIL }
    }
}

/// The per-entry metadata of [`Lru`]: the slots of the previous (more recently used)
/// and next (less recently used) entries.
///
/// # Examples
///
/// ```
/// assert_eq!(core::mem::size_of::<leakless::policy::LruLinks>(), 8);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LruLinks {
    prev: u32,
    next: u32,
}

impl Lru {
    #[inline(always)]
    fn unlink<A: MetaArena<LruLinks>>(&mut self, arena: &mut A, index: u32) {
        let LruLinks { prev, next } = *arena.meta(index);
        if prev == NIL {
            self.head = next;
        } else {
            arena.meta_mut(prev).next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            arena.meta_mut(next).prev = prev;
        }
    }

    #[inline(always)]
    fn push_front<A: MetaArena<LruLinks>>(&mut self, arena: &mut A, index: u32) {
        let old = self.head;
        *arena.meta_mut(index) = LruLinks { prev: NIL, next: old };
        if old == NIL {
            self.tail = index;
        } else {
            arena.meta_mut(old).prev = index;
        }
        self.head = index;
    }
}

impl EvictionPolicy for Lru {
    type Meta = LruLinks;

    #[inline]
    fn on_insert<A: MetaArena<LruLinks>>(&mut self, arena: &mut A, index: u32, _hash: u64) {
        self.push_front(arena, index);
    }

    #[inline]
    fn on_access<A: MetaArena<LruLinks>>(&mut self, arena: &mut A, index: u32) {
        let head = self.head;
        if head == index {
            return;
        }
        // Not the head, so the list holds at least two entries: `index` has a
        // predecessor and `head` is a live entry (no `NIL` checks for either).
        let LruLinks { prev, next } = *arena.meta(index);
        arena.meta_mut(prev).next = next;
        if next == NIL {
            self.tail = prev;
        } else {
            arena.meta_mut(next).prev = prev;
        }
        *arena.meta_mut(index) = LruLinks { prev: NIL, next: head };
        arena.meta_mut(head).prev = index;
        self.head = index;
    }

    #[inline]
    fn on_remove<A: MetaArena<LruLinks>>(&mut self, arena: &mut A, index: u32) {
        self.unlink(arena, index);
    }

    #[inline]
    fn on_move<A: MetaArena<LruLinks>>(&mut self, arena: &mut A, _from: u32, to: u32) {
        let LruLinks { prev, next } = *arena.meta(to);
        if prev == NIL {
            self.head = to;
        } else {
            arena.meta_mut(prev).next = to;
        }
        if next == NIL {
            self.tail = to;
        } else {
            arena.meta_mut(next).prev = to;
        }
    }

    #[inline]
    fn victim<A: MetaArena<LruLinks>>(&mut self, _arena: &mut A) -> Option<u32> {
        (self.tail != NIL).then_some(self.tail)
    }

    fn clear(&mut self) {
        *self = Self::default();
    }

    #[inline]
    fn peek_victim<A: MetaArena<LruLinks>>(&self, _arena: &A) -> Option<u32> {
        (self.tail != NIL).then_some(self.tail)
    }

    /// Exact: the victim, as [`peek_victim`](EvictionPolicy::peek_victim) reads it.
    #[inline(always)]
    fn victim_hint<A: MetaArena<LruLinks>>(&self, arena: &A) -> Option<u32> {
        self.peek_victim(arena)
    }

    #[inline]
    fn first<A: MetaArena<LruLinks>>(&self, _arena: &A) -> Option<u32> {
        (self.head != NIL).then_some(self.head)
    }

    #[inline]
    fn next<A: MetaArena<LruLinks>>(&self, arena: &A, index: u32) -> Option<u32> {
        let next = arena.meta(index).next;
        (next != NIL).then_some(next)
    }

    fn validate<A: MetaArena<LruLinks>>(&self, arena: &A, len: usize) {
        let mut count = 0usize;
        let mut prev = NIL;
        let mut at = self.head;
        while at != NIL {
            assert!(count < len, "validate: the LRU list is longer than the map (a cycle?)");
            assert_eq!(arena.meta(at).prev, prev, "validate: LRU back link of slot {at} is wrong");
            prev = at;
            at = arena.meta(at).next;
            count += 1;
        }
        assert_eq!(self.tail, prev, "validate: LRU tail is not the last entry of the list");
        assert_eq!(count, len, "validate: the LRU list does not hold every entry");
    }
}
