//! `iopsim fit RECORDS.csv -o my.toml`: read the records, fit, write the
//! scenario into the capacity scenario's text, check that it loads, and
//! only then write it (atomically: a failed fit leaves nothing behind).

use anyhow::Context;
use chrono::{NaiveDate, NaiveDateTime};

use super::fit::{self, Period};
use super::fitted::{Fitted, FittedValue, MIN_COUNT};
use super::records::{self, Episode};
use super::write::{self, show, Header, WriteError};
use crate::cli::FitArgs;
use crate::commands::{name_from_path, UsageError};
use crate::scenario::{self, DEFAULT_TOML};

/// Warnings printed one by one before the rest are counted.
const SHOWN_WARNINGS: usize = 10;

fn usage(option: &str, message: impl Into<String>) -> anyhow::Error {
    UsageError {
        option: option.to_string(),
        message: message.into(),
    }
    .into()
}

fn parse_date(option: &str, text: Option<&str>) -> anyhow::Result<Option<NaiveDateTime>> {
    text.map(|t| {
        NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
            .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists"))
            .map_err(|_| {
                usage(
                    option,
                    format!("expected a date as YYYY-MM-DD, e.g. 2027-01-04; got '{t}'"),
                )
            })
    })
    .transpose()
}

/// The period the records cover: from the first referral to the latest
/// time in them (a referral, admission or leaving), unless `--from` or
/// `--to` say otherwise.
pub fn records_period(
    episodes: &[Episode],
    from: Option<NaiveDateTime>,
    to: Option<NaiveDateTime>,
) -> Option<Period> {
    let first = episodes.iter().filter_map(|e| e.referred).min()?;
    let last = episodes
        .iter()
        .flat_map(|e| [e.referred, e.admitted, e.left, e.place_freed])
        .flatten()
        .max()?;
    let start = from.unwrap_or(first);
    let end = to.unwrap_or(last);
    (start < end).then_some(Period { start, end })
}

/// `iopsim fit`.
pub fn fit(args: &FitArgs) -> anyhow::Result<()> {
    let from = parse_date("--from", args.from.as_deref())?;
    let to = parse_date("--to", args.to.as_deref())?;
    if let (Some(f), Some(t)) = (from, to) {
        if f >= t {
            return Err(usage("--from", "must be before --to"));
        }
    }
    if args.output.exists() && !args.force {
        return Err(usage(
            "--output",
            format!(
                "{} already exists; pass --force to overwrite it",
                args.output.display()
            ),
        ));
    }

    // The capacity scenario first: a bad one is its own error.
    let (capacity, capacity_text, capacity_origin) = match &args.capacity {
        Some(p) => {
            let s = scenario::load_file(p, &[])?;
            let text = scenario::read_capped(p, scenario::limits::MAX_SCENARIO_FILE_BYTES)
                .with_context(|| format!("reading {}", p.display()))?;
            (s, text, p.display().to_string())
        }
        None => (
            scenario::load_str(DEFAULT_TOML, "<built-in default scenario>", &[])?,
            DEFAULT_TOML.to_string(),
            "the built-in default scenario".to_string(),
        ),
    };

    let recs = records::read_file(&args.records)?;
    let file = args.records.display().to_string();
    for w in recs.warnings.iter().take(SHOWN_WARNINGS) {
        eprintln!("warning: {file}: {w}");
    }
    if recs.warnings.len() > SHOWN_WARNINGS {
        eprintln!(
            "warning: {file}: {} more warnings like these",
            recs.warnings.len() - SHOWN_WARNINGS
        );
    }
    // Units come from the capacity scenario: one it lacks cannot be fitted.
    let known: Vec<&str> = capacity.units.iter().map(|u| u.name.as_str()).collect();
    let mut unknown: Vec<&str> = recs
        .episodes
        .iter()
        .map(|e| e.unit.as_str())
        .filter(|u| !known.contains(u))
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    if !unknown.is_empty() {
        return Err(WriteError {
            problems: vec![format!(
                "{file}: the records have unit{} {}, which {capacity_origin} does not define (it has: {}); \
                 give --capacity a scenario with {} and {}",
                if unknown.len() > 1 { "s" } else { "" },
                unknown.iter().map(|u| format!("'{u}'")).collect::<Vec<_>>().join(", "),
                known.join(", "),
                if unknown.len() > 1 { "those units" } else { "that unit" },
                if unknown.len() > 1 { "their capacity" } else { "its capacity" },
            )],
        }
        .into());
    }
    let Some(period) = records_period(&recs.episodes, from, to) else {
        return Err(usage(
            &file,
            "no usable episodes: no row has a referral date inside the period to fit",
        ));
    };
    let fitted = fit_values(&recs.episodes, period).map_err(|e| usage(&file, e.to_string()))?;
    if fitted.values.is_empty() {
        return Err(usage(
            &file,
            "no usable episodes: nothing could be fitted from these records",
        ));
    }

    let name = name_from_path(&args.output);
    let header = Header {
        name: name.clone(),
        description: format!("Fitted from {file} with the capacity of {capacity_origin}."),
        lines: vec![
            format!(
                "Fitted by iopsim {} from {file}: {} episodes, referrals from {} to {} ({:.1} weeks).",
                env!("CARGO_PKG_VERSION"),
                recs.episodes.len(),
                period.start.format("%Y-%m-%d"),
                period.end.format("%Y-%m-%d"),
                period.weeks()
            ),
            format!("Capacity (tracks, groups, rooms, staff, finance) and the rest: {capacity_origin}."),
            "Above each fitted number: its estimate, 95% interval, the count it rests on and how it was made;"
                .into(),
            format!(
                "THIN marks one resting on fewer than {MIN_COUNT}. Numbers without a 'fitted' comment are not from the records."
            ),
        ],
        notes: fitted.notes.clone(),
    };
    let (text, all_notes) =
        write::scenario_text(&capacity_text, &capacity_origin, &header, &fitted.values)?;

    // The fitted scenario must load as written before it is written.
    let dir = args.output.parent().filter(|d| !d.as_os_str().is_empty());
    if let Err(e) = scenario::load_str_in(&text, &args.output.display().to_string(), &[], dir) {
        return Err(WriteError {
            problems: vec![format!(
                "the fitted scenario does not load, so nothing was written; the records and the capacity scenario disagree:\n{e}"
            )],
        }
        .into());
    }
    crate::report::output::write_atomic(&args.output, text.as_bytes())?;

    if !args.quiet {
        print_summary(&fitted.values, &all_notes);
        println!(
            "wrote {} (\"{name}\"); next: iopsim check {0}, then iopsim backtest {file} --scenario {0} --from DATE",
            args.output.display()
        );
    }
    Ok(())
}

