//! The patient-level log (`run --log`, `docs/data.md`) against the run's
//! own results: every count, wait and level of every logged trial is
//! recomputed from `patients.csv` alone and must equal `trials.csv`'s; the
//! census is the log's time in care over the horizon (Little's law on the
//! sample path); `sessions.csv` adds up to the attendance counted. Also the
//! log's options and their errors.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use iopsim::model::result::destination_names;
use iopsim::scenario::{load_file, Scenario, UnitKind};
use predicates::prelude::*;

fn iopsim() -> Command {
    Command::cargo_bin("iopsim").unwrap()
}

/// A ward stepping down into a two-track IOP, patients keeping their bed
/// until the IOP takes them, an `[initial]` state in both units: every
/// kind of row the log writes.
const WARD_TO_IOP: &str = r#"
name = "ward-to-iop"
[simulation]
start_date = "2027-01-04"
weeks = 26
trials = 6
seed = 11
[[referrals]]
name = "admissions"
to = "ward"
per_week = 4
show = 0.9
[[referrals]]
name = "community"
to = "iop"
per_week = 3
show = 0.7
priority = 2
[[referrals]]
name = "urgent"
to = "iop"
per_week = 0.5
priority = 0
[[units]]
name = "ward"
kind = "beds"
capacity = 6
stay = { dist = "gamma", mean = 9, sd = 4 }
on_discharge = { iop = 0.7, rehab = 0.1 }
handoff = "wait_in_place"
[[units]]
name = "iop"
kind = "sessions"
admission = "rolling"
episode = { weeks = 8 }
attendance = 0.85
discharge_after_absences = 3
dropout_weekly = [0.06, 0.04, 0.02]
stepup_weekly = 0.01
stepup_to = "ward"
on_completion = { outpatient = 0.7 }
phases = [{ from_week = 6, sessions_per_week = 2 }]
waitlist = { capacity = 10, patience = { dist = "exponential", mean = 20 }, transfer_priority = 1 }
[[units.tracks]]
name = "day"
days = ["mon", "wed", "fri"]
start = "09:00"
hours = 3
groups = 1
group_size = 8
share = 0.4
[[units.tracks]]
name = "evening"
days = ["mon", "tue", "thu"]
start = "18:00"
hours = 3
groups = 1
group_size = 8
share = 0.6
[initial]
[[initial.patients]]
unit = "ward"
week = 1
count = 3
[[initial.patients]]
unit = "iop"
track = "evening"
week = 3
count = 5
[[initial.patients]]
unit = "iop"
status = "waiting"
days_waited = 4
count = 4
"#;

