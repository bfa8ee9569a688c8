//! The `report.html` of `compare`, `sweep` and `size`: written next to
//! their CSVs (not with `--no-plots`), with the question and the answer in
//! words and the CSVs' figures as text, formatted by their units.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use iopsim::decide::words::{self, Measure};
use iopsim::scenario::DEFAULT_TOML;

fn iopsim(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("iopsim").unwrap();
    c.current_dir(dir);
    c
}

/// The CSV's rows as maps of column to value.
fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let head: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            head.iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

/// The page is one self-contained document: no scripts, nothing fetched,
/// charts inline.
fn self_contained(page: &str) {
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("Content-Security-Policy"));
    assert!(!page.contains("<script"));
    assert!(!page.contains("<img"));
    assert!(page.trim_end().ends_with("</html>"));
}

const FAST: [&str; 5] = ["--trials", "24", "--weeks", "13", "-q"];

#[test]
fn compare_page_asks_answers_and_shows_the_csv_differences() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("a.toml"), DEFAULT_TOML).unwrap();
    // The alternative: a second evening group, in a second room.
    let b = DEFAULT_TOML.replacen("name = \"midsize-adult-iop\"", "name = \"b\"", 1);
    let b = b.replace(
        "start = \"18:00\"                                   # evening track for working clients [S28]\nhours = 3\ngroups = 1",
        "start = \"18:00\"\nhours = 3\ngroups = 2",
    );
    let b = b.replace("seats = 14 ", "seats = 14\ncount = 2 ");
    assert_ne!(b, DEFAULT_TOML);
    fs::write(tmp.path().join("b.toml"), &b).unwrap();
    iopsim(tmp.path())
        .args(["compare", "a.toml", "b.toml"])
        .args(FAST)
        .assert()
        .success();
    let out = tmp.path().join("output/compare-midsize-adult-iop-vs-b");
    let page = fs::read_to_string(out.join("report.html")).unwrap();
    self_contained(&page);
    // The question says what the change is for; the change is named in
    // words under it.
    assert!(
        page.contains("Does b shorten the wait"),
        "{}",
        &page[..3000]
    );
    assert!(
        page.contains("b changes: evening groups 1 \u{2192} 2"),
        "{}",
        &page[..3000]
    );
    assert!(page.contains("shorten the wait for a place in iop"));
    // The answer, with the P90 wait's paired difference as in compare.csv.
    let rows = csv_rows(&out.join("compare.csv"));
    let row = |m: &str| rows.iter().find(|r| r["metric"] == m).unwrap().clone();
    let p90 = row("iop.wait_days_p90");
    let (mean, lo, hi) = (
        num(&p90["diff_mean"]),
        num(&p90["diff_ci95_low"]),
        num(&p90["diff_ci95_high"]),
    );
    assert!(
        hi < 0.0,
        "a second evening group shortens the P90 wait: {p90:?}"
    );
    let magnitude = Measure::Days.diff_ci(-mean, -hi, -lo).replace('+', "");
    let (v, ci) = magnitude.split_once(' ').unwrap();
    assert!(
        page.contains(&format!(
            "b lowers the P90 wait in iop by {v} days {ci}, 95% paired CI"
        )),
        "{magnitude}"
    );
    // The key metrics' differences, by unit, marked by direction.
    for m in [
        "iop.wait_days_p90",
        "iop.reneged",
        "iop.seat_utilization",
        "staff.therapist.fte_needed",
        "finance.net_per_week",
    ] {
        let r = row(m);
        let measure = words::metric(m).measure;
        let text = measure.diff_ci(
            num(&r["diff_mean"]),
            num(&r["diff_ci95_low"]),
            num(&r["diff_ci95_high"]),
        );
        assert!(page.contains(&text), "{m}: {text}");
        assert!(page.contains(&words::metric(m).label()), "{m}");
    }
    assert!(page.contains(" pp ["), "shares differ in percentage points");
    assert!(page.contains("<td class=\"better\">better</td>"));
    assert!(
        page.contains("<td class=\"worse\">worse</td>"),
        "more staff hours"
    );
    // What differs, and the waits overlaid, inline.
    assert!(page.contains("units.iop.tracks.evening.groups"));
    assert!(page.contains("iop: wait from referral to admission, by scenario"));
    assert!(out.join("compare-waits-iop.png").is_file());
    assert!(page.matches("<svg role=\"img\"").count() >= 3);

    // --no-plots: the CSV only.
    iopsim(tmp.path())
        .args(["compare", "a.toml", "b.toml", "--no-plots"])
        .args(FAST)
        .assert()
        .success();
    assert!(out.join("compare.csv").is_file());
    assert!(!out.join("report.html").exists());
}

