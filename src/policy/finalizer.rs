//! The exit contract: every value leaves a map exactly once.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

/// Why a value left a map without being handed back to the caller.
///
/// Passed to a map's [`Finalizer`] together with the departing key and value.
///
/// # Examples
///
/// ```
/// use leakless::{FinalizingMap, RemovalCause};
///
/// let mut log = Vec::new();
/// {
///     let mut m = FinalizingMap::new(|k: u32, v: &'static str, cause| log.push((k, v, cause)));
///     m.insert(1, "a");
///     m.insert(1, "b"); // overwrite: "a" is finalized as Replaced
///     m.discard(&1); // explicit removal: "b" is finalized as Explicit
/// }
/// assert_eq!(log, [(1, "a", RemovalCause::Replaced), (1, "b", RemovalCause::Explicit)]);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RemovalCause {
    /// Removed on request: `discard`, or rejected by `retain`.
    Explicit,
    /// Overwritten by an insert for the same key.
    Replaced,
    /// Chosen as a victim to keep a bounded map within its [`Capacity`](crate::Capacity).
    Evicted,
    /// Its weak key died ([`WeakKeyMap`](crate::WeakKeyMap) only).
    Collected,
    /// Removed by `clear`.
    Cleared,
    /// Still in the map when the map was dropped.
    Dropped,
    /// Refused at insertion because it alone is heavier than the map's whole limit.
    Rejected,
}

impl RemovalCause {
    /// All causes, in declaration order.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::RemovalCause;
    /// assert_eq!(RemovalCause::ALL.len(), 7);
    /// assert_eq!(RemovalCause::ALL[0], RemovalCause::Explicit);
    /// ```
    pub const ALL: [RemovalCause; 7] = [
        RemovalCause::Explicit,
        RemovalCause::Replaced,
        RemovalCause::Evicted,
        RemovalCause::Collected,
        RemovalCause::Cleared,
        RemovalCause::Dropped,
        RemovalCause::Rejected,
    ];

    /// `true` for causes that a bounded map decided on its own (`Evicted`, `Collected`,
    /// `Rejected`), as opposed to causes the caller asked for.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::RemovalCause;
    /// assert!(RemovalCause::Evicted.was_automatic());
    /// assert!(!RemovalCause::Replaced.was_automatic());
    /// ```
    pub const fn was_automatic(self) -> bool {
        matches!(self, RemovalCause::Evicted | RemovalCause::Collected | RemovalCause::Rejected)
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

/// The cleanup step for values that leave a map without being handed back.
///
/// Implemented for every `FnMut(K, V, RemovalCause)`. [`NoopFinalizer`] (the default of
/// every map that takes a finalizer) drops the value and costs nothing.
///
/// # The contract
///
/// A map calls its finalizer exactly once for every value that leaves it by a path that
/// does not return the value to the caller. If the finalizer panics, the map is already
/// consistent; when a map finalizes many values at once (`clear`, drop), the remaining
/// values are still finalized and the first panic is re-raised afterwards.
///
/// # Examples
///
/// ```
/// use leakless::{Finalizer, RemovalCause};
///
/// let mut closed = 0;
/// let mut f = |_k: u32, _v: Vec<u8>, _cause: RemovalCause| closed += 1;
/// f.finalize(1, vec![1, 2, 3], RemovalCause::Evicted);
/// assert_eq!(closed, 1);
/// ```
pub trait Finalizer<K, V> {
    /// Release `value`, which left the map under `key` for `cause`.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{Finalizer, RemovalCause};
    /// let mut returned = Vec::new();
    /// let mut pool = |_k: u32, buf: Vec<u8>, _c: RemovalCause| returned.push(buf);
    /// pool.finalize(1, vec![0; 16], RemovalCause::Evicted);
    /// assert_eq!(returned.len(), 1);
    /// ```
    fn finalize(&mut self, key: K, value: V, cause: RemovalCause);

    /// `true` if [`finalize`](Finalizer::finalize) does nothing but drop its arguments,
    /// which lets a map skip the per-value calls entirely.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::{Finalizer, NoopFinalizer, RemovalCause};
    /// let closure = |_k: u8, _v: u8, _c: RemovalCause| {};
    /// assert!(!Finalizer::<u8, u8>::is_noop(&closure), "a closure is called, even an empty one");
    /// assert!(Finalizer::<u8, u8>::is_noop(&NoopFinalizer));
    /// ```
    #[inline]
    fn is_noop(&self) -> bool {
        false
    }
}

impl<K, V, F: FnMut(K, V, RemovalCause)> Finalizer<K, V> for F {
    #[inline]
    fn finalize(&mut self, key: K, value: V, cause: RemovalCause) {
        self(key, value, cause)
    }
}

/// A finalizer that only drops the key and value.
///
/// # Examples
///
/// ```
/// use leakless::{Finalizer, NoopFinalizer, RemovalCause};
/// let mut f = NoopFinalizer;
/// f.finalize(1, "v", RemovalCause::Dropped);
/// assert!(Finalizer::<i32, &str>::is_noop(&f));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NoopFinalizer;

impl<K, V> Finalizer<K, V> for NoopFinalizer {
    #[inline(always)]
    fn finalize(&mut self, _: K, _: V, _: RemovalCause) {}

    #[inline(always)]
    fn is_noop(&self) -> bool {
        true
    }
}

/// Remembers the first panic of a batch of user callbacks so the batch can finish.
#[derive(Default)]
pub(crate) struct PanicSlot {
    payload: Option<Box<dyn Any + Send + 'static>>,
}

impl PanicSlot {
    /// Run `f`, catching a panic; the first caught panic is kept for [`PanicSlot::resume`].
    #[inline]
    pub(crate) fn run(&mut self, f: impl FnOnce()) {
        if let Err(p) = panic::catch_unwind(AssertUnwindSafe(f)) {
            self.payload.get_or_insert(p);
        }
    }

    /// Keep `payload`, a panic caught elsewhere, unless one is kept already.
    #[inline]
    pub(crate) fn keep(&mut self, payload: Box<dyn Any + Send + 'static>) {
        self.payload.get_or_insert(payload);
    }

    /// `true` if a panic was caught and waits to be re-raised.
    #[inline]
    pub(crate) fn is_set(&self) -> bool {
        self.payload.is_some()
    }

    /// Re-raise the kept panic, if any. When the thread is already unwinding (the batch
    /// ran inside a `Drop` during a panic), the payload is discarded instead of aborting.
    #[inline]
    pub(crate) fn resume(self) {
        if let Some(p) = self.payload {
            Self::resume_cold(p);
        }
    }

    #[cold]
    #[inline(never)]
    fn resume_cold(p: Box<dyn Any + Send + 'static>) {
        if !std::thread::panicking() {
            panic::resume_unwind(p);
        }
    }
}

/// Finalize every entry of `entries` with `cause`. A panicking finalizer (or a panicking
/// `Drop` inside it) does not stop the others; the first panic is re-raised at the end.
pub(crate) fn finalize_each<K, V, F, I>(finalizer: &mut F, entries: I, cause: RemovalCause)
where
    F: Finalizer<K, V>,
    I: IntoIterator<Item = (K, V)>,
{
    let mut slot = PanicSlot::default();
    for (k, v) in entries {
        slot.run(|| finalizer.finalize(k, v, cause));
    }
    slot.resume();
}
