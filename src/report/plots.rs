//! The charts of a run, each written as PNG and SVG next to the CSVs and
//! shown inline in `report.html`. [`chart`] decides what each chart shows
//! from [`RunResults`]; `draw` puts it on a plotters backend, the same
//! code for both formats. Text uses the DejaVu Sans embedded from
//! `assets/fonts/`, so drawing needs no system fonts.

pub mod chart;
pub(crate) mod draw;
pub(crate) mod raster;
pub mod structure;
pub mod style;

use anyhow::Context;
use plotters::prelude::*;

use crate::report::output::Staging;
use crate::trials::RunResults;
pub use chart::{charts, Chart};

/// A drawn chart.
#[derive(Debug, Clone)]
pub struct Figure {
    pub chart: Chart,
    /// A standalone SVG document.
    pub svg: String,
    pub png: Vec<u8>,
}

/// Draws one chart as SVG and as PNG.
pub fn render(chart: Chart) -> anyhow::Result<Figure> {
    let svg = render_svg(&chart)?;
    let size = draw::size(&chart);
    let mut rgb = vec![255u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = raster::Canvas::new(&mut rgb, size)?.into_drawing_area();
        draw::draw(&chart, &root).with_context(|| format!("drawing {}.png", chart.stem))?;
        root.present()
            .with_context(|| format!("drawing {}.png", chart.stem))?;
    }
    let png = encode_png(&rgb, size).with_context(|| format!("encoding {}.png", chart.stem))?;
    Ok(Figure { chart, svg, png })
}

/// Draws one chart as an SVG document only (the planner's page shows
/// these; the run report and its files take [`render`]'s SVG, the same).
pub fn render_svg(chart: &Chart) -> anyhow::Result<String> {
    style::register_fonts()?;
    let size = draw::size(chart);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw::draw(chart, &root).with_context(|| format!("drawing {}.svg", chart.stem))?;
        root.present()
            .with_context(|| format!("drawing {}.svg", chart.stem))?;
    }
    Ok(svg)
}

/// Encodes an RGB buffer as PNG (also used by the decision charts).
pub(crate) fn encode_png(rgb: &[u8], (width, height): (u32, u32)) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, width, height);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    // Flat colours compress well even at the fast setting, which keeps
    // drawing a small part of a run.
    enc.set_compression(png::Compression::Fast);
    let mut w = enc.write_header()?;
    w.write_image_data(rgb)?;
    w.finish()?;
    Ok(out)
}

/// Draws every chart of the run.
pub fn render_all(r: &RunResults) -> anyhow::Result<Vec<Figure>> {
    charts(r).into_iter().map(render).collect()
}

/// Draws every chart and writes `<stem>.png` and `<stem>.svg` into the
/// staging directory; returns the figures for the HTML report.
pub fn write_all(r: &RunResults, staging: &Staging) -> anyhow::Result<Vec<Figure>> {
    let figures = render_all(r)?;
    for f in &figures {
        staging.write(&format!("{}.png", f.chart.stem), &f.png)?;
        staging.write(&format!("{}.svg", f.chart.stem), f.svg.as_bytes())?;
    }
    Ok(figures)
}

/// Small hand-made results for the report's unit tests: a session unit
/// "iop" (24 seats) with tracks "morning" and "evening.late", a bed unit
/// "inpatient" (10 beds) that had no referrals, referral streams
/// "step-down.v2" and "community", and a therapist role with 54 hours on
/// staff; 8 weeks, 20 trials.
/// A metric's summary over 20 trials around a median of `p50`, for tests.
#[cfg(test)]
fn test_summary(p50: f64) -> crate::stats::Summary {
    crate::stats::Summary {
        n: 20,
        mean: p50,
        sd: p50 * 0.1,
        ci95_low: p50 * 0.95,
        ci95_high: p50 * 1.05,
        p5: p50 * 0.8,
        p25: p50 * 0.9,
        p50,
        p75: p50 * 1.1,
        p95: p50 * 1.2,
    }
}

