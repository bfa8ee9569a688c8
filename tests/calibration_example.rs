//! The example records of docs/calibration.md are made by iopsim, from
//! docs/examples/calibration/example-clinic.toml, and this test is how:
//! it simulates the clinic's two years again and checks that the shipped
//! `records.csv` and `attendance.csv` are exactly what comes out. With
//! `IOPSIM_WRITE_EXAMPLE=1` it writes them instead (after a change to the
//! scenario or the log), e.g.
//! `IOPSIM_WRITE_EXAMPLE=1 cargo test --release --test calibration_example`.
//!
//! A clinic's export covers a stretch of time, not a simulation's empty
//! start: the rows are those of trial 0 that were still open on the
//! scenario's `start_date` or began after it (a patient already in care
//! on the first day is in it; one who left during the warm-up is not),
//! without the `trial` column; the attendance rows are those of sessions
//! from `start_date` on.

use std::path::{Path, PathBuf};

use iopsim::scenario::load_file;

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/calibration")
}

/// The two files as a clinic would export them.
fn make() -> (String, String) {
    let scenario = load_file(&example_dir().join("example-clinic.toml"), &[]).unwrap();
    let (patients, attendance) = iopsim::report::log::in_memory(&scenario, 1, true).unwrap();
    let attendance = attendance.unwrap();
    let start = format!(
        "{} 00:00:00",
        scenario.simulation.start_date.format("%Y-%m-%d")
    );
    (
        export(&patients, |row, col| {
            let left = &row[col("left")];
            left.is_empty() || left >= start.as_str()
        }),
        export(&attendance, |row, col| &row[col("start")] >= start.as_str()),
    )
}

/// The CSV without its `trial` column, keeping the rows `keep` says.
fn export(
    csv_bytes: &[u8],
    keep: impl Fn(&csv::StringRecord, &dyn Fn(&str) -> usize) -> bool,
) -> String {
    let mut r = csv::Reader::from_reader(csv_bytes);
    let header = r.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(col("trial"), 0);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header.iter().skip(1)).unwrap();
    for row in r.records() {
        let row = row.unwrap();
        assert_eq!(&row[0], "0");
        if keep(&row, &col) {
            w.write_record(row.iter().skip(1)).unwrap();
        }
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

#[test]
fn the_shipped_example_records_are_what_iopsim_makes() {
    let (records, attendance) = make();
    let dir = example_dir();
    if std::env::var_os("IOPSIM_WRITE_EXAMPLE").is_some() {
        std::fs::write(dir.join("records.csv"), &records).unwrap();
        std::fs::write(dir.join("attendance.csv"), &attendance).unwrap();
    }
    let shipped = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    // Compared as a whole, but reported by line, so a change reads.
    for (name, made) in [("records.csv", &records), ("attendance.csv", &attendance)] {
        let old = shipped(name);
        if let Some((i, (a, b))) = old
            .lines()
            .zip(made.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
        {
            panic!("{name} line {}: shipped {a:?}, made {b:?}", i + 1);
        }
        assert_eq!(old.lines().count(), made.lines().count(), "{name}: rows");
        assert_eq!(&old, made, "{name}");
    }
    // A clinic's export, of the size the docs say: two years of a
    // mid-size program.
    let episodes = records.lines().count() - 1;
    let sessions = attendance.lines().count() - 1;
    assert!((400..800).contains(&episodes), "{episodes} episodes");
    assert!(
        (4_000..12_000).contains(&sessions),
        "{sessions} attendance rows"
    );
    assert!(!records.starts_with("trial,"));
}
