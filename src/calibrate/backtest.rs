//! Back-testing a scenario against a clinic's records (issue 21, point 2):
//! `iopsim backtest RECORDS.csv --scenario S.toml --from DATE`.
//!
//! The records give the program as it was on DATE (who was in care, who was
//! waiting): that becomes the scenario's `[initial]` state, and the scenario
//! is simulated from DATE to the end of the records. What the records show
//! afterwards (the weekly census, the admissions of each week, the waits to
//! admission) is then set against the simulated spread: for each week,
//! whether the observed value is inside the simulated P5-P95 band; for the
//! waits, the Kolmogorov-Smirnov distance between the observed waits and the
//! simulated ones pooled over trials.
//!
//! Only the state on DATE comes from the records; the referrals after DATE
//! come from the scenario's own streams. So a scenario that describes the
//! program well keeps about nine weeks in ten inside the band, and one that
//! misses a change (more referrals, longer stays) sees the weeks leave it.
//!
//! The pieces are pure functions, each tested on its own: [`one_trial`],
//! [`initial_state`] and [`initial_csv`], [`observe`], [`compare`],
//! [`ks_against`] and [`kolmogorov_q`]; [`command`] puts them together.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};

use super::records::{self, Episode, Records};
pub mod args;
use crate::commands::UsageError;
use crate::report::output::{self, Claim, Owner, RUN_RECORD};
use crate::scenario::{Episode as EpisodeLength, Scenario, UnitKind, DEFAULT_TOML};
use crate::stats::{quantile, Summary};
use crate::trials::{RunResults, WaitHistogram, WAIT_BIN_DAYS};
pub use args::BacktestArgs;

pub mod page;

const DAY_SECS: f64 = 86_400.0;
const WEEK_SECS: f64 = 7.0 * DAY_SECS;

fn usage(option: impl Into<String>, message: impl Into<String>) -> anyhow::Error {
    UsageError {
        option: option.into(),
        message: message.into(),
    }
    .into()
}

/// A `--from` or `--to` value: a date `YYYY-MM-DD`.
pub fn parse_date(flag: &str, value: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
        usage(
            format!("{flag} {value}"),
            "not a date; give it as YYYY-MM-DD, e.g. 2027-07-05",
        )
    })
}

/// The episodes of one trial: a clinic's records have no trial column and
/// are taken whole; a simulated log may hold several trials, and `trial`
/// (`--trial`) picks one (needed only when there are several).
pub fn one_trial(records: &Records, trial: Option<u64>) -> anyhow::Result<Vec<&Episode>> {
    let mut trials: Vec<u64> = records.episodes.iter().filter_map(|e| e.trial).collect();
    trials.sort_unstable();
    trials.dedup();
    let listed = || {
        let shown: Vec<String> = trials.iter().take(10).map(u64::to_string).collect();
        let more = if trials.len() > 10 {
            format!(" and {} more", trials.len() - 10)
        } else {
            String::new()
        };
        format!("{}{more}", shown.join(", "))
    };
    let pick = match (trial, trials.as_slice()) {
        (None, []) => return Ok(records.episodes.iter().collect()),
        (Some(k), []) => {
            return Err(usage(
                format!("--trial {k}"),
                format!(
                "{} has no trial column (a clinic's records are one history); leave --trial out",
                records.file
            ),
            ))
        }
        (None, [one]) => *one,
        (None, _) => {
            return Err(usage(
                "--trial",
                format!(
                    "{} holds {} trials of a simulated log ({}); pick one with --trial K",
                    records.file,
                    trials.len(),
                    listed()
                ),
            ))
        }
        (Some(k), _) if trials.contains(&k) => k,
        (Some(k), _) => {
            return Err(usage(
                format!("--trial {k}"),
                format!(
                    "{} has no trial {k}; its trials are {}",
                    records.file,
                    listed()
                ),
            ))
        }
    };
    Ok(records
        .episodes
        .iter()
        .filter(|e| e.trial == Some(pick))
        .collect())
}

/// Every time an episode carries.
fn times(e: &Episode) -> impl Iterator<Item = NaiveDateTime> {
    [e.referred, e.admitted, e.left, e.place_freed]
        .into_iter()
        .flatten()
}

/// The first and the last time in the episodes, if any.
pub fn span(episodes: &[&Episode]) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let mut all = episodes.iter().flat_map(|e| times(e));
    let first = all.next()?;
    Some(all.fold((first, first), |(lo, hi), t| (lo.min(t), hi.max(t))))
}

/// Midnight of `d`.
pub fn midnight(d: NaiveDate) -> NaiveDateTime {
    d.and_time(NaiveTime::MIN)
}

/// One row of the `[initial]` CSV built from the records.
#[derive(Debug, Clone, PartialEq)]
pub struct InitialRow {
    pub unit: String,
    pub waiting: bool,
    /// Empty: none (a beds unit, or a waiting patient of no known track).
    pub track: String,
    /// In care: the admission date (clamped, see [`initial_state`]).
    pub admitted: Option<NaiveDate>,
    /// Waiting: days from the referral to DATE 00:00.
    pub days_waited: Option<f64>,
    pub priority: Option<i64>,
    /// The records' line it comes from.
    pub line: u64,
}

