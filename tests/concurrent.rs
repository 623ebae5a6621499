//! `ConcurrentMap`: single-threaded behaviour, leases and pins, exactly-once
//! finalization and garbage that drains. The modules under `tests/concurrent/` hold the
//! proptests against models (`model`), two to four threads on one map, with the stress
//! test (`threads`; `LEAKLESS_STRESS=1` for its full size), the cache's behaviour
//! (`cache`), user code the map runs (`user_code`), and clones (`clones`). Tests with
//! two threads also run under Miri.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

use leakless::{ConcurrentMap, FixedState, RemovalCause};
use proptest::prelude::*;

/// The bounded map's model, shared with the concurrent fuzz target.
#[path = "models/concurrent_cache.rs"]
mod concurrent_cache;
use concurrent_cache::{Cache, Limit};
/// The unbounded map's model, shared with the fuzz target.
#[path = "models/concurrent_map.rs"]
mod concurrent_map;
use concurrent_map::{Calls, Plain};

#[path = "concurrent/cache.rs"]
mod cache;
#[path = "concurrent/clones.rs"]
mod clones;
#[path = "concurrent/model.rs"]
mod model;
#[path = "concurrent/threads.rs"]
mod threads;
#[path = "concurrent/user_code.rs"]
mod user_code;

/// Scales a workload down under Miri.
fn scale(n: usize) -> usize {
    if cfg!(miri) {
        (n / 200).max(8)
    } else {
        n
    }
}

fn fixed() -> ahash::RandomState {
    ahash::RandomState::with_seeds(1, 2, 3, 4)
}

/// A value that counts its drops in a shared array (index = its id).
struct Tracked {
    id: usize,
    drops: Arc<Vec<AtomicUsize>>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops[self.id].fetch_add(1, Relaxed);
    }
}

fn counters(n: usize) -> Arc<Vec<AtomicUsize>> {
    Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect())
}

/// The next value of a xorshift64 stream (the threads' key streams).
fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

/// Runs `f` on a fresh thread and fails if it does not finish within `secs`.
fn finishes_within(secs: u64, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(()) => {}
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("deadlock: did not finish within {secs}s"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the thread panicked"),
    }
}

#[test]
fn basic_operations() {
    let m = ConcurrentMap::with_hasher(fixed());
    assert!(m.is_empty());
    assert!(m.insert(1u32, 10u32));
    assert!(!m.insert(1, 11));
    assert_eq!(m.get_cloned(&1), Some(11));
    assert!(m.contains_key(&1));
    assert!(m.update(1, |v| v + 1));
    assert_eq!(m.get_with(&1, |v| *v), Some(12));
    assert!(!m.update(2, |v| v + 1));
    assert!(m.compute(2, |old| Some(old.map_or(5, |v| v + 1))));
    assert_eq!(m.get_cloned(&2), Some(5));
    assert!(!m.compute(2, |_| None));
    assert_eq!(m.get_or_insert_with(3, || 30), 30);
    assert_eq!(m.get_or_insert_with(3, || 31), 30);
    assert_eq!(m.len(), 2);
    assert!(m.remove(&1));
    assert!(!m.remove(&1));
    assert_eq!(m.len(), 1);
    m.validate();
    assert_eq!(format!("{m:?}"), "{3: 30}");
    m.clear();
    assert!(m.is_empty());
    m.validate();
}

#[test]
fn grows_and_shrinks() {
    let n = scale(20_000);
    let m = ConcurrentMap::with_hasher(fixed());
    // The map's fixed part (core, slots, collector, this thread's participant), which
    // does not shrink; what grew with the entries must.
    let base = m.allocation_size();
    for i in 0..n {
        m.insert(i, i);
    }
    m.validate();
    assert_eq!(m.len(), n);
    let peak = m.allocation_size() - base;
    for i in 0..n {
        assert!(m.remove(&i), "{i}");
    }
    for i in 0..200 {
        m.insert(i, i);
        m.remove(&i);
    }
    m.validate();
    assert!(m.is_empty());
    assert!(m.stats().shrinks > 0);
    let now = m.allocation_size().saturating_sub(base);
    assert!(now < peak / 20, "{now} of {peak}");
}

