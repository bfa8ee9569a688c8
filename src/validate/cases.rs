//! The validation cases: each is an ordinary scenario, written out as TOML
//! and loaded through the scenario parser, plus the quantities to compare
//! and their exact values from [`theory`].
//!
//! Time unit: every queueing case has a mean stay of 1 day, so rates are
//! per mean stay and a week is 7 mean stays. Arrivals are one homogeneous
//! Poisson stream (equal weekday weights, no months, no growth, everyone
//! shows). Warm-up and horizon come from the case's relaxation time
//! ([`horizon`]); the number of trials sets the precision.

use std::fmt::Write as _;

use crate::engine::time::secs_to_days;
use crate::model::result::UnitResult;
use crate::model::rng::{derive, name_key};
use crate::scenario::{self, Admission, Scenario, ScenarioError, UnitKind};

use super::{theory, Estimator};

/// Which cases to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// A few cases with fewer trials: part of `cargo test --release`.
    Fast,
    /// Every case with enough trials for sub-percent confidence intervals.
    Full,
}

/// What is measured in each trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// Mean referral-to-admission wait of those admitted (days): `wait_days`.
    MeanWait,
    /// Time-average number waiting: `waitlist`.
    MeanWaitlist,
    /// Time-average number in care: `census`.
    MeanCensus,
    /// Share of admitted patients who waited at all (wait > 0).
    ShareWaited,
    /// Share of referrals turned away (`turned_away / referrals`).
    ShareTurnedAway,
    /// Share of referrals who gave up waiting (`reneged / referrals`).
    ShareReneged,
    /// Variance across trials of the number in care at the last instant.
    CensusVariance,
    /// Little's law: census against admissions per day x mean stay (days),
    /// both from the same trials.
    LittleCensus,
    /// Mean referral-to-appointment wait of an intake (days).
    IntakeMeanWait,
    /// Share of intake waits of at most `secs` seconds (the theory's P90:
    /// the pooled P90 compared through its CDF, as a ratio of counts).
    IntakeWithin { secs: u64 },
}

