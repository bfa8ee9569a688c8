//! `iopsim sensitivity`: which uncertain input (docs/scenario.md,
//! "Uncertain inputs") moves a metric most, two ways (docs/sensitivity.md).
//!
//! - **Global**: one run in which every trial draws every input; for each
//!   trial its draws are recomputed (`Inputs::draw`, the values the trial
//!   used), and each input's first-order share of the metric's variance
//!   across trials, S_i = Var(E[Y | X_i]) / Var(Y), is estimated from the
//!   same runs ([`first_order_share`]: trials sorted by the input, cut into
//!   about sqrt(n) bins of equal count, the variance of the bin means less
//!   its sampling noise). What the shares leave, 1 - sum S_i, is the luck of
//!   arrivals and patients, and interactions between inputs.
//! - **One-way**: every input at its P10 and at its P90, the others at
//!   their means, and once all at their means, on the same seed and trial
//!   numbers (common random numbers): the metric's mean at each end, and the
//!   swing between them (a tornado chart), with the paired 95% interval of
//!   the difference.
//!
//! Inputs are ranked by their variance share (what a measurement would
//! remove), ties by swing, then in file order.

use std::fmt::Write as _;

use anyhow::Context;

use super::compare::{pct, Paired};
use super::request::{ScenarioSource, SensitivityRequest};
use super::Direction;
use crate::cli::SensitivityArgs;
use crate::commands::UsageError;
use crate::scenario::Scenario;
use crate::stats::Summary;

/// The one-way runs' trials when not given: as many as the global run,
/// at most this. With common random numbers the swing is a paired
/// difference, far less noisy than either mean (its interval is reported).
pub const ONE_WAY_TRIALS: u32 = 500;

/// The name of the remainder's row in sensitivity.csv.
pub const REMAINDER: &str = "(remainder)";
/// What the remainder is, in words.
pub const REMAINDER_WORDS: &str = "the luck of arrivals and patients, and interactions";

/// The first-order share of the variance of `y` explained by `x`,
/// Var(E[Y | X]) / Var(Y), estimated from pairs (x, y) with both finite:
/// sorted by x (ties by position), cut into k = round(sqrt(n)) bins of
/// nearly equal count; the variance of the bin means about the overall
/// mean (weighted by count) less the noise each bin mean carries (its
/// within-bin variance over its count), floored at 0, over the variance
/// of y. Deterministic. `None` with fewer than 8 pairs or a y that does
/// not vary.
///
/// Its bias: within a bin E[Y | X] still varies a little, which the noise
/// correction counts as noise, so a steep input is slightly under-credited
/// (by about 1/k^2 of its share for a smooth effect); the estimate's own
/// noise is about sqrt(2/k) times the noise share over sqrt(n) (see
/// docs/sensitivity.md).
pub fn first_order_share(x: &[f64], y: &[f64]) -> Option<f64> {
    let mut pairs: Vec<(f64, f64, usize)> = x
        .iter()
        .zip(y)
        .enumerate()
        .filter(|(_, (a, b))| a.is_finite() && b.is_finite())
        .map(|(i, (&a, &b))| (a, b, i))
        .collect();
    let n = pairs.len();
    if n < 8 {
        return None;
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.cmp(&b.2)));
    let nf = n as f64;
    let mean = pairs.iter().map(|p| p.1).sum::<f64>() / nf;
    let var = pairs.iter().map(|p| (p.1 - mean).powi(2)).sum::<f64>() / nf;
    if var.is_nan() || var <= 0.0 {
        return None;
    }
    let k = bins(n);
    let (mut between, mut noise) = (0.0, 0.0);
    for b in 0..k {
        let bin = &pairs[b * n / k..(b + 1) * n / k];
        let m = bin.len() as f64;
        let bm = bin.iter().map(|p| p.1).sum::<f64>() / m;
        let within = bin.iter().map(|p| (p.1 - bm).powi(2)).sum::<f64>() / (m - 1.0);
        between += m / nf * (bm - mean).powi(2);
        noise += m / nf * within / m;
    }
    Some(((between - noise) / var).max(0.0))
}

