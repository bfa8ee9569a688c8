//! The clinic rules: referrals, waitlists, admission, sessions and attendance,
//! dropout and step-up, discharge and routing between units. One [`Clinic`]
//! is one trial; it implements the engine's [`Process`].

use std::collections::VecDeque;

use rand::Rng;
use rand_distr::{Distribution, Exp1};

use crate::engine::time::days_to_secs;
use crate::engine::time::{round_nonneg, DAY, WEEK};
use crate::engine::{run_until, EventQueue, Process, SimTime, TimerId};
use crate::model::dist::Dist;
use crate::model::log::{Attended, Log, NoLog, PatientKey, Session, Visit, VisitEnd};
use crate::model::program::{CohortPlan, Program, TrackPlan};
use crate::model::recorder::{Audit, ClassTag, Recorder, Tally, NO_STREAM};
use crate::model::result::{TrialResult, UnitCounts};
use crate::model::rng::name_key;
use crate::model::rng::{derive, rng_from, PatientRng, Purpose, SimRng};
use crate::model::staffing::{self, CaseloadState, IntakeBook, RoleRoster};
use crate::scenario::{
    Admission, Destination, Episode, Handoff, Routing, SessionUnit, Unit, UnitKind,
};
use crate::scenario::{InitialInCare, InitialWaiting, INITIAL_STREAM};

type PatientId = u32;

/// Why an admitted patient leaves a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Complete,
    Dropout,
    StepUp,
    AdminDischarge,
}

/// `repr(C, align(8))`: a 4-byte tag and fields at fixed offsets, so the
/// queue moves an event in aligned words. With Rust's layout it was copied
/// with an unaligned 8-byte load across two smaller stores, which the CPU
/// cannot forward: popping an event stalled on it (the run loop fell from
/// 14% to 6% of an M/M/1 run under `perf` with this layout).
#[derive(Debug, Clone, Copy)]
#[repr(C, align(8))]
pub enum Event {
    Arrival {
        stream: u32,
    },
    Session {
        unit: u32,
        track: u32,
    },
    Leave {
        pid: PatientId,
        gen: u32,
        why: Exit,
    },
    Renege {
        pid: PatientId,
        gen: u32,
    },
    StayWeek {
        pid: PatientId,
        gen: u32,
        week: u32,
    },
    /// An intake appointment booked by `pid`.
    Intake {
        pid: PatientId,
        gen: u32,
    },
    /// `pid`'s phase `phase` (its index in the unit's phases; with
    /// `RETRY`, a try after its track was full) moves them to its track.
    PhaseMove {
        pid: PatientId,
        gen: u32,
        phase: u32,
    },
    /// `pid`, at home after a stay, is referred again (`relapse`).
    Relapse {
        pid: PatientId,
        gen: u32,
    },
}

/// Marks a [`Event::PhaseMove`] that tries again after finding its track full.
const RETRY: u32 = 1 << 31;

/// Same-time ordering: releases before seizes. A seat freed at 10:00 is free
/// for the 10:00 session; a waiting patient who reneges at 10:00 is gone
/// before it; a referral arriving at 10:00 can be admitted at it.
mod class {
    pub const LEAVE: u8 = 0;
    pub const RENEGE: u8 = 1;
    pub const ARRIVAL: u8 = 2;
    /// Before sessions: who shows at a 10:00 intake can be admitted at 10:00.
    pub const INTAKE: u8 = 3;
    /// After leaves, before sessions: a seat freed at 10:00 in the phase's
    /// track takes a patient moving at 10:00, and the seat they leave is
    /// free for their old track's 10:00 session (the week of stay of a
    /// patient admitted at a session begins at that session's time).
    pub const PHASE_MOVE: u8 = 4;
    pub const SESSION: u8 = 5;
    pub const STAY_WEEK: u8 = 6;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Free,
    /// Booked for an intake appointment (`wl_key.0` holds their priority).
    Intake,
    Waiting,
    InCare,
    /// Gone home from `unit` after a stay, to be referred again (an
    /// [`Event::Relapse`], if before the horizon); `tally` holds their
    /// readmission ticket.
    Away,
}

/// A seat (or bed): unit, track, group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seat {
    unit: u32,
    track: u32,
    group: u32,
}

#[derive(Debug, Clone)]
struct Patient {
    /// Bumped whenever pending events for this patient must be ignored.
    gen: u32,
    status: Status,
    rng: PatientRng,
    unit: u32,
    track: u32,
    group: u32,
    wl_key: (u8, u64),
    referred_at: SimTime,
    admitted_at: SimTime,
    attended: u32,
    absences: u32,
    /// A bed in another unit kept while waiting here (handoff = wait_in_place).
    holding: Option<Seat>,
    /// Position in the track's enrolled list (session units).
    enrolled_idx: u32,
    /// Seconds already spent waiting (status Waiting) or in care (InCare)
    /// before `referred_at` / `admitted_at` = time 0: patients of the
    /// `[initial]` state. 0 for everyone referred during the run.
    before_start: u64,
    /// Who the recorder counts this visit for ([`StreamPlan::tally`](crate::model::program::StreamPlan)): their
    /// referral stream at their first unit, nobody after a transfer.
    tally: Tally,
    /// Their admission has been held back by a full caseload (counted once).
    held_back: bool,
    /// Their class: 0 for none, else the class's index + 1 (`care[class]`
    /// of a [`UnitPlan`](crate::model::program::UnitPlan)).
    class: ClassTag,
    /// Their own chance of attending each session of the sessions unit
    /// they are in care in: the unit's (or class's) mean, or drawn.
    attendance: f64,
}

impl Patient {
    /// The `index`-th patient of the stream whose seeds start with
    /// `prefix`, counted for the recorder as `tally`.
    fn new(prefix: u64, index: u64, tally: Tally) -> Patient {
        Patient {
            gen: 0,
            status: Status::Free,
            rng: PatientRng::from_prefix(prefix, index),
            unit: 0,
            track: 0,
            group: 0,
            wl_key: (0, 0),
            referred_at: SimTime::ZERO,
            admitted_at: SimTime::ZERO,
            attended: 0,
            absences: 0,
            holding: None,
            enrolled_idx: 0,
            before_start: 0,
            tally,
            held_back: false,
            class: 0,
            attendance: 1.0,
        }
    }

    /// Makes a freed record [`Patient::new`]'s, but with `gen` bumped so
    /// that the previous occupant's pending events are ignored. Field by
    /// field, so that the generators' storage is not rewritten; the pattern
    /// names every field, so a new one cannot be forgotten here. The class
    /// is left as it is unless `reset_class`: in a plain program nobody
    /// has one, so it is still 0.
    #[inline]
    fn recycle(&mut self, prefix: u64, index: u64, new_tally: Tally, reset_class: bool) {
        let Patient {
            gen,
            status,
            rng,
            unit,
            track,
            group,
            wl_key,
            referred_at,
            admitted_at,
            attended,
            absences,
            holding,
            enrolled_idx,
            before_start,
            tally,
            held_back,
            class,
            attendance,
        } = self;
        *gen = gen.wrapping_add(1);
        *status = Status::Free;
        rng.restart(prefix, index);
        *unit = 0;
        *track = 0;
        *group = 0;
        *wl_key = (0, 0);
        *referred_at = SimTime::ZERO;
        *admitted_at = SimTime::ZERO;
        *attended = 0;
        *absences = 0;
        *holding = None;
        *enrolled_idx = 0;
        *before_start = 0;
        *tally = new_tally;
        *held_back = false;
        // Nobody has a class in a plain program (`Clinic`'s `PLAIN`).
        if reset_class {
            *class = 0;
        }
        // Set at each admission to a sessions unit, before it is read.
        let _ = attendance;
    }
}

/// A track's waitlist, in (priority, arrival sequence) order: lower priority
/// first, then first come, first served. Sequence numbers only grow, so each
/// priority is a FIFO queue (a BTreeMap was a tenth of an M/M/c run).
/// Someone leaving from the middle (reneging) leaves a tombstone, skipped and
/// compacted away, so the head of every queue is always a waiting patient.
#[derive(Debug, Default)]
struct Waitlist {
    /// Ascending by priority; a level stays once created (there are few).
    levels: Vec<WaitLevel>,
    len: usize,
}

#[derive(Debug)]
struct WaitLevel {
    priority: u8,
    /// (sequence, patient), ascending by sequence; `GONE` marks a tombstone.
    queue: VecDeque<(u64, PatientId)>,
    tombstones: usize,
}

const GONE: PatientId = PatientId::MAX;

impl Waitlist {
    #[inline]
    fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `pid` under `key` = (priority, sequence); the sequence must be
    /// larger than any inserted before. (`always`: once per waiting
    /// patient, and LLVM kept it out of line.)
    #[inline(always)]
    fn insert(&mut self, key: (u8, u64), pid: PatientId) {
        let (priority, seq) = key;
        self.len += 1;
        // Most referrals share the highest priority number in use (with one
        // priority, all do): its level is the last.
        if let Some(level) = self.levels.last_mut() {
            if level.priority == priority {
                debug_assert!(level.queue.back().is_none_or(|&(last, _)| last < seq));
                level.queue.push_back((seq, pid));
                return;
            }
        }
        let i = self.levels.partition_point(|l| l.priority < priority);
        if self.levels.get(i).is_none_or(|l| l.priority != priority) {
            let level = WaitLevel {
                priority,
                queue: VecDeque::new(),
                tombstones: 0,
            };
            self.levels.insert(i, level);
        }
        let queue = &mut self.levels[i].queue;
        debug_assert!(queue.back().is_none_or(|&(last, _)| last < seq));
        queue.push_back((seq, pid));
    }

    /// Removes the patient waiting under `key`, if any.
    #[inline]
    fn remove(&mut self, key: &(u8, u64)) -> Option<PatientId> {
        let &(priority, seq) = key;
        let level = self.levels.iter_mut().find(|l| l.priority == priority)?;
        let queue = &mut level.queue;
        // Admission takes the head: the common case, checked first.
        if let Some(&(s, pid)) = queue.front() {
            if s == seq {
                queue.pop_front();
                self.len -= 1;
                while queue.front().is_some_and(|&(_, p)| p == GONE) {
                    queue.pop_front();
                    level.tombstones -= 1;
                }
                return Some(pid);
            }
        }
        let i = queue.binary_search_by_key(&seq, |&(s, _)| s).ok()?;
        let pid = std::mem::replace(&mut queue[i].1, GONE);
        if pid == GONE {
            return None;
        }
        self.len -= 1;
        level.tombstones += 1;
        while queue.front().is_some_and(|&(_, p)| p == GONE) {
            queue.pop_front();
            level.tombstones -= 1;
        }
        while queue.back().is_some_and(|&(_, p)| p == GONE) {
            queue.pop_back();
            level.tombstones -= 1;
        }
        if level.tombstones > 32 && level.tombstones > queue.len() / 2 {
            queue.retain(|&(_, p)| p != GONE);
            level.tombstones = 0;
        }
        Some(pid)
    }

    /// The patient first in line, if any.
    fn first(&self) -> Option<PatientId> {
        self.levels
            .iter()
            .find_map(|l| l.queue.front())
            .map(|&(_, pid)| pid)
    }

    /// The patients in line, first first.
    fn iter(&self) -> impl Iterator<Item = PatientId> + '_ {
        self.levels
            .iter()
            .flat_map(|l| l.queue.iter().map(|&(_, pid)| pid))
            .filter(|&pid| pid != GONE)
    }

    /// Removes and returns the patient first in line: the head of the first
    /// non-empty level (a head is never a tombstone).
    #[inline]
    fn pop_first(&mut self) -> Option<PatientId> {
        let level = self.levels.iter_mut().find(|l| !l.queue.is_empty())?;
        let (_, pid) = level.queue.pop_front()?;
        self.len -= 1;
        // Without tombstones (nobody has reneged) the new head is a patient.
        if level.tombstones > 0 {
            while level.queue.front().is_some_and(|&(_, p)| p == GONE) {
                level.queue.pop_front();
                level.tombstones -= 1;
            }
        }
        Some(pid)
    }
}

/// A unit's state in a trial, beside the facts of its plan that nearly
/// every event asks for, copied in so that one index reaches them all (the
/// bounds checks of parallel tables were a tenth of an M/M/c run).
#[derive(Debug)]
struct UnitState<'p> {
    /// The unit as the scenario gives it.
    spec: &'p Unit,
    tracks: Vec<TrackState>,
    /// Patients waiting for the unit, all tracks together: on the
    /// waitlists, and those with a reserved seat.
    waiting: u32,
    /// Of `waiting`, those with a reserved seat (off the waitlists).
    reserved: u32,
    /// The unit's cohort calendar, if it admits in closed cohorts.
    cohort: Option<CohortPlan>,
    /// The plan's [`UnitPlan::admits_on_arrival`](crate::model::program::UnitPlan).
    admits_on_arrival: bool,
    /// The plan's [`UnitPlan::is_sessions`](crate::model::program::UnitPlan).
    is_sessions: bool,
    /// A sessions unit or one with a `relapse`: its leavers go on out of
    /// line ([`Clinic::leave_apart`]), so that a bed unit's (M/M/c's) pay
    /// the one test that they always paid for being in a bed.
    leaves_apart: bool,
    /// The caseload that caps admissions here ([`Staffing::caseloads`]).
    caseload: Option<u32>,
    /// Some phase moves its patients to another track.
    phase_moves: bool,
    /// Where the patience of those who wait here comes from.
    patience: Patience,
}

/// Where the patience of a unit's waiting patients comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Patience {
    /// Nobody here gives up waiting.
    Never,
    /// The unit's own `waitlist.patience`, whatever the patient's class.
    Unit,
    /// Some class has its own here: looked up by the patient's class.
    ByClass,
}

/// Staff as a constraint in one trial (`model::staffing`); absent unless
/// the scenario has a roster, an intake or a caseload.
#[derive(Debug)]
struct Staffing {
    /// Per role; `None` for a role without shifts.
    rosters: Vec<Option<RoleRoster>>,
    /// Per unit; `Some` for a unit with an intake.
    intakes: Vec<Option<IntakeBook>>,
    caseloads: Vec<CaseloadState>,
    /// Scratch: per group of a session, whether it is held.
    held: Vec<bool>,
}

