//! The decisions' plain requests (`decide::request`): built by hand, with no
//! command-line types, they give the numbers, CSVs and pages the command
//! line gives for the same inputs, byte for byte.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use clap::Parser;
use iopsim::cli::{Cli, Command as Sub};
use iopsim::decide::request::{
    CompareRequest, OutputSettings, RunSettings, ScenarioSource, SizeRequest, SweepRequest,
};
use iopsim::decide::size::parse_target;
use iopsim::decide::sweep::{parse_vary, Vary};
use iopsim::decide::{compare, size, sweep};
use iopsim::scenario::DEFAULT_TOML;

fn iopsim() -> Command {
    Command::cargo_bin("iopsim").unwrap()
}

/// The default scenario with a second evening group and a room for it.
fn two_evenings() -> String {
    let text = DEFAULT_TOML
        .replacen(
            "groups = 1\ngroup_size = 12\nroom = \"group-room\"",
            "groups = 2\ngroup_size = 12\nroom = \"group-room\"",
            1,
        )
        .replacen(
            "name = \"group-room\"\n",
            "name = \"group-room\"\ncount = 2\n",
            1,
        )
        .replacen("name = \"midsize-adult-iop\"", "name = \"two-evenings\"", 1);
    assert_ne!(
        text, DEFAULT_TOML,
        "the default scenario changed its layout"
    );
    text
}

fn settings(trials: u32, seed: u64, set: &[&str]) -> RunSettings {
    RunSettings {
        trials: Some(trials),
        seed: Some(seed),
        set: set.iter().map(|s| s.to_string()).collect(),
        threads: 2,
        quiet: true,
        ..RunSettings::default()
    }
}

/// Runs the command line in `dir` and parses its arguments as it does.
fn cli(dir: &Path, args: &[&str]) -> Sub {
    iopsim().current_dir(dir).args(args).assert().success();
    let mut argv = vec!["iopsim"];
    argv.extend(args);
    Cli::try_parse_from(argv).unwrap().command.unwrap()
}

/// Every file the library makes is the command line's, byte for byte, and
/// the folder holds nothing else but run.json.
fn same_files(folder: &Path, files: &[(String, Vec<u8>)]) {
    for (name, bytes) in files {
        let written = fs::read(folder.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(&written == bytes, "{name} differs from the command line's");
    }
    let mut names: Vec<String> = fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "run.json")
        .collect();
    names.sort();
    let mut made: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    made.sort();
    assert_eq!(names, made);
}

#[test]
fn a_comparison_built_by_hand_is_the_command_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let alt = tmp.path().join("two-evenings.toml");
    fs::write(&alt, two_evenings()).unwrap();
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml");
    let request = CompareRequest {
        scenarios: vec![
            ScenarioSource::File(base.clone()),
            ScenarioSource::File(alt.clone()),
        ],
        run: settings(30, 5, &[]),
        output: OutputSettings {
            out: PathBuf::from("output"),
            ..OutputSettings::default()
        },
    };
    let compared = compare::compute(&request).unwrap();
    let c = &compared.comparison;
    assert_eq!(c.labels, ["midsize-adult-iop", "two-evenings"]);
    assert_eq!((c.trials, c.seed), (30, 5));
    let wait = c
        .rows
        .iter()
        .find(|r| r.metric == "iop.evening.wait_days_p90")
        .expect("the evening track's P90 wait is compared");
    assert!(wait.paired.diff.mean < 0.0, "{wait:?}");

    let (b, a) = (base.to_str().unwrap(), alt.to_str().unwrap());
    let args = [
        "compare",
        b,
        a,
        "--trials",
        "30",
        "--seed",
        "5",
        "--threads",
        "2",
        "--quiet",
    ];
    let Sub::Compare(parsed) = cli(tmp.path(), &args) else {
        panic!("not a compare")
    };
    assert_eq!(parsed.request(), request);
    let folder = tmp
        .path()
        .join("output/compare-midsize-adult-iop-vs-two-evenings");
    same_files(&folder, &compare::files(&compared, true).unwrap());

    // The same scenarios as text (a page's edits) give the same numbers.
    let text = CompareRequest {
        scenarios: vec![
            ScenarioSource::BuiltIn,
            ScenarioSource::Text {
                origin: "the page".into(),
                toml: two_evenings(),
            },
        ],
        ..request
    };
    let again = compare::compute(&text).unwrap();
    assert_eq!(
        compare::csv(&again.comparison).unwrap(),
        compare::csv(c).unwrap()
    );
}

#[test]
fn a_size_answer_built_by_hand_is_the_command_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let request = SizeRequest {
        scenario: ScenarioSource::BuiltIn,
        // Out of order and repeated: searched ascending, once each.
        vary: Vary {
            key: "units.iop.tracks.evening.groups".into(),
            values: ["4", "1", "2", "3", "2"].map(String::from).to_vec(),
        },
        targets: vec![parse_target("iop.evening.wait_days_p90 p90 <= 14").unwrap()],
        run: settings(40, 2, &["rooms.group-room.count=4"]),
        output: OutputSettings::default(),
    };
    let found = size::compute(&request).unwrap();
    let z = &found.sizing;
    assert_eq!(z.vary.values, ["1", "2", "3", "4"]);
    assert_eq!((z.trials, z.seed), (40, 2));
    let answer = z.search.answer.expect("four evening groups are enough");
    assert!(z.tried[&answer].pass());

    let args = [
        "size",
        "--vary",
        "units.iop.tracks.evening.groups=4,1,2,3,2",
        "--target",
        "iop.evening.wait_days_p90 p90 <= 14",
        "--set",
        "rooms.group-room.count=4",
        "--trials",
        "40",
        "--seed",
        "2",
        "--threads",
        "2",
        "-q",
    ];
    let Sub::Size(parsed) = cli(tmp.path(), &args) else {
        panic!("not a size")
    };
    assert_eq!(parsed.request().unwrap(), request);
    let folder = tmp.path().join("output/size-midsize-adult-iop");
    same_files(&folder, &size::files(&found, true).unwrap());
}

#[test]
fn a_sweep_built_by_hand_is_the_command_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let request = SweepRequest {
        scenario: ScenarioSource::BuiltIn,
        varies: vec![parse_vary("units.iop.tracks.evening.groups=1..2").unwrap()],
        metrics: Vec::new(),
        run: settings(20, 1, &["rooms.group-room.count=2"]),
        output: OutputSettings {
            plots: false,
            ..OutputSettings::default()
        },
    };
    let swept = sweep::compute(&request).unwrap();
    assert_eq!(swept.sweep.points.len(), 2);
    assert_eq!(swept.metrics, sweep::default_metrics(&swept.base));

    let args = [
        "sweep",
        "--vary",
        "units.iop.tracks.evening.groups=1..2",
        "--set",
        "rooms.group-room.count=2",
        "--trials",
        "20",
        "--seed",
        "1",
        "--threads",
        "2",
        "--quiet",
        "--no-plots",
    ];
    let Sub::Sweep(parsed) = cli(tmp.path(), &args) else {
        panic!("not a sweep")
    };
    assert_eq!(parsed.request().unwrap(), request);
    let folder = tmp.path().join("output/sweep-midsize-adult-iop");
    same_files(&folder, &sweep::files(&swept, false).unwrap());
}
