//! Staff as a constraint, per trial: the people of each rostered role
//! (positions drawn vacant or on leave), who facilitates which group
//! session, how many intake appointments each day offers, and caseloads.
//!
//! Everything here is drawn once when a trial starts, from generators of
//! its own (keyed by role name), so a roster never moves a referral's or
//! a patient's draws: a scenario with a roster that never binds gives the
//! results of the same scenario without it.

use rand::seq::index::sample;
use rand::Rng;

use crate::engine::time::{SimTime, DAY};
use crate::model::calendar::Calendar;
use crate::model::rng::{name_key, rng_from};
use chrono::Weekday;

use crate::scenario::{IntakeSlots, Roster, Scenario, Shift, Staff, UnitKind};

/// Salt of a role's roster generator (the words of a stream's arrivals end
/// with a purpose below 16; this cannot be one).
const ROSTER_SALT: u64 = 0x524f_5354_4552; // "ROSTER"

/// One person of a shift table in one trial.
#[derive(Debug, Clone)]
struct Position {
    shift: u32,
    /// Unfilled through the trial.
    vacant: bool,
    /// Bit `w` set: on leave in simulated week `w`.
    leave: Vec<u64>,
    /// Busy facilitating a group session until then.
    busy_until: SimTime,
}

impl Position {
    fn on_leave(&self, week: u64) -> bool {
        self.leave
            .get((week / 64) as usize)
            .is_some_and(|b| b >> (week % 64) & 1 == 1)
    }
}

/// A rostered role's people in one trial.
#[derive(Debug, Clone)]
pub struct RoleRoster {
    shifts: Vec<Shift>,
    positions: Vec<Position>,
}

impl RoleRoster {
    /// Draws the role's positions for `trial`: each vacant with the
    /// roster's probability; each filled one takes `leave_weeks` a year,
    /// pro rata over the simulated weeks (the fraction drawn), in whole
    /// weeks chosen at random without replacement.
    pub fn draw(
        staff: &Staff,
        roster: &Roster,
        total_weeks: usize,
        seed: u64,
        trial: u64,
    ) -> RoleRoster {
        let mut rng = rng_from(&[seed, trial, name_key(&staff.role), ROSTER_SALT]);
        let expected = roster.leave_weeks * total_weeks as f64 / 52.0;
        let mut positions = Vec::new();
        for (k, sh) in roster.shifts.iter().enumerate() {
            for _ in 0..sh.count {
                let vacant = roster.vacancy > 0.0 && rng.random::<f64>() < roster.vacancy;
                let mut leave = vec![0u64; total_weeks.div_ceil(64)];
                if expected > 0.0 {
                    let whole = expected.floor();
                    let extra = rng.random::<f64>() < expected - whole;
                    let n = (whole as usize + usize::from(extra)).min(total_weeks);
                    for w in sample(&mut rng, total_weeks, n) {
                        leave[w / 64] |= 1 << (w % 64);
                    }
                }
                positions.push(Position {
                    shift: k as u32,
                    vacant,
                    leave,
                    busy_until: SimTime::ZERO,
                });
            }
        }
        RoleRoster {
            shifts: roster.shifts.clone(),
            positions,
        }
    }

    /// The full roster: every position filled, nobody on leave (what
    /// `check` compares the timetable with).
    fn full(roster: &Roster) -> RoleRoster {
        let positions = roster
            .shifts
            .iter()
            .enumerate()
            .flat_map(|(k, sh)| {
                (0..sh.count).map(move |_| Position {
                    shift: k as u32,
                    vacant: false,
                    leave: Vec::new(),
                    busy_until: SimTime::ZERO,
                })
            })
            .collect();
        RoleRoster {
            shifts: roster.shifts.clone(),
            positions,
        }
    }

    /// Whether position `p` is at work on a `day` of simulated `week` over
    /// `[minute, minute + len]`, and free from `now`.
    fn free(
        &self,
        p: &Position,
        day: Weekday,
        week: u64,
        now: SimTime,
        minute: u32,
        len: f64,
    ) -> bool {
        p.busy_until <= now
            && !p.vacant
            && !p.on_leave(week)
            && self.shifts[p.shift as usize].covers(day, minute, len)
    }

    /// People at work on `day` over `[minute, minute + len]` (busy or not).
    pub fn on_duty(&self, calendar: &Calendar, day: u64, minute: u32, len: f64) -> u32 {
        let wd = weekday(calendar, day);
        self.positions
            .iter()
            .filter(|p| self.free(p, wd, day / 7, SimTime::ZERO, minute, len))
            .count() as u32
    }

