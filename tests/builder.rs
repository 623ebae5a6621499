//! Every `builder()` setting reaches the map it builds.

use std::rc::{Rc, Weak};

use leakless::{FinalizingMap, FixedState, HashMap, NestedMap, RemovalCause, ShrinkPolicy, WeakKeyMap};

#[test]
fn hash_map_builder_sets_floor_policy_and_hasher() {
    let mut m = HashMap::builder().capacity(1000).hasher(FixedState::with_seed(9)).build();
    m.extend((0..5000u32).map(|i| (i, i)));
    m.retain(|_, _| false);
    assert!(m.capacity() >= 1000, "shrinks no lower than the floor");
    assert!(m.capacity() < 5000, "but does shrink");
    m.validate();

    let mut kept = HashMap::builder().shrink_policy(ShrinkPolicy::never()).build();
    kept.extend((0..5000u32).map(|i| (i, i)));
    let held = kept.allocation_size();
    kept.retain(|_, _| false);
    assert_eq!(kept.allocation_size(), held, "never gives the table back");

    let mut a = HashMap::builder().hasher(FixedState::with_seed(9)).build();
    a.extend((0..100u32).map(|i| (i, i)));
    let mut b = HashMap::with_hasher(FixedState::with_seed(9));
    b.extend((0..100u32).map(|i| (i, i)));
    assert!(a.keys().eq(b.keys()));
}

#[test]
fn finalizing_map_builder_sets_everything() {
    let mut log = Vec::new();
    {
        let mut m = FinalizingMap::builder()
            .capacity(100)
            .shrink_policy(ShrinkPolicy::never())
            .hasher(FixedState::with_seed(1))
            .finalizer(|k: u32, _v: u32, cause| log.push((k, cause)))
            .build();
        m.extend((0..1000).map(|i| (i, i)));
        let cap = m.capacity();
        m.clear();
        assert_eq!(m.capacity(), cap, "never shrinks");
        m.insert(1, 1);
        m.validate();
    }
    assert_eq!(log.len(), 1001);
    assert_eq!(log.last(), Some(&(1, RemovalCause::Dropped)));
}

#[test]
fn weak_key_map_builder_sets_everything() {
    let mut collected = 0;
    {
        let mut m = WeakKeyMap::<Weak<u32>, u32>::builder()
            .capacity(200)
            .hasher(FixedState::with_seed(2))
            .shrink_policy(ShrinkPolicy::default())
            .finalizer(|_k: Weak<u32>, _v: u32, cause| {
                assert_eq!(cause, RemovalCause::Collected);
                collected += 1;
            })
            .build();
        assert!(m.capacity() >= 200);
        let keys: Vec<Rc<u32>> = (0..2000).map(Rc::new).collect();
        for k in &keys {
            m.insert(k, **k);
        }
        drop(keys);
        assert_eq!(m.prune(), 2000);
        assert!(m.capacity() >= 200, "pruning shrinks no lower than the floor");
        assert!(m.capacity() < 2000);
        m.validate();
    }
    assert_eq!(collected, 2000);
}

#[test]
fn nested_map_builder_sets_outer_table() {
    let mut m: NestedMap<u32, Vec<u32>, FixedState> =
        NestedMap::builder().capacity(100).hasher(FixedState::with_seed(3)).build();
    for k in 0..1000 {
        m.inner_mut(k).push(k);
    }
    for k in 0..1000 {
        m.remove_inner(&k);
    }
    assert!(m.outer().capacity() >= 100 && m.outer().capacity() < 1000);
    m.validate();

    let never: NestedMap<u32, Vec<u32>> = NestedMap::builder().shrink_policy(ShrinkPolicy::never()).build();
    assert!(never.outer().shrink_policy().is_never());
}
