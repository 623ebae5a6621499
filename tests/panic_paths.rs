//! Panic safety on specific paths: reserves that rehash, the shrink after a removal, evictions
//! whose victim's `Hash` panics, iterators dropped halfway, and `extract_if` dropped during a
//! panic. Each test arms one fault and checks that no value is lost, dropped twice or left
//! unfinalized, and that `validate()` holds afterwards. The shrinks after a removal are in
//! `tests/panic_paths/shrink.rs`.

use std::cell::{Cell, RefCell};
use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use leakless::{Capacity, FinalizingMap, HashMap, LruMap, RemovalCause};

#[path = "models/drops.rs"]
mod drops;
#[path = "panic_paths/shrink.rs"]
mod shrink;

use drops::Val;

thread_local! {
    /// Keys whose `Hash` panics (while armed).
    static BAD_HASH: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
    /// Keys whose `Eq` panics.
    static BAD_EQ: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
    /// Value ids whose `Drop` panics.
    static BAD_DROP: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    /// Number of clones of values made so far, and the clone that panics.
    static CLONE_PANIC_AT: Cell<Option<usize>> = const { Cell::new(None) };
    static CLONES: Cell<usize> = const { Cell::new(0) };
    /// While `Some(k)`: the `Hash` of every key but `k` panics.
    static HASH_ONLY: Cell<Option<u32>> = const { Cell::new(None) };
}

fn reset() {
    BAD_HASH.with(|b| b.borrow_mut().clear());
    BAD_EQ.with(|b| b.borrow_mut().clear());
    BAD_DROP.with(|b| b.borrow_mut().clear());
    drops::reset();
    CLONE_PANIC_AT.with(|c| c.set(None));
    CLONES.with(|c| c.set(0));
    HASH_ONLY.with(|h| h.set(None));
}

fn bad_hash(k: u32) {
    BAD_HASH.with(|b| b.borrow_mut().push(k));
}

fn bad_drop(id: usize) {
    BAD_DROP.with(|b| b.borrow_mut().push(id));
}

fn disarm_all() {
    BAD_HASH.with(|b| b.borrow_mut().clear());
    BAD_EQ.with(|b| b.borrow_mut().clear());
    BAD_DROP.with(|b| b.borrow_mut().clear());
    CLONE_PANIC_AT.with(|c| c.set(None));
}

#[derive(Debug, Clone, Copy, PartialOrd, Ord)]
struct Key(u32);

impl Hash for Key {
    fn hash<H: Hasher>(&self, h: &mut H) {
        if BAD_HASH.with(|b| b.borrow().contains(&self.0)) || HASH_ONLY.with(|h| h.get().is_some_and(|k| k != self.0)) {
            panic!("injected Hash panic on key {}", self.0);
        }
        self.0.hash(h);
    }
}

impl PartialEq for Key {
    fn eq(&self, o: &Key) -> bool {
        if BAD_EQ.with(|b| b.borrow().contains(&self.0) || b.borrow().contains(&o.0)) {
            panic!("injected Eq panic");
        }
        self.0 == o.0
    }
}
impl Eq for Key {}

impl Clone for Val {
    fn clone(&self) -> Val {
        let n = CLONES.with(|c| {
            c.set(c.get() + 1);
            c.get()
        });
        if CLONE_PANIC_AT.with(|c| c.get()) == Some(n) {
            panic!("injected Clone panic");
        }
        Val::new()
    }
}

/// `Drop` of value `id` (outside a panic; see `tests/models/drops.rs`): panics if armed.
fn on_drop(id: usize) {
    if BAD_DROP.with(|b| b.borrow().contains(&id)) {
        panic!("injected Drop panic on value {id}");
    }
}

/// Every value ever created dropped exactly once; lists the offenders otherwise.
fn assert_each_dropped_once() {
    drops::assert_each_dropped_once("");
}

fn hasher() -> ahash::RandomState {
    ahash::RandomState::with_seeds(7, 7, 7, 7)
}

/// A finalizer that records each value's id and cause, and its record.
#[allow(clippy::type_complexity)]
fn recording_finalizer() -> (Rc<RefCell<Vec<(usize, RemovalCause)>>>, impl FnMut(Key, Val, RemovalCause)) {
    let seen: Rc<RefCell<Vec<(usize, RemovalCause)>>> = Default::default();
    let s = seen.clone();
    (seen, move |_k, v: Val, c| s.borrow_mut().push((v.0, c)))
}

