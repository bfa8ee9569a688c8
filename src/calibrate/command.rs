//! `iopsim fit RECORDS.csv -o my.toml`: read the records, fit, write the
//! scenario into the capacity scenario's text, check that it loads, and
//! only then write it (atomically: a failed fit leaves nothing behind).

use anyhow::Context;
use chrono::{NaiveDate, NaiveDateTime};

use super::estimate::Estimate;
use super::fit::{self, FitOptions, Period};
use super::fitted::{Fitted, FittedValue, MIN_COUNT};
use super::records;
use super::sessions;
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
    let no_episodes = || {
        usage(
            &file,
            "no usable episodes: no row has a referral date inside the period to fit",
        )
    };
    let own = fit::records_period(&recs.episodes).map_err(|_| no_episodes())?;
    let period = Period {
        start: from.unwrap_or(own.start),
        end: to.unwrap_or(own.end),
    };
    if period.start >= period.end {
        return Err(usage(
            if from.is_some() { "--from" } else { "--to" },
            format!(
                "the records run from {} to {}: the period to fit is empty",
                own.start.format("%Y-%m-%d"),
                own.end.format("%Y-%m-%d")
            ),
        ));
    }
    if !recs.episodes.iter().any(|e| {
        e.referred
            .is_some_and(|r| period.start <= r && r < period.end)
    }) {
        return Err(usage(
            &file,
            format!(
                "no usable episodes: no referral from {} to {}{}",
                period.start.format("%Y-%m-%d"),
                period.end.format("%Y-%m-%d"),
                if from.is_none() {
                    " (the records' period starts on the day of their first leaving, since an \
                     export holds, before its window, only those still in care; give --from to start earlier)"
                } else {
                    ""
                }
            ),
        ));
    }
    let attendance = match &args.sessions {
        Some(p) => Some(sessions::read_file(p)?),
        None => None,
    };
    let mut fitted = fit::fit(
        &recs.episodes,
        attendance.as_ref(),
        &FitOptions {
            period: Some(period),
            ..FitOptions::default()
        },
    )
    .map_err(|e| usage(&file, format!("no usable episodes: {e}")))?;
    if fitted.values.is_empty() {
        return Err(usage(
            &file,
            "no usable episodes: nothing could be fitted from these records",
        ));
    }
    for u in &capacity.units {
        if let crate::scenario::UnitKind::Sessions(su) = &u.kind {
            if su.intake.is_some() && recs.episodes.iter().any(|e| e.unit == u.name) {
                fitted.notes.push(format!(
                    "units.{}.intake.show: not fitted (show by days waited for the intake appointment needs \
                     the appointment's time, which the records do not hold); kept as {capacity_origin} has it, \
                     and the streams' show rates fitted here count no-shows at the appointment too",
                    u.name
                ));
            }
        }
    }
    let flat = drop_flat_months(&mut fitted.values);
    fitted.notes.extend(flat);
    let steady = drop_growth_within_chance(&mut fitted.values, &recs.episodes, period)
        .map_err(|e| usage(&file, e.to_string()))?;
    fitted.notes.extend(steady);
    // The fitted scenario forecasts from the end of the records: growth's
    // origin moves there, so a growing stream's rate is carried forward.
    let start_date = period.end.date();
    let years = (period.end - period.start).num_seconds() as f64 / (365.25 * 86_400.0);
    project_growth(&mut fitted.values, years);
    fitted.values.push(Fitted {
        key: "simulation.start_date".into(),
        value: FittedValue::Text(start_date.format("%Y-%m-%d").to_string()),
        how: "the day after the records end: the fitted scenario forecasts from there".into(),
    });

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

