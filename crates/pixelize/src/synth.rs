//! Ground truth for measuring [`crate::pixelize`]: synthetic pixel art, a corruption model that
//! imitates `nerijs/pixel-art-xl` output, a scorer, and the original service's method.
//!
//! Everything is deterministic for a seed (a small xorshift generator, no external RNG), pure, and
//! shared by the tests and the `bench` example.
//!
//! * [`truth`]: 96×96 (or any size) pictures of flat regions, rectangles, ellipses, 1-cell lines and
//!   30 isolated 1-px details, in 8..=`max_colors` colours at least 12 ΔE76 apart. The 12-colour
//!   benchmark uses truths of at most 12 colours (DESIGN.md §6: a 12-colour budget cannot keep a
//!   13th colour).
//! * [`corrupt`]: ×8 nearest upscale, global sub-cell shift, smooth wobble field, slight pitch drift,
//!   Gaussian blur, low-frequency multiplicative shading and Gaussian pixel noise, with a
//!   [`Corruption::mild`] and a [`Corruption::harsh`] setting.
//! * [`score`]: acc5 (share of cells within ΔE76 5 of the truth), 1-px detail retention (isolated
//!   truth cells that differ from all 8 neighbours by > 10 ΔE must come back within 5 ΔE), and
//!   whether the output has the truth's size.
//! * [`original_method`]: the original service's ImageToCanvas (nearest 768→96, then a 12-colour
//!   median cut), reimplemented for comparison.

use crate::color::{cielab, delta_e76, dist2};

/// xorshift64* — small, fast, deterministic; good enough for test pictures.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        // Spread the seed (splitmix64) so that nearby seeds give unrelated streams.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    pub fn f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.f32()
    }
    /// Uniform integer in lo..=hi.
    pub fn int(&mut self, lo: i32, hi: i32) -> i32 {
        lo + (self.next_u64() % ((hi - lo + 1) as u64)) as i32
    }
    /// Standard normal (Box–Muller).
    pub fn gauss(&mut self) -> f32 {
        let u1 = self.f32().max(1e-7);
        let u2 = self.f32();
        (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
    }
}

/// A ground-truth picture: `size × size` indices into `palette`.
#[derive(Clone, Debug)]
pub struct Truth {
    pub size: usize,
    pub palette: Vec<[u8; 3]>,
    pub indices: Vec<u8>,
}

impl Truth {
    /// `size * size * 3` RGB bytes.
    pub fn to_rgb(&self) -> Vec<u8> {
        self.indices.iter().flat_map(|&i| self.palette[i as usize]).collect()
    }
}