/// The bins [`first_order_share`] cuts `n` pairs into.
fn bins(n: usize) -> usize {
    ((n as f64).sqrt().round() as usize).max(2).min(n / 2)
}

/// The standard deviation of [`first_order_share`] for an input with no
/// effect, from `n` trials: sqrt(2 (k - 1)) / n with k bins (the bin means'
/// chi-square over k - 1 degrees of freedom, less its mean), when all of
/// the variance is noise. Shares under three times this cannot be told
/// from zero.
pub fn share_noise(n: usize) -> f64 {
    if n < 8 {
        return f64::NAN;
    }
    (2.0 * (bins(n) as f64 - 1.0)).sqrt() / n as f64
}

/// One uncertain input as the analysis uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub key: String,
    /// As written: "beta(mean 0.72, n 60)".
    pub distribution: String,
    pub mean: f64,
    pub p10: f64,
    pub p90: f64,
}

/// One input's effect on one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    /// Index into [`Analysis::inputs`].
    pub input: usize,
    /// The metric's mean over the one-way trials with the input at its P10
    /// (and at its P90), the others at their means.
    pub mean_at_p10: f64,
    pub mean_at_p90: f64,
    /// |mean_at_p90 - mean_at_p10|.
    pub swing: f64,
    /// Paired 95% interval of mean_at_p90 - mean_at_p10.
    pub diff_ci95: (f64, f64),
    /// First-order variance share (NaN when it cannot be estimated).
    pub share: f64,
    /// 1 = moves the metric most.
    pub rank: usize,
}

/// Every input's effect on one metric, by rank.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSensitivity {
    pub metric: String,
    /// The mean with every input at its mean (one-way trials).
    pub mean_at_means: f64,
    /// Mean and sd over the global run's trials (every input drawn).
    pub global: Summary,
    /// Effects in rank order.
    pub effects: Vec<Effect>,
    /// 1 - the sum of the shares: the luck of arrivals and patients, and
    /// interactions (NaN when no share could be estimated).
    pub remainder: f64,
}

/// The whole answer of `iopsim sensitivity`.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub scenario: String,
    pub inputs: Vec<Input>,
    pub metrics: Vec<MetricSensitivity>,
    /// Trials of the global run, and of each one-way run.
    pub trials: u32,
    pub one_way_trials: u32,
    pub seed: u64,
}

/// Ranks one metric's effects: by share (NaN last), then swing, then input order.
fn rank(effects: &mut [Effect]) {
    let key = |e: &Effect| if e.share.is_finite() { e.share } else { -1.0 };
    effects.sort_by(|a, b| {
        key(b)
            .total_cmp(&key(a))
            .then(b.swing.total_cmp(&a.swing))
            .then(a.input.cmp(&b.input))
    });
    for (r, e) in effects.iter_mut().enumerate() {
        e.rank = r + 1;
    }
}

/// The analysis of one metric from the global run's columns (`drawn[t][i]`
/// the value of input i in trial t, `y[t]` the metric) and the one-way
/// runs' columns (`at_means`, and per input `(at P10, at P90)`).
pub fn analyse(
    metric: &str,
    drawn: &[Vec<f64>],
    y: &[f64],
    at_means: &[f64],
    one_way: &[(Vec<f64>, Vec<f64>)],
) -> MetricSensitivity {
    let finite: Vec<f64> = y.iter().copied().filter(|v| v.is_finite()).collect();
    let mut effects: Vec<Effect> = one_way
        .iter()
        .enumerate()
        .map(|(i, (lo, hi))| {
            let x: Vec<f64> = drawn.iter().map(|d| d[i]).collect();
            let p = Paired::of(lo, hi, Direction::Neutral);
            let d = if p.n == 0 { f64::NAN } else { p.diff.mean };
            Effect {
                input: i,
                mean_at_p10: p.base_mean,
                mean_at_p90: p.alt_mean,
                swing: d.abs(),
                diff_ci95: (p.diff.ci95_low, p.diff.ci95_high),
                share: first_order_share(&x, y).unwrap_or(f64::NAN),
                rank: 0,
            }
        })
        .collect();
    rank(&mut effects);
    let shares: Vec<f64> = effects
        .iter()
        .map(|e| e.share)
        .filter(|s| s.is_finite())
        .collect();
    let remainder = if shares.is_empty() {
        f64::NAN
    } else {
        1.0 - shares.iter().sum::<f64>()
    };
    let means: Vec<f64> = at_means.iter().copied().filter(|v| v.is_finite()).collect();
    MetricSensitivity {
        metric: metric.to_string(),
        mean_at_means: Summary::of(&means).mean,
        global: Summary::of(&finite),
        effects,
        remainder,
    }
}