impl Quantity {
    pub fn label(self) -> &'static str {
        match self {
            Quantity::MeanWait => "mean wait (days)",
            Quantity::MeanWaitlist => "mean waitlist",
            Quantity::MeanCensus => "mean census",
            Quantity::ShareWaited => "P(wait > 0)",
            Quantity::ShareTurnedAway => "share turned away",
            Quantity::ShareReneged => "share reneged",
            Quantity::CensusVariance => "census variance",
            Quantity::LittleCensus => "census = adm/day x stay",
            Quantity::IntakeMeanWait => "mean intake wait (days)",
            Quantity::IntakeWithin { .. } => "P(intake wait <= theory's P90)",
        }
    }

    /// Short name for the CSV.
    pub fn key(self) -> &'static str {
        match self {
            Quantity::MeanWait => "wait_days",
            Quantity::MeanWaitlist => "waitlist",
            Quantity::MeanCensus => "census",
            Quantity::ShareWaited => "p_wait",
            Quantity::ShareTurnedAway => "share_turned_away",
            Quantity::ShareReneged => "share_reneged",
            Quantity::CensusVariance => "census_variance",
            Quantity::LittleCensus => "little_census",
            Quantity::IntakeMeanWait => "intake_wait_days",
            Quantity::IntakeWithin { .. } => "intake_within_p90",
        }
    }

    /// Mean waits and loss shares: the headline figures, held to 2% at
    /// loads up to 0.9 in the full suite.
    pub fn is_headline(self) -> bool {
        matches!(
            self,
            Quantity::MeanWait | Quantity::ShareTurnedAway | Quantity::ShareReneged
        )
    }

    /// How the trials' components are combined (`days`: the reported window).
    pub fn estimator(self, days: f64) -> Estimator {
        match self {
            Quantity::MeanWaitlist | Quantity::MeanCensus => Estimator::Mean,
            Quantity::MeanWait
            | Quantity::IntakeMeanWait
            | Quantity::IntakeWithin { .. }
            | Quantity::ShareWaited
            | Quantity::ShareTurnedAway
            | Quantity::ShareReneged => Estimator::Ratio,
            Quantity::CensusVariance => Estimator::Variance,
            Quantity::LittleCensus => Estimator::Little { days },
        }
    }

    /// One trial's components for [`Quantity::estimator`]: `[x]` for a
    /// mean or variance, `[y, x]` for a ratio `y / x`, and
    /// `[census, admissions, sum of stays, exits]` for Little's law. All
    /// counts are of the reported window.
    pub fn components(self, u: &UnitResult) -> [f64; 4] {
        let c = &u.counts;
        let admitted = u.wait_secs.len() as f64;
        match self {
            Quantity::MeanWait => [u.waits().sum(), admitted, 0.0, 0.0],
            Quantity::MeanWaitlist => [u.waitlist, 0.0, 0.0, 0.0],
            Quantity::MeanCensus => [u.census, 0.0, 0.0, 0.0],
            Quantity::ShareWaited => [
                u.wait_secs.iter().filter(|&&s| s > 0).count() as f64,
                admitted,
                0.0,
                0.0,
            ],
            Quantity::ShareTurnedAway => [c.turned_away as f64, c.referrals as f64, 0.0, 0.0],
            Quantity::ShareReneged => [c.reneged as f64, c.referrals as f64, 0.0, 0.0],
            Quantity::CensusVariance => [u.in_care_at_end as f64, 0.0, 0.0, 0.0],
            Quantity::LittleCensus => {
                let exits = c.exits() as f64;
                // A bed held with `wait_in_place` after discharge is in the
                // census but not in the (clinical) stay: its bed-days belong
                // to the time in the unit. Zero without `wait_in_place`.
                let stays = if exits > 0.0 {
                    u.mean_stay_days * exits + u.blocked_days
                } else {
                    0.0
                };
                [u.census, c.admitted as f64, stays, exits]
            }
            Quantity::IntakeMeanWait | Quantity::IntakeWithin { .. } => {
                let waits = u.intake.as_ref().map_or(&[][..], |i| &i.wait_secs[..]);
                let n = waits.len() as f64;
                let y = match self {
                    Quantity::IntakeWithin { secs } => {
                        waits.iter().filter(|&&w| w <= secs).count() as f64
                    }
                    _ => waits.iter().map(|&w| secs_to_days(w)).sum(),
                };
                [y, n, 0.0, 0.0]
            }
        }
    }
}

/// One quantity of one case and its exact value (`None` for Little's law,
/// whose prediction comes from the same trials).
#[derive(Debug, Clone)]
pub struct Expect {
    pub quantity: Quantity,
    pub unit: usize,
    pub theory: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Case {
    /// e.g. `M/M/5 rho=0.80`.
    pub id: String,
    /// Servers (beds or seats), where the case has a fixed number.
    pub servers: Option<u32>,
    /// Offered load per server, a / c (blank for M/M/inf and Little's law).
    pub load: Option<f64>,
    pub scenario: Scenario,
    pub expects: Vec<Expect>,
}

/// Warm-up and reported weeks for a relaxation time `tau` (in mean stays,
/// i.e. days): a warm-up of at least 6 tau removes the start from empty
/// (its effect decays like exp(-t / tau)), and the window is long against
/// tau so each trial's average is close to the steady-state mean.
pub fn horizon(tau: f64, min_weeks: u32) -> (u32, u32) {
    let warmup = ((6.0 * tau / 7.0).ceil() as u32).clamp(2, 2600);
    let weeks = ((40.0 * tau / 7.0).ceil() as u32).clamp(min_weeks, 5200 - warmup);
    (warmup, weeks)
}

/// Relaxation time of M/M/c in mean stays, 1 / (sqrt(c) - sqrt(a))^2: exact
/// for M/M/1 (the spectral gap (1 - sqrt(rho))^2 mu), the standard
/// approximation for c servers; it grows like 4 / (c (1 - rho)^2) near
/// saturation.
pub fn relaxation_mmc(c: u32, a: f64) -> f64 {
    1.0 / (f64::from(c).sqrt() - a.sqrt()).powi(2)
}

/// How long and how often a case is simulated.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub warmup: u32,
    pub weeks: u32,
    pub trials: u32,
    pub seed: u64,
}

