//! The trial's monitor: the clinic reports what happens, the recorder keeps
//! counts and time-weighted levels by week, and turns them into a
//! [`TrialResult`] at the end. It never formats output.

use crate::engine::time::{secs_to_days, DAY, WEEK};
use crate::engine::SimTime;
use crate::model::clinic::Exit;
use crate::model::finance::{FinancePlan, UnitWeekActivity};
use crate::model::program::Program;
use crate::model::result::{
    destination_names, has_facilitators, has_track_results, relapse_target, CaseloadResult,
    ClassResult, IntakeResult, Readmissions, RoomResult, RosterResult, StaffResult, StreamResult,
    TrackResult, TrialResult, UnitCounts, UnitResult, UnitWeekly,
};
use crate::model::result::{MinSizeResult, PhaseMoveResult};
use crate::model::staffing;
use crate::scenario::{Activity, Destination, Scenario, UnitKind, Workload};
use crate::stats::quantile_of;

/// A piecewise-constant level (census, waitlist) integrated over time, with
/// the integral split by simulated week.
///
/// Each week's entry is kept as if the current value held to the end of the
/// week, and a change corrects it by `delta` x the seconds left: one product
/// and one addition per change, with no integration step. Every term is a
/// whole number of value-seconds far below 2^53, so the f64 sums are exact
/// and equal, bit for bit, to integrating span by span.
#[derive(Debug, Clone)]
struct Level {
    value: i64,
    /// The week of the last change, and that week's end in seconds.
    week: usize,
    week_end: u64,
    /// That week's value x seconds, projected to its end: kept here, not in
    /// `area`, so a change indexes nothing (it was 2% of an M/M/1 run).
    current: f64,
    /// value x seconds, per simulated week, complete once
    /// [`Level::close`]d (the current week's is in `current` until then).
    area: Vec<f64>,
    /// Highest and lowest value ever taken, for the [`Audit`].
    peak: i64,
    low: i64,
}

impl Level {
    fn new(weeks: usize) -> Level {
        Level {
            value: 0,
            week: 0,
            week_end: WEEK,
            current: 0.0,
            area: vec![0.0; weeks],
            peak: 0,
            low: 0,
        }
    }

    /// Moves to the week holding `now` (after the current one): the weeks
    /// passed since held `value` throughout.
    #[cold]
    fn roll(&mut self, now: u64) {
        self.store_current();
        let to = (now / WEEK) as usize;
        let full = (self.value * WEEK as i64) as f64;
        for w in self.week + 1..to {
            if let Some(a) = self.area.get_mut(w) {
                *a = full;
            }
        }
        self.current = full;
        self.week = to;
        self.week_end = (to as u64 + 1) * WEEK;
    }

    /// Moves to the week holding `now`, if it is a later one.
    #[inline]
    fn reach(&mut self, now: SimTime) {
        if now.0 >= self.week_end {
            self.roll(now.0);
        }
    }

    #[inline]
    fn change(&mut self, now: SimTime, delta: i64) {
        self.reach(now);
        // Spans are far below 2^63 s: through i64, the conversion is one
        // instruction on x86-64.
        self.current += (delta * (self.week_end - now.0) as i64) as f64;
        self.value += delta;
        // A rise can only set a new peak and a fall a new low; with the
        // constant delta of each call site, one of the two folds away.
        if delta > 0 {
            self.peak = self.peak.max(self.value);
        } else {
            self.low = self.low.min(self.value);
        }
    }

    /// Ends the integral at `end` (no change comes after it): the weeks up
    /// to `end` are filled in and the part of its week beyond it taken off.
    fn close(&mut self, end: u64) {
        if end >= self.week_end {
            self.roll(end);
        }
        self.current -= (self.value * (self.week_end - end) as i64) as f64;
        self.store_current();
    }

    /// Writes the current week's area into its place (a week past the last
    /// simulated one has none).
    fn store_current(&mut self) {
        if let Some(a) = self.area.get_mut(self.week) {
            *a = self.current;
        }
    }
}

#[derive(Debug, Clone, Default)]
struct SessionWeek {
    seats_offered: u64,
    enrolled: u64,
    expected: u64,
    attended: u64,
    groups_held: u64,
    /// Hours of group session held: each group held x its track's `hours`
    /// (workload `per_session_hour`).
    group_hours: f64,
    /// Attended patient-sessions x the session's hours (billing per hour).
    attended_hours: f64,
    /// Empty seats at the groups held x the session's hours.
    empty_seat_hours: f64,
}

impl SessionWeek {
    /// A session of `hours`: `held` groups, `attended` patients and `empty`
    /// seats at the groups held. Out of line: only a scenario that asks
    /// for hours ([`TrackInfo`]'s `count_hours`) comes here.
    #[cold]
    #[inline(never)]
    fn add_hours(&mut self, hours: f64, held: u32, attended: u32, empty: u32) {
        self.group_hours += f64::from(held) * hours;
        self.attended_hours += f64::from(attended) * hours;
        self.empty_seat_hours += f64::from(empty) * hours;
    }
}

/// A track's part of its unit's record, kept for a unit with
/// [`has_track_results`].
#[derive(Debug, Clone)]
struct TrackRec {
    census: Level,
    waitlist: Level,
    admissions: Vec<u64>,
    /// Reported waits in whole seconds, as [`UnitRec::waits`].
    waits: Vec<u64>,
    reneged: u64,
    reneged_at_warmup_end: u64,
    /// Over the reported weeks: seats offered at the groups held, and enrolled.
    seats_offered: u64,
    enrolled: u64,
}

impl TrackRec {
    fn new(weeks: usize) -> TrackRec {
        TrackRec {
            census: Level::new(weeks),
            waitlist: Level::new(weeks),
            admissions: vec![0; weeks],
            waits: Vec::new(),
            reneged: 0,
            reneged_at_warmup_end: 0,
            seats_offered: 0,
            enrolled: 0,
        }
    }
}

/// A referral stream's record. A stream that is its unit's only way in
/// (no other stream, no transfers, no `[initial]` waiting patients) is not
/// counted apart: its figures are the unit's, taken from it at the end, so
/// that the common one-stream model (M/M/c) pays nothing for them.
#[derive(Debug, Clone)]
struct StreamRec {
    unit: usize,
    apart: bool,
    /// The unit's counts that a stream has (referrals, no-shows, turned
    /// away, reneged, admitted); the others stay 0.
    all: UnitCounts,
    at_warmup_end: UnitCounts,
    waits: Vec<u64>,
}

/// What the recorder keeps of a patient class: counts over every unit,
/// waits of its admissions, and how many are in care anywhere.
#[derive(Debug, Clone)]
struct ClassRec {
    all: UnitCounts,
    at_warmup_end: UnitCounts,
    waits: Vec<u64>,
    census: Level,
}

/// A patient's class, for the recorder: 0 for none, else the class's
/// index + 1.
pub type ClassTag = u16;

/// A patient's stream, for the recorder: the stream's index if it is
/// counted apart and this is the patient's first unit, else [`NO_STREAM`];
/// or, for a patient referred again after a relapse and not yet admitted,
/// their readmission ticket (from [`TICKET_BASE`] on: see
/// [`Recorder::relapse_drawn`]), counted for no stream.
pub type Tally = u32;
/// The first readmission ticket: far above any stream's index.
pub const TICKET_BASE: Tally = 1 << 31;
/// Not counted for any stream: transfers, `[initial]` patients, and the
/// patients of a stream whose figures are its unit's.
pub const NO_STREAM: Tally = Tally::MAX;

#[derive(Debug, Clone)]
struct UnitRec {
    census: Level,
    waitlist: Level,
    blocked: Level,
    /// Whether `tracks` is kept ([`has_track_results`]).
    by_track: bool,
    tracks: Vec<TrackRec>,
    /// Leavers by destination, by index in [`destination_names`] (home
    /// last), but for those who go home, who are in `home`.
    routed: Vec<u64>,
    home: u64,
    home_at_warmup_end: u64,
    routed_at_warmup_end: Vec<u64>,
    all: UnitCounts,
    /// `all` when reporting began (all zero if it began at time 0).
    at_warmup_end: UnitCounts,
    admissions: Vec<u64>,
    /// Reported waits in whole seconds, in order of admission: integers sort
    /// by radix, and the days are computed from them at the end.
    waits: Vec<u64>,
    stay_sum: f64,
    stay_n: u64,
    sessions: Vec<SessionWeek>,
    /// Group minimums and moving phases, for a unit that has them.
    groups: Option<Box<GroupsRec>>,
}

/// What a unit with group minimums or moving phases counts, while
/// reporting (`issue 19`).
#[derive(Debug, Clone, Default)]
struct GroupsRec {
    /// Some track has a `min_size`; some phase moves patients.
    min_size: bool,
    phase_moves: bool,
    /// Per track: the `group_session` workload's hours of one group session.
    session_hours: Vec<f64>,
    below_min: u64,
    hours_saved: f64,
    regrouped: u64,
    moves: u64,
    delayed: u64,
}

/// Marks a stay kept for [`PhaseStays`] that is taken away: the part of a
/// stay before a patient moved to the track ([`Recorder::track_move`]).
const TAKEN: u32 = 1 << 31;

#[derive(Debug, Clone, Default)]
struct RoomWeek {
    seat_hours: f64,
    used_hours: f64,
}

