//! The decision commands (compare, sweep, size) and the `[initial]` state:
//! exact zeros where nothing differs, the narrowing that pairing buys, a
//! sizing answer queueing theory knows, complete sweep grids, and an
//! initial census that drains exactly as the episode rules say.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use iopsim::decide::compare::{compare, Paired};
use iopsim::decide::size::{parse_target, size};
use iopsim::decide::sweep::{parse_vary, Vary};
use iopsim::decide::{self, direction, Direction};
use iopsim::model::{run_trial, Program};
use iopsim::scenario::{load_file, load_str, Scenario, ScenarioError, DEFAULT_TOML};
use iopsim::stats::t95;

fn iopsim() -> Command {
    Command::cargo_bin("iopsim").unwrap()
}

fn load(text: &str, sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    load_str(text, "test", &sets).unwrap_or_else(|e| panic!("{e}"))
}

fn problems(text: &str) -> Vec<String> {
    match load_str(text, "test", &[]) {
        Err(ScenarioError::Invalid { problems, .. }) => {
            problems.iter().map(|p| p.to_string()).collect()
        }
        Err(other) => panic!("expected Invalid, got {other}"),
        Ok(_) => panic!("expected problems, the scenario loaded"),
    }
}

/// The default program over half a year, few trials: quick, and busy enough
/// for waits to respond to capacity.
const SHORT: [&str; 3] = [
    "simulation.weeks=26",
    "simulation.trials=60",
    "referrals.community.per_week=2.5",
];

// ---- compare ----------------------------------------------------------------

#[test]
fn a_scenario_compared_with_itself_differs_by_exactly_zero() {
    let s = load(DEFAULT_TOML, &SHORT);
    let runs = [
        decide::run(&s, 2, true, "a", true).unwrap(),
        decide::run(&s, 1, true, "b", true).unwrap(),
    ];
    let c = compare(&["a".into(), "b".into()], &[&runs[0], &runs[1]]);
    assert_eq!(c.rows.len(), runs[0].results.summary_names.len());
    assert!(c.not_compared.is_empty());
    for r in &c.rows {
        let p = &r.paired;
        assert_eq!(p.diff.mean, 0.0, "{}", r.metric);
        assert_eq!(
            (p.diff.ci95_low, p.diff.ci95_high),
            (0.0, 0.0),
            "{}",
            r.metric
        );
        assert_eq!(p.share_greater, 0.0, "{}", r.metric);
        if r.direction != Direction::Neutral {
            assert_eq!(p.share_better, 0.0, "{}", r.metric);
        }
    }
    // Waits exist in every trial of this busy program.
    let wait = c.rows.iter().find(|r| r.metric == "iop.wait_days").unwrap();
    assert_eq!(wait.paired.n, 60);
}

/// The decision consoles print figures as the pages do: shares in %, their
/// differences in percentage points, money grouped.
#[test]
fn decision_consoles_use_the_pages_forms() {
    let tmp = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let b = tmp.path().join("b.toml");
    fs::copy(root.join("docs/examples/five-short-days.toml"), &b).unwrap();
    let out = iopsim()
        .current_dir(tmp.path())
        .args(["compare", "--trials", "20", "-q"])
        .arg(root.join("scenarios/default.toml"))
        .arg(&b)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let line = |m: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{m} ")))
            .unwrap_or_else(|| panic!("no {m} in {text}"))
            .to_string()
    };
    let util = line("iop.seat_utilization");
    assert!(util.contains('%') && util.contains(" pp ["), "{util}");
    let net = line("finance.net_per_week");
    assert!(net.contains(','), "money grouped: {net}");
    let sweep = iopsim()
        .current_dir(tmp.path())
        .args([
            "sweep",
            "--trials",
            "20",
            "-q",
            "--vary",
            "units.iop.tracks.evening.group_size=11..12",
            "--metric",
            "iop.seat_utilization",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(sweep.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("12") && l.contains("% [")),
        "{text}"
    );
}