#[test]
fn try_reserve_grows_once() {
    let n = scale(20_000);
    let m = ConcurrentMap::with_hasher(fixed());
    assert!(m.try_reserve(usize::MAX).is_err());
    assert!(m.try_reserve(usize::MAX / 2).is_err());
    m.try_reserve(n).unwrap();
    let reserved = m.allocation_size();
    m.insert(0, 0);
    let per_entry = m.allocation_size() - reserved;
    for i in 1..n {
        m.insert(i, i);
    }
    m.validate();
    // No table was replaced: every insert added exactly one entry's bytes.
    assert_eq!(m.allocation_size(), reserved + n * per_entry);
    // Reserving on a populated map grows it at once, and keeps every entry.
    m.try_reserve(4 * n).unwrap();
    let grown = m.allocation_size();
    assert!(grown >= reserved + 4 * n * std::mem::size_of::<usize>(), "{grown} vs {reserved}");
    m.validate();
    assert_eq!(m.len(), n);
    assert!((0..n).all(|i| m.get_cloned(&i) == Some(i)));
    // A bounded map reserves no more than its bound.
    let b: ConcurrentMap<usize, usize> = ConcurrentMap::builder().max_entries(64).build();
    let fixed = b.allocation_size();
    b.try_reserve(1 << 20).unwrap();
    assert!(b.allocation_size() - fixed < 64 * 64, "{} over the map's fixed {fixed}", b.allocation_size() - fixed);
}

#[test]
fn try_reserve_while_others_write() {
    let n = scale(4_000);
    let m = ConcurrentMap::with_hasher(fixed());
    thread::scope(|s| {
        s.spawn(|| {
            for i in 0..n {
                m.insert(i, i);
            }
        });
        for k in 1..=4 {
            m.try_reserve(k * n).unwrap();
        }
    });
    m.validate();
    assert_eq!(m.len(), n);
}

/// More short-lived threads than the map has slots, maps dropped while threads hold
/// leases on them, and one thread alternating between two maps: every value is dropped
/// exactly once and the maps stay consistent.
#[test]
fn leases_survive_thread_churn() {
    let rounds = if cfg!(miri) { 3 } else { 40 };
    let per = scale(2_000);
    let drops = counters(rounds * 2 * per);
    let keeper = ConcurrentMap::with_hasher(fixed());
    for r in 0..rounds {
        let m = ConcurrentMap::with_hasher(fixed());
        thread::scope(|s| {
            for t in 0..2 {
                let (m, keeper, drops) = (&m, &keeper, &drops);
                s.spawn(move || {
                    for i in 0..per {
                        let id = (r * 2 + t) * per + i;
                        m.insert(id, Tracked { id, drops: Arc::clone(drops) });
                        keeper.insert(id % 64, id);
                        if i % 2 == 0 {
                            assert!(m.remove(&id));
                        }
                    }
                });
            }
        });
        m.validate();
        assert_eq!(m.len(), per);
        drop(m);
    }
    keeper.validate();
    assert_eq!(keeper.len(), 64.min(rounds * 2 * per));
    assert!(drops.iter().all(|d| d.load(Relaxed) == 1), "a value dropped other than once");
}

