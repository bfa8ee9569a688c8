//! `report.html` of `compare`, `sweep` and `size`: one self-contained page
//! each, in the run report's style (its CSS, head and inline charts,
//! `report::html`), that a director can read: the question in words, the
//! answer in words, the paired differences of the key metrics with their
//! 95% intervals and units, marked better or worse by the metric's
//! direction, and the charts. Every figure of the answer and the tables is
//! text, so the page can be searched and tested; each is the CSV's number
//! formatted by [`words::Measure`].
//!
//! The pages live here, not in `report/`, because they read the decision
//! types; `report/` never reads `decide/`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::compare::{Comparison, Paired};
use super::plots::{stat_words, target_words, DecisionFigure};
use super::sensitivity::Analysis;
use super::size::{Check, Op, Sizing, Stat, Target};
use super::sweep::{Point, Sweep};
use super::words::{self, Measure};
use super::{direction, Direction};
use crate::report::html::{esc, figure_svg, page_head};
use crate::report::plots::chart::group_thousands;
use crate::report::plots::Figure;
use crate::scenario::{Scenario, UnitKind};
use crate::trials::RunResults;

/// Per value run by `size` (its index), the per-trial values of each key
/// metric (`None` where the run lacks it).
pub type Kept = BTreeMap<usize, Vec<Option<Vec<f64>>>>;

