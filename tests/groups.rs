//! Group minimums (`min_size`) and phases that move patients to another
//! track (issue 19): hand-computable cases, and bad input through the CLI.

use std::fs;

use assert_cmd::Command;
use iopsim::model::result::{summary_names, summary_values};
use iopsim::model::{run_trial, Program, TrialResult};
use iopsim::scenario::{load_str, Scenario, DEFAULT_TOML};

fn scenario(toml: &str, sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    load_str(toml, "test", &sets).unwrap_or_else(|e| panic!("{e}"))
}

fn trial(s: &Scenario, t: u64) -> TrialResult {
    let p = Program::new(s);
    run_trial(&p, s.simulation.seed, t)
}

/// The value of metric `name` in trial `r` of `s`.
fn metric(s: &Scenario, r: &TrialResult, name: &str) -> f64 {
    let names = summary_names(s);
    let i = names
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("no metric {name}; metrics: {names:?}"));
    summary_values(r)[i]
}

/// One Monday group of `group_size = 12`, 4-week episodes, attendance
/// certain, nobody referred: only the `[initial]` patients (added by each
/// test) are ever in care. A group session costs 1 h per session hour +
/// 0.5 h: 3.5 h for the 3-hour session. Paid 100 per attended day.
const ONE_GROUP: &str = r#"
name = "groups"
[simulation]
start_date = "2027-01-04"
weeks = 8
trials = 2
[[referrals]]
name = "none"
to = "iop"
per_week = 0
[[units]]
name = "iop"
kind = "sessions"
episode = { weeks = 4 }
attendance = 1.0
[[units.tracks]]
name = "day"
days = ["mon"]
start = "10:00"
hours = 3
group_size = 12
[[staff]]
role = "therapist"
fte = 1
[[workload]]
activity = "group_session"
role = "therapist"
hours = { per_session_hour = 1, extra = 0.5 }
[finance]
payers = [{ name = "all", share = 1, per_day = 100 }]
"#;

#[test]
fn a_group_below_its_minimum_does_not_meet() {
    // One patient in care from Monday 2027-01-04 00:00 for 4 weeks: the
    // group would meet on days 0, 7, 14 and 21 at 10:00.
    let base =
        format!("{ONE_GROUP}[[initial.patients]]\nunit = \"iop\"\ntrack = \"day\"\nweek = 1\n");
    let without = scenario(&base, &[]);
    let with = scenario(&base, &["units.iop.tracks.day.min_size=3"]);
    for t in 0..2 {
        let r = trial(&without, t);
        let u = &r.units[0];
        assert!(u.min_size.is_none());
        assert_eq!(u.attendance_rate, Some(1.0));
        // 4 sessions x 3.5 h over 8 weeks.
        assert!((r.staff[0].hours_per_week - 4.0 * 3.5 / 8.0).abs() < 1e-9);
        let revenue = r.finance.as_ref().unwrap().revenue_per_week;
        assert!((revenue - 4.0 * 100.0 / 8.0).abs() < 1e-9, "{revenue}");

        let r = trial(&with, t);
        let u = &r.units[0];
        let m = u.min_size.expect("min_size results");
        assert_eq!(m.sessions_below_min, 4);
        assert_eq!(m.regrouped, 0);
        assert!((m.group_hours_saved - 4.0 * 3.5).abs() < 1e-9);
        assert_eq!(metric(&with, &r, "iop.sessions_below_min"), 4.0);
        assert_eq!(metric(&with, &r, "iop.group_hours_saved"), 14.0);
        // Nobody attended, nobody missed, no group held: no hours, no
        // revenue, no seats offered.
        assert!(u.attendance_rate.unwrap().is_nan());
        assert!(u.seat_utilization.unwrap().is_nan());
        assert_eq!(r.staff[0].hours_per_week, 0.0);
        let f = r.finance.as_ref().unwrap();
        assert_eq!(f.revenue_per_week, 0.0);
        assert_eq!(f.lost_revenue_empty_seats_per_week, 0.0);
        // The stay is as long as it was: the episode counts weeks.
        assert_eq!(u.counts.completed, 1);
        assert!((u.mean_stay_days - 28.0).abs() < 1e-9);
    }
    // At the minimum the group meets as before.
    let at_min = scenario(&base, &["units.iop.tracks.day.min_size=1"]);
    let r = trial(&at_min, 0);
    assert_eq!(r.units[0].min_size.unwrap().sessions_below_min, 0);
    assert_eq!(r.units[0].attendance_rate, Some(1.0));
}

