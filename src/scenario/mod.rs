//! Scenario files: TOML text -> `--set` overrides -> serde structs -> one
//! validation pass that reports every problem -> the typed [`Scenario`] that
//! the rest of the simulator trusts.
//!
//! The language is documented for program directors in `docs/scenario.md`.

mod error;
pub mod limits;
mod overrides;
mod raw;
mod types;
mod validate;

use std::path::Path;

pub use error::{Problem, ScenarioError};
pub use types::*;
pub use validate::{us_federal_holidays, INITIAL_STREAM};

use overrides::{fmt_path, Applied, Seg};
use raw::RawScenario;

/// The built-in scenario: a mid-size adult IOP.
pub const DEFAULT_TOML: &str = include_str!("../../scenarios/default.toml");

/// Reads and loads a scenario file; `overrides` are `KEY=VALUE` strings from `--set`.
pub fn load_file(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    let text =
        read_capped(path, limits::MAX_SCENARIO_FILE_BYTES).map_err(|source| ScenarioError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    load_str_in(&text, &path.display().to_string(), overrides, path.parent())
}

/// Reads a text file of at most `cap` bytes. Only regular files: a device
/// (`/dev/zero`, `/dev/stdin`), a pipe or a directory is refused before
/// reading, since it may never end; a file that grows past `cap` while read
/// is refused too.
pub fn read_capped(path: &Path, cap: u64) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a device, pipe or socket)"
        };
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("it is {what}; give the path of a file"),
        ));
    }
    let too_big = |size: u64| {
        Error::new(
            ErrorKind::InvalidData,
            format!("it has {size} bytes, more than the limit of {cap} bytes"),
        )
    };
    if meta.len() > cap {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)?
        .take(cap + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(too_big(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        Error::new(
            ErrorKind::InvalidData,
            format!("it is not UTF-8 text ({e})"),
        )
    })
}

/// Loads a scenario from TOML text. `origin` names the text in messages
/// (a file name, or `<built-in default>`).
pub fn load_str(text: &str, origin: &str, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    load_str_in(text, origin, overrides, None)
}

/// [`load_str`] for text read from a file in `dir`: files the scenario
/// names (`initial.patients_csv`) are relative to it (to the working
/// directory when `None`).
pub fn load_str_in(
    text: &str,
    origin: &str,
    overrides: &[String],
    dir: Option<&Path>,
) -> Result<Scenario, ScenarioError> {
    let parse_error = |message: String| ScenarioError::Parse {
        origin: origin.to_string(),
        message,
    };
    let base = toml::Value::Table(
        text.parse::<toml::Table>()
            .map_err(|e| parse_error(e.to_string()))?,
    );

    let mut problems = Vec::new();
    let mut doc = base.clone();
    let applied = overrides::apply(&mut doc, overrides, &mut problems);

    let mut ignored: Vec<Vec<Seg>> = Vec::new();
    let mut raw: RawScenario = if applied.is_empty() {
        // Straight from the text, so type errors carry the file's line:column.
        serde_ignored::deserialize(toml::Deserializer::new(text), |p| {
            ignored.push(segments(&p))
        })
        .map_err(|e| parse_error(e.to_string()))?
    } else {
        match serde_ignored::deserialize(doc.clone(), |p| ignored.push(segments(&p))) {
            Ok(raw) => raw,
            Err(e) => return Err(parse_error(blame_type_error(text, &base, overrides, e))),
        }
    };

    for path in &ignored {
        problems.push(unknown_key(path, &applied));
    }
    read_initial_csv(&mut raw, dir, &mut problems);
    let mut scenario = validate::validate(&raw, &mut problems);
    if problems.is_empty() {
        validate::metric_names(&scenario, &mut problems);
    }
    if problems.is_empty() {
        // The whole run's work needs a valid scenario to estimate.
        validate::instant_stays(&scenario, &mut problems);
        if problems.is_empty() {
            validate::work(&scenario, &mut problems);
        }
    }
    if !problems.is_empty() {
        return Err(ScenarioError::Invalid {
            origin: origin.to_string(),
            problems,
        });
    }
    scenario.resolved_toml =
        toml::to_string_pretty(&doc).map_err(|e| parse_error(e.to_string()))?;
    Ok(scenario)
}

