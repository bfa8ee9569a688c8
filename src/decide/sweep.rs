//! `iopsim sweep`: a full grid of `--set` values, every point run with the
//! same seed and trial indices (common random numbers), every summary metric
//! tabulated at every point.
//!
//! VALUES of `--vary KEY=VALUES` is
//! - a list, `1,2,3` or `rolling,cohort` (items may not contain commas);
//! - an integer range, `2..6`: 2, 3, 4, 5, 6 (both ends included);
//! - a stepped range, `0.8..1.0:0.05` or `2..10:2`: start, start + step, ...
//!   up to and including the end when it falls on the grid (within rounding:
//!   `0.8..1.0:0.05` ends at 1.0, `0..1:0.3` at 0.9).

use std::fmt::Write as _;

use anyhow::Context;

use super::compare::Paired;
use super::direction;
use super::request::{ScenarioSource, SweepRequest};
use crate::cli::SweepArgs;
use crate::scenario::{Scenario, UnitKind};
use crate::stats::Summary;

/// Most points a range may produce.
pub const MAX_VALUES: usize = 10_000;

/// One `--vary`: a key and its values as text for `--set KEY=VALUE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    pub key: String,
    pub values: Vec<String>,
}

impl Vary {
    /// The values as numbers, if every one is a number.
    pub fn numbers(&self) -> Option<Vec<f64>> {
        self.values.iter().map(|v| v.parse::<f64>().ok()).collect()
    }
}

/// Parses `KEY=VALUES`.
pub fn parse_vary(arg: &str) -> Result<Vary, String> {
    let Some((key, values)) = arg.split_once('=') else {
        return Err(format!(
            "--vary {arg}: expected KEY=VALUES, e.g. --vary units.iop.tracks.evening.groups=1..4"
        ));
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(format!("--vary {arg}: the key is empty"));
    }
    let values = parse_values(values.trim()).map_err(|e| format!("--vary {arg}: {e}"))?;
    Ok(Vary {
        key: key.to_string(),
        values,
    })
}

fn decimals(text: &str) -> usize {
    text.split_once('.').map_or(0, |(_, frac)| frac.len())
}

/// `1,2,3`, `2..6` or `0.8..1.0:0.05` as the list of value texts.
pub fn parse_values(text: &str) -> Result<Vec<String>, String> {
    if text.is_empty() {
        return Err("no values".into());
    }
    let Some((start, rest)) = text.split_once("..") else {
        let items: Vec<String> = text.split(',').map(|s| s.trim().to_string()).collect();
        if items.iter().any(String::is_empty) {
            return Err(format!("'{text}' has an empty item"));
        }
        return Ok(items);
    };
    let (end, step) = match rest.split_once(':') {
        Some((e, s)) => (e, Some(s)),
        None => (rest, None),
    };
    let num = |s: &str, what: &str| {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("{what} '{s}' of range '{text}' is not a number"))
    };
    let (a, b) = (num(start, "start")?, num(end, "end")?);
    let is_int = |s: &str| s.trim().parse::<i64>().is_ok();
    let ints = is_int(start) && is_int(end) && step.is_none_or(is_int);
    let step_v = match step {
        Some(s) => num(s, "step")?,
        None if ints => 1.0,
        None => {
            return Err(format!(
                "'{text}' is a range of non-integers: give a step, e.g. {start}..{end}:0.05"
            ))
        }
    };
    if step_v <= 0.0 {
        return Err(format!("the step of '{text}' must be > 0"));
    }
    if b < a {
        return Err(format!(
            "'{text}' runs backwards: write the smaller value first"
        ));
    }
    let count = ((b - a) / step_v + 1e-9).floor() as usize + 1;
    if count > MAX_VALUES {
        return Err(format!("'{text}' has {count} values; at most {MAX_VALUES}"));
    }
    let places = decimals(start.trim())
        .max(decimals(end.trim()))
        .max(step.map_or(0, |s| decimals(s.trim())));
    Ok((0..count)
        .map(|i| {
            let x = a + i as f64 * step_v;
            if ints {
                format!("{}", x.round() as i64)
            } else {
                let s = format!("{x:.places$}");
                // TOML needs a digit after the point; "2.0" stays a float key value.
                if s.contains('.') || places > 0 {
                    s
                } else {
                    format!("{s}.0")
                }
            }
        })
        .collect())
}

