//! Property tests over generated valid scenarios: whatever the rates,
//! capacities, timetables, holidays, episodes, hazards, patience, waitlist
//! limits, bed units, routing and handoffs, every trial must
//!
//! - account for every referral and every admission of every unit over the
//!   whole run (warm-up included),
//! - never hold more patients than seats or beds, at any instant,
//! - never count an attendance on a holiday, outside the track's timetable or
//!   by a patient of another track ([`Audit`] counts them; it must stay 0),
//! - never give a negative wait,
//! - add up: a unit's tracks to the unit, its referral streams and the
//!   transfers in to its referrals, its leavers by destination to its exits,
//! - give the same result for the same seed, and the same files for 1 and 2
//!   threads; a plain program (no classes, no relapse) the same result on
//!   its own run loop as on the general one.
//!
//! Scenarios are generated as TOML text and go through `scenario::load_str`,
//! like a user's file. Case counts (kept small so the suite runs in seconds
//! in release mode) are in `docs/robustness.md`.

use chrono::{Days, NaiveDate};
use iopsim::model::clinic::{run_trial_audited, run_trial_general};
use iopsim::model::recorder::Audit;
use iopsim::model::result::{destination_names, StreamResult, UnitResult};
use iopsim::model::{Program, TrialResult};
use iopsim::report::csv::{summary_csv, weekly_csv};
use iopsim::scenario::{load_str, Scenario};
use iopsim::trials::{self, RunOptions};
use proptest::prelude::*;

/// Cases of the per-trial invariants property.
const INVARIANT_CASES: u32 = 1024;
/// Cases of the group-minimum and moving-phase property.
const GROUPS_CASES: u32 = 512;
/// Cases of the thread-independence property (each runs the trials twice).
const THREAD_CASES: u32 = 128;
/// Trials per generated scenario.
const TRIALS: u64 = 3;

#[derive(Debug, Clone)]
enum DistGen {
    Fixed(f64),
    Exponential(f64),
    Gamma(f64, f64),
    Lognormal(f64, f64),
    Uniform(f64, f64),
    Empirical(Vec<f64>),
}

impl DistGen {
    fn toml(&self) -> String {
        match self {
            DistGen::Fixed(v) => format!("{{ dist = \"fixed\", value = {v:?} }}"),
            DistGen::Exponential(m) => format!("{{ dist = \"exponential\", mean = {m:?} }}"),
            DistGen::Gamma(m, sd) => format!("{{ dist = \"gamma\", mean = {m:?}, sd = {sd:?} }}"),
            DistGen::Lognormal(m, sd) => {
                format!("{{ dist = \"lognormal\", mean = {m:?}, sd = {sd:?} }}")
            }
            DistGen::Uniform(a, b) => {
                format!("{{ dist = \"uniform\", min = {a:?}, max = {:?} }}", a + b)
            }
            DistGen::Empirical(v) => format!("{{ dist = \"empirical\", values = {v:?} }}"),
        }
    }
}

/// Durations in days, zero included (an instant discharge or an instant renege).
fn dist(max_mean: f64) -> impl Strategy<Value = DistGen> {
    prop_oneof![
        (0.0..max_mean).prop_map(DistGen::Fixed),
        Just(DistGen::Fixed(0.0)),
        (0.1..max_mean).prop_map(DistGen::Exponential),
        (0.5..max_mean, 0.1..20.0).prop_map(|(m, sd)| DistGen::Gamma(m, sd)),
        (0.5..max_mean, 0.1..20.0).prop_map(|(m, sd)| DistGen::Lognormal(m, sd)),
        (0.0..max_mean, 0.1..10.0).prop_map(|(a, b)| DistGen::Uniform(a, b)),
        prop::collection::vec(0.0..max_mean, 1..4).prop_map(DistGen::Empirical),
    ]
}

#[derive(Debug, Clone)]
struct StreamGen {
    per_week: f64,
    show: f64,
    priority: u8,
    to_beds: bool,
    weekdays: Option<[u8; 7]>,
    growth: f64,
}

#[derive(Debug, Clone)]
struct TrackGen {
    days: Vec<usize>,
    start_hour: u32,
    hours: u32,
    groups: u32,
    group_size: u32,
}

#[derive(Debug, Clone)]
enum EpisodeGen {
    Weeks(u32),
    Sessions(u32),
    Days(DistGen),
}

