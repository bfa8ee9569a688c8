//! CSV exporters. Each returns bytes so it can be snapshot-tested; the
//! per-trial table is streamed row by row instead, so a long run never holds
//! it in memory.

use std::io::Write;

use crate::stats::Summary;
use crate::trials::RunResults;

/// Formats a number for CSV: integers without a decimal point, others with up
/// to six decimals, and an empty field for "no value" (NaN).
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    if x == x.trunc() && x.abs() < 1e15 {
        return format!("{}", x as i64);
    }
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

fn summary_fields(s: &Summary) -> [String; 7] {
    [
        num(s.mean),
        num(s.sd),
        num(s.ci95_low),
        num(s.ci95_high),
        num(s.p5),
        num(s.p50),
        num(s.p95),
    ]
}

/// `summary.csv`: one row per metric across trials.
pub fn summary_csv(r: &RunResults) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "metric",
        "mean",
        "sd",
        "ci95_low",
        "ci95_high",
        "p5",
        "p50",
        "p95",
    ])?;
    for (name, s) in r.summary_names.iter().zip(&r.summary) {
        let f = summary_fields(s);
        w.write_record(std::iter::once(name.as_str()).chain(f.iter().map(String::as_str)))?;
    }
    Ok(w.into_inner()?)
}

/// `weekly.csv`: one row per reported week and metric.
pub fn weekly_csv(r: &RunResults) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["week", "metric", "mean", "p5", "p25", "p50", "p75", "p95"])?;
    for week in 0..r.weeks as usize {
        for (name, series) in r.weekly_names.iter().zip(&r.weekly) {
            let s = &series[week];
            w.write_record([
                (week + 1).to_string(),
                name.clone(),
                num(s.mean),
                num(s.p5),
                num(s.p25),
                num(s.p50),
                num(s.p75),
                num(s.p95),
            ])?;
        }
    }
    Ok(w.into_inner()?)
}

/// Streams `trials.csv`: a header, then one row per trial.
pub struct TrialsWriter<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> TrialsWriter<W> {
    pub fn new(out: W, metric_names: &[String]) -> anyhow::Result<Self> {
        let mut inner = csv::Writer::from_writer(out);
        inner.write_record(
            std::iter::once("trial").chain(metric_names.iter().map(String::as_str)),
        )?;
        Ok(TrialsWriter { inner })
    }

    pub fn row(&mut self, trial: u64, values: &[f64]) -> anyhow::Result<()> {
        self.inner.write_record(
            std::iter::once(trial.to_string()).chain(values.iter().map(|&v| num(v))),
        )?;
        Ok(())
    }

    pub fn finish(mut self) -> anyhow::Result<W> {
        self.inner.flush()?;
        self.inner
            .into_inner()
            .map_err(|e| anyhow::anyhow!("writing trials.csv: {}", e.error()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_compact_and_stable() {
        assert_eq!(num(3.0), "3");
        assert_eq!(num(0.125), "0.125");
        assert_eq!(num(1.0 / 3.0), "0.333333");
        assert_eq!(num(-0.0000001), "0");
        assert_eq!(num(f64::NAN), "");
    }
}
