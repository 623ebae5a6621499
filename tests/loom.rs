//! Loom models of the concurrent core. Run with `ci/loom.sh`:
//!
//! ```text
//! RUSTFLAGS="--cfg leakless_loom --cfg crossbeam_loom" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test --release --test loom
//! ```
//!
//! Each model counts its executions and asserts that loom explored more than one
//! interleaving.
#![cfg(leakless_loom)]

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use leakless::ConcurrentMap;
use loom::sync::atomic::AtomicBool;
use loom::sync::Arc;
use loom::thread;

fn fixed() -> ahash::RandomState {
    ahash::RandomState::with_seeds(1, 2, 3, 4)
}

/// A value that records its drop, so a reader can check it is still alive.
struct Alive {
    value: u64,
    dropped: Arc<AtomicBool>,
}

impl Alive {
    fn new(value: u64) -> (Self, Arc<AtomicBool>) {
        let dropped = Arc::new(AtomicBool::new(false));
        (Alive { value, dropped: Arc::clone(&dropped) }, dropped)
    }

    fn check(&self) -> u64 {
        assert!(!self.dropped.load(SeqCst), "use after free: the value was dropped");
        self.value
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        assert!(!self.dropped.swap(true, SeqCst), "double drop");
    }
}

fn explore(name: &str, f: impl Fn() + Sync + Send + 'static) {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    RUNS.store(0, SeqCst);
    // Prefilling a map inside the model takes many atomic steps; raise loom's branch
    // limit (the preemption bound still comes from LOOM_MAX_PREEMPTIONS).
    let mut builder = loom::model::Builder::new();
    builder.max_branches = 100_000;
    builder.check(move || {
        RUNS.fetch_add(1, SeqCst);
        f();
    });
    let runs = RUNS.load(SeqCst);
    println!("{name}: {runs} interleavings");
    assert!(runs > 1, "{name}: loom explored only {runs} interleaving");
}

fn map() -> Arc<ConcurrentMap<u64, u64, ahash::RandomState>> {
    Arc::new(ConcurrentMap::with_hasher(fixed()))
}

#[test]
fn insert_insert_same_key() {
    explore("insert||insert", || {
        let m = map();
        let m2 = Arc::clone(&m);
        let t = thread::spawn(move || m2.insert(7, 2));
        let a = m.insert(7, 1);
        let b = t.join().unwrap();
        assert!(a ^ b, "exactly one insert adds the key");
        assert_eq!(m.len(), 1);
        let v = m.get_cloned(&7).unwrap();
        assert!(v == 1 || v == 2);
        m.validate();
    });
}

#[test]
fn insert_remove() {
    explore("insert||remove", || {
        let m = map();
        m.insert(1, 1);
        let m2 = Arc::clone(&m);
        let t = thread::spawn(move || m2.remove(&1));
        m.insert(2, 2);
        assert!(t.join().unwrap());
        assert_eq!(m.get_cloned(&1), None);
        assert_eq!(m.get_cloned(&2), Some(2));
        m.validate();
    });
}

#[test]
fn get_remove_no_use_after_free() {
    explore("get||remove", || {
        let m: Arc<ConcurrentMap<u64, Alive, _>> = Arc::new(ConcurrentMap::with_hasher(fixed()));
        let (v, dropped) = Alive::new(42);
        m.insert(1, v);
        let m2 = Arc::clone(&m);
        let t = thread::spawn(move || {
            // Enough writes to seal, flush and drain the retired value.
            m2.remove(&1);
            for k in 10..13 {
                m2.insert(k, Alive::new(k).0);
                m2.remove(&k);
            }
        });
        {
            let p = m.pin();
            if let Some(v) = p.get(&1) {
                assert_eq!(v.check(), 42);
            }
        }
        t.join().unwrap();
        drop(m);
        assert!(dropped.load(SeqCst), "the removed value was dropped by the end");
    });
}

