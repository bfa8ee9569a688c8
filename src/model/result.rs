//! What one trial produces: plain numbers, no references into the engine. The
//! statistics and report layers read only these types.

use crate::engine::time::secs_to_days;
use crate::scenario::{Scenario, UnitKind};

/// Counts of what happened to referrals in a unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnitCounts {
    /// Arrivals to the unit: external referrals (including no-shows) and transfers.
    pub referrals: u64,
    pub no_shows: u64,
    pub turned_away: u64,
    pub reneged: u64,
    pub admitted: u64,
    pub completed: u64,
    pub dropped_out: u64,
    pub admin_discharged: u64,
    pub stepped_up: u64,
}

/// What happened between two snapshots of the counts.
impl std::ops::Sub for UnitCounts {
    type Output = UnitCounts;

    fn sub(self, before: UnitCounts) -> UnitCounts {
        UnitCounts {
            referrals: self.referrals - before.referrals,
            no_shows: self.no_shows - before.no_shows,
            turned_away: self.turned_away - before.turned_away,
            reneged: self.reneged - before.reneged,
            admitted: self.admitted - before.admitted,
            completed: self.completed - before.completed,
            dropped_out: self.dropped_out - before.dropped_out,
            admin_discharged: self.admin_discharged - before.admin_discharged,
            stepped_up: self.stepped_up - before.stepped_up,
        }
    }
}

impl UnitCounts {
    /// Admitted patients who have left, whatever the outcome.
    pub fn exits(&self) -> u64 {
        self.completed + self.dropped_out + self.admin_discharged + self.stepped_up
    }
}

/// One unit's results for one trial. Rates and averages are over the
/// reported horizon; `all` and the `*_at_end` fields cover the whole run
/// (warm-up included) so that conservation can be checked exactly.
#[derive(Debug, Clone, Default)]
pub struct UnitResult {
    pub counts: UnitCounts,
    pub all: UnitCounts,
    pub waiting_at_end: u64,
    pub in_care_at_end: u64,
    /// Time-average number in care (occupied beds or enrolled seats).
    pub census: f64,
    pub waitlist: f64,
    /// Mean referral-to-admission wait of those admitted (NaN if none).
    pub wait_days: f64,
    pub wait_days_p90: f64,
    pub blocked_days: f64,
    /// Mean length of stay of those who left (NaN if none).
    pub mean_stay_days: f64,
    /// Session units only: enrolled / seats offered at sessions held.
    pub seat_utilization: Option<f64>,
    /// Session units only: attended / scheduled attendances.
    pub attendance_rate: Option<f64>,
    /// Waits, in whole seconds as simulated, of everyone admitted in the
    /// reported horizon, in order of admission ([`UnitResult::waits`] gives
    /// them in days). Kept as the recorder has them rather than converted
    /// in every trial: a million waits are 8 MB.
    pub wait_secs: Vec<u64>,
    pub weekly: UnitWeekly,
}

impl UnitResult {
    /// The waits of [`UnitResult::wait_secs`] in days, in order of admission.
    pub fn waits(&self) -> impl ExactSizeIterator<Item = f64> + '_ {
        self.wait_secs.iter().map(|&s| secs_to_days(s))
    }
}

/// Week-by-week series over the reported horizon (index 0 = first reported week).
#[derive(Debug, Clone, Default)]
pub struct UnitWeekly {
    pub census: Vec<f64>,
    pub waitlist: Vec<f64>,
    pub admissions: Vec<f64>,
    pub seat_utilization: Vec<f64>,
    pub attendance_rate: Vec<f64>,
}

#[derive(Debug, Clone, Default)]
pub struct RoomResult {
    /// Attended seat-hours / seat-hours of the groups held in the room.
    pub utilization: f64,
    pub weekly_utilization: Vec<f64>,
}

#[derive(Debug, Clone, Default)]
pub struct StaffResult {
    pub hours_per_week: f64,
    pub fte_needed: f64,
    /// Share of reported weeks in which the hours needed exceed the hours on staff.
    pub short_weeks: f64,
    pub weekly_hours: Vec<f64>,
}

#[derive(Debug, Clone, Default)]
pub struct TrialResult {
    pub trial: u64,
    pub units: Vec<UnitResult>,
    pub rooms: Vec<RoomResult>,
    pub staff: Vec<StaffResult>,
    /// Present when the scenario has a `[finance]` section.
    pub finance: Option<FinanceResult>,
    /// Events handled, for throughput figures.
    pub events: u64,
}

/// Money per trial, over the reported horizon (per-week figures are means over its weeks).
#[derive(Debug, Clone, Default)]
pub struct FinanceResult {
    pub revenue_per_week: f64,
    pub cost_per_week: f64,
    pub net_per_week: f64,
    pub revenue_per_admission: f64,
    pub cost_per_completed_episode: f64,
    /// Expected collections from seats left empty at the sessions held.
    pub lost_revenue_empty_seats_per_week: f64,
    /// Clients lost on the waitlist (reneged or turned away) x revenue per admission.
    pub lost_revenue_waitlist_per_week: f64,
    pub weekly_revenue: Vec<f64>,
    pub weekly_cost: Vec<f64>,
    pub weekly_net: Vec<f64>,
}

