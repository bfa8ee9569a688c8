//! The short summary printed after a run: key metrics as median [P5, P95].

use std::fmt::Write;

use super::format::{money, num, Fmt};
use super::plots::structure::{self, NOT_FOR_BEDS};
use crate::trials::RunResults;

/// Per unit, the metrics a director asks about first; then staff.
const KEY_UNIT_METRICS: [(&str, &str, Fmt); 11] = [
    ("census", "census (in care)", Fmt::Num),
    ("waitlist", "waitlist", Fmt::Num),
    ("wait_days", "wait, mean (days)", Fmt::Num),
    ("wait_days_p90", "wait, P90 (days)", Fmt::Num),
    ("admissions", "admissions", Fmt::Count),
    ("reneged", "lost while waiting", Fmt::Count),
    ("turned_away", "turned away", Fmt::Count),
    ("completed", "completed", Fmt::Count),
    ("dropped_out", "dropped out", Fmt::Count),
    ("admin_discharged", "admin. discharged", Fmt::Count),
    ("seat_utilization", "seat utilization", Fmt::Pct),
];

/// Per track of a unit with results per track: what tells the tracks apart.
const KEY_TRACK_METRICS: [(&str, &str, Fmt); 3] = [
    ("wait_days", "wait, mean (days)", Fmt::Num),
    ("wait_days_p90", "wait, P90 (days)", Fmt::Num),
    ("seat_utilization", "seat utilization", Fmt::Pct),
];

/// Per unit with an intake stage: the wait for the appointment and what
/// became of the slots.
const KEY_INTAKE_METRICS: [(&str, &str, Fmt); 4] = [
    ("intake_wait_days", "intake wait, mean (days)", Fmt::Num),
    ("intake_wait_days_p90", "intake wait, P90 (days)", Fmt::Num),
    ("intake_no_shows", "intake no-shows", Fmt::Count),
    ("intake_slots_used", "intake slots used", Fmt::Pct),
];

/// "median [P5, P95]", each as `kind` reads: the same figures, in the same
/// form, as the report's tables.
fn interval(s: &crate::stats::Summary, kind: Fmt) -> String {
    format!(
        "{} [{}, {}]",
        kind.fmt(s.p50),
        kind.fmt(s.p5),
        kind.fmt(s.p95)
    )
}

/// A unit's intake and the sessions its staff could not run.
fn intake_rows(r: &RunResults, unit: &str, rows: &mut Vec<(String, String)>) {
    if structure::has_intake(r, unit) {
        let due = r.summary_of(&format!("{unit}.intakes"));
        for (m, label, kind) in KEY_INTAKE_METRICS {
            if let Some(s) = r.summary_of(&format!("{unit}.{m}")) {
                let mut v = interval(s, kind);
                if let (true, Some(due)) = (m == "intake_no_shows", due) {
                    v.push_str(&format!("  (of {} appointments)", Fmt::Count.fmt(due.p50)));
                }
                rows.push((format!("{unit}: {label}"), v));
            }
        }
    }
    if let Some(s) = r.summary_of(&format!("{unit}.sessions_cancelled")) {
        rows.push((
            format!("{unit}: sessions cancelled, no staff"),
            format!(
                "{}  (groups with no facilitator on duty)",
                interval(s, Fmt::Count)
            ),
        ));
    }
}

/// A rostered role's hours on duty and how much of them the work takes; a
/// capped role's caseload.
fn roster_rows(r: &RunResults, role: &str, rows: &mut Vec<(String, String)>) {
    let s = |m: &str| r.summary_of(&format!("staff.{role}.{m}"));
    if structure::is_rostered(r, role) {
        if let Some(h) = s("hours_on_duty") {
            rows.push((
                format!("staff: {role} hours on duty"),
                format!(
                    "{}  (per week, less leave, holidays, vacancies)",
                    interval(h, Fmt::Num)
                ),
            ));
        }
        if let Some(u) = s("utilization") {
            rows.push((
                format!("staff: {role} utilization"),
                format!("{}  (hours needed / hours on duty)", interval(u, Fmt::Pct)),
            ));
        }
    }
    if structure::has_caseload(r, role) {
        if let (Some(c), Some(cap)) = (s("caseload"), s("caseload_cap")) {
            let cap = if cap.p5 == cap.p95 {
                num(cap.p50)
            } else {
                interval(cap, Fmt::Num)
            };
            rows.push((
                format!("staff: {role} caseload"),
                format!("{}  (cap: {cap})", interval(c, Fmt::Num)),
            ));
        }
        if let Some(f) = s("caseload_full") {
            rows.push((
                format!("staff: {role} caseload full"),
                format!("{}  (share of time at the cap)", interval(f, Fmt::Pct)),
            ));
        }
        if let Some(h) = s("caseload_held_back") {
            rows.push((
                format!("staff: {role} held back"),
                format!(
                    "{}  (admissions a full caseload held back)",
                    interval(h, Fmt::Count)
                ),
            ));
        }
    }
}