/// Generate a ground-truth picture of `size × size` cells with 8..=`max_colors` colours.
pub fn truth(seed: u64, size: usize, max_colors: usize) -> Truth {
    let mut rng = Rng::new(seed);
    let max_colors = max_colors.clamp(2, 256);
    let k = rng.int(8.min(max_colors) as i32, max_colors as i32) as usize;
    let mut palette: Vec<[u8; 3]> = Vec::new();
    let mut tries = 0;
    while palette.len() < k && tries < 100_000 {
        tries += 1;
        let c = [rng.int(0, 255) as u8, rng.int(0, 255) as u8, rng.int(0, 255) as u8];
        if palette.iter().all(|p| delta_e76(*p, c) >= 12.0) {
            palette.push(c);
        }
    }
    let k = palette.len();
    let n = size as i32;
    let mut idx = vec![0u8; size * size];
    let put = |idx: &mut Vec<u8>, x: i32, y: i32, c: u8| {
        if x >= 0 && y >= 0 && x < n && y < n {
            idx[(y * n + x) as usize] = c;
        }
    };
    // A ground band, then shapes back to front.
    let ground = rng.int(n / 2, n - n / 8);
    let gc = rng.int(1, k as i32 - 1) as u8;
    for y in ground..n {
        for x in 0..n {
            put(&mut idx, x, y, gc);
        }
    }
    let shapes = rng.int(8, 15);
    for _ in 0..shapes {
        let c = rng.int(0, k as i32 - 1) as u8;
        match rng.int(0, 2) {
            0 => {
                let (w, h) = (rng.int(3, n * 2 / 5), rng.int(3, n * 2 / 5));
                let (x0, y0) = (rng.int(-w / 2, n - w / 2), rng.int(-h / 2, n - h / 2));
                for y in y0..y0 + h {
                    for x in x0..x0 + w {
                        put(&mut idx, x, y, c);
                    }
                }
            }
            1 => {
                let (rx, ry) = (rng.range(2.0, n as f32 / 5.0), rng.range(2.0, n as f32 / 5.0));
                let (cx, cy) = (rng.range(0.0, n as f32), rng.range(0.0, n as f32));
                for y in 0..n {
                    for x in 0..n {
                        let (dx, dy) = ((x as f32 + 0.5 - cx) / rx, (y as f32 + 0.5 - cy) / ry);
                        if dx * dx + dy * dy <= 1.0 {
                            put(&mut idx, x, y, c);
                        }
                    }
                }
            }
            _ => {
                // 1-cell line (Bresenham).
                let (mut x0, mut y0) = (rng.int(0, n - 1), rng.int(0, n - 1));
                let (x1, y1) = (rng.int(0, n - 1), rng.int(0, n - 1));
                let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
                let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
                let mut err = dx + dy;
                loop {
                    put(&mut idx, x0, y0, c);
                    if x0 == x1 && y0 == y1 {
                        break;
                    }
                    let e2 = 2 * err;
                    if e2 >= dy {
                        err += dy;
                        x0 += sx;
                    }
                    if e2 <= dx {
                        err += dx;
                        y0 += sy;
                    }
                }
            }
        }
    }
    // Isolated 1-px details: a colour that differs from all 8 neighbours, never touching another.
    let mut taken = vec![false; size * size];
    let mut placed = 0;
    let mut attempts = 0;
    while placed < 30 && attempts < 3000 && n >= 3 {
        attempts += 1;
        let (x, y) = (rng.int(1, n - 2), rng.int(1, n - 2));
        let mut neigh = Vec::with_capacity(8);
        let mut free = true;
        for dy in -1..=1 {
            for dx in -1..=1 {
                let j = ((y + dy) * n + x + dx) as usize;
                free &= !taken[j];
                if (dx, dy) != (0, 0) {
                    neigh.push(idx[j]);
                }
            }
        }
        if !free {
            continue;
        }
        let c = rng.int(0, k as i32 - 1) as u8;
        if neigh.contains(&c) {
            continue;
        }
        for dy in -1..=1 {
            for dx in -1..=1 {
                taken[((y + dy) * n + x + dx) as usize] = true;
            }
        }
        idx[(y * n + x) as usize] = c;
        placed += 1;
    }
    Truth { size, palette, indices: idx }
}

/// How strongly [`corrupt`] damages a picture.
#[derive(Clone, Debug, PartialEq)]
pub struct Corruption {
    /// Largest global shift of the grid, in output pixels (uniform in ±shift per axis).
    pub shift: f32,
    /// Amplitude of the smooth wobble field, in output pixels.
    pub wobble: f32,
    /// Largest relative pitch error per axis (0.004 = ±3 px at the far edge of 768).
    pub drift: f32,
    /// Gaussian blur sigma, in output pixels.
    pub blur: f32,
    /// Amplitude of the low-frequency multiplicative shading (0.05 = ±5 %).
    pub shading: f32,
    /// Gaussian pixel noise sigma, in 8-bit levels.
    pub noise: f32,
}

impl Corruption {
    /// Mild: wobble ±0.5 px, blur σ 0.8, shading ±3 %, noise σ 3, no drift.
    pub fn mild() -> Self {
        Corruption { shift: 3.0, wobble: 0.5, drift: 0.0, blur: 0.8, shading: 0.03, noise: 3.0 }
    }
    /// Harsh: pitch drift ±0.4 %, wobble ±1.2 px, blur σ 1.2, shading ±6 %, noise σ 4.
    pub fn harsh() -> Self {
        Corruption { shift: 3.0, wobble: 1.2, drift: 0.004, blur: 1.2, shading: 0.06, noise: 4.0 }
    }
}

impl Corruption {
    /// Beyond the targets, to show where the method degrades: drift ±1 %, wobble ±2 px, blur σ 1.6,
    /// shading ±8 %, noise σ 6.
    pub fn extreme() -> Self {
        Corruption { shift: 3.0, wobble: 2.0, drift: 0.01, blur: 1.6, shading: 0.08, noise: 6.0 }
    }
}

/// A smooth field in −1..1: three random plane waves of at most `max_cycles` cycles per image.
struct Field([(f32, f32, f32, f32); 3]);

