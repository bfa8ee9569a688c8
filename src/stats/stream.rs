//! Summaries of a stream of values in memory that does not grow with the
//! number of values, for runs with more trials than can be kept.
//!
//! A [`Column`] keeps every value while there are at most `exact_limit` of
//! them and then gives exactly what [`Summary::of`] gives on them. Past the
//! limit it moves them into a [`Sketch`] and frees them: the mean stays a
//! compensated (Neumaier) sum and the sd a Welford recurrence, both in
//! arrival order, and quantiles come from the sketch, within
//! [`RELATIVE_ACCURACY`] of the exact ones (see [`Sketch`]). Everything is
//! fed in trial order by one thread, so results never depend on threads.

use super::{quantile, sort_total, t95, Summary};

/// Quantiles from a [`Sketch`] are within this relative distance of the exact
/// order statistics they stand for.
pub const RELATIVE_ACCURACY: f64 = 0.005;

/// Most bins a sketch keeps for each sign. 2048 bins of 1% cover values
/// spanning a factor of about 8e8; smaller magnitudes are merged into the
/// lowest bin (they keep their count and their exact min and max).
pub const MAX_BINS: usize = 2048;

/// Distinct whole numbers a sketch counts exactly before it bins them too.
pub const MAX_INTEGERS: usize = 4096;

/// Magnitudes below this count as zero (kept in their own bin with their
/// exact min and max).
const ZERO: f64 = 1e-300;

/// Whole numbers up to this magnitude are exact in f64 and in i64.
const MAX_EXACT_INTEGER: f64 = 9.0e15;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Bin {
    count: u64,
    min: f64,
    max: f64,
}

impl Bin {
    const EMPTY: Bin = Bin {
        count: 0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
    };

    fn add(&mut self, x: f64, n: u64) {
        self.count += n;
        self.min = self.min.min(x);
        self.max = self.max.max(x);
    }

    fn merge(&mut self, o: &Bin) {
        self.count += o.count;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }
}

/// Bins of one sign: `bins[i]` holds magnitudes with index `offset + i`.
#[derive(Debug, Clone, Default)]
struct Store {
    offset: i64,
    bins: Vec<Bin>,
}

impl Store {
    fn add(&mut self, index: i64, x: f64, n: u64) {
        if self.bins.is_empty() {
            self.offset = index;
            self.bins.push(Bin::EMPTY);
        }
        let max = MAX_BINS as i64;
        let hi = self.offset + self.bins.len() as i64 - 1;
        let mut index = index;
        if index < self.offset {
            // Below the lowest bin: grow down, but never past MAX_BINS.
            index = index.max(hi - max + 1);
            let grow = (self.offset - index) as usize;
            if grow > 0 {
                self.bins
                    .splice(0..0, std::iter::repeat_n(Bin::EMPTY, grow));
                self.offset = index;
            }
        } else if index > hi {
            let new_offset = (index - max + 1).max(self.offset);
            if new_offset > self.offset {
                // Collapse the smallest magnitudes into the new lowest bin.
                let drop = ((new_offset - self.offset) as usize).min(self.bins.len());
                let mut merged = Bin::EMPTY;
                for b in self.bins.drain(..drop) {
                    merged.merge(&b);
                }
                self.offset = new_offset;
                if self.bins.is_empty() {
                    self.bins.push(Bin::EMPTY);
                }
                self.bins[0].merge(&merged);
            }
            let len = (index - self.offset + 1) as usize;
            self.bins.resize(len, Bin::EMPTY);
        }
        self.bins[(index - self.offset) as usize].add(x, n);
    }
}