#[derive(Debug)]
struct TrackState {
    waitlist: Waitlist,
    occupancy: Vec<u32>,
    enrolled: Vec<PatientId>,
    /// Seats in each group (the plan's `group_size`).
    group_size: u32,
    /// Where the track's next session waits (it has one at a time); none
    /// for a bed unit, which has no sessions (a timer the queue would look
    /// at on every arrival for nothing).
    session_timer: Option<TimerId>,
    /// When that timer fires, if there is another session before the horizon.
    next_session: Option<SimTime>,
    /// Patients on the waitlist who keep a bed in another unit until a
    /// seat here is assigned to them (`handoff = "wait_in_place"`).
    holders: u32,
    /// Seats assigned to former bed-holders for the next held session,
    /// (patient, group, that session); counted in `occupancy` already.
    reservations: Vec<(PatientId, u32, SimTime)>,
}

impl UnitState<'_> {
    /// Whether the waitlist is at its capacity. (`always`: LLVM kept this
    /// and `left_waitlist` out of line, and the call cost more than their
    /// body does for a bed unit.)
    #[inline(always)]
    fn waitlist_full(&self, p: &Program, unit: usize) -> bool {
        let Some(cap) = self.spec.waitlist.capacity else {
            return false;
        };
        // Places on the waitlist beyond the seats the next sessions will
        // fill (free seats not yet reserved), for those not holding a
        // reserved seat already.
        let free_seats: u64 = if self.admits_on_arrival {
            0
        } else if let Some(cohort) = &self.cohort {
            self.cohort_free_seats(p, unit, cohort)
        } else {
            self.tracks.iter().map(|t| u64::from(t.free_seats())).sum()
        };
        u64::from(self.waiting - self.reserved) >= u64::from(cap) + free_seats
    }

    /// The free seats of the groups that admit at their track's next held
    /// session: outside a group's cohort weeks its free seats wait for the
    /// next cohort and fill nobody's place now.
    #[inline(never)]
    fn cohort_free_seats(&self, p: &Program, unit: usize, cohort: &CohortPlan) -> u64 {
        self.tracks
            .iter()
            .zip(&p.units[unit].tracks)
            .map(|(t, plan)| {
                let Some(at) = t.next_held_session(p, plan) else {
                    return 0;
                };
                (0..plan.groups)
                    .filter(|&g| cohort.admits(g, plan.groups, at.day()))
                    .map(|g| u64::from(t.group_size - t.occupancy[g as usize]))
                    .sum()
            })
            .sum()
    }
}

impl TrackState {
    /// The first group with a free seat.
    #[inline]
    fn free_group(&self) -> Option<usize> {
        self.occupancy.iter().position(|&o| o < self.group_size)
    }

    /// Seats free in all the track's groups.
    fn free_seats(&self) -> u32 {
        self.occupancy.iter().map(|&o| self.group_size - o).sum()
    }

    /// The track's next session that is not on a holiday (holidays hold no
    /// session), if one falls before the horizon.
    fn next_held_session(&self, p: &Program, plan: &TrackPlan) -> Option<SimTime> {
        let mut at = self.next_session?;
        while p.calendar.is_holiday(at.day()) {
            at = p.next_session(plan, Some(at.day()))?;
        }
        Some(at)
    }
}

#[derive(Debug)]
struct ArrivalState {
    rng: SimRng,
    /// Position in seconds (fractional: kept exact between arrivals).
    pos: f64,
    /// Remaining unit-rate exponential "budget" of integrated hazard.
    budget: f64,
    /// End of the day `pos` is in, in seconds, and that day's rate per
    /// second: a cache of `rate_per_sec`, refreshed when `pos` reaches
    /// `day_end` (0 at the start, so the first arrival looks it up).
    day_end: f64,
    rate: f64,
    count: u64,
    /// `derive(&[seed, trial, stream key])`: the stream's part of every
    /// patient's seed, hashed once.
    patient_prefix: u64,
    /// Where the stream's next arrival waits (it has one at a time).
    timer: TimerId,
    /// How the recorder counts the stream's patients ([`StreamPlan::tally`](crate::model::program::StreamPlan)).
    tally: Tally,
    /// The stream gives its patients a class (`classes` not empty).
    classes: bool,
    /// The stream's unit has an intake: its patients book an appointment
    /// first. Kept here, where an arrival looks already (looking it up in
    /// the unit's state cost a bounds check on every arrival).
    intake: bool,
}

impl ArrivalState {
    /// Sets the timer to stream `s`'s next arrival. The stream is a
    /// non-homogeneous Poisson process whose rate is constant within each
    /// day: a unit exponential budget of integrated rate is spent day by
    /// day (exact inversion, no thinning).
    #[inline(always)] // the per-customer path: see `Clinic::handle`
    fn schedule(&mut self, p: &Program, s: usize, q: &mut EventQueue<Event>) {
        let rates = &p.streams[s].rate_per_sec;
        // Times are far below 2^63 s: convert through i64, one instruction
        // each way on x86-64 where u64 takes several (this runs per arrival).
        let horizon = p.horizon.0 as i64 as f64;
        while self.pos < horizon {
            // Most arrivals fall on the day of the one before: the day, its
            // end and its rate are looked up only when a day is left (the
            // division on every arrival cost 6% of an M/M/1 run).
            if self.pos >= self.day_end {
                let day = (self.pos / DAY as f64) as i64 as usize;
                let Some(&rate) = rates.get(day) else { return };
                self.rate = rate;
                self.day_end = ((day as i64 + 1) * DAY as i64) as f64;
            }
            let (rate, day_end) = (self.rate, self.day_end);
            let room = rate * (day_end - self.pos);
            if rate > 0.0 && self.budget <= room {
                self.pos += self.budget / rate;
                self.budget = Exp1.sample(&mut self.rng);
                let t = SimTime(round_nonneg(self.pos));
                if t < p.horizon {
                    let arrival = Event::Arrival { stream: s as u32 };
                    q.set_timer(self.timer, t, class::ARRIVAL, arrival);
                }
                return;
            }
            self.budget -= room;
            self.pos = day_end;
        }
    }
}

/// What the log needs of a patient's current visit beyond the patient's
/// record (kept only for a [`Log`] that is `ON`, indexed by patient id).
#[derive(Debug, Clone, Copy)]
struct LogInfo {
    key: PatientKey,
    priority: u8,
    /// Seconds from the start of the calendar; `None` for `[initial]`
    /// patients in care, whose referral is not known.
    referred: Option<i64>,
    scheduled: u32,
    attended: u32,
}

impl LogInfo {
    const NONE: LogInfo = LogInfo {
        key: PatientKey {
            stream: None,
            index: 0,
        },
        priority: 0,
        referred: None,
        scheduled: 0,
        attended: 0,
    };
}

/// One trial of a program: its patients, units and recorder, driven event
/// by event. `PLAIN` is a promise that the program is
/// [`plain`](Program::plain), with no patient classes and no relapse: the
/// run loop then leaves out their tests on every customer's path (a
/// compiled copy of its own, where the tests cost M/M/c 3-6% of its
/// time). [`run_trial`] picks the copy; both run every plain program to
/// the same result (tested).
pub struct Clinic<'p, L: Log = NoLog, const PLAIN: bool = false> {
    p: &'p Program<'p>,
    seed: u64,
    trial: u64,
    patients: Vec<Patient>,
    free: Vec<PatientId>,
    arrivals: Vec<ArrivalState>,
    units: Vec<UnitState<'p>>,
    wl_seq: u64,
    rec: Recorder,
    /// Scratch for [`Clinic::assign_reserved_seats`], kept to reuse its memory.
    placing: Vec<PatientId>,
    log: L,
    /// Per patient id, for the log (empty unless `L::ON`).
    info: Vec<LogInfo>,
    /// Per group of a session, (expected, attended), for the log.
    group_counts: Vec<(u32, u32)>,
    /// Visits to a bed unit that have ended but whose bed is still kept,
    /// waiting for the next unit (`log_left`).
    bed_rows: Vec<(PatientId, Visit)>,
    staffing: Option<Box<Staffing>>,
    /// Scratch of a session of a track with a `min_size`: per group,
    /// whether it is below the minimum and not held; empty otherwise.
    below: Vec<bool>,
}

/// Runs trial `trial` of `program` with the run's `seed`.
pub fn run_trial(program: &Program, seed: u64, trial: u64) -> TrialResult {
    if program.plain {
        run_clinic::<true, _>(program, seed, trial, Clinic::finish)
    } else {
        run_clinic::<false, _>(program, seed, trial, Clinic::finish)
    }
}

/// [`run_trial`] through the run loop that every program can take, plain
/// or not: for the test that both loops agree on plain programs.
#[doc(hidden)]
pub fn run_trial_general(program: &Program, seed: u64, trial: u64) -> TrialResult {
    run_clinic::<false, _>(program, seed, trial, Clinic::finish)
}

/// Runs the trial on the clinic that is plain or not, and hands it with
/// the number of events handled to `end`.
fn run_clinic<'p, const PLAIN: bool, T>(
    program: &'p Program<'p>,
    seed: u64,
    trial: u64,
    end: impl FnOnce(Clinic<'p, NoLog, PLAIN>, u64) -> T,
) -> T {
    let mut queue = EventQueue::with_capacity(1024);
    let mut clinic = Clinic::<NoLog, PLAIN>::with_log(program, seed, trial, &mut queue, NoLog);
    clinic.start(&mut queue);
    let events = clinic.run(&mut queue);
    end(clinic, events)
}

/// [`run_trial`], telling `log` every patient's visits and (if it asks)
/// every session held. The trial is the same history [`run_trial`]
/// simulates: the log takes no draws and changes no event. (Through the
/// general run loop, whatever the program: a logged run is not the hot
/// path, and it checks the plain loop against the general one.)
pub fn run_trial_logged<L: Log>(
    program: &Program,
    seed: u64,
    trial: u64,
    log: L,
) -> (TrialResult, L) {
    let mut queue = EventQueue::with_capacity(1024);
    let mut clinic = Clinic::<L, false>::with_log(program, seed, trial, &mut queue, log);
    clinic.start(&mut queue);
    let events = clinic.run(&mut queue);
    clinic.log_open_visits();
    clinic.finish_with_log(events)
}

/// [`run_trial`], also returning the invariant counters (for tests).
pub fn run_trial_audited(program: &Program, seed: u64, trial: u64) -> (TrialResult, Audit) {
    fn audited<const PLAIN: bool>(
        c: Clinic<'_, NoLog, PLAIN>,
        events: u64,
    ) -> (TrialResult, Audit) {
        let audit = c.rec.audit();
        (c.finish(events), audit)
    }
    if program.plain {
        run_clinic::<true, _>(program, seed, trial, audited)
    } else {
        run_clinic::<false, _>(program, seed, trial, audited)
    }
}

