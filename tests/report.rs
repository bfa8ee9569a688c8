//! The plots and `report.html` as a person meets them: `iopsim run` writes
//! them (and `--no-plots` does not), the PNGs carry text drawn from the
//! embedded font, the tables by track and by referral stream show the
//! figures of `summary.csv`, bed units list only what can happen to a bed,
//! and headless Chromium loads the report with no console errors and every
//! chart at a non-zero size.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

mod common;
use common::browser::{chromium, console_lines, decode_png, headless, ink, PROBE_BODY, PROBE_HEAD};

const SCENARIO_DIR: &str = "midsize-adult-iop";

/// Runs the default scenario briefly into `out`; returns the result folder.
fn run_default(out: &Path, extra: &[&str]) -> PathBuf {
    Command::cargo_bin("iopsim")
        .unwrap()
        .args(["run", "scenarios/default.toml", "--trials", "40", "--quiet"])
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
    out.join(SCENARIO_DIR)
}

fn names(dir: &Path, ext: &str) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(ext))
        .collect();
    v.sort();
    v
}

#[test]
fn run_writes_every_plot_as_png_and_svg_and_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_default(tmp.path(), &[]);
    let pngs = names(&dir, ".png");
    assert_eq!(
        pngs,
        [
            "census-iop.png",
            "finance-net.png",
            "outcomes-iop.png",
            "sessions-iop.png",
            "staff-prescriber.png",
            "staff-therapist.png",
            "track-waits-iop.png",
            "waitlist-iop.png",
            "waits-iop.png",
        ]
    );
    let svgs = names(&dir, ".svg");
    assert_eq!(
        svgs,
        pngs.iter()
            .map(|p| p.replace(".png", ".svg"))
            .collect::<Vec<_>>()
    );
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert_eq!(html.matches("<svg ").count(), svgs.len());
    for png in &pngs {
        let (w, h, rgb) = decode_png(&dir.join(png));
        assert_eq!(w, 960, "{png}");
        if png.starts_with("outcomes-") {
            // Taller: a second panel of where leavers went.
            assert!(h > 600, "{png} is {h} px high");
        } else {
            assert_eq!(h, 480, "{png}");
        }
        // The title: dark glyphs in the top band, and not a solid block.
        let title = ink(&rgb, w, (0, 8, 420, 40));
        assert!(
            title > 300 && title < 420 * 32 / 2,
            "{png}: {title} dark pixels in the title"
        );
        // The plot itself has something drawn too.
        assert!(
            ink(&rgb, w, (100, 120, 900, 400)) > 2000,
            "{png}: empty plot area"
        );
        let size = fs::metadata(dir.join(png)).unwrap().len();
        assert!(size < 300_000, "{png} is {size} bytes");
    }
}

#[test]
fn no_plots_skips_plots_and_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_default(tmp.path(), &["--no-plots"]);
    assert!(names(&dir, ".png").is_empty());
    assert!(names(&dir, ".svg").is_empty());
    assert!(!dir.join("report.html").exists());
    assert!(dir.join("summary.csv").is_file());
}

#[test]
fn plots_and_report_are_byte_identical_for_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let one = run_default(&tmp.path().join("1"), &["--threads", "1"]);
    let two = run_default(&tmp.path().join("2"), &["--threads", "2"]);
    let files: Vec<String> = names(&one, "")
        .into_iter()
        .filter(|n| n.ends_with(".png") || n.ends_with(".svg") || n.ends_with(".html"))
        .collect();
    assert_eq!(files.len(), 19, "9 charts x (PNG + SVG) + report.html");
    for f in files {
        assert!(
            fs::read(one.join(&f)).unwrap() == fs::read(two.join(&f)).unwrap(),
            "{f} differs between 1 and 2 threads"
        );
    }
}

// --- Tables by track and stream, destinations, bed units -----------------

/// `summary.csv` as metric -> (p5, p50, p95).
fn summary(dir: &Path) -> std::collections::HashMap<String, (f64, f64, f64)> {
    let text = fs::read_to_string(dir.join("summary.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (p5, p50, p95) = (col("p5"), col("p50"), col("p95"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let v = |i: usize| f[i].parse::<f64>().unwrap_or(f64::NAN);
            (f[0].to_string(), (v(p5), v(p50), v(p95)))
        })
        .collect()
}