/// Every point of the grid, first key slowest.
pub fn grid(varies: &[Vary]) -> Vec<Vec<String>> {
    let mut points: Vec<Vec<String>> = vec![Vec::new()];
    for v in varies {
        points = points
            .into_iter()
            .flat_map(|p| {
                v.values.iter().map(move |x| {
                    let mut q = p.clone();
                    q.push(x.clone());
                    q
                })
            })
            .collect();
    }
    points
}

/// The `--set` strings of a point.
pub fn point_sets(varies: &[Vary], point: &[String]) -> Vec<String> {
    varies
        .iter()
        .zip(point)
        .map(|(v, x)| format!("{}={x}", v.key))
        .collect()
}

/// The summaries of one grid point.
#[derive(Debug, Clone)]
pub struct Point {
    pub values: Vec<String>,
    pub metrics: Vec<(String, Summary)>,
    /// Each metric's paired difference from the grid's first point, trial
    /// by trial (the first point's own are zero); metrics the first point
    /// lacks are left out.
    pub paired: Vec<(String, Paired)>,
}

impl Point {
    pub fn summary(&self, metric: &str) -> Option<&Summary> {
        self.metrics
            .iter()
            .find(|(m, _)| m == metric)
            .map(|(_, s)| s)
    }

    /// The paired difference of `metric` from the first point.
    pub fn vs_first(&self, metric: &str) -> Option<&Paired> {
        self.paired
            .iter()
            .find(|(m, _)| m == metric)
            .map(|(_, p)| p)
    }
}

