//! What a run is made of, read back from [`RunResults`] alone: which units
//! hold sessions, the tracks of a unit with results per track, the referral
//! streams, and where a unit's leavers went. The report never sees the
//! scenario, so this is derived from the metric names, each the way the
//! model writes them (`model::result`), never by splitting a name at its
//! dots: names may contain dots and dashes themselves.

use crate::model::result::{
    CASELOAD_METRICS, CLASS_METRICS, HOME, INTAKE_METRICS, ROSTER_METRICS, STREAM_METRICS,
    TRACK_METRICS,
};
use crate::trials::{RunResults, WaitHistogram, OUTCOMES};

/// Outcomes that cannot happen in a bed unit: nobody drops out of, is
/// discharged for absences from, or steps up from a bed.
pub const NOT_FOR_BEDS: [&str; 3] = ["dropped_out", "admin_discharged", "stepped_up"];

/// Whether `unit` is a session unit (it has seats and sessions).
pub fn is_session_unit(r: &RunResults, unit: &str) -> bool {
    r.summary_of(&format!("{unit}.seat_utilization")).is_some()
        || r.weekly_of(&format!("{unit}.seat_utilization")).is_some()
}

/// Whether `unit` has an intake stage: every `<unit>.<metric>` of
/// [`INTAKE_METRICS`].
pub fn has_intake(r: &RunResults, unit: &str) -> bool {
    INTAKE_METRICS
        .iter()
        .all(|m| r.summary_of(&format!("{unit}.{m}")).is_some())
}

/// The pooled waits for `unit`'s intake appointments, if it has an intake.
pub fn intake_waits<'a>(r: &'a RunResults, unit: &str) -> Option<&'a WaitHistogram> {
    r.intake_waits.iter().find(|h| h.unit == unit)
}

/// Whether `role` works shifts: every `staff.<role>.<metric>` of
/// [`ROSTER_METRICS`].
pub fn is_rostered(r: &RunResults, role: &str) -> bool {
    ROSTER_METRICS
        .iter()
        .all(|m| r.summary_of(&format!("staff.{role}.{m}")).is_some())
}

/// Whether `role` has a caseload cap: every `staff.<role>.<metric>` of
/// [`CASELOAD_METRICS`].
pub fn has_caseload(r: &RunResults, role: &str) -> bool {
    CASELOAD_METRICS
        .iter()
        .all(|m| r.summary_of(&format!("staff.{role}.{m}")).is_some())
}

/// The outcomes of [`OUTCOMES`] that can happen in `unit`, in that order.
pub fn unit_outcomes(r: &RunResults, unit: &str) -> Vec<&'static str> {
    let session = is_session_unit(r, unit);
    OUTCOMES
        .into_iter()
        .filter(|o| session || !NOT_FOR_BEDS.contains(o))
        .collect()
}

/// One track of a unit with results per track.
#[derive(Debug, Clone, Copy)]
pub struct Track<'a> {
    /// The track's own name, e.g. `evening`.
    pub name: &'a str,
    /// Its metrics' prefix, `<unit>.<track>`: `<prefix>.census` and so on.
    pub prefix: &'a str,
    /// Its waits, pooled over all trials.
    pub waits: &'a WaitHistogram,
}

/// The unit that owns `<unit>.<track>`: the longest unit name followed by
/// a dot that begins it. (Only a unit named like another unit plus a dot
/// and the start of one of that unit's track names could be mistaken.)
fn owner<'a>(r: &'a RunResults, prefix: &str) -> Option<&'a str> {
    r.capacity
        .iter()
        .map(|(u, _)| u.as_str())
        .filter(|u| {
            prefix.len() > u.len() + 1
                && prefix.starts_with(u)
                && prefix.as_bytes()[u.len()] == b'.'
        })
        .max_by_key(|u| u.len())
}

/// The tracks of `unit` with results of their own (session units with more
/// than one track), in the scenario's order: those of
/// [`RunResults::track_waits`] that belong to the unit and have every
/// metric of [`TRACK_METRICS`].
pub fn tracks<'a>(r: &'a RunResults, unit: &str) -> Vec<Track<'a>> {
    r.track_waits
        .iter()
        .filter(|h| owner(r, &h.unit) == Some(unit))
        .filter(|h| {
            TRACK_METRICS
                .iter()
                .all(|m| r.summary_of(&format!("{}.{m}", h.unit)).is_some())
        })
        .map(|h| Track {
            name: &h.unit[unit.len() + 1..],
            prefix: &h.unit,
            waits: h,
        })
        .collect()
}

/// The referral streams, in the scenario's order: every `<name>` with all
/// of `stream.<name>.<metric>` of [`STREAM_METRICS`].
pub fn streams(r: &RunResults) -> Vec<&str> {
    let first = STREAM_METRICS[0];
    r.summary_names
        .iter()
        .filter_map(|n| {
            n.strip_prefix("stream.")?
                .strip_suffix(first)?
                .strip_suffix('.')
                .filter(|s| !s.is_empty())
        })
        .filter(|s| {
            STREAM_METRICS
                .iter()
                .all(|m| r.summary_of(&format!("stream.{s}.{m}")).is_some())
        })
        .collect()
}

