//! Values of the wrong type (`hours = "3h"`, `show = "72%"`, `episode = 12`)
//! as [`Problem`]s in plain words, reported with every other problem.
//!
//! serde stops at the first value it cannot read. [`deserialize`] records
//! it (its key path from `serde_path_to_error`, what the key takes, what was
//! found, and where: the file's line:column or the `--set` that wrote it),
//! removes the value from the document and reads the document again, up to
//! [`MAX_TYPE_ERRORS`] times, so that validation still runs on the rest.
//! [`is_follow_on`] tells which of validation's problems come only from
//! such a removal ("missing" at the same key).

use toml::Value;

use super::error::Problem;
use super::overrides::{fmt_path, Applied, Seg};
use super::raw::RawScenario;

/// Type errors reported before giving up on the rest of the file.
pub const MAX_TYPE_ERRORS: usize = 50;

/// The outcome of reading the document into the raw structs.
pub struct Read {
    /// `None` when the document still could not be read after
    /// [`MAX_TYPE_ERRORS`] removals (or a value could not be removed).
    pub raw: Option<RawScenario>,
    /// Keys the structs do not know, from the last reading.
    pub ignored: Vec<Vec<Seg>>,
    /// One problem per value of the wrong type.
    pub problems: Vec<Problem>,
    /// Where values (or whole lists) were removed.
    pub removed: Vec<Vec<Seg>>,
}

/// Reads `doc` into a [`RawScenario`], turning each value of the wrong type
/// into a problem and removing it from `doc` (a wrong list element removes
/// its whole list). `text` is the file, for line:column; `applied` the
/// overrides, to blame a value one of them wrote.
pub fn deserialize(doc: &mut Value, text: &str, applied: &[Applied]) -> Read {
    let mut problems = Vec::new();
    let mut removed = Vec::new();
    let mut spans: Option<Option<toml_edit::ImDocument<&str>>> = None;
    loop {
        let mut ignored: Vec<Vec<Seg>> = Vec::new();
        let mut note = |p: serde_ignored::Path| ignored.push(ignored_segments(&p));
        let de = serde_ignored::Deserializer::new(doc.clone(), &mut note);
        let error = match serde_path_to_error::deserialize::<_, RawScenario>(de) {
            Ok(raw) => {
                return Read {
                    raw: Some(raw),
                    ignored,
                    problems,
                    removed,
                }
            }
            Err(e) => e,
        };
        let path: Option<Vec<Seg>> = error
            .path()
            .iter()
            .map(|seg| match seg {
                serde_path_to_error::Segment::Seq { index } => Some(Seg::Index(*index)),
                serde_path_to_error::Segment::Map { key } => Some(Seg::Key(key.clone())),
                _ => None,
            })
            .collect();
        let serde_message = error.inner().to_string();
        let found = path.as_deref().and_then(|p| get(doc, p)).cloned();
        let (Some(path), Some(found)) = (path, found) else {
            // Nowhere to point at or nothing to remove: say what serde said.
            problems.push(Problem::new(
                error.path().to_string(),
                plain_serde(serde_message.trim_end()),
            ));
            return Read {
                raw: None,
                ignored,
                problems,
                removed,
            };
        };
        let mut message = format!(
            "expected {}; got {}",
            expected(&path, &serde_message),
            describe(&found)
        );
        let where_ = match applied.iter().rev().find(|a| path.starts_with(&a.target)) {
            Some(a) => {
                message.push_str(&format!(
                    " (set on the command line at {})",
                    fmt_path(&path)
                ));
                format!("--set {}", a.key)
            }
            None => {
                let doc = spans.get_or_insert_with(|| toml_edit::ImDocument::parse(text).ok());
                if let Some((line, column)) = doc.as_ref().and_then(|d| position(d, &path)) {
                    message.push_str(&format!(" (line {line}, column {column})"));
                }
                fmt_path(&path)
            }
        };
        problems.push(Problem::new(where_, message));
        // A wrong element removes its list: the other elements keep their places.
        let mut gone = path;
        while matches!(gone.last(), Some(Seg::Index(_))) {
            gone.pop();
        }
        if problems.len() >= MAX_TYPE_ERRORS || !remove(doc, &gone) {
            if problems.len() >= MAX_TYPE_ERRORS {
                problems.push(Problem::new(
                    "(more)",
                    format!(
                        "{MAX_TYPE_ERRORS} values of the wrong type; fix these and check again for the rest"
                    ),
                ));
            }
            return Read {
                raw: None,
                ignored: Vec::new(),
                problems,
                removed,
            };
        }
        removed.push(gone);
    }
}

