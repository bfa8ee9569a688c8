//! Every limit a scenario is held to beyond the range of each value, in one
//! place (`docs/robustness.md`, "Limits", lists them with their errors).
//!
//! Each limit is far above any real program and far below the point where
//! a run would exhaust memory, take hours a trial or write thousands of
//! files. The loader checks them in its one validation pass and names the
//! file or key, the limit and the value; nothing past a limit is simulated.

/// Largest scenario file read (1 MiB; the shipped ones are under 10 KB).
/// Its TOML value takes some 40 times its size in memory.
pub const MAX_SCENARIO_FILE_BYTES: u64 = 1 << 20;

/// Largest `initial.patients_csv` read (16 MiB: about 500,000 rows).
pub const MAX_INITIAL_CSV_BYTES: u64 = 16 << 20;

/// Entries in `calendar.holidays`: more than one a day of the longest horizon.
pub const MAX_HOLIDAYS: usize = 40_000;

/// Longest simulated horizon (warm-up + reported): 100 years.
pub const MAX_TOTAL_WEEKS: i64 = 5200;

/// `[[units]]` tables. Each unit adds its weekly columns to every trial and
/// about ten files to the results.
pub const MAX_UNITS: usize = 50;

/// `[[referrals]]` streams. Each one's next arrival is a timer that the
/// event queue scans when it moves.
pub const MAX_REFERRAL_STREAMS: usize = 100;

/// Tracks of all units together: each track's next session is a timer, as
/// for streams.
pub const MAX_TRACKS: usize = 200;

/// Groups of one track (each session fills them one by one).
pub const MAX_GROUPS_PER_TRACK: i64 = 1_000;

/// Seats of one group.
pub const MAX_GROUP_SIZE: i64 = 1_000;

/// Beds of one unit.
pub const MAX_BEDS: i64 = 1_000_000;

/// Phases of one unit (each session looks up a patient's phase).
pub const MAX_PHASES: usize = 100;

/// Patients of an initial state, after `count` is expanded.
pub const MAX_INITIAL_PATIENTS: i64 = 1_000_000;

/// Expected referrals of one trial over the whole horizon, all streams
/// together, as the simulation computes its rates (weekday and month
/// weights, growth). Every referral is a patient in memory while they wait.
pub const MAX_EXPECTED_REFERRALS_PER_TRIAL: f64 = 10_000_000.0;

/// Expected events of one trial (referrals, admissions, weeks of stay,
/// attended sessions, session times), from the estimate `iopsim check`
/// prints: about five minutes a trial at [`EVENTS_PER_SECOND`].
pub const MAX_EXPECTED_EVENTS_PER_TRIAL: f64 = 1e9;

/// Expected stays a patient passes through at one instant: stays that
/// round to 0 seconds, routed from unit to unit. Real programs have about
/// one; a cycle of such units that patients cannot leave never lets the
/// clock move (the run would not end).
pub const MAX_INSTANT_STAYS: f64 = 1000.0;

/// A rough, deliberately modest speed of one core (events a second) for
/// turning the expected events of a run into a time: the shipped scenarios
/// run at 3 to 5 million a second on the 2-core development machine.
pub const EVENTS_PER_SECOND: f64 = 3e6;

/// A run expected to take longer than this on one core is announced with
/// a warning (never refused below the hard limits).
pub const WARN_RUN_SECONDS: f64 = 60.0;

/// People on one shift of a role (positions drawn per trial).
pub const MAX_SHIFT_COUNT: i64 = 1_000;

/// Shift tables of one role.
pub const MAX_SHIFTS: usize = 100;

/// Intake appointments on one day (fixed), or per person on duty.
pub const MAX_INTAKE_SLOTS: i64 = 1_000;

/// Patient classes (`[[classes]]`): each adds a dozen result columns.
pub const MAX_CLASSES: usize = 64;
