//! User code the map runs (`compute` and `update` closures, weighers, finalizers) and
//! the maintenance that reads and writes take on, also in the middle of a migration: no
//! deadlock, no value lost or finalized twice, the bound kept. A reader's maintenance
//! (every 64 reads) must not lock buckets or run finalizers under a lock user code
//! holds, nor give back room set aside by `try_reserve`.

use super::*;

/// Inserts until a growth of a large table has started (the inserting writes migrate
/// only a few chunks each), leaving a migration in progress.
fn map_mid_migration() -> Arc<ConcurrentMap<u64, u64>> {
    let m = Arc::new(ConcurrentMap::new());
    // 65_536 buckets grow past 3/4 load (49_152): checked every 8 inserts.
    for i in 0..49_160u64 {
        m.insert(i, i);
    }
    m
}

/// `update`/`compute` document only that `f` must not *write* to the map; the weigher
/// docs say "Reads are fine". A read now runs a writer's maintenance every 64 reads,
/// which helps the migration: it locks every bucket of its chunk, including the one
/// this thread holds while `f` runs.
#[test]
#[cfg_attr(miri, ignore = "tens of thousands of inserts")]
fn reads_inside_compute_do_not_deadlock() {
    finishes_within(20, || {
        let m = map_mid_migration();
        let m2 = Arc::clone(&m);
        m.compute(40_000, move |old| {
            let mut sum = 0u64;
            for r in 0..200_000u64 {
                sum = sum.wrapping_add(m2.get_cloned(&(r % 49_160)).unwrap_or(0));
            }
            Some(old.copied().unwrap_or(0) + sum % 2)
        });
    });
}

/// The weigher docs (`Builder::weigher`, added by this change) say "Reads are fine";
/// `get_or_insert_with` calls the weigher under the key's bucket lock.
#[test]
#[cfg_attr(miri, ignore = "tens of thousands of inserts")]
fn weigher_that_reads_does_not_deadlock() {
    use std::sync::OnceLock;
    static MAP: OnceLock<ConcurrentMap<u64, u64>> = OnceLock::new();
    finishes_within(20, || {
        let m = MAP.get_or_init(|| {
            ConcurrentMap::builder()
                .max_weight(1 << 40)
                .weigher(|_: &u64, _: &u64| {
                    let m = MAP.get().unwrap();
                    // A weigher that looks something up in the map it weighs for.
                    (0..200u64).filter(|k| m.contains_key(k)).count() as u64 + 1
                })
                .build()
        });
        for i in 0..49_160u64 {
            m.get_or_insert_with(i, || i);
        }
        for i in 49_160..60_000u64 {
            m.get_or_insert_with(i, || i);
        }
    });
}

/// `Builder::finalizer`: "It runs ... outside every bucket lock and without a pin". A
/// read inside `compute`'s `f` (which holds the key's bucket lock) now drains: the
/// finalizer runs under that lock.
#[test]
#[cfg_attr(miri, ignore = "tens of thousands of inserts")]
fn finalizer_never_runs_inside_compute() {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicUsize, Ordering};
    thread_local!(static IN_F: Cell<bool> = const { Cell::new(false) });
    static UNDER_LOCK: AtomicUsize = AtomicUsize::new(0);
    let m: Arc<ConcurrentMap<u64, u64>> = Arc::new(
        ConcurrentMap::builder()
            .finalizer(|_k: u64, _v: u64, _c| {
                if IN_F.with(Cell::get) {
                    UNDER_LOCK.fetch_add(1, Ordering::Relaxed);
                }
            })
            .build(),
    );
    for i in 0..10_000u64 {
        m.insert(i, i);
    }
    for i in 0..9_000u64 {
        m.remove(&i);
    }
    let m2 = Arc::clone(&m);
    m.compute(9_500, move |old| {
        IN_F.with(|f| f.set(true));
        for r in 0..100_000u64 {
            let _ = m2.get_cloned(&r);
        }
        IN_F.with(|f| f.set(false));
        old.copied()
    });
    assert_eq!(UNDER_LOCK.load(Ordering::Relaxed), 0, "the finalizer ran under compute's bucket lock");
}