/// Whether a validation problem comes only from removing the value at one
/// of `removed`: it is at or under that key, or it is its table's "'key'
/// is missing".
pub fn is_follow_on(problem: &Problem, removed: &[Vec<Seg>]) -> bool {
    removed.iter().any(|r| {
        let at = fmt_path(r);
        let under = problem.path == at
            || problem
                .path
                .strip_prefix(&at)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['));
        let in_parent = match r.split_last() {
            Some((Seg::Key(k), parent)) => {
                problem.path == fmt_path(parent)
                    && problem.message.contains(&format!("'{k}'"))
                    && problem.message.contains("missing")
            }
            _ => false,
        };
        under || in_parent
    })
}

fn ignored_segments(path: &serde_ignored::Path) -> Vec<Seg> {
    let mut out = match path {
        serde_ignored::Path::Root => return Vec::new(),
        serde_ignored::Path::Seq { parent, .. }
        | serde_ignored::Path::Map { parent, .. }
        | serde_ignored::Path::Some { parent }
        | serde_ignored::Path::NewtypeStruct { parent }
        | serde_ignored::Path::NewtypeVariant { parent } => ignored_segments(parent),
    };
    match path {
        serde_ignored::Path::Seq { index, .. } => out.push(Seg::Index(*index)),
        serde_ignored::Path::Map { key, .. } => out.push(Seg::Key(key.clone())),
        _ => {}
    }
    out
}

fn get<'a>(doc: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    path.iter().try_fold(doc, |v, seg| match seg {
        Seg::Key(k) => v.as_table()?.get(k),
        Seg::Index(i) => v.as_array()?.get(*i),
    })
}

