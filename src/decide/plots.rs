//! Plots of the decision commands. Compare overlays reuse the run report's
//! fan charts and wait histograms ([`crate::report::plots`]); sweep plots (a
//! metric against one varied key, or a heatmap over two) and size plots (a
//! target's statistic against the values tried) are drawn here with the
//! same font, sizes and colours, and their PNGs on the run charts' canvas
//! (`report::plots::raster`), which places glyphs as the SVG does.

use anyhow::Context;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::sensitivity::Analysis;
use super::size::{Op, Sizing, Stat, Target};
use super::sweep::{Sweep, Vary};
use super::words::{self, Measure};
use crate::report::plots::chart::{
    file_safe, grouped_wait_histogram, pct_text, week_ticks, Band, Body, Chart, LegendItem, Marker,
    Swatch, Weekly,
};
use crate::report::plots::draw::framed;
use crate::report::plots::raster::Canvas;
use crate::report::plots::{render, style, Figure};
use crate::stats::Summary;
use crate::trials::{RunResults, WaitHistogram};

/// One colour per compared scenario (baseline first), Tableau 10.
const SCENARIO_COLOURS: [RGBColor; 6] = [
    RGBColor(78, 121, 167),
    RGBColor(225, 87, 89),
    RGBColor(89, 161, 79),
    RGBColor(242, 142, 43),
    RGBColor(176, 122, 161),
    RGBColor(156, 117, 95),
];

fn colour(i: usize) -> RGBColor {
    SCENARIO_COLOURS[i % SCENARIO_COLOURS.len()]
}

/// The compared scenarios on one axis: first each unit's waits
/// ([`compare_wait_charts`]), then weekly fan charts of every unit's census
/// and waitlist and every role's hours, where all runs have them.
pub fn compare_figures(labels: &[String], runs: &[&RunResults]) -> anyhow::Result<Vec<Figure>> {
    let base = runs[0];
    let ticks = week_ticks(base.start_date, base.weeks);
    let mut charts = compare_wait_charts(labels, runs);
    let mut metrics: Vec<(String, String, String)> = Vec::new();
    for (unit, _) in &base.capacity {
        metrics.push((
            format!("{unit}.census"),
            format!("{unit}: patients in care, by week"),
            "patients in care".into(),
        ));
        metrics.push((
            format!("{unit}.waitlist"),
            format!("{unit}: people on the waitlist, by week"),
            "people waiting".into(),
        ));
    }
    for (role, _) in &base.staff_hours {
        metrics.push((
            format!("staff.{role}.hours_per_week"),
            format!("{role}: hours needed, by week"),
            "hours per week".into(),
        ));
    }
    for (metric, title, y_label) in metrics {
        let series: Option<Vec<_>> = runs.iter().map(|r| r.weekly_of(&metric)).collect();
        let Some(series) = series else { continue };
        charts.push(Chart {
            stem: format!("compare-{}", file_safe(&metric)),
            section: metric.clone(),
            title,
            subtitle: format!(
                "{} trials, seed {}, the same random inputs \u{b7} median and P5\u{2013}P95 over trials",
                base.trials, base.seed
            ),
            about: format!("{metric} of each compared scenario, week by week."),
            legend: scenario_legend(labels, |i| Swatch::Band(colour(i))),
            body: Body::Weekly(Weekly {
                y_label,
                percent: false,
                bands: series
                    .iter()
                    .enumerate()
                    .map(|(i, w)| Band {
                        colour: colour(i),
                        weeks: w.to_vec(),
                        quartiles: false,
                    })
                    .collect(),
                limits: Vec::new(),
                ticks: ticks.clone(),
                weeks: base.weeks,
            }),
        });
    }
    charts.into_iter().map(render).collect()
}