/// `try_reserve`: "Room that stays unused may be given back by the map's ShrinkPolicy
/// after later removals." Reads alone now run shrink checks (every 8th read maintenance,
/// i.e. every 512 reads through a slot) and give the reserved room back before the
/// inserts it was reserved for arrive.
#[test]
#[cfg_attr(miri, ignore = "tens of thousands of inserts")]
fn reads_do_not_undo_try_reserve() {
    let m: ConcurrentMap<u64, u64> = ConcurrentMap::new();
    m.insert(0, 0);
    m.try_reserve(100_000).unwrap();
    let reserved = m.allocation_size();
    for _ in 0..50_000 {
        let _ = m.get_cloned(&0);
    }
    let after = m.allocation_size();
    assert!(after >= reserved / 2, "reads gave the reserved table back: {reserved} -> {after} bytes");
}

/// A panicking finalizer does not stop `clear` (or `retain`): the walk drains retired
/// values after every bucket, and the first panic is re-raised once every bucket was
/// visited. Every value is still finalized exactly once.
#[test]
fn a_panicking_finalizer_does_not_stop_clear() {
    let n = scale(10_000) as u32;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let m = ConcurrentMap::builder()
        .hasher(fixed())
        .finalizer(move |k: u32, _v: u32, _| {
            s.lock().unwrap().push(k);
            if k == 7 {
                panic!("finalizer");
            }
        })
        .build();
    for i in 0..n {
        m.insert(i, i);
    }
    // Removals whose retired batch (holding key 7) is handed to the collector but not
    // yet drained: the walk of `clear` drains it between buckets.
    // (Scaled down, as under Miri, a removal may drain that batch itself and panic.)
    let mut early = false;
    for i in 0..240.min(n) {
        early |= catch_unwind(AssertUnwindSafe(|| {
            m.remove(&i);
        }))
        .is_err();
    }
    let before = m.len();
    let p = catch_unwind(AssertUnwindSafe(|| m.clear()));
    assert!(p.is_err() || early, "the finalizer's panic reached `clear` ({before} entries before)");
    m.validate();
    assert_eq!(m.len(), 0, "clear removed every entry (it panicked: {})", p.is_err());
    let _ = catch_unwind(AssertUnwindSafe(|| drop(m)));
    let mut seen = seen.lock().unwrap().clone();
    seen.sort();
    assert_eq!(seen, (0..n).collect::<Vec<_>>(), "each value finalized once");
}

/// While a growth postponed by a pinned reader migrates into a table many times the
/// old root's size, eviction still reaches every entry: an insert that needs the whole
/// weight bound evicts everything else before it returns.
#[test]
#[cfg_attr(miri, ignore = "needs tens of thousands of inserts to see a many-fold growth")]
fn eviction_during_a_many_fold_growth_keeps_the_bound() {
    const W: u64 = 1_000_000;
    let (small, big) = (3_000u64, 60_000u64);
    for seed in 0..3u64 {
        let m = ConcurrentMap::builder()
            .max_weight(W)
            .weigher(|_: &u64, v: &u64| *v)
            .hasher(ahash::RandomState::with_seeds(seed, 2, 3, 4))
            .build();
        for i in 0..small {
            m.insert(i, 1);
        }
        {
            let _reader = m.pin(); // holds the old table: growth waits
            for i in small..big {
                m.insert(i, 1);
            }
        }
        let mut last = m.allocation_size();
        let mut checked = false;
        for i in big..big + 100 {
            m.insert(i, 1);
            let now = m.allocation_size();
            if now > last + last / 4 {
                // A much larger successor table is being filled: insert the heaviest value.
                m.insert(u64::MAX, W);
                assert!(m.weight() <= W, "seed {seed}: weight {} over {W} ({} entries)", m.weight(), m.len());
                checked = true;
                break;
            }
            last = now;
        }
        assert!(checked, "seed {seed}: no large growth seen");
        m.validate();
    }
}

