//! From episodes to a scenario's numbers, one kind at a time. Each fitted
//! number is an [`Estimate`]: the value, its 95% interval and the count it
//! rests on, so that `iopsim fit` can comment every number it writes and
//! flag the thin ones.
//!
//! [`fit`] is the whole fit: every scenario value the records allow, as a
//! list of [`Fitted`] keyed as `--set` takes them, and notes in words on
//! what could not be fitted. Its parts:
//!
//! - [`streams`]: a referral stream's unit, rate and show rate;
//!   [`arrivals`]: its weekday shares, month factors and growth;
//! - [`patience`]: a waitlist's patience;
//! - [`stay`]: the weekly dropout and step-up hazards, the episode's
//!   length, administrative discharge;
//! - [`shares`]: attendance and its spread, track shares, routing.

pub mod arrivals;
pub mod shares;
pub mod stay;

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDateTime};

use super::estimate::{
    poisson_rate, proportion, Estimate, EstimateError, KaplanMeier, Observation,
};
use super::fitted::{Fitted, FittedValue, MIN_COUNT};
use super::records::Episode;
use super::sessions::SessionRecords;

/// The stretch of time the records cover: referrals from `start` (included)
/// to `end` (excluded). A simulated log covers its reported weeks once per
/// trial, and each trial counts as one more stretch of that length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Period {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

impl Period {
    /// Its length in weeks.
    pub fn weeks(&self) -> f64 {
        (self.end - self.start).num_seconds() as f64 / (7.0 * 86_400.0)
    }

    pub fn holds(&self, t: NaiveDateTime) -> bool {
        self.start <= t && t < self.end
    }
}

/// A referral stream as the records show it.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamFit {
    pub name: String,
    /// The unit its patients are referred to first (the most common one).
    pub to: String,
    /// Referrals per week over the period: a Poisson rate with Garwood's
    /// interval; `n` referrals.
    pub per_week: Estimate,
    /// The share of referrals who turn up (not `no_show`), with Wilson's
    /// interval; `n` referrals whose showing is known.
    pub show: Estimate,
}

/// Each stream's rate and show rate from its patients' first visits (a
/// patient's earliest referral in a trial; later rows are transfers and
/// relapses, not new referrals) referred within `period`.
///
/// A first visit that ended `no_show` did not turn up; one still `waiting`
/// at the end of the records is counted as having turned up, which is
/// exact where showing is decided at referral and, at a unit with an
/// intake appointment, counts those whose appointment is still to come as
/// shown.
pub fn streams(episodes: &[Episode], period: Period) -> Result<Vec<StreamFit>, EstimateError> {
    let first = first_visits(episodes);
    let trials = trials(episodes);
    #[derive(Default)]
    struct Tally<'a> {
        referrals: u64,
        no_shows: u64,
        units: BTreeMap<&'a str, u64>,
    }
    let mut by_stream: BTreeMap<&str, Tally> = BTreeMap::new();
    for e in &first {
        if !e.referred.is_some_and(|r| period.holds(r)) || e.stream.is_empty() {
            continue;
        }
        let t = by_stream.entry(e.stream.as_str()).or_default();
        t.referrals += 1;
        t.no_shows += u64::from(e.reason == "no_show");
        *t.units.entry(e.unit.as_str()).or_default() += 1;
    }
    let exposure = period.weeks() * trials as f64;
    by_stream
        .into_iter()
        .map(|(name, t)| {
            let to = t
                .units
                .iter()
                .max_by_key(|(_, n)| **n)
                .map_or_else(String::new, |(u, _)| u.to_string());
            Ok(StreamFit {
                name: name.to_string(),
                to,
                per_week: poisson_rate(t.referrals, exposure)?,
                show: proportion(t.referrals - t.no_shows, t.referrals)?,
            })
        })
        .collect()
}

