//! Serde structs mirroring the TOML as written. Everything is optional and
//! loosely typed (integers as `i64`, names as strings) so that missing keys,
//! out-of-range integers and unknown names become collected [`Problem`]s in
//! `validate.rs` instead of one serde error at a time.
//!
//! Unknown keys are not rejected here (`deny_unknown_fields` stops at the
//! first); `serde_ignored` reports all of them, and [`ALLOWED_KEYS`] says what
//! each section accepts.
//!
//! [`Problem`]: super::Problem

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct RawScenario {
    pub name: Option<String>,
    pub description: Option<String>,
    pub simulation: Option<RawSimulation>,
    pub calendar: Option<RawCalendar>,
    #[serde(default)]
    pub referrals: Vec<RawReferral>,
    #[serde(default)]
    pub units: Vec<RawUnit>,
    #[serde(default)]
    pub rooms: Vec<RawRoom>,
    #[serde(default)]
    pub staff: Vec<RawStaff>,
    #[serde(default)]
    pub workload: Vec<RawWorkload>,
    pub finance: Option<RawFinance>,
    pub initial: Option<RawInitial>,
    #[serde(default)]
    pub classes: Vec<RawClass>,
    pub report: Option<RawReport>,
}

/// `[report]`: how results read; nothing here changes the simulation.
#[derive(Debug, Default, Deserialize)]
pub struct RawReport {
    /// ISO 4217 code of the finance section's money, e.g. "USD".
    pub currency: Option<String>,
}

