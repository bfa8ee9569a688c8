//! `backtest.html` and its charts: the question and the answer in words,
//! then per unit the observed weeks drawn over the simulated P5-P95 band
//! (census and admissions), the observed waits over the simulated ones, and
//! the week-by-week table. The run report's page head, CSS and chart code
//! (`report::html`, `report::plots`) are reused, so the page reads like the
//! others and needs nothing from the network.

use std::fmt::Write as _;

use super::{measure_sentence, measure_words, reproduces, wait_sentence, Outcome, GOOD_SHARE};
use crate::report::format::{group_thousands, num, pct};
use crate::report::html::{esc, page_head};
use crate::report::plots::chart::{
    file_safe, grouped_wait_histogram, week_ticks, Band, Body, Chart, LegendItem, Marker, Swatch,
    Weekly,
};
use crate::report::plots::{render, style, Figure};
use crate::stats::Summary;
use crate::trials::{WaitHistogram, WAIT_BIN_DAYS};

/// The page's CSS: the decision pages', and its own week marks.
fn style() -> String {
    format!(
        "{}td.out {{ color: #b3261e; font-weight: 600; }}\ntd.in {{ color: var(--muted); }}\n.wide {{ overflow-x: auto; }}\n",
        crate::decide::page::STYLE
    )
}

/// The colour of the observed line and bars.
const OBSERVED: plotters::style::RGBColor = style::LIMIT;

/// A summary that is one value: the observed week drawn as a band of no width.
fn point(v: f64) -> Summary {
    Summary {
        n: 1,
        mean: v,
        sd: 0.0,
        ci95_low: v,
        ci95_high: v,
        p5: v,
        p25: v,
        p50: v,
        p75: v,
        p95: v,
    }
}

/// The observed waits in the simulated histogram's bins.
pub fn observed_histogram(unit: &str, waits: &[f64], bins: usize) -> WaitHistogram {
    let mut counts = vec![0u64; bins.max(1)];
    let last = counts.len() - 1;
    for &w in waits {
        counts[((w.max(0.0) / WAIT_BIN_DAYS) as usize).min(last)] += 1;
    }
    WaitHistogram {
        unit: unit.to_string(),
        counts,
        total: waits.len() as u64,
        p50: crate::stats::quantile(waits, 0.5),
        p90: crate::stats::quantile(waits, 0.9),
    }
}

