//! Clones (copied entries, a shared finalizer, clones dropped across threads and inside
//! the finalizer, a clone taken while others write) and equality.

use super::*;

/// A clone holds the same entries and configuration, is independent of the original,
/// and shares its finalizer: every value of either map is finalized exactly once, each
/// map's values with their own causes.
#[test]
fn clone_copies_entries_and_shares_the_finalizer() {
    let n = scale(1000);
    let drops = counters(3 * n);
    let log = Arc::new(Mutex::new(Vec::new()));
    {
        let l = Arc::clone(&log);
        let m = ConcurrentMap::builder()
            .hasher(fixed())
            .initial_capacity(4 * n)
            .finalizer(move |k: usize, v: Arc<Tracked>, cause: RemovalCause| {
                l.lock().unwrap().push((k, v.id, cause));
            })
            .build();
        let mk = |id| Arc::new(Tracked { id, drops: Arc::clone(&drops) });
        for i in 0..n {
            m.insert(i, mk(i));
        }
        let c = m.clone();
        c.validate();
        assert_eq!(c.len(), n);
        assert_eq!(c.allocation_size(), m.allocation_size(), "the floor is copied: same table");
        {
            let (p, q) = (m.pin(), c.pin());
            assert!((0..n).all(|i| p.get(&i).map(|v| v.id) == q.get(&i).map(|v| v.id)));
        }
        // The copy's values are clones of the `Arc`s: the same ids, each finalized once
        // per map.
        for i in 0..n / 2 {
            c.insert(i, mk(n + i)); // replaces in the copy only
        }
        m.remove(&0);
        assert_eq!(m.get_cloned(&1).map(|v| v.id), Some(1));
        assert_eq!(c.get_cloned(&1).map(|v| v.id), Some(n + 1));
        assert!(c.contains_key(&0) && !m.contains_key(&0));
        drop(m);
        c.validate();
    }
    for (id, d) in drops.iter().enumerate().take(n + n / 2) {
        assert_eq!(d.load(Relaxed), 1, "value {id}");
    }
    let log = log.lock().unwrap();
    let count = |cause| log.iter().filter(|e| e.2 == cause).count();
    // The original: one removal, n - 1 dropped. The copy: n / 2 replaced, n dropped.
    assert_eq!(count(RemovalCause::Explicit), 1);
    assert_eq!(count(RemovalCause::Replaced), n / 2);
    assert_eq!(count(RemovalCause::Dropped), 2 * n - 1);
    assert_eq!(log.len(), 2 * n - 1 + n / 2 + 1);
}

/// A finalizer may drop a map that shares it (here a clone, handed to the finalizer
/// through a slot): the dropped map cannot take the finalizer's lock, which this thread
/// holds, so its values wait for the running call to return and are finalized then,
/// once each, as `Dropped`. Before, the drop waited for that lock forever. Both callers
/// that can hold the lock when the clone drops are covered: the original map's drop,
/// and its `clear` (a drain of reclaimed values).
#[test]
fn a_finalizer_may_drop_a_map_that_shares_it() {
    type Map = ConcurrentMap<u32, u32, ahash::RandomState>;
    for clear_first in [false, true] {
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = Arc::clone(&log);
        finishes_within(if cfg!(miri) { 600 } else { 60 }, move || {
            let slot: Arc<Mutex<Option<Map>>> = Arc::default();
            let s = Arc::clone(&slot);
            let map: Map = ConcurrentMap::builder()
                .hasher(fixed())
                .finalizer(move |k: u32, v: u32, cause: RemovalCause| {
                    l.lock().unwrap().push((k, v, cause));
                    let copy = s.lock().unwrap().take();
                    drop(copy); // inside the shared finalizer's call
                })
                .build();
            map.insert(1, 10);
            let copy = map.clone();
            copy.insert(2, 20);
            *slot.lock().unwrap() = Some(copy);
            if clear_first {
                map.clear();
                // Later writes drain the reclaimed values: the first one finalized drops
                // the copy, inside a drain on a live map.
                let mut writes = 0;
                while slot.lock().unwrap().is_some() {
                    map.insert(100, 0);
                    map.remove(&100);
                    writes += 1;
                    assert!(writes < 100_000, "the cleared value was never finalized");
                }
            }
            drop(map);
        });
        let mut log: Vec<_> = log.lock().unwrap().iter().copied().filter(|e| e.0 != 100).collect();
        log.sort_unstable_by_key(|&(k, v, c)| (k, v, c as u8));
        let first = if clear_first { RemovalCause::Cleared } else { RemovalCause::Dropped };
        let mut expected = vec![(1, 10, first), (1, 10, RemovalCause::Dropped), (2, 20, RemovalCause::Dropped)];
        expected.sort_unstable_by_key(|&(k, v, c)| (k, v, c as u8));
        assert_eq!(log, expected, "clear first: {clear_first}");
    }
}