#[derive(Debug, Clone)]
struct BedGen {
    capacity: u32,
    stay: DistGen,
    wait_in_place: bool,
    to_iop: f64,
    step: Option<StepGen>,
}

/// A second bed unit that the first discharges part of its patients to,
/// and that sends some back, both keeping their bed while they wait: a
/// chain of held beds, where a bed freed by one admission can come back
/// round at the same instant.
#[derive(Debug, Clone)]
struct StepGen {
    capacity: u32,
    stay: DistGen,
    /// Of the inpatient unit's discharges not sent to the IOP.
    share: f64,
    back: f64,
}

#[derive(Debug, Clone)]
struct ScenarioGen {
    weeks: u32,
    warmup: u32,
    seed: u64,
    start_offset: u64,
    us_federal: bool,
    holidays: Vec<i64>,
    streams: Vec<StreamGen>,
    admission: u8,
    cohort_weeks: u32,
    episode: EpisodeGen,
    attendance: f64,
    absences: u32,
    dropout: Vec<f64>,
    stepup: f64,
    stepup_to_beds: bool,
    phase: Option<(u32, u32)>,
    tracks: Vec<TrackGen>,
    shares: bool,
    room: bool,
    wl_capacity: Option<u32>,
    patience: Option<DistGen>,
    transfer_priority: u8,
    completion_exit: f64,
    bed: Option<BedGen>,
    /// Issue 19 (only from [`groups_gen`]): a `min_size` per track
    /// (clamped to its `group_size`), and a step-down track that a phase
    /// moves patients to, with the week it starts.
    min_sizes: Vec<Option<u32>>,
    step_down: Option<(TrackGen, u32)>,
    routing: RoutingGen,
}

/// Issue 19's keys: a relapse of the IOP's home-goers (to the IOP or the
/// ward), dropouts sent to the ward, a show rate for transfers into the IOP.
#[derive(Debug, Clone)]
struct RoutingGen {
    /// (share, delay, show, to the ward)
    relapse: Option<(f64, DistGen, f64, bool)>,
    dropout_to_beds: f64,
    transfer_show: f64,
}

