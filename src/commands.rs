//! What each subcommand does: load the scenario, run the trials, write the
//! outputs. `main.rs` only parses the command line and reports errors.

use std::fs;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{CheckArgs, Cli, Command, DecideRun, InitArgs, RunArgs, ValidateArgs};
use crate::decide::request::ScenarioSource;
use crate::model::capacity;
use crate::model::result::{summary_names, summary_values};
use crate::model::staffing;
use crate::report;
use crate::report::console::summary_table;
use crate::report::csv::{summary_csv, weekly_csv, TrialsWriter};
use crate::report::log::{CsvLog, LOG_SCHEMA_VERSION};
use crate::report::output::{self, Interrupted, Owner, RunRecord, RunStatus, Source, Staging};
use crate::scenario::{Scenario, ScenarioError, DEFAULT_TOML};
use crate::trials::{self, RunOptions, RunResults, Stopped};

/// A command-line option with a value it cannot take (beyond what clap
/// checks): bad input, like a bad scenario.
#[derive(Debug, thiserror::Error)]
#[error("{option}: {message}")]
pub struct UsageError {
    pub option: String,
    pub message: String,
}

/// Exit code for an error: 2 for bad input (the scenario, its overrides or
/// an option), 1 otherwise.
pub fn exit_code(e: &anyhow::Error) -> i32 {
    if e.chain().any(|c| {
        c.downcast_ref::<ScenarioError>().is_some()
            || c.downcast_ref::<UsageError>().is_some()
            || c.downcast_ref::<crate::calibrate::records::RecordsError>()
                .is_some()
            || c.downcast_ref::<crate::calibrate::write::WriteError>()
                .is_some()
            || c.downcast_ref::<crate::shard::ShardError>().is_some()
    }) {
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
        Some(Command::Run(args)) => match args.shard {
            Some(shard) => crate::shard::run(&args, shard),
            None => run(&args).map(|_| ()),
        },
        Some(Command::Check(args)) => check(&args),
        Some(Command::Init(args)) => init(&args),
        Some(Command::Validate(args)) => validate(&args),
        Some(Command::Compare(args)) => crate::decide::compare::command(&args),
        Some(Command::Sweep(args)) => crate::decide::sweep::command(&args),
        Some(Command::Size(args)) => crate::decide::size::command(&args),
        Some(Command::Sensitivity(args)) => crate::decide::sensitivity::command(&args),
        Some(Command::Fit(args)) => crate::calibrate::command::fit(&args),
        Some(Command::Serve(args)) => crate::serve::command(&args),
        Some(Command::Backtest(args)) => crate::calibrate::backtest::command(&args),
        Some(Command::Merge(args)) => crate::shard::merge::command(&args),
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
    let source = ScenarioSource::file(args.scenario.as_ref());
    let mut scenario = source.load(&args.run.settings().overrides(&[]))?;
    scenario.overrides = args.run.set.clone();
    let threads = args.run.threads;
    run_as(
        args,
        &source,
        scenario,
        Origin::Simulated,
        &mut |scenario, on_trial, progress| {
            trials::run_until(
                scenario,
                &RunOptions { threads },
                output::interrupt::flag(),
                on_trial,
                progress,
            )
        },
    )
}

/// Where a run's trials come from: simulated ([`run`]), or folded from the
/// records of shards (`iopsim merge`, [`crate::shard`]). Given the scenario,
/// a callback for each trial's summary row in trial order and one for
/// progress, it returns the run's results.
pub type Trials<'a> = dyn FnMut(
        &Scenario,
        &mut (dyn FnMut(u64, &[f64]) -> anyhow::Result<()> + Send),
        &mut (dyn FnMut(u64) + Send),
    ) -> anyhow::Result<RunResults>
    + 'a;

/// Where the trials of [`run_as`] come from, for the line that says how
/// long they took.
#[derive(Debug, Clone, Copy)]
pub enum Origin {
    /// Simulated here: the run's own time.
    Simulated,
    /// Folded from `shards` shards, which took `seconds` between them.
    Merged { shards: usize, seconds: f64 },
}

impl Origin {
    /// "N trials in S s (E M events/s)", or for a merge the shards' time
    /// beside the merge's own (events per second of the shards' time: the
    /// merge simulates nothing).
    fn timing_line(self, results: &RunResults) -> String {
        let trials = report::plots::chart::group_thousands(u64::from(results.trials));
        let rate = |secs: f64| results.events as f64 / secs.max(1e-9) / 1e6;
        let here = results.elapsed.as_secs_f64();
        match self {
            Origin::Simulated => {
                format!(
                    "{trials} trials in {here:.2} s ({:.1} M events/s)",
                    rate(here)
                )
            }
            Origin::Merged { shards, seconds } => format!(
                "{trials} trials merged from {shards} shard{} in {here:.2} s; the shards took \
                 {seconds:.2} s between them ({:.1} M events/s)",
                if shards == 1 { "" } else { "s" },
                rate(seconds)
            ),
        }
    }
}

