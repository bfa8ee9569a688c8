//! `iopsim sensitivity`: the variance-share estimator on models whose
//! shares are known, the command end to end on the default program with
//! three uncertain inputs (one the metric cannot depend on), the same bytes
//! whatever the thread count, bad input refused with nothing written, and
//! compare's P(better) label only where inputs are uncertain.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use iopsim::decide::request::{OutputSettings, RunSettings, ScenarioSource, SensitivityRequest};
use iopsim::decide::sensitivity::{self, first_order_share};
use iopsim::scenario::DEFAULT_TOML;

fn iopsim() -> Command {
    Command::cargo_bin("iopsim").unwrap()
}

/// A deterministic stream of uniforms (a 64-bit LCG's top bits).
fn uniforms(seed: u64, n: usize) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

#[test]
fn independent_inputs_of_an_additive_model_share_its_variance_as_theory_says() {
    // Y = 2 X1 + 1 X2 - 3 X3, X1 and X2 uniform on (0, 1), X3 uniform on
    // (0, 2): Var = (4 + 1) / 12 + 9 * 4 / 12 = 41 / 12.
    let n = 10_000;
    let x1 = uniforms(1, n);
    let x2 = uniforms(2, n);
    let x3: Vec<f64> = uniforms(3, n).iter().map(|u| 2.0 * u).collect();
    let y: Vec<f64> = (0..n).map(|t| 2.0 * x1[t] + x2[t] - 3.0 * x3[t]).collect();
    let exact = [4.0 / 41.0, 1.0 / 41.0, 36.0 / 41.0];
    let shares: Vec<f64> = [&x1, &x2, &x3]
        .iter()
        .map(|x| first_order_share(x, &y).unwrap())
        .collect();
    for (k, (s, e)) in shares.iter().zip(exact).enumerate() {
        assert!((s - e).abs() < 0.02, "X{}: {s} vs {e}", k + 1);
    }
    let sum: f64 = shares.iter().sum();
    assert!((sum - 1.0).abs() < 0.03, "shares sum to {sum}");

    // Independent noise with a third of the variance: the shares sum to
    // the signal's two thirds, each in proportion.
    let noise: Vec<f64> = uniforms(4, n)
        .iter()
        .map(|u| (41.0f64 / 2.0).sqrt() * u)
        .collect();
    let noisy: Vec<f64> = y.iter().zip(&noise).map(|(a, b)| a + b).collect();
    let shares: Vec<f64> = [&x1, &x2, &x3]
        .iter()
        .map(|x| first_order_share(x, &noisy).unwrap())
        .collect();
    let sum: f64 = shares.iter().sum();
    assert!((sum - 2.0 / 3.0).abs() < 0.03, "signal share {sum}");
    assert!((shares[2] - 2.0 / 3.0 * 36.0 / 41.0).abs() < 0.03);
}

/// The default program over half a year with three uncertain inputs: the
/// community stream's show rate and rate, and the collection rate (money
/// only, so no wait can depend on it).
fn uncertain_default() -> String {
    let text = DEFAULT_TOML
        .replacen(
            "show = 0.72 ",
            "show = { uncertain = \"beta\", mean = 0.72, n = 60 } ",
            1,
        )
        .replacen(
            "per_week = 1.9 ",
            "per_week = { uncertain = \"uniform\", min = 1.6, max = 2.6 } ",
            1,
        )
        .replacen(
            "collection_rate = 0.92 ",
            "collection_rate = { uncertain = \"beta\", mean = 0.92, n = 50 } ",
            1,
        );
    assert_eq!(
        text.matches("uncertain =").count(),
        3,
        "the default changed"
    );
    text
}

fn request(dir: &Path, threads: usize) -> SensitivityRequest {
    let file = dir.join("unsure.toml");
    fs::write(&file, uncertain_default()).unwrap();
    SensitivityRequest {
        scenario: ScenarioSource::File(file),
        metrics: vec!["iop.wait_days_p90".into(), "finance.net_per_week".into()],
        one_way_trials: Some(40),
        run: RunSettings {
            trials: Some(200),
            weeks: Some(26),
            threads,
            quiet: true,
            ..RunSettings::default()
        },
        output: OutputSettings {
            out: dir.join("out"),
            ..OutputSettings::default()
        },
    }
}

