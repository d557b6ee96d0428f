//! # pixelize — pseudo pixel art to true pixel art
//!
//! `nerijs/pixel-art-xl` paints 768×768 images made of roughly 8×8-pixel cells, but the cells are
//! blurred at their edges, drift slightly off a regular grid, carry shading and noise, and use
//! thousands of near-duplicate colours. [`pixelize`] turns such an image into exactly
//! `size × size` cells (96 by default) indexed into a palette of at most `colors` entries (12 by
//! default), and reports how well that went ([`Quality`]) so that the pipeline can log it and fall
//! back when no grid was found. [`pixelize_auto`] (`--colors auto`) chooses the palette size per
//! picture, with `colors` as the ceiling.
//!
//! ## Layout
//! * `grid` measures, per axis, the cell pitch and phase from gradient-profile impulses (a
//!   Rayleigh-scored comb), then snaps every line to the local edges band by band and smooths the
//!   offsets, so that wobble and slight pitch drift are followed while the count stays exactly `size`.
//! * `cells` takes one colour per cell: the per-channel median of the cell's interior (the blurred
//!   rim is dropped).
//! * `palette` clusters the cell colours in Oklab (mode-seeking leaders, then agglomerative merging),
//!   divides out the smooth shading field that `shading` measures across the clusters, snaps each
//!   entry to a colour that really occurs, and guards 1-px details in its speckle filter.
//! * `quantize` is the palette of rich pictures (variance splitting, Lloyd, salient colours kept),
//!   and measures the error curve of the splitting that `colors: auto` and the flat/rich choice use.
//! * [`synth`] is the ground truth used by the tests and the bench: a generator of 96×96 pictures, a
//!   corruption model that imitates pixel-art-xl output, a scorer, and the original service's method.
//!
//! ## Input handling
//! * The input is 8-bit RGB, row-major, without padding. Greyscale or alpha images are converted by
//!   the caller (grey → R=G=B; alpha → composite over the background, or drop it).
//! * A non-square image is centre-cropped to a square of its shorter side ([`Quality::crop`] says
//!   which part was used).
//! * The shorter side must be at least `size` pixels ([`PixelizeError::TooSmall`]), and the image at
//!   most [`MAX_PIXELS`] pixels ([`PixelizeError::TooLarge`]).
//! * When no grid is found the image is divided into `size` equal cells per axis and the result is
//!   flagged ([`Quality::grid_found`] is false, [`Quality::grid`] says which fallback was used).
//!
//! ## Example
//! ```
//! use pixelize::{pixelize, Options};
//! // A 768×768 picture made of 8×8 cells: left half red, right half blue.
//! let mut rgb = Vec::new();
//! for _y in 0..768 {
//!     for x in 0..768 {
//!         rgb.extend_from_slice(if x < 384 { &[200, 40, 40] } else { &[30, 60, 200] });
//!     }
//! }
//! let art = pixelize(&rgb, 768, 768, &Options::default()).unwrap();
//! assert_eq!(art.indices.len(), 96 * 96);
//! assert_eq!(art.palette.len(), 2);
//! assert_eq!(art.to_rgb().len(), 96 * 96 * 3);
//! ```

mod cells;
pub mod color;
mod grid;
mod palette;
mod quantize;
mod shading;
pub mod synth;

use grid::{GridKind, Rgb};
use serde::Serialize;

/// Largest accepted image, in pixels (8192×8192). Larger inputs are refused rather than risking
/// memory and time; SDXL output is 768×768.
pub const MAX_PIXELS: u64 = 8192 * 8192;
/// Largest output size (cells per side).
pub const MAX_SIZE: u32 = 1024;

/// What to produce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Cells per side of the output (PIXEL_OUTPUT_SIZE, 96).
    pub size: u32,
    /// Largest palette size (PIXEL_PALETTE_COLORS, 12); 1..=256.
    pub colors: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { size: 96, colors: 12 }
    }
}

