//! The `iopsim` binary end to end: outputs, exit codes, error messages.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn iopsim() -> Command {
    Command::cargo_bin("iopsim").unwrap()
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn run_without_arguments_runs_the_built_in_default() {
    let tmp = tempfile::tempdir().unwrap();
    iopsim()
        .current_dir(tmp.path())
        .args(["run", "--trials", "30", "--quiet"])
        .assert()
        .success()
        .stdout(predicate::str::contains("iop: census"))
        .stdout(predicate::str::contains("midsize-adult-iop"));
    let out = tmp.path().join("output/midsize-adult-iop");
    for f in ["summary.csv", "weekly.csv", "trials.csv", "scenario.toml"] {
        assert!(out.join(f).is_file(), "{f} missing: {:?}", files(&out));
    }
    let summary = fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary.starts_with("metric,mean,sd,ci95_low,ci95_high,p5,p50,p95\n"));
    for m in [
        "iop.census,",
        "iop.wait_days_p90,",
        "group-room.utilization,",
        "staff.therapist.fte_needed,",
    ] {
        assert!(summary.contains(m), "{m} missing");
    }
    let trials = fs::read_to_string(out.join("trials.csv")).unwrap();
    assert_eq!(trials.lines().count(), 31, "header + one row per trial");
    let weekly = fs::read_to_string(out.join("weekly.csv")).unwrap();
    assert!(weekly.starts_with("week,metric,mean,p5,p25,p50,p75,p95\n"));
    // The resolved scenario reruns to the same results.
    let resolved = out.join("scenario.toml");
    let again = tmp.path().join("again");
    iopsim()
        .args(["run", "--quiet", "--out"])
        .arg(&again)
        .arg(&resolved)
        .assert()
        .success();
    assert_eq!(
        fs::read(again.join("midsize-adult-iop/summary.csv")).unwrap(),
        summary.as_bytes()
    );
}

#[test]
fn same_seed_gives_byte_identical_files_for_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    for threads in ["1", "2"] {
        iopsim()
            .args([
                "run",
                "scenarios/default.toml",
                "--trials",
                "40",
                "--quiet",
                "--threads",
                threads,
                "--out",
            ])
            .arg(tmp.path().join(threads))
            .assert()
            .success();
    }
    for f in ["summary.csv", "weekly.csv", "trials.csv", "scenario.toml"] {
        let a = fs::read(tmp.path().join("1/midsize-adult-iop").join(f)).unwrap();
        let b = fs::read(tmp.path().join("2/midsize-adult-iop").join(f)).unwrap();
        assert_eq!(a, b, "{f} differs between 1 and 2 threads");
    }
}

#[test]
fn bad_scenario_exits_2_names_file_and_keys_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.toml");
    let text = fs::read_to_string("scenarios/default.toml")
        .unwrap()
        .replace("attendance = 0.88", "attendance = 1.88")
        .replace("group_size = 12\nroom", "grop_size = 12\nroom");
    fs::write(&bad, text).unwrap();
    let out = tmp.path().join("out");
    iopsim()
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.toml"))
        .stderr(predicate::str::contains("units[0].attendance"))
        .stderr(predicate::str::contains("grop_size"));
    assert!(!out.exists(), "nothing may be written for bad input");
}

