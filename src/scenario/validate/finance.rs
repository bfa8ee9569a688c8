//! Validation of the optional `[finance]` section.

use super::{at, list_or_none, Names, Validator};
use crate::scenario::raw::RawFinance;
use crate::scenario::types::{Billing, Finance, Payer, StaffCost};

/// Tolerance for payer shares summing to 1.
const PAYER_SUM_TOL: f64 = 1e-6;

impl Validator<'_> {
    pub(super) fn finance(&mut self, f: &RawFinance, names: &Names) -> Finance {
        let collection_rate =
            self.probability("finance.collection_rate", f.collection_rate.unwrap_or(1.0));
        let mut payers = Vec::new();
        for (i, p) in f.payers.iter().enumerate() {
            let path = format!("finance.payers[{i}]");
            let name = self.non_empty_name(&at(&path, "name"), &p.name);
            let share = match self.required(
                &at(&path, "share"),
                &p.share,
                "share of clients with this payer, in [0, 1]",
            ) {
                Some(x) => self.probability(&at(&path, "share"), x),
                None => 0.0,
            };
            // Each payer bills per attended session-day or per attended
            // session-hour: exactly one of the two keys.
            let (billing, rate) = match (p.per_day, p.per_hour) {
                (Some(x), None) => (Billing::PerDay, self.non_negative(&at(&path, "per_day"), x)),
                (None, Some(x)) => (
                    Billing::PerHour,
                    self.non_negative(&at(&path, "per_hour"), x),
                ),
                (Some(_), Some(_)) => {
                    self.push(
                        &path,
                        "give per_day or per_hour, not both: a payer bills per attended \
                         session-day (per_day) or per attended session-hour (per_hour)",
                    );
                    (Billing::PerDay, 0.0)
                }
                (None, None) => {
                    self.push(
                        at(&path, "per_day"),
                        "missing; give per_day (billed per attended session-day) or per_hour \
                         (billed per attended session-hour)",
                    );
                    (Billing::PerDay, 0.0)
                }
            };
            payers.push(Payer {
                name,
                share,
                billing,
                rate,
            });
        }
        let names_of_payers: Vec<String> = payers.iter().map(|p| p.name.clone()).collect();
        self.unique("finance.payers", "name", &names_of_payers);
        let sum: f64 = payers.iter().map(|p| p.share).sum();
        if !payers.is_empty() && sum.is_finite() && (sum - 1.0).abs() > PAYER_SUM_TOL {
            self.push(
                "finance.payers",
                format!("payer shares must sum to 1, got {}", round6(sum)),
            );
        }
        let intake_fee = self.non_negative("finance.intake_fee", f.intake_fee.unwrap_or(0.0));
        let individual_fee =
            self.non_negative("finance.individual_fee", f.individual_fee.unwrap_or(0.0));
        let overhead_per_week = self.non_negative(
            "finance.overhead_per_week",
            f.overhead_per_week.unwrap_or(0.0),
        );

        let mut bed_day_rates = Vec::new();
        for (unit, &rate) in f.bed_day_rates.iter().flatten() {
            let path = format!("finance.bed_day_rates.{unit}");
            let rate = self.non_negative(&path, rate);
            match names.unit(unit) {
                Some(u) if names.unit_kinds[u].as_deref() == Some("beds") => {
                    bed_day_rates.push((u, rate))
                }
                Some(_) => self.push(
                    &path,
                    format!("'{unit}' is not a bed unit; bed-day rates apply to kind = \"beds\""),
                ),
                None => self.push(
                    &path,
                    format!(
                        "no unit named '{unit}'; units are: {}",
                        list_or_none(&names.units)
                    ),
                ),
            }
        }
        let mut room_cost_per_week = Vec::new();
        for (room, &cost) in f.room_cost_per_week.iter().flatten() {
            let path = format!("finance.room_cost_per_week.{room}");
            let cost = self.non_negative(&path, cost);
            match names.rooms.iter().position(|r| r == room) {
                Some(r) => room_cost_per_week.push((r, cost)),
                None => self.push(
                    &path,
                    format!(
                        "no room named '{room}'; rooms are: {}",
                        list_or_none(&names.rooms)
                    ),
                ),
            }
        }
        let mut staff = Vec::new();
        for (i, s) in f.staff.iter().enumerate() {
            let path = format!("finance.staff[{i}]");
            let role_name = self.non_empty_name(&at(&path, "role"), &s.role);
            let role = names.roles.iter().position(|r| *r == role_name);
            if role.is_none() && !role_name.is_empty() {
                self.push(
                    at(&path, "role"),
                    format!(
                        "no staff role '{role_name}'; roles are: {}",
                        list_or_none(&names.roles)
                    ),
                );
            }
            let salary = self.non_negative(
                &at(&path, "salary_per_fte_year"),
                s.salary_per_fte_year.unwrap_or(0.0),
            );
            let per_diem = self.non_negative(
                &at(&path, "per_diem_per_hour"),
                s.per_diem_per_hour.unwrap_or(0.0),
            );
            if let Some(role) = role {
                staff.push(StaffCost {
                    role,
                    salary_per_fte_year: salary,
                    per_diem_per_hour: per_diem,
                });
            }
        }
        let roles: Vec<String> = f.staff.iter().filter_map(|s| s.role.clone()).collect();
        self.unique("finance.staff", "role", &roles);
        Finance {
            collection_rate,
            payers,
            intake_fee,
            individual_fee,
            bed_day_rates,
            room_cost_per_week,
            overhead_per_week,
            staff,
        }
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use crate::scenario::{load_str, DEFAULT_TOML};

    fn problems(finance: &str) -> Vec<String> {
        let without = DEFAULT_TOML.split("[finance]").next().unwrap_or_default();
        let text = format!("{without}\n{finance}");
        match load_str(&text, "t.toml", &[]) {
            Ok(_) => vec![],
            Err(e) => e
                .to_string()
                .lines()
                .skip(1)
                .map(|l| l.trim_start_matches("  - ").to_string())
                .collect(),
        }
    }

    #[test]
    fn the_default_finance_section_loads() {
        let s = load_str(DEFAULT_TOML, "d", &[]).unwrap();
        let f = s.finance.expect("the default scenario prices its program");
        assert!(f.per_day() > 0.0);
        assert!(!f.staff.is_empty());
    }

    #[test]
    fn every_finance_problem_is_reported_with_its_key() {
        let p = problems(
            r#"
[finance]
collection_rate = 1.5
payers = [{ name = "a", share = 0.5, per_day = -3 }, { name = "b", share = 0.2, per_day = 100 }]
bed_day_rates = { iop = 100, ward = 5 }
room_cost_per_week = { attic = 10 }
overhead_per_weak = 3
[[finance.staff]]
role = "janitor"
"#,
        );
        let expect = [
            "finance.collection_rate: must be a probability in [0, 1], got 1.5",
            "finance.payers[0].per_day: must be >= 0, got -3",
            "finance.payers: payer shares must sum to 1, got 0.7",
            "finance.bed_day_rates.iop: 'iop' is not a bed unit",
            "finance.bed_day_rates.ward: no unit named 'ward'; units are: iop",
            "finance.room_cost_per_week.attic: no room named 'attic'; rooms are: group-room",
            "finance.staff[0].role: no staff role 'janitor'; roles are: therapist, prescriber",
            "overhead_per_weak",
        ];
        for e in expect {
            assert!(p.iter().any(|l| l.contains(e)), "missing {e:?} in {p:#?}");
        }
    }

    #[test]
    fn a_payer_bills_per_day_or_per_hour() {
        let p = problems(
            r#"
[finance]
payers = [
  { name = "a", share = 0.5, per_day = 100, per_hour = 30 },
  { name = "b", share = 0.25 },
  { name = "c", share = 0.25, per_hour = -1 },
]
"#,
        );
        assert_eq!(
            p,
            vec![
                "finance.payers[0]: give per_day or per_hour, not both: a payer bills per attended session-day (per_day) or per attended session-hour (per_hour)",
                "finance.payers[1].per_day: missing; give per_day (billed per attended session-day) or per_hour (billed per attended session-hour)",
                "finance.payers[2].per_hour: must be >= 0, got -1",
            ]
        );
        let without = DEFAULT_TOML.split("[finance]").next().unwrap_or_default();
        let text = format!(
            "{without}\n[finance]\npayers = [{{ name = \"a\", share = 0.25, per_day = 100 }}, \
             {{ name = \"b\", share = 0.75, per_hour = 40 }}]\n"
        );
        let f = load_str(&text, "t.toml", &[]).unwrap().finance.unwrap();
        assert_eq!((f.per_day(), f.per_hour()), (25.0, 30.0));
        let s = load_str(DEFAULT_TOML, "d", &[]).unwrap();
        assert_eq!(s.finance.unwrap().per_hour(), 0.0);
    }
}
