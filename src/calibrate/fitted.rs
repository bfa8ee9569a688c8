//! What a fit hands on: each fitted number of a scenario, named by the
//! dotted key `--set` uses (`referrals.community.per_week`,
//! `units.iop.dropout_weekly`), with its estimate, how it was made and
//! whether it rests on too little data.
//!
//! One list drives both faces of calibration: `iopsim fit` writes each
//! into the scenario with a comment, and the coverage check compares each
//! with the true value of the scenario a synthetic log was simulated from.

use super::estimate::Estimate;

/// Estimates resting on fewer than this many observations (events,
/// patients, referrals: each says which) are flagged as thin.
pub const MIN_COUNT: u64 = 20;

/// A fitted value, in the shape its scenario key takes.
#[derive(Debug, Clone, PartialEq)]
pub enum FittedValue {
    /// A number (`per_week = 1.9`).
    Number(Estimate),
    /// A whole number (`episode = { weeks = 12 }`): written rounded.
    Whole(Estimate),
    /// A list of numbers (`weekdays`, `months`, `dropout_weekly`).
    List(Vec<Estimate>),
    /// A table of shares by name (`on_completion = { outpatient = 0.8 }`).
    Map(Vec<(String, Estimate)>),
    /// A name (`to = "iop"`): no interval.
    Text(String),
}

impl FittedValue {
    /// The smallest count among the estimates (`None` for text).
    pub fn min_count(&self) -> Option<u64> {
        match self {
            FittedValue::Number(e) | FittedValue::Whole(e) => Some(e.n),
            FittedValue::List(v) => v.iter().map(|e| e.n).min(),
            FittedValue::Map(v) => v.iter().map(|(_, e)| e.n).min(),
            FittedValue::Text(_) => None,
        }
    }
}

/// One fitted scenario value.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    /// The dotted key, as `--set` takes it: `[[...]]` entries by name.
    pub key: String,
    pub value: FittedValue,
    /// How it was estimated and what it rests on, in one line of words
    /// (`"Poisson rate, Garwood's interval; 812 referrals in 52.0 weeks"`).
    pub how: String,
}

impl Fitted {
    /// Whether any of its estimates rests on fewer than [`MIN_COUNT`].
    pub fn thin(&self) -> bool {
        self.value.min_count().is_some_and(|n| n < MIN_COUNT)
    }
}
