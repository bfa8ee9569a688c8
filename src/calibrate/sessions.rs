//! Reading an attendance file (`iopsim fit --sessions FILE`), in either of
//! two shapes, told apart by the header:
//!
//! - the simulator's `sessions.csv` (`docs/data.md`): one row per group
//!   session, columns `start`, `unit`, `expected`, `attended` (and
//!   `trial`, `track`, `group`, `enrolled`, optional); it gives a unit's
//!   attendance as attended over expected, not who attended;
//! - a per-patient export: one row per patient per session, columns
//!   `patient`, `unit`, `date` or `start`, `attended` (`1`/`0`, `yes`/`no`,
//!   `true`/`false`, any case; and `trial`, optional); it gives each
//!   patient's own attendance, and so the spread between patients.
//!
//! The same robustness as the episode reader (`records`): UTF-8 with or
//! without a byte-order mark, comma or semicolon, Unix or Windows line
//! ends, ISO dates or date-times, every unreadable cell reported with its
//! line and column, identifying columns refused, a size cap.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDateTime;

use super::records::{self, parse_time, Problem, RecordsError, MAX_PROBLEMS};

/// Largest attendance file read (256 MiB).
pub const MAX_SESSIONS_CSV_BYTES: u64 = 256 << 20;

/// The columns of the group-session shape that must be there.
pub const GROUP_COLUMNS: [&str; 4] = ["start", "unit", "expected", "attended"];
/// The columns of the per-patient shape that must be there (`date` may be
/// called `start`).
pub const PATIENT_COLUMNS: [&str; 4] = ["patient", "unit", "date", "attended"];

/// One group session held (a row of `sessions.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSession {
    pub line: u64,
    pub trial: Option<u64>,
    pub start: NaiveDateTime,
    pub unit: String,
    pub track: String,
    pub expected: u32,
    pub attended: u32,
}

/// One patient's attendance at one session.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientSession {
    pub line: u64,
    pub trial: Option<u64>,
    pub patient: String,
    pub unit: String,
    pub at: NaiveDateTime,
    pub attended: bool,
}

/// An attendance file read: rows of one shape or the other.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionRecords {
    Groups(Vec<GroupSession>),
    Patients(Vec<PatientSession>),
}

/// Reads an attendance file (a regular file of at most
/// [`MAX_SESSIONS_CSV_BYTES`], UTF-8).
pub fn read_file(path: &Path) -> Result<SessionRecords, RecordsError> {
    let text = records::read_capped(path, MAX_SESSIONS_CSV_BYTES, "the attendance file")?;
    read_str(&path.display().to_string(), &text)
}

fn header_problem(message: String) -> Problem {
    Problem {
        line: Some(1),
        column: None,
        message,
    }
}

