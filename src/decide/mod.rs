//! Decisions that need more than one run: [`compare`] scenarios on the same
//! random inputs, [`sweep`] a grid of `--set` values, [`size`] the smallest
//! capacity that meets targets with stated confidence.
//!
//! All three rely on common random numbers: every run of a command uses the
//! same seed and trial indices, and the model keys each referral stream and
//! each patient's draws by name and arrival number (`model/rng.rs`), so two
//! runs differ only where their scenarios differ. Differences between them
//! are therefore measured trial by trial (paired), with far less noise than
//! independent runs would leave.

pub mod compare;
pub mod page;
pub mod plots;
pub mod request;
pub mod sensitivity;
pub mod size;
pub mod sweep;
pub mod words;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::{Instant, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::DecideRun;
use crate::report::output::{fingerprint, Claim, Owner, RunRecord, Source};
use crate::scenario::{Scenario, ScenarioError};
use crate::trials::{self, RunOptions, RunResults};
use request::{OutputSettings, RunSettings, ScenarioSource};

/// Which way a metric should move for the program to be better off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Lower,
    Higher,
    /// Neither is better in itself (census, utilization, hours): report which way it moved.
    Neutral,
}

impl Direction {
    pub fn label(self) -> &'static str {
        match self {
            Direction::Lower => "lower",
            Direction::Higher => "higher",
            Direction::Neutral => "neutral",
        }
    }
}

/// The better direction of a summary metric, from its last name part
/// (`iop.wait_days_p90` -> `wait_days_p90`, `staff.therapist.fte_needed` ->
/// `fte_needed`).
pub fn direction(metric: &str) -> Direction {
    match metric.rsplit('.').next().unwrap_or(metric) {
        "wait_days" | "wait_days_p90" | "waitlist" | "reneged" | "turned_away" | "dropped_out"
        | "admin_discharged" | "no_shows" | "blocked_days" | "fte_needed" | "short_weeks" => {
            Direction::Lower
        }
        // The money side (docs/finance.md): costs and lost revenue down, revenue and margin up.
        "cost_per_week"
        | "cost_per_completed_episode"
        | "lost_revenue_empty_seats_per_week"
        | "lost_revenue_waitlist_per_week" => Direction::Lower,
        "admissions"
        | "completed"
        | "attendance_rate"
        | "revenue_per_week"
        | "net_per_week"
        | "revenue_per_admission" => Direction::Higher,
        _ => Direction::Neutral,
    }
}

/// Loads `path` (the built-in default when `None`) with `sets` applied.
pub fn load(path: Option<&PathBuf>, sets: &[String]) -> Result<Scenario, ScenarioError> {
    ScenarioSource::file(path).load(sets)
}

/// The identity of the scenario file `path` (the built-in default when
/// `None`) for the ownership of output folders (`report::output::Claim`).
pub fn source(path: Option<&PathBuf>) -> Source {
    ScenarioSource::file(path).owner_source()
}

/// Claims `OUT/<dir>` for `command` on the scenario `scenario`, before any
/// simulation: refused unless this command wrote it from the same file, or
/// `force` (see [`Claim::new`]).
pub fn claim(
    output: &OutputSettings,
    dir: &str,
    command: &str,
    scenario: &ScenarioSource,
) -> anyhow::Result<Claim> {
    let owner = Owner::new(command, scenario.owner_source());
    Claim::new(&output.out, dir, owner, output.force)
}

impl DecideRun {
    /// The run settings these options ask for.
    pub fn settings(&self) -> RunSettings {
        RunSettings {
            trials: self.trials,
            weeks: self.weeks,
            seed: self.seed,
            set: self.set.clone(),
            fixed_inputs: self.fixed_inputs,
            threads: self.threads,
            quiet: self.quiet,
        }
    }

    /// The output these options (and `--no-plots`) ask for.
    pub fn output(&self, no_plots: bool) -> OutputSettings {
        OutputSettings {
            out: self.out.clone(),
            force: self.force,
            plots: !no_plots,
        }
    }
}

/// The folder of a decision, `OUT/<dir>/`: claimed for `command` before
/// any run, then `compute`d, then its run.json (from the result's `base`
/// scenario) and `files` staged and committed together.
pub fn write_folder<T>(
    output: &OutputSettings,
    dir: &str,
    command: &str,
    scenario: &ScenarioSource,
    compute: impl FnOnce() -> anyhow::Result<T>,
    base: impl Fn(&T) -> &Scenario,
    files: impl Fn(&T, bool) -> anyhow::Result<Vec<(String, Vec<u8>)>>,
) -> anyhow::Result<(T, PathBuf)> {
    let started = (Instant::now(), SystemTime::now());
    let claim = claim(output, dir, command, scenario)?;
    let done = compute()?;
    let staging = claim.stage()?;
    staging.write(
        crate::report::output::RUN_RECORD,
        &record(&claim, base(&done), started).to_json()?,
    )?;
    for (name, bytes) in files(&done, output.plots)? {
        staging.write(&name, &bytes)?;
    }
    let dir = staging.commit()?;
    Ok((done, dir))
}

