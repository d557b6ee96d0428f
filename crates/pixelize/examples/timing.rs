//! Time `pixelize` on one corrupted 768² image: best and median of N runs (one core).
//!
//! `cargo run --release -p pixelize --example timing -- [RUNS]`

use pixelize::synth::{corrupt, truth, Corruption};
use pixelize::{pixelize, Options};
use std::time::Instant;

fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200);
    let t = truth(1, 96, 12);
    let img = corrupt(&t, 8, &Corruption::harsh(), 1);
    let mut ms: Vec<f64> = (0..runs)
        .map(|_| {
            let t0 = Instant::now();
            let art = pixelize(&img, 768, 768, &Options::default()).expect("pixelize");
            std::hint::black_box(art);
            t0.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    ms.sort_by(|a, b| a.total_cmp(b));
    println!("best {:.2} ms, median {:.2} ms over {runs} runs", ms[0], ms[runs / 2]);
}
