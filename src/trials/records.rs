//! Trials as records: what the [`Aggregator`] reads of one trial
//! ([`TrialRecord`]), simulated over a span of trial indices
//! ([`simulate_span`]) and folded back, in trial order, into the
//! [`RunResults`] a run of every trial gives ([`fold_records`]).
//!
//! This is what makes shards exact (`iopsim run --shard K/N`, `iopsim
//! merge`, `src/shard/`): a shard keeps the records of its trials, the merge
//! folds the records of every shard in trial order through the same
//! [`Aggregator`] a single run uses, and [`Aggregator::push`] itself goes
//! through [`TrialRecord::of`] and [`Aggregator::push_record`], so a merged
//! run and a single run cannot fold differently.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use super::{
    outcome_shares, release_freed_memory, reported_tracks, Aggregator, RunOptions, RunResults,
    Stopped,
};
use crate::engine::time::secs_to_days;
use crate::model::result::{
    summary_names, summary_values, weekly_names, weekly_series, UnitCounts,
};
use crate::model::{Program, TrialResult};
use crate::scenario::Scenario;

/// One trial as the [`Aggregator`] reads it, and no more: the summary row,
/// the weekly series (as `f32`, the precision the aggregator keeps them
/// in), and per unit the outcome counts and the waits in whole seconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrialRecord {
    pub trial: u64,
    /// Events handled, for throughput figures.
    pub events: u64,
    /// [`summary_values`], in the order of [`summary_names`].
    pub summary: Vec<f64>,
    /// [`weekly_series`], in the order of [`weekly_names`].
    pub weekly: Vec<Vec<f32>>,
    /// Per unit, in the scenario's order.
    pub units: Vec<UnitRecord>,
    /// Waits of every track with results of its own, in unit and track order.
    pub tracks: Vec<Vec<u64>>,
}

/// One unit's part of a [`TrialRecord`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitRecord {
    pub counts: UnitCounts,
    /// Referral-to-admission waits, whole seconds, in order of admission.
    pub waits: Vec<u64>,
    /// A unit with an intake stage: the intake waits, whole seconds.
    pub intake: Option<Vec<u64>>,
}

impl TrialRecord {
    /// The record of a trial's results.
    pub fn of(r: &TrialResult) -> TrialRecord {
        TrialRecord {
            trial: r.trial,
            events: r.events,
            summary: summary_values(r),
            weekly: weekly_series(r)
                .into_iter()
                // Exactly what an f32 column keeps of each value.
                .map(|s| s.iter().map(|&x| x as f32).collect())
                .collect(),
            units: r
                .units
                .iter()
                .map(|u| UnitRecord {
                    counts: u.counts,
                    waits: u.wait_secs.clone(),
                    intake: u.intake.as_ref().map(|i| i.wait_secs.clone()),
                })
                .collect(),
            tracks: r
                .units
                .iter()
                .flat_map(|u| &u.tracks)
                .map(|t| t.wait_secs.clone())
                .collect(),
        }
    }

    /// Whether this record has `shape`, its scenario's (so that folding it
    /// cannot go out of bounds); what differs, in words, if not.
    pub fn check_shape(&self, shape: &Shape) -> Result<(), String> {
        let want = [
            ("summary values", shape.summary),
            ("weekly series", shape.weekly),
            ("units", shape.units),
            ("tracks", shape.tracks),
        ];
        let got = [
            self.summary.len(),
            self.weekly.len(),
            self.units.len(),
            self.tracks.len(),
        ];
        for ((what, w), g) in want.iter().zip(got) {
            if *w != g {
                return Err(format!(
                    "trial {} has {g} {what}, the scenario's trials have {w}",
                    self.trial
                ));
            }
        }
        if let Some(s) = self.weekly.iter().find(|s| s.len() > shape.weeks) {
            return Err(format!(
                "trial {} has a weekly series of {} weeks, the scenario reports {}",
                self.trial,
                s.len(),
                shape.weeks
            ));
        }
        Ok(())
    }
}

/// How many of each part a scenario's [`TrialRecord`]s have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub summary: usize,
    pub weekly: usize,
    pub units: usize,
    pub tracks: usize,
    /// Weeks reported: no weekly series is longer.
    pub weeks: usize,
}

impl Shape {
    pub fn of(scenario: &Scenario) -> Shape {
        Shape {
            summary: summary_names(scenario).len(),
            weekly: weekly_names(scenario).len(),
            units: scenario.units.len(),
            tracks: reported_tracks(scenario).len(),
            weeks: scenario.simulation.weeks as usize,
        }
    }
}

