//! Raw serde structs -> the typed [`Scenario`], in one pass that records every
//! problem with its key path instead of stopping at the first.
//!
//! When a value is wrong a placeholder stands in so the pass can go on; the
//! caller discards the result whenever any problem was recorded, so no
//! placeholder ever reaches the simulation.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::error::Problem;
use super::limits::*;
use super::raw::*;
use super::types::*;
use crate::model::calendar::Calendar as Days;
use crate::model::capacity::{self, sig3};
use crate::model::dist::{Dist, DistSpec, DIST_NAMES};
use crate::model::program::expected_referrals;

mod classes;
mod finance;
mod initial;
mod staff;

pub use initial::INITIAL_STREAM;

/// Tolerance for track shares summing to 1.
const SHARE_SUM_TOL: f64 = 1e-6;
/// Tolerance for routing shares summing to at most 1.
const ROUTING_SUM_TOL: f64 = 1e-9;
/// Exit label of `stepup_to` when none is given.
pub const DEFAULT_STEPUP_EXIT: &str = "stepped_up";

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];
const WEEKDAY_NAMES: &str = "mon, tue, wed, thu, fri, sat, sun";

/// Validates `raw`, appending every problem to `problems`. The returned
/// scenario is meaningful only if no problem was added; `resolved_toml` is
/// left empty for the caller to fill.
pub fn validate(raw: &RawScenario, problems: &mut Vec<Problem>) -> Scenario {
    let mut v = Validator { problems };
    v.scenario(raw)
}

/// The whole run's expected work, checked once the scenario is valid (it
/// cannot be estimated from placeholders): at most
/// [`MAX_EXPECTED_EVENTS_PER_TRIAL`] events a trial.
pub fn work(s: &Scenario, problems: &mut Vec<Problem>) {
    let w = capacity::work(s);
    if w.events.is_nan() || w.events > MAX_EXPECTED_EVENTS_PER_TRIAL {
        problems.push(Problem::new(
            "simulation.weeks",
            format!(
                "a trial of {} weeks (with warm-up) is expected to take about {} events ({} referrals, their admissions, weeks in care and session times); at most {} events a trial are simulated: shorten the horizon, or lower the demand or the capacity",
                s.total_weeks(),
                sig3(w.events),
                sig3(w.referrals),
                sig3(MAX_EXPECTED_EVENTS_PER_TRIAL)
            ),
        ));
    }
}