/// Runs `iopsim run` on `scenario` (None: the built-in default) with the
/// log, and returns the results folder.
fn run_logged(tmp: &Path, scenario: Option<&Path>, extra: &[&str]) -> PathBuf {
    let out = tmp.join("out");
    let mut cmd = iopsim();
    cmd.args(["run", "--quiet", "--no-plots", "--out"])
        .arg(&out)
        .args(extra);
    if let Some(s) = scenario {
        cmd.arg(s);
    }
    cmd.assert().success();
    let dirs: Vec<PathBuf> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

type Row = HashMap<String, String>;

fn read_csv(path: &Path) -> Vec<Row> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

fn time(s: &str) -> Option<NaiveDateTime> {
    (!s.is_empty()).then(|| {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .unwrap_or_else(|e| panic!("'{s}' is not a log time: {e}"))
    })
}

/// The value `metric` of trial `trial` in trials.csv.
fn value(trials: &[Row], trial: u64, metric: &str) -> f64 {
    let row = trials
        .iter()
        .find(|r| r["trial"] == trial.to_string())
        .unwrap_or_else(|| panic!("no trial {trial}"));
    let v = row
        .get(metric)
        .unwrap_or_else(|| panic!("no metric {metric} in trials.csv"));
    if v.is_empty() {
        f64::NAN
    } else {
        v.parse().unwrap()
    }
}

/// trials.csv keeps six decimals: a value recomputed from the log must
/// round to it.
fn assert_matches(what: &str, from_log: f64, reported: f64) {
    if reported.is_nan() {
        assert!(from_log.is_nan(), "{what}: log {from_log}, reported none");
        return;
    }
    assert!(
        (from_log - reported).abs() <= 5e-7 + 1e-12 * reported.abs(),
        "{what}: log {from_log}, reported {reported}"
    );
}

/// Type-7 quantile of sorted values, as the summary's.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

fn secs(a: NaiveDateTime, b: NaiveDateTime) -> f64 {
    (a - b).num_seconds() as f64
}

/// Every figure of every unit, track, stream and destination of the
/// logged trials, recomputed from patients.csv, against trials.csv; and
/// sessions.csv against the attendance counted, where it was written.
fn reconcile(dir: &Path, s: &Scenario, logged: u64) -> usize {
    let trials = read_csv(&dir.join("trials.csv"));
    let visits = read_csv(&dir.join("patients.csv"));
    let start: NaiveDateTime = s.simulation.start_date.and_hms_opt(0, 0, 0).unwrap();
    let end = start + Duration::weeks(i64::from(s.simulation.weeks));
    let horizon_secs = secs(end, start);
    let within = |t: Option<NaiveDateTime>| t.is_some_and(|t| t >= start && t < end);
    // An admission of the run: the `[initial]` state's patients in care
    // (no referral) were admitted before it, on start_date at the latest.
    let admitted = |r: &Row| !r["referred"].is_empty() && within(time(&r["admitted"]));
    let mut checked = 0;
    for trial in 0..logged {
        let rows: Vec<&Row> = visits
            .iter()
            .filter(|r| r["trial"] == trial.to_string())
            .collect();
        assert!(!rows.is_empty(), "trial {trial} has no rows");
        // A patient's first visit (their stream's) is their earliest referral.
        let mut first: HashMap<&str, NaiveDateTime> = HashMap::new();
        for r in &rows {
            if let Some(t) = time(&r["referred"]) {
                let e = first.entry(r["patient"].as_str()).or_insert(t);
                *e = (*e).min(t);
            }
        }
        let reported = |m: &str| value(&trials, trial, m);
        for u in &s.units {
            let here: Vec<&&Row> = rows.iter().filter(|r| r["unit"] == u.name).collect();
            let count = |f: &dyn Fn(&Row) -> bool| here.iter().filter(|r| f(r)).count() as f64;
            let ended = |reason: &'static str| {
                move |r: &Row| r["reason"] == reason && within(time(&r["left"]))
            };
            let name = &u.name;
            assert_matches(
                &format!("{name}.referrals"),
                count(&|r| within(time(&r["referred"]))),
                reported(&format!("{name}.referrals")),
            );
            assert_matches(
                &format!("{name}.admissions"),
                count(&admitted),
                reported(&format!("{name}.admissions")),
            );
            for (reason, metric) in [
                ("no_show", "no_shows"),
                ("turned_away", "turned_away"),
                ("reneged", "reneged"),
                ("completed", "completed"),
                ("dropped_out", "dropped_out"),
                ("admin_discharged", "admin_discharged"),
                ("stepped_up", "stepped_up"),
            ] {
                assert_matches(
                    &format!("trial {trial} {name}.{metric}"),
                    count(&ended(reason)),
                    reported(&format!("{name}.{metric}")),
                );
            }
            // Waits of those admitted in the horizon: mean and P90.
            let waits = |rows: &[&&Row]| -> Vec<f64> {
                let mut w: Vec<f64> = rows
                    .iter()
                    .filter(|r| admitted(r))
                    .map(|r| {
                        let (a, rf) =
                            (time(&r["admitted"]).unwrap(), time(&r["referred"]).unwrap());
                        let days = secs(a, rf) / 86_400.0;
                        // The column agrees with the times.
                        let col: f64 = r["days_waited"].parse().unwrap();
                        assert!((col - days).abs() < 1e-6, "{r:?}");
                        days
                    })
                    .collect();
                w.sort_by(f64::total_cmp);
                w
            };
            let w = waits(&here);
            let mean = |w: &[f64]| {
                if w.is_empty() {
                    f64::NAN
                } else {
                    w.iter().sum::<f64>() / w.len() as f64
                }
            };
            assert_matches(
                &format!("{name}.wait_days"),
                mean(&w),
                reported(&format!("{name}.wait_days")),
            );
            assert_matches(
                &format!("{name}.wait_days_p90"),
                quantile(&w, 0.9),
                reported(&format!("{name}.wait_days_p90")),
            );
            // Little's law on the sample path: the time-average census is
            // the time in place of every visit, within the horizon, over it.
            let in_place = |rows: &[&&Row]| -> f64 {
                rows.iter()
                    .filter_map(|r| {
                        let a = time(&r["admitted"])?;
                        let freed = time(&r["place_freed"]).unwrap_or(end);
                        let (from, to) = (a.max(start), freed.min(end));
                        Some(if to > from { secs(to, from) } else { 0.0 })
                    })
                    .sum::<f64>()
                    / horizon_secs
            };
            assert_matches(
                &format!("{name}.census"),
                in_place(&here),
                reported(&format!("{name}.census")),
            );
            // Leavers by destination.
            for d in destination_names(s, u) {
                assert_matches(
                    &format!("trial {trial} {name}.to.{d}"),
                    count(&|r| r["destination"] == d && within(time(&r["left"]))),
                    reported(&format!("{name}.to.{d}")),
                );
            }
            // Tracks.
            if let UnitKind::Sessions(su) = &u.kind {
                if su.tracks.len() > 1 {
                    for t in &su.tracks {
                        let mine: Vec<&&Row> = here
                            .iter()
                            .copied()
                            .filter(|r| r["track"] == t.name)
                            .collect();
                        let m = |x: &str| format!("{name}.{}.{x}", t.name);
                        let n =
                            |f: &dyn Fn(&Row) -> bool| mine.iter().filter(|r| f(r)).count() as f64;
                        assert_matches(&m("admissions"), n(&admitted), reported(&m("admissions")));
                        assert_matches(
                            &m("reneged"),
                            n(&ended("reneged")),
                            reported(&m("reneged")),
                        );
                        let w = waits(&mine);
                        assert_matches(&m("wait_days"), mean(&w), reported(&m("wait_days")));
                        assert_matches(
                            &m("wait_days_p90"),
                            quantile(&w, 0.9),
                            reported(&m("wait_days_p90")),
                        );
                        assert_matches(&m("census"), in_place(&mine), reported(&m("census")));
                        checked += 1;
                    }
                }
            }
            checked += 1;
        }
        // Streams: the first visit of each of their patients.
        for st in &s.referrals {
            let unit = &s.units[st.to].name;
            let mine: Vec<&&Row> = rows
                .iter()
                .filter(|r| {
                    r["stream"] == st.name
                        && r["unit"] == *unit
                        && time(&r["referred"]) == first.get(r["patient"].as_str()).copied()
                })
                .collect();
            let m = |x: &str| format!("stream.{}.{x}", st.name);
            let n = |f: &dyn Fn(&Row) -> bool| mine.iter().filter(|r| f(r)).count() as f64;
            assert_matches(
                &m("referrals"),
                n(&|r| within(time(&r["referred"]))),
                reported(&m("referrals")),
            );
            assert_matches(
                &m("admitted"),
                n(&|r| within(time(&r["admitted"]))),
                reported(&m("admitted")),
            );
            for reason in ["no_show", "turned_away", "reneged"] {
                let metric = if reason == "no_show" {
                    "no_shows"
                } else {
                    reason
                };
                assert_matches(
                    &m(metric),
                    n(&|r| r["reason"] == reason && within(time(&r["left"]))),
                    reported(&m(metric)),
                );
            }
            let mut w: Vec<f64> = mine
                .iter()
                .filter(|r| within(time(&r["admitted"])))
                .map(|r| {
                    secs(time(&r["admitted"]).unwrap(), time(&r["referred"]).unwrap()) / 86_400.0
                })
                .collect();
            w.sort_by(f64::total_cmp);
            let mean = if w.is_empty() {
                f64::NAN
            } else {
                w.iter().sum::<f64>() / w.len() as f64
            };
            assert_matches(&m("wait_days"), mean, reported(&m("wait_days")));
            assert_matches(
                &m("wait_days_p90"),
                quantile(&w, 0.9),
                reported(&m("wait_days_p90")),
            );
            checked += 1;
        }
        // Sessions: each group session's attendance adds up to the unit's
        // attendance rate, and no group holds more than its seats.
        let sessions_file = dir.join("sessions.csv");
        if sessions_file.exists() {
            let sessions: Vec<Row> = read_csv(&sessions_file)
                .into_iter()
                .filter(|r| r["trial"] == trial.to_string())
                .collect();
            for u in &s.units {
                let UnitKind::Sessions(su) = &u.kind else {
                    continue;
                };
                let (mut expected, mut attended) = (0.0, 0.0);
                for r in sessions
                    .iter()
                    .filter(|r| r["unit"] == u.name && within(time(&r["start"])))
                {
                    expected += r["expected"].parse::<f64>().unwrap();
                    attended += r["attended"].parse::<f64>().unwrap();
                    let seats = su
                        .tracks
                        .iter()
                        .find(|t| t.name == r["track"])
                        .unwrap()
                        .group_size;
                    assert!(r["enrolled"].parse::<u32>().unwrap() <= seats);
                }
                assert!(expected > 0.0);
                assert_matches(
                    &format!("{}.attendance_rate", u.name),
                    attended / expected,
                    reported(&format!("{}.attendance_rate", u.name)),
                );
                // Sessions scheduled and attended in the visits add up too
                // (over the whole run: the visit rows count every session).
                let all: Vec<&Row> = sessions.iter().filter(|r| r["unit"] == u.name).collect();
                let total = |c: &str| {
                    all.iter()
                        .map(|r| r[c].parse::<u64>().unwrap())
                        .sum::<u64>()
                };
                let visits_total = |c: &str| {
                    rows.iter()
                        .filter(|r| r["unit"] == u.name && !r[c].is_empty())
                        .map(|r| r[c].parse::<u64>().unwrap())
                        .sum::<u64>()
                };
                assert_eq!(total("expected"), visits_total("sessions_scheduled"));
                assert_eq!(total("attended"), visits_total("sessions_attended"));
            }
        }
        let attendance_file = dir.join("attendance.csv");
        if attendance_file.exists() {
            checked +=
                reconcile_attendance(&attendance_file, &dir.join("sessions.csv"), &rows, trial);
        }
    }
    checked
}