impl Aggregator {
    /// Adds the next trial's record (trials must come in order for
    /// reproducible output). [`Aggregator::push`] is this, on
    /// [`TrialRecord::of`] the trial's results.
    pub fn push_record(&mut self, r: &TrialRecord) {
        debug_assert_eq!(r.summary.len(), self.summary.len());
        for (col, v) in self.summary.iter_mut().zip(&r.summary) {
            col.push(*v);
        }
        for (m, series) in r.weekly.iter().enumerate() {
            let cols = &mut self.weekly[m * self.weeks..(m + 1) * self.weeks];
            for (col, &x) in cols.iter_mut().zip(series) {
                col.push(f64::from(x));
            }
        }
        for (acc, u) in self.waits.iter_mut().zip(&r.units) {
            acc.push(u.waits.iter().map(|&s| secs_to_days(s)));
        }
        for (acc, t) in self.track_waits.iter_mut().zip(&r.tracks) {
            acc.push(t.iter().map(|&s| secs_to_days(s)));
        }
        for (u, acc) in &mut self.intake_waits {
            if let Some(i) = r.units.get(*u).and_then(|u| u.intake.as_ref()) {
                acc.push(i.iter().map(|&s| secs_to_days(s)));
            }
        }
        for (acc, u) in self.shares.iter_mut().zip(&r.units) {
            for (col, x) in acc.iter_mut().zip(outcome_shares(&u.counts)) {
                col.push(x);
            }
        }
        self.events += r.events;
        self.trials += 1;
    }
}

/// Simulates trials `span` of `scenario` on a pool of `opts.threads` and
/// hands each result to `each` in trial order (for a shard's file). The
/// trials are those of [`super::run_until`]: the same program, seed and
/// trial indices, in chunks on the pool, handed over while the next chunk
/// is simulated. Stops between trials once `stop` is set ([`Stopped`],
/// counting the trials handed over).
pub fn simulate_span(
    scenario: &Scenario,
    opts: &RunOptions,
    stop: &AtomicBool,
    span: Range<u64>,
    each: &mut (dyn FnMut(&TrialResult) -> anyhow::Result<()> + Send),
    progress: &mut (dyn FnMut(u64) + Send),
) -> anyhow::Result<()> {
    if span.is_empty() {
        return Ok(());
    }
    let program = Program::new(scenario);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()?;
    let seed = scenario.simulation.seed;
    let end = span.end;
    let chunk = (pool.current_num_threads() as u64 * 32).max(64);
    // A trial whose drawn inputs could not be read stops the rest.
    let failed = AtomicBool::new(false);
    let simulate = |start: u64| -> Vec<Option<anyhow::Result<TrialResult>>> {
        (start as usize..(start + chunk).min(end) as usize)
            .into_par_iter()
            .with_max_len(1)
            .map(|t| {
                if stop.load(Ordering::Relaxed) || failed.load(Ordering::Relaxed) {
                    return None;
                }
                let r = super::one_trial(scenario, &program, seed, t as u64);
                if r.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                Some(r)
            })
            .collect()
    };
    pool.install(|| {
        let mut pending = simulate(span.start);
        let mut hand = |results: &[Option<anyhow::Result<TrialResult>>]| -> anyhow::Result<u64> {
            let mut n = 0;
            for r in results.iter().map_while(Option::as_ref) {
                match r {
                    Ok(r) => each(r)?,
                    Err(e) => return Err(anyhow::anyhow!("{e:#}")),
                }
                n += 1;
            }
            Ok(n)
        };
        let mut done = 0u64;
        let mut start = span.start + chunk;
        loop {
            let more = start < end && !stop.load(Ordering::Relaxed);
            let (handed, next) = if more {
                rayon::join(|| hand(&pending), || simulate(start))
            } else {
                (hand(&pending), Vec::new())
            };
            let handed = handed?;
            done += handed;
            progress(done);
            if handed < pending.len() as u64 || (!more && span.start + done < end) {
                return Err(Stopped { done }.into());
            }
            if !more {
                return Ok(());
            }
            pending = next;
            start += chunk;
        }
    })
}

