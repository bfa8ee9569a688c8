//! The clinic model against hand-computable cases, conservation of referrals,
//! reproducibility across thread counts, and Little's law.

use iopsim::model::clinic::{run_trial_audited, run_trial_general};
use iopsim::model::{run_trial, Program, TrialResult};
use iopsim::report::csv::{summary_csv, weekly_csv};
use iopsim::scenario::{load_str, Scenario, DEFAULT_TOML};
use iopsim::trials::{self, RunOptions, RunResults};

fn scenario(toml: &str) -> Scenario {
    load_str(toml, "test", &[]).unwrap_or_else(|e| panic!("{e}"))
}

fn run(s: &Scenario, threads: usize) -> (RunResults, Vec<u8>) {
    let mut rows = Vec::new();
    let r = trials::run(
        s,
        &RunOptions { threads },
        &mut |t, row| {
            rows.extend(format!("{t}:{row:?}\n").into_bytes());
            Ok(())
        },
        &mut |_| {},
    )
    .unwrap();
    (r, rows)
}

fn trial(s: &Scenario, t: u64) -> TrialResult {
    let p = Program::new(s);
    run_trial(&p, s.simulation.seed, t)
}

/// Far more demand than seats, fixed 4-week episodes, no dropout: every seat
/// turns over exactly every 4 weeks at the Monday session.
const SATURATED: &str = r#"
name = "saturated"
[simulation]
start_date = "2027-01-04"
weeks = 52
warmup_weeks = 8
trials = 3
[[referrals]]
name = "flood"
to = "iop"
per_week = 60
[[units]]
name = "iop"
kind = "sessions"
admission = "rolling"
episode = { weeks = 4 }
attendance = 1.0
[[units.tracks]]
name = "day"
days = ["mon"]
start = "10:00"
hours = 3
group_size = 12
room = "room"
[[rooms]]
name = "room"
seats = 12
[[staff]]
role = "therapist"
fte = 1
hours_per_fte = 40
[[workload]]
activity = "group_session"
role = "therapist"
hours = 3.5
[[workload]]
activity = "individual"
role = "therapist"
hours = 1.0
[[workload]]
activity = "intake"
role = "therapist"
hours = 1.5
"#;

#[test]
fn saturated_rolling_group_has_exact_census_admissions_and_staff_hours() {
    let s = scenario(SATURATED);
    for t in 0..3 {
        let r = trial(&s, t);
        let u = &r.units[0];
        assert_eq!(u.census, 12.0, "census is exactly the seats");
        assert_eq!(u.counts.admitted, 12 * 13, "12 seats x 52/4 turnovers");
        assert_eq!(u.counts.completed, 12 * 13);
        assert_eq!(
            u.counts.dropped_out + u.counts.admin_discharged + u.counts.stepped_up,
            0
        );
        assert_eq!(u.seat_utilization, Some(1.0));
        assert_eq!(u.attendance_rate, Some(1.0));
        assert!((u.mean_stay_days - 28.0).abs() < 1e-9);
        let staff = &r.staff[0];
        // 1 group session x 3.5 h + 12 patient-weeks x 1 h + 3 intakes/week x 1.5 h
        assert!(
            (staff.hours_per_week - (3.5 + 12.0 + 4.5)).abs() < 1e-9,
            "{}",
            staff.hours_per_week
        );
        assert!((staff.fte_needed - 20.0 / 40.0).abs() < 1e-9);
        assert_eq!(r.rooms[0].utilization, 1.0);
    }
}

#[test]
fn phases_reduce_attended_sessions_exactly() {
    // Weeks 3-4 of a 4-week stay attend only the first 2 of 5 weekly days:
    // per cycle 2x5x12 + 2x2x12 = 168 attended of 4x5x12 = 240 seat-sessions.
    let toml = SATURATED
        .replace(
            "days = [\"mon\"]",
            "days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]",
        )
        .replace(
            "attendance = 1.0",
            "attendance = 1.0\nphases = [{ from_week = 3, sessions_per_week = 2 }]",
        );
    let r = trial(&scenario(&toml), 0);
    assert!(
        (r.rooms[0].utilization - 168.0 / 240.0).abs() < 1e-12,
        "{}",
        r.rooms[0].utilization
    );
    assert_eq!(r.units[0].attendance_rate, Some(1.0));
}

#[test]
fn consecutive_absences_discharge_on_schedule() {
    // Nobody attends after the first session; two misses in a row (Wed, then
    // next Mon) discharge at the end of that Monday's 3-hour session.
    let toml = SATURATED
        .replace("days = [\"mon\"]", "days = [\"mon\", \"wed\"]")
        .replace(
            "attendance = 1.0",
            "attendance = 0.0\ndischarge_after_absences = 2",
        );
    let r = trial(&scenario(&toml), 0);
    let u = &r.units[0];
    assert_eq!(u.counts.completed, 0);
    assert!(u.counts.admin_discharged > 0);
    assert_eq!(u.counts.admin_discharged, u.counts.exits());
    assert!(
        (u.mean_stay_days - (7.0 + 3.0 / 24.0)).abs() < 1e-9,
        "{}",
        u.mean_stay_days
    );
}

#[test]
fn saturated_bed_unit_turns_over_every_fixed_stay() {
    let toml = r#"
name = "beds"
[simulation]
start_date = "2027-01-04"
weeks = 10
warmup_weeks = 2
trials = 1
[[referrals]]
name = "flood"
to = "ward"
per_week = 100
[[units]]
name = "ward"
kind = "beds"
capacity = 5
stay = { dist = "fixed", value = 7 }
"#;
    let r = trial(&scenario(toml), 0);
    let u = &r.units[0];
    assert_eq!(u.census, 5.0);
    assert_eq!(u.counts.admitted, 50);
    assert!((u.mean_stay_days - 7.0).abs() < 1e-9);
}

#[test]
fn wait_in_place_blocks_beds_and_counts_blocked_days() {
    // Step-down from a ward into a 1-bed unit with a long fixed stay: most
    // ward patients finish and keep their bed, so blocked days accrue.
    let toml = r#"
name = "handoff"
[simulation]
start_date = "2027-01-04"
weeks = 20
warmup_weeks = 4
trials = 1
[[referrals]]
name = "in"
to = "ward"
per_week = 3
[[units]]
name = "ward"
kind = "beds"
capacity = 4
stay = { dist = "fixed", value = 3 }
on_discharge = { step = 1.0 }
handoff = "wait_in_place"
[[units]]
name = "step"
kind = "beds"
capacity = 1
stay = { dist = "fixed", value = 14 }
waitlist = { capacity = 2 }
"#;
    let s = scenario(toml);
    let r = trial(&s, 0);
    assert!(
        r.units[0].blocked_days > 1.0,
        "blocked {}",
        r.units[0].blocked_days
    );
    assert!(r.units[0].census <= 4.0);
    assert!(r.units[1].counts.turned_away > 0);
    let go_home = scenario(&toml.replace("wait_in_place", "go_home"));
    assert_eq!(trial(&go_home, 0).units[0].blocked_days, 0.0);
    conserved(&r);
}

