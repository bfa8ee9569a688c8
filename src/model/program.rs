//! The scenario compiled for simulation: per-day referral rates, the session
//! calendar, seat counts. Built once per run and shared read-only by all trials.

use crate::engine::time::{DAY, MINUTE, WEEK};
use crate::engine::SimTime;
use crate::model::calendar::Calendar;
use crate::model::dist::Dist;
use crate::model::recorder::{stream_apart, Tally, NO_STREAM};
use crate::model::result::{destination_name, destination_names};
use crate::model::rng::name_key;
use crate::scenario::{
    Admission, ClassCare, Episode, ReferralStream, Scenario, SessionUnit, TrackChoice, Unit,
    UnitKind,
};
use rand_distr::Beta;

#[derive(Debug, Clone)]
pub struct StreamPlan {
    /// Hash of the stream's name: keys its random streams.
    pub key: u64,
    /// Referral rate per second on each simulated day.
    pub rate_per_sec: Vec<f64>,
    /// How the recorder counts the stream's patients at their first unit:
    /// the stream's index if it is counted apart from its unit, else
    /// [`NO_STREAM`] (its figures are the unit's).
    pub tally: Tally,
}

#[derive(Debug, Clone)]
pub struct TrackPlan {
    /// Weekdays (0 = Mon) with a session, ascending.
    pub days: Vec<usize>,
    /// Seconds after midnight.
    pub start: u64,
    pub duration: u64,
    pub hours: f64,
    pub groups: u32,
    pub group_size: u32,
    pub room: Option<usize>,
    /// Fewest patients a group needs to meet; 0: no minimum.
    pub min_size: u32,
}

#[derive(Debug, Clone)]
pub struct UnitPlan {
    /// For beds: one pseudo-track with one group of `capacity` seats.
    pub tracks: Vec<TrackPlan>,
    /// Cumulative track shares, for choosing a track.
    pub track_cdf: Vec<f64>,
    pub admits_on_arrival: bool,
    pub is_sessions: bool,
    pub seats: u64,
    /// Closed cohorts (`admission = "cohort"`): when each group admits.
    pub cohort: Option<CohortPlan>,
    /// For each entry of the unit's routing map (`on_discharge` or
    /// `on_completion`), and for its step-up destination: the index of
    /// that destination in [`destination_names`], where the recorder
    /// counts those who go there.
    ///
    /// After the map's entries come those of `on_stepup`, `on_dropout` and
    /// `on_admin_discharge` (sessions units), from `stepup_at`,
    /// `dropout_at` and `admin_at`.
    pub route_dest: Vec<u32>,
    pub stepup_dest: u32,
    pub stepup_at: u32,
    pub dropout_at: u32,
    pub admin_at: u32,
    /// The index of `home`: the last destination.
    pub home_dest: u32,
    /// What a patient gets here, by class tag: `care[0]` for a patient of
    /// no class (the unit's own figures), `care[c + 1]` for class `c`.
    pub care: Vec<Care>,
    /// Some patient here may take a seat in another track than their own
    /// ([`TrackChoice`]): sessions fill from every track's waitlist.
    pub flexible: bool,
    /// Some patient here completes after a number of sessions attended
    /// (`episode = { sessions = N }`, the unit's or a class's).
    pub by_sessions: bool,
}

/// What a patient of one class (or of none) gets in one unit: the unit's
/// figures with the class's overrides, resolved once.
#[derive(Debug, Clone)]
pub struct Care {
    /// Mean attendance (a sessions unit's).
    pub attendance: f64,
    /// Each patient's own attendance is drawn from this, where patients differ.
    pub attendance_beta: Option<Beta<f64>>,
    /// A sessions unit's episode (`None` for beds: their `stay`).
    pub episode: Option<Episode>,
    pub dropout_weekly: Vec<f64>,
    pub stepup_weekly: f64,
    /// Some weekly hazard is above 0.
    pub hazards: bool,
    /// Cumulative track shares, for choosing a track.
    pub track_cdf: Vec<f64>,
    /// Per track: whether the patient would take a seat in it (share > 0).
    pub accepts: Vec<bool>,
    /// Seconds of waiting after which they take a seat in another track
    /// they accept; `None`: never (their own track only).
    pub flex_after: Option<u64>,
    pub patience: Option<Dist>,
}

