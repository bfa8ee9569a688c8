//! Monte Carlo over trials. Each trial's random streams are derived from
//! (seed, trial index), never from the thread that runs it, and results are
//! folded in trial order, so the output is byte-identical for any number of
//! threads.
//!
//! The fold ([`Aggregator`]) keeps memory bounded whatever the number of
//! trials: every statistic is exact up to [`ExactLimits`] (10,000 trials for
//! the shipped scenarios), and beyond that quantiles come from a sketch
//! within [`RELATIVE_ACCURACY`](crate::stats::stream::RELATIVE_ACCURACY)
//! while means stay exact sums in trial order (`docs/robustness.md`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rayon::prelude::*;

use crate::model::clinic::run_trial_logged;
use crate::model::log::Log;
use crate::model::result::{has_track_results, summary_names, summary_values, weekly_names};
use crate::model::{run_trial, Program, TrialResult};
use crate::scenario::{Scenario, UnitKind};
use crate::stats::stream::{Column, Precision};
use crate::stats::Summary;

mod records;
pub use records::{fold_records, simulate_span, Shape, TrialRecord, UnitRecord};

/// Width of a wait-histogram bin, in days.
pub const WAIT_BIN_DAYS: f64 = 0.5;
/// Waits of this many days or more fall in the last (overflow) bin.
pub const WAIT_MAX_DAYS: f64 = 365.0;

/// Referral-to-admission waits of every admitted patient of every trial.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitHistogram {
    pub unit: String,
    /// `counts[i]` = waits in `[i * WAIT_BIN_DAYS, (i + 1) * WAIT_BIN_DAYS)`; the last bin is open-ended.
    pub counts: Vec<u64>,
    pub total: u64,
    /// Median and P90 over all waits (from the values, not the bins: exact up
    /// to [`ExactLimits::waits`] waits, sketched beyond).
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

fn outcome_shares(c: &crate::model::result::UnitCounts) -> [f64; 7] {
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
    /// The user's `--set` overrides (a what-if of the file); empty for the file as written.
    pub overrides: Vec<String>,
    /// `[report] currency`: how money reads (`None`: no currency).
    pub currency: Option<String>,
    pub start_date: NaiveDate,
    pub weeks: u32,
    pub warmup_weeks: u32,
    pub trials: u32,
    pub seed: u64,
    pub version: &'static str,
    pub summary_names: Vec<String>,
    pub summary: Vec<Summary>,
    pub weekly_names: Vec<String>,
    /// `[metric][week]`
    pub weekly: Vec<Vec<Summary>>,
    pub waits: Vec<WaitHistogram>,
    /// The same per track of a unit with results per track, named
    /// `<unit>.<track>`.
    pub track_waits: Vec<WaitHistogram>,
    /// Per unit with an intake stage, named by the unit: the waits from
    /// referral to the intake appointment of every appointment due (shown
    /// or not) of every trial.
    pub intake_waits: Vec<WaitHistogram>,
    /// Per unit, the share of referrals ending in each outcome
    /// ([`OUTCOMES`]), across trials.
    pub outcome_shares: Vec<(String, Vec<Summary>)>,
    /// Seats (session units) or beds of each unit, by unit name.
    pub capacity: Vec<(String, u64)>,
    /// Staff hours on hand per week, by role.
    pub staff_hours: Vec<(String, f64)>,
    /// Units where a patient may take a seat in another track than their
    /// own (`track_choice`), by name.
    pub track_choice_units: Vec<String>,
    /// The uncertain inputs each trial drew, as `KEY ~ distribution`
    /// (empty when there are none or they were fixed at their means).
    pub uncertain_inputs: Vec<String>,
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

/// How many values the [`Aggregator`] keeps exactly before it switches a
/// column to a [`Sketch`](crate::stats::stream::Sketch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExactLimits {
    /// Trials kept exactly by each per-trial column (summary metrics, outcome
    /// shares, and every (weekly metric, week) cell).
    pub trials: usize,
    /// Waits kept exactly per unit, over all trials (and as many intake
    /// waits per unit with an intake stage).
    pub waits: usize,
    /// Waits kept exactly per track (of units with results per track).
    pub track_waits: usize,
}

