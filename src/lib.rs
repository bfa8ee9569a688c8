//! # iopsim
//!
//! A discrete-event Monte Carlo simulator for capacity planning of intensive
//! outpatient programs (IOP, ASAM level 2.1) and the levels of care around
//! them (inpatient, partial hospitalization, outpatient).
//!
//! A scenario (TOML, see `docs/scenario.md`) describes a program:
//!
//! - **referral streams**: non-homogeneous Poisson arrivals modulated by
//!   weekday, month and yearly growth, with a chance of not showing up;
//! - **bed units** (inpatient, residential, PHP as a census): capacity, length
//!   of stay, routing on discharge, and what happens when the next level is
//!   full (keep the bed, counting blocked days, or go home and wait);
//! - **session units** (the IOP): tracks on a weekly calendar, parallel groups
//!   of limited size in rooms with limited seats, holidays, rolling, cohort or
//!   continuous admission, episodes by weeks, sessions or a distribution,
//!   attendance with administrative discharge after consecutive absences,
//!   weekly dropout and step-up hazards by week of stay, phases of lower
//!   intensity, routing on completion;
//! - **waitlists** with capacity, priority classes (FIFO within) and reneging;
//! - **staff** hours per role from a workload table, against FTE on staff.
//!
//! Each trial is one simulated history ([`model::run_trial`]) driven by the
//! engine's deterministic event queue ([`engine`]); [`trials`] runs thousands
//! of them in parallel with per-trial random streams, and [`stats`] and
//! [`report`] turn them into distributions and files. See
//! `docs/architecture.md` for how the parts fit together.

pub mod calibrate;
pub mod cli;
pub mod commands;
pub mod decide;
pub mod engine;
pub mod model;
pub mod report;
pub mod scenario;
pub mod serve;
pub mod shard;
pub mod stats;
pub mod trials;
pub mod validate;

#[cfg(test)]
mod testing;
