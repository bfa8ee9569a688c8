//! Monte Carlo over trials. Each trial's random streams are derived from
//! (seed, trial index), never from the thread that runs it, and results are
//! folded in trial order, so the output is byte-identical for any number of
//! threads.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rayon::prelude::*;

use crate::model::result::{summary_names, summary_values, weekly_names, weekly_series};
use crate::model::{run_trial, Program, TrialResult};
use crate::scenario::{Scenario, UnitKind};
use crate::stats::Summary;

/// Width of a wait-histogram bin, in days.
pub const WAIT_BIN_DAYS: f64 = 0.5;
/// Waits of this many days or more fall in the last (overflow) bin.
pub const WAIT_MAX_DAYS: f64 = 365.0;

/// Referral-to-admission waits of every admitted patient of every trial.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitHistogram {
    pub unit: String,
    /// counts[i] = waits in [i * WAIT_BIN_DAYS, (i + 1) * WAIT_BIN_DAYS); the last bin is open-ended.
    pub counts: Vec<u64>,
    pub total: u64,
    /// Median and P90 over all waits (from the exact values, not the bins).
    pub p50: f64,
    pub p90: f64,
}

/// Outcome labels of [`RunResults::outcome_shares`], in order.
pub const OUTCOMES: [&str; 7] = [
    "completed",
    "dropped_out",
    "admin_discharged",
    "stepped_up",
    "reneged",
    "turned_away",
    "no_shows",
];

fn outcome_shares(u: &crate::model::result::UnitResult) -> [f64; 7] {
    let c = &u.counts;
    let n = c.referrals as f64;
    let share = |x: u64| if n > 0.0 { x as f64 / n } else { f64::NAN };
    [
        share(c.completed),
        share(c.dropped_out),
        share(c.admin_discharged),
        share(c.stepped_up),
        share(c.reneged),
        share(c.turned_away),
        share(c.no_shows),
    ]
}

/// Everything a run produces, for the report layer.
#[derive(Debug, Clone)]
pub struct RunResults {
    pub scenario_name: String,
    pub description: String,
    pub start_date: NaiveDate,
    pub weeks: u32,
    pub warmup_weeks: u32,
    pub trials: u32,
    pub seed: u64,
    pub version: &'static str,
    pub summary_names: Vec<String>,
    pub summary: Vec<Summary>,
    pub weekly_names: Vec<String>,
    /// [metric][week]
    pub weekly: Vec<Vec<Summary>>,
    pub waits: Vec<WaitHistogram>,
    /// Per unit, the share of referrals ending in each outcome
    /// ([`OUTCOMES`]), across trials.
    pub outcome_shares: Vec<(String, Vec<Summary>)>,
    /// Seats (session units) or beds of each unit, by unit name.
    pub capacity: Vec<(String, u64)>,
    /// Staff hours on hand per week, by role.
    pub staff_hours: Vec<(String, f64)>,
    pub events: u64,
    pub elapsed: Duration,
}

impl RunResults {
    pub fn summary_of(&self, metric: &str) -> Option<&Summary> {
        self.summary_names
            .iter()
            .position(|n| n == metric)
            .map(|i| &self.summary[i])
    }

    pub fn weekly_of(&self, metric: &str) -> Option<&[Summary]> {
        self.weekly_names
            .iter()
            .position(|n| n == metric)
            .map(|i| self.weekly[i].as_slice())
    }
}

pub struct RunOptions {
    /// 0: all cores.
    pub threads: usize,
}

