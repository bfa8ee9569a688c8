//! The scheduler recipes in deploy/ (docs/scaling.md). The Slurm scripts
//! are run for real by tests/slurm.rs; here they are only checked to parse.
//! No Kubernetes cluster runs here: the manifests are checked for the shape
//! an Indexed Job needs, and the commands their pods run are run as the pods
//! would run them (`sh -c` with the Job's environment, the index from 0 to
//! completions - 1), shards then merge, on a small run.

use std::fs;
use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn slurm_scripts_parse() {
    for f in [
        "local-cluster.sh",
        "shard.sbatch",
        "merge.sbatch",
        "submit.sh",
    ] {
        let path = root().join("deploy/slurm").join(f);
        let out = Command::new("bash").arg("-n").arg(&path).output().unwrap();
        assert!(out.status.success(), "{}: {out:?}", path.display());
    }
}

/// A manifest's documents, with the checks a YAML parser would make first:
/// spaces only, and every document a Kubernetes object.
fn documents(file: &str) -> Vec<String> {
    let text = fs::read_to_string(root().join("deploy/k8s").join(file)).unwrap();
    assert!(!text.contains('\t'), "{file}: tabs");
    let docs: Vec<String> = text.split("\n---\n").map(str::to_string).collect();
    for d in &docs {
        for key in ["apiVersion: ", "kind: ", "metadata:\n  name: "] {
            assert!(
                d.lines().any(|l| format!("{l}\n").starts_with(key))
                    || d.contains(&format!("\n{key}")),
                "{file}: a document without {key:?}:\n{d}"
            );
        }
    }
    docs
}

/// The value of `key: value` (first occurrence, any indentation).
fn value<'a>(doc: &'a str, key: &str) -> &'a str {
    doc.lines()
        .find_map(|l| l.trim_start().strip_prefix(&format!("{key}: ")))
        .unwrap_or_else(|| panic!("no {key} in:\n{doc}"))
        .trim_matches('"')
}

/// The folded scalar (`- >-`) after `args:`: its lines joined by spaces.
fn command_line(doc: &str) -> String {
    let lines: Vec<&str> = doc.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim() == "- >-")
        .expect("args: - >-");
    let indent = |l: &str| l.len() - l.trim_start().len();
    let own = indent(lines[at]);
    lines[at + 1..]
        .iter()
        .take_while(|l| indent(l) > own && !l.trim().is_empty())
        .map(|l| l.trim())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_indexed_job_and_the_merge_run_as_their_pods_would() {
    let shards = documents("shards.yaml");
    let merge = documents("merge.yaml");
    let job = shards
        .iter()
        .find(|d| d.contains("\nkind: Job\n"))
        .expect("a Job");
    assert_eq!(value(job, "completionMode"), "Indexed");
    let n: u64 = value(job, "completions").parse().unwrap();
    assert_eq!(value(job, "parallelism"), n.to_string());
    assert_eq!(value(job, "value"), n.to_string(), "SHARDS = completions");
    let claim = value(job, "claimName");
    assert!(shards
        .iter()
        .any(|d| d.contains("kind: PersistentVolumeClaim") && value(d, "name") == claim));
    assert_eq!(value(&merge[0], "claimName"), claim, "one volume");
    assert_eq!(value(&merge[0], "kind"), "Job");

    // The pods' commands, here: /work and /scenario in a scratch folder.
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let scenario = tmp.path().join("scenario");
    fs::create_dir_all(&scenario).unwrap();
    fs::copy(
        root().join("scenarios/default.toml"),
        scenario.join("scenario.toml"),
    )
    .unwrap();
    let here = |cmd: String| {
        cmd.replace("/work", work.to_str().unwrap())
            .replace(
                "/scenario/scenario.toml",
                scenario.join("scenario.toml").to_str().unwrap(),
            )
            .replace(
                "exec iopsim",
                &format!("exec {}", env!("CARGO_BIN_EXE_iopsim")),
            )
    };
    let shard = here(command_line(job));
    assert!(
        shard.contains("--shard \"$JOB_COMPLETION_INDEX/$SHARDS\""),
        "{shard}"
    );
    for k in 0..n {
        let out = Command::new("sh")
            .arg("-c")
            .arg(&shard)
            .env("JOB_COMPLETION_INDEX", k.to_string())
            .env("SHARDS", n.to_string())
            .env("IOPSIM_ARGS", "--trials 20 --weeks 12 --no-plots")
            .output()
            .unwrap();
        assert!(out.status.success(), "pod {k}: {shard}: {out:?}");
    }
    let out = Command::new("sh")
        .arg("-c")
        .arg(here(command_line(&merge[0])))
        .output()
        .unwrap();
    assert!(out.status.success(), "merge: {out:?}");
    let summary = work.join("output/midsize-adult-iop/summary.csv");
    let text = fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("metric,mean,"), "{text}");
    let run: serde_json::Value =
        serde_json::from_slice(&fs::read(work.join("output/midsize-adult-iop/run.json")).unwrap())
            .unwrap();
    assert_eq!(run["trials_done"], 20);
}