impl Run {
    fn new((warmup, weeks): (u32, u32), trials: u32, seed: u64) -> Run {
        Run {
            warmup,
            weeks,
            trials,
            seed,
        }
    }
}

/// Each case gets its own seed, derived from the run's seed and the case's
/// name, so that cases are independent: one unlucky stream of random
/// numbers cannot push every case the same way. 62 bits: TOML integers are
/// signed 64-bit.
fn case_seed(seed: u64, id: &str) -> u64 {
    derive(&[seed, name_key(id)]) >> 2
}

fn header(out: &mut String, id: &str, run: &Run, per_day: f64, unit: &str) {
    let _ = write!(
        out,
        "name = \"validation\"\n\
         description = \"{id}\"\n\
         [simulation]\n\
         start_date = \"2027-01-04\"\n\
         weeks = {}\n\
         warmup_weeks = {}\n\
         trials = {}\n\
         seed = {}\n\
         [[referrals]]\n\
         name = \"poisson\"\n\
         to = \"{unit}\"\n\
         per_week = {:?}\n",
        run.weeks,
        run.warmup,
        run.trials,
        run.seed,
        per_day * 7.0
    );
}

/// A bed unit of `c` beds fed by Poisson arrivals of `a` per mean stay.
pub fn beds_toml(id: &str, run: &Run, c: u32, a: f64, stay: &str, waitlist: &str) -> String {
    let mut t = String::new();
    header(&mut t, id, run, a, "beds");
    let _ = write!(
        t,
        "[[units]]\n\
         name = \"beds\"\n\
         kind = \"beds\"\n\
         capacity = {c}\n\
         stay = {stay}\n\
         {waitlist}\n"
    );
    t
}

/// A session unit admitting continuously: `groups` groups of `size` seats,
/// exponential episodes of mean 1 day, Poisson arrivals of `a` per day.
pub fn sessions_toml(id: &str, run: &Run, groups: u32, size: u32, a: f64) -> String {
    let mut t = String::new();
    header(&mut t, id, run, a, "iop");
    let _ = write!(
        t,
        "[[units]]\n\
         name = \"iop\"\n\
         kind = \"sessions\"\n\
         admission = \"continuous\"\n\
         episode = {{ dist = \"exponential\", mean = 1 }}\n\
         [[units.tracks]]\n\
         name = \"day\"\n\
         days = [\"mon\"]\n\
         start = \"10:00\"\n\
         hours = 3\n\
         groups = {groups}\n\
         group_size = {size}\n"
    );
    t
}

/// Exponential stays of mean 1 day: the time unit of every queueing case.
pub const EXP_STAY: &str = "{ dist = \"exponential\", mean = 1 }";

fn load(id: &str, toml: &str) -> Result<Scenario, ScenarioError> {
    scenario::load_str(toml, &format!("validation case '{id}'"), &[])
}

fn expect(quantity: Quantity, theory: f64) -> Expect {
    Expect {
        quantity,
        unit: 0,
        theory: Some(theory),
    }
}

/// M/M/c, unlimited waitlist: Erlang C.
fn erlang_c_case(c: u32, rho: f64, trials: u32, seed: u64) -> Result<Case, ScenarioError> {
    let a = rho * f64::from(c);
    let id = format!("M/M/{c} rho={rho:.2}");
    let weeks = horizon(relaxation_mmc(c, a), 52);
    let seed = case_seed(seed, &id);
    let m = theory::mmc(c, a, 1.0);
    Ok(Case {
        scenario: load(
            &id,
            &beds_toml(&id, &Run::new(weeks, trials, seed), c, a, EXP_STAY, ""),
        )?,
        id,
        servers: Some(c),
        load: Some(rho),
        expects: vec![
            expect(Quantity::MeanWait, m.mean_wait),
            expect(Quantity::MeanWaitlist, m.mean_queue),
            expect(Quantity::MeanCensus, m.mean_busy),
            expect(Quantity::ShareWaited, m.p_wait),
        ],
    })
}

