//! Per-image scores and quality reports on the synthetic ground truth, for tuning.
//!
//! `cargo run --release -p pixelize --example diag -- [mild|harsh|extreme] [IMAGES]`

use pixelize::synth::{corrupt, score, truth, Corruption};
use pixelize::{pixelize, Options};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let c = match args.get(1).map(String::as_str) {
        Some("mild") => Corruption::mild(),
        Some("extreme") => Corruption::extreme(),
        _ => Corruption::harsh(),
    };
    let images: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(64);
    if let Some(seed) = std::env::var("DIAG_SEED").ok().and_then(|s| s.parse().ok()) {
        detail_for(seed, &c);
        return;
    }
    for seed in 0..images {
        let t = truth(seed, 96, 12);
        let img = corrupt(&t, 8, &c, seed);
        let art = pixelize(&img, 768, 768, &Options::default()).expect("pixelize");
        let s = score(&t, &art.to_rgb(), 96);
        let q = &art.quality;
        println!(
            "seed {seed:3} acc5 {:.4} detail {:.3} ({:2}) | truth {:2} colours, used {:2} | grid {} p {:.3}/{:.3} ph {:.2}/{:.2} z {:.0}/{:.0} contrast {:.2} fit {:.2}/{:.2} speckle {}",
            s.acc5, s.detail, s.details, t.palette.len(), q.colors_used, q.grid, q.pitch_x, q.pitch_y,
            q.phase_x, q.phase_y, q.grid_score_x, q.grid_score_y, q.edge_contrast, q.cell_fit_mean, q.cell_fit_p95, q.speckles_cleaned
        );
    }
}

/// `DIAG_SEED=n`: per truth colour, how its cells came out.
fn detail_for(seed: u64, c: &Corruption) {
    use pixelize::color::delta_e76;
    let t = truth(seed, 96, 12);
    let img = corrupt(&t, 8, c, seed);
    let art = pixelize(&img, 768, 768, &Options::default()).expect("pixelize");
    println!("palette out: {:?}", art.palette);
    println!("quality: {:?}", art.quality);
    // Where the wrong cells are (ΔE > 5), per column and per row.
    let rgb = art.to_rgb();
    let wrong: Vec<bool> = (0..96 * 96)
        .map(|i| delta_e76(t.palette[t.indices[i] as usize], [rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]]) > 5.0)
        .collect();
    let cols: Vec<usize> = (0..96).map(|x| (0..96).filter(|&y| wrong[y * 96 + x]).count()).collect();
    let rows: Vec<usize> = (0..96).map(|y| (0..96).filter(|&x| wrong[y * 96 + x]).count()).collect();
    println!("wrong cells per column: {cols:?}");
    println!("wrong cells per row:    {rows:?}");
    for (ti, tc) in t.palette.iter().enumerate() {
        let cells: Vec<usize> = (0..96 * 96).filter(|&i| t.indices[i] as usize == ti).collect();
        let mut hist = std::collections::BTreeMap::new();
        for &i in &cells {
            *hist.entry(art.indices[i]).or_insert(0) += 1;
        }
        let desc: Vec<String> =
            hist.iter().map(|(k, v)| format!("{k}:{v} (ΔE {:.1})", delta_e76(*tc, art.palette[*k as usize]))).collect();
        println!("truth {ti} {tc:?} n={} -> {}", cells.len(), desc.join(", "));
    }
}
