//! `iopsim backtest`: a scenario started from records made by itself keeps
//! about nine weeks in ten inside its bands; records with a change it does
//! not know (referrals +30% in the last quarter) leave them; the initial
//! state is exactly the records' state on the date; the results do not
//! depend on the threads; bad input exits 2 and writes nothing.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn iopsim(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("iopsim").unwrap();
    c.current_dir(dir);
    c
}

/// The default scenario's records (one trial's patients.csv) for `seed`,
/// referrals of every stream +30% in October to December if `change`.
fn records(dir: &Path, seed: u64, change: bool) -> PathBuf {
    let out = dir.join(format!("log-{seed}-{change}"));
    let mut c = iopsim(dir);
    c.args([
        "run",
        "--log",
        "--trials",
        "1",
        "--no-plots",
        "-q",
        "--seed",
    ])
    .arg(seed.to_string())
    .arg("--out")
    .arg(&out);
    if change {
        let up = "1, 1, 1, 1, 1, 1, 1, 1, 1, 1.3, 1.3, 1.3";
        c.arg("--set")
            .arg(format!("referrals.inpatient-stepdown.months=[{up}]"))
            .arg("--set")
            .arg(format!("referrals.php-stepdown.months=[{up}]"))
            // The default's community months, the last three x 1.3.
            .arg("--set")
            .arg("referrals.community.months=[1.15, 1.05, 0.95, 0.95, 1.00, 1.00, 0.93, 1.00, 1.03, 1.339, 1.313, 1.17]");
    }
    c.assert().success();
    let folder = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap();
    folder.join("patients.csv")
}

/// (week, measure, observed, p5, p50, p95, inside) of a backtest.csv.
type Row = (u32, String, f64, f64, f64, f64, bool);

fn backtest(dir: &Path, records: &Path, from: &str, out: &str, extra: &[&str]) -> Vec<Row> {
    iopsim(dir)
        .arg("backtest")
        .arg(records)
        .args(["--from", from, "--to", "2028-01-03", "--trials", "200"])
        .args(["--out", out, "-q"])
        .args(extra)
        .assert()
        .success();
    let text = fs::read_to_string(
        dir.join(out)
            .join("midsize-adult-iop-backtest/backtest.csv"),
    )
    .unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "week,week_start,measure,observed,p5,p50,p95,inside"
    );
    lines
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            let f = |i: usize| c[i].parse::<f64>().unwrap();
            let inside = c[7] == "true";
            assert_eq!(inside, f(3) >= f(4) && f(3) <= f(6), "{l}");
            (
                c[0].parse().unwrap(),
                c[2].to_string(),
                f(3),
                f(4),
                f(5),
                f(6),
                inside,
            )
        })
        .collect()
}

fn share_inside(rows: &[Row], measure: &str, last: Option<u32>) -> f64 {
    let weeks = rows
        .iter()
        .filter(|r| r.1 == measure)
        .map(|r| r.0)
        .max()
        .unwrap();
    let from = last.map_or(1, |k| weeks - k + 1);
    let these: Vec<&Row> = rows
        .iter()
        .filter(|r| r.1 == measure && r.0 >= from)
        .collect();
    these.iter().filter(|r| r.6).count() as f64 / these.len() as f64
}

const SEEDS: [u64; 4] = [1, 2, 3, 4];