/// True pixel art: `size × size` cells, each an index into `palette`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pixelized {
    /// Cells per side.
    pub size: u32,
    /// The colours used, most frequent first (so `palette[0]` is the usual background); at most
    /// `Options::colors` entries, every entry used at least once.
    pub palette: Vec<[u8; 3]>,
    /// `size * size` palette indices, row-major.
    pub indices: Vec<u8>,
    /// How well the grid and palette fit the input.
    pub quality: Quality,
}

impl Pixelized {
    /// The picture as 8-bit RGB, `size * size * 3` bytes, row-major.
    pub fn to_rgb(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.indices.len() * 3);
        for &i in &self.indices {
            out.extend_from_slice(&self.palette[i as usize]);
        }
        out
    }

    /// Wrap an already indexed picture (for example a 96×96 PNG that is already true pixel art),
    /// checking that `indices` has `size * size` entries that all point into `palette` (at most
    /// 256 entries). The quality report says `grid: "given"`.
    pub fn from_indexed(size: u32, palette: Vec<[u8; 3]>, indices: Vec<u8>) -> Result<Pixelized, PixelizeError> {
        if size == 0 || size > MAX_SIZE {
            return Err(PixelizeError::BadSize(size));
        }
        if palette.is_empty() || palette.len() > 256 {
            return Err(PixelizeError::BadColors(palette.len()));
        }
        let expected = size as u64 * size as u64;
        if indices.len() as u64 != expected {
            return Err(PixelizeError::IndexCount { expected, got: indices.len() });
        }
        if let Some(&bad) = indices.iter().find(|&&i| i as usize >= palette.len()) {
            return Err(PixelizeError::IndexOutOfPalette { index: bad, palette: palette.len() });
        }
        let mut used = vec![false; palette.len()];
        indices.iter().for_each(|&i| used[i as usize] = true);
        let quality = Quality {
            grid_found: true,
            grid: "given",
            pitch_x: 1.0,
            pitch_y: 1.0,
            phase_x: 0.0,
            phase_y: 0.0,
            grid_score_x: 0.0,
            grid_score_y: 0.0,
            edge_contrast: 0.0,
            cell_fit_mean: 0.0,
            cell_fit_p95: 0.0,
            colors_used: used.iter().filter(|u| **u).count(),
            speckles_cleaned: 0,
            details_kept: count_isolated(&indices, size as usize),
            crop: [0, 0, size, size],
            auto_colors: None,
        };
        Ok(Pixelized { size, palette, indices, quality })
    }

    /// The colour of cell (x, y). Panics when x or y is not below `size` (like slice indexing).
    pub fn color_at(&self, x: u32, y: u32) -> [u8; 3] {
        self.palette[self.indices[(y * self.size + x) as usize] as usize]
    }
}

/// Per-image quality report, for logs, metrics and the fallback decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Quality {
    /// True when a regular cell grid was measured on both axes. False means the output came from a
    /// fallback ([`Quality::grid`]) and may look soft: the pipeline may re-roll or show it anyway.
    pub grid_found: bool,
    /// How the grid was obtained: "measured" (both axes), "plain" (no cell grid of the nominal
    /// pitch on at least one axis — a picture drawn at another cell size, or none: that axis is
    /// divided equally and every cell is sampled whole), or "given"
    /// ([`Pixelized::from_indexed`]: the picture was already indexed).
    pub grid: &'static str,
    /// Measured cell width in pixels (≈ 8 for 768 → 96); far from 8 means the model drew another
    /// grid or none.
    pub pitch_x: f32,
    /// Measured cell height in pixels.
    pub pitch_y: f32,
    /// Position of the left edge of cell 0 in pixels (may be negative: cell 0 is cut).
    pub phase_x: f32,
    /// Position of the top edge of cell 0 in pixels.
    pub phase_y: f32,
    /// Rayleigh statistic of the comb fit on x; below 8 the axis counts as gridless (typical
    /// pixel-art-xl-like input scores 50–250).
    pub grid_score_x: f32,
    /// Rayleigh statistic of the comb fit on y.
    pub grid_score_y: f32,
    /// Mean gradient on the fitted cell edges over the mean gradient mid-cell (> 1.5: the lines
    /// sit on real edges; ≈ 1: no grid).
    pub edge_contrast: f32,
    /// Mean CIE76 ΔE between a cell's measured colour and its palette colour: how much the palette
    /// flattened (≈ 1–3 for pixel-art-xl-like input).
    pub cell_fit_mean: f32,
    /// 95th percentile of the same; large values mean colours the palette could not hold.
    pub cell_fit_p95: f32,
    /// Palette entries actually used.
    pub colors_used: usize,
    /// Isolated cells merged into their neighbourhood by the detail-guarded speckle filter.
    pub speckles_cleaned: usize,
    /// Isolated cells kept (differ from all 8 neighbours): stars, eyes, highlights.
    pub details_kept: usize,
    /// The square region of the input that was used: x, y, width, height.
    pub crop: [u32; 4],
    /// How [`pixelize_auto`] chose the palette size; `None` from [`pixelize`] (the size is then
    /// `Options::colors`, or fewer for flat-colour art).
    pub auto_colors: Option<AutoColors>,
}

