//! Draws a [`Chart`] on any plotters backend, so the PNG and the SVG of a
//! figure come from the same code.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::chart::{Body, Chart, Histogram, LegendItem, SharePanel, Shares, Swatch, Weekly};
use super::style::{self, FAMILY};

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Height of the header: title, subtitle and one line of legend.
const HEADER: u32 = 104;
/// Each further line of a legend too wide for one.
const LEGEND_LINE: u32 = 28;
const LEFT: i32 = 18;
/// Height of a row in a panel of a chart of shares with several panels.
const SHARE_ROW: u32 = 38;
/// A panel's heading, above its plot.
const PANEL_HEADING: u32 = 36;
/// A panel's x axis (labels and description) and margins.
const PANEL_AXIS: u32 = 56 + 6 + 8;

/// The figure's size in pixels: [`style::WIDTH`] by [`style::HEIGHT`],
/// taller for a chart of shares with several panels, so that every row
/// keeps its height.
pub fn size(chart: &Chart) -> (u32, u32) {
    match &chart.body {
        Body::Shares(s) if s.panels.len() > 1 => {
            let body: u32 = s
                .panels
                .iter()
                .map(|p| panel_overhead(p) + SHARE_ROW * p.rows.len().max(1) as u32)
                .sum();
            (style::WIDTH, (HEADER + body).max(style::HEIGHT))
        }
        _ => (style::WIDTH, style::HEIGHT),
    }
}

fn panel_overhead(p: &SharePanel) -> u32 {
    PANEL_AXIS
        + if p.heading.is_some() {
            PANEL_HEADING
        } else {
            0
        }
}

fn text(size: f64, colour: &'static RGBColor) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font()).color(colour)
}

/// The frame every chart's plot sits in: its margins and the room for the
/// axes' labels, one for the run's charts and the decisions'.
pub(crate) fn framed<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(area);
    b.margin_left(10)
        .margin_right(28)
        .margin_top(6)
        .margin_bottom(8)
        .x_label_area_size(56)
        .y_label_area_size(78);
    b
}

pub fn draw<DB: DrawingBackend>(chart: &Chart, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let layout = legend_layout(&chart.legend, root)?;
    let lines = layout.iter().map(|p| p.1).max().unwrap_or(0) as u32;
    let (header, body) = root.split_vertically(HEADER + LEGEND_LINE * lines);
    draw_header(chart, &layout, &header)?;
    match &chart.body {
        Body::Weekly(w) => weekly(w, &body),
        Body::Histogram(h) => histogram(h, &body),
        Body::Shares(s) => shares(s, &body),
    }
}

fn draw_header<DB: DrawingBackend>(
    chart: &Chart,
    layout: &[(i32, i32)],
    area: &DrawingArea<DB, Shift>,
) -> DrawResult<DB> {
    let title = TextStyle::from((FAMILY, style::TITLE, FontStyle::Bold).into_font())
        .color(&style::TEXT)
        .pos(Pos::new(HPos::Left, VPos::Top));
    area.draw_text(&chart.title, &title, (LEFT, 14))?;
    let sub = text(style::SUBTITLE, &style::MUTED).pos(Pos::new(HPos::Left, VPos::Top));
    area.draw_text(&chart.subtitle, &sub, (LEFT, 46))?;
    legend(&chart.legend, layout, area, 84)
}

const SWATCH: i32 = 26;

/// Where each legend entry starts: (x, line), left to right, on as many
/// lines as the figure's width needs.
fn legend_layout<DB: DrawingBackend>(
    items: &[LegendItem],
    area: &DrawingArea<DB, Shift>,
) -> Result<Vec<(i32, i32)>, DrawingAreaErrorKind<DB::ErrorType>> {
    let label = text(style::LABEL, &style::TEXT);
    let right = area.dim_in_pixel().0 as i32 - LEFT;
    let (mut x, mut line) = (LEFT, 0);
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let swatch = if matches!(item.swatch, Swatch::None) {
            0
        } else {
            SWATCH + 8
        };
        let width = swatch + area.estimate_text_size(&item.label, &label)?.0 as i32;
        if x > LEFT && x + width > right {
            x = LEFT;
            line += 1;
        }
        out.push((x, line));
        x += width + 24;
    }
    Ok(out)
}