/// The patient classes, in the scenario's order: every `<name>` with all
/// of `class.<name>.<metric>` of [`CLASS_METRICS`].
pub fn classes(r: &RunResults) -> Vec<&str> {
    let first = CLASS_METRICS[0];
    r.summary_names
        .iter()
        .filter_map(|n| {
            n.strip_prefix("class.")?
                .strip_suffix(first)?
                .strip_suffix('.')
                .filter(|s| !s.is_empty())
        })
        .filter(|c| {
            CLASS_METRICS
                .iter()
                .all(|m| r.summary_of(&format!("class.{c}.{m}")).is_some())
        })
        .collect()
}

/// Where `unit`'s leavers went, as (destination, metric name), in the
/// model's order: the destinations of its routing map, its step-up
/// destination, and `home` last. The model writes them together, ending
/// with `<unit>.to.home`, so they are the run of `<unit>.to.*` names that
/// ends there.
pub fn destinations<'a>(r: &'a RunResults, unit: &str) -> Vec<(&'a str, &'a str)> {
    let prefix = format!("{unit}.to.");
    let home = format!("{prefix}{HOME}");
    let Some(end) = r.summary_names.iter().position(|n| *n == home) else {
        return Vec::new();
    };
    let start = r.summary_names[..end]
        .iter()
        .rposition(|n| !n.starts_with(&prefix))
        .map_or(0, |i| i + 1);
    r.summary_names[start..=end]
        .iter()
        .map(|n| (&n[prefix.len()..], n.as_str()))
        .collect()
}

/// Where `unit`'s step-ups go, from `<unit>.stepped_up_to.<destination>`
/// (written right after the unit's destinations).
pub fn stepup_destination<'a>(r: &'a RunResults, unit: &str) -> Option<&'a str> {
    let home = format!("{unit}.to.{HOME}");
    let at = r.summary_names.iter().position(|n| *n == home)?;
    r.summary_names
        .get(at + 1)?
        .strip_prefix(&format!("{unit}.stepped_up_to."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::plots::test_results;
    use crate::stats::Summary;

    #[test]
    fn tracks_streams_and_destinations_are_read_from_the_names() {
        let r = test_results();
        let t: Vec<_> = tracks(&r, "iop").iter().map(|t| t.name).collect();
        assert_eq!(t, ["morning", "evening.late"]);
        assert_eq!(tracks(&r, "iop")[1].prefix, "iop.evening.late");
        assert!(tracks(&r, "inpatient").is_empty());
        assert_eq!(streams(&r), ["step-down.v2", "community"]);
        let d: Vec<_> = destinations(&r, "iop").iter().map(|d| d.0).collect();
        assert_eq!(d, ["outpatient", "php", "home"]);
        assert_eq!(
            destinations(&r, "inpatient")[0],
            ("iop", "inpatient.to.iop")
        );
        assert_eq!(stepup_destination(&r, "iop"), Some("php"));
        assert_eq!(stepup_destination(&r, "inpatient"), None);
        assert!(is_session_unit(&r, "iop"));
        assert!(!is_session_unit(&r, "inpatient"));
    }

    #[test]
    fn names_with_dots_go_to_the_unit_that_owns_them() {
        let mut r = test_results();
        // A second unit whose name begins with the first's and a dot.
        r.capacity.push(("iop.x".into(), 12));
        let add = |r: &mut RunResults, n: &str| {
            r.summary_names.push(n.into());
            r.summary.push(Summary::of(&[1.0]));
        };
        for t in ["a", "b"] {
            for m in TRACK_METRICS {
                add(&mut r, &format!("iop.x.{t}.{m}"));
            }
            let mut h = r.track_waits[0].clone();
            h.unit = format!("iop.x.{t}");
            r.track_waits.push(h);
        }
        let names = |r: &RunResults, u: &str| -> Vec<String> {
            tracks(r, u).iter().map(|t| t.name.to_string()).collect()
        };
        assert_eq!(names(&r, "iop"), ["morning", "evening.late"]);
        assert_eq!(names(&r, "iop.x"), ["a", "b"]);
        // A track without all its metrics is not reported.
        let mut h = r.track_waits[0].clone();
        h.unit = "iop.partial".into();
        r.track_waits.push(h);
        add(&mut r, "iop.partial.census");
        assert_eq!(names(&r, "iop"), ["morning", "evening.late"]);
        // Names that begin like a destination but are not in the unit's run
        // of destinations (a unit named "iop.to" would write these).
        add(&mut r, "iop.to.census");
        let d: Vec<_> = destinations(&r, "iop").iter().map(|d| d.0).collect();
        assert_eq!(d, ["outpatient", "php", "home"]);
        // A stream whose name ends like one of its metrics.
        for m in STREAM_METRICS {
            add(&mut r, &format!("stream.a.referrals.{m}"));
        }
        assert_eq!(streams(&r), ["step-down.v2", "community", "a.referrals"]);
    }

    #[test]
    fn bed_units_have_no_dropouts_discharges_for_absence_or_step_ups() {
        let r = test_results();
        assert_eq!(unit_outcomes(&r, "iop"), OUTCOMES);
        assert_eq!(
            unit_outcomes(&r, "inpatient"),
            ["completed", "reneged", "turned_away", "no_shows"]
        );
    }
}
