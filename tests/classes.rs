//! Patient classes and track choice (issue 19): one class with nothing of
//! its own changes no result; each key a class sets moves what it should,
//! by the amount it should; a patient who accepts another track takes its
//! free seat.

use iopsim::model::clinic::run_trial_logged;
use iopsim::model::log::MemoryLog;
use iopsim::model::result::{summary_names, TrialResult};
use iopsim::model::{run_trial, Program};
use iopsim::report::csv::summary_csv;
use iopsim::scenario::{load_str, Scenario, DEFAULT_TOML};
use iopsim::trials::{self, RunOptions, RunResults};

fn load(toml: &str, sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    load_str(toml, "test", &sets).unwrap_or_else(|e| panic!("{e}"))
}

fn problems(toml: &str, sets: &[&str]) -> String {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    match load_str(toml, "test", &sets) {
        Ok(_) => panic!("expected problems"),
        Err(e) => e.to_string(),
    }
}

fn run(s: &Scenario) -> RunResults {
    trials::run(
        s,
        &RunOptions { threads: 2 },
        &mut |_, _| Ok(()),
        &mut |_| {},
    )
    .unwrap()
}

/// The mean of metric `name` over the trials of `r`.
fn mean(r: &RunResults, name: &str) -> f64 {
    let csv = String::from_utf8(summary_csv(r).unwrap()).unwrap();
    let line = csv
        .lines()
        .find(|l| l.split(',').next() == Some(name))
        .unwrap_or_else(|| panic!("no metric {name}"));
    line.split(',').nth(1).unwrap().parse().unwrap()
}

/// The default scenario with the classes of `classes` (TOML) appended.
fn default_with(classes: &str) -> String {
    format!("{DEFAULT_TOML}\n{classes}\n")
}

#[test]
fn one_class_with_nothing_of_its_own_changes_no_result() {
    let base = load(DEFAULT_TOML, &["simulation.trials=60"]);
    let text = default_with("[[classes]]\nname = \"everyone\"\n");
    let classed = load(
        &text,
        &[
            "simulation.trials=60",
            "referrals.0.class=\"everyone\"",
            "referrals.1.class=\"everyone\"",
            "referrals.2.classes={ everyone = 1.0 }",
        ],
    );
    let (a, b) = (run(&base), run(&classed));
    let sa = String::from_utf8(summary_csv(&a).unwrap()).unwrap();
    let sb = String::from_utf8(summary_csv(&b).unwrap()).unwrap();
    let kept: Vec<&str> = sb.lines().filter(|l| !l.starts_with("class.")).collect();
    assert_eq!(sa.lines().collect::<Vec<_>>(), kept);
    // The class's figures are the unit's, all its patients being of it.
    assert_eq!(
        mean(&b, "class.everyone.admitted"),
        mean(&a, "iop.admissions")
    );
    assert_eq!(mean(&b, "class.everyone.census"), mean(&a, "iop.census"));
    assert_eq!(
        mean(&b, "class.everyone.completed"),
        mean(&a, "iop.completed")
    );
    assert_eq!(
        mean(&b, "class.everyone.wait_days"),
        mean(&a, "iop.wait_days")
    );
    assert_eq!(
        mean(&b, "class.everyone.referrals"),
        mean(&a, "iop.referrals")
    );
}

