//! `iopsim validate`: the engine against what queueing theory knows exactly.
//!
//! Each case ([`cases`]) is an ordinary scenario run through the ordinary
//! model; each of its quantities is averaged over trials and compared with
//! the exact value from [`theory`] (Erlang B, C and A, M/M/inf), or, for
//! Little's law on the shipped scenarios, with admissions per day x mean
//! stay from the same trials. A check passes when the theoretical value lies
//! inside the simulated 99% confidence interval **and** the relative error
//! is at most [`MAX_REL_ERROR`].

pub mod cases;
pub mod theory;

use std::fmt::Write as _;

use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::model::{run_trial, Program};

pub use cases::{Case, Expect, Quantity, Suite};

/// Largest relative error a passing check may have.
pub const MAX_REL_ERROR: f64 = 0.03;

/// Little's law on a finite window holds up to a boundary term: patients
/// cut off at the window's ends, whose balance `cases::little_horizon`
/// keeps below 0.01% by choosing the window (whole years, whole cohort
/// cycles). A Little's-law check within this relative error passes even when
/// the full suite's interval is narrower than that: the interval then
/// resolves the window's boundary, not the engine.
pub const LITTLE_BOUNDARY: f64 = 1e-4;

/// The chance that a suite of checks of a correct engine fails one: the
/// intervals are 99% family-wise (see [`Check::interval`]).
pub const FAMILY_ALPHA: f64 = 0.01;

/// A simulated estimate with its 95% and 99% confidence intervals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Trials used.
    pub n: usize,
    pub mean: f64,
    pub ci95: (f64, f64),
    pub ci99: (f64, f64),
    /// Standard error and degrees of freedom, for intervals at other levels.
    pub se: f64,
    pub df: usize,
}

/// How a quantity is estimated from its per-trial components.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Estimator {
    /// Mean of `x` across trials (time averages over a fixed window).
    Mean,
    /// Pooled ratio `sum y / sum x` (waits per admission, losses per
    /// referral). Unlike the mean of per-trial ratios it has no bias from
    /// busy trials having both more arrivals and longer waits.
    Ratio,
    /// Variance of `x` across trials.
    Variance,
    /// Little's law: mean census against (admissions per day) x (mean stay)
    /// pooled over trials, from components (census, admissions, sum of
    /// stays, exits) and the window length in days.
    Little { days: f64 },
}

/// Two-sided Student-t critical value for `level` with `df` degrees of freedom.
fn critical(level: f64, df: usize) -> f64 {
    StudentsT::new(0.0, 1.0, df.max(1) as f64)
        .map(|t| t.inverse_cdf(0.5 + level / 2.0))
        .unwrap_or(f64::NAN)
}

fn mean_of(rows: &[[f64; 4]], k: usize) -> f64 {
    rows.iter().map(|r| r[k]).sum::<f64>() / rows.len() as f64
}

impl Estimate {
    /// `value` with a t-interval of standard error `sqrt(sum psi^2 / (n (n - 1)))`,
    /// where `psi` are the trials' influence values (the delta method;
    /// for a plain mean, `psi = x - mean`).
    fn from_influence(value: f64, psi: &[f64]) -> Estimate {
        let n = psi.len();
        if n < 2 || !value.is_finite() {
            return Estimate {
                n,
                mean: f64::NAN,
                ci95: (f64::NAN, f64::NAN),
                ci99: (f64::NAN, f64::NAN),
                se: f64::NAN,
                df: n.saturating_sub(1),
            };
        }
        let nf = n as f64;
        let se = (psi.iter().map(|p| p * p).sum::<f64>() / (nf * (nf - 1.0))).sqrt();
        let (h95, h99) = (critical(0.95, n - 1) * se, critical(0.99, n - 1) * se);
        Estimate {
            n,
            mean: value,
            ci95: (value - h95, value + h95),
            ci99: (value - h99, value + h99),
            se,
            df: n - 1,
        }
    }

