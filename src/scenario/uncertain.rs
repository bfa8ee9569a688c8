//! Uncertain inputs: any number of a scenario may be written as a
//! distribution over its value, e.g.
//!
//! ```toml
//! show = { uncertain = "beta", mean = 0.72, n = 60 }
//! per_week = { uncertain = "triangular", min = 1.2, mode = 1.6, max = 2.2 }
//! ```
//!
//! Each trial draws every such input once, from a stream of its own keyed
//! by (seed, trial, the input's key), so the simulation's own streams are
//! untouched and two scenarios run with the same seed still see the same
//! referrals and patients (common random numbers), and the same input
//! draws wherever they name the same uncertain input. A draw is the
//! input's quantile at a uniform number, so a trial's inputs are a
//! monotone function of its uniforms (what the sensitivity analysis and
//! the paired comparisons rely on).
//!
//! The loader (`extract`) replaces each distribution by its mean for
//! reading and checking, keeps the distributions, and checks that the
//! scenario is valid with each input at either end of its range (the rest
//! at their means), so a run does not fail half-way on a draw.
//! `simulation.fixed_inputs = true` (`--fixed-inputs`) runs every input at
//! its mean: the behaviour of a scenario without uncertain inputs.
//!
//! Shares that must sum to one total (a routing map, a stream's class
//! shares) are uncertain together, as a Dirichlet:
//!
//! ```toml
//! on_completion = { uncertain = "dirichlet", n = 80, shares = { outpatient = 0.6, alumni = 0.1, home = 0.3 } }
//! ```
//!
//! or, on the elements of a list, `share = { uncertain = "dirichlet",
//! mean = 0.4, n = 30 }` on every track of a unit (or every payer),
//! drawn by stick-breaking, so that it too is a monotone function of
//! independent uniforms: each share but the last is an input of its own,
//! its share of what the shares before it left (a beta), and the last
//! takes the rest. The draws always sum to the written shares' total.

use std::sync::Arc;

use rand::Rng;
use statrs::distribution::{
    Beta, ContinuousCDF, Gamma, LogNormal, Normal, Triangular, Uniform as UniformDist,
};
use toml::Value;

use super::error::Problem;
use super::overrides::{element_name_key, fmt_path, Seg};
use super::raw::RawInitial;
use crate::model::rng::{name_key, rng_from};

/// The forms an uncertain number may take, with the keys each needs.
pub const FORMS: &str = "beta (mean, n: a share known from n observations), gamma (mean, sd: a positive rate or duration), lognormal (mean, sd), normal (mean, sd), triangular (min, mode, max), uniform (min, max); for a map of shares, dirichlet (n, shares)";

/// A distribution over one input's value.
#[derive(Debug, Clone, PartialEq)]
pub enum InputDist {
    /// A share: mean in (0, 1), `n` the observations behind it
    /// (alpha = mean n, beta = (1 - mean) n).
    Beta {
        mean: f64,
        n: f64,
    },
    /// A positive quantity with this mean and standard deviation.
    Gamma {
        mean: f64,
        sd: f64,
    },
    LogNormal {
        mean: f64,
        sd: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    Uniform {
        min: f64,
        max: f64,
    },
}

impl InputDist {
    pub fn mean(&self) -> f64 {
        match *self {
            InputDist::Beta { mean, .. }
            | InputDist::Gamma { mean, .. }
            | InputDist::LogNormal { mean, .. }
            | InputDist::Normal { mean, .. } => mean,
            InputDist::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            InputDist::Uniform { min, max } => (min + max) / 2.0,
        }
    }

    /// The value below which a share `p` of draws fall (0 <= p <= 1; the
    /// ends of an unbounded distribution are infinite).
    pub fn quantile(&self, p: f64) -> f64 {
        // The parameters were checked when read, so the constructors
        // cannot fail; NaN if they somehow did.
        let q = match *self {
            InputDist::Beta { mean, n } => Beta::new(mean * n, (1.0 - mean) * n)
                .ok()
                .map(|d| d.inverse_cdf(p)),
            InputDist::Gamma { mean, sd } => {
                let shape = (mean / sd).powi(2);
                Gamma::new(shape, shape / mean)
                    .ok()
                    .map(|d| d.inverse_cdf(p))
            }
            InputDist::LogNormal { mean, sd } => {
                let s2 = (1.0 + (sd / mean).powi(2)).ln();
                LogNormal::new(mean.ln() - s2 / 2.0, s2.sqrt())
                    .ok()
                    .map(|d| d.inverse_cdf(p))
            }
            InputDist::Normal { mean, sd } => Normal::new(mean, sd).ok().map(|d| d.inverse_cdf(p)),
            InputDist::Triangular { min, mode, max } => Triangular::new(min, max, mode)
                .ok()
                .map(|d| d.inverse_cdf(p)),
            InputDist::Uniform { min, max } => {
                UniformDist::new(min, max).ok().map(|d| d.inverse_cdf(p))
            }
        };
        q.unwrap_or(f64::NAN)
    }

    /// The variance of a draw.
    pub fn variance(&self) -> f64 {
        match *self {
            InputDist::Beta { mean, n } => mean * (1.0 - mean) / (n + 1.0),
            InputDist::Gamma { sd, .. }
            | InputDist::LogNormal { sd, .. }
            | InputDist::Normal { sd, .. } => sd * sd,
            InputDist::Triangular { min, mode, max } => {
                (min * min + mode * mode + max * max - min * mode - min * max - mode * max) / 18.0
            }
            InputDist::Uniform { min, max } => (max - min).powi(2) / 12.0,
        }
    }

