use std::cell::Cell;
use std::rc::{Rc, Weak};

use super::*;

struct CountDrop<'a>(&'a Cell<usize>);
impl Drop for CountDrop<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn incremental_sweep_releases_everything_without_inserts() {
    let dropped = Cell::new(0);
    let mut m: WeakKeyMap<Weak<u32>, CountDrop<'_>> = WeakKeyMap::new();
    let keys: Vec<_> = (0..1000u32).map(Rc::new).collect();
    for k in &keys {
        m.insert(k, CountDrop(&dropped));
    }
    drop(keys);
    let buckets = m.raw.table.num_buckets();
    let mut ops = 0;
    while !m.is_empty() {
        assert_eq!(m.remove(&u32::MAX).map(|_| ()), None);
        ops += 1;
        assert!(ops <= 2 * buckets / SWEEP_STEP, "{ops} ops for {buckets} buckets");
    }
    m.validate();
    assert_eq!(dropped.get(), 1000);
    assert!(m.capacity() <= 14, "the table was given back (all but a small table): {}", m.capacity());
}

#[test]
fn growth_sweeps_dead_entries_first() {
    let mut m: WeakKeyMap<Weak<u32>, u32> = WeakKeyMap::new();
    let mut live = Vec::new();
    let n = if cfg!(miri) { 600 } else { 10_000u32 };
    for i in 0..n {
        let k = Rc::new(i);
        m.insert(&k, i);
        if i % 10 == 0 {
            live.push(k);
        }
        if i % (n / 50) == 0 {
            m.validate();
        }
    }
    // Only 1 key in 10 lives: the table never needs room for more than ~2x the live set.
    assert!(m.capacity() < 4 * live.len(), "capacity {} for {} live", m.capacity(), live.len());
    let before = m.len();
    assert_eq!(m.prune(), before - live.len());
    assert_eq!(m.len(), live.len());
}

#[test]
fn panicking_finalizer_loses_nothing() {
    let seen = Rc::new(Cell::new(0));
    let s2 = seen.clone();
    let mut m = WeakKeyMap::with_finalizer(move |_k: Weak<u32>, v: u32, _c| {
        s2.set(s2.get() + 1);
        assert!(v % 3 != 0, "boom");
    });
    // Fewer under Miri, where each panic costs seconds.
    let n = if cfg!(miri) { 12 } else { 30 };
    let keys: Vec<_> = (0..n).map(Rc::new).collect();
    for k in &keys {
        m.insert(k, **k);
    }
    drop(keys);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| m.prune()));
    assert!(r.is_err());
    m.validate();
    while m.prune() != 0 {}
    assert_eq!(seen.get(), n);
    assert!(m.is_empty());
}

#[test]
fn churn_keeps_the_floor_and_validates() {
    let mut m: WeakKeyMap<Weak<u32>, u32> = WeakKeyMap::with_capacity(64);
    let mut keys: Vec<Rc<u32>> = Vec::new();
    for i in 0..if cfg!(miri) { 1_000 } else { 20_000u32 } {
        let k = Rc::new(i);
        m.insert(&k, i);
        keys.push(k);
        if keys.len() > 40 {
            let old = keys.remove(0);
            if i % 2 == 0 {
                assert_eq!(m.remove(&old), Some(*old));
            } // else: the key dies and is swept
        }
        if i % 97 == 0 {
            m.validate();
        }
    }
    m.validate();
    assert!(crate::raw::full_capacity(m.raw.table.num_buckets()) >= 64, "the floor holds");
    assert!(m.raw.table.num_buckets() <= 256, "{} buckets for ~40 live", m.raw.table.num_buckets());
}
