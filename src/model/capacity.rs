//! Back-of-the-envelope capacity figures for `iopsim check`: flows through
//! the units from referral rates and routing shares, expected stays from the
//! episode rules (dropout and step-up hazards included), and the load they
//! imply by Little's law (L = lambda x W): the *offered* load, before
//! waitlist losses. The census expected after those losses comes from each
//! queue of the unit (a track, or all its seats when patients take any)
//! seen as an Erlang A queue (M/M/c+M) with the unit's mean patience.
//! Estimates only: the simulation admits at sessions, not the moment a seat
//! frees, and counts administrative discharges, which these ignore.

use crate::model::calendar::Calendar;
use crate::model::program::expected_referrals;
use crate::scenario::limits::{EVENTS_PER_SECOND, WARN_RUN_SECONDS};
use crate::scenario::{
    Admission, Destination, Episode, Routing, Scenario, SessionUnit, TrackChoice, UnitKind,
};
use crate::validate::theory::{erlang_a, erlang_b};

/// A queue whose expected census reaches this share of its places is full
/// nearly all the time: demand exceeds capacity.
pub const FULL: f64 = 0.97;

/// One queue of a unit: the places a waiting patient may take (a track of
/// a session unit whose patients wait for their own track, or all the
/// unit's places).
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    /// The track, or empty for the whole unit.
    pub track: String,
    pub places: f64,
    /// Offered load (arrivals x stay) before waitlist losses.
    pub offered: f64,
    /// Expected census after waitlist losses (people giving up or turned away).
    pub census: f64,
    /// Share of the pool's arrivals expected to give up waiting or be turned away.
    pub lost: f64,
    /// Nobody gives up, the list has no capacity and the offered load is
    /// at least the places: the waitlist grows all run.
    pub grows: bool,
}

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
    /// Net of no-shows and of dropouts and step-ups (in the stay), before
    /// waitlist losses.
    pub offered_load: f64,
    /// `offered_load / capacity`.
    pub utilization: f64,
    /// The unit's queues, with their census after waitlist losses.
    pub pools: Vec<Pool>,
    /// Expected census after waitlist losses: the pools' sum.
    pub census: f64,
    /// Share of arrivals (those who show) expected to give up waiting or be
    /// turned away.
    pub lost: f64,
    /// Whether `census` is meant as a prediction of the run's census (see
    /// [`predicts_census`]); otherwise a rough figure.
    pub predicts_census: bool,
}

impl UnitEstimate {
    /// Demand exceeds capacity as the run will show it: a queue's waitlist
    /// grows all run, or its places are full nearly all the time.
    pub fn overloaded(&self) -> bool {
        self.pools
            .iter()
            .any(|p| p.grows || (p.places > 0.0 && p.census >= FULL * p.places))
    }

    /// Expected census after waitlist losses over capacity.
    pub fn census_share(&self) -> f64 {
        self.census / self.capacity
    }
}

/// Census after waitlist losses of a queue of `places`, offered `offered`
/// (arrivals x `stay` days), whose patients wait at most `capacity` places
/// long and give up after `patience` days on average (`None`: never):
/// (census, share lost, grows).
fn pool_census(
    places: f64,
    offered: f64,
    stay: f64,
    capacity: Option<u32>,
    patience: Option<f64>,
) -> (f64, f64, bool) {
    if !(offered > 0.0 && stay > 0.0 && places >= 1.0 && offered.is_finite()) {
        return (offered.max(0.0).min(places), 0.0, false);
    }
    let c = places.min(f64::from(u32::MAX)) as u32;
    let mu = 1.0 / stay;
    let lambda = offered * mu;
    let cap = |census: f64| census.min(offered).clamp(0.0, places);
    if offered >= 100.0 * places && capacity != Some(0) {
        // Hopelessly overloaded (and beyond what the series should be
        // asked): every place taken, the rest lost.
        return (
            places,
            1.0 - places / offered,
            patience.is_none() && capacity.is_none(),
        );
    }
    if capacity == Some(0) {
        // Nobody waits: Erlang B.
        let b = erlang_b(c, offered);
        return (cap(offered * (1.0 - b)), b, false);
    }
    match patience {
        Some(mean) if mean > 0.0 && mean.is_finite() => {
            let a = erlang_a(c, lambda, mu, 1.0 / mean);
            if a.mean_busy.is_finite() && a.p_abandon.is_finite() {
                (cap(a.mean_busy), a.p_abandon, false)
            } else {
                // Beyond the series: as many in care as places, the rest lost.
                let census = offered.min(places);
                (census, 1.0 - census / offered, false)
            }
        }
        _ if offered < places => (offered, 0.0, false),
        // Nobody gives up: the list fills to its capacity (then turns
        // people away) or grows all run.
        _ => (places, 1.0 - places / offered, capacity.is_none()),
    }
}