/// Removes the table entry at `path` (which ends in a key).
fn remove(doc: &mut Value, path: &[Seg]) -> bool {
    let Some((Seg::Key(key), parent)) = path.split_last() else {
        return false;
    };
    let mut cur = doc;
    for seg in parent {
        cur = match (seg, cur) {
            (Seg::Key(k), Value::Table(t)) => match t.get_mut(k) {
                Some(v) => v,
                None => return false,
            },
            (Seg::Index(i), Value::Array(a)) => match a.get_mut(*i) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    cur.as_table_mut()
        .is_some_and(|t| t.remove(key.as_str()).is_some())
}

/// Line and column (from 1) of the value at `path` in the file.
fn position(doc: &toml_edit::ImDocument<&str>, path: &[Seg]) -> Option<(usize, usize)> {
    let mut item = doc.as_item();
    for seg in path {
        item = match seg {
            Seg::Key(k) => item.get(k.as_str())?,
            Seg::Index(i) => item.get(*i)?,
        };
    }
    let start = item.span()?.start;
    let before = doc.raw().get(..start)?;
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    Some((line, column))
}

/// What was found, in words: `the text "3h"`, `the whole number 12`.
fn describe(v: &Value) -> String {
    fn short(s: String) -> String {
        const MAX: usize = 40;
        if s.chars().count() <= MAX {
            s
        } else {
            format!("{} ...", s.chars().take(MAX).collect::<String>())
        }
    }
    match v {
        Value::String(s) => format!("the text \"{}\"", short(s.clone())),
        Value::Integer(i) => format!("the whole number {i}"),
        Value::Float(x) => format!("the number {x}"),
        Value::Boolean(b) => format!("{b}"),
        Value::Datetime(d) => format!("the date {d}"),
        Value::Array(a) if a.is_empty() => "an empty list []".to_string(),
        Value::Array(_) => format!("the list {}", short(v.to_string())),
        Value::Table(t) => {
            let keys: Vec<&str> = t.keys().map(String::as_str).collect();
            if keys.is_empty() {
                "an empty table {}".to_string()
            } else {
                short(format!("a table with {}", keys.join(", ")))
            }
        }
    }
}

/// What a key takes, with an example, by the key's place in the language.
/// Keys within a map (routing shares, class shares) take the map's words.
fn expected(path: &[Seg], serde_message: &str) -> String {
    let keys: Vec<&str> = path
        .iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
        .collect();
    for n in (1..=keys.len()).rev() {
        let dotted = keys[..n].join(".");
        let key = keys[n - 1];
        let hit = WORDS
            .iter()
            .find(|(pattern, _)| *pattern == dotted)
            .or_else(|| WORDS.iter().find(|(pattern, _)| *pattern == key));
        if let Some((_, words)) = hit {
            return words.to_string();
        }
    }
    plain_expected(serde_message)
}

/// serde's expected type, in words, when the key is not in [`WORDS`].
fn plain_expected(serde_message: &str) -> String {
    let what = serde_message
        .rsplit_once("expected ")
        .map_or("", |(_, w)| w.trim_end());
    let words = if what.starts_with('f') {
        "a number, e.g. 2.5"
    } else if what.starts_with('i') || what.starts_with('u') {
        "a whole number, e.g. 3"
    } else if what.contains("string") {
        "text in quotes, e.g. \"text\""
    } else if what.contains("bool") {
        "true or false"
    } else if what.contains("sequence") {
        "a list, e.g. [1, 2]"
    } else {
        "a table { ... }"
    };
    words.to_string()
}

/// serde's own message with its Rust type names replaced.
fn plain_serde(message: &str) -> String {
    match message.split_once(", expected ") {
        Some((head, _)) => format!("expected {}; {head}", plain_expected(message)),
        None => message.to_string(),
    }
}

/// Plain words per key: a dotted pattern (`units.tracks.hours`, indices
/// left out) before a bare key name (`hours`). Examples are the syntax of
/// docs/scenario.md.
const WORDS: &[(&str, &str)] = &[
    // Sections.
    ("simulation", "a table, written [simulation]"),
    ("calendar", "a table, written [calendar]"),
    ("finance", "a table, written [finance]"),
    ("initial", "a table, written [initial]"),
    ("referrals", "tables, each written [[referrals]]"),
    ("units", "tables, each written [[units]]"),
    ("rooms", "tables, each written [[rooms]]"),
    ("staff", "tables, each written [[staff]]"),
    ("workload", "tables, each written [[workload]]"),
    ("classes", "tables, each written [[classes]]"),
    ("units.tracks", "tables, each written [[units.tracks]]"),
    ("finance.staff", "tables, each written [[finance.staff]]"),
    ("finance.payers", "a list of tables, e.g. payers = [{ name = \"medicare\", share = 0.3, per_day = 270 }]"),
    ("initial.patients", "tables, each written [[initial.patients]]"),
    // Top level and [simulation].
    ("name", "a name in quotes, e.g. name = \"iop\""),
    ("description", "text in quotes, e.g. description = \"Mid-size adult IOP\""),
    ("simulation.weeks", "a whole number of weeks, e.g. weeks = 52"),
    ("warmup_weeks", "a whole number of weeks, e.g. warmup_weeks = 26"),
    ("trials", "a whole number of trials, e.g. trials = 1000"),
    ("seed", "a whole number, e.g. seed = 1"),
    ("holidays", "a list of dates, e.g. holidays = [\"2027-12-24\"]"),
    ("us_federal_holidays", "true or false, e.g. us_federal_holidays = true"),
    // Referrals.
    ("to", "a unit name in quotes, e.g. to = \"iop\""),
    ("per_week", "a number of referrals a week, e.g. per_week = 1.9"),
    ("weekdays", "a list of 7 weights, Mon..Sun, e.g. weekdays = [1, 1, 1, 1, 1, 0, 0]"),
    ("months", "a list of 12 factors, Jan..Dec, e.g. months = [1.15, 1.05, 0.95, 0.95, 1, 1, 0.93, 1, 1.03, 1.03, 1.01, 0.9]"),
    ("growth_per_year", "a yearly growth rate, e.g. growth_per_year = 0.2 for +20% a year"),
    ("show", "a share between 0 and 1, e.g. show = 0.72"),
    ("units.intake.show", "a share between 0 and 1, e.g. show = 0.72, or [days waited, share] pairs, e.g. show = [[1, 0.72], [7, 0.38]]"),
    ("priority", "a whole number from 0 to 255, e.g. priority = 1"),
    ("class", "a class name in quotes, e.g. class = \"stepdown\""),
    ("referrals.classes", "a table of class shares, e.g. classes = { community = 0.7, stepdown = 0.3 }"),
    // Units.
    ("kind", "\"beds\" or \"sessions\", e.g. kind = \"sessions\""),
    ("waitlist", "a table, e.g. waitlist = { capacity = 60, patience = { dist = \"exponential\", mean = 25 } }"),
    ("units.capacity", "a whole number of beds, e.g. capacity = 20"),
    ("units.waitlist.capacity", "a whole number of places on the waitlist, e.g. capacity = 60"),
    ("transfer_priority", "a whole number from 0 to 255, e.g. transfer_priority = 0"),
    ("stay", "a distribution in days, e.g. stay = { dist = \"lognormal\", mean = 9, sd = 4 }"),
    ("patience", "a distribution in days, e.g. patience = { dist = \"exponential\", mean = 25 }"),
    ("after", "a distribution in days, e.g. after = { dist = \"lognormal\", mean = 120, sd = 60 }"),
    ("handoff", "\"go_home\" or \"wait_in_place\", e.g. handoff = \"wait_in_place\""),
    ("relapse", "a table, e.g. relapse = { share = 0.3, after = { dist = \"lognormal\", mean = 120, sd = 60 }, to = \"iop\" }"),
    ("transfer_show", "a share between 0 and 1, e.g. transfer_show = 0.9"),
    ("on_discharge", "a routing map of shares, e.g. on_discharge = { iop = 0.6 }"),
    ("on_completion", "a routing map of shares, e.g. on_completion = { outpatient = 0.8, alumni = 0.2 }"),
    ("on_stepup", "a routing map of shares, e.g. on_stepup = { php = 0.8, inpatient = 0.2 }"),
    ("on_dropout", "a routing map of shares, e.g. on_dropout = { outpatient = 0.3 }"),
    ("on_admin_discharge", "a routing map of shares, e.g. on_admin_discharge = { outpatient = 0.3 }"),
    ("admission", "\"rolling\", \"cohort\" or \"continuous\", e.g. admission = \"rolling\""),
    ("cohort_weeks", "a whole number of weeks, e.g. cohort_weeks = 12"),
    ("episode", "a table, e.g. episode = { weeks = 12 }, episode = { sessions = 36 } or episode = { dist = \"gamma\", mean = 60, sd = 20 }"),
    ("units.episode.weeks", "a whole number of weeks, e.g. episode = { weeks = 12 }"),
    ("units.episode.sessions", "a whole number of sessions, e.g. episode = { sessions = 36 }"),
    ("classes.episode.weeks", "a whole number of weeks, e.g. episode = { weeks = 12 }"),
    ("classes.episode.sessions", "a whole number of sessions, e.g. episode = { sessions = 36 }"),
    ("attendance", "a share between 0 and 1, e.g. attendance = 0.88"),
    ("attendance_sd", "a number, 0 or more, e.g. attendance_sd = 0.15"),
    ("discharge_after_absences", "a whole number of sessions, e.g. discharge_after_absences = 3"),
    ("dropout_weekly", "a list of weekly shares between 0 and 1, e.g. dropout_weekly = [0.08, 0.08, 0.05, 0.05, 0.025]"),
    ("stepup_weekly", "a share between 0 and 1, e.g. stepup_weekly = 0.005"),
    ("stepup_to", "a unit name or exit label in quotes, e.g. stepup_to = \"php\""),
    ("phases", "a list of tables, e.g. phases = [{ from_week = 9, sessions_per_week = 2 }]"),
    ("from_week", "a whole number of weeks, e.g. from_week = 9"),
    ("sessions_per_week", "a whole number of sessions, e.g. sessions_per_week = 2"),
    ("track", "a track name in quotes, e.g. track = \"evening\""),
    ("classes.tracks", "a table of track shares, e.g. tracks = { evening = 0.9, morning = 0.1 }"),
    ("classes.units", "a list of unit names, e.g. units = [\"iop\"]"),
    ("intake", "a table, e.g. intake = { slots = [1, 1, 1, 1, 1, 0, 0], at = \"09:00\", hours = 1.5, role = \"therapist\" }"),
    ("slots", "a list of 7 whole numbers, Mon..Sun, e.g. slots = [1, 1, 1, 1, 1, 0, 0]"),
    ("slots_per_person", "a whole number, e.g. slots_per_person = 1"),
    ("at", "a time \"HH:MM\" in quotes, e.g. at = \"09:00\""),
    ("units.intake.hours", "a number of hours, e.g. hours = 1.5"),
    // Tracks.
    ("days", "a list of weekdays in quotes, e.g. days = [\"mon\", \"tue\", \"thu\"]"),
    ("start", "a time \"HH:MM\" in quotes, e.g. start = \"10:00\""),
    ("hours", "a number of hours, e.g. hours = 3"),
    ("units.tracks.hours", "a number of hours, e.g. hours = 3"),
    ("groups", "a whole number of groups, e.g. groups = 1"),
    ("group_size", "a whole number of patients, e.g. group_size = 12"),
    ("room", "a room name in quotes, e.g. room = \"group-room\""),
    ("share", "a share between 0 and 1, e.g. share = 0.6"),
    ("facilitators", "a table, e.g. facilitators = { role = \"therapist\", count = 1 }"),
    ("units.tracks.facilitators.count", "a whole number of staff, e.g. count = 1"),
    // Distributions.
    ("dist", "a distribution name in quotes, e.g. dist = \"lognormal\""),
    ("value", "a number of days, e.g. value = 7"),
    ("mean", "a number of days, e.g. mean = 25"),
    ("min", "a number of days, e.g. min = 1"),
    ("max", "a number of days, e.g. max = 30"),
    ("mode", "a number of days, e.g. mode = 7"),
    ("sd", "a number of days, e.g. sd = 4"),
    ("shape", "a number, e.g. shape = 1.5"),
    ("scale", "a number of days, e.g. scale = 30"),
    ("values", "a list of numbers of days, e.g. values = [7, 14, 28]"),
    ("weights", "a list of weights, e.g. weights = [1, 2, 1]"),
    // Rooms and staff.
    ("seats", "a whole number of seats, e.g. seats = 14"),
    ("rooms.count", "a whole number of rooms, e.g. count = 2"),
    ("role", "a staff role in quotes, e.g. role = \"therapist\""),
    ("fte", "a number of full-time equivalents, e.g. fte = 1.8"),
    ("hours_per_fte", "a number of hours a week, e.g. hours_per_fte = 30"),
    ("shifts", "a list of shift tables, e.g. shifts = [{ days = [\"mon\", \"tue\"], start = \"09:00\", hours = 8, count = 2 }]"),
    ("staff.shifts.hours", "a number of hours, e.g. hours = 8"),
    ("staff.shifts.count", "a whole number of people, e.g. count = 2"),
    ("leave_weeks", "a number of weeks a year, e.g. leave_weeks = 5"),
    ("vacancy", "a share between 0 and 1, e.g. vacancy = 0.1"),
    ("caseload", "a number of patients per FTE, e.g. caseload = 25"),
    ("caseload_units", "a list of unit names, e.g. caseload_units = [\"iop\"]"),
    // Workload.
    ("activity", "an activity name in quotes, e.g. activity = \"group_session\""),
    ("every_weeks", "a number of weeks, e.g. every_weeks = 4"),
    ("every_weeks_by_phase", "a list of numbers of weeks, e.g. every_weeks_by_phase = [1, 2]"),
    ("unit", "a unit name in quotes, e.g. unit = \"iop\""),
    // Finance.
    ("collection_rate", "a share between 0 and 1, e.g. collection_rate = 0.92"),
    ("payers", "a list of tables, e.g. payers = [{ name = \"medicare\", share = 0.3, per_day = 270 }]"),
    ("intake_fee", "an amount, e.g. intake_fee = 180"),
    ("individual_fee", "an amount, e.g. individual_fee = 0"),
    ("bed_day_rates", "a table of amounts by unit, e.g. bed_day_rates = { inpatient = 900 }"),
    ("room_cost_per_week", "a table of amounts by room, e.g. room_cost_per_week = { group-room = 400 }"),
    ("overhead_per_week", "an amount, e.g. overhead_per_week = 3000"),
    ("per_day", "an amount a day, e.g. per_day = 270"),
    ("per_hour", "an amount an hour, e.g. per_hour = 120"),
    ("salary_per_fte_year", "an amount a year, e.g. salary_per_fte_year = 90000"),
    ("per_diem_per_hour", "an amount an hour, e.g. per_diem_per_hour = 65"),
    // [initial].
    ("patients_csv", "a file name in quotes, e.g. patients_csv = \"census.csv\""),
    ("status", "\"in_care\" or \"waiting\", e.g. status = \"waiting\""),
    ("week", "a whole number of weeks, e.g. week = 3"),
    ("sessions_attended", "a whole number of sessions, e.g. sessions_attended = 10"),
    ("days_waited", "a number of days, e.g. days_waited = 4"),
    ("initial.patients.count", "a whole number of patients, e.g. count = 3"),
    ("count", "a whole number, e.g. count = 2"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_name_no_rust_types() {
        for (key, words) in WORDS {
            for jargon in ["f64", "i64", "Raw", "struct", "sequence"] {
                assert!(!words.contains(jargon), "{key}: {words}");
            }
            assert!(
                words.contains("e.g.") || words.starts_with("tables") || words.contains("written"),
                "{key}: {words}"
            );
        }
    }

    #[test]
    fn the_most_specific_pattern_wins() {
        let p = |s: &[&str]| -> Vec<Seg> { s.iter().map(|k| Seg::Key(k.to_string())).collect() };
        assert_eq!(
            expected(&p(&["simulation", "weeks"]), ""),
            "a whole number of weeks, e.g. weeks = 52"
        );
        assert_eq!(
            expected(&p(&["rooms", "count"]), ""),
            "a whole number of rooms, e.g. count = 2"
        );
        // A key inside a routing map takes the map's words.
        assert!(expected(&p(&["units", "on_completion", "outpatient"]), "")
            .starts_with("a routing map of shares"));
        // Unknown to the table: serde's expected type in words.
        assert_eq!(
            expected(&p(&["nosuch"]), "invalid type: string \"x\", expected f64"),
            "a number, e.g. 2.5"
        );
        assert_eq!(
            plain_serde("invalid type: string \"x\", expected i64"),
            "expected a whole number, e.g. 3; invalid type: string \"x\""
        );
    }
}
