//! `iopsim compare`: two or more scenarios run on the same seed and trial
//! indices, and for every summary metric the paired difference of each
//! alternative against the first (the baseline), trial by trial.

use std::fmt::Write as _;
use std::sync::atomic::AtomicBool;

use anyhow::{bail, Context};

use super::request::{CompareRequest, ScenarioSource};
use super::{direction, Direction, Run};
use crate::cli::CompareArgs;
use crate::report::output::RUN_RECORD;
use crate::scenario::Scenario;
use crate::stats::{t95, Summary};
use crate::trials::RunResults;

/// The paired difference (alternative - baseline) of one metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paired {
    /// Trials in which both runs have a value (a trial without admissions has no mean wait).
    pub n: usize,
    pub base_mean: f64,
    pub alt_mean: f64,
    /// Mean, sd, 95% t-interval and quantiles of the per-trial differences.
    pub diff: Summary,
    /// Share of trials in which the alternative is strictly better (NaN for a neutral metric).
    pub share_better: f64,
    /// Share of trials in which the alternative is strictly greater.
    pub share_greater: f64,
    /// Half-width of the 95% interval of the difference had the two runs
    /// been independent (same variances, no pairing).
    pub independent_half: f64,
}

impl Paired {
    /// Pairs `base[t]` with `alt[t]`; trials where either is not finite are left out.
    pub fn of(base: &[f64], alt: &[f64], dir: Direction) -> Paired {
        let pairs: Vec<(f64, f64)> = base
            .iter()
            .zip(alt)
            .filter(|(b, a)| b.is_finite() && a.is_finite())
            .map(|(&b, &a)| (b, a))
            .collect();
        let n = pairs.len();
        let diffs: Vec<f64> = pairs.iter().map(|(b, a)| a - b).collect();
        let b: Vec<f64> = pairs.iter().map(|p| p.0).collect();
        let a: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        let (sb, sa) = (Summary::of(&b), Summary::of(&a));
        let share = |f: &dyn Fn(f64) -> bool| {
            if n == 0 {
                f64::NAN
            } else {
                diffs.iter().filter(|&&d| f(d)).count() as f64 / n as f64
            }
        };
        let share_greater = share(&|d| d > 0.0);
        let share_better = match dir {
            Direction::Lower => share(&|d| d < 0.0),
            Direction::Higher => share_greater,
            Direction::Neutral => f64::NAN,
        };
        let independent_half = if n > 1 {
            t95(2 * n - 2) * ((sb.sd * sb.sd + sa.sd * sa.sd) / n as f64).sqrt()
        } else {
            f64::NAN
        };
        Paired {
            n,
            base_mean: sb.mean,
            alt_mean: sa.mean,
            diff: Summary::of(&diffs),
            share_better,
            share_greater,
            independent_half,
        }
    }

    /// Half-width of the paired 95% interval.
    pub fn half(&self) -> f64 {
        (self.diff.ci95_high - self.diff.ci95_low) / 2.0
    }

    /// How many times narrower the paired interval is than independent runs'
    /// (NaN when the paired interval has zero width).
    pub fn narrowing(&self) -> f64 {
        let h = self.half();
        if h > 0.0 {
            self.independent_half / h
        } else {
            f64::NAN
        }
    }
}

/// One metric of one alternative against the baseline.
#[derive(Debug, Clone)]
pub struct Row {
    pub alternative: usize,
    pub metric: String,
    pub direction: Direction,
    pub paired: Paired,
}

#[derive(Debug, Clone)]
pub struct Comparison {
    /// Scenario labels; 0 is the baseline.
    pub labels: Vec<String>,
    pub trials: u32,
    pub seed: u64,
    pub rows: Vec<Row>,
    /// Metrics that some scenario lacks (a unit, room or role only one of them has).
    pub not_compared: Vec<String>,
    /// Some scenario has uncertain inputs: each trial drew its own values
    /// (the same in every scenario naming the input), so the share of
    /// trials better is the probability of being better across both what
    /// is not known about the inputs and the luck of arrivals.
    pub uncertain: bool,
}

/// What the share of trials better means when the inputs are uncertain.
pub const UNCERTAIN_NOTE: &str = "With uncertain inputs: each trial draws its own values of them, \
    the same in every scenario, so the share of trials in which an alternative is better is \
    P(better) across the uncertain inputs and the luck of arrivals.";