fn panics(f: impl FnOnce()) -> bool {
    catch_unwind(AssertUnwindSafe(f)).is_err()
}

// ---------------------------------------------------------------------------------------
// LruMap

/// Replacing a key with a heavier value evicts to fit; a victim whose `Hash` panics is
/// still evicted (its index bucket found by a scan), so the map ends within its limit.
#[test]
fn lru_weigher_replace_with_a_panicking_victim_hash_ends_within_the_limit() {
    reset();
    let mut m = LruMap::builder().max_weight(10).hasher(hasher()).weigher(|_k: &Key, v: &(u64, Val)| v.0).build();
    m.insert(Key(1), (5, Val::new())); // the LRU victim
    m.insert(Key(2), (5, Val::new()));
    bad_hash(1);
    // Key 2 becomes weight 8: total 13 > 10, key 1 must go, its Hash panics.
    let p = panics(|| drop(m.insert(Key(2), (8, Val::new()))));
    disarm_all();
    assert!(p, "the victim's Hash panicked");
    m.validate();
    drop(m);
    assert_each_dropped_once();
}

/// `set_limit` evicts to fit even when a victim's `Hash` panics; the panic comes after.
#[test]
fn lru_set_limit_with_a_panicking_victim_hash_ends_within_the_limit() {
    reset();
    let mut m = LruMap::builder().max_entries(4).hasher(hasher()).build();
    for k in 0..4 {
        m.insert(Key(k), Val::new());
    }
    bad_hash(0);
    let p = panics(|| m.set_limit(Capacity::entries(2)));
    disarm_all();
    assert!(p);
    m.validate();
    drop(m);
    assert_each_dropped_once();
}

/// `remove` and `pop_lru` whose index update meets a panicking `Hash` (of the entry that
/// moves into the hole, or of the removed entry itself) complete the removal and re-raise
/// the panic: the pair cannot be handed back, so it goes to the finalizer as `Explicit`.
#[test]
fn lru_removals_that_re_raise_a_hash_panic_finalize_the_pair() {
    for (bad, pop) in [(1, false), (0, true)] {
        reset();
        let (seen, fin) = recording_finalizer();
        let mut m = LruMap::builder().max_entries(8).hasher(hasher()).finalizer(fin).build();
        m.insert(Key(0), Val::new());
        m.insert(Key(1), Val::new());
        bad_hash(bad);
        let p = panics(|| {
            if pop {
                m.pop_lru();
            } else {
                m.remove(&Key(0));
            }
        });
        disarm_all();
        assert!(p, "the Hash panic is re-raised");
        m.validate();
        assert_eq!(m.len(), 1);
        assert_eq!(*seen.borrow(), [(0, RemovalCause::Explicit)], "pop: {pop}");
        assert_eq!(m.stats().removals(RemovalCause::Explicit), 1);
        drop(m);
        assert_each_dropped_once();
    }
}

// ---------------------------------------------------------------------------------------
// HashMap iterators dropped halfway with a panicking value Drop

#[test]
fn hash_map_drain_dropped_halfway_with_panicking_drop_drops_the_rest() {
    reset();
    let mut m = HashMap::with_hasher(hasher());
    for k in 0..8 {
        m.insert(Key(k), Val::new());
    }
    let mut d = m.drain();
    let first = d.next();
    for id in 0..8 {
        bad_drop(id);
    }
    let p = panics(move || drop(d)); // the first remaining value's Drop panics
    disarm_all();
    assert!(p);
    drop(first);
    m.validate();
    assert_eq!(m.len(), 0);
    drop(m);
    assert_each_dropped_once();
}

#[test]
fn hash_map_into_iter_dropped_with_panicking_drop_drops_the_rest() {
    reset();
    let mut m = HashMap::with_hasher(hasher());
    for k in 0..8 {
        m.insert(Key(k), Val::new());
    }
    for id in 0..8 {
        bad_drop(id);
    }
    let p = panics(|| drop(m.into_iter()));
    disarm_all();
    assert!(p);
    assert_each_dropped_once();
}

// ---------------------------------------------------------------------------------------
// FinalizingMap

