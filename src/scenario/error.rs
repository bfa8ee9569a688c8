//! Errors of the scenario loader. Every variant is fatal: the scenario cannot be
//! run until the file (or the `--set` overrides) are fixed.

use std::fmt;
use std::path::PathBuf;

/// One thing wrong with a scenario, at a key path such as `units[0].tracks[1].days[2]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where: a key path into the file, or `--set KEY` for an override.
    pub path: String,
    /// What is wrong and what is allowed instead.
    pub message: String,
}

impl Problem {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// Fatal: the scenario file could not be read.
    #[error("cannot read scenario file {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Fatal: the text is not valid TOML, or a value has the wrong type
    /// (e.g. a string where a number belongs). `message` carries toml's
    /// line:column report.
    #[error("{origin}: {message}")]
    Parse { origin: String, message: String },
    /// Fatal: the TOML is well-formed but describes an impossible or
    /// inconsistent program. Lists every problem found, not just the first.
    #[error("{}", format_problems(origin, problems))]
    Invalid {
        origin: String,
        problems: Vec<Problem>,
    },
}

impl ScenarioError {
    /// The problems of an `Invalid` error (empty for the other variants).
    pub fn problems(&self) -> &[Problem] {
        match self {
            ScenarioError::Invalid { problems, .. } => problems,
            _ => &[],
        }
    }
}

fn format_problems(origin: &str, problems: &[Problem]) -> String {
    let n = problems.len();
    let mut s = format!(
        "{origin}: {n} problem{} in the scenario:",
        if n == 1 { "" } else { "s" }
    );
    for p in problems {
        s.push_str(&format!("\n  - {p}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_lists_one_problem_per_line() {
        let e = ScenarioError::Invalid {
            origin: "x.toml".into(),
            problems: vec![
                Problem::new(
                    "units[0].attendance",
                    "must be a probability in [0, 1], got 1.2",
                ),
                Problem::new("name", "missing"),
            ],
        };
        assert_eq!(
            e.to_string(),
            "x.toml: 2 problems in the scenario:\n  - units[0].attendance: must be a probability in [0, 1], got 1.2\n  - name: missing"
        );
        let one = ScenarioError::Invalid {
            origin: "y".into(),
            problems: vec![Problem::new("a", "b")],
        };
        assert_eq!(one.to_string(), "y: 1 problem in the scenario:\n  - a: b");
    }
}
