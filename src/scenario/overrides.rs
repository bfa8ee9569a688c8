//! `--set KEY=VALUE` overrides, applied to the parsed TOML before it is
//! deserialized, so an override is checked exactly like a value in the file.
//!
//! KEY is dotted. Arrays of tables are addressed by an element's `name` (`role`
//! for staff) or by a 0-based index: `units.iop.tracks.evening.groups`,
//! `staff.therapist.fte`, `workload.2.hours`, `units.0.capacity`. VALUE is a
//! TOML value (`200`, `2.5`, `true`, `"text"`, `[1, 2]`, `{ weeks = 6 }`); if it
//! does not parse as one it is taken as a bare string, so `admission=cohort` works.

use toml::Value;

use super::error::Problem;

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// `units[0].tracks[1].groups`: the form used in problem paths.
pub fn fmt_path(segs: &[Seg]) -> String {
    let mut s = String::new();
    for seg in segs {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// An override that was applied, with the place in the document it wrote to.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The KEY as the user typed it.
    pub key: String,
    /// Where it landed, e.g. `[Key("units"), Index(0), Key("capacity")]`.
    pub target: Vec<Seg>,
}

/// Applies every override in order. Malformed or unresolvable overrides become
/// problems (path `--set KEY`) and are skipped; the rest are applied.
pub fn apply(doc: &mut Value, overrides: &[String], problems: &mut Vec<Problem>) -> Vec<Applied> {
    let mut applied = Vec::new();
    for arg in overrides {
        let Some((key, raw_value)) = arg.split_once('=') else {
            problems.push(Problem::new(
                format!("--set {arg}"),
                "expected KEY=VALUE, e.g. --set simulation.trials=200",
            ));
            continue;
        };
        let key = key.trim();
        match set(doc, key, parse_value(raw_value.trim())) {
            Ok(target) => applied.push(Applied {
                key: key.to_string(),
                target,
            }),
            Err(message) => problems.push(Problem::new(format!("--set {key}"), message)),
        }
    }
    applied
}

/// A TOML value, or the text itself as a string when it is not one.
pub fn parse_value(text: &str) -> Value {
    match format!("v = {text}").parse::<toml::Table>() {
        Ok(mut t) if t.len() == 1 => t
            .remove("v")
            .unwrap_or_else(|| Value::String(text.to_string())),
        _ => Value::String(text.to_string()),
    }
}

/// The key that names elements of an array of tables, by the array's key.
pub(crate) fn element_name_key(array_key: &str) -> Option<&'static str> {
    match array_key {
        "staff" => Some("role"),
        "workload" | "phases" => None,
        _ => Some("name"),
    }
}

/// Sections written as `[[...]]`: addressing into one that is absent is an error,
/// not the creation of a table that could never deserialize.
const ARRAY_SECTIONS: [&str; 7] = [
    "referrals",
    "units",
    "rooms",
    "staff",
    "workload",
    "tracks",
    "phases",
];

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
    }
}

/// Writes `value` at the dotted `key`, creating missing intermediate tables.
fn set(doc: &mut Value, key: &str, value: Value) -> Result<Vec<Seg>, String> {
    let parts: Vec<&str> = key.split('.').map(str::trim).collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err("empty key; write a dotted key such as simulation.trials or units.iop.tracks.evening.groups".into());
    }
    let mut target: Vec<Seg> = Vec::new();
    let mut cur = doc;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let here = if target.is_empty() {
            "the top level".to_string()
        } else {
            fmt_path(&target)
        };
        match cur {
            Value::Table(t) => {
                target.push(Seg::Key(part.to_string()));
                if last {
                    t.insert(part.to_string(), value);
                    return Ok(target);
                }
                if !t.contains_key(*part) {
                    if ARRAY_SECTIONS.contains(part) {
                        return Err(format!("there are no {part} in {here} to address"));
                    }
                    t.insert(part.to_string(), Value::Table(toml::Table::new()));
                }
                cur = t
                    .get_mut(*part)
                    .expect("present: checked or inserted above");
            }
            Value::Array(a) => {
                let array_key = match target.last() {
                    Some(Seg::Key(k)) => k.clone(),
                    _ => String::new(),
                };
                let idx = element_index(a, &array_key, part, &here)?;
                target.push(Seg::Index(idx));
                if last {
                    a[idx] = value;
                    return Ok(target);
                }
                cur = &mut a[idx];
            }
            other => {
                return Err(format!(
                    "{here} is {}, not a table; cannot set '{}' inside it",
                    type_name(other),
                    parts[i..].join(".")
                ));
            }
        }
    }
    unreachable!("the loop returns at the last part")
}

