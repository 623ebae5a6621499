//! What the interleaved A/B examples (`examples/concurrent_ab.rs`, `examples/lru_ab.rs`,
//! `examples/nested_ab.rs`, `examples/cache_bounds.rs`) share: timing one run, and the
//! median of each contender's runs.

use std::time::Instant;

/// The wall time of `f`, in milliseconds.
pub(crate) fn millis(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64() * 1e3
}

/// The median of each contender's times (sorts each list).
pub(crate) fn medians(times: &mut [Vec<f64>]) -> Vec<f64> {
    times
        .iter_mut()
        .map(|t| {
            t.sort_by(f64::total_cmp);
            t[t.len() / 2]
        })
        .collect()
}
