//! A real Slurm cluster runs the shards and the merge (deploy/slurm/,
//! docs/scaling.md): a job array of 4 shards and a merge job that depends
//! on it (`afterok`), submitted through `deploy/slurm/submit.sh`; the merged
//! folder must be the single run's, byte for byte.
//!
//! The test starts the single-node cluster itself when `sbatch` is there
//! but no controller answers (`deploy/slurm/local-cluster.sh`, which `.ci/run`
//! also calls after installing slurm-wlm and munge; idempotent). In CI
//! (`CI` set) a missing `sbatch` fails the test. Elsewhere, without
//! `sbatch`, the test says so and checks nothing.

mod common;

use std::path::Path;
use std::process::Command;

use common::shards::assert_same_outputs;

fn have_sbatch() -> bool {
    Command::new("sbatch")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn cluster_answers() -> bool {
    Command::new("sinfo")
        .args(["-h", "-o", "%T"])
        .output()
        .is_ok_and(|o| {
            o.status.success() && {
                let states = String::from_utf8_lossy(&o.stdout);
                ["idle", "mix", "alloc"].iter().any(|s| states.contains(s))
            }
        })
}

/// Starts the local cluster if none answers: the daemons do not outlive
/// the machine's restart, and a test that needs a service starts it.
fn start_cluster(root: &Path) {
    if cluster_answers() {
        return;
    }
    let started = Command::new(root.join("deploy/slurm/local-cluster.sh"))
        .output()
        .unwrap();
    assert!(
        started.status.success() && cluster_answers(),
        "no Slurm controller answered and deploy/slurm/local-cluster.sh did not start one: {started:?}"
    );
}

#[test]
fn a_job_array_of_shards_and_a_dependent_merge_give_the_single_run() {
    if !have_sbatch() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run this test on a Slurm cluster: sbatch is missing (.ci/run starts one with deploy/slurm/local-cluster.sh)"
        );
        eprintln!("slurm: sbatch not found and CI unset: skipped (deploy/slurm/local-cluster.sh starts a cluster)");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    start_cluster(root);
    let bin = env!("CARGO_BIN_EXE_iopsim");
    let scenario = root.join("scenarios/default.toml");
    let tmp = tempfile::tempdir().unwrap();
    let args = [
        scenario.to_str().unwrap(),
        "--trials",
        "200",
        "--seed",
        "11",
    ];

    let single = Command::new(bin)
        .arg("run")
        .args(args)
        .args(["--quiet", "--out"])
        .arg(tmp.path().join("single"))
        .output()
        .unwrap();
    assert!(single.status.success(), "{single:?}");

    let work = tmp.path().join("slurm");
    let submitted = Command::new(root.join("deploy/slurm/submit.sh"))
        .env("IOPSIM", bin)
        .arg("--wait")
        .arg("4")
        .arg(&work)
        .arg("run")
        .args(args)
        .output()
        .unwrap();
    let logs = || {
        std::fs::read_dir(work.join("logs"))
            .map(|d| {
                d.map(|e| {
                    let p = e.unwrap().path();
                    format!(
                        "--- {}\n{}",
                        p.display(),
                        std::fs::read_to_string(&p).unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
            })
            .unwrap_or_default()
    };
    assert!(
        submitted.status.success(),
        "submit.sh: {submitted:?}\n{}",
        logs()
    );
    let stdout = String::from_utf8_lossy(&submitted.stdout);
    assert!(stdout.contains("shards: job array"), "{stdout}");
    // Four shards ran, each its own task.
    for k in 0..4 {
        let dir = work
            .join("shards")
            .join(format!("midsize-adult-iop.shard-{k}-of-4"));
        assert!(
            dir.join("shard.json").is_file(),
            "{}\n{}",
            dir.display(),
            logs()
        );
    }
    assert_same_outputs(
        &tmp.path().join("single/midsize-adult-iop"),
        &work.join("output/midsize-adult-iop"),
    );
}
