//! The short summary printed after a run: key metrics as median [P5, P95].

use std::fmt::Write;

use super::plots::structure::{self, NOT_FOR_BEDS};
use crate::trials::RunResults;

fn fmt(x: f64) -> String {
    if !x.is_finite() {
        "-".into()
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn money(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.0}")
    } else {
        "-".into()
    }
}

/// Per unit, the metrics a director asks about first; then staff.
const KEY_UNIT_METRICS: [(&str, &str); 11] = [
    ("census", "census (in care)"),
    ("waitlist", "waitlist"),
    ("wait_days", "wait, mean (days)"),
    ("wait_days_p90", "wait, P90 (days)"),
    ("admissions", "admissions"),
    ("reneged", "lost while waiting"),
    ("turned_away", "turned away"),
    ("completed", "completed"),
    ("dropped_out", "dropped out"),
    ("admin_discharged", "admin. discharged"),
    ("seat_utilization", "seat utilization"),
];

/// Per track of a unit with results per track: what tells the tracks apart.
const KEY_TRACK_METRICS: [(&str, &str); 3] = [
    ("wait_days", "wait, mean (days)"),
    ("wait_days_p90", "wait, P90 (days)"),
    ("seat_utilization", "seat utilization"),
];

fn interval(s: &crate::stats::Summary) -> String {
    format!("{} [{}, {}]", fmt(s.p50), fmt(s.p5), fmt(s.p95))
}

pub fn summary_table(r: &RunResults) -> String {
    let mut rows: Vec<(String, String)> = Vec::new();
    for (unit, cap) in &r.capacity {
        let session = structure::is_session_unit(r, unit);
        for (m, label) in KEY_UNIT_METRICS {
            // Nobody drops out of a bed, and a bed's episode is its discharge.
            if !session && NOT_FOR_BEDS.contains(&m) {
                continue;
            }
            let label = if !session && m == "completed" {
                "discharged"
            } else {
                label
            };
            if let Some(s) = r.summary_of(&format!("{unit}.{m}")) {
                rows.push((format!("{unit}: {label}"), interval(s)));
            }
        }
        rows.push((format!("{unit}: capacity"), cap.to_string()));
        for t in structure::tracks(r, unit) {
            for (m, label) in KEY_TRACK_METRICS {
                if let Some(s) = r.summary_of(&format!("{}.{m}", t.prefix)) {
                    rows.push((format!("{}: {label}", t.prefix), interval(s)));
                }
            }
        }
    }
    for (role, hours) in &r.staff_hours {
        if let Some(s) = r.summary_of(&format!("staff.{role}.fte_needed")) {
            rows.push((
                format!("staff: {role} FTE needed"),
                format!("{}  (hours on staff: {}/week)", interval(s), fmt(*hours)),
            ));
        }
    }
    for (m, label) in [
        ("revenue_per_week", "finance: revenue/week"),
        ("cost_per_week", "finance: cost/week"),
        ("net_per_week", "finance: net/week"),
    ] {
        if let Some(s) = r.summary_of(&format!("finance.{m}")) {
            rows.push((
                label.to_string(),
                format!("{} [{}, {}]", money(s.p50), money(s.p5), money(s.p95)),
            ));
        }
    }
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} - {} trials x {} weeks from {} (warm-up {} weeks), seed {}",
        r.scenario_name, r.trials, r.weeks, r.start_date, r.warmup_weeks, r.seed
    );
    let _ = writeln!(
        out,
        "{:width$}  median [P5, P95] over trials; counts are per {} weeks",
        "", r.weeks
    );
    for (k, v) in rows {
        let _ = writeln!(out, "{k:width$}  {v}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::plots::test_results;

    #[test]
    fn tracks_are_listed_and_beds_show_only_what_beds_can_do() {
        let mut r = test_results();
        for m in ["completed", "dropped_out", "admin_discharged", "stepped_up"] {
            r.summary_names.push(format!("inpatient.{m}"));
            r.summary.push(crate::stats::Summary::of(&[3.0]));
        }
        let t = summary_table(&r);
        let line = |start: &str| t.lines().find(|l| l.starts_with(start)).map(str::to_string);
        assert_eq!(
            line("iop.evening.late: wait, P90 (days)").map(|l| l.ends_with("20.0 [16.0, 24.0]")),
            Some(true),
            "{t}"
        );
        assert!(line("iop.morning: seat utilization").is_some(), "{t}");
        assert!(line("iop: dropped out").is_some(), "{t}");
        assert!(line("inpatient: discharged").is_some(), "{t}");
        for gone in ["completed", "dropped out", "admin. discharged"] {
            assert_eq!(line(&format!("inpatient: {gone}")), None, "{t}");
        }
    }
}