/// attendance.csv against the visits (each patient's sessions scheduled
/// and attended at each unit) and against sessions.csv (each session's
/// expected and attended): the same counts, row by row. Returns the
/// patients and sessions checked.
fn reconcile_attendance(file: &Path, sessions_file: &Path, visits: &[&Row], trial: u64) -> usize {
    let t = trial.to_string();
    let rows: Vec<Row> = read_csv(file)
        .into_iter()
        .filter(|r| r["trial"] == t)
        .collect();
    assert!(!rows.is_empty(), "trial {trial}: no attendance rows");
    let count =
        |m: &mut HashMap<(String, String), (u64, u64)>, k: (String, String), s: u64, a: u64| {
            let e = m.entry(k).or_default();
            e.0 += s;
            e.1 += a;
        };
    let mut by_patient = HashMap::new();
    let mut by_session: HashMap<(String, String), (u64, u64)> = HashMap::new();
    for r in &rows {
        let came: u64 = r["attended"].parse().unwrap();
        assert!(came <= 1, "{r:?}");
        count(
            &mut by_patient,
            (r["patient"].clone(), r["unit"].clone()),
            1,
            came,
        );
        let session = format!("{} {} {} {}", r["start"], r["unit"], r["track"], r["group"]);
        count(&mut by_session, (session, String::new()), 1, came);
    }
    let mut from_visits = HashMap::new();
    for v in visits
        .iter()
        .filter(|v| !v["sessions_scheduled"].is_empty())
    {
        let s: u64 = v["sessions_scheduled"].parse().unwrap();
        let a: u64 = v["sessions_attended"].parse().unwrap();
        if s > 0 {
            count(
                &mut from_visits,
                (v["patient"].clone(), v["unit"].clone()),
                s,
                a,
            );
        }
    }
    assert_eq!(
        by_patient, from_visits,
        "trial {trial}: attendance.csv vs patients.csv"
    );
    let mut from_sessions = HashMap::new();
    for r in read_csv(sessions_file).iter().filter(|r| r["trial"] == t) {
        let session = format!("{} {} {} {}", r["start"], r["unit"], r["track"], r["group"]);
        let e: u64 = r["expected"].parse().unwrap();
        if e > 0 {
            count(
                &mut from_sessions,
                (session, String::new()),
                e,
                r["attended"].parse().unwrap(),
            );
        }
    }
    assert_eq!(
        by_session, from_sessions,
        "trial {trial}: attendance.csv vs sessions.csv"
    );
    by_patient.len() + by_session.len()
}