#[test]
fn class_figures_add_up_to_the_unit_s() {
    let text = default_with(
        r#"
[[classes]]
name = "stepdown"
dropout_weekly = [0.12, 0.1, 0.06]
[[classes]]
name = "community"
show = 0.5
"#,
    );
    let s = load(
        &text,
        &[
            "simulation.trials=1",
            "referrals.0.class=\"stepdown\"",
            "referrals.1.class=\"stepdown\"",
            "referrals.2.classes={ community = 0.7, stepdown = 0.3 }",
        ],
    );
    let p = Program::new(&s);
    for t in 0..20 {
        let r: TrialResult = run_trial(&p, 7, t);
        let u = &r.units[0];
        let (a, b) = (&r.classes[0].counts, &r.classes[1].counts);
        assert_eq!(a.referrals + b.referrals, u.counts.referrals);
        assert_eq!(a.admitted + b.admitted, u.counts.admitted);
        assert_eq!(a.no_shows + b.no_shows, u.counts.no_shows);
        assert_eq!(a.reneged + b.reneged, u.counts.reneged);
        assert_eq!(a.completed + b.completed, u.counts.completed);
        assert_eq!(a.dropped_out + b.dropped_out, u.counts.dropped_out);
        let census = r.classes[0].census + r.classes[1].census;
        assert!((census - u.census).abs() < 1e-9, "{census} vs {}", u.census);
    }
}

#[test]
fn a_class_s_show_rate_shares_and_dropout_move_its_figures() {
    let text = default_with(
        r#"
[[classes]]
name = "a"
show = 0.5
[[classes]]
name = "b"
show = 1.0
dropout_weekly = [0.3]
"#,
    );
    let s = load(
        &text,
        &[
            "simulation.trials=200",
            "referrals.0.classes={ a = 0.25, b = 0.75 }",
            "referrals.1.class=\"a\"",
            "referrals.2.class=\"a\"",
        ],
    );
    let r = run(&s);
    // Class a: every referral shows with probability 0.5.
    let (ra, na) = (mean(&r, "class.a.referrals"), mean(&r, "class.a.no_shows"));
    assert!((na / ra - 0.5).abs() < 0.01, "{na} of {ra}");
    assert_eq!(mean(&r, "class.b.no_shows"), 0.0);
    // Stream 0 (0.9 a week over 52 weeks) sends b three quarters.
    let rb = mean(&r, "class.b.referrals");
    assert!((rb - 0.75 * 0.9 * 52.0).abs() < 0.03 * rb, "{rb}");
    // A weekly dropout hazard of 0.3 over a 12-week episode: about
    // 1 - 0.7^12 = 98.6% of b's leavers drop out (a few step up).
    let (d, c) = (
        mean(&r, "class.b.dropped_out"),
        mean(&r, "class.b.completed"),
    );
    assert!(c / (c + d) < 0.03, "{c} completed, {d} dropped out");
    assert!(mean(&r, "class.a.completed") > mean(&r, "class.a.dropped_out"));
}

#[test]
fn a_class_with_priority_is_seen_first_on_a_saturated_unit() {
    let text = default_with(
        r#"
[[classes]]
name = "urgent"
priority = 0
[[classes]]
name = "routine"
priority = 5
"#,
    );
    let s = load(
        &text,
        &[
            "simulation.trials=100",
            "referrals.0.class=\"routine\"",
            "referrals.1.class=\"routine\"",
            "referrals.2.classes={ urgent = 0.3, routine = 0.7 }",
            "referrals.2.per_week=3",
        ],
    );
    let r = run(&s);
    let (u, o) = (
        mean(&r, "class.urgent.wait_days"),
        mean(&r, "class.routine.wait_days"),
    );
    assert!(u < 0.5 * o, "urgent waits {u} days, routine {o}");
}

#[test]
fn a_class_s_episode_and_patience_apply_where_it_is_treated() {
    let text = default_with(
        r#"
[[classes]]
name = "short"
episode = { weeks = 6 }
patience = { dist = "fixed", value = 0.5 }
[[classes]]
name = "long"
"#,
    );
    let s = load(
        &text,
        &[
            "simulation.trials=100",
            "referrals.0.class=\"short\"",
            "referrals.1.class=\"long\"",
            "referrals.2.classes={ short = 0.5, long = 0.5 }",
        ],
    );
    let r = run(&s);
    // Nobody waits more than half a day: the short class's P90 wait.
    assert!(mean(&r, "class.short.wait_days_p90") <= 0.5 + 1e-9);
    assert!(mean(&r, "class.short.reneged") > 0.0);
    // Six-week episodes: their completers' census per admission is about
    // half the long class's.
    let per =
        |c: &str| mean(&r, &format!("class.{c}.census")) / mean(&r, &format!("class.{c}.admitted"));
    let ratio = per("short") / per("long");
    assert!((0.4..0.65).contains(&ratio), "{ratio}");
}

