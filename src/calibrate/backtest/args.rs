//! The command line of `iopsim backtest` (clap derive only), kept beside the
//! command so that `cli.rs` only names it.

// The doc comments below are `--help` text, printed as written: `<name>`
// and `[initial]` there are words for the terminal, not HTML or links.
#![allow(rustdoc::invalid_html_tags, rustdoc::broken_intra_doc_links)]

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args, Clone, Default)]
pub struct BacktestArgs {
    /// The episode records (docs/data.md): a clinic's export, or a simulated log's patients.csv.
    pub records: PathBuf,
    /// The scenario to test (TOML). Omit to test the built-in default scenario.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Override one scenario value (repeatable), as for `run`: back-test a
    /// what-if of the file, e.g. --set units.iop.tracks.evening.groups=2.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// The date to start from, YYYY-MM-DD: the records' state at its midnight
    /// becomes the scenario's [initial] state.
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// The end of the records to use, YYYY-MM-DD (default: their latest time).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// The trial of a simulated log holding several (a clinic's records have no trial column).
    #[arg(long, value_name = "K")]
    pub trial: Option<u64>,
    /// Number of Monte Carlo trials (overrides simulation.trials).
    #[arg(long)]
    pub trials: Option<u32>,
    /// Random seed (overrides simulation.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads; 0 = all cores. Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Output root; results go to OUT/<name>-backtest/.
    #[arg(long, default_value = "output")]
    pub out: PathBuf,
    /// Skip the charts and backtest.html (only the CSVs, initial.csv and scenario.toml).
    #[arg(long)]
    pub no_plots: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Replace the output folder even if another command or scenario file wrote it.
    #[arg(long)]
    pub force: bool,
}