impl Care {
    fn new(unit: &Unit, class: Option<&ClassCare>) -> Care {
        let patience = class
            .and_then(|c| c.patience.clone())
            .or_else(|| unit.waitlist.patience.clone());
        let UnitKind::Sessions(su) = &unit.kind else {
            return Care {
                attendance: 1.0,
                attendance_beta: None,
                episode: None,
                dropout_weekly: Vec::new(),
                stepup_weekly: 0.0,
                hazards: false,
                track_cdf: vec![1.0],
                accepts: vec![true],
                flex_after: None,
                patience,
            };
        };
        let c = class.cloned().unwrap_or_default();
        let attendance = c.attendance.unwrap_or(su.attendance);
        let sd = c.attendance_sd.unwrap_or(su.attendance_sd);
        let dropout_weekly = c
            .dropout_weekly
            .unwrap_or_else(|| su.dropout_weekly.clone());
        let stepup_weekly = c.stepup_weekly.unwrap_or(su.stepup_weekly);
        let shares: Vec<f64> = c
            .track_shares
            .unwrap_or_else(|| su.tracks.iter().map(|t| t.share).collect());
        let choice = c.track_choice.unwrap_or(su.track_choice);
        Care {
            attendance,
            attendance_beta: beta(attendance, sd),
            episode: Some(c.episode.unwrap_or_else(|| su.episode.clone())),
            hazards: stepup_weekly > 0.0 || dropout_weekly.iter().any(|&h| h > 0.0),
            dropout_weekly,
            stepup_weekly,
            track_cdf: cdf(&shares),
            accepts: shares.iter().map(|&x| x > 0.0).collect(),
            flex_after: match choice {
                TrackChoice::Preferred => None,
                TrackChoice::FirstAvailable => Some(0),
                TrackChoice::AfterDays(d) => Some(crate::engine::time::days_to_secs(d)),
            },
            patience,
        }
    }
}

/// The beta distribution with `mean` and `sd`, if `sd` > 0 (validation
/// keeps it below sqrt(mean x (1 - mean))).
fn beta(mean: f64, sd: f64) -> Option<Beta<f64>> {
    if sd <= 0.0 {
        return None;
    }
    let k = mean * (1.0 - mean) / (sd * sd) - 1.0;
    Beta::new(mean * k, (1.0 - mean) * k).ok()
}

/// Cumulative shares, the last made infinite: rounding must never leave a
/// draw unassigned.
fn cdf(shares: &[f64]) -> Vec<f64> {
    let mut acc = 0.0;
    let mut cdf: Vec<f64> = shares
        .iter()
        .map(|s| {
            acc += s;
            acc
        })
        .collect();
    if let Some(last) = cdf.last_mut() {
        *last = f64::INFINITY;
    }
    cdf
}

/// The cares of `unit` (index `u`): no class's, then each class's.
fn cares(s: &Scenario, u: usize, unit: &Unit) -> Vec<Care> {
    std::iter::once(Care::new(unit, None))
        .chain(
            s.classes
                .iter()
                .map(|c| Care::new(unit, c.care.get(u).and_then(Option::as_ref))),
        )
        .collect()
}

/// Whether some patient of `su` may take another track's seat.
fn flexible(su: &SessionUnit, care: &[Care]) -> bool {
    su.tracks.len() > 1 && care.iter().any(|c| c.flex_after.is_some())
}

/// Whether some patient of unit `u` may take a seat in another track than
/// their own (the plan's `flexible`, from the scenario alone).
pub fn takes_other_tracks(s: &Scenario, u: usize) -> bool {
    let UnitKind::Sessions(su) = &s.units[u].kind else {
        return false;
    };
    let choices = std::iter::once(su.track_choice).chain(
        s.classes
            .iter()
            .filter_map(|c| c.care.get(u)?.as_ref()?.track_choice),
    );
    su.tracks.len() > 1 && choices.into_iter().any(|c| c != TrackChoice::Preferred)
}

/// The cohort calendar of a unit: cohort weeks are counted in whole weeks
/// from the simulated day `anchor_day` (the first cohort's date, negative
/// when it falls before the warm-up), so they sit on the same dates
/// whatever the warm-up.
#[derive(Debug, Clone, Copy)]
pub struct CohortPlan {
    pub every_weeks: u32,
    pub anchor_day: i64,
}

