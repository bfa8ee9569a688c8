//! The PNG canvas: plotters' bitmap backend, with text drawn by ab_glyph
//! from the embedded font. plotters' own ab_glyph text drawing ignores each
//! glyph's side bearing (letters jostle: "pati ents", "2 4") and sets text
//! higher than a browser would; this canvas lays text out the way the SVG
//! backend asks a browser to, so the PNG and the SVG of a chart agree.

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use plotters::backend::BitMapBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontStyle,
};

use super::style;

type Error = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

/// One em of a plotters text size, as the SVG backend writes `font-size`.
const EM_PER_SIZE: f64 = 1.0 / 1.24;
/// Where the baseline sits below a top anchor (the SVG backend's `dy`).
const TOP_BASELINE_EM: f32 = 0.76;
/// Half an x-height of DejaVu Sans (0.55 em): the SVG backend's `dy` of
/// 0.5ex for centred text.
const HALF_EX_EM: f32 = 0.275;

pub struct Canvas<'a> {
    inner: BitMapBackend<'a>,
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

impl<'a> Canvas<'a> {
    /// A canvas over an RGB buffer of `size.0 * size.1 * 3` bytes.
    pub fn new(rgb: &'a mut [u8], size: (u32, u32)) -> anyhow::Result<Canvas<'a>> {
        let font = |bytes: &'static [u8]| {
            FontRef::try_from_slice(bytes)
                .map_err(|e| anyhow::anyhow!("the embedded font cannot be read: {e}"))
        };
        Ok(Canvas {
            inner: BitMapBackend::with_buffer(rgb, size),
            regular: font(style::REGULAR)?,
            bold: font(style::BOLD)?,
        })
    }
}

impl DrawingBackend for Canvas<'_> {
    type ErrorType = Error;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Error>> {
        let colour = style.color();
        if colour.alpha == 0.0 {
            return Ok(());
        }
        let font = match style.style() {
            FontStyle::Bold => &self.bold,
            _ => &self.regular,
        };
        let em = (style.size() * EM_PER_SIZE) as f32;
        let units_per_em = font.units_per_em().unwrap_or(2048.0);
        let scale = PxScale::from(em * font.height_unscaled() / units_per_em);
        let scaled = font.as_scaled(scale);

        // Lay the glyphs out on a baseline from x = 0, with kerning.
        let mut glyphs = Vec::with_capacity(text.len());
        let mut caret = 0.0f32;
        let mut prev = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                caret += scaled.kern(p, id);
            }
            glyphs.push((id, caret));
            caret += scaled.h_advance(id);
            prev = Some(id);
        }
        let anchor = style.anchor();
        let x0 = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Center => -caret / 2.0,
            HPos::Right => -caret,
        };
        let baseline = em
            * match anchor.v_pos {
                VPos::Top => TOP_BASELINE_EM,
                VPos::Center => HALF_EX_EM,
                VPos::Bottom => -HALF_EX_EM,
            };

        // Offsets are relative to the anchor, then rotated about it.
        let trans = style.transform();
        let inner = &mut self.inner;
        let mut result = Ok(());
        for (id, x) in glyphs {
            let glyph = id.with_scale_and_position(scale, point(x0 + x, baseline));
            let Some(outline) = font.outline_glyph(glyph) else {
                continue; // spaces
            };
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                if result.is_err() || coverage <= 0.0 {
                    return;
                }
                let (dx, dy) = trans.transform(
                    bounds.min.x as i32 + gx as i32,
                    bounds.min.y as i32 + gy as i32,
                );
                let c = BackendColor {
                    alpha: colour.alpha * f64::from(coverage.min(1.0)),
                    rgb: colour.rgb,
                };
                result = inner.draw_pixel((pos.0 + dx, pos.1 + dy), c);
            });
            if result.is_err() {
                break;
            }
        }
        result
    }
}