impl<'p, L: Log, const PLAIN: bool> Clinic<'p, L, PLAIN> {
    /// A trial's clinic, with its timers made on `q`, the queue it runs
    /// on, telling `log` what happens (`NoLog`: nothing). Panics if
    /// `PLAIN` but the program is not plain.
    pub fn with_log(
        p: &'p Program<'p>,
        seed: u64,
        trial: u64,
        q: &mut EventQueue<Event>,
        log: L,
    ) -> Clinic<'p, L, PLAIN> {
        assert!(
            !PLAIN || p.plain,
            "a plain clinic runs a program without classes or relapse"
        );
        let mut arrivals: Vec<ArrivalState> = p
            .streams
            .iter()
            .map(|s| {
                let mut rng = rng_from(&[seed, trial, s.key, Purpose::Arrivals as u64]);
                let budget = Exp1.sample(&mut rng);
                ArrivalState {
                    rng,
                    pos: 0.0,
                    budget,
                    day_end: 0.0,
                    rate: 0.0,
                    count: 0,
                    patient_prefix: derive(&[seed, trial, s.key]),
                    timer: q.add_timer(),
                    tally: s.tally,
                    classes: false,
                    intake: false,
                }
            })
            .collect();
        for (st, r) in arrivals.iter_mut().zip(&p.scenario.referrals) {
            st.classes = !r.classes.is_empty();
        }
        let units = p
            .units
            .iter()
            .zip(&p.scenario.units)
            .enumerate()
            .map(|(u, (plan, unit))| UnitState {
                spec: unit,
                tracks: plan
                    .tracks
                    .iter()
                    .map(|t| TrackState {
                        waitlist: Waitlist::default(),
                        occupancy: vec![0; t.groups as usize],
                        enrolled: Vec::new(),
                        group_size: t.group_size,
                        session_timer: plan.is_sessions.then(|| q.add_timer()),
                        next_session: None,
                        holders: 0,
                        reservations: Vec::new(),
                    })
                    .collect(),
                waiting: 0,
                reserved: 0,
                cohort: plan.cohort,
                admits_on_arrival: plan.admits_on_arrival,
                is_sessions: plan.is_sessions,
                leaves_apart: plan.is_sessions || unit.relapse.is_some(),
                caseload: None,
                patience: if p.scenario.classes.iter().any(|c| {
                    c.care
                        .get(u)
                        .and_then(Option::as_ref)
                        .is_some_and(|cc| cc.patience.is_some())
                }) {
                    Patience::ByClass
                } else if unit.waitlist.patience.is_some() {
                    Patience::Unit
                } else {
                    Patience::Never
                },
                phase_moves: matches!(&unit.kind, UnitKind::Sessions(su) if su.moves_by_phase()),
            })
            .collect::<Vec<_>>();
        let mut units = units;
        let staffing = staffing::constrains(p.scenario).then(|| {
            let s = p.scenario;
            let rosters = staffing::draw_rosters(s, p.total_weeks, seed, trial);
            let intakes: Vec<Option<IntakeBook>> = (0..s.units.len())
                .map(|u| IntakeBook::new(s, u, &p.calendar, &rosters))
                .collect();
            let (caseloads, by_unit) = staffing::caseloads(s, &rosters);
            for (u, us) in units.iter_mut().enumerate() {
                us.caseload = by_unit[u];
            }
            for (st, r) in arrivals.iter_mut().zip(&s.referrals) {
                st.intake = intakes[r.to].is_some();
            }
            Box::new(Staffing {
                rosters,
                intakes,
                caseloads,
                held: Vec::new(),
            })
        });
        Clinic {
            p,
            seed,
            trial,
            patients: Vec::new(),
            free: Vec::new(),
            arrivals,
            units,
            wl_seq: 0,
            rec: Recorder::new(p),
            placing: Vec::new(),
            log,
            info: Vec::new(),
            group_counts: Vec::new(),
            bed_rows: Vec::new(),
            staffing,
            below: Vec::new(),
        }
    }

    pub fn start(&mut self, q: &mut EventQueue<Event>) {
        for (s, st) in self.arrivals.iter_mut().enumerate() {
            st.schedule(self.p, s, q);
        }
        for (u, plan) in self.p.units.iter().enumerate() {
            for (t, track) in plan.tracks.iter().enumerate() {
                let ts = &mut self.units[u].tracks[t];
                let next = if ts.session_timer.is_some() {
                    self.p.next_session(track, None)
                } else {
                    None
                };
                ts.next_session = next;
                if let (Some(timer), Some(at)) = (ts.session_timer, next) {
                    q.set_timer(
                        timer,
                        at,
                        class::SESSION,
                        Event::Session {
                            unit: u as u32,
                            track: t as u32,
                        },
                    );
                }
            }
        }
        self.seed_initial(q);
    }

    /// Runs the warm-up, then the reported weeks; returns the number of
    /// events handled. Two phases, so that the recorder learns once that
    /// reporting has begun (events at the warm-up's end are reported).
    pub fn run(&mut self, q: &mut EventQueue<Event>) -> u64 {
        let warmup = run_until(self, q, self.p.warmup_end);
        self.rec.start_reporting();
        warmup + run_until(self, q, self.p.horizon)
    }

    pub fn finish(self, events: u64) -> TrialResult {
        self.finish_with_log(events).0
    }

    /// [`Clinic::finish`], handing the log back too.
    pub fn finish_with_log(mut self, events: u64) -> (TrialResult, L) {
        let mut waiting_at_end = vec![0u64; self.p.units.len()];
        let mut in_care_at_end = vec![0u64; self.p.units.len()];
        let mut away_at_end = vec![0u64; self.p.units.len()];
        for pt in &self.patients {
            match pt.status {
                Status::Waiting | Status::Intake => waiting_at_end[pt.unit as usize] += 1,
                Status::InCare => in_care_at_end[pt.unit as usize] += 1,
                Status::Away => away_at_end[pt.unit as usize] += 1,
                Status::Free => {}
            }
        }
        if self.rec.keeps_stays() {
            for pt in self
                .patients
                .iter()
                .filter(|pt| pt.status == Status::InCare)
            {
                let admitted = Self::admitted_secs(pt);
                self.rec
                    .stay_open(pt.unit as usize, pt.track as usize, admitted);
            }
        }
        let mut rec = self.rec;
        if let Some(st) = &self.staffing {
            let from = self.p.warmup_end.day() as usize;
            for (u, book) in st.intakes.iter().enumerate() {
                if let Some(book) = book {
                    rec.intake_slots(u, book.slots_from(from));
                }
            }
            for (r, roster) in st.rosters.iter().enumerate() {
                if let Some(ro) = roster {
                    rec.hours_on_duty(r, ro.hours_by_week(&self.p.calendar, self.p.total_weeks));
                }
            }
            for c in &st.caseloads {
                rec.caseload_cap(c.role, c.cap);
            }
        }
        let result = rec.finish(
            self.trial,
            events,
            &waiting_at_end,
            &in_care_at_end,
            &away_at_end,
        );
        (result, self.log)
    }

    /// The index in `unit`'s destination names of the `i`-th destination
    /// of its routing maps, counted through `UnitPlan::route_dest` (`i`
    /// past them, [`STEPUP_TO`]: its `stepup_to`).
    #[inline(never)]
    fn destination(&self, unit: usize, i: usize) -> u32 {
        let plan = &self.p.units[unit];
        plan.route_dest.get(i).copied().unwrap_or(plan.stepup_dest)
    }

    // ---- the log (all of it behind `L::ON`: see `model::log`) ----------

    /// The log's record of `pid`, made if need be.
    #[inline]
    fn info(&mut self, pid: PatientId) -> &mut LogInfo {
        let i = pid as usize;
        if self.info.len() <= i {
            self.info.resize(i + 1, LogInfo::NONE);
        }
        &mut self.info[i]
    }

    /// A visit begins: `pid` is referred (or transferred) to a unit at `now`.
    ///
    /// Each hook is an `always` inlined test of `L::ON` around an out of
    /// line body, so that for [`NoLog`] not even an empty call is left in
    /// the run loop (left to LLVM, they cost M/M/1 1% of its instructions).
    #[inline(always)]
    fn log_referred(&mut self, pid: PatientId, now: SimTime, priority: u8) {
        if L::ON {
            self.log_referred_on(pid, now, priority);
        }
    }

    #[inline(never)]
    fn log_referred_on(&mut self, pid: PatientId, now: SimTime, priority: u8) {
        let info = self.info(pid);
        info.referred = Some(now.0 as i64);
        info.priority = priority;
        info.scheduled = 0;
        info.attended = 0;
    }

    /// When the patient in care `pt` was admitted, in seconds from the
    /// start of the calendar (before it for the `[initial]` state's).
    fn admitted_secs(pt: &Patient) -> i64 {
        pt.admitted_at.0 as i64 - pt.before_start as i64
    }

    /// `pid`'s visit ends at `left` (`None`: it had not by the horizon);
    /// `admitted` if they were in care.
    #[inline(always)]
    fn log_visit(
        &mut self,
        pid: PatientId,
        end: VisitEnd,
        left: Option<SimTime>,
        destination: Option<u32>,
        admitted: Option<i64>,
    ) {
        if L::ON {
            self.log_visit_on(pid, end, left, destination, admitted);
        }
    }

    #[inline(never)]
    fn log_visit_on(
        &mut self,
        pid: PatientId,
        end: VisitEnd,
        left: Option<SimTime>,
        destination: Option<u32>,
        admitted: Option<i64>,
    ) {
        let info = *self.info(pid);
        let pt = &self.patients[pid as usize];
        let is_sessions = self.units[pt.unit as usize].is_sessions;
        let visit = Visit {
            patient: info.key,
            unit: pt.unit,
            track: (is_sessions && end != VisitEnd::NoShow && pt.status != Status::Intake)
                .then_some(pt.track),
            priority: info.priority,
            referred: info.referred,
            admitted,
            left: left.map(|t| t.0 as i64),
            freed: admitted.and(left).map(|t| t.0 as i64),
            end,
            destination,
            sessions_scheduled: info.scheduled,
            sessions_attended: info.attended,
            class: pt.class,
        };
        self.log.visit(&visit);
    }

    /// `pid` leaves care at `now` for destination `dest`. Leaving a bed
    /// for another unit (`keeps_bed`), they keep it until that unit decides
    /// (at once, or later with `handoff = "wait_in_place"`): the row waits
    /// for the bed to be freed ([`Clinic::log_bed_freed`]), so that the
    /// log's time in place is the census's.
    fn log_left(
        &mut self,
        pid: PatientId,
        end: VisitEnd,
        now: SimTime,
        dest: u32,
        admitted: i64,
        keeps_bed: bool,
    ) {
        if keeps_bed {
            let info = *self.info(pid);
            let pt = &self.patients[pid as usize];
            self.bed_rows.push((
                pid,
                Visit {
                    patient: info.key,
                    unit: pt.unit,
                    track: None,
                    priority: info.priority,
                    referred: info.referred,
                    admitted: Some(admitted),
                    left: Some(now.0 as i64),
                    freed: None,
                    end,
                    destination: Some(dest),
                    sessions_scheduled: 0,
                    sessions_attended: 0,
                    class: pt.class,
                },
            ));
        } else {
            self.log_visit(pid, end, Some(now), Some(dest), Some(admitted));
        }
    }

    /// The bed `pid` kept after their stay is freed at `now`: their visit
    /// to the bed unit ends.
    #[inline(always)]
    fn log_bed_freed(&mut self, pid: PatientId, now: SimTime) {
        if L::ON {
            self.log_bed_freed_on(pid, now);
        }
    }

    #[inline(never)]
    fn log_bed_freed_on(&mut self, pid: PatientId, now: SimTime) {
        if let Some(i) = self.bed_rows.iter().position(|&(p, _)| p == pid) {
            let (_, mut visit) = self.bed_rows.swap_remove(i);
            visit.freed = Some(now.0 as i64);
            self.log.visit(&visit);
        }
    }

    /// `pid`, of group `group` of `track`, was expected at this session
    /// (at `now`), and `came` or not.
    fn log_attendance(
        &mut self,
        now: SimTime,
        (unit, track): (usize, usize),
        pid: PatientId,
        group: usize,
        came: bool,
    ) {
        let info = self.info(pid);
        info.scheduled += 1;
        info.attended += u32::from(came);
        let patient = info.key;
        if let Some(g) = self.group_counts.get_mut(group) {
            g.0 += 1;
            g.1 += u32::from(came);
        }
        if self.log.attendance() {
            self.log.attended(&Attended {
                at: now.0,
                patient,
                unit: unit as u32,
                track: track as u32,
                group: group as u32,
                came,
            });
        }
    }

    /// This session of `track`: a row per group held (anyone enrolled).
    fn log_sessions(&mut self, now: SimTime, unit: usize, track: usize) {
        if !self.log.sessions() {
            return;
        }
        let occupancy = &self.units[unit].tracks[track].occupancy;
        for (g, (&enrolled, &(expected, attended))) in
            occupancy.iter().zip(&self.group_counts).enumerate()
        {
            let held = self
                .staffing
                .as_ref()
                .is_none_or(|st| st.held.is_empty() || st.held[g])
                && !self.below.get(g).is_some_and(|&b| b);
            if enrolled > 0 && held {
                self.log.session(&Session {
                    at: now.0,
                    unit: unit as u32,
                    track: track as u32,
                    group: g as u32,
                    enrolled,
                    expected,
                    attended,
                });
            }
        }
    }

    /// At the horizon: the visits still open, waiting or in care, in
    /// patient-record order, then the beds still kept by patients waiting
    /// for another unit.
    fn log_open_visits(&mut self) {
        if !L::ON {
            return;
        }
        let mut kept = std::mem::take(&mut self.bed_rows);
        kept.sort_by_key(|&(pid, _)| pid);
        for (_, visit) in &kept {
            self.log.visit(visit);
        }
        for pid in 0..self.patients.len() as PatientId {
            let pt = &self.patients[pid as usize];
            match pt.status {
                Status::Waiting | Status::Intake => {
                    self.log_visit(pid, VisitEnd::Waiting, None, None, None)
                }
                Status::InCare => {
                    let admitted = Some(Self::admitted_secs(pt));
                    self.log_visit(pid, VisitEnd::InCare, None, None, admitted);
                }
                // Their visit ended when they went home.
                Status::Away | Status::Free => {}
            }
        }
    }

    // ---- arrivals -------------------------------------------------------

    #[inline(always)] // the per-customer path: see `handle`
    fn on_arrival(&mut self, now: SimTime, s: usize, q: &mut EventQueue<Event>) {
        let st = &mut self.arrivals[s];
        let index = st.count;
        st.count += 1;
        let prefix = st.patient_prefix;
        let tally = st.tally;
        let apart = st.intake || (!PLAIN && st.classes);
        st.schedule(self.p, s, q);
        let pid = self.new_patient(prefix, index, tally);
        // A stream whose patients have a class or book an intake first
        // goes on out of line: M/M/c's arrivals test one flag for both.
        if apart {
            return self.arrival_apart(now, s, pid, index, q);
        }
        let stream = &self.p.scenario.referrals[s];
        let unit = stream.to;
        if L::ON {
            let key = PatientKey {
                stream: Some(s as u32),
                index,
            };
            self.info(pid).key = key;
            self.log_referred(pid, now, stream.priority);
        }
        self.rec.referral(unit, tally);
        // A draw in [0, 1) is always below a show rate of 1: skip it (and
        // the seeding of the show generator, used for nothing else).
        let shows = stream.show >= 1.0
            || self.patients[pid as usize]
                .rng
                .stream(Purpose::Show)
                .random::<f64>()
                < stream.show;
        if !shows {
            self.rec.no_show(unit, tally);
            if L::ON {
                self.patients[pid as usize].unit = unit as u32;
                self.log_visit(pid, VisitEnd::NoShow, Some(now), None, None);
            }
            self.release_patient(pid);
            return;
        }
        self.enter(now, pid, unit, stream.priority, None, q);
    }

    /// [`Clinic::on_arrival`] for a stream whose patients have a class
    /// (which sets their show rate and priority) or book an intake
    /// appointment before anything else.
    #[cold]
    #[inline(never)]
    fn arrival_apart(
        &mut self,
        now: SimTime,
        s: usize,
        pid: PatientId,
        index: u64,
        q: &mut EventQueue<Event>,
    ) {
        let st = &self.arrivals[s];
        let (tally, classed) = (st.tally, st.classes);
        let stream = &self.p.scenario.referrals[s];
        let unit = stream.to;
        let (show, priority) = if classed {
            self.assign_class(pid, s)
        } else {
            (stream.show, stream.priority)
        };
        if L::ON {
            let key = PatientKey {
                stream: Some(s as u32),
                index,
            };
            self.info(pid).key = key;
            self.log_referred(pid, now, priority);
        }
        self.rec.referral(unit, tally);
        self.show_up(now, pid, unit, tally, (show, priority), q);
    }

    /// A referral of `pid` to `unit` (already counted) turns up with
    /// probability `show` and goes on to an intake appointment or to
    /// `enter` with `priority` (an intake if `unit` has one); one who does not is a no-show there, for
    /// their stream (`tally`) and class. Out of line, for the referrals
    /// that are not M/M/c's (`arrival_apart`, `on_relapse`): the plain
    /// arrival keeps its own copy of the show draw inlined in the run loop.
    #[cold]
    #[inline(never)]
    fn show_up(
        &mut self,
        now: SimTime,
        pid: PatientId,
        unit: usize,
        tally: Tally,
        (show, priority): (f64, u8),
        q: &mut EventQueue<Event>,
    ) {
        let pt = &mut self.patients[pid as usize];
        let shows = show >= 1.0 || pt.rng.stream(Purpose::Show).random::<f64>() < show;
        if !shows {
            self.rec.no_show(unit, tally);
            self.class_lost(pid, |c| &mut c.no_shows);
            if L::ON {
                self.patients[pid as usize].unit = unit as u32;
                self.log_visit(pid, VisitEnd::NoShow, Some(now), None, None);
            }
            self.release_patient(pid);
            return;
        }
        let intake = self
            .staffing
            .as_ref()
            .is_some_and(|st| st.intakes[unit].is_some());
        if intake {
            self.book_intake(now, pid, unit, priority, q);
            return;
        }
        self.enter(now, pid, unit, priority, None, q);
    }

    /// Gives `pid`, a referral of stream `s`, their class: the stream's
    /// one, or one drawn from its shares (with the patient's own class
    /// generator, used for nothing else before). Counts the referral for
    /// the class and returns the show rate and priority that apply.
    #[cold]
    #[inline(never)]
    fn assign_class(&mut self, pid: PatientId, s: usize) -> (f64, u8) {
        let sc = self.p.scenario;
        let stream = &sc.referrals[s];
        let class = match stream.classes.as_slice() {
            [(c, _)] => *c,
            shares => {
                let x: f64 = self.patients[pid as usize]
                    .rng
                    .stream(Purpose::Class)
                    .random();
                let mut acc = 0.0;
                shares
                    .iter()
                    .find(|(_, share)| {
                        acc += share;
                        x < acc
                    })
                    .or(shares.last())
                    .map_or(0, |&(c, _)| c)
            }
        };
        let tag = (class + 1) as ClassTag;
        self.patients[pid as usize].class = tag;
        self.rec.class_referral(tag);
        let c = &sc.classes[class];
        (
            c.show.unwrap_or(stream.show),
            c.priority.unwrap_or(stream.priority),
        )
    }

    /// Counts `pid`'s loss (`which` of the counts) for their class, if any.
    #[inline(always)]
    fn class_lost(&mut self, pid: PatientId, which: fn(&mut UnitCounts) -> &mut u64) {
        let tag = self.patients[pid as usize].class;
        if tag != 0 {
            self.rec.class_lost(tag, which);
        }
    }

    /// Books `pid`, referred to `unit` at `now`, into the first intake
    /// appointment with a free place. Nobody is booked past the horizon:
    /// they are still waiting for one at the end.
    #[cold]
    #[inline(never)]
    fn book_intake(
        &mut self,
        now: SimTime,
        pid: PatientId,
        unit: usize,
        priority: u8,
        q: &mut EventQueue<Event>,
    ) {
        let at = self
            .staffing
            .as_mut()
            .and_then(|st| st.intakes[unit].as_mut())
            .and_then(|book| book.book(now));
        let pt = &mut self.patients[pid as usize];
        pt.unit = unit as u32;
        pt.status = Status::Intake;
        pt.referred_at = now;
        pt.wl_key = (priority, 0);
        if let Some(at) = at {
            let gen = self.patients[pid as usize].gen;
            q.push(at, class::INTAKE, Event::Intake { pid, gen });
        }
    }

    /// `pid`'s intake appointment: they come with the probability of the
    /// days they waited for it and go on as a referral would (a seat or the
    /// waitlist); their wait counts from the referral.
    #[cold]
    #[inline(never)]
    fn on_intake(&mut self, now: SimTime, pid: PatientId, gen: u32, q: &mut EventQueue<Event>) {
        let pt = &mut self.patients[pid as usize];
        if pt.gen != gen || pt.status != Status::Intake {
            return;
        }
        let unit = pt.unit as usize;
        let (referred, priority, tally) = (pt.referred_at, pt.wl_key.0, pt.tally);
        let UnitKind::Sessions(su) = &self.p.scenario.units[unit].kind else {
            return;
        };
        let Some(intake) = &su.intake else { return };
        let waited = now.since(referred);
        let p = intake.show_after(waited as f64 / DAY as f64);
        let shows = p >= 1.0 || pt.rng.stream(Purpose::Show).random::<f64>() < p;
        self.rec.intake(unit, now, waited, shows);
        if !shows {
            self.rec.no_show(unit, tally);
            self.class_lost(pid, |c| &mut c.no_shows);
            self.log_visit(pid, VisitEnd::NoShow, Some(now), None, None);
            self.release_patient(pid);
            return;
        }
        self.enter(now, pid, unit, priority, None, q);
    }

    /// A record for the `index`-th patient of the stream whose seeds start
    /// with `prefix` (see [`PatientRng::from_prefix`]), reusing a freed one
    /// where there is one. (`always`: once per referral, and LLVM kept it
    /// out of line.)
    #[inline(always)]
    fn new_patient(&mut self, prefix: u64, index: u64, tally: Tally) -> PatientId {
        match self.free.pop() {
            Some(pid) => {
                self.patients[pid as usize].recycle(prefix, index, tally, !PLAIN);
                pid
            }
            None => {
                self.patients.push(Patient::new(prefix, index, tally));
                (self.patients.len() - 1) as PatientId
            }
        }
    }

    #[inline]
    fn release_patient(&mut self, pid: PatientId) {
        let pt = &mut self.patients[pid as usize];
        pt.status = Status::Free;
        pt.gen = pt.gen.wrapping_add(1);
        self.free.push(pid);
    }

    /// `pid`'s record, `unit`'s state and the recorder, borrowed together:
    /// looked up once and held, where re-indexing the tables after every
    /// store was a tenth of the per-customer path.
    #[inline(always)]
    fn patient_unit_recorder(
        &mut self,
        pid: PatientId,
        unit: usize,
    ) -> (&mut Patient, &mut UnitState<'p>, &mut Recorder) {
        (
            &mut self.patients[pid as usize],
            &mut self.units[unit],
            &mut self.rec,
        )
    }

    // ---- entering a unit: admit, wait, or turn away ---------------------

    /// `pid` arrives at `unit` (already counted as a referral there). `from`
    /// is the bed they occupy if they come from a bed unit that has not
    /// released it yet. Their wait counts from now, or for a patient coming
    /// from their intake appointment, from the referral before it.
    #[inline(always)] // the per-customer path: see `handle`
    fn enter(
        &mut self,
        now: SimTime,
        pid: PatientId,
        unit: usize,
        priority: u8,
        from: Option<(Seat, Handoff)>,
        q: &mut EventQueue<Event>,
    ) {
        // A single track needs no draw (and takes none from the stream).
        let track = if self.units[unit].tracks.len() == 1 {
            0
        } else {
            self.draw_track(pid, unit)
        };
        let referred = {
            let pt = &mut self.patients[pid as usize];
            pt.unit = unit as u32;
            pt.track = track as u32;
            // After an intake the wait counts from the referral before it.
            if pt.status != Status::Intake {
                pt.referred_at = now;
            }
            pt.referred_at
        };
        self.log_referred(pid, referred, priority);
        // Decided on one borrow of the unit: nothing changes it until then.
        let us = &self.units[unit];
        let t = &us.tracks[track];
        if us.admits_on_arrival && t.waitlist.is_empty() {
            if let Some(g) = t.free_group() {
                // Taken before the bed they come from is freed: see `admit`.
                self.take_seat(now, unit, track, g);
                if let Some((seat, _)) = from {
                    self.log_bed_freed(pid, now);
                    self.release_seat(now, seat, q);
                }
                self.admit(now, pid, unit, track, g, q);
                return;
            }
        }
        if us.waitlist_full(self.p, unit) {
            self.rec
                .turned_away(unit, self.patients[pid as usize].tally);
            self.class_lost(pid, |c| &mut c.turned_away);
            self.log_visit(pid, VisitEnd::TurnedAway, Some(now), None, None);
            if let Some((seat, _)) = from {
                self.log_bed_freed(pid, now);
                self.release_seat(now, seat, q);
            }
            self.release_patient(pid);
            return;
        }
        // A patient stepping down with `wait_in_place` keeps the bed until a
        // place here is theirs: a seat (admits on arrival), or a seat
        // reserved at the track's next session (`assign_reserved_seats`).
        let mut holding = None;
        if let Some((seat, handoff)) = from {
            if handoff == Handoff::WaitInPlace {
                holding = Some(seat);
                self.rec.blocked_change(seat.unit as usize, now, 1);
            } else {
                self.log_bed_freed(pid, now);
                self.release_seat(now, seat, q);
            }
        }
        self.wl_seq += 1;
        let key = (priority, self.wl_seq);
        let p = self.p;
        let (pt, us, rec) = self.patient_unit_recorder(pid, unit);
        us.tracks[track].waitlist.insert(key, pid);
        us.waiting += 1;
        rec.waitlist_change(unit, track, now, 1);
        pt.status = Status::Waiting;
        pt.wl_key = key;
        pt.holding = holding;
        // Someone holding a bed is still in hospital and does not renege.
        if holding.is_none() {
            // Tested once for the unit, as it was before classes: the
            // class's own patience is looked up only where some patient
            // here has one.
            let patience = if PLAIN {
                us.spec.waitlist.patience.as_ref()
            } else if us.patience == Patience::Never {
                None
            } else if us.patience == Patience::ByClass && pt.class != 0 {
                class_patience(p, unit, pt.class)
            } else {
                us.spec.waitlist.patience.as_ref()
            };
            if let Some(patience) = patience {
                let days = patience.sample(&mut pt.rng.stream(Purpose::Patience));
                q.push(
                    now.plus_days(days),
                    class::RENEGE,
                    Event::Renege { pid, gen: pt.gen },
                );
            }
        } else {
            self.joined_holding_a_bed(now, unit, track, q);
        }
    }

    /// Counts a patient who keeps a bed elsewhere as one of `track`'s
    /// holders, and assigns them a seat if one can be. Out of line and
    /// cold: only step-downs with `wait_in_place` come here.
    #[cold]
    #[inline(never)]
    fn joined_holding_a_bed(
        &mut self,
        now: SimTime,
        unit: usize,
        track: usize,
        q: &mut EventQueue<Event>,
    ) {
        let us = &mut self.units[unit];
        us.tracks[track].holders += 1;
        if !us.admits_on_arrival {
            self.assign_reserved_seats(now, unit, track, q);
        }
    }

    /// Gives each bed-holder on `track`'s waitlist whom the track's next
    /// held session would admit (one of the first in line for the seats
    /// its admitting groups have free) a seat of their own at that
    /// session: they leave the waitlist, go home with the seat reserved
    /// (they cannot give up: they never had a patience clock) and free the
    /// bed they kept. Those further back keep their bed, counted as
    /// blocked. Called whenever that set can grow: a holder joins, a seat
    /// frees, someone ahead gives up, a session passes. Out of line: only
    /// units that receive `wait_in_place` step-downs come here.
    #[inline(never)]
    fn assign_reserved_seats(
        &mut self,
        now: SimTime,
        unit: usize,
        track: usize,
        q: &mut EventQueue<Event>,
    ) {
        let p = self.p;
        let plan = &p.units[unit].tracks[track];
        let cohort = p.units[unit].cohort;
        let ts = &self.units[unit].tracks[track];
        if ts.holders == 0 {
            return;
        }
        let Some(session) = ts.next_held_session(p, plan) else {
            return; // no session before the horizon: they keep their beds
        };
        let admits = |g: u32| cohort.is_none_or(|c| c.admits(g, plan.groups, session.day()));
        let seats: u32 = (0..plan.groups)
            .filter(|&g| admits(g))
            .map(|g| ts.group_size - ts.occupancy[g as usize])
            .sum();
        // A caseload's free places bound the admissions too; a reserved
        // seat takes its place at once.
        let seats = seats.min(self.caseload_free(unit));
        let mut placing = std::mem::take(&mut self.placing);
        placing.clear();
        placing.extend(
            ts.waitlist
                .iter()
                .take(seats as usize)
                .filter(|&pid| self.patients[pid as usize].holding.is_some()),
        );
        for &pid in &placing {
            let us = &mut self.units[unit];
            let ts = &mut us.tracks[track];
            // There is one: `seats` counted them, and each placed takes one.
            let Some(g) =
                (0..plan.groups).find(|&g| admits(g) && ts.occupancy[g as usize] < ts.group_size)
            else {
                self.rec.audit_reserved(true);
                break;
            };
            let twice = ts.reservations.iter().any(|&(r, _, _)| r == pid);
            self.rec.audit_reserved(twice);
            let pt = &mut self.patients[pid as usize];
            ts.waitlist.remove(&pt.wl_key);
            ts.holders -= 1;
            ts.occupancy[g as usize] += 1;
            ts.reservations.push((pid, g, session));
            us.reserved += 1;
            pt.group = g;
            let holding = pt.holding.take();
            if us.caseload.is_some() {
                self.caseload_take(now, unit);
            }
            if let Some(seat) = holding {
                self.log_bed_freed(pid, now);
                self.release_held(now, seat, q);
            }
        }
        self.placing = placing;
    }

    /// Admits the patients with a seat reserved at this session of `track`.
    fn admit_reserved(
        &mut self,
        now: SimTime,
        unit: usize,
        track: usize,
        q: &mut EventQueue<Event>,
    ) {
        let mut reserved = std::mem::take(&mut self.units[unit].tracks[track].reservations);
        for &(pid, group, session) in &reserved {
            let ts = &self.units[unit].tracks[track];
            let over = ts.occupancy[group as usize] > ts.group_size;
            self.rec.audit_reservation_taken(over || session != now);
            let us = &mut self.units[unit];
            us.reserved -= 1;
            left_waitlist(us, &mut self.rec, unit, track, now);
            // The seat was counted when it was reserved.
            self.rec.census_change(unit, track, now, 1);
            self.admit(now, pid, unit, track, group as usize, q);
        }
        reserved.clear();
        self.units[unit].tracks[track].reservations = reserved;
    }

    /// Draws `pid`'s track in `unit` from the unit's track shares, or
    /// their class's preferences there.
    fn draw_track(&mut self, pid: PatientId, unit: usize) -> usize {
        let plan = &self.p.units[unit];
        let pt = &mut self.patients[pid as usize];
        let cdf = if pt.class == 0 {
            &plan.track_cdf
        } else {
            &plan.care[usize::from(pt.class)].track_cdf
        };
        let x = pt.rng.stream(Purpose::Track).random::<f64>();
        cdf.iter()
            .position(|&c| x < c)
            .unwrap_or(plan.tracks.len() - 1)
    }

    fn on_renege(&mut self, now: SimTime, pid: PatientId, gen: u32, q: &mut EventQueue<Event>) {
        let pt = &self.patients[pid as usize];
        if pt.gen != gen || pt.status != Status::Waiting {
            return;
        }
        let (unit, track) = (pt.unit as usize, pt.track as usize);
        // Audit: a renege event is never set for a bed-holder, who keeps
        // none when given a reserved seat.
        let ts = &self.units[unit].tracks[track];
        let reserved = ts.reservations.iter().any(|&(r, _, _)| r == pid);
        self.rec.audit_renege(pt.holding.is_some() || reserved);
        let tally = pt.tally;
        self.remove_from_waitlist(now, pid);
        self.rec.reneged(unit, track, tally);
        self.class_lost(pid, |c| &mut c.reneged);
        self.log_visit(pid, VisitEnd::Reneged, Some(now), None, None);
        self.release_patient(pid);
        if self.units[unit].tracks[track].holders > 0 {
            self.assign_reserved_seats(now, unit, track, q);
        }
    }

    #[inline]
    fn remove_from_waitlist(&mut self, now: SimTime, pid: PatientId) {
        let pt = &self.patients[pid as usize];
        let (unit, track) = (pt.unit as usize, pt.track as usize);
        let us = &mut self.units[unit];
        us.tracks[track].waitlist.remove(&pt.wl_key);
        left_waitlist(us, &mut self.rec, unit, track, now);
    }

    // ---- admission and leaving ------------------------------------------

    /// Frees the bed a patient held in another unit while waiting here.
    /// Out of line: freeing a bed can admit someone else there (`admit`
    /// calls this, which calls `admit`), and the call breaks that cycle so
    /// that `admit` itself can be inlined into the run loop.
    #[inline(never)]
    fn release_held(&mut self, now: SimTime, seat: Seat, q: &mut EventQueue<Event>) {
        self.rec.blocked_change(seat.unit as usize, now, -1);
        self.release_seat(now, seat, q);
    }

    /// Counts a free seat of `group` as taken, for an admission at `now`.
    #[inline(always)] // the per-customer path: see `handle`
    fn take_seat(&mut self, now: SimTime, unit: usize, track: usize, group: usize) {
        self.units[unit].tracks[track].occupancy[group] += 1;
        self.rec.census_change(unit, track, now, 1);
    }

    /// Admits `pid` into a seat of `group` already counted as theirs: a
    /// free one taken by [`Clinic::take_seat`], or one handed straight over
    /// by someone leaving it (see [`Clinic::release_seat`]). Someone waiting
    /// is taken off the waitlist by the caller.
    ///
    /// The seat must be counted before anything else is freed: freeing the
    /// bed the patient held elsewhere can admit people along a chain of
    /// units that hold beds in each other, back to this one, at the same
    /// instant, and the seat must not look free to them then (a seat
    /// counted only afterwards was given twice).
    #[inline(always)] // the per-customer path: see `handle`
    fn admit(
        &mut self,
        now: SimTime,
        pid: PatientId,
        unit: usize,
        track: usize,
        group: usize,
        q: &mut EventQueue<Event>,
    ) {
        if let Some(seat) = self.patients[pid as usize].holding.take() {
            self.units[unit].tracks[track].holders -= 1;
            self.log_bed_freed(pid, now);
            self.release_held(now, seat, q);
        }
        let (pt, us, rec) = self.patient_unit_recorder(pid, unit);
        let ts = &mut us.tracks[track];
        let enrolled_idx = ts.enrolled.len() as u32;
        if us.is_sessions {
            ts.enrolled.push(pid);
        }
        pt.gen = pt.gen.wrapping_add(1);
        pt.status = Status::InCare;
        pt.track = track as u32;
        pt.group = group as u32;
        pt.admitted_at = now;
        pt.attended = 0;
        pt.absences = 0;
        pt.enrolled_idx = enrolled_idx;
        let gen = pt.gen;
        let phase_moves = us.phase_moves;
        let wait_secs = now.since(pt.referred_at) + pt.before_start;
        pt.before_start = 0;
        rec.audit_wait(now, pt.referred_at);
        rec.admission(unit, track, pt.tally, now, wait_secs);
        if !PLAIN && pt.class != 0 {
            rec.class_admission(pt.class, now, wait_secs);
        }
        let leave = |why| Event::Leave { pid, gen, why };
        match &us.spec.kind {
            UnitKind::Beds(b) => {
                let days = b.stay.sample(pt.rng.generator(Purpose::Stay));
                q.push(now.plus_days(days), class::LEAVE, leave(Exit::Complete));
            }
            UnitKind::Sessions(_) => self.admitted_to_sessions(now, pid, unit, phase_moves, q),
        }
    }

    /// The rest of [`Clinic::admit`] for a sessions unit: the patient's own
    /// attendance rate, the end of the episode, the first week's hazards,
    /// the phase moves. Out of line: M/M/c's bed admissions never come
    /// here, and its draws inlined beside the bed's stay draw cost that
    /// one its constant generator slot (a bounds check on every stay).
    #[inline(never)]
    fn admitted_to_sessions(
        &mut self,
        now: SimTime,
        pid: PatientId,
        unit: usize,
        phase_moves: bool,
        q: &mut EventQueue<Event>,
    ) {
        let pt = &mut self.patients[pid as usize];
        let gen = pt.gen;
        let leave = |why| Event::Leave { pid, gen, why };
        let care = &self.p.units[unit].care[usize::from(pt.class)];
        pt.attendance = match &care.attendance_beta {
            None => care.attendance,
            Some(b) => b.sample(&mut pt.rng.stream(Purpose::Class)),
        };
        match &care.episode {
            Some(Episode::Weeks(w)) => {
                let at = now.plus_secs(u64::from(*w) * WEEK);
                q.push(at, class::LEAVE, leave(Exit::Complete));
            }
            Some(Episode::Days(d)) => {
                let days = d.sample(&mut pt.rng.stream(Purpose::Stay));
                q.push(now.plus_days(days), class::LEAVE, leave(Exit::Complete));
            }
            Some(Episode::Sessions(_)) | None => {}
        }
        if care.hazards {
            self.stay_week(now, pid, gen, 1, q);
        }
        if phase_moves {
            self.schedule_phase_move(now, pid, None, q);
        }
    }

    /// Draws this week's dropout / step-up for an enrolled patient. An exit
    /// falls at a uniform time within the week; otherwise the next week is
    /// drawn when it begins.
    fn stay_week(
        &mut self,
        now: SimTime,
        pid: PatientId,
        gen: u32,
        week: u32,
        q: &mut EventQueue<Event>,
    ) {
        let pt = &mut self.patients[pid as usize];
        if pt.gen != gen || pt.status != Status::InCare {
            return;
        }
        let care = &self.p.units[pt.unit as usize].care[usize::from(pt.class)];
        if let Some(Episode::Weeks(w)) = care.episode {
            if week > w {
                return;
            }
        }
        let mut dropout = care
            .dropout_weekly
            .get((week as usize - 1).min(care.dropout_weekly.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0);
        let mut stepup = care.stepup_weekly;
        // An [initial] patient may start part-way through a week of stay:
        // the week's hazards then apply, pro rata, to the part that is left.
        let week_end = pt
            .admitted_at
            .plus_secs((u64::from(week) * WEEK).saturating_sub(pt.before_start));
        let span = week_end.since(now).max(1);
        if span < WEEK {
            let f = span as f64 / WEEK as f64;
            dropout = 1.0 - (1.0 - dropout).powf(f);
            stepup = 1.0 - (1.0 - stepup).powf(f);
        }
        let u: f64 = pt.rng.stream(Purpose::Hazard).random();
        let why = if u < dropout {
            Some(Exit::Dropout)
        } else if u < dropout + stepup {
            Some(Exit::StepUp)
        } else {
            None
        };
        match why {
            Some(why) => {
                let offset = pt.rng.stream(Purpose::Hazard).random_range(0..span);
                q.push(
                    now.plus_secs(offset),
                    class::LEAVE,
                    Event::Leave { pid, gen, why },
                );
            }
            None => {
                q.push(
                    week_end,
                    class::STAY_WEEK,
                    Event::StayWeek {
                        pid,
                        gen,
                        week: week + 1,
                    },
                );
            }
        }
    }

    #[inline(always)] // the per-customer path: see `handle`
    fn on_leave(
        &mut self,
        now: SimTime,
        pid: PatientId,
        gen: u32,
        why: Exit,
        q: &mut EventQueue<Event>,
    ) {
        let pt = &mut self.patients[pid as usize];
        if pt.gen != gen || pt.status != Status::InCare {
            return;
        }
        pt.gen = pt.gen.wrapping_add(1);
        let unit = pt.unit as usize;
        let seat = Seat {
            unit: pt.unit,
            track: pt.track,
            group: pt.group,
        };
        let admitted = Self::admitted_secs(pt);
        // Through i64 (spans are far below 2^63 s): one instruction where
        // u64 to f64 takes five.
        let stay_secs = (now.since(pt.admitted_at) + pt.before_start) as i64;
        let stay_days = stay_secs as f64 / DAY as f64;
        pt.before_start = 0;
        // Where next: drawn before unenrolling, which touches no generator.
        let us = &self.units[unit];
        let is_sessions = us.is_sessions;
        // (Without a relapse anywhere only a sessions unit's leavers do.)
        let apart = if PLAIN { is_sessions } else { us.leaves_apart };
        // A destination drawn from a routing map comes with its place in
        // the unit's maps (`destination`); `stepup_to`'s is `STEPUP_TO`.
        let (dest, handoff) = match (&us.spec.kind, why) {
            (UnitKind::Beds(b), _) => (route(&b.on_discharge, &mut pt.rng), b.handoff),
            (UnitKind::Sessions(su), Exit::Complete) => {
                (route(&su.on_completion, &mut pt.rng), Handoff::GoHome)
            }
            (UnitKind::Sessions(su), Exit::StepUp) => match &su.on_stepup {
                None => (Some((&su.stepup_to, STEPUP_TO)), Handoff::GoHome),
                Some(r) => {
                    let (d, i) = route_all(r, &mut pt.rng);
                    self.rec.stepped_up_to(unit, i);
                    let at = self.p.units[unit].stepup_at as usize;
                    (Some((d, at + i)), Handoff::GoHome)
                }
            },
            (UnitKind::Sessions(su), Exit::Dropout) => {
                let at = self.p.units[unit].dropout_at as usize;
                let d = route(&su.on_dropout, &mut pt.rng).map(|(d, i)| (d, at + i));
                (d, Handoff::GoHome)
            }
            (UnitKind::Sessions(su), Exit::AdminDischarge) => {
                let at = self.p.units[unit].admin_at as usize;
                let d = route(&su.on_admin_discharge, &mut pt.rng).map(|(d, i)| (d, at + i));
                (d, Handoff::GoHome)
            }
        };
        self.rec.exit(unit, why, stay_days);
        if !PLAIN && pt.class != 0 {
            self.rec.class_exit(pt.class, now, why);
        }
        // Counted by destination; those who go home in a field of their
        // own, which M/M/c's every customer reaches with one addition.
        let dest_index = match dest {
            Some((_, i)) => {
                let d = self.destination(unit, i);
                self.rec.routed(unit, d);
                Some(d)
            }
            None => {
                self.rec.went_home(unit);
                None
            }
        };
        let dest = dest.map(|(d, _)| d);
        if L::ON {
            let end = match why {
                Exit::Complete => VisitEnd::Completed,
                Exit::Dropout => VisitEnd::DroppedOut,
                Exit::StepUp => VisitEnd::SteppedUp,
                Exit::AdminDischarge => VisitEnd::AdminDischarged,
            };
            let keeps_bed = !is_sessions && matches!(dest, Some(Destination::Unit(_)));
            let dest_index = dest_index.unwrap_or(self.p.units[unit].home_dest);
            self.log_left(pid, end, now, dest_index, admitted, keeps_bed);
        }
        if apart {
            return self.leave_apart(now, pid, unit, seat, dest, handoff, stay_secs, q);
        }
        // A bed unit without a relapse.
        match dest {
            Some(Destination::Unit(next)) => {
                self.transfer(now, pid, *next, seat, Some((seat, handoff)), q);
            }
            _ => {
                self.release_seat(now, seat, q);
                self.release_patient(pid);
            }
        }
    }

    /// The rest of [`Clinic::on_leave`] for a leaver of a sessions unit or
    /// of a unit with a `relapse`, bound for `dest` (`None`: home). Out of
    /// line: see `UnitState::leaves_apart`.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn leave_apart(
        &mut self,
        now: SimTime,
        pid: PatientId,
        unit: usize,
        seat: Seat,
        dest: Option<&Destination>,
        handoff: Handoff,
        stay_secs: i64,
        q: &mut EventQueue<Event>,
    ) {
        let is_sessions = self.units[unit].is_sessions;
        if is_sessions {
            self.leave_session(pid, now, stay_secs);
        }
        match dest {
            Some(Destination::Unit(next)) => {
                let from = (!is_sessions).then_some((seat, handoff));
                self.transfer(now, pid, *next, seat, from, q);
            }
            None if self.units[unit].spec.relapse.is_some() => {
                self.release_seat(now, seat, q);
                self.home_with_relapse(now, pid, unit, q);
            }
            _ => {
                self.release_seat(now, seat, q);
                self.release_patient(pid);
            }
        }
    }

    /// `pid` went home from `unit`, which has a `relapse`: with its share
    /// they will be referred again after its delay (drawn with their
    /// routing generator, after the routing draw); meanwhile they are
    /// away, and still are at the end if it falls at or after the
    /// horizon. Out of line and cold: only units with a relapse come here.
    #[cold]
    #[inline(never)]
    fn home_with_relapse(
        &mut self,
        now: SimTime,
        pid: PatientId,
        unit: usize,
        q: &mut EventQueue<Event>,
    ) {
        let Some(r) = self.units[unit].spec.relapse.as_deref() else {
            return self.release_patient(pid);
        };
        self.rec.home_exit(unit, now);
        let pt = &mut self.patients[pid as usize];
        let rng = &mut pt.rng.stream(Purpose::Routing);
        let relapses = r.share >= 1.0 || (r.share > 0.0 && rng.random::<f64>() < r.share);
        if !relapses {
            return self.release_patient(pid);
        }
        let at = now.plus_days(r.after.sample(rng));
        pt.status = Status::Away;
        pt.unit = unit as u32;
        let gen = pt.gen;
        let due = at < self.p.horizon;
        pt.tally = self.rec.relapse_drawn(unit, now, due);
        // One due at or after the horizon never happens: they are away at
        // the end.
        if due {
            q.push(at, class::ARRIVAL, Event::Relapse { pid, gen });
        }
    }

    /// `pid`, away since going home, is referred again to the relapse's
    /// unit: a new visit, counted as a referral there for no stream. They
    /// turn up with the relapse's `show` (drawn with their show generator)
    /// and go on as a referral does: an intake if the unit has one, else a
    /// seat or the waitlist, with the relapse's priority.
    #[cold]
    #[inline(never)]
    fn on_relapse(&mut self, now: SimTime, pid: PatientId, gen: u32, q: &mut EventQueue<Event>) {
        let pt = &mut self.patients[pid as usize];
        if pt.gen != gen || pt.status != Status::Away {
            return;
        }
        let from = pt.unit as usize;
        let Some(r) = self.units[from].spec.relapse.as_deref() else {
            return self.release_patient(pid);
        };
        let (to, show, priority) = (r.to, r.show, r.priority);
        pt.status = Status::Free;
        pt.unit = to as u32;
        if let Some(c) = r.class {
            pt.class = (c + 1) as ClassTag;
        }
        let tally = pt.tally;
        self.rec.referral(to, NO_STREAM);
        self.rec.relapse_arrived(to);
        if self.patients[pid as usize].class != 0 {
            self.rec.class_referral(self.patients[pid as usize].class);
        }
        self.log_referred(pid, now, priority);
        self.show_up(now, pid, to, tally, (show, priority), q);
    }

    /// `pid`, leaving `seat`, is referred on to unit `next`; `from` is the
    /// seat if they keep it until `next` decides (a bed unit). Out of line:
    /// a bed M/M/c customer never transfers, and `enter` inlined a second
    /// time into the run loop, here, made the loop's common path slower.
    #[inline(never)]
    fn transfer(
        &mut self,
        now: SimTime,
        pid: PatientId,
        next: usize,
        seat: Seat,
        from: Option<(Seat, Handoff)>,
        q: &mut EventQueue<Event>,
    ) {
        let priority = self.p.scenario.units[next].waitlist.transfer_priority;
        self.patients[pid as usize].tally = NO_STREAM;
        self.rec.referral(next, NO_STREAM);
        if from.is_none() {
            self.release_seat(now, seat, q);
        }
        let show = self.units[next].spec.transfer_show;
        if show < 1.0
            && self.patients[pid as usize]
                .rng
                .stream(Purpose::Show)
                .random::<f64>()
                >= show
        {
            return self.transfer_no_show(now, pid, next, priority, from, q);
        }
        self.enter(now, pid, next, priority, from, q);
    }

    /// `pid`, transferred to `next`, does not turn up (`transfer_show`):
    /// a no-show there, and the bed they kept (if any) is freed.
    #[cold]
    #[inline(never)]
    fn transfer_no_show(
        &mut self,
        now: SimTime,
        pid: PatientId,
        next: usize,
        priority: u8,
        from: Option<(Seat, Handoff)>,
        q: &mut EventQueue<Event>,
    ) {
        self.rec.no_show(next, NO_STREAM);
        self.class_lost(pid, |c| &mut c.no_shows);
        self.log_referred(pid, now, priority);
        if let Some((seat, _)) = from {
            self.log_bed_freed(pid, now);
            self.release_seat(now, seat, q);
        }
        self.patients[pid as usize].unit = next as u32;
        self.log_visit(pid, VisitEnd::NoShow, Some(now), None, None);
        self.release_patient(pid);
    }

    /// `pid` leaves a sessions unit after `stay_secs` in care: the
    /// recorder is told (it keeps the stay where a workload entry wants the
    /// census by phase) and the patient unenrolled. Out of line: a bed
    /// unit's leavers (M/M/c's) never come here.
    #[inline(never)]
    fn leave_session(&mut self, pid: PatientId, now: SimTime, stay_secs: i64) {
        let pt = &self.patients[pid as usize];
        self.rec
            .stay_ended(pt.unit as usize, pt.track as usize, now, stay_secs);
        self.unenroll(now, pid);
    }

    fn unenroll(&mut self, now: SimTime, pid: PatientId) {
        let pt = &self.patients[pid as usize];
        let (unit, track, idx) = (
            pt.unit as usize,
            pt.track as usize,
            pt.enrolled_idx as usize,
        );
        if self.units[unit].caseload.is_some() {
            self.caseload_release(now, unit);
        }
        let list = &mut self.units[unit].tracks[track].enrolled;
        list.swap_remove(idx);
        if let Some(&moved) = list.get(idx) {
            self.patients[moved as usize].enrolled_idx = idx as u32;
        }
    }

    /// Frees a seat and, where the unit admits on arrival, fills it from the
    /// waitlist at once.
    #[inline(always)] // the per-customer path: see `handle`
    fn release_seat(&mut self, now: SimTime, seat: Seat, q: &mut EventQueue<Event>) {
        let (unit, track, group) = (seat.unit as usize, seat.track as usize, seat.group as usize);
        let us = &mut self.units[unit];
        let admits_on_arrival = us.admits_on_arrival;
        let t = &mut us.tracks[track];
        // A full group that admits on arrival hands the seat straight to
        // the first in line: the one seat freed is the one `fill_group`
        // would fill, and the occupancy and census, which would fall by
        // one and rise again at the same instant, are left as they are
        // (the census's integral is exact, so this changes no result; it
        // took 4% off M/M/10's instructions and 6% off M/M/1's).
        if admits_on_arrival && t.occupancy[group] == t.group_size {
            if let Some(pid) = t.waitlist.pop_first() {
                left_waitlist(us, &mut self.rec, unit, track, now);
                self.admit(now, pid, unit, track, group, q);
                return;
            }
        }
        t.occupancy[group] -= 1;
        self.rec.census_change(unit, track, now, -1);
        if admits_on_arrival {
            self.fill_group(now, unit, track, group, q);
        } else if self.units[unit].tracks[track].holders > 0 {
            self.assign_reserved_seats(now, unit, track, q);
        }
    }

    /// Admits waiting patients of the track into `group` while it has seats.
    #[inline(always)] // the per-customer path: see `handle`
    fn fill_group(
        &mut self,
        now: SimTime,
        unit: usize,
        track: usize,
        group: usize,
        q: &mut EventQueue<Event>,
    ) {
        loop {
            let us = &mut self.units[unit];
            let t = &mut us.tracks[track];
            if t.occupancy[group] >= t.group_size {
                break;
            }
            let Some(pid) = t.waitlist.pop_first() else {
                break;
            };
            left_waitlist(us, &mut self.rec, unit, track, now);
            self.take_seat(now, unit, track, group);
            self.admit(now, pid, unit, track, group, q);
        }
    }

    /// [`Clinic::fill_group`] for a unit capped by a caseload: each
    /// admission also needs a place in it. Those a free seat would have
    /// admitted but the caseload did not are counted, once each.
    #[inline(never)]
    fn fill_group_capped(
        &mut self,
        now: SimTime,
        unit: usize,
        track: usize,
        group: usize,
        q: &mut EventQueue<Event>,
    ) {
        let Some(c) = self.units[unit].caseload else {
            return self.fill_group(now, unit, track, group, q);
        };
        loop {
            let us = &mut self.units[unit];
            let t = &mut us.tracks[track];
            if t.occupancy[group] >= t.group_size || t.waitlist.is_empty() {
                break;
            }
            let Some(st) = self.staffing.as_mut() else {
                break;
            };
            let cl = &mut st.caseloads[c as usize];
            if !cl.has_room() {
                // Everyone the group's free seats would have taken.
                let free = (t.group_size - t.occupancy[group]) as usize;
                let role = cl.role;
                for pid in t.waitlist.iter().take(free) {
                    let pt = &mut self.patients[pid as usize];
                    if !pt.held_back {
                        pt.held_back = true;
                        self.rec.caseload_held_back(role);
                    }
                }
                break;
            }
            cl.used += 1;
            let role = cl.role;
            self.rec.caseload_change(role, now, 1, cl.used >= cl.cap);
            let Some(pid) = t.waitlist.pop_first() else {
                break;
            };
            left_waitlist(us, &mut self.rec, unit, track, now);
            self.take_seat(now, unit, track, group);
            self.admit(now, pid, unit, track, group, q);
        }
    }

    /// [`Clinic::fill_group`] for a unit where patients may take a seat in
    /// another track than their own ([`TrackChoice`](crate::scenario::TrackChoice)):
    /// each free seat of `group` goes to the first in line, by (priority,
    /// time of joining), of everyone waiting in the unit who would take it
    /// now: the track's own waiting patients, and those of the other
    /// tracks who accept this one and have waited long enough. A patient
    /// keeping a bed elsewhere waits for their own track (their seat is
    /// reserved there). Each admission needs a caseload place where one
    /// caps the unit.
    #[inline(never)]
    fn fill_group_flexible(
        &mut self,
        now: SimTime,
        unit: usize,
        track: usize,
        group: usize,
        q: &mut EventQueue<Event>,
    ) {
        loop {
            let t = &self.units[unit].tracks[track];
            if t.occupancy[group] >= t.group_size || self.units[unit].waiting == 0 {
                break;
            }
            let Some((from, pid)) = self.first_taker(now, unit, track) else {
                break;
            };
            if let Some(c) = self.units[unit].caseload {
                let Some(st) = self.staffing.as_mut() else {
                    break;
                };
                let cl = &mut st.caseloads[c as usize];
                if !cl.has_room() {
                    let pt = &mut self.patients[pid as usize];
                    if !pt.held_back {
                        pt.held_back = true;
                        self.rec.caseload_held_back(cl.role);
                    }
                    break;
                }
                cl.used += 1;
                self.rec.caseload_change(cl.role, now, 1, cl.used >= cl.cap);
            }
            let key = self.patients[pid as usize].wl_key;
            let us = &mut self.units[unit];
            us.tracks[from].waitlist.remove(&key);
            left_waitlist(us, &mut self.rec, unit, from, now);
            self.take_seat(now, unit, track, group);
            self.admit(now, pid, unit, track, group, q);
        }
    }

    /// Who takes a free seat of `track` at `now` ([`Clinic::fill_group_flexible`]):
    /// (their track, patient).
    fn first_taker(&self, now: SimTime, unit: usize, track: usize) -> Option<(usize, PatientId)> {
        let care = &self.p.units[unit].care;
        let mut best: Option<((u8, u64), usize, PatientId)> = None;
        for (from, ts) in self.units[unit].tracks.iter().enumerate() {
            if from == track {
                if let Some(pid) = ts.waitlist.first() {
                    let key = self.patients[pid as usize].wl_key;
                    if best.is_none_or(|(b, _, _)| key < b) {
                        best = Some((key, from, pid));
                    }
                }
                continue;
            }
            // In line order: the first who would take the seat is this
            // track's best; past the best so far, nobody can beat it.
            for pid in ts.waitlist.iter() {
                let pt = &self.patients[pid as usize];
                if best.is_some_and(|(b, _, _)| b < pt.wl_key) {
                    break;
                }
                let c = &care[usize::from(pt.class)];
                let waited = now.since(pt.referred_at) + pt.before_start;
                if pt.holding.is_none()
                    && c.accepts.get(track).copied().unwrap_or(false)
                    && c.flex_after.is_some_and(|after| waited >= after)
                {
                    best = Some((pt.wl_key, from, pid));
                    break;
                }
            }
        }
        best.map(|(_, from, pid)| (from, pid))
    }

    /// Frees `pid`'s place in the caseload capping `unit`, if one does.
    #[inline(never)]
    fn caseload_release(&mut self, now: SimTime, unit: usize) {
        let Some(c) = self.units[unit].caseload else {
            return;
        };
        if let Some(st) = self.staffing.as_mut() {
            let cl = &mut st.caseloads[c as usize];
            cl.used -= 1;
            self.rec
                .caseload_change(cl.role, now, -1, cl.used >= cl.cap);
        }
    }

    /// Takes a place in the caseload capping `unit` for an admission that
    /// cannot wait (the `[initial]` state): over the cap if need be.
    #[inline(never)]
    fn caseload_take(&mut self, now: SimTime, unit: usize) {
        let Some(c) = self.units[unit].caseload else {
            return;
        };
        if let Some(st) = self.staffing.as_mut() {
            let cl = &mut st.caseloads[c as usize];
            cl.used += 1;
            self.rec.caseload_change(cl.role, now, 1, cl.used >= cl.cap);
        }
    }

    /// Places free in the caseload capping `unit` (`u32::MAX` if none does).
    fn caseload_free(&self, unit: usize) -> u32 {
        match (self.units[unit].caseload, &self.staffing) {
            (Some(c), Some(st)) => {
                let cl = &st.caseloads[c as usize];
                cl.cap.saturating_sub(cl.used)
            }
            _ => u32::MAX,
        }
    }

    /// Books facilitators for each group of `track` with patients, in
    /// group order, and marks in `Staffing::held` which are held; counts
    /// the others as cancelled. Returns whether it decided (a track with
    /// facilitators in a scenario with rosters).
    #[inline(never)]
    fn staff_groups(&mut self, now: SimTime, unit: usize, track: usize, secs: u64) -> bool {
        let UnitKind::Sessions(su) = &self.p.scenario.units[unit].kind else {
            return false;
        };
        let Some(f) = su.tracks[track].facilitators else {
            return false;
        };
        let Some(st) = self.staffing.as_mut() else {
            return false;
        };
        let occupancy = &self.units[unit].tracks[track].occupancy;
        st.held.clear();
        let mut cancelled = 0u32;
        for (g, &o) in occupancy.iter().enumerate() {
            // A group below its minimum does not meet and books nobody.
            let meets = o > 0 && !self.below.get(g).is_some_and(|&b| b);
            let held = meets
                && st.rosters[f.role]
                    .as_mut()
                    .is_some_and(|r| r.book(&self.p.calendar, now, secs, f.count));
            cancelled += u32::from(meets && !held);
            st.held.push(held);
        }
        if cancelled > 0 {
            self.rec.sessions_cancelled(unit, f.role, cancelled);
        }
        true
    }

    // ---- group minimums and moving phases (issue 19) --------------------

    /// Whether group `group` of a cohort track with a minimum of `min`
    /// admits at this session of its cohort week: a group with patients
    /// does; an empty one only if those it would admit (the waiting, up to
    /// its seats and the caseload's free places) reach the minimum.
    #[cold]
    #[inline(never)]
    fn cohort_starts(&self, unit: usize, track: usize, group: usize, min: u32) -> bool {
        let ts = &self.units[unit].tracks[track];
        if ts.occupancy[group] > 0 {
            return true;
        }
        let waiting = u32::try_from(ts.waitlist.len).unwrap_or(u32::MAX);
        let would = waiting.min(ts.group_size).min(self.caseload_free(unit));
        would >= min
    }

    /// The groups of this session of `track` below its minimum `min`, after
    /// moving patients where that makes fewer groups short. The groups
    /// below the minimum (some patients, fewer than `min`) are taken
    /// smallest first (lowest index on ties); one moves, all its patients
    /// together, when the track's other groups with patients have free
    /// seats for them all: each patient to the fullest of them with a free
    /// seat (lowest index on ties), so groups that meet fill first. A
    /// group that cannot move keeps its patients. The groups still below
    /// the minimum then are marked in `below` (their session is not held)
    /// and counted. Returns whether there is any (else `below` is empty).
    #[cold]
    #[inline(never)]
    fn below_minimum(&mut self, unit: usize, track: usize, min: u32) -> bool {
        let ts = &mut self.units[unit].tracks[track];
        let short = |o: u32| o > 0 && o < min;
        if !ts.occupancy.iter().any(|&o| short(o)) {
            return false;
        }
        let (size, groups) = (ts.group_size, ts.occupancy.len());
        // Groups found unable to move (`below` as scratch).
        let stuck = &mut self.below;
        stuck.clear();
        stuck.resize(groups, false);
        let mut moved = 0u32;
        loop {
            let occ = &ts.occupancy;
            let Some(g) = (0..groups)
                .filter(|&g| short(occ[g]) && !stuck[g])
                .min_by_key(|&g| occ[g])
            else {
                break;
            };
            let room: u32 = (0..groups)
                .filter(|&h| h != g && occ[h] > 0)
                .map(|h| size - occ[h])
                .sum();
            if room < occ[g] {
                stuck[g] = true;
                continue;
            }
            for i in 0..ts.enrolled.len() {
                let pt = &mut self.patients[ts.enrolled[i] as usize];
                if pt.group as usize != g {
                    continue;
                }
                let occ = &mut ts.occupancy;
                let Some(h) = (0..groups)
                    .filter(|&h| h != g && occ[h] > 0 && occ[h] < size)
                    .max_by_key(|&h| (occ[h], std::cmp::Reverse(h)))
                else {
                    break;
                };
                occ[g] -= 1;
                occ[h] += 1;
                pt.group = h as u32;
                moved += 1;
            }
            // Seats held for someone not yet admitted would keep it from
            // emptying (none are at a session): it stays as it is.
            if ts.occupancy[g] > 0 {
                stuck[g] = true;
            }
        }
        let mut n = 0u32;
        for (b, &o) in self.below.iter_mut().zip(&ts.occupancy) {
            *b = short(o);
            n += u32::from(*b);
        }
        if n > 0 || moved > 0 {
            self.rec.below_min(unit, track, n, moved);
        }
        let fault = self.groups_fault(unit, track);
        self.rec.audit_groups(fault, n, 0);
        if n == 0 {
            self.below.clear();
        }
        n > 0
    }

    /// Schedules `pid`'s next phase that moves them to another track,
    /// after phase `after` (from the first if `None`), when it begins in
    /// their stay (now if it has begun already). Only units whose phases
    /// move patients come here.
    #[cold]
    #[inline(never)]
    fn schedule_phase_move(
        &mut self,
        now: SimTime,
        pid: PatientId,
        after: Option<usize>,
        q: &mut EventQueue<Event>,
    ) {
        let pt = &self.patients[pid as usize];
        let UnitKind::Sessions(su) = &self.p.scenario.units[pt.unit as usize].kind else {
            return;
        };
        let first = after.map_or(0, |k| k + 1);
        let Some((k, ph)) = su
            .phases
            .iter()
            .enumerate()
            .skip(first)
            .find(|(_, ph)| ph.track.is_some())
        else {
            return;
        };
        let into_stay =
            (u64::from(ph.from_week.saturating_sub(1)) * WEEK).saturating_sub(pt.before_start);
        let at = pt.admitted_at.plus_secs(into_stay).max(now);
        if at < self.p.horizon {
            let gen = pt.gen;
            let phase = k as u32;
            q.push(at, class::PHASE_MOVE, Event::PhaseMove { pid, gen, phase });
        }
    }

    /// `pid`'s phase moves them to its track: into the first group there
    /// with a free seat, freeing theirs. A patient whose later moving
    /// phase has begun meanwhile goes to that one's track. With no free
    /// seat there they stay, and try again just before the track's next
    /// session (in the order of their tries). Their other pending events
    /// (leaving, the weekly draws) stand: the move keeps `gen`.
    #[cold]
    #[inline(never)]
    fn on_phase_move(
        &mut self,
        now: SimTime,
        pid: PatientId,
        gen: u32,
        phase: u32,
        q: &mut EventQueue<Event>,
    ) {
        let pt = &self.patients[pid as usize];
        if pt.gen != gen || pt.status != Status::InCare {
            return;
        }
        let (unit, from) = (pt.unit as usize, pt.track as usize);
        let UnitKind::Sessions(su) = &self.p.scenario.units[unit].kind else {
            return;
        };
        let week = ((now.since(pt.admitted_at) + pt.before_start) / WEEK) as u32 + 1;
        let due = (phase & !RETRY) as usize;
        let Some((k, to)) = su
            .phases
            .iter()
            .enumerate()
            .skip(due)
            .rev()
            .filter(|(_, ph)| week >= ph.from_week)
            .find_map(|(k, ph)| Some((k, ph.track?)))
        else {
            return;
        };
        if to != from {
            let Some(g) = self.units[unit].tracks[to].free_group() else {
                // Counted once per move: when first due.
                if phase & RETRY == 0 || k != due {
                    self.rec.move_delayed(unit);
                }
                let plan = &self.p.units[unit].tracks[to];
                let at = match self.units[unit].tracks[to].next_session {
                    Some(t) if t > now => Some(t),
                    _ => self.p.next_session(plan, Some(now.day())),
                };
                if let Some(at) = at {
                    let phase = k as u32 | RETRY;
                    q.push(at, class::PHASE_MOVE, Event::PhaseMove { pid, gen, phase });
                }
                return;
            };
            self.move_track(now, pid, unit, (to, g), q);
        }
        self.schedule_phase_move(now, pid, Some(k), q);
    }

    /// Moves `pid`, in care in `unit`, to group `group` of track `to`
    /// (with a free seat), and frees their seat: where the unit admits on
    /// arrival it is filled at once, else at the next session (or given to
    /// a bed-holder). The unit's census is unchanged.
    fn move_track(
        &mut self,
        now: SimTime,
        pid: PatientId,
        unit: usize,
        (to, group): (usize, usize),
        q: &mut EventQueue<Event>,
    ) {
        let pt = &self.patients[pid as usize];
        let (from, old, idx) = (
            pt.track as usize,
            pt.group as usize,
            pt.enrolled_idx as usize,
        );
        let admitted = Self::admitted_secs(pt);
        let us = &mut self.units[unit];
        let list = &mut us.tracks[from].enrolled;
        list.swap_remove(idx);
        let shifted = list.get(idx).copied();
        us.tracks[from].occupancy[old] -= 1;
        let ts = &mut us.tracks[to];
        ts.occupancy[group] += 1;
        let new_idx = ts.enrolled.len() as u32;
        ts.enrolled.push(pid);
        let admits_on_arrival = us.admits_on_arrival;
        let holders = us.tracks[from].holders;
        if let Some(other) = shifted {
            self.patients[other as usize].enrolled_idx = idx as u32;
        }
        let pt = &mut self.patients[pid as usize];
        pt.track = to as u32;
        pt.group = group as u32;
        pt.enrolled_idx = new_idx;
        self.rec.track_move(unit, (from, to), now, admitted);
        let fault = self.groups_fault(unit, from) || self.groups_fault(unit, to);
        self.rec.audit_groups(fault, 0, 1);
        if admits_on_arrival {
            self.fill_group(now, unit, from, old, q);
        } else if holders > 0 {
            self.assign_reserved_seats(now, unit, from, q);
        }
    }

    /// Audit: whether a group of `track` is over its size, or its groups
    /// do not hold exactly its enrolled patients and reserved seats.
    fn groups_fault(&self, unit: usize, track: usize) -> bool {
        let ts = &self.units[unit].tracks[track];
        let seated: u64 = ts.occupancy.iter().map(|&o| u64::from(o)).sum();
        let members = ts
            .enrolled
            .iter()
            .filter(|&&pid| {
                let pt = &self.patients[pid as usize];
                pt.status == Status::InCare && pt.track as usize == track
            })
            .count();
        ts.occupancy.iter().any(|&o| o > ts.group_size)
            || seated != (ts.enrolled.len() + ts.reservations.len()) as u64
            || members != ts.enrolled.len()
    }

    // ---- sessions -------------------------------------------------------

    fn on_session(&mut self, now: SimTime, unit: usize, track: usize, q: &mut EventQueue<Event>) {
        let day = now.day();
        let plan = &self.p.units[unit].tracks[track];
        let ts = &mut self.units[unit].tracks[track];
        let next = self.p.next_session(plan, Some(day));
        ts.next_session = next;
        if let (Some(timer), Some(next)) = (ts.session_timer, next) {
            q.set_timer(
                timer,
                next,
                class::SESSION,
                Event::Session {
                    unit: unit as u32,
                    track: track as u32,
                },
            );
        }
        if self.p.calendar.is_holiday(day) {
            return;
        }
        let UnitKind::Sessions(su) = &self.p.scenario.units[unit].kind else {
            return;
        };
        let groups = plan.groups;
        // Seats reserved for this session first: they were assigned before
        // anyone now on the waitlist could take them.
        if !self.units[unit].tracks[track].reservations.is_empty() {
            self.admit_reserved(now, unit, track, q);
        }
        let capped = self.units[unit].caseload.is_some();
        let flexible = self.p.units[unit].flexible;
        match (su.admission, self.p.units[unit].cohort) {
            (Admission::Rolling, _) => {
                for g in 0..groups as usize {
                    if flexible {
                        self.fill_group_flexible(now, unit, track, g, q);
                    } else if capped {
                        self.fill_group_capped(now, unit, track, g, q);
                    } else {
                        self.fill_group(now, unit, track, g, q);
                    }
                }
            }
            (Admission::Cohort { .. }, Some(cohort)) => {
                for g in 0..groups {
                    if cohort.admits(g, groups, day) {
                        if plan.min_size > 0
                            && !self.cohort_starts(unit, track, g as usize, plan.min_size)
                        {
                            continue;
                        }
                        if flexible {
                            self.fill_group_flexible(now, unit, track, g as usize, q);
                        } else if capped {
                            self.fill_group_capped(now, unit, track, g as usize, q);
                        } else {
                            self.fill_group(now, unit, track, g as usize, q);
                        }
                    }
                }
            }
            _ => {}
        }
        // Groups below the track's minimum (after moving their patients
        // where they can) are not held, nor are groups whose facilitators
        // are not on duty: their patients neither attend nor miss it.
        let min = plan.min_size > 0 && self.below_minimum(unit, track, plan.min_size);
        let staffed = su.tracks[track].facilitators.is_some()
            && self.staff_groups(now, unit, track, plan.duration);
        let weekday = self.p.calendar.weekday(day);
        // Audit (see recorder::Audit): checked where attendance is counted,
        // independently of how sessions were scheduled.
        let off_timetable = self.p.calendar.is_holiday(day)
            || !plan.days.contains(&weekday)
            || now.0 % DAY != plan.start;
        let mut misplaced = 0u64;
        let pos_in_week = plan.days.iter().position(|&d| d == weekday).unwrap_or(0) as u32;
        let end = now.plus_secs(plan.duration);
        let mut expected = 0u32;
        let mut attended = 0u32;
        if L::ON {
            self.group_counts.clear();
            self.group_counts.resize(groups as usize, (0, 0));
        }
        let skip = staffed || min;
        // Whether some patient here completes after a number of sessions
        // (looked up per patient only then).
        let by_sessions = self.p.units[unit].by_sessions;
        let n = self.units[unit].tracks[track].enrolled.len();
        for i in 0..n {
            let pid = self.units[unit].tracks[track].enrolled[i];
            let pt = &mut self.patients[pid as usize];
            // One test per patient where every group is held (as before
            // group minimums: `skip` is false).
            if skip {
                let g = pt.group as usize;
                let staffed_here = !staffed || self.staffing.as_ref().is_none_or(|st| st.held[g]);
                if !staffed_here || (min && self.below[g]) {
                    continue;
                }
            }
            let wrong_place = off_timetable
                || pt.status != Status::InCare
                || pt.unit as usize != unit
                || pt.track as usize != track;
            if pt.admitted_at == now && pt.before_start == 0 {
                // Admitted at this session: their first session is attended.
                expected += 1;
                attended += 1;
                pt.attended += 1;
                misplaced += u64::from(wrong_place);
                if L::ON {
                    let group = pt.group as usize;
                    self.log_attendance(now, (unit, track), pid, group, true);
                }
                continue;
            }
            let week_of_stay = ((now.since(pt.admitted_at) + pt.before_start) / WEEK) as u32 + 1;
            if let Some(ph) = su
                .phases
                .iter()
                .rev()
                .find(|ph| week_of_stay >= ph.from_week)
            {
                if pos_in_week >= ph.sessions_per_week {
                    continue;
                }
            }
            expected += 1;
            let gen = pt.gen;
            let group = pt.group as usize;
            let came = pt.rng.stream(Purpose::Attendance).random::<f64>() < pt.attendance;
            if came {
                attended += 1;
                pt.attended += 1;
                pt.absences = 0;
                misplaced += u64::from(wrong_place);
                let sessions =
                    by_sessions.then(|| &self.p.units[unit].care[usize::from(pt.class)].episode);
                if let Some(Some(Episode::Sessions(k))) = sessions {
                    if pt.attended == *k {
                        q.push(
                            end,
                            class::LEAVE,
                            Event::Leave {
                                pid,
                                gen,
                                why: Exit::Complete,
                            },
                        );
                    }
                }
            } else {
                pt.absences += 1;
                if su.discharge_after_absences > 0 && pt.absences == su.discharge_after_absences {
                    q.push(
                        end,
                        class::LEAVE,
                        Event::Leave {
                            pid,
                            gen,
                            why: Exit::AdminDischarge,
                        },
                    );
                }
            }
            if L::ON {
                self.log_attendance(now, (unit, track), pid, group, came);
            }
        }
        self.rec.audit_attendances(misplaced);
        if L::ON {
            self.log_sessions(now, unit, track);
        }
        let occupancy = &self.units[unit].tracks[track].occupancy;
        let (enrolled, held) = match self.staffing.as_mut().filter(|_| staffed) {
            Some(st) => {
                let on = |g: &usize| st.held[*g];
                let groups = (0..occupancy.len()).filter(on);
                let enrolled: u32 = groups.clone().map(|g| occupancy[g]).sum();
                let held = groups.filter(|&g| occupancy[g] > 0).count() as u32;
                st.held.clear();
                (enrolled, held)
            }
            None if min => {
                let groups = (0..occupancy.len()).filter(|&g| !self.below[g]);
                let enrolled: u32 = groups.clone().map(|g| occupancy[g]).sum();
                let held = groups.filter(|&g| occupancy[g] > 0).count() as u32;
                (enrolled, held)
            }
            None => (
                occupancy.iter().sum(),
                occupancy.iter().filter(|&&o| o > 0).count() as u32,
            ),
        };
        if min {
            self.below.clear();
            self.rec.audit_groups(attended > enrolled, 0, 0);
        }
        self.rec
            .session(unit, track, now, enrolled, expected, attended, held);
        // The track's next session is another: bed-holders may now be
        // among those it admits (a cohort's first week has come).
        if self.units[unit].tracks[track].holders > 0 {
            self.assign_reserved_seats(now, unit, track, q);
        }
    }
}

