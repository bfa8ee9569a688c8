//! The patient-level log as CSV (`docs/data.md`): `patients.csv`, one row
//! per patient per unit visit, `sessions.csv`, one row per group session
//! held, and `attendance.csv`, one row per patient expected at a session. Rows are written as the clinic reports them (a
//! [`Log`]), straight to the file: memory does not
//! grow with the rows or the trials logged.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate, NaiveDateTime};

use crate::model::log::{Attended, Log, PatientKey, Session, Visit, VisitEnd};
use crate::model::result::destination_names;
use crate::report::csv::num;
use crate::scenario::{Scenario, UnitKind};

/// The version of the log's columns, recorded in `run.json`; a change to
/// the columns or their meaning bumps it (`docs/data.md`).
pub const LOG_SCHEMA_VERSION: u32 = 2;

/// The columns of `patients.csv`.
pub const PATIENT_COLUMNS: [&str; 15] = [
    "trial",
    "patient",
    "stream",
    "unit",
    "track",
    "priority",
    "referred",
    "admitted",
    "left",
    "place_freed",
    "reason",
    "destination",
    "sessions_scheduled",
    "sessions_attended",
    "days_waited",
];

/// The columns of `sessions.csv`.
pub const SESSION_COLUMNS: [&str; 8] = [
    "trial", "start", "unit", "track", "group", "enrolled", "expected", "attended",
];

/// The columns of `attendance.csv`.
pub const ATTENDANCE_COLUMNS: [&str; 7] = [
    "trial", "patient", "unit", "track", "group", "start", "attended",
];

/// The column added to `patients.csv` when the scenario has patient
/// classes (empty for a patient of no class).
pub const CLASS_COLUMN: &str = "class";

/// The `stream` of the patients of the scenario's `[initial]` state.
pub const INITIAL_LABEL: &str = "[initial]";

/// The format of every date and time in the log: the scenario's calendar,
/// local time, to the second.
pub const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// The names and calendar the rows are written with.
#[derive(Debug, Clone)]
struct Names {
    streams: Vec<String>,
    units: Vec<String>,
    tracks: Vec<Vec<String>>,
    destinations: Vec<Vec<String>>,
    /// The patient classes; empty: no `class` column.
    classes: Vec<String>,
    /// Midnight of the first simulated day (the first warm-up day).
    origin: NaiveDateTime,
    /// The horizon, in seconds from `origin`.
    horizon: i64,
}

impl Names {
    fn new(s: &Scenario) -> Names {
        let warmup = i64::from(s.simulation.warmup_weeks) * 7;
        let day0: NaiveDate = s.simulation.start_date - Duration::days(warmup);
        Names {
            streams: s.referrals.iter().map(|r| r.name.clone()).collect(),
            units: s.units.iter().map(|u| u.name.clone()).collect(),
            tracks: s
                .units
                .iter()
                .map(|u| match &u.kind {
                    UnitKind::Sessions(su) => su.tracks.iter().map(|t| t.name.clone()).collect(),
                    UnitKind::Beds(_) => Vec::new(),
                })
                .collect(),
            destinations: s.units.iter().map(|u| destination_names(s, u)).collect(),
            classes: s.classes.iter().map(|c| c.name.clone()).collect(),
            origin: day0.and_hms_opt(0, 0, 0).unwrap_or_default(),
            horizon: i64::from(s.total_weeks()) * 7 * 86_400,
        }
    }

    fn time(&self, secs: i64) -> String {
        (self.origin + Duration::seconds(secs))
            .format(TIME_FORMAT)
            .to_string()
    }
}

/// Days between two times in seconds, to the second (six decimals).
fn days(secs: i64) -> String {
    num(secs as f64 / 86_400.0)
}

/// The log of `scenario`'s first `trials` trials, in memory: the bytes of
/// `patients.csv` and, with `attendance`, of `attendance.csv` (for tests,
/// benches and examples; a run writes its log to files as it goes).
pub fn in_memory(
    scenario: &Scenario,
    trials: u64,
    attendance: bool,
) -> anyhow::Result<(Vec<u8>, Option<Vec<u8>>)> {
    let mut log = CsvLog::new(
        scenario,
        Vec::new(),
        None,
        (PathBuf::from("patients.csv"), None),
    )?;
    if attendance {
        log = log.with_attendance(Vec::new(), PathBuf::from("attendance.csv"))?;
    }
    crate::trials::run_logged(
        scenario,
        trials,
        &std::sync::atomic::AtomicBool::new(false),
        &mut log,
        &mut |_, _, _| Ok(()),
    )?;
    let register = log.finish_attendance()?;
    let (patients, _) = log.finish()?;
    Ok((patients, register))
}

