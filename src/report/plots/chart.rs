//! What each chart shows, decided from [`RunResults`] alone: which series,
//! bands, limits, labels and axis ranges. Nothing is drawn here, so these
//! choices are tested on small hand-made results.

pub use crate::report::format::{group_thousands, pct_text, trim_number};
use chrono::{Datelike, Days, NaiveDate};
use plotters::style::RGBColor;

use super::structure::{self, Track};
use super::style;
use crate::stats::Summary;
use crate::trials::{RunResults, WaitHistogram, OUTCOMES, WAIT_BIN_DAYS};

/// One figure: written as `<stem>.png` and `<stem>.svg`, shown in the report
/// under its unit's (or the staff) section.
#[derive(Debug, Clone)]
pub struct Chart {
    pub stem: String,
    /// Unit name, or "staff".
    pub section: String,
    pub title: String,
    /// Scenario, trial count and what the bands are.
    pub subtitle: String,
    /// One or two sentences for the report: how to read the figure.
    pub about: String,
    pub legend: Vec<LegendItem>,
    pub body: Body,
}

#[derive(Debug, Clone)]
pub enum Body {
    Weekly(Weekly),
    Histogram(Histogram),
    Shares(Shares),
}

#[derive(Debug, Clone)]
pub struct LegendItem {
    pub label: String,
    pub swatch: Swatch,
}

#[derive(Debug, Clone, Copy)]
pub enum Swatch {
    /// A median line over its bands.
    Band(RGBColor),
    Line(RGBColor),
    Dashed(RGBColor),
    Dot(RGBColor),
    Box(RGBColor),
    /// Text only.
    None,
}

/// Fan chart of weekly series over calendar weeks.
#[derive(Debug, Clone)]
pub struct Weekly {
    pub y_label: String,
    /// Values are percentages (0-100).
    pub percent: bool,
    pub bands: Vec<Band>,
    pub limits: Vec<Limit>,
    /// Labelled x positions (week index, label), e.g. the first week of each month.
    pub ticks: Vec<(i32, String)>,
    pub weeks: u32,
}

/// A weekly metric across trials: median line, P5-P95 band and optionally
/// the P25-P75 band.
#[derive(Debug, Clone)]
pub struct Band {
    pub colour: RGBColor,
    pub weeks: Vec<Summary>,
    pub quartiles: bool,
}

/// A horizontal dashed line the first band is read against.
#[derive(Debug, Clone)]
pub struct Limit {
    pub value: f64,
    /// Mark the weeks whose median exceeds the limit.
    pub flag_above: bool,
    pub colour: RGBColor,
}

#[derive(Debug, Clone)]
pub struct Histogram {
    pub x_label: String,
    pub y_label: String,
    /// One or more series on the same bins; several are drawn side by side
    /// within each bin, in order.
    pub series: Vec<BarSeries>,
    pub x_max: f64,
    /// Vertical lines, each labelled on its own row at the top.
    pub markers: Vec<Marker>,
    /// Drawn in the plot area when there is nothing to show.
    pub empty: Option<String>,
}

