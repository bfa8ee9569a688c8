//! Issue 19, "routing that closes the loop": routing maps for every exit of
//! a sessions unit (`on_stepup`, `on_dropout`, `on_admin_discharge`),
//! relapse and readmissions, `transfer_show`, against hand-computable
//! cases; conservation with patients away between episodes; and the bad
//! inputs through the CLI.

use std::collections::HashMap;
use std::fs;

use assert_cmd::Command;
use iopsim::model::clinic::{run_trial_audited, run_trial_logged};
use iopsim::model::log::{MemoryLog, Visit};
use iopsim::model::recorder::Audit;
use iopsim::model::result::destination_names;
use iopsim::model::{Program, TrialResult};
use iopsim::scenario::{load_str, Scenario};

fn scenario(toml: &str, sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    load_str(toml, "test", &sets).unwrap_or_else(|e| panic!("{e}"))
}

/// Every trial's results and audit.
fn trials(s: &Scenario) -> Vec<(TrialResult, Audit)> {
    let p = Program::new(s);
    (0..u64::from(s.simulation.trials))
        .map(|t| run_trial_audited(&p, s.simulation.seed, t))
        .collect()
}

/// The reported value of `metric` in trial result `r`.
fn metric(s: &Scenario, r: &TrialResult, name: &str) -> f64 {
    let names = iopsim::model::result::summary_names(s);
    let values = iopsim::model::result::summary_values(r);
    assert_eq!(names.len(), values.len(), "names and values out of step");
    let i = names
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("no metric {name}; have {names:?}"));
    values[i]
}

fn total(s: &Scenario, runs: &[(TrialResult, Audit)], name: &str) -> f64 {
    runs.iter().map(|(r, _)| metric(s, r, name)).sum()
}

/// `k` of `n` is `p` within four standard deviations of a binomial.
fn binomial(what: &str, k: f64, n: f64, p: f64) {
    assert!(n > 100.0, "{what}: only {n} draws");
    let sd = (n * p * (1.0 - p)).sqrt();
    assert!(
        (k - n * p).abs() <= 4.0 * sd,
        "{what}: {k} of {n}, expected {p} of them (sd {sd})"
    );
}

/// Every referral ends in one outcome or is still waiting at the end;
/// every admission is still in care or left; every relapse due has come
/// or its patient is away at the end.
fn conserved(runs: &[(TrialResult, Audit)]) {
    for (r, a) in runs {
        for u in &r.units {
            let c = &u.all;
            assert_eq!(
                c.referrals,
                c.no_shows + c.turned_away + c.reneged + c.admitted + u.waiting_at_end,
                "{c:?}"
            );
            assert_eq!(c.admitted, u.in_care_at_end + c.exits(), "{c:?}");
            assert_eq!(u.destinations.iter().sum::<u64>(), u.counts.exits());
        }
        let away: u64 = r.units.iter().map(|u| u.away_at_end).sum();
        assert_eq!(a.relapses_drawn, a.relapses_arrived + away, "{a:?}");
        assert_eq!(a.negative_waits, 0);
        assert!(a.lowest_level.iter().all(|&l| l >= 0));
    }
}

/// An IOP with every exit kind routed: dropouts split 50/50 between two
/// exit labels, administrative discharges all to one, step-ups a quarter
/// to an exit label and the rest to a ward (a transfer).
const EXITS: &str = r#"
name = "exits"
[simulation]
start_date = "2027-01-04"
weeks = 104
warmup_weeks = 10
trials = 20
seed = 7
[[referrals]]
name = "community"
to = "iop"
per_week = 6
[[units]]
name = "iop"
kind = "sessions"
episode = { weeks = 10 }
attendance = 0.8
discharge_after_absences = 2
dropout_weekly = [0.08]
stepup_weekly = 0.03
on_stepup = { crisis = 0.25, ward = 0.75 }
on_dropout = { lost = 0.5, elsewhere = 0.5 }
on_admin_discharge = { discharged = 1 }
on_completion = { outpatient = 0.6 }
[[units.tracks]]
name = "day"
days = ["mon", "wed", "fri"]
start = "10:00"
hours = 3
groups = 10
group_size = 12
[[units]]
name = "ward"
kind = "beds"
capacity = 40
stay = { dist = "fixed", value = 5 }
"#;

