//! What the planner's page asks of the server: the levers of a scenario,
//! a run of the scenario with the page's changes (figures, what needs
//! attention, the run report's charts and, with a pinned baseline, the
//! paired differences from it), "what do I need" through `size`, and the
//! usual files of a run or a search to download.
//!
//! The page sends the scenario's text and its changes as `--set`
//! overrides; they are written into the text ([`crate::scenario::edit`])
//! and the edited text is what runs, so the scenario the page downloads
//! is exactly the one whose figures it shows.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{json, Value};

use super::{error, finite, json_answer, load, problems, Answer, Shared, MAX_TRIALS};
use crate::decide::compare::{compare, Paired};
use crate::decide::request::{OutputSettings, RunSettings, ScenarioSource, SizeRequest};
use crate::decide::size::{self, Found};
use crate::decide::sweep::Vary;
use crate::decide::{self, direction, page, words, Direction, Run};
use crate::report::output::fingerprint;
use crate::scenario::{edit, Scenario, UnitKind};
use crate::trials::RunResults;

/// Runs kept for their downloads (the most recent).
const KEPT_RESULTS: usize = 8;
/// Baseline runs kept for pairing (the most recent).
const KEPT_BASELINES: usize = 4;
/// The most per-trial data the kept runs, and the kept baselines, may
/// hold (each); the newest is kept whatever its size. At 1,000 trials a
/// run's rows take about 0.6 MB, at 20,000 about 12 MB.
const KEPT_BYTES: usize = 48 << 20;
/// The most values one "what do I need" search may list.
const MAX_SIZE_VALUES: usize = 200;

/// What the planner keeps between requests, bounded: the last runs (for
/// their files) and the last baselines (so a pinned baseline runs once).
#[derive(Default)]
pub struct Memory {
    next_id: AtomicU64,
    results: Mutex<VecDeque<(u64, Arc<Kept>)>>,
    baselines: Mutex<VecDeque<(String, Arc<Run>)>>,
}

/// A run or a search whose files can be downloaded.
pub enum Kept {
    Run {
        /// The scenario as run (the page's text with its changes).
        toml: String,
        run: Box<Run>,
    },
    Size(Box<Found>),
}

/// The bytes of a run's per-trial rows.
fn rows_bytes(run: &Run) -> usize {
    run.rows.iter().map(|r| r.len() * 8 + 24).sum()
}

impl Kept {
    /// About the bytes it holds (its per-trial data).
    fn bytes(&self) -> usize {
        match self {
            Kept::Run { toml, run } => toml.len() + rows_bytes(run),
            Kept::Size(found) => found
                .kept
                .values()
                .flatten()
                .map(|c| c.as_ref().map_or(0, |c| c.len() * 8))
                .sum(),
        }
    }
}

/// Drops the oldest entries beyond `count` or `bytes`, keeping the newest.
fn trim<T>(list: &mut VecDeque<T>, count: usize, bytes: usize, size: impl Fn(&T) -> usize) {
    while list.len() > 1 && (list.len() > count || list.iter().map(&size).sum::<usize>() > bytes) {
        list.pop_front();
    }
}

impl Memory {
    fn keep(&self, kept: Kept) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut results = self.results.lock().unwrap_or_else(|p| p.into_inner());
        results.push_back((id, Arc::new(kept)));
        trim(&mut results, KEPT_RESULTS, KEPT_BYTES, |(_, k)| k.bytes());
        id
    }

    fn get(&self, id: u64) -> Option<Arc<Kept>> {
        let results = self.results.lock().unwrap_or_else(|p| p.into_inner());
        results
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, k)| Arc::clone(k))
    }

    fn baseline(&self, key: &str) -> Option<Arc<Run>> {
        let b = self.baselines.lock().unwrap_or_else(|p| p.into_inner());
        b.iter().find(|(k, _)| k == key).map(|(_, r)| Arc::clone(r))
    }

    fn keep_baseline(&self, key: String, run: Arc<Run>) {
        let mut b = self.baselines.lock().unwrap_or_else(|p| p.into_inner());
        b.retain(|(k, _)| *k != key);
        b.push_back((key, run));
        trim(&mut b, KEPT_BASELINES, KEPT_BYTES, |(_, r)| rows_bytes(r));
    }
}

/// A scenario as the page sends it: its text and its changes.
struct Sent {
    /// The text with the changes written in.
    toml: String,
    scenario: Scenario,
}