/// The waits of every compared scenario on one axis, for each unit all of
/// them have: bars of the share of admissions per wait, side by side, each
/// scenario's P90 marked.
pub fn compare_wait_charts(labels: &[String], runs: &[&RunResults]) -> Vec<Chart> {
    let base = runs[0];
    let mut out = Vec::new();
    for h0 in &base.waits {
        let unit = &h0.unit;
        let hs: Option<Vec<&WaitHistogram>> = runs
            .iter()
            .map(|r| r.waits.iter().find(|h| &h.unit == unit))
            .collect();
        let Some(hs) = hs else { continue };
        if hs.iter().all(|h| h.total == 0) {
            continue;
        }
        let (mut hist, dropped) = grouped_wait_histogram(
            &hs.iter()
                .enumerate()
                .map(|(i, h)| (*h, colour(i)))
                .collect::<Vec<_>>(),
        );
        hist.y_label = "% of the scenario's admissions".into();
        for (i, h) in hs.iter().enumerate() {
            if h.p90.is_finite() {
                hist.markers.push(Marker {
                    label: format!("{} P90 {:.1} d", labels[i], h.p90),
                    x: h.p90.min(hist.x_max),
                    colour: style::darker(colour(i)),
                    dashed: true,
                });
            }
        }
        let mut legend = scenario_legend(labels, |i| Swatch::Box(colour(i)));
        if dropped > 0.0 {
            legend.push(LegendItem {
                label: format!(
                    "{} beyond {} days, not shown",
                    pct_text(dropped),
                    hist.x_max
                ),
                swatch: Swatch::None,
            });
        }
        let each: Vec<String> = labels
            .iter()
            .zip(&hs)
            .map(|(l, h)| {
                if h.total == 0 {
                    format!("{l}: no one was admitted")
                } else {
                    format!(
                        "{l}: half waited less than {:.1} days, one in ten more than {:.1}",
                        h.p50, h.p90
                    )
                }
            })
            .collect();
        out.push(Chart {
            stem: format!("compare-waits-{}", file_safe(unit)),
            section: unit.clone(),
            title: format!("{unit}: wait from referral to admission, by scenario"),
            subtitle: format!(
                "{} trials, seed {}, the same random inputs \u{b7} every admission of every trial pooled",
                base.trials, base.seed
            ),
            about: format!(
                "How long admitted patients waited from referral to their first day, each \
                 scenario's bars a share of its own admissions, pooled over all trials: {}. The \
                 dashed lines are these pooled P90s.",
                each.join("; ")
            ),
            legend,
            body: Body::Histogram(hist),
        });
    }
    out
}

/// A drawn chart of `sweep` or `size`.
#[derive(Debug, Clone)]
pub struct DecisionFigure {
    pub stem: String,
    /// For the page: the chart's title and how to read it.
    pub title: String,
    pub about: String,
    pub svg: String,
    pub png: Vec<u8>,
}

