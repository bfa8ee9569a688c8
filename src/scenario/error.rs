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
        // One problem is one line: a newline in a name is escaped too.
        write!(
            f,
            "{}: {}",
            escape_controls(&self.path, false),
            escape_controls(&self.message, false)
        )
    }
}

/// `text` with control characters escaped (`\u{1b}`, `\r`, and `\n` unless
/// `keep_newlines`), and the invisible characters that reorder or hide text
/// (bidirectional overrides, zero-width marks): messages quote names and
/// values from the user's file, which must not reach the terminal as
/// escape sequences or look like something else.
pub fn escape_controls(text: &str, keep_newlines: bool) -> std::borrow::Cow<'_, str> {
    let hidden = |c: char| {
        (c.is_control() && !(keep_newlines && c == '\n'))
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
    };
    if !text.chars().any(hidden) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.into()
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// Fatal: the scenario file could not be read.
    #[error("cannot read scenario file {}", escape_controls(&path.display().to_string(), false))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Fatal: the text is not valid TOML, or a value has the wrong type
    /// (e.g. a string where a number belongs). `message` carries toml's
    /// line:column report.
    #[error(
        "{}: {}",
        escape_controls(origin, false),
        escape_controls(message, true)
    )]
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
        "{}: {n} problem{} in the scenario:",
        escape_controls(origin, false),
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

    #[test]
    fn control_characters_are_escaped_in_messages() {
        let p = Problem::new("name", "'a\u{1b}[2Jb\nc\u{202e}d\u{7}' is not a safe name");
        assert_eq!(
            p.to_string(),
            "name: 'a\\u{1b}[2Jb\\nc\\u{202e}d\\u{7}' is not a safe name"
        );
        // Parse messages keep their lines (toml draws the place with them).
        let e = ScenarioError::Parse {
            origin: "x\r.toml".into(),
            message: "line 1\n  | a\u{1b}b".into(),
        };
        assert_eq!(e.to_string(), "x\\r.toml: line 1\n  | a\\u{1b}b");
        assert!(matches!(
            escape_controls("plain 'ok' é", false),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