// ---- the [initial] state: the program as it is at start_date ---------------

/// Draws of a stay or patience distribution tried for one longer than the
/// time already elapsed before falling back to a fresh draw.
const RESIDUAL_TRIES: u32 = 1000;

impl<L: Log, const PLAIN: bool> Clinic<'_, L, PLAIN> {
    /// Seeds the scenario's `[initial]` state at time 0, which is
    /// `start_date` (validation ensures there is no warm-up). Patients in
    /// care continue a stay that began `days_in_care` earlier (a virtual
    /// admission before time 0, kept in `before_start`); waiting patients
    /// have waited `days_waited` already. Each draws from generators keyed
    /// by the reserved stream name [`INITIAL_STREAM`] and their position in
    /// the state, so the referral streams' draws are untouched.
    fn seed_initial(&mut self, q: &mut EventQueue<Event>) {
        let sc = self.p.scenario;
        if sc.initial.is_empty() {
            return;
        }
        let prefix = derive(&[self.seed, self.trial, name_key(INITIAL_STREAM)]);
        for (i, ip) in sc.initial.in_care.iter().enumerate() {
            let pid = self.new_patient(prefix, i as u64, NO_STREAM);
            if L::ON {
                *self.info(pid) = LogInfo {
                    key: PatientKey {
                        stream: None,
                        index: i as u64,
                    },
                    ..LogInfo::NONE
                };
            }
            self.seed_in_care(pid, ip, q);
        }
        // Longest waits first, so they stay ahead within their priority.
        let offset = sc.initial.in_care.len();
        let mut order: Vec<usize> = (0..sc.initial.waiting.len()).collect();
        order.sort_by(|&a, &b| {
            sc.initial.waiting[b]
                .days_waited
                .total_cmp(&sc.initial.waiting[a].days_waited)
        });
        for i in order {
            let pid = self.new_patient(prefix, (offset + i) as u64, NO_STREAM);
            if L::ON {
                let w = &sc.initial.waiting[i];
                *self.info(pid) = LogInfo {
                    key: PatientKey {
                        stream: None,
                        index: (offset + i) as u64,
                    },
                    priority: w.priority,
                    referred: Some(-(days_to_secs(w.days_waited) as i64)),
                    ..LogInfo::NONE
                };
            }
            self.seed_waiting(pid, &sc.initial.waiting[i], q);
        }
        // Units that admit on arrival take waiting patients into free places now.
        for (u, plan) in self.p.units.iter().enumerate() {
            if plan.admits_on_arrival {
                for (t, track) in plan.tracks.iter().enumerate() {
                    for g in 0..track.groups as usize {
                        self.fill_group(SimTime::ZERO, u, t, g, q);
                    }
                }
            }
        }
    }

    fn seed_in_care(&mut self, pid: PatientId, ip: &InitialInCare, q: &mut EventQueue<Event>) {
        let (unit, track) = (ip.unit, ip.track);
        let Some(group) = self.units[unit].tracks[track].free_group() else {
            // Validation keeps the initial patients within the seats.
            self.release_patient(pid);
            return;
        };
        let before = days_to_secs(ip.days_in_care);
        let us = &mut self.units[unit];
        let ts = &mut us.tracks[track];
        ts.occupancy[group] += 1;
        let enrolled_idx = ts.enrolled.len() as u32;
        if us.is_sessions {
            ts.enrolled.push(pid);
        }
        let sc = self.p.scenario;
        let attended = match &sc.units[unit].kind {
            UnitKind::Sessions(su) => match su.episode {
                Episode::Sessions(k) => ip
                    .sessions_attended
                    .unwrap_or_else(|| sessions_so_far(su, track, before).min(k.saturating_sub(1))),
                _ => 0,
            },
            UnitKind::Beds(_) => 0,
        };
        let pt = &mut self.patients[pid as usize];
        pt.gen = pt.gen.wrapping_add(1);
        pt.status = Status::InCare;
        pt.unit = unit as u32;
        pt.track = track as u32;
        pt.group = group as u32;
        pt.referred_at = SimTime::ZERO;
        pt.admitted_at = SimTime::ZERO;
        pt.before_start = before;
        pt.attended = attended;
        pt.absences = 0;
        pt.enrolled_idx = enrolled_idx;
        if let Some(care) = self.p.units[unit].care.first() {
            pt.attendance = match &care.attendance_beta {
                None => care.attendance,
                Some(b) => b.sample(&mut pt.rng.stream(Purpose::Class)),
            };
        }
        let gen = pt.gen;
        self.rec.census_change(unit, track, SimTime::ZERO, 1);
        let start = SimTime::ZERO;
        let complete_at = match &sc.units[unit].kind {
            UnitKind::Beds(b) => Some(start.plus_days(residual(
                &b.stay,
                &mut pt.rng.stream(Purpose::Stay),
                ip.days_in_care,
            ))),
            UnitKind::Sessions(su) => match &su.episode {
                Episode::Weeks(w) => {
                    Some(start.plus_secs((u64::from(*w) * WEEK).saturating_sub(before)))
                }
                Episode::Days(d) => Some(start.plus_days(residual(
                    d,
                    &mut pt.rng.stream(Purpose::Stay),
                    ip.days_in_care,
                ))),
                Episode::Sessions(_) => None,
            },
        };
        if let Some(at) = complete_at {
            q.push(
                at,
                class::LEAVE,
                Event::Leave {
                    pid,
                    gen,
                    why: Exit::Complete,
                },
            );
        }
        if self.units[unit].caseload.is_some() {
            self.caseload_take(SimTime::ZERO, unit);
        }
        if let UnitKind::Sessions(su) = &sc.units[unit].kind {
            if has_hazards(su) {
                let week = (before / WEEK) as u32 + 1;
                self.stay_week(SimTime::ZERO, pid, gen, week, q);
            }
        }
        if self.units[unit].phase_moves {
            self.schedule_phase_move(SimTime::ZERO, pid, None, q);
        }
    }

    fn seed_waiting(&mut self, pid: PatientId, iw: &InitialWaiting, q: &mut EventQueue<Event>) {
        let unit = iw.unit;
        let track = iw.track.unwrap_or_else(|| self.draw_track(pid, unit));
        self.wl_seq += 1;
        let key = (iw.priority, self.wl_seq);
        let us = &mut self.units[unit];
        us.tracks[track].waitlist.insert(key, pid);
        us.waiting += 1;
        self.rec.waitlist_change(unit, track, SimTime::ZERO, 1);
        let pt = &mut self.patients[pid as usize];
        pt.status = Status::Waiting;
        pt.unit = unit as u32;
        pt.track = track as u32;
        pt.referred_at = SimTime::ZERO;
        pt.before_start = days_to_secs(iw.days_waited);
        pt.wl_key = key;
        if let Some(patience) = &self.p.scenario.units[unit].waitlist.patience {
            let days = residual(
                patience,
                &mut pt.rng.stream(Purpose::Patience),
                iw.days_waited,
            );
            q.push(
                SimTime::ZERO.plus_days(days),
                class::RENEGE,
                Event::Renege { pid, gen: pt.gen },
            );
        }
    }
}

