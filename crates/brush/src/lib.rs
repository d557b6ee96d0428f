//! # brush — draw a pixel picture the way a person would
//!
//! [`plan`] turns a [`pixelize::Pixelized`] picture (96×96 cells, ≤ 12 colours) into a Canvas-DSL
//! [`canvas::Document`] whose `pixels` steps, played one after another with `pixel_reveal`, paint
//! the picture stroke by stroke in about [`BrushOptions::duration_ms`].
//!
//! ## Layout
//! * `regions` splits the picture into 8-connected areas of one colour and gives each a depth
//!   (1 = touches the background or the edge, deeper = enclosed by other shapes).
//! * `walk` orders a region's pixels along the shape (Warnsdorff walk: lines end to end, areas
//!   outlined then filled), cutting a run wherever it has to jump.
//! * this file orders the regions, cuts runs into strokes, keeps the step count bounded and times
//!   the strokes.
//!
//! ## The order of work
//! 1. The most frequent colour is the canvas background (`canvas.bg`) and is never painted.
//! 2. **Masses**: large, thick regions that touch the background or the edge (ground, sky bands,
//!    mountains), largest first.
//! 3. **Shapes**, from the outside in (by depth, so what is behind or around comes first); at each
//!    depth line-like regions (outlines, strokes) before thick ones (fills), larger before smaller.
//! 4. **Details and highlights** (regions of at most [`DETAIL_MAX`] pixels) last, one colour at a
//!    time, in reading order.
//!
//! A stroke is a connected run of one region's walk, at most [`MAX_RUN`] pixels long. When the
//! picture would need more than [`MAX_STEPS`] steps, details of one colour share a step, then runs
//! get longer, then small regions of one colour share a step, and at worst every colour is one
//! step; so a noisy picture never floods the renderer.
//!
//! ## Timing
//! Each stroke lasts `150 ms + 10 ms × pixels` and is preceded by a pause that says what the artist
//! is doing: 60 ms to continue the same area, 140 ms to move to another area of the same colour,
//! 320 ms to pick another colour, 600 ms to start a new phase (the first stroke starts at once).
//! The whole plan is then scaled so that its total (the sum of every `delay_ms` and `duration_ms`,
//! which is what `canvas::Timeline` plays) equals `duration_ms` to the millisecond. Pauses stay
//! proportionate: no gap grows with the stroke count. Each value is at least 1 ms (durations) and
//! at most `canvas::limits::MAX_TIME_MS`, so a budget below one millisecond per step, or above ten
//! minutes per step, cannot be met exactly.
//!
//! ## Guarantees
//! Deterministic; every non-background pixel is painted exactly once in its colour, so
//! `canvas::render_final` equals the picture. A picture of one colour still gives a valid document:
//! its single step paints pixel (0, 0) in the background colour (the original service failed
//! here). Malformed input (indices past the palette, a short index buffer) never panics: missing or
//! invalid cells take `palette[0]` (or black when the palette is empty); a picture wider than
//! `canvas::limits::MAX_CANVAS_SIDE` is cropped to its top-left corner, and a caption longer than
//! `canvas::limits::MAX_CAPTION_CHARS` is cut, so the document always validates.
//!
//! ## Example
//! ```
//! use pixelize::{pixelize, Options};
//! let mut rgb = vec![20u8; 768 * 768 * 3];
//! for y in 300..460 {
//!     for x in 300..460 {
//!         rgb[(y * 768 + x) * 3] = 220;
//!     }
//! }
//! let art = pixelize(&rgb, 768, 768, &Options::default()).unwrap();
//! let doc = brush::plan(&art, &brush::BrushOptions::default());
//! assert_eq!(doc.canvas.bg, "#141414");
//! assert!(doc.steps().len() >= 1);
//! ```

mod regions;
mod walk;

use canvas::{Animate, CanvasSpec, Document, Ease, Mode, Pixels, Step};
use pixelize::Pixelized;

