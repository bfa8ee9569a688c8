//! Uncertain inputs (issue 23): a number written as a distribution is drawn
//! anew by each trial. Checked here: the band it adds is the one theory
//! gives; `fixed_inputs` is the scenario at the means; scenarios run with
//! the same seed draw the same inputs (pairing holds); bad distributions
//! are refused naming the key.

use std::process::Command;

use iopsim::decide;
use iopsim::scenario::{load_str, Scenario, DEFAULT_TOML};

fn load(sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    load_str(DEFAULT_TOML, "default", &sets).unwrap_or_else(|e| panic!("{e}"))
}

fn column(s: &Scenario, metric: &str) -> Vec<f64> {
    let run = decide::run(s, 0, true, "", true).unwrap();
    run.column(metric)
        .unwrap_or_else(|| panic!("no metric {metric}"))
}

fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    (
        m,
        xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0),
    )
}

/// Community referrals who do not show, over a year. With a known show
/// rate p each of the stream's Poisson(L) referrals is a no-show with
/// probability 1 - p: Poisson(L (1 - p)), variance L (1 - p). With p drawn
/// from a beta of mean m and n observations, the count is Poisson mixed
/// over L (1 - p): variance L (1 - m) + L^2 Var(p), Var(p) = m (1 - m) / (n + 1).
#[test]
fn a_beta_uncertain_show_rate_widens_the_band_as_a_beta_mixed_poisson_does() {
    let trials = "simulation.trials=3000";
    let known = load(&[trials, "referrals.community.show=0.75"]);
    let fixed = column(&known, "stream.community.no_shows");
    let referrals = column(&known, "stream.community.referrals");
    let (lambda, _) = mean_var(&referrals);
    let (m, n) = (0.75, 20.0);
    let uncertain = column(
        &load(&[
            trials,
            "referrals.community.show={ uncertain = \"beta\", mean = 0.75, n = 20 }",
        ]),
        "stream.community.no_shows",
    );

    let (fixed_mean, fixed_var) = mean_var(&fixed);
    let (u_mean, u_var) = mean_var(&uncertain);
    let poisson = lambda * (1.0 - m);
    let mixed = poisson + lambda * lambda * m * (1.0 - m) / (n + 1.0);
    // Means: within 4 standard errors.
    for (mean, var) in [(fixed_mean, fixed_var), (u_mean, u_var)] {
        let se = (var / fixed.len() as f64).sqrt();
        assert!(
            (mean - poisson).abs() < 4.0 * se,
            "mean {mean} vs {poisson}"
        );
    }
    // Variances: a sample variance of 3,000 is within about 3% (a normal
    // count) to 5% (the mixture's heavier tails) of the truth; allow 15%.
    assert!(
        (fixed_var / poisson - 1.0).abs() < 0.15,
        "known show rate: variance {fixed_var}, theory {poisson}"
    );
    assert!(
        (u_var / mixed - 1.0).abs() < 0.15,
        "uncertain show rate: variance {u_var}, theory {mixed} (without the mixing {poisson})"
    );
    assert!(u_var > 2.5 * fixed_var, "{u_var} vs {fixed_var}");
}

/// `fixed_inputs` runs the uncertain inputs at their means: every metric
/// of every trial is that of the scenario with the means written in.
#[test]
fn fixed_inputs_is_the_scenario_at_the_means() {
    let at_means = load(&[
        "simulation.trials=200",
        "referrals.community.per_week=1.8",
        "units.iop.attendance=0.8",
    ]);
    let fixed = load(&[
        "simulation.trials=200",
        "referrals.community.per_week={ uncertain = \"triangular\", min = 1.2, mode = 1.8, max = 2.4 }",
        "units.iop.attendance={ uncertain = \"beta\", mean = 0.8, n = 50 }",
        "simulation.fixed_inputs=true",
    ]);
    assert!(fixed.inputs.is_empty());
    let a = decide::run(&at_means, 0, true, "", true).unwrap();
    let b = decide::run(&fixed, 0, true, "", true).unwrap();
    assert_eq!(a.rows, b.rows);
    assert!(fixed.resolved_toml.contains("uncertain = \"triangular\""));
    assert!(fixed.resolved_toml.contains("fixed_inputs = true"));
}

/// Two scenarios that differ in capacity draw the same inputs in the same
/// trial: the stream's no-shows, which depend on the drawn show rate and
/// not on capacity, agree trial by trial, and differ from trial to trial.
#[test]
fn scenarios_with_the_same_seed_draw_the_same_inputs() {
    let show = "referrals.community.show={ uncertain = \"beta\", mean = 0.7, n = 30 }";
    let one = load(&["simulation.trials=300", show]);
    let two = load(&[
        "simulation.trials=300",
        show,
        "units.iop.tracks.evening.groups=2",
        "rooms.group-room.count=2",
    ]);
    let a = column(&one, "stream.community.no_shows");
    let b = column(&two, "stream.community.no_shows");
    assert_eq!(a, b);
    let census_a = column(&one, "iop.census");
    let census_b = column(&two, "iop.census");
    assert_ne!(census_a, census_b, "the capacity change has an effect");
    // The draws themselves: the same per trial, different between trials,
    // and results do not depend on the thread count.
    assert_eq!(one.inputs.draw(1, 5), two.inputs.draw(1, 5));
    assert_ne!(one.inputs.draw(1, 5), one.inputs.draw(1, 6));
    let single = decide::run(&one, 1, true, "", true).unwrap();
    assert_eq!(
        column(&one, "iop.census"),
        single.column("iop.census").unwrap()
    );
}