fn csv_num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// `sensitivity.csv`: per metric, one row per input in rank order, then
/// the remainder's row.
pub fn csv(a: &Analysis) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "metric",
        "input",
        "distribution",
        "value_p10",
        "value_p90",
        "mean_at_means",
        "mean_at_p10",
        "mean_at_p90",
        "swing",
        "diff_ci95_low",
        "diff_ci95_high",
        "variance_share",
        "rank",
    ])?;
    for m in &a.metrics {
        for e in &m.effects {
            let input = &a.inputs[e.input];
            w.write_record([
                m.metric.clone(),
                input.key.clone(),
                input.distribution.clone(),
                csv_num(input.p10),
                csv_num(input.p90),
                csv_num(m.mean_at_means),
                csv_num(e.mean_at_p10),
                csv_num(e.mean_at_p90),
                csv_num(e.swing),
                csv_num(e.diff_ci95.0),
                csv_num(e.diff_ci95.1),
                csv_num(e.share),
                e.rank.to_string(),
            ])?;
        }
        w.write_record([
            m.metric.clone(),
            REMAINDER.to_string(),
            REMAINDER_WORDS.to_string(),
            String::new(),
            String::new(),
            csv_num(m.mean_at_means),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            csv_num(m.remainder),
            String::new(),
        ])?;
    }
    Ok(w.into_inner()?)
}

/// The console table: per metric, each input's P10 and P90, the metric's
/// mean at each, the swing and the variance share, by rank.
pub fn table(a: &Analysis) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "sensitivity of {}: {} uncertain inputs; global: {} trials with every input drawn; \
         one-way: {} trials at each input's P10 and P90 (the others at their means); seed {}",
        a.scenario,
        a.inputs.len(),
        a.trials,
        a.one_way_trials,
        a.seed
    );
    let w = a
        .inputs
        .iter()
        .map(|i| i.key.len())
        .max()
        .unwrap_or(5)
        .max(REMAINDER.len());
    for m in &a.metrics {
        let measure = super::words::metric(&m.metric).measure;
        let _ = writeln!(
            out,
            "\n{}: {} with every input at its mean; {} (sd {}) over the global run",
            m.metric,
            measure.value(m.mean_at_means),
            measure.value(m.global.mean),
            measure.value(m.global.sd)
        );
        let _ = writeln!(
            out,
            "{:>4}  {:<w$}  {:>21}  {:>10}  {:>10}  {:>9}  {:>6}",
            "rank", "input", "P10 .. P90", "at P10", "at P90", "swing", "share"
        );
        for e in &m.effects {
            let i = &a.inputs[e.input];
            let _ = writeln!(
                out,
                "{:>4}  {:<w$}  {:>21}  {:>10}  {:>10}  {:>9}  {:>6}",
                e.rank,
                i.key,
                format!("{} .. {}", sig3(i.p10), sig3(i.p90)),
                measure.value(e.mean_at_p10),
                measure.value(e.mean_at_p90),
                measure.value(e.swing),
                pct(e.share)
            );
        }
        let _ = writeln!(
            out,
            "{:>4}  {:<w$}  {:>21}  {:>10}  {:>10}  {:>9}  {:>6}",
            "",
            REMAINDER,
            "",
            "",
            "",
            "",
            pct(m.remainder)
        );
    }
    let _ = writeln!(
        out,
        "\nswing = |mean at P90 - mean at P10|, the others at their means, on the same random inputs; \
         share = first-order share of the variance across the global run's trials; \
         {REMAINDER} = 1 - the shares: {REMAINDER_WORDS}; shares under {} cannot be told from 0 \
         at {} trials (3 sd of the estimate for an input with no effect).",
        pct(3.0 * share_noise(a.trials as usize)),
        a.trials
    );
    out
}