/// `update` whose new value is rejected (heavier than the whole weight bound): the old
/// value leaves as `Replaced`, the new one as `Rejected`, the key is gone, and `update`
/// still says `f` ran, as documented.
#[test]
fn update_with_a_rejected_value_removes_the_key() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let m = ConcurrentMap::builder()
        .max_weight(10)
        .weigher(|_: &u32, v: &u64| *v)
        .finalizer(move |k: u32, v: u64, c| s.lock().unwrap().push((k, v, c)))
        .build();
    m.insert(3, 4);
    assert!(m.update(3, |_| 100));
    assert_eq!(m.get_cloned(&3), None);
    assert!(!m.update(3, |_| 1), "absent: f does not run");
    drop(m);
    let mut seen = seen.lock().unwrap().clone();
    seen.sort_by_key(|e| e.1);
    assert_eq!(seen, [(3, 4, RemovalCause::Replaced), (3, 100, RemovalCause::Rejected)]);
}

/// A `compute` that leaves an absent key absent unlocks its (empty) bucket after it
/// dropped its pin; the thread that later migrates that bucket marks it `MOVED` with a
/// compare-and-swap from null that reads the unlocking store. That CAS must acquire it:
/// otherwise nothing orders the unlock (and the computing thread's reads of the table)
/// before the old table is freed, and Miri reports a data race between the unlock's
/// atomic store and the deallocation.
///
/// Three threads, ordered only by `Relaxed` flags (no happens-before edges of their
/// own): A computes on an absent key; then M writes until it starts a growth and
/// migrates the first chunk, which holds A's empty bucket; then the main thread
/// migrates the rest and writes until the old table is freed. M's CAS must be the edge
/// from A's unlock to the free: the main thread reaches M's migration through the epoch
/// (M's unpin), and M runs no fence after the CAS that would pick up A's store.
#[test]
fn migration_of_an_empty_bucket_acquires_its_unlock() {
    #[derive(Default)]
    struct Identity(u64);
    impl std::hash::Hasher for Identity {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, _: &[u8]) {
            unreachable!("only u64 keys")
        }
        fn write_u64(&mut self, n: u64) {
            self.0 = n;
        }
    }
    type Id = std::hash::BuildHasherDefault<Identity>;

    fn wait(flag: &AtomicBool) {
        while !flag.load(Relaxed) {
            thread::yield_now();
        }
    }

    // A 128-bucket root, loaded to its limit (96 entries: no growth yet) with keys whose
    // buckets (key % 128) lie in the first migration chunk (buckets 0..64), except
    // bucket 7, which stays empty. The chunk holds more than 64 entries, so a write
    // that starts the growth migrates that chunk alone.
    let m: Arc<ConcurrentMap<u64, u64, Id>> = Arc::new(ConcurrentMap::with_capacity_and_hasher(96, Id::default()));
    for k in (0..).filter(|k| k % 128 < 64 && k % 128 != 7).take(96) {
        m.insert(k, k);
    }
    let [computed, migrated, finished] = [(); 3].map(|()| Arc::new(AtomicBool::new(false)));
    let computer = {
        let (m, computed, finished) = (Arc::clone(&m), Arc::clone(&computed), Arc::clone(&finished));
        thread::spawn(move || {
            // Absent and left absent: locks and unlocks the empty bucket of 7.
            assert!(!m.compute(7, |_| None));
            computed.store(true, Relaxed);
            wait(&finished);
        })
    };
    let mover = {
        let (m, computed, migrated, finished) =
            (Arc::clone(&m), Arc::clone(&computed), Arc::clone(&migrated), Arc::clone(&finished));
        thread::spawn(move || {
            wait(&computed);
            // Keys of the second chunk; the 8th insert (a thread's first load check)
            // starts the growth and migrates the first chunk.
            for k in 64..72 {
                m.insert(k, k);
            }
            migrated.store(true, Relaxed);
            wait(&finished);
        })
    };
    wait(&migrated);
    // The first insert migrates the second chunk and retires the old root; insert until
    // it is freed.
    let mut inserted = 0;
    loop {
        m.insert(1000 + inserted, inserted);
        inserted += 1;
        if m.stats().pending_garbage_bytes == 0 || inserted == 100 {
            break;
        }
    }
    finished.store(true, Relaxed);
    computer.join().unwrap();
    mover.join().unwrap();
    assert_eq!(m.stats().pending_garbage_bytes, 0, "the old table was never freed");
    assert_eq!(m.len(), 96 + 8 + inserted as usize);
    assert_eq!(m.get_cloned(&7), None);
    m.validate();
}
