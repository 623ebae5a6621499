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
    /// The error of a `Vec<T>` that could not reserve room for `capacity` elements: an
    /// overflow if the size cannot be represented, else the allocator's refusal.
    pub(crate) fn for_vec<T>(capacity: usize) -> Self {
        match core::alloc::Layout::array::<T>(capacity) {
            Ok(layout) if layout.size() <= isize::MAX as usize => Self::AllocError { layout },
            _ => Self::CapacityOverflow,
        }
    }

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

/// The value of an infallible allocation: a refused one aborts (as `std`'s do), an
/// overflow panics.
pub(crate) fn or_abort<T>(result: Result<T, TryReserveError>) -> T {
    match result {
        Ok(value) => value,
        Err(TryReserveError::AllocError { layout }) => std::alloc::handle_alloc_error(layout),
        Err(e) => panic!("leakless: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::TryReserveError;

    #[test]
    fn a_refused_vec_reports_overflow_or_the_layout_it_asked_for() {
        assert_eq!(TryReserveError::for_vec::<u64>(usize::MAX), TryReserveError::CapacityOverflow);
        assert_eq!(TryReserveError::for_vec::<u64>(usize::MAX / 8), TryReserveError::CapacityOverflow);
        let layout = core::alloc::Layout::array::<u64>(4).unwrap();
        assert_eq!(TryReserveError::for_vec::<u64>(4), TryReserveError::AllocError { layout });
    }
}