/// Most steps a plan has.
pub const MAX_STEPS: usize = 300;
/// Longest stroke, in pixels, before the budget forces longer ones.
pub const MAX_RUN: usize = 64;
/// Regions of at most this many pixels are details, drawn last.
pub const DETAIL_MAX: usize = 4;

/// How to draw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrushOptions {
    /// Total drawing time in milliseconds (DRAW_DURATION_SEC × 1000; 40 000 by default).
    pub duration_ms: u64,
    /// The document's caption, shown in the HUD footer.
    pub caption: String,
}

impl Default for BrushOptions {
    fn default() -> Self {
        BrushOptions { duration_ms: 40_000, caption: "All for you".to_string() }
    }
}

/// Pauses before a stroke (ms, before scaling), by what changes.
const PAUSE_SAME_REGION: f64 = 60.0;
const PAUSE_SAME_COLOUR: f64 = 140.0;
const PAUSE_NEW_COLOUR: f64 = 320.0;
const PAUSE_NEW_PHASE: f64 = 600.0;
/// Stroke duration (ms, before scaling) = base + per pixel × pixels.
const STROKE_BASE: f64 = 150.0;
const STROKE_PER_PIXEL: f64 = 10.0;

/// One stroke: pixels of one colour, revealed in order.
#[derive(Clone, Debug)]
struct Stroke {
    color: usize,
    region: usize,
    phase: u8,
    points: Vec<u32>,
}

/// Plan the drawing of `art`. See the crate docs for the order, the timing and the guarantees.
pub fn plan(art: &Pixelized, opts: &BrushOptions) -> Document {
    // A canvas side is at most MAX_CANVAS_SIDE: a larger (malformed) picture is cropped to its
    // top-left corner rather than allocating without bound.
    let size = (art.size as usize).clamp(1, canvas::limits::MAX_CANVAS_SIDE as usize);
    let stride = art.size as usize;
    let n = size * size;
    let fallback = art.palette.first().copied().unwrap_or([0, 0, 0]);
    let rgb_of = |i: usize| -> [u8; 3] {
        let (x, y) = (i % size, i / size);
        art.indices.get(y * stride + x).and_then(|&k| art.palette.get(k as usize)).copied().unwrap_or(fallback)
    };

    // Colours by frequency (ties by value); the first is the background.
    let cell_rgb: Vec<[u8; 3]> = (0..n).map(rgb_of).collect();
    let mut colors: Vec<([u8; 3], usize)> = Vec::new();
    {
        let mut sorted = cell_rgb.clone();
        sorted.sort_unstable();
        for c in sorted {
            match colors.last_mut() {
                Some((last, k)) if *last == c => *k += 1,
                _ => colors.push((c, 1)),
            }
        }
        colors.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    }
    let mut lookup: Vec<([u8; 3], usize)> = colors.iter().enumerate().map(|(i, (c, _))| (*c, i)).collect();
    lookup.sort_unstable();
    let cell_color: Vec<usize> =
        cell_rgb.iter().map(|c| lookup.binary_search_by(|(k, _)| k.cmp(c)).map(|p| lookup[p].1).unwrap_or(0)).collect();
    let hex: Vec<String> = colors.iter().map(|(c, _)| format!("#{:02X}{:02X}{:02X}", c[0], c[1], c[2])).collect();
    let bg = 0usize;

    let strokes = strokes(&cell_color, size, bg);
    let steps = if strokes.is_empty() {
        // One colour only: a valid document still needs a step; paint one pixel in the background.
        vec![pixels_step(vec![[0, 0]], &hex[bg], clamp_ms(opts.duration_ms.max(1)), 0)]
    } else {
        timed_steps(&strokes, size, &hex, opts.duration_ms)
    };
    Document {
        version: "1.0".to_string(),
        canvas: CanvasSpec { w: size as u32, h: size as u32, bg: hex[bg].clone() },
        // The schema caps captions (canvas::limits::MAX_CAPTION_CHARS); a longer one is cut.
        caption: opts.caption.chars().take(canvas::limits::MAX_CAPTION_CHARS).collect(),
        palette: Some(hex),
        seed: None,
        steps: Some(steps),
        render_text: None,
        duration_sec: None,
    }
}

