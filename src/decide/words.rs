//! Metric names and scenario keys in words, with their units, and numbers
//! formatted by unit for the decision pages and charts: `iop.wait_days_p90`
//! is "iop: wait to admission, P90 (days)", a share is shown in %, a
//! difference of shares in percentage points, money with thousands
//! separators.

use crate::report::plots::chart::{group_thousands, pct_text};

/// What a metric's numbers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Days,
    /// A share stored as 0-1, shown in %.
    Share,
    /// A count of people or things, e.g. "patients" or "sessions".
    Count(&'static str),
    HoursPerWeek,
    Fte,
    /// Money, e.g. "per week" or "per admission".
    Money(&'static str),
    /// Anything else: shown as is.
    Plain,
}

impl Measure {
    /// The unit in words, for labels: "days", "%", "patients".
    pub fn unit(self) -> String {
        match self {
            Measure::Days => "days".into(),
            Measure::Share => "%".into(),
            Measure::Count(what) => what.into(),
            Measure::HoursPerWeek => "hours per week".into(),
            Measure::Fte => "FTE".into(),
            Measure::Money(per) => format!("money {per}"),
            Measure::Plain => String::new(),
        }
    }

    /// The unit of a difference: percentage points for shares.
    pub fn diff_unit(self) -> String {
        match self {
            Measure::Share => "percentage points".into(),
            m => m.unit(),
        }
    }

    /// The scale from stored values to shown ones (100 for shares).
    pub fn scale(self) -> f64 {
        if self == Measure::Share {
            100.0
        } else {
            1.0
        }
    }

    /// A level: "12.5", "91%", "7,254".
    pub fn value(self, x: f64) -> String {
        if !x.is_finite() {
            return "\u{2013}".into();
        }
        match self {
            Measure::Share => pct_text(100.0 * x),
            Measure::Money(_) if x.abs() >= 100.0 => crate::report::format::money(x, None),
            _ => crate::report::html::num(x),
        }
    }

    /// A difference and its 95% interval, on one precision fitted to the
    /// interval: "-6.4 [-6.9, -5.9]"; shares in percentage points ("pp").
    pub fn diff_ci(self, mean: f64, low: f64, high: f64) -> String {
        let k = self.scale();
        let d = decimals_for((high - low) * k / 2.0, mean * k);
        let unit = if self == Measure::Share { " pp" } else { "" };
        format!(
            "{}{unit} [{}, {}]",
            signed(mean * k, d),
            signed(low * k, d),
            signed(high * k, d)
        )
    }

    /// [`Measure::diff_ci`] with its unit once: "-9.2 pp [-10.0, -8.3]"
    /// for shares (the "pp" is the unit), "+5.2 [+5.0, +5.5] days" for
    /// the others.
    pub fn diff_ci_in_words(self, mean: f64, low: f64, high: f64) -> String {
        let text = self.diff_ci(mean, low, high);
        let unit = self.diff_unit();
        if self == Measure::Share || unit.is_empty() {
            text
        } else {
            format!("{text} {unit}")
        }
    }

    /// A difference alone, on the precision of [`Measure::diff_ci`].
    pub fn diff(self, mean: f64, low: f64, high: f64) -> String {
        let k = self.scale();
        let d = decimals_for((high - low) * k / 2.0, mean * k);
        let unit = if self == Measure::Share { " pp" } else { "" };
        format!("{}{unit}", signed(mean * k, d))
    }
}

/// Decimals that show an interval of half-width `half` to about one
/// significant digit (0 to 4), or `x` to three significant digits when the
/// interval has no width.
pub fn decimals_for(half: f64, x: f64) -> usize {
    let from = |v: f64, digits: i32| -> usize {
        if v.is_finite() && v > 0.0 {
            (digits - 1 - v.log10().floor() as i32).clamp(0, 4) as usize
        } else {
            0
        }
    };
    if half.is_finite() && half > 0.0 {
        from(half, 1)
    } else {
        from(x.abs(), 3)
    }
}

/// `x` with `d` decimals and a sign ("+3.40", "-6.0"), "0" when it rounds
/// to zero; thousands grouped from 10,000.
pub fn signed(x: f64, d: usize) -> String {
    if !x.is_finite() {
        return "\u{2013}".into();
    }
    let mut s = format!("{:.d$}", x.abs());
    if s.trim_start_matches(['0', '.']).is_empty() {
        return "0".into();
    }
    if x.abs() >= 10_000.0 {
        s = grouped(&s);
    }
    format!("{}{s}", if x < 0.0 { "-" } else { "+" })
}

/// "12345.6" -> "12,345.6"; "-1234" -> "-1,234".
fn grouped(s: &str) -> String {
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", s),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, format!(".{f}")),
        None => (rest, String::new()),
    };
    match int.parse::<u64>() {
        Ok(n) => format!("{sign}{}{frac}", group_thousands(n)),
        Err(_) => s.to_string(),
    }
}

