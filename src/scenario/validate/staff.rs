//! Validation of what makes staff a constraint: a role's shifts, planned
//! absence and caseload, a track's facilitators, a unit's intake stage,
//! and how they fit together (a facilitator role needs a roster, ...).

use chrono::Weekday;

use super::{at, fmt_minute, list_or_none, Names, Validator};
use crate::scenario::limits::{MAX_INTAKE_SLOTS, MAX_SHIFTS, MAX_SHIFT_COUNT};
use crate::scenario::raw::{RawFacilitators, RawIntake, RawShift, RawStaff};
use crate::scenario::types::{
    Admission, Caseload, Facilitators, Intake, IntakeSlots, Roster, Shift, Staff, Unit, UnitKind,
};

/// A full-time week, in hours on duty: the FTE a roster stands for when
/// the role gives no `fte` of its own.
pub const ROSTER_HOURS_PER_FTE: f64 = 40.0;

impl Validator<'_> {
    pub(super) fn staff(&mut self, path: &str, s: &RawStaff, role: String, names: &Names) -> Staff {
        let roster = s.shifts.as_ref().map(|shifts| Roster {
            shifts: self.shifts(&at(path, "shifts"), shifts),
            leave_weeks: s.leave_weeks.map_or(0.0, |w| {
                let w = self.non_negative(&at(path, "leave_weeks"), w);
                if w >= 52.0 {
                    self.push(
                        at(path, "leave_weeks"),
                        format!(
                            "{w} weeks of leave a year leave no week on duty; give fewer than 52"
                        ),
                    );
                }
                w
            }),
            vacancy: s.vacancy.map_or(0.0, |v| {
                let v = self.probability(&at(path, "vacancy"), v);
                if v >= 1.0 {
                    self.push(
                        at(path, "vacancy"),
                        "a vacancy of 1 leaves every position empty; give a probability below 1",
                    );
                }
                v
            }),
        });
        if roster.is_none() {
            for (key, given) in [
                ("leave_weeks", s.leave_weeks.is_some()),
                ("vacancy", s.vacancy.is_some()),
            ] {
                if given {
                    self.push(
                        at(path, key),
                        format!(
                            "{key} is drawn per rostered position; give the role shifts = [...]"
                        ),
                    );
                }
            }
        }
        let rostered: f64 = roster.as_ref().map_or(0.0, |r| {
            r.shifts
                .iter()
                .map(|sh| f64::from(sh.count) * sh.hours * sh.days.len() as f64)
                .sum()
        });
        let fte = match (s.fte, &roster) {
            (Some(x), _) => self.non_negative(&at(path, "fte"), x),
            (None, Some(_)) => rostered / ROSTER_HOURS_PER_FTE,
            (None, None) => {
                self.push(
                    at(path, "fte"),
                    "missing; full-time equivalents of this role (or its shifts = [...])",
                );
                0.0
            }
        };
        let hours_per_fte =
            self.positive(&at(path, "hours_per_fte"), s.hours_per_fte.unwrap_or(40.0));
        let caseload = match s.caseload {
            Some(c) => {
                let per_fte = self.positive(&at(path, "caseload"), c);
                let units = match &s.caseload_units {
                    Some(list) => list
                        .iter()
                        .enumerate()
                        .filter_map(|(k, u)| {
                            let id = names.unit(u);
                            if id.is_none() {
                                self.push(
                                    format!("{path}.caseload_units[{k}]"),
                                    format!(
                                        "no unit named '{u}'; units are: {}",
                                        list_or_none(&names.units)
                                    ),
                                );
                            }
                            id
                        })
                        .collect(),
                    // Every sessions unit.
                    None => names
                        .unit_kinds
                        .iter()
                        .enumerate()
                        .filter(|(_, k)| k.as_deref() == Some("sessions"))
                        .map(|(u, _)| u)
                        .collect(),
                };
                Some(Caseload { per_fte, units })
            }
            None => {
                if s.caseload_units.is_some() {
                    self.push(
                        at(path, "caseload_units"),
                        "caseload_units goes with caseload = N (patients per FTE)",
                    );
                }
                None
            }
        };
        Staff {
            role,
            fte,
            hours_per_fte,
            roster,
            caseload,
        }
    }

    fn shifts(&mut self, path: &str, raw: &[RawShift]) -> Vec<Shift> {
        self.at_most(
            path,
            raw.len(),
            MAX_SHIFTS,
            "shift tables",
            "each is checked against every session of the timetable",
        );
        if raw.is_empty() {
            self.push(
                path,
                "no shifts; list at least one, e.g. [{ days = [\"mon\"], start = \"09:00\", hours = 8, count = 1 }]",
            );
        }
        let shifts: Vec<Shift> = raw
            .iter()
            .enumerate()
            .map(|(k, sh)| {
                let p = format!("{path}[{k}]");
                let days = self.weekdays(&at(&p, "days"), &sh.days);
                let start_minute = self.time_of_day(&at(&p, "start"), &sh.start);
                let hours = match self.required(&at(&p, "hours"), &sh.hours, "hours on duty") {
                    Some(h) => {
                        let h = self.positive(&at(&p, "hours"), h);
                        self.ends_by_midnight(
                            &at(&p, "hours"),
                            ("a shift", "shifts"),
                            start_minute,
                            h,
                        );
                        h
                    }
                    None => 1.0,
                };
                let count = self.int(&at(&p, "count"), sh.count.unwrap_or(1), 1, MAX_SHIFT_COUNT);
                Shift {
                    days,
                    start_minute,
                    hours,
                    count,
                }
            })
            .collect();
        // Two tables of a role on duty at once would be ambiguous (the same
        // people, or more?): more people on a shift is its count.
        for (a, x) in shifts.iter().enumerate() {
            for (b, y) in shifts.iter().enumerate().skip(a + 1) {
                let end = |s: &Shift| f64::from(s.start_minute) + s.hours * 60.0;
                let overlap =
                    f64::from(x.start_minute) < end(y) && f64::from(y.start_minute) < end(x);
                if let Some(day) = x
                    .days
                    .iter()
                    .find(|d| y.days.contains(d))
                    .filter(|_| overlap)
                {
                    self.push(
                        format!("{path}[{b}]"),
                        format!(
                            "overlaps {path}[{a}] on {} ({}-{} and {}-{}); a role's shift tables must not overlap: give more people with count",
                            weekday_name(*day),
                            fmt_minute(f64::from(x.start_minute)),
                            fmt_minute(end(x)),
                            fmt_minute(f64::from(y.start_minute)),
                            fmt_minute(end(y)),
                        ),
                    );
                }
            }
        }
        shifts
    }

    pub(super) fn facilitators(
        &mut self,
        path: &str,
        raw: &Option<RawFacilitators>,
        names: &Names,
    ) -> Option<Facilitators> {
        let f = raw.as_ref()?;
        let role = self
            .required(
                &at(path, "role"),
                &f.role,
                "the staff role that runs each group",
            )
            .and_then(|r| self.role_ref(&at(path, "role"), &r, names));
        let count = self.int(&at(path, "count"), f.count.unwrap_or(1), 1, MAX_SHIFT_COUNT);
        // An unknown role is a problem already: nothing more to check.
        role.map(|role| Facilitators { role, count })
    }

    fn role_ref(&mut self, path: &str, role: &str, names: &Names) -> Option<usize> {
        let id = names.roles.iter().position(|r| r == role);
        if id.is_none() {
            self.push(
                path,
                format!(
                    "no staff role '{role}'; roles are: {}",
                    list_or_none(&names.roles)
                ),
            );
        }
        id
    }

    pub(super) fn intake(
        &mut self,
        path: &str,
        raw: &Option<RawIntake>,
        names: &Names,
    ) -> Option<Box<Intake>> {
        let i = raw.as_ref()?;
        let role = i
            .role
            .as_ref()
            .and_then(|r| self.role_ref(&at(path, "role"), r, names));
        let slots = match (&i.slots, i.slots_per_person) {
            (Some(list), None) => {
                let mut per_day = [0u32; 7];
                if list.len() != 7 {
                    self.push(
                        at(path, "slots"),
                        format!(
                            "needs 7 numbers, Mon..Sun (appointments per weekday), got {}",
                            list.len()
                        ),
                    );
                }
                for (k, n) in list.iter().take(7).enumerate() {
                    per_day[k] = self.int(&format!("{path}.slots[{k}]"), *n, 0, MAX_INTAKE_SLOTS);
                }
                if list.len() == 7 && per_day.iter().all(|&n| n == 0) {
                    self.push(
                        at(path, "slots"),
                        "no appointments on any day: nobody would ever be assessed",
                    );
                }
                IntakeSlots::Fixed(per_day)
            }
            (None, Some(n)) => {
                if i.role.is_none() {
                    self.push(
                        at(path, "role"),
                        "missing; slots_per_person needs the role whose roster gives the appointments",
                    );
                }
                IntakeSlots::PerPerson(self.int(
                    &at(path, "slots_per_person"),
                    n,
                    1,
                    MAX_INTAKE_SLOTS,
                ))
            }
            (Some(_), Some(_)) => {
                self.push(
                    path,
                    "give slots (appointments per weekday) or slots_per_person (per person on duty), not both",
                );
                IntakeSlots::PerPerson(1)
            }
            (None, None) => {
                self.push(
                    path,
                    "missing slots; give slots = [mon, ..., sun] (appointments per weekday) or slots_per_person = N with role",
                );
                IntakeSlots::PerPerson(1)
            }
        };
        let at_minute = match &i.at {
            Some(_) => self.time_of_day(&at(path, "at"), &i.at),
            None => 9 * 60,
        };
        let hours = self.non_negative(&at(path, "hours"), i.hours.unwrap_or(1.0));
        self.ends_by_midnight(
            &at(path, "hours"),
            ("an appointment", "appointments"),
            at_minute,
            hours,
        );
        let show = self.show_curve(&at(path, "show"), i.show.as_ref());
        Some(Box::new(Intake {
            slots,
            at_minute,
            hours,
            role,
            show,
        }))
    }

    /// `show = 0.72` or `show = [[1, 0.72], [3, 0.41], [7, 0.38]]`.
    fn show_curve(&mut self, path: &str, raw: Option<&toml::Value>) -> Vec<(f64, f64)> {
        let number = |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
        let shape = "a probability (show = 0.72) or [days waited, probability] pairs (show = [[1, 0.72], [3, 0.41], [7, 0.38]])";
        match raw {
            None => vec![(0.0, 1.0)],
            Some(v) if number(v).is_some() => {
                let p = self.probability(path, number(v).unwrap_or(1.0));
                vec![(0.0, p)]
            }
            Some(toml::Value::Array(pairs)) if !pairs.is_empty() => {
                let mut curve = Vec::new();
                for (k, pair) in pairs.iter().enumerate() {
                    let p = format!("{path}[{k}]");
                    let xy = pair
                        .as_array()
                        .filter(|a| a.len() == 2)
                        .and_then(|a| Some((number(&a[0])?, number(&a[1])?)));
                    match xy {
                        Some((d, prob)) => {
                            let d = self.non_negative(&format!("{p}[0]"), d);
                            let prob = self.probability(&format!("{p}[1]"), prob);
                            if let Some(&(last, _)) = curve.last() {
                                if d <= last {
                                    self.push(&p, format!("days waited must increase: {d} follows {last}"));
                                }
                            }
                            curve.push((d, prob));
                        }
                        None => self.push(&p, format!("must be [days waited, probability], e.g. [3, 0.41]; show is {shape}")),
                    }
                }
                curve
            }
            Some(_) => {
                self.push(path, format!("must be {shape}"));
                vec![(0.0, 1.0)]
            }
        }
    }

    /// What rosters, facilitators, intakes and caseloads say about each
    /// other, once staff and units are built.
    pub(super) fn staff_fit(&mut self, staff: &[Staff], units: &[Unit]) {
        let rostered = |role: usize| staff.get(role).is_some_and(|s| s.roster.is_some());
        let role_name = |role: usize| staff.get(role).map_or("", |s| s.role.as_str());
        for (u, unit) in units.iter().enumerate() {
            let UnitKind::Sessions(su) = &unit.kind else {
                continue;
            };
            for (t, track) in su.tracks.iter().enumerate() {
                if let Some(f) = track.facilitators {
                    if staff.get(f.role).is_some() && !rostered(f.role) {
                        self.push(
                            format!("units[{u}].tracks[{t}].facilitators.role"),
                            format!(
                                "staff '{}' has no shifts: a facilitator must be on duty, so give that role shifts = [...]",
                                role_name(f.role)
                            ),
                        );
                    }
                }
            }
            if let Some(intake) = &su.intake {
                if let (IntakeSlots::PerPerson(_), Some(role)) = (&intake.slots, intake.role) {
                    if staff.get(role).is_some() && !rostered(role) {
                        self.push(
                            format!("units[{u}].intake.role"),
                            format!(
                                "staff '{}' has no shifts: slots_per_person counts the people on duty, so give that role shifts = [...] (or give fixed slots = [...])",
                                role_name(role)
                            ),
                        );
                    }
                }
            }
        }
        let mut capped: Vec<Option<usize>> = vec![None; units.len()];
        for (r, st) in staff.iter().enumerate() {
            let Some(c) = &st.caseload else { continue };
            for (k, &u) in c.units.iter().enumerate() {
                let Some(unit) = units.get(u) else { continue };
                let path = format!("staff[{r}].caseload_units[{k}]");
                match &unit.kind {
                    UnitKind::Sessions(su) if su.admission != Admission::Continuous => {}
                    UnitKind::Sessions(_) => self.push(
                        path,
                        format!("'{}' admits continuously; a caseload caps units that admit at sessions (rolling or cohort)", unit.name),
                    ),
                    UnitKind::Beds(_) => self.push(
                        path,
                        format!("'{}' is a beds unit; a caseload caps sessions units (a bed unit's capacity is its beds)", unit.name),
                    ),
                }
                if let Some(other) = capped[u].replace(r) {
                    self.push(
                        format!("staff[{r}].caseload"),
                        format!(
                            "'{}' is already capped by the caseload of staff '{}'; one role's caseload per unit",
                            unit.name, staff[other].role
                        ),
                    );
                }
            }
            if st.fte * c.per_fte < 1.0
                && st.fte.is_finite()
                && c.per_fte.is_finite()
                && c.per_fte > 0.0
            {
                self.push(
                    format!("staff[{r}].caseload"),
                    format!(
                        "{} per FTE x {} FTE is a caseload of {:.2}: not one patient could be admitted",
                        c.per_fte, st.fte, st.fte * c.per_fte
                    ),
                );
            }
        }
    }
}