/// Legend entries at the places of [`legend_layout`]; `y` is the centre of
/// the first line.
fn legend<DB: DrawingBackend>(
    items: &[LegendItem],
    layout: &[(i32, i32)],
    area: &DrawingArea<DB, Shift>,
    first_y: i32,
) -> DrawResult<DB> {
    let label = text(style::LABEL, &style::TEXT).pos(Pos::new(HPos::Left, VPos::Center));
    for (item, &(x, line)) in items.iter().zip(layout) {
        let y = first_y + line * LEGEND_LINE as i32;
        let w = SWATCH;
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
    let mut chart =
        framed(area).build_cartesian_2d((0..x_end).with_key_points(tick_weeks), y_min..y_max)?;
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
            limit.colour.stroke_width(2),
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
    let top = h
        .series
        .iter()
        .flat_map(|s| s.bars.iter().map(|b| b.2))
        .fold(0.0, f64::max);
    // Headroom for the marker labels, one row each.
    let plot_h = f64::from(area.dim_in_pixel().1) - 56.0 - 14.0;
    let rows = 12.0 + 26.0 * h.markers.len() as f64;
    let headroom = if plot_h > rows + 40.0 {
        (plot_h / (plot_h - rows)).max(1.32)
    } else {
        1.32
    };
    let y_max = if top > 0.0 { top * headroom } else { 1.0 };
    let mut chart = framed(area).build_cartesian_2d(0f64..h.x_max, 0f64..y_max)?;
    let y_label = |y: &f64| {
        // The axis extends past the bars only to fit the marker labels: no
        // ticks there beyond the usual headroom, nor past 100%.
        if *y > 100.0 + 1e-9 || *y > top * 1.32 + 1e-9 {
            String::new()
        } else if y_max < 5.0 {
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
    // Several series share each bin side by side, in order.
    let n = h.series.len().max(1) as f64;
    let slot = |i: usize, lo: f64, hi: f64| {
        let w = (hi - lo) / n;
        (lo + w * i as f64, lo + w * (i + 1) as f64)
    };
    for (i, series) in h.series.iter().enumerate() {
        chart.draw_series(series.bars.iter().map(|&(lo, hi, pct)| {
            let (lo, hi) = slot(i, lo, hi);
            Rectangle::new([(lo, 0.0), (hi, pct)], series.colour.mix(0.85).filled())
        }))?;
        // Thin white gaps between bars, so neighbours read as separate bins.
        chart.draw_series(series.bars.iter().map(|&(lo, hi, pct)| {
            let (lo, hi) = slot(i, lo, hi);
            Rectangle::new([(lo, 0.0), (hi, pct)], WHITE.stroke_width(1))
        }))?;
    }
    for m in &h.markers {
        let line = vec![(m.x, 0.0), (m.x, y_max)];
        if m.dashed {
            chart.draw_series(std::iter::once(DashedPathElement::new(
                line,
                8,
                5,
                m.colour.stroke_width(2),
            )))?;
        } else {
            chart.draw_series(std::iter::once(PathElement::new(
                line,
                m.colour.stroke_width(2),
            )))?;
        }
    }
    // The labels after every line, so that no line is drawn over a label.
    for (i, m) in h.markers.iter().enumerate() {
        // Each label on its own row, so close markers never overlap; right
        // of its line unless that runs off the plot or across another
        // marker's line (when there is room on the left).
        let probe = TextStyle::from((FAMILY, style::LABEL).into_font()).color(&m.colour);
        let (width, _) = area.estimate_text_size(&m.label, &probe)?;
        let (px, _) = chart.backend_coord(&(m.x, y_max));
        let range = chart.plotting_area().get_pixel_range().0;
        let right_edge = range.end;
        let crosses = h.markers.iter().any(|o| {
            let (ox, _) = chart.backend_coord(&(o.x, y_max));
            ox > px && ox <= px + 12 + width as i32
        });
        let fits_left = px - 8 - width as i32 >= range.start;
        let (anchor, dx) = if px + 8 + width as i32 > right_edge || (crosses && fits_left) {
            (HPos::Right, -8)
        } else {
            (HPos::Left, 8)
        };
        let style = probe.pos(Pos::new(anchor, VPos::Top));
        let dy = 6 + 26 * i as i32;
        // On a white ground, so a neighbouring marker's line never runs
        // through the words.
        let w = width as i32 + 8;
        let x0 = if dx > 0 { dx - 4 } else { dx - w + 4 };
        chart.draw_series(std::iter::once(
            EmptyElement::at((m.x, y_max))
                + Rectangle::new([(x0, dy - 2), (x0 + w, dy + 22)], WHITE.filled())
                + Text::new(m.label.clone(), (dx, dy), style),
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

/// Width of the row labels: the longest label's, within bounds, the same
/// for every panel so that their bars start together.
fn share_label_width<DB: DrawingBackend>(
    s: &Shares,
    area: &DrawingArea<DB, Shift>,
) -> Result<u32, DrawingAreaErrorKind<DB::ErrorType>> {
    let style = text(style::TICK, &style::TEXT);
    let mut widest = 0;
    for row in s.panels.iter().flat_map(|p| &p.rows) {
        widest = widest.max(area.estimate_text_size(&row.label, &style)?.0);
    }
    Ok((widest + 24).clamp(190, area.dim_in_pixel().0 * 2 / 5))
}

/// `label`, shortened with an ellipsis to at most `max` pixels.
fn fit<DB: DrawingBackend>(
    label: &str,
    max: u32,
    style: &TextStyle,
    area: &DrawingArea<DB, Shift>,
) -> Result<String, DrawingAreaErrorKind<DB::ErrorType>> {
    if area.estimate_text_size(label, style)?.0 <= max {
        return Ok(label.to_string());
    }
    let mut chars: Vec<char> = label.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let short: String = chars.iter().chain(['\u{2026}'].iter()).collect();
        if area.estimate_text_size(&short, style)?.0 <= max {
            return Ok(short);
        }
    }
    Ok("\u{2026}".into())
}

fn shares<DB: DrawingBackend>(s: &Shares, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    let label_width = share_label_width(s, area)?;
    let height = area.dim_in_pixel().1;
    let overhead: u32 = s.panels.iter().map(panel_overhead).sum();
    let rows: u32 = s.panels.iter().map(|p| p.rows.len().max(1) as u32).sum();
    let row_h = height.saturating_sub(overhead) / rows.max(1);
    let mut rest = area.clone();
    for (i, p) in s.panels.iter().enumerate() {
        let h = panel_overhead(p) + row_h * p.rows.len().max(1) as u32;
        let (mut panel, below) = if i + 1 == s.panels.len() {
            (rest.clone(), rest.clone())
        } else {
            rest.split_vertically(h)
        };
        if let Some(heading) = &p.heading {
            let (top, plot) = panel.split_vertically(PANEL_HEADING);
            let style = TextStyle::from((FAMILY, style::LABEL, FontStyle::Bold).into_font())
                .color(&style::TEXT)
                .pos(Pos::new(HPos::Left, VPos::Center));
            top.draw_text(heading, &style, (LEFT, PANEL_HEADING as i32 / 2 + 4))?;
            panel = plot;
        }
        share_panel(p, label_width, &panel)?;
        rest = below;
    }
    Ok(())
}

/// A count for a label: whole numbers as such, others to one decimal.
fn count_text(x: f64) -> String {
    if (x - x.round()).abs() < 0.05 || x.abs() >= 10.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

fn share_panel<DB: DrawingBackend>(
    p: &SharePanel,
    label_width: u32,
    area: &DrawingArea<DB, Shift>,
) -> DrawResult<DB> {
    let n = p.rows.len() as i32;
    let value_text = |r: &super::chart::ShareRow| {
        if p.percent {
            format!("{:.0}%  ({:.0}\u{2013}{:.0})", r.p50, r.p5, r.p95)
        } else {
            format!(
                "{}  ({}\u{2013}{})",
                count_text(r.p50),
                count_text(r.p5),
                count_text(r.p95)
            )
        }
    };
    let top = p.rows.iter().map(|r| r.p95.max(r.p50)).fold(0.0, f64::max);
    // Room right of the longest whisker for its value label.
    let value_style = text(style::TICK, &style::TEXT);
    let plot_w = f64::from(area.dim_in_pixel().0) - f64::from(label_width) - 38.0;
    let mut x_max: f64 = if p.percent {
        (top * 1.35 + 12.0).max(10.0)
    } else {
        (top * 1.1).max(5.0)
    };
    for r in &p.rows {
        let w = f64::from(area.estimate_text_size(&value_text(r), &value_style)?.0) + 18.0;
        if plot_w > w + 40.0 {
            x_max = x_max.max(r.p95.max(r.p50) * plot_w / (plot_w - w));
        }
    }
    let mut chart = framed(area)
        .y_label_area_size(label_width)
        // A segmented range a..b has a segment for each of a..=b.
        .build_cartesian_2d(0f64..x_max, (0..(n - 1).max(0)).into_segmented())?;
    let tick = text(style::TICK, &style::TEXT);
    let mut labels = Vec::with_capacity(p.rows.len());
    for r in &p.rows {
        labels.push(fit(&r.label, label_width - 16, &tick, area)?);
    }
    let row_label = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) => labels
            .get((n - 1 - i) as usize)
            .cloned()
            .unwrap_or_default(),
        _ => String::new(),
    };
    let x_label = |x: &f64| {
        if p.percent {
            // No tick past 100%: the axis only extends there to fit the labels.
            if *x <= 100.0 {
                format!("{x:.0}%")
            } else {
                String::new()
            }
        } else if (x - x.round()).abs() < 1e-9 {
            // People come whole.
            format!("{x:.0}")
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(p.rows.len().max(1))
        .x_labels(8)
        .y_label_formatter(&row_label)
        .x_label_formatter(&x_label)
        .x_desc(p.x_label.as_str())
        .label_style(tick.clone())
        .axis_desc_style(text(style::LABEL, &style::MUTED))
        .x_max_light_lines(0)
        // One, not none: plotters computes an integer axis's light lines even
        // with its mesh off, and none overflows its search (debug builds panic).
        .y_max_light_lines(1)
        .bold_line_style(style::GRID)
        .axis_style(style::AXIS)
        .draw()?;
    let margin = (chart.plotting_area().dim_in_pixel().1 / p.rows.len().max(1) as u32 / 4).min(9);
    for (i, r) in p.rows.iter().enumerate() {
        let y = n - 1 - i as i32;
        let mut bar = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(y)),
                (r.p50, SegmentValue::Exact(y + 1)),
            ],
            r.colour.filled(),
        );
        bar.set_margin(margin, margin, 0, 0);
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
        let style = value_style.pos(Pos::new(HPos::Left, VPos::Center));
        chart.draw_series(std::iter::once(
            EmptyElement::at((r.p95.max(r.p50), centre()))
                + Text::new(value_text(r), (10, 0), style.clone()),
        ))?;
    }
    if p.rows.is_empty() {
        let style = text(style::LABEL, &style::MUTED).pos(Pos::new(HPos::Center, VPos::Center));
        chart.draw_series(std::iter::once(Text::new(
            p.empty.clone(),
            (x_max / 2.0, SegmentValue::CenterOf(0)),
            style,
        )))?;
    }
    Ok(())
}