/// A log-bucketed quantile sketch (DDSketch: Masson, Rim and Lee, VLDB 2019)
/// with the exact min and max kept in each bin, and whole numbers counted
/// exactly while there are few distinct ones.
///
/// A positive value `x` falls in bin `ceil(ln x / ln g)`, `g = (1 + a) / (1 - a)`
/// with `a` = [`RELATIVE_ACCURACY`]; negative values mirror that. A rank
/// query returns the bin's midpoint `2 g^i / (g + 1)` clamped to the bin's
/// observed [min, max], so it is within `a` (relative) of the true order
/// statistic, and exact whenever the bin holds a single distinct value.
/// Whole numbers (counts, zeros, shares of 0 or 1) are kept in an exact
/// table until it has more than [`MAX_INTEGERS`] distinct values, so
/// quantiles of counts are exact. Memory is at most [`MAX_BINS`] bins per
/// sign plus the table, whatever the number of values.
#[derive(Debug, Clone)]
pub struct Sketch {
    ln_gamma: f64,
    gamma: f64,
    neg: Store,
    zero: Bin,
    pos: Store,
    /// (value, count), ascending; `None` once it outgrew MAX_INTEGERS.
    integers: Option<Vec<(i64, u64)>>,
    count: u64,
}

impl Default for Sketch {
    fn default() -> Self {
        let gamma = (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY);
        Sketch {
            ln_gamma: gamma.ln(),
            gamma,
            neg: Store::default(),
            zero: Bin::EMPTY,
            pos: Store::default(),
            integers: Some(Vec::new()),
            count: 0,
        }
    }
}

/// One step of a rank walk, in ascending order of value.
enum Step<'a> {
    /// (bin index, bin, sign)
    Bin(i64, &'a Bin, f64),
    Zero(&'a Bin),
}

impl Sketch {
    /// Adds a finite value (non-finite ones are ignored).
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        self.count += 1;
        if let Some(table) = &mut self.integers {
            if x.fract() == 0.0 && x.abs() < MAX_EXACT_INTEGER {
                let k = x as i64;
                match table.binary_search_by_key(&k, |e| e.0) {
                    Ok(i) => table[i].1 += 1,
                    Err(i) => table.insert(i, (k, 1)),
                }
                if table.len() > MAX_INTEGERS {
                    for (k, n) in self.integers.take().unwrap_or_default() {
                        self.add_binned(k as f64, n);
                    }
                }
                return;
            }
        }
        self.add_binned(x, 1);
    }

    fn add_binned(&mut self, x: f64, n: u64) {
        let m = x.abs();
        if m < ZERO {
            self.zero.add(x, n);
            return;
        }
        let index = (m.ln() / self.ln_gamma).ceil() as i64;
        if x > 0.0 {
            self.pos.add(index, x, n);
        } else {
            self.neg.add(index, x, n);
        }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    fn value(&self, step: &Step) -> f64 {
        match *step {
            Step::Zero(b) => 0.0f64.clamp(b.min, b.max),
            Step::Bin(index, b, sign) => {
                let mid = sign * 2.0 * self.gamma.powf(index as f64) / (self.gamma + 1.0);
                mid.clamp(b.min, b.max)
            }
        }
    }

    /// The `rank`-th smallest value (0-based), approximately.
    pub fn at_rank(&self, rank: u64) -> f64 {
        if self.count == 0 {
            return f64::NAN;
        }
        let rank = rank.min(self.count - 1);
        // Bins in ascending order of value, each with the smallest value it holds.
        let neg = self.neg.bins.iter().enumerate().rev().map(|(i, b)| {
            (
                b.min,
                b.count,
                Step::Bin(self.neg.offset + i as i64, b, -1.0),
            )
        });
        let zero = std::iter::once((self.zero.min, self.zero.count, Step::Zero(&self.zero)));
        let pos = self.pos.bins.iter().enumerate().map(|(i, b)| {
            (
                b.min,
                b.count,
                Step::Bin(self.pos.offset + i as i64, b, 1.0),
            )
        });
        let bins = neg.chain(zero).chain(pos).filter(|(_, n, _)| *n > 0);
        let mut ints = self.integers.as_deref().unwrap_or(&[]).iter().peekable();
        let mut seen = 0u64;
        for (low, n, step) in bins {
            // Whole numbers below this bin come first.
            while let Some(&&(k, m)) = ints.peek() {
                if (k as f64) >= low {
                    break;
                }
                seen += m;
                if seen > rank {
                    return k as f64;
                }
                ints.next();
            }
            seen += n;
            if seen > rank {
                return self.value(&step);
            }
        }
        for &(k, m) in ints {
            seen += m;
            if seen > rank {
                return k as f64;
            }
        }
        f64::NAN // unreachable: the counts add up to `count`
    }

    /// Quantile by linear interpolation between order statistics (the same
    /// rule as [`quantile`], Hyndman & Fan type 7). NaN when empty.
    pub fn quantile(&self, q: f64) -> f64 {
        match self.count {
            0 => f64::NAN,
            1 => self.at_rank(0),
            n => {
                let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
                let lo = h.floor() as u64;
                let hi = (lo + 1).min(n - 1);
                let (a, b) = (self.at_rank(lo), self.at_rank(hi));
                a + (h - lo as f64) * (b - a)
            }
        }
    }

    /// Heap memory held, in bytes.
    pub fn heap_bytes(&self) -> usize {
        (self.neg.bins.capacity() + self.pos.bins.capacity()) * std::mem::size_of::<Bin>()
            + self.integers.as_ref().map_or(0, |t| t.capacity() * 16)
    }
}

/// How a [`Column`] keeps its exact values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    F64,
    /// Values are rounded to f32 on the way in (half the memory; plenty for
    /// weekly levels and waits in days).
    F32,
}

