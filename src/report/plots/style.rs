//! The look shared by every chart: the embedded font, text sizes and one
//! colour per metric, so a metric has the same colour wherever it appears.

use std::sync::OnceLock;

use plotters::style::{register_font, FontStyle, RGBColor};

/// The family name every text style uses. The font behind it is registered
/// from the bytes below, so drawing never asks the system for fonts; SVG
/// output names the generic family and the browser supplies its own.
pub const FAMILY: &str = "sans-serif";

pub(super) static REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
pub(super) static BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// Registers the embedded DejaVu Sans with plotters, once per process.
pub fn register_fonts() -> anyhow::Result<()> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        register_font(FAMILY, FontStyle::Normal, REGULAR)
            .map_err(|_| "the embedded regular font is not a valid TrueType font".to_string())?;
        register_font(FAMILY, FontStyle::Bold, BOLD)
            .map_err(|_| "the embedded bold font is not a valid TrueType font".to_string())
    })
    .clone()
    .map_err(anyhow::Error::msg)
}

/// Figure size in pixels, for PNG and SVG alike.
pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 480;

/// Text sizes in pixels (plotters' size; SVG text comes out at size / 1.24).
pub const TITLE: f64 = 24.0;
pub const SUBTITLE: f64 = 17.0;
pub const LABEL: f64 = 17.0;
pub const TICK: f64 = 16.0;

pub const TEXT: RGBColor = RGBColor(33, 37, 41);
pub const MUTED: RGBColor = RGBColor(95, 99, 104);
pub const GRID: RGBColor = RGBColor(232, 234, 237);
pub const GRID_BOLD: RGBColor = RGBColor(210, 213, 218);
pub const AXIS: RGBColor = RGBColor(150, 153, 158);
/// Limits the team or the unit cannot exceed: capacity, hours on staff.
pub const LIMIT: RGBColor = RGBColor(40, 40, 40);
/// Weeks in which the median exceeds a limit.
pub const ALERT: RGBColor = RGBColor(214, 39, 40);

// One colour per metric (Tableau 10, darkened where a thin line must show).
pub const CENSUS: RGBColor = RGBColor(78, 121, 167);
pub const WAITLIST: RGBColor = RGBColor(242, 142, 43);
pub const WAITS: RGBColor = RGBColor(176, 122, 161);
pub const SEAT_UTILIZATION: RGBColor = RGBColor(89, 161, 79);
pub const ATTENDANCE: RGBColor = RGBColor(156, 117, 95);
pub const STAFF_HOURS: RGBColor = RGBColor(73, 152, 148);
pub const NET_MARGIN: RGBColor = RGBColor(106, 61, 154);
/// Waits for an intake appointment.
pub const INTAKE_WAITS: RGBColor = RGBColor(232, 129, 150);
/// Hours a rostered role is on duty (a line against its hours needed).
pub const ON_DUTY: RGBColor = RGBColor(38, 110, 106);

/// Leavers who go on to another unit of the scenario, and those who leave
/// it (an exit label or home), in the outcome chart's second panel.
pub const TRANSFER: RGBColor = RGBColor(78, 121, 167);
pub const LEAVE: RGBColor = RGBColor(160, 190, 214);

/// One colour per track of a unit, in the unit's track order (Tableau 10,
/// starting with the pair that tells apart best).
const TRACKS: [RGBColor; 8] = [
    RGBColor(78, 121, 167),
    RGBColor(242, 142, 43),
    RGBColor(89, 161, 79),
    RGBColor(225, 87, 89),
    RGBColor(118, 183, 178),
    RGBColor(176, 122, 161),
    RGBColor(156, 117, 95),
    RGBColor(237, 201, 72),
];

/// The colour of the `i`-th track of a unit (repeating after eight).
pub fn track_colour(i: usize) -> RGBColor {
    TRACKS[i % TRACKS.len()]
}

/// A darker shade, for thin lines and text in a colour made for areas.
pub fn darker(c: RGBColor) -> RGBColor {
    let d = |x: u8| (f64::from(x) * 0.72).round() as u8;
    RGBColor(d(c.0), d(c.1), d(c.2))
}

/// Colour of each outcome of [`crate::trials::OUTCOMES`], by name.
pub fn outcome_colour(outcome: &str) -> RGBColor {
    match outcome {
        "completed" => RGBColor(89, 161, 79),
        "dropped_out" => RGBColor(242, 142, 43),
        "admin_discharged" => RGBColor(225, 87, 89),
        "stepped_up" => RGBColor(176, 122, 161),
        "reneged" => RGBColor(237, 201, 72),
        "turned_away" => RGBColor(156, 117, 95),
        _ => RGBColor(186, 176, 172),
    }
}

/// Words a director would use for each outcome.
pub fn outcome_label(outcome: &str) -> &'static str {
    match outcome {
        "completed" => "completed",
        "dropped_out" => "dropped out",
        "admin_discharged" => "admin. discharge",
        "stepped_up" => "stepped up",
        "reneged" => "gave up waiting",
        "turned_away" => "turned away",
        "no_shows" => "no-show at intake",
        _ => "other",
    }
}
