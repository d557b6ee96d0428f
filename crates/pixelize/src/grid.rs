//! Grid detection: where the cell boundaries of the pseudo pixel art lie.
//!
//! Per axis, a global comb (pitch and phase) is fitted to the gradient-profile impulses with a
//! Rayleigh test (the phase-circle idea described in anchors.md §2); then, in bands across the other
//! axis, each comb line is snapped to the nearby edge and the offsets are smoothed, which follows the
//! generator's smooth wobble and slight pitch drift while staying exactly `size` cells long.

/// A borrowed 8-bit RGB image, row-major, no padding.
#[derive(Clone, Copy)]
pub(crate) struct Rgb<'a> {
    pub data: &'a [u8],
    pub w: usize,
    pub h: usize,
}

/// How the grid of one axis was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GridKind {
    /// Pitch and phase measured from the picture's edges, lines snapped locally.
    Measured,
    /// No usable edges: plain division of the axis into `size` equal cells.
    Plain,
}

/// The fitted grid of one axis: `size + 1` line positions per band of the other axis.
pub(crate) struct AxisGrid {
    pub kind: GridKind,
    /// Fitted global pitch in pixels.
    pub pitch: f32,
    /// Position of line 0 of the global comb (the left/top edge of cell 0).
    pub start: f32,
    /// Rayleigh statistic of the comb fit (higher = more regular edges; < 5 ≈ no grid).
    pub score: f32,
    /// Band length along the other axis, in pixels.
    pub band_len: f32,
    /// `lines[b * (size + 1) + k]`: position of line k in band b.
    pub lines: Vec<f32>,
    pub size: usize,
    pub bands: usize,
}

impl AxisGrid {
    /// Line positions (size + 1 values) at coordinate `t` along the other axis, interpolated
    /// between band centres.
    pub fn lines_at(&self, t: f32, out: &mut Vec<f32>) {
        out.clear();
        let n = self.size + 1;
        let u = (t / self.band_len - 0.5).clamp(0.0, (self.bands - 1) as f32);
        let b0 = u.floor() as usize;
        let b1 = (b0 + 1).min(self.bands - 1);
        let f = u - b0 as f32;
        let l0 = &self.lines[b0 * n..(b0 + 1) * n];
        let l1 = &self.lines[b1 * n..(b1 + 1) * n];
        out.extend(l0.iter().zip(l1).map(|(a, b)| a + (b - a) * f));
    }
}

/// Gradient profiles: `col[b * w + x]` sums |I(x) − I(x−1)| over the rows of band b;
/// `row[b * h + y]` sums |I(y) − I(y−1)| over the columns of band b.
pub(crate) struct Profiles {
    pub col: Vec<f32>,
    pub row: Vec<f32>,
    pub bands_y: usize,
    pub bands_x: usize,
}

pub(crate) fn profiles(img: Rgb<'_>, bands_y: usize, bands_x: usize) -> Profiles {
    let (w, h) = (img.w, img.h);
    let mut col = vec![0u32; bands_y * w];
    let mut row = vec![0u32; bands_x * h];
    let xs: Vec<usize> = (0..=bands_x).map(|b| b * w / bands_x).collect();
    for y in 0..h {
        let by = y * bands_y / h;
        let cur = &img.data[y * w * 3..(y + 1) * w * 3];
        let acc = &mut col[by * w..(by + 1) * w];
        for x in 1..w {
            let (a, b) = (&cur[3 * x - 3..3 * x], &cur[3 * x..3 * x + 3]);
            acc[x] += a[0].abs_diff(b[0]) as u32 + a[1].abs_diff(b[1]) as u32 + a[2].abs_diff(b[2]) as u32;
        }
        if y > 0 {
            let prev = &img.data[(y - 1) * w * 3..y * w * 3];
            for b in 0..bands_x {
                let (s, e) = (xs[b] * 3, xs[b + 1] * 3);
                let sum: u32 = cur[s..e].iter().zip(&prev[s..e]).map(|(p, q)| p.abs_diff(*q) as u32).sum();
                row[b * h + y] = sum;
            }
        }
    }
    Profiles {
        col: col.into_iter().map(|v| v as f32).collect(),
        row: row.into_iter().map(|v| v as f32).collect(),
        bands_y,
        bands_x,
    }
}

