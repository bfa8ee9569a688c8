//! Parallel efficiency of `trials::run`, measured so that drift in the
//! machine's speed cancels: runs on 1 thread and on N threads alternate,
//! round after round, and each round gives one ratio (time on 1 thread /
//! time on N). Prints every round and the median ratio. The criterion bench
//! `cargo bench --bench trials` times the two cases minutes apart, which on
//! a shared or virtual machine can move the ratio by 0.1 either way.
//!
//!     cargo run --release --example efficiency -- --trials 1000 --rounds 15
//!
//! The scenario is the built-in default unless a file is given.

use std::time::Instant;

use clap::Parser;
use iopsim::trials::{run, RunOptions};

#[derive(Parser)]
struct Args {
    /// Scenario file (default: the built-in default scenario).
    scenario: Option<std::path::PathBuf>,
    #[arg(long, default_value_t = 1000)]
    trials: u32,
    /// Rounds of (1 thread, N threads).
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..))]
    rounds: u32,
    /// N (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

fn seconds(scenario: &iopsim::scenario::Scenario, threads: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    run(
        scenario,
        &RunOptions { threads },
        &mut |_, _| Ok(()),
        &mut |_| {},
    )?;
    Ok(started.elapsed().as_secs_f64())
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let overrides = [format!("simulation.trials={}", a.trials)];
    let scenario = match &a.scenario {
        Some(path) => iopsim::scenario::load_file(path, &overrides)?,
        None => {
            iopsim::scenario::load_str(iopsim::scenario::DEFAULT_TOML, "<default>", &overrides)?
        }
    };
    let n = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    // One untimed run of each warms caches and the allocator.
    seconds(&scenario, 1)?;
    seconds(&scenario, n)?;
    let mut ratios = Vec::new();
    for round in 1..=a.rounds {
        let one = seconds(&scenario, 1)?;
        let many = seconds(&scenario, n)?;
        ratios.push(one / many);
        println!(
            "round {round:>2}: 1 thread {:7.1} ms, {n} threads {:7.1} ms, ratio {:.3}",
            one * 1e3,
            many * 1e3,
            one / many
        );
    }
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    println!(
        "{} trials, {} rounds: median ratio {median:.3} (min {:.3}, max {:.3}) on {n} threads",
        a.trials,
        a.rounds,
        ratios[0],
        ratios[ratios.len() - 1]
    );
    Ok(())
}
