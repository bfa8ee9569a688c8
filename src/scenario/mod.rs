//! Scenario files: TOML text -> `--set` overrides -> serde structs -> one
//! validation pass that reports every problem -> the typed [`Scenario`] that
//! the rest of the simulator trusts.
//!
//! The language is documented for program directors in `docs/scenario.md`.

mod error;
mod overrides;
mod raw;
mod types;
mod validate;

use std::path::Path;

pub use error::{Problem, ScenarioError};
pub use types::*;
pub use validate::us_federal_holidays;

use overrides::{fmt_path, Applied, Seg};
use raw::RawScenario;

/// The built-in scenario: a mid-size adult IOP.
pub const DEFAULT_TOML: &str = include_str!("../../scenarios/default.toml");

/// Reads and loads a scenario file; `overrides` are `KEY=VALUE` strings from `--set`.
pub fn load_file(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    load_str(&text, &path.display().to_string(), overrides)
}

/// Loads a scenario from TOML text. `origin` names the text in messages
/// (a file name, or `<built-in default>`).
pub fn load_str(text: &str, origin: &str, overrides: &[String]) -> Result<Scenario, ScenarioError> {
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
    let raw: RawScenario = if applied.is_empty() {
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
    let mut scenario = validate::validate(&raw, &mut problems);
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
        if let Err(e) = RawScenario::deserialize_value(doc.clone()) {
            return format!("--set {arg}: {}", e.to_string().trim_end());
        }
    }
    format!("after --set overrides: {}", error.to_string().trim_end())
}

impl RawScenario {
    fn deserialize_value(v: toml::Value) -> Result<RawScenario, toml::de::Error> {
        serde::Deserialize::deserialize(v)
    }
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

    fn load(text: &str, sets: &[&str]) -> Result<Scenario, ScenarioError> {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        load_str(text, "test.toml", &sets)
    }

    #[test]
    fn smoke() {
        let s = load(DEFAULT_TOML, &[]).unwrap();
        println!("{s:#?}");
        println!("{}", s.resolved_toml);
    }
}
