//! The money side of a trial: revenue from attended session-days, intakes,
//! individual sessions and bed-days; cost of salaried and per-diem staff,
//! rooms and overhead; and the revenue lost to empty seats and to clients
//! lost on the waitlist. Pure arithmetic on the trial's weekly activity.

use crate::model::result::{FinanceResult, StaffResult, UnitResult};
use crate::scenario::{Activity, Scenario, UnitKind};

/// One unit's billable activity in one reported week.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnitWeekActivity {
    /// Attended patient-sessions (session units): each is one billable session-day.
    pub attended: f64,
    /// Seats offered minus enrolled patients, over the sessions held.
    pub empty_seat_sessions: f64,
    /// Patients in care x weeks (the census integrated over the week).
    pub patient_weeks: f64,
    pub admissions: f64,
    /// Attended patient-sessions x the session's hours (billed per hour).
    pub attended_hours: f64,
    /// Empty seats at the sessions held x the session's hours.
    pub empty_seat_hours: f64,
    /// Individual sessions of the `individual` workload entries restricted
    /// to a track or stepping down by phase; the others' are worked out
    /// here from `patient_weeks`.
    pub individual_scoped: f64,
}

/// The scenario's finance section, resolved per unit and role.
#[derive(Debug, Clone)]
pub struct FinancePlan {
    collect: f64,
    per_day: f64,
    per_hour: f64,
    intake_fee: f64,
    individual_fee: f64,
    /// Per unit: session unit?, attendance probability, individual sessions
    /// per patient-week, bed-day rate.
    units: Vec<(bool, f64, f64, f64)>,
    /// Per role: salaried weekly cost, hours on staff per week, per-diem rate.
    staff: Vec<(f64, f64, f64)>,
    fixed_per_week: f64,
}

impl FinancePlan {
    pub fn new(s: &Scenario) -> Option<FinancePlan> {
        let f = s.finance.as_ref()?;
        let units = s
            .units
            .iter()
            .enumerate()
            .map(|(u, unit)| {
                let (sessions, attendance) = match &unit.kind {
                    UnitKind::Sessions(su) => (true, su.attendance),
                    UnitKind::Beds(_) => (false, 0.0),
                };
                let individual: f64 = s
                    .workload
                    .iter()
                    .filter(|w| {
                        w.activity == Activity::Individual
                            && !w.scoped()
                            && sessions
                            && w.unit.is_none_or(|o| o == u)
                    })
                    .map(|w| w.share / w.every_weeks)
                    .sum();
                let bed_rate = f
                    .bed_day_rates
                    .iter()
                    .find(|(i, _)| *i == u)
                    .map_or(0.0, |(_, r)| *r);
                (sessions, attendance, individual, bed_rate)
            })
            .collect();
        let staff = s
            .staff
            .iter()
            .enumerate()
            .map(|(role, st)| match f.staff.iter().find(|c| c.role == role) {
                Some(c) => (
                    st.fte * c.salary_per_fte_year / 52.0,
                    st.fte * st.hours_per_fte,
                    c.per_diem_per_hour,
                ),
                None => (0.0, st.fte * st.hours_per_fte, 0.0),
            })
            .collect();
        // The cost is per room, and a name may stand for several identical rooms.
        let rooms: f64 = f
            .room_cost_per_week
            .iter()
            .map(|&(r, c)| c * f64::from(s.rooms[r].count))
            .sum();
        Some(FinancePlan {
            collect: f.collection_rate,
            per_day: f.per_day(),
            per_hour: f.per_hour(),
            intake_fee: f.intake_fee,
            individual_fee: f.individual_fee,
            units,
            staff,
            fixed_per_week: rooms + f.overhead_per_week,
        })
    }

    /// `activity[unit][week]` over the reported weeks; `units` and `staff`
    /// are the trial's results (counts and weekly staff hours).
    pub fn compute(
        &self,
        activity: &[Vec<UnitWeekActivity>],
        units: &[UnitResult],
        staff: &[StaffResult],
    ) -> FinanceResult {
        let weeks = activity.first().map_or(0, Vec::len);
        let mut revenue = vec![0.0; weeks];
        let mut lost_seats = 0.0;
        for ((sessions, attendance, individual, bed_rate), weekly) in
            self.units.iter().zip(activity)
        {
            for (w, a) in weekly.iter().enumerate() {
                let billed = if *sessions {
                    a.attended * self.per_day
                        + a.admissions * self.intake_fee
                        + a.patient_weeks * individual * self.individual_fee
                        + a.attended_hours * self.per_hour
                        + a.individual_scoped * self.individual_fee
                } else {
                    a.patient_weeks * 7.0 * bed_rate
                };
                revenue[w] += billed * self.collect;
                if *sessions {
                    // Seats left empty would have billed on the same basis
                    // as the attended ones: per day, per hour or both.
                    lost_seats += a.empty_seat_sessions * attendance * self.per_day * self.collect;
                    lost_seats += a.empty_seat_hours * attendance * self.per_hour * self.collect;
                }
            }
        }
        let cost: Vec<f64> = (0..weeks)
            .map(|w| {
                let people: f64 = self
                    .staff
                    .iter()
                    .zip(staff)
                    .map(|(&(salaried, on_staff, per_diem), st)| {
                        let needed = st.weekly_hours.get(w).copied().unwrap_or(0.0);
                        salaried + (needed - on_staff).max(0.0) * per_diem
                    })
                    .sum();
                people + self.fixed_per_week
            })
            .collect();
        let net: Vec<f64> = revenue.iter().zip(&cost).map(|(r, c)| r - c).collect();
        let total_revenue: f64 = revenue.iter().sum();
        let total_cost: f64 = cost.iter().sum();
        let admissions: u64 = units.iter().map(|u| u.counts.admitted).sum();
        let completed: u64 = units.iter().map(|u| u.counts.completed).sum();
        let lost_clients: u64 = units
            .iter()
            .map(|u| u.counts.reneged + u.counts.turned_away)
            .sum();
        let per_admission = if admissions > 0 {
            total_revenue / admissions as f64
        } else {
            f64::NAN
        };
        let n = weeks.max(1) as f64;
        FinanceResult {
            revenue_per_week: total_revenue / n,
            cost_per_week: total_cost / n,
            net_per_week: (total_revenue - total_cost) / n,
            revenue_per_admission: per_admission,
            cost_per_completed_episode: if completed > 0 {
                total_cost / completed as f64
            } else {
                f64::NAN
            },
            lost_revenue_empty_seats_per_week: lost_seats / n,
            lost_revenue_waitlist_per_week: if admissions > 0 {
                lost_clients as f64 * per_admission / n
            } else {
                0.0
            },
            weekly_revenue: revenue,
            weekly_cost: cost,
            weekly_net: net,
        }
    }
}