#[test]
fn bad_set_key_and_missing_file_are_clear_errors() {
    iopsim()
        .args([
            "run",
            "--quiet",
            "--set",
            "units.iop.tracks.evening.grups=2",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("grups"));
    iopsim()
        .args(["run", "--quiet", "no/such/file.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/file.toml"));
    iopsim()
        .args(["run", "--trials", "many"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--trials"));
}

#[test]
fn check_prints_capacity_without_simulating() {
    iopsim()
        .args(["check", "scenarios/default.toml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("valid scenario"))
        .stdout(predicate::str::contains("seats/week"))
        .stdout(predicate::str::contains("72"));
}

#[test]
fn init_writes_the_default_and_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("mine.toml");
    iopsim()
        .arg("init")
        .arg(&p)
        .assert()
        .success()
        .stdout(predicate::str::contains("named \"mine\""));
    // The default's text, named after the file: one line differs.
    let default = fs::read_to_string("scenarios/default.toml").unwrap();
    let copy = fs::read_to_string(&p).unwrap();
    assert_eq!(
        copy,
        default.replacen("name = \"midsize-adult-iop\"", "name = \"mine\"", 1)
    );
    assert_ne!(copy, default);
    iopsim()
        .arg("init")
        .arg(&p)
        .assert()
        .failure()
        .stderr(predicate::str::contains("--force"));
    iopsim()
        .arg("init")
        .arg(&p)
        .arg("--force")
        .assert()
        .success();
}

/// The newcomer's path: the quick start's run of the default, then
/// `init my.toml` and `run my.toml`, never meets another file's folder.
#[test]
fn init_then_run_after_the_quick_start_writes_its_own_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        iopsim()
            .current_dir(tmp.path())
            .args(args)
            .args(["--trials", "20", "--quiet", "--no-plots"])
            .assert()
            .success()
    };
    run(&["run"]);
    iopsim()
        .current_dir(tmp.path())
        .args(["init", "my.toml"])
        .assert()
        .success();
    run(&["run", "my.toml"]).stdout(predicate::str::contains("output/my"));
    assert!(tmp.path().join("output/my/summary.csv").is_file());
    assert!(tmp
        .path()
        .join("output/midsize-adult-iop/summary.csv")
        .is_file());
    // A file stem that is not a safe name becomes one.
    iopsim()
        .current_dir(tmp.path())
        .args(["init", "next year (draft).toml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("named \"next-year-draft\""));
    iopsim()
        .current_dir(tmp.path())
        .args(["check", "next year (draft).toml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("next-year-draft: valid scenario"));
}

#[test]
fn check_names_the_timetable_slots_no_roster_covers() {
    let out = iopsim()
        .args([
            "check",
            "--set",
            r#"staff.therapist.shifts=[{ days = ["mon", "wed"], start = "09:00", hours = 8 }, { days = ["mon", "tue", "thu"], start = "17:00", hours = 5 }]"#,
            "--set",
            r#"units.iop.tracks.morning.facilitators={ role = "therapist" }"#,
            "--set",
            r#"units.iop.tracks.evening.facilitators={ role = "therapist" }"#,
        ])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(stdout.contains("staff therapist: 2 rostered, 31.0 h on duty a week before leave; the timetable asks 18.0 h"), "{stdout}");
    let uncovered: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("would be cancelled"))
        .collect();
    // The morning track (Mon/Tue/Thu) has its therapist on Mondays only;
    // the evening track is covered every day it meets.
    assert_eq!(
        uncovered,
        vec![
            "warning: units[0].tracks[0] (iop morning): tue 10:00-13:00: 1 of 1 group(s) need 1 therapist on duty each, and the roster has 0 free then: those sessions would be cancelled",
            "warning: units[0].tracks[0] (iop morning): thu 10:00-13:00: 1 of 1 group(s) need 1 therapist on duty each, and the roster has 0 free then: those sessions would be cancelled",
        ]
    );
}

#[test]
fn bad_staff_input_exits_2_naming_the_key_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let cases: [(&[&str], &str); 4] = [
        (
            &[r#"staff.therapist.shifts=[{ days = ["mon"], start = "20:00", hours = 6 }]"#],
            "staff[0].shifts[0].hours: a shift starting at 20:00 and lasting 6 h would end after midnight",
        ),
        (
            &[r#"units.iop.tracks.evening.facilitators={ role = "nurse" }"#],
            "units[0].tracks[1].facilitators.role: no staff role 'nurse'; roles are: therapist, prescriber",
        ),
        (
            &["staff.therapist.caseload=0"],
            "staff[0].caseload: must be > 0, got 0",
        ),
        (
            &[r#"staff.therapist.shifts=[{ days = ["mon", "tue"], start = "09:00", hours = 8 }, { days = ["tue"], start = "12:00", hours = 8 }]"#],
            "staff[0].shifts[1]: overlaps staff[0].shifts[0] on tue (09:00-17:00 and 12:00-20:00)",
        ),
    ];
    for (sets, expected) in cases {
        let mut cmd = iopsim();
        cmd.args(["run", "--quiet", "--no-plots", "--out"])
            .arg(&out);
        for s in sets {
            cmd.args(["--set", s]);
        }
        let assert = cmd.assert().code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains(expected), "{expected}\nnot in:\n{stderr}");
        assert!(!out.exists(), "nothing written for {expected}");
    }
}

#[test]
fn bad_classes_in_a_file_exit_2_naming_the_file_and_key_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let file = tmp.path().join("classes.toml");
    let default =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml"))
            .unwrap();
    let text = default.replacen(
        "name = \"community\"",
        "name = \"community\"\nclasses = { adult = 0.6, young = 0.3 }",
        1,
    ) + "\n[[classes]]\nname = \"adult\"\n[[classes]]\nname = \"young\"\nattendance = 0.8\nattendance_sd = 0.5\n";
    fs::write(&file, text).unwrap();
    let run = ["run", "--quiet", "--out", out.to_str().unwrap()];
    for args in [&run[..], &["check"]] {
        let assert = iopsim().args(args).arg(&file).assert().code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        for expected in [
            "classes.toml",
            "referrals[2].classes: class shares sum to 0.9; they must sum to 1",
            "classes[1].attendance_sd: an attendance sd of 0.5 is too wide for a mean of 0.8",
        ] {
            assert!(stderr.contains(expected), "{expected}\nnot in:\n{stderr}");
        }
        assert!(!out.exists(), "nothing written");
    }
}

#[test]
fn type_errors_exit_2_with_every_other_problem_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("typed.toml");
    let text = fs::read_to_string("scenarios/default.toml")
        .unwrap()
        .replace("hours = 3\n", "hours = \"3h\"\n")
        .replace("show = 0.72 ", "show = \"72%\" ")
        .replace("trials = 1000", "trails = 1000")
        .replace("attendance = 0.88", "attendance = 1.88");
    fs::write(&bad, text).unwrap();
    let out = tmp.path().join("out");
    let assert = iopsim()
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(&bad)
        .args(["--set", "units.iop.episode=12"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    for expected in [
        "typed.toml: 5 problems in the scenario:",
        "referrals[2].show: expected a share between 0 and 1, e.g. show = 0.72; got the text \"72%\" (line ",
        "units[0].tracks[1].hours: expected a number of hours, e.g. hours = 3; got the text \"3h\" (line ",
        "--set units.iop.episode: expected a table, e.g. episode = { weeks = 12 }",
        "got the whole number 12 (set on the command line at units[0].episode)",
        "simulation.trails: unknown key 'trails'",
        "units[0].attendance: must be a probability in [0, 1], got 1.88",
    ] {
        assert!(stderr.contains(expected), "{expected}\nnot in:\n{stderr}");
    }
    for jargon in ["f64", "RawEpisode", "struct", "invalid type"] {
        assert!(!stderr.contains(jargon), "{jargon} in:\n{stderr}");
    }
    assert!(!out.exists(), "nothing may be written for bad input");
}

#[test]
fn check_states_offered_load_before_waitlist_losses_and_flags_only_overload() {
    let stdout = |sets: &[&str]| {
        let mut cmd = iopsim();
        cmd.arg("check");
        for s in sets {
            cmd.args(["--set", s]);
        }
        let a = cmd.assert().success();
        String::from_utf8_lossy(&a.get_output().stdout).into_owned()
    };
    // The default offers a little more than its seats before waitlist
    // losses (the evening track more), which people giving up hold in check.
    let default = stdout(&[]);
    assert!(!default.contains("demand exceeds capacity"), "{default}");
    assert!(
        default.contains("warning: iop: offered load before waitlist losses is 101% of places (track 'evening' 121%); expect a waitlist held in check by people giving up"),
        "{default}"
    );
    assert!(default.contains("before waitlist losses"), "{default}");
    // Twice the referrals: seats full all the time.
    let double = stdout(&[
        "referrals.community.per_week=3.8",
        "referrals.php-stepdown.per_week=2.2",
        "referrals.inpatient-stepdown.per_week=1.8",
    ]);
    assert!(
        double.contains("warning: iop: demand exceeds capacity: track 'evening' (12 seats) full nearly all the time"),
        "{double}"
    );
}
