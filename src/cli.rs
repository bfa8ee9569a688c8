//! Command-line interface (clap derive structs only).

// The doc comments below are `--help` text, printed as written:
// `OUT/<name>/` there is a path for the terminal, not an HTML tag.
#![allow(rustdoc::invalid_html_tags)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "iopsim",
    version,
    about = "Discrete-event Monte Carlo simulator for intensive outpatient program capacity planning",
    long_about = "Discrete-event Monte Carlo simulator for intensive outpatient program (IOP) capacity planning.\n\n\
                  With no command, runs the built-in default scenario (`iopsim run`)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and write summary.csv, weekly.csv, trials.csv, scenario.toml, plots and report.html.
    Run(RunArgs),
    /// Validate a scenario and print what the program offers, without simulating.
    Check(CheckArgs),
    /// Write the default scenario to a file as a starting point.
    Init(InitArgs),
    /// Check the engine against queueing theory (Erlang B, C, A, M/M/inf) and
    /// Little's law; writes validation.csv and exits non-zero if a check fails.
    Validate(ValidateArgs),
    /// Compare scenarios on identical random inputs: paired differences of
    /// every metric against the first; writes compare.csv, overlay plots and report.html.
    Compare(CompareArgs),
    /// Run a grid of values of one or more keys (common random numbers) and
    /// tabulate every metric at every point; writes sweep.csv, plots and report.html.
    Sweep(SweepArgs),
    /// Find the smallest value of a key that meets targets with 95% confidence.
    Size(SizeArgs),
    /// Which uncertain input moves a metric most: each at its P10 and P90
    /// (a tornado chart) and each one's share of the metric's variance across
    /// trials; writes sensitivity.csv, the charts and report.html (docs/sensitivity.md).
    Sensitivity(SensitivityArgs),
    /// Estimate a scenario's numbers from a clinic's episode records
    /// (docs/calibration.md) and write the scenario, every fitted number
    /// commented with its 95% interval and the count it rests on.
    Fit(FitArgs),
    /// Start the planner: a local web page of levers that reruns the
    /// scenario on every change, with a pinned baseline's paired
    /// differences (listens on 127.0.0.1 unless told otherwise).
    Serve(ServeArgs),
    /// Back-test a scenario on a clinic's records: start it from the records' state on a date,
    /// simulate to their end, and report the weeks inside the simulated bands; writes backtest.csv and backtest.html.
    Backtest(crate::calibrate::backtest::args::BacktestArgs),
    /// Combine the shards of a run, sweep, size or sensitivity (`--shard K/N`, docs/scaling.md)
    /// into the outputs the whole command would have written on one machine, byte for byte.
    Merge(MergeArgs),
}

/// `--shard K/N`: the K-th of N shares of the trials (K from 0), by index.
const SHARD_HELP: &str = "Simulate only the K-th of N shares of the trials (K = 0..N-1, e.g. 2/4: \
trials 2T/4..3T/4) and write them to OUT/<folder>.shard-K-of-N/ for `iopsim merge` \
(docs/scaling.md). The merged outputs are those of the whole run, byte for byte.";

#[derive(Debug, Args, Default, Clone)]
pub struct RunArgs {
    /// Scenario file (TOML). Omit to run the built-in default scenario.
    pub scenario: Option<PathBuf>,
    #[command(flatten)]
    pub run: DecideRun,
    /// Skip the plots and report.html (only the CSVs and scenario.toml), for speed.
    #[arg(long)]
    pub no_plots: bool,
    #[command(flatten)]
    pub log: LogArgs,
    #[arg(long, value_name = "K/N", value_parser = crate::shard::parse_shard, help = SHARD_HELP)]
    pub shard: Option<crate::shard::Shard>,
}