/// Paired differences of every run against `runs[0]`, metric by metric in
/// the baseline's order. Needs the per-trial rows of every run.
pub fn compare(labels: &[String], runs: &[&Run]) -> Comparison {
    let base = runs[0];
    let mut rows = Vec::new();
    let mut not_compared = Vec::new();
    for (alt_i, alt) in runs.iter().enumerate().skip(1) {
        for metric in &base.results.summary_names {
            match (base.column(metric), alt.column(metric)) {
                (Some(b), Some(a)) => {
                    let dir = direction(metric);
                    rows.push(Row {
                        alternative: alt_i,
                        metric: metric.clone(),
                        direction: dir,
                        paired: Paired::of(&b, &a, dir),
                    });
                }
                _ => {
                    if !not_compared.contains(metric) {
                        not_compared.push(metric.clone());
                    }
                }
            }
        }
        for metric in &alt.results.summary_names {
            if !base.results.summary_names.contains(metric) && !not_compared.contains(metric) {
                not_compared.push(metric.clone());
            }
        }
    }
    Comparison {
        labels: labels.to_vec(),
        trials: base.results.trials,
        seed: base.results.seed,
        rows,
        not_compared,
        uncertain: false,
    }
}

fn csv_num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// `compare.csv`: one row per alternative and metric.
pub fn csv(c: &Comparison) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "baseline",
        "alternative",
        "metric",
        "better",
        "n",
        "baseline_mean",
        "alternative_mean",
        "diff_mean",
        "diff_ci95_low",
        "diff_ci95_high",
        "share_better",
        "share_greater",
        "independent_ci95_half",
        "ci_narrowing",
    ])?;
    for r in &c.rows {
        let p = &r.paired;
        w.write_record([
            c.labels[0].clone(),
            c.labels[r.alternative].clone(),
            r.metric.clone(),
            r.direction.label().to_string(),
            p.n.to_string(),
            csv_num(p.base_mean),
            csv_num(p.alt_mean),
            csv_num(p.diff.mean),
            csv_num(p.diff.ci95_low),
            csv_num(p.diff.ci95_high),
            csv_num(p.share_better),
            csv_num(p.share_greater),
            csv_num(p.independent_half),
            csv_num(p.narrowing()),
        ])?;
    }
    Ok(w.into_inner()?)
}

/// A share as a whole percentage, `-` when there is none.
pub(super) fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.0}%", 100.0 * x)
    } else {
        "-".into()
    }
}

/// The console table: per alternative, every metric's means, paired
/// difference with its 95% interval, and the share of trials it is better.
pub fn table(c: &Comparison) -> String {
    let mut out = String::new();
    let w = c
        .rows
        .iter()
        .map(|r| r.metric.len())
        .max()
        .unwrap_or(6)
        .max(6);
    for alt in 1..c.labels.len() {
        let _ = writeln!(
            out,
            "\n{} vs {} (baseline): paired over {} trials, seed {}",
            c.labels[alt], c.labels[0], c.trials, c.seed
        );
        let _ = writeln!(
            out,
            "{:<w$} {:>10} {:>10} {:>26} {:>9}",
            "metric",
            "baseline",
            "altern.",
            "difference [95% CI]",
            if c.uncertain { "P(better)" } else { "better" }
        );
        for r in c.rows.iter().filter(|r| r.alternative == alt) {
            let p = &r.paired;
            // As the page shows it: shares in % and their differences in
            // percentage points, counts and money grouped.
            let m = super::words::metric(&r.metric).measure;
            let diff = if p.diff.sd == 0.0 && p.diff.mean == 0.0 {
                "0 (identical)".to_string()
            } else {
                m.diff_ci(p.diff.mean, p.diff.ci95_low, p.diff.ci95_high)
            };
            let better = match r.direction {
                Direction::Neutral => format!("({} up)", pct(p.share_greater)),
                _ => pct(p.share_better),
            };
            let _ = writeln!(
                out,
                "{:<w$} {:>10} {:>10} {:>26} {:>9}",
                r.metric,
                m.value(p.base_mean),
                m.value(p.alt_mean),
                diff,
                better
            );
        }
    }
    if !c.not_compared.is_empty() {
        let _ = writeln!(
            out,
            "\nnot compared (not in every scenario): {}",
            c.not_compared.join(", ")
        );
    }
    out.push_str(
        "\ndifference = alternative - baseline, mean over trials with a paired 95% t-interval; \
         better = share of trials in which the alternative is strictly better \
         (neutral metrics: share in which it is higher).\n",
    );
    if c.uncertain {
        out.push_str(
            "P(better) across the uncertain inputs and the luck of arrivals: each trial drew its own \
             values of the uncertain inputs, the same in every scenario, so the share of trials better \
             is the probability that the alternative is better given what is not known.\n",
        );
    }
    out
}

