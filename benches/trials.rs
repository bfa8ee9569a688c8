//! 1,000 trials of the default scenario through `trials::run` (the whole
//! Monte Carlo: simulation, per-trial rows and the fold into summaries), on
//! one thread and on all threads, for the parallel efficiency. Fixed seed.
//! Run: cargo bench --bench trials. Figures: docs/performance.md.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use iopsim::trials::{run, RunOptions};

const TRIALS: u32 = 1000;

fn trials(c: &mut Criterion) {
    let overrides = [format!("simulation.trials={TRIALS}")];
    let scenario =
        iopsim::scenario::load_str(iopsim::scenario::DEFAULT_TOML, "<default>", &overrides)
            .expect("the default scenario is valid");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut g = c.benchmark_group("trials");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(u64::from(TRIALS)));
    let mut counts = vec![1];
    if threads > 1 {
        counts.push(threads);
    }
    for n in counts {
        g.bench_function(BenchmarkId::new("default", format!("{n}-threads")), |b| {
            b.iter(|| {
                run(
                    &scenario,
                    &RunOptions { threads: n },
                    &mut |_, _| Ok(()),
                    &mut |_| {},
                )
                .expect("runs")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, trials);
criterion_main!(benches);