#[derive(Debug, Clone)]
pub struct BarSeries {
    pub colour: RGBColor,
    /// (from, to, percent of the series' values); every series of a
    /// histogram uses the same bins.
    pub bars: Vec<(f64, f64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub label: String,
    pub x: f64,
    pub colour: RGBColor,
    pub dashed: bool,
}

/// Panels of horizontal bars with P5-P95 whiskers, stacked top to bottom.
#[derive(Debug, Clone)]
pub struct Shares {
    pub panels: Vec<SharePanel>,
}

/// One row per category, first on top.
#[derive(Debug, Clone)]
pub struct SharePanel {
    /// Drawn above the panel (the first is named by the chart's title).
    pub heading: Option<String>,
    pub x_label: String,
    /// Values are percentages; otherwise counts of people.
    pub percent: bool,
    pub rows: Vec<ShareRow>,
    /// Drawn in the panel when it has no rows.
    pub empty: String,
}

#[derive(Debug, Clone)]
pub struct ShareRow {
    pub label: String,
    pub colour: RGBColor,
    /// Percent, or people in a panel of counts.
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
}

/// Every chart of a run, in report order: per unit census, waitlist, the
/// wait for an intake appointment (units with an intake stage), waits (and
/// waits by track), outcomes and sessions; then staff by role.
pub fn charts(r: &RunResults) -> Vec<Chart> {
    let mut out = Vec::new();
    let ticks = week_ticks(r.start_date, r.weeks);
    for (unit, capacity) in &r.capacity {
        if let Some(c) = census(r, unit, *capacity, &ticks) {
            out.push(c);
        }
        if let Some(c) = waitlist(r, unit, &ticks) {
            out.push(c);
        }
        if let Some(h) = structure::intake_waits(r, unit) {
            out.push(intake_waits(r, h));
        }
        if let Some(h) = r.waits.iter().find(|h| &h.unit == unit) {
            out.push(waits(r, h));
        }
        if let Some(c) = track_waits(r, unit) {
            out.push(c);
        }
        if let Some((_, shares)) = r.outcome_shares.iter().find(|(u, _)| u == unit) {
            out.push(outcomes(r, unit, shares));
        }
        if let Some(c) = sessions(r, unit, &ticks) {
            out.push(c);
        }
    }
    for (role, hours) in &r.staff_hours {
        if let Some(c) = staff(r, role, *hours, &ticks) {
            out.push(c);
        }
    }
    if let Some(c) = net_margin(r, &ticks) {
        out.push(c);
    }
    out
}

/// A name safe in a file name: letters, digits, '-' and '_' kept, others '_'.
pub fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn subtitle(r: &RunResults, what: &str) -> String {
    format!(
        "{} \u{b7} {} trials \u{b7} {what}",
        r.scenario_name, r.trials
    )
}

const FAN: &str = "median, P25\u{2013}P75, P5\u{2013}P95 over trials";
const FAN_90: &str = "median and P5\u{2013}P95 over trials";

fn fan_legend(label: &str, colour: RGBColor) -> LegendItem {
    LegendItem {
        label: label.to_string(),
        swatch: Swatch::Band(colour),
    }
}

fn census(r: &RunResults, unit: &str, capacity: u64, ticks: &[(i32, String)]) -> Option<Chart> {
    let weeks = r.weekly_of(&format!("{unit}.census"))?.to_vec();
    let places = if structure::is_session_unit(r, unit) {
        "seats"
    } else {
        "beds"
    };
    Some(Chart {
        stem: format!("census-{}", file_safe(unit)),
        section: unit.to_string(),
        title: format!("{unit}: patients in care, by week"),
        subtitle: subtitle(r, FAN),
        about: format!(
            "Average number of patients in care each week ({places} taken). The line is the median \
             trial; the dark band holds the middle half of trials, the light band nine in ten. \
             The dashed line is the capacity of {capacity} {places}."
        ),
        legend: vec![
            fan_legend("patients in care", style::CENSUS),
            LegendItem {
                label: format!("capacity ({capacity} {places})"),
                swatch: Swatch::Dashed(style::LIMIT),
            },
        ],
        body: Body::Weekly(Weekly {
            y_label: "patients in care".into(),
            percent: false,
            bands: vec![Band {
                colour: style::CENSUS,
                weeks,
                quartiles: true,
            }],
            limits: vec![Limit {
                value: capacity as f64,
                flag_above: false,
                colour: style::LIMIT,
            }],
            ticks: ticks.to_vec(),
            weeks: r.weeks,
        }),
    })
}

fn waitlist(r: &RunResults, unit: &str, ticks: &[(i32, String)]) -> Option<Chart> {
    let weeks = r.weekly_of(&format!("{unit}.waitlist"))?.to_vec();
    Some(Chart {
        stem: format!("waitlist-{}", file_safe(unit)),
        section: unit.to_string(),
        title: format!("{unit}: people on the waitlist, by week"),
        subtitle: subtitle(r, FAN),
        about: "Average number of people waiting for admission each week. A band that climbs \
                week after week means referrals arrive faster than places free up."
            .into(),
        legend: vec![fan_legend("people waiting", style::WAITLIST)],
        body: Body::Weekly(Weekly {
            y_label: "people waiting".into(),
            percent: false,
            bands: vec![Band {
                colour: style::WAITLIST,
                weeks,
                quartiles: true,
            }],
            limits: vec![],
            ticks: ticks.to_vec(),
            weeks: r.weeks,
        }),
    })
}

/// At most this many bars in a histogram of one series: neighbouring bins
/// are merged.
const MAX_BARS: usize = 60;
/// At most this many bars in a histogram of several series, all together
/// (and no more than [`MAX_BARS`] per series).
const MAX_GROUPED_BARS: usize = 120;
/// The x axis ends where this share of waits is shown.
const SHOWN_SHARE: f64 = 0.99;
/// Bins (of [`WAIT_BIN_DAYS`]) a bar may span: half a day, 1 or 2 days, then
/// half weeks and weeks.
const BAR_BINS: [usize; 11] = [1, 2, 4, 7, 14, 28, 56, 112, 224, 448, 896];

/// A wait histogram's legend: its median and P90 lines, and the waits
/// beyond the axis if any.
fn wait_legend(dropped: f64, x_max: f64) -> Vec<LegendItem> {
    let mut legend = vec![
        LegendItem {
            label: "median wait".into(),
            swatch: Swatch::Line(style::LIMIT),
        },
        LegendItem {
            label: "P90 of all trials pooled".into(),
            swatch: Swatch::Dashed(style::LIMIT),
        },
    ];
    legend.extend(beyond_axis(dropped, x_max));
    legend
}

fn waits(r: &RunResults, h: &WaitHistogram) -> Chart {
    let unit = &h.unit;
    let (hist, dropped) = wait_histogram(h);
    let legend = wait_legend(dropped, hist.x_max);
    Chart {
        stem: format!("waits-{}", file_safe(unit)),
        section: unit.clone(),
        title: format!("{unit}: wait from referral to admission"),
        subtitle: subtitle(
            r,
            &format!("{} admissions across all trials", group_thousands(h.total)),
        ),
        about: if h.total == 0 {
            "How long admitted patients waited from referral to their first day: no one was \
             admitted in the reported weeks of any trial."
                .into()
        } else {
            format!(
                "How long admitted patients waited from referral to their first day, all \
                 admissions of all trials pooled. Half waited less than {:.1} days (solid line); \
                 one in ten waited more than {:.1} days (dashed line: the pooled P90).{}",
                h.p50,
                h.p90,
                table_p90(r, &format!("{unit}.wait_days_p90"), h.p90)
            )
        },
        legend,
        body: Body::Histogram(hist),
    }
}

/// The waits for `h.unit`'s intake appointments, pooled over all trials.
fn intake_waits(r: &RunResults, h: &WaitHistogram) -> Chart {
    let unit = &h.unit;
    let (hist, dropped) = wait_histogram_to(h, TO_INTAKE, style::INTAKE_WAITS);
    let legend = wait_legend(dropped, hist.x_max);
    Chart {
        stem: format!("intake-waits-{}", file_safe(unit)),
        section: unit.clone(),
        title: format!("{unit}: wait from referral to the intake appointment"),
        subtitle: subtitle(
            r,
            &format!(
                "{} appointments across all trials",
                group_thousands(h.total)
            ),
        ),
        about: if h.total == 0 {
            "How long referrals waited for their intake appointment: no appointment fell in \
             the reported weeks of any trial."
                .into()
        } else {
            format!(
                "How long referrals waited from referral to their intake appointment, whether \
                 they came or not, all trials pooled. Half waited less than {:.1} days \
                 (solid line); one in ten waited more than {:.1} days (dashed line: the pooled \
                 P90).{} The longer the wait, the fewer come. Those who come go on to a seat or \
                 the waitlist; their wait to admission counts from the referral, so it includes \
                 this one.",
                h.p50,
                h.p90,
                table_p90(r, &format!("{unit}.intake_wait_days_p90"), h.p90)
            )
        },
        legend,
        body: Body::Histogram(hist),
    }
}

/// The legend's note on waits past the x axis, if any.
fn beyond_axis(dropped: f64, x_max: f64) -> Option<LegendItem> {
    (dropped > 0.0).then(|| LegendItem {
        label: format!("{} beyond {} days, not shown", pct_text(dropped), x_max),
        swatch: Swatch::None,
    })
}

/// The waits of each track of a unit with results per track, side by side
/// on one axis, each track's P90 marked; `None` for other units.
fn track_waits(r: &RunResults, unit: &str) -> Option<Chart> {
    let tracks = structure::tracks(r, unit);
    if tracks.is_empty() {
        return None;
    }
    let (mut hist, dropped) = grouped_wait_histogram(
        &tracks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.waits, style::track_colour(i)))
            .collect::<Vec<_>>(),
    );
    hist.y_label = "% of the track's admissions".into();
    for (i, t) in tracks.iter().enumerate() {
        if t.waits.p90.is_finite() {
            hist.markers.push(Marker {
                label: format!("{} P90 {:.1} d", t.name, t.waits.p90),
                x: t.waits.p90.min(hist.x_max),
                colour: style::darker(style::track_colour(i)),
                dashed: true,
            });
        }
    }
    let mut legend: Vec<LegendItem> = tracks
        .iter()
        .enumerate()
        .map(|(i, t)| LegendItem {
            label: t.name.to_string(),
            swatch: Swatch::Box(style::track_colour(i)),
        })
        .collect();
    legend.push(LegendItem {
        label: "P90 of each track, all trials pooled".into(),
        swatch: Swatch::Dashed(style::MUTED),
    });
    legend.extend(beyond_axis(dropped, hist.x_max));
    let total: u64 = tracks.iter().map(|t| t.waits.total).sum();
    Some(Chart {
        stem: format!("track-waits-{}", file_safe(unit)),
        section: unit.to_string(),
        title: format!("{unit}: wait from referral to admission, by track"),
        subtitle: subtitle(
            r,
            &format!(
                "{} admissions across all trials, each track's waits pooled",
                group_thousands(total)
            ),
        ),
        about: track_waits_about(&tracks),
        legend,
        body: Body::Histogram(hist),
    })
}