/// Reads `{"scenario": TOML, "set": [KEY=VALUE, ...]}` at `v`; `who`
/// names it in messages ("the scenario", "the baseline").
fn sent(v: &Value, who: &str) -> Result<Sent, Answer> {
    let Some(text) = v.get("scenario").and_then(Value::as_str) else {
        return Err(error(
            400,
            format!("{who}: 'scenario' is missing or not a string of TOML"),
        ));
    };
    let sets: Vec<String> = match v.get("set") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => {
            let mut sets = Vec::new();
            for s in a {
                match s.as_str() {
                    Some(s) => sets.push(s.to_string()),
                    None => {
                        return Err(error(
                            400,
                            format!("{who}: every entry of 'set' must be a string KEY=VALUE"),
                        ))
                    }
                }
            }
            sets
        }
        Some(_) => {
            return Err(error(
                400,
                format!("{who}: 'set' must be a list of strings KEY=VALUE"),
            ))
        }
    };
    let toml = edit::apply(text, &sets).map_err(|e| {
        json_answer(
            422,
            &json!({ "error": format!("{who} has problems"), "problems": [e] }),
        )
    })?;
    let scenario = load(&toml).map_err(|e| {
        let mut a = problems(&e);
        if who != "the scenario" {
            a = json_answer(
                422,
                &json!({ "error": format!("{who} has problems"), "problems": super::problem_list(&e) }),
            );
        }
        a
    })?;
    if scenario.simulation.trials > MAX_TRIALS {
        return Err(error(
            400,
            format!(
                "{who} asks for {} trials; the planner runs at most {MAX_TRIALS}",
                scenario.simulation.trials
            ),
        ));
    }
    Ok(Sent { toml, scenario })
}

/// The page's JSON (`form` says what is expected) and the scenario it sends.
fn read(text: &str, form: &str) -> Result<(Value, Sent), Answer> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| error(400, format!("expected JSON {form}: {e}")))?;
    let current = sent(&v, "the scenario")?;
    Ok((v, current))
}

/// The metrics the page shows as key figures: the decision pages' key
/// metrics and, where a unit has several tracks, each track's census,
/// use of seats and people lost while waiting.
pub fn key_figures(s: &Scenario, names: &[String]) -> Vec<String> {
    let mut keys = page::key_metrics(s, names);
    for u in &s.units {
        let UnitKind::Sessions(su) = &u.kind else {
            continue;
        };
        if su.tracks.len() < 2 {
            continue;
        }
        for t in &su.tracks {
            let at = format!("{}.{}", u.name, t.name);
            let extra: Vec<String> = ["census", "seat_utilization", "reneged"]
                .iter()
                .map(|m| format!("{at}.{m}"))
                .filter(|m| names.contains(m) && !keys.contains(m))
                .collect();
            // Beside the track's wait, else after the unit's figures.
            let after = keys
                .iter()
                .rposition(|k| k.starts_with(&format!("{at}.")))
                .or_else(|| {
                    keys.iter()
                        .rposition(|k| k.starts_with(&format!("{}.", u.name)))
                });
            let at_pos = after.map_or(keys.len(), |i| i + 1);
            for (i, m) in extra.into_iter().enumerate() {
                keys.insert(at_pos + i, m);
            }
        }
    }
    keys
}

fn direction_word(d: Direction) -> &'static str {
    match d {
        Direction::Lower => "lower",
        Direction::Higher => "higher",
        Direction::Neutral => "neutral",
    }
}

/// One paired difference as the page shows it.
fn paired_json(metric: &str, p: &Paired) -> Value {
    let m = words::metric(metric).measure;
    let dir = direction(metric);
    let (verdict, says) = page::verdict(dir, p);
    json!({
        "metric": metric,
        "baseline": finite(p.base_mean),
        "alternative": finite(p.alt_mean),
        "difference": finite(p.diff.mean),
        "ci95": [finite(p.diff.ci95_low), finite(p.diff.ci95_high)],
        "text": if p.n > 0 && p.diff.mean.is_finite() {
            m.diff_ci_in_words(p.diff.mean, p.diff.ci95_low, p.diff.ci95_high)
        } else {
            "\u{2013}".to_string()
        },
        "share_better": finite(p.share_better),
        "verdict": verdict,
        "says": says,
    })
}

