//! Simulated time: whole seconds since the start of the simulation (the start
//! of the warm-up). An integer clock makes event order exact and reproducible;
//! sampled durations in days are converted once, here, rounding to the nearest
//! second.

/// A point in simulated time, in seconds since the simulation started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(pub u64);

pub const SECOND: u64 = 1;
pub const MINUTE: u64 = 60;
pub const HOUR: u64 = 3_600;
pub const DAY: u64 = 86_400;
pub const WEEK: u64 = 7 * DAY;

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);

    pub fn from_days(days: u64) -> SimTime {
        SimTime(days * DAY)
    }

    pub fn from_weeks(weeks: u64) -> SimTime {
        SimTime(weeks * WEEK)
    }

    /// Whole days since the start (the day this instant falls in).
    pub fn day(self) -> u64 {
        self.0 / DAY
    }

    /// Whole weeks since the start.
    pub fn week(self) -> u64 {
        self.0 / WEEK
    }

    pub fn as_days(self) -> f64 {
        self.0 as f64 / DAY as f64
    }

    /// `self + days`, with `days` a sampled, non-negative duration. Rounds to
    /// the nearest second and saturates, so a huge sample cannot wrap around.
    pub fn plus_days(self, days: f64) -> SimTime {
        SimTime(self.0.saturating_add(days_to_secs(days)))
    }

    pub fn plus_secs(self, secs: u64) -> SimTime {
        SimTime(self.0.saturating_add(secs))
    }

    /// Seconds from `earlier` to `self` (0 if `earlier` is later).
    pub fn since(self, earlier: SimTime) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// `secs` seconds in days: how waits and stays kept in seconds are reported.
#[inline]
pub fn secs_to_days(secs: u64) -> f64 {
    secs as f64 / DAY as f64
}

/// The one rounding rule for sampled durations: nearest second, negatives and
/// NaN as zero, huge values saturated.
pub fn days_to_secs(days: f64) -> u64 {
    if days.is_nan() || days <= 0.0 {
        return 0;
    }
    let secs = days * DAY as f64;
    if secs >= u64::MAX as f64 {
        u64::MAX
    } else {
        round_nonneg(secs)
    }
}

/// `x.round() as u64` (half away from zero) for `0 <= x < 2^64`, without a
/// call into libm: the x86-64 baseline has no rounding instruction, and this
/// runs for every sampled time.
///
/// Below 2^52, adding 2^52 rounds `x` to the nearest integer (ties to even)
/// and leaves it in the low bits of the sum, whose spacing there is 1; only
/// a tie rounded down to even needs one more. No float-to-integer
/// conversion is made, and Rust's conversions saturate, which costs several
/// instructions each (this took 1% off an M/M/10 run). Exact: `x - r` is,
/// since `r` is within 1/2 of `x`.
#[inline]
pub fn round_nonneg(x: f64) -> u64 {
    debug_assert!((0.0..u64::MAX as f64).contains(&x));
    const TWO_52: f64 = (1u64 << 52) as f64;
    // From 2^52 on every f64 is whole (and NaN, unordered, goes this way,
    // to 0).
    if x.partial_cmp(&TWO_52) != Some(std::cmp::Ordering::Less) {
        return x as u64;
    }
    let shifted = x + TWO_52;
    let r = shifted - TWO_52;
    (shifted.to_bits() - TWO_52.to_bits()) + u64::from(x - r == 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_to_the_nearest_second_and_never_wrap() {
        assert_eq!(days_to_secs(1.0), DAY);
        assert_eq!(days_to_secs(0.5 / DAY as f64), 1); // 0.5 s rounds up
        assert_eq!(days_to_secs(0.4 / DAY as f64), 0);
        assert_eq!(days_to_secs(-3.0), 0);
        assert_eq!(days_to_secs(f64::NAN), 0);
        assert_eq!(SimTime(u64::MAX - 1).plus_days(1e300), SimTime(u64::MAX));
    }

    #[test]
    fn round_nonneg_matches_f64_round() {
        let mut xs = vec![
            0.0,
            0.49999999999999994,
            0.5,
            1.5,
            2.5,
            86_399.5,
            1e15 + 0.5,
        ];
        xs.extend([(1u64 << 52) as f64, (1u64 << 53) as f64 + 2.0, 1.8e19]);
        let mut x = 0.123_f64;
        for _ in 0..10_000 {
            x = (x * 1.618_034 + 0.377) % 5e9;
            xs.push(x);
        }
        for x in xs {
            assert_eq!(round_nonneg(x), x.round() as u64, "{x}");
        }
    }

    #[test]
    fn calendar_arithmetic() {
        let t = SimTime::from_weeks(3).plus_secs(2 * DAY + 10 * HOUR);
        assert_eq!(t.week(), 3);
        assert_eq!(t.day(), 23);
        assert_eq!(t.since(SimTime::from_weeks(3)), 2 * DAY + 10 * HOUR);
    }
}