/// What is left of a duration drawn from `dist` given that `elapsed` days
/// of it have passed (the conditional distribution, by rejection). Far in
/// the tail, where no draw of [`RESIDUAL_TRIES`] exceeds `elapsed`, the
/// patient is evidently atypical and draws afresh.
fn residual(dist: &Dist, rng: &mut impl Rng, elapsed: f64) -> f64 {
    if elapsed <= 0.0 {
        return dist.sample(rng);
    }
    for _ in 0..RESIDUAL_TRIES {
        let x = dist.sample(rng);
        if x > elapsed {
            return x - elapsed;
        }
    }
    dist.sample(rng)
}

/// Sessions attended in the whole weeks of a stay of `before` seconds, for
/// an initial patient of an episode counted in sessions: the track's
/// weekly sessions (fewer in later phases) times the unit's attendance.
fn sessions_so_far(su: &SessionUnit, track: usize, before: u64) -> u32 {
    let days = su.tracks.get(track).map_or(0, |t| t.days.len() as u32);
    let weeks = (before / WEEK) as u32;
    let scheduled: u32 = (1..=weeks)
        .map(|w| {
            su.phases
                .iter()
                .rev()
                .find(|ph| w >= ph.from_week)
                .map_or(days, |ph| ph.sessions_per_week.min(days))
        })
        .sum();
    (f64::from(scheduled) * su.attendance).round() as u32
}

