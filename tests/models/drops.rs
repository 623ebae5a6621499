//! A value that counts its drops, shared by `tests/panic_paths.rs` and
//! `tests/panic_safety.rs`, which include this file with `#[path]`. Each [`Val`] takes the
//! next id of a per-thread registry (each test runs on its own thread); its `Drop` counts
//! there and then, unless the thread is already panicking, calls the includer's own
//! `on_drop(id)`, where that file injects its `Drop` faults.

use std::cell::RefCell;

thread_local! {
    /// drops[id]: how many times value `id` was dropped.
    static DROPS: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

/// A value with an id, counted when dropped.
#[derive(Debug)]
pub(crate) struct Val(pub(crate) usize);

impl Val {
    /// A value with the next id.
    pub(crate) fn new() -> Val {
        DROPS.with(|d| {
            let mut d = d.borrow_mut();
            d.push(0);
            Val(d.len() - 1)
        })
    }
}

impl Drop for Val {
    fn drop(&mut self) {
        DROPS.with(|d| d.borrow_mut()[self.0] += 1);
        if !std::thread::panicking() {
            super::on_drop(self.0);
        }
    }
}

/// Forget every value counted so far: ids start again from 0.
pub(crate) fn reset() {
    DROPS.with(|d| d.borrow_mut().clear());
}

/// How many values were created since the last [`reset`].
#[allow(dead_code)] // each includer uses a part
pub(crate) fn created() -> usize {
    DROPS.with(|d| d.borrow().len())
}

/// Every value created since the last [`reset`] was dropped exactly once; otherwise
/// panics with `context` and the offenders.
pub(crate) fn assert_each_dropped_once(context: &str) {
    let bad: Vec<(usize, u32)> =
        DROPS.with(|d| d.borrow().iter().copied().enumerate().filter(|&(_, c)| c != 1).collect());
    assert!(bad.is_empty(), "{context}values (id, times dropped) not dropped exactly once: {bad:?}");
}
