//! One trial of each shipped scenario (fixed seed). Run: cargo bench --bench trial

use criterion::{criterion_group, criterion_main, Criterion};
use iopsim::model::{run_trial, Program};

fn trial(c: &mut Criterion) {
    let mut paths: Vec<_> = std::fs::read_dir("scenarios")
        .expect("run from the repository root")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    for path in paths {
        let scenario =
            iopsim::scenario::load_file(&path, &[]).expect("shipped scenarios are valid");
        let program = Program::new(&scenario);
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        c.bench_function(&format!("trial/{name}"), |b| {
            let mut t = 0;
            b.iter(|| {
                t += 1;
                run_trial(&program, 1, t)
            })
        });
    }
}

criterion_group!(benches, trial);
criterion_main!(benches);