/// The patience of class `tag`'s patients on `unit`'s waitlist. Out of
/// line: only patients of a class come here.
#[cold]
#[inline(never)]
fn class_patience<'a>(p: &'a Program, unit: usize, tag: ClassTag) -> Option<&'a Dist> {
    p.units[unit].care[usize::from(tag)].patience.as_ref()
}

/// Counts someone just taken off a waitlist of unit `unit` (`us`). Given
/// the unit's state rather than looking it up, so that a caller holding it
/// (`fill_group`, once per admission) looks it up once.
#[inline(always)]
fn left_waitlist(us: &mut UnitState, rec: &mut Recorder, unit: usize, track: usize, now: SimTime) {
    us.waiting -= 1;
    rec.waitlist_change(unit, track, now, -1);
}

fn has_hazards(su: &SessionUnit) -> bool {
    su.stepup_weekly > 0.0 || su.dropout_weekly.iter().any(|&h| h > 0.0)
}

/// The place given to `stepup_to` among a unit's routed destinations:
/// past them all, so that [`Clinic::destination`] gives its own.
const STEPUP_TO: usize = usize::MAX;

/// [`route`] for shares that sum to 1 (`on_stepup`): always a destination,
/// the last if rounding leaves the draw above their sum.
fn route_all<'a>(routing: &'a Routing, rng: &mut PatientRng) -> (&'a Destination, usize) {
    let last = routing.shares.len().saturating_sub(1);
    route(routing, rng).unwrap_or_else(|| (&routing.shares[last].0, last))
}