fn clamp_ms(v: u64) -> u32 {
    v.min(canvas::limits::MAX_TIME_MS as u64) as u32
}

fn pixels_step(points: Vec<[i32; 2]>, color: &str, duration: u32, delay: u32) -> Step {
    Step::Pixels(Pixels {
        points,
        color: color.to_string(),
        animate: Some(Animate {
            mode: Mode::PixelReveal,
            speed_px_per_s: None,
            duration_ms: Some(duration.max(1)),
            delay_ms: Some(delay),
            ease: Ease::EaseInOut,
        }),
    })
}

/// Regions in drawing order, walked and cut into at most [`MAX_STEPS`] strokes.
fn strokes(cell_color: &[usize], size: usize, bg: usize) -> Vec<Stroke> {
    let (regions, region_of) = regions::find(cell_color, size, bg);
    if regions.is_empty() {
        return Vec::new();
    }
    let non_bg: usize = regions.iter().map(|r| r.cells.len()).sum();
    let mass_min = (non_bg / 20).max(32);
    let phase = |r: &regions::Region| -> u8 {
        if r.cells.len() <= DETAIL_MAX {
            2
        } else if r.depth == 1 && !r.thin && r.cells.len() >= mass_min {
            0
        } else {
            1
        }
    };
    let mut order: Vec<usize> = (0..regions.len()).collect();
    order.sort_by_key(|&i| {
        let r = &regions[i];
        let first = r.cells[0];
        match phase(r) {
            0 => (0u8, 0u32, 0u8, 0usize, usize::MAX - r.cells.len(), first),
            1 => (1, r.depth, !r.thin as u8, 0, usize::MAX - r.cells.len(), first),
            _ => (2, 0, 0, r.color, 0, first),
        }
    });
    // Walk every region once.
    let mut visited = vec![false; size * size];
    let walks: Vec<(Vec<u32>, Vec<usize>)> = regions
        .iter()
        .enumerate()
        .map(|(id, r)| {
            let member = |j: usize| region_of[j] == id as u32;
            walk::walk(&r.cells, size, &member, &mut visited)
        })
        .collect();

    // Cut into strokes, relaxing until the step budget holds.
    let ladder: [(usize, usize); 9] = [
        (MAX_RUN, 0),
        (MAX_RUN, DETAIL_MAX),
        (2 * MAX_RUN, DETAIL_MAX),
        (4 * MAX_RUN, DETAIL_MAX),
        (4 * MAX_RUN, 16),
        (8 * MAX_RUN, 64),
        (usize::MAX, 256),
        (usize::MAX, 1024),
        (usize::MAX, usize::MAX),
    ];
    for (run, scatter) in ladder {
        let s = cut(&regions, &walks, &order, &phase, run, scatter);
        if s.len() <= MAX_STEPS {
            return s;
        }
    }
    // At most one stroke per colour (≤ 256 colours).
    let mut per_colour: Vec<Stroke> = Vec::new();
    for &r in &order {
        let c = regions[r].color;
        match per_colour.iter_mut().find(|s| s.color == c) {
            Some(s) => s.points.extend_from_slice(&walks[r].0),
            None => per_colour.push(Stroke { color: c, region: r, phase: 0, points: walks[r].0.clone() }),
        }
    }
    per_colour
}