/// M/G/c/c, no waiting at all: Erlang B, for any stay distribution with
/// mean 1. `lognormal_sd`: lognormal stays with that sd instead of exponential.
fn erlang_b_case(
    c: u32,
    a: f64,
    lognormal_sd: Option<f64>,
    trials: u32,
    seed: u64,
) -> Result<Case, ScenarioError> {
    let (id, stay) = match lognormal_sd {
        None => (format!("M/M/{c}/{c} a={a}"), EXP_STAY.to_string()),
        Some(sd) => (
            format!("M/G/{c}/{c} a={a} lognormal sd={sd}"),
            format!("{{ dist = \"lognormal\", mean = 1, sd = {sd:?} }}"),
        ),
    };
    // A loss system forgets its empty start within a few stays. Lognormal
    // stays with sd 2 have a long tail (1 in 1000 exceeds 22 days), so they
    // get 4 weeks (28 mean stays) instead of 2.
    let warmup = if lognormal_sd.is_some() { 4 } else { 2 };
    let seed = case_seed(seed, &id);
    let b = theory::erlang_b(c, a);
    let run = Run::new((warmup, 52), trials, seed);
    let toml = beds_toml(&id, &run, c, a, &stay, "waitlist = { capacity = 0 }");
    Ok(Case {
        scenario: load(&id, &toml)?,
        id,
        servers: Some(c),
        load: Some(a / f64::from(c)),
        expects: vec![
            expect(Quantity::ShareTurnedAway, b),
            expect(Quantity::MeanCensus, a * (1.0 - b)),
        ],
    })
}

/// M/M/c+M: exponential patience with mean `patience` days (Erlang A).
fn erlang_a_case(
    c: u32,
    rho: f64,
    patience: f64,
    trials: u32,
    seed: u64,
) -> Result<Case, ScenarioError> {
    let a = rho * f64::from(c);
    // Abandonment bounds the queue: above saturation the backlog drains at
    // the patience rate, so the relaxation time is a few patiences; below it,
    // no longer than M/M/c's.
    let tau = if rho < 1.0 {
        relaxation_mmc(c, a).min(4.0 * patience + 1.0)
    } else {
        4.0 * patience + 1.0
    };
    let id = format!("M/M/{c}+M rho={rho:.2} patience={patience}");
    let seed = case_seed(seed, &id);
    let e = theory::erlang_a(c, a, 1.0, 1.0 / patience);
    let waitlist =
        format!("waitlist = {{ patience = {{ dist = \"exponential\", mean = {patience:?} }} }}");
    let run = Run::new(horizon(tau, 52), trials, seed);
    let toml = beds_toml(&id, &run, c, a, EXP_STAY, &waitlist);
    Ok(Case {
        scenario: load(&id, &toml)?,
        id,
        servers: Some(c),
        load: Some(rho),
        expects: vec![
            expect(Quantity::ShareReneged, e.p_abandon),
            expect(Quantity::MeanWait, e.mean_wait_served),
            expect(Quantity::MeanWaitlist, e.mean_queue),
            expect(Quantity::MeanCensus, e.mean_busy),
        ],
    })
}

/// M/M/inf: beds far above the load, so the census is Poisson(a): its mean
/// (time average) and its variance (across trials, at the last instant) are a.
fn infinite_case(a: f64, trials: u32, seed: u64) -> Result<Case, ScenarioError> {
    // P(census >= beds) is below 1e-30 for these loads.
    let beds = (a + 20.0 * a.sqrt() + 40.0).ceil() as u32;
    let id = format!("M/M/inf a={a}");
    let seed = case_seed(seed, &id);
    // From empty, the census at time t is Poisson with mean a (1 - e^-t): a
    // one-week warm-up (7 mean stays) leaves it within e^-7 = 0.1% of a, and
    // the census at the end (14 stays) within 1e-6.
    let toml = beds_toml(&id, &Run::new((1, 1), trials, seed), beds, a, EXP_STAY, "");
    Ok(Case {
        scenario: load(&id, &toml)?,
        id,
        servers: None,
        load: None,
        expects: vec![
            expect(Quantity::MeanCensus, a),
            expect(Quantity::CensusVariance, a),
        ],
    })
}