/// Every result must have a name of its own: a track may not be named
/// like one of its unit's metrics (`iop.census.census` beside
/// `iop.census`), and no two results may end up with the same metric name
/// (a destination and a track, a unit and a stream...). Checked once the
/// scenario is valid, on the names the results will carry.
pub fn metric_names(s: &Scenario, problems: &mut Vec<Problem>) {
    let words: Vec<&str> = crate::model::result::unit_metric_words().collect();
    for (i, u) in s.units.iter().enumerate() {
        if let UnitKind::Sessions(su) = &u.kind {
            for (j, t) in su.tracks.iter().enumerate() {
                if words.contains(&t.name.as_str()) {
                    problems.push(Problem::new(
                        format!("units[{i}].tracks[{j}].name"),
                        format!(
                            "'{}' is the name of a unit metric ('{}.{}'), so the track's results \
                             ('{}.{}.census', ...) would read ambiguously; rename the track. \
                             Names a track cannot take: {}",
                            t.name,
                            u.name,
                            t.name,
                            u.name,
                            t.name,
                            words.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    let mut seen: HashMap<String, String> = HashMap::new();
    for (name, key) in crate::model::result::summary_names_keyed(s) {
        match seen.get(&name) {
            Some(first) if *first != key => problems.push(Problem::new(
                key.clone(),
                format!(
                    "the metric name '{name}' would be given to two results, from this name and \
                     from {first}; rename one of them"
                ),
            )),
            Some(_) => problems.push(Problem::new(
                key.clone(),
                format!(
                    "the metric name '{name}' would be given to two results of this name; \
                     rename it"
                ),
            )),
            None => {
                seen.insert(name, key);
            }
        }
    }
}

/// Stays that end at the instant they begin (below half a second, which
/// the clock rounds to 0), routed from unit to unit, must come to an end:
/// at most [`MAX_INSTANT_STAYS`] expected a patient. `N[u] = 1 + sum_v
/// M[u][v] N[v]`, with `M[u][v]` the chance that a stay in `u` is instant
/// and then routed to `v`, is solved exactly; a cycle the patients cannot
/// leave makes it singular (infinitely many stays at one instant).
pub fn instant_stays(s: &Scenario, problems: &mut Vec<Problem>) {
    const HALF_SECOND_DAYS: f64 = 0.5 / 86_400.0;
    let n = s.units.len();
    // Only beds and continuously admitting session units with episodes in
    // days can admit and discharge at one instant; others wait for a
    // session or a whole week.
    let instant: Vec<f64> = s
        .units
        .iter()
        .map(|u| match &u.kind {
            UnitKind::Beds(b) => b.stay.prob_below(HALF_SECOND_DAYS),
            UnitKind::Sessions(su) => match (&su.admission, &su.episode) {
                (Admission::Continuous, Episode::Days(d)) => d.prob_below(HALF_SECOND_DAYS),
                _ => 0.0,
            },
        })
        .collect();
    if instant.iter().all(|&p| p == 0.0) {
        return;
    }
    fn routing(u: &Unit) -> &Routing {
        match &u.kind {
            UnitKind::Beds(b) => &b.on_discharge,
            UnitKind::Sessions(su) => &su.on_completion,
        }
    }
    // (I - M) N = 1, by Gaussian elimination with partial pivoting.
    let mut a = vec![vec![0.0; n + 1]; n];
    for (i, u) in s.units.iter().enumerate() {
        a[i][i] = 1.0;
        a[i][n] = 1.0;
        for (dest, share) in &routing(u).shares {
            if let Destination::Unit(v) = dest {
                a[i][*v] -= instant[i] * share;
            }
        }
        // An instant stay whose patient goes home and relapses at once.
        if let Some(r) = &u.relapse {
            let home = 1.0 - routing(u).shares.iter().map(|(_, p)| p).sum::<f64>();
            let now = r.after.prob_below(HALF_SECOND_DAYS);
            if home > ROUTING_SUM_TOL && r.to < n {
                a[i][r.to] -= instant[i] * home * r.share * r.show * now;
            }
        }
    }
    let mut singular = false;
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))
            .unwrap_or(col);
        if a[pivot][col].abs() < 1e-12 {
            singular = true;
            break;
        }
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for (row, r) in a.iter_mut().enumerate() {
            let f = r[col] / pivot_row[col];
            if row != col && f != 0.0 {
                for (x, p) in r[col..].iter_mut().zip(&pivot_row[col..]) {
                    *x -= f * p;
                }
            }
        }
    }
    let stays: Vec<f64> = (0..n)
        .map(|i| {
            if singular {
                f64::INFINITY
            } else {
                a[i][n] / a[i][i]
            }
        })
        .collect();
    // The first unit with the most (`max_by` keeps the last of equals).
    let worst = (0..n)
        .rev()
        .filter(|&i| instant[i] > 0.0)
        .max_by(|&x, &y| stays[x].total_cmp(&stays[y]));
    let Some(i) = worst else { return };
    let expected = stays[i];
    if expected.is_finite() && (0.0..=MAX_INSTANT_STAYS).contains(&expected) {
        return;
    }
    let cycle: Vec<&str> = (0..n)
        .filter(|&u| instant[u] > 0.0 && (stays[u].is_nan() || stays[u] > MAX_INSTANT_STAYS))
        .map(|u| s.units[u].name.as_str())
        .collect();
    let key = match &s.units[i].kind {
        UnitKind::Beds(_) => format!("units[{i}].stay"),
        UnitKind::Sessions(_) => format!("units[{i}].episode"),
    };
    let how_many = if expected.is_finite() && expected > 0.0 {
        format!("about {} times", sig3(expected))
    } else {
        "forever".to_string()
    };
    problems.push(Problem::new(
        key,
        format!(
            "stays in {} end at the instant they begin (below half a second) and route patients round a cycle (through {}) that they pass {how_many} at one instant, so the clock never moves; at most {} such stays are allowed: give a stay a length, or the cycle an exit",
            s.units[i].name,
            cycle.join(", "),
            sig3(MAX_INSTANT_STAYS)
        ),
    ));
}

/// The routing maps of a unit's exits that can happen (a chance above 0),
/// each with the chance that it is used: beds, `on_discharge`; sessions,
/// `on_completion` always, `on_dropout` with a dropout hazard,
/// `on_admin_discharge` with absences that discharge and attendance below 1,
/// and the step-up's (`on_stepup`, or `stepup_to` as one share of 1) with a
/// step-up hazard.
fn exit_routes(u: &Unit) -> Vec<(Vec<(&Destination, f64)>, bool)> {
    fn map(r: &Routing) -> Vec<(&Destination, f64)> {
        r.shares.iter().map(|(d, p)| (d, *p)).collect()
    }
    match &u.kind {
        UnitKind::Beds(b) => vec![(map(&b.on_discharge), true)],
        UnitKind::Sessions(su) => {
            let mut routes = vec![(map(&su.on_completion), true)];
            if su.dropout_weekly.iter().any(|&h| h > 0.0) {
                routes.push((map(&su.on_dropout), true));
            }
            if su.discharge_after_absences > 0 && su.attendance < 1.0 {
                routes.push((map(&su.on_admin_discharge), true));
            }
            if su.stepup_weekly > 0.0 {
                match &su.on_stepup {
                    Some(r) => routes.push((map(r), false)),
                    None => routes.push((vec![(&su.stepup_to, 1.0)], false)),
                }
            }
            routes
        }
    }
}

/// The largest share of a unit's leavers that go home by one of its exits
/// that can happen (0 if none goes home).
fn home_share(u: &Unit) -> f64 {
    exit_routes(u)
        .iter()
        .filter(|(_, has_home)| *has_home)
        .map(|(shares, _)| 1.0 - shares.iter().map(|(_, p)| p).sum::<f64>())
        .fold(0.0, f64::max)
}

/// Units a patient can never leave the system from, on the graph whose
/// edges are the transfers and relapses with a chance above 0. A unit has
/// an exit of its own when, with a chance above 0, a patient there can
/// leave: an exit label of a routing map of an exit that can happen, home
/// without a relapse or with a relapse share below 1, a relapse whose
/// `show` is below 1, a transfer to a unit whose `transfer_show` is below
/// 1, or, on the way in, a waitlist with `patience` or a `capacity` (they
/// can give up or be turned away) or an intake. A unit is trapped if no
/// path of edges leads from it to a unit with an exit.
fn trapped_units(units: &[Unit]) -> Vec<bool> {
    let n = units.len();
    let mut exits = vec![false; n];
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, u) in units.iter().enumerate() {
        let w = &u.waitlist;
        let intake = matches!(&u.kind, UnitKind::Sessions(su) if su.intake.is_some());
        if w.patience.is_some() || w.capacity.is_some() || intake {
            exits[i] = true;
        }
        for (shares, has_home) in exit_routes(u) {
            for (d, p) in &shares {
                if *p <= 0.0 {
                    continue;
                }
                match d {
                    Destination::Exit(_) => exits[i] = true,
                    Destination::Unit(v) if *v < n => {
                        edges[i].push(*v);
                        if units[*v].transfer_show < 1.0 {
                            exits[i] = true;
                        }
                    }
                    Destination::Unit(_) => {}
                }
            }
            let home = 1.0 - shares.iter().map(|(_, p)| p).sum::<f64>();
            if has_home && home > ROUTING_SUM_TOL {
                match &u.relapse {
                    Some(r) if r.share > 0.0 => {
                        if r.share < 1.0 || r.show < 1.0 {
                            exits[i] = true;
                        }
                        if r.to < n {
                            edges[i].push(r.to);
                        }
                    }
                    _ => exits[i] = true,
                }
            }
        }
    }
    // Units that reach an exit: backwards from those with one.
    let mut reaches = exits;
    loop {
        let mut changed = false;
        for i in 0..n {
            if !reaches[i] && edges[i].iter().any(|&v| reaches[v]) {
                reaches[i] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    reaches.iter().map(|r| !r).collect()
}

struct Validator<'a> {
    problems: &'a mut Vec<Problem>,
}

/// Joins a key onto a path: `at("units[0]", "name")` = `units[0].name`.
fn at(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "(none)".to_string()
    } else {
        names.join(", ")
    }
}

fn placeholder_dist() -> Dist {
    Dist::new(DistSpec::Fixed { value: 0.0 }).expect("a constant, valid spec")
}

/// Names defined in the file, for resolving references.
struct Names {
    units: Vec<String>,
    unit_kinds: Vec<Option<String>>,
    rooms: Vec<String>,
    roles: Vec<String>,
    /// Per unit, its tracks' names as written (for a phase's `track`).
    unit_tracks: Vec<Vec<String>>,
}

impl Names {
    fn unit(&self, name: &str) -> Option<UnitId> {
        self.units.iter().position(|u| u == name)
    }
}

impl Validator<'_> {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem::new(path, message));
    }

    fn required<T: Clone>(&mut self, path: &str, value: &Option<T>, hint: &str) -> Option<T> {
        if value.is_none() {
            self.push(
                path,
                if hint.is_empty() {
                    "missing".to_string()
                } else {
                    format!("missing; {hint}")
                },
            );
        }
        value.clone()
    }

    fn finite(&mut self, path: &str, x: f64) -> bool {
        if x.is_finite() {
            true
        } else {
            self.push(path, format!("must be a finite number, got {x}"));
            false
        }
    }

    fn probability(&mut self, path: &str, x: f64) -> f64 {
        if self.finite(path, x) && !(0.0..=1.0).contains(&x) {
            self.push(
                path,
                format!("must be a probability in [0, 1], got {}", num(x)),
            );
        }
        x
    }

    fn non_negative(&mut self, path: &str, x: f64) -> f64 {
        if self.finite(path, x) && x < 0.0 {
            self.push(path, format!("must be >= 0, got {}", num(x)));
        }
        x
    }

    fn positive(&mut self, path: &str, x: f64) -> f64 {
        if self.finite(path, x) && x <= 0.0 {
            self.push(path, format!("must be > 0, got {}", num(x)));
        }
        x
    }

    /// An integer in `[min, max]`, converted to `u32` (0 on failure).
    fn int(&mut self, path: &str, x: i64, min: i64, max: i64) -> u32 {
        if x < min {
            self.push(path, format!("must be an integer >= {min}, got {x}"));
            0
        } else if x > max {
            self.push(path, format!("must be an integer <= {max}, got {x}"));
            0
        } else {
            u32::try_from(x).unwrap_or(0)
        }
    }

    /// At most `max` entries in a list: more would cost memory or time out
    /// of proportion to any real program (`limits`).
    fn at_most(&mut self, path: &str, n: usize, max: usize, what: &str, why: &str) {
        if n > max {
            self.push(
                path,
                format!("{n} {what}; at most {max} are allowed ({why})"),
            );
        }
    }

    fn priority(&mut self, path: &str, x: i64) -> u8 {
        self.int(path, x, 0, 255) as u8
    }

    fn non_empty_name(&mut self, path: &str, name: &Option<String>) -> String {
        match name {
            None => {
                self.push(path, "missing");
                String::new()
            }
            Some(n) if n.trim().is_empty() => {
                self.push(path, "must not be empty");
                String::new()
            }
            Some(n) if n.chars().any(char::is_control) => {
                self.push(
                    path,
                    format!(
                        "'{n}' contains a control character; names are printed and written to CSV files, so use visible characters only"
                    ),
                );
                n.clone()
            }
            Some(n) => n.clone(),
        }
    }

    /// Reports names used twice within one list.
    fn unique(&mut self, section: &str, key: &str, names: &[String]) {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, n) in names.iter().enumerate() {
            if n.is_empty() {
                continue;
            }
            if let Some(first) = seen.insert(n, i) {
                self.push(
                    format!("{section}[{i}].{key}"),
                    format!("'{n}' is already used by {section}[{first}]; {key}s must be unique"),
                );
            }
        }
    }

    fn date(&mut self, path: &str, value: &toml::Value) -> Option<NaiveDate> {
        let bad =
            |shown: String| format!("{shown} is not a date; write YYYY-MM-DD, e.g. \"2027-01-04\"");
        match value {
            toml::Value::String(s) => {
                let ok = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
                match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                    Ok(d) if ok => Some(d),
                    _ => {
                        self.push(path, bad(format!("'{s}'")));
                        None
                    }
                }
            }
            toml::Value::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
                (Some(d), None, None) => {
                    let date = NaiveDate::from_ymd_opt(
                        i32::from(d.year),
                        u32::from(d.month),
                        u32::from(d.day),
                    );
                    if date.is_none() {
                        self.push(path, bad(dt.to_string()));
                    }
                    date
                }
                _ => {
                    self.push(
                        path,
                        format!("{dt} has a time of day; give only the date, YYYY-MM-DD"),
                    );
                    None
                }
            },
            other => {
                self.push(path, bad(other.to_string()));
                None
            }
        }
    }

    // --- the sections, in file order -------------------------------------

    fn scenario(&mut self, raw: &RawScenario) -> Scenario {
        let name = self.scenario_name(&raw.name);
        let simulation = self.simulation(&raw.simulation);
        self.at_most(
            "units",
            raw.units.len(),
            MAX_UNITS,
            "units",
            "each adds weekly columns to every trial and about ten files to the results",
        );
        self.at_most(
            "referrals",
            raw.referrals.len(),
            MAX_REFERRAL_STREAMS,
            "referral streams",
            "the event queue scans every stream's next arrival",
        );

        let units: Vec<String> = raw
            .units
            .iter()
            .enumerate()
            .map(|(i, u)| self.non_empty_name(&format!("units[{i}].name"), &u.name))
            .collect();
        let rooms: Vec<String> = raw
            .rooms
            .iter()
            .enumerate()
            .map(|(i, r)| self.non_empty_name(&format!("rooms[{i}].name"), &r.name))
            .collect();
        let roles: Vec<String> = raw
            .staff
            .iter()
            .enumerate()
            .map(|(i, s)| self.non_empty_name(&format!("staff[{i}].role"), &s.role))
            .collect();
        self.unique("units", "name", &units);
        self.unique("rooms", "name", &rooms);
        self.unique("staff", "role", &roles);
        let names = Names {
            unit_kinds: raw.units.iter().map(|u| u.kind.clone()).collect(),
            unit_tracks: raw
                .units
                .iter()
                .map(|u| {
                    u.tracks
                        .iter()
                        .flatten()
                        .filter_map(|t| t.name.clone())
                        .collect()
                })
                .collect(),
            units,
            rooms,
            roles,
        };

        let calendar = self.calendar(&raw.calendar, &simulation);
        let referral_names: Vec<String> = raw
            .referrals
            .iter()
            .enumerate()
            .map(|(i, r)| self.non_empty_name(&format!("referrals[{i}].name"), &r.name))
            .collect();
        self.unique("referrals", "name", &referral_names);
        let mut referrals: Vec<ReferralStream> = raw
            .referrals
            .iter()
            .zip(referral_names)
            .enumerate()
            .map(|(i, (r, name))| self.referral(&format!("referrals[{i}]"), r, name, &names))
            .collect();
        self.referral_volume(&referrals, &simulation);

        if raw.units.is_empty() {
            self.push("units", "no units; define at least one [[units]] table");
        }
        let before_units = self.problems.len();
        let mut units: Vec<Unit> = raw
            .units
            .iter()
            .enumerate()
            .map(|(i, u)| self.unit(i, u, &names))
            .collect();
        self.track_count(&units);
        // On units without placeholders only: a loop through a misspelt
        // unit name would be a guess.
        if self.problems.len() == before_units {
            self.relapse_loops(&units);
        }
        let classes = self.classes(&raw.classes, &names, &units);
        self.referral_classes(&raw.referrals, &mut referrals, &classes);
        self.relapse_classes(&raw.units, &mut units, &classes);
        let rooms: Vec<Room> = raw
            .rooms
            .iter()
            .zip(&names.rooms)
            .enumerate()
            .map(|(i, (r, name))| self.room(&format!("rooms[{i}]"), r, name.clone()))
            .collect();
        self.room_fit(&units, &rooms);
        self.room_bookings(&units, &rooms);
        let staff = raw
            .staff
            .iter()
            .zip(&names.roles)
            .enumerate()
            .map(|(i, (s, role))| self.staff(&format!("staff[{i}]"), s, role.clone(), &names))
            .collect::<Vec<Staff>>();
        self.staff_fit(&staff, &units);
        let workload = raw
            .workload
            .iter()
            .enumerate()
            .map(|(i, w)| self.workload(&format!("workload[{i}]"), w, &names, &units))
            .collect();
        let finance = raw.finance.as_ref().map(|f| self.finance(f, &names));
        let initial = self.initial(raw.initial.as_ref(), &simulation, &units, &referrals);
        let report = self.report(raw.report.as_ref(), finance.is_some());

        Scenario {
            name,
            description: raw.description.clone().unwrap_or_default(),
            simulation,
            calendar,
            referrals,
            units,
            rooms,
            staff,
            workload,
            finance,
            initial,
            classes,
            report,
            resolved_toml: String::new(),
            overrides: Vec::new(),
            inputs: Default::default(),
        }
    }

    /// `[report]`: a currency is an ISO 4217 code, and means something only
    /// with a `[finance]` section.
    fn report(&mut self, raw: Option<&RawReport>, has_finance: bool) -> ReportOptions {
        let Some(raw) = raw else {
            return ReportOptions::default();
        };
        let currency = raw.currency.as_ref().and_then(|c| {
            if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase()) {
                if !has_finance {
                    self.push(
                        "report.currency",
                        "a currency needs a [finance] section to apply to; remove it or add the section",
                    );
                }
                Some(c.clone())
            } else {
                self.push(
                    "report.currency",
                    format!(
                        "'{c}' is not a currency code: give the three capital letters of ISO 4217, e.g. \"USD\", \"EUR\", \"GBP\""
                    ),
                );
                None
            }
        });
        ReportOptions { currency }
    }

    fn scenario_name(&mut self, name: &Option<String>) -> String {
        let Some(name) = self.required(
            "name",
            name,
            "give the scenario a name, e.g. name = \"midsize-adult-iop\"",
        ) else {
            return String::new();
        };
        let mut chars = name.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !(first_ok && rest_ok) {
            self.push(
                "name",
                format!(
                    "'{name}' is not a safe name (it names the output directory): use only letters, digits, \
                     '.', '_' and '-', starting with a letter or digit; no slashes or spaces"
                ),
            );
        }
        name
    }

    fn simulation(&mut self, raw: &Option<RawSimulation>) -> Simulation {
        let mut sim = Simulation {
            start_date: NaiveDate::from_ymd_opt(2000, 1, 3).expect("a valid constant date"),
            weeks: 1,
            warmup_weeks: 0,
            trials: 1000,
            seed: 1,
            fixed_inputs: false,
        };
        let Some(raw) = raw else {
            self.push(
                "simulation",
                "missing; add a [simulation] table with at least start_date and weeks",
            );
            return sim;
        };
        if let Some(d) = self.required(
            "simulation.start_date",
            &raw.start_date,
            "the first reported day, YYYY-MM-DD",
        ) {
            if let Some(d) = self.date("simulation.start_date", &d) {
                sim.start_date = d;
            }
        }
        let weeks = self.required(
            "simulation.weeks",
            &raw.weeks,
            "the reported horizon in weeks, e.g. weeks = 52",
        );
        if let Some(w) = weeks {
            sim.weeks = self.int("simulation.weeks", w, 1, MAX_TOTAL_WEEKS);
        }
        sim.fixed_inputs = raw.fixed_inputs.unwrap_or(false);
        let warmup = raw.warmup_weeks.unwrap_or(0);
        sim.warmup_weeks = self.int("simulation.warmup_weeks", warmup, 0, MAX_TOTAL_WEEKS);
        if let Some(w) = weeks {
            if (1..=MAX_TOTAL_WEEKS).contains(&w)
                && (0..=MAX_TOTAL_WEEKS).contains(&warmup)
                && w + warmup > MAX_TOTAL_WEEKS
            {
                self.push(
                    "simulation.weeks",
                    format!(
                        "weeks + warmup_weeks = {} is more than {MAX_TOTAL_WEEKS} weeks (100 years); shorten the horizon",
                        w + warmup
                    ),
                );
            }
        }
        sim.trials = self.int(
            "simulation.trials",
            raw.trials.unwrap_or(1000),
            1,
            i64::from(u32::MAX),
        );
        let seed = raw.seed.unwrap_or(1);
        if seed < 0 {
            self.push(
                "simulation.seed",
                format!("must be an integer >= 0, got {seed}"),
            );
        }
        sim.seed = seed.max(0) as u64;
        sim
    }

    fn calendar(&mut self, raw: &Option<RawCalendar>, sim: &Simulation) -> Calendar {
        let Some(raw) = raw else {
            return Calendar::default();
        };
        let listed = raw.holidays.as_ref().map_or(0, Vec::len);
        self.at_most(
            "calendar.holidays",
            listed,
            MAX_HOLIDAYS,
            "holidays",
            "more than one for every day of the longest horizon",
        );
        let mut holidays: Vec<NaiveDate> = raw
            .holidays
            .iter()
            .flatten()
            .take(MAX_HOLIDAYS)
            .enumerate()
            .filter_map(|(i, d)| self.date(&format!("calendar.holidays[{i}]"), d))
            .collect();
        let federal = raw.us_federal_holidays.unwrap_or(false);
        if federal {
            let first = sim.start_date - Duration::weeks(i64::from(sim.warmup_weeks));
            let end = sim.start_date + Duration::weeks(i64::from(sim.weeks));
            for year in first.year()..=end.year() + 1 {
                holidays.extend(
                    us_federal_holidays(year)
                        .into_iter()
                        .filter(|d| *d >= first && *d < end),
                );
            }
        }
        holidays.sort();
        holidays.dedup();
        Calendar {
            holidays,
            us_federal_holidays: federal,
        }
    }

    fn referral(
        &mut self,
        path: &str,
        r: &RawReferral,
        name: String,
        names: &Names,
    ) -> ReferralStream {
        let to = match self.required(
            &at(path, "to"),
            &r.to,
            "the name of the unit the referrals go to",
        ) {
            Some(to) => self.unit_ref(&at(path, "to"), &to, names),
            None => 0,
        };
        let per_week = match self.required(
            &at(path, "per_week"),
            &r.per_week,
            "mean referrals per week",
        ) {
            Some(x) => self.non_negative(&at(path, "per_week"), x),
            None => 0.0,
        };
        let weekdays = self.weights::<7>(&at(path, "weekdays"), &r.weekdays, "Mon..Sun");
        // The simulation divides by the weights' sum: it must be a finite
        // number > 0, not just each weight.
        // The simulation divides by the weights' sum (`weight x 7 / sum`):
        // that must be a finite number for every day, not just each weight.
        let sum: f64 = weekdays.iter().sum();
        if weekdays.iter().all(|x| x.is_finite() && *x >= 0.0) {
            let largest = weekdays.iter().copied().fold(0.0, f64::max);
            if sum == 0.0 {
                self.push(
                    at(path, "weekdays"),
                    "all weekday weights are 0; at least one must be > 0",
                );
            } else if !(sum.is_finite() && (largest * 7.0 / sum).is_finite()) {
                self.push(
                    at(path, "weekdays"),
                    format!(
                        "weights up to {} overflow when spread over the week (their sum is {}); scale them down: only their ratios matter",
                        num(largest),
                        num(sum)
                    ),
                );
            }
        }
        let months = self.weights::<12>(&at(path, "months"), &r.months, "Jan..Dec");
        let growth_per_year = r.growth_per_year.unwrap_or(0.0);
        if self.finite(&at(path, "growth_per_year"), growth_per_year) && growth_per_year <= -1.0 {
            self.push(
                at(path, "growth_per_year"),
                format!("must be > -1 (a yearly change of more than -100%), got {growth_per_year}"),
            );
        }
        ReferralStream {
            name,
            to,
            per_week,
            weekdays,
            months,
            growth_per_year,
            show: self.probability(&at(path, "show"), r.show.unwrap_or(1.0)),
            priority: self.priority(&at(path, "priority"), r.priority.unwrap_or(1)),
            classes: Vec::new(),
        }
    }

    /// A list of exactly N non-negative weights; all 1 when absent.
    fn weights<const N: usize>(
        &mut self,
        path: &str,
        raw: &Option<Vec<f64>>,
        labels: &str,
    ) -> [f64; N] {
        let mut out = [1.0; N];
        let Some(list) = raw else { return out };
        if list.len() != N {
            self.push(
                path,
                format!("must have {N} numbers ({labels}), got {}", list.len()),
            );
            return out;
        }
        for (i, x) in list.iter().enumerate() {
            out[i] = self.non_negative(&format!("{path}[{i}]"), *x);
        }
        out
    }

    /// Every stream's expected referrals over the horizon, as the simulation
    /// will compute its daily rates, must be a finite number and all
    /// streams' together at most [`MAX_EXPECTED_REFERRALS_PER_TRIAL`]: a
    /// rate, weight or growth whose product overflows would otherwise stop
    /// the stream (a day's rate of inf is dropped) or never end the run.
    fn referral_volume(&mut self, streams: &[ReferralStream], sim: &Simulation) {
        let total_weeks = sim.weeks + sim.warmup_weeks;
        let calendar = Days::new(sim.start_date, sim.warmup_weeks, total_weeks, &[], false);
        let last_day = calendar.total_days.saturating_sub(1);
        let mut all = 0.0;
        for (i, r) in streams.iter().enumerate() {
            // Only a stream whose own values passed: the others already have a problem.
            let finite = |xs: &[f64]| xs.iter().all(|x| x.is_finite() && *x >= 0.0);
            let wsum: f64 = r.weekdays.iter().sum();
            if !(r.per_week.is_finite()
                && r.per_week >= 0.0
                && finite(&r.weekdays)
                && wsum.is_finite()
                && wsum > 0.0
                && r.weekdays.iter().all(|w| (w * 7.0 / wsum).is_finite())
                && finite(&r.months)
                && r.growth_per_year.is_finite()
                && r.growth_per_year > -1.0)
                || calendar.total_days == 0
            {
                continue;
            }
            let path = format!("referrals[{i}]");
            let growth_at = |d: u64| (1.0 + r.growth_per_year).powf(calendar.years_since_start(d));
            let (first, last) = (growth_at(0), growth_at(last_day));
            if !(first.is_finite() && last.is_finite()) {
                self.push(
                    at(&path, "growth_per_year"),
                    format!(
                        "a yearly growth of {} compounds to {} over the {total_weeks} weeks simulated ({:.2} years before start_date to {:.2} after); it must stay a finite factor",
                        num(r.growth_per_year),
                        if first.is_finite() { last } else { first },
                        -calendar.years_since_start(0),
                        calendar.years_since_start(last_day),
                    ),
                );
                continue;
            }
            let expected = expected_referrals(r, &calendar);
            if expected.is_nan() || expected > MAX_EXPECTED_REFERRALS_PER_TRIAL {
                let month = r.months.iter().copied().fold(0.0, f64::max);
                self.push(
                    path,
                    format!(
                        "per_week = {} with month factors up to {} and a growth factor of {} by the last day gives {} expected referrals over the {total_weeks} weeks simulated; at most {} a trial are simulated (all streams together)",
                        num(r.per_week),
                        num(month),
                        factor(first.max(last)),
                        sig3(expected),
                        sig3(MAX_EXPECTED_REFERRALS_PER_TRIAL)
                    ),
                );
                continue;
            }
            all += expected;
        }
        if all > MAX_EXPECTED_REFERRALS_PER_TRIAL {
            self.push(
                "referrals",
                format!(
                    "the streams together give {} expected referrals over the {total_weeks} weeks simulated; at most {} a trial are simulated",
                    sig3(all),
                    sig3(MAX_EXPECTED_REFERRALS_PER_TRIAL)
                ),
            );
        }
    }

    /// At most [`MAX_TRACKS`] tracks in all units together.
    fn track_count(&mut self, units: &[Unit]) {
        let mut seen = 0;
        for (i, u) in units.iter().enumerate() {
            if let UnitKind::Sessions(su) = &u.kind {
                seen += su.tracks.len();
                if seen > MAX_TRACKS {
                    self.push(
                        format!("units[{i}].tracks"),
                        format!(
                            "{seen} tracks in units[0..={i}]; at most {MAX_TRACKS} are allowed in all units together (the event queue scans every track's next session)"
                        ),
                    );
                    return;
                }
            }
        }
    }

    /// A set of units that patients, once in, can never leave because a
    /// relapse brings everyone who goes home back: see [`trapped_units`].
    /// Only scenarios with a `relapse` are checked (a routing cycle without
    /// one is allowed, as it always was).
    fn relapse_loops(&mut self, units: &[Unit]) {
        if !units.iter().any(|u| u.relapse.is_some()) {
            return;
        }
        let trapped = trapped_units(units);
        let Some(first) = (0..units.len()).find(|&u| {
            trapped[u]
                && units[u]
                    .relapse
                    .as_ref()
                    .is_some_and(|r| r.share > 0.0 && home_share(&units[u]) > ROUTING_SUM_TOL)
        }) else {
            return;
        };
        let names: Vec<&str> = (0..units.len())
            .filter(|&u| trapped[u])
            .map(|u| units[u].name.as_str())
            .collect();
        self.push(
            format!("units[{first}].relapse"),
            format!(
                "a relapse loop with no exit: patients of {} can never leave the system \
                 (every exit with a positive chance leads to one of these units again, and \
                 relapse.share = {} sends everyone who goes home back); give the loop an exit: \
                 relapse.share below 1, relapse.show or transfer_show below 1, a routing share \
                 to an exit label, or a waitlist with patience or a capacity",
                names.join(", "),
                units[first].relapse.as_ref().map_or(0.0, |r| r.share)
            ),
        );
    }

    fn unit_ref(&mut self, path: &str, name: &str, names: &Names) -> UnitId {
        names.unit(name).unwrap_or_else(|| {
            self.push(
                path,
                format!(
                    "no unit named '{name}'; units are: {}",
                    list_or_none(&names.units)
                ),
            );
            0
        })
    }

    fn unit(&mut self, i: usize, u: &RawUnit, names: &Names) -> Unit {
        let path = format!("units[{i}]");
        let name = names.units[i].clone();
        let waitlist = self.waitlist(&at(&path, "waitlist"), &u.waitlist);
        let kind = match self
            .required(
                &at(&path, "kind"),
                &u.kind,
                "allowed: \"beds\", \"sessions\"",
            )
            .as_deref()
        {
            Some("beds") => Some(UnitKind::Beds(self.beds(&path, i, u, names))),
            Some("sessions") => Some(UnitKind::Sessions(self.sessions(&path, i, u, names))),
            Some(other) => {
                self.push(
                    at(&path, "kind"),
                    format!("'{other}' is not a unit kind; allowed: beds, sessions"),
                );
                None
            }
            None => None,
        };
        let kind = kind.unwrap_or_else(|| {
            UnitKind::Beds(BedUnit {
                capacity: 1,
                stay: placeholder_dist(),
                on_discharge: Routing::default(),
                handoff: Handoff::GoHome,
            })
        });
        let relapse = u
            .relapse
            .as_ref()
            .map(|r| Box::new(self.relapse(&at(&path, "relapse"), r, i, names)));
        let transfer_show = match u.transfer_show {
            Some(p) => self.probability(&at(&path, "transfer_show"), p),
            None => 1.0,
        };
        Unit {
            name,
            kind,
            waitlist,
            relapse,
            transfer_show,
        }
    }

    /// `relapse = { share, after, to, show, priority }` of unit `own`.
    fn relapse(&mut self, path: &str, r: &RawRelapse, own: UnitId, names: &Names) -> Relapse {
        let share = match self.required(
            &at(path, "share"),
            &r.share,
            "the share of those who go home who are referred again, e.g. share = 0.3",
        ) {
            Some(p) => self.probability(&at(path, "share"), p),
            None => 0.0,
        };
        let after = match self.required(
            &at(path, "after"),
            &r.after,
            "days from going home to the new referral, e.g. { dist = \"lognormal\", mean = 120, sd = 60 }",
        ) {
            Some(d) => self.dist(&at(path, "after"), &d),
            None => placeholder_dist(),
        };
        let to = match &r.to {
            Some(name) => self.unit_ref(&at(path, "to"), name, names),
            None => own,
        };
        let show = self.probability(&at(path, "show"), r.show.unwrap_or(1.0));
        let priority = self.priority(&at(path, "priority"), r.priority.unwrap_or(1));
        Relapse {
            // Resolved with the classes (`relapse_classes`).
            class: None,
            share,
            after,
            to,
            show,
            priority,
        }
    }

    fn waitlist(&mut self, path: &str, raw: &Option<RawWaitlist>) -> WaitlistSpec {
        let Some(w) = raw else {
            return WaitlistSpec {
                capacity: None,
                patience: None,
                transfer_priority: 0,
            };
        };
        WaitlistSpec {
            capacity: w
                .capacity
                .map(|c| self.int(&at(path, "capacity"), c, 0, i64::from(u32::MAX))),
            patience: w
                .patience
                .as_ref()
                .map(|d| self.dist(&at(path, "patience"), d)),
            transfer_priority: self.priority(
                &at(path, "transfer_priority"),
                w.transfer_priority.unwrap_or(0),
            ),
        }
    }

    fn beds(&mut self, path: &str, i: usize, u: &RawUnit, names: &Names) -> BedUnit {
        let wrong: [(&str, bool); 17] = [
            ("admission", u.admission.is_some()),
            ("attendance_sd", u.attendance_sd.is_some()),
            ("track_choice", u.track_choice.is_some()),
            ("cohort_weeks", u.cohort_weeks.is_some()),
            ("first_cohort", u.first_cohort.is_some()),
            ("episode", u.episode.is_some()),
            ("attendance", u.attendance.is_some()),
            (
                "discharge_after_absences",
                u.discharge_after_absences.is_some(),
            ),
            ("dropout_weekly", u.dropout_weekly.is_some()),
            ("stepup_weekly", u.stepup_weekly.is_some()),
            ("stepup_to", u.stepup_to.is_some()),
            ("on_completion", u.on_completion.is_some()),
            ("on_stepup", u.on_stepup.is_some()),
            ("on_dropout", u.on_dropout.is_some()),
            ("on_admin_discharge", u.on_admin_discharge.is_some()),
            ("phases", u.phases.is_some()),
            ("tracks", u.tracks.is_some()),
        ];
        for (key, given) in wrong {
            if given {
                let hint = match key {
                    "tracks" => "; a beds unit sizes itself by capacity",
                    "episode" => "; a beds unit's length of stay is `stay`",
                    "on_completion" | "on_stepup" | "on_dropout" | "on_admin_discharge" => {
                        "; a beds unit routes leavers with on_discharge"
                    }
                    _ => "",
                };
                self.push(
                    at(path, key),
                    format!("{key} is for kind = \"sessions\"{hint}"),
                );
            }
        }
        let capacity = match self.required(&at(path, "capacity"), &u.capacity, "number of beds") {
            Some(c) => self.int(&at(path, "capacity"), c, 1, MAX_BEDS),
            None => 1,
        };
        let stay = match self.required(
            &at(path, "stay"),
            &u.stay,
            "length of stay in days, e.g. { dist = \"lognormal\", mean = 9, sd = 5 }",
        ) {
            Some(d) => self.dist(&at(path, "stay"), &d),
            None => placeholder_dist(),
        };
        let on_discharge = self.routing(&at(path, "on_discharge"), &u.on_discharge, i, names);
        let handoff = match u.handoff.as_deref() {
            None | Some("go_home") => Handoff::GoHome,
            Some("wait_in_place") => Handoff::WaitInPlace,
            Some(other) => {
                self.push(
                    at(path, "handoff"),
                    format!("'{other}' is not a handoff; allowed: wait_in_place, go_home"),
                );
                Handoff::GoHome
            }
        };
        BedUnit {
            capacity,
            stay,
            on_discharge,
            handoff,
        }
    }

    fn sessions(&mut self, path: &str, i: usize, u: &RawUnit, names: &Names) -> SessionUnit {
        let wrong: [(&str, bool, &str); 4] = [
            (
                "capacity",
                u.capacity.is_some(),
                "a sessions unit sizes itself by tracks (groups x group_size)",
            ),
            (
                "stay",
                u.stay.is_some(),
                "a sessions unit's length is its episode",
            ),
            (
                "on_discharge",
                u.on_discharge.is_some(),
                "a sessions unit routes completers with on_completion",
            ),
            (
                "handoff",
                u.handoff.is_some(),
                "sessions patients always go home between sessions",
            ),
        ];
        for (key, given, hint) in wrong {
            if given {
                self.push(
                    at(path, key),
                    format!("{key} is for kind = \"beds\"; {hint}"),
                );
            }
        }
        let admission = match u.admission.as_deref() {
            None | Some("rolling") => Admission::Rolling,
            Some("continuous") => Admission::Continuous,
            Some("cohort") => {
                let first = u
                    .first_cohort
                    .as_ref()
                    .and_then(|d| self.date(&at(path, "first_cohort"), d));
                match u.cohort_weeks {
                    Some(w) => Admission::Cohort {
                        every_weeks: self.int(&at(path, "cohort_weeks"), w, 1, i64::from(u32::MAX)),
                        first,
                    },
                    None => {
                        self.push(
                            at(path, "cohort_weeks"),
                            "missing; admission = \"cohort\" needs cohort_weeks (weeks between cohort starts)",
                        );
                        Admission::Cohort {
                            every_weeks: 1,
                            first,
                        }
                    }
                }
            }
            Some(other) => {
                self.push(
                    at(path, "admission"),
                    format!(
                        "'{other}' is not an admission mode; allowed: rolling, cohort, continuous"
                    ),
                );
                Admission::Rolling
            }
        };
        for (key, given) in [
            ("cohort_weeks", u.cohort_weeks.is_some()),
            ("first_cohort", u.first_cohort.is_some()),
        ] {
            if given && u.admission.as_deref() != Some("cohort") {
                self.push(
                    at(path, key),
                    format!("{key} is only used with admission = \"cohort\""),
                );
            }
        }
        let episode = self.episode(&at(path, "episode"), &u.episode);
        let attendance = self.probability(&at(path, "attendance"), u.attendance.unwrap_or(1.0));
        let attendance_sd = u.attendance_sd.map_or(0.0, |sd| {
            let sd = self.non_negative(&at(path, "attendance_sd"), sd);
            let name = names.units.get(i).map_or("", String::as_str);
            self.attendance_spread(&at(path, "attendance_sd"), attendance, sd, name);
            sd
        });
        let track_choice =
            self.unit_track_choice(&at(path, "track_choice"), &u.track_choice, admission);
        let discharge_after_absences = self.int(
            &at(path, "discharge_after_absences"),
            u.discharge_after_absences.unwrap_or(0),
            0,
            i64::from(u32::MAX),
        );
        let dropout_weekly: Vec<f64> = u
            .dropout_weekly
            .iter()
            .flatten()
            .enumerate()
            .map(|(k, x)| self.probability(&format!("{path}.dropout_weekly[{k}]"), *x))
            .collect();
        let stepup_weekly =
            self.probability(&at(path, "stepup_weekly"), u.stepup_weekly.unwrap_or(0.0));
        let stepup_to = match &u.stepup_to {
            None => Destination::Exit(DEFAULT_STEPUP_EXIT.to_string()),
            Some(name) => self.destination(&at(path, "stepup_to"), name, i, names),
        };
        let on_stepup = u.on_stepup.as_ref().map(|_| {
            if u.stepup_to.is_some() {
                self.push(
                    at(path, "on_stepup"),
                    "give either stepup_to (one destination) or on_stepup (shares), not both: \
                     both stepup_to and on_stepup are set",
                );
            }
            let key = at(path, "on_stepup");
            let routing = self.routing_map(&key, &u.on_stepup, i, names, false);
            let sum: f64 = routing.shares.iter().map(|(_, p)| p).sum();
            if sum.is_finite() && (sum - 1.0).abs() > ROUTING_SUM_TOL {
                self.push(
                    key,
                    format!(
                        "shares sum to {}; the shares of on_stepup must sum to 1 (a step-up \
                         always goes somewhere: name the exit label, e.g. stepped_up = 0.2)",
                        round9(sum)
                    ),
                );
            }
            routing
        });
        let on_completion = self.routing(&at(path, "on_completion"), &u.on_completion, i, names);
        let on_dropout = self.routing(&at(path, "on_dropout"), &u.on_dropout, i, names);
        let on_admin_discharge = self.routing(
            &at(path, "on_admin_discharge"),
            &u.on_admin_discharge,
            i,
            names,
        );
        let tracks = self.tracks(path, &u.tracks, names);
        let phases = self.phases(&at(path, "phases"), &u.phases, &tracks);
        self.phase_tracks(&at(path, "phases"), i, &u.phases, &tracks, names);
        let phases = phases
            .into_iter()
            .zip(u.phases.iter().flatten())
            .map(|(ph, raw)| Phase {
                track: raw
                    .track
                    .as_ref()
                    .and_then(|n| tracks.iter().position(|t| t.name == *n)),
                ..ph
            })
            .collect();
        let intake = self.intake(&at(path, "intake"), &u.intake, names);
        SessionUnit {
            admission,
            episode,
            attendance,
            attendance_sd,
            track_choice,
            discharge_after_absences,
            dropout_weekly,
            stepup_weekly,
            stepup_to,
            on_stepup,
            on_completion,
            on_dropout,
            on_admin_discharge,
            phases,
            tracks,
            intake,
        }
    }

    fn episode(&mut self, path: &str, raw: &Option<RawEpisode>) -> Episode {
        let fallback = Episode::Weeks(1);
        let Some(e) = raw else {
            self.push(
                path,
                "missing; give { weeks = N }, { sessions = N } or a dist table in days",
            );
            return fallback;
        };
        let dist = e.dist_part();
        let mut forms = Vec::new();
        if e.weeks.is_some() {
            forms.push("weeks");
        }
        if e.sessions.is_some() {
            forms.push("sessions");
        }
        if dist.is_some() {
            forms.push("a dist table");
        }
        match (forms.len(), e.weeks, e.sessions, dist) {
            (0, ..) => {
                self.push(
                    path,
                    "empty; give { weeks = N }, { sessions = N } or a dist table in days",
                );
                fallback
            }
            (1, Some(w), _, _) => {
                Episode::Weeks(self.int(&at(path, "weeks"), w, 1, i64::from(u32::MAX)))
            }
            (1, _, Some(s), _) => {
                Episode::Sessions(self.int(&at(path, "sessions"), s, 1, i64::from(u32::MAX)))
            }
            (1, _, _, Some(d)) => Episode::Days(self.dist(path, &d)),
            _ => {
                self.push(
                    path,
                    format!(
                        "give exactly one of weeks, sessions or a dist table; got {}",
                        forms.join(" and ")
                    ),
                );
                fallback
            }
        }
    }

    /// A routing map: unit names become transfers, other names exit labels.
    fn routing(
        &mut self,
        path: &str,
        raw: &Option<std::collections::BTreeMap<String, f64>>,
        own: UnitId,
        names: &Names,
    ) -> Routing {
        self.routing_map(path, raw, own, names, true)
    }

    /// [`Validator::routing`]; `home`: the remainder goes home (shares
    /// sum to at most 1), else the caller checks the sum.
    fn routing_map(
        &mut self,
        path: &str,
        raw: &Option<std::collections::BTreeMap<String, f64>>,
        own: UnitId,
        names: &Names,
        home: bool,
    ) -> Routing {
        let mut shares = Vec::new();
        let mut sum = 0.0;
        for (dest, share) in raw.iter().flatten() {
            let p = self.probability(&at(path, dest), *share);
            sum += p;
            shares.push((self.destination(&at(path, dest), dest, own, names), p));
        }
        if home && sum.is_finite() && sum > 1.0 + ROUTING_SUM_TOL {
            self.push(
                path,
                format!("shares sum to {}; they must sum to at most 1 (the remainder leaves care as 'home')", round9(sum)),
            );
        }
        Routing { shares }
    }

    fn destination(&mut self, path: &str, name: &str, own: UnitId, names: &Names) -> Destination {
        if name.trim().is_empty() {
            self.push(path, "a destination name must not be empty");
            return Destination::Exit(name.to_string());
        }
        match names.unit(name) {
            Some(id) if id == own => {
                self.push(
                    path,
                    format!("unit '{name}' cannot send patients to itself"),
                );
                Destination::Unit(id)
            }
            Some(id) => Destination::Unit(id),
            None => Destination::Exit(name.to_string()),
        }
    }

    fn tracks(
        &mut self,
        unit_path: &str,
        raw: &Option<Vec<RawTrack>>,
        names: &Names,
    ) -> Vec<Track> {
        let path = at(unit_path, "tracks");
        let raw = raw.as_deref().unwrap_or_default();
        if raw.is_empty() {
            self.push(
                &path,
                "a sessions unit needs at least one [[units.tracks]] table",
            );
            return Vec::new();
        }
        let track_names: Vec<String> = raw
            .iter()
            .enumerate()
            .map(|(j, t)| self.non_empty_name(&format!("{path}[{j}].name"), &t.name))
            .collect();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (j, n) in track_names.iter().enumerate() {
            if !n.is_empty() {
                if let Some(first) = seen.insert(n, j) {
                    self.push(format!("{path}[{j}].name"), format!("'{n}' is already used by {path}[{first}]; track names must be unique within a unit"));
                }
            }
        }
        let mut tracks: Vec<Track> = raw
            .iter()
            .zip(track_names.iter())
            .enumerate()
            .map(|(j, (t, name))| self.track(&format!("{path}[{j}]"), t, name.clone(), names))
            .collect();

        let given = raw.iter().filter(|t| t.share.is_some()).count();
        if given == 0 {
            let equal = 1.0 / tracks.len() as f64;
            tracks.iter_mut().for_each(|t| t.share = equal);
        } else if given < raw.len() {
            for (j, t) in raw.iter().enumerate() {
                if t.share.is_none() {
                    self.push(
                        format!("{path}[{j}].share"),
                        "missing; other tracks of this unit give a share, so every track must (or none, for an equal split)",
                    );
                }
            }
        } else {
            let sum: f64 = tracks.iter().map(|t| t.share).sum();
            if sum.is_finite() && (sum - 1.0).abs() > SHARE_SUM_TOL {
                self.push(
                    &path,
                    format!("track shares sum to {}; they must sum to 1", round9(sum)),
                );
            }
        }
        tracks
    }

    fn track(&mut self, path: &str, t: &RawTrack, name: String, names: &Names) -> Track {
        let days = self.weekdays(&at(path, "days"), &t.days);
        let start_minute = self.time_of_day(&at(path, "start"), &t.start);
        let hours = match self.required(&at(path, "hours"), &t.hours, "session length in hours") {
            Some(h) => {
                let h = self.positive(&at(path, "hours"), h);
                self.ends_by_midnight(
                    &at(path, "hours"),
                    ("a session", "sessions"),
                    start_minute,
                    h,
                );
                h
            }
            None => 1.0,
        };
        let groups = self.int(
            &at(path, "groups"),
            t.groups.unwrap_or(1),
            1,
            MAX_GROUPS_PER_TRACK,
        );
        let group_size = match self.required(
            &at(path, "group_size"),
            &t.group_size,
            "most clients per group, e.g. 12",
        ) {
            Some(g) => self.int(&at(path, "group_size"), g, 1, MAX_GROUP_SIZE),
            None => 1,
        };
        let room = t.room.as_ref().and_then(|r| {
            let id = names.rooms.iter().position(|n| n == r);
            if id.is_none() {
                self.push(
                    at(path, "room"),
                    format!(
                        "no room named '{r}'; rooms are: {}",
                        list_or_none(&names.rooms)
                    ),
                );
            }
            id
        });
        let share = t
            .share
            .map_or(0.0, |s| self.probability(&at(path, "share"), s));
        let facilitators = self.facilitators(&at(path, "facilitators"), &t.facilitators, names);
        let min_size = t.min_size.as_ref().and_then(|v| {
            // A group size that is itself a problem cannot bound it.
            let size = (t.group_size.is_some() && group_size >= 1).then_some(group_size);
            self.min_size(&at(path, "min_size"), v, size, &at(path, "group_size"))
        });
        Track {
            name,
            days,
            start_minute,
            hours,
            groups,
            group_size,
            room,
            share,
            facilitators,
            min_size,
        }
    }

    /// A track's `min_size`: a whole number of patients from 1 to its
    /// `group_size` (`size`, if that is valid; its key `size_key`).
    fn min_size(
        &mut self,
        path: &str,
        v: &toml::Value,
        size: Option<u32>,
        size_key: &str,
    ) -> Option<u32> {
        let allowed = match size {
            Some(g) => format!("allowed: a whole number from 1 to group_size ({g})"),
            None => "allowed: a whole number from 1 to group_size".to_string(),
        };
        let toml::Value::Integer(n) = *v else {
            self.push(
                path,
                format!(
                    "must be a whole number of patients, got {}; {allowed}",
                    value_kind(v)
                ),
            );
            return None;
        };
        if n < 1 {
            self.push(
                path,
                format!("must be at least 1, got {n}; {allowed} (leave it out for no minimum)"),
            );
            return None;
        }
        match size {
            Some(g) if n > i64::from(g) => {
                self.push(
                    path,
                    format!(
                        "min_size {n} is above group_size {g} ({size_key}): a group could never \
                         meet; {allowed}"
                    ),
                );
                None
            }
            _ => u32::try_from(n).ok(),
        }
    }

    /// A list of weekday names (at least one, none twice), sorted Mon..Sun.
    fn weekdays(&mut self, path: &str, raw: &Option<Vec<String>>) -> Vec<Weekday> {
        let mut days = Vec::new();
        match self.required(
            path,
            raw,
            "list the weekdays, e.g. days = [\"mon\", \"tue\", \"thu\"]",
        ) {
            Some(list) if list.is_empty() => self.push(
                path,
                format!("must list at least one day; allowed: {WEEKDAY_NAMES}"),
            ),
            Some(list) => {
                for (k, d) in list.iter().enumerate() {
                    let p = format!("{path}[{k}]");
                    match WEEKDAYS.iter().find(|(n, _)| n.eq_ignore_ascii_case(d)) {
                        None => self.push(
                            p,
                            format!("'{d}' is not a weekday; allowed: {WEEKDAY_NAMES}"),
                        ),
                        Some((_, wd)) if days.contains(wd) => {
                            self.push(p, format!("'{d}' is listed twice"))
                        }
                        Some((_, wd)) => days.push(*wd),
                    }
                }
            }
            None => {}
        }
        days.sort_by_key(|d| d.num_days_from_monday());
        days
    }

    /// A required "HH:MM", as minutes after midnight.
    fn time_of_day(&mut self, path: &str, raw: &Option<String>) -> u32 {
        match self.required(path, raw, "the start time, HH:MM") {
            Some(s) => parse_time(&s).unwrap_or_else(|| {
                self.push(
                    path,
                    format!("'{s}' is not a time of day; write HH:MM between 00:00 and 23:59"),
                );
                0
            }),
            None => 0,
        }
    }

    /// `what` (a session, a shift) starting at `start_minute` and lasting
    /// `hours` must end by midnight: the calendar has no night across days.
    fn ends_by_midnight(&mut self, path: &str, what: (&str, &str), start_minute: u32, hours: f64) {
        let end = f64::from(start_minute) + hours * 60.0;
        if hours.is_finite() && hours > 0.0 && end > 24.0 * 60.0 {
            self.push(
                path,
                format!(
                    "{} starting at {} and lasting {hours} h would end after midnight; {} must end by 24:00",
                    what.0,
                    fmt_minute(f64::from(start_minute)),
                    what.1
                ),
            );
        }
    }

    fn phases(&mut self, path: &str, raw: &Option<Vec<RawPhase>>, tracks: &[Track]) -> Vec<Phase> {
        let listed = raw.as_ref().map_or(0, Vec::len);
        self.at_most(
            path,
            listed,
            MAX_PHASES,
            "phases",
            "each session looks up its patient's phase",
        );
        let mut phases = Vec::new();
        let mut previous: Option<u32> = None;
        for (k, p) in raw.iter().flatten().enumerate() {
            let pp = format!("{path}[{k}]");
            let from_week = match self.required(
                &at(&pp, "from_week"),
                &p.from_week,
                "1-based week of stay the phase starts (>= 2)",
            ) {
                Some(w) => self.int(&at(&pp, "from_week"), w, 2, i64::from(u32::MAX)),
                None => 0,
            };
            if from_week >= 2 {
                if let Some(prev) = previous.filter(|prev| from_week <= *prev) {
                    self.push(
                        at(&pp, "from_week"),
                        format!("must be greater than the previous phase's from_week ({prev})"),
                    );
                }
                previous = Some(from_week);
            }
            let spw = match self.required(
                &at(&pp, "sessions_per_week"),
                &p.sessions_per_week,
                "sessions attended per week in this phase",
            ) {
                Some(s) => self.int(&at(&pp, "sessions_per_week"), s, 1, i64::from(u32::MAX)),
                None => 0,
            };
            for t in tracks {
                if spw > 0 && !t.days.is_empty() && spw as usize > t.days.len() {
                    self.push(
                        at(&pp, "sessions_per_week"),
                        format!(
                            "{spw} sessions per week, but track '{}' meets only {} days a week",
                            t.name,
                            t.days.len()
                        ),
                    );
                }
            }
            phases.push(Phase {
                from_week,
                sessions_per_week: spw,
                track: None,
            });
        }
        phases
    }

    /// The `track` of each phase of unit `unit`: a track of the same unit
    /// (patients move within their unit), other than the one the patients
    /// are in already: no track that takes admissions directly (its
    /// patients would move to the track they are in), and not the target
    /// of an earlier moving phase.
    fn phase_tracks(
        &mut self,
        path: &str,
        unit: usize,
        raw: &Option<Vec<RawPhase>>,
        tracks: &[Track],
        names: &Names,
    ) {
        let own: Vec<String> = tracks.iter().map(|t| t.name.clone()).collect();
        let unit_name = names.units.get(unit).cloned().unwrap_or_default();
        let mut targets: Vec<(usize, usize)> = Vec::new();
        for (k, p) in raw.iter().flatten().enumerate() {
            let Some(name) = &p.track else { continue };
            let tp = format!("{path}[{k}].track");
            let Some(j) = own.iter().position(|t| t == name) else {
                let elsewhere: Vec<&str> = names
                    .unit_tracks
                    .iter()
                    .enumerate()
                    .filter(|&(u, ts)| u != unit && ts.contains(name))
                    .filter_map(|(u, _)| names.units.get(u).map(String::as_str))
                    .collect();
                let message = if elsewhere.is_empty() {
                    format!(
                        "no track named '{name}'; unit '{unit_name}' has the tracks: {}",
                        list_or_none(&own)
                    )
                } else {
                    format!(
                        "'{name}' is a track of unit '{}', not of unit '{unit_name}': a phase \
                         moves patients within their unit; allowed: {}",
                        elsewhere.join("', '"),
                        list_or_none(&own)
                    )
                };
                self.push(tp, message);
                continue;
            };
            if let Some(&(first, _)) = targets.iter().find(|&&(_, t)| t == j) {
                self.push(
                    tp,
                    format!(
                        "patients are in track '{name}' already from {path}[{first}]; a phase \
                         moves them to another track (leave track out to keep them there)"
                    ),
                );
            } else if tracks[j].share > 0.0 {
                let how = if tracks.iter().all(|t| t.share == tracks[j].share) && own.len() > 1 {
                    " (no track gives a share, so admissions are split equally)"
                } else {
                    ""
                };
                self.push(
                    tp,
                    format!(
                        "track '{name}' takes a share {} of admissions{how}, and its patients \
                         would move to the track itself; a step-down track takes nobody \
                         directly: give the tracks shares with share = 0 for '{name}'",
                        num(tracks[j].share)
                    ),
                );
            }
            targets.push((k, j));
        }
    }

    /// `{ dist = "...", ... }`: the dist name, its exact keys, then `Dist::new`.
    fn dist(&mut self, path: &str, d: &RawDist) -> Dist {
        let Some(name) = self.required(
            &at(path, "dist"),
            &d.dist,
            &format!("allowed: {DIST_NAMES}"),
        ) else {
            return placeholder_dist();
        };
        let Some((_, required, optional)) = DIST_KEYS.iter().find(|(n, _, _)| *n == name) else {
            self.push(
                at(path, "dist"),
                format!("'{name}' is not a distribution; allowed: {DIST_NAMES}"),
            );
            return placeholder_dist();
        };
        let takes = {
            let mut s = required.join(" and ");
            if !optional.is_empty() {
                s.push_str(&format!(" and optional {}", optional.join(", ")));
            }
            s
        };
        let given = d.given_keys();
        let before = self.problems.len();
        for key in required.iter().filter(|k| !given.contains(k)) {
            self.push(path, format!("{name} takes {takes}; '{key}' is missing"));
        }
        for key in given
            .iter()
            .filter(|k| !required.contains(k) && !optional.contains(k))
        {
            self.push(
                at(path, key),
                format!("{name} takes {takes}; '{key}' is not used"),
            );
        }
        if self.problems.len() > before {
            return placeholder_dist();
        }
        let f = |x: Option<f64>| x.unwrap_or(f64::NAN);
        let spec = match name.as_str() {
            "fixed" => DistSpec::Fixed { value: f(d.value) },
            "exponential" => DistSpec::Exponential { mean: f(d.mean) },
            "uniform" => DistSpec::Uniform {
                min: f(d.min),
                max: f(d.max),
            },
            "triangular" => DistSpec::Triangular {
                min: f(d.min),
                mode: f(d.mode),
                max: f(d.max),
            },
            "normal" => DistSpec::Normal {
                mean: f(d.mean),
                sd: f(d.sd),
            },
            "lognormal" => DistSpec::LogNormal {
                mean: f(d.mean),
                sd: f(d.sd),
            },
            "gamma" => DistSpec::Gamma {
                mean: f(d.mean),
                sd: f(d.sd),
            },
            "weibull" => DistSpec::Weibull {
                shape: f(d.shape),
                scale: f(d.scale),
            },
            _ => DistSpec::Empirical {
                values: d.values.clone().unwrap_or_default(),
                weights: d.weights.clone(),
            },
        };
        Dist::new(spec).unwrap_or_else(|message| {
            // Dist::new names the parameter first ("mean must be ..."): attach it to the path.
            let (first, rest) = message.split_once(' ').unwrap_or((&message, ""));
            let param = first.split('[').next().unwrap_or(first);
            if DIST_PARAMS.contains(&param) && !rest.is_empty() {
                self.push(at(path, first), rest);
            } else {
                self.push(path, message.clone());
            }
            placeholder_dist()
        })
    }

    fn room(&mut self, path: &str, r: &RawRoom, name: String) -> Room {
        let seats = match self.required(&at(path, "seats"), &r.seats, "seats in the room") {
            Some(s) => self.int(&at(path, "seats"), s, 1, i64::from(u32::MAX)),
            None => 1,
        };
        let count = self.int(
            &at(path, "count"),
            r.count.unwrap_or(1),
            1,
            i64::from(u32::MAX),
        );
        Room { name, seats, count }
    }

    /// A group must fit in its room. The problem says the seats that would
    /// fit every group meeting there.
    fn room_fit(&mut self, units: &[Unit], rooms: &[Room]) {
        let tracks = || {
            units
                .iter()
                .enumerate()
                .filter_map(|(i, u)| match &u.kind {
                    UnitKind::Sessions(s) => Some((i, s)),
                    UnitKind::Beds(_) => None,
                })
                .flat_map(|(i, s)| s.tracks.iter().enumerate().map(move |(j, t)| (i, j, t)))
        };
        for (i, j, t) in tracks() {
            let Some((r, room)) = t.room.and_then(|r| Some((r, rooms.get(r)?))) else {
                continue;
            };
            if room.seats > 0 && t.group_size > room.seats {
                let needed = tracks()
                    .filter(|(_, _, t)| t.room == Some(r))
                    .map(|(_, _, t)| t.group_size)
                    .max()
                    .unwrap_or(t.group_size);
                self.push(
                    format!("units[{i}].tracks[{j}].group_size"),
                    format!(
                        "groups of {} do not fit room '{}' ({} seats); {}",
                        t.group_size,
                        room.name,
                        room.seats,
                        room_fix(r, room, "seats", needed)
                    ),
                );
            }
        }
    }

    /// On each weekday, the groups meeting in a room at once must not exceed its count.
    fn room_bookings(&mut self, units: &[Unit], rooms: &[Room]) {
        struct Booking {
            label: String,
            days: Vec<Weekday>,
            start: f64,
            end: f64,
            groups: u32,
        }
        for (r, room) in rooms.iter().enumerate() {
            let bookings: Vec<Booking> = units
                .iter()
                .filter_map(|u| match &u.kind {
                    UnitKind::Sessions(s) => Some((u, s)),
                    UnitKind::Beds(_) => None,
                })
                .flat_map(|(u, s)| s.tracks.iter().map(move |t| (u, t)))
                .filter(|(_, t)| t.room == Some(r) && t.hours.is_finite() && t.hours > 0.0)
                .map(|(u, t)| Booking {
                    label: format!("{}/{}", u.name, t.name),
                    days: t.days.clone(),
                    start: f64::from(t.start_minute),
                    end: f64::from(t.start_minute) + t.hours * 60.0,
                    groups: t.groups,
                })
                .collect();
            // (moment, tracks involved) -> days on which that clash happens.
            let mut clashes: Vec<(f64, Vec<String>, u32, Vec<&str>)> = Vec::new();
            for (day_name, day) in WEEKDAYS {
                let today: Vec<&Booking> =
                    bookings.iter().filter(|b| b.days.contains(&day)).collect();
                // Peak occupancy is reached at some booking's start.
                let clash = today
                    .iter()
                    .map(|b| b.start)
                    .map(|t| {
                        let active: Vec<&&Booking> =
                            today.iter().filter(|b| b.start <= t && t < b.end).collect();
                        (t, active.iter().map(|b| b.groups).sum::<u32>(), active)
                    })
                    .filter(|(_, n, _)| *n > room.count)
                    .min_by(|a, b| a.0.total_cmp(&b.0));
                if let Some((t, n, active)) = clash {
                    let labels: Vec<String> = active
                        .iter()
                        .map(|b| format!("{} x{}", b.label, b.groups))
                        .collect();
                    match clashes.iter_mut().find(|c| c.0 == t && c.1 == labels) {
                        Some(c) => c.3.push(day_name),
                        None => clashes.push((t, labels, n, vec![day_name])),
                    }
                }
            }
            // One count that lifts every clash of the room.
            let needed = clashes.iter().map(|c| c.2).max().unwrap_or(room.count);
            for (t, labels, n, days) in clashes {
                self.push(
                    format!("rooms[{r}]"),
                    format!(
                        "'{}' is double-booked on {} at {}: {n} groups at once ({}) but count = {}; {}",
                        room.name,
                        days.join(", "),
                        fmt_minute(t),
                        labels.join(", "),
                        room.count,
                        room_fix(r, room, "count", needed)
                    ),
                );
            }
        }
    }

    fn workload(&mut self, path: &str, w: &RawWorkload, names: &Names, units: &[Unit]) -> Workload {
        let allowed: Vec<&str> = Activity::ALL.iter().map(|(n, _)| *n).collect();
        let activity = match self.required(
            &at(path, "activity"),
            &w.activity,
            &format!("allowed: {}", allowed.join(", ")),
        ) {
            Some(a) => Activity::ALL
                .iter()
                .find(|(n, _)| *n == a)
                .map(|(_, act)| *act)
                .or_else(|| {
                    self.push(
                        at(path, "activity"),
                        format!("'{a}' is not an activity; allowed: {}", allowed.join(", ")),
                    );
                    None
                }),
            None => None,
        };
        let role = match self.required(&at(path, "role"), &w.role, "a role from [[staff]]") {
            Some(r) => names.roles.iter().position(|n| *n == r).unwrap_or_else(|| {
                self.push(
                    at(path, "role"),
                    format!(
                        "no staff role '{r}'; roles are: {}",
                        list_or_none(&names.roles)
                    ),
                );
                0
            }),
            None => 0,
        };
        let (hours, per_session_hour) =
            match self.required(&at(path, "hours"), &w.hours, "staff hours per occurrence") {
                Some(h) => self.workload_hours(&at(path, "hours"), &h, activity),
                None => (0.0, 0.0),
            };
        let every_weeks = self.positive(&at(path, "every_weeks"), w.every_weeks.unwrap_or(1.0));
        let share = self.probability(&at(path, "share"), w.share.unwrap_or(1.0));
        let unit = w
            .unit
            .as_ref()
            .map(|u| self.unit_ref(&at(path, "unit"), u, names));
        if let (Some(act), Some(id), Some(unit_name)) = (activity, unit, &w.unit) {
            if names.unit(unit_name).is_some() {
                let kind = names.unit_kinds.get(id).cloned().flatten();
                let session_only = matches!(
                    act,
                    Activity::GroupSession
                        | Activity::Individual
                        | Activity::Family
                        | Activity::Medication
                );
                let act_name = allowed[Activity::ALL
                    .iter()
                    .position(|(_, a)| *a == act)
                    .unwrap_or(0)];
                if act == Activity::BedDay && kind.as_deref() == Some("sessions") {
                    self.push(
                        at(path, "unit"),
                        format!(
                            "bed_day applies to beds units, but '{unit_name}' is a sessions unit"
                        ),
                    );
                } else if session_only && kind.as_deref() == Some("beds") {
                    self.push(at(path, "unit"), format!("{act_name} applies to sessions units, but '{unit_name}' is a beds unit"));
                }
            }
        }
        let (unit, track) = self.workload_track(path, w, activity, unit, names, units);
        let every_weeks_by_phase = self.workload_by_phase(path, w, activity, unit, names, units);
        Workload {
            activity: activity.unwrap_or(Activity::Intake),
            role,
            hours,
            per_session_hour,
            every_weeks,
            every_weeks_by_phase,
            share,
            unit,
            track,
        }
    }

    /// A workload entry's `hours`: a number of staff hours per occurrence,
    /// or for a group session a table `{ per_session_hour, extra }` (staff
    /// hours per hour of the session's length, and fixed hours per session
    /// held). Returns (fixed hours, hours per session-hour).
    fn workload_hours(
        &mut self,
        path: &str,
        h: &toml::Value,
        activity: Option<Activity>,
    ) -> (f64, f64) {
        if let Some(x) = toml_number(h) {
            return (self.non_negative(path, x), 0.0);
        }
        let toml::Value::Table(t) = h else {
            self.push(
                path,
                format!(
                    "must be a number of staff hours per occurrence, or for a group_session a \
                     table such as {{ per_session_hour = 1, extra = 0.5 }}; got {}",
                    value_kind(h)
                ),
            );
            return (0.0, 0.0);
        };
        if let Some(act) = activity.filter(|a| *a != Activity::GroupSession) {
            self.push(
                path,
                format!(
                    "a table of hours ({{ per_session_hour, extra }}) is for activity = \
                     \"group_session\", whose staff hours can follow the session's length; \
                     for {} give a number of staff hours per occurrence",
                    activity_name(act)
                ),
            );
            return (0.0, 0.0);
        }
        for key in t.keys() {
            if !WORKLOAD_HOURS_KEYS.contains(&key.as_str()) {
                self.push(
                    at(path, key),
                    format!(
                        "unknown key '{key}'; allowed here: {}",
                        WORKLOAD_HOURS_KEYS.join(", ")
                    ),
                );
            }
        }
        if !WORKLOAD_HOURS_KEYS.iter().any(|k| t.contains_key(*k)) {
            self.push(
                path,
                "give per_session_hour (staff hours per hour of the session's length) and/or \
                 extra (fixed staff hours per session held), e.g. \
                 { per_session_hour = 1, extra = 0.5 }",
            );
        }
        let mut part = |key: &str| match t.get(key) {
            None => 0.0,
            Some(v) => match toml_number(v) {
                Some(x) => self.non_negative(&at(path, key), x),
                None => {
                    self.push(
                        at(path, key),
                        format!("must be a number >= 0 (staff hours); got {}", value_kind(v)),
                    );
                    0.0
                }
            },
        };
        let per_session_hour = part("per_session_hour");
        let extra = part("extra");
        (extra, per_session_hour)
    }

    /// A workload entry's `track`: per-patient activities only, a track of
    /// `unit` or, without one, of exactly one sessions unit. Returns the
    /// entry's unit (the track's when `unit` is omitted) and the track.
    fn workload_track(
        &mut self,
        path: &str,
        w: &RawWorkload,
        activity: Option<Activity>,
        unit: Option<UnitId>,
        names: &Names,
        units: &[Unit],
    ) -> (Option<UnitId>, Option<usize>) {
        let (Some(name), Some(act)) = (&w.track, activity) else {
            return (unit, None);
        };
        let key = at(path, "track");
        if !act.per_patient() {
            self.push(
                key,
                format!(
                    "a track is for per-patient activities ({PER_PATIENT}), not {}: they follow \
                     the census of the track's patients",
                    activity_name(act)
                ),
            );
            return (unit, None);
        }
        fn tracks(u: &Unit) -> Option<Vec<&str>> {
            match &u.kind {
                UnitKind::Sessions(su) => Some(su.tracks.iter().map(|t| t.name.as_str()).collect()),
                UnitKind::Beds(_) => None,
            }
        }
        if let Some(unit_name) = &w.unit {
            // An unknown unit or a bed unit is a problem of `unit` already.
            let Some(u) = names.unit(unit_name) else {
                return (unit, None);
            };
            let Some(list) = units.get(u).and_then(tracks) else {
                return (unit, None);
            };
            return match list.iter().position(|t| t == name) {
                Some(t) => (unit, Some(t)),
                None => {
                    self.push(
                        key,
                        format!(
                            "unit '{unit_name}' has no track '{name}'; its tracks are: {}",
                            list.join(", ")
                        ),
                    );
                    (unit, None)
                }
            };
        }
        let mut found = Vec::new();
        let mut all = Vec::new();
        for (u, unit) in units.iter().enumerate() {
            for (t, track) in tracks(unit).into_iter().flatten().enumerate() {
                all.push(format!("{}.{track}", unit.name));
                if track == name {
                    found.push((u, t));
                }
            }
        }
        match found[..] {
            [(u, t)] => (Some(u), Some(t)),
            [] => {
                self.push(
                    key,
                    format!(
                        "no sessions unit has a track named '{name}'; tracks are: {}",
                        list_or_none(&all)
                    ),
                );
                (unit, None)
            }
            _ => {
                let with: Vec<String> = found.iter().map(|&(u, _)| units[u].name.clone()).collect();
                self.push(
                    key,
                    format!(
                        "units {} each have a track named '{name}'; give unit to say which",
                        with.join(", ")
                    ),
                );
                (unit, None)
            }
        }
    }

    /// A workload entry's `every_weeks_by_phase`: per-patient activities
    /// only, instead of `every_weeks`, for sessions units with phases, one
    /// number before the first phase and one per phase.
    fn workload_by_phase(
        &mut self,
        path: &str,
        w: &RawWorkload,
        activity: Option<Activity>,
        unit: Option<UnitId>,
        names: &Names,
        units: &[Unit],
    ) -> Vec<f64> {
        let Some(list) = &w.every_weeks_by_phase else {
            return Vec::new();
        };
        let key = at(path, "every_weeks_by_phase");
        if let Some(act) = activity.filter(|a| !a.per_patient()) {
            self.push(
                &key,
                format!(
                    "only per-patient activities ({PER_PATIENT}) step down by phase, not {}",
                    activity_name(act)
                ),
            );
            return Vec::new();
        }
        if w.every_weeks.is_some() {
            self.push(
                &key,
                "give every_weeks or every_weeks_by_phase, not both (every_weeks_by_phase \
                 gives every_weeks before the unit's first phase, then in each phase)",
            );
        }
        for (i, &x) in list.iter().enumerate() {
            self.positive(&format!("{key}[{i}]"), x);
        }
        // The units it applies to: `unit` (or the track's), else every
        // sessions unit; an unknown or bed unit is a problem of `unit`.
        let applies: Vec<UnitId> = match (&w.unit, unit) {
            (Some(name), _) if names.unit(name).is_none() => Vec::new(),
            (_, Some(u)) => vec![u],
            (_, None) => (0..units.len()).collect(),
        };
        for u in applies {
            let Some(Unit {
                name,
                kind: UnitKind::Sessions(su),
                ..
            }) = units.get(u)
            else {
                continue;
            };
            let phases = su.phases.len();
            if phases == 0 {
                self.push(
                    &key,
                    format!(
                        "steps down with the phases of unit '{name}', which has none; add \
                         phases to it (units.phases), give unit to name a unit with phases, or \
                         give every_weeks"
                    ),
                );
            } else if list.len() != phases + 1 {
                self.push(
                    &key,
                    format!(
                        "must have {} numbers for unit '{name}' (every_weeks before its first \
                         phase, then one per phase: {phases} phase{} + 1), got {}",
                        phases + 1,
                        if phases == 1 { "" } else { "s" },
                        list.len()
                    ),
                );
            }
        }
        list.clone()
    }
}

