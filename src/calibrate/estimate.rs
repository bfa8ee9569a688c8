//! The estimators of calibration: pure functions from counts and times to
//! an [`Estimate`] (a value, a 95% interval and the count it rests on).
//!
//! - [`KaplanMeier`]: survival with right censoring, Greenwood's variance,
//!   a log-log (Kalbfleisch-Prentice) 95% band, the median with the
//!   Brookmeyer-Crowley interval read off that band;
//! - [`life_table`]: the discrete-time hazard per week of stay (events over
//!   those at risk), Wilson intervals, sparse weeks pooled;
//! - [`poisson_rate`]: events over exposure, Garwood's exact interval;
//! - [`proportion`]: a binomial share, Wilson's interval;
//! - [`attendance`]: the mean and between-patient spread of attendance, a
//!   beta by beta-binomial maximum likelihood, profile-likelihood
//!   intervals (right when a visit's length depends on its attendance).
//!
//! Every figure is checked in the tests against a hand computation or a
//! published worked example (Freireich et al. 1963 for Kaplan-Meier).

use statrs::distribution::{ChiSquared, ContinuousCDF};
use thiserror::Error;

/// The normal quantile of a two-sided 95% interval, Phi^-1(0.975).
pub const Z95: f64 = 1.959_963_984_540_054;

/// An estimate, its 95% interval and the count it rests on (patients,
/// events or trials: each estimator says which).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub value: f64,
    /// Lower end of the 95% interval.
    pub low: f64,
    /// Upper end of the 95% interval; `f64::INFINITY` when the data set
    /// no upper bound (a median survival whose band never falls below 1/2).
    pub high: f64,
    /// The count the estimate rests on.
    pub n: u64,
}

/// Why an estimate cannot be made: the input, in words.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EstimateError {
    #[error("no observations to estimate from")]
    Empty,
    #[error("{0}")]
    Invalid(String),
}

fn invalid(msg: impl Into<String>) -> EstimateError {
    EstimateError::Invalid(msg.into())
}

// ---------------------------------------------------------------------------
// Kaplan-Meier

/// One follow-up: a time (days, weeks: any unit, at least 0) and whether
/// it ended in the event (`true`) or was censored (`false`: still in care,
/// or left for another reason).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    pub time: f64,
    pub event: bool,
}

impl Observation {
    pub fn event(time: f64) -> Observation {
        Observation { time, event: true }
    }
    pub fn censored(time: f64) -> Observation {
        Observation { time, event: false }
    }
}

/// The survival curve at one event time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KmStep {
    pub time: f64,
    /// At risk just before `time`: followed up to at least `time`.
    pub at_risk: u64,
    pub events: u64,
    /// Censored at `time` (counted at risk for the events at `time`).
    pub censored: u64,
    /// S(t) from `time` until the next step.
    pub survival: f64,
    /// Greenwood's standard error of S(t).
    pub se: f64,
    /// The 95% band, log-log transform (see [`KaplanMeier`]).
    pub low: f64,
    pub high: f64,
}

/// The Kaplan-Meier estimate of the survival function.
///
/// S(t) = prod over event times t_j <= t of (1 - d_j / n_j), n_j those at
/// risk just before t_j. Ties: at a time with both events and censorings,
/// the events come first (the censored are at risk for them), the usual
/// convention. Greenwood: Var S(t) = S(t)^2 sum d_j / (n_j (n_j - d_j)).
/// The 95% band uses the log-log transform (Kalbfleisch and Prentice; R
/// survival's `conf.type = "log-log"`): with v = sum d_j / (n_j (n_j -
/// d_j)) / (ln S)^2, the band is S^exp(+z sqrt v) to S^exp(-z sqrt v),
/// always within [0, 1]. Where S falls to 0 the band is [0, 0].
#[derive(Debug, Clone, PartialEq)]
pub struct KaplanMeier {
    /// One step per distinct event time, in time order.
    pub steps: Vec<KmStep>,
    /// Observations.
    pub n: u64,
    /// Of them, events.
    pub events: u64,
}

/// Observations to estimate from: at least one, every time finite and not
/// negative (`rule` says so in the caller's words).
fn check_times(observations: &[Observation], rule: &str) -> Result<(), EstimateError> {
    if observations.is_empty() {
        return Err(EstimateError::Empty);
    }
    match observations
        .iter()
        .find(|o| !o.time.is_finite() || o.time < 0.0)
    {
        Some(o) => Err(invalid(format!("{rule}; got {}", o.time))),
        None => Ok(()),
    }
}

impl KaplanMeier {
    /// Fits the curve. Times must be finite and not negative.
    pub fn fit(observations: &[Observation]) -> Result<KaplanMeier, EstimateError> {
        check_times(
            observations,
            "a follow-up time must be a finite number, at least 0",
        )?;
        let mut obs = observations.to_vec();
        obs.sort_by(|a, b| a.time.total_cmp(&b.time));
        let n = obs.len() as u64;
        let events = obs.iter().filter(|o| o.event).count() as u64;
        let mut steps = Vec::new();
        let mut at_risk = n;
        let mut survival = 1.0_f64;
        let mut greenwood = 0.0_f64;
        let mut i = 0;
        while i < obs.len() {
            let time = obs[i].time;
            let mut j = i;
            while j < obs.len() && obs[j].time == time {
                j += 1;
            }
            let d = obs[i..j].iter().filter(|o| o.event).count() as u64;
            let c = (j - i) as u64 - d;
            if d > 0 {
                let (nf, df) = (at_risk as f64, d as f64);
                survival *= 1.0 - df / nf;
                if d < at_risk {
                    greenwood += df / (nf * (nf - df));
                } else {
                    greenwood = f64::INFINITY;
                }
                let se = if survival > 0.0 {
                    survival * greenwood.sqrt()
                } else {
                    0.0
                };
                let (low, high) = log_log_band(survival, greenwood);
                steps.push(KmStep {
                    time,
                    at_risk,
                    events: d,
                    censored: c,
                    survival,
                    se,
                    low,
                    high,
                });
            }
            at_risk -= d + c;
            i = j;
        }
        Ok(KaplanMeier { steps, n, events })
    }