/// More threads pinned at once than the map has epoch slots (it keeps `2 * max(n, 2)`
/// leased and `2n` shared ones, `n` the available parallelism rounded up to a power of
/// two): the threads left over pin through temporary participants, whose retired values,
/// counters and handles must all come back. Every value is dropped exactly once.
#[test]
fn more_pinned_threads_than_slots() {
    let n = thread::available_parallelism().map_or(4, |n| n.get()).clamp(1, 32).next_power_of_two();
    let threads = 2 * n.max(2) + 2 * n + 3;
    let per = if cfg!(miri) { 2 } else { 50 };
    let drops = counters(threads * per);
    let m = ConcurrentMap::with_hasher(fixed());
    let barrier = Barrier::new(threads);
    thread::scope(|s| {
        for t in 0..threads {
            let (m, drops, barrier) = (&m, &drops, &barrier);
            s.spawn(move || {
                let outer = m.pin();
                // Every thread holds a pin from here to the second wait.
                barrier.wait();
                for i in 0..per {
                    let id = t * per + i;
                    m.insert(id, Tracked { id, drops: Arc::clone(drops) });
                    if i % 2 == 0 {
                        assert!(m.remove(&id));
                    }
                }
                // The outer pin still reads through its own participant.
                assert!(outer.get(&(t * per + 1)).is_some_and(|v| v.id == t * per + 1));
                barrier.wait();
            });
        }
    });
    m.validate();
    assert_eq!(m.len(), threads * per / 2);
    assert_eq!(m.stats().insertions, (threads * per) as u64, "counters of temporary participants are kept");
    drop(m);
    assert!(drops.iter().all(|d| d.load(Relaxed) == 1), "a value dropped other than once");
}

#[test]
fn pinned_reads_survive_removal() {
    let m = ConcurrentMap::new();
    m.insert(1, String::from("one"));
    let p = m.pin();
    let v = p.get(&1).unwrap();
    m.remove(&1);
    for i in 0..scale(5000) {
        m.insert(i + 10, String::new());
        m.remove(&(i + 10));
    }
    assert_eq!(v, "one");
    assert!(m.stats().pending_garbage_bytes > 0);
    drop(p);
}

