//! From episodes to a scenario's numbers, one kind at a time. Each fitted
//! number is an [`Estimate`]: the value, its 95% interval and the count it
//! rests on, so that `iopsim fit` can comment every number it writes and
//! flag the thin ones.
//!
//! So far: the referral streams, their rate and their show rate.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;

use super::estimate::{poisson_rate, proportion, Estimate, EstimateError};
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
