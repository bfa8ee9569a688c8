//! The levers a director moves, built from the scenario: per track the
//! groups, group size, days, start and hours; per unit the attendance and
//! waitlist patience (beds for a bed unit); per referral stream the rate,
//! growth and show rate; rooms; staff FTE; the finance keys.
//!
//! Each lever is a `--set` key with its current value (as the scenario
//! holds it after defaults), its kind and its range, so the page can draw
//! a labelled control and send the change back as `KEY=VALUE`.

use chrono::Weekday;
use serde_json::{json, Value};

use crate::decide::words;
use crate::model::dist::DistSpec;
use crate::scenario::{Billing, Scenario, UnitKind};

/// What a lever's value is, for its control.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A whole number from `min` to `max`.
    Int { min: f64, max: f64 },
    /// A number from `min` to `max` in steps of `step`.
    Number { min: f64, max: f64, step: f64 },
    /// A share from `min` to `max` (stored 0-1, shown in %).
    Share { min: f64, max: f64 },
    /// Days of the week.
    Days,
    /// A time of day, `HH:MM`.
    Time,
}

/// One lever: its `--set` key, label in words, kind and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Lever {
    pub key: String,
    pub label: String,
    pub kind: Kind,
    pub value: Value,
}

/// A titled group of levers (a track, the referrals, the staff).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub title: String,
    pub levers: Vec<Lever>,
}

fn lever(key: String, kind: Kind, value: Value) -> Lever {
    let (label, _) = words::key(&key);
    Lever {
        key,
        label,
        kind,
        value,
    }
}

/// A whole-number lever; its range widened to hold the scenario's value.
fn int(key: String, min: f64, max: f64, v: u32) -> Lever {
    let v_ = f64::from(v);
    lever(
        key,
        Kind::Int {
            min: min.min(v_),
            max: max.max(v_),
        },
        json!(v),
    )
}

/// A number lever from `min`, the smallest value `check` accepts (or one
/// step when it must be above 0); its range widened to hold the
/// scenario's value.
fn number(key: String, min: f64, max: f64, step: f64, v: f64) -> Lever {
    lever(
        key,
        Kind::Number {
            min: min.min(v),
            max: max.max(v),
            step,
        },
        json!(v),
    )
}

fn share(key: String, v: f64) -> Lever {
    lever(key, Kind::Share { min: 0.0, max: 1.0 }, json!(v))
}

fn day_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

/// Adds the group `title` if it has any levers.
fn push_group(groups: &mut Vec<Group>, title: &str, levers: Vec<Lever>) {
    if !levers.is_empty() {
        groups.push(Group {
            title: title.into(),
            levers,
        });
    }
}