/// A `Pinned` handle kept in a thread-local that the thread's exit destroys after its
/// lease. Thread-local destructors run in reverse order of first use, so a thread-local
/// first used before the thread pins the map outlives the lease the pin takes: the lease
/// must keep its slot (the handle is still pinned on it), and the handle, dropped last,
/// must unpin it so that the garbage it held back drains. While the exiting thread waits
/// between the two destructors, another thread leases a slot and uses the map, which
/// must not be handed the slot the handle is pinned on. (With the lease released under
/// the handle, this test aborts in a debug build: the handle's drop takes its count off
/// a lease word already reset to zero.)
#[test]
fn a_pinned_handle_outliving_its_threads_lease_unpins_and_lets_garbage_drain() {
    /// Destroyed before the lease (first used after the pin): `HELD`'s drop checks it is
    /// gone, which shows the destructors ran in the order this test is about.
    struct Marker;
    impl Drop for Marker {
        fn drop(&mut self) {}
    }
    /// Reports whether `LATER` was destroyed by then, waits for the go-ahead, and only
    /// then drops its handle.
    struct Held {
        pinned: Option<leakless::concurrent::Pinned<'static, u64, String>>,
        /// Where to report the order, and where the go-ahead comes from.
        signals: Option<(mpsc::Sender<bool>, mpsc::Receiver<()>)>,
    }
    impl Drop for Held {
        fn drop(&mut self) {
            let later_gone = LATER.try_with(|_| ()).is_err();
            if let Some((order, go)) = self.signals.take() {
                let _ = order.send(later_gone);
                let _ = go.recv();
            }
            drop(self.pinned.take());
        }
    }
    thread_local! {
        static HELD: std::cell::RefCell<Held> =
            const { std::cell::RefCell::new(Held { pinned: None, signals: None }) };
        static LATER: Marker = const { Marker };
    }
    // A thread-local holds only `'static` types: the map lives on the heap, borrowed for
    // `'static`, and is freed at the end of the test.
    let raw = Box::into_raw(Box::new(ConcurrentMap::<u64, String>::new()));
    // SAFETY: `raw` is a live allocation from `Box::into_raw`, freed only at the end of
    // the test, after every borrow of it is over.
    let m: &'static ConcurrentMap<u64, String> = unsafe { &*raw };
    m.insert(1, String::from("one"));
    let (pinned_tx, pinned_rx) = mpsc::channel();
    let (order_tx, order_rx) = mpsc::channel();
    let (exit_tx, exit_rx) = mpsc::channel::<()>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let t = thread::spawn(move || {
        HELD.with(|h| h.borrow_mut().signals = Some((order_tx, go_rx)));
        let p = m.pin();
        assert_eq!(p.get(&1).map(String::as_str), Some("one"));
        LATER.with(|_| ());
        HELD.with(|h| h.borrow_mut().pinned = Some(p));
        pinned_tx.send(()).unwrap();
        exit_rx.recv().unwrap();
    });
    pinned_rx.recv().unwrap();
    m.remove(&1);
    for i in 0..scale(2000) as u64 {
        m.insert(i + 10, String::new());
        m.remove(&(i + 10));
    }
    assert!(m.stats().pending_garbage_bytes > 0, "the handle holds the garbage back");
    exit_tx.send(()).unwrap();
    // The exiting thread's lease is gone now, and its handle still pinned.
    assert!(order_rx.recv().unwrap(), "the handle was not dropped after the thread's lease");
    thread::spawn(move || {
        m.insert(500, String::from("while the handle lives"));
        assert!(m.remove(&500));
    })
    .join()
    .unwrap();
    go_tx.send(()).unwrap();
    t.join().unwrap();
    // Nothing is pinned now: the garbage drains within a bounded number of operations
    // (inserts of new keys, which retire nothing themselves). The other thread's removal
    // left a batch in the slot it leased, released when it exited: a writer's next
    // maintenance step (one per 256 operations) takes that slot first and seals its batch,
    // and the steps after it flush the batch once its epoch expires.
    let mut ops = 0;
    while m.stats().pending_garbage_bytes > 0 && ops < 100_000 {
        m.insert(1_000_000 + ops, String::new());
        ops += 1;
    }
    assert_eq!(m.stats().pending_garbage_bytes, 0, "still held back after {ops} operations");
    assert!(ops <= 4 * 256, "drained only after {ops} operations");
    m.retain(|&k, _| k < 1_000_000);
    // The kept slot is simply never leased again; new threads use the others.
    for k in 0..4u64 {
        thread::spawn(move || {
            m.insert(k, String::from("x"));
            assert_eq!(m.get_cloned(&k).as_deref(), Some("x"));
            assert!(m.remove(&k));
        })
        .join()
        .unwrap();
    }
    assert!(m.is_empty());
    m.validate();
    // SAFETY: `raw` came from `Box::into_raw` above and is freed once, here. Every thread
    // that borrowed the map has been joined, and the handle kept in the thread-local was
    // dropped with that thread's thread-locals, so no borrow of it is used again.
    // Dropping it frees the slot its exited thread kept (Miri's leak check covers that).
    drop(unsafe { Box::from_raw(raw) });
}

#[test]
#[should_panic(expected = "another map")]
fn foreign_guard_is_rejected() {
    let a: ConcurrentMap<u8, u8> = ConcurrentMap::new();
    let b: ConcurrentMap<u8, u8> = ConcurrentMap::new();
    let g = b.pin();
    let _ = a.get(&1, &g);
}

