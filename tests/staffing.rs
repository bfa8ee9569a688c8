//! Staff as a constraint: rosters that never bind change nothing,
//! facilitators hold exactly the sessions someone is on duty for, a
//! caseload caps the census, an intake books slots first come first served.

use iopsim::model::clinic::run_trial_logged;
use iopsim::model::log::MemoryLog;
use iopsim::model::{run_trial, Program};
use iopsim::report::csv::{summary_csv, weekly_csv};
use iopsim::scenario::{load_str, Scenario, DEFAULT_TOML};
use iopsim::trials::{self, RunOptions, RunResults};

fn load(toml: &str, sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    load_str(toml, "test", &sets).unwrap_or_else(|e| panic!("{e}"))
}

fn run(s: &Scenario) -> (RunResults, Vec<u8>) {
    let mut rows = Vec::new();
    let r = trials::run(
        s,
        &RunOptions { threads: 2 },
        &mut |_, row| {
            rows.extend(format!("{row:?}\n").into_bytes());
            Ok(())
        },
        &mut |_| {},
    )
    .unwrap();
    (r, rows)
}

/// The CSV rows of `csv` whose first field is one of `names`' metrics.
fn rows_of<'a>(csv: &'a str, names: &[String]) -> Vec<&'a str> {
    csv.lines()
        .filter(|l| {
            let metric = l.split(',').next().unwrap_or("");
            names.iter().any(|n| n == metric)
        })
        .collect()
}

#[test]
fn rosters_that_never_bind_change_no_result() {
    let base = load(DEFAULT_TOML, &["simulation.trials=40"]);
    let generous = load(
        DEFAULT_TOML,
        &[
            "simulation.trials=40",
            // Ten therapists on duty every day from 07:00 to 23:00: every
            // group always has its facilitator.
            r#"staff.therapist.shifts=[{ days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], start = "07:00", hours = 16, count = 10 }]"#,
            r#"units.iop.tracks.morning.facilitators={ role = "therapist" }"#,
            r#"units.iop.tracks.evening.facilitators={ role = "therapist" }"#,
            "staff.therapist.caseload=1000",
        ],
    );
    let (a, rows_a) = run(&base);
    let (b, _) = run(&generous);
    let names: Vec<String> = iopsim::model::result::summary_names(&base);
    let sa = String::from_utf8(summary_csv(&a).unwrap()).unwrap();
    let sb = String::from_utf8(summary_csv(&b).unwrap()).unwrap();
    let ra = rows_of(&sa, &names);
    let rb = rows_of(&sb, &names);
    assert_eq!(ra.len(), names.len());
    assert_eq!(ra, rb, "every metric of the scenario without rosters");
    let wa = String::from_utf8(weekly_csv(&a).unwrap()).unwrap();
    let wb = String::from_utf8(weekly_csv(&b).unwrap()).unwrap();
    let weekly: Vec<String> = iopsim::model::result::weekly_names(&base);
    let keep = |csv: &str| -> Vec<String> {
        csv.lines()
            .filter(|l| {
                weekly
                    .iter()
                    .any(|n| l.split(',').nth(1) == Some(n.as_str()))
            })
            .map(str::to_string)
            .collect()
    };
    assert!(!keep(&wa).is_empty());
    assert_eq!(keep(&wa), keep(&wb));
    // And the trials themselves: the first values of each row are the
    // base's metrics, in the same order.
    for t in 0..3 {
        let p = Program::new(&base);
        let q = Program::new(&generous);
        let x = iopsim::model::result::summary_values(&run_trial(&p, 1, t));
        let y = iopsim::model::result::summary_values(&run_trial(&q, 1, t));
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let shared: Vec<u64> = bits(&y)
            .into_iter()
            .zip(iopsim::model::result::summary_names(&generous))
            .filter(|(_, n)| names.contains(n))
            .map(|(b, _)| b)
            .collect();
        assert_eq!(bits(&x), shared, "trial {t}");
    }
    assert!(!rows_a.is_empty());
    // The generous roster cancelled nothing and capped nothing.
    for m in [
        "staff.therapist.sessions_cancelled",
        "staff.therapist.caseload_held_back",
    ] {
        assert_eq!(b.summary_of(m).unwrap().mean, 0.0, "{m}");
    }
}

/// One morning track on Mon/Tue/Thu; one facilitator rostered Mon and
/// Wed only, never on leave.
const MONDAYS: &str = r#"
name = "mondays"
[simulation]
start_date = "2027-01-04"
weeks = 26
warmup_weeks = 4
trials = 1
[calendar]
us_federal_holidays = false
[[referrals]]
name = "community"
to = "iop"
per_week = 3
[[units]]
name = "iop"
kind = "sessions"
episode = { weeks = 6 }
attendance = 0.9
[[units.tracks]]
name = "morning"
days = ["mon", "tue", "thu"]
start = "10:00"
hours = 3
group_size = 10
facilitators = { role = "therapist", count = 1 }
[[staff]]
role = "therapist"
shifts = [{ days = ["mon", "wed"], start = "09:00", hours = 8 }]
[[workload]]
activity = "group_session"
role = "therapist"
hours = 3.5
"#;

