//! Shards: one command's trials split by index across machines
//! (`--shard K/N` on `run`, `sweep`, `size` and `sensitivity`), and
//! `iopsim merge`, which
//! combines them into the outputs the whole command writes on one machine,
//! byte for byte (`docs/scaling.md`).
//!
//! A shard simulates trials `K*T/N .. (K+1)*T/N` of each of its command's
//! runs (a run has one, a sweep one per point, a size one per value, a
//! sensitivity analysis its global run, its run at the means and two per
//! input, each of its own trials) and
//! writes, into `OUT/<folder>.shard-K-of-N/`:
//! - `shard.json` ([`Header`]): what ran (command, scenario file and text,
//!   settings, the request, each run's resolved scenario fingerprint, seed,
//!   trials and span), so that a merge can check that its shards belong
//!   together and tile every run's trials exactly;
//! - `trials-<run>.bin` ([`mod@format`]): each trial's [`TrialRecord`], what the
//!   run's aggregator reads of it, in trial order;
//! - `run.json`, the folder's record as every command writes one.
//!
//! The merge ([`merge`]) folds the records of every shard in trial order
//! through the aggregator and output code a single run uses
//! (`trials::fold_records`, `commands::run_as`, `sweep::write_with`,
//! `size::write_with`, `sensitivity::write_with`), so its outputs are the
//! single run's by construction.

pub mod format;
pub mod merge;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Instant, SystemTime};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::cli::RunArgs;
use crate::commands::UsageError;
use crate::decide::request::{
    RunSettings, ScenarioSource, SensitivityRequest, SizeRequest, SweepRequest,
};
use crate::decide::size::{Op, Stat, Target};
use crate::decide::sweep::Vary;
use crate::report::output::{self, fingerprint, Claim, Owner, RunRecord};
use crate::scenario::Scenario;
use crate::trials::{self, RunOptions, TrialRecord};

/// The header of a shard folder.
pub const SHARD_FILE: &str = "shard.json";

/// The version of the shard format ([`Header`] and [`mod@format`]) this iopsim
/// writes and reads.
pub const FORMAT: u32 = 1;

/// Bad shards given to `iopsim merge` (exit code 2): missing, overlapping,
/// of different runs or versions, damaged.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ShardError(pub String);

/// `--shard K/N`: the K-th (from 0) of N shares of the trials, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

/// Parses `K/N` (clap's value parser for `--shard`).
pub fn parse_shard(text: &str) -> Result<Shard, String> {
    let form = "write K/N, the K-th of N shards counting from 0, e.g. 0/4 .. 3/4";
    let Some((k, n)) = text.split_once('/') else {
        return Err(format!("'{text}': {form}"));
    };
    let (Ok(index), Ok(count)) = (k.trim().parse::<u64>(), n.trim().parse::<u64>()) else {
        return Err(format!("'{text}': {form}"));
    };
    if count == 0 {
        return Err(format!("'{text}': N must be at least 1"));
    }
    if index >= count {
        return Err(format!(
            "'{text}': K counts from 0, so it must be below N ({}); {form}",
            count
        ));
    }
    Ok(Shard { index, count })
}

impl Shard {
    /// The trials of this shard out of `trials`: `K*T/N .. (K+1)*T/N`.
    pub fn span(&self, trials: u64) -> Range<u64> {
        let at = |k: u64| (u128::from(k) * u128::from(trials) / u128::from(self.count)) as u64;
        at(self.index)..at(self.index + 1)
    }

    /// The shard's folder for the results folder `folder`.
    pub fn folder(&self, folder: &str) -> String {
        format!("{folder}.shard-{}-of-{}", self.index, self.count)
    }
}

/// Where the scenario came from, with its text, so that a merge elsewhere
/// can load it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioDoc {
    /// The file (absolute path) or `<built-in default>`, as run.json says.
    pub label: String,
    /// The file, if any (canonical).
    pub path: Option<PathBuf>,
    /// FNV-1a of the file's text (run.json's `source_fingerprint`).
    pub fingerprint: String,
    /// The file's text; `None` for the built-in default.
    pub text: Option<String>,
}

