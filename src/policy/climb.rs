//! The hill climber both adaptive policies tune themselves with: [`WTinyLfu`]'s window
//! share and the bounded [`ConcurrentMap`]'s hot share. Once a policy has served a
//! sample of requests ([`climb_sample`]), it hands the climber the sample's hit ratio;
//! the climber compares it with the previous sample's and moves the value one step: the
//! same way if the ratio rose, the other way if it fell. The two policies differ only in
//! their [`ClimbRules`] (steps that decay and restart, or fixed steps with a noise band).
//!
//! [`WTinyLfu`]: crate::WTinyLfu
//! [`ConcurrentMap`]: crate::ConcurrentMap

/// Requests per climber sample, at least. A hit ratio measured over `n` requests is
/// uncertain by about `0.5 / √n`: over the 2,500 requests of a 250-entry cache's
/// `10 × len`, a point, as large as the changes the climber reacts to, so a small cache's
/// window wandered with the noise. On the bundled traces (`examples/hit_ratio.rs`, 40
/// hash seeds), raising the floor from 256 to 4,096 requests lifted the 256-entry loop
/// row from 23.6% to 24.2% on average, and cut the seeds in which some row fell more
/// than 2 points below the best peer from 10 to 2 of 40; every row of 500 entries or
/// more is unchanged (`10 × len` is above the floor there).
pub(crate) const MIN_SAMPLE: usize = 4096;

/// Requests per hill-climbing sample for a cache of `len` entries: `10 × len`, at least
/// [`MIN_SAMPLE`].
#[inline]
pub(crate) fn climb_sample(len: usize) -> u64 {
    u64::try_from(len.saturating_mul(10).max(MIN_SAMPLE)).unwrap_or(u64::MAX)
}

/// How a [`HillClimber`] moves.
#[derive(Debug)]
pub(crate) struct ClimbRules {
    /// The first step; its sign is the first direction.
    pub(crate) step: f64,
    /// Each step is the last one times this (1: every step is the same size).
    pub(crate) decay: f64,
    /// A change of the hit ratio at least this large restarts the steps at the size of
    /// the first (`f64::INFINITY`: never).
    pub(crate) restart: f64,
    /// A change smaller than this either way counts as none, and the climber steps
    /// toward `min` (0: every rise keeps the direction, every fall turns it).
    pub(crate) noise: f64,
    /// The value's range.
    pub(crate) min: f64,
    pub(crate) max: f64,
}

/// A value moved one step per sample toward a better hit ratio, by its [`ClimbRules`].
#[derive(Clone, Debug)]
pub(crate) struct HillClimber {
    rules: &'static ClimbRules,
    value: f64,
    /// The next step, with its direction.
    step: f64,
    /// The previous sample's hit ratio.
    previous: f64,
}

impl HillClimber {
    /// A climber at `value` (within the rules' range), before its first sample.
    pub(crate) const fn new(value: f64, rules: &'static ClimbRules) -> Self {
        Self { rules, value, step: rules.step, previous: 0.0 }
    }

    /// The current value.
    #[cfg(test)]
    pub(crate) fn value(&self) -> f64 {
        self.value
    }

    /// The previous sample's hit ratio.
    #[cfg(test)]
    pub(crate) fn previous(&self) -> f64 {
        self.previous
    }

    /// Moves the value one step after a sample whose hit ratio was `ratio`, and returns
    /// it: the same way as the last step if the ratio rose by at least the noise band,
    /// the other way if it fell by more, toward `min` if it moved less either way.
    pub(crate) fn next(&mut self, ratio: f64) -> f64 {
        let rules = self.rules;
        let amount = if ratio < self.previous - rules.noise {
            -self.step
        } else if ratio < self.previous + rules.noise {
            -self.step.abs()
        } else {
            self.step
        };
        self.step = if (ratio - self.previous).abs() >= rules.restart {
            rules.step.abs().copysign(amount)
        } else {
            amount * rules.decay
        };
        self.value = (self.value + amount).clamp(rules.min, rules.max);
        self.previous = ratio;
        self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DECAYING: ClimbRules = ClimbRules { step: 0.5, decay: 0.5, restart: 0.1, noise: 0.0, min: 0.0, max: 10.0 };
    const BANDED: ClimbRules =
        ClimbRules { step: 1.0, decay: 1.0, restart: f64::INFINITY, noise: 0.01, min: 0.0, max: 3.0 };

    #[test]
    fn a_rise_keeps_the_direction_and_a_fall_turns_it() {
        let mut c = HillClimber::new(5.0, &DECAYING);
        assert_eq!(c.next(0.30), 5.5, "the first sample (a rise from 0) takes the first step");
        assert_eq!(c.next(0.32), 6.0, "a small rise: on");
        assert_eq!(c.next(0.31), 5.75, "a small fall: back, by the decayed step");
        assert_eq!(c.next(0.31), 5.625, "no change is no fall: on, decayed again");
        assert_eq!(c.next(0.50), 5.5625, "a large rise: on...");
        assert_eq!(c.next(0.51), 5.0625, "...and the steps restart at the first size");
    }

    #[test]
    fn a_change_within_the_noise_band_steps_toward_the_minimum() {
        let mut c = HillClimber::new(1.0, &BANDED);
        assert_eq!(c.next(0.40), 2.0);
        assert_eq!(c.next(0.405), 1.0, "a rise within the band: down");
        assert_eq!(c.next(0.40), 0.0, "a fall within the band: down");
        assert_eq!(c.next(0.40), 0.0, "held at the minimum");
        assert_eq!(c.next(0.30), 1.0, "a clear fall turns it up");
        for r in [0.32, 0.34, 0.36, 0.38] {
            c.next(r);
        }
        assert_eq!(c.value(), 3.0, "clear rises all the way, held at the maximum");
    }
}