/// A summary metric in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// The unit, track, stream, class, room or role it belongs to ("" for finance).
    pub subject: String,
    /// What it is: "wait to admission, P90".
    pub what: String,
    pub measure: Measure,
}

impl Metric {
    /// "iop: wait to admission, P90 (days)".
    pub fn label(&self) -> String {
        let unit = match self.measure {
            Measure::Share => " (%)".to_string(),
            Measure::Plain => String::new(),
            m => format!(" ({})", m.unit()),
        };
        if self.subject.is_empty() {
            format!("{}{unit}", capitalised(&self.what))
        } else {
            format!("{}: {}{unit}", self.subject, self.what)
        }
    }

    /// "iop: wait to admission, P90" (no unit).
    pub fn name(&self) -> String {
        if self.subject.is_empty() {
            capitalised(&self.what)
        } else {
            format!("{}: {}", self.subject, self.what)
        }
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The words and unit of a measure by its last name part.
fn measure_of(last: &str) -> Option<(&'static str, Measure)> {
    use Measure::*;
    let people = Count("patients");
    Some(match last {
        "wait_days" => ("wait to admission, mean", Days),
        "wait_days_p90" => ("wait to admission, P90", Days),
        "intake_wait_days" => ("wait for the intake appointment, mean", Days),
        "intake_wait_days_p90" => ("wait for the intake appointment, P90", Days),
        "blocked_days" => ("bed-days blocked", Days),
        "mean_stay_days" => ("length of stay, mean", Days),
        "census" => ("patients in care, average", people),
        "waitlist" => ("people waiting, average", Count("people")),
        "referrals" => ("referrals", people),
        "admissions" | "admitted" => ("admissions", people),
        "completed" => ("completed", people),
        "dropped_out" => ("dropped out", people),
        "admin_discharged" => ("administrative discharges", people),
        "stepped_up" => ("stepped up", people),
        "reneged" => ("gave up waiting", people),
        "turned_away" => ("turned away, waitlist full", people),
        "no_shows" => ("no-shows at intake", people),
        "intakes" => ("intake appointments due", Count("appointments")),
        "intake_no_shows" => ("no-shows at the intake appointment", people),
        "relapse_referrals" => ("referred again after a relapse", people),
        "readmitted_30d" => ("readmitted within 30 days", people),
        "readmitted_90d" => ("readmitted within 90 days", people),
        "readmission_rate_30d" => ("readmitted within 30 days", Share),
        "readmission_rate_90d" => ("readmitted within 90 days", Share),
        "seat_utilization" => ("seat utilization", Share),
        "attendance_rate" => ("attendance", Share),
        "utilization" => ("utilization", Share),
        "intake_slots_used" => ("intake slots booked", Share),
        "short_weeks" => ("weeks short of hours", Share),
        "caseload_full" => ("time at the caseload cap", Share),
        "hours_per_week" => ("hours needed", HoursPerWeek),
        "hours_on_duty" => ("hours on duty", HoursPerWeek),
        "group_hours_saved" => ("group hours saved", Count("hours")),
        "fte_needed" => ("FTE needed", Fte),
        "timetable_fte" => ("FTE the timetable needs", Fte),
        "sessions_cancelled" => ("group sessions cancelled", Count("sessions")),
        "sessions_below_min" => ("sessions below the minimum size", Count("sessions")),
        "regrouped" => ("patients moved to another group", people),
        "phase_moves" => ("moves to a step-down track", people),
        "phase_moves_delayed" => ("moves to a step-down track delayed", people),
        "caseload" => ("caseload, average", people),
        "caseload_cap" => ("caseload cap", people),
        "caseload_held_back" => ("admissions held back by a full caseload", people),
        "revenue_per_week" => ("revenue collected", Money("per week")),
        "cost_per_week" => ("cost", Money("per week")),
        "net_per_week" => ("net margin", Money("per week")),
        "revenue_per_admission" => ("revenue per admission", Money("per admission")),
        "cost_per_completed_episode" => {
            ("cost per completed episode", Money("per completed episode"))
        }
        "lost_revenue_empty_seats_per_week" => ("revenue lost to empty seats", Money("per week")),
        "lost_revenue_waitlist_per_week" => (
            "revenue lost with those who left the waitlist",
            Money("per week"),
        ),
        _ => return None,
    })
}

/// A summary metric's name in words (see `model::result::summary_names`).
pub fn metric(name: &str) -> Metric {
    let parts: Vec<&str> = name.split('.').collect();
    let n = parts.len();
    // <unit>.to.<dest> and <unit>.stepped_up_to.<dest>.
    if n >= 3 && (parts[n - 2] == "to" || parts[n - 2] == "stepped_up_to") {
        let what = if parts[n - 2] == "to" {
            format!("went on to {}", parts[n - 1])
        } else {
            format!("stepped up to {}", parts[n - 1])
        };
        return Metric {
            subject: parts[..n - 2].join("."),
            what,
            measure: Measure::Count("patients"),
        };
    }
    let last = parts[n - 1];
    let rest = &parts[..n - 1];
    let subject = match rest.first() {
        Some(&"finance") if rest.len() == 1 => String::new(),
        Some(&"staff") if rest.len() > 1 => rest[1..].join("."),
        Some(&"stream") if rest.len() > 1 => format!("{} referrals", rest[1..].join(".")),
        Some(&"class") if rest.len() > 1 => format!("class {}", rest[1..].join(".")),
        _ => rest.join(" "),
    };
    match measure_of(last) {
        Some((what, measure)) => Metric {
            subject,
            what: what.into(),
            measure,
        },
        None => Metric {
            subject,
            what: last.replace('_', " "),
            measure: Measure::Plain,
        },
    }
}

/// A scenario key in words, with its unit: `units.iop.tracks.evening.groups`
/// is "evening groups", `...group_size` "evening group size (seats)",
/// `staff.therapist.fte` "therapist FTE"; and whether its values are shares
/// (shown in %).
pub fn key(key: &str) -> (String, bool) {
    let parts: Vec<&str> = key.split('.').collect();
    let last = parts[parts.len() - 1];
    let in_rooms = parts.first() == Some(&"rooms");
    let in_waitlist = parts.contains(&"waitlist");
    // The named things along the path, without the section words.
    let sections = [
        "units",
        "tracks",
        "rooms",
        "staff",
        "referrals",
        "classes",
        "simulation",
        "calendar",
        "finance",
        "payers",
    ];
    // Positions in a list (`phases.0`) are not names.
    let names: Vec<&str> = parts[..parts.len() - 1]
        .iter()
        .copied()
        .filter(|p| !sections.contains(p) && p.parse::<usize>().is_err())
        .collect();
    // The innermost name says whose it is; a unit's track names the track only.
    let subject = match names.as_slice() {
        [] => String::new(),
        [.., inner] if !in_waitlist => (*inner).to_string(),
        all => all.join(" "),
    };
    let (what, unit, share) = match last {
        "groups" => ("groups", "", false),
        "group_size" => ("group size", "seats", false),
        "seats" => ("seats", "", false),
        "capacity" if in_waitlist => ("capacity", "people", false),
        "capacity" => ("capacity", "beds", false),
        "fte" => ("FTE", "", false),
        "per_week" => ("referrals per week", "", false),
        "hours_per_fte" => ("hours per FTE-week", "hours", false),
        "hours" => ("session length", "hours", false),
        "weeks" => ("weeks", "", false),
        "warmup_weeks" => ("warm-up", "weeks", false),
        "trials" => ("trials", "", false),
        "show" => ("show rate", "%", true),
        "share" => ("share", "%", true),
        "attendance" => ("attendance", "%", true),
        "collection_rate" => ("collection rate", "%", true),
        "growth_per_year" => ("growth per year", "%", true),
        "stepup_weekly" => ("weekly step-up hazard", "%", true),
        "mean" => ("mean", "days", false),
        "slots_per_person" => ("slots per person", "", false),
        "per_day" => ("rate per day", "money", false),
        "per_hour" => ("rate per hour", "money", false),
        "salary_per_fte_year" => ("salary per FTE-year", "money", false),
        "per_diem_per_hour" => ("per-diem rate per hour", "money", false),
        "intake_fee" => ("intake fee", "money", false),
        "individual_fee" => ("individual session fee", "money", false),
        "overhead_per_week" => ("overhead per week", "money", false),
        other => (other, "", false),
    };
    let what = what.replace('_', " ");
    let mut label = if last == "count" && in_rooms {
        format!("number of {subject} rooms")
    } else if subject.is_empty() {
        what
    } else {
        format!("{subject} {what}")
    };
    if !unit.is_empty() {
        label = format!("{label} ({unit})");
    }
    (label, share)
}

/// A value of a key as shown: shares in %, a list of words as words
/// (`["mon", "tue"]` is "mon, tue"), others as written.
pub fn key_value(value: &str, share: bool) -> String {
    match value.parse::<f64>() {
        Ok(x) if share => pct_text(100.0 * x),
        _ => match value
            .strip_prefix('[')
            .and_then(|v| v.strip_suffix(']'))
            .filter(|v| !v.contains(['[', '{']))
        {
            Some(items) => items
                .split(',')
                .map(|i| i.trim().trim_matches('"'))
                .filter(|i| !i.is_empty())
                .collect::<Vec<_>>()
                .join(", "),
            None => value.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_difference_names_its_unit_once() {
        assert_eq!(
            Measure::Share.diff_ci_in_words(-0.092, -0.1, -0.083),
            "-9.2 pp [-10.0, -8.3]"
        );
        assert_eq!(
            Measure::Days.diff_ci_in_words(5.2, 5.0, 5.5),
            "+5.2 [+5.0, +5.5] days"
        );
    }

    #[test]
    fn list_positions_and_lists_of_words_read_as_words() {
        assert_eq!(
            key("units.iop.phases.0.sessions_per_week").0,
            "phases sessions per week"
        );
        assert_eq!(
            key_value(r#"["mon", "tue", "thu"]"#, false),
            "mon, tue, thu"
        );
        assert_eq!(key_value("[]", false), "");
        assert_eq!(key_value("0.72", true), "72%");
        assert_eq!(key_value("{ weeks = 12 }", false), "{ weeks = 12 }");
    }

    #[test]
    fn metrics_in_words_with_units() {
        assert_eq!(
            metric("iop.wait_days_p90").label(),
            "iop: wait to admission, P90 (days)"
        );
        assert_eq!(
            metric("iop.evening.late.wait_days").label(),
            "iop evening late: wait to admission, mean (days)"
        );
        assert_eq!(
            metric("staff.therapist.fte_needed").label(),
            "therapist: FTE needed (FTE)"
        );
        assert_eq!(
            metric("staff.therapist.hours_per_week").label(),
            "therapist: hours needed (hours per week)"
        );
        assert_eq!(
            metric("iop.seat_utilization").label(),
            "iop: seat utilization (%)"
        );
        assert_eq!(
            metric("finance.net_per_week").label(),
            "Net margin (money per week)"
        );
        assert_eq!(
            metric("stream.community.reneged").label(),
            "community referrals: gave up waiting (patients)"
        );
        assert_eq!(
            metric("iop.to.outpatient").label(),
            "iop: went on to outpatient (patients)"
        );
        assert_eq!(metric("group-room.utilization").measure, Measure::Share);
        assert_eq!(metric("x.something_new").label(), "x: something new");
    }

    #[test]
    fn keys_in_words_with_units() {
        assert_eq!(
            key("units.iop.tracks.evening.group_size"),
            ("evening group size (seats)".to_string(), false)
        );
        assert_eq!(key("units.iop.tracks.evening.groups").0, "evening groups");
        assert_eq!(key("staff.therapist.fte").0, "therapist FTE");
        assert_eq!(
            key("rooms.group-room.count").0,
            "number of group-room rooms"
        );
        assert_eq!(key("units.beds.capacity").0, "beds capacity (beds)");
        assert_eq!(
            key("units.iop.waitlist.capacity").0,
            "iop waitlist capacity (people)"
        );
        assert_eq!(
            key("referrals.community.show"),
            ("community show rate (%)".to_string(), true)
        );
        assert_eq!(key_value("0.65", true), "65%");
        assert_eq!(key_value("12", false), "12");
    }

    #[test]
    fn differences_take_the_precision_of_their_interval() {
        let days = Measure::Days;
        assert_eq!(days.diff_ci(-6.42, -6.91, -5.93), "-6.4 [-6.9, -5.9]");
        assert_eq!(
            Measure::Fte.diff_ci(0.6, 0.591, 0.609),
            "+0.600 [+0.591, +0.609]"
        );
        assert_eq!(
            Measure::Money("per week").diff_ci(1524.0, 1511.3, 1536.8),
            "+1524 [+1511, +1537]"
        );
        assert_eq!(
            Measure::Money("per week").diff_ci(15240.0, 15011.3, 15536.8),
            "+15,240 [+15,011, +15,537]"
        );
        assert_eq!(
            Measure::Share.diff_ci(-0.145, -0.147, -0.142),
            "-14.5 pp [-14.7, -14.2]"
        );
        assert_eq!(days.diff_ci(0.0, 0.0, 0.0), "0 [0, 0]");
        assert_eq!(days.diff_ci(-11.0, -11.4, -10.7), "-11.0 [-11.4, -10.7]");
        assert_eq!(days.diff_ci(-0.01, -0.4, 0.3), "0 [-0.4, +0.3]");
        assert_eq!(days.diff(-6.42, -6.91, -5.93), "-6.4");
    }

    #[test]
    fn levels_by_unit() {
        assert_eq!(Measure::Share.value(0.914), "91%");
        assert_eq!(Measure::Money("per week").value(7253.6), "7,254");
        assert_eq!(Measure::Days.value(16.58), "16.6");
        assert_eq!(Measure::Days.value(f64::NAN), "\u{2013}");
        assert_eq!(signed(-0.0004, 2), "0");
        assert_eq!(signed(12345.0, 0), "+12,345");
        assert_eq!(decimals_for(0.0, 0.0), 0);
        assert_eq!(decimals_for(0.0, 2.5), 2);
    }
}