/// Leaves out the month factors of each stream whose months do not
/// differ from flat beyond chance (Pearson's chi-square over the months at
/// 5%): a year or two of a small stream gives month factors that are
/// mostly noise, and writing them would put that noise into every
/// forecast. Returns a note per stream left flat.
///
/// With N referrals, a month's count n_m and its fitted factor f_m (its
/// rate over the mean rate), the count expected under a flat rate is
/// E_m = n_m / f_m; X^2 = sum (n_m - E_m)^2 / E_m on 11 degrees of freedom.
fn drop_flat_months(values: &mut Vec<Fitted>) -> Vec<String> {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    let mut notes = Vec::new();
    values.retain(|f| {
        let Some(stream) = f
            .key
            .strip_prefix("referrals.")
            .and_then(|k| k.strip_suffix(".months"))
        else {
            return true;
        };
        let FittedValue::List(months) = &f.value else {
            return true;
        };
        let cells: Vec<(f64, f64)> = months
            .iter()
            .filter(|e| e.value > 0.0)
            .map(|e| (e.n as f64, e.n as f64 / e.value))
            .collect();
        if cells.len() < 2 {
            return true;
        }
        let x2: f64 = cells.iter().map(|(n, e)| (n - e).powi(2) / e).sum();
        let df = (months.len() - 1) as f64;
        let p = ChiSquared::new(df).map_or(0.0, |c| 1.0 - c.cdf(x2));
        if p < 0.05 {
            return true;
        }
        notes.push(format!(
            "referrals.{stream}.months: the months do not differ from flat beyond chance \
             (chi-square {x2:.1} on {df} degrees of freedom, p = {p:.2}); left out, so the rate is flat \
             (more records, or months from a larger program like it, may show a pattern)"
        ));
        false
    });
    notes
}

/// Leaves out each stream's growth whose 95% interval holds 0 (no
/// growth), and gives it the steady rate instead (its referrals over the
/// period, Garwood's interval): carried forward to a forecast, a growth
/// the records cannot tell from none would multiply the rate by chance.
/// Returns a note per stream left steady.
fn drop_growth_within_chance(
    values: &mut Vec<Fitted>,
    episodes: &[records::Episode],
    period: Period,
) -> Result<Vec<String>, super::estimate::EstimateError> {
    let steady: Vec<(String, Estimate)> = stream_numbers(values, "growth_per_year")
        .into_iter()
        .filter(|(_, e)| e.low <= 0.0 && 0.0 <= e.high)
        .collect();
    if steady.is_empty() {
        return Ok(Vec::new());
    }
    let flat = fit::streams(episodes, period)?;
    let mut notes = Vec::new();
    for (stream, g) in steady {
        let Some(rate) = flat.iter().find(|s| s.name == stream) else {
            continue;
        };
        values.retain(|f| f.key != format!("referrals.{stream}.growth_per_year"));
        if let Some(f) = values
            .iter_mut()
            .find(|f| f.key == format!("referrals.{stream}.per_week"))
        {
            f.value = FittedValue::Number(rate.per_week);
            f.how = format!(
                "{} first referrals in {:.1} weeks, a steady Poisson rate with Garwood's interval",
                rate.per_week.n,
                period.weeks()
            );
        }
        notes.push(format!(
            "referrals.{stream}.growth_per_year: {} (95% {} to {}) does not differ from no growth; \
             left out, so the rate is steady",
            show(g.value),
            show(g.low),
            show(g.high)
        ));
    }
    Ok(notes)
}

/// Each stream's fitted number at `referrals.<stream>.<leaf>`.
fn stream_numbers(values: &[Fitted], leaf: &str) -> Vec<(String, Estimate)> {
    values
        .iter()
        .filter_map(|f| {
            let stream = f
                .key
                .strip_prefix("referrals.")?
                .strip_suffix(leaf)?
                .strip_suffix('.')?;
            match &f.value {
                FittedValue::Number(e) => Some((stream.to_string(), *e)),
                _ => None,
            }
        })
        .collect()
}

/// Carries each stream's rate, fitted at the period's start, `years`
/// forward with its fitted growth (`per_week` is the rate at `start_date`,
/// which moves to the period's end).
fn project_growth(values: &mut [Fitted], years: f64) {
    let growth: Vec<(String, f64)> = stream_numbers(values, "growth_per_year")
        .into_iter()
        .map(|(stream, e)| (stream, e.value))
        .collect();
    for (stream, g) in growth {
        let key = format!("referrals.{stream}.per_week");
        if let Some(f) = values.iter_mut().find(|f| f.key == key) {
            if let FittedValue::Number(e) = &mut f.value {
                let factor = (1.0 + g).powf(years);
                e.value *= factor;
                e.low *= factor;
                e.high *= factor;
                f.how = format!(
                    "{}; carried {years:.2} years forward to start_date with the fitted growth \
                     (x{factor:.3}; the interval leaves out the growth's own uncertainty)",
                    f.how
                );
            }
        }
    }
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