/// Invariant counters, always kept (a comparison or two per event) so that
/// tests can check the model's rules on any scenario (`tests/properties.rs`).
/// In a correct model both counts are 0, every peak is within the unit's
/// seats or beds and no level goes below 0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audit {
    /// Attendances at a session held on a holiday, on a weekday or at a time
    /// not in the track's timetable, or by a patient who is not in care in
    /// that unit and track.
    pub misplaced_attendances: u64,
    /// Admissions timed before the patient's referral to the unit.
    pub negative_waits: u64,
    /// Per unit: the highest number in care at any instant.
    pub peak_census: Vec<i64>,
    /// Per unit: the lowest census, waitlist or blocked-bed level at any instant.
    pub lowest_level: Vec<i64>,
    /// Patients who gave up waiting while they kept a bed elsewhere or had
    /// a seat reserved (`handoff = "wait_in_place"`): they are in care.
    pub reneged_while_placed: u64,
    /// Seats reserved for a patient who had one already or in a group that
    /// had none left, groups over full when reserved seats are taken up,
    /// and reserved seats taken up at another session than their own.
    pub seats_overbooked: u64,
    /// Seats reserved for bed-holders (not an invariant: shows the rule ran).
    pub seats_reserved: u64,
    /// Where groups are regrouped or patients move track (issue 19): a
    /// group over its size, a track whose groups do not hold exactly its
    /// enrolled and reserved patients, or a session with groups below
    /// their minimum that counts more attendances than patients in the
    /// groups held.
    pub group_faults: u64,
    /// Group sessions below their minimum and patients moved by a phase,
    /// reporting or not (not invariants: show the rules ran).
    pub groups_below_min: u64,
    pub track_moves: u64,
    /// Relapses drawn (whole run), and of them those that came (their
    /// referral happened before the horizon): the rest are away at the end
    /// ([`UnitResult::away_at_end`]).
    pub relapses_drawn: u64,
    pub relapses_arrived: u64,
}

pub struct Recorder {
    audit: Audit,
    horizon: SimTime,
    /// Past the warm-up: set by [`Recorder::start_reporting`], or from the
    /// start if there is no warm-up.
    reporting: bool,
    warmup_weeks: usize,
    weeks: usize,
    units: Vec<UnitRec>,
    rooms: Vec<Vec<RoomWeek>>,
    track_rooms: Vec<Vec<TrackInfo>>,
    room_seats: Vec<u32>,
    session_units: Vec<bool>,
    streams: Vec<StreamRec>,
    /// Per patient class; empty without classes.
    classes: Vec<ClassRec>,
    program_staff: Vec<StaffPlan>,
    finance: Option<FinancePlan>,
    /// Whether some unit keeps its stays ([`PhaseStays`]).
    keeps_stays: bool,
    /// Per unit, where kept.
    stays: Vec<Option<PhaseStays>>,
    /// When reporting begins, in seconds.
    report_from: u64,
    /// The `individual` workload entries restricted to a track or stepping
    /// down by phase, for the individual fee: (unit, scope, every_weeks, share).
    scoped_individual: Vec<(Option<usize>, Scope, f64, f64)>,
    /// Intakes, rosters and caseloads (`model::staffing`); `None` for a
    /// scenario that uses none of them.
    staffing: Option<Box<StaffRec>>,
    /// Step-ups by destination, relapses and readmissions; `None` for a
    /// scenario with neither `on_stepup` nor `relapse`.
    routing: Option<Box<RoutingRec>>,
}

/// What the recorder keeps of `on_stepup` and `relapse` (issue 19).
/// Counts are of the reported horizon only.
struct RoutingRec {
    /// Per unit: step-ups per entry of its `on_stepup` (empty without).
    stepped_up_to: Vec<Vec<u64>>,
    /// Per unit: `Some(relapse referrals)` where some relapse refers to it.
    relapse_referrals: Vec<Option<u64>>,
    /// Per unit: `Some` where the unit has a relapse.
    readmit: Vec<Option<ReadmitRec>>,
    /// Readmission tickets: (unit gone home from, when, in seconds);
    /// `FREE` marks one not in use, listed in `free`.
    tickets: Vec<(u32, u64)>,
    free: Vec<u32>,
}

const FREE: u32 = u32::MAX;
const DAYS_30: u64 = 30 * DAY;
const DAYS_90: u64 = 90 * DAY;

/// A unit's readmissions: of its home exits in the reported horizon,
/// those admitted again within 30 / 90 days; and for the rates, those of
/// the exits at least 30 / 90 days before the horizon (the cohorts).
#[derive(Default, Clone, Copy)]
struct ReadmitRec {
    within_30: u64,
    within_90: u64,
    cohort_30: u64,
    cohort_90: u64,
    cohort_hits_30: u64,
    cohort_hits_90: u64,
}

/// What the recorder keeps of staff as a constraint.
struct StaffRec {
    units: Vec<IntakeRec>,
    roles: Vec<RoleRec>,
}

#[derive(Default)]
struct IntakeRec {
    /// Some track needs facilitators.
    facilitated: bool,
    /// The unit has an intake: its role, if any, and hours per appointment.
    intake: Option<(Option<usize>, f64)>,
    /// Referral-to-appointment waits of the appointments due while
    /// reporting, in whole seconds.
    waits: Vec<u64>,
    no_shows: u64,
    /// Appointments attended per simulated week (their clinician hours).
    attended: Vec<u64>,
    /// Offered and booked on the reported days.
    slots: (u64, u64),
    cancelled: u64,
}

struct RoleRec {
    rostered: bool,
    capped: bool,
    hours_per_fte: f64,
    on_duty: Vec<f64>,
    cancelled: u64,
    caseload: Level,
    full: Level,
    is_full: bool,
    cap: u32,
    held_back: u64,
    /// Hours of facilitation and fixed intake appointments the timetable
    /// asks of the role each week.
    timetable_hours: f64,
}

impl UnitRec {
    #[inline(never)]
    fn track_census_change(&mut self, track: usize, now: SimTime, delta: i64) {
        self.tracks[track].census.change(now, delta);
    }

    #[inline(never)]
    fn track_waitlist_change(&mut self, track: usize, now: SimTime, delta: i64) {
        self.tracks[track].waitlist.change(now, delta);
    }
}

/// Whether referral stream `stream` must be counted apart from its unit:
/// unless it is the unit's only way in ([`StreamPlan::tally`](crate::model::program::StreamPlan)).
pub fn stream_apart(s: &Scenario, stream: usize) -> bool {
    let unit = s.referrals[stream].to;
    let others = s
        .referrals
        .iter()
        .enumerate()
        .any(|(i, r)| i != stream && r.to == unit);
    let into = |d: &Destination| *d == Destination::Unit(unit);
    let transfers = s.units.iter().any(|u| match &u.kind {
        UnitKind::Beds(b) => b.on_discharge.shares.iter().any(|(d, _)| into(d)),
        UnitKind::Sessions(su) => {
            (su.on_stepup.is_none() && into(&su.stepup_to))
                || su
                    .on_completion
                    .shares
                    .iter()
                    .chain(su.on_stepup.iter().flat_map(|r| &r.shares))
                    .chain(&su.on_dropout.shares)
                    .chain(&su.on_admin_discharge.shares)
                    .any(|(d, _)| into(d))
        }
    }) || relapse_target(s, unit);
    let initial = s.initial.waiting.iter().any(|w| w.unit == unit);
    others || transfers || initial
}

/// What the recorder needs to know of a track to count seats and room use.
#[derive(Debug, Clone, Copy)]
struct TrackInfo {
    room: Option<usize>,
    hours: f64,
    group_size: u32,
    /// Whether its sessions are counted in hours too ([`SessionWeek`]'s
    /// `group_hours`, `attended_hours`, `empty_seat_hours`): only if a
    /// workload entry or a payer needs them.
    count_hours: bool,
}

struct StaffPlan {
    /// Hours on staff per week (FTE x hours per FTE).
    hours_per_week: f64,
    hours_per_fte: f64,
    /// (activity, unit filter, hours x share, every_weeks) per plain entry,
    /// and the fixed part (`extra`) of a group session's table.
    items: Vec<(Activity, Option<usize>, f64, f64)>,
    /// The parts that follow the timetable: a group session's
    /// `per_session_hour`, per-patient entries by track or by phase.
    /// Apart, so that a plan without them sums exactly as it always did.
    timed: Vec<Timed>,
}

/// A workload entry's part that follows the timetable.
#[derive(Debug, Clone)]
enum Timed {
    /// A group session's `per_session_hour` x share: per hour of group
    /// session held in the unit (all units if `None`).
    SessionHours { unit: Option<usize>, per_hour: f64 },
    /// A per-patient entry by track or by phase: hours x share per
    /// occurrence.
    Patients {
        unit: Option<usize>,
        hours: f64,
        every: f64,
        scope: Scope,
    },
}

#[derive(Debug, Clone)]
struct Scope {
    track: Option<usize>,
    /// `every_weeks` before the first phase and in each; empty: `every` throughout.
    by_phase: Vec<f64>,
}

impl Scope {
    /// A per-patient entry's track or phases, if it has either ([`Workload::scoped`]).
    fn of(w: &Workload) -> Option<Scope> {
        (w.activity.per_patient() && w.scoped()).then(|| Scope {
            track: w.track,
            by_phase: w.every_weeks_by_phase.clone(),
        })
    }
}

impl StaffPlan {
    fn new(s: &Scenario, role: usize) -> StaffPlan {
        let st = &s.staff[role];
        let mut items = Vec::new();
        let mut timed = Vec::new();
        for w in s.workload.iter().filter(|w| w.role == role) {
            let (unit, hours) = (w.unit, w.hours * w.share);
            match Scope::of(w) {
                Some(scope) => timed.push(Timed::Patients {
                    unit,
                    hours,
                    every: w.every_weeks,
                    scope,
                }),
                None => items.push((w.activity, unit, hours, w.every_weeks)),
            }
            if w.activity == Activity::GroupSession && w.per_session_hour != 0.0 {
                timed.push(Timed::SessionHours {
                    unit,
                    per_hour: w.per_session_hour * w.share,
                });
            }
        }
        StaffPlan {
            hours_per_week: st.fte * st.hours_per_fte,
            hours_per_fte: st.hours_per_fte,
            items,
            timed,
        }
    }
}