/// The charts: per unit, census and admissions (observed over the band),
/// then the waits.
pub fn charts(o: &Outcome) -> Vec<Chart> {
    let r = &o.results;
    let ticks = week_ticks(r.start_date, r.weeks);
    let subtitle = format!(
        "{} trials from the records' state on {} \u{b7} band: P5\u{2013}P95 of the trials, line: their median",
        group_thousands(u64::from(r.trials)),
        o.from
    );
    let mut out = Vec::new();
    for obs in &o.observed {
        for (what, colour, values) in [
            ("census", style::CENSUS, &obs.census),
            ("waitlist", style::WAITLIST, &obs.waitlist),
            ("admissions", style::SEAT_UTILIZATION, &obs.admissions),
        ] {
            let measure = format!("{}.{what}", obs.unit);
            let (Some(sim), Some(fit)) = (
                r.weekly_of(&measure),
                o.backtest.measures.iter().find(|m| m.measure == measure),
            ) else {
                continue;
            };
            let about = format!(
                "The black line is what the records show each week; the shaded band holds nine \
                     trials in ten of the simulation started from the records' state on {}, its \
                     middle line the median. {}.",
                o.from,
                measure_sentence(fit, o.from)
            );
            out.push(Chart {
                stem: format!("backtest-{}", file_safe(&measure)),
                section: obs.unit.clone(),
                title: format!("{}: observed against simulated", measure_words(&measure)),
                subtitle: subtitle.clone(),
                about,
                legend: vec![
                    LegendItem {
                        label: "simulated P5\u{2013}P95 and median".into(),
                        swatch: Swatch::Band(colour),
                    },
                    LegendItem {
                        label: "observed".into(),
                        swatch: Swatch::Line(OBSERVED),
                    },
                ],
                body: Body::Weekly(Weekly {
                    y_label: match what {
                        "census" => "patients in care (weekly mean)".into(),
                        "waitlist" => "patients waiting (weekly mean)".into(),
                        _ => "admissions in the week".into(),
                    },
                    percent: false,
                    bands: vec![
                        Band {
                            colour,
                            weeks: sim.to_vec(),
                            quartiles: false,
                        },
                        Band {
                            colour: OBSERVED,
                            weeks: values.iter().map(|&v| point(v)).collect(),
                            quartiles: false,
                        },
                    ],
                    limits: Vec::new(),
                    ticks: ticks.clone(),
                    weeks: r.weeks,
                }),
            });
        }
        let (Some(sim), Some(fit)) = (
            r.waits.iter().find(|h| h.unit == obs.unit),
            o.backtest.waits.iter().find(|w| w.unit == obs.unit),
        ) else {
            continue;
        };
        let observed = observed_histogram(&obs.unit, &obs.waits, sim.counts.len());
        let (mut hist, _) = grouped_wait_histogram(&[(sim, style::WAITS), (&observed, OBSERVED)]);
        for (label, v, colour) in [
            ("simulated P90", sim.p90, style::darker(style::WAITS)),
            ("observed P90", observed.p90, OBSERVED),
        ] {
            if v.is_finite() {
                hist.markers.push(Marker {
                    label: format!("{label} {v:.1} d"),
                    x: v.min(hist.x_max),
                    colour,
                    dashed: true,
                });
            }
        }
        out.push(Chart {
            stem: format!("backtest-waits-{}", file_safe(&obs.unit)),
            section: obs.unit.clone(),
            title: format!(
                "{}: waits to admission, observed against simulated",
                obs.unit
            ),
            subtitle: format!(
                "{} observed admissions \u{b7} {} simulated, all trials pooled",
                group_thousands(observed.total),
                group_thousands(sim.total)
            ),
            about: format!(
                "Each bar is the share of its own side's admissions that waited that long, from \
                 referral to admission, for admissions from {} to {} (those referred before {} \
                 included, with the days they had already waited, on both sides). {}.",
                o.from,
                o.until,
                o.from,
                wait_sentence(fit)
            ),
            legend: vec![
                LegendItem {
                    label: "simulated".into(),
                    swatch: Swatch::Box(style::WAITS),
                },
                LegendItem {
                    label: "observed".into(),
                    swatch: Swatch::Box(OBSERVED),
                },
            ],
            body: Body::Histogram(hist),
        });
    }
    out
}

/// Every chart drawn.
pub fn figures(o: &Outcome) -> anyhow::Result<Vec<Figure>> {
    charts(o).into_iter().map(render).collect()
}