#[test]
fn every_exit_of_a_sessions_unit_follows_its_routing_map() {
    let s = scenario(EXITS, &[]);
    let runs = trials(&s);
    conserved(&runs);
    let m = |name: &str| total(&s, &runs, name);
    let (lost, elsewhere) = (m("iop.to.lost"), m("iop.to.elsewhere"));
    assert_eq!(lost + elsewhere, m("iop.dropped_out"));
    binomial("dropouts lost", lost, lost + elsewhere, 0.5);
    assert_eq!(m("iop.to.discharged"), m("iop.admin_discharged"));
    assert!(m("iop.admin_discharged") > 100.0);
    let (crisis, ward) = (m("iop.stepped_up_to.crisis"), m("iop.stepped_up_to.ward"));
    assert_eq!(crisis + ward, m("iop.stepped_up"));
    assert_eq!(crisis, m("iop.to.crisis"));
    binomial("step-ups to the ward", ward, crisis + ward, 0.75);
    // A step-up routed to a modelled unit is a transfer: the ward's only
    // referrals (it has no stream), at the same instant.
    assert_eq!(m("iop.to.ward"), ward);
    assert_eq!(m("ward.referrals"), ward);
    // Home is what is left of completions only.
    binomial("completers home", m("iop.to.home"), m("iop.completed"), 0.4);
    assert_eq!(
        m("iop.to.home") + m("iop.to.outpatient"),
        m("iop.completed")
    );
    // The step-up's default exit label is not a destination any more.
    assert!(!destination_names(&s, &s.units[0]).contains(&"stepped_up".to_string()));
}

#[test]
fn a_dropout_routed_to_another_unit_is_a_transfer() {
    let s = scenario(
        EXITS,
        &[
            "units.iop.on_dropout={ ward = 0.5 }",
            "simulation.trials=10",
        ],
    );
    let runs = trials(&s);
    conserved(&runs);
    let m = |name: &str| total(&s, &runs, name);
    // Step-ups and dropouts to the ward: all of them its referrals.
    let to_ward = m("iop.to.ward");
    assert_eq!(m("ward.referrals"), to_ward);
    binomial(
        "dropouts to the ward",
        to_ward - m("iop.stepped_up_to.ward"),
        m("iop.dropped_out"),
        0.5,
    );
}

/// A ward whose discharges step down into an IOP that loses 40% of them
/// on the way (`transfer_show = 0.6`), beds kept until the IOP decides.
const STEP_DOWN: &str = r#"
name = "step-down"
[simulation]
start_date = "2027-01-04"
weeks = 104
warmup_weeks = 8
trials = 20
seed = 3
[[referrals]]
name = "admissions"
to = "ward"
per_week = 8
[[units]]
name = "ward"
kind = "beds"
capacity = 12
stay = { dist = "exponential", mean = 6 }
on_discharge = { iop = 1 }
handoff = "wait_in_place"
[[units]]
name = "iop"
kind = "sessions"
episode = { weeks = 6 }
transfer_show = 0.6
[[units.tracks]]
name = "day"
days = ["mon", "wed", "fri"]
start = "10:00"
hours = 3
groups = 6
group_size = 12
"#;

#[test]
fn transfer_show_loses_its_share_of_transfers_and_frees_their_beds() {
    let s = scenario(STEP_DOWN, &[]);
    let runs = trials(&s);
    conserved(&runs);
    let m = |name: &str| total(&s, &runs, name);
    assert_eq!(m("iop.referrals"), m("ward.to.iop"));
    binomial("transfers lost", m("iop.no_shows"), m("iop.referrals"), 0.4);
    // Nobody lost on the way keeps a bed: every bed freed, none below 0.
    for (r, a) in &runs {
        assert!(a.peak_census[0] <= 12);
        assert!(r.units[1].all.no_shows > 0);
    }
    // Without transfer_show, nobody is lost.
    let all = scenario(STEP_DOWN, &["units.iop.transfer_show=1"]);
    let runs = trials(&all);
    assert_eq!(total(&all, &runs, "iop.no_shows"), 0.0);
}