#[test]
fn get_during_resize() {
    explore("get||resize", || {
        let m = map();
        // 8 buckets hold 6 entries (a load of 3/4); the 7th insert grows the table (to
        // 16 buckets).
        for k in 0..6 {
            m.insert(k, k);
        }
        let before = m.allocation_size();
        let m2 = Arc::clone(&m);
        let t = thread::spawn(move || {
            m2.insert(100, 100);
            m2.insert(101, 101);
        });
        for k in [0, 5] {
            assert_eq!(m.get_cloned(&k), Some(k), "key {k} visible during the resize");
        }
        t.join().unwrap();
        for k in 0..6 {
            assert_eq!(m.get_cloned(&k), Some(k));
        }
        assert!(m.allocation_size() > before, "the table grew");
        m.validate();
    });
}

#[test]
fn insert_during_shrink() {
    static SHRANK: AtomicUsize = AtomicUsize::new(0);
    explore("insert||shrink", || {
        let m = map();
        // 9 entries grow the table to 16 buckets; back to 4 entries (4 * 4 = 16: no
        // shrink yet).
        for k in 0..9 {
            m.insert(k, k);
        }
        for k in 2..7 {
            m.remove(&k);
        }
        let before = m.stats().shrinks;
        let m2 = Arc::clone(&m);
        // The remove takes the map to 3 entries in 16 buckets, which starts a shrink.
        let t = thread::spawn(move || m2.remove(&7));
        m.insert(50, 50);
        assert!(t.join().unwrap());
        // Later writes finish whatever migration the race started.
        for _ in 0..8 {
            m.remove(&999);
        }
        for k in [0, 1, 8, 50] {
            assert_eq!(m.get_cloned(&k), Some(k), "key {k}");
        }
        assert_eq!(m.get_cloned(&7), None);
        m.validate();
        if m.stats().shrinks > before {
            SHRANK.fetch_add(1, SeqCst);
        }
    });
    assert!(SHRANK.load(SeqCst) > 0, "no execution shrank the table concurrently");
}

#[test]
fn evict_get() {
    explore("evict||get", || {
        let m = Arc::new(ConcurrentMap::builder().max_entries(2).hasher(fixed()).build());
        let (a, _) = Alive::new(1);
        let (b, _) = Alive::new(2);
        m.insert(1u64, a);
        m.insert(2, b);
        let m2 = Arc::clone(&m);
        let t = thread::spawn(move || {
            m2.insert(3, Alive::new(3).0);
        });
        {
            let p = m.pin();
            for k in [1, 2] {
                if let Some(v) = p.get(&k) {
                    assert_eq!(v.check(), k);
                }
            }
        }
        t.join().unwrap();
        assert_eq!(m.len(), 2, "one of the three was evicted");
        assert_eq!([1, 2, 3].iter().filter(|k| m.contains_key(k)).count(), 2);
        m.validate();
    });
}

/// A thread's leased epoch slot (its participant, retirement batch and counters) passes
/// to another thread when the first one exits: the release on exit and the claim must
/// order every use of the slot by the old holder before any use by the new one (loom
/// reports a race on the slot's cells otherwise).
#[test]
fn lease_handover() {
    static HANDED_OVER: AtomicUsize = AtomicUsize::new(0);
    explore("lease handover", || {
        let m: Arc<ConcurrentMap<u64, Alive, _>> = Arc::new(ConcurrentMap::with_hasher(fixed()));
        let (v, dropped) = Alive::new(1);
        let m2 = Arc::clone(&m);
        let t = thread::spawn(move || {
            // Retires a value into the batch of the slot this thread pins through.
            m2.insert(1, v);
            m2.remove(&1);
        });
        m.insert(2, Alive::new(2).0);
        // The spawned thread's thread-locals are gone: its lease, if it took the only
        // one, is free again, and this thread claims it on its next pin.
        t.join().unwrap();
        for k in 3..5 {
            m.insert(k, Alive::new(k).0);
            m.remove(&k);
        }
        assert_eq!(m.pin().get(&2).map(Alive::check), Some(2));
        assert!(!m.contains_key(&1));
        assert_eq!(m.len(), 1);
        m.validate();
        if m.loom_lease_claims() == 2 {
            HANDED_OVER.fetch_add(1, SeqCst);
        }
        drop(m);
        assert!(dropped.load(SeqCst), "the retired value was dropped by the end");
    });
    assert!(HANDED_OVER.load(SeqCst) > 0, "no execution handed the lease from one thread to another");
}

