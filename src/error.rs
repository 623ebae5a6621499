use core::fmt;

/// The error of `try_reserve` and the other fallible allocation methods.
///
/// # Examples
///
/// ```
/// use leakless::{HashMap, TryReserveError};
///
/// let mut m: HashMap<u64, u64> = HashMap::new();
/// assert_eq!(m.try_reserve(usize::MAX), Err(TryReserveError::CapacityOverflow));
/// assert!(m.try_reserve(10).is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TryReserveError {
    /// The requested capacity exceeds what the table can address.
    CapacityOverflow,
    /// The allocator refused the request.
    AllocError {
        /// The layout of the refused allocation.
        layout: core::alloc::Layout,
    },
}

impl TryReserveError {
    pub(crate) fn from_hashbrown(e: hashbrown::TryReserveError) -> Self {
        match e {
            hashbrown::TryReserveError::CapacityOverflow => Self::CapacityOverflow,
            hashbrown::TryReserveError::AllocError { layout } => Self::AllocError { layout },
        }
    }
}

impl fmt::Display for TryReserveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CapacityOverflow => {
                f.write_str("capacity overflow: the requested capacity exceeds what a table can hold")
            }
            Self::AllocError { layout } => {
                write!(f, "memory allocation of {} bytes failed", layout.size())
            }
        }
    }
}

impl std::error::Error for TryReserveError {}