/// A session unit with continuous admission and exponential episodes is
/// M/M/c with c = seats.
fn sessions_case(
    groups: u32,
    size: u32,
    rho: f64,
    trials: u32,
    seed: u64,
) -> Result<Case, ScenarioError> {
    let c = groups * size;
    let a = rho * f64::from(c);
    let id = format!("sessions {groups}x{size} continuous rho={rho:.2}");
    let seed = case_seed(seed, &id);
    let weeks = horizon(relaxation_mmc(c, a), 52);
    let m = theory::mmc(c, a, 1.0);
    Ok(Case {
        scenario: load(
            &id,
            &sessions_toml(&id, &Run::new(weeks, trials, seed), groups, size, a),
        )?,
        id,
        servers: Some(c),
        load: Some(rho),
        expects: vec![
            expect(Quantity::MeanWait, m.mean_wait),
            expect(Quantity::MeanWaitlist, m.mean_queue),
            expect(Quantity::MeanCensus, m.mean_busy),
            expect(Quantity::ShareWaited, m.p_wait),
        ],
    })
}

/// An intake with one appointment a weekday at 09:00 and Poisson
/// referrals of 4 a week (load 0.8), everyone showing, no holidays, seats
/// to spare: its referral-to-appointment waits against the slotted
/// server's exact distribution ([`theory::slotted_wait`]).
fn intake_case(trials: u32, seed: u64) -> Result<Case, ScenarioError> {
    let theory = theory::intake_case_theory();
    let id = "intake 1 slot/weekday rho=0.80".to_string();
    let seed = case_seed(seed, &id);
    let (warmup, weeks) = horizon(theory.relaxation_days, 52);
    let mut t = String::new();
    header(
        &mut t,
        &id,
        &Run::new((warmup, weeks), trials, seed),
        4.0 / 7.0,
        "iop",
    );
    t.push_str(
        "[[units]]\n\
         name = \"iop\"\n\
         kind = \"sessions\"\n\
         episode = { weeks = 1 }\n\
         intake = { slots = [1, 1, 1, 1, 1, 0, 0], at = \"09:00\" }\n\
         [[units.tracks]]\n\
         name = \"day\"\n\
         days = [\"mon\"]\n\
         start = \"10:00\"\n\
         hours = 3\n\
         group_size = 1000\n",
    );
    // Whole seconds: a wait of at most the P90 rounded down.
    let p90_secs = (theory.p90_days * 86_400.0).floor() as u64;
    Ok(Case {
        scenario: load(&id, &t)?,
        id,
        servers: Some(1),
        load: Some(theory.slot_utilization),
        expects: vec![
            expect(Quantity::IntakeMeanWait, theory.mean_days),
            expect(
                Quantity::IntakeWithin { secs: p90_secs },
                theory.cdf(p90_secs as f64 / 86_400.0),
            ),
        ],
    })
}

