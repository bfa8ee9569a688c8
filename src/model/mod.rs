//! The clinic model: patients, units, tracks and groups, waitlists, sessions
//! and staff workload. Pure rules, no I/O: it turns a validated scenario into
//! per-trial results through the engine.

pub mod calendar;
pub mod capacity;
pub mod clinic;
pub mod dist;
pub mod finance;
pub mod log;
pub mod program;
pub mod recorder;
pub mod result;
pub mod rng;
pub mod staffing;

pub use clinic::run_trial;
pub use program::Program;
pub use result::TrialResult;
