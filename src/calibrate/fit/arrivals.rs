//! A referral stream's pattern in time: its weekday shares, its month
//! factors and its yearly growth, fitted together so that the rate the
//! simulator builds from them (`per_week / 7 x weekday x month x (1 +
//! growth) ^ years`, docs/scenario.md) is the rate the records show.
//!
//! The model, one day at a time (the simulator's rate is constant within a
//! day, its growth counted in years of 365.25 days from `start_date` at the
//! start of the day): the expected referrals on day d of the period are
//!
//! ```text
//! c(month of d) x o(d) x exp(beta x y(d))
//! ```
//!
//! with o(d) = 7 x the weekday's share (so o averages 1 over a week), y(d)
//! = d / 365.25 the years since the period's start and growth = e^beta - 1.
//! The weekday shares come first, from the counts by weekday; c and beta
//! are then the Poisson maximum likelihood with those shares as an offset
//! (beta by Newton's method on its profile likelihood, c in closed form).
//!
//! Month factors and the rate are only defined together (twice the rate
//! and half the factors is the same stream), so the factors are scaled to
//! average 1 over the days of the period, and `per_week` is then the rate
//! at the period's start in an average month: the simulator, started at
//! the period's start, reproduces the fitted rate in every month. Growth
//! is the origin's rate's yearly change: fitted only over two years or
//! more, since over one year a trend and a month pattern cannot be told
//! apart (every month is seen once); over one to two years the months are
//! fitted with no growth. Intervals: the per_week and month factors take
//! Garwood's interval on their count, widened on the log scale by the
//! delta method's share of the other estimates (the growth above all: a
//! rate at the start extrapolated from a trend is much less sure than the
//! average rate); growth is a Wald interval on beta.

use chrono::{Datelike, Duration, NaiveDateTime};

use super::super::estimate::{poisson_rate, proportion, Estimate, EstimateError, Z95};
use super::Period;

/// Months are fitted only over a period of at least this many weeks.
pub const MONTHS_MIN_WEEKS: f64 = 52.0;
/// Growth is fitted only over a period of at least this many weeks.
pub const GROWTH_MIN_WEEKS: f64 = 104.0;

const DAYS_PER_YEAR: f64 = 365.25;

/// A stream's rate and its pattern in time.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrivals {
    /// Referrals per week at the period's start in an average month.
    pub per_week: Estimate,
    /// Shares of the week's referrals by weekday, Mon..Sun, summing to 1;
    /// Wilson's interval on the weekday's count of the total (scaled by the
    /// days of that weekday when the period is not whole weeks); `n`: the
    /// stream's referrals.
    pub weekdays: [Estimate; 7],
    /// Factors Jan..Dec averaging 1 over the period's days; `n`: the
    /// month's referrals. `None` under [`MONTHS_MIN_WEEKS`].
    pub months: Option<[Estimate; 12]>,
    /// Compound yearly growth; `n`: the stream's referrals. `None` under
    /// [`GROWTH_MIN_WEEKS`].
    pub growth: Option<Estimate>,
}

