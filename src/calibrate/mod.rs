//! Calibration from a clinic's own records (issue 21).
//!
//! A scenario's numbers (referral rates, show rates, lengths of stay,
//! attendance, weekly dropout and step-up hazards, routing shares) are
//! usually guessed or taken from the literature. Calibration estimates
//! them from the clinic's episode records instead, in the schema the
//! simulator's own patient log uses (`docs/data.md`, `patients.csv`), so
//! that one reader serves both a clinic's export and a simulated log.
//!
//! The plan, in layers, each usable and tested on its own:
//!
//! 1. [`records`]: read an episode CSV as a clinic would export it (BOM,
//!    comma or semicolon, ISO dates or date-times, open episodes), refuse
//!    identifying columns, report defects with their line and column;
//! 2. [`estimate`]: the estimators, pure functions with a value, a 95%
//!    interval and the count each rests on: Kaplan-Meier with Greenwood's
//!    variance, a weekly life table, Poisson rates (Garwood), proportions
//!    (Wilson), attendance as a beta net of binomial noise;
//! 3. [`fit`]: episodes to a scenario's numbers, each an estimate with
//!    its interval and count (so far the referral streams: rate and show
//!    rate); then `iopsim fit RECORDS.csv`, writing the scenario with every
//!    fitted number commented and sparse data flagged rather than hidden;
//! 4. (to come) `iopsim backtest`: simulate the fitted scenario over the
//!    records' own period and compare its distributions with what happened.

pub mod estimate;
pub mod fit;
pub mod fitted;
pub mod records;
pub mod sessions;