fn median(v: &[f32]) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    let mid = s.len() / 2;
    let (_, m, _) = s.select_nth_unstable_by(mid, |a, b| a.total_cmp(b));
    *m
}

/// Sub-pixel position of the peak at integer `x` by a parabola through x−1, x, x+1.
fn subpixel(p: &[f32], x: usize) -> f32 {
    if x == 0 || x + 1 >= p.len() {
        return x as f32;
    }
    let (l, c, r) = (p[x - 1], p[x], p[x + 1]);
    let den = l - 2.0 * c + r;
    if den.abs() < 1e-6 {
        return x as f32;
    }
    x as f32 + (0.5 * (l - r) / den).clamp(-0.5, 0.5)
}

/// Edge impulses of a profile: non-maximum-suppressed peaks above the noise floor, appended to
/// `out` as (sub-pixel position, weight). The weight is the square root of the height above the
/// floor, so that a few long, high-contrast edges (a horizon) do not outvote all the others.
fn impulses(p: &[f32], out: &mut Vec<(f32, f32)>) {
    if p.len() < 3 {
        return;
    }
    let floor = median(&p[1..]);
    let thr = 2.0 * floor + 1.0;
    for x in 1..p.len() {
        let v = p[x] - thr;
        if v <= 0.0 {
            continue;
        }
        let lo = x.saturating_sub(2).max(1);
        let hi = (x + 2).min(p.len() - 1);
        let is_max = (lo..x).all(|i| p[i] < p[x]) && (x + 1..=hi).all(|i| p[i] <= p[x]);
        if is_max {
            out.push((subpixel(p, x), v.sqrt()));
        }
    }
}

/// Impulses grouped per whole pixel (weighted mean position, summed weight), with the effective
/// number of independent impulses `n_eff = (Σw)² / Σw²` of the ungrouped set. Grouping makes the
/// pitch search ~10× cheaper and changes R by well under 1 %.
struct Comb {
    groups: Vec<(f64, f64)>,
    n_eff: f64,
    total: f64,
}

impl Comb {
    fn new(imp: &[(f32, f32)], len: usize) -> Comb {
        let mut acc = vec![(0.0f64, 0.0f64); len + 1];
        let (mut sw, mut sw2) = (0.0f64, 0.0f64);
        for &(x, w) in imp {
            let (x, w) = (x as f64, w as f64);
            let a = &mut acc[(x.max(0.0) as usize).min(len)];
            a.0 += w * x;
            a.1 += w;
            sw += w;
            sw2 += w * w;
        }
        let groups = acc.into_iter().filter(|a| a.1 > 0.0).map(|(wx, w)| (wx / w, w)).collect();
        Comb { groups, n_eff: if sw2 > 0.0 { sw * sw / sw2 } else { 0.0 }, total: sw }
    }

    /// Rayleigh statistic on a comb of pitch `p`: (z, resultant length R, phase in 0..p).
    fn rayleigh(&self, p: f32) -> (f32, f32, f32) {
        if self.total <= 0.0 {
            return (0.0, 0.0, 0.0);
        }
        let k = std::f64::consts::TAU / p as f64;
        let (mut c, mut s) = (0.0f64, 0.0f64);
        for &(x, w) in &self.groups {
            let (sn, cs) = (x * k).sin_cos();
            c += w * cs;
            s += w * sn;
        }
        let r = (c * c + s * s).sqrt() / self.total;
        let mut phase = s.atan2(c) / k;
        if phase < 0.0 {
            phase += p as f64;
        }
        ((self.n_eff * r * r) as f32, r as f32, phase as f32)
    }
}

