//! Palette for rich pictures: real SDXL output has gradients, soft shading and thousands of colours,
//! far more than the budget, so the palette is chosen to lose as little as possible.
//!
//! 1. The cell colours, in CIELAB (the space the result is judged in), are counted per distinct
//!    colour.
//! 2. Variance splitting (in the manner of Wu's quantizer): the cluster with the largest weighted
//!    error is cut along its principal axis where the two halves' error is least, until the budget
//!    is used or nothing is left worth splitting. A gradient becomes a few bands.
//! 3. Lloyd iterations (weighted k-means) polish the centres; a colour that is still far from
//!    every entry (an eye, an outline) takes an entry of its own.
//! 4. Each centre is snapped to the member cell colour nearest it (a colour that really occurs),
//!    every cell takes its nearest entry, and a strong edge that fell inside one entry is split
//!    again when the second-nearest entry fits the worse side almost as well.

use crate::color::dist2;
use crate::palette::neighbour_pairs;
use std::collections::HashMap;

/// Neighbouring cells whose colours differ by more than this (CIE ΔE76) form a strong edge.
const STRONG_EDGE: f32 = 20.0;
/// A cluster whose RMS spread is below this (ΔE76) is not split: it is one colour with noise.
const MIN_SPREAD: f32 = 2.0;
/// Most Lloyd iterations after the split (they converge in a few; each costs ~0.2 ms at 768²).
const LLOYD_ITERS: usize = 8;
/// Lloyd iterations after a rescue: enough for the neighbours of the new entry to settle.
const RESCUE_ITERS: usize = 3;
/// A cell on a strong edge that shares its neighbour's entry moves to its second-nearest entry
/// when that is at most this much farther (ΔE76) than the nearest.
const EDGE_SLACK: f32 = 30.0;

/// One distinct cell colour and how many cells have it.
struct Point {
    lab: [f32; 3],
    w: f32,
    rgb: [u8; 3],
}

/// Palette of at most `n` entries for the `size × size` cells (sRGB, and `lab` in CIELAB), and
/// each cell's entry. Entries are unordered; every entry is some cell's colour.
pub(crate) fn build(cells: &[[u8; 3]], lab: &[[f32; 3]], size: usize, n: usize) -> (Vec<[u8; 3]>, Vec<usize>) {
    // Distinct colours with their counts.
    let mut index: HashMap<[u8; 3], usize> = HashMap::new();
    let mut points: Vec<Point> = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        let k = *index.entry(*c).or_insert_with(|| {
            points.push(Point { lab: lab[i], w: 0.0, rgb: *c });
            points.len() - 1
        });
        points[k].w += 1.0;
    }

    let mut centres = split(&points, n);
    lloyd(&points, &mut centres, LLOYD_ITERS);
    rescue_salient(&points, &mut centres, n);

    // Snap every centre to the nearest colour that occurs among its members.
    let owner: Vec<usize> = points.iter().map(|p| nearest(&centres, p.lab).0).collect();
    let mut snap: Vec<(f32, usize)> = vec![(f32::MAX, usize::MAX); centres.len()];
    for (pi, p) in points.iter().enumerate() {
        let d = dist2(p.lab, centres[owner[pi]]);
        if d < snap[owner[pi]].0 {
            snap[owner[pi]] = (d, pi);
        }
    }
    let mut palette: Vec<[u8; 3]> = Vec::new();
    let mut pal_lab: Vec<[f32; 3]> = Vec::new();
    for &(_, pi) in snap.iter().filter(|s| s.1 != usize::MAX) {
        if !palette.contains(&points[pi].rgb) {
            palette.push(points[pi].rgb);
            pal_lab.push(points[pi].lab);
        }
    }

    // Nearest entry per cell, then keep strong edges apart where it costs little.
    let mut assign: Vec<usize> = lab.iter().map(|c| nearest(&pal_lab, *c).0).collect();
    if pal_lab.len() > 1 {
        keep_edges(lab, &pal_lab, &mut assign, size);
    }
    (palette, assign)
}

