//! Extreme but valid inputs, bounded memory, interrupted runs and output
//! directory safety. Each test here is a row of the table in
//! `docs/robustness.md`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use iopsim::model::{run_trial, Program, TrialResult};
use iopsim::report::csv::{summary_csv, weekly_csv};
use iopsim::scenario::{load_str, Scenario, DEFAULT_TOML};
use iopsim::trials::{self, Aggregator, ExactLimits, RunOptions, RunResults};
use predicates::prelude::*;

fn default_with(sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    load_str(DEFAULT_TOML, "default", &sets).unwrap_or_else(|e| panic!("{e}"))
}

fn run(s: &Scenario) -> RunResults {
    trials::run(
        s,
        &RunOptions { threads: 2 },
        &mut |_, _| Ok(()),
        &mut |_| {},
    )
    .unwrap()
}

fn conserved(r: &TrialResult) {
    for u in &r.units {
        let a = &u.all;
        assert_eq!(
            a.referrals,
            a.no_shows + a.turned_away + a.reneged + a.admitted + u.waiting_at_end
        );
        assert_eq!(a.admitted, u.in_care_at_end + a.exits());
    }
}

fn mean(r: &RunResults, metric: &str) -> f64 {
    r.summary_of(metric)
        .unwrap_or_else(|| panic!("no {metric}"))
        .mean
}

/// Demand about ten times the 24 seats, nobody gives up, no waitlist limit.
const TEN_TIMES: [&str; 4] = [
    "referrals.community.per_week=19",
    "referrals.php-stepdown.per_week=11",
    "referrals.inpatient-stepdown.per_week=9",
    "units.iop.waitlist={}",
];

#[test]
fn zero_referrals_give_an_empty_program_and_valid_files() {
    let s = default_with(&[
        "referrals.community.per_week=0",
        "referrals.php-stepdown.per_week=0",
        "referrals.inpatient-stepdown.per_week=0",
        "simulation.trials=20",
    ]);
    let r = run(&s);
    for m in [
        "iop.referrals",
        "iop.admissions",
        "iop.census",
        "iop.waitlist",
    ] {
        assert_eq!(mean(&r, m), 0.0, "{m}");
    }
    // No one admitted: no wait to report, an empty field rather than a number.
    assert_eq!(r.summary_of("iop.wait_days").unwrap().n, 0);
    let csv = String::from_utf8(summary_csv(&r).unwrap()).unwrap();
    assert!(csv.contains("\niop.wait_days,,,,,,,\n"), "{csv}");
    assert_eq!(r.waits[0].total, 0);
    assert!(r.waits[0].p50.is_nan());
    weekly_csv(&r).unwrap();
}

#[test]
fn capacity_far_above_demand_means_no_waiting_list() {
    let s = default_with(&[
        "units.iop.tracks.morning.groups=20",
        "units.iop.tracks.evening.groups=20",
        "rooms.group-room.count=40",
        "simulation.trials=20",
    ]);
    let r = run(&s);
    // Under a tenth of the 480 seats are filled ...
    assert!(mean(&r, "iop.census") < 48.0);
    // ... but seat utilization is over the sessions held: rolling admission
    // fills the first groups, and the empty ones never meet.
    assert!(mean(&r, "iop.seat_utilization") > 0.5);
    assert_eq!(mean(&r, "iop.turned_away"), 0.0);
    // Everyone waits only for the next session of their track (at most a few days).
    assert!(r.summary_of("iop.wait_days_p90").unwrap().p95 < 7.0);
    let p = Program::new(&s);
    (0..5).for_each(|t| conserved(&run_trial(&p, s.simulation.seed, t)));
}

#[test]
fn ten_times_demand_with_an_unlimited_waitlist_warns_and_finishes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = Command::cargo_bin("iopsim").unwrap();
    cmd.args(["run", "--trials", "10", "--quiet", "--no-plots", "--out"])
        .arg(tmp.path());
    for s in TEN_TIMES {
        cmd.args(["--set", s]);
    }
    cmd.timeout(Duration::from_secs(120))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: iop: demand exceeds capacity",
        ))
        .stderr(predicate::str::contains("nobody gives up"));
}