pub fn summary_table(r: &RunResults) -> String {
    let mut rows: Vec<(String, String)> = Vec::new();
    for (unit, cap) in &r.capacity {
        let session = structure::is_session_unit(r, unit);
        for (m, label, kind) in KEY_UNIT_METRICS {
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
                rows.push((format!("{unit}: {label}"), interval(s, kind)));
            }
        }
        intake_rows(r, unit, &mut rows);
        rows.push((format!("{unit}: capacity"), cap.to_string()));
        for t in structure::tracks(r, unit) {
            for (m, label, kind) in KEY_TRACK_METRICS {
                if let Some(s) = r.summary_of(&format!("{}.{m}", t.prefix)) {
                    rows.push((format!("{}: {label}", t.prefix), interval(s, kind)));
                }
            }
        }
    }
    for (role, hours) in &r.staff_hours {
        if let Some(s) = r.summary_of(&format!("staff.{role}.fte_needed")) {
            rows.push((
                format!("staff: {role} FTE needed"),
                format!(
                    "{}  (hours on staff: {}/week)",
                    interval(s, Fmt::Num),
                    num(*hours)
                ),
            ));
        }
        roster_rows(r, role, &mut rows);
    }
    for (m, label) in [
        ("revenue_per_week", "finance: revenue/week"),
        ("cost_per_week", "finance: cost/week"),
        ("net_per_week", "finance: net/week"),
    ] {
        if let Some(s) = r.summary_of(&format!("finance.{m}")) {
            rows.push((
                label.to_string(),
                format!(
                    "{} [{}, {}]",
                    money(s.p50, r.currency.as_deref()),
                    money(s.p5, r.currency.as_deref()),
                    money(s.p95, r.currency.as_deref())
                ),
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
    if !r.uncertain_inputs.is_empty() {
        let n = r.uncertain_inputs.len();
        let which = if n <= 3 {
            format!(": {}", r.uncertain_inputs.join("; "))
        } else {
            " (listed in report.html and by iopsim check)".to_string()
        };
        let plural = if n == 1 { "" } else { "s" };
        let _ = writeln!(
            out,
            "{:width$}  the bands include {n} uncertain input{plural} drawn per trial{which}",
            ""
        );
    }
    for (k, v) in rows {
        let _ = writeln!(out, "{k:width$}  {v}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::plots::{test_results, test_results_staffed};

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
            line("iop.evening.late: wait, P90 (days)").map(|l| l.ends_with("20 [16, 24]")),
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

    fn line(t: &str, start: &str) -> Option<String> {
        t.lines().find(|l| l.starts_with(start)).map(str::to_string)
    }

    #[test]
    fn intake_cancelled_sessions_roster_and_caseload_are_listed_when_present() {
        let t = summary_table(&test_results_staffed());
        let ends = |start: &str, end: &str| {
            let l = line(&t, start).unwrap_or_else(|| panic!("no line {start}: {t}"));
            assert!(l.ends_with(end), "{l:?} should end with {end:?}");
        };
        ends("iop: intake wait, mean (days)", "  3 [2.4, 3.6]");
        ends("iop: intake wait, P90 (days)", "  6 [4.8, 7.2]");
        ends(
            "iop: intake no-shows",
            "  15 [12, 18]  (of 60 appointments)",
        );
        ends("iop: intake slots used", "  75% [60%, 90%]");
        ends(
            "iop: sessions cancelled, no staff",
            "  12 [10, 14]  (groups with no facilitator on duty)",
        );
        ends(
            "staff: therapist hours on duty",
            "  81 [64.8, 97.2]  (per week, less leave, holidays, vacancies)",
        );
        ends(
            "staff: therapist utilization",
            "  70% [56%, 84%]  (hours needed / hours on duty)",
        );
        // The cap is the same in every trial: one number.
        ends("staff: therapist caseload ", "  18 [14.4, 21.6]  (cap: 21)");
        ends(
            "staff: therapist caseload full",
            "  5.0% [4.0%, 6.0%]  (share of time at the cap)",
        );
        ends(
            "staff: therapist held back",
            "  1 [1, 1]  (admissions a full caseload held back)",
        );
        // In the unit's block, before its capacity; the role's after its FTE.
        let pos = |start: &str| t.lines().position(|l| l.starts_with(start)).unwrap();
        assert!(pos("iop: seat utilization") < pos("iop: intake wait, mean"));
        assert!(pos("iop: sessions cancelled") < pos("iop: capacity"));
        assert!(pos("staff: therapist FTE needed") < pos("staff: therapist hours on duty"));
        // Every line still lines up: values start in one column.
        let col = |l: &str| {
            let gap = l.find("  ").expect("a label, then spaces");
            gap + l[gap..].find(|c| c != ' ').expect("a value")
        };
        let first = col(&line(&t, "iop: census").unwrap());
        assert_eq!(col(&line(&t, "iop: sessions cancelled").unwrap()), first);
    }

    #[test]
    fn a_run_without_staff_constraints_has_none_of_their_lines() {
        let t = summary_table(&test_results());
        for gone in [
            "intake",
            "sessions cancelled",
            "hours on duty",
            "therapist utilization",
            "caseload",
            "held back",
        ] {
            assert!(!t.contains(gone), "{gone}: {t}");
        }
        // A varying cap is shown as a range.
        let mut r = test_results_staffed();
        let i = r
            .summary_names
            .iter()
            .position(|n| n == "staff.therapist.caseload_cap")
            .unwrap();
        r.summary[i] = crate::stats::Summary::of(&[14.0, 21.0, 21.0, 21.0]);
        let t = summary_table(&r);
        assert!(
            line(&t, "staff: therapist caseload ")
                .unwrap()
                .ends_with("(cap: 21 [15.1, 21])"),
            "{t}"
        );
    }
}