#[test]
fn every_value_finalized_exactly_once() {
    let n = scale(3000);
    let drops = counters(4 * n);
    let log = Arc::new(Mutex::new(vec![0u32; 7]));
    {
        let l = Arc::clone(&log);
        let m = ConcurrentMap::builder()
            .hasher(fixed())
            .finalizer(move |_k: usize, v: Tracked, cause: RemovalCause| {
                l.lock().unwrap()[cause as usize] += 1;
                drop(v);
            })
            .build();
        let mk = |id| Tracked { id, drops: Arc::clone(&drops) };
        for i in 0..n {
            m.insert(i, mk(i));
        }
        for i in 0..n / 2 {
            m.insert(i, mk(n + i)); // replaces i
        }
        for i in 0..n / 4 {
            m.remove(&i);
        }
        m.retain(|k, _| k % 3 != 0);
        let p = m.pin();
        let _held = p.get(&(n - 1));
        m.insert(n - 1, mk(2 * n)); // retired while pinned
        drop(p);
        m.validate();
    }
    for (id, d) in drops.iter().enumerate() {
        let expect = usize::from(id < n || (n..n + n / 2).contains(&id) || id == 2 * n);
        assert_eq!(d.load(Relaxed), expect, "value {id}");
    }
    let log = log.lock().unwrap();
    assert_eq!(log[RemovalCause::Replaced as usize], (n / 2 + 1) as u32);
    assert_eq!(log[RemovalCause::Explicit as usize] as usize, n / 4 + (n / 4..n).filter(|k| k % 3 == 0).count());
    let total: u32 = log.iter().sum();
    assert_eq!(total as usize, n + n / 2 + 1);
}

#[test]
fn panicking_user_code_loses_nothing() {
    let drops = counters(8);
    let m = ConcurrentMap::builder()
        .finalizer(|k: u32, v: Tracked, _| {
            let _v = v;
            if k == 1 {
                panic!("finalizer");
            }
        })
        .build();
    let mk = |id| Tracked { id, drops: Arc::clone(&drops) };
    m.insert(1, mk(0));
    m.insert(2, mk(1));
    assert!(catch_unwind(AssertUnwindSafe(|| m.compute(3, |_| panic!("compute")))).is_err());
    assert!(catch_unwind(AssertUnwindSafe(|| m.retain(|k, _| if *k == 2 { panic!("retain") } else { true }))).is_err());
    m.validate();
    assert_eq!(m.len(), 2);
    m.insert(3, mk(2));
    let r = catch_unwind(AssertUnwindSafe(|| drop(m)));
    assert!(r.is_err(), "the finalizer's panic is re-raised");
    for i in 0..3 {
        assert_eq!(drops[i].load(Relaxed), 1, "value {i}");
    }
}

#[test]
fn bounded_by_entries_and_weight() {
    let n = scale(2000);
    let m = ConcurrentMap::builder().max_entries(100).hasher(fixed()).build();
    for i in 0..n {
        m.insert(i, i);
        if i % 2 == 0 {
            let _ = m.get_cloned(&i);
        }
    }
    assert!(m.len() <= 100);
    m.validate();
    assert_eq!(m.stats().evictions() as usize, n - m.len());

    let w = ConcurrentMap::builder().max_weight(50).weigher(|_: &u32, v: &Vec<u8>| v.len() as u64).build();
    for i in 0..100 {
        w.insert(i, vec![0; (i % 7) as usize]);
        assert!(w.weight() <= 50);
    }
    w.insert(1000, vec![0; 51]); // heavier than the whole bound
    assert!(!w.contains_key(&1000));
    assert_eq!(w.stats().removals(RemovalCause::Rejected), 1, "rejections are counted, as LruMap counts them");
    assert!(!w.compute(1001, |_| Some(vec![0; 51])), "compute's rejection too");
    assert_eq!(w.stats().removals(RemovalCause::Rejected), 2);
    w.validate();

    let zero = ConcurrentMap::builder().max_entries(0).build();
    zero.insert(1, 1);
    assert!(zero.is_empty());
    zero.validate();
}