/// `discard` finalizes with `Explicit`; a `Hash` panic in the shrink after the removal
/// is re-raised only after the value reached the finalizer.
#[test]
fn finalizing_discard_with_hash_panic_in_shrink_finalizes_the_value() {
    reset();
    let finalized: Rc<RefCell<Vec<usize>>> = Default::default();
    let f = finalized.clone();
    let mut m = FinalizingMap::with_hasher(move |_k: Key, v: Val, _c| f.borrow_mut().push(v.0), hasher());
    for k in 0..1000 {
        m.insert(Key(k), Val::new()); // value id == k
    }
    // Discard keys in order; every Hash but the discarded key's panics, so the first
    // discard that shrinks the table panics.
    let mut hit = None;
    for k in 0..1000u32 {
        HASH_ONLY.with(|h| h.set(Some(k)));
        let p = panics(|| assert!(m.discard(&Key(k))));
        HASH_ONLY.with(|h| h.set(None));
        if p {
            hit = Some(k);
            break;
        }
    }
    let k = hit.expect("some discard shrank the table");
    assert!(!m.contains_key(&Key(k)), "key {k} was removed");
    m.validate();
    assert!(
        finalized.borrow().contains(&(k as usize)),
        "the value discarded under key {k} left the map but was never finalized"
    );
}

/// A `BuildHasher` whose hashes are the key's low bit: every key in one probe
/// sequence, so removals leave tombstones.
#[derive(Clone, Default)]
struct Collide;
struct CollideHasher(u64);
impl Hasher for CollideHasher {
    fn finish(&self) -> u64 {
        self.0 & 1
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.wrapping_mul(31).wrapping_add(u64::from(b));
        }
    }
    fn write_u32(&mut self, x: u32) {
        self.0 = u64::from(x);
    }
}
impl std::hash::BuildHasher for Collide {
    type Hasher = CollideHasher;
    fn build_hasher(&self) -> CollideHasher {
        CollideHasher(0)
    }
}

/// Fill a never-shrinking map with colliding keys to capacity, then remove just over
/// half: the tombstones eat the room, and `len` is at most half the full capacity.
fn tombstoned_hash_map() -> HashMap<Key, Val, Collide> {
    let mut m = HashMap::with_hasher(Collide).with_shrink_policy(leakless::ShrinkPolicy::never());
    let mut k = 0;
    while m.len() < 50 || m.len() < m.capacity() {
        m.insert(Key(k), Val::new());
        k += 1;
    }
    let n = m.len() as u32;
    for j in 0..n / 2 + 1 {
        assert!(m.remove(&Key(j)).is_some());
    }
    assert_eq!(m.capacity(), m.len(), "the tombstones took the room");
    m
}

/// `HashMap::reserve` on a table full of tombstones must reallocate, not rehash in place:
/// hashbrown's in-place rehash drops every entry not yet placed when `Hash` panics.
#[test]
fn hash_map_reserve_with_panicking_hash_keeps_the_entries() {
    reset();
    let mut m = tombstoned_hash_map();
    let before = m.len();
    HASH_ONLY.with(|h| h.set(Some(u32::MAX)));
    let p = panics(|| m.reserve(1));
    HASH_ONLY.with(|h| h.set(None));
    assert!(p, "reserve rehashed");
    m.validate();
    assert_eq!(m.len(), before, "reserve lost entries");
}

/// Same through `Extend`, which reserves the iterator's size hint first.
#[test]
fn hash_map_extend_with_panicking_hash_keeps_the_entries() {
    reset();
    let mut m = tombstoned_hash_map();
    let before = m.len();
    let p = panics(|| {
        HASH_ONLY.with(|h| h.set(Some(u32::MAX)));
        m.extend([(Key(100_000), Val::new())]);
    });
    HASH_ONLY.with(|h| h.set(None));
    assert!(p);
    m.validate();
    assert_eq!(m.len(), before, "extend lost {} unrelated entries", before - m.len());
}

/// `FinalizingMap::reserve`: every value is kept or finalized, none silently dropped.
#[test]
fn finalizing_reserve_with_panicking_hash_finalizes_or_keeps_every_value() {
    reset();
    let finalized: Rc<RefCell<Vec<usize>>> = Default::default();
    let f = finalized.clone();
    let mut m = FinalizingMap::with_hasher(move |_k: Key, v: Val, _c| f.borrow_mut().push(v.0), Collide)
        .with_shrink_policy(leakless::ShrinkPolicy::never());
    let mut k = 0;
    while m.len() < 50 || m.len() < m.capacity() {
        m.insert(Key(k), Val::new());
        k += 1;
    }
    let n = m.len() as u32;
    for j in 0..n / 2 + 1 {
        assert!(m.remove(&Key(j)).is_some());
    }
    let before = m.len();
    HASH_ONLY.with(|h| h.set(Some(u32::MAX)));
    let p = panics(|| m.reserve(1));
    HASH_ONLY.with(|h| h.set(None));
    assert!(p);
    m.validate();
    let kept = m.len();
    let fin = finalized.borrow().len();
    assert_eq!(kept + fin, before, "{before} values: {kept} kept, {fin} finalized, the rest dropped unfinalized");
}

