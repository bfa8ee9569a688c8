//! `report.html`: one self-contained page a program director can read: the
//! run's identity, plain-word warnings, key figures, and every chart inline
//! as SVG. No scripts, fonts or images are fetched; a content security
//! policy forbids it, so a stray reference shows up as a console error.

use std::fmt::Write;

use super::format::{group_thousands, money, trim_number, Fmt};
pub use super::format::{num, pct};
use super::output::Staging;
use super::plots::structure;
use super::plots::Figure;
use crate::stats::Summary;
use crate::trials::{RunResults, OUTCOMES};

/// The page's content security policy: nothing but its own inline styles.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'";

/// Writes `report.html` into the staging directory.
pub fn write(r: &RunResults, figures: &[Figure], staging: &Staging) -> anyhow::Result<()> {
    staging.write("report.html", render(r, figures).as_bytes())
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Thresholds of the warnings; each says when a director should look.
const WAITLIST_GROWTH_MIN: f64 = 2.0;
const TURNED_AWAY_SHARE: f64 = 0.01;
const RENEGED_SHARE: f64 = 0.05;
const WAIT_P90_DAYS: f64 = 14.0;
const CENSUS_OF_CAPACITY: f64 = 0.9;
const LOW_SEAT_UTILIZATION: f64 = 0.6;
const SHORT_WEEKS: f64 = 0.05;
/// Intake: one referral in ten waits longer than this for the appointment
/// (at 7 days only 38% come, domain.md [S13][S14]).
const INTAKE_WAIT_P90_DAYS: f64 = 7.0;
/// A caseload at its cap this share of the time, holding admissions back.
const CASELOAD_FULL_SHARE: f64 = 0.2;
/// A rostered role whose work takes more than this share of its hours on duty.
const HIGH_UTILIZATION: f64 = 0.9;

fn outcome_share<'a>(r: &'a RunResults, unit: &str, outcome: &str) -> Option<&'a Summary> {
    let i = OUTCOMES.iter().position(|o| *o == outcome)?;
    r.outcome_shares
        .iter()
        .find(|(u, _)| u == unit)
        .and_then(|(_, s)| s.get(i))
        .filter(|s| s.p50.is_finite())
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// (first-quarter mean, last-quarter mean) of the weekly medians, when the
/// waitlist rises from one to the other and the series has a positive trend.
fn waitlist_growth(weeks: &[Summary]) -> Option<(f64, f64)> {
    let m: Vec<f64> = weeks.iter().map(|s| s.p50).collect();
    if m.len() < 8 || m.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let q = m.len() / 4;
    let (first, last) = (mean(&m[..q]), mean(&m[m.len() - q..]));
    let xbar = (m.len() - 1) as f64 / 2.0;
    let ybar = mean(&m);
    let slope: f64 = m
        .iter()
        .enumerate()
        .map(|(i, y)| (i as f64 - xbar) * (y - ybar))
        .sum();
    (slope > 0.0 && last - first >= WAITLIST_GROWTH_MIN.max(0.5 * first)).then_some((first, last))
}

/// Warnings about the tracks of `unit`: a track where one patient in ten
/// waits two weeks or more, and seats left empty in one track while another
/// track waits that long (patients wait for the track they chose).
fn track_warnings(r: &RunResults, unit: &str) -> Vec<String> {
    let tracks = structure::tracks(r, unit);
    let median = |prefix: &str, m: &str| r.summary_of(&format!("{prefix}.{m}")).map(|s| s.p50);
    let long: Vec<(&str, f64)> = tracks
        .iter()
        .filter_map(|t| {
            let p90 = median(t.prefix, "wait_days_p90")?;
            (p90 >= WAIT_P90_DAYS).then_some((t.name, p90))
        })
        .collect();
    let mut out: Vec<String> = long
        .iter()
        .map(|(name, p90)| {
            format!(
                "{unit}, {name} track: one admitted patient in ten waits more than {} days \
                 for a place in it (P90 wait, median trial).",
                num(*p90)
            )
        })
        .collect();
    if let Some((waiting, p90)) = long.first() {
        for t in &tracks {
            let Some(util) = median(t.prefix, "seat_utilization") else {
                continue;
            };
            if util < LOW_SEAT_UTILIZATION && !long.iter().any(|(n, _)| *n == t.name) {
                out.push(format!(
                    "{unit}: only {} of the {} track's seats are filled while the {waiting} \
                     track's P90 wait is {} days: patients wait for the track they chose, \
                     so seats in one track do not shorten the wait in another.",
                    pct(util),
                    t.name,
                    num(*p90)
                ));
            }
        }
    }
    out
}

/// "a year" for a run of 52 reported weeks, else "in the N reported weeks":
/// counts are totals over the reported weeks.
fn per_period(r: &RunResults) -> String {
    if r.weeks == 52 {
        "a year".into()
    } else {
        format!("in the {} reported weeks", r.weeks)
    }
}

/// "a therapist", "an intake-worker".
fn a(word: &str) -> String {
    let an = word
        .chars()
        .next()
        .is_some_and(|c| "aeiouAEIOU".contains(c));
    format!("{} {word}", if an { "an" } else { "a" })
}

/// `unit`'s intake: one referral in ten waits more than a week for the
/// appointment, and the longer they wait the fewer come.
fn intake_warning(r: &RunResults, unit: &str) -> Option<String> {
    if !structure::has_intake(r, unit) {
        return None;
    }
    let p90 = r.summary_of(&format!("{unit}.intake_wait_days_p90"))?;
    if p90.p50.is_nan() || p90.p50 <= INTAKE_WAIT_P90_DAYS {
        return None;
    }
    let missed = match (
        r.summary_of(&format!("{unit}.intake_no_shows")),
        r.summary_of(&format!("{unit}.intakes")),
    ) {
        (Some(n), Some(d)) if d.mean > 0.0 && n.mean.is_finite() => {
            format!(": {} of all appointments are missed", pct(n.mean / d.mean))
        }
        _ => String::new(),
    };
    Some(format!(
        "{unit}: one referral in ten waits more than {} days for an intake appointment (P90 \
         wait, median trial), and the longer people wait, the fewer come{missed}. More intake \
         slots (or staff on duty to give them) shorten the wait.",
        num(p90.p50)
    ))
}