#[cfg(test)]
pub(crate) fn test_results() -> RunResults {
    use crate::stats::Summary;
    use crate::trials::{WaitHistogram, WAIT_BIN_DAYS, WAIT_MAX_DAYS};
    use chrono::NaiveDate;

    let s = test_summary;
    let nan = Summary::of(&[]);
    let weeks = 8usize;
    let flat = |v: f64| vec![s(v); weeks];
    let weekly: Vec<(&str, Vec<Summary>)> = vec![
        ("iop.census", flat(20.0)),
        (
            "iop.waitlist",
            (0..weeks).map(|w| s(2.0 + w as f64)).collect(),
        ),
        ("iop.admissions", flat(3.0)),
        ("iop.seat_utilization", flat(0.8)),
        ("iop.attendance_rate", flat(0.88)),
        ("inpatient.census", flat(0.0)),
        ("inpatient.waitlist", flat(0.0)),
        ("inpatient.admissions", flat(0.0)),
        (
            "staff.therapist.hours_per_week",
            (0..weeks).map(|w| s(50.0 + 2.0 * w as f64)).collect(),
        ),
    ];
    let summary: Vec<(&str, Summary)> = vec![
        ("iop.referrals", s(50.0)),
        ("iop.admissions", s(40.0)),
        ("iop.census", s(20.0)),
        ("iop.waitlist", s(5.0)),
        ("iop.wait_days", s(6.0)),
        ("iop.wait_days_p90", s(15.0)),
        ("iop.turned_away", s(2.0)),
        ("iop.no_shows", s(7.0)),
        ("iop.reneged", s(4.0)),
        ("iop.completed", s(20.0)),
        ("iop.dropped_out", s(10.0)),
        ("iop.admin_discharged", s(5.0)),
        ("iop.stepped_up", s(2.0)),
        ("iop.seat_utilization", s(0.8)),
        ("iop.attendance_rate", s(0.88)),
        ("iop.to.outpatient", s(14.0)),
        ("iop.to.php", s(2.0)),
        ("iop.to.home", s(21.0)),
        ("iop.stepped_up_to.php", s(2.0)),
        ("iop.morning.census", s(8.0)),
        ("iop.morning.waitlist", s(0.5)),
        ("iop.morning.admissions", s(18.0)),
        ("iop.morning.wait_days", s(2.0)),
        ("iop.morning.wait_days_p90", s(4.0)),
        ("iop.morning.reneged", s(1.0)),
        ("iop.morning.seat_utilization", s(0.7)),
        ("iop.evening.late.census", s(11.0)),
        ("iop.evening.late.waitlist", s(3.0)),
        ("iop.evening.late.admissions", s(22.0)),
        ("iop.evening.late.wait_days", s(9.0)),
        ("iop.evening.late.wait_days_p90", s(20.0)),
        ("iop.evening.late.reneged", s(3.0)),
        ("iop.evening.late.seat_utilization", s(0.95)),
        ("inpatient.referrals", s(0.0)),
        ("inpatient.census", s(0.0)),
        ("inpatient.wait_days", nan),
        ("inpatient.to.iop", s(0.0)),
        ("inpatient.to.home", s(0.0)),
        ("stream.step-down.v2.referrals", s(20.0)),
        ("stream.step-down.v2.admitted", s(17.0)),
        ("stream.step-down.v2.no_shows", s(2.0)),
        ("stream.step-down.v2.turned_away", s(0.0)),
        ("stream.step-down.v2.reneged", s(1.0)),
        ("stream.step-down.v2.wait_days", s(3.0)),
        ("stream.step-down.v2.wait_days_p90", s(7.5)),
        ("stream.community.referrals", s(30.0)),
        ("stream.community.admitted", s(23.0)),
        ("stream.community.no_shows", s(5.0)),
        ("stream.community.turned_away", s(2.0)),
        ("stream.community.reneged", s(3.0)),
        ("stream.community.wait_days", s(8.0)),
        ("stream.community.wait_days_p90", s(18.0)),
        ("staff.therapist.hours_per_week", s(57.0)),
        ("staff.therapist.fte_needed", s(1.9)),
        ("staff.therapist.short_weeks", s(0.3)),
    ];
    let bins = (WAIT_MAX_DAYS / WAIT_BIN_DAYS) as usize + 1;
    let mut counts = vec![0u64; bins];
    for (i, c) in [30u64, 25, 20, 15, 10, 8, 6, 4, 2, 1].iter().enumerate() {
        counts[i * 4] = *c;
    }
    // The tracks' waits: mornings mostly within days, evenings longer.
    let track_waits = [
        ("iop.morning", 2.0, 4.0, 0usize),
        ("iop.evening.late", 8.0, 19.0, 6),
    ]
    .map(|(unit, p50, p90, shift)| {
        let mut counts = vec![0u64; bins];
        for (i, c) in [40u64, 25, 15, 10, 6, 3, 1].iter().enumerate() {
            counts[i * 3 + shift] = *c;
        }
        WaitHistogram {
            unit: unit.into(),
            total: counts.iter().sum(),
            counts,
            p50,
            p90,
        }
    })
    .to_vec();
    RunResults {
        scenario_name: "tiny".into(),
        description: "A hand-made result for tests <with markup & quotes\">.".into(),
        overrides: Vec::new(),
        currency: Some("USD".into()),
        start_date: NaiveDate::from_ymd_opt(2027, 1, 4).expect("valid date"),
        weeks: weeks as u32,
        warmup_weeks: 4,
        trials: 20,
        seed: 7,
        version: "0.0.0-test",
        summary_names: summary.iter().map(|(n, _)| n.to_string()).collect(),
        summary: summary.iter().map(|(_, s)| *s).collect(),
        weekly_names: weekly.iter().map(|(n, _)| n.to_string()).collect(),
        weekly: weekly.into_iter().map(|(_, w)| w).collect(),
        waits: vec![
            WaitHistogram {
                unit: "iop".into(),
                total: counts.iter().sum(),
                counts,
                p50: 4.0,
                p90: 12.5,
            },
            WaitHistogram {
                unit: "inpatient".into(),
                counts: vec![0; bins],
                total: 0,
                p50: f64::NAN,
                p90: f64::NAN,
            },
        ],
        track_waits,
        intake_waits: Vec::new(),
        outcome_shares: vec![
            (
                "iop".into(),
                [0.4, 0.2, 0.1, 0.05, 0.08, 0.02, 0.15]
                    .iter()
                    .map(|&x| s(x))
                    .collect(),
            ),
            ("inpatient".into(), vec![nan; 7]),
        ],
        capacity: vec![("iop".into(), 24), ("inpatient".into(), 10)],
        staff_hours: vec![("therapist".into(), 54.0)],
        track_choice_units: Vec::new(),
        uncertain_inputs: Vec::new(),
        events: 1000,
        elapsed: std::time::Duration::from_millis(5),
    }
}