#[test]
fn the_log_reconciles_with_the_default_scenarios_results() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_logged(
        tmp.path(),
        None,
        &["--trials", "12", "--log", "attendance", "--log-trials", "3"],
    );
    let s = iopsim::scenario::load_str(
        iopsim::scenario::DEFAULT_TOML,
        "default",
        &["simulation.trials=12".into()],
    )
    .unwrap();
    let checked = reconcile(&dir, &s, 3);
    assert!(checked >= 3 * (1 + 2 + 3), "{checked}");
    let visits = read_csv(&dir.join("patients.csv"));
    assert!(visits
        .iter()
        .all(|r| ["0", "1", "2"].contains(&r["trial"].as_str())));
    // Patients are named by stream and arrival: the same in every scenario
    // run on the same seed.
    assert!(visits.iter().any(|r| r["patient"] == "community-1"));
    let record = fs::read_to_string(dir.join("run.json")).unwrap();
    assert!(record.contains("\"schema\": 2"), "{record}");
    assert!(record.contains("sessions.csv"), "{record}");
    assert!(record.contains("\"attendances\": "), "{record}");
}

#[test]
fn the_log_reconciles_with_beds_kept_transfers_and_an_initial_state() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("ward.toml");
    fs::write(&path, WARD_TO_IOP).unwrap();
    let dir = run_logged(
        tmp.path(),
        Some(&path),
        &[
            "--log",
            "sessions",
            "--log-trials",
            "6",
            "--log-dir",
            "logs/patients",
        ],
    );
    let s = load_file(&path, &[]).unwrap();
    // The log went into its folder; reconcile reads it from there.
    let logs = dir.join("logs/patients");
    for f in ["patients.csv", "sessions.csv"] {
        assert!(logs.join(f).is_file(), "{f}");
        fs::copy(logs.join(f), dir.join(f)).unwrap();
    }
    reconcile(&dir, &s, 6);
    let visits = read_csv(&dir.join("patients.csv"));
    let has = |f: &dyn Fn(&Row) -> bool| visits.iter().any(f);
    // Every kind of row was exercised.
    assert!(has(&|r| r["stream"] == "[initial]"
        && r["referred"].is_empty()
        && r["unit"] == "ward"));
    assert!(has(&|r| r["stream"] == "[initial]"
        && r["reason"] != "waiting"
        && !r["referred"].is_empty()));
    assert!(has(&|r| r["unit"] == "ward"
        && r["destination"] == "iop"
        && r["place_freed"] > r["left"]));
    assert!(has(&|r| r["unit"] == "iop" && r["stream"] == "admissions"));
    assert!(has(&|r| r["unit"] == "ward"
        && r["stream"] == "community"
        && r["reason"] == "completed"));
    for reason in [
        "no_show",
        "turned_away",
        "reneged",
        "completed",
        "dropped_out",
        "stepped_up",
        "waiting",
        "in_care",
    ] {
        assert!(
            has(&|r| r["reason"] == reason),
            "no row with reason {reason}"
        );
    }
    // Beds have no track and no sessions.
    assert!(visits
        .iter()
        .filter(|r| r["unit"] == "ward")
        .all(|r| r["track"].is_empty() && r["sessions_scheduled"].is_empty()));
}