/// `NestedMap::try_reserve`: no inner map is dropped, so the leaf count stays right.
#[test]
fn nested_try_reserve_with_panicking_hash_keeps_the_leaf_count() {
    use leakless::NestedMap;
    reset();
    let mut m: NestedMap<Key, HashMap<u32, Val>, Collide> =
        NestedMap::with_hasher(Collide).with_shrink_policy(leakless::ShrinkPolicy::never());
    let mut k = 0;
    while m.outer_len() < 50 || m.outer_len() < m.outer().capacity() {
        m.insert(Key(k), 0, Val::new());
        k += 1;
    }
    let n = m.outer_len() as u32;
    for j in 0..n / 2 + 1 {
        assert!(m.remove_inner(&Key(j)).is_some());
    }
    HASH_ONLY.with(|h| h.set(Some(u32::MAX)));
    let p = panics(|| drop(m.try_reserve(1)));
    HASH_ONLY.with(|h| h.set(None));
    assert!(p);
    m.validate();
}

/// `LruMap::try_reserve`: a panicking `Hash` while the index grows must not drop slot
/// numbers from it (every arena node stays indexed).
#[test]
fn lru_try_reserve_with_panicking_hash_keeps_the_index() {
    reset();
    let mut m = LruMap::builder().limit(Capacity::unbounded()).hasher(Collide).build();
    for k in 0..100 {
        m.insert(Key(k), Val::new());
    }
    for k in 0..60 {
        assert!(m.remove(&Key(k)).is_some());
    }
    m.validate();
    let mut panicked = false;
    for add in 1..200 {
        HASH_ONLY.with(|h| h.set(Some(u32::MAX)));
        let p = panics(|| drop(m.try_reserve(add)));
        HASH_ONLY.with(|h| h.set(None));
        if p {
            panicked = true;
            break;
        }
    }
    assert!(panicked, "some try_reserve rehashed");
    m.validate();
    drop(m);
    assert_each_dropped_once();
}

// ---------------------------------------------------------------------------------------
// ExtractIf dropped while a panic of its predicate unwinds: its Drop must run no user
// `Hash` then (a second panic in a destructor aborts the process).

/// Child half of `extract_if_dropped_during_a_predicate_panic_does_not_abort`: run in a
/// subprocess, because a failure aborts the process.
#[test]
#[ignore = "run as a subprocess by extract_if_dropped_during_a_predicate_panic_does_not_abort"]
fn extract_if_child() {
    reset();
    let mut m = HashMap::with_hasher(hasher());
    for k in 0..1000 {
        m.insert(Key(k), Val::new());
    }
    let mut seen = 0;
    let r = panics(|| {
        let mut it = m.extract_if(|_, _| {
            seen += 1;
            if seen == 950 {
                // The shrink in ExtractIf's Drop will hash the remaining keys.
                HASH_ONLY.with(|h| h.set(Some(u32::MAX)));
                panic!("predicate panic");
            }
            true
        });
        // The predicate panics inside `next`, so the iterator is dropped while unwinding.
        for kv in &mut it {
            drop(kv);
        }
    });
    HASH_ONLY.with(|h| h.set(None));
    assert!(r);
    m.validate();
    println!("CHILD-SURVIVED");
}

#[test]
fn extract_if_dropped_during_a_predicate_panic_does_not_abort() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "extract_if_child", "--ignored", "--nocapture", "--test-threads=1"])
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("CHILD-SURVIVED"),
        "the process did not survive a predicate panic followed by a Hash panic in ExtractIf's Drop: \
         status {:?}\nstderr:\n{stderr}",
        out.status
    );
}

// ---------------------------------------------------------------------------------------
// Clone panicking halfway

#[test]
fn lru_clone_panicking_halfway_drops_every_clone_once() {
    reset();
    let seen: Rc<RefCell<Vec<usize>>> = Default::default();
    let s2 = seen.clone();
    let mut m = LruMap::builder()
        .max_entries(16)
        .hasher(hasher())
        .finalizer(move |_k: Key, v: Val, _c| s2.borrow_mut().push(v.0))
        .build();
    for k in 0..10 {
        m.insert(Key(k), Val::new());
    }
    CLONE_PANIC_AT.with(|c| c.set(Some(5)));
    let p = panics(|| drop(m.clone()));
    disarm_all();
    assert!(p);
    m.validate();
    let ok = m.clone();
    ok.validate();
    drop(ok);
    drop(m);
    assert_each_dropped_once();
}