/// `iopsim run` of `scenario` (loaded from `source` with `args`' settings)
/// with its trials from `trials`: everything a run writes and prints, the
/// same whether the trials were simulated here or merged from shards
/// (`origin`).
pub fn run_as(
    args: &RunArgs,
    source: &ScenarioSource,
    scenario: Scenario,
    origin: Origin,
    trials: &mut Trials<'_>,
) -> anyhow::Result<(RunResults, PathBuf)> {
    let started = (Instant::now(), SystemTime::now());
    // Options checked before anything is written.
    let log = LogPlan::new(args, &scenario)?;
    for w in capacity_warnings(&scenario) {
        eprintln!("warning: {w}");
    }
    // Refuse to replace another scenario's results before spending any time.
    let claim = output::Claim::new(
        &args.run.out,
        &output::results_folder(&scenario.name, &scenario.overrides),
        Owner::new("run", source.owner_source()),
        args.run.force,
    )?;
    let target = claim.target().to_path_buf();
    let requested = u64::from(scenario.simulation.trials);
    let record = RunRecord {
        resolved_fingerprint: output::fingerprint(&scenario.resolved_toml),
        seed: scenario.simulation.seed,
        trials_requested: requested,
        overrides: scenario.overrides.clone(),
        ..RunRecord::new(claim.owner(), &scenario.name, started.1)
    };
    let record_path = claim.interrupted_record()?;
    output::interrupt::arm();
    let staging = claim.stage()?;
    // Trials folded so far, for the record of an interrupted run.
    let done = Arc::new(AtomicU64::new(0));
    // What an interrupt leaves: the staging directory removed, the previous
    // results untouched, the run recorded beside them. Run by the signal
    // thread on a second Ctrl-C (the process then quits at once), or here
    // after the first one.
    output::interrupt::on_quit({
        let (dir, path, done) = (
            staging.dir().to_path_buf(),
            record_path.clone(),
            done.clone(),
        );
        let record = record.clone();
        move || {
            let _ = fs::remove_dir_all(&dir);
            let rec = RunRecord {
                status: RunStatus::Interrupted,
                trials_done: done.load(Ordering::SeqCst),
                seconds: started.0.elapsed().as_secs_f64(),
                ..record
            };
            output::write_atomic(&path, &rec.to_json()?)
        }
    });
    let stop = |staging: Staging| -> anyhow::Error {
        drop(staging);
        let done = done.load(Ordering::SeqCst);
        let kept = if target.is_dir() {
            format!("{} keeps its previous complete results", target.display())
        } else {
            format!("nothing was written to {}", target.display())
        };
        match output::interrupt::tidy_now().unwrap_or(Ok(())) {
            Ok(()) => Interrupted {
                done,
                requested,
                kept,
                record: record_path.clone(),
            }
            .into(),
            Err(e) => e.context(format!(
                "interrupted after {done} of {requested} trials; {kept}"
            )),
        }
    };
    let mut rows = Vec::new();
    let keep = log.as_ref().map_or(0, |l| l.trials);
    let outcome =
        simulate(args, &scenario, &staging, &done, keep, &mut rows, trials).and_then(|r| {
            let logged = match &log {
                Some(plan) => Some(plan.write(&scenario, &staging, &rows)?),
                None => None,
            };
            Ok((r, logged))
        });
    let (results, logged) = match outcome {
        Ok(r) => r,
        Err(e) if e.downcast_ref::<Stopped>().is_some() => return Err(stop(staging)),
        Err(e) => {
            output::interrupt::clear_quit();
            return Err(e);
        }
    };
    let written = write_outputs(args, &scenario, &results, &staging);
    // Stop if asked to while the files were written (plots take a moment).
    if output::interrupt::requested() {
        return Err(stop(staging));
    }
    if let Err(e) = written.and_then(|()| {
        let rec = RunRecord {
            trials_done: done.load(Ordering::SeqCst),
            seconds: started.0.elapsed().as_secs_f64(),
            log: logged,
            ..record
        };
        staging.write(output::RUN_RECORD, &rec.to_json()?)
    }) {
        output::interrupt::clear_quit();
        return Err(e);
    }
    let dir = staging.commit();
    output::interrupt::clear_quit();
    let dir = dir?;
    let _ = fs::remove_file(&record_path);
    print!("{}", summary_table(&results));
    println!("\n{}", origin.timing_line(&results));
    println!("results in {}{}", dir.display(), std::path::MAIN_SEPARATOR);
    if args.no_plots {
        println!("report: none (--no-plots)");
    } else {
        println!("report: {}", dir.join("report.html").display());
    }
    Ok((results, dir))
}

