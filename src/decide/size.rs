//! `iopsim size`: the smallest value of a key (groups, group size, beds,
//! FTE, ...) at which every target holds with 95% confidence.
//!
//! A target `METRIC STAT OP VALUE` holds when the *unfavourable* end of a
//! two-sided 95% confidence interval meets it, not just the estimate:
//! - `mean`: the Student t interval of the mean over trials; for `<=`/`<`
//!   its upper end must meet the value, for `>=`/`>` its lower end.
//! - `pNN`: the NN-th percentile over trials (`p90`: in nine trials out of
//!   ten the metric is at most this). Its interval is the distribution-free
//!   order-statistic interval: the upper end is the k-th smallest of n trial
//!   values, with k the smallest rank such that P(Binomial(n, q) <= k - 1) >=
//!   0.975, so it lies above the true quantile with probability >= 97.5%
//!   whatever the metric's distribution (the lower end likewise). With too
//!   few trials no order statistic qualifies and the target fails, saying so.
//!
//! The search assumes the targets get easier as the value grows (more
//! groups, seats or staff never make waits longer). It runs the largest
//! value first (if that fails nothing will), then bisects, so it needs about
//! log2(values) runs instead of one per value, and finally checks the
//! assumption next to the answer: the value below fails (already known from
//! the bisection) and the value above passes (run if not yet known).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::AtomicBool;

use anyhow::{bail, Context};
use statrs::distribution::{Binomial, DiscreteCDF};

use super::fmt_num;
use super::request::{ScenarioSource, SizeRequest};
use super::sweep::{parse_vary, Vary};
use crate::cli::SizeArgs;
use crate::scenario::Scenario;
use crate::stats::{quantile, Summary};

/// Confidence of each one-sided bound: the ends of a two-sided 95% interval.
const ONE_SIDED: f64 = 0.975;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    Mean,
    /// Quantile over trials, in (0, 1).
    Quantile(f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Le,
    Lt,
    Ge,
    Gt,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Le => "<=",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Gt => ">",
        }
    }
    /// An upper limit (`<=`, `<`): the upper bound must meet it.
    pub fn is_upper(self) -> bool {
        matches!(self, Op::Le | Op::Lt)
    }
    pub fn holds(self, x: f64, value: f64) -> bool {
        match self {
            Op::Le => x <= value,
            Op::Lt => x < value,
            Op::Ge => x >= value,
            Op::Gt => x > value,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub metric: String,
    pub stat: Stat,
    pub op: Op,
    pub value: f64,
}

impl Target {
    pub fn stat_label(&self) -> String {
        match self.stat {
            Stat::Mean => "mean".into(),
            Stat::Quantile(q) => format!("p{}", fmt_num(q * 100.0)),
        }
    }
    pub fn text(&self) -> String {
        format!(
            "{} {} {} {}",
            self.metric,
            self.stat_label(),
            self.op.symbol(),
            fmt_num(self.value)
        )
    }
}

/// Parses `"METRIC STAT OP VALUE"`.
pub fn parse_target(text: &str) -> Result<Target, String> {
    let form = "write \"METRIC STAT OP VALUE\", e.g. \"iop.wait_days_p90 p90 <= 14\" or \"iop.reneged mean <= 2\"";
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [metric, stat, op, value] = parts[..] else {
        return Err(format!("--target '{text}': {form}"));
    };
    let stat = match stat.to_ascii_lowercase().as_str() {
        "mean" => Stat::Mean,
        s if s.starts_with('p') => match s[1..].parse::<f64>() {
            Ok(p) if p > 0.0 && p < 100.0 => Stat::Quantile(p / 100.0),
            _ => {
                return Err(format!(
                    "--target '{text}': '{stat}' is not a percentile; use p50, p90, p95, ... (between p0 and p100, exclusive)"
                ))
            }
        },
        _ => {
            return Err(format!(
                "--target '{text}': '{stat}' is not a statistic; use mean or pNN (p50, p90, p95, ...)"
            ))
        }
    };
    let op = match op {
        "<=" => Op::Le,
        "<" => Op::Lt,
        ">=" => Op::Ge,
        ">" => Op::Gt,
        _ => {
            return Err(format!(
                "--target '{text}': '{op}' is not one of <=, <, >=, >"
            ))
        }
    };
    let value = value
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("--target '{text}': '{value}' is not a number"))?;
    Ok(Target {
        metric: metric.to_string(),
        stat,
        op,
        value,
    })
}

