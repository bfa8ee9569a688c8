//! The engine's speed: event-queue throughput, and M/M/c at load 0.9 with
//! 1,000,000 customers (c = 1 and 10) through iopsim's real scenario path (a
//! TOML string -> `scenario::load_str` -> `model::run_trial`), next to a bare
//! hand-written event loop for the same model (the speed of light). Fixed
//! seeds. Run: cargo bench --bench engine. Figures: docs/performance.md.

#[path = "common/mmc.rs"]
mod mmc;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use iopsim::engine::{EventQueue, SimTime};
use iopsim::model::{run_trial, Program};

const CUSTOMERS: u64 = 1_000_000;
const LOAD: f64 = 0.9;
const SEED: u64 = 1;

/// The hold model: a queue kept at `size` events; each step pops the
/// earliest and schedules one a pseudo-random time later.
fn queue(c: &mut Criterion) {
    const STEPS: u64 = 100_000;
    let mut g = c.benchmark_group("queue");
    g.throughput(Throughput::Elements(STEPS));
    for size in [16u64, 1024] {
        g.bench_with_input(BenchmarkId::new("hold", size), &size, |b, &size| {
            b.iter(|| {
                let mut q = EventQueue::with_capacity(size as usize);
                let mut x = 0x9E37_79B9_7F4A_7C15u64;
                let mut next = move || {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x % 1_000_000
                };
                for i in 0..size {
                    q.push(SimTime(next()), (i % 3) as u8, i);
                }
                for i in 0..STEPS {
                    let (t, _) = q.pop().expect("kept full");
                    q.push(SimTime(t.0 + next()), (i % 3) as u8, i);
                }
                black_box(q.len())
            })
        });
    }
    g.finish();
}

fn mmc(c: &mut Criterion) {
    let mut g = c.benchmark_group("mmc");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    for servers in [1u32, 10] {
        let text = mmc::scenario_toml(servers, LOAD, CUSTOMERS, 1, SEED);
        let scenario = iopsim::scenario::load_str(&text, "<mmc>", &[]).expect("valid");
        let program = Program::new(&scenario);
        // Poisson arrivals: count this seed's customers once for the throughput.
        let customers = run_trial(&program, SEED, 0).units[0].all.referrals;
        g.throughput(Throughput::Elements(customers));
        g.bench_function(BenchmarkId::new("iopsim", format!("c{servers}")), |b| {
            b.iter(|| run_trial(&program, SEED, 0))
        });
        g.throughput(Throughput::Elements(CUSTOMERS));
        g.bench_function(BenchmarkId::new("bare-loop", format!("c{servers}")), |b| {
            b.iter(|| mmc::bare_loop(servers, LOAD, CUSTOMERS, SEED).mean_wait)
        });
    }
    g.finish();
}

criterion_group!(benches, queue, mmc);
criterion_main!(benches);