impl Field {
    fn new(rng: &mut Rng, max_cycles: f32) -> Self {
        let mut w = [(0.0, 0.0, 0.0, 0.0); 3];
        for e in w.iter_mut() {
            *e = (
                rng.range(-max_cycles, max_cycles),
                rng.range(-max_cycles, max_cycles),
                rng.range(0.0, std::f32::consts::TAU),
                rng.range(0.3, 1.0),
            );
        }
        Field(w)
    }
    /// Value at (u, v) in image fractions 0..1.
    fn at(&self, u: f32, v: f32) -> f32 {
        let total: f32 = self.0.iter().map(|w| w.3).sum();
        self.0.iter().map(|&(fu, fv, ph, a)| a * (std::f32::consts::TAU * (fu * u + fv * v) + ph).sin()).sum::<f32>()
            / total
    }
}

/// Render `truth` at `scale`× (8 for 96 → 768) with the damage of `c`. Returns RGB bytes of
/// `(size * scale)²` pixels.
pub fn corrupt(truth: &Truth, scale: usize, c: &Corruption, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed ^ 0xC0FF_EE00_D15E_A5E5);
    let n = truth.size;
    let w = n * scale;
    let (sx, sy) = (rng.range(-c.shift, c.shift), rng.range(-c.shift, c.shift));
    let (ex, ey) = (rng.range(-c.drift, c.drift), rng.range(-c.drift, c.drift));
    let (fx, fy) = (Field::new(&mut rng, 2.0), Field::new(&mut rng, 2.0));
    let shade = Field::new(&mut rng, 1.5);
    let mut img = vec![0f32; w * w * 3];
    let s = scale as f32;
    for y in 0..w {
        for x in 0..w {
            let (u, v) = (x as f32 / w as f32, y as f32 / w as f32);
            let px = (x as f32 + 0.5 - sx - c.wobble * fx.at(u, v)) / (1.0 + ex);
            let py = (y as f32 + 0.5 - sy - c.wobble * fy.at(u, v)) / (1.0 + ey);
            let cx = ((px / s).floor() as isize).clamp(0, n as isize - 1) as usize;
            let cy = ((py / s).floor() as isize).clamp(0, n as isize - 1) as usize;
            let col = truth.palette[truth.indices[cy * n + cx] as usize];
            let o = (y * w + x) * 3;
            for k in 0..3 {
                img[o + k] = col[k] as f32;
            }
        }
    }
    if c.blur > 0.0 {
        blur(&mut img, w, c.blur);
    }
    let mut out = vec![0u8; w * w * 3];
    for y in 0..w {
        for x in 0..w {
            let m = 1.0 + c.shading * shade.at(x as f32 / w as f32, y as f32 / w as f32);
            let o = (y * w + x) * 3;
            for k in 0..3 {
                let v = img[o + k] * m + c.noise * rng.gauss();
                out[o + k] = v.round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    out
}

/// Separable Gaussian blur of an RGB f32 image, edges clamped.
fn blur(img: &mut [f32], w: usize, sigma: f32) {
    let r = (3.0 * sigma).ceil() as isize;
    let mut k: Vec<f32> = (-r..=r).map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp()).collect();
    let sum: f32 = k.iter().sum();
    k.iter_mut().for_each(|v| *v /= sum);
    let mut tmp = vec![0f32; img.len()];
    blur_pass(img, &mut tmp, w, &k, false);
    blur_pass(&tmp, img, w, &k, true);
}

/// One 1-D pass of [`blur`] with kernel `k` (odd length, centred), along columns when `vertical`
/// and along rows otherwise, from `src` into `dst`.
fn blur_pass(src: &[f32], dst: &mut [f32], w: usize, k: &[f32], vertical: bool) {
    let r = (k.len() / 2) as isize;
    let wi = w as isize;
    for y in 0..w {
        for x in 0..w {
            let mut acc = [0f32; 3];
            for (t, kv) in k.iter().enumerate() {
                let o = if vertical {
                    let yy = (y as isize + t as isize - r).clamp(0, wi - 1) as usize;
                    (yy * w + x) * 3
                } else {
                    let xx = (x as isize + t as isize - r).clamp(0, wi - 1) as usize;
                    (y * w + xx) * 3
                };
                for c in 0..3 {
                    acc[c] += kv * src[o + c];
                }
            }
            dst[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&acc);
        }
    }
}

/// How close an output is to its truth.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    /// Share of cells within ΔE76 5 of the truth.
    pub acc5: f64,
    /// Share of isolated truth details (differ from all 8 neighbours by > 10 ΔE) that came back
    /// within ΔE 5; 1.0 when the truth has none.
    pub detail: f64,
    /// Number of isolated truth details.
    pub details: usize,
    /// The output had exactly the truth's size.
    pub size_ok: bool,
}