/// Distribution-free 95% interval of the `q` quantile from `sorted` finite
/// values: (lower, upper) order statistics, `None` where n is too small.
pub fn quantile_bounds(sorted: &[f64], q: f64) -> (Option<f64>, Option<f64>) {
    let n = sorted.len();
    if n == 0 {
        return (None, None);
    }
    let Ok(bin) = Binomial::new(q, n as u64) else {
        return (None, None);
    };
    // Upper: smallest k with P(B <= k - 1) >= 0.975, i.e. P(X_(k) >= quantile) >= 0.975.
    let upper = (1..=n)
        .find(|&k| bin.cdf(k as u64 - 1) >= ONE_SIDED)
        .map(|k| sorted[k - 1]);
    // Lower: largest j with P(B >= j) = 1 - P(B <= j - 1) >= 0.975.
    let lower = (1..=n)
        .rev()
        .find(|&j| 1.0 - bin.cdf(j as u64 - 1) >= ONE_SIDED)
        .map(|j| sorted[j - 1]);
    (lower, upper)
}

/// A target evaluated on one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Check {
    pub n: usize,
    pub estimate: f64,
    /// The unfavourable end of the 95% interval (`None`: cannot be bounded).
    pub bound: Option<f64>,
    pub pass: bool,
}

/// Evaluates `t` on the per-trial values of its metric.
pub fn check(t: &Target, values: &[f64]) -> Check {
    let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    let v = crate::stats::sort_total(v);
    let n = v.len();
    let (estimate, bound) = match t.stat {
        Stat::Mean => {
            let s = Summary::of(&v);
            let b = if t.op.is_upper() {
                s.ci95_high
            } else {
                s.ci95_low
            };
            (s.mean, b.is_finite().then_some(b))
        }
        Stat::Quantile(q) => {
            let (lo, hi) = quantile_bounds(&v, q);
            (quantile(&v, q), if t.op.is_upper() { hi } else { lo })
        }
    };
    Check {
        n,
        estimate,
        bound,
        pass: bound.is_some_and(|b| t.op.holds(b, t.value)),
    }
}

/// Why a check failed, in words.
pub fn why_not(t: &Target, c: &Check) -> String {
    let side = if t.op.is_upper() { "upper" } else { "lower" };
    match c.bound {
        None if c.n == 0 => format!("{}: no trial has a value", t.text()),
        None => format!(
            "{}: {} trials are too few to bound the {} with 95% confidence; use more --trials",
            t.text(),
            c.n,
            t.stat_label()
        ),
        Some(b) => format!(
            "{} is {} with {side} 95% bound {}, not {} {}",
            t.text().split(' ').take(2).collect::<Vec<_>>().join(" "),
            fmt_num(c.estimate),
            fmt_num(b),
            t.op.symbol(),
            fmt_num(t.value)
        ),
    }
}

/// Outcome of the search over indices `0..n` of ascending values.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// The smallest passing index, if the largest passes.
    pub answer: Option<usize>,
    /// Indices in the order they were run.
    pub order: Vec<usize>,
    /// Pass or fail of each index run.
    pub results: BTreeMap<usize, bool>,
    /// The value above the answer was run and failed: the targets are not
    /// monotone in the key there, so the answer may not be the smallest.
    pub not_monotone: bool,
}

impl Search {
    /// When index `i` was run: 1 for the first, 0 if it was not run.
    pub fn run_order(&self, i: usize) -> usize {
        self.order.iter().position(|&j| j == i).map_or(0, |k| k + 1)
    }
}

/// Bisection for the smallest index that passes, assuming that passing at
/// i implies passing at every j > i; then checks the neighbours.
pub fn search(
    n: usize,
    mut pass: impl FnMut(usize) -> anyhow::Result<bool>,
) -> anyhow::Result<Search> {
    let mut s = Search {
        answer: None,
        order: Vec::new(),
        results: BTreeMap::new(),
        not_monotone: false,
    };
    let mut eval = |i: usize, s: &mut Search| -> anyhow::Result<bool> {
        if let Some(&r) = s.results.get(&i) {
            return Ok(r);
        }
        let r = pass(i)?;
        s.order.push(i);
        s.results.insert(i, r);
        Ok(r)
    };
    if n == 0 || !eval(n - 1, &mut s)? {
        return Ok(s);
    }
    // lo: largest index known to fail (-1: none); hi: smallest known to pass.
    let (mut lo, mut hi) = (-1i64, (n - 1) as i64);
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if eval(mid as usize, &mut s)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let answer = hi as usize;
    s.answer = Some(answer);
    if answer + 1 < n && !eval(answer + 1, &mut s)? {
        s.not_monotone = true;
    }
    Ok(s)
}

