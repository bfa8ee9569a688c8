//! What one trial produces: plain numbers, no references into the engine. The
//! statistics and report layers read only these types.

use crate::engine::time::secs_to_days;
use crate::scenario::{Destination, Scenario, Unit, UnitKind};

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
    /// Per track, for a session unit with more than one track
    /// ([`has_track_results`]); empty otherwise.
    pub tracks: Vec<TrackResult>,
    /// Leavers over the reported horizon by where they went, in the order
    /// of [`destination_names`]; they add up to [`UnitCounts::exits`].
    pub destinations: Vec<u64>,
    /// A unit with an intake stage: its appointments.
    pub intake: Option<IntakeResult>,
    /// A unit with a track that needs facilitators: group sessions not
    /// held for want of them.
    pub sessions_cancelled: Option<u64>,
    /// A unit with a track that has a `min_size`.
    pub min_size: Option<MinSizeResult>,
    /// A unit with a phase that moves patients to another track.
    pub phase_moves: Option<PhaseMoveResult>,
    /// A sessions unit with `on_stepup`: step-ups over the reported
    /// horizon per entry of the map, in its order; empty otherwise.
    pub stepped_up_to: Vec<u64>,
    /// A unit some `relapse` refers to: relapse referrals in the reported
    /// horizon (counted in `referrals` too).
    pub relapse_referrals: Option<u64>,
    /// A unit with a `relapse`.
    pub readmissions: Option<Readmissions>,
    /// Patients who went home from this unit and are to be referred again
    /// (`relapse`) at or after the horizon: away at the end.
    pub away_at_end: u64,
}

/// Group minimums (`min_size`) over the reported horizon.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MinSizeResult {
    /// Group sessions not held for having fewer patients than the minimum.
    pub sessions_below_min: u64,
    /// Patients moved to another group of their track to make one meet.
    pub regrouped: u64,
    /// The `group_session` workload's hours of those sessions, not spent.
    pub group_hours_saved: f64,
}

/// Phases that move patients to another track, over the reported horizon.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhaseMoveResult {
    /// Patients moved to a phase's track.
    pub moves: u64,
    /// Moves that found the track full when due (each counted once).
    pub delayed: u64,
}

/// A unit's group-minimum metrics, as `<unit>.<metric>`.
pub const MIN_SIZE_METRICS: [&str; 3] = ["sessions_below_min", "regrouped", "group_hours_saved"];

/// A unit's phase-move metrics, as `<unit>.<metric>`.
pub const PHASE_MOVE_METRICS: [&str; 2] = ["phase_moves", "phase_moves_delayed"];

/// A unit's intake appointments due in the reported horizon.
#[derive(Debug, Clone, Default)]
pub struct IntakeResult {
    /// Referral to appointment, of every appointment due (shown or not).
    pub wait_days: f64,
    pub wait_days_p90: f64,
    /// Appointments due, and of them those not attended.
    pub appointments: u64,
    pub no_shows: u64,
    /// Appointments booked / offered on the reported days.
    pub slots_used: f64,
    /// The waits in whole seconds, in order of appointment.
    pub wait_secs: Vec<u64>,
}

/// One track's share of its unit's results: the same definitions,
/// restricted to the patients of the track (who never change track).
#[derive(Debug, Clone, Default)]
pub struct TrackResult {
    pub census: f64,
    pub waitlist: f64,
    pub admissions: u64,
    pub wait_days: f64,
    pub wait_days_p90: f64,
    pub reneged: u64,
    /// Enrolled / seats offered at the track's sessions held.
    pub seat_utilization: f64,
    /// As [`UnitResult::wait_secs`], for the track's admissions.
    pub wait_secs: Vec<u64>,
    /// Census, waitlist and admissions by reported week.
    pub weekly_census: Vec<f64>,
    pub weekly_waitlist: Vec<f64>,
    pub weekly_admissions: Vec<f64>,
}

impl TrackResult {
    /// The waits of [`TrackResult::wait_secs`] in days.
    pub fn waits(&self) -> impl ExactSizeIterator<Item = f64> + '_ {
        self.wait_secs.iter().map(|&s| secs_to_days(s))
    }
}