impl ScenarioDoc {
    fn of(source: &ScenarioSource) -> anyhow::Result<ScenarioDoc> {
        let owner = source.owner_source();
        let text = match source {
            ScenarioSource::BuiltIn => None,
            ScenarioSource::File(p) => Some(
                crate::scenario::read_capped(p, crate::scenario::limits::MAX_SCENARIO_FILE_BYTES)
                    .with_context(|| format!("reading {}", p.display()))?,
            ),
            ScenarioSource::Text { toml, .. } => Some(toml.clone()),
        };
        Ok(ScenarioDoc {
            label: owner.label,
            path: owner.path,
            fingerprint: owner.fingerprint,
            text,
        })
    }

    /// The scenario again: the file itself when it is still there with the
    /// same text (files it names are then found as the shards found them),
    /// else the recorded text under the file's name.
    pub fn source(&self, header: &Path) -> Result<ScenarioSource, ShardError> {
        let Some(text) = &self.text else {
            let here = ScenarioSource::BuiltIn.owner_source().fingerprint;
            if here != self.fingerprint {
                return Err(ShardError(format!(
                    "{}: the shards ran the built-in default scenario of another iopsim build \
                     (fingerprint {}, this one's is {here})",
                    header.display(),
                    self.fingerprint
                )));
            }
            return Ok(ScenarioSource::BuiltIn);
        };
        if fingerprint(text) != self.fingerprint {
            return Err(ShardError(format!(
                "{}: the scenario text does not match its fingerprint: the file is damaged",
                header.display()
            )));
        }
        if let Some(p) = &self.path {
            let same =
                std::fs::read_to_string(p).is_ok_and(|t| fingerprint(&t) == self.fingerprint);
            if same {
                return Ok(ScenarioSource::File(p.clone()));
            }
        }
        Ok(ScenarioSource::Text {
            origin: self.label.clone(),
            toml: text.clone(),
        })
    }
}

/// The settings every run of the command shares (`--trials`, `--weeks`,
/// `--seed`, `--set`, `--fixed-inputs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsDoc {
    pub trials: Option<u32>,
    pub weeks: Option<u32>,
    pub seed: Option<u64>,
    pub set: Vec<String>,
    /// `--fixed-inputs`.
    #[serde(default)]
    pub fixed_inputs: bool,
}

/// A `--vary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaryDoc {
    pub key: String,
    pub values: Vec<String>,
}

impl From<&Vary> for VaryDoc {
    fn from(v: &Vary) -> VaryDoc {
        VaryDoc {
            key: v.key.clone(),
            values: v.values.clone(),
        }
    }
}

impl From<&VaryDoc> for Vary {
    fn from(v: &VaryDoc) -> Vary {
        Vary {
            key: v.key.clone(),
            values: v.values.clone(),
        }
    }
}

/// A `--target`, its numbers kept exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetDoc {
    pub metric: String,
    /// `None`: the mean; else the quantile over trials, in (0, 1).
    pub quantile: Option<f64>,
    /// `<=`, `<`, `>=` or `>`.
    pub op: String,
    pub value: f64,
}

impl From<&Target> for TargetDoc {
    fn from(t: &Target) -> TargetDoc {
        TargetDoc {
            metric: t.metric.clone(),
            quantile: match t.stat {
                Stat::Mean => None,
                Stat::Quantile(q) => Some(q),
            },
            op: t.op.symbol().to_string(),
            value: t.value,
        }
    }
}

impl TargetDoc {
    fn target(&self) -> Option<Target> {
        let op = [Op::Le, Op::Lt, Op::Ge, Op::Gt]
            .into_iter()
            .find(|o| o.symbol() == self.op)?;
        Some(Target {
            metric: self.metric.clone(),
            stat: self.quantile.map_or(Stat::Mean, Stat::Quantile),
            op,
            value: self.value,
        })
    }
}

/// What the command was asked, beyond the scenario and settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RequestDoc {
    Run,
    Sweep {
        varies: Vec<VaryDoc>,
        metrics: Vec<String>,
    },
    Size {
        vary: VaryDoc,
        targets: Vec<TargetDoc>,
    },
    Sensitivity {
        metrics: Vec<String>,
        /// `--one-way-trials`, if given.
        one_way_trials: Option<u32>,
    },
}

