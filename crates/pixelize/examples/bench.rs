//! Benchmark against synthetic ground truth: this crate's method and the original service's
//! method on the same corrupted images.
//!
//! `cargo run --release -p pixelize --example bench [-- IMAGES] [--auto]` (default 16 images per
//! setting). `--auto` runs [`pixelize_auto`] with the same ceiling instead of [`pixelize`]. The
//! mean palette size follows the table.

use pixelize::synth::{corrupt, original_method, score, truth, Corruption};
use pixelize::{pixelize, pixelize_auto, Options};
use std::time::Instant;

fn main() {
    let auto = std::env::args().any(|a| a == "--auto");
    let images: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(16);
    let opts = Options::default();
    let run = if auto { pixelize_auto } else { pixelize };
    let mut colours = 0usize;
    println!("| Method | Setting | size96 | acc5 | detail | worst acc5 | worst detail | ms/image |");
    println!("|---|---|---|---|---|---|---|---|");
    let settings = [("mild", Corruption::mild()), ("harsh", Corruption::harsh()), ("extreme", Corruption::extreme())];
    for (name, c) in settings {
        let mut rows = [Row::default(), Row::default()];
        for seed in 0..images {
            let t = truth(seed, 96, 12);
            let img = corrupt(&t, 8, &c, seed);
            let t0 = Instant::now();
            let art = run(&img, 768, 768, &opts).expect("pixelize");
            colours += art.palette.len();
            let ms = t0.elapsed().as_secs_f64() * 1000.0;
            rows[0].add(score(&t, &art.to_rgb(), art.size as usize), ms);
            let t0 = Instant::now();
            let orig = original_method(&img, 768, 768, 96, 12);
            let ms = t0.elapsed().as_secs_f64() * 1000.0;
            rows[1].add(score(&t, &orig, 96), ms);
        }
        rows[0].print("pixelize (this crate)", name);
        rows[1].print("original (nearest ÷8 + median cut 12)", name);
    }
    let mode = if auto { "auto" } else { "fixed" };
    println!("\n{mode}: mean palette size {:.2} (budget {})", colours as f64 / (3 * images) as f64, opts.colors);
}

#[derive(Default)]
struct Row {
    n: usize,
    size_ok: usize,
    acc: f64,
    detail: f64,
    worst_acc: f64,
    worst_detail: f64,
    ms: f64,
}

impl Row {
    fn add(&mut self, s: pixelize::synth::Score, ms: f64) {
        if self.n == 0 {
            self.worst_acc = 1.0;
            self.worst_detail = 1.0;
        }
        self.n += 1;
        self.size_ok += s.size_ok as usize;
        self.acc += s.acc5;
        self.detail += s.detail;
        self.worst_acc = self.worst_acc.min(s.acc5);
        self.worst_detail = self.worst_detail.min(s.detail);
        self.ms += ms;
    }
    fn print(&self, method: &str, setting: &str) {
        let n = self.n as f64;
        println!(
            "| {method} | {setting} | {:.2} | {:.4} | {:.3} | {:.4} | {:.3} | {:.2} |",
            self.size_ok as f64 / n,
            self.acc / n,
            self.detail / n,
            self.worst_acc,
            self.worst_detail,
            self.ms / n
        );
    }
}
