//! pygame's drawing algorithms, ported from pygame 2.6 `src_c/draw.c`, so that old documents look
//! exactly as their authors saw them: `draw.rect` (fill and 1-px outline), `draw.circle` (midpoint
//! fill and the thin Bresenham outline), `draw.polygon` (scanline fill with pygame's edge rules,
//! outline as closed lines), `draw.line` with width (parallel 1-px runs) and `set_at`.
//!
//! Everything draws into a [`Surface`], which records which pixels a step touched so the step can
//! become a sparse layer for the timeline. Clipping to the canvas is silent, as in pygame.

use crate::color::Rgba;

/// A canvas-sized scratch surface that remembers the pixels touched since [`Surface::begin`].
pub(crate) struct Surface {
    pub w: i32,
    pub h: i32,
    color: Vec<Rgba>,
    /// `mark[i] == generation` when pixel `i` was touched in the current step.
    mark: Vec<u32>,
    generation: u32,
    /// Touched pixel indices in first-touch order.
    touched: Vec<u32>,
}

impl Surface {
    pub fn new(w: u32, h: u32) -> Surface {
        let n = (w as usize) * (h as usize);
        Surface {
            w: w as i32,
            h: h as i32,
            color: vec![[0; 4]; n],
            mark: vec![0; n],
            generation: 1,
            touched: Vec::new(),
        }
    }