/// The state at `at` and what was adjusted to fit the scenario's rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Initial {
    pub rows: Vec<InitialRow>,
    /// Patients in care whose admission date was moved later so that their
    /// days in care stay within a fixed episode (the records' admission was
    /// less than a whole day too early for it; see [`initial_state`]).
    pub clamped: usize,
    /// Not-yet-admitted visits at `at` that ended as no-shows: left out.
    pub no_shows: usize,
}

/// The program at `at` (DATE 00:00) from the records:
///
/// - **in care**: admitted at or before `at`, and not left by then (`left`
///   after `at`, or still open). Written with the admission's date and the
///   track (required where the unit has several). `[initial]` counts days
///   in care in whole days from the date, so a stay of a fixed episode
///   (`episode = { weeks = N }`) admitted late on the day N x 7 days before
///   DATE (still in care at midnight, by hours) would count N x 7 days and
///   be refused as complete: its date is moved one day later ([`Initial::clamped`]).
///   `sessions_attended` is left out: the records hold a visit's total at its
///   end, not the count by DATE, so the simulator estimates it.
/// - **waiting**: referred at or before `at`, not admitted by then, not
///   left by then, and not a no-show (those never joined the waitlist for a
///   seat). Written with the days waited to `at` (to the second), their
///   priority where the records give one, and their track where known.
///
/// In care first (by unit, track, admission and line), then waiting (by
/// unit, referral and line). Errors name the records' line: a unit not in
/// the scenario, a track not in its unit, a patient in care of a
/// several-track unit with no track, more patients in care in a track than
/// it has seats.
pub fn initial_state(
    episodes: &[&Episode],
    at: NaiveDateTime,
    scenario: &Scenario,
    file: &str,
) -> anyhow::Result<Initial> {
    let mut in_care: Vec<(InitialRow, NaiveDateTime)> = Vec::new();
    let mut waiting: Vec<(InitialRow, NaiveDateTime)> = Vec::new();
    let mut clamped = 0;
    let mut no_shows = 0;
    for e in episodes {
        let gone = e.left.is_some_and(|l| l <= at);
        let admitted = e.admitted.filter(|a| *a <= at);
        let unit = || {
            scenario
                .units
                .iter()
                .find(|u| u.name == e.unit)
                .ok_or_else(|| missing_units(scenario, std::slice::from_ref(&e.unit), file))
        };
        if let (Some(a), false) = (admitted, gone) {
            let u = unit()?;
            let track = track_of(e, u, false, file)?;
            let mut date = a.date();
            if let UnitKind::Sessions(su) = &u.kind {
                if let EpisodeLength::Weeks(w) = su.episode {
                    let longest = i64::from(w) * 7 - 1;
                    if (at.date() - date).num_days() > longest {
                        date = at.date() - Days::new(longest as u64);
                        clamped += 1;
                    }
                }
            }
            in_care.push((
                InitialRow {
                    unit: e.unit.clone(),
                    waiting: false,
                    track,
                    admitted: Some(date),
                    days_waited: None,
                    priority: None,
                    line: e.line,
                },
                a,
            ));
        } else if let (None, Some(r), false) = (admitted, e.referred, gone) {
            if r > at {
                continue;
            }
            if e.reason == "no_show" {
                no_shows += 1;
                continue;
            }
            let u = unit()?;
            let track = track_of(e, u, true, file)?;
            waiting.push((
                InitialRow {
                    unit: e.unit.clone(),
                    waiting: true,
                    track,
                    admitted: None,
                    days_waited: Some((at - r).num_seconds() as f64 / DAY_SECS),
                    priority: e.priority,
                    line: e.line,
                },
                r,
            ));
        }
    }
    in_care.sort_by(|(a, ta), (b, tb)| {
        (&a.unit, &a.track, ta, a.line).cmp(&(&b.unit, &b.track, tb, b.line))
    });
    waiting.sort_by(|(a, ta), (b, tb)| (&a.unit, ta, a.line).cmp(&(&b.unit, tb, b.line)));
    check_seats(&in_care, at, scenario)?;
    let rows = in_care.into_iter().chain(waiting).map(|(r, _)| r).collect();
    Ok(Initial {
        rows,
        clamped,
        no_shows,
    })
}

fn missing_units(scenario: &Scenario, missing: &[String], file: &str) -> anyhow::Error {
    let have: Vec<&str> = scenario.units.iter().map(|u| u.name.as_str()).collect();
    usage(
        "--scenario",
        format!(
            "{file} has patients of unit{} {} that the scenario '{}' does not have; its units are: {} \
             (name the units in the scenario as the records do)",
            if missing.len() == 1 { "" } else { "s" },
            missing
                .iter()
                .map(|m| format!("'{m}'"))
                .collect::<Vec<_>>()
                .join(", "),
            scenario.name,
            have.join(", ")
        ),
    )
}

/// The track to write for `e` in unit `u`: checked against the unit's tracks.
fn track_of(
    e: &Episode,
    u: &crate::scenario::Unit,
    waiting: bool,
    file: &str,
) -> anyhow::Result<String> {
    let UnitKind::Sessions(su) = &u.kind else {
        return Ok(String::new());
    };
    let names: Vec<&str> = su.tracks.iter().map(|t| t.name.as_str()).collect();
    if e.track.is_empty() {
        if waiting || names.len() == 1 {
            return Ok(String::new());
        }
        return Err(usage(
            format!("{file} line {}", e.line),
            format!(
                "this patient was in care in '{}' on the date but has no track, and the unit has several: {}",
                u.name,
                names.join(", ")
            ),
        ));
    }
    if !names.contains(&e.track.as_str()) {
        return Err(usage(
            format!("{file} line {}, column track", e.line),
            format!(
                "'{}' is not a track of '{}' in the scenario; its tracks are: {}",
                e.track,
                u.name,
                names.join(", ")
            ),
        ));
    }
    Ok(e.track.clone())
}