/// The stays of a sessions unit whose census a workload entry wants by
/// phase (`every_weeks_by_phase`), integrated per week and phase at the
/// end. Kept for such units only: any other sessions unit's leaver pays
/// one test, a bed unit's (M/M/c's) none.
#[derive(Debug, Clone)]
struct PhaseStays {
    /// Seconds after admission at which each phase begins: (from_week - 1) x WEEK.
    starts: Vec<i64>,
    /// Tracks of the unit.
    tracks: usize,
    /// (track, admission instant, end) in seconds; the admission is before
    /// 0 for the `[initial]` state's patients. Stays that ended before
    /// reporting began are not kept.
    stays: Vec<(u32, i64, u64)>,
}

impl PhaseStays {
    /// Patient-weeks in care per track, per phase (0: before the first)
    /// and per week of `rep`. A patient is in phase k from week
    /// `from_week` of their stay, as `Clinic::on_session` counts weeks,
    /// and in care from admission to leaving, as the census counts them:
    /// the seconds are whole, so a week's phases add up to its census
    /// exactly.
    fn patient_weeks(&self, rep: std::ops::Range<usize>) -> Vec<Vec<Vec<f64>>> {
        let n = rep.len();
        let phases = self.starts.len() + 1;
        let mut secs = vec![vec![vec![0u64; n]; phases]; self.tracks];
        let (from, to) = (rep.start as u64 * WEEK, rep.end as u64 * WEEK);
        for &(track, admitted, end) in &self.stays {
            // A taken part is subtracted; the stay it is part of adds it
            // (sums modulo 2^64, exact once both are in).
            let (track, taken) = (track & !TAKEN, track & TAKEN != 0);
            let Some(by_phase) = secs.get_mut(track as usize) else {
                continue;
            };
            for (k, weeks) in by_phase.iter_mut().enumerate() {
                let start = if k == 0 { 0 } else { self.starts[k - 1] };
                let stop = self.starts.get(k).copied().unwrap_or(i64::MAX);
                // [admitted + start, admitted + stop) within [from, min(end, to)).
                let lo = admitted.saturating_add(start).max(from as i64) as u64;
                let hi = (admitted.saturating_add(stop).max(0) as u64)
                    .min(end)
                    .min(to);
                let mut t = lo;
                while t < hi {
                    let week = (t / WEEK) as usize;
                    let next = ((week as u64 + 1) * WEEK).min(hi);
                    let w = &mut weeks[week - rep.start];
                    *w = if taken {
                        w.wrapping_sub(next - t)
                    } else {
                        w.wrapping_add(next - t)
                    };
                    t = next;
                }
            }
        }
        secs.iter()
            .map(|p| {
                p.iter()
                    .map(|w| w.iter().map(|&x| x as f64 / WEEK as f64).collect())
                    .collect()
            })
            .collect()
    }
}

impl Recorder {
    pub fn new(p: &Program) -> Recorder {
        let s = p.scenario;
        let tw = p.total_weeks;
        let units = s
            .units
            .iter()
            .enumerate()
            .map(|(i, u)| UnitRec {
                census: Level::new(tw),
                waitlist: Level::new(tw),
                blocked: Level::new(tw),
                by_track: has_track_results(u),
                tracks: match &u.kind {
                    UnitKind::Sessions(su) if has_track_results(u) => {
                        su.tracks.iter().map(|_| TrackRec::new(tw)).collect()
                    }
                    _ => Vec::new(),
                },
                routed: vec![0; destination_names(s, u).len()],
                routed_at_warmup_end: Vec::new(),
                home: 0,
                home_at_warmup_end: 0,
                all: UnitCounts::default(),
                at_warmup_end: UnitCounts::default(),
                admissions: vec![0; tw],
                waits: Vec::new(),
                stay_sum: 0.0,
                stay_n: 0,
                sessions: vec![SessionWeek::default(); tw],
                groups: groups_rec(s, i),
            })
            .collect();
        // Sessions are counted in hours only if something needs them.
        let count_hours = s.workload.iter().any(|w| w.per_session_hour != 0.0)
            || s.finance.as_ref().is_some_and(|f| f.per_hour() != 0.0);
        let track_rooms = p
            .units
            .iter()
            .map(|u| {
                u.tracks
                    .iter()
                    .map(|t| TrackInfo {
                        room: t.room,
                        hours: t.hours,
                        group_size: t.group_size,
                        count_hours,
                    })
                    .collect()
            })
            .collect();
        let program_staff = (0..s.staff.len())
            .map(|role| StaffPlan::new(s, role))
            .collect();
        // Units whose census some entry wants by phase (validation: a
        // sessions unit with phases, the entry's or, without one, each).
        let stays: Vec<Option<PhaseStays>> =
            s.units
                .iter()
                .enumerate()
                .map(|(u, unit)| {
                    let UnitKind::Sessions(su) = &unit.kind else {
                        return None;
                    };
                    let wanted = s.workload.iter().any(|w| {
                        !w.every_weeks_by_phase.is_empty() && w.unit.is_none_or(|o| o == u)
                    });
                    (wanted && !su.phases.is_empty()).then(|| PhaseStays {
                        starts: su
                            .phases
                            .iter()
                            .map(|ph| (i64::from(ph.from_week) - 1) * WEEK as i64)
                            .collect(),
                        tracks: su.tracks.len(),
                        stays: Vec::new(),
                    })
                })
                .collect();
        Recorder {
            audit: Audit::default(),
            horizon: p.horizon,
            reporting: p.warmup_end == SimTime::ZERO,
            warmup_weeks: p.warmup_weeks,
            weeks: p.weeks,
            units,
            rooms: vec![vec![RoomWeek::default(); tw]; s.rooms.len()],
            track_rooms,
            room_seats: s.rooms.iter().map(|r| r.seats).collect(),
            session_units: s
                .units
                .iter()
                .map(|u| matches!(u.kind, UnitKind::Sessions(_)))
                .collect(),
            streams: s
                .referrals
                .iter()
                .enumerate()
                .map(|(i, r)| StreamRec {
                    unit: r.to,
                    apart: p.streams[i].tally != NO_STREAM,
                    all: UnitCounts::default(),
                    at_warmup_end: UnitCounts::default(),
                    waits: Vec::new(),
                })
                .collect(),
            classes: s
                .classes
                .iter()
                .map(|_| ClassRec {
                    all: UnitCounts::default(),
                    at_warmup_end: UnitCounts::default(),
                    waits: Vec::new(),
                    census: Level::new(tw),
                })
                .collect(),
            program_staff,
            finance: FinancePlan::new(s),
            keeps_stays: stays.iter().any(Option::is_some),
            stays,
            scoped_individual: s
                .workload
                .iter()
                .filter(|w| w.activity == Activity::Individual)
                .filter_map(|w| Some((w.unit, Scope::of(w)?, w.every_weeks, w.share)))
                .collect(),
            report_from: p.warmup_end.0,
            routing: s
                .units
                .iter()
                .any(|u| {
                    u.relapse.is_some()
                        || matches!(&u.kind, UnitKind::Sessions(su) if su.on_stepup.is_some())
                })
                .then(|| {
                    Box::new(RoutingRec {
                        stepped_up_to: s
                            .units
                            .iter()
                            .map(|u| match &u.kind {
                                UnitKind::Sessions(su) => {
                                    vec![0; su.on_stepup.as_ref().map_or(0, |r| r.shares.len())]
                                }
                                UnitKind::Beds(_) => Vec::new(),
                            })
                            .collect(),
                        relapse_referrals: (0..s.units.len())
                            .map(|u| relapse_target(s, u).then_some(0))
                            .collect(),
                        readmit: s
                            .units
                            .iter()
                            .map(|u| u.relapse.as_ref().map(|_| ReadmitRec::default()))
                            .collect(),
                        tickets: Vec::new(),
                        free: Vec::new(),
                    })
                }),
            staffing: staffing::constrains(s).then(|| {
                Box::new(StaffRec {
                    units: s
                        .units
                        .iter()
                        .map(|u| IntakeRec {
                            facilitated: has_facilitators(u),
                            intake: match &u.kind {
                                UnitKind::Sessions(su) => {
                                    su.intake.as_ref().map(|i| (i.role, i.hours))
                                }
                                UnitKind::Beds(_) => None,
                            },
                            attended: vec![0; tw],
                            ..IntakeRec::default()
                        })
                        .collect(),
                    roles: (0..s.staff.len())
                        .map(|r| RoleRec {
                            rostered: s.staff[r].roster.is_some(),
                            capped: s.staff[r].caseload.is_some(),
                            hours_per_fte: s.staff[r].hours_per_fte,
                            on_duty: Vec::new(),
                            cancelled: 0,
                            caseload: Level::new(tw),
                            full: Level::new(tw),
                            is_full: false,
                            cap: 0,
                            held_back: 0,
                            timetable_hours: staffing::timetable_hours(s, r),
                        })
                        .collect(),
                })
            }),
        }
    }

    // ---- routing maps and relapse (issue 19); out of line, cold ----------