/// The caption's pointer from a pooled P90 to the table's figure (the median
/// trial's own P90, `metric`'s p50), which differs from it.
fn table_p90(r: &RunResults, metric: &str, pooled: f64) -> String {
    match r.summary_of(metric) {
        Some(s) if s.p50.is_finite() && pooled.is_finite() => format!(
            " The P90 wait in the table, {} days, is a different figure: the median trial's \
             own P90.",
            crate::report::format::num(s.p50)
        ),
        _ => String::new(),
    }
}

fn track_waits_about(tracks: &[Track]) -> String {
    let each: Vec<String> = tracks
        .iter()
        .map(|t| {
            if t.waits.total == 0 {
                format!("{}: no one was admitted", t.name)
            } else {
                format!(
                    "{}: half waited less than {:.1} days, one in ten more than {:.1} days",
                    t.name, t.waits.p50, t.waits.p90
                )
            }
        })
        .collect();
    format!(
        "The same waits as above, for each track apart: a patient waits for the track they \
         chose. Each track's bars are shares of that track's admissions, so the tracks compare \
         however many each admits. All admissions of all trials pooled: {}. The dashed lines \
         are these pooled P90s; the P90 wait in the table by track (and in the warnings) is the \
         median trial's own P90, a different figure.",
        each.join("; ")
    )
}

/// "a", "a and b", "a, b and c".
fn join_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// What the waits of a histogram end in, for its labels.
#[derive(Debug, Clone, Copy)]
pub struct WaitsTo {
    /// "days from referral to {to}"
    to: &'static str,
    /// "% of {each}", "no {each} in the reported weeks"
    each: &'static str,
}

/// Waits for a place: referral to admission.
pub const TO_ADMISSION: WaitsTo = WaitsTo {
    to: "admission",
    each: "admissions",
};

/// Waits for an intake appointment.
pub const TO_INTAKE: WaitsTo = WaitsTo {
    to: "the intake appointment",
    each: "appointments",
};

/// Bars for a wait histogram (percent of all admissions per bar), with
/// its median and P90 marked, and the percentage of waits beyond the x axis.
pub fn wait_histogram(h: &WaitHistogram) -> (Histogram, f64) {
    wait_histogram_to(h, TO_ADMISSION, style::WAITS)
}

/// [`wait_histogram`] of waits ending in `to`, in `colour`.
pub fn wait_histogram_to(h: &WaitHistogram, to: WaitsTo, colour: RGBColor) -> (Histogram, f64) {
    let (mut hist, dropped) = grouped_wait_histogram_to(&[(h, colour)], to);
    for (label, v, dashed) in [("median", h.p50, false), ("P90", h.p90, true)] {
        if v.is_finite() {
            hist.markers.push(Marker {
                label: format!("{label} {v:.1} d"),
                x: v.min(hist.x_max),
                colour: style::LIMIT,
                dashed,
            });
        }
    }
    (hist, dropped)
}

/// Bars for several wait histograms on one axis, each in percent of its
/// own total, and the percentage of all their waits beyond the x axis. No
/// markers.
pub fn grouped_wait_histogram(hs: &[(&WaitHistogram, RGBColor)]) -> (Histogram, f64) {
    grouped_wait_histogram_to(hs, TO_ADMISSION)
}

