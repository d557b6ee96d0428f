//! Palette: at most N colours by clustering the cell colours in Oklab.
//!
//! 1. Cell colours are binned (2 units) and the bins, most populated first, are grouped around
//!    *leaders*: a bin joins the nearest leader within [`LEADER_RADIUS`], else starts a new one.
//!    Leaders are therefore the modes of the colour distribution (the flat areas).
//! 2. Leaders are merged agglomeratively (centroid linkage) until at most N remain and no two are
//!    closer than [`MERGE_DIST`]. Small clusters are cheaper to merge (they are mostly blur mixes),
//!    but a small cluster far from everything — a 1-px star, an eye — survives.
//! 3. The smooth shading field (`shading`) is divided out of the cell colours; each palette entry
//!    is the median of its cluster's corrected cells, snapped to a corrected colour that really
//!    occurs, so flat areas come out exactly flat. Clusters that shading had split and that come
//!    out within [`MERGE_DIST`] of a larger one share its entry.

use crate::color::{cielab, dist2, palette_space};
use std::collections::HashMap;

/// Radius (Oklab ×100) within which a bin joins an existing leader.
const LEADER_RADIUS: f32 = 2.5;
/// Clusters closer than this (Oklab ×100) are merged even when the colour budget is not used up.
const MERGE_DIST: f32 = 3.0;
/// Bin size (Oklab ×100) of the first pass.
const BIN: f32 = 1.5;

/// A colour bin: Oklab ×100 coordinates divided by [`BIN`].
type BinKey = (i32, i32, i32);

struct Cluster {
    mass: f32,
    sum: [f32; 3],
    /// Largest leader inside: its mean and mass (the cluster's mode).
    mode: [f32; 3],
    mode_mass: f32,
    alive: bool,
}

impl Cluster {
    fn mean(&self) -> [f32; 3] {
        [self.sum[0] / self.mass, self.sum[1] / self.mass, self.sum[2] / self.mass]
    }
}

/// More leaders than this and the picture is rich (real SDXL output has 400 and more; flat-colour
/// art, even the synthetic *extreme* setting, about 110 at most): it goes to [`crate::quantize`]
/// without the agglomeration, which keeps m² boundary statistics.
const MAX_LEADERS: usize = 256;
/// Adjacent cells of two clusters that differ by less than this (Oklab ×100, on average) are a
/// smooth shading continuum, not two colours: real colour steps show up between neighbours.
const CONTINUUM: f32 = 2.5;
/// Adjacencies needed before the continuum test applies.
const MIN_ADJ: f32 = 4.0;

/// Merge cost between two clusters: centroid distance, discounted for tiny clusters, and replaced by
/// the mean difference across their shared boundary when that boundary is a smooth continuum.
fn cost(a: &Cluster, b: &Cluster, adj_n: f32, adj_sum: f32) -> f32 {
    let d = dist2(a.mean(), b.mean()).sqrt();
    let m = a.mass.min(b.mass);
    let d = d * (m / (m + 1.0)).sqrt();
    if adj_n >= MIN_ADJ {
        let across = adj_sum / adj_n;
        if across < CONTINUUM {
            return d.min(across);
        }
    }
    d
}