/// Score `out` (RGB, `out_size²` cells) against `truth`. An output of the wrong size is
/// nearest-resized to the truth's size first (and `size_ok` is false).
pub fn score(truth: &Truth, out: &[u8], out_size: usize) -> Score {
    let n = truth.size;
    let t_lab: Vec<[f32; 3]> = truth.indices.iter().map(|&i| cielab(truth.palette[i as usize])).collect();
    let o_lab: Vec<[f32; 3]> = (0..n * n)
        .map(|i| {
            let (x, y) = (i % n, i / n);
            let (ox, oy) = (x * out_size / n, y * out_size / n);
            let o = (oy * out_size + ox) * 3;
            cielab([out[o], out[o + 1], out[o + 2]])
        })
        .collect();
    let ok = |i: usize| dist2(t_lab[i], o_lab[i]) <= 25.0;
    let acc = (0..n * n).filter(|&i| ok(i)).count() as f64 / (n * n) as f64;
    let (mut details, mut kept) = (0usize, 0usize);
    for y in 1..n.saturating_sub(1) {
        for x in 1..n - 1 {
            let i = y * n + x;
            let isolated = (-1i32..=1).all(|dy| {
                (-1i32..=1).all(|dx| {
                    let j = ((y as i32 + dy) as usize) * n + (x as i32 + dx) as usize;
                    (dx, dy) == (0, 0) || dist2(t_lab[i], t_lab[j]) > 100.0
                })
            });
            if isolated {
                details += 1;
                kept += ok(i) as usize;
            }
        }
    }
    Score {
        acc5: acc,
        detail: if details == 0 { 1.0 } else { kept as f64 / details as f64 },
        details,
        size_ok: out_size == n,
    }
}

/// The original service's method: nearest-neighbour resize to `size` (one sample per cell, at the
/// cell centre as Pillow's NEAREST does), then a `colors`-colour median cut (split the most
/// populated box along its widest channel at the median; each entry is its box's mean). Returns RGB
/// bytes of `size²` cells.
pub fn original_method(rgb: &[u8], width: usize, height: usize, size: usize, colors: usize) -> Vec<u8> {
    let mut px: Vec<[u8; 3]> = Vec::with_capacity(size * size);
    for j in 0..size {
        let y = (((j as f64 + 0.5) * height as f64 / size as f64) as usize).min(height - 1);
        for i in 0..size {
            let x = (((i as f64 + 0.5) * width as f64 / size as f64) as usize).min(width - 1);
            let o = (y * width + x) * 3;
            px.push([rgb[o], rgb[o + 1], rgb[o + 2]]);
        }
    }
    // Median cut over the sampled pixels (indices into px).
    let mut boxes: Vec<Vec<usize>> = vec![(0..px.len()).collect()];
    while boxes.len() < colors {
        let pick = boxes
            .iter()
            .enumerate()
            .filter(|(_, b)| b.len() > 1 && (0..3).any(|c| b.iter().any(|&i| px[i][c] != px[b[0]][c])))
            .max_by_key(|(i, b)| (b.len(), usize::MAX - i))
            .map(|(i, _)| i);
        let Some(bi) = pick else { break };
        let mut b = boxes.swap_remove(bi);
        let range = |c: usize| {
            let (lo, hi) = b.iter().fold((255u8, 0u8), |(lo, hi), &i| (lo.min(px[i][c]), hi.max(px[i][c])));
            hi - lo
        };
        let ch = (0..3).max_by_key(|&c| (range(c), 3 - c)).unwrap_or(0);
        b.sort_by_key(|&i| (px[i][ch], i));
        let hi = b.split_off(b.len() / 2);
        boxes.push(b);
        boxes.push(hi);
    }
    let mut out = vec![0u8; size * size * 3];
    for b in &boxes {
        let mut sum = [0u64; 3];
        for &i in b {
            for c in 0..3 {
                sum[c] += px[i][c] as u64;
            }
        }
        let mean = [0, 1, 2].map(|c| ((sum[c] + b.len() as u64 / 2) / b.len() as u64) as u8);
        for &i in b {
            out[i * 3..i * 3 + 3].copy_from_slice(&mean);
        }
    }
    out
}
