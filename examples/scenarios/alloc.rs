//! A counting global allocator shared by `examples/leak_report.rs` and `tests/leaks.rs`.
//!
//! It keeps process-wide counters (for multi-threaded workloads) and per-thread
//! counters (exact for single-threaded workloads, unaffected by other test threads).
//! The including binary installs it with `#[global_allocator]`.

#![allow(dead_code, unreachable_pub)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering::Relaxed};

/// `System`, counting live bytes, peaks and allocation calls.
pub struct CountingAlloc;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);
static CALLS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static T_LIVE: Cell<isize> = const { Cell::new(0) };
    static T_PEAK: Cell<isize> = const { Cell::new(0) };
    static T_CALLS: Cell<usize> = const { Cell::new(0) };
}

fn on_alloc(size: usize) {
    let now = LIVE.fetch_add(size as isize, Relaxed) + size as isize;
    PEAK.fetch_max(now, Relaxed);
    CALLS.fetch_add(1, Relaxed);
    let _ = T_LIVE.try_with(|l| {
        let now = l.get() + size as isize;
        l.set(now);
        let _ = T_PEAK.try_with(|p| p.set(p.get().max(now)));
    });
    let _ = T_CALLS.try_with(|c| c.set(c.get() + 1));
}

fn on_dealloc(size: usize) {
    LIVE.fetch_sub(size as isize, Relaxed);
    let _ = T_LIVE.try_with(|l| l.set(l.get() - size as isize));
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so
// `System`'s guarantees are ours; the bookkeeping around it does not allocate
// (const-initialised thread locals, atomics).
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded from our caller, who upholds `GlobalAlloc::alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            on_alloc(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            on_alloc(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` through us with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        on_dealloc(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded from our caller, who upholds `GlobalAlloc::realloc`'s contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            on_dealloc(layout.size());
            on_alloc(new_size);
        }
        p
    }
}

/// Bytes allocated and not yet freed by this thread (may be negative if it frees what
/// another thread allocated).
pub fn thread_live() -> isize {
    T_LIVE.with(Cell::get)
}

/// Allocation calls made by this thread so far.
pub fn thread_calls() -> usize {
    T_CALLS.with(Cell::get)
}

/// Bytes allocated and not yet freed by the whole process.
pub fn global_live() -> isize {
    LIVE.load(Relaxed)
}

/// A measurement window: bytes held and the peak since [`Window::open`].
pub struct Window {
    thread_base: isize,
    global_base: isize,
    calls_base: usize,
}

impl Window {
    /// Start measuring now (resets the peaks).
    pub fn open() -> Self {
        let thread_base = thread_live();
        T_PEAK.with(|p| p.set(thread_base));
        let global_base = global_live();
        PEAK.store(global_base, Relaxed);
        Window { thread_base, global_base, calls_base: thread_calls() }
    }

    /// Bytes this thread allocated in the window and still holds.
    pub fn held(&self) -> usize {
        (thread_live() - self.thread_base).max(0) as usize
    }

    /// The most this thread held at once during the window.
    pub fn peak(&self) -> usize {
        (T_PEAK.with(Cell::get) - self.thread_base).max(0) as usize
    }

    /// Allocation calls this thread made in the window.
    pub fn calls(&self) -> usize {
        thread_calls() - self.calls_base
    }

    /// Bytes the whole process allocated in the window and still holds (for workloads
    /// that allocate on several threads).
    pub fn global_held(&self) -> usize {
        (global_live() - self.global_base).max(0) as usize
    }

    /// The most the whole process held at once during the window.
    pub fn global_peak(&self) -> usize {
        (PEAK.load(Relaxed) - self.global_base).max(0) as usize
    }
}