#[test]
fn twenty_years_at_ten_times_demand_complete_with_a_linear_waitlist() {
    let mut sets = TEN_TIMES.to_vec();
    sets.extend(["simulation.weeks=1040", "simulation.trials=4"]);
    let s = default_with(&sets);
    let p = Program::new(&s);
    for t in 0..2 {
        let r = run_trial(&p, s.simulation.seed, t);
        conserved(&r);
        let u = &r.units[0];
        // Seats stay full; the waitlist grows steadily: by the last week it
        // holds most of 20 years of excess demand.
        assert!(u.census > 23.0 && u.census <= 24.0);
        let w = &u.weekly.waitlist;
        assert!(w[1039] > 20_000.0 && w[1039] > 1.7 * w[519], "{}", w[1039]);
    }
    let r = run(&s);
    assert_eq!(r.weekly[0].len(), 1040);
}

#[test]
fn a_one_week_horizon_works() {
    let s = default_with(&[
        "simulation.weeks=1",
        "simulation.warmup_weeks=0",
        "simulation.trials=50",
    ]);
    let r = run(&s);
    assert!(r.weekly.iter().all(|m| m.len() == 1));
    let weekly = String::from_utf8(weekly_csv(&r).unwrap()).unwrap();
    assert_eq!(weekly.lines().count(), 1 + r.weekly_names.len());
    assert!(mean(&r, "iop.admissions") > 0.0);
}

#[test]
fn twenty_years_of_weeks_work() {
    let s = default_with(&["simulation.weeks=1040", "simulation.trials=8"]);
    let r = run(&s);
    assert_eq!(r.weekly_of("iop.census").unwrap().len(), 1040);
    // Steady state: the last year looks like the first.
    let c = r.weekly_of("iop.census").unwrap();
    assert!((c[1039].mean - c[51].mean).abs() < 6.0);
}

/// Memory of the fold does not grow with trials: past its exact limits, the
/// aggregator holds the same bytes after 1,000 and after 10,000 trials.
#[test]
fn aggregator_memory_does_not_grow_with_trials() {
    let s = default_with(&["simulation.trials=10000"]);
    let p = Program::new(&s);
    let sample: Vec<TrialResult> = (0..200).map(|t| run_trial(&p, 1, t)).collect();
    let limits = ExactLimits {
        trials: 100,
        waits: 1_000,
        track_waits: 1_000,
    };
    let mut agg = Aggregator::with_limits(&s, limits);
    let mut at_1k = 0;
    for i in 0..10_000 {
        if i == 1_000 {
            at_1k = agg.heap_bytes();
        }
        agg.push(&sample[i % sample.len()]);
    }
    let at_10k = agg.heap_bytes();
    eprintln!("aggregator: {at_1k} bytes after 1k trials, {at_10k} after 10k");
    assert!(
        at_10k <= at_1k,
        "{at_1k} bytes after 1k trials, {at_10k} after 10k"
    );
    assert_eq!(agg.trials(), 10_000);
    // The default limits for this scenario keep 10,000 trials exactly.
    assert_eq!(ExactLimits::for_scenario(&s).trials, 10_000);
}

/// Past the exact limits, means stay exact and quantiles stay within the
/// sketch's relative accuracy of the exact ones.
#[test]
fn sketched_statistics_match_exact_ones() {
    let s = default_with(&["simulation.trials=1500"]);
    let p = Program::new(&s);
    let results: Vec<TrialResult> = (0..1500).map(|t| run_trial(&p, 1, t)).collect();
    let mut exact = Aggregator::new(&s);
    let mut sketched = Aggregator::with_limits(
        &s,
        ExactLimits {
            trials: 50,
            waits: 500,
            track_waits: 500,
        },
    );
    for r in &results {
        exact.push(r);
        sketched.push(r);
    }
    let (e, k) = (
        exact.finish(&s, Duration::ZERO),
        sketched.finish(&s, Duration::ZERO),
    );
    let acc = iopsim::stats::stream::RELATIVE_ACCURACY;
    let close = |a: f64, b: f64, rel: f64| {
        (a.is_nan() && b.is_nan()) || (a - b).abs() <= rel * b.abs().max(1e-12)
    };
    let pairs = e
        .summary
        .iter()
        .zip(&k.summary)
        .chain(e.weekly.iter().flatten().zip(k.weekly.iter().flatten()));
    for (x, y) in pairs {
        assert_eq!(x.n, y.n);
        assert!(close(y.mean, x.mean, 1e-9), "{x:?} {y:?}");
        assert!(close(y.sd, x.sd, 1e-6), "{x:?} {y:?}");
        for (a, b) in [(y.p5, x.p5), (y.p50, x.p50), (y.p95, x.p95)] {
            assert!(close(a, b, acc), "{a} vs {b}");
        }
    }
    assert!(close(k.waits[0].p90, e.waits[0].p90, acc));
    assert_eq!(k.waits[0].counts, e.waits[0].counts);
}