#[derive(Debug, Clone)]
enum Exact {
    F64(Vec<f64>),
    F32(Vec<f32>),
}

impl Exact {
    fn len(&self) -> usize {
        match self {
            Exact::F64(v) => v.len(),
            Exact::F32(v) => v.len(),
        }
    }

    fn to_f64(&self) -> Vec<f64> {
        match self {
            Exact::F64(v) => v.clone(),
            Exact::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
        }
    }

    /// The values sorted by `total_cmp`, as f64 (f32 values are sorted as
    /// f32, half the work, and widened after: widening keeps the order).
    fn sorted(&self) -> Vec<f64> {
        match self {
            Exact::F64(v) => sort_total(v.clone()),
            Exact::F32(v) => sort_total(v.clone()).into_iter().map(f64::from).collect(),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Exact::F64(v) => v.capacity() * 8,
            Exact::F32(v) => v.capacity() * 4,
        }
    }
}

/// The across-trial distribution of one metric, fed one value per trial in
/// trial order: exact up to `exact_limit` finite values, a [`Sketch`] beyond.
/// Adds `x`, the `n`-th value, to the running (Neumaier sum, its
/// compensation, Welford mean, Welford sum of squared deviations).
#[inline]
fn accumulate((sum, comp, mean, m2): (f64, f64, f64, f64), n: u64, x: f64) -> (f64, f64, f64, f64) {
    let t = sum + x;
    let comp = comp
        + if sum.abs() >= x.abs() {
            (sum - t) + x
        } else {
            (x - t) + sum
        };
    let d = x - mean;
    let mean = mean + d / n as f64;
    let m2 = m2 + d * (x - mean);
    (t, comp, mean, m2)
}

#[derive(Debug, Clone)]
pub struct Column {
    precision: Precision,
    exact_limit: usize,
    exact: Option<Exact>,
    sketch: Option<Box<Sketch>>,
    n: u64,
    /// Neumaier compensated sum and its running compensation.
    sum: f64,
    comp: f64,
    /// Welford's running mean and sum of squared deviations.
    w_mean: f64,
    w_m2: f64,
}