/// An input's value for people: three significant digits ("15.5",
/// "0.794", "0.00250"), no exponent.
pub fn sig3(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let decimals = (2 - x.abs().log10().floor() as i32).clamp(0, 12) as usize;
    format!("{x:.decimals$}")
}

/// The edit distance between `a` and `b` (characters).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for j in 0..b.len() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != b[j]))
                .min(row[j] + 1)
                .min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Up to five metric names closest to `name`: those ending as it does
/// first, then by edit distance.
pub fn close_names(name: &str, names: &[String]) -> Vec<String> {
    let last = name.rsplit('.').next().unwrap_or(name);
    let mut scored: Vec<(usize, &String)> = names
        .iter()
        .map(|n| {
            let same_end = n.rsplit('.').next() == Some(last) || n.contains(name);
            (distance(name, n) / if same_end { 4 } else { 1 }, n)
        })
        .collect();
    scored.sort();
    scored.into_iter().take(5).map(|(_, n)| n.clone()).collect()
}

/// An analysis loaded and checked, ready to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The scenario with its uncertain inputs, as the global run runs it.
    pub base: Scenario,
    pub metrics: Vec<String>,
    pub inputs: Vec<Input>,
    /// The one-way scenarios: every input at its mean, then per input at
    /// its P10 and at its P90.
    at_means: Scenario,
    one_way: Vec<(Scenario, Scenario)>,
    one_way_trials: u32,
    threads: usize,
    quiet: bool,
}

fn usage(option: &str, message: String) -> anyhow::Error {
    UsageError {
        option: option.into(),
        message,
    }
    .into()
}

/// Loads the scenario of `req`, checks it has uncertain inputs and the
/// metrics exist, and builds every one-way scenario, before any run.
pub fn plan(req: &SensitivityRequest) -> anyhow::Result<Plan> {
    let base = req.scenario.load(&req.run.overrides(&[]))?;
    if base.inputs.is_empty() {
        let why = if base.simulation.fixed_inputs {
            "its uncertain inputs are fixed at their means (--fixed-inputs or simulation.fixed_inputs)"
        } else {
            "it has no uncertain inputs"
        };
        return Err(usage(
            "scenario",
            format!(
                "'{}': {why}, so there is nothing to be sensitive to; write the numbers you are unsure of \
                 as distributions, e.g. show = {{ uncertain = \"beta\", mean = 0.72, n = 60 }} \
                 (docs/scenario.md#uncertain-inputs)",
                base.name
            ),
        ));
    }
    if req.metrics.is_empty() {
        return Err(usage(
            "--metric",
            "name at least one metric, e.g. --metric iop.wait_days_p90 (the names of summary.csv)"
                .into(),
        ));
    }
    let names = crate::model::result::summary_names(&base);
    let mut metrics: Vec<String> = Vec::new();
    for m in &req.metrics {
        if !names.contains(m) {
            return Err(usage(
                "--metric",
                format!(
                    "no metric '{m}' in '{}'; the closest are: {} (every name is a row of summary.csv)",
                    base.name,
                    close_names(m, &names).join(", ")
                ),
            ));
        }
        if !metrics.contains(m) {
            metrics.push(m.clone());
        }
    }
    if req.one_way_trials == Some(0) {
        return Err(usage("--one-way-trials", "must be at least 1".into()));
    }
    let one_way_trials = req
        .one_way_trials
        .unwrap_or_else(|| base.simulation.trials.min(ONE_WAY_TRIALS));
    let list = &base.inputs;
    let means = list.means();
    // Each input's own P10 and P90, which build the one-way scenarios,
    // and the values its key takes there (a Dirichlet share's stick is
    // shown as the share it gives).
    let ends: Vec<(f64, f64)> = list
        .list
        .iter()
        .map(|i| (i.dist.quantile(0.1), i.dist.quantile(0.9)))
        .collect();
    let inputs: Vec<Input> = list
        .list
        .iter()
        .zip(&ends)
        .map(|(i, &(p10, p90))| Input {
            key: i.key.clone(),
            distribution: i.describe(),
            mean: i.value_at(i.dist.mean()),
            p10: i.value_at(p10),
            p90: i.value_at(p90),
        })
        .collect();
    let at = |values: &[f64], what: &str| -> anyhow::Result<Scenario> {
        let mut s = list
            .scenario_at(values)
            .map_err(|e| usage("scenario", format!("{what}: {e}")))?;
        s.simulation.trials = one_way_trials;
        Ok(s)
    };
    let at_means = at(&means, "with every uncertain input at its mean")?;
    let mut one_way = Vec::new();
    for (i, (input, &(p10, p90))) in inputs.iter().zip(&ends).enumerate() {
        let mut lo = means.clone();
        lo[i] = p10;
        let mut hi = means.clone();
        hi[i] = p90;
        one_way.push((
            at(
                &lo,
                &format!("with {} at its P10, {}", input.key, input.p10),
            )?,
            at(
                &hi,
                &format!("with {} at its P90, {}", input.key, input.p90),
            )?,
        ));
    }
    Ok(Plan {
        base,
        metrics,
        inputs,
        at_means,
        one_way,
        one_way_trials,
        threads: req.run.threads,
        quiet: req.run.quiet,
    })
}