/// Index and squared distance of the nearest centre.
fn nearest(centres: &[[f32; 3]], c: [f32; 3]) -> (usize, f32) {
    let mut best = (0, f32::MAX);
    for (k, m) in centres.iter().enumerate() {
        let d = dist2(*m, c);
        if d < best.1 {
            best = (k, d);
        }
    }
    best
}

/// Weighted sums of a cluster: enough for its mean and squared error.
#[derive(Clone, Copy, Default)]
struct Moments {
    w: f64,
    s: [f64; 3],
    ss: f64,
}

impl Moments {
    fn add(&mut self, p: &Point) {
        self.w += p.w as f64;
        for k in 0..3 {
            self.s[k] += (p.w * p.lab[k]) as f64;
        }
        self.ss += (p.w * (p.lab[0] * p.lab[0] + p.lab[1] * p.lab[1] + p.lab[2] * p.lab[2])) as f64;
    }
    fn sse(&self) -> f64 {
        if self.w <= 0.0 {
            return 0.0;
        }
        let s2 = self.s[0] * self.s[0] + self.s[1] * self.s[1] + self.s[2] * self.s[2];
        (self.ss - s2 / self.w).max(0.0)
    }
    fn mean(&self) -> [f32; 3] {
        [0, 1, 2].map(|k| (self.s[k] / self.w) as f32)
    }
}

/// Variance splitting: returns at most `n` centres.
fn split(points: &[Point], n: usize) -> Vec<[f32; 3]> {
    let mut clusters: Vec<Vec<usize>> = vec![(0..points.len()).collect()];
    let moments = |c: &[usize]| {
        let mut m = Moments::default();
        c.iter().for_each(|&i| m.add(&points[i]));
        m
    };
    let mut stats: Vec<Moments> = vec![moments(&clusters[0])];
    while clusters.len() < n {
        let Some((k, _)) = stats
            .iter()
            .enumerate()
            .filter(|(k, m)| clusters[*k].len() > 1 && m.sse() / m.w > (MIN_SPREAD * MIN_SPREAD) as f64)
            .max_by(|a, b| a.1.sse().total_cmp(&b.1.sse()))
        else {
            break;
        };
        let members = std::mem::take(&mut clusters[k]);
        let (lo, hi) = cut(points, members, &stats[k]);
        stats[k] = moments(&lo);
        clusters[k] = lo;
        stats.push(moments(&hi));
        clusters.push(hi);
    }
    stats.iter().map(Moments::mean).collect()
}

/// Cut a cluster in two along its principal axis, where the summed error of the halves is least.
fn cut(points: &[Point], mut members: Vec<usize>, m: &Moments) -> (Vec<usize>, Vec<usize>) {
    let mean = m.mean();
    let mut cov = [[0f64; 3]; 3];
    for &i in &members {
        let p = &points[i];
        let d = [0, 1, 2].map(|k| (p.lab[k] - mean[k]) as f64);
        for a in 0..3 {
            for b in 0..3 {
                cov[a][b] += p.w as f64 * d[a] * d[b];
            }
        }
    }
    // Power iteration from the widest channel.
    let mut v = [0f64; 3];
    v[(0..3).max_by(|&a, &b| cov[a][a].total_cmp(&cov[b][b])).unwrap_or(0)] = 1.0;
    for _ in 0..8 {
        let nv = [0, 1, 2].map(|a| cov[a][0] * v[0] + cov[a][1] * v[1] + cov[a][2] * v[2]);
        let len = (nv[0] * nv[0] + nv[1] * nv[1] + nv[2] * nv[2]).sqrt();
        if len <= 1e-12 {
            break;
        }
        v = nv.map(|x| x / len);
    }
    let mut keyed: Vec<(f64, usize)> =
        members.iter().map(|&i| ((0..3).map(|k| points[i].lab[k] as f64 * v[k]).sum::<f64>(), i)).collect();
    keyed.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    members.clear();
    members.extend(keyed.iter().map(|k| k.1));
    // Scan the cut positions with prefix moments.
    let mut left = Moments::default();
    let mut best = (f64::MAX, 1);
    for (pos, &i) in members.iter().enumerate().take(members.len() - 1) {
        left.add(&points[i]);
        let right = Moments { w: m.w - left.w, s: [0, 1, 2].map(|k| m.s[k] - left.s[k]), ss: m.ss - left.ss };
        let e = left.sse() + right.sse();
        if e < best.0 {
            best = (e, pos + 1);
        }
    }
    let hi = members.split_off(best.1);
    (members, hi)
}