impl CohortPlan {
    /// Whether group `group` of a track of `groups` admits at a session on
    /// simulated day `day`: in the first week of each of its cohorts. The
    /// groups of a track are staggered over the cycle, group `g` starting
    /// `g x every_weeks / groups` weeks (rounded down) after the anchor.
    pub fn admits(&self, group: u32, groups: u32, day: u64) -> bool {
        let every = i64::from(self.every_weeks);
        let offset = i64::from(group) * every / i64::from(groups.max(1));
        let week = (day as i64 - self.anchor_day).div_euclid(7);
        (week - offset).rem_euclid(every) == 0
    }
}

pub struct Program<'s> {
    pub scenario: &'s Scenario,
    pub calendar: Calendar,
    pub streams: Vec<StreamPlan>,
    pub units: Vec<UnitPlan>,
    pub warmup_end: SimTime,
    pub horizon: SimTime,
    pub warmup_weeks: usize,
    pub weeks: usize,
    pub total_weeks: usize,
    /// No patient has a class (the scenario names none) and no unit has a
    /// relapse: each trial runs on the run loop that leaves out their
    /// tests (`Clinic`'s `PLAIN`).
    pub plain: bool,
}

/// Expected referrals of stream `r` on simulated day `d`: the weekly rate
/// spread over the weekdays by their weights, times the month's factor and
/// the growth since `start_date`. The one formula for the rates simulated
/// and for the totals that validation and `iopsim check` bound.
pub fn referrals_on_day(r: &ReferralStream, calendar: &Calendar, d: u64) -> f64 {
    let wsum: f64 = r.weekdays.iter().sum();
    let wd = r.weekdays[calendar.weekday(d)] * 7.0 / wsum;
    let month = r.months[calendar.month0(d)];
    // pow(1, y) is exactly 1: skipped, since a trial's program is built
    // anew when its inputs are uncertain.
    let growth = if r.growth_per_year == 0.0 {
        1.0
    } else {
        (1.0 + r.growth_per_year).powf(calendar.years_since_start(d))
    };
    r.per_week / 7.0 * wd * month * growth
}

/// Expected referrals of stream `r` over the whole horizon of `calendar`
/// (warm-up included). Infinite or NaN when a day's rate overflows.
pub fn expected_referrals(r: &ReferralStream, calendar: &Calendar) -> f64 {
    (0..calendar.total_days)
        .map(|d| referrals_on_day(r, calendar, d))
        .sum()
}