/// The key figures of a run, in words and numbers.
fn figures_json(r: &RunResults, keys: &[String]) -> Vec<Value> {
    keys.iter()
        .filter_map(|k| {
            let s = r.summary_of(k)?;
            let w = words::metric(k);
            Some(json!({
                "metric": k,
                "subject": w.subject,
                "what": w.what,
                "label": w.label(),
                "direction": direction_word(direction(k)),
                "median": finite(s.p50),
                "p5": finite(s.p5),
                "p95": finite(s.p95),
                "mean": finite(s.mean),
                "text": w.measure.value(s.p50),
                "range": format!("{} \u{2013} {}", w.measure.value(s.p5), w.measure.value(s.p95)),
            }))
        })
        .collect()
}

/// The run report's charts, drawn by the same code, as inline SVG.
fn charts_json(r: &RunResults) -> anyhow::Result<Vec<Value>> {
    crate::report::plots::charts(r)
        .into_iter()
        .map(|c| {
            let svg = crate::report::plots::render_svg(&c)?;
            Ok(json!({
                "stem": c.stem,
                "section": c.section,
                "title": c.title,
                "about": c.about,
                "svg": crate::report::html::inline_svg(&svg, &c.title),
            }))
        })
        .collect()
}

/// `POST /api/levers` with a scenario's TOML: its levers, grouped.
pub(super) fn levers(text: &str) -> Answer {
    match load(text) {
        Ok(s) => json_answer(
            200,
            &json!({
                "name": s.name,
                "description": s.description,
                "trials": s.simulation.trials,
                "seed": s.simulation.seed,
                "groups": super::levers::to_json(&super::levers::levers(&s)),
            }),
        ),
        Err(e) => problems(&e),
    }
}

/// `POST /api/run` with the page's JSON: `{"scenario": TOML, "set": [...],
/// "baseline": {"scenario": TOML, "set": [...]}}` (baseline optional).
pub(super) fn run(shared: &Shared, body: &str, page_id: Option<&str>) -> Answer {
    let form = "{\"scenario\": TOML, \"set\": [KEY=VALUE, ...], \"baseline\": {...}}";
    let (v, current) = match read(body, form) {
        Ok(x) => x,
        Err(a) => return a,
    };
    let baseline = match v.get("baseline") {
        None | Some(Value::Null) => None,
        Some(b) => match sent(b, "the baseline") {
            Ok(b) => Some(b),
            Err(a) => return a,
        },
    };
    // Paired only on the same random inputs: the same seed and trials.
    let pairable = baseline.as_ref().map(|b| {
        let (x, y) = (&b.scenario.simulation, &current.scenario.simulation);
        x.seed == y.seed && x.trials == y.trials
    });
    let threads = shared.config.threads;
    let started = Instant::now();
    let computed = super::guarded(shared, page_id, |stop| {
        let base = match (&baseline, pairable) {
            (Some(b), Some(true)) => {
                let key = fingerprint(&b.toml);
                Some(match shared.memory.baseline(&key) {
                    Some(r) => r,
                    None => {
                        let r = Arc::new(decide::run_until(
                            &b.scenario,
                            threads,
                            true,
                            "baseline",
                            true,
                            stop,
                        )?);
                        shared.memory.keep_baseline(key, Arc::clone(&r));
                        r
                    }
                })
            }
            _ => None,
        };
        let run = decide::run_until(&current.scenario, threads, true, "run", true, stop)?;
        Ok((base, run))
    });
    let (base, run) = match computed {
        Ok(x) => x,
        Err(a) => return a,
    };
    let server_run = started.elapsed().as_secs_f64();
    let r = &run.results;
    let keys = key_figures(&current.scenario, &r.summary_names);
    let charts = match charts_json(r) {
        Ok(c) => c,
        Err(e) => return error(500, format!("drawing the charts failed: {e:#}")),
    };
    let paired = base.as_ref().map(|b| {
        let c = compare(&["baseline".into(), "this".into()], &[b, &run]);
        let rows: Vec<Value> = c
            .rows
            .iter()
            .map(|row| paired_json(&row.metric, &row.paired))
            .collect();
        json!({ "trials": c.trials, "seed": c.seed, "rows": rows })
    });
    let paired_note = match pairable {
        Some(false) => Some(
            "the baseline ran with another seed or trial count, so it cannot be paired with this run: pin this run again",
        ),
        _ => None,
    };
    let answer = json!({
        "scenario": r.scenario_name,
        "trials": r.trials,
        "weeks": r.weeks,
        "seed": r.seed,
        "seconds": server_run,
        "figures": figures_json(r, &keys),
        "attention": crate::report::html::warnings(r),
        "charts": charts,
        "paired": paired,
        "paired_note": paired_note,
        "toml": current.toml,
        "metrics": super::metrics_json(r),
    });
    let id = shared.memory.keep(Kept::Run {
        toml: current.toml,
        run: Box::new(run),
    });
    let mut answer = answer;
    answer["id"] = json!(id);
    answer["seconds_total"] = json!(started.elapsed().as_secs_f64());
    json_answer(200, &answer)
}