/// A writer's full maintenance step holds an idle slot (here: the leased one, released
/// by its thread's exit) to seal the batch of values its last holder retired, while that
/// thread may be exiting and the writer itself may claim the same lease on its next pin.
/// The claim through the lease word must order the old holder's uses of the slot before
/// the seal (loom reports a race on the slot's cells otherwise), and every value is
/// dropped exactly once.
#[test]
fn idle_slot_seal_races_lease_release() {
    static HELD: AtomicUsize = AtomicUsize::new(0);
    explore("idle slot seal || lease release", || {
        let m: Arc<ConcurrentMap<u64, Alive, _>> = Arc::new(ConcurrentMap::with_hasher(fixed()));
        let (v, dropped) = Alive::new(1);
        let (ready, go) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
        let (m2, ready2, go2) = (Arc::clone(&m), Arc::clone(&ready), Arc::clone(&go));
        let t = thread::spawn(move || {
            // Claims the (only) lease, holds it until told to go on, then retires a value
            // into its slot's batch and exits: only the lease word orders that batch
            // write before another thread's use of the slot.
            m2.insert(1, v);
            ready2.store(true, SeqCst);
            while !go2.load(SeqCst) {
                thread::yield_now();
            }
            m2.remove(&1);
        });
        while !ready.load(SeqCst) {
            thread::yield_now();
        }
        // Three writes through the shared slot (the lease is taken), then the thread
        // retires and exits while the fourth, a full maintenance step, holds an idle
        // slot: the leased one (first if its thread's exit already marked it, else in
        // turn), unless this thread's pin claimed it first.
        m.insert(2, Alive::new(2).0);
        m.remove(&2);
        m.insert(3, Alive::new(3).0);
        go.store(true, SeqCst);
        m.remove(&3);
        t.join().unwrap();
        assert!(!m.contains_key(&1));
        assert_eq!(m.len(), 0);
        m.validate();
        if m.loom_idle_holds() > 0 {
            HELD.fetch_add(1, SeqCst);
        }
        drop(m);
        assert!(dropped.load(SeqCst), "the retired value was dropped by the end");
    });
    assert!(HELD.load(SeqCst) > 0, "no execution held the idle leased slot");
}

/// A bounded map's entry count is adjusted by the inserter just after it unlocks the
/// bucket, so a remover of the same key can subtract first: the count dips below zero
/// for a moment. It must read as 0 then, never as a huge count (which made `weight()`
/// return `u64::MAX` and an eviction pass empty the cache).
#[test]
fn bounded_insert_remove_counts_never_wrap() {
    static REMOVED: AtomicUsize = AtomicUsize::new(0);
    explore("bounded insert||remove", || {
        let m = Arc::new(ConcurrentMap::builder().max_entries(4).hasher(fixed()).build());
        let m2 = Arc::clone(&m);
        let t = thread::spawn(move || {
            let removed = m2.remove(&1u64);
            let w = m2.weight();
            assert!(w <= 4, "weight() = {w} (removed: {removed}) in a map bounded to 4 entries");
            removed
        });
        m.insert(1u64, 1u64);
        if t.join().unwrap() {
            REMOVED.fetch_add(1, SeqCst);
        }
        assert!(m.weight() <= 1);
        m.validate();
    });
    assert!(REMOVED.load(SeqCst) > 0, "no execution removed the key the other thread inserted");
}