    /// The range checked at load: the support's ends where it is bounded,
    /// its 0.1% and 99.9% points where it is not.
    pub fn checked_range(&self) -> (f64, f64) {
        match *self {
            InputDist::Beta { .. } => (0.0, 1.0),
            InputDist::Triangular { min, max, .. } | InputDist::Uniform { min, max } => (min, max),
            _ => (self.quantile(0.001), self.quantile(0.999)),
        }
    }

    /// `beta(mean 0.72, n 60)`.
    pub fn describe(&self) -> String {
        match *self {
            InputDist::Beta { mean, n } => format!("beta(mean {mean}, n {n})"),
            InputDist::Gamma { mean, sd } => format!("gamma(mean {mean}, sd {sd})"),
            InputDist::LogNormal { mean, sd } => format!("lognormal(mean {mean}, sd {sd})"),
            InputDist::Normal { mean, sd } => format!("normal(mean {mean}, sd {sd})"),
            InputDist::Triangular { min, mode, max } => {
                format!("triangular(min {min}, mode {mode}, max {max})")
            }
            InputDist::Uniform { min, max } => format!("uniform(min {min}, max {max})"),
        }
    }
}

/// One uncertain input of a scenario.
#[derive(Debug, Clone)]
pub struct UncertainInput {
    /// Its key as `--set` writes it: `referrals.community.show`.
    pub key: String,
    /// Where it stands in the document.
    path: Vec<Seg>,
    pub dist: InputDist,
    /// For one share of a Dirichlet map: the map, and which of its shares
    /// this is. The input's value is then that share's part of what the
    /// shares before it left (a stick of the stick-breaking), not the
    /// share itself.
    pub stick: Option<Stick>,
}

/// A share of a Dirichlet share map, as an input ([`UncertainInput::stick`]).
#[derive(Debug, Clone)]
pub struct Stick {
    pub map: Arc<ShareMap>,
    /// The share's place in [`ShareMap::names`] (never the last).
    pub index: usize,
}

/// Shares uncertain together as a Dirichlet: a map written
/// `{ uncertain = "dirichlet", n, shares }`, or one share in each element
/// of a list (`share = { uncertain = "dirichlet", mean, n }` on every
/// track of a unit).
#[derive(Debug, Clone, PartialEq)]
pub struct ShareMap {
    /// Where each share stands in the document, in the order of the sticks.
    paths: Vec<Vec<Seg>>,
    /// The shares' names (the map's keys, or the elements' names), in
    /// that order.
    pub names: Vec<String>,
    /// The shares as written (their means), in that order.
    pub means: Vec<f64>,
    /// The observations behind them: the Dirichlet's concentration.
    pub n: f64,
}

impl ShareMap {
    /// The written shares' total, which every draw keeps.
    pub fn total(&self) -> f64 {
        self.means.iter().sum()
    }

    /// The shares that `sticks` (one per name but the last, each in
    /// [0, 1]) break the written total into: share i is stick i of what
    /// shares 0..i left; the last takes the rest.
    pub fn shares(&self, sticks: &[f64]) -> Vec<f64> {
        debug_assert_eq!(sticks.len() + 1, self.names.len());
        let total = self.total();
        let mut rest = 1.0;
        let mut out = Vec::with_capacity(self.names.len());
        for &b in sticks {
            let x = rest * b;
            out.push(total * x);
            rest -= x;
        }
        out.push(total * rest.max(0.0));
        out
    }

    /// The beta of stick `i`: alpha_i = n m_i / total against the alphas
    /// of the shares after it. At every stick's mean the shares are the
    /// written ones.
    fn stick_dist(&self, i: usize) -> InputDist {
        let total = self.total();
        let alpha = |j: usize| self.n * self.means[j] / total;
        let rest: f64 = (i..self.means.len()).map(alpha).sum();
        InputDist::Beta {
            mean: alpha(i) / rest,
            n: rest,
        }
    }
}

impl UncertainInput {
    /// What it is, for the console, check and the report: its
    /// distribution, or for a share of a Dirichlet map which share of what.
    pub fn describe(&self) -> String {
        match &self.stick {
            None => self.dist.describe(),
            Some(Stick { map, index }) => {
                // Four decimals: a stick's mean and n are ratios of the
                // written numbers.
                let short = |x: f64| format!("{}", (x * 1e4).round() / 1e4);
                let shares: Vec<String> = map
                    .names
                    .iter()
                    .zip(&map.means)
                    .map(|(n, m)| format!("{n} {}", short(*m)))
                    .collect();
                let name = &map.names[*index];
                let total = map.total();
                let of = if *index > 0 {
                    format!(
                        "{name}'s part of what is left after {}",
                        map.names[..*index].join(", ")
                    )
                } else if (total - 1.0).abs() < SHARES_SUM_TOL {
                    format!("{name}'s part of the whole")
                } else {
                    format!("{name}'s part of the {}", short(total))
                };
                let InputDist::Beta { mean, n } = self.dist else {
                    return self.dist.describe();
                };
                format!(
                    "dirichlet(n {}) over {}: {of}, beta(mean {}, n {}); {} takes the rest",
                    short(map.n),
                    shares.join(", "),
                    short(mean),
                    short(n),
                    map.names[map.names.len() - 1]
                )
            }
        }
    }