// ---- the binary: interrupts and the output directory -------------------

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("iopsim")
}

fn iopsim() -> Command {
    Command::cargo_bin("iopsim").unwrap()
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

/// Starts a run too long to finish, waits until trials are being written,
/// sends `signal`, and returns the exit code and stderr.
#[cfg(unix)]
fn interrupt_a_long_run(out: &Path, signal: &str) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(bin())
        .args([
            "run",
            "--trials",
            "2000000",
            "--quiet",
            "--no-plots",
            "--out",
        ])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let staging = out.join(format!(".midsize-adult-iop.partial-{}", child.id()));
    let started = Instant::now();
    while fs::metadata(staging.join("trials.csv")).map_or(0, |m| m.len()) < 10_000 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let sent = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("the run did not stop within a minute of {signal}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status.code(), stderr)
}

#[cfg(unix)]
#[test]
fn ctrl_c_keeps_the_previous_results_and_records_the_interrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    iopsim()
        .args(["run", "--trials", "20", "--quiet", "--no-plots", "--out"])
        .arg(out)
        .assert()
        .success();
    let results = out.join("midsize-adult-iop");
    let before = snapshot(&results);
    let rec = json(&results.join("run.json"));
    assert_eq!(rec["status"], "complete");
    assert_eq!(rec["trials_done"], 20);

    let (code, stderr) = interrupt_a_long_run(out, "-INT");
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("interrupted after"), "{stderr}");
    assert!(
        stderr.contains("keeps its previous complete results"),
        "{stderr}"
    );
    assert_eq!(snapshot(&results), before, "previous results changed");
    assert_eq!(
        names(out),
        ["midsize-adult-iop", "midsize-adult-iop.interrupted.json"],
        "no staging directory may be left"
    );
    let rec = json(&out.join("midsize-adult-iop.interrupted.json"));
    assert_eq!(rec["status"], "interrupted");
    assert_eq!(rec["trials_requested"], 2_000_000);
    let done = rec["trials_done"].as_u64().unwrap();
    assert!(done > 0 && done < 2_000_000, "{done}");
    assert_eq!(rec["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(rec["seed"], 1);
    assert!(rec["seconds"].as_f64().unwrap() > 0.0);

    // The next complete run replaces the results and clears the record.
    iopsim()
        .args(["run", "--trials", "30", "--quiet", "--no-plots", "--out"])
        .arg(out)
        .assert()
        .success();
    assert_eq!(names(out), ["midsize-adult-iop"]);
    assert_eq!(json(&results.join("run.json"))["trials_done"], 30);
}

#[cfg(unix)]
#[test]
fn sigterm_on_a_first_run_leaves_no_results_at_all() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, stderr) = interrupt_a_long_run(tmp.path(), "-TERM");
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(names(tmp.path()), ["midsize-adult-iop.interrupted.json"]);
}