#[test]
fn attendance_drawn_per_patient_keeps_its_mean_and_clusters_absences() {
    // Between-patient spread of the share of sessions attended, among
    // patients scheduled for at least 24 sessions, from the patient log.
    fn spread(s: &Scenario) -> (f64, f64) {
        let p = Program::new(s);
        let mut rates = Vec::new();
        for t in 0..6 {
            let (_, log) = run_trial_logged(&p, 3, t, MemoryLog::default());
            rates.extend(
                log.visits
                    .iter()
                    .filter(|v| v.sessions_scheduled >= 24)
                    .map(|v| f64::from(v.sessions_attended) / f64::from(v.sessions_scheduled)),
            );
        }
        let n = rates.len() as f64;
        let m = rates.iter().sum::<f64>() / n;
        let var = rates.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
        (m, var.sqrt())
    }
    let sets = [
        "units.iop.dropout_weekly=[0.0]",
        "units.iop.stepup_weekly=0",
        "units.iop.discharge_after_absences=0",
        "units.iop.attendance=0.75",
    ];
    let alike = load(DEFAULT_TOML, &sets);
    let mut spread_sets = sets.to_vec();
    spread_sets.push("units.iop.attendance_sd=0.2");
    let differ = load(DEFAULT_TOML, &spread_sets);
    let (m0, sd0) = spread(&alike);
    let (m1, sd1) = spread(&differ);
    // Binomial alone: sd = sqrt(0.75 x 0.25 / n) <= 0.09 for n >= 24.
    assert!((m0 - 0.75).abs() < 0.02 && sd0 < 0.1, "{m0} {sd0}");
    // Rates drawn from a beta of sd 0.2, then the sessions' own luck.
    assert!((m1 - 0.75).abs() < 0.03 && sd1 > 0.18, "{m1} {sd1}");
}

/// Two tracks of one seat each on Mondays, morning and evening; the
/// evening seat is taken (by a patient in care), and one patient waits for
/// the evening track from day 0 (a Monday), before the morning session.
fn one_free_morning_seat(choice: &str) -> Scenario {
    let text = format!(
        r#"
name = "choice"
[simulation]
start_date = "2027-01-04"
weeks = 4
warmup_weeks = 0
trials = 1
[[referrals]]
name = "none"
to = "iop"
per_week = 0
[[units]]
name = "iop"
kind = "sessions"
episode = {{ weeks = 12 }}
{choice}
[[units.tracks]]
name = "morning"
days = ["mon"]
start = "10:00"
hours = 3
group_size = 1
share = 0.5
[[units.tracks]]
name = "evening"
days = ["mon"]
start = "18:00"
hours = 3
group_size = 1
share = 0.5
[[initial.patients]]
unit = "iop"
track = "evening"
week = 1
[[initial.patients]]
unit = "iop"
status = "waiting"
track = "evening"
days_waited = 0
"#
    );
    load(&text, &[])
}

