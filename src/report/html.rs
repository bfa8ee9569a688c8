//! `report.html`: one self-contained page a program director can read: the
//! run's identity, plain-word warnings, key figures, and every chart inline
//! as SVG. No scripts, fonts or images are fetched; a content security
//! policy forbids it, so a stray reference shows up as a console error.

use std::fmt::Write;

use super::output::Staging;
use super::plots::chart::{group_thousands, pct_text, trim_number};
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

/// A number for a table: no trailing zeros, fewer decimals as it grows.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "\u{2013}".into();
    }
    let s = if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

/// A share (0-1) for a table, as a percentage.
pub fn pct(x: f64) -> String {
    if x.is_finite() {
        pct_text(100.0 * x)
    } else {
        "\u{2013}".into()
    }
}

/// Thresholds of the warnings; each says when a director should look.
const WAITLIST_GROWTH_MIN: f64 = 2.0;
const TURNED_AWAY_SHARE: f64 = 0.01;
const RENEGED_SHARE: f64 = 0.05;
const WAIT_P90_DAYS: f64 = 14.0;
const CENSUS_OF_CAPACITY: f64 = 0.9;
const LOW_SEAT_UTILIZATION: f64 = 0.6;
const SHORT_WEEKS: f64 = 0.05;

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
                "{unit}, {name} track: one admitted patient in ten waits more than {p90:.0} days \
                 for a place in it."
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
                     track's P90 wait is {p90:.0} days: patients wait for the track they chose, \
                     so seats in one track do not shorten the wait in another.",
                    pct(util),
                    t.name
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
                    "{unit}: one admitted patient in ten waits more than {:.0} days for a place.",
                    s.p50
                ));
            }
        }
        out.extend(track_warnings(r, unit));
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
    }
    if let Some(net) = r.summary_of("finance.net_per_week") {
        if net.p50 < 0.0 {
            out.push(format!(
                "The program loses money: the median trial nets {} per week (cost above revenue collected).",
                num(net.p50)
            ));
        } else if net.p5 < 0.0 {
            out.push(format!(
                "Net margin is positive in the median trial ({} per week) but negative in at least one trial in twenty.",
                num(net.p50)
            ));
        }
    }
    out
}

const STYLE: &str = r#"
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

fn summary_row(label: &str, s: Option<&Summary>, as_pct: bool) -> Option<Row> {
    let s = s?;
    if !s.p50.is_finite() {
        return None;
    }
    let f = |x: f64| if as_pct { pct(x) } else { num(x) };
    Some(Row {
        label: label.to_string(),
        median: f(s.p50),
        range: format!("{}\u{2013}{}", f(s.p5), f(s.p95)),
    })
}

/// A count with its share of referrals: "20 (40%)".
fn count_row(r: &RunResults, unit: &str, metric: &str, label: &str) -> Option<Row> {
    let mut row = summary_row(label, r.summary_of(&format!("{unit}.{metric}")), false)?;
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
            false,
        ),
        summary_row("People waiting, average", s("waitlist"), false),
        summary_row("Wait to admission, mean (days)", s("wait_days"), false),
        summary_row("Wait to admission, P90 (days)", s("wait_days_p90"), false),
        summary_row("Referrals", s("referrals"), false),
        summary_row("Admissions", s("admissions"), false),
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
        rows.extend(summary_row(&label, r.summary_of(metric), false));
    }
    rows.extend(summary_row("Seat utilization", s("seat_utilization"), true));
    rows.extend(summary_row("Attendance", s("attendance_rate"), true));
    rows
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
        rows.extend(summary_row(label, s(metric), false));
    }
    rows
}

