//! Reading a clinic's episode records: the columns of `patients.csv`
//! (`docs/data.md`), exported by a records system or written by
//! `iopsim run --log`.
//!
//! What a clinic's export may look like, and what is done with it:
//!
//! - UTF-8, with or without a byte-order mark; comma or semicolon as the
//!   delimiter (the one the header line uses more of, outside quotes);
//! - times as ISO dates (`2027-01-04`, midnight) or date-times
//!   (`2027-01-04 09:30:00`, `2027-01-04T09:30`, with or without seconds);
//!   anything else is an error naming the line, the column and the value;
//! - an empty `left`: an episode still open when the records were taken
//!   (censored, [`Episode::is_open`]);
//! - columns [`REQUIRED`] must be there (an error lists those missing);
//!   other columns of the schema are optional; columns outside it are
//!   ignored with a warning, except any that looks like it identifies a
//!   person ([`identifying_column`]: a name, record number, birth date,
//!   address, phone or email), which is refused: the records must be
//!   pseudonymous before they reach the simulator;
//! - a row that repeats another (same trial, patient and referral time) or
//!   whose times are in an impossible order (admitted before referred, left
//!   before admitted or referred) is left out with a warning naming its
//!   line, so one bad row does not stop a fit but is never silently used.
//!
//! Cells that cannot be read (a date, a number) are errors, all of them
//! reported at once (up to [`MAX_PROBLEMS`]), each with its line and column.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};

use crate::report::log::{CLASS_COLUMN, PATIENT_COLUMNS};

/// Largest records file read (256 MiB: some six million episodes; a
/// simulated log of 1,000 default trials is 40 MB).
pub const MAX_RECORDS_CSV_BYTES: u64 = 256 << 20;

/// Errors reported before giving up on reading the rest.
pub const MAX_PROBLEMS: usize = 50;

/// The columns a records file must have.
pub const REQUIRED: [&str; 6] = ["patient", "unit", "referred", "admitted", "left", "reason"];

/// Column names refused as identifying a person (compared after lowercasing
/// and turning spaces, hyphens and dots into `_`).
pub const IDENTIFYING_COLUMNS: [&str; 31] = [
    "name",
    "first_name",
    "firstname",
    "last_name",
    "lastname",
    "surname",
    "given_name",
    "family_name",
    "full_name",
    "patient_name",
    "mrn",
    "medical_record_number",
    "record_number",
    "chart_number",
    "ssn",
    "social_security_number",
    "nhs_number",
    "insurance_number",
    "dob",
    "date_of_birth",
    "birth_date",
    "birthdate",
    "address",
    "street",
    "postcode",
    "zip",
    "zip_code",
    "phone",
    "telephone",
    "mobile",
    "email",
];

/// Words that make any column identifying wherever they appear in its name
/// (`home_address`, `patient_name`, `contact_email`).
const IDENTIFYING_WORDS: [&str; 8] = [
    "name", "surname", "mrn", "ssn", "dob", "address", "phone", "email",
];

/// Whether a column header looks like it identifies a person: one of
/// [`IDENTIFYING_COLUMNS`], or a name with one of the words name, surname,
/// mrn, ssn, dob, address, phone or email in it (`e-mail` counts too).
pub fn identifying_column(header: &str) -> bool {
    let norm: String = header
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect();
    let norm = norm.replace("e_mail", "email");
    IDENTIFYING_COLUMNS.contains(&norm.as_str())
        || norm.split('_').any(|w| IDENTIFYING_WORDS.contains(&w))
}

/// One episode: a patient's visit to a unit, from referral to leaving.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    /// The line of the file the row starts on (the header is line 1).
    pub line: u64,
    /// The trial of a simulated log; `None` for a clinic's records.
    pub trial: Option<u64>,
    pub patient: String,
    pub stream: String,
    pub unit: String,
    pub track: String,
    pub priority: Option<i64>,
    pub referred: Option<NaiveDateTime>,
    pub admitted: Option<NaiveDateTime>,
    /// `None`: still open when the records were taken (censored).
    pub left: Option<NaiveDateTime>,
    pub place_freed: Option<NaiveDateTime>,
    pub reason: String,
    pub destination: String,
    pub sessions_scheduled: Option<u32>,
    pub sessions_attended: Option<u32>,
    pub days_waited: Option<f64>,
    pub class: String,
}

impl Episode {
    /// Still open when the records were taken: no `left`.
    pub fn is_open(&self) -> bool {
        self.left.is_none()
    }
}

/// A problem with the file, a row or a cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The line (1: the header); `None` for the file as a whole.
    pub line: Option<u64>,
    /// The column's name and its position from 1.
    pub column: Option<(String, usize)>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}")?;
            if let Some((name, i)) = &self.column {
                write!(f, ", column '{name}' ({i})")?;
            }
            write!(f, ": ")?;
        }
        write!(f, "{}", self.message)
    }
}