impl<'s> Program<'s> {
    pub fn new(s: &'s Scenario) -> Program<'s> {
        let sim = &s.simulation;
        let total_weeks = s.total_weeks();
        let calendar = Calendar::new(
            sim.start_date,
            sim.warmup_weeks,
            total_weeks,
            &s.calendar.holidays,
            s.calendar.us_federal_holidays,
        );
        let streams = s
            .referrals
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let rate_per_sec = (0..calendar.total_days)
                    .map(|d| {
                        let per_day = referrals_on_day(r, &calendar, d);
                        // Validation bounds the whole horizon's referrals
                        // (`expected_referrals`), so a positive rate is never
                        // dropped here; the test only keeps 0 and NaN out.
                        if per_day.is_finite() && per_day > 0.0 {
                            per_day / DAY as f64
                        } else {
                            0.0
                        }
                    })
                    .collect();
                StreamPlan {
                    key: name_key(&r.name),
                    rate_per_sec,
                    tally: if stream_apart(s, i) {
                        i as Tally
                    } else {
                        NO_STREAM
                    },
                }
            })
            .collect();
        let units = s
            .units
            .iter()
            .enumerate()
            .map(|(ui, u)| {
                let names = destination_names(s, u);
                let index = |d| {
                    names
                        .iter()
                        .position(|n| n == destination_name(s, d))
                        .unwrap_or(0) as u32
                };
                let (routing, stepup) = match &u.kind {
                    UnitKind::Beds(b) => (&b.on_discharge, None),
                    UnitKind::Sessions(su) => (&su.on_completion, Some(&su.stepup_to)),
                };
                let mut route_dest: Vec<u32> =
                    routing.shares.iter().map(|(d, _)| index(d)).collect();
                let stepup_dest = stepup.map_or(0, index);
                let mut offsets = [route_dest.len() as u32; 3];
                if let UnitKind::Sessions(su) = &u.kind {
                    let empty = crate::scenario::Routing::default();
                    let maps = [
                        su.on_stepup.as_ref().unwrap_or(&empty),
                        &su.on_dropout,
                        &su.on_admin_discharge,
                    ];
                    for (k, map) in maps.into_iter().enumerate() {
                        offsets[k] = route_dest.len() as u32;
                        route_dest.extend(map.shares.iter().map(|(d, _)| index(d)));
                    }
                }
                let mut plan = match &u.kind {
                    UnitKind::Beds(b) => UnitPlan {
                        tracks: vec![TrackPlan {
                            days: Vec::new(),
                            start: 0,
                            duration: 0,
                            hours: 0.0,
                            groups: 1,
                            group_size: b.capacity,
                            room: None,
                            min_size: 0,
                        }],
                        track_cdf: vec![1.0],
                        admits_on_arrival: true,
                        is_sessions: false,
                        seats: u64::from(b.capacity),
                        cohort: None,
                        route_dest: Vec::new(),
                        stepup_dest: 0,
                        stepup_at: 0,
                        dropout_at: 0,
                        admin_at: 0,
                        home_dest: 0,
                        care: Vec::new(),
                        flexible: false,
                        by_sessions: false,
                    },
                    UnitKind::Sessions(su) => {
                        let tracks: Vec<TrackPlan> = su
                            .tracks
                            .iter()
                            .map(|t| TrackPlan {
                                days: t
                                    .days
                                    .iter()
                                    .map(|d| d.num_days_from_monday() as usize)
                                    .collect(),
                                start: u64::from(t.start_minute) * MINUTE,
                                duration: (t.hours * 3600.0).round() as u64,
                                hours: t.hours,
                                groups: t.groups,
                                group_size: t.group_size,
                                room: t.room,
                                min_size: t.min_size.unwrap_or(0),
                            })
                            .collect();
                        let shares: Vec<f64> = su.tracks.iter().map(|t| t.share).collect();
                        let track_cdf = cdf(&shares);
                        let seats = tracks
                            .iter()
                            .map(|t| u64::from(t.groups * t.group_size))
                            .sum();
                        let cohort = match su.admission {
                            Admission::Cohort { every_weeks, first } => Some(CohortPlan {
                                every_weeks,
                                anchor_day: (first.unwrap_or(sim.start_date) - calendar.day0)
                                    .num_days(),
                            }),
                            _ => None,
                        };
                        UnitPlan {
                            tracks,
                            track_cdf,
                            admits_on_arrival: su.admission == Admission::Continuous,
                            is_sessions: true,
                            seats,
                            cohort,
                            route_dest: Vec::new(),
                            stepup_dest: 0,
                            stepup_at: 0,
                            dropout_at: 0,
                            admin_at: 0,
                            home_dest: 0,
                            care: Vec::new(),
                            flexible: false,
                            by_sessions: false,
                        }
                    }
                };
                plan.route_dest = route_dest;
                plan.stepup_dest = stepup_dest;
                [plan.stepup_at, plan.dropout_at, plan.admin_at] = offsets;
                plan.home_dest = (names.len() - 1) as u32;
                plan.care = cares(s, ui, u);
                plan.by_sessions = plan
                    .care
                    .iter()
                    .any(|c| matches!(c.episode, Some(Episode::Sessions(_))));
                if let UnitKind::Sessions(su) = &u.kind {
                    plan.flexible = flexible(su, &plan.care);
                }
                plan
            })
            .collect();
        Program {
            scenario: s,
            calendar,
            streams,
            units,
            warmup_end: SimTime::from_weeks(u64::from(sim.warmup_weeks)),
            horizon: SimTime::from_weeks(u64::from(total_weeks)),
            warmup_weeks: sim.warmup_weeks as usize,
            weeks: sim.weeks as usize,
            total_weeks: total_weeks as usize,
            plain: s.classes.is_empty() && s.units.iter().all(|u| u.relapse.is_none()),
        }
    }

    /// The first session of a track strictly after day `after` (or on day 0 if
    /// `after` is `None`), as (day, time).
    pub fn next_session(&self, track: &TrackPlan, after: Option<u64>) -> Option<SimTime> {
        let first = after.map_or(0, |d| d + 1);
        for day in first..(first + 7).min(self.calendar.total_days) {
            if track.days.contains(&self.calendar.weekday(day)) {
                let t = SimTime(day * DAY + track.start);
                return (t < self.horizon).then_some(t);
            }
        }
        None
    }

    /// Index of the reported week of `t`, if it is in the reported horizon.
    pub fn reported_week(&self, t: SimTime) -> Option<usize> {
        (t >= self.warmup_end && t < self.horizon)
            .then(|| ((t.0 - self.warmup_end.0) / WEEK) as usize)
    }
}
