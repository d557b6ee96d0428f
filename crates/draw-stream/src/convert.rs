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
        let doc = raster_strokes(&art, self.duration_ms, &self.caption);
        doc.validate().map_err(|e| format!("brush produced an invalid document: {e}"))?;
        Ok(Converted { document_json: doc.to_json(), quality })
    }
}

/// Interim stroke planner (until the `brush` crate lands): colour by colour, raster order,
/// chunks of 220 points, evenly timed to `duration_ms`.
pub fn raster_strokes(art: &pixelize::Pixelized, duration_ms: u64, caption: &str) -> canvas::Document {
    let hex = |c: [u8; 3]| format!("#{:02X}{:02X}{:02X}", c[0], c[1], c[2]);
    let mut counts = vec![0usize; art.palette.len()];
    for &i in &art.indices {
        counts[i as usize] += 1;
    }
    let bg = (0..counts.len()).max_by_key(|&i| counts[i]).unwrap_or(0);
    let mut order: Vec<usize> = (0..counts.len()).filter(|&i| i != bg && counts[i] > 0).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(counts[i]));
    let mut chunks: Vec<(usize, Vec<[i32; 2]>)> = Vec::new();
    for &c in &order {
        let pts: Vec<[i32; 2]> = art
            .indices
            .iter()
            .enumerate()
            .filter(|(_, &i)| i as usize == c)
            .map(|(p, _)| [(p as u32 % art.size) as i32, (p as u32 / art.size) as i32])
            .collect();
        for chunk in pts.chunks(220) {
            chunks.push((c, chunk.to_vec()));
        }
    }
    let per = (duration_ms / chunks.len().max(1) as u64).max(1) as u32;
    let steps = chunks
        .into_iter()
        .map(|(c, points)| {
            canvas::Step::Pixels(canvas::Pixels {
                points,
                color: hex(art.palette[c]),
                animate: Some(canvas::Animate {
                    mode: canvas::Mode::PixelReveal,
                    speed_px_per_s: None,
                    duration_ms: Some(per),
                    delay_ms: None,
                    ease: canvas::Ease::Linear,
                }),
            })
        })
        .collect::<Vec<_>>();
    let steps = if steps.is_empty() {
        vec![canvas::Step::Pixels(canvas::Pixels { points: vec![[0, 0]], color: hex(art.palette[bg]), animate: None })]
    } else {
        steps
    };
    canvas::Document {
        version: "1.0".into(),
        canvas: canvas::CanvasSpec { w: art.size, h: art.size, bg: hex(art.palette[bg]) },
        caption: caption.into(),
        palette: Some(art.palette.iter().map(|&c| hex(c)).collect()),
        seed: None,
        steps: Some(steps),
        render_text: None,
        duration_sec: None,
    }
}
