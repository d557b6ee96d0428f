//! The static part of every frame, built once per window size: the original's night-sky gradient with
//! diagonal stripes, aura and vignette (original-behaviour.md §8.3), the glass panels with their shadows,
//! and the glowing frame around the canvas. `compose` starts each frame by copying this buffer.

use crate::{layout::Geo, palette, raster::rgb, Rect};

/// Signed distance from (px, py) to a rounded rectangle (negative inside).
fn sdf(r: Rect, radius: f32, px: f32, py: f32) -> f32 {
    let cx = r.x as f32 + r.w as f32 / 2.0;
    let cy = r.y as f32 + r.h as f32 / 2.0;
    let hx = r.w as f32 / 2.0 - radius;
    let hy = r.h as f32 / 2.0 - radius;
    let qx = (px - cx).abs() - hx;
    let qy = (py - cy).abs() - hy;
    let ox = qx.max(0.0);
    let oy = qy.max(0.0);
    (ox * ox + oy * oy).sqrt() + qx.max(qy).min(0.0) - radius
}

fn channels(c: u32) -> [f32; 3] {
    [((c >> 16) & 255) as f32, ((c >> 8) & 255) as f32, (c & 255) as f32]
}

fn pack(c: [f32; 3]) -> u32 {
    let q = |v: f32| v.round().clamp(0.0, 255.0) as u8;
    rgb(q(c[0]), q(c[1]), q(c[2]))
}

fn over(dst: [f32; 3], src: u32, a: f32) -> [f32; 3] {
    let s = channels(src);
    [dst[0] + (s[0] - dst[0]) * a, dst[1] + (s[1] - dst[1]) * a, dst[2] + (s[2] - dst[2]) * a]
}

/// Smooth falloff 1 → 0 over `t` in 0..1 (a polynomial, so it is exact on every platform).
fn falloff(t: f32) -> f32 {
    let t = t.clamp(0.0, 1.0);
    let s = 1.0 - t;
    s * s * s
}

pub(crate) fn build(g: &Geo, w: u32, h: u32) -> Vec<u32> {
    let (wf, hf) = (w as f32, h as f32);
    let u = g.u as f32;
    let top = channels(palette::BG);
    let mid = channels(palette::BG_MID);
    let bottom = channels(palette::BG_BOTTOM);
    let stripe_every = (70 * g.u) as i32;
    let stripe_w = (3 * g.u) as i32;
    let (ax, ay, ar) = (0.22 * wf, 0.28 * hf, 0.55 * wf.max(hf));
    let mut px = vec![0u32; (w * h) as usize];

    // Shapes, each tested only inside its own reach.
    let panels = [g.header, g.footer, g.now, g.queue];
    let panel_radius = 14.0 * u;
    let shadow_reach = 22.0 * u;
    let shadow_dy = 6.0 * u;
    let frame_radius = 16.0 * u;
    let glow_reach = 60.0 * u;

    for y in 0..h {
        let t = y as f32 / hf;
        let base = if t < 0.55 {
            let k = t / 0.55;
            [top[0] + (mid[0] - top[0]) * k, top[1] + (mid[1] - top[1]) * k, top[2] + (mid[2] - top[2]) * k]
        } else {
            let k = (t - 0.55) / 0.45;
            [mid[0] + (bottom[0] - mid[0]) * k, mid[1] + (bottom[1] - mid[1]) * k, mid[2] + (bottom[2] - mid[2]) * k]
        };
        let py = y as f32 + 0.5;
        for x in 0..w {
            let pxf = x as f32 + 0.5;
            let mut c = base;
            if ((x as i32 + y as i32) % stripe_every) < stripe_w {
                c = over(c, palette::STRIPE, 26.0 / 255.0);
            }
            let d = ((pxf - ax).powi(2) + (py - ay).powi(2)).sqrt() / ar;
            c = over(c, palette::AURA, 0.30 * falloff(d));
            let nx = pxf / wf * 2.0 - 1.0;
            let ny = py / hf * 2.0 - 1.0;
            let v = 1.0 - 0.28 * (nx * nx + ny * ny) * 0.5;
            c = [c[0] * v, c[1] * v, c[2] * v];

            // Canvas frame: glow, then the frame body and its accent outline.
            let fr = g.frame;
            if pxf > (fr.x as f32 - glow_reach)
                && pxf < (fr.right() as f32 + glow_reach)
                && py > (fr.y as f32 - glow_reach)
                && py < (fr.bottom() as f32 + glow_reach)
            {
                let d = sdf(fr, frame_radius, pxf, py);
                if d > 0.0 {
                    let gl = falloff(d / glow_reach) * 0.32;
                    let s = channels(palette::GLOW);
                    c = [c[0] + s[0] * gl, c[1] + s[1] * gl, c[2] + s[2] * gl];
                }
                let cov = (0.5 - d).clamp(0.0, 1.0);
                if cov > 0.0 {
                    c = over(c, palette::FRAME, cov * 235.0 / 255.0);
                    let ring = (2.0 * u + 0.5 + d).clamp(0.0, 1.0) * cov;
                    c = over(c, palette::ACCENT, ring * 0.9);
                }
            }
            for p in &panels {
                if pxf < p.x as f32 - shadow_reach
                    || pxf > p.right() as f32 + shadow_reach
                    || py < p.y as f32 - shadow_reach
                    || py > p.bottom() as f32 + shadow_reach + shadow_dy
                {
                    continue;
                }
                let ds = sdf(*p, panel_radius, pxf, py - shadow_dy);
                if ds > -shadow_reach {
                    let a = 0.5 * falloff((ds + 4.0 * u).max(0.0) / shadow_reach);
                    c = over(c, 0x000000, a);
                }
                let d = sdf(*p, panel_radius, pxf, py);
                let cov = (0.5 - d).clamp(0.0, 1.0);
                if cov > 0.0 {
                    c = over(c, palette::PANEL, cov * palette::PANEL_ALPHA as f32 / 255.0);
                    let ring = (u.max(1.0) + 0.5 + d).clamp(0.0, 1.0) * cov;
                    c = over(c, palette::ACCENT, ring * 0.55);
                    // A faint highlight along the top edge: glass.
                    if py < p.y as f32 + 2.0 * u + 1.0 && d < -u {
                        c = over(c, palette::FG, 0.05);
                    }
                }
            }
            px[(y * w + x) as usize] = pack(c);
        }
    }
    // The canvas well is an exact, opaque rectangle, so the blit covers it pixel for pixel.
    let cr = g.canvas;
    for y in cr.y.max(0)..cr.bottom().min(h as i32) {
        let row = (y as u32 * w) as usize;
        px[row + cr.x.max(0) as usize..row + cr.right().min(w as i32) as usize].fill(palette::CANVAS_BACK);
    }
    px
}
