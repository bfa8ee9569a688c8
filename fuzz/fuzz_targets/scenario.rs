//! Fuzzes the scenario loader (TOML parsing, `--set` overrides, validation)
//! and what `iopsim check` computes from a valid scenario. Any input must
//! give a scenario or a `ScenarioError`: never a panic, an overflow or a hang.
//!
//! Input layout: the scenario text, then up to four `--set` strings, all
//! separated by NUL bytes. Not UTF-8: ignored (a file that is not UTF-8 fails
//! to read before the loader sees it).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split('\0');
    let toml = parts.next().unwrap_or("");
    let overrides: Vec<String> = parts.take(4).map(str::to_string).collect();
    if let Ok(s) = iopsim::scenario::load_str(toml, "fuzz", &overrides) {
        let _ = iopsim::model::capacity::estimate(&s);
        let _ = iopsim::model::capacity::run_cost_warning(&s);
        let _ = iopsim::model::Program::new(&s);
    }
});