    /// The estimate from per-trial components, and for [`Estimator::Little`]
    /// the prediction it is compared with. Trials with a non-finite
    /// component are left out.
    pub fn of(estimator: Estimator, rows: &[[f64; 4]]) -> (Estimate, Option<f64>) {
        let rows: Vec<[f64; 4]> = rows
            .iter()
            .filter(|r| r.iter().all(|x| x.is_finite()))
            .copied()
            .collect();
        if rows.is_empty() {
            return (Self::from_influence(f64::NAN, &[]), None);
        }
        match estimator {
            Estimator::Mean => {
                let m = mean_of(&rows, 0);
                let psi: Vec<f64> = rows.iter().map(|r| r[0] - m).collect();
                (Self::from_influence(m, &psi), None)
            }
            Estimator::Ratio => {
                let (y, x) = (mean_of(&rows, 0), mean_of(&rows, 1));
                let ratio = y / x;
                let psi: Vec<f64> = rows.iter().map(|r| (r[0] - ratio * r[1]) / x).collect();
                (Self::from_influence(ratio, &psi), None)
            }
            Estimator::Variance => {
                let m = mean_of(&rows, 0);
                let n = rows.len() as f64;
                let var = rows.iter().map(|r| (r[0] - m).powi(2)).sum::<f64>() / (n - 1.0);
                let psi: Vec<f64> = rows.iter().map(|r| (r[0] - m).powi(2) - var).collect();
                (Self::from_influence(var, &psi), None)
            }
            Estimator::Little { days } => {
                let (l, a, s, d) = (
                    mean_of(&rows, 0),
                    mean_of(&rows, 1),
                    mean_of(&rows, 2),
                    mean_of(&rows, 3),
                );
                let predicted = a / days * (s / d);
                // Influence of each trial on census - predicted; the interval
                // is that of the difference, placed around the census.
                let psi: Vec<f64> = rows
                    .iter()
                    .map(|r| {
                        (r[0] - l) - (s / (d * days)) * (r[1] - a) - (a / (d * days)) * (r[2] - s)
                            + (a * s / (d * d * days)) * (r[3] - d)
                    })
                    .collect();
                (Self::from_influence(l, &psi), Some(predicted))
            }
        }
    }
}

/// One compared quantity of one case.
#[derive(Debug, Clone)]
pub struct Check {
    pub case: String,
    /// Unit name (cases with one unit use it too, for the CSV).
    pub unit: String,
    pub servers: Option<u32>,
    pub load: Option<f64>,
    pub quantity: Quantity,
    pub theory: f64,
    pub sim: Estimate,
    pub trials: u32,
    pub warmup_weeks: u32,
    pub weeks: u32,
    /// The case's own seed (derived from the run's seed and the case).
    pub seed: u64,
    /// Checks in the suite this one was run with: its interval is 99% for
    /// all of them together (1: a check on its own).
    pub family: usize,
}

impl Check {
    /// (simulated - theory) / theory.
    pub fn rel_error(&self) -> f64 {
        (self.sim.mean - self.theory) / self.theory
    }

    /// The simulated interval a check is judged by: 99% family-wise over the
    /// `family` checks of its suite (Bonferroni: each at 1 - 0.01 / family),
    /// so that an engine in agreement with theory passes the whole suite in
    /// 99 runs out of 100. At 99% each, a suite of 138 checks would fail one
    /// by chance in three runs out of four.
    pub fn interval(&self) -> (f64, f64) {
        let level = 1.0 - FAMILY_ALPHA / self.family.max(1) as f64;
        let h = critical(level, self.sim.df) * self.sim.se;
        (self.sim.mean - h, self.sim.mean + h)
    }

    pub fn within_ci99(&self) -> bool {
        let (lo, hi) = self.interval();
        lo <= self.theory && self.theory <= hi
    }

    /// Theory inside the simulated 99% interval and relative error <= 3%.
    /// NaN anywhere fails.
    pub fn pass(&self) -> bool {
        let within = self.within_ci99()
            || (self.quantity == Quantity::LittleCensus
                && self.rel_error().abs() <= LITTLE_BOUNDARY);
        within && self.rel_error().abs() <= MAX_REL_ERROR
    }
}

/// Everything a validation run produces.
#[derive(Debug, Clone)]
pub struct Report {
    pub suite: Suite,
    pub seed: u64,
    pub checks: Vec<Check>,
    pub events: u64,
    pub elapsed: std::time::Duration,
}

impl Report {
    pub fn failures(&self) -> usize {
        self.checks.iter().filter(|c| !c.pass()).count()
    }

    /// Largest |relative error| of the headline quantities (mean waits and
    /// loss shares) in cases at load <= `max_load` (cases without a load,
    /// such as Little's law, excluded).
    pub fn max_headline_error(&self, max_load: f64) -> Option<(f64, &Check)> {
        self.checks
            .iter()
            .filter(|c| c.quantity.is_headline() && c.load.is_some_and(|l| l <= max_load + 1e-12))
            .map(|c| (c.rel_error().abs(), c))
            .max_by(|a, b| a.0.total_cmp(&b.0))
    }
}