    /// Books `count` people at work and free for a session from `now`
    /// lasting `secs`, the first such in roster order; all or none.
    pub fn book(&mut self, calendar: &Calendar, now: SimTime, secs: u64, count: u32) -> bool {
        let day = now.day();
        self.book_on(weekday(calendar, day), day / 7, now, secs, count)
    }

    /// [`RoleRoster::book`] on a weekday of simulated week `week`, `now`
    /// giving the time of day.
    fn book_on(&mut self, day: Weekday, week: u64, now: SimTime, secs: u64, count: u32) -> bool {
        let minute = ((now.0 % DAY) / 60) as u32;
        let len = secs as f64 / 60.0;
        let free =
            |ro: &RoleRoster, i: usize| ro.free(&ro.positions[i], day, week, now, minute, len);
        let found = (0..self.positions.len())
            .filter(|&i| free(self, i))
            .take(count as usize)
            .count();
        if found < count as usize {
            return false;
        }
        let mut left = count;
        for i in 0..self.positions.len() {
            if left == 0 {
                break;
            }
            if free(self, i) {
                self.positions[i].busy_until = now.plus_secs(secs);
                left -= 1;
            }
        }
        true
    }

    /// Hours at work in each simulated week: the shifts of filled
    /// positions not on leave, on days that are not holidays.
    pub fn hours_by_week(&self, calendar: &Calendar, weeks: usize) -> Vec<f64> {
        let mut hours = vec![0.0; weeks];
        for p in self.positions.iter().filter(|p| !p.vacant) {
            let sh = &self.shifts[p.shift as usize];
            for (w, h) in hours.iter_mut().enumerate() {
                if p.on_leave(w as u64) {
                    continue;
                }
                for day in w as u64 * 7..w as u64 * 7 + 7 {
                    if !calendar.is_holiday(day) && sh.days.contains(&weekday(calendar, day)) {
                        *h += sh.hours;
                    }
                }
            }
        }
        hours
    }

    /// Share of positions filled in this trial (1 with none).
    pub fn filled_share(&self) -> f64 {
        if self.positions.is_empty() {
            return 1.0;
        }
        let filled = self.positions.iter().filter(|p| !p.vacant).count();
        filled as f64 / self.positions.len() as f64
    }
}

/// Mon..Sun, as the calendar numbers them.
const DAYS: [chrono::Weekday; 7] = [
    chrono::Weekday::Mon,
    chrono::Weekday::Tue,
    chrono::Weekday::Wed,
    chrono::Weekday::Thu,
    chrono::Weekday::Fri,
    chrono::Weekday::Sat,
    chrono::Weekday::Sun,
];

fn weekday(calendar: &Calendar, day: u64) -> chrono::Weekday {
    DAYS[calendar.weekday(day)]
}

/// Every role's roster in one trial (`None` for roles without shifts).
pub fn draw_rosters(
    s: &Scenario,
    total_weeks: usize,
    seed: u64,
    trial: u64,
) -> Vec<Option<RoleRoster>> {
    s.staff
        .iter()
        .map(|st| {
            st.roster
                .as_ref()
                .map(|r| RoleRoster::draw(st, r, total_weeks, seed, trial))
        })
        .collect()
}

/// A unit's intake appointments in one trial: the places each day offers
/// and those booked. Bookings only ever move forward in time, so the days
/// before `next` are past or full for good.
#[derive(Debug, Clone)]
pub struct IntakeBook {
    /// Seconds after midnight of every appointment.
    pub at: u64,
    pub capacity: Vec<u32>,
    pub booked: Vec<u32>,
    next: usize,
}

impl IntakeBook {
    /// The appointments of `unit`'s intake for each simulated day: the
    /// fixed number for its weekday, or so many per person of the role at
    /// work over the appointment (none on holidays).
    pub fn new(
        s: &Scenario,
        unit: usize,
        calendar: &Calendar,
        rosters: &[Option<RoleRoster>],
    ) -> Option<IntakeBook> {
        let UnitKind::Sessions(su) = &s.units[unit].kind else {
            return None;
        };
        let intake = su.intake.as_ref()?;
        let days = calendar.total_days as usize;
        let capacity = (0..days as u64)
            .map(|d| {
                if calendar.is_holiday(d) {
                    return 0;
                }
                match &intake.slots {
                    IntakeSlots::Fixed(per_day) => per_day[calendar.weekday(d)],
                    IntakeSlots::PerPerson(n) => intake
                        .role
                        .and_then(|r| rosters.get(r)?.as_ref())
                        .map_or(0, |ro| {
                            n * ro.on_duty(calendar, d, intake.at_minute, intake.hours * 60.0)
                        }),
                }
            })
            .collect();
        Some(IntakeBook {
            at: u64::from(intake.at_minute) * 60,
            capacity,
            booked: vec![0; days],
            next: 0,
        })
    }

