//! CSV exporters. Each returns bytes so it can be snapshot-tested; the
//! per-trial table is streamed row by row instead, so a long run never holds
//! it in memory.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::stats::Summary;
use crate::trials::RunResults;

/// Formats a number for CSV: integers without a decimal point, others with up
/// to six decimals, and an empty field for "no value" (NaN).
pub fn num(x: f64) -> String {
    let mut s = String::new();
    num_into(x, &mut s);
    s
}

/// [`num`], appended to `out`.
pub fn num_into(x: f64, out: &mut String) {
    use std::fmt::Write as _;
    if !x.is_finite() {
        return;
    }
    if x == x.trunc() && x.abs() < 1e15 {
        let _ = write!(out, "{}", x as i64);
        return;
    }
    if micro_units(x, out) {
        return;
    }
    let start = out.len();
    let _ = write!(out, "{x:.6}");
    let kept = out[start..]
        .trim_end_matches('0')
        .trim_end_matches('.')
        .len();
    out.truncate(start + kept);
    if &out[start..] == "-0" {
        out.truncate(start);
        out.push('0');
    }
}

/// `{x:.6}` with trailing zeros trimmed, as [`num_into`] writes it, by
/// integer arithmetic where that is certain to round as the exact decimal
/// does; false (nothing written) where it is not. `{:.6}` rounds the exact
/// binary value to six decimals, half to even. For |x| x 10^6 below 2^43
/// the product's rounding error is below 0.001, so unless its fraction is
/// within 0.01 of a half, rounding the product rounds the exact value the
/// same way. A third of a run's output time went to the general formatter
/// (tested against it on millions of values).
fn micro_units(x: f64, out: &mut String) -> bool {
    use std::fmt::Write as _;
    let p = x.abs() * 1e6;
    // x is finite here (num_into checks), so p is too.
    if p >= (1u64 << 43) as f64 {
        return false;
    }
    let floor = p.floor();
    let frac = p - floor;
    if (frac - 0.5).abs() < 0.01 {
        return false;
    }
    let n = floor as u64 + u64::from(frac > 0.5);
    let (whole, mut micros) = (n / 1_000_000, n % 1_000_000);
    if n > 0 && x < 0.0 {
        out.push('-');
    }
    let _ = write!(out, "{whole}");
    if micros > 0 {
        let mut digits = 6;
        while micros % 10 == 0 {
            micros /= 10;
            digits -= 1;
        }
        let _ = write!(out, ".{micros:0digits$}");
    }
    true
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

/// Streams `trials.csv`: a header, then one row per trial. Every error
/// names the file, and a full disk says so.
pub struct TrialsWriter<W: Write> {
    inner: csv::Writer<W>,
    /// The file written, for messages.
    file: PathBuf,
}

/// "writing FILE: the error", with what to do when the disk is full.
fn write_error(file: &Path, e: &dyn std::fmt::Display, io: Option<&io::Error>) -> anyhow::Error {
    let hint = if io.is_some_and(|e| e.kind() == io::ErrorKind::StorageFull) {
        "; the disk is full: free some space, or write elsewhere with --out"
    } else {
        ""
    };
    anyhow::anyhow!("writing {}: {e}{hint}", file.display())
}

fn csv_error(file: &Path, e: &csv::Error) -> anyhow::Error {
    let io = match e.kind() {
        csv::ErrorKind::Io(io) => Some(io),
        _ => None,
    };
    write_error(file, e, io)
}

impl<W: Write> TrialsWriter<W> {
    /// Writes the header to `out`, which is the file `file`.
    pub fn new(out: W, metric_names: &[String], file: &Path) -> anyhow::Result<Self> {
        let mut inner = csv::Writer::from_writer(out);
        inner
            .write_record(std::iter::once("trial").chain(metric_names.iter().map(String::as_str)))
            .map_err(|e| csv_error(file, &e))?;
        Ok(TrialsWriter {
            inner,
            file: file.to_path_buf(),
        })
    }

    pub fn row(&mut self, trial: u64, values: &[f64]) -> anyhow::Result<()> {
        let mut field = String::with_capacity(24);
        let mut write = |w: &mut csv::Writer<W>| -> csv::Result<()> {
            w.write_field(trial.to_string())?;
            for &v in values {
                field.clear();
                num_into(v, &mut field);
                w.write_field(&field)?;
            }
            w.write_record(None::<&[u8]>)
        };
        write(&mut self.inner).map_err(|e| csv_error(&self.file, &e))
    }

    /// Flushes every row to `out` and returns it.
    pub fn finish(mut self) -> anyhow::Result<W> {
        self.inner
            .flush()
            .map_err(|e| write_error(&self.file, &e, Some(&e)))?;
        let file = self.file;
        self.inner
            .into_inner()
            .map_err(|e| write_error(&file, e.error(), Some(e.error())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The general formatter, trimmed: what `num` wrote before its fast path.
    fn by_format(x: f64) -> String {
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

    #[test]
    fn the_fast_path_writes_what_the_formatter_writes() {
        let mut next = crate::testing::xorshift(2027u64);
        let mut fast = 0;
        let mut check = |x: f64| {
            let mut s = String::new();
            if micro_units(x, &mut s) {
                fast += 1;
            }
            assert_eq!(num(x), by_format(x), "{x:e}");
        };
        for _ in 0..500_000 {
            let r = next();
            // Uniform in [0, 1), spread over magnitudes, both signs, and
            // halves and near-halves of a micro-unit (ties, and their
            // neighbours one ulp away).
            let u = (r >> 11) as f64 / (1u64 << 53) as f64;
            let scale = 10f64.powi((r % 15) as i32 - 7);
            let sign = if r & (1 << 5) == 0 { 1.0 } else { -1.0 };
            check(sign * u * scale);
            let half = ((r >> 20) % 10_000_000) as f64 + 0.5;
            let tie = half / 1e6;
            check(tie);
            check(f64::from_bits(tie.to_bits() + 1));
            check(f64::from_bits(tie.to_bits() - 1));
        }
        for x in [
            0.0078125,
            -0.0078125,
            1.0 / 3.0,
            2.0 / 3.0,
            0.9999995,
            0.99999949,
            -0.0000004,
            -0.0000006,
            8_796_093.022208,
            8_796_093.9999999,
            1e-300,
            123_456.789_012_5,
        ] {
            check(x);
        }
        assert!(fast > 250_000, "the fast path wrote {fast}");
    }

    #[test]
    fn numbers_are_compact_and_stable() {
        assert_eq!(num(3.0), "3");
        assert_eq!(num(0.125), "0.125");
        assert_eq!(num(1.0 / 3.0), "0.333333");
        assert_eq!(num(-0.0000001), "0");
        assert_eq!(num(f64::NAN), "");
    }

    /// A disk that fills up after `room` bytes.
    struct Full {
        room: usize,
    }

    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::Error::from(io::ErrorKind::StorageFull));
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_disk_names_the_file_and_the_fix() {
        let file = Path::new("/results/.x.partial-1/trials.csv");
        let names = vec!["a".to_string(), "b".to_string()];
        // Full before the first flush, at the end; or while streaming rows.
        for room in [0, 100] {
            let mut w = TrialsWriter::new(Full { room }, &names, file).unwrap();
            let mut err = None;
            for t in 0..10_000 {
                if let Err(e) = w.row(t, &[1.5, 2.0]) {
                    err = Some(e);
                    break;
                }
            }
            let err = match err {
                Some(e) => e,
                None => w.finish().err().expect("the disk is full"),
            };
            let msg = format!("{err:#}");
            assert!(msg.contains("/results/.x.partial-1/trials.csv"), "{msg}");
            assert!(msg.contains("disk is full"), "{msg}");
        }
    }
}