/// What a decision chart shows.
enum Plot<'a> {
    /// A metric against the one varied key.
    Line(&'a Sweep, &'a str),
    /// A metric's mean over two varied keys.
    Heat(&'a Sweep, &'a str),
    /// The k-th target against the values tried.
    Size(&'a Sizing, usize),
    /// The k-th metric's one-way swings: a tornado.
    Tornado(&'a Analysis, usize),
}

/// Draws `plot` as SVG, and as PNG on the run charts' canvas (the same
/// text layout as the SVG, from the embedded font).
fn render_plot(
    stem: String,
    title: String,
    about: String,
    plot: &Plot,
) -> anyhow::Result<DecisionFigure> {
    style::register_fonts()?;
    let size = (style::WIDTH, style::HEIGHT);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw_plot(plot, &title, &root).with_context(|| format!("drawing {stem}.svg"))?;
        root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let mut rgb = vec![255u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = Canvas::new(&mut rgb, size)?.into_drawing_area();
        draw_plot(plot, &title, &root).with_context(|| format!("drawing {stem}.png"))?;
        root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(DecisionFigure {
        png: crate::report::plots::encode_png(&rgb, size)?,
        svg,
        stem,
        title,
        about,
    })
}

fn draw_plot<DB: DrawingBackend>(
    plot: &Plot,
    title: &str,
    root: &DrawingArea<DB, Shift>,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    match plot {
        Plot::Line(s, m) => line(s, m, title, root),
        Plot::Heat(s, m) => heatmap(s, m, title, root),
        Plot::Size(z, k) => size_chart(z, *k, title, root),
        Plot::Tornado(a, k) => tornado(a, *k, title, root),
    }
}

/// One plot per metric: against the key (one varied key) or a heatmap of
/// its mean (two keys). Metrics absent at every point are skipped.
pub fn sweep_figures(s: &Sweep, metrics: &[String]) -> anyhow::Result<Vec<DecisionFigure>> {
    let mut out = Vec::new();
    for m in metrics {
        if !s.points.iter().any(|p| p.summary(m).is_some()) {
            continue;
        }
        let stem = format!("sweep-{}", file_safe(m));
        let metric = words::metric(m);
        let (k0, _) = words::key(&s.varies[0].key);
        let (title, about, plot) = if s.varies.len() == 1 {
            (
                format!("{} by {}", metric.name(), k0),
                format!(
                    "{} at each value of {k0}: the line is the mean over trials, the darker band \
                     its 95% confidence interval, the lighter band the range that holds nine \
                     trials in ten (P5\u{2013}P95). Every point ran on the same random inputs.",
                    metric.label()
                ),
                Plot::Line(s, m),
            )
        } else {
            let (k1, _) = words::key(&s.varies[1].key);
            (
                format!("{}: mean by {k0} and {k1}", metric.name()),
                format!(
                    "The mean over trials of {} in each cell, {k0} across, {k1} up; darker is \
                     higher.{}",
                    metric.label(),
                    if s.varies.len() > 2 {
                        " Only the first value of further keys."
                    } else {
                        ""
                    }
                ),
                Plot::Heat(s, m),
            )
        };
        out.push(render_plot(stem, title, about, &plot)?);
    }
    Ok(out)
}

/// One chart per target of `size`: the target's statistic at each value
/// run, its 95% bound, the target and the answer.
pub fn size_figures(z: &Sizing) -> anyhow::Result<Vec<DecisionFigure>> {
    let mut out = Vec::new();
    for (k, t) in z.targets.iter().enumerate() {
        let metric = words::metric(&t.metric);
        let (key, _) = words::key(&z.vary.key);
        let stem = if z.targets.len() == 1 {
            "size".to_string()
        } else {
            format!("size-{}-{}", k + 1, file_safe(&t.metric))
        };
        let title = format!("{} (its {}) by {key}", metric.name(), stat_words(t));
        let answer = match z.search.answer {
            Some(a) => format!(
                "The shaded column marks the answer, {key} = {}.",
                z.vary.values[a]
            ),
            None => "No value searched meets every target.".into(),
        };
        let about = format!(
            "The {} of {} over trials at each value the search ran (a dot: green meets this \
             target, red does not), and the unfavourable end of its 95% interval (the bar from \
             the dot), against the target ({}, dashed line). {answer} The search runs only the \
             values it needs, so values it skipped have no dot.",
            stat_words(t),
            metric.label(),
            target_words(t)
        );
        out.push(render_plot(stem, title, about, &Plot::Size(z, k))?);
    }
    Ok(out)
}

/// One tornado chart per metric of `sensitivity`: `tornado` for one
/// metric, `tornado-<metric>` for several.
pub fn tornado_figures(a: &Analysis) -> anyhow::Result<Vec<DecisionFigure>> {
    let mut out = Vec::new();
    for (k, m) in a.metrics.iter().enumerate() {
        let metric = words::metric(&m.metric);
        let stem = if a.metrics.len() == 1 {
            "tornado".to_string()
        } else {
            format!("tornado-{}", file_safe(&m.metric))
        };
        let title = format!("{}: which input moves it most", metric.name());
        let about = format!(
            "The mean of {} over {} trials with each uncertain input at its P10 (blue end) and at \
             its P90 (orange end), the other inputs at their means, on the same random inputs; the \
             line is the mean with every input at its mean. Inputs are ordered by the swing \
             between the two ends, the largest on top; the share at the right is the input's share \
             of the variance across trials with every input drawn.",
            metric.label(),
            a.one_way_trials
        );
        out.push(render_plot(stem, title, about, &Plot::Tornado(a, k))?);
    }
    Ok(out)
}

/// The input at its P10 and at its P90.
const LOW_END: RGBColor = RGBColor(78, 121, 167);
const HIGH_END: RGBColor = RGBColor(242, 142, 43);

/// The k-th metric's tornado: per input (largest swing on top) a bar from
/// the mean at the input's P10 to the mean at its P90, split at the mean
/// at means, the input's key on the left and its variance share on the right.
fn tornado<DB: DrawingBackend>(
    a: &Analysis,
    k: usize,
    title: &str,
    root: &DrawingArea<DB, Shift>,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let m = &a.metrics[k];
    let metric = words::metric(&m.metric);
    let scale = metric.measure.scale();
    let mut effects: Vec<_> = m.effects.iter().collect();
    effects.sort_by(|x, y| y.swing.total_cmp(&x.swing).then(x.input.cmp(&y.input)));
    let n = effects.len();
    let body = header(
        root,
        title,
        &format!(
            "{} trials per end, same random inputs \u{b7} blue: input at P10, orange: at P90 \u{b7} line: all at means ({}) \u{b7} right: share of variance",
            a.one_way_trials,
            metric.measure.value(m.mean_at_means)
        ),
    )?;
    let base = m.mean_at_means * scale;
    let ends = effects
        .iter()
        .flat_map(|e| [e.mean_at_p10 * scale, e.mean_at_p90 * scale])
        .chain(std::iter::once(base))
        .filter(|v| v.is_finite());
    let (lo, hi) = ends.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
        (l.min(v), h.max(v))
    });
    let (lo, hi) = if lo.is_finite() && hi > lo {
        let pad = (hi - lo) * 0.08;
        (lo - pad, hi + pad)
    } else if lo.is_finite() {
        (lo - 1.0, lo + 1.0)
    } else {
        (0.0, 1.0)
    };
    // Room on the right for the shares.
    let text_x = hi;
    let hi = hi + (hi - lo) * 0.12;
    let keys: Vec<String> = effects
        .iter()
        .map(|e| a.inputs[e.input].key.clone())
        .collect();
    let longest = keys.iter().map(|k| k.chars().count()).max().unwrap_or(8) as u32;
    let mut chart = ChartBuilder::on(&body)
        .margin_left(10)
        .margin_right(12)
        .margin_top(6)
        .margin_bottom(8)
        .x_label_area_size(56)
        .y_label_area_size((longest * 9 + 16).clamp(90, 420))
        .build_cartesian_2d(lo..hi, (0..n as i32 - 1).into_segmented())
        .map_err(err)?;
    let label_of = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) if *i >= 0 && (*i as usize) < n => {
            keys[n - 1 - *i as usize].clone()
        }
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .x_label_formatter(&y_tick(metric.measure))
        .y_label_formatter(&label_of)
        .x_labels(6)
        .y_labels(n.max(1))
        .x_desc(y_desc(&metric))
        .label_style(text(style::TICK, &style::TEXT))
        .axis_desc_style(text(style::LABEL, &style::MUTED))
        .max_light_lines(0)
        .disable_y_mesh()
        .bold_line_style(style::GRID)
        .axis_style(style::AXIS)
        .draw()
        .map_err(err)?;
    for (r, e) in effects.iter().enumerate() {
        let y = (n - 1 - r) as i32;
        for (end, colour) in [(e.mean_at_p10, LOW_END), (e.mean_at_p90, HIGH_END)] {
            let x = end * scale;
            if !x.is_finite() || x == base {
                continue;
            }
            let mut bar = Rectangle::new(
                [
                    (base.min(x), SegmentValue::Exact(y)),
                    (base.max(x), SegmentValue::Exact(y + 1)),
                ],
                colour.filled(),
            );
            bar.set_margin(5, 5, 0, 0);
            chart.draw_series(std::iter::once(bar)).map_err(err)?;
        }
    }
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![
                (base, SegmentValue::Exact(0)),
                (base, SegmentValue::Exact(n as i32)),
            ],
            style::LIMIT.stroke_width(2),
        )))
        .map_err(err)?;
    // The variance shares, beside each bar.
    let t = text(style::TICK, &style::TEXT).pos(Pos::new(HPos::Left, VPos::Center));
    for (r, e) in effects.iter().enumerate() {
        let share = if e.share.is_finite() {
            pct_text(100.0 * e.share)
        } else {
            "\u{2013}".into()
        };
        let y = (n - 1 - r) as i32;
        chart
            .draw_series(std::iter::once(Text::new(
                share,
                (text_x, SegmentValue::CenterOf(y)),
                t.clone(),
            )))
            .map_err(err)?;
    }
    Ok(())
}