/// The paired differences of every metric of `run` from `first`'s.
pub fn paired_with(first: &super::Run, run: &super::Run) -> Vec<(String, Paired)> {
    run.results
        .summary_names
        .iter()
        .filter_map(|m| {
            let (b, a) = (first.column(m)?, run.column(m)?);
            Some((m.clone(), Paired::of(&b, &a, direction(m))))
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct Sweep {
    pub name: String,
    pub varies: Vec<Vary>,
    pub points: Vec<Point>,
    /// Every metric seen at any point, in first-seen order.
    pub metrics: Vec<String>,
    pub trials: u32,
    pub seed: u64,
}

impl Sweep {
    pub fn new(name: &str, varies: Vec<Vary>, points: Vec<Point>, trials: u32, seed: u64) -> Sweep {
        let mut metrics: Vec<String> = Vec::new();
        for p in &points {
            for (m, _) in &p.metrics {
                if !metrics.contains(m) {
                    metrics.push(m.clone());
                }
            }
        }
        Sweep {
            name: name.to_string(),
            varies,
            points,
            metrics,
            trials,
            seed,
        }
    }
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// `sweep.csv`: one row per point and metric (every metric at every point;
/// a metric a point lacks has n = 0 and empty figures), with the paired
/// difference of its mean from the first point's and that difference's
/// 95% interval (empty where either point lacks the metric).
pub fn csv(s: &Sweep) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = s.varies.iter().map(|v| v.key.clone()).collect();
    header.extend(
        [
            "metric",
            "n",
            "mean",
            "ci95_low",
            "ci95_high",
            "p5",
            "p50",
            "p95",
            "diff_vs_first_mean",
            "diff_vs_first_ci95_low",
            "diff_vs_first_ci95_high",
        ]
        .iter()
        .map(|h| h.to_string()),
    );
    w.write_record(&header)?;
    for p in &s.points {
        for m in &s.metrics {
            let mut rec = p.values.clone();
            rec.push(m.clone());
            match p.summary(m) {
                Some(x) => rec.extend([
                    x.n.to_string(),
                    num(x.mean),
                    num(x.ci95_low),
                    num(x.ci95_high),
                    num(x.p5),
                    num(x.p50),
                    num(x.p95),
                ]),
                None => {
                    rec.push("0".into());
                    rec.extend(std::iter::repeat_n(String::new(), 6));
                }
            }
            match p.vs_first(m) {
                Some(d) if d.n > 0 => rec.extend([
                    num(d.diff.mean),
                    num(d.diff.ci95_low),
                    num(d.diff.ci95_high),
                ]),
                _ => rec.extend(std::iter::repeat_n(String::new(), 3)),
            }
            w.write_record(&rec)?;
        }
    }
    Ok(w.into_inner()?)
}

/// Default metrics to plot: the first unit with referrals (else the first
/// unit): its P90 wait, waitlist and losses while waiting.
pub fn default_metrics(s: &Scenario) -> Vec<String> {
    let unit = s
        .referrals
        .first()
        .map(|r| &s.units[r.to])
        .or(s.units.first());
    let Some(u) = unit else { return Vec::new() };
    let mut m = vec![
        format!("{}.wait_days_p90", u.name),
        format!("{}.waitlist", u.name),
        format!("{}.reneged", u.name),
    ];
    if matches!(u.kind, UnitKind::Sessions(_)) {
        m.push(format!("{}.seat_utilization", u.name));
    }
    m
}

/// The console table: chosen metrics, mean and 95% CI, by point.
pub fn table(s: &Sweep, metrics: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "sweep of {}: {} points x {} trials, seed {} (common random numbers); mean [95% CI]",
        s.name,
        s.points.len(),
        s.trials,
        s.seed
    );
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut head: Vec<String> = s.varies.iter().map(|v| v.key.clone()).collect();
    head.extend(metrics.iter().cloned());
    rows.push(head);
    for p in &s.points {
        let mut r = p.values.clone();
        for m in metrics {
            // As the page shows it: shares in %, money grouped.
            let measure = super::words::metric(m).measure;
            r.push(match p.summary(m) {
                Some(x) => format!(
                    "{} [{}, {}]",
                    measure.value(x.mean),
                    measure.value(x.ci95_low),
                    measure.value(x.ci95_high)
                ),
                None => "-".into(),
            });
        }
        rows.push(r);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    for r in &rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(x, w)| format!("{x:>w$}"))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  "));
    }
    out
}

/// A sweep loaded and checked at every point, ready to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The scenario without any point's values.
    pub base: Scenario,
    pub varies: Vec<Vary>,
    /// Every point's values, first key slowest.
    pub points: Vec<Vec<String>>,
    /// Every point's scenario.
    pub scenarios: Vec<Scenario>,
    /// The metrics to show.
    pub metrics: Vec<String>,
    threads: usize,
    quiet: bool,
}

/// A sweep run: its figures at every point, the metrics to show and the
/// base scenario.
#[derive(Debug, Clone)]
pub struct Swept {
    pub sweep: Sweep,
    pub metrics: Vec<String>,
    pub base: Scenario,
}

/// Loads every point of `req` and checks its metrics, before any run.
pub fn plan(req: &SweepRequest) -> anyhow::Result<Plan> {
    let base = req.scenario.load(&req.run.overrides(&[]))?;
    let points = grid(&req.varies);
    if let Some(v) = req.varies.iter().find(|v| v.values.is_empty()) {
        anyhow::bail!("--vary {}: no values", v.key);
    }
    let metrics = if req.metrics.is_empty() {
        default_metrics(&base)
    } else {
        req.metrics.clone()
    };
    // Load every point first, so a bad value is reported before hours of running.
    let mut scenarios = Vec::with_capacity(points.len());
    for p in &points {
        let sets = req.run.overrides(&point_sets(&req.varies, p));
        let s = req
            .scenario
            .load(&sets)
            .with_context(|| format!("at the point {}", point_sets(&req.varies, p).join(" ")))?;
        scenarios.push(s);
    }
    let names = &crate::model::result::summary_names(&scenarios[0]);
    for m in &metrics {
        if !names.contains(m) {
            anyhow::bail!(
                "--metric {m}: no such metric; metrics are: {}",
                names.join(", ")
            );
        }
    }
    Ok(Plan {
        base,
        varies: req.varies.clone(),
        points,
        scenarios,
        metrics,
        threads: req.run.threads,
        quiet: req.run.quiet,
    })
}