/// What became of one referral stream's referrals at the unit they were
/// referred to (their first unit; later transfers are the units' own).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StreamResult {
    pub referrals: u64,
    pub admitted: u64,
    pub no_shows: u64,
    pub turned_away: u64,
    pub reneged: u64,
    pub wait_days: f64,
    pub wait_days_p90: f64,
}

/// One patient class's results in one trial, over every unit its
/// patients pass through: referrals are new referrals (relapses
/// included), not transfers; admissions, waits and outcomes count every
/// unit's; the census is those in care anywhere.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ClassResult {
    pub counts: UnitCounts,
    pub census: f64,
    pub wait_days: f64,
    pub wait_days_p90: f64,
}

/// Per-class metrics, as `class.<class>.<metric>`.
pub const CLASS_METRICS: [&str; 12] = [
    "referrals",
    "no_shows",
    "turned_away",
    "reneged",
    "admitted",
    "wait_days",
    "wait_days_p90",
    "census",
    "completed",
    "dropped_out",
    "stepped_up",
    "admin_discharged",
];

impl ClassResult {
    /// The values of [`CLASS_METRICS`], in order.
    pub fn values(&self) -> [f64; 12] {
        let c = &self.counts;
        [
            c.referrals as f64,
            c.no_shows as f64,
            c.turned_away as f64,
            c.reneged as f64,
            c.admitted as f64,
            self.wait_days,
            self.wait_days_p90,
            self.census,
            c.completed as f64,
            c.dropped_out as f64,
            c.stepped_up as f64,
            c.admin_discharged as f64,
        ]
    }
}

/// Whether `unit` reports results per track: a session unit with more
/// than one track.
pub fn has_track_results(unit: &Unit) -> bool {
    matches!(&unit.kind, UnitKind::Sessions(su) if su.tracks.len() > 1)
}

/// The name of a destination: a unit's name or the exit label.
pub fn destination_name<'a>(s: &'a Scenario, d: &'a Destination) -> &'a str {
    match d {
        Destination::Unit(u) => &s.units[*u].name,
        Destination::Exit(label) => label,
    }
}

/// Where a unit's leavers can go, each once, in the order its results
/// count them: the destinations of its routing map (`on_completion` or
/// `on_discharge`) in the map's order, its step-up destination, and
/// `home` (the remainder of a routing map, dropouts and administrative
/// discharges) last.
pub fn destination_names(s: &Scenario, unit: &Unit) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut add = |n: &str| {
        if !names.iter().any(|x| x == n) {
            names.push(n.to_string());
        }
    };
    match &unit.kind {
        UnitKind::Beds(b) => {
            for (d, _) in &b.on_discharge.shares {
                add(destination_name(s, d));
            }
        }
        UnitKind::Sessions(su) => {
            for (d, _) in &su.on_completion.shares {
                add(destination_name(s, d));
            }
            match &su.on_stepup {
                None => add(destination_name(s, &su.stepup_to)),
                Some(r) => {
                    for (d, _) in &r.shares {
                        add(destination_name(s, d));
                    }
                }
            }
            for (d, _) in su
                .on_dropout
                .shares
                .iter()
                .chain(&su.on_admin_discharge.shares)
            {
                add(destination_name(s, d));
            }
        }
    }
    add(HOME);
    names
}

/// Whether some unit's `relapse` refers patients to `unit`: it reports
/// `<unit>.relapse_referrals`.
pub fn relapse_target(s: &Scenario, unit: usize) -> bool {
    s.units
        .iter()
        .any(|u| u.relapse.as_ref().is_some_and(|r| r.to == unit))
}

/// Readmissions of a unit with a `relapse`, over the reported horizon.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Readmissions {
    /// Of the patients who went home from the unit in the reported
    /// horizon, those admitted again (to any unit) within 30 / 90 days.
    pub within_30d: u64,
    pub within_90d: u64,
    /// Of those home exits at least 30 / 90 days before the horizon, the
    /// share admitted again within the window (NaN if none).
    pub rate_30d: f64,
    pub rate_90d: f64,
}

