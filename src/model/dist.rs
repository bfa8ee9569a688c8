//! Duration and count distributions, built once from validated parameters and
//! then sampled without further checks (the rand_distr pattern: bad parameters
//! fail at construction, never while sampling).

use rand::Rng;
use rand_distr::weighted::WeightedIndex;
use rand_distr::{Distribution, Exp, Exp1, Gamma, LogNormal, Normal, Triangular, Uniform, Weibull};

/// The parameters of a distribution as the user wrote them.
#[derive(Debug, Clone, PartialEq)]
pub enum DistSpec {
    Fixed {
        value: f64,
    },
    Exponential {
        mean: f64,
    },
    Uniform {
        min: f64,
        max: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    /// Truncated at 0 by resampling.
    Normal {
        mean: f64,
        sd: f64,
    },
    LogNormal {
        mean: f64,
        sd: f64,
    },
    Gamma {
        mean: f64,
        sd: f64,
    },
    Weibull {
        shape: f64,
        scale: f64,
    },
    Empirical {
        values: Vec<f64>,
        weights: Option<Vec<f64>>,
    },
}

/// The names accepted in `dist = "..."`, for error messages.
pub const DIST_NAMES: &str =
    "fixed, exponential, uniform, triangular, normal, lognormal, gamma, weibull, empirical";

/// A ready-to-sample, non-negative distribution.
#[derive(Debug, Clone)]
pub struct Dist {
    spec: DistSpec,
    sampler: Sampler,
}

#[derive(Debug, Clone)]
enum Sampler {
    Fixed(f64),
    /// Exponential, by its `lambda_inverse` (`1 / (1 / mean)`, as
    /// `rand_distr::Exp` keeps it): sampled as `Exp` does, `Exp1 x
    /// lambda_inverse`, but inline (`Exp::sample` is not marked inline, and
    /// LLVM kept it and the draw out of line: 3% of an M/M/1 run).
    Exp(f64),
    Uniform(Uniform<f64>),
    Triangular(Triangular<f64>),
    Normal(Normal<f64>),
    LogNormal(LogNormal<f64>),
    Gamma(Gamma<f64>),
    Weibull(Weibull<f64>),
    Empirical(Vec<f64>, Option<WeightedIndex<f64>>),
}

fn finite_nonneg(name: &str, x: f64) -> Result<(), String> {
    if x.is_finite() && x >= 0.0 {
        Ok(())
    } else {
        Err(format!("{name} must be a finite number >= 0, got {x}"))
    }
}

fn positive(name: &str, x: f64) -> Result<(), String> {
    if x.is_finite() && x > 0.0 {
        Ok(())
    } else {
        Err(format!("{name} must be a finite number > 0, got {x}"))
    }
}

impl Dist {
    /// Builds the sampler; the error says which parameter is wrong and why.
    pub fn new(spec: DistSpec) -> Result<Dist, String> {
        let sampler = match &spec {
            DistSpec::Fixed { value } => {
                finite_nonneg("value", *value)?;
                Sampler::Fixed(*value)
            }
            DistSpec::Exponential { mean } => {
                positive("mean", *mean)?;
                let lambda = 1.0 / mean;
                Exp::new(lambda).map_err(|e| e.to_string())?;
                Sampler::Exp(1.0 / lambda)
            }
            DistSpec::Uniform { min, max } => {
                finite_nonneg("min", *min)?;
                finite_nonneg("max", *max)?;
                if min >= max {
                    return Err(format!("min must be < max, got min = {min}, max = {max}"));
                }
                Sampler::Uniform(Uniform::new(*min, *max).map_err(|e| e.to_string())?)
            }
            DistSpec::Triangular { min, mode, max } => {
                finite_nonneg("min", *min)?;
                finite_nonneg("max", *max)?;
                if !(min <= mode && mode <= max && min < max) {
                    return Err(format!(
                        "need min <= mode <= max and min < max, got min = {min}, mode = {mode}, max = {max}"
                    ));
                }
                Sampler::Triangular(Triangular::new(*min, *max, *mode).map_err(|e| e.to_string())?)
            }
            DistSpec::Normal { mean, sd } => {
                positive("mean", *mean)?;
                finite_nonneg("sd", *sd)?;
                Sampler::Normal(Normal::new(*mean, *sd).map_err(|e| e.to_string())?)
            }
            DistSpec::LogNormal { mean, sd } => {
                positive("mean", *mean)?;
                positive("sd", *sd)?;
                // Moment matching: the user gives the mean and sd of the stay itself.
                let sigma2 = (1.0 + (sd * sd) / (mean * mean)).ln();
                let mu = mean.ln() - sigma2 / 2.0;
                Sampler::LogNormal(LogNormal::new(mu, sigma2.sqrt()).map_err(|e| e.to_string())?)
            }
            DistSpec::Gamma { mean, sd } => {
                positive("mean", *mean)?;
                positive("sd", *sd)?;
                let shape = (mean * mean) / (sd * sd);
                let scale = (sd * sd) / mean;
                Sampler::Gamma(Gamma::new(shape, scale).map_err(|e| e.to_string())?)
            }
            DistSpec::Weibull { shape, scale } => {
                positive("shape", *shape)?;
                positive("scale", *scale)?;
                Sampler::Weibull(Weibull::new(*scale, *shape).map_err(|e| e.to_string())?)
            }
            DistSpec::Empirical { values, weights } => {
                if values.is_empty() {
                    return Err("values must not be empty".into());
                }
                for (i, v) in values.iter().enumerate() {
                    finite_nonneg(&format!("values[{i}]"), *v)?;
                }
                let index = match weights {
                    None => None,
                    Some(w) => {
                        if w.len() != values.len() {
                            return Err(format!(
                                "weights has {} entries but values has {}",
                                w.len(),
                                values.len()
                            ));
                        }
                        for (i, x) in w.iter().enumerate() {
                            finite_nonneg(&format!("weights[{i}]"), *x)?;
                        }
                        // rand's WeightedIndex accepts finite weights whose
                        // sum overflows, then panics sampling from it.
                        let total: f64 = w.iter().sum();
                        if !total.is_finite() {
                            return Err(format!(
                                "weights sum to {total} (each is finite, together they overflow); scale them down: only their ratios matter"
                            ));
                        }
                        Some(WeightedIndex::new(w.iter().copied()).map_err(|_| {
                            "weights must contain at least one value > 0".to_string()
                        })?)
                    }
                };
                Sampler::Empirical(values.clone(), index)
            }
        };
        let dist = Dist { spec, sampler };
        // Each parameter is finite, but the mean `iopsim check` and the
        // estimates use can still overflow (a sum of huge values, a tiny
        // Weibull shape): such a distribution has no usable mean.
        let mean = dist.mean();
        if !mean.is_finite() {
            return Err(format!(
                "its mean overflows ({mean}); give parameters whose mean is a finite number of days"
            ));
        }
        Ok(dist)
    }