fn routing() -> impl Strategy<Value = RoutingGen> {
    (
        prop::option::of((
            // Below 1, so a loop always has an exit.
            prop_oneof![Just(0.9), 0.0..0.9f64],
            dist(60.0),
            prop_oneof![Just(1.0), 0.0..=1.0f64],
            any::<bool>(),
        )),
        prop_oneof![Just(0.0), 0.0..=1.0f64],
        prop_oneof![Just(1.0), 0.0..=1.0f64],
    )
        .prop_map(|(relapse, dropout_to_beds, transfer_show)| RoutingGen {
            relapse,
            dropout_to_beds,
            transfer_show,
        })
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn track() -> impl Strategy<Value = TrackGen> {
    (
        prop::sample::subsequence((0..7).collect::<Vec<usize>>(), 1..=7),
        6u32..20,
        1u32..4,
        1u32..4,
        1u32..13,
    )
        .prop_map(|(days, start_hour, hours, groups, group_size)| TrackGen {
            days,
            start_hour,
            hours,
            groups,
            group_size,
        })
}

fn stream() -> impl Strategy<Value = StreamGen> {
    (
        prop_oneof![Just(0.0), 0.0..40.0f64],
        prop_oneof![Just(1.0), Just(0.0), 0.0..=1.0f64],
        0u8..4,
        any::<bool>(),
        prop::option::of(prop::array::uniform7(0u8..4)),
        prop_oneof![Just(0.0), -0.5..2.0f64],
    )
        .prop_map(
            |(per_week, show, priority, to_beds, weekdays, growth)| StreamGen {
                per_week,
                show,
                priority,
                to_beds,
                // Not all zero.
                weekdays: weekdays.map(|mut w| {
                    w[0] = w[0].max(1);
                    w
                }),
                growth,
            },
        )
}

fn episode() -> impl Strategy<Value = EpisodeGen> {
    prop_oneof![
        (1u32..16).prop_map(EpisodeGen::Weeks),
        (1u32..30).prop_map(EpisodeGen::Sessions),
        dist(80.0).prop_map(EpisodeGen::Days),
    ]
}

fn bed() -> impl Strategy<Value = BedGen> {
    let step = (1u32..5, dist(20.0), 0.0..=1.0f64, 0.0..=0.5f64).prop_map(
        |(capacity, stay, share, back)| StepGen {
            capacity,
            stay,
            share,
            back,
        },
    );
    (
        1u32..10,
        dist(20.0),
        any::<bool>(),
        0.0..=1.0f64,
        prop::option::of(step),
    )
        .prop_map(|(capacity, stay, wait_in_place, to_iop, step)| BedGen {
            capacity,
            stay,
            wait_in_place,
            to_iop,
            step,
        })
}

fn scenario_gen() -> impl Strategy<Value = ScenarioGen> {
    let calendar = (
        1u32..30,
        0u32..9,
        any::<u64>(),
        0u64..400,
        any::<bool>(),
        prop::collection::vec(-70i64..220, 0..6),
    );
    let unit = (
        0u8..3,
        1u32..8,
        episode(),
        prop_oneof![Just(1.0), 0.0..=1.0f64],
        0u32..4,
        prop::collection::vec(0.0..0.3f64, 0..4),
        prop_oneof![Just(0.0), 0.0..0.1f64],
        any::<bool>(),
        prop::option::of((2u32..6, 1u32..8)),
    );
    let tracks = (
        prop::collection::vec(track(), 1..4),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(0u32..20),
        prop::option::of(dist(40.0)),
        0u8..3,
        0.0..=1.0f64,
    );
    (
        calendar,
        prop::collection::vec(stream(), 1..4),
        unit,
        tracks,
        prop::option::of(bed()),
        routing(),
    )
        .prop_map(
            |(
                (weeks, warmup, seed, start_offset, us_federal, holidays),
                streams,
                (
                    admission,
                    cohort_weeks,
                    episode,
                    attendance,
                    absences,
                    dropout,
                    stepup,
                    stepup_to_beds,
                    phase,
                ),
                (tracks, shares, room, wl_capacity, patience, transfer_priority, completion_exit),
                bed,
                routing,
            )| {
                // A phase may ask for no more sessions than every track has.
                let min_days = tracks
                    .iter()
                    .map(|t| t.days.len() as u32)
                    .min()
                    .unwrap_or(1);
                ScenarioGen {
                    weeks,
                    warmup,
                    seed: seed % (1 << 53),
                    start_offset,
                    us_federal,
                    holidays,
                    streams,
                    admission,
                    cohort_weeks,
                    episode,
                    attendance,
                    absences,
                    dropout,
                    stepup,
                    stepup_to_beds,
                    phase: phase.map(|(from, per)| (from, per.min(min_days))),
                    tracks,
                    shares,
                    room,
                    wl_capacity,
                    patience,
                    transfer_priority,
                    completion_exit,
                    bed,
                    min_sizes: Vec::new(),
                    step_down: None,
                    routing,
                }
            },
        )
}

/// [`scenario_gen`] with group minimums and a phase moving patients to a
/// step-down track (each often, not always).
fn groups_gen() -> impl Strategy<Value = ScenarioGen> {
    (
        scenario_gen(),
        prop::collection::vec(prop::option::of(1u32..8), 4),
        prop::option::of((track(), 2u32..6)),
    )
        .prop_map(|(mut g, min_sizes, step_down)| {
            g.min_sizes = min_sizes;
            g.step_down = step_down;
            g
        })
}

impl ScenarioGen {
    fn toml(&self) -> String {
        let start = NaiveDate::from_ymd_opt(2027, 1, 4)
            .unwrap()
            .checked_add_days(Days::new(self.start_offset))
            .unwrap();
        let holidays: Vec<String> = self
            .holidays
            .iter()
            .map(|&d| {
                let date = if d >= 0 {
                    start.checked_add_days(Days::new(d as u64))
                } else {
                    start.checked_sub_days(Days::new((-d) as u64))
                };
                format!("\"{}\"", date.unwrap())
            })
            .collect();
        let mut t = format!(
            "name = \"generated\"\n\n[simulation]\nstart_date = \"{start}\"\nweeks = {}\nwarmup_weeks = {}\ntrials = {TRIALS}\nseed = {}\n\n[calendar]\nus_federal_holidays = {}\nholidays = [{}]\n\n",
            self.weeks,
            self.warmup,
            self.seed,
            self.us_federal,
            holidays.join(", ")
        );
        for (i, s) in self.streams.iter().enumerate() {
            let to = if s.to_beds && self.bed.is_some() {
                "inpatient"
            } else {
                "iop"
            };
            t += &format!(
                "[[referrals]]\nname = \"s{i}\"\nto = \"{to}\"\nper_week = {:?}\nshow = {:?}\npriority = {}\ngrowth_per_year = {:?}\n",
                s.per_week, s.show, s.priority, s.growth
            );
            if let Some(w) = s.weekdays {
                t += &format!("weekdays = {w:?}\n");
            }
            t += "\n";
        }
        t += "[[units]]\nname = \"iop\"\nkind = \"sessions\"\n";
        t += match self.admission {
            0 => "admission = \"rolling\"\n".to_string(),
            1 => format!(
                "admission = \"cohort\"\ncohort_weeks = {}\n",
                self.cohort_weeks
            ),
            _ => "admission = \"continuous\"\n".to_string(),
        }
        .as_str();
        t += &match &self.episode {
            EpisodeGen::Weeks(w) => format!("episode = {{ weeks = {w} }}\n"),
            EpisodeGen::Sessions(k) => format!("episode = {{ sessions = {k} }}\n"),
            EpisodeGen::Days(d) => format!("episode = {}\n", d.toml()),
        };
        t += &format!(
            "attendance = {:?}\ndischarge_after_absences = {}\ndropout_weekly = {:?}\nstepup_weekly = {:?}\n",
            self.attendance, self.absences, self.dropout, self.stepup
        );
        if self.stepup_to_beds && self.bed.is_some() {
            t += "stepup_to = \"inpatient\"\n";
        }
        t += &format!(
            "on_completion = {{ outpatient = {:?} }}\n",
            self.completion_exit
        );
        let r = &self.routing;
        if self.bed.is_some() && r.dropout_to_beds > 0.0 {
            t += &format!("on_dropout = {{ inpatient = {:?} }}\n", r.dropout_to_beds);
        }
        if r.transfer_show < 1.0 {
            t += &format!("transfer_show = {:?}\n", r.transfer_show);
        }
        if let Some((share, after, show, to_ward)) = &r.relapse {
            let to = if *to_ward && self.bed.is_some() {
                "inpatient"
            } else {
                "iop"
            };
            t += &format!(
                "relapse = {{ share = {share:?}, after = {}, show = {show:?}, to = \"{to}\" }}\n",
                after.toml()
            );
        }
        match (self.phase, &self.step_down) {
            (Some((from, per)), None) => {
                t += &format!("phases = [{{ from_week = {from}, sessions_per_week = {per} }}]\n");
            }
            (phase, Some((down, from))) => {
                let (from, per) = phase.unwrap_or((*from, 1));
                let per = per.min(down.days.len() as u32);
                t += &format!(
                    "phases = [{{ from_week = {from}, sessions_per_week = {per}, track = \"down\" }}]\n"
                );
            }
            (None, None) => {}
        }
        let mut wl = vec![format!("transfer_priority = {}", self.transfer_priority)];
        if let Some(c) = self.wl_capacity {
            wl.push(format!("capacity = {c}"));
        }
        if let Some(p) = &self.patience {
            wl.push(format!("patience = {}", p.toml()));
        }
        t += &format!("waitlist = {{ {} }}\n\n", wl.join(", "));
        let n = self.tracks.len();
        let shares: Vec<f64> = match n {
            2 => vec![0.25, 0.75],
            3 => vec![0.25, 0.25, 0.5],
            _ => vec![1.0],
        };
        let down = self.step_down.as_ref().map(|(d, _)| d);
        for (i, tr) in self.tracks.iter().chain(down).enumerate() {
            let days: Vec<&str> = tr.days.iter().map(|&d| DAYS[d]).collect();
            let name = if i < n {
                format!("t{i}")
            } else {
                "down".to_string()
            };
            t += &format!(
                "[[units.tracks]]\nname = \"{name}\"\ndays = {days:?}\nstart = \"{:02}:00\"\nhours = {}\ngroups = {}\ngroup_size = {}\n",
                tr.start_hour, tr.hours, tr.groups, tr.group_size
            );
            // A step-down track takes nobody directly: every track's share is given.
            if i == n {
                t += "share = 0.0\n";
            } else if self.shares || down.is_some() {
                t += &format!("share = {:?}\n", shares[i]);
            }
            if let Some(Some(m)) = self.min_sizes.get(i) {
                t += &format!("min_size = {}\n", (*m).min(tr.group_size));
            }
            if self.room {
                t += "room = \"room\"\n";
            }
            t += "\n";
        }
        if let Some(b) = &self.bed {
            let on_discharge = match &b.step {
                Some(st) => format!(
                    "{{ iop = {:?}, step = {:?} }}",
                    b.to_iop,
                    (1.0 - b.to_iop) * st.share
                ),
                None => format!("{{ iop = {:?} }}", b.to_iop),
            };
            t += &format!(
                "[[units]]\nname = \"inpatient\"\nkind = \"beds\"\ncapacity = {}\nstay = {}\non_discharge = {on_discharge}\nhandoff = \"{}\"\n\n",
                b.capacity,
                b.stay.toml(),
                if b.wait_in_place {
                    "wait_in_place"
                } else {
                    "go_home"
                }
            );
            if let Some(st) = &b.step {
                t += &format!(
                    "[[units]]\nname = \"step\"\nkind = \"beds\"\ncapacity = {}\nstay = {}\non_discharge = {{ inpatient = {:?} }}\nhandoff = \"wait_in_place\"\n\n",
                    st.capacity,
                    st.stay.toml(),
                    st.back
                );
            }
        }
        if self.room {
            // Big enough for any group, and one room per group meeting at once.
            let all = || {
                self.tracks
                    .iter()
                    .chain(self.step_down.as_ref().map(|(d, _)| d))
            };
            let seats = all().map(|t| t.group_size).max().unwrap_or(1);
            let count: u32 = all().map(|t| t.groups).sum();
            t += &format!("[[rooms]]\nname = \"room\"\nseats = {seats}\ncount = {count}\n\n");
        }
        t += "[[staff]]\nrole = \"therapist\"\nfte = 2\n\n";
        for a in ["group_session", "individual", "intake"] {
            t +=
                &format!("[[workload]]\nactivity = \"{a}\"\nrole = \"therapist\"\nhours = 1.5\n\n");
        }
        if self.bed.is_some() {
            t += "[[workload]]\nactivity = \"bed_day\"\nrole = \"therapist\"\nhours = 0.5\n\n";
        }
        t
    }

    fn scenario(&self) -> Scenario {
        let text = self.toml();
        load_str(&text, "generated", &[])
            .unwrap_or_else(|e| panic!("generated scenario is invalid: {e}\n{text}"))
    }
}

/// Every invariant of one trial.
fn check(p: &Program, r: &TrialResult, a: &Audit) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.misplaced_attendances, 0, "attendance off the timetable");
    prop_assert_eq!(a.negative_waits, 0, "admission before referral");
    prop_assert_eq!(
        a.reneged_while_placed,
        0,
        "gave up while keeping a bed or a reserved seat"
    );
    prop_assert_eq!(
        a.seats_overbooked,
        0,
        "a seat reserved twice, or not taken up"
    );
    let away: u64 = r.units.iter().map(|u| u.away_at_end).sum();
    prop_assert_eq!(
        a.relapses_drawn,
        a.relapses_arrived + away,
        "relapses due, come and away"
    );
    for (i, u) in r.units.iter().enumerate() {
        let c = &u.all;
        prop_assert_eq!(
            c.referrals,
            c.no_shows + c.turned_away + c.reneged + c.admitted + u.waiting_at_end,
            "unit {}: referrals not conserved: {:?}, waiting {}",
            i,
            c,
            u.waiting_at_end
        );
        prop_assert_eq!(
            c.admitted,
            u.in_care_at_end + c.completed + c.dropped_out + c.admin_discharged + c.stepped_up,
            "unit {}: admissions not conserved: {:?}, in care {}",
            i,
            c,
            u.in_care_at_end
        );
        let rep = &u.counts;
        for (reported, all) in [
            (rep.referrals, c.referrals),
            (rep.admitted, c.admitted),
            (rep.reneged, c.reneged),
            (rep.completed, c.completed),
        ] {
            prop_assert!(reported <= all);
        }
        let seats = p.units[i].seats;
        prop_assert!(
            a.peak_census[i] <= seats as i64,
            "unit {}: {} in care, {} places",
            i,
            a.peak_census[i],
            seats
        );
        prop_assert!(a.lowest_level[i] >= 0, "unit {}: a level went below 0", i);
        prop_assert!(u.in_care_at_end <= seats);
        for &c in &u.weekly.census {
            prop_assert!(c >= 0.0 && c <= seats as f64 + 1e-9, "weekly census {}", c);
        }
        prop_assert!(u.census <= seats as f64 + 1e-9);
        for w in u.waits() {
            prop_assert!(w.is_finite() && w >= 0.0, "wait {}", w);
        }
        for w in [u.wait_days, u.wait_days_p90] {
            prop_assert!(w.is_nan() || w >= 0.0, "mean or P90 wait {}", w);
        }
        if let Some(util) = u.seat_utilization {
            prop_assert!(util.is_nan() || (0.0..=1.0 + 1e-12).contains(&util));
        }
        if let Some(att) = u.attendance_rate {
            prop_assert!(att.is_nan() || (0.0..=1.0 + 1e-12).contains(&att));
        }
        check_tracks(u)?;
        prop_assert_eq!(
            u.destinations.iter().sum::<u64>(),
            rep.exits(),
            "unit {}: leavers by destination {:?} against {:?}",
            i,
            &u.destinations,
            rep
        );
    }
    check_streams(p, r)
}