/// Reads the CSV named by `initial.patients_csv` (relative to `dir`) into
/// the raw scenario, for validation with the other rows.
fn read_initial_csv(raw: &mut RawScenario, dir: Option<&Path>, problems: &mut Vec<Problem>) {
    let Some(init) = raw.initial.as_mut() else {
        return;
    };
    let Some(file) = &init.patients_csv else {
        return;
    };
    let path = match dir {
        Some(d) if !d.as_os_str().is_empty() => d.join(file),
        _ => Path::new(file).to_path_buf(),
    };
    match read_capped(&path, limits::MAX_INITIAL_CSV_BYTES) {
        Ok(text) => init.csv = Some((file.clone(), text)),
        Err(e) => problems.push(Problem::new(
            "initial.patients_csv",
            format!("cannot read {}: {e}", path.display()),
        )),
    }
}

/// A type error after overrides: report it at its line in the file if the file
/// alone has it, else name the first `--set` that introduces it.
fn blame_type_error(
    text: &str,
    base: &toml::Value,
    overrides: &[String],
    error: toml::de::Error,
) -> String {
    if let Err(e) = toml::from_str::<RawScenario>(text) {
        return e.to_string();
    }
    let mut doc = base.clone();
    for arg in overrides {
        overrides::apply(&mut doc, std::slice::from_ref(arg), &mut Vec::new());
        if let Err(e) = <RawScenario as serde::Deserialize>::deserialize(doc.clone()) {
            return format!("--set {arg}: {}", e.to_string().trim_end());
        }
    }
    format!("after --set overrides: {}", error.to_string().trim_end())
}

fn segments(path: &serde_ignored::Path) -> Vec<Seg> {
    let mut out = match path {
        serde_ignored::Path::Root => return Vec::new(),
        serde_ignored::Path::Seq { parent, .. }
        | serde_ignored::Path::Map { parent, .. }
        | serde_ignored::Path::Some { parent }
        | serde_ignored::Path::NewtypeStruct { parent }
        | serde_ignored::Path::NewtypeVariant { parent } => segments(parent),
    };
    match path {
        serde_ignored::Path::Seq { index, .. } => out.push(Seg::Index(*index)),
        serde_ignored::Path::Map { key, .. } => out.push(Seg::Key(key.clone())),
        _ => {}
    }
    out
}

