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

/// Grid detection + palette clustering (`pixelize`), then artist-order strokes (`brush`).
pub struct PixelBrush {
    pub size: u32,
    pub colors: usize,
    pub duration_ms: u64,
    pub caption: String,
}

impl Converter for PixelBrush {
    fn name(&self) -> &str {
        "pixelize+brush"
    }

    fn convert(&self, rgb: &[u8], width: u32, height: u32) -> Result<Converted, String> {
        let opts = pixelize::Options { size: self.size, colors: self.colors };
        let art = pixelize::pixelize(rgb, width, height, &opts).map_err(|e| format!("pixelize: {e}"))?;
        let quality = serde_json::to_string(&art.quality).unwrap_or_default();
        let doc =
            brush::plan(&art, &brush::BrushOptions { duration_ms: self.duration_ms, caption: self.caption.clone() });
        doc.validate().map_err(|e| format!("brush produced an invalid document: {e}"))?;
        Ok(Converted { document_json: doc.to_json(), quality })
    }
}