/// Patients in care at `at` may not outnumber a track's seats (a beds
/// unit's beds), as `[initial]` requires.
fn check_seats(
    in_care: &[(InitialRow, NaiveDateTime)],
    at: NaiveDateTime,
    scenario: &Scenario,
) -> anyhow::Result<()> {
    let mut counts: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for (r, _) in in_care {
        *counts.entry((&r.unit, &r.track)).or_default() += 1;
    }
    for ((unit, track), n) in counts {
        let Some(u) = scenario.units.iter().find(|u| u.name == unit) else {
            continue;
        };
        let (seats, what) = match &u.kind {
            UnitKind::Beds(b) => (u64::from(b.capacity), format!("'{unit}'")),
            UnitKind::Sessions(su) => {
                let t = if track.is_empty() {
                    &su.tracks[0]
                } else {
                    match su.tracks.iter().find(|t| t.name == track) {
                        Some(t) => t,
                        None => continue,
                    }
                };
                (
                    u64::from(t.groups) * u64::from(t.group_size),
                    format!("'{unit}' track '{}'", t.name),
                )
            }
        };
        if n > seats {
            return Err(usage(
                "--scenario",
                format!(
                    "the records have {n} patients in care in {what} on {}, but the scenario gives it {seats} \
                     places; give the scenario the capacity the program had",
                    at.date()
                ),
            ));
        }
    }
    Ok(())
}

/// A number of days as written in `initial.csv`: up to six decimals, no
/// trailing zeros.
fn days_text(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// The `[initial]` CSV of `docs/scenario.md`: unit, status, track,
/// admitted, days_waited, priority.
pub fn initial_csv(rows: &[InitialRow]) -> String {
    let mut out = String::from("unit,status,track,admitted,days_waited,priority\n");
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{}",
            r.unit,
            if r.waiting { "waiting" } else { "in_care" },
            r.track,
            r.admitted.map(|d| d.to_string()).unwrap_or_default(),
            r.days_waited.map(days_text).unwrap_or_default(),
            r.priority.map(|p| p.to_string()).unwrap_or_default(),
        );
    }
    out
}

/// What the records show for one unit, week by week from DATE.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub unit: String,
    /// The mean number in care over each week, as the simulator's weekly
    /// census: each admitted visit counts from `admitted` to `place_freed`
    /// (`left` where the records have no `place_freed`; still open: to the
    /// end), the time within the week over the week's length.
    pub census: Vec<f64>,
    /// Admissions (`admitted`) within each week.
    pub admissions: Vec<f64>,
    /// The mean number waiting for a place over each week, as the
    /// simulator's weekly waitlist: each visit that is not a no-show counts
    /// from `referred` to `admitted` (never admitted: to `left`; still
    /// open: to the end). Not compared at a unit with an intake stage,
    /// whose records cannot tell the wait for the appointment (not on the
    /// simulated waitlist) from the wait for a place.
    pub waitlist: Vec<f64>,
    /// Days from referral to admission of every admission within the
    /// weeks, those referred before DATE included (the simulator's waits
    /// count theirs too, days already waited and all), ascending.
    pub waits: Vec<f64>,
}

/// [`Observed`] for `unit` over `weeks` weeks from `start`.
pub fn observe(episodes: &[&Episode], unit: &str, start: NaiveDateTime, weeks: u32) -> Observed {
    let w = weeks as usize;
    let mut census = vec![0.0; w];
    let mut admissions = vec![0.0; w];
    let mut waitlist = vec![0.0; w];
    let mut waits = Vec::new();
    let end = w as f64 * WEEK_SECS;
    let secs = |t: NaiveDateTime| (t - start).num_seconds() as f64;
    // Adds the time of [from, to) within each week, in weeks.
    let spread = |level: &mut [f64], from: f64, to: f64| {
        for (k, c) in level.iter_mut().enumerate() {
            let (lo, hi) = (k as f64 * WEEK_SECS, (k + 1) as f64 * WEEK_SECS);
            let overlap = to.min(hi) - from.max(lo);
            if overlap > 0.0 {
                *c += overlap / WEEK_SECS;
            }
        }
    };
    for e in episodes.iter().filter(|e| e.unit == unit) {
        if let (Some(r), false) = (e.referred, e.reason == "no_show") {
            let to = e.admitted.or(e.left).map_or(f64::INFINITY, secs);
            spread(&mut waitlist, secs(r), to);
        }
        let Some(a) = e.admitted else { continue };
        let from = secs(a);
        let to = e.place_freed.or(e.left).map_or(f64::INFINITY, secs);
        spread(&mut census, from, to);
        if (0.0..end).contains(&from) {
            admissions[(from / WEEK_SECS) as usize] += 1.0;
            if let Some(r) = e.referred {
                waits.push((a - r).num_seconds() as f64 / DAY_SECS);
            }
        }
    }
    waits.sort_by(f64::total_cmp);
    Observed {
        unit: unit.to_string(),
        census,
        admissions,
        waitlist,
        waits,
    }
}

