//! Draws a [`Chart`] on any plotters backend, so the PNG and the SVG of a
//! figure come from the same code.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::chart::{Body, Chart, Histogram, LegendItem, Shares, Swatch, Weekly};
use super::style::{self, FAMILY};

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Height of the header: title, subtitle and legend.
const HEADER: u32 = 104;
const LEFT: i32 = 18;

fn text(size: f64, colour: &'static RGBColor) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font()).color(colour)
}

pub fn draw<DB: DrawingBackend>(chart: &Chart, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (header, body) = root.split_vertically(HEADER);
    draw_header(chart, &header)?;
    match &chart.body {
        Body::Weekly(w) => weekly(w, &body),
        Body::Histogram(h) => histogram(h, &body),
        Body::Shares(s) => shares(s, &body),
    }
}

fn draw_header<DB: DrawingBackend>(chart: &Chart, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    let title = TextStyle::from((FAMILY, style::TITLE, FontStyle::Bold).into_font())
        .color(&style::TEXT)
        .pos(Pos::new(HPos::Left, VPos::Top));
    area.draw_text(&chart.title, &title, (LEFT, 14))?;
    let sub = text(style::SUBTITLE, &style::MUTED).pos(Pos::new(HPos::Left, VPos::Top));
    area.draw_text(&chart.subtitle, &sub, (LEFT, 46))?;
    legend(&chart.legend, area, (LEFT, 84))
}

/// Legend entries left to right on one line; `y` is the line's centre.
fn legend<DB: DrawingBackend>(
    items: &[LegendItem],
    area: &DrawingArea<DB, Shift>,
    (mut x, y): (i32, i32),
) -> DrawResult<DB> {
    let label = text(style::LABEL, &style::TEXT).pos(Pos::new(HPos::Left, VPos::Center));
    for item in items {
        let w = 26;
        match item.swatch {
            Swatch::Band(c) => {
                area.draw(&Rectangle::new(
                    [(x, y - 9), (x + w, y + 9)],
                    c.mix(0.18).filled(),
                ))?;
                area.draw(&Rectangle::new(
                    [(x, y - 5), (x + w, y + 5)],
                    c.mix(0.38).filled(),
                ))?;
                area.draw(&PathElement::new(
                    vec![(x, y), (x + w, y)],
                    c.stroke_width(3),
                ))?;
            }
            Swatch::Line(c) => {
                area.draw(&PathElement::new(
                    vec![(x, y), (x + w, y)],
                    c.stroke_width(2),
                ))?;
            }
            Swatch::Dashed(c) => {
                area.draw(&DashedPathElement::new(
                    vec![(x, y), (x + w, y)],
                    7,
                    4,
                    c.stroke_width(2),
                ))?;
            }
            Swatch::Dot(c) => area.draw(&Circle::new((x + w / 2, y), 5, c.filled()))?,
            Swatch::Box(c) => {
                area.draw(&Rectangle::new(
                    [(x, y - 7), (x + w, y + 7)],
                    c.mix(0.8).filled(),
                ))?;
            }
            Swatch::None => {}
        }
        let tx = if matches!(item.swatch, Swatch::None) {
            x
        } else {
            x + w + 8
        };
        area.draw_text(&item.label, &label, (tx, y))?;
        let (tw, _) = area.estimate_text_size(&item.label, &label)?;
        x = tx + tw as i32 + 24;
    }
    Ok(())
}

fn y_ceiling(max: f64) -> f64 {
    if max.is_finite() && max > 0.0 {
        max * 1.08
    } else {
        1.0
    }
}

fn y_tick(y: f64, percent: bool, top: f64) -> String {
    if percent {
        format!("{y:.0}%")
    } else if top < 5.0 {
        format!("{y:.1}")
    } else {
        format!("{y:.0}")
    }
}

