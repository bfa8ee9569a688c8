//! `--set` overrides written into a scenario's text, keeping its layout
//! and comments: what the planner downloads after levers moved, so the
//! file a director saves reads like the one they started from, and
//! `iopsim run` on it gives the run the page showed.
//!
//! Keys are addressed as `scenario::overrides` addresses them (dotted,
//! entries of lists by `name`, `role` or index) and values are read the
//! same way, so [`apply`] of `sets` to a text loads to the same scenario
//! as the text with `sets` as overrides (tested on every shipped scenario).

use toml_edit::{ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};

use super::overrides::element_name_key;

/// `text` with every `KEY=VALUE` of `sets` written in, in order. A value
/// replaced keeps the comment after it. An error names the first set that
/// cannot be written.
pub fn apply(text: &str, sets: &[String]) -> Result<String, String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| format!("the scenario is not valid TOML: {e}"))?;
    for set in sets {
        let Some((key, raw)) = set.split_once('=') else {
            return Err(format!("--set {set}: expected KEY=VALUE"));
        };
        let parts: Vec<&str> = key.trim().split('.').map(str::trim).collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(format!("--set {set}: empty part in the key"));
        }
        in_table(doc.as_table_mut(), &parts, value_of(raw.trim()))
            .map_err(|e| format!("--set {}: {e}", key.trim()))?;
    }
    Ok(doc.to_string())
}

/// A TOML value, or the text itself as a string when it is not one (as
/// [`super::overrides::parse_value`] reads it).
fn value_of(text: &str) -> Value {
    match format!("v = {text}").parse::<DocumentMut>() {
        Ok(doc) if doc.len() == 1 => match doc.get("v").and_then(Item::as_value) {
            Some(v) => {
                let mut v = v.clone();
                v.decor_mut().clear();
                v
            }
            None => Value::from(text),
        },
        _ => Value::from(text),
    }
}

/// `new`, keeping the decor (spacing and trailing comment) of `old`.
fn replaced(old: Option<&Value>, mut new: Value) -> Value {
    match old {
        Some(o) => {
            *new.decor_mut() = o.decor().clone();
            new
        }
        None => {
            new.decor_mut().clear();
            new
        }
    }
}

fn in_table(t: &mut Table, parts: &[&str], v: Value) -> Result<(), String> {
    let (key, rest) = (parts[0], &parts[1..]);
    if rest.is_empty() {
        let old = t.get(key).and_then(Item::as_value).cloned();
        if matches!(t.get(key), Some(Item::Table(_) | Item::ArrayOfTables(_))) {
            // A whole section replaced by a value: written as a value.
            t.remove(key);
        }
        t.insert(key, Item::Value(replaced(old.as_ref(), v)));
        return Ok(());
    }
    if t.get(key).is_none() {
        t.insert(key, Item::Value(Value::InlineTable(InlineTable::new())));
    }
    match t.get_mut(key) {
        Some(Item::Table(inner)) => in_table(inner, rest, v),
        Some(Item::ArrayOfTables(list)) => in_list(list, key, rest, v),
        Some(Item::Value(val)) => in_value(val, key, rest, v),
        _ => Err(format!("'{key}' cannot hold '{}'", rest.join("."))),
    }
}

/// The position of the entry `part` (a name or an index) of the list `key`.
fn entry(names: &[Option<String>], key: &str, part: &str) -> Result<usize, String> {
    if let Ok(i) = part.parse::<usize>() {
        return if i < names.len() {
            Ok(i)
        } else {
            Err(format!("{key} has {} entries, not {}", names.len(), i + 1))
        };
    }
    names
        .iter()
        .position(|n| n.as_deref() == Some(part))
        .ok_or_else(|| format!("no entry '{part}' in {key}"))
}

fn in_list(list: &mut ArrayOfTables, key: &str, parts: &[&str], v: Value) -> Result<(), String> {
    let field = element_name_key(key);
    let names: Vec<Option<String>> = list
        .iter()
        .map(|t| field.and_then(|f| t.get(f).and_then(Item::as_str).map(str::to_string)))
        .collect();
    let i = entry(&names, key, parts[0])?;
    let table = list.get_mut(i).ok_or("entry vanished")?;
    if parts.len() == 1 {
        return Err(format!("{key}.{} is an entry, not a value", parts[0]));
    }
    in_table(table, &parts[1..], v)
}