/// Step 1: bins, most populated first, grouped around leaders. Returns the leaders and each
/// cell's leader, or `None` when there are more than [`MAX_LEADERS`] (a rich picture).
fn leaders(lab: &[[f32; 3]]) -> Option<(Vec<Cluster>, Vec<usize>)> {
    let key = |c: [f32; 3]| ((c[0] / BIN).floor() as i32, (c[1] / BIN).floor() as i32, (c[2] / BIN).floor() as i32);
    let mut bins: HashMap<BinKey, (u32, [f32; 3])> = HashMap::new();
    let cell_keys: Vec<BinKey> = lab.iter().map(|c| key(*c)).collect();
    for (c, k) in lab.iter().zip(&cell_keys) {
        let e = bins.entry(*k).or_insert((0, [0.0; 3]));
        e.0 += 1;
        for (s, v) in e.1.iter_mut().zip(c) {
            *s += v;
        }
    }
    let mut order: Vec<(BinKey, u32, [f32; 3])> = bins
        .into_iter()
        .map(|(k, (cnt, s))| (k, cnt, [s[0] / cnt as f32, s[1] / cnt as f32, s[2] / cnt as f32]))
        .collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));

    let r2 = LEADER_RADIUS * LEADER_RADIUS;
    let mut leaders: Vec<Cluster> = Vec::new();
    let mut bin_leader: HashMap<BinKey, usize> = HashMap::with_capacity(order.len());
    for (k, cnt, mean) in &order {
        let mut best = (f32::MAX, usize::MAX);
        for (i, l) in leaders.iter().enumerate() {
            let d = dist2(l.mode, *mean);
            if d < best.0 {
                best = (d, i);
            }
        }
        let m = *cnt as f32;
        let li = if best.0 <= r2 {
            best.1
        } else {
            leaders.push(Cluster { mass: 0.0, sum: [0.0; 3], mode: *mean, mode_mass: 0.0, alive: true });
            leaders.len() - 1
        };
        let l = &mut leaders[li];
        l.mass += m;
        for (s, v) in l.sum.iter_mut().zip(mean) {
            *s += v * m;
        }
        bin_leader.insert(*k, li);
        if leaders.len() > MAX_LEADERS {
            return None;
        }
    }
    for l in leaders.iter_mut() {
        l.mode = l.mean();
        l.mode_mass = l.mass;
    }
    let cell_leader = cell_keys.iter().map(|k| bin_leader[k]).collect();
    Some((leaders, cell_leader))
}

/// A palette for the cells, from [`build`].
pub(crate) struct Built {
    /// sRGB entries, ordered by decreasing use.
    pub palette: Vec<[u8; 3]>,
    /// Each cell's index into `palette`.
    pub indices: Vec<u8>,
    /// The cell colours with the shading divided out (palette space), for the speckle filter.
    pub corrected: Vec<[f32; 3]>,
    /// The flat-colour palette was taken (not the rich one).
    pub flat: bool,
}

/// Build a palette of at most `n` colours for the `size × size` cells.
/// `lab` holds the cells in palette space, `cielab` in CIELAB.
///
/// Flat-colour art (a few colours plus blur and shading, what the model is asked for) goes through
/// the mode-seeking clustering below, which takes only the colours the picture has; a rich
/// picture — more well-populated colours than the budget, or one the flat palette fits badly (a
/// smooth gradient merges into one "shaded" area), or much worse than variance splitting would
/// with the same budget — goes to [`crate::quantize`].
///
/// `auto`: the cells' error curve ([`crate::quantize::error_curve`], up to `n`) for
/// `colors: auto`; a rich picture then gets the [`crate::quantize::knee`] of it instead of the
/// whole budget, starting from the curve's split centres. Without it the curve is measured here,
/// and only for pictures that pass the other tests for flat-colour art.
pub(crate) fn build(
    cells: &[[u8; 3]],
    lab: &[[f32; 3]],
    cielab: &[[f32; 3]],
    size: usize,
    n: usize,
    auto: Option<&crate::quantize::Curve>,
) -> Built {
    let rich = || {
        let (pal, assign) = match auto {
            Some(curve) => crate::quantize::build_from_curve(curve, cielab, size, crate::quantize::knee(&curve.errors)),
            None => crate::quantize::build(cells, cielab, size, n),
        };
        let (palette, indices) = by_use(&pal, &assign);
        Built { palette, indices, corrected: lab.to_vec(), flat: false }
    };
    let Some((leaders, cell_leader)) = leaders(lab) else {
        return rich();
    };
    if top_coverage(&leaders, n) < FLAT_COVERAGE {
        return rich();
    }
    let (palette, indices, corrected) = flat(cells, lab, size, n, leaders, cell_leader);
    let fit = fit_mean(cielab, &palette, &indices);
    if fit > FLAT_FIT {
        return rich();
    }
    let split = match auto {
        Some(curve) => curve.errors[n - 1].0,
        None => crate::quantize::error_curve(cells, cielab, n).errors[n - 1].0,
    };
    if fit > split + FLAT_LOSS {
        return rich();
    }
    Built { palette, indices, corrected, flat: true }
}

