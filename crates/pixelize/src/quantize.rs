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
//!
//! The splitting of step 2, measured after every cut ([`error_curve`]), gives the error of every
//! palette size up to the budget: `colors: auto` takes its [`knee`], and the flat palette is
//! checked against it.

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
    let points = distinct(cells, lab);
    let centres = split(&points, n);
    polish(&points, centres, lab, size, n)
}

/// [`build`] with `k` colours from the splitting already done by [`error_curve`].
pub(crate) fn build_from_curve(curve: &Curve, lab: &[[f32; 3]], size: usize, k: usize) -> (Vec<[u8; 3]>, Vec<usize>) {
    polish(&curve.points, curve.centres[k - 1].clone(), lab, size, k)
}

/// Steps 3 and 4 of [`build`] from the split centres.
fn polish(
    points: &[Point],
    mut centres: Vec<[f32; 3]>,
    lab: &[[f32; 3]],
    size: usize,
    n: usize,
) -> (Vec<[u8; 3]>, Vec<usize>) {
    lloyd(points, &mut centres, LLOYD_ITERS);
    rescue_salient(points, &mut centres, n);

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

/// Distinct cell colours with their counts, in order of first occurrence.
fn distinct(cells: &[[u8; 3]], lab: &[[f32; 3]]) -> Vec<Point> {
    let mut index: HashMap<[u8; 3], usize> = HashMap::new();
    let mut points: Vec<Point> = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        let k = *index.entry(*c).or_insert_with(|| {
            points.push(Point { lab: lab[i], w: 0.0, rgb: *c });
            points.len() - 1
        });
        points[k].w += 1.0;
    }
    points
}

/// A cell farther than this (CIE ΔE76) from its palette colour shows as another colour.
pub(crate) const FAR: f32 = 10.0;

/// The variance splitting of the cells' colours, step by step, for `colors: auto`: how well `k`
/// colours hold the cells for every `k` up to the ceiling, and the split centres of each, so that
/// the rich palette of the chosen size starts from them instead of splitting again.
pub(crate) struct Curve {
    points: Vec<Point>,
    /// Entry `k - 1`: (mean CIE ΔE76 between each cell and the mean of its cluster, share of the
    /// cells farther than [`FAR`] from it) with `k` clusters.
    pub errors: Vec<(f32, f32)>,
    /// Entry `k - 1`: the centres after `k - 1` cuts (fewer than `k` once nothing was left to split).
    centres: Vec<Vec<[f32; 3]>>,
}

/// The [`Curve`] for every `k` in `1..=max`.
///
/// The clusters are the steps of the variance splitting of [`build`] (each cell measured against
/// the mean of its own cluster, before any polishing), so the whole curve costs about one
/// splitting: when a cluster is cut, only its members are measured again. Once nothing is left
/// worth splitting (every cluster is one colour with noise) the curve stays flat.
pub(crate) fn error_curve(cells: &[[u8; 3]], lab: &[[f32; 3]], max: usize) -> Curve {
    let points = distinct(cells, lab);
    let total: f64 = points.iter().map(|p| p.w as f64).sum();
    let mut dist = vec![0f32; points.len()];
    let (mut sum_d, mut sum_far) = (0f64, 0f64);
    // Add (sign 1, after measuring against `mean`) or remove (sign −1) members' contributions.
    let mut account = |members: &[usize], mean: Option<[f32; 3]>, dist: &mut [f32], sign: f64| {
        for &i in members {
            if let Some(mean) = mean {
                dist[i] = dist2(points[i].lab, mean).sqrt();
            }
            let w = points[i].w as f64 * sign;
            sum_d += w * dist[i] as f64;
            if dist[i] > FAR {
                sum_far += w;
            }
        }
        ((sum_d / total) as f32, (sum_far / total) as f32)
    };
    let mut s = Splitting::new(&points);
    let mut errors = vec![account(&s.clusters[0], Some(s.stats[0].mean()), &mut dist, 1.0)];
    let mut centres = vec![s.centres()];
    while errors.len() < max {
        let Some(k) = s.step() else {
            break;
        };
        let last = s.clusters.len() - 1;
        // Both halves were one cluster: take out what they were, measure them anew.
        account(&s.clusters[k], None, &mut dist, -1.0);
        account(&s.clusters[last], None, &mut dist, -1.0);
        account(&s.clusters[k], Some(s.stats[k].mean()), &mut dist, 1.0);
        errors.push(account(&s.clusters[last], Some(s.stats[last].mean()), &mut dist, 1.0));
        centres.push(s.centres());
    }
    let (last_e, last_c) = (errors[errors.len() - 1], centres[centres.len() - 1].clone());
    errors.resize(max, last_e);
    centres.resize(max, last_c);
    Curve { points, errors, centres }
}