#[test]
fn compare_cli_writes_zero_differences_and_overlay_plots() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a.toml");
    fs::write(&file, DEFAULT_TOML).unwrap();
    iopsim()
        .current_dir(tmp.path())
        .args([
            "compare", "a.toml", "a.toml", "--trials", "20", "--weeks", "13", "-q",
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains("0 (identical)"));
    let out = tmp
        .path()
        .join("output/compare-midsize-adult-iop-vs-midsize-adult-iop-2");
    let text = fs::read_to_string(out.join("compare.csv")).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with(
        "baseline,alternative,metric,better,n,baseline_mean,alternative_mean,diff_mean,diff_ci95_low,diff_ci95_high"
    ));
    let mut rows = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f[1], "midsize-adult-iop-2");
        for col in [7, 8, 9] {
            assert!(f[col].is_empty() || f[col] == "0", "{line}");
        }
        rows += 1;
    }
    assert!(rows > 20);
    for f in ["compare-iop_census.png", "compare-iop_waitlist.svg"] {
        assert!(out.join(f).is_file(), "{f}");
    }
}

/// Common random numbers: the same seed pairs every trial of the baseline
/// with the same referrals and patient draws in the alternative, so the
/// noise common to both cancels in the difference. The alternative here is
/// the researcher's engagement intervention (early dropout cut by a fifth);
/// against independent runs (a different seed for the alternative) the 95%
/// interval of the mean difference is several times narrower: about 4-6x
/// for census, completions and staff hours (the ratios are printed; run
/// with --nocapture to see them).
#[test]
fn pairing_narrows_the_interval_of_a_difference() {
    let base = load(DEFAULT_TOML, &SHORT);
    let mut alt_sets = SHORT.to_vec();
    alt_sets.push("units.iop.dropout_weekly=[0.064, 0.064, 0.04, 0.04, 0.025]");
    let alt = load(DEFAULT_TOML, &alt_sets);
    alt_sets.push("simulation.seed=2");
    let alt_independent = load(DEFAULT_TOML, &alt_sets);
    let rb = decide::run(&base, 0, true, "base", true).unwrap();
    let ra = decide::run(&alt, 0, true, "alt", true).unwrap();
    let ri = decide::run(&alt_independent, 0, true, "alt seed 2", true).unwrap();
    for metric in [
        "iop.census",
        "iop.completed",
        "iop.reneged",
        "staff.therapist.hours_per_week",
    ] {
        let b = rb.column(metric).unwrap();
        let paired = Paired::of(&b, &ra.column(metric).unwrap(), direction(metric));
        let indep = ri.column(metric).unwrap();
        let var = |x: &[f64]| {
            let m = x.iter().sum::<f64>() / x.len() as f64;
            x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64
        };
        let n = b.len() as f64;
        let independent_half = t95(2 * b.len() - 2) * ((var(&b) + var(&indep)) / n).sqrt();
        let ratio = independent_half / paired.half();
        eprintln!(
            "{metric}: paired 95% CI half-width {:.4}, independent runs {:.4}: {:.1} times narrower \
             (estimated from the paired runs alone: {:.1})",
            paired.half(),
            independent_half,
            ratio,
            paired.narrowing()
        );
        assert!(ratio > 3.0, "{metric}: only {ratio:.2} times narrower");
    }
}

// ---- sweep ------------------------------------------------------------------