    /// Starts a new transparent layer.
    pub fn begin(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.mark.iter_mut().for_each(|m| *m = 0);
            self.generation = 1;
        }
        self.touched.clear();
    }

    #[inline]
    pub fn inside(&self, x: i32, y: i32) -> bool {
        x >= 0 && y >= 0 && x < self.w && y < self.h
    }

    /// pygame `set_at`: out-of-range pixels are ignored.
    #[inline]
    pub fn set(&mut self, x: i32, y: i32, c: Rgba) {
        if !self.inside(x, y) {
            return;
        }
        let i = (y * self.w + x) as usize;
        if self.mark[i] != self.generation {
            self.mark[i] = self.generation;
            self.touched.push(i as u32);
        }
        self.color[i] = c;
    }

    /// Whether pixel index `i` belongs to the current layer.
    #[inline]
    pub fn has(&self, i: u32) -> bool {
        self.mark[i as usize] == self.generation
    }

    /// Whether (x, y) belongs to the current layer (false outside the canvas).
    #[inline]
    pub fn has_xy(&self, x: i32, y: i32) -> bool {
        self.inside(x, y) && self.has((y * self.w + x) as u32)
    }

    #[inline]
    pub fn color_at(&self, i: u32) -> Rgba {
        self.color[i as usize]
    }

    /// Touched pixels in first-touch order.
    pub fn touched(&self) -> &[u32] {
        &self.touched
    }

    /// `drawhorzlineclipbounding`: a horizontal run from x1 to x2 inclusive, clipped.
    pub fn hline(&mut self, x1: i32, y: i32, x2: i32, c: Rgba) {
        if y < 0 || y >= self.h {
            return;
        }
        let (a, b) = if x2 < x1 { (x2, x1) } else { (x1, x2) };
        let a = a.max(0);
        let b = b.min(self.w - 1);
        if b < a {
            return;
        }
        for x in a..=b {
            self.set(x, y, c);
        }
    }

    /// Fills the intersection of the rect with the canvas (`SDL_FillRect`); w or h ≤ 0 is empty.
    pub fn fill_rect(&mut self, x: i32, y: i32, w: i32, h: i32, c: Rgba) {
        if let Some((x0, y0, x1, y1)) = self.clip_rect(x, y, w, h) {
            for yy in y0..y1 {
                for xx in x0..x1 {
                    self.set(xx, yy, c);
                }
            }
        }
    }

    /// Intersection with the canvas as [x0, x1) × [y0, y1), or None when empty.
    fn clip_rect(&self, x: i32, y: i32, w: i32, h: i32) -> Option<(i32, i32, i32, i32)> {
        if w <= 0 || h <= 0 {
            return None;
        }
        let x0 = x.max(0);
        let y0 = y.max(0);
        let x1 = (x as i64 + w as i64).min(self.w as i64) as i32;
        let y1 = (y as i64 + h as i64).min(self.h as i64) as i32;
        (x0 < x1 && y0 < y1).then_some((x0, y0, x1, y1))
    }

    /// `pygame.draw.rect(surf, c, (x, y, w, h), 1)`: a 1-px border, or a plain fill when the
    /// clipped rect is at most 2 px in either direction (pygame's own rule).
    pub fn rect_outline(&mut self, x: i32, y: i32, w: i32, h: i32, c: Rgba) {
        let Some((x0, y0, x1, y1)) = self.clip_rect(x, y, w, h) else {
            return;
        };
        if 2 < x1 - x0 && 2 < y1 - y0 {
            // draw_rect(x1, y1, x2, y2, width = 1)
            let (l, t, r, b) = (x, y, x + w - 1, y + h - 1);
            self.hline(l, t, r, c);
            self.hline(l, b, r, c);
            for i in 0..(b - t - 1) {
                self.hline(l, t + 1 + i, l, c);
                self.hline(r, t + 1 + i, r, c);
            }
        } else {
            self.fill_rect(x, y, w, h, c);
        }
    }

    /// pygame's early-out for circles far outside the clip rect.
    fn circle_off_canvas(&self, x0: i32, y0: i32, r: i32) -> bool {
        x0 > self.w + r || x0 < -r || y0 > self.h + r || y0 < -r
    }

    /// `pygame.draw.circle(surf, c, (x0, y0), r)` (`draw_circle_filled`).
    pub fn circle_filled(&mut self, x0: i32, y0: i32, r: i32, c: Rgba) {
        if r < 1 || self.circle_off_canvas(x0, y0, r) {
            return;
        }
        circle_octant(r, |x, y, f_nonneg| {
            if f_nonneg {
                self.hline(x0 - x, y0 + y - 1, x0 + x - 1, c);
                self.hline(x0 - x, y0 - y, x0 + x - 1, c);
            }
            self.hline(x0 - y, y0 + x - 1, x0 + y - 1, c);
            self.hline(x0 - y, y0 - x, x0 + y - 1, c);
        });
    }

    /// `pygame.draw.circle(surf, c, (x0, y0), r, 1)`: the thin Bresenham ring, or the filled
    /// circle when r = 1 (pygame clamps width to r and then fills).
    pub fn circle_outline(&mut self, x0: i32, y0: i32, r: i32, c: Rgba) {
        if r < 1 || self.circle_off_canvas(x0, y0, r) {
            return;
        }
        if r == 1 {
            self.circle_filled(x0, y0, r, c);
            return;
        }
        circle_octant(r, |x, y, _| {
            self.set(x0 + x - 1, y0 + y - 1, c);
            self.set(x0 - x, y0 + y - 1, c);
            self.set(x0 + x - 1, y0 - y, c);
            self.set(x0 - x, y0 - y, c);
            self.set(x0 + y - 1, y0 + x - 1, c);
            self.set(x0 + y - 1, y0 - x, c);
            self.set(x0 - y, y0 + x - 1, c);
            self.set(x0 - y, y0 - x, c);
        });
    }

    /// `pygame.draw.polygon(surf, c, points)` (`draw_fillpoly`, pygame ≥ 2.6 float intersections).
    pub fn polygon_filled(&mut self, pts: &[[i32; 2]], c: Rgba) {
        if pts.len() < 3 {
            return;
        }
        let miny = pts.iter().map(|p| p[1]).min().unwrap_or(0);
        let maxy = pts.iter().map(|p| p[1]).max().unwrap_or(0);
        if miny == maxy {
            let minx = pts.iter().map(|p| p[0]).min().unwrap_or(0);
            let maxx = pts.iter().map(|p| p[0]).max().unwrap_or(0);
            self.hline(minx, miny, maxx, c);
            return;
        }
        let n = pts.len();
        let mut xs: Vec<i32> = Vec::with_capacity(n);
        // Rows outside the canvas draw nothing, so only the visible rows are scanned.
        let y_start = miny.max(0);
        let y_end = maxy.min(self.h - 1);
        for y in y_start..=y_end {
            xs.clear();
            let yf = y as f64;
            for i in 0..n {
                let prev = if i == 0 { n - 1 } else { i - 1 };
                let (mut y1, mut y2) = (pts[prev][1] as f64, pts[i][1] as f64);
                let (x1, x2);
                if y1 < y2 {
                    x1 = pts[prev][0] as f64;
                    x2 = pts[i][0] as f64;
                } else if y1 > y2 {
                    y2 = pts[prev][1] as f64;
                    y1 = pts[i][1] as f64;
                    x2 = pts[prev][0] as f64;
                    x1 = pts[i][0] as f64;
                } else {
                    continue;
                }
                if (yf >= y1 && yf < y2) || (y == maxy && y2 == maxy as f64) {
                    // C's (int) cast truncates toward zero, as `as i32` does.
                    xs.push(((yf - y1) * (x2 - x1) / (y2 - y1) + x1) as i32);
                }
            }
            xs.sort_unstable();
            let mut k = 0;
            while k + 1 < xs.len() {
                self.hline(xs[k], y, xs[k + 1], c);
                k += 2;
            }
        }
        // Horizontal edges strictly between miny and maxy.
        for i in 0..n {
            let prev = if i == 0 { n - 1 } else { i - 1 };
            let y = pts[i][1];
            if miny < y && pts[prev][1] == y && y < maxy {
                self.hline(pts[i][0], y, pts[prev][0], c);
            }
        }
    }

    /// `pygame.draw.polygon(surf, c, points, 1)`: closed 1-px lines.
    pub fn polygon_outline(&mut self, pts: &[[i32; 2]], c: Rgba) {
        let n = pts.len();
        for i in 1..n {
            self.line(pts[i - 1][0], pts[i - 1][1], pts[i][0], pts[i][1], 1, c);
        }
        if n > 2 {
            self.line(pts[n - 1][0], pts[n - 1][1], pts[0][0], pts[0][1], 1, c);
        }
    }

    /// `clip_line`: Liang–Barsky against the canvas, with pygame's rounding.
    fn clip_line(&self, x1: &mut i32, y1: &mut i32, x2: &mut i32, y2: &mut i32) -> bool {
        let p1 = *x1 as i64 - *x2 as i64;
        let p2 = -p1;
        let p3 = *y1 as i64 - *y2 as i64;
        let p4 = -p3;
        let q1 = *x1 as i64;
        let q2 = self.w as i64 - *x1 as i64;
        let q3 = *y1 as i64;
        let q4 = self.h as i64 - *y1 as i64;
        let (old_x1, old_y1) = (*x1, *y1);
        let mut nmax = 0.0f64;
        let mut pmin = 1.0f64;
        if (p1 == 0 && q1 < 0) || (p2 == 0 && q2 < 0) || (p3 == 0 && q3 < 0) || (p4 == 0 && q4 < 0) {
            return false;
        }
        if p1 != 0 {
            let r1 = q1 as f64 / p1 as f64;
            let r2 = q2 as f64 / p2 as f64;
            if p1 < 0 {
                nmax = nmax.max(r1);
                pmin = pmin.min(r2);
            } else {
                nmax = nmax.max(r2);
                pmin = pmin.min(r1);
            }
        }
        if p3 != 0 {
            let r1 = q3 as f64 / p3 as f64;
            let r2 = q4 as f64 / p4 as f64;
            if p3 < 0 {
                nmax = nmax.max(r1);
                pmin = pmin.min(r2);
            } else {
                nmax = nmax.max(r2);
                pmin = pmin.min(r1);
            }
        }
        if nmax > pmin {
            return false;
        }
        let round = |v: f64| -> i32 {
            if v < 0.0 {
                (v - 0.5) as i32
            } else {
                (v + 0.5) as i32
            }
        };
        *x1 = old_x1 + round(p2 as f64 * nmax);
        *y1 = old_y1 + round(p4 as f64 * nmax);
        *x2 = old_x1 + round(p2 as f64 * pmin);
        *y2 = old_y1 + round(p4 as f64 * pmin);
        true
    }

    /// `pygame.draw.line(surf, c, (x1, y1), (x2, y2), width)` (`draw_line_width`).
    pub fn line(&mut self, mut x1: i32, mut y1: i32, x2: i32, y2: i32, width: i32, c: Rgba) {
        if width < 1 {
            return;
        }
        let (end_x, end_y) = (x2, y2);
        let (mut x2, mut y2) = (x2, y2);
        let xinc = (x1 - x2).abs() <= (y1 - y2).abs();
        let dx = (x2 - x1).abs();
        let sx = if x1 < x2 { 1 } else { -1 };
        let dy = (y2 - y1).abs();
        let sy = if y1 < y2 { 1 } else { -1 };
        let mut err = (if dx > dy { dx } else { -dy }) / 2;
        if !self.clip_line(&mut x1, &mut y1, &mut x2, &mut y2) {
            return;
        }
        if width == 1 {
            self.thin_line(x1, y1, x2, y2, c);
            return;
        }
        let sign = |v: i32, d: i32| {
            if v > 0 {
                1
            } else if v < 0 {
                -1
            } else {
                d
            }
        };
        let (mut left_top, mut right_bottom) =
            if xinc { (x1 - (width - 1) / 2, x1 + width / 2) } else { (y1 - (width - 1) / 2, y1 + width / 2) };
        while sign(x1 - x2, sx) != sx || sign(y1 - y2, sy) != sy {
            if xinc {
                self.hline(left_top, y1, right_bottom, c);
            } else {
                for y in left_top..=right_bottom {
                    self.set(x1, y, c);
                }
            }
            let e2 = err;
            if e2 > -dx {
                err -= dy;
                x1 += sx;
                if xinc {
                    left_top += sx;
                    right_bottom += sx;
                }
            }
            if e2 < dy {
                err += dx;
                y1 += sy;
                if !xinc {
                    left_top += sy;
                    right_bottom += sy;
                }
            }
        }
        if xinc {
            while y1 != end_y && (self.inside(left_top, y1) || self.inside(right_bottom, y1)) {
                self.hline(left_top, y1, right_bottom, c);
                let e2 = err;
                if e2 > -dx {
                    // (pygame also advances x1 here; nothing reads it afterwards)
                    err -= dy;
                    left_top += sx;
                    right_bottom += sx;
                }
                if e2 < dy {
                    err += dx;
                    y1 += sy;
                }
            }
            self.hline(left_top, y1, right_bottom, c);
        } else {
            while x1 != end_x && (self.inside(x1, left_top) || self.inside(x1, right_bottom)) {
                for y in left_top..=right_bottom {
                    self.set(x1, y, c);
                }
                let e2 = err;
                if e2 > -dx {
                    err -= dy;
                    x1 += sx;
                }
                if e2 < dy {
                    // (pygame also advances y1 here; nothing reads it afterwards)
                    err += dx;
                    left_top += sy;
                    right_bottom += sy;
                }
            }
            for y in left_top..=right_bottom {
                self.set(x1, y, c);
            }
        }
    }

    /// `draw_line`: Bresenham between already-clipped endpoints.
    fn thin_line(&mut self, x1: i32, y1: i32, x2: i32, y2: i32, c: Rgba) {
        bresenham(x1, y1, x2, y2, &mut |x, y| self.set(x, y, c));
    }

    /// The pixels, in drawing order, of `pygame.draw.line(..., width=1)` from (x1, y1) to
    /// (x2, y2), clipped to the canvas.
    pub fn line_pixels(&self, x1: i32, y1: i32, x2: i32, y2: i32) -> Vec<(i32, i32)> {
        let (mut a, mut b, mut c, mut d) = (x1, y1, x2, y2);
        let mut out = Vec::new();
        if self.clip_line(&mut a, &mut b, &mut c, &mut d) {
            bresenham(a, b, c, d, &mut |x, y| {
                if x >= 0 && y >= 0 && x < self.w && y < self.h {
                    out.push((x, y))
                }
            });
        }
        out
    }
}