/// "P90 over trials", "mean".
pub fn stat_words(t: &Target) -> String {
    match t.stat {
        Stat::Mean => "mean".into(),
        Stat::Quantile(q) => format!("P{} over trials", super::fmt_num(q * 100.0)),
    }
}

/// "at most 14 days", "at least 95%".
pub fn target_words(t: &Target) -> String {
    let m = words::metric(&t.metric).measure;
    let op = match t.op {
        Op::Le => "at most",
        Op::Lt => "below",
        Op::Ge => "at least",
        Op::Gt => "above",
    };
    let v = m.value(t.value);
    let unit = match m {
        Measure::Share | Measure::Plain => String::new(),
        m => format!(" {}", m.unit()),
    };
    format!("{op} {v}{unit}")
}

fn text(size: f64, colour: &'static RGBColor) -> TextStyle<'static> {
    TextStyle::from((style::FAMILY, size).into_font()).color(colour)
}

fn err<E: std::error::Error + Send + Sync + 'static>(e: DrawingAreaErrorKind<E>) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> anyhow::Result<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(err)?;
    let (head, body) = root.split_vertically(84);
    let t = TextStyle::from((style::FAMILY, style::TITLE, FontStyle::Bold).into_font())
        .color(&style::TEXT)
        .pos(Pos::new(HPos::Left, VPos::Top));
    head.draw_text(title, &t, (18, 14)).map_err(err)?;
    let sub = text(style::SUBTITLE, &style::MUTED).pos(Pos::new(HPos::Left, VPos::Top));
    head.draw_text(subtitle, &sub, (18, 48)).map_err(err)?;
    Ok(body)
}