/// The patient-level log of a run (`run`, and `merge` of a run's shards).
#[derive(Debug, Args, Default, Clone)]
pub struct LogArgs {
    /// Also write the patient-level log (docs/data.md): patients.csv, one
    /// row per patient per unit visit; `--log sessions` writes sessions.csv
    /// too, one row per group session held; `--log attendance` writes
    /// both and attendance.csv, one row per patient expected at a session.
    #[arg(
        long,
        value_name = "WHAT",
        num_args = 0..=1,
        default_missing_value = "patients",
        value_parser = ["patients", "sessions", "attendance"]
    )]
    pub log: Option<String>,
    /// How many trials to log, from the first (default 1).
    #[arg(long, value_name = "N", requires = "log")]
    pub log_trials: Option<u64>,
    /// A folder for the log inside the results folder, e.g. `logs`
    /// (default: the results folder itself).
    #[arg(long, value_name = "DIR", requires = "log")]
    pub log_dir: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct MergeArgs {
    /// The shard folders (OUT/<folder>.shard-K-of-N/), in any order; together they must hold
    /// every trial of one run, sweep, size or sensitivity exactly once.
    #[arg(required = true, value_name = "DIR")]
    pub shards: Vec<PathBuf>,
    /// Output root; the merged results go to OUT/<folder>/, the folder the whole run writes.
    #[arg(long, default_value = "output")]
    pub out: PathBuf,
    /// Replace the output folder even if another command or scenario file
    /// wrote it (or it was not written by iopsim).
    #[arg(long)]
    pub force: bool,
    /// Worker threads for the summaries; 0 = all cores. Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Skip the plots and report.html, even if the shards were run with them.
    #[arg(long)]
    pub no_plots: bool,
    // A merged run's log: its logged trials are simulated again here.
    #[command(flatten)]
    pub log: LogArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario file (TOML). Omit to check the built-in default.
    pub scenario: Option<PathBuf>,
    /// Override one scenario value (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the scenario.
    #[arg(default_value = "my-program.toml")]
    pub path: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// The scenario the page starts with (TOML). Omit for the built-in default.
    pub scenario: Option<PathBuf>,
    /// The port to listen on (0: any free one, printed).
    #[arg(long, default_value_t = 8750)]
    pub port: u16,
    /// The address to listen on. Any other than 127.0.0.1 or ::1 needs an
    /// access token: --token, or one generated and printed.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// The access token clients must send (Authorization: Bearer TOKEN).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Worker threads for runs (0 = all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

#[derive(Debug, Args, Clone)]
pub struct FitArgs {
    /// The episode records: a CSV with the columns of patients.csv
    /// (docs/data.md), e.g. a clinic's export or `iopsim run --log`'s.
    pub records: PathBuf,
    /// Where to write the fitted scenario.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
    /// The attendance register: one row per patient per session
    /// (attendance.csv, docs/data.md) for attendance and its spread
    /// between patients, or one row per group session (sessions.csv).
    #[arg(long, value_name = "ATTENDANCE.csv")]
    pub sessions: Option<PathBuf>,
    /// A scenario whose capacity (tracks, groups, rooms, staff, finance)
    /// the fitted one takes; records do not hold it. Default: the built-in
    /// default scenario's.
    #[arg(long, value_name = "SCENARIO")]
    pub capacity: Option<PathBuf>,
    /// Fit only referrals from this date (YYYY-MM-DD, included).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Fit only referrals before this date (YYYY-MM-DD, excluded).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Overwrite the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Print only warnings and errors.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Options shared by run, compare, sweep and size. Every run of one command
/// uses the same seed and trial indices (common random numbers).
#[derive(Debug, Args, Default, Clone)]
pub struct DecideRun {
    /// Number of Monte Carlo trials (overrides simulation.trials).
    #[arg(long)]
    pub trials: Option<u32>,
    /// Reported weeks (overrides simulation.weeks).
    #[arg(long)]
    pub weeks: Option<u32>,
    /// Random seed (overrides simulation.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads; 0 = all cores. Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Output root; results go to OUT/<name>/.
    #[arg(long, default_value = "output")]
    pub out: PathBuf,
    /// Override one scenario value (repeatable), e.g. --set units.iop.tracks.evening.groups=2
    /// --set rooms.group-room.count=2 (a second evening group, and a room for it). A run with
    /// overrides writes OUT/<name>+<digits of the overrides>/ and its report lists them.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Run uncertain inputs (`{ uncertain = ... }`) at their means, so that only
    /// the luck of arrivals and patients varies between trials (sets
    /// simulation.fixed_inputs = true).
    #[arg(long)]
    pub fixed_inputs: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Replace the output folder even if another command or scenario file
    /// wrote it (or it was not written by iopsim).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Two or more scenario files; the first is the baseline the others are compared with.
    #[arg(required = true, num_args = 2..)]
    pub scenarios: Vec<PathBuf>,
    #[command(flatten)]
    pub run: DecideRun,
    /// Skip the overlay plots and report.html.
    #[arg(long)]
    pub no_plots: bool,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file (TOML). Omit to sweep the built-in default scenario.
    pub scenario: Option<PathBuf>,
    /// A key and its values: KEY=1,2,3 (a list), KEY=2..6 (integers, both ends
    /// included) or KEY=0.8..1.0:0.05 (start..end:step, end included when on
    /// the grid). Repeat for a grid over several keys.
    #[arg(long = "vary", value_name = "KEY=VALUES", required = true)]
    pub vary: Vec<String>,
    /// A metric to plot against the varied keys (repeatable); default: the
    /// first unit's wait_days_p90, waitlist and reneged. sweep.csv has every metric.
    #[arg(long = "metric", value_name = "NAME")]
    pub metrics: Vec<String>,
    #[command(flatten)]
    pub run: DecideRun,
    /// Skip the plots and report.html.
    #[arg(long)]
    pub no_plots: bool,
    #[arg(long, value_name = "K/N", value_parser = crate::shard::parse_shard, help = SHARD_HELP)]
    pub shard: Option<crate::shard::Shard>,
}

#[derive(Debug, Args)]
pub struct SizeArgs {
    /// Scenario file (TOML). Omit to size the built-in default scenario.
    pub scenario: Option<PathBuf>,
    /// The key to size and the values to search, as for sweep: KEY=1..8 or KEY=1,2,4,8.
    #[arg(long, value_name = "KEY=VALUES")]
    pub vary: String,
    /// "METRIC STAT OP VALUE", e.g. "iop.wait_days_p90 p90 <= 14" or
    /// "iop.reneged mean <= 2"; STAT is mean or pNN (a quantile over
    /// trials), OP one of <=, <, >=, >. Repeat for several targets.
    #[arg(long = "target", value_name = "TARGET", required = true)]
    pub targets: Vec<String>,
    #[command(flatten)]
    pub run: DecideRun,
    /// Skip the plots and report.html (only size.csv).
    #[arg(long)]
    pub no_plots: bool,
    #[arg(long, value_name = "K/N", value_parser = crate::shard::parse_shard, help = SHARD_HELP)]
    pub shard: Option<crate::shard::Shard>,
}

#[derive(Debug, Args)]
pub struct SensitivityArgs {
    /// Scenario file (TOML) with uncertain inputs (`{ uncertain = ... }`).
    /// Omit for the built-in default (which has none).
    pub scenario: Option<PathBuf>,
    /// A summary metric (a row of summary.csv), e.g. iop.evening.wait_days_p90.
    /// Repeat for several.
    #[arg(long = "metric", value_name = "METRIC", required = true)]
    pub metrics: Vec<String>,
    /// Trials of each one-way run (each input at its P10 and at its P90);
    /// default: the trials, at most 500.
    #[arg(long, value_name = "N")]
    pub one_way_trials: Option<u32>,
    #[command(flatten)]
    pub run: DecideRun,
    /// Skip the tornado charts and report.html (only sensitivity.csv).
    #[arg(long)]
    pub no_plots: bool,
    #[arg(long, value_name = "K/N", value_parser = crate::shard::parse_shard, help = SHARD_HELP)]
    pub shard: Option<crate::shard::Shard>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Run every case with full precision (minutes) instead of the fast subset (seconds).
    #[arg(long)]
    pub full: bool,
    /// Worker threads; 0 = all cores. Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Seed from which every case derives its own seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output root; the table goes to OUT/validation/validation.csv.
    #[arg(long, default_value = "output")]
    pub out: PathBuf,
    /// Replace OUT/validation/ even if another command wrote it (a run of a
    /// scenario named `validation`) or it was not written by iopsim.
    #[arg(long)]
    pub force: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