/// Writes the log of one or more trials as CSV, trial after trial
/// ([`crate::trials::run_logged`]). Write errors are kept and
/// reported by [`CsvLog::check`] and [`CsvLog::finish`].
pub struct CsvLog<W: Write> {
    names: Names,
    trial: u64,
    patients: csv::Writer<W>,
    sessions: Option<csv::Writer<W>>,
    files: (PathBuf, Option<PathBuf>),
    /// `attendance.csv`, if kept, and its file.
    attendance: Option<(csv::Writer<W>, PathBuf)>,
    error: Option<anyhow::Error>,
    visits: u64,
    held: u64,
    attendances: u64,
}

impl<W: Write> CsvLog<W> {
    /// A log of `scenario`'s trials into `patients` (the file `files.0`)
    /// and, if given, `sessions` (the file `files.1`); writes the headers.
    pub fn new(
        scenario: &Scenario,
        patients: W,
        sessions: Option<W>,
        files: (PathBuf, Option<PathBuf>),
    ) -> anyhow::Result<CsvLog<W>> {
        let mut patients = csv::Writer::from_writer(patients);
        let mut header = PATIENT_COLUMNS.to_vec();
        if !scenario.classes.is_empty() {
            header.push(CLASS_COLUMN);
        }
        patients
            .write_record(&header)
            .map_err(|e| write_error(&files.0, e))?;
        let sessions = match sessions {
            Some(w) => {
                let mut w = csv::Writer::from_writer(w);
                let file = files.1.as_deref().unwrap_or(Path::new("sessions.csv"));
                w.write_record(SESSION_COLUMNS)
                    .map_err(|e| write_error(file, e))?;
                Some(w)
            }
            None => None,
        };
        Ok(CsvLog {
            names: Names::new(scenario),
            trial: 0,
            patients,
            sessions,
            files,
            attendance: None,
            error: None,
            visits: 0,
            held: 0,
            attendances: 0,
        })
    }

    /// Also writes `attendance.csv` into `attendance` (the file `file`):
    /// a row per patient expected at a group session; writes its header.
    pub fn with_attendance(mut self, attendance: W, file: PathBuf) -> anyhow::Result<CsvLog<W>> {
        let mut w = csv::Writer::from_writer(attendance);
        w.write_record(ATTENDANCE_COLUMNS)
            .map_err(|e| write_error(&file, e))?;
        self.attendance = Some((w, file));
        Ok(self)
    }

    /// Rows of `attendance.csv` written.
    pub fn attendances(&self) -> u64 {
        self.attendances
    }

    /// Flushes `attendance.csv`, if kept, and hands back its writer.
    pub fn finish_attendance(&mut self) -> anyhow::Result<Option<W>> {
        self.check()?;
        match self.attendance.take() {
            Some((w, file)) => Ok(Some(
                w.into_inner()
                    .map_err(|e| write_error(&file, e.into_error()))?,
            )),
            None => Ok(None),
        }
    }