    /// Books the first appointment after `now` with a free place; its
    /// time, or `None` if none is left before the horizon.
    pub fn book(&mut self, now: SimTime) -> Option<SimTime> {
        let mut d = self.next.max(now.day() as usize);
        while d < self.capacity.len() {
            let t = SimTime(d as u64 * DAY + self.at);
            if t > now && self.booked[d] < self.capacity[d] {
                self.booked[d] += 1;
                self.next = d;
                return Some(t);
            }
            d += 1;
        }
        self.next = d;
        None
    }

    /// Appointments offered and booked on days `from..` (the reported days).
    pub fn slots_from(&self, from: usize) -> (u64, u64) {
        let sum = |v: &[u32]| v.iter().skip(from).map(|&x| u64::from(x)).sum::<u64>();
        (sum(&self.capacity), sum(&self.booked))
    }
}

/// A role's caseload in one trial: at most `cap` patients in care at once
/// in its units.
#[derive(Debug, Clone, Copy)]
pub struct CaseloadState {
    pub role: usize,
    pub cap: u32,
    pub used: u32,
}

impl CaseloadState {
    pub fn has_room(&self) -> bool {
        self.used < self.cap
    }
}

/// Each capped role's caseload for this trial: `per_fte x FTE`, times the
/// share of its rostered positions filled, rounded down; and for each
/// unit, the index of the caseload that caps it.
pub fn caseloads(
    s: &Scenario,
    rosters: &[Option<RoleRoster>],
) -> (Vec<CaseloadState>, Vec<Option<u32>>) {
    let mut states = Vec::new();
    let mut by_unit = vec![None; s.units.len()];
    for (role, st) in s.staff.iter().enumerate() {
        let Some(c) = &st.caseload else { continue };
        let filled = rosters[role].as_ref().map_or(1.0, RoleRoster::filled_share);
        let cap = (c.per_fte * st.fte * filled + 1e-9)
            .floor()
            .min(f64::from(u32::MAX)) as u32;
        for &u in &c.units {
            by_unit[u] = Some(states.len() as u32);
        }
        states.push(CaseloadState { role, cap, used: 0 });
    }
    (states, by_unit)
}

/// Hours a week the timetable asks of role `role`: every group of every
/// track it facilitates, at every session of the week, and the fixed
/// intake appointments it gives (holidays not deducted).
pub fn timetable_hours(s: &Scenario, role: usize) -> f64 {
    let mut hours = 0.0;
    for u in &s.units {
        let UnitKind::Sessions(su) = &u.kind else {
            continue;
        };
        for t in &su.tracks {
            if let Some(f) = t.facilitators.filter(|f| f.role == role) {
                hours += f64::from(t.groups * f.count) * t.hours * t.days.len() as f64;
            }
        }
        if let Some(i) = su.intake.as_ref().filter(|i| i.role == Some(role)) {
            if let IntakeSlots::Fixed(per_day) = &i.slots {
                hours += f64::from(per_day.iter().sum::<u32>()) * i.hours;
            }
        }
    }
    hours
}

