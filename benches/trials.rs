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
    // The default with staff as a constraint: therapists on shifts with
    // leave and vacancy, a facilitator per group, an intake whose slots
    // come from the roster, and a caseload (issue 18: under 0.5 s on 2 cores).
    let staffed = [
        format!("simulation.trials={TRIALS}"),
        r#"staff.therapist.shifts=[{ days = ["mon", "tue", "wed", "thu", "fri"], start = "09:00", hours = 8, count = 1 }, { days = ["mon", "tue", "thu"], start = "17:00", hours = 5, count = 1 }]"#.to_string(),
        "staff.therapist.leave_weeks=5".to_string(),
        "staff.therapist.vacancy=0.05".to_string(),
        "staff.therapist.caseload=12".to_string(),
        r#"units.iop.tracks.morning.facilitators={ role = "therapist" }"#.to_string(),
        r#"units.iop.tracks.evening.facilitators={ role = "therapist" }"#.to_string(),
        r#"units.iop.intake={ slots_per_person = 1, role = "therapist", hours = 1.5, show = [[1, 0.72], [3, 0.41], [7, 0.38]] }"#.to_string(),
    ];
    let scenario =
        iopsim::scenario::load_str(iopsim::scenario::DEFAULT_TOML, "<default>", &staffed)
            .expect("the staffed default is valid");
    g.bench_function(
        BenchmarkId::new("staffed", format!("{threads}-threads")),
        |b| {
            b.iter(|| {
                run(
                    &scenario,
                    &RunOptions { threads },
                    &mut |_, _| Ok(()),
                    &mut |_| {},
                )
                .expect("runs")
            })
        },
    );
    g.finish();
}

criterion_group!(benches, trials);
criterion_main!(benches);
