//! Time `pixelize` on one image: best and median of N runs (one core).
//!
//! `cargo run --release -p pixelize --example timing -- [RUNS] [IMAGE.png]` — without an image, a
//! corrupted synthetic 768² picture (harsh setting); with one, that real picture (centre-cropped
//! to a square like the pipeline does).

use pixelize::synth::{corrupt, truth, Corruption};
use pixelize::{pixelize, Options};
use std::time::Instant;

fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200);
    let (img, w, h) = match std::env::args().nth(2) {
        Some(path) => {
            let img = image::open(&path).unwrap_or_else(|e| panic!("{path}: {e}")).to_rgb8();
            let (w, h) = img.dimensions();
            (img.into_raw(), w, h)
        }
        None => (corrupt(&truth(1, 96, 12), 8, &Corruption::harsh(), 1), 768, 768),
    };
    let mut ms: Vec<f64> = (0..runs)
        .map(|_| {
            let t0 = Instant::now();
            let art = pixelize(&img, w, h, &Options::default()).expect("pixelize");
            std::hint::black_box(art);
            t0.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    ms.sort_by(|a, b| a.total_cmp(b));
    println!("{w}x{h}: best {:.2} ms, median {:.2} ms over {runs} runs", ms[0], ms[runs / 2]);
}