/// The first visit of each (trial, patient): their earliest referral.
pub fn first_visits(episodes: &[Episode]) -> Vec<&Episode> {
    let mut first: HashMap<(Option<u64>, &str), &Episode> = HashMap::new();
    for e in episodes {
        let Some(referred) = e.referred else { continue };
        let slot = first.entry((e.trial, e.patient.as_str())).or_insert(e);
        if slot.referred.is_some_and(|r| referred < r) {
            *slot = e;
        }
    }
    let mut v: Vec<&Episode> = first.into_values().collect();
    v.sort_by_key(|e| e.line);
    v
}

/// The number of trials in the records (1 for a clinic's).
pub fn trials(episodes: &[Episode]) -> usize {
    let mut t: Vec<Option<u64>> = episodes.iter().map(|e| e.trial).collect();
    t.sort_unstable();
    t.dedup();
    t.len().max(1)
}

/// A unit's waitlist patience: how long people wait before giving up.
#[derive(Debug, Clone, PartialEq)]
pub struct PatienceFit {
    pub unit: String,
    /// The survival of patience in days: Kaplan-Meier over the waits of
    /// those referred in the period, giving up an event, admission (or the
    /// end of the records) censoring it. Its median is often not reached.
    pub survival: KaplanMeier,
    /// The mean in days if patience is exponential: days waited by all
    /// over those who gave up (the censored maximum likelihood), with the
    /// interval of Garwood's on the count; `n` those who gave up.
    pub exponential_mean: Estimate,
}

/// The patience at `unit` of the visits referred within `period`. A wait
/// ends in giving up (`reneged`, an event), an admission or the end of the
/// records (censored: they would have given up later, if at all); those
/// turned away, not shown or transferred on without waiting tell nothing
/// about patience and are left out. Censoring by admission is independent
/// of patience when the waitlist is served in an order patience does not
/// set, as the simulator's is.
pub fn patience(
    episodes: &[Episode],
    unit: &str,
    period: Period,
) -> Result<PatienceFit, EstimateError> {
    let mut obs = Vec::new();
    for e in episodes {
        let Some(referred) = e.referred else { continue };
        if e.unit != unit || !period.holds(referred) {
            continue;
        }
        let days = |t: NaiveDateTime| (t - referred).num_seconds() as f64 / 86_400.0;
        let o = match (e.reason.as_str(), e.admitted, e.left) {
            ("reneged", _, Some(left)) => Observation::event(days(left)),
            (_, Some(admitted), _) => Observation::censored(days(admitted)),
            ("waiting", None, None) => match e.days_waited {
                Some(d) => Observation::censored(d),
                None => continue,
            },
            _ => continue,
        };
        obs.push(o);
    }
    let survival = KaplanMeier::fit(&obs)?;
    let at_risk: f64 = obs.iter().map(|o| o.time).sum();
    let rate = poisson_rate(survival.events, at_risk)?;
    let inv = |r: f64| if r > 0.0 { 1.0 / r } else { f64::INFINITY };
    Ok(PatienceFit {
        unit: unit.to_string(),
        exponential_mean: Estimate {
            value: inv(rate.value),
            low: inv(rate.high),
            high: inv(rate.low),
            n: rate.n,
        },
        survival,
    })
}

/// What [`fit`] is told.
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// The period to fit over; `None`: the records' own span
    /// ([`records_period`]). For a simulated log, pass the reported
    /// horizon (`start_date` for `weeks` weeks): its warm-up visits are
    /// dated before it.
    pub period: Option<Period>,
    /// Life-table pooling: weeks of stay are gathered until a row has at
    /// least this many patient-weeks at risk.
    pub min_at_risk: u64,
}

impl Default for FitOptions {
    fn default() -> FitOptions {
        FitOptions {
            period: None,
            min_at_risk: MIN_COUNT,
        }
    }
}

/// The result of a fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub period: Period,
    /// Every value the records allow, streams in name order, then units
    /// in name order.
    pub values: Vec<Fitted>,
    /// What could not be fitted and why, and what was measured but has no
    /// key (administrative discharge), in words.
    pub notes: Vec<String>,
}

