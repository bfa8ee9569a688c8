//! Golden outputs: the shipped scenarios give, byte for byte, the results
//! they gave before patient classes, track choice, group minimums, routing
//! maps and relapse were added (issue 19). A new feature left unused changes
//! nothing; when an issue does change a rule, the digests below move with
//! docs/validation.md saying what moved and why.
//!
//! To print the current digests (after such a change):
//! `IOPSIM_PRINT_DIGESTS=1 cargo test --release --test golden -- --nocapture`.

use std::fs;
use std::path::Path;

use assert_cmd::Command;

/// Trials per scenario: enough that every rule is exercised, quick to run.
const TRIALS: &str = "100";

/// (scenario file, FNV-1a 64 of summary.csv, weekly.csv, trials.csv) at
/// 100 trials, seed as in the file; taken at 47169ac, before issue 19.
const GOLDEN: [(&str, [u64; 3]); 5] = [
    (
        "cohort.toml",
        [0x3924378192c00527, 0x0999bae9b7ea7d86, 0xdd1ce2d346d07974],
    ),
    (
        "default.toml",
        [0xc9299e04acc88ac6, 0x4efc316bc503d243, 0x430910a7f9b17add],
    ),
    (
        "mental-health.toml",
        [0xbb0d7c3f66fc8fbc, 0x9006b1d155dd7a52, 0x85f537377b060991],
    ),
    (
        "public-sector-sud.toml",
        [0xecd3ed6eaebf0f47, 0x6bf902457df45ebe, 0x60b794329fe7fd90],
    ),
    (
        "staffed-iop.toml",
        [0x4208238f39c0e596, 0x101961a0079968c8, 0x78d43c4154d4cc9f],
    ),
];

const FILES: [&str; 3] = ["summary.csv", "weekly.csv", "trials.csv"];

/// FNV-1a, 64 bits: stable across platforms and Rust versions.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Runs `file` (with `extra` arguments) and returns its outputs' digests.
fn digests(file: &Path, extra: &[&str], out: &Path) -> [u64; 3] {
    Command::cargo_bin("iopsim")
        .unwrap()
        .args([
            "run",
            "--trials",
            TRIALS,
            "--no-plots",
            "--quiet",
            "--force",
        ])
        .args(extra)
        .arg("--out")
        .arg(out)
        .arg(file)
        .assert()
        .success();
    let dir = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir() && p.join("summary.csv").is_file())
        .expect("an output folder");
    FILES.map(|f| fnv1a(&fs::read(dir.join(f)).unwrap()))
}

#[test]
fn shipped_scenarios_give_the_results_they_gave_before_issue_19() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let print = std::env::var_os("IOPSIM_PRINT_DIGESTS").is_some();
    let mut moved = Vec::new();
    for (file, want) in GOLDEN {
        let tmp = tempfile::tempdir().unwrap();
        let got = digests(&root.join(file), &[], tmp.path());
        if print {
            println!(
                "{file}: [{:#018x}, {:#018x}, {:#018x}]",
                got[0], got[1], got[2]
            );
        }
        for ((name, g), w) in FILES.iter().zip(got).zip(want) {
            if g != w {
                moved.push(format!("{file}: {name} {g:#018x}, was {w:#018x}"));
            }
        }
    }
    assert!(moved.is_empty(), "outputs moved:\n{}", moved.join("\n"));
}