/// Which shard of how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardDoc {
    pub index: u64,
    pub count: u64,
}

/// One run of the command in this shard, and its trial file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunDoc {
    /// The point or value (`units.iop.tracks.evening.groups=2`); empty for `run`.
    pub label: String,
    /// FNV-1a of the scenario as simulated (run.json's `resolved_fingerprint`).
    pub resolved_fingerprint: String,
    pub seed: u64,
    /// Trials of the whole run, and the span of them this shard holds.
    pub trials: u64,
    pub first: u64,
    pub end: u64,
    /// The trial file, in the shard folder, and its size in bytes.
    pub file: String,
    pub bytes: u64,
}

/// `shard.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// [`FORMAT`].
    pub format: u32,
    /// The iopsim version that wrote the shard.
    pub iopsim: String,
    /// The fingerprint of the source it was built from (build.rs): two
    /// builds of one version may simulate differently.
    #[serde(default)]
    pub build: String,
    /// `run`, `sweep` or `size`.
    pub command: String,
    /// The folder the merge writes, in its `--out`.
    pub folder: String,
    pub scenario: ScenarioDoc,
    pub settings: SettingsDoc,
    /// The plots and report.html were asked for (not `--no-plots`).
    pub plots: bool,
    pub request: RequestDoc,
    pub shard: ShardDoc,
    pub runs: Vec<RunDoc>,
    /// The shard's wall time, simulating and writing its records, in
    /// seconds: what the merge reports the trials took (its own time is
    /// only the fold's).
    #[serde(default)]
    pub seconds: f64,
}

impl Header {
    /// What must be equal in every shard of one command, in words, with its
    /// value as text: everything but the shard's own index and spans.
    pub fn identity(&self) -> Vec<(String, String)> {
        let opt = |x: Option<String>| x.unwrap_or_else(|| "(from the scenario)".into());
        let mut v = vec![
            ("iopsim version".to_string(), self.iopsim.clone()),
            ("command".into(), self.command.clone()),
            ("scenario file".into(), self.scenario.label.clone()),
            (
                "scenario file's text (fingerprint)".into(),
                self.scenario.fingerprint.clone(),
            ),
            ("--set overrides".into(), format!("{:?}", self.settings.set)),
            (
                "--trials".into(),
                opt(self.settings.trials.map(|t| t.to_string())),
            ),
            (
                "--weeks".into(),
                opt(self.settings.weeks.map(|t| t.to_string())),
            ),
            (
                "--seed".into(),
                opt(self.settings.seed.map(|t| t.to_string())),
            ),
            (
                "--fixed-inputs".into(),
                if self.settings.fixed_inputs {
                    "yes"
                } else {
                    "no"
                }
                .into(),
            ),
            (
                "plots".into(),
                if self.plots { "yes" } else { "no (--no-plots)" }.into(),
            ),
            (
                "request".into(),
                serde_json::to_string(&self.request).unwrap_or_default(),
            ),
            ("runs".into(), self.runs.len().to_string()),
        ];
        for (i, r) in self.runs.iter().enumerate() {
            let run = if r.label.is_empty() {
                String::new()
            } else {
                format!(" of run {i} ({})", r.label)
            };
            v.push((format!("seed{run}"), r.seed.to_string()));
            v.push((format!("trials{run}"), r.trials.to_string()));
            v.push((
                format!("scenario as simulated{run} (fingerprint)"),
                r.resolved_fingerprint.clone(),
            ));
        }
        v
    }
}

/// A command to shard: what its header records, and its runs.
struct Job<'a> {
    command: &'static str,
    folder: String,
    source: &'a ScenarioSource,
    settings: &'a RunSettings,
    plots: bool,
    request: RequestDoc,
    /// (label, scenario) of each run, in the command's order.
    runs: Vec<(String, Scenario)>,
    out: &'a Path,
    force: bool,
}