/// Every lever of `s`, grouped as the page shows them.
pub fn levers(s: &Scenario) -> Vec<Group> {
    let mut groups = Vec::new();
    for u in &s.units {
        let at = format!("units.{}", u.name);
        match &u.kind {
            UnitKind::Sessions(su) => {
                for t in &su.tracks {
                    let k = |leaf: &str| format!("{at}.tracks.{}.{leaf}", t.name);
                    let start = format!("{:02}:{:02}", t.start_minute / 60, t.start_minute % 60);
                    groups.push(Group {
                        title: format!("{}: {} track", u.name, t.name),
                        levers: vec![
                            int(k("groups"), 1.0, 50.0, t.groups),
                            int(k("group_size"), 1.0, 60.0, t.group_size),
                            lever(
                                k("days"),
                                Kind::Days,
                                json!(t.days.iter().map(|&d| day_name(d)).collect::<Vec<_>>()),
                            ),
                            lever(k("start"), Kind::Time, json!(start)),
                            number(k("hours"), 0.25, 12.0, 0.25, t.hours),
                        ],
                    });
                }
                let mut unit = vec![share(format!("{at}.attendance"), su.attendance)];
                if let Some(DistSpec::Exponential { mean }) =
                    u.waitlist.patience.as_ref().map(|d| d.spec())
                {
                    unit.push(number(
                        format!("{at}.waitlist.patience.mean"),
                        1.0,
                        365.0,
                        1.0,
                        *mean,
                    ));
                }
                groups.push(Group {
                    title: format!("{}: patients", u.name),
                    levers: unit,
                });
            }
            UnitKind::Beds(b) => groups.push(Group {
                title: format!("{}: beds", u.name),
                levers: vec![int(format!("{at}.capacity"), 1.0, 1000.0, b.capacity)],
            }),
        }
    }
    let mut referrals = Vec::new();
    for r in &s.referrals {
        let at = format!("referrals.{}", r.name);
        referrals.push(number(
            format!("{at}.per_week"),
            0.0,
            100.0,
            0.1,
            r.per_week,
        ));
        referrals.push(lever(
            format!("{at}.growth_per_year"),
            Kind::Share {
                min: -0.9,
                max: 2.0,
            },
            json!(r.growth_per_year),
        ));
        referrals.push(share(format!("{at}.show"), r.show));
    }
    push_group(&mut groups, "Referrals", referrals);
    let rooms: Vec<Lever> = s
        .rooms
        .iter()
        .flat_map(|r| {
            [
                int(format!("rooms.{}.count", r.name), 1.0, 50.0, r.count),
                int(format!("rooms.{}.seats", r.name), 1.0, 200.0, r.seats),
            ]
        })
        .collect();
    push_group(&mut groups, "Rooms", rooms);
    let staff: Vec<Lever> = s
        .staff
        .iter()
        .map(|st| number(format!("staff.{}.fte", st.role), 0.0, 100.0, 0.1, st.fte))
        .collect();
    push_group(&mut groups, "Staff", staff);
    if let Some(f) = &s.finance {
        let mut money = vec![share("finance.collection_rate".into(), f.collection_rate)];
        for p in &f.payers {
            let leaf = match p.billing {
                Billing::PerDay => "per_day",
                Billing::PerHour => "per_hour",
            };
            money.push(number(
                format!("finance.payers.{}.{leaf}", p.name),
                0.0,
                5000.0,
                1.0,
                p.rate,
            ));
        }
        money.push(number(
            "finance.intake_fee".into(),
            0.0,
            5000.0,
            1.0,
            f.intake_fee,
        ));
        money.push(number(
            "finance.overhead_per_week".into(),
            0.0,
            1_000_000.0,
            10.0,
            f.overhead_per_week,
        ));
        for c in &f.staff {
            let role = &s.staff[c.role].role;
            money.push(number(
                format!("finance.staff.{role}.salary_per_fte_year"),
                0.0,
                1_000_000.0,
                100.0,
                c.salary_per_fte_year,
            ));
        }
        groups.push(Group {
            title: "Finance".into(),
            levers: money,
        });
    }
    groups
}