/// Weighted Lloyd iterations; a centre that loses all its members keeps its place.
fn lloyd(points: &[Point], centres: &mut [[f32; 3]], iters: usize) {
    let mut owner = vec![usize::MAX; points.len()];
    for _ in 0..iters {
        let mut changed = false;
        let mut acc = vec![Moments::default(); centres.len()];
        for (pi, p) in points.iter().enumerate() {
            let k = nearest(centres, p.lab).0;
            changed |= owner[pi] != k;
            owner[pi] = k;
            acc[k].add(p);
        }
        for (c, m) in centres.iter_mut().zip(&acc) {
            if m.w > 0.0 {
                *c = m.mean();
            }
        }
        if !changed {
            break;
        }
    }
}

/// A colour farther than this (ΔE76) from every entry is lost from the picture.
const LOST: f32 = 20.0;
/// Most lost colours given an entry of their own.
const MAX_RESCUES: usize = 3;

/// Squared-error criteria sacrifice a tiny colour (two eye cells) to split a large gradient once
/// more; a viewer notices the missing eye, not the band. While some colour is farther than
/// [`LOST`] from every entry, it takes a place: a free one, or that of the entry whose members
/// lose least when they move to their second-nearest entry.
fn rescue_salient(points: &[Point], centres: &mut Vec<[f32; 3]>, n: usize) {
    for _ in 0..MAX_RESCUES {
        let (worst, d2) = points
            .iter()
            .enumerate()
            .map(|(i, p)| (i, nearest(centres, p.lab).1))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, 0.0));
        if d2 <= LOST * LOST {
            return;
        }
        let lost = points[worst].lab;
        if centres.len() < n {
            centres.push(lost);
        } else {
            // Cost of dropping each entry: its members' extra error at their second-nearest entry.
            let mut cost = vec![0f64; centres.len()];
            for p in points {
                let (mut first, mut second) = ((0, f32::MAX), f32::MAX);
                for (k, c) in centres.iter().enumerate() {
                    let d = dist2(*c, p.lab);
                    if d < first.1 {
                        second = first.1;
                        first = (k, d);
                    } else if d < second {
                        second = d;
                    }
                }
                let second = second.min(dist2(lost, p.lab));
                cost[first.0] += (p.w * (second - first.1)) as f64;
            }
            let k = (0..centres.len()).min_by(|&a, &b| cost[a].total_cmp(&cost[b])).unwrap_or(0);
            centres[k] = lost;
        }
        lloyd(points, centres, RESCUE_ITERS);
    }
}

/// A strong edge between two cells that got the same entry is lost in the output; when the
/// second-nearest entry fits the worse-fitting side within [`EDGE_SLACK`], that side moves to it.
fn keep_edges(lab: &[[f32; 3]], pal: &[[f32; 3]], assign: &mut [usize], size: usize) {
    for (i, j) in neighbour_pairs(size) {
        if assign[i] != assign[j] || dist2(lab[i], lab[j]) <= STRONG_EDGE * STRONG_EDGE {
            continue;
        }
        let e = assign[i];
        let (di, dj) = (dist2(lab[i], pal[e]).sqrt(), dist2(lab[j], pal[e]).sqrt());
        let (c, worse) = if di >= dj { (i, di) } else { (j, dj) };
        let second = pal
            .iter()
            .enumerate()
            .filter(|&(k, _)| k != e)
            .map(|(k, p)| (k, dist2(lab[c], *p)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((k, _)) = second.filter(|s| s.1.sqrt() <= worse + EDGE_SLACK) {
            assign[c] = k;
        }
    }
}