/// At most this many per-trial values are kept exactly, over all columns
/// (about 40 MB: weekly cells are kept as f32).
pub const EXACT_VALUES_BUDGET: usize = 10_000_000;
/// No column keeps more than this many trials exactly.
pub const EXACT_TRIALS_MAX: usize = 10_000;
/// Waits kept exactly, shared by the units (4 bytes each).
pub const EXACT_WAITS_BUDGET: usize = 4_000_000;
/// Waits kept exactly, shared by the tracks of units with results per
/// track (apart from the units' budget, which they leave unchanged).
pub const EXACT_TRACK_WAITS_BUDGET: usize = 4_000_000;

/// The tracks that have results of their own, as (unit, track) indices.
fn reported_tracks(scenario: &Scenario) -> Vec<(usize, usize)> {
    scenario
        .units
        .iter()
        .enumerate()
        .filter(|(_, u)| has_track_results(u))
        .flat_map(|(i, u)| match &u.kind {
            UnitKind::Sessions(su) => (0..su.tracks.len()).map(move |t| (i, t)).collect(),
            UnitKind::Beds(_) => Vec::new(),
        })
        .collect()
}

impl ExactLimits {
    /// The limits for `scenario`: exact for up to [`EXACT_TRIALS_MAX`] trials
    /// while the per-trial values fit in [`EXACT_VALUES_BUDGET`].
    pub fn for_scenario(scenario: &Scenario) -> ExactLimits {
        let columns = summary_names(scenario).len()
            + weekly_names(scenario).len() * scenario.simulation.weeks as usize
            + OUTCOMES.len() * scenario.units.len();
        ExactLimits {
            trials: (EXACT_VALUES_BUDGET / columns.max(1)).clamp(1, EXACT_TRIALS_MAX),
            waits: EXACT_WAITS_BUDGET / scenario.units.len().max(1),
            track_waits: EXACT_TRACK_WAITS_BUDGET / reported_tracks(scenario).len().max(1),
        }
    }
}

/// The units with an intake stage, by index.
fn intake_units(scenario: &Scenario) -> Vec<usize> {
    scenario
        .units
        .iter()
        .enumerate()
        .filter(|(_, u)| matches!(&u.kind, UnitKind::Sessions(su) if su.intake.is_some()))
        .map(|(i, _)| i)
        .collect()
}

/// Waits of one unit: the fixed histogram and a bounded column for quantiles.
#[derive(Debug, Clone)]
struct WaitAcc {
    counts: Vec<u64>,
    values: Column,
}

impl WaitAcc {
    fn new(bins: usize, exact: usize) -> WaitAcc {
        WaitAcc {
            counts: vec![0; bins],
            values: Column::new(Precision::F32, exact, 0),
        }
    }

    fn push(&mut self, waits: impl Iterator<Item = f64>) {
        let last = (WAIT_MAX_DAYS / WAIT_BIN_DAYS) as usize;
        for x in waits {
            let x = f64::from(x as f32);
            self.counts[((x / WAIT_BIN_DAYS) as usize).min(last)] += 1;
            self.values.push(x);
        }
    }

    fn heap_bytes(&self) -> usize {
        self.counts.capacity() * 8 + self.values.heap_bytes()
    }

    fn histogram(self, unit: String, quantiles: Vec<f64>) -> WaitHistogram {
        WaitHistogram {
            unit,
            total: self.values.count(),
            p50: quantiles[0],
            p90: quantiles[1],
            counts: self.counts,
        }
    }
}

/// Folds trial results, in trial order, into what [`RunResults`] reports,
/// in memory that stops growing once every column has passed its
/// [`ExactLimits`]: it depends on the scenario's metrics and weeks, never on
/// the number of trials.
#[derive(Debug, Clone)]
pub struct Aggregator {
    summary: Vec<Column>,
    /// [metric * weeks + week]
    weekly: Vec<Column>,
    weeks: usize,
    waits: Vec<WaitAcc>,
    /// Per reported track, in unit and track order.
    track_waits: Vec<WaitAcc>,
    /// Per unit with an intake stage ([`intake_units`]).
    intake_waits: Vec<(usize, WaitAcc)>,
    shares: Vec<[Column; 7]>,
    events: u64,
    trials: u64,
}

