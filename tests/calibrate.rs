//! The records reader of calibration (`src/calibrate/records.rs`) against
//! the simulator's own patient log: a logged run of the default scenario
//! is read back, every row, every time and count as written; the same log
//! as a clinic might export it (byte-order mark, semicolons) reads the same.

use std::collections::HashMap;

use iopsim::calibrate::records::{self, Episode};
use iopsim::report::log::TIME_FORMAT;
use iopsim::scenario::{load_file, load_str, DEFAULT_TOML};

/// The default scenario's patients.csv for its first `trials` trials.
fn default_log(trials: u64) -> String {
    let scenario = load_str(DEFAULT_TOML, "<built-in default>", &[]).unwrap();
    log_of(&scenario, trials)
}

/// A scenario's patients.csv for its first `trials` trials.
fn log_of(scenario: &iopsim::scenario::Scenario, trials: u64) -> String {
    let (bytes, _) = iopsim::report::log::in_memory(scenario, trials, false).unwrap();
    String::from_utf8(bytes).unwrap()
}

fn time(t: Option<chrono::NaiveDateTime>) -> String {
    t.map(|t| t.format(TIME_FORMAT).to_string())
        .unwrap_or_default()
}

fn opt<T: ToString>(x: Option<T>) -> String {
    x.map(|x| x.to_string()).unwrap_or_default()
}

/// The episode written back as the log's row (days_waited compared apart).
fn row(e: &Episode) -> Vec<String> {
    vec![
        opt(e.trial),
        e.patient.clone(),
        e.stream.clone(),
        e.unit.clone(),
        e.track.clone(),
        opt(e.priority),
        time(e.referred),
        time(e.admitted),
        time(e.left),
        time(e.place_freed),
        e.reason.clone(),
        e.destination.clone(),
        opt(e.sessions_scheduled),
        opt(e.sessions_attended),
    ]
}

#[test]
fn the_simulated_log_reads_back_row_for_row() {
    let text = default_log(3);
    let mut raw = csv::Reader::from_reader(text.as_bytes());
    let written: Vec<csv::StringRecord> = raw.records().map(Result::unwrap).collect();
    assert!(written.len() > 500, "{} rows", written.len());

    let read = records::read_str("patients.csv", &text).unwrap();
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    assert_eq!(read.episodes.len(), written.len());
    for (i, (e, w)) in read.episodes.iter().zip(&written).enumerate() {
        assert_eq!(e.line, i as u64 + 2);
        let w: Vec<&str> = w.iter().collect();
        assert_eq!(row(e), w[..14], "line {}", e.line);
        let waited: Option<f64> = (!w[14].is_empty()).then(|| w[14].parse().unwrap());
        assert_eq!(e.days_waited, waited, "line {}", e.line);
    }

    // Counts by trial and reason, and open episodes, as written.
    let mut by_reason: HashMap<(String, String), usize> = HashMap::new();
    for w in &written {
        *by_reason
            .entry((w[0].to_string(), w[10].to_string()))
            .or_default() += 1;
    }
    let mut read_by_reason: HashMap<(String, String), usize> = HashMap::new();
    for e in &read.episodes {
        *read_by_reason
            .entry((opt(e.trial), e.reason.clone()))
            .or_default() += 1;
    }
    assert_eq!(read_by_reason, by_reason);
    let open_written = written.iter().filter(|w| w[8].is_empty()).count();
    let open_read = read.episodes.iter().filter(|e| e.is_open()).count();
    assert_eq!(open_read, open_written);
    assert!(open_read > 0, "the horizon leaves episodes open");
    assert!(read
        .episodes
        .iter()
        .filter(|e| e.is_open())
        .all(|e| e.reason == "in_care" || e.reason == "waiting"));
}

#[test]
fn the_log_as_a_clinic_exports_it_reads_the_same() {
    let text = default_log(1);
    let comma = records::read_str("patients.csv", &text).unwrap();
    // A spreadsheet's export: BOM, semicolons, CRLF line ends.
    let mut out = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(vec![0xef, 0xbb, 0xbf]);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    out.write_record(reader.headers().unwrap()).unwrap();
    for r in reader.records() {
        out.write_record(&r.unwrap()).unwrap();
    }
    let semicolon = String::from_utf8(out.into_inner().unwrap()).unwrap();
    let read = records::read_str("export.csv", &semicolon).unwrap();
    assert_eq!(read.delimiter, b';');
    assert!(
        semicolon.starts_with("\u{feff}trial;patient;"),
        "{}",
        &semicolon[..40]
    );
    assert_eq!(read.episodes.len(), comma.episodes.len());
    for (a, b) in read.episodes.iter().zip(&comma.episodes) {
        assert_eq!(a, b);
    }
}

