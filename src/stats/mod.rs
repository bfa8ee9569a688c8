//! Pure statistics over trial results: means, confidence intervals,
//! quantiles, paired differences. No I/O, no knowledge of the model.
//!
//! Non-finite values (a trial with no admissions has no mean wait) are left
//! out of every statistic; `n` says how many values were used.

pub mod stream;

use statrs::distribution::{ContinuousCDF, StudentsT};

/// `v` sorted in the order of `total_cmp` ([`f64::total_cmp`],
/// [`f32::total_cmp`]), as that order's integer keys: a float's bits with
/// all but the sign flipped when it is negative (what `total_cmp` compares).
/// Integers sort several times faster than floats compared through a
/// function, and values with equal keys have equal bits, so the unstable
/// sort gives exactly what a stable `sort_by(total_cmp)` gives. The keys
/// take the vector's own memory (same size), so nothing else is allocated;
/// f32 sorts half as many bytes, and widening to f64 afterwards keeps the
/// order.
pub fn sort_total<F: TotalOrderKey>(v: Vec<F>) -> Vec<F> {
    let mut keys: Vec<F::Key> = v.into_iter().map(F::key).collect();
    keys.sort_unstable();
    keys.into_iter().map(F::from_key).collect()
}

/// A float and the signed integer of the same width that orders as
/// `total_cmp` does, for [`sort_total`].
pub trait TotalOrderKey: Sized {
    type Key: Ord;
    fn key(self) -> Self::Key;
    fn from_key(key: Self::Key) -> Self;
}

macro_rules! total_order_key {
    ($float:ty, $int:ty, $uint:ty) => {
        impl TotalOrderKey for $float {
            type Key = $int;
            #[inline]
            fn key(self) -> $int {
                let bits = self.to_bits() as $int;
                // Negative: flip all bits but the sign. The map is its own inverse.
                bits ^ (((bits >> (<$int>::BITS - 1)) as $uint) >> 1) as $int
            }
            #[inline]
            fn from_key(key: $int) -> $float {
                <$float>::from_bits(
                    (key ^ (((key >> (<$int>::BITS - 1)) as $uint) >> 1) as $int) as $uint,
                )
            }
        }
    };
}

total_order_key!(f64, i64, u64);
total_order_key!(f32, i32, u32);

/// Quantile of sorted, finite data by linear interpolation between order
/// statistics (Hyndman & Fan type 7, the default of R and NumPy). NaN for no data.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    quantile_of(sorted.len(), q, |i| sorted[i])
}

/// [`quantile`] of the `n` ascending values `at(0)`, ..., `at(n - 1)`, for
/// values that are not in a slice of their own (they are computed from
/// another sorted list, say): reads only the two it needs.
#[inline]
pub fn quantile_of(n: usize, q: f64, at: impl Fn(usize) -> f64) -> f64 {
    match n {
        0 => f64::NAN,
        1 => at(0),
        n => {
            let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            at(lo) + (h - lo as f64) * (at(hi) - at(lo))
        }
    }
}

/// Two-sided 95% critical value of Student's t with `df` degrees of freedom.
pub fn t95(df: usize) -> f64 {
    if df == 0 {
        return f64::NAN;
    }
    // The inverse CDF is a root search over the incomplete beta function,
    // thousands of instructions, and a run asks for the same `df` once per
    // metric (nearly every column has one value per trial): the last
    // answer of each thread is kept.
    thread_local! {
        static LAST: std::cell::Cell<(usize, f64)> = const { std::cell::Cell::new((0, f64::NAN)) };
    }
    LAST.with(|last| {
        let (d, t) = last.get();
        if d == df {
            return t;
        }
        let t = StudentsT::new(0.0, 1.0, df as f64)
            .map(|t| t.inverse_cdf(0.975))
            .unwrap_or(1.959_964);
        last.set((df, t));
        t
    })
}

/// Across-trial distribution of one metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    /// 95% confidence interval of the mean (Student's t).
    pub ci95_low: f64,
    pub ci95_high: f64,
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
}