/// The records could not be read: every problem found, with the file.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordsError {
    pub file: String,
    pub problems: Vec<Problem>,
}

impl fmt::Display for RecordsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => write!(f, "{}: {one}", self.file),
            many => {
                write!(f, "{}: {} problems", self.file, many.len())?;
                if many.len() >= MAX_PROBLEMS {
                    write!(f, " (stopped at {MAX_PROBLEMS})")?;
                }
                for p in many {
                    write!(f, "\n  {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for RecordsError {}

/// The episodes read, and what was left out or ignored, with lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Records {
    pub file: String,
    /// The delimiter detected: `b','` or `b';'`.
    pub delimiter: u8,
    pub episodes: Vec<Episode>,
    pub warnings: Vec<Problem>,
}

/// Reads a records file (a regular file of at most
/// [`MAX_RECORDS_CSV_BYTES`], UTF-8).
pub fn read_file(path: &Path) -> Result<Records, RecordsError> {
    let file = path.display().to_string();
    let text =
        crate::scenario::read_capped(path, MAX_RECORDS_CSV_BYTES).map_err(|e| RecordsError {
            file: file.clone(),
            problems: vec![Problem {
                line: None,
                column: None,
                message: format!("cannot read the records: {e}"),
            }],
        })?;
    read_str(&file, &text)
}

/// The delimiter the header line uses: `;` if it has more semicolons than
/// commas outside quotes, else `,`.
fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let (mut quoted, mut commas, mut semis) = (false, 0, 0);
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semis += 1,
            _ => {}
        }
    }
    if semis > commas {
        b';'
    } else {
        b','
    }
}

/// An ISO date (midnight) or date-time, with `T` or a space, with or
/// without seconds.
pub fn parse_time(s: &str) -> Option<NaiveDateTime> {
    const FORMATS: [&str; 4] = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ];
    FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
}

/// The columns of the schema, by position in the file.
#[derive(Default)]
struct Columns {
    at: HashMap<&'static str, usize>,
}

/// Reads records from text; `file` names it in messages.
pub fn read_str(file: &str, text: &str) -> Result<Records, RecordsError> {
    let fail = |problems: Vec<Problem>| RecordsError {
        file: file.to_string(),
        problems,
    };
    let whole = |message: String| Problem {
        line: None,
        column: None,
        message,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(fail(vec![whole(format!(
            "the file is empty; it needs a header line naming the columns, at least {}",
            REQUIRED.join(", ")
        ))]));
    }
    let delimiter = delimiter(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.to_lowercase()).collect(),
        Err(e) => {
            return Err(fail(vec![Problem {
                line: Some(1),
                column: None,
                message: format!("cannot read the header: {e}"),
            }]))
        }
    };
    let header_problem = |message: String| Problem {
        line: Some(1),
        column: None,
        message,
    };

    // The header: identifying columns, repeats, missing and unknown ones.
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let identifying: Vec<String> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| identifying_column(h))
        .map(|(i, h)| format!("'{h}' (column {})", i + 1))
        .collect();
    if !identifying.is_empty() {
        problems.push(header_problem(format!(
            "{} {} to identify a person; remove {} from the export: records must be pseudonymous (a patient code, never a name or record number)",
            identifying.join(", "),
            if identifying.len() == 1 { "looks" } else { "look" },
            if identifying.len() == 1 { "it" } else { "them" },
        )));
    }
    let mut columns = Columns::default();
    let schema = PATIENT_COLUMNS.iter().copied().chain([CLASS_COLUMN]);
    for (i, h) in headers.iter().enumerate() {
        if headers[..i].contains(h) {
            problems.push(header_problem(format!(
                "column '{h}' appears twice (columns {} and {})",
                headers.iter().position(|x| x == h).map_or(0, |p| p + 1),
                i + 1
            )));
        }
        match schema.clone().find(|c| c == h) {
            Some(c) => {
                columns.at.entry(c).or_insert(i);
            }
            None if identifying_column(h) => {}
            None => warnings.push(Problem {
                line: Some(1),
                column: Some((h.clone(), i + 1)),
                message: "not a column of the episode schema (docs/data.md); ignored".into(),
            }),
        }
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| !columns.at.contains_key(c))
        .collect();
    if !missing.is_empty() {
        let found = if headers.len() == 1 && delimiter == b',' {
            " (the header has one column: is the delimiter a comma or a semicolon?)"
        } else {
            ""
        };
        problems.push(header_problem(format!(
            "missing required column{} {}{found}; the header must name at least {}",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            REQUIRED.join(", ")
        )));
    }
    if !problems.is_empty() {
        return Err(fail(problems));
    }

    // The rows.
    let mut episodes = Vec::new();
    let mut seen: HashMap<(Option<u64>, String, NaiveDateTime), u64> = HashMap::new();
    for record in reader.records() {
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line());
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!("{len} fields where the header has {expected_len}"),
                    _ => format!("{e}"),
                };
                problems.push(Problem {
                    line,
                    column: None,
                    message,
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let before = problems.len();
        let mut row = Row {
            record: &record,
            columns: &columns,
            headers: &headers,
            line,
            problems: &mut problems,
        };
        let episode = Episode {
            line,
            trial: row.number("trial"),
            patient: row.text("patient"),
            stream: row.text("stream"),
            unit: row.text("unit"),
            track: row.text("track"),
            priority: row.number("priority"),
            referred: row.time("referred"),
            admitted: row.time("admitted"),
            left: row.time("left"),
            place_freed: row.time("place_freed"),
            reason: row.text("reason"),
            destination: row.text("destination"),
            sessions_scheduled: row.number("sessions_scheduled"),
            sessions_attended: row.number("sessions_attended"),
            days_waited: row.number::<f64>("days_waited").and_then(|d| {
                if d.is_finite() {
                    Some(d)
                } else {
                    row.problem("days_waited", format!("'{d}' is not a finite number"));
                    None
                }
            }),
            class: row.text(CLASS_COLUMN),
        };
        for c in ["patient", "unit"] {
            if row.text(c).is_empty() {
                row.problem(c, "empty; every row needs one".into());
            }
        }
        if problems.len() > before {
            continue;
        }
        let mut warn = |message: String| {
            warnings.push(Problem {
                line: Some(line),
                column: None,
                message: format!("{message}; row left out"),
            })
        };
        let show = |t: NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
        match (episode.referred, episode.admitted, episode.left) {
            (Some(r), Some(a), _) if a < r => {
                warn(format!(
                    "admitted ({}) before referred ({})",
                    show(a),
                    show(r)
                ));
                continue;
            }
            (_, Some(a), Some(l)) if l < a => {
                warn(format!("left ({}) before admitted ({})", show(l), show(a)));
                continue;
            }
            (Some(r), None, Some(l)) if l < r => {
                warn(format!("left ({}) before referred ({})", show(l), show(r)));
                continue;
            }
            _ => {}
        }
        if let (Some(s), Some(a)) = (episode.sessions_scheduled, episode.sessions_attended) {
            if a > s {
                warn(format!("{a} sessions attended of {s} scheduled"));
                continue;
            }
        }
        if let Some(r) = episode.referred {
            let key = (episode.trial, episode.patient.clone(), r);
            if let Some(first) = seen.get(&key) {
                warn(format!(
                    "duplicate of line {first} (the same patient '{}' referred at {})",
                    episode.patient,
                    show(r)
                ));
                continue;
            }
            seen.insert(key, line);
        }
        episodes.push(episode);
    }
    if !problems.is_empty() {
        return Err(fail(problems));
    }
    Ok(Records {
        file: file.to_string(),
        delimiter,
        episodes,
        warnings,
    })
}