    /// S(t): the share still event-free at `t` (right-continuous).
    pub fn survival(&self, t: f64) -> f64 {
        self.steps
            .iter()
            .take_while(|s| s.time <= t)
            .last()
            .map_or(1.0, |s| s.survival)
    }

    /// The median survival time, the first time S(t) <= 1/2 (no averaging
    /// where S is exactly 1/2 over an interval, unlike R's default), with
    /// the Brookmeyer-Crowley 95% interval read off the log-log band: from
    /// the first time its lower end is <= 1/2 to the first time its upper
    /// end is <= 1/2 (`INFINITY`: not reached). `None` if S never falls to
    /// 1/2. `n` is the number of observations.
    pub fn median(&self) -> Option<Estimate> {
        let first = |f: &dyn Fn(&KmStep) -> bool| self.steps.iter().find(|s| f(s)).map(|s| s.time);
        let value = first(&|s| s.survival <= 0.5)?;
        let low = first(&|s| s.low <= 0.5).unwrap_or(value);
        let high = first(&|s| s.high <= 0.5).unwrap_or(f64::INFINITY);
        Some(Estimate {
            value,
            low,
            high,
            n: self.n,
        })
    }
}

/// The 95% log-log band of S given Greenwood's sum.
fn log_log_band(s: f64, greenwood: f64) -> (f64, f64) {
    if s <= 0.0 || !greenwood.is_finite() {
        return (0.0, 0.0);
    }
    if s >= 1.0 {
        return (1.0, 1.0);
    }
    let sd = greenwood.sqrt() / s.ln().abs();
    (s.powf((Z95 * sd).exp()), s.powf((-Z95 * sd).exp()))
}

// ---------------------------------------------------------------------------
// Wilson, Poisson

/// Wilson's 95% score interval for `successes` of `trials`.
fn wilson(successes: u64, trials: u64) -> (f64, f64) {
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    // At 0 or all, the end at the boundary is exactly 0 or 1 (not a rounding away).
    let low = if successes == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let high = if successes == trials {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (low, high)
}

/// A binomial proportion (a show rate, a routing share): `successes` of
/// `trials`, with Wilson's 95% score interval (good coverage also for
/// small counts and shares near 0 or 1, where the Wald interval fails).
/// `n` is `trials`.
pub fn proportion(successes: u64, trials: u64) -> Result<Estimate, EstimateError> {
    if trials == 0 {
        return Err(EstimateError::Empty);
    }
    if successes > trials {
        return Err(invalid(format!(
            "{successes} successes out of {trials} trials: more successes than trials"
        )));
    }
    let (low, high) = wilson(successes, trials);
    Ok(Estimate {
        value: successes as f64 / trials as f64,
        low,
        high,
        n: trials,
    })
}

/// A Poisson rate, `events` over `exposure` (patient-days, weeks of
/// calendar: the rate is per unit of exposure), with Garwood's exact 95%
/// interval: chi2(0.025; 2k) / 2 to chi2(0.975; 2k + 2) / 2, over the
/// exposure (the lower end 0 when k = 0). `n` is `events`.
pub fn poisson_rate(events: u64, exposure: f64) -> Result<Estimate, EstimateError> {
    if !(exposure.is_finite() && exposure > 0.0) {
        return Err(invalid(format!(
            "the exposure must be a positive finite number; got {exposure}"
        )));
    }
    let k = events as f64;
    let chi2 = |df: f64, p: f64| -> Result<f64, EstimateError> {
        ChiSquared::new(df)
            .map(|d| d.inverse_cdf(p))
            .map_err(|e| invalid(format!("chi-square with {df} degrees of freedom: {e}")))
    };
    let low = if events == 0 {
        0.0
    } else {
        chi2(2.0 * k, 0.025)? / 2.0
    };
    let high = chi2(2.0 * k + 2.0, 0.975)? / 2.0;
    Ok(Estimate {
        value: k / exposure,
        low: low / exposure,
        high: high / exposure,
        n: events,
    })
}

// ---------------------------------------------------------------------------
// Life table

/// One row of a life table: a week of stay, or adjacent weeks pooled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LifeTableRow {
    /// The first and last week of stay of the row, from 0 (week 0: days
    /// (0, 7] of the stay).
    pub first_week: u32,
    pub last_week: u32,
    /// Patient-weeks at risk (for one week: patients at risk in it).
    pub at_risk: u64,
    pub events: u64,
    /// The weekly hazard, events / at risk, with Wilson's interval; `n` is
    /// `at_risk`.
    pub hazard: Estimate,
}

/// The discrete-time life table of a weekly hazard (dropout, step-up):
/// per week of stay, the events in that week over the patients at risk in
/// it, with Wilson's 95% interval.
///
/// Times are days of stay. An event at day t falls in week ceil(t / 7) - 1
/// (days (0, 7] are week 0; an event at day 0 counts in week 0). A
/// censored stay (completed, other reason, still in care at the horizon)
/// of t days was at risk in its floor(t / 7) whole weeks only: a stay
/// ended by completion at day 56 was at risk in weeks 0 to 7; one cut by
/// the horizon at day 52, in weeks 0 to 6 (the partial week is left out,
/// so censoring never dilutes a week's hazard).
///
/// Pooling: weeks are taken in order and gathered into a row until the row
/// has at least `min_at_risk` patient-weeks at risk; a row is its pooled
/// events over its pooled patient-weeks (a common hazard for its weeks).
/// A last row short of the threshold joins the row before it. With
/// `min_at_risk` <= 1 every week with anyone at risk is its own row.
/// Weeks after the last one anyone is at risk in are left out.
pub fn life_table(
    observations: &[Observation],
    min_at_risk: u64,
) -> Result<Vec<LifeTableRow>, EstimateError> {
    check_times(
        observations,
        "a length of stay must be a finite number of days, at least 0",
    )?;
    // Weeks beyond 100 years are refused rather than allocated.
    const MAX_WEEKS: f64 = 5_300.0;
    let mut at_risk: Vec<u64> = Vec::new();
    let mut events: Vec<u64> = Vec::new();
    for o in observations {
        let weeks = o.time / 7.0;
        if weeks > MAX_WEEKS {
            return Err(invalid(format!(
                "a stay of {} days is longer than a life table can take ({MAX_WEEKS} weeks)",
                o.time
            )));
        }
        // Weeks at risk: through the event's week, or the whole weeks of a censored stay.
        let (span, event_week) = if o.event {
            let w = (weeks.ceil() as usize).max(1) - 1;
            (w + 1, Some(w))
        } else {
            (weeks.floor() as usize, None)
        };
        if at_risk.len() < span {
            at_risk.resize(span, 0);
            events.resize(span, 0);
        }
        for r in &mut at_risk[..span] {
            *r += 1;
        }
        if let Some(w) = event_week {
            events[w] += 1;
        }
    }
    pool_weeks(&at_risk, &events, min_at_risk)
}

