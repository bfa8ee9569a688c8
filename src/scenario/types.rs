//! The typed, validated scenario. Everything downstream trusts these values:
//! references are indices, probabilities are in [0, 1], sizes are positive and
//! every distribution was constructed successfully.

use chrono::{NaiveDate, Weekday};

use crate::model::dist::Dist;

/// Index into [`Scenario::units`].
pub type UnitId = usize;
/// Index into [`Scenario::rooms`].
pub type RoomId = usize;
/// Index into [`Scenario::staff`].
pub type RoleId = usize;
/// Index into [`Scenario::classes`].
pub type ClassId = usize;

#[derive(Debug, Clone)]
pub struct Scenario {
    /// Safe for use as a directory name: `[A-Za-z0-9._-]`, not starting with a dot.
    pub name: String,
    pub description: String,
    pub simulation: Simulation,
    pub calendar: Calendar,
    pub referrals: Vec<ReferralStream>,
    pub units: Vec<Unit>,
    pub rooms: Vec<Room>,
    pub staff: Vec<Staff>,
    pub workload: Vec<Workload>,
    /// Revenue and cost; `None` when the scenario has no `[finance]` section.
    pub finance: Option<Finance>,
    /// Patients in care and waiting at `start_date` (`[initial]`); empty: the program starts empty.
    pub initial: InitialState,
    /// Kinds of patient (`[[classes]]`); empty: every patient of a unit is alike.
    pub classes: Vec<PatientClass>,
    /// How results read (`[report]`); never changes the simulation.
    pub report: ReportOptions,
    /// The scenario as TOML after `--set` overrides, for `scenario.toml` in the outputs.
    pub resolved_toml: String,
    /// The `--set KEY=VALUE` overrides a user gave on the command line (not
    /// the options such as `--trials`), in order: a what-if of the file,
    /// listed in the report and `run.json`. Set by the command after loading.
    pub overrides: Vec<String>,
    /// Numbers written as distributions (`{ uncertain = ... }`), which each
    /// trial draws anew; empty when there are none or `fixed_inputs` is
    /// set (every number is then as read, uncertain ones at their means).
    pub inputs: super::uncertain::Inputs,
}

#[derive(Debug, Clone)]
pub struct Simulation {
    /// First reported day. The warm-up is simulated before it.
    pub start_date: NaiveDate,
    /// Reported horizon in weeks (>= 1).
    pub weeks: u32,
    /// Simulated before `start_date`, not reported.
    pub warmup_weeks: u32,
    /// Number of Monte Carlo trials (>= 1).
    pub trials: u32,
    pub seed: u64,
    /// Uncertain inputs at their means (`--fixed-inputs`): only the luck of
    /// arrivals and patients varies between trials.
    pub fixed_inputs: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Calendar {
    /// Days on which no sessions run (explicit dates plus generated US federal holidays).
    pub holidays: Vec<NaiveDate>,
    /// Add the US federal holidays (observed dates) of every simulated year.
    pub us_federal_holidays: bool,
}

#[derive(Debug, Clone)]
pub struct ReferralStream {
    pub name: String,
    pub to: UnitId,
    /// Mean referrals per week before modulation.
    pub per_week: f64,
    /// Relative weights Mon..Sun; not all zero.
    pub weekdays: [f64; 7],
    /// Multipliers Jan..Dec.
    pub months: [f64; 12],
    /// Compound yearly growth of the rate, e.g. 0.2 = +20% per year.
    pub growth_per_year: f64,
    /// Probability that a referral turns up at all.
    pub show: f64,
    /// Waitlist priority: lower is served first, FIFO within a class.
    pub priority: u8,
    /// The classes of its patients and their shares (summing to 1); empty:
    /// its patients belong to no class.
    pub classes: Vec<(ClassId, f64)>,
}

/// A kind of patient: what differs from the unit's own figures where the
/// class is treated.
#[derive(Debug, Clone)]
pub struct PatientClass {
    pub name: String,
    /// Replaces the stream's show rate.
    pub show: Option<f64>,
    /// Replaces the stream's waitlist priority at referral.
    pub priority: Option<u8>,
    /// Per unit (by [`UnitId`]): what the class changes there; `None`
    /// outside the class's `units`.
    pub care: Vec<Option<ClassCare>>,
}

/// What a class changes in one unit; `None`: the unit's own.
#[derive(Debug, Clone, Default)]
pub struct ClassCare {
    pub attendance: Option<f64>,
    pub attendance_sd: Option<f64>,
    pub dropout_weekly: Option<Vec<f64>>,
    pub stepup_weekly: Option<f64>,
    pub episode: Option<Episode>,
    /// Preference shares by track index (summing to 1).
    pub track_shares: Option<Vec<f64>>,
    pub track_choice: Option<TrackChoice>,
    pub patience: Option<Dist>,
}

/// Which tracks of a unit a waiting patient takes a seat in.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum TrackChoice {
    /// Only the track they were given (drawn from the shares): wait for it.
    #[default]
    Preferred,
    /// The first free seat in any track their shares allow (share > 0).
    FirstAvailable,
    /// Their own track, and any other their shares allow once they have
    /// waited this many days.
    AfterDays(f64),
}