/// "unknown key 'grups'; allowed here: ...", attributed to `--set` when an
/// override wrote it.
fn unknown_key(path: &[Seg], applied: &[Applied]) -> Problem {
    let (key, parent) = match path.split_last() {
        Some((Seg::Key(k), parent)) => (k.clone(), parent),
        _ => (fmt_path(path), &[][..]),
    };
    let section: Vec<&str> = parent
        .iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
        .collect();
    let allowed = match raw::allowed_keys(&section.join(".")) {
        Some(keys) => format!("; allowed here: {}", keys.join(", ")),
        None => String::new(),
    };
    match applied.iter().rev().find(|a| path.starts_with(&a.target)) {
        Some(a) => Problem::new(
            format!("--set {}", a.key),
            format!(
                "unknown key '{key}' (set on the command line at {}){allowed}",
                fmt_path(path)
            ),
        ),
        None => Problem::new(fmt_path(path), format!("unknown key '{key}'{allowed}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dist::DistSpec;

    fn load(text: &str, sets: &[&str]) -> Result<Scenario, ScenarioError> {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        load_str(text, "test.toml", &sets)
    }

    fn problems(text: &str, sets: &[&str]) -> Vec<String> {
        match load(text, sets) {
            Err(ScenarioError::Invalid { problems, .. }) => {
                problems.iter().map(|p| p.to_string()).collect()
            }
            Err(other) => panic!("expected Invalid, got {other}"),
            Ok(_) => panic!("expected problems, the scenario loaded"),
        }
    }

    fn sessions(s: &Scenario) -> &SessionUnit {
        match &s.units[0].kind {
            UnitKind::Sessions(x) => x,
            UnitKind::Beds(_) => panic!("the default's unit is a sessions unit"),
        }
    }

    #[test]
    fn default_scenario_loads_with_its_values() {
        let s = load_str(DEFAULT_TOML, "<built-in default>", &[]).unwrap();
        assert_eq!(s.name, "midsize-adult-iop");
        assert_eq!(
            (
                s.simulation.weeks,
                s.simulation.warmup_weeks,
                s.simulation.trials
            ),
            (52, 26, 1000)
        );
        assert!(s.calendar.us_federal_holidays);
        assert_eq!(s.referrals.len(), 3);
        assert_eq!(s.referrals[2].months[0], 1.15);
        assert_eq!(s.referrals[2].priority, 2);
        let iop = sessions(&s);
        assert_eq!(iop.tracks.len(), 2);
        assert_eq!(iop.tracks[1].name, "evening");
        assert_eq!(iop.tracks[1].share, 0.6);
        assert_eq!(iop.tracks[1].start_minute, 18 * 60);
        assert!(matches!(iop.episode, Episode::Weeks(12)));
        assert_eq!(
            iop.phases,
            vec![Phase {
                from_week: 9,
                sessions_per_week: 2,
                track: None,
            }]
        );
        assert_eq!(iop.stepup_to, Destination::Exit("php".into()));
        assert_eq!(iop.dropout_weekly, vec![0.08, 0.08, 0.05, 0.05, 0.025]);
        let wl = &s.units[0].waitlist;
        assert_eq!(wl.capacity, Some(60));
        assert_eq!(
            wl.patience.as_ref().map(|d| d.spec().clone()),
            Some(DistSpec::Exponential { mean: 25.0 })
        );
        assert_eq!(s.staff[1].role, "prescriber");
        assert_eq!(s.workload.len(), 6);
        assert_eq!(s.workload[5].activity, Activity::Medication);
        assert_eq!(s.workload[5].every_weeks, 2.0);
    }

    #[test]
    fn every_shipped_scenario_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                if let Err(e) = load_file(&path, &[]) {
                    panic!("{e}");
                }
                seen += 1;
            }
        }
        assert!(seen >= 4, "only {seen} scenario files in {}", dir.display());
    }

    /// The example that closes docs/scenario.md must stay a valid scenario.
    #[test]
    fn the_documented_example_loads() {
        let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scenario.md");
        let text = std::fs::read_to_string(&doc).unwrap();
        let example = text
            .rsplit("```toml")
            .next()
            .unwrap()
            .split("```")
            .next()
            .unwrap();
        let s = load_str(example, "docs/scenario.md", &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.name, "small-iop");
    }

    #[test]
    fn all_unknown_keys_are_reported_at_once() {
        let text = DEFAULT_TOML
            .replace("description =", "descripton =")
            .replace("trials = 1000", "trails = 1000")
            .replace(
                "groups = 1\ngroup_size = 12\nroom = \"group-room\"\nshare = 0.6",
                "grups = 1\ngroup_size = 12\nroom = \"group-room\"\nshare = 0.6",
            )
            .replace("mean = 25 }", "mena = 25 }")
            .replace("fte = 0.1", "ftee = 0.1");
        let p = problems(&text, &[]);
        assert_eq!(
            p,
            vec![
                "descripton: unknown key 'descripton'; allowed here: name, description, simulation, calendar, referrals, units, rooms, staff, workload, finance, initial, classes, report",
                "simulation.trails: unknown key 'trails'; allowed here: start_date, weeks, warmup_weeks, trials, seed",
                "units[0].waitlist.patience.mena: unknown key 'mena'; allowed here: dist, value, mean, min, max, mode, sd, shape, scale, values, weights",
                "units[0].tracks[1].grups: unknown key 'grups'; allowed here: name, days, start, hours, groups, group_size, room, share, facilitators, min_size",
                "staff[1].ftee: unknown key 'ftee'; allowed here: role, fte, hours_per_fte, shifts, leave_weeks, vacancy, caseload, caseload_units",
                // The misspelt keys also leave required values missing.
                "units[0].waitlist.patience: exponential takes mean; 'mean' is missing",
                "staff[1].fte: missing; full-time equivalents of this role (or its shifts = [...])",
            ]
        );
    }

    #[test]
    fn set_unknown_key_says_it_came_from_set() {
        let p = problems(
            DEFAULT_TOML,
            &["units.iop.tracks.evening.grups=2", "simulation.trails=5"],
        );
        assert_eq!(
            p,
            vec![
                "--set simulation.trails: unknown key 'trails' (set on the command line at simulation.trails); allowed here: start_date, weeks, warmup_weeks, trials, seed",
                "--set units.iop.tracks.evening.grups: unknown key 'grups' (set on the command line at units[0].tracks[1].grups); allowed here: name, days, start, hours, groups, group_size, room, share, facilitators, min_size",
            ]
        );
    }

    #[test]
    fn set_unknown_element_lists_the_names() {
        let p = problems(
            DEFAULT_TOML,
            &[
                "units.nosuch.capacity=3",
                "units.iop.tracks.night.groups=2",
                "noequals",
            ],
        );
        assert_eq!(
            p,
            vec![
                "--set units.nosuch.capacity: no entry with name = 'nosuch' in units; names are: iop (or use an index)",
                "--set units.iop.tracks.night.groups: no entry with name = 'night' in units[0].tracks; names are: morning, evening (or use an index)",
                "--set noequals: expected KEY=VALUE, e.g. --set simulation.trials=200",
            ]
        );
    }

    #[test]
    fn set_overrides_change_the_values() {
        let s = load(
            DEFAULT_TOML,
            &[
                "simulation.trials=200",
                "units.iop.tracks.evening.groups=2",
                "rooms.group-room.count=2",
                "units.iop.admission=cohort",
                "units.iop.cohort_weeks=12",
                "units.iop.waitlist.patience.mean=30",
                "staff.therapist.fte=2.5",
                "referrals.community.per_week=2.4",
                "units.0.tracks.0.start=\"09:30\"",
            ],
        )
        .unwrap();
        assert_eq!(s.simulation.trials, 200);
        let iop = sessions(&s);
        assert_eq!(iop.tracks[1].groups, 2);
        assert_eq!(iop.tracks[0].start_minute, 9 * 60 + 30);
        assert_eq!(
            iop.admission,
            Admission::Cohort {
                every_weeks: 12,
                first: None
            }
        );
        assert_eq!(
            s.units[0].waitlist.patience.as_ref().map(|d| d.mean()),
            Some(30.0)
        );
        assert_eq!(s.staff[0].fte, 2.5);
        assert_eq!(s.referrals[2].per_week, 2.4);
        assert!(
            s.resolved_toml.contains("admission = \"cohort\""),
            "{}",
            s.resolved_toml
        );
        assert!(s.resolved_toml.contains("cohort_weeks = 12"));
        assert!(s.resolved_toml.contains("trials = 200"));
    }

    #[test]
    fn resolved_toml_reloads_to_the_same_scenario() {
        let s = load(
            DEFAULT_TOML,
            &[
                "simulation.trials=7",
                "units.iop.tracks.morning.groups=2",
                "rooms.0.count=2",
            ],
        )
        .unwrap();
        let again = load(&s.resolved_toml, &[]).unwrap();
        assert_eq!(again.simulation.trials, 7);
        assert_eq!(sessions(&again).tracks[0].groups, 2);
        assert_eq!(again.calendar.holidays, s.calendar.holidays);
        assert_eq!(again.resolved_toml, s.resolved_toml);
    }

    #[test]
    fn many_problems_in_one_error_and_its_display() {
        let err = load(
            DEFAULT_TOML,
            &[
                "units.iop.attendance=1.2",
                "name=../../etc",
                "units.iop.tracks.morning.room=nowhere",
                "units.nosuch.x=1",
            ],
        )
        .unwrap_err();
        let text = err.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "test.toml: 4 problems in the scenario:");
        assert_eq!(lines[1], "  - --set units.nosuch.x: no entry with name = 'nosuch' in units; names are: iop (or use an index)");
        assert!(
            lines[2].starts_with("  - name: '../../etc' is not a safe name"),
            "{text}"
        );
        assert_eq!(
            lines[3],
            "  - units[0].attendance: must be a probability in [0, 1], got 1.2"
        );
        assert_eq!(
            lines[4],
            "  - units[0].tracks[0].room: no room named 'nowhere'; rooms are: group-room"
        );
        assert_eq!(err.problems().len(), 4);
    }

    #[test]
    fn syntax_and_type_errors_are_parse_errors_with_a_position() {
        let Err(ScenarioError::Parse { origin, message }) =
            load("name = \"x\"\n[simulation\n", &[])
        else {
            panic!("expected a parse error")
        };
        assert_eq!(origin, "test.toml");
        assert!(message.contains("line 2, column"), "{message}");

        let text = DEFAULT_TOML.replace("weeks = 52 ", "weeks = \"52\" ");
        let Err(ScenarioError::Parse { message, .. }) = load(&text, &[]) else {
            panic!("expected a parse error")
        };
        assert!(
            message.contains("line 10,") && message.contains("invalid type: string \"52\""),
            "{message}"
        );
        // The same with overrides present: still blamed on the file's line.
        let Err(ScenarioError::Parse { message, .. }) = load(&text, &["simulation.trials=5"])
        else {
            panic!("expected a parse error")
        };
        assert!(message.contains("line 10,"), "{message}");

        // A wrongly typed override is blamed on that --set.
        let Err(ScenarioError::Parse { message, .. }) = load(
            DEFAULT_TOML,
            &["simulation.trials=5", "simulation.weeks=many"],
        ) else {
            panic!("expected a parse error")
        };
        assert!(
            message.starts_with("--set simulation.weeks=many: invalid type: string \"many\""),
            "{message}"
        );
    }

    #[test]
    fn unreadable_file_is_an_io_error() {
        let err = load_file(Path::new("/nonexistent/x.toml"), &[]).unwrap_err();
        assert!(matches!(err, ScenarioError::Io { .. }));
        assert_eq!(
            err.to_string(),
            "cannot read scenario file /nonexistent/x.toml"
        );
    }
}