#[test]
fn the_log_is_the_same_whatever_the_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let a = run_logged(
        &tmp.path().join("a"),
        None,
        &[
            "--trials",
            "40",
            "--threads",
            "1",
            "--log",
            "sessions",
            "--log-trials",
            "5",
        ],
    );
    let b = run_logged(
        &tmp.path().join("b"),
        None,
        &[
            "--trials",
            "40",
            "--threads",
            "2",
            "--log",
            "sessions",
            "--log-trials",
            "5",
        ],
    );
    for f in ["patients.csv", "sessions.csv", "trials.csv"] {
        assert_eq!(
            fs::read(a.join(f)).unwrap(),
            fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
    // And the run's other files are those of a run without the log.
    let c = run_logged(&tmp.path().join("c"), None, &["--trials", "40"]);
    for f in ["summary.csv", "weekly.csv", "trials.csv"] {
        assert_eq!(
            fs::read(a.join(f)).unwrap(),
            fs::read(c.join(f)).unwrap(),
            "{f}"
        );
    }
    assert!(!c.join("patients.csv").exists());
}

#[test]
fn bad_log_options_are_clear_errors_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let fails = |args: &[&str], says: &[&str]| {
        let mut a = iopsim()
            .args(["run", "--quiet", "--trials", "10", "--out"])
            .arg(&out)
            .args(args)
            .assert()
            .code(2);
        for s in says {
            a = a.stderr(predicate::str::contains(*s));
        }
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    };
    fails(
        &["--log", "--log-trials", "0"],
        &["--log-trials 0", "at least 1"],
    );
    fails(
        &["--log", "--log-trials", "11"],
        &["--log-trials 11", "the run has 10 trials"],
    );
    fails(
        &["--log", "--log-dir", "/tmp/elsewhere"],
        &["--log-dir /tmp/elsewhere", "inside the results folder"],
    );
    fails(
        &["--log", "--log-dir", "../up"],
        &["--log-dir ../up", "without '..'"],
    );
    fails(
        &["--log", "everything"],
        &["everything", "patients", "sessions"],
    );
    fails(&["--log-trials", "3"], &["--log"]);
    // A scenario whose names would make ambiguous metric names.
    let bad = tmp.path().join("bad.toml");
    let text = fs::read_to_string("scenarios/default.toml")
        .unwrap()
        .replace("name = \"evening\"", "name = \"waitlist\"");
    fs::write(&bad, text).unwrap();
    let mut a = iopsim()
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(&bad)
        .assert()
        .code(2);
    for s in [
        "bad.toml",
        "units[0].tracks[1].name",
        "'waitlist' is the name of a unit metric",
    ] {
        a = a.stderr(predicate::str::contains(s));
    }
    assert!(!out.exists());
}