#[test]
fn a_first_available_patient_takes_the_free_morning_seat() {
    let p = |s: &Scenario| run_trial(&Program::new(s), 1, 0);
    let r = p(&one_free_morning_seat(""));
    let u = &r.units[0];
    assert_eq!(u.counts.admitted, 0, "waits for the evening");
    assert_eq!(u.tracks[0].admissions, 0);

    let r = p(&one_free_morning_seat("track_choice = \"first_available\""));
    let u = &r.units[0];
    assert_eq!(u.counts.admitted, 1);
    assert_eq!((u.tracks[0].admissions, u.tracks[1].admissions), (1, 0));
    // Admitted at the first Monday's 10:00 session.
    assert!((u.wait_days - 10.0 / 24.0).abs() < 1e-9, "{}", u.wait_days);

    // Accepting the morning after 3 days: the next Monday's morning.
    let r = p(&one_free_morning_seat(
        "track_choice = { accept_others_after_days = 3 }",
    ));
    let u = &r.units[0];
    assert_eq!((u.tracks[0].admissions, u.tracks[1].admissions), (1, 0));
    assert!(
        (u.wait_days - (7.0 + 10.0 / 24.0)).abs() < 1e-9,
        "{}",
        u.wait_days
    );
}

#[test]
fn a_track_a_patient_gives_no_share_is_never_taken() {
    let text = format!(
        "{}\n[[classes]]\nname = \"evenings-only\"\ntracks = {{ evening = 1.0 }}\ntrack_choice = \"first_available\"\n",
        DEFAULT_TOML
    );
    let s = load(
        &text,
        &[
            "simulation.trials=40",
            "referrals.0.class=\"evenings-only\"",
            "referrals.1.class=\"evenings-only\"",
            "referrals.2.class=\"evenings-only\"",
        ],
    );
    let r = run(&s);
    assert_eq!(mean(&r, "iop.morning.admissions"), 0.0);
    assert!(mean(&r, "iop.evening.admissions") > 50.0);
}

#[test]
fn first_available_cuts_the_wait_of_a_lopsided_preference() {
    let sets = |choice: &'static str| {
        vec![
            "simulation.trials=100",
            "units.iop.tracks.morning.share=0.1",
            "units.iop.tracks.evening.share=0.9",
            choice,
        ]
    };
    let wait = |choice| {
        let r = run(&load(DEFAULT_TOML, &sets(choice)));
        (
            mean(&r, "iop.wait_days"),
            mean(&r, "iop.morning.seat_utilization"),
        )
    };
    let (w0, u0) = wait("units.iop.track_choice=\"preferred\"");
    let (w1, u1) = wait("units.iop.track_choice=\"first_available\"");
    assert!(w1 < 0.5 * w0, "wait {w0} -> {w1}");
    assert!(u1 > 2.0 * u0, "morning seats used {u0} -> {u1}");
}

#[test]
fn bad_classes_are_reported_with_their_keys() {
    let text = default_with(
        r#"
[[classes]]
name = "a"
attendance = 0.9
attendance_sd = 0.4
tracks = { morning = 0.5, afternoon = 0.2 }
track_choice = "whenever"
[[classes]]
name = "b"
track_choice = { accept_others_after = 3 }
"#,
    );
    let e = problems(
        &text,
        &[
            "referrals.0.classes={ a = 0.5, b = 0.4 }",
            "referrals.1.class=\"c\"",
            "referrals.2.class=\"a\"",
            "referrals.2.classes={ a = 1.0 }",
        ],
    );
    for want in [
        "referrals[0].classes: class shares sum to 0.9; they must sum to 1",
        "referrals[1].class: no class named 'c'; classes are: a, b",
        "referrals[2].classes: give class (one class) or classes (shares of several), not both",
        "classes[0].attendance_sd: an attendance sd of 0.4 is too wide for a mean of 0.9",
        "classes[0].tracks.afternoon: unit 'iop' has no track 'afternoon'; its tracks are: morning, evening",
        "classes[0].tracks: track shares sum to 0.7; they must sum to 1",
        "classes[0].track_choice: 'whenever' is not a track choice; allowed: \"preferred\", \"first_available\" or { accept_others_after_days = N }",
        "classes[1].track_choice.accept_others_after: unknown key; allowed: accept_others_after_days",
        "classes[1].track_choice.accept_others_after_days: missing",
    ] {
        assert!(e.contains(want), "missing {want:?} in:\n{e}");
    }
}