/// One value run: its checks and, for the report, the staff FTE needed.
#[derive(Debug, Clone)]
pub struct Tried {
    pub value: String,
    pub checks: Vec<Check>,
    pub staff: Vec<(String, Summary)>,
}

impl Tried {
    pub fn pass(&self) -> bool {
        self.checks.iter().all(|c| c.pass)
    }
}

/// The whole answer of `iopsim size`.
#[derive(Debug, Clone)]
pub struct Sizing {
    pub vary: Vary,
    pub targets: Vec<Target>,
    pub search: Search,
    /// By index into `vary.values`.
    pub tried: BTreeMap<usize, Tried>,
    pub trials: u32,
    pub seed: u64,
}

/// The report printed by `iopsim size`.
pub fn report(z: &Sizing) -> String {
    let mut out = String::new();
    let key = &z.vary.key;
    let values = &z.vary.values;
    let _ = writeln!(
        out,
        "size: smallest {key} in {} .. {} ({} values) meeting every target with 95% confidence",
        values[0],
        values[values.len() - 1],
        values.len()
    );
    for t in &z.targets {
        let how = match t.stat {
            Stat::Mean => "t interval of the mean",
            Stat::Quantile(_) => "order-statistic interval of the quantile over trials",
        };
        let side = if t.op.is_upper() { "upper" } else { "lower" };
        let _ = writeln!(
            out,
            "  target {}: must hold on the {side} end of the 95% {how}",
            t.text()
        );
    }
    let _ = writeln!(
        out,
        "search: bisection, assuming the targets get easier as {key} grows; ran {} of {} values \
         ({} trials each, seed {}, common random numbers)\n",
        z.search.order.len(),
        values.len(),
        z.trials,
        z.seed
    );
    let _ = write!(out, "{:>10}", "value");
    for t in &z.targets {
        let _ = write!(out, "  {:>30}", format!("{} {}", t.metric, t.stat_label()));
    }
    let _ = writeln!(out, "  {:>6}  run", "meets");
    for (i, tr) in &z.tried {
        let _ = write!(out, "{:>10}", tr.value);
        for c in &tr.checks {
            let cell = format!(
                "{} (bound {})",
                fmt_num(c.estimate),
                c.bound.map_or("-".into(), fmt_num)
            );
            let _ = write!(out, "  {cell:>30}");
        }
        let order = z.search.run_order(*i);
        let _ = writeln!(
            out,
            "  {:>6}  #{order}",
            if tr.pass() { "yes" } else { "no" }
        );
    }
    out.push('\n');
    match z.search.answer {
        None => {
            let last = values.len() - 1;
            let _ = writeln!(
                out,
                "no answer: even {key} = {} fails, so no smaller value can pass (under the assumption):",
                values[last]
            );
            if let Some(tr) = z.tried.get(&last) {
                for (t, c) in z.targets.iter().zip(&tr.checks).filter(|(_, c)| !c.pass) {
                    let _ = writeln!(out, "  {}", why_not(t, c));
                }
            }
        }
        Some(a) => {
            let _ = writeln!(out, "answer: {key} = {}", values[a]);
            if a == 0 {
                let _ = writeln!(
                    out,
                    "  {} is the smallest value searched; try a range reaching lower",
                    values[0]
                );
            } else if let Some(tr) = z.tried.get(&(a - 1)) {
                let _ = writeln!(out, "  why not {}:", values[a - 1]);
                for (t, c) in z.targets.iter().zip(&tr.checks).filter(|(_, c)| !c.pass) {
                    let _ = writeln!(out, "    {}", why_not(t, c));
                }
            }
            let below = if a > 0 {
                format!("{} fails", values[a - 1])
            } else {
                "nothing below".into()
            };
            let above = match z.search.results.get(&(a + 1)) {
                Some(true) => format!("{} passes, as assumed", values[a + 1]),
                Some(false) => format!(
                    "{} FAILS: the targets are not monotone in {key} here; the answer may not be the smallest, run a sweep",
                    values[a + 1]
                ),
                None => "nothing above".into(),
            };
            let _ = writeln!(out, "  neighbours: {below}; {above}");
            if let Some(tr) = z.tried.get(&a) {
                for (role, s) in &tr.staff {
                    let _ = writeln!(
                        out,
                        "  at the answer: {role} {} [{}, {}] (mean, 95% CI)",
                        fmt_num(s.mean),
                        fmt_num(s.ci95_low),
                        fmt_num(s.ci95_high)
                    );
                }
            }
        }
    }
    out
}

