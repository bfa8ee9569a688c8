//! Back-of-the-envelope capacity figures for `iopsim check`: flows through
//! the units from referral rates and routing shares, expected stays from the
//! episode rules, and the load they imply by Little's law (L = lambda x W).
//! Estimates only: they ignore waiting losses and administrative discharges,
//! which the simulation captures.

use crate::scenario::{Destination, Episode, Routing, Scenario, UnitKind};

#[derive(Debug, Clone)]
pub struct UnitEstimate {
    pub name: String,
    /// Beds, or seats summed over tracks and groups.
    pub capacity: f64,
    /// Group-session seats offered per week (session units).
    pub seat_sessions_per_week: f64,
    /// Admissions per week (referrals that show, plus transfers in).
    pub arrivals_per_week: f64,
    pub mean_stay_days: f64,
    /// Expected number in care if nobody had to wait: arrivals x stay.
    pub offered_load: f64,
    pub utilization: f64,
}

/// Expected stay (days) and the chances of leaving by completion and by step-up.
fn session_outcomes(s: &crate::scenario::SessionUnit, days_per_week: f64) -> (f64, f64, f64) {
    let weeks = match &s.episode {
        Episode::Weeks(w) => f64::from(*w),
        Episode::Sessions(k) => f64::from(*k) / (days_per_week * s.attendance).max(1e-9),
        Episode::Days(d) => d.mean() / 7.0,
    };
    let (mut survive, mut stay, mut stepped) = (1.0, 0.0, 0.0);
    let whole = weeks.floor() as usize;
    for w in 0..=whole {
        let span = if w < whole { 1.0 } else { weeks - whole as f64 };
        if span <= 0.0 {
            break;
        }
        let d = s
            .dropout_weekly
            .get(w.min(s.dropout_weekly.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
            * span;
        let u = s.stepup_weekly * span;
        let h = (d + u).min(1.0);
        stay += survive * 7.0 * span * (1.0 - h / 2.0);
        stepped += survive * u;
        survive *= 1.0 - h;
    }
    (stay, survive, stepped)
}

fn add_routing(flows: &mut [f64], routing: &Routing, rate: f64) {
    for (dest, share) in &routing.shares {
        if let Destination::Unit(v) = dest {
            flows[*v] += rate * share;
        }
    }
}

pub fn estimate(s: &Scenario) -> Vec<UnitEstimate> {
    let n = s.units.len();
    let mut external = vec![0.0; n];
    for r in &s.referrals {
        let month_mean = r.months.iter().sum::<f64>() / 12.0;
        external[r.to] += r.per_week * r.show * month_mean;
    }
    let outcomes: Vec<(f64, f64, f64)> = s
        .units
        .iter()
        .map(|u| match &u.kind {
            UnitKind::Beds(b) => (b.stay.mean(), 1.0, 0.0),
            UnitKind::Sessions(su) => {
                let days = su
                    .tracks
                    .iter()
                    .map(|t| t.days.len() as f64 * t.share)
                    .sum::<f64>();
                session_outcomes(su, days)
            }
        })
        .collect();
    // Fixed point of arrivals = external + transfers in (routing graphs are small).
    let mut arrivals = external.clone();
    for _ in 0..100 {
        let mut next = external.clone();
        for (i, u) in s.units.iter().enumerate() {
            let (_, complete, stepped) = outcomes[i];
            match &u.kind {
                UnitKind::Beds(b) => add_routing(&mut next, &b.on_discharge, arrivals[i]),
                UnitKind::Sessions(su) => {
                    add_routing(&mut next, &su.on_completion, arrivals[i] * complete);
                    if let Destination::Unit(v) = su.stepup_to {
                        next[v] += arrivals[i] * stepped;
                    }
                }
            }
        }
        arrivals = next;
    }
    s.units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let (capacity, seat_sessions) = match &u.kind {
                UnitKind::Beds(b) => (f64::from(b.capacity), 0.0),
                UnitKind::Sessions(su) => (
                    su.tracks
                        .iter()
                        .map(|t| f64::from(t.groups * t.group_size))
                        .sum(),
                    su.tracks
                        .iter()
                        .map(|t| f64::from(t.groups * t.group_size) * t.days.len() as f64)
                        .sum(),
                ),
            };
            let stay = outcomes[i].0;
            let load = arrivals[i] / 7.0 * stay;
            UnitEstimate {
                name: u.name.clone(),
                capacity,
                seat_sessions_per_week: seat_sessions,
                arrivals_per_week: arrivals[i],
                mean_stay_days: stay,
                offered_load: load,
                utilization: load / capacity,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Admission, Destination, Episode, Routing, SessionUnit};

    #[test]
    fn hazards_give_the_domain_completion_share() {
        // domain.md: 8%, 8%, 5%, 5%, then 2.5%/week, step-up 0.5%/week, 12 weeks
        // -> about 59% completion, 4.5% step-up, mean stay ~61 days.
        let su = SessionUnit {
            admission: Admission::Rolling,
            episode: Episode::Weeks(12),
            attendance: 1.0,
            discharge_after_absences: 0,
            dropout_weekly: vec![0.08, 0.08, 0.05, 0.05, 0.025],
            stepup_weekly: 0.005,
            stepup_to: Destination::Exit("php".into()),
            on_completion: Routing::default(),
            phases: vec![],
            tracks: vec![],
        };
        let (stay, complete, stepped) = session_outcomes(&su, 3.0);
        assert!((complete - 0.59).abs() < 0.01, "{complete}");
        assert!((stepped - 0.045).abs() < 0.005, "{stepped}");
        assert!((stay - 61.0).abs() < 2.0, "{stay}");
    }
}