/// Where a patient goes: another unit, or out of the modelled system with a label.
#[derive(Debug, Clone, PartialEq)]
pub enum Destination {
    Unit(UnitId),
    Exit(String),
}

/// Shares of leavers sent to each destination. The remainder (1 - sum) leaves
/// care with the label `home`.
#[derive(Debug, Clone, Default)]
pub struct Routing {
    pub shares: Vec<(Destination, f64)>,
}

#[derive(Debug, Clone)]
pub struct Unit {
    pub name: String,
    pub kind: UnitKind,
    pub waitlist: WaitlistSpec,
    /// Of the patients who leave this unit for `home`, those referred
    /// again later (`relapse = { ... }`); `None`: nobody comes back.
    pub relapse: Option<Box<Relapse>>,
    /// Chance that a patient transferred in from another modelled unit
    /// turns up (`transfer_show`, default 1).
    pub transfer_show: f64,
}

/// `relapse = { share = 0.3, after = { dist = ... }, to = "iop", show = 0.8 }`:
/// of the patients who leave the unit for `home`, `share` are referred
/// again `after` days later to unit `to`, and turn up with probability
/// `show`. One spec per unit; a later `class` key (patient classes)
/// would make this one entry of a list, each for one class.
#[derive(Debug, Clone)]
pub struct Relapse {
    pub share: f64,
    /// Days from going home to the new referral.
    pub after: Dist,
    pub to: UnitId,
    pub show: f64,
    /// Waitlist priority of the new referral.
    pub priority: u8,
    /// The class of the new referral; `None`: the patient's own.
    pub class: Option<ClassId>,
}

/// A scenario has a few units, read through references: the size of the
/// larger variant costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum UnitKind {
    Beds(BedUnit),
    Sessions(SessionUnit),
}