/// The HTML of `<table>` under `<h3>caption</h3>`.
fn table<'a>(html: &'a str, caption: &str) -> &'a str {
    let at = html
        .find(&format!("<h3>{caption}</h3>"))
        .unwrap_or_else(|| panic!("no table '{caption}' in the report"));
    &html[at..at + html[at..].find("</table>").unwrap()]
}

/// The cells after the first of the row that starts with `first`.
fn row(table: &str, first: &str) -> Vec<String> {
    table
        .split("<tr>")
        .find(|r| r.starts_with(&format!("<td>{first}</td>")))
        .unwrap_or_else(|| panic!("no row '{first}' in {table}"))
        .split("<td>")
        .skip(2)
        .map(|c| c.split("</td>").next().unwrap().to_string())
        .collect()
}

/// Whether a cell of a table by track or stream (the median, and P5-P95
/// below it) shows (p5, p50, p95) of `summary.csv`: each number as the
/// report writes it, to within its last digit (the CSV's digits are
/// themselves rounded, so a value on a rounding boundary may go either way).
fn shows(cell: &str, (p5, p50, p95): (f64, f64, f64), as_pct: bool) -> bool {
    let Some((median, rest)) = cell.split_once("<span class=\"range\">") else {
        return false;
    };
    let Some((low, high)) = rest.trim_end_matches("</span>").split_once('\u{2013}') else {
        return false;
    };
    let close = |shown: &str, x: f64| {
        let text = shown.trim_end_matches('%');
        let Ok(v) = text.parse::<f64>() else {
            return false;
        };
        let decimals = text.split_once('.').map_or(0, |(_, d)| d.len()) as i32;
        let x = if as_pct { 100.0 * x } else { x };
        shown.ends_with('%') == as_pct && (v - x).abs() <= 0.5 * 10f64.powi(-decimals) + 1e-9
    };
    close(median, p50) && close(low, p5) && close(high, p95)
}

/// The median and the P5-P95 range of the row `label` of a unit's table.
fn unit_row(table: &str, label: &str) -> (String, String) {
    let start = format!("<tr><td>{label}</td><td>");
    let at = table
        .find(&start)
        .unwrap_or_else(|| panic!("no row '{label}' in {table}"))
        + start.len();
    let rest = &table[at..];
    let median = &rest[..rest.find("</td>").unwrap()];
    let range = rest.split("<td class=\"range\">").nth(1).unwrap();
    (
        median.to_string(),
        range[..range.find("</td>").unwrap()].to_string(),
    )
}

