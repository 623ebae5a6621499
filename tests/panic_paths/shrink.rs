//! Removals followed by a shrink that runs the user's `Hash`: a panic there must not
//! lose the removed value, the leaf count, or a later shrink.

use super::*;

/// `NestedMap::remove_inner` takes the inner map out of the outer table, which then
/// shrinks; a panicking `Hash` there must not skip the leaf-count update.
#[test]
fn nested_remove_inner_with_hash_panic_in_shrink_keeps_the_leaf_count() {
    use leakless::NestedMap;
    reset();
    let mut m: NestedMap<Key, HashMap<u32, Val>, _> = NestedMap::with_hasher(hasher());
    for k in 0..1000 {
        m.insert(Key(k), 0, Val::new());
    }
    let mut hit = None;
    for k in 0..1000u32 {
        HASH_ONLY.with(|h| h.set(Some(k)));
        let p = panics(|| assert!(m.remove_inner(&Key(k)).is_some()));
        HASH_ONLY.with(|h| h.set(None));
        if p {
            hit = Some(k);
            break;
        }
    }
    let k = hit.expect("some remove_inner shrank the outer table");
    assert!(m.get_inner(&Key(k)).is_none(), "the inner map of {k} was removed");
    m.validate();
}

/// LruMap: replacing a key with a value heavier than the whole limit removes the old
/// entry, then shrinks; a `Hash` panic there is re-raised only after the rejected value
/// reached the finalizer.
#[test]
fn lru_rejected_replacement_with_hash_panic_in_shrink() {
    reset();
    let seen: Rc<RefCell<Vec<(usize, RemovalCause)>>> = Default::default();
    let s2 = seen.clone();
    let mut m = LruMap::builder()
        .max_weight(10_000)
        .hasher(hasher())
        .weigher(|_k: &Key, v: &(u64, Val)| v.0)
        .finalizer(move |_k: Key, v: (u64, Val), c| s2.borrow_mut().push((v.1 .0, c)))
        .build();
    for k in 0..2000 {
        m.insert(Key(k), (1, Val::new()));
    }
    // In reverse insertion order, so the entry replaced is in the arena's last slot and
    // its removal moves (and hashes) no other entry.
    let mut hit = None;
    for k in (0..2000u32).rev() {
        let heavy = Val::new();
        let id = heavy.0;
        HASH_ONLY.with(|h| h.set(Some(k)));
        let p = panics(|| drop(m.insert(Key(k), (20_000, heavy))));
        HASH_ONLY.with(|h| h.set(None));
        if p && !m.contains_key(&Key(k)) {
            hit = Some((k, id));
            break;
        }
        assert!(p || !m.contains_key(&Key(k)));
    }
    let (k, id) = hit.expect("a rejected replacement shrank the index");
    m.validate();
    assert!(
        seen.borrow().contains(&(id, RemovalCause::Rejected)),
        "key {k}: the old entry is gone, yet its rejected replacement (value {id}) was never finalized"
    );
}

/// An insert into a full map whose victim's `Hash` panics changes nothing: not the
/// entries, and not the eviction count either.
#[test]
fn lru_insert_with_a_panicking_victim_hash_counts_no_eviction() {
    reset();
    let mut m = LruMap::builder().max_entries(2).hasher(hasher()).build();
    m.insert(Key(0), Val::new());
    m.insert(Key(1), Val::new());
    bad_hash(0); // the least recently used entry: the victim
    let p = panics(|| drop(m.insert(Key(2), Val::new())));
    disarm_all();
    assert!(p);
    assert_eq!(m.stats().evictions(), 0);
    assert_eq!(m.len(), 2);
    assert!(m.contains_key(&Key(0)) && m.contains_key(&Key(1)));
    m.validate();
    drop(m);
    assert_each_dropped_once();
}

