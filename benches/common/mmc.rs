//! The M/M/c bed unit shared by the `engine` bench and `examples/mmc.rs`: the
//! scenario text that runs it through iopsim's real path, Erlang C to check
//! it against, and the bare hand-written event loop that is the speed of
//! light for the same model.
//!
//! Time unit: mean service time = `STAY_DAYS` days. A stay this short keeps a
//! million customers within the scenario limit of 5,200 weeks; at 864 s the
//! rounding of sampled durations to whole seconds is negligible.
#![allow(dead_code)]

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};
use rand_pcg::Pcg64Mcg;

/// Mean length of stay, in days.
pub const STAY_DAYS: f64 = 0.01;

/// Reported weeks needed for about `customers` arrivals at `servers` x `load`.
pub fn weeks_for(servers: u32, load: f64, customers: u64) -> u32 {
    let per_week = arrivals_per_week(servers, load);
    ((customers as f64 / per_week).ceil() as u32).max(1)
}

fn arrivals_per_week(servers: u32, load: f64) -> f64 {
    load * f64::from(servers) / STAY_DAYS * 7.0
}

/// A scenario with one bed unit of `servers` beds, exponential stays and
/// homogeneous Poisson referrals at utilisation `load`, sized for about
/// `customers` arrivals after a one-week warm-up (not reported, but simulated
/// and counted as customers).
pub fn scenario_toml(servers: u32, load: f64, customers: u64, trials: u32, seed: u64) -> String {
    let per_week = arrivals_per_week(servers, load);
    let weeks = weeks_for(servers, load, customers);
    format!(
        r#"name = "mmc-c{servers}"
description = "M/M/{servers} at load {load}: bed unit, exponential stay, Poisson referrals."

[simulation]
start_date = "2027-01-04"
weeks = {weeks}
warmup_weeks = 1
trials = {trials}
seed = {seed}

[[referrals]]
name = "arrivals"
to = "beds"
per_week = {per_week:?}

[[units]]
name = "beds"
kind = "beds"
capacity = {servers}
stay = {{ dist = "exponential", mean = {STAY_DAYS:?} }}
"#
    )
}

/// Erlang C: the mean wait in queue of M/M/c, in units of the mean service
/// time, at utilisation `rho` = lambda / (c mu) < 1.
pub fn erlang_c_wait(servers: u32, rho: f64) -> f64 {
    let c = f64::from(servers);
    let a = rho * c;
    // Erlang B by the stable recursion, then C from B.
    let mut b = 1.0;
    for k in 1..=servers {
        b = a * b / (f64::from(k) + a * b);
    }
    let p_wait = b / (1.0 - rho * (1.0 - b));
    p_wait / (c - a)
}

/// What a run of the bare loop produced.
pub struct BareRun {
    pub customers: u64,
    /// Mean wait in queue, in units of the mean service time.
    pub mean_wait: f64,
}

/// The speed of light: M/M/c written by hand, with a binary heap of two event
/// kinds (arrival, departure), a FIFO of waiting arrival times and no model,
/// recorder or scenario. Time is an f64 in units of the mean service time.
pub fn bare_loop(servers: u32, load: f64, customers: u64, seed: u64) -> BareRun {
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    enum Kind {
        Departure,
        Arrival,
    }
    let lambda = load * f64::from(servers);
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let mut exp = move || -> f64 { Exp1.sample(&mut rng) };
    // Key: (time bits, kind). Non-negative f64s order like their bit patterns.
    let mut heap: BinaryHeap<Reverse<(u64, Kind)>> = BinaryHeap::with_capacity(64);
    let mut queue: VecDeque<f64> = VecDeque::new();
    let mut busy = 0u32;
    let mut arrived = 0u64;
    let mut waited = 0u64;
    let mut wait_sum = 0.0;
    heap.push(Reverse(((exp() / lambda).to_bits(), Kind::Arrival)));
    while let Some(Reverse((bits, kind))) = heap.pop() {
        let now = f64::from_bits(bits);
        match kind {
            Kind::Arrival => {
                arrived += 1;
                if arrived < customers {
                    let next = now + exp() / lambda;
                    heap.push(Reverse((next.to_bits(), Kind::Arrival)));
                }
                if busy < servers {
                    busy += 1;
                    waited += 1;
                    heap.push(Reverse(((now + exp()).to_bits(), Kind::Departure)));
                } else {
                    queue.push_back(now);
                }
            }
            Kind::Departure => match queue.pop_front() {
                Some(t) => {
                    waited += 1;
                    wait_sum += now - t;
                    heap.push(Reverse(((now + exp()).to_bits(), Kind::Departure)));
                }
                None => busy -= 1,
            },
        }
    }
    BareRun {
        customers: arrived,
        mean_wait: wait_sum / waited.max(1) as f64,
    }
}