/// [`grouped_wait_histogram`] of waits ending in `to`.
pub fn grouped_wait_histogram_to(
    hs: &[(&WaitHistogram, RGBColor)],
    to: WaitsTo,
) -> (Histogram, f64) {
    let mut hist = Histogram {
        x_label: format!("days from referral to {}", to.to),
        y_label: format!("% of {}", to.each),
        series: Vec::new(),
        x_max: 7.0,
        markers: Vec::new(),
        empty: None,
    };
    let total: u64 = hs.iter().map(|(h, _)| h.total).sum();
    if total == 0 {
        hist.empty = Some(format!("no {} in the reported weeks", to.each));
        return (hist, 0.0);
    }
    // The last bin is open-ended, so it is never drawn as a bar.
    let bounded = hs
        .iter()
        .map(|(h, _)| h.counts.len().saturating_sub(1))
        .min()
        .unwrap_or(0);
    let mut shown_bins = 0;
    let mut p90 = 0.0f64;
    for (h, _) in hs.iter().filter(|(h, _)| h.total > 0) {
        let mut cum = 0u64;
        let mut bins = bounded;
        for (i, &c) in h.counts[..bounded].iter().enumerate() {
            cum += c;
            if cum as f64 >= SHOWN_SHARE * h.total as f64 {
                bins = i + 1;
                break;
            }
        }
        shown_bins = shown_bins.max(bins);
        if h.p90.is_finite() {
            p90 = p90.max(h.p90);
        }
    }
    let wanted_days = (shown_bins as f64 * WAIT_BIN_DAYS).max(p90 * 1.15).max(7.0);
    // Whole weeks read best on a wait axis.
    let x_max = ((wanted_days / 7.0).ceil() * 7.0).min(bounded as f64 * WAIT_BIN_DAYS);
    let bins = ((x_max / WAIT_BIN_DAYS).round() as usize).min(bounded);
    let max_bars = if hs.len() > 1 {
        (MAX_GROUPED_BARS / hs.len()).clamp(1, MAX_BARS)
    } else {
        MAX_BARS
    };
    let least = bins.div_ceil(max_bars).max(1);
    let merge = BAR_BINS.into_iter().find(|&m| m >= least).unwrap_or(least);
    let mut shown = 0u64;
    for (h, colour) in hs {
        let mut bars = Vec::new();
        for start in (0..bins).step_by(merge) {
            let end = (start + merge).min(bins);
            let count: u64 = h.counts[start..end].iter().sum();
            shown += count;
            if count > 0 {
                bars.push((
                    start as f64 * WAIT_BIN_DAYS,
                    end as f64 * WAIT_BIN_DAYS,
                    100.0 * count as f64 / h.total as f64,
                ));
            }
        }
        hist.series.push(BarSeries {
            colour: *colour,
            bars,
        });
    }
    hist.x_max = x_max;
    let bar_days = merge as f64 * WAIT_BIN_DAYS;
    hist.x_label = format!(
        "days from referral to {} (each bar: {})",
        to.to,
        if bar_days == 0.5 {
            "half a day".to_string()
        } else if bar_days == 1.0 {
            "1 day".to_string()
        } else {
            format!("{} days", trim_number(bar_days))
        }
    );
    let dropped = 100.0 * (total - shown) as f64 / total as f64;
    (hist, dropped)
}

fn outcomes(r: &RunResults, unit: &str, shares: &[Summary]) -> Chart {
    let session = structure::is_session_unit(r, unit);
    let possible = structure::unit_outcomes(r, unit);
    let rows = OUTCOMES
        .iter()
        .zip(shares)
        .filter(|(o, _)| possible.contains(o))
        .filter(|(_, s)| s.p50.is_finite())
        .map(|(o, s)| ShareRow {
            label: if !session && *o == "completed" {
                "discharged".to_string()
            } else {
                style::outcome_label(o).to_string()
            },
            colour: style::outcome_colour(o),
            p5: 100.0 * s.p5,
            p50: 100.0 * s.p50,
            p95: 100.0 * s.p95,
        })
        .collect();
    let mut panels = vec![SharePanel {
        heading: None,
        x_label: "% of referrals".into(),
        percent: true,
        rows,
        empty: "no referrals in the reported weeks".into(),
    }];
    let mut about = "Share of all referrals to the unit that ended each way during the reported \
                     weeks. The bar is the median trial, the whisker spans P5 to P95. Shares need \
                     not add up to 100%: some patients are still waiting or in care at the end."
        .to_string();
    if let Some(panel) = destinations_panel(r, unit) {
        about.push_str(&destinations_about(r, unit, session));
        panels.push(panel);
    }
    Chart {
        stem: format!("outcomes-{}", file_safe(unit)),
        section: unit.to_string(),
        title: format!("{unit}: what happened to referrals"),
        subtitle: subtitle(r, FAN_90),
        about,
        legend: vec![
            LegendItem {
                label: "median trial".into(),
                swatch: Swatch::Box(style::MUTED),
            },
            LegendItem {
                label: "P5\u{2013}P95".into(),
                swatch: Swatch::Line(style::TEXT),
            },
        ],
        body: Body::Shares(Shares { panels }),
    }
}

/// People who left the unit's care by where they went (`<unit>.to.*`).
fn destinations_panel(r: &RunResults, unit: &str) -> Option<SharePanel> {
    let dests = structure::destinations(r, unit);
    if dests.is_empty() {
        return None;
    }
    let rows = dests
        .iter()
        .filter_map(|(d, metric)| {
            let s = r.summary_of(metric).filter(|s| s.p50.is_finite())?;
            Some(ShareRow {
                label: format!("to {d}"),
                colour: if r.capacity.iter().any(|(u, _)| u == d) {
                    style::TRANSFER
                } else {
                    style::LEAVE
                },
                p5: s.p5,
                p50: s.p50,
                p95: s.p95,
            })
        })
        .collect();
    let who = if structure::is_session_unit(r, unit) {
        "those who left care"
    } else {
        "discharged patients"
    };
    Some(SharePanel {
        heading: Some(format!("Where {who} went")),
        x_label: format!("people over the {} reported weeks", r.weeks),
        percent: false,
        rows,
        empty: "no one left in the reported weeks".into(),
    })
}

fn destinations_about(r: &RunResults, unit: &str, session: bool) -> String {
    let units: Vec<String> = structure::destinations(r, unit)
        .iter()
        .filter(|(d, _)| r.capacity.iter().any(|(u, _)| u == d))
        .map(|(d, _)| d.to_string())
        .collect();
    let mut out = format!(
        " Below: how many people left {} in the reported weeks, by where they went (the median \
         trial, with P5\u{2013}P95).",
        if session { "care" } else { "their bed" }
    );
    if session {
        out.push_str(
            " Completers go where the unit's routing sends them (any it does not route go \
             home); \u{2018}home\u{2019} also counts dropouts and administrative discharges.",
        );
        if let Some(d) = structure::stepup_destination(r, unit) {
            out.push_str(&format!(" Step-ups go to {d}."));
        }
    }
    if !units.is_empty() {
        out.push_str(&format!(
            " Darker bars are units of this scenario ({}): those patients join their waitlist.",
            join_words(&units)
        ));
    }
    out
}

fn percent_weeks(s: &[Summary]) -> Vec<Summary> {
    s.iter().map(|s| s.scaled(100.0)).collect()
}