    /// The value its key takes when this input is `x` and the others
    /// are at their means: `x` itself, or for a share of a Dirichlet map
    /// the share that stick `x` gives (`x` times what the shares before
    /// it leave at their means).
    pub fn value_at(&self, x: f64) -> f64 {
        match &self.stick {
            None => x,
            Some(Stick { map, index }) => {
                let total = map.total();
                x * (total - map.means[..*index].iter().sum::<f64>())
            }
        }
    }

    /// Its value in trial `trial` of a run with `seed`.
    pub fn draw(&self, seed: u64, trial: u64) -> f64 {
        let mut rng = rng_from(&[
            seed,
            trial,
            name_key("uncertain inputs"),
            name_key(&self.key),
        ]);
        // (0, 1): the quantile of an unbounded distribution is finite.
        let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
        self.dist.quantile(u)
    }

    /// The problem path: `referrals[0].show`.
    pub fn path(&self) -> String {
        fmt_path(&self.path)
    }
}

/// A scenario's uncertain inputs and what it takes to build the scenario of
/// one trial from them. Empty when the scenario has none (or they are
/// fixed at their means).
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub list: Vec<UncertainInput>,
    /// The document with every input at its mean, and the initial
    /// patients read from their CSV (the trial's scenario is read again
    /// from this document, without the file).
    base: Option<Arc<(Value, Option<RawInitial>)>>,
}

impl Inputs {
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(super) fn new(list: Vec<UncertainInput>, doc: Value, initial: Option<RawInitial>) -> Self {
        Inputs {
            list,
            base: Some(Arc::new((doc, initial))),
        }
    }

    /// The scenario with input `i` at `values[i]`: read and checked as the
    /// file is (problems as text). It has no uncertain inputs itself.
    pub fn scenario_at(&self, values: &[f64]) -> Result<super::Scenario, String> {
        let Some(base) = &self.base else {
            return Err("the scenario has no uncertain inputs".into());
        };
        let mut doc = base.0.clone();
        let mut i = 0;
        while i < self.list.len().min(values.len()) {
            let input = &self.list[i];
            match &input.stick {
                None => {
                    set_at(&mut doc, &input.path, Value::Float(values[i]));
                    i += 1;
                }
                // A map's sticks stand together, in order (`walk`).
                Some(Stick { map, .. }) => {
                    let k = map.names.len() - 1;
                    let Some(sticks) = values.get(i..i + k) else {
                        return Err(format!("{}: fewer values than shares", input.key));
                    };
                    for (path, x) in map.paths.iter().zip(map.shares(sticks)) {
                        set_at(&mut doc, path, Value::Float(x));
                    }
                    i += k;
                }
            }
        }
        // The document was read at the means and only numbers changed, so
        // it reads straight into the structs; the full reading (which names
        // every value of the wrong type) only when it does not.
        let mut problems = Vec::new();
        let mut raw: super::raw::RawScenario = match doc.clone().try_into() {
            Ok(raw) => raw,
            Err(_) => {
                let read = super::typecheck::deserialize(&mut doc, "", &[]);
                problems = read.problems;
                match read.raw {
                    Some(raw) if problems.is_empty() => raw,
                    _ => return Err(listed(&problems)),
                }
            }
        };
        raw.initial.clone_from(&base.1);
        let scenario = super::validate::validate(&raw, &mut problems);
        if problems.is_empty() {
            Ok(scenario)
        } else {
            Err(listed(&problems))
        }
    }

    /// The values of trial `trial` of a run with `seed`, in list order.
    pub fn draw(&self, seed: u64, trial: u64) -> Vec<f64> {
        self.list.iter().map(|i| i.draw(seed, trial)).collect()
    }

    /// Every input at its mean.
    pub fn means(&self) -> Vec<f64> {
        self.list.iter().map(|i| i.dist.mean()).collect()
    }
}