/// Shrinks retried after `Hash` panics back off (each retry waits for the table to empty
/// further), but must still come at the latest when the table is empty: a back-off to
/// "below 0 entries" kept an emptied map at its peak for good.
#[test]
fn a_table_emptied_while_hash_panicked_shrinks_again() {
    reset();
    let mut m: HashMap<Key, u64, _> = HashMap::with_hasher(hasher());
    for k in 0..1000 {
        m.insert(Key(k), u64::from(k));
    }
    let peak = m.capacity();
    bad_hash(0); // every shrink rehashes key 0, which panics
    let mut panicked = 0;
    for k in 1..1000 {
        if panics(|| {
            m.remove(&Key(k));
        }) {
            panicked += 1;
        }
    }
    disarm_all();
    assert!(panicked > 0, "no shrink was attempted");
    assert_eq!(m.remove(&Key(0)), Some(0));
    for k in 0..10_000 {
        m.insert(Key(k), 0);
        m.remove(&Key(k));
    }
    assert!(m.is_empty());
    m.validate();
    assert!(
        m.capacity() < peak / 4,
        "an empty map holds capacity {} (peak {peak}) after {panicked} shrink panics",
        m.capacity()
    );
}

/// `push` hands the evicted entry back; if a victim's `Hash` panicked (the eviction
/// completes, the panic is re-raised after), the victim cannot be handed back: it must
/// reach the finalizer, not vanish.
#[test]
fn push_finalizes_a_victim_it_cannot_hand_back() {
    reset();
    let (seen, finalizer) = recording_finalizer();
    let mut m = LruMap::builder()
        .max_weight(2)
        .weigher(|k: &Key, _: &Val| if k.0 >= 100 { 2 } else { 1 })
        .finalizer(finalizer)
        .hasher(hasher())
        .build();
    m.push(Key(1), Val::new()); // value 0
    m.push(Key(2), Val::new()); // value 1
    bad_hash(1); // the first victim
    let p = panics(|| drop(m.push(Key(100), Val::new()))); // weighs 2: both must go
    disarm_all();
    assert!(p);
    assert!(!m.contains_key(&Key(1)) && !m.contains_key(&Key(2)));
    m.validate();
    assert!(seen.borrow().contains(&(0, RemovalCause::Evicted)), "the first victim was lost: {:?}", seen.borrow());
    drop(m);
    assert_each_dropped_once();
}

/// `push` needing two victims: the first is set aside for the caller, then the second's
/// `Hash` panics. The push fails, so the first cannot be handed back: it must reach the
/// finalizer (it was dropped unseen).
#[test]
fn push_finalizes_its_first_victim_when_a_later_victims_hash_panics() {
    reset();
    let (seen, finalizer) = recording_finalizer();
    let mut m = LruMap::builder()
        .max_weight(4)
        .weigher(|k: &Key, _: &Val| if k.0 >= 100 { 2 } else { 1 })
        .finalizer(finalizer)
        .hasher(hasher())
        .build();
    for k in 1..=4 {
        m.push(Key(k), Val::new()); // values 0..=3
    }
    bad_hash(2); // the second victim
    let p = panics(|| drop(m.push(Key(100), Val::new()))); // weighs 2: two must go
    disarm_all();
    assert!(p);
    m.validate();
    if !m.contains_key(&Key(1)) {
        assert!(seen.borrow().contains(&(0, RemovalCause::Evicted)), "the first victim was lost: {:?}", seen.borrow());
    }
    drop(m);
    assert_each_dropped_once();
}

/// A replacement by a heavier value evicts to fit; if that victim's `Hash` panics, the
/// key's old value (handed back on success) must reach the finalizer as `Replaced`.
#[test]
fn a_replaced_value_that_cannot_be_handed_back_is_finalized() {
    for push in [true, false] {
        reset();
        let (seen, finalizer) = recording_finalizer();
        let mut m = LruMap::builder()
            .max_weight(2)
            .weigher(|_: &Key, v: &Val| if v.0 >= 2 { 2 } else { 1 })
            .finalizer(finalizer)
            .hasher(hasher())
            .build();
        m.push(Key(1), Val::new()); // value 0
        m.push(Key(2), Val::new()); // value 1
        bad_hash(1); // the victim of the eviction the heavier value needs
        let p = panics(|| {
            let heavy = Val::new(); // value 2, weight 2
            if push {
                drop(m.push(Key(2), heavy));
            } else {
                drop(m.insert(Key(2), heavy));
            }
        });
        disarm_all();
        assert!(p);
        m.validate();
        assert!(seen.borrow().contains(&(1, RemovalCause::Replaced)), "push: {push}: {:?}", seen.borrow());
        drop(m);
        assert_each_dropped_once();
    }
}
