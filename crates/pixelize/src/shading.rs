//! Low-frequency shading: a smooth multiplicative brightness field over the picture.
//!
//! Pseudo pixel art is often lit unevenly (the corruption model imitates that with a smooth ±6 %
//! field in the harsh setting). A flat area that lies mostly in a darker part of the picture then has a darker
//! median than its true colour — for a bright colour, a 5 % shading is over ΔE 5. Within every area
//! the field shows up as a brightness trend, and it is continuous across area boundaries, so it can
//! be measured: the log brightness of every interior cell (its 4 neighbours are in the same
//! cluster) is fitted as `field(x, y) + offset(cluster)`, the field a sum of low-frequency cosines
//! (up to [`ORDER`] half-cycles per axis, no constant term), the offsets one per cluster. The field
//! is then shifted to a mean of zero over the picture (a uniformly brighter picture cannot be told
//! from brighter colours) and returned as a per-cell gain.

/// Highest cosine order per axis (half-cycles per picture side).
const ORDER: usize = 4;
/// Side of the blocks (in cells) over which cells are averaged before the fit.
const BLOCK: usize = 4;
/// Clusters with fewer interior cells get no offset and do not take part.
const MIN_CLUSTER: usize = 24;
/// Ridge on the field coefficients, relative to the total weight: with little evidence the field
/// stays flat.
const RIDGE: f64 = 2e-3;
/// Largest correction (log gain): beyond that the "shading" is something else.
const MAX_LOG_GAIN: f32 = 0.15;