/// Two groups of 6, each with 3 patients leaving after 2 weeks and 3
/// after 4 (the `[initial]` patients fill group 1 before group 2).
fn two_groups(min: Option<u32>) -> Scenario {
    let mut text = ONE_GROUP
        .replace("group_size = 12", "groups = 2\ngroup_size = 6")
        .to_string();
    for week in [3, 1, 3, 1] {
        text += &format!(
            "[[initial.patients]]\nunit = \"iop\"\ntrack = \"day\"\nweek = {week}\ncount = 3\n"
        );
    }
    let set = min.map(|m| format!("units.iop.tracks.day.min_size={m}"));
    scenario(&text, &set.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn two_half_empty_groups_consolidate_into_one_that_meets() {
    // Days 0 and 7: 6 + 6. Day 14: 3 + 3, below 4: group 1's three move
    // to group 2 (3 free seats), which meets with 6. Day 21: 6 in group 2.
    let with = two_groups(Some(4));
    let without = two_groups(None);
    for t in 0..2 {
        let r = trial(&with, t);
        let u = &r.units[0];
        let m = u.min_size.unwrap();
        assert_eq!(m.sessions_below_min, 0);
        assert_eq!(m.regrouped, 3);
        assert_eq!(m.group_hours_saved, 0.0);
        // Everyone attends every session: 6 x 2 + 6 x 4.
        assert_eq!(u.attendance_rate, Some(1.0));
        assert_eq!(u.seat_utilization, Some(1.0));
        // 2 + 2 + 1 + 1 group sessions of 3.5 h.
        assert!((r.staff[0].hours_per_week - 6.0 * 3.5 / 8.0).abs() < 1e-9);
        let revenue = r.finance.as_ref().unwrap().revenue_per_week;
        assert!((revenue - 36.0 * 100.0 / 8.0).abs() < 1e-9, "{revenue}");
        assert_eq!(u.counts.completed, 12);

        // Without a minimum both half-empty groups meet: 8 group sessions.
        let r = trial(&without, t);
        assert!((r.staff[0].hours_per_week - 8.0 * 3.5 / 8.0).abs() < 1e-9);
        assert_eq!(r.units[0].seat_utilization, Some(36.0 / 48.0));
    }
    // A minimum of 5: after the move group 2 has 6, enough.
    let r = trial(&two_groups(Some(5)), 0);
    assert_eq!(r.units[0].min_size.unwrap().regrouped, 3);
    assert_eq!(r.units[0].min_size.unwrap().sessions_below_min, 0);
    // Groups of 5 and a minimum of 4: group 1 has 4 patients leaving after
    // 2 weeks and 1 after 4, group 2 three after 4.
    let mut text = ONE_GROUP.replace("group_size = 12", "groups = 2\ngroup_size = 5");
    for week in [3, 3, 1, 1] {
        text += &format!(
            "[[initial.patients]]\nunit = \"iop\"\ntrack = \"day\"\nweek = {week}\ncount = 2\n"
        );
    }
    // Days 0 and 7: group 2 (3) is short and group 1 (5) has no seat for
    // its patients: not held. Day 14: 1 and 3 left, both short; group 1,
    // the smaller, moves to group 2, which meets with 4.
    let s = scenario(&text, &["units.iop.tracks.day.min_size=4"]);
    let r = trial(&s, 0);
    let m = r.units[0].min_size.unwrap();
    // Days 0, 7: group 2 has 3 < 4 and group 1 no free seat: not held.
    assert_eq!(m.sessions_below_min, 2);
    assert_eq!(m.regrouped, 1);
    assert!((m.group_hours_saved - 7.0).abs() < 1e-9);
}

/// A closed cohort of one group, a cohort every 4 weeks from the start,
/// and `waiting` patients on its waitlist at the start.
fn cohort(waiting: u32, min: u32) -> Scenario {
    let text = ONE_GROUP.replace(
        "episode = { weeks = 4 }",
        "admission = \"cohort\"\ncohort_weeks = 4\nepisode = { weeks = 4 }",
    ) + &format!(
        "[[initial.patients]]\nunit = \"iop\"\nstatus = \"waiting\"\ndays_waited = 0\ncount = {waiting}\n"
    );
    scenario(&text, &[&format!("units.iop.tracks.day.min_size={min}")])
}

#[test]
fn a_cohort_does_not_start_below_its_minimum() {
    for t in 0..2 {
        // Two waiting, three needed: no cohort starts; they keep waiting.
        let r = trial(&cohort(2, 3), t);
        let u = &r.units[0];
        assert_eq!(u.counts.admitted, 0);
        assert_eq!(u.waiting_at_end, 2);
        assert_eq!(u.waitlist, 2.0);
        assert_eq!(u.min_size.unwrap().sessions_below_min, 0);
        // Three waiting: the cohort starts at its first session (day 0)
        // and again four weeks later with nobody: nothing to start.
        let r = trial(&cohort(3, 3), t);
        let u = &r.units[0];
        assert_eq!(u.counts.admitted, 3);
        assert_eq!(u.counts.completed, 3);
        assert!((u.wait_days_p90 - 10.0 / 24.0).abs() < 1e-12);
        assert_eq!(u.min_size.unwrap().sessions_below_min, 0);
        assert_eq!(u.attendance_rate, Some(1.0));
        // A minimum of 2 lets the two start.
        let r = trial(&cohort(2, 2), t);
        assert_eq!(r.units[0].counts.admitted, 2);
    }
}

/// A Monday group of one seat and a Wednesday step-down group of one
/// seat that takes nobody directly; patient A in care from day 0, patient
/// B waiting from day 0. `track`: the phase from week 2 moves patients.
fn stepdown_text(track: bool) -> String {
    let phase = if track {
        "phases = [{ from_week = 2, sessions_per_week = 1, track = \"down\" }]"
    } else {
        "phases = [{ from_week = 2, sessions_per_week = 1 }]"
    };
    let text = ONE_GROUP
        .replace("attendance = 1.0", &format!("attendance = 1.0\n{phase}"))
        .replace("group_size = 12", "group_size = 1\nshare = 1")
        + r#"
[[units.tracks]]
name = "down"
days = ["wed"]
start = "10:00"
hours = 3
group_size = 1
share = 0

[[initial.patients]]
unit = "iop"
track = "day"
week = 1

[[initial.patients]]
unit = "iop"
status = "waiting"
track = "day"
days_waited = 0
"#;
    text
}

fn stepdown(track: bool) -> Scenario {
    scenario(&stepdown_text(track), &[])
}

#[test]
fn a_moving_phase_frees_a_seat_that_a_waiting_patient_takes() {
    let hours = 10.0 / 24.0;
    for t in 0..2 {
        // A moves to the step-down group at day 7 00:00, a week into the
        // stay; B takes A's seat at the Monday session that day. B's own
        // move, due on day 14 at 10:00, finds A in the step-down seat
        // until A completes (day 28 00:00): B tries again before the
        // Wednesday sessions of days 16 and 23 and moves on day 30.
        let r = trial(&stepdown(true), t);
        let u = &r.units[0];
        assert_eq!(u.counts.admitted, 1);
        assert_eq!(u.wait_days, 7.0 + hours);
        let m = u.phase_moves.expect("phase move results");
        assert_eq!((m.moves, m.delayed), (2, 1));
        assert_eq!(metric(&stepdown(true), &r, "iop.phase_moves"), 2.0);
        assert_eq!(metric(&stepdown(true), &r, "iop.phase_moves_delayed"), 1.0);
        // The unit's census: A and B 4 weeks each, of 8.
        assert!((u.census - 1.0).abs() < 1e-12, "{}", u.census);
        // Census by track moves with them: A in 'day' 7 days, then in
        // 'down' 21; B in 'day' from day 7 10:00 to day 30 10:00, then in
        // 'down' until they complete on day 35 at 10:00.
        let (day, down) = (&u.tracks[0], &u.tracks[1]);
        assert!((day.census - (7.0 + 23.0) / 56.0).abs() < 1e-12);
        assert!((down.census - (21.0 + 5.0) / 56.0).abs() < 1e-12);
        assert_eq!(u.counts.completed, 2);

        // A phase without a track keeps the seat: B waits for A to
        // complete, and is admitted at the Monday session of day 28.
        let r = trial(&stepdown(false), t);
        let u = &r.units[0];
        assert_eq!(u.counts.admitted, 1);
        assert_eq!(u.wait_days, 28.0 + hours);
        assert!(u.phase_moves.is_none());
        assert_eq!(u.tracks[1].census, 0.0);
    }
}

#[test]
fn a_minimum_on_the_default_evening_track_saves_staff_hours_at_low_demand() {
    let low = [
        "simulation.trials=8",
        "referrals.community.per_week=0.6",
        "referrals.inpatient-stepdown.per_week=0.3",
        "referrals.php-stepdown.per_week=0.3",
    ];
    let base = scenario(DEFAULT_TOML, &low);
    let mut sets = low.to_vec();
    sets.push("units.iop.tracks.evening.min_size=4");
    let with = scenario(DEFAULT_TOML, &sets);
    let therapist = with
        .staff
        .iter()
        .position(|s| s.role == "therapist")
        .unwrap();
    let (mut before, mut after) = (0.0, 0.0);
    for t in 0..8 {
        let (a, b) = (trial(&base, t), trial(&with, t));
        let m = b.units[0].min_size.unwrap();
        assert!(m.sessions_below_min > 0, "trial {t}");
        assert!(m.group_hours_saved > 0.0);
        // One evening group: nobody to move.
        assert_eq!(m.regrouped, 0);
        assert!(a.units[0].min_size.is_none());
        before += a.staff[therapist].hours_per_week;
        after += b.staff[therapist].hours_per_week;
    }
    assert!(after < before, "{after} vs {before}");
}

// ---- bad input through the CLI ----------------------------------------------

/// `iopsim check` on `text` written to a file: exits 2, names `expected`
/// on stderr, and writes nothing beside the file.
fn check_fails(text: &str, expected: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.toml");
    fs::write(&file, text).unwrap();
    let out = Command::cargo_bin("iopsim")
        .unwrap()
        .current_dir(tmp.path())
        .arg("check")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    for e in expected {
        assert!(err.contains(e), "'{e}' not in:\n{err}");
    }
    let names: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec!["bad.toml"], "check wrote something");
}

#[test]
fn min_size_problems_name_the_key_and_what_is_allowed() {
    let with = |v: &str| {
        ONE_GROUP.replace(
            "group_size = 12",
            &format!("group_size = 12\nmin_size = {v}"),
        )
    };
    check_fails(
        &with("13"),
        &[
            "units[0].tracks[0].min_size: min_size 13 is above group_size 12 (units[0].tracks[0].group_size)",
            "allowed: a whole number from 1 to group_size (12)",
        ],
    );
    check_fails(
        &with("0"),
        &["units[0].tracks[0].min_size: must be at least 1, got 0"],
    );
    check_fails(
        &with("2.5"),
        &["units[0].tracks[0].min_size: must be a whole number of patients, got a number (2.5)"],
    );
    check_fails(
        &with("\"three\""),
        &["units[0].tracks[0].min_size", "a string ('three')"],
    );
    // Every problem at once, with the others of the file.
    check_fails(
        &with("0").replace("attendance = 1.0", "attendance = 1.5"),
        &[
            "2 problems",
            "units[0].attendance",
            "units[0].tracks[0].min_size",
        ],
    );
}

#[test]
fn phase_track_problems_name_the_key_and_the_tracks() {
    let two = stepdown_text(true);
    // Unknown track.
    check_fails(
        &two.replace("track = \"down\" }", "track = \"dwon\" }"),
        &["units[0].phases[0].track: no track named 'dwon'; unit 'iop' has the tracks: day, down"],
    );
    // The track itself: a step-down track that takes admissions.
    check_fails(
        &two.replace("share = 0\n", "share = 0.5\n")
            .replace("share = 1\n", "share = 0.5\n"),
        &["units[0].phases[0].track: track 'down' takes a share 0.5 of admissions"],
    );
    check_fails(
        &two.replace("share = 0\n", "").replace("share = 1\n", ""),
        &["units[0].phases[0].track", "split equally"],
    );
    // Twice to the same track.
    check_fails(
        &two.replace(
            "track = \"down\" }]",
            "track = \"down\" }, { from_week = 3, sessions_per_week = 1, track = \"down\" }]",
        ),
        &["units[0].phases[1].track: patients are in track 'down' already from units[0].phases[0]"],
    );
    // A track of another unit.
    let other = two.clone()
        + "\n[[units]]\nname = \"php\"\nkind = \"sessions\"\nepisode = { weeks = 2 }\n[[units.tracks]]\nname = \"daytime\"\ndays = [\"mon\"]\nstart = \"09:00\"\nhours = 6\ngroup_size = 8\n";
    check_fails(
        &other.replace("track = \"down\" }", "track = \"daytime\" }"),
        &["units[0].phases[0].track: 'daytime' is a track of unit 'php', not of unit 'iop'"],
    );
}
