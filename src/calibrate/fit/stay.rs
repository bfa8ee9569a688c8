//! A session unit's stay: the weekly dropout and step-up hazards, the
//! weekly rate of administrative discharge, and the episode's length.
//!
//! How the simulator draws them (src/model/clinic.rs, `stay_week`): at
//! admission and then every 7 days of stay, one draw decides this week:
//! dropout with the week's `dropout_weekly`, else step-up with
//! `stepup_weekly`, else neither; a dropout or step-up then falls at a
//! uniform time within the week. An `episode = { weeks = N }` completes at
//! exactly N weeks, with no draw for week N + 1. So week k of a stay,
//! counted from 1, is the 7 days from admission + 7 (k - 1) days, and its
//! hazard is a share of the patients who began it.
//!
//! The weekly table here counts, for each week of stay that began inside
//! the period (a week begun before it is left out: delayed entry, so a
//! clinic's export that lacks the stays ended before its first day does
//! not favour long stays; a week begun before the end is counted):
//!
//! - a patient who stayed the whole week: at risk;
//! - one who dropped out in it: a dropout, at risk; for step-up, at risk
//!   (the week's draw was made, and was not a step-up);
//! - one who stepped up in it: a step-up, at risk; for dropout at risk;
//! - one whose stay ended for another reason in the week (administrative
//!   discharge, completion of an episode by sessions), or who was still
//!   in care at the end of the period: at risk if at least half the week
//!   had passed (the actuarial rule, by rounding: a dropout drawn for the
//!   week falls in its part before the end about as often as the half
//!   counted, so the hazard is not biased by when the records stop).
//!
//! A stay ending exactly when a week begins (completion at 12 weeks) is
//! not at risk in that week.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};

use super::super::estimate::{Estimate, LifeTableRow};
use super::super::records::Episode;
use super::Period;

/// Counts by week of stay (index 0: week 1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WeeklyCounts {
    /// Patients at risk of dropout in the week.
    pub at_risk: Vec<u64>,
    pub dropouts: Vec<u64>,
    /// Patient-weeks at risk of step-up, and step-ups.
    pub stepup_at_risk: u64,
    pub stepups: u64,
    /// Administrative discharges in weeks that began in the period.
    pub admin: u64,
}

/// The weekly table of `unit`'s admitted stays within `period` (see the
/// module's text for what counts).
pub fn weekly_counts(episodes: &[Episode], unit: &str, period: Period) -> WeeklyCounts {
    let mut c = WeeklyCounts::default();
    let week = Duration::days(7);
    for e in episodes.iter().filter(|e| e.unit == unit) {
        let Some(admitted) = e.admitted else { continue };
        if admitted >= period.end {
            continue;
        }
        // The end of what is seen: leaving within the period, or the end.
        let (end, reason) = match e.left {
            Some(l) if l <= period.end => (l, e.reason.as_str()),
            _ => (period.end, "in_care"),
        };
        let mut k = 0usize;
        loop {
            let from: NaiveDateTime = admitted + week * k as i32;
            if from >= end || from >= period.end {
                break;
            }
            if from >= period.start {
                if c.at_risk.len() <= k {
                    c.at_risk.resize(k + 1, 0);
                    c.dropouts.resize(k + 1, 0);
                }
                let whole = end >= from + week;
                let counted = if whole {
                    true
                } else {
                    match reason {
                        "dropped_out" => {
                            c.dropouts[k] += 1;
                            true
                        }
                        "stepped_up" => {
                            c.stepups += 1;
                            true
                        }
                        other => {
                            c.admin += u64::from(other == "admin_discharged");
                            (end - from).num_seconds() * 2 >= week.num_seconds()
                        }
                    }
                };
                if counted {
                    c.at_risk[k] += 1;
                    c.stepup_at_risk += 1;
                }
            }
            k += 1;
        }
    }
    // Trailing weeks nobody was at risk in.
    while c.at_risk.last() == Some(&0) {
        c.at_risk.pop();
        c.dropouts.pop();
    }
    c
}