/// Labels for the scenarios: their names, made unique with -2, -3, ...
pub fn labels(scenarios: &[Scenario]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scenarios {
        let mut label = s.name.clone();
        let mut k = 2;
        while out.contains(&label) {
            label = format!("{}-{k}", s.name);
            k += 1;
        }
        out.push(label);
    }
    out
}

/// `output/compare-<a>-vs-<b>...`; long lists are shortened.
pub fn dir_name(labels: &[String]) -> String {
    let full = format!("compare-{}", labels.join("-vs-"));
    if full.len() <= 120 {
        full
    } else {
        format!("compare-{}-vs-{}-others", labels[0], labels.len() - 1)
    }
}

/// Scenarios compared trial by trial must share the calendar: same start
/// date, reported weeks and warm-up (so the same trial sees the same
/// referrals at the same dates).
fn check_aligned(labels: &[String], scenarios: &[Scenario]) -> anyhow::Result<()> {
    let b = &scenarios[0].simulation;
    for (label, s) in labels.iter().zip(scenarios).skip(1) {
        let a = &s.simulation;
        if (a.start_date, a.weeks, a.warmup_weeks) != (b.start_date, b.weeks, b.warmup_weeks) {
            bail!(
                "'{label}' simulates {} weeks from {} after {} warm-up weeks, the baseline '{}' {} weeks from {} after {}; \
                 paired comparison needs the same calendar: align the files or pass --weeks / --set simulation.warmup_weeks=N",
                a.weeks, a.start_date, a.warmup_weeks, labels[0], b.weeks, b.start_date, b.warmup_weeks
            );
        }
    }
    Ok(())
}

/// A comparison loaded and checked, ready to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Scenario labels; 0 is the baseline.
    pub labels: Vec<String>,
    /// The scenarios as they will run (the baseline's seed and trials in all).
    pub scenarios: Vec<Scenario>,
    threads: usize,
    quiet: bool,
}

/// A comparison run: the paired figures and, for the plots and the page,
/// each scenario and its run's results.
#[derive(Debug, Clone)]
pub struct Compared {
    pub comparison: Comparison,
    pub scenarios: Vec<Scenario>,
    pub results: Vec<RunResults>,
}

/// Loads the scenarios of `req` and checks they can be compared, before
/// any run.
pub fn plan(req: &CompareRequest) -> anyhow::Result<Plan> {
    let Some(baseline) = req.scenarios.first() else {
        bail!("compare needs two or more scenarios");
    };
    let sets = req.run.overrides(&[]);
    let first = baseline.load(&sets)?;
    // Every run uses the baseline's seed and trial count (after overrides).
    let mut common = sets.clone();
    common.push(format!("simulation.seed={}", first.simulation.seed));
    common.push(format!("simulation.trials={}", first.simulation.trials));
    let mut scenarios = vec![first];
    for source in &req.scenarios[1..] {
        scenarios.push(source.load(&common)?);
    }
    let labels = labels(&scenarios);
    check_aligned(&labels, &scenarios)?;
    Ok(Plan {
        labels,
        scenarios,
        threads: req.run.threads,
        quiet: req.run.quiet,
    })
}

impl Plan {
    /// Runs every scenario and pairs each with the baseline.
    pub fn run(self) -> anyhow::Result<Compared> {
        self.run_until(&AtomicBool::new(false))
    }

    /// [`Plan::run`], stopped early (an error) once `stop` is set.
    pub fn run_until(self, stop: &AtomicBool) -> anyhow::Result<Compared> {
        let mut runs = Vec::new();
        for (label, s) in self.labels.iter().zip(&self.scenarios) {
            runs.push(
                super::run_until(s, self.threads, true, label, self.quiet, stop)
                    .with_context(|| format!("running {label}"))?,
            );
        }
        let mut comparison = compare(&self.labels, &runs.iter().collect::<Vec<_>>());
        comparison.uncertain = self.scenarios.iter().any(|s| !s.inputs.is_empty());
        Ok(Compared {
            comparison,
            scenarios: self.scenarios,
            results: runs.into_iter().map(|r| r.results).collect(),
        })
    }
}