/// The shipped scenarios, embedded so that an installed binary can check
/// them too. `tests/validation.rs` fails if a file in `scenarios/` is missing here.
pub const SHIPPED: [(&str, &str); 11] = [
    (
        "adolescent-iop.toml",
        include_str!("../../scenarios/adolescent-iop.toml"),
    ),
    ("cohort.toml", include_str!("../../scenarios/cohort.toml")),
    (
        "continuum.toml",
        include_str!("../../scenarios/continuum.toml"),
    ),
    ("default.toml", include_str!("../../scenarios/default.toml")),
    (
        "dual-diagnosis.toml",
        include_str!("../../scenarios/dual-diagnosis.toml"),
    ),
    (
        "eating-disorder-iop.toml",
        include_str!("../../scenarios/eating-disorder-iop.toml"),
    ),
    (
        "mental-health.toml",
        include_str!("../../scenarios/mental-health.toml"),
    ),
    (
        "multi-program.toml",
        include_str!("../../scenarios/multi-program.toml"),
    ),
    (
        "ptsd-cohort.toml",
        include_str!("../../scenarios/ptsd-cohort.toml"),
    ),
    (
        "public-sector-sud.toml",
        include_str!("../../scenarios/public-sector-sud.toml"),
    ),
    (
        "staffed-iop.toml",
        include_str!("../../scenarios/staffed-iop.toml"),
    ),
];

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Warm-up and reported weeks for Little's law on a shipped scenario.
///
/// Warm-up: at least 156 weeks (the shipped 13-26 are enough for planning
/// figures, but the census still creeps towards steady state by a fraction
/// of a patient, and at 1000 trials of 28 years Little's law resolves 0.01%).
///
/// Window: referrals follow the calendar (weekday weights, months, holidays)
/// and cohorts their cycle, so the census is periodic, not stationary, and a
/// window that ends at another phase of the year than it starts leaves a
/// boundary term in Little's law (patients cut off at the start and at the
/// end of the window no longer balance). So the window is a whole number of
/// cohort cycles, at least 1000 weeks, as close as possible to a whole number
/// of years: 1461 weeks (28 years, after which the calendar repeats exactly)
/// without cohorts, 1200 weeks (100 cycles, 23 years less 0.75 days) with
/// 12-week cohorts.
pub fn little_horizon(s: &Scenario) -> (u32, u32) {
    const YEAR_DAYS: f64 = 365.25;
    let warmup = s.simulation.warmup_weeks.max(156);
    let cycle = s.units.iter().fold(1u32, |p, u| match &u.kind {
        UnitKind::Sessions(su) => match su.admission {
            Admission::Cohort { every_weeks, .. } => p / gcd(p, every_weeks) * every_weeks,
            _ => p,
        },
        UnitKind::Beds(_) => p,
    });
    let max = 5200 - warmup;
    let off_year = |w: u32| {
        let days = f64::from(w) * 7.0;
        (days - (days / YEAR_DAYS).round() * YEAR_DAYS).abs()
    };
    let weeks = (1000u32.div_ceil(cycle)..)
        .map(|k| k.saturating_mul(cycle))
        .take_while(|&w| w <= max)
        .min_by(|&a, &b| off_year(a).total_cmp(&off_year(b)).then(a.cmp(&b)))
        .unwrap_or_else(|| (max / cycle).max(1) * cycle)
        .min(max);
    (warmup, weeks)
}

/// Little's law on a shipped scenario, every unit.
fn little_case(file: &str, text: &str, trials: u32, seed: u64) -> Result<Case, ScenarioError> {
    let id = format!("Little {file}");
    let origin = format!("scenarios/{file}");
    let (warmup, weeks) = little_horizon(&scenario::load_str(text, &origin, &[])?);
    let s = scenario::load_str(
        text,
        &origin,
        &[
            format!("simulation.trials={trials}"),
            format!("simulation.seed={}", case_seed(seed, &id)),
            format!("simulation.warmup_weeks={warmup}"),
            format!("simulation.weeks={weeks}"),
        ],
    )?;
    let expects = (0..s.units.len())
        .map(|unit| Expect {
            quantity: Quantity::LittleCensus,
            unit,
            theory: None,
        })
        .collect();
    Ok(Case {
        id,
        servers: None,
        load: None,
        scenario: s,
        expects,
    })
}

/// Trials of a case in the fast subset (None: not in it) and in the full suite.
type Budget = (Option<u32>, u32);

fn pick(suite: Suite, (fast, full): Budget) -> Option<u32> {
    match suite {
        Suite::Fast => fast,
        Suite::Full => Some(full),
    }
}