/// The list `dropout_weekly` takes from pooled rows: a pooled row's hazard
/// repeated for each of its weeks, except the last row, written once (the
/// simulator repeats the last value for every later week).
pub fn hazard_list(rows: &[LifeTableRow]) -> Vec<Estimate> {
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let times = if i + 1 == rows.len() {
            1
        } else {
            r.last_week - r.first_week + 1
        };
        out.extend(std::iter::repeat_n(r.hazard, times as usize));
    }
    out
}

/// The form of an episode's end the completers show.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EpisodeForm {
    /// `episode = { weeks = N }`: completers' stays a whole number of weeks.
    Weeks,
    /// `episode = { sessions = N }`: completers attended the same count.
    Sessions,
}

/// Share of completers that must agree on one value for a fixed form.
pub const EPISODE_AGREEMENT: f64 = 0.9;

/// The episode's length from the completers whose stay ended in `period`:
/// `Weeks` when at least [`EPISODE_AGREEMENT`] of them stayed the same
/// whole number of weeks (to the hour), else `Sessions` when as many
/// attended the same number of sessions; `None` when neither (a length
/// drawn from a distribution; the caller notes it). The value is the
/// common count, its interval the median's distribution-free 95% interval
/// over the completers' values (order statistics n/2 -+ 1.96 sqrt(n) / 2):
/// a single point when they all agree. `n`: completers.
pub fn episode(
    episodes: &[Episode],
    unit: &str,
    period: Period,
) -> Option<(EpisodeForm, Estimate)> {
    let mut weeks = Vec::new();
    let mut sessions = Vec::new();
    for e in episodes
        .iter()
        .filter(|e| e.unit == unit && e.reason == "completed")
    {
        let (Some(a), Some(l)) = (e.admitted, e.left) else {
            continue;
        };
        if !period.holds(l) {
            continue;
        }
        let w = (l - a).num_seconds() as f64 / (7.0 * 86_400.0);
        weeks.push((w.round() as i64, (w - w.round()).abs() * 7.0 * 24.0 <= 1.0));
        if let Some(s) = e.sessions_attended {
            sessions.push(i64::from(s));
        }
    }
    let fixed = |values: &[i64]| -> Option<Estimate> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
        for v in values {
            *counts.entry(*v).or_default() += 1;
        }
        let (&mode, &k) = counts.iter().max_by_key(|(_, k)| **k)?;
        if (k as f64) < EPISODE_AGREEMENT * n as f64 {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let half = 1.959_963_984_540_054 * (n as f64).sqrt() / 2.0;
        let lo = ((n as f64 / 2.0 - half).floor().max(0.0) as usize).min(n - 1);
        let hi = ((n as f64 / 2.0 + half).ceil() as usize).min(n - 1);
        Some(Estimate {
            value: mode as f64,
            low: (sorted[lo] as f64).min(mode as f64),
            high: (sorted[hi] as f64).max(mode as f64),
            n: n as u64,
        })
    };
    let whole: Vec<i64> = weeks
        .iter()
        .map(|&(w, exact)| if exact { w } else { i64::MIN })
        .collect();
    if let Some(e) = fixed(&whole).filter(|e| e.value > 0.0) {
        return Some((EpisodeForm::Weeks, e));
    }
    if sessions.len() == weeks.len() {
        if let Some(e) = fixed(&sessions).filter(|e| e.value > 0.0) {
            return Some((EpisodeForm::Sessions, e));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::estimate::pool_weeks;
    use chrono::NaiveDate;

    fn at(day: i64) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2027, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            + Duration::days(day)
    }

    fn stay(id: &str, admitted: i64, left: Option<f64>, reason: &str) -> Episode {
        Episode {
            line: 2,
            trial: None,
            patient: id.into(),
            stream: "s".into(),
            unit: "iop".into(),
            track: "t".into(),
            priority: None,
            referred: Some(at(admitted)),
            admitted: Some(at(admitted)),
            left: left.map(|d| at(admitted) + Duration::seconds((d * 86_400.0) as i64)),
            place_freed: None,
            reason: reason.into(),
            destination: "home".into(),
            sessions_scheduled: Some(10),
            sessions_attended: Some(8),
            days_waited: Some(0.0),
            class: String::new(),
        }
    }

    #[test]
    fn the_weekly_table_counts_competing_exits_as_the_simulator_draws_them() {
        let period = Period {
            start: at(0),
            end: at(100),
        };
        let e = vec![
            // Completes at 21 days: weeks 1-3 at risk, not week 4.
            stay("a", 0, Some(21.0), "completed"),
            // Drops out at day 10: week 2's dropout.
            stay("b", 0, Some(10.0), "dropped_out"),
            // Steps up at day 3: week 1 at risk for dropout, one step-up.
            stay("c", 0, Some(3.0), "stepped_up"),
            // Admin discharge at day 16 (2 days into week 3): not at risk in week 3.
            stay("d", 0, Some(16.0), "admin_discharged"),
            // Admin discharge at day 19 (5 days in): at risk in week 3.
            stay("e", 0, Some(19.0), "admin_discharged"),
            // Admitted 4 days before the end: week 1 half seen, at risk.
            stay("f", 96, None, "in_care"),
            // Admitted 2 days before the end: not at risk.
            stay("g", 98, None, "in_care"),
        ];
        let c = weekly_counts(&e, "iop", period);
        assert_eq!(c.at_risk, vec![6, 4, 2]);
        assert_eq!(c.dropouts, vec![0, 1, 0]);
        assert_eq!((c.stepups, c.stepup_at_risk), (1, 12));
        assert_eq!(c.admin, 2);
    }

    #[test]
    fn weeks_begun_before_the_period_are_left_out() {
        // Admitted on day 0, the period from day 10: weeks 1 and 2 began
        // before it; weeks 3 on are counted. Dropout at day 25 (week 4).
        let period = Period {
            start: at(10),
            end: at(100),
        };
        let e = vec![stay("a", 0, Some(25.0), "dropped_out")];
        let c = weekly_counts(&e, "iop", period);
        assert_eq!(c.at_risk, vec![0, 0, 1, 1]);
        assert_eq!(c.dropouts, vec![0, 0, 0, 1]);
    }

    #[test]
    fn pooled_rows_repeat_and_the_last_is_written_once() {
        // Weeks at risk 30, 10, 12, 5, 4: with 20, rows {0}, {1, 2}, {3, 4}
        // short and joined to {1, 2}: {0}, {1..4}.
        let rows = pool_weeks(&[30, 10, 12, 5, 4], &[3, 1, 1, 1, 0], 20).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[1].first_week, rows[1].last_week), (1, 4));
        assert_eq!((rows[1].events, rows[1].at_risk), (3, 31));
        let list = hazard_list(&rows);
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].value, 0.1);
        // Weeks at risk 30, 10, 12, 25, 4 with 20: {0}, {1, 2}, {3, 4}:
        // the middle row repeated twice, the last written once.
        let rows = pool_weeks(&[30, 10, 12, 25, 4], &[3, 1, 1, 1, 0], 20).unwrap();
        let list = hazard_list(&rows);
        assert_eq!(list.len(), 4);
        assert_eq!(list[1], list[2]);
        assert!((list[1].value - 2.0 / 22.0).abs() < 1e-12);
        assert!((list[3].value - 1.0 / 29.0).abs() < 1e-12);
    }

    #[test]
    fn the_episode_form_is_the_one_the_completers_share() {
        let period = Period {
            start: at(0),
            end: at(200),
        };
        let mut e: Vec<Episode> = (0..10)
            .map(|i| stay(&format!("p{i}"), i, Some(84.0), "completed"))
            .collect();
        let (form, est) = episode(&e, "iop", period).unwrap();
        assert_eq!(form, EpisodeForm::Weeks);
        assert_eq!(
            (est.value, est.low, est.high, est.n),
            (12.0, 12.0, 12.0, 10)
        );
        // Stays that vary, the same sessions attended: by sessions.
        for (i, x) in e.iter_mut().enumerate() {
            x.left = Some(x.admitted.unwrap() + Duration::hours(1000 + 37 * i as i64));
            x.sessions_attended = Some(24);
        }
        let (form, est) = episode(&e, "iop", period).unwrap();
        assert_eq!((form, est.value), (EpisodeForm::Sessions, 24.0));
        // Neither.
        for (i, x) in e.iter_mut().enumerate() {
            x.sessions_attended = Some(20 + i as u32);
        }
        assert!(episode(&e, "iop", period).is_none());
    }
}