pub fn weekday_name(d: Weekday) -> &'static str {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][d.num_days_from_monday() as usize]
}

#[cfg(test)]
mod tests {
    use crate::scenario::{load_str, IntakeSlots, Scenario, ScenarioError, UnitKind};

    const BASE: &str = r#"
name = "t"
[simulation]
start_date = "2027-01-04"
weeks = 4

[[referrals]]
name = "community"
to = "iop"
per_week = 2

[[units]]
name = "iop"
kind = "sessions"
episode = { weeks = 12 }

[[units.tracks]]
name = "morning"
days = ["mon", "wed", "fri"]
start = "09:00"
hours = 3
group_size = 10

[[staff]]
role = "therapist"
fte = 1

[[staff]]
role = "nurse"
shifts = [{ days = ["mon"], start = "08:00", hours = 8 }]
"#;

    fn load(sets: &[&str]) -> Result<Scenario, ScenarioError> {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        load_str(BASE, "test.toml", &sets)
    }

    fn problems(sets: &[&str]) -> Vec<String> {
        match load(sets) {
            Err(ScenarioError::Invalid { problems, .. }) => {
                problems.iter().map(|p| p.to_string()).collect()
            }
            Err(other) => panic!("expected Invalid, got {other}"),
            Ok(_) => panic!("expected problems, the scenario loaded"),
        }
    }