#[test]
fn report_shows_tracks_streams_and_destinations_with_the_summary_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_default(tmp.path(), &[]);
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    let sum = summary(&dir);

    // Each track: its seven figures, as in summary.csv, in the report's format.
    let tracks = table(&html, "Unit iop by track");
    for track in ["morning", "evening"] {
        let cells = row(tracks, track);
        let metrics = iopsim::model::result::TRACK_METRICS;
        assert_eq!(cells.len(), metrics.len(), "{track}: {cells:?}");
        for (cell, m) in cells.iter().zip(metrics) {
            let value = sum[&format!("iop.{track}.{m}")];
            assert!(
                shows(cell, value, m == "seat_utilization"),
                "{track} {m}: the report shows {cell}, summary.csv has {value:?}"
            );
        }
    }
    // The evening clients wait longer than the morning ones: the tracks
    // are told apart, not both given the unit's wait.
    let p90 = |t: &str| sum[&format!("iop.{t}.wait_days_p90")].1;
    assert!(p90("evening") > p90("morning") + 3.0);
    assert!(row(tracks, "evening")[4] != row(tracks, "morning")[4]);

    // Each referral stream.
    let streams = table(&html, "Referral streams");
    for stream in ["inpatient-stepdown", "php-stepdown", "community"] {
        let cells = row(streams, stream);
        let metrics = [
            "referrals",
            "admitted",
            "no_shows",
            "turned_away",
            "reneged",
            "wait_days",
            "wait_days_p90",
        ];
        assert_eq!(cells.len(), metrics.len(), "{stream}: {cells:?}");
        for (cell, m) in cells.iter().zip(metrics) {
            let value = sum[&format!("stream.{stream}.{m}")];
            assert!(
                shows(cell, value, false),
                "{stream} {m}: the report shows {cell}, summary.csv has {value:?}"
            );
        }
    }

    // Where leavers went: in the unit's table and in the outcomes chart.
    let unit = table(&html, "Unit iop");
    for (dest, label) in [
        ("alumni", "Went on to alumni"),
        ("outpatient", "Went on to outpatient"),
        ("php", "Went on to php"),
        ("home", "Went home"),
    ] {
        let value = sum[&format!("iop.to.{dest}")];
        let (median, range) = unit_row(unit, label);
        let cell = format!("{median}<span class=\"range\">{range}</span>");
        assert!(
            shows(&cell, value, false),
            "{label}: the report shows {cell}, summary.csv has {value:?}"
        );
    }
    let outcomes = fs::read_to_string(dir.join("outcomes-iop.svg")).unwrap();
    for text in [
        "Where those who left care went",
        "to alumni",
        "to outpatient",
        "to php",
        "to home",
        "dropped out",
    ] {
        assert!(outcomes.contains(text), "outcomes-iop.svg lacks '{text}'");
    }

    // The chart of waits by track: written, shown after the unit's waits,
    // each track's pooled P90 marked, and the caption says which P90 it is.
    for ext in ["png", "svg"] {
        assert!(dir.join(format!("track-waits-iop.{ext}")).is_file());
    }
    let svg = fs::read_to_string(dir.join("track-waits-iop.svg")).unwrap();
    let marked = |track: &str| -> f64 {
        let at = svg
            .find(&format!("{track} P90 "))
            .unwrap_or_else(|| panic!("no {track} P90 marker"));
        let rest = &svg[at + track.len() + 5..];
        rest[..rest.find(" d").unwrap()].parse().unwrap()
    };
    assert!(marked("evening") > marked("morning") + 3.0);
    let unit_waits = html.find("<figure id=\"waits-iop\">").unwrap();
    let track_waits = html.find("<figure id=\"track-waits-iop\">").unwrap();
    assert!(unit_waits < track_waits);
    let figure = &html[track_waits..track_waits + html[track_waits..].find("</figure>").unwrap()];
    assert!(figure.contains("<code>track-waits-iop.png</code>"));
    assert!(figure.contains("All admissions of all trials pooled"));
}

/// The shipped staffed scenario: its console lines, the intake table and
/// chart, and the staff table show the figures of `summary.csv`; the
/// cancelled sessions are a warning.
#[test]
fn staffed_scenario_shows_intake_and_staff_with_the_summary_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("iopsim")
        .unwrap()
        .args([
            "run",
            "scenarios/staffed-iop.toml",
            "--trials",
            "40",
            "--quiet",
        ])
        .arg("--out")
        .arg(tmp.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let console = String::from_utf8(out).unwrap();
    for line in [
        "iop: intake wait, mean (days)",
        "iop: intake wait, P90 (days)",
        "iop: intake no-shows",
        "iop: intake slots used",
        "iop: sessions cancelled, no staff",
        "staff: therapist hours on duty",
        "staff: therapist utilization",
        "staff: therapist caseload ",
        "staff: therapist caseload full",
        "staff: therapist held back",
    ] {
        assert!(
            console.lines().any(|l| l.starts_with(line)),
            "no line '{line}' in\n{console}"
        );
    }
    // The prescriber has no roster: no lines of one.
    assert!(!console.contains("prescriber hours on duty"));

    let dir = tmp.path().join("staffed-iop");
    for ext in ["png", "svg"] {
        assert!(dir.join(format!("intake-waits-iop.{ext}")).is_file());
    }
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    let sum = summary(&dir);
    let check = |caption: &str, label: &str, metric: &str, as_pct: bool| {
        let (median, range) = unit_row(table(&html, caption), label);
        let cell = format!("{median}<span class=\"range\">{range}</span>");
        let value = sum[metric];
        assert!(
            shows(&cell, value, as_pct),
            "{label}: the report shows {cell}, summary.csv has {metric} {value:?}"
        );
    };
    let intake = "Unit iop: intake";
    check(intake, "Appointments due", "iop.intakes", false);
    check(
        intake,
        "Wait for the appointment, mean (days)",
        "iop.intake_wait_days",
        false,
    );
    check(
        intake,
        "Wait for the appointment, P90 (days)",
        "iop.intake_wait_days_p90",
        false,
    );
    check(
        intake,
        "No-shows at the appointment",
        "iop.intake_no_shows",
        false,
    );
    check(
        intake,
        "Slots booked, of those offered",
        "iop.intake_slots_used",
        true,
    );
    check(
        "Unit iop",
        "Group sessions cancelled, no facilitator on duty",
        "iop.sessions_cancelled",
        false,
    );
    let staff = "Staff: therapist";
    for (label, metric, as_pct) in [
        (
            "Hours on duty per week, average (after leave, holidays, vacancies)",
            "hours_on_duty",
            false,
        ),
        (
            "Utilization: hours needed / hours on duty",
            "utilization",
            true,
        ),
        (
            "FTE the timetable needs (groups and fixed intake slots)",
            "timetable_fte",
            false,
        ),
        (
            "Group sessions cancelled, none on duty",
            "sessions_cancelled",
            false,
        ),
        ("Caseload, average patients", "caseload", false),
        ("Caseload cap (patients)", "caseload_cap", false),
        ("Time at the cap", "caseload_full", true),
        (
            "Admissions held back by a full caseload",
            "caseload_held_back",
            false,
        ),
    ] {
        check(staff, label, &format!("staff.therapist.{metric}"), as_pct);
    }
    assert!(!html.contains("<h3>Staff: prescriber</h3><table><thead><tr><th></th><th>median</th><th>P5\u{2013}P95</th></tr></thead><tbody><tr><td>Hours on staff per week (FTE"));
    // The intake chart sits between the waitlist and the waits to admission.
    let at = |id: &str| {
        html.find(&format!("<figure id=\"{id}\">"))
            .unwrap_or_else(|| panic!("no figure {id}"))
    };
    assert!(
        at("waitlist-iop") < at("intake-waits-iop") && at("intake-waits-iop") < at("waits-iop")
    );
    // The evening therapist works alone: their leave cancels evening groups.
    let cancelled = sum["staff.therapist.sessions_cancelled"].1;
    assert!(cancelled >= 1.0, "{cancelled}");
    assert!(
        html.contains("group sessions a year are cancelled for want of a therapist on duty"),
        "no warning of cancelled sessions"
    );
}