/// The levers as JSON for the page.
pub fn to_json(groups: &[Group]) -> Value {
    let groups: Vec<Value> = groups
        .iter()
        .map(|g| {
            let levers: Vec<Value> = g
                .levers
                .iter()
                .map(|l| {
                    let mut v = json!({ "key": l.key, "label": l.label, "value": l.value });
                    let (kind, extra) = match l.kind {
                        Kind::Int { min, max } => {
                            ("int", json!({ "min": min, "max": max, "step": 1 }))
                        }
                        Kind::Number { min, max, step } => {
                            ("number", json!({ "min": min, "max": max, "step": step }))
                        }
                        Kind::Share { min, max } => {
                            ("share", json!({ "min": min, "max": max, "step": 0.01 }))
                        }
                        Kind::Days => ("days", json!({})),
                        Kind::Time => ("time", json!({})),
                    };
                    v["kind"] = json!(kind);
                    if let (Some(obj), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
                        obj.extend(extra.clone());
                    }
                    v
                })
                .collect();
            json!({ "title": g.title, "levers": levers })
        })
        .collect();
    json!(groups)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{load_str, DEFAULT_TOML};

    /// Every shipped scenario: its path, text and loaded form.
    fn shipped() -> Vec<(std::path::PathBuf, String, Scenario)> {
        let mut all: Vec<_> = std::fs::read_dir("scenarios")
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .map(|path| {
                let text = std::fs::read_to_string(&path).unwrap();
                let s = crate::scenario::load_file(&path, &[]).unwrap();
                (path, text, s)
            })
            .collect();
        assert!(all.len() > 5, "the shipped scenarios are read");
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    fn value_text(v: &Value) -> String {
        match v {
            Value::String(s) => format!("\"{s}\""),
            other => other.to_string(),
        }
    }

    #[test]
    fn the_default_has_a_lever_for_each_thing_a_director_moves() {
        let s = load_str(DEFAULT_TOML, "default", &[]).unwrap();
        let g = levers(&s);
        let keys: Vec<&str> = g
            .iter()
            .flat_map(|g| &g.levers)
            .map(|l| l.key.as_str())
            .collect();
        for k in [
            "units.iop.tracks.evening.groups",
            "units.iop.tracks.evening.group_size",
            "units.iop.tracks.morning.days",
            "units.iop.tracks.morning.start",
            "units.iop.tracks.morning.hours",
            "units.iop.attendance",
            "units.iop.waitlist.patience.mean",
            "referrals.community.per_week",
            "referrals.community.growth_per_year",
            "rooms.group-room.count",
            "staff.therapist.fte",
            "finance.collection_rate",
            "finance.payers.commercial.per_day",
            "finance.overhead_per_week",
            "finance.staff.therapist.salary_per_fte_year",
        ] {
            assert!(keys.contains(&k), "no lever {k} in {keys:?}");
        }
        let evening = &g[1].levers[0];
        assert_eq!(evening.label, "evening groups");
        assert_eq!(evening.value, json!(1));
        let start = g[0].levers.iter().find(|l| l.kind == Kind::Time).unwrap();
        assert_eq!(start.value, json!("10:00"));
    }

    /// The low end of every lever is a value `check` accepts (the page
    /// never offers a value that can only fail): each lever of each shipped
    /// scenario set to its minimum alone loads, or fails only on a rule
    /// between two keys (seats and group size), never on its own range.
    #[test]
    fn the_low_end_of_every_lever_is_a_value_check_accepts() {
        for (path, text, s) in shipped() {
            for l in levers(&s).iter().flat_map(|g| &g.levers) {
                let min = match l.kind {
                    Kind::Int { min, .. } | Kind::Number { min, .. } | Kind::Share { min, .. } => {
                        min
                    }
                    Kind::Days | Kind::Time => continue,
                };
                let set = format!("{}={min}", l.key);
                if let Err(e) = load_str(&text, "low", std::slice::from_ref(&set)) {
                    let e = e.to_string();
                    assert!(
                        !e.contains("must be") || e.contains("seats"),
                        "{}: {set}: {e}",
                        path.display()
                    );
                }
            }
        }
    }

    /// Setting every lever of every shipped scenario to the value it shows
    /// changes nothing: the keys address what the values were read from.
    #[test]
    fn every_lever_of_every_shipped_scenario_sets_back_its_own_value() {
        for (path, text, s) in shipped() {
            let sets: Vec<String> = levers(&s)
                .iter()
                .flat_map(|g| &g.levers)
                .map(|l| format!("{}={}", l.key, value_text(&l.value)))
                .collect();
            assert!(!sets.is_empty(), "{}", path.display());
            let again = crate::scenario::load_str(&text, "again", &sets)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let edited = crate::scenario::edit::apply(&text, &sets).unwrap();
            let reread = load_str(&edited, "edited", &[]).unwrap();
            assert_eq!(
                reread.resolved_toml,
                again.resolved_toml,
                "{}",
                path.display()
            );
            let plain = load_str(&text, "plain", &[]).unwrap();
            assert_eq!(levers(&again), levers(&plain), "{}", path.display());
        }
    }
}