/// An IOP with continuous admission and seats to spare, so a relapse
/// referral is admitted the moment it comes: 60% of completers go on to
/// outpatient care, the rest home, and `share` of those come back after a
/// fixed delay.
const RELAPSE: &str = r#"
name = "relapse"
[simulation]
start_date = "2027-01-04"
weeks = 156
warmup_weeks = 20
trials = 10
seed = 5
[[referrals]]
name = "community"
to = "iop"
per_week = 5
[[units]]
name = "iop"
kind = "sessions"
admission = "continuous"
episode = { weeks = 6 }
on_completion = { outpatient = 0.6 }
relapse = { share = 1, after = { dist = "fixed", value = 10 } }
[[units.tracks]]
name = "day"
days = ["mon", "wed", "fri"]
start = "10:00"
hours = 3
groups = 10
group_size = 20
"#;

fn logged(s: &Scenario, trial: u64) -> (TrialResult, Vec<Visit>) {
    let p = Program::new(s);
    let (r, log) = run_trial_logged(&p, s.simulation.seed, trial, MemoryLog::default());
    (r, log.visits)
}

#[test]
fn a_relapse_share_refers_that_share_of_home_exits_again_after_the_delay() {
    let s = scenario(RELAPSE, &["units.iop.relapse.share=0.3"]);
    let runs = trials(&s);
    conserved(&runs);
    let horizon = i64::from(s.total_weeks()) * 7 * 86_400;
    let delay = 10 * 86_400;
    let (mut home, mut back) = (0.0, 0.0);
    for t in 0..u64::from(s.simulation.trials) {
        let (r, visits) = logged(&s, t);
        assert_eq!(format!("{r:?}"), format!("{:?}", runs[t as usize].0));
        // Each patient's visits in order: a home exit whose relapse would
        // fall before the horizon is followed, or not, by a new referral
        // exactly the delay later.
        let mut by_patient: HashMap<_, Vec<&Visit>> = HashMap::new();
        for v in &visits {
            by_patient
                .entry((v.patient.stream, v.patient.index))
                .or_default()
                .push(v);
        }
        let home_dest = destination_names(&s, &s.units[0]).len() as u32 - 1;
        for vs in by_patient.values_mut() {
            vs.sort_by_key(|v| v.referred);
            for (k, v) in vs.iter().enumerate() {
                if v.destination != Some(home_dest) {
                    continue;
                }
                let left = v.left.unwrap();
                let next = vs.get(k + 1);
                if let Some(n) = next {
                    assert_eq!(n.referred, Some(left + delay), "{v:?} then {n:?}");
                }
                if left + delay < horizon {
                    home += 1.0;
                    back += f64::from(u8::from(next.is_some()));
                }
            }
        }
    }
    binomial("home exits referred again", back, home, 0.3);
}

#[test]
fn relapse_referrals_are_counted_at_their_unit_for_no_stream() {
    let s = scenario(RELAPSE, &["units.iop.relapse.share=0.5"]);
    let runs = trials(&s);
    conserved(&runs);
    let m = |name: &str| total(&s, &runs, name);
    let relapses = m("iop.relapse_referrals");
    assert!(relapses > 100.0);
    // The stream is counted apart now (someone else comes in): its
    // referrals and the relapses are the unit's.
    assert_eq!(
        m("stream.community.referrals") + relapses,
        m("iop.referrals")
    );
    // About half of those who went home (one reporting period's home
    // exits and relapses, 10 days apart: nearly the same patients).
    binomial("relapses of home exits", relapses, m("iop.to.home"), 0.5);
}

