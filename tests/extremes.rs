//! Inputs of extreme magnitude and size: every one is refused with a
//! problem that names the key (or file), the limit and the value, or runs
//! correctly in bounded time. Never a panic, a hang or a silently empty
//! referral stream. Each test here is a row of the input-classes table in
//! `docs/robustness.md`; the limits are in `iopsim::scenario::limits`.

use std::fmt::Write as _;
use std::fs;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use iopsim::engine::time::DAY;
use iopsim::model::capacity;
use iopsim::model::program::expected_referrals;
use iopsim::model::Program;
use iopsim::report::csv::{summary_csv, weekly_csv};
use iopsim::scenario::limits::*;
use iopsim::scenario::{load_file, load_str, Scenario, ScenarioError, DEFAULT_TOML};
use iopsim::trials::{self, RunOptions};
use predicates::prelude::*;

fn load(sets: &[&str]) -> Result<Scenario, ScenarioError> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    load_str(DEFAULT_TOML, "default", &sets)
}

/// The problems of a scenario that must not load, one string each.
fn problems(sets: &[&str]) -> Vec<String> {
    match load(sets) {
        Err(ScenarioError::Invalid { problems, .. }) => {
            problems.iter().map(|p| p.to_string()).collect()
        }
        Err(other) => panic!("expected problems, got {other}"),
        Ok(_) => panic!("expected problems; {sets:?} loaded"),
    }
}

fn has(problems: &[String], start: &str) -> bool {
    problems.iter().any(|p| p.starts_with(start))
}

fn iopsim() -> Command {
    Command::cargo_bin("iopsim").unwrap()
}

/// Runs `f` on its own thread and fails if it takes longer than `limit`
/// (a hang shows up as a failure naming the case, not a stuck suite).
fn within<T: Send + 'static>(
    limit: Duration,
    case: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{case}: still running after {limit:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{case}: panicked (see above)"),
    }
}

// ---- 2. sums that overflow -------------------------------------------------

#[test]
fn empirical_weights_whose_sum_overflows_are_a_problem_not_a_panic() {
    let set = "units.iop.waitlist.patience={ dist = \"empirical\", values = [1, 2], weights = [1e308, 1e308] }";
    let p = problems(&[set]);
    assert_eq!(
        p,
        ["units[0].waitlist.patience.weights: sum to inf (each is finite, together they overflow); scale them down: only their ratios matter"]
    );
    // The same through the binary, for check and run: exit 2, nothing written.
    let tmp = tempfile::tempdir().unwrap();
    for cmd in ["check", "run"] {
        iopsim()
            .args([cmd, "--set", set])
            .current_dir(tmp.path())
            .timeout(Duration::from_secs(30))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("patience.weights: sum to inf"));
    }
    assert_eq!(
        fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "nothing written"
    );
    // A mean that overflows though each value is finite.
    let p = problems(&["units.iop.episode={ dist = \"empirical\", values = [1e308, 1e308] }"]);
    assert!(has(&p, "units[0].episode: its mean overflows"), "{p:?}");
}

#[test]
fn weekday_weights_that_overflow_are_refused_not_a_silently_empty_stream() {
    // On the old code this ran with exit 0 and 0 referrals from the stream,
    // while check estimated 1.37 admissions a week from it.
    for weights in ["[1e308, 1, 1, 1, 1, 1, 1]", "[1e308, 1e308, 1, 1, 1, 1, 1]"] {
        let set = format!("referrals.community.weekdays={weights}");
        let p = problems(&[&set]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with(
                "referrals[2].weekdays: weights up to 1e308 overflow when spread over the week"
            ),
            "{p:?}"
        );
    }
    // Huge but harmless weights: only their ratios matter.
    let s =
        load(&["referrals.community.weekdays=[1e300, 1e300, 1e300, 1e300, 1e300, 0, 0]"]).unwrap();
    let r = &s.referrals[2];
    let p = Program::new(&s);
    let simulated: f64 = p.streams[2].rate_per_sec.iter().sum::<f64>() * DAY as f64;
    let expected = expected_referrals(r, &p.calendar);
    assert!(expected > 100.0 && (simulated / expected - 1.0).abs() < 1e-9);
}

// ---- 4. rates that never end and estimates that loop -----------------------

