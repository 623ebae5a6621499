use core::fmt;

/// How much a bounded map may hold: a maximum number of entries, a maximum total
/// weight (as measured by the map's [`Weigher`](crate::Weigher)), both, or neither.
///
/// A limit of zero is valid: such a map admits nothing (every insert is rejected or
/// evicted at once), which is occasionally useful to switch a cache off.
///
/// # Examples
///
/// ```
/// use leakless::Capacity;
///
/// let c = Capacity::entries(10_000);
/// assert_eq!(c.max_entries(), Some(10_000));
/// assert_eq!(c.max_weight(), None);
///
/// let both = Capacity::weight(64 << 20).with_max_entries(100_000);
/// assert_eq!(both.max_weight(), Some(64 << 20));
/// assert_eq!(both.max_entries(), Some(100_000));
/// assert!(both.is_exceeded_by(100_001, 0));
/// assert!(!Capacity::unbounded().is_exceeded_by(usize::MAX, u64::MAX));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Capacity {
    max_entries: Option<usize>,
    max_weight: Option<u64>,
}

impl Capacity {
    /// No bound at all.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = leakless::Capacity::unbounded();
    /// assert!(c.is_unbounded());
    /// assert_eq!(c, leakless::Capacity::default());
    /// ```
    pub const fn unbounded() -> Self {
        Self { max_entries: None, max_weight: None }
    }

    /// At most `n` entries.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = leakless::Capacity::entries(100);
    /// assert_eq!((c.max_entries(), c.max_weight()), (Some(100), None));
    /// ```
    pub const fn entries(n: usize) -> Self {
        Self { max_entries: Some(n), max_weight: None }
    }

    /// At most `w` total weight.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = leakless::Capacity::weight(1 << 20);
    /// assert_eq!((c.max_entries(), c.max_weight()), (None, Some(1 << 20)));
    /// ```
    pub const fn weight(w: u64) -> Self {
        Self { max_entries: None, max_weight: Some(w) }
    }

    /// The same bound, also limited to `n` entries.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::Capacity;
    /// assert_eq!(Capacity::weight(64).with_max_entries(8).max_entries(), Some(8));
    /// assert_eq!(Capacity::entries(1).with_max_entries(8), Capacity::entries(8));
    /// ```
    pub const fn with_max_entries(self, n: usize) -> Self {
        Self { max_entries: Some(n), ..self }
    }

    /// The same bound, also limited to total weight `w`.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::Capacity;
    /// let c = Capacity::entries(8).with_max_weight(64);
    /// assert_eq!((c.max_entries(), c.max_weight()), (Some(8), Some(64)));
    /// ```
    pub const fn with_max_weight(self, w: u64) -> Self {
        Self { max_weight: Some(w), ..self }
    }

    /// The bound with these limits (`None`: no such limit), for maps rebuilt from data.
    #[cfg(any(feature = "serde", feature = "arbitrary"))]
    pub(crate) const fn from_limits(max_entries: Option<usize>, max_weight: Option<u64>) -> Self {
        Self { max_entries, max_weight }
    }

    /// The entry limit, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(leakless::Capacity::entries(3).max_entries(), Some(3));
    /// assert_eq!(leakless::Capacity::weight(3).max_entries(), None);
    /// ```
    pub const fn max_entries(&self) -> Option<usize> {
        self.max_entries
    }

    /// The weight limit, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(leakless::Capacity::weight(3).max_weight(), Some(3));
    /// assert_eq!(leakless::Capacity::entries(3).max_weight(), None);
    /// ```
    pub const fn max_weight(&self) -> Option<u64> {
        self.max_weight
    }

    /// `true` if neither limit is set.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::Capacity;
    /// assert!(Capacity::unbounded().is_unbounded());
    /// assert!(!Capacity::entries(0).is_unbounded());
    /// ```
    pub const fn is_unbounded(&self) -> bool {
        self.max_entries.is_none() && self.max_weight.is_none()
    }

    /// `true` if `len` entries of total weight `weight` are more than this bound allows.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = leakless::Capacity::entries(2).with_max_weight(10);
    /// assert!(!c.is_exceeded_by(2, 10));
    /// assert!(c.is_exceeded_by(3, 0));
    /// assert!(c.is_exceeded_by(1, 11));
    /// ```
    #[inline]
    pub const fn is_exceeded_by(&self, len: usize, weight: u64) -> bool {
        let over_entries = match self.max_entries {
            Some(m) => len > m,
            None => false,
        };
        let over_weight = match self.max_weight {
            Some(m) => weight > m,
            None => false,
        };
        over_entries || over_weight
    }

    /// `true` if a single entry of weight `weight` could never fit, even in an empty map.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = leakless::Capacity::weight(10);
    /// assert!(!c.rejects_single(10));
    /// assert!(c.rejects_single(11));
    /// assert!(leakless::Capacity::entries(0).rejects_single(1));
    /// ```
    #[inline]
    pub const fn rejects_single(&self, weight: u64) -> bool {
        self.is_exceeded_by(1, weight)
    }
}

impl fmt::Debug for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.max_entries, self.max_weight) {
            (None, None) => f.write_str("Capacity::unbounded()"),
            (Some(n), None) => write!(f, "Capacity::entries({n})"),
            (None, Some(w)) => write!(f, "Capacity::weight({w})"),
            (Some(n), Some(w)) => write!(f, "Capacity::entries({n}).with_max_weight({w})"),
        }
    }
}
