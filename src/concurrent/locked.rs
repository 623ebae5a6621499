//! Marks the user code a thread runs while it holds a bucket lock (`compute`'s `f`, the
//! weigher under it, `retain`'s `keep`), so that reads made from it skip the reader's
//! maintenance: that may lock buckets (helping a migration, the one this thread holds
//! among them: a deadlock) and run finalizers, which must never run under a bucket lock.

use core::cell::Cell;

crate::loom::thread_locals! {
    /// How many user callbacks under a bucket lock this thread is inside.
    static DEPTH: Cell<usize> = Cell::new(0);
}

/// Runs `f`, user code called while this thread holds a bucket lock, marked as such
/// (also if it unwinds).
#[inline]
pub(super) fn under_lock<R>(f: impl FnOnce() -> R) -> R {
    struct Unmark;
    impl Drop for Unmark {
        fn drop(&mut self) {
            let _ = DEPTH.try_with(|d| d.set(d.get() - 1));
        }
    }
    // A thread whose thread-locals are gone (exiting) runs `f` unmarked: it can no
    // longer pin through a slot, so its reads never maintain.
    if DEPTH.try_with(|d| d.set(d.get() + 1)).is_err() {
        return f();
    }
    let _unmark = Unmark;
    f()
}

/// `false` while this thread runs user code under a bucket lock (see [`under_lock`]).
#[inline]
pub(super) fn may_maintain() -> bool {
    DEPTH.try_with(|d| d.get() == 0).unwrap_or(false)
}
