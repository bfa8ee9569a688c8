//! `iopsim merge DIR...`: checks that the shard folders belong to one
//! command and hold each of its trials exactly once, all before anything is
//! written, then folds their records in trial order through the command's
//! own output code, streaming each trial file one record at a time.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::Context;

use super::format::Reader;
use super::{Header, RequestDoc, ShardError, FORMAT, SHARD_FILE};
use crate::cli::{DecideRun, MergeArgs, RunArgs};
use crate::commands::{self, UsageError};
use crate::decide::request::{
    OutputSettings, RunSettings, SensitivityRequest, SizeRequest, SweepRequest,
};
use crate::decide::{self, sensitivity, size, sweep};
use crate::report::output::fingerprint;
use crate::scenario::Scenario;
use crate::trials::{self, RunResults, Shape, TrialRecord};

/// A shard folder and its header.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub dir: PathBuf,
    pub header: Header,
}

impl Loaded {
    fn header_path(&self) -> PathBuf {
        self.dir.join(SHARD_FILE)
    }
}

fn bad(message: String) -> anyhow::Error {
    ShardError(message).into()
}

/// Reads the header of the shard folder `dir`.
pub fn read(dir: &Path) -> anyhow::Result<Loaded> {
    let written_by =
        "shard folders are written by `iopsim run|sweep|size|sensitivity --shard K/N` \
                      (OUT/<folder>.shard-K-of-N/)";
    if !dir.is_dir() {
        return Err(bad(format!(
            "{}: not a folder; {written_by}",
            dir.display()
        )));
    }
    let path = dir.join(SHARD_FILE);
    if !path.is_file() {
        return Err(bad(format!(
            "{}: no {SHARD_FILE}, so not a shard folder; {written_by}",
            dir.display()
        )));
    }
    let text = crate::scenario::read_capped(&path, 64 << 20)
        .map_err(|e| bad(format!("{}: {e}", path.display())))?;
    // The format first, so that a later format is named as such rather
    // than as a field this version does not know.
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| bad(format!("{}: not a shard header ({e})", path.display())))?;
    match value.get("format").and_then(|f| f.as_u64()) {
        Some(f) if f == u64::from(FORMAT) => {}
        Some(f) => {
            return Err(bad(format!(
                "{}: shard format {f}; this iopsim ({}) reads format {FORMAT}: merge with the iopsim that wrote the shards",
                path.display(),
                env!("CARGO_PKG_VERSION")
            )))
        }
        None => {
            return Err(bad(format!(
                "{}: not a shard header (no format)",
                path.display()
            )))
        }
    }
    let header: Header = serde_json::from_value(value)
        .map_err(|e| bad(format!("{}: not a shard header ({e})", path.display())))?;
    let here = env!("CARGO_PKG_VERSION");
    if header.iopsim != here {
        return Err(bad(format!(
            "{}: written by iopsim {}, this is iopsim {here}: results may differ between versions, \
             so merge with the version that wrote the shards (or run them again)",
            path.display(),
            header.iopsim
        )));
    }
    let build = env!("IOPSIM_BUILD");
    if header.build != build {
        return Err(bad(format!(
            "{}: written by another build of iopsim {here} (source fingerprint {}, this build's {build}): \
             results may differ between builds, so merge with the build that wrote the shards (or run them again)",
            path.display(),
            if header.build.is_empty() { "none" } else { &header.build }
        )));
    }
    Ok(Loaded {
        dir: dir.to_path_buf(),
        header,
    })
}

