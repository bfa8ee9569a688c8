//! Reading a clinic's episode records: the columns of `patients.csv`
//! (`docs/data.md`), exported by a records system or written by
//! `iopsim run --log`.
//!
//! What a clinic's export may look like, and what is done with it:
//!
//! - UTF-8, with or without a byte-order mark; comma or semicolon as the
//!   delimiter (the one the header line uses more of, outside quotes);
//!   Unix or Windows line ends;
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
    let text = read_capped(path, MAX_RECORDS_CSV_BYTES, "the records")?;
    read_str(&path.display().to_string(), &text)
}

/// A file's text (a regular file of at most `cap` bytes, UTF-8); an error
/// names the file and `what` it was to hold.
pub(crate) fn read_capped(path: &Path, cap: u64, what: &str) -> Result<String, RecordsError> {
    crate::scenario::read_capped(path, cap).map_err(|e| RecordsError {
        file: path.display().to_string(),
        problems: vec![Problem {
            line: None,
            column: None,
            message: format!("cannot read {what}: {e}"),
        }],
    })
}

/// An export's text made ready for the csv reader: the byte-order mark
/// dropped, Windows line ends made `\n` (the csv crate, reading `\r\n`,
/// reports the line of every record after the first one too low), and the
/// delimiter its header line uses: `;` if it has more semicolons than
/// commas outside quotes, else `,`.
pub(crate) fn prepare(text: &str) -> (std::borrow::Cow<'_, str>, u8) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text: std::borrow::Cow<str> = if text.contains('\r') {
        text.replace("\r\n", "\n").into()
    } else {
        text.into()
    };
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
    let delimiter = if semis > commas { b';' } else { b',' };
    (text, delimiter)
}

/// A reader of prepared text (cells trimmed, every row as long as the
/// header).
pub(crate) fn csv_reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes())
}

/// A row the csv reader could not read, as a problem on its line.
pub(crate) fn row_problem(e: &csv::Error) -> Problem {
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        _ => format!("{e}"),
    };
    Problem {
        line: e.position().map(|p| p.line()),
        column: None,
        message,
    }
}