#[test]
fn nested_clone_panicking_halfway_drops_every_clone_once() {
    use leakless::NestedMap;
    reset();
    let mut m: NestedMap<u32, HashMap<Key, Val, ahash::RandomState>, _> = NestedMap::with_hasher(hasher());
    for k in 0..40 {
        m.insert(k % 7, Key(k), Val::new());
    }
    for at in 1..40 {
        CLONE_PANIC_AT.with(|c| c.set(Some(at)));
        CLONES.with(|c| c.set(0));
        let p = panics(|| drop(m.clone()));
        disarm_all();
        assert!(p, "clone {at} panicked");
    }
    m.validate();
    drop(m);
    assert_each_dropped_once();
}

// ---------------------------------------------------------------------------------------
// NestedMap guards at depth 3

#[test]
fn nested_depth3_guard_panics_prune_every_level() {
    use leakless::NestedMap;
    type Mid = NestedMap<u32, HashMap<Key, Val, ahash::RandomState>, ahash::RandomState>;
    reset();
    let mut m: NestedMap<u32, Mid, _> = NestedMap::with_hasher(hasher());
    m.insert3(1, 10, Key(100), Val::new());
    m.insert3(1, 11, Key(101), Val::new());
    m.insert3(2, 20, Key(200), Val::new());
    // Empty both inner levels under k1 = 1 through nested guards, then panic.
    let p = panics(|| {
        let mut g1 = m.inner_mut(1);
        {
            let mut g2 = g1.inner_mut(10);
            g2.clear();
        }
        let mut g2 = g1.inner_mut(11);
        g2.retain(|_, _| false);
        panic!("user code panics holding two guards");
    });
    assert!(p);
    m.validate();
    assert_eq!(m.len(), 1);
    assert_eq!(m.outer_len(), 1);
    // A fresh level created by a panicking insert at depth 3: Hash of the leaf key panics.
    bad_hash(300);
    let p = panics(|| drop(m.insert3(3, 30, Key(300), Val::new())));
    disarm_all();
    assert!(p);
    m.validate();
    assert_eq!(m.outer_len(), 1, "the levels created for the failed insert were pruned");
    // retain3 whose closure panics after emptying a level.
    m.insert3(4, 40, Key(400), Val::new());
    let mut n = 0;
    let p = panics(|| {
        m.retain3(|_, _, _, _| {
            n += 1;
            if n == 2 {
                panic!("retain3 panic");
            }
            false
        })
    });
    assert!(p);
    m.validate();
    drop(m);
    assert_each_dropped_once();
}

// ---------------------------------------------------------------------------------------
// Finalizer panics in batch operations of LruMap (weight-bounded, with a weigher)

#[test]
fn lru_finalizer_panics_in_set_limit_clear_retain_and_drop() {
    reset();
    let seen: Rc<RefCell<Vec<usize>>> = Default::default();
    let s2 = seen.clone();
    let mut m = LruMap::builder()
        .max_weight(100)
        .hasher(hasher())
        .weigher(|_k: &Key, _v: &Val| 2)
        .finalizer(move |_k: Key, v: Val, _c| {
            let id = v.0;
            s2.borrow_mut().push(id);
            drop(v);
            if id % 3 == 0 {
                panic!("finalizer panic on {id}");
            }
        })
        .build();
    let mut next = 0;
    let mut fill = |m: &mut LruMap<_, _, _, _, _, _>| {
        for _ in 0..50 {
            let _ = panics(|| drop(m.insert(Key(next), Val::new())));
            next += 1;
        }
    };
    fill(&mut m);
    assert!(panics(|| m.set_limit(Capacity::weight(20))));
    m.validate();
    assert_eq!(m.len(), 10);
    m.set_limit(Capacity::weight(100));
    fill(&mut m);
    assert!(panics(|| m.retain(|k, _| k.0 % 2 == 0)));
    m.validate();
    fill(&mut m);
    assert!(panics(|| m.clear()));
    m.validate();
    assert!(m.is_empty());
    fill(&mut m);
    assert!(panics(|| drop(m)));
    let mut s = seen.borrow().clone();
    let n = s.len();
    s.sort();
    s.dedup();
    assert_eq!(s.len(), n, "a value was finalized twice");
    assert_each_dropped_once();
    assert_eq!(n, drops::created(), "every value finalized");
}