fn listed(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("{}: {}", p.path, p.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Writes `value` at `path` (which exists: it was read from there).
fn set_at(doc: &mut Value, path: &[Seg], value: Value) {
    let mut at = doc;
    for seg in path {
        let next = match (seg, at) {
            (Seg::Key(k), Value::Table(t)) => t.get_mut(k),
            (Seg::Index(i), Value::Array(a)) => a.get_mut(*i),
            _ => None,
        };
        match next {
            Some(n) => at = n,
            None => return,
        }
    }
    *at = value;
}

/// Finds every `{ uncertain = ... }` table in `doc`, replaces it by its
/// distribution's mean and returns the inputs found, in document order.
/// A malformed one is a problem (and replaced by nothing, so the key reads
/// as missing only if it was required).
pub(super) fn extract(doc: &mut Value, problems: &mut Vec<Problem>) -> Vec<UncertainInput> {
    let mut found = Vec::new();
    let mut path = Vec::new();
    let mut named = Vec::new();
    walk(doc, &mut path, &mut named, &mut found, problems);
    found
}

fn walk(
    v: &mut Value,
    path: &mut Vec<Seg>,
    named: &mut Vec<String>,
    found: &mut Vec<UncertainInput>,
    problems: &mut Vec<Problem>,
) {
    match v {
        Value::Table(t) if t.get("uncertain").and_then(Value::as_str) == Some("dirichlet") => {
            match parse_dirichlet(t, path) {
                Ok(map) => {
                    *v = Value::Table(
                        map.names
                            .iter()
                            .cloned()
                            .zip(map.means.iter().map(|&m| Value::Float(m)))
                            .collect(),
                    );
                    let keys = map
                        .names
                        .iter()
                        .map(|name| format!("{}.{name}", named.join(".")))
                        .collect();
                    push_sticks(map, keys, found);
                }
                Err(message) => problems.push(Problem::new(fmt_path(path), message)),
            }
        }
        Value::Table(t) if t.contains_key("uncertain") => {
            let key = named.join(".");
            match parse(t) {
                Ok(dist) => {
                    *v = Value::Float(dist.mean());
                    found.push(UncertainInput {
                        key,
                        path: path.clone(),
                        dist,
                        stick: None,
                    });
                }
                Err(message) => problems.push(Problem::new(fmt_path(path), message)),
            }
        }
        Value::Table(t) => {
            for (k, child) in t.iter_mut() {
                path.push(Seg::Key(k.clone()));
                named.push(k.clone());
                walk(child, path, named, found, problems);
                named.pop();
                path.pop();
            }
        }
        Value::Array(a) => {
            let array_key = match path.last() {
                Some(Seg::Key(k)) => k.clone(),
                _ => String::new(),
            };
            // Elements are named as `--set` names them: by `name` (`role`
            // for staff), else by index.
            let names: Vec<String> = a
                .iter()
                .enumerate()
                .map(|(i, child)| {
                    element_name_key(&array_key)
                        .and_then(|nk| child.get(nk))
                        .and_then(Value::as_str)
                        .map_or_else(|| i.to_string(), str::to_string)
                })
                .collect();
            element_shares(a, path, named, &names, found, problems);
            for (i, (child, name)) in a.iter_mut().zip(names).enumerate() {
                path.push(Seg::Index(i));
                named.push(name);
                walk(child, path, named, found, problems);
                named.pop();
                path.pop();
            }
        }
        _ => {}
    }
}

/// The number at `key` of an uncertain table.
fn number(t: &toml::Table, key: &str, form: &str) -> Result<f64, String> {
    match t.get(key) {
        Some(Value::Float(x)) if x.is_finite() => Ok(*x),
        Some(Value::Integer(i)) => Ok(*i as f64),
        Some(other) => Err(format!(
            "'{key}' of an uncertain {form} must be a finite number, got {other}"
        )),
        None => Err(format!("an uncertain {form} needs '{key}'")),
    }
}

/// The shares of a map may sum to a little over 1 by rounding, as the
/// scenario's own checks allow.
const SHARES_SUM_TOL: f64 = 1e-9;

/// One input per share of `map` but the last, keyed `keys` (one per
/// share), each at its share's place in the document.
fn push_sticks(map: ShareMap, keys: Vec<String>, found: &mut Vec<UncertainInput>) {
    let map = Arc::new(map);
    let last = map.names.len() - 1;
    for (index, key) in keys.into_iter().take(last).enumerate() {
        found.push(UncertainInput {
            key,
            path: map.paths[index].clone(),
            dist: map.stick_dist(index),
            stick: Some(Stick {
                map: map.clone(),
                index,
            }),
        });
    }
}

/// A `{ uncertain = "dirichlet", n, shares = { key = share, ... } }` at
/// `path`.
fn parse_dirichlet(t: &toml::Table, path: &[Seg]) -> Result<ShareMap, String> {
    if let Some(extra) = t
        .keys()
        .find(|k| !["uncertain", "n", "shares"].contains(&k.as_str()))
    {
        let hint = if extra == "mean" {
            " (a share with its own mean is a list's `share`: one on every track of a \
             unit, or on every payer, each its mean, all the same n)"
        } else {
            ""
        };
        return Err(format!(
            "unknown key '{extra}' in an uncertain dirichlet; it takes n, shares{hint}"
        ));
    }
    let n = number(t, "n", "dirichlet")?;
    let Some(Value::Table(shares)) = t.get("shares") else {
        return Err(
            "an uncertain dirichlet needs 'shares', a map of shares: shares = { a = 0.6, b = 0.4 }"
                .into(),
        );
    };
    let mut names = Vec::with_capacity(shares.len());
    let mut means = Vec::with_capacity(shares.len());
    let mut paths = Vec::with_capacity(shares.len());
    for (name, x) in shares {
        let m = match x {
            Value::Float(x) => *x,
            Value::Integer(i) => *i as f64,
            _ => return Err(format!("the dirichlet's share '{name}' must be a number")),
        };
        names.push(name.clone());
        means.push(m);
        let mut at = path.to_vec();
        at.push(Seg::Key(name.clone()));
        paths.push(at);
    }
    share_map(names, means, n, paths)
}

/// Is `v` an uncertain Dirichlet (a map of shares, or one share of a list)?
fn is_dirichlet(v: &Value) -> bool {
    v.get("uncertain").and_then(Value::as_str) == Some("dirichlet")
}

/// Shares in the elements of a list, each `share = { uncertain =
/// "dirichlet", mean, n }` (every track's `share`, every payer's): where
/// some element writes one, checked (on every element, one n), replaced
/// by their means and pushed as one share map.
fn element_shares(
    a: &mut [Value],
    path: &[Seg],
    named: &[String],
    names: &[String],
    found: &mut Vec<UncertainInput>,
    problems: &mut Vec<Problem>,
) {
    const KEY: &str = "share";
    let is_list_share = |v: &Value| is_dirichlet(v) && v.get("shares").is_none();
    if !a.iter().any(|c| c.get(KEY).is_some_and(is_list_share)) {
        return;
    }
    let at = |i: usize| {
        let mut p = path.to_vec();
        p.extend([Seg::Index(i), Seg::Key(KEY.into())]);
        p
    };
    match read_list_shares(a, KEY, names, at) {
        Ok(map) => {
            for (child, &m) in a.iter_mut().zip(&map.means) {
                if let Value::Table(t) = child {
                    t.insert(KEY.into(), Value::Float(m));
                }
            }
            let keys = names
                .iter()
                .map(|name| format!("{}.{name}.{KEY}", named.join(".")))
                .collect();
            push_sticks(map, keys, found);
        }
        Err((i, message)) => {
            problems.push(Problem::new(fmt_path(&at(i)), message));
            // Read on at the means where they are numbers, so that no
            // follow-on problem says a share is missing.
            for child in a.iter_mut() {
                if let Value::Table(t) = child {
                    if t.get(KEY).is_some_and(is_dirichlet) {
                        match t[KEY].get("mean").and_then(Value::as_float) {
                            Some(m) => t.insert(KEY.into(), Value::Float(m)),
                            None => t.remove(KEY),
                        };
                    }
                }
            }
        }
    }
}

/// The share map of `key` on every element of `a` (named `names`, its
/// shares at `at(i)`), or the index of the element that is wrong and why.
fn read_list_shares(
    a: &[Value],
    key: &str,
    names: &[String],
    at: impl Fn(usize) -> Vec<Seg>,
) -> Result<ShareMap, (usize, String)> {
    let mut means = Vec::with_capacity(a.len());
    let mut n = None;
    for (i, child) in a.iter().enumerate() {
        let Some(Value::Table(t)) = child.get(key).filter(|v| is_dirichlet(v)) else {
            return Err((
                i,
                format!(
                    "another element's {key} is an uncertain dirichlet share: give one \
                     on every element of the list (each its mean, all the same n), or none"
                ),
            ));
        };
        if let Some(extra) = t
            .keys()
            .find(|k| !["uncertain", "mean", "n"].contains(&k.as_str()))
        {
            return Err((
                i,
                format!(
                    "unknown key '{extra}' in a dirichlet share of a list's element; \
                     it takes mean, n"
                ),
            ));
        }
        let m = number(t, "mean", "dirichlet share").map_err(|e| (i, e))?;
        let this_n = number(t, "n", "dirichlet share").map_err(|e| (i, e))?;
        if let Some(n) = n.filter(|&n| n != this_n) {
            return Err((
                i,
                format!("the list's dirichlet shares need one n, got {n} and {this_n}"),
            ));
        }
        n = Some(this_n);
        means.push(m);
    }
    let paths = (0..a.len()).map(at).collect();
    share_map(names.to_vec(), means, n.unwrap_or(0.0), paths).map_err(|e| (0, e))
}

/// Checks shares uncertain together (at least two, each in (0, 1],
/// summing to at most 1, n > 0) and makes their map.
fn share_map(
    names: Vec<String>,
    means: Vec<f64>,
    n: f64,
    paths: Vec<Vec<Seg>>,
) -> Result<ShareMap, String> {
    if n <= 0.0 {
        return Err(format!(
            "an uncertain dirichlet's n (the observations behind the shares) must be > 0, got {n}"
        ));
    }
    if means.len() < 2 {
        return Err(format!(
            "an uncertain dirichlet needs at least two shares, got {}",
            means.len()
        ));
    }
    for (name, &m) in names.iter().zip(&means) {
        if !(m > 0.0 && m <= 1.0) {
            return Err(format!(
                "the dirichlet's share '{name}' must be in (0, 1] (a share that is never taken has no place in it), got {m}"
            ));
        }
    }
    let total: f64 = means.iter().sum();
    if total > 1.0 + SHARES_SUM_TOL {
        return Err(format!(
            "the dirichlet's shares sum to {}; they must sum to at most 1",
            (total * 1e9).round() / 1e9
        ));
    }
    Ok(ShareMap {
        paths,
        names,
        means,
        n,
    })
}

fn parse(t: &toml::Table) -> Result<InputDist, String> {
    let Some(form) = t.get("uncertain").and_then(Value::as_str) else {
        return Err(format!(
            "'uncertain' names the distribution as a string, one of: {FORMS}"
        ));
    };
    let keys: &[&str] = match form {
        "beta" => &["mean", "n"],
        "gamma" | "lognormal" | "normal" => &["mean", "sd"],
        "triangular" => &["min", "mode", "max"],
        "uniform" => &["min", "max"],
        other => {
            return Err(format!(
                "unknown distribution '{other}' for an uncertain value; use one of: {FORMS}"
            ))
        }
    };
    if let Some(extra) = t
        .keys()
        .find(|k| *k != "uncertain" && !keys.contains(&k.as_str()))
    {
        return Err(format!(
            "unknown key '{extra}' in an uncertain {form}; it takes {}",
            keys.join(", ")
        ));
    }
    let n = |k: &str| number(t, k, form);
    let dist = match form {
        "beta" => {
            let (mean, n) = (n("mean")?, n("n")?);
            if !(mean > 0.0 && mean < 1.0) {
                return Err(format!(
                    "an uncertain beta's mean must be between 0 and 1 (exclusive), got {mean}"
                ));
            }
            if n <= 0.0 {
                return Err(format!(
                    "an uncertain beta's n (the observations behind the mean) must be > 0, got {n}"
                ));
            }
            InputDist::Beta { mean, n }
        }
        "gamma" | "lognormal" => {
            let (mean, sd) = (n("mean")?, n("sd")?);
            if mean <= 0.0 || sd <= 0.0 {
                return Err(format!(
                    "an uncertain {form} needs mean > 0 and sd > 0, got mean {mean}, sd {sd}"
                ));
            }
            if form == "gamma" {
                InputDist::Gamma { mean, sd }
            } else {
                InputDist::LogNormal { mean, sd }
            }
        }
        "normal" => {
            let (mean, sd) = (n("mean")?, n("sd")?);
            if sd <= 0.0 {
                return Err(format!("an uncertain normal needs sd > 0, got {sd}"));
            }
            InputDist::Normal { mean, sd }
        }
        "triangular" => {
            let (min, mode, max) = (n("min")?, n("mode")?, n("max")?);
            if !(min <= mode && mode <= max && min < max) {
                return Err(format!(
                    "an uncertain triangular needs min <= mode <= max and min < max, got {min}, {mode}, {max}"
                ));
            }
            InputDist::Triangular { min, mode, max }
        }
        _ => {
            let (min, max) = (n("min")?, n("max")?);
            if min >= max {
                return Err(format!(
                    "an uncertain uniform needs min < max, got {min}, {max}"
                ));
            }
            InputDist::Uniform { min, max }
        }
    };
    Ok(dist)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_means_and_variances_agree_with_the_distributions() {
        let dists = [
            InputDist::Beta {
                mean: 0.72,
                n: 60.0,
            },
            InputDist::Gamma { mean: 2.0, sd: 0.5 },
            InputDist::LogNormal { mean: 2.0, sd: 0.5 },
            InputDist::Normal { mean: 2.0, sd: 0.5 },
            InputDist::Triangular {
                min: 1.0,
                mode: 1.5,
                max: 3.0,
            },
            InputDist::Uniform { min: 1.0, max: 3.0 },
        ];
        for d in &dists {
            // The mean and variance of the quantile function on a fine grid.
            let k = 20_000;
            let xs: Vec<f64> = (0..k)
                .map(|i| d.quantile((i as f64 + 0.5) / k as f64))
                .collect();
            let m = xs.iter().sum::<f64>() / k as f64;
            let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / k as f64;
            assert!(
                (m - d.mean()).abs() < 1e-3 * d.mean().abs().max(1.0),
                "{d:?}: {m}"
            );
            assert!((v / d.variance() - 1.0).abs() < 0.01, "{d:?}: {v}");
            assert!(d.quantile(0.1) < d.quantile(0.5) && d.quantile(0.5) < d.quantile(0.9));
        }
    }

    #[test]
    fn draws_are_the_inputs_own_stream_and_stable() {
        let input = |key: &str| UncertainInput {
            key: key.into(),
            path: vec![],
            dist: InputDist::Uniform { min: 0.0, max: 1.0 },
            stick: None,
        };
        let a = input("referrals.community.show");
        let b = input("units.iop.attendance");
        assert_eq!(a.draw(1, 7), a.draw(1, 7));
        assert_ne!(a.draw(1, 7), a.draw(1, 8));
        assert_ne!(a.draw(1, 7), a.draw(2, 7));
        assert_ne!(a.draw(1, 7), b.draw(1, 7));
        let xs: Vec<f64> = (0..4000).map(|t| a.draw(1, t)).collect();
        let m = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((m - 0.5).abs() < 0.02, "{m}");
    }

    #[test]
    fn impossible_parameters_are_refused_with_what_is_allowed() {
        for (text, says) in [
            (
                "{ uncertain = \"beta\", mean = 1.2, n = 60 }",
                "between 0 and 1",
            ),
            (
                "{ uncertain = \"beta\", mean = 0.5, n = 0 }",
                "n (the observations",
            ),
            ("{ uncertain = \"beta\", mean = 0.5 }", "needs 'n'"),
            ("{ uncertain = \"gamma\", mean = 2, sd = -1 }", "sd > 0"),
            (
                "{ uncertain = \"triangular\", min = 3, mode = 1, max = 2 }",
                "min <= mode <= max",
            ),
            ("{ uncertain = \"uniform\", min = 2, max = 2 }", "min < max"),
            ("{ uncertain = \"poisson\", mean = 2 }", "beta (mean, n"),
            (
                "{ uncertain = \"normal\", mean = 2, sd = 1, max = 3 }",
                "unknown key 'max'",
            ),
            ("{ uncertain = 3 }", "one of: beta"),
        ] {
            let mut doc: Value = format!("x = {text}").parse::<toml::Table>().unwrap().into();
            let mut problems = Vec::new();
            let found = extract(&mut doc, &mut problems);
            assert!(found.is_empty(), "{text}");
            assert_eq!(problems.len(), 1, "{text}");
            assert_eq!(problems[0].path, "x");
            assert!(
                problems[0].message.contains(says),
                "{text}: {}",
                problems[0].message
            );
        }
    }

    /// The document of `toml` after `extract`, with what it found.
    fn extracted(toml: &str) -> (Value, Vec<UncertainInput>, Vec<Problem>) {
        let mut doc: Value = toml.parse::<toml::Table>().unwrap().into();
        let mut problems = Vec::new();
        let found = extract(&mut doc, &mut problems);
        (doc, found, problems)
    }

    fn dirichlet(text: &str) -> (Value, Vec<UncertainInput>, Vec<Problem>) {
        extracted(&format!(
            "[[units]]\nname = \"iop\"\non_completion = {text}"
        ))
    }

    #[test]
    fn a_dirichlet_map_is_one_input_per_share_but_the_last_read_at_its_shares() {
        let (doc, found, problems) = dirichlet(
            "{ uncertain = \"dirichlet\", n = 80, shares = { outpatient = 0.6, alumni = 0.1, home = 0.2 } }",
        );
        assert!(problems.is_empty(), "{problems:?}");
        // Read at the written shares (the remainder, 0.1, still goes home
        // by the scenario's own rule).
        let map = doc["units"][0]["on_completion"].as_table().unwrap();
        assert_eq!(map.len(), 3);
        assert_eq!(map["outpatient"], Value::Float(0.6));
        assert_eq!(map["home"], Value::Float(0.2));
        let keys: Vec<&str> = found.iter().map(|i| i.key.as_str()).collect();
        let stick = found[0].stick.as_ref().unwrap();
        let names = &stick.map.names;
        assert_eq!(keys.len(), 2);
        for (k, name) in keys.iter().zip(names) {
            assert_eq!(*k, format!("units.iop.on_completion.{name}"));
        }
        assert_eq!(
            found[1].path(),
            format!("units[0].on_completion.{}", names[1])
        );
        // The sticks' means give back the written shares.
        let means: Vec<f64> = found.iter().map(|i| i.dist.mean()).collect();
        let at_means = stick.map.shares(&means);
        for (x, m) in at_means.iter().zip(&stick.map.means) {
            assert!((x - m).abs() < 1e-12, "{at_means:?}");
        }
        for (i, input) in found.iter().enumerate() {
            let share = input.value_at(input.dist.mean());
            assert!((share - stick.map.means[i]).abs() < 1e-12, "{i}: {share}");
        }
        assert!(found[1]
            .describe()
            .contains(&format!("part of what is left after {}", names[0])));
        assert!(found[0].describe().contains("dirichlet(n 80)"));
        assert!(found[0]
            .describe()
            .contains(&format!("{}'s part of the 0.9", names[0])));
    }

    /// Drawn shares sum to the written total, trial by trial, and have a
    /// Dirichlet's moments: for p_i = m_i / total, mean total p_i,
    /// variance total^2 p_i (1 - p_i) / (n + 1), covariance
    /// -total^2 p_i p_j / (n + 1).
    #[test]
    fn drawn_shares_have_the_dirichlets_moments_and_keep_their_total() {
        let n = 30.0;
        let (_, found, problems) = dirichlet(
            "{ uncertain = \"dirichlet\", n = 30, shares = { a = 0.5, b = 0.3, c = 0.1 } }",
        );
        assert!(problems.is_empty(), "{problems:?}");
        let map = found[0].stick.as_ref().unwrap().map.clone();
        let total = map.total();
        let draws: Vec<Vec<f64>> = (0..20_000)
            .map(|t| {
                let sticks: Vec<f64> = found.iter().map(|i| i.draw(3, t)).collect();
                map.shares(&sticks)
            })
            .collect();
        for d in &draws {
            assert!((d.iter().sum::<f64>() - total).abs() < 1e-12, "{d:?}");
            assert!(d.iter().all(|&x| (0.0..=total).contains(&x)), "{d:?}");
        }
        let k = map.names.len();
        let mean: Vec<f64> = (0..k)
            .map(|i| draws.iter().map(|d| d[i]).sum::<f64>() / draws.len() as f64)
            .collect();
        let cov = |i: usize, j: usize| {
            draws
                .iter()
                .map(|d| (d[i] - mean[i]) * (d[j] - mean[j]))
                .sum::<f64>()
                / (draws.len() - 1) as f64
        };
        for i in 0..k {
            let p = map.means[i] / total;
            let var = total * total * p * (1.0 - p) / (n + 1.0);
            let se = (var / draws.len() as f64).sqrt();
            assert!(
                (mean[i] - map.means[i]).abs() < 4.0 * se,
                "mean {i}: {mean:?}"
            );
            assert!(
                (cov(i, i) / var - 1.0).abs() < 0.05,
                "var {i}: {} vs {var}",
                cov(i, i)
            );
            for j in i + 1..k {
                let q = map.means[j] / total;
                let c = -total * total * p * q / (n + 1.0);
                assert!(
                    (cov(i, j) / c - 1.0).abs() < 0.1,
                    "cov {i} {j}: {} vs {c}",
                    cov(i, j)
                );
            }
        }
    }

    #[test]
    fn impossible_share_maps_are_refused_with_what_is_allowed() {
        for (text, says) in [
            (
                "{ uncertain = \"dirichlet\", n = 0, shares = { a = 0.5, b = 0.5 } }",
                "n (the observations",
            ),
            (
                "{ uncertain = \"dirichlet\", shares = { a = 0.5, b = 0.5 } }",
                "needs 'n'",
            ),
            ("{ uncertain = \"dirichlet\", n = 10 }", "needs 'shares'"),
            (
                "{ uncertain = \"dirichlet\", n = 10, shares = 0.5 }",
                "needs 'shares'",
            ),
            (
                "{ uncertain = \"dirichlet\", n = 10, shares = { a = 1.0 } }",
                "at least two shares",
            ),
            (
                "{ uncertain = \"dirichlet\", n = 10, shares = { a = 0.7, b = 0.0 } }",
                "share 'b' must be in (0, 1]",
            ),
            (
                "{ uncertain = \"dirichlet\", n = 10, shares = { a = 0.7, b = \"x\" } }",
                "share 'b' must be a number",
            ),
            (
                "{ uncertain = \"dirichlet\", n = 10, shares = { a = 0.7, b = 0.4 } }",
                "sum to 1.1",
            ),
            (
                "{ uncertain = \"dirichlet\", n = 10, mean = 3, shares = { a = 0.7, b = 0.3 } }",
                "unknown key 'mean'",
            ),
        ] {
            let (_, found, problems) = dirichlet(text);
            assert!(found.is_empty(), "{text}");
            assert_eq!(problems.len(), 1, "{text}");
            assert_eq!(problems[0].path, "units[0].on_completion");
            assert!(
                problems[0].message.contains(says),
                "{text}: {}",
                problems[0].message
            );
        }
    }

    fn tracks(morning: &str, evening: &str) -> (Value, Vec<UncertainInput>, Vec<Problem>) {
        extracted(&format!(
            "[[units]]\nname = \"iop\"\n\
             [[units.tracks]]\nname = \"morning\"\nshare = {morning}\n\
             [[units.tracks]]\nname = \"evening\"\nshare = {evening}\n"
        ))
    }

    #[test]
    fn shares_on_a_lists_elements_are_one_dirichlet() {
        let (doc, found, problems) = tracks(
            "{ uncertain = \"dirichlet\", mean = 0.4, n = 30 }",
            "{ uncertain = \"dirichlet\", mean = 0.6, n = 30 }",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(doc["units"][0]["tracks"][0]["share"], Value::Float(0.4));
        assert_eq!(doc["units"][0]["tracks"][1]["share"], Value::Float(0.6));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].key, "units.iop.tracks.morning.share");
        assert_eq!(found[0].path(), "units[0].tracks[0].share");
        let map = &found[0].stick.as_ref().unwrap().map;
        assert_eq!(map.names, ["morning", "evening"]);
        assert_eq!(map.n, 30.0);
        // Drawn shares keep their total.
        let shares = map.shares(&[0.25]);
        assert_eq!(shares, [0.25, 0.75]);
        assert!(found[0]
            .describe()
            .contains("over morning 0.4, evening 0.6: morning's part of the whole"));
    }

    #[test]
    fn shares_on_a_lists_elements_are_given_on_all_with_one_n() {
        for (morning, evening, at, says) in [
            (
                "{ uncertain = \"dirichlet\", mean = 0.4, n = 30 }",
                "0.6",
                "units[0].tracks[1].share",
                "give one on every element",
            ),
            (
                "{ uncertain = \"dirichlet\", mean = 0.4, n = 30 }",
                "{ uncertain = \"dirichlet\", mean = 0.6, n = 20 }",
                "units[0].tracks[1].share",
                "need one n, got 30 and 20",
            ),
            (
                "{ uncertain = \"dirichlet\", mean = 0.7, n = 30 }",
                "{ uncertain = \"dirichlet\", mean = 0.6, n = 30 }",
                "units[0].tracks[0].share",
                "sum to 1.3",
            ),
            (
                "{ uncertain = \"dirichlet\", mean = 0.4, n = 30, sd = 1 }",
                "{ uncertain = \"dirichlet\", mean = 0.6, n = 30 }",
                "units[0].tracks[0].share",
                "unknown key 'sd'",
            ),
        ] {
            let (_, found, problems) = tracks(morning, evening);
            assert!(found.is_empty(), "{morning} {evening}");
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert_eq!(problems[0].path, at);
            assert!(
                problems[0].message.contains(says),
                "{}",
                problems[0].message
            );
        }
        // Not on a list's share: a map of shares is written with `shares`.
        let (_, _, problems) = dirichlet("{ uncertain = \"dirichlet\", mean = 0.4, n = 30 }");
        assert!(
            problems[0].message.contains("a list's `share`"),
            "{problems:?}"
        );
    }

    #[test]
    fn inputs_are_named_as_set_names_them_and_replaced_by_their_means() {
        let mut doc: Value = r#"
            [[referrals]]
            name = "community"
            show = { uncertain = "beta", mean = 0.75, n = 40 }
            [[staff]]
            role = "therapist"
            fte = { uncertain = "uniform", min = 2, max = 4 }
        "#
        .parse::<toml::Table>()
        .unwrap()
        .into();
        let mut problems = Vec::new();
        let found = extract(&mut doc, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let keys: Vec<&str> = found.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["referrals.community.show", "staff.therapist.fte"]);
        assert_eq!(found[0].path(), "referrals[0].show");
        assert_eq!(doc["referrals"][0]["show"], Value::Float(0.75));
        assert_eq!(doc["staff"][0]["fte"], Value::Float(3.0));
    }
}
