//! Plots of the decision commands. Compare overlays reuse the run report's
//! fan charts ([`crate::report::plots`]); sweep plots (a metric against one
//! varied key, or a heatmap over two) are drawn here with the same font,
//! sizes and colours.

use anyhow::Context;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::sweep::Sweep;
use crate::report::plots::chart::{
    file_safe, week_ticks, Band, Body, Chart, LegendItem, Swatch, Weekly,
};
use crate::report::plots::{render, style, Figure};
use crate::trials::RunResults;

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

/// Weekly fan charts of the compared scenarios on one axis: for every unit
/// its census and waitlist, and every role's hours, where all runs have them.
pub fn compare_figures(labels: &[String], runs: &[&RunResults]) -> anyhow::Result<Vec<Figure>> {
    let base = runs[0];
    let ticks = week_ticks(base.start_date, base.weeks);
    let mut charts = Vec::new();
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
            legend: labels
                .iter()
                .enumerate()
                .map(|(i, l)| LegendItem {
                    label: if i == 0 {
                        format!("{l} (baseline)")
                    } else {
                        l.clone()
                    },
                    swatch: Swatch::Band(colour(i)),
                })
                .collect(),
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

/// A drawn sweep plot.
#[derive(Debug, Clone)]
pub struct SweepFigure {
    pub stem: String,
    pub svg: String,
    pub png: Vec<u8>,
}

/// One plot per metric: against the key (one varied key) or a heatmap of
/// its mean (two keys). Metrics absent at every point are skipped.
pub fn sweep_figures(s: &Sweep, metrics: &[String]) -> anyhow::Result<Vec<SweepFigure>> {
    style::register_fonts()?;
    let mut out = Vec::new();
    for m in metrics {
        if !s.points.iter().any(|p| p.summary(m).is_some()) {
            continue;
        }
        let stem = format!("sweep-{}", file_safe(m));
        let size = (style::WIDTH, style::HEIGHT);
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
            draw_any(s, m, &root).with_context(|| format!("drawing {stem}.svg"))?;
            root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let mut rgb = vec![255u8; size.0 as usize * size.1 as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
            draw_any(s, m, &root).with_context(|| format!("drawing {stem}.png"))?;
            root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        out.push(SweepFigure {
            png: crate::report::plots::encode_png(&rgb, size)?,
            svg,
            stem,
        });
    }
    Ok(out)
}

fn draw_any<DB: DrawingBackend>(
    s: &Sweep,
    m: &str,
    root: &DrawingArea<DB, Shift>,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    match s.varies.len() {
        1 => line(s, m, root),
        _ => heatmap(s, m, root),
    }
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

/// Mean (line and dots), its 95% interval (dark band) and P5-P95 over
/// trials (light band) against the varied key.
fn line<DB: DrawingBackend>(s: &Sweep, m: &str, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let v = &s.varies[0];
    let xs: Vec<f64> = v
        .numbers()
        .unwrap_or_else(|| (0..v.values.len()).map(|i| i as f64).collect());
    let numeric = v.numbers().is_some();
    let pts: Vec<(f64, crate::stats::Summary)> = s
        .points
        .iter()
        .zip(&xs)
        .filter_map(|(p, &x)| p.summary(m).filter(|s| s.mean.is_finite()).map(|s| (x, *s)))
        .collect();
    let body = header(
        root,
        &format!("{m} against {}", short(&v.key)),
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
    let y_max = pts
        .iter()
        .map(|(_, s)| s.p95.max(s.ci95_high).max(s.mean))
        .filter(|y| y.is_finite())
        .fold(0.0f64, f64::max);
    let y_min = pts
        .iter()
        .map(|(_, s)| s.p5.min(s.ci95_low).min(s.mean))
        .filter(|y| y.is_finite())
        .fold(0.0f64, f64::min);
    let y_top = if y_max > y_min {
        y_max + (y_max - y_min) * 0.08
    } else {
        y_min + 1.0
    };
    let mut chart = ChartBuilder::on(&body)
        .margin_left(10)
        .margin_right(28)
        .margin_top(6)
        .margin_bottom(8)
        .x_label_area_size(56)
        .y_label_area_size(78)
        .build_cartesian_2d((x0 - pad)..(x1 + pad), y_min..y_top)
        .map_err(err)?;
    let labels = v.values.clone();
    let x_fmt = move |x: &f64| {
        if numeric {
            super::fmt_num(*x)
        } else {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        }
    };
    chart
        .configure_mesh()
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&|y: &f64| super::fmt_num(*y))
        .x_labels(if numeric { 10 } else { v.values.len().max(2) })
        .y_labels(6)
        .x_desc(v.key.as_str())
        .y_desc(m)
        .label_style(text(style::TICK, &style::TEXT))
        .axis_desc_style(text(style::LABEL, &style::MUTED))
        .light_line_style(style::GRID)
        .bold_line_style(style::GRID_BOLD)
        .axis_style(style::AXIS)
        .draw()
        .map_err(err)?;
    let c = style::CENSUS;
    let ring = |lo: fn(&crate::stats::Summary) -> f64, hi: fn(&crate::stats::Summary) -> f64| {
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

/// Mean of the metric in a grid of cells: first key across, second up.
fn heatmap<DB: DrawingBackend>(
    s: &Sweep,
    m: &str,
    root: &DrawingArea<DB, Shift>,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let (a, b) = (&s.varies[0], &s.varies[1]);
    let body = header(
        root,
        &format!("{m}: mean by {} and {}", short(&a.key), short(&b.key)),
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
    let la = a.values.clone();
    let lb = b.values.clone();
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
        .x_desc(a.key.as_str())
        .y_desc(b.key.as_str())
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
                    super::fmt_num(v),
                    (SegmentValue::CenterOf(x), SegmentValue::CenterOf(y)),
                    label,
                )))
                .map_err(err)?;
        }
    }
    Ok(())
}

/// The last two parts of a dotted key, for titles: `evening.groups`.
fn short(key: &str) -> String {
    let parts: Vec<&str> = key.split('.').collect();
    parts[parts.len().saturating_sub(2)..].join(".")
}

/// Light to dark blue for t in [0, 1].
fn shade(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let (l, d) = ((222.0, 235.0, 247.0), (8.0, 48.0, 107.0));
    let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(mix(l.0, d.0), mix(l.1, d.1), mix(l.2, d.2))
}