#[test]
fn rates_that_overflow_over_the_horizon_are_refused() {
    for (set, start) in [
        (
            "referrals.community.per_week=1e308",
            "referrals[2]: per_week = 1e308 with month factors up to 1.15 and a growth factor of 1 by the last day gives inf expected referrals over the 78 weeks simulated; at most 1e7 a trial",
        ),
        (
            "referrals.community.months=[1e308, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]",
            "referrals[2]: per_week = 1.9 with month factors up to 1e308",
        ),
        (
            "referrals.community.growth_per_year=1e308",
            "referrals[2]: per_week = 1.9 with month factors up to 1.15 and a growth factor of 1.27e306 by the last day gives 1.79e305 expected referrals",
        ),
        (
            // Growth that overflows the factor itself over 100 years.
            "referrals.community.growth_per_year=1e10",
            "referrals[2].growth_per_year: a yearly growth of 1e10 compounds to inf",
        ),
        (
            // Finite, but past the limit on referrals.
            "referrals.community.per_week=200000",
            "referrals[2]: per_week = 200000 with month factors up to 1.15 and a growth factor of 1 by the last day gives 1.55e7 expected referrals",
        ),
    ] {
        let mut sets = vec![set];
        if set.ends_with("1e10") {
            sets.push("simulation.weeks=5000");
        }
        let p = problems(&sets);
        assert_eq!(p.len(), 1, "{set}: {p:?}");
        assert!(p[0].starts_with(start), "{set}:\n{}\n{start}", p[0]);
    }
    // Streams each under the limit but over it together.
    let p = problems(&[
        "referrals.community.per_week=70000",
        "referrals.php-stepdown.per_week=70000",
    ]);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with("referrals: the streams together give 1.09e7 expected referrals"),
        "{p:?}"
    );
}

#[test]
fn check_estimates_are_bounded_for_episodes_without_end() {
    // Each of these looped week by week to the mean episode length in the
    // old `capacity::estimate`: minutes to hours (270 s for attendance 0).
    for sets in [
        vec!["units.iop.episode={ dist = \"fixed\", value = 1e12 }"],
        vec!["units.iop.episode={ dist = \"fixed\", value = 1e300 }"],
        vec![
            "units.iop.episode={ sessions = 36 }",
            "units.iop.attendance=0",
        ],
        vec!["units.iop.episode={ weeks = 4294967295 }"],
        vec![
            "units.iop.episode={ weeks = 4294967295 }",
            "units.iop.dropout_weekly=[]",
            "units.iop.stepup_weekly=0",
        ],
    ] {
        let s = load(&sets).unwrap_or_else(|e| panic!("{sets:?}: {e}"));
        let est = within(Duration::from_secs(2), &format!("{sets:?}"), move || {
            (capacity::estimate(&s), capacity::work(&s))
        });
        let (units, work) = est;
        assert!(units[0].mean_stay_days > 0.0, "{sets:?}: {units:?}");
        assert!(work.events.is_finite(), "{sets:?}: {work:?}");
    }
    // The closed form agrees with the week-by-week sums where both apply:
    // no dropout after week 5 of a 10,000-week episode.
    let s = load(&[
        "units.iop.episode={ weeks = 10000 }",
        "units.iop.dropout_weekly=[0.08, 0.08, 0.05, 0.05, 0.0]",
        "units.iop.stepup_weekly=0",
    ])
    .unwrap();
    let stay = capacity::estimate(&s)[0].mean_stay_days;
    let survive = 0.92f64 * 0.92 * 0.95 * 0.95;
    let head = 7.0 * (0.96 + 0.92 * 0.96 + 0.92 * 0.92 * 0.975 + 0.92 * 0.92 * 0.95 * 0.975);
    let by_hand = head + survive * 7.0 * (10_000.0 - 4.0);
    assert!((stay / by_hand - 1.0).abs() < 1e-9, "{stay} vs {by_hand}");
}

#[test]
fn a_trial_with_more_events_than_the_limit_is_refused() {
    // Under the limit on referrals, but a million places full for 100 years.
    let p = problems(&[
        "simulation.weeks=5000",
        "referrals.community.per_week=1500",
        "units.iop.episode={ weeks = 1000 }",
        "units.iop.dropout_weekly=[]",
        "units.iop.stepup_weekly=0",
        "units.iop.phases=[]",
        "units.iop.tracks.morning.groups=1000",
        "units.iop.tracks.evening.groups=1000",
        "units.iop.tracks.morning.group_size=1000",
        "units.iop.tracks.evening.group_size=1000",
        "rooms.group-room.seats=1000",
        "rooms.group-room.count=1000",
    ]);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with(
            "simulation.weeks: a trial of 5026 weeks (with warm-up) is expected to take about"
        ) && p[0].contains("at most 1e9 events a trial are simulated"),
        "{p:?}"
    );
}

