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
        self.inner
            .write_record(std::iter::once(trial.to_string()).chain(values.iter().map(|&v| num(v))))
            .map_err(|e| csv_error(&self.file, &e))
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