#[test]
fn the_command_ranks_an_input_the_metric_cannot_depend_on_last_and_writes_its_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (analysed, folder) = sensitivity::write(&request(tmp.path(), 2)).unwrap();
    let a = &analysed.analysis;
    let keys: Vec<&str> = a.inputs.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "referrals.community.per_week",
            "referrals.community.show",
            "finance.collection_rate"
        ]
    );
    let wait = &a.metrics[0];
    assert_eq!(wait.metric, "iop.wait_days_p90");
    let money = wait.effects.iter().find(|e| e.input == 2).unwrap();
    // Common random numbers: the same trials at either end, to the bit.
    assert_eq!(money.swing, 0.0);
    assert_eq!(money.mean_at_p10, money.mean_at_p90);
    assert!(
        money.share < 0.05,
        "collection rate's share {}",
        money.share
    );
    assert_eq!(money.rank, 3);
    // More referrals make the wait longer, the rate's swing is the largest.
    let rate = wait.effects.iter().find(|e| e.input == 0).unwrap();
    assert!(rate.mean_at_p90 > rate.mean_at_p10, "{rate:?}");
    assert!(rate.swing > money.swing);
    assert!(rate.share > money.share);
    let shares: f64 = wait.effects.iter().map(|e| e.share).sum();
    assert!((wait.remainder - (1.0 - shares)).abs() < 1e-12);
    // The collection rate moves the margin.
    let net = &a.metrics[1];
    let money = net.effects.iter().find(|e| e.input == 2).unwrap();
    assert!(money.mean_at_p90 > money.mean_at_p10);

    for f in [
        "sensitivity.csv",
        "run.json",
        "report.html",
        "tornado-iop_wait_days_p90.png",
        "tornado-iop_wait_days_p90.svg",
        "tornado-finance_net_per_week.svg",
    ] {
        assert!(folder.join(f).is_file(), "{f} missing");
    }
    let csv = fs::read_to_string(folder.join("sensitivity.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "metric,input,distribution,value_p10,value_p90,mean_at_means,mean_at_p10,mean_at_p90,swing,diff_ci95_low,diff_ci95_high,variance_share,rank"
    );
    // Per metric: the three inputs by rank, then the remainder.
    assert_eq!(csv.lines().count(), 1 + 2 * 4);
    assert!(csv.contains("iop.wait_days_p90,finance.collection_rate,\"beta(mean 0.92, n 50)\""));
    assert!(
        csv.contains(",(remainder),the luck of arrivals and patients, and interactions,")
            || csv
                .contains(",(remainder),\"the luck of arrivals and patients, and interactions\",")
    );
    let page = fs::read_to_string(folder.join("report.html")).unwrap();
    assert!(page.contains("iopsim sensitivity"));
    assert!(page.contains("referrals.community.per_week"));
    assert!(page.contains("<svg"));
}

#[test]
fn the_same_seed_gives_the_same_bytes_whatever_the_threads() {
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    let a = sensitivity::compute(&request(one.path(), 1)).unwrap();
    let b = sensitivity::compute(&request(two.path(), 2)).unwrap();
    let (fa, fb) = (
        sensitivity::files(&a, true).unwrap(),
        sensitivity::files(&b, true).unwrap(),
    );
    assert_eq!(fa.len(), fb.len());
    for ((na, ba), (nb, bb)) in fa.iter().zip(&fb) {
        assert_eq!(na, nb);
        assert!(ba == bb, "{na} differs between 1 and 2 threads");
    }
}