impl Aggregator {
    pub fn new(scenario: &Scenario) -> Aggregator {
        Aggregator::with_limits(scenario, ExactLimits::for_scenario(scenario))
    }

    pub fn with_limits(scenario: &Scenario, limits: ExactLimits) -> Aggregator {
        let expected = scenario.simulation.trials as usize;
        let col = |p| Column::new(p, limits.trials, expected);
        let weeks = scenario.simulation.weeks as usize;
        let bins = (WAIT_MAX_DAYS / WAIT_BIN_DAYS) as usize + 1;
        Aggregator {
            summary: (0..summary_names(scenario).len())
                .map(|_| col(Precision::F64))
                .collect(),
            // f32 keeps weekly quantiles exact enough for reporting at half the memory.
            weekly: (0..weekly_names(scenario).len() * weeks)
                .map(|_| col(Precision::F32))
                .collect(),
            weeks,
            waits: scenario
                .units
                .iter()
                .map(|_| WaitAcc::new(bins, limits.waits))
                .collect(),
            track_waits: reported_tracks(scenario)
                .iter()
                .map(|_| WaitAcc::new(bins, limits.track_waits))
                .collect(),
            intake_waits: intake_units(scenario)
                .into_iter()
                .map(|u| (u, WaitAcc::new(bins, limits.waits)))
                .collect(),
            shares: scenario
                .units
                .iter()
                .map(|_| std::array::from_fn(|_| col(Precision::F64)))
                .collect(),
            events: 0,
            trials: 0,
        }
    }

    /// Adds the next trial (trials must come in order for reproducible
    /// output): its [`TrialRecord`], so that a merge of shards, which folds
    /// records, folds exactly what a run folds.
    pub fn push(&mut self, r: &TrialResult) {
        self.push_record(&TrialRecord::of(r));
    }

    /// Trials added so far.
    pub fn trials(&self) -> u64 {
        self.trials
    }

    /// Heap memory held by the aggregator, in bytes.
    pub fn heap_bytes(&self) -> usize {
        let cols = |c: &[Column]| {
            c.iter().map(Column::heap_bytes).sum::<usize>() + std::mem::size_of_val(c)
        };
        cols(&self.summary)
            + cols(&self.weekly)
            + self
                .waits
                .iter()
                .chain(&self.track_waits)
                .chain(self.intake_waits.iter().map(|(_, w)| w))
                .map(WaitAcc::heap_bytes)
                .sum::<usize>()
            + self.shares.iter().map(|s| cols(s)).sum::<usize>()
    }