#[test]
fn unit_keys_of_classes_are_checked_where_they_apply() {
    let e = problems(
        DEFAULT_TOML,
        &[
            "units.iop.track_choice=\"first_available\"",
            "units.iop.admission=\"continuous\"",
            "units.iop.attendance_sd=0.6",
        ],
    );
    assert!(
        e.contains("units[0].track_choice: with admission = \"continuous\""),
        "{e}"
    );
    assert!(
        e.contains("units[0].attendance_sd: an attendance sd of 0.6"),
        "{e}"
    );
    // The class metric names must not clash with another result's.
    let text = default_with("[[classes]]\nname = \"x\"\n");
    let s = load(&text, &[]);
    let names = summary_names(&s);
    assert!(names.iter().any(|n| n == "class.x.wait_days_p90"));
}

mod generated {
    //! Invariants over generated class mixes on the default program:
    //! nobody appears or vanishes, the classes add up to the unit, no
    //! attendance off the timetable, no level out of bounds.

    use super::*;
    use iopsim::model::clinic::run_trial_audited;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    struct ClassGen {
        show: Option<f64>,
        priority: Option<u8>,
        attendance: Option<f64>,
        attendance_sd: f64,
        dropout: Option<Vec<f64>>,
        episode_weeks: Option<u32>,
        morning: Option<f64>,
        choice: u8,
        after_days: u32,
        patience: Option<f64>,
    }