/// Relative pitch search range around `side / size`.
pub(crate) const PITCH_RANGE: f32 = 0.04;

/// Minimum Rayleigh z for a measured grid (gridless noise scores about 1–4).
pub(crate) const MIN_GRID_SCORE: f32 = 8.0;
/// Minimum resultant length R (0..1) for a measured grid: long edges seen in many bands inflate z,
/// but only a real comb lines the impulses up.
pub(crate) const MIN_RESULTANT: f32 = 0.3;

/// Fit the grid of one axis. `bands` holds `nb` band profiles of length `len` each.
pub(crate) fn fit_axis(bands: &[f32], nb: usize, len: usize, other_len: usize, size: usize) -> AxisGrid {
    let p0 = len as f32 / size as f32;
    // Impulses band by band: within a band the wobble is nearly constant, so edges stay sharp.
    let mut imp = Vec::new();
    for b in 0..nb {
        impulses(&bands[b * len..(b + 1) * len], &mut imp);
    }
    let comb = Comb::new(&imp, len);

    // Coarse then fine pitch search around the nominal pitch.
    // Search ±PITCH_RANGE around the nominal pitch with a soft prior towards it (a smeared comb can
    // show a spurious peak far from the truth; the prior halves z at the ends of the range).
    let prior = |p: f32| 1.0 - 0.5 * ((p / p0 - 1.0) / PITCH_RANGE).powi(2);
    let mut best = (f32::MIN, p0, 0.0f32, 0.0f32, 0.0f32);
    if p0 >= 2.0 {
        let steps = (PITCH_RANGE / 0.001).round() as i32;
        for i in -steps..=steps {
            let p = p0 * (1.0 + i as f32 * 0.001);
            let (z, r, ph) = comb.rayleigh(p);
            if z * prior(p) > best.0 {
                best = (z * prior(p), p, ph, r, z);
            }
        }
        let pc = best.1;
        for i in -10..=10 {
            let p = pc * (1.0 + i as f32 * 0.0001);
            let (z, r, ph) = comb.rayleigh(p);
            if z * prior(p) > best.0 {
                best = (z * prior(p), p, ph, r, z);
            }
        }
    }
    let (_, mut pitch, mut phase, r, score) = best;
    let n_imp = imp.len();
    let kind = if p0 >= 2.0 && score >= MIN_GRID_SCORE && r >= MIN_RESULTANT && n_imp >= 4 {
        GridKind::Measured
    } else {
        // No pitch near the nominal one: the picture's own cells (if any) have another size, and
        // snapping `size` cells to their edges would only make cells of uneven width. Equal
        // division samples the picture evenly.
        pitch = p0;
        phase = 0.0;
        GridKind::Plain
    };
    // Line 0 is the comb line nearest the image edge (pixel-art-xl cells start at the edge), unless
    // the `size` cells miss the axis length by more than a cell and a half (the picture is not
    // `size` cells wide): then they are centred.
    let slack = len as f32 - size as f32 * pitch;
    let target = if slack.abs() > 1.5 * pitch { slack / 2.0 } else { 0.0 };
    let start = phase + pitch * ((target - phase) / pitch).round();

    let band_len = other_len as f32 / nb as f32;
    let n = size + 1;
    let mut lines = vec![0.0f32; nb * n];
    for b in 0..nb {
        for k in 0..n {
            lines[b * n + k] = start + k as f32 * pitch;
        }
    }
    if kind != GridKind::Plain {
        snap_lines(bands, nb, len, pitch, &mut lines, n);
    }
    AxisGrid { kind, pitch, start, score, band_len, lines, size, bands: nb }
}