    /// The run's results, with `elapsed` as the time taken.
    pub fn finish(self, scenario: &Scenario, elapsed: Duration) -> RunResults {
        // Sorting every column for its quantiles is most of the work here. The
        // columns are independent: all of them (and the waits, the largest)
        // are summarised in one parallel pass on the caller's rayon pool,
        // collected in order, then dealt back to their tables.
        let columns: Vec<&Column> = self
            .summary
            .iter()
            .chain(&self.weekly)
            .chain(self.shares.iter().flatten())
            .collect();
        let (summaries, wait_quantiles) = rayon::join(
            || columns.par_iter().map(|c| c.summary()).collect::<Vec<_>>(),
            || {
                self.waits
                    .par_iter()
                    .chain(&self.track_waits)
                    .chain(self.intake_waits.par_iter().map(|(_, w)| w))
                    .map(|w| w.values.quantiles(&[0.5, 0.9]))
                    .collect::<Vec<_>>()
            },
        );
        let mut summaries = summaries.into_iter();
        let summary: Vec<Summary> = summaries.by_ref().take(self.summary.len()).collect();
        let weekly_metrics = self.weekly.len().checked_div(self.weeks).unwrap_or(0);
        let weekly: Vec<Vec<Summary>> = (0..weekly_metrics)
            .map(|_| summaries.by_ref().take(self.weeks).collect())
            .collect();
        let outcome_shares = scenario
            .units
            .iter()
            .map(|u| {
                (
                    u.name.clone(),
                    summaries.by_ref().take(OUTCOMES.len()).collect(),
                )
            })
            .collect();
        let mut wait_quantiles = wait_quantiles.into_iter();
        let waits = scenario
            .units
            .iter()
            .zip(self.waits)
            .zip(wait_quantiles.by_ref())
            .map(|((u, w), q)| w.histogram(u.name.clone(), q))
            .collect();
        let track_waits = reported_tracks(scenario)
            .into_iter()
            .zip(self.track_waits)
            .zip(wait_quantiles.by_ref())
            .map(|(((u, t), w), q)| {
                let unit = &scenario.units[u];
                let name = match &unit.kind {
                    UnitKind::Sessions(su) => format!("{}.{}", unit.name, su.tracks[t].name),
                    UnitKind::Beds(_) => unit.name.clone(),
                };
                w.histogram(name, q)
            })
            .collect();
        let intake_waits = self
            .intake_waits
            .into_iter()
            .zip(wait_quantiles)
            .map(|((u, w), q)| w.histogram(scenario.units[u].name.clone(), q))
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
        RunResults {
            outcome_shares,
            scenario_name: scenario.name.clone(),
            description: scenario.description.clone(),
            overrides: scenario.overrides.clone(),
            currency: scenario.report.currency.clone(),
            start_date: scenario.simulation.start_date,
            weeks: scenario.simulation.weeks,
            warmup_weeks: scenario.simulation.warmup_weeks,
            trials: scenario.simulation.trials,
            seed: scenario.simulation.seed,
            version: env!("CARGO_PKG_VERSION"),
            summary_names: summary_names(scenario),
            summary,
            weekly_names: weekly_names(scenario),
            weekly,
            waits,
            track_waits,
            intake_waits,
            capacity,
            staff_hours: scenario
                .staff
                .iter()
                .map(|s| (s.role.clone(), s.fte * s.hours_per_fte))
                .collect(),
            track_choice_units: (0..scenario.units.len())
                .filter(|&u| crate::model::program::takes_other_tracks(scenario, u))
                .map(|u| scenario.units[u].name.clone())
                .collect(),
            uncertain_inputs: scenario
                .inputs
                .list
                .iter()
                .map(|i| format!("{} ~ {}", i.key, i.describe()))
                .collect(),
            events: self.events,
            elapsed,
        }
    }
}

/// Hands the memory the fold has just freed back to the system. When the
/// columns turn from exact values into sketches, their values (hundreds of
/// vectors of tens of KB) are freed on the pool thread that folds, and glibc
/// keeps what is freed in a thread's arena: without this a 100,000-trial run
/// of the default scenario kept 20 MB more resident to the end.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only gives free pages of the allocator's arenas
    // back to the system, under the arenas' own locks; memory in use is not
    // touched.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A run stopped by its stop flag before every trial was simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("stopped after {done} trials")]
pub struct Stopped {
    /// Trials folded (and handed to `on_trial`), a prefix in trial order.
    pub done: u64,
}

/// Re-runs trials `0..count` of `scenario` one after the other, each
/// telling `log` its patients' visits (see [`crate::model::log`]), and
/// hands each trial's result to `done` (which can check it against the
/// run's own and see to the log between trials). A trial is the same
/// history whether logged or not, so these are the trials the run
/// reported. Stops between trials once `stop` is set ([`Stopped`]).
pub fn run_logged<L: Log>(
    scenario: &Scenario,
    count: u64,
    stop: &AtomicBool,
    log: &mut L,
    done: &mut dyn FnMut(u64, &TrialResult, &mut L) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let program = Program::new(scenario);
    let seed = scenario.simulation.seed;
    for t in 0..count {
        if stop.load(Ordering::Relaxed) {
            return Err(Stopped { done: t }.into());
        }
        log.begin_trial(t);
        let drawn;
        let own;
        let program = if scenario.inputs.is_empty() {
            &program
        } else {
            drawn = trial_scenario(scenario, seed, t)?;
            own = Program::new(&drawn);
            &own
        };
        let (r, _) = run_trial_logged(program, seed, t, &mut *log);
        done(t, &r, log)?;
    }
    Ok(())
}

