//! Calibration from a clinic's own records (issue 21).
//!
//! A scenario's numbers (referral rates, show rates, lengths of stay,
//! attendance, weekly dropout and step-up hazards, routing shares) are
//! usually guessed or taken from the literature. Calibration estimates
//! them from the clinic's episode records instead, in the schema the
//! simulator's own patient log uses (`docs/data.md`, `patients.csv`), so
//! that one reader serves both a clinic's export and a simulated log.
//!
//! The layers, each usable and tested on its own:
//!
//! 1. [`records`] and [`sessions`]: read an episode CSV and an attendance
//!    register as a clinic would export them (BOM, comma or semicolon, ISO
//!    dates or date-times, open episodes), refuse identifying columns,
//!    report defects with their line and column;
//! 2. [`estimate`]: the estimators, pure functions with a value, a 95%
//!    interval and the count each rests on: Kaplan-Meier with Greenwood's
//!    variance, a weekly life table, Poisson rates (Garwood), proportions
//!    (Wilson), attendance as a beta net of binomial noise;
//! 3. [`fit`]: episodes to a scenario's numbers, a [`fitted::Fitted`] per
//!    key (the dotted key `--set` takes) with its estimate, or a note when
//!    the records cannot tell;
//! 4. [`mod@write`] and [`command`]: `iopsim fit`, the fitted values written
//!    into a capacity scenario's text, each commented, checked to load
//!    before the file is written;
//! 5. [`backtest`]: `iopsim backtest`, a scenario started from the
//!    records' state on a date and simulated to their end, what the
//!    records show set against the simulated bands week by week.

pub mod backtest;
pub mod command;
pub mod estimate;
pub mod fit;
pub mod fitted;
pub mod records;
pub mod sessions;
pub mod write;
