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
pub const FORMS: &str = "beta (mean, n: a share known from n observations), gamma (mean, sd: a positive rate or duration), lognormal (mean, sd), normal (mean, sd), triangular (min, mode, max), uniform (min, max)";

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
}

impl UncertainInput {
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
        for (input, &v) in self.list.iter().zip(values) {
            set_at(&mut doc, &input.path, Value::Float(v));
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
        Value::Table(t) if t.contains_key("uncertain") => {
            let key = named.join(".");
            match parse(t) {
                Ok(dist) => {
                    *v = Value::Float(dist.mean());
                    found.push(UncertainInput {
                        key,
                        path: path.clone(),
                        dist,
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
            for (i, child) in a.iter_mut().enumerate() {
                // Elements are named as `--set` names them: by `name`
                // (`role` for staff), else by index.
                let name = element_name_key(&array_key)
                    .and_then(|nk| child.get(nk))
                    .and_then(Value::as_str)
                    .map_or_else(|| i.to_string(), str::to_string);
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
