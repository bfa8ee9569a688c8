//! The patient-level log: what the clinic tells a [`Log`] about every visit
//! of every patient to a unit and every group session held, as plain rows
//! (indices and seconds, no names or dates: `report::log` formats them).
//!
//! The clinic is generic over its log. [`NoLog`], the log of every normal
//! run, has `ON = false`, and every piece of bookkeeping the log needs sits
//! behind `if L::ON`, so a run without a log compiles to the code it was
//! before (`docs/performance.md`). A logged trial is a separate,
//! deterministic re-run of the same trial (same seed, same index, same
//! draws), so its rows describe exactly the history the summary counted.

/// Why a visit ended (or that it had not when the run did).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitEnd {
    /// Referred, never turned up.
    NoShow,
    /// Turned away: the waitlist was full.
    TurnedAway,
    /// Gave up waiting.
    Reneged,
    Completed,
    DroppedOut,
    SteppedUp,
    AdminDischarged,
    /// Still waiting at the horizon.
    Waiting,
    /// Still in care at the horizon.
    InCare,
}

impl VisitEnd {
    /// The word written in the log's `reason` column (`docs/data.md`).
    pub fn label(self) -> &'static str {
        match self {
            VisitEnd::NoShow => "no_show",
            VisitEnd::TurnedAway => "turned_away",
            VisitEnd::Reneged => "reneged",
            VisitEnd::Completed => "completed",
            VisitEnd::DroppedOut => "dropped_out",
            VisitEnd::SteppedUp => "stepped_up",
            VisitEnd::AdminDischarged => "admin_discharged",
            VisitEnd::Waiting => "waiting",
            VisitEnd::InCare => "in_care",
        }
    }

    /// Every label, in the order of the enum.
    pub const LABELS: [&'static str; 9] = [
        "no_show",
        "turned_away",
        "reneged",
        "completed",
        "dropped_out",
        "stepped_up",
        "admin_discharged",
        "waiting",
        "in_care",
    ];
}

/// Who a patient is, stably across scenarios run on the same seed (common
/// random numbers): the `index`-th referral (from 0) of stream `stream`,
/// or, with `stream` = `None`, the `index`-th patient of the `[initial]`
/// state (in care first, then waiting, in the file's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatientKey {
    pub stream: Option<u32>,
    pub index: u64,
}

/// One patient's visit to one unit: from the referral (or transfer) to
/// leaving it. Times are seconds from the start of the simulated calendar
/// (the first warm-up day, 00:00); the `[initial]` state's patients were
/// referred, and may have been admitted, before it (negative times).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Visit {
    pub patient: PatientKey,
    pub unit: u32,
    /// The track of a session unit (`None` for a beds unit, which has
    /// none, and for a no-show, who was never given one).
    pub track: Option<u32>,
    pub priority: u8,
    /// `None` for the `[initial]` state's patients in care, whose referral
    /// is not known.
    pub referred: Option<i64>,
    pub admitted: Option<i64>,
    /// When the visit ended (for those admitted: when their stay ended);
    /// `None` if it had not by the horizon.
    pub left: Option<i64>,
    /// When an admitted patient's seat or bed was freed: `left`, except
    /// for a patient who kept their bed after the stay, waiting for the
    /// next unit (`handoff = "wait_in_place"`); `None` if still held at
    /// the horizon, or never admitted.
    pub freed: Option<i64>,
    pub end: VisitEnd,
    /// Where a leaver went, as an index into the unit's
    /// [`destination_names`](crate::model::result::destination_names);
    /// `None` for those who never were in care, or still are.
    pub destination: Option<u32>,
    /// Session units: sessions the patient was expected at (their first,
    /// and every later one their phase schedules) and sessions attended.
    pub sessions_scheduled: u32,
    pub sessions_attended: u32,
    /// The patient's class at the visit: 0 for none, else the class's
    /// index + 1.
    pub class: u16,
}

/// One group's session, held (it had somebody enrolled, on a day that is
/// not a holiday).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    /// Seconds from the start of the simulated calendar.
    pub at: u64,
    pub unit: u32,
    pub track: u32,
    pub group: u32,
    pub enrolled: u32,
    /// Of those expected (their phase schedules the session), those who came.
    pub expected: u32,
    pub attended: u32,
}

/// One patient expected at one group session, and whether they came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attended {
    /// Seconds from the start of the simulated calendar.
    pub at: u64,
    pub patient: PatientKey,
    pub unit: u32,
    pub track: u32,
    pub group: u32,
    pub came: bool,
}

/// Where the clinic sends its rows, in the order things happen.
pub trait Log {
    /// Whether the clinic keeps the bookkeeping the rows need at all.
    const ON: bool;
    /// Whether the clinic reports sessions (`ON` must be set too).
    fn sessions(&self) -> bool {
        false
    }
    /// Whether the clinic reports each patient's attendance at each
    /// session (`ON` must be set too).
    fn attendance(&self) -> bool {
        false
    }
    /// The rows that follow are trial `trial`'s.
    fn begin_trial(&mut self, _trial: u64) {}
    fn visit(&mut self, _visit: &Visit) {}
    fn session(&mut self, _session: &Session) {}
    fn attended(&mut self, _attended: &Attended) {}
}

/// The log of a normal run: nothing kept, nothing written.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLog;

impl Log for NoLog {
    const ON: bool = false;
}

/// A log kept in memory (for tests and small runs).
#[derive(Debug, Clone, Default)]
pub struct MemoryLog {
    pub visits: Vec<Visit>,
    pub sessions: Vec<Session>,
    pub attended: Vec<Attended>,
    /// Whether sessions are kept.
    pub with_sessions: bool,
    /// Whether each patient's attendance is kept.
    pub with_attendance: bool,
}

impl Log for MemoryLog {
    const ON: bool = true;

    fn sessions(&self) -> bool {
        self.with_sessions
    }

    fn visit(&mut self, visit: &Visit) {
        self.visits.push(*visit);
    }

    fn session(&mut self, session: &Session) {
        self.sessions.push(*session);
    }

    fn attendance(&self) -> bool {
        self.with_attendance
    }

    fn attended(&mut self, attended: &Attended) {
        self.attended.push(*attended);
    }
}

/// A log lent for one trial (the same log writes trial after trial).
impl<T: Log> Log for &mut T {
    const ON: bool = T::ON;

    fn sessions(&self) -> bool {
        (**self).sessions()
    }

    fn begin_trial(&mut self, trial: u64) {
        (**self).begin_trial(trial);
    }

    fn visit(&mut self, visit: &Visit) {
        (**self).visit(visit);
    }

    fn session(&mut self, session: &Session) {
        (**self).session(session);
    }

    fn attendance(&self) -> bool {
        (**self).attendance()
    }

    fn attended(&mut self, attended: &Attended) {
        (**self).attended(attended);
    }
}