fn element_index(a: &[Value], array_key: &str, part: &str, here: &str) -> Result<usize, String> {
    if let Ok(idx) = part.parse::<usize>() {
        return if idx < a.len() {
            Ok(idx)
        } else {
            Err(format!(
                "index {idx} is out of range: {here} has {} entries",
                a.len()
            ))
        };
    }
    let Some(name_key) = element_name_key(array_key) else {
        return Err(format!(
            "{here} entries have no name; address them by index 0..{}",
            a.len().saturating_sub(1)
        ));
    };
    let name_of = |v: &Value| v.get(name_key).and_then(Value::as_str).map(str::to_string);
    if let Some(idx) = a.iter().position(|v| name_of(v).as_deref() == Some(part)) {
        return Ok(idx);
    }
    let names: Vec<String> = a.iter().filter_map(name_of).collect();
    let listed = if names.is_empty() {
        "(none)".to_string()
    } else {
        names.join(", ")
    };
    Err(format!("no entry with {name_key} = '{part}' in {here}; {name_key}s are: {listed} (or use an index)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        Value::Table(
            r#"
            [simulation]
            trials = 10
            [[units]]
            name = "iop"
            [[units.tracks]]
            name = "morning"
            groups = 1
            [[units.tracks]]
            name = "evening"
            groups = 1
            [[staff]]
            role = "therapist"
            fte = 1.0
            [[workload]]
            hours = 1.0
            "#
            .parse::<toml::Table>()
            .unwrap(),
        )
    }

    fn run(args: &[&str]) -> (Value, Vec<Problem>, Vec<Applied>) {
        let mut d = doc();
        let mut problems = Vec::new();
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let applied = apply(&mut d, &args, &mut problems);
        (d, problems, applied)
    }

    #[test]
    fn values_parse_as_toml_or_fall_back_to_strings() {
        assert_eq!(parse_value("200"), Value::Integer(200));
        assert_eq!(parse_value("2.5"), Value::Float(2.5));
        assert_eq!(parse_value("true"), Value::Boolean(true));
        assert_eq!(parse_value("\"text\""), Value::String("text".into()));
        assert_eq!(parse_value("cohort"), Value::String("cohort".into()));
        assert_eq!(parse_value("[1,2,3]").as_array().map(|a| a.len()), Some(3));
        assert_eq!(
            parse_value("{ weeks = 6 }").get("weeks"),
            Some(&Value::Integer(6))
        );
    }

    #[test]
    fn addresses_elements_by_name_role_and_index() {
        let (d, problems, applied) = run(&[
            "simulation.trials=200",
            "units.iop.tracks.evening.groups=2",
            "units.0.tracks.0.groups=3",
            "staff.therapist.fte=2.5",
            "workload.0.hours=4",
            "units.iop.waitlist.patience.mean=30",
        ]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(d["simulation"]["trials"], Value::Integer(200));
        assert_eq!(d["units"][0]["tracks"][1]["groups"], Value::Integer(2));
        assert_eq!(d["units"][0]["tracks"][0]["groups"], Value::Integer(3));
        assert_eq!(d["staff"][0]["fte"], Value::Float(2.5));
        assert_eq!(d["workload"][0]["hours"], Value::Integer(4));
        assert_eq!(
            d["units"][0]["waitlist"]["patience"]["mean"],
            Value::Integer(30)
        );
        assert_eq!(fmt_path(&applied[1].target), "units[0].tracks[1].groups");
    }

    #[test]
    fn unresolvable_overrides_are_problems_naming_what_exists() {
        let (_, problems, applied) = run(&[
            "units.nosuch.capacity=3",
            "simulation.trials",
            "simulation.trials.x=1",
            "units.5.capacity=1",
            "workload.intake.hours=1",
            "rooms.group-room.seats=3",
            "units..x=1",
        ]);
        assert!(applied.is_empty());
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(text[0], "--set units.nosuch.capacity: no entry with name = 'nosuch' in units; names are: iop (or use an index)");
        assert_eq!(
            text[1],
            "--set simulation.trials: expected KEY=VALUE, e.g. --set simulation.trials=200"
        );
        assert_eq!(text[2], "--set simulation.trials.x: simulation.trials is an integer, not a table; cannot set 'x' inside it");
        assert_eq!(
            text[3],
            "--set units.5.capacity: index 5 is out of range: units has 1 entries"
        );
        assert_eq!(text[4], "--set workload.intake.hours: workload entries have no name; address them by index 0..0");
        assert_eq!(
            text[5],
            "--set rooms.group-room.seats: there are no rooms in the top level to address"
        );
        assert!(
            text[6].starts_with("--set units..x: empty key"),
            "{}",
            text[6]
        );
    }
}