/// A unit's readmission metrics, as `<unit>.<metric>`.
pub const READMISSION_METRICS: [&str; 4] = [
    "readmitted_30d",
    "readmitted_90d",
    "readmission_rate_30d",
    "readmission_rate_90d",
];

/// The destination of those who leave care unrouted.
pub const HOME: &str = "home";

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
    /// A role with shifts: who was on duty.
    pub roster: Option<RosterResult>,
    /// A role with a caseload cap.
    pub caseload: Option<CaseloadResult>,
}

/// A rostered role over the reported weeks.
#[derive(Debug, Clone, Default)]
pub struct RosterResult {
    /// Hours at work per week (shifts of filled positions, not on leave,
    /// not on holidays).
    pub hours_on_duty: f64,
    /// Hours needed (`hours_per_week`) / hours on duty.
    pub utilization: f64,
    /// Group sessions not held for want of this role.
    pub sessions_cancelled: u64,
    /// FTE (at `hours_per_fte`) the timetable's facilitation and fixed
    /// intake appointments need, if every group meets.
    pub timetable_fte: f64,
}

/// A role's caseload over the reported horizon.
#[derive(Debug, Clone, Default)]
pub struct CaseloadResult {
    /// Time-average patients on the caseload.
    pub mean: f64,
    /// The cap in this trial (vacancies lower it).
    pub cap: f64,
    /// Share of the time at the cap.
    pub full: f64,
    /// Patients whose admission a full caseload held back (a seat was free).
    pub held_back: u64,
}

#[derive(Debug, Clone, Default)]
pub struct TrialResult {
    pub trial: u64,
    pub units: Vec<UnitResult>,
    pub rooms: Vec<RoomResult>,
    pub staff: Vec<StaffResult>,
    /// Present when the scenario has a `[finance]` section.
    pub finance: Option<FinanceResult>,
    /// Per referral stream, in the scenario's order.
    pub streams: Vec<StreamResult>,
    /// Per patient class, in the scenario's order (empty without classes).
    pub classes: Vec<ClassResult>,
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

/// Per-track metrics of a unit with [`has_track_results`], as
/// `<unit>.<track>.<metric>`.
pub const TRACK_METRICS: [&str; 7] = [
    "census",
    "waitlist",
    "admissions",
    "wait_days",
    "wait_days_p90",
    "reneged",
    "seat_utilization",
];

/// Per-stream metrics, as `stream.<stream>.<metric>`.
pub const STREAM_METRICS: [&str; 7] = [
    "referrals",
    "admitted",
    "no_shows",
    "turned_away",
    "reneged",
    "wait_days",
    "wait_days_p90",
];

/// The metric words a unit's own metrics use after `<unit>.`: a track
/// may not take one of them as its name (`iop.census.census` beside
/// `iop.census` would read as the same thing).
pub fn unit_metric_words() -> impl Iterator<Item = &'static str> {
    UNIT_METRICS
        .into_iter()
        .chain(["seat_utilization", "attendance_rate", "to", "stepped_up_to"])
        .chain(INTAKE_METRICS)
        .chain(["sessions_cancelled"])
}

/// A unit's intake metrics, as `<unit>.<metric>`.
pub const INTAKE_METRICS: [&str; 5] = [
    "intake_wait_days",
    "intake_wait_days_p90",
    "intakes",
    "intake_no_shows",
    "intake_slots_used",
];

/// A rostered role's metrics, as `staff.<role>.<metric>`.
pub const ROSTER_METRICS: [&str; 4] = [
    "hours_on_duty",
    "utilization",
    "sessions_cancelled",
    "timetable_fte",
];

/// A role's caseload metrics, as `staff.<role>.<metric>`.
pub const CASELOAD_METRICS: [&str; 4] = [
    "caseload",
    "caseload_cap",
    "caseload_full",
    "caseload_held_back",
];

/// Whether some track of `unit` needs facilitators on duty.
pub fn has_facilitators(unit: &Unit) -> bool {
    matches!(&unit.kind, UnitKind::Sessions(su) if su.tracks.iter().any(|t| t.facilitators.is_some()))
}

/// Names of the per-trial summary metrics, in the order of [`summary_values`].
pub fn summary_names(s: &Scenario) -> Vec<String> {
    summary_names_keyed(s).into_iter().map(|(n, _)| n).collect()
}