/// Runs all trials of `scenario`. `on_trial` sees every trial's summary row in
/// trial order (for streaming `trials.csv`); an error from it stops the run
/// after the chunk in progress. `progress` gets the number of trials done so far.
pub fn run(
    scenario: &Scenario,
    opts: &RunOptions,
    on_trial: &mut (dyn FnMut(u64, &[f64]) -> anyhow::Result<()> + Send),
    progress: &mut (dyn FnMut(u64) + Send),
) -> anyhow::Result<RunResults> {
    run_until(scenario, opts, &AtomicBool::new(false), on_trial, progress)
}

/// Trial `trial`: on the run's `program`, or, when the scenario has
/// uncertain inputs, on the program of the trial's own draws. Every way of
/// simulating trials (a run, a shard's span) goes through here.
pub fn one_trial(
    scenario: &Scenario,
    program: &Program,
    seed: u64,
    trial: u64,
) -> anyhow::Result<TrialResult> {
    if scenario.inputs.is_empty() {
        return Ok(run_trial(program, seed, trial));
    }
    let own = trial_scenario(scenario, seed, trial)?;
    Ok(run_trial(&Program::new(&own), seed, trial))
}

/// The scenario of trial `trial` of a scenario with uncertain inputs: the
/// scenario with the trial's own draws. An error names the draws when
/// they make the scenario invalid (inputs that meet in one rule; each
/// alone was checked over its whole range at load).
pub fn trial_scenario(scenario: &Scenario, seed: u64, trial: u64) -> anyhow::Result<Scenario> {
    let inputs = &scenario.inputs;
    let drawn = inputs.draw(seed, trial);
    let s = inputs.scenario_at(&drawn).map_err(|e| {
        let values: Vec<String> = inputs
            .list
            .iter()
            .zip(&drawn)
            .map(|(i, v)| format!("{} = {v}", i.key))
            .collect();
        anyhow::anyhow!(
            "trial {trial}: the uncertain inputs drawn ({}) make the scenario invalid: {e}",
            values.join(", ")
        )
    })?;
    Ok(s)
}