/// Draws a destination from routing shares with the patient's routing
/// generator (not touched when there is nowhere to route), with its place
/// in the routing map; `None` means leave care (`home`).
fn route<'a>(routing: &'a Routing, rng: &mut PatientRng) -> Option<(&'a Destination, usize)> {
    if routing.shares.is_empty() {
        return None;
    }
    let x: f64 = rng.stream(Purpose::Routing).random();
    let mut acc = 0.0;
    for (i, (dest, share)) in routing.shares.iter().enumerate() {
        acc += share;
        if x < acc {
            return Some((dest, i));
        }
    }
    None
}

impl<L: Log, const PLAIN: bool> Process for Clinic<'_, L, PLAIN> {
    type Event = Event;

    /// Inlined into the run loop, with everything a referral and a leave
    /// go through (`on_arrival`, `ArrivalState::schedule`, `enter`, `admit`,
    /// `on_leave`, `release_seat`, `fill_group`, `Dist::sample`): LLVM kept
    /// them out of line, and their calls (registers saved and restored) were
    /// a tenth of an M/M/1 run's instructions. `always`, measured: handle
    /// alone, 2.5% fewer instructions and 3% less time; the rest, another
    /// 8% fewer instructions and 6-7% less time (M/M/1, `benches/ab.sh`).
    #[inline(always)]
    fn handle(&mut self, now: SimTime, event: Event, q: &mut EventQueue<Event>) {
        match event {
            Event::Arrival { stream } => self.on_arrival(now, stream as usize, q),
            Event::Session { unit, track } => {
                self.on_session(now, unit as usize, track as usize, q)
            }
            Event::Leave { pid, gen, why } => self.on_leave(now, pid, gen, why, q),
            Event::Renege { pid, gen } => self.on_renege(now, pid, gen, q),
            Event::StayWeek { pid, gen, week } => self.stay_week(now, pid, gen, week, q),
            Event::Intake { pid, gen } => self.on_intake(now, pid, gen, q),
            Event::PhaseMove { pid, gen, phase } => self.on_phase_move(now, pid, gen, phase, q),
            Event::Relapse { pid, gen } => self.on_relapse(now, pid, gen, q),
        }
    }
}

#[cfg(test)]
mod event_layout {
    use super::Event;

    /// Every event, the relapse's included, moves in two aligned words.
    #[test]
    fn an_event_is_two_aligned_words() {
        assert_eq!(std::mem::size_of::<Event>(), 16);
        assert_eq!(std::mem::align_of::<Event>(), 8);
    }
}
