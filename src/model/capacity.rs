//! Back-of-the-envelope capacity figures for `iopsim check`: flows through
//! the units from referral rates and routing shares, expected stays from the
//! episode rules, and the load they imply by Little's law (L = lambda x W).
//! Estimates only: they ignore waiting losses and administrative discharges,
//! which the simulation captures.

use crate::model::calendar::Calendar;
use crate::model::program::expected_referrals;
use crate::scenario::limits::{EVENTS_PER_SECOND, WARN_RUN_SECONDS};
use crate::scenario::{Destination, Episode, Routing, Scenario, SessionUnit, UnitKind};

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

/// Weeks of stay followed one by one before the rest is summed in closed
/// form (far beyond any real episode, so realistic estimates are the plain
/// week-by-week sums).
const EXPLICIT_WEEKS: usize = 5200;

/// Expected stay (days) and the chances of leaving by completion and by step-up.
///
/// Bounded work whatever the episode: a sessions episode with attendance 0,
/// or a fixed stay of 1e12 days, lasts billions of weeks. Past the dropout
/// list the weekly hazard is constant, so the weeks past [`EXPLICIT_WEEKS`]
/// are a geometric series.
fn session_outcomes(s: &SessionUnit, days_per_week: f64) -> (f64, f64, f64) {
    let weeks = match &s.episode {
        Episode::Weeks(w) => f64::from(*w),
        Episode::Sessions(k) => f64::from(*k) / (days_per_week * s.attendance).max(1e-9),
        Episode::Days(d) => d.mean() / 7.0,
    };
    let hazards = |w: usize, span: f64| {
        let d = s
            .dropout_weekly
            .get(w.min(s.dropout_weekly.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
            * span;
        let u = s.stepup_weekly * span;
        ((d + u).min(1.0), u)
    };
    let (mut survive, mut stay, mut stepped) = (1.0, 0.0, 0.0);
    let whole = weeks.floor();
    let explicit = EXPLICIT_WEEKS.max(s.dropout_weekly.len());
    // Whole weeks one by one, then the fraction of the last one.
    let one_by_one = if whole < explicit as f64 {
        whole as usize
    } else {
        explicit
    };
    for w in 0..one_by_one {
        let (h, u) = hazards(w, 1.0);
        stay += survive * 7.0 * (1.0 - h / 2.0);
        stepped += survive * u;
        survive *= 1.0 - h;
    }
    let rest = whole - one_by_one as f64;
    if rest > 0.0 {
        // Every remaining whole week has the last hazard of the list.
        let (h, u) = hazards(one_by_one, 1.0);
        let kept = (1.0 - h).powf(rest);
        let weeks_alive = if h > 0.0 { (1.0 - kept) / h } else { rest };
        stay += survive * 7.0 * (1.0 - h / 2.0) * weeks_alive;
        stepped += survive * u * weeks_alive;
        survive *= kept;
    }
    let span = weeks - whole;
    if span > 0.0 {
        let (h, u) = hazards(whole as usize, span); // `as` saturates
        stay += survive * 7.0 * span * (1.0 - h / 2.0);
        stepped += survive * u;
        survive *= 1.0 - h;
    }
    (stay, survive, stepped)
}

/// Adds to `flows` the transfers `routing` sends on from `rate` leavers:
/// those who turn up at each unit (`shows`: its `transfer_show`).
fn add_routing(flows: &mut [f64], routing: &Routing, rate: f64, shows: &[f64]) {
    for (dest, share) in &routing.shares {
        if let Destination::Unit(v) = dest {
            flows[*v] += rate * share * shows[*v];
        }
    }
}

/// A unit as patients of class tag `c` (0: no class) see it: the unit's
/// session rules with the class's overrides there.
fn as_seen_by(s: &Scenario, u: usize, c: usize) -> Option<SessionUnit> {
    let UnitKind::Sessions(su) = &s.units[u].kind else {
        return None;
    };
    let care = c
        .checked_sub(1)
        .and_then(|k| s.classes.get(k)?.care.get(u)?.as_ref());
    let mut v = su.clone();
    if let Some(cc) = care {
        if let Some(a) = cc.attendance {
            v.attendance = a;
        }
        if let Some(d) = &cc.dropout_weekly {
            v.dropout_weekly = d.clone();
        }
        if let Some(x) = cc.stepup_weekly {
            v.stepup_weekly = x;
        }
        if let Some(e) = &cc.episode {
            v.episode = e.clone();
        }
        if let Some(shares) = &cc.track_shares {
            for (t, &x) in v.tracks.iter_mut().zip(shares) {
                t.share = x;
            }
        }
    }
    Some(v)
}

pub fn estimate(s: &Scenario) -> Vec<UnitEstimate> {
    let n = s.units.len();
    // Flows are followed per class (tag 0: patients of no class), which
    // keep their class through every unit.
    let tags = s.classes.len() + 1;
    let mut external = vec![vec![0.0; n]; tags];
    for r in &s.referrals {
        // Divided before summing: twelve finite factors can overflow a sum.
        let month_mean = r.months.iter().map(|m| m / 12.0).sum::<f64>();
        // An intake loses its no-shows too: as if it were a day away.
        let intake = match &s.units[r.to].kind {
            UnitKind::Sessions(su) => su.intake.as_ref().map_or(1.0, |i| i.show_after(1.0)),
            UnitKind::Beds(_) => 1.0,
        };
        if r.classes.is_empty() {
            external[0][r.to] += r.per_week * r.show * intake * month_mean;
        }
        for &(c, share) in &r.classes {
            let show = s.classes[c].show.unwrap_or(r.show);
            external[c + 1][r.to] += r.per_week * share * show * intake * month_mean;
        }
    }
    let outcomes: Vec<Vec<(f64, f64, f64)>> = (0..tags)
        .map(|c| {
            s.units
                .iter()
                .enumerate()
                .map(|(i, u)| match &u.kind {
                    UnitKind::Beds(b) => (b.stay.mean(), 1.0, 0.0),
                    UnitKind::Sessions(_) => {
                        let su = as_seen_by(s, i, c).expect("a sessions unit");
                        let days = su
                            .tracks
                            .iter()
                            .map(|t| t.days.len() as f64 * t.share)
                            .sum::<f64>();
                        session_outcomes(&su, days)
                    }
                })
                .collect()
        })
        .collect();
    // Fixed point of arrivals = external + transfers in (routing graphs are
    // small), per class: a relapse may refer its patients on as another.
    let shows: Vec<f64> = s.units.iter().map(|u| u.transfer_show).collect();
    let mut arrivals: Vec<Vec<f64>> = external.clone();
    for _ in 0..100 {
        let mut next = external.clone();
        for c in 0..tags {
            let arrivals = &arrivals[c];
            for (i, u) in s.units.iter().enumerate() {
                let (_, complete, stepped) = outcomes[c][i];
                let routed = |r: &Routing| r.shares.iter().map(|(_, p)| p).sum::<f64>();
                let flows = &mut next[c];
                // Leavers who go home (a relapse brings some back).
                let home = match &u.kind {
                    UnitKind::Beds(b) => {
                        add_routing(flows, &b.on_discharge, arrivals[i], &shows);
                        arrivals[i] * (1.0 - routed(&b.on_discharge))
                    }
                    UnitKind::Sessions(su) => {
                        add_routing(flows, &su.on_completion, arrivals[i] * complete, &shows);
                        match &su.on_stepup {
                            Some(r) => add_routing(flows, r, arrivals[i] * stepped, &shows),
                            None => {
                                if let Destination::Unit(v) = su.stepup_to {
                                    flows[v] += arrivals[i] * stepped * shows[v];
                                }
                            }
                        }
                        // Dropouts and administrative discharges together, as dropouts.
                        let other = (1.0 - complete - stepped).max(0.0);
                        add_routing(flows, &su.on_dropout, arrivals[i] * other, &shows);
                        arrivals[i]
                            * (complete * (1.0 - routed(&su.on_completion))
                                + other * (1.0 - routed(&su.on_dropout)))
                    }
                };
                if let Some(r) = &u.relapse {
                    let class = r.class.map_or(c, |k| k + 1);
                    next[class][r.to] += home.max(0.0) * r.share * r.show;
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
            // Without classes, one flow: the arithmetic is exactly the
            // single-class one.
            let (arrived, stay, load) = if tags == 1 {
                let stay = outcomes[0][i].0;
                (arrivals[0][i], stay, arrivals[0][i] / 7.0 * stay)
            } else {
                let arrived: f64 = (0..tags).map(|c| arrivals[c][i]).sum();
                let load: f64 = (0..tags)
                    .map(|c| arrivals[c][i] / 7.0 * outcomes[c][i].0)
                    .sum();
                let stay = if arrived > 0.0 {
                    load * 7.0 / arrived
                } else {
                    outcomes[0][i].0
                };
                (arrived, stay, load)
            };
            UnitEstimate {
                name: u.name.clone(),
                capacity,
                seat_sessions_per_week: seat_sessions,
                arrivals_per_week: arrived,
                mean_stay_days: stay,
                offered_load: load,
                utilization: load / capacity,
            }
        })
        .collect()
}

/// What one trial is expected to cost: the hard limit on events
/// (`scenario::limits`) and the warning before a long run read it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Work {
    /// Expected referrals over the whole horizon (warm-up included), all
    /// streams, with weekday and month weights and growth as simulated.
    pub referrals: f64,
    /// Expected events: referrals, admissions (each ends in a leave),
    /// weeks in care (a week-of-stay event each) and session times.
    pub events: f64,
}

/// The work of one trial, from the flows and stays of [`estimate`] scaled
/// to the horizon. An estimate: it ignores waiting losses (fewer
/// admissions), and counts patient-weeks in care at most as every place
/// full for the whole horizon.
pub fn work(s: &Scenario) -> Work {
    let sim = &s.simulation;
    let total_weeks = f64::from(s.total_weeks());
    let calendar = Calendar::new(
        sim.start_date,
        sim.warmup_weeks,
        s.total_weeks(),
        &[],
        false,
    );
    let referrals: f64 = s
        .referrals
        .iter()
        .map(|r| expected_referrals(r, &calendar))
        .sum();
    // `estimate` uses flat weekly rates; scale its flows by growth.
    let flat = s
        .referrals
        .iter()
        .map(|r| r.per_week * r.months.iter().map(|m| m / 12.0).sum::<f64>())
        .sum::<f64>()
        * total_weeks;
    let growth = if flat > 0.0 { referrals / flat } else { 1.0 };
    let mut events = referrals;
    for (e, u) in estimate(s).iter().zip(&s.units) {
        let arrivals = e.arrivals_per_week * total_weeks * growth;
        let weeks_of_stay = (e.mean_stay_days / 7.0).min(total_weeks);
        let place_weeks = e.capacity * total_weeks;
        let admissions = if weeks_of_stay > 0.0 {
            arrivals.min(place_weeks / weeks_of_stay)
        } else {
            arrivals
        };
        events += admissions + admissions * weeks_of_stay;
        if let UnitKind::Sessions(su) = &u.kind {
            let days: usize = su.tracks.iter().map(|t| t.days.len()).sum();
            events += days as f64 * total_weeks;
        }
    }
    Work { referrals, events }
}

/// A warning when a run of `s` is expected to take more than
/// [`WARN_RUN_SECONDS`] on one core: the run goes ahead, but the user
/// learns before waiting what it will cost and what makes it cheaper.
pub fn run_cost_warning(s: &Scenario) -> Option<String> {
    let w = work(s);
    let trials = f64::from(s.simulation.trials);
    let seconds = w.events * trials / EVENTS_PER_SECOND;
    (seconds > WARN_RUN_SECONDS).then(|| {
        format!(
            "a long run: about {} events a trial ({} referrals) x {} trials, roughly {} on one core at {} million events a second; fewer trials (--trials) or a shorter horizon (--weeks) run faster",
            sig3(w.events),
            sig3(w.referrals),
            s.simulation.trials,
            duration(seconds),
            EVENTS_PER_SECOND / 1e6
        )
    })
}

/// A count for messages: whole below a million, else at most three
/// significant figures (`1.56e7`, `1e9`).
pub fn sig3(x: f64) -> String {
    if x.abs() < 1e6 || !x.is_finite() {
        return format!("{x:.0}");
    }
    let s = format!("{x:.2e}");
    match s.split_once('e') {
        Some((mantissa, exp)) if mantissa.contains('.') => {
            let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
            format!("{mantissa}e{exp}")
        }
        _ => s,
    }
}

/// Seconds as minutes, hours or days, for messages.
fn duration(seconds: f64) -> String {
    if seconds < 3600.0 {
        format!("{:.0} min", seconds / 60.0)
    } else if seconds < 86_400.0 * 2.0 {
        format!("{:.1} h", seconds / 3600.0)
    } else {
        format!("{:.0} days", seconds / 86_400.0)
    }
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
            attendance_sd: 0.0,
            track_choice: Default::default(),
            discharge_after_absences: 0,
            dropout_weekly: vec![0.08, 0.08, 0.05, 0.05, 0.025],
            stepup_weekly: 0.005,
            stepup_to: Destination::Exit("php".into()),
            on_stepup: None,
            on_completion: Routing::default(),
            on_dropout: Routing::default(),
            on_admin_discharge: Routing::default(),
            phases: vec![],
            tracks: vec![],
            intake: None,
        };
        let (stay, complete, stepped) = session_outcomes(&su, 3.0);
        assert!((complete - 0.59).abs() < 0.01, "{complete}");
        assert!((stepped - 0.045).abs() < 0.005, "{stepped}");
        assert!((stay - 61.0).abs() < 2.0, "{stay}");
    }
}