#[test]
fn the_same_scenario_keeps_its_weeks_inside_the_band() {
    let dir = tempfile::tempdir().unwrap();
    let (mut census, mut admissions) = (Vec::new(), Vec::new());
    for seed in SEEDS {
        let rec = records(dir.path(), seed, false);
        let rows = backtest(dir.path(), &rec, "2027-07-05", &format!("same-{seed}"), &[]);
        // 26 weeks from 2027-07-05 to 2028-01-03, three measures.
        assert_eq!(rows.len(), 26 * 3);
        census.push(share_inside(&rows, "iop.census", None));
        admissions.push(share_inside(&rows, "iop.admissions", None));
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    eprintln!("same scenario: census inside {census:?}, admissions inside {admissions:?}");
    assert!(mean(&census) >= 0.75, "{census:?}");
    assert!(mean(&admissions) >= 0.75, "{admissions:?}");
}

#[test]
fn a_change_the_scenario_does_not_know_leaves_the_band() {
    let dir = tempfile::tempdir().unwrap();
    let mut changed = Vec::new();
    let mut plain = Vec::new();
    let mut above = 0;
    let mut weeks = 0;
    for seed in SEEDS {
        for (change, into) in [(true, &mut changed), (false, &mut plain)] {
            let rec = records(dir.path(), seed, change);
            let rows = backtest(
                dir.path(),
                &rec,
                "2027-10-04",
                &format!("q4-{seed}-{change}"),
                &[],
            );
            assert_eq!(rows.len(), 13 * 3);
            let last6 = (share_inside(&rows, "iop.census", Some(6))
                + share_inside(&rows, "iop.waitlist", Some(6)))
                / 2.0;
            into.push(last6);
            if change {
                for r in rows.iter().filter(|r| r.1 == "iop.census" && r.0 > 7) {
                    weeks += 1;
                    above += usize::from(r.2 > r.4);
                }
            }
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    eprintln!(
        "last 6 weeks inside (census and waitlist): with the change {changed:?}, without {plain:?}; \
         census above the simulated median in {above} of {weeks} weeks with the change"
    );
    assert!(mean(&changed) < 0.7, "{changed:?}");
    assert!(
        mean(&changed) <= mean(&plain) - 0.2,
        "{changed:?} {plain:?}"
    );
    // More referrals than the scenario knows: the census runs high.
    assert!(above * 4 >= weeks * 3, "{above} of {weeks}");
    // The page says so (seed 1 leaves the census band for good).
    let page = fs::read_to_string(
        dir.path()
            .join("q4-1-true/midsize-adult-iop-backtest/backtest.html"),
    )
    .unwrap();
    assert!(
        page.contains("No: the records differ from the scenario"),
        "verdict"
    );
    assert!(page.contains("the observed weeks leave the band from week"));
    assert!(page.contains("the records change in a way the scenario does not know"));
}

const TINY: &str = "\
patient,unit,track,priority,referred,admitted,left,reason
a,iop,morning,1,2027-01-10 08:00:00,2027-01-14 10:00:00,2027-03-10 10:00:00,completed
b,iop,evening,2,2027-02-20 09:00:00,2027-02-25 18:00:00,,in_care
c,iop,evening,1,2026-11-20 09:00:00,2026-12-01 18:00:00,2027-02-23 18:00:00,completed
d,iop,evening,1,2026-11-30 09:00:00,2026-12-07 18:00:00,2027-03-01 18:00:00,completed
e,iop,evening,2,2027-02-26 12:00:00,2027-03-04 18:00:00,,in_care
f,iop,,1,2027-02-27 00:00:00,,2027-03-05 07:00:00,reneged
g,iop,,2,2027-02-28 10:00:00,,2027-03-02 10:00:00,no_show
h,iop,,2,2027-02-01 10:00:00,,2027-02-20 10:00:00,reneged
i,iop,morning,2,2027-03-02 10:00:00,2027-03-04 10:00:00,,in_care
";

#[test]
fn the_initial_state_is_the_records_on_the_date() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("tiny.csv"), TINY).unwrap();
    iopsim(dir.path())
        .args([
            "backtest",
            "tiny.csv",
            "--from",
            "2027-03-01",
            "--trials",
            "20",
            "-q",
        ])
        .assert()
        .success();
    let out = dir.path().join("output/midsize-adult-iop-backtest");
    // In care on 2027-03-01 00:00: a (morning), b and d (evening; d's 84
    // days by the date's midnight would complete a 12-week episode, so its
    // date moves a day later); c left before. Waiting: e since 2027-02-26
    // 12:00 (2.5 days), f since 2027-02-27 (2 days); g is a no-show, h left
    // before, i was referred after.
    assert_eq!(
        fs::read_to_string(out.join("initial.csv")).unwrap(),
        "unit,status,track,admitted,days_waited,priority\n\
         iop,in_care,evening,2026-12-08,,\n\
         iop,in_care,evening,2027-02-25,,\n\
         iop,in_care,morning,2027-01-14,,\n\
         iop,waiting,evening,,2.5,2\n\
         iop,waiting,,,2,1\n"
    );
    let toml: toml::Table = fs::read_to_string(out.join("scenario.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let sim = toml["simulation"].as_table().unwrap();
    assert_eq!(sim["start_date"].as_str(), Some("2027-03-01"));
    assert_eq!(sim["warmup_weeks"].as_integer(), Some(0));
    // The records end on 2027-03-10 10:00: one whole week.
    assert_eq!(sim["weeks"].as_integer(), Some(1));
    assert_eq!(sim["trials"].as_integer(), Some(20));
    assert_eq!(
        toml["initial"]["patients_csv"].as_str(),
        Some("initial.csv")
    );
    // Observed in the week from 2027-03-01: a, b, d in care (d to 18:00 on
    // the first day), e from 2027-03-04 18:00, i from 2027-03-04 10:00;
    // admissions e and i.
    let csv = fs::read_to_string(out.join("backtest.csv")).unwrap();
    let census: f64 =
        2.0 + (18.0 / 24.0) / 7.0 + (3.0 + 6.0 / 24.0) / 7.0 + (3.0 + 14.0 / 24.0) / 7.0;
    let row = |m: &str| -> Vec<String> {
        csv.lines()
            .find(|l| l.contains(&format!(",{m},")))
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect()
    };
    let c: f64 = row("iop.census")[3].parse().unwrap();
    assert!((c - census).abs() < 1e-9, "{c} {census}");
    assert_eq!(row("iop.admissions")[3], "2");
    // The folder's scenario runs as it is.
    iopsim(&out)
        .args(["run", "scenario.toml", "--no-plots", "-q", "--out"])
        .arg(dir.path().join("rerun"))
        .assert()
        .success();
}

#[test]
fn the_same_inputs_give_the_same_file_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let rec = records(dir.path(), 5, false);
    let read = |out: &str| {
        fs::read(
            dir.path()
                .join(out)
                .join("midsize-adult-iop-backtest/backtest.csv"),
        )
        .unwrap()
    };
    backtest(
        dir.path(),
        &rec,
        "2027-09-06",
        "t1",
        &["--threads", "1", "--no-plots"],
    );
    backtest(
        dir.path(),
        &rec,
        "2027-09-06",
        "t2",
        &["--threads", "2", "--no-plots"],
    );
    assert_eq!(read("t1"), read("t2"));
}

/// Runs a backtest that must fail with exit 2, `words` in its message and
/// no output folder.
fn refused(dir: &Path, args: &[&str], words: &[&str]) {
    let out = iopsim(dir)
        .arg("backtest")
        .args(args)
        .args(["--trials", "10", "-q", "--out", "refused"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    for w in words {
        assert!(err.contains(w), "{w:?} not in {err}");
    }
    assert!(!dir.join("refused").exists(), "{args:?} wrote something");
}

#[test]
fn a_what_if_is_backtested_with_its_overrides_in_the_scenario_run() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("tiny.csv"), TINY).unwrap();
    iopsim(dir.path())
        .args([
            "backtest",
            "tiny.csv",
            "--from",
            "2027-03-01",
            "--trials",
            "20",
            "-q",
        ])
        .args(["--set", "units.iop.tracks.evening.groups=2"])
        .args([
            "--set",
            "rooms.group-room.count=2",
            "--set",
            "name=two-evening",
        ])
        .assert()
        .success();
    let out = dir.path().join("output/two-evening-backtest");
    let toml: toml::Table = fs::read_to_string(out.join("scenario.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let evening = &toml["units"][0]["tracks"][1];
    assert_eq!(evening["name"].as_str(), Some("evening"));
    assert_eq!(evening["groups"].as_integer(), Some(2));
    assert_eq!(
        toml["simulation"]["start_date"].as_str(),
        Some("2027-03-01")
    );
    assert!(!dir
        .path()
        .join("output/midsize-adult-iop-backtest")
        .exists());
}

#[test]
fn bad_input_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("tiny.csv"), TINY).unwrap();
    refused(
        d,
        &[
            "tiny.csv",
            "--from",
            "2027-03-01",
            "--set",
            "units.iop.tracks.evening.grups=2",
        ],
        &["unknown key 'grups'"],
    );
    refused(
        d,
        &["tiny.csv", "--from", "2027-3-1x"],
        &["--from 2027-3-1x", "YYYY-MM-DD"],
    );
    refused(
        d,
        &["tiny.csv", "--from", "2027-03-01", "--to", "01/04/2027"],
        &["--to", "YYYY-MM-DD"],
    );
    refused(
        d,
        &["tiny.csv", "--from", "2026-01-05"],
        &["--from 2026-01-05", "outside the records"],
    );
    refused(
        d,
        &["tiny.csv", "--from", "2027-03-08"],
        &["less than a whole week"],
    );
    refused(d, &["tiny.csv"], &["--from"]);
    fs::write(
        d.join("empty.csv"),
        "patient,unit,referred,admitted,left,reason\n",
    )
    .unwrap();
    refused(d, &["empty.csv", "--from", "2027-03-01"], &["empty.csv"]);
    fs::write(
        d.join("php.csv"),
        TINY.replace("a,iop,", "a,php,")
            .replace("b,iop,", "b,ward,"),
    )
    .unwrap();
    refused(
        d,
        &["php.csv", "--from", "2027-03-01"],
        &["'php', 'ward'", "does not have", "units are: iop"],
    );
    fs::write(
        d.join("track.csv"),
        TINY.replace("a,iop,morning", "a,iop,noon"),
    )
    .unwrap();
    refused(
        d,
        &["track.csv", "--from", "2027-03-01"],
        &["track.csv line 2", "'noon'", "morning, evening"],
    );
    let two = TINY
        .lines()
        .enumerate()
        .map(|(i, l)| match i {
            0 => format!("trial,{l}"),
            _ => format!("{},{l}", i % 2),
        })
        .collect::<Vec<_>>()
        .join("\n");
    fs::write(d.join("two.csv"), two).unwrap();
    refused(
        d,
        &["two.csv", "--from", "2027-03-01"],
        &["2 trials", "0, 1", "--trial"],
    );
    refused(
        d,
        &["two.csv", "--from", "2027-03-01", "--trial", "7"],
        &["no trial 7"],
    );
    refused(
        d,
        &["tiny.csv", "--from", "2027-03-01", "--trial", "0"],
        &["no trial column"],
    );
}