/// The fitted numbers, one line each, thin ones marked.
fn print_summary(values: &[Fitted], notes: &[String]) {
    let width = values.iter().map(|f| f.key.len()).max().unwrap_or(0);
    for f in values {
        let shown = match &f.value {
            FittedValue::Number(e) | FittedValue::Whole(e) => format!(
                "{} ({} to {}), n = {}",
                show(e.value),
                show(e.low),
                show(e.high),
                e.n
            ),
            FittedValue::List(v) => format!(
                "[{}]",
                v.iter()
                    .map(|e| show(e.value))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            FittedValue::Map(v) => v
                .iter()
                .map(|(k, e)| format!("{k} {}", show(e.value)))
                .collect::<Vec<_>>()
                .join(", "),
            FittedValue::Text(t) => t.clone(),
        };
        let thin = if f.thin() { "  THIN" } else { "" };
        println!("  {:width$}  {shown}{thin}", f.key);
    }
    for n in notes {
        println!("  note: {n}");
    }
}

/// The fit's values and notes.
pub struct Fitting {
    pub values: Vec<Fitted>,
    pub notes: Vec<String>,
}

/// Streams and waitlist patience, the estimators so far.
fn fit_values(
    episodes: &[Episode],
    period: Period,
) -> Result<Fitting, super::estimate::EstimateError> {
    let mut values = Vec::new();
    let mut notes = Vec::new();
    for s in fit::streams(episodes, period)? {
        let key = |leaf: &str| format!("referrals.{}.{leaf}", s.name);
        values.push(Fitted {
            key: key("to"),
            value: FittedValue::Text(s.to.clone()),
            how: "the unit most of its first referrals went to".into(),
        });
        values.push(Fitted {
            key: key("per_week"),
            value: FittedValue::Number(s.per_week),
            how: format!(
                "{} first referrals in {:.1} weeks, Poisson rate with Garwood's interval",
                s.per_week.n,
                period.weeks()
            ),
        });
        values.push(Fitted {
            key: key("show"),
            value: FittedValue::Number(s.show),
            how: format!(
                "{} of {} turned up, Wilson's interval",
                (s.show.value * s.show.n as f64).round(),
                s.show.n
            ),
        });
    }
    let mut units: Vec<&str> = episodes.iter().map(|e| e.unit.as_str()).collect();
    units.sort_unstable();
    units.dedup();
    for u in units {
        match fit::patience(episodes, u, period) {
            Ok(p) if p.survival.events > 0 => values.push(Fitted {
                key: format!("units.{u}.waitlist.patience.mean"),
                value: FittedValue::Number(p.exponential_mean),
                how: format!(
                    "{} of {} waits ended in giving up, admission censoring: exponential mean (days waited / those who gave up)",
                    p.survival.events, p.survival.n
                ),
            }),
            Ok(_) => notes.push(format!("{u}: nobody gave up waiting: patience not fitted")),
            Err(e) => notes.push(format!("{u}: patience not fitted: {e}")),
        }
    }
    Ok(Fitting { values, notes })
}