fn check(sets: &[&str]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_iopsim"));
    cmd.arg("check");
    for s in sets {
        cmd.args(["--set", s]);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Each `--set` is refused by `check` with exit code 2 (bad input), its
/// message saying everything listed beside it.
fn refused(cases: &[(&str, Vec<&str>)]) {
    for (set, says) in cases {
        let (code, err) = check(&[set]);
        assert_eq!(code, 2, "{set}: {err}");
        for s in says {
            assert!(err.contains(s), "{set}: expected {s:?} in {err}");
        }
    }
}

#[test]
fn impossible_or_out_of_range_distributions_are_refused_naming_the_key() {
    refused(&[
        (
            "referrals.community.show={ uncertain = \"beta\", mean = 1.3, n = 60 }",
            vec!["referrals[", "].show", "between 0 and 1"],
        ),
        (
            "referrals.community.show={ uncertain = \"normal\", mean = 0.7, sd = 0.3 }",
            vec!["].show", "normal(mean 0.7, sd 0.3)", "0.1% point", "narrow the distribution"],
        ),
        (
            "referrals.community.per_week={ uncertain = \"triangular\", min = 3, mode = 1, max = 4 }",
            vec!["].per_week", "min <= mode <= max"],
        ),
        (
            "units.iop.tracks.evening.groups={ uncertain = \"uniform\", min = 1, max = 3 }",
            vec!["tracks[1].groups", "only a number that may be fractional can be uncertain"],
        ),
        (
            "referrals.community.show={ uncertain = \"weibull\", mean = 0.5 }",
            vec!["].show", "unknown distribution 'weibull'", "beta (mean, n"],
        ),
    ]);
    let (code, err) =
        check(&["referrals.community.show={ uncertain = \"beta\", mean = 0.7, n = 30 }"]);
    assert_eq!(code, 0, "{err}");
}

const ON_COMPLETION: &str = "units.iop.on_completion={ uncertain = \"dirichlet\", n = 40, \
                             shares = { outpatient = 0.8, alumni = 0.2 } }";

/// A Dirichlet routing map: each completer goes to alumni with the
/// trial's drawn share p_t (beta, mean 0.2, n 40), so given the C_t
/// completers routed, the alumni count is beta-binomial, of variance
/// C p (1 - p) (n + C) / (n + 1); with the shares known, binomial,
/// C p (1 - p). Summed over trials, squared deviations from p C_t must
/// match each within the sampling error of 3,000 trials.
#[test]
fn a_dirichlet_routing_map_widens_its_counts_as_a_beta_binomial() {
    let (p, n) = (0.2, 40.0);
    let ratio = |s: &Scenario| {
        let run = decide::run(s, 0, true, "", true).unwrap();
        let alumni = run.column("iop.to.alumni").unwrap();
        let outpatient = run.column("iop.to.outpatient").unwrap();
        let (mut dev, mut binomial, mut mixed) = (0.0, 0.0, 0.0);
        for (a, o) in alumni.iter().zip(&outpatient) {
            let c = a + o;
            dev += (a - p * c).powi(2);
            binomial += c * p * (1.0 - p);
            mixed += c * p * (1.0 - p) * (n + c) / (n + 1.0);
        }
        (dev / binomial, dev / mixed)
    };
    let trials = "simulation.trials=3000";
    let (known, _) = ratio(&load(&[
        trials,
        "units.iop.on_completion={ outpatient = 0.8, alumni = 0.2 }",
    ]));
    let (wide, theory) = ratio(&load(&[trials, ON_COMPLETION]));
    assert!(
        (known - 1.0).abs() < 0.1,
        "known shares: {known} of binomial"
    );
    assert!(
        (theory - 1.0).abs() < 0.15,
        "dirichlet: {theory} of beta-binomial ({wide} of binomial)"
    );
    assert!(wide > 2.0, "{wide}");
}

/// Fixed at their means, Dirichlet shares are the shares as written:
/// a routing map and a stream's class shares, row for row.
#[test]
fn fixed_dirichlet_shares_are_the_written_shares() {
    let at_means = load(&[
        "simulation.trials=100",
        "units.iop.on_completion={ outpatient = 0.8, alumni = 0.2 }",
    ]);
    let fixed = load(&[
        "simulation.trials=100",
        ON_COMPLETION,
        "simulation.fixed_inputs=true",
    ]);
    assert!(fixed.inputs.is_empty());
    let a = decide::run(&at_means, 0, true, "", true).unwrap();
    let b = decide::run(&fixed, 0, true, "", true).unwrap();
    assert_eq!(a.rows, b.rows);

    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/dual-diagnosis.toml");
    let written =
        iopsim::scenario::load_file(std::path::Path::new(path), &["simulation.trials=60".into()])
            .unwrap();
    let classes = "referrals.community.classes={ uncertain = \"dirichlet\", n = 25, \
                   shares = { oud-moud = 0.35, aud-mood = 0.45, stim-smi = 0.20 } }";
    let load = |sets: &[&str]| {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        iopsim::scenario::load_file(std::path::Path::new(path), &sets).unwrap()
    };
    let dirichlet = load(&["simulation.trials=60", classes]);
    let keys: Vec<&str> = dirichlet
        .inputs
        .list
        .iter()
        .map(|i| i.key.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "referrals.community.classes.oud-moud",
            "referrals.community.classes.aud-mood"
        ]
    );
    let fixed = load(&[
        "simulation.trials=60",
        classes,
        "simulation.fixed_inputs=true",
    ]);
    let a = decide::run(&written, 0, true, "", true).unwrap();
    let b = decide::run(&fixed, 0, true, "", true).unwrap();
    assert_eq!(a.rows, b.rows);
    let drawn = decide::run(&dirichlet, 0, true, "", true).unwrap();
    assert_ne!(a.rows, drawn.rows, "drawn shares change the trials");
}

/// Shares on a list's elements (each track's `share`, each payer's) as
/// one Dirichlet: fixed at their means, the written shares, row for row;
/// drawn, each trial's shares keep their total and change the trials.
#[test]
fn dirichlet_shares_on_tracks_and_payers_are_the_written_ones_at_their_means() {
    let track = |name: &str, mean: f64| {
        format!(
            "units.iop.tracks.{name}.share={{ uncertain = \"dirichlet\", mean = {mean}, n = 30 }}"
        )
    };
    let payer = |name: &str, mean: f64| {
        format!(
            "finance.payers.{name}.share={{ uncertain = \"dirichlet\", mean = {mean}, n = 50 }}"
        )
    };
    let sets = [
        track("morning", 0.4),
        track("evening", 0.6),
        payer("medicare", 0.3),
        payer("commercial", 0.5),
        payer("medicaid", 0.2),
    ];
    let with = |extra: &[&str]| {
        let mut all = vec!["simulation.trials=80"];
        all.extend(sets.iter().map(String::as_str));
        all.extend(extra);
        load(&all)
    };
    let drawn = with(&[]);
    let keys: Vec<&str> = drawn.inputs.list.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "units.iop.tracks.morning.share",
            "finance.payers.medicare.share",
            "finance.payers.commercial.share"
        ]
    );
    let written = load(&["simulation.trials=80"]);
    let fixed = with(&["simulation.fixed_inputs=true"]);
    let a = decide::run(&written, 0, true, "", true).unwrap();
    let b = decide::run(&fixed, 0, true, "", true).unwrap();
    assert_eq!(a.rows, b.rows);
    for t in 0..20 {
        let s = drawn.inputs.scenario_at(&drawn.inputs.draw(1, t)).unwrap();
        let iop = s.units.iter().find(|u| u.name == "iop").unwrap();
        let iopsim::scenario::UnitKind::Sessions(su) = &iop.kind else {
            panic!("iop is a sessions unit");
        };
        let tracks: f64 = su.tracks.iter().map(|t| t.share).sum();
        assert!((tracks - 1.0).abs() < 1e-12, "trial {t}: {tracks}");
        assert!(su.tracks[0].share != 0.4, "trial {t} drew the mean");
    }
    let c = decide::run(&drawn, 0, true, "", true).unwrap();
    assert_ne!(a.rows, c.rows);
}

#[test]
fn impossible_share_maps_are_refused_naming_the_key() {
    refused(&[
        (
            "units.iop.on_completion={ uncertain = \"dirichlet\", n = 40, shares = { outpatient = 0.8, alumni = 0.3 } }",
            vec!["units[", "].on_completion", "sum to 1.1", "at most 1"],
        ),
        (
            "units.iop.on_completion={ uncertain = \"dirichlet\", n = -1, shares = { outpatient = 0.8, alumni = 0.2 } }",
            vec!["].on_completion", "n (the observations behind the shares) must be > 0"],
        ),
        (
            "units.iop.tracks.morning.share={ uncertain = \"dirichlet\", mean = 0.4, n = 30 }",
            vec!["tracks[1].share", "give one on every element of the list"],
        ),
        (
            // A destination the unit cannot send to is named as without
            // the distribution, at its mean.
            "units.iop.on_completion={ uncertain = \"dirichlet\", n = 40, shares = { outpatient = 0.8, iop = 0.2 } }",
            vec!["on_completion.iop", "cannot send patients to itself"],
        ),
    ]);
    let (code, err) = check(&[ON_COMPLETION]);
    assert_eq!(code, 0, "{err}");
}