    pub fn spec(&self) -> &DistSpec {
        &self.spec
    }

    /// The theoretical mean (used by `iopsim check` and the Little's-law estimates).
    pub fn mean(&self) -> f64 {
        match &self.spec {
            DistSpec::Fixed { value } => *value,
            DistSpec::Exponential { mean }
            | DistSpec::LogNormal { mean, .. }
            | DistSpec::Gamma { mean, .. } => *mean,
            // Truncation at 0 shifts the mean up a little; ignored for estimates.
            DistSpec::Normal { mean, .. } => *mean,
            DistSpec::Uniform { min, max } => (min + max) / 2.0,
            DistSpec::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            DistSpec::Weibull { shape, scale } => scale * gamma_fn(1.0 + 1.0 / shape),
            DistSpec::Empirical { values, weights } => match weights {
                None => values.iter().sum::<f64>() / values.len() as f64,
                Some(w) => {
                    let total: f64 = w.iter().sum();
                    values.iter().zip(w).map(|(v, w)| v * w).sum::<f64>() / total
                }
            },
        }
    }

    /// The probability that a sample is below `x` days (used to find stays
    /// that end at the instant they begin: below half a second, which the
    /// clock rounds to 0).
    pub fn prob_below(&self, x: f64) -> f64 {
        use statrs::distribution::{ContinuousCDF, Gamma, LogNormal, Normal};
        let p = match &self.spec {
            DistSpec::Fixed { value } => f64::from(u8::from(*value < x)),
            DistSpec::Exponential { mean } => 1.0 - (-x / mean).exp(),
            DistSpec::Uniform { min, max } => ((x - min) / (max - min)).clamp(0.0, 1.0),
            DistSpec::Triangular { min, mode, max } => {
                if x <= *min {
                    0.0
                } else if x >= *max {
                    1.0
                } else if x <= *mode {
                    (x - min).powi(2) / ((max - min) * (mode - min))
                } else {
                    1.0 - (max - x).powi(2) / ((max - min) * (max - mode))
                }
            }
            // Negative draws are redrawn: the distribution conditioned on >= 0.
            DistSpec::Normal { mean, sd } => match Normal::new(*mean, *sd) {
                Ok(n) if *sd > 0.0 => (n.cdf(x) - n.cdf(0.0)) / (1.0 - n.cdf(0.0)),
                _ => f64::from(u8::from(*mean < x)),
            },
            DistSpec::LogNormal { mean, sd } => {
                let sigma2 = (1.0 + (sd / mean).powi(2)).ln();
                let mu = mean.ln() - sigma2 / 2.0;
                match LogNormal::new(mu, sigma2.sqrt()) {
                    Ok(d) if sigma2 > 0.0 => d.cdf(x),
                    // sd negligible beside the mean: all at the mean.
                    _ => f64::from(u8::from(*mean < x)),
                }
            }
            DistSpec::Gamma { mean, sd } => {
                let (shape, rate) = ((mean / sd).powi(2), mean / (sd * sd));
                Gamma::new(shape, rate).map_or(0.0, |d| d.cdf(x))
            }
            DistSpec::Weibull { shape, scale } => 1.0 - (-(x / scale).powf(*shape)).exp(),
            DistSpec::Empirical { values, weights } => {
                let below = |v: &f64| *v < x;
                match weights {
                    None => values.iter().filter(|v| below(v)).count() as f64 / values.len() as f64,
                    Some(w) => {
                        let total: f64 = w.iter().sum();
                        values
                            .iter()
                            .zip(w)
                            .filter(|(v, _)| below(v))
                            .map(|(_, w)| w)
                            .sum::<f64>()
                            / total
                    }
                }
            }
        };
        if p.is_nan() {
            0.0
        } else {
            p.clamp(0.0, 1.0)
        }
    }

