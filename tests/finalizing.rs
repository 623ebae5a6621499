//! `FinalizingMap`: the exit contract, case by case.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use leakless::{FinalizingMap, RemovalCause};

type Log = Rc<RefCell<Vec<(u32, String, RemovalCause)>>>;

fn logged() -> (Log, impl FnMut(u32, String, RemovalCause)) {
    let log: Log = Rc::default();
    let l = log.clone();
    (log, move |k, v, c| l.borrow_mut().push((k, v, c)))
}

#[test]
fn every_cause() {
    let (log, f) = logged();
    let mut m = FinalizingMap::new(f);
    m.insert(1, "a".into());
    m.insert(1, "b".into()); // Replaced
    m.insert(2, "c".into());
    m.discard(&2); // Explicit
    m.insert(3, "d".into());
    m.insert(4, "e".into());
    m.retain(|k, _| *k != 3); // Explicit
    assert_eq!(m.remove(&4), Some("e".into())); // handed back
    assert_eq!(m.replace(1, "f".into()), Some("b".into())); // handed back
    m.insert(5, "g".into());
    m.clear(); // Cleared: f, g
    m.insert(6, "h".into());
    drop(m); // Dropped
    let mut got = log.borrow().clone();
    got[3..5].sort(); // clear finalizes in table order
    let want: Vec<(u32, String, RemovalCause)> = vec![
        (1, "a".into(), RemovalCause::Replaced),
        (2, "c".into(), RemovalCause::Explicit),
        (3, "d".into(), RemovalCause::Explicit),
        (1, "f".into(), RemovalCause::Cleared),
        (5, "g".into(), RemovalCause::Cleared),
        (6, "h".into(), RemovalCause::Dropped),
    ];
    assert_eq!(got, want);
}

#[test]
fn handed_back_values_are_never_finalized() {
    let (log, f) = logged();
    let mut m = FinalizingMap::new(f);
    for i in 0..100 {
        m.insert(i, i.to_string());
    }
    assert_eq!(m.drain().count(), 100);
    for i in 0..100 {
        m.insert(i, i.to_string());
    }
    assert_eq!(m.remove_entry(&7), Some((7, "7".into())));
    let rest: Vec<_> = m.into_iter().collect();
    assert_eq!(rest.len(), 99);
    assert!(log.borrow().is_empty());
}

#[test]
fn the_replaced_entry_keeps_its_own_key() {
    // Keys that are equal but distinguishable: the finalizer sees the old one.
    #[derive(Debug, Clone)]
    struct K(u32, &'static str);
    impl PartialEq for K {
        fn eq(&self, o: &K) -> bool {
            self.0 == o.0
        }
    }
    impl Eq for K {}
    impl std::hash::Hash for K {
        fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
            self.0.hash(h)
        }
    }
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    let mut m = FinalizingMap::new(move |k: K, v: u8, _c| s.borrow_mut().push((k.1, v)));
    m.insert(K(1, "old"), 1);
    m.insert(K(1, "new"), 2);
    assert_eq!(m.get_key_value(&K(1, "")).map(|(k, _)| k.1), Some("new"));
    drop(m);
    assert_eq!(*seen.borrow(), [("old", 1), ("new", 2)]);
}

/// `n` entries, or 10 under Miri, where each panic a finalizer raises costs seconds.
fn miri_scaled(n: u32) -> u32 {
    if cfg!(miri) {
        10
    } else {
        n
    }
}

#[test]
fn a_panicking_finalizer_does_not_stop_clear() {
    let count = Rc::new(RefCell::new(0));
    let c = count.clone();
    let mut m = FinalizingMap::new(move |k: u32, _v: u32, _c| {
        *c.borrow_mut() += 1;
        if k % 3 == 0 {
            panic!("finalizer panic on {k}");
        }
    });
    let n = miri_scaled(30);
    for i in 0..n {
        m.insert(i, i);
    }
    let r = catch_unwind(AssertUnwindSafe(|| m.clear()));
    assert!(r.is_err(), "the first panic is re-raised");
    assert_eq!(*count.borrow(), n, "every value was still finalized");
    assert!(m.is_empty());
    m.validate();
    m.insert(1, 1);
    assert_eq!(m.len(), 1, "the map stays usable");
    drop(r);
}