/// [`run`], stopping early once `stop` is set (Ctrl-C): every trial reads
/// the flag before it starts, so the run ends when the trials in progress
/// do, with a [`Stopped`] error carrying how many trials were folded. A
/// stop after the last trial has started still completes the run.
///
/// Trials are simulated in chunks on the pool, and chunk k is folded (and
/// handed to `on_trial`) while chunk k + 1 is simulated: the fold is serial,
/// so it runs beside the simulation instead of between chunks, and the
/// summaries at the end are computed column by column in parallel.
pub fn run_until(
    scenario: &Scenario,
    opts: &RunOptions,
    stop: &AtomicBool,
    on_trial: &mut (dyn FnMut(u64, &[f64]) -> anyhow::Result<()> + Send),
    progress: &mut (dyn FnMut(u64) + Send),
) -> anyhow::Result<RunResults> {
    let started = Instant::now();
    let program = Program::new(scenario);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()?;
    let trials = u64::from(scenario.simulation.trials);
    let seed = scenario.simulation.seed;
    let chunk = (pool.current_num_threads() as u64 * 32).max(64);
    // A trial whose drawn inputs could not be read (see `trial_scenario`).
    let failed = AtomicBool::new(false);
    let failure: Mutex<Option<(usize, anyhow::Error)>> = Mutex::new(None);
    // `None` for a trial not started because a stop was requested.
    let simulate = |start: u64| -> Vec<Option<TrialResult>> {
        // Trial numbers fit in u32, so in usize: a usize range is an indexed
        // parallel iterator, which can be split down to one trial per task.
        (start as usize..(start + chunk).min(trials) as usize)
            .into_par_iter()
            // An idle thread can always take the next trial, so no thread
            // waits long at the end of a chunk.
            .with_max_len(1)
            .map(|t| {
                if stop.load(Ordering::Relaxed) || failed.load(Ordering::Relaxed) {
                    return None;
                }
                match one_trial(scenario, &program, seed, t as u64) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        failed.store(true, Ordering::Relaxed);
                        let mut first = failure.lock().unwrap_or_else(|p| p.into_inner());
                        // The lowest trial's, whichever thread got there first.
                        if first.as_ref().is_none_or(|(f, _)| *f > t) {
                            *first = Some((t, e));
                        }
                        None
                    }
                }
            })
            .collect()
    };
    pool.install(|| {
        // Setting up the columns takes as long as a few trials: beside the first chunk.
        let (mut agg, mut pending) = rayon::join(|| Aggregator::new(scenario), || simulate(0));
        // Folds the trials of a chunk up to the first one not simulated;
        // false if there was one.
        let mut fold = |results: &[Option<TrialResult>]| -> anyhow::Result<bool> {
            let held = agg.heap_bytes();
            let mut whole = true;
            for r in results {
                let Some(r) = r else {
                    whole = false;
                    break;
                };
                on_trial(r.trial, &summary_values(r))?;
                agg.push(r);
            }
            if agg.heap_bytes() < held / 2 {
                release_freed_memory();
            }
            Ok(whole)
        };
        let mut folded = 0u64;
        let mut start = chunk;
        loop {
            let more = start < trials && !stop.load(Ordering::Relaxed);
            let (whole, next) = if more {
                rayon::join(|| fold(&pending), || simulate(start))
            } else {
                (fold(&pending), Vec::new())
            };
            let whole = whole?;
            if let Some((_, e)) = failure.lock().unwrap_or_else(|p| p.into_inner()).take() {
                return Err(e);
            }
            if !whole {
                folded += pending.iter().take_while(|r| r.is_some()).count() as u64;
                return Err(Stopped { done: folded }.into());
            }
            folded += pending.len() as u64;
            progress(folded);
            if !more {
                if folded < trials {
                    return Err(Stopped { done: folded }.into());
                }
                break;
            }
            pending = next;
            start += chunk;
        }
        Ok(agg.finish(scenario, started.elapsed()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{load_str, DEFAULT_TOML};

    /// Every intake appointment of every trial is in the unit's pooled
    /// intake waits; a scenario without an intake has none.
    #[test]
    fn intake_waits_pool_every_appointment_of_every_trial() {
        let s = load_str(
            DEFAULT_TOML,
            "default",
            &[
                "simulation.trials=12".into(),
                "simulation.weeks=26".into(),
                r#"units.iop.intake={ slots = [1, 1, 1, 1, 1, 0, 0], show = [[1, 0.72], [3, 0.41], [7, 0.38]] }"#.into(),
            ],
        )
        .unwrap();
        let p = Program::new(&s);
        let mut agg = Aggregator::new(&s);
        let mut due = 0;
        let mut long = 0;
        for t in 0..12 {
            let r = run_trial(&p, 1, t);
            let i = r.units[0].intake.as_ref().expect("an intake result");
            due += i.appointments;
            long += i.wait_secs.iter().filter(|&&w| w >= 7 * 86_400).count() as u64;
            agg.push(&r);
        }
        let r = agg.finish(&s, Duration::ZERO);
        let [h] = r.intake_waits.as_slice() else {
            panic!("one histogram: {:?}", r.intake_waits)
        };
        assert_eq!(h.unit, "iop");
        assert!(due > 0);
        assert_eq!(h.total, due);
        assert_eq!(h.counts.iter().sum::<u64>(), due);
        assert_eq!(h.counts[14..].iter().sum::<u64>(), long, "7 days and more");
        assert!(h.p50.is_finite() && h.p50 <= h.p90, "{} {}", h.p50, h.p90);
        // The unit's own waits are not mixed in.
        assert_ne!(r.waits[0].total, h.total);

        let s = load_str(DEFAULT_TOML, "default", &["simulation.trials=2".into()]).unwrap();
        let mut agg = Aggregator::new(&s);
        agg.push(&run_trial(&Program::new(&s), 1, 0));
        assert!(agg.finish(&s, Duration::ZERO).intake_waits.is_empty());
    }
}