/// The palette size chosen by [`pixelize_auto`], with the measurements behind it. The errors are
/// those of the cells' own colours split into `k` clusters by variance splitting (before the
/// palette is polished), so they are estimates; [`Quality::cell_fit_mean`] is the final palette's.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AutoColors {
    /// The largest palette allowed (`Options::colors`).
    pub ceiling: usize,
    /// The palette size the picture got: `knee` for a rich picture, the colours the flat-colour
    /// palette found for flat-colour art.
    pub chosen: usize,
    /// The smallest size within the margins of the ceiling on the error curve.
    pub knee: usize,
    /// The picture was flat-colour art: the mode-seeking palette chose its colours, not the knee.
    pub flat: bool,
    /// Mean CIE ΔE76 between the cells and `knee` colours.
    pub error_knee: f32,
    /// Mean CIE ΔE76 between the cells and `ceiling` colours.
    pub error_ceiling: f32,
    /// Share of the cells farther than ΔE 10 from their colour with `knee` colours.
    pub far_knee: f32,
    /// The same with `ceiling` colours.
    pub far_ceiling: f32,
}

/// Why an image could not be pixelized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PixelizeError {
    /// The buffer does not hold width × height × 3 bytes.
    #[error("RGB buffer holds {got} bytes but {width}x{height} RGB needs {expected}; pass 8-bit RGB without alpha or padding")]
    BufferSize { width: u32, height: u32, expected: u64, got: usize },
    /// Width or height is zero.
    #[error("image is empty ({width}x{height})")]
    Empty { width: u32, height: u32 },
    /// The shorter side has fewer pixels than the output has cells.
    #[error("image {width}x{height} is too small for {size}x{size} cells: the shorter side needs at least {size} pixels (768x768 expected)")]
    TooSmall { width: u32, height: u32, size: u32 },
    /// More than [`MAX_PIXELS`] pixels.
    #[error("image {width}x{height} is too large: at most {max} pixels are accepted (768x768 expected)")]
    TooLarge { width: u32, height: u32, max: u64 },
    /// `Options::size` is 0 or above [`MAX_SIZE`].
    #[error("output size {0} is out of range: use 1..={MAX_SIZE} cells per side")]
    BadSize(u32),
    /// `Options::colors` (or a given palette's length) is 0 or above 256.
    #[error("palette size {0} is out of range: use 1..=256 colours")]
    BadColors(usize),
    /// [`Pixelized::from_indexed`]: the index buffer is not size × size.
    #[error("{got} palette indices given but the picture needs {expected} (size x size)")]
    IndexCount { expected: u64, got: usize },
    /// [`Pixelized::from_indexed`]: an index points past the palette.
    #[error("palette index {index} is out of range for a palette of {palette} colours")]
    IndexOutOfPalette { index: u8, palette: usize },
}