/// The mode-seeking palette for flat-colour art.
fn flat(
    cells: &[[u8; 3]],
    lab: &[[f32; 3]],
    size: usize,
    n: usize,
    leaders: Vec<Cluster>,
    cell_leader: Vec<usize>,
) -> (Vec<[u8; 3]>, Vec<u8>, Vec<[f32; 3]>) {
    // Boundary statistics between leaders (right and down neighbours).
    let m = leaders.len();
    let mut adj_n = vec![0f32; m * m];
    let mut adj_sum = vec![0f32; m * m];
    for (i, j) in neighbour_pairs(size) {
        let (a, b) = (cell_leader[i], cell_leader[j]);
        if a != b {
            let d = dist2(lab[i], lab[j]).sqrt();
            adj_n[a * m + b] += 1.0;
            adj_n[b * m + a] += 1.0;
            adj_sum[a * m + b] += d;
            adj_sum[b * m + a] += d;
        }
    }

    // 2. Agglomerative merging with a nearest-neighbour cache.
    let mut cl = leaders;
    let mut owner: Vec<usize> = (0..m).collect();
    let pair = |cl: &[Cluster], adj_n: &[f32], adj_sum: &[f32], i: usize, j: usize| {
        cost(&cl[i], &cl[j], adj_n[i * m + j], adj_sum[i * m + j])
    };
    let recompute = |cl: &[Cluster], adj_n: &[f32], adj_sum: &[f32], i: usize| -> (f32, usize) {
        let mut best = (f32::MAX, usize::MAX);
        for j in 0..m {
            if j != i && cl[j].alive {
                let c = pair(cl, adj_n, adj_sum, i, j);
                if c < best.0 {
                    best = (c, j);
                }
            }
        }
        best
    };
    let mut nn: Vec<(f32, usize)> = (0..m).map(|i| recompute(&cl, &adj_n, &adj_sum, i)).collect();
    let mut alive = m;
    while alive > 1 {
        let mut a = usize::MAX;
        for i in 0..m {
            if cl[i].alive && (a == usize::MAX || nn[i].0 < nn[a].0) {
                a = i;
            }
        }
        let (c, b) = nn[a];
        if alive <= n && c >= MERGE_DIST {
            break;
        }
        // Merge b into a; the merged cluster keeps the heavier mode.
        let (ma, mb) = (cl[a].mode_mass, cl[b].mode_mass);
        let (mode, mode_mass) = if mb > ma { (cl[b].mode, mb) } else { (cl[a].mode, ma) };
        let (bm, bs) = (cl[b].mass, cl[b].sum);
        cl[a].mass += bm;
        for (s, v) in cl[a].sum.iter_mut().zip(bs) {
            *s += v;
        }
        cl[a].mode = mode;
        cl[a].mode_mass = mode_mass;
        cl[b].alive = false;
        for x in 0..m {
            if x == a || x == b {
                continue;
            }
            let (nb, sb) = (adj_n[b * m + x], adj_sum[b * m + x]);
            adj_n[a * m + x] += nb;
            adj_n[x * m + a] += nb;
            adj_sum[a * m + x] += sb;
            adj_sum[x * m + a] += sb;
        }
        for o in owner.iter_mut() {
            if *o == b {
                *o = a;
            }
        }
        alive -= 1;
        nn[a] = recompute(&cl, &adj_n, &adj_sum, a);
        for i in 0..m {
            if i == a || !cl[i].alive {
                continue;
            }
            if nn[i].1 == a || nn[i].1 == b {
                nn[i] = recompute(&cl, &adj_n, &adj_sum, i);
            } else {
                let c = pair(&cl, &adj_n, &adj_sum, i, a);
                if c < nn[i].0 {
                    nn[i] = (c, a);
                }
            }
        }
    }

    // 3. Shading: the smooth brightness field measured across all clusters is divided out of the
    //    cell colours (`shading`), so that an area lying mostly in a darker part of the picture gets
    //    its true colour back. Each cluster's centre is then the per-channel median of its
    //    corrected cells (robust to what shading is left), snapped to the member cell colour
    //    nearest it: a colour that really occurs (exactly the input colour when there is no
    //    shading).
    let clusters: Vec<usize> = (0..m).filter(|&i| cl[i].alive).collect();
    let cell_cluster: Vec<usize> = cell_leader.iter().map(|&l| owner[l]).collect();
    let gain = crate::shading::gains(cells, &cell_cluster, m, size);
    let corrected: Vec<[u8; 3]> = cells
        .iter()
        .zip(&gain)
        // A clipped channel (255) says nothing about the shading: it stays.
        .map(|(c, g)| c.map(|v| if v == 255 { v } else { (v as f32 / g).round().clamp(0.0, 255.0) as u8 }))
        .collect();
    let clab: Vec<[f32; 3]> = corrected
        .iter()
        .zip(cells.iter().zip(lab))
        .map(|(c, (o, l))| if c == o { *l } else { palette_space(*c) })
        .collect();
    let cells = &corrected[..];
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); m];
    for (ci, &c) in cell_cluster.iter().enumerate() {
        members[c].push(ci);
    }
    let mut snap: Vec<(f32, usize)> = vec![(f32::MAX, usize::MAX); m];
    let mut chan = Vec::new();
    for &c in &clusters {
        let mut med = [0u8; 3];
        for (k, v) in med.iter_mut().enumerate() {
            chan.clear();
            chan.extend(members[c].iter().map(|&ci| cells[ci][k]));
            let mid = chan.len() / 2;
            *v = *chan.select_nth_unstable(mid).1;
        }
        let centre = palette_space(med);
        for &ci in &members[c] {
            let d = dist2(clab[ci], centre);
            if d < snap[c].0 {
                snap[c] = (d, ci);
            }
        }
    }
    // 4. Every cell takes its cluster's entry. (Not the nearest entry: along a shading gradient the
    //    far end of a flat area can lie nearer another entry, and the area would break up.)
    //    Clusters that were split by shading (more than MERGE_DIST apart before the correction)
    //    come out nearly equal once it is divided out: a cluster whose entry lies within
    //    MERGE_DIST of a larger cluster's entry shares that entry.
    let mut by_size = clusters.clone();
    by_size.sort_by(|&a, &b| members[b].len().cmp(&members[a].len()).then(a.cmp(&b)));
    let mut pal_rgb: Vec<[u8; 3]> = Vec::new();
    let mut pal_lab: Vec<[f32; 3]> = Vec::new();
    let mut entry = vec![0usize; m];
    for &c in &by_size {
        let (rgb, lab) = (cells[snap[c].1], clab[snap[c].1]);
        entry[c] = match pal_lab.iter().position(|p| dist2(*p, lab) < MERGE_DIST * MERGE_DIST) {
            Some(i) => i,
            None => {
                pal_rgb.push(rgb);
                pal_lab.push(lab);
                pal_rgb.len() - 1
            }
        };
    }
    let assign: Vec<usize> = cell_leader.iter().map(|&l| entry[owner[l]]).collect();
    let (palette, indices) = by_use(&pal_rgb, &assign);
    (palette, indices, clab)
}