/// One week of one measure: the observed value against the simulated spread.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekRow {
    /// From 1.
    pub week: u32,
    pub week_start: NaiveDate,
    /// `<unit>.census`, `<unit>.waitlist` or `<unit>.admissions`, as in `weekly.csv`.
    pub measure: String,
    pub observed: f64,
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
}

impl WeekRow {
    /// Inside the simulated P5-P95 band, ends included.
    pub fn inside(&self) -> bool {
        self.observed >= self.p5 && self.observed <= self.p95
    }
    /// -1 below the band, 0 inside, 1 above.
    pub fn side(&self) -> i8 {
        if self.observed < self.p5 {
            -1
        } else if self.observed > self.p95 {
            1
        } else {
            0
        }
    }
}

/// How one weekly measure fared over all weeks.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureFit {
    pub measure: String,
    pub inside: usize,
    pub weeks: usize,
    /// The first week (from 1) of a run to the end in which the observed
    /// weeks are mostly outside the band (see [`leaves_from`]), and whether
    /// they are mostly above it.
    pub leaves: Option<(u32, bool)>,
}

impl MeasureFit {
    pub fn share(&self) -> f64 {
        if self.weeks == 0 {
            f64::NAN
        } else {
            self.inside as f64 / self.weeks as f64
        }
    }
}

/// The observed waits of a unit against the simulated ones.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitFit {
    pub unit: String,
    pub observed: Vec<f64>,
    pub observed_p50: f64,
    pub observed_p90: f64,
    pub simulated_p50: f64,
    pub simulated_p90: f64,
    /// Admissions of all trials pooled.
    pub simulated_n: u64,
    /// Kolmogorov-Smirnov distance and its p-value; NaN without waits on
    /// either side.
    pub ks_d: f64,
    pub ks_p: f64,
}

/// The whole comparison.
#[derive(Debug, Clone)]
pub struct Backtest {
    pub rows: Vec<WeekRow>,
    pub measures: Vec<MeasureFit>,
    pub waits: Vec<WaitFit>,
}

/// The first week `w` (from 1) such that week `w` is outside the band and,
/// from it to the end, at least two weeks in three are outside, over at
/// least three weeks, with whether most of those outside are above the
/// band. A scenario that describes the records leaves about one week in
/// ten outside, scattered; a change it does not know leaves a run to the end.
pub fn leaves_from(sides: &[i8]) -> Option<(u32, bool)> {
    let n = sides.len();
    (0..n.saturating_sub(2)).find_map(|w| {
        let rest = &sides[w..];
        let out = rest.iter().filter(|s| **s != 0).count();
        (sides[w] != 0 && out * 3 >= rest.len() * 2).then(|| {
            let above = rest.iter().filter(|s| **s > 0).count();
            (w as u32 + 1, above * 2 > out)
        })
    })
}

/// Sets the observed weeks and waits against the simulation.
pub fn compare(observed: &[Observed], results: &RunResults) -> Backtest {
    let mut rows = Vec::new();
    let mut measures = Vec::new();
    let mut waits = Vec::new();
    for o in observed {
        let intake = crate::report::plots::structure::has_intake(results, &o.unit);
        for (what, values) in [
            ("census", &o.census),
            ("waitlist", &o.waitlist),
            ("admissions", &o.admissions),
        ] {
            if what == "waitlist" && intake {
                continue;
            }
            let measure = format!("{}.{what}", o.unit);
            let Some(sim) = results.weekly_of(&measure) else {
                continue;
            };
            let these: Vec<WeekRow> = values
                .iter()
                .zip(sim)
                .enumerate()
                .map(|(k, (&v, s)): (usize, (&f64, &Summary))| WeekRow {
                    week: k as u32 + 1,
                    week_start: results.start_date + Days::new(7 * k as u64),
                    measure: measure.clone(),
                    observed: v,
                    p5: s.p5,
                    p50: s.p50,
                    p95: s.p95,
                })
                .collect();
            let sides: Vec<i8> = these.iter().map(WeekRow::side).collect();
            measures.push(MeasureFit {
                measure,
                inside: these.iter().filter(|r| r.inside()).count(),
                weeks: these.len(),
                leaves: leaves_from(&sides),
            });
            rows.extend(these);
        }
        if let Some(h) = results.waits.iter().find(|h| h.unit == o.unit) {
            let (ks_d, ks_p) = ks_against(&o.waits, h);
            waits.push(WaitFit {
                unit: o.unit.clone(),
                observed: o.waits.clone(),
                observed_p50: quantile(&o.waits, 0.5),
                observed_p90: quantile(&o.waits, 0.9),
                simulated_p50: h.p50,
                simulated_p90: h.p90,
                simulated_n: h.total,
                ks_d,
                ks_p,
            });
        }
    }
    Backtest {
        rows,
        measures,
        waits,
    }
}

/// The share of simulated waits below `x` days: the histogram's cumulative
/// share, linear within its half-day bins (the last, open-ended bin adds
/// nothing until its end is reached, which it never is).
pub fn histogram_cdf(h: &WaitHistogram, x: f64) -> f64 {
    if h.total == 0 || x <= 0.0 {
        return 0.0;
    }
    let last = h.counts.len().saturating_sub(1);
    let bin = (x / WAIT_BIN_DAYS).floor() as usize;
    let below: u64 = h.counts[..bin.min(last)].iter().sum();
    let part = if bin < last {
        h.counts[bin] as f64 * (x / WAIT_BIN_DAYS - bin as f64)
    } else {
        0.0
    };
    (below as f64 + part) / h.total as f64
}