#[test]
fn sweep_page_shows_each_point_and_the_paired_differences_of_the_csv() {
    let tmp = tempfile::tempdir().unwrap();
    iopsim(tmp.path())
        .args([
            "sweep",
            "--vary",
            "units.iop.tracks.evening.group_size=8..10",
        ])
        .args(FAST)
        .assert()
        .success();
    let out = tmp.path().join("output/sweep-midsize-adult-iop");
    let page = fs::read_to_string(out.join("report.html")).unwrap();
    self_contained(&page);
    assert!(page.contains(
        "How do the P90 wait, the waitlist, those who give up waiting and seat utilization in iop \
         change with evening group size (seats) from 8 to 10?"
    ));
    assert!(page.contains("From the first point (evening group size (seats) = 8) to the last (evening group size (seats) = 10)"));
    let rows = csv_rows(&out.join("sweep.csv"));
    let key = "units.iop.tracks.evening.group_size";
    for m in ["iop.wait_days_p90", "iop.seat_utilization"] {
        let measure = words::metric(m).measure;
        for r in rows.iter().filter(|r| r["metric"] == m) {
            assert!(page.contains(&measure.value(num(&r["mean"]))), "{m} {r:?}");
        }
        let first = rows
            .iter()
            .find(|r| r["metric"] == m && r[key] == "8")
            .unwrap();
        assert_eq!(first["diff_vs_first_mean"], "0");
        let last = rows
            .iter()
            .find(|r| r["metric"] == m && r[key] == "10")
            .unwrap();
        let text = measure.diff_ci(
            num(&last["diff_vs_first_mean"]),
            num(&last["diff_vs_first_ci95_low"]),
            num(&last["diff_vs_first_ci95_high"]),
        );
        assert!(page.contains(&text), "{m}: {text}");
    }
    // Shares in %, keys and metrics in words with units, in the charts too.
    let svg = fs::read_to_string(out.join("sweep-iop_wait_days_p90.svg")).unwrap();
    assert!(svg.contains("evening group size (seats)"));
    assert!(svg.contains("wait to admission, P90 (days)"));
    assert!(!svg.contains(">\nunits.iop"));
    let util = fs::read_to_string(out.join("sweep-iop_seat_utilization.svg")).unwrap();
    assert!(util.contains("%\n<"), "ticks of a share in %");
    assert!(page.contains("sweep-iop_wait_days_p90.png"));

    iopsim(tmp.path())
        .args([
            "sweep",
            "--vary",
            "units.iop.tracks.evening.group_size=8..10",
            "--no-plots",
            "--force",
        ])
        .args(FAST)
        .assert()
        .success();
    assert!(!out.join("report.html").exists());
}

#[test]
fn size_page_gives_the_answer_the_target_line_and_the_values_of_the_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let args = [
        "size",
        "--vary",
        "units.iop.tracks.evening.groups=1..3",
        "--set",
        "rooms.group-room.count=3",
        "--set",
        "referrals.community.per_week=3",
    ];
    iopsim(tmp.path())
        .args(args)
        .args(["--target", "iop.wait_days_p90 mean <= 10"])
        .args(["--trials", "40", "--weeks", "26", "-q"])
        .assert()
        .success();
    let out = tmp.path().join("output/size-midsize-adult-iop");
    let page = fs::read_to_string(out.join("report.html")).unwrap();
    self_contained(&page);
    assert!(page.contains(
        "What is the smallest value of evening groups from 1 to 3 that meets the target: iop: \
         wait to admission, P90 at most 10 days on average with 95% confidence?"
    ));
    let rows = csv_rows(&out.join("size.csv"));
    let answer = rows.iter().find(|r| r["answer"] == "true").unwrap();
    let value = &answer["units.iop.tracks.evening.groups"];
    assert!(page.contains(&format!(
        "The smallest value that meets every target with 95% confidence is evening groups = {value}."
    )));
    for r in &rows {
        assert!(
            page.contains(&Measure::Days.value(num(&r["estimate"]))),
            "{r:?}"
        );
        assert!(
            page.contains(&Measure::Days.value(num(&r["bound95"]))),
            "{r:?}"
        );
    }
    // The chart: the target as a line, the answer marked, embedded.
    let svg = fs::read_to_string(out.join("size.svg")).unwrap();
    assert!(svg.contains("target: at most 10 days"));
    assert!(svg.contains(&format!("answer: {value}")));
    assert!(page.contains(&format!("answer: {value}")));
    assert!(out.join("size.png").is_file());
    // The paired differences next to the answer.
    assert!(page.contains(&format!(
        "evening groups = {value} against evening groups = "
    )));

    // No value meets an impossible target: say so, and what came closest.
    iopsim(tmp.path())
        .args(args)
        .args(["--target", "iop.wait_days_p90 mean <= 0.01"])
        .args(["--trials", "20", "--weeks", "13", "-q"])
        .assert()
        .success();
    let page = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        page.contains("No value of evening groups up to 3 meets every target with 95% confidence.")
    );
    assert!(page.contains("Closest: evening groups = 3, the largest searched"));
    assert!(!fs::read_to_string(out.join("size.svg"))
        .unwrap()
        .contains("answer:"));

    iopsim(tmp.path())
        .args(args)
        .args(["--target", "iop.wait_days_p90 mean <= 10", "--no-plots"])
        .args(["--trials", "20", "--weeks", "13", "-q"])
        .assert()
        .success();
    assert!(out.join("size.csv").is_file());
    assert!(!out.join("report.html").exists());
    assert!(!out.join("size.png").exists());
}
