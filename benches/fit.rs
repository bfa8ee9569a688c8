//! `iopsim fit`'s work on a year of a mid-size program, read from CSV
//! text and fitted: the default program with two groups per track and
//! 60% more referrals, one reported year and its 26 warm-up weeks, one
//! trial (some 500 episodes, 340 of them admitted, and 7,000 attendance
//! rows), exported as a clinic would: no trial column. Measured 12.5 ms
//! (docs/performance.md).
//! Run: cargo bench --bench fit

use criterion::{criterion_group, criterion_main, Criterion};
use iopsim::calibrate::fit::{self, FitOptions};
use iopsim::calibrate::{records, sessions};
use iopsim::scenario::{load_str, DEFAULT_TOML};

/// The CSV without its first (`trial`) column.
fn export(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .map(|l| l.split_once(',').map_or(l, |(_, rest)| rest))
        .collect::<Vec<_>>()
        .join("\n")
}

fn records_of_a_year() -> (String, String) {
    let sets: Vec<String> = [
        "simulation.seed=11",
        "units.iop.tracks.morning.groups=2",
        "units.iop.tracks.evening.groups=2",
        "rooms.group-room.count=2",
        "referrals.community.per_week=3.0",
        "referrals.php-stepdown.per_week=1.8",
        "referrals.inpatient-stepdown.per_week=1.45",
    ]
    .map(String::from)
    .to_vec();
    let scenario = load_str(DEFAULT_TOML, "bench", &sets).unwrap();
    let (patients, attendance) = iopsim::report::log::in_memory(&scenario, 1, true).unwrap();
    let attendance = attendance.unwrap();
    (export(&patients), export(&attendance))
}

fn bench(c: &mut Criterion) {
    let (patients, attendance) = records_of_a_year();
    let episodes = patients.lines().count() - 1;
    let rows = attendance.lines().count() - 1;
    let admitted = records::read_str("p.csv", &patients)
        .unwrap()
        .episodes
        .iter()
        .filter(|e| e.admitted.is_some())
        .count();
    eprintln!("records: {episodes} episodes ({admitted} admitted), {rows} attendance rows");
    c.bench_function("fit/read-and-fit-a-year", |b| {
        b.iter(|| {
            let recs = records::read_str("p.csv", &patients).unwrap();
            let reg = sessions::read_str("a.csv", &attendance).unwrap();
            fit::fit(&recs.episodes, Some(&reg), &FitOptions::default()).unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
