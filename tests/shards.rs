//! Shards and merge (`--shard K/N`, `iopsim merge`, docs/scaling.md): any
//! partition of the trials into shards, merged in any order, gives the
//! single run's outputs byte for byte (run.json but its wall-clock fields);
//! bad shards are refused with the folder or file and what differs, exit
//! code 2, nothing written.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use proptest::prelude::*;

use common::shards::assert_same_outputs;

fn iopsim() -> Command {
    Command::cargo_bin("iopsim").unwrap()
}

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

const FOLDER: &str = "midsize-adult-iop";

/// `iopsim <args> --out <out>`, which must succeed.
fn ok(args: &[&str], out: &Path) {
    iopsim()
        .args(args)
        .args(["--quiet", "--out"])
        .arg(out)
        .assert()
        .success();
}

/// Runs shard `k`/`n` of `args` into `out`; returns its folder.
fn shard(args: &[&str], k: u64, n: u64, out: &Path) -> PathBuf {
    let s = format!("{k}/{n}");
    let mut a = args.to_vec();
    a.extend(["--shard", &s]);
    ok(&a, out);
    let dir = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .ends_with(&format!(".shard-{k}-of-{n}"))
        })
        .expect("the shard's folder");
    dir
}

/// `args` run once into `root/single`, and as shards `order` of `n` into
/// `root/shards`, merged into `root/merged`: the folder the single run
/// wrote (its only one) and the merged folder of that name.
fn single_and_merged(args: &[&str], order: &[u64], n: u64, root: &Path) -> (PathBuf, PathBuf) {
    ok(args, &root.join("single"));
    let dirs: Vec<PathBuf> = order
        .iter()
        .map(|&k| shard(args, k, n, &root.join("shards")))
        .collect();
    merge(&dirs, &root.join("merged"));
    let folder = fs::read_dir(root.join("single"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name();
    (
        root.join("single").join(&folder),
        root.join("merged").join(&folder),
    )
}

/// `iopsim merge <dirs> --out <out>`, which must succeed.
fn merge(dirs: &[PathBuf], out: &Path) {
    iopsim()
        .arg("merge")
        .args(dirs)
        .args(["--quiet", "--out"])
        .arg(out)
        .assert()
        .success();
}

/// `iopsim merge <dirs>` into `out`, which must fail with exit code 2,
/// naming everything in `says`, and leave `out` unwritten.
fn refused(dirs: &[PathBuf], out: &Path, says: &[&str]) -> String {
    let a = iopsim()
        .arg("merge")
        .args(dirs)
        .args(["--quiet", "--out"])
        .arg(out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    for s in says {
        assert!(stderr.contains(s), "'{s}' not in: {stderr}");
    }
    assert!(!out.exists(), "nothing written for bad shards: {stderr}");
    stderr
}

/// A partition of the trials as `--shard` can cut them: N parts, each
/// possibly cut in two (k/N = 2k/2N + 2k+1/2N), each half possibly again.
fn partition(n: u64, splits: &[u8]) -> Vec<(u64, u64)> {
    let mut parts = Vec::new();
    for k in 0..n {
        let split = splits.get(k as usize).copied().unwrap_or(0);
        match split {
            0 => parts.push((k, n)),
            1 => parts.extend([(2 * k, 2 * n), (2 * k + 1, 2 * n)]),
            _ => parts.extend([(2 * k, 2 * n), (4 * k + 2, 4 * n), (4 * k + 3, 4 * n)]),
        }
    }
    parts
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Any partition `--shard` can make, merged in any order, with more
    /// shards than trials or fewer: the single run, byte for byte.
    #[test]
    fn any_partition_merged_in_any_order_is_the_single_run(
        trials in 1u32..24,
        n in 1u64..5,
        splits in proptest::collection::vec(0u8..3, 4),
        order in any::<proptest::sample::Index>(),
        rotate in 0usize..16,
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let default = scenario("default.toml");
        let t = trials.to_string();
        let args = ["run", default.to_str().unwrap(), "--trials", &t, "--weeks", "20", "--no-plots"];
        ok(&args, &tmp.path().join("single"));
        let mut dirs: Vec<PathBuf> = partition(n, &splits)
            .into_iter()
            .map(|(k, n)| shard(&args, k, n, &tmp.path().join("shards")))
            .collect();
        // Some order of the folders: rotated, and one moved to the front.
        let len = dirs.len();
        dirs.rotate_left(rotate % len);
        let front = dirs.remove(order.index(len));
        dirs.insert(0, front);
        merge(&dirs, &tmp.path().join("merged"));
        assert_same_outputs(
            &tmp.path().join("single").join(FOLDER),
            &tmp.path().join("merged").join(FOLDER),
        );
    }
}

/// With plots, a what-if's folder and the log written by the merge.
#[test]
fn a_merged_what_if_with_plots_and_log_is_the_single_run() {
    let tmp = tempfile::tempdir().unwrap();
    let default = scenario("default.toml");
    let args = [
        "run",
        default.to_str().unwrap(),
        "--trials",
        "13",
        "--seed",
        "7",
        "--set",
        "units.iop.tracks.evening.groups=2",
        "--set",
        "rooms.group-room.count=2",
    ];
    let mut single = args.to_vec();
    single.extend(["--log", "sessions", "--log-trials", "2"]);
    ok(&single, &tmp.path().join("single"));
    let dirs: Vec<PathBuf> = [2, 0, 1]
        .iter()
        .map(|&k| shard(&args, k, 3, &tmp.path().join("shards")))
        .collect();
    iopsim()
        .arg("merge")
        .args(&dirs)
        .args(["--quiet", "--log", "sessions", "--log-trials", "2", "--out"])
        .arg(tmp.path().join("merged"))
        .assert()
        .success();
    let folder = fs::read_dir(tmp.path().join("single"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("midsize-adult-iop+"))
        .expect("the what-if's folder");
    let merged = tmp.path().join("merged").join(&folder);
    assert!(merged.join("report.html").is_file());
    assert!(merged.join("sessions.csv").is_file());
    assert_same_outputs(&tmp.path().join("single").join(&folder), &merged);
}

/// Uncertain inputs are drawn per trial in a shard exactly as in the
/// single run (and `--fixed-inputs` is carried to the merge): the merged
/// folders are the single runs, byte for byte.
#[test]
fn shards_with_uncertain_inputs_merge_to_the_single_run() {
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/uncertain-default.toml");
    for fixed in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let mut args = vec![
            "run",
            example.to_str().unwrap(),
            "--trials",
            "11",
            "--no-plots",
        ];
        if fixed {
            args.push("--fixed-inputs");
        }
        let (single, merged) = single_and_merged(&args, &[1, 0], 2, tmp.path());
        let summary = fs::read_to_string(single.join("summary.csv")).unwrap();
        assert!(summary.lines().count() > 10, "{summary}");
        assert_same_outputs(&single, &merged);
    }
}

#[test]
fn sharded_sweeps_and_sizes_merge_to_the_single_run() {
    let tmp = tempfile::tempdir().unwrap();
    let default = scenario("default.toml");
    let d = default.to_str().unwrap();
    let sweep = [
        "sweep",
        d,
        "--vary",
        "units.iop.tracks.evening.group_size=12..13",
        "--set",
        "rooms.group-room.seats=15",
        "--trials",
        "12",
        "--weeks",
        "20",
    ];
    let size = [
        "size",
        d,
        "--vary",
        "units.iop.tracks.evening.groups=1..3",
        "--set",
        "rooms.group-room.count=3",
        "--target",
        "iop.wait_days_p90 mean <= 14",
        "--trials",
        "12",
        "--weeks",
        "20",
    ];
    for (args, folder) in [
        (&sweep[..], "sweep-midsize-adult-iop"),
        (&size[..], "size-midsize-adult-iop"),
    ] {
        let (single, merged) = single_and_merged(args, &[1, 0], 2, &tmp.path().join(args[0]));
        assert!(single.ends_with(folder), "{}", single.display());
        assert_same_outputs(&single, &merged);
    }
}

/// A sensitivity analysis in 3 shards (its global run of 12 trials, its
/// one-way runs of 5 each), merged in shuffled order: the single analysis,
/// byte for byte; and its shards are not a run's.
#[test]
fn a_sharded_sensitivity_merges_to_the_single_one() {
    let tmp = tempfile::tempdir().unwrap();
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/uncertain-default.toml");
    let e = example.to_str().unwrap();
    let args = [
        "sensitivity",
        e,
        "--metric",
        "iop.evening.wait_days_p90",
        "--trials",
        "12",
        "--one-way-trials",
        "5",
        "--no-plots",
    ];
    let (single, merged) = single_and_merged(&args, &[2, 0, 1], 3, tmp.path());
    assert!(single
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("sensitivity-"));
    let csv = fs::read_to_string(single.join("sensitivity.csv")).unwrap();
    assert!(csv.lines().count() > 2, "{csv}");
    assert_same_outputs(&single, &merged);

    // A sensitivity shard and a run shard do not merge.
    let run = [e, "--trials", "12", "--no-plots"];
    let run_shard = shard(
        &[&["run"][..], &run[..]].concat(),
        1,
        3,
        &tmp.path().join("run-shards"),
    );
    refused(
        &[
            tmp.path().join("shards").join(format!(
                "{}.shard-0-of-3",
                single.file_name().unwrap().to_string_lossy()
            )),
            run_shard,
        ],
        &tmp.path().join("mixed"),
        &[
            "shards of different runs",
            "command: sensitivity in the first, run in the second",
        ],
    );
}

/// Shards of a 30-trial run of `extra`, in `out`.
fn shards_of(out: &Path, extra: &[&str], which: &[(u64, u64)]) -> Vec<PathBuf> {
    let default = scenario("default.toml");
    let mut args = vec![
        "run",
        default.to_str().unwrap(),
        "--trials",
        "30",
        "--weeks",
        "12",
        "--no-plots",
    ];
    args.extend(extra);
    which
        .iter()
        .map(|&(k, n)| shard(&args, k, n, out))
        .collect()
}

#[test]
fn missing_and_overlapping_shards_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let s = shards_of(
        &tmp.path().join("s"),
        &[],
        &[(0, 3), (2, 3), (0, 2), (1, 2), (2, 4), (3, 4)],
    );
    let out = tmp.path().join("out");
    refused(
        &[s[0].clone(), s[1].clone()],
        &out,
        &["trials 10..20 are missing", "add the missing shard"],
    );
    refused(&[s[1].clone()], &out, &["trials 0..20 are missing"]);
    refused(
        &[s[0].clone(), s[2].clone(), s[3].clone()],
        &out,
        &["overlap", "shard-0-of-3", "shard-0-of-2"],
    );
    refused(
        &[s[2].clone(), s[3].clone(), s[3].clone()],
        &out,
        &["overlap", "shard-1-of-2"],
    );
    // Shards of different N that tile are one partition like any other.
    merge(&[s[5].clone(), s[2].clone(), s[4].clone()], &out);
    assert!(out.join(FOLDER).join("summary.csv").is_file());
}

#[test]
fn shards_of_different_runs_are_refused_saying_what_differs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let base = shards_of(&tmp.path().join("a"), &[], &[(0, 2)])[0].clone();
    let other =
        |dir: &str, extra: &[&str]| shards_of(&tmp.path().join(dir), extra, &[(1, 2)])[0].clone();
    for (dir, extra, says) in [
        (
            "seed",
            &["--seed", "2"][..],
            "--seed: (from the scenario) in the first, 2 in the second",
        ),
        (
            "set",
            &["--set", "staff.therapist.fte=2"][..],
            "--set overrides",
        ),
        (
            "seed-set",
            &["--set", "simulation.seed=3"][..],
            "seed: 1 in the first, 3 in the second",
        ),
    ] {
        let stderr = refused(
            &[base.clone(), other(dir, extra)],
            &out,
            &["shards of different runs", says],
        );
        assert!(
            stderr.contains("a/midsize-adult-iop.shard-0-of-2/shard.json"),
            "{stderr}"
        );
    }
    // Other trials: other spans too, but the difference is what is named.
    let t = {
        let default = scenario("default.toml");
        let args = [
            "run",
            default.to_str().unwrap(),
            "--trials",
            "40",
            "--weeks",
            "12",
            "--no-plots",
        ];
        shard(&args, 1, 2, &tmp.path().join("trials"))
    };
    refused(
        &[base.clone(), t],
        &out,
        &["--trials: 30 in the first, 40 in the second"],
    );
    // Another scenario file.
    let mh = scenario("mental-health.toml");
    let args = [
        "run",
        mh.to_str().unwrap(),
        "--trials",
        "30",
        "--weeks",
        "12",
        "--no-plots",
    ];
    let m = shard(&args, 1, 2, &tmp.path().join("mh"));
    refused(
        &[base.clone(), m],
        &out,
        &["scenario file: ", "mental-health.toml"],
    );
    // A run's shard with a sweep's.
    let sw = {
        let default = scenario("default.toml");
        let args = [
            "sweep",
            default.to_str().unwrap(),
            "--vary",
            "staff.therapist.fte=1,2",
            "--trials",
            "30",
            "--weeks",
            "12",
            "--no-plots",
        ];
        shard(&args, 1, 2, &tmp.path().join("sweep"))
    };
    refused(
        &[base, sw],
        &out,
        &["command: run in the first, sweep in the second"],
    );
}

#[test]
fn other_versions_damaged_files_and_other_folders_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let s = shards_of(&tmp.path().join("s"), &[], &[(0, 2), (1, 2)]);
    let copy = |name: &str| -> PathBuf {
        let to = tmp.path().join(name).join(s[1].file_name().unwrap());
        fs::create_dir_all(&to).unwrap();
        for f in ["shard.json", "trials-0.bin", "run.json"] {
            fs::copy(s[1].join(f), to.join(f)).unwrap();
        }
        to
    };
    // Another iopsim version.
    let v = copy("version");
    let h = fs::read_to_string(v.join("shard.json")).unwrap();
    fs::write(
        v.join("shard.json"),
        h.replace("\"iopsim\": \"", "\"iopsim\": \"0.0.1-"),
    )
    .unwrap();
    refused(
        &[s[0].clone(), v.clone()],
        &out,
        &["version/", "shard.json: written by iopsim 0.0.1-"],
    );
    // Another build of the same version (its source changed).
    assert!(h.contains("\"build\": \""), "{h}");
    fs::write(
        v.join("shard.json"),
        h.replace("\"build\": \"", "\"build\": \"0"),
    )
    .unwrap();
    refused(
        &[s[0].clone(), v.clone()],
        &out,
        &[
            "version/",
            "written by another build of iopsim",
            "source fingerprint 0",
        ],
    );
    // Another shard format.
    fs::write(
        v.join("shard.json"),
        h.replace("\"format\": 1", "\"format\": 99"),
    )
    .unwrap();
    refused(
        &[s[0].clone(), v],
        &out,
        &["shard format 99", "reads format 1"],
    );
    // A trial file cut short.
    let cut = copy("cut");
    let bytes = fs::read(cut.join("trials-0.bin")).unwrap();
    fs::write(cut.join("trials-0.bin"), &bytes[..bytes.len() / 2]).unwrap();
    refused(
        &[s[0].clone(), cut],
        &out,
        &[
            "cut/",
            "trials-0.bin",
            "bytes, its shard.json says",
            "partial copy",
        ],
    );
    // A trial file damaged in place: found while merging, still nothing written.
    let flip = copy("flip");
    let mut bytes = fs::read(flip.join("trials-0.bin")).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x04;
    fs::write(flip.join("trials-0.bin"), &bytes).unwrap();
    let a = iopsim()
        .arg("merge")
        .args([&s[0], &flip])
        .args(["--quiet", "--out"])
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicate::str::contains("flip/"))
        .stderr(predicate::str::contains("trials-0.bin"));
    assert!(!out.exists(), "nothing written: {:?}", a.get_output());
    // A trial file gone.
    let gone = copy("gone");
    fs::remove_file(gone.join("trials-0.bin")).unwrap();
    refused(
        &[s[0].clone(), gone],
        &out,
        &["gone/", "trials-0.bin", "run shard 1/2 again"],
    );
    // Not a shard folder, not a folder.
    let plain = tmp.path().join("plain");
    fs::create_dir_all(&plain).unwrap();
    refused(
        &[s[0].clone(), plain],
        &out,
        &["plain: no shard.json, so not a shard folder"],
    );
    refused(
        &[tmp.path().join("nowhere")],
        &out,
        &["nowhere: not a folder"],
    );
    // An output root that existed keeps what it had, and gets no results.
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("keep.txt"), "mine").unwrap();
    iopsim()
        .arg("merge")
        .arg(&s[0])
        .args(["--quiet", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("trials 15..30 are missing"));
    assert_eq!(common::shards::files(&out), vec!["keep.txt".to_string()]);
}