    /// A step-up of `unit` sent by entry `entry` of its `on_stepup`.
    #[cold]
    #[inline(never)]
    pub fn stepped_up_to(&mut self, unit: usize, entry: usize) {
        let reporting = self.reporting;
        if let Some(r) = self.routing.as_mut().filter(|_| reporting) {
            if let Some(n) = r.stepped_up_to[unit].get_mut(entry) {
                *n += 1;
            }
        }
    }

    /// A patient of `unit`, a unit with a relapse, went home at `now`:
    /// one more in the readmission cohorts whose window fits before the
    /// horizon.
    #[cold]
    #[inline(never)]
    pub fn home_exit(&mut self, unit: usize, now: SimTime) {
        let (reporting, horizon) = (self.reporting, self.horizon.0);
        if let Some(Some(rr)) = self
            .routing
            .as_mut()
            .filter(|_| reporting)
            .map(|r| &mut r.readmit[unit])
        {
            rr.cohort_30 += u64::from(now.0 + DAYS_30 <= horizon);
            rr.cohort_90 += u64::from(now.0 + DAYS_90 <= horizon);
        }
    }

    /// A patient who went home from `from` at `now` will be referred again,
    /// before the horizon if `due`: the tally they carry until admitted (a
    /// ticket that remembers when and where from they went home).
    #[cold]
    #[inline(never)]
    pub fn relapse_drawn(&mut self, from: usize, now: SimTime, due: bool) -> Tally {
        self.audit.relapses_drawn += 1;
        let Some(r) = self.routing.as_mut().filter(|_| due) else {
            return NO_STREAM;
        };
        let ticket = (from as u32, now.0);
        let i = match r.free.pop() {
            Some(i) => {
                r.tickets[i as usize] = ticket;
                i
            }
            None => {
                r.tickets.push(ticket);
                (r.tickets.len() - 1) as u32
            }
        };
        // Fewer tickets than events, which validation bounds far below 2^31.
        TICKET_BASE.saturating_add(i).min(NO_STREAM - 1)
    }

    /// A relapse referral to `unit` (counted as a referral apart).
    #[cold]
    #[inline(never)]
    pub fn relapse_arrived(&mut self, unit: usize) {
        self.audit.relapses_arrived += 1;
        let reporting = self.reporting;
        if let Some(Some(n)) = self
            .routing
            .as_mut()
            .filter(|_| reporting)
            .map(|r| &mut r.relapse_referrals[unit])
        {
            *n += 1;
        }
    }

    /// The ticket `tally`, if it is one, handed back: its patient was
    /// admitted at `now` (`Some`) or lost before (`None`).
    #[cold]
    #[inline(never)]
    fn close_ticket(&mut self, tally: Tally, admitted: Option<SimTime>) {
        let (report_from, horizon) = (self.report_from, self.horizon.0);
        let Some(r) = self.routing.as_mut() else {
            return;
        };
        let i = tally.wrapping_sub(TICKET_BASE);
        let Some(ticket) = r.tickets.get_mut(i as usize) else {
            return;
        };
        let (from, home_at) = *ticket;
        if from == FREE {
            return;
        }
        *ticket = (FREE, 0);
        r.free.push(i);
        let (Some(now), Some(Some(rr))) = (admitted, r.readmit.get_mut(from as usize)) else {
            return;
        };
        if home_at < report_from {
            return;
        }
        let gap = now.0.saturating_sub(home_at);
        let (in30, in90) = (gap <= DAYS_30, gap <= DAYS_90);
        rr.within_30 += u64::from(in30);
        rr.within_90 += u64::from(in90);
        rr.cohort_hits_30 += u64::from(in30 && home_at + DAYS_30 <= horizon);
        rr.cohort_hits_90 += u64::from(in90 && home_at + DAYS_90 <= horizon);
    }

    /// A patient with tally `tally` is lost before admission (no-show,
    /// turned away, gave up): their ticket, if any, is handed back.
    #[inline]
    fn lost(&mut self, tally: Tally) {
        if tally >= TICKET_BASE && tally != NO_STREAM {
            self.close_ticket(tally, None);
        }
    }

    // ---- staff as a constraint (`model::staffing`); out of line, cold ----

    /// An intake appointment of `unit`, `waited` seconds after the referral.
    #[cold]
    #[inline(never)]
    pub fn intake(&mut self, unit: usize, now: SimTime, waited: u64, shows: bool) {
        let reporting = self.reporting;
        if let Some(st) = self.staffing.as_mut() {
            let u = &mut st.units[unit];
            if shows {
                if let Some(n) = u.attended.get_mut(now.week() as usize) {
                    *n += 1;
                }
            }
            if reporting {
                u.waits.push(waited);
                u.no_shows += u64::from(!shows);
            }
        }
    }

    /// `unit`'s intake appointments offered and booked on the reported days.
    pub fn intake_slots(&mut self, unit: usize, slots: (u64, u64)) {
        if let Some(st) = self.staffing.as_mut() {
            st.units[unit].slots = slots;
        }
    }

    /// Role `role`'s hours at work in each simulated week.
    pub fn hours_on_duty(&mut self, role: usize, by_week: Vec<f64>) {
        if let Some(st) = self.staffing.as_mut() {
            st.roles[role].on_duty = by_week;
        }
    }

    /// Role `role`'s caseload cap in this trial.
    pub fn caseload_cap(&mut self, role: usize, cap: u32) {
        if let Some(st) = self.staffing.as_mut() {
            st.roles[role].cap = cap;
        }
    }

    /// One more or fewer on `role`'s caseload; `full`: at the cap now.
    #[cold]
    #[inline(never)]
    pub fn caseload_change(&mut self, role: usize, now: SimTime, delta: i64, full: bool) {
        if let Some(st) = self.staffing.as_mut() {
            let r = &mut st.roles[role];
            r.caseload.change(now, delta);
            if full != r.is_full {
                r.is_full = full;
                r.full.change(now, if full { 1 } else { -1 });
            }
        }
    }

    /// A patient whose admission `role`'s full caseload held back.
    #[cold]
    #[inline(never)]
    pub fn caseload_held_back(&mut self, role: usize) {
        let reporting = self.reporting;
        if let Some(st) = self.staffing.as_mut().filter(|_| reporting) {
            st.roles[role].held_back += 1;
        }
    }

    /// `n` group sessions of `unit` not held for want of `role`.
    #[cold]
    #[inline(never)]
    pub fn sessions_cancelled(&mut self, unit: usize, role: usize, n: u32) {
        let reporting = self.reporting;
        if let Some(st) = self.staffing.as_mut().filter(|_| reporting) {
            st.units[unit].cancelled += u64::from(n);
            st.roles[role].cancelled += u64::from(n);
        }
    }

    // ---- group minimums and moving phases; out of line, cold ----------

    /// `n` group sessions of `unit`'s `track` not held for being below the
    /// track's minimum, and `moved` patients moved to another group.
    #[cold]
    #[inline(never)]
    pub fn below_min(&mut self, unit: usize, track: usize, n: u32, moved: u32) {
        let reporting = self.reporting;
        if let Some(g) = self.units[unit].groups.as_mut().filter(|_| reporting) {
            g.below_min += u64::from(n);
            g.hours_saved += f64::from(n) * g.session_hours.get(track).copied().unwrap_or(0.0);
            g.regrouped += u64::from(moved);
        }
    }

    /// A patient of `unit` moved by their phase from `from` to track `to`
    /// at `now` (`delayed`: they waited for a seat there); admitted at
    /// `admitted` seconds. The unit's census is unchanged; its tracks'
    /// move, and a stay kept by phase is split between them.
    #[cold]
    #[inline(never)]
    pub fn track_move(
        &mut self,
        unit: usize,
        (from, to): (usize, usize),
        now: SimTime,
        admitted: i64,
    ) {
        let u = &mut self.units[unit];
        if u.by_track {
            u.track_census_change(from, now, -1);
            u.track_census_change(to, now, 1);
        }
        if self.reporting {
            if let Some(g) = u.groups.as_mut() {
                g.moves += 1;
            }
        }
        if self.keeps_stays {
            // In `from` from admission to now; in `to` from now: the stay
            // kept when they leave `to` counts from admission, so its part
            // before now is taken away.
            self.keep_stay(unit, from, admitted, now.0);
            self.keep_stay(unit, (to as u32 | TAKEN) as usize, admitted, now.0);
        }
    }

    /// A patient of `unit` whose phase's track had no free seat when due.
    #[cold]
    #[inline(never)]
    pub fn move_delayed(&mut self, unit: usize) {
        let reporting = self.reporting;
        if let Some(g) = self.units[unit].groups.as_mut().filter(|_| reporting) {
            g.delayed += 1;
        }
    }

    /// The warm-up is over: what happens from now on is reported. The run
    /// calls it once, between its two phases (see `Clinic::run`), so that
    /// no event has to compare its time with the warm-up's end.
    pub fn start_reporting(&mut self) {
        if !self.reporting {
            self.reporting = true;
            for u in &mut self.units {
                u.at_warmup_end = u.all;
                u.routed_at_warmup_end = u.routed.clone();
                u.home_at_warmup_end = u.home;
                for t in &mut u.tracks {
                    t.reneged_at_warmup_end = t.reneged;
                }
            }
            for st in &mut self.streams {
                st.at_warmup_end = st.all;
            }
            for c in &mut self.classes {
                c.at_warmup_end = c.all;
            }
        }
    }

    /// The class of `tag` (not 0), where its figures are kept.
    #[inline(never)]
    fn class_rec(&mut self, tag: ClassTag) -> Option<&mut ClassRec> {
        self.classes.get_mut(usize::from(tag).wrapping_sub(1))
    }

