//! What each subcommand does: load the scenario, run the trials, write the
//! outputs. `main.rs` only parses the command line and reports errors.

use std::fs;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{CheckArgs, Cli, Command, DecideRun, InitArgs, RunArgs, ValidateArgs};
use crate::model::capacity;
use crate::model::result::summary_names;
use crate::report;
use crate::report::console::summary_table;
use crate::report::csv::{summary_csv, weekly_csv, TrialsWriter};
use crate::report::output::{self, Interrupted, RunRecord, RunStatus, Source, Staging};
use crate::scenario::{Scenario, ScenarioError, DEFAULT_TOML};
use crate::trials::{self, RunOptions, RunResults};

/// Exit code for an error: 2 for bad input (the scenario or its overrides), 1 otherwise.
pub fn exit_code(e: &anyhow::Error) -> i32 {
    if e.chain()
        .any(|c| c.downcast_ref::<ScenarioError>().is_some())
    {
        2
    } else if e.chain().any(|c| c.downcast_ref::<Interrupted>().is_some()) {
        130
    } else {
        1
    }
}

pub fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => run(&RunArgs {
            run: DecideRun {
                out: PathBuf::from("output"),
                ..DecideRun::default()
            },
            ..RunArgs::default()
        })
        .map(|_| ()),
        Some(Command::Run(args)) => run(&args).map(|_| ()),
        Some(Command::Check(args)) => check(&args),
        Some(Command::Init(args)) => init(&args),
        Some(Command::Validate(args)) => validate(&args),
        Some(Command::Compare(args)) => crate::decide::compare::command(&args),
        Some(Command::Sweep(args)) => crate::decide::sweep::command(&args),
        Some(Command::Size(args)) => crate::decide::size::command(&args),
    }
}

/// Loads the scenario file, or the built-in default when none is given.
pub use crate::decide::load;

fn progress_bar(trials: u64, quiet: bool) -> ProgressBar {
    let pb = ProgressBar::new(trials);
    if quiet || !std::io::stderr().is_terminal() {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    } else {
        pb.set_draw_target(ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} trials {pos}/{len} [{bar:30}] {elapsed} (eta {eta})",
        ) {
            pb.set_style(style.progress_chars("=> "));
        }
    }
    pb
}