/// The records' own span: from midnight of the day of the first referral,
/// or of the first leaving if that is later, to midnight after the day of
/// the latest time in them (referred, admitted, left or place_freed).
///
/// Why the first leaving: a clinic's export is usually the episodes open
/// at some time in a window, so before the window it holds only those
/// referred earlier and still open when it began: few, and the long
/// stays. The first visit that ended marks the window's start closely (in
/// a program of any size someone leaves within days), where the first
/// referral would count months of partial records as months of few
/// referrals. For records kept from the program's first day, it costs the
/// days until its first leaving. `--from` sets the start when known.
pub fn records_period(episodes: &[Episode]) -> Result<Period, EstimateError> {
    let first_referral = episodes.iter().filter_map(|e| e.referred).min();
    let first_leaving = episodes.iter().filter_map(|e| e.left).min();
    let first = match (first_referral, first_leaving) {
        (Some(r), Some(l)) => Some(r.max(l)),
        (r, _) => r,
    };
    let last = episodes
        .iter()
        .flat_map(|e| [e.referred, e.admitted, e.left, e.place_freed])
        .flatten()
        .max();
    match (first, last) {
        (Some(f), Some(l)) => {
            let start = f.date().and_hms_opt(0, 0, 0).unwrap_or(f);
            let end = (l.date() + Duration::days(1))
                .and_hms_opt(0, 0, 0)
                .unwrap_or(l);
            Ok(Period { start, end })
        }
        _ => Err(EstimateError::Invalid(
            "no episode has a referral time: the period cannot be told".into(),
        )),
    }
}