/// `POST /api/size` with `{"scenario": TOML, "set": [...], "key": KEY,
/// "values": [..], "target": "METRIC STAT OP VALUE"}`: the smallest value
/// of KEY meeting the target with 95% confidence, through `size`.
pub(super) fn size(shared: &Shared, body: &str, page_id: Option<&str>) -> Answer {
    let form = "{\"scenario\": TOML, \"set\": [...], \"key\": KEY, \"values\": [numbers], \"target\": \"METRIC STAT OP VALUE\"}";
    let (v, current) = match read(body, form) {
        Ok(x) => x,
        Err(a) => return a,
    };
    let Some(key) = v.get("key").and_then(Value::as_str) else {
        return error(
            400,
            "'key' is missing: the lever to size, e.g. units.iop.tracks.evening.groups",
        );
    };
    let values: Vec<String> = match v.get("values").and_then(Value::as_array) {
        Some(a) if !a.is_empty() && a.len() <= MAX_SIZE_VALUES => {
            match a
                .iter()
                .map(|x| x.as_f64().map(|f| f.to_string()))
                .collect::<Option<Vec<_>>>()
            {
                Some(vals) => vals,
                None => return error(400, "'values' must be numbers"),
            }
        }
        _ => {
            return error(
                400,
                format!("'values' must be a list of 1 to {MAX_SIZE_VALUES} numbers to search"),
            )
        }
    };
    let Some(target) = v.get("target").and_then(Value::as_str) else {
        return error(400, "'target' is missing: \"METRIC STAT OP VALUE\", e.g. \"iop.evening.wait_days_p90 p90 <= 14\"");
    };
    let target = match size::parse_target(target) {
        Ok(t) => t,
        Err(e) => return error(422, e),
    };
    let req = SizeRequest {
        scenario: ScenarioSource::Text {
            origin: "the scenario sent".into(),
            toml: current.toml,
        },
        vary: Vary {
            key: key.to_string(),
            values,
        },
        targets: vec![target],
        run: RunSettings {
            threads: shared.config.threads,
            quiet: true,
            ..RunSettings::default()
        },
        output: OutputSettings::default(),
    };
    let plan = match size::plan(&req) {
        Ok(p) => p,
        Err(e) => return json_answer(422, &json!({ "error": format!("{e:#}") })),
    };
    let started = Instant::now();
    let found = match super::guarded(shared, page_id, |stop| plan.run_until(stop)) {
        Ok(f) => f,
        Err(a) => return a,
    };
    let z = &found.sizing;
    let (label, share) = words::key(&z.vary.key);
    let tried: Vec<Value> = z
        .tried
        .iter()
        .map(|(&i, tr)| {
            let why: Vec<String> = z
                .targets
                .iter()
                .zip(&tr.checks)
                .filter(|(_, c)| !c.pass)
                .map(|(t, c)| page::why_not_words(t, c))
                .collect();
            json!({
                "value": z.vary.values[i],
                "shown": words::key_value(&z.vary.values[i], share),
                "pass": tr.pass(),
                "estimate": finite(tr.checks.first().map_or(f64::NAN, |c| c.estimate)),
                "bound": tr.checks.first().and_then(|c| c.bound).map_or(Value::Null, finite),
                "why_not": why,
            })
        })
        .collect();
    let answer = z.search.answer.map(|a| z.vary.values[a].clone());
    let sentence = match z.search.answer {
        Some(a) => format!(
            "The smallest value of {label} that meets the target ({}) with 95% confidence is {}.",
            page::target_sentence(&z.targets[0]),
            words::key_value(&z.vary.values[a], share)
        ),
        None => format!(
            "No value of {label} up to {} meets the target ({}) with 95% confidence.",
            words::key_value(&z.vary.values[z.vary.values.len() - 1], share),
            page::target_sentence(&z.targets[0])
        ),
    };
    let body = json!({
        "key": z.vary.key,
        "label": label,
        "answer": answer,
        "sentence": sentence,
        "not_monotone": z.search.not_monotone,
        "trials": z.trials,
        "seed": z.seed,
        "tried": tried,
        "report": size::report(z),
        "seconds": started.elapsed().as_secs_f64(),
    });
    let id = shared.memory.keep(Kept::Size(Box::new(found)));
    let mut body = body;
    body["id"] = json!(id);
    json_answer(200, &body)
}