#[test]
fn a_complete_run_records_itself_in_run_json() {
    let tmp = tempfile::tempdir().unwrap();
    iopsim()
        .args([
            "run",
            "scenarios/default.toml",
            "--trials",
            "12",
            "--seed",
            "7",
        ])
        .args(["--quiet", "--no-plots", "--out"])
        .arg(tmp.path())
        .assert()
        .success();
    let rec = json(&tmp.path().join("midsize-adult-iop/run.json"));
    assert_eq!(rec["status"], "complete");
    assert_eq!(rec["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(rec["scenario"], "midsize-adult-iop");
    assert_eq!(rec["seed"], 7);
    assert_eq!(rec["trials_requested"], 12);
    assert_eq!(rec["trials_done"], 12);
    let source = rec["source"].as_str().unwrap();
    assert!(source.ends_with("scenarios/default.toml"), "{source}");
    assert!(rec["started"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn scenario_names_cannot_leave_the_output_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a/b/out");
    let file = tmp.path().join("evil.toml");
    fs::write(
        &file,
        DEFAULT_TOML.replace("name = \"midsize-adult-iop\"", "name = \"../../etc\""),
    )
    .unwrap();
    iopsim()
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("name"));
    for name in ["../../escape", "/tmp/escape", "a/b", ".hidden"] {
        iopsim()
            .args(["run", "--quiet", "--set", &format!("name={name}"), "--out"])
            .arg(&out)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("name"));
    }
    assert_eq!(names(tmp.path()), ["evil.toml"], "nothing may be written");
}

#[test]
fn another_scenarios_results_are_not_replaced_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let results = out.join("midsize-adult-iop");
    let a = tmp.path().join("a.toml");
    let b = tmp.path().join("b.toml");
    fs::write(&a, DEFAULT_TOML).unwrap();
    // Same name, different program.
    fs::write(
        &b,
        DEFAULT_TOML.replace("group_size = 12", "group_size = 10"),
    )
    .unwrap();
    let run = |file: &Path, extra: &[&str]| {
        let mut c = iopsim();
        c.args(["run", "--trials", "10", "--quiet", "--no-plots", "--out"])
            .arg(&out)
            .arg(file)
            .args(extra);
        c.assert()
    };
    run(&a, &[]).success();
    let first = snapshot(&results);
    run(&b, &[])
        .code(1)
        .stderr(predicate::str::contains("another scenario file"))
        .stderr(predicate::str::contains("--force"));
    assert_eq!(
        snapshot(&results),
        first,
        "refused run must not touch results"
    );
    // The same file with other --set values, and the directory's own
    // scenario.toml, are the same scenario.
    run(&a, &["--set", "units.iop.attendance=0.5"]).success();
    run(&results.join("scenario.toml"), &[]).success();
    run(&a, &[]).success();
    run(&b, &["--force"]).success();
    let rec = json(&results.join("run.json"));
    assert!(rec["source"].as_str().unwrap().ends_with("b.toml"));
    // A directory iopsim did not write is never replaced without --force.
    let mine = out.join("mental-health-iop");
    fs::create_dir_all(&mine).unwrap();
    fs::write(mine.join("notes.txt"), "my own notes").unwrap();
    iopsim()
        .args([
            "run",
            "scenarios/mental-health.toml",
            "--trials",
            "5",
            "--quiet",
        ])
        .args(["--no-plots", "--out"])
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not written by"));
    assert_eq!(fs::read(mine.join("notes.txt")).unwrap(), b"my own notes");
}

// ---- Ctrl-C answers within a second; nohup; kills; every command owns its folder

/// About 0.1 s a trial on the development machine (8,000 referrals a week
/// to the default program): a chunk of 64 trials in flight took 3 s or more.
#[cfg(unix)]
const SLOW_TRIALS: &str = "referrals.community.per_week=8000";
/// The slow runs keep the default's name, so that they write its folder
/// (a `--set` what-if would get a folder of its own unless it names itself).
const SLOW_NAME: &str = "name=midsize-adult-iop";

/// Starts `iopsim run` with `args` into `out` through `launcher` (e.g.
/// `nohup`), and waits until its staging directory exists and trials have
/// been running for `settle`.
#[cfg(unix)]
fn start_run(
    launcher: Option<&str>,
    out: &Path,
    args: &[&str],
    settle: Duration,
) -> std::process::Child {
    let mut cmd = match launcher {
        Some(l) => {
            let mut c = std::process::Command::new(l);
            c.arg(bin());
            c
        }
        None => std::process::Command::new(bin()),
    };
    let mut child = cmd
        .args(["run", "--quiet", "--no-plots", "--out"])
        .arg(out)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Under a launcher that execs (nohup), the pid is iopsim's.
    let staging = out.join(format!(".midsize-adult-iop.partial-{}", child.id()));
    let started = Instant::now();
    while !staging.join("trials.csv").exists() {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
            panic!("the run ended before it started ({status}): {stderr}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(settle);
    child
}

#[cfg(unix)]
fn signal(child: &std::process::Child, sig: &str) {
    let sent = std::process::Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// Waits for `child` to exit; returns its exit code, stderr and how long it took.
#[cfg(unix)]
fn wait_exit(mut child: std::process::Child, limit: Duration) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("still running {limit:?} later");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = started.elapsed();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status.code(), stderr, took)
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_run_of_slow_trials_within_a_second() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    iopsim()
        .args(["run", "--trials", "4", "--quiet", "--no-plots", "--out"])
        .arg(out)
        .args(["--set", SLOW_TRIALS, "--set", SLOW_NAME])
        .assert()
        .success();
    let results = out.join("midsize-adult-iop");
    let before = snapshot(&results);
    let child = start_run(
        None,
        out,
        &["--trials", "5000", "--set", SLOW_TRIALS, "--set", SLOW_NAME],
        Duration::from_millis(700),
    );
    signal(&child, "-INT");
    let (code, stderr, took) = wait_exit(child, Duration::from_secs(60));
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        took < Duration::from_secs(1),
        "stopped {took:?} after Ctrl-C: {stderr}"
    );
    assert_eq!(snapshot(&results), before, "previous results changed");
    assert_eq!(
        names(out),
        ["midsize-adult-iop", "midsize-adult-iop.interrupted.json"]
    );
    let rec = json(&out.join("midsize-adult-iop.interrupted.json"));
    assert_eq!(rec["status"], "interrupted");
    let done = rec["trials_done"].as_u64().unwrap();
    assert!(done < 5000, "{done}");
}

#[cfg(unix)]
#[test]
fn a_second_ctrl_c_quits_at_once_and_still_tidies_up() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    // About 1.5 s a trial (near the limit of 1e7 expected referrals a
    // trial): the first Ctrl-C waits for the trials in progress.
    let child = start_run(
        None,
        out,
        &[
            "--trials",
            "20",
            "--set",
            "referrals.community.per_week=120000",
            "--set",
            SLOW_NAME,
        ],
        Duration::from_millis(100),
    );
    signal(&child, "-INT");
    std::thread::sleep(Duration::from_millis(200));
    signal(&child, "-INT");
    let (code, stderr, took) = wait_exit(child, Duration::from_secs(60));
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        took < Duration::from_secs(1),
        "quit {took:?} after the second Ctrl-C"
    );
    assert_eq!(
        names(out),
        ["midsize-adult-iop.interrupted.json"],
        "no staging directory may be left"
    );
    let rec = json(&out.join("midsize-adult-iop.interrupted.json"));
    assert_eq!(rec["status"], "interrupted");
    assert_eq!(rec["trials_requested"], 20);
}