#[test]
fn sweep_grid_has_every_point_and_metric() {
    let tmp = tempfile::tempdir().unwrap();
    iopsim()
        .current_dir(tmp.path())
        .args([
            "sweep",
            "--vary",
            "units.iop.tracks.evening.groups=1..2",
            "--vary",
            "staff.therapist.fte=1.5..2.5:0.5",
            "--set",
            "rooms.group-room.count=2",
            "--trials",
            "8",
            "--weeks",
            "8",
            "-q",
        ])
        .assert()
        .success();
    let out = tmp.path().join("output/sweep-midsize-adult-iop");
    let text = fs::read_to_string(out.join("sweep.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "units.iop.tracks.evening.groups,staff.therapist.fte,metric,n,mean,ci95_low,ci95_high,p5,p50,p95,diff_vs_first_mean,diff_vs_first_ci95_low,diff_vs_first_ci95_high"
    );
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let metrics = iopsim::model::result::summary_names(&load(DEFAULT_TOML, &[]));
    let mut expected = Vec::new();
    for g in ["1", "2"] {
        for fte in ["1.5", "2.0", "2.5"] {
            for m in &metrics {
                expected.push((g.to_string(), fte.to_string(), m.clone()));
            }
        }
    }
    let got: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
        .collect();
    assert_eq!(got, expected, "one row per point and metric, in grid order");
    // The staff on hand changes only the shortfall, never the hours needed
    // (common random numbers: identical histories at every FTE).
    let hours: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[0] == "1" && r[2] == "staff.therapist.hours_per_week")
        .collect();
    assert_eq!(hours.len(), 3);
    assert!(hours.iter().all(|r| r[4] == hours[0][4]));
    assert!(out.join("sweep-iop_wait_days_p90.png").is_file());
}

// ---- size -------------------------------------------------------------------

/// Erlang C: P(wait) in M/M/c with offered load a < c.
fn erlang_c(c: u32, a: f64) -> f64 {
    let mut b = 1.0; // Erlang B by recursion
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    let c = f64::from(c);
    c * b / (c - a * (1.0 - b))
}

/// Mean wait in queue of M/M/c (days, mu = 1 per day): C(c, a) / (c - a).
fn mmc_wait(c: u32, a: f64) -> f64 {
    if a >= f64::from(c) {
        f64::INFINITY
    } else {
        erlang_c(c, a) / (f64::from(c) - a)
    }
}

#[test]
fn size_finds_the_erlang_c_answer() {
    // Poisson referrals of 4 a day to beds with exponential stays of 1 day
    // and an unlimited waitlist: M/M/c with a = 4. Target: mean wait at most
    // 0.08 days. Theory: Wq(6) = 0.142, Wq(7) = 0.045, so c = 7.
    let a = 4.0;
    let bound = 0.08;
    let theory = (1..=12).find(|&c| mmc_wait(c, a) <= bound).unwrap();
    assert_eq!(theory, 7);
    assert!(mmc_wait(6, a) > 1.5 * bound && mmc_wait(7, a) < 0.6 * bound);
    let toml = format!(
        r#"
name = "mmc"
[simulation]
start_date = "2027-01-04"
weeks = 26
warmup_weeks = 2
trials = 30
seed = 3
[[referrals]]
name = "poisson"
to = "beds"
per_week = {}
[[units]]
name = "beds"
kind = "beds"
capacity = 1
stay = {{ dist = "exponential", mean = 1 }}
"#,
        a * 7.0
    );
    let vary: Vary = parse_vary("units.beds.capacity=1..12").unwrap();
    let target = parse_target(&format!("beds.wait_days mean <= {bound}")).unwrap();
    let z = size(vary.clone(), vec![target], 30, 3, |i| {
        let s = load(&toml, &[&format!("units.beds.capacity={}", vary.values[i])]);
        let run = decide::run(&s, 0, true, "", true)?;
        Ok((vec![run.column("beds.wait_days").unwrap()], Vec::new()))
    })
    .unwrap();
    let answer = z.search.answer.map(|i| vary.values[i].as_str());
    assert_eq!(answer, Some("7"), "{}", iopsim::decide::size::report(&z));
    assert!(!z.search.not_monotone);
    // Bisection: far fewer runs than values.
    assert!(z.search.order.len() <= 5, "{:?}", z.search.order);
    // The simulated mean wait at the answer agrees with the formula.
    let at = &z.tried[&6].checks[0];
    assert!(
        (at.estimate - mmc_wait(7, a)).abs() < 0.015,
        "simulated {} vs theory {}",
        at.estimate,
        mmc_wait(7, a)
    );
}