/// A rostered role's cancelled sessions and how much of its hours on duty
/// the work takes; a capped role's full caseload holding admissions back.
fn roster_warnings(r: &RunResults, role: &str) -> Vec<String> {
    let s = |m: &str| {
        r.summary_of(&format!("staff.{role}.{m}"))
            .filter(|s| s.p50.is_finite())
    };
    let period = per_period(r);
    let mut out = Vec::new();
    if structure::is_rostered(r, role) {
        if let Some(c) = s("sessions_cancelled") {
            if c.p50 >= 1.0 {
                out.push(format!(
                    "{} group sessions {period} are cancelled for want of {} on duty \
                     (P5\u{2013}P95 {}\u{2013}{}): their patients miss them, and nobody is \
                     admitted at them.",
                    num(c.p50),
                    a(role),
                    num(c.p5),
                    num(c.p95)
                ));
            } else if c.p95 >= 1.0 {
                out.push(format!(
                    "In one trial in twenty, {} or more group sessions {period} are cancelled \
                     for want of {} on duty (when a position stays vacant or leave leaves \
                     nobody to run a group); the median trial loses {}.",
                    num(c.p95),
                    a(role),
                    num(c.p50)
                ));
            }
        }
        if let Some(u) = s("utilization") {
            if u.p50 > HIGH_UTILIZATION {
                let verb = if u.p50 > 1.0 {
                    "needs more hours than the roster puts on duty"
                } else {
                    "takes almost all the hours on duty"
                };
                out.push(format!(
                    "{role} work {verb}: {} of them in the median trial (P95 {}), with little \
                     slack for sickness, cover or a rise in referrals.",
                    pct(u.p50),
                    pct(u.p95)
                ));
            }
        }
    }
    if structure::has_caseload(r, role) {
        if let (Some(full), Some(held), Some(cap)) = (
            s("caseload_full"),
            s("caseload_held_back"),
            s("caseload_cap"),
        ) {
            if full.p50 >= CASELOAD_FULL_SHARE && held.p50 >= 1.0 {
                out.push(format!(
                    "{role} caseloads are full ({} patients) {} of the time, holding back the \
                     admission of {} patients {period} while a seat was free: the caseload, not \
                     the seats, limits admissions.",
                    num(cap.p50),
                    pct(full.p50),
                    num(held.p50)
                ));
            }
        }
    }
    out
}

/// Plain-word warnings where the results call for a director's attention.
pub fn warnings(r: &RunResults) -> Vec<String> {
    let mut out = Vec::new();
    for (unit, capacity) in &r.capacity {
        let places = if r.weekly_of(&format!("{unit}.seat_utilization")).is_some() {
            "seats"
        } else {
            "beds"
        };
        if let Some((first, last)) = r
            .weekly_of(&format!("{unit}.waitlist"))
            .and_then(waitlist_growth)
        {
            out.push(format!(
                "{unit}: the waitlist grows week after week (median from {} to {} people waiting): \
                 demand exceeds capacity.",
                num(first),
                num(last)
            ));
        }
        if let Some(s) = outcome_share(r, unit, "turned_away") {
            if s.p50 >= TURNED_AWAY_SHARE {
                out.push(format!(
                    "{unit}: the waitlist is full at times: {} of referrals are turned away \
                     (P5\u{2013}P95 {}\u{2013}{}).",
                    pct(s.p50),
                    pct(s.p5),
                    pct(s.p95)
                ));
            }
        }
        if let Some(s) = outcome_share(r, unit, "reneged") {
            if s.p50 >= RENEGED_SHARE {
                out.push(format!(
                    "{unit}: {} of referrals give up while waiting for a place \
                     (P5\u{2013}P95 {}\u{2013}{}).",
                    pct(s.p50),
                    pct(s.p5),
                    pct(s.p95)
                ));
            }
        }
        if let Some(s) = r.summary_of(&format!("{unit}.wait_days_p90")) {
            if s.p50 >= WAIT_P90_DAYS {
                out.push(format!(
                    "{unit}: one admitted patient in ten waits more than {} days for a place \
                     (P90 wait, median trial).",
                    num(s.p50)
                ));
            }
        }
        out.extend(track_warnings(r, unit));
        out.extend(intake_warning(r, unit));
        if let Some(s) = r.summary_of(&format!("{unit}.census")) {
            if *capacity > 0 && s.p50 >= CENSUS_OF_CAPACITY * *capacity as f64 {
                out.push(format!(
                    "{unit}: on average {} of its {capacity} {places} are taken: little room for \
                     a surge in referrals.",
                    pct(s.p50 / *capacity as f64)
                ));
            }
        }
        if let Some(s) = r.summary_of(&format!("{unit}.seat_utilization")) {
            if s.p50 < LOW_SEAT_UTILIZATION {
                out.push(format!(
                    "{unit}: only {} of the seats offered are filled: there is room for more \
                     patients, or for fewer groups.",
                    pct(s.p50)
                ));
            }
        }
    }
    for (role, on_staff) in &r.staff_hours {
        if let Some(s) = r.summary_of(&format!("staff.{role}.short_weeks")) {
            if s.mean >= SHORT_WEEKS {
                let needed = r
                    .summary_of(&format!("staff.{role}.hours_per_week"))
                    .map(|h| {
                        format!(
                            "; the median trial needs {} h in an average week",
                            num(h.p50)
                        )
                    })
                    .unwrap_or_default();
                out.push(format!(
                    "{role} hours exceed staff in {} of weeks, averaged over trials ({} h/week on \
                     staff{needed}).",
                    pct(s.mean),
                    trim_number(*on_staff)
                ));
            }
        }
        out.extend(roster_warnings(r, role));
    }
    if let Some(net) = r.summary_of("finance.net_per_week") {
        if net.p50 < 0.0 {
            out.push(format!(
                "The program loses money: the median trial nets {} per week (cost above revenue collected).",
                money(net.p50, r.currency.as_deref())
            ));
        } else if net.p5 < 0.0 {
            out.push(format!(
                "Net margin is positive in the median trial ({} per week) but negative in at least one trial in twenty.",
                money(net.p50, r.currency.as_deref())
            ));
        }
    }
    out
}