#[cfg(unix)]
#[test]
fn a_run_under_nohup_survives_a_hangup() {
    if !Path::new("/usr/bin/nohup").exists() && !Path::new("/bin/nohup").exists() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let child = start_run(
        Some("nohup"),
        out,
        &["--trials", "24", "--set", SLOW_TRIALS, "--set", SLOW_NAME],
        Duration::from_millis(100),
    );
    signal(&child, "-HUP");
    let (code, stderr, _) = wait_exit(child, Duration::from_secs(120));
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(names(out), ["midsize-adult-iop"]);
    let rec = json(&out.join("midsize-adult-iop/run.json"));
    assert_eq!(rec["status"], "complete");
    assert_eq!(rec["trials_done"], 24);
}

#[test]
fn a_kill_between_the_two_renames_is_restored_before_the_owner_check() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let results = out.join("midsize-adult-iop");
    let a = tmp.path().join("a.toml");
    let b = tmp.path().join("b.toml");
    fs::write(&a, DEFAULT_TOML).unwrap();
    fs::write(
        &b,
        DEFAULT_TOML.replace("group_size = 12", "group_size = 10"),
    )
    .unwrap();
    let run = |file: &Path| {
        let mut c = iopsim();
        c.args(["run", "--trials", "5", "--quiet", "--no-plots", "--out"])
            .arg(&out)
            .arg(file);
        c.assert()
    };
    run(&a).success();
    let first = snapshot(&results);
    // What a run of a killed between the two renames of its swap leaves:
    // the results set aside under the dead process's pid, no folder.
    fs::rename(&results, out.join(".midsize-adult-iop.old-4194305")).unwrap();
    run(&b)
        .code(1)
        .stderr(predicate::str::contains("another scenario file"))
        .stderr(predicate::str::contains("--force"));
    assert_eq!(snapshot(&results), first, "a's results are back, untouched");
    assert_eq!(names(&out), ["midsize-adult-iop"]);
}