/// Share of the cells that the `n` largest leaders hold, below which a picture is rich: flat-colour
/// art has its colours in a few modes (the synthetic set, even at the *extreme* setting: ≥ 0.85),
/// real renders with gradients and soft shading spread them (0.36–0.78 on five real SD renders
/// with at most 768 leaders; the SDXL set's renders all have more than [`MAX_LEADERS`]).
const FLAT_COVERAGE: f32 = 0.8;
/// Mean CIE ΔE76 between the cells and their flat-palette entries above which the flat palette
/// failed the picture (a gradient taken for shading). Flat-colour art stays below it: at most 4.0
/// on 450 synthetic images of all three settings, shading included.
const FLAT_FIT: f32 = 5.0;

/// Mean CIE ΔE76 by which the flat palette may fit the cells worse than variance splitting with the
/// same budget ([`crate::quantize::error_curve`]) and still be taken: it pays for keeping areas
/// flat under uneven lighting (synthetic flat-colour art, all three settings: at most 2.2 worse
/// over 792 images, extreme lighting included). Beyond it the modes were the wrong clusters: an
/// AI picture whose shades the flat palette merged (`unfake_demo-pixel`: 4.8 against 1.1).
const FLAT_LOSS: f32 = 3.0;

/// Share of the cells held by the `n` largest leaders.
fn top_coverage(leaders: &[Cluster], n: usize) -> f32 {
    let mut mass: Vec<f32> = leaders.iter().map(|l| l.mass).collect();
    mass.sort_by(|a, b| b.total_cmp(a));
    let total: f32 = mass.iter().sum();
    mass.iter().take(n).sum::<f32>() / total
}

