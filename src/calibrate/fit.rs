//! From episodes to a scenario's numbers, one kind at a time. Each fitted
//! number is an [`Estimate`]: the value, its 95% interval and the count it
//! rests on, so that `iopsim fit` can comment every number it writes and
//! flag the thin ones.
//!
//! So far: the referral streams (their rate and show rate) and a unit's
//! waitlist patience.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;

use super::estimate::{
    poisson_rate, proportion, Estimate, EstimateError, KaplanMeier, Observation,
};
use super::records::Episode;

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

    fn holds(&self, t: NaiveDateTime) -> bool {
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
    // The first visit of each (trial, patient).
    let mut first: HashMap<(Option<u64>, &str), &Episode> = HashMap::new();
    for e in episodes {
        let Some(referred) = e.referred else { continue };
        let slot = first.entry((e.trial, e.patient.as_str())).or_insert(e);
        if slot.referred.is_some_and(|r| referred < r) {
            *slot = e;
        }
    }
    let trials = {
        let mut t: Vec<Option<u64>> = episodes.iter().map(|e| e.trial).collect();
        t.sort_unstable();
        t.dedup();
        t.len().max(1)
    };
    #[derive(Default)]
    struct Tally<'a> {
        referrals: u64,
        no_shows: u64,
        units: BTreeMap<&'a str, u64>,
    }
    let mut by_stream: BTreeMap<&str, Tally> = BTreeMap::new();
    for e in first.values() {
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