/// Tick labels of a metric's axis: shares in %, others short.
fn y_tick(measure: Measure) -> impl Fn(&f64) -> String {
    move |y: &f64| match measure {
        Measure::Share => format!("{}%", super::fmt_num(*y)),
        _ => super::fmt_num(*y),
    }
}

/// The x positions of a varied key's values (their index if not all
/// numbers) and the tick label of a position.
fn x_axis(v: &Vary) -> (Vec<f64>, impl Fn(&f64) -> String) {
    let (_, share) = words::key(&v.key);
    let numbers = v.numbers();
    let xs: Vec<f64> = numbers
        .clone()
        .unwrap_or_else(|| (0..v.values.len()).map(|i| i as f64).collect());
    let labels = v.values.clone();
    let numeric = numbers.is_some();
    let fmt = move |x: &f64| {
        if numeric {
            if share {
                pct_text(100.0 * x)
            } else {
                super::fmt_num(*x)
            }
        } else {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        }
    };
    (xs, fmt)
}

/// Mean (line and dots), its 95% interval (dark band) and P5-P95 over
/// trials (light band) against the varied key.
fn line<DB: DrawingBackend>(
    s: &Sweep,
    m: &str,
    title: &str,
    root: &DrawingArea<DB, Shift>,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let v = &s.varies[0];
    let metric = words::metric(m);
    let k = metric.measure.scale();
    let (xs, x_fmt) = x_axis(v);
    let numeric = v.numbers().is_some();
    let pts: Vec<(f64, Summary)> = s
        .points
        .iter()
        .zip(&xs)
        .filter_map(|(p, &x)| {
            p.summary(m)
                .filter(|s| s.mean.is_finite())
                .map(|s| (x, s.scaled(k)))
        })
        .collect();
    let body = header(
        root,
        title,
        &format!(
            "{} \u{b7} {} trials per point, common random numbers \u{b7} mean, its 95% CI (dark), P5\u{2013}P95 over trials (light)",
            s.name, s.trials
        ),
    )?;
    let (x0, x1) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let pad = if x1 > x0 { (x1 - x0) * 0.04 } else { 0.5 };
    let (y_min, y_top) = y_range(
        pts.iter()
            .flat_map(|(_, s)| [s.p95, s.ci95_high, s.mean, s.p5, s.ci95_low]),
    );
    let mut chart = framed(&body)
        .build_cartesian_2d((x0 - pad)..(x1 + pad), y_min..y_top)
        .map_err(err)?;
    let (x_desc, _) = words::key(&v.key);
    let y_desc = y_desc(&metric);
    chart
        .configure_mesh()
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_tick(metric.measure))
        .x_labels(if numeric {
            v.values.len().clamp(2, 10)
        } else {
            v.values.len().max(2)
        })
        .y_labels(6)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(text(style::TICK, &style::TEXT))
        .axis_desc_style(text(style::LABEL, &style::MUTED))
        .max_light_lines(0)
        .bold_line_style(style::GRID)
        .axis_style(style::AXIS)
        .draw()
        .map_err(err)?;
    let c = style::CENSUS;
    let ring = |lo: fn(&Summary) -> f64, hi: fn(&Summary) -> f64| {
        pts.iter()
            .map(|(x, s)| (*x, hi(s)))
            .chain(pts.iter().rev().map(|(x, s)| (*x, lo(s))))
            .filter(|(_, y)| y.is_finite())
            .collect::<Vec<_>>()
    };
    if pts.len() > 1 {
        chart
            .draw_series(std::iter::once(Polygon::new(
                ring(|s| s.p5, |s| s.p95),
                c.mix(0.15).filled(),
            )))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Polygon::new(
                ring(|s| s.ci95_low, |s| s.ci95_high),
                c.mix(0.4).filled(),
            )))
            .map_err(err)?;
    }
    chart
        .draw_series(std::iter::once(PathElement::new(
            pts.iter().map(|(x, s)| (*x, s.mean)).collect::<Vec<_>>(),
            c.stroke_width(3),
        )))
        .map_err(err)?;
    chart
        .draw_series(
            pts.iter()
                .map(|(x, s)| Circle::new((*x, s.mean), 5, c.filled())),
        )
        .map_err(err)?;
    Ok(())
}