    /// The first write error so far, if any.
    pub fn check(&mut self) -> anyhow::Result<()> {
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Rows written: (visits, sessions).
    pub fn rows(&self) -> (u64, u64) {
        (self.visits, self.held)
    }

    /// Flushes both files and hands back their writers (and
    /// `attendance.csv`'s, if kept and not taken by
    /// [`CsvLog::finish_attendance`] before, is flushed and dropped).
    pub fn finish(mut self) -> anyhow::Result<(W, Option<W>)> {
        self.finish_attendance()?;
        let (patients_file, sessions_file) = self.files;
        let patients = self
            .patients
            .into_inner()
            .map_err(|e| write_error(&patients_file, e.into_error()))?;
        let sessions = match self.sessions {
            Some(w) => {
                let file = sessions_file.unwrap_or_else(|| PathBuf::from("sessions.csv"));
                Some(
                    w.into_inner()
                        .map_err(|e| write_error(&file, e.into_error()))?,
                )
            }
            None => None,
        };
        Ok((patients, sessions))
    }

    /// A patient's stream and name (`community-17`, `[initial]-3`).
    fn patient(&self, key: PatientKey) -> (&str, String) {
        match key.stream {
            Some(s) => {
                let name = &self.names.streams[s as usize];
                (name.as_str(), format!("{name}-{}", key.index + 1))
            }
            None => (INITIAL_LABEL, format!("{INITIAL_LABEL}-{}", key.index + 1)),
        }
    }

    fn visit_record(&self, v: &Visit) -> Vec<String> {
        let n = &self.names;
        let unit = v.unit as usize;
        let (stream, patient) = self.patient(v.patient);
        let track = v
            .track
            .and_then(|t| n.tracks[unit].get(t as usize))
            .cloned()
            .unwrap_or_default();
        let destination = v
            .destination
            .and_then(|d| n.destinations[unit].get(d as usize))
            .cloned()
            .unwrap_or_default();
        let sessions = !n.tracks[unit].is_empty();
        // Waited until admitted, until they gave up or were turned away,
        // or (still waiting) until the horizon; unknown for the initial
        // state's patients in care, and nothing for a no-show.
        let waited = match (v.referred, v.admitted, v.end) {
            (Some(r), Some(a), _) => days(a - r),
            (Some(r), None, VisitEnd::Reneged | VisitEnd::TurnedAway) => {
                days(v.left.unwrap_or(r) - r)
            }
            (Some(r), None, VisitEnd::Waiting) => days(n.horizon - r),
            _ => String::new(),
        };
        let count = |x: u32| {
            if sessions {
                x.to_string()
            } else {
                String::new()
            }
        };
        let mut record = vec![
            self.trial.to_string(),
            patient,
            stream.to_string(),
            n.units[unit].clone(),
            track,
            v.priority.to_string(),
            v.referred.map(|t| n.time(t)).unwrap_or_default(),
            v.admitted.map(|t| n.time(t)).unwrap_or_default(),
            v.left.map(|t| n.time(t)).unwrap_or_default(),
            v.freed.map(|t| n.time(t)).unwrap_or_default(),
            v.end.label().to_string(),
            destination,
            count(v.sessions_scheduled),
            count(v.sessions_attended),
            waited,
        ];
        if !n.classes.is_empty() {
            let class = usize::from(v.class).checked_sub(1);
            record.push(
                class
                    .and_then(|c| n.classes.get(c))
                    .cloned()
                    .unwrap_or_default(),
            );
        }
        record
    }
}

fn write_error(file: &Path, e: impl Into<csv::Error>) -> anyhow::Error {
    let e: csv::Error = e.into();
    let full =
        matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::StorageFull);
    let hint = if full {
        "; the disk is full: free some space, log fewer trials (--log-trials), or write elsewhere with --out"
    } else {
        ""
    };
    anyhow::anyhow!("writing {}: {e}{hint}", file.display())
}

impl<W: Write> Log for CsvLog<W> {
    const ON: bool = true;

    fn sessions(&self) -> bool {
        self.sessions.is_some()
    }

    fn attendance(&self) -> bool {
        self.attendance.is_some()
    }

    fn attended(&mut self, a: &Attended) {
        if self.error.is_some() {
            return;
        }
        let unit = a.unit as usize;
        let record = [
            self.trial.to_string(),
            self.patient(a.patient).1,
            self.names.units[unit].clone(),
            self.names.tracks[unit]
                .get(a.track as usize)
                .cloned()
                .unwrap_or_default(),
            (a.group + 1).to_string(),
            self.names.time(a.at as i64),
            u8::from(a.came).to_string(),
        ];
        if let Some((w, file)) = &mut self.attendance {
            match w.write_record(&record) {
                Ok(()) => self.attendances += 1,
                Err(e) => {
                    let file = file.clone();
                    self.error = Some(write_error(&file, e));
                }
            }
        }
    }

    fn begin_trial(&mut self, trial: u64) {
        self.trial = trial;
    }

    fn visit(&mut self, visit: &Visit) {
        if self.error.is_some() {
            return;
        }
        let record = self.visit_record(visit);
        match self.patients.write_record(&record) {
            Ok(()) => self.visits += 1,
            Err(e) => self.error = Some(write_error(&self.files.0, e)),
        }
    }

    fn session(&mut self, s: &Session) {
        if self.error.is_some() {
            return;
        }
        let n = &self.names;
        let unit = s.unit as usize;
        let record = [
            self.trial.to_string(),
            n.time(s.at as i64),
            n.units[unit].clone(),
            n.tracks[unit]
                .get(s.track as usize)
                .cloned()
                .unwrap_or_default(),
            (s.group + 1).to_string(),
            s.enrolled.to_string(),
            s.expected.to_string(),
            s.attended.to_string(),
        ];
        if let Some(w) = &mut self.sessions {
            match w.write_record(&record) {
                Ok(()) => self.held += 1,
                Err(e) => {
                    let file = self.files.1.clone().unwrap_or_default();
                    self.error = Some(write_error(&file, e));
                }
            }
        }
    }
}
