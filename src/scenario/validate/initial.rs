//! Validation of the optional `[initial]` section: the program as it is at
//! `start_date`, from `[[initial.patients]]` rows and/or the CSV named by
//! `initial.patients_csv` (same columns as the row keys).

use chrono::NaiveDate;

use super::{list_or_none, Validator};
use crate::scenario::limits::MAX_INITIAL_PATIENTS;
use crate::scenario::raw::{RawInitial, RawInitialPatient, INITIAL_PATIENT_KEYS};
use crate::scenario::types::{
    Episode, InitialInCare, InitialState, InitialWaiting, ReferralStream, Simulation, Unit,
    UnitKind,
};

/// Referral stream name reserved for the random streams of initial patients
/// (`model::clinic` keys their generators by it), so they never share draws
/// with a real stream's arrivals.
pub const INITIAL_STREAM: &str = "<initial>";

/// Where a row came from, for problem paths.
enum Origin<'a> {
    /// `initial.patients[i]`
    Toml(usize),
    /// The CSV file (as named in the scenario) and the row's line number.
    Csv(&'a str, usize),
}

impl Origin<'_> {
    fn path(&self, key: &str) -> String {
        match self {
            Origin::Toml(i) => format!("initial.patients[{i}].{key}"),
            Origin::Csv(file, line) => format!("{file} line {line}, column {key}"),
        }
    }
    fn row(&self) -> String {
        match self {
            Origin::Toml(i) => format!("initial.patients[{i}]"),
            Origin::Csv(file, line) => format!("{file} line {line}"),
        }
    }
}