/// `size.csv`: one row per value run and target.
pub fn csv(z: &Sizing) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        z.vary.key.as_str(),
        "run_order",
        "target",
        "n",
        "estimate",
        "bound95",
        "meets_target",
        "meets_all",
        "answer",
    ])?;
    for (i, tr) in &z.tried {
        let order = z.search.run_order(*i);
        for (t, c) in z.targets.iter().zip(&tr.checks) {
            w.write_record([
                tr.value.clone(),
                order.to_string(),
                t.text(),
                c.n.to_string(),
                format!("{}", c.estimate),
                c.bound.map_or(String::new(), |b| format!("{b}")),
                c.pass.to_string(),
                tr.pass().to_string(),
                (z.search.answer == Some(*i)).to_string(),
            ])?;
        }
    }
    Ok(w.into_inner()?)
}

/// Runs the search: `run_value(i)` simulates the i-th value and returns its
/// per-trial values of each target's metric and the staff FTE summaries.
pub fn size(
    vary: Vary,
    targets: Vec<Target>,
    trials: u32,
    seed: u64,
    mut run_value: impl FnMut(usize) -> anyhow::Result<(Vec<Vec<f64>>, Vec<(String, Summary)>)>,
) -> anyhow::Result<Sizing> {
    let mut tried = BTreeMap::new();
    let search = search(vary.values.len(), |i| {
        let (columns, staff) = run_value(i)?;
        let checks: Vec<Check> = targets
            .iter()
            .zip(&columns)
            .map(|(t, col)| check(t, col))
            .collect();
        let tr = Tried {
            value: vary.values[i].clone(),
            checks,
            staff,
        };
        let pass = tr.pass();
        tried.insert(i, tr);
        Ok(pass)
    })?;
    Ok(Sizing {
        vary,
        targets,
        search,
        tried,
        trials,
        seed,
    })
}

/// A search loaded and checked at its extremes, ready to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The values to search, ascending, without duplicates.
    pub vary: Vary,
    pub targets: Vec<Target>,
    /// The scenario without the key's value.
    pub base: Scenario,
    /// The key metrics kept per trial for the page ([`super::page::key_metrics`]).
    pub keys: Vec<String>,
    request: SizeRequest,
}

/// A search run: its answer and, for the page, the base scenario and the
/// key metrics of every value run, per trial.
#[derive(Debug, Clone)]
pub struct Found {
    pub sizing: Sizing,
    pub base: Scenario,
    pub keys: Vec<String>,
    pub kept: super::page::Kept,
}

/// `vary` with its values ascending and duplicates dropped; `None` unless
/// every value is a number.
pub fn ascending(vary: &Vary) -> Option<Vary> {
    let nums = vary.numbers()?;
    let mut idx: Vec<usize> = (0..nums.len()).collect();
    idx.sort_by(|&a, &b| nums[a].total_cmp(&nums[b]));
    idx.dedup_by(|a, b| nums[*a] == nums[*b]);
    Some(Vary {
        key: vary.key.clone(),
        values: idx.iter().map(|&i| vary.values[i].clone()).collect(),
    })
}

/// Loads the scenario of `req` and checks its extremes load and its
/// targets' metrics exist, before any run.
pub fn plan(req: &SizeRequest) -> anyhow::Result<Plan> {
    let Some(vary) = ascending(&req.vary).filter(|v| !v.values.is_empty()) else {
        bail!(
            "--vary {}={}: size needs numeric values (it looks for the smallest)",
            req.vary.key,
            req.vary.values.join(",")
        );
    };
    let base = req.scenario.load(&req.run.overrides(&[]))?;
    let plan = Plan {
        keys: super::page::key_metrics(&base, &crate::model::result::summary_names(&base)),
        vary,
        targets: req.targets.clone(),
        base,
        request: req.clone(),
    };
    // Check the extremes load, and the metrics exist, before any run.
    for i in [0, plan.vary.values.len() - 1] {
        let s = plan.load_at(i)?;
        let names = crate::model::result::summary_names(&s);
        for t in &plan.targets {
            if !names.contains(&t.metric) {
                bail!(
                    "--target '{}': no metric '{}'; metrics are: {}",
                    t.text(),
                    t.metric,
                    names.join(", ")
                );
            }
        }
    }
    Ok(plan)
}