impl Column {
    /// `expected` values will probably arrive: room for
    /// `min(expected, exact_limit)` is reserved at once so that the exact
    /// phase never over-allocates.
    pub fn new(precision: Precision, exact_limit: usize, expected: usize) -> Column {
        let cap = expected.min(exact_limit);
        Column {
            precision,
            exact_limit,
            exact: Some(match precision {
                Precision::F64 => Exact::F64(Vec::with_capacity(cap)),
                Precision::F32 => Exact::F32(Vec::with_capacity(cap)),
            }),
            sketch: None,
            n: 0,
            sum: 0.0,
            comp: 0.0,
            w_mean: 0.0,
            w_m2: 0.0,
        }
    }

    /// Adds one value; non-finite values are left out, as in [`Summary::of`].
    pub fn push(&mut self, x: f64) {
        let x = match self.precision {
            Precision::F64 => x,
            Precision::F32 => f64::from(x as f32),
        };
        if !x.is_finite() {
            return;
        }
        self.n += 1;
        match &mut self.exact {
            // While every value is kept, the summary is computed from them:
            // the running sums wait for the switch to a sketch (they cost a
            // division and a dozen operations a value, on every column of
            // every trial).
            Some(e) if e.len() < self.exact_limit => match e {
                Exact::F64(v) => v.push(x),
                Exact::F32(v) => v.push(x as f32),
            },
            Some(e) => {
                let kept = e.to_f64();
                let mut s = Sketch::default();
                // The running sums over the values kept, in order, exactly
                // as if they had been kept all along.
                let (mut n, mut sums) = (0, (0.0, 0.0, 0.0, 0.0));
                for v in kept {
                    s.add(v);
                    n += 1;
                    sums = accumulate(sums, n, v);
                }
                s.add(x);
                (self.sum, self.comp, self.w_mean, self.w_m2) = accumulate(sums, n + 1, x);
                self.sketch = Some(Box::new(s));
                self.exact = None;
            }
            None => {
                (self.sum, self.comp, self.w_mean, self.w_m2) =
                    accumulate((self.sum, self.comp, self.w_mean, self.w_m2), self.n, x);
                if let Some(s) = &mut self.sketch {
                    s.add(x);
                }
            }
        }
    }

    /// Finite values seen.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// True while every value is still kept.
    pub fn is_exact(&self) -> bool {
        self.exact.is_some()
    }

    /// Quantile (type 7): exact while exact, else from the sketch.
    pub fn quantile(&self, q: f64) -> f64 {
        self.quantiles(&[q])[0]
    }

    /// Several quantiles, as [`Column::quantile`] gives them, sorting once.
    pub fn quantiles(&self, qs: &[f64]) -> Vec<f64> {
        match (&self.exact, &self.sketch) {
            (Some(e), _) => {
                let v = e.sorted();
                qs.iter().map(|&q| quantile(&v, q)).collect()
            }
            (None, Some(s)) => qs.iter().map(|&q| s.quantile(q)).collect(),
            (None, None) => vec![f64::NAN; qs.len()],
        }
    }

    pub fn summary(&self) -> Summary {
        if let Some(e) = &self.exact {
            return Summary::of_sorted(&e.sorted());
        }
        let n = self.n as usize;
        let mean = if n > 0 {
            (self.sum + self.comp) / n as f64
        } else {
            f64::NAN
        };
        let sd = match n {
            0 => f64::NAN,
            1 => 0.0,
            _ => (self.w_m2.max(0.0) / (n - 1) as f64).sqrt(),
        };
        let half = if n > 1 {
            t95(n - 1) * sd / (n as f64).sqrt()
        } else {
            f64::NAN
        };
        let s = self.sketch.as_deref();
        let q = |p: f64| s.map_or(f64::NAN, |s| s.quantile(p));
        Summary {
            n,
            mean,
            sd,
            ci95_low: mean - half,
            ci95_high: mean + half,
            p5: q(0.05),
            p25: q(0.25),
            p50: q(0.5),
            p75: q(0.75),
            p95: q(0.95),
        }
    }

    /// Heap memory held, in bytes.
    pub fn heap_bytes(&self) -> usize {
        self.exact.as_ref().map_or(0, Exact::heap_bytes)
            + self
                .sketch
                .as_deref()
                .map_or(0, |s| s.heap_bytes() + std::mem::size_of::<Sketch>())
    }
}