fn staff_rows(r: &RunResults, role: &str, on_staff: f64) -> Vec<Row> {
    let s = |m: &str| r.summary_of(&format!("staff.{role}.{m}"));
    let mut rows = vec![Row {
        label: "Hours on staff per week".into(),
        median: trim_number(on_staff),
        range: String::new(),
    }];
    rows.extend(summary_row(
        "Hours needed per week, average",
        s("hours_per_week"),
        false,
    ));
    rows.extend(summary_row("FTE needed", s("fte_needed"), false));
    rows.extend(summary_row("Weeks short of hours", s("short_weeks"), true));
    rows
}

/// A cell of a table by track or stream: the median trial's figure, and
/// its P5-P95 range below it.
fn cell(s: Option<&Summary>, as_pct: bool) -> String {
    let f = |x: f64| if as_pct { pct(x) } else { num(x) };
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
    columns: &[(&str, &str, bool)],
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
        for (metric, _, as_pct) in columns {
            out.push_str(&cell(r.summary_of(&format!("{prefix}.{metric}")), *as_pct));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div></div>\n");
}

/// Columns of the table by track: the metrics of
/// [`TRACK_METRICS`](crate::model::result::TRACK_METRICS).
const TRACK_COLUMNS: [(&str, &str, bool); 7] = [
    ("census", "Patients in care, average", false),
    ("waitlist", "People waiting, average", false),
    ("admissions", "Admissions", false),
    ("wait_days", "Wait to admission, mean (days)", false),
    ("wait_days_p90", "Wait to admission, P90 (days)", false),
    ("reneged", "Gave up waiting", false),
    ("seat_utilization", "Seat utilization", true),
];

/// Columns of the table by referral stream: the metrics of
/// [`STREAM_METRICS`](crate::model::result::STREAM_METRICS).
const STREAM_COLUMNS: [(&str, &str, bool); 7] = [
    ("referrals", "Referrals", false),
    ("admitted", "Admitted", false),
    ("no_shows", "No-show at intake", false),
    ("turned_away", "Turned away, waitlist full", false),
    ("reneged", "Gave up waiting", false),
    ("wait_days", "Wait to admission, mean (days)", false),
    ("wait_days_p90", "Wait to admission, P90 (days)", false),
];

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
        "Each patient waits for the track they chose and stays in it. The median trial, with \
         P5\u{2013}P95 below; seat utilization is enrolled patients over the seats the track's \
         groups offered.",
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
    let _ = write!(
        out,
        "<div class=\"{class}\"><h3>{}</h3><table><thead><tr><th></th><th>median</th><th>P5\u{2013}P95</th></tr></thead><tbody>",
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
fn inline_svg(f: &Figure) -> String {
    let label = format!("<svg role=\"img\" aria-label=\"{}\"", esc(&f.chart.title));
    match f.svg.trim().strip_prefix("<svg") {
        Some(rest) => format!("{label}{rest}"),
        None => f.svg.clone(),
    }
}

fn figure(out: &mut String, f: &Figure) {
    let stem = esc(&f.chart.stem);
    let _ = write!(
        out,
        "<figure id=\"{stem}\">\n{}\n<figcaption>{} <span class=\"files\">Files: <code>{stem}.png</code>, <code>{stem}.svg</code>.</span></figcaption></figure>\n",
        inline_svg(f),
        esc(&f.chart.about)
    );
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
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <title>{name} \u{2013} iopsim report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
    );
    let end = r
        .start_date
        .checked_add_days(chrono::Days::new(7 * u64::from(r.weeks.max(1)) - 1))
        .map(|d| format!(" to {}", d.format("%-d %b %Y")))
        .unwrap_or_default();
    let _ = write!(
        out,
        "<header>\n<h1>{name}</h1>\n<p class=\"desc\">{}</p>\n\
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
         with their share of referrals; levels are averages over those weeks. Every metric is in \
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
        track_table(&mut out, r, unit);
    }
    stream_table(&mut out, r);
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
    use crate::report::plots::{render_all, test_results};

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
                format!("22{}", range("17.6", "26.4")),
                format!("9{}", range("7.2", "10.8")),
                format!("20{}", range("16", "24")),
                format!("3{}", range("2.4", "3.6")),
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
