//! Shares and attendance: a unit's attendance and its spread between
//! patients, its track shares, where its leavers go, and a stream's
//! classes.

use std::collections::{BTreeMap, HashMap};

use super::super::estimate::{attendance, proportion, Estimate, EstimateError, Z95};
use super::super::records::Episode;
use super::super::sessions::{GroupSession, PatientSession};
use super::Period;

/// Counts by name as shares of their total, each with Wilson's interval
/// (`n`: the total), names in order; `leave_out` names are counted in the
/// total but not listed (`home`, the remainder of a routing map).
pub fn shares(
    counts: &BTreeMap<String, u64>,
    leave_out: &[&str],
) -> Result<Vec<(String, Estimate)>, EstimateError> {
    let total: u64 = counts.values().sum();
    counts
        .iter()
        .filter(|(name, _)| !leave_out.contains(&name.as_str()))
        .map(|(name, &k)| Ok((name.clone(), proportion(k, total)?)))
        .collect()
}

/// Where the leavers of `unit` whose visit ended with `reason` within
/// `period` went: counts by `destination`.
pub fn destinations(
    episodes: &[Episode],
    unit: &str,
    reason: &str,
    period: Period,
) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for e in episodes {
        if e.unit == unit && e.reason == reason && e.left.is_some_and(|l| period.holds(l)) {
            let d = if e.destination.is_empty() {
                "home"
            } else {
                e.destination.as_str()
            };
            *out.entry(d.to_string()).or_default() += 1;
        }
    }
    out
}

/// Visits to `unit` referred within `period` by the track the row names
/// (those with none, the no-shows, left out).
pub fn tracks(episodes: &[Episode], unit: &str, period: Period) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for e in episodes {
        if e.unit == unit && !e.track.is_empty() && e.referred.is_some_and(|r| period.holds(r)) {
            *out.entry(e.track.clone()).or_default() += 1;
        }
    }
    out
}

/// A unit's attendance: the mean and, when per-patient counts are known,
/// the spread between patients.
#[derive(Debug, Clone, PartialEq)]
pub struct AttendanceFit {
    pub mean: Estimate,
    /// The sd of the patients' own attendance rates (`attendance_sd`),
    /// with its profile-likelihood interval.
    pub spread: Option<Estimate>,
    /// Where they came from, in words.
    pub how: String,
}

/// Per patient (attended, scheduled) to the mean and spread.
fn from_patients(patients: &[(u32, u32)], what: &str) -> Result<AttendanceFit, EstimateError> {
    let a = attendance(patients)?;
    let sessions: u64 = patients.iter().map(|p| u64::from(p.1)).sum();
    Ok(AttendanceFit {
        mean: a.mean,
        spread: Some(a.spread),
        how: format!(
            "beta-binomial maximum likelihood over {} {what}' sessions attended of scheduled ({sessions} sessions; unbiased when a visit ends on its absences), profile-likelihood intervals",
            patients.iter().filter(|p| p.1 > 0).count()
        ),
    })
}

/// From the patient log: each visit to `unit` admitted within `period`,
/// its sessions attended of scheduled, less the first: a patient is
/// admitted at a session they attend (the simulator counts it attended, as
/// a clinic's admission is a first attendance), so it tells nothing of
/// their attendance and, kept, would lift the short stays' shares.
pub fn attendance_from_visits(
    episodes: &[Episode],
    unit: &str,
    period: Period,
) -> Result<AttendanceFit, EstimateError> {
    let visits: Vec<(u32, u32)> = episodes
        .iter()
        .filter(|e| e.unit == unit && e.admitted.is_some_and(|a| period.holds(a)))
        .filter_map(|e| Some((e.sessions_attended?, e.sessions_scheduled?)))
        .filter(|&(a, s)| a >= 1 && s >= 1)
        .map(|(a, s)| (a - 1, s - 1))
        .collect();
    from_patients(&visits, "visits")
}

/// From a per-patient attendance file: each (trial, patient)'s sessions at
/// `unit` within `period`, less their first (their admission, attended by
/// definition: see [`attendance_from_visits`]).
pub fn attendance_from_patient_rows(
    rows: &[PatientSession],
    unit: &str,
    period: Period,
) -> Result<AttendanceFit, EstimateError> {
    // Per patient: attended, sessions, and the first session (time, came).
    type Tally = (u32, u32, Option<(chrono::NaiveDateTime, bool)>);
    let mut by: HashMap<(Option<u64>, &str), Tally> = HashMap::new();
    for r in rows.iter().filter(|r| r.unit == unit && period.holds(r.at)) {
        let c = by.entry((r.trial, r.patient.as_str())).or_default();
        c.0 += u32::from(r.attended);
        c.1 += 1;
        if c.2.is_none_or(|(t, _)| r.at < t) {
            c.2 = Some((r.at, r.attended));
        }
    }
    let mut patients: Vec<((Option<u64>, &str), Tally)> = by.into_iter().collect();
    patients.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let counts: Vec<(u32, u32)> = patients
        .into_iter()
        .map(|(_, (a, s, first))| {
            let came = first.is_some_and(|f| f.1);
            (a - u32::from(came), s - 1)
        })
        .collect();
    from_patients(&counts, "patients")
}