#[test]
fn a_long_run_is_announced_with_its_cost_but_not_refused() {
    // The default takes about 2,900 events a trial: a million trials is
    // minutes of work.
    iopsim()
        .args(["check", "--set", "simulation.trials=1000000"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "warning: a long run: about 2858 events a trial (303 referrals) x 1000000 trials, roughly 16 min on one core",
        ));
    let s = load(&[]).unwrap();
    assert_eq!(
        capacity::run_cost_warning(&s),
        None,
        "1,000 trials are quick"
    );
}

// ---- 7. unbounded work: counts and files -----------------------------------

/// The default scenario with `n` more tables of `section` appended.
fn with_tables(base: &str, section: &str, body: impl Fn(usize) -> String, n: usize) -> String {
    let mut text = base.to_string();
    for i in 0..n {
        write!(text, "\n[[{section}]]\n{}\n", body(i)).unwrap();
    }
    text
}

#[test]
fn counts_past_their_limits_are_all_reported_at_once() {
    let units = with_tables(
        DEFAULT_TOML,
        "units",
        |i| {
            format!("name = \"beds{i}\"\nkind = \"beds\"\ncapacity = 1\nstay = {{ dist = \"fixed\", value = 1 }}")
        },
        MAX_UNITS,
    );
    let streams = with_tables(
        &units,
        "referrals",
        |i| format!("name = \"s{i}\"\nto = \"iop\"\nper_week = 0"),
        MAX_REFERRAL_STREAMS,
    );
    let mut text = streams.replace(
        "holidays = []",
        &format!(
            "holidays = [{}]",
            vec!["\"2027-12-24\""; MAX_HOLIDAYS + 1].join(", ")
        ),
    );
    // 199 more tracks on the iop (201 in all); moved behind the `[[units]]` tables above.
    let tracks: String = (0..MAX_TRACKS - 1)
        .map(|i| format!("\n[[units.tracks]]\nname = \"t{i}\"\ndays = [\"wed\"]\nstart = \"08:00\"\nhours = 1\ngroup_size = 5\n"))
        .collect();
    text = text.replacen(
        "\n[[units.tracks]]\nname = \"evening\"",
        &format!("{tracks}\n[[units.tracks]]\nname = \"evening\""),
        1,
    );
    let phases: Vec<String> = (0..=MAX_PHASES)
        .map(|k| format!("{{ from_week = {}, sessions_per_week = 1 }}", k + 2))
        .collect();
    text = text.replace(
        "phases = [{ from_week = 9, sessions_per_week = 2 }]",
        &format!("phases = [{}]", phases.join(", ")),
    );
    let sets: Vec<String> = [
        "units.iop.tracks.morning.groups=1001",
        "units.iop.tracks.evening.group_size=1001",
        "units.beds0.capacity=1000001",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let started = Instant::now();
    let err = load_str(&text, "big.toml", &sets).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let p: Vec<String> = err.problems().iter().map(|p| p.to_string()).collect();
    for start in [
        "units: 51 units; at most 50 are allowed",
        "referrals: 103 referral streams; at most 100 are allowed",
        "calendar.holidays: 40001 holidays; at most 40000 are allowed",
        "units[0].phases: 101 phases; at most 100 are allowed",
        "units[0].tracks[0].groups: must be an integer <= 1000, got 1001",
        "units[0].tracks[200].group_size: must be an integer <= 1000, got 1001",
        "units[1].capacity: must be an integer <= 1000000, got 1000001",
        "units[0].tracks: 201 tracks in units[0..=0]; at most 200 are allowed in all units together",
    ] {
        assert!(has(&p, start), "missing {start}\nin {p:#?}");
    }
}

#[test]
fn files_are_read_with_a_size_cap_and_only_if_regular() {
    let tmp = tempfile::tempdir().unwrap();
    // The scenario file: too big (a 52 MB holiday list took 2.3 GB).
    let big = tmp.path().join("big.toml");
    let pad = "#".repeat(MAX_SCENARIO_FILE_BYTES as usize);
    fs::write(&big, format!("{DEFAULT_TOML}\n{pad}\n")).unwrap();
    let err = load_file(&big, &[]).unwrap_err();
    assert!(matches!(err, ScenarioError::Io { .. }), "{err}");
    let out = tmp.path().join("out");
    for (file, says) in [
        (
            big.as_path(),
            format!("more than the limit of {MAX_SCENARIO_FILE_BYTES} bytes"),
        ),
        (
            std::path::Path::new("/dev/zero"),
            "it is not a regular file".to_string(),
        ),
        (tmp.path(), "it is a directory".to_string()),
    ] {
        iopsim()
            .args(["run", "--quiet", "--out"])
            .arg(&out)
            .arg(file)
            .timeout(Duration::from_secs(30))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "error: cannot read scenario file {}: ",
                file.display()
            )))
            .stderr(predicate::str::contains(says));
    }
    assert!(!out.exists(), "nothing written");
    // The initial patients CSV: a device would be read until memory runs out.
    let csv = tmp.path().join("big.csv");
    fs::write(
        &csv,
        "unit,status,count\n".repeat(1 + (MAX_INITIAL_CSV_BYTES as usize) / 18),
    )
    .unwrap();
    for (file, says) in [
        (
            "/dev/zero".to_string(),
            "it is not a regular file".to_string(),
        ),
        (
            csv.display().to_string(),
            format!("more than the limit of {MAX_INITIAL_CSV_BYTES} bytes"),
        ),
    ] {
        let set = format!("initial.patients_csv={}", toml::Value::String(file.clone()));
        let p = within(Duration::from_secs(10), &set.clone(), move || {
            problems(&[&set])
        });
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with(&format!("initial.patients_csv: cannot read {file}: "))
                && p[0].contains(&says),
            "{p:?}"
        );
    }
}