/// The page.
pub fn page(o: &Outcome, figures: &[Figure]) -> String {
    let b = &o.backtest;
    let r = &o.results;
    let mut out =
        String::with_capacity(32 * 1024 + figures.iter().map(|f| f.svg.len()).sum::<usize>());
    page_head(
        &mut out,
        &format!(
            "{} back-tested on {} \u{2013} iopsim backtest",
            o.scenario.name, o.records_file
        ),
        &style(),
    );
    let question = format!(
        "Does {} reproduce what the records show from {} to {}?",
        o.scenario.name, o.from, o.until
    );
    let in_care = o.initial.rows.iter().filter(|x| !x.waiting).count();
    let _ = write!(
        out,
        "<header>\n<p class=\"kind\">iopsim backtest</p>\n<h1 class=\"question\">{}</h1>\n\
         <p class=\"meta\">records {} \u{b7} started from their state on {}: {in_care} in care, {} waiting \
         \u{b7} {} trials \u{d7} {} weeks \u{b7} seed {}</p>\n",
        esc(&question),
        esc(&o.records_file),
        o.from,
        o.initial.rows.len() - in_care,
        group_thousands(u64::from(r.trials)),
        r.weeks,
        r.seed
    );
    let good = reproduces(b);
    let _ = writeln!(
        out,
        "<div class=\"answer{}\" id=\"answer\">\n<p><strong>{}</strong></p>\n<ul>",
        if good { "" } else { " none" },
        if good {
            "Yes: the observed weeks stay inside the simulated bands about as often as they \
             should, so the scenario describes the program over these weeks."
        } else {
            "No: the records differ from the scenario over these weeks."
        }
    );
    for m in &b.measures {
        let _ = writeln!(out, "<li>{}.</li>", esc(&measure_sentence(m, o.from)));
    }
    for w in &b.waits {
        let _ = writeln!(out, "<li>{}.</li>", esc(&wait_sentence(w)));
    }
    out.push_str("</ul>\n</div>\n");
    out.push_str(
        "<nav><a href=\"#charts\">Charts</a><a href=\"#weeks\">Week by week</a>\
         <a href=\"#how\">How it is done</a></nav>\n</header>\n",
    );

    crate::decide::page::charts_section(&mut out, figures);

    out.push_str("<section id=\"weeks\">\n<h2>Week by week</h2>\n");
    for m in &b.measures {
        let _ = writeln!(
            out,
            "<details><summary>{}: {} of {} weeks inside ({})</summary>\n<div class=\"wide\"><table>\
             <thead><tr><th>week</th><th>from</th><th>observed</th><th>P5</th><th>median</th><th>P95</th><th></th></tr></thead><tbody>",
            esc(&measure_words(&m.measure)),
            m.inside,
            m.weeks,
            pct(m.share())
        );
        for row in b.rows.iter().filter(|x| x.measure == m.measure) {
            let (class, word) = match row.side() {
                0 => ("in", "inside"),
                1 => ("out", "above"),
                _ => ("out", "below"),
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{word}</td></tr>",
                row.week,
                row.week_start,
                num(row.observed),
                num(row.p5),
                num(row.p50),
                num(row.p95)
            );
        }
        out.push_str("</tbody></table></div>\n</details>\n");
    }
    out.push_str("</section>\n");

    let clamped = if o.initial.clamped > 0 {
        format!(
            " {} patient{} in care had an admission less than a day too early for a whole \
             fixed episode by the date (by hours): their admission date was moved a day later.",
            o.initial.clamped,
            if o.initial.clamped == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    let _ = write!(
        out,
        "<section id=\"how\">\n<h2>How it is done</h2>\n\
         <p>The records' state at midnight on {from} (who was in care, in which track and since \
         when; who was waiting and for how long) is the scenario's <code>[initial]</code> state \
         (<code>initial.csv</code>), and the scenario is simulated from there for {weeks} whole \
         weeks, to {until} (the records end on {end}). Only the state on {from} comes from the \
         records: the referrals after it come from the scenario's own streams, so a scenario that \
         describes the program keeps about nine weeks in ten inside the P5\u{2013}P95 band (the page \
         calls it a match at {good} of the weeks and no run of weeks leaving the band).{clamped}</p>\n\
         <p>The observed census is the simulator's weekly census: the time each admitted patient \
         held a place (admission to leaving) within the week, over the week. Admissions are \
         counted in the week of the admission. A run of weeks leaving the band is a week outside \
         from which, to the end, at least two weeks in three are outside (three weeks or more).</p>\n\
         <p>The waits are those of every admission in the weeks compared, referral to admission, \
         on both sides (patients waiting on {from} included, with the days already waited); both \
         sides leave out those still waiting at the end, so the censoring is the same. The \
         simulated waits of all trials are pooled into the reference distribution, and the \
         Kolmogorov\u{2013}Smirnov distance is the largest gap between the observed and the \
         simulated cumulative shares; its p-value treats the observed waits as independent, which \
         waits in one queue are not quite, so read it as a guide.</p>\n\
         <p>A scenario fitted on records up to {from} and tested on the records after it is the \
         honest check; tested on the records it was fitted on, it is only a check of the fit.</p>\n\
         </section>\n",
        from = o.from,
        weeks = r.weeks,
        until = o.until,
        end = o.records_end,
        good = pct(GOOD_SHARE),
    );
    let _ = write!(
        out,
        "<footer><p>Files in this folder: backtest.csv (every week of every measure), \
         backtest-waits.csv, initial.csv (the state on {}), scenario.toml (the scenario as run: \
         <code>iopsim run scenario.toml</code> repeats the simulation), the charts as PNG and SVG. \
         Made by iopsim {}; rerun the command to reproduce every number.</p></footer>\n</main>\n</body>\n</html>\n",
        o.from,
        esc(env!("CARGO_PKG_VERSION"))
    );
    out
}