#[test]
fn log_dates_are_on_the_scenarios_calendar() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_logged(tmp.path(), None, &["--trials", "2", "--log"]);
    let visits = read_csv(&dir.join("patients.csv"));
    let warmup_start = NaiveDate::from_ymd_opt(2027, 1, 4).unwrap() - Duration::weeks(26);
    let end = NaiveDate::from_ymd_opt(2027, 1, 4).unwrap() + Duration::weeks(52);
    for r in &visits {
        let referred = time(&r["referred"]).unwrap();
        assert!(
            referred.date() >= warmup_start && referred.date() < end,
            "{r:?}"
        );
        if let Some(a) = time(&r["admitted"]) {
            // Admitted at a session of their track: Mon, Tue or Thu, at 10:00 or 18:00.
            assert!(a >= referred);
            let hour = a.format("%H:%M:%S").to_string();
            assert_eq!(
                hour,
                if r["track"] == "morning" {
                    "10:00:00"
                } else {
                    "18:00:00"
                }
            );
            assert!(
                ["Mon", "Tue", "Thu"].contains(&a.format("%a").to_string().as_str()),
                "{r:?}"
            );
        }
    }
    assert!(!dir.join("sessions.csv").exists());
}

#[test]
fn the_log_reconciles_with_rosters_an_intake_and_a_caseload() {
    let tmp = tempfile::tempdir().unwrap();
    let sets = [
        r#"staff.therapist.shifts=[{ days = ["mon", "tue", "wed", "thu", "fri"], start = "09:00", hours = 8, count = 1 }, { days = ["mon", "tue", "thu"], start = "17:00", hours = 5, count = 1 }]"#,
        "staff.therapist.leave_weeks=5",
        "staff.therapist.caseload=8",
        r#"units.iop.tracks.morning.facilitators={ role = "therapist" }"#,
        r#"units.iop.tracks.evening.facilitators={ role = "therapist" }"#,
        r#"units.iop.intake={ slots_per_person = 1, role = "therapist", hours = 1.5, show = [[1, 0.72], [3, 0.41], [7, 0.38]] }"#,
        "simulation.trials=12",
    ];
    let mut extra: Vec<&str> = vec!["--log", "attendance", "--log-trials", "3"];
    for s in &sets {
        extra.push("--set");
        extra.push(s);
    }
    let dir = run_logged(tmp.path(), None, &extra);
    let s = iopsim::scenario::load_str(
        iopsim::scenario::DEFAULT_TOML,
        "default",
        &sets.map(String::from),
    )
    .unwrap();
    let checked = reconcile(&dir, &s, 3);
    assert!(checked >= 3 * (1 + 2 + 3), "{checked}");
    // Intake no-shows leave at their appointment, at 09:00, after the referral.
    let visits = read_csv(&dir.join("patients.csv"));
    let late: Vec<&Row> = visits
        .iter()
        .filter(|r| r["reason"] == "no_show" && r["left"] != r["referred"])
        .collect();
    assert!(!late.is_empty());
    for r in late {
        let (left, referred) = (time(&r["left"]).unwrap(), time(&r["referred"]).unwrap());
        assert!(left > referred, "{r:?}");
        assert_eq!(left.format("%H:%M").to_string(), "09:00", "{r:?}");
    }
}