/// Fits a stream from its referral times (those outside `period` are left
/// out) over `trials` repetitions of the period (1 for a clinic's records).
pub fn arrivals(
    referrals: &[NaiveDateTime],
    trials: u64,
    period: Period,
) -> Result<Arrivals, EstimateError> {
    if period.weeks() < 1.0 {
        return Err(EstimateError::Invalid(format!(
            "a period of {:.1} weeks: the weekday pattern needs at least one whole week",
            period.weeks()
        )));
    }
    let trials = trials.max(1) as f64;
    let day0 = period.start.date();
    let midnight = day0.and_hms_opt(0, 0, 0).unwrap_or(period.start);
    let n_days = (period.end - midnight).num_seconds().div_euclid(86_400) as usize
        + usize::from((period.end - midnight).num_seconds() % 86_400 != 0);
    // Each day's share of itself inside the period, weekday and month.
    let mut frac = vec![1.0_f64; n_days];
    let mut weekday = vec![0usize; n_days];
    let mut month = vec![0usize; n_days];
    for d in 0..n_days {
        let from = midnight + Duration::days(d as i64);
        let to = from + Duration::days(1);
        let a = from.max(period.start);
        let b = to.min(period.end);
        frac[d] = ((b - a).num_seconds() as f64 / 86_400.0).max(0.0);
        weekday[d] = from.weekday().num_days_from_monday() as usize;
        month[d] = from.month0() as usize;
    }
    let mut per_day = vec![0u64; n_days];
    for r in referrals.iter().filter(|r| period.holds(**r)) {
        let d = (r.date() - day0).num_days() as usize;
        per_day[d] += 1;
    }
    let total: u64 = per_day.iter().sum();
    if total == 0 {
        return Err(EstimateError::Empty);
    }

    // Weekdays: counts over days of each weekday.
    let mut wd_count = [0u64; 7];
    let mut wd_days = [0.0f64; 7];
    for d in 0..n_days {
        wd_count[weekday[d]] += per_day[d];
        wd_days[weekday[d]] += frac[d];
    }
    let p = |k: usize| wd_count[k] as f64 / total as f64;
    let norm: f64 = (0..7).map(|k| p(k) / wd_days[k]).sum();
    let mut weekdays = [Estimate {
        value: 0.0,
        low: 0.0,
        high: 0.0,
        n: 0,
    }; 7];
    for (k, w) in weekdays.iter_mut().enumerate() {
        let phi = (1.0 / wd_days[k]) / norm;
        let e = proportion(wd_count[k], total)?;
        *w = Estimate {
            value: e.value * phi,
            low: (e.low * phi).min(1.0),
            high: (e.high * phi).min(1.0),
            n: total,
        };
    }
    let offset: Vec<f64> = (0..n_days)
        .map(|d| 7.0 * weekdays[weekday[d]].value * frac[d] * trials)
        .collect();
    let y: Vec<f64> = (0..n_days).map(|d| d as f64 / DAYS_PER_YEAR).collect();

    let weeks = period.weeks();
    if weeks < MONTHS_MIN_WEEKS {
        let exposure: f64 = frac.iter().sum::<f64>() / 7.0 * trials;
        return Ok(Arrivals {
            per_week: poisson_rate(total, exposure)?,
            weekdays,
            months: None,
            growth: None,
        });
    }

    let mut m_count = [0u64; 12];
    let mut m_days = [0.0f64; 12];
    let mut sum_y = 0.0;
    for d in 0..n_days {
        m_count[month[d]] += per_day[d];
        m_days[month[d]] += frac[d];
        sum_y += per_day[d] as f64 * y[d];
    }
    // Per month, at a given beta: exposure S_m, mean and variance of y
    // weighted by the expected referrals.
    let moments = |beta: f64| {
        let mut s = [0.0f64; 12];
        let mut s1 = [0.0f64; 12];
        let mut s2 = [0.0f64; 12];
        for d in 0..n_days {
            let w = offset[d] * (beta * y[d]).exp();
            s[month[d]] += w;
            s1[month[d]] += w * y[d];
            s2[month[d]] += w * y[d] * y[d];
        }
        let mut mean = [0.0f64; 12];
        let mut var = [0.0f64; 12];
        for m in 0..12 {
            if s[m] > 0.0 {
                mean[m] = s1[m] / s[m];
                var[m] = (s2[m] / s[m] - mean[m] * mean[m]).max(0.0);
            }
        }
        (s, mean, var)
    };
    let fit_growth = weeks >= GROWTH_MIN_WEEKS;
    let mut beta = 0.0;
    if fit_growth {
        for _ in 0..100 {
            let (_, mean, var) = moments(beta);
            let score: f64 = sum_y - (0..12).map(|m| m_count[m] as f64 * mean[m]).sum::<f64>();
            let info: f64 = (0..12).map(|m| m_count[m] as f64 * var[m]).sum();
            if info <= 0.0 {
                return Err(EstimateError::Invalid(
                    "growth: the referrals' times give no information on a trend".into(),
                ));
            }
            let step = (score / info).clamp(-1.0, 1.0);
            beta += step;
            if step.abs() < 1e-12 {
                break;
            }
        }
    }
    let (s, mean, var) = moments(beta);
    let info: f64 = (0..12).map(|m| m_count[m] as f64 * var[m]).sum();
    // 1 / info: the variance of beta (0 when growth is not fitted).
    let v_beta = if fit_growth { 1.0 / info } else { 0.0 };
    // Rate per day (per unit of offset) in each month, and their average
    // over the period's days.
    let c: Vec<f64> = (0..12)
        .map(|m| {
            if s[m] > 0.0 {
                m_count[m] as f64 / s[m]
            } else {
                0.0
            }
        })
        .collect();
    let days: f64 = m_days.iter().sum();
    let cbar = (0..12).map(|m| m_days[m] * c[m]).sum::<f64>() / days;
    let pi: Vec<f64> = (0..12).map(|m| m_days[m] * c[m] / (cbar * days)).collect();
    let pi_y: f64 = (0..12).map(|m| pi[m] * mean[m]).sum();
    let sum_pi2_n: f64 = (0..12)
        .filter(|&m| m_count[m] > 0)
        .map(|m| pi[m] * pi[m] / m_count[m] as f64)
        .sum();

    // Garwood's interval on `n`, its log-distances scaled so that its
    // variance 1/n becomes `var`.
    let widened = |value: f64, n: u64, var: f64| -> Result<Estimate, EstimateError> {
        let g = poisson_rate(n, 1.0)?;
        let k = (var * n as f64).sqrt();
        let nf = n as f64;
        Ok(Estimate {
            value,
            low: value * (g.low / nf).powf(k),
            high: value * (g.high / nf).powf(k),
            n,
        })
    };
    let per_week = widened(7.0 * cbar, total, sum_pi2_n + pi_y * pi_y * v_beta)?;
    let mut months = [Estimate {
        value: 0.0,
        low: 0.0,
        high: 0.0,
        n: 0,
    }; 12];
    for m in 0..12 {
        if m_days[m] <= 0.0 {
            return Err(EstimateError::Invalid(format!(
                "month {} has no day in the period",
                m + 1
            )));
        }
        months[m] = if m_count[m] == 0 {
            let g = poisson_rate(0, s[m])?;
            Estimate {
                value: 0.0,
                low: 0.0,
                high: g.high / cbar,
                n: 0,
            }
        } else {
            let nm = m_count[m] as f64;
            let var = (1.0 - 2.0 * pi[m]) / nm + sum_pi2_n + (mean[m] - pi_y).powi(2) * v_beta;
            widened(c[m] / cbar, m_count[m], var)?
        };
    }
    let growth = fit_growth.then(|| {
        let half = Z95 * v_beta.sqrt();
        Estimate {
            value: beta.exp() - 1.0,
            low: (beta - half).exp() - 1.0,
            high: (beta + half).exp() - 1.0,
            n: total,
        }
    });
    Ok(Arrivals {
        per_week,
        weekdays,
        months: Some(months),
        growth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
    }

    #[test]
    fn weekday_shares_are_counts_over_the_total_with_wilson() {
        // Two weeks from Monday 2027-01-04: 6 Mondays' worth, 2 Fridays.
        let period = Period {
            start: day(2027, 1, 4),
            end: day(2027, 1, 18),
        };
        let mut r = Vec::new();
        for _ in 0..3 {
            r.push(day(2027, 1, 4) + Duration::hours(9));
            r.push(day(2027, 1, 11) + Duration::hours(9));
        }
        r.push(day(2027, 1, 8) + Duration::hours(12));
        r.push(day(2027, 1, 15) + Duration::hours(12));
        let a = arrivals(&r, 1, period).unwrap();
        assert_eq!(a.weekdays[0].value, 0.75);
        assert_eq!(a.weekdays[4].value, 0.25);
        assert_eq!(a.weekdays[6].value, 0.0);
        // Wilson for 6 of 8: 0.4093 to 0.9285; 0 of 8: 0 to 0.3244.
        assert!(
            (a.weekdays[0].low - 0.409_2).abs() < 1e-3,
            "{:?}",
            a.weekdays[0]
        );
        assert!((a.weekdays[0].high - 0.928_5).abs() < 1e-3);
        assert!((a.weekdays[6].high - 0.324_4).abs() < 1e-3);
        assert_eq!(a.weekdays[0].n, 8);
        // 8 referrals in 2 weeks.
        assert_eq!(a.per_week.value, 4.0);
        assert!(a.months.is_none() && a.growth.is_none());
    }

    #[test]
    fn a_period_of_part_weeks_counts_each_weekday_over_its_days() {
        // Mon 2027-01-04 to Tue 2027-01-13 (9 days): Mon and Tue twice.
        let period = Period {
            start: day(2027, 1, 4),
            end: day(2027, 1, 13),
        };
        // 2 each Monday (4), 1 on Wednesday (1 Wednesday).
        let r = vec![
            day(2027, 1, 4),
            day(2027, 1, 4),
            day(2027, 1, 11),
            day(2027, 1, 11),
            day(2027, 1, 6),
        ];
        let a = arrivals(&r, 1, period).unwrap();
        // Rates by day: Mon 4/2 = 2, Wed 1/1 = 1: shares 2/3 and 1/3.
        assert!((a.weekdays[0].value - 2.0 / 3.0).abs() < 1e-12);
        assert!((a.weekdays[2].value - 1.0 / 3.0).abs() < 1e-12);
        let sum: f64 = a.weekdays.iter().map(|w| w.value).sum();
        assert!((sum - 1.0).abs() < 1e-12);
    }

    /// One referral a day from 2027-01-01 over `years` years.
    fn daily(years: i64, month: u32, extra: usize) -> (Vec<NaiveDateTime>, Period) {
        let start = day(2027, 1, 1);
        let end = start + Duration::days((years as f64 * 365.25).round() as i64);
        let mut r = Vec::new();
        let mut t = start;
        while t < end {
            r.push(t + Duration::hours(10));
            if t.month0() == month {
                for _ in 0..extra {
                    r.push(t + Duration::hours(11));
                }
            }
            t += Duration::days(1);
        }
        (r, Period { start, end })
    }

    /// One referral a day over `days` days from `start`, and one more on
    /// each day from `from` to `to` (excluded).
    fn flat_with(
        start: NaiveDateTime,
        days: i64,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> (Vec<NaiveDateTime>, Period) {
        let end = start + Duration::days(days);
        let mut r = Vec::new();
        let mut t = start;
        while t < end {
            r.push(t + Duration::hours(10));
            if from <= t && t < to {
                r.push(t + Duration::hours(11));
            }
            t += Duration::days(1);
        }
        (r, Period { start, end })
    }

    #[test]
    fn month_factors_are_month_rates_over_the_period_average() {
        // 52 weeks from Monday 2027-01-04, 1 a day and 2 a day in February
        // 2027 (4 whole weeks from a Monday: every weekday alike): the
        // average is (364 + 28) / 364 a day; February is 2 over it.
        let (r, period) = flat_with(day(2027, 1, 4), 364, day(2027, 2, 1), day(2027, 3, 1));
        assert_eq!(r.len(), 392);
        let a = arrivals(&r, 1, period).unwrap();
        let avg = 392.0 / 364.0;
        let m = a.months.unwrap();
        assert!((m[1].value - 2.0 / avg).abs() < 1e-9, "{:?}", m[1]);
        assert!((m[0].value - 1.0 / avg).abs() < 1e-9);
        assert!((a.per_week.value - 7.0 * avg).abs() < 1e-9);
        // Day-weighted average of the factors is 1 (January: 28 days of
        // 2027 and 2 of 2028).
        let days = [
            30.0, 28.0, 31.0, 30.0, 31.0, 30.0, 31.0, 31.0, 30.0, 31.0, 30.0, 31.0,
        ];
        let mean: f64 = (0..12).map(|k| m[k].value * days[k]).sum::<f64>() / 364.0;
        assert!((mean - 1.0).abs() < 1e-9);
        assert!(m[1].low < m[1].value && m[1].value < m[1].high);
        assert_eq!(m[1].n, 56);
        assert!(a.growth.is_none(), "one year: no growth");
    }

    #[test]
    fn a_partial_month_counts_only_its_days() {
        // 56 weeks from 2027-01-04 (to 2028-01-30 included): January has
        // 28 days in 2027 and 30 in 2028, 58 in all; 1 a day, and 2 a day
        // from 2027-01-04 to 01-31 (4 whole weeks). January's rate is
        // (58 + 28) / 58 a day, the average (392 + 28) / 392.
        let (r, period) = flat_with(day(2027, 1, 4), 392, day(2027, 1, 4), day(2027, 2, 1));
        let a = arrivals(&r, 1, period).unwrap();
        let m = a.months.unwrap();
        let avg = 420.0 / 392.0;
        assert_eq!(m[0].n, 86);
        assert!(
            (m[0].value - (86.0 / 58.0) / avg).abs() < 1e-9,
            "{:?}",
            m[0]
        );
        assert!((m[5].value - 1.0 / avg).abs() < 1e-9);
    }

    #[test]
    fn growth_is_the_maximum_likelihood_of_a_log_linear_rate() {
        // A flat stream over two years is no growth, exactly, and its
        // interval holds 0 symmetrically on the log scale.
        let (r, period) = daily(2, 0, 0);
        let a = arrivals(&r, 1, period).unwrap();
        let g = a.growth.unwrap();
        assert!(g.value.abs() < 1e-9, "{g:?}");
        assert!(((1.0 + g.low) * (1.0 + g.high) - 1.0).abs() < 1e-9);
        // With every month alike, each month's variance of y over its
        // days is known: beta's Wald half-width is z / sqrt(sum N_m Var_m).
        assert!(g.low < 0.0 && g.high > 0.0);
        assert!((a.per_week.value - 7.0).abs() < 1e-9);

        // Doubled counts in the second year: the profile score is
        // sum y_i - sum_m N_m ybar_m(beta) = 0 with each month's two
        // stretches a year apart; with one day in year 1 and two in year 2
        // for every day of the month, the MLE makes the second year's
        // weight e^beta twice the first's: beta = ln 2 (each month's days
        // of the two years are alike, a year apart).
        let (mut r, period) = daily(2, 0, 0);
        let second = day(2028, 1, 1);
        let extra: Vec<NaiveDateTime> = r.iter().filter(|t| **t >= second).copied().collect();
        r.extend(extra);
        let a = arrivals(&r, 1, period).unwrap();
        let g = a.growth.unwrap();
        // Not exactly 1: within a year the doubling is a step, not a
        // trend, and the fit sees the step. But close.
        assert!((g.value - 1.0).abs() < 0.05, "{g:?}");
        assert!(g.low < 1.0 && 1.0 < g.high, "{g:?}");
    }

    #[test]
    fn a_constructed_exponential_rate_is_recovered_exactly() {
        // Expected counts exactly proportional to e^(beta y) cannot be
        // integers, so weigh by trials: with k trials and day d holding
        // round(1000 e^(beta y_d)) referrals in all, the MLE is beta to
        // within rounding.
        let beta = (1.2f64).ln();
        let start = day(2027, 1, 1);
        let end = start + Duration::days(731);
        let mut r = Vec::new();
        for d in 0..731 {
            let n = (1000.0 * (beta * d as f64 / DAYS_PER_YEAR).exp()).round() as usize;
            let t = start + Duration::days(d) + Duration::hours(9);
            r.extend(std::iter::repeat_n(t, n));
        }
        let a = arrivals(&r, 1, Period { start, end }).unwrap();
        let g = a.growth.unwrap();
        assert!((g.value - 0.2).abs() < 1e-4, "{g:?}");
        // Rate at the start: 1000 a day.
        assert!(
            (a.per_week.value - 7000.0).abs() < 7000.0 * 1e-3,
            "{:?}",
            a.per_week
        );
        for m in a.months.unwrap() {
            assert!((m.value - 1.0).abs() < 1e-3, "{m:?}");
        }
    }
}