/// Strokes of at most `run` pixels; regions of at most `scatter` pixels share one stroke per phase
/// and colour (placed where the first of them comes).
fn cut(
    regions: &[regions::Region],
    walks: &[(Vec<u32>, Vec<usize>)],
    order: &[usize],
    phase: &dyn Fn(&regions::Region) -> u8,
    run: usize,
    scatter: usize,
) -> Vec<Stroke> {
    let mut out: Vec<Stroke> = Vec::new();
    let mut shared: Vec<((u8, usize), usize)> = Vec::new();
    for &r in order {
        let reg = &regions[r];
        let ph = phase(reg);
        let (walk, starts) = &walks[r];
        if reg.cells.len() <= scatter {
            let key = (ph, reg.color);
            match shared.iter().find(|(k, _)| *k == key) {
                Some(&(_, si)) => out[si].points.extend_from_slice(walk),
                None => {
                    shared.push((key, out.len()));
                    out.push(Stroke { color: reg.color, region: r, phase: ph, points: walk.clone() });
                }
            }
            continue;
        }
        for (k, &s) in starts.iter().enumerate() {
            let e = starts.get(k + 1).copied().unwrap_or(walk.len());
            // Balanced chunks: a 150-px run becomes 50 + 50 + 50, not 64 + 64 + 22.
            let len = e - s;
            let pieces = len.div_ceil(run.max(1)).max(1);
            for chunk in walk[s..e].chunks(len.div_ceil(pieces).max(1)) {
                out.push(Stroke { color: reg.color, region: r, phase: ph, points: chunk.to_vec() });
            }
        }
    }
    out
}

/// Durations and pauses, scaled so that the whole plan lasts `total_ms`.
fn timed_steps(strokes: &[Stroke], size: usize, hex: &[String], total_ms: u64) -> Vec<Step> {
    let mut raw_dur = Vec::with_capacity(strokes.len());
    let mut raw_pause = Vec::with_capacity(strokes.len());
    for (i, s) in strokes.iter().enumerate() {
        raw_dur.push(STROKE_BASE + STROKE_PER_PIXEL * s.points.len() as f64);
        raw_pause.push(match i.checked_sub(1).map(|p| &strokes[p]) {
            None => 0.0,
            Some(p) if p.phase != s.phase => PAUSE_NEW_PHASE,
            Some(p) if p.color != s.color => PAUSE_NEW_COLOUR,
            Some(p) if p.region != s.region => PAUSE_SAME_COLOUR,
            Some(_) => PAUSE_SAME_REGION,
        });
    }
    let raw_total: f64 = raw_dur.iter().sum::<f64>() + raw_pause.iter().sum::<f64>();
    let k = strokes.len() as u64;
    // Every step lasts 1 ms to MAX_TIME_MS; outside that range the budget cannot be met exactly.
    let total = total_ms.clamp(k, k * canvas::limits::MAX_TIME_MS as u64 / 2);
    let scale = total as f64 / raw_total;
    let mut dur: Vec<u64> = raw_dur.iter().map(|d| ((d * scale).round() as u64).max(1)).collect();
    let mut pause: Vec<u64> = raw_pause.iter().map(|p| (p * scale).round() as u64).collect();
    // Put the rounding residue on the longest strokes (never below 1 ms), then the pauses.
    let sum: u64 = dur.iter().sum::<u64>() + pause.iter().sum::<u64>();
    if sum < total {
        let longest = (0..dur.len()).max_by_key(|&i| (dur[i], usize::MAX - i)).unwrap_or(0);
        dur[longest] += total - sum;
    } else {
        let mut excess = sum - total;
        let mut idx: Vec<usize> = (0..dur.len()).collect();
        idx.sort_by_key(|&i| (std::cmp::Reverse(dur[i]), i));
        for &i in idx.iter().cycle().take(idx.len() * 4) {
            if excess == 0 {
                break;
            }
            let take = excess.min(dur[i] - 1);
            dur[i] -= take;
            excess -= take;
        }
        for p in pause.iter_mut() {
            let take = excess.min(*p);
            *p -= take;
            excess -= take;
        }
    }
    strokes
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let points = s.points.iter().map(|&c| [(c as usize % size) as i32, (c as usize / size) as i32]).collect();
            pixels_step(points, &hex[s.color], clamp_ms(dur[i]), clamp_ms(pause[i]))
        })
        .collect()
}
