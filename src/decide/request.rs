//! What a decision is asked to do, as plain owned data: no command-line
//! types, so the command line and any other face (a page, a test) build the
//! same requests and reach the same numbers through the same code.
//!
//! Each decision has a request ([`CompareRequest`], [`SweepRequest`],
//! [`SizeRequest`], [`SensitivityRequest`]) holding its scenarios as [`ScenarioSource`]s, the
//! [`RunSettings`] every run shares and the [`OutputSettings`] of the
//! folder it may write. The decision's `compute` takes the request and
//! returns the numbers without touching the file system; its `write`
//! computes, then writes the results folder as the command line does.

use std::path::PathBuf;

use crate::report::output::{fingerprint, Source};
use crate::scenario::{self, Scenario, ScenarioError, DEFAULT_TOML};

use super::size::Target;
use super::sweep::Vary;

/// Where a scenario comes from; loaded again with each run's overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioSource {
    /// The built-in default scenario.
    BuiltIn,
    /// A scenario file (files it names are relative to its folder).
    File(PathBuf),
    /// Scenario text, e.g. edited on a page; `origin` names it in messages
    /// (files it names are relative to the working directory).
    Text { origin: String, toml: String },
}

impl ScenarioSource {
    /// The file when one is given, else the built-in default.
    pub fn file(path: Option<&PathBuf>) -> ScenarioSource {
        path.map_or(ScenarioSource::BuiltIn, |p| ScenarioSource::File(p.clone()))
    }

    /// The scenario with `sets` (`KEY=VALUE` overrides) applied.
    pub fn load(&self, sets: &[String]) -> Result<Scenario, ScenarioError> {
        match self {
            ScenarioSource::BuiltIn => {
                scenario::load_str(DEFAULT_TOML, "<built-in default scenario>", sets)
            }
            ScenarioSource::File(p) => scenario::load_file(p, sets),
            ScenarioSource::Text { origin, toml } => scenario::load_str(toml, origin, sets),
        }
    }

    /// The identity of the scenario for the ownership of output folders
    /// (`report::output::Claim`).
    pub fn owner_source(&self) -> Source {
        match self {
            ScenarioSource::BuiltIn => Source::new(None, DEFAULT_TOML),
            // Unreadable files do not get this far: they fail to load first.
            ScenarioSource::File(p) => {
                Source::new(Some(p), &std::fs::read_to_string(p).unwrap_or_default())
            }
            ScenarioSource::Text { origin, toml } => Source {
                label: origin.clone(),
                path: None,
                fingerprint: fingerprint(toml),
            },
        }
    }
}

/// What every run of one decision shares. Every run uses the same seed and
/// trial indices (common random numbers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSettings {
    /// Overrides `simulation.trials`.
    pub trials: Option<u32>,
    /// Overrides `simulation.weeks`.
    pub weeks: Option<u32>,
    /// Overrides `simulation.seed`.
    pub seed: Option<u64>,
    /// `KEY=VALUE` overrides of scenario values, applied in order.
    pub set: Vec<String>,
    /// Uncertain inputs at their means (`simulation.fixed_inputs`).
    pub fixed_inputs: bool,
    /// Worker threads; 0 = all cores. Results do not depend on it.
    pub threads: usize,
    /// No progress bar.
    pub quiet: bool,
}

impl RunSettings {
    /// The override list of a run: [`RunSettings::set`], then `extra` (the
    /// point of a grid), then the trials, weeks, seed and fixed inputs.
    pub fn overrides(&self, extra: &[String]) -> Vec<String> {
        let mut sets = self.set.clone();
        sets.extend(extra.iter().cloned());
        if let Some(t) = self.trials {
            sets.push(format!("simulation.trials={t}"));
        }
        if let Some(w) = self.weeks {
            sets.push(format!("simulation.weeks={w}"));
        }
        if let Some(s) = self.seed {
            sets.push(format!("simulation.seed={s}"));
        }
        if self.fixed_inputs {
            sets.push("simulation.fixed_inputs=true".into());
        }
        sets
    }
}

/// Where a decision writes its folder, `OUT/<name>/`, and what goes in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSettings {
    /// The output root.
    pub out: PathBuf,
    /// Replace the folder even if another command or scenario wrote it.
    pub force: bool,
    /// Write the plots and report.html (not only the CSVs).
    pub plots: bool,
}

impl Default for OutputSettings {
    fn default() -> Self {
        OutputSettings {
            out: PathBuf::from("output"),
            force: false,
            plots: true,
        }
    }
}

/// `compare`: every scenario against the first (the baseline), paired.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareRequest {
    /// Two or more; the first is the baseline, whose seed and trials every
    /// run uses.
    pub scenarios: Vec<ScenarioSource>,
    pub run: RunSettings,
    pub output: OutputSettings,
}

/// `sweep`: every point of a grid of values of one or more keys.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRequest {
    pub scenario: ScenarioSource,
    /// The keys and their values; the grid has every combination, first key slowest.
    pub varies: Vec<Vary>,
    /// Metrics to show (console table, plots); empty: the scenario's defaults
    /// ([`super::sweep::default_metrics`]). The CSV has every metric.
    pub metrics: Vec<String>,
    pub run: RunSettings,
    pub output: OutputSettings,
}

/// `size`: the smallest value of a key meeting every target with 95% confidence.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeRequest {
    pub scenario: ScenarioSource,
    /// The key and the values to search; numbers, in any order (searched
    /// ascending, duplicates dropped).
    pub vary: Vary,
    pub targets: Vec<Target>,
    pub run: RunSettings,
    pub output: OutputSettings,
}

/// `sensitivity`: which uncertain input moves each metric most, one way
/// (each at its P10 and P90) and globally (variance shares).
#[derive(Debug, Clone, PartialEq)]
pub struct SensitivityRequest {
    pub scenario: ScenarioSource,
    /// Summary metric names (as in summary.csv), one or more.
    pub metrics: Vec<String>,
    /// Trials of each one-way run; `None`: the scenario's trials, at most
    /// [`super::sensitivity::ONE_WAY_TRIALS`].
    pub one_way_trials: Option<u32>,
    pub run: RunSettings,
    pub output: OutputSettings,
}