/// Folds `records` (trials `0..`, in order) of `scenario` into its
/// [`RunResults`], as [`super::run_until`] folds the trials it simulates:
/// `on_trial` sees each summary row in trial order, `progress` the trials
/// folded so far; the summaries at the end are computed on a pool of
/// `threads`. A record out of order or of another scenario's shape is an
/// error, as is a stop (`stop`, [`Stopped`]).
pub fn fold_records(
    scenario: &Scenario,
    threads: usize,
    stop: &AtomicBool,
    records: &mut dyn Iterator<Item = anyhow::Result<TrialRecord>>,
    on_trial: &mut (dyn FnMut(u64, &[f64]) -> anyhow::Result<()> + Send),
    progress: &mut (dyn FnMut(u64) + Send),
) -> anyhow::Result<RunResults> {
    let started = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let mut agg = Aggregator::new(scenario);
    let shape = Shape::of(scenario);
    let mut held = agg.heap_bytes();
    for r in records {
        let r = r?;
        let want = agg.trials();
        if r.trial != want {
            anyhow::bail!("trial {} where trial {want} was due", r.trial);
        }
        r.check_shape(&shape).map_err(anyhow::Error::msg)?;
        on_trial(r.trial, &r.summary)?;
        agg.push_record(&r);
        // As the run does between chunks: memory the columns gave up when
        // they turned into sketches goes back to the system.
        if agg.trials() % 256 == 0 {
            progress(agg.trials());
            let now = agg.heap_bytes();
            if now < held / 2 {
                release_freed_memory();
            }
            held = now;
            if stop.load(Ordering::Relaxed) {
                return Err(Stopped { done: agg.trials() }.into());
            }
        }
    }
    progress(agg.trials());
    let trials = u64::from(scenario.simulation.trials);
    if agg.trials() != trials {
        anyhow::bail!("{} trials folded, the scenario has {trials}", agg.trials());
    }
    Ok(pool.install(|| agg.finish(scenario, started.elapsed())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::run_trial;
    use crate::scenario::{load_str, DEFAULT_TOML};

    /// Any split of the trials, simulated span by span and folded as
    /// records, gives the run's results (the report's digits included).
    #[test]
    fn spans_folded_as_records_give_the_run() {
        let s = load_str(
            DEFAULT_TOML,
            "default",
            &["simulation.trials=9".into(), "simulation.weeks=20".into()],
        )
        .unwrap();
        let opts = RunOptions { threads: 2 };
        let mut rows = Vec::new();
        let whole = super::super::run(
            &s,
            &opts,
            &mut |_, row| {
                rows.push(row.to_vec());
                Ok(())
            },
            &mut |_| {},
        )
        .unwrap();
        let mut records = Vec::new();
        let stop = AtomicBool::new(false);
        for span in [0..4, 4..4, 4..9] {
            simulate_span(
                &s,
                &opts,
                &stop,
                span,
                &mut |r| {
                    records.push(TrialRecord::of(r));
                    Ok(())
                },
                &mut |_| {},
            )
            .unwrap();
        }
        assert_eq!(records.len(), 9);
        let mut again = Vec::new();
        let folded = fold_records(
            &s,
            1,
            &stop,
            &mut records.into_iter().map(Ok),
            &mut |_, row| {
                again.push(row.to_vec());
                Ok(())
            },
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(again, rows);
        assert_eq!(
            format!("{:?}", folded.summary),
            format!("{:?}", whole.summary)
        );
        assert_eq!(
            format!("{:?}", folded.weekly),
            format!("{:?}", whole.weekly)
        );
        assert_eq!(folded.waits, whole.waits);
        assert_eq!(folded.events, whole.events);
    }

    #[test]
    fn records_out_of_order_or_too_few_are_refused() {
        let s = load_str(
            DEFAULT_TOML,
            "default",
            &["simulation.trials=2".into(), "simulation.weeks=8".into()],
        )
        .unwrap();
        let p = Program::new(&s);
        let (a, b) = (
            TrialRecord::of(&run_trial(&p, 1, 0)),
            TrialRecord::of(&run_trial(&p, 1, 1)),
        );
        let stop = AtomicBool::new(false);
        let fold = |recs: Vec<TrialRecord>| {
            fold_records(
                &s,
                1,
                &stop,
                &mut recs.into_iter().map(Ok),
                &mut |_, _| Ok(()),
                &mut |_| {},
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
        };
        assert_eq!(
            fold(vec![b.clone(), a.clone()]).unwrap_err(),
            "trial 1 where trial 0 was due"
        );
        assert_eq!(
            fold(vec![a.clone()]).unwrap_err(),
            "1 trials folded, the scenario has 2"
        );
        let mut short = b.clone();
        short.summary.pop();
        assert!(fold(vec![a.clone(), short])
            .unwrap_err()
            .contains("summary values"));
        assert!(fold(vec![a, b]).is_ok());
    }
}