// ---- 8. what reaches the terminal ------------------------------------------

#[test]
fn control_characters_in_rejected_names_are_escaped() {
    let name = "a\u{1b}[2J\u{7}b";
    iopsim()
        .args(["check", "--set", &format!("name={name}")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            r"name: 'a\u{1b}[2J\u{7}b' is not a safe name",
        ))
        .stderr(predicate::str::contains('\u{1b}').not())
        .stderr(predicate::str::contains('\u{7}').not());
    // Other names may not hold control characters at all: they are printed
    // and written to CSV files.
    let p = problems(&[
        "units.0.name=\"io\\u0007p\"",
        "referrals.0.to=\"io\\u0007p\"",
    ]);
    assert!(
        has(
            &p,
            r"units[0].name: 'io\u{7}p' contains a control character"
        ),
        "{p:?}"
    );
}

// ---- every numeric key at every magnitude -----------------------------------

/// The dotted `--set` keys of every number in `value` (array elements by index).
fn numeric_keys(prefix: &str, value: &toml::Value, out: &mut Vec<String>) {
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match value {
        toml::Value::Integer(_) | toml::Value::Float(_) => out.push(prefix.to_string()),
        toml::Value::Table(t) => t.iter().for_each(|(k, v)| numeric_keys(&join(k), v, out)),
        toml::Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| numeric_keys(&join(&i.to_string()), v, out)),
        _ => {}
    }
}

const MAGNITUDES: [&str; 10] = [
    "1e-308",
    "1e-10",
    "0",
    "1",
    "1e10",
    "1e308",
    "-1",
    "-1e308",
    "18446744073709551615",
    "1e19",
];