    fn class_gen() -> impl Strategy<Value = ClassGen> {
        (
            prop::option::of(0.0..=1.0f64),
            prop::option::of(0u8..4),
            prop::option::of(0.05..0.95f64),
            prop_oneof![Just(0.0), 0.0..0.2f64],
            prop::option::of(prop::collection::vec(0.0..0.4f64, 1..4)),
            prop::option::of(1u32..16),
            prop::option::of(prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64]),
            0u8..3,
            0u32..30,
            prop::option::of(0.0..40.0f64),
        )
            .prop_map(
                |(
                    show,
                    priority,
                    attendance,
                    attendance_sd,
                    dropout,
                    episode_weeks,
                    morning,
                    choice,
                    after_days,
                    patience,
                )| ClassGen {
                    show,
                    priority,
                    attendance,
                    attendance_sd,
                    dropout,
                    episode_weeks,
                    morning,
                    choice,
                    after_days,
                    patience,
                },
            )
    }

    impl ClassGen {
        fn toml(&self, i: usize) -> String {
            let mut t = format!("[[classes]]\nname = \"c{i}\"\n");
            if let Some(x) = self.show {
                t += &format!("show = {x:?}\n");
            }
            if let Some(x) = self.priority {
                t += &format!("priority = {x}\n");
            }
            if let Some(x) = self.attendance {
                t += &format!("attendance = {x:?}\n");
                // Within the beta's bound for this mean.
                let sd = self.attendance_sd.min(0.9 * (x * (1.0 - x)).sqrt());
                t += &format!("attendance_sd = {sd:?}\n");
            }
            if let Some(d) = &self.dropout {
                t += &format!("dropout_weekly = {d:?}\n");
            }
            if let Some(w) = self.episode_weeks {
                t += &format!("episode = {{ weeks = {w} }}\n");
            }
            if let Some(m) = self.morning {
                t += &format!("tracks = {{ morning = {m:?}, evening = {:?} }}\n", 1.0 - m);
            }
            t += match self.choice {
                0 => String::new(),
                1 => "track_choice = \"first_available\"\n".to_string(),
                _ => format!(
                    "track_choice = {{ accept_others_after_days = {} }}\n",
                    self.after_days
                ),
            }
            .as_str();
            if let Some(p) = self.patience {
                t += &format!(
                    "patience = {{ dist = \"exponential\", mean = {:?} }}\n",
                    p + 0.1
                );
            }
            t
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn class_mixes_keep_the_invariants(
            classes in prop::collection::vec(class_gen(), 1..4),
            mix in prop::collection::vec(0.0..1.0f64, 3),
            cohort in any::<bool>(),
            unit_choice in 0u8..3,
            seed in 0u64..1000,
        ) {
            let mut text = format!("{DEFAULT_TOML}\n");
            for (i, c) in classes.iter().enumerate() {
                text += &c.toml(i);
            }
            let n = classes.len();
            // Stream k: all of class k % n, or a mix over every class.
            let mut sets = vec![
                "simulation.trials=2".to_string(),
                "simulation.weeks=26".to_string(),
                "simulation.warmup_weeks=8".to_string(),
            ];
            for (k, &m) in mix.iter().enumerate() {
                if m < 0.5 {
                    sets.push(format!("referrals.{k}.class=\"c{}\"", k % n));
                } else {
                    let w: Vec<f64> = (0..n).map(|j| ((j + 1) as f64 * m).fract() + 0.1).collect();
                    let sum: f64 = w.iter().sum();
                    let mut shares: Vec<String> = w
                        .iter()
                        .enumerate()
                        .map(|(j, x)| format!("c{j} = {:?}", x / sum))
                        .collect();
                    // The last share takes the rounding.
                    let rest = 1.0 - w[..n - 1].iter().map(|x| x / sum).sum::<f64>();
                    shares[n - 1] = format!("c{} = {:?}", n - 1, rest);
                    sets.push(format!("referrals.{k}.classes={{ {} }}", shares.join(", ")));
                }
            }
            if cohort {
                sets.push("units.iop.admission=\"cohort\"".into());
                sets.push("units.iop.cohort_weeks=4".into());
            }
            sets.push(match unit_choice {
                0 => "units.iop.track_choice=\"preferred\"".into(),
                1 => "units.iop.track_choice=\"first_available\"".into(),
                _ => "units.iop.track_choice={ accept_others_after_days = 5 }".into(),
            });
            let refs: Vec<&str> = sets.iter().map(String::as_str).collect();
            let s = load(&text, &refs);
            let p = Program::new(&s);
            for t in 0..2 {
                let (r, a) = run_trial_audited(&p, seed, t);
                prop_assert_eq!(a.misplaced_attendances, 0);
                prop_assert_eq!(a.negative_waits, 0);
                prop_assert!(a.peak_census[0] <= p.units[0].seats as i64);
                prop_assert!(a.lowest_level[0] >= 0);
                let u = &r.units[0];
                let c = &u.all;
                prop_assert_eq!(
                    c.referrals,
                    c.no_shows + c.turned_away + c.reneged + c.admitted + u.waiting_at_end
                );
                prop_assert_eq!(
                    c.admitted,
                    u.in_care_at_end + c.completed + c.dropped_out + c.admin_discharged + c.stepped_up
                );
                let rep = &u.counts;
                let sum = |f: fn(&iopsim::model::result::UnitCounts) -> u64| {
                    r.classes.iter().map(|k| f(&k.counts)).sum::<u64>()
                };
                prop_assert_eq!(sum(|k| k.referrals), rep.referrals);
                prop_assert_eq!(sum(|k| k.no_shows), rep.no_shows);
                prop_assert_eq!(sum(|k| k.reneged), rep.reneged);
                prop_assert_eq!(sum(|k| k.admitted), rep.admitted);
                prop_assert_eq!(sum(|k| k.completed), rep.completed);
                prop_assert_eq!(sum(|k| k.dropped_out), rep.dropped_out);
                prop_assert_eq!(sum(|k| k.stepped_up), rep.stepped_up);
                prop_assert_eq!(sum(|k| k.admin_discharged), rep.admin_discharged);
                let census: f64 = r.classes.iter().map(|k| k.census).sum();
                prop_assert!((census - u.census).abs() < 1e-6, "{} vs {}", census, u.census);
                let tracks: u64 = u.tracks.iter().map(|t| t.admissions).sum();
                prop_assert_eq!(tracks, rep.admitted);
            }
        }
    }
}