#[test]
fn size_cli_prints_the_answer_and_why_the_value_below_fails() {
    let tmp = tempfile::tempdir().unwrap();
    iopsim()
        .current_dir(tmp.path())
        .args([
            "size",
            "--vary",
            "units.iop.tracks.evening.groups=1..4",
            "--target",
            "iop.wait_days_p90 mean <= 10",
            "--set",
            "rooms.group-room.count=4",
            "--set",
            "referrals.community.per_week=3",
            "--trials",
            "40",
            "--weeks",
            "26",
            "-q",
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "answer: units.iop.tracks.evening.groups = 2",
        ))
        .stdout(predicates::str::contains("why not 1:"))
        .stdout(predicates::str::contains("search: bisection"))
        .stdout(predicates::str::contains("staff.therapist.fte_needed"));
    assert!(tmp
        .path()
        .join("output/size-midsize-adult-iop/size.csv")
        .is_file());
}

#[test]
fn decisions_take_the_per_track_and_per_stream_figures() {
    let tmp = tempfile::tempdir().unwrap();
    // The director's question: how many evening groups for an evening P90
    // wait under a week?
    iopsim()
        .current_dir(tmp.path())
        .args([
            "size",
            "--vary",
            "units.iop.tracks.evening.groups=1..4",
            "--target",
            "iop.evening.wait_days_p90 mean <= 7",
            "--set",
            "rooms.group-room.count=4",
            "--trials",
            "40",
            "--weeks",
            "26",
            "-q",
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains("iop.evening.wait_days_p90"))
        .stdout(predicates::str::contains(
            "answer: units.iop.tracks.evening.groups = 2",
        ));
    // An unknown track's metric is refused with the list of metrics.
    iopsim()
        .current_dir(tmp.path())
        .args([
            "size",
            "--vary",
            "units.iop.tracks.evening.groups=1..2",
            "--target",
            "iop.night.wait_days_p90 mean <= 7",
            "--trials",
            "5",
            "-q",
        ])
        .assert()
        .failure()
        .stderr(predicates::str::contains("iop.night.wait_days_p90"))
        .stderr(predicates::str::contains("iop.evening.wait_days_p90"));
    // compare reports the paired difference of every track and stream figure.
    let a = tmp.path().join("a.toml");
    let b = tmp.path().join("b.toml");
    fs::write(&a, DEFAULT_TOML).unwrap();
    fs::write(
        &b,
        DEFAULT_TOML.replace("name = \"midsize-adult-iop\"", "name = \"fewer-seats\""),
    )
    .unwrap();
    iopsim()
        .current_dir(tmp.path())
        .args([
            "compare",
            "a.toml",
            "b.toml",
            "--trials",
            "10",
            "--weeks",
            "8",
            "-q",
            "--no-plots",
        ])
        .assert()
        .success();
    let dir = fs::read_dir(tmp.path().join("output"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("compare-")
        })
        .unwrap();
    let csv = fs::read_to_string(dir.join("compare.csv")).unwrap();
    for m in [
        "iop.evening.wait_days_p90",
        "stream.community.wait_days",
        "iop.to.outpatient",
    ] {
        assert!(csv.lines().any(|l| l.contains(m)), "{m} not in compare.csv");
    }
}

// ---- the [initial] state ----------------------------------------------------

/// One 30-seat track, fixed 12-week episodes, no dropout, full attendance,
/// and no referrals: only the initial patients.
const DRAIN: &str = r#"
name = "drain"
[simulation]
start_date = "2027-01-04"
weeks = 14
trials = 3
[[units]]
name = "iop"
kind = "sessions"
episode = { weeks = 12 }
attendance = 1.0
[[units.tracks]]
name = "day"
days = ["mon", "tue", "thu"]
start = "10:00"
hours = 3
group_size = 30
"#;

#[test]
fn an_initial_census_drains_exactly_as_the_episodes_say() {
    // Two patients in each week of stay 1..12: those in week k complete
    // exactly 13 - k weeks after start_date.
    let mut toml = DRAIN.to_string();
    for k in 1..=12 {
        toml.push_str(&format!(
            "[[initial.patients]]\nunit = \"iop\"\nweek = {k}\ncount = 2\n"
        ));
    }
    let s = load(&toml, &[]);
    assert_eq!(s.initial.in_care.len(), 24);
    let p = Program::new(&s);
    for t in 0..3 {
        let r = run_trial(&p, s.simulation.seed, t);
        let u = &r.units[0];
        let expected: Vec<f64> = (0..14).map(|w| 2.0 * (12 - w.min(12)) as f64).collect();
        assert_eq!(u.weekly.census, expected);
        assert_eq!(u.counts.completed, 24);
        assert_eq!(u.counts.admitted, 0, "initial patients are not admissions");
        assert_eq!(u.counts.referrals, 0);
        assert_eq!(u.in_care_at_end, 0);
        assert_eq!(
            u.mean_stay_days, 84.0,
            "the stay counts the weeks before start_date"
        );
        // Everyone attends every session they are enrolled for.
        assert_eq!(u.attendance_rate, Some(1.0));
    }
}

#[test]
fn initial_patients_keep_dropout_hazards_by_week_of_stay() {
    // Dropout only in week 1 (certain) and none after: of patients starting
    // in week 1 all drop out within the first week; those in week 2 never do.
    let toml = DRAIN.replace(
        "attendance = 1.0",
        "attendance = 1.0\ndropout_weekly = [1.0, 0.0]",
    ) + "[[initial.patients]]\nunit = \"iop\"\nweek = 1\ncount = 5\n\
         [[initial.patients]]\nunit = \"iop\"\nweek = 2\ncount = 7\n";
    let s = load(&toml, &[]);
    let r = run_trial(&Program::new(&s), 1, 0);
    let u = &r.units[0];
    assert_eq!(u.counts.dropped_out, 5);
    assert_eq!(u.counts.completed, 7);
    assert!(u.weekly.census[0] > 7.0 && u.weekly.census[0] < 12.0);
    assert_eq!(u.weekly.census[1], 7.0);
    assert_eq!(u.weekly.census[10], 7.0);
    assert_eq!(
        u.weekly.census[11], 0.0,
        "week-2 patients complete after 11 more weeks"
    );
}

#[test]
fn initial_waiting_patients_bring_their_wait_and_join_the_next_session() {
    // Three wait 5 days already; the first session is Monday 10:00 on
    // start_date, so each waited 5 days and 10 hours when admitted.
    let toml = DRAIN.to_string()
        + "[[initial.patients]]\nunit = \"iop\"\nstatus = \"waiting\"\ndays_waited = 5\ncount = 3\n";
    let s = load(&toml, &[]);
    let r = run_trial(&Program::new(&s), 1, 0);
    let u = &r.units[0];
    assert_eq!(u.counts.admitted, 3);
    assert_eq!(u.wait_secs.len(), 3);
    for w in u.waits() {
        assert!((w - (5.0 + 10.0 / 24.0)).abs() < 1e-9, "{w}");
    }
    assert_eq!(u.counts.completed, 3, "12 weeks from the first Monday");
}

#[test]
fn initial_patients_leave_referral_streams_untouched() {
    let with_referrals = DEFAULT_TOML.replace("warmup_weeks = 26", "warmup_weeks = 0");
    let plain = load(&with_referrals, &["simulation.weeks=26"]);
    let seeded = load(
        &(with_referrals
            + "[[initial.patients]]\nunit = \"iop\"\ntrack = \"evening\"\nweek = 3\ncount = 6\n\
               [[initial.patients]]\nunit = \"iop\"\nstatus = \"waiting\"\ndays_waited = 2\ncount = 4\n"),
        &["simulation.weeks=26"],
    );
    let (p1, p2) = (Program::new(&plain), Program::new(&seeded));
    for t in 0..5 {
        let a = run_trial(&p1, 1, t);
        let b = run_trial(&p2, 1, t);
        assert_eq!(a.units[0].counts.referrals, b.units[0].counts.referrals);
        assert_eq!(a.units[0].counts.no_shows, b.units[0].counts.no_shows);
        assert!(b.units[0].weekly.census[0] > a.units[0].weekly.census[0]);
    }
}

#[test]
fn initial_state_problems_name_their_keys() {
    let toml = DRAIN.replace("weeks = 14", "weeks = 14\nwarmup_weeks = 4")
        + r#"
[[initial.patients]]
unit = "iopp"
week = 2
[[initial.patients]]
unit = "iop"
track = "night"
week = 2
[[initial.patients]]
unit = "iop"
week = -1
[[initial.patients]]
unit = "iop"
week = 13
[[initial.patients]]
unit = "iop"
status = "waiting"
days_waited = 3
week = 2
[[initial.patients]]
unit = "iop"
admitted = "2027-02-01"
[[initial.patients]]
unit = "iop"
status = "waitng"
[[initial.patients]]
unit = "iop"
week = 1
count = 40
"#;
    let p = problems(&toml);
    for expected in [
        "simulation.warmup_weeks: must be 0 with an [initial] state, got 4",
        "initial.patients[0].unit: no unit named 'iopp'; units are: iop",
        "initial.patients[1].track: no track named 'night' in 'iop'; tracks are: day",
        "initial.patients[2].week: must be an integer >= 1, got -1",
        "initial.patients[3].week: 84 days in care by start_date is past the 12-week episode of 'iop'",
        "initial.patients[4].week: week is for status = \"in_care\"; this row is waiting",
        "initial.patients[5].admitted: 2027-02-01 is after start_date (2027-01-04)",
        "initial.patients[6].status: 'waitng' is not a status; allowed: in_care, waiting",
        "initial: 41 patients in care in 'iop' track 'day', which has 30 seats: 1 group of 30",
    ] {
        assert!(
            p.iter().any(|x| x.starts_with(expected)),
            "missing: {expected}\ngot:\n{}",
            p.join("\n")
        );
    }
}

#[test]
fn initial_patients_from_a_census_csv_next_to_the_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("site");
    fs::create_dir(&dir).unwrap();
    fs::write(
        dir.join("census.csv"),
        "unit,status,track,week,admitted,days_waited\n\
         iop,in_care,day,3,,\n\
         iop,in_care,day,,2026-12-28,\n\
         iop,waiting,,,,4.5\n",
    )
    .unwrap();
    let file = dir.join("s.toml");
    fs::write(
        &file,
        DRAIN.to_string() + "[initial]\npatients_csv = \"census.csv\"\n",
    )
    .unwrap();
    // Loaded from elsewhere: the CSV is found next to the scenario file.
    let s = load_file(Path::new(&file), &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.initial.in_care.len(), 2);
    assert_eq!(s.initial.in_care[0].days_in_care, 14.0);
    assert_eq!(s.initial.in_care[1].days_in_care, 7.0);
    assert_eq!(s.initial.waiting[0].days_waited, 4.5);

    fs::write(dir.join("census.csv"), "unit,week,mrn\niop,three,123\n").unwrap();
    let err = load_file(Path::new(&file), &[]).unwrap_err().to_string();
    assert!(
        err.contains("census.csv line 1: unknown column 'mrn'"),
        "{err}"
    );
    fs::write(dir.join("census.csv"), "unit,week\niop,three\n").unwrap();
    let err = load_file(Path::new(&file), &[]).unwrap_err().to_string();
    assert!(
        err.contains("census.csv line 2, column week: 'three' is not a whole number"),
        "{err}"
    );
}