#[test]
fn one_facilitator_on_mondays_and_wednesdays_holds_exactly_the_monday_sessions() {
    let s = load(MONDAYS, &[]);
    let p = Program::new(&s);
    let log = MemoryLog {
        with_sessions: true,
        ..MemoryLog::default()
    };
    let (r, log) = run_trial_logged(&p, 1, 0, log);
    let day = |at: u64| at / 86_400;
    // Day 0 of the calendar is Monday 2026-12-07 (4 warm-up weeks).
    assert!(log.sessions.len() >= 25, "{}", log.sessions.len());
    for sess in &log.sessions {
        assert_eq!(
            day(sess.at) % 7,
            0,
            "a session held on day {}",
            day(sess.at)
        );
    }
    // Every Monday with patients held its session.
    let mondays: Vec<u64> = log.sessions.iter().map(|x| day(x.at) / 7).collect();
    let weeks_with_patients = (1..30u64).filter(|w| mondays.contains(w)).count();
    assert!(weeks_with_patients >= 25);
    // Tuesdays and Thursdays with patients were cancelled: two a week in
    // the 26 reported weeks, once the group has patients.
    let cancelled = r.units[0].sessions_cancelled.unwrap();
    assert_eq!(cancelled, 2 * 26, "{cancelled}");
    let roster = r.staff[0].roster.as_ref().unwrap();
    assert_eq!(roster.sessions_cancelled, cancelled);
    // 16 h on duty a week; the timetable asks 9 h of facilitation.
    assert_eq!(roster.hours_on_duty, 16.0);
    assert!((roster.timetable_fte - 9.0 / 40.0).abs() < 1e-12);
    // Group hours are spent on the sessions held only: 3.5 h each.
    let held_per_week = r.staff[0].hours_per_week / 3.5;
    assert!((held_per_week - 1.0).abs() < 1e-9, "{held_per_week}");
    // The patients of a cancelled session neither attend nor miss it:
    // nobody is discharged for absences, and attendance is about 90%.
    let att = r.units[0].attendance_rate.unwrap();
    assert!((0.8..0.97).contains(&att), "{att}");
}

#[test]
fn leave_cancels_sessions_in_proportion() {
    // A facilitator on leave 13 weeks a year misses a quarter of the
    // Mondays: over many trials the cancelled share of Monday sessions
    // is 25% within sampling error.
    let s = load(
        MONDAYS,
        &[
            "simulation.trials=200",
            "simulation.weeks=52",
            "units.iop.tracks.morning.days=[\"mon\"]",
            "staff.therapist.leave_weeks=13",
        ],
    );
    let (r, _) = run(&s);
    let cancelled = r.summary_of("iop.sessions_cancelled").unwrap().mean;
    // 52 Mondays, all with patients (3 referrals a week, 6-week stays).
    let share = cancelled / 52.0;
    assert!((share - 0.25).abs() < 0.02, "{share}");
}

#[test]
fn a_caseload_caps_the_census_and_holds_admissions_back() {
    // No facilitators; a flood of referrals; 2 FTE x 3 per FTE = 6 places.
    let s = load(
        &MONDAYS.replace("facilitators = { role = \"therapist\", count = 1 }\n", ""),
        &[
            "simulation.trials=20",
            "referrals.community.per_week=20",
            "staff.therapist.fte=2",
            "staff.therapist.caseload=3",
        ],
    );
    let p = Program::new(&s);
    for t in 0..5 {
        let r = run_trial(&p, 1, t);
        let c = r.staff[0].caseload.as_ref().unwrap();
        assert_eq!(c.cap, 6.0);
        // The caseload is the census (one unit), never above the cap, and
        // at the cap almost all the time with such demand.
        assert!((c.mean - r.units[0].census).abs() < 1e-9);
        assert!(r.units[0].census <= 6.0 + 1e-9, "{}", r.units[0].census);
        assert!(r.units[0].census > 5.0, "{}", r.units[0].census);
        assert!(c.full > 0.8, "{}", c.full);
        assert!(c.held_back > 0);
    }
}

#[test]
fn an_intake_with_fixed_slots_books_first_come_first_served() {
    // 1 slot a weekday, 4 referrals a week: nobody waits for admission
    // (seats are plenty), everyone waits for the intake.
    let s = load(
        MONDAYS,
        &[
            "simulation.trials=1",
            "referrals.community.per_week=4",
            "units.iop.tracks.morning.group_size=100",
            "units.iop.intake={ slots = [1, 1, 1, 1, 1, 0, 0], at = \"09:00\", show = [[1, 0.9], [10, 0.5]] }",
        ],
    );
    let p = Program::new(&s);
    let r = run_trial(&p, 1, 0);
    let i = r.units[0].intake.as_ref().unwrap();
    // At most one appointment a weekday: 5 a week over 26 weeks.
    assert!(i.appointments <= 130, "{}", i.appointments);
    assert!(i.appointments > 80, "{}", i.appointments);
    assert!(i.no_shows > 0 && i.no_shows < i.appointments);
    assert!(
        i.slots_used > 0.6 && i.slots_used <= 1.0,
        "{}",
        i.slots_used
    );
    // Every appointment is at 09:00 on a weekday, after the referral.
    assert!(i.wait_secs.iter().all(|&w| w > 0));
    // The unit's wait counts from the referral: at least the intake's.
    assert!(r.units[0].wait_days >= i.wait_days * 0.5);
    // Conservation: no-shows include the intake's.
    let c = &r.units[0].all;
    assert!(c.no_shows >= i.no_shows);
    assert_eq!(
        c.referrals,
        c.no_shows + c.turned_away + c.reneged + c.admitted + r.units[0].waiting_at_end
    );
}