#[cfg(test)]
mod tests {
    /// The running sums start at the switch to a sketch, over the values
    /// kept: the same bits as sums kept from the first value.
    #[test]
    fn running_sums_started_at_the_switch_are_those_kept_all_along() {
        let mut next = crate::testing::xorshift(77u64);
        for (precision, limit) in [(super::Precision::F64, 100), (super::Precision::F32, 37)] {
            let mut col = super::Column::new(precision, limit, 0);
            let mut all = (0.0, 0.0, 0.0, 0.0);
            for n in 1..=1_000u64 {
                let x = (next() % 1_000_000) as f64 / 7.0 - 50_000.0;
                col.push(x);
                let x = match precision {
                    super::Precision::F64 => x,
                    super::Precision::F32 => f64::from(x as f32),
                };
                all = super::accumulate(all, n, x);
            }
            assert!(!col.is_exact());
            assert_eq!(
                (col.sum, col.comp, col.w_mean, col.w_m2),
                all,
                "{precision:?}"
            );
        }
    }
    use super::*;
    use rand::{Rng, SeedableRng};

    fn exact(v: &[f64], q: f64) -> f64 {
        let mut s: Vec<f64> = v.to_vec();
        s.sort_by(f64::total_cmp);
        quantile(&s, q)
    }

    const QS: [f64; 7] = [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0];

    #[test]
    fn counts_and_zeros_are_exact() {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(1);
        let v: Vec<f64> = (0..20_000)
            .map(|_| rng.random_range(0..4000) as f64 - 30.0)
            .collect();
        let mut s = Sketch::default();
        v.iter().for_each(|&x| s.add(x));
        for q in QS {
            assert_eq!(s.quantile(q), exact(&v, q), "q = {q}");
        }
    }

    #[test]
    fn continuous_values_are_within_the_relative_accuracy() {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(2);
        for scale in [1e-6, 0.3, 1.0, 250.0, 1e9] {
            let v: Vec<f64> = (0..50_000)
                .map(|_| scale * (-rng.random::<f64>().ln()))
                .collect();
            let mut s = Sketch::default();
            v.iter().for_each(|&x| s.add(x));
            for q in QS {
                let (a, e) = (s.quantile(q), exact(&v, q));
                assert!(
                    (a - e).abs() <= RELATIVE_ACCURACY * e.abs() + 1e-300,
                    "scale {scale} q {q}: {a} vs {e}"
                );
            }
        }
    }

    #[test]
    fn counts_mixed_with_fractions_keep_their_order() {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(6);
        let v: Vec<f64> = (0..20_000)
            .map(|i| {
                let x = rng.random::<f64>() * 200.0;
                if i % 2 == 0 {
                    x.round()
                } else {
                    x
                }
            })
            .collect();
        let mut s = Sketch::default();
        v.iter().for_each(|&x| s.add(x));
        for q in QS {
            let (a, e) = (s.quantile(q), exact(&v, q));
            assert!(
                (a - e).abs() <= RELATIVE_ACCURACY * e.abs(),
                "{q}: {a} vs {e}"
            );
        }
    }

    #[test]
    fn too_many_distinct_integers_are_binned() {
        let mut s = Sketch::default();
        let v: Vec<f64> = (0..50_000).map(|i| f64::from(i * 7)).collect();
        v.iter().for_each(|&x| s.add(x));
        assert!(s.integers.is_none());
        assert!(s.heap_bytes() <= 2 * MAX_BINS * std::mem::size_of::<Bin>());
        for q in QS {
            let (a, e) = (s.quantile(q), exact(&v, q));
            assert!(
                (a - e).abs() <= RELATIVE_ACCURACY * e.abs(),
                "{q}: {a} vs {e}"
            );
        }
    }