impl Plan {
    /// The folder name of this search's results, `size-<scenario>`.
    pub fn dir_name(&self) -> String {
        format!("size-{}", self.base.name)
    }

    /// The scenario at the `i`-th value.
    pub fn load_at(&self, i: usize) -> anyhow::Result<Scenario> {
        let (key, value) = (&self.vary.key, &self.vary.values[i]);
        let sets = self.request.run.overrides(&[format!("{key}={value}")]);
        self.request
            .scenario
            .load(&sets)
            .with_context(|| format!("at {key} = {value}"))
    }

    /// Runs the search.
    pub fn run(self) -> anyhow::Result<Found> {
        self.run_until(&AtomicBool::new(false))
    }

    /// [`Plan::run`], stopped early (an error) once `stop` is set.
    pub fn run_until(self, stop: &AtomicBool) -> anyhow::Result<Found> {
        let (threads, quiet) = (self.request.run.threads, self.request.run.quiet);
        self.run_with(&mut |_, s, label| super::run_until(s, threads, true, label, quiet, stop))
    }

    /// [`Plan::run`] with each value's run from `runs` (simulated, or
    /// merged from shards).
    pub fn run_with(self, runs: &mut super::Runs<'_>) -> anyhow::Result<Found> {
        // The key metrics of every value run, per trial, for the page's
        // paired differences next to the answer.
        let mut kept: super::page::Kept = BTreeMap::new();
        let sizing = size(
            self.vary.clone(),
            self.targets.clone(),
            self.base.simulation.trials,
            self.base.simulation.seed,
            |i| {
                let s = self.load_at(i)?;
                let label = format!("{} = {}", self.vary.key, self.vary.values[i]);
                let r = runs(i, &s, &label)?;
                kept.insert(i, self.keys.iter().map(|m| r.column(m)).collect());
                let columns = self
                    .targets
                    .iter()
                    .map(|t| r.column(&t.metric).unwrap_or_default())
                    .collect();
                let staff = r
                    .results
                    .summary_names
                    .iter()
                    .zip(&r.results.summary)
                    .filter(|(n, _)| n.starts_with("staff.") && n.ends_with(".fte_needed"))
                    .map(|(n, s)| (n.clone(), *s))
                    .collect();
                Ok((columns, staff))
            },
        )?;
        Ok(Found {
            sizing,
            base: self.base,
            keys: self.keys,
            kept,
        })
    }
}

/// The search `req` asks for, with nothing written.
pub fn compute(req: &SizeRequest) -> anyhow::Result<Found> {
    plan(req)?.run()
}

/// The files of a search's folder but `run.json`, in writing order:
/// size.csv and, with `plots`, the plots and report.html.
pub fn files(z: &Found, plots: bool) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut files = vec![("size.csv".to_string(), csv(&z.sizing)?)];
    if plots {
        let figures = super::plots::size_figures(&z.sizing)?;
        for f in &figures {
            files.push((format!("{}.png", f.stem), f.png.clone()));
            files.push((format!("{}.svg", f.stem), f.svg.clone().into_bytes()));
        }
        let page = super::page::size(&z.sizing, &z.base, &z.keys, &z.kept, &figures);
        files.push(("report.html".to_string(), page.into_bytes()));
    }
    Ok(files)
}

/// Computes the search `req` asks for and writes its folder,
/// `OUT/size-<scenario>/`, claimed before any run; returns the answer and
/// the folder.
pub fn write(req: &SizeRequest) -> anyhow::Result<(Found, std::path::PathBuf)> {
    let (threads, quiet) = (req.run.threads, req.run.quiet);
    write_with(req, plan(req)?, &mut |_, s, label| {
        super::run(s, threads, true, label, quiet)
    })
}

/// [`write()`] of the search `plan` of `req`, each value's run from `runs`
/// (simulated, or merged from shards by `iopsim merge`).
pub fn write_with(
    req: &SizeRequest,
    plan: Plan,
    runs: &mut super::Runs<'_>,
) -> anyhow::Result<(Found, std::path::PathBuf)> {
    // The folder is claimed before any run.
    super::write_folder(
        &req.output,
        &plan.dir_name(),
        "size",
        &req.scenario,
        || plan.run_with(runs),
        |x| &x.base,
        files,
    )
}