#[test]
fn readmission_windows_follow_the_relapse_delay() {
    // A 10-day delay: every relapser is readmitted within 30 days.
    let s = scenario(RELAPSE, &[]);
    for (r, _) in &trials(&s) {
        let m = |name: &str| metric(&s, r, name);
        assert!(m("iop.readmitted_30d") > 20.0);
        assert_eq!(m("iop.readmitted_30d"), m("iop.readmitted_90d"));
        assert_eq!(m("iop.readmission_rate_30d"), 1.0);
        assert_eq!(m("iop.readmission_rate_90d"), 1.0);
    }
    // 60 days: none within 30, all within 90.
    let s = scenario(
        RELAPSE,
        &["units.iop.relapse.after={ dist = \"fixed\", value = 60 }"],
    );
    for (r, _) in &trials(&s) {
        let m = |name: &str| metric(&s, r, name);
        assert_eq!(m("iop.readmitted_30d"), 0.0);
        assert_eq!(m("iop.readmission_rate_30d"), 0.0);
        assert!(m("iop.readmitted_90d") > 20.0);
        assert_eq!(m("iop.readmission_rate_90d"), 1.0);
        // Those who went home in the last 60 days are away at the end.
        assert!(r.units[0].away_at_end > 0);
    }
    // Half relapse: the rates are about a half.
    let s = scenario(RELAPSE, &["units.iop.relapse.share=0.5"]);
    let runs = trials(&s);
    let rate: f64 = runs
        .iter()
        .map(|(r, _)| metric(&s, r, "iop.readmission_rate_30d"))
        .sum::<f64>()
        / runs.len() as f64;
    assert!((rate - 0.5).abs() < 0.05, "{rate}");
}

#[test]
fn a_relapse_to_another_unit_with_a_show_rate() {
    // Relapsers go to a ward and 80% turn up; the ward has no stream.
    let text = format!(
        "{RELAPSE}\n[[units]]\nname = \"ward\"\nkind = \"beds\"\ncapacity = 50\nstay = {{ dist = \"fixed\", value = 3 }}\n"
    );
    let s = scenario(
        &text,
        &["units.iop.relapse={ share = 1, after = { dist = \"exponential\", mean = 30 }, to = \"ward\", show = 0.8 }"],
    );
    let runs = trials(&s);
    conserved(&runs);
    let m = |name: &str| total(&s, &runs, name);
    assert_eq!(m("ward.relapse_referrals"), m("ward.referrals"));
    binomial(
        "relapsers who turn up",
        m("ward.referrals") - m("ward.no_shows"),
        m("ward.referrals"),
        0.8,
    );
    // Readmissions are the IOP's (where they went home from).
    assert!(m("iop.readmitted_90d") > 0.0);
    let names = iopsim::model::result::summary_names(&s);
    assert!(!names.contains(&"ward.readmitted_30d".to_string()));
    assert!(!names.contains(&"iop.relapse_referrals".to_string()));
}

#[test]
fn without_the_new_keys_there_are_no_new_metrics() {
    let s = scenario(iopsim::scenario::DEFAULT_TOML, &[]);
    let names = iopsim::model::result::summary_names(&s);
    for word in ["relapse", "readmi"] {
        assert!(!names.iter().any(|n| n.contains(word)), "{word}");
    }
}

#[test]
fn a_relapse_after_the_horizon_never_happens() {
    let s = scenario(
        RELAPSE,
        &["units.iop.relapse.after={ dist = \"fixed\", value = 100000 }"],
    );
    let runs = trials(&s);
    conserved(&runs);
    for (r, a) in &runs {
        // Everyone who went home is away at the end, nobody came back.
        assert_eq!(a.relapses_arrived, 0);
        assert_eq!(r.units[0].away_at_end, a.relapses_drawn);
        assert!(a.relapses_drawn > 100);
        assert_eq!(r.units[0].relapse_referrals, Some(0));
        assert_eq!(r.units[0].readmissions.unwrap().within_90d, 0);
    }
}

