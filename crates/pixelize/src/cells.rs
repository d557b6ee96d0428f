//! One colour per cell: the per-channel median of the cell's interior.
//!
//! The rim of each cell (where blur and wobble mix in the neighbours) is dropped; the median of the
//! rest is robust to noise and, when two colours share the interior, picks the majority. A small
//! feature that disagrees with its own interior is read from the cell's centre instead.

use crate::grid::{AxisGrid, GridKind, Rgb};

/// Share of the cell width dropped on each side before taking the median.
const RIM: f32 = 0.3;
/// Spread (max − min, per channel) below which a cell counts as flat and its mean is used.
const FLAT_RANGE: u8 = 20;
/// Share dropped on each side for the cell's centre.
const CENTRE: f32 = 0.375;
/// Sum of absolute RGB differences above which the centre's median replaces the interior's.
const CENTRE_DISAGREES: u32 = 8;

/// Cell colours, row-major, `size * size` entries.
pub(crate) fn cell_colors(img: Rgb<'_>, gx: &AxisGrid, gy: &AxisGrid, size: usize) -> Vec<[u8; 3]> {
    // Horizontal boundaries for every cell column (they vary slowly along x).
    let mut ys_by_col: Vec<Vec<f32>> = Vec::with_capacity(size);
    let mut tmp = Vec::new();
    for i in 0..size {
        let cx = gx.start + (i as f32 + 0.5) * gx.pitch;
        gy.lines_at(cx, &mut tmp);
        ys_by_col.push(tmp.clone());
    }
    // Without a measured grid on an axis the cells are not the picture's own cells: there is no
    // blurred rim to drop, and the whole cell is the honest sample of what it covers.
    let rim = |g: &AxisGrid| if g.kind == GridKind::Measured { RIM } else { 0.0 };
    let (rim_x, rim_y) = (rim(gx), rim(gy));
    // The centre rule (below) reads a blurred 1-px feature inside a real cell; off the picture's own
    // grid the centre is just one part of a mixed cell.
    let measured = gx.kind == GridKind::Measured && gy.kind == GridKind::Measured;
    let mut out = vec![[0u8; 3]; size * size];
    let mut xs = Vec::new();
    let mut ch: [Vec<u8>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for j in 0..size {
        let cy = gy.start + (j as f32 + 0.5) * gy.pitch;
        gx.lines_at(cy, &mut xs);
        for i in 0..size {
            let (x0, x1) = inset(xs[i], xs[i + 1], img.w, rim_x);
            let ys = &ys_by_col[i];
            let (y0, y1) = inset(ys[j], ys[j + 1], img.h, rim_y);
            for c in ch.iter_mut() {
                c.clear();
            }
            for y in y0..=y1 {
                let row = &img.data[(y * img.w + x0) * 3..(y * img.w + x1 + 1) * 3];
                for p in row.chunks_exact(3) {
                    ch[0].push(p[0]);
                    ch[1].push(p[1]);
                    ch[2].push(p[2]);
                }
            }
            let mut px = median3(&mut ch);
            // A small feature (a 1-px star) is blurred by its neighbours towards the rim; when the
            // cell's centre disagrees with its interior, the centre is the better witness.
            let (cx0, cx1) = centre(xs[i], xs[i + 1], img.w);
            let (cy0, cy1) = centre(ys[j], ys[j + 1], img.h);
            if measured
                && (cx0, cx1, cy0, cy1) != (x0, x1, y0, y1)
                && centre_mean_disagrees(img, (cx0, cx1, cy0, cy1), px)
            {
                for c in ch.iter_mut() {
                    c.clear();
                }
                for y in cy0..=cy1 {
                    let row = &img.data[(y * img.w + cx0) * 3..(y * img.w + cx1 + 1) * 3];
                    for p in row.chunks_exact(3) {
                        ch[0].push(p[0]);
                        ch[1].push(p[1]);
                        ch[2].push(p[2]);
                    }
                }
                let c = median3(&mut ch);
                let diff: u32 = (0..3).map(|k| c[k].abs_diff(px[k]) as u32).sum();
                if diff > CENTRE_DISAGREES {
                    px = c;
                }
            }
            out[j * size + i] = px;
        }
    }
    out
}

/// Cheap gate before the centre's median: does the centre's mean differ from `px` by more than
/// half of [`CENTRE_DISAGREES`]?
fn centre_mean_disagrees(img: Rgb<'_>, (x0, x1, y0, y1): (usize, usize, usize, usize), px: [u8; 3]) -> bool {
    let mut sum = [0u32; 3];
    for y in y0..=y1 {
        for p in img.data[(y * img.w + x0) * 3..(y * img.w + x1 + 1) * 3].chunks_exact(3) {
            sum[0] += p[0] as u32;
            sum[1] += p[1] as u32;
            sum[2] += p[2] as u32;
        }
    }
    let n = ((x1 - x0 + 1) * (y1 - y0 + 1)) as u32;
    let diff: u32 = (0..3).map(|k| (sum[k] / n).abs_diff(px[k] as u32)).sum();
    diff * 2 > CENTRE_DISAGREES
}

/// Per-channel median of the gathered channel values.
fn median3(ch: &mut [Vec<u8>; 3]) -> [u8; 3] {
    let mut px = [0u8; 3];
    for (c, v) in ch.iter_mut().zip(px.iter_mut()) {
        *v = median_u8(c);
    }
    px
}

/// Median of bytes: a 256-bin count for large sets, a small sort otherwise (both far cheaper than
/// a general selection on a few dozen values).
///
/// Fast path: when all values lie within [`FLAT_RANGE`] of each other (a flat cell with noise, the
/// common case), the rounded mean is returned — for symmetric noise it estimates the same value
/// and costs one pass.
fn median_u8(v: &mut [u8]) -> u8 {
    let (mut lo, mut hi, mut sum) = (u8::MAX, 0u8, 0u32);
    for &b in v.iter() {
        lo = lo.min(b);
        hi = hi.max(b);
        sum += b as u32;
    }
    if hi - lo <= FLAT_RANGE && !v.is_empty() {
        return ((sum + v.len() as u32 / 2) / v.len() as u32) as u8;
    }
    let mid = v.len() / 2;
    if v.len() <= 64 {
        v.sort_unstable();
        return v[mid];
    }
    let mut hist = [0u32; 256];
    for &b in v.iter() {
        hist[b as usize] += 1;
    }
    let mut seen = 0usize;
    for (b, &n) in hist.iter().enumerate() {
        seen += n as usize;
        if seen > mid {
            return b as u8;
        }
    }
    255
}

/// Inclusive pixel range of the cell's centre (the middle quarter of its width, at least one pixel).
fn centre(a: f32, b: f32, len: usize) -> (usize, usize) {
    inset(a, b, len, CENTRE)
}

/// Inclusive pixel range between lines `a` and `b` with `frac` of the cell width cut from each
/// side, clamped to the image; when nothing is left, the single pixel nearest the middle.
///
/// With nothing cut (`frac` 0: no measured grid) the cell is exactly the pixels that a nearest
/// upscale of the output paints with it, `a <= x < b`, so neighbouring cells share no pixel.
fn inset(a: f32, b: f32, len: usize, frac: f32) -> (usize, usize) {
    let m = frac * (b - a);
    let (lo, hi) = if frac == 0.0 { (a.ceil(), b.ceil() - 1.0) } else { ((a + m - 0.5).ceil(), (b - m - 0.5).floor()) };
    let max = (len - 1) as f32;
    let (lo, hi) = (lo.clamp(0.0, max), hi.clamp(0.0, max));
    if lo <= hi {
        (lo as usize, hi as usize)
    } else {
        let c = ((a + b) / 2.0 - 0.5).round().clamp(0.0, max) as usize;
        (c, c)
    }
}