/// The runs of an analysis simulated here, each with its per-trial rows.
fn simulated(
    threads: usize,
    quiet: bool,
) -> impl FnMut(usize, &Scenario, &str) -> anyhow::Result<super::Run> {
    move |_, s, label| {
        super::run(s, threads, true, label, quiet).with_context(|| format!("running {label}"))
    }
}

/// An analysis run, with the scenario it analysed.
#[derive(Debug, Clone)]
pub struct Analysed {
    pub analysis: Analysis,
    pub base: Scenario,
}

impl Plan {
    /// The folder name of this analysis, `sensitivity-<scenario>`.
    pub fn dir_name(&self) -> String {
        format!("sensitivity-{}", self.base.name)
    }

    /// Every run of the analysis, in order, with its label: the global
    /// run (every input drawn), the run with every input at its mean, then
    /// per input its run at P10 and at P90. Each has its own trials (the
    /// global run the scenario's, the others the one-way trials).
    pub fn runs(&self) -> Vec<(String, Scenario)> {
        let mut v = vec![
            ("every input drawn".to_string(), self.base.clone()),
            ("every input at its mean".to_string(), self.at_means.clone()),
        ];
        for (input, (lo, hi)) in self.inputs.iter().zip(&self.one_way) {
            v.push((format!("{} at its P10", input.key), lo.clone()));
            v.push((format!("{} at its P90", input.key), hi.clone()));
        }
        v
    }

    /// Runs the global run and the one-way runs.
    pub fn run(self) -> anyhow::Result<Analysed> {
        let mut runs = simulated(self.threads, self.quiet);
        self.run_with(&mut runs)
    }

    /// The analysis, each run of [`Plan::runs`] (by its index there) from
    /// `runs`: simulated, or merged from shards by `iopsim merge`. The
    /// global run's rows must be in trial order.
    pub fn run_with(self, runs: &mut super::Runs<'_>) -> anyhow::Result<Analysed> {
        let columns = |r: &super::Run| -> Vec<Vec<f64>> {
            self.metrics
                .iter()
                .map(|m| r.column(m).unwrap_or_default())
                .collect()
        };
        let list = self.runs();
        let mut run = |i: usize| {
            let (label, s) = &list[i];
            runs(i, s, label)
        };
        let global = run(0)?;
        let seed = self.base.simulation.seed;
        let drawn: Vec<Vec<f64>> = (0..u64::from(self.base.simulation.trials))
            .map(|t| self.base.inputs.draw(seed, t))
            .collect();
        let global = columns(&global);
        let at_means = columns(&run(1)?);
        let mut one_way = Vec::new();
        for i in 0..self.inputs.len() {
            let lo = columns(&run(2 + 2 * i)?);
            let hi = columns(&run(3 + 2 * i)?);
            one_way.push((lo, hi));
        }
        let metrics = self
            .metrics
            .iter()
            .enumerate()
            .map(|(k, m)| {
                let ends: Vec<(Vec<f64>, Vec<f64>)> = one_way
                    .iter()
                    .map(|(lo, hi)| (lo[k].clone(), hi[k].clone()))
                    .collect();
                analyse(m, &drawn, &global[k], &at_means[k], &ends)
            })
            .collect();
        Ok(Analysed {
            analysis: Analysis {
                scenario: self.base.name.clone(),
                inputs: self.inputs,
                metrics,
                trials: self.base.simulation.trials,
                one_way_trials: self.one_way_trials,
                seed,
            },
            base: self.base,
        })
    }
}