fn sessions(r: &RunResults, unit: &str, ticks: &[(i32, String)]) -> Option<Chart> {
    let util = r.weekly_of(&format!("{unit}.seat_utilization"))?;
    let attendance = r.weekly_of(&format!("{unit}.attendance_rate"))?;
    Some(Chart {
        stem: format!("sessions-{}", file_safe(unit)),
        section: unit.to_string(),
        title: format!("{unit}: seat utilization and attendance, by week"),
        subtitle: subtitle(r, FAN_90),
        about: "Seat utilization: enrolled patients as a share of the seats offered at the groups \
                held that week. Attendance: patients who came as a share of those expected. Low \
                utilization means empty chairs; low attendance means patients at risk of \
                administrative discharge."
            .into(),
        legend: vec![
            fan_legend("seat utilization", style::SEAT_UTILIZATION),
            fan_legend("attendance", style::ATTENDANCE),
        ],
        body: Body::Weekly(Weekly {
            y_label: "% of seats / of expected".into(),
            percent: true,
            bands: vec![
                Band {
                    colour: style::SEAT_UTILIZATION,
                    weeks: percent_weeks(util),
                    quartiles: false,
                },
                Band {
                    colour: style::ATTENDANCE,
                    weeks: percent_weeks(attendance),
                    quartiles: false,
                },
            ],
            limits: vec![],
            ticks: ticks.to_vec(),
            weeks: r.weeks,
        }),
    })
}

fn staff(r: &RunResults, role: &str, on_staff: f64, ticks: &[(i32, String)]) -> Option<Chart> {
    let weeks = r
        .weekly_of(&format!("staff.{role}.hours_per_week"))?
        .to_vec();
    let short = weeks.iter().filter(|s| s.p50 > on_staff).count();
    let mut legend = vec![
        fan_legend("hours needed", style::STAFF_HOURS),
        LegendItem {
            label: format!("hours on staff ({} h/week)", trim_number(on_staff)),
            swatch: Swatch::Dashed(style::LIMIT),
        },
    ];
    let mut limits = vec![Limit {
        value: on_staff,
        flag_above: true,
        colour: style::LIMIT,
    }];
    let mut about = format!(
        "Hours of {role} work the patients in care need each week (groups, individual \
         sessions, intakes and the rest of the workload table), against the {} hours per \
         week on staff (dashed). Red dots mark weeks in which the median trial needs more \
         than the team has.",
        trim_number(on_staff)
    );
    if let Some(on_duty) = hours_on_duty(r, role) {
        legend.push(LegendItem {
            label: format!("hours on duty ({} h/week)", trim_number(on_duty)),
            swatch: Swatch::Dashed(style::ON_DUTY),
        });
        limits.push(Limit {
            value: on_duty,
            flag_above: false,
            colour: style::ON_DUTY,
        });
        about.push_str(&format!(
            " The {role} role works shifts: the teal dashed line is the hours they are on duty in \
             an average week of the median trial, {} h (the shifts of positions filled, less \
             leave and holidays). Groups and intake appointments happen only when someone is \
             on duty; the rest of the work must fit in those hours too.",
            trim_number(on_duty)
        ));
    }
    if short > 0 {
        legend.push(LegendItem {
            label: format!("median over staff hours ({short} weeks)"),
            swatch: Swatch::Dot(style::ALERT),
        });
    }
    Some(Chart {
        stem: format!("staff-{}", file_safe(role)),
        section: "staff".into(),
        title: format!("{role}: hours of work needed per week"),
        subtitle: subtitle(r, FAN),
        about,
        legend,
        body: Body::Weekly(Weekly {
            y_label: "hours per week".into(),
            percent: false,
            bands: vec![Band {
                colour: style::STAFF_HOURS,
                weeks,
                quartiles: true,
            }],
            limits,
            ticks: ticks.to_vec(),
            weeks: r.weeks,
        }),
    })
}

/// A rostered role's hours on duty per week, the median trial's average.
fn hours_on_duty(r: &RunResults, role: &str) -> Option<f64> {
    if !structure::is_rostered(r, role) {
        return None;
    }
    r.summary_of(&format!("staff.{role}.hours_on_duty"))
        .map(|s| s.p50)
        .filter(|h| h.is_finite())
}

/// Weekly net margin (revenue collected minus cost) with its band, against
/// break-even; only for scenarios with a `[finance]` section.
fn net_margin(r: &RunResults, ticks: &[(i32, String)]) -> Option<Chart> {
    let weeks = r.weekly_of("finance.net_per_week")?.to_vec();
    let legend = vec![
        fan_legend("net margin", style::NET_MARGIN),
        LegendItem {
            label: "break-even".into(),
            swatch: Swatch::Dashed(style::LIMIT),
        },
    ];
    Some(Chart {
        stem: "finance-net".into(),
        section: "finance".into(),
        title: "Net margin per week".into(),
        subtitle: subtitle(r, FAN),
        about: "Revenue collected (attended session-days at the payer mix, intakes, individual \
                sessions, bed-days) minus cost (salaried staff, per-diem hours beyond staff, rooms, \
                overhead), week by week. Weeks with holidays bill fewer session-days while salaries \
                run on."
            .into(),
        legend,
        body: Body::Weekly(Weekly {
            y_label: match r.currency.as_deref() {
                Some(c) => format!("net per week ({c})"),
                None => "net per week".into(),
            },
            percent: false,
            bands: vec![Band {
                colour: style::NET_MARGIN,
                weeks,
                quartiles: true,
            }],
            limits: vec![Limit {
                value: 0.0,
                flag_above: false,
                colour: style::LIMIT,
            }],
            ticks: ticks.to_vec(),
            weeks: r.weeks,
        }),
    })
}

/// At most this many labels on a week axis.
const MAX_TICKS: usize = 13;

