/// When a table gives memory back.
///
/// The default policy shrinks a table when fewer than a quarter of its slots are in use,
/// to about twice the live entries (never below the floor set by `with_capacity`). The
/// decision is only taken after removals, and a shrink leaves the table at most half
/// full while growth happens only when it is full, so the live size must halve before
/// the next shrink and double before the next growth: resizing costs amortized O(1)
/// per operation and an insert/remove pair toggling at any boundary never reallocates
/// more than once.
///
/// Small tables (at most 4 KiB of buckets) follow the [`lazier`](Self::lazier) form
/// of the policy: with the default, they shrink below a sixteenth full instead of a
/// quarter. Halving a small table frees little memory for a reallocation and a rehash,
/// and a map of maps would pay that for every inner map as it empties; memory stays
/// proportional to the live entries either way.
///
/// A table emptied by removals is freed, except a small one (at most 16 buckets and
/// 4 KiB), which stays so that an insert/remove pair toggling between 0 and 1 entries
/// does not allocate and free on every pair; `clear` and `shrink_to_fit` give that back
/// too. (A [`NestedMap`](crate::NestedMap) drops an emptied inner map altogether.)
///
/// # Examples
///
/// ```
/// use leakless::ShrinkPolicy;
///
/// let p = ShrinkPolicy::default();
/// // 10 live entries in room for 1000: shrink, to room for about 20.
/// assert_eq!(p.shrink_target(10, 1000, 0), Some(20));
/// // 400 live entries in room for 1000: keep the table.
/// assert_eq!(p.shrink_target(400, 1000, 0), None);
/// // Never below the floor.
/// assert_eq!(p.shrink_target(10, 1000, 500), Some(500));
/// assert_eq!(ShrinkPolicy::never().shrink_target(0, 1000, 0), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ShrinkPolicy {
    /// Shrink when `len * divisor < capacity`; 0 disables shrinking.
    divisor: u8,
}

impl ShrinkPolicy {
    /// Shrink when occupancy falls below a quarter, to about twice the live size.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::ShrinkPolicy;
    /// assert_eq!(ShrinkPolicy::new(), ShrinkPolicy::default());
    /// assert_eq!(ShrinkPolicy::new().shrink_target(100, 1000, 0), Some(200));
    /// ```
    pub const fn new() -> Self {
        Self { divisor: 4 }
    }

    /// Never shrink automatically (the behaviour of `std::collections::HashMap`);
    /// explicit `shrink_to_fit` still works.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::ShrinkPolicy;
    /// assert!(ShrinkPolicy::never().is_never());
    /// assert_eq!(ShrinkPolicy::never().shrink_target(0, 1 << 20, 0), None);
    /// ```
    pub const fn never() -> Self {
        Self { divisor: 0 }
    }

    /// Shrink when occupancy falls below `1 / divisor` (at least 4, so that a shrink,
    /// which leaves the table about half full, can never trigger the next one).
    ///
    /// # Panics
    ///
    /// Panics if `divisor < 4`.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::ShrinkPolicy;
    /// let lazy = ShrinkPolicy::below_one_in(16);
    /// assert_eq!(lazy.shrink_target(100, 1000, 0), None);
    /// assert_eq!(lazy.shrink_target(50, 1000, 0), Some(100));
    /// ```
    pub const fn below_one_in(divisor: u8) -> Self {
        assert!(divisor >= 4, "ShrinkPolicy::below_one_in: divisor must be at least 4");
        Self { divisor }
    }

    /// The policy the core applies to small tables (at most 4 KiB of buckets): shrink
    /// only below a quarter of this policy's occupancy threshold (`never` stays
    /// `never`).
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::ShrinkPolicy;
    /// let p = ShrinkPolicy::default();
    /// assert_eq!(p.shrink_target(100, 1000, 0), Some(200));
    /// assert_eq!(p.lazier().shrink_target(100, 1000, 0), None);
    /// assert_eq!(p.lazier().shrink_target(60, 1000, 0), Some(120));
    /// assert!(ShrinkPolicy::never().lazier().is_never());
    /// ```
    pub const fn lazier(self) -> Self {
        let d = self.divisor as u16 * 4;
        Self { divisor: if d > u8::MAX as u16 { u8::MAX } else { d as u8 } }
    }

    /// `true` if this policy never shrinks.
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::ShrinkPolicy;
    /// assert!(ShrinkPolicy::never().is_never());
    /// assert!(!ShrinkPolicy::default().is_never());
    /// ```
    pub const fn is_never(&self) -> bool {
        self.divisor == 0
    }

    /// The capacity to shrink to, if a table of `capacity` holding `len` entries with a
    /// floor of `floor` should shrink now.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = leakless::ShrinkPolicy::default();
    /// assert_eq!(p.shrink_target(100, 1000, 0), Some(200));
    /// assert_eq!(p.shrink_target(100, 1000, 300), Some(300), "not below the floor");
    /// assert_eq!(p.shrink_target(300, 1000, 0), None, "still over a quarter full");
    /// ```
    #[inline]
    pub const fn shrink_target(&self, len: usize, capacity: usize, floor: usize) -> Option<usize> {
        if self.divisor == 0 || capacity <= floor {
            return None;
        }
        if len.saturating_mul(self.divisor as usize) >= capacity {
            return None;
        }
        let target = len.saturating_mul(2);
        Some(if target > floor { target } else { floor })
    }

    /// The length below which [`shrink_target`](Self::shrink_target) may answer `Some`
    /// for a table of `capacity` with a floor of `floor` (0 if it never does).
    ///
    /// # Examples
    ///
    /// ```
    /// use leakless::ShrinkPolicy;
    /// let p = ShrinkPolicy::default();
    /// assert_eq!(p.shrink_threshold(1000, 0), 250);
    /// assert!(p.shrink_target(249, 1000, 0).is_some());
    /// assert!(p.shrink_target(250, 1000, 0).is_none());
    /// assert_eq!(p.shrink_threshold(1000, 1000), 0);
    /// ```
    #[inline]
    pub const fn shrink_threshold(&self, capacity: usize, floor: usize) -> usize {
        if self.divisor == 0 || capacity <= floor {
            0
        } else {
            capacity.div_ceil(self.divisor as usize)
        }
    }
}

impl Default for ShrinkPolicy {
    fn default() -> Self {
        Self::new()
    }
}