/// The trials of `run` (simulated or merged, `trials`), streaming
/// `trials.csv` into the staging directory and stopping between trials on
/// Ctrl-C ([`Stopped`]).
/// The summary rows of the first `keep` trials go to `kept` (the log's
/// trials are checked against them).
fn simulate(
    args: &RunArgs,
    scenario: &Scenario,
    staging: &Staging,
    done: &AtomicU64,
    keep: u64,
    kept: &mut Vec<Vec<f64>>,
    trials: &mut Trials<'_>,
) -> anyhow::Result<RunResults> {
    let path = staging.path("trials.csv");
    let file = fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    let mut trials_csv = TrialsWriter::new(
        std::io::BufWriter::new(file),
        &summary_names(scenario),
        &path,
    )?;
    let pb = progress_bar(u64::from(scenario.simulation.trials), args.run.quiet);
    let results = trials(
        scenario,
        &mut |trial, row| {
            trials_csv.row(trial, row)?;
            if trial < keep {
                kept.push(row.to_vec());
            }
            done.fetch_add(1, Ordering::SeqCst);
            Ok(())
        },
        &mut |done| pb.set_position(done),
    );
    pb.finish_and_clear();
    let results = results?;
    trials_csv
        .finish()?
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(results)
}

/// What `run --log` writes, checked before the run.
struct LogPlan {
    trials: u64,
    sessions: bool,
    attendance: bool,
    /// The log's folder, relative to the results folder ("" for itself).
    dir: PathBuf,
}

impl LogPlan {
    /// The log asked for by `args`, if any; a clear error (exit 2) for
    /// options it cannot take.
    fn new(args: &RunArgs, scenario: &Scenario) -> anyhow::Result<Option<LogPlan>> {
        let Some(what) = &args.log.log else {
            return Ok(None);
        };
        let run = u64::from(scenario.simulation.trials);
        let trials = args.log.log_trials.unwrap_or(1);
        let usage = |option: &str, message: String| UsageError {
            option: option.to_string(),
            message,
        };
        if trials == 0 {
            return Err(usage(
                "--log-trials 0",
                "log at least 1 trial: the first N trials of the run are logged (default 1)".into(),
            )
            .into());
        }
        if trials > run {
            return Err(usage(
                &format!("--log-trials {trials}"),
                format!("the run has {run} trials; log at most {run} (or run more with --trials)"),
            )
            .into());
        }
        let dir = args.log.log_dir.clone().unwrap_or_default();
        let inside = dir.components().all(|c| {
            matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        });
        if !inside {
            return Err(usage(
                &format!("--log-dir {}", dir.display()),
                format!(
                    "the log is written inside the results folder ({}), with the other results \
                     and replaced with them; give a folder relative to it, without '..', e.g. --log-dir logs",
                    args.run.out.join(&scenario.name).display()
                ),
            )
            .into());
        }
        Ok(Some(LogPlan {
            trials,
            sessions: what == "sessions" || what == "attendance",
            attendance: what == "attendance",
            dir,
        }))
    }