/// Runs all trials of `scenario`. `on_trial` sees every trial's summary row in
/// trial order (for streaming `trials.csv`); `progress` gets the number of
/// trials done so far.
pub fn run(
    scenario: &Scenario,
    opts: &RunOptions,
    on_trial: &mut dyn FnMut(u64, &[f64]) -> anyhow::Result<()>,
    progress: &mut dyn FnMut(u64),
) -> anyhow::Result<RunResults> {
    let started = Instant::now();
    let program = Program::new(scenario);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()?;
    let trials = u64::from(scenario.simulation.trials);
    let seed = scenario.simulation.seed;
    let sn = summary_names(scenario);
    let wn = weekly_names(scenario);
    let weeks = scenario.simulation.weeks as usize;
    let mut summary_cols: Vec<Vec<f64>> = vec![Vec::with_capacity(trials as usize); sn.len()];
    // f32 keeps weekly quantiles exact enough for reporting at half the memory.
    let mut weekly_vals: Vec<Vec<f32>> =
        vec![Vec::with_capacity(trials as usize * weeks); wn.len()];
    let mut waits: Vec<Vec<f32>> = vec![Vec::new(); scenario.units.len()];
    let mut shares: Vec<[Vec<f64>; 7]> = vec![Default::default(); scenario.units.len()];
    let mut events = 0u64;
    let chunk = (pool.current_num_threads() as u64 * 32).max(64);
    let mut start = 0u64;
    while start < trials {
        let end = (start + chunk).min(trials);
        let results: Vec<TrialResult> = pool.install(|| {
            (start..end)
                .into_par_iter()
                .map(|t| run_trial(&program, seed, t))
                .collect()
        });
        for r in &results {
            let row = summary_values(r);
            debug_assert_eq!(row.len(), sn.len());
            on_trial(r.trial, &row)?;
            for (col, v) in summary_cols.iter_mut().zip(&row) {
                col.push(*v);
            }
            for (col, series) in weekly_vals.iter_mut().zip(weekly_series(r)) {
                col.extend(series.iter().map(|&x| x as f32));
            }
            for (acc, u) in waits.iter_mut().zip(&r.units) {
                acc.extend(u.waits.iter().map(|&x| x as f32));
            }
            for (acc, u) in shares.iter_mut().zip(&r.units) {
                for (col, x) in acc.iter_mut().zip(outcome_shares(u)) {
                    col.push(x);
                }
            }
            events += r.events;
        }
        start = end;
        progress(end);
    }
    let summary = summary_cols.iter().map(|c| Summary::of(c)).collect();
    let weekly = weekly_vals
        .iter()
        .map(|vals| {
            (0..weeks)
                .map(|w| {
                    let col: Vec<f64> = (0..trials as usize)
                        .map(|t| f64::from(vals[t * weeks + w]))
                        .collect();
                    Summary::of(&col)
                })
                .collect()
        })
        .collect();
    let waits = scenario
        .units
        .iter()
        .zip(waits)
        .map(|(u, mut w)| {
            let bins = (WAIT_MAX_DAYS / WAIT_BIN_DAYS) as usize + 1;
            let mut counts = vec![0u64; bins];
            for &x in &w {
                let b = ((f64::from(x) / WAIT_BIN_DAYS) as usize).min(bins - 1);
                counts[b] += 1;
            }
            w.sort_by(f32::total_cmp);
            let sorted: Vec<f64> = w.iter().map(|&x| f64::from(x)).collect();
            WaitHistogram {
                unit: u.name.clone(),
                counts,
                total: w.len() as u64,
                p50: crate::stats::quantile(&sorted, 0.5),
                p90: crate::stats::quantile(&sorted, 0.9),
            }
        })
        .collect();
    let capacity = scenario
        .units
        .iter()
        .map(|u| {
            let c = match &u.kind {
                UnitKind::Beds(b) => u64::from(b.capacity),
                UnitKind::Sessions(s) => s
                    .tracks
                    .iter()
                    .map(|t| u64::from(t.groups * t.group_size))
                    .sum(),
            };
            (u.name.clone(), c)
        })
        .collect();
    let outcome_shares = scenario
        .units
        .iter()
        .zip(&shares)
        .map(|(u, cols)| {
            (
                u.name.clone(),
                cols.iter().map(|c| Summary::of(c)).collect(),
            )
        })
        .collect();
    Ok(RunResults {
        outcome_shares,
        scenario_name: scenario.name.clone(),
        description: scenario.description.clone(),
        start_date: scenario.simulation.start_date,
        weeks: scenario.simulation.weeks,
        warmup_weeks: scenario.simulation.warmup_weeks,
        trials: scenario.simulation.trials,
        seed,
        version: env!("CARGO_PKG_VERSION"),
        summary_names: sn,
        summary,
        weekly_names: wn,
        weekly,
        waits,
        capacity,
        staff_hours: scenario
            .staff
            .iter()
            .map(|s| (s.role.clone(), s.fte * s.hours_per_fte))
            .collect(),
        events,
        elapsed: started.elapsed(),
    })
}
