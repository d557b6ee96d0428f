//! Scan many seeds of the synthetic ground truth and report the per-image distribution of acc5 and
//! detail (min, percentiles, mean, count below the targets), with the worst seeds and what went
//! wrong in them: `map` is the share of cells whose output entry holds mostly cells of their own
//! truth colour (grid and clustering right); `map` ≈ 1 with a low acc5 means an entry's *colour* is
//! off (shading), a low `map` means cells went to the wrong entry (grid, merging).
//!
//! `detail up to one cell` also scores the output against the truth moved by one cell (the
//! half-cell shift ambiguity, see tests/ground_truth.rs).
//!
//! `cargo run --release -p pixelize --example scan -- [mild|harsh|extreme] [FIRST] [COUNT] [THREADS]`

use pixelize::synth::{corrupt, score, truth, Corruption};
use pixelize::{pixelize, Options};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let name = args.get(1).cloned().unwrap_or_else(|| "harsh".into());
    let c = match name.as_str() {
        "mild" => Corruption::mild(),
        "extreme" => Corruption::extreme(),
        _ => Corruption::harsh(),
    };
    let first: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let count: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let threads: u64 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(1).max(1);
    let results: Vec<(u64, f64, f64, f64, f64, f64)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let c = c.clone();
                s.spawn(move || {
                    let mut out = Vec::new();
                    let mut seed = first + t;
                    while seed < first + count {
                        let tr = truth(seed, 96, 12);
                        let img = corrupt(&tr, 8, &c, seed);
                        let t0 = Instant::now();
                        let art = pixelize(&img, 768, 768, &Options::default()).expect("pixelize");
                        let ms = t0.elapsed().as_secs_f64() * 1000.0;
                        let sc = score(&tr, &art.to_rgb(), 96);
                        let rgb = art.to_rgb();
                        let d1 = detail_up_to_one_cell(&tr, &rgb);
                        out.push((seed, sc.acc5, sc.detail, mapping(&tr.indices, &art.indices), ms, d1));
                        seed += threads;
                    }
                    out
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let n = results.len() as f64;
    let mut acc: Vec<f64> = results.iter().map(|r| r.1).collect();
    let mut det: Vec<f64> = results.iter().map(|r| r.2).collect();
    acc.sort_by(|a, b| a.total_cmp(b));
    det.sort_by(|a, b| a.total_cmp(b));
    let pct = |v: &[f64], p: f64| v[((v.len() as f64 - 1.0) * p) as usize];
    println!("{name} seeds {first}..{}: {} images", first + count, results.len());
    let mut det1: Vec<f64> = results.iter().map(|r| r.5).collect();
    det1.sort_by(|a, b| a.total_cmp(b));
    for (label, v) in [("acc5", &acc), ("detail", &det), ("detail up to one cell", &det1)] {
        println!(
            "  {label:6} min {:.4} p1 {:.4} p5 {:.4} median {:.4} mean {:.4}",
            v[0],
            pct(v, 0.01),
            pct(v, 0.05),
            pct(v, 0.5),
            v.iter().sum::<f64>() / n
        );
    }
    for t in [0.8, 0.9, 0.95, 0.98] {
        println!("  acc5 < {t}: {}", acc.iter().filter(|a| **a < t).count());
    }
    for t in [0.5, 0.6, 0.75] {
        println!("  detail < {t}: {}", det.iter().filter(|a| **a < t).count());
    }
    let ms: f64 = results.iter().map(|r| r.4).sum::<f64>() / n;
    let max_ms = results.iter().map(|r| r.4).fold(0.0, f64::max);
    println!("  ms/image mean {ms:.2} max {max_ms:.2} ({threads} threads)");
    let mut worst = results.clone();
    worst.sort_by(|a, b| a.1.total_cmp(&b.1));
    for r in worst.iter().take(12) {
        println!("  seed {:7} acc5 {:.4} detail {:.3} map {:.4} detail up to one cell {:.3}", r.0, r.1, r.2, r.3, r.5);
    }
    worst.sort_by(|a, b| a.2.total_cmp(&b.2));
    for r in worst.iter().take(5) {
        println!(
            "  seed {:7} acc5 {:.4} detail {:.3} map {:.4} (worst detail), up to one cell {:.3}",
            r.0, r.1, r.2, r.3, r.5
        );
    }
}

/// Share of cells whose output entry's majority truth colour is their own truth colour.
fn mapping(truth: &[u8], out: &[u8]) -> f64 {
    let mut counts = std::collections::HashMap::<(u8, u8), usize>::new();
    for (&t, &o) in truth.iter().zip(out) {
        *counts.entry((o, t)).or_default() += 1;
    }
    let mut best = std::collections::HashMap::<u8, usize>::new();
    for (&(o, _), &c) in &counts {
        let e = best.entry(o).or_default();
        *e = (*e).max(c);
    }
    best.values().sum::<usize>() as f64 / truth.len() as f64
}

/// Detail retention against the truth and the truth moved by one cell in each direction.
fn detail_up_to_one_cell(t: &pixelize::synth::Truth, out: &[u8]) -> f64 {
    let n = t.size as isize;
    let mut best = score(t, out, t.size).detail;
    for (dx, dy) in [(1isize, 0isize), (-1, 0), (0, 1), (0, -1)] {
        let mut s = t.clone();
        for y in 0..n {
            for x in 0..n {
                let (sx, sy) = ((x - dx).clamp(0, n - 1), (y - dy).clamp(0, n - 1));
                s.indices[(y * n + x) as usize] = t.indices[(sy * n + sx) as usize];
            }
        }
        best = best.max(score(&s, out, t.size).detail);
    }
    best
}