/// pygame's `draw_line` pixel walk (rosettacode Bresenham with pygame's special cases).
fn bresenham(mut x1: i32, mut y1: i32, x2: i32, y2: i32, plot: &mut impl FnMut(i32, i32)) {
    if x1 == x2 && y1 == y2 {
        plot(x1, y1);
        return;
    }
    if y1 == y2 {
        let d = if x1 < x2 { 1 } else { -1 };
        for s in 0..=(x1 - x2).abs() {
            plot(x1 + d * s, y1);
        }
        return;
    }
    if x1 == x2 {
        let d = if y1 < y2 { 1 } else { -1 };
        for s in 0..=(y1 - y2).abs() {
            plot(x1, y1 + d * s);
        }
        return;
    }
    let dx = (x2 - x1).abs();
    let sx = if x1 < x2 { 1 } else { -1 };
    let dy = (y2 - y1).abs();
    let sy = if y1 < y2 { 1 } else { -1 };
    let mut err = (if dx > dy { dx } else { -dy }) / 2;
    while x1 != x2 || y1 != y2 {
        plot(x1, y1);
        let e2 = err;
        if e2 > -dx {
            err -= dy;
            x1 += sx;
        }
        if e2 < dy {
            err += dx;
            y1 += sy;
        }
    }
    plot(x2, y2);
}

