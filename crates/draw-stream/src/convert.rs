//! The conversion seam: a painted image becomes a timed Canvas-DSL drawing (pixelize, then brush).

/// Turns an RGB image into a Canvas-DSL document (as JSON, the form the journal stores).
pub trait Converter: Send + Sync {
    /// Short name for logs.
    fn name(&self) -> &str;
    /// `rgb` is 8-bit RGB, row-major. Pure CPU work: callers run it on a blocking thread.
    fn convert(&self, rgb: &[u8], width: u32, height: u32) -> Result<Converted, String>;
}

/// A converted drawing and what the conversion measured.
#[derive(Debug, Clone)]
pub struct Converted {
    pub document_json: String,
    /// One-line quality report for the log (grid found, colours used, fit).
    pub quality: String,
}

/// How many colours a drawing gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colors {
    /// Exactly this many (fewer only when the picture has fewer).
    Fixed(usize),
    /// As many as the picture needs, by the quality knee, never more than the ceiling.
    Auto { ceiling: usize },
}

impl Colors {
    /// `12`, `auto` (ceiling 12) or `auto:16`.
    pub fn parse(text: &str) -> Result<Colors, String> {
        let t = text.trim().to_ascii_lowercase();
        let number = |s: &str| {
            s.parse::<usize>()
                .ok()
                .filter(|n| (2..=64).contains(n))
                .ok_or_else(|| format!("{text:?}: expected 2..=64, `auto` or `auto:N`"))
        };
        match t.strip_prefix("auto") {
            Some("") => Ok(Colors::Auto { ceiling: 12 }),
            Some(rest) => Ok(Colors::Auto { ceiling: number(rest.strip_prefix(':').unwrap_or("x"))? }),
            None => Ok(Colors::Fixed(number(&t)?)),
        }
    }
}

/// Pixelizes with a fixed palette size or the automatic one.
pub fn pixelize_with(
    rgb: &[u8],
    width: u32,
    height: u32,
    size: u32,
    colors: Colors,
) -> Result<pixelize::Pixelized, pixelize::PixelizeError> {
    match colors {
        Colors::Fixed(colors) => pixelize::pixelize(rgb, width, height, &pixelize::Options { size, colors }),
        Colors::Auto { ceiling } => {
            pixelize::pixelize_auto(rgb, width, height, &pixelize::Options { size, colors: ceiling })
        }
    }
}

/// Grid detection + palette clustering (`pixelize`), then artist-order strokes (`brush`).
pub struct PixelBrush {
    pub size: u32,
    pub colors: Colors,
    pub duration_ms: u64,
    pub caption: String,
}

impl Converter for PixelBrush {
    fn name(&self) -> &str {
        "pixelize+brush"
    }

    fn convert(&self, rgb: &[u8], width: u32, height: u32) -> Result<Converted, String> {
        let art = pixelize_with(rgb, width, height, self.size, self.colors).map_err(|e| format!("pixelize: {e}"))?;
        let quality = serde_json::to_string(&art.quality).unwrap_or_default();
        let doc =
            brush::plan(&art, &brush::BrushOptions { duration_ms: self.duration_ms, caption: self.caption.clone() });
        doc.validate().map_err(|e| format!("brush produced an invalid document: {e}"))?;
        Ok(Converted { document_json: doc.to_json(), quality })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors_are_a_number_or_auto_with_an_optional_ceiling() {
        assert_eq!(Colors::parse("12"), Ok(Colors::Fixed(12)));
        assert_eq!(Colors::parse("AUTO"), Ok(Colors::Auto { ceiling: 12 }));
        assert_eq!(Colors::parse("auto:16"), Ok(Colors::Auto { ceiling: 16 }));
        for bad in ["1", "65", "auto:", "auto16", "many"] {
            assert!(Colors::parse(bad).unwrap_err().contains("auto:N"), "{bad}");
        }
    }

    #[test]
    fn auto_gives_a_three_colour_picture_three_colours_where_fixed_is_asked_for_twelve() {
        // Three flat colours in 8-px cells, 96 cells wide.
        let (w, h) = (768u32, 768u32);
        let colours = [[200u8, 40, 40], [30, 30, 160], [240, 230, 200]];
        let rgb: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                let (x, y) = (i % w / 8, i / w / 8);
                colours[((x / 12 + y / 20) % 3) as usize]
            })
            .collect();
        let auto = pixelize_with(&rgb, w, h, 96, Colors::Auto { ceiling: 12 }).unwrap();
        assert_eq!(auto.palette.len(), 3);
        assert_eq!((auto.size, auto.quality.auto_colors.map(|a| a.chosen)), (96, Some(3)));
        let fixed = pixelize_with(&rgb, w, h, 96, Colors::Fixed(12)).unwrap();
        assert!(fixed.quality.auto_colors.is_none());
    }
}