#[test]
fn the_report_has_a_table_by_class_and_says_when_patients_change_track() {
    let text = default_with(
        "[[classes]]\nname = \"working\"\ntracks = { evening = 0.9, morning = 0.1 }\ntrack_choice = \"first_available\"\n[[classes]]\nname = \"others\"\n",
    );
    let s = load(
        &text,
        &[
            "simulation.trials=20",
            "referrals.0.class=\"others\"",
            "referrals.1.class=\"others\"",
            "referrals.2.classes={ working = 0.5, others = 0.5 }",
        ],
    );
    assert!(Program::new(&s).units[0].flexible);
    assert!(iopsim::model::program::takes_other_tracks(&s, 0));
    let r = run(&s);
    assert_eq!(r.track_choice_units, ["iop"]);
    let html = iopsim::report::html::render(&r, &[]);
    let table = &html[html
        .find("<h3>Patient classes</h3>")
        .expect("a class table")..];
    let table = &table[..table.find("</table>").unwrap()];
    for c in ["<td>working</td>", "<td>others</td>"] {
        assert!(table.contains(c), "{c} in {table}");
    }
    assert!(html.contains("takes a free seat in another track"));
    // Without track choice the report says patients keep their track.
    let plain = run(&load(DEFAULT_TOML, &["simulation.trials=5"]));
    assert!(plain.track_choice_units.is_empty());
    let html = iopsim::report::html::render(&plain, &[]);
    assert!(!html.contains("Patient classes"));
    assert!(html.contains("Each patient waits for the track they chose and stays in it."));
    // A class that keeps its own track in a unit where the others change.
    let text = default_with("[[classes]]\nname = \"fixed\"\ntrack_choice = \"preferred\"\n");
    let s = load(&text, &["units.iop.track_choice=\"first_available\""]);
    assert!(Program::new(&s).units[0].flexible);
    assert!(iopsim::model::program::takes_other_tracks(&s, 0));
    let s = load(&text, &[]);
    assert!(!Program::new(&s).units[0].flexible);
    assert!(!iopsim::model::program::takes_other_tracks(&s, 0));
}

#[test]
fn check_estimates_the_load_of_each_class_with_its_own_rules() {
    use iopsim::model::capacity::estimate;
    let text = default_with(
        "[[classes]]\nname = \"short\"\nepisode = { weeks = 6 }\ndropout_weekly = [0.05]\nshow = 0.9\n",
    );
    let classed = load(
        &text,
        &[
            "referrals.0.class=\"short\"",
            "referrals.1.class=\"short\"",
            "referrals.2.class=\"short\"",
        ],
    );
    // The same program with the class's rules as the unit's own.
    let plain = load(
        DEFAULT_TOML,
        &[
            "units.iop.episode={ weeks = 6 }",
            "units.iop.dropout_weekly=[0.05]",
            "referrals.0.show=0.9",
            "referrals.1.show=0.9",
            "referrals.2.show=0.9",
        ],
    );
    let (a, b) = (&estimate(&classed)[0], &estimate(&plain)[0]);
    for (x, y) in [
        (a.arrivals_per_week, b.arrivals_per_week),
        (a.mean_stay_days, b.mean_stay_days),
        (a.offered_load, b.offered_load),
    ] {
        assert!((x - y).abs() < 1e-9 * y.abs().max(1.0), "{x} vs {y}");
    }
    let base = &estimate(&load(DEFAULT_TOML, &[]))[0];
    assert!(a.mean_stay_days < 0.7 * base.mean_stay_days);
}

