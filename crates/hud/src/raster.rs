//! Pixel operations on a 0x00RRGGBB framebuffer: clipped spans, alpha blends, rounded rectangles and
//! the nearest-neighbour canvas upscale. Integer arithmetic only, so frames are bit-identical everywhere.

use crate::{CanvasView, Rect};

/// A borrowed framebuffer with its size; every operation clips to it.
pub(crate) struct Target<'a> {
    pub px: &'a mut [u32],
    pub w: i32,
    pub h: i32,
}

/// `src` over `dst` with coverage `a` in 0..=256.
#[inline]
pub(crate) fn blend(dst: u32, src: u32, a: u32) -> u32 {
    let ia = 256 - a;
    let rb = ((src & 0xFF00FF) * a + (dst & 0xFF00FF) * ia) >> 8;
    let g = ((src & 0x00FF00) * a + (dst & 0x00FF00) * ia) >> 8;
    (rb & 0xFF00FF) | (g & 0x00FF00)
}

/// `c` as 0x00RRGGBB from its channels.
pub(crate) const fn rgb(r: u8, g: u8, b: u8) -> u32 {
    ((r as u32) << 16) | ((g as u32) << 8) | b as u32
}

/// Linear mix of two colours, `t` in 0..=256.
pub(crate) fn mix(a: u32, b: u32, t: u32) -> u32 {
    blend(a, b, t.min(256))
}

impl Target<'_> {
    /// Opaque horizontal run [x0, x1) on row y.
    #[inline]
    pub fn hspan(&mut self, y: i32, x0: i32, x1: i32, color: u32) {
        if y < 0 || y >= self.h {
            return;
        }
        let (x0, x1) = (x0.max(0), x1.min(self.w));
        if x0 >= x1 {
            return;
        }
        let row = (y * self.w) as usize;
        self.px[row + x0 as usize..row + x1 as usize].fill(color);
    }

    /// Blended horizontal run with alpha `a` in 0..=256.
    #[inline]
    pub fn hspan_blend(&mut self, y: i32, x0: i32, x1: i32, color: u32, a: u32) {
        if a >= 256 {
            return self.hspan(y, x0, x1, color);
        }
        if y < 0 || y >= self.h || a == 0 {
            return;
        }
        let (x0, x1) = (x0.max(0), x1.min(self.w));
        if x0 >= x1 {
            return;
        }
        let row = (y * self.w) as usize;
        for p in &mut self.px[row + x0 as usize..row + x1 as usize] {
            *p = blend(*p, color, a);
        }
    }

    pub fn fill_rect(&mut self, r: Rect, color: u32) {
        for y in r.y..r.bottom() {
            self.hspan(y, r.x, r.right(), color);
        }
    }

    /// Rounded rectangle filled with `color` at alpha `a` (0..=256).
    pub fn fill_rrect(&mut self, r: Rect, radius: i32, color: u32, a: u32) {
        let insets = corner_insets(radius.min(r.w as i32 / 2).min(r.h as i32 / 2));
        for y in r.y..r.bottom() {
            let i = row_inset(&insets, y - r.y, r.h as i32);
            self.hspan_blend(y, r.x + i, r.right() - i, color, a);
        }
    }

    /// Outline of a rounded rectangle, `t` pixels thick, inside `r`.
    pub fn stroke_rrect(&mut self, r: Rect, radius: i32, t: i32, color: u32, a: u32) {
        let radius = radius.min(r.w as i32 / 2).min(r.h as i32 / 2);
        let outer = corner_insets(radius);
        let inner_r = r.inset(t);
        let inner = corner_insets((radius - t).max(0));
        for y in r.y..r.bottom() {
            let o = row_inset(&outer, y - r.y, r.h as i32);
            let (ox0, ox1) = (r.x + o, r.right() - o);
            if y < inner_r.y || y >= inner_r.bottom() || inner_r.w == 0 {
                self.hspan_blend(y, ox0, ox1, color, a);
            } else {
                let i = row_inset(&inner, y - inner_r.y, inner_r.h as i32);
                let (ix0, ix1) = (inner_r.x + i, inner_r.right() - i);
                self.hspan_blend(y, ox0, ix0.max(ox0), color, a);
                self.hspan_blend(y, ix1.min(ox1), ox1, color, a);
            }
        }
    }

    /// The drawing, upscaled by `k` (nearest), top-left at (x, y). Transparent pixels show `backing`.
    pub fn blit_canvas(&mut self, view: &CanvasView, (x, y): (i32, i32), k: u32, backing: u32) {
        let (rgba, cw, ch) = (view.rgba, view.width, view.height);
        let k = k as i32;
        let mut row: Vec<u32> = vec![0; (cw as i32 * k) as usize];
        for sy in 0..ch as i32 {
            for sx in 0..cw as usize {
                let i = (sy as usize * cw as usize + sx) * 4;
                let c = match rgba.get(i..i + 4) {
                    Some(p) => {
                        let src = rgb(p[0], p[1], p[2]);
                        match p[3] {
                            255 => src,
                            0 => backing,
                            a => blend(backing, src, a as u32 + 1),
                        }
                    }
                    None => backing,
                };
                row[sx * k as usize..(sx + 1) * k as usize].fill(c);
            }
            for dy in 0..k {
                let yy = y + sy * k + dy;
                if yy < 0 || yy >= self.h {
                    continue;
                }
                let x0 = x.max(0);
                let x1 = (x + cw as i32 * k).min(self.w);
                if x0 >= x1 {
                    continue;
                }
                let base = (yy * self.w) as usize;
                self.px[base + x0 as usize..base + x1 as usize]
                    .copy_from_slice(&row[(x0 - x) as usize..(x1 - x) as usize]);
            }
        }
    }
}

/// Horizontal inset of each of the first `r` rows of a rounded corner of radius `r`.
fn corner_insets(r: i32) -> Vec<i32> {
    (0..r.max(0))
        .map(|i| {
            let dy = r as f32 - i as f32 - 0.5;
            let dx = (r as f32 * r as f32 - dy * dy).max(0.0).sqrt();
            (r as f32 - dx).round() as i32
        })
        .collect()
}

fn row_inset(insets: &[i32], row: i32, h: i32) -> i32 {
    let n = insets.len() as i32;
    if row < n {
        insets[row as usize]
    } else if row >= h - n {
        insets[(h - 1 - row) as usize]
    } else {
        0
    }
}