/// The analysis `req` asks for, with nothing written.
pub fn compute(req: &SensitivityRequest) -> anyhow::Result<Analysed> {
    plan(req)?.run()
}

/// The files of an analysis' folder but `run.json`, in writing order:
/// sensitivity.csv and, with `plots`, the tornado charts and report.html.
pub fn files(a: &Analysed, plots: bool) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut files = vec![("sensitivity.csv".to_string(), csv(&a.analysis)?)];
    if plots {
        let figures = super::plots::tornado_figures(&a.analysis)?;
        for f in &figures {
            files.push((format!("{}.png", f.stem), f.png.clone()));
            files.push((format!("{}.svg", f.stem), f.svg.clone().into_bytes()));
        }
        let page = super::page::sensitivity(&a.analysis, &a.base, &figures);
        files.push(("report.html".to_string(), page.into_bytes()));
    }
    Ok(files)
}

/// Computes the analysis `req` asks for and writes its folder,
/// `OUT/sensitivity-<scenario>/`, claimed before any run; returns the
/// analysis and the folder.
pub fn write(req: &SensitivityRequest) -> anyhow::Result<(Analysed, std::path::PathBuf)> {
    let mut runs = simulated(req.run.threads, req.run.quiet);
    write_with(req, plan(req)?, &mut runs)
}

/// [`write()`] of the analysis `plan` of `req`, each run of [`Plan::runs`]
/// from `runs` (simulated, or merged from shards by `iopsim merge`).
pub fn write_with(
    req: &SensitivityRequest,
    plan: Plan,
    runs: &mut super::Runs<'_>,
) -> anyhow::Result<(Analysed, std::path::PathBuf)> {
    // The folder is claimed before any run.
    super::write_folder(
        &req.output,
        &plan.dir_name(),
        "sensitivity",
        &req.scenario,
        || plan.run_with(runs),
        |x| &x.base,
        files,
    )
}

impl SensitivityArgs {
    /// The request these arguments make.
    pub fn request(&self) -> SensitivityRequest {
        SensitivityRequest {
            scenario: ScenarioSource::file(self.scenario.as_ref()),
            metrics: self.metrics.clone(),
            one_way_trials: self.one_way_trials,
            run: self.run.settings(),
            output: self.run.output(self.no_plots),
        }
    }
}

/// `iopsim sensitivity SCENARIO --metric METRIC [...]`.
pub fn command(args: &SensitivityArgs) -> anyhow::Result<()> {
    if let Some(shard) = args.shard {
        return crate::shard::sensitivity(&args.request(), shard);
    }
    let (analysed, dir) = write(&args.request())?;
    print(&analysed, &dir, args.no_plots);
    Ok(())
}

