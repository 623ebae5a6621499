//! Leak tests: every map's memory measured by a counting global allocator (this binary's
//! own), asserting bytes held after removals, churn and drops.
//!
//! One module per map under `tests/leaks/`. Each test takes [`exclusive`] so that the
//! process-wide counters (needed by multi-threaded tests) see one workload at a time;
//! single-threaded tests measure with this thread's counters ([`alloc::Window`]).

#[path = "../examples/scenarios/alloc.rs"]
mod alloc;

#[path = "leaks/concurrent.rs"]
mod concurrent;
#[path = "leaks/finalizing.rs"]
mod finalizing;
#[path = "leaks/hash_map.rs"]
mod hash_map;
#[path = "leaks/lru.rs"]
mod lru;
#[path = "leaks/nested.rs"]
mod nested;
#[path = "leaks/weak.rs"]
mod weak;

#[global_allocator]
static ALLOC: alloc::CountingAlloc = alloc::CountingAlloc;

/// Serializes the leak tests of this binary.
fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Allocation calls made by 1000 calls of `pair` (an insert/remove pair of one key on a
/// map emptied beforehand): toggling between 0 and 1 entries must not reallocate on
/// every pair.
fn toggle_calls(mut pair: impl FnMut()) -> usize {
    let w = alloc::Window::open();
    for _ in 0..1000 {
        pair();
    }
    w.calls()
}

/// Under Miri (or for a quick run) the workloads shrink by this factor.
#[allow(dead_code)]
fn scale(n: usize) -> usize {
    if cfg!(miri) {
        (n / 1000).max(16)
    } else {
        n
    }
}
