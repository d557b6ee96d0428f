//! `text` steps: the X11 misc-fixed bitmap fonts of `embedded-graphics` (ISO 8859-5 glyph sets,
//! so Latin and Cyrillic), drawn opaque (no antialiasing) into the step's layer.
//!
//! `size` is the wanted glyph cell height in canvas pixels: the font whose height, times an integer
//! scale 1..=4, comes closest to `size` without exceeding it (at least the 4×6 font) is used.
//! Characters a font lacks are drawn as `?`. `\n` starts a new line. `font` names are accepted
//! for compatibility and ignored.

use embedded_graphics::mono_font::{iso_8859_5 as f, MonoFont, MonoTextStyle};
use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::*;
use embedded_graphics::text::{Baseline, Text as EgText};

use crate::color::Rgba;
use crate::raster::Surface;

static FONTS: [&MonoFont<'static>; 13] = [
    &f::FONT_4X6,
    &f::FONT_5X7,
    &f::FONT_5X8,
    &f::FONT_6X9,
    &f::FONT_6X10,
    &f::FONT_6X12,
    &f::FONT_6X13,
    &f::FONT_7X13,
    &f::FONT_7X14,
    &f::FONT_8X13,
    &f::FONT_9X15,
    &f::FONT_9X18,
    &f::FONT_10X20,
];

/// A bitmap font at an integer scale.
#[derive(Clone, Copy)]
pub(crate) struct ScaledFont {
    pub font: &'static MonoFont<'static>,
    pub scale: u32,
}

impl ScaledFont {
    /// Pixels one glyph cell covers (an upper bound on the work per character).
    pub fn glyph_area(&self) -> u64 {
        let s = self.font.character_size;
        (s.width as u64 * self.scale as u64) * (s.height as u64 * self.scale as u64)
    }

    /// Advance per character in canvas pixels.
    pub fn advance(&self) -> u32 {
        (self.font.character_size.width + self.font.character_spacing) * self.scale
    }
}

/// Picks the font for a `text.size` (see the module docs).
pub(crate) fn font_for_size(size: u32) -> ScaledFont {
    let mut best = ScaledFont { font: FONTS[0], scale: 1 };
    let mut best_h = 0;
    for scale in 1..=4u32 {
        for font in FONTS.iter() {
            let h = font.character_size.height * scale;
            // Strictly greater: ties keep the smaller scale (crisper glyphs).
            if h <= size && h > best_h {
                best = ScaledFont { font, scale };
                best_h = h;
            }
        }
    }
    best
}

/// Draws `value` with its top-left corner at (x, y).
pub(crate) fn draw_text(surface: &mut Surface, x: i32, y: i32, value: &str, size: u32, c: Rgba) {
    let sf = font_for_size(size);
    let mut target = ScaledTarget { surface, x, y, scale: sf.scale as i32, color: c };
    let style = MonoTextStyle::new(sf.font, BinaryColor::On);
    // Drawing into ScaledTarget cannot fail.
    let _ = EgText::with_baseline(value, Point::zero(), style, Baseline::Top).draw(&mut target);
}

/// Maps font pixels to `scale`×`scale` blocks on the surface, offset by (x, y).
struct ScaledTarget<'a> {
    surface: &'a mut Surface,
    x: i32,
    y: i32,
    scale: i32,
    color: Rgba,
}

impl OriginDimensions for ScaledTarget<'_> {
    fn size(&self) -> Size {
        // Unbounded: clipping happens in Surface::set.
        Size::new(u32::MAX / 2, u32::MAX / 2)
    }
}

impl DrawTarget for ScaledTarget<'_> {
    type Color = BinaryColor;
    type Error = core::convert::Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        for Pixel(p, c) in pixels {
            if c != BinaryColor::On {
                continue;
            }
            let bx = self.x as i64 + p.x as i64 * self.scale as i64;
            let by = self.y as i64 + p.y as i64 * self.scale as i64;
            for dy in 0..self.scale as i64 {
                for dx in 0..self.scale as i64 {
                    let (px, py) = (bx + dx, by + dy);
                    if px >= 0 && py >= 0 && px < self.surface.w as i64 && py < self.surface.h as i64 {
                        self.surface.set(px as i32, py as i32, self.color);
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_heights_follow_size() {
        assert_eq!(font_for_size(4).font.character_size.height, 6);
        assert_eq!(font_for_size(8).font.character_size.height, 8);
        assert_eq!(font_for_size(13).font.character_size.height, 13);
        let big = font_for_size(64);
        assert!(big.font.character_size.height * big.scale <= 64);
        assert!(big.font.character_size.height * big.scale >= 56);
    }
}