fn in_value(val: &mut Value, key: &str, parts: &[&str], v: Value) -> Result<(), String> {
    match val {
        Value::InlineTable(t) => in_inline(t, parts, v),
        Value::Array(a) => {
            let field = element_name_key(key);
            let names: Vec<Option<String>> = a
                .iter()
                .map(|e| {
                    field.and_then(|f| {
                        e.as_inline_table()
                            .and_then(|t| t.get(f))
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    })
                })
                .collect();
            let i = entry(&names, key, parts[0])?;
            let slot = a.get_mut(i).ok_or("entry vanished")?;
            if parts.len() == 1 {
                *slot = replaced(Some(slot), v);
                Ok(())
            } else {
                in_value(slot, parts[0], &parts[1..], v)
            }
        }
        _ => Err(format!("'{key}' is not a table")),
    }
}

fn in_inline(t: &mut InlineTable, parts: &[&str], v: Value) -> Result<(), String> {
    let (key, rest) = (parts[0], &parts[1..]);
    if rest.is_empty() {
        let old = t.get(key).cloned();
        t.insert(key, replaced(old.as_ref(), v));
        return Ok(());
    }
    if t.get(key).is_none() {
        t.insert(key, Value::InlineTable(InlineTable::new()));
    }
    match t.get_mut(key) {
        Some(inner) => in_value(inner, key, rest, v),
        None => Err(format!("'{key}' vanished")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{load_str, DEFAULT_TOML};

    fn same_as_overrides(text: &str, sets: &[&str]) {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let edited = apply(text, &sets).unwrap();
        let a = load_str(&edited, "edited", &[]).unwrap();
        let b = load_str(text, "set", &sets).unwrap();
        assert_eq!(a.resolved_toml, b.resolved_toml, "{sets:?}\n{edited}");
    }

    #[test]
    fn a_value_replaced_keeps_its_comment_and_the_rest_of_the_file() {
        let edited = apply(
            DEFAULT_TOML,
            &[
                "units.iop.tracks.evening.groups=2".into(),
                "rooms.group-room.count=2".into(),
            ],
        )
        .unwrap();
        assert!(edited.contains("groups = 2"), "{edited}");
        assert!(edited.contains("seats = 14                                        # [A]"));
        // One line changed for the groups, one added for the room count.
        let before: Vec<&str> = DEFAULT_TOML.lines().collect();
        let after: Vec<&str> = edited.lines().collect();
        assert_eq!(after.len(), before.len() + 1);
        let changed = before.iter().zip(&after).filter(|(a, b)| a != b).count();
        assert!(changed >= 1);
        assert!(edited.contains("share = 0.6                                       # [A]"));
    }

    #[test]
    fn every_lever_kind_loads_to_the_scenario_the_overrides_give() {
        same_as_overrides(
            DEFAULT_TOML,
            &[
                "units.iop.tracks.evening.groups=2",
                "rooms.group-room.count=2",
                "units.iop.tracks.morning.days=[\"mon\", \"wed\", \"fri\"]",
                "units.iop.tracks.morning.start=09:30",
                "units.iop.tracks.evening.hours=2.5",
                "units.iop.attendance=0.8",
                "units.iop.waitlist.patience.mean=30",
                "referrals.community.per_week=2.4",
                "referrals.community.growth_per_year=0.05",
                "referrals.php-stepdown.growth_per_year=0.1",
                "staff.therapist.fte=2.5",
                "finance.payers.commercial.per_day=360",
                "finance.staff.therapist.salary_per_fte_year=95000",
                "finance.overhead_per_week=3200",
                "simulation.trials=300",
                "units.iop.admission=cohort",
                "units.iop.cohort_weeks=12",
                "units.iop.episode={ sessions = 24 }",
            ],
        );
    }

    #[test]
    fn bad_sets_are_errors_naming_the_key() {
        let e = apply(DEFAULT_TOML, &["units.nosuch.groups=2".into()]).unwrap_err();
        assert!(
            e.contains("units.nosuch.groups") && e.contains("nosuch"),
            "{e}"
        );
        let e = apply(DEFAULT_TOML, &["name.x=2".into()]).unwrap_err();
        assert!(e.contains("name.x"), "{e}");
        assert!(apply(DEFAULT_TOML, &["novalue".into()]).is_err());
        assert!(apply("a = [", &[]).is_err());
    }
}
