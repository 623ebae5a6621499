//! Two to four threads on one map: disjoint and shared keys, a reader against a writer
//! that churns, and the stress test (per-key sums, every value dropped exactly once;
//! `LEAKLESS_STRESS=1` for the full size).

use super::*;

#[test]
fn two_threads_disjoint_and_shared_keys() {
    let n = scale(4000);
    let m = Arc::new(ConcurrentMap::with_hasher(fixed()));
    let barrier = Arc::new(Barrier::new(2));
    let hs: Vec<_> = (0..2)
        .map(|t| {
            let (m, b) = (Arc::clone(&m), Arc::clone(&barrier));
            thread::spawn(move || {
                b.wait();
                for i in 0..n {
                    m.insert(t * n + i, i);
                    m.compute(usize::MAX, |v| Some(v.map_or(1, |v| v + 1)));
                    if i % 3 == 0 {
                        m.remove(&(t * n + i));
                    }
                    let _ = m.get_cloned(&((1 - t) * n + i));
                }
            })
        })
        .collect();
    hs.into_iter().for_each(|h| h.join().unwrap());
    m.validate();
    assert_eq!(m.get_cloned(&usize::MAX), Some(2 * n));
    assert_eq!(m.len(), 1 + 2 * (n - n.div_ceil(3)));
}

#[test]
fn two_threads_reader_and_writer_churn() {
    let n = scale(4000);
    let drops = counters(n);
    let m = Arc::new(ConcurrentMap::new());
    let writer = {
        let (m, drops) = (Arc::clone(&m), Arc::clone(&drops));
        thread::spawn(move || {
            for i in 0..n {
                m.insert(i % 64, Tracked { id: i, drops: Arc::clone(&drops) });
                if i % 5 == 0 {
                    m.remove(&(i % 64));
                }
            }
        })
    };
    let reader = {
        let m = Arc::clone(&m);
        thread::spawn(move || {
            let mut found = 0;
            for i in 0..n {
                let p = m.pin();
                if let Some(v) = p.get(&(i % 64)) {
                    assert!(v.id < n);
                    found += 1;
                }
            }
            found
        })
    };
    writer.join().unwrap();
    let _ = reader.join().unwrap();
    m.validate();
    drop(Arc::try_unwrap(m).ok().unwrap());
    for (i, d) in drops.iter().enumerate() {
        assert_eq!(d.load(Relaxed), 1, "value {i} dropped once");
    }
}

#[test]
fn stress_sums_and_drops() {
    let full = std::env::var("LEAKLESS_STRESS").is_ok_and(|v| v == "1");
    let threads = if cfg!(miri) { 2 } else { 4 };
    let ops = if full { 400_000 } else { scale(20_000) };
    let keys = 256u64;
    let drops = counters(threads * ops + 1);
    let m = Arc::new(ConcurrentMap::builder().hasher(fixed()).build());
    // Every key holds a counter; each thread adds its own increments via compute.
    let added = Arc::new((0..keys).map(|_| AtomicUsize::new(0)).collect::<Vec<_>>());
    let hs: Vec<_> = (0..threads)
        .map(|t| {
            let (m, drops, added) = (Arc::clone(&m), Arc::clone(&drops), Arc::clone(&added));
            thread::spawn(move || {
                let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ t as u64;
                for i in 0..ops {
                    let k = xorshift(&mut x) % keys;
                    let id = t * ops + i;
                    match x % 7 {
                        0 => {
                            m.remove(&(k + 1000));
                            drop(Tracked { id, drops: Arc::clone(&drops) });
                        }
                        1 | 2 => {
                            m.insert(k + 1000, (0u64, Tracked { id, drops: Arc::clone(&drops) }));
                        }
                        3 | 4 => {
                            let d = Arc::clone(&drops);
                            m.compute(k, move |v| Some((v.map_or(0, |(s, _)| *s) + 1, Tracked { id, drops: d })));
                            added[k as usize].fetch_add(1, Relaxed);
                        }
                        _ => {
                            drop(Tracked { id, drops: Arc::clone(&drops) });
                            let p = m.pin();
                            if let Some((s, v)) = p.get(&k) {
                                assert!(*s >= 1 && v.id < threads * ops);
                            }
                        }
                    }
                }
            })
        })
        .collect();
    hs.into_iter().for_each(|h| h.join().unwrap());
    m.validate();
    for k in 0..keys {
        let want = added[k as usize].load(Relaxed) as u64;
        assert_eq!(m.get_with(&k, |(s, _)| *s).unwrap_or(0), want, "sum of key {k}");
    }
    drop(Arc::try_unwrap(m).ok().unwrap());
    for (i, d) in drops.iter().enumerate().take(threads * ops) {
        assert_eq!(d.load(Relaxed), 1, "value {i} dropped exactly once");
    }
}