/// Issue 19: with group minimums (the default's evening track at 4, its
/// morning track in two groups of 6 at 3, at low demand), the log still
/// reconciles with the results, and sessions.csv has a row only for the
/// groups held: none below its minimum. Patients moved to another group
/// attend there (the attendance of the rows adds up to the visits').
#[test]
fn the_log_reconciles_with_group_minimums() {
    let tmp = tempfile::tempdir().unwrap();
    let sets = [
        "units.iop.tracks.evening.min_size=4",
        "units.iop.tracks.morning.groups=2",
        "units.iop.tracks.morning.group_size=6",
        "rooms.group-room.count=2",
        "units.iop.tracks.morning.min_size=3",
        "referrals.community.per_week=0.8",
        "simulation.trials=6",
    ];
    let mut extra: Vec<&str> = vec!["--log", "attendance", "--log-trials", "3"];
    for s in &sets {
        extra.push("--set");
        extra.push(s);
    }
    let dir = run_logged(tmp.path(), None, &extra);
    let s = iopsim::scenario::load_str(
        iopsim::scenario::DEFAULT_TOML,
        "default",
        &sets.map(String::from),
    )
    .unwrap();
    let checked = reconcile(&dir, &s, 3);
    assert!(checked >= 3 * (1 + 2 + 3), "{checked}");
    let sessions = read_csv(&dir.join("sessions.csv"));
    let trials = read_csv(&dir.join("trials.csv"));
    let mut second_group = 0;
    for r in &sessions {
        let enrolled: u32 = r["enrolled"].parse().unwrap();
        let min = if r["track"] == "evening" { 4 } else { 3 };
        assert!(enrolled >= min, "a group below its minimum met: {r:?}");
        second_group += usize::from(r["group"] == "2");
    }
    assert!(second_group > 0, "the morning's second group never met");
    let below: f64 = (0..3)
        .map(|t| value(&trials, t, "iop.sessions_below_min"))
        .sum();
    let regrouped: f64 = (0..3).map(|t| value(&trials, t, "iop.regrouped")).sum();
    assert!(below > 0.0 && regrouped > 0.0, "{below} {regrouped}");
}

/// A ward and an IOP closing the loop (issue 19): step-ups shared between
/// the ward and an exit label, dropouts partly to the ward, a show rate on
/// transfers into the ward, and a relapse of the IOP's home-goers.
const RELAPSING: &str = r#"
name = "relapsing"
[simulation]
start_date = "2027-01-04"
weeks = 40
warmup_weeks = 10
trials = 4
seed = 19
[[referrals]]
name = "community"
to = "iop"
per_week = 4
show = 0.8
[[units]]
name = "iop"
kind = "sessions"
episode = { weeks = 6 }
attendance = 0.85
discharge_after_absences = 3
dropout_weekly = [0.06, 0.04]
stepup_weekly = 0.02
on_stepup = { ward = 0.7, residential = 0.3 }
on_dropout = { ward = 0.2 }
on_admin_discharge = { discharged = 0.5 }
on_completion = { outpatient = 0.5 }
relapse = { share = 0.4, after = { dist = "lognormal", mean = 40, sd = 20 }, show = 0.9, priority = 0 }
waitlist = { patience = { dist = "exponential", mean = 30 } }
[[units.tracks]]
name = "day"
days = ["mon", "wed", "fri"]
start = "09:00"
hours = 3
groups = 2
group_size = 10
[[units]]
name = "ward"
kind = "beds"
capacity = 3
stay = { dist = "gamma", mean = 8, sd = 3 }
on_discharge = { iop = 0.6 }
handoff = "wait_in_place"
transfer_show = 0.8
"#;