/// The scenario files of docs/decisions.md stay valid (forecast.toml with
/// its census.csv), and differ from the default only where they say.
#[test]
fn the_documented_example_scenarios_load() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples");
    let mut names = Vec::new();
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let s = load_file(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
            names.push(s.name.clone());
            if s.name == "forecast" {
                assert_eq!(s.initial.in_care.len(), 19);
                assert_eq!(s.initial.waiting.len(), 3);
            }
            if s.name.starts_with("evening-heavy") {
                // Nine in ten prefer the evening; only the second takes any free seat.
                let iopsim::scenario::UnitKind::Sessions(su) = &s.units[0].kind else {
                    panic!("a sessions unit");
                };
                let shares: Vec<f64> = su.tracks.iter().map(|t| t.share).collect();
                assert_eq!(shares, [0.1, 0.9]);
                let first = iopsim::scenario::TrackChoice::FirstAvailable;
                assert_eq!(
                    su.track_choice == first,
                    s.name.ends_with("first-available")
                );
            }
            if s.name == "uncertain-default" {
                // docs/sensitivity.md: the default with ten uncertain inputs.
                assert_eq!(s.inputs.list.len(), 10);
            }
            if s.name == "five-short-days" {
                // 9 client-hours a week in both tracks, as the default's 3 x 3 h.
                let iopsim::scenario::UnitKind::Sessions(su) = &s.units[0].kind else {
                    panic!("a sessions unit");
                };
                for t in &su.tracks {
                    assert_eq!((t.days.len(), t.hours), (5, 1.8));
                }
                assert_eq!(su.phases[0].sessions_per_week, 3);
            }
        }
    }
    names.sort();
    assert_eq!(
        names,
        [
            "evening-group",
            "evening-heavy",
            "evening-heavy-first-available",
            "five-short-days",
            "forecast",
            "groups-of-15",
            "next-year",
            "uncertain-default"
        ]
    );
}

