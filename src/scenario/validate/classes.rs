//! Validation of patient classes (`[[classes]]`), the classes of each
//! referral stream, and the unit keys that describe how patients differ
//! (`attendance_sd`) and choose a track (`track_choice`).

use std::collections::BTreeMap;

use super::{at, list_or_none, round9, Names, Validator, SHARE_SUM_TOL};
use crate::scenario::limits::MAX_CLASSES;
use crate::scenario::raw::{RawClass, RawReferral, RawUnit, TRACK_CHOICE_KEYS};
use crate::scenario::types::{
    Admission, ClassCare, ClassId, PatientClass, ReferralStream, TrackChoice, Unit, UnitKind,
};

/// The forms `track_choice` takes, for problems.
const TRACK_CHOICE_FORMS: &str =
    "\"preferred\", \"first_available\" or { accept_others_after_days = N }";

impl Validator<'_> {
    /// `[[classes]]`, checked against the units they apply to.
    pub(super) fn classes(
        &mut self,
        raw: &[RawClass],
        names: &Names,
        units: &[Unit],
    ) -> Vec<PatientClass> {
        self.at_most(
            "classes",
            raw.len(),
            MAX_CLASSES,
            "classes",
            "each adds a dozen columns to every trial's results",
        );
        let class_names: Vec<String> = raw
            .iter()
            .enumerate()
            .map(|(i, c)| self.non_empty_name(&format!("classes[{i}].name"), &c.name))
            .collect();
        self.unique("classes", "name", &class_names);
        raw.iter()
            .zip(class_names)
            .enumerate()
            .map(|(i, (c, name))| self.class(&format!("classes[{i}]"), c, name, names, units))
            .collect()
    }

    fn class(
        &mut self,
        path: &str,
        c: &RawClass,
        name: String,
        names: &Names,
        units: &[Unit],
    ) -> PatientClass {
        let show = c.show.map(|x| self.probability(&at(path, "show"), x));
        let priority = c.priority.map(|x| self.priority(&at(path, "priority"), x));
        // Where the class's unit-level keys apply.
        let scope: Vec<usize> = match &c.units {
            None => (0..units.len()).collect(),
            Some(list) => {
                if list.is_empty() {
                    self.push(
                        at(path, "units"),
                        "empty; name the units the class's keys apply to, or leave units out for every unit",
                    );
                }
                list.iter()
                    .enumerate()
                    .filter_map(|(k, u)| {
                        let id = names.unit(u);
                        if id.is_none() {
                            self.push(
                                format!("{path}.units[{k}]"),
                                format!(
                                    "no unit named '{u}'; units are: {}",
                                    list_or_none(&names.units)
                                ),
                            );
                        }
                        id
                    })
                    .collect()
            }
        };
        let sessions: Vec<usize> = scope
            .iter()
            .copied()
            .filter(|&u| matches!(units.get(u).map(|u| &u.kind), Some(UnitKind::Sessions(_))))
            .collect();
        let session_keys = [
            ("attendance", c.attendance.is_some()),
            ("attendance_sd", c.attendance_sd.is_some()),
            ("dropout_weekly", c.dropout_weekly.is_some()),
            ("stepup_weekly", c.stepup_weekly.is_some()),
            ("episode", c.episode.is_some()),
            ("tracks", c.tracks.is_some()),
            ("track_choice", c.track_choice.is_some()),
        ];
        if sessions.is_empty() && !units.is_empty() {
            for (key, given) in session_keys {
                if given {
                    self.push(
                        at(path, key),
                        format!(
                            "{key} applies in sessions units, and the class's units ({}) have none",
                            scope
                                .iter()
                                .filter_map(|&u| names.units.get(u).cloned())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
            }
        }
        let attendance = c
            .attendance
            .map(|x| self.probability(&at(path, "attendance"), x));
        let attendance_sd = c
            .attendance_sd
            .map(|x| self.non_negative(&at(path, "attendance_sd"), x));
        let dropout_weekly = c.dropout_weekly.as_ref().map(|v| {
            v.iter()
                .enumerate()
                .map(|(k, x)| self.probability(&format!("{path}.dropout_weekly[{k}]"), *x))
                .collect::<Vec<f64>>()
        });
        let stepup_weekly = c
            .stepup_weekly
            .map(|x| self.probability(&at(path, "stepup_weekly"), x));
        let episode = c
            .episode
            .as_ref()
            .map(|_| self.episode(&at(path, "episode"), &c.episode));
        let track_choice = c
            .track_choice
            .as_ref()
            .map(|v| self.track_choice(&at(path, "track_choice"), v));
        let patience = c
            .patience
            .as_ref()
            .map(|d| self.dist(&at(path, "patience"), d));

        let mut care = vec![None; units.len()];
        for &u in &scope {
            let Some(unit) = units.get(u) else { continue };
            let mut cc = ClassCare {
                patience: patience.clone(),
                ..ClassCare::default()
            };
            if let UnitKind::Sessions(su) = &unit.kind {
                let mean = attendance.unwrap_or(su.attendance);
                if let Some(sd) = attendance_sd {
                    self.attendance_spread(&at(path, "attendance_sd"), mean, sd, &unit.name);
                } else if su.attendance_sd > 0.0 && attendance.is_some() {
                    // The unit's spread with the class's mean.
                    self.attendance_spread(
                        &at(path, "attendance"),
                        mean,
                        su.attendance_sd,
                        &unit.name,
                    );
                }
                if let (Some(TrackChoice::FirstAvailable | TrackChoice::AfterDays(_)), true) =
                    (track_choice, su.admission == Admission::Continuous)
                {
                    self.push(
                        at(path, "track_choice"),
                        format!("unit '{}' admits continuously, where a patient takes the first free seat of their track at once; track_choice applies to rolling and cohort admission (set the class's units)", unit.name),
                    );
                }
                cc.attendance = attendance;
                cc.attendance_sd = attendance_sd;
                cc.dropout_weekly = dropout_weekly.clone();
                cc.stepup_weekly = stepup_weekly;
                cc.episode = episode.clone();
                cc.track_choice = track_choice;
                cc.track_shares = c
                    .tracks
                    .as_ref()
                    .map(|t| self.class_tracks(&at(path, "tracks"), t, unit));
            }
            care[u] = Some(cc);
        }
        PatientClass {
            name,
            show,
            priority,
            care,
        }
    }

    /// A class's track preferences in `unit`: shares by the unit's track
    /// index, the tracks not named at 0.
    fn class_tracks(&mut self, path: &str, t: &BTreeMap<String, f64>, unit: &Unit) -> Vec<f64> {
        let UnitKind::Sessions(su) = &unit.kind else {
            return Vec::new();
        };
        let mut shares = vec![0.0; su.tracks.len()];
        let mut sum = 0.0;
        for (name, share) in t {
            let p = self.probability(&at(path, name), *share);
            sum += p;
            match su.tracks.iter().position(|tr| &tr.name == name) {
                Some(j) => shares[j] = p,
                None => self.push(
                    at(path, name),
                    format!(
                        "unit '{}' has no track '{name}'; its tracks are: {} (set the class's units to those that have it)",
                        unit.name,
                        su.tracks
                            .iter()
                            .map(|t| t.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            }
        }
        if sum.is_finite() && (sum - 1.0).abs() > SHARE_SUM_TOL {
            self.push(
                path,
                format!("track shares sum to {}; they must sum to 1", round9(sum)),
            );
        }
        shares
    }

    /// `track_choice` of a unit or a class.
    pub(super) fn track_choice(&mut self, path: &str, v: &toml::Value) -> TrackChoice {
        match v {
            toml::Value::String(s) if s == "preferred" => TrackChoice::Preferred,
            toml::Value::String(s) if s == "first_available" => TrackChoice::FirstAvailable,
            toml::Value::Table(t) => {
                for k in t.keys() {
                    if !TRACK_CHOICE_KEYS.contains(&k.as_str()) {
                        self.push(
                            at(path, k),
                            format!("unknown key; allowed: {}", TRACK_CHOICE_KEYS.join(", ")),
                        );
                    }
                }
                let key = at(path, "accept_others_after_days");
                match t.get("accept_others_after_days") {
                    None => {
                        self.push(
                            &key,
                            format!("missing; track_choice is {TRACK_CHOICE_FORMS}"),
                        );
                        TrackChoice::Preferred
                    }
                    Some(x) => match x.as_float().or(x.as_integer().map(|i| i as f64)) {
                        Some(d) => TrackChoice::AfterDays(self.non_negative(&key, d)),
                        None => {
                            self.push(
                                &key,
                                format!("must be a number of days, got {}", super::value_kind(x)),
                            );
                            TrackChoice::Preferred
                        }
                    },
                }
            }
            other => {
                let shown = match other {
                    toml::Value::String(s) => format!("'{s}'"),
                    v => super::value_kind(v),
                };
                self.push(
                    path,
                    format!("{shown} is not a track choice; allowed: {TRACK_CHOICE_FORMS}"),
                );
                TrackChoice::Preferred
            }
        }
    }

    /// Checks that a beta distribution with `mean` and `sd` exists (sd
    /// below sqrt(mean x (1 - mean))), for attendance drawn per patient.
    pub(super) fn attendance_spread(&mut self, path: &str, mean: f64, sd: f64, unit: &str) {
        if !(mean.is_finite() && sd.is_finite()) || sd == 0.0 {
            return;
        }
        let max = (mean * (1.0 - mean)).max(0.0).sqrt();
        if sd >= max {
            self.push(
                path,
                format!(
                    "an attendance sd of {sd} is too wide for a mean of {mean} in unit '{unit}': each patient's rate is drawn from a beta distribution, which needs sd < sqrt(mean x (1 - mean)) = {}",
                    round9(max)
                ),
            );
        }
    }

    /// The classes of each referral stream (`class` or `classes`),
    /// resolved once the classes are known.
    pub(super) fn referral_classes(
        &mut self,
        raw: &[RawReferral],
        referrals: &mut [ReferralStream],
        classes: &[PatientClass],
    ) {
        let class_names: Vec<String> = classes.iter().map(|c| c.name.clone()).collect();
        let find = |name: &str| -> Option<ClassId> { classes.iter().position(|c| c.name == name) };
        for (i, (r, stream)) in raw.iter().zip(referrals.iter_mut()).enumerate() {
            let path = format!("referrals[{i}]");
            let unknown = |v: &mut Self, key: String, name: &str| {
                v.push(
                    key,
                    format!(
                        "no class named '{name}'; classes are: {}",
                        list_or_none(&class_names)
                    ),
                );
            };
            match (&r.class, &r.classes) {
                (Some(_), Some(_)) => self.push(
                    at(&path, "classes"),
                    "give class (one class) or classes (shares of several), not both",
                ),
                (Some(name), None) => match find(name) {
                    Some(c) => stream.classes = vec![(c, 1.0)],
                    None => unknown(self, at(&path, "class"), name),
                },
                (None, Some(map)) => {
                    let key = at(&path, "classes");
                    if map.is_empty() {
                        self.push(&key, "empty; give { class = share, ... } summing to 1");
                    }
                    let mut sum = 0.0;
                    for (name, share) in map {
                        let p = self.probability(&at(&key, name), *share);
                        sum += p;
                        match find(name) {
                            Some(c) => stream.classes.push((c, p)),
                            None => unknown(self, at(&key, name), name),
                        }
                    }
                    if !map.is_empty() && sum.is_finite() && (sum - 1.0).abs() > SHARE_SUM_TOL {
                        self.push(
                            &key,
                            format!("class shares sum to {}; they must sum to 1", round9(sum)),
                        );
                    }
                }
                (None, None) => {}
            }
        }
    }

    /// The class of each unit's relapse referrals (`relapse.class`),
    /// resolved once the classes are known.
    pub(super) fn relapse_classes(
        &mut self,
        raw: &[RawUnit],
        units: &mut [Unit],
        classes: &[PatientClass],
    ) {
        for (i, (r, u)) in raw.iter().zip(units.iter_mut()).enumerate() {
            let (Some(name), Some(relapse)) = (
                r.relapse.as_ref().and_then(|x| x.class.as_ref()),
                u.relapse.as_mut(),
            ) else {
                continue;
            };
            match classes.iter().position(|c| &c.name == name) {
                Some(c) => relapse.class = Some(c),
                None => {
                    let names: Vec<String> = classes.iter().map(|c| c.name.clone()).collect();
                    self.push(
                        format!("units[{i}].relapse.class"),
                        format!(
                            "no class named '{name}'; classes are: {}",
                            list_or_none(&names)
                        ),
                    );
                }
            }
        }
    }

    /// A sessions unit's `track_choice` (not with continuous admission).
    pub(super) fn unit_track_choice(
        &mut self,
        path: &str,
        raw: &Option<toml::Value>,
        admission: Admission,
    ) -> TrackChoice {
        let Some(v) = raw else {
            return TrackChoice::Preferred;
        };
        let choice = self.track_choice(path, v);
        if choice != TrackChoice::Preferred && admission == Admission::Continuous {
            self.push(
                path,
                "with admission = \"continuous\" a patient takes the first free seat of their track at once; track_choice applies to rolling and cohort admission",
            );
        }
        choice
    }
}