impl Plan {
    /// The folder name of this sweep's results, `sweep-<scenario>`.
    pub fn dir_name(&self) -> String {
        format!("sweep-{}", self.base.name)
    }

    /// Runs every point, pairing each with the first.
    pub fn run(self) -> anyhow::Result<Swept> {
        let (threads, quiet) = (self.threads, self.quiet);
        self.run_with(&mut |_, s, label| super::run(s, threads, true, label, quiet))
    }

    /// [`Plan::run`] with each point's run from `runs` (simulated, or
    /// merged from shards).
    pub fn run_with(self, runs: &mut super::Runs<'_>) -> anyhow::Result<Swept> {
        let points = &self.points;
        let mut done = Vec::with_capacity(points.len());
        // The first point's per-trial rows, kept for the paired differences;
        // every other point's only while it is compared.
        let mut first: Option<super::Run> = None;
        for (i, (p, s)) in points.iter().zip(&self.scenarios).enumerate() {
            let label = format!("point {}/{} ({})", i + 1, points.len(), p.join(", "));
            let run = runs(i, s, &label)?;
            let paired = paired_with(first.as_ref().unwrap_or(&run), &run);
            done.push(Point {
                values: p.clone(),
                metrics: run
                    .results
                    .summary_names
                    .iter()
                    .cloned()
                    .zip(run.results.summary.iter().copied())
                    .collect(),
                paired,
            });
            if first.is_none() {
                first = Some(run);
            }
        }
        let sweep = Sweep::new(
            &self.base.name,
            self.varies,
            done,
            self.scenarios[0].simulation.trials,
            self.scenarios[0].simulation.seed,
        );
        Ok(Swept {
            sweep,
            metrics: self.metrics,
            base: self.base,
        })
    }
}

/// The sweep `req` asks for, with nothing written.
pub fn compute(req: &SweepRequest) -> anyhow::Result<Swept> {
    plan(req)?.run()
}

/// Why a sweep with plots has none: more than two keys.
pub fn plots_note(s: &Sweep) -> Option<&'static str> {
    (s.varies.len() > 2)
        .then_some("no plots: they show one key (line) or two (heatmap); see sweep.csv")
}

/// The files of a sweep's folder but `run.json`, in writing order:
/// sweep.csv, the base scenario and, with `plots`, the plots (one or two
/// keys) and report.html.
pub fn files(w: &Swept, plots: bool) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut files = vec![
        ("sweep.csv".to_string(), csv(&w.sweep)?),
        (
            "scenario.toml".to_string(),
            w.base.resolved_toml.clone().into_bytes(),
        ),
    ];
    if plots {
        let mut figures = Vec::new();
        if plots_note(&w.sweep).is_none() {
            figures = super::plots::sweep_figures(&w.sweep, &w.metrics)?;
            for f in &figures {
                files.push((format!("{}.png", f.stem), f.png.clone()));
                files.push((format!("{}.svg", f.stem), f.svg.clone().into_bytes()));
            }
        }
        let page = super::page::sweep(&w.sweep, &w.metrics, &w.base, &figures);
        files.push(("report.html".to_string(), page.into_bytes()));
    }
    Ok(files)
}

/// Computes the sweep `req` asks for and writes its folder,
/// `OUT/sweep-<scenario>/`, claimed before any run; returns the sweep and
/// the folder.
pub fn write(req: &SweepRequest) -> anyhow::Result<(Swept, std::path::PathBuf)> {
    let (threads, quiet) = (req.run.threads, req.run.quiet);
    write_with(req, plan(req)?, &mut |_, s, label| {
        super::run(s, threads, true, label, quiet)
    })
}