/// Mean CIE ΔE76 between every cell (CIELAB) and its palette entry.
fn fit_mean(cielab_cells: &[[f32; 3]], palette: &[[u8; 3]], indices: &[u8]) -> f32 {
    let pal: Vec<[f32; 3]> = palette.iter().map(|c| cielab(*c)).collect();
    let sum: f32 = cielab_cells.iter().zip(indices).map(|(c, &i)| dist2(*c, pal[i as usize]).sqrt()).sum();
    sum / cielab_cells.len().max(1) as f32
}

/// Every pair of 4-neighbouring cells of a `size × size` grid, each once: (cell, right or lower
/// neighbour).
pub(crate) fn neighbour_pairs(size: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..size * size).flat_map(move |i| {
        let (x, y) = (i % size, i / size);
        [(x + 1 < size).then_some(i + 1), (y + 1 < size).then_some(i + size)].into_iter().flatten().map(move |j| (i, j))
    })
}

/// Palette ordered by decreasing use (unused entries dropped) and the cells' indices into it.
/// [`by_use`] for cells that already index a palette: drops unused entries, reorders by use.
pub(crate) fn by_use_of(palette: &[[u8; 3]], indices: &[u8]) -> (Vec<[u8; 3]>, Vec<u8>) {
    let assign: Vec<usize> = indices.iter().map(|&i| usize::from(i)).collect();
    by_use(palette, &assign)
}

fn by_use(pal_rgb: &[[u8; 3]], assign: &[usize]) -> (Vec<[u8; 3]>, Vec<u8>) {
    let mut counts = vec![0usize; pal_rgb.len()];
    for a in assign {
        counts[*a] += 1;
    }
    let mut rank: Vec<usize> = (0..pal_rgb.len()).filter(|&i| counts[i] > 0).collect();
    rank.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(pal_rgb[a].cmp(&pal_rgb[b])));
    let mut remap = vec![0u8; pal_rgb.len()];
    for (new, &old) in rank.iter().enumerate() {
        remap[old] = new as u8;
    }
    let palette = rank.iter().map(|&i| pal_rgb[i]).collect();
    let indices = assign.iter().map(|&a| remap[a]).collect();
    (palette, indices)
}

/// Detail-guarded speckle filter: a cell that differs from all 8 neighbours is set to the
/// neighbours' majority only when its own colour is within `guard` (Oklab ×100) of that entry —
/// a shading split, not a real 1-px detail. Returns the number of cells changed.
pub(crate) fn despeckle(indices: &mut [u8], size: usize, lab: &[[f32; 3]], palette: &[[u8; 3]], guard: f32) -> usize {
    let pal_lab: Vec<[f32; 3]> = palette.iter().map(|c| palette_space(*c)).collect();
    let src = indices.to_vec();
    let mut changed = 0;
    let mut votes = vec![0u8; palette.len()];
    for y in 0..size {
        for x in 0..size {
            let me = src[y * size + x];
            votes.iter_mut().for_each(|v| *v = 0);
            let mut same = false;
            let mut total = 0u8;
            for dy in -1i32..=1 {
                for dx in -1i32..=1 {
                    if dx == 0 && dy == 0 {
                        continue;
                    }
                    let (nx, ny) = (x as i32 + dx, y as i32 + dy);
                    if nx < 0 || ny < 0 || nx >= size as i32 || ny >= size as i32 {
                        continue;
                    }
                    let v = src[ny as usize * size + nx as usize];
                    same |= v == me;
                    votes[v as usize] += 1;
                    total += 1;
                }
            }
            if same || total == 0 {
                continue;
            }
            let (maj, cnt) = votes
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
                .map(|(i, c)| (i, *c))
                .unwrap_or((0, 0));
            if cnt * 2 > total && dist2(lab[y * size + x], pal_lab[maj]).sqrt() <= guard {
                indices[y * size + x] = maj as u8;
                changed += 1;
            }
        }
    }
    changed
}