/// [`summary_names`], each with the scenario key whose name it carries
/// last (so that a clash can be reported where it can be fixed).
pub fn summary_names_keyed(s: &Scenario) -> Vec<(String, String)> {
    let mut names = Vec::new();
    for (i, u) in s.units.iter().enumerate() {
        let key = format!("units[{i}].name");
        for m in UNIT_METRICS {
            names.push((format!("{}.{m}", u.name), key.clone()));
        }
        if matches!(u.kind, UnitKind::Sessions(_)) {
            names.push((format!("{}.seat_utilization", u.name), key.clone()));
            names.push((format!("{}.attendance_rate", u.name), key.clone()));
        }
        // Each routing map with its key, in the order of `destination_names`.
        let maps: Vec<(&str, &crate::scenario::Routing)> = match &u.kind {
            UnitKind::Beds(b) => vec![("on_discharge", &b.on_discharge)],
            UnitKind::Sessions(su) => {
                let mut m = vec![("on_completion", &su.on_completion)];
                if let Some(r) = &su.on_stepup {
                    m.push(("on_stepup", r));
                }
                m.push(("on_dropout", &su.on_dropout));
                m.push(("on_admin_discharge", &su.on_admin_discharge));
                m
            }
        };
        for d in destination_names(s, u) {
            let map = maps.iter().find(|(_, r)| {
                r.shares
                    .iter()
                    .any(|(dest, _)| destination_name(s, dest) == d)
            });
            let key = if let Some((map_key, _)) = map {
                format!("units[{i}].{map_key}.{d}")
            } else if d == HOME {
                key.clone()
            } else {
                format!("units[{i}].stepup_to")
            };
            names.push((format!("{}.to.{d}", u.name), key));
        }
        if let UnitKind::Sessions(su) = &u.kind {
            match &su.on_stepup {
                None => {
                    let d = destination_name(s, &su.stepup_to);
                    names.push((
                        format!("{}.stepped_up_to.{d}", u.name),
                        format!("units[{i}].stepup_to"),
                    ));
                }
                Some(r) => {
                    for (dest, _) in &r.shares {
                        let d = destination_name(s, dest);
                        names.push((
                            format!("{}.stepped_up_to.{d}", u.name),
                            format!("units[{i}].on_stepup.{d}"),
                        ));
                    }
                }
            }
        }
        if has_track_results(u) {
            if let UnitKind::Sessions(su) = &u.kind {
                for (j, t) in su.tracks.iter().enumerate() {
                    for m in TRACK_METRICS {
                        names.push((
                            format!("{}.{}.{m}", u.name, t.name),
                            format!("units[{i}].tracks[{j}].name"),
                        ));
                    }
                }
            }
        }
        if let UnitKind::Sessions(su) = &u.kind {
            if su.intake.is_some() {
                for m in INTAKE_METRICS {
                    names.push((format!("{}.{m}", u.name), format!("units[{i}].intake")));
                }
            }
            if has_facilitators(u) {
                names.push((
                    format!("{}.sessions_cancelled", u.name),
                    format!("units[{i}].name"),
                ));
            }
            if su.has_min_size() {
                for m in MIN_SIZE_METRICS {
                    names.push((format!("{}.{m}", u.name), format!("units[{i}].name")));
                }
            }
            if su.moves_by_phase() {
                for m in PHASE_MOVE_METRICS {
                    names.push((format!("{}.{m}", u.name), format!("units[{i}].name")));
                }
            }
        }
        if relapse_target(s, i) {
            names.push((format!("{}.relapse_referrals", u.name), key.clone()));
        }
        if u.relapse.is_some() {
            for m in READMISSION_METRICS {
                names.push((format!("{}.{m}", u.name), format!("units[{i}].relapse")));
            }
        }
    }
    for (i, r) in s.referrals.iter().enumerate() {
        for m in STREAM_METRICS {
            names.push((
                format!("stream.{}.{m}", r.name),
                format!("referrals[{i}].name"),
            ));
        }
    }
    for (i, c) in s.classes.iter().enumerate() {
        for m in CLASS_METRICS {
            names.push((
                format!("class.{}.{m}", c.name),
                format!("classes[{i}].name"),
            ));
        }
    }
    for (i, r) in s.rooms.iter().enumerate() {
        names.push((
            format!("{}.utilization", r.name),
            format!("rooms[{i}].name"),
        ));
    }
    for (i, st) in s.staff.iter().enumerate() {
        let key = format!("staff[{i}].role");
        names.push((format!("staff.{}.hours_per_week", st.role), key.clone()));
        names.push((format!("staff.{}.fte_needed", st.role), key.clone()));
        names.push((format!("staff.{}.short_weeks", st.role), key.clone()));
        if st.roster.is_some() {
            for m in ROSTER_METRICS {
                names.push((format!("staff.{}.{m}", st.role), key.clone()));
            }
        }
        if st.caseload.is_some() {
            for m in CASELOAD_METRICS {
                names.push((format!("staff.{}.{m}", st.role), key.clone()));
            }
        }
    }
    if s.finance.is_some() {
        names.extend(
            FINANCE_METRICS
                .iter()
                .map(|m| (format!("finance.{m}"), "finance".to_string())),
        );
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
        let sessions = u.seat_utilization.is_some();
        if let (Some(su), Some(ar)) = (u.seat_utilization, u.attendance_rate) {
            v.push(su);
            v.push(ar);
        }
        v.extend(u.destinations.iter().map(|&n| n as f64));
        if sessions {
            if u.stepped_up_to.is_empty() {
                v.push(c.stepped_up as f64);
            } else {
                v.extend(u.stepped_up_to.iter().map(|&n| n as f64));
            }
        }
        for t in &u.tracks {
            v.extend_from_slice(&[
                t.census,
                t.waitlist,
                t.admissions as f64,
                t.wait_days,
                t.wait_days_p90,
                t.reneged as f64,
                t.seat_utilization,
            ]);
        }
        if let Some(i) = &u.intake {
            v.extend_from_slice(&[
                i.wait_days,
                i.wait_days_p90,
                i.appointments as f64,
                i.no_shows as f64,
                i.slots_used,
            ]);
        }
        if let Some(n) = u.sessions_cancelled {
            v.push(n as f64);
        }
        if let Some(m) = &u.min_size {
            v.extend_from_slice(&[
                m.sessions_below_min as f64,
                m.regrouped as f64,
                m.group_hours_saved,
            ]);
        }
        if let Some(m) = &u.phase_moves {
            v.extend_from_slice(&[m.moves as f64, m.delayed as f64]);
        }
        if let Some(n) = u.relapse_referrals {
            v.push(n as f64);
        }
        if let Some(r) = &u.readmissions {
            v.extend_from_slice(&[
                r.within_30d as f64,
                r.within_90d as f64,
                r.rate_30d,
                r.rate_90d,
            ]);
        }
    }
    for st in &r.streams {
        v.extend_from_slice(&[
            st.referrals as f64,
            st.admitted as f64,
            st.no_shows as f64,
            st.turned_away as f64,
            st.reneged as f64,
            st.wait_days,
            st.wait_days_p90,
        ]);
    }
    for c in &r.classes {
        v.extend_from_slice(&c.values());
    }
    for room in &r.rooms {
        v.push(room.utilization);
    }
    for st in &r.staff {
        v.extend_from_slice(&[st.hours_per_week, st.fte_needed, st.short_weeks]);
        if let Some(r) = &st.roster {
            v.extend_from_slice(&[
                r.hours_on_duty,
                r.utilization,
                r.sessions_cancelled as f64,
                r.timetable_fte,
            ]);
        }
        if let Some(c) = &st.caseload {
            v.extend_from_slice(&[c.mean, c.cap, c.full, c.held_back as f64]);
        }
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
        if let (true, UnitKind::Sessions(su)) = (has_track_results(u), &u.kind) {
            for t in &su.tracks {
                for m in ["census", "waitlist", "admissions"] {
                    names.push(format!("{}.{}.{m}", u.name, t.name));
                }
            }
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
        for t in &u.tracks {
            v.push(&t.weekly_census);
            v.push(&t.weekly_waitlist);
            v.push(&t.weekly_admissions);
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