/// `colors: auto` takes the smallest palette whose mean error is within this (CIE ΔE76, over the
/// cells) of the error at the ceiling: half a just-noticeable difference, on average.
pub(crate) const AUTO_MEAN_MARGIN: f32 = 1.0;
/// … and that shows no more than this share of the cells (0.2 %, 18 of 96²) as another colour
/// (farther than [`FAR`]) than the ceiling does: a small area of its own colour (an eye, a
/// flower, a short outline) moves the mean very little but is what a viewer misses first.
pub(crate) const AUTO_FAR_MARGIN: f32 = 0.002;

/// The palette size `colors: auto` takes from an [`error_curve`] (entry `k - 1` for `k` colours):
/// the smallest `k` within [`AUTO_MEAN_MARGIN`] and [`AUTO_FAR_MARGIN`] of the last entry.
pub(crate) fn knee(curve: &[(f32, f32)]) -> usize {
    let Some(&(mean, far)) = curve.last() else {
        return 1;
    };
    curve.iter().position(|&(m, f)| m <= mean + AUTO_MEAN_MARGIN && f <= far + AUTO_FAR_MARGIN).unwrap_or(0) + 1
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
    let mut s = Splitting::new(points);
    while s.clusters.len() < n && s.step().is_some() {}
    s.centres()
}

/// The state of a variance splitting: clusters of points and their moments.
struct Splitting<'a> {
    points: &'a [Point],
    clusters: Vec<Vec<usize>>,
    stats: Vec<Moments>,
}

impl<'a> Splitting<'a> {
    /// One cluster holding every point.
    fn new(points: &'a [Point]) -> Self {
        let clusters = vec![(0..points.len()).collect::<Vec<_>>()];
        let stats = vec![Self::moments(points, &clusters[0])];
        Splitting { points, clusters, stats }
    }

    fn moments(points: &[Point], members: &[usize]) -> Moments {
        let mut m = Moments::default();
        members.iter().for_each(|&i| m.add(&points[i]));
        m
    }

    /// Cut the cluster with the largest squared error (among those spreading more than
    /// [`MIN_SPREAD`]): its lower half stays at its index, the upper half becomes the last
    /// cluster. Returns the index, or `None` when nothing is worth splitting.
    fn step(&mut self) -> Option<usize> {
        let (k, _) = self
            .stats
            .iter()
            .enumerate()
            .filter(|(k, m)| self.clusters[*k].len() > 1 && m.sse() / m.w > (MIN_SPREAD * MIN_SPREAD) as f64)
            .max_by(|a, b| a.1.sse().total_cmp(&b.1.sse()))?;
        let members = std::mem::take(&mut self.clusters[k]);
        let (lo, hi) = cut(self.points, members, &self.stats[k]);
        self.stats[k] = Self::moments(self.points, &lo);
        self.clusters[k] = lo;
        self.stats.push(Self::moments(self.points, &hi));
        self.clusters.push(hi);
        Some(k)
    }

    fn centres(&self) -> Vec<[f32; 3]> {
        self.stats.iter().map(Moments::mean).collect()
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::color::cielab;

    #[test]
    fn knee_takes_the_smallest_palette_within_the_margins() {
        // Mean ΔE and far share for k = 1..=5: from k = 3 on the gain is below ΔE 1.
        let curve = [(20.0, 0.5), (5.0, 0.1), (1.5, 0.001), (1.2, 0.0), (1.0, 0.0)];
        assert_eq!(knee(&curve), 3);
        // Nothing to gain: one colour.
        assert_eq!(knee(&[(0.8, 0.0), (0.8, 0.0)]), 1);
    }

    #[test]
    fn a_small_area_of_its_own_colour_keeps_its_entry() {
        // k = 2 is within ΔE 1 on average, but 1 % of the cells would show as another colour.
        let curve = [(20.0, 0.5), (1.5, 0.01), (1.2, 0.0)];
        assert_eq!(knee(&curve), 3);
    }

    #[test]
    fn three_noisy_colours_curve_flattens_at_three() {
        let base = [[200u8, 40, 40], [40, 160, 60], [40, 60, 200]];
        let cells: Vec<[u8; 3]> =
            (0..96 * 96).map(|i| base[i % 3].map(|v| v.saturating_add((i * 7 % 5) as u8))).collect();
        let lab: Vec<[f32; 3]> = cells.iter().map(|c| cielab(*c)).collect();
        let curve = error_curve(&cells, &lab, 12).errors;
        assert_eq!(curve.len(), 12);
        assert!(curve[1].0 > 10.0 && curve[2].0 < 2.0, "{curve:?}");
        assert!(curve.windows(2).all(|w| w[1].0 <= w[0].0 + 1e-3), "the curve only goes down: {curve:?}");
        assert_eq!(knee(&curve), 3);
    }
}