fn weekly<DB: DrawingBackend>(w: &Weekly, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    let x_end = (w.weeks as i32 - 1).max(1);
    let data_max = w
        .bands
        .iter()
        .flat_map(|b| b.weeks.iter().map(|s| s.p95))
        .chain(w.limits.iter().map(|l| l.value))
        .filter(|v| v.is_finite())
        .fold(f64::NAN, f64::max);
    let y_max = if w.percent {
        y_ceiling(data_max).max(100.0)
    } else {
        y_ceiling(data_max)
    };
    // Money can go below zero; counts and shares cannot.
    let data_min = w
        .bands
        .iter()
        .flat_map(|b| b.weeks.iter().map(|s| s.p5))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::min);
    let y_min = if data_min < 0.0 {
        -y_ceiling(-data_min)
    } else {
        0.0
    };
    let tick_weeks: Vec<i32> = w.ticks.iter().map(|(x, _)| *x).collect();
    let mut chart = ChartBuilder::on(area)
        .margin_left(10)
        .margin_right(28)
        .margin_top(6)
        .margin_bottom(8)
        .x_label_area_size(56)
        .y_label_area_size(78)
        .build_cartesian_2d((0..x_end).with_key_points(tick_weeks), y_min..y_max)?;
    let x_label = |x: &i32| {
        w.ticks
            .iter()
            .find(|(t, _)| t == x)
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    };
    let y_label = |y: &f64| y_tick(*y, w.percent, y_max);
    chart
        .configure_mesh()
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .y_labels(6)
        .y_desc(w.y_label.as_str())
        .x_desc("week")
        .label_style(text(style::TICK, &style::TEXT))
        .axis_desc_style(text(style::LABEL, &style::MUTED))
        .max_light_lines(0)
        .bold_line_style(style::GRID)
        .axis_style(style::AXIS)
        .draw()?;
    for band in &w.bands {
        let pts: Vec<(i32, &crate::stats::Summary)> = band
            .weeks
            .iter()
            .enumerate()
            .filter(|(_, s)| s.p5.is_finite() && s.p95.is_finite() && s.p50.is_finite())
            .map(|(i, s)| (i as i32, s))
            .collect();
        let ring = |lo: fn(&crate::stats::Summary) -> f64,
                    hi: fn(&crate::stats::Summary) -> f64| {
            pts.iter()
                .map(|(x, s)| (*x, hi(s)))
                .chain(pts.iter().rev().map(|(x, s)| (*x, lo(s))))
                .collect::<Vec<_>>()
        };
        chart.draw_series(std::iter::once(Polygon::new(
            ring(|s| s.p5, |s| s.p95),
            band.colour.mix(0.18).filled(),
        )))?;
        if band.quartiles {
            chart.draw_series(std::iter::once(Polygon::new(
                ring(|s| s.p25, |s| s.p75),
                band.colour.mix(0.30).filled(),
            )))?;
        }
        chart.draw_series(std::iter::once(PathElement::new(
            pts.iter().map(|(x, s)| (*x, s.p50)).collect::<Vec<_>>(),
            band.colour.stroke_width(3),
        )))?;
    }
    for limit in &w.limits {
        chart.draw_series(std::iter::once(DashedPathElement::new(
            vec![(0, limit.value), (x_end, limit.value)],
            9,
            5,
            style::LIMIT.stroke_width(2),
        )))?;
        if let (true, Some(first)) = (limit.flag_above, w.bands.first()) {
            chart.draw_series(
                first
                    .weeks
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.p50 > limit.value)
                    .map(|(i, s)| Circle::new((i as i32, s.p50), 4, style::ALERT.filled())),
            )?;
        }
    }
    Ok(())
}

fn histogram<DB: DrawingBackend>(h: &Histogram, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    let top = h.bars.iter().map(|b| b.2).fold(0.0, f64::max);
    // Headroom for the marker labels, one row each.
    let y_max = if top > 0.0 { top * 1.32 } else { 1.0 };
    let mut chart = ChartBuilder::on(area)
        .margin_left(10)
        .margin_right(28)
        .margin_top(6)
        .margin_bottom(8)
        .x_label_area_size(56)
        .y_label_area_size(78)
        .build_cartesian_2d(0f64..h.x_max, 0f64..y_max)?;
    let y_label = |y: &f64| {
        if y_max < 5.0 {
            format!("{y:.1}%")
        } else {
            format!("{y:.0}%")
        }
    };
    let x_label = |x: &f64| format!("{x:.0}");
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(12)
        .y_labels(6)
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .y_desc(h.y_label.as_str())
        .x_desc(h.x_label.as_str())
        .label_style(text(style::TICK, &style::TEXT))
        .axis_desc_style(text(style::LABEL, &style::MUTED))
        .max_light_lines(0)
        .bold_line_style(style::GRID)
        .axis_style(style::AXIS)
        .draw()?;
    chart.draw_series(h.bars.iter().map(|&(lo, hi, pct)| {
        Rectangle::new([(lo, 0.0), (hi, pct)], h.colour.mix(0.85).filled())
    }))?;
    // Thin white gaps between bars, so neighbours read as separate bins.
    chart.draw_series(
        h.bars
            .iter()
            .map(|&(lo, hi, pct)| Rectangle::new([(lo, 0.0), (hi, pct)], WHITE.stroke_width(1))),
    )?;
    for (i, (label, x)) in h.markers.iter().enumerate() {
        let line = vec![(*x, 0.0), (*x, y_max)];
        if i == 0 {
            chart.draw_series(std::iter::once(PathElement::new(
                line,
                style::LIMIT.stroke_width(2),
            )))?;
        } else {
            chart.draw_series(std::iter::once(DashedPathElement::new(
                line,
                8,
                5,
                style::LIMIT.stroke_width(2),
            )))?;
        }
        // Each label on its own row, so close markers never overlap; right
        // of its line unless that runs off the plot.
        let probe = text(style::LABEL, &style::TEXT);
        let (width, _) = area.estimate_text_size(label, &probe)?;
        let (px, _) = chart.backend_coord(&(*x, y_max));
        let right_edge = chart.plotting_area().get_pixel_range().0.end;
        let (anchor, dx) = if px + 8 + width as i32 > right_edge {
            (HPos::Right, -8)
        } else {
            (HPos::Left, 8)
        };
        let style = probe.pos(Pos::new(anchor, VPos::Top));
        let dy = 6 + 26 * i as i32;
        chart.draw_series(std::iter::once(
            EmptyElement::at((*x, y_max)) + Text::new(label.clone(), (dx, dy), style),
        ))?;
    }
    if let Some(note) = &h.empty {
        let style = text(style::LABEL, &style::MUTED).pos(Pos::new(HPos::Center, VPos::Center));
        chart.draw_series(std::iter::once(Text::new(
            note.clone(),
            (h.x_max / 2.0, y_max / 2.0),
            style,
        )))?;
    }
    Ok(())
}