/// Walkers (`retain`, `clear`) and an iterator on one thread while another grows the map
/// (the walker may register just as a resize starts): every value dropped exactly once.
#[test]
fn walkers_and_iterators_race_growth() {
    const N: usize = 48;
    let drops = counters(2 * N);
    {
        let m: Arc<ConcurrentMap<usize, Tracked>> = Arc::new(ConcurrentMap::new());
        let (m2, d2) = (Arc::clone(&m), Arc::clone(&drops));
        let writer = thread::spawn(move || {
            for id in 0..N {
                m2.insert(id, Tracked { id, drops: Arc::clone(&d2) });
            }
            for k in 0..N / 2 {
                m2.remove(&k);
            }
        });
        for round in 0..3 {
            m.retain(|k, _| k % 3 != round);
            let p = m.pin();
            let mut seen = 0;
            for (k, v) in p.iter() {
                assert_eq!(*k, v.id);
                seen += 1;
            }
            assert!(seen <= N);
        }
        m.clear();
        writer.join().unwrap();
        for id in N..2 * N {
            m.insert(id, Tracked { id, drops: Arc::clone(&drops) });
        }
        m.validate();
    }
    for (id, d) in drops.iter().enumerate() {
        assert_eq!(d.load(Relaxed), 1, "value {id} dropped {} times", d.load(Relaxed));
    }
}

/// One thread inserts each key, another removes it as soon as it appears: the remover's
/// count adjustment often lands before the inserter's. The bounded count must never read
/// above the bound (it read `usize::MAX`, and a debug build overflowed on `len + 1`).
#[test]
#[cfg_attr(miri, ignore = "spin-waits on another thread; the loom model covers the interleaving")]
fn bounded_count_survives_a_remove_racing_its_insert() {
    use std::sync::atomic::AtomicU64;
    let rounds = 20_000u64;
    let m = Arc::new(ConcurrentMap::builder().max_entries(1000).hasher(fixed()).build());
    let next = Arc::new(AtomicU64::new(0));
    let (m2, n2) = (Arc::clone(&m), Arc::clone(&next));
    let remover = thread::spawn(move || {
        for k in 0..rounds {
            // Yield rather than spin: the two threads may share one core.
            while n2.load(Relaxed) < k {
                thread::yield_now();
            }
            while !m2.remove(&k) {
                thread::yield_now();
            }
        }
    });
    for k in 0..rounds {
        next.store(k, Relaxed);
        m.insert(k, k);
        assert!(m.weight() <= 1000, "round {k}: weight() = {}", m.weight());
        while m.contains_key(&k) {
            thread::yield_now();
        }
    }
    remover.join().unwrap();
    assert!(m.is_empty());
    m.validate();
}

/// A value removed by a thread that then exits sits in that thread's slot batch; the
/// other threads' maintenance must seal and finalize it (it waited for the map's drop).
#[test]
#[cfg_attr(miri, ignore = "hundreds of thousands of writes")]
fn a_value_retired_by_an_exited_thread_is_finalized_by_later_writes() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&seen);
    let m: Arc<ConcurrentMap<u64, u64>> = Arc::new(
        ConcurrentMap::builder()
            .finalizer(move |k: u64, _v: u64, c: RemovalCause| s.lock().unwrap().push((k, c)))
            .build(),
    );
    for i in 0..10_000 {
        m.insert(i, i);
    }
    let m2 = Arc::clone(&m);
    thread::spawn(move || assert!(m2.remove(&0))).join().unwrap();
    let finalized = || seen.lock().unwrap().contains(&(0, RemovalCause::Explicit));
    let mut writes = 0u64;
    while !finalized() && writes < 200_000 {
        m.insert(1_000_000 + writes % 64, writes);
        m.remove(&(1_000_000 + writes % 64));
        writes += 2;
    }
    assert!(finalized(), "not finalized after {writes} later writes");
    // Every full maintenance step (256 writes of a slot) seals one idle slot's batch, a
    // lease released by its thread's exit first: the next step takes this one, however
    // many slots the pool has; two more steps' flushes let its epoch expire.
    assert!(writes <= 4 * 256, "finalized only after {writes} writes");
}