/// Reads and checks the shard folders `dirs`: one command's, each trial of
/// each of its runs held exactly once, every trial file of the size its
/// header says. Returns them ordered by their trials. Every error names the
/// folders or files and what differs ([`ShardError`]); nothing is written.
pub fn check(dirs: &[PathBuf]) -> anyhow::Result<Vec<Loaded>> {
    let mut shards = dirs
        .iter()
        .map(|d| read(d))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let Some(first) = shards.first() else {
        return Err(bad("no shard folders given".into()));
    };
    let want = first.header.identity();
    for s in &shards[1..] {
        let got = s.header.identity();
        let differs: Vec<String> = want
            .iter()
            .zip(&got)
            .filter(|(a, b)| a != b)
            .map(|((what, a), (_, b))| format!("{what}: {a} in the first, {b} in the second"))
            .collect();
        if !differs.is_empty() || want.len() != got.len() {
            return Err(bad(format!(
                "{} and {} are shards of different runs; merge only the shards of one run \
                 (same scenario, settings, seed, trials and iopsim version):\n  {}",
                first.header_path().display(),
                s.header_path().display(),
                differs.join("\n  ")
            )));
        }
    }
    for s in &shards {
        for (i, r) in s.header.runs.iter().enumerate() {
            if r.file != format!("trials-{i}.bin") || r.first > r.end || r.end > r.trials {
                return Err(bad(format!(
                    "{}: run {i} is not one this iopsim writes (file {}, trials {}..{} of {})",
                    s.header_path().display(),
                    r.file,
                    r.first,
                    r.end,
                    r.trials
                )));
            }
        }
    }
    shards.sort_by_key(|s| {
        s.header
            .runs
            .first()
            .map(|r| (r.first, r.end))
            .unwrap_or_default()
    });
    let runs = shards[0].header.runs.len();
    for run in 0..runs {
        tiles(&shards, run)?;
    }
    for s in &shards {
        for r in &s.header.runs {
            let path = s.dir.join(&r.file);
            let size = std::fs::metadata(&path).map(|m| m.len()).map_err(|e| {
                bad(format!(
                    "{}: {e}; the shard folder is incomplete, run shard {}/{} again",
                    path.display(),
                    s.header.shard.index,
                    s.header.shard.count
                ))
            })?;
            if size != r.bytes {
                return Err(bad(format!(
                    "{}: {size} bytes, its {SHARD_FILE} says {} (a partial copy?)",
                    path.display(),
                    r.bytes
                )));
            }
        }
    }
    Ok(shards)
}

