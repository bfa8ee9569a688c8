//! Everything a run writes: CSV tables, plots, the HTML report, the console
//! summary, the output directory. Reads result types only, never the engine.

pub mod console;
pub mod csv;
pub mod format;
pub mod html;
pub mod log;
pub mod output;
pub mod plots;