/// A thread that removes values and then stops writing while it keeps running holds at
/// most one unsealed batch (63 values) of them, however long the others write.
#[test]
#[cfg_attr(miri, ignore = "hundreds of thousands of writes")]
fn a_live_idle_thread_holds_at_most_one_batch_of_retired_values() {
    let seen = Arc::new(Mutex::new(std::collections::HashSet::new()));
    let s = Arc::clone(&seen);
    let m: Arc<ConcurrentMap<u64, u64>> = Arc::new(
        ConcurrentMap::builder()
            .finalizer(move |k: u64, _v: u64, _c: RemovalCause| {
                s.lock().unwrap().insert(k);
            })
            .build(),
    );
    for i in 0..1000 {
        m.insert(i, i);
    }
    let (removed_tx, removed_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let m2 = Arc::clone(&m);
    let idle = thread::spawn(move || {
        for i in 0..1000 {
            assert!(m2.remove(&i));
        }
        removed_tx.send(()).unwrap();
        done_rx.recv().unwrap(); // alive, and not writing, until the others are done
    });
    removed_rx.recv().unwrap();
    for w in 0..100_000u64 {
        m.insert(1_000_000 + w % 64, w);
        m.remove(&(1_000_000 + w % 64));
    }
    let finalized = (0..1000).filter(|k| seen.lock().unwrap().contains(k)).count();
    done_tx.send(()).unwrap();
    idle.join().unwrap();
    assert!(finalized >= 1000 - 63, "only {finalized} of the idle thread's 1000 removed values were finalized");
}

/// A finalizer that calls back into its map with a value the bound rejects: that value
/// must reach the finalizer too (the finalizer is busy, so it is queued for a later
/// drain), and nothing may wait for the finalizer's own lock.
#[test]
#[cfg_attr(miri, ignore = "a thread with a timeout, driving thousands of maintenance steps")]
fn finalizer_reentering_with_a_rejected_value_neither_deadlocks_nor_loses_it() {
    use std::sync::{mpsc, OnceLock};
    type M = ConcurrentMap<u32, Vec<u8>>;
    static MAP: OnceLock<M> = OnceLock::new();
    static SEEN: Mutex<Vec<(u32, RemovalCause)>> = Mutex::new(Vec::new());
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let m: M = ConcurrentMap::builder()
            .max_weight(10)
            .weigher(|_: &u32, v: &Vec<u8>| v.len() as u64)
            .finalizer(|k: u32, _v: Vec<u8>, cause: RemovalCause| {
                SEEN.lock().unwrap().push((k, cause));
                if k == 1 && cause == RemovalCause::Explicit {
                    MAP.get().unwrap().insert(99, vec![0; 100]); // rejected: heavier than 10
                }
            })
            .build();
        let m = MAP.get_or_init(|| m);
        m.insert(1, vec![0; 1]);
        m.remove(&1);
        // Drive maintenance until the removed value is drained, and the queued one after.
        for i in 0..10_000u32 {
            m.insert(1000 + (i % 4), vec![0; 1]);
            m.remove(&(1000 + (i % 4)));
        }
        tx.send(()).unwrap();
    });
    rx.recv_timeout(std::time::Duration::from_secs(60)).expect("deadlocked: the finalizer re-entered the map");
    let seen = SEEN.lock().unwrap();
    let count = |k, c| seen.iter().filter(|&&e| e == (k, c)).count();
    assert_eq!(count(1, RemovalCause::Explicit), 1);
    assert_eq!(count(99, RemovalCause::Rejected), 1, "the value rejected inside the finalizer is finalized once");
}

#[test]
fn iter_sees_every_entry() {
    let n = scale(5000);
    let m: ConcurrentMap<usize, usize> = (0..n).map(|i| (i, 2 * i)).collect();
    let p = m.pin();
    let mut seen: Vec<_> = p.iter().map(|(k, v)| (*k, *v)).collect();
    seen.sort();
    assert_eq!(seen, (0..n).map(|i| (i, 2 * i)).collect::<Vec<_>>());
}