/// The one-sample Kolmogorov-Smirnov test of the observed waits (`sorted`,
/// ascending) against the simulated ones as the reference distribution
/// ([`histogram_cdf`]): the largest gap D between the two cumulative
/// shares, and its p-value from Kolmogorov's distribution with Stephens'
/// small-sample factor, `Q((sqrt(n) + 0.12 + 0.11 / sqrt(n)) D)`. The
/// simulated side pools every admission of every trial (thousands of
/// waits), so its own noise is neglected. (NaN, NaN) without waits on
/// either side.
pub fn ks_against(sorted: &[f64], h: &WaitHistogram) -> (f64, f64) {
    let n = sorted.len();
    if n == 0 || h.total == 0 {
        return (f64::NAN, f64::NAN);
    }
    let nf = n as f64;
    let d = sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = histogram_cdf(h, x);
            ((i + 1) as f64 / nf - f).max(f - i as f64 / nf)
        })
        .fold(0.0, f64::max);
    let root = nf.sqrt();
    (d, kolmogorov_q((root + 0.12 + 0.11 / root) * d))
}

/// Kolmogorov's survival function `Q(l) = P(K > l) = 2 sum_{j>=1}
/// (-1)^(j-1) exp(-2 j^2 l^2)`; below l = 1.18 from the equivalent
/// `1 - sqrt(2 pi) / l sum_{j>=1} exp(-(2j-1)^2 pi^2 / (8 l^2))`, which
/// converges fast there.
pub fn kolmogorov_q(l: f64) -> f64 {
    if l.is_nan() {
        return f64::NAN;
    }
    if l <= 0.0 {
        return 1.0;
    }
    if l < 1.18 {
        let pi = std::f64::consts::PI;
        let s: f64 = (1..=6)
            .map(|j| {
                let k = (2 * j - 1) as f64;
                (-k * k * pi * pi / (8.0 * l * l)).exp()
            })
            .sum();
        (1.0 - (2.0 * pi).sqrt() / l * s).clamp(0.0, 1.0)
    } else {
        let s: f64 = (1..=20)
            .map(|j| {
                let j = j as f64;
                let sign = if j as u64 % 2 == 1 { 1.0 } else { -1.0 };
                sign * (-2.0 * j * j * l * l).exp()
            })
            .sum();
        (2.0 * s).clamp(0.0, 1.0)
    }
}

/// `backtest.csv`: week, week_start, measure, observed, p5, p50, p95,
/// inside (`true`/`false`), one row per week per measure.
pub fn csv(b: &Backtest) -> String {
    let mut out = String::from("week,week_start,measure,observed,p5,p50,p95,inside\n");
    for r in &b.rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            r.week,
            r.week_start,
            r.measure,
            r.observed,
            r.p5,
            r.p50,
            r.p95,
            r.inside()
        );
    }
    out
}

/// `backtest-waits.csv`: per unit, the observed and simulated median and
/// P90 wait, the counts, and the Kolmogorov-Smirnov distance and p-value.
pub fn waits_csv(b: &Backtest) -> String {
    let mut out = String::from(
        "unit,observed_n,observed_p50,observed_p90,simulated_n,simulated_p50,simulated_p90,ks_d,ks_p\n",
    );
    for w in &b.waits {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{}",
            w.unit,
            w.observed.len(),
            w.observed_p50,
            w.observed_p90,
            w.simulated_n,
            w.simulated_p50,
            w.simulated_p90,
            w.ks_d,
            w.ks_p
        );
    }
    out
}

/// "census", "admissions" of `iop.census`.
pub fn measure_words(measure: &str) -> String {
    let (unit, what) = measure.rsplit_once('.').unwrap_or(("", measure));
    let what = match what {
        "census" => "census (in care)",
        "admissions" => "admissions per week",
        "waitlist" => "waitlist (waiting for a place)",
        other => other,
    };
    if unit.is_empty() {
        what.to_string()
    } else {
        format!("{unit}: {what}")
    }
}

/// The plain-words verdict of one measure: "iop: census (in care) inside
/// the band in 46 of 52 weeks (88%)", and where the weeks leave it.
pub fn measure_sentence(m: &MeasureFit, start: NaiveDate) -> String {
    let mut s = format!(
        "{} inside the simulated P5\u{2013}P95 band in {} of {} weeks ({})",
        measure_words(&m.measure),
        m.inside,
        m.weeks,
        crate::report::format::pct(m.share())
    );
    if let Some((w, above)) = m.leaves {
        let date = start + Days::new(7 * u64::from(w - 1));
        let _ = write!(
            s,
            "; the observed weeks leave the band from week {w} ({date}) on, mostly {}: \
             the records change in a way the scenario does not know",
            if above {
                "above it (more than the scenario expects)"
            } else {
                "below it (less than the scenario expects)"
            }
        );
    }
    s
}

/// The plain-words verdict on the waits of a unit.
pub fn wait_sentence(w: &WaitFit) -> String {
    use crate::report::format::num;
    if w.observed.is_empty() {
        return format!(
            "{}: no admissions in the records over these weeks, so no waits to compare",
            w.unit
        );
    }
    let close = if w.ks_p < 0.05 {
        "the observed waits differ from the simulated ones (p < 0.05)"
    } else {
        "the observed waits could come from the simulated distribution"
    };
    format!(
        "{}: waits to admission, median {} days observed against {} simulated, P90 {} against {}; \
         Kolmogorov\u{2013}Smirnov distance {} (p = {}): {close}",
        w.unit,
        num(w.observed_p50),
        num(w.simulated_p50),
        num(w.observed_p90),
        num(w.simulated_p90),
        num(w.ks_d),
        if w.ks_p < 0.001 {
            "< 0.001".to_string()
        } else {
            format!("{:.3}", w.ks_p)
        }
    )
}