/// Runs the cases of `suite` on `threads` worker threads (0: all cores).
/// Results do not depend on the thread count: trial `t` of a case always
/// uses the streams of (seed, t), and values are gathered in trial order.
/// `progress` sees (cases done, cases in all, the case about to run).
pub fn run(
    suite: Suite,
    seed: u64,
    threads: usize,
    progress: &mut dyn FnMut(usize, usize, &str),
) -> anyhow::Result<Report> {
    let started = std::time::Instant::now();
    let cases = cases::cases(suite, seed)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let mut checks = Vec::new();
    let mut events = 0;
    for (i, case) in cases.iter().enumerate() {
        progress(i, cases.len(), &case.id);
        let (mut c, e) = run_case(case, &pool);
        checks.append(&mut c);
        events += e;
    }
    progress(cases.len(), cases.len(), "");
    let family = checks.len();
    for c in &mut checks {
        c.family = family;
    }
    Ok(Report {
        suite,
        seed,
        checks,
        events,
        elapsed: started.elapsed(),
    })
}

/// Simulates one case and compares each of its quantities.
pub fn run_case(case: &Case, pool: &rayon::ThreadPool) -> (Vec<Check>, u64) {
    let s = &case.scenario;
    let program = Program::new(s);
    let sim = &s.simulation;
    // Per trial: the components of each expectation, and the events. Only
    // these few numbers leave the worker, never a whole TrialResult.
    let rows: Vec<(Vec<[f64; 4]>, u64)> = pool.install(|| {
        (0..u64::from(sim.trials))
            .into_par_iter()
            .map(|t| {
                let r = run_trial(&program, sim.seed, t);
                let vals = case
                    .expects
                    .iter()
                    .map(|e| match r.units.get(e.unit) {
                        Some(u) => e.quantity.components(u),
                        None => [f64::NAN; 4],
                    })
                    .collect();
                (vals, r.events)
            })
            .collect()
    });
    let events = rows.iter().map(|r| r.1).sum();
    let days = f64::from(sim.weeks) * 7.0;
    let checks = case
        .expects
        .iter()
        .enumerate()
        .map(|(k, e)| {
            let comps: Vec<[f64; 4]> = rows.iter().map(|r| r.0[k]).collect();
            let (estimate, predicted) = Estimate::of(e.quantity.estimator(days), &comps);
            Check {
                case: case.id.clone(),
                unit: s
                    .units
                    .get(e.unit)
                    .map_or_else(String::new, |u| u.name.clone()),
                servers: case.servers,
                load: case.load,
                quantity: e.quantity,
                theory: e.theory.or(predicted).unwrap_or(f64::NAN),
                sim: estimate,
                trials: sim.trials,
                warmup_weeks: sim.warmup_weeks,
                weeks: sim.weeks,
                seed: sim.seed,
                family: 1,
            }
        })
        .collect();
    (checks, events)
}

/// Significant digits that show differences of a fraction of a percent.
fn fmt_value(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let mag = if x == 0.0 {
        0
    } else {
        x.abs().log10().floor() as i32
    };
    let decimals = (4 - mag).clamp(0, 8) as usize;
    format!("{x:.decimals$}")
}

/// The console table: case, quantity, theory, simulated mean [95% CI],
/// relative error, pass or FAIL.
pub fn table(report: &Report) -> String {
    let mut rows: Vec<[String; 6]> = vec![[
        "case".into(),
        "quantity".into(),
        "theory".into(),
        "simulated [95% CI]".into(),
        "rel. error".into(),
        "result".into(),
    ]];
    for c in &report.checks {
        let quantity = if c.quantity == Quantity::LittleCensus {
            format!("{}: {}", c.unit, c.quantity.label())
        } else {
            c.quantity.label().to_string()
        };
        rows.push([
            c.case.clone(),
            quantity,
            fmt_value(c.theory),
            format!(
                "{} [{}, {}]",
                fmt_value(c.sim.mean),
                fmt_value(c.sim.ci95.0),
                fmt_value(c.sim.ci95.1)
            ),
            format!("{:+.2}%", c.rel_error() * 100.0),
            if c.pass() {
                "pass".into()
            } else if !c.within_ci99() && c.rel_error().abs() > MAX_REL_ERROR {
                "FAIL (interval, >3%)".into()
            } else if !c.within_ci99() {
                "FAIL (outside the interval)".into()
            } else {
                "FAIL (>3%)".into()
            },
        ]);
    }
    let widths: Vec<usize> = (0..6)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (k, r) in rows.iter().enumerate() {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, &w))| {
                if (2..=4).contains(&i) {
                    format!("{cell:>w$}")
                } else {
                    format!("{cell:<w$}")
                }
            })
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
        if k == 0 {
            let total = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
            let _ = writeln!(out, "{}", "-".repeat(total));
        }
    }
    out
}