#[test]
fn size_answers_how_many_clinicians_keep_the_intake_p90_under_a_target() {
    let tmp = tempfile::tempdir().unwrap();
    // One slot per therapist on duty each weekday; 5.9 referrals a week:
    // one therapist gives 5 slots a week less leave (load above 1: the
    // intake queue grows), two give 10 (load about 0.6).
    iopsim()
        .current_dir(tmp.path())
        .args([
            "size",
            "--vary",
            "staff.therapist.shifts.0.count=1..4",
            "--target",
            "iop.intake_wait_days_p90 mean <= 5",
            "--set",
            r#"staff.therapist.shifts=[{ days = ["mon", "tue", "wed", "thu", "fri"], start = "09:00", hours = 8, count = 1 }]"#,
            "--set",
            "staff.therapist.leave_weeks=5",
            "--set",
            r#"units.iop.intake={ slots_per_person = 1, role = "therapist", hours = 1.5, show = [[1, 0.72], [3, 0.41], [7, 0.38]] }"#,
            "--set",
            "referrals.community.per_week=4",
            "--trials",
            "40",
            "--weeks",
            "26",
            "-q",
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "answer: staff.therapist.shifts.0.count = 2",
        ))
        .stdout(predicates::str::contains("why not 1:"));
    let csv =
        fs::read_to_string(tmp.path().join("output/size-midsize-adult-iop/size.csv")).unwrap();
    // staff.therapist.shifts.0.count, run_order, target, n, estimate, ...
    let p90 = |count: &str| -> f64 {
        csv.lines()
            .find(|l| l.split(',').next() == Some(count))
            .and_then(|l| l.split(',').nth(4)?.parse().ok())
            .unwrap_or_else(|| panic!("no row for {count} in\n{csv}"))
    };
    // More therapists, more slots, shorter waits for the intake.
    assert!(p90("1") > 15.0, "{}", p90("1"));
    assert!(
        p90("2") < 5.0 && p90("4") <= p90("2"),
        "{} {}",
        p90("2"),
        p90("4")
    );
}