    #[test]
    fn negative_and_mixed_values_keep_their_order() {
        let v: Vec<f64> = (-500..=500).map(|i| f64::from(i) * 0.37).collect();
        let mut s = Sketch::default();
        v.iter().for_each(|&x| s.add(x));
        assert_eq!(s.quantile(0.0), -185.0);
        assert_eq!(s.quantile(1.0), 185.0);
        assert_eq!(s.quantile(0.5), 0.0);
        for q in [0.05, 0.25, 0.75, 0.95] {
            let e = exact(&v, q);
            assert!(
                (s.quantile(q) - e).abs() <= RELATIVE_ACCURACY * e.abs(),
                "{q}"
            );
        }
    }

    #[test]
    fn bins_stay_bounded_over_a_huge_range() {
        let mut s = Sketch::default();
        for i in 0..200_000 {
            s.add(10f64.powf(f64::from(i % 600) - 300.0));
        }
        assert!(s.pos.bins.len() <= MAX_BINS);
        assert_eq!(s.count(), 200_000);
        assert_eq!(s.quantile(1.0), 1e299);
        // The smallest magnitudes were merged into the lowest kept bin, about
        // 8e8 times below the largest value: answers there stay in its range.
        let low = s.quantile(0.0);
        assert!(low > 0.0 && low <= 1e299 / 1e8, "{low}");
        let before = s.heap_bytes();
        for i in 0..200_000 {
            s.add(10f64.powf(f64::from(i % 600) - 300.0));
        }
        assert_eq!(s.heap_bytes(), before);
    }

    #[test]
    fn a_column_is_exactly_summary_of_until_its_limit() {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(3);
        let v: Vec<f64> = (0..1000)
            .map(|i| {
                if i % 97 == 0 {
                    f64::NAN
                } else {
                    rng.random::<f64>() * 30.0
                }
            })
            .collect();
        let mut c = Column::new(Precision::F64, 1000, 1000);
        v.iter().for_each(|&x| c.push(x));
        assert!(c.is_exact());
        assert_eq!(c.summary(), Summary::of(&v));
    }

    #[test]
    fn past_its_limit_a_column_sketches_with_exact_moments() {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(4);
        let v: Vec<f64> = (0..30_000)
            .map(|_| 5.0 + rng.random::<f64>() * 30.0)
            .collect();
        let mut c = Column::new(Precision::F64, 1000, v.len());
        v.iter().for_each(|&x| c.push(x));
        assert!(!c.is_exact());
        let (a, e) = (c.summary(), Summary::of(&v));
        assert_eq!(a.n, e.n);
        assert!((a.mean - e.mean).abs() <= 1e-12 * e.mean);
        assert!((a.sd - e.sd).abs() <= 1e-9 * e.sd);
        assert!((a.ci95_high - e.ci95_high).abs() <= 1e-9 * e.ci95_high);
        for (x, y) in [
            (a.p5, e.p5),
            (a.p25, e.p25),
            (a.p50, e.p50),
            (a.p75, e.p75),
            (a.p95, e.p95),
        ] {
            assert!((x - y).abs() <= RELATIVE_ACCURACY * y, "{x} vs {y}");
        }
    }

    #[test]
    fn memory_stops_growing_past_the_limit() {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(5);
        let mut c = Column::new(Precision::F32, 1000, 1_000_000);
        let mut sizes = Vec::new();
        for n in 1..=100_000u32 {
            c.push(rng.random::<f64>() * 100.0);
            if n % 20_000 == 0 {
                sizes.push(c.heap_bytes());
            }
        }
        assert!(sizes.windows(2).all(|w| w[1] <= w[0]), "{sizes:?}");
        assert!(sizes[0] <= MAX_BINS * std::mem::size_of::<Bin>());
    }

    #[test]
    fn f32_precision_rounds_before_every_statistic() {
        let mut c = Column::new(Precision::F32, 10, 10);
        c.push(0.1);
        assert_eq!(c.summary().mean, f64::from(0.1f32));
    }
}