// ---- bad input, through the CLI --------------------------------------------

fn iopsim() -> Command {
    Command::cargo_bin("iopsim").unwrap()
}

/// `iopsim check` and `iopsim run` on `toml` exit 2 naming `key` and
/// `words`, and write nothing.
fn refused(toml: &str, key: &str, words: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.toml");
    fs::write(&file, toml).unwrap();
    for cmd in ["check", "run"] {
        let out = tmp.path().join("out");
        let mut c = iopsim();
        c.arg(cmd).arg(&file);
        if cmd == "run" {
            c.arg("--out").arg(&out).arg("--no-plots");
        }
        let o = c.output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{cmd}: {o:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(key), "{cmd}: no {key} in {err}");
        for w in words {
            assert!(err.contains(w), "{cmd}: no '{w}' in {err}");
        }
        assert!(!out.exists(), "{cmd} wrote {}", out.display());
    }
    let left: Vec<_> = fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

#[test]
fn a_relapse_loop_with_no_exit_is_refused() {
    // Every completer goes home, every one comes back, nobody gives up.
    let toml = RELAPSE.replace("on_completion = { outpatient = 0.6 }\n", "");
    refused(
        &toml,
        "units[0].relapse",
        &["relapse loop with no exit", "iop", "relapse.share below 1"],
    );
    // Any exit opens it: a share below 1, show below 1, patience, a label.
    for fix in [
        "units.iop.relapse.share=0.99",
        "units.iop.relapse.show=0.9",
        "units.iop.waitlist={ patience = { dist = \"exponential\", mean = 20 } }",
        "units.iop.on_completion={ outpatient = 0.01 }",
    ] {
        let s = load_str(&toml, "test", &[fix.to_string()]);
        assert!(s.is_ok(), "{fix}: {}", s.err().unwrap());
    }
    // Through two units: the IOP steps everyone down to a ward that sends
    // them home, and the ward's relapse brings them back to the IOP.
    let two = format!(
        "{}\n[[units]]\nname = \"ward\"\nkind = \"beds\"\ncapacity = 5\nstay = {{ dist = \"fixed\", value = 2 }}\nrelapse = {{ share = 1, after = {{ dist = \"fixed\", value = 3 }}, to = \"iop\" }}\n",
        toml.replace(
            "relapse = { share = 1, after = { dist = \"fixed\", value = 10 } }",
            "on_completion = { ward = 1 }"
        )
    );
    refused(&two, "units[1].relapse", &["iop, ward"]);
    // A dropout hazard whose dropouts all go home (and relapse) leaves it
    // closed; one that sends some to an exit label opens it.
    let dropouts = toml.replace(
        "episode = { weeks = 6 }",
        "episode = { weeks = 6 }\ndropout_weekly = [0.1]",
    );
    refused(
        &dropouts,
        "units[0].relapse",
        &["relapse loop with no exit"],
    );
    let s = load_str(
        &dropouts,
        "test",
        &["units.iop.on_dropout={ lost = 0.1 }".into()],
    );
    assert!(s.is_ok(), "{}", s.err().unwrap());
}

#[test]
fn routing_shares_and_the_two_step_up_keys_are_checked() {
    refused(
        &EXITS.replace(
            "{ lost = 0.5, elsewhere = 0.5 }",
            "{ lost = 0.7, elsewhere = 0.5 }",
        ),
        "units[0].on_dropout",
        &["shares sum to 1.2", "at most 1"],
    );
    refused(
        &EXITS.replace("on_stepup =", "stepup_to = \"ward\"\non_stepup ="),
        "units[0].on_stepup",
        &["stepup_to", "on_stepup", "not both"],
    );
    refused(
        &EXITS.replace(
            "{ crisis = 0.25, ward = 0.75 }",
            "{ crisis = 0.25, ward = 0.5 }",
        ),
        "units[0].on_stepup",
        &["must sum to 1"],
    );
    refused(
        &RELAPSE.replace("share = 1,", "share = 1.5,"),
        "units[0].relapse.share",
        &["probability in [0, 1]"],
    );
    refused(
        &RELAPSE.replace("value = 10", "value = 10, mean = 3"),
        "units[0].relapse.after.mean",
        &["fixed takes value"],
    );
    refused(
        &RELAPSE.replace(
            "relapse = { share = 1,",
            "relapse = { share = 1, to = \"iopp\",",
        ),
        "units[0].relapse.to",
        &["no unit named 'iopp'"],
    );
    refused(
        &STEP_DOWN.replace("transfer_show = 0.6", "transfer_show = 1.6"),
        "units[1].transfer_show",
        &["probability in [0, 1]"],
    );
    refused(
        &STEP_DOWN.replace("handoff =", "on_dropout = { x = 1 }\nhandoff ="),
        "units[0].on_dropout",
        &["kind = \"sessions\""],
    );
    refused(
        &RELAPSE.replace("share = 1,", "share = 1, class = \"adult\","),
        "units[0].relapse.class",
        &["no class named 'adult'; classes are: (none)"],
    );
}

#[test]
fn empty_maps_and_certain_shows_draw_nothing_and_change_nothing() {
    // Without the new keys, with empty maps and with show rates of 1, every
    // trial is the same, bit for bit: an empty map takes no routing draw,
    // a show rate of 1 no show draw.
    let plain = EXITS
        .replace(
            "on_stepup = { crisis = 0.25, ward = 0.75 }\n",
            "stepup_to = \"ward\"\n",
        )
        .replace("on_dropout = { lost = 0.5, elsewhere = 0.5 }\n", "")
        .replace("on_admin_discharge = { discharged = 1 }\n", "");
    let s = scenario(&plain, &["simulation.trials=5"]);
    let same = scenario(
        &plain,
        &[
            "simulation.trials=5",
            "units.iop.on_dropout={}",
            "units.iop.on_admin_discharge={}",
            "units.ward.transfer_show=1",
        ],
    );
    let a: Vec<String> = trials(&s).iter().map(|r| format!("{r:?}")).collect();
    let b: Vec<String> = trials(&same).iter().map(|r| format!("{r:?}")).collect();
    assert_eq!(a, b);
    // A map that routes changes the draws after it, and the results.
    let routed = scenario(
        &plain,
        &["simulation.trials=5", "units.iop.on_dropout={ lost = 0.5 }"],
    );
    let c: Vec<String> = trials(&routed).iter().map(|r| format!("{r:?}")).collect();
    assert_ne!(a, c);
}

#[test]
fn names_given_by_the_new_maps_are_checked_for_clashes() {
    // `iop.to.referrals` from the dropout map and from a unit named `iop.to`.
    let text = format!(
        "{EXITS}\n[[units]]\nname = \"iop.to\"\nkind = \"beds\"\ncapacity = 1\nstay = {{ dist = \"fixed\", value = 1 }}\n"
    );
    let e = load_str(
        &text,
        "test",
        &["units.iop.on_dropout={ referrals = 0.5 }".to_string()],
    )
    .expect_err("a clash");
    let msg = e.to_string();
    assert!(msg.contains("units[0].on_dropout.referrals"), "{msg}");
    assert!(msg.contains("'iop.to.referrals'"), "{msg}");
}

#[test]
fn check_counts_only_the_transfers_that_turn_up() {
    use iopsim::model::capacity::estimate;
    let lossy = estimate(&scenario(STEP_DOWN, &[]));
    let all = estimate(&scenario(STEP_DOWN, &["units.iop.transfer_show=1"]));
    // 8 a week leave the ward for the IOP; 0.6 of them start there.
    assert!(
        (all[1].arrivals_per_week - 8.0).abs() < 1e-9,
        "{}",
        all[1].arrivals_per_week
    );
    assert!((lossy[1].arrivals_per_week - 0.6 * 8.0).abs() < 1e-9);
    assert!((lossy[1].offered_load - 0.6 * all[1].offered_load).abs() < 1e-9);
}
