//! Everything a run writes: CSV tables, the console summary, the output
//! directory. Reads result types only, never the engine.

pub mod console;
pub mod csv;
pub mod output;
