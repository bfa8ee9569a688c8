//! `iopsim fit` from the command line: a simulated log fitted into a
//! scenario that loads and runs, and every kind of bad input refused with
//! exit 2, a message naming what is wrong, and nothing written.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::str::contains;

fn iopsim() -> Command {
    Command::cargo_bin("iopsim").unwrap()
}

/// A one-trial log of the default scenario in `dir`: its patients.csv.
fn simulated_log(dir: &Path) -> PathBuf {
    iopsim()
        .current_dir(dir)
        .args([
            "run",
            "--trials",
            "1",
            "--log",
            "--no-plots",
            "-q",
            "--out",
            "out",
        ])
        .assert()
        .success();
    dir.join("out/midsize-adult-iop/patients.csv")
}

#[test]
fn a_simulated_log_fits_into_a_scenario_that_loads_and_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let log = simulated_log(tmp.path());
    let out = tmp.path().join("fitted.toml");
    iopsim()
        .current_dir(tmp.path())
        .args(["fit", log.to_str().unwrap(), "-o", "fitted.toml"])
        .assert()
        .success()
        .stdout(contains("referrals.community.per_week"))
        .stdout(contains("wrote fitted.toml (\"fitted\")"));
    let text = fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("# Fitted by iopsim "), "{text}");
    assert!(text.contains("# fitted per_week: "), "{text}");
    assert!(text.contains("# fitted show: "), "{text}");
    // The capacity is the default's, comments and all.
    assert!(
        text.contains("seats = 14                                        # [A]"),
        "{text}"
    );

    let doc: toml::Value = toml::from_str(&text).unwrap();
    assert_eq!(doc["name"].as_str(), Some("fitted"));
    let streams: Vec<&str> = doc["referrals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(streams, ["inpatient-stepdown", "php-stepdown", "community"]);
    // The community stream's rate (1.9 a week in the default) is fitted
    // from some 140 referrals: within a few of its standard errors.
    let rate = doc["referrals"][2]["per_week"].as_float().unwrap();
    assert!((1.4..2.4).contains(&rate), "{rate}");

    iopsim()
        .current_dir(tmp.path())
        .args(["run", "fitted.toml", "--trials", "20", "--no-plots", "-q"])
        .assert()
        .success();
    assert!(tmp.path().join("output/fitted/summary.csv").exists());
}

#[test]
fn a_fit_is_the_same_every_time() {
    let tmp = tempfile::tempdir().unwrap();
    let log = simulated_log(tmp.path());
    for name in ["a.toml", "b.toml"] {
        iopsim()
            .current_dir(tmp.path())
            .args(["fit", log.to_str().unwrap(), "-o", name, "-q"])
            .assert()
            .success()
            .stdout("");
    }
    let a = fs::read_to_string(tmp.path().join("a.toml")).unwrap();
    let b = fs::read_to_string(tmp.path().join("b.toml")).unwrap();
    assert_eq!(
        a.replace("name = \"a\"", "name = \"b\""),
        b,
        "same records, same scenario"
    );
}

/// Runs `iopsim fit` on `records` (written to records.csv) and expects it
/// to fail with exit 2, `message` on stderr, and no fitted.toml.
fn refused(records: &str, extra: &[&str], message: &str) {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("records.csv"), records).unwrap();
    let mut args = vec!["fit", "records.csv", "-o", "fitted.toml"];
    args.extend_from_slice(extra);
    iopsim()
        .current_dir(tmp.path())
        .args(&args)
        .assert()
        .code(2)
        .stderr(contains(message));
    assert!(
        !tmp.path().join("fitted.toml").exists(),
        "nothing may be written on: {message}"
    );
    let left: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(left, ["records.csv"], "no temporary file left behind");
}

const HEADER: &str = "patient,stream,unit,track,referred,admitted,left,reason,destination\n";

#[test]
fn a_file_without_usable_episodes_is_refused() {
    refused(HEADER, &[], "no usable episodes");
    // Only referrals before the first leaving: an export's edge.
    refused(
        &format!("{HEADER}p1,community,iop,morning,2027-01-04,2027-01-11,2027-03-01,completed,home\n"),
        &[],
        "no usable episodes: no referral from 2027-03-01 to 2027-03-02 (the records' period starts on the day of their first leaving",
    );
    refused(
        &format!("{HEADER}p1,community,iop,,,,,waiting,\n"),
        &[],
        "no usable episodes",
    );
}