#[test]
fn beds_freed_in_a_chain_of_held_beds_are_never_given_twice() {
    // Two full bed units that send patients to each other and keep their
    // bed while they wait: an admission to one frees a held bed in the
    // other, whose next patient frees a held bed in the first, all at one
    // instant. Each freed bed must go to one patient: no unit may ever
    // hold more than its beds.
    let toml = r#"
name = "chain"
[simulation]
start_date = "2027-01-04"
weeks = 30
warmup_weeks = 4
trials = 1
[[referrals]]
name = "in"
to = "ward"
per_week = 9
[[referrals]]
name = "direct"
to = "step"
per_week = 1
[[units]]
name = "ward"
kind = "beds"
capacity = 4
stay = { dist = "exponential", mean = 3 }
on_discharge = { step = 0.7 }
handoff = "wait_in_place"
[[units]]
name = "step"
kind = "beds"
capacity = 2
stay = { dist = "exponential", mean = 5 }
waitlist = { capacity = 3, patience = { dist = "exponential", mean = 6 } }
on_discharge = { ward = 0.2 }
handoff = "wait_in_place"
"#;
    let s = scenario(toml);
    let p = Program::new(&s);
    let mut chains = 0;
    for t in 0..200 {
        let (r, audit) = run_trial_audited(&p, s.simulation.seed, t);
        for (i, beds) in [4, 2].into_iter().enumerate() {
            assert!(
                audit.peak_census[i] <= beds,
                "trial {t}, unit {i}: {} in {beds} beds",
                audit.peak_census[i]
            );
            assert!(r.units[i].in_care_at_end <= beds as u64);
        }
        conserved(&r);
        // Held beds were freed by admissions (the chain above can happen).
        chains += u64::from(r.units[0].blocked_days > 0.0 && r.units[1].blocked_days > 0.0);
    }
    assert!(chains > 100, "both units held beds in only {chains} trials");
}

fn conserved(r: &TrialResult) {
    for (i, u) in r.units.iter().enumerate() {
        let a = &u.all;
        assert_eq!(
            a.referrals,
            a.no_shows + a.turned_away + a.reneged + a.admitted + u.waiting_at_end,
            "unit {i}: every referral is accounted for: {a:?}, waiting {}",
            u.waiting_at_end
        );
        assert_eq!(
            a.admitted,
            u.in_care_at_end + a.exits(),
            "unit {i}: every admission is accounted for"
        );
    }
}