/// The activities that occur per enrolled patient, for messages.
const PER_PATIENT: &str = "individual, family, medication";

/// An activity's name in the scenario language.
fn activity_name(a: Activity) -> &'static str {
    Activity::ALL
        .iter()
        .find(|(_, x)| *x == a)
        .map_or("?", |(n, _)| n)
}

/// A TOML number (integer or float) as f64.
fn toml_number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(x) => Some(*x),
        _ => None,
    }
}

/// What a TOML value is, for messages: "a string ('x')", "a list".
fn value_kind(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("a string ('{s}')"),
        toml::Value::Integer(i) => format!("an integer ({i})"),
        toml::Value::Float(x) => format!("a number ({x})"),
        toml::Value::Boolean(b) => format!("a boolean ({b})"),
        toml::Value::Datetime(d) => format!("a date ({d})"),
        toml::Value::Array(_) => "a list".to_string(),
        toml::Value::Table(_) => "a table".to_string(),
    }
}

/// A number for messages: plain when it reads well, else in scientific
/// notation (1e308 rather than its 309 digits).
fn num(x: f64) -> String {
    if x == 0.0 || (1e-4..1e9).contains(&x.abs()) || !x.is_finite() {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// A multiplier for messages, to three decimals or significant figures.
fn factor(x: f64) -> String {
    if x.abs() >= 1e6 {
        sig3(x)
    } else {
        let s = format!("{x:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Rounds for messages so float noise (1.0999999999) does not obscure the point.
fn round9(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

/// "HH:MM" (or "H:MM") -> minutes after midnight, 00:00..=23:59.
fn parse_time(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if !(digits(h) && digits(m) && h.len() <= 2 && m.len() == 2) {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

fn fmt_minute(t: f64) -> String {
    let t = t.round() as i64;
    format!("{:02}:{:02}", t / 60, t % 60)
}

/// The 8 commonly observed US federal holidays of `year`, on their observed
/// dates (Saturday -> Friday before, Sunday -> Monday after). New Year's Day
/// of `year` may be observed on Dec 31 of the year before.
pub fn us_federal_holidays(year: i32) -> Vec<NaiveDate> {
    let fixed = |m, d| observed(NaiveDate::from_ymd_opt(year, m, d));
    let nth = |m, wd, n| NaiveDate::from_weekday_of_month_opt(year, m, wd, n);
    let last_monday_of_may = (1..=31)
        .rev()
        .filter_map(|d| NaiveDate::from_ymd_opt(year, 5, d))
        .find(|d| d.weekday() == Weekday::Mon);
    [
        fixed(1, 1),              // New Year's Day
        nth(1, Weekday::Mon, 3),  // Martin Luther King Jr. Day
        nth(2, Weekday::Mon, 3),  // Presidents' Day
        last_monday_of_may,       // Memorial Day
        fixed(7, 4),              // Independence Day
        nth(9, Weekday::Mon, 1),  // Labor Day
        nth(11, Weekday::Thu, 4), // Thanksgiving
        fixed(12, 25),            // Christmas
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn observed(d: Option<NaiveDate>) -> Option<NaiveDate> {
    d.map(|d| match d.weekday() {
        Weekday::Sat => d - Duration::days(1),
        Weekday::Sun => d + Duration::days(1),
        _ => d,
    })
}

/// "to allow it: --set rooms.group-room.count=2 (in a file: count = 2 in
/// that [[rooms]] table)": the override that lifts a room limit, the room
/// addressed by name when `--set` can read it back, else by index.
fn room_fix(index: usize, room: &Room, key: &str, value: u32) -> String {
    let by_name = !room.name.is_empty()
        && room.name.parse::<usize>().is_err()
        && !room
            .name
            .chars()
            .any(|c| c == '.' || c == '=' || c.is_whitespace() || c.is_control());
    let address = if by_name {
        room.name.clone()
    } else {
        index.to_string()
    };
    format!(
        "to allow it: --set rooms.{address}.{key}={value} (in a file: {key} = {value} in that [[rooms]] table)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{load_str, ScenarioError};

    /// Two units (an inpatient ward stepping down into a one-track IOP), one
    /// room, one role: small enough that each test's edit is the only problem.
    const BASE: &str = r#"
name = "t"
[simulation]
start_date = "2027-01-04"
weeks = 4

[[referrals]]
name = "community"
to = "iop"
per_week = 2

[[units]]
name = "inpatient"
kind = "beds"
capacity = 10
stay = { dist = "lognormal", mean = 9, sd = 4 }
on_discharge = { iop = 0.5, php = 0.2 }

[[units]]
name = "iop"
kind = "sessions"
episode = { weeks = 12 }

[[units.tracks]]
name = "morning"
days = ["mon", "wed", "fri"]
start = "09:00"
hours = 3
group_size = 10
room = "room-a"

[[rooms]]
name = "room-a"
seats = 12

[[staff]]
role = "therapist"
fte = 1

[[workload]]
activity = "group_session"
role = "therapist"
hours = 3
"#;

    fn load(text: &str, sets: &[&str]) -> Result<Scenario, ScenarioError> {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        load_str(text, "test.toml", &sets)
    }

    /// The problems, as "path: message" lines.
    fn problems(text: &str, sets: &[&str]) -> Vec<String> {
        match load(text, sets) {
            Err(ScenarioError::Invalid { problems, .. }) => {
                problems.iter().map(|p| p.to_string()).collect()
            }
            Err(other) => panic!("expected Invalid, got {other}"),
            Ok(_) => panic!("expected problems, the scenario loaded"),
        }
    }

    fn assert_has(problems: &[String], expected: &str) {
        assert!(
            problems.iter().any(|p| p == expected),
            "missing {expected:?} in:\n{}",
            problems.join("\n")
        );
    }

    fn sessions(s: &Scenario, unit: usize) -> &SessionUnit {
        match &s.units[unit].kind {
            UnitKind::Sessions(x) => x,
            UnitKind::Beds(_) => panic!("unit {unit} is not a sessions unit"),
        }
    }

    #[test]
    fn base_loads_with_defaults_and_resolved_references() {
        let s = load(BASE, &[]).unwrap();
        assert_eq!(s.simulation.trials, 1000);
        assert_eq!(s.simulation.seed, 1);
        assert_eq!(s.simulation.warmup_weeks, 0);
        assert_eq!(s.referrals[0].to, 1);
        assert_eq!(s.referrals[0].weekdays, [1.0; 7]);
        assert_eq!(s.referrals[0].priority, 1);
        let UnitKind::Beds(b) = &s.units[0].kind else {
            panic!("beds")
        };
        assert_eq!(b.handoff, Handoff::GoHome);
        assert_eq!(
            b.on_discharge.shares,
            vec![
                (Destination::Unit(1), 0.5),
                (Destination::Exit("php".into()), 0.2)
            ]
        );
        let iop = sessions(&s, 1);
        assert_eq!(iop.admission, Admission::Rolling);
        assert_eq!(iop.stepup_to, Destination::Exit("stepped_up".into()));
        assert_eq!(iop.tracks[0].share, 1.0);
        assert_eq!(iop.tracks[0].start_minute, 9 * 60);
        assert_eq!(iop.tracks[0].room, Some(0));
        assert_eq!(s.units[1].waitlist.capacity, None);
        assert!(s.calendar.holidays.is_empty());
    }

    #[test]
    fn probability_outside_unit_interval() {
        let p = problems(
            BASE,
            &["units.iop.attendance=1.2", "referrals.community.show=-0.1"],
        );
        assert_has(
            &p,
            "units[1].attendance: must be a probability in [0, 1], got 1.2",
        );
        assert_has(
            &p,
            "referrals[0].show: must be a probability in [0, 1], got -0.1",
        );
        assert_eq!(p.len(), 2, "{p:?}");
    }

    #[test]
    fn negative_and_zero_rates_and_sizes() {
        let p = problems(
            BASE,
            &[
                "referrals.community.per_week=-1",
                "units.iop.tracks.morning.group_size=0",
                "units.iop.tracks.morning.groups=-2",
                "units.inpatient.capacity=0",
                "rooms.room-a.seats=0",
                "staff.therapist.fte=-0.5",
                "simulation.weeks=0",
                "units.iop.tracks.morning.hours=0",
                "units.iop.waitlist={ capacity = -1 }",
                "referrals.community.priority=300",
            ],
        );
        for expected in [
            "referrals[0].per_week: must be >= 0, got -1",
            "units[1].tracks[0].group_size: must be an integer >= 1, got 0",
            "units[1].tracks[0].groups: must be an integer >= 1, got -2",
            "units[0].capacity: must be an integer >= 1, got 0",
            "rooms[0].seats: must be an integer >= 1, got 0",
            "staff[0].fte: must be >= 0, got -0.5",
            "simulation.weeks: must be an integer >= 1, got 0",
            "units[1].tracks[0].hours: must be > 0, got 0",
            "units[1].waitlist.capacity: must be an integer >= 0, got -1",
            "referrals[0].priority: must be an integer <= 255, got 300",
        ] {
            assert_has(&p, expected);
        }
    }

    #[test]
    fn nan_and_infinity_are_problems_not_panics() {
        let text = BASE
            .replace("per_week = 2", "per_week = nan")
            .replace("hours = 3\n", "hours = inf\n");
        let p = problems(
            &text,
            &["units.iop.attendance=nan", "units.inpatient.stay.mean=inf"],
        );
        assert_has(
            &p,
            "referrals[0].per_week: must be a finite number, got NaN",
        );
        assert_has(&p, "units[1].attendance: must be a finite number, got NaN");
        assert_has(
            &p,
            "units[1].tracks[0].hours: must be a finite number, got inf",
        );
        assert_has(&p, "workload[0].hours: must be a finite number, got inf");
        assert_has(
            &p,
            "units[0].stay.mean: must be a finite number > 0, got inf",
        );
    }

    #[test]
    fn routing_shares_over_one_and_routing_to_itself() {
        let p = problems(
            BASE,
            &[
                "units.inpatient.on_discharge={ iop = 0.7, php = 0.4 }",
                "units.iop.on_completion={ iop = 0.5 }",
            ],
        );
        assert_has(&p, "units[0].on_discharge: shares sum to 1.1; they must sum to at most 1 (the remainder leaves care as 'home')");
        assert_has(
            &p,
            "units[1].on_completion.iop: unit 'iop' cannot send patients to itself",
        );
        assert_eq!(p.len(), 2, "{p:?}");
    }

    #[test]
    fn unknown_unit_room_and_role_references() {
        let p = problems(
            BASE,
            &[
                "referrals.community.to=iopp",
                "units.iop.tracks.morning.room=room-b",
                "workload.0.role=nurse",
                "workload.0.unit=ward",
            ],
        );
        assert_eq!(
            p,
            vec![
                "referrals[0].to: no unit named 'iopp'; units are: inpatient, iop",
                "units[1].tracks[0].room: no room named 'room-b'; rooms are: room-a",
                "workload[0].role: no staff role 'nurse'; roles are: therapist",
                "workload[0].unit: no unit named 'ward'; units are: inpatient, iop",
            ]
        );
    }

    #[test]
    fn room_double_booking_names_day_time_and_tracks() {
        let text = format!(
            "{BASE}\n{}",
            r#"
[[units]]
name = "iop2"
kind = "sessions"
episode = { sessions = 24 }
[[units.tracks]]
name = "late"
days = ["wed", "fri", "sat"]
start = "11:00"
hours = 2
groups = 2
group_size = 8
room = "room-a"
"#
        );
        let p = problems(&text, &[]);
        assert_eq!(
            p,
            vec![
                "rooms[0]: 'room-a' is double-booked on wed, fri at 11:00: 3 groups at once (iop/morning x1, iop2/late x2) but count = 1; to allow it: --set rooms.room-a.count=3 (in a file: count = 3 in that [[rooms]] table)",
                // Two groups of one track need two rooms, even alone.
                "rooms[0]: 'room-a' is double-booked on sat at 11:00: 2 groups at once (iop2/late x2) but count = 1; to allow it: --set rooms.room-a.count=3 (in a file: count = 3 in that [[rooms]] table)",
            ]
        );
        // The suggested --set lifts both.
        assert_eq!(suggested_set(&p[0]), "rooms.room-a.count=3");
        assert!(load(&text, &[&suggested_set(&p[0])]).is_ok());
        // Two identical rooms take both groups but not all three.
        let p = problems(&text, &["rooms.room-a.count=2"]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("3 groups at once"), "{p:?}");
        assert!(load(&text, &["rooms.room-a.count=3"]).is_ok());
        // Back-to-back sessions do not overlap: [09:00, 12:00) then [12:00, 14:00).
        assert!(load(
            &text,
            &[
                "units.iop2.tracks.late.start=12:00",
                "units.iop2.tracks.late.groups=1"
            ]
        )
        .is_ok());
    }

    #[test]
    fn group_larger_than_its_room() {
        let p = problems(BASE, &["units.iop.tracks.morning.group_size=16"]);
        assert_eq!(
            p,
            vec!["units[1].tracks[0].group_size: groups of 16 do not fit room 'room-a' (12 seats); to allow it: --set rooms.room-a.seats=16 (in a file: seats = 16 in that [[rooms]] table)"]
        );
        let fix = suggested_set(&p[0]);
        assert!(load(BASE, &["units.iop.tracks.morning.group_size=16", &fix]).is_ok());
        // A room named like an index, or with a dot, is addressed by index.
        let text = BASE.replace("\"room-a\"", "\"7\"");
        let p = problems(&text, &["units.iop.tracks.morning.group_size=13"]);
        let fix = suggested_set(&p[0]);
        assert_eq!(fix, "rooms.0.seats=13");
        assert!(load(&text, &["units.iop.tracks.morning.group_size=13", &fix]).is_ok());
    }

    /// The `--set KEY=VALUE` a room problem suggests.
    fn suggested_set(problem: &str) -> String {
        let (_, rest) = problem.split_once("--set ").expect(problem);
        rest.split_whitespace().next().unwrap().to_string()
    }

    #[test]
    fn the_default_room_problems_suggest_a_set_that_lifts_them() {
        let default = crate::scenario::DEFAULT_TOML;
        for (set, key) in [
            ("units.iop.tracks.evening.groups=2", "count"),
            ("units.iop.tracks.evening.group_size=15", "seats"),
        ] {
            let p = problems(default, &[set]);
            assert_eq!(p.len(), 1, "{p:?}");
            let fix = suggested_set(&p[0]);
            assert!(
                fix.starts_with(&format!("rooms.group-room.{key}=")),
                "{fix}"
            );
            assert!(load(default, &[set, &fix]).is_ok(), "{set} {fix}");
        }
    }

    #[test]
    fn malformed_dates() {
        let text = BASE.replace("\"2027-01-04\"", "\"2027-13-01\"");
        let p = problems(
            &text,
            &["calendar.holidays=[\"2027-02-30\", 2027-12-24, \"Dec 24\"]"],
        );
        assert_eq!(
            p,
            vec![
                "simulation.start_date: '2027-13-01' is not a date; write YYYY-MM-DD, e.g. \"2027-01-04\"",
                "calendar.holidays[0]: '2027-02-30' is not a date; write YYYY-MM-DD, e.g. \"2027-01-04\"",
                "calendar.holidays[2]: 'Dec 24' is not a date; write YYYY-MM-DD, e.g. \"2027-01-04\"",
            ]
        );
        // A bare TOML date works as well as a quoted one.
        let s = load(&BASE.replace("\"2027-01-04\"", "2027-01-04"), &[]).unwrap();
        assert_eq!(
            s.simulation.start_date,
            NaiveDate::from_ymd_opt(2027, 1, 4).unwrap()
        );
    }

    #[test]
    fn malformed_times_and_sessions_past_midnight() {
        for (start, shown) in [
            ("25:00", "25:00"),
            ("9am", "9am"),
            ("09:60", "09:60"),
            ("0900", "0900"),
        ] {
            let p = problems(BASE, &[&format!("units.iop.tracks.morning.start={start}")]);
            assert_eq!(
                p,
                vec![format!("units[1].tracks[0].start: '{shown}' is not a time of day; write HH:MM between 00:00 and 23:59")]
            );
        }
        let p = problems(BASE, &["units.iop.tracks.morning.start=22:00"]);
        assert_eq!(
            p,
            vec!["units[1].tracks[0].hours: a session starting at 22:00 and lasting 3 h would end after midnight; sessions must end by 24:00"]
        );
        assert!(load(BASE, &["units.iop.tracks.morning.start=21:00"]).is_ok());
    }

    #[test]
    fn bad_and_duplicate_weekdays() {
        let p = problems(
            BASE,
            &["units.iop.tracks.morning.days=[\"mon\", \"tue\", \"mnd\", \"mon\"]"],
        );
        assert_eq!(
            p,
            vec![
                "units[1].tracks[0].days[2]: 'mnd' is not a weekday; allowed: mon, tue, wed, thu, fri, sat, sun",
                "units[1].tracks[0].days[3]: 'mon' is listed twice",
            ]
        );
        let p = problems(BASE, &["units.iop.tracks.morning.days=[]"]);
        assert_eq!(p, vec!["units[1].tracks[0].days: must list at least one day; allowed: mon, tue, wed, thu, fri, sat, sun"]);
        // Stored sorted Mon..Sun whatever the order written.
        let s = load(
            BASE,
            &["units.iop.tracks.morning.days=[\"fri\", \"mon\", \"wed\"]"],
        )
        .unwrap();
        assert_eq!(
            sessions(&s, 1).tracks[0].days,
            vec![Weekday::Mon, Weekday::Wed, Weekday::Fri]
        );
    }

    #[test]
    fn bad_dist_name() {
        let p = problems(BASE, &["units.inpatient.stay.dist=lognorm"]);
        assert_eq!(
            p,
            vec![format!(
                "units[0].stay.dist: 'lognorm' is not a distribution; allowed: {DIST_NAMES}"
            )]
        );
        let p = problems(BASE, &["units.inpatient.stay={ mean = 9 }"]);
        assert_eq!(
            p,
            vec![format!(
                "units[0].stay.dist: missing; allowed: {DIST_NAMES}"
            )]
        );
    }

    #[test]
    fn missing_and_extra_dist_keys() {
        let p = problems(
            BASE,
            &[
                "units.inpatient.stay={ dist = \"lognormal\", mean = 9, max = 30 }",
                "units.iop.waitlist.patience={ dist = \"empirical\", values = [1, 2], weights = [1] }",
            ],
        );
        assert_eq!(
            p,
            vec![
                "units[0].stay: lognormal takes mean and sd; 'sd' is missing",
                "units[0].stay.max: lognormal takes mean and sd; 'max' is not used",
                "units[1].waitlist.patience.weights: has 1 entries but values has 2",
            ]
        );
        // Dist::new's own checks arrive with the parameter's path.
        let p = problems(
            BASE,
            &["units.inpatient.stay={ dist = \"uniform\", min = 5, max = 2 }"],
        );
        assert_eq!(
            p,
            vec!["units[0].stay.min: must be < max, got min = 5, max = 2"]
        );
    }

    #[test]
    fn unsafe_scenario_names() {
        for bad in ["../../etc", "a/b", "my program", ".hidden", ""] {
            let p = problems(BASE, &[&format!("name=\"{bad}\"")]);
            assert_eq!(p.len(), 1, "{bad}: {p:?}");
            assert!(
                p[0].starts_with(&format!("name: '{bad}' is not a safe name")),
                "{p:?}"
            );
            assert!(p[0].contains("no slashes or spaces"), "{p:?}");
        }
        assert!(load(BASE, &["name=site_2.v3-final"]).is_ok());
    }

    #[test]
    fn keys_of_the_wrong_kind() {
        let p = problems(
            BASE,
            &[
                "units.iop.capacity=20",
                "units.inpatient.tracks=[]",
                "units.inpatient.attendance=0.9",
            ],
        );
        assert_eq!(
            p,
            vec![
                "units[0].attendance: attendance is for kind = \"sessions\"",
                "units[0].tracks: tracks is for kind = \"sessions\"; a beds unit sizes itself by capacity",
                "units[1].capacity: capacity is for kind = \"beds\"; a sessions unit sizes itself by tracks (groups x group_size)",
            ]
        );
        let p = problems(BASE, &["units.iop.kind=bed"]);
        assert_eq!(
            p,
            vec!["units[1].kind: 'bed' is not a unit kind; allowed: beds, sessions"]
        );
    }

    #[test]
    fn cohort_weeks_goes_with_cohort_admission() {
        let p = problems(BASE, &["units.iop.admission=cohort"]);
        assert_eq!(p, vec!["units[1].cohort_weeks: missing; admission = \"cohort\" needs cohort_weeks (weeks between cohort starts)"]);
        let p = problems(BASE, &["units.iop.cohort_weeks=4"]);
        assert_eq!(
            p,
            vec!["units[1].cohort_weeks: cohort_weeks is only used with admission = \"cohort\""]
        );
        let p = problems(BASE, &["units.iop.admission=closed"]);
        assert_eq!(p, vec!["units[1].admission: 'closed' is not an admission mode; allowed: rolling, cohort, continuous"]);
    }

    #[test]
    fn episode_takes_exactly_one_form() {
        let p = problems(BASE, &["units.iop.episode={ weeks = 6, sessions = 18 }"]);
        assert_eq!(p, vec!["units[1].episode: give exactly one of weeks, sessions or a dist table; got weeks and sessions"]);
        let p = problems(BASE, &["units.iop.episode={}"]);
        assert_eq!(p, vec!["units[1].episode: empty; give { weeks = N }, { sessions = N } or a dist table in days"]);
        let s = load(
            BASE,
            &["units.iop.episode={ dist = \"gamma\", mean = 60, sd = 20 }"],
        )
        .unwrap();
        assert!(matches!(&sessions(&s, 1).episode, Episode::Days(d) if d.mean() == 60.0));
        let s = load(BASE, &["units.iop.episode={ sessions = 24 }"]).unwrap();
        assert!(matches!(sessions(&s, 1).episode, Episode::Sessions(24)));
    }

    #[test]
    fn track_shares_all_or_none_and_sum_to_one() {
        let two = format!(
            "{BASE}\n{}",
            "[[units.tracks]]\nname = \"evening\"\ndays = [\"mon\"]\nstart = \"18:00\"\nhours = 3\ngroup_size = 10\n"
        );
        let s = load(&two, &[]).unwrap();
        assert_eq!(
            sessions(&s, 1)
                .tracks
                .iter()
                .map(|t| t.share)
                .collect::<Vec<_>>(),
            vec![0.5, 0.5]
        );
        let p = problems(&two, &["units.iop.tracks.evening.share=0.3"]);
        assert_eq!(
            p,
            vec!["units[1].tracks[0].share: missing; other tracks of this unit give a share, so every track must (or none, for an equal split)"]
        );
        let p = problems(
            &two,
            &[
                "units.iop.tracks.evening.share=0.3",
                "units.iop.tracks.morning.share=0.6",
            ],
        );
        assert_eq!(
            p,
            vec!["units[1].tracks: track shares sum to 0.9; they must sum to 1"]
        );
    }

    #[test]
    fn phases_increase_and_fit_every_track() {
        let p = problems(
            BASE,
            &["units.iop.phases=[{ from_week = 5, sessions_per_week = 2 }, { from_week = 5, sessions_per_week = 4 }, { from_week = 1, sessions_per_week = 1 }]"],
        );
        assert_eq!(
            p,
            vec![
                "units[1].phases[1].from_week: must be greater than the previous phase's from_week (5)",
                "units[1].phases[1].sessions_per_week: 4 sessions per week, but track 'morning' meets only 3 days a week",
                "units[1].phases[2].from_week: must be an integer >= 2, got 1",
            ]
        );
    }

    #[test]
    fn workload_activity_must_suit_the_unit() {
        let p = problems(
            BASE,
            &["workload.0.unit=inpatient", "workload.0.activity=dancing"],
        );
        assert_eq!(p, vec!["workload[0].activity: 'dancing' is not an activity; allowed: group_session, individual, family, medication, intake, bed_day"]);
        let p = problems(BASE, &["workload.0.unit=inpatient"]);
        assert_eq!(p, vec!["workload[0].unit: group_session applies to sessions units, but 'inpatient' is a beds unit"]);
        let p = problems(
            BASE,
            &["workload.0.unit=iop", "workload.0.activity=bed_day"],
        );
        assert_eq!(
            p,
            vec!["workload[0].unit: bed_day applies to beds units, but 'iop' is a sessions unit"]
        );
        assert!(load(
            BASE,
            &["workload.0.unit=inpatient", "workload.0.activity=bed_day"]
        )
        .is_ok());
    }

    #[test]
    fn workload_hours_may_follow_the_session_length() {
        let s = load(
            BASE,
            &["workload.0.hours={ per_session_hour = 1, extra = 0.5 }"],
        )
        .unwrap();
        let w = &s.workload[0];
        assert_eq!((w.hours, w.per_session_hour), (0.5, 1.0));
        let s = load(BASE, &["workload.0.hours={ per_session_hour = 2 }"]).unwrap();
        assert_eq!(
            (s.workload[0].hours, s.workload[0].per_session_hour),
            (0.0, 2.0)
        );
        let s = load(BASE, &[]).unwrap();
        assert_eq!(
            (s.workload[0].hours, s.workload[0].per_session_hour),
            (3.0, 0.0)
        );

        let p = problems(
            BASE,
            &["workload.0.hours={ per_session_hour = -1, extra = inf, per_hour = 2 }"],
        );
        assert_has(&p, "workload[0].hours.per_hour: unknown key 'per_hour'; allowed here: per_session_hour, extra");
        assert_has(
            &p,
            "workload[0].hours.per_session_hour: must be >= 0, got -1",
        );
        assert_has(
            &p,
            "workload[0].hours.extra: must be a finite number, got inf",
        );
        assert_eq!(p.len(), 3, "{p:?}");
        let p = problems(BASE, &["workload.0.hours={ extra = nan }"]);
        assert_eq!(
            p,
            vec!["workload[0].hours.extra: must be a finite number, got NaN"]
        );
        let p = problems(BASE, &["workload.0.hours={ per_session_hour = \"1\" }"]);
        assert_eq!(
            p,
            vec!["workload[0].hours.per_session_hour: must be a number >= 0 (staff hours); got a string ('1')"]
        );
        let p = problems(BASE, &["workload.0.hours={}"]);
        assert_eq!(p, vec!["workload[0].hours: give per_session_hour (staff hours per hour of the session's length) and/or extra (fixed staff hours per session held), e.g. { per_session_hour = 1, extra = 0.5 }"]);
        // A wrong type is a problem with the key, not a serde error.
        let p = problems(BASE, &["workload.0.hours=three"]);
        assert_eq!(p, vec!["workload[0].hours: must be a number of staff hours per occurrence, or for a group_session a table such as { per_session_hour = 1, extra = 0.5 }; got a string ('three')"]);
        let p = problems(BASE, &["workload.0.hours=[1, 2]"]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].ends_with("got a list"), "{p:?}");
        let p = problems(BASE, &["workload.0.hours=-1"]);
        assert_eq!(p, vec!["workload[0].hours: must be >= 0, got -1"]);
        // Only a group session's hours follow the session's length.
        let p = problems(
            BASE,
            &[
                "workload.0.activity=individual",
                "workload.0.hours={ per_session_hour = 1 }",
            ],
        );
        assert_eq!(p, vec!["workload[0].hours: a table of hours ({ per_session_hour, extra }) is for activity = \"group_session\", whose staff hours can follow the session's length; for individual give a number of staff hours per occurrence"]);
    }

    /// BASE with a second sessions unit, `day`, whose one track is also
    /// named `morning`.
    fn two_session_units() -> String {
        format!(
            "{BASE}
[[units]]
name = \"day\"
kind = \"sessions\"
episode = {{ weeks = 6 }}

[[units.tracks]]
name = \"morning\"
days = [\"tue\"]
start = \"13:00\"
hours = 2
group_size = 8
"
        )
    }

    #[test]
    fn workload_track_must_be_a_track_of_its_unit() {
        let individual = "workload.0.activity=individual";
        let s = load(BASE, &[individual, "workload.0.track=morning"]).unwrap();
        assert_eq!(
            (s.workload[0].unit, s.workload[0].track),
            (Some(1), Some(0))
        );
        let s = load(
            &two_session_units(),
            &[
                individual,
                "workload.0.track=morning",
                "workload.0.unit=day",
            ],
        )
        .unwrap();
        assert_eq!(
            (s.workload[0].unit, s.workload[0].track),
            (Some(2), Some(0))
        );

        let p = problems(BASE, &["workload.0.track=morning"]);
        assert_eq!(p, vec!["workload[0].track: a track is for per-patient activities (individual, family, medication), not group_session: they follow the census of the track's patients"]);
        let p = problems(BASE, &[individual, "workload.0.track=evening"]);
        assert_eq!(p, vec!["workload[0].track: no sessions unit has a track named 'evening'; tracks are: iop.morning"]);
        let p = problems(
            BASE,
            &[
                individual,
                "workload.0.track=evening",
                "workload.0.unit=iop",
            ],
        );
        assert_eq!(
            p,
            vec!["workload[0].track: unit 'iop' has no track 'evening'; its tracks are: morning"]
        );
        let p = problems(
            &two_session_units(),
            &[individual, "workload.0.track=morning"],
        );
        assert_eq!(p, vec!["workload[0].track: units iop, day each have a track named 'morning'; give unit to say which"]);
        // A bed unit's problem is the unit's, once.
        let p = problems(
            BASE,
            &[
                individual,
                "workload.0.track=morning",
                "workload.0.unit=inpatient",
            ],
        );
        assert_eq!(p, vec!["workload[0].unit: individual applies to sessions units, but 'inpatient' is a beds unit"]);
    }

    #[test]
    fn workload_every_weeks_by_phase_needs_the_unit_s_phases() {
        let individual = "workload.0.activity=individual";
        let phases = "units.iop.phases=[{ from_week = 5, sessions_per_week = 2 }]";
        let s = load(
            BASE,
            &[individual, phases, "workload.0.every_weeks_by_phase=[1, 2]"],
        )
        .unwrap();
        assert_eq!(s.workload[0].every_weeks_by_phase, vec![1.0, 2.0]);
        assert!(s.workload[0].scoped());

        let p = problems(
            BASE,
            &[individual, "workload.0.every_weeks_by_phase=[1, 2]"],
        );
        assert_eq!(p, vec!["workload[0].every_weeks_by_phase: steps down with the phases of unit 'iop', which has none; add phases to it (units.phases), give unit to name a unit with phases, or give every_weeks"]);
        let p = problems(
            BASE,
            &[
                individual,
                phases,
                "workload.0.every_weeks_by_phase=[1, 2, 4]",
            ],
        );
        assert_eq!(p, vec!["workload[0].every_weeks_by_phase: must have 2 numbers for unit 'iop' (every_weeks before its first phase, then one per phase: 1 phase + 1), got 3"]);
        let p = problems(
            BASE,
            &[
                individual,
                phases,
                "workload.0.every_weeks_by_phase=[1, 0]",
                "workload.0.every_weeks=2",
            ],
        );
        assert_eq!(
            p,
            vec![
                "workload[0].every_weeks_by_phase: give every_weeks or every_weeks_by_phase, not both (every_weeks_by_phase gives every_weeks before the unit's first phase, then in each phase)",
                "workload[0].every_weeks_by_phase[1]: must be > 0, got 0",
            ]
        );
        let p = problems(BASE, &[phases, "workload.0.every_weeks_by_phase=[1, 2]"]);
        assert_eq!(p, vec!["workload[0].every_weeks_by_phase: only per-patient activities (individual, family, medication) step down by phase, not group_session"]);
        // Without a unit, every sessions unit must have the phases; with
        // one (or a track's), only that unit.
        let p = problems(
            &two_session_units(),
            &[individual, phases, "workload.0.every_weeks_by_phase=[1, 2]"],
        );
        assert_eq!(p, vec!["workload[0].every_weeks_by_phase: steps down with the phases of unit 'day', which has none; add phases to it (units.phases), give unit to name a unit with phases, or give every_weeks"]);
        for scope in ["workload.0.unit=iop", "workload.0.track=morning"] {
            let sets = [
                individual,
                phases,
                "workload.0.every_weeks_by_phase=[1, 2]",
                "workload.0.unit=iop",
                scope,
            ];
            assert!(load(&two_session_units(), &sets).is_ok(), "{scope}");
        }
    }

    #[test]
    fn referral_weights_and_growth() {
        let p = problems(
            BASE,
            &[
                "referrals.community.weekdays=[0, 0, 0, 0, 0, 0, 0]",
                "referrals.community.months=[1, 1]",
                "referrals.community.growth_per_year=-1",
            ],
        );
        assert_eq!(
            p,
            vec![
                "referrals[0].weekdays: all weekday weights are 0; at least one must be > 0",
                "referrals[0].months: must have 12 numbers (Jan..Dec), got 2",
                "referrals[0].growth_per_year: must be > -1 (a yearly change of more than -100%), got -1",
            ]
        );
    }

    #[test]
    fn horizon_is_capped_at_100_years() {
        let p = problems(
            BASE,
            &["simulation.weeks=5000", "simulation.warmup_weeks=300"],
        );
        assert_eq!(p, vec!["simulation.weeks: weeks + warmup_weeks = 5300 is more than 5200 weeks (100 years); shorten the horizon"]);
    }

    #[test]
    fn missing_required_keys_and_duplicate_names() {
        let text = "name = \"x\"\n[[units]]\nname = \"a\"\nkind = \"beds\"\n[[units]]\nname = \"a\"\nkind = \"beds\"\ncapacity = 2\nstay = { dist = \"fixed\", value = 3 }\n";
        let p = problems(text, &[]);
        assert_eq!(
            p,
            vec![
                "simulation: missing; add a [simulation] table with at least start_date and weeks",
                "units[1].name: 'a' is already used by units[0]; names must be unique",
                "units[0].capacity: missing; number of beds",
                "units[0].stay: missing; length of stay in days, e.g. { dist = \"lognormal\", mean = 9, sd = 5 }",
            ]
        );
        let p = problems(
            "name = \"x\"\n[simulation]\nstart_date = \"2027-01-04\"\nweeks = 1\n",
            &[],
        );
        assert_eq!(
            p,
            vec!["units: no units; define at least one [[units]] table"]
        );
    }

    #[test]
    fn federal_holidays_use_observed_dates() {
        let d = |m, day| NaiveDate::from_ymd_opt(2027, m, day).unwrap();
        // 2027: Jan 1 is a Friday; Jul 4 a Sunday (-> Mon 5th); Dec 25 a Saturday (-> Fri 24th).
        assert_eq!(
            us_federal_holidays(2027),
            vec![
                d(1, 1),
                d(1, 18),
                d(2, 15),
                d(5, 31),
                d(7, 5),
                d(9, 6),
                d(11, 25),
                d(12, 24)
            ]
        );
        // New Year's Day 2028 is a Saturday, observed on Friday 2027-12-31, inside a 2027 horizon.
        let s = load(
            BASE,
            &[
                "calendar.us_federal_holidays=true",
                "calendar.holidays=[\"2027-03-01\", \"2027-01-01\"]",
                "simulation.weeks=52",
            ],
        )
        .unwrap();
        assert!(s.calendar.us_federal_holidays);
        assert_eq!(s.calendar.holidays.len(), 10, "{:?}", s.calendar.holidays);
        assert_eq!(s.calendar.holidays[0], d(1, 1));
        assert_eq!(s.calendar.holidays[2], d(2, 15));
        assert_eq!(s.calendar.holidays[3], d(3, 1));
        assert_eq!(*s.calendar.holidays.last().unwrap(), d(12, 31));
    }
}