/// Timetable slots no roster covers, as `check` words them: each group of
/// a facilitated track, at each of its weekly sessions, whose facilitators
/// the full roster (nobody on leave, no vacancy) cannot provide, once the
/// sessions before it that day have taken theirs (by start time, then in
/// the scenario's order, as a trial assigns them); and weekdays on which
/// an intake given by the roster offers no appointment.
pub fn uncovered_slots(s: &Scenario) -> Vec<String> {
    let mut out = Vec::new();
    let full: Vec<Option<RoleRoster>> = s
        .staff
        .iter()
        .map(|st| st.roster.as_ref().map(RoleRoster::full))
        .collect();
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let hhmm = |m: f64| format!("{:02}:{:02}", (m / 60.0) as u32, (m % 60.0).round() as u32);
    for (d, &weekday) in DAYS.iter().enumerate() {
        let mut rosters = full.clone();
        // (start, unit, track): a day's sessions in the order a trial holds them.
        let mut sessions: Vec<(u32, usize, usize)> = Vec::new();
        for (u, unit) in s.units.iter().enumerate() {
            let UnitKind::Sessions(su) = &unit.kind else {
                continue;
            };
            for (t, track) in su.tracks.iter().enumerate() {
                if track.facilitators.is_some() && track.days.contains(&weekday) {
                    sessions.push((track.start_minute, u, t));
                }
            }
        }
        sessions.sort_by_key(|&(start, u, t)| (start, u, t));
        for (start, u, t) in sessions {
            let UnitKind::Sessions(su) = &s.units[u].kind else {
                continue;
            };
            let track = &su.tracks[t];
            let Some(f) = track.facilitators else {
                continue;
            };
            let Some(ro) = rosters[f.role].as_mut() else {
                continue;
            };
            let minutes = track.hours * 60.0;
            let now = SimTime(u64::from(start) * 60);
            let secs = (minutes * 60.0).round() as u64;
            let free = (0..ro.positions.len())
                .filter(|&i| ro.free(&ro.positions[i], weekday, 0, now, start, minutes))
                .count();
            // Book them, group by group, as a trial would.
            let staffed = (0..track.groups)
                .take_while(|_| ro.book_on(weekday, 0, now, secs, f.count))
                .count();
            if staffed < track.groups as usize {
                out.push(format!(
                    "units[{u}].tracks[{t}] ({} {}): {} {}-{}: {} of {} group(s) need {} {} on duty each, and the roster has {} free then: those sessions would be cancelled",
                    s.units[u].name,
                    track.name,
                    NAMES[d],
                    hhmm(f64::from(start)),
                    hhmm(f64::from(start) + minutes),
                    track.groups as usize - staffed,
                    track.groups,
                    f.count,
                    s.staff[f.role].role,
                    free - staffed * f.count as usize,
                ));
            }
        }
        for (u, unit) in s.units.iter().enumerate() {
            let UnitKind::Sessions(su) = &unit.kind else {
                continue;
            };
            let Some(i) = &su.intake else { continue };
            let (IntakeSlots::PerPerson(_), Some(role)) = (&i.slots, i.role) else {
                continue;
            };
            let on = full[role].as_ref().map_or(0, |ro| {
                ro.positions
                    .iter()
                    .filter(|p| ro.free(p, weekday, 0, SimTime::ZERO, i.at_minute, i.hours * 60.0))
                    .count()
            });
            if on == 0 && (d < 5) {
                out.push(format!(
                    "units[{u}].intake ({}): no {} on duty at {} on {}: no intake appointments that day",
                    unit.name,
                    s.staff[role].role,
                    hhmm(f64::from(i.at_minute)),
                    NAMES[d],
                ));
            }
        }
    }
    out
}

