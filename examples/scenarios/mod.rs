//! The leak scenarios of `examples/leak_report.rs`, one module per leak of the design's
//! table, each running the same workload on the ordinary choice and on `leakless`.
//!
//! Shared with `tests/report.rs`, which runs them at a small scale and asserts the
//! verdicts. The including binary must install [`alloc::CountingAlloc`] as its global
//! allocator.
#![allow(dead_code, unreachable_pub)]

pub mod alloc;
pub mod l1_capacity;
pub mod l2_nested;
pub mod l3_bounded;
pub mod l4_finalize;
pub mod l5_weak;
pub mod l6_concurrent;

use alloc::Window;

/// One map's result in a scenario.
pub struct Row {
    /// What ran the workload, e.g. `std::collections::HashMap`.
    pub map: &'static str,
    /// The most heap it held at once.
    pub peak: usize,
    /// Heap still held at the end of the workload.
    pub held: usize,
    /// Entries still in the map at the end.
    pub live: usize,
    /// Values whose cleanup step ran, of the values that left the map.
    pub cleaned: Option<(u64, u64)>,
    /// Heap held at evenly spaced points of the workload, for the chart.
    pub samples: Vec<usize>,
}

impl Row {
    /// Bytes held at the end as a fraction of the peak.
    pub fn held_ratio(&self) -> f64 {
        if self.peak == 0 {
            0.0
        } else {
            self.held as f64 / self.peak as f64
        }
    }

    /// `true` if this row shows no leak: it holds at most 1% of its peak and every
    /// departing value was cleaned up.
    pub fn released(&self) -> bool {
        self.held_ratio() <= 0.01 && self.cleaned.is_none_or(|(done, of)| done == of)
    }
}

/// How a scenario judges its `leakless` row.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Rule {
    /// The workload ends with the map emptied (or dropped): it must hold ≤ 1% of its own
    /// peak.
    OwnPeak,
    /// A bounded cache measured while still alive: it holds about its bound at every
    /// moment, so it must hold ≤ 1% of what the ordinary (unbounded) map holds.
    Bounded,
}

/// One leak, the ordinary maps and the `leakless` map.
pub struct Scenario {
    /// How the `leakless` row is judged.
    pub rule: Rule,
    /// The design's leak number, e.g. `L1`.
    pub id: &'static str,
    /// The leak, in a few words.
    pub leak: &'static str,
    /// The workload, in a few words.
    pub workload: String,
    /// The ordinary choices.
    pub ordinary: Vec<Row>,
    /// The `leakless` type.
    pub leakless: Row,
}

impl Scenario {
    /// `true` if the `leakless` row shows no leak under the scenario's [`Rule`].
    pub fn leakless_ok(&self) -> bool {
        let l = &self.leakless;
        match self.rule {
            Rule::OwnPeak => l.released(),
            Rule::Bounded => {
                let least = self.ordinary.iter().map(|r| r.held).min().unwrap_or(0);
                l.held.saturating_mul(100) <= least && l.cleaned.is_none_or(|(done, of)| done == of)
            }
        }
    }
}

/// A scenario's entry point: runs it at the given scale.
pub type RunFn = fn(usize) -> Scenario;

/// Every scenario in the design's order: its id, its function, and the scale the
/// report runs it at (tests run them smaller).
pub const ALL: &[(&str, RunFn, usize)] = &[
    ("L1", l1_capacity::run, 1_000_000),
    ("L2", l2_nested::run, 1_000_000),
    ("L3", l3_bounded::run, 2_000_000),
    ("L4", l4_finalize::run, 100_000),
    ("L5", l5_weak::run, 100_000),
    ("L6", l6_concurrent::run, 1_000_000),
];

/// The L1/L6 workload: insert `n` u64 pairs, remove every one, then `further` insert/remove
/// pairs (so maps that reclaim lazily get the chance to); the row for `map`.
pub fn insert_remove_all<M>(
    name: &'static str,
    n: usize,
    mut map: M,
    insert: impl Fn(&mut M, u64),
    remove: impl Fn(&mut M, u64),
    len: impl Fn(&M) -> usize,
    further: u64,
) -> Row {
    let w = Window::open();
    let mut s = Sampler::new(2 * n);
    for i in 0..n {
        insert(&mut map, i as u64);
        s.tick(i, &w);
    }
    for i in 0..n {
        remove(&mut map, i as u64);
        s.tick(n + i, &w);
    }
    for i in 0..further {
        insert(&mut map, u64::MAX - i);
        remove(&mut map, u64::MAX - i);
    }
    let row = Row { map: name, peak: w.peak(), held: w.held(), live: len(&map), cleaned: None, samples: s.finish(&w) };
    drop(map);
    row
}

/// Records heap held at evenly spaced points of a workload of `total` steps.
pub struct Sampler {
    every: usize,
    /// The samples so far.
    pub samples: Vec<usize>,
}

/// Points per series in the chart.
pub const SAMPLES: usize = 40;

impl Sampler {
    /// A sampler for a workload of `total` steps.
    pub fn new(total: usize) -> Self {
        Sampler { every: (total / SAMPLES).max(1), samples: Vec::with_capacity(SAMPLES + 2) }
    }

    /// Call at each step `i`; records a sample every `total / SAMPLES` steps.
    #[inline]
    pub fn tick(&mut self, i: usize, w: &Window) {
        if i % self.every == 0 && self.samples.len() < self.samples.capacity() {
            self.samples.push(w.held());
        }
    }

    /// Records a last sample.
    pub fn finish(mut self, w: &Window) -> Vec<usize> {
        if self.samples.len() < self.samples.capacity() {
            self.samples.push(w.held());
        }
        self.samples
    }
}
