//! The concurrency primitives of the concurrent core: `loom`'s model-checked types under
//! `cfg(leakless_loom)`, `std`'s otherwise.
//!
//! Code in `src/concurrent/` takes every atomic and every `UnsafeCell` from here, so the
//! same source is both the shipped map and the map `tests/loom.rs` explores exhaustively.
//! The `std` [`UnsafeCell`] offers loom's closure API (`with`, `with_mut`), which is how
//! loom tracks accesses to cells.
//!
//! `cfg(leakless_loom)` is crate-prefixed because plain `cfg(loom)` is already used by
//! other crates in a dependency graph (as `moka` explains for its `moka_loom`). A loom run
//! of this crate also needs `--cfg crossbeam_loom`, so that `crossbeam-epoch` (built with
//! its `loom` feature under the same cfg, see `Cargo.toml`) uses loom's types too.
#![allow(dead_code)]

#[cfg(leakless_loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize};

#[cfg(not(leakless_loom))]
pub(crate) use core::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize};

pub(crate) use core::sync::atomic::Ordering;

#[cfg(leakless_loom)]
pub(crate) use loom::cell::UnsafeCell;

/// `core::cell::UnsafeCell` with loom's closure API.
#[cfg(not(leakless_loom))]
#[derive(Debug, Default)]
#[repr(transparent)]
pub(crate) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

#[cfg(not(leakless_loom))]
impl<T> UnsafeCell<T> {
    #[inline(always)]
    pub(crate) const fn new(value: T) -> Self {
        Self(core::cell::UnsafeCell::new(value))
    }

    /// Calls `f` with a shared raw pointer to the contents.
    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Calls `f` with a mutable raw pointer to the contents.
    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// One step of waiting for a lock held by another thread: a CPU spin hint for the first
/// steps, then a yield to the scheduler (under loom, always a yield, so the model checker
/// can schedule the holder).
#[inline]
pub(crate) fn spin_wait(step: &mut u32) {
    #[cfg(leakless_loom)]
    {
        let _ = step;
        loom::thread::yield_now();
    }
    #[cfg(not(leakless_loom))]
    {
        if *step < 6 {
            for _ in 0..(1u32 << *step) {
                core::hint::spin_loop();
            }
            *step += 1;
        } else {
            std::thread::yield_now();
        }
    }
}

/// A small number identifying the calling thread, used to spread threads over the
/// per-map handle slots (under loom every thread starts its search at slot 0).
#[inline]
pub(crate) fn thread_index() -> usize {
    #[cfg(leakless_loom)]
    {
        0
    }
    #[cfg(not(leakless_loom))]
    {
        use std::cell::Cell;
        static NEXT: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);
        thread_local! {
            static INDEX: Cell<usize> = const { Cell::new(usize::MAX) };
        }
        INDEX
            .try_with(|i| {
                if i.get() == usize::MAX {
                    i.set(NEXT.fetch_add(1, Ordering::Relaxed));
                }
                i.get()
            })
            .unwrap_or(0)
    }
}

/// Asks the CPU to start fetching the cache line at `p` into its caches. A hint only: it
/// reads nothing the program can observe and never faults, whatever the address, so `p`
/// may dangle. Used where a loop is about to chase pointers it already knows (migration).
/// Does nothing under loom and Miri, and off x86_64.
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(all(target_arch = "x86_64", not(miri), not(leakless_loom)))]
    // SAFETY: `prefetcht0` is a hint; it accesses no memory in the language's sense and
    // cannot fault on any address (SSE, which every x86_64 CPU has).
    unsafe {
        core::arch::x86_64::_mm_prefetch(p.cast::<i8>(), core::arch::x86_64::_MM_HINT_T0)
    };
    #[cfg(not(all(target_arch = "x86_64", not(miri), not(leakless_loom))))]
    let _ = p;
}

/// Declares thread-locals: `std`'s with `const` initializers, or, under
/// `cfg(leakless_loom)`, loom's (one per modelled thread; its macro takes no `const`).
macro_rules! thread_locals {
    ($($(#[$attr:meta])* static $name:ident: $t:ty = $init:expr;)+) => {
        #[cfg(not(leakless_loom))]
        std::thread_local! { $($(#[$attr])* static $name: $t = const { $init };)+ }
        #[cfg(leakless_loom)]
        loom::thread_local! { $($(#[$attr])* static $name: $t = $init;)+ }
    };
}
pub(crate) use thread_locals;