    /// A non-negative sample.
    #[inline(always)] // on every stay, in the run loop (see `Clinic::handle`)
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match &self.sampler {
            Sampler::Fixed(v) => *v,
            Sampler::Exp(lambda_inverse) => {
                let x: f64 = Exp1.sample(rng);
                x * lambda_inverse
            }
            Sampler::Uniform(d) => d.sample(rng),
            Sampler::Triangular(d) => d.sample(rng),
            Sampler::Normal(d) => {
                // Truncate at 0 by resampling; mean > 0 keeps acceptance >= 1/2,
                // and the cap keeps a pathological sd from looping for long.
                for _ in 0..64 {
                    let x = d.sample(rng);
                    if x >= 0.0 {
                        return x;
                    }
                }
                0.0
            }
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Gamma(d) => d.sample(rng),
            Sampler::Weibull(d) => d.sample(rng),
            Sampler::Empirical(values, None) => values[rng.random_range(0..values.len())],
            Sampler::Empirical(values, Some(index)) => values[index.sample(rng)],
        }
    }
}

/// Lanczos approximation of the gamma function (for the Weibull mean).
fn gamma_fn(x: f64) -> f64 {
    statrs::function::gamma::gamma(x)
}

#[cfg(test)]
mod tests {
    #[test]
    fn prob_below_follows_each_distribution() {
        let d = |spec| Dist::new(spec).unwrap();
        let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        close(d(DistSpec::Fixed { value: 0.0 }).prob_below(1e-6), 1.0);
        close(d(DistSpec::Fixed { value: 2.0 }).prob_below(1.0), 0.0);
        close(
            d(DistSpec::Exponential { mean: 2.0 }).prob_below(2.0),
            1.0 - (-1.0f64).exp(),
        );
        close(
            d(DistSpec::Uniform { min: 1.0, max: 3.0 }).prob_below(2.5),
            0.75,
        );
        let tri = d(DistSpec::Triangular {
            min: 0.0,
            mode: 1.0,
            max: 2.0,
        });
        close(tri.prob_below(1.0), 0.5);
        close(tri.prob_below(0.5), 0.125);
        // Truncated at 0: N(1, 1) conditioned on >= 0, nothing below 0;
        // P(0 <= X < 1) / P(X >= 0) = (0.5 - Phi(-1)) / (1 - Phi(-1)).
        let n = d(DistSpec::Normal { mean: 1.0, sd: 1.0 });
        close(n.prob_below(0.0), 0.0);
        close(
            n.prob_below(1.0),
            (0.5 - 0.158_655_253_931_457_05) / (1.0 - 0.158_655_253_931_457_05),
        );
        close(
            d(DistSpec::LogNormal {
                mean: 1.0,
                sd: 1e-9,
            })
            .prob_below(1.1),
            1.0,
        );
        // Gamma with shape 1 is exponential.
        close(
            d(DistSpec::Gamma { mean: 2.0, sd: 2.0 }).prob_below(2.0),
            1.0 - (-1.0f64).exp(),
        );
        close(
            d(DistSpec::Weibull {
                shape: 1.0,
                scale: 2.0,
            })
            .prob_below(2.0),
            1.0 - (-1.0f64).exp(),
        );
        let e = DistSpec::Empirical {
            values: vec![0.0, 5.0],
            weights: Some(vec![3.0, 1.0]),
        };
        close(d(e).prob_below(1.0), 0.75);
    }