/// The pages' CSS after the run report's (the backtest page's too).
pub const STYLE: &str = r#"
.kind { text-transform: uppercase; letter-spacing: 0.06em; font-size: 0.8rem; color: var(--muted); margin: 0 0 6px; }
h1.question { font-size: 1.6rem; }
h1, h2, h3, p, li, figcaption, summary { overflow-wrap: anywhere; }
.answer { background: #eef6ee; border-left: 4px solid #59a14f; padding: 8px 16px; margin: 14px 0 8px; font-size: 1.05rem; }
.answer.none { background: var(--warn); border-left-color: var(--warn-line); }
.answer p, .answer li { margin: 6px 0; }
.answer ul { margin: 4px 0; padding-left: 20px; }
td.better { color: #1e7b34; font-weight: 600; }
td.worse { color: #b3261e; font-weight: 600; }
td.neutral, td.unclear { color: var(--muted); }
td .key, li .key, h3 .key { display: block; font-family: monospace; font-size: 0.8rem; color: var(--muted); overflow-wrap: anywhere; white-space: normal; }
tr.answer-row td { background: #eef6ee; font-weight: 600; }
details { margin: 12px 0; }
details summary { cursor: pointer; font-weight: 600; margin: 6px 0; }
.wide { max-width: 100%; }
img, svg { max-width: 100%; }
table.by td:first-child { min-width: 9em; }
@media (max-width: 600px) {
  main { padding: 16px 12px 40px; }
  h1.question { font-size: 1.3rem; }
  .answer { padding: 6px 12px; font-size: 1rem; }
  th, td { padding: 4px 6px; }
}
"#;

// ---- shared pieces -----------------------------------------------------------

/// The key metrics of a scenario for the tables of differences, in this
/// order and where the scenario has them: per unit its waits, waitlist,
/// admissions, census, losses, completions and seat use (and each track's
/// and the intake's P90 wait), per role the FTE and hours needed and the
/// weeks short, then the money.
pub fn key_metrics(s: &Scenario, names: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for u in &s.units {
        for m in [
            "wait_days_p90",
            "wait_days",
            "waitlist",
            "admissions",
            "census",
            "reneged",
            "turned_away",
            "completed",
            "seat_utilization",
        ] {
            out.push(format!("{}.{m}", u.name));
        }
        if let UnitKind::Sessions(su) = &u.kind {
            for t in &su.tracks {
                out.push(format!("{}.{}.wait_days_p90", u.name, t.name));
            }
        }
        out.push(format!("{}.intake_wait_days_p90", u.name));
    }
    for st in &s.staff {
        for m in ["fte_needed", "hours_per_week", "short_weeks"] {
            out.push(format!("staff.{}.{m}", st.role));
        }
    }
    for m in ["net_per_week", "cost_per_week", "revenue_per_week"] {
        out.push(format!("finance.{m}"));
    }
    out.retain(|m| names.contains(m));
    out
}

/// The metric the question is about: the first referred unit's P90 wait
/// (sweep's default metrics), else the first of `metrics`.
fn headline(s: &Scenario, metrics: &[String]) -> Option<String> {
    let first = super::sweep::default_metrics(s).into_iter().next();
    first
        .filter(|m| metrics.contains(m))
        .or_else(|| metrics.first().cloned())
}

/// What the question asks of the headline metric: "shorten the wait for
/// a place in iop (its P90)" for a P90 wait, else "improve" or "change" it.
fn aim_words(metric: &str) -> String {
    let w = words::metric(metric);
    let last = metric.rsplit('.').next().unwrap_or(metric);
    match last {
        "wait_days_p90" => format!(
            "shorten the wait for a place in {} (the P90: one patient in ten waits longer)",
            w.subject
        ),
        "wait_days" => format!("shorten the mean wait for a place in {}", w.subject),
        _ if direction(metric) == Direction::Neutral => {
            format!("change {}", lower_first(&w.name()))
        }
        _ => format!("improve {}", lower_first(&w.name())),
    }
}

/// How a paired difference reads: better or worse (by the metric's
/// direction) when its 95% interval excludes zero, else unclear; for a
/// metric with no better direction, higher or lower.
pub fn verdict(dir: Direction, p: &Paired) -> (&'static str, &'static str) {
    let d = &p.diff;
    if p.n == 0 || !d.mean.is_finite() {
        return ("unclear", "\u{2013}");
    }
    if d.mean == 0.0 && d.sd == 0.0 {
        return ("neutral", "same in every trial");
    }
    let up = d.ci95_low > 0.0;
    let down = d.ci95_high < 0.0;
    if !up && !down {
        return ("unclear", "no clear change");
    }
    match dir {
        Direction::Lower if down => ("better", "better"),
        Direction::Higher if up => ("better", "better"),
        Direction::Neutral if up => ("neutral", "higher"),
        Direction::Neutral => ("neutral", "lower"),
        _ => ("worse", "worse"),
    }
}

/// "6.4 days [5.9, 6.9]": the size of a difference, its interval turned
/// to match (for "lowers ... by").
pub fn magnitude(m: Measure, p: &Paired) -> String {
    let d = &p.diff;
    let (mean, lo, hi) = if d.mean < 0.0 {
        (-d.mean, -d.ci95_high, -d.ci95_low)
    } else {
        (d.mean, d.ci95_low, d.ci95_high)
    };
    let text = m.diff_ci(mean, lo, hi).replace('+', "");
    let unit = m.diff_unit();
    match text.split_once(" pp") {
        Some((v, rest)) => format!("{v} {unit}{rest}"),
        None => match text.split_once(' ') {
            Some((v, rest)) if !unit.is_empty() => format!("{v} {unit} {rest}"),
            _ => text,
        },
    }
}

/// One sentence: what `who` does to `metric`, from the paired difference.
fn effect_sentence(who: &str, metric: &str, p: &Paired, vs: &str) -> String {
    let w = words::metric(metric);
    let name = phrase(metric);
    let d = &p.diff;
    if p.n == 0 {
        return format!("{who}: no trial has a value of {name} in both runs.");
    }
    if d.mean == 0.0 && d.sd == 0.0 {
        return format!(
            "{who} leaves {name} unchanged in every trial ({} on average).",
            w.measure.value(p.base_mean)
        );
    }
    let (_, word) = verdict(direction(metric), p);
    let share = if p.share_better.is_finite() {
        format!("; better in {} of trials", pct0(p.share_better))
    } else {
        String::new()
    };
    if word == "no clear change" {
        return format!(
            "{who} does not change {name} measurably: {} (95% paired CI; it includes zero){vs}.",
            w.measure.diff_ci_in_words(d.mean, d.ci95_low, d.ci95_high),
        );
    }
    let verb = if d.mean < 0.0 { "lowers" } else { "raises" };
    format!(
        "{who} {verb} {name} by {}, 95% paired CI{vs}: from {} to {} on average{share}.",
        magnitude(w.measure, p),
        w.measure.value(p.base_mean),
        w.measure.value(p.alt_mean)
    )
}

fn lower_first(s: &str) -> String {
    // Names start with a unit or role name, kept as written; only the
    // finance metrics start with a capital added for titles.
    let mut c = s.chars();
    match c.next() {
        Some(f) if f.is_uppercase() && c.clone().next().is_some_and(|n| n.is_lowercase()) => {
            f.to_lowercase().collect::<String>() + c.as_str()
        }
        _ => s.to_string(),
    }
}

fn pct0(x: f64) -> String {
    if x.is_finite() {
        format!("{:.0}%", 100.0 * x)
    } else {
        "\u{2013}".into()
    }
}

/// "a", "a and b", "a, b and c".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The key metrics that move for the better and for the worse (95%
/// interval clear of zero), as short phrases, at most `max` each.
fn better_and_worse(rows: &[(String, Paired)], max: usize) -> (Vec<String>, Vec<String>) {
    let (mut better, mut worse) = (Vec::new(), Vec::new());
    for (m, p) in rows {
        let w = words::metric(m);
        let phrase = format!(
            "{} {}",
            lower_first(&w.name()),
            w.measure
                .diff_ci_in_words(p.diff.mean, p.diff.ci95_low, p.diff.ci95_high),
        )
        .trim_end()
        .to_string();
        match verdict(direction(m), p).0 {
            "better" => better.push(phrase),
            "worse" => worse.push(phrase),
            _ => {}
        }
    }
    let cap = |mut v: Vec<String>| {
        if v.len() > max {
            let more = v.len() - max;
            v.truncate(max);
            v.push(format!("{more} more"));
        }
        v
    };
    (cap(better), cap(worse))
}

/// Rows worth showing: some trial has a value and something is not zero.
fn shown(p: &Paired) -> bool {
    p.n > 0
        && !(p.base_mean == 0.0 && p.alt_mean == 0.0 && p.diff.sd == 0.0)
        && p.base_mean.is_finite()
}

/// The table of paired differences: metric (with unit and its name in
/// the CSVs), the two means, the difference with its 95% interval, the
/// share of trials in which the second is better, and the verdict.
fn paired_table(out: &mut String, rows: &[(String, Paired)], base: &str, alt: &str) {
    let _ = write!(
        out,
        "<div class=\"wide\"><table class=\"by paired\"><thead><tr><th>metric (unit)</th>\
         <th>{}</th><th>{}</th><th>difference [95% CI]</th><th>trials better</th><th></th></tr></thead><tbody>",
        esc(base),
        esc(alt)
    );
    for (m, p) in rows {
        let w = words::metric(m);
        let (class, word) = verdict(direction(m), p);
        let diff = if p.diff.mean == 0.0 && p.diff.sd == 0.0 {
            "0 (identical)".to_string()
        } else {
            w.measure
                .diff_ci(p.diff.mean, p.diff.ci95_low, p.diff.ci95_high)
        };
        let _ = write!(
            out,
            "<tr><td>{}<span class=\"key\">{}</span></td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td><td>{}</td><td class=\"{class}\">{}</td></tr>",
            esc(&w.label()),
            esc(m),
            esc(&w.measure.value(p.base_mean)),
            esc(&w.measure.value(p.alt_mean)),
            esc(&diff),
            esc(&pct0(p.share_better)),
            esc(word)
        );
    }
    out.push_str("</tbody></table></div>\n");
}

const PAIRED_NOTE: &str = "Difference: the second minus the first, trial by trial on the same \
    random inputs, averaged over trials, with its 95% confidence interval (shares in percentage \
    points, pp). Better or worse by which way the metric should move, only when the interval \
    leaves out zero; census, utilization and hours have no better direction and show which way \
    they moved. Trials better: the share of trials in which the second is strictly better.";

fn decision_figure(out: &mut String, f: &DecisionFigure) {
    figure_svg(out, &f.stem, &f.title, &f.about, &f.svg);
}

fn footer(out: &mut String, what: &str) {
    let _ = write!(
        out,
        "<footer><p>{} Made by iopsim {}; rerun the command to reproduce every number.</p></footer>\n</main>\n</body>\n</html>\n",
        esc(what),
        esc(env!("CARGO_PKG_VERSION"))
    );
}

fn nav(out: &mut String, items: &[(&str, &str)]) {
    out.push_str("<nav>");
    for (id, title) in items {
        let _ = write!(out, "<a href=\"#{id}\">{}</a>", esc(title));
    }
    out.push_str("</nav>\n");
}

// ---- compare -----------------------------------------------------------------

/// The scenario's resolved TOML as (`--set` key, value) pairs: arrays of
/// tables addressed by their elements' names, as `--set` does
/// (`units.iop.tracks.evening.groups`, `staff.therapist.fte`, `workload.0.hours`).
pub fn flat_keys(toml_text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Ok(v) = toml_text.parse::<toml::Table>() {
        for (k, x) in &v {
            flatten(k, x, &mut out);
        }
    }
    out
}

fn flatten(prefix: &str, v: &toml::Value, out: &mut Vec<(String, String)>) {
    use toml::Value;
    match v {
        Value::Table(t) => {
            for (k, x) in t {
                flatten(&format!("{prefix}.{k}"), x, out);
            }
        }
        Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_table) => {
            let last = prefix.rsplit('.').next().unwrap_or(prefix);
            let name_key = match last {
                "staff" => Some("role"),
                "workload" | "phases" => None,
                _ => Some("name"),
            };
            for (i, e) in a.iter().enumerate() {
                let id = name_key
                    .and_then(|k| e.get(k))
                    .and_then(Value::as_str)
                    .map_or_else(|| i.to_string(), str::to_string);
                flatten(&format!("{prefix}.{id}"), e, out);
            }
        }
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

/// What differs between two scenarios: (key, baseline value, alternative
/// value), "" where one lacks the key; their names and descriptions aside.
pub fn differences(base: &str, alt: &str) -> Vec<(String, String, String)> {
    let (b, a) = (flat_keys(base), flat_keys(alt));
    let find = |v: &[(String, String)], k: &str| {
        v.iter()
            .find(|(x, _)| x == k)
            .map(|(_, y)| y.clone())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for (k, bv) in &b {
        if k == "name" || k == "description" {
            continue;
        }
        let av = find(&a, k);
        if &av != bv {
            out.push((k.clone(), bv.clone(), av));
        }
    }
    for (k, av) in &a {
        if k == "name" || k == "description" || b.iter().any(|(x, _)| x == k) {
            continue;
        }
        out.push((k.clone(), String::new(), av.clone()));
    }
    out
}

/// "evening groups 1 → 2".
fn difference_words(k: &str, b: &str, a: &str) -> String {
    let (label, share) = words::key(k);
    let v = |x: &str| {
        if x.is_empty() {
            "not set".to_string()
        } else {
            words::key_value(x, share)
        }
    };
    format!("{label} {} \u{2192} {}", v(b), v(a))
}

/// " · money in USD" for a scenario with `[report] currency`: the tables'
/// money is in it ("money per week" in their labels).
fn money_note(s: &Scenario) -> String {
    s.report
        .currency
        .as_deref()
        .map_or_else(String::new, |c| format!(" \u{b7} money in {}", esc(c)))
}

/// The page's charts, each with its title and caption, in a section of
/// their own (a note when there are none).
pub fn charts_section(out: &mut String, figures: &[Figure]) {
    out.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    if figures.is_empty() {
        out.push_str("<p class=\"note\">No charts.</p>\n");
    }
    for f in figures {
        figure_svg(out, &f.chart.stem, &f.chart.title, &f.chart.about, &f.svg);
    }
    out.push_str("</section>\n");
}

/// The page of `iopsim compare`.
pub fn compare(
    c: &Comparison,
    scenarios: &[Scenario],
    runs: &[&RunResults],
    figures: &[Figure],
) -> String {
    let base = &scenarios[0];
    let labels = &c.labels;
    let names = &runs[0].summary_names;
    let keys = key_metrics(base, names);
    let head = headline(base, &keys);
    let diffs: Vec<Vec<(String, String, String)>> = scenarios
        .iter()
        .skip(1)
        .map(|s| differences(&base.resolved_toml, &s.resolved_toml))
        .collect();
    let rows_of = |alt: usize, only: Option<&[String]>| -> Vec<(String, Paired)> {
        let mut rows: Vec<(String, Paired)> = c
            .rows
            .iter()
            .filter(|r| r.alternative == alt)
            .map(|r| (r.metric.clone(), r.paired))
            .collect();
        if let Some(only) = only {
            rows = only
                .iter()
                .filter_map(|m| rows.iter().find(|(x, _)| x == m).cloned())
                .filter(|(_, p)| shown(p))
                .collect();
        }
        rows
    };

    let mut out =
        String::with_capacity(64 * 1024 + figures.iter().map(|f| f.svg.len()).sum::<usize>());
    let alts = &labels[1..];
    page_head(
        &mut out,
        &format!("{} \u{2013} iopsim compare", labels.join(" vs ")),
        STYLE,
    );

    // The question.
    let aim = head
        .as_deref()
        .map_or_else(|| "improve the key metrics".into(), aim_words);
    let what_changes = |i: usize| -> String {
        let d = &diffs[i];
        if d.is_empty() {
            return String::new();
        }
        let shown: Vec<String> = d
            .iter()
            .take(3)
            .map(|(k, b, a)| difference_words(k, b, a))
            .collect();
        let more = if d.len() > 3 {
            format!(" and {} more changes", d.len() - 3)
        } else {
            String::new()
        };
        format!("{}{more}", shown.join(", "))
    };
    // The question stays short enough for a phone; what the scenarios
    // change is listed under it.
    let question = if alts.len() == 1 {
        format!(
            "Does {} {aim} compared with {}, and at what cost?",
            alts[0], labels[0]
        )
    } else {
        format!(
            "Which of {} does most to {aim} compared with {}, and at what cost?",
            and_list(alts),
            labels[0]
        )
    };
    let _ = write!(
        out,
        "<header>\n<p class=\"kind\">iopsim compare</p>\n<h1 class=\"question\">{}</h1>\n\
         <p class=\"meta\">{} scenarios on the same random inputs \u{b7} {} trials \u{d7} {} weeks \u{b7} seed {} \u{b7} baseline {}{}</p>\n",
        esc(&question),
        labels.len(),
        group_thousands(u64::from(c.trials)),
        runs[0].weeks,
        c.seed,
        esc(&labels[0]),
        money_note(base)
    );

    for (i, alt) in alts.iter().enumerate() {
        let changes = what_changes(i);
        if !changes.is_empty() {
            let _ = writeln!(
                out,
                "<p class=\"meta\">{} changes: {}</p>",
                esc(alt),
                esc(&changes)
            );
        }
    }

    if c.uncertain {
        let _ = writeln!(
            out,
            "<p class=\"meta\">{}</p>",
            esc(super::compare::UNCERTAIN_NOTE)
        );
    }

    // The answer.
    out.push_str("<div class=\"answer\" id=\"answer\">\n");
    let mut best: Option<(usize, f64)> = None;
    for (i, alt) in alts.iter().enumerate() {
        let alt_i = i + 1;
        let rows = rows_of(alt_i, None);
        let mut text = String::new();
        if let Some(m) = &head {
            if let Some((_, p)) = rows.iter().find(|(x, _)| x == m) {
                text = effect_sentence(alt, m, p, "");
                let sign = match direction(m) {
                    Direction::Higher => 1.0,
                    _ => -1.0,
                };
                if p.n > 0
                    && p.diff.mean.is_finite()
                    && best.is_none_or(|(_, b)| sign * p.diff.mean > b)
                {
                    best = Some((alt_i, sign * p.diff.mean));
                }
            }
        }
        let key_rows: Vec<(String, Paired)> = rows_of(alt_i, Some(&keys))
            .into_iter()
            .filter(|(m, _)| Some(m) != head.as_ref())
            .collect();
        let (better, worse) = better_and_worse(&key_rows, 4);
        let _ = writeln!(out, "<p><strong>{}</strong></p>\n<ul>", esc(&text));
        if !better.is_empty() {
            let _ = writeln!(out, "<li>Also better: {}.</li>", esc(&and_list(&better)));
        }
        if worse.is_empty() {
            out.push_str("<li>Nothing among the key metrics gets worse.</li>\n");
        } else {
            let _ = writeln!(out, "<li>Worse: {}.</li>", esc(&and_list(&worse)));
        }
        out.push_str("</ul>\n");
    }
    if alts.len() > 1 {
        if let (Some(m), Some((i, _))) = (&head, best) {
            let _ = writeln!(
                out,
                "<p>Of the alternatives, {} does most for {}.</p>",
                esc(&labels[i]),
                esc(&phrase(m))
            );
        }
    }
    out.push_str("</div>\n");
    nav(
        &mut out,
        &[
            ("differences", "Paired differences"),
            ("scenarios", "What differs"),
            ("charts", "Charts"),
            ("all-metrics", "All metrics"),
        ],
    );
    out.push_str("</header>\n");

    // Key metrics.
    out.push_str("<section id=\"differences\">\n<h2>Paired differences of the key metrics</h2>\n");
    let _ = writeln!(out, "<p class=\"note\">{}</p>", esc(PAIRED_NOTE));
    for (i, alt) in alts.iter().enumerate() {
        let _ = writeln!(
            out,
            "<h3>{} against {} (baseline)</h3>",
            esc(alt),
            esc(&labels[0])
        );
        paired_table(&mut out, &rows_of(i + 1, Some(&keys)), &labels[0], alt);
    }
    out.push_str("</section>\n");

    // What differs.
    out.push_str("<section id=\"scenarios\">\n<h2>What differs between the scenarios</h2>\n");
    for (i, alt) in alts.iter().enumerate() {
        let d = &diffs[i];
        let _ = writeln!(out, "<h3>{} against {}</h3>", esc(alt), esc(&labels[0]));
        if d.is_empty() {
            out.push_str("<p class=\"note\">Nothing: the two scenarios are the same but for their names.</p>\n");
            continue;
        }
        let _ = write!(
            out,
            "<div class=\"wide\"><table class=\"by\"><thead><tr><th>setting</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            esc(&labels[0]),
            esc(alt)
        );
        const MAX: usize = 30;
        for (k, b, a) in d.iter().take(MAX) {
            let (label, share) = words::key(k);
            let v = |x: &str| {
                if x.is_empty() {
                    "not set".to_string()
                } else {
                    words::key_value(x, share)
                }
            };
            let _ = write!(
                out,
                "<tr><td>{}<span class=\"key\">{}</span></td><td>{}</td><td>{}</td></tr>",
                esc(&label),
                esc(k),
                esc(&v(b)),
                esc(&v(a))
            );
        }
        out.push_str("</tbody></table></div>\n");
        if d.len() > MAX {
            let _ = writeln!(
                out,
                "<p class=\"note\">And {} more; every setting is in <code>scenario-{}.toml</code>.</p>",
                d.len() - MAX,
                esc(alt)
            );
        }
    }
    out.push_str("</section>\n");

    charts_section(&mut out, figures);

    // Everything.
    out.push_str("<section id=\"all-metrics\">\n<h2>All metrics</h2>\n");
    for (i, alt) in alts.iter().enumerate() {
        let _ = writeln!(
            out,
            "<details><summary>{} against {}: every metric of <code>compare.csv</code></summary>",
            esc(alt),
            esc(&labels[0])
        );
        paired_table(&mut out, &rows_of(i + 1, None), &labels[0], alt);
        out.push_str("</details>\n");
    }
    if !c.not_compared.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"note\">Not compared (not in every scenario): {}.</p>",
            esc(&c.not_compared.join(", "))
        );
    }
    out.push_str("</section>\n");
    footer(
        &mut out,
        "Every trial of every scenario saw the same referrals and the same luck wherever the \
         scenarios agree (common random numbers), so the differences are measured trial by trial. \
         Files in this folder: compare.csv (every metric), the charts as PNG and SVG, and each \
         scenario as run (scenario-<name>.toml).",
    );
    out
}

// ---- sweep -------------------------------------------------------------------

/// "evening groups = 2, evening group size (seats) = 12".
fn point_words(s: &Sweep, p: &Point) -> String {
    s.varies
        .iter()
        .zip(&p.values)
        .map(|(v, x)| {
            let (label, share) = words::key(&v.key);
            format!("{label} = {}", words::key_value(x, share))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The page of `iopsim sweep`: `metrics` are the ones plotted.
pub fn sweep(s: &Sweep, metrics: &[String], base: &Scenario, figures: &[DecisionFigure]) -> String {
    let mut out =
        String::with_capacity(64 * 1024 + figures.iter().map(|f| f.svg.len()).sum::<usize>());
    page_head(
        &mut out,
        &format!("sweep of {} \u{2013} iopsim", s.name),
        STYLE,
    );
    let subjects: Vec<String> = metrics.iter().map(|m| words::metric(m).subject).collect();
    let metric_names: Vec<String> =
        if !subjects.is_empty() && subjects.iter().all(|x| x == &subjects[0] && !x.is_empty()) {
            let nouns: Vec<String> = metrics.iter().map(|m| noun(m)).collect();
            vec![format!("{} in {}", and_list(&nouns), subjects[0])]
        } else {
            metrics
                .iter()
                .map(|m| lower_first(&words::metric(m).name()))
                .collect()
        };
    let keys_words: Vec<String> = s
        .varies
        .iter()
        .map(|v| {
            let (label, share) = words::key(&v.key);
            let vals: Vec<String> = v
                .values
                .iter()
                .map(|x| words::key_value(x, share))
                .collect();
            if v.values.len() > 2 && v.numbers().is_some() {
                format!("{label} from {} to {}", vals[0], vals[vals.len() - 1])
            } else {
                format!("{label} ({})", vals.join(", "))
            }
        })
        .collect();
    let question = format!(
        "How do {} change with {}?",
        and_list(&metric_names),
        and_list(&keys_words)
    );
    let _ = write!(
        out,
        "<header>\n<p class=\"kind\">iopsim sweep</p>\n<h1 class=\"question\">{}</h1>\n\
         <p class=\"meta\">{} \u{b7} {} points \u{d7} {} trials on the same random inputs \u{b7} seed {}{}</p>\n",
        esc(&question),
        esc(&s.name),
        s.points.len(),
        group_thousands(u64::from(s.trials)),
        s.seed,
        money_note(base)
    );
    let (first, last) = (&s.points[0], &s.points[s.points.len() - 1]);
    out.push_str("<div class=\"answer\" id=\"answer\">\n");
    if s.points.len() == 1 {
        let _ = writeln!(
            out,
            "<p>One point only ({}): nothing to compare it with.</p>",
            esc(&point_words(s, first))
        );
    } else {
        let _ = writeln!(
            out,
            "<p>From the first point ({}) to the last ({}), paired trial by trial:</p>\n<ul>",
            esc(&point_words(s, first)),
            esc(&point_words(s, last))
        );
        for m in metrics {
            let Some(p) = last.vs_first(m) else { continue };
            let mut text = effect_sentence("it", m, p, "");
            text = capital_first(&text.replacen("it ", "the change ", 1));
            // The best point, where the metric has a better direction.
            let dir = direction(m);
            let w = words::metric(m);
            if dir != Direction::Neutral {
                let sign = if dir == Direction::Higher { 1.0 } else { -1.0 };
                let best = s
                    .points
                    .iter()
                    .filter_map(|q| q.summary(m).map(|x| (q, x)))
                    .filter(|(_, x)| x.mean.is_finite())
                    .max_by(|a, b| (sign * a.1.mean).total_cmp(&(sign * b.1.mean)));
                if let Some((q, x)) = best {
                    let _ = write!(
                        text,
                        " The {} mean is at {}: {} [{}, {}].",
                        if dir == Direction::Higher {
                            "highest"
                        } else {
                            "lowest"
                        },
                        point_words(s, q),
                        w.measure.value(x.mean),
                        w.measure.value(x.ci95_low),
                        w.measure.value(x.ci95_high)
                    );
                }
            }
            let _ = writeln!(out, "<li>{}</li>", esc(&text));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</div>\n");
    nav(
        &mut out,
        &[
            ("by-point", "By point"),
            ("differences", "Paired differences"),
            ("charts", "Charts"),
        ],
    );
    out.push_str("</header>\n");

    // Each chosen metric by point.
    out.push_str("<section id=\"by-point\">\n<h2>The metrics at each point</h2>\n");
    let _ =
        writeln!(
        out,
        "<p class=\"note\">{}</p>",
        esc("Mean over trials with its 95% confidence interval, the range that holds nine trials \
             in ten (P5\u{2013}P95), and the paired difference from the first point (trial by \
             trial on the same random inputs) with its 95% interval. Every metric at every point \
             is in sweep.csv.")
    );
    for m in metrics {
        let w = words::metric(m);
        let _ = write!(
            out,
            "<h3>{}<span class=\"key\">{}</span></h3>\n<div class=\"wide\"><table class=\"by\"><thead><tr>",
            esc(&w.label()),
            esc(m)
        );
        for v in &s.varies {
            let _ = write!(out, "<th>{}</th>", esc(&words::key(&v.key).0));
        }
        out.push_str("<th>mean</th><th>95% CI</th><th>P5\u{2013}P95</th><th>vs first point [95% CI]</th><th></th></tr></thead><tbody>");
        for p in &s.points {
            out.push_str("<tr>");
            for (v, x) in s.varies.iter().zip(&p.values) {
                let _ = write!(
                    out,
                    "<td>{}</td>",
                    esc(&words::key_value(x, words::key(&v.key).1))
                );
            }
            match p.summary(m) {
                Some(x) => {
                    let _ = write!(
                        out,
                        "<td>{}</td><td>{}\u{2013}{}</td><td>{}\u{2013}{}</td>",
                        esc(&w.measure.value(x.mean)),
                        esc(&w.measure.value(x.ci95_low)),
                        esc(&w.measure.value(x.ci95_high)),
                        esc(&w.measure.value(x.p5)),
                        esc(&w.measure.value(x.p95))
                    );
                }
                None => out.push_str("<td>\u{2013}</td><td></td><td></td>"),
            }
            match p.vs_first(m).filter(|d| d.n > 0) {
                Some(d) => {
                    let (class, word) = verdict(direction(m), d);
                    let text = if d.diff.mean == 0.0 && d.diff.sd == 0.0 {
                        "0".to_string()
                    } else {
                        w.measure
                            .diff_ci(d.diff.mean, d.diff.ci95_low, d.diff.ci95_high)
                    };
                    let word = if std::ptr::eq(p, first) { "" } else { word };
                    let _ = write!(
                        out,
                        "<td class=\"{class}\">{}</td><td class=\"{class}\">{}</td>",
                        esc(&text),
                        esc(word)
                    );
                }
                None => out.push_str("<td>\u{2013}</td><td></td>"),
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table></div>\n");
    }
    out.push_str("</section>\n");

    // Key metrics, last point against the first.
    out.push_str("<section id=\"differences\">\n<h2>Paired differences of the key metrics</h2>\n");
    if s.points.len() > 1 {
        let _ = writeln!(
            out,
            "<p class=\"note\">The last point ({}) against the first ({}). {}</p>",
            esc(&point_words(s, last)),
            esc(&point_words(s, first)),
            esc(PAIRED_NOTE)
        );
        let names: Vec<String> = last.metrics.iter().map(|(m, _)| m.clone()).collect();
        let rows: Vec<(String, Paired)> = key_metrics(base, &names)
            .into_iter()
            .filter_map(|m| last.vs_first(&m).map(|p| (m, *p)))
            .filter(|(_, p)| shown(p))
            .collect();
        paired_table(&mut out, &rows, "first point", "last point");
    } else {
        out.push_str("<p class=\"note\">One point only.</p>\n");
    }
    out.push_str("</section>\n");

    out.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    if figures.is_empty() {
        out.push_str("<p class=\"note\">No charts: they show one varied key (a line) or two (a heatmap); see sweep.csv.</p>\n");
    }
    for f in figures {
        decision_figure(&mut out, f);
    }
    out.push_str("</section>\n");
    footer(
        &mut out,
        "Every point ran on the same seed and trial numbers (common random numbers), so \
         neighbouring points differ only by the values varied. Files in this folder: sweep.csv \
         (every metric at every point, with the paired difference from the first point), the \
         charts as PNG and SVG, and the base scenario as run (scenario.toml).",
    );
    out
}

/// A metric in a sentence: "the P90 wait in iop evening", else its name.
fn phrase(metric: &str) -> String {
    let w = words::metric(metric);
    let n = noun(metric);
    if n != w.what && !w.subject.is_empty() {
        format!("{n} in {}", w.subject)
    } else {
        lower_first(&w.name())
    }
}

/// A metric as a noun for a question, without its subject: "the P90 wait".
fn noun(metric: &str) -> String {
    match metric.rsplit('.').next().unwrap_or(metric) {
        "wait_days_p90" => "the P90 wait".into(),
        "wait_days" => "the mean wait".into(),
        "waitlist" => "the waitlist".into(),
        "reneged" => "those who give up waiting".into(),
        "turned_away" => "those turned away".into(),
        "census" => "the census".into(),
        "admissions" => "admissions".into(),
        "completed" => "completions".into(),
        _ => words::metric(metric).what,
    }
}

fn capital_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

// ---- size --------------------------------------------------------------------

/// "iop: wait to admission, P90 at most 14 days in 90% of trials".
pub fn target_sentence(t: &Target) -> String {
    let name = lower_first(&words::metric(&t.metric).name());
    let how = match t.stat {
        Stat::Mean => "on average".to_string(),
        Stat::Quantile(q) => {
            let share = if t.op.is_upper() { q } else { 1.0 - q };
            format!("in {} of trials", pct_words(share))
        }
    };
    format!("{name} {} {how}", target_words(t))
}

fn pct_words(x: f64) -> String {
    format!("{}%", super::fmt_num(100.0 * x))
}

/// Why a value fails a target, in words.
pub fn why_not_words(t: &Target, c: &Check) -> String {
    let w = words::metric(&t.metric);
    let stat = stat_words(t);
    let side = if t.op.is_upper() { "upper" } else { "lower" };
    match c.bound {
        None if c.n == 0 => format!("{}: no trial has a value", lower_first(&w.name())),
        None => format!(
            "{}: {} trials are too few to bound its {stat} with 95% confidence; use more --trials",
            lower_first(&w.name()),
            c.n
        ),
        Some(b) => format!(
            "{} ({stat}) is {}, {side} 95% bound {}, not {}",
            lower_first(&w.name()),
            w.measure.value(c.estimate),
            w.measure.value(b),
            target_words(t)
        ),
    }
}

/// The page of `iopsim size`: `keys` are the key metrics kept per value in `kept`.
pub fn size(
    z: &Sizing,
    base: &Scenario,
    keys: &[String],
    kept: &Kept,
    figures: &[DecisionFigure],
) -> String {
    let mut out =
        String::with_capacity(64 * 1024 + figures.iter().map(|f| f.svg.len()).sum::<usize>());
    let (key, share) = words::key(&z.vary.key);
    let values = &z.vary.values;
    let shown_value = |i: usize| words::key_value(&values[i], share);
    page_head(
        &mut out,
        &format!("size {} \u{2013} iopsim", base.name),
        STYLE,
    );
    let targets: Vec<String> = z.targets.iter().map(target_sentence).collect();
    let question = format!(
        "What is the smallest value of {key} from {} to {} that meets {} with 95% confidence?",
        shown_value(0),
        shown_value(values.len() - 1),
        if targets.len() == 1 {
            format!("the target: {}", targets[0])
        } else {
            format!("every target: {}", targets.join("; "))
        }
    );
    let _ = write!(
        out,
        "<header>\n<p class=\"kind\">iopsim size</p>\n<h1 class=\"question\">{}</h1>\n\
         <p class=\"meta\">{} \u{b7} ran {} of {} values \u{d7} {} trials on the same random inputs \u{b7} seed {}{}</p>\n",
        esc(&question),
        esc(&base.name),
        z.search.order.len(),
        values.len(),
        group_thousands(u64::from(z.trials)),
        z.seed,
        money_note(base)
    );
    let fails = |i: usize| -> Vec<String> {
        z.tried.get(&i).map_or_else(Vec::new, |tr| {
            z.targets
                .iter()
                .zip(&tr.checks)
                .filter(|(_, c)| !c.pass)
                .map(|(t, c)| why_not_words(t, c))
                .collect()
        })
    };
    match z.search.answer {
        Some(a) => {
            out.push_str("<div class=\"answer\" id=\"answer\">\n");
            let _ = writeln!(
                out,
                "<p><strong>The smallest value that meets every target with 95% confidence is {} = {}.</strong></p>",
                esc(&key),
                esc(&shown_value(a))
            );
            if a == 0 {
                let _ = writeln!(
                    out,
                    "<p>It is the smallest value searched: a range reaching lower may find a smaller one.</p>"
                );
            } else {
                let _ = writeln!(
                    out,
                    "<p>At {}: {}.</p>",
                    esc(&shown_value(a - 1)),
                    esc(&fails(a - 1).join("; "))
                );
            }
            if z.search.not_monotone {
                let _ = writeln!(
                    out,
                    "<p>But {} = {} fails again: the targets do not get steadily easier as {key} grows here, so the answer may not be the smallest; run a sweep to see every value.</p>",
                    esc(&key),
                    esc(&shown_value(a + 1))
                );
            }
            if let Some(tr) = z.tried.get(&a) {
                let staff: Vec<String> = tr
                    .staff
                    .iter()
                    .map(|(m, s)| {
                        let w = words::metric(m);
                        format!(
                            "{} {} [{}, {}]",
                            w.subject,
                            w.measure.value(s.mean),
                            w.measure.value(s.ci95_low),
                            w.measure.value(s.ci95_high)
                        )
                    })
                    .collect();
                if !staff.is_empty() {
                    let _ = writeln!(
                        out,
                        "<p>At the answer, the staff hours needed come to, in FTE (mean, 95% CI): {}.</p>",
                        esc(&staff.join("; "))
                    );
                }
            }
        }
        None => {
            out.push_str("<div class=\"answer none\" id=\"answer\">\n");
            let last = values.len() - 1;
            // The closest: the value run that meets the most targets, the larger on a tie.
            let closest = z
                .tried
                .iter()
                .max_by_key(|(i, tr)| (tr.checks.iter().filter(|c| c.pass).count(), **i))
                .map_or(last, |(i, _)| *i);
            let _ = writeln!(
                out,
                "<p><strong>No value of {} up to {} meets every target with 95% confidence.</strong></p>",
                esc(&key),
                esc(&shown_value(last))
            );
            let _ = writeln!(
                out,
                "<p>Closest: {} = {}{}: {}. The search assumes more {} makes the targets easier, so no smaller value can pass; try a range reaching higher, or another option.</p>",
                esc(&key),
                esc(&shown_value(closest)),
                if closest == last { ", the largest searched" } else { "" },
                esc(&fails(closest).join("; ")),
                esc(&key)
            );
        }
    }
    out.push_str("</div>\n");
    nav(
        &mut out,
        &[
            ("values", "Values run"),
            ("differences", "Paired differences"),
            ("charts", "Charts"),
        ],
    );
    out.push_str("</header>\n");

    // The values run.
    out.push_str("<section id=\"values\">\n<h2>The values run</h2>\n");
    let _ = writeln!(
        out,
        "<p class=\"note\">{}</p>",
        esc(&format!(
            "Each target must hold on the unfavourable end of a 95% interval, not only on the \
             estimate: for a mean the t interval over trials, for a percentile over trials (P90: \
             nine trials in ten are at most this) the distribution-free interval from order \
             statistics. The search runs the largest value first, then halves the range, so it \
             ran {} of the {} values; the order is in the last column and in size.csv.",
            z.search.order.len(),
            values.len()
        ))
    );
    let _ = write!(
        out,
        "<div class=\"wide\"><table class=\"by\"><thead><tr><th>{}</th>",
        esc(&key)
    );
    for t in &z.targets {
        let w = words::metric(&t.metric);
        let _ = write!(
            out,
            "<th>{}, {}: estimate</th><th>95% bound (target {})</th>",
            esc(&w.label()),
            esc(&stat_words(t)),
            esc(&format!("{} {}", op_symbol(t.op), w.measure.value(t.value)))
        );
    }
    out.push_str("<th>meets every target</th><th>run</th></tr></thead><tbody>");
    for (i, tr) in &z.tried {
        let is_answer = z.search.answer == Some(*i);
        let _ = write!(
            out,
            "<tr{}><td>{}</td>",
            if is_answer {
                " class=\"answer-row\""
            } else {
                ""
            },
            esc(&shown_value(*i))
        );
        for (t, c) in z.targets.iter().zip(&tr.checks) {
            let m = words::metric(&t.metric).measure;
            let class = if c.pass { "better" } else { "worse" };
            let _ = write!(
                out,
                "<td>{}</td><td class=\"{class}\">{}</td>",
                esc(&m.value(c.estimate)),
                esc(&c.bound.map_or("\u{2013}".into(), |b| m.value(b)))
            );
        }
        let order = z.search.run_order(*i);
        let _ = write!(
            out,
            "<td class=\"{}\">{}{}</td><td>#{order}</td></tr>",
            if tr.pass() { "better" } else { "worse" },
            if tr.pass() { "yes" } else { "no" },
            if is_answer { " \u{2190} answer" } else { "" }
        );
    }
    out.push_str("</tbody></table></div>\n</section>\n");

    // Paired differences next to the answer.
    out.push_str("<section id=\"differences\">\n<h2>Paired differences of the key metrics</h2>\n");
    let pair = match z.search.answer {
        Some(a) if a > 0 && kept.contains_key(&(a - 1)) => Some((a - 1, a)),
        Some(a) if kept.contains_key(&(a + 1)) => Some((a, a + 1)),
        _ => None,
    };
    match pair {
        Some((lo, hi)) if kept.contains_key(&lo) && kept.contains_key(&hi) => {
            let _ = writeln!(
                out,
                "<p class=\"note\">{} = {} against {} = {}, trial by trial on the same random inputs. {}</p>",
                esc(&key),
                esc(&shown_value(hi)),
                esc(&key),
                esc(&shown_value(lo)),
                esc(PAIRED_NOTE)
            );
            let rows: Vec<(String, Paired)> = keys
                .iter()
                .enumerate()
                .filter_map(|(j, m)| {
                    let b = kept[&lo].get(j)?.as_ref()?;
                    let a = kept[&hi].get(j)?.as_ref()?;
                    Some((m.clone(), Paired::of(b, a, direction(m))))
                })
                .filter(|(_, p)| shown(p))
                .collect();
            paired_table(
                &mut out,
                &rows,
                &format!("{} = {}", key, shown_value(lo)),
                &format!("{} = {}", key, shown_value(hi)),
            );
        }
        _ => {
            out.push_str("<p class=\"note\">Only one value was run next to the answer's place, so there is no pair to compare: the paired differences need the answer and the value below it (or above it).</p>\n");
        }
    }
    out.push_str("</section>\n");

    out.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    for f in figures {
        decision_figure(&mut out, f);
    }
    out.push_str("</section>\n");
    footer(
        &mut out,
        "Every value ran on the same seed and trial numbers (common random numbers), so two \
         values differ only by the value. Files in this folder: size.csv (each value run and \
         target: estimate, 95% bound, whether it meets the target, the answer) and the charts as \
         PNG and SVG.",
    );
    out
}

// ---- sensitivity -------------------------------------------------------------

/// The inputs' table: an input's name and key wrap, so that the figures
/// fit beside them without scrolling.
const SENSITIVITY_STYLE: &str = "table.sens td:nth-child(2), table.sens th:nth-child(2) { white-space: normal; text-align: left; min-width: 12em; }\n";

/// The page of `iopsim sensitivity`: per metric, which input moves it most
/// (one way and by variance share), every input's figures, the remainder,
/// and the tornado charts.
pub fn sensitivity(a: &Analysis, base: &Scenario, figures: &[DecisionFigure]) -> String {
    let mut out =
        String::with_capacity(32 * 1024 + figures.iter().map(|f| f.svg.len()).sum::<usize>());
    page_head(
        &mut out,
        &format!("sensitivity {} \u{2013} iopsim", base.name),
        &format!("{STYLE}{SENSITIVITY_STYLE}"),
    );
    let names: Vec<String> = a
        .metrics
        .iter()
        .map(|m| {
            format!(
                "\u{201c}{}\u{201d}",
                lower_first(&words::metric(&m.metric).name())
            )
        })
        .collect();
    let question = format!(
        "Which uncertain input moves {} most, and what should be measured first?",
        and_list(&names)
    );
    let _ = write!(
        out,
        "<header>\n<p class=\"kind\">iopsim sensitivity</p>\n<h1 class=\"question\">{}</h1>\n\
         <p class=\"meta\">{} \u{b7} {} uncertain inputs \u{b7} {} trials with every input drawn, {} trials at each input's P10 and P90 \u{b7} seed {}</p>\n",
        esc(&question),
        esc(&base.name),
        a.inputs.len(),
        group_thousands(u64::from(a.trials)),
        group_thousands(u64::from(a.one_way_trials)),
        a.seed
    );
    out.push_str("<div class=\"answer\" id=\"answer\">\n<ul>\n");
    for m in &a.metrics {
        let w = words::metric(&m.metric);
        let Some(top) = m.effects.first() else {
            continue;
        };
        let input = &a.inputs[top.input];
        let (key, share_key) = words::key(&input.key);
        let v = |x: f64| words::key_value(&super::sensitivity::sig3(x), share_key);
        let widest = m
            .effects
            .iter()
            .filter(|e| e.swing.is_finite())
            .max_by(|x, y| x.swing.total_cmp(&y.swing).then(y.input.cmp(&x.input)));
        let mut li = format!(
            "{}: {} ({}) explains the most of its spread across trials, {} of the variance; \
             from its P10 ({}) to its P90 ({}) it moves the mean from {} to {}.",
            w.name(),
            key,
            input.key,
            pct0(top.share),
            v(input.p10),
            v(input.p90),
            w.measure.value(top.mean_at_p10),
            w.measure.value(top.mean_at_p90)
        );
        if let Some(wd) = widest.filter(|wd| wd.input != top.input) {
            let _ = write!(
                li,
                " The widest swing is {}'s ({}).",
                a.inputs[wd.input].key,
                w.measure.value(wd.swing)
            );
        }
        let _ = write!(
            li,
            " {} of the variance is {}.",
            capital_first(&pct0(m.remainder.max(0.0))),
            super::sensitivity::REMAINDER_WORDS
        );
        let _ = writeln!(out, "<li>{}</li>", esc(&li));
    }
    out.push_str("</ul>\n<p>Measure first the input with the largest share: knowing it exactly would remove about that share of the spread.</p>\n</div>\n");
    nav(&mut out, &[("inputs", "Inputs"), ("charts", "Charts")]);
    out.push_str("</header>\n");

    out.push_str("<section id=\"inputs\">\n<h2>The inputs, metric by metric</h2>\n");
    let _ = writeln!(
        out,
        "<p class=\"note\">{}</p>",
        esc(
            "At P10 and at P90: the metric's mean with that input at its 10th and 90th \
             percentile and every other input at its mean, on the same random inputs; the \
             difference's 95% interval is paired. Share: the input's first-order share of the \
             metric's variance across the trials in which every input was drawn (the variance of \
             the metric's mean given the input, estimated by sorting the trials by the input into \
             bins). The remainder is what no input explains alone: the luck of arrivals and \
             patients, and interactions between inputs."
        )
    );
    let _ = writeln!(
        out,
        "<p class=\"note\">{}</p>",
        esc(&format!(
            "Shares under {} cannot be told from zero at {} trials: an input with no effect \
             scatters that far by chance (three standard deviations of the estimate).",
            pct0(3.0 * super::sensitivity::share_noise(a.trials as usize)),
            group_thousands(u64::from(a.trials))
        ))
    );
    for m in &a.metrics {
        let w = words::metric(&m.metric);
        let _ = writeln!(
            out,
            "<h3>{}<span class=\"key\">{}</span></h3>\n<p>{} with every input at its mean; {} (sd {}) across trials with every input drawn.</p>",
            esc(&w.label()),
            esc(&m.metric),
            esc(&w.measure.value(m.mean_at_means)),
            esc(&w.measure.value(m.global.mean)),
            esc(&w.measure.value(m.global.sd))
        );
        out.push_str("<div class=\"wide\"><table class=\"by sens\"><thead><tr><th>rank</th><th>input</th><th>P10</th><th>P90</th><th>mean at P10</th><th>mean at P90</th><th>difference [95% CI]</th><th>share of variance</th></tr></thead><tbody>");
        for e in &m.effects {
            let i = &a.inputs[e.input];
            let (key, share_key) = words::key(&i.key);
            let v = |x: f64| words::key_value(&super::sensitivity::sig3(x), share_key);
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}<span class=\"key\">{} \u{b7} {}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                e.rank,
                esc(&key),
                esc(&i.key),
                esc(&i.distribution),
                esc(&v(i.p10)),
                esc(&v(i.p90)),
                esc(&w.measure.value(e.mean_at_p10)),
                esc(&w.measure.value(e.mean_at_p90)),
                esc(&w.measure.diff_ci(
                    e.mean_at_p90 - e.mean_at_p10,
                    e.diff_ci95.0,
                    e.diff_ci95.1
                )),
                esc(&pct0(e.share))
            );
        }
        let _ = write!(
            out,
            "<tr><td></td><td>{}</td><td></td><td></td><td></td><td></td><td></td><td>{}</td></tr>",
            esc(&capital_first(super::sensitivity::REMAINDER_WORDS)),
            esc(&pct0(m.remainder))
        );
        out.push_str("</tbody></table></div>\n");
    }
    out.push_str("</section>\n");

    out.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    for f in figures {
        decision_figure(&mut out, f);
    }
    out.push_str("</section>\n");
    footer(
        &mut out,
        "Every run used the same seed and trial numbers (common random numbers), so the two ends \
         of an input differ only by that input. Files in this folder: sensitivity.csv (per metric \
         and input: the P10 and P90, the means at each, the swing and its interval, the variance \
         share and the rank, and the remainder's row) and the tornado charts as PNG and SVG.",
    );
    out
}

fn op_symbol(op: Op) -> &'static str {
    match op {
        Op::Le => "\u{2264}",
        Op::Lt => "<",
        Op::Ge => "\u{2265}",
        Op::Gt => ">",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Summary;

    fn paired(mean: f64, lo: f64, hi: f64) -> Paired {
        Paired {
            n: 100,
            base_mean: 16.58,
            alt_mean: 16.58 + mean,
            diff: Summary {
                n: 100,
                mean,
                sd: 1.0,
                ci95_low: lo,
                ci95_high: hi,
                p5: lo,
                p25: lo,
                p50: mean,
                p75: hi,
                p95: hi,
            },
            share_better: 0.97,
            share_greater: 0.03,
            independent_half: 1.0,
        }
    }

    #[test]
    fn verdicts_follow_direction_and_interval() {
        let down = paired(-6.4, -6.9, -5.9);
        assert_eq!(verdict(Direction::Lower, &down), ("better", "better"));
        assert_eq!(verdict(Direction::Higher, &down), ("worse", "worse"));
        assert_eq!(verdict(Direction::Neutral, &down), ("neutral", "lower"));
        let unclear = paired(0.1, -0.2, 0.4);
        assert_eq!(verdict(Direction::Lower, &unclear).1, "no clear change");
    }

    #[test]
    fn answers_read_as_sentences() {
        let p = paired(-6.42, -6.91, -5.93);
        assert_eq!(magnitude(Measure::Days, &p), "6.4 days [5.9, 6.9]");
        let s = effect_sentence("b", "iop.evening.wait_days_p90", &p, "");
        assert_eq!(
            s,
            "b lowers the P90 wait in iop evening by 6.4 days [5.9, 6.9], 95% paired CI: \
             from 16.6 to 10.2 on average; better in 97% of trials."
        );
        let share = paired(-0.145, -0.147, -0.142);
        assert_eq!(
            magnitude(Measure::Share, &share),
            "14.5 percentage points [14.2, 14.7]"
        );
    }

    #[test]
    fn scenario_differences_by_set_keys() {
        let a = "name = \"a\"\n[[units]]\nname = \"iop\"\n[[units.tracks]]\nname = \"evening\"\ngroups = 1\n\n[[staff]]\nrole = \"therapist\"\nfte = 1.8\n";
        let b = a
            .replace("groups = 1", "groups = 2")
            .replace("name = \"a\"", "name = \"b\"");
        let d = differences(a, &b);
        assert_eq!(
            d,
            vec![(
                "units.iop.tracks.evening.groups".to_string(),
                "1".to_string(),
                "2".to_string()
            )]
        );
        assert_eq!(
            difference_words(&d[0].0, &d[0].1, &d[0].2),
            "evening groups 1 \u{2192} 2"
        );
        assert!(flat_keys(a).contains(&("staff.therapist.fte".to_string(), "1.8".to_string())));
    }

    #[test]
    fn targets_in_words() {
        let t = super::super::size::parse_target("iop.wait_days_p90 p90 <= 14").unwrap();
        assert_eq!(
            target_sentence(&t),
            "iop: wait to admission, P90 at most 14 days in 90% of trials"
        );
        let t = super::super::size::parse_target("iop.seat_utilization p10 >= 0.8").unwrap();
        assert_eq!(
            target_sentence(&t),
            "iop: seat utilization at least 80% in 90% of trials"
        );
        let t =
            super::super::size::parse_target("staff.therapist.short_weeks mean <= 0.1").unwrap();
        assert_eq!(
            target_sentence(&t),
            "therapist: weeks short of hours at most 10% on average"
        );
    }
}