#[derive(Debug, Clone)]
pub struct WaitlistSpec {
    /// `None`: unlimited. `Some(0)`: turned away when no place is free.
    pub capacity: Option<u32>,
    /// Time (days) a waiting patient is willing to wait before reneging. `None`: forever.
    pub patience: Option<Dist>,
    /// Priority given to patients transferred from another unit (default 0: ahead of referrals).
    pub transfer_priority: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handoff {
    /// Keep the bed until the next unit admits the patient (blocked bed-days).
    WaitInPlace,
    /// Discharge home and join the next unit's waitlist.
    GoHome,
}

#[derive(Debug, Clone)]
pub struct BedUnit {
    pub capacity: u32,
    /// Length of stay in days.
    pub stay: Dist,
    pub on_discharge: Routing,
    pub handoff: Handoff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Admitted at the next session of the track with a free seat.
    Rolling,
    /// Closed groups: each group admits only at the sessions of the first
    /// week of its cohorts, every `every_weeks` weeks, counted on the
    /// calendar from `first` (the date of the first cohort week; `None`:
    /// `start_date`), so the cohorts stay on their dates whatever the
    /// warm-up. Group `g` of a track's `G` starts `g x every_weeks / G`
    /// weeks (rounded down) after the track's cohort dates.
    Cohort {
        every_weeks: u32,
        first: Option<NaiveDate>,
    },
    /// Admitted the moment a seat is free (queueing-theory checks).
    Continuous,
}

#[derive(Debug, Clone)]
pub enum Episode {
    /// Completes this many weeks after admission.
    Weeks(u32),
    /// Completes after attending this many sessions.
    Sessions(u32),
    /// Completes after a sampled number of days.
    Days(Dist),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phase {
    /// 1-based week of stay from which this phase applies.
    pub from_week: u32,
    /// Attend only the first `sessions_per_week` of the track's weekly days.
    pub sessions_per_week: u32,
    /// From this phase on the patient moves to this track of the unit (a
    /// step-down group), freeing their seat; `None`: they keep their seat.
    pub track: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct SessionUnit {
    pub admission: Admission,
    pub episode: Episode,
    /// Probability of attending each scheduled session (the mean over patients).
    pub attendance: f64,
    /// Between-patient spread of attendance: each patient's own rate is
    /// drawn from a beta distribution with mean `attendance` and this sd
    /// (0: everyone attends at `attendance`).
    pub attendance_sd: f64,
    /// Which tracks a waiting patient takes a seat in.
    pub track_choice: TrackChoice,
    /// Consecutive absences that trigger administrative discharge; 0 = never.
    pub discharge_after_absences: u32,
    /// Weekly dropout hazard by week of stay (index 0 = week 1); the last value repeats. May be empty (no dropout).
    pub dropout_weekly: Vec<f64>,
    pub stepup_weekly: f64,
    /// Where step-ups go without `on_stepup`.
    pub stepup_to: Destination,
    /// `on_stepup`: step-ups shared between destinations (shares sum to
    /// 1); `None`: all go to `stepup_to`.
    pub on_stepup: Option<Routing>,
    pub on_completion: Routing,
    /// `on_dropout`, `on_admin_discharge`: where those exits go (the
    /// remainder home); empty: all home.
    pub on_dropout: Routing,
    pub on_admin_discharge: Routing,
    /// Sorted by `from_week`.
    pub phases: Vec<Phase>,
    pub tracks: Vec<Track>,
    /// An intake assessment between referral and the waitlist, if any.
    pub intake: Option<Box<Intake>>,
}

impl SessionUnit {
    /// Whether some phase moves its patients to another track.
    pub fn moves_by_phase(&self) -> bool {
        self.phases.iter().any(|ph| ph.track.is_some())
    }

    /// Whether some track has a `min_size`.
    pub fn has_min_size(&self) -> bool {
        self.tracks.iter().any(|t| t.min_size.is_some())
    }
}

/// A unit's intake stage: a referral books the first free appointment slot
/// after it arrives; at the appointment it shows with a probability that
/// may fall with the days waited, and those who show go on as a referral
/// without an intake does (a seat at the next session, or the waitlist).
#[derive(Debug, Clone)]
pub struct Intake {
    pub slots: IntakeSlots,
    /// Minutes after midnight of every appointment of a day.
    pub at_minute: u32,
    /// Clinician hours per appointment held.
    pub hours: f64,
    /// The role whose hours appointments take (required with roster slots).
    pub role: Option<RoleId>,
    /// (days waited, show probability), sorted by days; interpolated
    /// linearly, flat beyond the ends. One point: a constant.
    pub show: Vec<(f64, f64)>,
}

impl Intake {
    /// The show probability after waiting `days` for the appointment.
    pub fn show_after(&self, days: f64) -> f64 {
        let s = &self.show;
        let Some(&(d0, p0)) = s.first() else {
            return 1.0;
        };
        if days <= d0 {
            return p0;
        }
        for w in s.windows(2) {
            let ((a, pa), (b, pb)) = (w[0], w[1]);
            if days <= b {
                return pa + (pb - pa) * (days - a) / (b - a);
            }
        }
        s[s.len() - 1].1
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeSlots {
    /// Appointments per weekday, Mon..Sun.
    Fixed([u32; 7]),
    /// Appointments per person of `role` on duty at the appointment time.
    PerPerson(u32),
}

#[derive(Debug, Clone)]
pub struct Track {
    pub name: String,
    /// Sorted Mon..Sun, no duplicates.
    pub days: Vec<Weekday>,
    /// Minutes after midnight.
    pub start_minute: u32,
    pub hours: f64,
    pub groups: u32,
    pub group_size: u32,
    pub room: Option<RoomId>,
    /// Share of admissions preferring this track; shares of a unit sum to 1.
    pub share: f64,
    /// Staff each group needs on duty for its session to be held; `None`:
    /// sessions are held whoever is on duty (the hours calculator only).
    pub facilitators: Option<Facilitators>,
    /// Fewest patients a group needs to meet (1..=group_size); `None`: no
    /// minimum, any group with a patient meets.
    pub min_size: Option<u32>,
}

/// `facilitators = { role = "therapist", count = 1 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facilitators {
    pub role: RoleId,
    /// People of the role per group.
    pub count: u32,
}

#[derive(Debug, Clone)]
pub struct Room {
    pub name: String,
    pub seats: u32,
    /// Identical rooms under this name (default 1).
    pub count: u32,
}

#[derive(Debug, Clone)]
pub struct Staff {
    pub role: String,
    pub fte: f64,
    pub hours_per_fte: f64,
    /// Who is on duty when; `None`: the role constrains nothing (hours only).
    pub roster: Option<Roster>,
    pub caseload: Option<Caseload>,
}

/// A role's shifts and planned absence. Each shift's `count` people are
/// positions: each may be vacant for a whole trial and takes whole weeks
/// of leave, drawn per trial.
#[derive(Debug, Clone)]
pub struct Roster {
    pub shifts: Vec<Shift>,
    /// Weeks of leave per position a year.
    pub leave_weeks: f64,
    /// Probability that a position is unfilled through a trial.
    pub vacancy: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Shift {
    /// Sorted Mon..Sun, no duplicates.
    pub days: Vec<Weekday>,
    /// Minutes after midnight.
    pub start_minute: u32,
    pub hours: f64,
    pub count: u32,
}

impl Shift {
    /// Whether the shift, on `day`, covers `[start, start + minutes]`
    /// (minutes after midnight).
    pub fn covers(&self, day: Weekday, start: u32, minutes: f64) -> bool {
        self.days.contains(&day)
            && self.start_minute <= start
            && f64::from(start) + minutes <= f64::from(self.start_minute) + self.hours * 60.0 + 1e-9
    }
}

/// `caseload = 12` on a role: at most `per_fte x FTE` patients in care at
/// once in `units` (filled positions only, with a roster); an admission
/// needs a place.
#[derive(Debug, Clone)]
pub struct Caseload {
    pub per_fte: f64,
    pub units: Vec<UnitId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// Per group session held (a group with at least one enrolled patient).
    GroupSession,
    /// Per enrolled patient, every `every_weeks` weeks, for `share` of patients.
    Individual,
    Family,
    Medication,
    /// Per admission.
    Intake,
    /// Per occupied bed-day (bed units).
    BedDay,
}

impl Activity {
    /// Individual, family and medication: per enrolled patient.
    pub fn per_patient(self) -> bool {
        matches!(
            self,
            Activity::Individual | Activity::Family | Activity::Medication
        )
    }

    pub const ALL: [(&'static str, Activity); 6] = [
        ("group_session", Activity::GroupSession),
        ("individual", Activity::Individual),
        ("family", Activity::Family),
        ("medication", Activity::Medication),
        ("intake", Activity::Intake),
        ("bed_day", Activity::BedDay),
    ];
}

#[derive(Debug, Clone)]
pub struct Workload {
    pub activity: Activity,
    pub role: RoleId,
    /// Staff hours per occurrence: a plain `hours = h`, or the fixed part
    /// (`extra`) of a group session's `hours = { per_session_hour, extra }`.
    pub hours: f64,
    /// Group sessions: staff hours per hour of the session's length (its
    /// track's `hours`), on top of `hours`; 0 for a plain number.
    pub per_session_hour: f64,
    /// For per-patient activities: one occurrence every this many weeks (default 1).
    pub every_weeks: f64,
    /// For per-patient activities: `every_weeks` before the unit's first
    /// phase, then in each phase (phases + 1 numbers); empty: `every_weeks`
    /// throughout.
    pub every_weeks_by_phase: Vec<f64>,
    /// Share of patients (or sessions) the activity applies to (default 1).
    pub share: f64,
    /// Restrict to one unit; `None`: every unit where the activity applies.
    pub unit: Option<UnitId>,
    /// Per-patient activities: restrict to the patients of this track of
    /// `unit` (always `Some` then); `None`: every track.
    pub track: Option<usize>,
}

impl Workload {
    /// Whether its hours follow the census of one track or by phase, which
    /// the recorder works out apart (the plain per-patient form does not).
    pub fn scoped(&self) -> bool {
        self.track.is_some() || !self.every_weeks_by_phase.is_empty()
    }
}

impl Scenario {
    pub fn unit_id(&self, name: &str) -> Option<UnitId> {
        self.units.iter().position(|u| u.name == name)
    }
    /// Total simulated weeks (warm-up + reported).
    pub fn total_weeks(&self) -> u32 {
        self.simulation.warmup_weeks + self.simulation.weeks
    }
}

/// The money side of a program: what it bills and what it costs.
#[derive(Debug, Clone, Default)]
pub struct Finance {
    /// Share of billed revenue actually collected.
    pub collection_rate: f64,
    /// Payer mix for session-days; shares sum to 1 (or the list is empty).
    pub payers: Vec<Payer>,
    /// Billed per admission to a session unit (intake assessment).
    pub intake_fee: f64,
    /// Billed per individual session (each occurrence of an `individual` workload entry).
    pub individual_fee: f64,
    /// Revenue per occupied bed-day, for bed units the program owns.
    pub bed_day_rates: Vec<(UnitId, f64)>,
    pub room_cost_per_week: Vec<(RoomId, f64)>,
    pub overhead_per_week: f64,
    pub staff: Vec<StaffCost>,
}

impl Finance {
    /// Expected billed amount per attended session-day over the payer mix
    /// (the payers that bill per day; 0 if none does).
    pub fn per_day(&self) -> f64 {
        self.rate(Billing::PerDay)
    }

    /// Expected billed amount per attended session-hour over the payer mix
    /// (the payers that bill per hour; 0 if none does).
    pub fn per_hour(&self) -> f64 {
        self.rate(Billing::PerHour)
    }

    fn rate(&self, billing: Billing) -> f64 {
        self.payers
            .iter()
            .filter(|p| p.billing == billing)
            .map(|p| p.share * p.rate)
            .sum()
    }
}

/// What a payer's rate is paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Billing {
    /// `per_day`: per attended session-day, whatever the session's length.
    PerDay,
    /// `per_hour`: per attended session-hour (a session of 3 h bills 3 x the rate).
    PerHour,
}

#[derive(Debug, Clone)]
pub struct Payer {
    pub name: String,
    pub share: f64,
    pub billing: Billing,
    /// Billed per attended session-day or session-hour (`billing`).
    pub rate: f64,
}

/// How a role is paid: its FTE on staff are salaried (paid every week,
/// sessions or not); hours needed beyond them are paid per hour (per-diem).
#[derive(Debug, Clone)]
pub struct StaffCost {
    pub role: RoleId,
    pub salary_per_fte_year: f64,
    /// 0: hours beyond staff are not bought (they show as a shortfall only).
    pub per_diem_per_hour: f64,
}

// --- [initial]: the program as it is at start_date ---------------------------

/// The program at `start_date`, one entry per patient (row counts expanded).
/// With an initial state there is no warm-up: simulated time 0 is `start_date`.
#[derive(Debug, Clone, Default)]
pub struct InitialState {
    pub in_care: Vec<InitialInCare>,
    pub waiting: Vec<InitialWaiting>,
}

impl InitialState {
    pub fn is_empty(&self) -> bool {
        self.in_care.is_empty() && self.waiting.is_empty()
    }
}

/// A patient admitted before `start_date` and still in care.
#[derive(Debug, Clone, PartialEq)]
pub struct InitialInCare {
    pub unit: UnitId,
    /// Track of a sessions unit (0 for a beds unit).
    pub track: usize,
    /// Days in care before `start_date`: `(week - 1) x 7`, or from the admission date.
    pub days_in_care: f64,
    /// Sessions attended so far (episodes by sessions); `None`: estimated from the stay.
    pub sessions_attended: Option<u32>,
}

/// A patient on a waitlist at `start_date`.
#[derive(Debug, Clone, PartialEq)]
pub struct InitialWaiting {
    pub unit: UnitId,
    /// `None`: drawn from the track shares, like a new referral.
    pub track: Option<usize>,
    pub days_waited: f64,
    pub priority: u8,
}

/// `[report]`: presentation only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportOptions {
    /// ISO 4217 code of the money in `[finance]` ("USD"); `None`: amounts
    /// print without a currency.
    pub currency: Option<String>,
}