#[test]
fn a_date_that_is_not_iso_names_its_line_and_column() {
    refused(
        &format!(
            "{HEADER}p1,community,iop,morning,2027-01-04,2027-01-11,2027-03-01,completed,home\n\
             p2,community,iop,morning,04/01/2027,,,waiting,\n"
        ),
        &[],
        "line 3, column 'referred' (5)",
    );
}

#[test]
fn identifying_columns_are_refused() {
    refused(
        "patient,patient_name,stream,unit,referred,admitted,left,reason\n\
         p1,Ann,community,iop,2027-01-04,2027-01-11,2027-03-01,completed\n",
        &[],
        "patient_name",
    );
}

#[test]
fn a_unit_the_capacity_scenario_lacks_is_named() {
    refused(
        &format!(
            "{HEADER}p1,community,detox,,2027-01-04,2027-01-05,2027-01-09,completed,home\n\
             p2,community,detox,,2027-01-06,2027-01-07,2027-01-10,completed,home\n\
             p3,community,detox,,2027-01-07,,2027-01-20,reneged,\n"
        ),
        &[],
        "the records have unit 'detox', which the built-in default scenario does not define (it has: iop); \
         give --capacity a scenario with that unit and its capacity",
    );
}

#[test]
fn bad_options_are_refused() {
    let ok = format!(
        "{HEADER}p1,community,iop,morning,2027-01-04,2027-01-11,2027-03-01,completed,home\n\
         p2,community,iop,morning,2027-01-05,,2027-01-20,reneged,\n"
    );
    refused(
        &ok,
        &["--from", "January"],
        "--from: expected a date as YYYY-MM-DD",
    );
    refused(
        &ok,
        &["--from", "2027-02-01", "--to", "2027-01-01"],
        "--from: must be before --to",
    );
    refused(&ok, &["--capacity", "nosuch.toml"], "nosuch.toml");
}

#[test]
fn an_existing_output_is_kept_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let records = format!(
        "{HEADER}p1,community,iop,morning,2027-01-04,2027-01-11,2027-03-01,completed,home\n\
         p2,community,iop,morning,2027-01-05,,2027-01-20,reneged,\n\
         p3,community,iop,evening,2027-02-01,2027-02-02,,in_care,\n"
    );
    fs::write(tmp.path().join("records.csv"), records).unwrap();
    fs::write(tmp.path().join("fitted.toml"), "mine").unwrap();
    iopsim()
        .current_dir(tmp.path())
        .args(["fit", "records.csv", "-o", "fitted.toml"])
        .assert()
        .code(2)
        .stderr(contains("fitted.toml already exists; pass --force"));
    assert_eq!(
        fs::read_to_string(tmp.path().join("fitted.toml")).unwrap(),
        "mine"
    );
    iopsim()
        .current_dir(tmp.path())
        .args(["fit", "records.csv", "-o", "fitted.toml", "--force", "-q"])
        .assert()
        .success();
    let text = fs::read_to_string(tmp.path().join("fitted.toml")).unwrap();
    assert!(text.contains("THIN"), "two episodes are thin: {text}");
}

/// Every shipped scenario's own log fits back into it: wards, transfers,
/// intakes, classes, cohorts, routing maps and step-up tables written so
/// that the scenario loads (shares that must sum to 1 still do, a fitted
/// `stepup_to` replaces an `on_stepup` table).
#[test]
fn every_shipped_scenarios_log_fits_back_into_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let mut names: Vec<PathBuf> = fs::read_dir(root.join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    names.sort();
    assert!(names.len() >= 11);
    for scenario in names {
        let stem = scenario.file_stem().unwrap().to_string_lossy().to_string();
        let out = tmp.path().join(format!("log-{stem}"));
        iopsim()
            .arg("run")
            .arg(&scenario)
            .args(["--trials", "1", "--log", "--no-plots", "-q", "--out"])
            .arg(&out)
            .assert()
            .success();
        let log = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path().join("patients.csv"))
            .find(|p| p.exists())
            .unwrap();
        let fitted = tmp.path().join(format!("{stem}-fitted.toml"));
        iopsim()
            .arg("fit")
            .arg(&log)
            .arg("--capacity")
            .arg(&scenario)
            .arg("-o")
            .arg(&fitted)
            .arg("-q")
            .assert()
            .success();
        let s = iopsim::scenario::load_file(&fitted, &[]).unwrap_or_else(|e| panic!("{stem}: {e}"));
        let base = iopsim::scenario::load_file(&scenario, &[]).unwrap();
        assert_eq!(s.units.len(), base.units.len(), "{stem}");
    }
}
