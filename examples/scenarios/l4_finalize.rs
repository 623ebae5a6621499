//! L4: cleanup skipped on overwrite. Each value is a handle to a background task that
//! holds a 256-byte buffer until the handle's `abort` is called; dropping a handle
//! detaches the task (as with a join handle). `n` keys are each overwritten 4 times,
//! half of the keys are removed (the caller aborts what `remove` hands back), then the
//! map is dropped. Bytes held are measured after the map is gone, with the task runtime
//! still alive: whatever is held then belongs to tasks nobody can reach.

use std::cell::RefCell;
use std::collections::HashMap as StdMap;
use std::rc::Rc;

use leakless::FinalizingMap;

use super::alloc::Window;
use super::{Row, Rule, Sampler, Scenario};

const ROUNDS: usize = 4;

/// The tasks still running, each holding its buffer (the runtime, not the map under test).
#[derive(Default)]
struct Tasks {
    running: leakless::HashMap<u64, Box<[u8; 256]>>,
    next: u64,
    aborted: u64,
}

/// A handle to a running task; dropping it does not stop the task.
struct Handle(u64);

impl Tasks {
    fn spawn(&mut self) -> Handle {
        self.next += 1;
        self.running.insert(self.next, Box::new([0; 256]));
        Handle(self.next)
    }

    fn abort(&mut self, h: Handle) {
        self.running.remove(&h.0);
        self.aborted += 1;
    }
}

/// Run the scenario with `n` keys.
pub fn run(n: usize) -> Scenario {
    let steps = n * ROUNDS + n / 2;
    let total = (n * ROUNDS) as u64;

    let ordinary = {
        let w = Window::open();
        let mut s = Sampler::new(steps);
        let mut tasks = Tasks::default();
        let mut map: StdMap<u64, Handle> = StdMap::new();
        for i in 0..n * ROUNDS {
            let h = tasks.spawn();
            map.insert((i % n) as u64, h); // the old handle is dropped: its task runs on
            s.tick(i, &w);
        }
        for k in 0..n / 2 {
            if let Some(h) = map.remove(&(k as u64)) {
                tasks.abort(h);
            }
            s.tick(n * ROUNDS + k, &w);
        }
        let live = map.len();
        drop(map);
        let row = Row {
            map: "std::collections::HashMap",
            peak: w.peak(),
            held: w.held(),
            live,
            cleaned: Some((tasks.aborted, total)),
            samples: s.finish(&w),
        };
        drop(tasks);
        row
    };

    let leakless = {
        let w = Window::open();
        let mut s = Sampler::new(steps);
        let tasks = Rc::new(RefCell::new(Tasks::default()));
        let t = tasks.clone();
        let mut map = FinalizingMap::new(move |_k: u64, h: Handle, _cause| t.borrow_mut().abort(h));
        for i in 0..n * ROUNDS {
            let h = tasks.borrow_mut().spawn();
            map.insert((i % n) as u64, h); // the old handle is finalized: its task is aborted
            s.tick(i, &w);
        }
        for k in 0..n / 2 {
            if let Some(h) = map.remove(&(k as u64)) {
                tasks.borrow_mut().abort(h);
            }
            s.tick(n * ROUNDS + k, &w);
        }
        let live = map.len();
        drop(map); // finalizes the live entries with RemovalCause::Dropped
        let aborted = tasks.borrow().aborted;
        Row {
            map: "leakless::FinalizingMap",
            peak: w.peak(),
            held: w.held(),
            live,
            cleaned: Some((aborted, total)),
            samples: s.finish(&w),
        }
    };

    Scenario {
        rule: Rule::OwnPeak,
        id: "L4",
        leak: "cleanup skipped on overwrite",
        workload: format!("{n} task handles, each key overwritten {ROUNDS}x, half removed, map dropped"),
        ordinary: vec![ordinary],
        leakless,
    }
}