/// Per-cell gain (≈ 1) of the shading field. `cluster[i]` is cell i's cluster (any ids below
/// `n_clusters`); cells are row-major `size × size`. Returns all ones when there is too little to
/// fit.
pub(crate) fn gains(cells: &[[u8; 3]], cluster: &[usize], n_clusters: usize, size: usize) -> Vec<f32> {
    let ones = vec![1.0f32; size * size];
    if size < 2 * BLOCK {
        return ones;
    }
    // Interior cells, their log brightness, per cluster.
    let bright = |c: [u8; 3]| -> Option<f32> {
        let s = c[0] as u32 + c[1] as u32 + c[2] as u32;
        // Dark cells have poor relative precision; a clipped channel hides the gain.
        (s >= 60 && c.iter().all(|&v| v < 255)).then(|| (s as f32).ln())
    };
    let mut count = vec![0usize; n_clusters];
    let mut interior = vec![false; size * size];
    for y in 1..size - 1 {
        for x in 1..size - 1 {
            let i = y * size + x;
            let c = cluster[i];
            let inside = cluster[i - 1] == c && cluster[i + 1] == c && cluster[i - size] == c && cluster[i + size] == c;
            if inside && bright(cells[i]).is_some() {
                interior[i] = true;
                count[c] += 1;
            }
        }
    }
    let mut col = vec![usize::MAX; n_clusters];
    let mut n_off = 0;
    for c in 0..n_clusters {
        if count[c] >= MIN_CLUSTER {
            col[c] = n_off;
            n_off += 1;
        }
    }
    if n_off == 0 {
        return ones;
    }
    // Rows: (block, cluster) averages of log brightness.
    let nb = size.div_ceil(BLOCK);
    let mut rows: Vec<(f32, f32, usize, f64, f64)> = Vec::new(); // u, v, offset column, mean r, weight
    let mut acc: Vec<(f64, f64, f64, f64)> = vec![(0.0, 0.0, 0.0, 0.0); n_off]; // Σu, Σv, Σr, n
    for by in 0..nb {
        for bx in 0..nb {
            acc.iter_mut().for_each(|a| *a = (0.0, 0.0, 0.0, 0.0));
            for y in by * BLOCK..((by + 1) * BLOCK).min(size) {
                for x in bx * BLOCK..((bx + 1) * BLOCK).min(size) {
                    let i = y * size + x;
                    if !interior[i] || col[cluster[i]] == usize::MAX {
                        continue;
                    }
                    let r = bright(cells[i]).unwrap_or(0.0) as f64;
                    let a = &mut acc[col[cluster[i]]];
                    a.0 += (x as f64 + 0.5) / size as f64;
                    a.1 += (y as f64 + 0.5) / size as f64;
                    a.2 += r;
                    a.3 += 1.0;
                }
            }
            for (k, a) in acc.iter().enumerate() {
                if a.3 > 0.0 {
                    rows.push(((a.0 / a.3) as f32, (a.1 / a.3) as f32, k, a.2 / a.3, a.3));
                }
            }
        }
    }
    let nf = (ORDER + 1) * (ORDER + 1) - 1;
    let np = nf + n_off;
    let basis = |u: f32, v: f32, out: &mut [f64]| {
        let mut cu = [0.0f64; ORDER + 1];
        let mut cv = [0.0f64; ORDER + 1];
        for k in 0..=ORDER {
            cu[k] = (std::f64::consts::PI * k as f64 * u as f64).cos();
            cv[k] = (std::f64::consts::PI * k as f64 * v as f64).cos();
        }
        let products = cv.iter().flat_map(|y| cu.iter().map(move |x| x * y)).skip(1);
        for (o, p) in out.iter_mut().zip(products) {
            *o = p;
        }
    };
    let total_w: f64 = rows.iter().map(|r| r.4).sum();
    let mut phi = vec![0.0f64; nf];
    let mut coef = vec![0.0f64; np];
    let mut robust = vec![1.0f64; rows.len()];
    for pass in 0..2 {
        let mut a = vec![0.0f64; np * np];
        let mut b = vec![0.0f64; np];
        for (ri, &(u, v, k, r, w)) in rows.iter().enumerate() {
            basis(u, v, &mut phi);
            let w = w * robust[ri];
            let oc = nf + k;
            for p in 0..nf {
                let wp = w * phi[p];
                for q in p..nf {
                    a[p * np + q] += wp * phi[q];
                }
                a[p * np + oc] += wp;
                b[p] += wp * r;
            }
            a[oc * np + oc] += w;
            b[oc] += w * r;
        }
        for p in 0..np {
            for q in 0..p {
                a[p * np + q] = a[q * np + p];
            }
        }
        for p in 0..nf {
            a[p * np + p] += RIDGE * total_w;
        }
        match solve(&mut a, &mut b, np) {
            Some(x) => coef = x,
            None => return ones,
        }
        if pass == 0 {
            // Down-weight blocks that do not follow the field (a cluster that holds two colours).
            for (ri, &(u, v, k, r, _)) in rows.iter().enumerate() {
                basis(u, v, &mut phi);
                let f: f64 = phi.iter().zip(&coef).map(|(p, c)| p * c).sum::<f64>() + coef[nf + k];
                let e = (r - f) / 0.01;
                robust[ri] = 1.0 / (1.0 + e * e);
            }
        }
    }
    // The field at every cell, shifted to mean zero.
    let mut cu = vec![[0.0f32; ORDER + 1]; size];
    for (x, c) in cu.iter_mut().enumerate() {
        for (k, v) in c.iter_mut().enumerate() {
            *v = (std::f32::consts::PI * k as f32 * (x as f32 + 0.5) / size as f32).cos();
        }
    }
    let mut field = vec![0.0f32; size * size];
    for y in 0..size {
        for x in 0..size {
            let mut f = 0.0f32;
            let mut j = 0;
            for ky in 0..=ORDER {
                for kx in 0..=ORDER {
                    if kx + ky > 0 {
                        f += coef[j] as f32 * cu[x][kx] * cu[y][ky];
                        j += 1;
                    }
                }
            }
            field[y * size + x] = f;
        }
    }
    let mean = field.iter().sum::<f32>() / field.len() as f32;
    field.iter().map(|f| (f - mean).clamp(-MAX_LOG_GAIN, MAX_LOG_GAIN).exp()).collect()
}

/// Solve the symmetric positive (semi-)definite system `a x = b` (`n × n`, row-major) by Gaussian
/// elimination with partial pivoting. `None` when singular.
fn solve(a: &mut [f64], b: &mut [f64], n: usize) -> Option<Vec<f64>> {
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| a[i * n + c].abs().total_cmp(&a[j * n + c].abs()))?;
        if a[p * n + c].abs() < 1e-12 {
            return None;
        }
        if p != c {
            for k in 0..n {
                a.swap(p * n + k, c * n + k);
            }
            b.swap(p, c);
        }
        let d = a[c * n + c];
        for r in c + 1..n {
            let f = a[r * n + c] / d;
            if f == 0.0 {
                continue;
            }
            for k in c..n {
                a[r * n + k] -= f * a[c * n + k];
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = vec![0.0f64; n];
    for c in (0..n).rev() {
        let s: f64 = (c + 1..n).map(|k| a[c * n + k] * x[k]).sum();
        x[c] = (b[c] - s) / a[c * n + c];
    }
    Some(x)
}