/// Do the shards' spans of run `run` cover its trials exactly once?
fn tiles(shards: &[Loaded], run: usize) -> anyhow::Result<()> {
    let mut spans: Vec<(u64, u64, &Loaded)> = shards
        .iter()
        .map(|s| (s.header.runs[run].first, s.header.runs[run].end, s))
        .filter(|(a, b, _)| a < b)
        .collect();
    spans.sort_by_key(|&(a, b, _)| (a, b));
    let trials = shards[0].header.runs[run].trials;
    let label = &shards[0].header.runs[run].label;
    let of = if label.is_empty() {
        String::new()
    } else {
        format!(" of run {run} ({label})")
    };
    let given = || {
        shards
            .iter()
            .map(|s| {
                let r = &s.header.runs[run];
                format!("{} (trials {}..{})", s.dir.display(), r.first, r.end)
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut next = 0;
    let mut prev: Option<&(u64, u64, &Loaded)> = None;
    for span in &spans {
        let (a, b, s) = span;
        if *a > next {
            return Err(bad(format!(
                "trials {next}..{a}{of} are missing: no shard given holds them (given: {}); \
                 add the missing shard's folder",
                given()
            )));
        }
        if *a < next {
            let (pa, pb, p) = prev.expect("a span before");
            return Err(bad(format!(
                "{} (trials {a}..{b}) and {} (trials {pa}..{pb}) overlap{of}: each trial must be \
                 in exactly one shard",
                s.dir.display(),
                p.dir.display()
            )));
        }
        next = *b;
        prev = Some(span);
    }
    if next < trials {
        return Err(bad(format!(
            "trials {next}..{trials}{of} are missing: no shard given holds them (given: {}); \
             add the missing shard's folder",
            given()
        )));
    }
    Ok(())
}

/// The records of run `run` of `scenario`, shard after shard in trial
/// order, read one at a time, each checked to have the scenario's shape.
fn records<'a>(
    shards: &'a [Loaded],
    run: usize,
    scenario: &Scenario,
) -> impl Iterator<Item = anyhow::Result<TrialRecord>> + 'a {
    let shape = Shape::of(scenario);
    let mut order: Vec<&Loaded> = shards.iter().collect();
    order.sort_by_key(|s| (s.header.runs[run].first, s.header.runs[run].end));
    order.into_iter().flat_map(move |s| {
        let r = &s.header.runs[run];
        let path = s.dir.join(&r.file);
        let it: Box<dyn Iterator<Item = anyhow::Result<TrialRecord>>> =
            match Reader::open(&path, run, r.first, r.end) {
                Ok(reader) => Box::new(reader.map(move |rec| {
                    let rec = rec?;
                    rec.check_shape(&shape)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                    Ok(rec)
                })),
                Err(e) => Box::new(std::iter::once(Err(e))),
            };
        it
    })
}

/// Folds the records of run `run` of `shards` into its results.
pub fn fold(
    shards: &[Loaded],
    run: usize,
    scenario: &Scenario,
    threads: usize,
    on_trial: &mut (dyn FnMut(u64, &[f64]) -> anyhow::Result<()> + Send),
    progress: &mut (dyn FnMut(u64) + Send),
) -> anyhow::Result<RunResults> {
    let never = AtomicBool::new(false);
    let mut it = records(shards, run, scenario);
    trials::fold_records(scenario, threads, &never, &mut it, on_trial, progress)
}

/// The run `run` of a sweep, size or sensitivity, merged, with its per-trial rows.
fn merged_run(
    shards: &[Loaded],
    run: usize,
    scenario: &Scenario,
    threads: usize,
) -> anyhow::Result<decide::Run> {
    let mut rows = Vec::new();
    let results = fold(
        shards,
        run,
        scenario,
        threads,
        &mut |_, row| {
            rows.push(row.to_vec());
            Ok(())
        },
        &mut |_| {},
    )?;
    Ok(decide::Run { results, rows })
}

/// Is `scenario`, loaded again here, the one run `run` simulated?
fn same_scenario(shards: &[Loaded], run: usize, scenario: &Scenario) -> anyhow::Result<()> {
    let here = fingerprint(&scenario.resolved_toml);
    let doc = shards[0].header.runs.get(run);
    match doc {
        Some(r) if r.resolved_fingerprint == here => Ok(()),
        _ => Err(bad(format!(
            "{}: the scenario{} loads here as another scenario than the shards simulated \
             (fingerprint {here}, the shards' {}); were files it names changed?",
            shards[0].header_path().display(),
            doc.filter(|r| !r.label.is_empty())
                .map_or(String::new(), |r| format!(" at {}", r.label)),
            doc.map_or("none", |r| r.resolved_fingerprint.as_str())
        ))),
    }
}

/// `iopsim merge DIR...`. On any error nothing is left written: the
/// results are staged and swapped in only when complete, and an output
/// root the merge created is removed again.
pub fn command(args: &MergeArgs) -> anyhow::Result<()> {
    let existed = args.out.exists();
    let merged = merge(args);
    if merged.is_err() && !existed {
        // Only if empty: remove_dir refuses a folder with anything in it.
        let _ = std::fs::remove_dir(&args.out);
    }
    merged
}

fn merge(args: &MergeArgs) -> anyhow::Result<()> {
    let shards = check(&args.shards)?;
    let h = &shards[0].header;
    let loading = || {
        format!(
            "loading the scenario recorded in {}",
            shards[0].header_path().display()
        )
    };
    let source = h.scenario.source(&shards[0].header_path())?;
    let settings = RunSettings {
        trials: h.settings.trials,
        weeks: h.settings.weeks,
        seed: h.settings.seed,
        set: h.settings.set.clone(),
        fixed_inputs: h.settings.fixed_inputs,
        threads: args.threads,
        quiet: args.quiet,
    };
    let output = OutputSettings {
        out: args.out.clone(),
        force: args.force,
        plots: h.plots && !args.no_plots,
    };
    let threads = args.threads;
    if args.log.log.is_some() && h.request != RequestDoc::Run {
        return Err(UsageError {
            option: "--log".into(),
            message: format!(
                "the log is written for a run; these are shards of a {}",
                h.command
            ),
        }
        .into());
    }
    match &h.request {
        RequestDoc::Run => {
            let mut scenario = source
                .load(&settings.overrides(&[]))
                .with_context(loading)?;
            scenario.overrides = settings.set.clone();
            same_scenario(&shards, 0, &scenario)?;
            let run_args = RunArgs {
                scenario: None,
                run: DecideRun {
                    trials: settings.trials,
                    weeks: settings.weeks,
                    seed: settings.seed,
                    threads,
                    out: output.out.clone(),
                    set: settings.set.clone(),
                    fixed_inputs: settings.fixed_inputs,
                    quiet: args.quiet,
                    force: args.force,
                },
                no_plots: !output.plots,
                log: args.log.clone(),
                shard: None,
            };
            commands::run_as(
                &run_args,
                &source,
                scenario,
                commands::Origin::Merged {
                    shards: shards.len(),
                    seconds: shards.iter().map(|s| s.header.seconds).sum(),
                },
                &mut |s, on_trial, progress| fold(&shards, 0, s, threads, on_trial, progress),
            )?;
        }
        RequestDoc::Sweep { varies, metrics } => {
            let req = SweepRequest {
                scenario: source,
                varies: varies.iter().map(Into::into).collect(),
                metrics: metrics.clone(),
                run: settings,
                output,
            };
            let plan = sweep::plan(&req).with_context(loading)?;
            if plan.scenarios.len() != h.runs.len() {
                return Err(bad(format!(
                    "{}: {} points recorded, the sweep has {} here",
                    shards[0].header_path().display(),
                    h.runs.len(),
                    plan.scenarios.len()
                )));
            }
            for (i, s) in plan.scenarios.iter().enumerate() {
                same_scenario(&shards, i, s)?;
            }
            let (swept, dir) = sweep::write_with(&req, plan, &mut |i, s, _| {
                merged_run(&shards, i, s, threads)
            })?;
            sweep::print(&swept, &dir, !req.output.plots);
        }
        RequestDoc::Size { vary, targets } => {
            let targets = targets
                .iter()
                .map(|t| {
                    t.target().ok_or_else(|| {
                        bad(format!(
                            "{}: a target with op '{}' (<=, <, >= or >)",
                            shards[0].header_path().display(),
                            t.op
                        ))
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let req = SizeRequest {
                scenario: source,
                vary: vary.into(),
                targets,
                run: settings,
                output,
            };
            let plan = size::plan(&req).with_context(loading)?;
            if plan.vary.values.len() != h.runs.len() {
                return Err(bad(format!(
                    "{}: {} values recorded, the search has {} here",
                    shards[0].header_path().display(),
                    h.runs.len(),
                    plan.vary.values.len()
                )));
            }
            for i in 0..plan.vary.values.len() {
                same_scenario(&shards, i, &plan.load_at(i)?)?;
            }
            let (found, dir) = size::write_with(&req, plan, &mut |i, s, _| {
                merged_run(&shards, i, s, threads)
            })?;
            size::print(&found, &dir, !req.output.plots);
        }
        RequestDoc::Sensitivity {
            metrics,
            one_way_trials,
        } => {
            let req = SensitivityRequest {
                scenario: source,
                metrics: metrics.clone(),
                one_way_trials: *one_way_trials,
                run: settings,
                output,
            };
            let plan = sensitivity::plan(&req).with_context(loading)?;
            let runs = plan.runs();
            if runs.len() != h.runs.len() {
                return Err(bad(format!(
                    "{}: {} runs recorded, the analysis has {} here",
                    shards[0].header_path().display(),
                    h.runs.len(),
                    runs.len()
                )));
            }
            for (i, (_, s)) in runs.iter().enumerate() {
                same_scenario(&shards, i, s)?;
            }
            let (analysed, dir) = sensitivity::write_with(&req, plan, &mut |i, s, _| {
                merged_run(&shards, i, s, threads)
            })?;
            sensitivity::print(&analysed, &dir, !req.output.plots);
        }
    }
    Ok(())
}