impl Validator<'_> {
    pub(super) fn initial(
        &mut self,
        raw: Option<&RawInitial>,
        sim: &Simulation,
        units: &[Unit],
        referrals: &[ReferralStream],
    ) -> InitialState {
        for (i, r) in referrals.iter().enumerate() {
            if r.name == INITIAL_STREAM {
                self.push(
                    format!("referrals[{i}].name"),
                    format!("'{INITIAL_STREAM}' is reserved for the patients of [initial]; choose another name"),
                );
            }
        }
        let mut state = InitialState::default();
        let Some(raw) = raw else { return state };
        let csv_rows = match &raw.csv {
            Some((file, text)) => self.initial_csv(file, text),
            None => Vec::new(),
        };
        let mut rows: Vec<(Origin, &RawInitialPatient)> = raw
            .patients
            .iter()
            .enumerate()
            .map(|(i, r)| (Origin::Toml(i), r))
            .collect();
        if let Some((file, _)) = &raw.csv {
            rows.extend(
                csv_rows
                    .iter()
                    .map(|(line, r)| (Origin::Csv(file.as_str(), *line), r)),
            );
        }
        if rows.is_empty() {
            return state;
        }
        if sim.warmup_weeks > 0 {
            self.push(
                "simulation.warmup_weeks",
                format!(
                    "must be 0 with an [initial] state, got {}: the initial state is the program at start_date, \
                     and the simulation starts from it instead of warming up",
                    sim.warmup_weeks
                ),
            );
        }
        let mut total = 0i64;
        for (origin, row) in &rows {
            let before = (state.in_care.len(), state.waiting.len());
            self.initial_row(origin, row, sim.start_date, units, &mut state);
            let added = (state.in_care.len() - before.0 + state.waiting.len() - before.1) as i64;
            total += added;
            if total > MAX_INITIAL_PATIENTS {
                self.push(
                    origin.row(),
                    format!("more than {MAX_INITIAL_PATIENTS} initial patients in all; is a count wrong?"),
                );
                return InitialState::default();
            }
        }
        self.initial_capacity(units, &state);
        state
    }

    fn initial_row(
        &mut self,
        o: &Origin,
        r: &RawInitialPatient,
        start: NaiveDate,
        units: &[Unit],
        state: &mut InitialState,
    ) {
        let unit_names: Vec<String> = units.iter().map(|u| u.name.clone()).collect();
        let unit = match &r.unit {
            None => {
                self.push(
                    o.path("unit"),
                    "missing; the unit the patient is in or waiting for",
                );
                None
            }
            Some(name) => {
                let id = units.iter().position(|u| &u.name == name);
                if id.is_none() {
                    self.push(
                        o.path("unit"),
                        format!(
                            "no unit named '{name}'; units are: {}",
                            list_or_none(&unit_names)
                        ),
                    );
                }
                id
            }
        };
        let count = match r.count {
            None => 1,
            Some(c) => self.int(&o.path("count"), c, 1, MAX_INITIAL_PATIENTS) as usize,
        };
        let waiting = match r.status.as_deref() {
            None | Some("in_care") => false,
            Some("waiting") => true,
            Some(other) => {
                self.push(
                    o.path("status"),
                    format!("'{other}' is not a status; allowed: in_care, waiting"),
                );
                return;
            }
        };
        let wrong = |present: bool, key: &str, v: &mut Self| {
            if present {
                let (is_for, other) = if waiting {
                    ("in_care", "waiting")
                } else {
                    ("waiting", "in_care")
                };
                v.push(
                    o.path(key),
                    format!("{key} is for status = \"{is_for}\"; this row is {other}"),
                );
            }
        };
        // None: the unit or the track is wrong (already reported).
        let track = unit.and_then(|u| self.initial_track(o, r, &units[u]));
        if waiting {
            wrong(r.week.is_some(), "week", self);
            wrong(r.admitted.is_some(), "admitted", self);
            wrong(r.sessions_attended.is_some(), "sessions_attended", self);
            let days = match (r.days_waited, &r.referred) {
                (Some(_), Some(_)) => {
                    self.push(o.row(), "give days_waited or referred, not both");
                    None
                }
                (None, None) => {
                    self.push(
                        o.row(),
                        "a waiting patient needs days_waited (days on the waitlist so far) or referred (the referral date)",
                    );
                    None
                }
                (Some(d), None) => {
                    let d = self.non_negative(&o.path("days_waited"), d);
                    (d.is_finite() && d >= 0.0).then_some(d)
                }
                (None, Some(date)) => self.days_before(o, "referred", date, start),
            };
            let priority = self.priority(&o.path("priority"), r.priority.unwrap_or(1));
            if let (Some(unit), Some(track), Some(days)) = (unit, track, days) {
                state.waiting.extend(std::iter::repeat_n(
                    InitialWaiting {
                        unit,
                        track,
                        days_waited: days,
                        priority,
                    },
                    count,
                ));
            }
            return;
        }
        wrong(r.days_waited.is_some(), "days_waited", self);
        wrong(r.referred.is_some(), "referred", self);
        wrong(r.priority.is_some(), "priority", self);
        let days = match (r.week, &r.admitted) {
            (Some(_), Some(_)) => {
                self.push(o.row(), "give week or admitted, not both");
                None
            }
            (None, None) => {
                self.push(
                    o.row(),
                    "a patient in care needs week (week of stay, 1 = first week) or admitted (the admission date)",
                );
                None
            }
            (Some(w), None) => {
                let w = self.int(&o.path("week"), w, 1, 5200);
                (w >= 1).then(|| f64::from(w - 1) * 7.0)
            }
            (None, Some(date)) => self.days_before(o, "admitted", date, start),
        };
        let (Some(u), Some(track), Some(days)) = (unit, track, days) else {
            return;
        };
        let unit = &units[u];
        let mut sessions_attended = None;
        match &unit.kind {
            UnitKind::Sessions(su) => {
                if let Episode::Weeks(w) = su.episode {
                    if days >= f64::from(w) * 7.0 {
                        let key = if r.week.is_some() { "week" } else { "admitted" };
                        self.push(
                            o.path(key),
                            format!(
                                "{} days in care by start_date is past the {w}-week episode of '{}' \
                                 (the patient would have completed); the last week of stay is {w}",
                                days, unit.name
                            ),
                        );
                    }
                }
                if let Some(s) = r.sessions_attended {
                    match su.episode {
                        Episode::Sessions(k) => {
                            let s = self.int(
                                &o.path("sessions_attended"),
                                s,
                                0,
                                i64::from(k) - 1,
                            );
                            sessions_attended = Some(s);
                        }
                        _ => self.push(
                            o.path("sessions_attended"),
                            format!(
                                "only used when the episode is counted in sessions (episode = {{ sessions = N }}); '{}' counts its episode otherwise",
                                unit.name
                            ),
                        ),
                    }
                }
            }
            UnitKind::Beds(_) => {
                if r.sessions_attended.is_some() {
                    self.push(
                        o.path("sessions_attended"),
                        "sessions_attended is for sessions units",
                    );
                }
            }
        }
        let track = track.unwrap_or(0);
        state.in_care.extend(std::iter::repeat_n(
            InitialInCare {
                unit: u,
                track,
                days_in_care: days,
                sessions_attended,
            },
            count,
        ));
    }

    /// The row's track: `Some(None)` when none is given and none is needed
    /// (a one-track unit, a beds unit, or a waiting patient whose track is
    /// drawn); `None` after a problem.
    fn initial_track(
        &mut self,
        o: &Origin,
        r: &RawInitialPatient,
        unit: &Unit,
    ) -> Option<Option<usize>> {
        let waiting = r.status.as_deref() == Some("waiting");
        match (&unit.kind, &r.track) {
            (UnitKind::Beds(_), None) => Some(None),
            (UnitKind::Beds(_), Some(_)) => {
                self.push(
                    o.path("track"),
                    format!(
                        "'{}' is a beds unit; tracks are for sessions units",
                        unit.name
                    ),
                );
                None
            }
            (UnitKind::Sessions(su), None) => {
                if su.tracks.len() == 1 {
                    Some(Some(0))
                } else if waiting {
                    Some(None)
                } else {
                    let names: Vec<String> = su.tracks.iter().map(|t| t.name.clone()).collect();
                    self.push(
                        o.path("track"),
                        format!(
                            "missing; '{}' has several tracks, so say which one the patient is in: {}",
                            unit.name,
                            names.join(", ")
                        ),
                    );
                    None
                }
            }
            (UnitKind::Sessions(su), Some(name)) => {
                match su.tracks.iter().position(|t| &t.name == name) {
                    Some(t) => Some(Some(t)),
                    None => {
                        let names: Vec<String> = su.tracks.iter().map(|t| t.name.clone()).collect();
                        self.push(
                            o.path("track"),
                            format!(
                                "no track named '{name}' in '{}'; tracks are: {}",
                                unit.name,
                                list_or_none(&names)
                            ),
                        );
                        None
                    }
                }
            }
        }
    }

    /// Days from `date` to `start` (a date on or before `start_date`).
    fn days_before(
        &mut self,
        o: &Origin,
        key: &str,
        date: &toml::Value,
        start: NaiveDate,
    ) -> Option<f64> {
        let d = self.date(&o.path(key), date)?;
        let days = (start - d).num_days();
        if days < 0 {
            self.push(
                o.path(key),
                format!("{d} is after start_date ({start}); the initial state is the program at start_date"),
            );
            return None;
        }
        Some(days as f64)
    }

    /// Patients in care must fit the seats of their track (beds of their unit).
    fn initial_capacity(&mut self, units: &[Unit], state: &InitialState) {
        for (u, unit) in units.iter().enumerate() {
            let tracks: Vec<(String, u64, String)> = match &unit.kind {
                UnitKind::Beds(b) => vec![(
                    String::new(),
                    u64::from(b.capacity),
                    format!("{} beds", b.capacity),
                )],
                UnitKind::Sessions(su) => su
                    .tracks
                    .iter()
                    .map(|t| {
                        (
                            format!(" track '{}'", t.name),
                            u64::from(t.groups) * u64::from(t.group_size),
                            format!(
                                "{} seats: {} group{} of {}",
                                u64::from(t.groups) * u64::from(t.group_size),
                                t.groups,
                                if t.groups == 1 { "" } else { "s" },
                                t.group_size
                            ),
                        )
                    })
                    .collect(),
            };
            for (t, (label, seats, what)) in tracks.iter().enumerate() {
                let n = state
                    .in_care
                    .iter()
                    .filter(|p| p.unit == u && p.track == t)
                    .count() as u64;
                if n > *seats {
                    self.push(
                        "initial",
                        format!(
                            "{n} patients in care in '{}'{label}, which has {what}",
                            unit.name
                        ),
                    );
                }
            }
        }
    }

    /// Rows of the CSV as raw rows (with their line numbers); cells that are
    /// not numbers where numbers belong become problems.
    fn initial_csv(&mut self, file: &str, text: &str) -> Vec<(usize, RawInitialPatient)> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(|s| s.to_ascii_lowercase()).collect(),
            Err(e) => {
                self.push(
                    format!("{file} line 1"),
                    format!("cannot read the header: {e}"),
                );
                return Vec::new();
            }
        };
        let mut bad = false;
        for (i, h) in headers.iter().enumerate() {
            if !INITIAL_PATIENT_KEYS.contains(&h.as_str()) {
                self.push(
                    format!("{file} line 1"),
                    format!(
                        "unknown column '{h}' (column {}); allowed: {} (remove other columns, and never export names or record numbers)",
                        i + 1,
                        INITIAL_PATIENT_KEYS.join(", ")
                    ),
                );
                bad = true;
            }
            if headers[..i].contains(h) {
                self.push(
                    format!("{file} line 1"),
                    format!("column '{h}' appears twice"),
                );
                bad = true;
            }
        }
        if !headers.iter().any(|h| h == "unit") {
            self.push(format!("{file} line 1"), "no 'unit' column; the header must name the columns, e.g. unit,status,track,week,days_waited");
            bad = true;
        }
        if bad {
            return Vec::new();
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line() as usize);
                    self.push(format!("{file} line {line}"), format!("{e}"));
                    continue;
                }
            };
            let line = record.position().map_or(0, |p| p.line() as usize);
            if record.iter().all(str::is_empty) {
                continue;
            }
            let o = Origin::Csv(file, line);
            let mut row = RawInitialPatient::default();
            let problems_before = self.problems.len();
            for (h, cell) in headers.iter().zip(record.iter()) {
                if cell.is_empty() {
                    continue;
                }
                let int = |v: &mut Self| match cell.parse::<i64>() {
                    Ok(x) => Some(x),
                    Err(_) => {
                        v.push(o.path(h), format!("'{cell}' is not a whole number"));
                        None
                    }
                };
                match h.as_str() {
                    "unit" => row.unit = Some(cell.to_string()),
                    "status" => row.status = Some(cell.to_string()),
                    "track" => row.track = Some(cell.to_string()),
                    "week" => row.week = int(self),
                    "sessions_attended" => row.sessions_attended = int(self),
                    "priority" => row.priority = int(self),
                    "count" => row.count = int(self),
                    "admitted" => row.admitted = Some(toml::Value::String(cell.to_string())),
                    "referred" => row.referred = Some(toml::Value::String(cell.to_string())),
                    "days_waited" => match cell.parse::<f64>() {
                        Ok(x) => row.days_waited = Some(x),
                        Err(_) => self.push(o.path(h), format!("'{cell}' is not a number")),
                    },
                    _ => {}
                }
            }
            // A row with an unreadable cell is reported once, not again as incomplete.
            if self.problems.len() == problems_before {
                rows.push((line, row));
            }
        }
        rows
    }
}