fn sorted(waits: impl Iterator<Item = u64>) -> Vec<u64> {
    let mut v: Vec<u64> = waits.collect();
    v.sort_unstable();
    v
}

/// A unit's tracks add up to the unit: counts exactly, waits as the same
/// multiset, levels to rounding (each is an exact sum of whole
/// patient-seconds divided by the horizon).
fn check_tracks(u: &UnitResult) -> Result<(), TestCaseError> {
    if u.tracks.is_empty() {
        return Ok(());
    }
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(1.0);
    prop_assert_eq!(
        u.tracks.iter().map(|t| t.admissions).sum::<u64>(),
        u.counts.admitted
    );
    prop_assert_eq!(
        u.tracks.iter().map(|t| t.reneged).sum::<u64>(),
        u.counts.reneged
    );
    prop_assert_eq!(
        sorted(u.tracks.iter().flat_map(|t| t.wait_secs.iter().copied())),
        sorted(u.wait_secs.iter().copied())
    );
    let census: f64 = u.tracks.iter().map(|t| t.census).sum();
    let waitlist: f64 = u.tracks.iter().map(|t| t.waitlist).sum();
    prop_assert!(close(census, u.census), "census {} vs {}", census, u.census);
    prop_assert!(
        close(waitlist, u.waitlist),
        "waitlist {} vs {}",
        waitlist,
        u.waitlist
    );
    for (w, &unit_census) in u.weekly.census.iter().enumerate() {
        let sum: f64 = u.tracks.iter().map(|t| t.weekly_census[w]).sum();
        prop_assert!(
            close(sum, unit_census),
            "week {}: {} vs {}",
            w,
            sum,
            unit_census
        );
        let sum: f64 = u.tracks.iter().map(|t| t.weekly_admissions[w]).sum();
        prop_assert_eq!(sum, u.weekly.admissions[w]);
    }
    for t in &u.tracks {
        let util = t.seat_utilization;
        prop_assert!(util.is_nan() || (0.0..=1.0 + 1e-12).contains(&util));
    }
    Ok(())
}

