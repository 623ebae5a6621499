//! L5: entries keyed by dead objects. `n` sessions are open at once, each with a
//! per-session value (256 bytes of state) in the map. Then they all end (their last
//! `Arc` is dropped: a mass disconnect) and nobody removes their entries; 100 new
//! sessions open (one per thousand) and the service handles `n` requests for them, each updating its
//! session's entry (`get_mut`). Bytes held are measured at the end, with the new
//! sessions still open: all but a few KB belong to sessions that are gone.

use std::cell::Cell;
use std::collections::HashMap as StdMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Weak};

use leakless::WeakKeyMap;
use weak_table::WeakKeyHashMap;

use super::alloc::Window;
use super::{Row, Rule, Sampler, Scenario};

/// Sessions opened after the first ones end: one per thousand of the first ones.
fn reopened(n: usize) -> usize {
    (n / 1000).max(1)
}

/// A session: an id and some state of its own.
pub struct Session {
    id: u64,
    _state: [u8; 64],
}

impl PartialEq for Session {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for Session {}
impl Hash for Session {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.id.hash(h)
    }
}

thread_local! {
    static CLEANED: Cell<u64> = const { Cell::new(0) };
}

/// The per-session value; dropping it is its cleanup.
pub struct State {
    _buf: Box<[u8; 256]>,
    hits: u64,
}

impl Drop for State {
    fn drop(&mut self) {
        CLEANED.with(|c| c.set(c.get() + 1));
    }
}

fn state() -> State {
    State { _buf: Box::new([0; 256]), hits: 0 }
}

fn session(id: u64) -> Arc<Session> {
    Arc::new(Session { id, _state: [0; 64] })
}

fn workload<M>(
    name: &'static str,
    n: usize,
    mut map: M,
    insert: impl Fn(&mut M, &Arc<Session>),
    touch: impl Fn(&mut M, &Session),
    len: impl Fn(&M) -> usize,
) -> Row {
    let w = Window::open();
    let cleaned_before = CLEANED.with(Cell::get);
    let mut s = Sampler::new(2 * n);
    let mut open: Vec<Arc<Session>> = Vec::with_capacity(n);
    for i in 0..n {
        let sess = session(i as u64);
        insert(&mut map, &sess);
        open.push(sess);
        s.tick(i, &w);
    }
    drop(open); // every session of the first phase ends
    let fresh: Vec<Arc<Session>> = (0..reopened(n)).map(|i| session((n + i) as u64)).collect();
    for sess in &fresh {
        insert(&mut map, sess);
    }
    for i in 0..n {
        touch(&mut map, &fresh[i % fresh.len()]);
        s.tick(n + i, &w);
    }
    let cleaned = CLEANED.with(Cell::get) - cleaned_before;
    let row = Row {
        map: name,
        peak: w.peak(),
        held: w.held(),
        live: len(&map),
        cleaned: Some((cleaned, n as u64)),
        samples: s.finish(&w),
    };
    drop(map);
    drop(fresh);
    row
}

/// Run the scenario with `n` sessions.
pub fn run(n: usize) -> Scenario {
    let std_row = workload(
        "std::collections::HashMap<Arc<Session>, _>",
        n,
        StdMap::<Arc<Session>, State>::new(),
        |m, k| {
            m.insert(k.clone(), state());
        },
        |m, k| {
            if let Some(v) = m.get_mut(k) {
                v.hits += 1;
            }
        },
        StdMap::len,
    );
    let weak_table_row = workload(
        "weak_table::WeakKeyHashMap",
        n,
        WeakKeyHashMap::<Weak<Session>, State>::new(),
        |m, k| {
            m.insert(k.clone(), state());
        },
        |m, k| {
            if let Some(v) = m.get_mut(k) {
                v.hits += 1;
            }
        },
        WeakKeyHashMap::len,
    );
    let leakless = workload(
        "leakless::WeakKeyMap",
        n,
        WeakKeyMap::<Weak<Session>, State>::new(),
        |m, k| {
            m.insert(k, state());
        },
        |m, k| {
            if let Some(v) = m.get_mut(k) {
                v.hits += 1;
            }
        },
        WeakKeyMap::len,
    );
    Scenario {
        rule: Rule::OwnPeak,
        id: "L5",
        leak: "entries keyed by dead objects",
        workload: format!(
            "{n} sessions open, then all end (entries not removed); {} new sessions, {n} get_mut requests",
            reopened(n)
        ),
        ordinary: vec![std_row, weak_table_row],
        leakless,
    }
}