/// Labels for a week axis: the first week of every month (every second or
/// third month on long horizons) as "Jan 2027", "Feb", ...; on horizons of
/// a few weeks, every week as "4 Jan".
pub fn week_ticks(start: NaiveDate, weeks: u32) -> Vec<(i32, String)> {
    let date = |w: u32| start.checked_add_days(Days::new(7 * u64::from(w)));
    if weeks <= 10 {
        return (0..weeks)
            .filter_map(|w| date(w).map(|d| (w as i32, d.format("%-d %b").to_string())))
            .collect();
    }
    let firsts: Vec<(u32, NaiveDate)> = (0..weeks)
        .filter_map(|w| date(w).map(|d| (w, d)))
        .filter(|(_, d)| d.day() <= 7)
        .collect();
    // Every `step` months, aligned to the calendar (Jan, Apr, Jul, Oct for 3).
    let step = [1usize, 2, 3, 4, 6, 12, 24, 60]
        .into_iter()
        .find(|s| firsts.len().div_ceil(*s) <= MAX_TICKS)
        .unwrap_or(120);
    let mut out = Vec::new();
    let mut last_year = None;
    for (w, d) in firsts {
        let months = d.year() as i64 * 12 + i64::from(d.month0());
        if months.rem_euclid(step as i64) != 0 {
            continue;
        }
        let label = if last_year != Some(d.year()) {
            d.format("%b %Y").to_string()
        } else {
            d.format("%b").to_string()
        };
        last_year = Some(d.year());
        out.push((w as i32, label));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::plots::{test_results, test_results_staffed};

    fn chart(r: &RunResults, stem: &str) -> Chart {
        charts(r)
            .into_iter()
            .find(|c| c.stem == stem)
            .unwrap_or_else(|| panic!("no chart {stem}"))
    }

    fn panels(c: &Chart) -> &[SharePanel] {
        match &c.body {
            Body::Shares(s) => &s.panels,
            _ => panic!("{} is not a chart of shares", c.stem),
        }
    }

    fn labels(p: &SharePanel) -> Vec<&str> {
        p.rows.iter().map(|r| r.label.as_str()).collect()
    }

    /// test_results with referrals to the bed unit "inpatient": every
    /// outcome share finite, as the model writes them (zero where a bed
    /// cannot have them).
    fn with_bed_referrals() -> RunResults {
        let mut r = test_results();
        let shares = [0.7, 0.0, 0.0, 0.0, 0.1, 0.05, 0.15].map(|x| Summary::of(&[x]));
        r.outcome_shares[1].1 = shares.to_vec();
        let i = r
            .summary_names
            .iter()
            .position(|n| n == "inpatient.to.iop")
            .unwrap();
        r.summary[i] = Summary::of(&[6.0, 7.0, 8.0]);
        r
    }

    #[test]
    fn net_margin_chart_only_with_finance_and_reads_against_break_even() {
        let mut r = test_results();
        assert!(charts(&r).iter().all(|c| c.section != "finance"));
        let weeks = r.weekly[0].len();
        let net: Vec<crate::stats::Summary> = (0..weeks)
            .map(|w| crate::stats::Summary::of(&[w as f64 * 100.0 - 300.0, -50.0, 400.0]))
            .collect();
        r.weekly_names.push("finance.net_per_week".into());
        r.weekly.push(net);
        let c = charts(&r)
            .into_iter()
            .find(|c| c.section == "finance")
            .expect("finance chart");
        assert_eq!(c.stem, "finance-net");
        let Body::Weekly(w) = &c.body else {
            panic!("weekly chart")
        };
        assert_eq!(w.limits.len(), 1);
        assert_eq!(w.limits[0].value, 0.0);
        assert!(
            w.bands[0].weeks.iter().any(|s| s.p5 < 0.0),
            "negative weeks are kept"
        );
        // It draws (negative values need a y axis below zero).
        crate::report::plots::render(c).expect("draws");
    }

    #[test]
    fn every_unit_and_role_gets_its_charts_in_report_order() {
        let r = test_results();
        let stems: Vec<_> = charts(&r).into_iter().map(|c| c.stem).collect();
        assert_eq!(
            stems,
            [
                "census-iop",
                "waitlist-iop",
                "waits-iop",
                "track-waits-iop",
                "outcomes-iop",
                "sessions-iop",
                "census-inpatient",
                "waitlist-inpatient",
                "waits-inpatient",
                "outcomes-inpatient",
                "staff-therapist",
            ]
        );
    }

    #[test]
    fn intake_waits_only_for_a_unit_with_an_intake_between_its_waitlist_and_waits() {
        let plain = test_results();
        assert!(charts(&plain)
            .iter()
            .all(|c| !c.stem.starts_with("intake-waits")));
        let r = test_results_staffed();
        let stems: Vec<String> = charts(&r).into_iter().map(|c| c.stem).collect();
        let pos = |stem: &str| stems.iter().position(|s| s == stem).unwrap();
        assert_eq!(pos("intake-waits-iop"), pos("waitlist-iop") + 1);
        assert_eq!(pos("waits-iop"), pos("intake-waits-iop") + 1);
        assert_eq!(stems.len(), charts(&plain).len() + 1);
        let c = chart(&r, "intake-waits-iop");
        assert_eq!(c.section, "iop");
        assert_eq!(c.title, "iop: wait from referral to the intake appointment");
        assert!(
            c.subtitle.ends_with("130 appointments across all trials"),
            "{}",
            c.subtitle
        );
        assert!(
            c.about.contains(
                "Half waited less than 1.5 days (solid line); one in ten waited more than 5.5 days"
            ),
            "{}",
            c.about
        );
        let Body::Histogram(h) = &c.body else {
            panic!("a histogram")
        };
        assert!(
            h.x_label
                .starts_with("days from referral to the intake appointment (each bar: "),
            "{}",
            h.x_label
        );
        assert_eq!(h.y_label, "% of appointments");
        assert_eq!(h.series.len(), 1);
        assert_eq!(h.series[0].colour, style::INTAKE_WAITS);
        let total: f64 = h.series[0].bars.iter().map(|b| b.2).sum();
        assert!((total - 100.0).abs() < 1e-9, "{total}");
        let marks: Vec<(&str, f64)> = h.markers.iter().map(|m| (m.label.as_str(), m.x)).collect();
        assert_eq!(marks, [("median 1.5 d", 1.5), ("P90 5.5 d", 5.5)]);
        // The admission waits keep their own labels.
        let Body::Histogram(w) = &chart(&r, "waits-iop").body else {
            panic!("a histogram")
        };
        assert!(w.x_label.starts_with("days from referral to admission"));
        assert_eq!(w.y_label, "% of admissions");
        let f = crate::report::plots::render(c).expect("draws");
        assert!(f
            .svg
            .contains("wait from referral to the intake appointment"));
        // No appointment at all: a note instead of bars.
        let mut none = r.intake_waits[0].clone();
        none.counts.iter_mut().for_each(|c| *c = 0);
        none.total = 0;
        let (hist, _) = wait_histogram_to(&none, TO_INTAKE, style::INTAKE_WAITS);
        assert_eq!(
            hist.empty.as_deref(),
            Some("no appointments in the reported weeks")
        );
    }

    #[test]
    fn a_rostered_role_reads_its_hours_against_its_hours_on_duty_too() {
        let plain = chart(&test_results(), "staff-therapist");
        let Body::Weekly(w) = &plain.body else {
            panic!("weekly")
        };
        assert_eq!(w.limits.len(), 1);
        assert!(!plain.about.contains("on duty"));
        let c = chart(&test_results_staffed(), "staff-therapist");
        let Body::Weekly(w) = &c.body else {
            panic!("weekly")
        };
        assert_eq!(w.limits.len(), 2);
        assert_eq!(w.limits[0].value, 54.0);
        assert!(w.limits[0].flag_above);
        assert_eq!(w.limits[0].colour, style::LIMIT);
        assert_eq!(w.limits[1].value, 81.0);
        assert!(!w.limits[1].flag_above);
        assert_eq!(w.limits[1].colour, style::ON_DUTY);
        let legend: Vec<&str> = c.legend.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(
            legend[..3],
            [
                "hours needed",
                "hours on staff (54 h/week)",
                "hours on duty (81 h/week)"
            ]
        );
        assert!(
            c.about
                .contains("an average week of the median trial, 81 h"),
            "{}",
            c.about
        );
        crate::report::plots::render(c).expect("draws");
    }

    #[test]
    fn titles_name_the_scenario_and_trial_count() {
        for c in charts(&test_results()) {
            assert!(
                c.subtitle.starts_with("tiny \u{b7} 20 trials"),
                "{}",
                c.subtitle
            );
        }
    }

    #[test]
    fn session_charts_are_in_percent_and_census_has_its_capacity() {
        let r = test_results();
        let Body::Weekly(w) = &chart(&r, "sessions-iop").body else {
            panic!("sessions chart is weekly")
        };
        assert!(w.percent);
        assert_eq!(w.bands[0].weeks[0].p50, 80.0);
        let census = chart(&r, "census-iop");
        let Body::Weekly(w) = &census.body else {
            panic!("census chart is weekly")
        };
        assert_eq!(w.limits[0].value, 24.0);
        assert!(census.about.contains("24 seats"));
        assert!(chart(&r, "census-inpatient").about.contains("10 beds"));
    }

    #[test]
    fn staff_chart_counts_weeks_over_the_staff_hours() {
        let cs = charts(&test_results());
        let staff = cs.last().unwrap();
        // test_results: median hours 50 + 2 per week against 54 on staff: weeks 3..=7.
        assert!(staff
            .legend
            .iter()
            .any(|l| l.label == "median over staff hours (5 weeks)"));
    }

    #[test]
    fn outcome_rows_follow_outcomes_and_skip_missing_shares() {
        let r = test_results();
        let c = chart(&r, "outcomes-iop");
        let p = &panels(&c)[0];
        assert!(p.percent);
        assert_eq!(p.rows.len(), OUTCOMES.len());
        assert_eq!(p.rows[0].label, "completed");
        assert_eq!(p.rows[0].p50, 40.0);
        let c = chart(&r, "outcomes-inpatient");
        assert!(
            panels(&c)[0].rows.is_empty(),
            "the inpatient unit had no referrals"
        );
    }

    #[test]
    fn outcomes_show_where_leavers_went_in_people() {
        let r = test_results();
        let c = chart(&r, "outcomes-iop");
        let p = &panels(&c)[1];
        assert!(!p.percent);
        assert_eq!(p.heading.as_deref(), Some("Where those who left care went"));
        assert_eq!(labels(p), ["to outpatient", "to php", "to home"]);
        // People, not percentages: the median trial's count and its range.
        let r0 = &p.rows[0];
        assert_eq!(r0.p50, 14.0);
        assert!((r0.p5 - 11.2).abs() < 1e-9 && (r0.p95 - 16.8).abs() < 1e-9);
        assert!(p.x_label.contains("8 reported weeks"), "{}", p.x_label);
        assert!(c.about.contains("Step-ups go to php."), "{}", c.about);
        // A unit without destinations in its results keeps one panel.
        let mut r = test_results();
        r.summary_names.retain(|n| !n.starts_with("iop.to."));
        assert_eq!(panels(&chart(&r, "outcomes-iop")).len(), 1);
    }

    #[test]
    fn bed_outcomes_leave_out_what_cannot_happen_to_a_bed() {
        let r = with_bed_referrals();
        let c = chart(&r, "outcomes-inpatient");
        let [outcomes, dests] = panels(&c) else {
            panic!("two panels")
        };
        assert_eq!(
            labels(outcomes),
            [
                "discharged",
                "gave up waiting",
                "turned away",
                "no-show at intake"
            ]
        );
        assert_eq!(outcomes.rows[0].p50, 70.0);
        assert_eq!(
            dests.heading.as_deref(),
            Some("Where discharged patients went")
        );
        assert_eq!(labels(dests), ["to iop", "to home"]);
        // Going on to a unit of the scenario is told apart from leaving it.
        assert_eq!(dests.rows[0].colour, style::TRANSFER);
        assert_eq!(dests.rows[1].colour, style::LEAVE);
        assert_eq!(dests.rows[0].p50, 7.0);
        assert!(
            c.about.contains("units of this scenario (iop)"),
            "{}",
            c.about
        );
        // The session unit keeps all of them.
        assert_eq!(panels(&chart(&r, "outcomes-iop"))[0].rows.len(), 7);
        // Both draw, the two-panel chart taller than a single one.
        let figure = crate::report::plots::render(c).expect("draws");
        assert!(figure.svg.contains("Where discharged patients went"));
        assert!(figure.svg.contains("discharged"));
        assert!(!figure.svg.contains("dropped out"));
    }

    #[test]
    fn tracks_waits_side_by_side_on_shared_bins_with_each_p90() {
        let r = test_results();
        assert!(charts(&r).iter().all(|c| c.stem != "track-waits-inpatient"));
        let c = chart(&r, "track-waits-iop");
        assert_eq!(c.section, "iop");
        assert!(c.title.contains("by track"), "{}", c.title);
        let Body::Histogram(h) = &c.body else {
            panic!("a histogram")
        };
        assert_eq!(h.series.len(), 2);
        assert_eq!(h.series[0].colour, style::track_colour(0));
        assert_ne!(h.series[0].colour, h.series[1].colour);
        // Every series on the same bins: each bar's edges are whole multiples
        // of one width; each series in percent of its own admissions.
        let width = h.series[0].bars[0].1 - h.series[0].bars[0].0;
        for s in &h.series {
            for &(lo, hi, _) in &s.bars {
                assert_eq!(hi - lo, width);
                assert_eq!((lo / width).fract(), 0.0);
            }
            let total: f64 = s.bars.iter().map(|b| b.2).sum();
            assert!((total - 100.0).abs() < 1e-9, "{total}");
        }
        // The evening waits sit to the right of the morning ones.
        let first = |i: usize| h.series[i].bars[0].0;
        assert!(first(1) > first(0));
        // Each track's pooled P90 marked, named, in its colour.
        assert_eq!(
            h.markers,
            [
                Marker {
                    label: "morning P90 4.0 d".into(),
                    x: 4.0,
                    colour: style::darker(style::track_colour(0)),
                    dashed: true,
                },
                Marker {
                    label: "evening.late P90 19.0 d".into(),
                    x: 19.0,
                    colour: style::darker(style::track_colour(1)),
                    dashed: true,
                },
            ]
        );
        assert!(h.x_max >= 19.0 * 1.15);
        assert_eq!(h.y_label, "% of the track's admissions");
        let legend: Vec<&str> = c.legend.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(legend[..2], ["morning", "evening.late"]);
        // The caption says which P90 the lines are.
        assert!(
            c.about.contains("All admissions of all trials pooled")
                && c.about
                    .contains("the median trial's own P90, a different figure"),
            "{}",
            c.about
        );
        assert!(
            c.about.contains(
                "evening.late: half waited less than 8.0 days, one in ten more than 19.0 days."
            ),
            "{}",
            c.about
        );
        assert!(
            c.subtitle.contains("200 admissions across all trials"),
            "{}",
            c.subtitle
        );
    }

    #[test]
    fn grouped_histograms_keep_bars_few_and_whole() {
        let wide = |unit: &str| WaitHistogram {
            unit: unit.into(),
            counts: vec![1; 731],
            total: 731,
            p50: 180.0,
            p90: 330.0,
        };
        let (a, b, c) = (wide("a"), wide("b"), wide("c"));
        let hs = [(&a, style::WAITS), (&b, style::WAITS), (&c, style::WAITS)];
        let (hist, _) = grouped_wait_histogram(&hs);
        let bars: usize = hist.series.iter().map(|s| s.bars.len()).sum();
        assert!(bars <= MAX_GROUPED_BARS, "{bars}");
        let width = hist.series[0].bars[0].1 - hist.series[0].bars[0].0;
        assert!(
            BAR_BINS.contains(&((width / WAIT_BIN_DAYS) as usize)),
            "{width}"
        );
        assert!(hist.markers.is_empty());
        // No admissions at all: a note instead of bars.
        let none = WaitHistogram {
            counts: vec![0; 731],
            total: 0,
            ..wide("d")
        };
        let (hist, dropped) = grouped_wait_histogram(&[(&none, style::WAITS)]);
        assert!(hist.empty.is_some());
        assert_eq!(dropped, 0.0);
    }

    #[test]
    fn wait_histogram_trims_the_tail_and_merges_bins() {
        let mut counts = vec![0u64; 731];
        counts[0] = 500; // [0, 0.5)
        counts[20] = 400; // [10, 10.5)
        counts[600] = 1; // [300, 300.5): beyond the 99% cut
        let h = WaitHistogram {
            unit: "iop".into(),
            counts,
            total: 901,
            p50: 0.4,
            p90: 10.2,
        };
        let (hist, dropped) = wait_histogram(&h);
        assert_eq!(hist.x_max, 14.0);
        assert_eq!(hist.series.len(), 1);
        assert_eq!(hist.series[0].bars.len(), 2);
        assert_eq!(hist.series[0].bars[0], (0.0, 0.5, 100.0 * 500.0 / 901.0));
        assert!((dropped - 100.0 / 901.0).abs() < 1e-9);
        assert_eq!(hist.markers[0].label, "median 0.4 d");
        assert!(!hist.markers[0].dashed);
        assert_eq!(
            hist.markers[1],
            Marker {
                label: "P90 10.2 d".to_string(),
                x: 10.2,
                colour: style::LIMIT,
                dashed: true
            }
        );

        let mut wide = h.clone();
        wide.counts = vec![1; 731];
        wide.total = 731;
        let (hist, _) = wait_histogram(&wide);
        assert!(hist.series[0].bars.len() <= MAX_BARS);
        assert_eq!(hist.x_max, 364.0);

        let empty = WaitHistogram {
            counts: vec![0; 731],
            total: 0,
            p50: f64::NAN,
            p90: f64::NAN,
            ..h
        };
        assert!(wait_histogram(&empty).0.empty.is_some());
    }

    #[test]
    fn week_ticks_label_month_starts_and_the_year_once() {
        let start = NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
        let t = week_ticks(start, 52);
        assert_eq!(t[0], (0, "Jan 2027".to_string()));
        assert_eq!(t[1], (4, "Feb".to_string()));
        assert_eq!(t.len(), 12);
        assert!(t.iter().skip(1).all(|(_, l)| !l.contains("2027")));
        let long = week_ticks(start, 260);
        assert!(long.len() <= MAX_TICKS);
        assert!(long.iter().any(|(_, l)| l == "Jan 2028"));
        // A start mid-month is not labelled; short horizons label every week.
        let mid = week_ticks(NaiveDate::from_ymd_opt(2027, 1, 18).unwrap(), 20);
        assert_eq!(mid[0], (2, "Feb 2027".to_string()));
        assert_eq!(week_ticks(start, 3)[2], (2, "18 Jan".to_string()));
    }

    #[test]
    fn small_formatters() {
        assert_eq!(group_thousands(1234567), "1,234,567");
        assert_eq!(group_thousands(12), "12");
        assert_eq!(pct_text(0.05), "<0.1%");
        assert_eq!(pct_text(2.345), "2.3%");
        assert_eq!(trim_number(54.0), "54");
        assert_eq!(file_safe("group room/1"), "group_room_1");
    }
}