#[test]
fn a_panicking_finalizer_during_drop_finalizes_the_rest() {
    let count = Rc::new(RefCell::new(0));
    let c = count.clone();
    let mut m = FinalizingMap::new(move |k: u32, _v: u32, _c| {
        *c.borrow_mut() += 1;
        if k == 5 {
            panic!("finalizer panic on drop");
        }
    });
    let n = miri_scaled(20);
    for i in 0..n {
        m.insert(i, i);
    }
    let r = catch_unwind(AssertUnwindSafe(move || drop(m)));
    assert!(r.is_err());
    assert_eq!(*count.borrow(), n);
}

#[test]
fn a_panicking_finalizer_on_overwrite_leaves_the_new_value_stored() {
    let mut m = FinalizingMap::new(|_k: u32, _v: u32, c: RemovalCause| {
        if c == RemovalCause::Replaced {
            panic!("replaced")
        }
    });
    m.insert(1, 1);
    assert!(catch_unwind(AssertUnwindSafe(|| m.insert(1, 2))).is_err());
    assert_eq!(m.get(&1), Some(&2));
    m.validate();
}

#[test]
fn retain_with_a_panicking_finalizer_finalizes_every_rejected_value() {
    let count = Rc::new(RefCell::new(0));
    let c = count.clone();
    let mut m = FinalizingMap::new(move |_k: u32, _v: u32, _c| {
        *c.borrow_mut() += 1;
        panic!("always");
    });
    // Every value panics on its way out, and unwinding is slow under Miri: four there.
    let n = if cfg!(miri) { 4 } else { 50 };
    for i in 0..n {
        m.insert(i, i);
    }
    assert!(catch_unwind(AssertUnwindSafe(|| m.retain(|k, _| k % 2 == 0))).is_err());
    assert_eq!(*count.borrow(), n / 2);
    assert_eq!(m.len() as u32, n / 2);
    m.validate();
    // Its drop panics again (the finalizer always does), after finalizing everything.
    assert!(catch_unwind(AssertUnwindSafe(move || drop(m))).is_err());
    assert_eq!(*count.borrow(), n);
}

#[test]
fn stats_and_collect() {
    let mut m: FinalizingMap<u32, u32> = (0..10).map(|i| (i, i)).collect();
    m.extend([(1, 100)]);
    m.discard(&2);
    let s = m.stats();
    assert_eq!(s.insertions, 10);
    assert_eq!(s.removals(RemovalCause::Replaced), 1);
    assert_eq!(format!("{:?}", FinalizingMap::<u8, u8>::default()), "{}");
}

/// An overwrite counts as `Replaced` in every map, whether the old value is handed back
/// or finalized: `FinalizingMap::replace` counted it as `Explicit`.
#[test]
fn replace_counts_the_overwritten_value_as_replaced() {
    let mut h: leakless::HashMap<u8, u8> = leakless::HashMap::new();
    h.insert(1, 1);
    assert_eq!(h.insert(1, 2), Some(1));
    let mut f = FinalizingMap::new(|_k: u8, _v: u8, _c| {});
    f.insert(1, 1);
    assert_eq!(f.replace(1, 2), Some(1));
    assert!(f.insert(1, 3), "an overwrite by insert, finalized");
    let (hs, fs) = (h.stats(), f.stats());
    assert_eq!((hs.removals(RemovalCause::Replaced), hs.removals(RemovalCause::Explicit)), (1, 0));
    assert_eq!((fs.removals(RemovalCause::Replaced), fs.removals(RemovalCause::Explicit)), (2, 0), "{fs:?}");
}

/// Equality compares contents, not finalizers (of different types here) or hash seeds,
/// and finalizes nothing.
#[test]
fn equality_compares_contents() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = Rc::clone(&log);
    let mut a = FinalizingMap::with_hasher(
        move |k: u32, v: String, c: RemovalCause| l.borrow_mut().push((k, v, c)),
        leakless::FixedState::with_seed(1),
    );
    let mut b =
        FinalizingMap::with_hasher(move |_: u32, _: String, _: RemovalCause| {}, leakless::FixedState::with_seed(1));
    for i in 0..100 {
        a.insert(i, i.to_string());
        b.insert(99 - i, (99 - i).to_string());
    }
    assert!(a == b);
    let mut c =
        FinalizingMap::with_hasher(move |_: u32, _: String, _: RemovalCause| {}, leakless::FixedState::with_seed(2));
    c.extend((0..100).map(|i| (i, i.to_string())));
    assert!(c == a, "another seed");
    assert!(a == c, "another seed, the other way");
    a.insert(5, "x".into());
    assert!(a != b);
    a.remove(&5);
    assert!(a != b, "a missing key");
    assert_eq!(log.borrow().len(), 1, "only the replaced value was finalized (remove hands its value back)");
}