impl Summary {
    /// Every figure times `k` (100 to show shares as percentages).
    pub fn scaled(&self, k: f64) -> Summary {
        Summary {
            mean: self.mean * k,
            sd: self.sd * k,
            ci95_low: self.ci95_low * k,
            ci95_high: self.ci95_high * k,
            p5: self.p5 * k,
            p25: self.p25 * k,
            p50: self.p50 * k,
            p75: self.p75 * k,
            p95: self.p95 * k,
            n: self.n,
        }
    }

    pub fn of(values: &[f64]) -> Summary {
        let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        Summary::of_sorted(&sort_total(v))
    }

    /// [`Summary::of`] for values already finite and sorted by
    /// [`f64::total_cmp`] (the mean is summed in that order either way).
    pub fn of_sorted(v: &[f64]) -> Summary {
        debug_assert!(v.iter().all(|x| x.is_finite()));
        debug_assert!(v.is_sorted_by(|a, b| a.total_cmp(b).is_le()));
        let n = v.len();
        let mean = if n > 0 {
            v.iter().sum::<f64>() / n as f64
        } else {
            f64::NAN
        };
        let sd = if n > 1 {
            (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else if n == 1 {
            0.0
        } else {
            f64::NAN
        };
        let half = if n > 1 {
            t95(n - 1) * sd / (n as f64).sqrt()
        } else {
            f64::NAN
        };
        Summary {
            n,
            mean,
            sd,
            ci95_low: mean - half,
            ci95_high: mean + half,
            p5: quantile(v, 0.05),
            p25: quantile(v, 0.25),
            p50: quantile(v, 0.5),
            p75: quantile(v, 0.75),
            p95: quantile(v, 0.95),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_total_is_a_stable_total_cmp_sort() {
        let mut v = vec![
            3.5,
            -0.0,
            0.0,
            -2.25,
            f64::INFINITY,
            1e-310,
            -1e-310,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            3.5,
            -7.0,
            f64::MAX,
            f64::MIN,
        ];
        // A few thousand more, with repeats, from a fixed xorshift.
        let mut next = crate::testing::xorshift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..5000 {
            let s = next();
            v.push(f64::from_bits(s));
            v.push((s % 97) as f64 - 48.0);
        }
        let narrow: Vec<f32> = v.iter().map(|&x| x as f32).collect();
        let mut want = v.clone();
        want.sort_by(f64::total_cmp);
        let v = sort_total(v);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&v), bits(&want));

        let mut want: Vec<f32> = narrow.clone();
        want.sort_by(f32::total_cmp);
        let narrow = sort_total(narrow);
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&narrow), bits(&want));
    }

    #[test]
    fn quantiles_match_r_type_7() {
        let x = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(quantile(&x, 0.0), 1.0);
        assert_eq!(quantile(&x, 0.5), 3.0);
        assert_eq!(quantile(&x, 1.0), 10.0);
        // R: quantile(c(1,2,3,4,10), 0.9) = 7.6
        assert!((quantile(&x, 0.9) - 7.6).abs() < 1e-12);
        assert!(quantile(&[], 0.5).is_nan());
    }

    #[test]
    fn summary_mean_sd_and_t_interval() {
        let s = Summary::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(s.n, 8);
        assert!((s.mean - 5.0).abs() < 1e-12);
        // sample sd = sqrt(32/7)
        assert!((s.sd - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        // t(0.975, 7) = 2.364624
        let half = 2.364_624_251_6 * s.sd / 8f64.sqrt();
        assert!((s.ci95_high - s.mean - half).abs() < 1e-6);
    }

    #[test]
    fn non_finite_values_are_left_out() {
        let s = Summary::of(&[1.0, f64::NAN, 3.0]);
        assert_eq!(s.n, 2);
        assert_eq!(s.mean, 2.0);
        assert!(Summary::of(&[f64::NAN]).mean.is_nan());
    }
}