/// The files a kept run or search can be downloaded as.
pub const RUN_FILES: [&str; 5] = [
    "scenario.toml",
    "summary.csv",
    "weekly.csv",
    "trials.csv",
    "report.html",
];

/// `GET /api/results/ID/FILE`: one of the usual files of a kept run
/// (the same bytes `iopsim run` writes for the downloaded scenario) or
/// search (`size.csv`, `report.html`).
pub(super) fn file(shared: &Shared, path: &str) -> Answer {
    let mut parts = path.splitn(2, '/');
    let (Some(id), Some(name)) = (parts.next(), parts.next()) else {
        return error(404, "ask for /api/results/ID/FILE");
    };
    let Some(kept) = id.parse().ok().and_then(|id| shared.memory.get(id)) else {
        return error(
            404,
            format!("no results {id} here: only the last few runs are kept (at most {KEPT_RESULTS}); run again"),
        );
    };
    let bytes: anyhow::Result<Option<(Vec<u8>, &'static str)>> = match (&*kept, name) {
        (Kept::Run { toml, .. }, "scenario.toml") => Ok(Some((
            toml.clone().into_bytes(),
            "application/toml; charset=utf-8",
        ))),
        (Kept::Run { run, .. }, "summary.csv") => crate::report::csv::summary_csv(&run.results)
            .map(|b| Some((b, "text/csv; charset=utf-8"))),
        (Kept::Run { run, .. }, "weekly.csv") => crate::report::csv::weekly_csv(&run.results)
            .map(|b| Some((b, "text/csv; charset=utf-8"))),
        (Kept::Run { run, .. }, "trials.csv") => {
            trials_csv(run).map(|b| Some((b, "text/csv; charset=utf-8")))
        }
        (Kept::Run { run, .. }, "report.html") => crate::report::plots::render_all(&run.results)
            .map(|f| {
                Some((
                    crate::report::html::render(&run.results, &f).into_bytes(),
                    "text/html; charset=utf-8",
                ))
            }),
        (Kept::Size(found), "size.csv" | "report.html") => {
            size::files(found, name == "report.html").map(|files| {
                files.into_iter().find(|(n, _)| n == name).map(|(_, b)| {
                    let kind = if name.ends_with(".csv") {
                        "text/csv; charset=utf-8"
                    } else {
                        "text/html; charset=utf-8"
                    };
                    (b, kind)
                })
            })
        }
        _ => Ok(None),
    };
    match bytes {
        Ok(Some((b, kind))) => match String::from_utf8(b) {
            Ok(body) => Answer {
                status: 200,
                body,
                content_type: kind,
                download: Some(name.to_string()),
            },
            Err(_) => error(500, "the file is not text"),
        },
        Ok(None) => error(
            404,
            format!(
                "no file '{name}' here: a run has {}; a search has size.csv and report.html",
                RUN_FILES.join(", ")
            ),
        ),
        Err(e) => error(500, format!("writing {name} failed: {e:#}")),
    }
}

/// trials.csv of a run, from its per-trial rows.
fn trials_csv(run: &Run) -> anyhow::Result<Vec<u8>> {
    let mut w = crate::report::csv::TrialsWriter::new(
        Vec::new(),
        &run.results.summary_names,
        std::path::Path::new("trials.csv"),
    )?;
    for (t, row) in run.rows.iter().enumerate() {
        w.row(t as u64, row)?;
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_keeps_the_newest_within_count_and_bytes() {
        let mut list: VecDeque<usize> = VecDeque::new();
        for size in [10, 10, 10, 10] {
            list.push_back(size);
            trim(&mut list, 3, 25, |s| *s);
        }
        assert_eq!(list.len(), 2, "25 bytes hold two of 10");
        list.push_back(100);
        trim(&mut list, 3, 25, |s| *s);
        assert_eq!(list, [100], "the newest stays whatever its size");
        for _ in 0..5 {
            list.push_back(1);
            trim(&mut list, 3, 1000, |s| *s);
        }
        assert_eq!(list.len(), 3, "at most the count");
    }
}