/// The referral streams of a unit add up to it: their referrals and the
/// transfers in (the other units' leavers sent there) are its referrals;
/// their no-shows are its no-shows; and where nobody else comes in
/// (transfers, `[initial]` waiting patients), their admissions, losses and
/// waits are the unit's.
fn check_streams(p: &Program, r: &TrialResult) -> Result<(), TestCaseError> {
    let s = p.scenario;
    for (i, u) in r.units.iter().enumerate() {
        let streams: Vec<_> = s
            .referrals
            .iter()
            .zip(&r.streams)
            .filter(|(st, _)| st.to == i)
            .map(|(_, res)| res)
            .collect();
        let transfers_in: u64 = s
            .units
            .iter()
            .zip(&r.units)
            .map(|(v, vr)| {
                destination_names(s, v)
                    .iter()
                    .zip(&vr.destinations)
                    .filter(|(d, _)| **d == s.units[i].name)
                    .map(|(_, &n)| n)
                    .sum::<u64>()
            })
            .sum();
        let sum = |f: fn(&StreamResult) -> u64| streams.iter().map(|st| f(st)).sum::<u64>();
        let c = &u.counts;
        prop_assert_eq!(
            sum(|st| st.referrals) + transfers_in + u.relapse_referrals.unwrap_or(0),
            c.referrals,
            "unit {}",
            i
        );
        // Transfers and relapse referrals can fail to show too.
        let relapse_show = s.units.iter().any(|v| {
            v.relapse
                .as_ref()
                .is_some_and(|r| r.to == i && r.show < 1.0)
        });
        if s.units[i].transfer_show < 1.0 || relapse_show {
            prop_assert!(sum(|st| st.no_shows) <= c.no_shows);
        } else {
            prop_assert_eq!(sum(|st| st.no_shows), c.no_shows);
        }
        // Anyone else who can come in: transfers (sent during the warm-up
        // and admitted after it, too) and [initial] waiting patients.
        let others = s
            .units
            .iter()
            .any(|v| destination_names(s, v).contains(&s.units[i].name))
            || s.initial.waiting.iter().any(|w| w.unit == i)
            || u.relapse_referrals.is_some();
        for (streams, unit) in [
            (sum(|st| st.admitted), c.admitted),
            (sum(|st| st.turned_away), c.turned_away),
            (sum(|st| st.reneged), c.reneged),
        ] {
            if others {
                prop_assert!(streams <= unit);
            } else {
                prop_assert_eq!(streams, unit);
            }
        }
        if !others && streams.len() == 1 {
            prop_assert_eq!(streams[0].wait_days.to_bits(), u.wait_days.to_bits());
            prop_assert_eq!(
                streams[0].wait_days_p90.to_bits(),
                u.wait_days_p90.to_bits()
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(INVARIANT_CASES))]

    #[test]
    fn every_trial_keeps_the_invariants(g in scenario_gen()) {
        let s = g.scenario();
        let p = Program::new(&s);
        for t in 0..TRIALS {
            let (r, a) = run_trial_audited(&p, s.simulation.seed, t);
            check(&p, &r, &a)?;
            if t == 0 {
                let (again, audit_again) = run_trial_audited(&p, s.simulation.seed, t);
                prop_assert_eq!(format!("{r:?}"), format!("{again:?}"), "same seed, other result");
                prop_assert_eq!(a, audit_again);
                // A plain program (no relapse here) runs on a run loop of
                // its own, which must agree with the general one.
                if p.plain {
                    let general = run_trial_general(&p, s.simulation.seed, t);
                    prop_assert_eq!(format!("{r:?}"), format!("{general:?}"), "plain loop differs");
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(THREAD_CASES))]

    #[test]
    fn files_do_not_depend_on_the_thread_count(g in scenario_gen()) {
        let s = g.scenario();
        let files = |threads| {
            let mut rows = Vec::new();
            let r = trials::run(
                &s,
                &RunOptions { threads },
                &mut |t, row| {
                    rows.push(format!("{t}:{row:?}"));
                    Ok(())
                },
                &mut |_| {},
            )
            .unwrap();
            (summary_csv(&r).unwrap(), weekly_csv(&r).unwrap(), rows)
        };
        prop_assert_eq!(files(1), files(2));
    }
}

/// The generator must reach the cases the properties are about, or they
/// prove little: some scenarios with bed units waiting in place (two of
/// them holding beds in each other), holidays on
/// session days, full waitlists and reneging.
#[test]
fn the_generator_reaches_the_interesting_cases() {
    const CASES: usize = 100;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut blocked, mut turned_away, mut reneged, mut stepped, mut holidays) = (0, 0, 0, 0, 0);
    let (mut chains, mut reserved) = (0, 0);
    let (mut by_track, mut streams_apart, mut routed) = (0, 0, 0);
    let (mut relapsed, mut away, mut lost_transfers) = (0, 0, 0);
    for _ in 0..CASES {
        let g = scenario_gen().new_tree(&mut runner).unwrap().current();
        let s = g.scenario();
        holidays += usize::from(!s.calendar.holidays.is_empty());
        let p = Program::new(&s);
        let (r, audit) = run_trial_audited(&p, s.simulation.seed, 0);
        reserved += usize::from(audit.seats_reserved > 0);
        by_track += usize::from(r.units.iter().any(|u| u.tracks.len() > 1));
        streams_apart += usize::from(
            s.units
                .iter()
                .enumerate()
                .any(|(i, _)| s.referrals.iter().filter(|st| st.to == i).count() > 1),
        );
        routed += usize::from(r.units.iter().any(|u| {
            u.destinations.len() > 1
                && u.destinations[..u.destinations.len() - 1]
                    .iter()
                    .any(|&n| n > 0)
        }));
        chains +=
            usize::from(r.units.len() == 3 && r.units[1..].iter().all(|u| u.blocked_days > 0.0));
        relapsed += usize::from(audit.relapses_arrived > 0);
        away += usize::from(r.units.iter().any(|u| u.away_at_end > 0));
        let stream_no_shows: u64 = s
            .referrals
            .iter()
            .zip(&r.streams)
            .filter(|(st, _)| st.to == 0)
            .map(|(_, res)| res.no_shows)
            .sum();
        lost_transfers += usize::from(r.units[0].counts.no_shows > stream_no_shows);
        for u in &r.units {
            blocked += usize::from(u.blocked_days > 0.0);
            turned_away += usize::from(u.all.turned_away > 0);
            reneged += usize::from(u.all.reneged > 0);
            stepped += usize::from(u.all.stepped_up > 0);
        }
    }
    for (what, n) in [
        ("blocked beds", blocked),
        ("beds held in both of two bed units", chains),
        ("seats reserved for bed-holders", reserved),
        ("turned away", turned_away),
        ("reneged", reneged),
        ("stepped up", stepped),
        ("holidays", holidays),
        ("results per track", by_track),
        ("units with several referral streams", streams_apart),
        ("leavers routed on", routed),
        ("relapse referrals", relapsed),
        ("patients away at the end", away),
        ("transfers that did not show", lost_transfers),
    ] {
        assert!(n >= 2, "only {n} of {CASES} generated scenarios had {what}");
    }
}

/// The invariants of one trial of a scenario with group minimums or a
/// moving phase ([`groups_gen`]), and theirs: no group over its size or
/// out of step with its track's patients, no attendance at a group below
/// its minimum (`Audit::group_faults`), and results only where used.
fn check_groups(s: &Scenario, r: &TrialResult, a: &Audit) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.group_faults, 0, "groups out of step with their patients");
    let u = &r.units[0];
    let iop = match &s.units[0].kind {
        iopsim::scenario::UnitKind::Sessions(su) => su,
        _ => unreachable!("the generated iop is a sessions unit"),
    };
    prop_assert_eq!(u.min_size.is_some(), iop.has_min_size());
    prop_assert_eq!(u.phase_moves.is_some(), iop.moves_by_phase());
    if let Some(m) = u.min_size {
        prop_assert!(m.sessions_below_min <= a.groups_below_min);
        prop_assert!(m.group_hours_saved >= 0.0);
        if m.sessions_below_min == 0 {
            prop_assert_eq!(m.group_hours_saved, 0.0);
        }
    } else {
        prop_assert_eq!(a.groups_below_min, 0);
    }
    if let Some(m) = u.phase_moves {
        prop_assert!(m.moves <= a.track_moves);
        // Everyone moved was admitted, once per moving phase (one here).
        prop_assert!(a.track_moves <= u.all.admitted + u.in_care_at_end);
    } else {
        prop_assert_eq!(a.track_moves, 0);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(GROUPS_CASES))]

    /// Issue 19: every invariant of [`check`] (conservation, seats, the
    /// timetable, tracks adding up to the unit), and [`check_groups`].
    #[test]
    fn groups_below_minimum_and_moving_phases_keep_the_invariants(g in groups_gen()) {
        let s = g.scenario();
        let p = Program::new(&s);
        for t in 0..TRIALS {
            let (r, a) = run_trial_audited(&p, s.simulation.seed, t);
            check(&p, &r, &a)?;
            check_groups(&s, &r, &a)?;
        }
    }
}

/// [`groups_gen`] must reach groups below their minimum, regrouping,
/// moves and delayed moves, or its property proves little.
#[test]
fn the_groups_generator_reaches_its_cases() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut below, mut regrouped, mut moved, mut delayed) = (0, 0, 0, 0);
    for _ in 0..80 {
        let g = groups_gen().new_tree(&mut runner).unwrap().current();
        let s = g.scenario();
        let p = Program::new(&s);
        let (r, audit) = run_trial_audited(&p, s.simulation.seed, 0);
        below += usize::from(audit.groups_below_min > 0);
        moved += usize::from(audit.track_moves > 0);
        let u = &r.units[0];
        regrouped += usize::from(u.min_size.is_some_and(|m| m.regrouped > 0));
        delayed += usize::from(u.phase_moves.is_some_and(|m| m.delayed > 0));
    }
    for (what, n) in [
        ("groups below their minimum", below),
        ("patients regrouped", regrouped),
        ("phase moves", moved),
        ("delayed phase moves", delayed),
    ] {
        assert!(n >= 2, "only {n} of 80 generated scenarios had {what}");
    }
}