/// Every shipped scenario's log (wards, transfers, `[initial]` patients in
/// care with no referral time, classes, relapses) reads back whole, with
/// no row taken for a duplicate or an impossible order.
#[test]
fn every_shipped_scenarios_log_reads_back_whole() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5);
    for file in files {
        let scenario = load_file(&file, &[]).unwrap();
        let text = log_of(&scenario, 1);
        let rows = csv::Reader::from_reader(text.as_bytes()).records().count();
        let read = records::read_str("patients.csv", &text)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            read.warnings.is_empty(),
            "{}: {:?}",
            file.display(),
            read.warnings
        );
        assert_eq!(read.episodes.len(), rows, "{}", file.display());
        if !scenario.classes.is_empty() {
            assert!(read.episodes.iter().any(|e| !e.class.is_empty()));
        }
    }
}

/// Parameter recovery, the streams: a logged run of the default scenario,
/// read back and fitted, gives each stream's rate and show rate with
/// intervals that hold the values simulated (the expected referrals of the
/// reported weeks, holidays and month factors included, and `show`).
#[test]
fn the_streams_rates_and_show_rates_are_recovered_from_a_simulated_log() {
    use iopsim::calibrate::fit::{streams, Period};
    use iopsim::model::program::{referrals_on_day, Program};
    let trials = 20;
    let scenario = load_str(DEFAULT_TOML, "<built-in default>", &[]).unwrap();
    let recs = records::read_str("patients.csv", &default_log(trials)).unwrap();
    let start = scenario.simulation.start_date.and_hms_opt(0, 0, 0).unwrap();
    let weeks = scenario.simulation.weeks;
    let period = Period {
        start,
        end: start + chrono::Duration::weeks(i64::from(weeks)),
    };
    let fits = streams(&recs.episodes, period).unwrap();
    assert_eq!(fits.len(), scenario.referrals.len());
    let program = Program::new(&scenario);
    let cal = &program.calendar;
    let first_day = cal.total_days - 7 * u64::from(weeks);
    for r in &scenario.referrals {
        let fit = fits.iter().find(|f| f.name == r.name).unwrap();
        assert_eq!(fit.to, scenario.units[r.to].name);
        let expected: f64 = (first_day..cal.total_days)
            .map(|d| referrals_on_day(r, cal, d))
            .sum::<f64>()
            / f64::from(weeks);
        let (rate, show) = (&fit.per_week, &fit.show);
        assert!(
            rate.low <= expected && expected <= rate.high,
            "{}: {expected} per week outside {rate:?}",
            r.name
        );
        assert!(
            (rate.value / expected - 1.0).abs() < 0.08,
            "{}: {rate:?}",
            r.name
        );
        assert!(
            show.low <= r.show && r.show <= show.high,
            "{}: show {} outside {show:?}",
            r.name,
            r.show
        );
        assert_eq!(rate.n, show.n);
    }
}

/// Parameter recovery, patience: the default's waitlist patience is
/// exponential with a mean of 25 days; fitted from a simulated log with
/// admissions as censoring, its interval holds 25.
#[test]
fn the_waitlists_patience_is_recovered_with_admission_as_censoring() {
    use iopsim::calibrate::fit::{patience, Period};
    let scenario = load_str(DEFAULT_TOML, "<built-in default>", &[]).unwrap();
    let recs = records::read_str("patients.csv", &default_log(20)).unwrap();
    let start = scenario.simulation.start_date.and_hms_opt(0, 0, 0).unwrap();
    let period = Period {
        start,
        end: start + chrono::Duration::weeks(i64::from(scenario.simulation.weeks)),
    };
    let p = patience(&recs.episodes, "iop", period).unwrap();
    let m = &p.exponential_mean;
    assert!(m.low <= 25.0 && 25.0 <= m.high, "{m:?}");
    assert!(m.n > 200, "{m:?}");
    // The naive mean of the waits of those who gave up is far below it:
    // the short waits are the ones that end in giving up before admission.
    let gave_up: Vec<f64> = recs
        .episodes
        .iter()
        .filter(|e| e.unit == "iop" && e.reason == "reneged")
        .filter_map(|e| e.days_waited)
        .collect();
    let naive = gave_up.iter().sum::<f64>() / gave_up.len() as f64;
    assert!(naive < 0.5 * 25.0, "naive mean {naive}");
    // Kaplan-Meier agrees with the exponential where it is followed: at 7
    // days, exp(-7/25) = 0.756.
    let s7 = p.survival.survival(7.0);
    println!("patience: exponential mean {m:?}, naive mean {naive:.2} days, S(7) {s7:.3}");
    assert!((s7 - (-7.0f64 / 25.0).exp()).abs() < 0.03, "S(7) = {s7}");
}