    /// A new referral (or relapse) of class `tag` (not 0).
    #[cold]
    #[inline(never)]
    pub fn class_referral(&mut self, tag: ClassTag) {
        if let Some(c) = self.class_rec(tag) {
            c.all.referrals += 1;
        }
    }

    /// A patient of class `tag` (not 0) did not show, was turned away or
    /// reneged (`counts` picks which).
    #[cold]
    #[inline(never)]
    pub fn class_lost(&mut self, tag: ClassTag, which: fn(&mut UnitCounts) -> &mut u64) {
        if let Some(c) = self.class_rec(tag) {
            *which(&mut c.all) += 1;
        }
    }

    /// An admission of class `tag` (not 0) at `now` after `wait_secs`.
    #[cold]
    #[inline(never)]
    pub fn class_admission(&mut self, tag: ClassTag, now: SimTime, wait_secs: u64) {
        let reporting = self.reporting;
        if let Some(c) = self.class_rec(tag) {
            c.all.admitted += 1;
            if reporting {
                c.waits.push(wait_secs);
            }
            c.census.change(now, 1);
        }
    }

    /// A patient of class `tag` (not 0) leaves care at `now`.
    #[cold]
    #[inline(never)]
    pub fn class_exit(&mut self, tag: ClassTag, now: SimTime, why: Exit) {
        if let Some(c) = self.class_rec(tag) {
            let n = &mut c.all;
            match why {
                Exit::Complete => n.completed += 1,
                Exit::Dropout => n.dropped_out += 1,
                Exit::StepUp => n.stepped_up += 1,
                Exit::AdminDischarge => n.admin_discharged += 1,
            }
            c.census.change(now, -1);
        }
    }

    /// A referral to `unit`: from a stream (`tally`), or a transfer.
    #[inline]
    pub fn referral(&mut self, unit: usize, tally: Tally) {
        self.units[unit].all.referrals += 1;
        if tally != NO_STREAM {
            self.stream_referral(tally);
        }
    }

    #[inline(never)]
    fn stream_referral(&mut self, tally: Tally) {
        if let Some(st) = self.streams.get_mut(tally as usize) {
            st.all.referrals += 1;
        }
    }

    #[inline]
    pub fn no_show(&mut self, unit: usize, tally: Tally) {
        self.units[unit].all.no_shows += 1;
        if let Some(st) = self.streams.get_mut(tally as usize) {
            st.all.no_shows += 1;
        } else {
            self.lost(tally);
        }
    }

    #[inline]
    pub fn turned_away(&mut self, unit: usize, tally: Tally) {
        self.units[unit].all.turned_away += 1;
        if let Some(st) = self.streams.get_mut(tally as usize) {
            st.all.turned_away += 1;
        } else {
            self.lost(tally);
        }
    }

    #[inline]
    pub fn reneged(&mut self, unit: usize, track: usize, tally: Tally) {
        let u = &mut self.units[unit];
        u.all.reneged += 1;
        if u.by_track {
            u.tracks[track].reneged += 1;
        }
        if let Some(st) = self.streams.get_mut(tally as usize) {
            st.all.reneged += 1;
        } else {
            self.lost(tally);
        }
    }

    /// An admission at `now` after a wait of `wait_secs` seconds. The seat
    /// it fills is counted in the census apart ([`Recorder::census_change`]),
    /// as it is taken or, handed over from someone leaving, not at all.
    ///
    /// The track's and the stream's shares, where they are kept, are
    /// counted out of line (`Recorder::admission_apart`): M/M/c has
    /// neither, and the few instructions of the test are all it pays.
    #[inline(always)]
    pub fn admission(
        &mut self,
        unit: usize,
        track: usize,
        tally: Tally,
        now: SimTime,
        wait_secs: u64,
    ) {
        let u = &mut self.units[unit];
        u.all.admitted += 1;
        if self.reporting {
            u.waits.push(wait_secs);
        }
        // Admissions are counted by the census's week.
        u.census.reach(now);
        if let Some(a) = u.admissions.get_mut(u.census.week) {
            *a += 1;
        }
        if u.by_track || tally != NO_STREAM {
            self.admission_apart(unit, track, tally, now, wait_secs);
        }
    }

    /// The track's and the stream's part of [`Recorder::admission`].
    #[inline(never)]
    fn admission_apart(
        &mut self,
        unit: usize,
        track: usize,
        tally: Tally,
        now: SimTime,
        wait_secs: u64,
    ) {
        let u = &mut self.units[unit];
        if u.by_track {
            let t = &mut u.tracks[track];
            if self.reporting {
                t.waits.push(wait_secs);
            }
            t.census.reach(now);
            if let Some(a) = t.admissions.get_mut(t.census.week) {
                *a += 1;
            }
        }
        if let Some(st) = self.streams.get_mut(tally as usize) {
            st.all.admitted += 1;
            if self.reporting {
                st.waits.push(wait_secs);
            }
        } else if tally >= TICKET_BASE && tally != NO_STREAM {
            self.close_ticket(tally, Some(now));
        }
    }

    /// A leaver of `unit` sent to its destination number `dest` in
    /// [`destination_names`].
    #[inline]
    pub fn routed(&mut self, unit: usize, dest: u32) {
        if let Some(n) = self.units[unit].routed.get_mut(dest as usize) {
            *n += 1;
        }
    }

    /// A leaver of `unit` who goes home (the last destination).
    #[inline]
    pub fn went_home(&mut self, unit: usize) {
        self.units[unit].home += 1;
    }

    #[inline]
    pub fn exit(&mut self, unit: usize, why: Exit, stay_days: f64) {
        let u = &mut self.units[unit];
        let c = &mut u.all;
        match why {
            Exit::Complete => c.completed += 1,
            Exit::Dropout => c.dropped_out += 1,
            Exit::StepUp => c.stepped_up += 1,
            Exit::AdminDischarge => c.admin_discharged += 1,
        }
        if self.reporting {
            u.stay_sum += stay_days;
            u.stay_n += 1;
        }
    }

    /// Audit: `misplaced` attendances were counted at a session where they
    /// should not have been.
    pub fn audit_attendances(&mut self, misplaced: u64) {
        self.audit.misplaced_attendances += misplaced;
    }

    /// Audit: an admission at `now` of a patient referred at `referred_at`.
    #[inline]
    pub fn audit_wait(&mut self, now: SimTime, referred_at: SimTime) {
        if now < referred_at {
            self.audit.negative_waits += 1;
        }
    }

    /// Audit: someone gave up waiting; `placed` if they kept a bed or had a
    /// reserved seat.
    #[inline]
    pub fn audit_renege(&mut self, placed: bool) {
        self.audit.reneged_while_placed += u64::from(placed);
    }

    /// Audit: after groups were checked against their minimum or a
    /// patient moved track, `fault` if the groups' counts are wrong;
    /// `below` groups found below the minimum, `moved` patients moved.
    #[cold]
    #[inline(never)]
    pub fn audit_groups(&mut self, fault: bool, below: u32, moved: u32) {
        self.audit.group_faults += u64::from(fault);
        self.audit.groups_below_min += u64::from(below);
        self.audit.track_moves += u64::from(moved);
    }

    /// Audit: a seat reserved; `overbooked` if the patient had one already
    /// or the group had none left.
    pub fn audit_reserved(&mut self, overbooked: bool) {
        self.audit.seats_reserved += 1;
        self.audit.seats_overbooked += u64::from(overbooked);
    }

    /// Audit: a reserved seat taken up at `now`; `overbooked` if its group
    /// is then over full or the seat was reserved for another session.
    pub fn audit_reservation_taken(&mut self, overbooked: bool) {
        self.audit.seats_overbooked += u64::from(overbooked);
    }

    /// The invariant counters so far.
    pub fn audit(&self) -> Audit {
        Audit {
            peak_census: self.units.iter().map(|u| u.census.peak).collect(),
            lowest_level: self
                .units
                .iter()
                .map(|u| u.census.low.min(u.waitlist.low).min(u.blocked.low))
                .collect(),
            ..self.audit.clone()
        }
    }

    /// The census changes by `delta`; so does the track's, where kept
    /// (out of line: see [`Recorder::admission`]).
    #[inline]
    pub fn census_change(&mut self, unit: usize, track: usize, now: SimTime, delta: i64) {
        let u = &mut self.units[unit];
        u.census.change(now, delta);
        if u.by_track {
            u.track_census_change(track, now, delta);
        }
    }

    #[inline]
    pub fn waitlist_change(&mut self, unit: usize, track: usize, now: SimTime, delta: i64) {
        let u = &mut self.units[unit];
        u.waitlist.change(now, delta);
        if u.by_track {
            u.track_waitlist_change(track, now, delta);
        }
    }

    /// A stay in sessions unit `unit`'s `track` ended at `now` after
    /// `stay_secs` seconds in care (counted from an admission before time
    /// 0 for the `[initial]` state's patients). Kept only where a workload
    /// entry wants the census by phase (`PhaseStays`): one test otherwise.
    #[inline]
    pub fn stay_ended(&mut self, unit: usize, track: usize, now: SimTime, stay_secs: i64) {
        if self.keeps_stays {
            self.keep_stay(unit, track, now.0 as i64 - stay_secs, now.0);
        }
    }

    /// Whether stays are kept: then the clinic reports those still open at
    /// the horizon ([`Recorder::stay_open`]) before finishing.
    pub fn keeps_stays(&self) -> bool {
        self.keeps_stays
    }

    /// A stay still in care at the horizon, admitted at `admitted` seconds
    /// (before 0 for the `[initial]` state's patients).
    pub fn stay_open(&mut self, unit: usize, track: usize, admitted: i64) {
        if self.keeps_stays {
            self.keep_stay(unit, track, admitted, self.horizon.0);
        }
    }