#[test]
fn a_relapse_refers_its_patients_again_as_the_class_it_names() {
    let text = default_with(
        "[[classes]]\nname = \"first\"\n[[classes]]\nname = \"relapsed\"\ndropout_weekly = [0.2]\npriority = 0\n",
    );
    let s = load(
        &text,
        &[
            "simulation.trials=1",
            "referrals.0.class=\"first\"",
            "referrals.1.class=\"first\"",
            "referrals.2.class=\"first\"",
            "units.iop.relapse={ share = 0.5, after = { dist = \"fixed\", value = 20 }, class = \"relapsed\" }",
        ],
    );
    let p = Program::new(&s);
    let mut relapses = 0;
    for t in 0..10 {
        let r = run_trial(&p, 5, t);
        let u = &r.units[0];
        let relapsed = &r.classes[1].counts;
        // Every relapse referral is of the class it names, and only they are.
        assert_eq!(Some(relapsed.referrals), u.relapse_referrals, "trial {t}");
        assert_eq!(
            r.classes[0].counts.referrals + relapsed.referrals,
            u.counts.referrals
        );
        relapses += relapsed.referrals;
    }
    assert!(relapses > 100, "{relapses}");
    let e = problems(&text, &["units.iop.relapse={ share = 0.5, after = { dist = \"fixed\", value = 20 }, class = \"second\" }"]);
    assert!(
        e.contains("units[0].relapse.class: no class named 'second'; classes are: first, relapsed"),
        "{e}"
    );
}

#[test]
fn the_patient_log_names_each_visit_s_class() {
    use assert_cmd::Command;
    let text = default_with("[[classes]]\nname = \"a\"\n[[classes]]\nname = \"b\"\n");
    let sets = [
        "simulation.trials=3",
        "simulation.warmup_weeks=0",
        "referrals.0.class=\"a\"",
        "referrals.1.class=\"b\"",
        "referrals.2.classes={ a = 0.5, b = 0.5 }",
    ];
    let s = load(&text, &sets);
    let p = Program::new(&s);
    for t in 0..3 {
        let (r, log) = run_trial_logged(&p, s.simulation.seed, t, MemoryLog::default());
        for (c, class) in r.classes.iter().enumerate() {
            let tag = (c + 1) as u16;
            let admitted = log
                .visits
                .iter()
                .filter(|v| v.class == tag && v.admitted.is_some())
                .count() as u64;
            assert_eq!(admitted, class.counts.admitted, "trial {t}, class {c}");
        }
        assert!(log.visits.iter().all(|v| v.class != 0));
    }
    // patients.csv gains a class column only when the scenario has classes.
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("classes.toml");
    std::fs::write(&file, &text).unwrap();
    let mut cmd = Command::cargo_bin("iopsim").unwrap();
    cmd.args([
        "run",
        "--quiet",
        "--no-plots",
        "--log",
        "--log-trials",
        "1",
        "--out",
    ])
    .arg(tmp.path().join("out"));
    for set in sets {
        cmd.args(["--set", set]);
    }
    cmd.arg(&file).assert().success();
    // A what-if (`--set`) writes a folder of its own.
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let dir = tmp
        .path()
        .join("out")
        .join(iopsim::report::output::results_folder(
            "midsize-adult-iop",
            &sets,
        ));
    let csv = std::fs::read_to_string(dir.join("patients.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(",days_waited,class"), "{header}");
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert!(rows.iter().any(|r| r.ends_with(",a")) && rows.iter().any(|r| r.ends_with(",b")));
    let mut cmd = Command::cargo_bin("iopsim").unwrap();
    cmd.args([
        "run",
        "--quiet",
        "--no-plots",
        "--trials",
        "1",
        "--log",
        "--log-trials",
        "1",
        "--out",
    ])
    .arg(tmp.path().join("plain"))
    .assert()
    .success();
    let csv =
        std::fs::read_to_string(tmp.path().join("plain/midsize-adult-iop/patients.csv")).unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",days_waited"));
}