#[test]
fn every_referral_is_accounted_for_in_every_shipped_scenario() {
    let mut checked = 0;
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        let s = iopsim::scenario::load_file(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
        let p = Program::new(&s);
        for t in 0..20 {
            let r = run_trial(&p, 1, t);
            conserved(&r);
            assert!(
                r.units.iter().any(|u| u.all.referrals > 0),
                "{}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 20);
}

/// Every shipped scenario without classes or relapse runs on the plain
/// run loop (`Clinic`'s `PLAIN`), which leaves out their tests: it must
/// give what the general loop gives, trial for trial, to the last bit.
#[test]
fn the_plain_run_loop_agrees_with_the_general_one() {
    let mut plain = 0;
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        let s = iopsim::scenario::load_file(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
        let p = Program::new(&s);
        let expected = s.classes.is_empty() && s.units.iter().all(|u| u.relapse.is_none());
        assert_eq!(p.plain, expected, "{}", path.display());
        if !p.plain {
            continue;
        }
        plain += 1;
        for t in 0..5 {
            assert_eq!(
                format!("{:?}", run_trial(&p, 7, t)),
                format!("{:?}", run_trial_general(&p, 7, t)),
                "{} trial {t}",
                path.display()
            );
        }
    }
    assert!(plain >= 5, "only {plain} plain scenarios shipped");
}

#[test]
fn output_is_identical_for_one_and_two_threads() {
    let s = load_str(DEFAULT_TOML, "default", &["simulation.trials=150".into()]).unwrap();
    let (a, rows_a) = run(&s, 1);
    let (b, rows_b) = run(&s, 2);
    assert_eq!(rows_a, rows_b);
    assert_eq!(summary_csv(&a).unwrap(), summary_csv(&b).unwrap());
    assert_eq!(weekly_csv(&a).unwrap(), weekly_csv(&b).unwrap());
    assert_eq!(a.waits, b.waits);
    let (c, rows_c) = run(
        &load_str(
            DEFAULT_TOML,
            "default",
            &["simulation.trials=150".into(), "simulation.seed=2".into()],
        )
        .unwrap(),
        2,
    );
    assert_ne!(rows_a, rows_c, "a different seed gives different trials");
    assert_ne!(summary_csv(&a).unwrap(), summary_csv(&c).unwrap());
}

#[test]
fn littles_law_holds_on_the_default_scenario() {
    let s = load_str(DEFAULT_TOML, "default", &["simulation.trials=200".into()]).unwrap();
    let (r, _) = run(&s, 0);
    let census = r.summary_of("iop.census").unwrap();
    let admissions = r.summary_of("iop.admissions").unwrap().mean;
    let stay = r.summary_of("iop.mean_stay_days").unwrap().mean;
    let lambda = admissions / (f64::from(s.simulation.weeks) * 7.0);
    let predicted = lambda * stay;
    // Boundary effects (stays straddling the window edges) are O(stay / horizon).
    let rel = (census.mean - predicted).abs() / census.mean;
    assert!(
        rel < 0.03,
        "census {} vs lambda*W {predicted} ({rel:.3})",
        census.mean
    );
    // And the program is in the regime the domain describes: ~20 of 24 seats.
    assert!((17.0..23.0).contains(&census.mean), "{}", census.mean);
}

#[test]
fn default_outcomes_match_the_domain_calibration() {
    // domain.md: ~59% completion, ~37% dropout, ~4.5% step-up among those who
    // start, before administrative discharges.
    let s = load_str(
        DEFAULT_TOML,
        "default",
        &[
            "simulation.trials=200".into(),
            "units.iop.discharge_after_absences=0".into(),
        ],
    )
    .unwrap();
    let (r, _) = run(&s, 0);
    let m = |k: &str| r.summary_of(k).unwrap().mean;
    let exits = m("iop.completed") + m("iop.dropped_out") + m("iop.stepped_up");
    assert!(
        (m("iop.completed") / exits - 0.59).abs() < 0.03,
        "{}",
        m("iop.completed") / exits
    );
    assert!((m("iop.stepped_up") / exits - 0.045).abs() < 0.015);
}

#[test]
fn reneging_and_no_shows_respond_to_their_parameters() {
    let base = load_str(DEFAULT_TOML, "d", &["simulation.trials=50".into()]).unwrap();
    let impatient = load_str(
        DEFAULT_TOML,
        "d",
        &[
            "simulation.trials=50".into(),
            "units.iop.waitlist.patience.mean=2".into(),
        ],
    )
    .unwrap();
    let (a, _) = run(&base, 0);
    let (b, _) = run(&impatient, 0);
    assert!(
        b.summary_of("iop.reneged").unwrap().mean > 2.0 * a.summary_of("iop.reneged").unwrap().mean
    );
    // Same seed, same referral streams: arrivals are unaffected by patience.
    assert_eq!(
        a.summary_of("iop.referrals").unwrap(),
        b.summary_of("iop.referrals").unwrap()
    );
    assert_eq!(
        a.summary_of("iop.no_shows").unwrap(),
        b.summary_of("iop.no_shows").unwrap()
    );
}

#[test]
fn weekday_and_month_modulation_shape_arrivals() {
    // All referrals on Mondays only; a January-only month factor.
    let toml = r#"
name = "mod"
[simulation]
start_date = "2027-01-04"
weeks = 52
trials = 1
[[referrals]]
name = "mon"
to = "ward"
per_week = 10
weekdays = [1, 0, 0, 0, 0, 0, 0]
months = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
[[units]]
name = "ward"
kind = "beds"
capacity = 1000
stay = { dist = "fixed", value = 0.5 }
"#;
    let r = trial(&scenario(toml), 0);
    let weekly = &r.units[0].weekly.admissions;
    assert!(weekly[..4].iter().sum::<f64>() > 20.0, "{weekly:?}");
    assert_eq!(
        weekly[5..].iter().sum::<f64>(),
        0.0,
        "no referrals after January: {weekly:?}"
    );
}

#[test]
fn cohorts_admit_only_at_their_start_weeks_and_groups_are_staggered() {
    // Cohorts every 8 weeks, 4-week episodes. Reported weeks 8..60 hold cohort
    // starts at weeks 8, 16, .., 56: 7 cohorts of 12 for 4 weeks each, less the
    // 10 hours (Monday 10:00 start) the last one runs past the horizon.
    let one = SATURATED.replace(
        "admission = \"rolling\"",
        "admission = \"cohort\"\ncohort_weeks = 8",
    );
    let r = trial(&scenario(&one), 0);
    let expected = 12.0 * (28.0 * 168.0 - 10.0) / (52.0 * 168.0);
    assert!(
        (r.units[0].census - expected).abs() < 1e-9,
        "{} vs {expected}",
        r.units[0].census
    );
    assert_eq!(r.units[0].counts.admitted, 7 * 12);
    // Two groups staggered by 4 weeks: always exactly one full group.
    let two = one
        .replace("group_size = 12", "group_size = 12\ngroups = 2")
        .replace("seats = 12", "seats = 12\ncount = 2");
    let r = trial(&scenario(&two), 0);
    assert!(
        (r.units[0].census - 12.0).abs() < 1e-9,
        "{}",
        r.units[0].census
    );
}

#[test]
fn episodes_by_sessions_complete_after_that_many_attended_sessions() {
    // Weekly Monday sessions, attendance 1, 3 sessions: admitted at a Monday
    // session (attended), then two more Mondays; the exit is at the end of
    // the third 3-hour session.
    let toml = SATURATED.replace("episode = { weeks = 4 }", "episode = { sessions = 3 }");
    let r = trial(&scenario(&toml), 0);
    let u = &r.units[0];
    assert!(
        (u.mean_stay_days - (14.0 + 3.0 / 24.0)).abs() < 1e-9,
        "{}",
        u.mean_stay_days
    );
    assert_eq!(u.counts.completed, u.counts.exits());
    // With attendance 1/2 the same three sessions take twice as many weeks on average.
    let half = trial(
        &scenario(&toml.replace("attendance = 1.0", "attendance = 0.5")),
        0,
    );
    let stay = half.units[0].mean_stay_days;
    assert!((stay - (28.0 + 3.0 / 24.0)).abs() < 3.0, "{stay}");
}

#[test]
fn waitlist_priority_serves_lower_classes_first() {
    // A flood of priority-2 referrals builds a backlog of months; a trickle of
    // priority-0 referrals jumps it and is admitted within one 4-week turnover.
    let toml = SATURATED.replace(
        "[[referrals]]\nname = \"flood\"\nto = \"iop\"\nper_week = 60",
        "[[referrals]]\nname = \"flood\"\nto = \"iop\"\nper_week = 60\npriority = 2\n\n\
         [[referrals]]\nname = \"urgent\"\nto = \"iop\"\nper_week = 1\npriority = 0",
    );
    let quick = |toml: &str| {
        trial(&scenario(toml), 0).units[0]
            .waits()
            .filter(|&w| w < 28.0)
            .count()
    };
    let with_priority = quick(&toml);
    let without = quick(&toml.replace("priority = 0", "priority = 2"));
    assert!(
        (35..=75).contains(&with_priority),
        "urgent admissions within 4 weeks: {with_priority}"
    );
    assert_eq!(
        without, 0,
        "without priority everyone waits behind the backlog"
    );
}

#[test]
fn each_stream_shows_what_its_priority_buys() {
    // The same flood and trickle as above, read from the per-stream
    // results: the urgent stream's waits are its own, the flood's are the
    // backlog's, and the two streams add up to the unit.
    let toml = SATURATED.replace(
        "[[referrals]]\nname = \"flood\"\nto = \"iop\"\nper_week = 60",
        "[[referrals]]\nname = \"flood\"\nto = \"iop\"\nper_week = 60\npriority = 2\n\n\
         [[referrals]]\nname = \"urgent\"\nto = \"iop\"\nper_week = 1\npriority = 0",
    );
    let s = scenario(&toml);
    let r = trial(&s, 0);
    let (flood, urgent) = (&r.streams[0], &r.streams[1]);
    // Priority 0 is admitted within one 4-week turnover; the flood waits months.
    assert!(urgent.wait_days_p90 <= 28.0, "{urgent:?}");
    assert!(flood.wait_days > 60.0, "{flood:?}");
    let u = &r.units[0].counts;
    assert_eq!(flood.referrals + urgent.referrals, u.referrals);
    assert_eq!(flood.admitted + urgent.admitted, u.admitted);
    assert_eq!(flood.no_shows + urgent.no_shows, u.no_shows);
    // Without priority the urgent stream waits like everyone else.
    let same = trial(&scenario(&toml.replace("priority = 0", "priority = 2")), 0);
    assert!(same.streams[1].wait_days > 60.0, "{:?}", same.streams[1]);
    // Every reported admission's wait is in exactly one stream's figures.
    let n = (flood.admitted + urgent.admitted) as f64;
    let pooled =
        (flood.wait_days * flood.admitted as f64 + urgent.wait_days * urgent.admitted as f64) / n;
    assert!((pooled - r.units[0].wait_days).abs() < 1e-9);
}

#[test]
fn the_default_reports_tracks_streams_and_destinations_apart() {
    let s = load_str(DEFAULT_TOML, "default", &["simulation.trials=200".into()]).unwrap();
    let (r, _) = run(&s, 0);
    let m = |k: &str| {
        r.summary_of(k)
            .unwrap_or_else(|| panic!("no metric {k}"))
            .mean
    };
    // Each track's figures and the unit's agree.
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    assert!(close(
        m("iop.morning.admissions") + m("iop.evening.admissions"),
        m("iop.admissions")
    ));
    assert!(close(
        m("iop.morning.census") + m("iop.evening.census"),
        m("iop.census")
    ));
    // 60% prefer the evening for the same seats: the wait is in the evening.
    assert!(
        m("iop.evening.wait_days") > m("iop.morning.wait_days") + 1.0,
        "evening {} vs morning {}",
        m("iop.evening.wait_days"),
        m("iop.morning.wait_days")
    );
    assert!(m("iop.evening.seat_utilization") > m("iop.morning.seat_utilization"));
    let evening = r
        .track_waits
        .iter()
        .find(|h| h.unit == "iop.evening")
        .unwrap();
    let morning = r
        .track_waits
        .iter()
        .find(|h| h.unit == "iop.morning")
        .unwrap();
    assert_eq!(
        evening.total + morning.total,
        r.waits.iter().find(|h| h.unit == "iop").unwrap().total
    );
    assert!(evening.p90 > morning.p90);
    // Step-downs (priority 1) are seen before community referrals (2).
    assert!(m("stream.php-stepdown.wait_days") < m("stream.community.wait_days"));
    let streams: f64 = ["inpatient-stepdown", "php-stepdown", "community"]
        .iter()
        .map(|st| m(&format!("stream.{st}.referrals")))
        .sum();
    assert!(close(streams, m("iop.referrals")));
    // Completers go on 80/20 to outpatient care and alumni; step-ups to PHP;
    // dropouts and administrative discharges home.
    let routed = m("iop.to.outpatient") + m("iop.to.alumni");
    assert!(
        (m("iop.to.outpatient") / routed - 0.8).abs() < 0.02,
        "{}",
        m("iop.to.outpatient") / routed
    );
    assert!(close(routed, m("iop.completed")));
    assert!(close(m("iop.to.php"), m("iop.stepped_up")));
    assert!(close(m("iop.stepped_up_to.php"), m("iop.stepped_up")));
    assert!(close(
        m("iop.to.home"),
        m("iop.dropped_out") + m("iop.admin_discharged")
    ));
    // Weekly levels and admissions per track.
    let weekly = |k: &str| r.weekly_of(k).unwrap_or_else(|| panic!("no weekly {k}"));
    for w in 0..52 {
        let sum =
            weekly("iop.morning.admissions")[w].mean + weekly("iop.evening.admissions")[w].mean;
        assert!(close(sum, weekly("iop.admissions")[w].mean), "week {w}");
    }
    assert_eq!(weekly("iop.evening.census").len(), 52);
}

#[test]
fn results_need_names_of_their_own() {
    let err = |toml: &str| match load_str(toml, "test.toml", &[]) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    };
    // A track named like a unit metric.
    let two_tracks = SATURATED.replace(
        "[[rooms]]",
        "[[units.tracks]]\nname = \"census\"\ndays = [\"tue\"]\nstart = \"10:00\"\nhours = 3\ngroup_size = 12\nroom = \"room\"\n\n[[rooms]]",
    );
    let e = err(&two_tracks);
    assert!(
        e.contains("units[0].tracks[1].name")
            && e.contains("'census' is the name of a unit metric"),
        "{e}"
    );
    assert!(e.contains("test.toml"), "{e}");
    // A unit whose metrics would carry a stream's names.
    let clash = SATURATED
        .replace("name = \"iop\"", "name = \"stream.flood\"")
        .replace("to = \"iop\"", "to = \"stream.flood\"");
    let e = err(&clash);
    assert!(
        e.contains("referrals[0].name")
            && e.contains("'stream.flood.referrals' would be given to two results")
            && e.contains("units[0].name"),
        "{e}"
    );
}

#[test]
fn growth_raises_referrals_year_over_year() {
    let toml = SATURATED
        .replace("per_week = 60", "per_week = 20\ngrowth_per_year = 1.0")
        .replace("weeks = 52", "weeks = 104");
    // The daily rate a year after start_date is twice the rate at start_date.
    let growing = scenario(&toml);
    let p = Program::new(&growing);
    let day = |d: usize| p.streams[0].rate_per_sec[d];
    let start = 8 * 7; // first reported day, after the 8-week warm-up
    assert!((day(start + 365) / day(start) - 2.0).abs() < 0.01);
    // Realised referrals over two years: the mean of 2^t on [0, 2] is 3 / (2 ln 2).
    let flat = scenario(&toml.replace("growth_per_year = 1.0", "growth_per_year = 0.0"));
    let referrals = |s: &Scenario| {
        (0..10)
            .map(|t| trial(s, t).units[0].counts.referrals as f64)
            .sum::<f64>()
    };
    let ratio = referrals(&growing) / referrals(&flat);
    assert!((ratio - 3.0 / (2.0 * 2f64.ln())).abs() < 0.05, "{ratio}");
}

#[test]
fn continuous_admission_fills_a_freed_seat_at_once() {
    let toml = SATURATED
        .replace("admission = \"rolling\"", "admission = \"continuous\"")
        .replace(
            "episode = { weeks = 4 }",
            "episode = { dist = \"fixed\", value = 3.5 }",
        );
    let r = trial(&scenario(&toml), 0);
    let u = &r.units[0];
    assert_eq!(
        u.census, 12.0,
        "no gap between a discharge and the next admission"
    );
    assert_eq!(
        u.counts.admitted,
        12 * 104,
        "every seat turns over every 3.5 days"
    );
}

#[test]
fn completions_route_to_the_next_unit() {
    let toml = format!(
        "{}\n{}",
        SATURATED.replace(
            "attendance = 1.0",
            "attendance = 1.0\non_completion = { aftercare = 0.25 }"
        ),
        r#"
[[units]]
name = "aftercare"
kind = "beds"
capacity = 1000
stay = { dist = "exponential", mean = 30 }
"#
    );
    let (r, _) = run(&scenario(&toml), 1);
    let completed = r.summary_of("iop.completed").unwrap().mean;
    let into_aftercare = r.summary_of("aftercare.referrals").unwrap().mean;
    assert!(into_aftercare > 0.0);
    assert!(
        (into_aftercare / completed - 0.25).abs() < 0.05,
        "{into_aftercare} / {completed}"
    );
}

#[test]
fn finance_is_exact_for_a_fixed_census_with_certain_attendance() {
    // 12 always enrolled, one Monday session a week, everyone attends:
    // revenue/week = (12 session-days x 150 + 3 intakes x 100 + 12 individual x 50) x 0.9 = 2430
    // cost/week = 0.25 FTE x 52,000 / 52 + (20 h needed - 10 h on staff) x 80 + room 100 + overhead 50 = 1200
    let toml = SATURATED.replace(
        "fte = 1\nhours_per_fte = 40",
        "fte = 0.25\nhours_per_fte = 40",
    ) + r#"
[finance]
collection_rate = 0.9
payers = [{ name = "a", share = 0.5, per_day = 200 }, { name = "b", share = 0.5, per_day = 100 }]
intake_fee = 100
individual_fee = 50
room_cost_per_week = { room = 100 }
overhead_per_week = 50

[[finance.staff]]
role = "therapist"
salary_per_fte_year = 52000
per_diem_per_hour = 80
"#;
    let s = scenario(&toml);
    let f = trial(&s, 0).finance.expect("finance section");
    let close = |a: f64, b: f64| (a - b).abs() < 1e-6 * b.abs().max(1.0);
    assert!(close(f.revenue_per_week, 2430.0), "{}", f.revenue_per_week);
    assert!(close(f.cost_per_week, 1200.0), "{}", f.cost_per_week);
    assert!(close(f.net_per_week, 1230.0), "{}", f.net_per_week);
    assert!(close(f.revenue_per_admission, 2430.0 * 52.0 / 156.0));
    assert!(close(f.cost_per_completed_episode, 1200.0 * 52.0 / 156.0));
    assert_eq!(f.lost_revenue_empty_seats_per_week, 0.0);
    assert_eq!(f.lost_revenue_waitlist_per_week, 0.0);
    assert!(close(f.weekly_net.iter().sum::<f64>(), 1230.0 * 52.0));
    // Finance metrics flow into the run's summary like any other metric.
    let (r, _) = run(&s, 1);
    assert!(close(
        r.summary_of("finance.net_per_week").unwrap().mean,
        1230.0
    ));
    assert!(r.weekly_of("finance.net_per_week").is_some());
}

#[test]
fn empty_seats_and_waitlist_losses_are_priced() {
    // Half-empty group (demand well below seats) with impatient clients.
    let toml = SATURATED
        .replace("per_week = 60", "per_week = 1.5")
        .replace(
            "attendance = 1.0",
            "attendance = 1.0\nwaitlist = { patience = { dist = \"exponential\", mean = 2 } }",
        )
        + r#"
[finance]
payers = [{ name = "a", share = 1.0, per_day = 100 }]
"#;
    let f = trial(&scenario(&toml), 0).finance.unwrap();
    assert!(
        f.lost_revenue_empty_seats_per_week > 100.0,
        "{}",
        f.lost_revenue_empty_seats_per_week
    );
    assert!(f.lost_revenue_waitlist_per_week > 0.0);
}

// ---- wait_in_place into a session unit, and cohorts on the calendar -------

/// One PHP bed whose patient (in care from Monday 2027-01-04 00:00, day 0)
/// leaves after a fixed 8 days, on Tuesday 01-12 at 00:00, for an IOP that
/// meets on Mondays at 10:00 with 2 seats and a fixed patience of 5 days.
/// `{IOP}` is replaced by the IOP's admission keys.
const STEP_DOWN: &str = r#"
name = "step-down"
[simulation]
start_date = "2027-01-04"
weeks = 8
trials = 1
[[referrals]]
name = "none"
to = "php"
per_week = 0
[[units]]
name = "php"
kind = "beds"
capacity = 1
stay = { dist = "fixed", value = 8 }
on_discharge = { iop = 1.0 }
handoff = "wait_in_place"
[[units]]
name = "iop"
kind = "sessions"
{IOP}
episode = { weeks = 12 }
waitlist = { patience = { dist = "fixed", value = 5 } }
[[units.tracks]]
name = "monday"
days = ["mon"]
start = "10:00"
hours = 3
group_size = 2
[[initial.patients]]
unit = "php"
week = 1
"#;

/// Every referral to `u` is accounted for (the patients of an `[initial]`
/// state were never referred, so admissions are not balanced here).
fn referrals_conserved(u: &iopsim::model::result::UnitResult) {
    let a = &u.all;
    assert_eq!(
        a.referrals,
        a.no_shows + a.turned_away + a.reneged + a.admitted + u.waiting_at_end,
        "{a:?}"
    );
}

/// The one stepped-down patient of [`STEP_DOWN`] kept the PHP bed for
/// `blocked` days, then was admitted to the IOP with a reserved seat after
/// waiting `wait` days, and never gave up.
fn admitted_once_from_a_reserved_seat(
    r: &TrialResult,
    audit: &iopsim::model::recorder::Audit,
    blocked: f64,
    wait: f64,
) {
    let (php, iop) = (&r.units[0], &r.units[1]);
    assert!(
        (php.blocked_days - blocked).abs() < 1e-9,
        "blocked {}",
        php.blocked_days
    );
    assert_eq!(
        (iop.all.referrals, iop.all.reneged, iop.all.admitted),
        (1, 0, 1)
    );
    assert!(
        (iop.wait_days - wait).abs() < 1e-9,
        "wait {}",
        iop.wait_days
    );
    assert_eq!(audit.seats_reserved, 1);
    assert_eq!((audit.reneged_while_placed, audit.seats_overbooked), (0, 0));
    referrals_conserved(iop);
}

fn step_down(iop: &str) -> (TrialResult, iopsim::model::recorder::Audit) {
    let s = scenario(&STEP_DOWN.replace("{IOP}", iop));
    let p = Program::new(&s);
    run_trial_audited(&p, s.simulation.seed, 0)
}

#[test]
fn a_stepped_down_patient_goes_home_with_a_reserved_seat_and_does_not_give_up() {
    // Discharged Tuesday 01-12 00:00; the IOP's next session, Monday 01-18
    // 10:00, has 2 free seats and nobody ahead, so a seat there is theirs
    // at once: the bed is freed at 01-12 00:00 (0 blocked days) and they
    // wait at home with it reserved. Their 5-day patience would end on
    // Sunday 01-17 00:00, before the session, but someone with a reserved
    // seat does not give up: admitted 01-18 10:00 after 6 d 10 h = 6.4167
    // days. (The old rule freed the bed and let them wait unreserved: 0
    // admitted, 1 reneged.)
    let (r, audit) = step_down("admission = \"rolling\"");
    assert_eq!(r.units[0].all.completed, 1);
    admitted_once_from_a_reserved_seat(&r, &audit, 0.0, 6.0 + 10.0 / 24.0);
}

#[test]
fn a_stepped_down_patient_keeps_the_bed_until_the_cohort_admits() {
    // Cohorts every 4 weeks from 01-04: the group admits on 01-04 and
    // 02-01. Discharged 01-12, the next sessions (01-18, 01-25) admit
    // nobody, so no seat can be assigned: the bed is kept (blocked). After
    // the 01-25 session the next one is 02-01, a cohort start with 2 free
    // seats: the seat is reserved and the bed freed at 01-25 10:00, after
    // 13 d 10 h = 13.4167 blocked days. Admitted 02-01 10:00 after 20.4167
    // days, without giving up (patience 5 days). (The old rule freed the
    // bed on 01-12, counting the empty group's seats as free: 0 admitted.)
    let (r, audit) =
        step_down("admission = \"cohort\"\ncohort_weeks = 4\nfirst_cohort = \"2027-01-04\"");
    admitted_once_from_a_reserved_seat(&r, &audit, 13.0 + 10.0 / 24.0, 20.0 + 10.0 / 24.0);
}

#[test]
fn a_stepped_down_patient_keeps_the_bed_while_the_group_is_full() {
    // One seat, taken until Monday 01-25 00:00 by an IOP patient in their
    // first week on 01-04 with a 3-week episode. Discharged 01-12 00:00,
    // the PHP patient keeps the bed (blocked) until that seat frees, then
    // goes home with it reserved: 13 blocked days; admitted 01-25 10:00
    // after 13.4167 days, never giving up.
    let toml = STEP_DOWN
        .replace("{IOP}", "admission = \"rolling\"")
        .replace("episode = { weeks = 12 }", "episode = { weeks = 3 }")
        .replace("group_size = 2", "group_size = 1")
        + "[[initial.patients]]\nunit = \"iop\"\nweek = 1\n";
    let s = scenario(&toml);
    let (r, audit) = run_trial_audited(&Program::new(&s), s.simulation.seed, 0);
    admitted_once_from_a_reserved_seat(&r, &audit, 13.0, 13.0 + 10.0 / 24.0);
    // The patient in care on 01-04 on 01-25, the stepped-down one 3 weeks
    // after admission, on 02-15.
    assert_eq!(r.units[1].all.completed, 2);
}

/// Far more demand than seats; one group of 2 on Mondays admitting in
/// 4-week cohorts, 3-week episodes (the group is empty again before each
/// cohort starts).
const COHORTS: &str = r#"
name = "cohorts"
[simulation]
start_date = "2027-01-04"
weeks = 24
warmup_weeks = {WARMUP}
trials = 1
[[referrals]]
name = "flood"
to = "iop"
per_week = 20
[[units]]
name = "iop"
kind = "sessions"
admission = "cohort"
cohort_weeks = 4
{FIRST}
episode = { weeks = 3 }
[[units.tracks]]
name = "monday"
days = ["mon"]
start = "10:00"
hours = 3
group_size = 2
"#;

fn admitting_weeks(warmup: u32, first: &str) -> Vec<usize> {
    let s = scenario(
        &COHORTS
            .replace("{WARMUP}", &warmup.to_string())
            .replace("{FIRST}", first),
    );
    let r = trial(&s, 0);
    let weekly = &r.units[0].weekly.admissions;
    (0..weekly.len()).filter(|&w| weekly[w] > 0.0).collect()
}

#[test]
fn cohorts_start_on_calendar_dates_whatever_the_warm_up() {
    // Cohorts every 4 weeks from start_date: reported weeks 0, 4, ..., 20,
    // for any warm-up (they used to count from the warm-up's first day, so
    // a 2-week warm-up moved them to weeks 2, 6, ...).
    let expected: Vec<usize> = (0..24).step_by(4).collect();
    for warmup in [0, 1, 2, 3, 5, 8, 13] {
        assert_eq!(
            admitting_weeks(warmup, ""),
            expected,
            "warmup_weeks = {warmup}"
        );
    }
    // first_cohort moves them: a cohort on 2027-01-18 (reported week 2),
    // and so also 4 weeks before and after it.
    let shifted: Vec<usize> = (2..24).step_by(4).collect();
    for warmup in [0, 3, 8] {
        assert_eq!(
            admitting_weeks(warmup, "first_cohort = \"2027-01-18\""),
            shifted,
            "warmup_weeks = {warmup}"
        );
    }
    // A date far before the horizon keeps the same 4-week rhythm.
    assert_eq!(admitting_weeks(5, "first_cohort = \"2026-01-19\""), shifted);
}

#[test]
fn a_cohort_waitlist_counts_only_seats_its_next_session_fills() {
    // No waitlist places beyond the seats the next session fills
    // (capacity 0). Outside a cohort's first week the next session admits
    // nobody, so every referral then is turned away; those taken are the
    // 2 who arrive in the week before a cohort starts (after the last
    // session before it) and are admitted at its first session, within 7
    // days. (Counting the empty group's 2 seats as places, the old rule
    // let 2 wait up to 4 weeks for the next cohort.)
    let toml = COHORTS.replace("{WARMUP}", "0").replace(
        "{FIRST}",
        "first_cohort = \"2027-01-11\"\nwaitlist = { capacity = 0 }",
    );
    let s = scenario(&toml);
    let r = trial(&s, 0);
    let iop = &r.units[0];
    // Cohorts start in weeks 1, 5, ..., 21: 6 cohorts of 2.
    assert_eq!(iop.all.admitted, 12);
    assert!(iop.all.turned_away > 400, "{:?}", iop.all);
    let longest = iop.waits().fold(0.0, f64::max);
    assert!(longest <= 7.0, "waited {longest} days");
    conserved(&r);
}

#[test]
fn seat_utilization_counts_the_groups_that_meet() {
    // Two groups of 2 seats; one patient in care all along, nobody
    // referred: at every session one group meets with 1 of its 2 seats
    // filled and the other, empty, does not meet. Utilization over the
    // sessions held is 1/2 (counting the empty group's seats it was 1/4).
    let toml = r#"
name = "held"
[simulation]
start_date = "2027-01-04"
weeks = 6
trials = 1
[[referrals]]
name = "none"
to = "iop"
per_week = 0
[[units]]
name = "iop"
kind = "sessions"
episode = { weeks = 52 }
[[units.tracks]]
name = "day"
days = ["mon", "wed"]
start = "10:00"
hours = 3
groups = 2
group_size = 2
[[initial.patients]]
unit = "iop"
week = 1
"#;
    let r = trial(&scenario(toml), 0);
    assert_eq!(r.units[0].seat_utilization, Some(0.5));
    assert!(r.units[0].weekly.seat_utilization.iter().all(|&u| u == 0.5));
}

#[test]
fn first_cohort_is_checked() {
    let bad = |first: &str, admission: &str| {
        let toml = COHORTS
            .replace("{WARMUP}", "0")
            .replace("{FIRST}", first)
            .replace("admission = \"cohort\"\ncohort_weeks = 4", admission);
        load_str(&toml, "test", &[]).unwrap_err().to_string()
    };
    let e = bad(
        "first_cohort = \"2027-02-30\"",
        "admission = \"cohort\"\ncohort_weeks = 4",
    );
    assert!(
        e.contains("units[0].first_cohort: '2027-02-30' is not a date; write YYYY-MM-DD"),
        "{e}"
    );
    let e = bad("first_cohort = \"2027-01-11\"", "admission = \"rolling\"");
    assert!(
        e.contains("units[0].first_cohort: first_cohort is only used with admission = \"cohort\""),
        "{e}"
    );
}

// ---- workload that follows the timetable, and billing per hour ------------

/// The default scenario with two roles of its own added, each doing only
/// the group sessions: `groups` with `hours = {GROUPS}` and `counter` with
/// one hour per group session held, so that its hours count the groups held.
fn with_group_roles(groups_hours: &str, sets: &[&str]) -> Scenario {
    let text = format!(
        "{DEFAULT_TOML}
[[staff]]
role = \"groups\"
fte = 1

[[staff]]
role = \"counter\"
fte = 1

[[workload]]
activity = \"group_session\"
role = \"groups\"
hours = {groups_hours}

[[workload]]
activity = \"group_session\"
role = \"counter\"
hours = 1
"
    );
    let sets: Vec<String> = ["simulation.trials=4"]
        .iter()
        .chain(sets)
        .map(|s| s.to_string())
        .collect();
    load_str(&text, "test", &sets).unwrap_or_else(|e| panic!("{e}"))
}

/// Timetable B: both tracks Monday to Friday, 1.8 h (9 client-hours a
/// week, as timetable A's Mon/Tue/Thu 3 h).
const FIVE_SHORT_DAYS: [&str; 4] = [
    "units.iop.tracks.morning.days=[\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]",
    "units.iop.tracks.evening.days=[\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]",
    "units.iop.tracks.morning.hours=1.8",
    "units.iop.tracks.evening.hours=1.8",
];

/// Per trial: (the `groups` role's hours per week, the groups held per week).
fn group_hours(s: &Scenario) -> Vec<(f64, f64)> {
    let role = |r: &TrialResult, name: &str| {
        let i = s.staff.iter().position(|st| st.role == name).unwrap();
        r.staff[i].hours_per_week
    };
    (0..4)
        .map(|t| {
            let r = trial(s, t);
            (role(&r, "groups"), role(&r, "counter"))
        })
        .collect()
}

#[test]
fn group_staff_hours_per_session_hour_do_not_depend_on_the_timetable() {
    let per_hour = "{ per_session_hour = 1, extra = 0 }";
    let a = group_hours(&with_group_roles(per_hour, &[]));
    let b = group_hours(&with_group_roles(per_hour, &FIVE_SHORT_DAYS));
    // Staff hours per group-hour held: 1 in both timetables.
    for ((ga, na), (gb, nb)) in a.iter().zip(&b) {
        assert!(*na > 5.0 && *nb > 9.0, "groups held a week: {na}, {nb}");
        let (per_a, per_b) = (ga / (na * 3.0), gb / (nb * 1.8));
        assert!((per_a - 1.0).abs() < 1e-12, "{per_a}");
        assert!((per_b - 1.0).abs() < 1e-12, "{per_b}");
        // And the same group-hours a week within the holidays' difference
        // (a Monday holiday takes 3 h off A, 1.8 h off B).
        assert!((ga - gb).abs() < 0.6, "A {ga} h, B {gb} h a week");
    }
    // A plain number of hours per session held: B's five short days cost
    // 5/3 of A's three long ones for the same client-hours.
    let a = group_hours(&with_group_roles("3.5", &[]));
    let b = group_hours(&with_group_roles("3.5", &FIVE_SHORT_DAYS));
    for ((ga, na), (gb, nb)) in a.iter().zip(&b) {
        let (per_a, per_b) = (ga / (na * 3.0), gb / (nb * 1.8));
        assert!((per_a - 3.5 / 3.0).abs() < 1e-12, "{per_a}");
        assert!((per_b - 3.5 / 1.8).abs() < 1e-12, "{per_b}");
        assert!(gb - ga > 10.0, "A {ga} h, B {gb} h a week");
    }
}

#[test]
fn a_plain_number_of_hours_is_the_table_without_a_per_session_hour_part() {
    let outputs = |hours: &str| {
        let sets = [
            "simulation.trials=20".to_string(),
            format!("workload.0.hours={hours}"),
            "workload.0.share=0.7".to_string(),
        ];
        let s = load_str(DEFAULT_TOML, "test", &sets).unwrap_or_else(|e| panic!("{e}"));
        let (r, rows) = run(&s, 2);
        (
            summary_csv(&r).unwrap(),
            weekly_csv(&r).unwrap(),
            rows,
            r.summary_of("staff.therapist.hours_per_week").unwrap().mean,
        )
    };
    let plain = outputs("3.5");
    let table = outputs("{ per_session_hour = 0, extra = 3.5 }");
    assert!(plain.3 > 30.0, "{}", plain.3);
    assert!(plain == table, "the two forms give different results");
    // A per-session-hour part does change them (3 h sessions: 3 x 1 + 0.5).
    let other = outputs("{ per_session_hour = 1, extra = 0.4 }");
    assert!(other.3 < plain.3, "{} {}", other.3, plain.3);
}

#[test]
fn per_patient_hours_step_down_by_phase_exactly() {
    // SATURATED with phases from week 3 of the 4-week stays: every seat is
    // always taken, each stay spends 2 weeks before the phase and 2 in it,
    // so over the 52 reported weeks (13 turnovers) the 12 seats give 312
    // patient-weeks before the phase and 312 in it. Individual sessions
    // weekly, then every 2 weeks: (312 + 312 / 2) / 52 = 9 h a week, with
    // the group's 3.5 h and the intakes' 4.5 h.
    let phased = SATURATED.replace(
        "attendance = 1.0",
        "attendance = 1.0\nphases = [{ from_week = 3, sessions_per_week = 1 }]",
    );
    let with = |by_phase: &str| {
        scenario(&phased.replace(
            "activity = \"individual\"\nrole = \"therapist\"\nhours = 1.0",
            &format!("activity = \"individual\"\nrole = \"therapist\"\nhours = 1.0\n{by_phase}"),
        ))
    };
    let stepped = with("every_weeks_by_phase = [1, 2]");
    let flat = with("every_weeks_by_phase = [1, 1]");
    for t in 0..3 {
        let r = trial(&stepped, t);
        assert_eq!(r.units[0].census, 12.0);
        let h = r.staff[0].hours_per_week;
        assert!((h - (3.5 + 9.0 + 4.5)).abs() < 1e-9, "{h}");
        // The same every_weeks in every phase is every_weeks.
        let h = trial(&flat, t).staff[0].hours_per_week;
        assert!((h - (3.5 + 12.0 + 4.5)).abs() < 1e-9, "{h}");
    }
}

/// No referrals, no warm-up: six patients in care on start_date, in weeks
/// 1 (two), 2 (one) and 3 (three) of 4-week stays, with a phase from week
/// 3 in which they attend Mondays only. Three weeks reported: the week-3
/// patients leave at the start of week 2, the others are in care at the
/// horizon. `{PAYERS}` is the finance section's payer list.
const IN_CARE: &str = r#"
name = "in-care"
[simulation]
start_date = "2027-01-04"
weeks = 3
trials = 1
[calendar]
us_federal_holidays = false
[[referrals]]
name = "none"
to = "iop"
per_week = 0
[[units]]
name = "iop"
kind = "sessions"
episode = { weeks = 4 }
attendance = 1.0
phases = [{ from_week = 3, sessions_per_week = 1 }]
[[units.tracks]]
name = "day"
days = ["mon", "wed"]
start = "10:00"
hours = 2.5
group_size = 8
[[staff]]
role = "therapist"
fte = 1
[[staff]]
role = "groups"
fte = 1
[[workload]]
activity = "individual"
role = "therapist"
hours = 1
every_weeks_by_phase = [1, 2]
[[workload]]
activity = "group_session"
role = "groups"
hours = { per_session_hour = 1, extra = 0.25 }
[finance]
payers = {PAYERS}
[initial]
patients = [
  { unit = "iop", week = 1, count = 2 },
  { unit = "iop", week = 2, count = 1 },
  { unit = "iop", week = 3, count = 3 },
]
"#;

#[test]
fn phases_of_the_initial_state_and_of_stays_open_at_the_horizon_are_counted() {
    let s = scenario(&IN_CARE.replace("{PAYERS}", "[{ name = \"a\", share = 1, per_day = 1 }]"));
    let r = trial(&s, 0);
    // Census by week: 6, 6, 3.
    assert_eq!(r.units[0].weekly.census, vec![6.0, 6.0, 3.0]);
    // Before the phase / in it, by week: week 0: 3 / 3 (the week-3
    // patients), week 1: 2 / 4, week 2: 0 / 3. Individual hours: 1 per
    // patient-week before the phase, 1/2 in it.
    let hours = &r.staff[0].weekly_hours;
    let want = [3.0 + 1.5, 2.0 + 2.0, 1.5];
    for (h, w) in hours.iter().zip(want) {
        assert!((h - w).abs() < 1e-12, "{hours:?}");
    }
    // Two groups held a week (Monday and Wednesday), 2.5 h + 0.25 h each.
    for h in &r.staff[1].weekly_hours {
        assert!((h - 2.0 * 2.75).abs() < 1e-12, "{h}");
    }
    // The individual sessions by phase are billed as such: 4.5 + 4 + 1.5
    // = 10 sessions over the 3 weeks, at 10 each.
    let fee = IN_CARE
        .replace("{PAYERS}", "[{ name = \"a\", share = 1, per_day = 0 }]")
        .replace("[initial]", "individual_fee = 10\n[initial]");
    let f = trial(&scenario(&fee), 0).finance.expect("finance");
    assert!(
        (f.revenue_per_week - 100.0 / 3.0).abs() < 1e-9,
        "{}",
        f.revenue_per_week
    );
}

#[test]
fn billing_per_hour_bills_attended_session_hours() {
    // Attended sessions: the two week-1 patients Mon+Wed, Mon+Wed, Mon (5
    // each), the week-2 patient 2, 1, 1 (4), the three week-3 patients 1, 1
    // (2 each): 20 session-days, 50 session-hours over the 3 weeks. Half
    // the clients bill 40 an hour, half 100 a day: 20 x 50 + 50 x 20 = 2,000.
    // Empty seats (8 a group): 2 + 2, 2 + 2, 5 + 5 = 18 seat-sessions, 45
    // seat-hours: 18 x 50 + 45 x 20 = 1,800 not billed.
    let payers = "[{ name = \"hourly\", share = 0.5, per_hour = 40 }, \
                  { name = \"daily\", share = 0.5, per_day = 100 }]";
    let s = scenario(&IN_CARE.replace("{PAYERS}", payers));
    let f = trial(&s, 0).finance.expect("finance");
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9 * b.abs().max(1.0);
    assert!(
        close(f.revenue_per_week, 2000.0 / 3.0),
        "{}",
        f.revenue_per_week
    );
    assert!(
        close(f.lost_revenue_empty_seats_per_week, 1800.0 / 3.0),
        "{}",
        f.lost_revenue_empty_seats_per_week
    );
    // All per hour: 50 h x 80 = 4,000; per day: 20 x 80 = 1,600.
    let only = |rate: &str| {
        let payers = format!("[{{ name = \"a\", share = 1, {rate} = 80 }}]");
        trial(&scenario(&IN_CARE.replace("{PAYERS}", &payers)), 0)
            .finance
            .expect("finance")
            .revenue_per_week
    };
    assert!(
        close(only("per_hour"), 4000.0 / 3.0),
        "{}",
        only("per_hour")
    );
    assert!(close(only("per_day"), 1600.0 / 3.0), "{}", only("per_day"));
}

#[test]
fn track_scoped_hours_add_up_to_the_unit() {
    let text = format!(
        "{DEFAULT_TOML}
[[staff]]
role = \"morning\"
fte = 1

[[staff]]
role = \"evening\"
fte = 1

[[staff]]
role = \"both\"
fte = 1

[[workload]]
activity = \"family\"
role = \"morning\"
hours = 1
track = \"morning\"

[[workload]]
activity = \"family\"
role = \"evening\"
hours = 1
track = \"evening\"
unit = \"iop\"

[[workload]]
activity = \"family\"
role = \"both\"
hours = 1
"
    );
    let s = load_str(&text, "test", &["simulation.trials=3".to_string()])
        .unwrap_or_else(|e| panic!("{e}"));
    for t in 0..3 {
        let r = trial(&s, t);
        let (m, e, both) = (&r.staff[2], &r.staff[3], &r.staff[4]);
        let (track_m, track_e) = (&r.units[0].tracks[0], &r.units[0].tracks[1]);
        assert!((m.hours_per_week - track_m.census).abs() < 1e-9);
        assert!((e.hours_per_week - track_e.census).abs() < 1e-9);
        assert!(m.hours_per_week > 1.0 && e.hours_per_week > 1.0);
        assert!((m.hours_per_week + e.hours_per_week - both.hours_per_week).abs() < 1e-9);
        for w in 0..52 {
            let sum = m.weekly_hours[w] + e.weekly_hours[w];
            assert!((sum - both.weekly_hours[w]).abs() < 1e-9, "week {w}");
        }
    }
}

#[test]
fn hours_by_phase_add_up_to_the_census_in_the_default() {
    // The same every_weeks in both of the default's phases is every_weeks:
    // the census by phase adds up to the census, week by week.
    let text = |by_phase: &str| {
        let sets = [
            "simulation.trials=3".to_string(),
            format!("workload.1.every_weeks_by_phase={by_phase}"),
        ];
        load_str(DEFAULT_TOML, "test", &sets).unwrap_or_else(|e| panic!("{e}"))
    };
    let flat = text("[1, 1]");
    let stepped = text("[1, 4]");
    let plain = load_str(DEFAULT_TOML, "test", &[]).unwrap();
    for t in 0..3 {
        let (a, b, c) = (trial(&flat, t), trial(&plain, t), trial(&stepped, t));
        for w in 0..52 {
            let (x, y) = (a.staff[0].weekly_hours[w], b.staff[0].weekly_hours[w]);
            assert!((x - y).abs() < 1e-9, "week {w}: {x} {y}");
        }
        // Individual sessions monthly from week 9: fewer hours.
        assert!(c.staff[0].hours_per_week < b.staff[0].hours_per_week - 1.0);
    }
}