    #[test]
    fn shifts_load_with_counts_and_an_fte_from_the_roster() {
        let s = load(&[
            r#"staff.therapist.shifts=[{ days = ["mon", "tue"], start = "09:00", hours = 8, count = 2 }, { days = ["thu"], start = "14:00", hours = 8 }]"#,
            "staff.therapist.leave_weeks=5",
            "staff.therapist.vacancy=0.1",
        ])
        .unwrap();
        let r = s.staff[0].roster.as_ref().unwrap();
        assert_eq!(r.shifts.len(), 2);
        assert_eq!((r.shifts[0].count, r.shifts[1].count), (2, 1));
        assert_eq!(r.shifts[1].start_minute, 14 * 60);
        assert_eq!((r.leave_weeks, r.vacancy), (5.0, 0.1));
        // The nurse gives no fte: 8 rostered hours a week / 40.
        assert_eq!(s.staff[1].fte, 0.2);
    }

    #[test]
    fn shifts_past_midnight_and_overlapping_tables_are_refused() {
        let p = problems(&[
            r#"staff.therapist.shifts=[{ days = ["mon", "tue"], start = "18:00", hours = 8 }]"#,
        ]);
        assert_eq!(p, vec!["staff[0].shifts[0].hours: a shift starting at 18:00 and lasting 8 h would end after midnight; shifts must end by 24:00"]);
        let p = problems(&[
            r#"staff.therapist.shifts=[{ days = ["mon", "tue"], start = "09:00", hours = 8 }, { days = ["tue", "wed"], start = "16:00", hours = 4 }]"#,
        ]);
        assert_eq!(p, vec!["staff[0].shifts[1]: overlaps staff[0].shifts[0] on tue (09:00-17:00 and 16:00-20:00); a role's shift tables must not overlap: give more people with count"]);
        // Back to back is not an overlap.
        load(&[
            r#"staff.therapist.shifts=[{ days = ["mon"], start = "09:00", hours = 8 }, { days = ["mon"], start = "17:00", hours = 4 }]"#,
        ])
        .unwrap();
        let p = problems(&[
            r#"staff.therapist.shifts=[{ days = ["mun"], start = "9am", hours = 0, count = 0 }]"#,
        ]);
        assert_eq!(
            p,
            vec![
                "staff[0].shifts[0].days[0]: 'mun' is not a weekday; allowed: mon, tue, wed, thu, fri, sat, sun",
                "staff[0].shifts[0].start: '9am' is not a time of day; write HH:MM between 00:00 and 23:59",
                "staff[0].shifts[0].hours: must be > 0, got 0",
                "staff[0].shifts[0].count: must be an integer >= 1, got 0",
            ]
        );
    }