/// Clones sharing one finalizer, written on several threads at once: half of them drop
/// their clone when done (waiting for the finalizer's lock if another thread holds it),
/// half park it, and every finalizer call drops one parked clone (its values left to
/// that call's holder). Every value is finalized exactly once, removed ones as
/// `Explicit`, the rest as `Dropped`, and no thread hangs.
#[test]
fn clones_dropped_across_threads_and_inside_the_finalizer_finalize_each_value_once() {
    type Map = ConcurrentMap<usize, usize, ahash::RandomState>;
    const THREADS: usize = 4;
    let per = scale(2000);
    finishes_within(if cfg!(miri) { 1800 } else { 120 }, move || {
        let explicit = counters(THREADS * per);
        let dropped = counters(THREADS * per);
        let parked: Arc<Mutex<Vec<Map>>> = Arc::default();
        let inside = Arc::new(AtomicUsize::new(0));
        let (e, d, p, i) = (Arc::clone(&explicit), Arc::clone(&dropped), Arc::clone(&parked), Arc::clone(&inside));
        let map: Map = ConcurrentMap::builder()
            .hasher(fixed())
            .finalizer(move |_k: usize, v: usize, cause: RemovalCause| {
                match cause {
                    RemovalCause::Explicit => &e[v],
                    RemovalCause::Dropped => &d[v],
                    other => panic!("unexpected cause {other:?}"),
                }
                .fetch_add(1, Relaxed);
                let clone = p.lock().unwrap().pop();
                if clone.is_some() {
                    i.fetch_add(1, Relaxed);
                }
                drop(clone); // inside the shared finalizer's call
            })
            .build();
        let clones: Vec<Map> = (0..THREADS).map(|_| map.clone()).collect();
        let barrier = Barrier::new(THREADS);
        thread::scope(|scope| {
            for (t, c) in clones.into_iter().enumerate() {
                let (barrier, parked) = (&barrier, &parked);
                scope.spawn(move || {
                    barrier.wait();
                    for v in t * per..(t + 1) * per {
                        c.insert(v, v);
                        if v % 2 == 0 {
                            c.remove(&v);
                        }
                    }
                    if t % 2 == 0 {
                        drop(c);
                    } else {
                        parked.lock().unwrap().push(c);
                    }
                });
            }
        });
        drop(map);
        // The first parked clone dropped here finalizes its values, and those calls drop
        // the others (if no call during the writes did).
        loop {
            let Some(c) = parked.lock().unwrap().pop() else { break };
            drop(c);
        }
        assert!(inside.load(Relaxed) >= 1, "no clone was dropped inside the finalizer");
        let count = |c: &[AtomicUsize], v: usize| c[v].load(Relaxed);
        for v in 0..THREADS * per {
            let (e, d) = (count(&explicit, v), count(&dropped, v));
            assert_eq!((e, d), if v % 2 == 0 { (1, 0) } else { (0, 1) }, "value {v}: explicit {e}, dropped {d}");
        }
    });
}