/// `iopsim run`: simulates and writes all outputs; returns the results and
/// the directory they were written to.
pub fn run(args: &RunArgs) -> anyhow::Result<(RunResults, PathBuf)> {
    let started = (Instant::now(), SystemTime::now());
    let scenario = load(
        args.scenario.as_ref(),
        &crate::decide::overrides(&args.run, &[]),
    )?;
    for w in capacity_warnings(&scenario) {
        eprintln!("warning: {w}");
    }
    // Refuse to replace another scenario's results before spending any time.
    let target = output::results_dir(&args.run.out, &scenario.name)?;
    let text = match &args.scenario {
        Some(p) => fs::read_to_string(p).unwrap_or_default(),
        None => DEFAULT_TOML.to_string(),
    };
    let source = Source::new(args.scenario.as_deref(), &text);
    output::check_replace(&target, &source, args.force)?;
    let source = output::recorded_source(&target, source);
    let requested = u64::from(scenario.simulation.trials);
    let record = |status, done| RunRecord {
        status,
        version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: scenario.name.clone(),
        source: source.label.clone(),
        source_fingerprint: source.fingerprint.clone(),
        resolved_fingerprint: output::fingerprint(&scenario.resolved_toml),
        seed: scenario.simulation.seed,
        trials_requested: requested,
        trials_done: done,
        started: output::rfc3339(started.1),
        seconds: started.0.elapsed().as_secs_f64(),
    };
    // Ctrl-C: stop after the trials in progress, drop the staging directory,
    // keep the previous results, record the interrupted run beside them.
    let stop = |staging: Staging, done: u64| -> anyhow::Error {
        drop(staging);
        let kept = if target.is_dir() {
            format!("{} keeps its previous complete results", target.display())
        } else {
            format!("nothing was written to {}", target.display())
        };
        match output::interrupted_record_path(&args.run.out, &scenario.name).and_then(|path| {
            output::write_atomic(&path, &record(RunStatus::Interrupted, done).to_json()?)?;
            Ok(path)
        }) {
            Ok(path) => Interrupted {
                done,
                requested,
                kept,
                record: path,
            }
            .into(),
            Err(e) => e.context(format!(
                "interrupted after {done} of {requested} trials; {kept}"
            )),
        }
    };
    output::interrupt::arm();
    let staging = Staging::new(&args.run.out, &scenario.name)?;
    let trials_file =
        fs::File::create(staging.path("trials.csv")).context("creating trials.csv")?;
    let mut trials_csv = TrialsWriter::new(
        std::io::BufWriter::new(trials_file),
        &summary_names(&scenario),
    )?;
    let pb = progress_bar(requested, args.run.quiet);
    let mut done = 0u64;
    let outcome = trials::run(
        &scenario,
        &RunOptions {
            threads: args.run.threads,
        },
        &mut |trial, row| {
            if output::interrupt::requested() {
                bail!("interrupted");
            }
            trials_csv.row(trial, row)?;
            done += 1;
            Ok(())
        },
        &mut |done| pb.set_position(done),
    );
    pb.finish_and_clear();
    let results = match outcome {
        Ok(r) => r,
        Err(_) if output::interrupt::requested() => {
            drop(trials_csv);
            return Err(stop(staging, done));
        }
        Err(e) => return Err(e),
    };
    trials_csv.finish()?;
    staging.write("summary.csv", &summary_csv(&results)?)?;
    staging.write("weekly.csv", &weekly_csv(&results)?)?;
    let resolved = format!(
        "# The scenario exactly as simulated (after --set overrides), written by iopsim {}.\n# Rerun: iopsim run scenario.toml\n\n{}",
        env!("CARGO_PKG_VERSION"),
        scenario.resolved_toml
    );
    staging.write("scenario.toml", resolved.as_bytes())?;
    if !args.no_plots {
        let figures = report::plots::write_all(&results, &staging)?;
        report::html::write(&results, &figures, &staging)?;
    }
    if output::interrupt::requested() {
        return Err(stop(staging, done));
    }
    staging.write(
        output::RUN_RECORD,
        &record(RunStatus::Complete, done).to_json()?,
    )?;
    let dir = staging.commit()?;
    if let Ok(stale) = output::interrupted_record_path(&args.run.out, &scenario.name) {
        let _ = fs::remove_file(stale);
    }
    print!("{}", summary_table(&results));
    println!(
        "\n{} trials in {:.2} s ({:.1} M events/s); results in {}",
        results.trials,
        results.elapsed.as_secs_f64(),
        results.events as f64 / results.elapsed.as_secs_f64().max(1e-9) / 1e6,
        dir.display()
    );
    Ok((results, dir))
}

/// Printed before a run: units whose demand exceeds their capacity, and
/// whether anything stops their waitlist from growing; then a run expected
/// to take minutes.
fn capacity_warnings(s: &Scenario) -> Vec<String> {
    let mut warnings: Vec<String> = capacity::estimate(s)
        .iter()
        .filter(|e| e.utilization >= 1.0)
        .map(|e| {
            let unlimited = s
                .units
                .iter()
                .find(|u| u.name == e.name)
                .is_some_and(|u| u.waitlist.capacity.is_none() && u.waitlist.patience.is_none());
            let growth = if unlimited {
                format!(
                    "its waitlist has no capacity and nobody gives up, so it grows all run long, by about {:.1} a week (memory grows with the horizon, not with trials)",
                    e.arrivals_per_week * (1.0 - 1.0 / e.utilization)
                )
            } else {
                "the waitlist will grow until patience or its capacity limits it".to_string()
            };
            format!(
                "{}: demand exceeds capacity (load {:.1} for {} places); {growth}",
                e.name, e.offered_load, e.capacity
            )
        })
        .collect();
    warnings.extend(capacity::run_cost_warning(s));
    warnings
}