/// Whether the census after waitlist losses is meant to predict the run's:
/// the unit works as its queues suppose (admission when a seat is free or at
/// the next session, no intake, staff or group-minimum rules, no classes,
/// exponential or no patience) and the program starts empty.
pub fn predicts_census(s: &Scenario, u: usize) -> bool {
    let unit = &s.units[u];
    let patience_ok = unit
        .waitlist
        .patience
        .as_ref()
        .is_none_or(|d| matches!(d.spec(), crate::model::dist::DistSpec::Exponential { .. }));
    let kind_ok = match &unit.kind {
        UnitKind::Beds(_) => true,
        UnitKind::Sessions(su) => {
            !matches!(su.admission, Admission::Cohort { .. })
                && !matches!(su.track_choice, TrackChoice::AfterDays(_))
                && su.intake.is_none()
                && su.phases.iter().all(|p| p.track.is_none())
                && su
                    .tracks
                    .iter()
                    .all(|t| t.facilitators.is_none() && t.min_size.is_none())
                && !s
                    .staff
                    .iter()
                    .any(|st| st.caseload.as_ref().is_some_and(|c| c.units.contains(&u)))
        }
    };
    patience_ok && kind_ok && s.classes.is_empty() && s.initial.is_empty()
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

/// Flows, stays and loads of every unit, with the census after waitlist
/// losses of each of its queues.
pub fn estimate(s: &Scenario) -> Vec<UnitEstimate> {
    estimate_in(s, true)
}

/// [`estimate`]; the queues only `with_pools` (the work estimate, run on
/// every load, needs only the flows).
fn estimate_in(s: &Scenario, with_pools: bool) -> Vec<UnitEstimate> {
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
            let patience = u.waitlist.patience.as_ref().map(|d| d.mean());
            let pool = |track: &str, places: f64, offered: f64| {
                let (census, lost, grows) =
                    pool_census(places, offered, stay, u.waitlist.capacity, patience);
                Pool {
                    track: track.to_string(),
                    places,
                    offered,
                    census,
                    lost,
                    grows,
                }
            };
            let pools: Vec<Pool> = match &u.kind {
                _ if !with_pools => Vec::new(),
                UnitKind::Sessions(su)
                    if su.tracks.len() > 1 && su.track_choice != TrackChoice::FirstAvailable =>
                {
                    su.tracks
                        .iter()
                        .map(|t| pool(&t.name, f64::from(t.groups * t.group_size), load * t.share))
                        .collect()
                }
                _ => vec![pool("", capacity, load)],
            };
            let census = pools.iter().map(|p| p.census).sum();
            let lost = if load > 0.0 {
                pools.iter().map(|p| p.offered * p.lost).sum::<f64>() / load
            } else {
                0.0
            };
            UnitEstimate {
                name: u.name.clone(),
                capacity,
                seat_sessions_per_week: seat_sessions,
                arrivals_per_week: arrived,
                mean_stay_days: stay,
                offered_load: load,
                utilization: load / capacity,
                pools,
                census,
                lost,
                // Transfers in are counted before the losses of the units
                // they come from: rough.
                predicts_census: predicts_census(s, i)
                    && (0..tags).all(|c| arrivals[c][i] <= external[c][i] * (1.0 + 1e-9)),
            }
        })
        .collect()
}

/// Where a unit's load stands, in words that match what a run will show.
/// `None` when the unit has room to spare (below [`SLACK`] of its places in
/// use, with `slack` warnings asked for; below its places otherwise).
pub fn load_warning(e: &UnitEstimate, slack: bool) -> Option<String> {
    let pct = |x: f64| format!("{:.0}%", x * 100.0);
    // The queue that limits most, named when the unit has several.
    let worst = e
        .pools
        .iter()
        .max_by(|a, b| (a.census / a.places).total_cmp(&(b.census / b.places)))?;
    let which = |p: &Pool| {
        if p.track.is_empty() {
            format!("its {} places", p.places)
        } else {
            format!("track '{}' ({} seats)", p.track, p.places)
        }
    };
    let tracks_over: Vec<String> = e
        .pools
        .iter()
        .filter(|p| !p.track.is_empty() && p.offered >= p.places)
        .map(|p| format!("track '{}' {}", p.track, pct(p.offered / p.places)))
        .collect();
    let by_track = if tracks_over.is_empty() {
        String::new()
    } else {
        format!(" ({})", tracks_over.join(", "))
    };
    if e.overloaded() {
        let growing: Vec<&Pool> = e.pools.iter().filter(|p| p.grows).collect();
        let (what, offered, places) = if growing.len() == e.pools.len() {
            (
                format!("its {} places", e.capacity),
                e.offered_load,
                e.capacity,
            )
        } else {
            let p = growing.first().copied().unwrap_or(worst);
            (which(p), p.offered, p.places)
        };
        let then = if growing.is_empty() {
            format!(
                "about {} of those who show are expected to give up waiting or be turned away",
                pct(e.lost)
            )
        } else {
            let growth: f64 = growing
                .iter()
                .map(|p| p.offered / e.mean_stay_days * 7.0 * (1.0 - p.places / p.offered))
                .sum();
            format!(
                "its waitlist has no capacity and nobody gives up, so it grows all run long, by about {growth:.1} a week (memory grows with the horizon, not with trials)"
            )
        };
        return Some(format!(
            "{}: demand exceeds capacity: {what} full nearly all the time (offered load before waitlist losses {offered:.1} for {places} places); {then}",
            e.name
        ));
    }
    let over = e.utilization >= 1.0 || !tracks_over.is_empty();
    if over {
        return Some(format!(
            "{}: offered load before waitlist losses is {} of places{by_track}; expect a waitlist held in check by people giving up (about {} of those who show; the run reports how many as lost while waiting) and about {} of places in use",
            e.name,
            pct(e.utilization),
            pct(e.lost),
            pct(e.census_share())
        ));
    }
    (slack && e.census_share() >= SLACK).then(|| {
        format!(
            "{}: about {} of places in use leaves little slack: expect waits to be sensitive to demand",
            e.name,
            pct(e.census_share())
        )
    })
}

/// A unit with this share of its places in use has little slack.
pub const SLACK: f64 = 0.85;

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
    for (e, u) in estimate_in(s, false).iter().zip(&s.units) {
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