/// `iopsim run --shard K/N`.
pub fn run(args: &RunArgs, shard: Shard) -> anyhow::Result<()> {
    if args.log.log.is_some() {
        return Err(UsageError {
            option: "--log with --shard".into(),
            message: "the log is written by the merge: iopsim merge DIR... --log".into(),
        }
        .into());
    }
    let source = ScenarioSource::file(args.scenario.as_ref());
    let settings = args.run.settings();
    let mut scenario = source.load(&settings.overrides(&[]))?;
    scenario.overrides = args.run.set.clone();
    write(
        Job {
            command: "run",
            folder: output::results_folder(&scenario.name, &scenario.overrides),
            source: &source,
            settings: &settings,
            plots: !args.no_plots,
            request: RequestDoc::Run,
            runs: vec![(String::new(), scenario)],
            out: &args.run.out,
            force: args.run.force,
        },
        shard,
    )
}

/// `iopsim sweep --shard K/N`: the shard's trials of every point.
pub fn sweep(req: &SweepRequest, shard: Shard) -> anyhow::Result<()> {
    let plan = crate::decide::sweep::plan(req)?;
    let runs = plan
        .points
        .iter()
        .zip(&plan.scenarios)
        .map(|(p, s)| {
            (
                crate::decide::sweep::point_sets(&plan.varies, p).join(" "),
                s.clone(),
            )
        })
        .collect();
    write(
        Job {
            command: "sweep",
            folder: plan.dir_name(),
            source: &req.scenario,
            settings: &req.run,
            plots: req.output.plots,
            request: RequestDoc::Sweep {
                varies: req.varies.iter().map(VaryDoc::from).collect(),
                metrics: req.metrics.clone(),
            },
            runs,
            out: &req.output.out,
            force: req.output.force,
        },
        shard,
    )
}