    #[inline(never)]
    fn keep_stay(&mut self, unit: usize, track: usize, admitted: i64, end: u64) {
        // A stay over before reporting began is in no reported week.
        if end <= self.report_from {
            return;
        }
        if let Some(Some(ps)) = self.stays.get_mut(unit) {
            ps.stays.push((track as u32, admitted, end));
        }
    }

    #[inline]
    pub fn blocked_change(&mut self, unit: usize, now: SimTime, delta: i64) {
        self.units[unit].blocked.change(now, delta);
    }

    #[allow(clippy::too_many_arguments)]
    pub fn session(
        &mut self,
        unit: usize,
        track: usize,
        now: SimTime,
        enrolled: u32,
        expected: u32,
        attended: u32,
        held: u32,
    ) {
        let week = now.week() as usize;
        let TrackInfo {
            room,
            hours,
            group_size,
            count_hours,
        } = self.track_rooms[unit][track];
        let u = &mut self.units[unit];
        if let Some(w) = u.sessions.get_mut(week) {
            // Only groups that meet offer seats: an empty group holds no
            // session (no staff, no room), so its seats are not counted.
            w.seats_offered += u64::from(held * group_size);
            w.enrolled += u64::from(enrolled);
            w.expected += u64::from(expected);
            w.attended += u64::from(attended);
            w.groups_held += u64::from(held);
            if count_hours {
                w.add_hours(
                    hours,
                    held,
                    attended,
                    (held * group_size).saturating_sub(enrolled),
                );
            }
        }
        if u.by_track && self.reporting {
            let t = &mut u.tracks[track];
            t.seats_offered += u64::from(held * group_size);
            t.enrolled += u64::from(enrolled);
        }
        if let Some(room) = room {
            if let Some(w) = self.rooms[room].get_mut(week) {
                w.seat_hours += f64::from(held) * hours * f64::from(self.room_seats[room]);
                w.used_hours += f64::from(attended) * hours;
            }
        }
    }