/// Guard for [`palette::despeckle`] (Oklab ×100): isolated cells nearer than this to their
/// neighbours' colour are shading splits, not details.
const SPECKLE_GUARD: f32 = 4.0;

/// Turn pseudo pixel art into `opts.size × opts.size` cells with at most `opts.colors` colours.
///
/// `rgb` is 8-bit RGB, row-major, `width * height * 3` bytes. See the crate docs for non-square,
/// small and large inputs. Deterministic: the same input gives the same output.
pub fn pixelize(rgb: &[u8], width: u32, height: u32, opts: &Options) -> Result<Pixelized, PixelizeError> {
    run(rgb, width, height, opts, false)
}

/// `colors: auto`: like [`pixelize`], but the palette size is chosen per picture, never above
/// `opts.colors` (the ceiling, `PIXEL_PALETTE_COLORS`).
///
/// For every size `k` from 1 to the ceiling the cells' colours are split into `k` clusters (the
/// variance splitting of the rich palette) and the mean CIE ΔE76 between each cell and its
/// cluster is measured, with the share of cells farther than ΔE 10 (cells that would show as
/// another colour). A rich picture (a render with gradients and soft shading, which [`pixelize`]
/// gives the whole budget) gets the smallest `k` whose mean is within ΔE 1 of the ceiling's and
/// whose share of far cells is within 0.2 % of the ceiling's. Flat-colour art keeps what
/// [`pixelize`] gives it: the mode-seeking palette already takes only the colours the picture has,
/// and keeps a colour that a few cells (stars, eyes) have, which the curve would trade away.
/// A gradient sky gets fewer bands where they add little; a detailed render keeps its twelve.
/// [`Quality::auto_colors`] says what was chosen and why.
pub fn pixelize_auto(rgb: &[u8], width: u32, height: u32, opts: &Options) -> Result<Pixelized, PixelizeError> {
    run(rgb, width, height, opts, true)
}

