//! Comparing a merged results folder with a single run's, for the shard and
//! Slurm tests.
#![allow(dead_code)] // each test crate uses some of it

use std::fs;
use std::path::Path;

/// The files of `dir` (and of folders inside it), relative, sorted.
pub fn files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, dir, &mut v);
    v.sort();
    v
}

/// `run.json` without its wall-clock fields (`started`, `seconds`): the
/// only bytes two identical runs may differ in.
pub fn run_record_without_times(bytes: &[u8]) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(bytes).expect("run.json is JSON");
    let o = v.as_object_mut().expect("run.json is an object");
    assert!(o.remove("started").is_some(), "run.json has started");
    assert!(o.remove("seconds").is_some(), "run.json has seconds");
    v
}

/// Panics unless `merged` holds the files of `single`, each byte for byte
/// equal (run.json: but its wall-clock fields).
pub fn assert_same_outputs(single: &Path, merged: &Path) {
    let (a, b) = (files(single), files(merged));
    assert_eq!(
        a,
        b,
        "the same files in {} and {}",
        single.display(),
        merged.display()
    );
    assert!(a.iter().any(|f| f.ends_with(".csv")), "{a:?}");
    for f in &a {
        let (x, y) = (
            fs::read(single.join(f)).unwrap(),
            fs::read(merged.join(f)).unwrap(),
        );
        if f == "run.json" {
            assert_eq!(
                run_record_without_times(&x),
                run_record_without_times(&y),
                "run.json differs beyond its times"
            );
        } else {
            assert!(
                x == y,
                "{f} differs between {} and {}",
                single.display(),
                merged.display()
            );
        }
    }
}