/// `iopsim check`: validates and prints the capacity picture.
pub fn check(args: &CheckArgs) -> anyhow::Result<()> {
    let s = load(args.scenario.as_ref(), &args.set)?;
    println!("{}: valid scenario", s.name);
    if !s.description.is_empty() {
        println!("  {}", s.description);
    }
    println!(
        "  {} trials x {} weeks from {} after {} warm-up weeks, seed {}\n",
        s.simulation.trials,
        s.simulation.weeks,
        s.simulation.start_date,
        s.simulation.warmup_weeks,
        s.simulation.seed
    );
    println!(
        "{:<16} {:>9} {:>12} {:>11} {:>10} {:>10} {:>8}",
        "unit", "capacity", "seats/week", "admit/week", "stay days", "load (L)", "util."
    );
    let mut warnings = Vec::new();
    for e in capacity::estimate(&s) {
        println!(
            "{:<16} {:>9} {:>12} {:>11.2} {:>10.1} {:>10.1} {:>7.0}%",
            e.name,
            e.capacity,
            if e.seat_sessions_per_week > 0.0 {
                format!("{}", e.seat_sessions_per_week)
            } else {
                "-".into()
            },
            e.arrivals_per_week,
            e.mean_stay_days,
            e.offered_load,
            e.utilization * 100.0
        );
        if e.utilization >= 1.0 {
            warnings.push(format!(
                "{}: demand exceeds capacity (load {:.1} for {} places): the waitlist will grow until patience or its capacity limits it",
                e.name, e.offered_load, e.capacity
            ));
        } else if e.utilization >= 0.85 {
            warnings.push(format!(
                "{}: utilization {:.0}% leaves little slack: expect waits to be sensitive to demand",
                e.name,
                e.utilization * 100.0
            ));
        }
    }
    println!("\nload = admissions per day x expected stay (Little's law), ignoring losses while waiting and administrative discharges.");
    warnings.extend(capacity::run_cost_warning(&s));
    for w in &warnings {
        println!("warning: {w}");
    }
    Ok(())
}

/// `iopsim init`: writes the default scenario.
pub fn init(args: &InitArgs) -> anyhow::Result<()> {
    if args.path.exists() && !args.force {
        bail!(
            "{} already exists; pass --force to overwrite it",
            args.path.display()
        );
    }
    fs::write(&args.path, DEFAULT_TOML)
        .with_context(|| format!("writing {}", args.path.display()))?;
    println!(
        "wrote {} (the default mid-size adult IOP); edit it, then: iopsim run {}",
        args.path.display(),
        args.path.display()
    );
    Ok(())
}

/// `iopsim validate`: runs the validation suite, prints the table, writes
/// `validation.csv`, and fails if any check fails.
pub fn validate(args: &ValidateArgs) -> anyhow::Result<()> {
    use crate::validate::{self, Suite};
    let suite = if args.full { Suite::Full } else { Suite::Fast };
    let report = validate::run(suite, args.seed, args.threads, &mut |done, total, case| {
        if !case.is_empty() {
            eprintln!("[{}/{total}] {case}", done + 1);
        }
    })?;
    let staging = Staging::new(&args.out, "validation")?;
    staging.write("validation.csv", &validate::csv(&report)?)?;
    let dir = staging.commit()?;
    print!("{}", validate::table(&report));
    println!("\n{}", validate::summary(&report));
    println!("table in {}", dir.join("validation.csv").display());
    let failed = report.failures();
    if failed > 0 {
        bail!(
            "{failed} of {} checks failed (theory outside the simulated 99% interval or relative error above {:.0}%)",
            report.checks.len(),
            validate::MAX_REL_ERROR * 100.0
        );
    }
    Ok(())
}