/// Whether anything in the scenario makes staff a constraint in a trial.
pub fn constrains(s: &Scenario) -> bool {
    s.staff
        .iter()
        .any(|st| st.roster.is_some() || st.caseload.is_some())
        || s.units.iter().any(|u| match &u.kind {
            UnitKind::Sessions(su) => su.intake.is_some(),
            UnitKind::Beds(_) => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, Weekday};

    fn calendar(weeks: u32) -> Calendar {
        // 2027-01-04 is a Monday.
        Calendar::new(
            NaiveDate::from_ymd_opt(2027, 1, 4).unwrap(),
            0,
            weeks,
            &[],
            false,
        )
    }

    fn staff(shifts: Vec<Shift>, leave_weeks: f64, vacancy: f64) -> (Staff, Roster) {
        let roster = Roster {
            shifts,
            leave_weeks,
            vacancy,
        };
        let st = Staff {
            role: "therapist".into(),
            fte: 1.0,
            hours_per_fte: 30.0,
            roster: Some(roster.clone()),
            caseload: None,
        };
        (st, roster)
    }

    fn shift(days: &[Weekday], start: u32, hours: f64, count: u32) -> Shift {
        Shift {
            days: days.to_vec(),
            start_minute: start,
            hours,
            count,
        }
    }

    #[test]
    fn booking_takes_free_people_on_duty_and_all_or_none() {
        let cal = calendar(1);
        let (st, r) = staff(
            vec![shift(&[Weekday::Mon, Weekday::Wed], 9 * 60, 8.0, 2)],
            0.0,
            0.0,
        );
        let mut ro = RoleRoster::draw(&st, &r, 1, 1, 0);
        let mon10 = SimTime(10 * 3600);
        assert_eq!(ro.on_duty(&cal, 0, 600, 180.0), 2);
        assert!(ro.book(&cal, mon10, 3 * 3600, 1));
        assert!(ro.book(&cal, mon10, 3 * 3600, 1));
        // Both busy until 13:00: a third group at 10:00 finds nobody.
        assert!(!ro.book(&cal, mon10, 3 * 3600, 1));
        assert!(ro.book(&cal, SimTime(13 * 3600), 3600, 2));
        // Tuesday: nobody rostered. Monday 16:00-18:00 ends after the shift.
        assert!(!ro.book(&cal, SimTime(DAY + 10 * 3600), 3600, 1));
        assert!(!ro.book(&cal, SimTime(16 * 3600), 2 * 3600, 1));
        // Two needed, one free: none booked.
        let mut ro = RoleRoster::draw(&st, &r, 1, 1, 0);
        assert!(ro.book(&cal, SimTime(2 * DAY + 9 * 3600), 3600, 1));
        assert!(!ro.book(&cal, SimTime(2 * DAY + 9 * 3600), 3600, 2));
        assert!(ro.book(&cal, SimTime(2 * DAY + 9 * 3600), 3600, 1));
    }

    #[test]
    fn leave_is_whole_weeks_pro_rata_and_vacancy_empties_positions() {
        let cal = calendar(104);
        let (st, r) = staff(vec![shift(&[Weekday::Mon], 9 * 60, 8.0, 50)], 5.0, 0.0);
        let ro = RoleRoster::draw(&st, &r, 104, 7, 3);
        for p in &ro.positions {
            let n: u32 = p.leave.iter().map(|b| b.count_ones()).sum();
            assert_eq!(n, 10, "5 weeks a year over two years");
        }
        let hours = ro.hours_by_week(&cal, 104);
        let total: f64 = hours.iter().sum();
        assert!((total - 50.0 * 8.0 * 94.0).abs() < 1e-9, "{total}");
        let (st, r) = staff(vec![shift(&[Weekday::Mon], 9 * 60, 8.0, 1000)], 0.0, 0.25);
        let ro = RoleRoster::draw(&st, &r, 1, 7, 3);
        let vacant = ro.positions.iter().filter(|p| p.vacant).count();
        assert!((200..300).contains(&vacant), "{vacant} of 1000 at 25%");
        assert!((ro.filled_share() - (1000 - vacant) as f64 / 1000.0).abs() < 1e-12);
        // The same seed, trial and role draw the same roster.
        let again = RoleRoster::draw(&st, &r, 1, 7, 3);
        let v2 = again.positions.iter().filter(|p| p.vacant).count();
        assert_eq!(vacant, v2);
    }

    #[test]
    fn intake_books_the_first_free_place_after_now() {
        let mut book = IntakeBook {
            at: 9 * 3600,
            capacity: vec![1, 0, 2, 1],
            booked: vec![0; 4],
            next: 0,
        };
        // At 08:00 on day 0: day 0's 09:00 slot.
        assert_eq!(book.book(SimTime(8 * 3600)), Some(SimTime(9 * 3600)));
        // Day 0 full, day 1 has none: day 2, twice, then day 3.
        assert_eq!(
            book.book(SimTime(8 * 3600)),
            Some(SimTime(2 * DAY + 9 * 3600))
        );
        assert_eq!(
            book.book(SimTime(10 * 3600)),
            Some(SimTime(2 * DAY + 9 * 3600))
        );
        assert_eq!(
            book.book(SimTime(10 * 3600)),
            Some(SimTime(3 * DAY + 9 * 3600))
        );
        assert_eq!(book.book(SimTime(10 * 3600)), None);
        assert_eq!(book.slots_from(0), (4, 4));
        assert_eq!(book.slots_from(3), (1, 1));
        // After 09:00 a day's own slot is past.
        let mut book = IntakeBook {
            at: 9 * 3600,
            capacity: vec![1, 1],
            booked: vec![0; 2],
            next: 0,
        };
        assert_eq!(book.book(SimTime(9 * 3600)), Some(SimTime(DAY + 9 * 3600)));
    }
}