    pub fn finish(
        mut self,
        trial: u64,
        events: u64,
        waiting_at_end: &[u64],
        in_care_at_end: &[u64],
        away_at_end: &[u64],
    ) -> TrialResult {
        let end = self.horizon.0;
        let rep = self.warmup_weeks..self.warmup_weeks + self.weeks;
        let week_secs = WEEK as f64;
        let horizon_secs = self.weeks as f64 * week_secs;
        let mut units = Vec::with_capacity(self.units.len());
        for (i, u) in self.units.iter_mut().enumerate() {
            u.census.close(end);
            u.waitlist.close(end);
            u.blocked.close(end);
            let census_w: Vec<f64> = u.census.area[rep.clone()]
                .iter()
                .map(|a| a / week_secs)
                .collect();
            let waitlist_w: Vec<f64> = u.waitlist.area[rep.clone()]
                .iter()
                .map(|a| a / week_secs)
                .collect();
            let blocked_days = u.blocked.area[rep.clone()].iter().sum::<f64>() / DAY as f64;
            let is_sessions = self.session_units[i];
            let sw = &u.sessions[rep.clone()];
            let ratio = |num: u64, den: u64| {
                if den > 0 {
                    num as f64 / den as f64
                } else {
                    f64::NAN
                }
            };
            let (seat_util, attendance, seat_util_w, attendance_w) = if is_sessions {
                let tot = sw.iter().fold(SessionWeek::default(), |a, w| SessionWeek {
                    seats_offered: a.seats_offered + w.seats_offered,
                    enrolled: a.enrolled + w.enrolled,
                    expected: a.expected + w.expected,
                    attended: a.attended + w.attended,
                    ..SessionWeek::default()
                });
                (
                    Some(ratio(tot.enrolled, tot.seats_offered)),
                    Some(ratio(tot.attended, tot.expected)),
                    sw.iter()
                        .map(|w| ratio(w.enrolled, w.seats_offered))
                        .collect(),
                    sw.iter().map(|w| ratio(w.attended, w.expected)).collect(),
                )
            } else {
                (None, None, Vec::new(), Vec::new())
            };
            let (wait_mean, wait_p90) = wait_stats(&u.waits);
            let per_week = |l: &Level| -> Vec<f64> {
                l.area[rep.clone()].iter().map(|a| a / week_secs).collect()
            };
            let tracks = u
                .tracks
                .iter_mut()
                .map(|t| {
                    t.census.close(end);
                    t.waitlist.close(end);
                    let (wait_days, wait_days_p90) = wait_stats(&t.waits);
                    TrackResult {
                        census: t.census.area[rep.clone()].iter().sum::<f64>() / horizon_secs,
                        waitlist: t.waitlist.area[rep.clone()].iter().sum::<f64>() / horizon_secs,
                        admissions: t.admissions[rep.clone()].iter().sum(),
                        wait_days,
                        wait_days_p90,
                        reneged: t.reneged - t.reneged_at_warmup_end,
                        seat_utilization: ratio(t.enrolled, t.seats_offered),
                        wait_secs: std::mem::take(&mut t.waits),
                        weekly_census: per_week(&t.census),
                        weekly_waitlist: per_week(&t.waitlist),
                        weekly_admissions: t.admissions[rep.clone()]
                            .iter()
                            .map(|&a| a as f64)
                            .collect(),
                    }
                })
                .collect();
            let counts = u.all - u.at_warmup_end;
            let mut destinations: Vec<u64> = u
                .routed
                .iter()
                .enumerate()
                .map(|(d, &n)| n - u.routed_at_warmup_end.get(d).copied().unwrap_or(0))
                .collect();
            if let Some(home) = destinations.last_mut() {
                *home += u.home - u.home_at_warmup_end;
            }
            units.push(UnitResult {
                tracks,
                destinations,
                counts,
                all: u.all,
                waiting_at_end: waiting_at_end[i],
                in_care_at_end: in_care_at_end[i],
                census: u.census.area[rep.clone()].iter().sum::<f64>() / horizon_secs,
                waitlist: u.waitlist.area[rep.clone()].iter().sum::<f64>() / horizon_secs,
                wait_days: wait_mean,
                wait_days_p90: wait_p90,
                blocked_days,
                mean_stay_days: if u.stay_n > 0 {
                    u.stay_sum / u.stay_n as f64
                } else {
                    f64::NAN
                },
                seat_utilization: seat_util,
                attendance_rate: attendance,
                wait_secs: std::mem::take(&mut u.waits),
                weekly: UnitWeekly {
                    census: census_w,
                    waitlist: waitlist_w,
                    admissions: u.admissions[rep.clone()]
                        .iter()
                        .map(|&a| a as f64)
                        .collect(),
                    seat_utilization: seat_util_w,
                    attendance_rate: attendance_w,
                },
                intake: None,
                sessions_cancelled: None,
                min_size: u
                    .groups
                    .as_ref()
                    .filter(|g| g.min_size)
                    .map(|g| MinSizeResult {
                        sessions_below_min: g.below_min,
                        regrouped: g.regrouped,
                        group_hours_saved: g.hours_saved,
                    }),
                phase_moves: u
                    .groups
                    .as_ref()
                    .filter(|g| g.phase_moves)
                    .map(|g| PhaseMoveResult {
                        moves: g.moves,
                        delayed: g.delayed,
                    }),
                stepped_up_to: Vec::new(),
                relapse_referrals: None,
                readmissions: None,
                away_at_end: away_at_end[i],
            });
        }
        let rooms = self
            .rooms
            .iter()
            .map(|weeks| {
                let w = &weeks[rep.clone()];
                let (used, seats) = w
                    .iter()
                    .fold((0.0, 0.0), |(u, s), x| (u + x.used_hours, s + x.seat_hours));
                RoomResult {
                    utilization: if seats > 0.0 { used / seats } else { f64::NAN },
                    weekly_utilization: w
                        .iter()
                        .map(|x| {
                            if x.seat_hours > 0.0 {
                                x.used_hours / x.seat_hours
                            } else {
                                f64::NAN
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        // Patient-weeks by track, phase and reported week, where kept.
        let by_phase: Vec<Option<Vec<Vec<Vec<f64>>>>> = self
            .stays
            .iter()
            .map(|ps| ps.as_ref().map(|ps| ps.patient_weeks(rep.clone())))
            .collect();
        // An entry restricted to a track or stepping down by phase: its
        // patient-weeks in unit `u` in `week`, each divided by the
        // `every_weeks` that applies (so x share = occurrences).
        let scoped_weeks = |scope: &Scope, every: f64, u: usize, week: usize| -> f64 {
            let ur = &self.units[u];
            if scope.by_phase.is_empty() {
                let area = match scope.track {
                    Some(t) if ur.by_track => ur.tracks[t].census.area[week],
                    _ => ur.census.area[week],
                };
                return area / week_secs / every;
            }
            let Some(Some(tracks)) = by_phase.get(u) else {
                return 0.0;
            };
            let w = week - rep.start;
            tracks
                .iter()
                .enumerate()
                .filter(|&(t, _)| scope.track.is_none_or(|only| only == t))
                .map(|(_, phases)| {
                    phases
                        .iter()
                        .zip(&scope.by_phase)
                        .map(|(pw, &every)| pw[w] / every)
                        .sum::<f64>()
                })
                .sum()
        };
        let staff: Vec<StaffResult> = self
            .program_staff
            .iter()
            .map(|plan| {
                let weekly_hours: Vec<f64> = rep
                    .clone()
                    .map(|week| {
                        let plain: f64 = plan
                            .items
                            .iter()
                            .map(|&(activity, only, hours, every)| {
                                (0..self.units.len())
                                    .filter(|&u| only.is_none_or(|o| o == u))
                                    .map(|u| {
                                        let ur = &self.units[u];
                                        let sessions = self.session_units[u];
                                        let patient_weeks = ur.census.area[week] / WEEK as f64;
                                        match activity {
                                            Activity::GroupSession if sessions => {
                                                ur.sessions[week].groups_held as f64 * hours
                                            }
                                            Activity::Individual
                                            | Activity::Family
                                            | Activity::Medication
                                                if sessions =>
                                            {
                                                patient_weeks * hours / every
                                            }
                                            Activity::Intake => ur.admissions[week] as f64 * hours,
                                            Activity::BedDay if !sessions => {
                                                patient_weeks * 7.0 * hours
                                            }
                                            _ => 0.0,
                                        }
                                    })
                                    .sum::<f64>()
                            })
                            .sum();
                        if plan.timed.is_empty() {
                            return plain;
                        }
                        // Sessions units only (validation: the timed parts
                        // are of group sessions and per-patient entries).
                        let in_unit = |only: &Option<usize>, u: usize| {
                            self.session_units[u] && only.is_none_or(|o| o == u)
                        };
                        let timed: f64 = plan
                            .timed
                            .iter()
                            .map(|t| {
                                (0..self.units.len())
                                    .map(|u| match t {
                                        Timed::SessionHours { unit, per_hour }
                                            if in_unit(unit, u) =>
                                        {
                                            self.units[u].sessions[week].group_hours * per_hour
                                        }
                                        Timed::Patients {
                                            unit,
                                            hours,
                                            every,
                                            scope,
                                        } if in_unit(unit, u) => {
                                            scoped_weeks(scope, *every, u, week) * hours
                                        }
                                        _ => 0.0,
                                    })
                                    .sum::<f64>()
                            })
                            .sum();
                        plain + timed
                    })
                    .collect();
                let mean = weekly_hours.iter().sum::<f64>() / weekly_hours.len().max(1) as f64;
                let short = weekly_hours
                    .iter()
                    .filter(|&&h| h > plan.hours_per_week + 1e-9)
                    .count();
                StaffResult {
                    hours_per_week: mean,
                    fte_needed: mean / plan.hours_per_fte,
                    short_weeks: short as f64 / weekly_hours.len().max(1) as f64,
                    weekly_hours,
                    roster: None,
                    caseload: None,
                }
            })
            .collect();
        let mut staff = staff;
        if let Some(st) = self.staffing.as_mut() {
            st.finish(
                self.horizon.0,
                rep.clone(),
                self.program_staff.as_slice(),
                &mut units,
                &mut staff,
            );
        }
        if let Some(r) = self.routing.as_mut() {
            r.finish(&mut units);
        }
        let finance = self.finance.as_ref().map(|plan| {
            let activity: Vec<Vec<UnitWeekActivity>> = self
                .units
                .iter()
                .enumerate()
                .map(|(i, u)| {
                    rep.clone()
                        .map(|w| {
                            let s = &u.sessions[w];
                            // Individual sessions of the entries restricted to
                            // a track or stepping down by phase (the others
                            // are priced from the census).
                            let individual_scoped =
                                if self.session_units[i] && !self.scoped_individual.is_empty() {
                                    self.scoped_individual
                                        .iter()
                                        .filter(|(unit, ..)| unit.is_none_or(|o| o == i))
                                        .map(|(_, scope, every, share)| {
                                            scoped_weeks(scope, *every, i, w) * share
                                        })
                                        .sum()
                                } else {
                                    0.0
                                };
                            UnitWeekActivity {
                                attended: s.attended as f64,
                                empty_seat_sessions: s.seats_offered.saturating_sub(s.enrolled)
                                    as f64,
                                patient_weeks: u.census.area[w] / week_secs,
                                admissions: u.admissions[w] as f64,
                                attended_hours: s.attended_hours,
                                empty_seat_hours: s.empty_seat_hours,
                                individual_scoped,
                            }
                        })
                        .collect()
                })
                .collect();
            plan.compute(&activity, &units, &staff)
        });
        let streams = self
            .streams
            .iter()
            .map(|st| {
                let u = &units[st.unit];
                if !st.apart {
                    let c = &u.counts;
                    return StreamResult {
                        referrals: c.referrals,
                        admitted: c.admitted,
                        no_shows: c.no_shows,
                        turned_away: c.turned_away,
                        reneged: c.reneged,
                        wait_days: u.wait_days,
                        wait_days_p90: u.wait_days_p90,
                    };
                }
                let c = st.all - st.at_warmup_end;
                let (wait_days, wait_days_p90) = wait_stats(&st.waits);
                StreamResult {
                    referrals: c.referrals,
                    admitted: c.admitted,
                    no_shows: c.no_shows,
                    turned_away: c.turned_away,
                    reneged: c.reneged,
                    wait_days,
                    wait_days_p90,
                }
            })
            .collect();
        let classes = self
            .classes
            .iter_mut()
            .map(|c| {
                c.census.close(end);
                let (wait_days, wait_days_p90) = wait_stats(&c.waits);
                ClassResult {
                    counts: c.all - c.at_warmup_end,
                    census: c.census.area[rep.clone()].iter().sum::<f64>() / horizon_secs,
                    wait_days,
                    wait_days_p90,
                }
            })
            .collect();
        TrialResult {
            streams,
            classes,
            trial,
            units,
            rooms,
            staff,
            finance,
            events,
        }
    }
}

/// The record of group minimums and moving phases of `unit`, if it has
/// either. A group session's hours: every `group_session` workload entry
/// that applies to the unit, `hours` (or `extra`) + `per_session_hour` x
/// the track's `hours`, times its `share`, as the hours calculator counts
/// one group session held.
fn groups_rec(s: &Scenario, unit: usize) -> Option<Box<GroupsRec>> {
    let UnitKind::Sessions(su) = &s.units[unit].kind else {
        return None;
    };
    let (min_size, phase_moves) = (su.has_min_size(), su.moves_by_phase());
    if !min_size && !phase_moves {
        return None;
    }
    let session_hours = su
        .tracks
        .iter()
        .map(|t| {
            s.workload
                .iter()
                .filter(|w| w.activity == Activity::GroupSession)
                .filter(|w| w.unit.is_none_or(|o| o == unit))
                .map(|w| (w.hours + w.per_session_hour * t.hours) * w.share)
                .sum()
        })
        .collect();
    Some(Box::new(GroupsRec {
        min_size,
        phase_moves,
        session_hours,
        ..GroupsRec::default()
    }))
}

/// The mean and P90, in days, of waits of `secs` seconds, exactly as the
/// days sorted by `total_cmp` give them: the mean summed in ascending order,
/// the P90 by [`quantile_of`]. `secs_to_days` is monotone and equal seconds
/// give equal bits, so the days of the sorted seconds are the sorted days.
///
/// With a million waits in a trial (the M/M/1 benchmark), sorting them and
/// the memory that took were a sixth of the run. Where the longest wait in
/// seconds is at most twice their number (checked on a bound of it), they
/// are counted instead: a count per second up to that bound, summed upwards,
/// with order statistics found by binary search in the running totals.
/// Otherwise a copy is radix-sorted.
fn wait_stats(secs: &[u64]) -> (f64, f64) {
    let n = secs.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    // At least the longest wait and less than twice it: an OR of all the
    // waits vectorises, where their maximum took 9 instructions a wait.
    let bound = secs.iter().fold(0, |m, &x| m | x);
    if n >= 64 && bound / 2 < n as u64 && n < u32::MAX as usize {
        let mut counts = vec![0u32; bound as usize + 1];
        for &s in secs.iter() {
            counts[s as usize] += 1;
        }
        // The days summed in ascending order, one addition per wait, as
        // summing the sorted days does (a plain loop: the iterator chain
        // this replaces cost a few instructions per wait more).
        let mut sum = 0.0;
        for (s, &c) in counts.iter().enumerate() {
            let days = secs_to_days(s as u64);
            for _ in 0..c {
                sum += days;
            }
        }
        // Running totals: counts[s] = waits of at most s seconds. The i-th
        // smallest (from 0) is the first s with more than i.
        let mut total = 0;
        for c in counts.iter_mut() {
            total += *c;
            *c = total;
        }
        let nth = |i: usize| secs_to_days(counts.partition_point(|&t| t as usize <= i) as u64);
        (sum / n as f64, quantile_of(n, 0.9, nth))
    } else {
        let mut secs = secs.to_vec();
        radix_sort(&mut secs);
        let sum: f64 = secs.iter().map(|&s| secs_to_days(s)).sum();
        (
            sum / n as f64,
            quantile_of(n, 0.9, |i| secs_to_days(secs[i])),
        )
    }
}

/// Sorts `v` ascending: least-significant-digit radix sort on 11-bit digits,
/// as many as the largest value needs (two for waits under 48 days). With a
/// million customers in a trial, a comparison sort of the waits was a tenth
/// of the run; this is about a quarter of that.
/// Fewer values than this are sorted by comparison.
const RADIX_MIN: usize = 2_048;

fn radix_sort(v: &mut Vec<u64>) {
    const BITS: u32 = 11;
    const MASK: u64 = (1 << BITS) - 1;
    // Each digit clears and scans a table of 2,048 counts: below a few
    // thousand values a comparison sort is cheaper (a trial of the default
    // scenario sorts six sets of 40-120 waits: the tables were 60% of its
    // recorder's end-of-trial work).
    if v.len() < RADIX_MIN {
        v.sort_unstable();
        return;
    }
    let max = v.iter().fold(0, |m, &x| m | x);
    let digits = (u64::BITS - max.leading_zeros()).div_ceil(BITS);
    let mut buf = vec![0u64; v.len()];
    for d in 0..digits {
        let shift = d * BITS;
        let mut start = [0usize; 1 << BITS];
        for &x in v.iter() {
            start[((x >> shift) & MASK) as usize] += 1;
        }
        let mut at = 0;
        for s in start.iter_mut() {
            let n = *s;
            *s = at;
            at += n;
        }
        for &x in v.iter() {
            let b = &mut start[((x >> shift) & MASK) as usize];
            buf[*b] = x;
            *b += 1;
        }
        std::mem::swap(v, &mut buf);
    }
}

#[cfg(test)]
mod sort_tests {
    use super::*;

    #[test]
    fn wait_stats_are_those_of_the_sorted_days() {
        let mut next = crate::testing::xorshift(4242u64);
        // Counted (range within twice the number), radix-sorted (wide
        // range), all zeros, few, one.
        let dense: Vec<u64> = (0..5_000).map(|_| next() % 7_000).collect();
        let wide: Vec<u64> = (0..5_000).map(|_| next() % 90_000_000).collect();
        let mixed: Vec<u64> = (0..5_000)
            .map(|i| if i % 3 == 0 { 0 } else { next() % 9_000 })
            .collect();
        for v in [
            dense,
            wide,
            mixed,
            vec![0; 100],
            vec![5, 1, 3],
            vec![86_400],
        ] {
            let mut days: Vec<f64> = v.iter().map(|&s| secs_to_days(s)).collect();
            days.sort_by(f64::total_cmp);
            let want_mean = days.iter().sum::<f64>() / days.len() as f64;
            let want_p90 = crate::stats::quantile(&days, 0.9);
            let (mean, p90) = wait_stats(&v);
            assert_eq!(
                (mean.to_bits(), p90.to_bits()),
                (want_mean.to_bits(), want_p90.to_bits()),
                "{} waits",
                v.len()
            );
        }
        let (mean, p90) = wait_stats(&[]);
        assert!(mean.is_nan() && p90.is_nan());
    }

    #[test]
    fn radix_sort_matches_sort_unstable() {
        let mut next = crate::testing::xorshift(99u64);
        // Zeros, ties, small and wide ranges (one digit, several, all 64 bits).
        let v: Vec<u64> = (0..20_000)
            .map(|i| match i % 4 {
                0 => 0,
                1 => next() % 100,
                2 => next() % 10_000_000,
                _ => next() >> (next() % 64),
            })
            .collect();
        for v in [
            &v[..],
            &v[..100],
            &v[..10],
            &[][..],
            &[u64::MAX, 0, 1 << 63][..],
        ] {
            let mut want = v.to_vec();
            want.sort_unstable();
            let mut got = v.to_vec();
            radix_sort(&mut got);
            assert_eq!(got, want);
        }
    }

    #[test]
    fn days_of_sorted_seconds_are_the_days_sorted_by_total_cmp() {
        let secs: Vec<u64> = (0..5_000u64).map(|i| (i * 7_919) % 3_000_000).collect();
        let mut want: Vec<f64> = secs.iter().map(|&s| secs_to_days(s)).collect();
        want.sort_by(f64::total_cmp);
        let mut sorted = secs.clone();
        radix_sort(&mut sorted);
        let got: Vec<f64> = sorted.into_iter().map(secs_to_days).collect();
        assert_eq!(
            got.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            want.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }
}

#[cfg(test)]
mod level_tests {
    use super::*;

    /// The plain version: split every span at week boundaries by division.
    fn reference(changes: &[(u64, i64)], end: u64, weeks: usize) -> Vec<f64> {
        let (mut value, mut last) = (0i64, 0u64);
        let mut area = vec![0.0; weeks];
        let mut advance = |value: i64, last: &mut u64, now: u64| {
            if value == 0 {
                *last = (*last).max(now);
                return;
            }
            while *last < now {
                let week = (*last / WEEK) as usize;
                let to = now.min((week as u64 + 1) * WEEK);
                if let Some(a) = area.get_mut(week) {
                    *a += value as f64 * (to - *last) as f64;
                }
                *last = to;
            }
        };
        for &(now, delta) in changes {
            advance(value, &mut last, now);
            value += delta;
        }
        advance(value, &mut last, end);
        area
    }

    #[test]
    fn level_integrates_like_the_plain_week_split() {
        let mut next = crate::testing::xorshift(7u64);
        let weeks = 300;
        // Ends on a week boundary, mid-week, and weeks after the last change.
        let horizon = weeks as u64 * WEEK;
        for (end, last_change) in [
            (horizon, horizon),
            (horizon - 12_345, horizon - 12_345),
            (horizon - 12_345, horizon - 5 * WEEK),
        ] {
            let mut now = 0;
            let mut value = 0i64;
            let mut changes = Vec::new();
            while now < last_change {
                // Same instants, exact week ends, small steps and multi-week gaps.
                now += match next() % 5 {
                    0 => 0,
                    1 => WEEK - now % WEEK,
                    2 => next() % 100,
                    3 => next() % (3 * WEEK),
                    _ => next() % DAY,
                };
                now = now.min(last_change);
                let delta = if value > 0 && next() % 2 == 0 { -1 } else { 1 };
                value += delta;
                changes.push((now, delta));
            }
            let mut level = Level::new(weeks);
            for &(t, delta) in &changes {
                level.change(SimTime(t), delta);
            }
            level.close(end);
            let want = reference(&changes, end, weeks);
            assert_eq!(
                level.area.iter().map(|a| a.to_bits()).collect::<Vec<_>>(),
                want.iter().map(|a| a.to_bits()).collect::<Vec<_>>(),
                "end {end}, last change {last_change}"
            );
            assert!(changes.len() > 500);
            assert!(want.iter().any(|&a| a > 0.0));
        }
    }
}

impl RoutingRec {
    /// Fills the units' step-ups by destination, relapse referrals and
    /// readmissions.
    fn finish(&mut self, units: &mut [UnitResult]) {
        let rate = |hits: u64, of: u64| {
            if of > 0 {
                hits as f64 / of as f64
            } else {
                f64::NAN
            }
        };
        for (u, res) in units.iter_mut().enumerate() {
            res.stepped_up_to = std::mem::take(&mut self.stepped_up_to[u]);
            res.relapse_referrals = self.relapse_referrals[u];
            res.readmissions = self.readmit[u].map(|r| Readmissions {
                within_30d: r.within_30,
                within_90d: r.within_90,
                rate_30d: rate(r.cohort_hits_30, r.cohort_30),
                rate_90d: rate(r.cohort_hits_90, r.cohort_90),
            });
        }
    }
}

impl StaffRec {
    /// Fills the results of intakes, rosters and caseloads, and adds the
    /// intake appointments' hours to their role's.
    fn finish(
        &mut self,
        end: u64,
        rep: std::ops::Range<usize>,
        plans: &[StaffPlan],
        units: &mut [UnitResult],
        staff: &mut [StaffResult],
    ) {
        for (rec, res) in self.units.iter_mut().zip(units.iter_mut()) {
            if rec.facilitated {
                res.sessions_cancelled = Some(rec.cancelled);
            }
            let Some((intake_role, intake_hours)) = rec.intake else {
                continue;
            };
            let (wait_days, wait_days_p90) = wait_stats(&rec.waits);
            let (offered, booked) = rec.slots;
            res.intake = Some(IntakeResult {
                wait_days,
                wait_days_p90,
                appointments: rec.waits.len() as u64,
                no_shows: rec.no_shows,
                slots_used: if offered > 0 {
                    booked as f64 / offered as f64
                } else {
                    f64::NAN
                },
                wait_secs: std::mem::take(&mut rec.waits),
            });
            if let Some(role) = intake_role {
                let st = &mut staff[role];
                for (w, h) in rep.clone().zip(st.weekly_hours.iter_mut()) {
                    *h += rec.attended[w] as f64 * intake_hours;
                }
                let plan = &plans[role];
                st.hours_per_week =
                    st.weekly_hours.iter().sum::<f64>() / st.weekly_hours.len().max(1) as f64;
                st.fte_needed = st.hours_per_week / plan.hours_per_fte;
                let short = st
                    .weekly_hours
                    .iter()
                    .filter(|&&h| h > plan.hours_per_week + 1e-9)
                    .count();
                st.short_weeks = short as f64 / st.weekly_hours.len().max(1) as f64;
            }
        }
        let span = (rep.len() as u64 * WEEK) as f64;
        for (rec, res) in self.roles.iter_mut().zip(staff.iter_mut()) {
            if rec.rostered {
                let on_duty = rec
                    .on_duty
                    .get(rep.clone())
                    .map_or(0.0, |w| w.iter().sum::<f64>())
                    / rep.len().max(1) as f64;
                res.roster = Some(RosterResult {
                    hours_on_duty: on_duty,
                    utilization: if on_duty > 0.0 {
                        res.hours_per_week / on_duty
                    } else {
                        f64::NAN
                    },
                    sessions_cancelled: rec.cancelled,
                    timetable_fte: rec.timetable_hours / rec.hours_per_fte,
                });
            }
            if rec.capped {
                rec.caseload.close(end);
                rec.full.close(end);
                let area = |l: &Level| l.area[rep.clone()].iter().sum::<f64>() / span;
                res.caseload = Some(CaseloadResult {
                    mean: area(&rec.caseload),
                    cap: f64::from(rec.cap),
                    full: area(&rec.full),
                    held_back: rec.held_back,
                });
            }
        }
    }
}