/// Runs `iopsim ARGS`, which must be refused before simulating anything:
/// the trials asked for would take far longer than the time allowed.
fn refused(args: &[&str], out: &Path, message: &str) {
    iopsim()
        .args(args)
        .args(["--trials", "10000000", "--quiet", "--out"])
        .arg(out)
        .timeout(Duration::from_secs(30))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(message))
        .stderr(predicate::str::contains("--force"));
}

#[test]
fn sweep_size_and_compare_own_their_folders_and_check_before_simulating() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let a = tmp.path().join("a.toml");
    let b = tmp.path().join("b.toml");
    fs::write(&a, DEFAULT_TOML).unwrap();
    fs::write(
        &b,
        DEFAULT_TOML.replace("group_size = 12", "group_size = 10"),
    )
    .unwrap();
    let (a_s, b_s) = (a.to_str().unwrap(), b.to_str().unwrap());
    let vary = "--vary=units.iop.tracks.evening.group_size=10,12";
    let target = "--target=iop.reneged mean <= 1000";
    let ok = |args: &[&str]| {
        iopsim()
            .args(args)
            .args(["--trials", "3", "--quiet", "--out"])
            .arg(&out)
            .assert()
            .success();
    };
    // A user's own folder is never replaced.
    for (dir, args) in [
        ("size-midsize-adult-iop", vec!["size", a_s, vary, target]),
        ("sweep-midsize-adult-iop", vec!["sweep", a_s, vary]),
        (
            "compare-midsize-adult-iop-vs-midsize-adult-iop-2",
            vec!["compare", a_s, b_s],
        ),
    ] {
        let mine = out.join(dir);
        fs::create_dir_all(&mine).unwrap();
        fs::write(mine.join("notes.txt"), "my own notes").unwrap();
        refused(&args, &out, "not written by");
        assert_eq!(names(&mine), ["notes.txt"], "{dir}");
        let mut forced = args.clone();
        forced.push("--force");
        ok(&forced);
        assert_eq!(json(&mine.join("run.json"))["command"], args[0]);
        // The same command on the same scenario replaces its own output ...
        ok(&args);
    }
    // ... another scenario file of the same name does not ...
    refused(&["sweep", b_s, vary], &out, "another scenario file");
    refused(&["size", b_s, vary, target], &out, "another scenario file");
    refused(&["compare", b_s, a_s], &out, "another scenario file");
    // ... nor another command: a run of a scenario named like a sweep.
    refused(
        &["run", a_s, "--set", "name=sweep-midsize-adult-iop"],
        &out,
        "`iopsim sweep`",
    );
    assert_eq!(
        json(&out.join("sweep-midsize-adult-iop/run.json"))["source"],
        fs::canonicalize(&a).unwrap().to_str().unwrap()
    );
}

#[test]
fn validate_does_not_replace_a_run_of_a_scenario_named_validation() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    iopsim()
        .args(["run", "--trials", "3", "--quiet", "--no-plots"])
        .args(["--set", "name=validation", "--out"])
        .arg(out)
        .assert()
        .success();
    let results = out.join("validation");
    let before = snapshot(&results);
    let assert = iopsim()
        .args(["validate", "--out"])
        .arg(out)
        .timeout(Duration::from_secs(30))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("`iopsim run`"))
        .stderr(predicate::str::contains("--force"));
    // Refused before the first case ran ("[1/N] case" on stderr).
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(!stderr.contains("[1/"), "{stderr}");
    assert_eq!(snapshot(&results), before);
}

#[test]
fn a_stop_request_ends_the_run_after_the_trials_in_progress_with_a_prefix_written() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let s = default_with(&["simulation.trials=100000"]);
    let stop = AtomicBool::new(false);
    let mut seen = Vec::new();
    let err = trials::run_until(
        &s,
        &RunOptions { threads: 2 },
        &stop,
        &mut |trial, _| {
            seen.push(trial);
            if trial == 10 {
                stop.store(true, Ordering::Relaxed);
            }
            Ok(())
        },
        &mut |_| {},
    )
    .unwrap_err();
    let stopped = err
        .downcast_ref::<trials::Stopped>()
        .expect("a Stopped error");
    // The chunk being folded is finished (64 trials); of the chunk in
    // flight, only the trials already started.
    assert_eq!(seen, (0..stopped.done).collect::<Vec<_>>());
    assert!(
        stopped.done >= 64 && stopped.done < 3 * 64,
        "{}",
        stopped.done
    );
}