/// Weekly counts (patients at risk and events per week of stay, from week
/// 0) pooled into life-table rows: weeks are taken in order and gathered
/// into a row until it has at least `min_at_risk` patient-weeks at risk; a
/// last row short of it joins the one before; weeks nobody was at risk in
/// are left out (see [`life_table`]).
pub fn pool_weeks(
    at_risk: &[u64],
    events: &[u64],
    min_at_risk: u64,
) -> Result<Vec<LifeTableRow>, EstimateError> {
    let mut rows: Vec<(u32, u32, u64, u64)> = Vec::new();
    let mut open: Option<(u32, u32, u64, u64)> = None;
    for (w, (&n, &d)) in at_risk.iter().zip(events).enumerate() {
        let w = w as u32;
        let row = match open.take() {
            Some((first, _, n0, d0)) => (first, w, n0 + n, d0 + d),
            None => (w, w, n, d),
        };
        if row.2 >= min_at_risk.max(1) {
            rows.push(row);
        } else {
            open = Some(row);
        }
    }
    if let Some((first, last, n, d)) = open {
        match rows.last_mut() {
            Some(prev) => {
                prev.1 = last;
                prev.2 += n;
                prev.3 += d;
            }
            None => rows.push((first, last, n, d)),
        }
    }
    rows.into_iter()
        .filter(|r| r.2 > 0)
        .map(|(first_week, last_week, at_risk, events)| {
            Ok(LifeTableRow {
                first_week,
                last_week,
                at_risk,
                events,
                hazard: proportion(events, at_risk)?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Attendance

/// Attendance across patients: a beta for the patients' own attendance
/// probabilities, fitted by maximum likelihood on the beta-binomial.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attendance {
    /// The beta's mean (`attendance`), with its profile-likelihood 95%
    /// interval; `n`: patients (visits).
    pub mean: Estimate,
    /// The beta's standard deviation (`attendance_sd`): the spread of the
    /// patients' true probabilities, net of binomial sampling noise, with
    /// its profile-likelihood 95% interval (low 0 when no spread is within
    /// the data's reach).
    pub spread: Estimate,
    /// The intra-class correlation rho = 1 / (alpha + beta + 1) of the
    /// beta-binomial, in [0, 1).
    pub rho: f64,
    /// The beta's (alpha, beta); `None` when there is no spread (every
    /// patient the same probability: the mean).
    pub beta: Option<(f64, f64)>,
}

/// Half the chi-square(1) 95% quantile: a profile log-likelihood within
/// this of its maximum is inside the 95% interval.
const PROFILE_DROP: f64 = 3.841_458_820_694_124 / 2.0;

/// Largest rho tried (rho = 1: every patient always or never there).
const RHO_MAX: f64 = 1.0 - 1e-9;

/// The beta-binomial log-likelihood of per-patient (attended, scheduled)
/// counts in the mean mu and rho = 1 / (alpha + beta + 1), Griffiths'
/// (1973) form: with A_j the patients who attended more than j sessions,
/// B_j who missed more than j and N_j who had more than j scheduled,
///
/// log L = sum_j A_j ln(mu (1 - rho) + j rho)
///       + B_j ln((1 - mu)(1 - rho) + j rho) - N_j ln(1 - rho + j rho)
///
/// (constants dropped), the binomial at rho = 0.
struct BetaBinomial {
    attended: Vec<f64>,
    missed: Vec<f64>,
    scheduled: Vec<f64>,
}

impl BetaBinomial {
    fn new(patients: &[(u32, u32)]) -> Self {
        let len = patients.iter().map(|p| p.1 as usize).max().unwrap_or(0);
        let mut t = BetaBinomial {
            attended: vec![0.0; len + 1],
            missed: vec![0.0; len + 1],
            scheduled: vec![0.0; len + 1],
        };
        // Counts at exactly a, s - a and s, then tails summed downwards.
        for &(a, s) in patients {
            t.attended[a as usize] += 1.0;
            t.missed[(s - a) as usize] += 1.0;
            t.scheduled[s as usize] += 1.0;
        }
        for v in [&mut t.attended, &mut t.missed, &mut t.scheduled] {
            // v[j] becomes the count above j.
            let mut above = 0.0;
            for x in v.iter_mut().rev() {
                let here = *x;
                *x = above;
                above += here;
            }
        }
        t
    }

    fn log_lik(&self, mu: f64, rho: f64) -> f64 {
        let mut sum = 0.0;
        for j in 0..self.scheduled.len() {
            let jr = j as f64 * rho;
            if self.attended[j] > 0.0 {
                sum += self.attended[j] * (mu * (1.0 - rho) + jr).ln();
            }
            if self.missed[j] > 0.0 {
                sum += self.missed[j] * ((1.0 - mu) * (1.0 - rho) + jr).ln();
            }
            if self.scheduled[j] > 0.0 {
                sum -= self.scheduled[j] * (1.0 - rho + jr).ln();
            }
        }
        if sum.is_nan() {
            f64::NEG_INFINITY
        } else {
            sum
        }
    }

    /// The best mu for a given rho (the log-likelihood is concave in mu).
    fn best_mu(&self, rho: f64) -> (f64, f64) {
        maximize(|mu| self.log_lik(mu, rho), 0.0, 1.0)
    }

    /// The best rho for a given mu.
    fn best_rho(&self, mu: f64) -> (f64, f64) {
        // On sqrt(rho): finer where the spreads of interest are.
        let (t, l) = maximize(|t| self.log_lik(mu, t * t), 0.0, RHO_MAX.sqrt());
        (t * t, l)
    }

    /// The profile log-likelihood of the sd: the best mean with
    /// rho = sd^2 / (mu (1 - mu)) below 1.
    fn profile_sd(&self, sd: f64) -> f64 {
        if sd <= 0.0 {
            return self.best_mu(0.0).1;
        }
        let d = 1.0 - 4.0 * sd * sd / RHO_MAX;
        if d <= 0.0 {
            return f64::NEG_INFINITY;
        }
        let (lo, hi) = ((1.0 - d.sqrt()) / 2.0, (1.0 + d.sqrt()) / 2.0);
        maximize(
            |mu| self.log_lik(mu, (sd * sd / (mu * (1.0 - mu))).min(RHO_MAX)),
            lo,
            hi,
        )
        .1
    }
}

/// The maximum of `f` over [lo, hi]: a grid of 48 points, then a golden
/// section search in the cells on each side of the best of them, the ends
/// themselves kept when best. Deterministic.
fn maximize(f: impl Fn(f64) -> f64, lo: f64, hi: f64) -> (f64, f64) {
    const GRID: usize = 48;
    let at = |i: usize| lo + (hi - lo) * i as f64 / GRID as f64;
    let mut best = (lo, f(lo));
    let mut best_i = 0;
    for i in 1..=GRID {
        let x = at(i);
        let v = f(x);
        if v > best.1 {
            best = (x, v);
            best_i = i;
        }
    }
    let (mut a, mut b) = (at(best_i.saturating_sub(1)), at((best_i + 1).min(GRID)));
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..80 {
        if fc >= fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
        if b - a < 1e-12 {
            break;
        }
    }
    for (x, v) in [(c, fc), (d, fd)] {
        if v > best.1 {
            best = (x, v);
        }
    }
    best
}

/// Where `f` (within the interval at `inside`, not at `outside`) crosses
/// out of it: bisection, `f(x) >= cut` inside.
fn crossing(f: impl Fn(f64) -> f64, cut: f64, mut inside: f64, mut outside: f64) -> f64 {
    for _ in 0..60 {
        let mid = (inside + outside) / 2.0;
        if f(mid) >= cut {
            inside = mid;
        } else {
            outside = mid;
        }
        if (inside - outside).abs() < 1e-10 {
            break;
        }
    }
    inside
}

/// The mean and between-patient spread of attendance from each patient's
/// (sessions attended, sessions scheduled); patients with no sessions
/// scheduled are left out. At least 2 patients.
///
/// Each patient's probability p_i is a draw from a beta with mean mu and
/// rho = 1 / (alpha + beta + 1); given p_i, each session is attended with
/// probability p_i. The fit maximizes the beta-binomial likelihood of the
/// counts (see `BetaBinomial`); the spread is sqrt(rho mu (1 - mu)), the
/// beta's sd. Each interval is where the profile log-likelihood is within
/// chi-square(1, 0.95) / 2 of its maximum.
///
/// Why not the shares' moments: a visit's length may depend on its own
/// attendance (an administrative discharge on the n-th absence in a row,
/// completion after k attended sessions, the records' end), and then a
/// visit's share a / s is biased for its p_i (a visit ended by absences is
/// low by construction), so the shares' spread overstates the beta's. But
/// such an end is a stopping time: whether a visit goes on depends only on
/// the sessions so far (and on chances that do not involve p_i), so the
/// probability of the observed sequence given p_i is still
/// p_i^a (1 - p_i)^(s - a) times factors free of p_i, and the likelihood
/// of (alpha, beta) is the beta-binomial's in the counts: the stopping
/// rule does not bias the maximum-likelihood fit.
pub fn attendance(patients: &[(u32, u32)]) -> Result<Attendance, EstimateError> {
    if let Some(&(a, s)) = patients.iter().find(|(a, s)| a > s) {
        return Err(invalid(format!(
            "{a} sessions attended of {s} scheduled: more attended than scheduled"
        )));
    }
    let used: Vec<(u32, u32)> = patients.iter().copied().filter(|p| p.1 > 0).collect();
    let k = used.len();
    if k < 2 {
        return Err(invalid(format!(
            "attendance needs at least 2 patients with sessions scheduled; got {k}"
        )));
    }
    let bb = BetaBinomial::new(&used);
    // The maximum: over rho (on its square root), the best mu for each.
    let (t, top) = maximize(|t| bb.best_mu(t * t).1, 0.0, RHO_MAX.sqrt());
    let rho = t * t;
    let mu = bb.best_mu(rho).0;
    let cut = top - PROFILE_DROP;
    // The mean's profile: the best rho at each mu.
    let prof_mu = |m: f64| bb.best_rho(m).1;
    let low = if prof_mu(0.0) >= cut {
        0.0
    } else {
        crossing(prof_mu, cut, mu, 0.0)
    };
    let high = if prof_mu(1.0) >= cut {
        1.0
    } else {
        crossing(prof_mu, cut, mu, 1.0)
    };
    let sd = (rho * mu * (1.0 - mu)).sqrt();
    let prof_sd = |s: f64| bb.profile_sd(s);
    let sd_max = 0.5 * RHO_MAX.sqrt();
    let sd_low = if prof_sd(0.0) >= cut {
        0.0
    } else {
        crossing(prof_sd, cut, sd, 0.0)
    };
    let sd_high = if prof_sd(sd_max) >= cut {
        sd_max
    } else {
        crossing(prof_sd, cut, sd, sd_max)
    };
    let beta = (rho > 0.0 && mu > 0.0 && mu < 1.0).then(|| {
        let total = 1.0 / rho - 1.0;
        (mu * total, (1.0 - mu) * total)
    });
    Ok(Attendance {
        mean: Estimate {
            value: mu,
            low: low.min(mu),
            high: high.max(mu),
            n: k as u64,
        },
        spread: Estimate {
            value: sd,
            low: sd_low.min(sd),
            high: sd_high.max(sd),
            n: k as u64,
        },
        rho,
        beta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    macro_rules! assert_close {
        ($a:expr, $b:expr, $tol:expr) => {{
            let (a, b): (f64, f64) = ($a, $b);
            assert!(
                close(a, b, $tol),
                "{} = {a}, expected {b} (+- {})",
                stringify!($a),
                $tol
            );
        }};
    }

    /// Freireich et al. (1963), 6-MP arm, weeks in remission (n = 21);
    /// `false`: censored (still in remission).
    fn six_mp() -> Vec<Observation> {
        [
            (6, true),
            (6, true),
            (6, true),
            (6, false),
            (7, true),
            (9, false),
            (10, true),
            (10, false),
            (11, false),
            (13, true),
            (16, true),
            (17, false),
            (19, false),
            (20, false),
            (22, true),
            (23, true),
            (25, false),
            (32, false),
            (32, false),
            (34, false),
            (35, false),
        ]
        .iter()
        .map(|&(t, e)| Observation {
            time: f64::from(t),
            event: e,
        })
        .collect()
    }

    #[test]
    fn kaplan_meier_reproduces_the_6mp_worked_example() {
        // By hand, n at risk just before each event time, d events:
        //  t   n  d  S = prod(1 - d/n)             Greenwood sum d/(n(n-d))
        //  6  21  3  18/21          = 0.857143     3/(21*18) = 0.0079365
        //  7  17  1  0.857143*16/17 = 0.806723     + 1/(17*16) = 0.0116130
        // 10  15  1  *14/15         = 0.752941     + 1/(15*14) = 0.0163749
        // 13  12  1  *11/12         = 0.690196     + 1/(12*11) = 0.0239506
        // 16  11  1  *10/11         = 0.627451     + 1/(11*10) = 0.0330415
        // 22   7  1  *6/7           = 0.537815     + 1/(7*6)   = 0.0568511
        // 23   6  1  *5/6           = 0.448179     + 1/(6*5)   = 0.0901844
        // (the 6* censored at 6 is at risk for the three events at 6, and
        // the 9*, 10*, 11*, 17*, 19*, 20* drop out of the risk set between.)
        // Greenwood SE = S sqrt(sum): at 6, 0.857143 * sqrt(0.0079365) =
        // 0.857143 * 0.089087 = 0.07636; at 23, 0.448179 * sqrt(0.0901844)
        // = 0.448179 * 0.300307 = 0.13459: the published 0.0764 and 0.1346.
        let km = KaplanMeier::fit(&six_mp()).unwrap();
        assert_eq!((km.n, km.events), (21, 9));
        let expected = [
            (6.0, 21, 3, 0.857143),
            (7.0, 17, 1, 0.806723),
            (10.0, 15, 1, 0.752941),
            (13.0, 12, 1, 0.690196),
            (16.0, 11, 1, 0.627451),
            (22.0, 7, 1, 0.537815),
            (23.0, 6, 1, 0.448179),
        ];
        assert_eq!(km.steps.len(), expected.len());
        for (s, &(t, n, d, surv)) in km.steps.iter().zip(&expected) {
            assert_eq!((s.time, s.at_risk, s.events), (t, n, d));
            assert_close!(s.survival, surv, 5e-7);
        }
        // The published three-decimal figures.
        for (t, surv) in [
            (6.0, 0.857),
            (7.0, 0.807),
            (10.0, 0.753),
            (13.0, 0.690),
            (16.0, 0.627),
            (22.0, 0.538),
            (23.0, 0.448),
        ] {
            assert_close!(km.survival(t), surv, 5e-4);
        }
        assert_eq!(km.steps[0].censored, 1);
        assert_close!(km.steps[0].se, 0.0764, 5e-5);
        assert_close!(km.steps[6].se, 0.1346, 5e-5);
        // Between and before event times the curve holds.
        assert_eq!(km.survival(5.9), 1.0);
        assert_close!(km.survival(21.9), 0.627451, 5e-7);
        assert_close!(km.survival(100.0), 0.448179, 5e-7);
        // Log-log band at 6: v = 0.0079365 / ln(0.857143)^2 = 0.0079365 /
        // 0.0237634 = 0.333981, sqrt 0.577911; S^exp(+-1.96 * 0.577911) =
        // 0.857143^3.10270 = 0.61972 and 0.857143^0.32229 = 0.95155 (R:
        // survfit(conf.type = "log-log") prints 0.620 and 0.952).
        assert_close!(km.steps[0].low, 0.61972, 5e-5);
        assert_close!(km.steps[0].high, 0.95155, 5e-5);
        // At 23: 0.188 to 0.680 (R: 0.188, 0.680).
        assert_close!(km.steps[6].low, 0.18805, 5e-5);
        assert_close!(km.steps[6].high, 0.68014, 5e-5);
        // Median: S first <= 1/2 at 23. Its interval: the band's lower end
        // is first <= 1/2 at 13 (0.43161; 0.50320 at 10), its upper end never
        // (0.680 at the last event): 13 to not reached, as R reports.
        let median = km.median().unwrap();
        assert_eq!((median.value, median.low, median.n), (23.0, 13.0, 21));
        assert_eq!(median.high, f64::INFINITY);
        assert_close!(km.steps[3].low, 0.43161, 5e-5);
        assert_close!(km.steps[2].low, 0.50320, 5e-5);
    }

    #[test]
    fn kaplan_meier_ties_put_events_before_censorings() {
        // At t = 1 one event and one censoring among 3: the censored one is
        // at risk for the event, S(1) = 1 - 1/3 (not 1 - 1/2); then the one
        // left has its event at 2, S = 0, band [0, 0].
        let km = KaplanMeier::fit(&[
            Observation::censored(1.0),
            Observation::event(1.0),
            Observation::event(2.0),
        ])
        .unwrap();
        assert_close!(km.survival(1.0), 2.0 / 3.0, 1e-12);
        assert_eq!(km.steps[0].at_risk, 3);
        assert_eq!(km.steps[1].at_risk, 1);
        assert_eq!(km.survival(2.0), 0.0);
        assert_eq!(
            (km.steps[1].low, km.steps[1].high, km.steps[1].se),
            (0.0, 0.0, 0.0)
        );
        // Median: S(1) = 2/3 > 1/2, S(2) = 0: 2.
        assert_eq!(km.median().unwrap().value, 2.0);
    }

    #[test]
    fn kaplan_meier_edge_cases() {
        assert_eq!(KaplanMeier::fit(&[]), Err(EstimateError::Empty));
        assert!(KaplanMeier::fit(&[Observation::event(f64::NAN)]).is_err());
        assert!(KaplanMeier::fit(&[Observation::event(-1.0)]).is_err());
        // All censored: no steps, S = 1, no median.
        let km = KaplanMeier::fit(&[Observation::censored(3.0); 4]).unwrap();
        assert!(km.steps.is_empty());
        assert_eq!(km.survival(10.0), 1.0);
        assert_eq!(km.median(), None);
    }

    proptest! {
        /// Without censoring Kaplan-Meier is the empirical survival
        /// function: S(t) = #(T > t) / n, at every event time and between.
        #[test]
        fn kaplan_meier_without_censoring_is_the_empirical_survival(
            times in proptest::collection::vec(0u32..40, 1..60)
        ) {
            let obs: Vec<Observation> = times.iter().map(|&t| Observation::event(f64::from(t))).collect();
            let km = KaplanMeier::fit(&obs).unwrap();
            let n = times.len() as f64;
            for t in 0..42 {
                let t = f64::from(t) + 0.5 * f64::from(t % 2);
                let empirical = times.iter().filter(|&&x| f64::from(x) > t).count() as f64 / n;
                prop_assert!((km.survival(t) - empirical).abs() < 1e-9);
            }
            for s in &km.steps {
                prop_assert!(s.low <= s.survival + 1e-12 && s.survival <= s.high + 1e-12);
                prop_assert!((0.0..=1.0).contains(&s.low) && (0.0..=1.0).contains(&s.high));
            }
        }

        /// Censoring never makes S(t) rise, and it stays in [0, 1].
        #[test]
        fn kaplan_meier_is_a_non_increasing_share(
            obs in proptest::collection::vec((0u32..30, any::<bool>()), 1..60)
        ) {
            let obs: Vec<Observation> = obs.iter().map(|&(t, e)| Observation { time: f64::from(t), event: e }).collect();
            let km = KaplanMeier::fit(&obs).unwrap();
            let mut last = 1.0;
            for s in &km.steps {
                prop_assert!(s.survival <= last && s.survival >= 0.0);
                last = s.survival;
            }
        }

        /// The weekly life table and Kaplan-Meier agree where they should:
        /// with censoring only at whole weeks (completions), the product of
        /// (1 - hazard) over weeks 0 to k is S(7 (k + 1)).
        #[test]
        fn life_table_agrees_with_kaplan_meier_at_whole_weeks(
            events in proptest::collection::vec(1u32..100, 0..40),
            completions in proptest::collection::vec(1u32..15, 0..40),
        ) {
            let mut obs: Vec<Observation> = events.iter().map(|&d| Observation::event(f64::from(d))).collect();
            obs.extend(completions.iter().map(|&w| Observation::censored(f64::from(7 * w))));
            prop_assume!(!obs.is_empty());
            let rows = life_table(&obs, 1).unwrap();
            let km = KaplanMeier::fit(&obs).unwrap();
            let mut s = 1.0;
            for r in &rows {
                prop_assert_eq!(r.first_week, r.last_week);
                s *= 1.0 - r.hazard.value;
                let t = 7.0 * f64::from(r.last_week + 1);
                prop_assert!((s - km.survival(t)).abs() < 1e-9, "week {}: {} vs {}", r.last_week, s, km.survival(t));
            }
        }

        /// Wilson's interval holds the share and stays in [0, 1].
        #[test]
        fn wilson_contains_the_share(n in 1u64..500, k in 0u64..500) {
            let k = k.min(n);
            let e = proportion(k, n).unwrap();
            prop_assert!(e.low <= e.value + 1e-12 && e.value <= e.high + 1e-12);
            prop_assert!(e.low >= 0.0 && e.high <= 1.0);
        }
    }

    #[test]
    fn wilson_by_hand() {
        // 3 of 10: p = 0.3, z^2 = 3.841459; denominator 1 + z^2/10 =
        // 1.384146; centre (0.3 + 0.192073) / 1.384146 = 0.355506; half
        // 1.959964 / 1.384146 * sqrt(0.3 * 0.7 / 10 + 3.841459 / 400) =
        // 1.416009 * sqrt(0.030604) = 0.247715: 0.10779 to 0.60322.
        let e = proportion(3, 10).unwrap();
        assert_close!(e.value, 0.3, 1e-12);
        assert_close!(e.low, 0.10779, 5e-5);
        assert_close!(e.high, 0.60322, 5e-5);
        assert_eq!(e.n, 10);
        // 0 of 10: from 0 to z^2 / (n + z^2) = 3.841459 / 13.841459 = 0.27753.
        let e = proportion(0, 10).unwrap();
        assert_eq!(e.low, 0.0);
        assert_close!(e.high, 0.27753, 5e-5);
        // 10 of 10: the mirror image.
        let e = proportion(10, 10).unwrap();
        assert_close!(e.low, 1.0 - 0.27753, 5e-5);
        assert_eq!(e.high, 1.0);
        assert_eq!(proportion(0, 0), Err(EstimateError::Empty));
        assert!(proportion(11, 10).is_err());
    }

    #[test]
    fn poisson_garwood_by_hand() {
        // k = 0: upper chi2(0.975; 2) / 2 = -ln(0.025) = 3.688879.
        let e = poisson_rate(0, 1.0).unwrap();
        assert_eq!((e.value, e.low, e.n), (0.0, 0.0, 0));
        assert_close!(e.high, 3.688879, 1e-5);
        // k = 1: lower chi2(0.025; 2) / 2 = -ln(0.975) = 0.025318; upper
        // chi2(0.975; 4) / 2 = 5.571643 (Garwood's table).
        let e = poisson_rate(1, 1.0).unwrap();
        assert_close!(e.low, 0.025318, 1e-5);
        assert_close!(e.high, 5.571643, 1e-5);
        // k = 10 over 2 (e.g. referrals over 2 weeks): 5 per week, exact
        // interval 4.795389 / 2 to 18.390356 / 2.
        let e = poisson_rate(10, 2.0).unwrap();
        assert_close!(e.value, 5.0, 1e-12);
        assert_close!(e.low, 4.795389 / 2.0, 1e-5);
        assert_close!(e.high, 18.390356 / 2.0, 1e-5);
        assert_eq!(e.n, 10);
        assert!(poisson_rate(1, 0.0).is_err());
        assert!(poisson_rate(1, f64::NAN).is_err());
    }

    #[test]
    fn life_table_by_hand() {
        // Dropouts (events) at days 3, 10, 10, 20; censored at 56, 56
        // (completed 8 weeks), 52 (horizon), 14 (stepped up, another cause).
        // Event weeks: 3 -> week 0; 10 -> ceil(10/7) - 1 = 1; 20 -> 2.
        // Censored: whole weeks 8, 8, 7, 2.
        // At risk: week 0: 8; week 1: 3 events + 4 censored = 7; week 2:
        // the event at 20 + 56, 56, 52 = 4; weeks 3-6: 3; week 7: 2.
        // Events: 1, 2, 1, 0...
        let obs = [
            Observation::event(3.0),
            Observation::event(10.0),
            Observation::event(10.0),
            Observation::event(20.0),
            Observation::censored(56.0),
            Observation::censored(56.0),
            Observation::censored(52.0),
            Observation::censored(14.0),
        ];
        let rows = life_table(&obs, 1).unwrap();
        let got: Vec<(u32, u32, u64, u64)> = rows
            .iter()
            .map(|r| (r.first_week, r.last_week, r.at_risk, r.events))
            .collect();
        assert_eq!(
            got,
            [
                (0, 0, 8, 1),
                (1, 1, 7, 2),
                (2, 2, 4, 1),
                (3, 3, 3, 0),
                (4, 4, 3, 0),
                (5, 5, 3, 0),
                (6, 6, 3, 0),
                (7, 7, 2, 0)
            ]
        );
        assert_close!(rows[1].hazard.value, 2.0 / 7.0, 1e-12);
        assert_eq!(rows[1].hazard, proportion(2, 7).unwrap());
        // Pooled to at least 6 at risk: week 0 (8), week 1 (7), weeks 2-3
        // (4 + 3 = 7, 1 event), weeks 4-5 (3 + 3 = 6), then weeks 6-7 (3 + 2
        // = 5 < 6) join the row before: weeks 4-7, 11 patient-weeks, 0 events.
        let rows = life_table(&obs, 6).unwrap();
        let got: Vec<(u32, u32, u64, u64)> = rows
            .iter()
            .map(|r| (r.first_week, r.last_week, r.at_risk, r.events))
            .collect();
        assert_eq!(
            got,
            [(0, 0, 8, 1), (1, 1, 7, 2), (2, 3, 7, 1), (4, 7, 11, 0)]
        );
        assert_close!(rows[2].hazard.value, 1.0 / 7.0, 1e-12);
        // A threshold above everything: one row.
        let rows = life_table(&obs, 1000).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (
                rows[0].first_week,
                rows[0].last_week,
                rows[0].at_risk,
                rows[0].events
            ),
            (0, 7, 33, 4)
        );
        assert_eq!(life_table(&[], 5), Err(EstimateError::Empty));
        assert!(life_table(&[Observation::event(1e9)], 5).is_err());
        // An event at day 0 counts in week 0; a censoring at day 0 is at risk nowhere.
        let rows = life_table(&[Observation::event(0.0), Observation::censored(0.0)], 1).unwrap();
        assert_eq!((rows.len(), rows[0].at_risk, rows[0].events), (1, 1, 1));
    }

    /// The beta-binomial log-likelihood by its definition (with ln_gamma),
    /// the binomial coefficients dropped: an independent check of
    /// Griffiths' form.
    fn beta_binomial_by_gamma(patients: &[(u32, u32)], mu: f64, rho: f64) -> f64 {
        use statrs::function::gamma::ln_gamma;
        let total = 1.0 / rho - 1.0;
        let (al, be) = (mu * total, (1.0 - mu) * total);
        let ln_b = |x: f64, y: f64| ln_gamma(x) + ln_gamma(y) - ln_gamma(x + y);
        patients
            .iter()
            .map(|&(a, s)| ln_b(al + f64::from(a), be + f64::from(s - a)) - ln_b(al, be))
            .sum()
    }

    #[test]
    fn attendance_likelihood_is_the_beta_binomials() {
        let p = [(8, 10), (6, 10), (10, 10), (4, 10), (2, 3), (0, 1)];
        let bb = BetaBinomial::new(&p);
        for (mu, rho) in [(0.7, 0.2), (0.3, 0.05), (0.9, 0.6)] {
            assert_close!(
                bb.log_lik(mu, rho),
                beta_binomial_by_gamma(&p, mu, rho),
                1e-9
            );
        }
        // rho = 0: the binomial.
        let binomial: f64 = p
            .iter()
            .map(|&(a, s)| f64::from(a) * 0.7f64.ln() + f64::from(s - a) * 0.3f64.ln())
            .sum();
        assert_close!(bb.log_lik(0.7, 0.0), binomial, 1e-9);
    }

    #[test]
    fn attendance_by_hand() {
        // Four patients of 10 sessions each: 8, 6, 10, 4 attended, and one
        // with none scheduled (left out).
        let p = [(8, 10), (6, 10), (10, 10), (4, 10)];
        let mut with_none = p.to_vec();
        with_none.push((0, 0));
        let a = attendance(&with_none).unwrap();
        assert_eq!((a.mean.n, a.spread.n), (4, 4));
        // The maximum, against a fine grid of the likelihood by ln_gamma.
        let mut grid = (f64::NEG_INFINITY, 0.0, 0.0);
        for i in 1..400 {
            for j in 1..400 {
                let (mu, rho) = (f64::from(i) / 400.0, f64::from(j) / 800.0);
                let l = beta_binomial_by_gamma(&p, mu, rho);
                if l > grid.0 {
                    grid = (l, mu, rho);
                }
            }
        }
        assert_close!(a.mean.value, grid.1, 2.5e-3);
        assert_close!(a.rho, grid.2, 2.5e-3);
        let top = beta_binomial_by_gamma(&p, a.mean.value, a.rho);
        assert!(top >= grid.0 - 1e-9, "{top} below the grid's {}", grid.0);
        assert_close!(
            a.spread.value,
            (a.rho * a.mean.value * (1.0 - a.mean.value)).sqrt(),
            1e-12
        );
        let (al, be) = a.beta.unwrap();
        assert_close!(al / (al + be), a.mean.value, 1e-9);
        assert_close!(1.0 / (al + be + 1.0), a.rho, 1e-9);
        // Each end of the mean's interval: the best over rho there is the
        // maximum less chi-square(1, 0.95) / 2 = 1.920729.
        let profile = |mu: f64| {
            (1..4000)
                .map(|j| beta_binomial_by_gamma(&p, mu, f64::from(j) / 4000.0))
                .fold(f64::NEG_INFINITY, f64::max)
        };
        assert!(a.mean.low < a.mean.value && a.mean.value < a.mean.high);
        assert_close!(profile(a.mean.low), top - 1.920729, 2e-3);
        assert_close!(profile(a.mean.high), top - 1.920729, 2e-3);
        // The sd's: the best over mu at that sd.
        let profile_sd = |sd: f64| {
            (1..4000)
                .map(|i| f64::from(i) / 4000.0)
                .filter(|mu| sd * sd < mu * (1.0 - mu))
                .map(|mu| beta_binomial_by_gamma(&p, mu, sd * sd / (mu * (1.0 - mu))))
                .fold(f64::NEG_INFINITY, f64::max)
        };
        assert!(a.spread.low < a.spread.value && a.spread.value < a.spread.high);
        assert_close!(profile_sd(a.spread.high), top - 1.920729, 2e-3);
        if a.spread.low > 0.0 {
            assert_close!(profile_sd(a.spread.low), top - 1.920729, 2e-3);
        }

        // Shares no more spread than binomial noise: 5, 6, 5, 6 of 10. The
        // maximum is the binomial's (rho = 0, mu = 22 / 40), no beta, and
        // the sd's interval reaches 0.
        let a = attendance(&[(5, 10), (6, 10), (5, 10), (6, 10)]).unwrap();
        assert_close!(a.mean.value, 0.55, 1e-6);
        assert!(a.rho < 1e-8 && a.spread.value < 1e-4, "{a:?}");
        assert_eq!(a.spread.low, 0.0);
        // The mean's interval: at rho = 0 (the best there too), where
        // 22 ln(mu) + 18 ln(1 - mu) falls 1.920729 below its maximum.
        let ll = |mu: f64| 22.0 * mu.ln() + 18.0 * (1.0 - mu).ln();
        assert_close!(ll(a.mean.low), ll(0.55) - 1.920729, 1e-4);
        assert_close!(ll(a.mean.high), ll(0.55) - 1.920729, 1e-4);
        assert!(attendance(&[(5, 10)]).is_err());
        assert!(attendance(&[(11, 10), (1, 2)]).is_err());
        // Everyone always there: the mean 1, its interval up to 1, no beta.
        let a = attendance(&[(10, 10), (4, 4)]).unwrap();
        assert_eq!((a.mean.value, a.mean.high, a.beta), (1.0, 1.0, None));
        assert!(a.mean.low < 1.0 && a.spread.value < 1e-6, "{a:?}");
    }

    /// A beta-Bernoulli simulation with the simulator's stopping rules: a
    /// visit ends on its 3rd absence in a row, or after 36 sessions, or by
    /// a 4% per-session chance of leaving that does not involve
    /// attendance. The shares' spread is inflated by the absence rule; the
    /// likelihood's is not.
    #[test]
    fn attendance_is_unbiased_when_visits_end_on_absences() {
        use rand::{Rng, SeedableRng};
        use rand_distr::{Beta, Distribution};
        let (mean, sd) = (0.8, 0.12);
        let total = mean * (1.0 - mean) / (sd * sd) - 1.0;
        let beta = Beta::new(mean * total, (1.0 - mean) * total).unwrap();
        let mut rng = rand_pcg::Pcg64::seed_from_u64(21);
        let (mut fits, mut shares_sd) = (Vec::new(), Vec::new());
        for _ in 0..20 {
            let mut visits = Vec::new();
            for _ in 0..1500 {
                let p: f64 = beta.sample(&mut rng);
                let (mut a, mut s, mut run) = (0u32, 0u32, 0u32);
                while s < 36 && run < 3 && !rng.random_bool(0.04) {
                    s += 1;
                    if rng.random::<f64>() < p {
                        a += 1;
                        run = 0;
                    } else {
                        run += 1;
                    }
                }
                visits.push((a, s));
            }
            let f = attendance(&visits).unwrap();
            fits.push((f.mean.value, f.spread.value));
            // The shares' sd net of binomial noise (the method of moments).
            let used: Vec<(f64, f64)> = visits
                .iter()
                .filter(|v| v.1 > 0)
                .map(|&(a, s)| (f64::from(a) / f64::from(s), f64::from(s)))
                .collect();
            let k = used.len() as f64;
            let m = used.iter().map(|u| u.0).sum::<f64>() / k;
            let var = used.iter().map(|u| (u.0 - m).powi(2)).sum::<f64>() / (k - 1.0);
            let h = used.iter().map(|u| 1.0 / u.1).sum::<f64>() / k;
            let rho = ((var / (m * (1.0 - m)) - h) / (1.0 - h)).max(0.0);
            shares_sd.push((rho * m * (1.0 - m)).sqrt());
        }
        let n = fits.len() as f64;
        let fit_mean = fits.iter().map(|f| f.0).sum::<f64>() / n;
        let fit_sd = fits.iter().map(|f| f.1).sum::<f64>() / n;
        let moments_sd = shares_sd.iter().sum::<f64>() / n;
        // 20 x 1500 visits: the averages' noise is some 0.001 (mean) and
        // 0.002 (sd).
        assert_close!(fit_mean, mean, 0.005);
        assert_close!(fit_sd, sd, 0.008);
        assert!(moments_sd > sd + 0.02, "the moments' sd {moments_sd}");
    }
}