    /// Re-runs the first trials with the log on, into the staging
    /// directory, checking each against the run's own row of it.
    fn write(
        &self,
        scenario: &Scenario,
        staging: &Staging,
        rows: &[Vec<f64>],
    ) -> anyhow::Result<output::LogRecord> {
        let dir = staging.path(&self.dir.to_string_lossy());
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let file = |name: &str| -> anyhow::Result<(PathBuf, std::io::BufWriter<fs::File>)> {
            let path = dir.join(name);
            let f =
                fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
            Ok((path, std::io::BufWriter::with_capacity(1 << 16, f)))
        };
        let (patients_path, patients) = file("patients.csv")?;
        let sessions = if self.sessions {
            Some(file("sessions.csv")?)
        } else {
            None
        };
        let (sessions_path, sessions) = match sessions {
            Some((p, w)) => (Some(p), Some(w)),
            None => (None, None),
        };
        let mut log = CsvLog::new(scenario, patients, sessions, (patients_path, sessions_path))?;
        if self.attendance {
            let (path, w) = file("attendance.csv")?;
            log = log.with_attendance(w, path)?;
        }
        trials::run_logged(
            scenario,
            self.trials,
            output::interrupt::flag(),
            &mut log,
            &mut |t, r, log| {
                log.check()?;
                let same = rows.get(t as usize).is_some_and(|row| {
                    let again = summary_values(r);
                    again.len() == row.len()
                        && again
                            .iter()
                            .zip(row)
                            .all(|(a, b)| a.to_bits() == b.to_bits())
                });
                if !same {
                    bail!("internal error: the logged re-run of trial {t} differs from the run's trial {t}");
                }
                Ok(())
            },
        )?;
        let (visits, held) = log.rows();
        let attendances = log.attendances();
        let attendance = log.finish_attendance()?;
        let (patients, sessions) = log.finish()?;
        for (w, name) in std::iter::once((patients, "patients.csv"))
            .chain(sessions.map(|w| (w, "sessions.csv")))
            .chain(attendance.map(|w| (w, "attendance.csv")))
        {
            w.into_inner()
                .map_err(|e| e.into_error())
                .with_context(|| format!("writing {}", dir.join(name).display()))?;
        }
        let rel = |name: &str| self.dir.join(name).to_string_lossy().into_owned();
        let mut files = vec![rel("patients.csv")];
        if self.sessions {
            files.push(rel("sessions.csv"));
        }
        if self.attendance {
            files.push(rel("attendance.csv"));
        }
        Ok(output::LogRecord {
            schema: LOG_SCHEMA_VERSION,
            trials: self.trials,
            files,
            visits,
            sessions: held,
            attendances: self.attendance.then_some(attendances),
        })
    }
}

/// Everything but `trials.csv` and `run.json`, into the staging directory.
fn write_outputs(
    args: &RunArgs,
    scenario: &Scenario,
    results: &RunResults,
    staging: &Staging,
) -> anyhow::Result<()> {
    staging.write("summary.csv", &summary_csv(results)?)?;
    staging.write("weekly.csv", &weekly_csv(results)?)?;
    let resolved = format!(
        "# The scenario exactly as simulated (after --set overrides), written by iopsim {}.\n# Rerun: iopsim run scenario.toml\n\n{}",
        env!("CARGO_PKG_VERSION"),
        scenario.resolved_toml
    );
    staging.write("scenario.toml", resolved.as_bytes())?;
    if !args.no_plots {
        let figures = report::plots::write_all(results, staging)?;
        report::html::write(results, &figures, staging)?;
    }
    Ok(())
}

/// Printed before a run: units whose demand exceeds their capacity, and
/// whether anything stops their waitlist from growing; then a run expected
/// to take minutes.
fn capacity_warnings(s: &Scenario) -> Vec<String> {
    let mut warnings: Vec<String> = capacity::estimate(s)
        .iter()
        .filter_map(|e| capacity::load_warning(e, false))
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
    if !s.inputs.is_empty() {
        println!("uncertain inputs, drawn per trial (the figures below are at their means):");
        for i in &s.inputs.list {
            println!("  {} ~ {}", i.key, i.describe());
        }
        println!();
    }
    println!(
        "{:<16} {:>9} {:>12} {:>11} {:>10} {:>9} {:>8} {:>9}",
        "unit",
        "capacity",
        "seats/week",
        "admit/week",
        "stay days",
        "offered",
        "in care",
        "of places"
    );
    let mut warnings = Vec::new();
    let mut notes = Vec::new();
    for e in capacity::estimate(&s) {
        println!(
            "{:<16} {:>9} {:>12} {:>11.2} {:>10.1} {:>9.1} {:>8.1} {:>8.0}%",
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
            e.census,
            e.census_share() * 100.0
        );
        if e.pools.len() > 1 {
            for p in &e.pools {
                notes.push(format!(
                    "  {}/{}: offered {:.1} for {} seats ({:.0}%), in care {:.1} ({:.0}%), {:.0}% give up waiting",
                    e.name,
                    p.track,
                    p.offered,
                    p.places,
                    p.offered / p.places * 100.0,
                    p.census,
                    p.census / p.places * 100.0,
                    p.lost * 100.0
                ));
            }
        }
        if !e.predicts_census {
            notes.push(format!(
                "  {}: in care is rough here (cohorts, an intake, facilitators, group minimums, caseloads, classes, a patience other than exponential, an [initial] state, and the waitlist losses of the units transfers come from are not in the estimate)",
                e.name
            ));
        }
        warnings.extend(capacity::load_warning(&e, true));
    }
    for n in &notes {
        println!("{n}");
    }
    println!("\noffered = admissions per day (referrals who show) x expected stay (dropouts and step-ups included), before waitlist losses (people giving up, turned away). in care = the census expected after them: each track's waitlist (or the unit's) as a queue with the unit's mean patience. The run admits at sessions, not the moment a seat frees, so its census is usually a few percent lower.");
    for (r, st) in s.staff.iter().enumerate() {
        let Some(roster) = &st.roster else { continue };
        let rostered: f64 = roster
            .shifts
            .iter()
            .map(|sh| f64::from(sh.count) * sh.hours * sh.days.len() as f64)
            .sum();
        let people: u32 = roster.shifts.iter().map(|sh| sh.count).sum();
        println!(
            "staff {}: {} rostered, {:.1} h on duty a week before leave; the timetable asks {:.1} h of groups and fixed intakes ({:.2} FTE at {} h)",
            st.role,
            people,
            rostered,
            staffing::timetable_hours(&s, r),
            staffing::timetable_hours(&s, r) / st.hours_per_fte,
            st.hours_per_fte
        );
    }
    warnings.extend(staffing::uncovered_slots(&s));
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
    let name = name_from_path(&args.path);
    fs::write(&args.path, init_text(&name))
        .with_context(|| format!("writing {}", args.path.display()))?;
    println!(
        "wrote {} (the default mid-size adult IOP, named \"{name}\"); edit it, then: iopsim run {}",
        args.path.display(),
        args.path.display()
    );
    Ok(())
}