/// Share of all weeks of all measures inside the band at which the page
/// says the scenario reproduces the records (a faithful scenario gives
/// about 90%).
pub const GOOD_SHARE: f64 = 0.8;

/// Whether the scenario reproduces the records: at least [`GOOD_SHARE`]
/// of the weeks inside and no measure leaving the band.
pub fn reproduces(b: &Backtest) -> bool {
    let (inside, weeks) = b
        .measures
        .iter()
        .fold((0, 0), |(i, w), m| (i + m.inside, w + m.weeks));
    weeks > 0
        && inside as f64 >= GOOD_SHARE * weeks as f64
        && b.measures.iter().all(|m| m.leaves.is_none())
}

/// What the command ran and found, for the page and the console.
pub struct Outcome {
    pub records_file: String,
    pub scenario: Scenario,
    pub from: NaiveDate,
    /// The end of the compared weeks (`from` + weeks x 7 days).
    pub until: NaiveDate,
    /// The end of the records (their last time, or `--to`).
    pub records_end: NaiveDateTime,
    pub initial: Initial,
    pub observed: Vec<Observed>,
    pub backtest: Backtest,
    pub results: RunResults,
}

/// The scenario's TOML with the back-test's settings: `start_date`, no
/// warm-up, `weeks`, no `[initial]` of its own but `initial.csv`, and
/// `--trials` and `--seed` where given.
fn backtest_toml(
    text: &str,
    origin: &str,
    from: NaiveDate,
    weeks: u32,
    trials: Option<u32>,
    seed: Option<u64>,
) -> anyhow::Result<String> {
    let mut doc: toml::Table = text.parse().map_err(|e| {
        anyhow::Error::new(crate::scenario::ScenarioError::Parse {
            origin: origin.to_string(),
            message: format!("{e}"),
        })
    })?;
    let sim = doc
        .entry("simulation")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let Some(sim) = sim.as_table_mut() {
        sim.insert(
            "start_date".into(),
            toml::Value::String(from.format("%Y-%m-%d").to_string()),
        );
        sim.insert("warmup_weeks".into(), toml::Value::Integer(0));
        sim.insert("weeks".into(), toml::Value::Integer(i64::from(weeks)));
        if let Some(t) = trials {
            sim.insert("trials".into(), toml::Value::Integer(i64::from(t)));
        }
        if let Some(s) = seed {
            sim.insert("seed".into(), toml::Value::Integer(s as i64));
        }
    }
    let mut initial = toml::Table::new();
    initial.insert(
        "patients_csv".into(),
        toml::Value::String("initial.csv".into()),
    );
    doc.insert("initial".into(), toml::Value::Table(initial));
    Ok(toml::to_string_pretty(&doc)?)
}

/// Loads the back-test's scenario from `toml` and `csv` written to `dir`.
fn load_in(dir: &Path, toml: &str, csv: &str, origin: &str) -> anyhow::Result<Scenario> {
    std::fs::write(dir.join("initial.csv"), csv)
        .with_context(|| format!("writing {}", dir.join("initial.csv").display()))?;
    Ok(crate::scenario::load_str_in(toml, origin, &[], Some(dir))?)
}