/// `iopsim size --shard K/N`: the shard's trials of every value, since
/// which values the search runs depends on all the trials (so a sharded
/// size simulates every value, where one machine runs about log2 of them).
pub fn size(req: &SizeRequest, shard: Shard) -> anyhow::Result<()> {
    let plan = crate::decide::size::plan(req)?;
    let runs = (0..plan.vary.values.len())
        .map(|i| {
            let label = format!("{}={}", plan.vary.key, plan.vary.values[i]);
            plan.load_at(i).map(|s| (label, s))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    write(
        Job {
            command: "size",
            folder: plan.dir_name(),
            source: &req.scenario,
            settings: &req.run,
            plots: req.output.plots,
            request: RequestDoc::Size {
                vary: VaryDoc::from(&req.vary),
                targets: req.targets.iter().map(TargetDoc::from).collect(),
            },
            runs,
            out: &req.output.out,
            force: req.output.force,
        },
        shard,
    )
}

/// `iopsim sensitivity --shard K/N`: the shard's trials of the global run
/// and of every one-way run, each of its own trials.
pub fn sensitivity(req: &SensitivityRequest, shard: Shard) -> anyhow::Result<()> {
    let plan = crate::decide::sensitivity::plan(req)?;
    write(
        Job {
            command: "sensitivity",
            folder: plan.dir_name(),
            source: &req.scenario,
            settings: &req.run,
            plots: req.output.plots,
            request: RequestDoc::Sensitivity {
                metrics: req.metrics.clone(),
                one_way_trials: req.one_way_trials,
            },
            runs: plan.runs(),
            out: &req.output.out,
            force: req.output.force,
        },
        shard,
    )
}

/// Simulates the shard's trials of every run of `job` into its folder,
/// claimed first and swapped in complete (a failed or killed shard leaves
/// nothing a merge would take).
fn write(job: Job<'_>, shard: Shard) -> anyhow::Result<()> {
    let started = (Instant::now(), SystemTime::now());
    let name = shard.folder(&job.folder);
    let owner = Owner::new(job.command, job.source.owner_source());
    let claim = Claim::new(job.out, &name, owner, job.force)?;
    let staging = claim.stage()?;
    let opts = RunOptions {
        threads: job.settings.threads,
    };
    let never = AtomicBool::new(false);
    let mut docs = Vec::with_capacity(job.runs.len());
    for (i, (label, s)) in job.runs.iter().enumerate() {
        let trials = u64::from(s.simulation.trials);
        let span = shard.span(trials);
        let file = format!("trials-{i}.bin");
        let mut w = format::Writer::create(&staging.path(&file), i, span.start, span.end)?;
        let what = if label.is_empty() {
            format!("shard {}/{}", shard.index, shard.count)
        } else {
            format!("shard {}/{} {label}", shard.index, shard.count)
        };
        let pb = crate::decide::progress_bar(span.end - span.start, &what, job.settings.quiet);
        trials::simulate_span(
            s,
            &opts,
            &never,
            span.clone(),
            &mut |r| w.push(&TrialRecord::of(r)),
            &mut |d| pb.set_position(d),
        )?;
        pb.finish_and_clear();
        docs.push(RunDoc {
            label: label.clone(),
            resolved_fingerprint: fingerprint(&s.resolved_toml),
            seed: s.simulation.seed,
            trials,
            first: span.start,
            end: span.end,
            file,
            bytes: w.finish()?,
        });
    }
    let header = Header {
        format: FORMAT,
        iopsim: env!("CARGO_PKG_VERSION").to_string(),
        build: env!("IOPSIM_BUILD").to_string(),
        command: job.command.to_string(),
        folder: job.folder.clone(),
        scenario: ScenarioDoc::of(job.source)?,
        settings: SettingsDoc {
            trials: job.settings.trials,
            weeks: job.settings.weeks,
            seed: job.settings.seed,
            set: job.settings.set.clone(),
            fixed_inputs: job.settings.fixed_inputs,
        },
        plots: job.plots,
        request: job.request,
        shard: ShardDoc {
            index: shard.index,
            count: shard.count,
        },
        runs: docs,
        seconds: started.0.elapsed().as_secs_f64(),
    };
    let mut json = serde_json::to_vec_pretty(&header)?;
    json.push(b'\n');
    staging.write(SHARD_FILE, &json)?;
    let first = &job.runs[0].1;
    let span = &header.runs[0];
    let record = RunRecord {
        resolved_fingerprint: fingerprint(&first.resolved_toml),
        seed: first.simulation.seed,
        trials_requested: span.end - span.first,
        trials_done: span.end - span.first,
        overrides: job.settings.set.clone(),
        seconds: started.0.elapsed().as_secs_f64(),
        ..RunRecord::new(claim.owner(), &first.name, started.1)
    };
    staging.write(output::RUN_RECORD, &record.to_json()?)?;
    let dir = staging.commit()?;
    let same = header.runs.iter().all(|r| r.trials == span.trials);
    let runs = match header.runs.len() {
        1 => String::new(),
        n if same => format!(" of each of {n} runs"),
        n => format!(
            " of the first of {n} runs ({}), and its share of each other run's trials",
            span.label
        ),
    };
    println!(
        "shard {}/{}: trials {}..{} of {}{runs} in {}{}",
        shard.index,
        shard.count,
        span.first,
        span.end,
        span.trials,
        dir.display(),
        std::path::MAIN_SEPARATOR
    );
    println!(
        "merge every shard with: iopsim merge {} --out {}",
        job.out
            .join(format!("{}.shard-*-of-{}", job.folder, shard.count))
            .display(),
        job.out.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_arguments_parse_and_spans_tile() {
        assert_eq!(parse_shard("2/4"), Ok(Shard { index: 2, count: 4 }));
        for bad in ["4/4", "1/0", "a/4", "2", "-1/4", "1/4/5"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
        for trials in [0u64, 1, 3, 10, 1001] {
            for count in 1..=7u64 {
                let spans: Vec<_> = (0..count)
                    .map(|index| Shard { index, count }.span(trials))
                    .collect();
                assert_eq!(spans[0].start, 0);
                assert_eq!(spans[spans.len() - 1].end, trials);
                for w in spans.windows(2) {
                    assert_eq!(w[0].end, w[1].start);
                }
            }
        }
        assert_eq!(Shard { index: 1, count: 4 }.span(10), 2..5);
        assert_eq!(
            Shard { index: 1, count: 4 }.folder("x+0a"),
            "x+0a.shard-1-of-4"
        );
    }

    #[test]
    fn targets_keep_their_numbers_exactly() {
        let t =
            crate::decide::size::parse_target("iop.wait_days_p90 p97.5 < 0.1234567891").unwrap();
        let doc = TargetDoc::from(&t);
        let json = serde_json::to_string(&doc).unwrap();
        let back: TargetDoc = serde_json::from_str(&json).unwrap();
        assert_eq!(back.target(), Some(t));
    }
}