/// The cases of `suite`; each case's seed derives from `seed` and its name.
pub fn cases(suite: Suite, seed: u64) -> Result<Vec<Case>, ScenarioError> {
    let mut out = Vec::new();
    // Erlang C: c = 1, 5, 20 at loads 0.5 .. 0.95. Trials give a 95% interval
    // of about 1% on waits at loads up to 0.9 and 2% at 0.95.
    for (c, rho, budget) in [
        (1, 0.5, (None, 4000)),
        (1, 0.7, (None, 2400)),
        (1, 0.8, (None, 2000)),
        (1, 0.9, (None, 1400)),
        (1, 0.95, (None, 800)),
        (5, 0.5, (None, 6000)),
        (5, 0.7, (None, 5000)),
        (5, 0.8, (Some(600), 3800)),
        (5, 0.9, (None, 1800)),
        (5, 0.95, (None, 400)),
        (20, 0.5, (None, 20000)),
        (20, 0.7, (None, 6400)),
        (20, 0.8, (None, 5300)),
        (20, 0.9, (None, 3000)),
        (20, 0.95, (None, 400)),
    ] {
        if let Some(n) = pick(suite, budget) {
            out.push(erlang_c_case(c, rho, n, seed)?);
        }
    }
    // Erlang B, exponential stays.
    for (c, a, budget) in [
        (1, 0.5, (None, 500)),
        (1, 0.9, (None, 400)),
        (5, 2.5, (None, 1200)),
        (5, 4.5, (None, 400)),
        (10, 5.0, (Some(2000), 3200)),
        (10, 9.0, (None, 400)),
        (10, 12.0, (None, 400)),
        (20, 15.0, (None, 800)),
        (20, 18.0, (None, 400)),
    ] {
        if let Some(n) = pick(suite, budget) {
            out.push(erlang_b_case(c, a, None, n, seed)?);
        }
    }
    // M/G/c/c: lognormal stays with the same mean give the same blocking.
    for (c, a, sd, budget) in [
        (10, 5.0, 2.0, (None, 5600)),
        (10, 9.0, 2.0, (Some(500), 600)),
        (20, 18.0, 0.5, (None, 400)),
    ] {
        if let Some(n) = pick(suite, budget) {
            out.push(erlang_b_case(c, a, Some(sd), n, seed)?);
        }
    }
    // Erlang A: exponential patience, below and above saturation.
    for (c, rho, patience, budget) in [
        (1, 0.9, 5.0, (None, 600)),
        (5, 0.9, 2.0, (Some(500), 900)),
        (20, 0.9, 1.0, (None, 1400)),
        (5, 1.2, 0.5, (None, 400)),
        (20, 1.1, 1.0, (None, 400)),
    ] {
        if let Some(n) = pick(suite, budget) {
            out.push(erlang_a_case(c, rho, patience, n, seed)?);
        }
    }
    // M/M/inf: many short trials, one census sample at the end of each.
    for (a, budget) in [(5.0, (Some(60_000), 200_000)), (20.0, (None, 100_000))] {
        if let Some(n) = pick(suite, budget) {
            out.push(infinite_case(a, n, seed)?);
        }
    }
    // Session units admitting continuously behave as M/M/(seats).
    for (groups, size, rho, budget) in [
        (1, 5, 0.8, (None, 3800)),
        (2, 5, 0.8, (Some(800), 2400)),
        (2, 5, 0.9, (None, 2000)),
    ] {
        if let Some(n) = pick(suite, budget) {
            out.push(sessions_case(groups, size, rho, n, seed)?);
        }
    }
    // The slotted intake server: 1 slot a weekday, load 0.8.
    if let Some(n) = pick(suite, (Some(60), 1000)) {
        out.push(intake_case(n, seed)?);
    }
    // Little's law on every shipped scenario.
    for (file, text) in SHIPPED {
        if let Some(n) = pick(suite, (Some(100), 1000)) {
            out.push(little_case(file, text, n, seed)?);
        }
    }
    Ok(out)
}