const FINANCE_METRICS: [&str; 7] = [
    "revenue_per_week",
    "cost_per_week",
    "net_per_week",
    "revenue_per_admission",
    "cost_per_completed_episode",
    "lost_revenue_empty_seats_per_week",
    "lost_revenue_waitlist_per_week",
];

const UNIT_METRICS: [&str; 15] = [
    "referrals",
    "admissions",
    "census",
    "waitlist",
    "wait_days",
    "wait_days_p90",
    "turned_away",
    "no_shows",
    "reneged",
    "completed",
    "dropped_out",
    "admin_discharged",
    "stepped_up",
    "blocked_days",
    "mean_stay_days",
];

/// Names of the per-trial summary metrics, in the order of [`summary_values`].
pub fn summary_names(s: &Scenario) -> Vec<String> {
    let mut names = Vec::new();
    for u in &s.units {
        for m in UNIT_METRICS {
            names.push(format!("{}.{m}", u.name));
        }
        if matches!(u.kind, UnitKind::Sessions(_)) {
            names.push(format!("{}.seat_utilization", u.name));
            names.push(format!("{}.attendance_rate", u.name));
        }
    }
    for r in &s.rooms {
        names.push(format!("{}.utilization", r.name));
    }
    for st in &s.staff {
        names.push(format!("staff.{}.hours_per_week", st.role));
        names.push(format!("staff.{}.fte_needed", st.role));
        names.push(format!("staff.{}.short_weeks", st.role));
    }
    if s.finance.is_some() {
        names.extend(FINANCE_METRICS.iter().map(|m| format!("finance.{m}")));
    }
    names
}

/// The summary metrics of one trial, in the order of [`summary_names`].
pub fn summary_values(r: &TrialResult) -> Vec<f64> {
    let mut v = Vec::new();
    for u in &r.units {
        let c = &u.counts;
        v.extend_from_slice(&[
            c.referrals as f64,
            c.admitted as f64,
            u.census,
            u.waitlist,
            u.wait_days,
            u.wait_days_p90,
            c.turned_away as f64,
            c.no_shows as f64,
            c.reneged as f64,
            c.completed as f64,
            c.dropped_out as f64,
            c.admin_discharged as f64,
            c.stepped_up as f64,
            u.blocked_days,
            u.mean_stay_days,
        ]);
        if let (Some(su), Some(ar)) = (u.seat_utilization, u.attendance_rate) {
            v.push(su);
            v.push(ar);
        }
    }
    for room in &r.rooms {
        v.push(room.utilization);
    }
    for st in &r.staff {
        v.extend_from_slice(&[st.hours_per_week, st.fte_needed, st.short_weeks]);
    }
    if let Some(f) = &r.finance {
        v.extend_from_slice(&[
            f.revenue_per_week,
            f.cost_per_week,
            f.net_per_week,
            f.revenue_per_admission,
            f.cost_per_completed_episode,
            f.lost_revenue_empty_seats_per_week,
            f.lost_revenue_waitlist_per_week,
        ]);
    }
    v
}

/// Names of the weekly series, in the order of [`weekly_series`].
pub fn weekly_names(s: &Scenario) -> Vec<String> {
    let mut names = Vec::new();
    for u in &s.units {
        for m in ["census", "waitlist", "admissions"] {
            names.push(format!("{}.{m}", u.name));
        }
        if matches!(u.kind, UnitKind::Sessions(_)) {
            names.push(format!("{}.seat_utilization", u.name));
            names.push(format!("{}.attendance_rate", u.name));
        }
    }
    for r in &s.rooms {
        names.push(format!("{}.utilization", r.name));
    }
    for st in &s.staff {
        names.push(format!("staff.{}.hours_per_week", st.role));
    }
    if s.finance.is_some() {
        for m in ["revenue_per_week", "cost_per_week", "net_per_week"] {
            names.push(format!("finance.{m}"));
        }
    }
    names
}

/// The weekly series of one trial, in the order of [`weekly_names`].
pub fn weekly_series(r: &TrialResult) -> Vec<&[f64]> {
    let mut v: Vec<&[f64]> = Vec::new();
    for u in &r.units {
        v.push(&u.weekly.census);
        v.push(&u.weekly.waitlist);
        v.push(&u.weekly.admissions);
        if u.seat_utilization.is_some() {
            v.push(&u.weekly.seat_utilization);
            v.push(&u.weekly.attendance_rate);
        }
    }
    for room in &r.rooms {
        v.push(&room.weekly_utilization);
    }
    for st in &r.staff {
        v.push(&st.weekly_hours);
    }
    if let Some(f) = &r.finance {
        v.push(&f.weekly_revenue);
        v.push(&f.weekly_cost);
        v.push(&f.weekly_net);
    }
    v
}
