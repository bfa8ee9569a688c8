//! M/M/c through iopsim's real scenario path, for the peer comparison in
//! `benches/peers/run.sh`: generates the scenario text, loads it with
//! `scenario::load_str`, runs `--reps` trials one after another on one
//! thread and prints one JSON line with customers, seconds and the mean wait
//! (in mean service times) with its standard error and 95% confidence
//! interval across trials, and Erlang C's exact value.
//!
//!     cargo run --release --example mmc -- --servers 10 --load 0.9 --customers 1000000
//!
//! `--bare` runs the hand-written event loop instead (the speed of light).

#[path = "../benches/common/mmc.rs"]
mod mmc;

use std::time::Instant;

use clap::Parser;
use iopsim::model::{run_trial, Program};
use iopsim::stats::Summary;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 1)]
    servers: u32,
    #[arg(long, default_value_t = 0.9)]
    load: f64,
    /// Customers in all, over all replications.
    #[arg(long, default_value_t = 1_000_000)]
    customers: u64,
    /// Independent replications (trials) the customers are split over.
    #[arg(long, default_value_t = 20)]
    reps: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Run the bare hand-written loop instead of iopsim's model.
    #[arg(long)]
    bare: bool,
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let per_rep = a.customers / u64::from(a.reps.max(1));
    let started = Instant::now();
    let mut customers = 0u64;
    let mut waits = Vec::new();
    let tool = if a.bare {
        for r in 0..a.reps {
            let run = mmc::bare_loop(a.servers, a.load, per_rep, a.seed * 1000 + u64::from(r));
            customers += run.customers;
            waits.push(run.mean_wait);
        }
        "rust-bare-loop"
    } else {
        let text = mmc::scenario_toml(a.servers, a.load, per_rep, a.reps, a.seed);
        let scenario = iopsim::scenario::load_str(&text, "<mmc>", &[])?;
        let program = Program::new(&scenario);
        for t in 0..u64::from(a.reps) {
            let r = run_trial(&program, a.seed, t);
            let u = &r.units[0];
            customers += u.all.referrals;
            waits.push(u.wait_days / mmc::STAY_DAYS);
        }
        "iopsim"
    };
    let seconds = started.elapsed().as_secs_f64();
    let s = Summary::of(&waits);
    let se = s.sd / (s.n as f64).sqrt();
    // The JSON line of benches/peers/common.py.
    println!(
        "{{\"tool\": \"{tool}\", \"model\": \"mmc\", \"servers\": {}, \"load\": {}, \
         \"customers\": {customers}, \"seconds\": {seconds:.6}, \"wait\": {{\"mean\": {:.6}, \
         \"se\": {se:.6}, \"ci_low\": {:.6}, \"ci_high\": {:.6}, \"n\": {}}}, \"erlang_c\": {:.6}}}",
        a.servers,
        a.load,
        s.mean,
        s.ci95_low,
        s.ci95_high,
        s.n,
        mmc::erlang_c_wait(a.servers, a.load)
    );
    Ok(())
}