    use super::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    fn sample_mean(d: &Dist, n: usize) -> f64 {
        let mut rng = Pcg64Mcg::seed_from_u64(7);
        (0..n).map(|_| d.sample(&mut rng)).sum::<f64>() / n as f64
    }

    #[test]
    fn moment_matched_distributions_have_the_requested_mean() {
        for spec in [
            DistSpec::LogNormal { mean: 9.0, sd: 4.0 },
            DistSpec::Gamma { mean: 9.0, sd: 4.0 },
            DistSpec::Exponential { mean: 9.0 },
            DistSpec::Triangular {
                min: 3.0,
                mode: 9.0,
                max: 15.0,
            },
            DistSpec::Weibull {
                shape: 1.5,
                scale: 10.0,
            },
            DistSpec::Empirical {
                values: vec![1.0, 10.0],
                weights: Some(vec![3.0, 1.0]),
            },
        ] {
            let d = Dist::new(spec.clone()).unwrap();
            let m = sample_mean(&d, 200_000);
            assert!(
                (m - d.mean()).abs() / d.mean() < 0.02,
                "{spec:?}: sample mean {m} vs {}",
                d.mean()
            );
        }
    }

    #[test]
    fn bad_parameters_fail_at_construction() {
        assert!(Dist::new(DistSpec::Exponential { mean: 0.0 }).is_err());
        assert!(Dist::new(DistSpec::Uniform { min: 5.0, max: 1.0 }).is_err());
        assert!(Dist::new(DistSpec::LogNormal {
            mean: 3.0,
            sd: f64::NAN
        })
        .is_err());
        assert!(Dist::new(DistSpec::Empirical {
            values: vec![],
            weights: None
        })
        .is_err());
        assert!(Dist::new(DistSpec::Empirical {
            values: vec![1.0],
            weights: Some(vec![0.0])
        })
        .is_err());
        assert!(Dist::new(DistSpec::Triangular {
            min: 1.0,
            mode: 0.0,
            max: 2.0
        })
        .is_err());
    }

    #[test]
    fn overflowing_sums_fail_at_construction_not_while_sampling() {
        let huge = Dist::new(DistSpec::Empirical {
            values: vec![1.0, 2.0],
            weights: Some(vec![1e308, 1e308]),
        });
        assert!(
            huge.as_ref()
                .is_err_and(|e| e.starts_with("weights sum to inf")),
            "{huge:?}"
        );
        let mean = Dist::new(DistSpec::Empirical {
            values: vec![1e308, 1e308],
            weights: None,
        });
        assert!(
            mean.as_ref()
                .is_err_and(|e| e.starts_with("its mean overflows")),
            "{mean:?}"
        );
        assert!(Dist::new(DistSpec::Uniform {
            min: 1e308,
            max: 1.7e308
        })
        .is_err());
        assert!(Dist::new(DistSpec::Weibull {
            shape: 1e-308,
            scale: 1.0
        })
        .is_err());
    }

    #[test]
    fn truncated_normal_is_never_negative() {
        let d = Dist::new(DistSpec::Normal { mean: 1.0, sd: 5.0 }).unwrap();
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        assert!((0..10_000).all(|_| d.sample(&mut rng) >= 0.0));
    }
}