/// One case: load, estimate as `check` does, and run 2 trials of 12 weeks
/// (no warm-up) through the whole results path. Returns a failure, if any.
fn extreme_case(key: &str, value: &str) -> Option<String> {
    let sets: Vec<String> = [
        "simulation.trials=2",
        "simulation.weeks=12",
        "simulation.warmup_weeks=0",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("{key}={value}")])
    .collect();
    let Ok(s) = load_str(DEFAULT_TOML, "default", &sets) else {
        return None; // refused with a message: fine
    };
    let _ = capacity::estimate(&s);
    let _ = capacity::run_cost_warning(&s);
    let program = Program::new(&s);
    // Every stream runs at the rate validation bounded: nothing dropped.
    for (r, plan) in s.referrals.iter().zip(&program.streams) {
        let expected = expected_referrals(r, &program.calendar);
        let simulated = plan.rate_per_sec.iter().sum::<f64>() * DAY as f64;
        let off = (simulated / expected - 1.0).abs();
        if expected > 1e-300 && (off.is_nan() || off >= 1e-9) {
            return Some(format!(
                "stream {}: {expected} referrals expected, {simulated} simulated",
                r.name
            ));
        }
    }
    let expected: f64 = capacity::work(&s).referrals * f64::from(s.simulation.trials);
    let r = trials::run(
        &s,
        &RunOptions { threads: 1 },
        &mut |_, _| Ok(()),
        &mut |_| {},
    )
    .map_err(|e| e.to_string())
    .ok()?;
    summary_csv(&r).ok()?;
    weekly_csv(&r).ok()?;
    let seen = r
        .summary_of("iop.referrals")
        .map_or(0.0, |m| m.mean * r.trials as f64);
    // Poisson: far outside 8 standard deviations is a stream gone wrong.
    if (seen - expected).abs() > 8.0 * expected.sqrt() + 8.0 {
        return Some(format!("{seen} referrals in the run, {expected} expected"));
    }
    None
}

#[test]
fn every_numeric_key_at_every_magnitude_loads_or_is_refused_and_runs_correctly() {
    let doc: toml::Value = toml::from_str(DEFAULT_TOML).unwrap();
    let mut keys = Vec::new();
    numeric_keys("", &doc, &mut keys);
    assert!(keys.len() > 60, "{keys:?}");
    assert!(keys.contains(&"referrals.0.weekdays.4".to_string()));
    assert!(keys.contains(&"finance.payers.1.per_day".to_string()));
    let started = Instant::now();
    let mut failures = Vec::new();
    for key in &keys {
        for value in MAGNITUDES {
            let (k, v) = (key.clone(), value.to_string());
            let case = format!("--set {key}={value}");
            if let Some(f) = within(Duration::from_secs(10), &case, move || extreme_case(&k, &v)) {
                failures.push(format!("{case}: {f}"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    eprintln!(
        "{} keys x {} magnitudes in {:.1} s",
        keys.len(),
        MAGNITUDES.len(),
        started.elapsed().as_secs_f64()
    );
}

/// Two bed units that send every leaver to each other; `{STAY}` is both
/// units' stay.
const INSTANT_CYCLE: &str = r#"
name = "instant-cycle"
[simulation]
start_date = "2027-01-04"
weeks = 4
trials = 2
[[referrals]]
name = "in"
to = "a"
per_week = 2
[[units]]
name = "a"
kind = "beds"
capacity = 1
stay = {STAY}
on_discharge = { b = {SHARE} }
[[units]]
name = "b"
kind = "beds"
capacity = 1
stay = {STAY}
on_discharge = { a = 1.0 }
"#;

#[test]
fn a_cycle_of_instant_stays_is_refused_not_a_hang() {
    let text = |stay: &str, share: &str| {
        INSTANT_CYCLE
            .replace("{STAY}", stay)
            .replace("{SHARE}", share)
    };
    // Stays that round to 0 seconds, certainly or almost: refused. Before,
    // `check` passed and `run` never ended.
    for stay in [
        "{ dist = \"fixed\", value = 0 }",
        "{ dist = \"exponential\", mean = 1e-10 }",
        "{ dist = \"empirical\", values = [0, 3], weights = [1e9, 1] }",
    ] {
        let e = load_str(&text(stay, "1.0"), "test", &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("units[0].stay: stays in a end at the instant they begin")
                && e.contains("(through a, b)")
                && e.contains("give a stay a length, or the cycle an exit"),
            "{stay}: {e}"
        );
    }
    // The same through the binary: exit 2 within the time limit, nothing written.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cycle.toml");
    std::fs::write(&file, text("{ dist = \"fixed\", value = 0 }", "1.0")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_iopsim"))
        .args(["run", file.to_str().unwrap(), "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.path().join("out").exists());
    // An exit from the cycle (half of a's leavers go home) bounds the
    // instant stays (4 a patient): allowed, and it runs.
    let s = load_str(&text("{ dist = \"fixed\", value = 0 }", "0.5"), "test", &[]).unwrap();
    let r = iopsim::model::run_trial(&iopsim::model::Program::new(&s), 1, 0);
    assert!(r.units[0].all.referrals > 0);
    // Stays with a length are not instant, whatever the routing.
    load_str(&text("{ dist = \"fixed\", value = 1 }", "1.0"), "test", &[]).unwrap();
}