#[test]
fn the_log_reconciles_with_relapse_readmissions_and_routed_exits() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("relapsing.toml");
    fs::write(&path, RELAPSING).unwrap();
    let dir = run_logged(tmp.path(), Some(&path), &["--log", "--log-trials", "4"]);
    let s = load_file(&path, &[]).unwrap();
    reconcile(&dir, &s, 4);
    let trials = read_csv(&dir.join("trials.csv"));
    let visits = read_csv(&dir.join("patients.csv"));
    let start: NaiveDateTime = s.simulation.start_date.and_hms_opt(0, 0, 0).unwrap();
    let end = start + Duration::weeks(i64::from(s.simulation.weeks));
    let within = |t: Option<NaiveDateTime>| t.is_some_and(|t| t >= start && t < end);
    let (mut relapses, mut readmitted) = (0.0, 0.0);
    for trial in 0..4u64 {
        // Each patient's visits in order of referral.
        let mut by_patient: HashMap<&str, Vec<&Row>> = HashMap::new();
        for r in visits.iter().filter(|r| r["trial"] == trial.to_string()) {
            by_patient.entry(r["patient"].as_str()).or_default().push(r);
        }
        let (mut relapse_referrals, mut within_30, mut within_90) = (0.0, 0.0, 0.0);
        let (mut cohort_30, mut hits_30, mut cohort_90, mut hits_90) = (0.0, 0.0, 0.0, 0.0);
        for rows in by_patient.values_mut() {
            rows.sort_by_key(|r| time(&r["referred"]));
            for (k, r) in rows.iter().enumerate() {
                // Only the IOP's home-goers relapse: the next visit is one.
                if r["unit"] != "iop" || r["destination"] != "home" {
                    continue;
                }
                let left = time(&r["left"]).unwrap();
                let next = rows.get(k + 1);
                if let Some(n) = next {
                    assert_eq!(n["unit"], "iop", "{n:?}");
                    assert!(time(&n["referred"]).unwrap() >= left);
                    if within(time(&n["referred"])) {
                        relapse_referrals += 1.0;
                    }
                }
                if !within(Some(left)) {
                    continue;
                }
                let gap = next
                    .and_then(|n| time(&n["admitted"]))
                    .map(|a| secs(a, left) / 86_400.0);
                let in30 = gap.is_some_and(|g| g <= 30.0);
                let in90 = gap.is_some_and(|g| g <= 90.0);
                within_30 += f64::from(u8::from(in30));
                within_90 += f64::from(u8::from(in90));
                if left + Duration::days(30) <= end {
                    cohort_30 += 1.0;
                    hits_30 += f64::from(u8::from(in30));
                }
                if left + Duration::days(90) <= end {
                    cohort_90 += 1.0;
                    hits_90 += f64::from(u8::from(in90));
                }
            }
        }
        let reported = |m: &str| value(&trials, trial, m);
        assert_matches(
            "iop.relapse_referrals",
            relapse_referrals,
            reported("iop.relapse_referrals"),
        );
        assert_matches(
            "iop.readmitted_30d",
            within_30,
            reported("iop.readmitted_30d"),
        );
        assert_matches(
            "iop.readmitted_90d",
            within_90,
            reported("iop.readmitted_90d"),
        );
        let rate = |hits: f64, of: f64| if of > 0.0 { hits / of } else { f64::NAN };
        assert_matches(
            "iop.readmission_rate_30d",
            rate(hits_30, cohort_30),
            reported("iop.readmission_rate_30d"),
        );
        assert_matches(
            "iop.readmission_rate_90d",
            rate(hits_90, cohort_90),
            reported("iop.readmission_rate_90d"),
        );
        relapses += relapse_referrals;
        readmitted += within_90;
    }
    assert!(
        relapses > 10.0 && readmitted > 10.0,
        "{relapses} {readmitted}"
    );
    let has = |f: &dyn Fn(&Row) -> bool| visits.iter().any(f);
    // A transfer that did not show at the ward; step-ups to the exit label.
    assert!(has(&|r| r["unit"] == "ward" && r["reason"] == "no_show"));
    assert!(has(
        &|r| r["unit"] == "iop" && r["destination"] == "residential"
    ));
    assert!(has(&|r| r["unit"] == "iop"
        && r["reason"] == "dropped_out"
        && r["destination"] == "ward"));
}
