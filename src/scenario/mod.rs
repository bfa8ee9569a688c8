//! Scenario files: TOML text -> `--set` overrides -> serde structs -> one
//! validation pass that reports every problem -> the typed [`Scenario`] that
//! the rest of the simulator trusts.
//!
//! The language is documented for program directors in `docs/scenario.md`.

pub mod edit;
mod error;
pub mod limits;
mod overrides;
mod raw;
mod typecheck;
mod types;
pub mod uncertain;
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
    // Uncertain numbers are read and checked at their means; `doc` keeps
    // them as written, for scenario.toml.
    let mut typed = doc.clone();
    let inputs = uncertain::extract(&mut typed, &mut problems);
    let at_means = typed.clone();

    // Values of the wrong type are problems like the others: each is
    // reported and removed, and the rest of the document is read.
    let read = typecheck::deserialize(&mut typed, text, &applied);
    problems.extend(read.problems.into_iter().map(|mut p| {
        if inputs
            .iter()
            .any(|i| i.path() == p.path || p.path == format!("--set {}", i.key))
        {
            p.message = format!(
                "{} (an uncertain value is drawn as a fractional number, so only a number that may be fractional can be uncertain: a rate, share, mean, duration or amount)",
                p.message
            );
        }
        p
    }));
    for path in &read.ignored {
        problems.push(unknown_key(path, &applied));
    }
    let Some(mut raw) = read.raw else {
        return Err(ScenarioError::Invalid {
            origin: origin.to_string(),
            problems,
        });
    };
    read_initial_csv(&mut raw, dir, &mut problems);
    let mut checked = Vec::new();
    let mut scenario = validate::validate(&raw, &mut checked);
    // A removed value leaves its key missing: not a problem of its own.
    checked.retain(|p| !typecheck::is_follow_on(p, &read.removed));
    problems.extend(checked);
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
    if problems.is_empty() && !inputs.is_empty() && !scenario.simulation.fixed_inputs {
        let inputs = uncertain::Inputs::new(inputs, at_means, raw.initial.clone());
        check_input_ranges(&inputs, &mut problems);
        scenario.inputs = inputs;
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

/// Each uncertain input at either end of its range, the others at their
/// means, must give a valid scenario: a draw never stops a run half-way.
/// (Inputs that meet in one rule, e.g. two bounds, can still clash in a
/// trial; such a trial stops the run with its draws named.)
fn check_input_ranges(inputs: &uncertain::Inputs, problems: &mut Vec<Problem>) {
    let means = inputs.means();
    for (i, input) in inputs.list.iter().enumerate() {
        let (lo, hi) = input.dist.checked_range();
        for (end, x) in [("low", lo), ("high", hi)] {
            let mut at = means.clone();
            at[i] = x;
            if let Err(e) = inputs.scenario_at(&at) {
                problems.push(Problem::new(
                    input.path(),
                    format!(
                        "the uncertain {} reaches {x} at its {end} end ({}), where the scenario is not valid: {e}; narrow the distribution or choose one that stays in range",
                        input.describe(),
                        if matches!(input.dist, uncertain::InputDist::Beta { .. } | uncertain::InputDist::Triangular { .. } | uncertain::InputDist::Uniform { .. }) { "its bound" } else if end == "low" { "its 0.1% point" } else { "its 99.9% point" },
                    ),
                ));
                break;
            }
        }
    }
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
    fn a_syntax_error_is_one_parse_error_with_a_position() {
        let Err(ScenarioError::Parse { origin, message }) =
            load("name = \"x\"\n[simulation\n", &[])
        else {
            panic!("expected a parse error")
        };
        assert_eq!(origin, "test.toml");
        assert!(message.contains("line 2, column"), "{message}");
    }

    /// No Rust or serde words in a message meant for a program director.
    fn assert_plain(p: &str) {
        for jargon in ["f64", "i64", "Raw", "struct", "invalid type", "sequence"] {
            assert!(!p.contains(jargon), "'{jargon}' in: {p}");
        }
    }

    /// The (1-based) line of the first line of `text` holding `needle`.
    fn line_of(text: &str, needle: &str) -> usize {
        text.lines().position(|l| l.contains(needle)).unwrap() + 1
    }

    #[test]
    fn type_errors_are_problems_in_plain_words_with_their_line() {
        let text = DEFAULT_TOML
            .replace("hours = 3 ", "hours = \"3h\" ")
            .replace("hours = 3\n", "hours = \"3h\"\n")
            .replace("show = 0.72 ", "show = \"72%\" ")
            .replace("episode = { weeks = 12 }", "episode = 12");
        let p = problems(&text, &[]);
        let hours: Vec<usize> = (1..)
            .zip(text.lines())
            .filter(|(_, l)| l.starts_with("hours = \"3h\""))
            .map(|(n, _)| n)
            .collect();
        let show = line_of(&text, "show = \"72%\"");
        let episode = line_of(&text, "episode = 12");
        assert_eq!(
            p,
            vec![
                format!("referrals[2].show: expected a share between 0 and 1, e.g. show = 0.72; got the text \"72%\" (line {show}, column 8)"),
                format!("units[0].episode: expected a table, e.g. episode = {{ weeks = 12 }}, episode = {{ sessions = 36 }} or episode = {{ dist = \"gamma\", mean = 60, sd = 20 }}; got the whole number 12 (line {episode}, column 11)"),
                format!("units[0].tracks[0].hours: expected a number of hours, e.g. hours = 3; got the text \"3h\" (line {}, column 9)", hours[0]),
                format!("units[0].tracks[1].hours: expected a number of hours, e.g. hours = 3; got the text \"3h\" (line {}, column 9)", hours[1]),
            ]
        );
        for line in &p {
            assert_plain(line);
        }
    }

    #[test]
    fn a_type_error_does_not_hide_the_other_problems() {
        let text = DEFAULT_TOML
            .replace("weeks = 52 ", "weeks = \"52\" ")
            .replace("trials = 1000", "trails = 1000")
            .replace("attendance = 0.88", "attendance = 1.2")
            .replace(
                "dropout_weekly = [0.08, 0.08, 0.05, 0.05, 0.025]",
                "dropout_weekly = [0.08, \"8%\"]",
            );
        let p = problems(&text, &[]);
        let weeks = line_of(&text, "weeks = \"52\"");
        let dropout = line_of(&text, "dropout_weekly");
        assert_eq!(
            p,
            vec![
                format!("simulation.weeks: expected a whole number of weeks, e.g. weeks = 52; got the text \"52\" (line {weeks}, column 9)"),
                format!("units[0].dropout_weekly[1]: expected a list of weekly shares between 0 and 1, e.g. dropout_weekly = [0.08, 0.08, 0.05, 0.05, 0.025]; got the text \"8%\" (line {dropout}, column 25)"),
                "simulation.trails: unknown key 'trails'; allowed here: start_date, weeks, warmup_weeks, trials, seed".to_string(),
                "units[0].attendance: must be a probability in [0, 1], got 1.2".to_string(),
            ]
        );
    }

    #[test]
    fn a_wrongly_typed_override_names_its_set() {
        let p = problems(
            DEFAULT_TOML,
            &[
                "simulation.trials=5",
                "simulation.weeks=many",
                "units.iop.tracks.evening.hours=3h",
            ],
        );
        assert_eq!(
            p,
            vec![
                "--set simulation.weeks: expected a whole number of weeks, e.g. weeks = 52; got the text \"many\" (set on the command line at simulation.weeks)",
                "--set units.iop.tracks.evening.hours: expected a number of hours, e.g. hours = 3; got the text \"3h\" (set on the command line at units[0].tracks[1].hours)",
            ]
        );
        // A wrong value in the file is still blamed on its line, whatever
        // other overrides there are.
        let text = DEFAULT_TOML.replace("weeks = 52 ", "weeks = 2.5 ");
        let p = problems(&text, &["simulation.trials=5"]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with("simulation.weeks: expected a whole number of weeks")
                && p[0].contains("got the number 2.5 (line 10, column 9)"),
            "{p:?}"
        );
    }

    #[test]
    fn wrong_types_everywhere_are_reported_and_bounded() {
        // Every key of a track wrongly typed: one problem each, no follow-ons.
        let text = DEFAULT_TOML.replace(
            "groups = 1\ngroup_size = 12\nroom = \"group-room\"\nshare = 0.6",
            "groups = \"one\"\ngroup_size = [12]\nroom = 3\nshare = { a = 1 }",
        );
        let p = problems(&text, &[]);
        assert_eq!(p.len(), 4, "{p:#?}");
        for line in &p {
            assert!(line.starts_with("units[0].tracks[1]."), "{line}");
            assert_plain(line);
        }
        // A table where a number belongs, a list where a name belongs.
        let p = problems(
            &DEFAULT_TOML.replace("name = \"midsize-adult-iop\"", "name = [1]"),
            &["units.iop.attendance={ mean = 1 }"],
        );
        assert_eq!(
            p,
            vec![
                "name: expected a name in quotes, e.g. name = \"iop\"; got the list [1] (line 5, column 8)",
                "--set units.iop.attendance: expected a share between 0 and 1, e.g. attendance = 0.88; got a table with mean (set on the command line at units[0].attendance)",
            ]
        );
        // Many wrong values: reported up to the limit, then a note.
        let mut text = String::from("name = \"x\"\n");
        for i in 0..(typecheck::MAX_TYPE_ERRORS + 10) {
            text.push_str(&format!("[[rooms]]\nname = \"r{i}\"\nseats = \"many\"\n"));
        }
        let p = problems(&text, &[]);
        assert_eq!(p.len(), typecheck::MAX_TYPE_ERRORS + 1);
        assert!(p.last().unwrap().starts_with("(more): "), "{p:?}");
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