/// The midpoint walk over one octant that pygame's `draw_circle_filled` and
/// `draw_circle_bresenham_thin` share: after each step calls `each(x, y, f >= 0)`.
fn circle_octant(r: i32, mut each: impl FnMut(i32, i32, bool)) {
    let mut f = 1 - r;
    let mut ddf_x = 0;
    let mut ddf_y = -2 * r;
    let mut x = 0;
    let mut y = r;
    while x < y {
        if f >= 0 {
            y -= 1;
            ddf_y += 2;
            f += ddf_y;
        }
        x += 1;
        ddf_x += 2;
        f += ddf_x + 1;
        each(x, y, f >= 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Rgba = [255, 255, 255, 255];

    fn lit(s: &Surface) -> Vec<(i32, i32)> {
        let mut v: Vec<(i32, i32)> = s.touched().iter().map(|&i| (i as i32 % s.w, i as i32 / s.w)).collect();
        v.sort();
        v
    }

    #[test]
    fn thin_rect_outline_is_filled_as_pygame_does() {
        let mut s = Surface::new(10, 10);
        s.begin();
        s.rect_outline(1, 1, 2, 4, W);
        assert_eq!(lit(&s).len(), 8, "a 2-px wide outline rect is a solid 2×4 block");
        s.begin();
        s.rect_outline(1, 1, 4, 4, W);
        assert_eq!(lit(&s).len(), 12, "a 4×4 border");
        // Clipped to 2 px wide by the canvas edge: filled too.
        s.begin();
        s.rect_outline(-8, 0, 10, 5, W);
        assert_eq!(lit(&s).len(), 10);
    }

    #[test]
    fn non_positive_rects_and_radii_draw_nothing() {
        let mut s = Surface::new(10, 10);
        s.begin();
        s.fill_rect(1, 1, 0, 5, W);
        s.fill_rect(1, 1, 5, -5, W);
        s.rect_outline(1, 1, -3, 3, W);
        s.circle_filled(5, 5, 0, W);
        s.circle_outline(5, 5, 0, W);
        assert!(s.touched().is_empty());
    }

    #[test]
    fn radius_one_circle_is_a_2x2_block() {
        let mut s = Surface::new(6, 6);
        s.begin();
        s.circle_outline(3, 3, 1, W);
        assert_eq!(lit(&s), vec![(2, 2), (2, 3), (3, 2), (3, 3)]);
    }

    #[test]
    fn thick_shallow_lines_grow_vertically_and_steep_ones_horizontally() {
        let mut s = Surface::new(20, 20);
        s.begin();
        s.line(2, 10, 17, 10, 3, W);
        assert!(lit(&s).iter().all(|&(_, y)| (9..=11).contains(&y)));
        assert_eq!(lit(&s).len(), 16 * 3);
        s.begin();
        s.line(10, 2, 10, 17, 4, W);
        // Even widths put the extra pixel on the right: width 4 around x = 10 covers 9..=12.
        assert!(lit(&s).iter().all(|&(x, _)| (9..=12).contains(&x)));
        assert_eq!(lit(&s).len(), 16 * 4);
    }

    #[test]
    fn line_pixels_start_at_the_first_end_and_are_clipped() {
        let s = Surface::new(10, 10);
        let px = s.line_pixels(9, 0, 0, 9);
        assert_eq!(px.first(), Some(&(9, 0)));
        assert_eq!(px.last(), Some(&(0, 9)));
        assert_eq!(px.len(), 10);
        let clipped = s.line_pixels(-50, 5, 50, 5);
        assert_eq!(clipped.len(), 10);
    }

    #[test]
    fn huge_polygons_are_clipped_to_the_canvas() {
        // Only the visible rows are scanned; speed is the benchmark's business, not this test's.
        let mut s = Surface::new(16, 16);
        s.begin();
        s.polygon_filled(&[[-100_000, -100_000], [100_000, -100_000], [0, 100_000]], W);
        assert_eq!(s.touched().len(), 256, "covers the whole canvas");
    }

    #[test]
    fn one_row_polygons_draw_their_span() {
        let mut s = Surface::new(10, 3);
        s.begin();
        s.polygon_filled(&[[2, 1], [7, 1], [4, 1]], W);
        assert_eq!(lit(&s), (2..=7).map(|x| (x, 1)).collect::<Vec<_>>());
    }
}