/// `[[classes]]`: a kind of patient, with what it changes where it is
/// treated. Unit-level keys apply in `units` (default: every unit where
/// they mean something).
#[derive(Debug, Default, Deserialize)]
pub struct RawClass {
    pub name: Option<String>,
    pub show: Option<f64>,
    pub priority: Option<i64>,
    pub units: Option<Vec<String>>,
    pub attendance: Option<f64>,
    pub attendance_sd: Option<f64>,
    pub dropout_weekly: Option<Vec<f64>>,
    pub stepup_weekly: Option<f64>,
    pub episode: Option<RawEpisode>,
    /// Track preferences: `{ morning = 0.2, evening = 0.8 }`.
    pub tracks: Option<BTreeMap<String, f64>>,
    /// `"preferred"`, `"first_available"` or `{ accept_others_after_days = N }`:
    /// checked in validation, for a clear problem.
    pub track_choice: Option<toml::Value>,
    pub patience: Option<RawDist>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawSimulation {
    /// A quoted "YYYY-MM-DD" string or a bare TOML date; checked in validation.
    pub start_date: Option<toml::Value>,
    pub weeks: Option<i64>,
    pub warmup_weeks: Option<i64>,
    pub trials: Option<i64>,
    pub seed: Option<i64>,
    pub fixed_inputs: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawCalendar {
    pub holidays: Option<Vec<toml::Value>>,
    pub us_federal_holidays: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawReferral {
    pub name: Option<String>,
    pub to: Option<String>,
    pub per_week: Option<f64>,
    pub weekdays: Option<Vec<f64>>,
    pub months: Option<Vec<f64>>,
    pub growth_per_year: Option<f64>,
    pub show: Option<f64>,
    pub priority: Option<i64>,
    /// The stream's one class, or `classes` = shares of several.
    pub class: Option<String>,
    pub classes: Option<BTreeMap<String, f64>>,
}

/// Both kinds' keys live in one struct so that a key of the wrong kind is a
/// clear problem ("capacity is for kind = \"beds\"") rather than "unknown key".
#[derive(Debug, Default, Deserialize)]
pub struct RawUnit {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub waitlist: Option<RawWaitlist>,
    // kind = "beds"
    pub capacity: Option<i64>,
    pub stay: Option<RawDist>,
    pub on_discharge: Option<BTreeMap<String, f64>>,
    pub handoff: Option<String>,
    // either kind
    pub relapse: Option<RawRelapse>,
    pub transfer_show: Option<f64>,
    // kind = "sessions"
    pub admission: Option<String>,
    pub cohort_weeks: Option<i64>,
    pub first_cohort: Option<toml::Value>,
    pub episode: Option<RawEpisode>,
    pub attendance: Option<f64>,
    pub attendance_sd: Option<f64>,
    pub track_choice: Option<toml::Value>,
    pub discharge_after_absences: Option<i64>,
    pub dropout_weekly: Option<Vec<f64>>,
    pub stepup_weekly: Option<f64>,
    pub stepup_to: Option<String>,
    pub on_completion: Option<BTreeMap<String, f64>>,
    pub on_stepup: Option<BTreeMap<String, f64>>,
    pub on_dropout: Option<BTreeMap<String, f64>>,
    pub on_admin_discharge: Option<BTreeMap<String, f64>>,
    pub phases: Option<Vec<RawPhase>>,
    pub tracks: Option<Vec<RawTrack>>,
    pub intake: Option<RawIntake>,
}

/// `intake = { slots = [1, 1, 1, 1, 1, 0, 0], at = "09:00", hours = 1.5,
/// role = "therapist", show = [[1, 0.72], [3, 0.41], [7, 0.38]] }`, or
/// `slots_per_person = 1` instead of `slots`: from the role's roster.
#[derive(Debug, Default, Deserialize)]
pub struct RawIntake {
    pub slots: Option<Vec<i64>>,
    pub slots_per_person: Option<i64>,
    pub at: Option<String>,
    pub hours: Option<f64>,
    pub role: Option<String>,
    /// A probability, or a list of [days waited, probability] pairs.
    pub show: Option<toml::Value>,
}

/// `relapse = { share = 0.3, after = { dist = "lognormal", mean = 120, sd = 60 },
/// to = "iop", show = 0.8, priority = 1 }`. A `class` key (patient classes)
/// is not part of the language yet.
#[derive(Debug, Default, Deserialize)]
pub struct RawRelapse {
    pub share: Option<f64>,
    pub after: Option<RawDist>,
    pub to: Option<String>,
    pub show: Option<f64>,
    pub priority: Option<i64>,
    /// The class of the new referral (default: the patient's own).
    pub class: Option<String>,
}

/// The keys of a unit's `relapse` table.
pub const RELAPSE_KEYS: &[&str] = &["share", "after", "to", "show", "priority", "class"];

#[derive(Debug, Default, Deserialize)]
pub struct RawWaitlist {
    pub capacity: Option<i64>,
    pub patience: Option<RawDist>,
    pub transfer_priority: Option<i64>,
}

/// `{ dist = "lognormal", mean = 9, sd = 4 }`: which keys a dist takes is
/// checked in validation, against [`DIST_KEYS`].
#[derive(Debug, Default, Clone, Deserialize)]
pub struct RawDist {
    pub dist: Option<String>,
    pub value: Option<f64>,
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mode: Option<f64>,
    pub sd: Option<f64>,
    pub shape: Option<f64>,
    pub scale: Option<f64>,
    pub values: Option<Vec<f64>>,
    pub weights: Option<Vec<f64>>,
}

impl RawDist {
    /// The parameter keys that were given (not `dist` itself), in [`DIST_PARAMS`] order.
    pub fn given_keys(&self) -> Vec<&'static str> {
        let present = [
            self.value.is_some(),
            self.mean.is_some(),
            self.min.is_some(),
            self.max.is_some(),
            self.mode.is_some(),
            self.sd.is_some(),
            self.shape.is_some(),
            self.scale.is_some(),
            self.values.is_some(),
            self.weights.is_some(),
        ];
        DIST_PARAMS
            .iter()
            .zip(present)
            .filter(|(_, p)| *p)
            .map(|(k, _)| *k)
            .collect()
    }
}

/// `{ weeks = 12 }`, `{ sessions = 36 }`, or a dist table in days.
#[derive(Debug, Default, Deserialize)]
pub struct RawEpisode {
    pub weeks: Option<i64>,
    pub sessions: Option<i64>,
    pub dist: Option<String>,
    pub value: Option<f64>,
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mode: Option<f64>,
    pub sd: Option<f64>,
    pub shape: Option<f64>,
    pub scale: Option<f64>,
    pub values: Option<Vec<f64>>,
    pub weights: Option<Vec<f64>>,
}

impl RawEpisode {
    /// The dist part, if any dist key was given.
    pub fn dist_part(&self) -> Option<RawDist> {
        let d = RawDist {
            dist: self.dist.clone(),
            value: self.value,
            mean: self.mean,
            min: self.min,
            max: self.max,
            mode: self.mode,
            sd: self.sd,
            shape: self.shape,
            scale: self.scale,
            values: self.values.clone(),
            weights: self.weights.clone(),
        };
        (d.dist.is_some() || !d.given_keys().is_empty()).then_some(d)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RawPhase {
    pub from_week: Option<i64>,
    pub sessions_per_week: Option<i64>,
    /// A track of the same unit the patient moves to from this phase on.
    pub track: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawTrack {
    pub name: Option<String>,
    pub days: Option<Vec<String>>,
    pub start: Option<String>,
    pub hours: Option<f64>,
    pub groups: Option<i64>,
    pub group_size: Option<i64>,
    pub room: Option<String>,
    pub share: Option<f64>,
    pub facilitators: Option<RawFacilitators>,
    /// Fewest patients a group needs to meet. Any TOML value: its type is
    /// checked in validation, so that `2.5` is a problem with the others
    /// rather than a serde error on its own.
    pub min_size: Option<toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawFacilitators {
    pub role: Option<String>,
    pub count: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawRoom {
    pub name: Option<String>,
    pub seats: Option<i64>,
    pub count: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawStaff {
    pub role: Option<String>,
    pub fte: Option<f64>,
    pub hours_per_fte: Option<f64>,
    pub shifts: Option<Vec<RawShift>>,
    pub leave_weeks: Option<f64>,
    pub vacancy: Option<f64>,
    pub caseload: Option<f64>,
    pub caseload_units: Option<Vec<String>>,
}

/// `{ days = ["mon", "tue"], start = "09:00", hours = 8, count = 2 }`.
#[derive(Debug, Default, Deserialize)]
pub struct RawShift {
    pub days: Option<Vec<String>>,
    pub start: Option<String>,
    pub hours: Option<f64>,
    pub count: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawWorkload {
    pub activity: Option<String>,
    pub role: Option<String>,
    /// A number, or for a group session a table `{ per_session_hour, extra }`
    /// ([`WORKLOAD_HOURS_KEYS`]): its type and keys are checked in validation,
    /// so that a wrong one is a clear problem rather than a serde error.
    pub hours: Option<toml::Value>,
    pub every_weeks: Option<f64>,
    pub every_weeks_by_phase: Option<Vec<f64>>,
    pub share: Option<f64>,
    pub unit: Option<String>,
    pub track: Option<String>,
}

/// The keys of a group session's `hours` table.
pub const WORKLOAD_HOURS_KEYS: &[&str] = &["per_session_hour", "extra"];

#[derive(Debug, Default, Deserialize)]
pub struct RawFinance {
    pub collection_rate: Option<f64>,
    #[serde(default)]
    pub payers: Vec<RawPayer>,
    pub intake_fee: Option<f64>,
    pub individual_fee: Option<f64>,
    pub bed_day_rates: Option<BTreeMap<String, f64>>,
    pub room_cost_per_week: Option<BTreeMap<String, f64>>,
    pub overhead_per_week: Option<f64>,
    #[serde(default)]
    pub staff: Vec<RawStaffCost>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawPayer {
    pub name: Option<String>,
    pub share: Option<f64>,
    pub per_day: Option<f64>,
    pub per_hour: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawStaffCost {
    pub role: Option<String>,
    pub salary_per_fte_year: Option<f64>,
    pub per_diem_per_hour: Option<f64>,
}

// --- [initial]: the program as it is at start_date -------------------------

/// `[initial]`: patients in care and waiting at `start_date`, listed in
/// `[[initial.patients]]` and/or a CSV file with the same columns.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct RawInitial {
    pub patients_csv: Option<String>,
    #[serde(default)]
    pub patients: Vec<RawInitialPatient>,
    /// The CSV named by `patients_csv` as (name shown in problems, text);
    /// read by the loader, which knows the scenario file's directory.
    #[serde(skip)]
    pub csv: Option<(String, String)>,
}

/// One row of `[[initial.patients]]` (or of the CSV): `count` patients of a
/// unit, in care (`week` or `admitted`) or waiting (`days_waited` or `referred`).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct RawInitialPatient {
    pub unit: Option<String>,
    pub status: Option<String>,
    pub track: Option<String>,
    pub week: Option<i64>,
    pub admitted: Option<toml::Value>,
    pub sessions_attended: Option<i64>,
    pub days_waited: Option<f64>,
    pub referred: Option<toml::Value>,
    pub priority: Option<i64>,
    pub count: Option<i64>,
}

/// The keys (and CSV columns) of one initial patient row.
pub const INITIAL_PATIENT_KEYS: &[&str] = &[
    "unit",
    "status",
    "track",
    "week",
    "admitted",
    "sessions_attended",
    "days_waited",
    "referred",
    "priority",
    "count",
];

/// Every parameter key a dist table may hold.
pub const DIST_PARAMS: [&str; 10] = [
    "value", "mean", "min", "max", "mode", "sd", "shape", "scale", "values", "weights",
];

/// Per dist name: (required keys, optional keys).
pub const DIST_KEYS: [(&str, &[&str], &[&str]); 9] = [
    ("fixed", &["value"], &[]),
    ("exponential", &["mean"], &[]),
    ("uniform", &["min", "max"], &[]),
    ("triangular", &["min", "mode", "max"], &[]),
    ("normal", &["mean", "sd"], &[]),
    ("lognormal", &["mean", "sd"], &[]),
    ("gamma", &["mean", "sd"], &[]),
    ("weibull", &["shape", "scale"], &[]),
    ("empirical", &["values"], &["weights"]),
];

/// The keys of an `episode` table.
const EPISODE_KEYS: &[&str] = &[
    "weeks", "sessions", "dist", "value", "mean", "min", "max", "mode", "sd", "shape", "scale",
    "values", "weights",
];

/// The key of a `track_choice` table.
pub const TRACK_CHOICE_KEYS: &[&str] = &["accept_others_after_days"];

const DIST_TABLE_KEYS: &[&str] = &[
    "dist", "value", "mean", "min", "max", "mode", "sd", "shape", "scale", "values", "weights",
];

/// Keys accepted per section, keyed by the section's path without indices
/// (`units.tracks`). Must match the structs above; a test checks a sample.
pub const ALLOWED_KEYS: &[(&str, &[&str])] = &[
    (
        "",
        &[
            "name",
            "description",
            "simulation",
            "calendar",
            "referrals",
            "units",
            "rooms",
            "staff",
            "workload",
            "finance",
            "initial",
            "classes",
            "report",
        ],
    ),
    ("report", &["currency"]),
    (
        "classes",
        &[
            "name",
            "show",
            "priority",
            "units",
            "attendance",
            "attendance_sd",
            "dropout_weekly",
            "stepup_weekly",
            "episode",
            "tracks",
            "track_choice",
            "patience",
        ],
    ),
    ("classes.patience", DIST_TABLE_KEYS),
    ("classes.episode", EPISODE_KEYS),
    ("classes.track_choice", TRACK_CHOICE_KEYS),
    ("initial", &["patients_csv", "patients"]),
    ("initial.patients", INITIAL_PATIENT_KEYS),
    (
        "finance",
        &[
            "collection_rate",
            "payers",
            "intake_fee",
            "individual_fee",
            "bed_day_rates",
            "room_cost_per_week",
            "overhead_per_week",
            "staff",
        ],
    ),
    ("finance.payers", &["name", "share", "per_day", "per_hour"]),
    (
        "finance.staff",
        &["role", "salary_per_fte_year", "per_diem_per_hour"],
    ),
    (
        "simulation",
        &["start_date", "weeks", "warmup_weeks", "trials", "seed"],
    ),
    ("calendar", &["holidays", "us_federal_holidays"]),
    (
        "referrals",
        &[
            "name",
            "to",
            "per_week",
            "weekdays",
            "months",
            "growth_per_year",
            "show",
            "priority",
            "class",
            "classes",
        ],
    ),
    (
        "units",
        &[
            "name",
            "kind",
            "waitlist",
            "capacity",
            "stay",
            "on_discharge",
            "handoff",
            "relapse",
            "transfer_show",
            "admission",
            "cohort_weeks",
            "first_cohort",
            "episode",
            "attendance",
            "attendance_sd",
            "track_choice",
            "discharge_after_absences",
            "dropout_weekly",
            "stepup_weekly",
            "stepup_to",
            "on_completion",
            "on_stepup",
            "on_dropout",
            "on_admin_discharge",
            "phases",
            "tracks",
            "intake",
        ],
    ),
    (
        "units.intake",
        &["slots", "slots_per_person", "at", "hours", "role", "show"],
    ),
    (
        "units.waitlist",
        &["capacity", "patience", "transfer_priority"],
    ),
    ("units.waitlist.patience", DIST_TABLE_KEYS),
    ("units.stay", DIST_TABLE_KEYS),
    ("units.relapse", RELAPSE_KEYS),
    ("units.relapse.after", DIST_TABLE_KEYS),
    ("units.episode", EPISODE_KEYS),
    ("units.track_choice", TRACK_CHOICE_KEYS),
    ("units.phases", &["from_week", "sessions_per_week", "track"]),
    (
        "units.tracks",
        &[
            "name",
            "days",
            "start",
            "hours",
            "groups",
            "group_size",
            "room",
            "share",
            "facilitators",
            "min_size",
        ],
    ),
    ("units.tracks.facilitators", &["role", "count"]),
    ("rooms", &["name", "seats", "count"]),
    (
        "staff",
        &[
            "role",
            "fte",
            "hours_per_fte",
            "shifts",
            "leave_weeks",
            "vacancy",
            "caseload",
            "caseload_units",
        ],
    ),
    ("staff.shifts", &["days", "start", "hours", "count"]),
    (
        "workload",
        &[
            "activity",
            "role",
            "hours",
            "every_weeks",
            "every_weeks_by_phase",
            "share",
            "unit",
            "track",
        ],
    ),
    ("workload.hours", WORKLOAD_HOURS_KEYS),
];

/// The allowed keys of a section, e.g. `allowed_keys("units.tracks")`.
pub fn allowed_keys(section: &str) -> Option<&'static [&'static str]> {
    ALLOWED_KEYS
        .iter()
        .find(|(s, _)| *s == section)
        .map(|(_, keys)| *keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key in the table deserializes into its struct without being ignored.
    #[test]
    fn allowed_keys_table_matches_the_structs() {
        fn ignored<T: for<'de> Deserialize<'de>>(section: &str, value: toml::Value) -> Vec<String> {
            let mut out = Vec::new();
            let _: T = serde_ignored::deserialize(value, |p| out.push(p.to_string()))
                .unwrap_or_else(|e| panic!("{section}: {e}"));
            out
        }
        fn table(keys: &[&str], value: toml::Value) -> toml::Value {
            toml::Value::Table(
                keys.iter()
                    .map(|k| (k.to_string(), value.clone()))
                    .collect(),
            )
        }
        let f = toml::Value::Float(1.0);
        let i = toml::Value::Integer(1);
        let s = toml::Value::String("x".into());
        assert!(ignored::<RawStaff>("staff", table(&["role"], s.clone())).is_empty());
        assert!(ignored::<RawRoom>("rooms", table(&["seats", "count"], i.clone())).is_empty());
        assert!(ignored::<RawDist>("units.stay", table(&DIST_PARAMS[..8], f.clone())).is_empty());
        let mut phase = table(&["from_week", "sessions_per_week"], i.clone());
        if let toml::Value::Table(t) = &mut phase {
            t.insert("track".into(), s.clone());
            let keys: Vec<&str> = t.keys().map(String::as_str).collect();
            assert_eq!(keys.len(), allowed_keys("units.phases").unwrap().len());
        }
        assert!(ignored::<RawPhase>("units.phases", phase).is_empty());
        let mut track = table(&["groups", "group_size", "min_size"], i.clone());
        if let toml::Value::Table(t) = &mut track {
            t.insert("name".into(), s.clone());
        }
        assert!(ignored::<RawTrack>("units.tracks", track).is_empty());
        assert!(ignored::<RawWaitlist>(
            "units.waitlist",
            table(&["capacity", "transfer_priority"], i)
        )
        .is_empty());
        // The relapse table: its number keys, and `to` as a name.
        assert!(
            ignored::<RawRelapse>("units.relapse", table(&["share", "show"], f.clone())).is_empty()
        );
        assert!(
            ignored::<RawRelapse>("units.relapse", table(&["to", "class"], s.clone())).is_empty()
        );
        assert_eq!(
            ignored::<RawRelapse>("units.relapse", table(&["klass"], s.clone())),
            vec!["klass".to_string()]
        );
        assert_eq!(
            ignored::<RawStaff>("staff", table(&["grups"], s)),
            vec!["grups".to_string()]
        );
        // Every section path in the table names a real section of the language.
        for (section, keys) in ALLOWED_KEYS {
            assert!(!keys.is_empty(), "{section}");
        }
    }
}