/// Snap each comb line to the local edge in every band, then smooth the offsets over
/// neighbouring lines and bands (the distortion is smooth; single measurements are noisy).
fn snap_lines(bands: &[f32], nb: usize, len: usize, pitch: f32, lines: &mut [f32], n: usize) {
    let mut off = vec![0.0f32; nb * n];
    let mut wt = vec![0.0f32; nb * n];
    let win = 0.4 * pitch;
    for b in 0..nb {
        let prof = &bands[b * len..(b + 1) * len];
        let floor = median(&prof[1..]);
        for k in 0..n {
            let c = lines[b * n + k];
            let lo = ((c - win).ceil().max(1.0)) as usize;
            let hi = ((c + win).floor().min((len - 1) as f32)) as isize;
            if hi < lo as isize {
                continue;
            }
            let hi = hi as usize;
            let mut bx = lo;
            for x in lo..=hi {
                if prof[x] > prof[bx] {
                    bx = x;
                }
            }
            let s = prof[bx] - 2.0 * floor - 1.0;
            if s <= 0.0 {
                continue;
            }
            let pos = subpixel(prof, bx);
            off[b * n + k] = pos - c;
            wt[b * n + k] = s;
        }
    }
    let mean_w = {
        let (s, c) = wt.iter().filter(|w| **w > 0.0).fold((0.0, 0), |(s, c), w| (s + w, c + 1));
        if c > 0 {
            s / c as f32
        } else {
            1.0
        }
    };
    let prior = 1e-3 * mean_w;
    let smooth = |resid_w: &dyn Fn(usize) -> f32| -> Vec<f32> {
        let (rk, rb) = (5isize, 2isize);
        let mut out = vec![0.0f32; nb * n];
        for b in 0..nb as isize {
            for k in 0..n as isize {
                let (mut sw, mut so) = (prior, 0.0f32);
                for db in -rb..=rb {
                    let bb = b + db;
                    if bb < 0 || bb >= nb as isize {
                        continue;
                    }
                    for dk in -rk..=rk {
                        let kk = k + dk;
                        if kk < 0 || kk >= n as isize {
                            continue;
                        }
                        let i = bb as usize * n + kk as usize;
                        if wt[i] <= 0.0 {
                            continue;
                        }
                        let g = (-(dk * dk) as f32 / (2.0 * 2.5 * 2.5) - (db * db) as f32 / 2.0).exp();
                        let w = g * wt[i] * resid_w(i);
                        sw += w;
                        so += w * off[i];
                    }
                }
                out[b as usize * n + k as usize] = so / sw;
            }
        }
        out
    };
    let first = smooth(&|_| 1.0);
    let second = smooth(&|i| {
        let r = off[i] - first[i];
        1.0 / (1.0 + r * r)
    });
    for b in 0..nb {
        let mut prev = f32::MIN;
        for k in 0..n {
            let i = b * n + k;
            let mut v = lines[i] + second[i];
            if v < prev + 0.5 * pitch {
                v = prev + 0.5 * pitch;
            }
            lines[i] = v;
            prev = v;
        }
    }
}

/// Mean gradient on the fitted lines divided by the mean gradient half-way between them.
pub(crate) fn edge_contrast(bands: &[f32], g: &AxisGrid, len: usize) -> f32 {
    let n = g.size + 1;
    let (mut on, mut mid) = (0.0f64, 0.0f64);
    for b in 0..g.bands {
        let prof = &bands[b * len..(b + 1) * len];
        let l = &g.lines[b * n..(b + 1) * n];
        for k in 0..g.size {
            let x = l[k].round();
            let m = ((l[k] + l[k + 1]) / 2.0).round();
            if x >= 1.0 && (x as usize) < len && m >= 1.0 && (m as usize) < len {
                on += prof[x as usize] as f64;
                mid += prof[m as usize] as f64;
            }
        }
    }
    if mid <= 0.0 {
        if on > 0.0 {
            99.0
        } else {
            1.0
        }
    } else {
        ((on / mid) as f32).min(99.0)
    }
}