/// Reads an attendance file from text; `file` names it in messages.
pub fn read_str(file: &str, text: &str) -> Result<SessionRecords, RecordsError> {
    let fail = |problems: Vec<Problem>| RecordsError {
        file: file.to_string(),
        problems,
    };
    let (text, delimiter) = records::prepare(text);
    let text = text.as_ref();
    let shapes = format!(
        "either {} (the simulator's sessions.csv) or {} (one row per patient per session; 'start' for 'date' will do)",
        GROUP_COLUMNS.join(", "),
        PATIENT_COLUMNS.join(", ")
    );
    if text.trim().is_empty() {
        return Err(fail(vec![Problem {
            line: None,
            column: None,
            message: format!(
                "the file is empty; it needs a header line naming the columns, {shapes}"
            ),
        }]));
    }
    let mut reader = records::csv_reader(text, delimiter);
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.to_lowercase()).collect(),
        Err(e) => {
            return Err(fail(vec![header_problem(format!(
                "cannot read the header: {e}"
            ))]))
        }
    };
    if let Some(p) = records::identifying_problem(&headers) {
        return Err(fail(vec![p]));
    }
    let mut at: HashMap<&str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if headers[..i].contains(h) {
            return Err(fail(vec![header_problem(format!(
                "column '{h}' appears twice"
            ))]));
        }
        at.insert(h.as_str(), i);
    }
    let per_patient = at.contains_key("patient");
    let date_col = if !at.contains_key("date") && at.contains_key("start") {
        "start"
    } else {
        "date"
    };
    let required: Vec<&str> = if per_patient {
        vec!["patient", "unit", date_col, "attended"]
    } else {
        GROUP_COLUMNS.to_vec()
    };
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| !at.contains_key(c))
        .collect();
    if !missing.is_empty() {
        return Err(fail(vec![header_problem(format!(
            "missing column{} {}; the header must name {shapes}",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", ")
        ))]));
    }

    let mut problems: Vec<Problem> = Vec::new();
    let mut groups = Vec::new();
    let mut patients = Vec::new();
    for record in reader.records() {
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(records::row_problem(&e));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let before = problems.len();
        let mut problem = |col: &str, message: String| {
            let i = at.get(col).copied().unwrap_or(0);
            problems.push(Problem {
                line: Some(line),
                column: Some((col.to_string(), i + 1)),
                message,
            });
        };
        let cell = |col: &str| at.get(col).and_then(|&i| record.get(i)).unwrap_or("");
        let trial = match cell("trial") {
            "" => None,
            t => match t.parse::<u64>() {
                Ok(t) => Some(t),
                Err(_) => {
                    problem("trial", format!("'{t}' is not a whole number, at least 0"));
                    None
                }
            },
        };
        let mut text = |col: &str| {
            let t = cell(col);
            if t.is_empty() {
                problem(col, "empty; every row needs one".into());
            }
            t.to_string()
        };
        let unit = text("unit");
        let patient = if per_patient {
            text("patient")
        } else {
            String::new()
        };
        let time_col = if per_patient { date_col } else { "start" };
        let time = parse_time(cell(time_col));
        if time.is_none() {
            problem(
                time_col,
                format!("'{}' is not an ISO date (YYYY-MM-DD) or date-time (YYYY-MM-DD HH:MM:SS, or with T, or without seconds)", cell(time_col)),
            );
        }
        if per_patient {
            let a = cell("attended");
            let attended = match a.to_lowercase().as_str() {
                "1" | "yes" | "true" | "y" => Some(true),
                "0" | "no" | "false" | "n" => Some(false),
                _ => {
                    problem(
                        "attended",
                        format!("'{a}' is not one of 1, 0, yes, no, true, false"),
                    );
                    None
                }
            };
            if let (Some(at), Some(attended), true) = (time, attended, problems.len() == before) {
                patients.push(PatientSession {
                    line,
                    trial,
                    patient,
                    unit,
                    at,
                    attended,
                });
            }
        } else {
            let mut count = |col: &str| match cell(col).parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    problem(
                        col,
                        format!("'{}' is not a whole number, at least 0", cell(col)),
                    );
                    None
                }
            };
            let expected = count("expected");
            let attended = count("attended");
            if let (Some(e), Some(a)) = (expected, attended) {
                if a > e {
                    problem(
                        "attended",
                        format!("{a} attended of {e} expected: more than expected"),
                    );
                }
            }
            if let (Some(start), Some(expected), Some(attended), true) =
                (time, expected, attended, problems.len() == before)
            {
                groups.push(GroupSession {
                    line,
                    trial,
                    start,
                    unit,
                    track: cell("track").to_string(),
                    expected,
                    attended,
                });
            }
        }
    }
    if !problems.is_empty() {
        return Err(fail(problems));
    }
    Ok(if per_patient {
        SessionRecords::Patients(patients)
    } else {
        SessionRecords::Groups(groups)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        read_str("a.csv", text).unwrap_err().to_string()
    }

    #[test]
    fn the_simulators_sessions_file_reads_as_group_rows() {
        let text = "trial,start,unit,track,group,enrolled,expected,attended\n\
                    0,2027-01-04 10:00:00,iop,morning,1,10,9,8\n\
                    0,2027-01-04 18:00:00,iop,evening,1,12,12,11\n";
        let SessionRecords::Groups(g) = read_str("s.csv", text).unwrap() else {
            panic!("group rows expected")
        };
        assert_eq!(g.len(), 2);
        assert_eq!((g[0].expected, g[0].attended, g[0].line), (9, 8, 2));
        assert_eq!(g[1].track, "evening");
        assert_eq!(g[1].trial, Some(0));
    }

    #[test]
    fn a_per_patient_export_with_bom_semicolons_and_crlf_reads() {
        let text = "\u{feff}patient;unit;date;attended\r\np1;iop;2027-01-04;yes\r\np1;iop;2027-01-05;0\r\np2;iop;2027-01-04T10:00;TRUE\r\n";
        let SessionRecords::Patients(p) = read_str("s.csv", text).unwrap() else {
            panic!("patient rows expected")
        };
        assert_eq!(p.len(), 3);
        assert!(p[0].attended && !p[1].attended && p[2].attended);
        assert_eq!(p[2].line, 4);
        assert_eq!(p[1].patient, "p1");
    }

    #[test]
    fn bad_input_is_reported_with_its_line_and_column() {
        assert!(err("").contains("empty"), "{}", err(""));
        let e = err("patient,unit,attended\np1,iop,1\n");
        assert!(e.contains("missing column date"), "{e}");
        let e = err("start,unit,expected\n2027-01-04,iop,3\n");
        assert!(
            e.contains("missing column attended") && e.contains("sessions.csv"),
            "{e}"
        );
        let e = err("patient,name,unit,date,attended\np1,Ann,iop,2027-01-04,1\n");
        assert!(
            e.contains("'name' (column 2)") && e.contains("pseudonymous"),
            "{e}"
        );
        let e = err("patient,unit,date,attended\np1,iop,04/01/2027,1\n");
        assert!(
            e.contains("line 2, column 'date' (3)") && e.contains("ISO"),
            "{e}"
        );
        let e = err("patient,unit,date,attended\np1,iop,2027-01-04,maybe\n");
        assert!(
            e.contains("line 2, column 'attended' (4)") && e.contains("yes, no"),
            "{e}"
        );
        let e = err("start,unit,expected,attended\n2027-01-04,iop,3,4\n");
        assert!(
            e.contains("line 2") && e.contains("more than expected"),
            "{e}"
        );
        let e = err("start,unit,expected,attended\n2027-01-04,iop,x,1\n");
        assert!(
            e.contains("column 'expected' (3)") && e.contains("whole number"),
            "{e}"
        );
        let e = err("start,unit,expected,attended\n2027-01-04,iop,3\n");
        assert!(
            e.contains("line 2") && e.contains("3 fields where the header has 4"),
            "{e}"
        );
        let e = err("patient,unit,date,attended\n,iop,2027-01-04,1\n");
        assert!(
            e.contains("column 'patient' (1)") && e.contains("empty"),
            "{e}"
        );
        let e = err("start,unit,unit,expected,attended\n");
        assert!(e.contains("appears twice"), "{e}");
    }
}