/// A bounded clone keeps the bound and the weigher (shared), and evicts on its own.
#[test]
fn clone_of_a_bounded_map_keeps_its_bound_and_weigher() {
    let weighed = Arc::new(AtomicUsize::new(0));
    let w = Arc::clone(&weighed);
    let m = ConcurrentMap::builder()
        .max_weight(100)
        .weigher(move |_: &u32, v: &Vec<u8>| {
            w.fetch_add(1, Relaxed);
            v.len() as u64
        })
        .hasher(fixed())
        .build();
    for i in 0..20 {
        m.insert(i, vec![0; 5]);
    }
    let before = weighed.load(Relaxed);
    let c = m.clone();
    assert_eq!(weighed.load(Relaxed), before + 20, "the copy weighs its entries with the same weigher");
    assert_eq!((c.capacity(), c.weight(), c.len()), (m.capacity(), m.weight(), m.len()));
    for i in 100..150 {
        c.insert(i, vec![0; 5]);
        assert!(c.weight() <= 100);
    }
    assert!(c.stats().evictions() >= 50);
    assert_eq!((m.len(), m.weight(), m.stats().evictions()), (20, 100, 0), "the original is untouched");
    c.validate();
    m.validate();
    let empty: ConcurrentMap<u8, u8, _> = ConcurrentMap::with_hasher(fixed());
    assert!(empty.clone().is_empty());
}

/// Cloning while another thread writes: the copy holds every entry present throughout,
/// and nothing the writer never inserted.
#[test]
fn clone_while_written() {
    let n = scale(2000) as u32;
    let m: ConcurrentMap<u32, u32, _> = ConcurrentMap::with_hasher(fixed());
    for i in 0..n {
        m.insert(i, i);
    }
    thread::scope(|s| {
        s.spawn(|| {
            for round in 0..4 {
                for i in n..2 * n {
                    m.insert(i, round);
                }
                for i in n..2 * n {
                    m.remove(&i);
                }
            }
        });
        for _ in 0..4 {
            let c = m.clone();
            c.validate();
            let p = c.pin();
            assert!((0..n).all(|i| p.get(&i) == Some(&i)), "a stable entry is missing");
            assert!(p.iter().all(|(k, v)| *k < 2 * n && (*k >= n || k == v)));
        }
    });
}

/// `a == b`, checked to agree with `b == a` (the comparison walks the left map and counts
/// the right one).
fn equal<S: std::hash::BuildHasher>(a: &ConcurrentMap<u32, u32, S>, b: &ConcurrentMap<u32, u32, S>) -> bool {
    let (ab, ba) = (a == b, b == a);
    assert_eq!(ab, ba, "equality is symmetric");
    ab
}

/// Equality compares contents only: maps with different seeds, bounds or finalizers are
/// equal when they hold the same entries.
#[test]
fn equality_compares_contents() {
    let a: ConcurrentMap<u32, u32, _> = ConcurrentMap::with_hasher(ahash::RandomState::with_seeds(1, 2, 3, 4));
    let b = ConcurrentMap::builder()
        .hasher(ahash::RandomState::with_seeds(5, 6, 7, 8))
        .max_entries(1000)
        .finalizer(|_: u32, _: u32, _| {})
        .build();
    assert!(equal(&a, &b) && equal(&a, &a));
    for i in 0..scale(500) as u32 {
        a.insert(i, i);
        b.insert(scale(500) as u32 - 1 - i, scale(500) as u32 - 1 - i);
    }
    assert!(equal(&a, &b));
    b.insert(7, 0);
    assert!(!equal(&a, &b), "a different value");
    b.insert(7, 7);
    b.insert(100_000, 1);
    assert!(!equal(&a, &b), "an extra key");
    b.remove(&100_000);
    b.remove(&0);
    assert!(!equal(&a, &b), "a missing key");
}