/// The closing lines: how many checks passed, the largest headline error at
/// load <= 0.9, and the cost of the run.
pub fn summary(report: &Report) -> String {
    let n = report.checks.len();
    let suite = match report.suite {
        Suite::Fast => "fast subset (iopsim validate --full for every case)",
        Suite::Full => "full suite",
    };
    let mut out = format!(
        "{} of {n} checks passed: {suite}, seed {}, {:.1} s, {:.0} M events",
        n - report.failures(),
        report.seed,
        report.elapsed.as_secs_f64(),
        report.events as f64 / 1e6
    );
    if let Some((err, c)) = report.max_headline_error(0.9) {
        let _ = write!(
            out,
            "\nlargest error of a mean wait or loss share at load <= 0.9: {:.2}% ({}, {})",
            err * 100.0,
            c.case,
            c.quantity.label()
        );
    }
    out
}

/// `validation.csv`: one row per check, full precision.
pub fn csv(report: &Report) -> anyhow::Result<Vec<u8>> {
    let num = |x: f64| {
        if x.is_finite() {
            format!("{x}")
        } else {
            String::new()
        }
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "case",
        "unit",
        "servers",
        "load",
        "quantity",
        "theory",
        "mean",
        "ci95_low",
        "ci95_high",
        "ci99_low",
        "ci99_high",
        "family_low",
        "family_high",
        "rel_error",
        "pass",
        "trials",
        "warmup_weeks",
        "weeks",
        "seed",
    ])?;
    for c in &report.checks {
        w.write_record([
            c.case.clone(),
            c.unit.clone(),
            c.servers.map_or_else(String::new, |s| s.to_string()),
            c.load.map_or_else(String::new, num),
            c.quantity.key().to_string(),
            num(c.theory),
            num(c.sim.mean),
            num(c.sim.ci95.0),
            num(c.sim.ci95.1),
            num(c.sim.ci99.0),
            num(c.sim.ci99.1),
            num(c.interval().0),
            num(c.interval().1),
            num(c.rel_error()),
            c.pass().to_string(),
            c.trials.to_string(),
            c.warmup_weeks.to_string(),
            c.weeks.to_string(),
            c.seed.to_string(),
        ])?;
    }
    Ok(w.into_inner()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(x: &[[f64; 2]]) -> Vec<[f64; 4]> {
        x.iter().map(|r| [r[0], r[1], 0.0, 0.0]).collect()
    }

    #[test]
    fn mean_estimate_is_the_t_interval() {
        let (e, pred) = Estimate::of(
            Estimator::Mean,
            &rows(&[[1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [6.0, 0.0]]),
        );
        assert_eq!(pred, None);
        assert_eq!(e.n, 4);
        assert_eq!(e.mean, 3.0);
        // sd = sqrt(14/3), se = sd / 2; t(0.975, 3) = 3.182446, t(0.995, 3) = 5.840909.
        let se = (14.0f64 / 3.0).sqrt() / 2.0;
        assert!((e.ci95.1 - 3.0 - 3.182_446 * se).abs() < 1e-5);
        assert!((e.ci99.1 - 3.0 - 5.840_909 * se).abs() < 1e-5);
    }

    #[test]
    fn ratio_pools_the_trials_and_drops_non_finite_ones() {
        // Waits 1 + 1 + 1 over 1 admission, 9 over 3: pooled 12 / 4 = 3, not
        // the mean of the per-trial means (1 + 3) / 2 = 2.
        let (e, _) = Estimate::of(
            Estimator::Ratio,
            &rows(&[[3.0, 3.0], [9.0, 1.0], [f64::NAN, 2.0]]),
        );
        assert_eq!(e.n, 2);
        assert_eq!(e.mean, 3.0);
        // psi = (y - 3 x) / mean(x) = (-6 / 2, 6 / 2): se = sqrt(18 / 2) = 3.
        let t = critical(0.95, 1);
        assert!((e.ci95.1 - (3.0 + 3.0 * t)).abs() < 1e-9);
    }

    #[test]
    fn variance_estimate() {
        let (e, _) = Estimate::of(
            Estimator::Variance,
            &rows(&[[1.0, 0.0], [3.0, 0.0], [5.0, 0.0], [7.0, 0.0]]),
        );
        // Sample variance of 1, 3, 5, 7 = 20 / 3.
        assert!((e.mean - 20.0 / 3.0).abs() < 1e-12);
        assert!(e.ci95.0 < e.mean && e.mean < e.ci95.1);
    }

    #[test]
    fn little_compares_census_with_pooled_admissions_times_stay() {
        // 7-day window; trial 1: 14 admissions, 14 exits with 7 days of stays
        // in all, census 1; trial 2: 7 admissions, 7 exits, 7 days, census 1.
        let r = vec![[1.0, 14.0, 7.0, 14.0], [1.0, 7.0, 7.0, 7.0]];
        let (e, pred) = Estimate::of(Estimator::Little { days: 7.0 }, &r);
        // Pooled: (10.5 / 7 per day) x (7 / 10.5 days) = 1.
        assert_eq!(e.mean, 1.0);
        assert!((pred.unwrap() - 1.0).abs() < 1e-12);
        assert!(e.ci99.0 <= 1.0 && 1.0 <= e.ci99.1);
    }

    fn check(theory: f64, mean: f64, half99: f64) -> Check {
        Check {
            case: "M/M/1 rho=0.50".into(),
            unit: "beds".into(),
            servers: Some(1),
            load: Some(0.5),
            quantity: Quantity::MeanWait,
            theory,
            sim: Estimate {
                n: 1000,
                mean,
                ci95: (mean - half99 * 0.75, mean + half99 * 0.75),
                ci99: (mean - half99, mean + half99),
                se: half99 / critical(0.99, 999),
                df: 999,
            },
            trials: 1000,
            warmup_weeks: 2,
            weeks: 52,
            seed: 7,
            family: 1,
        }
    }

    #[test]
    fn a_suite_of_checks_is_judged_by_family_wise_intervals() {
        // 3.6 standard errors off: outside a check's own 99% interval
        // (2.58), inside the 99% family-wise interval of 138 checks (3.97).
        let mut c = check(1.0, 1.0 + 3.6 * 0.01 / 2.576, 0.01);
        assert!(!c.pass());
        c.family = 138;
        let (lo, hi) = c.interval();
        let z = (hi - c.sim.mean) / c.sim.se;
        assert!(z > 3.9 && z < 4.05, "{z}");
        assert!(lo < 1.0 && c.pass());
        // 4.5 standard errors off fails either way.
        let mut c = check(1.0, 1.0 + 4.5 * 0.01 / 2.576, 0.01);
        c.family = 138;
        assert!(!c.pass());
    }

    #[test]
    fn a_check_needs_both_the_interval_and_three_percent() {
        assert!(check(1.0, 1.01, 0.02).pass());
        // Inside the interval but 4% off: a too-wide interval proves nothing.
        assert!(!check(1.0, 1.04, 0.05).pass());
        // Within 3% but outside the interval: a real, if small, bias.
        assert!(!check(1.0, 1.02, 0.01).pass());
        assert!(!check(1.0, f64::NAN, 0.01).pass());
    }

    #[test]
    fn littles_law_allows_the_windows_boundary_term_only() {
        // Outside a very narrow interval by 0.002%, as the full suite's
        // continuum detox was: the boundary term, a pass.
        let mut c = check(5.5828, 5.5829, 0.00005);
        assert!(!c.pass(), "a queueing quantity must be inside its interval");
        c.quantity = Quantity::LittleCensus;
        assert!(c.pass());
        // 0.05% off is more than the boundary: a real bias.
        let mut c = check(1.0, 1.0005, 0.0001);
        c.quantity = Quantity::LittleCensus;
        assert!(!c.pass());
    }

    #[test]
    fn table_and_csv_show_every_check() {
        let report = Report {
            suite: Suite::Fast,
            seed: 1,
            checks: vec![check(1.0, 1.01, 0.02), check(2.0, 2.5, 0.1)],
            events: 1_000_000,
            elapsed: std::time::Duration::from_secs(2),
        };
        let t = table(&report);
        assert!(t.contains("M/M/1 rho=0.50"), "{t}");
        assert!(t.contains("+1.00%") && t.contains("pass"), "{t}");
        assert!(
            t.contains("+25.00%") && t.contains("FAIL (interval, >3%)"),
            "{t}"
        );
        assert_eq!(report.failures(), 1);
        let (err, worst) = report.max_headline_error(0.9).unwrap();
        assert!((err - 0.25).abs() < 1e-12 && worst.theory == 2.0);
        let csv = String::from_utf8(csv(&report).unwrap()).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("case,unit,servers,load,quantity,theory,mean"));
        assert_eq!(
            lines[1],
            "M/M/1 rho=0.50,beds,1,0.5,wait_days,1,1.01,0.995,1.025,0.99,1.03,0.99,1.03,0.010000000000000009,true,1000,2,52,7"
        );
        assert!(summary(&report).starts_with("1 of 2 checks passed"));
    }
}
