//! The engine against queueing theory: the fast subset of `iopsim validate`
//! must pass, and the suite's own assumptions (every shipped scenario is
//! checked, session units admitting continuously are bed units, thread
//! count does not matter) hold.

use iopsim::cli::ValidateArgs;
use iopsim::model::{run_trial, Program};
use iopsim::scenario::load_str;
use iopsim::validate::cases::{self, beds_toml, sessions_toml, Run, Suite, EXP_STAY};
use iopsim::validate::{self, run_case, Check};

/// The fast subset through the command itself: runs every case, writes
/// validation.csv, and fails if the engine drifts from theory. Takes seconds
/// in release mode but minutes in debug, hence `cargo test --release`.
///
/// A 99% interval misses the truth in one check out of a hundred by
/// construction, so any change to the random streams has a fair chance of
/// tripping one of the ~20 checks. A drifting engine fails again with fresh
/// random numbers; chance does not. So a check that fails with seed 1 must
/// fail again with seed 2 to fail the test.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "slow without optimizations: cargo test --release"
)]
fn fast_validation_suite_agrees_with_theory() {
    let out = tempfile::tempdir().unwrap();
    let result = iopsim::commands::validate(&ValidateArgs {
        full: false,
        threads: 0,
        seed: 1,
        out: out.path().to_path_buf(),
        force: false,
    });
    let csv = std::fs::read_to_string(out.path().join("validation/validation.csv"))
        .expect("validation.csv is written even when checks fail");
    let rows = csv.lines().count() - 1;
    assert!(rows >= 20, "only {rows} checks");
    for kind in [
        "M/M/5 ",
        "M/M/10/10",
        "M/G/",
        "+M ",
        "M/M/inf",
        "sessions",
        "Little",
    ] {
        assert!(csv.contains(kind), "no {kind} case in the fast subset");
    }
    // (case, quantity) of the checks that failed with seed 1.
    let failed: Vec<(String, String)> = csv
        .lines()
        .skip(1)
        .filter(|l| l.contains(",false,"))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[4].to_string())
        })
        .collect();
    assert_eq!(result.is_ok(), failed.is_empty(), "{result:?}");
    if failed.is_empty() {
        return;
    }
    let again = validate::run(Suite::Fast, 2, 0, &mut |_, _, _| {}).unwrap();
    let drifted: Vec<&Check> = again
        .checks
        .iter()
        .filter(|c| {
            !c.pass()
                && failed
                    .iter()
                    .any(|(case, q)| *case == c.case && q == c.quantity.key())
        })
        .collect();
    assert!(
        drifted.is_empty(),
        "the engine drifted from theory: these checks fail with seeds 1 and 2:\n{}",
        drifted
            .iter()
            .map(|c| format!(
                "{} {}: theory {}, simulated {} [{}, {}] (99% family-wise)",
                c.case,
                c.quantity.label(),
                c.theory,
                c.sim.mean,
                c.interval().0,
                c.interval().1
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn every_shipped_scenario_is_checked_for_littles_law() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    files.sort();
    let mut embedded: Vec<String> = cases::SHIPPED.iter().map(|(f, _)| f.to_string()).collect();
    embedded.sort();
    assert_eq!(
        files, embedded,
        "list new scenarios in validate::cases::SHIPPED"
    );
    for (file, text) in cases::SHIPPED {
        let on_disk = std::fs::read_to_string(dir.join(file)).unwrap();
        assert_eq!(on_disk, text, "{file} embedded copy is stale (rebuild)");
    }
}

/// Same seed, same stream name: a session unit with continuous admission,
/// exponential episodes and `groups x size` seats must reproduce a bed unit
/// with that many beds patient by patient, not just on average.
#[test]
fn continuous_sessions_are_bed_units_path_by_path() {
    let run = Run {
        warmup: 2,
        weeks: 8,
        trials: 3,
        seed: 11,
    };
    for (groups, size, a) in [(1, 5, 4.5), (3, 4, 11.0)] {
        let c = groups * size;
        let beds = load_str(&beds_toml("beds", &run, c, a, EXP_STAY, ""), "beds", &[]).unwrap();
        let sessions = load_str(
            &sessions_toml("sessions", &run, groups, size, a),
            "sessions",
            &[],
        )
        .unwrap();
        let (pb, ps) = (Program::new(&beds), Program::new(&sessions));
        for t in 0..3 {
            let (b, s) = (run_trial(&pb, 11, t), run_trial(&ps, 11, t));
            let (b, s) = (&b.units[0], &s.units[0]);
            assert!(b.counts.admitted > 100 && b.wait_secs.iter().any(|&s| s > 0));
            assert_eq!(b.counts, s.counts, "{groups}x{size}, trial {t}");
            assert_eq!(b.wait_secs, s.wait_secs, "{groups}x{size}, trial {t}");
            assert_eq!(b.census, s.census);
            assert_eq!(b.waitlist, s.waitlist);
        }
    }
}

#[test]
fn validation_results_do_not_depend_on_the_thread_count() {
    let case = cases::cases(Suite::Fast, 3)
        .unwrap()
        .into_iter()
        .find(|c| c.id.starts_with("Little mental-health"))
        .unwrap();
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let (one, _) = run_case(&case, &pool(1));
    let (two, _) = run_case(&case, &pool(2));
    assert_eq!(one.len(), two.len());
    for (a, b) in one.iter().zip(&two) {
        assert_eq!(a.sim, b.sim);
        assert_eq!(a.theory.to_bits(), b.theory.to_bits());
    }
}

#[test]
fn cases_differ_by_seed_and_each_case_has_its_own_stream() {
    let a = cases::cases(Suite::Fast, 1).unwrap();
    let b = cases::cases(Suite::Fast, 2).unwrap();
    let seeds_a: Vec<u64> = a.iter().map(|c| c.scenario.simulation.seed).collect();
    let seeds_b: Vec<u64> = b.iter().map(|c| c.scenario.simulation.seed).collect();
    assert!(seeds_a.iter().zip(&seeds_b).all(|(x, y)| x != y));
    let mut unique = seeds_a.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seeds_a.len(), "two cases share a seed");
    // A huge --seed still gives valid scenarios (case seeds fit a TOML integer).
    assert!(cases::cases(Suite::Fast, u64::MAX).is_ok());
}