/// [`pixelize`], with the palette size chosen by [`pixelize_auto`]'s rule when `auto`.
fn run(rgb: &[u8], width: u32, height: u32, opts: &Options, auto: bool) -> Result<Pixelized, PixelizeError> {
    if opts.size == 0 || opts.size > MAX_SIZE {
        return Err(PixelizeError::BadSize(opts.size));
    }
    if opts.colors == 0 || opts.colors > 256 {
        return Err(PixelizeError::BadColors(opts.colors));
    }
    if width == 0 || height == 0 {
        return Err(PixelizeError::Empty { width, height });
    }
    let pixels = width as u64 * height as u64;
    if pixels > MAX_PIXELS {
        return Err(PixelizeError::TooLarge { width, height, max: MAX_PIXELS });
    }
    let expected = pixels * 3;
    if rgb.len() as u64 != expected {
        return Err(PixelizeError::BufferSize { width, height, expected, got: rgb.len() });
    }
    let size = opts.size;
    if width.min(height) < size {
        return Err(PixelizeError::TooSmall { width, height, size });
    }

    // Centre-crop to a square.
    let side = width.min(height);
    let (cx, cy) = ((width - side) / 2, (height - side) / 2);
    let cropped;
    let data: &[u8] = if side == width && side == height {
        rgb
    } else {
        let mut v = Vec::with_capacity(side as usize * side as usize * 3);
        for y in cy..cy + side {
            let s = ((y * width + cx) * 3) as usize;
            v.extend_from_slice(&rgb[s..s + side as usize * 3]);
        }
        cropped = v;
        &cropped
    };
    let img = Rgb { data, w: side as usize, h: side as usize };
    let n = size as usize;

    // Grid.
    let bands = (n / 4).clamp(1, (side as usize / 16).max(1));
    let prof = grid::profiles(img, bands, bands);
    let gx = grid::fit_axis(&prof.col, prof.bands_y, img.w, img.h, n);
    let gy = grid::fit_axis(&prof.row, prof.bands_x, img.h, img.w, n);
    let contrast = {
        let cx = grid::edge_contrast(&prof.col, &gx, img.w);
        let cy = grid::edge_contrast(&prof.row, &gy, img.h);
        (cx + cy) / 2.0
    };

    // Cells and palette.
    let cells = cells::cell_colors(img, &gx, &gy, n);
    let lab: Vec<[f32; 3]> = cells.iter().map(|c| color::palette_space(*c)).collect();
    let cell_cielab: Vec<[f32; 3]> = cells.iter().map(|c| color::cielab(*c)).collect();
    let curve = auto.then(|| quantize::error_curve(&cells, &cell_cielab, opts.colors));
    let palette::Built { palette, mut indices, corrected, flat } =
        palette::build(&cells, &lab, &cell_cielab, n, opts.colors, curve.as_ref());
    let auto_colors = curve.map(|curve| {
        let errors = &curve.errors;
        let knee = quantize::knee(errors);
        let ((error_knee, far_knee), (error_ceiling, far_ceiling)) = (errors[knee - 1], errors[opts.colors - 1]);
        let chosen = if flat { palette.len() } else { knee };
        AutoColors { ceiling: opts.colors, chosen, knee, flat, error_knee, error_ceiling, far_knee, far_ceiling }
    });
    let speckles = palette::despeckle(&mut indices, n, &corrected, &palette, SPECKLE_GUARD);
    // The filter may take the last cell of a colour (a tiny picture: 3×3 cells of noise): every
    // entry stays used, and the palette stays ordered by use.
    let (palette, indices) = palette::by_use_of(&palette, &indices);

    // Quality.
    let pal_cielab: Vec<[f32; 3]> = palette.iter().map(|c| color::cielab(*c)).collect();
    let mut fits: Vec<f32> =
        cell_cielab.iter().zip(&indices).map(|(c, &i)| color::dist2(*c, pal_cielab[i as usize]).sqrt()).collect();
    let fit_mean = fits.iter().sum::<f32>() / fits.len() as f32;
    let p95_at = ((fits.len() as f32 * 0.95) as usize).min(fits.len() - 1);
    let fit_p95 = *fits.select_nth_unstable_by(p95_at, |a, b| a.total_cmp(b)).1;
    let mut used = vec![false; palette.len()];
    indices.iter().for_each(|&i| used[i as usize] = true);
    let kind = match (gx.kind, gy.kind) {
        (GridKind::Measured, GridKind::Measured) => "measured",
        _ => "plain",
    };
    let details = count_isolated(&indices, n);
    let quality = Quality {
        grid_found: kind == "measured",
        grid: kind,
        pitch_x: gx.pitch,
        pitch_y: gy.pitch,
        phase_x: gx.start,
        phase_y: gy.start,
        grid_score_x: gx.score,
        grid_score_y: gy.score,
        edge_contrast: contrast,
        cell_fit_mean: fit_mean,
        cell_fit_p95: fit_p95,
        colors_used: used.iter().filter(|u| **u).count(),
        speckles_cleaned: speckles,
        details_kept: details,
        crop: [cx, cy, side, side],
        auto_colors,
    };
    Ok(Pixelized { size, palette, indices, quality })
}

/// Cells that differ from all their (in-bounds) 8 neighbours.
fn count_isolated(idx: &[u8], n: usize) -> usize {
    let mut count = 0;
    for y in 0..n {
        for x in 0..n {
            let me = idx[y * n + x];
            let mut any = false;
            let mut alone = true;
            for dy in -1i32..=1 {
                for dx in -1i32..=1 {
                    let (nx, ny) = (x as i32 + dx, y as i32 + dy);
                    if (dx, dy) == (0, 0) || nx < 0 || ny < 0 || nx >= n as i32 || ny >= n as i32 {
                        continue;
                    }
                    any = true;
                    alone &= idx[ny as usize * n + nx as usize] != me;
                }
            }
            if any && alone {
                count += 1;
            }
        }
    }
    count
}