#[test]
fn bad_input_is_refused_by_name_with_nothing_written() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("unsure.toml"), uncertain_default()).unwrap();
    let out = tmp.path().join("out");
    let cases: [(&[&str], &str); 4] = [
        (
            &["--metric", "iop.wait_days_p90"],
            "has no uncertain inputs",
        ),
        (
            &["unsure.toml", "--metric", "iop.evening.wait_p90"],
            "no metric 'iop.evening.wait_p90'",
        ),
        (
            &[
                "unsure.toml",
                "--metric",
                "iop.wait_days_p90",
                "--fixed-inputs",
            ],
            "fixed at their means",
        ),
        (
            &[
                "unsure.toml",
                "--metric",
                "iop.wait_days_p90",
                "--one-way-trials",
                "0",
            ],
            "--one-way-trials: must be at least 1",
        ),
    ];
    for (args, says) in cases {
        let o = iopsim()
            .current_dir(tmp.path())
            .arg("sensitivity")
            .args(args)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
    // The unknown metric's message names the close ones.
    let o = iopsim()
        .current_dir(tmp.path())
        .args([
            "sensitivity",
            "unsure.toml",
            "--metric",
            "iop.evening.wait_p90",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("iop.evening.wait_days_p90"), "{err}");
    assert!(err.contains("docs") || err.contains("summary.csv"), "{err}");
    // No uncertain inputs: the message says where to read how to write them.
    let o = iopsim()
        .current_dir(tmp.path())
        .args(["sensitivity", "--metric", "iop.wait_days_p90"])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("docs/scenario.md#uncertain-inputs"));
}

#[test]
fn compare_says_p_better_only_where_inputs_are_uncertain() {
    let tmp = tempfile::tempdir().unwrap();
    let unsure = tmp.path().join("unsure.toml");
    fs::write(&unsure, uncertain_default()).unwrap();
    let two = tmp.path().join("two.toml");
    fs::write(
        &two,
        uncertain_default().replacen("name = \"midsize-adult-iop\"", "name = \"two\"", 1),
    )
    .unwrap();
    let plain_a = tmp.path().join("a.toml");
    let plain_b = tmp.path().join("b.toml");
    fs::write(&plain_a, DEFAULT_TOML).unwrap();
    fs::write(
        &plain_b,
        DEFAULT_TOML.replacen("name = \"midsize-adult-iop\"", "name = \"b\"", 1),
    )
    .unwrap();
    let run = |a: &Path, b: &Path| {
        let o = iopsim()
            .arg("compare")
            .arg(a)
            .arg(b)
            .args(["--trials", "20", "--weeks", "13", "-q", "--out"])
            .arg(tmp.path().join("out"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let uncertain = run(&unsure, &two);
    assert!(uncertain.contains("P(better)"), "{uncertain}");
    assert!(uncertain.contains("across the uncertain inputs and the luck of arrivals"));
    let page = fs::read_to_string(
        tmp.path()
            .join("out/compare-midsize-adult-iop-vs-two/report.html"),
    )
    .unwrap();
    assert!(page.contains("P(better) across the uncertain inputs"));
    let plain = run(&plain_a, &plain_b);
    assert!(!plain.contains("P(better)"), "{plain}");
}

/// A Dirichlet share map in the analysis: one input per share but the
/// last, shown as the share it gives (its P10 and P90 around the written
/// 0.8), and more of it at the expense of the last share moves the
/// metric the way it must (fewer completers to alumni).
#[test]
fn a_dirichlet_share_is_shown_as_the_share_it_gives() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("shares.toml");
    let text = DEFAULT_TOML.replacen(
        "on_completion = { outpatient = 0.8, alumni = 0.2 }",
        "on_completion = { uncertain = \"dirichlet\", n = 40, shares = { outpatient = 0.8, alumni = 0.2 } }",
        1,
    );
    assert!(text.contains("dirichlet"), "the default changed");
    fs::write(&file, text).unwrap();
    let mut req = request(tmp.path(), 2);
    req.scenario = ScenarioSource::File(file);
    req.metrics = vec!["iop.to.alumni".into()];
    let a = sensitivity::compute(&req).unwrap().analysis;
    let keys: Vec<&str> = a.inputs.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, ["units.iop.on_completion.outpatient"]);
    let input = &a.inputs[0];
    assert!((input.mean - 0.8).abs() < 1e-12, "{input:?}");
    assert!(
        input.p10 < 0.8 && 0.8 < input.p90 && input.p90 < 1.0,
        "{input:?}"
    );
    assert!(input
        .distribution
        .contains("dirichlet(n 40) over outpatient 0.8, alumni 0.2"));
    let e = &a.metrics[0].effects[0];
    assert!(e.mean_at_p90 < e.mean_at_p10, "{e:?}");
    assert!(e.share > 0.2, "{e:?}");
}