/// The default scenario with a detox bed unit in front of the IOP: a
/// referral stream into it, and half its discharges going on to the IOP.
fn bed_scenario(dir: &Path) -> PathBuf {
    let text = fs::read_to_string("scenarios/default.toml")
        .unwrap()
        .replacen(
            "# --- The IOP ---",
            r#"[[referrals]]
name = "ed"
to = "detox"
per_week = 2.5
show = 1.0

[[units]]
name = "detox"
kind = "beds"
capacity = 6
stay = { dist = "lognormal", mean = 5, sd = 2 }
on_discharge = { iop = 0.5, residential = 0.15 }
handoff = "wait_in_place"
waitlist = { capacity = 4, patience = { dist = "exponential", mean = 2 } }

# --- The IOP ---"#,
            1,
        )
        .replacen("name = \"midsize-adult-iop\"", "name = \"beds-first\"", 1);
    let path = dir.join("beds.toml");
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn bed_units_show_only_what_can_happen_to_a_bed_and_where_patients_went() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = bed_scenario(tmp.path());
    let out = Command::cargo_bin("iopsim")
        .unwrap()
        .arg("run")
        .arg(&scenario)
        .args(["--trials", "30", "--quiet", "--out"])
        .arg(tmp.path().join("out"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let console = String::from_utf8(out).unwrap();
    let dir = tmp.path().join("out").join("beds-first");
    let html = fs::read_to_string(dir.join("report.html")).unwrap();

    let beds = table(&html, "Unit detox");
    assert!(beds.contains("<td>Discharged</td>"), "{beds}");
    assert!(beds.contains("<td>Lost: gave up waiting</td>"), "{beds}");
    for gone in [
        "Completed",
        "Dropped out",
        "Administrative discharge",
        "Stepped up",
    ] {
        assert!(!beds.contains(&format!("<td>{gone}</td>")), "{gone}");
    }
    assert!(beds.contains("<td>Went on to iop</td>"), "{beds}");
    assert!(beds.contains("<td>Went on to residential</td>"), "{beds}");
    assert!(beds.contains("<td>Went home</td>"), "{beds}");
    // The session unit keeps them all.
    let iop = table(&html, "Unit iop");
    for kept in ["Completed", "Dropped out", "Administrative discharge"] {
        assert!(iop.contains(&format!("<td>{kept}</td>")), "{kept}");
    }
    assert!(!html.contains("Unit detox by track"));

    let svg = fs::read_to_string(dir.join("outcomes-detox.svg")).unwrap();
    for text in [
        "discharged",
        "gave up waiting",
        "Where discharged patients went",
        "to iop",
        "to residential",
        "to home",
    ] {
        assert!(svg.contains(text), "outcomes-detox.svg lacks '{text}'");
    }
    for gone in ["dropped out", "admin. discharge", "stepped up", "completed"] {
        assert!(!svg.contains(gone), "outcomes-detox.svg shows '{gone}'");
    }
    let (w, h, _) = decode_png(&dir.join("outcomes-detox.png"));
    assert_eq!(w, 960);
    assert!(h >= 480);

    // The console summary too.
    assert!(console.contains("detox: discharged"), "{console}");
    for gone in [
        "detox: dropped out",
        "detox: admin. discharged",
        "detox: completed",
    ] {
        assert!(!console.contains(gone), "{console}");
    }
    assert!(
        console.contains("iop.evening: wait, P90 (days)"),
        "{console}"
    );
}

#[test]
fn report_loads_in_headless_chromium_without_errors_and_shows_every_chart() {
    let Some(chrome) = chromium() else {
        if std::env::var_os("CI").is_some() {
            panic!("chromium is not installed; .ci/run installs it (apt-get install chromium)");
        }
        println!(
            "SKIPPED: chromium is not installed (apt-get install chromium); not failing outside CI"
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_default(&tmp.path().join("out"), &[]);
    let report = dir.join("report.html");
    let html = fs::read_to_string(&report).unwrap();
    let charts = html.matches("<svg ").count();
    assert!(charts >= 7);

    // 1. The page as shipped: a screenshot, and nothing on the console
    // (a blocked fetch would be a content-security-policy error there).
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-screenshot.png");
    let _ = fs::remove_file(&shot);
    let (_, stderr) = headless(
        &chrome,
        &tmp.path().join("profile-1"),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1366,2400",
        ],
        &report,
    );
    assert_eq!(console_lines(&stderr), Vec::<&str>::new(), "{stderr}");
    let (w, h, rgb) = decode_png(&shot);
    assert_eq!((w, h), (1366, 2400));
    // Text at the top, tables and the first chart further down.
    for band in [(0, 0, w, 300), (0, 300, w, 1400), (0, 1400, w, 2400)] {
        assert!(
            ink(&rgb, w, band) > 5000,
            "screenshot band {band:?} is blank"
        );
    }
    println!("screenshot: {}", shot.display());

    // 2. The same page with a probe: errors from the first byte on, and the
    // laid-out size of every chart. Its policy is widened only to let the
    // probe's own inline scripts run.
    let csp = iopsim::report::html::CSP;
    assert!(html.contains(csp));
    let probed = html
        .replacen(csp, &format!("{csp}; script-src 'unsafe-inline'"), 1)
        .replacen("<head>", &format!("<head>\n{PROBE_HEAD}"), 1)
        .replacen("</body>", &format!("{PROBE_BODY}\n</body>"), 1);
    let probe_page = dir.join("probe.html");
    fs::write(&probe_page, probed).unwrap();
    let (dom, stderr) = headless(
        &chrome,
        &tmp.path().join("profile-2"),
        &[
            "--dump-dom",
            "--virtual-time-budget=5000",
            "--window-size=1366,900",
        ],
        &probe_page,
    );
    assert_eq!(console_lines(&stderr), Vec::<&str>::new(), "{stderr}");
    let start = dom.find("<pre id=\"probe\">").expect("the probe ran") + 16;
    let probe = &dom[start..start + dom[start..].find("</pre>").unwrap()];
    let lines: Vec<&str> = probe.lines().collect();
    assert_eq!(
        lines.first(),
        Some(&format!("images {charts}").as_str()),
        "{probe}"
    );
    assert_eq!(lines.last(), Some(&"done"), "{probe}");
    for l in &lines[1..lines.len() - 1] {
        let f: Vec<&str> = l.split(' ').collect();
        match f[0] {
            "size" => {
                let (w, h): (f64, f64) = (f[2].parse().unwrap(), f[3].parse().unwrap());
                assert!(w > 300.0 && h > 150.0, "chart {} is {w} x {h}", f[1]);
            }
            "overflow" => assert!(
                f[1].parse::<i64>().unwrap() <= 0,
                "the page scrolls sideways at laptop width: {l}"
            ),
            _ => panic!("the page reported a problem: {l}"),
        }
    }
}