/// The `run.json` of a decision command's folder: the claim's owner, the
/// base scenario (`compare`: the baseline) and the trials of each run.
pub fn record(claim: &Claim, base: &Scenario, started: (Instant, SystemTime)) -> RunRecord {
    let trials = u64::from(base.simulation.trials);
    RunRecord {
        resolved_fingerprint: fingerprint(&base.resolved_toml),
        seed: base.simulation.seed,
        trials_requested: trials,
        trials_done: trials,
        seconds: started.0.elapsed().as_secs_f64(),
        ..RunRecord::new(claim.owner(), &base.name, started.1)
    }
}

/// One run of a scenario with, when asked for, its per-trial summary rows.
pub struct Run {
    pub results: RunResults,
    /// `rows[trial][metric]`, in the order of `results.summary_names`; empty
    /// unless kept.
    pub rows: Vec<Vec<f64>>,
}

impl Run {
    /// The per-trial values of `metric`, in trial order.
    pub fn column(&self, metric: &str) -> Option<Vec<f64>> {
        let i = self
            .results
            .summary_names
            .iter()
            .position(|n| n == metric)?;
        Some(self.rows.iter().map(|r| r[i]).collect())
    }
}

/// How a decision gets the run of one of its scenarios (a sweep's point, a
/// size's value): given its index, scenario and label, the run with its
/// per-trial rows. Simulated by the commands themselves; folded from the
/// records of shards by `iopsim merge` ([`crate::shard`]).
pub type Runs<'a> = dyn FnMut(usize, &Scenario, &str) -> anyhow::Result<Run> + 'a;

/// Runs every trial of `scenario`, showing `label` on the progress bar;
/// keeps the per-trial rows if `keep_rows`.
pub fn run(
    scenario: &Scenario,
    threads: usize,
    keep_rows: bool,
    label: &str,
    quiet: bool,
) -> anyhow::Result<Run> {
    run_until(
        scenario,
        threads,
        keep_rows,
        label,
        quiet,
        &AtomicBool::new(false),
    )
}

/// [`run`], stopped early (an error, [`trials::Stopped`]) once `stop` is
/// set: a page's newer change, or a time limit.
pub fn run_until(
    scenario: &Scenario,
    threads: usize,
    keep_rows: bool,
    label: &str,
    quiet: bool,
    stop: &AtomicBool,
) -> anyhow::Result<Run> {
    let pb = progress_bar(u64::from(scenario.simulation.trials), label, quiet);
    let mut rows = Vec::new();
    let results = trials::run_until(
        scenario,
        &RunOptions { threads },
        stop,
        &mut |trial, row| {
            if keep_rows {
                debug_assert_eq!(trial as usize, rows.len(), "trials arrive in order");
                rows.push(row.to_vec());
            }
            Ok(())
        },
        &mut |done| pb.set_position(done),
    )?;
    pb.finish_and_clear();
    Ok(Run { results, rows })
}

/// A progress bar of `trials` labelled `label` on stderr (none if `quiet` or not a terminal).
pub fn progress_bar(trials: u64, label: &str, quiet: bool) -> ProgressBar {
    let pb = ProgressBar::new(trials);
    if quiet || !std::io::stderr().is_terminal() {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    } else {
        pb.set_draw_target(ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} {msg} {pos}/{len} [{bar:30}] {elapsed}")
        {
            pb.set_style(style.progress_chars("=> "));
        }
        pb.set_message(label.to_string());
    }
    pb
}

/// The last lines of a decision command: where its results and its page are.
pub fn print_where(dir: &std::path::Path, no_plots: bool) {
    println!("results in {}{}", dir.display(), std::path::MAIN_SEPARATOR);
    if no_plots {
        println!("report: none (--no-plots)");
    } else {
        println!("report: {}", dir.join("report.html").display());
    }
}

/// A number for the console: up to 3 significant decimals, no trailing zeros.
pub fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return "-".to_string();
    }
    let a = x.abs();
    let s = if a >= 100.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    };
    if s.contains('.') {
        let t = s.trim_end_matches('0').trim_end_matches('.');
        if t == "-0" {
            "0".to_string()
        } else {
            t.to_string()
        }
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_follow_the_metric_name() {
        assert_eq!(direction("iop.wait_days_p90"), Direction::Lower);
        assert_eq!(direction("staff.therapist.fte_needed"), Direction::Lower);
        assert_eq!(direction("iop.completed"), Direction::Higher);
        assert_eq!(direction("iop.census"), Direction::Neutral);
        assert_eq!(direction("group-room.utilization"), Direction::Neutral);
    }

    #[test]
    fn numbers_print_short() {
        assert_eq!(fmt_num(12.0), "12");
        assert_eq!(fmt_num(12.345), "12.35");
        assert_eq!(fmt_num(0.04), "0.04");
        assert_eq!(fmt_num(-0.0001), "0");
        assert_eq!(fmt_num(f64::NAN), "-");
        assert_eq!(fmt_num(1234.56), "1234.6");
    }
}