/// What `iopsim sensitivity` prints once its folder is written.
pub fn print(analysed: &Analysed, dir: &std::path::Path, no_plots: bool) {
    print!("{}", table(&analysed.analysis));
    println!(
        "every input and metric in {}",
        dir.join("sensitivity.csv").display()
    );
    super::print_where(dir, no_plots);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn uniforms(seed: u64, n: usize) -> Vec<f64> {
        let mut r = rand::rngs::StdRng::seed_from_u64(seed);
        (0..n).map(|_| r.random::<f64>()).collect()
    }

    #[test]
    fn shares_of_an_additive_model_match_the_analytic_ones_and_sum_to_one() {
        // Y = 1 X1 + 2 X2 + 3 X3, X uniform on (0, 1): shares 1:4:9 of 14.
        let n = 20_000;
        let xs: Vec<Vec<f64>> = (0..3).map(|k| uniforms(k + 1, n)).collect();
        let coef = [1.0, 2.0, 3.0];
        let y: Vec<f64> = (0..n)
            .map(|t| (0..3).map(|k| coef[k] * xs[k][t]).sum())
            .collect();
        let shares: Vec<f64> = xs
            .iter()
            .map(|x| first_order_share(x, &y).unwrap())
            .collect();
        for (k, s) in shares.iter().enumerate() {
            let exact = coef[k] * coef[k] / 14.0;
            assert!((s - exact).abs() < 0.02, "X{}: {s} vs {exact}", k + 1);
        }
        let sum: f64 = shares.iter().sum();
        assert!((sum - 1.0).abs() < 0.03, "{sum}");
    }

    #[test]
    fn with_noise_the_shares_sum_to_the_signal_share() {
        // Signal variance 14/12, noise variance 14/12 again: signal half.
        let n = 20_000;
        let xs: Vec<Vec<f64>> = (0..3).map(|k| uniforms(k + 10, n)).collect();
        let noise = uniforms(99, n);
        let coef = [1.0, 2.0, 3.0];
        let sd = (14.0f64).sqrt(); // sd of the uniform term is 1/sqrt(12)
        let y: Vec<f64> = (0..n)
            .map(|t| (0..3).map(|k| coef[k] * xs[k][t]).sum::<f64>() + sd * noise[t])
            .collect();
        let sum: f64 = xs.iter().map(|x| first_order_share(x, &y).unwrap()).sum();
        assert!((sum - 0.5).abs() < 0.03, "{sum}");
        // An input y does not depend on has no share.
        let unrelated = uniforms(7, n);
        let s = first_order_share(&unrelated, &y).unwrap();
        assert!(s < 0.01, "{s}");
    }

    #[test]
    fn shares_need_pairs_and_variance() {
        assert_eq!(
            first_order_share(&[1.0; 5], &[1.0, 2.0, 3.0, 4.0, 5.0]),
            None
        );
        let x: Vec<f64> = (0..100).map(f64::from).collect();
        assert_eq!(first_order_share(&x, &[3.0; 100]), None);
        // Non-finite values are left out; y = x gives all of it, less the
        // documented bias of about 1/k^2 (k = 10 bins here).
        let mut y = x.clone();
        y[3] = f64::NAN;
        let s = first_order_share(&x, &y).unwrap();
        assert!(s > 0.97 && s <= 1.0, "{s}");
    }

    #[test]
    fn ranks_by_share_then_swing_and_close_names_come_first() {
        let e = |input, share, swing| Effect {
            input,
            mean_at_p10: 0.0,
            mean_at_p90: swing,
            swing,
            diff_ci95: (0.0, 0.0),
            share,
            rank: 0,
        };
        let mut v = vec![
            e(0, 0.0, 1.0),
            e(1, 0.5, 0.2),
            e(2, f64::NAN, 9.0),
            e(3, 0.0, 3.0),
        ];
        rank(&mut v);
        let order: Vec<usize> = v.iter().map(|e| e.input).collect();
        assert_eq!(order, [1, 3, 0, 2]);
        assert_eq!(v[0].rank, 1);
        let names: Vec<String> = [
            "iop.wait_days_p90",
            "iop.evening.wait_days_p90",
            "iop.census",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let close = close_names("iop.evening.wait_p90", &names);
        assert_eq!(close[0], "iop.evening.wait_days_p90");
        assert_eq!(
            [
                sig3(15.4506),
                sig3(0.79422),
                sig3(0.0025),
                sig3(1234.6),
                sig3(0.0)
            ],
            ["15.5", "0.794", "0.00250", "1235", "0"]
        );
    }
}