/// The y axis title: what, with its unit ("wait to admission, P90 (days)").
fn y_desc(metric: &words::Metric) -> String {
    let mut m = metric.clone();
    m.subject = String::new();
    let l = m.label();
    // Sentence case is for titles; an axis reads as it is.
    let mut c = l.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => l,
    }
}

/// A y range from 0 (or below, for negative values) with headroom above.
fn y_range(ys: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for y in ys.filter(|y| y.is_finite()) {
        lo = lo.min(y);
        hi = hi.max(y);
    }
    let top = if hi > lo {
        hi + (hi - lo) * 0.1
    } else {
        lo + 1.0
    };
    (lo, top)
}

/// The k-th target's statistic at each value run: a dot at the estimate,
/// a bar to the unfavourable 95% bound, the target as a dashed line, the
/// answer as a shaded column.
fn size_chart<DB: DrawingBackend>(
    z: &Sizing,
    k: usize,
    title: &str,
    root: &DrawingArea<DB, Shift>,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let t = &z.targets[k];
    let metric = words::metric(&t.metric);
    let scale = metric.measure.scale();
    let (xs, x_fmt) = x_axis(&z.vary);
    let pts: Vec<(f64, f64, Option<f64>, bool)> = z
        .tried
        .iter()
        .filter_map(|(i, tr)| {
            let c = tr.checks.get(k)?;
            Some((
                xs[*i],
                c.estimate * scale,
                c.bound.map(|b| b * scale),
                c.pass,
            ))
        })
        .collect();
    let body = header(
        root,
        title,
        &format!(
            "{} trials per value, common random numbers \u{b7} target: {} \u{b7} dot: estimate, bar: to its 95% bound",
            z.trials,
            target_words(t)
        ),
    )?;
    let (x0, x1) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let step = if xs.len() > 1 {
        (x1 - x0) / (xs.len() - 1) as f64
    } else {
        1.0
    };
    let pad = step * 0.6;
    let target = t.value * scale;
    let (y_min, y_top) = y_range(
        pts.iter()
            .flat_map(|p| [p.1, p.2.unwrap_or(p.1)])
            .chain(std::iter::once(target)),
    );
    let mut chart = framed(&body)
        .build_cartesian_2d((x0 - pad)..(x1 + pad), y_min..y_top)
        .map_err(err)?;
    let (x_desc, _) = words::key(&z.vary.key);
    chart
        .configure_mesh()
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_tick(metric.measure))
        .x_labels(xs.len().clamp(2, 12))
        .y_labels(6)
        .x_desc(x_desc)
        .y_desc(y_desc(&metric))
        .label_style(text(style::TICK, &style::TEXT))
        .axis_desc_style(text(style::LABEL, &style::MUTED))
        .max_light_lines(0)
        .bold_line_style(style::GRID)
        .axis_style(style::AXIS)
        .draw()
        .map_err(err)?;
    // The answer: a shaded column, labelled at its top.
    if let Some(a) = z.search.answer {
        let x = xs[a];
        let w = step * 0.35;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x - w, y_min), (x + w, y_top)],
                PASS.mix(0.12).filled(),
            )))
            .map_err(err)?;
        let label = text(style::LABEL, &style::TEXT).pos(Pos::new(HPos::Center, VPos::Top));
        chart
            .draw_series(std::iter::once(Text::new(
                format!("answer: {}", z.vary.values[a]),
                (x, y_top),
                label,
            )))
            .map_err(err)?;
    }
    // The target.
    chart
        .draw_series(std::iter::once(DashedPathElement::new(
            vec![(x0 - pad, target), (x1 + pad, target)],
            10,
            6,
            style::LIMIT.stroke_width(2),
        )))
        .map_err(err)?;
    let tl = text(style::TICK, &style::LIMIT).pos(Pos::new(HPos::Left, VPos::Bottom));
    chart
        .draw_series(std::iter::once(Text::new(
            format!("target: {}", target_words(t)),
            (x0 - pad * 0.8, target),
            tl,
        )))
        .map_err(err)?;
    for &(x, est, bound, pass) in &pts {
        let c = if pass { PASS } else { style::ALERT };
        if let Some(b) = bound {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, est), (x, b)],
                    c.stroke_width(3),
                )))
                .map_err(err)?;
            let cap = step * 0.08;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x - cap, b), (x + cap, b)],
                    c.stroke_width(3),
                )))
                .map_err(err)?;
        }
        chart
            .draw_series(std::iter::once(Circle::new((x, est), 7, c.filled())))
            .map_err(err)?;
    }
    Ok(())
}