fn shares<DB: DrawingBackend>(s: &Shares, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    let n = s.rows.len() as i32;
    let top = s.rows.iter().map(|r| r.p95.max(r.p50)).fold(0.0, f64::max);
    // Room right of the longest whisker for its value label.
    let x_max = (top * 1.35 + 12.0).max(10.0);
    let label_width = 190;
    let mut chart = ChartBuilder::on(area)
        .margin_left(10)
        .margin_right(28)
        .margin_top(6)
        .margin_bottom(8)
        .x_label_area_size(56)
        .y_label_area_size(label_width)
        // A segmented range a..b has a segment for each of a..=b.
        .build_cartesian_2d(0f64..x_max, (0..(n - 1).max(0)).into_segmented())?;
    let row_label = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) => s
            .rows
            .get((n - 1 - i) as usize)
            .map(|r| r.label.clone())
            .unwrap_or_default(),
        _ => String::new(),
    };
    // No tick past 100%: the axis only extends there to fit the labels.
    let x_label = |x: &f64| {
        if *x <= 100.0 {
            format!("{x:.0}%")
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(s.rows.len().max(1))
        .x_labels(8)
        .y_label_formatter(&row_label)
        .x_label_formatter(&x_label)
        .x_desc(s.x_label.as_str())
        .label_style(text(style::TICK, &style::TEXT))
        .axis_desc_style(text(style::LABEL, &style::MUTED))
        .max_light_lines(0)
        .bold_line_style(style::GRID)
        .axis_style(style::AXIS)
        .draw()?;
    for (i, r) in s.rows.iter().enumerate() {
        let y = n - 1 - i as i32;
        let mut bar = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(y)),
                (r.p50, SegmentValue::Exact(y + 1)),
            ],
            r.colour.filled(),
        );
        bar.set_margin(9, 9, 0, 0);
        chart.draw_series(std::iter::once(bar))?;
        let centre = || SegmentValue::CenterOf(y);
        let whisker = style::TEXT.stroke_width(2);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(r.p5, centre()), (r.p95, centre())],
            whisker,
        )))?;
        for x in [r.p5, r.p95] {
            chart.draw_series(std::iter::once(
                EmptyElement::at((x, centre())) + PathElement::new(vec![(0, -7), (0, 7)], whisker),
            ))?;
        }
        let value = format!("{:.0}%  ({:.0}\u{2013}{:.0})", r.p50, r.p5, r.p95);
        let style = text(style::TICK, &style::TEXT).pos(Pos::new(HPos::Left, VPos::Center));
        chart.draw_series(std::iter::once(
            EmptyElement::at((r.p95.max(r.p50), centre())) + Text::new(value, (10, 0), style),
        ))?;
    }
    if s.rows.is_empty() {
        let style = text(style::LABEL, &style::MUTED).pos(Pos::new(HPos::Center, VPos::Center));
        chart.draw_series(std::iter::once(Text::new(
            "no referrals in the reported weeks",
            (x_max / 2.0, SegmentValue::CenterOf(0)),
            style,
        )))?;
    }
    Ok(())
}