/// From group sessions at `unit` starting within `period`: attended over
/// expected, a ratio estimator with a cluster-robust interval (each
/// session a cluster: var = n / (n - 1) x sum (a_i - r e_i)^2 / (sum
/// e_i)^2). `n`: sessions. No spread: the file does not say who came.
pub fn attendance_from_groups(
    rows: &[GroupSession],
    unit: &str,
    period: Period,
) -> Result<Estimate, EstimateError> {
    let used: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| r.unit == unit && period.holds(r.start) && r.expected > 0)
        .map(|r| (f64::from(r.attended), f64::from(r.expected)))
        .collect();
    let n = used.len();
    if n < 2 {
        return Err(EstimateError::Invalid(format!(
            "attendance needs at least 2 sessions with patients expected; got {n}"
        )));
    }
    let (a, e): (f64, f64) = used.iter().fold((0.0, 0.0), |s, x| (s.0 + x.0, s.1 + x.1));
    let r = a / e;
    let ss: f64 = used.iter().map(|(ai, ei)| (ai - r * ei).powi(2)).sum();
    let se = (n as f64 / (n as f64 - 1.0) * ss).sqrt() / e;
    Ok(Estimate {
        value: r,
        low: (r - Z95 * se).max(0.0),
        high: (r + Z95 * se).min(1.0),
        n: n as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, NaiveDate, NaiveDateTime};

    fn at(day: i64) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2027, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            + Duration::days(day)
    }

    fn period() -> Period {
        Period {
            start: at(0),
            end: at(100),
        }
    }

    fn leaver(unit: &str, reason: &str, dest: &str, left: i64) -> Episode {
        Episode {
            line: 2,
            trial: None,
            patient: "p".into(),
            stream: "s".into(),
            unit: unit.into(),
            track: "evening".into(),
            priority: None,
            referred: Some(at(left - 50)),
            admitted: Some(at(left - 40)),
            left: Some(at(left)),
            place_freed: None,
            reason: reason.into(),
            destination: dest.into(),
            sessions_scheduled: None,
            sessions_attended: None,
            days_waited: None,
            class: String::new(),
        }
    }

    #[test]
    fn routing_shares_leave_home_as_the_remainder() {
        let mut e = Vec::new();
        for _ in 0..6 {
            e.push(leaver("iop", "completed", "outpatient", 60));
        }
        for _ in 0..2 {
            e.push(leaver("iop", "completed", "alumni", 60));
            e.push(leaver("iop", "completed", "home", 60));
        }
        e.push(leaver("iop", "dropped_out", "home", 60));
        e.push(leaver("iop", "completed", "outpatient", 120)); // after the period
        e.push(leaver("php", "completed", "outpatient", 60)); // another unit
        let d = destinations(&e, "iop", "completed", period());
        assert_eq!(d.values().sum::<u64>(), 10);
        let s = shares(&d, &["home"]).unwrap();
        let names: Vec<&str> = s.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(names, ["alumni", "outpatient"]);
        assert_eq!((s[0].1.value, s[1].1.value, s[1].1.n), (0.2, 0.6, 10));
        // Wilson for 6 of 10: 0.3127 to 0.8318.
        assert!((s[1].1.low - 0.312_7).abs() < 1e-3 && (s[1].1.high - 0.831_8).abs() < 1e-3);
        let d = destinations(&e, "iop", "dropped_out", period());
        assert!(shares(&d, &["home"]).unwrap().is_empty());
    }

    #[test]
    fn track_shares_count_every_visit_given_a_track() {
        let mut e = vec![
            leaver("iop", "completed", "home", 60),
            leaver("iop", "reneged", "", 60),
            leaver("iop", "no_show", "", 60),
        ];
        e[0].track = "morning".into();
        e[2].track = String::new();
        let t = tracks(&e, "iop", period());
        assert_eq!(t.get("morning"), Some(&1));
        assert_eq!(t.get("evening"), Some(&1));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn group_attendance_is_a_ratio_with_a_cluster_interval() {
        let row = |e: u32, a: u32| GroupSession {
            line: 2,
            trial: None,
            start: at(3),
            unit: "iop".into(),
            track: "t".into(),
            expected: e,
            attended: a,
        };
        let rows = vec![row(10, 8), row(10, 10), row(5, 3)];
        let r = attendance_from_groups(&rows, "iop", period()).unwrap();
        // 21 of 25 = 0.84; residuals -0.4, 1.6, -1.2: sum of squares 4.16;
        // se = sqrt(3/2 x 4.16) / 25 = 0.09993.
        assert!((r.value - 0.84).abs() < 1e-12);
        let se = (1.5f64 * 4.16).sqrt() / 25.0;
        assert!((r.low - (0.84 - Z95 * se)).abs() < 1e-9, "{r:?}");
        assert_eq!(r.high, 1.0, "0.84 + 0.196 is clamped to 1");
        assert_eq!(r.n, 3);
    }

    #[test]
    fn patient_rows_give_each_patients_counts_and_the_spread() {
        let mut rows = Vec::new();
        // p1 attends 9 of 10, p2 5 of 10, p3 10 of 10, each the first.
        for (p, k) in [("p1", 9), ("p2", 5), ("p3", 10)] {
            for i in 0..10 {
                rows.push(PatientSession {
                    line: 2,
                    trial: None,
                    patient: p.into(),
                    unit: "iop".into(),
                    at: at(i),
                    attended: i < k,
                });
            }
        }
        let a = attendance_from_patient_rows(&rows, "iop", period()).unwrap();
        // The first session of each (attended) left out: 8, 4 and 9 of 9.
        let by_counts = attendance(&[(8, 9), (4, 9), (9, 9)]).unwrap();
        assert_eq!(a.mean, by_counts.mean);
        assert_eq!(a.mean.n, 3);
        let s = a.spread.unwrap();
        assert_eq!(s, by_counts.spread);
        assert!(s.value > 0.0, "{s:?}");
        assert!(s.low <= s.value && s.value <= s.high);
    }
}