/// The header's problem if any column looks like it identifies a person
/// ([`identifying_column`]): they are named, with their positions.
pub(crate) fn identifying_problem(headers: &[String]) -> Option<Problem> {
    let identifying: Vec<String> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| identifying_column(h))
        .map(|(i, h)| format!("'{h}' (column {})", i + 1))
        .collect();
    (!identifying.is_empty()).then(|| Problem {
        line: Some(1),
        column: None,
        message: format!(
            "{} {} to identify a person; remove {} from the export: records must be pseudonymous (a patient code, never a name or record number)",
            identifying.join(", "),
            if identifying.len() == 1 { "looks" } else { "look" },
            if identifying.len() == 1 { "it" } else { "them" },
        ),
    })
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
    let (text, delimiter) = prepare(text);
    let text = text.as_ref();
    if text.trim().is_empty() {
        return Err(fail(vec![whole(format!(
            "the file is empty; it needs a header line naming the columns, at least {}",
            REQUIRED.join(", ")
        ))]));
    }
    let mut reader = csv_reader(text, delimiter);
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
    problems.extend(identifying_problem(&headers));
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
                problems.push(row_problem(&e));
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
            trial: row.number("trial", "a whole number, at least 0"),
            patient: row.text("patient"),
            stream: row.text("stream"),
            unit: row.text("unit"),
            track: row.text("track"),
            priority: row.number("priority", "a whole number"),
            referred: row.time("referred"),
            admitted: row.time("admitted"),
            left: row.time("left"),
            place_freed: row.time("place_freed"),
            reason: row.text("reason"),
            destination: row.text("destination"),
            sessions_scheduled: row.number("sessions_scheduled", "a whole number, at least 0"),
            sessions_attended: row.number("sessions_attended", "a whole number, at least 0"),
            days_waited: row.number::<f64>("days_waited", "a number").and_then(|d| {
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

    /// A number cell; `what` says what it must be, in the message.
    fn number<T: std::str::FromStr>(&mut self, column: &str, what: &str) -> Option<T> {
        let (cell, _) = self.cell(column).filter(|c| !c.0.is_empty())?;
        let cell = cell.to_string();
        let x = cell.parse::<T>().ok();
        if x.is_none() {
            self.problem(column, format!("'{cell}' is not {what}"));
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "patient,unit,referred,admitted,left,reason";

    fn read(text: &str) -> Result<Records, RecordsError> {
        read_str("records.csv", text)
    }

    fn at(s: &str) -> NaiveDateTime {
        parse_time(s).unwrap()
    }

    #[test]
    fn reads_a_minimal_export_with_dates_and_open_episodes() {
        let r = read(&format!(
            "{HEADER}\np1,iop,2027-01-04,2027-01-11,2027-03-08,completed\n\
             p2,iop,2027-01-05 10:30:00,2027-01-12T09:00,,in_care\n\
             p3,iop,2027-01-06 08:15,,,waiting\n"
        ))
        .unwrap();
        assert_eq!(r.delimiter, b',');
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(r.episodes.len(), 3);
        let e = &r.episodes[0];
        assert_eq!(
            (e.line, e.patient.as_str(), e.unit.as_str()),
            (2, "p1", "iop")
        );
        assert_eq!(e.referred, Some(at("2027-01-04 00:00:00")));
        assert_eq!(e.left, Some(at("2027-03-08 00:00:00")));
        assert!(!e.is_open());
        assert_eq!(e.trial, None);
        assert_eq!(r.episodes[1].admitted, Some(at("2027-01-12 09:00:00")));
        assert_eq!(r.episodes[1].referred, Some(at("2027-01-05 10:30:00")));
        assert!(r.episodes[1].is_open() && r.episodes[2].is_open());
        assert_eq!(r.episodes[2].admitted, None);
        assert_eq!(r.episodes[2].line, 4);
    }

    #[test]
    fn byte_order_mark_and_semicolons() {
        let text = "\u{feff}patient;unit;referred;admitted;left;reason;days_waited\n\
                    p1;iop;2027-01-04;2027-01-11;;in_care;7.5\n\
                    \"p;2\";iop;2027-01-04;;;waiting;\n";
        let r = read(text).unwrap();
        assert_eq!(r.delimiter, b';');
        assert_eq!(r.episodes.len(), 2);
        assert_eq!(r.episodes[0].patient, "p1");
        assert_eq!(r.episodes[0].days_waited, Some(7.5));
        assert_eq!(r.episodes[1].patient, "p;2");
        // Windows line ends: the lines named are still the file's.
        let r = read(&format!(
            "{HEADER}\r\np1,iop,2027-01-04,,,waiting\r\np1,iop,2027-01-04,,,waiting\r\n"
        ))
        .unwrap();
        assert_eq!(r.episodes[0].line, 2);
        assert_eq!(r.warnings[0].line, Some(3));
        // A comma inside quotes does not make the header comma-delimited.
        let r = read(
            "\"a,b\";patient;unit;referred;admitted;left;reason\nx;p;iop;2027-01-01;;;waiting\n",
        )
        .unwrap();
        assert_eq!(r.delimiter, b';');
        assert_eq!(r.warnings.len(), 1);
        assert!(r.warnings[0].to_string().contains("'a,b'"));
    }

    #[test]
    fn a_date_that_is_not_iso_names_line_column_and_value() {
        let e = read(&format!(
            "{HEADER}\np1,iop,2027-01-04,2027-01-11,,in_care\np2,iop,04/01/2027,,,waiting\n"
        ))
        .unwrap_err();
        assert_eq!(e.problems.len(), 1);
        let p = &e.problems[0];
        assert_eq!(p.line, Some(3));
        assert_eq!(p.column, Some(("referred".to_string(), 3)));
        let msg = e.to_string();
        assert!(
            msg.starts_with(
                "records.csv: line 3, column 'referred' (3): '04/01/2027' is not an ISO date"
            ),
            "{msg}"
        );
        // Every bad cell is reported, not just the first.
        let e = read(&format!(
            "{HEADER},sessions_attended\np1,iop,2027-13-01,2027-01-11 25:00,,in_care,many\n"
        ))
        .unwrap_err();
        let cols: Vec<_> = e
            .problems
            .iter()
            .map(|p| p.column.clone().unwrap().0)
            .collect();
        assert_eq!(cols, ["referred", "admitted", "sessions_attended"]);
        assert!(e
            .to_string()
            .contains("'many' is not a whole number, at least 0"));
        assert!(e.to_string().contains("3 problems"));
    }

    #[test]
    fn missing_required_columns_are_listed() {
        let e = read("patient,unit,referred\np1,iop,2027-01-01\n").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("missing required columns admitted, left, reason"),
            "{msg}"
        );
        assert_eq!(e.problems[0].line, Some(1));
        // One column: probably the wrong delimiter (tabs here).
        let e = read("patient\tunit\treferred\tadmitted\tleft\treason\n").unwrap_err();
        assert!(e.to_string().contains("is the delimiter"), "{e}");
        let e = read("\u{feff}\n").unwrap_err();
        assert!(e.to_string().contains("the file is empty"), "{e}");
    }

    #[test]
    fn identifying_columns_are_refused() {
        let e = read(&format!(
            "{HEADER},First Name,MRN,e-mail\np1,iop,2027-01-01,,,waiting,Ann,123,a@b\n"
        ))
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("'first name' (column 7), 'mrn' (column 8), 'e-mail' (column 9) look to identify a person"),
            "{msg}"
        );
        assert!(msg.contains("pseudonymous"));
        for h in [
            "name",
            "Last_Name",
            "dob",
            "Date of Birth",
            "ssn",
            "home_address",
            "Phone",
            "zip",
            "patient_name",
        ] {
            assert!(identifying_column(h), "{h}");
        }
        for h in REQUIRED
            .iter()
            .chain(PATIENT_COLUMNS.iter())
            .chain([&CLASS_COLUMN])
        {
            assert!(!identifying_column(h), "{h}");
        }
        // Other unknown columns are ignored, with a warning.
        let r = read(&format!(
            "{HEADER},ward_note\np1,iop,2027-01-01,,,waiting,x\n"
        ))
        .unwrap();
        assert_eq!(r.episodes.len(), 1);
        assert_eq!(r.warnings[0].to_string(), "line 1, column 'ward_note' (7): not a column of the episode schema (docs/data.md); ignored");
    }

    #[test]
    fn duplicates_and_impossible_orders_are_left_out_with_their_lines() {
        let r = read(&format!(
            "{HEADER}\n\
             p1,iop,2027-01-04,2027-01-11,2027-03-08,completed\n\
             p1,iop,2027-01-04,2027-01-12,2027-03-09,completed\n\
             p2,iop,2027-01-10,2027-01-05,,in_care\n\
             p3,iop,2027-01-01,2027-01-05,2027-01-04,dropped_out\n\
             p4,iop,2027-01-01,,2026-12-31,reneged\n\
             p1,iop,2027-05-01,2027-05-02,,in_care\n"
        ))
        .unwrap();
        let lines: Vec<u64> = r.episodes.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 7]);
        let w: Vec<String> = r.warnings.iter().map(|w| w.to_string()).collect();
        assert_eq!(
            w,
            [
                "line 3: duplicate of line 2 (the same patient 'p1' referred at 2027-01-04 00:00:00); row left out",
                "line 4: admitted (2027-01-05 00:00:00) before referred (2027-01-10 00:00:00); row left out",
                "line 5: left (2027-01-04 00:00:00) before admitted (2027-01-05 00:00:00); row left out",
                "line 6: left (2026-12-31 00:00:00) before referred (2027-01-01 00:00:00); row left out",
            ]
        );
        // The same patient and referral in different trials of a simulated log are not duplicates.
        let r = read(&format!(
            "trial,{HEADER}\n0,p1,iop,2027-01-04,,,waiting\n1,p1,iop,2027-01-04,,,waiting\n"
        ))
        .unwrap();
        assert_eq!((r.episodes.len(), r.warnings.len()), (2, 0));
        assert_eq!(r.episodes[1].trial, Some(1));
    }

    #[test]
    fn ragged_rows_empty_cells_and_bad_numbers() {
        let e = read(&format!(
            "{HEADER}\np1,iop,2027-01-04\n,iop,2027-01-04,,,waiting\n"
        ))
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("line 2: 3 fields where the header has 6"),
            "{msg}"
        );
        assert!(
            msg.contains("line 3, column 'patient' (1): empty; every row needs one"),
            "{msg}"
        );
        let e = read(&format!(
            "{HEADER},days_waited\np1,iop,2027-01-04,,,waiting,inf\n"
        ))
        .unwrap_err();
        assert!(
            e.to_string().contains("'inf' is not a finite number"),
            "{e}"
        );
        let r = read(&format!("{HEADER},sessions_scheduled,sessions_attended\np1,iop,2027-01-04,2027-01-05,,in_care,3,4\n"))
            .unwrap();
        assert!(r.episodes.is_empty());
        assert!(r.warnings[0]
            .to_string()
            .contains("4 sessions attended of 3 scheduled"));
        // Blank lines are skipped.
        let r = read(&format!("{HEADER}\n\np1,iop,2027-01-04,,,waiting\n,,,,,\n")).unwrap();
        assert_eq!(r.episodes.len(), 1);
    }

    #[test]
    fn read_file_refuses_what_it_cannot_read() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_file(dir.path()).unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
        let path = dir.path().join("latin1.csv");
        std::fs::write(
            &path,
            b"patient,unit,referred,admitted,left,reason\n\xe9,iop,,,,waiting\n",
        )
        .unwrap();
        let e = read_file(&path).unwrap_err();
        assert!(e.to_string().contains("not UTF-8"), "{e}");
    }

    #[test]
    fn too_many_problems_stop_the_reading() {
        let mut text = format!("{HEADER}\n");
        for _ in 0..200 {
            text.push_str("p,iop,bad,,,waiting\n");
        }
        let e = read(&text).unwrap_err();
        assert_eq!(e.problems.len(), MAX_PROBLEMS);
        assert!(e.to_string().contains("(stopped at 50)"));
    }
}