    #[test]
    fn absence_needs_shifts_and_sensible_values() {
        let p = problems(&["staff.therapist.leave_weeks=4", "staff.nurse.vacancy=1"]);
        assert_eq!(
            p,
            vec![
                "staff[0].leave_weeks: leave_weeks is drawn per rostered position; give the role shifts = [...]",
                "staff[1].vacancy: a vacancy of 1 leaves every position empty; give a probability below 1",
            ]
        );
        let p = problems(&["staff.nurse.leave_weeks=52"]);
        assert_eq!(p, vec!["staff[1].leave_weeks: 52 weeks of leave a year leave no week on duty; give fewer than 52"]);
    }

    #[test]
    fn facilitators_need_a_role_with_a_roster() {
        let p = problems(&[r#"units.iop.tracks.morning.facilitators={ role = "therapist" }"#]);
        assert_eq!(p, vec!["units[0].tracks[0].facilitators.role: staff 'therapist' has no shifts: a facilitator must be on duty, so give that role shifts = [...]"]);
        let p = problems(&[
            r#"units.iop.tracks.morning.facilitators={ role = "chaplain", count = 0 }"#,
        ]);
        assert_eq!(
            p,
            vec![
                "units[0].tracks[0].facilitators.role: no staff role 'chaplain'; roles are: therapist, nurse",
                "units[0].tracks[0].facilitators.count: must be an integer >= 1, got 0",
            ]
        );
        let s = load(&[r#"units.iop.tracks.morning.facilitators={ role = "nurse", count = 2 }"#])
            .unwrap();
        let UnitKind::Sessions(su) = &s.units[0].kind else {
            panic!("sessions")
        };
        let f = su.tracks[0].facilitators.unwrap();
        assert_eq!((f.role, f.count), (1, 2));
    }

    #[test]
    fn caseloads_must_be_positive_and_cap_units_that_admit_at_sessions() {
        let p = problems(&["staff.therapist.caseload=0"]);
        assert_eq!(p, vec!["staff[0].caseload: must be > 0, got 0"]);
        let p = problems(&["staff.therapist.caseload=0.5"]);
        assert_eq!(p, vec!["staff[0].caseload: 0.5 per FTE x 1 FTE is a caseload of 0.50: not one patient could be admitted"]);
        let p = problems(&[
            "staff.therapist.caseload=12",
            "units.iop.admission=continuous",
        ]);
        assert_eq!(p, vec!["staff[0].caseload_units[0]: 'iop' admits continuously; a caseload caps units that admit at sessions (rolling or cohort)"]);
        let p = problems(&["staff.therapist.caseload=12", "staff.nurse.caseload=12"]);
        assert_eq!(p, vec!["staff[1].caseload: 'iop' is already capped by the caseload of staff 'therapist'; one role's caseload per unit"]);
        let p = problems(&["staff.therapist.caseload_units=[\"iop\"]"]);
        assert_eq!(
            p,
            vec![
                "staff[0].caseload_units: caseload_units goes with caseload = N (patients per FTE)"
            ]
        );
        let s = load(&["staff.therapist.caseload=12"]).unwrap();
        let c = s.staff[0].caseload.as_ref().unwrap();
        assert_eq!((c.per_fte, c.units.clone()), (12.0, vec![0]));
    }

    #[test]
    fn intake_slots_and_show_tables() {
        let s = load(&[
            r#"units.iop.intake={ slots = [1, 1, 1, 1, 1, 0, 0], role = "therapist", hours = 1.5, show = [[1, 0.72], [3, 0.41], [7, 0.38]] }"#,
        ])
        .unwrap();
        let UnitKind::Sessions(su) = &s.units[0].kind else {
            panic!("sessions")
        };
        let i = su.intake.as_ref().unwrap();
        assert_eq!(i.slots, IntakeSlots::Fixed([1, 1, 1, 1, 1, 0, 0]));
        assert_eq!((i.at_minute, i.hours, i.role), (9 * 60, 1.5, Some(0)));
        // Flat before the first point and after the last, linear between.
        assert_eq!(i.show_after(0.2), 0.72);
        assert!((i.show_after(2.0) - 0.565).abs() < 1e-12);
        assert!((i.show_after(5.0) - 0.395).abs() < 1e-12);
        assert_eq!(i.show_after(30.0), 0.38);

        let p =
            problems(&[r#"units.iop.intake={ slots = [1, 1], show = [[3, 0.4], [1, 1.5], "x"] }"#]);
        assert_eq!(
            p,
            vec![
                "units[0].intake.slots: needs 7 numbers, Mon..Sun (appointments per weekday), got 2",
                "units[0].intake.show[1][1]: must be a probability in [0, 1], got 1.5",
                "units[0].intake.show[1]: days waited must increase: 1 follows 3",
                "units[0].intake.show[2]: must be [days waited, probability], e.g. [3, 0.41]; show is a probability (show = 0.72) or [days waited, probability] pairs (show = [[1, 0.72], [3, 0.41], [7, 0.38]])",
            ]
        );
        let p = problems(&[
            r#"units.iop.intake={ slots_per_person = 2, role = "therapist", show = "72%" }"#,
        ]);
        assert_eq!(
            p,
            vec![
                "units[0].intake.show: must be a probability (show = 0.72) or [days waited, probability] pairs (show = [[1, 0.72], [3, 0.41], [7, 0.38]])",
                "units[0].intake.role: staff 'therapist' has no shifts: slots_per_person counts the people on duty, so give that role shifts = [...] (or give fixed slots = [...])",
            ]
        );
        let p = problems(&[r#"units.iop.intake={ hours = 1 }"#]);
        assert_eq!(p, vec!["units[0].intake: missing slots; give slots = [mon, ..., sun] (appointments per weekday) or slots_per_person = N with role"]);
        let p = problems(&[
            r#"units.iop.intake={ slots = [0, 0, 0, 0, 0, 0, 0], at = "23:30", hours = 1 }"#,
        ]);
        assert_eq!(
            p,
            vec![
                "units[0].intake.slots: no appointments on any day: nobody would ever be assessed",
                "units[0].intake.hours: an appointment starting at 23:30 and lasting 1 h would end after midnight; appointments must end by 24:00",
            ]
        );
    }
}