/// The comparison `req` asks for, with nothing written.
pub fn compute(req: &CompareRequest) -> anyhow::Result<Compared> {
    plan(req)?.run()
}

/// The files of a comparison's folder but `run.json`, in writing order:
/// compare.csv, each scenario as run and, with `plots`, the overlay plots
/// and report.html.
pub fn files(c: &Compared, plots: bool) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let labels = &c.comparison.labels;
    let mut files = vec![("compare.csv".to_string(), csv(&c.comparison)?)];
    for (label, s) in labels.iter().zip(&c.scenarios) {
        files.push((
            format!("scenario-{label}.toml"),
            s.resolved_toml.clone().into_bytes(),
        ));
    }
    if plots {
        let results: Vec<_> = c.results.iter().collect();
        let figures = super::plots::compare_figures(labels, &results)?;
        for f in &figures {
            files.push((format!("{}.png", f.chart.stem), f.png.clone()));
            files.push((format!("{}.svg", f.chart.stem), f.svg.clone().into_bytes()));
        }
        let page = super::page::compare(&c.comparison, &c.scenarios, &results, &figures);
        files.push(("report.html".to_string(), page.into_bytes()));
    }
    Ok(files)
}

/// Computes the comparison `req` asks for and writes its folder,
/// `OUT/compare-<labels>/`, claimed before any run; returns the comparison
/// and the folder.
pub fn write(req: &CompareRequest) -> anyhow::Result<(Compared, std::path::PathBuf)> {
    let started = (std::time::Instant::now(), std::time::SystemTime::now());
    let plan = plan(req)?;
    // Before any run: may this comparison write its folder? It is the
    // baseline's: rerunning with the same baseline file replaces it.
    let claim = super::claim(
        &req.output,
        &dir_name(&plan.labels),
        "compare",
        &req.scenarios[0],
    )?;
    let compared = plan.run()?;
    let staging = claim.stage()?;
    staging.write(
        RUN_RECORD,
        &super::record(&claim, &compared.scenarios[0], started).to_json()?,
    )?;
    for (name, bytes) in files(&compared, req.output.plots)? {
        staging.write(&name, &bytes)?;
    }
    let dir = staging.commit()?;
    Ok((compared, dir))
}

impl CompareArgs {
    /// The request these arguments make.
    pub fn request(&self) -> CompareRequest {
        CompareRequest {
            scenarios: self
                .scenarios
                .iter()
                .map(|p| ScenarioSource::File(p.clone()))
                .collect(),
            run: self.run.settings(),
            output: self.run.output(self.no_plots),
        }
    }
}

/// `iopsim compare A.toml B.toml [...]`.
pub fn command(args: &CompareArgs) -> anyhow::Result<()> {
    let (compared, dir) = write(&args.request())?;
    print!("{}", table(&compared.comparison));
    super::print_where(&dir, args.no_plots);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_difference_share_and_independent_width() {
        let base = [10.0, 12.0, 14.0, 16.0, f64::NAN];
        let alt = [9.0, 11.5, 13.0, 16.0, 3.0];
        let p = Paired::of(&base, &alt, Direction::Lower);
        assert_eq!(p.n, 4);
        assert!((p.diff.mean - (-0.625)).abs() < 1e-12);
        assert_eq!(p.share_better, 0.75);
        assert_eq!(p.share_greater, 0.0);
        // The runs move together, so pairing is much tighter than independence.
        assert!(p.narrowing() > 5.0, "{}", p.narrowing());
        let same = Paired::of(&base, &base, Direction::Higher);
        assert_eq!((same.diff.mean, same.diff.sd), (0.0, 0.0));
        assert_eq!(same.share_better, 0.0);
        assert!(Paired::of(&base, &alt, Direction::Neutral)
            .share_better
            .is_nan());
    }

    #[test]
    fn labels_are_unique_and_dir_names_short() {
        let l = vec!["a".to_string(), "b".to_string()];
        assert_eq!(dir_name(&l), "compare-a-vs-b");
        let long: Vec<String> = (0..20).map(|i| format!("scenario-number-{i}")).collect();
        assert_eq!(dir_name(&long), "compare-scenario-number-0-vs-19-others");
    }
}