impl SizeArgs {
    /// The request these arguments make; fails on a `--vary` or `--target`
    /// that does not parse, or values that are not numbers.
    pub fn request(&self) -> anyhow::Result<SizeRequest> {
        let vary = parse_vary(&self.vary).map_err(anyhow::Error::msg)?;
        if vary.numbers().is_none() {
            bail!(
                "--vary {}: size needs numeric values (it looks for the smallest)",
                self.vary
            );
        }
        let targets: Vec<Target> = self
            .targets
            .iter()
            .map(|t| parse_target(t))
            .collect::<Result<_, _>>()
            .map_err(anyhow::Error::msg)?;
        Ok(SizeRequest {
            scenario: ScenarioSource::file(self.scenario.as_ref()),
            vary,
            targets,
            run: self.run.settings(),
            output: self.run.output(self.no_plots),
        })
    }
}

/// `iopsim size SCENARIO --vary KEY=VALUES --target "..."`.
pub fn command(args: &SizeArgs) -> anyhow::Result<()> {
    if let Some(shard) = args.shard {
        return crate::shard::size(&args.request()?, shard);
    }
    let (sized, dir) = write(&args.request()?)?;
    print(&sized, &dir, args.no_plots);
    Ok(())
}

/// What `iopsim size` prints once its folder is written.
pub fn print(sized: &Found, dir: &std::path::Path, no_plots: bool) {
    print!("{}", report(&sized.sizing));
    println!("values tried in {}", dir.join("size.csv").display());
    super::print_where(dir, no_plots);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        let t = parse_target("iop.wait_days_p90 p90 <= 14").unwrap();
        assert_eq!(t.stat, Stat::Quantile(0.9));
        assert_eq!((t.op, t.value), (Op::Le, 14.0));
        assert_eq!(t.text(), "iop.wait_days_p90 p90 <= 14");
        let t = parse_target("  iop.completed mean > 100 ").unwrap();
        assert_eq!((t.stat, t.op), (Stat::Mean, Op::Gt));
        assert!(parse_target("iop.x p100 <= 1").is_err());
        assert!(parse_target("iop.x median <= 1").is_err());
        assert!(parse_target("iop.x mean =< 1").is_err());
        assert!(parse_target("iop.x mean <= many").is_err());
        assert!(parse_target("iop.x <= 1").is_err());
    }

    #[test]
    fn quantile_bounds_are_order_statistics() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        let (lo, hi) = quantile_bounds(&v, 0.5);
        // Binomial(100, 0.5): the classic 95% interval for the median is X(40)..X(61).
        assert_eq!((lo, hi), (Some(40.0), Some(61.0)));
        // Ten trials cannot bound the P95 from above at 97.5%.
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile_bounds(&ten, 0.95).1, None);
    }

    #[test]
    fn mean_targets_use_the_unfavourable_end() {
        let v = [9.0, 10.0, 11.0, 10.0, 10.0];
        let up = check(&parse_target("m mean <= 10.5").unwrap(), &v);
        assert!(up.bound.unwrap() > 10.5 && !up.pass, "{up:?}");
        let down = check(&parse_target("m mean >= 9").unwrap(), &v);
        assert!(down.pass && down.bound.unwrap() < 10.0);
    }

    #[test]
    fn bisection_finds_the_smallest_and_checks_neighbours() {
        for answer in 0..9 {
            let s = search(9, |i| Ok(i >= answer)).unwrap();
            assert_eq!(s.answer, Some(answer));
            assert!(!s.not_monotone);
            assert!(s.order.len() <= 6, "{answer}: {:?}", s.order);
            if answer > 0 {
                assert_eq!(s.results.get(&(answer - 1)), Some(&false));
            }
            if answer < 8 {
                assert_eq!(s.results.get(&(answer + 1)), Some(&true));
            }
        }
        let none = search(9, |_| Ok(false)).unwrap();
        assert_eq!((none.answer, none.order.clone()), (None, vec![8]));
        // 3 passes, 4 fails, 5.. pass: the check next to the answer notices.
        let odd = search(9, |i| Ok(i == 3 || i >= 5)).unwrap();
        assert_eq!(odd.answer, Some(3));
        assert!(odd.not_monotone);
    }
}
