//! The finalizer a map shares with its clones (see `ConcurrentMap`'s `Clone`).
//!
//! One lock serializes the finalizer's calls for every map that shares it. Three places
//! take it: a drain of reclaimed values and `Inner::finalize_now` try it
//! and leave their values for later when it is busy; a dropping map has no later, so it
//! waits for it — unless this very thread holds it, further up its stack (a finalizer
//! that drops a map sharing it). Waiting would then deadlock, so the dropping map leaves
//! its values as **orphans**, and the holder finalizes them before it lets go: still
//! exactly once, outside every bucket lock. Only the holder's own thread can leave
//! orphans (another thread waits), so no orphan is left after the holder's last look.

use core::cell::Cell;
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};

use crate::policy::{Finalizer, PanicSlot, RemovalCause};

crate::loom::thread_locals! {
    /// Its address identifies the calling thread (under loom, the modelled thread).
    static MARK: Cell<u8> = Cell::new(0);
}

/// A nonzero number identifying the calling thread while it runs, or 0 once its
/// thread-locals are gone.
fn this_thread() -> usize {
    MARK.try_with(|m| core::ptr::from_ref(m).addr()).unwrap_or(0)
}

type BoxedFn<K, V> = Box<dyn Finalizer<K, V> + Send>;

/// A finalizer shared by a map and its clones.
pub(crate) struct SharedFinalizer<K, V> {
    f: Mutex<BoxedFn<K, V>>,
    /// The thread holding `f` ([`this_thread`]), or 0. Written only by the holder, so a
    /// thread that reads its own number here holds `f`.
    holder: core::sync::atomic::AtomicUsize,
    /// Values of maps dropped while this thread held `f`, for the holder to finalize.
    orphans: Mutex<Vec<(K, V, RemovalCause)>>,
}

/// The held lock of a [`SharedFinalizer`]; [`release`](Held::release) finalizes the
/// orphans before letting go.
pub(crate) struct Held<'a, K, V> {
    shared: &'a SharedFinalizer<K, V>,
    f: MutexGuard<'a, BoxedFn<K, V>>,
}

impl<K, V> SharedFinalizer<K, V> {
    pub(crate) fn new(f: BoxedFn<K, V>) -> Self {
        Self { f: Mutex::new(f), holder: core::sync::atomic::AtomicUsize::new(0), orphans: Mutex::new(Vec::new()) }
    }

    /// The lock if it is free (a finalizer that panicked does not poison it).
    pub(crate) fn try_hold(&self) -> Option<Held<'_, K, V>> {
        match self.f.try_lock() {
            Ok(f) => Some(self.held(f)),
            Err(TryLockError::Poisoned(p)) => Some(self.held(p.into_inner())),
            Err(TryLockError::WouldBlock) => None,
        }
    }

    /// The lock, waiting for another thread to let go of it; `None` if this thread
    /// holds it already (then [`orphan`](Self::orphan) the values instead).
    pub(crate) fn hold(&self) -> Option<Held<'_, K, V>> {
        let me = this_thread();
        if me != 0 && self.holder.load(core::sync::atomic::Ordering::Relaxed) == me {
            return None;
        }
        Some(self.held(self.f.lock().unwrap_or_else(PoisonError::into_inner)))
    }

    fn held<'a>(&'a self, f: MutexGuard<'a, BoxedFn<K, V>>) -> Held<'a, K, V> {
        self.holder.store(this_thread(), core::sync::atomic::Ordering::Relaxed);
        Held { shared: self, f }
    }

    /// Leaves `values` to this thread's holder of the lock (see [`hold`](Self::hold)),
    /// which finalizes them before it lets go.
    pub(crate) fn orphan(&self, values: impl IntoIterator<Item = (K, V, RemovalCause)>) {
        self.orphans.lock().unwrap_or_else(PoisonError::into_inner).extend(values);
    }
}

impl<K, V> Held<'_, K, V> {
    /// Finalizes one value, catching a panic into `panics`.
    #[inline]
    pub(crate) fn finalize(&mut self, key: K, value: V, cause: RemovalCause, panics: &mut PanicSlot) {
        panics.run(|| self.f.finalize(key, value, cause));
    }

    /// Finalizes the orphans, also those its own calls leave.
    fn adopt(&mut self, panics: &mut PanicSlot) {
        loop {
            let orphans = core::mem::take(&mut *self.shared.orphans.lock().unwrap_or_else(PoisonError::into_inner));
            if orphans.is_empty() {
                return;
            }
            for (key, value, cause) in orphans {
                self.finalize(key, value, cause, panics);
            }
        }
    }

    /// Lets go, after finalizing the orphans; their first panic goes to `panics`. Every
    /// holder ends so.
    pub(crate) fn release(mut self, panics: &mut PanicSlot) {
        self.adopt(panics);
    }
}

impl<K, V> Drop for Held<'_, K, V> {
    fn drop(&mut self) {
        // A holder unwinding past its `release` (no caller does: every call goes through
        // a `PanicSlot`) still finalizes the orphans, their panics discarded.
        if std::thread::panicking() {
            self.adopt(&mut PanicSlot::default());
        }
        self.shared.holder.store(0, core::sync::atomic::Ordering::Relaxed);
    }
}