/// [`test_results`] with staff as a constraint: "iop" has an intake stage
/// (pooled waits and its metrics) and tracks that need facilitators
/// (12 sessions cancelled), and the therapist works shifts (81 h on duty,
/// 70% utilization) under a caseload cap of 21 (full 5% of the time).
#[cfg(test)]
pub(crate) fn test_results_staffed() -> RunResults {
    use crate::stats::Summary;
    use crate::trials::{WaitHistogram, WAIT_BIN_DAYS, WAIT_MAX_DAYS};

    let mut r = test_results();
    let s = test_summary;
    // Where the model writes them: a unit's after its tracks' figures, a
    // role's after its own three.
    let at = |r: &RunResults, after: &str| {
        r.summary_names
            .iter()
            .position(|n| n == after)
            .expect("metric present")
            + 1
    };
    let unit: [(&str, Summary); 6] = [
        ("iop.intake_wait_days", s(3.0)),
        ("iop.intake_wait_days_p90", s(6.0)),
        ("iop.intakes", s(60.0)),
        ("iop.intake_no_shows", s(15.0)),
        ("iop.intake_slots_used", s(0.75)),
        ("iop.sessions_cancelled", s(12.0)),
    ];
    let i = at(&r, "iop.evening.late.seat_utilization");
    for (k, (n, v)) in unit.into_iter().enumerate() {
        r.summary_names.insert(i + k, n.to_string());
        r.summary.insert(i + k, v);
    }
    let role: [(&str, Summary); 8] = [
        ("staff.therapist.hours_on_duty", s(81.0)),
        ("staff.therapist.utilization", s(0.7)),
        ("staff.therapist.sessions_cancelled", s(12.0)),
        ("staff.therapist.timetable_fte", s(0.6)),
        ("staff.therapist.caseload", s(18.0)),
        ("staff.therapist.caseload_cap", Summary::of(&[21.0])),
        ("staff.therapist.caseload_full", s(0.05)),
        ("staff.therapist.caseload_held_back", s(1.0)),
    ];
    let i = at(&r, "staff.therapist.short_weeks");
    for (k, (n, v)) in role.into_iter().enumerate() {
        r.summary_names.insert(i + k, n.to_string());
        r.summary.insert(i + k, v);
    }
    let bins = (WAIT_MAX_DAYS / WAIT_BIN_DAYS) as usize + 1;
    let mut counts = vec![0u64; bins];
    for (i, c) in [50u64, 30, 20, 12, 8, 5, 3, 2].iter().enumerate() {
        counts[i * 2] = *c;
    }
    r.intake_waits = vec![WaitHistogram {
        unit: "iop".into(),
        total: counts.iter().sum(),
        counts,
        p50: 1.5,
        p90: 5.5,
    }];
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(png_bytes: &[u8]) -> (png::OutputInfo, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes))
            .read_info()
            .expect("a valid PNG");
        let mut buf = vec![0; reader.output_buffer_size().expect("size fits")];
        let info = reader.next_frame(&mut buf).expect("one frame");
        buf.truncate(info.buffer_size());
        (info, buf)
    }

    #[test]
    fn pngs_have_text_in_the_title_area_from_the_embedded_font() {
        let figures = render_all(&test_results()).unwrap();
        assert_eq!(figures.len(), 11);
        for f in &figures {
            let (info, rgb) = decode(&f.png);
            assert_eq!((info.width, info.height), draw::size(&f.chart));
            assert_eq!(info.width, style::WIDTH);
            assert!(info.height >= style::HEIGHT);
            // The title sits in the top 40 px, starting at the left margin;
            // nothing else is drawn there, so dark pixels are its glyphs.
            let dark = (8..40)
                .flat_map(|y| (0..400).map(move |x| (y * style::WIDTH as usize + x) * 3))
                .filter(|&i| rgb[i] < 128 && rgb[i + 1] < 128 && rgb[i + 2] < 128)
                .count();
            assert!(
                dark > 300,
                "{}: only {dark} dark pixels in the title area",
                f.chart.stem
            );
            // Letters, not a solid block.
            assert!(
                dark < 32 * 400 / 2,
                "{}: title area is a block",
                f.chart.stem
            );
        }
    }

    #[test]
    fn svgs_are_standalone_documents_with_the_title_as_text() {
        for f in render_all(&test_results()).unwrap() {
            assert!(f.svg.starts_with("<svg"), "{}", f.chart.stem);
            assert!(f.svg.trim_end().ends_with("</svg>"));
            assert!(f.svg.contains(&f.chart.title), "{}", f.chart.stem);
            assert!(!f.svg.contains("NaN"), "{}", f.chart.stem);
        }
    }

    #[test]
    fn outcomes_with_destinations_are_taller_and_the_svg_matches_the_png() {
        let figures = render_all(&test_results()).unwrap();
        let f = figures
            .iter()
            .find(|f| f.chart.stem == "outcomes-iop")
            .unwrap();
        let (info, _) = decode(&f.png);
        // 7 outcome rows and 3 destinations keep the rows of a one-panel chart.
        assert!(info.height > style::HEIGHT + 100, "{}", info.height);
        assert!(
            f.svg.contains(&format!("height=\"{}\"", info.height)),
            "{}",
            &f.svg[..200]
        );
        assert!(f.svg.contains("Where those who left care went"));
        assert!(f.svg.contains("to outpatient"));
        // Charts of one panel keep the usual size.
        let f = figures
            .iter()
            .find(|f| f.chart.stem == "waits-iop")
            .unwrap();
        assert_eq!(decode(&f.png).0.height, style::HEIGHT);
    }

    #[test]
    fn a_legend_too_wide_for_one_line_wraps_and_keeps_every_entry() {
        let mut chart = chart::charts(&test_results())
            .into_iter()
            .find(|c| c.stem == "track-waits-iop")
            .unwrap();
        let many: Vec<chart::LegendItem> = (0..12)
            .map(|i| chart::LegendItem {
                label: format!("a rather long track name {i}"),
                swatch: chart::Swatch::Box(style::track_colour(i)),
            })
            .collect();
        chart.legend = many;
        let f = render(chart).unwrap();
        for i in 0..12 {
            assert!(f
                .svg
                .contains(&format!(">\na rather long track name {i}\n<")));
        }
        // The last entries sit on lines below the first: the header grew
        // instead of entries running off the right edge.
        let y_of = |label: &str| -> f64 {
            let end = f.svg.find(&format!(">\n{label}\n<")).unwrap();
            let start = f.svg[..end].rfind("<text").unwrap();
            let tag = &f.svg[start..end];
            let y = &tag[tag.find(" y=\"").unwrap() + 4..];
            y[..y.find('"').unwrap()].parse().unwrap()
        };
        let (first, last) = (
            y_of("a rather long track name 0"),
            y_of("a rather long track name 11"),
        );
        assert!(last > first + 50.0, "{first} {last}");
        for i in 0..12 {
            let x_end = f
                .svg
                .find(&format!(">\na rather long track name {i}\n<"))
                .unwrap();
            let start = f.svg[..x_end].rfind("<text").unwrap();
            let tag = &f.svg[start..x_end];
            let x = &tag[tag.find(" x=\"").unwrap() + 4..];
            let x: f64 = x[..x.find('"').unwrap()].parse().unwrap();
            assert!(
                x < f64::from(style::WIDTH) - 200.0,
                "entry {i} starts at {x}"
            );
        }
    }

    #[test]
    fn drawing_is_deterministic() {
        let a = render_all(&test_results()).unwrap();
        let b = render_all(&test_results()).unwrap();
        for (a, b) in a.iter().zip(&b) {
            assert_eq!(a.svg, b.svg);
            assert_eq!(a.png, b.png);
        }
    }

    #[test]
    fn write_all_writes_png_and_svg_per_chart() {
        let root = tempfile::tempdir().unwrap();
        let staging = Staging::new(root.path(), "tiny").unwrap();
        let figures = write_all(&test_results(), &staging).unwrap();
        let dir = staging.commit().unwrap();
        for f in &figures {
            for ext in ["png", "svg"] {
                let p = dir.join(format!("{}.{ext}", f.chart.stem));
                assert!(
                    std::fs::metadata(&p).unwrap().len() > 1000,
                    "{}",
                    p.display()
                );
            }
        }
    }
}
