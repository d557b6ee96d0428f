//! Scores every PNG/JPEG under the given files and folders with open_nsfw and prints a table: score and
//! milliseconds per image, then the distribution (max, p99, p95, median) and how many images each
//! candidate threshold would flag. This is how `IMAGE_CHECK_NSFW_THRESHOLD`'s default was chosen.
//!
//! `cargo run --release -p nsfw --example scores -- --model DATA/models/open-nsfw.onnx DIR…`

use std::path::{Path, PathBuf};
use std::time::Instant;

fn collect(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(p).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for e in entries {
            collect(&e, out);
        }
    } else if matches!(p.extension().and_then(|e| e.to_str()), Some("png" | "jpg" | "jpeg")) {
        out.push(p.to_owned());
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut model = None;
    let mut files = Vec::new();
    while let Some(a) = args.next() {
        if a == "--model" {
            model = args.next().map(PathBuf::from);
        } else {
            collect(Path::new(&a), &mut files);
        }
    }
    let model = model.expect("--model PATH is required");
    let t = Instant::now();
    let c = nsfw::Classifier::load(&model).unwrap_or_else(|e| panic!("{e}"));
    println!("model loaded in {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
    let mut scores = Vec::new();
    let mut times = Vec::new();
    println!("{:>7} {:>7}  image", "nsfw", "ms");
    for f in &files {
        let img = match image::open(f) {
            Ok(i) => i.to_rgb8(),
            Err(e) => {
                println!("   skip          {} ({e})", f.display());
                continue;
            }
        };
        let t = Instant::now();
        let s = c.score(&img).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let ms = t.elapsed().as_secs_f64() * 1e3;
        println!("{s:>7.4} {ms:>7.1}  {}", f.display());
        scores.push(s);
        times.push(ms);
    }
    if scores.is_empty() {
        return;
    }
    let mut sorted = scores.clone();
    sorted.sort_by(f32::total_cmp);
    let q = |p: f64| sorted[((sorted.len() - 1) as f64 * p).round() as usize];
    times.sort_by(f64::total_cmp);
    println!(
        "\n{} images: max {:.4}, p99 {:.4}, p95 {:.4}, median {:.4}; {:.0} ms median per image",
        scores.len(),
        sorted[sorted.len() - 1],
        q(0.99),
        q(0.95),
        q(0.5),
        times[times.len() / 2]
    );
    for th in [0.2f32, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] {
        let n = scores.iter().filter(|&&s| s >= th).count();
        println!("threshold {th:.1}: flags {n} ({:.1} %)", 100.0 * n as f64 / scores.len() as f64);
    }
}