/// A value that meets its target.
const PASS: RGBColor = RGBColor(89, 161, 79);

/// Mean of the metric in a grid of cells: first key across, second up.
fn heatmap<DB: DrawingBackend>(
    s: &Sweep,
    m: &str,
    title: &str,
    root: &DrawingArea<DB, Shift>,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let (a, b) = (&s.varies[0], &s.varies[1]);
    let metric = words::metric(m);
    let (ka, share_a) = words::key(&a.key);
    let (kb, share_b) = words::key(&b.key);
    let body = header(
        root,
        title,
        &format!(
            "{} \u{b7} {} trials per cell, common random numbers \u{b7} darker = higher{}",
            s.name,
            s.trials,
            if s.varies.len() > 2 {
                " \u{b7} first value of further keys only"
            } else {
                ""
            }
        ),
    )?;
    let (na, nb) = (a.values.len() as i32, b.values.len() as i32);
    let cell = |i: usize, j: usize| {
        s.points
            .iter()
            .find(|p| p.values[0] == a.values[i] && p.values[1] == b.values[j])
            .and_then(|p| p.summary(m))
            .map(|x| x.mean)
            .filter(|x| x.is_finite())
    };
    let all: Vec<f64> = (0..a.values.len())
        .flat_map(|i| (0..b.values.len()).map(move |j| (i, j)))
        .filter_map(|(i, j)| cell(i, j))
        .collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut chart = ChartBuilder::on(&body)
        .margin_left(10)
        .margin_right(28)
        .margin_top(6)
        .margin_bottom(8)
        .x_label_area_size(56)
        .y_label_area_size(90)
        .build_cartesian_2d((0..na - 1).into_segmented(), (0..nb - 1).into_segmented())
        .map_err(err)?;
    let la: Vec<String> = a
        .values
        .iter()
        .map(|v| words::key_value(v, share_a))
        .collect();
    let lb: Vec<String> = b
        .values
        .iter()
        .map(|v| words::key_value(v, share_b))
        .collect();
    let fa = move |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) => la.get(*i as usize).cloned().unwrap_or_default(),
        _ => String::new(),
    };
    let fb = move |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) => lb.get(*i as usize).cloned().unwrap_or_default(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(a.values.len())
        .y_labels(b.values.len())
        .x_label_formatter(&fa)
        .y_label_formatter(&fb)
        .x_desc(ka)
        .y_desc(kb)
        .label_style(text(style::TICK, &style::TEXT))
        .axis_desc_style(text(style::LABEL, &style::MUTED))
        .axis_style(style::AXIS)
        .draw()
        .map_err(err)?;
    for i in 0..a.values.len() {
        for j in 0..b.values.len() {
            let (x, y) = (i as i32, j as i32);
            let corners = [
                (SegmentValue::Exact(x), SegmentValue::Exact(y)),
                (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1)),
            ];
            let Some(v) = cell(i, j) else {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        corners.clone(),
                        style::GRID.filled(),
                    )))
                    .map_err(err)?;
                continue;
            };
            let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
            let fill = shade(t);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    corners.clone(),
                    fill.filled(),
                )))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    corners,
                    WHITE.stroke_width(1),
                )))
                .map_err(err)?;
            let ink: &'static RGBColor = if t > 0.55 { &WHITE } else { &style::TEXT };
            let label = text(style::TICK, ink).pos(Pos::new(HPos::Center, VPos::Center));
            chart
                .draw_series(std::iter::once(Text::new(
                    metric.measure.value(v),
                    (SegmentValue::CenterOf(x), SegmentValue::CenterOf(y)),
                    label,
                )))
                .map_err(err)?;
        }
    }
    Ok(())
}

/// Light to dark blue for t in [0, 1].
fn shade(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let (l, d) = ((222.0, 235.0, 247.0), (8.0, 48.0, 107.0));
    let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(mix(l.0, d.0), mix(l.1, d.1), mix(l.2, d.2))
}

/// The legend of compared scenarios: each in its colour, the first marked
/// as the baseline.
fn scenario_legend(labels: &[String], swatch: impl Fn(usize) -> Swatch) -> Vec<LegendItem> {
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| LegendItem {
            label: if i == 0 {
                format!("{l} (baseline)")
            } else {
                l.clone()
            },
            swatch: swatch(i),
        })
        .collect()
}