/// One row being read: cells by column name, problems collected.
struct Row<'a> {
    record: &'a csv::StringRecord,
    columns: &'a Columns,
    headers: &'a [String],
    line: u64,
    problems: &'a mut Vec<Problem>,
}

impl Row<'_> {
    fn cell(&self, column: &str) -> Option<(&str, usize)> {
        let i = *self.columns.at.get(column)?;
        self.record.get(i).map(|c| (c, i))
    }

    fn text(&self, column: &str) -> String {
        self.cell(column)
            .map(|c| c.0.to_string())
            .unwrap_or_default()
    }

    fn problem(&mut self, column: &str, message: String) {
        let i = self.columns.at.get(column).copied().unwrap_or(0);
        let name = self
            .headers
            .get(i)
            .cloned()
            .unwrap_or_else(|| column.to_string());
        self.problems.push(Problem {
            line: Some(self.line),
            column: Some((name, i + 1)),
            message,
        });
    }

    fn time(&mut self, column: &str) -> Option<NaiveDateTime> {
        let (cell, _) = self.cell(column).filter(|c| !c.0.is_empty())?;
        let cell = cell.to_string();
        let t = parse_time(&cell);
        if t.is_none() {
            self.problem(
                column,
                format!("'{cell}' is not an ISO date (YYYY-MM-DD) or date-time (YYYY-MM-DD HH:MM:SS, or with T, or without seconds)"),
            );
        }
        t
    }

    fn number<T: std::str::FromStr>(&mut self, column: &str) -> Option<T> {
        let (cell, _) = self.cell(column).filter(|c| !c.0.is_empty())?;
        let cell = cell.to_string();
        match cell.parse::<T>() {
            Ok(x) => Some(x),
            Err(_) => {
                let what = if std::any::type_name::<T>() == "f64" {
                    "a number"
                } else if std::any::type_name::<T>() == "i64" {
                    "a whole number"
                } else {
                    "a whole number, at least 0"
                };
                self.problem(column, format!("'{cell}' is not {what}"));
                None
            }
        }
    }
}