fn dates(p: Period) -> String {
    format!(
        "{} to {}",
        p.start.format("%Y-%m-%d"),
        (p.end - Duration::seconds(1)).format("%Y-%m-%d")
    )
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Fits every scenario value the records allow over a period (see
/// [`FitOptions`]). `sessions`, an attendance file, replaces the patient
/// log's per-visit counts for attendance: a per-patient file for the mean
/// and the spread, the simulator's group rows for the mean (the spread then
/// still from the visits). An error only when the records have no
/// referral in the period at all; everything thinner is a note.
pub fn fit(
    episodes: &[Episode],
    sessions: Option<&SessionRecords>,
    options: &FitOptions,
) -> Result<Fit, EstimateError> {
    let period = match options.period {
        Some(p) => p,
        None => records_period(episodes)?,
    };
    if period.end <= period.start {
        return Err(EstimateError::Invalid(format!(
            "the period {} ends before it starts",
            dates(period)
        )));
    }
    let mut values = Vec::new();
    let mut notes = Vec::new();
    let n_trials = trials(episodes);
    if options.period.is_none() && episodes.iter().any(|e| e.trial.is_some()) {
        notes.push(format!(
            "the records have a trial column (a simulated log?) and no period was given: fitted over {}; a simulated log's warm-up visits are dated before its start_date, so pass the reported horizon",
            dates(period)
        ));
    }
    let weeks = period.weeks() * n_trials as f64;
    let mut push =
        |key: String, value: FittedValue, how: String| values.push(Fitted { key, value, how });

    // Referral streams.
    let fits = streams(episodes, period)?;
    if fits.is_empty() {
        return Err(EstimateError::Invalid(format!(
            "no referral with a stream in {}: nothing to fit",
            dates(period)
        )));
    }
    let first = first_visits(episodes);
    for s in &fits {
        let k = |what: &str| format!("referrals.{}.{what}", s.name);
        let mine: Vec<&&Episode> = first
            .iter()
            .filter(|e| e.stream == s.name && e.referred.is_some_and(|r| period.holds(r)))
            .collect();
        let times: Vec<NaiveDateTime> = mine.iter().filter_map(|e| e.referred).collect();
        let n = s.per_week.n;
        push(
            k("to"),
            FittedValue::Text(s.to.clone()),
            format!(
                "the unit most of its {} went to first",
                plural(n, "referral", "referrals")
            ),
        );
        match arrivals::arrivals(&times, n_trials as u64, period) {
            Ok(a) => {
                let how_rate = match (&a.months, &a.growth) {
                    (_, Some(_)) => "Poisson log-linear maximum likelihood, the rate at the period's start in an average month, Garwood's interval widened for the growth's uncertainty",
                    (Some(_), None) => "Poisson rate in an average month (month factors average 1 over the period), Garwood's interval",
                    (None, None) => "Poisson rate, Garwood's interval",
                };
                push(
                    k("per_week"),
                    FittedValue::Number(a.per_week),
                    format!(
                        "{how_rate}; {} in {weeks:.1} weeks",
                        plural(n, "referral", "referrals")
                    ),
                );
                push(
                    k("weekdays"),
                    FittedValue::List(a.weekdays.to_vec()),
                    format!(
                        "shares of referrals by weekday Mon..Sun, Wilson's interval; {n} referrals"
                    ),
                );
                match a.months {
                    Some(m) => push(
                        k("months"),
                        FittedValue::List(m.to_vec()),
                        format!("each month's rate over the period's average (Poisson, with the weekday shares and growth as offsets), Garwood's interval; {n} referrals, the fewest in a month {}", m.iter().map(|e| e.n).min().unwrap_or(0)),
                    ),
                    None => notes.push(format!(
                        "{}: not fitted, the period is {:.1} weeks and month factors need {}",
                        k("months"),
                        period.weeks(),
                        arrivals::MONTHS_MIN_WEEKS
                    )),
                }
                match a.growth {
                    Some(g) => push(
                        k("growth_per_year"),
                        FittedValue::Number(g),
                        format!("log-linear Poisson maximum likelihood with the month factors fitted alongside, Wald interval; {n} referrals over {:.1} years", period.weeks() * 7.0 / 365.25),
                    ),
                    None => notes.push(format!(
                        "{}: not fitted, the period is {:.1} weeks; growth needs {} (over one year a trend cannot be told from the month pattern)",
                        k("growth_per_year"),
                        period.weeks(),
                        arrivals::GROWTH_MIN_WEEKS
                    )),
                }
            }
            Err(e) => {
                push(
                    k("per_week"),
                    FittedValue::Number(s.per_week),
                    format!(
                        "Poisson rate, Garwood's interval; {} in {weeks:.1} weeks",
                        plural(n, "referral", "referrals")
                    ),
                );
                notes.push(format!(
                    "{}: the weekday pattern not fitted: {e}",
                    k("weekdays")
                ));
            }
        }
        push(
            k("show"),
            FittedValue::Number(s.show),
            format!(
                "share of referrals who turned up (not no_show), Wilson's interval; {n} referrals"
            ),
        );
        let mut classes: BTreeMap<String, u64> = BTreeMap::new();
        for e in mine.iter().filter(|e| !e.class.is_empty()) {
            *classes.entry(e.class.clone()).or_default() += 1;
        }
        let with_class: u64 = classes.values().sum();
        if classes.len() == 1 && with_class == mine.len() as u64 {
            let name = classes.keys().next().cloned().unwrap_or_default();
            push(
                k("class"),
                FittedValue::Text(name),
                format!("the class of all its {n} referrals"),
            );
        } else if !classes.is_empty() {
            push(
                k("classes"),
                FittedValue::Map(shares::shares(&classes, &[])?),
                format!("shares of its referrals by class, Wilson's interval; {with_class} referrals with a class"),
            );
        }
    }

    // Units.
    let mut units: BTreeMap<&str, bool> = BTreeMap::new();
    for e in episodes {
        *units.entry(e.unit.as_str()).or_default() |= e.sessions_scheduled.is_some();
    }
    for (&unit, &is_sessions) in &units {
        let k = |what: &str| format!("units.{unit}.{what}");
        match patience(episodes, unit, period) {
            Ok(p) if p.survival.events > 0 => push(
                k("waitlist.patience.mean"),
                FittedValue::Number(p.exponential_mean),
                format!(
                    "exponential patience, censored maximum likelihood (days waited by all over those who gave up), Garwood's interval; {} gave up of {} who waited",
                    p.survival.events, p.survival.n
                ),
            ),
            Ok(p) => notes.push(format!(
                "{}: not fitted, nobody of the {} who waited gave up (no reneging in the records: leave patience out)",
                k("waitlist.patience"),
                p.survival.n
            )),
            Err(_) => {}
        }
        if !is_sessions {
            notes.push(format!(
                "units.{unit}: no session counts in its rows (a bed unit?): its stay and routing are not fitted"
            ));
            continue;
        }
        // Tracks.
        let t = shares::tracks(episodes, unit, period);
        let total: u64 = t.values().sum();
        if !t.is_empty() {
            for (track, e) in shares::shares(&t, &[])? {
                push(
                    k(&format!("tracks.{track}.share")),
                    FittedValue::Number(e),
                    format!("share of the visits referred in the period with a track, Wilson's interval; {total} visits (the track a patient was admitted to or waited for: the preference only with track_choice = \"preferred\" and no phase moving tracks)"),
                );
            }
        }
        // Attendance.
        let visits = shares::attendance_from_visits(episodes, unit, period);
        let (mean, spread) = match sessions {
            Some(SessionRecords::Patients(rows)) => {
                match shares::attendance_from_patient_rows(rows, unit, period) {
                    Ok(a) => (Ok((a.mean, a.how.clone())), a.spread.map(|s| (s, a.how))),
                    Err(e) => (Err(e), None),
                }
            }
            Some(SessionRecords::Groups(rows)) => {
                let m = shares::attendance_from_groups(rows, unit, period).map(|m| {
                    (m, format!("attended over expected of the sessions file's group sessions, cluster-robust interval by session; {} sessions", m.n))
                });
                let sp = visits
                    .as_ref()
                    .ok()
                    .and_then(|a| a.spread.map(|s| (s, a.how.clone())));
                (m, sp)
            }
            None => match &visits {
                Ok(a) => (
                    Ok((a.mean, a.how.clone())),
                    a.spread.map(|s| (s, a.how.clone())),
                ),
                Err(e) => (Err(e.clone()), None),
            },
        };
        match mean {
            Ok((m, how)) => push(k("attendance"), FittedValue::Number(m), how),
            Err(e) => notes.push(format!("{}: not fitted: {e}", k("attendance"))),
        }
        if let Some((s, how)) = spread {
            push(k("attendance_sd"), FittedValue::Number(s), how);
        }
        // The episode.
        match stay::episode(episodes, unit, period) {
            Some((stay::EpisodeForm::Weeks, e)) => push(
                k("episode.weeks"),
                FittedValue::Whole(e),
                format!("the whole weeks most completers stayed, the median's order-statistic interval; {} completers", e.n),
            ),
            Some((stay::EpisodeForm::Sessions, e)) => push(
                k("episode.sessions"),
                FittedValue::Whole(e),
                format!("the sessions most completers attended, the median's order-statistic interval; {} completers", e.n),
            ),
            None => notes.push(format!(
                "{}: not fitted, the completers in the period share neither a length in whole weeks nor a count of sessions attended (a length drawn from a distribution, or too few completers)",
                k("episode")
            )),
        }
        // Dropout, step-up, administrative discharge.
        let c = stay::weekly_counts(episodes, unit, period);
        if c.at_risk.is_empty() {
            notes.push(format!(
                "{}: no week of stay began in the period",
                k("dropout_weekly")
            ));
        } else {
            let rows = super::estimate::pool_weeks(&c.at_risk, &c.dropouts, options.min_at_risk)?;
            let pooled = rows.iter().filter(|r| r.last_week > r.first_week).count();
            push(
                k("dropout_weekly"),
                FittedValue::List(stay::hazard_list(&rows)),
                format!(
                    "weekly life table, dropout as the event (step-up, completion, administrative discharge and the end of the records censoring), Wilson's interval; {} patient-weeks in week 1, {} in its last week {}{}",
                    c.at_risk[0],
                    c.at_risk.last().copied().unwrap_or(0),
                    c.at_risk.len(),
                    if pooled > 0 {
                        format!("; weeks with fewer than {} at risk pooled", options.min_at_risk)
                    } else {
                        String::new()
                    }
                ),
            );
            push(
                k("stepup_weekly"),
                FittedValue::Number(proportion(c.stepups, c.stepup_at_risk)?),
                format!(
                    "step-ups over patient-weeks at risk, Wilson's interval; {} in {} patient-weeks",
                    plural(c.stepups, "step-up", "step-ups"),
                    c.stepup_at_risk
                ),
            );
            let admin = proportion(c.admin, c.stepup_at_risk.max(c.admin))?;
            notes.push(format!(
                "units.{unit}.discharge_after_absences: not fitted (the simulator discharges after N absences in a row, which the records do not show); {} administrative {} in {} patient-weeks, a weekly rate of {:.4} [{:.4}, {:.4}]",
                c.admin,
                if c.admin == 1 { "discharge" } else { "discharges" },
                c.stepup_at_risk,
                admin.value,
                admin.low,
                admin.high
            ));
        }
        // Routing.
        for (key, reason) in [
            ("on_completion", "completed"),
            ("on_dropout", "dropped_out"),
            ("on_admin_discharge", "admin_discharged"),
        ] {
            let d = shares::destinations(episodes, unit, reason, period);
            let total: u64 = d.values().sum();
            if total > 0 {
                push(
                    k(key),
                    FittedValue::Map(shares::shares(&d, &["home"])?),
                    format!("shares of the {total} {reason} in the period by destination, Wilson's interval; the remainder goes home"),
                );
            }
        }
        let d = shares::destinations(episodes, unit, "stepped_up", period);
        let total: u64 = d.values().sum();
        if d.len() == 1 {
            let to = d.keys().next().cloned().unwrap_or_default();
            push(
                k("stepup_to"),
                FittedValue::Text(to),
                format!("where all {total} step-ups went"),
            );
        } else if total > 0 {
            push(
                k("on_stepup"),
                FittedValue::Map(shares::shares(&d, &[])?),
                format!("shares of the {total} step-ups by destination, Wilson's interval"),
            );
        }
    }
    Ok(Fit {
        period,
        values,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2027, 1, day)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
    }

    fn visit(patient: &str, stream: &str, unit: &str, day: u32, reason: &str) -> Episode {
        Episode {
            line: 2,
            trial: None,
            patient: patient.into(),
            stream: stream.into(),
            unit: unit.into(),
            track: String::new(),
            priority: None,
            referred: Some(at(day)),
            admitted: None,
            left: None,
            place_freed: None,
            reason: reason.into(),
            destination: String::new(),
            sessions_scheduled: None,
            sessions_attended: None,
            days_waited: None,
            class: String::new(),
        }
    }

    #[test]
    fn an_exports_period_starts_at_its_first_leaving_not_at_a_long_stays_referral() {
        // An export of the episodes open from the 10th: one referred on the
        // 2nd and still in care, the first to leave does so on the 11th.
        let mut long = visit("a", "community", "iop", 2, "in_care");
        long.admitted = Some(at(3));
        let mut gone = visit("b", "community", "iop", 5, "completed");
        gone.admitted = Some(at(6));
        gone.left = Some(at(11));
        let mut last = visit("c", "community", "iop", 20, "reneged");
        last.left = Some(at(25));
        let p = records_period(&[long.clone(), gone, last]).unwrap();
        assert_eq!(p.start, at(11).date().and_hms_opt(0, 0, 0).unwrap());
        assert_eq!(p.end, at(26).date().and_hms_opt(0, 0, 0).unwrap());
        // Nobody left yet: the first referral.
        let p = records_period(&[long]).unwrap();
        assert_eq!(p.start, at(2).date().and_hms_opt(0, 0, 0).unwrap());
    }

    #[test]
    fn a_stream_counts_first_visits_in_the_period_and_their_no_shows() {
        let period = Period {
            start: at(1).date().and_hms_opt(0, 0, 0).unwrap(),
            end: at(15).date().and_hms_opt(0, 0, 0).unwrap(),
        };
        assert_eq!(period.weeks(), 2.0);
        let episodes = vec![
            visit("a", "community", "iop", 2, "completed"),
            // a's transfer: not a new referral.
            visit("a", "community", "outpatient", 20, "in_care"),
            visit("b", "community", "iop", 3, "no_show"),
            visit("c", "community", "iop", 9, "waiting"),
            visit("d", "community", "iop", 14, "reneged"),
            // Outside the period.
            visit("e", "community", "iop", 16, "completed"),
            visit("f", "php", "iop", 5, "no_show"),
        ];
        let fits = streams(&episodes, period).unwrap();
        assert_eq!(fits.len(), 2);
        let c = &fits[0];
        assert_eq!((c.name.as_str(), c.to.as_str()), ("community", "iop"));
        // 4 referrals in 2 weeks; 3 of 4 turned up.
        assert_eq!((c.per_week.value, c.per_week.n), (2.0, 4));
        assert_eq!((c.show.value, c.show.n), (0.75, 4));
        // Garwood for 4 events, over 2 weeks: 1.0899 to 10.2416, halved.
        assert!(
            (c.per_week.low - 1.089_865 / 2.0).abs() < 1e-5,
            "{:?}",
            c.per_week
        );
        assert!(
            (c.per_week.high - 10.241_589 / 2.0).abs() < 1e-5,
            "{:?}",
            c.per_week
        );
        let p = &fits[1];
        assert_eq!((p.per_week.value, p.show.value), (0.5, 0.0));
    }

    #[test]
    fn patience_counts_giving_up_as_events_and_admission_as_censoring() {
        let period = Period {
            start: at(1).date().and_hms_opt(0, 0, 0).unwrap(),
            end: at(20).date().and_hms_opt(0, 0, 0).unwrap(),
        };
        let mut gave_up = visit("a", "community", "iop", 2, "reneged");
        gave_up.left = Some(at(6)); // 4 days
        let mut admitted = visit("b", "community", "iop", 2, "completed");
        admitted.admitted = Some(at(4)); // censored at 2 days
        admitted.left = Some(at(30));
        let mut waiting = visit("c", "community", "iop", 3, "waiting");
        waiting.days_waited = Some(6.0); // censored at 6 days
        let mut quit = visit("d", "community", "iop", 4, "reneged");
        quit.left = Some(at(12)); // 8 days
        let episodes = vec![
            gave_up,
            admitted,
            waiting,
            quit,
            visit("e", "community", "iop", 5, "no_show"),
            visit("f", "community", "outpatient", 5, "reneged"),
        ];
        let p = patience(&episodes, "iop", period).unwrap();
        assert_eq!((p.survival.n, p.survival.events), (4, 2));
        // At 4 days 3 at risk (2 days' censoring before): S = 2/3; at 8
        // days 1 at risk: S = 0.
        assert!((p.survival.survival(4.0) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(p.survival.survival(8.0), 0.0);
        // Exponential: 20 days at risk, 2 gave up: a mean of 10 days.
        assert!((p.exponential_mean.value - 10.0).abs() < 1e-12);
        assert!(p.exponential_mean.low < 10.0 && p.exponential_mean.high > 10.0);
        assert_eq!(p.exponential_mean.n, 2);
    }

    #[test]
    fn trials_of_a_simulated_log_are_stretches_of_their_own() {
        let period = Period {
            start: at(1).date().and_hms_opt(0, 0, 0).unwrap(),
            end: at(8).date().and_hms_opt(0, 0, 0).unwrap(),
        };
        let mut episodes = Vec::new();
        for trial in 0..4 {
            // The same patient name in each trial is a different person.
            let mut e = visit("community-1", "community", "iop", 2, "completed");
            e.trial = Some(trial);
            episodes.push(e);
        }
        let fits = streams(&episodes, period).unwrap();
        assert_eq!((fits[0].per_week.value, fits[0].per_week.n), (1.0, 4));
    }
}