/// [`write()`] of the sweep `plan` of `req`, each point's run from `runs`
/// (simulated, or merged from shards by `iopsim merge`).
pub fn write_with(
    req: &SweepRequest,
    plan: Plan,
    runs: &mut super::Runs<'_>,
) -> anyhow::Result<(Swept, std::path::PathBuf)> {
    // The folder is claimed before any run.
    super::write_folder(
        &req.output,
        &plan.dir_name(),
        "sweep",
        &req.scenario,
        || plan.run_with(runs),
        |x| &x.base,
        files,
    )
}

impl SweepArgs {
    /// The request these arguments make; fails on a `--vary` that does not parse.
    pub fn request(&self) -> anyhow::Result<SweepRequest> {
        let varies: Vec<Vary> = self
            .vary
            .iter()
            .map(|a| parse_vary(a))
            .collect::<Result<_, _>>()
            .map_err(anyhow::Error::msg)?;
        Ok(SweepRequest {
            scenario: ScenarioSource::file(self.scenario.as_ref()),
            varies,
            metrics: self.metrics.clone(),
            run: self.run.settings(),
            output: self.run.output(self.no_plots),
        })
    }
}

/// `iopsim sweep SCENARIO --vary KEY=VALUES ...`.
pub fn command(args: &SweepArgs) -> anyhow::Result<()> {
    if let Some(shard) = args.shard {
        return crate::shard::sweep(&args.request()?, shard);
    }
    let (swept, dir) = write(&args.request()?)?;
    print(&swept, &dir, args.no_plots);
    Ok(())
}

/// What `iopsim sweep` prints once its folder is written.
pub fn print(swept: &Swept, dir: &std::path::Path, no_plots: bool) {
    print!("{}", table(&swept.sweep, &swept.metrics));
    if !no_plots {
        if let Some(n) = plots_note(&swept.sweep) {
            println!("{n}");
        }
    }
    super::print_where(dir, no_plots);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn lists_and_ranges() {
        assert_eq!(parse_values("1,2,3").unwrap(), v(&["1", "2", "3"]));
        assert_eq!(
            parse_values("rolling, cohort").unwrap(),
            v(&["rolling", "cohort"])
        );
        assert_eq!(parse_values("2..6").unwrap(), v(&["2", "3", "4", "5", "6"]));
        assert_eq!(parse_values("2..10:4").unwrap(), v(&["2", "6", "10"]));
        assert_eq!(
            parse_values("0.8..1.0:0.05").unwrap(),
            v(&["0.80", "0.85", "0.90", "0.95", "1.00"])
        );
        assert_eq!(
            parse_values("0..1:0.3").unwrap(),
            v(&["0.0", "0.3", "0.6", "0.9"])
        );
        assert_eq!(parse_values("5..5").unwrap(), v(&["5"]));
        assert!(parse_values("6..2").is_err());
        assert!(parse_values("0.8..1.0").is_err());
        assert!(parse_values("1..2:0").is_err());
        assert!(parse_values("1,,2").is_err());
        assert!(parse_values("a..b").is_err());
    }

    #[test]
    fn vary_and_grid() {
        let a = parse_vary("units.iop.tracks.evening.groups=1..2").unwrap();
        let b = parse_vary("staff.therapist.fte = 1.5,2").unwrap();
        assert_eq!(b.key, "staff.therapist.fte");
        assert_eq!(b.numbers(), Some(vec![1.5, 2.0]));
        let g = grid(&[a.clone(), b.clone()]);
        assert_eq!(
            g,
            vec![
                v(&["1", "1.5"]),
                v(&["1", "2"]),
                v(&["2", "1.5"]),
                v(&["2", "2"])
            ]
        );
        assert_eq!(
            point_sets(&[a, b], &g[1]),
            v(&["units.iop.tracks.evening.groups=1", "staff.therapist.fte=2"])
        );
        assert!(parse_vary("novalues").is_err());
    }
}