#[test]
fn shard_options_it_cannot_take_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    for (shard, says) in [
        ("4/4", "K counts from 0"),
        ("1/0", "N must be at least 1"),
        ("two/4", "write K/N"),
    ] {
        iopsim()
            .args(["run", "--trials", "4", "--quiet", "--shard", shard, "--out"])
            .arg(tmp.path())
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--shard"))
            .stderr(predicate::str::contains(says));
    }
    iopsim()
        .args([
            "run", "--trials", "4", "--quiet", "--shard", "0/2", "--log", "--out",
        ])
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the log is written by the merge"));
    assert!(common::shards::files(tmp.path()).is_empty());
}

/// A merge says how long the shards took between them (each records its
/// own time in shard.json), not only its own fold: events per second of
/// the merge's time would be the shards' work over the time to read it.
#[test]
fn a_merge_reports_the_shards_time_beside_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs = shards_of(&tmp.path().join("s"), &[], &[(0, 3), (1, 3), (2, 3)]);
    let seconds: f64 = dirs
        .iter()
        .map(|d| {
            let header: serde_json::Value =
                serde_json::from_slice(&fs::read(d.join("shard.json")).unwrap()).unwrap();
            let s = header["seconds"]
                .as_f64()
                .expect("shard.json records seconds");
            assert!(s > 0.0, "{}: seconds {s}", d.display());
            s
        })
        .sum();
    let a = iopsim()
        .arg("merge")
        .args(&dirs)
        .arg("--out")
        .arg(tmp.path().join("merged"))
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    assert!(
        stdout.contains("30 trials merged from 3 shards in "),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("the shards took {seconds:.2} s between them")),
        "{seconds:.2} s not in: {stdout}"
    );
    // A run says its own time, as before.
    let b = iopsim()
        .args([
            "run",
            "--trials",
            "20",
            "--weeks",
            "12",
            "--no-plots",
            "--out",
        ])
        .arg(tmp.path().join("single"))
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&b.get_output().stdout).into_owned();
    assert!(stdout.contains("\n20 trials in "), "{stdout}");
    assert!(stdout.contains(" M events/s)"), "{stdout}");
}