/// A private folder under the system's temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> anyhow::Result<TempDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let p =
            std::env::temp_dir().join(format!("iopsim-backtest-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).with_context(|| format!("creating {}", p.display()))?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The inputs checked and the back-test's scenario built, before anything
/// is simulated or written.
pub struct Plan {
    pub records: Records,
    pub from: NaiveDate,
    pub weeks: u32,
    pub records_end: NaiveDateTime,
    pub initial: Initial,
    pub toml: String,
    pub csv: String,
    pub scenario: Scenario,
    episodes: Vec<usize>,
}

/// Reads and checks everything `args` names: the records, the dates, the
/// trial, the scenario and the initial state. Every problem of the input is
/// a [`UsageError`] or a scenario error (exit 2), before anything is written.
pub fn plan(args: &BacktestArgs) -> anyhow::Result<Plan> {
    let from = parse_date("--from", &args.from)?;
    let to = args
        .to
        .as_deref()
        .map(|t| parse_date("--to", t))
        .transpose()?;
    let records = records::read_file(&args.records).map_err(|e| {
        usage(
            e.file.clone(),
            e.to_string()
                .strip_prefix(&format!("{}: ", e.file))
                .map_or_else(|| e.to_string(), str::to_string),
        )
    })?;
    let file = records.file.clone();
    let chosen = one_trial(&records, args.trial)?;
    let Some((first, last)) = span(&chosen) else {
        return Err(usage(
            file,
            "no usable episodes (no row with a referral, admission or leaving time); nothing to back-test",
        ));
    };
    // `--to` is the date the records were taken: nothing after it is used,
    // and quiet days before it are part of the records (open episodes have
    // no time at the end).
    let end = match to {
        Some(t) => {
            if midnight(t) > last + Days::new(14) {
                eprintln!(
                    "warning: --to {t}: the records' last time is {last}, more than two weeks earlier; \
                     were they taken on {t}? Weeks with no records count as weeks with nothing"
                );
            }
            midnight(t)
        }
        None => last,
    };
    let start = midnight(from);
    if start < first || start >= end {
        return Err(usage(
            format!("--from {from}"),
            format!(
                "outside the records, which run from {first} to {end}; give a date in between, \
                 at least a week before their end"
            ),
        ));
    }
    let weeks = ((end - start).num_seconds() as f64 / WEEK_SECS).floor();
    if weeks < 1.0 {
        return Err(usage(
            format!("--from {from}"),
            format!(
                "less than a whole week before the end of the records ({end}); give a date at least 7 days earlier"
            ),
        ));
    }
    let weeks = weeks.min(f64::from(crate::scenario::limits::MAX_TOTAL_WEEKS as u32)) as u32;
    let (text, origin) = match &args.scenario {
        Some(p) => (
            crate::scenario::read_capped(p, crate::scenario::limits::MAX_SCENARIO_FILE_BYTES)
                .map_err(|source| crate::scenario::ScenarioError::Io {
                    path: p.clone(),
                    source,
                })?,
            p.display().to_string(),
        ),
        None => (
            DEFAULT_TOML.to_string(),
            "<built-in default scenario>".to_string(),
        ),
    };
    // The scenario as given (after any --set), for its units and tracks.
    let base = crate::decide::load(args.scenario.as_ref(), &args.set)?;
    // A what-if is the file with its overrides applied, as `run` keeps it.
    let text = if args.set.is_empty() {
        text
    } else {
        base.resolved_toml.clone()
    };
    let mut missing: Vec<String> = chosen
        .iter()
        .map(|e| e.unit.clone())
        .filter(|u| !base.units.iter().any(|x| &x.name == u))
        .collect();
    missing.sort();
    missing.dedup();
    if !missing.is_empty() {
        return Err(missing_units(&base, &missing, &file));
    }
    let initial = initial_state(&chosen, start, &base, &file)?;
    let toml = backtest_toml(&text, &origin, from, weeks, args.trials, args.seed)?;
    let csv = initial_csv(&initial.rows);
    let tmp = TempDir::new()?;
    let origin = format!("{origin} (set up for the back-test from {from})");
    let scenario = load_in(&tmp.0, &toml, &csv, &origin)?;
    let episodes = records
        .episodes
        .iter()
        .enumerate()
        .filter(|(_, e)| chosen.iter().any(|c| std::ptr::eq(*c, *e)))
        .map(|(i, _)| i)
        .collect();
    Ok(Plan {
        from,
        weeks,
        records_end: end,
        initial,
        toml,
        csv,
        scenario,
        episodes,
        records,
    })
}

/// `iopsim backtest`: checks the inputs ([`plan`]), claims the results
/// folder (`OUT/<name>-backtest/`), simulates, compares and writes
/// `backtest.csv`, `backtest-waits.csv`, `initial.csv`, `scenario.toml`
/// (which `iopsim run` reproduces the simulation from), `run.json`, and
/// unless `--no-plots` the charts and `backtest.html`; all staged and
/// committed at once, so an error leaves nothing half-written.
pub fn command(args: &BacktestArgs) -> anyhow::Result<()> {
    let started = (std::time::Instant::now(), std::time::SystemTime::now());
    let plan = plan(args)?;
    for w in &plan.records.warnings {
        eprintln!("warning: {}: {w}", plan.records.file);
    }
    let claim = Claim::new(
        &args.out,
        &format!("{}-backtest", plan.scenario.name),
        Owner::new("backtest", crate::decide::source(args.scenario.as_ref())),
        args.force,
    )?;
    let staging = claim.stage()?;
    staging.write("scenario.toml", plan.toml.as_bytes())?;
    // The scenario as run is the one read back from the folder's own files.
    let origin = staging.path("scenario.toml").display().to_string();
    let scenario = load_in(staging.dir(), &plan.toml, &plan.csv, &origin)?;
    let run = crate::decide::run(&scenario, args.threads, false, "backtest", args.quiet)?;
    let outcome = finish(&plan, scenario, run.results);
    staging.write("backtest.csv", csv(&outcome.backtest).as_bytes())?;
    staging.write(
        "backtest-waits.csv",
        waits_csv(&outcome.backtest).as_bytes(),
    )?;
    staging.write(
        RUN_RECORD,
        &crate::decide::record(&claim, &outcome.scenario, started).to_json()?,
    )?;
    if !args.no_plots {
        let figures = page::figures(&outcome)?;
        for f in &figures {
            staging.write(&format!("{}.png", f.chart.stem), &f.png)?;
            staging.write(&format!("{}.svg", f.chart.stem), f.svg.as_bytes())?;
        }
        let page = page::page(&outcome, &figures);
        staging.write("backtest.html", page.as_bytes())?;
    }
    let dir = staging.commit()?;
    print!("{}", console(&outcome));
    println!("results in {}{}", dir.display(), std::path::MAIN_SEPARATOR);
    if args.no_plots {
        println!("report: none (--no-plots)");
    } else {
        println!("report: {}", dir.join("backtest.html").display());
    }
    let _ = output::sync_dir(&args.out);
    Ok(())
}

/// Observes the records over the simulated weeks and compares.
fn finish(plan: &Plan, scenario: Scenario, results: RunResults) -> Outcome {
    let chosen: Vec<&Episode> = plan
        .episodes
        .iter()
        .map(|&i| &plan.records.episodes[i])
        .collect();
    let start = midnight(plan.from);
    let mut units: Vec<&str> = chosen.iter().map(|e| e.unit.as_str()).collect();
    units.sort_unstable();
    units.dedup();
    // In the scenario's order.
    let observed: Vec<Observed> = scenario
        .units
        .iter()
        .filter(|u| units.contains(&u.name.as_str()))
        .map(|u| observe(&chosen, &u.name, start, plan.weeks))
        .collect();
    let backtest = compare(&observed, &results);
    Outcome {
        records_file: plan.records.file.clone(),
        from: plan.from,
        until: plan.from + Days::new(7 * u64::from(plan.weeks)),
        records_end: plan.records_end,
        initial: plan.initial.clone(),
        observed,
        backtest,
        results,
        scenario,
    }
}

/// The console summary: the state at DATE, each measure's sentence and
/// each unit's waits.
pub fn console(o: &Outcome) -> String {
    let in_care = o.initial.rows.iter().filter(|r| !r.waiting).count();
    let mut out = format!(
        "backtest of {} on {} - {} trials x {} weeks from {} to {}, seed {}\n\
         state on {} from the records: {in_care} in care, {} waiting\n",
        o.scenario.name,
        o.records_file,
        o.results.trials,
        o.results.weeks,
        o.from,
        o.until,
        o.results.seed,
        o.from,
        o.initial.rows.len() - in_care
    );
    for m in &o.backtest.measures {
        let _ = writeln!(out, "{}", measure_sentence(m, o.from));
    }
    for w in &o.backtest.waits {
        let _ = writeln!(out, "{}", wait_sentence(w));
    }
    let _ = writeln!(
        out,
        "{}",
        if reproduces(&o.backtest) {
            "verdict: the scenario reproduces the records over these weeks"
        } else {
            "verdict: the records differ from the scenario over these weeks"
        }
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(counts: Vec<u64>) -> WaitHistogram {
        let total = counts.iter().sum();
        WaitHistogram {
            unit: "iop".into(),
            counts,
            total,
            p50: f64::NAN,
            p90: f64::NAN,
        }
    }

    #[test]
    fn kolmogorov_q_matches_the_tables() {
        // Critical values of the Kolmogorov distribution: P(K > 1.358) = 0.05,
        // P(K > 1.628) = 0.01, P(K > 1.224) = 0.10, P(K > 0.828) = 0.50.
        assert!((kolmogorov_q(1.358) - 0.05).abs() < 5e-4);
        assert!((kolmogorov_q(1.628) - 0.01).abs() < 2e-4);
        assert!((kolmogorov_q(1.224) - 0.10).abs() < 5e-4);
        assert!((kolmogorov_q(0.828) - 0.50).abs() < 2e-3);
        // The two series agree where they meet.
        let l = 1.18;
        let pi = std::f64::consts::PI;
        let small: f64 = 1.0
            - (2.0 * pi).sqrt() / l
                * (1..=6)
                    .map(|j| {
                        let k = (2 * j - 1) as f64;
                        (-k * k * pi * pi / (8.0 * l * l)).exp()
                    })
                    .sum::<f64>();
        assert!((small - kolmogorov_q(l)).abs() < 1e-9);
        assert_eq!(kolmogorov_q(0.0), 1.0);
        assert!(kolmogorov_q(5.0) < 1e-20);
    }

    #[test]
    fn ks_against_a_uniform_histogram_by_hand() {
        // Uniform on [0, 2] in four half-day bins (and the open last bin).
        let h = hist(vec![1, 1, 1, 1, 0]);
        assert_eq!(histogram_cdf(&h, 0.25), 0.125);
        assert_eq!(histogram_cdf(&h, 1.0), 0.5);
        assert_eq!(histogram_cdf(&h, 3.0), 1.0);
        // F = 0.125, 0.5, 0.75 at the observations; D = max(1/3 - 0.125,
        // 2/3 - 0.5, 1 - 0.75, ...) = 0.25.
        let (d, p) = ks_against(&[0.25, 1.0, 1.5], &h);
        assert!((d - 0.25).abs() < 1e-12, "{d}");
        let l = (3f64.sqrt() + 0.12 + 0.11 / 3f64.sqrt()) * 0.25;
        assert_eq!(p, kolmogorov_q(l));
        assert!(p > 0.9);
        let (d, _) = ks_against(&[5.0, 6.0], &h);
        assert_eq!(d, 1.0);
        assert!(ks_against(&[], &h).0.is_nan());
    }

    #[test]
    fn leaving_the_band_needs_a_run_to_the_end() {
        // Scattered weeks outside: no run.
        assert_eq!(leaves_from(&[0, 1, 0, 0, -1, 0, 0, 0, 0, 0]), None);
        // Outside from the 7th week on, above.
        assert_eq!(
            leaves_from(&[0, 0, 0, 0, 0, 0, 1, 1, 0, 1]),
            Some((7, true))
        );
        assert_eq!(leaves_from(&[-1, -1, -1]), Some((1, false)));
        // Two weeks are too few to call.
        assert_eq!(leaves_from(&[0, 0, 1, 1]), None);
    }

    #[test]
    fn days_print_short() {
        assert_eq!(days_text(3.0), "3");
        assert_eq!(days_text(2.5), "2.5");
        assert_eq!(days_text(1.0 / 3.0), "0.333333");
        assert_eq!(days_text(0.0), "0");
    }
}