/// The pages' CSS (also the decision pages', `decide::page`).
pub(crate) const STYLE: &str = r#"
:root { --text: #212529; --muted: #5f6368; --line: #dee2e6; --soft: #f6f7f9; --warn: #fff4e5; --warn-line: #f0a040; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--text); background: #fff; font: 16px/1.5 "DejaVu Sans", "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.8rem; margin: 0 0 4px; line-height: 1.2; }
h2 { font-size: 1.35rem; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.1rem; margin: 24px 0 6px; }
p { margin: 6px 0; }
.desc { font-size: 1.05rem; }
.meta, .note, figcaption, footer { color: var(--muted); font-size: 0.92rem; }
nav { margin: 16px 0 0; font-size: 0.95rem; }
nav a { margin-right: 14px; color: #1a5fa8; }
.warnings { background: var(--warn); border-left: 4px solid var(--warn-line); padding: 10px 16px 10px 34px; margin: 8px 0; }
.warnings li { margin: 4px 0; }
.ok { background: var(--soft); border-left: 4px solid #59a14f; padding: 10px 16px; }
.whatif { background: #eef4fb; border-left: 4px solid #1a5fa8; padding: 8px 16px; margin: 12px 0 0; }
.whatif h2 { margin: 0 0 4px; border: 0; font-size: 1.1rem; }
.whatif ul { margin: 4px 0; padding-left: 20px; }
.whatif code { overflow-wrap: anywhere; }
.edited { font-weight: 600; }
.tables { display: flex; flex-wrap: wrap; gap: 0 28px; }
.tables > div { flex: 1 1 360px; min-width: 0; }
.tables > div.unit { flex-basis: 100%; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 0.95rem; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
thead th { font-weight: 600; background: var(--soft); }
tbody tr:nth-child(even) { background: #fafbfc; }
div.unit table { width: auto; min-width: 66%; }
td { white-space: nowrap; }
td:first-child { white-space: normal; }
td.range { color: var(--muted); }
.wide { overflow-x: auto; }
table.by { width: 100%; }
table.by thead th { font-size: 0.85rem; line-height: 1.25; vertical-align: bottom; text-align: right; }
table.by thead th:first-child { text-align: left; }
table.by td { vertical-align: top; }
table.by td:first-child { font-weight: 600; }
table.by .range { display: block; font-size: 0.82rem; color: var(--muted); }
div.unit p.note { margin: 0 0 4px; }
figure { margin: 18px 0 28px; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
figure svg text { font-family: "DejaVu Sans", Verdana, sans-serif; }
figcaption { margin-top: 6px; }
code { font-size: 0.9em; }
"#;

struct Row {
    label: String,
    median: String,
    range: String,
}

fn summary_row(label: &str, s: Option<&Summary>, kind: Fmt) -> Option<Row> {
    let s = s?;
    if !s.p50.is_finite() {
        return None;
    }
    let f = |x: f64| kind.fmt(x);
    Some(Row {
        label: label.to_string(),
        median: f(s.p50),
        range: format!("{}\u{2013}{}", f(s.p5), f(s.p95)),
    })
}

/// A count with its share of referrals: "20 (40%)".
fn count_row(r: &RunResults, unit: &str, metric: &str, label: &str) -> Option<Row> {
    let mut row = summary_row(label, r.summary_of(&format!("{unit}.{metric}")), Fmt::Count)?;
    if let Some(share) = outcome_share(r, unit, metric) {
        row.median = format!("{} ({})", row.median, pct(share.p50));
        row.range = format!(
            "{} ({}\u{2013}{})",
            row.range,
            pct(share.p5),
            pct(share.p95)
        );
    }
    Some(row)
}

fn unit_rows(r: &RunResults, unit: &str, capacity: u64) -> Vec<Row> {
    let s = |m: &str| r.summary_of(&format!("{unit}.{m}"));
    let session = s("seat_utilization").is_some();
    let places = if session { "seats" } else { "beds" };
    let mut rows: Vec<Row> = [
        summary_row(
            &format!("Patients in care, average (of {capacity} {places})"),
            s("census"),
            Fmt::Num,
        ),
        summary_row("People waiting, average", s("waitlist"), Fmt::Num),
        summary_row("Wait to admission, mean (days)", s("wait_days"), Fmt::Num),
        summary_row(
            "Wait to admission, P90 (days)",
            s("wait_days_p90"),
            Fmt::Num,
        ),
        summary_row("Referrals", s("referrals"), Fmt::Count),
        summary_row("Admissions", s("admissions"), Fmt::Count),
    ]
    .into_iter()
    .flatten()
    .collect();
    let possible = structure::unit_outcomes(r, unit);
    for (metric, label) in [
        (
            "completed",
            if session { "Completed" } else { "Discharged" },
        ),
        ("dropped_out", "Dropped out"),
        ("admin_discharged", "Administrative discharge"),
        ("stepped_up", "Stepped up"),
        ("reneged", "Lost: gave up waiting"),
        ("turned_away", "Lost: turned away, waitlist full"),
        ("no_shows", "Lost: no-show at intake"),
    ] {
        if possible.contains(&metric) {
            rows.extend(count_row(r, unit, metric, label));
        }
    }
    for (dest, metric) in structure::destinations(r, unit) {
        let label = if dest == crate::model::result::HOME {
            "Went home".to_string()
        } else {
            format!("Went on to {dest}")
        };
        rows.extend(summary_row(&label, r.summary_of(metric), Fmt::Count));
    }
    rows.extend(summary_row(
        "Seat utilization",
        s("seat_utilization"),
        Fmt::Pct,
    ));
    rows.extend(summary_row("Attendance", s("attendance_rate"), Fmt::Pct));
    rows.extend(summary_row(
        "Group sessions cancelled, no facilitator on duty",
        s("sessions_cancelled"),
        Fmt::Count,
    ));
    rows
}

/// A unit's intake appointments: the wait for one, who missed it, and how
/// many of the slots offered were booked.
fn intake_rows(r: &RunResults, unit: &str) -> Vec<Row> {
    let s = |m: &str| r.summary_of(&format!("{unit}.{m}"));
    let mut rows: Vec<Row> = [
        summary_row("Appointments due", s("intakes"), Fmt::Count),
        summary_row(
            "Wait for the appointment, mean (days)",
            s("intake_wait_days"),
            Fmt::Num,
        ),
        summary_row(
            "Wait for the appointment, P90 (days)",
            s("intake_wait_days_p90"),
            Fmt::Num,
        ),
        summary_row(
            "No-shows at the appointment",
            s("intake_no_shows"),
            Fmt::Count,
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    rows.extend(summary_row(
        "Slots booked, of those offered",
        s("intake_slots_used"),
        Fmt::Pct,
    ));
    rows
}

fn intake_table(out: &mut String, r: &RunResults, unit: &str) {
    if !structure::has_intake(r, unit) {
        return;
    }
    let missed = match (
        r.summary_of(&format!("{unit}.intake_no_shows")),
        r.summary_of(&format!("{unit}.intakes")),
    ) {
        (Some(n), Some(d)) if d.mean > 0.0 && n.mean.is_finite() => format!(
            " Over all trials, {} of appointments were missed.",
            pct(n.mean / d.mean)
        ),
        _ => String::new(),
    };
    table_noted(
        out,
        "unit",
        &format!("Unit {unit}: intake"),
        &format!(
            "Each referral books the first free intake appointment; the longer they wait for \
             it, the fewer come. Those who come go on to a seat or the waitlist, and their wait \
             to admission counts from the referral.{missed}"
        ),
        &intake_rows(r, unit),
    );
}

fn section_title(section: &str) -> String {
    match section {
        "staff" => "Staff".to_string(),
        "finance" => "Finance".to_string(),
        unit => format!("Unit {unit}"),
    }
}

fn finance_rows(r: &RunResults) -> Vec<Row> {
    let s = |m: &str| r.summary_of(&format!("finance.{m}"));
    let mut rows = Vec::new();
    for (metric, label) in [
        ("revenue_per_week", "Revenue collected per week"),
        ("cost_per_week", "Cost per week"),
        ("net_per_week", "Net margin per week"),
        ("revenue_per_admission", "Revenue per admission"),
        ("cost_per_completed_episode", "Cost per completed episode"),
        (
            "lost_revenue_empty_seats_per_week",
            "Revenue lost to empty seats, per week",
        ),
        (
            "lost_revenue_waitlist_per_week",
            "Revenue lost with clients who left the waitlist, per week",
        ),
    ] {
        if let Some(s) = s(metric).filter(|s| s.p50.is_finite()) {
            let m = |x: f64| money(x, r.currency.as_deref());
            rows.push(Row {
                label: label.to_string(),
                median: m(s.p50),
                range: format!("{}\u{2013}{}", m(s.p5), m(s.p95)),
            });
        }
    }
    rows
}

fn staff_rows(r: &RunResults, role: &str, on_staff: f64) -> Vec<Row> {
    let s = |m: &str| r.summary_of(&format!("staff.{role}.{m}"));
    let mut rows = vec![Row {
        label: if structure::is_rostered(r, role) {
            "Hours on staff per week (FTE \u{d7} hours per FTE)".into()
        } else {
            "Hours on staff per week".into()
        },
        median: trim_number(on_staff),
        range: String::new(),
    }];
    rows.extend(summary_row(
        "Hours needed per week, average",
        s("hours_per_week"),
        Fmt::Num,
    ));
    if structure::is_rostered(r, role) {
        rows.extend(summary_row(
            "Hours on duty per week, average (after leave, holidays, vacancies)",
            s("hours_on_duty"),
            Fmt::Num,
        ));
        rows.extend(summary_row(
            "Utilization: hours needed / hours on duty",
            s("utilization"),
            Fmt::Pct,
        ));
    }
    rows.extend(summary_row("FTE needed", s("fte_needed"), Fmt::Num));
    if structure::is_rostered(r, role) {
        rows.extend(summary_row(
            "FTE the timetable needs (groups and fixed intake slots)",
            s("timetable_fte"),
            Fmt::Num,
        ));
    }
    rows.extend(summary_row(
        "Weeks short of hours",
        s("short_weeks"),
        Fmt::Pct,
    ));
    if structure::is_rostered(r, role) {
        rows.extend(summary_row(
            "Group sessions cancelled, none on duty",
            s("sessions_cancelled"),
            Fmt::Count,
        ));
    }
    if structure::has_caseload(r, role) {
        rows.extend(summary_row(
            "Caseload, average patients",
            s("caseload"),
            Fmt::Num,
        ));
        rows.extend(summary_row(
            "Caseload cap (patients)",
            s("caseload_cap"),
            Fmt::Num,
        ));
        rows.extend(summary_row("Time at the cap", s("caseload_full"), Fmt::Pct));
        rows.extend(summary_row(
            "Admissions held back by a full caseload",
            s("caseload_held_back"),
            Fmt::Count,
        ));
    }
    rows
}

/// A cell of a table by track or stream: the median trial's figure, and
/// its P5-P95 range below it.
fn cell(s: Option<&Summary>, kind: Fmt) -> String {
    let f = |x: f64| kind.fmt(x);
    match s {
        Some(s) if s.p50.is_finite() => format!(
            "<td>{}<span class=\"range\">{}\u{2013}{}</span></td>",
            esc(&f(s.p50)),
            esc(&f(s.p5)),
            esc(&f(s.p95))
        ),
        _ => "<td>\u{2013}</td>".to_string(),
    }
}

/// A table with one row per item (a track, a stream) and one column per
/// metric `<prefix>.<metric>`, each cell a [`cell`].
fn table_by(
    out: &mut String,
    r: &RunResults,
    caption: &str,
    note: &str,
    first: &str,
    columns: &[(&str, &str, Fmt)],
    items: &[(&str, String)],
) {
    let _ = write!(
        out,
        "<div class=\"unit\"><h3>{}</h3><p class=\"note\">{}</p><div class=\"wide\"><table class=\"by\"><thead><tr><th>{}</th>",
        esc(caption),
        esc(note),
        esc(first)
    );
    for (_, label, _) in columns {
        let _ = write!(out, "<th>{}</th>", esc(label));
    }
    out.push_str("</tr></thead><tbody>");
    for (name, prefix) in items {
        let _ = write!(out, "<tr><td>{}</td>", esc(name));
        for (metric, _, kind) in columns {
            out.push_str(&cell(r.summary_of(&format!("{prefix}.{metric}")), *kind));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div></div>\n");
}

/// Columns of the table by track: the metrics of
/// [`TRACK_METRICS`](crate::model::result::TRACK_METRICS).
const TRACK_COLUMNS: [(&str, &str, Fmt); 7] = [
    ("census", "Patients in care, average", Fmt::Num),
    ("waitlist", "People waiting, average", Fmt::Num),
    ("admissions", "Admissions", Fmt::Count),
    ("wait_days", "Wait to admission, mean (days)", Fmt::Num),
    ("wait_days_p90", "Wait to admission, P90 (days)", Fmt::Num),
    ("reneged", "Gave up waiting", Fmt::Count),
    ("seat_utilization", "Seat utilization", Fmt::Pct),
];

/// Columns of the table by referral stream: the metrics of
/// [`STREAM_METRICS`](crate::model::result::STREAM_METRICS).
const STREAM_COLUMNS: [(&str, &str, Fmt); 7] = [
    ("referrals", "Referrals", Fmt::Count),
    ("admitted", "Admitted", Fmt::Count),
    ("no_shows", "No-show at intake", Fmt::Count),
    ("turned_away", "Turned away, waitlist full", Fmt::Count),
    ("reneged", "Gave up waiting", Fmt::Count),
    ("wait_days", "Wait to admission, mean (days)", Fmt::Num),
    ("wait_days_p90", "Wait to admission, P90 (days)", Fmt::Num),
];

/// Columns of the table by patient class: the metrics of
/// [`CLASS_METRICS`](crate::model::result::CLASS_METRICS) that tell a
/// class apart.
const CLASS_COLUMNS: [(&str, &str, Fmt); 10] = [
    ("referrals", "Referrals", Fmt::Count),
    ("admitted", "Admissions", Fmt::Count),
    ("census", "Patients in care, average", Fmt::Num),
    ("wait_days", "Wait to admission, mean (days)", Fmt::Num),
    ("wait_days_p90", "Wait to admission, P90 (days)", Fmt::Num),
    ("reneged", "Gave up waiting", Fmt::Count),
    ("completed", "Completed", Fmt::Count),
    ("dropped_out", "Dropped out", Fmt::Count),
    ("stepped_up", "Stepped up", Fmt::Count),
    ("admin_discharged", "Admin. discharged", Fmt::Count),
];

fn class_table(out: &mut String, r: &RunResults) {
    let classes = structure::classes(r);
    if classes.is_empty() {
        return;
    }
    let items: Vec<(&str, String)> = classes.iter().map(|c| (*c, format!("class.{c}"))).collect();
    table_by(
        out,
        r,
        "Patient classes",
        "Each class's patients over every unit they pass through: referrals are new referrals \
         (a transfer is not one), admissions, waits and outcomes count at every unit, and the \
         census counts those in care anywhere. The median trial, with P5\u{2013}P95 below.",
        "class",
        &CLASS_COLUMNS,
        &items,
    );
}

fn track_table(out: &mut String, r: &RunResults, unit: &str) {
    let tracks = structure::tracks(r, unit);
    if tracks.is_empty() {
        return;
    }
    let items: Vec<(&str, String)> = tracks
        .iter()
        .map(|t| (t.name, t.prefix.to_string()))
        .collect();
    table_by(
        out,
        r,
        &format!("Unit {unit} by track"),
        if r.track_choice_units.iter().any(|u| u == unit) {
            "Each patient waits for the track they chose, or takes a free seat in another track \
             they accept (track_choice), and is counted in the track they were admitted to. The \
             median trial, with P5\u{2013}P95 below; seat utilization is enrolled patients over \
             the seats the track's groups offered."
        } else {
            "Each patient waits for the track they chose and stays in it. The median trial, with \
             P5\u{2013}P95 below; seat utilization is enrolled patients over the seats the \
             track's groups offered."
        },
        "track",
        &TRACK_COLUMNS,
        &items,
    );
}

fn stream_table(out: &mut String, r: &RunResults) {
    let streams = structure::streams(r);
    if streams.is_empty() {
        return;
    }
    let items: Vec<(&str, String)> = streams
        .iter()
        .map(|s| (*s, format!("stream.{s}")))
        .collect();
    table_by(
        out,
        r,
        "Referral streams",
        "What became of each stream's referrals at the unit they were referred to (later \
         transfers count at the units). Waiting patients are admitted in order of their stream's \
         priority (a lower number first), so differences in waits show what priority does. The \
         median trial, with P5\u{2013}P95 below.",
        "stream",
        &STREAM_COLUMNS,
        &items,
    );
}

fn table(out: &mut String, class: &str, caption: &str, rows: &[Row]) {
    table_noted(out, class, caption, "", rows);
}

/// [`table`] with a note under its caption (none if empty).
fn table_noted(out: &mut String, class: &str, caption: &str, note: &str, rows: &[Row]) {
    let note = if note.is_empty() {
        String::new()
    } else {
        format!("<p class=\"note\">{}</p>", esc(note))
    };
    let _ = write!(
        out,
        "<div class=\"{class}\"><h3>{}</h3>{note}<table><thead><tr><th></th><th>median</th><th>P5\u{2013}P95</th></tr></thead><tbody>",
        esc(caption)
    );
    for row in rows {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"range\">{}</td></tr>",
            esc(&row.label),
            esc(&row.median),
            esc(&row.range)
        );
    }
    out.push_str("</tbody></table></div>\n");
}

fn anchor(section: &str) -> String {
    format!(
        "section-{}",
        super::plots::chart::file_safe(section).to_lowercase()
    )
}

/// Puts a plotters SVG document inline, labelled for screen readers.
pub(crate) fn inline_svg(svg: &str, title: &str) -> String {
    let label = format!("<svg role=\"img\" aria-label=\"{}\"", esc(title));
    match svg.trim().strip_prefix("<svg") {
        Some(rest) => format!("{label}{rest}"),
        None => svg.to_string(),
    }
}

fn figure(out: &mut String, f: &Figure) {
    figure_svg(out, &f.chart.stem, &f.chart.title, &f.chart.about, &f.svg);
}

/// A chart inline with its caption and the names of its PNG and SVG files.
pub(crate) fn figure_svg(out: &mut String, stem: &str, title: &str, about: &str, svg: &str) {
    let stem = esc(stem);
    let _ = write!(
        out,
        "<figure id=\"{stem}\">\n{}\n<figcaption>{} <span class=\"files\">Files: <code>{stem}.png</code>, <code>{stem}.svg</code>.</span></figcaption></figure>\n",
        inline_svg(svg, title),
        esc(about)
    );
}

/// The start of a page up to `<main>`: the head with its content security
/// policy, `title` (escaped here) and the CSS, `extra_style` after it.
pub(crate) fn page_head(out: &mut String, title: &str, extra_style: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <title>{}</title>\n<style>{STYLE}{extra_style}</style>\n</head>\n<body>\n<main>\n",
        esc(title)
    );
}

/// A what-if run (`--set`): the changes to the scenario file, first on the
/// page, so that a printed copy cannot pass for the file's program.
fn what_if(out: &mut String, r: &RunResults) {
    if r.overrides.is_empty() {
        return;
    }
    let n = r.overrides.len();
    let _ = write!(
        out,
        "<section id=\"what-if\" class=\"whatif\">\n<h2>What if: the scenario file with {}</h2>\n\
         <p>Every figure on this page is for the program as changed; <code>scenario.toml</code> \
         beside this page is the program as simulated.</p>\n<ul>\n",
        if n == 1 {
            "one change".to_string()
        } else {
            format!("{n} changes")
        }
    );
    for o in &r.overrides {
        let _ = writeln!(out, "<li><code>--set {}</code></li>", esc(o));
    }
    out.push_str("</ul>\n</section>\n");
}

/// The inputs drawn per trial: the bands carry what is not known about
/// them as well as the luck of arrivals.
fn uncertain_inputs(out: &mut String, r: &RunResults) {
    if r.uncertain_inputs.is_empty() {
        return;
    }
    out.push_str(
        "<section id=\"uncertain-inputs\">\n<h2>Uncertain inputs</h2>\n\
         <p>Each trial drew these inputs anew, so every band on this page carries what is \
         not known about them as well as the luck of arrivals and patients \
         (<code>--fixed-inputs</code> runs them at their means).</p>\n<ul>\n",
    );
    for i in &r.uncertain_inputs {
        let _ = writeln!(out, "<li><code>{}</code></li>", esc(i));
    }
    out.push_str("</ul>\n</section>\n");
}

/// The whole page. Depends only on the results and figures, never on the
/// clock or the machine, so it is byte-identical across runs and threads.
pub fn render(r: &RunResults, figures: &[Figure]) -> String {
    let mut sections: Vec<String> = Vec::new();
    for f in figures {
        if !sections.contains(&f.chart.section) {
            sections.push(f.chart.section.clone());
        }
    }
    let mut out =
        String::with_capacity(64 * 1024 + figures.iter().map(|f| f.svg.len()).sum::<usize>());
    let name = esc(&r.scenario_name);
    page_head(
        &mut out,
        &format!("{} \u{2013} iopsim report", r.scenario_name),
        "",
    );
    let end = r
        .start_date
        .checked_add_days(chrono::Days::new(7 * u64::from(r.weeks.max(1)) - 1))
        .map(|d| format!(" to {}", d.format("%-d %b %Y")))
        .unwrap_or_default();
    let edited = if r.overrides.is_empty() {
        ""
    } else {
        "<span class=\"edited\">As the file describes it, before the changes below:</span> "
    };
    let _ = write!(
        out,
        "<header>\n<h1>{name}</h1>\n<p class=\"desc\">{edited}{}</p>\n\
         <p class=\"meta\">{} trials \u{d7} {} weeks, {}{end} (after {} warm-up weeks) \u{b7} seed {} \u{b7} iopsim {}</p>\n",
        esc(&r.description),
        group_thousands(u64::from(r.trials)),
        r.weeks,
        r.start_date.format("%-d %b %Y"),
        r.warmup_weeks,
        r.seed,
        esc(r.version)
    );
    out.push_str("<nav><a href=\"#attention\">What needs attention</a><a href=\"#key-figures\">Key figures</a>");
    for s in &sections {
        let title = section_title(s);
        let _ = write!(out, "<a href=\"#{}\">{}</a>", anchor(s), esc(&title));
    }
    out.push_str("</nav>\n</header>\n");
    what_if(&mut out, r);
    uncertain_inputs(&mut out, r);

    out.push_str("<section id=\"attention\">\n<h2>What needs attention</h2>\n");
    let warns = warnings(r);
    if warns.is_empty() {
        out.push_str("<p class=\"ok\">Nothing stands out: waits, losses, capacity and staff hours are within the report's thresholds.</p>\n");
    } else {
        out.push_str("<ul class=\"warnings\">\n");
        for w in &warns {
            let _ = writeln!(out, "<li>{}</li>", esc(w));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");

    let _ = write!(
        out,
        "<section id=\"key-figures\">\n<h2>Key figures</h2>\n<p class=\"note\">The median trial and the range \
         that holds nine trials in ten (P5\u{2013}P95). Counts are totals over the {} reported weeks, \
         with their share of referrals; levels are averages over those weeks. A <em>P90 wait</em> \
         is, within one trial, the wait that one admitted patient in ten exceeds; the tables, \
         the warnings above and the console give the median trial's, as <code>summary.csv</code> \
         does in its <code>p50</code> column (<code>wait_days_p90</code>). The wait charts pool \
         the admissions of all trials instead, and say so. Every metric is in \
         <code>summary.csv</code>, week by week in <code>weekly.csv</code>.</p>\n<div class=\"tables\">\n",
        r.weeks
    );
    for (unit, capacity) in &r.capacity {
        table(
            &mut out,
            "unit",
            &format!("Unit {unit}"),
            &unit_rows(r, unit, *capacity),
        );
        intake_table(&mut out, r, unit);
        track_table(&mut out, r, unit);
    }
    stream_table(&mut out, r);
    class_table(&mut out, r);
    for (role, on_staff) in &r.staff_hours {
        table(
            &mut out,
            "staff",
            &format!("Staff: {role}"),
            &staff_rows(r, role, *on_staff),
        );
    }
    if r.summary_of("finance.net_per_week").is_some() {
        table(&mut out, "finance", "Finance", &finance_rows(r));
    }
    out.push_str("</div>\n</section>\n");

    for s in &sections {
        let title = section_title(s);
        let _ = write!(
            out,
            "<section id=\"{}\">\n<h2>{}</h2>\n",
            anchor(s),
            esc(&title)
        );
        for f in figures.iter().filter(|f| &f.chart.section == s) {
            figure(&mut out, f);
        }
        out.push_str("</section>\n");
    }
    let _ = write!(
        out,
        "<footer><p>How to read the charts: a line is the median trial, the darker band holds the middle \
         half of trials and the lighter band nine trials in ten. Trials differ only in chance: who is \
         referred when, who attends, who stays. Made by iopsim {} from <code>scenario.toml</code> in \
         this folder; rerun it to reproduce every number.</p></footer>\n</main>\n</body>\n</html>\n",
        esc(r.version)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::plots::{render_all, test_results, test_results_staffed};

    #[test]
    fn warnings_name_the_problems_in_plain_words() {
        let w = warnings(&test_results());
        let has = |s: &str| w.iter().any(|w| w.contains(s));
        assert!(has("iop: the waitlist grows week after week"), "{w:#?}");
        assert!(has("demand exceeds capacity"));
        assert!(has("2.0% of referrals are turned away"));
        assert!(has("8.0% of referrals give up while waiting"));
        assert!(has("waits more than 15 days"));
        assert!(has("therapist hours exceed staff in 30% of weeks, averaged over trials (54 h/week on staff; the median trial needs 57 h"));
        assert!(!has("inpatient"), "the empty unit raises nothing: {w:#?}");
        assert!(!has("seats are filled"), "80% utilization is fine");
        // The long wait is in one track: named, and the other is not.
        assert!(
            has("iop, evening.late track: one admitted patient in ten waits more than 20 days"),
            "{w:#?}"
        );
        assert!(!has("morning track: one admitted"), "{w:#?}");
        assert!(!has("morning track's seats"), "70% filled is fine: {w:#?}");
    }

    #[test]
    fn empty_seats_in_one_track_beside_a_long_wait_in_another_are_named() {
        let mut r = test_results();
        for (name, s) in r.summary_names.iter().zip(r.summary.iter_mut()) {
            if name == "iop.morning.seat_utilization" {
                *s = Summary::of(&[0.45]);
            }
        }
        let w = warnings(&r);
        assert!(
            w.iter().any(|w| w.contains(
                "iop: only 45% of the morning track's seats are filled while the evening.late track's P90 wait is 20 days"
            )),
            "{w:#?}"
        );
        // Without the long wait, empty seats in a track are no warning of theirs.
        for (name, s) in r.summary_names.iter().zip(r.summary.iter_mut()) {
            if name == "iop.evening.late.wait_days_p90" {
                *s = Summary::of(&[5.0]);
            }
        }
        assert!(!warnings(&r).iter().any(|w| w.contains("track's seats")));
    }

    #[test]
    fn a_calm_run_has_no_warnings() {
        let mut r = test_results();
        let flat = r.weekly[0].clone();
        r.weekly[1] = flat; // waitlist no longer grows
        for (name, s) in r.summary_names.iter().zip(r.summary.iter_mut()) {
            if name.ends_with("wait_days_p90") || name.ends_with("short_weeks") {
                *s = Summary::of(&[0.0]);
            }
        }
        for (_, shares) in &mut r.outcome_shares {
            for s in shares.iter_mut().skip(4) {
                *s = Summary::of(&[0.0]);
            }
        }
        assert_eq!(warnings(&r), Vec::<String>::new());
        assert!(render(&r, &[]).contains("Nothing stands out"));
    }

    #[test]
    fn waitlist_growth_needs_a_real_rise() {
        let s = |v: f64| Summary::of(&[v]);
        let flat: Vec<Summary> = (0..20).map(|_| s(10.0)).collect();
        assert_eq!(waitlist_growth(&flat), None);
        let noisy: Vec<Summary> = (0..20).map(|i| s(10.0 + (i % 2) as f64)).collect();
        assert_eq!(waitlist_growth(&noisy), None);
        let rising: Vec<Summary> = (0..20).map(|i| s(i as f64)).collect();
        assert_eq!(waitlist_growth(&rising), Some((2.0, 17.0)));
        let falling: Vec<Summary> = (0..20).map(|i| s(20.0 - i as f64)).collect();
        assert_eq!(waitlist_growth(&falling), None);
    }

    #[test]
    fn report_is_one_self_contained_escaped_page() {
        let r = test_results();
        let figures = render_all(&r).unwrap();
        let html = render(&r, &figures);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<h1>tiny</h1>"));
        assert!(html.contains("&lt;with markup &amp; quotes&quot;&gt;"));
        assert!(html.contains("20 trials \u{d7} 8 weeks, 4 Jan 2027 to 28 Feb 2027"));
        assert!(html.contains("seed 7"));
        assert!(html.contains("iopsim 0.0.0-test"));
        assert_eq!(html.matches("<svg role=\"img\"").count(), figures.len());
        // Nothing to fetch: no scripts, links to elsewhere, images or fonts.
        for bad in ["<script", "src=", "href=\"http", "url(", "@import", "<link"] {
            assert!(!html.contains(bad), "report contains {bad}");
        }
        // Key figures: census with capacity, losses with their shares.
        assert!(html.contains("Patients in care, average (of 24 seats)"));
        assert!(html.contains("<td>Lost: gave up waiting</td><td>4 (8.0%)</td>"));
        assert!(html.contains("<td>FTE needed</td><td>1.9</td>"));
        assert!(html.contains("<td>Seat utilization</td><td>80%</td>"));
        // The empty unit shows what it can and no NaN anywhere.
        assert!(html.contains("of 10 beds"));
        assert!(
            !html.contains("NaN"),
            "{}",
            &html[html.find("NaN").unwrap_or(0).saturating_sub(300)..][..400]
        );
    }

    /// The cells of the row of `first` in the table under `<h3>caption</h3>`.
    fn table_row(html: &str, caption: &str, first: &str) -> Vec<String> {
        let at = html
            .find(&format!("<h3>{caption}</h3>"))
            .unwrap_or_else(|| panic!("no table {caption}"));
        let table = &html[at..at + html[at..].find("</table>").unwrap()];
        let row = table
            .split("<tr>")
            .find(|r| r.starts_with(&format!("<td>{first}</td>")))
            .unwrap_or_else(|| panic!("no row {first} in {table}"));
        row.split("<td>")
            .skip(2)
            .map(|c| c.split("</td>").next().unwrap().to_string())
            .collect()
    }

    #[test]
    fn tracks_have_a_table_of_their_own_figures() {
        let r = test_results();
        let html = render(&r, &[]);
        let evening = table_row(&html, "Unit iop by track", "evening.late");
        let range = |a: &str, b: &str| format!("<span class=\"range\">{a}\u{2013}{b}</span>");
        assert_eq!(
            evening,
            [
                format!("11{}", range("8.8", "13.2")),
                format!("3{}", range("2.4", "3.6")),
                // Counts whole: admissions and those who gave up.
                format!("22{}", range("18", "26")),
                format!("9{}", range("7.2", "10.8")),
                format!("20{}", range("16", "24")),
                format!("3{}", range("2", "4")),
                format!("95%{}", range("76%", "114%")),
            ]
        );
        let morning = table_row(&html, "Unit iop by track", "morning");
        assert_eq!(morning[4], format!("4{}", range("3.2", "4.8")));
        assert_eq!(morning[6], format!("70%{}", range("56%", "84%")));
        // Right after the unit's own table, and only for units with tracks.
        let unit = html.find("<h3>Unit iop</h3>").unwrap();
        let tracks = html.find("<h3>Unit iop by track</h3>").unwrap();
        assert!(unit < tracks && tracks < html.find("<h3>Unit inpatient</h3>").unwrap());
        assert!(!html.contains("Unit inpatient by track"));
    }

    #[test]
    fn streams_have_a_table_and_leavers_their_destinations() {
        let html = render(&test_results(), &[]);
        let step_down = table_row(&html, "Referral streams", "step-down.v2");
        assert_eq!(step_down.len(), 7);
        assert!(step_down[0].starts_with("20<"), "{step_down:?}");
        assert!(step_down[5].starts_with("3<"), "{step_down:?}");
        assert!(step_down[6].starts_with("7.5<"), "{step_down:?}");
        let community = table_row(&html, "Referral streams", "community");
        assert!(community[6].starts_with("18<"), "{community:?}");
        assert!(html.contains("<td>Went on to outpatient</td><td>14</td>"));
        assert!(html.contains("<td>Went on to php</td><td>2</td>"));
        assert!(html.contains("<td>Went home</td><td>21</td>"));
        assert!(html.contains("<td>Went on to iop</td><td>0</td>"));
    }

    #[test]
    fn bed_units_list_only_what_can_happen_to_a_bed() {
        let mut r = test_results();
        for m in [
            "completed",
            "dropped_out",
            "admin_discharged",
            "stepped_up",
            "reneged",
        ] {
            r.summary_names.push(format!("inpatient.{m}"));
            r.summary.push(Summary::of(&[2.0]));
        }
        let html = render(&r, &[]);
        let at = html.find("<h3>Unit inpatient</h3>").unwrap();
        let table = &html[at..at + html[at..].find("</table>").unwrap()];
        assert!(table.contains("<td>Discharged</td><td>2</td>"), "{table}");
        assert!(table.contains("<td>Lost: gave up waiting</td>"), "{table}");
        for gone in [
            "Completed",
            "Dropped out",
            "Administrative discharge",
            "Stepped up",
        ] {
            assert!(
                !table.contains(&format!("<td>{gone}</td>")),
                "{gone}: {table}"
            );
        }
        let at = html.find("<h3>Unit iop</h3>").unwrap();
        let table = &html[at..at + html[at..].find("</table>").unwrap()];
        for kept in [
            "Completed",
            "Dropped out",
            "Administrative discharge",
            "Stepped up",
        ] {
            assert!(
                table.contains(&format!("<td>{kept}</td>")),
                "{kept}: {table}"
            );
        }
    }

    fn set(r: &mut RunResults, metric: &str, s: Summary) {
        let i = r
            .summary_names
            .iter()
            .position(|n| n == metric)
            .unwrap_or_else(|| panic!("no {metric}"));
        r.summary[i] = s;
    }

    /// (median, P5-P95) of the row `label` of the table under `<h3>caption</h3>`.
    fn figure_row(html: &str, caption: &str, label: &str) -> (String, String) {
        let at = html
            .find(&format!("<h3>{caption}</h3>"))
            .unwrap_or_else(|| panic!("no table {caption}"));
        let table = &html[at..at + html[at..].find("</table>").unwrap()];
        let start = format!("<tr><td>{}</td><td>", esc(label));
        let row = &table[table
            .find(&start)
            .unwrap_or_else(|| panic!("no row {label} in {table}"))
            + start.len()..];
        let median = &row[..row.find("</td>").unwrap()];
        let range = row.split("<td class=\"range\">").nth(1).unwrap();
        (
            median.to_string(),
            range[..range.find("</td>").unwrap()].to_string(),
        )
    }

    #[test]
    fn intake_and_staff_constraints_have_their_figures_when_present() {
        let html = render(&test_results_staffed(), &[]);
        let dash = |a: &str, b: &str| format!("{a}\u{2013}{b}");
        let intake = "Unit iop: intake";
        for (label, median, low, high) in [
            ("Appointments due", "60", "48", "72"),
            ("Wait for the appointment, mean (days)", "3", "2.4", "3.6"),
            ("Wait for the appointment, P90 (days)", "6", "4.8", "7.2"),
            ("No-shows at the appointment", "15", "12", "18"),
            ("Slots booked, of those offered", "75%", "60%", "90%"),
        ] {
            assert_eq!(
                figure_row(&html, intake, label),
                (median.to_string(), dash(low, high)),
                "{label}"
            );
        }
        assert!(html.contains("Over all trials, 25% of appointments were missed."));
        // Right after the unit's own table, before its tracks'.
        let pos = |h: &str| html.find(&format!("<h3>{h}</h3>")).unwrap();
        assert!(pos("Unit iop") < pos(intake) && pos(intake) < pos("Unit iop by track"));
        assert!(!html.contains("Unit inpatient: intake"));
        assert_eq!(
            figure_row(
                &html,
                "Unit iop",
                "Group sessions cancelled, no facilitator on duty"
            ),
            ("12".to_string(), dash("10", "14"))
        );
        let staff = "Staff: therapist";
        for (label, median, range) in [
            (
                "Hours on staff per week (FTE \u{d7} hours per FTE)",
                "54",
                String::new(),
            ),
            (
                "Hours on duty per week, average (after leave, holidays, vacancies)",
                "81",
                dash("64.8", "97.2"),
            ),
            ("Hours needed per week, average", "57", dash("45.6", "68.4")),
            (
                "Utilization: hours needed / hours on duty",
                "70%",
                dash("56%", "84%"),
            ),
            (
                "FTE the timetable needs (groups and fixed intake slots)",
                "0.6",
                dash("0.48", "0.72"),
            ),
            (
                "Group sessions cancelled, none on duty",
                "12",
                dash("10", "14"),
            ),
            ("Caseload, average patients", "18", dash("14.4", "21.6")),
            ("Caseload cap (patients)", "21", dash("21", "21")),
            ("Time at the cap", "5.0%", dash("4.0%", "6.0%")),
            (
                "Admissions held back by a full caseload",
                "1",
                dash("1", "1"),
            ),
        ] {
            assert_eq!(
                figure_row(&html, staff, label),
                (median.to_string(), range),
                "{label}"
            );
        }
    }

    #[test]
    fn without_staff_constraints_the_report_is_as_before() {
        let html = render(&test_results(), &[]);
        for gone in [
            "intake</h3>",
            "Appointments due",
            "cancelled",
            "on duty",
            "Caseload",
            "held back",
            "Hours on staff per week (FTE",
        ] {
            assert!(!html.contains(gone), "{gone}");
        }
        assert!(html.contains("<td>Hours on staff per week</td><td>54</td>"));
        let w = warnings(&test_results());
        assert!(!w.iter().any(|w| w.contains("cancelled")
            || w.contains("intake")
            || w.contains("caseload")
            || w.contains("on duty")));
    }

    #[test]
    fn staff_warnings_name_cancelled_sessions_intake_waits_full_caseloads_and_busy_rosters() {
        let has = |r: &RunResults, s: &str| warnings(r).iter().any(|w| w.contains(s));
        let mut r = test_results_staffed();
        // Sessions cancelled in the median trial, as a total over the run.
        assert!(
            has(
                &r,
                "12 group sessions in the 8 reported weeks are cancelled for want of a therapist \
                 on duty (P5\u{2013}P95 9.6\u{2013}14.4)"
            ),
            "{:#?}",
            warnings(&r)
        );
        r.weeks = 52;
        assert!(has(
            &r,
            "12 group sessions a year are cancelled for want of a therapist on duty"
        ));
        // Below their thresholds: an intake P90 of 6 days, 70% utilization,
        // a caseload full 5% of the time.
        for quiet in ["intake appointment", "hours on duty", "caseloads are full"] {
            assert!(!has(&r, quiet), "{quiet}: {:#?}", warnings(&r));
        }
        // None cancelled in the median trial, some in one trial in twenty.
        set(
            &mut r,
            "staff.therapist.sessions_cancelled",
            Summary {
                p95: 3.0,
                ..Summary::of(&[0.0])
            },
        );
        assert!(has(
            &r,
            "In one trial in twenty, 3 or more group sessions a year are cancelled for want of \
             a therapist on duty"
        ));
        assert!(has(&r, "the median trial loses 0."));
        set(
            &mut r,
            "staff.therapist.sessions_cancelled",
            Summary::of(&[0.0]),
        );
        assert!(!has(&r, "cancelled"));

        set(&mut r, "iop.intake_wait_days_p90", Summary::of(&[9.2]));
        assert!(has(
            &r,
            "iop: one referral in ten waits more than 9.2 days for an intake appointment (P90 \
             wait, median trial), and the longer people wait, the fewer come: 25% of all \
             appointments are missed."
        ));
        set(&mut r, "iop.intake_wait_days_p90", Summary::of(&[7.0]));
        assert!(!has(&r, "intake appointment"), "7 days is not over 7");

        set(&mut r, "staff.therapist.utilization", Summary::of(&[0.95]));
        assert!(has(
            &r,
            "therapist work takes almost all the hours on duty: 95% of them in the median trial"
        ));
        set(&mut r, "staff.therapist.utilization", Summary::of(&[1.2]));
        assert!(has(
            &r,
            "therapist work needs more hours than the roster puts on duty: 120% of them"
        ));
        set(&mut r, "staff.therapist.utilization", Summary::of(&[0.9]));
        assert!(!has(&r, "on duty"));

        set(&mut r, "staff.therapist.caseload_full", Summary::of(&[0.3]));
        set(
            &mut r,
            "staff.therapist.caseload_held_back",
            Summary::of(&[0.0]),
        );
        assert!(
            !has(&r, "caseloads are full"),
            "full, but holding nobody back: {:#?}",
            warnings(&r)
        );
        set(
            &mut r,
            "staff.therapist.caseload_held_back",
            Summary::of(&[4.0]),
        );
        assert!(has(
            &r,
            "therapist caseloads are full (21 patients) 30% of the time, holding back the \
             admission of 4 patients a year while a seat was free"
        ));
        set(
            &mut r,
            "staff.therapist.caseload_full",
            Summary::of(&[0.15]),
        );
        assert!(!has(&r, "caseloads are full"));
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(num(20.0), "20");
        assert_eq!(num(6.5), "6.5");
        assert_eq!(num(0.126), "0.13");
        assert_eq!(num(123.4), "123");
        assert_eq!(num(f64::NAN), "\u{2013}");
        assert_eq!(pct(0.3), "30%");
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