/// The scenario name `init` gives the copy written to `path`: the file's
/// stem, with anything a name may not hold (it names the output folder)
/// turned into `-` (one for each run, none at the ends), so `init my.toml` then `run my.toml` writes
/// `output/my/` and never meets the default's folder.
pub fn name_from_path(path: &std::path::Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let safe: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    // "next year (draft)" reads "next-year-draft": one dash for each run of
    // others, none at the ends.
    let mut name = String::with_capacity(safe.len());
    for c in safe.chars() {
        if !(c == '-' && name.ends_with('-')) {
            name.push(c);
        }
    }
    let name = name
        .trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
        .trim_end_matches('-');
    if name.is_empty() {
        "my-program".to_string()
    } else {
        name.to_string()
    }
}

/// The default scenario's text with `name` in place of its own (the only
/// line that changes: comments and layout stay as shipped).
fn init_text(name: &str) -> String {
    const DEFAULT_NAME_LINE: &str = "name = \"midsize-adult-iop\"";
    debug_assert_eq!(DEFAULT_TOML.matches(DEFAULT_NAME_LINE).count(), 1);
    DEFAULT_TOML.replacen(DEFAULT_NAME_LINE, &format!("name = \"{name}\""), 1)
}

/// `iopsim validate`: runs the validation suite, prints the table, writes
/// `validation.csv`, and fails if any check fails.
pub fn validate(args: &ValidateArgs) -> anyhow::Result<()> {
    use crate::validate::{self, Suite};
    let started = SystemTime::now();
    let suite = if args.full { Suite::Full } else { Suite::Fast };
    // The suite is its own scenario: no file, always the same cases.
    let owner = Owner::new(
        "validate",
        Source {
            label: "<validation suite>".to_string(),
            path: None,
            fingerprint: output::fingerprint("iopsim validate"),
        },
    );
    let claim = output::Claim::new(&args.out, "validation", owner, args.force)?;
    let report = validate::run(suite, args.seed, args.threads, &mut |done, total, case| {
        if !case.is_empty() {
            eprintln!("[{}/{total}] {case}", done + 1);
        }
    })?;
    let staging = claim.stage()?;
    staging.write("validation.csv", &validate::csv(&report)?)?;
    let record = RunRecord {
        seed: args.seed,
        seconds: started.elapsed().map_or(0.0, |d| d.as_secs_f64()),
        ..RunRecord::new(claim.owner(), "validation", started)
    };
    staging.write(output::RUN_RECORD, &record.to_json()?)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn init_names_the_scenario_after_its_file() {
        let name = |p: &str| name_from_path(Path::new(p));
        assert_eq!(name("my.toml"), "my");
        assert_eq!(name("dir/next year (draft).toml"), "next-year-draft");
        assert_eq!(name(".hidden.toml"), "hidden");
        assert_eq!(name("2027_plan.v2.toml"), "2027_plan.v2");
        assert_eq!(name("\u{fc}n\u{ef}.toml"), "n");
        assert_eq!(name("(().toml"), "my-program");
        assert_eq!(name(""), "my-program");
        // The copy differs from the default by its name line only.
        let text = init_text("clinic-b");
        assert_eq!(text.lines().count(), DEFAULT_TOML.lines().count());
        assert!(text.contains("\nname = \"clinic-b\"\n"));
        assert!(crate::scenario::load_str(&text, "init", &[]).is_ok());
    }
}
